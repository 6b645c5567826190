/* The writable layer over the root (rump/fs/overlay.c), booted as the kernel
 * boots it: the image's ext2 under a tmpfs. Copy-up (data, mode, owner,
 * times, parents), whiteouts, opaque directories, merged readdir while names
 * come and go, rename (EXDEV for lower directories), ENOSPC, statfs, the
 * image's /tmp seeded into its tmpfs, and the root made read-only. */
#include <string.h>
#include "test.h"

static long wr(const char *path, const char *data, int flags)
{
	int fd = (int)sys_open(path, O_WRONLY | O_CREAT | flags, 0644);
	if (fd < 0)
		return fd;
	long r = sys_write(fd, data, strlen(data));
	sys_close(fd);
	return r;
}

/* The whole file PATH through the kernel as a string (static buffer), or "" on error. */
static const char *rd(const char *path)
{
	static char buf[8192];
	int fd = (int)sys_open(path, O_RDONLY, 0);
	if (fd < 0)
		return "";
	long r = sys_read(fd, buf, sizeof(buf) - 1);
	sys_close(fd);
	buf[r > 0 ? r : 0] = 0;
	return buf;
}

static struct kstat st_of(const char *path)
{
	struct kstat st;
	memset(&st, 0, sizeof(st));
	if (sys_lstat(path, &st))
		st.st_ino = 0;
	return st;
}

/* Names in directory PATH, read with getdents64 into a BUFSZ buffer; CB runs
 * between calls (to change the directory while it is being listed). */
static int list(const char *path, char names[][256], int max, size_t bufsz, void (*cb)(int call))
{
	int fd = (int)sys_open(path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	char *buf = malloc(bufsz);
	int n = 0, call = 0;
	for (;;) {
		long r = sys_getdents64(fd, buf, bufsz);
		if (r <= 0)
			break;
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && n < max)
				snprintf(names[n++], 256, "%s", d->d_name);
			off += d->d_reclen;
		}
		if (cb)
			cb(call++);
	}
	free(buf);
	sys_close(fd);
	return n;
}

/* How many times NAME appears in NAMES[0..N). */
static int count(char names[][256], int n, const char *name)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += !strcmp(names[i], name);
	return c;
}

static char (*names)[256];   /* 4096 names */

static void test_root_is_overlay(void)
{
	struct kstatfs sf;
	CHECK_EQ(sys_statfs("/", &sf), 0);
	CHECK_EQ(sf.f_type, 0x794c7630);            /* OVERLAYFS_SUPER_MAGIC */
	CHECK(sf.f_bfree > 0 && !(sf.f_flags & ST_RDONLY), "free %lu flags %ld", (unsigned long)sf.f_bfree, (long)sf.f_flags);
	const char *m = rd("/proc/mounts");
	CHECK(strstr(m, "overlay / overlay rw 0 0\n") && !strstr(m, "ext2"), "%s", m);
	CHECK_EQ(st_of("/").st_ino, 2);             /* the lower root's number */
	CHECK(!strcmp(rd("/hello.txt"), "hello world\n"), "%s", rd("/hello.txt"));
	struct kstat a = st_of("/hello.txt"), t = st_of("/tmp");
	CHECK(a.st_dev == st_of("/").st_dev && a.st_dev != t.st_dev, "dev %lx", (unsigned long)a.st_dev);
}

