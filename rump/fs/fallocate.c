/* fallocate(2): the checks Linux's vfs_fallocate makes, in its order, then
 * the filesystem's inode op (a filesystem without one: -EOPNOTSUPP). */
#include "fs.h"

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
		vfs_lock();
		struct inode *ino = f->inode;
		if (ino->mnt->rdonly)
			err = -EROFS;
		else if (!ino->ops->fallocate)
			err = -EOPNOTSUPP;
		else
			err = ino->ops->fallocate(ino, mode, off, len);
		vfs_unlock();
	}
	file_put(f);
	return err;
}
