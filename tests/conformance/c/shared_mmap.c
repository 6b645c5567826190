// Shared file mappings: MAP_SHARED stores and read()/write() of the same file
// meet (both ways, across two mappings), msync's errors, SIGBUS past the end
// of the file (after a truncate, and for a mapping longer than the file),
// MAP_PRIVATE against later writes, mprotect and open modes, mremap and
// MADV_DONTNEED on shared mappings, and POSIX shared memory in /dev/shm.
// argv[1]: a writable directory (tmpfs in the image).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static long pg;
static sigjmp_buf jump;
static volatile int fault_sig, fault_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	siglongjmp(jump, 1);
}

// Touch P (a store if WRITE); print what happened under NAME.
static void touch(const char *name, volatile char *p, int write)
{
	fault_sig = 0;
	if (!sigsetjmp(jump, 1)) {
		if (write)
			*p = 'w';
		else
			(void)*p;
		printf("%s: ok\n", name);
	} else {
		printf("%s: %s code %d\n", name, fault_sig == SIGBUS ? "SIGBUS" : fault_sig == SIGSEGV ? "SIGSEGV" : "?", fault_code);
	}
}

static void check(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static char *map(int fd, size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);
	if (p == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		exit(1);
	}
	return p;
}

static int open_new(const char *dir, const char *name, size_t size)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		printf("%s: %s\n", name, strerror(errno));
		exit(1);
	}
	return fd;
}

static void coherence(const char *dir)
{
	int fd = open_new(dir, "shm-coherent", 2 * pg);
	char *a = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	char *b = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	printf("distinct mappings: %d\n", a != b);
	strcpy(a + 10, "through a");
	printf("b sees a: %s\n", b + 10);
	char buf[32] = {0};
	pread(fd, buf, 9, 10);
	printf("read sees a: %s\n", buf);
	pwrite(fd, "from write", 10, pg + 5);
	printf("a sees write: %.10s, b sees write: %.10s\n", a + pg + 5, b + pg + 5);
	strcpy(b + pg + 100, "b wrote");
	pread(fd, buf, 7, pg + 100);
	printf("read sees b: %.7s, a sees b: %s\n", buf, a + pg + 100);
	struct stat st;
	fstat(fd, &st);
	printf("size unchanged: %ld\n", (long)st.st_size);
	check("msync MS_SYNC", msync(a, 2 * pg, MS_SYNC));
	check("fsync", fsync(fd));
	munmap(a, 2 * pg);
	printf("b after unmapping a: %s\n", b + 10);
	check("madvise DONTNEED", madvise(b, 2 * pg, MADV_DONTNEED));
	printf("b after DONTNEED keeps the file: %s\n", b + 10);
	munmap(b, 2 * pg);
	pread(fd, buf, 9, 10);
	printf("file after both unmapped: %s\n", buf);
	close(fd);
}

