/* The file-system family: paths, descriptors, directories, metadata.
 *
 *   2 open        3 close       4 stat        5 fstat       6 lstat
 *  21 access     32 dup        33 dup2       72 fcntl      74 fsync
 *  75 fdatasync  76 truncate   77 ftruncate  79 getcwd     80 chdir
 *  81 fchdir     82 rename     83 mkdir      84 rmdir      85 creat
 *  87 unlink     88 symlink    89 readlink   90 chmod      91 fchmod
 *  95 umask     137 statfs    138 fstatfs   217 getdents64 221 fadvise64
 * 257 openat    258 mkdirat   262 newfstatat 263 unlinkat 264 renameat
 * 266 symlinkat 267 readlinkat 268 fchmodat 269 faccessat  280 utimensat
 * 285 fallocate 292 dup3      316 renameat2 332 statx     439 faccessat2
 * 188-199 setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr
 *         listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr
 *
 * (io.c: 0 read, 1 write, 8 lseek, 16 ioctl, 17 pread64, 18 pwrite64,
 *  19 readv, 20 writev, 40 sendfile, 295 preadv, 296 pwritev)
 */
#include "fs.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

/* struct flock (x86-64). */
struct kflock { int16_t l_type, l_whence; int64_t l_start, l_len; int32_t l_pid; };

/* Copy the app's path string into a new kernel buffer (paths are read under
 * the VFS lock, where app memory must not be touched). */
static long getname(const char *upath, char **out)
{
	if (!uptr_ok(upath, 1))
		return -EFAULT;
	size_t n = strnlen(upath, PATH_MAX);
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	char *k = kmalloc(n + 1);
	if (!k)
		return -ENOMEM;
	memcpy(k, upath, n);
	k[n] = 0;
	*out = k;
	return 0;
}

/* Both paths of a two-path call (rename, link) into kernel buffers, or neither. */
static long getnames(const char *a, const char *b, char **ka, char **kb)
{
	long r = getname(a, ka);
	if (r)
		return r;
	if ((r = getname(b, kb)))
		kfree(*ka);
	return r;
}

#define OFFSET_MAX INT64_MAX

/* struct flock L resolved on F into R, as Linux's flock_to_posix_lock. */
static int flock_range(struct file *f, const struct kflock *l, struct lock_range *r)
{
	int64_t base;
	switch (l->l_whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = file_lseek(f, 0, SEEK_CUR); break;
	case SEEK_END: base = file_size(f); break;
	default: return -EINVAL;
	}
	if (base < 0)
		base = 0;               /* no position or size (pipes): from 0 */
	if (l->l_start > OFFSET_MAX - base)
		return -EOVERFLOW;
	int64_t start = base + l->l_start, end;
	if (start < 0)
		return -EINVAL;
	if (l->l_len > 0) {
		if (l->l_len - 1 > OFFSET_MAX - start)
			return -EOVERFLOW;
		end = start + l->l_len - 1;
	} else if (l->l_len < 0) {
		end = start - 1;
		start += l->l_len;
		if (start < 0)
			return -EINVAL;
	} else {
		end = OFFSET_MAX;
	}
	if (l->l_type != F_RDLCK && l->l_type != F_WRLCK && l->l_type != F_UNLCK)
		return -EINVAL;
	r->type = l->l_type;
	r->start = start;
	r->end = end;
	r->pid = 0;
	return 0;
}

