/* The overlay's copy-up: giving a lower object an upper copy (parents first,
 * data through a file built in the work directory and renamed into place,
 * as Linux's overlayfs does), the table of what upper inodes came from, and
 * copying a lower tree into a tmpfs (the image's /tmp at boot). */
#include "overlay.h"
#include "../include/mm.h"

/* ---- the upper-inode table ---- */

struct ovl_uinfo *ovl_uinfo(struct ovl_sb *sb, uint64_t uino, bool create)
{
	struct ovl_uinfo **b = &sb->uinfo[uino % UINFO_HASH];
	for (struct ovl_uinfo *u = *b; u; u = u->next)
		if (u->uino == uino)
			return u;
	if (!create)
		return NULL;
	struct ovl_uinfo *u = kzalloc(sizeof(*u));
	if (!u)
		return NULL;
	u->uino = uino;
	u->next = *b;
	*b = u;
	return u;
}

void ovl_uinfo_drop(struct ovl_sb *sb, uint64_t uino)
{
	for (struct ovl_uinfo **pp = &sb->uinfo[uino % UINFO_HASH]; *pp; pp = &(*pp)->next)
		if ((*pp)->uino == uino) {
			struct ovl_uinfo *u = *pp;
			*pp = u->next;
			kfree(u);
			return;
		}
}

bool ovl_opaque(struct inode *dir)
{
	struct inode *u = ON(dir)->upper;
	if (!u)
		return false;
	struct ovl_uinfo *x = ovl_uinfo(OSB(dir), u->ino, false);
	return x && x->opaque;
}

/* Attributes come from the upper copy once there is one. A merged directory
 * reports one link, as Linux's overlayfs does (counting subdirectories of
 * both layers is not worth it; find and friends accept 1). */
void ovl_sync(struct inode *ino)
{
	struct ovl_node *n = ON(ino);
	struct inode *r = n->upper ? n->upper : n->lower;
	ino->mode = r->mode;
	ino->nlink = r->nlink;
	ino->uid = r->uid;
	ino->gid = r->gid;
	ino->size = r->size;
	ino->blocks = r->blocks;
	ino->rdev = r->rdev;
	ino->atime = r->atime;
	ino->mtime = r->mtime;
	ino->ctime = r->ctime;
	ino->btime = r->btime;
	ino->has_btime = r->has_btime;
	if (S_ISDIR(ino->mode) && n->upper && n->lower && !ovl_opaque(ino))
		ino->nlink = 1;
}

int ovl_copy_attrs(struct inode *from, struct inode *to)
{
	to->mode = (to->mode & S_IFMT) | (from->mode & 07777);
	to->uid = from->uid;
	to->gid = from->gid;
	to->atime = from->atime;
	to->mtime = from->mtime;
	to->ctime = time_now();        /* as on Linux: a copy-up is a change */
	return iop_setattr(to);
}

int ovl_work_create(struct ovl_sb *sb, uint32_t mode, const char *target, char *name, size_t *len, struct inode **out)
{
	*len = (size_t)snprintf(name, 24, "#%lx", (unsigned long)sb->tmp_seq++);
	int err;
	if (S_ISDIR(mode))
		err = iop_mkdir(sb->work, name, *len, mode);
	else if (S_ISLNK(mode))
		err = iop_symlink(sb->work, name, *len, target);
	else
		return iop_create(sb->work, name, *len, mode, out);
	if (!err && (err = iop_lookup(sb->work, name, *len, out)))
		S_ISDIR(mode) ? iop_rmdir(sb->work, name, *len) : iop_unlink(sb->work, name, *len);
	return err;
}

/* ---- data ---- */

static bool all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copy the first SIZE bytes of FROM into TO (both referenced), page by page,
 * leaving pages of zeros as holes. VFS lock not held: the layers take it
 * themselves. The caller sets TO's final size. */
