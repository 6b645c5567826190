/* What the system is: uname, resource limits, random numbers. */
#include "syscalls.h"
#include "arch.h"
#include "mm.h"
#include "sched.h"
#include "percpu.h"

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
	strlcpy(u->release, UNAME_RELEASE, 65);
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

/* A resource limit for kernel code (/proc/self/limits). */
int k_getrlimit(int res, uint64_t *cur, uint64_t *max)
{
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	if (!limits_init)
		init_limits();
	*cur = limits[res].cur;
	*max = limits[res].max;
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

struct sysinfo_s {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

long sys_sysinfo(struct sysinfo_s *si)
{
	if (!si)
		return -EFAULT;
	memset(si, 0, sizeof *si);
	si->uptime = (int64_t)(time_monotonic_ns() / 1000000000);
	si->totalram = frame_total() * PAGE_SIZE;
	si->freeram = frame_free_count() * PAGE_SIZE;
	si->procs = 1;
	si->mem_unit = 1;
	return 0;
}

struct timeval_s { int64_t sec, usec; };
struct rusage_s { struct timeval_s utime, stime; int64_t rest[14]; };

/* CPU time: the program owns the machine, so its CPU time is the time the
 * CPU was not idle (kernel work on its behalf counts as user time). */
long sys_getrusage(int who, struct rusage_s *ru)
{
	if (who != 0 && who != -1 && who != 1) /* SELF, CHILDREN, THREAD */
		return -EINVAL;
	if (!ru)
		return -EFAULT;
	memset(ru, 0, sizeof *ru);
	if (who != -1) {
		uint64_t ns = sched_busy_ns();
		ru->utime.sec = ns / 1000000000;
		ru->utime.usec = ns % 1000000000 / 1000;
		ru->rest[0] = (int64_t)((frame_total() - frame_free_count()) * PAGE_SIZE / 1024); /* maxrss, KiB */
	}
	return 0;
}

struct tms_s { int64_t utime, stime, cutime, cstime; };

long sys_times(struct tms_s *t)
{
	int64_t ticks = (int64_t)(time_monotonic_ns() / 10000000); /* USER_HZ = 100 */
	if (t) {
		t->utime = (int64_t)(sched_busy_ns() / 10000000);
		t->stime = t->cutime = t->cstime = 0;
	}
	return ticks;
}

long sys_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	if (cpu)
		*cpu = this_cpu()->cpu_id;
	if (node)
		*node = 0;
	return 0;
}

struct cap_header { uint32_t version; int pid; };
struct cap_data { uint32_t effective, permitted, inheritable; };

/* The calling thread's capabilities: all or none (rump/include/cred.h). */
long sys_capget(struct cap_header *h, struct cap_data *d)
{
	if (!h)
		return -EFAULT;
	if (h->version != 0x20080522 && h->version != 0x20071026 && h->version != 0x19980330) {
		h->version = 0x20080522;
		return d ? -EINVAL : 0;
	}
	if (d) {
		int n = h->version == 0x19980330 ? 1 : 2;
		uint64_t eff = cred_cap_effective(&current()->cred), prm = cred_cap_permitted(&current()->cred);
		for (int i = 0; i < n; i++) {
			d[i].effective = (uint32_t)(eff >> (32 * i));
			d[i].permitted = (uint32_t)(prm >> (32 * i));
			d[i].inheritable = 0;
		}
	}
	return 0;
}

/* libuv probes io_uring and falls back to its threadpool; V8 probes pkeys. */
long sys_io_uring_setup(void) { return -ENOSYS; }
long sys_pkey_alloc(void) { return -ENOSYS; }
