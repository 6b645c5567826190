/* Links, O_TMPFILE and advisory locks on tmpfs through the syscalls: link
 * counts, the linkat errors, and the lock-range bookkeeping (splitting,
 * merging, owners, release at close). */
#include <string.h>
#include "test.h"

#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38

struct kflock { int16_t l_type, l_whence; int64_t l_start, l_len; int32_t l_pid; };

static long nlink_of(const char *path)
{
	struct kstat st;
	long r = sys_lstat(path, &st);
	return r ? r : (long)st.st_nlink;
}

static void test_link_counts(void)
{
	int fd = (int)sys_open("/tmp/l1", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0, "create %d", fd);
	CHECK_EQ(sys_write(fd, "abc", 3), 3);
	CHECK_EQ(sys_link("/tmp/l1", "/tmp/l2"), 0);
	CHECK_EQ(nlink_of("/tmp/l1"), 2);
	CHECK_EQ(sys_link("/tmp/l1", "/tmp/l2"), -EEXIST);
	CHECK_EQ(sys_link("/tmp/nothere", "/tmp/l3"), -ENOENT);
	CHECK_EQ(sys_link("/tmp/l1", "/tmp/nodir/l3"), -ENOENT);
	CHECK_EQ(sys_link("/tmp/l1", "/tmp/l3/"), -ENOENT);
	CHECK_EQ(sys_link("/tmp/l1", "/tmp/l2/"), -EEXIST);
	CHECK_EQ(sys_link("/tmp", "/tmp/dirlink"), -EPERM);
	CHECK_EQ(sys_link("/tmp/l1", "/l3"), -EXDEV);          /* the read-only ext2 root: another mount */
	CHECK_EQ(sys_linkat(AT_FDCWD, "/tmp/l1", AT_FDCWD, "/tmp/l3", 0x8000), -EINVAL);
	struct kstat a, b;
	CHECK_EQ(sys_stat("/tmp/l1", &a), 0);
	CHECK_EQ(sys_stat("/tmp/l2", &b), 0);
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(sys_unlink("/tmp/l1"), 0);
	CHECK_EQ(nlink_of("/tmp/l2"), 1);
	CHECK_EQ(sys_fstat(fd, &a), 0);
	CHECK_EQ(a.st_nlink, 1);
	/* a symlink is linked itself, or its target with AT_SYMLINK_FOLLOW */
	CHECK_EQ(sys_symlink("l2", "/tmp/lsl"), 0);
	CHECK_EQ(sys_linkat(AT_FDCWD, "/tmp/lsl", AT_FDCWD, "/tmp/lsl2", 0), 0);
	CHECK_EQ(nlink_of("/tmp/lsl"), 2);
	CHECK_EQ(sys_linkat(AT_FDCWD, "/tmp/lsl", AT_FDCWD, "/tmp/l4", AT_SYMLINK_FOLLOW), 0);
	CHECK_EQ(nlink_of("/tmp/l2"), 2);
	/* AT_EMPTY_PATH names DIRFD's file */
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/l5", 0), -ENOENT);
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/l5", AT_EMPTY_PATH), 0);
	CHECK_EQ(nlink_of("/tmp/l2"), 3);
	/* the last name gone with the file open: it cannot be named again */
	sys_unlink("/tmp/l2"); sys_unlink("/tmp/l4"); sys_unlink("/tmp/l5");
	CHECK_EQ(sys_fstat(fd, &a), 0);
	CHECK_EQ(a.st_nlink, 0);
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/l6", AT_EMPTY_PATH), -ENOENT);
	sys_close(fd);
	sys_unlink("/tmp/lsl"); sys_unlink("/tmp/lsl2");
}

