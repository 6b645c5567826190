/* Threads and the run queue: round robin with a time slice, preemption from
 * the timer tick at app context, FPU state and FS base switched per thread. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "percpu.h"
#include "cpu.h"
#include "sched.h"

#define KSTACK_SIZE (32 * 1024)
#define SLICE_NS 10000000UL

struct spinlock sched_lock = SPINLOCK_INIT("sched");
static struct thread *rq_head, *rq_tail;
static struct thread boot_thread, *idle;
static struct thread *all_threads;
/* App threads are numbered from 1, so the program's first thread has tid ==
 * pid == 1 as on Linux (glibc's raise() is tgkill(getpid(), gettid())).
 * Kernel threads, which the app never sees, count from KERNEL_TID_BASE. */
#define KERNEL_TID_BASE 0x10000
static int next_app_tid = 1, next_kernel_tid = KERNEL_TID_BASE;
static uint64_t slice_start;
static uint64_t idle_ns; /* time the CPU spent halted */

uint64_t sched_busy_ns(void) { return time_monotonic_ns() - idle_ns; }
extern char boot_stack_top[];
extern void arch_switch(uint64_t *save_rsp, uint64_t new_rsp);
extern void arch_thread_start(void);
uint64_t time_monotonic_ns(void);

struct thread *current(void) { return this_cpu()->current; }
bool thread_is_idle(struct thread *t) { return t && t->is_idle; }

static void rq_push(struct thread *t)
{
	t->rq_next = NULL;
	if (rq_tail)
		rq_tail->rq_next = t;
	else
		rq_head = t;
	rq_tail = t;
}

static struct thread *rq_pop(void)
{
	struct thread *t = rq_head;
	if (t) {
		rq_head = t->rq_next;
		if (!rq_head)
			rq_tail = NULL;
	}
	return t;
}

static void idle_loop(void *arg)
{
	for (;;) {
		irq_disable();
		if (rq_head) {
			irq_enable();
			schedule();
			continue;
		}
		/* sti;hlt is atomic: an interrupt between them still wakes the hlt. */
		uint64_t t0 = time_monotonic_ns();
		__asm__ volatile("sti; hlt" ::: "memory");
		idle_ns += time_monotonic_ns() - t0;
	}
}

void sched_init(void)
{
	struct percpu *cpu = this_cpu();
	boot_thread.tid = next_kernel_tid++;
	boot_thread.state = T_RUNNING;
	boot_thread.kstack_top = (uint64_t)boot_stack_top;
	boot_thread.kstack_size = 16384;
	boot_thread.name = "main";
	boot_thread.all_next = NULL;
	all_threads = &boot_thread;
	cpu->current = &boot_thread;
	idle = thread_create("idle", idle_loop, NULL, false);
	idle->is_idle = true;
	idle->tid = 0;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, bool app)
{
	struct thread *t = kzalloc(sizeof *t);
	if (!t)
		return NULL;
	t->kstack_size = KSTACK_SIZE;
	t->kstack_top = kstack_alloc(KSTACK_SIZE);
	if (!t->kstack_top) {
		kfree(t);
		return NULL;
	}
	if (app) {
		t->app = true;
		t->fpu = page_alloc(ALIGN_UP(cpu_features.xsave_size, PAGE_SIZE) / PAGE_SIZE);
		if (!t->fpu) {
			kstack_free(t->kstack_top, KSTACK_SIZE);
			kfree(t);
			return NULL;
		}
		fpu_init_area(t->fpu);
	}
	/* The frame arch_switch pops: r15, r14, r13, r12, rbx, rbp, return address. */
	uint64_t *sp = (uint64_t *)t->kstack_top;
	*--sp = 0;                              /* keeps the entry 16-byte aligned */
	*--sp = (uint64_t)arch_thread_start;
	*--sp = 0;                              /* rbp */
	*--sp = 0;                              /* rbx */
	*--sp = (uint64_t)fn;                   /* r12 */
	*--sp = (uint64_t)arg;                  /* r13 */
	*--sp = 0;                              /* r14 */
	*--sp = 0;                              /* r15 */
	t->ctx_rsp = (uint64_t)sp;
	t->name = name;
	t->state = T_BLOCKED;
	spin_lock(&sched_lock);
	t->tid = app ? next_app_tid++ : next_kernel_tid++;
	t->all_next = all_threads;
	all_threads = t;
	spin_unlock(&sched_lock);
	return t;
}

