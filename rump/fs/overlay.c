/* overlay: a writable layer over the image's read-only root, as a container
 * has one. An upper tmpfs (reached only through iop_* calls) over the lower
 * ext2: lookups prefer the upper layer; a whiteout (a character device 0/0 in
 * the upper layer, as Linux's overlayfs writes) hides a lower name; an opaque
 * directory (made where a lower name had been removed) hides every lower
 * entry. A lower object is copied up on its first change (overlay_copy.c).
 *
 * st_ino: a lower object keeps its lower inode number, also after copy-up (a
 * table remembers the origin); an object only the upper layer has gets
 * UPPER_TAG | its tmpfs number. All report the overlay's st_dev.
 * As in Linux's overlayfs, opening a file for writing copies it up (so do
 * truncate, chmod, utimes, rename and link). Unlike there, every description
 * of a file shares one overlay inode, so one opened read-only before the
 * copy-up reads the new data afterwards, as on a plain fs. */
#include "overlay.h"

static const struct inode_ops ovl_iops;
static int renamed(struct inode *ino, struct inode *ndir, const char *nn, size_t nl);
static const struct fs_type ovl_type;
static const struct file_ops ovl_file_ops;

static bool is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

static bool is_whiteout(struct inode *u)
{
	return S_ISCHR(u->mode) && u->rdev == 0;
}

/* Does NAME exist in DIR's lower layer, visible through DIR? */
static bool lower_has(struct inode *dir, const char *name, size_t len)
{
	struct inode *l, *ld = ON(dir)->lower;
	if (!ld || ovl_opaque(dir) || iop_lookup(ld, name, len, &l))
		return false;
	inode_put(l);
	return true;
}

/* The upper entry NAME of DIR, whiteouts included; -ENOENT if none. */
static int upper_get(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct inode *ud = ON(dir)->upper;
	return ud ? iop_lookup(ud, name, len, out) : -ENOENT;
}

/* st_ino of the object made of U and L (either may be NULL). */
static uint64_t ovl_ino(struct ovl_sb *sb, struct inode *u, struct inode *l)
{
	if (l)
		return l->ino;
	struct ovl_uinfo *x = ovl_uinfo(sb, u->ino, false);
	return x && x->origin ? x->origin : UPPER_TAG | u->ino;
}

/* The overlay inode for U over L (references taken over) found as NAME in
 * DIR: the cached one if the object is known, else a new one. */
static int instantiate(struct inode *dir, const char *name, size_t len, struct inode *u, struct inode *l, struct inode **out)
{
	uint64_t no = ovl_ino(OSB(dir), u, l);
	struct inode *i = icache_lookup(dir->mnt, no);
	if (i) {
		if (u && !ON(i)->upper) {   /* a lower hard link copied up through another name */
			ON(i)->upper = u;
			u = NULL;
			ovl_sync(i);
		}
		/* A lower hard link found through another name: a later copy-up goes to
		 * this name, which is live, not to one that may have been removed since. */
		if (!ON(i)->upper && !S_ISDIR(i->mode) && (ON(i)->parent != dir || strlen(ON(i)->name) != len ||
							    memcmp(ON(i)->name, name, len)))
			renamed(i, dir, name, len);
		inode_put(u);
		inode_put(l);
		*out = i;
		return 0;
	}
	struct ovl_node *n = kzalloc(sizeof(*n));
	char *nm = kmalloc(len + 1);
	i = inode_alloc(dir->mnt, no, &ovl_iops);
	if (!n || !nm || !i) {
		kfree(n);
		kfree(nm);
		kfree(i);
		inode_put(u);
		inode_put(l);
		return -ENOMEM;
	}
	memcpy(nm, name, len);
	nm[len] = 0;
	n->upper = u;
	n->lower = l;
	n->parent = dir;
	inode_get(dir);
	n->name = nm;
	i->priv = n;
	ovl_sync(i);
	if (S_ISREG(i->mode))
		i->fops = &ovl_file_ops;
	icache_insert(i);
	*out = i;
	return 0;
}

