/* Inodes: allocation, references, the inode cache for numbered filesystems,
 * and the one VFS lock. */
#include "notify.h"
#include "../include/arch.h"

/* The VFS lock serialises namespace changes, inode state and fs metadata.
 * A sleeping mutex: disk I/O happens under it. */
static struct mutex vfs_mutex = MUTEX_INIT("vfs");

void vfs_lock(void) { mutex_lock(&vfs_mutex); }
void vfs_unlock(void) { mutex_unlock(&vfs_mutex); }
bool vfs_locked(void) { return mutex_held(&vfs_mutex); }

#define ICACHE_HASH 1024
static struct inode *icache[ICACHE_HASH];   /* guarded by the VFS lock */

static unsigned ihash(struct mount *m, uint64_t ino)
{
	return (unsigned)(((uintptr_t)m >> 4) ^ ino * 2654435761u) % ICACHE_HASH;
}

/* A zeroed inode with one reference. */
struct inode *inode_alloc(struct mount *m, uint64_t ino, const struct inode_ops *ops)
{
	struct inode *i = kzalloc(sizeof(*i));
	if (!i)
		return NULL;
	i->ino = ino;
	i->mnt = m;
	i->ops = ops;
	i->refs = 1;
	return i;
}

#define S_ISGID 02000
#define S_IXGRP 00010

/* Owner and group of a new inode in DIR, as Linux's inode_init_owner and
 * mode_strip_sgid: the creator's fsuid; a set-group-ID directory's group
 * (and the bit itself, for a new directory), else the creator's fsgid. A
 * group-executable set-group-ID file keeps the bit only for a member of that
 * group or a holder of CAP_FSETID. Sets INO's mode too and returns it. */
uint32_t inode_init_owner(struct inode *ino, const struct inode *dir, uint32_t mode)
{
	const struct cred *c = &current()->cred;
	ino->uid = c->fsuid;
	ino->gid = c->fsgid;
	if (dir->mode & S_ISGID) {
		ino->gid = dir->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
		else if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && !cred_in_group(c, dir->gid) &&
			 !cred_capable_fs(c))
			mode &= ~S_ISGID;
	}
	ino->mode = mode;
	return mode;
}

/* One more reference; VFS lock held. */
void inode_get(struct inode *ino)
{
	ino->refs++;
}

/* Drop a reference; the last one leaves the cache and goes to the fs. VFS lock held. */
void inode_put(struct inode *ino)
{
	if (!ino)
		return;
	assert(ino->refs > 0);
	if (--ino->refs > 0)
		return;
	struct inode **pp = &icache[ihash(ino->mnt, ino->ino)];
	while (*pp && *pp != ino)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = ino->hnext;
	if (ino->notify)
		notify_evict(ino);
	if (ino->ops && ino->ops->evict)
		ino->ops->evict(ino);
	else
		kfree(ino);
}

/* The cached inode (M, INO) with a new reference, or NULL. */
struct inode *icache_lookup(struct mount *m, uint64_t ino)
{
	for (struct inode *i = icache[ihash(m, ino)]; i; i = i->hnext)
		if (i->mnt == m && i->ino == ino) {
			i->refs++;
			return i;
		}
	return NULL;
}

/* Add a fresh inode to the cache. */
void icache_insert(struct inode *ino)
{
	unsigned h = ihash(ino->mnt, ino->ino);
	ino->hnext = icache[h];
	icache[h] = ino;
}

/* The wall clock as a timespec. */
struct ktimespec time_now(void)
{
	uint64_t ns = time_realtime_ns();
	return (struct ktimespec){ (int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u) };
}

/* The d_type for a mode. */
unsigned mode_to_dtype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return DT_REG;
	case S_IFDIR: return DT_DIR;
	case S_IFLNK: return DT_LNK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	}
	return DT_UNKNOWN;
}
