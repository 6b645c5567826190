// File operations in a directory given as argv[1] (a host directory shared
// into the image, or a plain directory on the host): create, write, read,
// append, truncate, rename, unlink, mkdir, rmdir, symlink, readlink, readdir,
// stat, chmod, utimensat, statfs, link, with the errnos Linux gives for misuse.
// Prints only what must match between the two runs (no inode numbers, owners
// or clocks).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static char base[4096];

static const char *P(const char *rel)
{
	static char buf[4][8192];
	static int k;
	char *b = buf[k++ & 3];
	snprintf(b, sizeof buf[0], "%s/%s", base, rel);
	return b;
}

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EISDIR: return "EISDIR";
	case ENOTDIR: return "ENOTDIR";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ELOOP: return "ELOOP";
	case EPERM: return "EPERM";
	default: return strerror(e);
	}
}

static void report(const char *what, long r)
{
	printf("%-28s %s\n", what, r < 0 ? ename(errno) : "ok");
}

static void show(const char *rel)
{
	struct stat st;
	if (lstat(P(rel), &st)) {
		printf("lstat %-22s %s\n", rel, ename(errno));
		return;
	}
	const char *t = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link" : "other";
	printf("lstat %-22s %s mode=%04o size=%lld", rel, t, st.st_mode & 07777, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
	if (!S_ISDIR(st.st_mode))
		printf(" nlink=%lu", (unsigned long)st.st_nlink);
	printf("\n");
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *rel)
{
	DIR *d = opendir(P(rel));
	if (!d) {
		printf("opendir %s: %s\n", rel, ename(errno));
		return;
	}
	char *names[512];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 512) {
		char line[300];
		snprintf(line, sizeof line, "%s:%s", e->d_name,
			 e->d_type == DT_DIR ? "d" : e->d_type == DT_REG ? "f" : e->d_type == DT_LNK ? "l" : "?");
		names[n++] = strdup(line);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("readdir %s (%d):", rel, n);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void readall(const char *rel)
{
	char buf[256];
	int fd = open(P(rel), O_RDONLY);
	if (fd < 0) {
		printf("read %-23s %s\n", rel, ename(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	printf("read %-23s %zd \"%s\"\n", rel, n, buf);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	umask(022);
	snprintf(base, sizeof base, "%s/dir_ops", argv[1]);
	report("mkdir base", mkdir(base, 0755));
	setvbuf(stdout, NULL, _IOLBF, 0);

	// create, write, read, append, truncate
	int fd = open(P("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0666);
	report("create a.txt", fd);
	report("write", write(fd, "hello world\n", 12));
	report("fsync", fsync(fd));
	close(fd);
	report("create again O_EXCL", open(P("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0666));
	readall("a.txt");
	fd = open(P("a.txt"), O_WRONLY | O_APPEND);
	report("open O_APPEND", fd);
	report("append", write(fd, "more\n", 5));
	lseek(fd, 0, SEEK_SET);
	report("append after seek", write(fd, "end\n", 4));
	printf("lseek end %lld\n", (long long)lseek(fd, 0, SEEK_END));
	close(fd);
	readall("a.txt");
	report("truncate 5", truncate(P("a.txt"), 5));
	readall("a.txt");
	fd = open(P("a.txt"), O_RDWR);
	report("ftruncate 9", ftruncate(fd, 9));
	char z[16] = { 0 };
	printf("pread %zd", pread(fd, z, sizeof z, 0));
	for (int i = 0; i < 9; i++)
		printf(" %02x", (unsigned char)z[i]);
	printf("\n");
	report("pwrite", pwrite(fd, "XY", 2, 20));
	struct stat st;
	fstat(fd, &st);
	printf("fstat size %lld\n", (long long)st.st_size);
	close(fd);
	fd = open(P("a.txt"), O_WRONLY | O_TRUNC);
	report("open O_TRUNC", fd);
	close(fd);
	show("a.txt");

	// a file larger than one 9P message, read back in odd pieces
	static unsigned char big[300007];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 31 + (i >> 9));
	fd = open(P("big.bin"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	printf("write big %zd\n", write(fd, big, sizeof big));
	static unsigned char back[sizeof big];
	size_t got = 0;
	lseek(fd, 0, SEEK_SET);
	for (;;) {
		ssize_t n = read(fd, back + got, 70001);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	printf("read big %zu same=%d\n", got, got == sizeof big && !memcmp(big, back, sizeof big));
	show("big.bin");

	// directories
	report("mkdir d", mkdir(P("d"), 0777));
	report("mkdir d again", mkdir(P("d"), 0777));
	report("mkdir d/e", mkdir(P("d/e"), 0700));
	fd = open(P("d/e/f"), O_CREAT | O_WRONLY, 0600);
	report("create d/e/f", fd);
	close(fd);
	report("rmdir d (not empty)", rmdir(P("d")));
	report("unlink d (a dir)", unlink(P("d")));
	report("rmdir a.txt (a file)", rmdir(P("a.txt")));
	report("open d for writing", open(P("d"), O_WRONLY));
	report("open a.txt/x", open(P("a.txt/x"), O_RDONLY));
	report("mkdir a.txt/x", mkdir(P("a.txt/x"), 0755));
	report("open O_DIRECTORY file", open(P("a.txt"), O_RDONLY | O_DIRECTORY));
	report("open missing", open(P("missing"), O_RDONLY));
	report("unlink missing", unlink(P("missing")));
	report("mkdir in missing", mkdir(P("missing/x"), 0755));
	show("d");
	show("d/e");
	show("d/e/f");
	list("d");

	// symlinks
	report("symlink", symlink("a.txt", P("ln")));
	report("symlink again", symlink("x", P("ln")));
	report("symlink dangling", symlink("nowhere", P("dangling")));
	char t[256];
	ssize_t n = readlink(P("ln"), t, sizeof t);
	printf("readlink ln %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), t);
	report("readlink a file", readlink(P("a.txt"), t, sizeof t));
	show("ln");
	printf("stat through ln: %s\n", stat(P("ln"), &st) ? ename(errno) : S_ISREG(st.st_mode) ? "file" : "?");
	printf("stat dangling: %s\n", stat(P("dangling"), &st) ? ename(errno) : "ok");

	// rename
	fd = open(P("b.txt"), O_CREAT | O_WRONLY, 0644);
	report("write b", write(fd, "bbb", 3));
	close(fd);
	report("rename b -> c", rename(P("b.txt"), P("c.txt")));
	show("b.txt");
	readall("c.txt");
	fd = open(P("keep.txt"), O_CREAT | O_WRONLY, 0644);
	report("write keep", write(fd, "keep", 4));
	close(fd);
	report("rename c over keep", rename(P("c.txt"), P("keep.txt")));
	readall("keep.txt");
	report("rename d over a.txt", rename(P("d"), P("a.txt")));
	report("rename a.txt over d", rename(P("a.txt"), P("d")));
	report("rename d into itself", rename(P("d"), P("d/e/g")));
	report("rename missing", rename(P("missing"), P("x")));
	report("mkdir empty", mkdir(P("empty"), 0755));
	report("rename d/e over empty", rename(P("d/e"), P("empty")));
	list("empty");
	report("rename d over empty", rename(P("d"), P("empty")));

	// hard links: one file under two names
	report("link keep -> hard", link(P("keep.txt"), P("hard.txt")));
	report("link over existing", link(P("keep.txt"), P("big.bin")));
	report("link a directory", link(P("d"), P("dlink")));
	report("link missing", link(P("missing"), P("x")));
	show("keep.txt");
	show("hard.txt");
	struct stat s1, s2;
	lstat(P("keep.txt"), &s1);
	lstat(P("hard.txt"), &s2);
	printf("same inode %d\n", s1.st_ino == s2.st_ino);
	fd = open(P("hard.txt"), O_WRONLY | O_APPEND);
	report("append via hard", write(fd, "+", 1));
	close(fd);
	readall("keep.txt");
	report("unlink hard", unlink(P("hard.txt")));
	show("keep.txt");

	// a directory larger than one Treaddir, read with a small getdents64 buffer
	for (int i = 0; i < 300; i++) {
		char rel[128];
		snprintf(rel, sizeof rel, "many/entry-with-a-rather-long-name-to-fill-buffers-%03d", i);
		if (i == 0)
			mkdir(P("many"), 0755);
		close(open(P(rel), O_CREAT | O_WRONLY, 0644));
	}
	int dfd = open(P("many"), O_RDONLY | O_DIRECTORY);
	char dbuf[600];
	long total = 0, sum = 0, calls = 0;
	for (;;) {
		long nr = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf);
		if (nr <= 0)
			break;
		calls++;
		for (long off = 0; off < nr;) {
			struct { unsigned long long ino; long long off; unsigned short reclen; unsigned char type; char name[]; } *e = (void *)(dbuf + off);
			int k;
			if (sscanf(e->name, "entry-with-a-rather-long-name-to-fill-buffers-%d", &k) == 1)
				sum += k + 1;
			total++;
			off += e->reclen;
		}
	}
	printf("getdents64 many: %ld entries, index sum %ld, more than one call %d\n", total, sum, calls > 1);
	lseek(dfd, 0, SEEK_SET);
	long again = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf);
	printf("getdents64 after rewind %d\n", again > 0);
	close(dfd);
	for (int i = 0; i < 300; i++) {
		char rel[128];
		snprintf(rel, sizeof rel, "many/entry-with-a-rather-long-name-to-fill-buffers-%03d", i);
		unlink(P(rel));
	}
	report("rmdir many", rmdir(P("many")));

	// O_DIRECT I/O (no FIFO: QEMU 7.2's 9p server answers Tmknod of one with
	// ENXIO, "attempt to open special file", to Linux's v9fs as to ours)
	void *al;
	if (posix_memalign(&al, 4096, 8192))
		return 1;
	memset(al, 'D', 8192);
	fd = open(P("direct.bin"), O_CREAT | O_RDWR | O_DIRECT, 0644);
	report("open O_DIRECT", fd);
	printf("direct write %zd\n", pwrite(fd, al, 8192, 0));
	memset(al, 0, 8192);
	ssize_t dn = pread(fd, al, 4096, 4096);
	printf("direct read %zd %c%c\n", dn, ((char *)al)[0], ((char *)al)[4095]);
	close(fd);
	free(al);
	report("unlink direct.bin", unlink(P("direct.bin")));

	// an open file outlives its name
	fd = open(P("keep.txt"), O_RDONLY);
	report("unlink open keep", unlink(P("keep.txt")));
	memset(t, 0, sizeof t);
	printf("read after unlink %zd \"%s\"\n", read(fd, t, sizeof t - 1), t);
	fstat(fd, &st);
	printf("fstat after unlink nlink=%lu size=%lld\n", (unsigned long)st.st_nlink, (long long)st.st_size);
	close(fd);
	show("keep.txt");

	// chmod and times
	report("chmod 0604", chmod(P("big.bin"), 0604));
	show("big.bin");
	fd = open(P("big.bin"), O_RDONLY);
	report("fchmod 0640", fchmod(fd, 0640));
	close(fd);
	show("big.bin");
	struct timespec ts[2] = { { 1000000000, 5000 }, { 1234567890, 123456789 } };
	report("utimensat", utimensat(AT_FDCWD, P("big.bin"), ts, 0));
	stat(P("big.bin"), &st);
	printf("times %lld.%09ld %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec,
	       st.st_mtim.tv_nsec);
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 42, 0 } };
	report("utimensat omit atime", utimensat(AT_FDCWD, P("big.bin"), omit, 0));
	stat(P("big.bin"), &st);
	printf("times %lld.%09ld %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec,
	       st.st_mtim.tv_nsec);

	list(".");

	struct statfs sf;
	report("statfs", statfs(base, &sf));
	printf("statfs f_type %#lx namelen %ld\n", (unsigned long)sf.f_type, (long)sf.f_namelen);

	// clean up: the directory must be removable to the last entry
	report("unlink ln", unlink(P("ln")));
	report("unlink dangling", unlink(P("dangling")));
	report("unlink a.txt", unlink(P("a.txt")));
	report("unlink big.bin", unlink(P("big.bin")));
	report("rmdir d", rmdir(P("d")));
	report("unlink empty/f", unlink(P("empty/f")));
	report("rmdir empty", rmdir(P("empty")));
	list(".");
	report("rmdir base", rmdir(base));
	return 0;
}
