/* Syscall cost: times N getppid() calls (a real trap on every kernel: glibc never caches it)
 * and M clock_gettime(CLOCK_MONOTONIC) calls (the vDSO where the kernel offers one), and prints
 * one line per loop: `getppid N NS_PER_CALL` and `clock_gettime M NS_PER_CALL`.
 * Usage: syscalls [N [M]] (defaults 10000000 and 1000000). The same binary runs on the host,
 * in the linux-microvm and in uninode. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000L;
	long m = argc > 2 ? atol(argv[2]) : 1000000L;
	volatile long sink = 0;

	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		sink += syscall(SYS_getppid);
	double t1 = now_ns();
	printf("getppid %ld %.1f\n", n, n ? (t1 - t0) / n : 0.0);

	struct timespec ts;
	t0 = now_ns();
	for (long i = 0; i < m; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sink += ts.tv_nsec;
	}
	t1 = now_ns();
	printf("clock_gettime %ld %.1f\n", m, m ? (t1 - t0) / m : 0.0);
	fflush(stdout);
	return sink == 42 ? 3 : 0;
}
