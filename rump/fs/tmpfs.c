/* tmpfs: files, directories and symlinks in memory. Directory entries hold
 * a reference to their inode; file data is a sparse array of pages. */
#include "fs.h"
#include "../include/mm.h"

#define TMPFS_MAGIC 0x01021994

struct tmpfs_dirent {
	struct tmpfs_dirent *next;   /* in creation order, ids increasing */
	uint64_t id;                 /* readdir cookie: >= 2 */
	struct inode *ino;           /* a reference */
	size_t len;
	char name[];
};

struct tmpfs_node {
	struct inode *parent;        /* directories: referenced, NULL once removed */
	struct tmpfs_dirent *entries, *tail;
	uint64_t next_id;
	void **pages;                /* regular files: NULL entries are zeros */
	size_t npages;               /* length of pages[] */
	char *target;                /* symlinks */
};

struct tmpfs_sb {
	uint64_t next_ino;
	size_t pages_used, pages_max;
};

static const struct inode_ops tmpfs_iops;
static const struct fs_type tmpfs_type;

static struct tmpfs_node *TN(struct inode *i) { return i->priv; }
static struct tmpfs_sb *TSB(struct inode *i) { return i->mnt->priv; }

/* A new inode of MODE on M with its node, owned as a new file in DIR is
 * (NULL: the root, root's). */
static struct inode *tmpfs_new_inode(struct mount *m, struct inode *dir, uint32_t mode)
{
	struct tmpfs_sb *sb = m->priv;
	struct inode *i = inode_alloc(m, sb->next_ino++, &tmpfs_iops);
	struct tmpfs_node *n = kzalloc(sizeof(*n));
	if (!i || !n) {
		kfree(i);
		kfree(n);
		return NULL;
	}
	i->priv = n;
	i->mode = dir ? inode_init_owner(i, dir, mode) : mode;
	i->nlink = S_ISDIR(mode) ? 2 : 1;
	i->atime = i->mtime = i->ctime = i->btime = time_now();
	i->has_btime = true;
	n->next_id = 2;
	return i;
}

/* The entry called NAME in DIR, or NULL; PREV gets its predecessor. */
static struct tmpfs_dirent *find(struct inode *dir, const char *name, size_t len, struct tmpfs_dirent **prev)
{
	struct tmpfs_dirent *p = NULL;
	for (struct tmpfs_dirent *e = TN(dir)->entries; e; p = e, e = e->next)
		if (e->len == len && !memcmp(e->name, name, len)) {
			if (prev)
				*prev = p;
			return e;
		}
	return NULL;
}

/* Add an entry NAME -> INO (taking a new reference) at the end of DIR. */
static int add_entry(struct inode *dir, const char *name, size_t len, struct inode *ino)
{
	struct tmpfs_dirent *e = kmalloc(sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	struct tmpfs_node *d = TN(dir);
	e->next = NULL;
	e->id = d->next_id++;
	e->ino = ino;
	e->len = len;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	inode_get(ino);
	if (d->tail)
		d->tail->next = e;
	else
		d->entries = e;
	d->tail = e;
	if (S_ISDIR(ino->mode)) {
		dir->nlink++;
		inode_get(dir);
		inode_put(TN(ino)->parent);
		TN(ino)->parent = dir;
	}
	dir->mtime = dir->ctime = time_now();
	return 0;
}

/* Unlink entry E (after PREV) from DIR, dropping its reference. */
static void remove_entry(struct inode *dir, struct tmpfs_dirent *e, struct tmpfs_dirent *prev)
{
	struct tmpfs_node *d = TN(dir);
	if (prev)
		prev->next = e->next;
	else
		d->entries = e->next;
	if (d->tail == e)
		d->tail = prev;
	struct inode *ino = e->ino;
	struct ktimespec now = time_now();
	if (S_ISDIR(ino->mode)) {
		dir->nlink--;
		ino->nlink = 0;
		inode_put(TN(ino)->parent);
		TN(ino)->parent = NULL;
	} else {
		ino->nlink--;
	}
	ino->ctime = now;
	dir->mtime = dir->ctime = now;
	kfree(e);
	inode_put(ino);
}

static int tmpfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	if (len == 1 && name[0] == '.') {
		inode_get(dir);
		*out = dir;
		return 0;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		struct inode *p = dir == dir->mnt->root ? dir : TN(dir)->parent;
		if (!p)
			return -ENOENT;          /* a removed directory */
		inode_get(p);
		*out = p;
		return 0;
	}
	struct tmpfs_dirent *e = find(dir, name, len, NULL);
	if (!e)
		return -ENOENT;
	inode_get(e->ino);
	*out = e->ino;
	return 0;
}