static int ovl_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct ovl_node *d = ON(dir);
	if (len == 1 && name[0] == '.') {
		inode_get(dir);
		*out = dir;
		return 0;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		struct inode *p = d->parent ? d->parent : dir;
		inode_get(p);
		*out = p;
		return 0;
	}
	if (d->removed)
		return -ENOENT;
	struct inode *u = NULL, *l = NULL;
	int err = upper_get(dir, name, len, &u);
	if (err && err != -ENOENT)
		return err;
	if (u && is_whiteout(u)) {
		inode_put(u);
		return -ENOENT;
	}
	/* A lower entry counts only under a lower directory it merges with. */
	if (d->lower && !ovl_opaque(dir) && (!u || S_ISDIR(u->mode))) {
		err = iop_lookup(d->lower, name, len, &l);
		if (err && err != -ENOENT) {
			inode_put(u);
			return err;
		}
		if (l && u) {
			struct ovl_uinfo *x = ovl_uinfo(OSB(dir), u->ino, false);
			if (!S_ISDIR(l->mode) || (x && x->opaque)) {
				inode_put(l);
				l = NULL;
			}
		}
	}
	if (!u && !l)
		return -ENOENT;
	return instantiate(dir, name, len, u, l, out);
}

/* Move work's entry TMP to NAME in DIR's upper directory, replacing what is
 * there (a whiteout, or the object it hides) in one step. */
static int place(struct inode *dir, const char *name, size_t len, const char *tmp, size_t tlen)
{
	return iop_rename(OSB(dir)->work, tmp, tlen, ON(dir)->upper, name, len, 0);
}

/* A new object NAME in DIR of MODE (TARGET for symlinks): made in work and
 * renamed into place, so it replaces a whiteout in one step; a directory
 * made where a lower name was removed is opaque. */
static int make(struct inode *dir, const char *name, size_t len, uint32_t mode, const char *target, struct inode **out)
{
	struct ovl_sb *sb = OSB(dir);
	if (ON(dir)->removed)
		return -ENOENT;
	int err = ovl_copy_up(dir, false);
	if (err)
		return err;
	struct inode *u;
	char tmp[24];
	size_t tlen;
	if ((err = ovl_work_create(sb, mode, target, tmp, &tlen, &u)))
		return err;
	/* Owned as made in DIR, not in the work directory (overlayfs's
	 * ovl_create_object); the upper tmpfs keeps it in memory. */
	inode_init_owner(u, dir, mode);
	bool hides = S_ISDIR(mode) && lower_has(dir, name, len);
	if (hides) {
		struct ovl_uinfo *x = ovl_uinfo(sb, u->ino, true);
		if (!x)
			err = -ENOMEM;
		else
			x->opaque = true;
	}
	if (!err)
		err = place(dir, name, len, tmp, tlen);
	if (err) {
		S_ISDIR(mode) ? iop_rmdir(sb->work, tmp, tlen) : iop_unlink(sb->work, tmp, tlen);
		ovl_uinfo_drop(sb, u->ino);
		inode_put(u);
		return err;
	}
	ovl_sync(dir);
	if (!out) {
		inode_put(u);
		return 0;
	}
	return instantiate(dir, name, len, u, NULL, out);
}

static int ovl_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	return make(dir, name, len, mode, NULL, out);
}

static int ovl_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	return make(dir, name, len, mode, NULL, NULL);
}

static int ovl_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	return make(dir, name, len, S_IFLNK | 0777, target, NULL);
}

/* ---- removing names ---- */

struct scan {
	struct dir_ctx c;
	struct inode *dir;           /* the overlay directory */
	bool upper;                  /* scanning its upper layer (else its lower) */
	bool found;                  /* a visible entry */
};

