// What InnoDB (MariaDB 10.11) does with its files, each answer printed:
// the persistent-memory probe of its redo log (mmap with MAP_SHARED_VALIDATE
// | MAP_SYNC, which must fail off DAX: success makes InnoDB skip every fsync
// of the log), O_DIRECT reads and writes (aligned, and a misaligned buffer,
// offset and length), pread/pwrite past 4 GiB, fallocate mode 0 as
// posix_fallocate sizes a tablespace, fdatasync and fsync.
// argv[1]: a writable directory.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

static void check(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

// Print a read or write's result: its count, or its errno.
static void report(const char *what, ssize_t r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: %zd\n", what, r);
}

static void same(const char *what, const char *a, const char *b, size_t n)
{
	printf("%s: %s\n", what, memcmp(a, b, n) ? "differs" : "same");
}

static void check_map(const char *what, void *p, size_t len)
{
	if (p == MAP_FAILED) {
		printf("%s: %s\n", what, strerror(errno));
		return;
	}
	printf("%s: ok\n", what);
	munmap(p, len);
}

static void maps(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/ib_logfile0", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0) {
		perror("ib_logfile0");
		exit(1);
	}
	size_t len = 1 << 20;
	check_map("mmap shared_validate|sync", mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0), len);
	check_map("mmap shared_validate|sync read-only", mmap(NULL, len, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0), len);
	check_map("mmap shared_validate", mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0), len);
	check_map("mmap shared_validate|populate", mmap(NULL, len, PROT_READ, MAP_SHARED_VALIDATE | MAP_POPULATE, fd, 0), len);
	check_map("mmap anonymous shared_validate", mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0), len);
	close(fd);
}

static void direct(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/ibdata1", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0660);
	if (fd < 0) {
		printf("open O_DIRECT: %s\n", strerror(errno));
		return;
	}
	printf("open O_DIRECT: ok, O_DIRECT %s\n", (fcntl(fd, F_GETFL) & O_DIRECT) ? "set" : "clear");
	check("fallocate 12 MiB", fallocate(fd, 0, 0, 12 << 20));
	struct stat st;
	fstat(fd, &st);
	printf("size %lld\n", (long long)st.st_size);

	char *buf = aligned_alloc(4096, 3 * 4096);
	for (int i = 0; i < 3 * 4096; i++)
		buf[i] = (char)(i * 7 + 1);
	report("pwrite 8 KiB at 64 KiB", pwrite(fd, buf, 2 * 4096, 65536));
	report("pwrite misaligned buffer", pwrite(fd, buf + 1, 4096, 0));
	report("pwrite misaligned offset", pwrite(fd, buf, 4096, 100));
	report("pwrite misaligned length", pwrite(fd, buf, 100, 0));
	const off_t far = (5LL << 30) + 8192;
	report("pwrite at 5 GiB", pwrite(fd, buf + 4096, 4096, far));
	fstat(fd, &st);
	printf("size %lld\n", (long long)st.st_size);
	check("fdatasync", fdatasync(fd));
	check("fsync", fsync(fd));

	char *back = aligned_alloc(4096, 3 * 4096);
	memset(back, 0, 3 * 4096);
	report("pread 8 KiB at 64 KiB", pread(fd, back, 2 * 4096, 65536));
	same("  data", back, buf, 2 * 4096);
	report("pread at 5 GiB", pread(fd, back, 4096, far));
	same("  data", back, buf + 4096, 4096);
	report("pread past the end", pread(fd, back, 4096, far + 4096));
	memset(back, 1, 4096);
	report("pread of the hole at 4 GiB", pread(fd, back, 4096, 4LL << 30));
	printf("  %s\n", back[0] || back[4095] ? "not zero" : "zero");
	close(fd);

	// The same file read through the page cache sees what O_DIRECT wrote.
	fd = open(path, O_RDONLY | O_CLOEXEC);
	char plain[4096];
	report("buffered pread at 5 GiB", pread(fd, plain, 4096, far));
	same("  data", plain, buf + 4096, 4096);
	close(fd);
	free(buf);
	free(back);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: innodb_files DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	maps(argv[1]);
	direct(argv[1]);
	return 0;
}
