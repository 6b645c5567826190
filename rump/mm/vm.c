/* The app's address space: a sorted list of regions over the lower half,
 * filled on demand. Anonymous pages are zero-filled at first touch; PROT_NONE
 * reservations cost nothing until mprotect opens them.
 * File pages: where the file's fs hands out its own pages (map_page: tmpfs),
 * a region maps the file's page itself (PTE_FILE), so stores through a
 * MAP_SHARED mapping and read()/write() meet in one physical page. A private
 * region maps it read-only and copies it at the first store (before that it
 * shows the file's current data, as Linux). Elsewhere (the read-only ext2
 * root) file pages are copied from the file at first touch.
 * Truncate finds the regions that map a file by walking the region list
 * (one address space: no reverse map needed) and unmaps the cut pages
 * (vm_unmap_file), so a later access faults and, past the end of the file,
 * gets SIGBUS. Lock order: vm_lock, then the VFS lock. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "vm.h"
#include "vfs.h"
#include "sched.h"

#define PTE_KEPT (1UL << 9) /* software bit: a PROT_NONE page that keeps its frame */
#define PTE_FILE (1UL << 10) /* software bit: the frame is a file's page (map_page), not ours to free */
#define PTE_SOFT (PTE_KEPT | PTE_FILE)

/* Fault results past what the page-fault handler already knows: SIGBUS. */
#define FAULT_SIGBUS (-EIO)

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

/* A region took (or dropped) its file reference: counted per inode for truncate. */
static void vma_hold(struct vma *v)
{
	if (v->file) {
		file_get(v->file);
		file_map_count(v->file, 1);
	}
}

static void vma_release(struct vma *v)
{
	if (v->file) {
		file_map_count(v->file, -1);
		file_put(v->file);
	}
}

/* Whether V maps its file's own pages (else copies at first touch). */
static bool vma_direct(const struct vma *v)
{
	return v->file && file_mappable(v->file);
}

static bool vma_shared(const struct vma *v)
{
	return (v->flags & 0x3) != MAP_PRIVATE;
}

/* The file page VA falls in. */
static uint64_t vma_pgoff(const struct vma *v, vaddr_t va)
{
	return ((uint64_t)v->off + (va - v->start)) / PAGE_SIZE;
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
	if (u->file)
		u->off += addr - v->start;
	vma_hold(u);
	v->end = addr;
	v->next = u;
	return u;
}

/* Let go of the pages V maps in [start, end), skipping absent page tables
 * quickly: its own frames are freed, a file's pages go back to the file
 * (with whether they were stored to). Both only after every CPU forgot them.
 * V is NULL for a range no region covers. vm_lock held. */
