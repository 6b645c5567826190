/* Inside the VFS: inodes, mounts, the operations a filesystem provides, the
 * page cache. Filesystems (ext2.c, tmpfs.c, devfs.c) and the VFS core
 * (inode.c, namei.c, mount.c, file.c, ops.c) include this; nothing else should. */
#pragma once
#include "../include/kernel.h"
#include "../include/vfs.h"
#include "../include/blk.h"
#include "../include/sched.h"

struct mount;
struct iattr;
struct inode_notify;

/* What a filesystem does with its inodes. Every member is optional; the
 * iop_* wrappers in ops.c decide once what a missing one means (-EROFS on a
 * read-only mount, -EPERM for namespace changes, -EINVAL otherwise).
 * Names are not NUL-terminated. All members are called with the VFS lock
 * held except read and write: those may be handed app memory, which can
 * fault, and a fault may read a file; so they run unlocked and take the VFS
 * lock themselves only around copies to and from kernel memory.
 * The rule everywhere: never touch app memory while holding the VFS lock. */
struct inode_ops {
	int (*lookup)(struct inode *dir, const char *name, size_t len, struct inode **out);
	int (*create)(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, size_t len, uint32_t mode);
	int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target);
	int (*unlink)(struct inode *dir, const char *name, size_t len);   /* not a directory */
	int (*rmdir)(struct inode *dir, const char *name, size_t len);    /* an empty directory */
	/* Move ODIR/ON to NDIR/NN (same mount, checked), replacing a compatible target. */
	int (*rename)(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags);
	long (*readlink)(struct inode *ino, char *buf, size_t n);          /* no NUL */
	long (*read)(struct inode *ino, void *buf, size_t n, off_t off);  /* regular file data; unlocked */
	/* At *POS (at the end if APPEND), advancing *POS; unlocked. */
	long (*write)(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append);
	int (*truncate)(struct inode *ino, off_t size);
	/* Directory entries from *POS on (an fs-defined cookie, 0 = start). */
	int (*readdir)(struct inode *dir, off_t *pos, struct dir_ctx *c);
	/* Persist attribute changes already made in the struct inode. */
	int (*setattr)(struct inode *ino);
	int (*fsync)(struct inode *ino, bool datasync);
	/* The last reference is gone: free the fs's part (and the inode). */
	void (*evict)(struct inode *ino);
	/* A new name DIR/NAME for TARGET (same mount, not a directory, checked;
	 * NAME absent, checked): the fs raises TARGET's nlink and its ctime. */
	int (*link)(struct inode *dir, const char *name, size_t len, struct inode *target);
	/* O_TMPFILE: a new nameless inode of MODE (nlink 0) on DIR's fs, *OUT
	 * referenced; missing: the open answers -EOPNOTSUPP. */
	int (*tmpfile)(struct inode *dir, uint32_t mode, struct inode **out);
	/* ---- memory mappings (rump/mm/vm.c). Both optional: without map_page,
	 * MAP_SHARED|PROT_WRITE answers -ENODEV and other file mappings copy the
	 * file into private pages at first touch. ----
	 * The physical page that holds file page PGOFF, so that a mapping and
	 * read()/write() share it (coherent by construction). PGOFF is inside the
	 * file (iop_map_page checks). WRITE: stores through a mapping will follow
	 * (allocate a hole; -ENOSPC if none is left, which the app sees as
	 * SIGBUS, as on Linux). A page handed out must stay put until put_page
	 * with UNMAP or a truncate below it (the VFS unmaps every mapping of the
	 * truncated range first: vm_unmap_file). VFS lock and vm_lock held. */
	int (*map_page)(struct inode *ino, uint64_t pgoff, bool write, paddr_t *out);
	/* Stores through a mapping reached file page PGOFF (DIRTY: msync, munmap,
	 * truncate found the page written); UNMAP: one mapping that map_page
	 * served is gone, drop what it pinned. vm_lock held, the VFS lock maybe
	 * (truncate): take neither. A disk fs marks the page dirty and drops a
	 * pin; tmpfs needs nothing. */
	void (*put_page)(struct inode *ino, uint64_t pgoff, bool dirty, bool unmap);
	/* Optional, with map_page: whether map_page can serve INO's pages now
	 * (the overlay: only once the file has its upper copy; until then its
	 * mappings copy). Missing: always. */
	bool (*can_map)(struct inode *ino);
	/* fallocate(2) MODE over [OFF, OFF+LEN) of a regular file (checked);
	 * missing: -EOPNOTSUPP. */
	int (*fallocate)(struct inode *ino, int mode, off_t off, off_t len);
	/* A "magic" symlink (/proc/self/fd/N), followed to the inode it stands
	 * for rather than through its text: 0 with *OUT referenced and its path
	 * in PATH (PATH_MAX bytes); 1 to follow the text after all; or -errno. */
	int (*jump_link)(struct inode *link, struct inode **out, char *path);
};