/* F_GETLK / F_OFD_GETLK: the lock that would block *ARG, or l_type F_UNLCK. */
static long fcntl_getlk(struct file *f, int kind, struct kflock *arg)
{
	if (!uptr_ok(arg, sizeof(*arg)))
		return -EFAULT;
	struct kflock l = *arg;
	struct lock_range r;
	/* F_UNLCK asks for the description's own lock (Linux 6.x, OFD only) */
	if (l.l_type != F_RDLCK && l.l_type != F_WRLCK && (kind != LK_OFD || l.l_type != F_UNLCK))
		return -EINVAL;
	int err = flock_range(f, &l, &r);
	if (err)
		return err;
	if (kind == LK_OFD && l.l_pid != 0)
		return -EINVAL;
	lock_record_get(f, &r, kind);
	l.l_type = (int16_t)r.type;
	if (r.type != F_UNLCK) {
		l.l_whence = SEEK_SET;
		l.l_start = r.start;
		l.l_len = r.end == OFFSET_MAX ? 0 : r.end - r.start + 1;
		l.l_pid = r.pid;
	}
	*arg = l;
	return 0;
}

/* F_SETLK(W) / F_OFD_SETLK(W): a read lock needs a readable description, a
 * write lock a writable one (-EBADF otherwise). */
static long fcntl_setlk(struct file *f, int kind, bool wait, const struct kflock *arg)
{
	if (!uptr_ok(arg, sizeof(*arg)))
		return -EFAULT;
	struct kflock l = *arg;
	struct lock_range r;
	int err = flock_range(f, &l, &r);
	if (err)
		return err;
	unsigned acc = f->flags & O_ACCMODE;
	if ((r.type == F_RDLCK && acc == O_WRONLY) || (r.type == F_WRLCK && acc == O_RDONLY))
		return -EBADF;
	if (kind == LK_OFD && l.l_pid != 0)
		return -EINVAL;
	return lock_record_set(f, &r, kind, wait);
}

