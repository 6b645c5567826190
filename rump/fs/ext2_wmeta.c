/* Writable ext volumes, the metadata layer: journaled metadata pages, inodes
 * written back to the inode table, block and inode allocation over the
 * bitmaps (free counts kept in the group descriptors and the superblock),
 * and the orphan list (inodes unlinked while open, chained through i_dtime
 * from s_last_orphan as ext3/ext4 do). All of it runs under the VFS lock,
 * inside an ext2_begin/ext2_end handle. */
#include "ext2.h"
#include "jbd.h"

#define SB_OFF 1024                 /* the superblock within fs block 0 (4 KiB blocks) */
#define HANDLE_RESTART 96           /* blocks dirtied before a long operation restarts */
#define LOW_SPACE 64                /* free blocks below which pending frees are committed first */

/* Pin fs block BLK for a metadata change; FRESH: zeroed, not read. */
int ext2_meta_get(struct ext2_fs *fs, uint32_t blk, bool fresh, struct pc_page **out)
{
	if (blk >= fs->blocks_count) {
		klog_once("ext2-badmeta", "ext2: metadata block %u out of range (corrupt fs?)\n", blk);
		return -EIO;
	}
	return fresh ? pcache_get_new(fs->dev, blk, out) : pcache_get(fs->dev, blk, out);
}

/* Hand the changed page P (still pinned) to the journal. */
void ext2_meta_dirty(struct ext2_fs *fs, struct pc_page *p)
{
	jbd_dirty_meta(fs->j, p);
	fs->handle_blocks++;
	fs->dirty++;
}

/* Journal the changed page P and unpin it. */
void ext2_meta_put(struct ext2_fs *fs, struct pc_page *p)
{
	ext2_meta_dirty(fs, p);
	pcache_put(p);
}

/* Start a handle of CREDITS blocks; with little space left, blocks freed
 * since the last commit are made reusable first (a commit needs no handle open). */
int ext2_begin(struct ext2_fs *fs, unsigned credits)
{
	if (!fs->rw)
		return -EROFS;
	if (fs->pending && fs->free_blocks - MIN(fs->pending, fs->free_blocks) < LOW_SPACE) {
		int err = ext2_commit(fs);
		if (err)
			return err;
	}
	fs->handle_blocks = 0;
	return jbd_start(fs->j, credits);
}

/* End the running handle. */
void ext2_end(struct ext2_fs *fs)
{
	jbd_stop(fs->j);
}

/* Between two steps of a long operation (truncate): once the handle holds
 * many blocks, write INO and start a new handle. */
int ext2_restart(struct ext2_fs *fs, struct inode *ino)
{
	if (fs->handle_blocks < HANDLE_RESTART)
		return 0;
	int err = ino ? ext2_write_inode(ino) : 0;
	jbd_stop(fs->j);
	fs->handle_blocks = 0;
	int e2 = jbd_start(fs->j, HANDLE_RESTART + 32);
	return err ? err : e2;
}

/* Make everything done so far durable; pending frees become reusable. */
int ext2_commit(struct ext2_fs *fs)
{
	int err = jbd_commit(fs->j);
	if (!err) {
		ext2_pending_clear(fs);
		fs->dirty = 0;
	}
	return err;
}

/* Where inode INO lives: fs block and byte offset. */
static void inode_slot(struct ext2_fs *fs, uint32_t ino, uint32_t *blk, uint32_t *off)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group, idx = (ino - 1) % fs->inodes_per_group;
	uint64_t byte = (uint64_t)idx * fs->inode_size;
	*blk = fs->itable[g] + (uint32_t)(byte / fs->bs);
	*off = (uint32_t)(byte % fs->bs);
}

/* Encode T as a 32-bit seconds field and, when the extra word fits, epoch bits and nanoseconds. */
static void put_time(uint8_t *raw, size_t isize, size_t sec_off, size_t extra_off, struct ktimespec t)
{
	put32(raw + sec_off, (uint32_t)t.sec);
	if (extra_off + 4 <= isize) {
		uint32_t epoch = (uint32_t)(((t.sec - (int64_t)(int32_t)t.sec) >> 32) & 3);
		put32(raw + extra_off, epoch | (uint32_t)t.nsec << 2);
	}
}

