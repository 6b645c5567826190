/* The storage phase's program: the same binary on the host, in the Linux microVM and in uninode,
 * timing the file API a database leans on, in one directory (a volume's mount point in a VM).
 *
 *   storage write DIR FSYNCS SEQ_MIB RAND_SYNC RAND_BUF SECONDS
 *   storage read DIR [drop]
 *   storage drop FILE
 *
 * write: FSYNCS appends of 4 KiB, each followed by fsync (latency of each, median and p99);
 * SEQ_MIB MiB in 1 MiB writes to DIR/seq, then fsync (time including the fsync); RAND_SYNC 4 KiB
 * writes at random 4 KiB-aligned offsets of DIR/seq, each followed by fdatasync; RAND_BUF such
 * writes with one fsync at the end (time including it). DIR/seq is kept for `read`. Each test
 * also stops after SECONDS and reports how many it did.
 * read: DIR/seq in 1 MiB reads. A VM reads it in a later boot than the one that wrote it, so the
 * guest's page cache is empty; on the host `drop` asks the kernel to drop the file's cached
 * pages first (posix_fadvise DONTNEED after fdatasync, which evicts clean pages).
 * drop: that, for FILE alone: the bench drops a volume file from the host's page cache between
 * a VM's two boots, so the VM's read comes from the host's disk too.
 *
 * One line per figure, `storage NAME key=value ...`; a failure prints `storage error WHAT: why`
 * and exits 1. Times from CLOCK_MONOTONIC. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define MIB (1024 * 1024)
#define MAX_SAMPLES 100000

static char dir[4096];

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	printf("storage error %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static const char *in_dir(const char *name)
{
	static char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

/* A new file's name is durable only once its directory is synced. */
static void sync_dir(void)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		fail("open dir");
	if (fsync(d) != 0)
		fail("fsync dir");
	close(d);
}

static void write_all(int fd, const char *buf, size_t n, const char *what)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail(what);
		buf += w;
		n -= (size_t)w;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* xorshift64: the same offsets in every target. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fsync_latency(long count, double limit, char *buf)
{
	static double lat[MAX_SAMPLES];
	int fd = open(in_dir("append"), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		fail("open append");
	sync_dir();
	long n = 0;
	double start = now();
	while (n < count && n < MAX_SAMPLES && now() - start < limit) {
		memset(buf, (int)('a' + n % 26), BLOCK);
		double t0 = now();
		write_all(fd, buf, BLOCK, "append");
		if (fsync(fd) != 0)
			fail("fsync append");
		lat[n++] = (now() - t0) * 1e6;
	}
	close(fd);
	qsort(lat, (size_t)n, sizeof lat[0], cmp_double);
	long p99 = (n * 99 + 99) / 100 - 1; /* nearest rank */
	printf("storage fsync n=%ld median_us=%.1f p99_us=%.1f max_us=%.1f\n", n, n ? (n % 2 ? lat[n / 2] : (lat[n / 2 - 1] + lat[n / 2]) / 2) : 0, n ? lat[p99] : 0,
	       n ? lat[n - 1] : 0);
}

static long seq_write(long mib, double limit, char *big)
{
	int fd = open(in_dir("seq"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail("open seq");
	long n = 0;
	double t0 = now();
	for (; n < mib && now() - t0 < limit; n++) {
		memset(big, (int)('A' + n % 26), MIB);
		write_all(fd, big, MIB, "write seq");
	}
	if (fsync(fd) != 0)
		fail("fsync seq");
	double dt = now() - t0;
	close(fd);
	sync_dir();
	printf("storage seq_write mib=%ld sec=%.4f mib_per_s=%.2f\n", n, dt, dt > 0 ? n / dt : 0);
	return n;
}

static void rand_write(const char *name, long count, int durable, long mib, double limit, char *buf)
{
	int fd = open(in_dir("seq"), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open seq for random writes");
	uint64_t blocks = (uint64_t)mib * (MIB / BLOCK);
	long n = 0;
	double t0 = now();
	for (; n < count && now() - t0 < limit; n++) {
		memset(buf, (int)('0' + n % 10), BLOCK);
		off_t off = (off_t)(next_rand() % blocks) * BLOCK;
		ssize_t w = pwrite(fd, buf, BLOCK, off);
		if (w != BLOCK)
			fail("pwrite");
		if (durable && fdatasync(fd) != 0)
			fail("fdatasync");
	}
	if (!durable && fsync(fd) != 0)
		fail("fsync after random writes");
	double dt = now() - t0;
	close(fd);
	printf("storage %s n=%ld sec=%.4f iops=%.1f\n", name, n, dt, dt > 0 ? n / dt : 0);
}

/* Clean pages are dropped by DONTNEED; dirty ones are written first so they are clean. */
static void drop_cache(int fd)
{
	if (fdatasync(fd) != 0)
		fail("fdatasync before dropping the cache");
	int e = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (e != 0) {
		errno = e;
		fail("posix_fadvise DONTNEED");
	}
}

static void seq_read(int drop, char *big)
{
	int fd = open(in_dir("seq"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open seq for reading");
	if (drop)
		drop_cache(fd);
	long long total = 0;
	double t0 = now();
	for (;;) {
		ssize_t r = read(fd, big, MIB);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail("read seq");
		if (r == 0)
			break;
		total += r;
	}
	double dt = now() - t0;
	close(fd);
	if (total == 0) {
		errno = ENODATA;
		fail("seq is empty");
	}
	double mib = (double)total / MIB;
	printf("storage seq_read mib=%.2f sec=%.4f mib_per_s=%.2f\n", mib, dt, dt > 0 ? mib / dt : 0);
}

static long arg(char **argv, int i, long max)
{
	char *end;
	long v = strtol(argv[i], &end, 10);
	if (*end || v < 0 || v > max) {
		fprintf(stderr, "storage: argument %d (%s) is not a count up to %ld\n", i, argv[i], max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int writing = argc == 8 && !strcmp(argv[1], "write");
	int reading = (argc == 3 || (argc == 4 && !strcmp(argv[3], "drop"))) && !strcmp(argv[1], "read");
	if (argc == 3 && !strcmp(argv[1], "drop")) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("open the file to drop");
		drop_cache(fd);
		close(fd);
		printf("storage dropped %s\n", argv[2]);
		return 0;
	}
	if (!writing && !reading) {
		fprintf(stderr, "usage: storage write DIR FSYNCS SEQ_MIB RAND_SYNC RAND_BUF SECONDS | storage read DIR [drop] | storage drop FILE\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s", argv[2]);
	char *big = aligned_alloc(BLOCK, MIB);
	if (!big)
		fail("aligned_alloc");
	if (reading) {
		seq_read(argc == 4, big);
		return 0;
	}
	long fsyncs = arg(argv, 3, MAX_SAMPLES), mib = arg(argv, 4, 4096), rsync = arg(argv, 5, 10000000), rbuf = arg(argv, 6, 10000000);
	double limit = (double)arg(argv, 7, 3600);
	fsync_latency(fsyncs, limit, big);
	long written = seq_write(mib, limit, big);
	if (written == 0) {
		errno = ENOSPC;
		fail("no MiB written");
	}
	rand_write("rand_sync", rsync, 1, written, limit, big);
	rand_write("rand_buffered", rbuf, 0, written, limit, big);
	return 0;
}
