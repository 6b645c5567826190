/* The vDSO: clock reads without a trap. The kernel maps it into the app with
 * the vvar page right below it; the clocks are the kernel's own TSC formula.
 * Built as a tiny shared object (-fPIC, no libc); anything else falls back to
 * the real syscall. */
#include <stdint.h>
#include "vvar.h"

struct timespec { int64_t tv_sec, tv_nsec; };
struct timeval { int64_t tv_sec, tv_usec; };

extern const struct vvar vvar_page __attribute__((visibility("hidden")));

static long raw_syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t mono_ns(const volatile struct vvar *v)
{
	uint64_t d = rdtsc_ordered() - v->tsc_boot;
	return (uint64_t)(((unsigned __int128)d * v->ns_mult) >> 32);
}

int __vdso_clock_gettime(int clk, struct timespec *ts)
{
	const volatile struct vvar *v = &vvar_page;
	uint64_t ns;
	if (v->version != 1)
		return (int)raw_syscall2(228, clk, (long)ts);
	switch (clk) {
	case 0: case 5: /* REALTIME, REALTIME_COARSE */
		ns = v->realtime_boot_ns + mono_ns(v);
		break;
	case 1: case 4: case 6: case 7: /* MONOTONIC, _RAW, _COARSE, BOOTTIME */
		ns = mono_ns(v);
		break;
	default:
		return (int)raw_syscall2(228, clk, (long)ts);
	}
	ts->tv_sec = (int64_t)(ns / 1000000000u);
	ts->tv_nsec = (int64_t)(ns % 1000000000u);
	return 0;
}

int __vdso_gettimeofday(struct timeval *tv, void *tz)
{
	const volatile struct vvar *v = &vvar_page;
	if (v->version != 1 || tz)
		return (int)raw_syscall2(96, (long)tv, (long)tz);
	if (tv) {
		uint64_t ns = v->realtime_boot_ns + mono_ns(v);
		tv->tv_sec = (int64_t)(ns / 1000000000u);
		tv->tv_usec = (int64_t)(ns % 1000000000u / 1000);
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	const volatile struct vvar *v = &vvar_page;
	if (v->version != 1)
		return raw_syscall2(201, (long)t, 0);
	int64_t s = (int64_t)((v->realtime_boot_ns + mono_ns(v)) / 1000000000u);
	if (t)
		*t = s;
	return s;
}

/* The CPU from TSC_AUX, which the kernel sets to the CPU's number (rdtscp
 * where the CPU has it; the kernel's getcpu syscall otherwise); one node. */
int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache __attribute__((unused)))
{
	const volatile struct vvar *v = &vvar_page;
	if (v->version != 1 || !v->rdtscp)
		return (int)raw_syscall2(309, (long)cpu, (long)node);
	uint32_t lo, hi, aux;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	if (cpu)
		*cpu = aux & 0xfff;
	if (node)
		*node = 0;
	return 0;
}

int clock_gettime(int, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
