/* tmpfs through the syscalls: files, directories, rename, readdir, symlinks. */
#include <string.h>
#include "test.h"
#include "rump/include/mm.h"

static long wr(const char *path, const char *data, int flags)
{
	int fd = (int)sys_open(path, O_WRONLY | O_CREAT | flags, 0644);
	if (fd < 0)
		return fd;
	long r = sys_write(fd, data, strlen(data));
	sys_close(fd);
	return r;
}

static int rd(const char *path, char *buf, size_t n)
{
	int fd = (int)sys_open(path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	long r = sys_read(fd, buf, n - 1);
	sys_close(fd);
	buf[r > 0 ? r : 0] = 0;
	return (int)r;
}

static void test_create_write_read(void)
{
	char buf[256];
	CHECK_EQ(wr("/tmp/t1", "hello", O_TRUNC), 5);
	CHECK_EQ(rd("/tmp/t1", buf, sizeof(buf)), 5);
	CHECK(!strcmp(buf, "hello"), "%s", buf);
	CHECK_EQ(wr("/tmp/t1", " world", O_APPEND), 6);
	CHECK_EQ(rd("/tmp/t1", buf, sizeof(buf)), 11);
	CHECK(!strcmp(buf, "hello world"), "%s", buf);
	CHECK_EQ(wr("/tmp/t1", "J", 0), 1);               /* no O_TRUNC: overwrite in place */
	CHECK_EQ(rd("/tmp/t1", buf, sizeof(buf)), 11);
	CHECK(!strcmp(buf, "Jello world"), "%s", buf);
	CHECK_EQ(wr("/tmp/t1", "x", O_TRUNC), 1);
	CHECK_EQ(rd("/tmp/t1", buf, sizeof(buf)), 1);
	CHECK_EQ(sys_open("/tmp/t1", O_CREAT | O_EXCL | O_RDWR, 0644), -EEXIST);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/t1", &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);   /* umask 022 */
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_blocks, 8);
	CHECK(st.st_mtim.sec > 1600000000, "mtime set");
	/* sparse writes and holes */
	int fd = (int)sys_open("/tmp/holes", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK_EQ(sys_pwrite64(fd, "end", 3, 1 << 20), 3);
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, (1 << 20) + 3);
	CHECK_EQ(st.st_blocks, 8);
	char z[100];
	memset(z, 1, sizeof(z));
	CHECK_EQ(sys_pread64(fd, z, sizeof(z), 5000), 100);
	CHECK(z[0] == 0 && z[99] == 0, "hole is zeros");
	CHECK_EQ(sys_lseek(fd, 10, SEEK_END), (1 << 20) + 13);
	CHECK_EQ(sys_write(fd, "!", 1), 1);
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, (1 << 20) + 14);
	/* truncate down then up: the cut-off bytes read back as zeros */
	CHECK_EQ(sys_pwrite64(fd, "abcdef", 6, 0), 6);
	CHECK_EQ(sys_ftruncate(fd, 2), 0);
	CHECK_EQ(sys_ftruncate(fd, 6), 0);
	CHECK_EQ(sys_pread64(fd, z, 6, 0), 6);
	CHECK(!memcmp(z, "ab\0\0\0\0", 6), "truncate zeroes the tail");
	CHECK_EQ(sys_truncate("/tmp/holes", 0), 0);
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_blocks, 0);
	CHECK_EQ(sys_ftruncate(fd, -1), -EINVAL);
	sys_close(fd);
	/* a big write across many pages */
	static char big[300000], back[300000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	fd = (int)sys_open("/tmp/bigw", O_RDWR | O_CREAT, 0600);
	CHECK_EQ(sys_write(fd, big, sizeof(big)), (long)sizeof(big));
	CHECK_EQ(sys_pread64(fd, back, sizeof(back), 0), (long)sizeof(back));
	CHECK(!memcmp(big, back, sizeof(big)), "300 KB round trip");
	sys_close(fd);
	CHECK_EQ(sys_unlink("/tmp/bigw"), 0);
	CHECK_EQ(sys_unlink("/tmp/holes"), 0);
}