static int scan_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
	struct scan *s = (struct scan *)c;
	if (is_dot(name, len))
		return 0;
	struct inode *u = NULL;
	if (!upper_get(s->dir, name, len, &u) && is_whiteout(u)) {
		inode_put(u);
		return 0;
	}
	inode_put(u);
	if (!s->upper && u)
		return 0;                /* the upper scan has seen it */
	s->found = true;
	return 1;
}

/* -ENOTEMPTY unless the merged directory DIR shows no entries. */
static int merged_empty(struct inode *dir)
{
	struct ovl_node *n = ON(dir);
	struct scan s = { { scan_emit }, dir, true, false };
	off_t pos = 0;
	int err = 0;
	if (n->upper)
		err = iop_readdir(n->upper, &pos, &s.c);
	if (!err && !s.found && n->lower && !ovl_opaque(dir)) {
		s.upper = false;
		pos = 0;
		err = iop_readdir(n->lower, &pos, &s.c);
	}
	return err ? err : s.found ? -ENOTEMPTY : 0;
}

struct wlist {
	struct dir_ctx c;
	struct inode *ud;
	char names[16][NAME_MAX + 1];
	int n;
	bool more;
};

static int wlist_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
	struct wlist *w = (struct wlist *)c;
	if (dtype != DT_CHR)
		return 0;
	struct inode *u;
	if (iop_lookup(w->ud, name, len, &u))
		return 0;
	bool wh = is_whiteout(u);
	inode_put(u);
	if (!wh)
		return 0;
	if (w->n == 16) {
		w->more = true;
		return 1;
	}
	memcpy(w->names[w->n], name, len);
	w->names[w->n++][len] = 0;
	return 0;
}

/* Remove the whiteouts in upper directory UD (before it goes away). */
static int clear_whiteouts(struct inode *ud)
{
	struct wlist *w = kmalloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	int err = 0;
	do {
		off_t pos = 0;
		w->c.emit = wlist_emit;
		w->ud = ud;
		w->n = 0;
		w->more = false;
		err = iop_readdir(ud, &pos, &w->c);
		for (int i = 0; i < w->n && !err; i++)
			err = iop_unlink(ud, w->names[i], strlen(w->names[i]));
	} while (!err && w->more);
	kfree(w);
	return err;
}

/* One of VICTIM's names went away. Hard links share one overlay inode, so
 * it counts as removed (lookups, copy-up and renames refuse it) only once no
 * name is left: an upper object's count is the upper inode's; a lower-only
 * file counts its lower links down, one per name hidden. */
static void name_gone(struct inode *victim)
{
	if (ON(victim)->upper)
		ovl_sync(victim);
	else if (S_ISDIR(victim->mode) || victim->nlink <= 1)
		victim->nlink = 0;
	else
		victim->nlink--;
	ON(victim)->removed = S_ISDIR(victim->mode) || victim->nlink == 0;
}

/* Remove NAME (VICTIM) from DIR: from the upper layer, and with a whiteout
 * when the lower layer has the name too. */
static int remove(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	struct ovl_sb *sb = OSB(dir);
	bool hide = lower_has(dir, name, len);
	int err = hide ? ovl_copy_up(dir, false) : 0;
	if (err)
		return err;
	struct inode *u = NULL;
	if (upper_get(dir, name, len, &u))
		u = NULL;
	if (u && S_ISDIR(u->mode) && (err = clear_whiteouts(u)))
		goto out;
	if (hide) {
		struct inode *w;
		char tmp[24];
		size_t tlen;
		if ((err = ovl_work_create(sb, S_IFCHR, NULL, tmp, &tlen, &w)))
			goto out;
		inode_put(w);
		if ((err = place(dir, name, len, tmp, tlen))) {
			iop_unlink(sb->work, tmp, tlen);
			goto out;
		}
	} else if (u) {
		err = S_ISDIR(u->mode) ? iop_rmdir(ON(dir)->upper, name, len) : iop_unlink(ON(dir)->upper, name, len);
		if (err)
			goto out;
	}
	if (u && !u->nlink)
		ovl_uinfo_drop(sb, u->ino);
	ovl_sync(dir);
	name_gone(victim);
out:
	inode_put(u);
	return err;
}