/* A removed directory accepts no new entries. */
static int dir_alive(struct inode *dir)
{
	return dir->nlink ? 0 : -ENOENT;
}

/* Make a node of MODE called NAME in DIR; *OUT gets a reference if asked for. */
static int make_node(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	int err = dir_alive(dir);
	if (err)
		return err;
	struct inode *i = tmpfs_new_inode(dir->mnt, dir, mode);
	if (!i)
		return -ENOMEM;
	if ((err = add_entry(dir, name, len, i))) {
		inode_put(i);
		return err;
	}
	if (out)
		*out = i;
	else
		inode_put(i);
	return 0;
}

static int tmpfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	return make_node(dir, name, len, mode, out);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	return make_node(dir, name, len, mode, NULL);
}

static int tmpfs_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	struct inode *i;
	char *t = strdup(target);
	if (!t)
		return -ENOMEM;
	int err = make_node(dir, name, len, S_IFLNK | 0777, &i);
	if (err) {
		kfree(t);
		return err;
	}
	TN(i)->target = t;
	i->size = strlen(t);
	inode_put(i);
	return 0;
}

/* A new name for TARGET (checked by the VFS: not a directory, same fs, NAME free). */
static int tmpfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	int err = dir_alive(dir);
	if (err || (err = add_entry(dir, name, len, target)))
		return err;
	target->nlink++;
	target->ctime = time_now();
	return 0;
}

/* O_TMPFILE: an inode no directory names, alive while open. */
static int tmpfs_tmpfile(struct inode *dir, uint32_t mode, struct inode **out)
{
	int err = dir_alive(dir);
	if (err)
		return err;
	struct inode *i = tmpfs_new_inode(dir->mnt, dir, mode);
	if (!i)
		return -ENOMEM;
	i->nlink = 0;
	*out = i;
	return 0;
}

static int tmpfs_unlink(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_dirent *prev, *e = find(dir, name, len, &prev);
	if (!e)
		return -ENOENT;
	remove_entry(dir, e, prev);
	return 0;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_dirent *prev, *e = find(dir, name, len, &prev);
	if (!e)
		return -ENOENT;
	if (TN(e->ino)->entries)
		return -ENOTEMPTY;
	remove_entry(dir, e, prev);
	return 0;
}

