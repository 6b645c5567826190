/* Opening files, and the calls that look at an inode through a path:
 * stat, statx, access, readlink, statfs, utimensat, chmod, chdir, getcwd. */
#include "notify.h"
#include "../include/vm.h"

static int vfs_umask = 022;      /* one process for now */

/* Set the file mode creation mask; returns the old one. */
int k_umask(int mask)
{
	return __atomic_exchange_n(&vfs_umask, mask & 0777, __ATOMIC_ACQ_REL);
}

/* The current mask, unchanged. */
int umask_get(void)
{
	return __atomic_load_n(&vfs_umask, __ATOMIC_ACQUIRE);
}

/* The final component of an O_CREAT open: an existing inode or a new file
 * (*CREATED then true). VFS lock held. */
static int open_create(int dirfd, const char *path, int flags, int mode, struct nameidata *nd, struct inode **out,
		       bool *created)
{
	int err = path_walk(dirfd, path, WALK_PARENT, nd);
	for (;;) {
		if (err)
			return err;
		if (nd->last_kind != LAST_NORM || nd->trailing_slash)
			return -EISDIR;
		struct inode *ino;
		err = lookup_one(nd->ino, nd->last, nd->lastlen, &ino);
		if (err == -ENOENT) {
			err = iop_create(nd->ino, nd->last, nd->lastlen,
					 S_IFREG | ((uint32_t)mode & 07777 & ~(uint32_t)vfs_umask), &ino);
			if (err)
				return err;
			*created = true;
		} else if (err) {
			return err;
		} else if (flags & O_EXCL) {
			inode_put(ino);
			return -EEXIST;
		} else if (S_ISLNK(ino->mode)) {
			if (flags & O_NOFOLLOW) {
				inode_put(ino);
				return -ELOOP;
			}
			err = path_walk_link(nd, ino, WALK_PARENT);
			inode_put(ino);
			continue;
		}
		if ((err = path_append(nd->path, &nd->plen, nd->last, nd->lastlen))) {
			inode_put(ino);
			return err;
		}
		*out = ino;
		return 0;
	}
}

#define O_TMPFILE_ONLY (O_TMPFILE & ~O_DIRECTORY)

/* O_TMPFILE: a nameless regular file in the directory PATH names; linkat can
 * name it later unless O_EXCL. */
