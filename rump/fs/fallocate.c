/* fallocate(2): the checks Linux's vfs_fallocate makes, in its order, then
 * the filesystem's inode op (a filesystem without one: -EOPNOTSUPP). */
#include "notify.h"
#include "../include/vm.h"

#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#define FALLOC_FL_SUPPORTED 0x7f   /* every flag Linux knows */

/* fallocate on descriptor FD. */
int k_fallocate(int fd, int mode, off_t off, off_t len)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int err = 0;
	struct kstat st;
	if (off < 0 || len <= 0)
		err = -EINVAL;
	else if (mode & ~FALLOC_FL_SUPPORTED)
		err = -EOPNOTSUPP;
	else if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		err = -EOPNOTSUPP;
	else if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_RDONLY)
		err = -EBADF;
	else if ((err = file_stat(f, &st)) == 0) {
		if ((st.st_mode & S_IFMT) == S_IFIFO)
			err = -ESPIPE;
		else if (S_ISDIR(st.st_mode))
			err = -EISDIR;
		else if (!S_ISREG(st.st_mode) || !f->inode)
			err = -ENODEV;
		else if (off + len < off)
			err = -EFBIG;
	}
	if (!err) {
		bool punch = mode & FALLOC_FL_PUNCH_HOLE;
		if (punch)
			vm_regions_lock();   /* before the VFS lock: see iop_truncate */
		vfs_lock();
		struct inode *ino = f->inode;
		if (ino->mnt->rdonly) {
			err = -EROFS;
		} else if (!ino->ops->fallocate) {
			err = -EOPNOTSUPP;
		} else {
			/* The pages over the hole leave every mapping first (while the fs
			 * still maps their blocks, for put_page); a later touch maps
			 * the file's page again, zeros where the hole is. */
			if (punch && __atomic_load_n(&ino->nmaps, __ATOMIC_ACQUIRE))
				vm_unmap_file(ino, (uint64_t)off / PAGE_SIZE, ((uint64_t)off + (uint64_t)len + PAGE_SIZE - 1) / PAGE_SIZE);
			if (!(err = ino->ops->fallocate(ino, mode, off, len)))
				notify_modify(f);          /* as vfs_fallocate's fsnotify_modify */
		}
		vfs_unlock();
		if (punch)
			vm_regions_unlock();
	}
	file_put(f);
	return err;
}
