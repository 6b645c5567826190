/* inotify on each filesystem the host build has: the read-only ext2 root
 * (opens and reads) and tmpfs (namespace changes), through the syscall
 * entry points; and that watches let go of their inodes. */
#include <string.h>
#include "test.h"
#include "rump/fs/notify.h"

/* Every queued event as "wd mask name;" (the instance is non-blocking). */
static void events(int fd, char *out, size_t cap)
{
	char buf[4096];
	size_t used = 0;
	out[0] = 0;
	for (;;) {
		long n = sys_read(fd, buf, sizeof(buf));
		if (n <= 0) {
			CHECK(n == -EAGAIN, "read: %ld", n);
			return;
		}
		for (long off = 0; off < n;) {
			int32_t wd;
			uint32_t mask, len;
			memcpy(&wd, buf + off, 4);
			memcpy(&mask, buf + off + 4, 4);
			memcpy(&len, buf + off + 12, 4);
			used += (size_t)snprintf(out + used, cap - used, "%d %x %s;", wd, mask, len ? buf + off + 16 : "");
			off += 16 + len;
		}
	}
}

#define EXPECT_EVENTS(fd, want) do { \
	char _got[2048]; \
	events(fd, _got, sizeof(_got)); \
	CHECK(!strcmp(_got, want), "events \"%s\", expected \"%s\"", _got, want); \
} while (0)

static void test_notify_ext2_root(void)
{
	int in = k_inotify_init1(O_NONBLOCK);
	CHECK(in >= 0, "init1: %d", in);
	int wd = k_inotify_add_watch(in, "/a/b/c/d/e", IN_ALL_EVENTS);
	int wf = k_inotify_add_watch(in, "/hello.txt", IN_OPEN | IN_ACCESS | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
	CHECK_EQ(wd, 1);
	CHECK_EQ(wf, 2);
	long fd = sys_open("/a/b/c/d/e/deep.txt", O_RDONLY, 0);
	char buf[64];
	CHECK_EQ(sys_read(fd, buf, sizeof(buf)), 5);
	sys_close(fd);
	EXPECT_EVENTS(in, "1 20 deep.txt;1 1 deep.txt;1 10 deep.txt;");
	fd = sys_open("/hello.txt", O_RDONLY, 0);
	CHECK_EQ(sys_read(fd, buf, 1), 1);
	CHECK_EQ(sys_read(fd, buf, 1), 1);     /* merged with the first ACCESS */
	sys_close(fd);
	EXPECT_EVENTS(in, "2 20 ;2 1 ;2 10 ;");
	CHECK_EQ(k_inotify_add_watch(in, "/a/b/c/d/e/deep.txt", IN_MODIFY | IN_ONLYDIR), -ENOTDIR);
	CHECK_EQ(k_inotify_rm_watch(in, wd), 0);
	EXPECT_EVENTS(in, "1 8000 ;");
	CHECK_EQ(sys_close(in), 0);
	CHECK_EQ(notify_nwatches, 0);
}

static void test_notify_tmpfs(void)
{
	int in = k_inotify_init1(O_NONBLOCK);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, "/tmp/nt", 0755), 0);
	int wd = k_inotify_add_watch(in, "/tmp/nt", IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY);
	long fd = sys_open("/tmp/nt/f", O_CREAT | O_WRONLY, 0644);
	CHECK_EQ(sys_write(fd, "abc", 3), 3);
	sys_close(fd);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/nt/f", AT_FDCWD, "/tmp/nt/g", 0), 0);
	CHECK_EQ(sys_mkdirat(AT_FDCWD, "/tmp/nt/d", 0755), 0);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, "/tmp/nt/d", AT_REMOVEDIR), 0);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, "/tmp/nt/g", 0), 0);
	char got[2048];
	events(in, got, sizeof(got));
	/* the cookies are not compared: mask 40 and 80 with the names */
	CHECK(!strcmp(got, "1 100 f;1 2 f;1 40 f;1 80 g;1 40000100 d;1 40000200 d;1 200 g;"), "events \"%s\"", got);
	CHECK_EQ(wd, 1);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, "/tmp/nt", AT_REMOVEDIR), 0);
	EXPECT_EVENTS(in, "1 8000 ;");      /* the watch went with the directory */
	CHECK_EQ(notify_nwatches, 0);
	sys_close(in);
}

/* Closing an instance drops its watches and their inode references. */
static void test_notify_release(void)
{
	long fd = sys_open("/tmp/nr", O_CREAT | O_WRONLY, 0644);
	sys_close(fd);
	int in = k_inotify_init1(O_NONBLOCK);
	CHECK_EQ(k_inotify_add_watch(in, "/tmp/nr", IN_ALL_EVENTS), 1);
	CHECK_EQ(k_inotify_add_watch(in, "/tmp", IN_ALL_EVENTS), 2);
	CHECK_EQ(notify_nwatches, 2);
	sys_close(in);
	CHECK_EQ(notify_nwatches, 0);
	CHECK_EQ(sys_unlinkat(AT_FDCWD, "/tmp/nr", 0), 0);
	CHECK_EQ(k_inotify_init1(0x10), -EINVAL);
}

void suite_notify(void)
{
	RUN(test_notify_ext2_root);
	RUN(test_notify_tmpfs);
	RUN(test_notify_release);
}