static void msync_errors(const char *dir)
{
	int fd = open_new(dir, "shm-msync", 4 * pg);
	char *a = map(fd, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	check("msync MS_ASYNC", msync(a, pg, MS_ASYNC));
	check("msync MS_INVALIDATE", msync(a, pg, MS_INVALIDATE));
	check("msync MS_SYNC|MS_INVALIDATE", msync(a, pg, MS_SYNC | MS_INVALIDATE));
	check("msync flags 0", msync(a, pg, 0));
	check("msync length 0", msync(a, 0, MS_SYNC));
	check("msync unaligned length", msync(a, 100, MS_SYNC));
	check("msync bad flag", msync(a, pg, 8));
	check("msync ASYNC|SYNC", msync(a, pg, MS_ASYNC | MS_SYNC));
	check("msync unaligned address", msync(a + 1, pg, MS_SYNC));
	munmap(a + pg, pg);                   // a hole in the middle
	check("msync over a hole SYNC", msync(a, 4 * pg, MS_SYNC));
	check("msync over a hole ASYNC", msync(a, 4 * pg, MS_ASYNC));
	check("msync from the hole ASYNC", msync(a + pg, 3 * pg, MS_ASYNC));
	check("msync from the hole SYNC", msync(a + pg, 3 * pg, MS_SYNC));
	check("msync the hole only", msync(a + pg, pg, MS_SYNC));
	munmap(a, 4 * pg);
	check("msync unmapped", msync(a, pg, MS_SYNC));
	char *anon = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check("msync anonymous", msync(anon, pg, MS_SYNC));
	munmap(anon, pg);
	close(fd);
}

static void past_eof(const char *dir)
{
	int fd = open_new(dir, "shm-eof", 0);
	pwrite(fd, "hundred", 7, 93);              // 100 bytes
	char *a = map(fd, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	printf("tail of the last page reads zero: %d\n", a[100] == 0 && a[pg - 1] == 0);
	touch("store in the last page past EOF", a + 200, 1);
	struct stat st;
	fstat(fd, &st);
	printf("size after that store: %ld\n", (long)st.st_size);
	touch("read a page past EOF", a + pg, 0);
	touch("store a page past EOF", a + 2 * pg + 5, 1);
	// Growing the file makes the pages reachable.
	ftruncate(fd, 2 * pg + 10);
	touch("read after growing", a + pg, 0);
	touch("store after growing", a + 2 * pg + 5, 1);
	char c = 0;
	pread(fd, &c, 1, 2 * pg + 5);
	printf("read sees it: %c\n", c);
	// Truncate: pages wholly past the end go, the partial one keeps its head.
	strcpy(a + pg + 50, "gone");
	strcpy(a, "head");
	ftruncate(fd, 60);
	touch("read the first page after truncate", a + 10, 0);
	printf("head kept: %s, cut tail zero: %d\n", a, a[93] == 0 && a[200] == 0);
	touch("read a cut page", a + pg + 50, 0);
	touch("store a cut page", a + 2 * pg, 1);
	ftruncate(fd, 2 * pg);
	printf("a grown-back page reads zero: %d\n", a[pg + 50] == 0);
	char *p = map(fd, pg, PROT_READ, MAP_PRIVATE);
	ftruncate(fd, 0);
	touch("private mapping after truncate to 0", p, 0);
	munmap(p, pg);
	munmap(a, 3 * pg);
	close(fd);
}

static void private_vs_writes(const char *dir)
{
	int fd = open_new(dir, "shm-private", pg);
	pwrite(fd, "original", 8, 0);
	pwrite(fd, "second", 6, 100);
	char *p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	printf("private reads: %.8s\n", p);
	pwrite(fd, "REWRITE!", 8, 0);
	printf("private before its first store sees the write: %.8s\n", p);
	p[100] = 'S';
	pwrite(fd, "later", 5, 0);
	printf("private after its store: %.8s %.6s\n", p, p + 100);
	char buf[8] = {0};
	pread(fd, buf, 6, 100);
	printf("file does not see the private store: %.6s\n", buf);
	munmap(p, pg);
	close(fd);
}

static void modes(const char *dir)
{
	int fd = open_new(dir, "shm-modes", pg);
	pwrite(fd, "abc", 3, 0);
	close(fd);
	char path[512];
	snprintf(path, sizeof path, "%s/shm-modes", dir);
	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY), rw = open(path, O_RDWR), ap = open(path, O_RDWR | O_APPEND);
	check("shared write of O_RDONLY", (long)mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
	check("shared read of O_WRONLY", (long)mmap(NULL, pg, PROT_READ, MAP_SHARED, wo, 0));
	check("private read of O_WRONLY", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wo, 0));
	char *r = map(ro, pg, PROT_READ, MAP_SHARED);
	check("mprotect write on shared O_RDONLY", mprotect(r, pg, PROT_READ | PROT_WRITE));
	char *pr = map(ro, pg, PROT_READ, MAP_PRIVATE);
	check("mprotect write on private O_RDONLY", mprotect(pr, pg, PROT_READ | PROT_WRITE));
	pr[0] = 'P';
	char *w = map(rw, pg, PROT_READ, MAP_SHARED);
	touch("store to a read-only shared mapping", w, 1);
	check("mprotect write on shared O_RDWR", mprotect(w, pg, PROT_READ | PROT_WRITE));
	w[1] = 'B';
	printf("O_RDONLY shared mapping sees it: %.3s, private copy: %.3s\n", r, pr);
	check("mprotect none", mprotect(w, pg, PROT_NONE));
	touch("read PROT_NONE", w, 0);
	check("mprotect back", mprotect(w, pg, PROT_READ | PROT_WRITE));
	w[2] = 'C';
	char buf[4] = {0};
	pread(rw, buf, 3, 0);
	printf("read after mprotect round trip: %.3s\n", buf);
	char *a = map(ap, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	a[0] = 'A';
	pread(rw, buf, 3, 0);
	printf("O_APPEND shared mapping stores: %.3s\n", buf);
	munmap(a, pg);
	munmap(w, pg);
	munmap(r, pg);
	munmap(pr, pg);
	int d = open(dir, O_RDONLY | O_DIRECTORY), pp[2];
	check("mmap a directory", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, d, 0));
	pipe(pp);
	check("mmap a pipe", (long)mmap(NULL, pg, PROT_READ, MAP_SHARED, pp[0], 0));
	check("mmap a pipe's write end", (long)mmap(NULL, pg, PROT_READ, MAP_SHARED, pp[1], 0));
	check("mmap a closed fd", (long)mmap(NULL, pg, PROT_READ, MAP_SHARED, 1000, 0));
	close(d);
	close(pp[0]);
	close(pp[1]);
	close(ro);
	close(wo);
	close(rw);
	close(ap);
}

static void remap(const char *dir)
{
	int fd = open_new(dir, "shm-remap", pg);
	char *a = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	strcpy(a, "first page");
	ftruncate(fd, 3 * pg);
	char *b = mremap(a, pg, 3 * pg, MREMAP_MAYMOVE);
	if (b == MAP_FAILED) {
		printf("mremap: %s\n", strerror(errno));
		exit(1);
	}
	printf("moved or grown keeps the page: %s\n", b);
	strcpy(b + 2 * pg, "third page");
	char buf[12] = {0};
	pread(fd, buf, 10, 2 * pg);
	printf("read sees the grown part: %s\n", buf);
	pwrite(fd, "FIRST", 5, 0);
	printf("grown mapping sees write: %.10s\n", b);
	char *c = mremap(b, 3 * pg, pg, 0);
	printf("shrunk in place: %d, %.10s\n", c == b, c);
	// An old size of 0 makes a second mapping of the same pages.
	check("duplicate without MREMAP_MAYMOVE", (long)mremap(c, 0, pg, 0));
	char *d = mremap(c, 0, 2 * pg, MREMAP_MAYMOVE);
	check("duplicate a shared mapping", (long)d);
	if (d != MAP_FAILED) {
		printf("duplicate is elsewhere: %d, shows: %.10s\n", d != c, d);
		d[pg] = 'D';
		pread(fd, buf, 1, pg);
		printf("store through the duplicate's second page reaches the file: %c\n", buf[0]);
		d[0] = 'f';
		printf("the original sees the duplicate's store: %.5s\n", c);
		munmap(d, 2 * pg);
	}
	char *p = map(fd, pg, PROT_READ, MAP_PRIVATE);
	check("duplicate a private mapping", (long)mremap(p, 0, pg, MREMAP_MAYMOVE));
	munmap(p, pg);
	munmap(c, pg);
	close(fd);
}

// A file that already exists (in the image: in the read-only layer under the
// writable root, not yet copied up): read through a shared mapping, then
// stored to, then written; put back as found, for the next run.
static void existing(const char *path)
{
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		printf("%s: %s\n", path, strerror(errno));
		return;
	}
	char *a = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	char *r = map(fd, 2 * pg, PROT_READ, MAP_SHARED);
	char head[8], buf[8] = {0};
	memcpy(head, a, 7);
	char second = a[pg];
	printf("existing file reads: %.7s, %.7s\n", a, r + pg);
	a[0] = 'X';
	pread(fd, buf, 1, 0);
	printf("a store reaches read: %c, the other mapping: %c\n", buf[0], r[0]);
	pwrite(fd, "Y", 1, 1);
	printf("a write reaches the mapping: %c\n", a[1]);
	a[pg] = 'Z';
	pread(fd, buf, 1, pg);
	printf("second page: %c\n", buf[0]);
	memcpy(a, head, 7);
	a[pg] = second;
	munmap(a, 2 * pg);
	munmap(r, 2 * pg);
	close(fd);
}

