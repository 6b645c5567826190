/* Symmetric multiprocessing: the CPUs ACPI's MADT lists are started with
 * INIT-SIPI-SIPI through the trampoline; each runs the scheduler's idle loop
 * and takes threads from the one run queue. Cross-CPU work goes by IPI:
 * waking a halted CPU, and TLB shootdowns when the app's mappings shrink. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "percpu.h"
#include "sched.h"
#include "acpi.h"

#define TRAMPOLINE 0x8000
#define IPI_WAKE 0xfe
#define IPI_TLB 0xfd
#define AP_STACK_SIZE (32 * 1024)

extern char ap_trampoline_start[], ap_trampoline_end[], ap_trampoline_data[], ap_entry64[];
extern char boot_pml4[];
uint64_t ap_kernel_cr3, ap_stack_top;
static volatile bool ap_started;

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
bool lapic_x2apic(void);
void arch_init_ap(struct percpu *p);
void lapic_enable(void);
void timer_start(void);

/* Send VECTOR (or an INIT/SIPI, per MODE) to the CPU with APIC id DEST. */
static void send_ipi(uint32_t dest, uint32_t low)
{
	/* The ICR is two registers: no interrupt handler may send between the writes. */
	uint64_t fl = irq_save();
	if (lapic_x2apic()) {
		wrmsr(0x830, ((uint64_t)dest << 32) | low);
	} else {
		lapic_write(0x310, dest << 24);
		lapic_write(0x300, low);
		while (lapic_read(0x300) & (1 << 12)) /* delivery pending */
			cpu_relax();
	}
	irq_restore(fl);
}

/* Interrupts exactly as FLAGS says (irq_restore only ever turns them on). */
static void irq_set(uint64_t flags)
{
	if (flags & 0x200)
		irq_enable();
	else
		irq_disable();
}

static void delay_us(uint64_t us)
{
	uint64_t end = time_monotonic_ns() + us * 1000;
	while (time_monotonic_ns() < end)
		cpu_relax();
}

/* A halted CPU wakes for a newly runnable thread at once, not at its next tick. */
void smp_wake_idle_cpu(void)
{
	if (ncpus_online < 2)
		return;
	struct percpu *self = this_cpu();
	for (int i = 0; i < MAX_CPUS; i++) {
		struct percpu *c = cpus[i];
		if (c && c != self && c->online && c->halted) {
			send_ipi(c->lapic_id, IPI_WAKE);
			return;
		}
	}
}

static void wake_irq(struct intr_frame *f, void *arg)
{
	this_cpu()->need_resched = true;
}

/* TLB shootdown: one request at a time (callers hold vm_lock or the
 * page-table lock), acknowledged by every other online CPU. The sender waits
 * with interrupts on, so two CPUs cannot wait on each other. */
static volatile vaddr_t shoot_start, shoot_end;
static volatile int shoot_pending;
static struct spinlock shoot_lock = SPINLOCK_INIT("shootdown");

static void flush_range(vaddr_t start, vaddr_t end)
{
	if (end - start > 64 * PAGE_SIZE) {
		write_cr3(read_cr3()); /* app and kernel-stack pages are not global */
		return;
	}
	for (vaddr_t va = start; va < end; va += PAGE_SIZE)
		invlpg(va);
}

static void tlb_irq(struct intr_frame *f, void *arg)
{
	flush_range(shoot_start, shoot_end);
	__atomic_sub_fetch(&shoot_pending, 1, __ATOMIC_RELEASE);
}

void tlb_shootdown(vaddr_t start, vaddr_t end)
{
	if (ncpus_online < 2)
		return;
	/* Not spin_lock: that would keep interrupts off while we wait for the
	 * other CPUs, one of which may be waiting for us. */
	uint64_t fl = irq_save();
	irq_enable(); /* take other CPUs' shootdowns while we wait for ours */
	while (__atomic_exchange_n(&shoot_lock.locked, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	shoot_start = start & PAGE_MASK;
	shoot_end = ALIGN_UP(end, PAGE_SIZE);
	__atomic_store_n(&shoot_pending, ncpus_online - 1, __ATOMIC_RELEASE);
	struct percpu *self = this_cpu();
	for (int i = 0; i < MAX_CPUS; i++)
		if (cpus[i] && cpus[i] != self && cpus[i]->online)
			send_ipi(cpus[i]->lapic_id, IPI_TLB);
	while (__atomic_load_n(&shoot_pending, __ATOMIC_ACQUIRE) > 0)
		cpu_relax();
	__atomic_store_n(&shoot_lock.locked, 0, __ATOMIC_RELEASE);
	irq_set(fl);
}

/* The boot CPU's memory types (MTRRs, PAT), which firmware set up only there;
 * an AP left at reset defaults would run with all of memory uncached. */
static uint32_t mtrr_msrs[40];
static uint64_t mtrr_vals[40];
static int nmtrr;

static void save_memory_types(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[3] & (1 << 12))) /* no MTRRs */
		return;
	uint64_t cap = rdmsr(0xfe);
	int nvar = (int)(cap & 0xff);
	mtrr_msrs[nmtrr++] = 0x277; /* PAT */
	if (cap & (1 << 8)) {
		static const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
		for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
			mtrr_msrs[nmtrr++] = fixed[i];
	}
	for (int i = 0; i < nvar && nmtrr + 2 < (int)ARRAY_SIZE(mtrr_msrs) - 1; i++) {
		mtrr_msrs[nmtrr++] = 0x200 + 2 * i;
		mtrr_msrs[nmtrr++] = 0x201 + 2 * i;
	}
	mtrr_msrs[nmtrr++] = 0x2ff; /* MTRRdefType last: it enables them */
	for (int i = 0; i < nmtrr; i++)
		mtrr_vals[i] = rdmsr(mtrr_msrs[i]);
}

