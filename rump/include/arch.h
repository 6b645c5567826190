/* x86-64 primitives. All inline asm in the kernel lives in rump/arch/x86_64;
 * this header is their face. */
#pragma once
#include "types.h"

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline uint64_t rdmsr(uint32_t m) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(m)); return ((uint64_t)hi << 32) | lo; }
static inline void wrmsr(uint32_t m, uint64_t v) { __asm__ volatile("wrmsr" ::"c"(m), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) { __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub)); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void mb(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline uint64_t irq_save(void) { uint64_t f; __asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory"); return f; }
static inline void irq_restore(uint64_t f) { if (f & 0x200) __asm__ volatile("sti" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void invlpg(vaddr_t a) { __asm__ volatile("invlpg (%0)" ::"r"(a) : "memory"); }

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0

/* Saved state of an interrupted context, as the entry stubs in
 * arch/x86_64/entry.S lay it out on the thread's kernel stack. */
struct intr_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* arch/x86_64/cpu.c */
void arch_init_cpu(void);          /* GDT, TSS+IST, IDT, syscall MSRs, FPU */
void arch_set_fs_base(uint64_t v);
uint64_t arch_get_fs_base(void);
__noreturn void arch_halt_exit(int code); /* isa-debug-exit, then ACPI-less halt */

/* arch/x86_64/intr.c: interrupt handler registration (vectors 32..255). */
typedef void (*irq_handler_t)(struct intr_frame *f, void *arg);
void intr_register(int vector, irq_handler_t h, void *arg);
int intr_alloc_vector(void);       /* a free vector for MSI/MSI-X */
void ioapic_route(int gsi, int vector, bool level); /* legacy INTx via the IO-APIC */
void lapic_eoi(void);
uint32_t lapic_id(void);

/* arch/x86_64/time.c */
uint64_t time_monotonic_ns(void);  /* since boot, TSC based */
uint64_t time_realtime_ns(void);   /* CMOS RTC at boot + monotonic */
void time_init(void);
uint64_t time_since_tsc(uint64_t tsc0);
