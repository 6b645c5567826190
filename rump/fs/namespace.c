/* Calls that change the namespace or a file's size: mkdir, unlink, rmdir,
 * rename, symlink, truncate; and getdents64, fsync. */
#include "fs.h"
#include "../include/vm.h"

int k_umask(int mask);

/* mkdirat: a new directory. */
int k_mkdirat(int dirfd, const char *path, int mode)
{
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(dirfd, path, WALK_PARENT, &nd);
	if (!err && nd.last_kind != LAST_NORM)
		err = -EEXIST;
	if (!err) {
		struct inode *ino;
		err = lookup_one(nd.ino, nd.last, nd.lastlen, &ino);
		if (!err) {
			inode_put(ino);
			err = -EEXIST;
		} else if (err == -ENOENT) {
			int mask = k_umask(0);
			k_umask(mask);
			err = iop_mkdir(nd.ino, nd.last, nd.lastlen, S_IFDIR | ((uint32_t)mode & 07777 & ~(uint32_t)mask));
		}
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* ND's last component in its directory, without crossing into a mount. */
static int lookup_here(struct nameidata *nd, struct inode **out)
{
	return iop_lookup(nd->ino, nd->last, nd->lastlen, out);
}

/* unlinkat: a non-directory, or with AT_REMOVEDIR an empty directory. */
int k_unlinkat(int dirfd, const char *path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	bool rmdir = flags & AT_REMOVEDIR;
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(dirfd, path, WALK_PARENT, &nd);
	if (err)
		goto out;
	if (nd.last_kind != LAST_NORM) {
		err = !rmdir ? -EISDIR : nd.last_kind == LAST_DOT ? -EINVAL : nd.last_kind == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
		goto out;
	}
	struct inode *victim;
	if ((err = lookup_here(&nd, &victim)))
		goto out;
	if (rmdir && !S_ISDIR(victim->mode))
		err = -ENOTDIR;
	else if (!rmdir && S_ISDIR(victim->mode))
		err = -EISDIR;
	else if (!rmdir && nd.trailing_slash)
		err = -ENOTDIR;
	else if (victim->covered)
		err = -EBUSY;
	else
		err = rmdir ? iop_rmdir(nd.ino, nd.last, nd.lastlen) : iop_unlink(nd.ino, nd.last, nd.lastlen);
	inode_put(victim);
out:
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* Is ANCESTOR (a directory) DIR or above it on the same mount? */
static int is_ancestor(struct inode *ancestor, struct inode *dir)
{
	struct inode *cur = dir;
	inode_get(cur);
	int r = 0;
	for (int depth = 0; depth < 4096; depth++) {
		if (cur == ancestor) {
			r = 1;
			break;
		}
		if (cur == cur->mnt->root)
			break;
		struct inode *up;
		int err = iop_lookup(cur, "..", 2, &up);
		if (err) {
			r = err;
			break;
		}
		bool same = up == cur;
		inode_put(cur);
		cur = up;
		if (same)
			break;
	}
	inode_put(cur);
	return r;
}

/* renameat2 with RENAME_NOREPLACE / RENAME_EXCHANGE. */
int k_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	struct nameidata on, nn;
	struct inode *src = NULL, *dst = NULL;
	memset(&nn, 0, sizeof(nn));
	vfs_lock();
	int err = path_walk(olddirfd, oldpath, WALK_PARENT, &on);
	if (err || (err = path_walk(newdirfd, newpath, WALK_PARENT, &nn)))
		goto out;
	if (on.last_kind != LAST_NORM || nn.last_kind != LAST_NORM) {
		err = -EBUSY;
		goto out;
	}
	if (on.ino->mnt != nn.ino->mnt) {
		err = -EXDEV;
		goto out;
	}
	if ((err = iop_lookup(on.ino, on.last, on.lastlen, &src)))
		goto out;
	err = iop_lookup(nn.ino, nn.last, nn.lastlen, &dst);
	if (err && err != -ENOENT)
		goto out;
	err = 0;
	if (!dst && (flags & RENAME_EXCHANGE))
		err = -ENOENT;
	else if (dst && (flags & RENAME_NOREPLACE))
		err = -EEXIST;
	else if ((on.trailing_slash || nn.trailing_slash) && !S_ISDIR(src->mode))
		err = -ENOTDIR;
	else if (src->covered || (dst && dst->covered))
		err = -EBUSY;
	if (err)
		goto out;
	if (dst == src)
		goto out;              /* the same file: nothing to do */
	if (dst && !(flags & RENAME_EXCHANGE)) {
		if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
			err = -ENOTDIR;
		else if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
			err = -EISDIR;
	}
	/* A directory cannot move below itself. */
	if (!err && S_ISDIR(src->mode)) {
		int a = is_ancestor(src, nn.ino);
		err = a < 0 ? a : a ? -EINVAL : 0;
	}
	if (!err && dst && (flags & RENAME_EXCHANGE) && S_ISDIR(dst->mode)) {
		int a = is_ancestor(dst, on.ino);
		err = a < 0 ? a : a ? -EINVAL : 0;
	}
	if (!err)
		err = iop_rename(on.ino, on.last, on.lastlen, nn.ino, nn.last, nn.lastlen, flags);
out:
	inode_put(src);
	inode_put(dst);
	nd_done(&on);
	nd_done(&nn);
	vfs_unlock();
	return err;
}

/* symlinkat: a new symlink at PATH pointing to TARGET. */
int k_symlinkat(const char *target, int dirfd, const char *path)
{
	if (!target[0])
		return -ENOENT;
	if (strnlen(target, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(dirfd, path, WALK_PARENT, &nd);
	if (!err && (nd.last_kind != LAST_NORM || nd.trailing_slash))
		err = nd.last_kind != LAST_NORM ? -EEXIST : -ENOENT;
	if (!err) {
		struct inode *ino;
		err = iop_lookup(nd.ino, nd.last, nd.lastlen, &ino);
		if (!err) {
			inode_put(ino);
			err = -EEXIST;
		} else if (err == -ENOENT) {
			err = iop_symlink(nd.ino, nd.last, nd.lastlen, target);
		}
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

int k_truncate(const char *path, off_t len)
{
	if (len < 0)
		return -EINVAL;
	struct nameidata nd;
	vm_regions_lock();   /* before the VFS lock: see iop_truncate */
	vfs_lock();
	int err = path_walk(AT_FDCWD, path, WALK_FOLLOW, &nd);
	if (!err)
		err = iop_truncate(nd.ino, len);
	nd_done(&nd);
	vfs_unlock();
	vm_regions_unlock();
	return err;
}

int k_ftruncate(int fd, off_t len)
{
	if (len < 0)
		return -EINVAL;
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int err;
	if (f->flags & O_PATH)
		err = -EBADF;
	else if (!f->inode || (f->flags & O_ACCMODE) == O_RDONLY)
		err = -EINVAL;
	else {
		vm_regions_lock();
		vfs_lock();
		err = iop_truncate(f->inode, len);
		vfs_unlock();
		vm_regions_unlock();
	}
	file_put(f);
	return err;
}

/* fsync/fdatasync: files with no fsync member (pipes, sockets, character
 * devices) answer -EINVAL, as Linux's vfs_fsync_range. */
int k_fsync(int fd, bool datasync)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int err = (f->flags & O_PATH) ? -EBADF : f->ops->fsync ? f->ops->fsync(f, datasync) : -EINVAL;
	file_put(f);
	return err;
}

/* getdents64 output state: records written so far. */
struct dents_ctx {
	struct dir_ctx c;
	char *buf;
	size_t cap, used;
	struct linux_dirent64 *prev;
	off_t *pos;
	bool too_small;            /* an entry did not fit an empty buffer */
};

/* Append one record; the previous record's d_off is the position now reached. */
static int dents_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
	struct dents_ctx *d = (struct dents_ctx *)c;
	size_t reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + len + 1, 8);
	if (d->used + reclen > d->cap) {
		d->too_small = d->used == 0;
		return 1;
	}
	if (d->prev)
		d->prev->d_off = *d->pos;
	struct linux_dirent64 *e = (struct linux_dirent64 *)(d->buf + d->used);
	e->d_ino = ino;
	e->d_off = 0;
	e->d_reclen = (uint16_t)reclen;
	e->d_type = (uint8_t)dtype;
	memcpy(e->d_name, name, len);
	memset(e->d_name + len, 0, reclen - offsetof(struct linux_dirent64, d_name) - len);
	d->used += reclen;
	d->prev = e;
	return 0;
}

/* getdents64: as many records as fit in N bytes; 0 at the end. */
long k_getdents64(int fd, void *buf, size_t n)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	long r;
	if (f->flags & O_PATH) {
		r = -EBADF;
	} else if (!f->ops->readdir) {
		r = -ENOTDIR;
	} else {
		/* Records are built in kernel memory (readdir runs under the VFS
		 * lock) and copied to BUF afterwards. */
		size_t cap = MIN(n, (size_t)65536);
		char *k = kmalloc(cap ? cap : 1);
		if (!k) {
			file_put(f);
			return -ENOMEM;
		}
		mutex_lock(&f->lock);
		off_t pos = f->pos;
		struct dents_ctx d = { { dents_emit }, k, cap, 0, NULL, &pos, false };
		r = f->ops->readdir(f, &pos, &d.c);
		if (d.prev)
			d.prev->d_off = pos;
		f->pos = pos;
		mutex_unlock(&f->lock);
		if (r >= 0)
			r = d.used ? (long)d.used : d.too_small ? -EINVAL : 0;
		if (r > 0)
			memcpy(buf, k, (size_t)r);
		kfree(k);
	}
	file_put(f);
	return r;
}

/* ND's last component must be a free name to create (Linux's filename_create):
 * -EEXIST for ".", "..", "/" or a name in use, then -ENOENT for a trailing
 * slash on a name that is not there. VFS lock held. */
static int name_free(struct nameidata *nd)
{
	if (nd->last_kind != LAST_NORM)
		return -EEXIST;
	struct inode *ino;
	int err = lookup_one(nd->ino, nd->last, nd->lastlen, &ino);
	if (!err) {
		inode_put(ino);
		return -EEXIST;
	}
	if (err != -ENOENT)
		return err;
	return nd->trailing_slash ? -ENOENT : 0;
}

/* linkat: a new name NEWPATH for the inode OLDPATH names (a symlink itself
 * unless AT_SYMLINK_FOLLOW; DIRFD's file with AT_EMPTY_PATH and ""). */
int k_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct nameidata on, nn;
	memset(&nn, 0, sizeof(nn));
	unsigned wf = ((flags & AT_SYMLINK_FOLLOW) ? WALK_FOLLOW : 0) | ((flags & AT_EMPTY_PATH) ? WALK_EMPTY : 0);
	vfs_lock();
	int err = path_walk(olddirfd, oldpath, wf, &on);
	if (err || (err = path_walk(newdirfd, newpath, WALK_PARENT, &nn)))
		goto out;
	if ((err = name_free(&nn)))
		goto out;
	struct inode *target = on.ino;
	if (target->mnt != nn.ino->mnt)
		err = -EXDEV;
	else if (target->mnt->rdonly)
		err = -EROFS;
	else if (S_ISDIR(target->mode))
		err = -EPERM;
	else if (target->nlink == 0 && !target->linkable)
		err = -ENOENT;      /* unlinked, or an O_TMPFILE opened with O_EXCL */
	else if ((err = iop_link(nn.ino, nn.last, nn.lastlen, target)) == 0 && target->linkable)
		target->linkable = false;
out:
	nd_done(&on);
	nd_done(&nn);
	vfs_unlock();
	return err;
}

/* mknodat: a regular file, FIFO, socket or device node (created even for
 * devices we have no driver for: opening one answers -ENXIO, as Linux does). */
int k_mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev)
{
	uint32_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EPERM;
	if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR && type != S_IFBLK)
		return -EINVAL;
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(dirfd, path, WALK_PARENT, &nd);
	if (!err)
		err = name_free(&nd);
	if (!err) {
		struct inode *ino;
		uint32_t perm = mode & 07777 & ~(uint32_t)umask_get();
		err = iop_create(nd.ino, nd.last, nd.lastlen, type | perm, &ino);
		if (!err) {
			if (type == S_IFCHR || type == S_IFBLK) {
				ino->rdev = dev;
				err = iop_setattr_event(ino, 0);   /* part of the creation: no IN_ATTRIB (vfs_mknod) */
			}
			inode_put(ino);
		}
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

/* Write back every mount that can be written back (sync, and syncfs's fs). VFS lock held. */
static int sync_mount(struct mount *m)
{
	return m->type->sync && !m->rdonly ? m->type->sync(m) : 0;
}

/* sync: every filesystem; errors are not reported (as Linux's sync). */
void k_sync(void)
{
	vfs_lock();
	for (struct mount *m = mount_first(); m; m = m->next)
		sync_mount(m);
	vfs_unlock();
}

/* syncfs: the filesystem FD is on (pipes and sockets: nothing to do). */
int k_syncfs(int fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int err = 0;
	vfs_lock();
	if (f->flags & O_PATH)
		err = -EBADF;
	else if (f->inode)
		err = sync_mount(f->inode->mnt);
	vfs_unlock();
	file_put(f);
	return err;
}

#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE 2
#define SYNC_FILE_RANGE_WAIT_AFTER 4

/* sync_file_range: Linux only starts or waits for writeback of the range,
 * promising nothing about metadata; with a write-through or memory fs
 * there is nothing to start, so the checks are the whole call. */
int k_sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	int err = 0;
	if (f->flags & O_PATH)
		err = -EBADF;
	else if (flags & ~(unsigned)(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER))
		err = -EINVAL;
	else if (off < 0 || n < 0 || (n > 0 && off > INT64_MAX - n))
		err = -EINVAL;
	else if (!f->inode || (!S_ISREG(f->inode->mode) && !S_ISDIR(f->inode->mode) && !S_ISLNK(f->inode->mode) && !S_ISBLK(f->inode->mode)))
		err = -ESPIPE;
	else if (flags & SYNC_FILE_RANGE_WRITE)
		err = f->ops->fsync ? f->ops->fsync(f, true) : 0;
	file_put(f);
	return err;
}
