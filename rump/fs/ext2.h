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
#define EXT2_ROCOMPAT_HUGE_FILE 0x0008
#define EXT2_HUGE_FILE_FL 0x00040000

/* Little-endian field readers over raw on-disk bytes. */
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

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
};

/* What ext2 keeps per in-memory inode. */
struct ext2_inode_info {
	uint32_t block[15];
	uint32_t flags;
	uint32_t file_acl;
};

static inline struct ext2_fs *ext2_sb(struct inode *i) { return i->mnt->priv; }
static inline struct ext2_inode_info *ext2_ii(struct inode *i) { return i->priv; }

/* ext2.c */
int ext2_iget(struct mount *m, uint32_t ino, struct inode **out);
/* Physical block of logical block LBN, 0 for a hole. */
int ext2_bmap(struct inode *ino, uint64_t lbn, uint32_t *out);
long ext2_read(struct inode *ino, void *buf, size_t n, off_t off);
/* ext2_dir.c */
int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
int ext2_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c);