static void test_tmpfile(void)
{
	CHECK_EQ(sys_open("/tmp", O_TMPFILE | O_RDONLY, 0600), -EINVAL);
	CHECK_EQ(sys_open("/tmp", O_TMPFILE | O_CREAT | O_RDWR, 0600), -EINVAL);
	CHECK_EQ(sys_open("/tmp/none", O_TMPFILE | O_RDWR, 0600), -ENOENT);
	CHECK_EQ(sys_open("/proc", O_TMPFILE | O_RDWR, 0600), -EOPNOTSUPP);
	CHECK_EQ(sys_open("/a", O_TMPFILE | O_RDWR, 0600), -EROFS);
	int fd = (int)sys_open("/tmp", O_TMPFILE | O_RDWR, 0640);
	CHECK(fd >= 0, "tmpfile %d", fd);
	struct kstat st;
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	CHECK_EQ(sys_write(fd, "tmp", 3), 3);
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/named", AT_EMPTY_PATH), 0);
	CHECK_EQ(nlink_of("/tmp/named"), 1);
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/named2", AT_EMPTY_PATH), 0);
	CHECK_EQ(nlink_of("/tmp/named"), 2);
	sys_close(fd);
	sys_unlink("/tmp/named"); sys_unlink("/tmp/named2");
	fd = (int)sys_open("/tmp", O_TMPFILE | O_WRONLY | O_EXCL, 0600);
	CHECK(fd >= 0, "tmpfile excl %d", fd);
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/never", AT_EMPTY_PATH), -ENOENT);
	sys_close(fd);
}

static long getlk(int fd, int cmd, int type, long start, long len, struct kflock *out)
{
	*out = (struct kflock){ (int16_t)type, SEEK_SET, start, len, 0 };
	return sys_fcntl(fd, cmd, (unsigned long)out);
}

static long setlk(int fd, int cmd, int type, long start, long len)
{
	struct kflock l = { (int16_t)type, SEEK_SET, start, len, 0 };
	return sys_fcntl(fd, cmd, (unsigned long)&l);
}

