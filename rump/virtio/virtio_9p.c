/* virtio-9p: a 9P transport on one request queue (virtio spec 5.9). A
 * request is the T-message (device-readable) followed by room for the
 * R-message (device-writable); the device's config space names the mount tag
 * the host gave the share. Requesting threads sleep until the queue's
 * interrupt (MSI-X, else INTx) reaps their reply, as virtio-blk's do; a
 * device without an interrupt is polled. The 9P client (rump/fs/v9fs*.c)
 * finds the channel by tag (rump/include/p9.h). */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "sched.h"
#include "virtio.h"
#include "p9.h"

#define VIRTIO_9P_F_MOUNT_TAG 0

#define QUEUE_SIZE 128
#define MAX_DESC 64                 /* descriptors one request may use */
#define MSIZE_MAX (128u * 1024u + 4096u)
#define LOST_IRQ_NS 200000000UL     /* a sleeper looks at the ring itself after this long */

enum v9p_irq { IRQ_NONE, IRQ_MSIX, IRQ_INTX };

struct v9p {
	struct p9_chan chan;
	struct virtio_dev *vd;
	struct virtq *q;
	enum v9p_irq irq;
	struct spinlock lock;       /* orders completions against sleepers */
	struct waitq wq;            /* threads waiting for a reply or for ring space */
};

struct v9p_req {
	uint32_t got;               /* bytes the device wrote */
	volatile bool done;
};

/* Append descriptors for LEN bytes at kernel address VA; pages that are
 * physically adjacent share one descriptor. False if more than MAX are needed. */
static bool add_region(struct virtq_buf *b, int *n, int max, const void *va, size_t len, bool write)
{
	const char *p = va;
	while (len) {
		size_t k = MIN(len, PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1)));
		paddr_t pa = virt_to_phys(p);
		if (*n > 0 && b[*n - 1].write == write && b[*n - 1].addr + b[*n - 1].len == pa) {
			b[*n - 1].len += (uint32_t)k;
		} else {
			if (*n >= max)
				return false;
			b[*n] = (struct virtq_buf){ pa, (uint32_t)k, write };
			(*n)++;
		}
		p += k;
		len -= k;
	}
	return true;
}

/* Mark completed requests done; how many there were. v->lock held. */
static int v9p_reap(struct v9p *v)
{
	struct v9p_req *r;
	uint32_t len;
	int n = 0;
	while ((r = virtq_get_used(v->q, &len))) {
		r->got = len;
		r->done = true;
		n++;
	}
	return n;
}

/* The queue's interrupt: reap, and wake whoever waits. */
static void v9p_irq(struct intr_frame *f, void *arg)
{
	(void)f;
	struct v9p *v = arg;
	if (v->irq == IRQ_INTX && !(v->vd->t->isr(v->vd) & 1))
		return;                     /* a shared line, and not our queue */
	spin_lock(&v->lock);
	int n = v9p_reap(v);
	spin_unlock(&v->lock);
	if (n)
		waitq_wake(&v->wq, INT32_MAX);
}

/* Wait for the device once, v->lock held: sleep until an interrupt (or,
 * should one be lost, a timeout), or with no interrupt spin on the ring. */
static void v9p_wait(struct v9p *v)
{
	if (v->irq == IRQ_NONE) {
		v9p_reap(v);
		spin_unlock(&v->lock);
		cpu_relax();
		spin_lock(&v->lock);
		return;
	}
	if (waitq_sleep(&v->wq, &v->lock, time_monotonic_ns() + LOST_IRQ_NS) == -ETIMEDOUT && v9p_reap(v)) {
		klog_once("v9p-lost-irq", "virtio-9p: %s: a reply came without its interrupt\n", v->chan.tag);
		waitq_wake(&v->wq, INT32_MAX);
	}
}

/* p9_chan_ops.request: one chain, the message out and the reply in. */
static int v9p_request(struct p9_chan *c, const void *req, size_t reqlen, void *resp, size_t resplen, size_t *got)
{
	struct v9p *v = c->priv;
	struct virtq_buf bufs[MAX_DESC];
	int n = 0;
	if (!add_region(bufs, &n, MAX_DESC, req, reqlen, false) || !add_region(bufs, &n, MAX_DESC, resp, resplen, true))
		return -EINVAL;
	struct v9p_req r = { 0, false };
	int err;
	spin_lock(&v->lock);
	while ((err = virtq_add(v->q, bufs, n, &r)) == -ENOSPC)
		v9p_wait(v);                /* others' requests fill the ring */
	if (!err) {
		virtq_kick(v->q);
		while (!r.done)
			v9p_wait(v);
	}
	spin_unlock(&v->lock);
	/* A request that freed ring space may let another requester in. */
	if (v->irq != IRQ_NONE)
		waitq_wake(&v->wq, INT32_MAX);
	if (err)
		return err;
	*got = MIN((size_t)r.got, resplen);
	return 0;
}

static const struct p9_chan_ops v9p_ops = { .request = v9p_request };

/* Bring a virtio-9p device up and register its channel under its mount tag. */
int virtio_9p_probe(struct virtio_dev *vd)
{
	int err = virtio_negotiate(vd, 1ULL << VIRTIO_9P_F_MOUNT_TAG);
	if (err)
		return err;
	if (!virtio_has(vd, VIRTIO_9P_F_MOUNT_TAG)) {
		kprintf("virtio-9p: the device offers no mount tag; ignored\n");
		return -ENODEV;
	}
	struct v9p *v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	uint16_t tlen = 0;
	vd->t->read_config(vd, 0, &tlen, sizeof(tlen));
	if (!tlen || tlen >= sizeof(v->chan.tag)) {
		kprintf("virtio-9p: a mount tag of %u bytes; ignored\n", tlen);
		kfree(v);
		return -ENODEV;
	}
	vd->t->read_config(vd, 2, v->chan.tag, tlen);
	v->chan.tag[tlen] = 0;
	v->vd = vd;
	if ((err = vd->t->setup_queue(vd, 0, QUEUE_SIZE, &v->q))) {
		kfree(v);
		return err;
	}
	v->lock = (struct spinlock)SPINLOCK_INIT("v9p");
	v->wq = (struct waitq)WAITQ_INIT("v9p");
	int vector = vd->t->setup_irq ? intr_alloc_vector() : -1;
	if (vector >= 0) {
		intr_register(vector, v9p_irq, v);
		int how = vd->t->setup_irq(vd, v->q, vector);
		v->irq = how == 0 ? IRQ_MSIX : how == 1 ? IRQ_INTX : IRQ_NONE;
	}
	v->chan.ops = &v9p_ops;
	v->chan.priv = v;
	v->chan.max_msize = MSIZE_MAX;
	vd->driver_data = v;
	virtio_driver_ok(vd);
	if ((err = p9_chan_register(&v->chan)))
		return err;
	kprintf("virtio-9p: tag %s, %s, queue of %u, %s\n", v->chan.tag, vd->t->name, v->q->size,
		v->irq == IRQ_MSIX ? "MSI-X" : v->irq == IRQ_INTX ? "INTx" : "polled");
	return 0;
}
