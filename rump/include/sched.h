/* Threads, the run queue, wait queues and sleeping. One CPU for now; the
 * structures take their locks so SMP can follow. */
#pragma once
#include "types.h"
#include "kernel.h"
#include "cred.h"

enum thread_state { T_RUNNABLE, T_RUNNING, T_BLOCKED, T_DEAD };

struct thread {
	uint64_t ctx_rsp;             /* saved by arch_switch */
	uint64_t kstack_top;
	size_t kstack_size;
	int tid;
	enum thread_state state;      /* guarded by sched_lock */
	bool is_idle;
	bool queued;                  /* on the run queue (sched_lock) */
	volatile bool on_cpu;         /* registers still live on some CPU: not yet switchable-to elsewhere */
	bool app;                     /* runs app code: has FPU state and FS base */
	uint64_t fs_base;
	void *fpu;                    /* XSAVE area (page), NULL for kernel-only threads */
	struct thread *rq_next;       /* run queue, guarded by sched_lock */
	struct thread *wq_next;       /* the wait queue it sleeps on */
	struct waitq *waiting_on;
	uint64_t wake_at;             /* monotonic ns deadline, 0 = none */
	int wake_reason;              /* 0 woken, -ETIMEDOUT */
	int *clear_child_tid;         /* CLONE_CHILD_CLEARTID / set_tid_address */
	uint64_t robust_list, robust_len;
	uint64_t sigmask;             /* blocked signals (bit N-1 for signal N) */
	uint64_t sigpending;          /* signals sent to this thread, not yet delivered */
	bool intr_sleep;              /* in an interruptible sleep: a signal wakes it with -EINTR */
	bool uframe_restored;         /* rt_sigreturn rewrote the frame: return with iretq */
	uint64_t altstack_sp, altstack_size; int altstack_flags;
	struct intr_frame *uframe;    /* the app's registers during a syscall */
	struct thread *all_next;      /* every live thread */
	struct cred cred;             /* the thread's own: only it reads or changes them */
	bool killed;                  /* execve ends it: it dies at its next return to the app */
	const char *name;
};

struct waitq {
	struct spinlock lock;
	struct thread *head;
};
#define WAITQ_INIT(n) { SPINLOCK_INIT(n), NULL }

void sched_init(void);                 /* the boot context becomes a kernel thread */
void sched_init_ap(void);              /* an AP's idle thread is its boot context */
__noreturn void sched_idle(void);      /* run the idle loop on this CPU */
struct thread *current(void);
/* A kernel thread running FN(ARG); it must not return. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, bool app);
void thread_start(struct thread *t);   /* make it runnable */
void thread_exit(void) __noreturn;     /* the calling thread ends */
bool thread_is_idle(struct thread *t);
void schedule(void);                   /* give up the CPU; returns when picked again */
void sched_tick(void);                 /* from the timer interrupt */
uint64_t sched_busy_ns(void);          /* CPU time not spent idle: the program's CPU time */
void thread_wake(struct thread *t);
/* The tids of live app threads, lowest first, at most MAX; returns how many there are (for /proc). */
int thread_app_tids(int *tids, int max);

/* Sleep on WQ until woken or until DEADLINE (monotonic ns, 0 = never). LOCK, if
 * given, is released while asleep and held again on return. Returns 0 when
 * woken, -ETIMEDOUT at the deadline. */
int waitq_sleep(struct waitq *wq, struct spinlock *lock, uint64_t deadline);
int waitq_wake(struct waitq *wq, int n);   /* wake up to N sleepers; returns how many */
/* waitq_sleep that a signal for the thread interrupts: returns -EINTR then
 * (also at once, if one is already pending). For syscalls that may block
 * indefinitely on the app's behalf (epoll_wait, futex, pipes, sleeps). */
int waitq_sleep_intr(struct waitq *wq, struct spinlock *lock, uint64_t deadline);
int sleep_until_intr(uint64_t deadline);   /* 0 at the deadline, -EINTR if a signal came first */
void thread_interrupt(struct thread *t);   /* end T's interruptible sleep with -EINTR */
struct thread *thread_by_tid(int tid);     /* a live thread, or NULL */
/* The first live app thread (lowest tid) for which PRED(t, arg) holds, or NULL. */
struct thread *thread_find_app(bool (*pred)(struct thread *t, void *arg), void *arg);
/* execve: mark every other live app thread killed (it dies at its next
 * return to the app); returns how many. */
int thread_mark_killed(struct thread *self);
/* execve, once T is the only app thread: it takes the process's first tid
 * (1, the pid), as Linux's exec'ing thread becomes the group leader. */
void thread_become_leader(struct thread *t);
/* syscalls/signal.c: is a signal pending and unblocked for T? */
bool signal_pending(struct thread *t);
int sleep_until(uint64_t deadline);        /* plain sleep */

/* sched/mutex.c: a sleeping lock for code that may block while holding it
 * (page faults that read files, the VFS). */
struct mutex {
	struct spinlock lock;
	struct thread *owner;
	struct waitq wq;
};
#define MUTEX_INIT(n) { SPINLOCK_INIT(n), NULL, WAITQ_INIT(n) }
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(struct mutex *m);

/* In the thread just switched to: release (requeue or free) the one switched from. */
void sched_finish_switch(void);
