/* inotify inside the VFS: the watches an inode carries, the hooks the VFS
 * paths call when they change or use an inode, and the instance queue the
 * hooks feed (inotify.c). Every hook returns at once when nothing in the
 * system is watched (notify_nwatches == 0); otherwise it runs with the VFS
 * lock held, which guards watches and parent hints. */
#pragma once
#include "fs.h"

/* <sys/inotify.h> */
#define IN_ACCESS        0x00000001u
#define IN_MODIFY        0x00000002u
#define IN_ATTRIB        0x00000004u
#define IN_CLOSE_WRITE   0x00000008u
#define IN_CLOSE_NOWRITE 0x00000010u
#define IN_OPEN          0x00000020u
#define IN_MOVED_FROM    0x00000040u
#define IN_MOVED_TO      0x00000080u
#define IN_CREATE        0x00000100u
#define IN_DELETE        0x00000200u
#define IN_DELETE_SELF   0x00000400u
#define IN_MOVE_SELF     0x00000800u
#define IN_ALL_EVENTS    0x00000fffu
#define IN_UNMOUNT       0x00002000u
#define IN_Q_OVERFLOW    0x00004000u
#define IN_IGNORED       0x00008000u
#define IN_ONLYDIR       0x01000000u
#define IN_DONT_FOLLOW   0x02000000u
#define IN_EXCL_UNLINK   0x04000000u
#define IN_MASK_CREATE   0x10000000u
#define IN_MASK_ADD      0x20000000u
#define IN_ISDIR         0x40000000u
#define IN_ONESHOT       0x80000000u
/* What a parent directory's watch hears about its children. */
#define IN_CHILD_EVENTS  (IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN)

struct inotify;

/* One watch: an instance's interest in an inode. Guarded by the VFS lock. */
struct watch {
	struct watch *inext;         /* the inode's watches */
	struct watch *gnext;         /* the instance's watches */
	struct inotify *in;
	struct inode *ino;           /* referenced while the watch lives */
	int wd;
	uint32_t mask;               /* events | IN_ONESHOT | IN_EXCL_UNLINK */
};

/* What notify keeps per inode (inode->notify). Guarded by the VFS lock. */
struct inode_notify {
	struct watch *watches;
	/* The directory the inode was last found in while that directory was
	 * watched, and the name there: Linux reports a child's events to its
	 * parent's watch through the dentry; this is our dentry's d_parent. */
	struct inode *parent;        /* referenced, or NULL */
	char *name;
	size_t namelen;
	bool delete_pending;         /* unlinked while open: DELETE_SELF at the last close */
	uint32_t checked_gen;        /* notify_dirgen when an open path last said no watched parent */
};

/* Watches in the whole system; the hooks' one check. */
extern int notify_nwatches;
static inline bool notify_active(void)
{
	return __atomic_load_n(&notify_nwatches, __ATOMIC_RELAXED) != 0;
}

/* ---- notify.c: hooks (VFS lock held unless said otherwise) ---- */
/* DIR's NAME was looked up and is CHILD: remember the parent if DIR is watched. */
void notify_lookup(struct inode *dir, const char *name, size_t len, struct inode *child);
/* NAME appeared in DIR (create, mkdir, symlink, mknod); CHILD if known. */
void notify_create(struct inode *dir, const char *name, size_t len, struct inode *child, bool isdir);
/* NAME in DIR, inode VICTIM (referenced by the caller), was removed. */
void notify_remove(struct inode *dir, const char *name, size_t len, struct inode *victim, bool isdir);
/* A rename that succeeded; SRC and DST (the replaced or exchanged inode, or NULL) referenced. */
void notify_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl,
		   struct inode *src, struct inode *dst, unsigned flags);
/* A new hard link NAME in DIR to INO. */
void notify_link(struct inode *dir, const char *name, size_t len, struct inode *ino);
/* An event MASK on INO itself, also reported to its parent's watch. */
void notify_inode(struct inode *ino, uint32_t mask);
/* Events through an open file: IN_ACCESS / IN_MODIFY after data moved
 * (called without the VFS lock), open and the last close (with it). */
void notify_access(struct file *f);
void notify_modify(struct file *f);
void notify_open(struct file *f);
void notify_close(struct file *f);
/* INO's last reference is going: forget its notify state. */
void notify_evict(struct inode *ino);
/* Look up NAME in DIR for a hook about to change it: a new reference, or NULL. */
struct inode *notify_peek(struct inode *dir, const char *name, size_t len);

/* ---- notify.c, for inotify.c ---- */
/* Add or update INSTANCE's watch on INO; returns the wd. */
int notify_watch_set(struct inotify *in, struct inode *ino, uint32_t mask);
/* Remove watch W, queueing IN_IGNORED unless QUIET. */
void notify_watch_drop(struct watch *w, bool quiet);

/* ---- inotify.c ---- */
/* Queue an event on the instance (coalescing and the overflow rule) and wake
 * its readers; VFS lock held (it keeps the instance alive). */
void inotify_queue(struct inotify *in, int wd, uint32_t mask, uint32_t cookie, const char *name, size_t len);
/* The instance's watch list head (VFS lock held). */
struct watch **inotify_watches(struct inotify *in);
int inotify_next_wd(struct inotify *in);
/* max_user_watches: the one system-wide limit (one user). */
int notify_max_watches(void);