static int open_tmpfile(int dirfd, const char *path, int flags, int mode, struct file **out)
{
	struct nameidata nd;
	struct inode *ino = NULL;
	vfs_lock();
	int err = path_walk(dirfd, path, WALK_FOLLOW | WALK_DIRECTORY, &nd);
	if (!err)
		err = iop_tmpfile(nd.ino, S_IFREG | ((uint32_t)mode & 07777 & ~(uint32_t)vfs_umask), &ino);
	if (!err) {
		ino->linkable = !(flags & O_EXCL);
		/* what /proc/self/fd shows for it, as Linux's "#ino (deleted)" */
		char name[40];
		size_t n = (size_t)snprintf(name, sizeof(name), "#%llu (deleted)", (unsigned long long)ino->ino);
		err = path_append(nd.path, &nd.plen, name, n);
	}
	if (!err) {
		unsigned keep = (unsigned)flags & ~(unsigned)(O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);   /* F_GETFL shows O_TMPFILE */
		*out = file_open_inode(ino, keep, nd.path);
		if (!*out)
			err = -ENOMEM;
	}
	inode_put(ino);
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* Open PATH from DIRFD with Linux open flags; *OUT gets a new description. */
int vfs_openat(int dirfd, const char *path, int flags, int mode, struct file **out)
{
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (flags & O_TMPFILE_ONLY) {
		/* Linux's build_open_flags: exactly O_TMPFILE (no O_CREAT), writable */
		if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || (flags & O_ACCMODE) == O_RDONLY)
			return -EINVAL;
		return open_tmpfile(dirfd, path, flags, mode, out);
	}
	int acc = flags & O_ACCMODE;
	if (acc == 3)
		return -EINVAL;
	struct nameidata nd;
	struct inode *ino = NULL;
	bool created = false;
	int err;
	bool may_trunc = (flags & O_TRUNC) && acc != O_RDONLY;
	if (may_trunc)
		vm_regions_lock();   /* before the VFS lock: see iop_truncate */
	vfs_lock();
	if (flags & O_CREAT) {
		err = open_create(dirfd, path, flags, mode, &nd, &ino, &created);
	} else {
		unsigned wf = (flags & O_NOFOLLOW) ? 0 : WALK_FOLLOW;
		if (flags & O_DIRECTORY)
			wf |= WALK_DIRECTORY;
		err = path_walk(dirfd, path, wf, &nd);
		if (!err) {
			ino = nd.ino;
			inode_get(ino);
		}
	}
	if (err)
		goto out;
	err = 0;
	bool trunc = false;
	if (S_ISLNK(ino->mode) && !(flags & O_PATH))
		err = -ELOOP;
	else if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		err = -ENOTDIR;
	else if (S_ISDIR(ino->mode) && !(flags & O_PATH) && (acc != O_RDONLY || (flags & O_CREAT)))
		err = -EISDIR;
	else if (flags & O_PATH)
		err = 0;
	else if ((ino->mode & S_IFMT) == S_IFIFO) {
		/* Linux opens a FIFO as a pipe shared by its openers; ours are
		 * created (mknod, mkfifo) but cannot be opened yet */
		klog_once("fifo-open", "uninode: open of a FIFO (named pipe) is not supported yet\n");
		err = -ENXIO;
	} else if ((S_ISCHR(ino->mode) && !ino->fops) || S_ISBLK(ino->mode) || (ino->mode & S_IFMT) == S_IFSOCK)
		err = -ENXIO;   /* device nodes without a driver, socket files: as Linux */
	else if (ino->mnt->rdonly && (S_ISREG(ino->mode) || S_ISDIR(ino->mode)) &&
		 (acc != O_RDONLY || (flags & O_TRUNC)))
		err = -EROFS;
	else if ((flags & O_DIRECT) && (!S_ISREG(ino->mode) || !ino->mnt->type->direct_io))
		err = -EINVAL;
	else if ((flags & O_TRUNC) && S_ISREG(ino->mode) && acc != O_RDONLY && !created)
		trunc = true;              /* a file just made is empty: Linux does not truncate it (no IN_MODIFY) */
	if (!err) {
		unsigned keep = (unsigned)flags & ~(unsigned)(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
		*out = file_open_inode(ino, keep, nd.path);
		if (!*out)
			err = -ENOMEM;
	}
	if (!err) {
		notify_open(*out);
		/* After the open, as Linux's do_open: inotify sees IN_OPEN, then IN_MODIFY. */
		if (trunc && (err = iop_truncate(ino, 0)))
			file_put_locked(*out);
	}
	inode_put(ino);
out:
	nd_done(&nd);
	vfs_unlock();
	if (may_trunc)
		vm_regions_unlock();
	if (!err && (*out)->ops->open && (err = (*out)->ops->open(*out)))
		file_put(*out);
	return err;
}

/* Open PATH relative to the cwd. */
int vfs_open(const char *path, int flags, int mode, struct file **out)
{
	return vfs_openat(AT_FDCWD, path, flags, mode, out);
}

/* execve's open (Linux's do_open_execat): PATH from DIRFD, following a
 * final symlink unless AT_SYMLINK_NOFOLLOW (then ELOOP), DIRFD itself for an
 * empty PATH with AT_EMPTY_PATH. Only a regular file with an execute bit
 * may run (what root may execute: permission checks are otherwise off). */
int vfs_open_exec(int dirfd, const char *path, int at_flags, struct file **out)
{
	unsigned wf = ((at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW) | ((at_flags & AT_EMPTY_PATH) ? WALK_EMPTY : 0);
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(dirfd, path, wf, &nd);
	if (!err) {
		struct inode *ino = nd.ino;
		if (S_ISLNK(ino->mode))
			err = -ELOOP;
		else if (!S_ISREG(ino->mode) || !(ino->mode & 0111))
			err = -EACCES;
		else if (!(*out = file_open_inode(ino, O_RDONLY | O_LARGEFILE, nd.path)))
			err = -ENOMEM;
		else
			notify_open(*out);
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* openat: a new fd for PATH. */
int k_openat(int dirfd, const char *path, int flags, int mode)
{
	struct file *f;
	int err = vfs_openat(dirfd, path, flags, mode, &f);
	if (err)
		return err;
	int fd = fd_install(f, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* Resolve PATH (or DIRFD itself for an empty path with AT_EMPTY_PATH). VFS lock held. */
static int walk_at(int dirfd, const char *path, int atflags, struct nameidata *nd)
{
	unsigned wf = (atflags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW;
	if (atflags & AT_EMPTY_PATH)
		wf |= WALK_EMPTY;
	return path_walk(dirfd, path, wf, nd);
}

/* fstat of DIRFD for AT_EMPTY_PATH with an empty path; -ENOENT otherwise. */
static int empty_path_stat(int dirfd, const char *path, int flags, struct kstat *st)
{
	if (!(flags & AT_EMPTY_PATH) || path[0] || dirfd == AT_FDCWD)
		return -ENOENT;
	struct file *f = fd_file(dirfd);
	if (!f)
		return -EBADF;
	int err = file_stat(f, st);
	file_put(f);
	return err;
}

/* stat/lstat/fstatat/newfstatat. */
int k_fstatat(int dirfd, const char *path, struct kstat *st, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	int err = empty_path_stat(dirfd, path, flags, st);
	if (err != -ENOENT)
		return err;
	struct nameidata nd;
	struct kstat k;            /* ST may be app memory: never touched under the lock */
	vfs_lock();
	err = walk_at(dirfd, path, flags, &nd);
	if (!err)
		inode_fill_stat(nd.ino, &k);
	nd_done(&nd);
	vfs_unlock();
	if (!err)
		memcpy(st, &k, sizeof(k));
	return err;
}

static struct kstatx_timestamp stx_time(struct ktimespec t)
{
	return (struct kstatx_timestamp){ t.sec, (uint32_t)t.nsec, 0 };
}

#define STATX_DIOALIGN 0x2000u

/* statx: everything we know; direct I/O alignment only when MASK asks, for
 * regular files on a filesystem that needs it (Linux's ext4; tmpfs has none). */
int k_statx(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *stx)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	struct kstat st;
	bool btime = false;
	struct ktimespec bt = { 0, 0 };
	uint64_t mnt_id = 0;
	uint32_t dio = 0;
	int err = empty_path_stat(dirfd, path, flags, &st);
	if (!err && (mask & STATX_DIOALIGN) && dirfd != AT_FDCWD) {
		struct file *f = fd_file(dirfd);
		if (f && f->inode && S_ISREG(f->inode->mode) && f->inode->mnt->type->direct_io)
			dio = f->inode->mnt->dio_align;
		file_put(f);
	}
	if (err == -ENOENT) {
		struct nameidata nd;
		vfs_lock();
		err = walk_at(dirfd, path, flags, &nd);
		if (!err) {
			inode_fill_stat(nd.ino, &st);
			btime = nd.ino->has_btime;
			bt = nd.ino->btime;
			mnt_id = nd.ino->mnt->id;
			if ((mask & STATX_DIOALIGN) && S_ISREG(nd.ino->mode) && nd.ino->mnt->type->direct_io)
				dio = nd.ino->mnt->dio_align;
		}
		nd_done(&nd);
		vfs_unlock();
	}
	if (err)
		return err;
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS | (btime ? STATX_BTIME : 0) | (mnt_id ? STATX_MNT_ID : 0);
	stx->stx_blksize = (uint32_t)st.st_blksize;
	stx->stx_nlink = (uint32_t)st.st_nlink;
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	stx->stx_mode = (uint16_t)st.st_mode;
	stx->stx_ino = st.st_ino;
	stx->stx_size = (uint64_t)st.st_size;
	stx->stx_blocks = (uint64_t)st.st_blocks;
	stx->stx_atime = stx_time(st.st_atim);
	stx->stx_mtime = stx_time(st.st_mtim);
	stx->stx_ctime = stx_time(st.st_ctim);
	if (btime)
		stx->stx_btime = stx_time(bt);
	stx->stx_rdev_major = dev_major(st.st_rdev);
	stx->stx_rdev_minor = dev_minor(st.st_rdev);
	stx->stx_dev_major = dev_major(st.st_dev);
	stx->stx_dev_minor = dev_minor(st.st_dev);
	stx->stx_mnt_id = mnt_id;
	if (dio) {
		stx->stx_mask |= STATX_DIOALIGN;
		stx->stx_dio_mem_align = stx->stx_dio_offset_align = dio;
	}
	return 0;
}

/* readlink/readlinkat: the target, not NUL-terminated, truncated to N. */
long k_readlinkat(int dirfd, const char *path, char *buf, size_t n)
{
	if ((ssize_t)n <= 0)
		return -EINVAL;
	n = MIN(n, (size_t)PATH_MAX);
	char *k = kmalloc(n);      /* BUF may be app memory: fill it unlocked */
	if (!k)
		return -ENOMEM;
	struct nameidata nd;
	vfs_lock();
	long r = path_walk(dirfd, path, 0, &nd);
	if (!r)
		r = iop_readlink(nd.ino, k, n);
	nd_done(&nd);
	vfs_unlock();
	if (r > 0)
		memcpy(buf, k, (size_t)r);
	kfree(k);
	return r;
}

/* access/faccessat/faccessat2, for the one user there is: root. */
int k_faccessat(int dirfd, const char *path, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct nameidata nd;
	vfs_lock();
	int err = walk_at(dirfd, path, flags, &nd);
	if (!err) {
		struct inode *i = nd.ino;
		if ((mode & W_OK) && i->mnt->rdonly && (S_ISREG(i->mode) || S_ISDIR(i->mode) || S_ISLNK(i->mode)))
			err = -EROFS;
		else if ((mode & X_OK) && !S_ISDIR(i->mode) && !(i->mode & 0111))
			err = -EACCES;
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* statfs of mount M. */
static int mount_statfs(struct mount *m, struct kstatfs *sf)
{
	memset(sf, 0, sizeof(*sf));
	int err = m->type->statfs ? m->type->statfs(m, sf) : 0;
	if (!sf->f_bsize)
		sf->f_bsize = 4096;
	if (!sf->f_frsize)
		sf->f_frsize = sf->f_bsize;
	if (!sf->f_namelen)
		sf->f_namelen = NAME_MAX;
	sf->f_fsid[0] = (int32_t)(m->dev & 0xffffffff);
	sf->f_fsid[1] = (int32_t)(m->dev >> 32);
	sf->f_flags = ST_VALID | (m->rdonly ? ST_RDONLY : 0);
	return err;
}

int k_statfs(const char *path, struct kstatfs *sf)
{
	struct nameidata nd;
	struct kstatfs k;
	vfs_lock();
	int err = path_walk(AT_FDCWD, path, WALK_FOLLOW, &nd);
	if (!err)
		err = mount_statfs(nd.ino->mnt, &k);
	nd_done(&nd);
	vfs_unlock();
	if (!err)
		memcpy(sf, &k, sizeof(k));
	return err;
}

int k_fstatfs(int fd, struct kstatfs *sf)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int err = 0;
	struct kstatfs k;
	if (f->inode) {
		vfs_lock();
		err = mount_statfs(f->inode->mnt, &k);
		vfs_unlock();
	} else {
		/* pipes, sockets, eventfd/epoll: Linux's pipefs, sockfs, anon_inodefs */
		struct kstat st;
		memset(&k, 0, sizeof(k));
		err = file_stat(f, &st);
		uint32_t type = st.st_mode & S_IFMT;
		k.f_type = type == S_IFIFO ? 0x50495045 : type == S_IFSOCK ? 0x534f434b : 0x09041934;
		k.f_bsize = k.f_frsize = 4096;
		k.f_namelen = NAME_MAX;
		k.f_flags = ST_VALID;
		k.f_fsid[0] = (int32_t)(st.st_dev & 0xffffffff);
		k.f_fsid[1] = (int32_t)(st.st_dev >> 32);
	}
	file_put(f);
	if (!err)
		memcpy(sf, &k, sizeof(k));
	return err;
}

/* Valid timespec for utimensat? */
static bool time_ok(const struct ktimespec *t)
{
	return t->nsec == UTIME_NOW || t->nsec == UTIME_OMIT || (t->nsec >= 0 && t->nsec < 1000000000);
}

/* Apply TIMES (NULL: now) to INO. VFS lock held. */
static int set_times(struct inode *ino, const struct ktimespec *times)
{
	struct ktimespec now = time_now();
	if (times && times[0].nsec == UTIME_OMIT && times[1].nsec == UTIME_OMIT)
		return 0;
	if (ino->mnt->rdonly)
		return -EROFS;
	for (int k = 0; k < 2; k++) {
		struct ktimespec *dst = k ? &ino->mtime : &ino->atime;
		if (!times || times[k].nsec == UTIME_NOW)
			*dst = now;
		else if (times[k].nsec != UTIME_OMIT)
			*dst = times[k];
	}
	ino->ctime = now;
	/* Both times: IN_ATTRIB; one (the other UTIME_OMIT): IN_ACCESS or IN_MODIFY. */
	uint32_t event = !times || (times[0].nsec != UTIME_OMIT && times[1].nsec != UTIME_OMIT) ? IN_ATTRIB
			 : times[0].nsec != UTIME_OMIT ? IN_ACCESS : IN_MODIFY;
	return iop_setattr_event(ino, event);
}

/* utimensat/futimens: PATH NULL means DIRFD itself. */
int k_utimensat(int dirfd, const char *path, const struct ktimespec *times, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct ktimespec kt[2];
	if (times) {               /* TIMES may be app memory: read it before locking */
		memcpy(kt, times, sizeof(kt));
		times = kt;
	}
	if (times && (!time_ok(&times[0]) || !time_ok(&times[1])))
		return -EINVAL;
	int err;
	if (!path) {
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		if (flags)
			return -EINVAL;    /* Linux's do_utimes_fd: no flags on an fd */
		struct file *f = fd_file(dirfd);
		if (!f)
			return -EBADF;
		vfs_lock();
		err = f->inode ? set_times(f->inode, times) : -EPERM;
		vfs_unlock();
		file_put(f);
		return err;
	}
	struct nameidata nd;
	vfs_lock();
	err = walk_at(dirfd, path, flags, &nd);
	if (!err)
		err = set_times(nd.ino, times);
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* Change INO's permission bits. VFS lock held. */
static int set_mode(struct inode *ino, int mode)
{
	if (ino->mnt->rdonly)
		return -EROFS;
	ino->mode = (ino->mode & S_IFMT) | ((uint32_t)mode & 07777);
	ino->ctime = time_now();
	return iop_setattr(ino);
}

int k_fchmod(int fd, int mode)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	vfs_lock();
	int err = (f->flags & O_PATH) ? -EBADF : f->inode ? set_mode(f->inode, mode) : -EINVAL;
	vfs_unlock();
	file_put(f);
	return err;
}

int k_fchmodat(int dirfd, const char *path, int mode)
{
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(dirfd, path, WALK_FOLLOW, &nd);
	if (!err)
		err = set_mode(nd.ino, mode);
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* Change INO's owner (-1 keeps each): Linux's chown_common, for root (who
 * has CAP_CHOWN and CAP_FSETID): a non-directory loses S_ISUID, and S_ISGID
 * when group-exec is set (else it marks mandatory locking and stays). VFS lock held. */
static int set_owner(struct inode *ino, uint32_t uid, uint32_t gid)
{
	if (ino->mnt->rdonly)
		return -EROFS;
	if (uid != (uint32_t)-1)
		ino->uid = uid;
	if (gid != (uint32_t)-1)
		ino->gid = gid;
	if (!S_ISDIR(ino->mode)) {
		ino->mode &= ~(uint32_t)04000;
		if ((ino->mode & 02010) == 02010)
			ino->mode &= ~(uint32_t)02000;
	}
	ino->ctime = time_now();
	return iop_setattr(ino);
}

/* fchownat/chown/lchown: AT_SYMLINK_NOFOLLOW acts on a symlink itself. */
int k_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct nameidata nd;
	vfs_lock();
	int err = walk_at(dirfd, path, flags, &nd);
	if (!err)
		err = set_owner(nd.ino, uid, gid);
	nd_done(&nd);
	vfs_unlock();
	return err;
}

int k_fchown(int fd, uint32_t uid, uint32_t gid)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	vfs_lock();
	int err = (f->flags & O_PATH) ? -EBADF : f->inode ? set_owner(f->inode, uid, gid) : -EINVAL;
	vfs_unlock();
	file_put(f);
	return err;
}

/* See vfs.h: Linux's FMODE_CAN_ODIRECT. Files without an inode keep the
 * flag as before (Linux's pipes take it for packet mode, not modelled). */
bool file_can_direct(struct file *f)
{
	return !f->inode || (S_ISREG(f->inode->mode) && f->inode->mnt->type->direct_io);
}

/* O_DIRECT alignment (see fs.h); a transfer on a file without it passes. */
int dio_check(struct file *f, const void *buf, size_t n, off_t off)
{
	if (!(f->flags & O_DIRECT) || !f->inode)
		return 0;
	uint64_t a = f->inode->mnt->dio_align;
	if (!a)
		return 0;
	return (((uintptr_t)buf | (uint64_t)n | (uint64_t)off) & (a - 1)) ? -EINVAL : 0;
}

/* getcwd: the canonical cwd path and its length with the NUL. */
long k_getcwd(char *buf, size_t n)
{
	char *k = kmalloc(PATH_MAX);   /* BUF may be app memory: copy out unlocked */
	if (!k)
		return -ENOMEM;
	vfs_lock();
	strlcpy(k, cwd_path(), PATH_MAX);
	vfs_unlock();
	size_t len = strlen(k) + 1;
	long r = (long)len;
	if (n < len)
		r = -ERANGE;
	else
		memcpy(buf, k, len);
	kfree(k);
	return r;
}

int k_chdir(const char *path)
{
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(AT_FDCWD, path, WALK_FOLLOW | WALK_DIRECTORY, &nd);
	if (!err)
		cwd_set(nd.ino, nd.path);
	nd_done(&nd);
	vfs_unlock();
	return err;
}

int k_fchdir(int fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	vfs_lock();
	int err = !f->inode || !S_ISDIR(f->inode->mode) ? -ENOTDIR : 0;
	if (!err)
		cwd_set(f->inode, f->path ? f->path : "/");
	vfs_unlock();
	file_put(f);
	return err;
}