/* fcntl: descriptor flags, status flags, dup, advisory record locks. */
long k_fcntl(int fd, int cmd, unsigned long arg)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r;
	/* an O_PATH descriptor answers only these (Linux's check_fcntl_cmd) */
	if ((f->flags & O_PATH) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD &&
	    cmd != F_SETFD && cmd != F_GETFL) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = fd_dup(fd, (int)arg, cmd == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		r = fd_get_cloexec(fd) == 1 ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		r = fd_set_cloexec(fd, arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL: {
		unsigned settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
		if ((arg & O_DIRECT) && !file_can_direct(f)) {
			r = -EINVAL;
			break;
		}
		unsigned old = __atomic_load_n(&f->flags, __ATOMIC_ACQUIRE), nf;
		do
			nf = (old & ~settable) | ((unsigned)arg & settable);
		while (!__atomic_compare_exchange_n(&f->flags, &old, nf, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
		r = 0;
		break;
	}
	case F_GETLK:
	case F_OFD_GETLK:
		r = fcntl_getlk(f, cmd == F_OFD_GETLK ? LK_OFD : LK_POSIX, (struct kflock *)arg);
		break;
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = fcntl_setlk(f, cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW ? LK_OFD : LK_POSIX,
				cmd == F_SETLKW || cmd == F_OFD_SETLKW, (struct kflock *)arg);
		break;
	default:
		klog_once("fcntl-cmd", "fcntl: command %d not supported\n", cmd);
		r = -EINVAL;
	}
	file_put(f);
	return r;
}

long sys_openat(int dirfd, const char *path, int flags, int mode)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_openat(dirfd, k, flags, mode);
	kfree(k);
	return r;
}

long sys_open(const char *path, int flags, int mode)
{
	return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_creat(const char *path, int mode)
{
	return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_close(int fd)
{
	return fd_close(fd);
}

long sys_newfstatat(int dirfd, const char *path, struct kstat *st, int flags)
{
	char *k;
	if (!uptr_ok(st, sizeof(*st)))
		return -EFAULT;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_fstatat(dirfd, k, st, flags);
	kfree(k);
	return r;
}

long sys_stat(const char *path, struct kstat *st)
{
	return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(const char *path, struct kstat *st)
{
	return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

long sys_fstat(int fd, struct kstat *st)
{
	if (!uptr_ok(st, sizeof(*st)))
		return -EFAULT;
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int r = file_stat(f, st);
	file_put(f);
	return r;
}

long sys_statx(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *stx)
{
	char *k;
	if (!uptr_ok(stx, sizeof(*stx)))
		return -EFAULT;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_statx(dirfd, k, flags, mask, stx);
	kfree(k);
	return r;
}

long sys_getdents64(int fd, void *buf, size_t n)
{
	if (!uptr_ok(buf, n))
		return -EFAULT;
	return k_getdents64(fd, buf, MIN(n, 0x7ffff000UL));
}

long sys_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	char *k;
	if ((ssize_t)n > 0 && !uptr_ok(buf, n))
		return -EFAULT;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_readlinkat(dirfd, k, buf, n);
	kfree(k);
	return r;
}

long sys_readlink(const char *path, char *buf, size_t n)
{
	return sys_readlinkat(AT_FDCWD, path, buf, n);
}

long sys_faccessat2(int dirfd, const char *path, int mode, int flags)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_faccessat(dirfd, k, mode, flags);
	kfree(k);
	return r;
}

long sys_faccessat(int dirfd, const char *path, int mode)
{
	return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(const char *path, int mode)
{
	return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

long sys_getcwd(char *buf, size_t n)
{
	if (!uptr_ok(buf, n ? n : 1))
		return -EFAULT;
	return k_getcwd(buf, n);
}

long sys_chdir(const char *path)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_chdir(k);
	kfree(k);
	return r;
}

long sys_fchdir(int fd)
{
	return k_fchdir(fd);
}

long sys_dup(int fd)
{
	return fd_dup(fd, 0, 0);
}

long sys_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) {
		struct file *f = fd_file(oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return fd_dup3(oldfd, newfd, 0);
}

long sys_dup3(int oldfd, int newfd, int flags)
{
	return fd_dup3(oldfd, newfd, flags);
}

long sys_fcntl(int fd, int cmd, unsigned long arg)
{
	return k_fcntl(fd, cmd, arg);
}

long sys_mkdirat(int dirfd, const char *path, int mode)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_mkdirat(dirfd, k, mode);
	kfree(k);
	return r;
}

long sys_mkdir(const char *path, int mode)
{
	return sys_mkdirat(AT_FDCWD, path, mode);
}

long sys_unlinkat(int dirfd, const char *path, int flags)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_unlinkat(dirfd, k, flags);
	kfree(k);
	return r;
}

long sys_unlink(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_rmdir(const char *path)
{
	return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

long sys_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
	char *ko, *kn;
	long r = getnames(oldpath, newpath, &ko, &kn);
	if (r)
		return r;
	r = k_renameat2(olddirfd, ko, newdirfd, kn, flags);
	kfree(ko);
	kfree(kn);
	return r;
}

long sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	return sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

long sys_rename(const char *oldpath, const char *newpath)
{
	return sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_symlinkat(const char *target, int dirfd, const char *path)
{
	char *kt, *kp;
	long r = getname(target, &kt);
	if (r)
		return r;
	if ((r = getname(path, &kp))) {
		kfree(kt);
		return r;
	}
	r = k_symlinkat(kt, dirfd, kp);
	kfree(kt);
	kfree(kp);
	return r;
}

long sys_symlink(const char *target, const char *path)
{
	return sys_symlinkat(target, AT_FDCWD, path);
}

long sys_truncate(const char *path, off_t len)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_truncate(k, len);
	kfree(k);
	return r;
}

long sys_ftruncate(int fd, off_t len)
{
	return k_ftruncate(fd, len);
}

long sys_fsync(int fd)
{
	return k_fsync(fd, false);
}

long sys_fdatasync(int fd)
{
	return k_fsync(fd, true);
}

long sys_statfs(const char *path, struct kstatfs *sf)
{
	char *k;
	if (!uptr_ok(sf, sizeof(*sf)))
		return -EFAULT;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_statfs(k, sf);
	kfree(k);
	return r;
}

long sys_fstatfs(int fd, struct kstatfs *sf)
{
	if (!uptr_ok(sf, sizeof(*sf)))
		return -EFAULT;
	return k_fstatfs(fd, sf);
}

long sys_utimensat(int dirfd, const char *path, const struct ktimespec *times, int flags)
{
	char *k = NULL;
	if (times && !uptr_ok(times, 2 * sizeof(*times)))
		return -EFAULT;
	long r = path ? getname(path, &k) : 0;
	if (r)
		return r;
	r = k_utimensat(dirfd, k, times, flags);
	kfree(k);
	return r;
}

long sys_fchmod(int fd, int mode)
{
	return k_fchmod(fd, mode);
}

long sys_fchmodat(int dirfd, const char *path, int mode)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_fchmodat(dirfd, k, mode);
	kfree(k);
	return r;
}

long sys_chmod(const char *path, int mode)
{
	return sys_fchmodat(AT_FDCWD, path, mode);
}

long sys_umask(int mask)
{
	return k_umask(mask);
}

/* Advice is accepted and ignored, once the fd is known to be valid. */
long sys_fadvise64(int fd, off_t off, off_t len, int advice)
{
	(void)off; (void)len;
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r = (f->ops->flags & FOPS_STREAM) ? -ESPIPE : advice < 0 || advice > 5 ? -EINVAL : 0;
	file_put(f);
	return r;
}

long sys_fallocate(int fd, int mode, off_t off, off_t len)
{
	return k_fallocate(fd, mode, off, len);
}

/* ---- extended attributes: none are stored anywhere ---- */

/* The path must resolve (so ENOENT and friends come out right); then there is
 * no such attribute (get), no attributes (list), or no support (set/remove). */
static long xattr_path(const char *path, bool follow, long answer)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	struct kstat st;
	r = k_fstatat(AT_FDCWD, k, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW);
	kfree(k);
	return r ? r : answer;
}

static long xattr_fd(int fd, long answer)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	file_put(f);
	return answer;
}

