/* ext2 and the page cache against the host's tree and debugfs. */
#include <string.h>
#include "test.h"

/* ---- the whole tree: kernel lstat/readdir/read/readlink vs the host ---- */

static int tree_entries;

/* /tmp, /run, /dev and /proc have filesystems mounted over them: what the host has there is hidden. */
static bool mount_point(const char *rel)
{
	static const char *const mps[] = { "/tmp", "/run", "/dev", "/proc" };
	for (size_t k = 0; k < ARRAY_SIZE(mps); k++) {
		size_t n = strlen(mps[k]);
		if (!strncmp(rel, mps[k], n) && (!rel[n] || rel[n] == '/'))
			return true;
	}
	return false;
}

static void compare_dir(const char *rel, const char *full)
{
	if (mount_point(rel))
		return;
	static char hnames[2100][256];
	static unsigned char htypes[2100];
	int hn = host_list(full, hnames, htypes, 2100);
	int fd = (int)sys_open(rel[0] ? rel : "/", O_RDONLY | O_DIRECTORY, 0);
	CHECK(fd >= 0, "open dir %s: %d", rel, fd);
	if (fd < 0)
		return;
	char buf[4096];
	int kn = 0, matched = 0;
	for (;;) {
		long n = sys_getdents64(fd, buf, sizeof(buf));
		CHECK(n >= 0, "getdents64 %s: %ld", rel, n);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			kn++;
			for (int i = 0; i < hn; i++)
				if (!strcmp(hnames[i], d->d_name)) {
					matched++;
					CHECK(htypes[i] == DT_UNKNOWN || htypes[i] == d->d_type || !strcmp(d->d_name, "..") ||
					      !strcmp(d->d_name, "."),
					      "%s/%s: d_type %d vs host %d", rel, d->d_name, d->d_type, htypes[i]);
					break;
				}
			off += d->d_reclen;
		}
	}
	sys_close(fd);
	/* the image has lost+found where the host has none */
	int extra = !rel[0] ? 1 : 0;
	CHECK_EQ(kn, hn + extra);
	CHECK_EQ(matched, hn);
}

static void tree_cb(const char *rel, const char *full, const struct host_ent *h, void *ctx)
{
	(void)ctx;
	struct kstat st;
	if (mount_point(rel))
		return;
	tree_entries++;
	long r = sys_lstat(rel, &st);
	CHECK(r == 0, "lstat %s: %ld", rel, r);
	if (r)
		return;
	CHECK(st.st_mode == h->mode, "%s: mode %o vs host %o", rel, st.st_mode, h->mode);
	if (!S_ISDIR(h->mode))
		CHECK(st.st_size == (int64_t)h->size, "%s: size %ld vs host %lu", rel, (long)st.st_size, (unsigned long)h->size);
	CHECK(st.st_nlink == h->nlink, "%s: nlink %lu vs host %lu", rel, (unsigned long)st.st_nlink, (unsigned long)h->nlink);
	CHECK(st.st_uid == h->uid && st.st_gid == h->gid, "%s: owner", rel);
	if (!S_ISLNK(h->mode))
		CHECK(st.st_mtim.sec == h->mtime, "%s: mtime %ld vs host %ld", rel, (long)st.st_mtim.sec, (long)h->mtime);
	CHECK_EQ(st.st_blksize, 4096);
	if (S_ISLNK(h->mode)) {
		char buf[4096];
		long n = sys_readlink(rel, buf, sizeof(buf));
		CHECK(n == (long)strlen(h->link) && !memcmp(buf, h->link, (size_t)n), "%s: link target", rel);
	} else if (S_ISREG(h->mode) && h->size < (64u << 20) && (!strncmp(rel, "/many/", 6) ? rel[7] == '0' : 1)) {
		size_t hl, kl;
		long err;
		char *hb = host_read(full, &hl), *kb = kread_all(rel, &kl, &err);
		CHECK(kb && hl == kl && !memcmp(hb, kb, hl), "%s: contents differ (err %ld)", rel, err);
		free(hb);
		free(kb);
	} else if (S_ISDIR(h->mode)) {
		compare_dir(rel, full);
	}
}

static void test_tree_matches_host(void)
{
	tree_entries = 0;
	compare_dir("", g_src);
	host_walk(g_src, tree_cb, NULL);
	CHECK(tree_entries > 2050, "walked %d entries", tree_entries);
}

/* ---- debugfs: inode numbers, modes, block counts, times ---- */

