/* Clocks and sleeping. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"

struct timeval { int64_t sec, usec; };

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1

/* Nanoseconds on clock ID, or -EINVAL. CPU-time clocks count the time the
 * CPU was busy: the program owns the machine. */
long clock_now(int id)
{
	switch (id) {
	case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case 8 /* REALTIME_ALARM */: case 11 /* TAI */:
		return (long)time_realtime_ns();
	case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
	case 9 /* BOOTTIME_ALARM */:
		return (long)time_monotonic_ns();
	case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
		return (long)sched_busy_ns();
	default:
		return -EINVAL;
	}
}

long sys_clock_gettime(int id, struct ktimespec *ts)
{
	long ns = clock_now(id);
	if (ns < 0)
		return ns;
	if (!ts)
		return -EFAULT;
	ts->sec = ns / 1000000000;
	ts->nsec = ns % 1000000000;
	return 0;
}

long sys_clock_getres(int id, struct ktimespec *ts)
{
	if (clock_now(id) < 0)
		return -EINVAL;
	if (ts) {
		ts->sec = 0;
		ts->nsec = (id == CLOCK_REALTIME_COARSE || id == CLOCK_MONOTONIC_COARSE) ? 4000000 : 1;
	}
	return 0;
}

long sys_gettimeofday(struct timeval *tv, void *tz)
{
	if (tv) {
		uint64_t ns = time_realtime_ns();
		tv->sec = ns / 1000000000;
		tv->usec = ns % 1000000000 / 1000;
	}
	if (tz)
		memset(tz, 0, 8);
	return 0;
}

long sys_time(int64_t *t)
{
	int64_t s = time_realtime_ns() / 1000000000;
	if (t)
		*t = s;
	return s;
}

long sys_clock_nanosleep(int id, int flags, const struct ktimespec *req, struct ktimespec *rem)
{
	long now = clock_now(id);
	if (now < 0)
		return now;
	if (!req)
		return -EFAULT;
	if (req->nsec < 0 || req->nsec >= 1000000000 || req->sec < 0)
		return -EINVAL;
	int64_t want = req->sec * 1000000000 + req->nsec;
	/* Sleep on the monotonic clock; an absolute realtime target is converted once. */
	uint64_t deadline = (flags & TIMER_ABSTIME) ? time_monotonic_ns() + (want > now ? want - now : 0)
						   : time_monotonic_ns() + want;
	if (sleep_until_intr(deadline ? deadline : 1) == -EINTR) {
		if (rem && !(flags & TIMER_ABSTIME)) {
			uint64_t now = time_monotonic_ns(), left = deadline > now ? deadline - now : 0;
			rem->sec = left / 1000000000;
			rem->nsec = left % 1000000000;
		}
		return -EINTR;
	}
	if (rem && !(flags & TIMER_ABSTIME))
		rem->sec = rem->nsec = 0;
	return 0;
}

long sys_nanosleep(const struct ktimespec *req, struct ktimespec *rem)
{
	return sys_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
}
