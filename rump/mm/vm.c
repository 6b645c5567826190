/* The app's address space: a sorted list of regions over the lower half,
 * filled on demand. Anonymous pages are zero-filled at first touch, file pages
 * are copied from the file (through the page cache) at first touch; PROT_NONE
 * reservations cost nothing until mprotect opens them. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "vm.h"
#include "vfs.h"
#include "sched.h"

#define PTE_KEPT (1UL << 9) /* software bit: a PROT_NONE page that keeps its frame */

static struct vma *vmas;
static struct mutex vm_lock = MUTEX_INIT("vm");
static vaddr_t brk_base, brk_cur;

void vm_init(void) {}
struct vma *vm_first(void) { return vmas; }
void vm_regions_lock(void) { mutex_lock(&vm_lock); }
void vm_regions_unlock(void) { mutex_unlock(&vm_lock); }

struct vma *vm_find(vaddr_t addr)
{
	for (struct vma *v = vmas; v && v->start <= addr; v = v->next)
		if (addr < v->end)
			return v;
	return NULL;
}

static uint64_t pte_flags(int prot)
{
	uint64_t f = 0;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

static void insert(struct vma *n)
{
	struct vma **pp = &vmas;
	while (*pp && (*pp)->start < n->start)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
}

/* Split V at ADDR (strictly inside it) into two regions; returns the upper one. */
static struct vma *split(struct vma *v, vaddr_t addr)
{
	struct vma *u = kmalloc(sizeof *u);
	if (!u)
		return NULL;
	*u = *v;
	u->start = addr;
	if (u->file) {
		u->off += addr - v->start;
		file_get(u->file);
	}
	v->end = addr;
	v->next = u;
	return u;
}

/* Free the frames mapped in [start, end), skipping absent page tables quickly.
 * Frames are freed in batches, each after the other CPUs forgot them. */
static void unmap_frames(vaddr_t start, vaddr_t end)
{
	paddr_t batch[512];
	size_t n = 0;
	vaddr_t from = start;
	for (vaddr_t va = start; va < end;) {
		pte_t *pte = pte_lookup(va, false);
		if (!pte) {
			va = ALIGN_DOWN(va, 1UL << 21) + (1UL << 21);
			continue;
		}
		if (*pte & (PTE_P | PTE_KEPT)) {
			batch[n++] = *pte & PTE_ADDR;
			*pte = 0;
			invlpg(va);
		}
		va += PAGE_SIZE;
		if (n == ARRAY_SIZE(batch)) {
			tlb_shootdown(from, va);
			for (size_t i = 0; i < n; i++)
				frame_free(batch[i]);
			mem_count(MEM_APP, -(long)n);
			n = 0;
			from = va;
		}
	}
	if (n) {
		tlb_shootdown(from, end);
		for (size_t i = 0; i < n; i++)
			frame_free(batch[i]);
		mem_count(MEM_APP, -(long)n);
	}
	/* Tables the range leaves empty go too. Any INVLPG drops the cached
	 * upper-level entries, here and (through the shootdown) on other CPUs. */
	for (;;) {
		n = pt_prune(start, end, batch, ARRAY_SIZE(batch));
		if (!n)
			break;
		invlpg(start);
		tlb_shootdown(start, end);
		for (size_t i = 0; i < n; i++)
			frame_free(batch[i]);
		mem_count(MEM_PAGETABLE, -(long)n);
	}
}

/* Remove [start, end) from the region list and free its pages. vm_lock held. */
static int unmap_locked(vaddr_t start, vaddr_t end)
{
	struct vma **pp = &vmas;
	while (*pp) {
		struct vma *v = *pp;
		if (v->end <= start) {
			pp = &v->next;
			continue;
		}
		if (v->start >= end)
			break;
		if (v->start < start) {
			if (!split(v, start))
				return -ENOMEM;
			pp = &v->next;
			continue;
		}
		if (v->end > end && !split(v, end))
			return -ENOMEM;
		unmap_frames(v->start, v->end);
		*pp = v->next;
		if (v->file)
			file_put(v->file);
		kfree(v);
	}
	return 0;
}

static bool same_name(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Can B (right after A) join A into one region? Linux merges such neighbours,
 * which keeps /proc/self/maps and our list short. */
static bool mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags && a->file == b->file &&
	       (!a->file || a->off + (off_t)(a->end - a->start) == b->off) && same_name(a->name, b->name);
}

/* Merge V with its neighbours where possible. vm_lock held. */
static void merge_around(struct vma *v)
{
	struct vma *prev = NULL;
	for (struct vma *p = vmas; p && p != v; p = p->next)
		prev = p;
	if (v->next && mergeable(v, v->next)) {
		struct vma *n = v->next;
		v->end = n->end;
		v->next = n->next;
		if (n->file)
			file_put(n->file);
		kfree(n);
	}
	if (prev && mergeable(prev, v)) {
		prev->end = v->end;
		prev->next = v->next;
		if (v->file)
			file_put(v->file);
		kfree(v);
	}
}

static bool range_free(vaddr_t start, vaddr_t end)
{
	for (struct vma *v = vmas; v && v->start < end; v = v->next)
		if (v->end > start)
			return false;
	return true;
}

/* The highest gap of LEN bytes below MMAP_BASE, as Linux's top-down allocator. */
static vaddr_t find_gap(size_t len)
{
	vaddr_t best = 0, lo = 0x10000;
	for (struct vma *v = vmas;; v = v->next) {
		vaddr_t hi = v ? MIN(v->start, MMAP_BASE) : MMAP_BASE;
		if (hi >= lo + len && hi <= MMAP_BASE)
			best = hi - len;
		if (!v || v->start >= MMAP_BASE)
			break;
		lo = MAX(lo, v->end);
	}
	return best;
}

long vm_mmap(vaddr_t addr, size_t len, int prot, int flags, struct file *f, off_t off)
{
	if (!len || (addr & ~PAGE_MASK) || (off & ~PAGE_MASK))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (len > USER_TOP || (addr && addr + len > USER_TOP))
		return -ENOMEM;
	mutex_lock(&vm_lock);
	vaddr_t at = 0;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!addr) {
			mutex_unlock(&vm_lock);
			return -EPERM;
		}
		if ((flags & MAP_FIXED_NOREPLACE) && !range_free(addr, addr + len)) {
			mutex_unlock(&vm_lock);
			return -EEXIST;
		}
		int r = unmap_locked(addr, addr + len);
		if (r) {
			mutex_unlock(&vm_lock);
			return r;
		}
		at = addr;
	} else if (addr && addr >= 0x10000 && range_free(addr, addr + len)) {
		at = addr;
	} else {
		at = find_gap(len);
	}
	if (!at) {
		mutex_unlock(&vm_lock);
		return -ENOMEM;
	}
	struct vma *v = kzalloc(sizeof *v);
	if (!v) {
		mutex_unlock(&vm_lock);
		return -ENOMEM;
	}
	v->start = at;
	v->end = at + len;
	v->prot = prot;
	v->flags = flags;
	v->file = f;
	v->off = off;
	if (f)
		file_get(f);
	insert(v);
	merge_around(v);
	mutex_unlock(&vm_lock);
	return (long)at;
}

