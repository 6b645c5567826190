/* The kernel's own symbol table, linked in by a second link pass, for
 * symbolised backtraces. */
#pragma once
#include "types.h"

/* Name of the function containing ADDR and the offset into it; NULL if unknown. */
const char *ksym_lookup(uint64_t addr, uint64_t *off);