static void test_matches_debugfs(void)
{
	FILE *f = fopen(g_expect, "r");
	CHECK(f != NULL, "open %s", g_expect);
	if (!f)
		return;
	char line[4096], dir[4096] = "", cur[4096] = "";
	int ls_entries = 0, stats = 0;
	struct kstat st;
	struct kstatx stx;
	bool have = false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "debugfs: ls -p \"", 16)) {
			snprintf(dir, sizeof(dir), "%s", line + 16);
			dir[strlen(dir) - 1] = 0;
			cur[0] = 0;
			continue;
		}
		if (!strncmp(line, "debugfs: stat \"", 15)) {
			snprintf(cur, sizeof(cur), "%s", line + 15);
			cur[strlen(cur) - 1] = 0;
			dir[0] = 0;
			if (mount_point(cur)) {
				have = false;
				continue;
			}
			have = sys_lstat(cur, &st) == 0 && sys_statx(AT_FDCWD, cur, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &stx) == 0;
			CHECK(have, "stat %s", cur);
			stats++;
			continue;
		}
		unsigned long ino, mode, uid, gid;
		char name[300], size[64];
		if (dir[0] && line[0] == '/' &&
		    sscanf(line, "/%lu/%lo/%lu/%lu/%255[^/]/%63[^/]/", &ino, &mode, &uid, &gid, name, size) >= 5) {
			char p[8192];
			snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "", name);
			if (sys_lstat(p, &st) == 0) {
				/* "." and ".." of a mount point are the mounted fs's own */
				if (!strcmp(name, ".") || !strcmp(name, "..") || mount_point(p))
					continue;
				CHECK(st.st_ino == ino, "%s: ino %lu vs debugfs %lu", p, (unsigned long)st.st_ino, ino);
				CHECK(st.st_mode == mode, "%s: mode %o vs debugfs %lo", p, st.st_mode, mode);
				CHECK(st.st_uid == uid && st.st_gid == gid, "%s: owner", p);
				ls_entries++;
			} else {
				CHECK(0, "lstat %s failed", p);
			}
			continue;
		}
		if (!cur[0] || !have)
			continue;
		const char *s;
		if ((s = strstr(line, "Blockcount: ")))
			CHECK(st.st_blocks == atol(s + 12), "%s: blocks %ld vs debugfs %ld", cur, (long)st.st_blocks, atol(s + 12));
		if ((s = strstr(line, "Links: ")))
			CHECK(st.st_nlink == (uint64_t)atol(s + 7), "%s: nlink", cur);
		if ((s = strstr(line, "Inode: ")))
			CHECK(st.st_ino == (uint64_t)atol(s + 7), "%s: ino", cur);
		unsigned long sec, extra;
		if (sscanf(line, " ctime: 0x%lx:%lx", &sec, &extra) == 2)
			CHECK(st.st_ctim.sec == (int64_t)sec && st.st_ctim.nsec == (int64_t)(extra >> 2), "%s: ctime", cur);
		if (sscanf(line, " atime: 0x%lx:%lx", &sec, &extra) == 2)
			CHECK(st.st_atim.sec == (int64_t)sec, "%s: atime", cur);
		if (sscanf(line, " mtime: 0x%lx:%lx", &sec, &extra) == 2)
			CHECK(st.st_mtim.sec == (int64_t)sec && stx.stx_mtime.tv_sec == (int64_t)sec, "%s: mtime", cur);
		if (sscanf(line, "crtime: 0x%lx:%lx", &sec, &extra) == 2)
			CHECK((stx.stx_mask & STATX_BTIME) && stx.stx_btime.tv_sec == (int64_t)sec, "%s: btime", cur);
	}
	fclose(f);
	CHECK(ls_entries > 2000, "%d ls entries compared", ls_entries);
	CHECK(stats > 40, "%d stats compared", stats);
}

/* ---- big and sparse files ---- */

static void test_big_file_random_access(void)
{
	size_t hl;
	char *hb = host_read(srcpath(g_src, "/big"), &hl);
	int fd = (int)sys_open("/big", O_RDONLY, 0);
	CHECK(fd >= 0 && hb, "open big");
	char buf[70000];
	unsigned seed = 12345;
	for (int i = 0; i < 500; i++) {
		seed = seed * 1103515245u + 12345u;
		size_t off = seed % hl, n = (seed >> 7) % sizeof(buf);
		long r = sys_pread64(fd, buf, n, (off_t)off);
		size_t want = MIN(n, hl - off);
		CHECK(r == (long)want && !memcmp(buf, hb + off, want), "pread %zu at %zu -> %ld", n, off, r);
	}
	CHECK_EQ(sys_pread64(fd, buf, 10, (off_t)hl), 0);
	CHECK_EQ(sys_pread64(fd, buf, 10, -1), -EINVAL);
	CHECK_EQ(sys_lseek(fd, 0, SEEK_END), (long)hl);
	CHECK_EQ(sys_lseek(fd, -10, SEEK_CUR), (long)hl - 10);
	CHECK_EQ(sys_read(fd, buf, 100), 10);
	CHECK_EQ(sys_lseek(fd, -1, SEEK_SET), -EINVAL);
	sys_close(fd);
	free(hb);
}

