/* Writable ext volumes, file contents: block maps that allocate (direct,
 * indirect, double, triple), reads and writes through the page cache
 * (data pages are ordered writes, never journaled), truncate and hole
 * punching that free data and indirect blocks, fallocate. */
#include "ext2.h"
#include "jbd.h"
#include "../include/mm.h"

#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#define WRITE_CREDITS 24        /* inode, <= 3 indirect levels new and changed, bitmap, gd, sb */

/* The largest file size an indirect-mapped file may reach: 2^32 512-byte
 * i_blocks less the mapping blocks, as ext4 computes it without huge_file. */
static uint64_t max_bytes(struct ext2_fs *fs)
{
	uint64_t p = fs->bs / 4;
	uint64_t upper = (((1ULL << 32) - 1) / (fs->bs / 512)) - (1 + (1 + p) + (1 + p + p * p));
	uint64_t res = EXT2_NDIR + p + p * p + p * p * p;
	return MIN(res, upper) * fs->bs;
}

/* The path to logical block LBN: indexes into the inode's i_block, then
 * into each indirect level; returns the depth (0 = direct) or -EFBIG. */
static int block_path(struct ext2_fs *fs, uint64_t lbn, uint32_t idx[4])
{
	uint64_t p = fs->bs / 4;
	if (lbn < EXT2_NDIR) {
		idx[0] = (uint32_t)lbn;
		return 0;
	}
	lbn -= EXT2_NDIR;
	if (lbn < p) {
		idx[0] = EXT2_IND;
		idx[1] = (uint32_t)lbn;
		return 1;
	}
	lbn -= p;
	if (lbn < p * p) {
		idx[0] = EXT2_DIND;
		idx[1] = (uint32_t)(lbn / p);
		idx[2] = (uint32_t)(lbn % p);
		return 2;
	}
	lbn -= p * p;
	if (lbn < p * p * p) {
		idx[0] = EXT2_TIND;
		idx[1] = (uint32_t)(lbn / (p * p));
		idx[2] = (uint32_t)(lbn / p % p);
		idx[3] = (uint32_t)(lbn % p);
		return 3;
	}
	return -EFBIG;
}

/* A new block for INO near its last one; counted in i_blocks. */
static int alloc_for(struct inode *ino, uint32_t *out)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	int err = ext2_new_block(fs, ii->goal, out);
	if (err)
		return err;
	ii->goal = *out + 1;
	ino->blocks += fs->bs / 512;
	return 0;
}

/* Physical block of LBN, allocating it and the indirect blocks on the way
 * when missing (*FRESH: the data block is new, its page must be zeroed).
 * The caller writes the inode. Handle open. */
int ext2_bmap_alloc(struct inode *ino, uint64_t lbn, uint32_t *out, bool *fresh)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	uint32_t idx[4];
	int depth = block_path(fs, lbn, idx), err;
	if (depth < 0)
		return depth;
	*fresh = false;
	uint32_t *top = &ii->block[idx[0]];
	if (!*top) {
		if ((err = alloc_for(ino, top)))
			return err;
		if (depth == 0) {
			*fresh = true;
		} else {
			struct pc_page *z;
			if ((err = ext2_meta_get(fs, *top, true, &z)))
				return err;
			ext2_meta_put(fs, z);
		}
	}
	uint32_t blk = *top;
	for (int lvl = 1; lvl <= depth; lvl++) {
		struct pc_page *p;
		if ((err = ext2_meta_get(fs, blk, false, &p)))
			return err;
		uint8_t *ent = (uint8_t *)p->data + idx[lvl] * 4;
		uint32_t next = le32(ent);
		if (!next) {
			if ((err = alloc_for(ino, &next))) {
				pcache_put(p);
				return err;
			}
			put32(ent, next);
			ext2_meta_put(fs, p);
			if (lvl == depth) {
				*fresh = true;
			} else {
				struct pc_page *z;
				if ((err = ext2_meta_get(fs, next, true, &z)))
					return err;
				ext2_meta_put(fs, z);
			}
		} else {
			pcache_put(p);
		}
		blk = next;
	}
	*out = blk;
	return 0;
}

/* Free what the map entry at SLOT (DEPTH levels of indirection above the
 * data, covering logical blocks from BASE) holds in [START, END). SLOT is a
 * little-endian word in PAGE (journaled on change) or in the inode (PAGE
 * NULL: the caller writes the inode). An indirect block left empty goes too. */
