/* Physical frames, the direct map, and the address space the app lives in. */
#pragma once
#include "types.h"

/* The direct map: all physical memory at DIRECT_MAP_BASE (PML4 slot 256). */
#define DIRECT_MAP_BASE 0xffff800000000000UL
#define KERNEL_BASE 0xffffffff80000000UL
static inline void *phys_to_virt(paddr_t p) { return (void *)(p + DIRECT_MAP_BASE); }
/* Valid for the direct map and the kernel image (kmalloc memory is in the direct map). */
paddr_t virt_to_phys(const void *v);

/* mm/frame.c: physical page frames. */
void frame_init(void);
paddr_t frame_alloc(void);                 /* one zeroed 4 KiB frame, 0 if none */
paddr_t frame_alloc_contig(size_t npages); /* physically contiguous, zeroed, 0 if none */
void frame_free(paddr_t p);
/* Frames by what holds them, for /proc/meminfo: counts of pages, kept by
 * the code that takes and gives them back. */
enum mem_use { MEM_APP, MEM_HEAP, MEM_PAGETABLE, MEM_KSTACK, MEM_USES };
extern uint64_t mem_pages[MEM_USES];
static inline void mem_count(enum mem_use u, long n) { __atomic_add_fetch(&mem_pages[u], (uint64_t)n, __ATOMIC_RELAXED); }
void frame_free_contig(paddr_t p, size_t npages);
size_t frame_total(void);                  /* frames managed */
size_t frame_free_count(void);

/* Convenience: zeroed, physically contiguous, direct-mapped pages (for DMA). */
static inline void *page_alloc(size_t npages) {
	paddr_t p = npages == 1 ? frame_alloc() : frame_alloc_contig(npages);
	return p ? phys_to_virt(p) : NULL;
}
static inline void page_free(void *v, size_t npages) {
	if (npages == 1) frame_free(virt_to_phys(v)); else frame_free_contig(virt_to_phys(v), npages);
}
