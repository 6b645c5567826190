/* What the system is: uname, resource limits, random numbers. */
#include "syscalls.h"

struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };
struct rlimit64 { uint64_t cur, max; };

#define RLIM_INFINITY (~0UL)
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIMIT_AS 9
#define RLIM_NLIMITS 16

static struct rlimit64 limits[RLIM_NLIMITS];
static bool limits_init;

long sys_uname(struct utsname *u)
{
	if (!u)
		return -EFAULT;
	memset(u, 0, sizeof *u);
	strlcpy(u->sysname, "Linux", 65);
	strlcpy(u->nodename, "uninode", 65);
	/* glibc and Node check the release for features; say a kernel whose ABI we follow. */
	strlcpy(u->release, "6.1.0-uninode", 65);
	strlcpy(u->version, "#1 SMP uninode", 65);
	strlcpy(u->machine, "x86_64", 65);
	strlcpy(u->domainname, "(none)", 65);
	return 0;
}

static void init_limits(void)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		limits[i].cur = limits[i].max = RLIM_INFINITY;
	limits[RLIMIT_STACK].cur = 8UL << 20;
	limits[RLIMIT_NOFILE].cur = limits[RLIMIT_NOFILE].max = 1024;
	limits[8 /* MEMLOCK */].cur = limits[8].max = 8UL << 20;
	limits[11 /* NPROC */].cur = limits[11].max = 4096;
	limits[13 /* NICE */].cur = limits[13].max = 0;
	limits[14 /* RTPRIO */].cur = limits[14].max = 0;
	limits[15 /* RTTIME */].cur = limits[15].max = RLIM_INFINITY;
	limits_init = true;
}

long sys_prlimit64(int pid, int res, const struct rlimit64 *new, struct rlimit64 *old)
{
	if (pid != 0 && pid != 1)
		return -ESRCH;
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	if (!limits_init)
		init_limits();
	if (old)
		*old = limits[res];
	if (new) {
		if (new->cur > new->max || new->max > limits[res].max)
			return new->cur > new->max ? -EINVAL : -EPERM;
		/* Recorded and reported back; only RLIMIT_NOFILE is enforced (by the fd table). */
		limits[res] = *new;
	}
	return 0;
}

long sys_getrlimit(int res, struct rlimit64 *old) { return sys_prlimit64(0, res, NULL, old); }
long sys_setrlimit(int res, const struct rlimit64 *new) { return sys_prlimit64(0, res, new, NULL); }

uint64_t rlimit_nofile(void)
{
	if (!limits_init)
		init_limits();
	return limits[RLIMIT_NOFILE].cur;
}

long sys_getrandom(void *buf, size_t n, unsigned flags)
{
	if (flags & ~7u)
		return -EINVAL;
	if (n > 33554431)
		n = 33554431;
	random_bytes(buf, n);
	return (long)n;
}