/* Move the page-table entries of [from, from+len) to [to, to+len): the
 * frames stay where they are, nothing is copied. vm_lock held; TO is free. */
static int move_ptes(vaddr_t from, vaddr_t to, size_t len)
{
	for (size_t off = 0; off < len;) {
		pte_t *src = pte_lookup(from + off, false);
		if (!src) {
			off = ALIGN_DOWN(from + off, 1UL << 21) + (1UL << 21) - from;
			continue;
		}
		if (*src & (PTE_P | PTE_KEPT)) {
			pte_t *dst = pte_lookup(to + off, true);
			if (!dst)
				return -ENOMEM;
			*dst = *src;
			*src = 0;
			invlpg(from + off);
			invlpg(to + off);
		}
		off += PAGE_SIZE;
	}
	tlb_shootdown(from, from + len);
	return 0;
}

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4

long vm_mremap(vaddr_t old, size_t old_len, size_t new_len, int flags, vaddr_t new_addr)
{
	if ((old & ~PAGE_MASK) || !new_len || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && (!(flags & MREMAP_MAYMOVE) || (new_addr & ~PAGE_MASK)))
		return -EINVAL;
	if (flags & MREMAP_DONTUNMAP) {
		klog_once("mremap-dontunmap", "uninode: mremap(MREMAP_DONTUNMAP) is not supported\n");
		return -EINVAL;
	}
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (!old_len) /* duplicating a shared mapping: not with private copies */
		return -EINVAL;
	mutex_lock(&vm_lock);
	struct vma *v = vm_find(old);
	long r;
	if (!v || old + old_len > v->end) {
		r = -EFAULT;
		goto out;
	}
	if (!(flags & MREMAP_FIXED) && new_len <= old_len) {
		r = unmap_locked(old + new_len, old + old_len);
		r = r ? r : (long)old;
		goto out;
	}
	/* Grow in place when the region ends here and the space after it is free. */
	if (!(flags & MREMAP_FIXED) && v->end == old + old_len && old + new_len <= USER_TOP &&
	    range_free(old + old_len, old + new_len)) {
		v->end = old + new_len;
		r = (long)old;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		r = -ENOMEM;
		goto out;
	}
	vaddr_t to;
	if (flags & MREMAP_FIXED) {
		if (new_addr + new_len > USER_TOP || (new_addr < old + old_len && old < new_addr + new_len)) {
			r = -EINVAL;
			goto out;
		}
		if ((r = unmap_locked(new_addr, new_addr + new_len)))
			goto out;
		to = new_addr;
	} else {
		to = find_gap(new_len);
		if (!to) {
			r = -ENOMEM;
			goto out;
		}
	}
	/* The moved part becomes a region of its own with the same attributes. */
	v = vm_find(old);
	if (v->start < old)
		v = split(v, old);
	if (v && v->end > old + old_len && !split(v, old + old_len))
		v = NULL;
	struct vma *n = v ? kmalloc(sizeof *n) : NULL;
	if (!n) {
		r = -ENOMEM;
		goto out;
	}
	*n = *v;
	n->start = to;
	n->end = to + new_len;
	size_t moved = MIN(old_len, new_len);
	if ((r = move_ptes(old, to, moved))) {
		kfree(n);
		goto out;
	}
	if (n->file)
		file_get(n->file);
	unmap_locked(old, old + old_len);
	insert(n);
	merge_around(n);
	r = (long)to;
out:
	mutex_unlock(&vm_lock);
	return r;
}