/* Write the in-memory inode INO to its slot, keeping fields we do not manage. */
int ext2_write_inode(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	uint32_t blk, off;
	inode_slot(fs, (uint32_t)ino->ino, &blk, &off);
	struct pc_page *p;
	int err = ext2_meta_get(fs, blk, false, &p);
	if (err)
		return err;
	uint8_t *raw = (uint8_t *)p->data + off;
	/* everything in the first 128 bytes but the three timestamps (8..19):
	 * what fdatasync must make durable when it changes */
	uint8_t before[116];
	memcpy(before, raw, 8);
	memcpy(before + 8, raw + 20, 108);
	if (S_ISCHR(ino->mode) || S_ISBLK(ino->mode)) {
		/* the device number lives in i_block: old encoding when it fits, as Linux */
		uint32_t ma = dev_major(ino->rdev), mi = dev_minor(ino->rdev);
		memset(ii->block, 0, sizeof ii->block);
		if (ma < 256 && mi < 256)
			ii->block[0] = ma << 8 | mi;
		else
			ii->block[1] = (mi & 0xff) | ma << 8 | (mi & ~0xffu) << 12;
	}
	put16(raw + 0, ino->mode);
	put16(raw + 2, ino->uid);
	put16(raw + 120, ino->uid >> 16);
	put16(raw + 24, ino->gid);
	put16(raw + 122, ino->gid >> 16);
	put32(raw + 4, (uint32_t)ino->size);
	put32(raw + 108, (uint32_t)(ino->size >> 32));
	put16(raw + 26, ino->nlink);
	put32(raw + 28, (uint32_t)ino->blocks);
	put16(raw + 116, 0);
	put32(raw + 32, ii->flags);
	put32(raw + 20, ii->dtime);
	put32(raw + 104, ii->file_acl);
	for (int i = 0; i < 15; i++)
		put32(raw + 40 + 4 * i, ii->block[i]);
	size_t isize = 128;
	if (fs->inode_size > 128)
		isize = MIN(128u + le16(raw + 128), fs->inode_size);
	put_time(raw, isize, 8, 140, ino->atime);
	put_time(raw, isize, 12, 132, ino->ctime);
	put_time(raw, isize, 16, 136, ino->mtime);
	if (ino->has_btime && isize >= 152)
		put_time(raw, isize, 144, 148, ino->btime);
	ii->sync_seq = jbd_running(fs->j);
	ii->sync_pending = true;
	if (memcmp(before, raw, 8) || memcmp(before + 8, raw + 20, 108)) {
		ii->dsync_seq = ii->sync_seq;
		ii->dsync_pending = true;
	}
	ext2_meta_put(fs, p);
	/* a file of 2 GiB or more needs large_file, which Linux turns on itself */
	if (S_ISREG(ino->mode) && ino->size >= 1ULL << 31 && !(fs->ro_compat & EXT2_ROCOMPAT_LARGE_FILE)) {
		if ((err = ext2_meta_get(fs, 0, false, &p)))
			return err;
		fs->ro_compat |= EXT2_ROCOMPAT_LARGE_FILE;
		put32((uint8_t *)p->data + SB_OFF + 100, le32((uint8_t *)p->data + SB_OFF + 100) | EXT2_ROCOMPAT_LARGE_FILE);
		ext2_meta_put(fs, p);
	}
	return 0;
}

/* Write the superblock's free counts and orphan head from memory. */
int ext2_write_sb_counts(struct ext2_fs *fs)
{
	struct pc_page *p;
	int err = ext2_meta_get(fs, 0, false, &p);
	if (err)
		return err;
	uint8_t *sb = (uint8_t *)p->data + SB_OFF;
	put32(sb + 12, fs->free_blocks);
	put32(sb + 16, fs->free_inodes);
	ext2_meta_put(fs, p);
	return 0;
}

/* Write group G's descriptor counts from memory. */
int ext2_write_group(struct ext2_fs *fs, uint32_t g)
{
	uint64_t byte = (uint64_t)g * 32;
	struct pc_page *p;
	int err = ext2_meta_get(fs, fs->first_data_block + 1 + (uint32_t)(byte / fs->bs), false, &p);
	if (err)
		return err;
	uint8_t *gd = (uint8_t *)p->data + byte % fs->bs;
	struct ext2_group *gr = &fs->groups[g];
	put16(gd + 12, gr->free_blocks);
	put16(gd + 14, gr->free_inodes);
	put16(gd + 16, gr->used_dirs);
	ext2_meta_put(fs, p);
	return 0;
}

/* Blocks in group G (the last one may be short). */
static uint32_t group_blocks(struct ext2_fs *fs, uint32_t g)
{
	uint32_t first = fs->first_data_block + g * fs->blocks_per_group;
	return MIN(fs->blocks_per_group, fs->blocks_count - first);
}