static int ovl_unlink(struct inode *dir, const char *name, size_t len)
{
	struct inode *victim;
	int err = ovl_lookup(dir, name, len, &victim);
	if (err)
		return err;
	err = remove(dir, name, len, victim);
	inode_put(victim);
	return err;
}

static int ovl_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct inode *victim;
	int err = ovl_lookup(dir, name, len, &victim);
	if (err)
		return err;
	if (!(err = merged_empty(victim)))
		err = remove(dir, name, len, victim);
	inode_put(victim);
	return err;
}

/* ---- rename ---- */

/* Point the moved node at its new place (for a later copy-up of its children). */
static int renamed(struct inode *ino, struct inode *ndir, const char *nn, size_t nl)
{
	struct ovl_node *n = ON(ino);
	char *nm = kmalloc(nl + 1);
	if (!nm)
		return -ENOMEM;
	memcpy(nm, nn, nl);
	nm[nl] = 0;
	kfree(n->name);
	n->name = nm;
	inode_get(ndir);
	inode_put(n->parent);
	n->parent = ndir;
	return 0;
}

/* RENAME_EXCHANGE: both names stay occupied, so no whiteouts are needed;
 * both objects are copied up and swapped in the upper layer. */
static int exchange(struct inode *odir, const char *on, size_t ol, struct inode *src,
		    struct inode *ndir, const char *nn, size_t nl, struct inode *dst)
{
	if ((S_ISDIR(src->mode) && ON(src)->lower) || (S_ISDIR(dst->mode) && ON(dst)->lower))
		return -EXDEV;
	int err;
	if ((err = ovl_copy_up(src, true)) || (err = ovl_copy_up(dst, true)) ||
	    (err = ovl_copy_up(odir, false)) || (err = ovl_copy_up(ndir, false)))
		return err;
	/* a directory landing where the lower layer has the name must hide it */
	struct ovl_sb *sb = OSB(odir);
	bool so = S_ISDIR(src->mode) && lower_has(ndir, nn, nl), dopq = S_ISDIR(dst->mode) && lower_has(odir, on, ol);
	struct ovl_uinfo *xs = so ? ovl_uinfo(sb, ON(src)->upper->ino, true) : NULL;
	struct ovl_uinfo *xd = dopq ? ovl_uinfo(sb, ON(dst)->upper->ino, true) : NULL;
	if ((so && !xs) || (dopq && !xd))
		return -ENOMEM;
	if ((err = iop_rename(ON(odir)->upper, on, ol, ON(ndir)->upper, nn, nl, RENAME_EXCHANGE)))
		return err;
	if (xs)
		xs->opaque = true;
	if (xd)
		xd->opaque = true;
	renamed(src, ndir, nn, nl);
	renamed(dst, odir, on, ol);
	ovl_sync(odir);
	ovl_sync(ndir);
	return 0;
}

/* A directory the lower layer has cannot move (EXDEV, as Linux's overlayfs
 * without redirect_dir answers; mv then copies). Anything else is copied up
 * and renamed in the upper layer; the old name gets a whiteout when the lower
 * layer has it, and a directory landing on a lower name becomes opaque. */