static void test_unlink_open_file(void)
{
	int fd = (int)sys_open("/tmp/gone", O_RDWR | O_CREAT, 0600);
	CHECK_EQ(sys_write(fd, "still here", 10), 10);
	CHECK_EQ(sys_unlink("/tmp/gone"), 0);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/gone", &st), -ENOENT);
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK_EQ(st.st_nlink, 0);
	char buf[16] = { 0 };
	CHECK_EQ(sys_pread64(fd, buf, 10, 0), 10);
	CHECK(!strcmp(buf, "still here"), "data lives while open");
	CHECK_EQ(sys_close(fd), 0);
	CHECK_EQ(sys_unlink("/tmp/gone"), -ENOENT);
}

static void test_directories(void)
{
	struct kstat st;
	CHECK_EQ(sys_mkdir("/tmp/d1", 0755), 0);
	CHECK_EQ(sys_mkdir("/tmp/d1", 0755), -EEXIST);
	CHECK_EQ(sys_mkdir("/tmp/d1/sub", 0700), 0);
	CHECK_EQ(sys_mkdir("/tmp/nope/sub", 0700), -ENOENT);
	CHECK_EQ(sys_stat("/tmp/d1", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(st.st_mode, S_IFDIR | 0755);
	CHECK_EQ(wr("/tmp/d1/sub/f", "x", 0), 1);
	CHECK_EQ(sys_rmdir("/tmp/d1/sub"), -ENOTEMPTY);
	CHECK_EQ(sys_rmdir("/tmp/d1/sub/f"), -ENOTDIR);
	CHECK_EQ(sys_unlink("/tmp/d1/sub"), -EISDIR);
	CHECK_EQ(sys_rmdir("/tmp/d1/sub/."), -EINVAL);
	CHECK_EQ(sys_rmdir("/tmp/d1/sub/.."), -ENOTEMPTY);
	CHECK_EQ(sys_mkdir("/tmp/d1/.", 0700), -EEXIST);
	CHECK_EQ(sys_unlink("/tmp/d1/sub/f"), 0);
	CHECK_EQ(sys_stat("/tmp/d1/sub/..", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	/* a removed cwd: ".." fails, creating in it fails */
	CHECK_EQ(sys_chdir("/tmp/d1/sub"), 0);
	CHECK_EQ(sys_rmdir("/tmp/d1/sub"), 0);
	CHECK_EQ(sys_stat("..", &st), -ENOENT);
	CHECK_EQ(sys_open("newf", O_CREAT | O_RDWR, 0600), -ENOENT);
	CHECK_EQ(sys_chdir("/"), 0);
	CHECK_EQ(sys_stat("/tmp/d1", &st), 0);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(sys_rmdir("/tmp/d1"), 0);
	CHECK_EQ(sys_rmdir("/tmp"), -EBUSY);
	CHECK_EQ(sys_rmdir("/"), -EBUSY);
	CHECK_EQ(sys_mkdir("/", 0755), -EEXIST);
}

/* Names in DIR as one sorted, comma-separated string (no . and ..). */
static void listing(const char *dir, char *out, size_t n)
{
	char names[64][64];
	int k = 0;
	int fd = (int)sys_open(dir, O_RDONLY | O_DIRECTORY, 0);
	char buf[512];
	long r;
	while ((r = sys_getdents64(fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && k < 64)
				snprintf(names[k++], 64, "%s", d->d_name);
			off += d->d_reclen;
		}
	sys_close(fd);
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char t[64];
				memcpy(t, names[i], 64);
				memcpy(names[i], names[j], 64);
				memcpy(names[j], t, 64);
			}
	out[0] = 0;
	for (int i = 0; i < k; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", names[i]);
}

static void test_rename(void)
{
	char l[512], buf[64];
	struct kstat st;
	sys_mkdir("/tmp/r", 0755);
	sys_mkdir("/tmp/r/a", 0755);
	sys_mkdir("/tmp/r/b", 0755);
	wr("/tmp/r/f", "F", 0);
	wr("/tmp/r/g", "G", 0);
	CHECK_EQ(sys_rename("/tmp/r/f", "/tmp/r/a/f2"), 0);
	listing("/tmp/r", l, sizeof(l));
	CHECK(!strcmp(l, "a,b,g"), "%s", l);
	CHECK_EQ(rd("/tmp/r/a/f2", buf, sizeof(buf)), 1);
	/* replace a file */
	CHECK_EQ(sys_rename("/tmp/r/g", "/tmp/r/a/f2"), 0);
	CHECK_EQ(rd("/tmp/r/a/f2", buf, sizeof(buf)), 1);
	CHECK(!strcmp(buf, "G"), "%s", buf);
	/* directories: move, into itself, over files, over non-empty */
	CHECK_EQ(sys_rename("/tmp/r/b", "/tmp/r/a/b"), 0);
	CHECK_EQ(sys_stat("/tmp/r", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(sys_stat("/tmp/r/a", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(sys_stat("/tmp/r/a/b/..", &st), 0);
	struct kstat a;
	sys_stat("/tmp/r/a", &a);
	CHECK_EQ(st.st_ino, a.st_ino);
	CHECK_EQ(sys_rename("/tmp/r/a", "/tmp/r/a/b/x"), -EINVAL);
	CHECK_EQ(sys_rename("/tmp/r/a/b", "/tmp/r/a/f2"), -ENOTDIR);
	CHECK_EQ(sys_rename("/tmp/r/a/f2", "/tmp/r/a/b"), -EISDIR);
	wr("/tmp/r/a/b/inner", "i", 0);
	sys_mkdir("/tmp/r/c", 0755);
	CHECK_EQ(sys_rename("/tmp/r/c", "/tmp/r/a/b"), -ENOTEMPTY);
	CHECK_EQ(sys_rename("/tmp/r/a/b", "/tmp/r/c"), 0);    /* over an empty dir */
	CHECK_EQ(sys_stat("/tmp/r/c/inner", &st), 0);
	CHECK_EQ(sys_rename("/tmp/r/c", "/tmp/r/c"), 0);
	CHECK_EQ(sys_rename("/tmp/r/nope", "/tmp/r/x"), -ENOENT);
	CHECK_EQ(sys_rename("/tmp/r/.", "/tmp/r/x"), -EBUSY);
	/* renameat2 flags */
	wr("/tmp/r/p", "P", 0);
	wr("/tmp/r/q", "Q", 0);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/r/p", AT_FDCWD, "/tmp/r/q", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/r/p", AT_FDCWD, "/tmp/r/q", RENAME_EXCHANGE), 0);
	CHECK_EQ(rd("/tmp/r/p", buf, sizeof(buf)), 1);
	CHECK(!strcmp(buf, "Q"), "exchanged: %s", buf);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/r/p", AT_FDCWD, "/tmp/r/zz", RENAME_EXCHANGE), -ENOENT);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/r/p", AT_FDCWD, "/tmp/r/zz", RENAME_WHITEOUT), -EINVAL);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/r/p", AT_FDCWD, "/tmp/r/zz", RENAME_NOREPLACE), 0);
	/* exchange a dir and a file in different dirs: link counts follow */
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/tmp/r/c", AT_FDCWD, "/tmp/r/a/f2", RENAME_EXCHANGE), 0);
	CHECK_EQ(sys_stat("/tmp/r/a/f2/inner", &st), 0);
	CHECK_EQ(sys_stat("/tmp/r/a", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(sys_stat("/tmp/r", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(sys_stat("/tmp/r/a/f2/..", &st), 0);
	CHECK_EQ(st.st_ino, a.st_ino);
	listing("/tmp/r", l, sizeof(l));
	CHECK(!strcmp(l, "a,c,q,zz"), "%s", l);
}

static void test_readdir_while_changing(void)
{
	sys_mkdir("/tmp/rd", 0755);
	char p[64];
	for (int i = 0; i < 50; i++) {
		snprintf(p, sizeof(p), "/tmp/rd/e%02d", i);
		wr(p, "x", 0);
	}
	int fd = (int)sys_open("/tmp/rd", O_RDONLY | O_DIRECTORY, 0);
	char buf[256];
	int seen = 0, dots = 0;
	long r;
	bool deleted = false;
	while ((r = sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (d->d_name[0] == 'e')
				seen++;
			else
				dots++;
			off += d->d_reclen;
		}
		if (!deleted) {   /* remove entries already returned and ones to come */
			CHECK_EQ(sys_unlink("/tmp/rd/e00"), 0);
			CHECK_EQ(sys_unlink("/tmp/rd/e49"), 0);
			deleted = true;
		}
	}
	sys_close(fd);
	CHECK_EQ(dots, 2);
	CHECK_EQ(seen, 49);
	char l[1024];
	listing("/tmp/rd", l, sizeof(l));
	CHECK(strlen(l) == 48 * 4 - 1, "%zu", strlen(l));
}

static void test_tmpfs_symlinks_and_times(void)
{
	char buf[64];
	CHECK_EQ(sys_symlink("/hello.txt", "/tmp/sl"), 0);
	CHECK_EQ(sys_symlink("x", "/tmp/sl"), -EEXIST);
	CHECK_EQ(sys_symlink("", "/tmp/sl2"), -ENOENT);
	CHECK_EQ(rd("/tmp/sl", buf, sizeof(buf)), 12);
	CHECK_EQ(sys_readlink("/tmp/sl", buf, sizeof(buf)), 10);
	struct kstat st;
	CHECK_EQ(sys_lstat("/tmp/sl", &st), 0);
	CHECK_EQ(st.st_mode, S_IFLNK | 0777);
	CHECK_EQ(st.st_size, 10);
	/* O_CREAT through a dangling symlink creates its target */
	CHECK_EQ(sys_symlink("target_file", "/tmp/dl"), 0);
	int fd = (int)sys_open("/tmp/dl", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0, "create through symlink: %d", fd);
	sys_close(fd);
	CHECK_EQ(sys_stat("/tmp/target_file", &st), 0);
	CHECK_EQ(sys_open("/tmp/dl", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
	CHECK_EQ(sys_open("/tmp/dl", O_CREAT | O_NOFOLLOW | O_WRONLY, 0644), -ELOOP);
	/* utimensat and chmod */
	struct ktimespec ts[2] = { { 1000, 5 }, { 2000, 7 } };
	CHECK_EQ(sys_utimensat(AT_FDCWD, "/tmp/target_file", ts, 0), 0);
	CHECK_EQ(sys_stat("/tmp/target_file", &st), 0);
	CHECK(st.st_atim.sec == 1000 && st.st_atim.nsec == 5 && st.st_mtim.sec == 2000 && st.st_mtim.nsec == 7, "times");
	struct ktimespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	CHECK_EQ(sys_utimensat(AT_FDCWD, "/tmp/target_file", omit, 0), 0);
	CHECK_EQ(sys_stat("/tmp/target_file", &st), 0);
	CHECK(st.st_atim.sec == 1000 && st.st_mtim.sec > 1600000000, "omit/now");
	struct ktimespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	CHECK_EQ(sys_utimensat(AT_FDCWD, "/tmp/target_file", bad, 0), -EINVAL);
	CHECK_EQ(sys_chmod("/tmp/target_file", 04711), 0);
	CHECK_EQ(sys_stat("/tmp/target_file", &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 04711);
	fd = (int)sys_open("/tmp/target_file", O_RDONLY, 0);
	CHECK_EQ(sys_fchmod(fd, 0600), 0);
	CHECK_EQ(sys_utimensat(fd, NULL, NULL, 0), 0);
	sys_close(fd);
	CHECK_EQ(sys_umask(077), 022);
	fd = (int)sys_open("/tmp/masked", O_CREAT | O_WRONLY, 0666);
	sys_close(fd);
	CHECK_EQ(sys_stat("/tmp/masked", &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_EQ(sys_umask(022), 077);
	struct kstatx stx;
	CHECK_EQ(sys_statx(AT_FDCWD, "/tmp/masked", 0, STATX_BASIC_STATS, &stx), 0);
	CHECK(stx.stx_mask & STATX_BTIME, "tmpfs has btime");
	CHECK_EQ(stx.stx_mode, S_IFREG | 0600);
	CHECK_EQ(stx.stx_dev_major, 0);
	CHECK_EQ(stx.stx_dev_minor, 30);
}

/* The socket files AF_UNIX bind() makes and connect() resolves (sockfile.c). */
static void test_socket_files(void)
{
	struct inode *ino, *again;
	struct kstat st;
	CHECK_EQ(vfs_sock_create("/tmp/s.sock", &ino), 0);
	CHECK_EQ(sys_lstat("/tmp/s.sock", &st), 0);
	CHECK_EQ(st.st_mode, S_IFSOCK | 0755);   /* 0777 less umask 022 */
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(vfs_sock_create("/tmp/s.sock", &again), -EADDRINUSE);
	CHECK_EQ(vfs_sock_lookup("/tmp/s.sock", &again), 0);
	CHECK(again == ino, "lookup finds the bound inode");
	vfs_sock_put(again);
	CHECK_EQ(sys_symlink("s.sock", "/tmp/s.link"), 0);
	CHECK_EQ(vfs_sock_lookup("/tmp/s.link", &again), 0);   /* connect follows symlinks */
	CHECK(again == ino, "through the symlink");
	vfs_sock_put(again);
	CHECK_EQ(vfs_sock_create("/tmp/s.link", &again), -EADDRINUSE);
	CHECK_EQ(sys_open("/tmp/s.sock", O_RDWR, 0), -ENXIO);
	/* what a bind or connect meets elsewhere */
	int fd = (int)sys_open("/tmp/plain", O_CREAT | O_WRONLY, 0644);
	sys_close(fd);
	CHECK_EQ(vfs_sock_lookup("/tmp/plain", &again), -ECONNREFUSED);
	CHECK_EQ(vfs_sock_lookup("/tmp/nobody.sock", &again), -ENOENT);
	CHECK_EQ(vfs_sock_create("/tmp/no-dir/x.sock", &again), -ENOENT);
	CHECK_EQ(vfs_sock_create("/x.sock", &again), -EROFS);        /* the ext2 root */
	CHECK_EQ(vfs_sock_create("/hello.txt", &again), -EADDRINUSE); /* existing beats read-only, as Linux */
	CHECK_EQ(vfs_sock_create("/tmp", &again), -EADDRINUSE);
	/* unlinked while bound: the name goes, the inode stays with its socket */
	CHECK_EQ(sys_unlink("/tmp/s.sock"), 0);
	CHECK_EQ(vfs_sock_lookup("/tmp/s.sock", &again), -ENOENT);
	CHECK_EQ(vfs_sock_create("/tmp/s.sock", &again), 0);
	CHECK(again != ino, "a new file at the same path is another socket");
	CHECK_EQ(sys_umask(077), 022);
	struct inode *masked;
	CHECK_EQ(vfs_sock_create("/tmp/m.sock", &masked), 0);
	CHECK_EQ(sys_umask(022), 077);
	CHECK_EQ(sys_stat("/tmp/m.sock", &st), 0);
	CHECK_EQ(st.st_mode, S_IFSOCK | 0700);
	vfs_sock_put(masked);
	vfs_sock_put(again);
	vfs_sock_put(ino);
	sys_unlink("/tmp/s.sock");
	sys_unlink("/tmp/m.sock");
	sys_unlink("/tmp/s.link");
	sys_unlink("/tmp/plain");
}

/* The page interface mappings use: map_page hands out the file's own page,
 * so stores there and read()/write() meet; truncate of a mapped file asks
 * the address space to unmap the cut pages first. */
static void test_map_page(void)
{
	int fd = (int)sys_open("/tmp/mapped", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open %d", fd);
	struct file *f = fd_get(fd);
	CHECK(file_mappable(f), "tmpfs files are mappable");
	paddr_t pa = 0, pb = 0;
	CHECK_EQ(file_map_page(f, 0, false, &pa), -ENXIO);      /* empty: page 0 is past EOF */
	CHECK_EQ(sys_pwrite64(fd, "abc", 3, 4096 + 10), 3);       /* page 0 a hole, page 1 data */
	struct kstat st;
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK_EQ(st.st_blocks, 8);
	CHECK_EQ(file_map_page(f, 1, true, &pa), 0);
	CHECK(!memcmp((char *)phys_to_virt(pa) + 10, "abc", 3), "the mapping shows written data");
	memcpy((char *)phys_to_virt(pa) + 11, "XY", 2);
	char buf[4] = {0};
	CHECK_EQ(sys_pread64(fd, buf, 3, 4096 + 10), 3);
	CHECK(!strcmp(buf, "aXY"), "read shows stores through the page: %s", buf);
	CHECK_EQ(file_map_page(f, 1, false, &pb), 0);
	CHECK_EQ(pb, pa);                                         /* one page, every mapping */
	CHECK_EQ(file_map_page(f, 0, false, &pb), 0);             /* the hole gets its page */
	CHECK_EQ(sys_fstat(fd, &st), 0);
	CHECK_EQ(st.st_blocks, 16);
	CHECK_EQ(sys_pwrite64(fd, "q", 1, 7), 1);
	CHECK_EQ(*((char *)phys_to_virt(pb) + 7), 'q');           /* a later write reaches it */
	CHECK_EQ(file_map_page(f, 2, true, &pb), -ENXIO);
	/* truncate: unmapping is asked for only while a region maps the inode */
	int calls = shim_unmap_calls;
	CHECK_EQ(sys_ftruncate(fd, 5000), 0);
	CHECK_EQ(shim_unmap_calls, calls);
	file_map_count(f, 1);
	CHECK_EQ(sys_ftruncate(fd, 100), 0);
	CHECK_EQ(shim_unmap_calls, calls + 1);
	CHECK(shim_unmapped_ino == f->inode, "the truncated inode");
	CHECK_EQ(shim_unmapped_pgoff, 1);                         /* page 0 keeps its first 100 bytes */
	CHECK_EQ(sys_ftruncate(fd, 0), 0);
	CHECK_EQ(shim_unmapped_pgoff, 0);
	file_map_count(f, -1);
	CHECK_EQ(file_fsync(f), 0);
	sys_close(fd);
	/* files elsewhere do not hand out pages */
	fd = (int)sys_open("/proc/self/maps", O_RDONLY, 0);
	if (fd >= 0) {
		f = fd_get(fd);
		CHECK(!file_mappable(f), "procfs files are not mappable");
		CHECK_EQ(file_map_page(f, 0, false, &pa), -ENODEV);
		sys_close(fd);
	}
	sys_unlink("/tmp/mapped");
}

void suite_tmpfs(void)
{
	RUN(test_create_write_read);
	RUN(test_unlink_open_file);
	RUN(test_directories);
	RUN(test_rename);
	RUN(test_readdir_while_changing);
	RUN(test_tmpfs_symlinks_and_times);
	RUN(test_socket_files);
	RUN(test_map_page);
}