static void test_sparse_triple_indirect(void)
{
	struct kstat st;
	CHECK_EQ(sys_stat("/sparse", &st), 0);
	CHECK_EQ(st.st_size, 5000000003LL);
	CHECK(st.st_blocks < 100, "sparse file uses %ld blocks", (long)st.st_blocks);
	int fd = (int)sys_open("/sparse", O_RDONLY, 0);
	char buf[16] = { 0 };
	CHECK_EQ(sys_pread64(fd, buf, 5, 0), 5);
	CHECK(!memcmp(buf, "start", 5), "start");
	CHECK_EQ(sys_pread64(fd, buf, 6, 10 << 20), 6);
	CHECK(!memcmp(buf, "middle", 6), "middle");
	CHECK_EQ(sys_pread64(fd, buf, 16, 5000000000LL), 3);
	CHECK(!memcmp(buf, "END", 3), "end");
	memset(buf, 1, sizeof(buf));
	CHECK_EQ(sys_pread64(fd, buf, 16, 3000000000LL), 16);
	CHECK(!memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16), "hole reads zeros");
	sys_close(fd);
}

/* ---- the 2000-entry directory through small getdents buffers ---- */

static void test_many_entries(void)
{
	int fd = (int)sys_open("/many", O_RDONLY | O_DIRECTORY, 0);
	static unsigned char seen[2000];
	memset(seen, 0, sizeof(seen));
	char buf[200];
	int total = 0, dups = 0, calls = 0;
	int64_t resume_off = -1;
	char resume_name[64] = "";
	for (;;) {
		long n = sys_getdents64(fd, buf, sizeof(buf));
		CHECK(n >= 0, "getdents %ld", n);
		if (n <= 0)
			break;
		calls++;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			total++;
			if (d->d_name[0] == 'f') {
				int k = atoi(d->d_name + 1);
				if (seen[k]++)
					dups++;
				CHECK(d->d_type == DT_REG, "type");
			}
			if (total == 777) {
				resume_off = d->d_off;
				off += d->d_reclen;
				if (off < n)
					snprintf(resume_name, sizeof(resume_name), "%s", ((struct linux_dirent64 *)(buf + off))->d_name);
				continue;
			}
			off += d->d_reclen;
		}
	}
	CHECK_EQ(total, 2004);
	CHECK_EQ(dups, 0);
	int missing = 0;
	for (int k = 0; k < 2000; k++)
		missing += !seen[k];
	CHECK_EQ(missing, 0);
	CHECK(calls > 100, "%d calls", calls);
	/* seekdir to a d_off: the next entry comes back */
	if (resume_name[0]) {
		CHECK_EQ(sys_lseek(fd, resume_off, SEEK_SET), resume_off);
		long n = sys_getdents64(fd, buf, sizeof(buf));
		CHECK(n > 0 && !strcmp(((struct linux_dirent64 *)buf)->d_name, resume_name), "resume at %s", resume_name);
	}
	CHECK_EQ(sys_lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(sys_getdents64(fd, buf, 10), -EINVAL);
	sys_close(fd);
	struct kstat st;
	CHECK_EQ(sys_stat("/many/f1999", &st), 0);
	CHECK_EQ(st.st_size, 4);
	CHECK_EQ(sys_stat("/many/f2000", &st), -ENOENT);
	CHECK_EQ(sys_getdents64(0, buf, sizeof(buf)), -ENOTDIR);
	int ffd = (int)sys_open("/hello.txt", O_RDONLY, 0);
	CHECK_EQ(sys_getdents64(ffd, buf, sizeof(buf)), -ENOTDIR);
	CHECK_EQ(sys_read(ffd, buf, 0), 0);
	sys_close(ffd);
	int dfd = (int)sys_open("/many", O_RDONLY, 0);
	CHECK_EQ(sys_read(dfd, buf, 10), -EISDIR);
	sys_close(dfd);
}

