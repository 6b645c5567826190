/* ext2, read-only: superblock, group descriptors, inodes (rev 0 and 1, any
 * inode size), direct/indirect/double/triple block maps, file data, fast and
 * slow symlinks, large files. Everything is read through the page cache. */
#include "ext2.h"

static const struct fs_type ext2_type;
static const struct inode_ops ext2_iops;

/* Read N bytes of fs block BLK at byte OFF within it. */
static int ext2_bread(struct ext2_fs *fs, uint32_t blk, uint32_t off, void *buf, size_t n)
{
	if (blk >= fs->blocks_count || blk < fs->first_data_block) {
		klog_once("ext2-badblock", "ext2: block %u out of range (corrupt fs?)\n", blk);
		return -EIO;
	}
	return pcache_read(fs->dev, (uint64_t)blk * fs->bs + off, buf, n);
}

/* Entry IDX of indirect block BLK (0 if BLK is a hole). */
static int ind_entry(struct ext2_fs *fs, uint32_t blk, uint64_t idx, uint32_t *out)
{
	if (!blk) {
		*out = 0;
		return 0;
	}
	uint8_t raw[4];
	int err = ext2_bread(fs, blk, (uint32_t)idx * 4, raw, 4);
	if (err)
		return err;
	*out = le32(raw);
	return 0;
}

/* Physical block of logical block LBN through the direct and 1-3 level indirect maps. */
int ext2_bmap(struct inode *ino, uint64_t lbn, uint32_t *out)
{
	struct ext2_fs *fs = ext2_sb(ino);
	struct ext2_inode_info *ii = ext2_ii(ino);
	uint64_t p = fs->bs / 4;
	uint32_t b;
	int err;
	if (lbn < EXT2_NDIR) {
		*out = ii->block[lbn];
		return 0;
	}
	lbn -= EXT2_NDIR;
	if (lbn < p)
		return ind_entry(fs, ii->block[EXT2_IND], lbn, out);
	lbn -= p;
	if (lbn < p * p) {
		if ((err = ind_entry(fs, ii->block[EXT2_DIND], lbn / p, &b)))
			return err;
		return ind_entry(fs, b, lbn % p, out);
	}
	lbn -= p * p;
	if (lbn < p * p * p) {
		if ((err = ind_entry(fs, ii->block[EXT2_TIND], lbn / (p * p), &b)))
			return err;
		if ((err = ind_entry(fs, b, (lbn / p) % p, &b)))
			return err;
		return ind_entry(fs, b, lbn % p, out);
	}
	return -EFBIG;
}

/* Read file data at OFF (holes read as zeros). */
long ext2_read(struct inode *ino, void *buf, size_t n, off_t off)
{
	struct ext2_fs *fs = ext2_sb(ino);
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= ino->size)
		return 0;
	if (n > ino->size - (uint64_t)off)
		n = (size_t)(ino->size - (uint64_t)off);
	char *out = buf;
	size_t done = 0;
	while (done < n) {
		uint64_t pos = (uint64_t)off + done;
		uint32_t in = (uint32_t)(pos % fs->bs);
		size_t k = MIN(n - done, (size_t)(fs->bs - in));
		uint32_t blk;
		int err = ext2_bmap(ino, pos / fs->bs, &blk);
		if (!err) {
			if (blk)
				err = ext2_bread(fs, blk, in, out + done, k);
			else
				memset(out + done, 0, k);
		}
		if (err)
			return done ? (long)done : err;
		done += k;
	}
	return (long)done;
}

/* A fast symlink keeps its target in i_block (no data blocks besides an EA block). */
static bool is_fast_symlink(struct inode *ino)
{
	struct ext2_fs *fs = ext2_sb(ino);
	uint64_t ea = ext2_ii(ino)->file_acl ? fs->bs / 512 : 0;
	return ino->size < 60 && ino->blocks - ea == 0;
}

/* The symlink's target (no NUL), truncated to N. */
static long ext2_readlink(struct inode *ino, char *buf, size_t n)
{
	size_t len = MIN(n, (size_t)ino->size);
	if (is_fast_symlink(ino)) {
		memcpy(buf, ext2_ii(ino)->block, len);
		return (long)len;
	}
	return ext2_read(ino, buf, len, 0);
}