static int ovl_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags)
{
	struct ovl_sb *sb = OSB(odir);
	struct inode *src = NULL, *dst = NULL, *w, *du = NULL;
	bool whiteout = false;
	char tmp[24];
	size_t tlen = 0;
	int err = ovl_lookup(odir, on, ol, &src);
	if (err)
		return err;
	if ((err = ovl_lookup(ndir, nn, nl, &dst)) && err != -ENOENT)
		goto out;
	err = 0;
	if (flags & RENAME_EXCHANGE) {
		err = dst ? exchange(odir, on, ol, src, ndir, nn, nl, dst) : -ENOENT;
		goto out;
	}
	if (S_ISDIR(src->mode) && ON(src)->lower) {
		err = -EXDEV;
		goto out;
	}
	if (dst && S_ISDIR(dst->mode) && (err = merged_empty(dst)))
		goto out;
	/* Copying data may drop the VFS lock: do it before looking at names again. */
	if ((err = ovl_copy_up(src, true)) || (err = ovl_copy_up(odir, false)) || (err = ovl_copy_up(ndir, false)))
		goto out;
	if (ON(src)->removed || (dst && ON(dst)->removed)) {
		err = -ENOENT;           /* changed while the data moved */
		goto out;
	}
	whiteout = lower_has(odir, on, ol);
	bool opaque = S_ISDIR(src->mode) && lower_has(ndir, nn, nl);
	if (whiteout) {
		if ((err = ovl_work_create(sb, S_IFCHR, NULL, tmp, &tlen, &w)))
			goto out;
		inode_put(w);            /* the work directory's entry keeps it */
	}
	if (upper_get(ndir, nn, nl, &du))
		du = NULL;
	if (du && S_ISDIR(du->mode) && (err = clear_whiteouts(du)))
		goto out;
	if (opaque) {
		struct ovl_uinfo *x = ovl_uinfo(sb, ON(src)->upper->ino, true);
		if (!x) {
			err = -ENOMEM;
			goto out;
		}
		x->opaque = true;
	}
	if ((err = iop_rename(ON(odir)->upper, on, ol, ON(ndir)->upper, nn, nl, 0)))
		goto out;
	if (whiteout) {
		if (place(odir, on, ol, tmp, tlen))
			kprintf("overlay: no whiteout for renamed %.*s: the lower copy shows again\n", (int)ol, on);
		whiteout = false;
	}
	if (du && !du->nlink)
		ovl_uinfo_drop(sb, du->ino);
	if (dst)
		name_gone(dst);
	renamed(src, ndir, nn, nl);
	ovl_sync(src);
	ovl_sync(odir);
	ovl_sync(ndir);
out:
	if (whiteout && tlen)
		iop_unlink(sb->work, tmp, tlen);
	inode_put(du);
	inode_put(src);
	inode_put(dst);
	return err;
}

/* A new name for TARGET: its upper copy is linked in work and renamed into
 * place (so it replaces a whiteout in one step). Linked names of a copied-up
 * file share its origin, and so its st_ino. */
static int ovl_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	struct ovl_sb *sb = OSB(dir);
	if (ON(dir)->removed)
		return -ENOENT;
	int err = ovl_copy_up(target, true);
	if (!err)
		err = ovl_copy_up(dir, false);
	if (err)
		return err;
	char tmp[24];
	size_t tlen = (size_t)snprintf(tmp, sizeof(tmp), "#%lx", (unsigned long)sb->tmp_seq++);
	if ((err = iop_link(sb->work, tmp, tlen, ON(target)->upper)))
		return err;
	if ((err = place(dir, name, len, tmp, tlen)))
		iop_unlink(sb->work, tmp, tlen);
	ovl_sync(target);
	ovl_sync(dir);
	return err;
}

/* O_TMPFILE: a nameless upper file; linkat gives it a name later. */
static int ovl_tmpfile(struct inode *dir, uint32_t mode, struct inode **out)
{
	if (ON(dir)->removed)
		return -ENOENT;
	int err = ovl_copy_up(dir, false);
	struct inode *u;
	if (err || (err = iop_tmpfile(ON(dir)->upper, mode, &u)))
		return err;
	return instantiate(dir, "", 0, u, NULL, out);
}

/* ---- data and attributes ---- */

static long ovl_readlink(struct inode *ino, char *buf, size_t n)
{
	struct ovl_node *o = ON(ino);
	return iop_readlink(o->upper ? o->upper : o->lower, buf, n);
}

/* The upper pointer is set once and the node holds a reference on both
 * layers, so reading needs no VFS lock while the caller holds the inode. */