static int tmpfs_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags)
{
	struct tmpfs_dirent *oprev, *oe = find(odir, on, ol, &oprev);
	if (!oe)
		return -ENOENT;
	struct tmpfs_dirent *nprev, *ne = find(ndir, nn, nl, &nprev);
	int err = dir_alive(ndir);
	if (err)
		return err;
	struct ktimespec now = time_now();
	if (flags & RENAME_EXCHANGE) {
		struct inode *a = oe->ino, *b = ne->ino;
		bool ad = S_ISDIR(a->mode), bd = S_ISDIR(b->mode);
		oe->ino = b;
		ne->ino = a;
		if (odir != ndir && ad != bd) {
			/* one directory changes parent: move a ".." link */
			struct inode *from = ad ? odir : ndir, *to = ad ? ndir : odir;
			from->nlink--;
			to->nlink++;
		}
		if (ad) { inode_get(ndir); inode_put(TN(a)->parent); TN(a)->parent = ndir; }
		if (bd) { inode_get(odir); inode_put(TN(b)->parent); TN(b)->parent = odir; }
		a->ctime = b->ctime = now;
		odir->mtime = odir->ctime = ndir->mtime = ndir->ctime = now;
		return 0;
	}
	if (ne) {
		if (S_ISDIR(ne->ino->mode) && TN(ne->ino)->entries)
			return -ENOTEMPTY;
	}
	struct inode *ino = oe->ino;
	inode_get(ino);
	/* add first (may fail on memory), then remove the old names */
	struct tmpfs_dirent *fresh = kmalloc(sizeof(*fresh) + nl + 1);
	if (!fresh) {
		inode_put(ino);
		return -ENOMEM;
	}
	if (ne) {
		remove_entry(ndir, ne, nprev);
		oe = find(odir, on, ol, &oprev);   /* the list may have changed */
	}
	bool isdir = S_ISDIR(ino->mode);
	/* detach the old entry without touching link counts */
	if (oprev)
		oprev->next = oe->next;
	else
		TN(odir)->entries = oe->next;
	if (TN(odir)->tail == oe)
		TN(odir)->tail = oprev;
	kfree(oe);
	struct tmpfs_node *d = TN(ndir);
	fresh->next = NULL;
	fresh->id = d->next_id++;
	fresh->ino = ino;          /* the reference the old entry held */
	fresh->len = nl;
	memcpy(fresh->name, nn, nl);
	fresh->name[nl] = 0;
	if (d->tail)
		d->tail->next = fresh;
	else
		d->entries = fresh;
	d->tail = fresh;
	if (isdir && odir != ndir) {
		odir->nlink--;
		ndir->nlink++;
		inode_get(ndir);
		inode_put(TN(ino)->parent);
		TN(ino)->parent = ndir;
	}
	ino->ctime = now;
	odir->mtime = odir->ctime = ndir->mtime = ndir->ctime = now;
	inode_put(ino);
	return 0;
}

static long tmpfs_readlink(struct inode *ino, char *buf, size_t n)
{
	size_t len = MIN(n, (size_t)ino->size);
	memcpy(buf, TN(ino)->target, len);
	return (long)len;
}

/* Copy up to N bytes at OFF into kernel buffer K (zeros for holes); VFS lock held. */
static size_t read_chunk(struct inode *ino, char *k, size_t n, uint64_t off)
{
	if (off >= ino->size)
		return 0;
	n = MIN(n, (size_t)(ino->size - off));
	struct tmpfs_node *t = TN(ino);
	size_t done = 0;
	while (done < n) {
		uint64_t pos = off + done;
		size_t pg = pos / PAGE_SIZE, in = pos % PAGE_SIZE, c = MIN(n - done, PAGE_SIZE - in);
		if (pg < t->npages && t->pages[pg])
			memcpy(k + done, (char *)t->pages[pg] + in, c);
		else
			memset(k + done, 0, c);
		done += c;
	}
	return done;
}

/* Read through a kernel bounce page: BUF may be app memory (see fs.h). */
static long tmpfs_read(struct inode *ino, void *buf, size_t n, off_t off)
{
	char *k = kmalloc(PAGE_SIZE);
	if (!k)
		return -ENOMEM;
	size_t done = 0;
	while (done < n) {
		vfs_lock();
		size_t got = read_chunk(ino, k, MIN(n - done, PAGE_SIZE), (uint64_t)off + done);
		if (got)
			ino->atime = time_now();
		vfs_unlock();
		if (!got)
			break;
		memcpy((char *)buf + done, k, got);
		done += got;
	}
	kfree(k);
	return (long)done;
}