/* ---- the page cache: on demand, bounded ---- */

static void test_pcache_on_demand(void)
{
	struct blk_dev *d = blk_get(0);
	pcache_drop(d);
	blkfile_sectors_read = 0;
	size_t len;
	long err;
	char *b = kread_all("/sizes/s4097", &len, &err);
	CHECK(b && len == 4097, "read small file");
	free(b);
	uint64_t small = blkfile_sectors_read * 512;
	CHECK(small <= 512 * 1024, "reading a 4 KiB file read %lu bytes of disk", (unsigned long)small);
	blkfile_sectors_read = 0;
	b = kread_all("/big", &len, &err);
	CHECK(b && len == 20u << 20, "read big");
	free(b);
	uint64_t big = blkfile_sectors_read * 512;
	CHECK(big >= (20u << 20) && big <= (21u << 20) + (1u << 20), "reading 20 MiB read %lu bytes of disk", (unsigned long)big);
	struct pcache_stats s;
	pcache_get_stats(&s);
	CHECK(s.pages <= s.max_pages, "cache within bounds");
	CHECK(s.hits > 0 && s.misses > 0, "hits %lu misses %lu", (unsigned long)s.hits, (unsigned long)s.misses);
	/* read-ahead: a sequential read uses large requests */
	pcache_drop(d);
	uint64_t req0 = blkfile_requests;
	b = kread_all("/big", &len, &err);
	free(b);
	uint64_t reqs = blkfile_requests - req0;
	CHECK(reqs < 20u * 256 / 8, "20 MiB sequential read took %lu requests", (unsigned long)reqs);
}

static void test_pcache_eviction(void)
{
	struct blk_dev *d = blk_get(0);
	pcache_drop(d);
	struct pcache_stats before, after;
	pcache_get_stats(&before);
	pcache_init(128);
	size_t hl, kl;
	long err;
	char *hb = host_read(srcpath(g_src, "/big"), &hl);
	for (int round = 0; round < 2; round++) {
		char *kb = kread_all("/big", &kl, &err);
		CHECK(kb && kl == hl && !memcmp(hb, kb, hl), "big file through a 128-page cache");
		free(kb);
		pcache_get_stats(&after);
		CHECK(after.pages <= 128, "%lu pages cached", (unsigned long)after.pages);
	}
	CHECK(after.evictions > before.evictions + 5000, "evictions %lu", (unsigned long)after.evictions);
	free(hb);
	pcache_init(1u << 15);
}

/* ---- the other layout: 1 KiB blocks, 128-byte inodes ---- */

static void test_small_blocks_image(void)
{
	struct mount *m;
	CHECK_EQ(sys_mkdir("/tmp/mnt2", 0755), 0);
	CHECK_EQ(ext2_mount(blk_get(1), makedev64(254, 16), &m), 0);
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(AT_FDCWD, "/tmp/mnt2", WALK_FOLLOW, &nd);
	if (!err)
		err = mount_attach(m, nd.ino);
	nd_done(&nd);
	vfs_unlock();
	CHECK_EQ(err, 0);
	size_t hl, kl;
	long e;
	char *hb = host_read(srcpath(g_src2, "/f300k"), &hl), *kb = kread_all("/tmp/mnt2/f300k", &kl, &e);
	CHECK(kb && hl == kl && !memcmp(hb, kb, hl), "f300k through 1 KiB blocks (%ld)", e);
	free(hb);
	free(kb);
	kb = kread_all("/tmp/mnt2/link", &kl, &e);
	CHECK(kb && kl == 6 && !memcmp(kb, "small\n", 6), "symlink on 1 KiB image");
	free(kb);
	struct kstat st;
	CHECK_EQ(sys_stat("/tmp/mnt2/d/e/../../d/e/small", &st), 0);
	CHECK_EQ(sys_stat("/tmp/mnt2/..", &st), 0);
	CHECK_EQ(st.st_ino, 1);    /* back in the tmpfs root */
	CHECK_EQ(sys_rmdir("/tmp/mnt2"), -EBUSY);
	CHECK_EQ(sys_rename("/tmp/mnt2/link", "/tmp/x"), -EXDEV);
	struct kstatfs sf;
	CHECK_EQ(sys_statfs("/tmp/mnt2", &sf), 0);
	CHECK_EQ(sf.f_bsize, 1024);
	CHECK_EQ(sf.f_type, 0xEF53);
}

