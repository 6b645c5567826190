/* The one place where a missing or refused inode operation is decided:
 * read-only mounts answer -EROFS for every change, a filesystem without a
 * namespace operation -EPERM, anything else as Linux does for that call.
 * Every filesystem passes here, so the inotify hooks (notify.h) live here too. */
#include "notify.h"
#include "../include/vm.h"

int iop_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!dir->ops->lookup)
		return -ENOENT;
	int err = dir->ops->lookup(dir, name, len, out);
	if (!err && notify_active())
		notify_lookup(dir, name, len, *out);
	return err;
}

/* -EROFS on a read-only mount, -EPERM if the fs cannot change its namespace. */
static int may_change(struct inode *dir, const void *member)
{
	if (dir->mnt->rdonly)
		return -EROFS;
	return member ? 0 : -EPERM;
}

int iop_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	int err = may_change(dir, (const void *)dir->ops->create);
	if (!err && !(err = dir->ops->create(dir, name, len, mode, out)) && notify_active())
		notify_create(dir, name, len, *out, false);
	return err;
}

int iop_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	int err = may_change(dir, (const void *)dir->ops->mkdir);
	if (!err && !(err = dir->ops->mkdir(dir, name, len, mode)) && notify_active())
		notify_create(dir, name, len, NULL, true);
	return err;
}

int iop_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	int err = may_change(dir, (const void *)dir->ops->symlink);
	if (!err && !(err = dir->ops->symlink(dir, name, len, target)) && notify_active())
		notify_create(dir, name, len, NULL, false);
	return err;
}

int iop_unlink(struct inode *dir, const char *name, size_t len)
{
	int err = may_change(dir, (const void *)dir->ops->unlink);
	if (err)
		return err;
	struct inode *victim = notify_peek(dir, name, len);
	if (!(err = dir->ops->unlink(dir, name, len)) && victim)
		notify_remove(dir, name, len, victim, false);
	inode_put(victim);
	return err;
}

int iop_rmdir(struct inode *dir, const char *name, size_t len)
{
	int err = may_change(dir, (const void *)dir->ops->rmdir);
	if (err)
		return err;
	struct inode *victim = notify_peek(dir, name, len);
	if (!(err = dir->ops->rmdir(dir, name, len)) && victim)
		notify_remove(dir, name, len, victim, true);
	inode_put(victim);
	return err;
}

int iop_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags)
{
	int err = may_change(odir, (const void *)odir->ops->rename);
	if (err)
		return err;
	struct inode *src = notify_peek(odir, on, ol), *dst = src ? notify_peek(ndir, nn, nl) : NULL;
	if (!(err = odir->ops->rename(odir, on, ol, ndir, nn, nl, flags)) && src)
		notify_rename(odir, on, ol, ndir, nn, nl, src, dst, flags);
	inode_put(src);
	inode_put(dst);
	return err;
}

int iop_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	int err = may_change(dir, (const void *)dir->ops->link);
	if (!err && !(err = dir->ops->link(dir, name, len, target)) && notify_active())
		notify_link(dir, name, len, target);
	return err;
}

/* Linux's vfs_tmpfile: a filesystem without the member answers -EOPNOTSUPP. */
int iop_tmpfile(struct inode *dir, uint32_t mode, struct inode **out)
{
	if (dir->mnt->rdonly)
		return -EROFS;
	if (!dir->ops->tmpfile)
		return -EOPNOTSUPP;
	return dir->ops->tmpfile(dir, mode, out);
}

long iop_readlink(struct inode *ino, char *buf, size_t n)
{
	if (!S_ISLNK(ino->mode) || !ino->ops->readlink)
		return -EINVAL;
	return ino->ops->readlink(ino, buf, n);
}

long iop_read(struct inode *ino, void *buf, size_t n, off_t off)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!ino->ops->read)
		return -EINVAL;
	return ino->ops->read(ino, buf, n, off);
}

long iop_write(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (ino->mnt->rdonly)
		return -EROFS;
	if (!ino->ops->write)
		return -EINVAL;
	return ino->ops->write(ino, buf, n, pos, append);
}

int iop_truncate(struct inode *ino, off_t size)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (ino->mnt->rdonly)
		return -EROFS;
	if (size < 0)
		return -EINVAL;
	if (!ino->ops->truncate)
		return -EINVAL;
	/* Pages wholly past the new end leave every mapping first (an access
	 * there is then SIGBUS, as on Linux), so the fs may free them. */
	if (__atomic_load_n(&ino->nmaps, __ATOMIC_ACQUIRE))
		vm_unmap_file(ino, ((uint64_t)size + PAGE_SIZE - 1) / PAGE_SIZE, UINT64_MAX);
	int err = ino->ops->truncate(ino, size);
	if (!err && notify_active())
		notify_inode(ino, IN_MODIFY);
	return err;
}

int iop_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	if (!S_ISDIR(dir->mode) || !dir->ops->readdir)
		return -ENOTDIR;
	return dir->ops->readdir(dir, pos, c);
}

/* Persist attribute changes; inotify hears EVENT (IN_ATTRIB, or for a
 * utimensat that set one time only IN_ACCESS or IN_MODIFY, as Linux's fsnotify_change). */
int iop_setattr_event(struct inode *ino, uint32_t event)
{
	int err = ino->ops->setattr ? ino->ops->setattr(ino) : 0;
	if (!err && event && notify_active())
		notify_inode(ino, event);
	return err;
}

int iop_setattr(struct inode *ino)
{
	return iop_setattr_event(ino, IN_ATTRIB);
}

int iop_fsync(struct inode *ino, bool datasync)
{
	return ino->ops->fsync ? ino->ops->fsync(ino, datasync) : 0;
}

int iop_map_page(struct inode *ino, uint64_t pgoff, bool write, paddr_t *out)
{
	if (!S_ISREG(ino->mode) || !ino->ops->map_page)
		return -ENODEV;
	if (pgoff >= (ino->size + PAGE_SIZE - 1) / PAGE_SIZE)
		return -ENXIO;
	if (write && ino->mnt->rdonly)
		return -EROFS;
	return ino->ops->map_page(ino, pgoff, write, out);
}

/* struct stat for INO as Linux reports it. */
void inode_fill_stat(struct inode *ino, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = ino->mnt->dev;
	st->st_ino = ino->ino;
	st->st_nlink = ino->nlink;
	st->st_mode = ino->mode;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = ino->rdev;
	st->st_size = (int64_t)ino->size;
	st->st_blksize = 4096;
	st->st_blocks = (int64_t)ino->blocks;
	st->st_atim = ino->atime;
	st->st_mtim = ino->mtime;
	st->st_ctim = ino->ctime;
}
