/* The one place where a missing or refused inode operation is decided:
 * read-only mounts answer -EROFS for every change, a filesystem without a
 * namespace operation -EPERM, anything else as Linux does for that call. */
#include "fs.h"

int iop_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!dir->ops->lookup)
		return -ENOENT;
	return dir->ops->lookup(dir, name, len, out);
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
	return err ? err : dir->ops->create(dir, name, len, mode, out);
}

int iop_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	int err = may_change(dir, (const void *)dir->ops->mkdir);
	return err ? err : dir->ops->mkdir(dir, name, len, mode);
}

int iop_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	int err = may_change(dir, (const void *)dir->ops->symlink);
	return err ? err : dir->ops->symlink(dir, name, len, target);
}

int iop_unlink(struct inode *dir, const char *name, size_t len)
{
	int err = may_change(dir, (const void *)dir->ops->unlink);
	return err ? err : dir->ops->unlink(dir, name, len);
}

int iop_rmdir(struct inode *dir, const char *name, size_t len)
{
	int err = may_change(dir, (const void *)dir->ops->rmdir);
	return err ? err : dir->ops->rmdir(dir, name, len);
}

int iop_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags)
{
	int err = may_change(odir, (const void *)odir->ops->rename);
	return err ? err : odir->ops->rename(odir, on, ol, ndir, nn, nl, flags);
}

int iop_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	int err = may_change(dir, (const void *)dir->ops->link);
	return err ? err : dir->ops->link(dir, name, len, target);
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
	return ino->ops->truncate(ino, size);
}

int iop_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	if (!S_ISDIR(dir->mode) || !dir->ops->readdir)
		return -ENOTDIR;
	return dir->ops->readdir(dir, pos, c);
}

int iop_setattr(struct inode *ino)
{
	return ino->ops->setattr ? ino->ops->setattr(ino) : 0;
}

int iop_fsync(struct inode *ino)
{
	return ino->ops->fsync ? ino->ops->fsync(ino) : 0;
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