static int free_range(struct inode *ino, uint8_t *slot, struct pc_page *page, int depth, uint64_t base,
		      uint64_t start, uint64_t end)
{
	struct ext2_fs *fs = ext2_sb(ino);
	uint64_t p = fs->bs / 4, span = 1;
	for (int i = 0; i < depth; i++)
		span *= p;
	uint32_t blk = le32(slot);
	if (!blk || base >= end || base + span <= start)
		return 0;
	int err;
	bool whole = base >= start && base + span <= end;
	if (depth > 0) {
		struct pc_page *ip;
		if ((err = ext2_meta_get(fs, blk, false, &ip)))
			return err;
		uint64_t cspan = span / p;
		bool empty = true;
		for (uint64_t i = 0; i < p; i++) {
			uint8_t *e = (uint8_t *)ip->data + i * 4;
			if ((err = free_range(ino, e, ip, depth - 1, base + i * cspan, start, end))) {
				pcache_put(ip);
				return err;
			}
			if (le32(e))
				empty = false;
		}
		pcache_put(ip);
		if (!empty && !whole)
			return 0;
	}
	bool meta = depth > 0 || !S_ISREG(ino->mode);
	if ((err = ext2_free_block(fs, blk, meta)))
		return err;
	put32(slot, 0);
	ino->blocks -= MIN(ino->blocks, (uint64_t)fs->bs / 512);
	if (page)   /* journaled at once: a restart must not commit the freed bit without it */
		ext2_meta_dirty(fs, page);
	return ext2_restart(fs, ino);
}

/* Free INO's blocks in [START, END) logical blocks. Handle open. */
static int free_blocks(struct inode *ino, uint64_t start, uint64_t end)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	uint64_t p = fs->bs / 4;
	static const int depth[15] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3 };
	uint64_t base[15];
	for (int i = 0; i < EXT2_NDIR; i++)
		base[i] = (uint64_t)i;
	base[EXT2_IND] = EXT2_NDIR;
	base[EXT2_DIND] = EXT2_NDIR + p;
	base[EXT2_TIND] = EXT2_NDIR + p + p * p;
	for (int i = 14; i >= 0; i--) {
		uint8_t raw[4];
		put32(raw, ii->block[i]);
		int err = free_range(ino, raw, NULL, depth[i], base[i], start, end);
		ii->block[i] = le32(raw);
		if (err)
			return err;
	}
	return ext2_write_inode(ino);
}

/* Free every block of INO from logical block KEEP on. Handle open. */
int ext2_truncate_blocks(struct inode *ino, uint64_t keep)
{
	return free_blocks(ino, keep, UINT64_MAX);
}

/* Zero bytes [FROM, TO) of the block holding FROM, if it is mapped (the
 * rest of a block a shrink or a punch keeps must read as zeros later). */
static int zero_part(struct inode *ino, uint64_t from, uint64_t to)
{
	struct ext2_fs *fs = ext2_sb(ino);
	uint32_t blk;
	int err = ext2_bmap(ino, from / fs->bs, &blk);
	if (err || !blk)
		return err;
	struct pc_page *p;
	if ((err = pcache_get(fs->dev, blk, &p)))
		return err;
	memset((char *)p->data + from % fs->bs, 0, (size_t)(to - from));
	pcache_dirty(p);
	pcache_put(p);
	return 0;
}

/* Read file data at OFF through a kernel bounce page, the VFS lock held
 * around each block's mapping and copy (a truncate may run between). */
long ext2_wread(struct inode *ino, void *buf, size_t n, off_t off)
{
	struct ext2_fs *fs = ext2_sb(ino);
	if (off < 0)
		return -EINVAL;
	char *k = kmalloc(fs->bs);
	if (!k)
		return -ENOMEM;
	size_t done = 0;
	long err = 0;
	while (done < n) {
		uint64_t pos = (uint64_t)off + done;
		vfs_lock();
		uint64_t size = ino->size;
		size_t c = 0;
		if (pos < size) {
			c = MIN(n - done, (size_t)(fs->bs - pos % fs->bs));
			c = (size_t)MIN((uint64_t)c, size - pos);
			err = ext2_read(ino, k, c, (off_t)pos);
		}
		vfs_unlock();
		if (!c || err < 0)
			break;
		memcpy((char *)buf + done, k, c);
		done += c;
	}
	kfree(k);
	return done ? (long)done : err;
}

