/* The list of block devices and the checks every request passes. */
#include "fs.h"
#include "../include/arch.h"

static void count(uint64_t *ops, uint64_t *units, uint64_t *ns, uint64_t n, uint64_t t0)
{
	__atomic_add_fetch(ops, 1, __ATOMIC_RELAXED);
	if (units)
		__atomic_add_fetch(units, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(ns, time_monotonic_ns() - t0, __ATOMIC_RELAXED);
}

static struct spinlock blk_lock = SPINLOCK_INIT("blkdev");
static struct blk_dev *blk_list;   /* guarded by blk_lock */
static int blk_count;

/* Append D to the list; names it vda, vdb, ... when it has no name. */
int blk_register(struct blk_dev *d)
{
	if (!d->ops || !d->ops->rw)
		return -EINVAL;
	spin_lock(&blk_lock);
	d->index = blk_count++;
	if (!d->name[0])
		snprintf(d->name, sizeof(d->name), "vd%c", 'a' + d->index);
	d->next = NULL;
	struct blk_dev **pp = &blk_list;
	while (*pp)
		pp = &(*pp)->next;
	*pp = d;
	spin_unlock(&blk_lock);
	return 0;
}

/* The INDEX-th registered device, or NULL. */
struct blk_dev *blk_get(int index)
{
	spin_lock(&blk_lock);
	struct blk_dev *d = blk_list;
	while (d && d->index != index)
		d = d->next;
	spin_unlock(&blk_lock);
	return d;
}

/* The device named NAME ("vdb"), or NULL. */
struct blk_dev *blk_find(const char *name)
{
	spin_lock(&blk_lock);
	struct blk_dev *d = blk_list;
	while (d && strcmp(d->name, name))
		d = d->next;
	spin_unlock(&blk_lock);
	return d;
}

/* Checked transfer: lengths multiples of 512, inside the disk, not to a read-only one. */
int blk_rw(struct blk_dev *d, bool write, uint64_t sector, const struct blk_seg *segs, int nsegs)
{
	if (nsegs <= 0 || nsegs > BLK_MAX_SEGS)
		return -EINVAL;
	if (write && d->readonly)
		return -EROFS;
	uint64_t total = 0;
	for (int i = 0; i < nsegs; i++) {
		if (!segs[i].len || segs[i].len % BLK_SECTOR)
			return -EINVAL;
		total += segs[i].len / BLK_SECTOR;
	}
	if (sector > d->nsectors || total > d->nsectors - sector)
		return -EIO;
	uint64_t t0 = time_monotonic_ns();
	int err = d->ops->rw(d, write, sector, segs, nsegs);
	if (write)
		count(&d->writes, &d->write_sectors, &d->write_ns, total, t0);
	else
		count(&d->reads, &d->read_sectors, &d->read_ns, total, t0);
	return err;
}

/* The first registered device; the rest follow ->next (registered for good). */
struct blk_dev *blk_first(void)
{
	spin_lock(&blk_lock);
	struct blk_dev *d = blk_list;
	spin_unlock(&blk_lock);
	return d;
}

/* Flush the device's write cache, if it has one. */
int blk_flush(struct blk_dev *d)
{
	if (!d->ops->flush || d->readonly)
		return 0;
	uint64_t t0 = time_monotonic_ns();
	int err = d->ops->flush(d);
	count(&d->flushes, NULL, &d->flush_ns, 0, t0);
	return err;
}