static void test_record_locks(void)
{
	int a = (int)sys_open("/tmp/lk", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int b = (int)sys_open("/tmp/lk", O_RDWR, 0);
	struct kflock l;
	/* OFD locks of two descriptions conflict; l_pid is -1 */
	CHECK_EQ(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 100), 0);
	CHECK_EQ(setlk(b, F_OFD_SETLK, F_RDLCK, 50, 10), -EAGAIN);
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_RDLCK, 99, 5, &l), 0);
	CHECK(l.l_type == F_WRLCK && l.l_start == 0 && l.l_len == 100 && l.l_pid == -1,
	      "getlk %d %ld %ld %d", l.l_type, (long)l.l_start, (long)l.l_len, l.l_pid);
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_RDLCK, 100, 5, &l), 0);
	CHECK_EQ(l.l_type, F_UNLCK);
	/* unlocking the middle splits the range in two */
	CHECK_EQ(setlk(a, F_OFD_SETLK, F_UNLCK, 40, 20), 0);
	CHECK_EQ(setlk(b, F_OFD_SETLK, F_WRLCK, 40, 20), 0);
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_WRLCK, 30, 40, &l), 0);
	CHECK(l.l_type == F_WRLCK && l.l_start == 0 && l.l_len == 40, "left %ld %ld", (long)l.l_start, (long)l.l_len);
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_WRLCK, 60, 40, &l), 0);
	CHECK(l.l_type == F_WRLCK && l.l_start == 60 && l.l_len == 40, "right %ld %ld", (long)l.l_start, (long)l.l_len);
	/* a is blocked by b's middle piece; after b unlocks, a's set merges back into one range */
	CHECK_EQ(setlk(a, F_OFD_SETLK, F_WRLCK, 40, 20), -EAGAIN);
	CHECK_EQ(setlk(a, F_OFD_SETLKW, F_WRLCK, 40, 20), -EINTR);   /* the host shim's wait: a signal at once */
	CHECK_EQ(setlk(b, F_OFD_SETLK, F_UNLCK, 0, 0), 0);
	CHECK_EQ(setlk(a, F_OFD_SETLK, F_WRLCK, 40, 20), 0);
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_RDLCK, 0, 0, &l), 0);
	CHECK(l.l_type == F_WRLCK && l.l_start == 0 && l.l_len == 100, "merged %ld %ld", (long)l.l_start, (long)l.l_len);
	/* read locks share; a lock to EOF reports l_len 0 */
	CHECK_EQ(setlk(a, F_OFD_SETLK, F_RDLCK, 0, 0), 0);
	CHECK_EQ(setlk(b, F_OFD_SETLK, F_RDLCK, 10, 0), 0);
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_WRLCK, 5, 1, &l), 0);
	CHECK(l.l_type == F_RDLCK && l.l_start == 0 && l.l_len == 0, "eof %d %ld %ld", l.l_type, (long)l.l_start, (long)l.l_len);
	/* argument checks */
	CHECK_EQ(getlk(b, F_GETLK, F_UNLCK, 0, 0, &l), -EINVAL);
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_UNLCK, 0, 0, &l), 0);       /* Linux 6.x: b's own lock */
	CHECK(l.l_type == F_RDLCK && l.l_start == 10, "own %d %ld", l.l_type, (long)l.l_start);
	l = (struct kflock){ F_RDLCK, SEEK_SET, 0, 0, 5 };
	CHECK_EQ(sys_fcntl(b, F_OFD_SETLK, (unsigned long)&l), -EINVAL);
	l = (struct kflock){ F_RDLCK, 7, 0, 0, 0 };
	CHECK_EQ(sys_fcntl(b, F_OFD_SETLK, (unsigned long)&l), -EINVAL);
	CHECK_EQ(setlk(b, F_OFD_SETLK, F_RDLCK, -1, 0), -EINVAL);
	CHECK_EQ(setlk(b, F_OFD_SETLK, F_RDLCK, 10, -11), -EINVAL);
	int ro = (int)sys_open("/tmp/lk", O_RDONLY, 0);
	CHECK_EQ(setlk(ro, F_OFD_SETLK, F_WRLCK, 0, 1), -EBADF);
	/* closing a description drops its OFD locks */
	sys_close(a);
	CHECK_EQ(getlk(ro, F_OFD_GETLK, F_WRLCK, 0, 10, &l), 0);
	CHECK_EQ(l.l_type, F_UNLCK);
	CHECK_EQ(getlk(ro, F_OFD_GETLK, F_WRLCK, 10, 10, &l), 0);
	CHECK(l.l_type == F_RDLCK && l.l_start == 10, "b's %d %ld", l.l_type, (long)l.l_start);
	sys_close(b);
	/* POSIX locks: the process's, never in its own way, gone at any close */
	a = (int)sys_open("/tmp/lk", O_RDWR, 0);
	b = (int)sys_open("/tmp/lk", O_RDWR, 0);
	CHECK_EQ(setlk(a, F_SETLK, F_WRLCK, 0, 10), 0);
	CHECK_EQ(setlk(b, F_SETLK, F_WRLCK, 5, 10), 0);
	CHECK_EQ(getlk(b, F_GETLK, F_WRLCK, 0, 0, &l), 0);
	CHECK_EQ(l.l_type, F_UNLCK);
	CHECK_EQ(getlk(ro, F_OFD_GETLK, F_RDLCK, 0, 0, &l), 0);
	CHECK(l.l_type == F_WRLCK && l.l_start == 0 && l.l_len == 15 && l.l_pid == 1, "posix %d %ld %ld %d",
	      l.l_type, (long)l.l_start, (long)l.l_len, l.l_pid);
	CHECK_EQ(setlk(ro, F_OFD_SETLK, F_RDLCK, 0, 1), -EAGAIN);
	int d = (int)sys_open("/tmp", O_RDONLY | O_DIRECTORY, 0);
	sys_close(d);                        /* a close of another file: nothing happens */
	CHECK_EQ(setlk(ro, F_OFD_SETLK, F_RDLCK, 0, 1), -EAGAIN);
	d = (int)sys_open("/tmp/lk", O_RDONLY, 0);
	sys_close(d);                        /* any fd of the file: the POSIX locks go */
	CHECK_EQ(setlk(ro, F_OFD_SETLK, F_RDLCK, 0, 1), 0);
	sys_close(a); sys_close(b); sys_close(ro);
	sys_unlink("/tmp/lk");
}

