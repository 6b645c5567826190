/* Writable ext4-compatible volumes on further disks (mount=ext4:vdb:PATH):
 * the feature checks a mount passes before anything is written, the
 * journal opened (and replayed) from inode 8's blocks, needs_recovery set
 * while mounted read-write and cleared by a clean close, the orphan list
 * finished at mount, a commit every 5 s, and the close at program exit.
 *
 * The format the CLI makes: 4 KiB blocks, 256-byte inodes, indirect block
 * maps, linear directories, a jbd2 journal; features filetype, sparse_super,
 * large_file, has_journal. flex_bg is accepted (bitmap and table locations
 * come from the group descriptors), ext_attr, dir_index and resize_inode
 * are tolerated (EA blocks are released with their refcount, an indexed
 * directory loses its index when changed, the reserved GDT blocks are
 * marked used and never touched). */
#include "ext2.h"
#include "jbd.h"
#include "../include/sched.h"
#include "../include/arch.h"

#define COMPAT_HAS_JOURNAL 0x0004
#define INCOMPAT_RW_OK (EXT2_INCOMPAT_FILETYPE | EXT2_INCOMPAT_RECOVER | EXT2_INCOMPAT_FLEX_BG)
#define INCOMPAT_RO_OK (EXT2_INCOMPAT_FILETYPE | EXT2_INCOMPAT_FLEX_BG)
#define ROCOMPAT_RW_OK 0x0003   /* sparse_super, large_file */
#define COMMIT_NS 5000000000ULL  /* Linux's commit=5 */

struct feature { uint32_t bit; const char *name; };
static const struct feature incompat_names[] = {
	{ 0x1, "compression" }, { 0x2, "filetype" }, { 0x4, "needs_recovery" }, { 0x8, "journal_dev" },
	{ 0x10, "meta_bg" }, { 0x40, "extent" }, { 0x80, "64bit" }, { 0x100, "mmp" }, { 0x200, "flex_bg" },
	{ 0x400, "ea_inode" }, { 0x1000, "dirdata" }, { 0x2000, "metadata_csum_seed" }, { 0x4000, "large_dir" },
	{ 0x8000, "inline_data" }, { 0x10000, "encrypt" }, { 0x20000, "casefold" },
};
static const struct feature rocompat_names[] = {
	{ 0x1, "sparse_super" }, { 0x2, "large_file" }, { 0x8, "huge_file" }, { 0x10, "uninit_bg" },
	{ 0x20, "dir_nlink" }, { 0x40, "extra_isize" }, { 0x100, "quota" }, { 0x200, "bigalloc" },
	{ 0x400, "metadata_csum" }, { 0x1000, "read-only" }, { 0x2000, "project" }, { 0x4000, "shared_blocks" },
	{ 0x8000, "verity" }, { 0x10000, "orphan_present" },
};

static struct ext2_fs *volumes;   /* writable ones; guarded by the VFS lock */
static bool committer_started;

/* The name e2fsprogs gives the lowest bit of BITS (or a number). */
static const char *feature_name(const struct feature *t, size_t n, uint32_t bits, char *buf, size_t len)
{
	uint32_t bit = bits & -bits;
	for (size_t i = 0; i < n; i++)
		if (t[i].bit == bit)
			return t[i].name;
	snprintf(buf, len, "FEATURE_%#x", bit);
	return buf;
}

/* The one sentence a refused volume gets. */
static int refuse(const char *src, bool ro, const char *what)
{
	kprintf("uninode: volume %s %s, which this kernel cannot %s; nothing was written to it\n", src, what,
		ro ? "read" : "write");
	return -EINVAL;
}

