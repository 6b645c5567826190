/* Writable ext volumes, the namespace: directory entries added and removed
 * in linear directories, create, mkdir, symlink, link, unlink, rmdir and
 * rename (replace, RENAME_EXCHANGE, directories moving between parents).
 * The VFS has checked the names, existence, mount and loop rules; each call
 * here is one journal handle under the VFS lock. An inode whose last link
 * goes is put on the orphan list; it is freed when its last reference goes
 * (ext2_vol_evict), so a file unlinked while open keeps its data until then. */
#include "ext2.h"

#define LINK_MAX 65000
#define NS_CREDITS 40

/* Where an entry was found: its block's page (pinned), offset and the previous entry's. */
struct dslot {
	struct pc_page *p;
	uint32_t off;
	int32_t prev;               /* -1: first in its block */
	uint32_t ino;
	uint8_t type;
};

static uint8_t ftype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 1;
	case S_IFDIR: return 2;
	case S_IFCHR: return 3;
	case S_IFBLK: return 4;
	case S_IFIFO: return 5;
	case S_IFSOCK: return 6;
	case S_IFLNK: return 7;
	}
	return 0;
}

/* Find NAME in DIR: S gets the pinned page and position; -ENOENT if absent. */
static int dir_find(struct inode *dir, const char *name, size_t len, struct dslot *s)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint64_t nblocks = (dir->size + fs->bs - 1) / fs->bs;
	for (uint64_t b = 0; b < nblocks; b++) {
		uint32_t blk;
		int err = ext2_bmap(dir, b, &blk);
		if (err)
			return err;
		if (!blk)
			continue;
		struct pc_page *p;
		if ((err = ext2_meta_get(fs, blk, false, &p)))
			return err;
		int32_t prev = -1;
		for (uint32_t off = 0; off < fs->bs;) {
			struct ext2_dirent e;
			if ((err = ext2_parse_entry(fs, p->data, off, &e))) {
				pcache_put(p);
				return err;
			}
			if (e.ino && e.name_len == len && !memcmp(e.name, name, len)) {
				*s = (struct dslot){ p, off, prev, e.ino, e.type };
				return 0;
			}
			prev = (int32_t)off;
			off += e.rec_len;
		}
		pcache_put(p);
	}
	return -ENOENT;
}

/* Write an entry at BUF+OFF with record length REC. */
static void put_entry(struct ext2_fs *fs, uint8_t *e, uint32_t rec, uint32_t ino, const char *name, size_t len,
		      uint32_t mode)
{
	put32(e, ino);
	put16(e + 4, rec);
	e[6] = (uint8_t)len;
	e[7] = (fs->incompat & EXT2_INCOMPAT_FILETYPE) ? ftype(mode) : 0;
	memcpy(e + 8, name, len);
}

/* A directory that changes loses its hash index (we keep none), as Linux does. */
static void touch_dir(struct inode *dir)
{
	ext2_ii(dir)->flags &= ~(uint32_t)EXT2_INDEX_FL;
	dir->mtime = dir->ctime = time_now();
}

/* Add NAME -> INO (of MODE) to DIR: into the slack of an entry or an unused
 * one, else in a new block at the end. Handle open; writes DIR. */
static int add_entry(struct inode *dir, const char *name, size_t len, uint32_t ino, uint32_t mode)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint32_t need = (uint32_t)(8 + len + 3) & ~3u;
	uint64_t nblocks = (dir->size + fs->bs - 1) / fs->bs;
	int err;
	for (uint64_t b = 0; b < nblocks; b++) {
		uint32_t blk;
		if ((err = ext2_bmap(dir, b, &blk)))
			return err;
		if (!blk)
			continue;
		struct pc_page *p;
		if ((err = ext2_meta_get(fs, blk, false, &p)))
			return err;
		uint8_t *d = p->data;
		for (uint32_t off = 0; off < fs->bs;) {
			struct ext2_dirent e;
			if ((err = ext2_parse_entry(fs, d, off, &e))) {
				pcache_put(p);
				return err;
			}
			uint32_t used = e.ino ? (8u + e.name_len + 3) & ~3u : 0;
			if (e.rec_len - used >= need) {
				if (used) {
					put16(d + off + 4, used);
					put_entry(fs, d + off + used, e.rec_len - used, ino, name, len, mode);
				} else {
					put_entry(fs, d + off, e.rec_len, ino, name, len, mode);
				}
				ext2_meta_put(fs, p);
				touch_dir(dir);
				return ext2_write_inode(dir);
			}
			off += e.rec_len;
		}
		pcache_put(p);
	}
	uint32_t blk;
	bool fresh;
	if ((err = ext2_bmap_alloc(dir, nblocks, &blk, &fresh)))
		goto out;
	struct pc_page *p;
	if ((err = ext2_meta_get(fs, blk, true, &p)))
		goto out;
	put_entry(fs, p->data, fs->bs, ino, name, len, mode);
	ext2_meta_put(fs, p);
	dir->size = (nblocks + 1) * fs->bs;
	touch_dir(dir);
