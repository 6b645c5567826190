/* Per-CPU data, reached through GS base (the app owns FS). entry.S uses the
 * offsets below: keep them in sync. */
#pragma once
#include "types.h"

struct thread;

struct percpu {
	struct percpu *self;      /* 0: for reading the pointer itself */
	uint64_t scratch_rsp;     /* 8: the app's rsp during syscall entry */
	uint64_t kstack_top;      /* 16: the current thread's kernel stack top */
	struct thread *current;   /* 24 */
	uint64_t kstack_size;     /* 32 */
	uint32_t cpu_id;
	uint32_t lapic_id;
	bool need_resched;
	int irq_depth;
	struct thread *idle;      /* this CPU's idle thread */
	struct thread *switch_prev; /* the thread this CPU just switched away from */
	uint64_t slice_start;     /* when the current thread got the CPU */
	uint64_t idle_ns;         /* time spent halted */
	bool online;
	bool halted;              /* in the idle loop's hlt: a wake-up IPI is needed */
};

#define MAX_CPUS 64
extern struct percpu *cpus[MAX_CPUS];  /* by cpu_id; [0] is the boot CPU */
extern int ncpus_online;
#define PERCPU_SCRATCH_RSP 8
#define PERCPU_KSTACK_TOP 16
#define PERCPU_KSTACK_SIZE 32

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}