struct inode {
	uint64_t ino;
	uint32_t mode;               /* S_IFMT | permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;
	uint64_t blocks;             /* 512-byte units */
	uint64_t rdev;               /* userspace dev_t encoding */
	struct ktimespec atime, mtime, ctime, btime;
	bool has_btime;
	int refs;                    /* guarded by the VFS lock */
	struct mount *mnt;
	struct mount *covered;       /* mounted on this inode, or NULL */
	const struct inode_ops *ops;
	const struct file_ops *fops; /* for character devices: how open files behave */
	void *priv;                  /* the filesystem's */
	struct inode *hnext;         /* inode cache chain (icache users only) */
	bool linkable;               /* nlink 0 but linkat may name it (O_TMPFILE without O_EXCL) */
	struct inode_notify *notify; /* inotify watches and parent hint (notify.c), or NULL */
	int nopen;                   /* open descriptions on it (VFS lock): IN_DELETE_SELF waits for 0 */
	int nmaps;                   /* regions mapping it (vm.c; atomic): truncate unmaps when > 0 */
};

/* A mounted filesystem instance. */
struct fs_type {
	const char *name;
	int (*statfs)(struct mount *m, struct kstatfs *sf);   /* optional */
	int (*sync)(struct mount *m);                        /* optional */
	/* Regular files may be opened O_DIRECT (else -EINVAL, as Linux answers
	 * for a filesystem without direct I/O). */
	bool direct_io;
};

struct mount {
	const struct fs_type *type;
	struct inode *root;          /* a reference held by the mount */
	struct inode *mountpoint;    /* in the parent mount (referenced), NULL for / */
	struct mount *parent;
	bool rdonly;
	uint64_t dev;                /* st_dev for its inodes */
	uint64_t id;                 /* stx_mnt_id */
	void *priv;                  /* the filesystem's */
	char *path;                  /* where it is mounted (kmalloc'd), for /proc/mounts */
	struct mount *next;
	/* O_DIRECT transfers must align buffer, offset and length to this (a
	 * power of two; statx's STATX_DIOALIGN), 0: any alignment (tmpfs). */
	uint32_t dio_align;
};

/* ---- inode.c: the one VFS lock, a sleeping mutex ---- */
void vfs_lock(void);
void vfs_unlock(void);
bool vfs_locked(void);    /* held by the calling thread */

/* ---- inode.c ---- */
/* A zeroed inode with one reference, on mount M (not in the cache). */
struct inode *inode_alloc(struct mount *m, uint64_t ino, const struct inode_ops *ops);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);
/* A new inode's owner (the creator's fsuid/fsgid, or a set-group-ID DIR's
 * group) and mode, set in INO; returns the mode. For filesystems that keep owners. */
uint32_t inode_init_owner(struct inode *ino, const struct inode *dir, uint32_t mode);
/* The cache, for filesystems whose inodes have numbers (ext2): lookup
 * returns a new reference or NULL; insert adds a fresh inode. */
struct inode *icache_lookup(struct mount *m, uint64_t ino);
void icache_insert(struct inode *ino);
struct ktimespec time_now(void);           /* wall clock */
unsigned mode_to_dtype(uint32_t mode);