/* Make pages[] at least N long. */
static int grow_array(struct tmpfs_node *t, size_t n)
{
	if (n <= t->npages)
		return 0;
	size_t cap = MAX(n, t->npages * 2);
	void **p = krealloc(t->pages, cap * sizeof(void *));
	if (!p)
		return -ENOMEM;
	memset(p + t->npages, 0, (cap - t->npages) * sizeof(void *));
	t->pages = p;
	t->npages = cap;
	return 0;
}

/* The page holding file page PG, allocated (zeroed) for a hole: -ENOSPC
 * when the fs is full. pages[] covers PG. VFS lock held. */
static int page_get(struct inode *ino, size_t pg, void **out)
{
	struct tmpfs_node *t = TN(ino);
	struct tmpfs_sb *sb = TSB(ino);
	if (!t->pages[pg]) {
		if (sb->pages_used >= sb->pages_max || !(t->pages[pg] = page_alloc(1)))
			return -ENOSPC;
		sb->pages_used++;
		ino->blocks += PAGE_SIZE / 512;
	}
	*out = t->pages[pg];
	return 0;
}

/* Store N bytes of kernel buffer K at OFF; VFS lock held. Returns bytes stored or -errno. */
static long write_chunk(struct inode *ino, const char *k, size_t n, uint64_t off)
{
	int err = grow_array(TN(ino), (off + n + PAGE_SIZE - 1) / PAGE_SIZE);
	if (err)
		return err;
	size_t done = 0;
	while (done < n) {
		uint64_t pos = off + done;
		size_t pg = pos / PAGE_SIZE, in = pos % PAGE_SIZE, c = MIN(n - done, PAGE_SIZE - in);
		void *page;
		if ((err = page_get(ino, pg, &page)))
			break;
		memcpy((char *)page + in, k + done, c);
		done += c;
	}
	if (!done)
		return err;
	if (off + done > ino->size)
		ino->size = off + done;
	ino->mtime = ino->ctime = time_now();
	return (long)done;
}

/* Write through a kernel bounce page: BUF may be app memory (see fs.h). */
static long tmpfs_write(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append)
{
	if (*pos < 0 && !append)
		return -EINVAL;
	if (!n)
		return 0;
	char *k = kmalloc(PAGE_SIZE);
	if (!k)
		return -ENOMEM;
	long done = 0;
	while ((size_t)done < n) {
		size_t c = MIN(n - (size_t)done, PAGE_SIZE);
		memcpy(k, (const char *)buf + done, c);
		vfs_lock();
		if (append && done == 0)
			*pos = (off_t)ino->size;
		long r = (uint64_t)*pos + c > (1ULL << 44) ? -EFBIG : write_chunk(ino, k, c, (uint64_t)*pos);
		vfs_unlock();
		if (r <= 0) {
			if (!done)
				done = r;
			break;
		}
		*pos += r;
		done += r;
		if ((size_t)r < c)
			break;
	}
	kfree(k);
	return done;
}

static int tmpfs_truncate(struct inode *ino, off_t size)
{
	struct tmpfs_node *t = TN(ino);
	struct tmpfs_sb *sb = TSB(ino);
	uint64_t keep = ((uint64_t)size + PAGE_SIZE - 1) / PAGE_SIZE;
	for (size_t pg = keep; pg < t->npages; pg++)
		if (t->pages[pg]) {
			page_free(t->pages[pg], 1);
			t->pages[pg] = NULL;
			sb->pages_used--;
			ino->blocks -= PAGE_SIZE / 512;
		}
	/* zero the tail of a kept partial page so a later grow reads zeros */
	if ((uint64_t)size % PAGE_SIZE && keep - 1 < t->npages && t->pages[keep - 1]) {
		size_t in = (uint64_t)size % PAGE_SIZE;
		memset((char *)t->pages[keep - 1] + in, 0, PAGE_SIZE - in);
	}
	ino->size = (uint64_t)size;
	ino->mtime = ino->ctime = time_now();
	return 0;
}

/* Mappings share the file's own data page (a hole gets its page now, so
 * later writes reach the mapping): coherent with read/write by construction.
 * The page lives until a truncate below it, which unmaps it everywhere
 * first (iop_truncate), so nothing is pinned and put_page is not needed. */