/* Decode a timestamp: signed 32-bit seconds plus the extra word's epoch bits and nanoseconds. */
static struct ktimespec ext2_time(const uint8_t *raw, size_t isize, size_t sec_off, size_t extra_off)
{
	struct ktimespec t = { (int32_t)le32(raw + sec_off), 0 };
	if (extra_off && extra_off + 4 <= isize) {
		uint32_t extra = le32(raw + extra_off);
		t.sec += (int64_t)(extra & 3) << 32;
		t.nsec = extra >> 2;
		if (t.nsec >= 1000000000)
			t.nsec = 0;
	}
	return t;
}

/* Fill INO from the on-disk inode RAW (LEN valid bytes). */
static void ext2_decode(struct ext2_fs *fs, struct inode *ino, const uint8_t *raw, size_t len)
{
	struct ext2_inode_info *ii = ext2_ii(ino);
	ino->mode = le16(raw + 0);
	ino->uid = le16(raw + 2) | (uint32_t)le16(raw + 120) << 16;
	ino->gid = le16(raw + 24) | (uint32_t)le16(raw + 122) << 16;
	ino->size = le32(raw + 4);
	if (S_ISREG(ino->mode) || S_ISDIR(ino->mode))
		ino->size |= (uint64_t)le32(raw + 108) << 32;
	ino->nlink = le16(raw + 26);
	ii->flags = le32(raw + 32);
	ii->file_acl = le32(raw + 104);
	ii->dtime = le32(raw + 20);
	ino->blocks = le32(raw + 28);
	if (fs->ro_compat & EXT2_ROCOMPAT_HUGE_FILE) {
		ino->blocks |= (uint64_t)le16(raw + 116) << 32;
		if (ii->flags & EXT2_HUGE_FILE_FL)
			ino->blocks *= fs->bs / 512;
	}
	for (int i = 0; i < 15; i++)
		ii->block[i] = le32(raw + 40 + 4 * i);
	/* Fields past 128 bytes exist as far as i_extra_isize says. */
	size_t isize = 128;
	if (fs->inode_size > 128 && len >= 130) {
		isize = 128 + le16(raw + 128);
		if (isize > len)
			isize = len;
	}
	ino->ctime = ext2_time(raw, isize, 12, 132);
	ino->mtime = ext2_time(raw, isize, 16, 136);
	ino->atime = ext2_time(raw, isize, 8, 140);
	if (isize >= 152) {
		ino->btime = ext2_time(raw, isize, 144, 148);
		ino->has_btime = true;
	}
	if (S_ISCHR(ino->mode) || S_ISBLK(ino->mode)) {
		uint32_t d0 = ii->block[0], d1 = ii->block[1];
		if (d0)
			ino->rdev = makedev64((d0 >> 8) & 0xff, d0 & 0xff);
		else
			ino->rdev = makedev64((d1 & 0xfff00) >> 8, (d1 & 0xff) | ((d1 >> 12) & 0xfff00));
	}
}

/* Inode number INO of M, from the cache or the disk; a new reference. VFS lock held. */
int ext2_iget(struct mount *m, uint32_t ino, struct inode **out)
{
	struct ext2_fs *fs = m->priv;
	struct inode *i = icache_lookup(m, ino);
	if (i) {
		*out = i;
		return 0;
	}
	if (ino < 1 || ino > fs->inodes_count) {
		klog_once("ext2-badino", "ext2: inode %u out of range (corrupt fs?)\n", ino);
		return -EIO;
	}
	uint32_t g = (ino - 1) / fs->inodes_per_group, idx = (ino - 1) % fs->inodes_per_group;
	uint64_t off = (uint64_t)idx * fs->inode_size;
	uint8_t raw[256];
	size_t len = MIN(fs->inode_size, sizeof(raw));
	int err = pcache_read(fs->dev, (uint64_t)fs->itable[g] * fs->bs + off, raw, len);
	if (err)
		return err;
	i = inode_alloc(m, ino, fs->groups ? &ext2_vol_iops : &ext2_iops);
	struct ext2_inode_info *ii = kzalloc(sizeof(*ii));
	if (!i || !ii) {
		kfree(i);
		kfree(ii);
		return -ENOMEM;
	}
	i->priv = ii;
	ext2_decode(fs, i, raw, len);
	icache_insert(i);
	*out = i;
	return 0;
}

/* Free our part with the inode. */
static void ext2_evict(struct inode *ino)
{
	kfree(ino->priv);
	kfree(ino);
}

