/* virtio-blk: a block device on one request queue. Requests are a header,
 * the data pages and a status byte. A request is done when vblk_reap() has
 * seen it in the used ring: the queue's interrupt (MSI-X, else INTx) reaps
 * and wakes the submitting threads, which sleep meanwhile; a device without
 * an interrupt is polled. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "blk.h"
#include "sched.h"
#include "virtio.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12

#define QUEUE_SIZE 256
#define MAX_DESC 130            /* descriptors in one request we build */
#define LOST_IRQ_NS 200000000UL /* a sleeper looks at the ring itself after this long */

enum vblk_irq { IRQ_NONE, IRQ_MSIX, IRQ_INTX };

struct vblk {
	struct blk_dev blk;
	struct virtio_dev *vd;
	struct virtq *q;
	uint32_t max_data;          /* data descriptors per request */
	uint32_t size_max;          /* bytes per descriptor */
	enum vblk_irq irq;
	struct spinlock lock;       /* orders completions against sleepers */
	struct waitq wq;            /* threads waiting for a request or for ring space */
	uint64_t requests, sleeps, lost_irqs;
};

struct vblk_req {
	struct { uint32_t type, reserved; uint64_t sector; } hdr;   /* device-readable */
	uint8_t status;                                            /* device-writable */
	volatile bool done;
};

/* Append descriptors for LEN bytes at kernel address VA, split at page
 * boundaries (pages of the direct map need not be physically adjacent). */
static bool add_region(struct virtq_buf *b, int *n, int max, const void *va, size_t len, bool write, uint32_t size_max)
{
	const char *p = va;
	while (len) {
		size_t in_page = PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1));
		size_t k = MIN(MIN(len, in_page), (size_t)size_max);
		if (*n >= max)
			return false;
		b[*n].addr = virt_to_phys(p);
		b[*n].len = (uint32_t)k;
		b[*n].write = write;
		(*n)++;
		p += k;
		len -= k;
	}
	return true;
}

/* Mark completed requests done; how many there were. vb->lock held. */
static int vblk_reap(struct vblk *vb)
{
	struct vblk_req *r;
	int n = 0;
	while ((r = virtq_get_used(vb->q, NULL))) {
		r->done = true;
		n++;
	}
	return n;
}

/* The queue's interrupt: reap, and wake whoever waits. */
static void vblk_irq(struct intr_frame *f, void *arg)
{
	(void)f;
	struct vblk *vb = arg;
	if (vb->irq == IRQ_INTX && !(vb->vd->t->isr(vb->vd) & 1))
		return;                     /* a shared line, and not our queue */
	spin_lock(&vb->lock);
	int n = vblk_reap(vb);
	spin_unlock(&vb->lock);
	if (n)
		waitq_wake(&vb->wq, INT32_MAX);
}

/* Wait for the device once, vb->lock held: sleep until an interrupt (or,
 * should one be lost, a timeout), or with no interrupt spin on the ring. */
static void vblk_wait(struct vblk *vb)
{
	if (vb->irq == IRQ_NONE) {
		vblk_reap(vb);
		spin_unlock(&vb->lock);
		cpu_relax();
		spin_lock(&vb->lock);
		return;
	}
	vb->sleeps++;
	if (waitq_sleep(&vb->wq, &vb->lock, time_monotonic_ns() + LOST_IRQ_NS) == -ETIMEDOUT && vblk_reap(vb)) {
		vb->lost_irqs++;
		klog_once("vblk-lost-irq", "virtio-blk: %s: a completion came without its interrupt\n", vb->blk.name);
		waitq_wake(&vb->wq, INT32_MAX);
	}
}

/* Queue one chain and wait for it; 0 or -EIO. */
static int vblk_submit(struct vblk *vb, struct vblk_req *r, const struct virtq_buf *bufs, int n)
{
	r->done = false;
	r->status = 0xff;
	int err;
	spin_lock(&vb->lock);
	vb->requests++;
	while ((err = virtq_add(vb->q, bufs, n, r)) == -ENOSPC)
		vblk_wait(vb);              /* others' requests fill the ring */
	if (!err) {
		virtq_kick(vb->q);
		while (!r->done)
			vblk_wait(vb);
	}
	spin_unlock(&vb->lock);
	/* A request that freed ring space may let another submitter in. */
	if (vb->irq != IRQ_NONE)
		waitq_wake(&vb->wq, INT32_MAX);
	if (err)
		return err;
	return r->status == 0 ? 0 : -EIO;
}

/* One request for the data descriptors DATA[0..ND) at SECTOR. */
static int vblk_one(struct vblk *vb, struct vblk_req *r, bool write, uint64_t sector, struct virtq_buf *bufs, int nd)
{
	r->hdr.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	r->hdr.reserved = 0;
	r->hdr.sector = sector;
	int n = 0;
	struct virtq_buf all[MAX_DESC + 4];
	if (!add_region(all, &n, MAX_DESC + 4, &r->hdr, sizeof(r->hdr), false, vb->size_max))
		return -EIO;
	for (int i = 0; i < nd; i++)
		all[n++] = bufs[i];
	if (!add_region(all, &n, MAX_DESC + 4, &r->status, 1, true, vb->size_max))
		return -EIO;
	return vblk_submit(vb, r, all, n);
}