out:;
	int e2 = ext2_write_inode(dir);
	return err ? err : e2;
}

/* Remove the entry at S (consumes the pin): merged into the one before it,
 * or marked unused when first in its block. */
static void del_entry(struct inode *dir, struct dslot *s)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint8_t *d = s->p->data;
	if (s->prev >= 0)
		put16(d + s->prev + 4, le16(d + s->prev + 4) + le16(d + s->off + 4));
	else
		put32(d + s->off, 0);
	ext2_meta_put(fs, s->p);
	touch_dir(dir);
}

/* Point the entry at S (consumes the pin) to INO of MODE. */
static void set_entry(struct inode *dir, struct dslot *s, uint32_t ino, uint32_t mode)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint8_t *e = (uint8_t *)s->p->data + s->off;
	put32(e, ino);
	if (fs->incompat & EXT2_INCOMPAT_FILETYPE)
		e[7] = ftype(mode);
	ext2_meta_put(fs, s->p);
	touch_dir(dir);
}

/* 1 if DIR holds nothing but "." and "..", 0 if it holds more, or -errno. */
static int dir_empty(struct inode *dir)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint64_t nblocks = (dir->size + fs->bs - 1) / fs->bs;
	for (uint64_t b = 0; b < nblocks; b++) {
		uint32_t blk;
		int err = ext2_bmap(dir, b, &blk);
		if (err)
			return err;
		if (!blk)
			continue;
		struct pc_page *p;
		if ((err = pcache_get(fs->dev, blk, &p)))
			return err;
		for (uint32_t off = 0; off < fs->bs;) {
			struct ext2_dirent e;
			if ((err = ext2_parse_entry(fs, p->data, off, &e))) {
				pcache_put(p);
				return err;
			}
			bool dots = (e.name_len == 1 && e.name[0] == '.') ||
				    (e.name_len == 2 && e.name[0] == '.' && e.name[1] == '.');
			if (e.ino && !dots) {
				pcache_put(p);
				return 0;
			}
			off += e.rec_len;
		}
		pcache_put(p);
	}
	return 1;
}

/* A new inode of MODE linked as DIR/NAME; for a directory its first block
 * holds "." and "..". On failure the inode is left unlinked on the orphan
 * list for its eviction to free. Handle open. */
static int new_node(struct inode *dir, const char *name, size_t len, uint32_t mode, const char *target,
		    struct inode **out)
{
	struct ext2_fs *fs = ext2_sb(dir);
	struct inode *ino;
	int err = ext2_new_inode(dir, mode, &ino);
	if (err)
		return err;
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	if (S_ISDIR(mode) || (target && strlen(target) >= 60)) {
		uint32_t blk;
		bool fresh;
		struct pc_page *p = NULL;
		err = ext2_bmap_alloc(ino, 0, &blk, &fresh);
		if (!err)
			err = ext2_meta_get(fs, blk, true, &p);
		if (!err && S_ISDIR(mode)) {
			put_entry(fs, p->data, 12, (uint32_t)ino->ino, ".", 1, S_IFDIR);
			put_entry(fs, (uint8_t *)p->data + 12, fs->bs - 12, (uint32_t)dir->ino, "..", 2, S_IFDIR);
			ino->size = fs->bs;
		} else if (!err) {
			memcpy(p->data, target, strlen(target));
			ino->size = strlen(target);
		}
		if (p)
			ext2_meta_put(fs, p);
	} else if (target) {
		memcpy(ext2_ii(ino)->block, target, strlen(target));
		ino->size = strlen(target);
	}
	if (!err)
		err = ext2_write_inode(ino);
	if (!err)
		err = add_entry(dir, name, len, (uint32_t)ino->ino, mode);
	if (!err && S_ISDIR(mode)) {
		dir->nlink++;
		err = ext2_write_inode(dir);
	}
	if (err) {
		ino->nlink = 0;
		ext2_orphan_add(ino);
		ext2_write_inode(ino);
	}
	*out = ino;
	return err;
}

