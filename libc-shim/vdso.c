/* Maps the vDSO (built from libc-shim/vdso/, linked into the kernel as a
 * blob) into the app: the vvar page, read-only, then the vDSO image,
 * read+exec, at an address mmap picks, as Linux does. */
#include "kernel.h"
#include "arch.h"
#include "vm.h"
#include "cpu.h"
#include "../libc-shim/vdso/vvar.h"

extern const char vdso_blob[], vdso_blob_end[];
static uint64_t base;

void time_vvar_params(uint64_t *tsc_boot, uint64_t *ns_mult, uint64_t *realtime_boot_ns);

uint64_t vdso_base(void) { return base; }

/* Map vvar + vDSO; returns the vDSO's address or -errno. */
long vdso_map(void)
{
	size_t len = ALIGN_UP((size_t)(vdso_blob_end - vdso_blob), PAGE_SIZE);
	long at = vm_mmap(0, PAGE_SIZE + len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (at < 0)
		return at;
	struct vvar *v = (struct vvar *)at;
	time_vvar_params(&v->tsc_boot, &v->ns_mult, &v->realtime_boot_ns);
	v->rdtscp = cpu_features.rdtscp;
	v->version = 1;
	memcpy((void *)(at + PAGE_SIZE), vdso_blob, vdso_blob_end - vdso_blob);
	vm_mprotect(at, PAGE_SIZE, PROT_READ);
	vm_mprotect(at + PAGE_SIZE, len, PROT_READ | PROT_EXEC);
	vm_set_name(at, "[vvar]");
	vm_set_name(at + PAGE_SIZE, "[vdso]");
	base = at + PAGE_SIZE;
	return (long)base;
}