void thread_start(struct thread *t) { thread_wake(t); }

struct thread *thread_by_tid(int tid)
{
	struct thread *found = NULL;
	spin_lock(&sched_lock);
	for (struct thread *t = all_threads; t && !found; t = t->all_next)
		if (t->tid == tid && t->state != T_DEAD)
			found = t;
	spin_unlock(&sched_lock);
	return found;
}

struct thread *thread_find_app(bool (*pred)(struct thread *t, void *arg), void *arg)
{
	struct thread *best = NULL;
	spin_lock(&sched_lock);
	for (struct thread *t = all_threads; t; t = t->all_next)
		if (t->app && t->state != T_DEAD && (!best || t->tid < best->tid) && pred(t, arg))
			best = t;
	spin_unlock(&sched_lock);
	return best;
}

/* The tids of live app threads, lowest first, at most MAX; returns how many there are. */
int thread_app_tids(int *tids, int max)
{
	int n = 0;
	spin_lock(&sched_lock);
	for (struct thread *t = all_threads; t; t = t->all_next) {
		if (!t->app || t->state == T_DEAD)
			continue;
		int k = n < max ? n : max;       /* insertion sort into the first MAX slots */
		while (k > 0 && tids[k - 1] > t->tid) {
			if (k < max)
				tids[k] = tids[k - 1];
			k--;
		}
		if (k < max)
			tids[k] = t->tid;
		n++;
	}
	spin_unlock(&sched_lock);
	return n;
}

void thread_wake(struct thread *t)
{
	spin_lock(&sched_lock);
	if (t->state == T_BLOCKED) {
		t->state = T_RUNNABLE;
		rq_push(t);
		this_cpu()->need_resched = true;
	}
	spin_unlock(&sched_lock);
}

/* Switch away from the current thread. The caller has set its state: RUNNING
 * means "still runnable" (a yield or preemption). */
void schedule(void)
{
	uint64_t flags = irq_save();
	struct percpu *cpu = this_cpu();
	struct thread *prev = cpu->current;
	spin_lock(&sched_lock);
	cpu->need_resched = false;
	if (prev->state == T_RUNNING && !prev->is_idle) {
		prev->state = T_RUNNABLE;
		rq_push(prev);
	}
	struct thread *next = rq_pop();
	if (!next)
		next = idle;
	next->state = T_RUNNING;
	spin_unlock(&sched_lock);
	if (next != prev) {
		if (prev->app) {
			fpu_save(prev->fpu);
			prev->fs_base = arch_get_fs_base();
		}
		if (next->app) {
			fpu_restore(next->fpu);
			arch_set_fs_base(next->fs_base);
		}
		cpu->current = next;
		cpu->kstack_top = next->kstack_top;
		cpu->kstack_size = next->kstack_size;
		slice_start = time_monotonic_ns();
		arch_switch(&prev->ctx_rsp, next->ctx_rsp);
	}
	irq_restore(flags);
}

void sched_tick(void)
{
	struct percpu *cpu = this_cpu();
	if (rq_head && (cpu->current->is_idle || time_monotonic_ns() - slice_start >= SLICE_NS))
		cpu->need_resched = true;
}

static void reap(void *arg)
{
	struct thread *t = arg;
	kstack_free(t->kstack_top, t->kstack_size);
	if (t->fpu)
		page_free(t->fpu, ALIGN_UP(cpu_features.xsave_size, PAGE_SIZE) / PAGE_SIZE);
	kfree(t);
}

/* A dead thread's stack is still in use until the switch away from it;
 * the next thread to exit (or the idle loop, later) frees it. */
static struct thread *to_reap;

void thread_exit(void)
{
	irq_disable();
	struct thread *self = current();
	spin_lock(&sched_lock);
	self->state = T_DEAD;
	for (struct thread **pp = &all_threads; *pp; pp = &(*pp)->all_next)
		if (*pp == self) {
			*pp = self->all_next;
			break;
		}
	struct thread *old = to_reap;
	to_reap = self;
	spin_unlock(&sched_lock);
	if (old)
		reap(old);
	schedule();
	panic("a dead thread was scheduled");
}