static bool bit_get(const uint8_t *map, uint32_t i) { return map[i / 8] >> (i % 8) & 1; }
static void bit_set(uint8_t *map, uint32_t i) { map[i / 8] |= (uint8_t)(1u << (i % 8)); }
static void bit_clear(uint8_t *map, uint32_t i) { map[i / 8] &= (uint8_t)~(1u << (i % 8)); }

/* Is some block freed since the last commit waiting? */
bool ext2_pending_any(struct ext2_fs *fs)
{
	return fs->pending != 0;
}

/* The last commit made every pending free durable: they may be reused. */
void ext2_pending_clear(struct ext2_fs *fs)
{
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		kfree(fs->groups[g].pending);
		fs->groups[g].pending = NULL;
	}
	fs->pending = 0;
}

/* A free bit of BITMAP in [FROM, N) then [0, FROM) not set in PENDING; -1 if none. */
static int64_t find_free(const uint8_t *map, const uint8_t *pending, uint32_t n, uint32_t from)
{
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = (from + k) % n;
		if (i % 8 == 0 && map[i / 8] == 0xff && i + 8 <= n) {
			k += 7;   /* a full byte: skip it */
			continue;
		}
		if (!bit_get(map, i) && !(pending && bit_get(pending, i)))
			return i;
	}
	return -1;
}

/* Allocate a block near GOAL. Root may use the reserved blocks (we run as
 * root: Linux lets CAP_SYS_RESOURCE take s_r_blocks_count). A block freed
 * since the last commit is not reused: a crash would leave the old owner
 * pointing at the new owner's data. */
int ext2_new_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
	if (!fs->free_blocks)
		return -ENOSPC;
	if (goal < fs->first_data_block || goal >= fs->blocks_count)
		goal = fs->first_data_block;
	uint32_t g0 = (goal - fs->first_data_block) / fs->blocks_per_group;
	uint32_t from = (goal - fs->first_data_block) % fs->blocks_per_group;
	for (uint32_t k = 0; k < fs->ngroups; k++) {
		uint32_t g = (g0 + k) % fs->ngroups;
		struct ext2_group *gr = &fs->groups[g];
		if (!gr->free_blocks)
			continue;
		struct pc_page *p;
		int err = ext2_meta_get(fs, gr->block_bitmap, false, &p);
		if (err)
			return err;
		int64_t i = find_free(p->data, gr->pending, group_blocks(fs, g), k == 0 ? from : 0);
		if (i < 0) {
			pcache_put(p);
			continue;
		}
		bit_set(p->data, (uint32_t)i);
		ext2_meta_put(fs, p);
		gr->free_blocks--;
		fs->free_blocks--;
		*out = fs->first_data_block + g * fs->blocks_per_group + (uint32_t)i;
		if ((err = ext2_write_group(fs, g)) || (err = ext2_write_sb_counts(fs)))
			return err;
		return 0;
	}
	return -ENOSPC;
}

/* Free block BLK; META: it held metadata the journal may have a copy of. */
int ext2_free_block(struct ext2_fs *fs, uint32_t blk, bool meta)
{
	if (blk < fs->first_data_block || blk >= fs->blocks_count) {
		klog_once("ext2-badfree", "ext2: freeing block %u out of range (corrupt fs?)\n", blk);
		return -EIO;
	}
	uint32_t g = (blk - fs->first_data_block) / fs->blocks_per_group;
	uint32_t i = (blk - fs->first_data_block) % fs->blocks_per_group;
	struct ext2_group *gr = &fs->groups[g];
	struct pc_page *p;
	int err = ext2_meta_get(fs, gr->block_bitmap, false, &p);
	if (err)
		return err;
	if (!bit_get(p->data, i)) {
		pcache_put(p);
		klog_once("ext2-doublefree", "ext2: block %u freed twice (corrupt fs?)\n", blk);
		return -EIO;
	}
	bit_clear(p->data, i);
	ext2_meta_put(fs, p);
	if (!gr->pending)
		gr->pending = kzalloc(fs->bs);
	if (gr->pending && !bit_get(gr->pending, i)) {
		bit_set(gr->pending, i);
		fs->pending++;
	}
	if (meta)
		jbd_forget(fs->j, blk);
	gr->free_blocks++;
	fs->free_blocks++;
	if ((err = ext2_write_group(fs, g)))
		return err;
	return ext2_write_sb_counts(fs);
}

/* The group a new inode goes to: a directory to a roomy group, spread out
 * from the last one used (Orlov-lite); anything else to its parent's group
 * or the next one with room. */
