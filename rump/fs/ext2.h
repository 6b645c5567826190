/* ext2 on-disk format (the parts we read) and the in-memory state shared by
 * ext2.c (superblock, inodes, block map, file data) and ext2_dir.c. */
#pragma once
#include "fs.h"

#define EXT2_MAGIC 0xEF53
#define EXT2_ROOT_INO 2
#define EXT2_NDIR 12
#define EXT2_IND 12
#define EXT2_DIND 13
#define EXT2_TIND 14

#define EXT2_INCOMPAT_FILETYPE 0x0002
#define EXT2_INCOMPAT_RECOVER 0x0004
#define EXT2_INCOMPAT_FLEX_BG 0x0200
#define EXT2_INCOMPAT_SUPPORTED (EXT2_INCOMPAT_FILETYPE | EXT2_INCOMPAT_FLEX_BG)
#define EXT2_ROCOMPAT_LARGE_FILE 0x0002
#define EXT2_ROCOMPAT_HUGE_FILE 0x0008
#define EXT2_HUGE_FILE_FL 0x00040000

/* Little-endian field readers and writers over raw on-disk bytes. */
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }

struct journal;
struct ext2_group;

struct ext2_fs {
	struct blk_dev *dev;
	uint32_t bs;                /* block size in bytes */
	uint32_t inode_size;
	uint32_t inodes_per_group, blocks_per_group;
	uint32_t inodes_count, blocks_count, first_data_block;
	uint32_t r_blocks, free_blocks, free_inodes;
	uint32_t ngroups;
	uint32_t incompat, ro_compat;
	uint32_t *itable;           /* inode table block of each group */
	/* Writable volumes only (ext2_volume.c and the ext2_w*.c files). */
	bool rw;                    /* mounted read-write and not yet closed */
	struct journal *j;
	struct ext2_group *groups;  /* ngroups entries */
	uint32_t first_ino;         /* the first non-reserved inode */
	uint32_t dirty;             /* metadata blocks changed since the last commit */
	uint32_t handle_blocks;     /* metadata blocks dirtied in the running handle */
	uint32_t last_group;        /* where the last new directory went (spreading) */
	uint32_t pending;           /* free blocks not reusable before the next commit */
	struct mount *mnt;
	struct ext2_fs *vnext;      /* the list of writable volumes */
};

/* What a writable volume keeps per block group (mirrors the descriptor). */
struct ext2_group {
	uint32_t block_bitmap, inode_bitmap;
	uint32_t free_blocks, free_inodes, used_dirs;
	uint8_t *pending;           /* blocks freed since the last commit: not reusable yet */
};

/* What ext2 keeps per in-memory inode. */
struct ext2_inode_info {
	uint32_t block[15];
	uint32_t flags;
	uint32_t file_acl;
	uint32_t dtime;             /* on the orphan list: the next orphan */
	bool orphan;                /* on the on-disk orphan list */
	bool deleted;               /* freed on disk already */
	uint32_t goal;              /* where the next data block should go */
	/* The transactions holding this inode's last change (sync) and its last
	 * change other than timestamps (dsync): fsync and fdatasync commit the
	 * journal only while those are still running, as ext4's i_sync_tid and
	 * i_datasync_tid. */
	uint32_t sync_seq, dsync_seq;
	bool sync_pending, dsync_pending;
};

static inline struct ext2_fs *ext2_sb(struct inode *i) { return i->mnt->priv; }
static inline struct ext2_inode_info *ext2_ii(struct inode *i) { return i->priv; }

#define EXT2_INDEX_FL 0x00001000
#define EXT2_JOURNAL_INO 8

/* ext2.c */
void ext2_sb_geometry(struct ext2_fs *fs, const uint8_t *sb);   /* geometry and feature words of a superblock */
extern const struct inode_ops ext2_vol_iops;   /* writable volumes' (ext2_volume.c) */
int ext2_statfs(struct mount *m, struct kstatfs *sf);
int ext2_iget(struct mount *m, uint32_t ino, struct inode **out);
/* Physical block of logical block LBN, 0 for a hole. */
int ext2_bmap(struct inode *ino, uint64_t lbn, uint32_t *out);
long ext2_read(struct inode *ino, void *buf, size_t n, off_t off);
/* One parsed directory entry. */
struct ext2_dirent {
	uint32_t ino;
	uint16_t rec_len;
	uint16_t name_len;
	uint8_t type;
	const char *name;
};