static void test_copy_up_on_write(void)
{
	struct host_ent h;
	host_lstat(srcpath(g_src, "/hello.txt"), &h);
	struct kstat before = st_of("/hello.txt");
	int ro = (int)sys_open("/hello.txt", O_RDONLY, 0);
	CHECK_EQ(wr("/hello.txt", "again\n", O_APPEND), 6);
	CHECK(!strcmp(rd("/hello.txt"), "hello world\nagain\n"), "%s", rd("/hello.txt"));
	struct kstat after = st_of("/hello.txt");
	CHECK_EQ(after.st_ino, before.st_ino);      /* kept across copy-up */
	CHECK_EQ(after.st_mode, before.st_mode);
	CHECK_EQ(after.st_uid, h.uid);
	CHECK_EQ(after.st_size, 18);
	CHECK(after.st_mtim.sec > before.st_mtim.sec, "mtime moved");
	/* one inode for every description: a reader from before sees the new data */
	char b[32] = { 0 };
	CHECK_EQ(sys_pread64(ro, b, sizeof(b) - 1, 12), 6);
	CHECK(!strcmp(b, "again\n"), "%s", b);
	sys_close(ro);
	/* a file in a deep lower directory: parents come up with their attributes */
	struct kstat pe = st_of("/a/b/c/d/e"), pb = st_of("/a/b");
	CHECK_EQ(wr("/a/b/c/d/e/deep.txt", "DEEP", 0), 4);
	CHECK(!strcmp(rd("/a/b/c/d/e/deep.txt"), "DEEP\n"), "%s", rd("/a/b/c/d/e/deep.txt"));
	struct kstat pe2 = st_of("/a/b/c/d/e"), pb2 = st_of("/a/b");
	CHECK_EQ(pe2.st_ino, pe.st_ino);
	CHECK_EQ(pe2.st_mode, pe.st_mode);
	CHECK_EQ(pe2.st_mtim.sec, pe.st_mtim.sec);   /* a copy-up does not change the directory */
	CHECK_EQ(pb2.st_mtim.sec, pb.st_mtim.sec);
	CHECK_EQ(pb2.st_nlink, 1);                   /* a merged directory, as overlayfs reports */
	/* a larger file, written in the middle: the rest is the image's */
	size_t hl;
	char *host = host_read(srcpath(g_src, "/sizes/s102400"), &hl);
	int fd = (int)sys_open("/sizes/s102400", O_RDWR, 0);
	CHECK_EQ(sys_pwrite64(fd, "XYZ", 3, 50000), 3);
	sys_close(fd);
	memcpy(host + 50000, "XYZ", 3);
	long e;
	size_t kl;
	char *k = kread_all("/sizes/s102400", &kl, &e);
	CHECK(k && kl == hl && !memcmp(k, host, hl), "s102400 after a write in the middle (%zu bytes)", kl);
	free(k);
	free(host);
}