static void posix_shm(void)
{
	shm_unlink("/conformance-shm");
	int fd = shm_open("/conformance-shm", O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		printf("shm_open: %s\n", strerror(errno));
		return;
	}
	check("ftruncate shm", ftruncate(fd, 8 * pg));
	char *a = map(fd, 8 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	int fd2 = shm_open("/conformance-shm", O_RDWR, 0);
	char *b = map(fd2, 8 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
	for (int i = 0; i < 8; i++)
		a[i * pg + i] = (char)('a' + i);
	int same = 1;
	for (int i = 0; i < 8; i++)
		same &= b[i * pg + i] == 'a' + i;
	printf("second shm_open mapping sees all pages: %d\n", same);
	check("shm_unlink", shm_unlink("/conformance-shm"));
	b[7 * pg] = 'Z';
	printf("still shared after unlink: %c\n", a[7 * pg]);
	check("shm_open after unlink", shm_open("/conformance-shm", O_RDWR, 0));
	munmap(a, 8 * pg);
	munmap(b, 8 * pg);
	close(fd);
	close(fd2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: shared_mmap DIR\n");
		return 2;
	}
	pg = sysconf(_SC_PAGESIZE);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	coherence(argv[1]);
	msync_errors(argv[1]);
	past_eof(argv[1]);
	private_vs_writes(argv[1]);
	modes(argv[1]);
	remap(argv[1]);
	if (argc > 2)
		existing(argv[2]);
	posix_shm();
	return 0;
}