/* Make the new node and drop (after the handle ends) or return the reference. */
static int make(struct inode *dir, const char *name, size_t len, uint32_t mode, const char *target,
		struct inode **out)
{
	struct ext2_fs *fs = ext2_sb(dir);
	if (S_ISDIR(mode) && dir->nlink >= LINK_MAX)
		return -EMLINK;
	int err = ext2_begin(fs, NS_CREDITS);
	if (err)
		return err;
	struct inode *ino = NULL;
	err = new_node(dir, name, len, mode, target, &ino);
	ext2_end(fs);
	if (err || !out)
		inode_put(ino);   /* outside the handle: the eviction starts its own */
	else
		*out = ino;
	return err;
}

int ext2_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	return make(dir, name, len, mode, NULL, out);
}

int ext2_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode)
{
	return make(dir, name, len, mode, NULL, NULL);
}

/* Fast symlinks (< 60 bytes) keep the target in i_block, longer ones in a block. */
int ext2_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	return make(dir, name, len, S_IFLNK | 0777, target, NULL);
}

/* O_TMPFILE: a nameless inode (links 0, on the orphan list until linked or closed). */
int ext2_tmpfile(struct inode *dir, uint32_t mode, struct inode **out)
{
	struct ext2_fs *fs = ext2_sb(dir);
	int err = ext2_begin(fs, NS_CREDITS);
	if (err)
		return err;
	struct inode *ino = NULL;
	err = ext2_new_inode(dir, mode, &ino);
	if (!err)
		err = ext2_orphan_add(ino);
	ext2_end(fs);
	if (err)
		inode_put(ino);
	else
		*out = ino;
	return err;
}

/* A new name for TARGET (not a directory, same mount: checked by the VFS). */
int ext2_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	struct ext2_fs *fs = ext2_sb(dir);
	if (target->nlink >= LINK_MAX)
		return -EMLINK;
	int err = ext2_begin(fs, NS_CREDITS);
	if (err)
		return err;
	err = add_entry(dir, name, len, (uint32_t)target->ino, target->mode);
	if (!err) {
		/* an O_TMPFILE inode (the VFS checked it may be linked) leaves the orphan list */
		if (!target->nlink++)
			err = ext2_orphan_del(target);
		target->ctime = time_now();
		int e2 = ext2_write_inode(target);
		err = err ? err : e2;
	}
	ext2_end(fs);
	return err;
}

/* One link of INO is gone (its entry already removed): at zero it goes on
 * the orphan list until its last reference. Handle open. */
static int drop_link(struct inode *ino)
{
	if (S_ISDIR(ino->mode))
		ino->nlink = 0;
	else if (ino->nlink)
		ino->nlink--;
	ino->ctime = time_now();
	if (!ino->nlink) {
		int err = ext2_orphan_add(ino);
		if (err)
			return err;
	}
	return ext2_write_inode(ino);
}

/* unlink and rmdir: remove DIR/NAME (a directory must be empty). */
static int remove_name(struct inode *dir, const char *name, size_t len, bool isdir)
{
	struct ext2_fs *fs = ext2_sb(dir);
	int err = ext2_begin(fs, NS_CREDITS);
	if (err)
		return err;
	struct dslot s;
	struct inode *victim = NULL;
	if ((err = dir_find(dir, name, len, &s)))
		goto out;
	if ((err = ext2_iget(dir->mnt, s.ino, &victim))) {
		pcache_put(s.p);
		goto out;
	}
	if (isdir) {
		int e = dir_empty(victim);
		if (e <= 0) {
			pcache_put(s.p);
			err = e < 0 ? e : -ENOTEMPTY;
			goto out;
		}
	}
	del_entry(dir, &s);
	if (isdir && dir->nlink > 2)
		dir->nlink--;
	if (!(err = ext2_write_inode(dir)))
		err = drop_link(victim);
out:
	ext2_end(fs);
	inode_put(victim);
	return err;
}

int ext2_unlink(struct inode *dir, const char *name, size_t len)
{
	return remove_name(dir, name, len, false);
}

int ext2_rmdir(struct inode *dir, const char *name, size_t len)
{
	return remove_name(dir, name, len, true);
}

