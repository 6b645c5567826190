/* The kernel's page tables: the direct map of all RAM (PML4 slot 256), the
 * kernel image (slot 511) mapped with per-section permissions, MMIO and kernel
 * stacks in their own ranges. The app's lower half is filled by mm/vma.c. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "vm.h"
#include "bootinfo.h"
#include "cpu.h"

#define IOREMAP_BASE 0xffffc90000000000UL
#define KSTACK_BASE 0xffffc80000000000UL

static pte_t *pml4;
static vaddr_t ioremap_next = IOREMAP_BASE;
static vaddr_t kstack_next = KSTACK_BASE;
static struct spinlock pt_lock = SPINLOCK_INIT("pagetable");

extern char __kernel_start[], __text_start[], __text_end[], __kernel_end[];

paddr_t virt_to_phys(const void *v)
{
	uint64_t a = (uint64_t)v;
	if (a >= KERNEL_BASE)
		return a - KERNEL_BASE;
	if (a >= DIRECT_MAP_BASE && a < DIRECT_MAP_BASE + (1UL << 46))
		return a - DIRECT_MAP_BASE;
	pte_t *pte = pte_lookup(a, false);
	if (pte && (*pte & PTE_P))
		return (*pte & PTE_ADDR) | (a & 0xfff);
	panic("virt_to_phys(%p): not mapped", v);
}

static pte_t *table_next(pte_t *table, int idx, bool create)
{
	if (!(table[idx] & PTE_P)) {
		if (!create)
			return NULL;
		paddr_t f = frame_alloc();
		if (!f)
			return NULL;
		mem_count(MEM_PAGETABLE, 1);        /* the app's are freed again by pt_prune */
		table[idx] = f | PTE_P | PTE_W;
	}
	assert(!(table[idx] & PTE_PS));
	return phys_to_virt(table[idx] & PTE_ADDR);
}

pte_t *pte_lookup(vaddr_t va, bool create)
{
	pte_t *t = pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		t = table_next(t, (va >> shift) & 511, create);
		if (!t)
			return NULL;
	}
	return &t[(va >> 12) & 511];
}

void tlb_flush_page(vaddr_t va) { invlpg(va); }

int map_page(vaddr_t va, paddr_t pa, uint64_t flags)
{
	spin_lock(&pt_lock);
	pte_t *pte = pte_lookup(va, true);
	if (pte) {
		*pte = pa | flags | PTE_P;
		invlpg(va);
	}
	spin_unlock(&pt_lock);
	return pte ? 0 : -ENOMEM;
}

static bool table_empty(const pte_t *t)
{
	for (int i = 0; i < 512; i++)
		if (t[i])
			return false;
	return true;
}

/* An app that maps and unmaps at ever new addresses (V8 places its pages at
 * random) would otherwise grow its tables without end: a 2 MiB window's table
 * is made at its first fault and, before this, kept for good. Levels are
 * pruned bottom up: a table, then a directory it leaves empty, and so on. */
size_t pt_prune(vaddr_t start, vaddr_t end, paddr_t *out, size_t max)
{
	size_t n = 0;
	if (end > USER_TOP)
		end = USER_TOP;
	for (vaddr_t va = start & ~((1UL << 21) - 1); va < end && n + 3 <= max;) {
		pte_t *l4 = &pml4[(va >> 39) & 511];
		if (!(*l4 & PTE_P)) {
			va = (va & ~((1UL << 39) - 1)) + (1UL << 39);
			continue;
		}
		pte_t *pdpt = phys_to_virt(*l4 & PTE_ADDR);
		pte_t *l3 = &pdpt[(va >> 30) & 511];
		if (!(*l3 & PTE_P) || (*l3 & PTE_PS)) {
			va = (va & ~((1UL << 30) - 1)) + (1UL << 30);
			continue;
		}
		pte_t *pd = phys_to_virt(*l3 & PTE_ADDR);
		pte_t *l2 = &pd[(va >> 21) & 511];
		va += 1UL << 21;
		if (!(*l2 & PTE_P) || (*l2 & PTE_PS) || !table_empty(phys_to_virt(*l2 & PTE_ADDR)))
			continue;
		out[n++] = *l2 & PTE_ADDR;
		*l2 = 0;
		if (!table_empty(pd))
			continue;
		out[n++] = *l3 & PTE_ADDR;
		*l3 = 0;
		if (!table_empty(pdpt))
			continue;
		out[n++] = *l4 & PTE_ADDR;
		*l4 = 0;
	}
	return n;
}

