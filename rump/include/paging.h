/* Page tables: one set for the whole machine (kernel and app share them). */
#pragma once
#include "types.h"

#define PTE_P (1UL << 0)
#define PTE_W (1UL << 1)
#define PTE_U (1UL << 2)     /* never set: everything runs at CPL 0 */
#define PTE_PWT (1UL << 3)
#define PTE_PCD (1UL << 4)
#define PTE_A (1UL << 5)
#define PTE_D (1UL << 6)
#define PTE_PS (1UL << 7)
#define PTE_G (1UL << 8)
#define PTE_NX (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL

typedef uint64_t pte_t;

void paging_init(void);                  /* build the kernel's tables, drop the boot identity map */
/* The 4 KiB leaf entry for VA, creating intermediate tables if CREATE; NULL if absent/no memory. */
pte_t *pte_lookup(vaddr_t va, bool create);
int map_page(vaddr_t va, paddr_t pa, uint64_t flags);   /* 0 or -ENOMEM */
paddr_t unmap_page(vaddr_t va);          /* returns the frame that was mapped, 0 if none */
/* Unhooks the app's page tables left empty over [start, end) and puts their
 * frames in OUT (at most MAX), to be freed once every CPU forgot them; returns
 * how many. The caller holds vm_lock, under which app tables are made. */
size_t pt_prune(vaddr_t start, vaddr_t end, paddr_t *out, size_t max);
void tlb_flush_page(vaddr_t va);
/* arch/x86_64/smp.c: make every other CPU forget [start, end) (after unmapping or
 * reducing permissions there, before reusing the frames). */
void tlb_shootdown(vaddr_t start, vaddr_t end);
void *ioremap(paddr_t pa, size_t size);  /* uncached MMIO mapping */
/* A kernel stack of SIZE bytes with an unmapped guard page below; returns its top. */
uint64_t kstack_alloc(size_t size);
void kstack_free(uint64_t top, size_t size);
