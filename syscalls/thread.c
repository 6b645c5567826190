/* Threads as the app sees them: clone for pthread_create, TLS base, exit
 * with the child-tid wake pthread_join waits on, yielding, affinity. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "cpu.h"
#include "futex.h"
#include "proc.h"
#include "percpu.h"
#include "signal.h"

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

#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_DETACHED 0x400000
#define CLONE_CHILD_SETTID 0x1000000

__noreturn void arch_resume_frame(struct intr_frame *f);

/* A new thread's first run: the frame its creator prepared sits 2 KiB below
 * the top of its kernel stack, out of the way of this function's own frames;
 * return to the app through it. */
static struct intr_frame *child_frame(struct thread *t)
{
	return (struct intr_frame *)(t->kstack_top - 2048 - sizeof(struct intr_frame));
}

static void clone_child(void *arg)
{
	irq_disable();
	arch_resume_frame(child_frame(current()));
}

long k_clone(struct intr_frame *parent, uint64_t flags, uint64_t sp, int *ptid, int *ctid, uint64_t tls)
{
	const uint64_t need = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	if ((flags & need) != need) {
		klog_once("no-process", "uninode: %s: this image runs one program and cannot start processes (clone)\n",
			  proc_exe_path());
		return -ENOSYS;
	}
	struct thread *t = thread_create("app", clone_child, NULL, true);
	if (!t)
		return -EAGAIN;
	struct intr_frame *f = child_frame(t);
	*f = *parent;
	f->rax = 0;
	if (sp)
		f->rsp = sp;
	fpu_save(t->fpu); /* the child starts with a copy of our FPU/SSE state */
	t->fs_base = (flags & CLONE_SETTLS) ? tls : arch_get_fs_base();
	t->sigmask = current()->sigmask;
	cred_copy(&t->cred, &current()->cred);
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	if ((flags & CLONE_PARENT_SETTID) && ptid)
		*ptid = t->tid;
	if ((flags & CLONE_CHILD_SETTID) && ctid)
		*ctid = t->tid;
	__atomic_add_fetch(&app_threads, 1, __ATOMIC_SEQ_CST);
	thread_start(t);
	return t->tid;
}

long sys_clone(uint64_t flags, uint64_t sp, int *ptid, int *ctid, uint64_t tls)
{
	return k_clone(current()->uframe, flags, sp, ptid, ctid, tls);
}

long sys_exit(int status)
{
	struct thread *self = current();
	if (__atomic_sub_fetch(&app_threads, 1, __ATOMIC_SEQ_CST) == 0)
		proc_exit(status);
	if (self->clear_child_tid) {
		__atomic_store_n(self->clear_child_tid, 0, __ATOMIC_SEQ_CST);
		futex_wake((uint32_t *)self->clear_child_tid, 1, 0xffffffffu);
	}
	thread_exit();
}

/* A thread execve ended: it leaves without touching app memory (its
 * clear_child_tid word belongs to the program being replaced). */
__noreturn void thread_end_killed(void)
{
	__atomic_sub_fetch(&app_threads, 1, __ATOMIC_SEQ_CST);
	thread_exit();
}

/* The thread whose execve is ending the others (1 while one is), so that two
 * threads calling execve at once do not end each other. */
static int exec_claim;

static bool asleep_killed(struct thread *t, void *self)
{
	return t != self && t->killed && t->waiting_on && t->intr_sleep;
}

bool threads_end_others(void)
{
	struct thread *self = current();
	int none = 0;
	if (!__atomic_compare_exchange_n(&exec_claim, &none, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		/* Another execve won: it marks this thread too, which then dies on its way out. */
		while (!__atomic_load_n(&self->killed, __ATOMIC_SEQ_CST))
			sleep_until(time_monotonic_ns() + 1000000);
		return false;
	}
	thread_mark_killed(self);
	/* Sleepers are woken (interruptible sleeps end with EINTR, and a marked
	 * thread cannot start a new one); the rest reach a return to the app at
	 * the end of their syscall or at their CPU's next timer tick. */
	for (;;) {
		struct thread *t;
		for (int i = 0; i < 1024 && (t = thread_find_app(asleep_killed, self)); i++)
			thread_interrupt(t);
		if (thread_app_tids(NULL, 0) <= 1)
			break;
		sleep_until(time_monotonic_ns() + 1000000);
	}
	if (self->tid != 1)
		thread_become_leader(self);
	__atomic_store_n(&exec_claim, 0, __ATOMIC_SEQ_CST);
	return true;
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
	for (int i = 0; i < ncpus_online && i < (int)len * 8; i++)
		mask[i / 8] |= (uint8_t)(1 << (i % 8));
	return 8;
}

/* glibc registers rseq when the kernel has it; it copes with ENOSYS. */
long sys_rseq(void) { return -ENOSYS; }
/* glibc falls back to clone when clone3 is absent. */
long sys_clone3(void) { return -ENOSYS; }