/* Parse and check superblock SB of SRC into FS (geometry, counts, features). */
static int check_sb(struct ext2_fs *fs, const uint8_t *sb, const char *src, bool ro)
{
	char what[96], num[24];
	if (le16(sb + 56) != EXT2_MAGIC)
		return refuse(src, ro, "holds no ext2/ext3/ext4 filesystem");
	uint32_t rev = le32(sb + 76), log_bs = le32(sb + 24);
	uint32_t compat = le32(sb + 92), incompat = le32(sb + 96), rocompat = le32(sb + 100);
	if (rev < 1)
		return refuse(src, ro, "is a revision 0 ext2 filesystem");
	uint32_t bad = incompat & ~(uint32_t)(ro ? INCOMPAT_RO_OK : INCOMPAT_RW_OK);
	if (ro && (bad & EXT2_INCOMPAT_RECOVER) && !(bad & ~(uint32_t)EXT2_INCOMPAT_RECOVER)) {
		kprintf("uninode: volume %s has a journal that needs replaying and is attached read-only; "
			"attach it read-write once to replay it; nothing was written to it\n", src);
		return -EROFS;
	}
	if (bad) {
		snprintf(what, sizeof what, "uses the ext4 feature '%s'",
			 feature_name(incompat_names, ARRAY_SIZE(incompat_names), bad, num, sizeof num));
		return refuse(src, ro, what);
	}
	if (!ro && (bad = rocompat & ~(uint32_t)ROCOMPAT_RW_OK)) {
		snprintf(what, sizeof what, "uses the ext4 feature '%s'",
			 feature_name(rocompat_names, ARRAY_SIZE(rocompat_names), bad, num, sizeof num));
		return refuse(src, ro, what);
	}
	if (!ro && !(compat & COMPAT_HAS_JOURNAL))
		return refuse(src, ro, "has no journal (the ext4 feature 'has_journal')");
	if (log_bs != 2) {
		snprintf(what, sizeof what, "has %u-byte blocks (4096 needed)", log_bs < 7 ? 1024u << log_bs : 0);
		return refuse(src, ro, what);
	}
	if ((compat & COMPAT_HAS_JOURNAL) && (le32(sb + 228) || !le32(sb + 224)))
		return refuse(src, ro, "has its journal on another device");
	fs->bs = 4096;
	ext2_sb_geometry(fs, sb);   /* rev >= 1 checked above */
	fs->first_ino = le32(sb + 84);
	if (!fs->inodes_per_group || fs->inodes_per_group > 8 * fs->bs || fs->blocks_per_group != 8 * fs->bs ||
	    fs->inode_size < 128 || fs->inode_size > fs->bs || (fs->inode_size & (fs->inode_size - 1)) ||
	    fs->first_data_block != 0 || fs->first_ino < 11 || fs->blocks_count <= fs->first_data_block)
		return refuse(src, ro, "has a superblock this kernel does not understand");
	if ((uint64_t)fs->blocks_count * (fs->bs / 512) > fs->dev->nsectors)
		return refuse(src, ro, "holds a filesystem larger than the disk");
	fs->ngroups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) / fs->blocks_per_group;
	if (fs->inodes_count != fs->ngroups * fs->inodes_per_group || fs->ngroups * 32 > fs->bs * 64)
		return refuse(src, ro, "has a superblock this kernel does not understand");
	return 0;
}

/* Read the superblock and group descriptors of FS (again after a replay). */
static int read_geometry(struct ext2_fs *fs, const char *src, bool ro)
{
	uint8_t sb[1024];
	int err = pcache_read(fs->dev, 1024, sb, sizeof sb);
	if (err)
		return err;
	if ((err = check_sb(fs, sb, src, ro)))
		return err;
	kfree(fs->itable);
	kfree(fs->groups);
	fs->itable = kmalloc(fs->ngroups * sizeof(uint32_t));
	fs->groups = kzalloc(fs->ngroups * sizeof(struct ext2_group));
	if (!fs->itable || !fs->groups)
		return -ENOMEM;
	fs->free_blocks = fs->free_inodes = 0;
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		uint8_t gd[32];
		if ((err = pcache_read(fs->dev, (uint64_t)(fs->first_data_block + 1) * fs->bs + g * 32, gd, 32)))
			return err;
		struct ext2_group *gr = &fs->groups[g];
		gr->block_bitmap = le32(gd + 0);
		gr->inode_bitmap = le32(gd + 4);
		fs->itable[g] = le32(gd + 8);
		gr->free_blocks = le16(gd + 12);
		gr->free_inodes = le16(gd + 14);
		gr->used_dirs = le16(gd + 16);
		uint32_t itblocks = (fs->inodes_per_group * fs->inode_size + fs->bs - 1) / fs->bs;
		if (gr->block_bitmap >= fs->blocks_count || gr->inode_bitmap >= fs->blocks_count ||
		    fs->itable[g] + itblocks > fs->blocks_count || gr->free_inodes > fs->inodes_per_group ||
		    gr->free_blocks > fs->blocks_per_group)
			return refuse(src, ro, "has a damaged group descriptor (run e2fsck on it)");
		/* the superblock's totals are lazily kept by Linux: the groups' are the truth */
		fs->free_blocks += gr->free_blocks;
		fs->free_inodes += gr->free_inodes;
	}
	return 0;
}

