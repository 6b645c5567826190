/* Memory syscalls: brk, mmap, munmap, mprotect, madvise, mremap, msync. */
#include "syscalls.h"
#include "vm.h"
#include "vfs.h"

/* Linux's LEGACY_MAP_MASK: the flags MAP_SHARED_VALIDATE accepts for a file
 * none of whose filesystems offers more (MAP_SYNC is DAX's alone). */
#define MAP_SHARED_VALIDATE 0x03
#define LEGACY_MAP_MASK (0x01 | 0x02 | 0x10 | 0x20 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | \
			 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x4000000)

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17

long sys_brk(uint64_t addr) { return vm_brk(addr); }

long sys_mmap(uint64_t addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	int type = flags & 0x3;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if ((flags & MAP_ANONYMOUS) && type == MAP_SHARED_VALIDATE)
		return -EINVAL; /* Linux's anonymous mappings know only SHARED and PRIVATE */
	struct file *f = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(fd);
		if (!f)
			return -EBADF;
		/* Linux's order: a shared writable mapping needs a description open
		 * for writing, any mapping one open for reading. */
		int acc = (int)(f->flags & O_ACCMODE);
		if (f->flags & O_PATH)
			return -EBADF;
		/* No file here is DAX, so MAP_SYNC is refused as Linux refuses it off
		 * persistent memory; InnoDB takes a successful MAP_SYNC mapping of its
		 * redo log for pmem and would never fsync the log again. */
		if (type == MAP_SHARED_VALIDATE && (flags & ~LEGACY_MAP_MASK))
			return -EOPNOTSUPP;
		if (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc == O_RDONLY)
			return -EACCES;
		if (acc == O_WRONLY)
			return -EACCES;
		/* Directories, pipes, sockets and the like have no pages to map. */
		uint32_t mode = file_mode(f);
		if (!S_ISREG(mode) && !S_ISCHR(mode))
			return -ENODEV;
		/* Where the fs cannot hand out its pages, file pages are copies, which
		 * a shared writable mapping must not be: refuse it honestly. */
		if (type != MAP_PRIVATE && (prot & PROT_WRITE) && !file_mappable(f)) {
			klog_once("mmap-shared-write", "uninode: mmap: shared writable mappings of files on this filesystem are not supported\n");
			return -ENODEV;
		}
	}
	long r = vm_mmap(addr, len, prot, flags, f, off);
	if (r >= 0 && f && f->path)
		vm_set_name((uint64_t)r, f->path); /* the vma holds the file, so the path lives as long */
	return r;
}

long sys_munmap(uint64_t addr, size_t len) { return vm_munmap(addr, len); }

long sys_mprotect(uint64_t addr, size_t len, int prot)
{
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x01000000 /* GROWSDOWN */))
		return -EINVAL;
	return vm_mprotect(addr, len, prot & 7);
}

long sys_madvise(uint64_t addr, size_t len, int advice)
{
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_FREE: /* freeing now is a valid MADV_FREE: the range reads back as zeros */
		return vm_madvise_dontneed(addr, len);
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
		return (addr & 0xfff) ? -EINVAL : 0; /* hints: nothing to do here */
	default:
		return -EINVAL;
	}
}

long sys_msync(uint64_t addr, size_t len, int flags) { return vm_msync(addr, len, flags); }

long sys_mremap(uint64_t old, size_t old_len, size_t new_len, int flags, uint64_t new_addr)
{
	return vm_mremap(old, old_len, new_len, flags, new_addr);
}
