/* Interrupt and exception dispatch, the local APIC and the IO-APIC. Called by
 * entry.S on the current thread's kernel stack with interrupts off. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "percpu.h"
#include "vm.h"
#include "sched.h"
#include "signal.h"


static struct { irq_handler_t fn; void *arg; } handlers[256];
static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static int next_vector = 48;

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
	"device not available", "double fault", "coprocessor overrun", "invalid TSS", "segment not present",
	"stack fault", "general protection fault", "page fault", "reserved", "x87 FP error", "alignment check",
	"machine check", "SIMD FP error", "virtualization", "control protection",
};

void intr_register(int vector, irq_handler_t h, void *arg)
{
	handlers[vector].fn = h;
	handlers[vector].arg = arg;
}

int intr_alloc_vector(void)
{
	return next_vector < 240 ? next_vector++ : -ENOSPC;
}

static bool from_app(const struct intr_frame *f) { return f->rip < 0x800000000000UL; }

static int exc_signal(int v)
{
	switch (v) {
	case 0: case 16: case 19: return SIGFPE;
	case 1: case 3: return SIGTRAP;
	case 6: return SIGILL;
	case 17: return SIGBUS;
	default: return SIGSEGV;
	}
}

/* No frame left for a page the program touched: Linux's OOM killer would
 * kill it (SIGKILL); we do the same, saying why and what to change. */
static __noreturn void out_of_memory(uint64_t addr)
{
	irq_disable();
	kprintf("uninode: out of memory: %lu MiB of RAM all in use when the program touched %#lx; "
		"give the VM more memory (uninode run -m)\n", frame_total() * PAGE_SIZE >> 20, addr);
	kprintf("uninode:signal 9\n");
	arch_halt_exit(1);
}

static void exception(struct intr_frame *f)
{
	int v = (int)f->vector;
	uint64_t addr = v == 14 ? read_cr2() : f->rip;
	bool bus = false;   /* a file page that cannot be had: past EOF, fs full */
	bool refused = false;   /* mapped, but not for this access (SEGV_ACCERR) */
	if (v == 14) {
		if (f->rflags & 0x200)
			irq_enable();
		int r = vm_fault(addr, f->error);
		irq_disable();
		if (r == 0)
			return;
		if (r == -ENOMEM)
			out_of_memory(addr);
		bus = r == -EIO;
		refused = r == -EACCES;
		/* The kernel touched an app address that is not mapped on the app's
		 * behalf: the program passed a bad pointer to a syscall. Linux would
		 * answer EFAULT; we end the program with a report naming the call,
		 * which is louder but never corrupts anything. */
		struct thread *t = current();
		if (!from_app(f) && addr < USER_TOP && t && t->app && t->uframe) {
			char what[96];
			snprintf(what, sizeof what, "bad pointer passed to syscall %s", syscall_name((long)t->uframe->rax));
			proc_fatal_signal(SIGSEGV, what, addr, t->uframe);
		}
	}
	if (from_app(f)) {
		int sig = bus ? SIGBUS : exc_signal(v);
		int code = bus ? BUS_ADRERR : v == 14 ? (refused ? SEGV_ACCERR : SEGV_MAPERR) : SI_KERNEL;
		if (signal_fault(f, sig, code, addr))
			return; /* the program's handler runs (V8 catches wasm traps this way) */
		char what[96];
		if (bus)
			snprintf(what, sizeof what, "bus error (%s of a file page past the end of the file or with no space for it)",
				 f->error & 2 ? "write" : "read");
		else if (v == 14)
			snprintf(what, sizeof what, "page fault (%s of %s address)", f->error & 16 ? "execute" :
				 f->error & 2 ? "write" : "read", refused ? "a protected" : "an unmapped");
		else
			snprintf(what, sizeof what, "%s", exc_names[v]);
		proc_fatal_signal(sig, what, addr, f);
	}
	kprintf("\nkernel fault: %s at %#lx, error %#lx\n", exc_names[v], addr, f->error);
	print_registers(f);
	print_backtrace(f->rbp, f->rip);
	panic("%s in the kernel at %#lx", exc_names[v], addr);
}

void intr_dispatch(struct intr_frame *f)
{
	int v = (int)f->vector;
	struct percpu *cpu = this_cpu();
	if (v < 32) {
		exception(f);
	} else {
		cpu->irq_depth++;
		if (handlers[v].fn)
			handlers[v].fn(f, handlers[v].arg);
		else
			klog_once("spurious-irq", "uninode: interrupt on unclaimed vector %d\n", v);
		cpu->irq_depth--;
		if (v != 255)
			lapic_eoi();
	}
	/* Preempt only an app context or the idle loop: kernel code is not
	 * preemptible and reschedules at its own exits. */
	/* The idle thread is preemptible only in its hlt: elsewhere it may be
	 * inside the scheduler or holding a lock. */
	if (cpu->need_resched && (from_app(f) || (thread_is_idle(cpu->current) && cpu->halted)))
		schedule();
	if (from_app(f))
		signal_deliver(f);
}

/* The local APIC (xAPIC MMIO; the BIOS-era 8259s are masked). */
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

/* Firmware on some machines hands over the LAPIC in x2APIC mode, where the
 * MMIO window is dead and registers are MSRs 0x800 + reg/16. */
static bool x2apic;

uint32_t lapic_read(uint32_t reg) { return x2apic ? (uint32_t)rdmsr(0x800 + reg / 16) : lapic[reg / 4]; }

void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic) {
		wrmsr(0x800 + reg / 16, v);
		return;
	}
	lapic[reg / 4] = v;
	(void)lapic[LAPIC_ID / 4];
}

void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
bool lapic_x2apic(void) { return x2apic; }

/* This CPU's LAPIC on (the same mode the boot CPU found), spurious vector 255. */
void lapic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | (1 << 11) | (x2apic ? 1 << 10 : 0));
	lapic_write(LAPIC_SVR, 0x100 | 0xff);
	this_cpu()->lapic_id = lapic_id();
}
uint32_t lapic_id(void) { return x2apic ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24; }

static void ioapic_write(uint32_t reg, uint32_t v) { ioapic[0] = reg; ioapic[4] = v; }

void ioapic_route(int gsi, int vector, bool level)
{
	uint64_t entry = (uint64_t)vector | (level ? (1UL << 15) | (1UL << 13) : 0) | ((uint64_t)lapic_id() << 56);
	ioapic_write(0x10 + 2 * gsi + 1, entry >> 32);
	ioapic_write(0x10 + 2 * gsi, (uint32_t)entry);
}

void intr_init(void)
{
	/* Remap the 8259s away from the exception vectors, then mask them. */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 4); outb(0xa1, 2);
	outb(0x21, 1); outb(0xa1, 1);
	outb(0x21, 0xff); outb(0xa1, 0xff);
	uint64_t apic_base = rdmsr(MSR_APIC_BASE);
	x2apic = apic_base & (1 << 10);
	wrmsr(MSR_APIC_BASE, apic_base | (1 << 11));
	if (!x2apic)
		lapic = ioremap(apic_base & 0xffffff000UL, PAGE_SIZE);
	lapic_write(LAPIC_SVR, 0x100 | 0xff);  /* enabled, spurious vector 255 */
	ioapic = ioremap(0xfec00000, PAGE_SIZE);
	this_cpu()->lapic_id = lapic_id();
}
