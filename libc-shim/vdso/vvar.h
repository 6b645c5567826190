/* The page the kernel shares with the vDSO, mapped read-only just below it. */
#pragma once
#include <stdint.h>

struct vvar {
	uint32_t version;          /* 1; 0 means "use the syscalls" */
	uint32_t pad;
	uint64_t tsc_boot;         /* TSC at the monotonic clock's zero */
	uint64_t ns_mult;          /* ns = ((tsc - tsc_boot) * ns_mult) >> 32 */
	uint64_t realtime_boot_ns; /* CLOCK_REALTIME at the monotonic clock's zero */
	uint32_t rdtscp;           /* 1: TSC_AUX holds the CPU number */
};