/* ---- mount.c ---- */
struct mount *mount_new(const struct fs_type *t, uint64_t dev, bool rdonly);
/* Attach M over the directory AT (M->root must be set). */
int mount_attach(struct mount *m, struct inode *at);
/* Attach M over the directory PATH, taking the VFS lock; logs a failure. */
int mount_at_path(struct mount *m, const char *path);
extern struct mount *root_mount;
struct mount *mount_first(void);          /* every mount, newest first (->next); VFS lock held */

/* ---- namei.c: path walk ---- */
enum last_kind { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };
struct nameidata {
	struct inode *ino;           /* where the walk is (referenced) */
	char *path;                  /* canonical path of ino, PATH_MAX buffer */
	size_t plen;
	int nlinks;                  /* symlinks followed */
	/* With WALK_PARENT: the final component. */
	char last[NAME_MAX + 1];
	size_t lastlen;
	enum last_kind last_kind;
	bool trailing_slash;
};
#define WALK_FOLLOW 1u     /* follow a symlink in the final component */
#define WALK_PARENT 2u     /* stop at the final component's directory */
#define WALK_DIRECTORY 4u  /* the result must be a directory */
#define WALK_EMPTY 8u      /* an empty path means DIRFD itself (AT_EMPTY_PATH) */
/* Resolve PATH from DIRFD. On success ND holds a referenced inode and its
 * canonical path: nd_done() releases them (also after a failure). VFS lock held. */
int path_walk(int dirfd, const char *path, unsigned flags, struct nameidata *nd);
/* Continue a WALK_PARENT walk through the symlink LINK found as its last
 * component (open O_CREAT on a symlink). */
int path_walk_link(struct nameidata *nd, struct inode *link, unsigned flags);
void nd_done(struct nameidata *nd);
/* Look NAME up in directory DIR, crossing mounts down; new reference. */
int lookup_one(struct inode *dir, const char *name, size_t len, struct inode **out);
/* Append "/NAME" to a canonical path buffer (PATH_MAX). */
int path_append(char *buf, size_t *len, const char *name, size_t nlen);

/* ---- ops.c: the one place a missing inode_ops member is decided ---- */
int iop_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
int iop_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out);
int iop_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode);
int iop_symlink(struct inode *dir, const char *name, size_t len, const char *target);
int iop_unlink(struct inode *dir, const char *name, size_t len);
int iop_rmdir(struct inode *dir, const char *name, size_t len);
int iop_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl, unsigned flags);
long iop_readlink(struct inode *ino, char *buf, size_t n);
long iop_read(struct inode *ino, void *buf, size_t n, off_t off);
long iop_write(struct inode *ino, const void *buf, size_t n, off_t *pos, bool append);
/* Callers hold vm_regions_lock() before the VFS lock: a truncate unmaps the
 * cut pages from every mapping (vm_unmap_file), and faults take vm_lock first. */
int iop_truncate(struct inode *ino, off_t size);
int iop_readdir(struct inode *dir, off_t *pos, struct dir_ctx *c);
int iop_setattr(struct inode *ino);
int iop_setattr_event(struct inode *ino, uint32_t inotify_event);   /* 0: none */
int iop_fsync(struct inode *ino, bool datasync);
int iop_link(struct inode *dir, const char *name, size_t len, struct inode *target);
int iop_tmpfile(struct inode *dir, uint32_t mode, struct inode **out);
/* map_page's one gate: -ENODEV without it, -ENXIO (SIGBUS) for a page
 * wholly beyond the end of the file. */
int iop_map_page(struct inode *ino, uint64_t pgoff, bool write, paddr_t *out);
void inode_fill_stat(struct inode *ino, struct kstat *st);

/* ---- file.c ---- */
/* Open files on inodes: regular files and directories share these ops. */
extern const struct file_ops inode_file_ops;
/* A file description on INO (takes a new inode reference). */
struct file *file_open_inode(struct inode *ino, unsigned flags, const char *path);
void file_put_locked(struct file *f);          /* file_put with the VFS lock held */

/* ---- namei.c: the process's cwd (VFS lock held) ---- */
struct inode *cwd_inode(void);                 /* new reference */
const char *cwd_path(void);                    /* valid while holding the VFS lock */
void cwd_set(struct inode *ino, const char *path);

