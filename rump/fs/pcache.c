/* The page cache: 4 KiB pages of block devices, read on demand, bounded, with
 * LRU eviction and sequential read-ahead. Filesystems see whole device pages;
 * a 4 KiB-block ext2 file block is exactly one cache page.
 *
 * Locking: pc_lock guards the hash, the LRU list, pins and state. Disk I/O
 * runs without it; a page under I/O is PC_BUSY and nobody else touches it
 * (a reader that finds it busy sleeps on pc_wq until the I/O is over: the
 * thread doing it sleeps too, and kernel code is not preempted, so a
 * spinning reader would never let it finish). */
#include "fs.h"
#include "../include/mm.h"
#include "../include/arch.h"
#include "../include/sched.h"

#define PC_HASH 4096
#define RA_MIN 4               /* pages read on a random miss */
#define RA_MAX 32              /* pages read at once on a sequential stream */
#define SECTORS_PER_PAGE (PAGE_SIZE / BLK_SECTOR)

static struct spinlock pc_lock = SPINLOCK_INIT("pcache");
static struct waitq pc_wq = WAITQ_INIT("pcache");   /* readers of a PC_BUSY page */
static struct pc_page *pc_hash[PC_HASH];
static struct pc_page *lru_head, *lru_tail;   /* guarded by pc_lock */
static size_t pc_count, pc_max = 1024;
static struct pcache_stats st;
/* read-ahead: where the last miss run ended, and the current window */
static struct blk_dev *ra_dev;
static uint64_t ra_next;
static unsigned ra_win = RA_MIN;

/* Bucket for (D, INDEX). */
static unsigned hash_of(struct blk_dev *d, uint64_t index)
{
	uint64_t h = (uint64_t)(uintptr_t)d * 0x9e3779b97f4a7c15ULL ^ index * 0xff51afd7ed558ccdULL;
	return (unsigned)(h >> 40) % PC_HASH;
}

/* The cached page or NULL; pc_lock held. */
static struct pc_page *find(struct blk_dev *d, uint64_t index)
{
	for (struct pc_page *p = pc_hash[hash_of(d, index)]; p; p = p->hnext)
		if (p->dev == d && p->index == index)
			return p;
	return NULL;
}

static void lru_remove(struct pc_page *p)
{
	if (p->lprev) p->lprev->lnext = p->lnext; else lru_head = p->lnext;
	if (p->lnext) p->lnext->lprev = p->lprev; else lru_tail = p->lprev;
	p->lprev = p->lnext = NULL;
}

static void lru_append(struct pc_page *p)
{
	p->lnext = NULL;
	p->lprev = lru_tail;
	if (lru_tail) lru_tail->lnext = p; else lru_head = p;
	lru_tail = p;
}

static void hash_remove(struct pc_page *p)
{
	struct pc_page **pp = &pc_hash[hash_of(p->dev, p->index)];
	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
}

/* Write a dirty page back (called without pc_lock, page marked busy). */
static int writeback(struct pc_page *p)
{
	uint64_t first = p->index * SECTORS_PER_PAGE;
	struct blk_seg seg = { p->data, (uint32_t)(MIN((uint64_t)SECTORS_PER_PAGE, p->dev->nsectors - first) * BLK_SECTOR) };
	return blk_rw(p->dev, true, p->index * SECTORS_PER_PAGE, &seg, 1);
}

/* Free unpinned pages until one more fits; pc_lock held (may drop it to write
 * back a dirty page). Returns false if everything is pinned or busy. */
static bool make_room(void)
{
	while (pc_count >= pc_max) {
		struct pc_page *v = lru_head;
		while (v && (v->state & (PC_BUSY | PC_JMETA)))
			v = v->lnext;
		if (!v)
			return false;
		if (v->state & PC_DIRTY) {
			v->state |= PC_BUSY;
			lru_remove(v);
			spin_unlock(&pc_lock);
			int err = writeback(v);
			spin_lock(&pc_lock);
			v->state &= (uint8_t)~PC_BUSY;
			waitq_wake(&pc_wq, INT32_MAX);
			if (!err)
				v->state &= (uint8_t)~(PC_DIRTY | PC_JCKPT);
			if (v->pins == 0)
				lru_append(v);
			if (err)
				kprintf("pcache: write-back of %s page %lu failed\n", v->dev->name, (unsigned long)v->index);
			continue;
		}
		lru_remove(v);
		hash_remove(v);
		page_free(v->data, 1);
		kfree(v);
		pc_count--;
		st.evictions++;
	}
	return true;
}

/* Set the cache's bound (pages). */
void pcache_init(size_t max_pages)
{
	pc_max = max_pages < 2 * RA_MAX ? 2 * RA_MAX : max_pages;
	st.max_pages = pc_max;
}