static void test_flock(void)
{
	int a = (int)sys_open("/tmp/fl", O_CREAT | O_RDWR, 0644);
	int b = (int)sys_open("/tmp/fl", O_RDONLY, 0);
	int a2 = (int)sys_dup(a);
	CHECK_EQ(sys_flock(a, 2 | 4), 0);        /* LOCK_EX|LOCK_NB */
	CHECK_EQ(sys_flock(a2, 2 | 4), 0);       /* the same description */
	CHECK_EQ(sys_flock(b, 1 | 4), -EAGAIN);
	CHECK_EQ(sys_flock(b, 1), -EINTR);       /* blocking: the shim's signal */
	CHECK_EQ(sys_flock(b, 16), -EINVAL);
	/* record locks do not see flock locks */
	struct kflock l;
	CHECK_EQ(getlk(b, F_OFD_GETLK, F_RDLCK, 0, 0, &l), 0);
	CHECK_EQ(l.l_type, F_UNLCK);
	CHECK_EQ(sys_flock(a, 1 | 4), 0);        /* downgrade */
	CHECK_EQ(sys_flock(b, 1 | 4), 0);
	CHECK_EQ(sys_flock(a, 2 | 4), -EAGAIN);  /* as Linux: the failed upgrade dropped a's shared lock */
	CHECK_EQ(sys_flock(b, 2 | 4), 0);        /* so b, alone now, upgrades */
	CHECK_EQ(sys_flock(b, 8), 0);
	CHECK_EQ(sys_flock(a, 2 | 4), 0);
	sys_close(a);                            /* a2 keeps the description: still locked */
	CHECK_EQ(sys_flock(b, 2 | 4), -EAGAIN);
	sys_close(a2);
	CHECK_EQ(sys_flock(b, 2 | 4), 0);
	sys_close(b);
	sys_unlink("/tmp/fl");
}