static long ovl_read(struct inode *ino, void *buf, size_t n, off_t off)
{
	struct ovl_node *o = ON(ino);
	struct inode *u = __atomic_load_n(&o->upper, __ATOMIC_ACQUIRE);
	if (!u)
		return iop_read(o->lower, buf, n, off);
	long r = iop_read(u, buf, n, off);
	vfs_lock();
	ino->atime = u->atime;
	vfs_unlock();
	return r;
}

static long ovl_write(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append)
{
	struct ovl_node *o = ON(ino);
	vfs_lock();
	int err = ovl_copy_up(ino, true);
	vfs_unlock();
	if (err)
		return err;
	long r = iop_write(o->upper, buf, n, pos, append);
	vfs_lock();
	ovl_sync(ino);
	vfs_unlock();
	return r;
}

static int ovl_truncate(struct inode *ino, off_t size)
{
	int err = ovl_copy_up(ino, size > 0);
	if (!err)
		err = iop_truncate(ON(ino)->upper, size);
	ovl_sync(ino);
	return err;
}

/* The VFS changed INO's mode, owner, times or device number: copy up (which may drop the
 * VFS lock), then carry the new values over. */
static int ovl_setattr(struct inode *ino)
{
	uint32_t mode = ino->mode, uid = ino->uid, gid = ino->gid;
	uint64_t rdev = ino->rdev;       /* mknod sets it after create */
	struct ktimespec at = ino->atime, mt = ino->mtime, ct = ino->ctime;
	int err = ovl_copy_up(ino, true);
	if (err) {
		ovl_sync(ino);
		return err;
	}
	struct inode *u = ON(ino)->upper;
	u->mode = (u->mode & S_IFMT) | (mode & 07777);
	u->uid = uid;
	u->gid = gid;
	u->rdev = rdev;
	u->atime = at;
	u->mtime = mt;
	u->ctime = ct;
	err = iop_setattr(u);
	ovl_sync(ino);
	return err;
}

/* Shared mappings use the upper copy's pages (tmpfs's); a file that has
 * none yet is mapped by copies, and any description open for writing made
 * the copy at open. */
static bool ovl_can_map(struct inode *ino)
{
	return __atomic_load_n(&ON(ino)->upper, __ATOMIC_ACQUIRE) != NULL;
}

static int ovl_map_page(struct inode *ino, uint64_t pgoff, bool write, paddr_t *out)
{
	struct inode *u = ON(ino)->upper;
	return u ? iop_map_page(u, pgoff, write, out) : -ENODEV;
}

static void ovl_put_page(struct inode *ino, uint64_t pgoff, bool dirty, bool unmap)
{
	struct inode *u = __atomic_load_n(&ON(ino)->upper, __ATOMIC_ACQUIRE);
	if (u && u->ops->put_page)
		u->ops->put_page(u, pgoff, dirty, unmap);
}

/* What the upper copy's fs does (the descriptor, open for writing, made it). */
static int ovl_fallocate(struct inode *ino, int mode, off_t off, off_t len)
{
	int err = ovl_copy_up(ino, true);
	struct inode *u = ON(ino)->upper;
	if (!err)
		err = u->ops->fallocate ? u->ops->fallocate(u, mode, off, len) : -EOPNOTSUPP;
	ovl_sync(ino);
	return err;
}

static int ovl_fsync(struct inode *ino, bool datasync)
{
	struct inode *u = ON(ino)->upper;
	return u ? iop_fsync(u, datasync) : 0;
}

/* ---- open files: as any inode's, but a description opened for writing
 * copies the file up first, as Linux's overlayfs does (so ENOSPC shows at
 * open, and a shared writable mapping has the upper pages to share). ---- */

static int ofile_open(struct file *f)
{
	if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_RDONLY)
		return 0;
	vfs_lock();
	int err = ovl_copy_up(f->inode, true);
	vfs_unlock();
	return err;
}

