/* Writable ext4-compatible volumes: volumes made by the CLI's mke2fs command
 * are mounted read-write, worked on through the syscalls (files big and
 * sparse, deep trees, every kind of rename, links, unlink while open,
 * truncate, fallocate, ENOSPC), closed, and then judged by the real tools:
 * e2fsck -fn must be clean and debugfs must see exactly the bytes and tree
 * the test's model holds. Also a "crash" (the image copied while mounted,
 * after a commit) mounts again and is clean after. */
#include <string.h>
#include <unistd.h>
#include <stdarg.h>
#include <sys/wait.h>
#include "test.h"
#include "rump/fs/ext2.h"
#include "rump/include/mm.h"

#define FALLOC_FL_KEEP_SIZE 1
#define FALLOC_FL_PUNCH_HOLE 2

static const char *vol_img, *small_img, *work;
static int vol_index = 0;
static char dev_vol[16], dev_small[16], dev_crash[16], dev_extent[16];   /* disk names */
#include "rump/include/blk.h"

/* ---- the model: what each regular file must hold ---- */
struct mfile { char path[256]; unsigned char *data; size_t len; };
static struct mfile model[2048];
static int nmodel;

static struct mfile *mfind(const char *path)
{
	for (int i = 0; i < nmodel; i++)
		if (!strcmp(model[i].path, path))
			return &model[i];
	return NULL;
}

static void mset(const char *path, const void *data, size_t len)
{
	struct mfile *m = mfind(path);
	if (!m) {
		m = &model[nmodel++];
		m->data = NULL;
		snprintf(m->path, sizeof m->path, "%s", path);
	}
	free(m->data);
	m->data = malloc(len ? len : 1);
	memcpy(m->data, data, len);
	m->len = len;
}

static void mdel(const char *path)
{
	struct mfile *m = mfind(path);
	if (m) {
		free(m->data);
		*m = model[--nmodel];
	}
}

static void mrename(const char *from, const char *to)
{
	mdel(to);
	struct mfile *m = mfind(from);
	if (m)
		snprintf(m->path, sizeof m->path, "%s", to);
}

/* Rename every model path under directory FROM to be under TO. */
static void mrename_dir(const char *from, const char *to)
{
	size_t n = strlen(from);
	for (int i = 0; i < nmodel; i++)
		if (!strncmp(model[i].path, from, n) && model[i].path[n] == '/') {
			char buf[256];
			snprintf(buf, sizeof buf, "%s%s", to, model[i].path + n);
			snprintf(model[i].path, sizeof model[i].path, "%s", buf);
		}
}

/* ---- helpers through the syscalls ---- */

static long put_file(const char *path, const void *data, size_t len)
{
	int fd = (int)sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fd;
	long r = sys_write(fd, data, len);
	sys_close(fd);
	if (r == (long)len)
		mset(path, data, len);
	return r;
}

static unsigned char *pattern(size_t len, unsigned seed)
{
	unsigned char *b = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (unsigned char)(x >> 16);
	}
	return b;
}

/* Mount disk NAME read-write (or RO) on directory AT. */
static int mount_vol(const char *name, const char *at, bool ro)
{
	long e = sys_mkdir(at, 0755);
	if (e && e != -EEXIST)
		return (int)e;
	struct mount *m;
	int err = ext2_mount_volume(name, ro, makedev64(0, 60 + vol_index++), &m);
	if (err)
		return err;
	struct nameidata nd;
	vfs_lock();
	err = path_walk(AT_FDCWD, at, WALK_FOLLOW | WALK_DIRECTORY, &nd);
	if (!err)
		err = mount_attach(m, nd.ino);
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* Run a shell command; its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : 255;
}

static int fsck_clean(const char *img)
{
	int r = sh("e2fsck -fn '%s' >'%s/fsck.log' 2>&1", img, work);
	if (r)
		sh("cat '%s/fsck.log' >&2", work);
	return r;
}

/* A new name for OLD (the VFS's link op, as linkat will call it). */
static int klink(const char *old, const char *new)
{
	struct nameidata on, nn;
	vfs_lock();
	int err = path_walk(AT_FDCWD, old, 0, &on);
	if (!err) {
		err = path_walk(AT_FDCWD, new, WALK_PARENT, &nn);
		if (!err)
			err = iop_link(nn.ino, nn.last, nn.lastlen, on.ino);
		nd_done(&nn);
	}
	nd_done(&on);
	vfs_unlock();
	return err;
}

