/* Block devices: what a disk driver (virtio-blk, a host file in tests) offers
 * the page cache and filesystems. Drivers fill a struct blk_dev and call
 * blk_register(); rump/fs/blkdev.c keeps the list and checks every request. */
#pragma once
#include "types.h"

#define BLK_SECTOR 512          /* the unit of blk_rw's sector numbers */
#define BLK_MAX_SEGS 64         /* segments in one request */

struct blk_dev;

/* One piece of a request: a kernel (direct-mapped) buffer of len bytes, a
 * multiple of 512, not crossing a page boundary unless physically contiguous. */
struct blk_seg {
	void *buf;
	uint32_t len;
};

/* A driver's face. rw is required; flush may be NULL (nothing to flush). */
struct blk_ops {
	/* Transfer the segments, in order, from/to consecutive sectors starting at
	 * SECTOR. Returns 0 or -EIO. Synchronous: done when it returns. */
	int (*rw)(struct blk_dev *d, bool write, uint64_t sector, const struct blk_seg *segs, int nsegs);
	/* Make completed writes durable. */
	int (*flush)(struct blk_dev *d);
};

struct blk_dev {
	const struct blk_ops *ops;
	char name[16];          /* "vda", "vdb", ... */
	uint64_t nsectors;      /* capacity in 512-byte sectors */
	bool readonly;
	void *priv;             /* the driver's */
	int index;              /* set by blk_register: 0 for the first disk */
	struct blk_dev *next;   /* registration list, guarded by the list lock */
	/* Counted by blk_rw/blk_flush (atomically), shown in /proc/diskstats. */
	uint64_t reads, read_sectors, read_ns, writes, write_sectors, write_ns, flushes, flush_ns;
};

/* rump/fs/blkdev.c */
int blk_register(struct blk_dev *d);     /* append; names it vdX if name is empty */
struct blk_dev *blk_get(int index);      /* the INDEX-th registered disk or NULL */
struct blk_dev *blk_find(const char *name);  /* the disk named NAME ("vdb") or NULL */
/* Bounds- and read-only-checked request. -EINVAL, -EROFS, -EIO or 0. */
int blk_rw(struct blk_dev *d, bool write, uint64_t sector, const struct blk_seg *segs, int nsegs);
int blk_flush(struct blk_dev *d);
struct blk_dev *blk_first(void);         /* the registration list (->next), for /proc */