static int tmpfs_map_page(struct inode *ino, uint64_t pgoff, bool write, paddr_t *out)
{
	(void)write;
	int err = grow_array(TN(ino), pgoff + 1);
	void *page;
	if (!err)
		err = page_get(ino, pgoff, &page);
	if (!err)
		*out = virt_to_phys(page);
	return err;
}

/* Positions: 0 is ".", 1 is "..", then entry ids. */
static int tmpfs_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	if (*pos == 0) {
		if (c->emit(c, ".", 1, dir->ino, DT_DIR))
			return 0;
		*pos = 1;
	}
	if (*pos == 1) {
		struct inode *p = dir == dir->mnt->root ? dir : TN(dir)->parent;
		if (c->emit(c, "..", 2, p ? p->ino : dir->ino, DT_DIR))
			return 0;
		*pos = 2;
	}
	for (struct tmpfs_dirent *e = TN(dir)->entries; e; e = e->next) {
		if (e->id < (uint64_t)*pos)
			continue;
		if (c->emit(c, e->name, e->len, e->ino->ino, mode_to_dtype(e->ino->mode)))
			return 0;
		*pos = (off_t)(e->id + 1);
	}
	*pos = (off_t)TN(dir)->next_id;
	return 0;
}

/* Last reference: give back data pages and the node. */
static void tmpfs_evict(struct inode *ino)
{
	struct tmpfs_node *t = TN(ino);
	if (t) {
		if (S_ISREG(ino->mode))
			tmpfs_truncate(ino, 0);
		kfree(t->pages);
		kfree(t->target);
		inode_put(t->parent);
		while (t->entries) {     /* only when the whole fs goes away */
			struct tmpfs_dirent *e = t->entries;
			t->entries = e->next;
			inode_put(e->ino);
			kfree(e);
		}
		kfree(t);
	}
	kfree(ino);
}

static int tmpfs_statfs(struct mount *m, struct kstatfs *sf)
{
	struct tmpfs_sb *sb = m->priv;
	sf->f_type = TMPFS_MAGIC;
	sf->f_bsize = PAGE_SIZE;
	sf->f_blocks = sb->pages_max;
	sf->f_bfree = sf->f_bavail = sb->pages_max - sb->pages_used;
	sf->f_files = sb->pages_max;
	sf->f_ffree = sb->pages_max - sb->next_ino;
	sf->f_namelen = NAME_MAX;
	return 0;
}

/* Linux's tmpfs takes O_DIRECT opens since 6.6 (any alignment). */
static const struct fs_type tmpfs_type = { .name = "tmpfs", .statfs = tmpfs_statfs, .direct_io = true };

static const struct inode_ops tmpfs_iops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.mkdir = tmpfs_mkdir,
	.symlink = tmpfs_symlink,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.readlink = tmpfs_readlink,
	.read = tmpfs_read,
	.write = tmpfs_write,
	.truncate = tmpfs_truncate,
	.readdir = tmpfs_readdir,
	.evict = tmpfs_evict,
	.link = tmpfs_link,
	.tmpfile = tmpfs_tmpfile,
	.map_page = tmpfs_map_page,
};

/* A new, empty tmpfs limited to half of memory. */
int tmpfs_mount(uint64_t dev, struct mount **out)
{
	struct mount *m = mount_new(&tmpfs_type, dev, false);
	struct tmpfs_sb *sb = kzalloc(sizeof(*sb));
	if (!m || !sb) {
		kfree(m);
		kfree(sb);
		return -ENOMEM;
	}
	sb->next_ino = 1;
	sb->pages_max = frame_total() / 2;
	m->priv = sb;
	vfs_lock();
	m->root = tmpfs_new_inode(m, NULL, S_IFDIR | 01777);
	vfs_unlock();
	if (!m->root) {
		kfree(sb);
		kfree(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}