/* chgrp through setattr (no chown syscall in this tree yet). */
static int kchgrp(const char *path, uint32_t gid)
{
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(AT_FDCWD, path, 0, &nd);
	if (!err) {
		nd.ino->gid = gid;
		err = iop_setattr(nd.ino);
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* ---- the workloads ---- */

static void test_mount_and_small_files(void)
{
	CHECK_EQ(mount_vol(dev_vol, "/tmp/vol", false), 0);
	struct mount *again;
	CHECK_EQ(ext2_mount_volume(dev_vol, false, 0, &again), -EBUSY);
	struct kstatfs sf0, sf1;
	CHECK_EQ(sys_statfs("/tmp/vol", &sf0), 0);
	CHECK_EQ(sys_mkdir("/tmp/vol/many", 0755), 0);
	char path[64];
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof path, "/tmp/vol/many/file-%03d", i);
		unsigned char *d = pattern((size_t)i * 37, (unsigned)i);
		CHECK_EQ(put_file(path, d, (size_t)i * 37), i * 37);
		free(d);
	}
	CHECK_EQ(sys_statfs("/tmp/vol", &sf1), 0);
	CHECK(sf1.f_ffree == sf0.f_ffree - 301, "inodes used: %ld -> %ld", (long)sf0.f_ffree, (long)sf1.f_ffree);
	CHECK(sf1.f_bfree < sf0.f_bfree, "blocks used");
	/* readdir sees them all (plus . and ..) */
	int fd = (int)sys_open("/tmp/vol/many", O_RDONLY | O_DIRECTORY, 0);
	char buf[8192];
	int n = 0;
	long r;
	while ((r = sys_getdents64(fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < r; off += ((struct linux_dirent64 *)(buf + off))->d_reclen)
			n++;
	sys_close(fd);
	CHECK_EQ(n, 302);
	/* append and overwrite in place */
	fd = (int)sys_open("/tmp/vol/log", O_WRONLY | O_CREAT | O_APPEND, 0600);
	for (int i = 0; i < 1000; i++)
		sys_write(fd, "line of the log\n", 16);
	sys_close(fd);
	char *exp = malloc(16000);
	for (int i = 0; i < 1000; i++)
		memcpy(exp + i * 16, "line of the log\n", 16);
	mset("/tmp/vol/log", exp, 16000);
	fd = (int)sys_open("/tmp/vol/log", O_WRONLY, 0);
	CHECK_EQ(sys_pwrite64(fd, "LINE", 4, 4096 - 2), 4);
	memcpy(exp + 4094, "LINE", 4);
	mset("/tmp/vol/log", exp, 16000);
	sys_close(fd);
	free(exp);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/vol/log", &st), 0);
	CHECK_EQ(st.st_size, 16000);
	CHECK_EQ(st.st_blocks, 32);
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
}

static void test_big_and_sparse(void)
{
	/* 6 MiB: through the double indirect map */
	size_t big = 6u << 20;
	unsigned char *d = pattern(big, 99);
	int fd = (int)sys_open("/tmp/vol/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	size_t done = 0;
	while (done < big) {
		size_t c = MIN(big - done, (size_t)100000);
		CHECK_EQ(sys_write(fd, d + done, c), (long)c);
		done += c;
	}
	unsigned char *back = malloc(big);
	CHECK_EQ(sys_pread64(fd, back, big, 0), (long)big);
	CHECK(!memcmp(back, d, big), "big file reads back");
	struct kstat st;
	sys_fstat(fd, &st);
	/* data + 1 indirect + 1 double indirect + 1 of its children */
	CHECK_EQ(st.st_blocks, (long)(big / 512 + 3 * 8));
	sys_close(fd);
	mset("/tmp/vol/big", d, big);
	free(back);
	free(d);
	/* sparse: a byte at 0, at 1 MiB, and at 5 GiB (the triple indirect map) */
	fd = (int)sys_open("/tmp/vol/sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(sys_pwrite64(fd, "A", 1, 0), 1);
	CHECK_EQ(sys_pwrite64(fd, "B", 1, 1 << 20), 1);
	CHECK_EQ(sys_pwrite64(fd, "C", 1, 5LL << 30), 1);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_size, (5LL << 30) + 1);
	CHECK_EQ(st.st_blocks, (3 + 1 + 3) * 8);  /* 3 data, ind, tind and 2 below it */
	char c = 'x';
	CHECK_EQ(sys_pread64(fd, &c, 1, 3 << 20), 1);
	CHECK_EQ(c, 0);
	/* shrink into the hole below 5 GiB: the triple indirect tree goes */
	CHECK_EQ(sys_ftruncate(fd, 2 << 20), 0);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_blocks, (2 + 1) * 8);
	/* shrink inside the first block, then grow sparse again */
	CHECK_EQ(sys_ftruncate(fd, 1), 0);
	CHECK_EQ(sys_ftruncate(fd, 10000), 0);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_blocks, 8);
	char buf[16];
	CHECK_EQ(sys_pread64(fd, buf, 16, 0), 16);
	CHECK(buf[0] == 'A' && !buf[1], "truncated tail reads as zeros");
	sys_close(fd);
	unsigned char *exp = calloc(1, 10000);
	exp[0] = 'A';
	mset("/tmp/vol/sparse", exp, 10000);
	free(exp);
	/* a truncate shrinking the big file frees its double indirect blocks */
	struct kstatfs a, b;
	sys_statfs("/tmp/vol", &a);
	CHECK_EQ(sys_truncate("/tmp/vol/big", 4096 * 12 + 5), 0);
	sys_statfs("/tmp/vol", &b);
	CHECK_EQ((long)(b.f_bfree - a.f_bfree), (long)((big / 4096) - 13 + 2));
	struct mfile *m = mfind("/tmp/vol/big");
	m->len = 4096 * 12 + 5;
	/* too big */
	fd = (int)sys_open("/tmp/vol/sparse", O_RDWR, 0);
	CHECK_EQ(sys_pwrite64(fd, "x", 1, 1LL << 42), -EFBIG);
	CHECK_EQ(sys_ftruncate(fd, 1LL << 42), -EFBIG);
	sys_close(fd);
}

static void test_tree_and_links(void)
{
	char p[256] = "/tmp/vol";
	for (int i = 0; i < 12; i++) {
		size_t n = strlen(p);
		snprintf(p + n, sizeof p - n, "/d%d", i);
		CHECK_EQ(sys_mkdir(p, 0750), 0);
	}
	char f[300];
	snprintf(f, sizeof f, "%s/deep.txt", p);
	CHECK_EQ(put_file(f, "deep\n", 5), 5);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/vol/d0", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(st.st_mode, S_IFDIR | 0750);
	CHECK_EQ(sys_symlink("deep.txt", "/tmp/vol/fast"), 0);
	char longt[200];
	memset(longt, 'x', sizeof longt - 1);
	longt[sizeof longt - 1] = 0;
	memcpy(longt, "d0/", 3);
	CHECK_EQ(sys_symlink(longt, "/tmp/vol/slow"), 0);
	char buf[300];
	CHECK_EQ(sys_readlink("/tmp/vol/fast", buf, sizeof buf), 8);
	CHECK_EQ(sys_readlink("/tmp/vol/slow", buf, sizeof buf), 199);
	CHECK(!memcmp(buf, longt, 199), "slow symlink target");
	CHECK_EQ(sys_lstat("/tmp/vol/slow", &st), 0);
	CHECK_EQ(st.st_blocks, 8);
	/* hard links */
	CHECK_EQ(put_file("/tmp/vol/h1", "linked", 6), 6);
	CHECK_EQ(klink("/tmp/vol/h1", "/tmp/vol/d0/h2"), 0);
	CHECK_EQ(sys_stat("/tmp/vol/d0/h2", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
	mset("/tmp/vol/d0/h2", "linked", 6);
	CHECK_EQ(sys_unlink("/tmp/vol/h1"), 0);
	mdel("/tmp/vol/h1");
	CHECK_EQ(sys_stat("/tmp/vol/d0/h2", &st), 0);
	CHECK_EQ(st.st_nlink, 1);
	/* rmdir */
	CHECK_EQ(sys_rmdir("/tmp/vol/d0"), -ENOTEMPTY);
	CHECK_EQ(sys_mkdir("/tmp/vol/gone", 0755), 0);
	CHECK_EQ(sys_rmdir("/tmp/vol/gone"), 0);
	CHECK_EQ(sys_stat("/tmp/vol/gone", &st), -ENOENT);
	/* chmod and utimens persist */
	CHECK_EQ(sys_chmod("/tmp/vol/d0/h2", 0600), 0);
	struct ktimespec ts[2] = { { 1000000000, 123456789 }, { 1200000000, 987654321 } };
	CHECK_EQ(sys_utimensat(AT_FDCWD, "/tmp/vol/d0/h2", ts, 0), 0);
	/* many entries in one directory, then most removed: a reused directory */
	for (int i = 0; i < 400; i++) {
		snprintf(f, sizeof f, "/tmp/vol/d0/d1/n%d-with-a-longer-name", i);
		CHECK_EQ(put_file(f, "", 0), 0);
	}
	for (int i = 0; i < 400; i += 3) {
		snprintf(f, sizeof f, "/tmp/vol/d0/d1/n%d-with-a-longer-name", i);
		CHECK_EQ(sys_unlink(f), 0);
		mdel(f);
	}
}

static void test_renames(void)
{
	struct kstat st;
	CHECK_EQ(put_file("/tmp/vol/r1", "one", 3), 3);
	CHECK_EQ(put_file("/tmp/vol/r2", "two", 3), 3);
	/* within a directory, then replacing a file */
	CHECK_EQ(sys_rename("/tmp/vol/r1", "/tmp/vol/r1b"), 0);
	mrename("/tmp/vol/r1", "/tmp/vol/r1b");
	CHECK_EQ(sys_rename("/tmp/vol/r1b", "/tmp/vol/r2"), 0);
	mrename("/tmp/vol/r1b", "/tmp/vol/r2");
	CHECK_EQ(sys_stat("/tmp/vol/r1b", &st), -ENOENT);
	/* across directories */
	CHECK_EQ(sys_mkdir("/tmp/vol/ra", 0755), 0);
	CHECK_EQ(sys_mkdir("/tmp/vol/rb", 0755), 0);
	CHECK_EQ(sys_rename("/tmp/vol/r2", "/tmp/vol/ra/r2"), 0);
	mrename("/tmp/vol/r2", "/tmp/vol/ra/r2");
	/* a directory to another parent: '..' and both link counts */
	CHECK_EQ(sys_mkdir("/tmp/vol/ra/sub", 0755), 0);
	CHECK_EQ(put_file("/tmp/vol/ra/sub/f", "in sub", 6), 6);
	CHECK_EQ(sys_rename("/tmp/vol/ra/sub", "/tmp/vol/rb/sub"), 0);
	mrename_dir("/tmp/vol/ra/sub", "/tmp/vol/rb/sub");
	CHECK_EQ(sys_stat("/tmp/vol/ra", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(sys_stat("/tmp/vol/rb", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(sys_stat("/tmp/vol/rb/sub/..", &st), 0);
	struct kstat rb;
	sys_stat("/tmp/vol/rb", &rb);
	CHECK_EQ(st.st_ino, rb.st_ino);
	/* over an empty directory; onto a non-empty one fails */
	CHECK_EQ(sys_mkdir("/tmp/vol/ra/empty", 0755), 0);
	CHECK_EQ(sys_rename("/tmp/vol/rb/sub", "/tmp/vol/ra/empty"), 0);
	mrename_dir("/tmp/vol/rb/sub", "/tmp/vol/ra/empty");
	CHECK_EQ(sys_stat("/tmp/vol/ra", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(sys_stat("/tmp/vol/rb", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(sys_mkdir("/tmp/vol/rb/full", 0755), 0);
	CHECK_EQ(put_file("/tmp/vol/rb/full/x", "x", 1), 1);
	CHECK_EQ(sys_rename("/tmp/vol/ra/empty", "/tmp/vol/rb/full"), -ENOTEMPTY);
	CHECK_EQ(sys_rename("/tmp/vol/ra/empty", "/tmp/vol/ra/empty/below"), -EINVAL);
	/* RENAME_NOREPLACE and RENAME_EXCHANGE (a file and a directory, across parents) */
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/vol/ra/r2", AT_FDCWD, "/tmp/vol/rb/full/x", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/vol/ra/r2", AT_FDCWD, "/tmp/vol/rb/full", RENAME_EXCHANGE), 0);
	mrename_dir("/tmp/vol/rb/full", "/tmp/vol/ra/r2");
	mrename("/tmp/vol/ra/r2", "/tmp/vol/rb/full");
	CHECK_EQ(sys_stat("/tmp/vol/ra/r2/x", &st), 0);
	CHECK_EQ(sys_stat("/tmp/vol/rb/full", &st), 0);
	CHECK(S_ISREG(st.st_mode), "exchanged file");
	CHECK_EQ(sys_stat("/tmp/vol/ra/r2/..", &st), 0);
	sys_stat("/tmp/vol/ra", &rb);
	CHECK_EQ(st.st_ino, rb.st_ino);
	CHECK_EQ(sys_stat("/tmp/vol/ra", &st), 0);
	CHECK_EQ(st.st_nlink, 4);
	CHECK_EQ(sys_stat("/tmp/vol/rb", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
}

static void test_unlink_open_and_fallocate(void)
{
	struct kstatfs a, b;
	sys_statfs("/tmp/vol", &a);
	int fd = (int)sys_open("/tmp/vol/tmpfile", O_RDWR | O_CREAT, 0600);
	unsigned char *d = pattern(200000, 5);
	CHECK_EQ(sys_write(fd, d, 200000), 200000);
	CHECK_EQ(sys_unlink("/tmp/vol/tmpfile"), 0);
	unsigned char *back = malloc(200000);
	CHECK_EQ(sys_pread64(fd, back, 200000, 0), 200000);
	CHECK(!memcmp(back, d, 200000), "unlinked file still readable");
	struct kstat st;
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_nlink, 0);
	sys_close(fd);
	sys_statfs("/tmp/vol", &b);
	CHECK_EQ(b.f_bfree, a.f_bfree);
	CHECK_EQ(b.f_ffree, a.f_ffree);
	free(back);
	free(d);
	/* fallocate: allocate (zeroed), keep size, punch */
	fd = (int)sys_open("/tmp/vol/falloc", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(sys_fallocate(fd, 0, 0, 100000), 0);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_size, 100000);
	CHECK_EQ(st.st_blocks, (25 + 1) * 8);
	/* blocks past i_size cannot be kept in an indirect-mapped file: as Linux */
	CHECK_EQ(sys_fallocate(fd, FALLOC_FL_KEEP_SIZE, 100000, 100000), -EOPNOTSUPP);
	CHECK_EQ(sys_fallocate(fd, 0, 50000, 150000), 0);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_size, 200000);
	CHECK_EQ(st.st_blocks, (49 + 1) * 8);
	CHECK_EQ(sys_ftruncate(fd, 100000), 0);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_blocks, (25 + 1) * 8);
	unsigned char *ones = malloc(100000);
	memset(ones, 1, 100000);
	CHECK_EQ(sys_pwrite64(fd, ones, 100000, 0), 100000);
	CHECK_EQ(sys_fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1000, 20000), 0);
	memset(ones + 1000, 0, 20000);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_blocks, (25 + 1 - 4) * 8);   /* blocks 1..4 whole inside the hole */
	unsigned char *rb = malloc(100000);
	CHECK_EQ(sys_pread64(fd, rb, 100000, 0), 100000);
	CHECK(!memcmp(rb, ones, 100000), "punched range reads zeros");
	CHECK_EQ(sys_fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), -EOPNOTSUPP);
	CHECK_EQ(sys_fallocate(fd, 0x10 /* ZERO_RANGE */, 0, 10), -EOPNOTSUPP);
	CHECK_EQ(sys_fallocate(fd, 0, -1, 10), -EINVAL);
	CHECK_EQ(sys_fallocate(fd, 0, 0, 0), -EINVAL);
	sys_close(fd);
	mset("/tmp/vol/falloc", ones, 100000);
	free(ones);
	free(rb);
	fd = (int)sys_open("/tmp/vol/falloc", O_RDONLY, 0);
	CHECK_EQ(sys_fallocate(fd, 0, 0, 10), -EBADF);
	sys_close(fd);
	fd = (int)sys_open("/tmp/vol", O_RDONLY | O_DIRECTORY, 0);
	CHECK_EQ(sys_fallocate(fd, 0, 0, 10), -EBADF);
	sys_close(fd);
}

/* O_TMPFILE named by linkat, one never named; shared mapped pages coherent with read/write. */
static void test_tmpfile_and_mapping(void)
{
	struct kstatfs a, b;
	sys_statfs("/tmp/vol", &a);
	int fd = (int)sys_open("/tmp/vol", O_TMPFILE | O_RDWR, 0600);
	CHECK(fd >= 0, "O_TMPFILE: %d", fd);
	CHECK_EQ(sys_write(fd, "tmpdata", 7), 7);
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/vol/named-tmp", AT_EMPTY_PATH), 0);
	sys_close(fd);
	mset("/tmp/vol/named-tmp", "tmpdata", 7);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/vol/named-tmp", &st), 0);
	CHECK_EQ(st.st_nlink, 1);
	fd = (int)sys_open("/tmp/vol", O_TMPFILE | O_RDWR | O_EXCL, 0600);
	CHECK_EQ(sys_write(fd, "gone", 4), 4);
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/tmp/vol/never", AT_EMPTY_PATH), -ENOENT);
	sys_close(fd);
	sys_statfs("/tmp/vol", &b);
	CHECK_EQ(b.f_ffree, a.f_ffree - 1);
	CHECK_EQ(b.f_bfree, a.f_bfree - 1);
	/* device nodes and FIFOs: the device number in i_block, no blocks to free */
	CHECK_EQ(sys_mknod("/tmp/vol/null", S_IFCHR | 0666, (unsigned)makedev64(1, 3)), 0);
	CHECK_EQ(sys_mknod("/tmp/vol/big-dev", S_IFBLK | 0600, (unsigned)makedev64(259, 300)), 0);
	CHECK_EQ(sys_mknod("/tmp/vol/fifo", S_IFIFO | 0644, 0), 0);
	CHECK_EQ(sys_mknod("/tmp/vol/fifo2", S_IFIFO | 0644, 0), 0);
	CHECK_EQ(sys_unlink("/tmp/vol/fifo2"), 0);
	CHECK_EQ(sys_lstat("/tmp/vol/big-dev", &st), 0);
	CHECK_EQ(st.st_rdev, makedev64(259, 300));
	/* a mapped page: a sparse file's hole gets its block at the fault */
	fd = (int)sys_open("/tmp/vol/mapped", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(sys_ftruncate(fd, 3 * 4096), 0);
	CHECK_EQ(sys_pwrite64(fd, "written", 7, 0), 7);
	struct file *f = fd_file(fd);
	paddr_t pa0 = 0, pa2 = 0;
	vfs_lock();
	CHECK_EQ(iop_map_page(f->inode, 0, true, &pa0), 0);
	CHECK_EQ(iop_map_page(f->inode, 2, true, &pa2), 0);
	CHECK_EQ(iop_map_page(f->inode, 3, true, &pa2), -ENXIO);
	vfs_unlock();
	char *p0 = phys_to_virt(pa0), *p2 = phys_to_virt(pa2);
	CHECK(!memcmp(p0, "written", 7), "the mapping sees write()");
	memcpy(p2 + 100, "stored", 6);
	char buf[8] = { 0 };
	CHECK_EQ(sys_pread64(fd, buf, 6, 2 * 4096 + 100), 6);
	CHECK(!memcmp(buf, "stored", 6), "read() sees the mapping");
	CHECK_EQ(sys_pwrite64(fd, "again", 5, 2 * 4096 + 200), 5);
	CHECK(!memcmp(p2 + 200, "again", 5), "the mapping sees a later write()");
	file_put_page(f, 0, false, true);
	file_put_page(f, 2, true, true);
	file_put(f);
	sys_fstat(fd, &st);
	CHECK_EQ(st.st_blocks, 2 * 8);
	sys_close(fd);
	unsigned char *exp = calloc(1, 3 * 4096);
	memcpy(exp, "written", 7);
	memcpy(exp + 2 * 4096 + 100, "stored", 6);
	memcpy(exp + 2 * 4096 + 200, "again", 5);
	mset("/tmp/vol/mapped", exp, 3 * 4096);
	free(exp);
}

/* Writes and flushes the volume's disk saw since the log started. */
static void disk_traffic(int *writes, int *flushes)
{
	*writes = *flushes = 0;
	for (size_t i = 0; i < blkfile_log.n; i++)
		(blkfile_log.e[i].flush ? (*flushes)++ : (*writes)++);
	blkfile_log_start(blkfile_log.dev);
}

/* fdatasync of an overwrite needs the data and one flush, not a journal
 * commit for the new mtime (Linux's ext4 skips it too); fsync commits it;
 * a change of size makes fdatasync commit. */
static void test_fsync_traffic(void)
{
	int fd = (int)sys_open("/tmp/vol/dsync", O_RDWR | O_CREAT, 0644);
	unsigned char *d = pattern(16384, 5);
	CHECK_EQ(sys_write(fd, d, 16384), 16384);
	CHECK_EQ(sys_fsync(fd), 0);
	int w, fl;
	blkfile_log_start(blk_find(dev_vol));
	CHECK_EQ(sys_pwrite64(fd, d, 4096, 4096), 4096);
	CHECK_EQ(sys_fdatasync(fd), 0);
	disk_traffic(&w, &fl);
	CHECK_EQ(w, 1);                      /* the one data block */
	CHECK_EQ(fl, 1);
	CHECK_EQ(sys_fsync(fd), 0);          /* the mtime: a transaction, two flushes */
	disk_traffic(&w, &fl);
	CHECK(w >= 2, "fsync after an overwrite commits the inode");
	CHECK_EQ(fl, 2);
	CHECK_EQ(sys_fsync(fd), 0);          /* nothing new: one flush */
	disk_traffic(&w, &fl);
	CHECK_EQ(w, 0);
	CHECK_EQ(fl, 1);
	CHECK_EQ(sys_pwrite64(fd, d, 4096, 16384), 4096);
	CHECK_EQ(sys_fdatasync(fd), 0);      /* the size grew: committed */
	disk_traffic(&w, &fl);
	CHECK(w >= 3, "fdatasync after an append commits the size and the block map");
	CHECK_EQ(fl, 2);
	blkfile_log_stop();
	free(d);
	sys_close(fd);
}

/* The image copied while mounted, after an fsync: a crash. It must mount
 * (the orphan it holds freed) and be clean after the close. */
static char crash_img[512];
static void test_crash_copy(void)
{
	int keep = (int)sys_open("/tmp/vol/open-orphan", O_RDWR | O_CREAT, 0600);
	unsigned char *d = pattern(50000, 8);
	CHECK_EQ(sys_write(keep, d, 50000), 50000);
	free(d);
	CHECK_EQ(sys_unlink("/tmp/vol/open-orphan"), 0);
	CHECK_EQ(sys_fsync(keep), 0);
	snprintf(crash_img, sizeof crash_img, "%s/crash.img", work);
	CHECK_EQ(sh("cp --sparse=always '%s' '%s'", vol_img, crash_img), 0);
	sys_close(keep);   /* the orphan is freed in the original */
	struct blk_dev *cd = blkfile_open(crash_img, 1);
	CHECK(cd != NULL, "open the crash copy");
	if (cd)
		snprintf(dev_crash, sizeof dev_crash, "%s", cd->name);
	/* a second copy, attached read-only: a journal to replay is refused, nothing written */
	char ro_img[600];
	snprintf(ro_img, sizeof ro_img, "%s/crash-ro.img", work);
	CHECK_EQ(sh("cp --sparse=always '%s' '%s' && md5sum < '%s' > '%s/ro.md5'", crash_img, ro_img, ro_img, work), 0);
	struct blk_dev *rd = blkfile_open(ro_img, 1);
	struct mount *m;
	CHECK(rd && ext2_mount_volume(rd->name, true, 0, &m) == -EROFS, "read-only mount of a journal to replay");
	CHECK_EQ(sh("md5sum < '%s' | cmp -s - '%s/ro.md5'", ro_img, work), 0);
	/* set-group-ID directories hand down their group */
	CHECK_EQ(sys_mkdir("/tmp/vol/sgid", 02775), 0);
	CHECK_EQ(kchgrp("/tmp/vol/sgid", 1234), 0);
	CHECK_EQ(sys_mkdir("/tmp/vol/sgid/sub", 0755), 0);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/vol/sgid/sub", &st), 0);
	CHECK_EQ(st.st_gid, 1234);
	CHECK_EQ(st.st_mode, S_IFDIR | 02755);
}

/* Fill a small volume to ENOSPC, check it stays sane, empty it, fill again. */
static void test_enospc(void)
{
	CHECK_EQ(mount_vol(dev_small, "/tmp/small", false), 0);
	CHECK_EQ(sh("dumpe2fs -h '%s' 2>/dev/null | grep -q large_file", small_img), 1);
	int sp = (int)sys_open("/tmp/small/past-2g", O_WRONLY | O_CREAT, 0644);
	CHECK_EQ(sys_pwrite64(sp, "x", 1, 3LL << 30), 1);
	sys_close(sp);
	size_t chunk = 65536;
	unsigned char *d = pattern(chunk, 3);
	long total[2] = { 0, 0 };
	for (int round = 0; round < 2; round++) {
		int fd = (int)sys_open("/tmp/small/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		long r;
		while ((r = sys_write(fd, d, chunk)) > 0)
			total[round] += r;
		CHECK_EQ(r, -ENOSPC);
		struct kstatfs sf;
		sys_statfs("/tmp/small", &sf);
		CHECK_EQ(sf.f_bfree, 0);
		CHECK_EQ(sys_mkdir("/tmp/small/nodir", 0755), -ENOSPC);
		sys_close(fd);
		/* what was written reads back */
		fd = (int)sys_open("/tmp/small/fill", O_RDONLY, 0);
		unsigned char *b = malloc(chunk);
		long good = 0;
		for (long off = 0; off + (long)chunk <= total[round]; off += (long)chunk)
			if (sys_read(fd, b, chunk) == (long)chunk && !memcmp(b, d, chunk))
				good += (long)chunk;
		free(b);
		sys_close(fd);
		CHECK_EQ(good, total[round] / (long)chunk * (long)chunk);
		if (round == 0)
			CHECK_EQ(sys_unlink("/tmp/small/fill"), 0);
	}
	CHECK(total[0] > 4000000, "filled %ld bytes", total[0]);
	CHECK_EQ(total[1], total[0]);
	free(d);
}

/* Close every volume, then the tools judge them. */
static void test_close_and_fsck(void)
{
	CHECK_EQ(vfs_sync_all(), 0);
	CHECK_EQ(put_file("/tmp/vol/after", "x", 1), -EROFS);
	CHECK_EQ(fsck_clean(vol_img), 0);
	CHECK_EQ(fsck_clean(small_img), 0);
	CHECK_EQ(sh("dumpe2fs -h '%s' 2>/dev/null | grep -q large_file", small_img), 0);
	/* debugfs sees every file of the model, byte for byte */
	int bad = 0;
	for (int i = 0; i < nmodel; i++) {
		const char *p = model[i].path + 8;   /* below /tmp/vol */
		char out[600];
		snprintf(out, sizeof out, "%s/dump.bin", work);
		unlink(out);
		if (sh("debugfs -R 'dump %s %s' '%s' >/dev/null 2>&1", p, out, vol_img)) {
			bad++;
			continue;
		}
		size_t len = 0;
		char *got = host_read(out, &len);
		if (!got || len != model[i].len || memcmp(got, model[i].data, len)) {
			if (bad++ < 5)
				fprintf(stderr, "  debugfs: %s: %zu bytes, expected %zu\n", p, len, model[i].len);
		}
		free(got);
	}
	CHECK_EQ(bad, 0);
	/* the timestamps and modes setattr wrote */
	CHECK_EQ(sh("debugfs -R 'stat /d0/h2' '%s' 2>/dev/null | grep -q 'mtime: 0x47868c00:eb79a2c4'", vol_img), 0);
	CHECK_EQ(sh("debugfs -R 'stat /d0/h2' '%s' 2>/dev/null | grep -q 'Mode:  0600'", vol_img), 0);
	CHECK_EQ(sh("debugfs -R 'stat /fast' '%s' 2>/dev/null | grep -q 'Fast link dest: \"deep.txt\"'", vol_img), 0);
	CHECK_EQ(sh("debugfs -R 'stat /null' '%s' 2>/dev/null | grep -q 'Device major/minor number: 01:03'", vol_img), 0);
	CHECK_EQ(sh("debugfs -R 'stat /big-dev' '%s' 2>/dev/null | grep -q 'Device major/minor number: 259:300'", vol_img), 0);
	/* needs_recovery is clear after the clean close */
	CHECK(sh("dumpe2fs -h '%s' 2>/dev/null | grep -q needs_recovery", vol_img) != 0, "needs_recovery cleared");
	/* the crash copy: needs_recovery set; it mounts, frees its orphan, closes clean */
	CHECK_EQ(sh("dumpe2fs -h '%s' 2>/dev/null | grep -q needs_recovery", crash_img), 0);
	CHECK_EQ(mount_vol(dev_crash, "/tmp/crashed", false), 0);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/crashed/big", &st), 0);
	CHECK_EQ(st.st_size, 4096 * 12 + 5);
	CHECK_EQ(vfs_sync_all(), 0);
	CHECK_EQ(fsck_clean(crash_img), 0);
	/* a clean volume attached read-only: reads, and -EROFS for every change */
	CHECK_EQ(mount_vol(dev_vol, "/tmp/volro", true), 0);
	char buf[32];
	int fd = (int)sys_open("/tmp/volro/d0/h2", O_RDONLY, 0);
	CHECK_EQ(sys_read(fd, buf, sizeof buf), 6);
	sys_close(fd);
	CHECK_EQ(sys_open("/tmp/volro/new", O_WRONLY | O_CREAT, 0644), -EROFS);
	CHECK_EQ(sys_mkdir("/tmp/volro/newdir", 0755), -EROFS);
	CHECK_EQ(sys_unlink("/tmp/volro/d0/h2"), -EROFS);
	CHECK_EQ(sys_chmod("/tmp/volro/d0/h2", 0644), -EROFS);
	CHECK_EQ(sys_truncate("/tmp/volro/d0/h2", 0), -EROFS);
	CHECK_EQ(fsck_clean(vol_img), 0);
}

/* A volume with a feature we cannot write is refused and left untouched. */
static void test_refusals(void)
{
	char img[512];
	snprintf(img, sizeof img, "%s/extent.img", work);
	CHECK_EQ(sh("truncate -s 16M '%s' && mke2fs -q -F -t ext4 -b 4096 '%s' >/dev/null 2>&1", img, img), 0);
	CHECK_EQ(sh("md5sum < '%s' > '%s/before.md5'", img, work), 0);
	struct blk_dev *d = blkfile_open(img, 1);
	CHECK(d != NULL, "open");
	if (d)
		snprintf(dev_extent, sizeof dev_extent, "%s", d->name);
	char log[600];
	snprintf(log, sizeof log, "%s/refusal.log", work);
	fflush(stderr);
	FILE *lf = fopen(log, "w");
	int saved = dup(2);
	dup2(fileno(lf), 2);
	struct mount *m;
	int err = ext2_mount_volume(dev_extent, false, 0, &m);
	fflush(stderr);
	dup2(saved, 2);
	fclose(lf);
	close(saved);
	CHECK_EQ(err, -EINVAL);
	CHECK_EQ(sh("grep -q \"volume %s uses the ext4 feature 'extent', which this kernel cannot write; nothing was written to it\" '%s'", dev_extent, log), 0);
	CHECK_EQ(sh("md5sum < '%s' | cmp -s - '%s/before.md5'", img, work), 0);
	CHECK_EQ(ext2_mount_volume("nosuchdisk", false, 0, &m), -ENODEV);
}

void suite_ext2w(void)
{
	vol_img = getenv("EXT2W_IMG");
	small_img = getenv("EXT2W_SMALL");
	work = getenv("EXT2W_WORK");
	if (!vol_img || !small_img || !work) {
		printf("FAIL ext2w: EXT2W_IMG, EXT2W_SMALL, EXT2W_WORK not set\n");
		t_failed_checks++;
		return;
	}
	struct blk_dev *v = blkfile_open(vol_img, 1), *s = blkfile_open(small_img, 1);
	if (!v || !s) {
		printf("FAIL ext2w: cannot open the volume images\n");
		t_failed_checks++;
		return;
	}
	snprintf(dev_vol, sizeof dev_vol, "%s", v->name);
	snprintf(dev_small, sizeof dev_small, "%s", s->name);
	RUN(test_mount_and_small_files);
	RUN(test_big_and_sparse);
	RUN(test_tree_and_links);
	RUN(test_renames);
	RUN(test_unlink_open_and_fallocate);
	RUN(test_tmpfile_and_mapping);
	RUN(test_fsync_traffic);
	RUN(test_crash_copy);
	RUN(test_enospc);
	RUN(test_close_and_fsck);
	RUN(test_refusals);
}
