/* The vDSO (clock_gettime and friends without a trap) arrives with the Node
 * issue; until then no AT_SYSINFO_EHDR is passed and glibc uses the syscalls. */
#include "kernel.h"

uint64_t vdso_base(void) { return 0; }