int vm_munmap(vaddr_t addr, size_t len)
{
	if ((addr & ~PAGE_MASK) || !len || addr + len > USER_TOP)
		return -EINVAL;
	mutex_lock(&vm_lock);
	int r = unmap_locked(addr, addr + ALIGN_UP(len, PAGE_SIZE));
	mutex_unlock(&vm_lock);
	return r;
}

int vm_mprotect(vaddr_t addr, size_t len, int prot)
{
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	vaddr_t end = addr + ALIGN_UP(len, PAGE_SIZE);
	mutex_lock(&vm_lock);
	/* Linux: the whole range must be mapped, else ENOMEM (and nothing changes). */
	vaddr_t cover = addr;
	for (struct vma *v = vmas; v && cover < end; v = v->next)
		if (v->start <= cover && v->end > cover)
			cover = v->end;
	if (cover < end) {
		mutex_unlock(&vm_lock);
		return -ENOMEM;
	}
	for (struct vma *v = vmas; v && v->start < end; v = v->next) {
		if (v->end <= addr)
			continue;
		if (v->start < addr) {
			if (!split(v, addr))
				goto nomem;
			continue; /* the upper half is next */
		}
		if (v->end > end && !split(v, end))
			goto nomem;
		v->prot = prot;
		for (vaddr_t va = v->start; va < v->end;) {
			pte_t *pte = pte_lookup(va, false);
			if (!pte) {
				va = ALIGN_DOWN(va, 1UL << 21) + (1UL << 21);
				continue;
			}
			if (*pte & PTE_P) {
				if (prot == 0) {
					/* PROT_NONE keeps the contents: the frame stays, not present. */
					*pte = (*pte & PTE_ADDR) | PTE_KEPT;
				} else {
					*pte = (*pte & PTE_ADDR) | PTE_P | pte_flags(prot);
				}
				invlpg(va);
			} else if ((*pte & PTE_KEPT) && prot != 0) {
				*pte = (*pte & PTE_ADDR) | PTE_P | pte_flags(prot);
				invlpg(va);
			}
			va += PAGE_SIZE;
		}
		tlb_shootdown(v->start, v->end);
	}
	mutex_unlock(&vm_lock);
	return 0;
nomem:
	mutex_unlock(&vm_lock);
	return -ENOMEM;
}