/* Make directory DIR's ".." point to PARENT. */
static int set_dotdot(struct inode *dir, struct inode *parent)
{
	struct dslot s;
	int err = dir_find(dir, "..", 2, &s);
	if (err)
		return err;
	set_entry(dir, &s, (uint32_t)parent->ino, S_IFDIR);
	return 0;
}

/* RENAME_EXCHANGE: swap what the two names point to. */
static int exchange(struct inode *odir, struct dslot *os, struct inode *src, struct inode *ndir, struct dslot *ns,
		    struct inode *dst)
{
	set_entry(odir, os, (uint32_t)dst->ino, dst->mode);
	set_entry(ndir, ns, (uint32_t)src->ino, src->mode);
	int err = 0;
	if (odir != ndir) {
		if (S_ISDIR(src->mode) && (err = set_dotdot(src, ndir)))
			return err;
		if (S_ISDIR(dst->mode) && (err = set_dotdot(dst, odir)))
			return err;
		if (S_ISDIR(src->mode) != S_ISDIR(dst->mode)) {
			struct inode *gains = S_ISDIR(src->mode) ? ndir : odir, *loses = gains == ndir ? odir : ndir;
			gains->nlink++;
			loses->nlink--;
		}
	}
	src->ctime = dst->ctime = time_now();
	if ((err = ext2_write_inode(src)) || (err = ext2_write_inode(dst)) || (err = ext2_write_inode(odir)))
		return err;
	return ext2_write_inode(ndir);
}

/* Move ODIR/ON to NDIR/NN: the new name is made (or repointed) before the
 * old one goes, all in one handle, so a crash shows the old or the new state. */
int ext2_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl,
		unsigned flags)
{
	struct ext2_fs *fs = ext2_sb(odir);
	int err = ext2_begin(fs, NS_CREDITS + 16);
	if (err)
		return err;
	struct inode *src = NULL, *dst = NULL;
	struct dslot os, ns;
	if ((err = dir_find(odir, on, ol, &os)))
		goto out;
	uint32_t src_no = os.ino;
	pcache_put(os.p);
	if ((err = ext2_iget(odir->mnt, src_no, &src)))
		goto out;
	err = dir_find(ndir, nn, nl, &ns);
	if (err && err != -ENOENT)
		goto out;
	bool have_dst = !err;
	err = 0;
	if (have_dst && (err = ext2_iget(ndir->mnt, ns.ino, &dst))) {
		pcache_put(ns.p);
		goto out;
	}
	if (flags & RENAME_EXCHANGE) {
		if (!have_dst) {
			err = -ENOENT;
			goto out;
		}
		if ((err = dir_find(odir, on, ol, &os))) {
			pcache_put(ns.p);
			goto out;
		}
		err = exchange(odir, &os, src, ndir, &ns, dst);
		goto out;
	}
	bool isdir = S_ISDIR(src->mode);
	if (isdir && odir != ndir && ndir->nlink >= LINK_MAX && !(dst && S_ISDIR(dst->mode))) {
		if (have_dst)
			pcache_put(ns.p);
		err = -EMLINK;
		goto out;
	}
	if (have_dst) {
		if (S_ISDIR(dst->mode)) {
			int e = dir_empty(dst);
			if (e <= 0) {
				pcache_put(ns.p);
				err = e < 0 ? e : -ENOTEMPTY;
				goto out;
			}
		}
		set_entry(ndir, &ns, (uint32_t)src->ino, src->mode);
		if (S_ISDIR(dst->mode) && ndir->nlink > 2)
			ndir->nlink--;   /* dst's ".." goes away */
		if ((err = drop_link(dst)))
			goto out;
	} else if ((err = add_entry(ndir, nn, nl, (uint32_t)src->ino, src->mode))) {
		goto out;
	}
	if ((err = dir_find(odir, on, ol, &os)))
		goto out;
	del_entry(odir, &os);
	if (isdir && odir != ndir) {
		if ((err = set_dotdot(src, ndir)))
			goto out;
		odir->nlink--;
		ndir->nlink++;
	}
	src->ctime = time_now();
	if (!(err = ext2_write_inode(src)) && !(err = ext2_write_inode(odir)))
		err = ext2_write_inode(ndir);
out:
	ext2_end(fs);
	inode_put(src);
	inode_put(dst);
	return err;
}
