/* What the loader told us: RAM ranges and the command line. */
#pragma once
#include "types.h"

#define BOOT_MAX_RANGES 64
struct boot_info {
	const char *protocol;            /* "pvh" or "multiboot2" */
	int nranges;
	struct { paddr_t base; uint64_t len; } ram[BOOT_MAX_RANGES];
	char cmdline[1024];
	paddr_t rsdp;                    /* ACPI RSDP, 0 if unknown */
};
extern struct boot_info boot_info;

/* Parse the PVH start info or the Multiboot2 info; panics on an unknown magic. */
void bootinfo_parse(uint32_t magic, paddr_t info);