int fs_copy_data(struct inode *from, struct inode *to, uint64_t size)
{
	const size_t chunk = 16 * PAGE_SIZE;
	char *buf = kmalloc(chunk);
	if (!buf)
		return -ENOMEM;
	int err = 0;
	for (uint64_t off = 0; off < size && !err;) {
		long r = iop_read(from, buf, (size_t)MIN((uint64_t)chunk, size - off), (off_t)off);
		if (r <= 0) {
			err = (int)r;          /* 0: the file shrank; the caller's truncate fills in */
			break;
		}
		for (long at = 0; at < r && !err; at += PAGE_SIZE) {
			size_t k = (size_t)MIN((long)PAGE_SIZE, r - at);
			if (all_zero(buf + at, k))
				continue;
			off_t pos = (off_t)(off + (uint64_t)at);
			long w = iop_write(to, buf + at, k, &pos, false);
			if (w < 0)
				err = (int)w;
			else if ((size_t)w != k)
				err = -ENOSPC;
		}
		off += (uint64_t)r;
	}
	kfree(buf);
	return err;
}

/* ---- copy-up ---- */

/* Put ENTRY (an upper object just made) at the node's name in its parent's
 * upper directory, keeping the parent's times as they were: a copy-up is not
 * a change of the directory. */
static int install(struct inode *ino, const char *tmp, size_t tlen)
{
	struct ovl_node *n = ON(ino);
	struct inode *pu = ON(n->parent)->upper;
	struct ktimespec pm = pu->mtime, pc = pu->ctime;
	int err = iop_rename(OSB(ino)->work, tmp, tlen, pu, n->name, strlen(n->name), 0);
	if (!err) {
		pu->mtime = pm;
		pu->ctime = pc;
		iop_setattr(pu);
		ovl_sync(n->parent);
	}
	return err;
}

/* Directories, symlinks and device nodes: no data, made in place. */
static int copy_up_node(struct inode *ino)
{
	struct ovl_node *n = ON(ino);
	struct ovl_sb *sb = OSB(ino);
	struct inode *l = n->lower, *u = NULL;
	char tmp[24], *target = NULL;
	size_t tlen;
	int err;
	if (S_ISLNK(l->mode)) {
		if (!(target = kmalloc(PATH_MAX)))
			return -ENOMEM;
		long r = iop_readlink(l, target, PATH_MAX - 1);
		if (r < 0) {
			kfree(target);
			return (int)r;
		}
		target[r] = 0;
	}
	err = ovl_work_create(sb, l->mode, target, tmp, &tlen, &u);
	kfree(target);
	if (err)
		return err;
	u->rdev = l->rdev;
	if ((err = ovl_copy_attrs(l, u)) || (err = install(ino, tmp, tlen))) {
		S_ISDIR(u->mode) ? iop_rmdir(sb->work, tmp, tlen) : iop_unlink(sb->work, tmp, tlen);
		inode_put(u);
		return err;
	}
	if (!S_ISDIR(u->mode)) {
		struct ovl_uinfo *x = ovl_uinfo(sb, u->ino, true);
		if (x)
			x->origin = ino->ino;
	}
	n->upper = u;
	ovl_sync(ino);
	return 0;
}

/* A regular file: built in work (with DATA, its bytes, copied with the VFS
 * lock dropped under the copy lock), then renamed into place. A file removed
 * meanwhile keeps its copy, unnamed, for the descriptions still open on it. */
static int copy_up_file(struct inode *ino, bool data)
{
	struct ovl_node *n = ON(ino);
	struct ovl_sb *sb = OSB(ino);
	uint64_t size = data ? n->lower->size : 0;
	if (size) {
		vfs_unlock();
		mutex_lock(&sb->copy_lock);
		vfs_lock();
	}
	struct inode *t = NULL;
	char tmp[24];
	size_t tlen;
	int err = 0;
	if (n->upper)
		goto out;                /* another thread copied it while we waited */
	if (!n->removed && (err = ovl_copy_up(n->parent, false)))
		goto out;
	if ((err = ovl_work_create(sb, S_IFREG | (n->lower->mode & 07777), NULL, tmp, &tlen, &t)))
		goto out;
	if (size) {
		vfs_unlock();
		err = fs_copy_data(n->lower, t, size);
		vfs_lock();
	}
	if (!err)
		err = iop_truncate(t, (off_t)size);
	if (!err)
		err = ovl_copy_attrs(n->lower, t);
	if (!err)
		err = n->removed ? iop_unlink(sb->work, tmp, tlen) : install(ino, tmp, tlen);
	if (err) {
		iop_unlink(sb->work, tmp, tlen);
		inode_put(t);
		goto out;
	}
	struct ovl_uinfo *x = ovl_uinfo(sb, t->ino, true);
	if (x)
		x->origin = ino->ino;
	n->upper = t;
	ovl_sync(ino);
out:
	if (size)
		mutex_unlock(&sb->copy_lock);
	return err;
}