/* blk_ops.rw: split the segments into requests of at most max_data descriptors. */
static int vblk_rw(struct blk_dev *d, bool write, uint64_t sector, const struct blk_seg *segs, int nsegs)
{
	struct vblk *vb = d->priv;
	struct vblk_req *r = kzalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	struct virtq_buf data[MAX_DESC];
	int nd = 0, err = 0;
	uint64_t start = sector, bytes = 0;
	for (int i = 0; i < nsegs && !err; i++) {
		int before = nd;
		if (!add_region(data, &nd, (int)vb->max_data, segs[i].buf, segs[i].len, !write, vb->size_max)) {
			/* this segment does not fit: send what we have, then retry it alone */
			nd = before;
			if (nd == 0) {
				err = -EINVAL;      /* one segment needs more descriptors than allowed */
				break;
			}
			err = vblk_one(vb, r, write, start, data, nd);
			start += bytes / BLK_SECTOR;
			bytes = 0;
			nd = 0;
			i--;
			continue;
		}
		bytes += segs[i].len;
	}
	if (!err && nd)
		err = vblk_one(vb, r, write, start, data, nd);
	kfree(r);
	return err;
}

static int vblk_flush(struct blk_dev *d)
{
	struct vblk *vb = d->priv;
	if (!virtio_has(vb->vd, VIRTIO_BLK_F_FLUSH))
		return 0;
	struct vblk_req *r = kzalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->hdr.type = VIRTIO_BLK_T_FLUSH;
	int n = 0, err = -EIO;
	struct virtq_buf b[4];
	if (add_region(b, &n, 4, &r->hdr, sizeof(r->hdr), false, vb->size_max) &&
	    add_region(b, &n, 4, &r->status, 1, true, vb->size_max))
		err = vblk_submit(vb, r, b, n);
	kfree(r);
	return err;
}

static const struct blk_ops vblk_ops = { .rw = vblk_rw, .flush = vblk_flush };

/* Bring a virtio block device up and register it. */
int virtio_blk_probe(struct virtio_dev *vd)
{
	uint64_t want = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_RO) |
			(1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);
	int err = virtio_negotiate(vd, want);
	if (err)
		return err;
	struct vblk *vb = kzalloc(sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->vd = vd;
	if ((err = vd->t->setup_queue(vd, 0, QUEUE_SIZE, &vb->q))) {
		kfree(vb);
		return err;
	}
	uint64_t cap = 0;
	vd->t->read_config(vd, CFG_CAPACITY, &cap, sizeof(cap));
	vb->max_data = MIN((uint32_t)vb->q->size - 2u, (uint32_t)MAX_DESC);
	if (virtio_has(vd, VIRTIO_BLK_F_SEG_MAX)) {
		uint32_t seg_max = 0;
		vd->t->read_config(vd, CFG_SEG_MAX, &seg_max, sizeof(seg_max));
		if (seg_max)
			vb->max_data = MIN(vb->max_data, seg_max);
	}
	vb->size_max = PAGE_SIZE;
	if (virtio_has(vd, VIRTIO_BLK_F_SIZE_MAX)) {
		uint32_t sm = 0;
		vd->t->read_config(vd, CFG_SIZE_MAX, &sm, sizeof(sm));
		if (sm >= BLK_SECTOR)
			vb->size_max = MIN(sm, (uint32_t)PAGE_SIZE);
	}
	vb->lock = (struct spinlock)SPINLOCK_INIT("vblk");
	vb->wq = (struct waitq)WAITQ_INIT("vblk");
	int vector = vd->t->setup_irq ? intr_alloc_vector() : -1;
	if (vector >= 0) {
		intr_register(vector, vblk_irq, vb);
		int how = vd->t->setup_irq(vd, vb->q, vector);
		vb->irq = how == 0 ? IRQ_MSIX : how == 1 ? IRQ_INTX : IRQ_NONE;
	}
	vb->blk.ops = &vblk_ops;
	vb->blk.nsectors = cap;
	vb->blk.readonly = virtio_has(vd, VIRTIO_BLK_F_RO);
	vb->blk.priv = vb;
	vd->driver_data = vb;
	virtio_driver_ok(vd);
	if ((err = blk_register(&vb->blk)))
		return err;
	kprintf("virtio-blk: %s: %lu MiB%s, %s, queue of %u, %s\n", vb->blk.name, (unsigned long)(cap >> 11),
		vb->blk.readonly ? " read-only" : "", vd->t->name, vb->q->size,
		vb->irq == IRQ_MSIX ? "MSI-X" : vb->irq == IRQ_INTX ? "INTx" : "polled");
	return 0;
}
