/* The fd table, devfs, the console, fcntl, ioctl, readv/writev, sendfile. */
#include <string.h>
#include "test.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030

static void test_console_fds(void)
{
	shim_console.out.len = shim_console.err.len = 0;
	CHECK_EQ(sys_write(1, "out", 3), 3);
	CHECK_EQ(sys_write(2, "err!", 4), 4);
	CHECK(shim_console.out.len == 3 && !memcmp(shim_console.out.data, "out", 3), "stdout on COM1");
	CHECK(shim_console.err.len == 4 && !memcmp(shim_console.err.data, "err!", 4), "stderr on COM2");
	struct kiovec iov[3] = { { "a", 1 }, { "", 0 }, { "bc", 2 } };
	CHECK_EQ(sys_writev(1, iov, 3), 3);
	CHECK(shim_console.out.len == 6 && !memcmp(shim_console.out.data + 3, "abc", 3), "writev");
	shim_console.in = "typed";
	shim_console.in_len = 5;
	shim_console.in_pos = 0;
	char buf[16];
	CHECK_EQ(sys_read(0, buf, sizeof(buf)), 5);
	CHECK_EQ(sys_read(0, buf, sizeof(buf)), 0);
	CHECK_EQ(sys_lseek(1, 0, SEEK_CUR), -ESPIPE);
	CHECK_EQ(sys_pread64(0, buf, 1, 0), -ESPIPE);
	struct kstat st;
	CHECK_EQ(sys_fstat(1, &st), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFCHR);
	CHECK_EQ(st.st_rdev, makedev64(4, 64));
	CHECK_EQ(sys_fstat(2, &st), 0);
	CHECK_EQ(st.st_rdev, makedev64(4, 65));
	/* not a terminal: a byte stream, as under `docker run` without -t */
	char termios[64];
	CHECK_EQ(sys_ioctl(0, 0x5401, (unsigned long)termios), -ENOTTY);
	CHECK_EQ(sys_ioctl(1, 0x5401, (unsigned long)termios), -ENOTTY);
	uint16_t ws[4];
	CHECK_EQ(sys_ioctl(1, 0x5413, (unsigned long)ws), -ENOTTY);
	CHECK_EQ(sys_ioctl(1, 0x1234, 0), -ENOTTY);
	/* input pending, FIONREAD, O_NONBLOCK while more is to come */
	shim_console.in = "abc";
	shim_console.in_len = 3;
	shim_console.in_pos = 0;
	shim_console.more = 1;
	int pending = -1;
	CHECK_EQ(sys_ioctl(0, 0x541B, (unsigned long)&pending), 0);
	CHECK_EQ(pending, 3);
	CHECK_EQ(sys_read(0, buf, 2), 2);
	CHECK_EQ(sys_fcntl(0, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(sys_read(0, buf, sizeof(buf)), 1);
	CHECK_EQ(sys_read(0, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(sys_fcntl(0, F_SETFL, 0), 0);
	shim_console.more = 0;
	CHECK_EQ(sys_read(0, buf, sizeof(buf)), 0);
	int fd = (int)sys_open("/hello.txt", O_RDONLY, 0);
	CHECK_EQ(sys_ioctl(fd, 0x5401, (unsigned long)termios), -ENOTTY);
	int avail = -1;
	CHECK_EQ(sys_ioctl(fd, 0x541B, (unsigned long)&avail), 0);   /* FIONREAD */
	CHECK_EQ(avail, 12);
	int on = 1;
	CHECK_EQ(sys_ioctl(fd, 0x5421, (unsigned long)&on), 0);      /* FIONBIO */
	CHECK(sys_fcntl(fd, F_GETFL, 0) & O_NONBLOCK, "FIONBIO sets O_NONBLOCK");
	CHECK_EQ(sys_ioctl(fd, 0x5413, 0), -EFAULT);
	sys_close(fd);
	CHECK_EQ(sys_ioctl(77, 0x5401, (unsigned long)termios), -EBADF);
}

static void test_devices(void)
{
	char buf[64];
	int fd = (int)sys_open("/dev/null", O_RDWR, 0);
	CHECK_EQ(sys_read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(sys_write(fd, "x", 1), 1);
	sys_close(fd);
	fd = (int)sys_open("/dev/zero", O_RDONLY, 0);
	memset(buf, 1, sizeof(buf));
	CHECK_EQ(sys_read(fd, buf, sizeof(buf)), 64);
	CHECK(buf[0] == 0 && buf[63] == 0, "zeros");
	sys_close(fd);
	fd = (int)sys_open("/dev/urandom", O_RDONLY, 0);
	char a[32] = { 0 }, b[32] = { 0 };
	CHECK_EQ(sys_read(fd, a, 32), 32);
	CHECK_EQ(sys_read(fd, b, 32), 32);
	CHECK(memcmp(a, b, 32), "random differs");
	sys_close(fd);
	fd = (int)sys_open("/dev/full", O_WRONLY, 0);
	CHECK_EQ(sys_write(fd, "x", 1), -ENOSPC);
	sys_close(fd);
	struct kstat st;
	CHECK_EQ(sys_stat("/dev/null", &st), 0);
	CHECK_EQ(st.st_mode, S_IFCHR | 0666);
	CHECK_EQ(st.st_rdev, makedev64(1, 3));
	CHECK_EQ(sys_stat("/dev/nope", &st), -ENOENT);
	CHECK_EQ(sys_open("/dev/newfile", O_CREAT | O_RDWR, 0600), -EPERM);
	/* list /dev */
	fd = (int)sys_open("/dev", O_RDONLY | O_DIRECTORY, 0);
	char dbuf[1024];
	long n = sys_getdents64(fd, dbuf, sizeof(dbuf));
	int count = 0, has_urandom = 0;
	for (long off = 0; off < n;) {
		struct linux_dirent64 *d = (struct linux_dirent64 *)(dbuf + off);
		count++;
		has_urandom |= !strcmp(d->d_name, "urandom") && d->d_type == DT_CHR;
		off += d->d_reclen;
	}
	CHECK(count >= 10 && has_urandom, "/dev has %d entries", count);
	sys_close(fd);
}

static void test_dup_and_fcntl(void)
{
	int fd = (int)sys_open("/hello.txt", O_RDONLY | O_CLOEXEC, 0);
	CHECK(fd >= 3, "fd %d", fd);
	CHECK_EQ(sys_fcntl(fd, F_GETFD, 0), 1);
	CHECK_EQ(sys_fcntl(fd, F_GETFL, 0), O_RDONLY | O_LARGEFILE);
	int d = (int)sys_dup(fd);
	CHECK(d > fd, "dup %d", d);
	CHECK_EQ(sys_fcntl(d, F_GETFD, 0), 0);
	/* shared offset */
	char buf[8];
	CHECK_EQ(sys_read(fd, buf, 5), 5);
	CHECK_EQ(sys_lseek(d, 0, SEEK_CUR), 5);
	CHECK_EQ(sys_dup2(fd, 100), 100);
	CHECK_EQ(sys_dup2(100, 100), 100);
	CHECK_EQ(sys_dup2(555, 100), -EBADF);
	CHECK_EQ(sys_dup3(fd, 100, 0), 100);
	CHECK_EQ(sys_dup3(fd, fd, 0), -EINVAL);
	CHECK_EQ(sys_dup3(fd, 101, O_CLOEXEC), 101);
	CHECK_EQ(sys_fcntl(101, F_GETFD, 0), 1);
	CHECK_EQ(sys_dup3(fd, 102, 1), -EINVAL);
	CHECK_EQ(sys_dup2(fd, 1024), -EBADF);
	CHECK_EQ(sys_fcntl(fd, F_DUPFD, 50), 50);
	CHECK_EQ(sys_fcntl(fd, F_DUPFD_CLOEXEC, 50), 51);
	CHECK_EQ(sys_fcntl(51, F_GETFD, 0), 1);
	CHECK_EQ(sys_fcntl(fd, F_SETFD, 0), 0);
	CHECK_EQ(sys_fcntl(fd, F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND | O_RDWR), 0);
	CHECK_EQ(sys_fcntl(fd, F_GETFL, 0), O_RDONLY | O_LARGEFILE | O_NONBLOCK | O_APPEND);
	CHECK_EQ(sys_fcntl(fd, 9999, 0), -EINVAL);
	CHECK_EQ(sys_fcntl(999, F_GETFD, 0), -EBADF);
	int fds[] = { fd, d, 100, 101, 50, 51 };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		CHECK_EQ(sys_close(fds[i]), 0);
	CHECK_EQ(sys_close(fd), -EBADF);
	CHECK_EQ(sys_close(-1), -EBADF);
	/* the table is bounded */
	int last = 0, n = 0;
	for (;;) {
		int k = (int)sys_open("/hello.txt", O_RDONLY, 0);
		if (k < 0) {
			CHECK_EQ(k, -EMFILE);
			break;
		}
		last = k;
		n++;
	}
	CHECK_EQ(last, NR_OPEN - 1);
	for (int k = 3; k <= last; k++)
		sys_close(k);
	(void)n;
	/* close-on-exec sweep */
	int c = (int)sys_open("/hello.txt", O_RDONLY | O_CLOEXEC, 0), k2 = (int)sys_open("/hello.txt", O_RDONLY, 0);
	fd_close_on_exec();
	CHECK_EQ(sys_fcntl(c, F_GETFD, 0), -EBADF);
	CHECK_EQ(sys_fcntl(k2, F_GETFD, 0), 0);
	sys_close(k2);
}

static void test_vectors_and_sendfile(void)
{
	int fd = (int)sys_open("/tmp/vec", O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct kiovec w[2] = { { "hello ", 6 }, { "vectors", 7 } };
	CHECK_EQ(sys_writev(fd, w, 2), 13);
	char a[4], b[32] = { 0 };
	struct kiovec r[2] = { { a, 4 }, { b, 32 } };
	CHECK_EQ(sys_preadv(fd, r, 2, 0), 13);
	CHECK(!memcmp(a, "hell", 4) && !strcmp(b, "o vectors"), "preadv");
	CHECK_EQ(sys_lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(sys_readv(fd, r, 2), 13);
	CHECK_EQ(sys_readv(fd, r, -1), -EINVAL);
	CHECK_EQ(sys_pwritev(fd, w, 1, 100), 6);
	struct kstat st;
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_size, 106);
	/* sendfile from ext2 to tmpfs */
	int in = (int)sys_open("/sizes/s102400", O_RDONLY, 0);
	off_t off = 100;
	CHECK_EQ(sys_ftruncate(fd, 0), 0);
	CHECK_EQ(sys_lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(sys_sendfile(fd, in, &off, 50000), 50000);
	CHECK_EQ(off, 50100);
	CHECK_EQ(sys_lseek(in, 0, SEEK_CUR), 0);
	CHECK_EQ(sys_sendfile(fd, in, NULL, 1000000), 102400);
	CHECK_EQ(sys_lseek(in, 0, SEEK_CUR), 102400);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_size, 152400);
	size_t hl;
	char *hb = host_read(srcpath(g_src, "/sizes/s102400"), &hl);
	static char back[152400];
	CHECK_EQ(sys_pread64(fd, back, sizeof(back), 0), 152400);
	CHECK(!memcmp(back, hb + 100, 50000) && !memcmp(back + 50000, hb, 102400), "sendfile data");
	free(hb);
	sys_close(in);
	sys_close(fd);
	CHECK_EQ(sys_read(3, (void *)0, 10), -EFAULT);
	CHECK_EQ(sys_write(1, (void *)0xffff800000000000UL, 10), -EFAULT);
	CHECK_EQ(sys_write(1, (void *)0, 0), 0);
}

static void test_open_flags(void)
{
	CHECK_EQ(sys_open("/a", O_RDWR, 0), -EISDIR);   /* as Linux: EISDIR before EROFS */
	CHECK_EQ(sys_open("/hello.txt", O_RDWR, 0), -EROFS);
	CHECK_EQ(sys_open("/tmp", O_WRONLY, 0), -EISDIR);
	CHECK_EQ(sys_open("/tmp", O_RDONLY | O_CREAT, 0), -EISDIR);
	CHECK_EQ(sys_open("/hello.txt", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	CHECK_EQ(sys_open("/hello.txt", 3, 0), -EINVAL);
	CHECK_EQ(sys_open("/tmp", O_TMPFILE | O_RDONLY, 0600), -EINVAL);   /* O_TMPFILE needs write access */
	int fd = (int)sys_openat(AT_FDCWD, "tmp/../hello.txt", O_RDONLY, 0);
	CHECK(fd >= 0, "relative open %d", fd);
	sys_close(fd);
	fd = (int)sys_open("/tmp/wo", O_WRONLY | O_CREAT, 0600);
	char c;
	CHECK_EQ(sys_read(fd, &c, 1), -EBADF);
	sys_close(fd);
	fd = (int)sys_creat("/tmp/wo", 0600);
	CHECK(fd >= 0, "creat %d", fd);
	sys_close(fd);
}

static void test_xattrs(void)
{
	char buf[64];
	CHECK_EQ(sys_lgetxattr("/hello.txt", "security.selinux", buf, sizeof(buf)), -ENODATA);
	CHECK_EQ(sys_getxattr("/nope", "user.x", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(sys_llistxattr("/dangling", buf, sizeof(buf)), 0);
	CHECK_EQ(sys_listxattr("/dangling", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(sys_setxattr("/tmp", "user.x", "v", 1, 0), -EOPNOTSUPP);
	CHECK_EQ(sys_fgetxattr(1, "user.x", buf, sizeof(buf)), -ENODATA);
	CHECK_EQ(sys_fgetxattr(99, "user.x", buf, sizeof(buf)), -EBADF);
}

void suite_fd(void)
{
	RUN(test_xattrs);
	RUN(test_console_fds);
	RUN(test_devices);
	RUN(test_dup_and_fcntl);
	RUN(test_vectors_and_sendfile);
	RUN(test_open_flags);
}