static int pick_group(struct inode *dir, bool isdir, uint32_t *out)
{
	struct ext2_fs *fs = ext2_sb(dir);
	uint32_t parent = (uint32_t)((dir->ino - 1) / fs->inodes_per_group);
	if (isdir) {
		uint32_t avg_i = fs->free_inodes / fs->ngroups, avg_b = fs->free_blocks / fs->ngroups;
		for (uint32_t k = 1; k <= fs->ngroups; k++) {
			uint32_t g = (fs->last_group + k) % fs->ngroups;
			struct ext2_group *gr = &fs->groups[g];
			if (gr->free_inodes && gr->free_inodes >= avg_i && gr->free_blocks >= avg_b) {
				fs->last_group = g;
				*out = g;
				return 0;
			}
		}
	}
	for (uint32_t k = 0; k < fs->ngroups; k++) {
		uint32_t g = (parent + k) % fs->ngroups;
		if (fs->groups[g].free_inodes) {
			*out = g;
			return 0;
		}
	}
	return -ENOSPC;
}

/* A new inode of MODE near DIR: bitmap bit, counts, a zeroed slot (extra
 * fields sized for nanosecond times and crtime), in the cache with nlink 0. */
int ext2_new_inode(struct inode *dir, uint32_t mode, struct inode **out)
{
	struct ext2_fs *fs = ext2_sb(dir);
	static uint32_t generation = 0x5eed;
	if (!fs->free_inodes)
		return -ENOSPC;
	uint32_t g;
	int err = pick_group(dir, S_ISDIR(mode), &g);
	if (err)
		return err;
	struct ext2_group *gr = &fs->groups[g];
	struct pc_page *p;
	if ((err = ext2_meta_get(fs, gr->inode_bitmap, false, &p)))
		return err;
	int64_t i = -1;
	for (uint32_t k = 0; k < fs->inodes_per_group; k++) {
		uint32_t num = g * fs->inodes_per_group + k + 1;
		if (num >= fs->first_ino && !bit_get(p->data, k)) {
			i = k;
			break;
		}
	}
	if (i < 0) {
		pcache_put(p);
		klog_once("ext2-inocount", "ext2: group %u's free inode count is wrong (corrupt fs?)\n", g);
		return -EIO;
	}
	bit_set(p->data, (uint32_t)i);
	ext2_meta_put(fs, p);
	gr->free_inodes--;
	fs->free_inodes--;
	if (S_ISDIR(mode))
		gr->used_dirs++;
	if ((err = ext2_write_group(fs, g)) || (err = ext2_write_sb_counts(fs)))
		return err;
	uint32_t num = g * fs->inodes_per_group + (uint32_t)i + 1, blk, off;
	inode_slot(fs, num, &blk, &off);
	if ((err = ext2_meta_get(fs, blk, false, &p)))
		return err;
	uint8_t *raw = (uint8_t *)p->data + off;
	memset(raw, 0, fs->inode_size);
	put32(raw + 100, generation++);
	if (fs->inode_size >= 160)
		put16(raw + 128, 32);
	ext2_meta_put(fs, p);
	struct inode *ino = inode_alloc(dir->mnt, num, &ext2_vol_iops);
	struct ext2_inode_info *ii = kzalloc(sizeof(*ii));
	if (!ino || !ii) {
		kfree(ino);
		kfree(ii);
		return -ENOMEM;
	}
	ino->priv = ii;
	mode = inode_init_owner(ino, dir, mode);
	ino->atime = ino->mtime = ino->ctime = ino->btime = time_now();
	ino->has_btime = fs->inode_size >= 160;
	/* a new inode's data starts in its own group */
	ii->goal = fs->first_data_block + g * fs->blocks_per_group;
	icache_insert(ino);
	*out = ino;
	return 0;
}

/* Read the i_dtime of on-disk inode NUM (the orphan chain's link). */
static int read_dtime(struct ext2_fs *fs, uint32_t num, uint32_t *out)
{
	uint32_t blk, off;
	inode_slot(fs, num, &blk, &off);
	uint8_t raw[4];
	int err = pcache_read(fs->dev, (uint64_t)blk * fs->bs + off + 20, raw, 4);
	*out = le32(raw);
	return err;
}

/* Superblock field s_last_orphan: read or write. */
static int sb_orphan(struct ext2_fs *fs, uint32_t *get, const uint32_t *set)
{
	struct pc_page *p;
	int err = ext2_meta_get(fs, 0, false, &p);
	if (err)
		return err;
	uint8_t *sb = (uint8_t *)p->data + SB_OFF;
	if (get) {
		*get = le32(sb + 232);
		pcache_put(p);
		return 0;
	}
	put32(sb + 232, *set);
	ext2_meta_put(fs, p);
	return 0;
}

/* Put INO at the head of the orphan list: a crash before it is freed (or
 * its truncate ends) leaves it for the next mount to finish. */