/* Open (and replay) the journal whose inode the superblock names. */
static int open_journal(struct ext2_fs *fs, struct mount *m, const char *src, bool ro)
{
	uint8_t raw[4];
	int err = pcache_read(fs->dev, 1024 + 224, raw, 4);
	if (err)
		return err;
	struct inode *ji;
	if ((err = ext2_iget(m, le32(raw), &ji)))
		return err;
	uint64_t n = ji->size / fs->bs;
	uint32_t *blocks = n && n < (1u << 20) ? kmalloc(n * sizeof(uint32_t)) : NULL;
	err = blocks ? 0 : n ? -ENOMEM : -EINVAL;
	for (uint64_t i = 0; !err && i < n; i++)
		if (!(err = ext2_bmap(ji, i, &blocks[i])) && !blocks[i])
			err = -EINVAL;
	inode_put(ji);
	if (err) {
		kfree(blocks);
		refuse(src, ro, "has a journal inode with holes or no blocks");
		return err;
	}
	unsigned replayed = 0;
	err = jbd_open(fs->dev, blocks, (uint32_t)n, ro, &fs->j, &replayed);
	kfree(blocks);
	if (err == -EROFS && ro) {
		kprintf("uninode: volume %s has a journal that needs replaying and is attached read-only; "
			"attach it read-write once to replay it; nothing was written to it\n", src);
		return err;
	}
	if (err) {
		kprintf("uninode: volume %s: its journal cannot be opened (error %d)\n", src, err);
		return err;
	}
	if (replayed) {
		kprintf("uninode: volume %s: replayed %u journal transactions\n", src, replayed);
		pcache_drop(fs->dev);
		return read_geometry(fs, src, ro);
	}
	return 0;
}

/* Mark the superblock mounted (needs_recovery, mount count, times) or
 * cleanly closed, with the groups' free counts. Written in place and
 * flushed, outside the journal, as Linux does: needs_recovery on disk is
 * what tells a mount (ours, Linux's, e2fsck's) to replay the journal, so it
 * must be durable before the first transaction and cleared only after the
 * journal is closed. No handle may be open. */
static int mark_mounted(struct ext2_fs *fs, bool mounted)
{
	struct pc_page *p;
	int err = ext2_meta_get(fs, 0, false, &p);
	if (err)
		return err;
	uint8_t *sb = (uint8_t *)p->data + 1024;
	uint32_t now = (uint32_t)time_now().sec;
	uint32_t inc = le32(sb + 96);
	if (mounted) {
		inc |= EXT2_INCOMPAT_RECOVER;
		put16(sb + 52, le16(sb + 52) + 1u);   /* s_mnt_count */
		put32(sb + 44, now);                  /* s_mtime */
	} else {
		inc &= ~(uint32_t)EXT2_INCOMPAT_RECOVER;
	}
	put32(sb + 96, inc);
	put32(sb + 48, now);                          /* s_wtime */
	put32(sb + 12, fs->free_blocks);
	put32(sb + 16, fs->free_inodes);
	pcache_dirty(p);
	pcache_put(p);
	return pcache_sync(fs->dev);
}