/* ---- pcache.c: the page cache over block devices ---- */
struct pc_page {
	struct blk_dev *dev;
	uint64_t index;              /* device offset / 4096 */
	void *data;                  /* one direct-mapped page */
	uint32_t pins;               /* guarded by the cache lock */
	uint8_t state;               /* PC_* */
	struct pc_page *hnext;
	struct pc_page *lprev, *lnext;  /* LRU list of unpinned pages */
};
#define PC_VALID 1
#define PC_DIRTY 2
#define PC_BUSY 4
#define PC_JMETA 8   /* metadata of the running journal transaction: not written in place */
#define PC_JCKPT 16  /* committed journaled metadata, not yet in place (the checkpoint's) */
struct pcache_stats { uint64_t hits, misses, reads, evictions, pages, max_pages; };
void pcache_init(size_t max_pages);
/* Device page INDEX, read on a miss; pinned until pcache_put. */
int pcache_get(struct blk_dev *d, uint64_t index, struct pc_page **out);
void pcache_put(struct pc_page *p);
/* Page INDEX zeroed and pinned without reading it (a block about to be rewritten). */
int pcache_get_new(struct blk_dev *d, uint64_t index, struct pc_page **out);
void pcache_dirty(struct pc_page *p);
int pcache_sync(struct blk_dev *d);            /* write back dirty pages, then flush */
/* Write back D's dirty pages that are not PC_JMETA, without a flush; with
 * DATA_ONLY not the PC_JCKPT ones either. */
int pcache_writeback(struct blk_dev *d, bool data_only);
/* Make a pinned page running-transaction metadata (ON: PC_JMETA|PC_DIRTY and a
 * pin of the journal's own) or release it after its commit (the pin dropped,
 * the page left dirty and PC_JCKPT for write-back in place). pcache_dirty
 * makes a page plain data again. */
void pcache_jmeta(struct pc_page *p, bool on);
/* Copy N bytes at device byte offset OFF through the cache. */
int pcache_read(struct blk_dev *d, uint64_t off, void *buf, size_t n);
int pcache_write(struct blk_dev *d, uint64_t off, const void *buf, size_t n);
void pcache_drop(struct blk_dev *d);           /* forget clean unpinned pages (tests) */
void pcache_get_stats(struct pcache_stats *s);

/* ---- filesystems ---- */
int ext2_mount(struct blk_dev *d, uint64_t dev, struct mount **out);  /* read-only */
int tmpfs_mount(uint64_t dev, struct mount **out);
int devfs_mount(uint64_t dev, struct mount **out);
int procfs_mount(uint64_t dev, struct mount **out);
/* The kinds mount= names (volumes.c): SOURCE is a disk name or a 9p tag; a new,
 * unattached mount with st_dev DEV, read-only if RO. Each logs why it failed. */
int ext2_mount_volume(const char *source, bool ro, uint64_t dev, struct mount **out);
int v9fs_mount_tag(const char *tag, bool ro, uint64_t dev, struct mount **out);
/* overlay.c: a writable tmpfs layer over LOWER (mounted, unattached), st_dev DEV
 * (the upper tmpfs takes DEV + 1, seen nowhere). */
int overlay_mount(struct mount *lower, uint64_t dev, struct mount **out);
struct mount *overlay_lower(struct mount *m);  /* its lower mount; M if not an overlay */
/* overlay_copy.c, VFS lock not held: copy SIZE bytes of FROM's data into TO
 * (holes kept), and the tree below directory FROM into directory TO. */
int fs_copy_data(struct inode *from, struct inode *to, uint64_t size);
int fs_seed_tree(struct inode *from, struct inode *to, int depth);
/* volumes.c: mount what the kernel command line's mount= tokens name. */
int vfs_mount_volumes(void);

/* ---- open.c ---- */
int umask_get(void);                       /* the file mode creation mask */
/* O_DIRECT alignment for a transfer of N bytes at OFF through BUF on F:
 * -EINVAL when its mount's dio_align is not met (ext4's answer). */
int dio_check(struct file *f, const void *buf, size_t n, off_t off);
