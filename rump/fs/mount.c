/* The mount table: which filesystem instance covers which directory. */
#include "fs.h"

struct mount *root_mount;
static struct mount *mounts;      /* all mounts, guarded by the VFS lock */
static uint64_t next_mount_id = 21;

/* Every attached mount, newest first. VFS lock held. */
struct mount *mount_first(void)
{
	return mounts;
}

/* A mount of type T, not yet attached. */
struct mount *mount_new(const struct fs_type *t, uint64_t dev, bool rdonly)
{
	struct mount *m = kzalloc(sizeof(*m));
	if (!m)
		return NULL;
	m->type = t;
	m->dev = dev;
	m->rdonly = rdonly;
	return m;
}

/* Attach M over directory AT, or as the root when AT is NULL. VFS lock held. */
int mount_attach(struct mount *m, struct inode *at)
{
	if (!m->root)
		return -EINVAL;
	if (!at) {
		if (root_mount)
			return -EBUSY;
		root_mount = m;
	} else {
		if (!S_ISDIR(at->mode))
			return -ENOTDIR;
		if (at->covered)
			return -EBUSY;
		inode_get(at);
		m->mountpoint = at;
		m->parent = at->mnt;
		at->covered = m;
	}
	m->id = next_mount_id++;
	m->next = mounts;
	mounts = m;
	return 0;
}

/* Attach M over the directory PATH (absolute, kernel memory) and remember
 * where, for /proc/mounts; one log line on failure. Takes the VFS lock. */
int mount_at_path(struct mount *m, const char *path)
{
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(AT_FDCWD, path, WALK_FOLLOW | WALK_DIRECTORY, &nd);
	if (!err)
		err = mount_attach(m, nd.ino);
	if (!err)
		m->path = strdup(nd.path);
	nd_done(&nd);
	vfs_unlock();
	if (err)
		kprintf("vfs: cannot mount %s on %s (error %d)\n", m->type->name, path, err);
	return err;
}