static void test_read_only(void)
{
	CHECK_EQ(sys_open("/hello.txt", O_WRONLY, 0), -EROFS);
	CHECK_EQ(sys_open("/hello.txt", O_RDONLY | O_TRUNC, 0), -EROFS);
	CHECK_EQ(sys_open("/newfile", O_WRONLY | O_CREAT, 0644), -EROFS);
	CHECK_EQ(sys_open("/hello.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), -EEXIST);
	CHECK_EQ(sys_mkdir("/newdir", 0755), -EROFS);
	CHECK_EQ(sys_mkdir("/a", 0755), -EEXIST);
	CHECK_EQ(sys_unlink("/hello.txt"), -EROFS);
	CHECK_EQ(sys_rmdir("/empty_dir"), -EROFS);
	CHECK_EQ(sys_rename("/hello.txt", "/x"), -EROFS);
	CHECK_EQ(sys_rename("/hello.txt", "/tmp/x"), -EXDEV);
	CHECK_EQ(sys_symlink("x", "/newlink"), -EROFS);
	CHECK_EQ(sys_truncate("/hello.txt", 0), -EROFS);
	CHECK_EQ(sys_chmod("/hello.txt", 0600), -EROFS);
	CHECK_EQ(sys_utimensat(AT_FDCWD, "/hello.txt", NULL, 0), -EROFS);
	CHECK_EQ(sys_access("/hello.txt", R_OK), 0);
	CHECK_EQ(sys_access("/hello.txt", W_OK), -EROFS);
	CHECK_EQ(sys_access("/hello.txt", X_OK), -EACCES);
	CHECK_EQ(sys_access("/modes/x", X_OK), 0);
	CHECK_EQ(sys_access("/modes/ro", R_OK), 0);
	CHECK_EQ(sys_access("/nope", F_OK), -ENOENT);
	CHECK_EQ(sys_access("/hello.txt", 8), -EINVAL);
	CHECK_EQ(sys_faccessat2(AT_FDCWD, "/dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(sys_faccessat(AT_FDCWD, "/dangling", F_OK), -ENOENT);
	int fd = (int)sys_open("/hello.txt", O_RDONLY, 0);
	CHECK_EQ(sys_write(fd, "x", 1), -EBADF);
	CHECK_EQ(sys_ftruncate(fd, 0), -EINVAL);
	CHECK_EQ(sys_fsync(fd), 0);
	struct kstatfs sf;
	CHECK_EQ(sys_fstatfs(fd, &sf), 0);
	CHECK_EQ(sf.f_type, 0xEF53);
	CHECK_EQ(sf.f_bsize, 4096);
	CHECK(sf.f_flags & ST_RDONLY, "read-only flag");
	sys_close(fd);
	CHECK_EQ(sys_statfs("/tmp", &sf), 0);
	CHECK_EQ(sf.f_type, 0x01021994);
}

/* Writes through the cache reach the disk on sync; a read-only disk refuses them. */
static void test_pcache_write_back(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s.scratch", g_img2);
	FILE *f = fopen(path, "wb");
	static char zeros[1 << 20];
	CHECK(f && fwrite(zeros, 1, sizeof(zeros), f) == sizeof(zeros), "make scratch disk");
	fclose(f);
	struct blk_dev *d = blkfile_open(path, 1);
	CHECK(d != NULL, "open scratch disk");
	if (!d)
		return;
	CHECK_EQ(pcache_write(d, 5000, "written", 7), 0);
	CHECK_EQ(pcache_write(d, 4096 * 100 - 3, "across", 6), 0);   /* spans two pages */
	char back[8] = { 0 };
	CHECK_EQ(pcache_read(d, 5000, back, 7), 0);
	CHECK(!memcmp(back, "written", 7), "read back from the cache");
	CHECK_EQ(pcache_sync(d), 0);
	size_t n;
	char *host = host_read(path, &n);
	CHECK(host && n == sizeof(zeros) && !memcmp(host + 5000, "written", 7) && !memcmp(host + 4096 * 100 - 3, "across", 6),
	      "written back to the file");
	free(host);
	CHECK_EQ(pcache_write(blk_get(0), 0, "x", 1), -EROFS);
	remove(path);
}

void suite_ext2(void)
{
	RUN(test_tree_matches_host);
	RUN(test_matches_debugfs);
	RUN(test_big_file_random_access);
	RUN(test_sparse_triple_indirect);
	RUN(test_many_entries);
	RUN(test_pcache_on_demand);
	RUN(test_pcache_eviction);
	RUN(test_small_blocks_image);
	RUN(test_read_only);
	RUN(test_pcache_write_back);
}
