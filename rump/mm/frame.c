/* Physical frames: one bit per 4 KiB frame (1 = in use), placed in the first
 * free RAM above the kernel image. Allocation is first-fit from a moving hint;
 * contiguous runs serve DMA rings and large kernel buffers. */
#include "kernel.h"
#include "mm.h"
#include "bootinfo.h"

uint64_t mem_pages[MEM_USES];

static uint64_t *bitmap;
static size_t nframes, nfree, nmanaged, hint;
static struct spinlock frame_lock = SPINLOCK_INIT("frame");
extern char __kernel_end[];

static inline bool used(size_t f) { return bitmap[f / 64] & (1UL << (f % 64)); }
static inline void set_used(size_t f) { bitmap[f / 64] |= 1UL << (f % 64); }
static inline void set_free(size_t f) { bitmap[f / 64] &= ~(1UL << (f % 64)); }

void frame_init(void)
{
	paddr_t top = 0;
	for (int i = 0; i < boot_info.nranges; i++)
		top = MAX(top, boot_info.ram[i].base + boot_info.ram[i].len);
	nframes = top / PAGE_SIZE;
	size_t bytes = ALIGN_UP(ALIGN_UP(nframes, 64) / 8, PAGE_SIZE);
	paddr_t kend = ALIGN_UP((paddr_t)__kernel_end - KERNEL_BASE, PAGE_SIZE);
	paddr_t at = 0;
	for (int i = 0; i < boot_info.nranges && !at; i++) {
		paddr_t b = MAX(boot_info.ram[i].base, kend), e = boot_info.ram[i].base + boot_info.ram[i].len;
		b = ALIGN_UP(b, PAGE_SIZE);
		if (b + bytes <= e && b + bytes <= (1UL << 30)) /* inside the boot direct map */
			at = b;
	}
	if (!at)
		panic("no room for the frame bitmap");
	bitmap = phys_to_virt(at);
	memset(bitmap, 0xff, bytes);
	for (int i = 0; i < boot_info.nranges; i++) {
		paddr_t b = ALIGN_UP(boot_info.ram[i].base, PAGE_SIZE);
		paddr_t e = ALIGN_DOWN(boot_info.ram[i].base + boot_info.ram[i].len, PAGE_SIZE);
		for (paddr_t p = b; p < e; p += PAGE_SIZE) {
			/* Keep the first 1 MiB (BIOS areas), the kernel image and the bitmap. */
			if (p < 0x100000 || (p < kend && p >= 0x100000) || (p >= at && p < at + bytes))
				continue;
			set_free(p / PAGE_SIZE);
			nfree++;
		}
	}
	nmanaged = nfree;
	hint = 0;
}

static paddr_t alloc_locked(size_t n)
{
	for (int pass = 0; pass < 2; pass++) {
		size_t start = pass ? 0 : hint, end = pass ? hint + n : nframes;
		size_t run = 0;
		for (size_t f = start; f < MIN(end, nframes); f++) {
			if (run == 0 && (f % 64) == 0 && bitmap[f / 64] == ~0UL) {
				f += 63;
				continue;
			}
			if (used(f)) {
				run = 0;
				continue;
			}
			if (++run == n) {
				size_t first = f + 1 - n;
				for (size_t k = first; k <= f; k++)
					set_used(k);
				nfree -= n;
				hint = f + 1;
				return (paddr_t)first * PAGE_SIZE;
			}
		}
	}
	return 0;
}

paddr_t frame_alloc_contig(size_t n)
{
	spin_lock(&frame_lock);
	paddr_t p = nfree >= n ? alloc_locked(n) : 0;
	spin_unlock(&frame_lock);
	if (p)
		memset(phys_to_virt(p), 0, n * PAGE_SIZE);
	return p;
}

paddr_t frame_alloc(void) { return frame_alloc_contig(1); }

void frame_free_contig(paddr_t p, size_t n)
{
	spin_lock(&frame_lock);
	for (size_t k = 0; k < n; k++) {
		size_t f = p / PAGE_SIZE + k;
		if (!used(f))
			panic("frame_free: frame %#lx is not allocated", (uint64_t)f * PAGE_SIZE);
		set_free(f);
	}
	nfree += n;
	if (p / PAGE_SIZE < hint)
		hint = p / PAGE_SIZE;
	spin_unlock(&frame_lock);
}

void frame_free(paddr_t p) { frame_free_contig(p, 1); }
size_t frame_total(void) { return nmanaged; }
size_t frame_free_count(void) { return nfree; }
