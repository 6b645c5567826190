/* main, and the path-walk tests: ".", "..", mounts, symlinks, trailing
 * slashes, dirfds, cwd. */
#include <string.h>
#include "test.h"

int t_failed_checks;
static int passed, failed;
const char *g_img, *g_src, *g_expect, *g_img2, *g_src2;

void run_test(const char *name, void (*fn)(void))
{
	int before = t_failed_checks;
	fn();
	if (t_failed_checks == before) {
		passed++;
		printf("ok   %s\n", name);
	} else {
		failed++;
		printf("FAIL %s\n", name);
	}
	fflush(stdout);
}

const char *srcpath(const char *root, const char *rel)
{
	static char buf[4][8192];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s%s", root, rel);
	return buf[k];
}

char *kread_all(const char *path, size_t *len, long *err)
{
	int fd = (int)sys_open(path, O_RDONLY, 0);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	struct kstat st;
	sys_fstat(fd, &st);
	char *b = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	for (;;) {
		/* odd chunk sizes cross block boundaries in every way */
		size_t want = MIN((size_t)st.st_size + 1 - got, (size_t)12345);
		long r = sys_read(fd, b + got, want);
		if (r < 0) {
			*err = r;
			free(b);
			sys_close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	sys_close(fd);
	*len = got;
	*err = 0;
	return b;
}

/* ino of PATH (following symlinks), or the negative error */
static long ino_of(const char *path)
{
	struct kstat st;
	long r = sys_stat(path, &st);
	return r ? r : (long)st.st_ino;
}

static void test_dots_and_dotdot(void)
{
	long root = ino_of("/");
	CHECK_EQ(root, 2);
	CHECK_EQ(ino_of("/.."), root);
	CHECK_EQ(ino_of("/../../.."), root);
	CHECK_EQ(ino_of("//a//b/../.."), root);
	CHECK_EQ(ino_of("/a/b/c/./d/../../c/d/e/../../../../"), ino_of("/a"));
	CHECK_EQ(ino_of("/a/b/c/d/e/deep.txt"), ino_of("/a/./b/c/../c/d/e/deep.txt"));
	CHECK_EQ(ino_of("/nope"), -ENOENT);
	CHECK_EQ(ino_of("/nope/.."), -ENOENT);
	CHECK_EQ(ino_of("/hello.txt/.."), -ENOTDIR);
	CHECK_EQ(ino_of(""), -ENOENT);
}

static void test_mount_crossing(void)
{
	struct kstat root, tmp, tmpup, dev, devup;
	CHECK_EQ(sys_stat("/", &root), 0);
	CHECK_EQ(sys_stat("/tmp", &tmp), 0);
	CHECK_EQ(sys_stat("/tmp/..", &tmpup), 0);
	CHECK_EQ(sys_stat("/dev", &dev), 0);
	CHECK_EQ(sys_stat("/dev/../dev/..", &devup), 0);
	CHECK(tmp.st_dev != root.st_dev, "tmpfs is mounted on /tmp");
	CHECK_EQ(tmp.st_ino, 1);
	CHECK_EQ(tmp.st_mode, S_IFDIR | 01777);
	CHECK_EQ(tmpup.st_ino, root.st_ino);
	CHECK_EQ(tmpup.st_dev, root.st_dev);
	CHECK_EQ(devup.st_ino, root.st_ino);
	CHECK(dev.st_dev != root.st_dev && dev.st_dev != tmp.st_dev, "devfs has its own dev");
	/* a symlink into a mount, and ".." back out of it */
	struct kstat t2;
	CHECK_EQ(sys_stat("/tmplink", &t2), 0);
	CHECK_EQ(t2.st_dev, tmp.st_dev);
	CHECK_EQ(ino_of("/tmplink/../hello.txt"), ino_of("/hello.txt"));
}

static void test_symlinks(void)
{
	struct kstat st, lst;
	CHECK_EQ(sys_stat("/a/b/link_rel/d/e/deep.txt", &st), 0);
	CHECK_EQ(sys_stat("/a/abs_link/e/deep.txt", &st), 0);
	CHECK_EQ(sys_stat("/a/file_link", &st), 0);
	CHECK_EQ(st.st_size, 12);
	CHECK_EQ(sys_lstat("/a/file_link", &lst), 0);
	CHECK_EQ(lst.st_mode & S_IFMT, S_IFLNK);
	CHECK_EQ(lst.st_size, strlen("../hello.txt"));
	CHECK_EQ(sys_stat("/dangling", &st), -ENOENT);
	CHECK_EQ(sys_lstat("/dangling", &st), 0);
	CHECK_EQ(sys_stat("/loop1", &st), -ELOOP);
	CHECK_EQ(sys_lstat("/loop1", &st), 0);
	CHECK_EQ(sys_stat("/chain1", &st), 0);
	CHECK_EQ(st.st_ino, ino_of("/hello.txt"));
	CHECK_EQ(sys_stat("/slowlink", &st), 0);
	CHECK_EQ(st.st_ino, ino_of("/a/b/c/d/e/deep.txt"));
	CHECK_EQ(ino_of("/selfdir/selfdir/selfdir/hello.txt"), ino_of("/hello.txt"));
	/* 40 links are followed, the 41st is ELOOP */
	CHECK_EQ(ino_of("/ln/l1"), ino_of("/hello.txt"));
	CHECK_EQ(ino_of("/ln/l0"), -ELOOP);
	char buf[256];
	CHECK_EQ(sys_readlink("/a/abs_link", buf, sizeof(buf)), 8);
	CHECK(!memcmp(buf, "/a/b/c/d", 8), "readlink target");
	CHECK_EQ(sys_readlink("/a/abs_link", buf, 3), 3);
	CHECK_EQ(sys_readlink("/hello.txt", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(sys_readlink("/a/abs_link", buf, 0), -EINVAL);
	/* O_NOFOLLOW and O_PATH */
	CHECK_EQ(sys_open("/a/file_link", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
	long fd = sys_open("/a/file_link", O_PATH | O_NOFOLLOW, 0);
	CHECK(fd >= 0, "O_PATH|O_NOFOLLOW opens the link: %ld", fd);
	CHECK_EQ(sys_read((int)fd, buf, 1), -EBADF);
	CHECK_EQ(sys_newfstatat((int)fd, "", &st, AT_EMPTY_PATH), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFLNK);
	sys_close((int)fd);
	/* /proc/self/exe answers the running program */
	long n = sys_readlink("/proc/self/exe", buf, sizeof(buf));
	CHECK(n == (long)strlen(shim_exe_path) && !memcmp(buf, shim_exe_path, (size_t)n), "exe path");
	CHECK_EQ(ino_of("/proc/self/exe"), ino_of("/app/bin/node"));
}

static void test_trailing_slash(void)
{
	struct kstat st;
	CHECK_EQ(sys_stat("/hello.txt/", &st), -ENOTDIR);
	CHECK_EQ(sys_stat("/a/", &st), 0);
	CHECK_EQ(sys_lstat("/a/abs_link/", &st), 0);   /* a trailing slash follows */
	CHECK_EQ(st.st_mode & S_IFMT, S_IFDIR);
	CHECK_EQ(sys_lstat("/a/file_link/", &st), -ENOTDIR);
	CHECK_EQ(sys_open("/hello.txt/", O_RDONLY, 0), -ENOTDIR);
	CHECK_EQ(sys_open("/tmp/newfile/", O_RDWR | O_CREAT, 0644), -EISDIR);
	CHECK_EQ(sys_mkdir("/tmp/slashdir/", 0755), 0);
	CHECK_EQ(sys_rmdir("/tmp/slashdir/"), 0);
	long fd = sys_open("/tmp/f", O_CREAT | O_RDWR, 0644);
	sys_close((int)fd);
	CHECK_EQ(sys_unlink("/tmp/f/"), -ENOTDIR);
	CHECK_EQ(sys_rename("/tmp/f/", "/tmp/g"), -ENOTDIR);
	CHECK_EQ(sys_unlink("/tmp/f"), 0);
}

static void test_dirfd_and_cwd(void)
{
	char buf[PATH_MAX];
	CHECK_EQ(sys_getcwd(buf, sizeof(buf)), 2);
	CHECK(!strcmp(buf, "/"), "cwd %s", buf);
	long dfd = sys_open("/a/b", O_RDONLY | O_DIRECTORY, 0);
	CHECK(dfd >= 0, "open dir %ld", dfd);
	struct kstat st;
	CHECK_EQ(sys_newfstatat((int)dfd, "c/d/e/deep.txt", &st, 0), 0);
	CHECK_EQ(sys_newfstatat((int)dfd, "../../hello.txt", &st, 0), 0);
	CHECK_EQ(sys_newfstatat((int)dfd, "/hello.txt", &st, 0), 0);   /* absolute ignores dirfd */
	long ffd = sys_open("/hello.txt", O_RDONLY, 0);
	CHECK_EQ(sys_newfstatat((int)ffd, "x", &st, 0), -ENOTDIR);
	CHECK_EQ(sys_newfstatat(999, "x", &st, 0), -EBADF);
	CHECK_EQ(sys_newfstatat((int)ffd, "", &st, AT_EMPTY_PATH), 0);
	CHECK_EQ(st.st_size, 12);
	sys_close((int)ffd);
	/* chdir through a symlink: getcwd answers the real path */
	CHECK_EQ(sys_chdir("/a/b/link_rel/d"), 0);
	CHECK(sys_getcwd(buf, sizeof(buf)) > 0 && !strcmp(buf, "/a/b/c/d"), "cwd %s", buf);
	CHECK_EQ(sys_newfstatat(AT_FDCWD, "e/deep.txt", &st, 0), 0);
	CHECK_EQ(sys_chdir("../../../../tmp"), 0);
	CHECK(sys_getcwd(buf, sizeof(buf)) > 0 && !strcmp(buf, "/tmp"), "cwd %s", buf);
	CHECK_EQ(sys_getcwd(buf, 4), -ERANGE);
	CHECK_EQ(sys_chdir(".."), 0);
	CHECK(sys_getcwd(buf, sizeof(buf)) > 0 && !strcmp(buf, "/"), "cwd %s", buf);
	CHECK_EQ(sys_fchdir((int)dfd), 0);
	CHECK(sys_getcwd(buf, sizeof(buf)) > 0 && !strcmp(buf, "/a/b"), "cwd %s", buf);
	CHECK_EQ(sys_chdir("/hello.txt"), -ENOTDIR);
	CHECK_EQ(sys_chdir("/"), 0);
	sys_close((int)dfd);
}

static void test_name_limits(void)
{
	char name[300], path[PATH_MAX + 10];
	memset(name, 'n', 255);
	name[255] = 0;
	struct kstat st;
	snprintf(path, sizeof(path), "/long/%s", name);
	CHECK_EQ(sys_stat(path, &st), 0);
	memset(name, 'n', 256);
	name[256] = 0;
	snprintf(path, sizeof(path), "/long/%s", name);
	CHECK_EQ(sys_stat(path, &st), -ENAMETOOLONG);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[PATH_MAX + 5] = 0;
	CHECK_EQ(sys_stat(path, &st), -ENAMETOOLONG);
	CHECK_EQ(sys_stat("/utf8/ünïcödé", &st), 0);
	CHECK_EQ(sys_stat((const char *)0, &st), -EFAULT);
	CHECK_EQ(sys_stat((const char *)0xffff800000001000UL, &st), -EFAULT);
}

void suite_walk(void)
{
	RUN(test_dots_and_dotdot);
	RUN(test_mount_crossing);
	RUN(test_symlinks);
	RUN(test_trailing_slash);
	RUN(test_dirfd_and_cwd);
	RUN(test_name_limits);
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: khost IMAGE SRC DEBUGFS_OUT IMAGE2 SRC2 [overlay]\n");
		return 2;
	}
	g_img = argv[1];
	g_src = argv[2];
	g_expect = argv[3];
	g_img2 = argv[4];
	g_src2 = argv[5];
	/* The image's root read-only, as readonly-root boots it; "overlay": with
	 * the writable layer over it, as a plain boot has it. */
	bool overlay = argc > 6 && !strcmp(argv[6], "overlay");
	boot_opts.readonly_root = !overlay;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!blkfile_open(g_img, 0) || !blkfile_open(g_img2, 0)) {
		fprintf(stderr, "cannot open the images\n");
		return 2;
	}
	int err = vfs_init();
	if (err) {
		fprintf(stderr, "vfs_init: %d\n", err);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	if (overlay) {
		suite_overlay();
	} else {
		suite_walk();
		suite_ext2();
		suite_tmpfs();
		suite_fd();
		suite_proc();
		suite_locks();
		suite_notify();
		suite_ext2w();
		suite_v9fs();
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
