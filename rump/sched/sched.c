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
static struct thread boot_thread;
static struct thread *all_threads;
/* App threads are numbered from 1, so the program's first thread has tid ==
 * pid == 1 as on Linux (glibc's raise() is tgkill(getpid(), gettid())).
 * Kernel threads, which the app never sees, count from KERNEL_TID_BASE. */
#define KERNEL_TID_BASE 0x10000
static int next_app_tid = 1, next_kernel_tid = KERNEL_TID_BASE;
/* CPU time the program had: every online CPU's uptime less its halted time. */
uint64_t sched_busy_ns(void)
{
	uint64_t now = time_monotonic_ns(), busy = 0;
	for (int i = 0; i < MAX_CPUS; i++)
		if (cpus[i] && cpus[i]->online)
			busy += now - MIN(now, cpus[i]->idle_ns);
	return busy;
}
void smp_wake_idle_cpu(void);
extern char boot_stack_top[];
extern void arch_switch(uint64_t *save_rsp, uint64_t new_rsp);
extern void arch_thread_start(void);
uint64_t time_monotonic_ns(void);

struct thread *current(void) { return this_cpu()->current; }
bool thread_is_idle(struct thread *t) { return t && t->is_idle; }

static void rq_push(struct thread *t)
{
	if (t->queued)
		return;
	t->queued = true;
	t->rq_next = NULL;
	if (rq_tail)
		rq_tail->rq_next = t;
	else
		rq_head = t;
	rq_tail = t;
}

/* Unlink T, which follows PREV in the queue (NULL: T is the head). */
static void rq_unlink(struct thread *prev, struct thread *t)
{
	if (prev)
		prev->rq_next = t->rq_next;
	else
		rq_head = t->rq_next;
	if (rq_tail == t)
		rq_tail = prev;
	t->queued = false;
}

static void rq_remove(struct thread *t)
{
	for (struct thread *q = rq_head, *prev = NULL; q; prev = q, q = q->rq_next)
		if (q == t) {
			rq_unlink(prev, t);
			return;
		}
}

/* The first queued thread whose registers are saved (not still on a CPU that
 * is switching away from it). sched_lock held. */
static struct thread *rq_pop(void)
{
	for (struct thread *t = rq_head, *prev = NULL; t; prev = t, t = t->rq_next)
		if (!t->on_cpu) {
			rq_unlink(prev, t);
			return t;
		}
	return NULL;
}

static struct thread *zombies; /* exited, stack not yet freed (sched_lock) */
static void reap_zombies(void);

static void idle_loop(void *arg)
{
	struct percpu *cpu = this_cpu();
	for (;;) {
		irq_disable();
		if (rq_head) {
			irq_enable();
			schedule();
			continue;
		}
		if (zombies) {
			irq_enable();
			reap_zombies();
			continue;
		}
		/* sti;hlt is atomic: an interrupt between them still wakes the hlt. */
		uint64_t t0 = time_monotonic_ns();
		cpu->halted = true;
		__asm__ volatile("sti; hlt" ::: "memory");
		cpu->halted = false;
		cpu->idle_ns += time_monotonic_ns() - t0;
	}
}

__noreturn void sched_idle(void)
{
	idle_loop(NULL);
	__builtin_unreachable();
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
	boot_thread.on_cpu = true;
	cpu->current = &boot_thread;
	cpu->idle = thread_create("idle", idle_loop, NULL, false);
	cpu->idle->is_idle = true;
	cpu->idle->tid = 0;
	cpu->online = true;
}

/* On an AP: its boot context (on its own kernel stack) becomes its idle thread. */
void sched_init_ap(void)
{
	struct percpu *cpu = this_cpu();
	struct thread *t = kzalloc(sizeof *t);
	if (!t)
		panic("no memory for CPU %u's idle thread", cpu->cpu_id);
	t->kstack_top = cpu->kstack_top;
	t->kstack_size = cpu->kstack_size;
	t->is_idle = true;
	t->state = T_RUNNING;
	t->on_cpu = true;
	t->name = "idle";
	cpu->idle = t;
	cpu->current = t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, bool app)
{
	reap_zombies(); /* a busy CPU may not idle for a while: free exited threads here too */
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

int thread_mark_killed(struct thread *self)
{
	int n = 0;
	spin_lock(&sched_lock);
	for (struct thread *t = all_threads; t; t = t->all_next)
		if (t->app && t != self && t->state != T_DEAD) {
			t->killed = true;
			n++;
		}
	spin_unlock(&sched_lock);
	return n;
}

void thread_become_leader(struct thread *t)
{
	spin_lock(&sched_lock);
	t->tid = 1;
	spin_unlock(&sched_lock);
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
	smp_wake_idle_cpu();
}

static void reap(struct thread *t);


/* In the context just switched to: the previous thread's registers are now
 * saved, so it may run elsewhere (requeue it), or be freed if it died. */
void sched_finish_switch(void)
{
	struct percpu *cpu = this_cpu();
	struct thread *p = cpu->switch_prev;
	if (!p)
		return;
	cpu->switch_prev = NULL;
	spin_lock(&sched_lock);
	__atomic_store_n(&p->on_cpu, false, __ATOMIC_RELEASE);
	if (p->state == T_DEAD) {
		/* Freed later, outside the scheduler: freeing a stack may need a TLB
		 * shootdown, which must not wait with the scheduler half done. */
		p->rq_next = zombies;
		zombies = p;
	} else if (p->state == T_RUNNABLE && !p->is_idle) {
		rq_push(p);
	}
	spin_unlock(&sched_lock);
}

/* Free threads that have exited. From thread context, interrupts on. */
static void reap_zombies(void)
{
	spin_lock(&sched_lock);
	struct thread *z = zombies;
	zombies = NULL;
	spin_unlock(&sched_lock);
	while (z) {
		struct thread *next = z->rq_next;
		reap(z);
		z = next;
	}
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
	/* A still-runnable prev goes back on the queue only once its registers
	 * are saved (sched_finish_switch), so no other CPU can pick it up early. */
	if (prev->state == T_RUNNING && !prev->is_idle)
		prev->state = T_RUNNABLE;
	/* Woken while still on this CPU (between blocking and this switch): it is
	 * either picked again below or requeued after the switch, never both. */
	if (prev->queued)
		rq_remove(prev);
	struct thread *next = rq_pop();
	if (!next)
		next = prev->state == T_RUNNABLE ? prev : cpu->idle;
	next->state = T_RUNNING;
	next->on_cpu = true;
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
		cpu->slice_start = time_monotonic_ns();
		cpu->switch_prev = prev;
		arch_switch(&prev->ctx_rsp, next->ctx_rsp);
		sched_finish_switch();
	}
	irq_restore(flags);
}

void sched_tick(void)
{
	struct percpu *cpu = this_cpu();
	if (rq_head && (cpu->current->is_idle || time_monotonic_ns() - cpu->slice_start >= SLICE_NS))
		cpu->need_resched = true;
}

static void reap(struct thread *t)
{
	cred_release(&t->cred);
	kstack_free(t->kstack_top, t->kstack_size);
	if (t->fpu)
		page_free(t->fpu, ALIGN_UP(cpu_features.xsave_size, PAGE_SIZE) / PAGE_SIZE);
	kfree(t);
}

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
	spin_unlock(&sched_lock);
	/* Its stack is in use until the switch away: sched_finish_switch frees it. */
	schedule();
	panic("a dead thread was scheduled");
}