paddr_t unmap_page(vaddr_t va)
{
	spin_lock(&pt_lock);
	pte_t *pte = pte_lookup(va, false);
	paddr_t pa = 0;
	if (pte && (*pte & PTE_P)) {
		pa = *pte & PTE_ADDR;
		*pte = 0;
		invlpg(va);
	}
	spin_unlock(&pt_lock);
	return pa;
}

/* Map [pa, pa+len) at DIRECT_MAP_BASE+pa with 2 MiB pages where aligned. */
static void direct_map_range(paddr_t pa, uint64_t len)
{
	paddr_t end = pa + len;
	pa = ALIGN_DOWN(pa, PAGE_SIZE);
	while (pa < end) {
		vaddr_t va = DIRECT_MAP_BASE + pa;
		if (!(pa & ((1UL << 21) - 1)) && pa + (1UL << 21) <= end) {
			pte_t *pdpt = table_next(pml4, (va >> 39) & 511, true);
			pte_t *pd = table_next(pdpt, (va >> 30) & 511, true);
			if (!pd)
				panic("out of memory building the direct map");
			pd[(va >> 21) & 511] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
			pa += 1UL << 21;
		} else {
			pte_t *pte = pte_lookup(va, true);
			if (!pte)
				panic("out of memory building the direct map");
			*pte = pa | PTE_P | PTE_W | PTE_G | PTE_NX;
			pa += PAGE_SIZE;
		}
	}
}

void paging_init(void)
{
	paddr_t root = frame_alloc();
	if (!root)
		panic("no memory for page tables");
	pml4 = phys_to_virt(root);
	for (int i = 0; i < boot_info.nranges; i++)
		direct_map_range(boot_info.ram[i].base, boot_info.ram[i].len);
	/* The kernel image: text read-only and executable, the rest NX. */
	for (vaddr_t va = (vaddr_t)__kernel_start & PAGE_MASK; va < (vaddr_t)__kernel_end; va += PAGE_SIZE) {
		uint64_t flags = PTE_G;
		if (va >= (vaddr_t)__text_start && va < (vaddr_t)__text_end)
			;
		else if (va < (vaddr_t)__text_start) /* .boot: entry code and boot data */
			flags |= PTE_W;
		else
			flags |= PTE_W | PTE_NX;
		pte_t *pte = pte_lookup(va, true);
		if (!pte)
			panic("no memory for page tables");
		*pte = (va - KERNEL_BASE) | flags | PTE_P;
	}
	write_cr3(root);
}

void *ioremap(paddr_t pa, size_t size)
{
	paddr_t start = ALIGN_DOWN(pa, PAGE_SIZE);
	size_t len = ALIGN_UP(pa + size, PAGE_SIZE) - start;
	spin_lock(&pt_lock);
	vaddr_t va = ioremap_next;
	ioremap_next += len + PAGE_SIZE;
	spin_unlock(&pt_lock);
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		if (map_page(va + off, start + off, PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_G))
			panic("ioremap: out of memory");
	return (void *)(va + (pa - start));
}

uint64_t kstack_alloc(size_t size)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	spin_lock(&pt_lock);
	vaddr_t base = kstack_next + PAGE_SIZE; /* the guard page stays unmapped */
	kstack_next += size + PAGE_SIZE;
	spin_unlock(&pt_lock);
	for (size_t off = 0; off < size; off += PAGE_SIZE) {
		paddr_t f = frame_alloc();
		if (!f || map_page(base + off, f, PTE_W | PTE_NX | PTE_G))
			return 0;
		mem_count(MEM_KSTACK, 1);
	}
	return base + size;
}

void kstack_free(uint64_t top, size_t size)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	paddr_t frames[64];
	size_t n = size / PAGE_SIZE;
	if (n > ARRAY_SIZE(frames))
		panic("kstack_free: %zu pages", n);
	for (size_t i = 0; i < n; i++)
		frames[i] = unmap_page(top - size + i * PAGE_SIZE);
	tlb_shootdown(top - size, top); /* another CPU may have touched it (clone writes the child's frame) */
	for (size_t i = 0; i < n; i++)
		if (frames[i]) {
			frame_free(frames[i]);
			mem_count(MEM_KSTACK, -1);
		}
	/* The virtual range is not reused: 2^39 bytes of it last long enough. */
}