static void load_memory_types(void)
{
	for (int i = 0; i < nmtrr; i++)
		wrmsr(mtrr_msrs[i], mtrr_vals[i]);
}

/* First C code on an AP, on its own stack with the kernel's page tables. */
void ap_main(void)
{
	load_memory_types();
	struct percpu *p = NULL;
	for (int i = 1; i < MAX_CPUS && !p; i++)
		if (cpus[i] && cpus[i]->kstack_top == ap_stack_top)
			p = cpus[i];
	arch_init_ap(p);
	lapic_enable();
	sched_init_ap();
	timer_start();
	p->online = true;
	__atomic_add_fetch(&ncpus_online, 1, __ATOMIC_SEQ_CST);
	ap_started = true;
	irq_enable();
	sched_idle();
}

struct madt { struct acpi_header h; uint32_t lapic_addr, flags; uint8_t entries[]; } __packed;

void smp_init(void)
{
	intr_register(IPI_WAKE, wake_irq, NULL);
	intr_register(IPI_TLB, tlb_irq, NULL);
	const struct madt *m = (const struct madt *)acpi_find("APIC");
	if (!m)
		return;
	uint32_t me = lapic_id();
	save_memory_types();
	size_t len = m->h.length - sizeof *m;
	/* The trampoline lives in low memory the frame allocator never hands out. */
	memcpy(phys_to_virt(TRAMPOLINE), ap_trampoline_start, ap_trampoline_end - ap_trampoline_start);
	uint64_t *data = phys_to_virt(TRAMPOLINE + (ap_trampoline_data - ap_trampoline_start));
	data[0] = (uint64_t)boot_pml4 - KERNEL_BASE;
	data[1] = (uint64_t)ap_entry64;
	ap_kernel_cr3 = read_cr3();
	int started = 0;
	for (size_t off = 0; off + 2 <= len;) {
		const uint8_t *e = m->entries + off;
		uint8_t type = e[0], elen = e[1];
		if (elen < 2)
			break;
		uint32_t apic = 0;
		bool enabled = false;
		if (type == 0 && elen >= 8) {
			apic = e[3];
			enabled = *(const uint32_t *)(e + 4) & 1;
		} else if (type == 9 && elen >= 16) {
			apic = *(const uint32_t *)(e + 4);
			enabled = *(const uint32_t *)(e + 8) & 1;
		}
		off += elen;
		if (!enabled || apic == me || ncpus_online + started >= MAX_CPUS)
			continue;
		int id = ncpus_online;
		struct percpu *p = kzalloc(sizeof *p);
		uint64_t stack = kstack_alloc(AP_STACK_SIZE);
		if (!p || !stack)
			break;
		p->self = p;
		p->cpu_id = (uint32_t)id;
		p->lapic_id = apic;
		p->kstack_top = stack;
		p->kstack_size = AP_STACK_SIZE;
		cpus[id] = p;
		ap_stack_top = stack;
		ap_started = false;
		send_ipi(apic, 0x4500);                       /* INIT */
		delay_us(10000);
		for (int k = 0; k < 2 && !ap_started; k++) {
			send_ipi(apic, 0x4600 | (TRAMPOLINE >> 12)); /* STARTUP */
			delay_us(200);
		}
		uint64_t deadline = time_monotonic_ns() + 1000000000UL;
		while (!ap_started && time_monotonic_ns() < deadline)
			cpu_relax();
		if (!ap_started) {
			kprintf("uninode: CPU with APIC id %u did not start\n", apic);
			cpus[id] = NULL;
			break;
		}
	}
	if (ncpus_online > 1)
		kprintf("uninode: %d CPUs online\n", ncpus_online);
}