long sys_getxattr(const char *path, const char *name, void *val, size_t n) { (void)name; (void)val; (void)n; return xattr_path(path, true, -ENODATA); }
long sys_lgetxattr(const char *path, const char *name, void *val, size_t n) { (void)name; (void)val; (void)n; return xattr_path(path, false, -ENODATA); }
long sys_fgetxattr(int fd, const char *name, void *val, size_t n) { (void)name; (void)val; (void)n; return xattr_fd(fd, -ENODATA); }
long sys_listxattr(const char *path, char *list, size_t n) { (void)list; (void)n; return xattr_path(path, true, 0); }
long sys_llistxattr(const char *path, char *list, size_t n) { (void)list; (void)n; return xattr_path(path, false, 0); }
long sys_flistxattr(int fd, char *list, size_t n) { (void)list; (void)n; return xattr_fd(fd, 0); }
long sys_setxattr(const char *path, const char *name, const void *val, size_t n, int flags) { (void)name; (void)val; (void)n; (void)flags; return xattr_path(path, true, -EOPNOTSUPP); }
long sys_lsetxattr(const char *path, const char *name, const void *val, size_t n, int flags) { (void)name; (void)val; (void)n; (void)flags; return xattr_path(path, false, -EOPNOTSUPP); }
long sys_fsetxattr(int fd, const char *name, const void *val, size_t n, int flags) { (void)name; (void)val; (void)n; (void)flags; return xattr_fd(fd, -EOPNOTSUPP); }
long sys_removexattr(const char *path, const char *name) { (void)name; return xattr_path(path, true, -ENODATA); }
long sys_lremovexattr(const char *path, const char *name) { (void)name; return xattr_path(path, false, -ENODATA); }
long sys_fremovexattr(int fd, const char *name) { (void)name; return xattr_fd(fd, -ENODATA); }

/* ---- links, owners, device nodes ---- */

long sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	char *ko, *kn;
	long r = getnames(oldpath, newpath, &ko, &kn);
	if (r)
		return r;
	r = k_linkat(olddirfd, ko, newdirfd, kn, flags);
	kfree(ko);
	kfree(kn);
	return r;
}

long sys_link(const char *oldpath, const char *newpath)
{
	return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_fchownat(int dirfd, const char *path, unsigned uid, unsigned gid, int flags)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_fchownat(dirfd, k, uid, gid, flags);
	kfree(k);
	return r;
}

long sys_chown(const char *path, unsigned uid, unsigned gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(const char *path, unsigned uid, unsigned gid)
{
	return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(int fd, unsigned uid, unsigned gid)
{
	return k_fchown(fd, uid, gid);
}

/* DEV is the 32-bit encoding (glibc refuses wider), which is also the
 * low half of the 64-bit one stat reports. */
long sys_mknodat(int dirfd, const char *path, unsigned mode, unsigned dev)
{
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_mknodat(dirfd, k, mode, dev);
	kfree(k);
	return r;
}

long sys_mknod(const char *path, unsigned mode, unsigned dev)
{
	return sys_mknodat(AT_FDCWD, path, mode, dev);
}

/* ---- the sync family ---- */

long sys_sync(void)
{
	k_sync();
	return 0;
}

long sys_syncfs(int fd)
{
	return k_syncfs(fd);
}

long sys_sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	return k_sync_file_range(fd, off, n, flags);
}

/* ---- the old time-setting calls, over utimensat ---- */

struct ktimeval { int64_t tv_sec, tv_usec; };
struct kutimbuf { int64_t actime, modtime; };

/* futimesat/utimes: microsecond times (NULL: now); PATH NULL means DIRFD. */
long sys_futimesat(int dirfd, const char *path, const struct ktimeval *tv)
{
	struct ktimespec ts[2];
	if (tv) {
		if (!uptr_ok(tv, 2 * sizeof(*tv)))
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			struct ktimeval t = tv[i];
			if (t.tv_usec < 0 || t.tv_usec >= 1000000)
				return -EINVAL;
			ts[i].sec = t.tv_sec;
			ts[i].nsec = t.tv_usec * 1000;
		}
	}
	char *k = NULL;
	long r = path ? getname(path, &k) : 0;
	if (r)
		return r;
	r = k_utimensat(dirfd, k, tv ? ts : NULL, 0);
	kfree(k);
	return r;
}

long sys_utimes(const char *path, const struct ktimeval *tv)
{
	return sys_futimesat(AT_FDCWD, path, tv);
}

long sys_utime(const char *path, const struct kutimbuf *times)
{
	struct ktimespec ts[2];
	if (times) {
		if (!uptr_ok(times, sizeof(*times)))
			return -EFAULT;
		ts[0] = (struct ktimespec){ times->actime, 0 };
		ts[1] = (struct ktimespec){ times->modtime, 0 };
	}
	char *k;
	long r = getname(path, &k);
	if (r)
		return r;
	r = k_utimensat(AT_FDCWD, k, times ? ts : NULL, 0);
	kfree(k);
	return r;
}

/* ---- flock(2) ---- */

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

#define LOCK_MAND 32

long sys_flock(int fd, unsigned cmd)
{
	/* Linux ignores the long-broken LOCK_MAND requests (warning once),
	 * before even looking at the fd */
	if (cmd & LOCK_MAND) {
		klog_once("flock-mand", "uninode: flock: LOCK_MAND is ignored, as Linux does\n");
		return 0;
	}
	int type;
	switch (cmd & ~(unsigned)LOCK_NB) {
	case LOCK_SH: type = F_RDLCK; break;
	case LOCK_EX: type = F_WRLCK; break;
	case LOCK_UN: type = F_UNLCK; break;
	default: return -EINVAL;
	}
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r = (f->flags & O_PATH) ? -EBADF : lock_flock(f, type, !(cmd & LOCK_NB));
	file_put(f);
	return r;
}
