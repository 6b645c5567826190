/* What the CPU offers (CPUID) and the per-thread FPU state. */
#pragma once
#include "types.h"

struct cpu_features {
	uint32_t leaf1_ecx, leaf1_edx, leaf7_ebx;
	bool rdtscp;
	bool xsave, rdrand, rdseed, tsc_deadline, x2apic, hypervisor, fsgsbase, smep, smap, pdpe1gb, invariant_tsc;
	uint64_t xcr0;
	uint32_t xsave_size;
};
extern struct cpu_features cpu_features;

void fpu_save(void *area);          /* area: 64-byte aligned, xsave_size bytes */
void fpu_restore(const void *area);
void fpu_init_area(void *area);
