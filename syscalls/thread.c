/* Threads as the app sees them: TLS base, exit, yielding, affinity. clone
 * (new threads) arrives with the Node issue. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

static int app_threads = 1;

long sys_arch_prctl(int code, uint64_t addr)
{
	switch (code) {
	case ARCH_SET_FS:
		if (addr >= 0x800000000000UL)
			return -EPERM;
		current()->fs_base = addr;
		arch_set_fs_base(addr);
		return 0;
	case ARCH_GET_FS:
		if (!addr)
			return -EFAULT;
		*(uint64_t *)addr = arch_get_fs_base();
		return 0;
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		/* GS base is the kernel's per-CPU pointer (DESIGN.md): the app cannot have it. */
		klog_once("arch_prctl-gs", "uninode: arch_prctl(ARCH_SET_GS/GET_GS) is not supported\n");
		return -EINVAL;
	case ARCH_GET_CPUID:
		return 1;
	default:
		return -EINVAL;
	}
}

long sys_exit(int status)
{
	if (__atomic_sub_fetch(&app_threads, 1, __ATOMIC_SEQ_CST) == 0)
		proc_exit(status);
	thread_exit();
}

long sys_sched_yield(void)
{
	schedule();
	return 0;
}

long sys_sched_getaffinity(int pid, size_t len, uint8_t *mask)
{
	if (len < 8 || (len & 7))
		return -EINVAL;
	memset(mask, 0, len);
	mask[0] = 1; /* one CPU */
	return 8;
}

/* glibc registers rseq when the kernel has it; it copes with ENOSYS. */
long sys_rseq(void) { return -ENOSYS; }
/* glibc falls back to clone when clone3 is absent. */
long sys_clone3(void) { return -ENOSYS; }
