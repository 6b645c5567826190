/* The overlay filesystem's internals, shared by overlay.c (names, lookup,
 * readdir) and overlay_copy.c (copy-up, the upper-inode table). Nothing
 * outside those two files includes this. */
#pragma once
#include "fs.h"

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
/* Objects that exist only in the upper layer get UPPER_TAG | the upper
 * tmpfs's inode number, so they never collide with the lower ext2's numbers. */
#define UPPER_TAG (1ULL << 32)
#define UINFO_HASH 256

/* What the overlay remembers about an upper inode beyond the inode itself
 * (Linux keeps both in xattrs, which our tmpfs has not): the lower inode
 * number a copied-up file came from, and whether a directory is opaque. */
struct ovl_uinfo {
	struct ovl_uinfo *next;
	uint64_t uino;               /* the upper tmpfs's inode number (never reused) */
	uint64_t origin;             /* st_ino kept across copy-up; 0 if none */
	bool opaque;                 /* a directory that hides every lower entry */
};

struct ovl_sb {
	struct mount *lower;         /* the read-only ext2 */
	struct mount *upper;         /* a tmpfs, attached nowhere */
	struct inode *udir, *work;   /* its /upper and /work directories (referenced) */
	struct ovl_uinfo *uinfo[UINFO_HASH];   /* guarded by the VFS lock */
	uint64_t tmp_seq;            /* names of files being built in work */
	struct mutex copy_lock;      /* one data copy-up at a time; taken without the VFS lock */
};

/* The overlay's part of an inode. UPPER and LOWER are references; at least
 * one is set. A lower-only object remembers where it was found (PARENT, NAME)
 * so it can be copied up there later. */
struct ovl_node {
	struct inode *upper;         /* set once (copy-up or creation), never changed */
	struct inode *lower;
	struct inode *parent;        /* the overlay directory it was found in (referenced), NULL for / */
	char *name;                  /* its name there (kmalloc'd) */
	bool removed;                /* no name left: its last link unlinked, or rmdir'd */
};

static inline struct ovl_node *ON(struct inode *i) { return i->priv; }
static inline struct ovl_sb *OSB(struct inode *i) { return i->mnt->priv; }

/* ---- overlay_copy.c ---- */
/* The record for upper inode number UINO; created (zeroed) if CREATE, else NULL when absent. */
struct ovl_uinfo *ovl_uinfo(struct ovl_sb *sb, uint64_t uino, bool create);
/* Forget UINO's record (its upper inode is gone). */
void ovl_uinfo_drop(struct ovl_sb *sb, uint64_t uino);
/* Does directory DIR hide all lower entries? */
bool ovl_opaque(struct inode *dir);
/* Refresh the overlay inode's attributes from the layer that holds it. */
void ovl_sync(struct inode *ino);
/* Give INO an upper copy (its parents first); with DATA, a regular file's
 * contents too. VFS lock held; a data copy drops it while bytes move. */
int ovl_copy_up(struct inode *ino, bool data);
/* A new upper object in the work directory (regular file, whiteout, directory
 * or symlink by MODE; TARGET for symlinks); its name goes into NAME (>= 24 bytes). */
int ovl_work_create(struct ovl_sb *sb, uint32_t mode, const char *target, char *name, size_t *len, struct inode **out);
/* Copy mode bits, owner and times of FROM onto TO (the upper), ctime now. */
int ovl_copy_attrs(struct inode *from, struct inode *to);
