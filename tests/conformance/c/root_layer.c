// Changes to files a directory already holds, argv[1]: in the image the
// directory is part of the image's root (so every change goes to the writable
// layer over it: copy-up, whiteouts, opaque directories, merged listings); on
// the host it is a fresh copy of the same tree on the host's filesystem.
// Expected tree: file.txt "lower data\n", mode600 (0600), db.json, link ->
// file.txt, dir/inner.txt, dir/sub/deep.txt, empty/, many/f00..f49.
// Prints only what must match (no inode numbers, owners, sizes and link
// counts of directories, or clocks other than times it set itself).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void res(const char *what, int r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: ok\n", what);
}

static void cat(const char *rel)
{
	char buf[256];
	int fd = open(P(rel), O_RDONLY);
	if (fd < 0) {
		printf("cat %s: %s\n", rel, strerrorname_np(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	printf("cat %s: [%s]\n", rel, buf);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

// Sorted names (without . and ..) with their d_type, read in small pieces.
static void ls(const char *rel)
{
	DIR *d = opendir(P(rel));
	if (!d) {
		printf("ls %s: %s\n", rel, strerrorname_np(errno));
		return;
	}
	char *names[256];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			char *s = malloc(strlen(e->d_name) + 4);
			sprintf(s, "%s/%d", e->d_name, e->d_type);
			names[n++] = s;
		}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("ls %s (%d):", rel, n);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void st(const char *rel)
{
	struct stat s;
	if (lstat(P(rel), &s) < 0)
		printf("stat %s: %s\n", rel, strerrorname_np(errno));
	else
		printf("stat %s: mode %o size %lld nlink %s\n", rel, s.st_mode, S_ISDIR(s.st_mode) ? 0LL : (long long)s.st_size,
		       S_ISDIR(s.st_mode) ? "-" : s.st_nlink == 1 ? "1" : "many");
}

static ino_t ino(const char *rel)
{
	struct stat s;
	return lstat(P(rel), &s) < 0 ? 0 : s.st_ino;
}

static int put(const char *rel, const char *data, int flags)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | flags, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, strlen(data));
	close(fd);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	snprintf(base, sizeof base, "%s", argv[1]);
	umask(022);

	// copy-up: append, keep the mode, the inode number stays
	ino_t before = ino("file.txt");
	res("append", put("file.txt", "more\n", O_APPEND));
	cat("file.txt");
	st("file.txt");
	printf("same ino after write: %d\n", ino("file.txt") == before);
	res("chmod", chmod(P("mode600"), 0640));
	st("mode600");
	struct timespec t[2] = { { 1000000000, 0 }, { 1234567890, 500 } };
	res("utimens", utimensat(AT_FDCWD, P("mode600"), t, 0));
	struct stat s;
	lstat(P("mode600"), &s);
	printf("mtime %ld.%09ld atime %ld\n", (long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec, (long)s.st_atim.tv_sec);
	res("truncate", truncate(P("many/f10"), 1));
	cat("many/f10");
	res("open O_TRUNC", put("many/f11", "", O_TRUNC));
	st("many/f11");

	// removing what the tree had: whiteouts
	res("unlink inner", unlink(P("dir/inner.txt")));
	cat("dir/inner.txt");
	res("unlink again", unlink(P("dir/inner.txt")));
	res("rmdir dir (sub left)", rmdir(P("dir")));
	res("unlink deep", unlink(P("dir/sub/deep.txt")));
	res("rmdir sub", rmdir(P("dir/sub")));
	ls("dir");
	res("rmdir dir", rmdir(P("dir")));
	st("dir");
	res("mkdir dir", mkdir(P("dir"), 0750));
	ls("dir");                      // opaque: nothing of the old one shows
	st("dir");
	res("rmdir empty", rmdir(P("empty")));
	res("file where empty was", put("empty", "now a file", O_EXCL));
	st("empty");
	res("unlink link", unlink(P("link")));
	res("symlink link", symlink("db.json", P("link")));
	char l[64] = { 0 };
	readlink(P("link"), l, sizeof l - 1);
	printf("link -> %s\n", l);

	// renames: a file away, a temp file over a file the tree has
	res("rename file.txt", rename(P("file.txt"), P("renamed.txt")));
	cat("file.txt");
	cat("renamed.txt");
	printf("same ino after rename: %d\n", ino("renamed.txt") == before);
	res("write tmp", put("db.json.tmp", "{\"n\":2}", O_EXCL));
	res("rename over db.json", rename(P("db.json.tmp"), P("db.json")));
	cat("db.json");
	res("rename onto non-empty dir", rename(P("renamed.txt"), P("many")));
	errno = 0;
	res("noreplace", renameat2(AT_FDCWD, P("renamed.txt"), AT_FDCWD, P("db.json"), RENAME_NOREPLACE));
	res("exchange", renameat2(AT_FDCWD, P("renamed.txt"), AT_FDCWD, P("db.json"), RENAME_EXCHANGE));
	cat("db.json");
	cat("renamed.txt");

	// hard links of a file the tree had
	res("link", link(P("mode600"), P("hard")));
	st("hard");
	printf("one inode: %d\n", ino("hard") == ino("mode600"));
	res("write via link", put("hard", "through the link", O_TRUNC));
	cat("mode600");

	// a merged listing
	for (int i = 0; i < 10; i++) {
		char r[32];
		snprintf(r, sizeof r, "many/f%02d", i);
		unlink(P(r));
	}
	for (int i = 0; i < 5; i++) {
		char r[32];
		snprintf(r, sizeof r, "many/g%02d", i);
		put(r, "g", 0);
	}
	mkdir(P("many/newdir"), 0755);
	ls("many");
	ls("");
	return 0;
}