int ovl_copy_up(struct inode *ino, bool data)
{
	struct ovl_node *n = ON(ino);
	if (n->upper)
		return 0;
	if (S_ISREG(n->lower->mode))
		return copy_up_file(ino, data);
	if (n->removed || !n->parent)
		return -ENOENT;
	int err = ovl_copy_up(n->parent, false);
	return err ? err : copy_up_node(ino);
}

/* ---- seeding a tmpfs from the image ---- */

struct name_list {
	struct dir_ctx c;
	char **names;
	size_t n, cap;
	int err;
};

static int collect(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
	struct name_list *l = (struct name_list *)c;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **p = krealloc(l->names, cap * sizeof(char *));
		if (!p) {
			l->err = -ENOMEM;
			return 1;
		}
		l->names = p;
		l->cap = cap;
	}
	char *s = kmalloc(len + 1);
	if (!s) {
		l->err = -ENOMEM;
		return 1;
	}
	memcpy(s, name, len);
	s[len] = 0;
	l->names[l->n++] = s;
	return 0;
}

static void names_free(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		kfree(l->names[i]);
	kfree(l->names);
}

/* Copy entry NAME of FROM into TO. VFS lock held; dropped while data moves. */
static int seed_one(struct inode *from, struct inode *to, const char *name, int depth)
{
	size_t len = strlen(name);
	struct inode *s, *d = NULL;
	int err = iop_lookup(from, name, len, &s);
	if (err)
		return err;
	if (S_ISDIR(s->mode)) {
		if (!(err = iop_mkdir(to, name, len, S_IFDIR | (s->mode & 07777))) && !(err = iop_lookup(to, name, len, &d))) {
			vfs_unlock();
			err = fs_seed_tree(s, d, depth + 1);
			vfs_lock();
		}
	} else if (S_ISLNK(s->mode)) {
		char *t = kmalloc(PATH_MAX);
		long r = t ? iop_readlink(s, t, PATH_MAX - 1) : -ENOMEM;
		if (r >= 0) {
			t[r] = 0;
			if (!(err = iop_symlink(to, name, len, t)))
				err = iop_lookup(to, name, len, &d);
		} else {
			err = (int)r;
		}
		kfree(t);
	} else if (S_ISREG(s->mode)) {
		if (!(err = iop_create(to, name, len, s->mode, &d))) {
			vfs_unlock();
			err = fs_copy_data(s, d, s->size);
			vfs_lock();
			if (!err)
				err = iop_truncate(d, (off_t)s->size);
		}
	} else {
		klog_once("seed-special", "uninode: device nodes, FIFOs and sockets in the image's /tmp or /run are not copied\n");
	}
	if (!err && d)
		err = ovl_copy_attrs(s, d);
	inode_put(d);
	inode_put(s);
	return err;
}

/* Copy the tree below directory FROM into directory TO (a tmpfs): the files
 * an image carries under /tmp and /run. VFS lock not held. */
int fs_seed_tree(struct inode *from, struct inode *to, int depth)
{
	if (depth > 64)
		return -ELOOP;
	struct name_list l = { .c = { collect } };
	off_t pos = 0;
	vfs_lock();
	int err = iop_readdir(from, &pos, &l.c);
	if (!err)
		err = l.err;
	for (size_t i = 0; i < l.n && !err; i++)
		err = seed_one(from, to, l.names[i], depth);
	vfs_unlock();
	names_free(&l);
	return err;
}
