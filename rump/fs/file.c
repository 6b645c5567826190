/* Open file descriptions: references, the generic read/write/seek paths,
 * and the file ops shared by regular files and directories of every fs. */
#include "notify.h"

#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define EPOLLRDNORM 0x040
#define EPOLLWRNORM 0x100

/* A new description with one reference. */
struct file *file_alloc(const struct file_ops *ops, void *priv, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));
	if (!f)
		return NULL;
	f->refs = 1;
	f->ops = ops;
	f->priv = priv;
	f->flags = flags | O_LARGEFILE;
	f->lock = (struct mutex)MUTEX_INIT("file");
	f->poll = (struct pollhead)POLLHEAD_INIT;
	return f;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_ACQ_REL);
}

/* Free a description whose last reference is gone. */
static void file_free(struct file *f, bool locked)
{
	pollhead_release(&f->poll);      /* epoll items and poll() waiters let go first */
	lock_release_file(f);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	if (f->inode) {
		if (!locked)
			vfs_lock();
		f->inode->nopen--;
		if (notify_active())
			notify_close(f);
		inode_put(f->inode);
		if (!locked)
			vfs_unlock();
	}
	kfree(f->path);
	kfree(f);
}

/* Drop a reference; the last one releases the kind's state and the inode. */
void file_put(struct file *f)
{
	if (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
		file_free(f, false);
}

/* file_put for callers holding the VFS lock. */
void file_put_locked(struct file *f)
{
	if (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
		file_free(f, true);
}

/* A description of INO with FLAGS, remembered as PATH. VFS lock held. */
struct file *file_open_inode(struct inode *ino, unsigned flags, const char *path)
{
	const struct file_ops *ops = ino->fops ? ino->fops : &inode_file_ops;
	struct file *f = file_alloc(ops, NULL, flags);
	if (!f)
		return NULL;
	f->path = path ? strdup(path) : NULL;
	inode_get(ino);
	ino->nopen++;
	f->inode = ino;
	return f;
}

bool file_can_read(struct file *f)
{
	return !(f->flags & O_PATH) && (f->flags & O_ACCMODE) != O_WRONLY;
}

bool file_can_write(struct file *f)
{
	return !(f->flags & O_PATH) && (f->flags & O_ACCMODE) != O_RDONLY;
}

bool file_is_stream(struct file *f)
{
	return f->ops->flags & FOPS_STREAM;
}

/* Read at the file position. */
long file_read(struct file *f, void *buf, size_t n)
{
	if (!file_can_read(f))
		return -EBADF;
	if (!f->ops->read)
		return -EINVAL;
	if (file_is_stream(f))
		return f->ops->read(f, buf, n, NULL);
	mutex_lock(&f->lock);
	off_t pos = f->pos;
	long r = f->ops->read(f, buf, n, &pos);
	f->pos = pos;
	mutex_unlock(&f->lock);
	return r;
}

/* Write at the file position (the end with O_APPEND). */
long file_write(struct file *f, const void *buf, size_t n)
{
	if (!file_can_write(f))
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	if (file_is_stream(f))
		return f->ops->write(f, buf, n, NULL);
	mutex_lock(&f->lock);
	off_t pos = f->pos;
	long r = f->ops->write(f, buf, n, &pos);
	f->pos = pos;
	mutex_unlock(&f->lock);
	return r;
}

/* Read at OFF without moving the file position. */
long file_pread(struct file *f, void *buf, size_t n, off_t off)
{
	if (!file_can_read(f))
		return -EBADF;
	if (file_is_stream(f))
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	if (!f->ops->read)
		return -EINVAL;
	return f->ops->read(f, buf, n, &off);
}

/* Write at OFF without moving the file position (Linux appends anyway with O_APPEND). */
long file_pwrite(struct file *f, const void *buf, size_t n, off_t off)
{
	if (!file_can_write(f))
		return -EBADF;
	if (file_is_stream(f))
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	if (!f->ops->write)
		return -EINVAL;
	return f->ops->write(f, buf, n, &off);
}

long file_size(struct file *f)
{
	return f->inode ? (long)f->inode->size : -EINVAL;
}

uint32_t file_mode(struct file *f)
{
	return f->inode ? f->inode->mode : 0;
}

/* Move the file position; directories accept the cookies readdir handed out. */
off_t file_lseek(struct file *f, off_t off, int whence)
{
	if (file_is_stream(f))
		return (f->ops->flags & FOPS_NOOP_SEEK) ? 0 : -ESPIPE;
	if (f->flags & O_PATH)
		return -EBADF;
	mutex_lock(&f->lock);
	off_t size = f->inode ? (off_t)f->inode->size : 0, base, r;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->pos; break;
	case SEEK_END: base = size; break;
	case SEEK_DATA:
	case SEEK_HOLE:
		/* no holes reported: all of the file is data */
		if (off < 0 || off >= size) {
			mutex_unlock(&f->lock);
			return -ENXIO;
		}
		f->pos = whence == SEEK_DATA ? off : size;
		r = f->pos;
		mutex_unlock(&f->lock);
		return r;
	default:
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0) {
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	f->pos = base + off;
	r = f->pos;
	mutex_unlock(&f->lock);
	return r;
}

/* fstat: the inode's, the kind's, or an anonymous inode's. */
int file_stat(struct file *f, struct kstat *st)
{
	if (f->inode) {
		struct kstat k;       /* ST may be app memory: fill it unlocked */
		vfs_lock();
		inode_fill_stat(f->inode, &k);
		vfs_unlock();
		memcpy(st, &k, sizeof(k));
		return 0;
	}
	if (f->ops->stat)
		return f->ops->stat(f, st);
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_dev = makedev64(0, 14);
	return 0;
}

/* Readiness bits; files without a poll member are always ready. */
unsigned file_poll(struct file *f)
{
	if (f->ops->poll)
		return f->ops->poll(f);
	return EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM;
}

/* Enter or leave a vectored call on F; leaving reports it to inotify once. */
void file_rw_batch(struct file *f, bool end, bool write, long done)
{
	__atomic_add_fetch(&f->rw_batch, end ? -1 : 1, __ATOMIC_ACQ_REL);
	if (end && done > 0 && f->inode)
		write ? notify_modify(f) : notify_access(f);
}

/* An inotify event for data moved through F, unless a readv/writev reports it. */
static void rw_event(struct file *f, bool write)
{
	if (__atomic_load_n(&f->rw_batch, __ATOMIC_ACQUIRE))
		return;
	write ? notify_modify(f) : notify_access(f);
}

/* ---- regular files and directories of any fs ---- */

/* Data moves without the VFS lock: BUF may be app memory (see fs.h). */
static long ifile_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	long r = dio_check(f, buf, n, *pos);
	if (r)
		return r;
	r = iop_read(f->inode, buf, n, *pos);
	if (r > 0) {
		*pos += r;
		rw_event(f, false);
	}
	return r;
}

/* O_SYNC and O_DSYNC (whose bit O_SYNC includes): what was written is
 * committed by the fs's fsync before the call returns. */
static long ifile_write(struct file *f, const void *buf, size_t n, off_t *pos)
{
	long r = dio_check(f, buf, n, *pos);
	if (r)
		return r;
	r = iop_write(f->inode, buf, n, pos, (f->flags & O_APPEND) != 0);
	if (r > 0 && (f->flags & O_DSYNC)) {
		vfs_lock();
		int err = iop_fsync(f->inode, (f->flags & O_SYNC) != O_SYNC);
		vfs_unlock();
		if (err)
			r = err;
	}
	if (r > 0)
		rw_event(f, true);         /* after the sync, as Linux's vfs_write: not if it failed */
	return r;
}

static int ifile_readdir(struct file *f, off_t *pos, struct dir_ctx *c)
{
	vfs_lock();
	int r = iop_readdir(f->inode, pos, c);
	if (r >= 0)
		notify_access(f);          /* every getdents, the last empty one too, as Linux's iterate_dir */
	vfs_unlock();
	return r;
}

static int ifile_fsync(struct file *f, bool datasync)
{
	vfs_lock();
	int r = iop_fsync(f->inode, datasync);
	vfs_unlock();
	return r;
}

/* FIONREAD on a regular file: bytes between the position and the end. */
static long ifile_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	if (cmd != 0x541B /* FIONREAD */ || !S_ISREG(f->inode->mode))
		return -ENOTTY;
	long left = (long)f->inode->size - f->pos;
	*(int *)arg = (int)(left > 0 ? left : 0);
	return 0;
}

const struct file_ops inode_file_ops = {
	.ioctl = ifile_ioctl,
	.read = ifile_read,
	.write = ifile_write,
	.readdir = ifile_readdir,
	.fsync = ifile_fsync,
};