int vm_madvise_dontneed(vaddr_t addr, size_t len)
{
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	mutex_lock(&vm_lock);
	unmap_frames(addr, addr + ALIGN_UP(len, PAGE_SIZE));
	mutex_unlock(&vm_lock);
	return 0;
}

void vm_set_brk_base(vaddr_t base)
{
	brk_base = brk_cur = ALIGN_UP(base, PAGE_SIZE);
}

long vm_brk(vaddr_t addr)
{
	if (!addr || addr < brk_base)
		return (long)brk_cur;
	vaddr_t old_end = ALIGN_UP(brk_cur, PAGE_SIZE), new_end = ALIGN_UP(addr, PAGE_SIZE);
	if (new_end > old_end) {
		mutex_lock(&vm_lock);
		bool ok = range_free(old_end, new_end);
		mutex_unlock(&vm_lock);
		if (!ok)
			return (long)brk_cur;
		long r = vm_mmap(old_end, new_end - old_end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (r < 0)
			return (long)brk_cur;
		vm_set_name(old_end, "[heap]");
	} else if (new_end < old_end) {
		vm_munmap(new_end, old_end - new_end);
	}
	brk_cur = addr;
	return (long)brk_cur;
}

void vm_set_name(vaddr_t start, const char *name)
{
	mutex_lock(&vm_lock);
	struct vma *v = vm_find(start);
	if (v && !same_name(v->name, name)) {
		if (v->start < start)
			v = split(v, start);
		if (v) {
			v->name = name;
			merge_around(v);
		}
	}
	mutex_unlock(&vm_lock);
}

/* Fill one page of V at VA: zeros, or the file's bytes (zeros past its end). */
static int fill_page(struct vma *v, vaddr_t va, paddr_t frame)
{
	if (!v->file)
		return 0;
	off_t off = v->off + (off_t)(va - v->start);
	long n = file_pread(v->file, phys_to_virt(frame), PAGE_SIZE, off);
	return n < 0 ? (int)n : 0;
}

int vm_fault(vaddr_t addr, uint64_t err)
{
	if (addr >= USER_TOP)
		return -EFAULT;
	vaddr_t va = addr & PAGE_MASK;
	mutex_lock(&vm_lock);
	struct vma *v = vm_find(addr);
	int r = -EFAULT;
	if (!v)
		goto out;
	if ((err & 2) && !(v->prot & PROT_WRITE))
		goto out;
	if ((err & 16) && !(v->prot & PROT_EXEC))
		goto out;
	if (!(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		goto out;
	pte_t *pte = pte_lookup(va, true);
	if (!pte) {
		r = -ENOMEM;
		goto out;
	}
	if (*pte & PTE_P) {
		/* Present but the access was refused: a real protection fault, unless
		 * another thread just mapped it (then the access now succeeds). */
		uint64_t need = (err & 2) ? PTE_W : 0;
		r = ((*pte & need) == need && !((err & 16) && (*pte & PTE_NX))) ? 0 : -EFAULT;
		goto out;
	}
	paddr_t frame = frame_alloc();
	if (!frame) {
		r = -ENOMEM;
		goto out;
	}
	r = fill_page(v, va, frame);
	if (r) {
		frame_free(frame);
		goto out;
	}
	*pte = frame | PTE_P | pte_flags(v->prot);
	mem_count(MEM_APP, 1);
	invlpg(va);
	r = 0;
out:
	mutex_unlock(&vm_lock);
	return r;
}