int ext2_orphan_add(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	if (ii->orphan)
		return 0;
	uint32_t head, me = (uint32_t)ino->ino;
	int err = sb_orphan(fs, &head, NULL);
	if (err)
		return err;
	ii->dtime = head;
	if ((err = ext2_write_inode(ino)) || (err = sb_orphan(fs, NULL, &me)))
		return err;
	ii->orphan = true;
	return 0;
}

/* Set the on-disk orphan link of inode NUM (and the cached copy's). */
static int set_dtime(struct ext2_fs *fs, struct mount *m, uint32_t num, uint32_t next)
{
	struct inode *c = icache_lookup(m, num);
	if (c) {
		ext2_ii(c)->dtime = next;
		int err = ext2_write_inode(c);
		inode_put(c);   /* the cache's inodes are referenced: never the last one */
		return err;
	}
	uint32_t blk, off;
	inode_slot(fs, num, &blk, &off);
	struct pc_page *p;
	int err = ext2_meta_get(fs, blk, false, &p);
	if (err)
		return err;
	put32((uint8_t *)p->data + off + 20, next);
	ext2_meta_put(fs, p);
	return 0;
}

/* Take INO off the orphan list (a singly linked list: find who points at it). */
int ext2_orphan_del(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	if (!ii->orphan)
		return 0;
	uint32_t me = (uint32_t)ino->ino, next = ii->dtime, cur;
	int err = sb_orphan(fs, &cur, NULL);
	if (err)
		return err;
	if (cur == me) {
		err = sb_orphan(fs, NULL, &next);
	} else {
		for (uint32_t hops = 0;; hops++) {
			uint32_t link;
			if (!cur || cur > fs->inodes_count || hops > fs->inodes_count ||
			    (err = read_dtime(fs, cur, &link))) {
				klog_once("ext2-orphan", "ext2: inode %u is missing from the orphan list\n", me);
				err = err ? err : -EIO;
				break;
			}
			if (link == me) {
				err = set_dtime(fs, ino->mnt, cur, next);
				break;
			}
			cur = link;
		}
	}
	ii->orphan = false;
	ii->dtime = 0;
	int e2 = ext2_write_inode(ino);
	return err ? err : e2;
}

/* Drop one reference to the extended-attribute block of INO, freeing it at zero. */
static int release_xattr(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	struct pc_page *p;
	int err = ext2_meta_get(fs, ii->file_acl, false, &p);
	if (err)
		return err;
	uint32_t refs = le32((uint8_t *)p->data + 4);
	if (refs > 1) {
		put32((uint8_t *)p->data + 4, refs - 1);
		ext2_meta_put(fs, p);
	} else {
		pcache_put(p);
		if ((err = ext2_free_block(fs, ii->file_acl, true)))
			return err;
	}
	ii->file_acl = 0;
	ino->blocks -= MIN(ino->blocks, (uint64_t)fs->bs / 512);
	return 0;
}

/* Free INO on disk (its links are gone and nobody holds it): blocks, EA
 * block, orphan entry, then its bitmap bit. Runs in a handle; long
 * truncates restart it, safe because INO stays on the orphan list. */
int ext2_delete_inode(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	int err = ext2_orphan_add(ino);
	/* only these have a block map: a fast symlink's or a device's i_block holds other things */
	bool mapped = S_ISREG(ino->mode) || S_ISDIR(ino->mode) ||
		      (S_ISLNK(ino->mode) && !(ino->size < 60 && ino->blocks == 0));
	if (!err && mapped)
		err = ext2_truncate_blocks(ino, 0);
	if (!err && ii->file_acl)
		err = release_xattr(ino);
	if (!err)
		err = ext2_orphan_del(ino);
	if (err)
		return err;
	ino->size = 0;
	ii->dtime = (uint32_t)time_now().sec;
	ii->deleted = true;
	if ((err = ext2_write_inode(ino)))
		return err;
	uint32_t g = (uint32_t)((ino->ino - 1) / fs->inodes_per_group);
	uint32_t i = (uint32_t)((ino->ino - 1) % fs->inodes_per_group);
	struct ext2_group *gr = &fs->groups[g];
	struct pc_page *p;
	if ((err = ext2_meta_get(fs, gr->inode_bitmap, false, &p)))
		return err;
	bit_clear(p->data, i);
	ext2_meta_put(fs, p);
	gr->free_inodes++;
	fs->free_inodes++;
	if (S_ISDIR(ino->mode) && gr->used_dirs)
		gr->used_dirs--;
	if ((err = ext2_write_group(fs, g)))
		return err;
	return ext2_write_sb_counts(fs);
}