static void test_chown_mknod_sync(void)
{
	int fd = (int)sys_open("/tmp/own", O_CREAT | O_RDWR, 0644);
	CHECK_EQ(sys_fchmod(fd, 06755), 0);
	CHECK_EQ(sys_fchown(fd, 1000, (unsigned)-1), 0);
	struct kstat st;
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK(st.st_uid == 1000 && st.st_gid == 0 && (st.st_mode & 07777) == 0755, "uid %u gid %u mode %o", st.st_uid, st.st_gid, st.st_mode);
	CHECK_EQ(sys_fchmod(fd, 02745), 0);     /* setgid without group exec stays */
	CHECK_EQ(sys_chown("/tmp/own", (unsigned)-1, 50), 0);
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK(st.st_uid == 1000 && st.st_gid == 50 && (st.st_mode & 07777) == 02745, "uid %u gid %u mode %o", st.st_uid, st.st_gid, st.st_mode);
	CHECK_EQ(sys_fchownat(AT_FDCWD, "/tmp/own", 0, 0, 0x8000), -EINVAL);
	CHECK_EQ(sys_chown("/tmp/none", 0, 0), -ENOENT);
	CHECK_EQ(sys_chown("/hello.txt", 0, 0), -EROFS);
	CHECK_EQ(sys_fsync(fd), 0);
	CHECK_EQ(sys_fdatasync(fd), 0);
	CHECK_EQ(sys_syncfs(fd), 0);
	CHECK_EQ(sys_sync_file_range(fd, 0, 0, 8), -EINVAL);
	CHECK_EQ(sys_sync_file_range(fd, -1, 0, 2), -EINVAL);
	CHECK_EQ(sys_sync_file_range(fd, 0, 0, 7), 0);
	CHECK_EQ(sys_sync_file_range(99, 0, 0, 8), -EBADF);
	CHECK_EQ(sys_sync(), 0);
	sys_close(fd);
	sys_unlink("/tmp/own");
	CHECK_EQ(sys_mknod("/tmp/fifo", S_IFIFO | 0644, 0), 0);
	CHECK_EQ(sys_lstat("/tmp/fifo", &st), 0);
	CHECK_EQ(st.st_mode, S_IFIFO | 0644);
	CHECK_EQ(sys_mknod("/tmp/fifo", S_IFIFO | 0644, 0), -EEXIST);
	CHECK_EQ(sys_mknod("/tmp/dev", S_IFCHR | 0600, 0x0103), 0);
	CHECK_EQ(sys_lstat("/tmp/dev", &st), 0);
	CHECK_EQ(st.st_rdev, makedev64(1, 3));
	CHECK_EQ(sys_open("/tmp/dev", O_RDONLY, 0), -ENXIO);
	CHECK_EQ(sys_mknod("/tmp/d", S_IFDIR | 0755, 0), -EPERM);
	CHECK_EQ(sys_mknod("/tmp/d", 0170000 | 0755, 0), -EINVAL);
	CHECK_EQ(sys_mknod("/tmp/reg", 0644, 0), 0);
	CHECK_EQ(sys_lstat("/tmp/reg", &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	sys_unlink("/tmp/fifo"); sys_unlink("/tmp/dev"); sys_unlink("/tmp/reg");
}

/* The O_DIRECT alignment a volume asks for (mount dio_align), on a tmpfs
 * mount made to ask for 512 for the test. */
static void test_direct_alignment(void)
{
	int fd = (int)sys_open("/tmp/dio", O_CREAT | O_RDWR | O_DIRECT, 0644);
	CHECK(fd >= 0, "open O_DIRECT %d", fd);
	struct file *f = fd_file(fd);
	struct mount *m = f->inode->mnt;
	static char buf[4096] __attribute__((aligned(4096)));
	struct kstatx stx;
	CHECK_EQ(sys_statx(fd, "", AT_EMPTY_PATH, 0x2000, &stx), 0);
	CHECK_EQ(stx.stx_mask & 0x2000, 0);              /* tmpfs: no alignment to report */
	CHECK_EQ(sys_pwrite64(fd, buf + 1, 100, 3), 100);
	m->dio_align = 512;
	CHECK_EQ(sys_pwrite64(fd, buf, 512, 0), 512);
	CHECK_EQ(sys_pwrite64(fd, buf + 1, 512, 0), -EINVAL);
	CHECK_EQ(sys_pwrite64(fd, buf, 511, 0), -EINVAL);
	CHECK_EQ(sys_pwrite64(fd, buf, 512, 100), -EINVAL);
	CHECK_EQ(sys_pread64(fd, buf, 1024, 512), 0);     /* aligned, past the end */
	CHECK_EQ(sys_pread64(fd, buf + 8, 512, 0), -EINVAL);
	CHECK_EQ(sys_statx(AT_FDCWD, "/tmp/dio", 0, 0x2000, &stx), 0);
	CHECK(stx.stx_mask & 0x2000, "DIOALIGN reported");
	CHECK_EQ(stx.stx_dio_mem_align, 512);
	CHECK_EQ(stx.stx_dio_offset_align, 512);
	CHECK_EQ(sys_statx(AT_FDCWD, "/tmp/dio", 0, STATX_BASIC_STATS, &stx), 0);
	CHECK_EQ(stx.stx_mask & 0x2000, 0);              /* only when asked */
	int plain = (int)sys_open("/tmp/dio", O_RDWR, 0);
	CHECK_EQ(sys_pwrite64(plain, buf + 1, 3, 1), 3);  /* without O_DIRECT: any alignment */
	m->dio_align = 0;
	file_put(f);
	sys_close(plain);
	sys_close(fd);
	sys_unlink("/tmp/dio");
}

void suite_locks(void)
{
	RUN(test_direct_alignment);
	RUN(test_link_counts);
	RUN(test_tmpfile);
	RUN(test_record_locks);
	RUN(test_flock);
	RUN(test_chown_mknod_sync);
}
