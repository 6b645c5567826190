/* Per-CPU setup: GDT + TSS with IST stacks, IDT, syscall MSRs, control
 * registers, FPU/XSAVE, GS base = per-CPU data. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "percpu.h"
#include "cpu.h"

#define IST_SIZE (16 * 1024)

struct tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3, iomap_base;
} __packed;

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, rsvd;
} __packed;

/* What each CPU has of its own: a GDT (its TSS descriptor) and the TSS with
 * its IST stacks. The boot CPU's are static; an AP's come from the heap. */
struct cpu_tables {
	uint64_t gdt[7];
	struct tss tss;
};
static struct cpu_tables cpu0_tables;
static struct idt_entry idt[256];
static uint8_t ist_stacks[4][IST_SIZE] __attribute__((aligned(16)));
static struct percpu cpu0;
struct percpu *cpus[MAX_CPUS] = { &cpu0 };
int ncpus_online = 1;
struct cpu_features cpu_features;
extern const uint64_t intr_stub_table[256];
extern char syscall_entry[];
extern char boot_stack_top[];

static void load_gdt(uint64_t *gdt, struct tss *tss_p)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffUL; /* 0x08 kernel code */
	gdt[2] = 0x00cf92000000ffffUL; /* 0x10 kernel data */
	gdt[3] = 0x00cff2000000ffffUL; /* 0x18 user data (unused: no CPL 3) */
	gdt[4] = 0x00affa000000ffffUL; /* 0x20 user code */
	uint64_t base = (uint64_t)tss_p, limit = sizeof *tss_p - 1;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) | (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
	struct { uint16_t lim; uint64_t base; } __packed gdtr = { 7 * 8 - 1, (uint64_t)gdt };
	__asm__ volatile("lgdt %0\n"
			 "mov $0x10, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n"
			 "pushq $0x08\n leaq 1f(%%rip), %%rax\n pushq %%rax\n lretq\n 1:\n"
			 "mov $0x28, %%ax\n ltr %%ax\n"
			 : : "m"(gdtr) : "rax", "memory");
}

static void build_idt(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t off = intr_stub_table[v];
		/* NMI, #DF and #MC get stacks of their own: they can arrive while
		 * IST1 is in use. */
		uint8_t ist = v == 2 ? 3 : v == 8 ? 2 : v == 18 ? 4 : 1;
		idt[v] = (struct idt_entry){ .off_lo = off & 0xffff, .sel = 0x08, .ist = ist, .type = 0x8e,
					     .off_mid = (off >> 16) & 0xffff, .off_hi = off >> 32 };
	}
}

static void load_idt(void)
{
	struct { uint16_t lim; uint64_t base; } __packed idtr = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v)); }
static inline void xsetbv(uint32_t idx, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void detect_features(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t max = r[0];
	cpuid(1, 0, r);
	cpu_features.leaf1_ecx = r[2];
	cpu_features.leaf1_edx = r[3];
	cpu_features.xsave = r[2] & (1u << 26);
	cpu_features.rdrand = r[2] & (1u << 30);
	cpu_features.tsc_deadline = r[2] & (1u << 24);
	cpu_features.x2apic = r[2] & (1u << 21);
	cpu_features.hypervisor = r[2] & (1u << 31);
	if (max >= 7) {
		cpuid(7, 0, r);
		cpu_features.leaf7_ebx = r[1];
		cpu_features.fsgsbase = r[1] & 1;
		cpu_features.smep = r[1] & (1u << 7);
		cpu_features.smap = r[1] & (1u << 20);
		cpu_features.rdseed = r[1] & (1u << 18);
	}
	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		cpu_features.pdpe1gb = r[3] & (1u << 26);
		cpu_features.rdtscp = r[3] & (1u << 27);
	}
	if (r[0] >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		cpu_features.invariant_tsc = r[3] & (1u << 8);
	}
}

/* FPU: the app owns SSE/AVX state; the kernel never touches it (built
 * -mgeneral-regs-only), so only a thread switch saves and restores it. */