/* A new busy entry for (D, INDEX), in the hash; NULL if no memory. pc_lock held. */
static struct pc_page *new_entry(struct blk_dev *d, uint64_t index)
{
	if (!make_room() || find(d, index))   /* make_room may drop the lock */
		return NULL;
	struct pc_page *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	p->data = page_alloc(1);
	if (!p->data) {
		kfree(p);
		return NULL;
	}
	p->dev = d;
	p->index = index;
	p->state = PC_BUSY;
	unsigned h = hash_of(d, index);
	p->hnext = pc_hash[h];
	pc_hash[h] = p;
	pc_count++;
	return p;
}

/* Read device page INDEX (and read-ahead after it); returns it pinned. */
int pcache_get(struct blk_dev *d, uint64_t index, struct pc_page **out)
{
	/* a disk whose size is not a multiple of 4 KiB ends in a partial page */
	uint64_t npages = (d->nsectors + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE;
	if (index >= npages)
		return -EIO;
	spin_lock(&pc_lock);
retry:
	for (;;) {
		struct pc_page *p = find(d, index);
		if (!p)
			break;
		if (p->state & PC_BUSY) {        /* someone is reading it: wait */
			waitq_sleep(&pc_wq, &pc_lock, 0);
			continue;
		}
		if (p->pins++ == 0)
			lru_remove(p);
		st.hits++;
		spin_unlock(&pc_lock);
		*out = p;
		return 0;
	}
	/* A miss: read a run of absent pages starting here in one request. */
	st.misses++;
	unsigned win = RA_MIN;
	if (ra_dev == d && ra_next == index)
		win = ra_win * 2 > RA_MAX ? RA_MAX : ra_win * 2;
	struct pc_page *run[RA_MAX];
	int n = 0;
	while (n < (int)win && index + (uint64_t)n < npages && (n == 0 || !find(d, index + (uint64_t)n))) {
		struct pc_page *p = new_entry(d, index + (uint64_t)n);
		if (!p)
			break;
		run[n++] = p;
	}
	if (n == 0) {
		if (find(d, index))
			goto retry;
		spin_unlock(&pc_lock);
		return -ENOMEM;
	}
	run[0]->pins = 1;
	ra_dev = d;
	ra_next = index + (uint64_t)n;
	ra_win = win;
	st.reads++;
	spin_unlock(&pc_lock);

	struct blk_seg segs[RA_MAX];
	for (int i = 0; i < n; i++) {
		uint64_t first = (index + (uint64_t)i) * SECTORS_PER_PAGE;
		segs[i].buf = run[i]->data;
		segs[i].len = (uint32_t)(MIN((uint64_t)SECTORS_PER_PAGE, d->nsectors - first) * BLK_SECTOR);
	}
	int err = blk_rw(d, false, index * SECTORS_PER_PAGE, segs, n);

	spin_lock(&pc_lock);
	for (int i = 0; i < n; i++) {
		struct pc_page *p = run[i];
		if (err) {
			hash_remove(p);
			page_free(p->data, 1);
			kfree(p);
			pc_count--;
			continue;
		}
		p->state = PC_VALID;
		if (i > 0)
			lru_append(p);
	}
	spin_unlock(&pc_lock);
	waitq_wake(&pc_wq, INT32_MAX);
	if (err)
		return err;
	*out = run[0];
	return 0;
}

/* Unpin P. */
void pcache_put(struct pc_page *p)
{
	spin_lock(&pc_lock);
	assert(p->pins > 0);
	if (--p->pins == 0)
		lru_append(p);
	spin_unlock(&pc_lock);
}

/* Mark a pinned page modified (file data, or metadata the journal is told of). */
void pcache_dirty(struct pc_page *p)
{
	spin_lock(&pc_lock);
	p->state |= PC_DIRTY;
	p->state &= (uint8_t)~PC_JCKPT;    /* written as data now: by the next commit */
	spin_unlock(&pc_lock);
}

/* Make P running-transaction metadata or release it (see fs.h). The journal's
 * pin keeps the page out of the LRU, so eviction never writes it early. */
void pcache_jmeta(struct pc_page *p, bool on)
{
	spin_lock(&pc_lock);
	if (on) {
		assert(p->pins > 0 && !(p->state & PC_JMETA));
		p->state |= PC_JMETA | PC_DIRTY;
		p->pins++;
	} else {
		assert(p->pins > 0 && (p->state & PC_JMETA));
		p->state &= (uint8_t)~PC_JMETA;
		p->state |= PC_JCKPT;
		if (--p->pins == 0)
			lru_append(p);
	}
	spin_unlock(&pc_lock);
}

/* Write back D's (all devices' if NULL) dirty pages except running-transaction
 * metadata (and with DATA_ONLY committed metadata), a batch per scan of the
 * hash. 0 or the first error. */
int pcache_writeback(struct blk_dev *d, bool data_only)
{
	uint8_t skip = (uint8_t)(PC_JMETA | (data_only ? PC_JCKPT : 0));
	enum { BATCH = 32 };
	int ret = 0;
	for (;;) {
		struct pc_page *found[BATCH];
		int n = 0, busy = 0;
		spin_lock(&pc_lock);
		for (unsigned h = 0; h < PC_HASH && n < BATCH; h++)
			for (struct pc_page *p = pc_hash[h]; p && n < BATCH; p = p->hnext) {
				if ((d && p->dev != d) || !(p->state & PC_DIRTY) || (p->state & skip))
					continue;
				if (p->state & PC_BUSY) {
					busy++;
					continue;
				}
				p->state |= PC_BUSY;
				p->state &= (uint8_t)~(PC_DIRTY | PC_JCKPT);
				found[n++] = p;
			}
		if (n == 0 && busy) {
			/* an eviction is writing one back: our caller's flush must
			 * come after that write, so wait for it */
			waitq_sleep(&pc_wq, &pc_lock, 0);
			spin_unlock(&pc_lock);
			continue;
		}
		spin_unlock(&pc_lock);
		if (n == 0)
			break;
		for (int i = 0; i < n; i++) {
			int err = writeback(found[i]);
			if (err && !ret) {
				ret = err;
				kprintf("pcache: write-back of %s page %lu failed\n", found[i]->dev->name, (unsigned long)found[i]->index);
			}
		}
		spin_lock(&pc_lock);
		for (int i = 0; i < n; i++)
			found[i]->state &= (uint8_t)~PC_BUSY;
		spin_unlock(&pc_lock);
		waitq_wake(&pc_wq, INT32_MAX);
		if (ret)
			break;                 /* leave it clean-but-lost rather than loop forever */
	}
	return ret;
}

/* Write back every dirty page of D (all devices if NULL) that may be written
 * in place, then flush D. */
int pcache_sync(struct blk_dev *d)
{
	int ret = pcache_writeback(d, false);
	if (!ret && d)
		ret = blk_flush(d);
	return ret;
}

/* Copy N bytes at device offset OFF into BUF through the cache. */
int pcache_read(struct blk_dev *d, uint64_t off, void *buf, size_t n)
{
	char *out = buf;
	while (n) {
		struct pc_page *p;
		int err = pcache_get(d, off / PAGE_SIZE, &p);
		if (err)
			return err;
		size_t in = off % PAGE_SIZE, k = MIN(n, PAGE_SIZE - in);
		memcpy(out, (char *)p->data + in, k);
		pcache_put(p);
		out += k;
		off += k;
		n -= k;
	}
	return 0;
}

/* Copy N bytes from BUF to device offset OFF through the cache (written back later). */
int pcache_write(struct blk_dev *d, uint64_t off, const void *buf, size_t n)
{
	const char *in = buf;
	if (d->readonly)
		return -EROFS;
	while (n) {
		struct pc_page *p;
		int err = pcache_get(d, off / PAGE_SIZE, &p);
		if (err)
			return err;
		size_t o = off % PAGE_SIZE, k = MIN(n, PAGE_SIZE - o);
		memcpy((char *)p->data + o, in, k);
		pcache_dirty(p);
		pcache_put(p);
		in += k;
		off += k;
		n -= k;
	}
	return 0;
}

/* Forget D's clean, unpinned pages. */
void pcache_drop(struct blk_dev *d)
{
	spin_lock(&pc_lock);
	struct pc_page *p = lru_head;
	while (p) {
		struct pc_page *next = p->lnext;
		if (p->dev == d && !(p->state & (PC_DIRTY | PC_BUSY))) {
			lru_remove(p);
			hash_remove(p);
			page_free(p->data, 1);
			kfree(p);
			pc_count--;
		}
		p = next;
	}
	if (ra_dev == d)
		ra_dev = NULL;
	spin_unlock(&pc_lock);
}

/* A snapshot of the counters. */
void pcache_get_stats(struct pcache_stats *s)
{
	spin_lock(&pc_lock);
	*s = st;
	s->pages = pc_count;
	spin_unlock(&pc_lock);
}

/* Device page INDEX for a block about to be wholly rewritten: zeroed, valid
 * and pinned, never read from the disk (a cached copy is zeroed too). */
int pcache_get_new(struct blk_dev *d, uint64_t index, struct pc_page **out)
{
	uint64_t npages = (d->nsectors + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE;
	if (index >= npages)
		return -EIO;
	spin_lock(&pc_lock);
	for (;;) {
		struct pc_page *p = find(d, index);
		if (p && (p->state & PC_BUSY)) {
			waitq_sleep(&pc_wq, &pc_lock, 0);
			continue;
		}
		if (!p) {
			p = new_entry(d, index);   /* may drop the lock: look again */
			if (!p) {
				if (find(d, index))
					continue;
				spin_unlock(&pc_lock);
				return -ENOMEM;
			}
			p->state = PC_VALID;
			p->pins = 1;
		} else if (p->pins++ == 0) {
			lru_remove(p);
		}
		memset(p->data, 0, PAGE_SIZE);
		spin_unlock(&pc_lock);
		*out = p;
		return 0;
	}
}