static void test_copy_up_attrs(void)
{
	struct kstat x = st_of("/modes/x");
	CHECK_EQ(sys_chmod("/modes/x", 0700), 0);
	struct kstat x2 = st_of("/modes/x");
	CHECK_EQ(x2.st_mode, S_IFREG | 0700);
	CHECK_EQ(x2.st_mtim.sec, x.st_mtim.sec);      /* chmod keeps mtime */
	CHECK_EQ(x2.st_ino, x.st_ino);
	CHECK(!strcmp(rd("/modes/x"), "x"), "%s", rd("/modes/x"));
	struct ktimespec t[2] = { { 1000000000, 5 }, { 1234567890, 0 } };
	CHECK_EQ(sys_utimensat(AT_FDCWD, "/modes/ro", t, 0), 0);
	struct kstat r = st_of("/modes/ro");
	CHECK_EQ(r.st_mtim.sec, 1234567890);
	CHECK_EQ(r.st_atim.sec, 1000000000);
	CHECK_EQ(r.st_mode, S_IFREG | 0400);
	CHECK(!strcmp(rd("/modes/ro"), "r"), "%s", rd("/modes/ro"));
	/* truncate keeps the head of the data */
	size_t hl;
	char *host = host_read(srcpath(g_src, "/sizes/s4097"), &hl);
	CHECK_EQ(sys_truncate("/sizes/s4097", 10), 0);
	long e;
	size_t kl;
	char *k = kread_all("/sizes/s4097", &kl, &e);
	CHECK(k && kl == 10 && !memcmp(k, host, 10), "truncated to %zu", kl);
	free(k);
	free(host);
	/* O_TRUNC of a 20 MiB lower file copies none of it */
	int fd = (int)sys_open("/big", O_WRONLY | O_TRUNC, 0);
	CHECK(fd >= 0, "open big %d", fd);
	struct kstat b;
	sys_fstat(fd, &b);
	CHECK_EQ(b.st_size, 0);
	CHECK_EQ(b.st_blocks, 0);
	sys_close(fd);
	/* a symlink comes up as a symlink */
	char l1[64] = { 0 }, l2[64] = { 0 };
	sys_readlink("/a/b/link_rel", l1, sizeof(l1) - 1);
	CHECK_EQ(sys_utimensat(AT_FDCWD, "/a/b/link_rel", t, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(sys_readlink("/a/b/link_rel", l2, sizeof(l2) - 1), (long)strlen(l1));
	CHECK(!strcmp(l1, l2) && S_ISLNK(st_of("/a/b/link_rel").st_mode), "%s -> %s", l1, l2);
	CHECK_EQ(st_of("/a/b/link_rel").st_mtim.sec, 1234567890);
	/* a directory's own attributes */
	CHECK_EQ(sys_chmod("/a/b/c", 0711), 0);
	CHECK_EQ(st_of("/a/b/c").st_mode, S_IFDIR | 0711);
	CHECK(!strcmp(rd("/a/b/c/d/e/deep.txt"), "DEEP\n"), "still there");
}

static void test_whiteouts(void)
{
	CHECK_EQ(sys_unlink("/a/file_link"), 0);
	CHECK_EQ(st_of("/a/file_link").st_ino, 0);
	CHECK_EQ(sys_unlink("/a/file_link"), -ENOENT);
	int n = list("/a", names, 4096, 4096, NULL);
	CHECK_EQ(count(names, n, "file_link"), 0);
	CHECK_EQ(count(names, n, "abs_link"), 1);
	CHECK_EQ(count(names, n, "b"), 1);
	/* a new file where the whiteout is */
	CHECK_EQ(wr("/a/file_link", "new", O_EXCL), 3);
	CHECK(S_ISREG(st_of("/a/file_link").st_mode), "regular now");
	CHECK(!strcmp(rd("/a/file_link"), "new"), "%s", rd("/a/file_link"));
	n = list("/a", names, 4096, 4096, NULL);
	CHECK_EQ(count(names, n, "file_link"), 1);
	/* a hard link keeps the data; the file (one overlay inode, held open here)
	 * lost a name, not its last: it still renames, and counts one link */
	int h = (int)sys_open("/hard2", O_RDONLY, 0);
	CHECK_EQ(sys_unlink("/hard1"), 0);
	CHECK(!strcmp(rd("/hard2"), "linked"), "%s", rd("/hard2"));
	struct kstat hs;
	CHECK_EQ(sys_fstat(h, &hs), 0);
	CHECK_EQ(hs.st_nlink, 1);
	CHECK_EQ(sys_rename("/hard2", "/hard3"), 0);
	CHECK(!strcmp(rd("/hard3"), "linked"), "%s", rd("/hard3"));
	CHECK_EQ(sys_rename("/hard3", "/hard2"), 0);
	sys_close(h);
	/* an open file that is unlinked stays readable and writable */
	int fd = (int)sys_open("/sizes/s1", O_RDWR, 0);
	CHECK_EQ(sys_unlink("/sizes/s1"), 0);
	CHECK_EQ(sys_pwrite64(fd, "Q", 1, 0), 1);
	char c = 0;
	CHECK_EQ(sys_pread64(fd, &c, 1, 0), 1);
	CHECK_EQ(c, 'Q');
	sys_close(fd);
	CHECK_EQ(st_of("/sizes/s1").st_ino, 0);
	CHECK_EQ(sys_rmdir("/a"), -ENOTEMPTY);
	CHECK_EQ(sys_unlink("/a"), -EISDIR);
}

static void test_opaque_dirs(void)
{
	CHECK_EQ(sys_rmdir("/a/b/c/d/e"), -ENOTEMPTY);
	CHECK_EQ(sys_unlink("/a/b/c/d/e/deep.txt"), 0);   /* copied up earlier: upper file + whiteout */
	CHECK_EQ(sys_rmdir("/a/b/c/d/e"), 0);
	CHECK_EQ(st_of("/a/b/c/d/e").st_ino, 0);
	CHECK_EQ(sys_mkdir("/a/b/c/d/e", 0700), 0);
	CHECK_EQ(list("/a/b/c/d/e", names, 4096, 4096, NULL), 0);   /* opaque: the lower's entries stay hidden */
	CHECK_EQ(st_of("/a/b/c/d/e/deep.txt").st_ino, 0);
	CHECK_EQ(st_of("/a/b/c/d/e").st_mode, S_IFDIR | 0700);
	CHECK_EQ(wr("/a/b/c/d/e/fresh", "f", 0), 1);
	CHECK_EQ(list("/a/b/c/d/e", names, 4096, 4096, NULL), 1);
	/* an empty lower directory, removed and replaced by a file */
	CHECK_EQ(sys_rmdir("/empty_dir"), 0);
	CHECK_EQ(wr("/empty_dir", "now a file", O_EXCL), 10);
	CHECK(S_ISREG(st_of("/empty_dir").st_mode), "file");
	CHECK_EQ(sys_unlink("/empty_dir"), 0);
	CHECK_EQ(sys_mkdir("/empty_dir", 0755), 0);
	CHECK_EQ(list("/empty_dir", names, 4096, 4096, NULL), 0);
	/* mkdir -p anywhere (how volumes make their mount points) */
	CHECK_EQ(sys_mkdir("/var", 0755), 0);
	CHECK_EQ(sys_mkdir("/var/lib", 0755), 0);
	CHECK_EQ(sys_mkdir("/var/lib/mysql", 0700), 0);
	CHECK_EQ(sys_mkdir("/var/lib/mysql", 0700), -EEXIST);
	CHECK_EQ(sys_rmdir("/var"), -ENOTEMPTY);
}

/* /many: 2000 lower files f0000..f1999 and sub1, sub2. */
static void churn(int call)
{
	char p[64];
	if (call >= 60)
		return;                  /* a listing that always finds a newer name never ends */
	/* behind and ahead of the listing: new names, removals, copy-ups */
	snprintf(p, sizeof(p), "/many/n%03d", call);
	wr(p, "n", 0);
	snprintf(p, sizeof(p), "/many/f%04d", 1999 - call);   /* removed: may or may not be listed */
	sys_unlink(p);
	snprintf(p, sizeof(p), "/many/f%04d", 1000 + call);   /* copied up: listed exactly once */
	wr(p, "c", O_APPEND);
}

static void test_readdir_merge(void)
{
	char p[64];
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "/many/f%04d", i);
		CHECK_EQ(sys_unlink(p), 0);
	}
	for (int i = 10; i < 20; i++) {
		snprintf(p, sizeof(p), "/many/f%04d", i);
		CHECK_EQ(wr(p, "up", O_APPEND), 2);
	}
	for (int i = 0; i < 50; i++) {
		snprintf(p, sizeof(p), "/many/new%02d", i);
		CHECK_EQ(wr(p, "x", 0), 1);
	}
	CHECK_EQ(sys_mkdir("/many/sub3", 0755), 0);
	int n = list("/many", names, 4096, 32768, NULL);
	CHECK_EQ(n, 2000 - 10 + 2 + 50 + 1);
	int bad = 0;
	for (int i = 0; i < 2000; i++) {
		snprintf(p, sizeof(p), "f%04d", i);
		bad += count(names, n, p) != (i < 10 ? 0 : 1);
	}
	for (int i = 0; i < 50; i++) {
		snprintf(p, sizeof(p), "new%02d", i);
		bad += count(names, n, p) != 1;
	}
	CHECK_EQ(bad, 0);
	/* d_ino agrees with stat, for lower, copied-up and new names */
	int fd = (int)sys_open("/many", O_RDONLY | O_DIRECTORY, 0);
	char buf[65536];
	long r, mismatched = 0, seen = 0;
	while ((r = sys_getdents64(fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			char path[300];
			snprintf(path, sizeof(path), "/many/%s", d->d_name);
			struct kstat st = st_of(path);
			if (strcmp(d->d_name, "..") && (st.st_ino != d->d_ino || mode_to_dtype(st.st_mode) != d->d_type))
				mismatched++;
			seen++;
			off += d->d_reclen;
		}
	sys_close(fd);
	CHECK_EQ(mismatched, 0);
	CHECK_EQ(seen, n + 2);
	/* listed in small pieces while the directory changes under the listing */
	n = list("/many", names, 4096, 512, churn);
	bad = 0;
	for (int i = 10; i < 2000; i++) {
		snprintf(p, sizeof(p), "f%04d", i);
		int c = count(names, n, p);
		bool may_go = i > 1999 - 60;             /* removed during the listing */
		if (c > 1 || (c == 0 && !may_go)) {
			if (bad++ < 5)
				fprintf(stderr, "  %s listed %d times\n", p, c);
		}
	}
	for (int i = 0; i < n; i++)
		if (count(names, n, names[i]) != 1)
			bad++;
	CHECK_EQ(bad, 0);
	CHECK(n > 1700, "%d listed", n);
}

static void test_rename(void)
{
	struct kstat s = st_of("/sizes/s4096");
	size_t hl;
	char *host = host_read(srcpath(g_src, "/sizes/s4096"), &hl);
	CHECK_EQ(sys_rename("/sizes/s4096", "/sizes/moved"), 0);
	CHECK_EQ(st_of("/sizes/s4096").st_ino, 0);
	CHECK_EQ(st_of("/sizes/moved").st_ino, s.st_ino);
	long e;
	size_t kl;
	char *k = kread_all("/sizes/moved", &kl, &e);
	CHECK(k && kl == hl && !memcmp(k, host, hl), "moved data");
	free(k);
	free(host);
	int n = list("/sizes", names, 4096, 4096, NULL);
	CHECK_EQ(count(names, n, "s4096"), 0);
	CHECK_EQ(count(names, n, "moved"), 1);
	/* a directory the image has: EXDEV, as overlayfs without redirect_dir */
	CHECK_EQ(sys_rename("/a/b", "/a/b2"), -EXDEV);
	CHECK_EQ(sys_rename("/many", "/many2"), -EXDEV);
	/* a directory made in the layer moves, also over an empty lower one */
	CHECK_EQ(sys_mkdir("/newdir", 0755), 0);
	CHECK_EQ(wr("/newdir/f", "in newdir", 0), 9);
	CHECK_EQ(sys_rename("/newdir", "/var/moved"), 0);
	CHECK(!strcmp(rd("/var/moved/f"), "in newdir"), "%s", rd("/var/moved/f"));
	CHECK_EQ(sys_rename("/var/moved", "/a/b/c/d"), -ENOTEMPTY);   /* lower d has e */
	CHECK_EQ(sys_rename("/var/moved", "/app/data"), 0);           /* over the image's empty one */
	CHECK_EQ(list("/app/data", names, 4096, 4096, NULL), 1);
	CHECK(!strcmp(rd("/app/data/f"), "in newdir"), "%s", rd("/app/data/f"));
	/* the atomic save: a temp file renamed over the image's file */
	CHECK_EQ(wr("/app/db.json.tmp", "{\"n\":1}", 0), 7);
	CHECK_EQ(sys_rename("/app/db.json.tmp", "/app/db.json"), 0);
	CHECK(!strcmp(rd("/app/db.json"), "{\"n\":1}"), "%s", rd("/app/db.json"));
	n = list("/app", names, 4096, 4096, NULL);
	CHECK_EQ(count(names, n, "db.json"), 1);
	CHECK_EQ(count(names, n, "db.json.tmp"), 0);
	/* exchange two image files */
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/modes/x", AT_FDCWD, "/modes/suid", RENAME_EXCHANGE), 0);
	CHECK(!strcmp(rd("/modes/suid"), "x") && !strcmp(rd("/modes/x"), "s"), "exchanged");
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/hello.txt", AT_FDCWD, "/chain3", RENAME_NOREPLACE), -EEXIST);
	/* a directory of the layer exchanged with an image file: it must not merge with the image's */
	CHECK_EQ(sys_mkdir("/xdir2", 0755), 0);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/xdir2", AT_FDCWD, "/a/b/c/d/e", RENAME_EXCHANGE), 0);
	CHECK_EQ(list("/a/b/c/d/e", names, 4096, 4096, NULL), 0);    /* not the image's deep.txt */
	CHECK_EQ(st_of("/a/b/c/d/e/deep.txt").st_ino, 0);
	CHECK_EQ(list("/xdir2", names, 4096, 4096, NULL), 1);        /* "fresh" went along */
	CHECK(!strcmp(rd("/xdir2/fresh"), "f"), "%s", rd("/xdir2/fresh"));
	CHECK_EQ(sys_mkdir("/xdir", 0755), 0);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/xdir", AT_FDCWD, "/ln", RENAME_EXCHANGE), -EXDEV);   /* /ln: the image's */
	CHECK_EQ(sys_rename("/sizes/s49152", "/sizes_file"), 0);
	CHECK_EQ(sys_renameat2(AT_FDCWD, "/xdir", AT_FDCWD, "/sizes_file", RENAME_EXCHANGE), 0);
	CHECK(S_ISDIR(st_of("/sizes_file").st_mode) && S_ISREG(st_of("/xdir").st_mode), "exchanged kinds");
	CHECK_EQ(list("/sizes_file", names, 4096, 4096, NULL), 0);
}

static void test_links(void)
{
	/* a hard link to an image file: copied up, then linked; one st_ino */
	struct kstat a = st_of("/sizes/s4095");
	CHECK_EQ(sys_link("/sizes/s4095", "/sizes/link"), 0);
	struct kstat b = st_of("/sizes/link"), a2 = st_of("/sizes/s4095");
	CHECK_EQ(b.st_ino, a.st_ino);
	CHECK_EQ(a2.st_ino, a.st_ino);
	CHECK_EQ(b.st_nlink, 2);
	CHECK_EQ(wr("/sizes/link", "via link", O_TRUNC), 8);
	CHECK(!strcmp(rd("/sizes/s4095"), "via link"), "%s", rd("/sizes/s4095"));
	int h = (int)sys_open("/sizes/link", O_RDONLY, 0);   /* keeps the one overlay inode */
	CHECK_EQ(sys_unlink("/sizes/s4095"), 0);
	CHECK_EQ(st_of("/sizes/link").st_nlink, 1);
	CHECK(!strcmp(rd("/sizes/link"), "via link"), "%s", rd("/sizes/link"));
	/* losing one of its names does not make it a removed file */
	CHECK_EQ(sys_rename("/sizes/link", "/sizes/link2"), 0);
	CHECK_EQ(sys_rename("/sizes/link2", "/sizes/link"), 0);
	CHECK_EQ(wr("/app/up", "upper", O_EXCL), 5);
	int hu = (int)sys_open("/app/up", O_RDONLY, 0);
	CHECK_EQ(sys_link("/app/up", "/app/up2"), 0);
	CHECK_EQ(sys_unlink("/app/up2"), 0);
	CHECK_EQ(sys_rename("/app/up", "/app/up3"), 0);
	CHECK(!strcmp(rd("/app/up3"), "upper"), "%s", rd("/app/up3"));
	/* and a rename over one of two names leaves the other */
	CHECK_EQ(sys_link("/app/up3", "/app/up4"), 0);
	CHECK_EQ(wr("/app/up5", "five", O_EXCL), 4);
	CHECK_EQ(sys_rename("/app/up5", "/app/up4"), 0);
	CHECK_EQ(sys_rename("/app/up3", "/app/up"), 0);
	CHECK_EQ(st_of("/app/up").st_nlink, 1);
	CHECK_EQ(sys_unlink("/app/up4"), 0);
	CHECK_EQ(sys_unlink("/app/up"), 0);
	sys_close(hu);
	sys_close(h);
	/* over a whiteout */
	CHECK_EQ(sys_link("/sizes/link", "/sizes/s4095"), 0);
	CHECK(!strcmp(rd("/sizes/s4095"), "via link"), "%s", rd("/sizes/s4095"));
	CHECK_EQ(sys_link("/sizes/link", "/hello.txt"), -EEXIST);
	CHECK_EQ(sys_link("/a", "/a2"), -EPERM);
	/* O_TMPFILE in an image directory, named later with linkat */
	int fd = (int)sys_open("/app", O_TMPFILE | O_RDWR, 0600);
	CHECK(fd >= 0, "O_TMPFILE %d", fd);
	CHECK_EQ(sys_write(fd, "anon", 4), 4);
	int n = list("/app", names, 4096, 4096, NULL), before = n;
	CHECK_EQ(sys_linkat(fd, "", AT_FDCWD, "/app/named", AT_EMPTY_PATH), 0);
	sys_close(fd);
	CHECK(!strcmp(rd("/app/named"), "anon"), "%s", rd("/app/named"));
	/* device nodes and FIFOs made in the layer (a device 0/0 would be a whiteout) */
	CHECK_EQ(sys_mknod("/app/null", S_IFCHR | 0666, (unsigned)makedev64(240, 17)), 0);
	CHECK_EQ(sys_mknod("/app/fifo", S_IFIFO | 0600, 0), 0);
	struct kstat nst = st_of("/app/null");
	CHECK_EQ(nst.st_mode, S_IFCHR | 0644);             /* umask 022 */
	CHECK_EQ(nst.st_rdev, makedev64(240, 17));
	CHECK_EQ(st_of("/app/fifo").st_mode, S_IFIFO | 0600);
	n = list("/app", names, 4096, 4096, NULL);
	CHECK_EQ(n, before + 3);
}

static void test_enospc(void)
{
	struct kstatfs sf;
	CHECK_EQ(sys_statfs("/", &sf), 0);
	/* memory runs out: a copy-up fails whole and leaves the image's file */
	shim_frame_limit = shim_frames_allocated + 8;
	CHECK_EQ(sys_open("/sizes/s49153", O_WRONLY, 0), -ENOSPC);   /* the copy-up at open */
	int fd = (int)sys_open("/sizes/s49153", O_RDONLY, 0);
	CHECK(fd >= 0, "read-only opens need no copy");
	sys_close(fd);
	fd = (int)sys_open("/fill", O_WRONLY | O_CREAT, 0644);
	char page[4096];
	memset(page, 7, sizeof(page));
	long r = 0;
	for (int i = 0; i < 100 && r >= 0; i++)
		r = sys_write(fd, page, sizeof(page));
	CHECK_EQ(r, -ENOSPC);
	sys_close(fd);
	shim_frame_limit = 0;            /* the page cache needs frames to read the image */
	size_t hl, kl;
	long e;
	char *host = host_read(srcpath(g_src, "/sizes/s49153"), &hl), *k = kread_all("/sizes/s49153", &kl, &e);
	CHECK(k && kl == hl && !memcmp(k, host, hl), "unchanged after ENOSPC");
	free(k);
	free(host);
	CHECK_EQ(sys_unlink("/fill"), 0);
	CHECK_EQ(wr("/sizes/s49153", "z", 0), 1);
}

static void test_tmp_seeded(void)
{
	CHECK(!strcmp(rd("/tmp/seed.txt"), "seeded\n"), "%s", rd("/tmp/seed.txt"));
	CHECK(!strcmp(rd("/tmp/sub/inner.txt"), "inner\n"), "%s", rd("/tmp/sub/inner.txt"));
	char l[64] = { 0 };
	CHECK_EQ(sys_readlink("/tmp/seedlink", l, sizeof(l) - 1), 8);
	CHECK(!strcmp(l, "seed.txt"), "%s", l);
	struct host_ent h;
	host_lstat(srcpath(g_src, "/tmp/seed.txt"), &h);
	struct kstat st = st_of("/tmp/seed.txt");
	CHECK_EQ(st.st_mode, h.mode);
	CHECK_EQ(st.st_mtim.sec, h.mtime);
	CHECK(st.st_dev == st_of("/tmp").st_dev && st.st_dev != st_of("/").st_dev, "on the tmpfs");
	CHECK_EQ(wr("/tmp/seed.txt", "changed", O_TRUNC), 7);
	CHECK(!strcmp(rd("/tmp/seed.txt"), "changed"), "writable");
}

static void test_read_only_root(void)
{
	root_mount->rdonly = true;              /* what readonly-root does after the volumes */
	CHECK_EQ(sys_open("/hello.txt", O_WRONLY, 0), -EROFS);
	CHECK_EQ(sys_open("/x", O_WRONLY | O_CREAT, 0644), -EROFS);
	CHECK_EQ(sys_mkdir("/y", 0755), -EROFS);
	CHECK_EQ(sys_unlink("/chain1"), -EROFS);
	CHECK_EQ(sys_chmod("/chain1", 0600), -EROFS);
	CHECK(!strcmp(rd("/hello.txt"), "hello world\nagain\n"), "the layer is still read");
	CHECK_EQ(wr("/tmp/still", "w", 0), 1);   /* /tmp is its own tmpfs */
	root_mount->rdonly = false;
}

void suite_overlay(void)
{
	names = malloc(4096 * 256);
	RUN(test_root_is_overlay);
	RUN(test_copy_up_on_write);
	RUN(test_copy_up_attrs);
	RUN(test_whiteouts);
	RUN(test_opaque_dirs);
	RUN(test_readdir_merge);
	RUN(test_rename);
	RUN(test_links);
	RUN(test_enospc);
	RUN(test_tmp_seeded);
	RUN(test_read_only_root);
	free(names);
}