/* ext2_dir.c */
int ext2_parse_entry(struct ext2_fs *fs, const uint8_t *buf, uint32_t off, struct ext2_dirent *e);
int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
int ext2_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c);

/* ---- writable volumes ---- */
/* ext2_wmeta.c: metadata blocks, inodes, bitmaps, the orphan list */
/* Pin fs block BLK for a metadata change (read it, or zeroed if FRESH). */
int ext2_meta_get(struct ext2_fs *fs, uint32_t blk, bool fresh, struct pc_page **out);
/* Hand the changed page P to the journal (and unpin it: _put). */
void ext2_meta_dirty(struct ext2_fs *fs, struct pc_page *p);
void ext2_meta_put(struct ext2_fs *fs, struct pc_page *p);
/* Begin/end one journaled operation; ext2_restart ends and begins it again
 * when the handle grew large (the state between must be consistent). */
int ext2_begin(struct ext2_fs *fs, unsigned credits);
void ext2_end(struct ext2_fs *fs);
int ext2_restart(struct ext2_fs *fs, struct inode *ino);
/* Write the in-memory inode INO to its slot in the inode table. */
int ext2_write_inode(struct inode *ino);
/* Superblock free counts, group descriptor G, after the in-memory ones changed. */
int ext2_write_sb_counts(struct ext2_fs *fs);
int ext2_write_group(struct ext2_fs *fs, uint32_t g);
/* A new fs block near GOAL (0: anywhere), -ENOSPC when none. */
int ext2_new_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
int ext2_free_block(struct ext2_fs *fs, uint32_t blk, bool meta);
/* A new inode for MODE near directory DIR: in memory, on disk, cached. */
int ext2_new_inode(struct inode *dir, uint32_t mode, struct inode **out);
/* Put INO on / take it off the on-disk orphan list. */
int ext2_orphan_add(struct inode *ino);
int ext2_orphan_del(struct inode *ino);
/* Free INO (links 0) on disk: its blocks, its orphan entry, its bitmap bit. */
int ext2_delete_inode(struct inode *ino);
/* Blocks freed since the last commit may be reused now. */
void ext2_pending_clear(struct ext2_fs *fs);
bool ext2_pending_any(struct ext2_fs *fs);
int ext2_commit(struct ext2_fs *fs);

/* ext2_wfile.c: block maps with allocation, data, truncate, fallocate */
int ext2_bmap_alloc(struct inode *ino, uint64_t lbn, uint32_t *out, bool *fresh);
int ext2_truncate_blocks(struct inode *ino, uint64_t keep);
long ext2_wread(struct inode *ino, void *buf, size_t n, off_t off);
long ext2_write(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append);
int ext2_truncate(struct inode *ino, off_t size);
int ext2_setattr(struct inode *ino);
int ext2_fsync(struct inode *ino, bool datasync);
int ext2_fallocate(struct inode *ino, int mode, off_t off, off_t len);
int ext2_map_page(struct inode *ino, uint64_t pgoff, bool write, paddr_t *out);
void ext2_put_page(struct inode *ino, uint64_t pgoff, bool dirty, bool unmap);

/* ext2_namei.c: directory changes */
int ext2_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out);
int ext2_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode);
int ext2_symlink(struct inode *dir, const char *name, size_t len, const char *target);
int ext2_unlink(struct inode *dir, const char *name, size_t len);
int ext2_rmdir(struct inode *dir, const char *name, size_t len);
int ext2_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags);
int ext2_link(struct inode *dir, const char *name, size_t len, struct inode *target);
int ext2_tmpfile(struct inode *dir, uint32_t mode, struct inode **out);