/* Finish what the orphan list holds: free unlinked inodes, end truncates. */
static int process_orphans(struct ext2_fs *fs, struct mount *m)
{
	uint8_t raw[4];
	int err = pcache_read(fs->dev, 1024 + 232, raw, 4);
	uint32_t cur = le32(raw), done = 0;
	while (!err && cur) {
		if (cur < fs->first_ino || cur > fs->inodes_count || done++ > fs->inodes_count) {
			kprintf("ext2: %s: the orphan list is damaged at inode %u\n", fs->dev->name, cur);
			return -EIO;
		}
		struct inode *ino;
		if ((err = ext2_iget(m, cur, &ino)))
			break;
		struct ext2_inode_info *ii = ext2_ii(ino);
		ii->orphan = true;
		cur = ii->dtime;
		if (ino->nlink) {
			if (!(err = ext2_begin(fs, 128))) {
				err = ext2_truncate_blocks(ino, (ino->size + fs->bs - 1) / fs->bs);
				if (!err)
					err = ext2_orphan_del(ino);
				ext2_end(fs);
			}
		}
		inode_put(ino);   /* links 0: the eviction frees it */
	}
	return err;
}

/* Commit every writable volume with changes, every 5 s. */
static void committer(void *arg)
{
	for (;;) {
		sleep_until(time_monotonic_ns() + COMMIT_NS);
		vfs_lock();
		for (struct ext2_fs *fs = volumes; fs; fs = fs->vnext)
			if (fs->rw && fs->dirty) {
				int err = ext2_commit(fs);
				if (err)
					klog_once("ext2-commit", "ext2: %s: commit failed (error %d)\n", fs->dev->name, err);
			}
		vfs_unlock();
	}
}

/* syncfs on a volume. */
static int vol_sync(struct mount *m)
{
	struct ext2_fs *fs = m->priv;
	return fs->rw ? ext2_commit(fs) : 0;
}

/* O_DIRECT is taken (through the page cache: the alignment rules are
 * ext4's on a 512-byte-sector disk; durability is fsync's, as on Linux). */
static const struct fs_type ext2_vol_type = { .name = "ext4", .statfs = ext2_statfs, .sync = vol_sync, .direct_io = true };

/* The last reference: an inode whose links are gone (so it is on the
 * orphan list) is freed on disk now. */
static void ext2_vol_evict(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	if (!ino->nlink && ii->orphan && !ii->deleted && fs->rw) {
		int err = ext2_begin(fs, 128);
		if (!err) {
			err = ext2_delete_inode(ino);
			ext2_end(fs);
		}
		if (err)
			klog_once("ext2-evict", "ext2: freeing inode %lu failed (error %d); e2fsck will find it\n",
				  (unsigned long)ino->ino, err);
	}
	kfree(ii);
	kfree(ino);
}

/* Readlink under the VFS lock (the caller's). */
static long ext2_vol_readlink(struct inode *ino, char *buf, size_t n)
{
	size_t len = MIN(n, (size_t)ino->size);
	if (ino->size < 60 && ino->blocks == 0) {
		memcpy(buf, ext2_ii(ino)->block, len);
		return (long)len;
	}
	return ext2_read(ino, buf, len, 0);
}

const struct inode_ops ext2_vol_iops = {
	.lookup = ext2_lookup,
	.create = ext2_create,
	.mkdir = ext2_mkdir,
	.symlink = ext2_symlink,
	.unlink = ext2_unlink,
	.rmdir = ext2_rmdir,
	.rename = ext2_rename,
	.readlink = ext2_vol_readlink,
	.read = ext2_wread,
	.write = ext2_write,
	.truncate = ext2_truncate,
	.readdir = ext2_readdir,
	.setattr = ext2_setattr,
	.fsync = ext2_fsync,
	.evict = ext2_vol_evict,
	.link = ext2_link,
	.fallocate = ext2_fallocate,
	.tmpfile = ext2_tmpfile,
	.map_page = ext2_map_page,
	.put_page = ext2_put_page,
};