static void fpu_init(void)
{
	uint64_t cr4 = read_cr4() | (1 << 9) | (1 << 10); /* OSFXSR, OSXMMEXCPT */
	if (cpu_features.xsave)
		cr4 |= 1 << 18;                            /* OSXSAVE */
	write_cr4(cr4);
	if (cpu_features.xsave) {
		uint32_t r[4];
		cpuid(0xd, 0, r);
		uint64_t supported = ((uint64_t)r[3] << 32) | r[0];
		/* x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM); not PKRU or AMX,
		 * which need the pkey/permission syscalls we answer -ENOSYS. */
		uint64_t want = supported & (0x7 | 0xe0);
		xsetbv(0, want);
		cpu_features.xcr0 = want;
		cpuid(0xd, 0, r);
		cpu_features.xsave_size = r[1];
	} else {
		cpu_features.xsave_size = 512;
	}
}

/* Control registers, FPU, GS base and the syscall MSRs: every CPU, for itself. */
static void setup_this_cpu(struct percpu *p)
{
	uint64_t cr4 = read_cr4() | (1 << 7);     /* PGE */
	if (cpu_features.fsgsbase)
		cr4 |= 1 << 16;
	/* Every page is a supervisor page (no CPL 3 anywhere), so SMEP/SMAP never
	 * fire on app memory; they stay on to catch a stray user-bit mapping. */
	if (cpu_features.smep)
		cr4 |= 1 << 20;
	if (cpu_features.smap)
		cr4 |= 1 << 21;
	write_cr4(cr4);
	fpu_init();

	wrmsr(MSR_GS_BASE, (uint64_t)p);
	if (cpu_features.rdtscp)
		wrmsr(0xc0000103, p->cpu_id); /* TSC_AUX: the vDSO's getcpu reads it with rdtscp */
	wrmsr(0xc0000102, 0);                     /* KERNEL_GS_BASE: unused, no swapgs */

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);     /* SCE */
	wrmsr(MSR_STAR, (0x08UL << 32) | (0x08UL << 48));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* Clear IF, TF, DF, AC on entry: the stub must switch stacks first. */
	wrmsr(MSR_SFMASK, (1 << 9) | (1 << 8) | (1 << 10) | (1 << 18));
}

void arch_init_cpu(void)
{
	detect_features();
	load_gdt(cpu0_tables.gdt, &cpu0_tables.tss);
	for (int i = 0; i < 4; i++)
		cpu0_tables.tss.ist[i] = (uint64_t)&ist_stacks[i][IST_SIZE];
	cpu0_tables.tss.iomap_base = sizeof cpu0_tables.tss;
	build_idt();
	load_idt();
	cpu0.self = &cpu0;
	cpu0.kstack_top = (uint64_t)boot_stack_top;
	cpu0.kstack_size = 16384;
	setup_this_cpu(&cpu0);
}

/* On an AP, on its boot stack: its own GDT/TSS with fresh IST stacks, the
 * shared IDT, then the same per-CPU setup as the boot CPU. */
void arch_init_ap(struct percpu *p)
{
	struct cpu_tables *t = kzalloc(sizeof *t);
	uint8_t *ist = page_alloc(4 * IST_SIZE / PAGE_SIZE);
	if (!t || !ist)
		panic("no memory for CPU %u's tables", p->cpu_id);
	load_gdt(t->gdt, &t->tss);
	for (int i = 0; i < 4; i++)
		t->tss.ist[i] = (uint64_t)(ist + (i + 1) * IST_SIZE);
	t->tss.iomap_base = sizeof t->tss;
	load_idt();
	setup_this_cpu(p);
}

void arch_set_fs_base(uint64_t v) { wrmsr(MSR_FS_BASE, v); }
uint64_t arch_get_fs_base(void) { return rdmsr(MSR_FS_BASE); }

void fpu_save(void *area)
{
	if (cpu_features.xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)cpu_features.xcr0),
				 "d"((uint32_t)(cpu_features.xcr0 >> 32)) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void fpu_restore(const void *area)
{
	if (cpu_features.xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)cpu_features.xcr0),
				 "d"((uint32_t)(cpu_features.xcr0 >> 32)) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* A clean state as Linux gives a new process: x87 control word 0x37f, MXCSR 0x1f80. */
void fpu_init_area(void *area)
{
	memset(area, 0, cpu_features.xsave_size);
	uint8_t *a = area;
	*(uint16_t *)(a + 0) = 0x37f;
	*(uint32_t *)(a + 24) = 0x1f80;
	if (cpu_features.xsave)
		*(uint64_t *)(a + 512) = 0x3; /* XSTATE_BV: x87 and SSE from this area */
}
