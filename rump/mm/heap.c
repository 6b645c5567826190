/* The kernel heap: power-of-two size classes from 32 B to 2 KiB carved out of
 * pages, larger requests straight from the frame allocator. A 16-byte header
 * before each block records its size so kfree needs no size. */
#include "kernel.h"
#include "mm.h"

#define MIN_SHIFT 5
#define MAX_SHIFT 11
#define HDR 16

struct free_block { struct free_block *next; };
static struct free_block *free_lists[MAX_SHIFT + 1];
static struct spinlock heap_lock = SPINLOCK_INIT("heap");

static int class_of(size_t total)
{
	int s = MIN_SHIFT;
	while ((1UL << s) < total)
		s++;
	return s;
}

void *kmalloc(size_t n)
{
	size_t total = n + HDR;
	if (total > (1UL << MAX_SHIFT)) {
		size_t pages = ALIGN_UP(total, PAGE_SIZE) / PAGE_SIZE;
		uint64_t *h = page_alloc(pages);
		if (!h)
			return NULL;
		mem_count(MEM_HEAP, (long)pages);
		h[0] = pages * PAGE_SIZE;
		h[1] = 0;
		return (char *)h + HDR;
	}
	int c = class_of(total);
	spin_lock(&heap_lock);
	if (!free_lists[c]) {
		char *page = page_alloc(1);
		if (!page) {
			spin_unlock(&heap_lock);
			return NULL;
		}
		mem_count(MEM_HEAP, 1);             /* small-block pages are kept for good */
		for (size_t off = 0; off + (1UL << c) <= PAGE_SIZE; off += 1UL << c) {
			struct free_block *b = (struct free_block *)(page + off);
			b->next = free_lists[c];
			free_lists[c] = b;
		}
	}
	struct free_block *b = free_lists[c];
	free_lists[c] = b->next;
	spin_unlock(&heap_lock);
	uint64_t *h = (uint64_t *)b;
	h[0] = 1UL << c;
	h[1] = 0;
	return (char *)h + HDR;
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

static size_t block_size(void *p) { return ((uint64_t *)((char *)p - HDR))[0]; }

void kfree(void *p)
{
	if (!p)
		return;
	uint64_t *h = (uint64_t *)((char *)p - HDR);
	size_t size = h[0];
	if (size >= PAGE_SIZE) {
		page_free(h, size / PAGE_SIZE);
		mem_count(MEM_HEAP, -(long)(size / PAGE_SIZE));
		return;
	}
	int c = class_of(size);
	assert((1UL << c) == size);
	spin_lock(&heap_lock);
	struct free_block *b = (struct free_block *)h;
	b->next = free_lists[c];
	free_lists[c] = b;
	spin_unlock(&heap_lock);
}

void *krealloc(void *p, size_t n)
{
	if (!p)
		return kmalloc(n);
	size_t have = block_size(p) - HDR;
	if (n <= have)
		return p;
	void *q = kmalloc(n);
	if (q) {
		memcpy(q, p, have);
		kfree(p);
	}
	return q;
}
