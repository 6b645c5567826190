/* Socket files: the names AF_UNIX sockets bind to. A bound socket keeps a
 * reference to its inode, and connect() finds the listener by inode, not by
 * name, so a file renamed after bind still leads to it and a new file at an
 * unlinked socket's path does not. The net layer calls these under net_lock;
 * they take the VFS lock themselves (net_lock is always taken first). */
#include "fs.h"

int vfs_sock_create(const char *path, struct inode **out)
{
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(AT_FDCWD, path, WALK_PARENT, &nd);
	if (!err && nd.last_kind != LAST_NORM)
		err = -EADDRINUSE;
	else if (!err && nd.trailing_slash)
		err = -ENOENT;               /* a socket cannot be a directory */
	if (!err) {
		struct inode *ino;
		err = lookup_one(nd.ino, nd.last, nd.lastlen, &ino);
		if (!err) {
			/* Any existing name, a dangling symlink too: bind() never replaces. */
			inode_put(ino);
			err = -EADDRINUSE;
		} else if (err == -ENOENT) {
			/* A socket's own mode is 0777: the file gets that less the umask. */
			err = iop_create(nd.ino, nd.last, nd.lastlen, S_IFSOCK | (0777 & ~(uint32_t)umask_get()), out);
		}
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

int vfs_sock_lookup(const char *path, struct inode **out)
{
	struct nameidata nd;
	vfs_lock();
	int err = path_walk(AT_FDCWD, path, WALK_FOLLOW, &nd);
	if (!err) {
		if ((nd.ino->mode & S_IFMT) != S_IFSOCK) {
			err = -ECONNREFUSED;     /* Linux's answer for a file that is not a socket */
		} else {
			inode_get(nd.ino);
			*out = nd.ino;
		}
	}
	nd_done(&nd);
	vfs_unlock();
	return err;
}

void vfs_sock_put(struct inode *ino)
{
	vfs_lock();
	inode_put(ino);
	vfs_unlock();
}