static long ofile_read(struct file *f, void *buf, size_t n, off_t *pos) { return inode_file_ops.read(f, buf, n, pos); }
static long ofile_write(struct file *f, const void *buf, size_t n, off_t *pos) { return inode_file_ops.write(f, buf, n, pos); }
static long ofile_ioctl(struct file *f, unsigned long cmd, unsigned long arg) { return inode_file_ops.ioctl(f, cmd, arg); }
static int ofile_fsync(struct file *f, bool datasync) { return inode_file_ops.fsync(f, datasync); }

static const struct file_ops ovl_file_ops = {
	.open = ofile_open,
	.read = ofile_read,
	.write = ofile_write,
	.ioctl = ofile_ioctl,
	.fsync = ofile_fsync,
};

/* ---- readdir ----
 * Cookies: 0 ".", 1 "..", then 2 + the lower directory's own cookie while its
 * entries are listed, then UPPER_POS + the upper directory's cookie. A lower
 * name is listed unless whited out (with the upper object's type when that
 * replaced it); an upper name only when the lower layer lacks it. Both
 * layers' cookies are stable, and a name's phase never changes while it
 * exists (a copy-up keeps the lower name), so listing in several calls while
 * entries come and go neither repeats nor skips one that stayed. */
#define UPPER_POS (1LL << 62)

/* Does upper directory entry U merge with a lower entry of type DTYPE? */
static bool merges(struct ovl_sb *sb, struct inode *u, unsigned dtype)
{
	struct ovl_uinfo *x;
	return S_ISDIR(u->mode) && dtype == DT_DIR && !((x = ovl_uinfo(sb, u->ino, false)) && x->opaque);
}

struct merge {
	struct dir_ctx c;
	struct dir_ctx *out;
	struct inode *dir;
	bool full;
};

static int lower_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
	struct merge *m = (struct merge *)c;
	if (is_dot(name, len))
		return 0;
	struct inode *u;
	if (!upper_get(m->dir, name, len, &u)) {
		bool hidden = is_whiteout(u);
		if (!hidden && !merges(OSB(m->dir), u, dtype)) {
			ino = ovl_ino(OSB(m->dir), u, NULL);
			dtype = mode_to_dtype(u->mode);
		}
		inode_put(u);
		if (hidden)
			return 0;
	}
	if (m->out->emit(m->out, name, len, ino, dtype))
		return m->full = true;
	return 0;
}

static int upper_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
	struct merge *m = (struct merge *)c;
	if (is_dot(name, len) || lower_has(m->dir, name, len))
		return 0;
	struct inode *u;
	if (upper_get(m->dir, name, len, &u))
		return 0;
	bool hidden = is_whiteout(u);
	ino = ovl_ino(OSB(m->dir), u, NULL);
	inode_put(u);
	if (hidden)
		return 0;
	if (m->out->emit(m->out, name, len, ino, dtype))
		return m->full = true;
	return 0;
}

static int ovl_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	struct ovl_node *n = ON(dir);
	if (n->removed)
		return 0;
	if (*pos == 0) {
		if (c->emit(c, ".", 1, dir->ino, DT_DIR))
			return 0;
		*pos = 1;
	}
	if (*pos == 1) {
		struct inode *p = n->parent ? n->parent : dir;
		if (c->emit(c, "..", 2, p->ino, DT_DIR))
			return 0;
		*pos = 2;
	}
	struct merge m = { { lower_emit }, c, dir, false };
	int err;
	if (*pos < UPPER_POS) {
		if (n->lower && !ovl_opaque(dir)) {
			off_t lpos = *pos - 2;
			err = iop_readdir(n->lower, &lpos, &m.c);
			*pos = lpos + 2;
			if (err || m.full)
				return err;
		}
		*pos = UPPER_POS;
	}
	if (!n->upper)
		return 0;
	m.c.emit = upper_emit;
	off_t upos = *pos - UPPER_POS;
	err = iop_readdir(n->upper, &upos, &m.c);
	*pos = upos + UPPER_POS;
	return err;
}