static void unmap_frames(struct vma *v, vaddr_t start, vaddr_t end)
{
	pte_t batch[256];
	vaddr_t where[256];
	size_t n = 0;
	vaddr_t from = start;
	bool shared = v && vma_shared(v);
	for (vaddr_t va = start; va < end;) {
		pte_t *pte = pte_lookup(va, false);
		if (pte && (*pte & (PTE_P | PTE_KEPT))) {
			batch[n] = *pte;
			where[n++] = va;
			*pte = 0;
			invlpg(va);
		}
		va = pte ? va + PAGE_SIZE : ALIGN_DOWN(va, 1UL << 21) + (1UL << 21);
		if (n == ARRAY_SIZE(batch) || (n && va >= end)) {
			tlb_shootdown(from, MIN(va, end));
			long own = 0;
			for (size_t i = 0; i < n; i++) {
				if (!(batch[i] & PTE_FILE)) {
					frame_free(batch[i] & PTE_ADDR);
					own++;
				} else if (v && v->file) {
					file_put_page(v->file, vma_pgoff(v, where[i]), shared && (batch[i] & PTE_D), true);
				}
			}
			mem_count(MEM_APP, -own);
			n = 0;
			from = va;
		}
	}
	/* Tables the range leaves empty go too. Any INVLPG drops the cached
	 * upper-level entries, here and (through the shootdown) on other CPUs. */
	paddr_t tables[256];
	for (;;) {
		n = pt_prune(start, end, tables, ARRAY_SIZE(tables));
		if (!n)
			break;
		invlpg(start);
		tlb_shootdown(start, end);
		for (size_t i = 0; i < n; i++)
			frame_free(tables[i]);
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
		unmap_frames(v, v->start, v->end);
		*pp = v->next;
		vma_release(v);
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
	       a->maywrite == b->maywrite &&
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
		vma_release(n);
		kfree(n);
	}
	if (prev && mergeable(prev, v)) {
		prev->end = v->end;
		prev->next = v->next;
		vma_release(v);
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
	/* Linux's VM_MAYWRITE: a shared file mapping can become writable only
	 * through a description open for writing. */
	v->maywrite = !f || (flags & 0x3) == MAP_PRIVATE || (f->flags & O_ACCMODE) != O_RDONLY;
	vma_hold(v);
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

/* mremap with an old size of 0: a second mapping, NEW_LEN long, of the file
 * pages V shows from OLD on (Linux allows it for shared mappings only).
 * vm_lock held. */
static long dup_shared(struct vma *v, vaddr_t old, size_t new_len, int flags, vaddr_t new_addr)
{
	if (!vma_shared(v))
		return -EINVAL;
	if (!vma_direct(v)) {
		/* shared anonymous memory is the process's own here: no second view */
		klog_once("mremap-dup", "uninode: mremap: duplicating a shared mapping is supported for files on tmpfs only\n");
		return -EINVAL;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	vaddr_t to;
	if (flags & MREMAP_FIXED) {
		if (new_addr + new_len > USER_TOP || (old > new_addr && new_addr + new_len > old))
			return -EINVAL;
		int r = unmap_locked(new_addr, new_addr + new_len);
		if (r)
			return r;
		to = new_addr;
		v = vm_find(old);   /* unmapping may have split it */
		if (!v)
			return -EFAULT;
	} else if (!(to = find_gap(new_len))) {
		return -ENOMEM;
	}
	struct vma *n = kmalloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	*n = *v;
	n->start = to;
	n->end = to + new_len;
	n->off = v->off + (off_t)(old - v->start);
	vma_hold(n);
	insert(n);
	merge_around(n);
	return (long)to;
}

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
	mutex_lock(&vm_lock);
	struct vma *v = vm_find(old);
	long r;
	if (!v || old + old_len > v->end) {
		r = -EFAULT;
		goto out;
	}
	if (!old_len) {
		r = dup_shared(v, old, new_len, flags, new_addr);
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
	vma_hold(n);
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
	/* Linux: PROT_WRITE on a shared mapping of a file not open for writing. */
	for (struct vma *v = vmas; v && v->start < end; v = v->next)
		if (v->end > addr && (prot & PROT_WRITE) && !v->maywrite) {
			mutex_unlock(&vm_lock);
			return -EACCES;
		} else if (v->end > addr && (prot & PROT_WRITE) && v->file && vma_shared(v) && !vma_direct(v)) {
			/* its pages are copies: writable they would quietly diverge (see sys_mmap) */
			klog_once("mprotect-shared-write", "uninode: mprotect: shared mappings of files on this filesystem cannot become writable\n");
			mutex_unlock(&vm_lock);
			return -EACCES;
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
			if (*pte & (PTE_P | PTE_KEPT)) {
				/* PROT_NONE keeps the contents: the frame stays, not present. A
				 * file's page (and a shared region's stand-in copy) gains write
				 * access only by a write fault (a private copy, or the fs told
				 * the page will be stored to). */
				uint64_t keep = *pte & (PTE_ADDR | PTE_FILE | PTE_D);
				uint64_t f = pte_flags(prot);
				if (((*pte & PTE_FILE) || (vma_shared(v) && vma_direct(v))) && !(*pte & PTE_W))
					f &= ~PTE_W;
				*pte = prot == 0 ? keep | PTE_KEPT : keep | PTE_P | f;
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
	vaddr_t end = addr + ALIGN_UP(len, PAGE_SIZE);
	mutex_lock(&vm_lock);
	/* Region by region: a file's pages go back to the file, and the next
	 * touch shows the file's data again (Linux's answer for file mappings). */
	vaddr_t at = addr;
	for (struct vma *v = vmas; v && v->start < end; v = v->next) {
		if (v->end <= at)
			continue;
		vaddr_t lo = MAX(v->start, at), hi = MIN(v->end, end);
		if (at < lo)
			unmap_frames(NULL, at, lo);
		unmap_frames(v, lo, hi);
		at = hi;
	}
	if (at < end)
		unmap_frames(NULL, at, end);
	mutex_unlock(&vm_lock);
	return 0;
}

void vm_unmap_all(void)
{
	mutex_lock(&vm_lock);
	unmap_locked(0, USER_TOP);   /* from 0: nothing to split, so it cannot fail */
	brk_base = brk_cur = 0;
	mutex_unlock(&vm_lock);
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

/* What a fault on a file page that cannot be had means: SIGBUS past the end
 * of the file or with the fs full (as Linux), out of memory otherwise. */
static int map_error(int r)
{
	return r == -ENOMEM ? -ENOMEM : FAULT_SIGBUS;
}

/* A page of V's own at *PTE (for VA) holding a copy of the file page at
 * SRC (0: fill it as fill_page does). vm_lock held. */
static int own_copy(struct vma *v, vaddr_t va, pte_t *pte, paddr_t src)
{
	paddr_t frame = frame_alloc();
	if (!frame)
		return -ENOMEM;
	if (src) {
		memcpy(phys_to_virt(frame), phys_to_virt(src), PAGE_SIZE);
	} else {
		int r = fill_page(v, va, frame);
		if (r) {
			frame_free(frame);
			return r;
		}
	}
	*pte = frame | PTE_P | pte_flags(v->prot);
	mem_count(MEM_APP, 1);
	return 0;
}

/* Map the file's own page for VA in V (a direct region): writable only for a
 * store to a shared region, so the fs learns each page that gets dirtied and
 * a private region copies before its first store. vm_lock held. */
static int map_file_page(struct vma *v, vaddr_t va, pte_t *pte, bool write)
{
	bool shared = vma_shared(v);
	paddr_t pa;
	int r = file_map_page(v->file, vma_pgoff(v, va), write && shared, &pa);
	if (r == -ENODEV && !(write && shared)) {
		/* This file has no page of its own yet (an overlay file still only in
		 * the read-only layer): a copy, read-only in a shared region so that
		 * a store comes back here for the real page (shared_copy_write). */
		if ((r = own_copy(v, va, pte, 0)))
			return r;
		if (shared)
			*pte &= ~PTE_W;
		return 0;
	}
	if (r)
		return map_error(r);
	if (write && !shared) {
		r = own_copy(v, va, pte, pa);
		file_put_page(v->file, vma_pgoff(v, va), false, true);
		return r;
	}
	uint64_t f = pte_flags(v->prot);
	if (!write)
		f &= ~PTE_W;
	*pte = pa | PTE_P | PTE_FILE | f;
	return 0;
}

/* A store to a file page mapped read-only in a writable region: a shared
 * region asks the fs for the page to store to, a private one copies it. The
 * old entry's page goes back to the file only after no CPU can use it. */
static int file_page_write(struct vma *v, vaddr_t va, pte_t *pte)
{
	pte_t old = *pte;
	int r;
	if (vma_shared(v)) {
		r = map_file_page(v, va, pte, true);
	} else {
		r = own_copy(v, va, pte, old & PTE_ADDR);
	}
	if (r)
		return r;
	invlpg(va);
	tlb_shootdown(va, va + PAGE_SIZE);
	file_put_page(v->file, vma_pgoff(v, va), false, true);
	return 0;
}

/* A store to a copy a shared region holds read-only (map_file_page's
 * fallback): the file's own page now (the fs makes one for WRITE) replaces
 * it, freed once no CPU can use it. */
static int shared_copy_write(struct vma *v, vaddr_t va, pte_t *pte)
{
	pte_t old = *pte;
	int r = map_file_page(v, va, pte, true);
	if (r)
		return r;
	invlpg(va);
	tlb_shootdown(va, va + PAGE_SIZE);
	frame_free(old & PTE_ADDR);
	mem_count(MEM_APP, -1);
	return 0;
}

/* Resolve a fault at page VA of V (a store if WRITE): the access checks are
 * done. vm_lock held. */
static int fault_in(struct vma *v, vaddr_t va, bool write, bool exec)
{
	pte_t *pte = pte_lookup(va, true);
	if (!pte)
		return -ENOMEM;
	if (*pte & PTE_P) {
		if (write && !(*pte & PTE_W) && (*pte & PTE_FILE) && (v->prot & PROT_WRITE))
			return file_page_write(v, va, pte);
		if (write && !(*pte & PTE_W) && (v->prot & PROT_WRITE) && vma_shared(v) && vma_direct(v))
			return shared_copy_write(v, va, pte);
		/* Present but the access was refused: a real protection fault, unless
		 * another thread just mapped it (then the access now succeeds). */
		uint64_t need = write ? PTE_W : 0;
		return ((*pte & need) == need && !(exec && (*pte & PTE_NX))) ? 0 : -EACCES;
	}
	int r = vma_direct(v) ? map_file_page(v, va, pte, write) : own_copy(v, va, pte, 0);
	if (r)
		return r;
	invlpg(va);
	return 0;
}

int vm_fault(vaddr_t addr, uint64_t err)
{
	if (addr >= USER_TOP)
		return -EFAULT;
	mutex_lock(&vm_lock);
	struct vma *v = vm_find(addr);
	int r = -EFAULT;
	if (!v)
		goto out;
	r = -EACCES;   /* mapped, but not for this access */
	if ((err & 2) && !(v->prot & PROT_WRITE))
		goto out;
	if ((err & 16) && !(v->prot & PROT_EXEC))
		goto out;
	if (!(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		goto out;
	r = fault_in(v, addr & PAGE_MASK, err & 2, err & 16);
out:
	mutex_unlock(&vm_lock);
	return r;
}

int vm_zero_tail(vaddr_t addr)
{
	vaddr_t va = addr & PAGE_MASK;
	mutex_lock(&vm_lock);
	struct vma *v = vm_find(addr);
	int r = -EFAULT;
	if (v && !vma_shared(v)) {
		pte_t *pte = pte_lookup(va, true);
		r = !pte ? -ENOMEM : !(*pte & PTE_P) ? fault_in(v, va, true, false) : (*pte & PTE_FILE) ? file_page_write(v, va, pte) : 0;
		if (!r)
			memset((char *)phys_to_virt(*pte & PTE_ADDR) + (addr & ~PAGE_MASK), 0, PAGE_SIZE - (addr & ~PAGE_MASK));
	}
	mutex_unlock(&vm_lock);
	return r;
}

void vm_unmap_file(struct inode *ino, uint64_t pgoff, uint64_t end)
{
	if (!mutex_held(&vm_lock)) {
		/* Cannot happen through iop_truncate's callers; refusing to walk
		 * unlocked keeps the region list sound, the pages stay mapped. */
		klog_once("vm-unmap-file", "uninode: truncate of a mapped file without vm_lock: mappings kept\n");
		return;
	}
	for (struct vma *v = vmas; v; v = v->next) {
		if (!v->file || v->file->inode != ino)
			continue;
		uint64_t first = vma_pgoff(v, v->start), pages = (v->end - v->start) / PAGE_SIZE;
		if (first + pages <= pgoff || end <= first)
			continue;
		vaddr_t lo = v->start + (pgoff > first ? (pgoff - first) * PAGE_SIZE : 0);
		vaddr_t hi = end < first + pages ? v->start + (end - first) * PAGE_SIZE : v->end;
		unmap_frames(v, lo, hi);
	}
}

/* Tell the fs which pages of shared region V in [start, end) were stored to
 * since the last look (the CPU's dirty bits), clearing them. vm_lock held. */
static void harvest_dirty(struct vma *v, vaddr_t start, vaddr_t end)
{
	if (!file_tracks_dirty(v->file))
		return;   /* tmpfs: the page is the file, nothing to write back */
	for (vaddr_t va = start; va < end;) {
		pte_t *pte = pte_lookup(va, false);
		if (!pte) {
			va = ALIGN_DOWN(va, 1UL << 21) + (1UL << 21);
			continue;
		}
		if ((*pte & (PTE_P | PTE_FILE)) == (PTE_P | PTE_FILE) && (*pte & PTE_D)) {
			*pte &= ~PTE_D;
			invlpg(va);
			tlb_shootdown(va, va + PAGE_SIZE);
			file_put_page(v->file, vma_pgoff(v, va), true, false);
		}
		va += PAGE_SIZE;
	}
}

int vm_msync(vaddr_t addr, size_t len, int flags)
{
	/* The checks and their order are Linux's (mm/msync.c). */
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	vaddr_t end = addr + len;
	if (end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	int unmapped = 0;
	mutex_lock(&vm_lock);
	for (;;) {
		struct vma *v = vmas;
		while (v && v->end <= addr)
			v = v->next;
		if (!v)
			break;                 /* the rest is unmapped */
		if (addr < v->start) {
			if (flags == MS_ASYNC)
				break;
			addr = v->start;
			if (addr >= end)
				break;
			unmapped = -ENOMEM;
		}
		vaddr_t next = v->end;
		if (v->file && vma_shared(v)) {
			harvest_dirty(v, addr, MIN(end, next));
			if (flags & MS_SYNC) {
				struct file *f = v->file;
				file_get(f);
				mutex_unlock(&vm_lock);   /* fsync may sleep on the disk */
				int r = file_fsync(f);
				file_put(f);
				if (r)
					return r;
				mutex_lock(&vm_lock);
			}
		}
		addr = next;   /* V may be gone if the lock was dropped */
		if (addr >= end) {
			mutex_unlock(&vm_lock);
			return unmapped;
		}
	}
	mutex_unlock(&vm_lock);
	return -ENOMEM;
}
