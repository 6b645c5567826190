/* Path walk: components, ".", ".." (also across mount points), symlinks
 * (absolute and relative, ELOOP after SYMLOOP_MAX), trailing slashes,
 * AT_FDCWD and dirfds; the canonical path is built as the walk goes (it is
 * what getcwd and /proc/self/fd answer). Also the process's cwd. */
#include "fs.h"

static struct inode *cwd_ino;        /* NULL means the root; guarded by the VFS lock */
static char cwd_buf[PATH_MAX] = "/";

/* The cwd inode, referenced. */
struct inode *cwd_inode(void)
{
	struct inode *i = cwd_ino ? cwd_ino : root_mount->root;
	inode_get(i);
	return i;
}

const char *cwd_path(void)
{
	return cwd_buf;
}

/* Make INO (a directory, referenced by the caller's own ref) the cwd. */
void cwd_set(struct inode *ino, const char *path)
{
	inode_get(ino);
	inode_put(cwd_ino);
	cwd_ino = ino;
	strlcpy(cwd_buf, path, sizeof(cwd_buf));
}

/* Append "/NAME" to the canonical path in BUF. */
int path_append(char *buf, size_t *len, const char *name, size_t nlen)
{
	size_t sep = (*len == 1 && buf[0] == '/') ? 0 : 1;
	if (*len + sep + nlen + 1 > PATH_MAX)
		return -ENAMETOOLONG;
	if (sep)
		buf[(*len)++] = '/';
	memcpy(buf + *len, name, nlen);
	*len += nlen;
	buf[*len] = 0;
	return 0;
}

/* Drop the last component of the canonical path in BUF. */
static void path_pop(char *buf, size_t *len)
{
	while (*len > 1 && buf[*len - 1] != '/')
		(*len)--;
	if (*len > 1)
		(*len)--;
	buf[*len] = 0;
}

/* Look NAME up in DIR, then descend into whatever is mounted on the result. */
int lookup_one(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct inode *i;
	int err = iop_lookup(dir, name, len, &i);
	if (err)
		return err;
	while (i->covered) {
		struct inode *r = i->covered->root;
		inode_get(r);
		inode_put(i);
		i = r;
	}
	*out = i;
	return 0;
}

/* Move ND to its parent directory, climbing out of mounts. */
static int walk_up(struct nameidata *nd)
{
	for (;;) {
		struct mount *m = nd->ino->mnt;
		if (nd->ino == root_mount->root)
			return 0;                       /* ".." of / is / */
		if (nd->ino != m->root || !m->mountpoint)
			break;
		struct inode *mp = m->mountpoint;
		inode_get(mp);
		inode_put(nd->ino);
		nd->ino = mp;
	}
	struct inode *parent;
	int err = iop_lookup(nd->ino, "..", 2, &parent);
	if (err)
		return err;
	inode_put(nd->ino);
	nd->ino = parent;
	path_pop(nd->path, &nd->plen);
	return 0;
}

/* Jump ND to the root directory. */
static void walk_root(struct nameidata *nd)
{
	inode_put(nd->ino);
	nd->ino = root_mount->root;
	inode_get(nd->ino);
	nd->path[0] = '/';
	nd->path[1] = 0;
	nd->plen = 1;
}

/* Read symlink LINK's target into a new PATH_MAX buffer. */
static int read_link_target(struct inode *link, char **out)
{
	char *t = kmalloc(PATH_MAX);
	if (!t)
		return -ENOMEM;
	long n = iop_readlink(link, t, PATH_MAX - 1);
	if (n < 0) {
		kfree(t);
		return (int)n;
	}
	if (n == 0) {
		kfree(t);
		return -ENOENT;
	}
	t[n] = 0;
	*out = t;
	return 0;
}

