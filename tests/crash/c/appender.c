/* Durability workloads for the crash tests, and their checker.
 *
 *   appender append DIR COUNT [PAUSE_MS]
 *                               fsync-per-record appender: record N (256 bytes,
 *                               its content a function of N) appended to DIR/log,
 *                               fsync'd, then "acked N" on stdout
 *   appender overwrite DIR COUNT [PAUSE_MS]
 *                               the database-log pattern: DIR/log is first written
 *                               with COUNT records' worth of zeros and fsync'd, then
 *                               record N overwrites its slot in place, fdatasync'd
 *                               (the size and block map are already durable), "acked N"
 *   appender rename DIR COUNT [PAUSE_MS]
 *                               the atomic-save pattern: DIR/state.tmp written with
 *                               version N (8 KiB), fsync'd, renamed over DIR/state,
 *                               DIR fsync'd, then "acked N"
 *   appender check DIR          what survived: "log K" (the longest prefix of intact
 *                               records) and "state V" (the version DIR/state holds,
 *                               0 if none), or "bad ..." for anything torn or foreign
 *
 * PAUSE_MS after each acknowledgement lets a host that watches the disk's write
 * log note where the log stood before the next record's writes join it.
 *
 * A record the workload acknowledged must be there after any crash; records after
 * it may be missing (a torn tail of the log is allowed and reported as such). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC 256
#define STATE 8192

/* The bytes of record N (or state version N), LEN long, newline last. */
static void fill(unsigned n, char *buf, size_t len)
{
	unsigned x = n * 2654435761u + 1;
	int h = snprintf(buf, len, "rec %08u ", n);
	for (size_t i = (size_t)h; i < len - 1; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)('a' + (x >> 16) % 26);
	}
	buf[len - 1] = '\n';
}

static void die(const char *what)
{
	fprintf(stderr, "appender: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void full_write(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0)
			die("write");
		buf += w;
		len -= (size_t)w;
	}
}

static unsigned pause_ms;

static void ack(unsigned n)
{
	printf("acked %u\n", n);
	fflush(stdout);
	if (pause_ms)
		usleep(pause_ms * 1000);
}

static void append(const char *dir, unsigned count)
{
	char path[4096], rec[REC];
	snprintf(path, sizeof path, "%s/log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		die("open log");
	/* The file's own entry must be durable before the first record counts. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fsync(dfd))
		die("fsync dir");
	for (unsigned n = 1; n <= count; n++) {
		fill(n, rec, REC);
		full_write(fd, rec, REC);
		if (fsync(fd))
			die("fsync");
		ack(n);
	}
}

static void overwrite(const char *dir, unsigned count)
{
	char path[4096], rec[REC];
	snprintf(path, sizeof path, "%s/log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open log");
	memset(rec, 0, REC);
	for (unsigned n = 0; n < count; n++)
		full_write(fd, rec, REC);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fsync(fd) || dfd < 0 || fsync(dfd))
		die("fsync");
	for (unsigned n = 1; n <= count; n++) {
		fill(n, rec, REC);
		if (pwrite(fd, rec, REC, (off_t)(n - 1) * REC) != REC)
			die("pwrite");
		if (fdatasync(fd))
			die("fdatasync");
		ack(n);
	}
}

static void rename_loop(const char *dir, unsigned count)
{
	char tmp[4096], dst[4096];
	static char buf[STATE];
	snprintf(tmp, sizeof tmp, "%s/state.tmp", dir);
	snprintf(dst, sizeof dst, "%s/state", dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		die("open dir");
	for (unsigned n = 1; n <= count; n++) {
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die("open state.tmp");
		fill(n, buf, STATE);
		full_write(fd, buf, STATE);
		if (fsync(fd) || close(fd))
			die("fsync state.tmp");
		if (rename(tmp, dst))
			die("rename");
		if (fsync(dfd))
			die("fsync dir");
		ack(n);
	}
}

/* The intact prefix of DIR/log; a torn or foreign record ends it. */
static int check_log(const char *dir)
{
	char path[4096], want[REC], got[REC];
	snprintf(path, sizeof path, "%s/log", dir);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("log 0\n");
		return 0;
	}
	unsigned n = 0;
	for (;;) {
		ssize_t r = pread(fd, got, REC, (off_t)n * REC);
		if (r < 0)
			die("read log");
		if (r == 0)
			break;
		fill(n + 1, want, REC);
		if (r < REC || memcmp(got, want, REC)) {
			/* Only the last record may be torn: anything intact after it is corruption. */
			fill(n + 2, want, REC);
			if (pread(fd, got, REC, (off_t)(n + 1) * REC) == REC && !memcmp(got, want, REC)) {
				printf("bad log: record %u damaged, %u intact after it\n", n + 1, n + 2);
				return 1;
			}
			printf("log %u (torn tail)\n", n);
			close(fd);
			return 0;
		}
		n++;
	}
	close(fd);
	printf("log %u\n", n);
	return 0;
}

/* Which version DIR/state holds; a state that is no version at all is corruption. */
static int check_state(const char *dir)
{
	char path[4096];
	static char got[STATE + 1], want[STATE];
	snprintf(path, sizeof path, "%s/state", dir);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("state 0\n");
		return 0;
	}
	ssize_t r = read(fd, got, sizeof got);
	close(fd);
	unsigned v = 0;
	if (r == STATE && sscanf(got, "rec %8u ", &v) == 1) {
		fill(v, want, STATE);
		if (!memcmp(got, want, STATE)) {
			printf("state %u\n", v);
			return 0;
		}
	}
	printf("bad state: %zd bytes, not a whole version\n", r);
	return 1;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && argv[1][0] != 'c')
		pause_ms = argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 0;
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "append"))
		append(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	else if ((argc == 4 || argc == 5) && !strcmp(argv[1], "overwrite"))
		overwrite(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	else if ((argc == 4 || argc == 5) && !strcmp(argv[1], "rename"))
		rename_loop(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	else if (argc == 3 && !strcmp(argv[1], "check"))
		return check_log(argv[2]) | check_state(argv[2]);
	else {
		fprintf(stderr, "usage: appender append|overwrite|rename DIR COUNT [PAUSE_MS] | appender check DIR\n");
		return 2;
	}
	return 0;
}
