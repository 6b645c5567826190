/* The app's address space: regions (VMAs) over the lower half, demand paged. */
#pragma once
#include "types.h"

struct file;
struct inode;
struct intr_frame;

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_DENYWRITE 0x800
#define MAP_EXECUTABLE 0x1000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_STACK 0x20000
#define MAP_FIXED_NOREPLACE 0x100000

#define USER_TOP 0x7ffffffff000UL       /* end of the lower half, as on Linux */
#define MMAP_BASE 0x7ffff7fff000UL      /* mmaps grow down from here: 128 MiB below the stack, as Linux */
#define STACK_TOP 0x7ffffffde000UL

struct vma {
	vaddr_t start, end;
	int prot, flags;
	struct file *file;                /* NULL: anonymous */
	off_t off;                        /* file offset of start */
	const char *name;                 /* "[stack]", "[heap]", "[vdso]", or NULL */
	struct vma *next;                 /* sorted by start */
	bool maywrite;                    /* mprotect may add PROT_WRITE (a MAP_SHARED file needs O_RDWR) */
};

void vm_init(void);
/* Demand-page ADDR for a fault with x86 error code ERR; 0 if resolved, -EFAULT
 * where nothing is mapped, -EACCES where the access is not allowed, -EIO for a
 * file page that cannot be had (SIGBUS), -ENOMEM. */
int vm_fault(vaddr_t addr, uint64_t err);
long vm_mmap(vaddr_t addr, size_t len, int prot, int flags, struct file *f, off_t off);
int vm_munmap(vaddr_t addr, size_t len);
/* mremap: grow in place, or move the page-table entries (no copying). */
long vm_mremap(vaddr_t old, size_t old_len, size_t new_len, int flags, vaddr_t new_addr);
int vm_mprotect(vaddr_t addr, size_t len, int prot);
int vm_madvise_dontneed(vaddr_t addr, size_t len);
long vm_brk(vaddr_t addr);
/* execve: every region goes, with its pages (a shared file mapping's stores
 * reach its file, as at munmap) and the page tables under them; no break. */
void vm_unmap_all(void);
void vm_set_brk_base(vaddr_t base);
void vm_set_name(vaddr_t start, const char *name);
#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4
/* msync: MS_SYNC writes shared file regions back through their fs's fsync. */
int vm_msync(vaddr_t addr, size_t len, int flags);
/* Truncate (END = UINT64_MAX) or a punched hole: unmap INO's file pages
 * [PGOFF, END) from every region. The caller holds vm_regions_lock() and the
 * VFS lock (iop_truncate). */
void vm_unmap_file(struct inode *ino, uint64_t pgoff, uint64_t end);
/* ELF loading: zero ADDR's page from ADDR on (a segment's .bss), in a page of
 * the region's own (never the file's page). */
int vm_zero_tail(vaddr_t addr);
struct vma *vm_find(vaddr_t addr);     /* the region containing ADDR, or NULL */
struct vma *vm_first(void);            /* for /proc/self/maps: walk it under vm_regions_lock */
/* Hold the region list still while walking it; never across a fault or a sleep-prone call. */
void vm_regions_lock(void);
void vm_regions_unlock(void);