/* Walk the components of PATH from ND's position. */
static int walk_rest(struct nameidata *nd, const char *path, unsigned flags)
{
	size_t cap = 2 * PATH_MAX + 2;
	char *buf = kmalloc(cap);
	if (!buf)
		return -ENOMEM;
	strlcpy(buf, path, cap);
	char *rest = buf;
	int err = 0;
	if (*rest == '/')
		walk_root(nd);
	nd->last_kind = LAST_ROOT;
	nd->lastlen = 0;
	nd->trailing_slash = false;
	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		char *comp = rest;
		size_t len = 0;
		while (comp[len] && comp[len] != '/')
			len++;
		char *next = comp + len;
		bool trailing = *next == '/';
		while (*next == '/')
			next++;
		bool last = !*next;
		if (len > NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		if (!S_ISDIR(nd->ino->mode)) {
			err = -ENOTDIR;
			break;
		}
		bool dot = len == 1 && comp[0] == '.', dotdot = len == 2 && comp[0] == '.' && comp[1] == '.';
		if (last && (flags & WALK_PARENT)) {
			memcpy(nd->last, comp, len);
			nd->last[len] = 0;
			nd->lastlen = len;
			nd->last_kind = dot ? LAST_DOT : dotdot ? LAST_DOTDOT : LAST_NORM;
			nd->trailing_slash = trailing;
			break;
		}
		rest = next;
		if (dot)
			continue;
		if (dotdot) {
			if ((err = walk_up(nd)))
				break;
			continue;
		}
		struct inode *child;
		if ((err = lookup_one(nd->ino, comp, len, &child)))
			break;
		if (S_ISLNK(child->mode) && (!last || trailing || (flags & WALK_FOLLOW))) {
			char *target;
			struct inode *jumped;
			int j = 1;
			if (++nd->nlinks > SYMLOOP_MAX)
				err = -ELOOP;
			else if (child->ops->jump_link && (j = child->ops->jump_link(child, &jumped, nd->path)) <= 0)
				err = j;
			else
				err = read_link_target(child, &target);
			if (!err && j == 0) {          /* a magic link: where it leads, no text */
				inode_put(child);
				inode_put(nd->ino);
				nd->ino = jumped;
				nd->plen = strlen(nd->path);
				if (trailing && !S_ISDIR(jumped->mode)) {
					err = -ENOTDIR;
					break;
				}
				continue;
			}
			inode_put(child);
			if (err)
				break;
			/* The new remaining path: TARGET, then "/" and what was left. */
			size_t tl = strlen(target), rl = strlen(rest);
			if (tl + 1 + rl + 1 > cap) {
				kfree(target);
				err = -ENAMETOOLONG;
				break;
			}
			memmove(buf + tl + 1, rest, rl + 1);
			memcpy(buf, target, tl);
			buf[tl] = '/';
			if (!rl && !trailing)
				buf[tl] = 0;
			rest = buf;
			kfree(target);
			if (*rest == '/')
				walk_root(nd);
			continue;
		}
		if ((err = path_append(nd->path, &nd->plen, comp, len))) {
			inode_put(child);
			break;
		}
		inode_put(nd->ino);
		nd->ino = child;
		if (trailing && !S_ISDIR(child->mode)) {
			err = -ENOTDIR;
			break;
		}
	}
	if (!err && !(flags & WALK_PARENT) && (flags & WALK_DIRECTORY) && !S_ISDIR(nd->ino->mode))
		err = -ENOTDIR;
	kfree(buf);
	return err;
}

/* Set ND's start: the root for absolute paths, else DIRFD or the cwd. */
static int walk_start(int dirfd, const char *path, unsigned flags, struct nameidata *nd)
{
	if (path[0] == '/') {
		nd->ino = root_mount->root;
		inode_get(nd->ino);
		strlcpy(nd->path, "/", PATH_MAX);
	} else if (dirfd == AT_FDCWD) {
		nd->ino = cwd_inode();
		strlcpy(nd->path, cwd_buf, PATH_MAX);
	} else {
		struct file *f = fd_file(dirfd);
		if (!f)
			return -EBADF;
		int err = 0;
		if (!f->inode)
			err = path[0] ? -ENOTDIR : -EBADF;
		else if (path[0] && !S_ISDIR(f->inode->mode))
			err = -ENOTDIR;
		if (!err) {
			nd->ino = f->inode;
			inode_get(nd->ino);
			strlcpy(nd->path, f->path ? f->path : "/", PATH_MAX);
		}
		file_put_locked(f);
		if (err)
			return err;
	}
	(void)flags;
	nd->plen = strlen(nd->path);
	return 0;
}

/* Resolve PATH from DIRFD into ND (see fs.h). */
int path_walk(int dirfd, const char *path, unsigned flags, struct nameidata *nd)
{
	memset(nd, 0, sizeof(*nd));
	nd->path = kmalloc(PATH_MAX);
	if (!nd->path)
		return -ENOMEM;
	size_t len = strnlen(path, PATH_MAX);
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!len && !(flags & WALK_EMPTY))
		return -ENOENT;
	int err = walk_start(dirfd, path, flags, nd);
	if (err)
		return err;
	if (!len) {
		nd->last_kind = LAST_ROOT;   /* AT_EMPTY_PATH: the dirfd itself */
		return 0;
	}
	return walk_rest(nd, path, flags);
}

/* Follow LINK, the last component of a WALK_PARENT walk, from ND's directory. */
int path_walk_link(struct nameidata *nd, struct inode *link, unsigned flags)
{
	if (++nd->nlinks > SYMLOOP_MAX)
		return -ELOOP;
	char *target;
	int err = read_link_target(link, &target);
	if (err)
		return err;
	err = walk_rest(nd, target, flags);
	kfree(target);
	return err;
}

/* Release what a walk holds. */
void nd_done(struct nameidata *nd)
{
	if (nd->ino)
		inode_put(nd->ino);
	nd->ino = NULL;
	kfree(nd->path);
	nd->path = NULL;
}