/* statfs from the live counts. */
int ext2_statfs(struct mount *m, struct kstatfs *sf)
{
	struct ext2_fs *fs = m->priv;
	sf->f_type = EXT2_MAGIC;
	sf->f_bsize = fs->bs;
	sf->f_frsize = fs->bs;
	sf->f_blocks = fs->blocks_count - fs->first_data_block;
	sf->f_bfree = fs->free_blocks;
	sf->f_bavail = fs->free_blocks > fs->r_blocks ? fs->free_blocks - fs->r_blocks : 0;
	sf->f_files = fs->inodes_count;
	sf->f_ffree = fs->free_inodes;
	sf->f_namelen = 255;
	sf->f_fsid[0] = (int32_t)m->dev;
	return 0;
}

static const struct fs_type ext2_type = { .name = "ext2", .statfs = ext2_statfs };

static const struct inode_ops ext2_iops = {
	.lookup = ext2_lookup,
	.readdir = ext2_readdir,
	.read = ext2_read,
	.readlink = ext2_readlink,
	.evict = ext2_evict,
};

/* The geometry and feature words of superblock SB (1024 raw bytes) into FS,
 * for the read-only root and for volumes alike; checking them is the caller's. */
void ext2_sb_geometry(struct ext2_fs *fs, const uint8_t *sb)
{
	uint32_t rev = le32(sb + 76);
	fs->inodes_count = le32(sb + 0);
	fs->blocks_count = le32(sb + 4);
	fs->r_blocks = le32(sb + 8);
	fs->first_data_block = le32(sb + 20);
	fs->blocks_per_group = le32(sb + 32);
	fs->inodes_per_group = le32(sb + 40);
	fs->inode_size = rev >= 1 ? le16(sb + 88) : 128;
	fs->incompat = rev >= 1 ? le32(sb + 96) : 0;
	fs->ro_compat = rev >= 1 ? le32(sb + 100) : 0;
}

/* Check the superblock of D, read the group descriptors and the root inode. */
int ext2_mount(struct blk_dev *d, uint64_t dev, struct mount **out)
{
	uint8_t sb[1024];
	int err = pcache_read(d, 1024, sb, sizeof(sb));
	if (err)
		return err;
	if (le16(sb + 56) != EXT2_MAGIC) {
		kprintf("ext2: %s has no ext2 superblock\n", d->name);
		return -EINVAL;
	}
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->dev = d;
	ext2_sb_geometry(fs, sb);
	fs->free_blocks = le32(sb + 12);
	fs->free_inodes = le32(sb + 16);
	uint32_t log_bs = le32(sb + 24);
	err = -EINVAL;
	if (log_bs > 6 || !fs->inodes_per_group || !fs->blocks_per_group || fs->inode_size < 128 ||
	    (fs->inode_size & (fs->inode_size - 1))) {
		kprintf("ext2: %s: bad superblock\n", d->name);
		goto fail;
	}
	fs->bs = 1024u << log_bs;
	if (fs->incompat & ~EXT2_INCOMPAT_SUPPORTED) {
		kprintf("ext2: %s: unsupported features %#x (an ext3/ext4 image?)\n", d->name,
			fs->incompat & ~EXT2_INCOMPAT_SUPPORTED);
		goto fail;
	}
	if ((uint64_t)fs->blocks_count * (fs->bs / 512) > d->nsectors) {
		kprintf("ext2: %s: fs larger than the disk\n", d->name);
		goto fail;
	}
	fs->ngroups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) / fs->blocks_per_group;
	fs->itable = kmalloc(fs->ngroups * sizeof(uint32_t));
	err = -ENOMEM;
	if (!fs->itable)
		goto fail;
	uint64_t gdt = (uint64_t)(fs->first_data_block + 1) * fs->bs;
	for (uint32_t g = 0; g < fs->ngroups; g++) {
		uint8_t gd[32];
		if ((err = pcache_read(d, gdt + (uint64_t)g * 32, gd, sizeof(gd))))
			goto fail;
		fs->itable[g] = le32(gd + 8);
	}
	struct mount *m = mount_new(&ext2_type, dev, true);
	err = -ENOMEM;
	if (!m)
		goto fail;
	m->priv = fs;
	vfs_lock();
	err = ext2_iget(m, EXT2_ROOT_INO, &m->root);
	vfs_unlock();
	/* Past this point the mount is half-built; on failure it is left behind. */
	if (err)
		return err;
	if (!S_ISDIR(m->root->mode)) {
		kprintf("ext2: %s: root inode is not a directory\n", d->name);
		return -EINVAL;
	}
	*out = m;
	return 0;
fail:
	kfree(fs->itable);
	kfree(fs);
	return err;
}