/* Mount disk SOURCE as a volume: every check passes before the first write. */
int ext2_mount_volume(const char *source, bool ro, uint64_t dev, struct mount **out)
{
	struct blk_dev *d = blk_find(source);
	if (!d) {
		kprintf("uninode: volume %s: no such disk\n", source);
		return -ENODEV;
	}
	if (!ro && d->readonly) {
		kprintf("uninode: volume %s: the disk is read-only\n", source);
		return -EROFS;
	}
	vfs_lock();
	bool busy = false;
	for (struct ext2_fs *v = volumes; v; v = v->vnext)
		busy |= v->rw && v->dev == d;
	vfs_unlock();
	if (busy) {
		kprintf("uninode: volume %s is mounted read-write already\n", source);
		return -EBUSY;
	}
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	struct mount *m = mount_new(&ext2_vol_type, dev, ro);
	int err = -ENOMEM;
	if (!fs || !m)
		goto fail;
	fs->dev = d;
	fs->mnt = m;
	m->priv = fs;
	m->dio_align = BLK_SECTOR;
	if ((err = read_geometry(fs, source, ro)))
		goto fail;
	vfs_lock();
	err = open_journal(fs, m, source, ro);
	if (!err && !ro) {
		fs->rw = true;
		err = mark_mounted(fs, true);
		if (!err)
			err = process_orphans(fs, m);
	}
	if (!err)
		err = ext2_iget(m, EXT2_ROOT_INO, &m->root);
	if (!err && !S_ISDIR(m->root->mode))
		err = refuse(source, ro, "has a root inode that is not a directory");
	if (!err && !ro) {
		fs->vnext = volumes;
		volumes = fs;
	}
	vfs_unlock();
	if (err) {
		/* past the journal the mount is half-built: it is left behind, unused */
		if (fs->rw)
			kprintf("uninode: volume %s: mounting failed (error %d)\n", source, err);
		fs->rw = false;
		return err;
	}
	if (!ro && !committer_started) {
		committer_started = true;
		struct thread *t = thread_create("ext4-commit", committer, NULL, false);
		if (t)
			thread_start(t);
	}
	*out = m;
	return 0;
fail:
	if (fs) {
		kfree(fs->itable);
		kfree(fs->groups);
	}
	kfree(fs);
	kfree(m);
	return err;
}

/* At program exit: free the unlinked inodes still open, clear
 * needs_recovery, close each journal; the volumes are then read-only. */
int vfs_sync_all(void)
{
	int ret = 0;
	if (vfs_locked())
		return -EDEADLK;   /* a fault inside the VFS: leave the journal to replay */
	vfs_lock();
	for (struct ext2_fs *fs = volumes; fs; fs = fs->vnext) {
		if (!fs->rw)
			continue;
		int err = 0;
		uint8_t raw[4];
		for (int guard = 0; !err && guard < 1 << 20; guard++) {
			if ((err = pcache_read(fs->dev, 1024 + 232, raw, 4)) || !le32(raw))
				break;
			struct inode *ino;
			if ((err = ext2_iget(fs->mnt, le32(raw), &ino)))
				break;
			ext2_ii(ino)->orphan = true;
			if (!(err = ext2_begin(fs, 128))) {
				err = ino->nlink ? ext2_orphan_del(ino) : ext2_delete_inode(ino);
				ext2_end(fs);
			}
			inode_put(ino);
		}
		int e2 = jbd_close(fs->j);
		fs->j = NULL;
		fs->rw = false;
		fs->mnt->rdonly = true;
		if (!err && !e2)   /* an unclean journal keeps needs_recovery: the next mount replays */
			err = mark_mounted(fs, false);
		err = err ? err : e2;
		if (err) {
			kprintf("uninode: volume %s: closing it failed (error %d)\n", fs->dev->name, err);
			ret = err;
		}
	}
	vfs_unlock();
	return ret;
}
