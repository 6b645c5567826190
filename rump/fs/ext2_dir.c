/* ext2 directories: linear entries (with or without the filetype feature).
 * Indexed (dir_index) directories read the same way: their index blocks
 * look like empty entries. */
#include "ext2.h"

static const uint8_t ext2_dtype[8] = { DT_UNKNOWN, DT_REG, DT_DIR, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_LNK };

/* Parse the entry at offset OFF of block BUF (size BS); -EIO if malformed. */
int ext2_parse_entry(struct ext2_fs *fs, const uint8_t *buf, uint32_t off, struct ext2_dirent *e)
{
	if (off + 8 > fs->bs)
		return -EIO;
	const uint8_t *p = buf + off;
	e->ino = le32(p);
	e->rec_len = le16(p + 4);
	if (fs->incompat & EXT2_INCOMPAT_FILETYPE) {
		e->name_len = p[6];
		e->type = p[7];
	} else {
		e->name_len = le16(p + 6);
		e->type = 0;
	}
	e->name = (const char *)p + 8;
	/* rec_len 0 in a 64 KiB block means 65536, which does not fit 16 bits */
	if (e->rec_len < 8 || e->rec_len % 4 || off + e->rec_len > fs->bs ||
	    (e->ino && 8u + e->name_len > e->rec_len)) {
		klog_once("ext2-baddir", "ext2: malformed directory entry (corrupt fs?)\n");
		return -EIO;
	}
	return 0;
}

/* Read logical block LBN of directory DIR into BUF (a hole reads as zeros). */
static int dir_block(struct inode *dir, uint64_t lbn, uint8_t *buf)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint32_t blk;
	int err = ext2_bmap(dir, lbn, &blk);
	if (err)
		return err;
	if (!blk) {
		memset(buf, 0, fs->bs);
		/* a hole in a directory: make the block one empty entry */
		buf[4] = (uint8_t)fs->bs;
		buf[5] = (uint8_t)(fs->bs >> 8);
		return 0;
	}
	return pcache_read(fs->dev, (uint64_t)blk * fs->bs, buf, fs->bs);
}

/* Find NAME in DIR; a new reference to its inode, or -ENOENT. */
int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint8_t *buf = kmalloc(fs->bs);
	if (!buf)
		return -ENOMEM;
	int err = -ENOENT;
	uint64_t nblocks = (dir->size + fs->bs - 1) / fs->bs;
	for (uint64_t b = 0; b < nblocks && err == -ENOENT; b++) {
		int e2 = dir_block(dir, b, buf);
		if (e2) {
			err = e2;
			break;
		}
		for (uint32_t off = 0; off < fs->bs;) {
			struct ext2_dirent e;
			if ((e2 = ext2_parse_entry(fs, buf, off, &e))) {
				err = e2;
				break;
			}
			if (e.ino && e.name_len == len && !memcmp(e.name, name, len)) {
				err = ext2_iget(dir->mnt, e.ino, out);
				break;
			}
			off += e.rec_len;
		}
	}
	kfree(buf);
	return err;
}

/* Emit entries from byte offset *POS on. */
int ext2_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c)
{
	struct ext2_fs *fs = ext2_sb(dir);
	if (*pos < 0)
		return -EINVAL;
	uint8_t *buf = kmalloc(fs->bs);
	if (!buf)
		return -ENOMEM;
	int err = 0;
	while ((uint64_t)*pos < dir->size) {
		uint64_t b = (uint64_t)*pos / fs->bs;
		if ((err = dir_block(dir, b, buf)))
			break;
		/* Walk from the block start so a stale cookie lands on an entry boundary. */
		uint32_t want = (uint32_t)((uint64_t)*pos % fs->bs), off = 0;
		bool full = false;
		while (off < fs->bs) {
			struct ext2_dirent e;
			if ((err = ext2_parse_entry(fs, buf, off, &e)))
				break;
			if (off >= want && e.ino) {
				unsigned t = (fs->incompat & EXT2_INCOMPAT_FILETYPE) && e.type < 8 ? ext2_dtype[e.type] : DT_UNKNOWN;
				if (c->emit(c, e.name, e.name_len, e.ino, t)) {
					full = true;
					break;
				}
			}
			off += e.rec_len;
			if (off > want)
				*pos = (off_t)(b * fs->bs + off);
		}
		if (err || full)
			break;
		*pos = (off_t)((b + 1) * fs->bs);
	}
	kfree(buf);
	return err;
}