static void ovl_evict(struct inode *ino)
{
	struct ovl_node *n = ON(ino);
	if (n) {
		inode_put(n->upper);
		inode_put(n->lower);
		inode_put(n->parent);
		kfree(n->name);
		kfree(n);
	}
	kfree(ino);
}

/* The upper layer's space, as Linux's overlayfs reports, under its own magic. */
static int ovl_statfs(struct mount *m, struct kstatfs *sf)
{
	struct ovl_sb *sb = m->priv;
	int err = sb->upper->type->statfs ? sb->upper->type->statfs(sb->upper, sf) : 0;
	sf->f_type = OVERLAYFS_SUPER_MAGIC;
	sf->f_namelen = NAME_MAX;
	return err;
}

/* O_DIRECT as the upper tmpfs takes it (any alignment): overlayfs passes it to its layers. */
static const struct fs_type ovl_type = { .name = "overlay", .statfs = ovl_statfs, .direct_io = true };

static const struct inode_ops ovl_iops = {
	.lookup = ovl_lookup,
	.create = ovl_create,
	.mkdir = ovl_mkdir,
	.symlink = ovl_symlink,
	.unlink = ovl_unlink,
	.rmdir = ovl_rmdir,
	.rename = ovl_rename,
	.readlink = ovl_readlink,
	.read = ovl_read,
	.write = ovl_write,
	.truncate = ovl_truncate,
	.readdir = ovl_readdir,
	.setattr = ovl_setattr,
	.fsync = ovl_fsync,
	.evict = ovl_evict,
	.link = ovl_link,
	.tmpfile = ovl_tmpfile,
	.map_page = ovl_map_page,
	.put_page = ovl_put_page,
	.can_map = ovl_can_map,
	.fallocate = ovl_fallocate,
};

/* The directory NAME in the upper tmpfs's root, made and referenced. */
static int upper_subdir(struct mount *um, const char *name, struct inode **out)
{
	int err = iop_mkdir(um->root, name, strlen(name), S_IFDIR | 0755);
	return err ? err : iop_lookup(um->root, name, strlen(name), out);
}

/* An overlay of a fresh tmpfs over LOWER (a mounted, unattached fs), with st_dev DEV. */
int overlay_mount(struct mount *lower, uint64_t dev, struct mount **out)
{
	struct mount *um, *m = mount_new(&ovl_type, dev, false);
	struct ovl_sb *sb = kzalloc(sizeof(*sb));
	struct ovl_node *n = kzalloc(sizeof(*n));
	int err = -ENOMEM;
	if (!m || !sb || !n || (err = tmpfs_mount(dev + 1, &um))) {
		kfree(m);
		kfree(sb);
		kfree(n);
		return err;
	}
	sb->lower = lower;
	sb->upper = um;
	sb->copy_lock = (struct mutex)MUTEX_INIT("overlay-copy");
	m->priv = sb;
	vfs_lock();
	if (!(err = upper_subdir(um, "upper", &sb->udir)) && !(err = upper_subdir(um, "work", &sb->work)) &&
	    !(err = ovl_copy_attrs(lower->root, sb->udir))) {
		m->root = inode_alloc(m, lower->root->ino, &ovl_iops);
		if (!m->root) {
			err = -ENOMEM;
		} else {
			inode_get(lower->root);
			inode_get(sb->udir);
			n->lower = lower->root;
			n->upper = sb->udir;
			m->root->priv = n;
			n = NULL;
			ovl_sync(m->root);
			icache_insert(m->root);
		}
	}
	vfs_unlock();
	kfree(n);
	if (err)
		return err;      /* a failed boot: the half-built mount is left behind */
	*out = m;
	return 0;
}

/* The lower mount of overlay M, or M itself when it is not one. */
struct mount *overlay_lower(struct mount *m)
{
	return m->type == &ovl_type ? ((struct ovl_sb *)m->priv)->lower : m;
}
