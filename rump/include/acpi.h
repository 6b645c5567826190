/* ACPI tables, read only: found by signature through the RSDP the loader
 * passed (or the BIOS area), mapped uncached (rump/pci/acpi.c). */
#pragma once
#include "types.h"

struct acpi_header {
	char sig[4];
	uint32_t length;             /* of the whole table, header included */
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __packed;

/* The first table with signature SIG ("MCFG", "APIC", ...) whose checksum
 * holds, mapped whole; NULL if there is none (or no ACPI at all). */
const struct acpi_header *acpi_find(const char *sig);