/* Store C bytes of K at POS (within one block). VFS lock held. */
static long write_block(struct inode *ino, const char *k, size_t c, uint64_t pos)
{
	struct ext2_fs *fs = ext2_sb(ino);
	int err = ext2_begin(fs, WRITE_CREDITS);
	if (err)
		return err;
	uint32_t blk;
	bool fresh;
	uint32_t in = (uint32_t)(pos % fs->bs);
	err = ext2_bmap_alloc(ino, pos / fs->bs, &blk, &fresh);
	if (!err) {
		struct pc_page *p;
		bool whole = in == 0 && c == fs->bs;
		err = fresh || whole ? pcache_get_new(fs->dev, blk, &p) : pcache_get(fs->dev, blk, &p);
		if (!err) {
			memcpy((char *)p->data + in, k, c);
			pcache_dirty(p);
			pcache_put(p);
			if (pos + c > ino->size)
				ino->size = pos + c;
			ino->mtime = ino->ctime = time_now();
		}
	}
	int e2 = ext2_write_inode(ino);
	ext2_end(fs);
	err = err ? err : e2;
	return err ? err : (long)c;
}

/* Write at *POS (at the end with APPEND) block by block, each its own handle. */
long ext2_write(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append)
{
	struct ext2_fs *fs = ext2_sb(ino);
	if (*pos < 0 && !append)
		return -EINVAL;
	if (!n)
		return 0;
	char *k = kmalloc(fs->bs);
	if (!k)
		return -ENOMEM;
	uint64_t limit = max_bytes(fs);
	long done = 0;
	while ((size_t)done < n) {
		vfs_lock();
		if (append && done == 0)
			*pos = (off_t)ino->size;
		uint64_t at = (uint64_t)*pos;
		size_t c = MIN(n - (size_t)done, (size_t)(fs->bs - at % fs->bs));
		vfs_unlock();
		memcpy(k, (const char *)buf + done, c);   /* app memory: unlocked */
		vfs_lock();
		long r;
		if (at >= limit)
			r = -EFBIG;
		else
			r = write_block(ino, k, (size_t)MIN((uint64_t)c, limit - at), at);
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

/* Set the size: a shrink frees the blocks past it (on the orphan list
 * meanwhile, so a crash mid-way is finished at the next mount); a grow
 * leaves a hole. */
int ext2_truncate(struct inode *ino, off_t size)
{
	struct ext2_fs *fs = ext2_sb(ino);
	if ((uint64_t)size > max_bytes(fs))
		return -EFBIG;
	int err = ext2_begin(fs, WRITE_CREDITS + 96);
	if (err)
		return err;
	uint64_t ns = (uint64_t)size;
	if (ns < ino->size) {
		if (ns % fs->bs)
			err = zero_part(ino, ns, ns - ns % fs->bs + fs->bs);
		uint64_t keep = (ns + fs->bs - 1) / fs->bs;
		bool was_orphan = ext2_ii(ino)->orphan;
		ino->size = ns;
		if (!err)
			err = ext2_orphan_add(ino);
		if (!err)
			err = ext2_truncate_blocks(ino, keep);
		if (!err && !was_orphan)
			err = ext2_orphan_del(ino);
	} else {
		ino->size = ns;
	}
	ino->mtime = ino->ctime = time_now();
	int e2 = ext2_write_inode(ino);
	ext2_end(fs);
	return err ? err : e2;
}

/* Persist attributes the VFS changed in INO. */
int ext2_setattr(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	int err = ext2_begin(fs, 4);
	if (err)
		return err;
	err = ext2_write_inode(ino);
	ext2_end(fs);
	return err;
}

/* fsync and fdatasync: commit the journal (data first, then a device flush)
 * while it still holds a change of INO they must keep; otherwise the data
 * and one flush are enough (an overwrite's mtime is not fdatasync's). */
int ext2_fsync(struct inode *ino, bool datasync)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	if (!fs->rw)
		return 0;
	bool pending = datasync ? ii->dsync_pending && !jbd_committed(fs->j, ii->dsync_seq)
				: ii->sync_pending && !jbd_committed(fs->j, ii->sync_seq);
	return pending ? ext2_commit(fs) : jbd_sync_data(fs->j);
}

/* fallocate. PUNCH_HOLE|KEEP_SIZE frees whole blocks and zeroes the partial
 * ends, as ext4 does for any file. Mode 0 allocates zeroed blocks (without
 * extents there are no unwritten ones, so zeros are written): Linux's ext4
 * answers -EOPNOTSUPP for an indirect-mapped file and glibc's
 * posix_fallocate then writes the zeros itself; we do it here, the same
 * result on disk. KEEP_SIZE alone cannot be kept: an indirect-mapped file
 * may hold no blocks past i_size (e2fsck says so), so it is -EOPNOTSUPP as
 * in Linux, like every other mode. */
int ext2_fallocate(struct inode *ino, int mode, off_t off, off_t len)
{
	struct ext2_fs *fs = ext2_sb(ino);
	if (mode != 0 && mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (!S_ISREG(ino->mode))
		return S_ISDIR(ino->mode) ? -EISDIR : -ENODEV;
	uint64_t start = (uint64_t)off, end = start + (uint64_t)len;
	if (end < start || end > max_bytes(fs))
		return -EFBIG;
	int err;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		/* as ext4: up to the end of the block holding the last byte */
		end = MIN(end, (ino->size + fs->bs - 1) / fs->bs * fs->bs);
		if (start >= end)
			return 0;
		if ((err = ext2_begin(fs, WRITE_CREDITS + 96)))
			return err;
		uint64_t first = (start + fs->bs - 1) / fs->bs, last = end / fs->bs;
		if (start / fs->bs == (end - 1) / fs->bs && (start % fs->bs || end % fs->bs)) {
			err = zero_part(ino, start, end);
		} else {
			if (start % fs->bs)
				err = zero_part(ino, start, first * fs->bs);
			if (!err && end % fs->bs)
				err = zero_part(ino, last * fs->bs, end);
			if (!err && first < last)
				err = free_blocks(ino, first, last);
		}
		ino->mtime = ino->ctime = time_now();
		int e2 = ext2_write_inode(ino);
		ext2_end(fs);
		return err ? err : e2;
	}
	for (uint64_t lbn = start / fs->bs; lbn <= (end - 1) / fs->bs; lbn++) {
		if ((err = ext2_begin(fs, WRITE_CREDITS)))
			return err;
		uint32_t blk;
		bool fresh;
		err = ext2_bmap_alloc(ino, lbn, &blk, &fresh);
		if (!err && fresh) {
			struct pc_page *p;
			if (!(err = pcache_get_new(fs->dev, blk, &p))) {
				pcache_dirty(p);
				pcache_put(p);
			}
		}
		uint64_t upto = MIN((lbn + 1) * fs->bs, end);
		if (!err && upto > ino->size)
			ino->size = upto;
		if (!err && lbn == (end - 1) / fs->bs)
			ino->ctime = time_now();
		int e2 = ext2_write_inode(ino);
		ext2_end(fs);
		if (err || e2)
			return err ? err : e2;
	}
	return 0;
}

/* Shared mappings use the file's own page-cache page, pinned while mapped
 * (coherent with read and write by construction). A hole gets its block at
 * the first fault on a writable volume, even a read fault: a read-only
 * zero page there could not be told apart from the block a later store
 * allocates when the mapping is put. On a read-only volume holes map one
 * shared zero page (never writable, and no block can appear under it). */
int ext2_map_page(struct inode *ino, uint64_t pgoff, bool write, paddr_t *out)
{
	struct ext2_fs *fs = ext2_sb(ino);
	static void *zero_page;
	uint32_t blk;
	int err = ext2_bmap(ino, pgoff, &blk);
	if (err)
		return err;
	struct pc_page *p;
	if (!blk && !fs->rw) {
		if (write)
			return -EROFS;
		if (!zero_page && !(zero_page = page_alloc(1)))
			return -ENOMEM;
		memset(zero_page, 0, PAGE_SIZE);
		*out = virt_to_phys(zero_page);
		return 0;
	}
	if (!blk) {
		if ((err = ext2_begin(fs, WRITE_CREDITS)))
			return err;
		bool fresh;
		err = ext2_bmap_alloc(ino, pgoff, &blk, &fresh);
		if (!err)
			err = pcache_get_new(fs->dev, blk, &p);
		if (!err)
			pcache_dirty(p);
		int e2 = ext2_write_inode(ino);
		ext2_end(fs);
		if (err || e2) {
			if (!err)
				pcache_put(p);
			return err ? err : e2;
		}
	} else if ((err = pcache_get(fs->dev, blk, &p))) {
		return err;
	}
	*out = virt_to_phys(p->data);   /* the pin is the mapping's until put_page(UNMAP) */
	return 0;
}

/* A mapping stored to page PGOFF (DIRTY) or is gone (UNMAP: its pin dropped).
 * Neither lock is taken: the block under a mapped page cannot change (a
 * truncate unmaps first), so its map is stable. */
void ext2_put_page(struct inode *ino, uint64_t pgoff, bool dirty, bool unmap)
{
	struct ext2_fs *fs = ext2_sb(ino);
	uint32_t blk;
	struct pc_page *p;
	if (ext2_bmap(ino, pgoff, &blk) || !blk || pcache_get(fs->dev, blk, &p))
		return;
	if (dirty) {
		pcache_dirty(p);
		fs->dirty++;   /* the committer writes it back within 5 s */
	}
	pcache_put(p);
	if (unmap)
		pcache_put(p);
}
