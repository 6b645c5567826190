/* virtio-net: one receive and one transmit queue. Receive buffers are 2 KiB
 * halves of pages, always posted; the interrupt only wakes the net thread,
 * which copies frames into the stack and posts the buffers again. Transmit
 * copies each frame (header in front) into a buffer of its own and takes the
 * buffers back as the device finishes with them, without interrupts.
 * Where the device offers it, it sums TCP segments on the way out, and
 * frames coming in say whether their checksums were checked (or left
 * partial by a sender on the same host, which we then finish). */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "net.h"
#include "csum.h"
#include "virtio.h"

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

#define CFG_MAC 0
#define CFG_STATUS 6
#define CFG_MTU 10

#define RXQ 0
#define TXQ 1
#define QUEUE_SIZE 256
#define BUF_SIZE 2048            /* header + the largest frame (1514), and two to a page */
#define ETH_MAX 1514

#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2

/* The header in front of every frame (virtio 1.0; legacy without
 * MRG_RXBUF lacks num_buffers). Only the checksum fields are used: no
 * segmentation offload, so gso_type stays NONE. */
struct vnet_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
	uint16_t num_buffers;
} __packed;

struct vnet {
	struct net_dev nd;
	struct virtio_dev *vd;
	struct virtq *rx, *tx;
	size_t hdr_len;
	char **tx_free;           /* transmit buffers not in the ring; guarded by net_lock */
	int tx_nfree;
	uint64_t rx_frames, tx_frames, rx_dropped;
};

/* Post one receive buffer (device-writable). */
static int rx_post(struct vnet *v, char *buf)
{
	struct virtq_buf b = { virt_to_phys(buf), BUF_SIZE, true };
	return virtq_add(v->rx, &b, 1, buf);
}

/* Take finished transmit buffers back. */
static void tx_reap(struct vnet *v)
{
	char *buf;
	while ((buf = virtq_get_used(v->tx, NULL)))
		v->tx_free[v->tx_nfree++] = buf;
}

static int vnet_xmit(struct net_dev *d, const struct net_seg *segs, int nsegs, size_t len)
{
	struct vnet *v = d->priv;
	if (len > ETH_MAX)
		return -EMSGSIZE;
	tx_reap(v);
	/* The device works through the ring in the host's own time: give it a
	 * moment before telling the stack to try later. */
	for (int spin = 0; !v->tx_nfree && spin < 100000; spin++) {
		cpu_relax();
		tx_reap(v);
	}
	if (!v->tx_nfree)
		return -EAGAIN;
	char *buf = v->tx_free[--v->tx_nfree];
	memset(buf, 0, v->hdr_len);
	size_t off = v->hdr_len;
	for (int i = 0; i < nsegs; i++) {
		memcpy(buf + off, segs[i].data, segs[i].len);
		off += segs[i].len;
	}
	uint16_t start, field;
	if (d->tcp_csum_offload && csum_tx_prepare((uint8_t *)buf + v->hdr_len, len, &start, &field)) {
		struct vnet_hdr *h = (struct vnet_hdr *)buf;
		h->flags = VNET_HDR_F_NEEDS_CSUM;
		h->csum_start = start;
		h->csum_offset = field;
	}
	struct virtq_buf b = { virt_to_phys(buf), (uint32_t)off, false };
	int err = virtq_add(v->tx, &b, 1, buf);
	if (err) {
		v->tx_free[v->tx_nfree++] = buf;
		return -EAGAIN;
	}
	virtq_kick(v->tx);
	v->tx_frames++;
	return 0;
}

static bool vnet_poll(struct net_dev *d, int budget)
{
	struct vnet *v = d->priv;
	int n = 0;
	for (;;) {
		/* No interrupts while we drain; back on before the last look. */
		v->rx->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
		char *buf;
		uint32_t len;
		while (n < budget && (buf = virtq_get_used(v->rx, &len))) {
			if (len > v->hdr_len && len <= BUF_SIZE) {
				struct vnet_hdr *h = (struct vnet_hdr *)buf;
				uint8_t *frame = (uint8_t *)buf + v->hdr_len;
				size_t flen = len - v->hdr_len;
				bool valid = h->flags & VNET_HDR_F_DATA_VALID;
				if (h->flags & VNET_HDR_F_NEEDS_CSUM)
					valid = csum_complete(frame, flen, h->csum_start, h->csum_offset);
				net_input(d, frame, flen, valid);
				v->rx_frames++;
			} else {
				v->rx_dropped++;
			}
			rx_post(v, buf);
			n++;
		}
		if (n)
			virtq_kick(v->rx);
		if (n >= budget)
			return true;        /* more may wait: the thread comes back without sleeping */
		v->rx->avail->flags = 0;
		mb();
		if (__atomic_load_n(&v->rx->used->idx, __ATOMIC_ACQUIRE) == v->rx->last_used)
			break;
	}
	tx_reap(v);
	return false;
}

/* Interrupt: input is waiting (or, on a shared INTx line, perhaps not ours). */
static void vnet_irq(struct intr_frame *f, void *arg)
{
	struct vnet *v = arg;
	v->vd->t->isr(v->vd);       /* acknowledges INTx; harmless with MSI-X */
	net_wake();
}

/* Bring a virtio network device up and hand it to the stack. */
int virtio_net_probe(struct virtio_dev *vd)
{
	uint64_t want = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_STATUS) |
		(1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM);
	int err = virtio_negotiate(vd, want);
	if (err)
		return err;
	struct vnet *v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->vd = vd;
	v->hdr_len = vd->legacy ? 10 : sizeof(struct vnet_hdr);
	if ((err = vd->t->setup_queue(vd, RXQ, QUEUE_SIZE, &v->rx)) || (err = vd->t->setup_queue(vd, TXQ, QUEUE_SIZE, &v->tx))) {
		kfree(v);
		return err;
	}
	/* Buffers: two per page, physically contiguous within each half. */
	int nrx = v->rx->size, ntx = v->tx->size;
	v->tx_free = kzalloc((size_t)ntx * sizeof(char *));
	if (!v->tx_free) {
		kfree(v);
		return -ENOMEM;
	}
	for (int i = 0; i < nrx + ntx; i += 2) {
		char *page = page_alloc(1);
		if (!page)
			return -ENOMEM;
		for (int k = 0; k < 2 && i + k < nrx + ntx; k++) {
			char *buf = page + k * BUF_SIZE;
			if (i + k < nrx)
				rx_post(v, buf);
			else
				v->tx_free[v->tx_nfree++] = buf;
		}
	}
	v->tx->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;   /* reaped on the next send instead */
	if (virtio_has(vd, VIRTIO_NET_F_MAC)) {
		vd->t->read_config(vd, CFG_MAC, v->nd.mac, 6);
	} else {
		random_bytes(v->nd.mac, 6);
		v->nd.mac[0] = (uint8_t)((v->nd.mac[0] & 0xfe) | 0x02);   /* unicast, locally administered */
	}
	v->nd.mtu = 1500;
	if (virtio_has(vd, VIRTIO_NET_F_MTU)) {
		uint16_t mtu = 0;
		vd->t->read_config(vd, CFG_MTU, &mtu, 2);
		if (mtu >= 576 && mtu < 1500)
			v->nd.mtu = mtu;
	}
	const char *irq = "polled";
	int vector = intr_alloc_vector();
	if (vector >= 0 && vd->t->setup_irq) {
		intr_register(vector, vnet_irq, v);
		int how = vd->t->setup_irq(vd, v->rx, vector);
		irq = how == 0 ? "MSI-X" : how == 1 ? "INTx" : "polled";
	}
	v->nd.polled = !strcmp(irq, "polled");
	v->nd.tcp_csum_offload = virtio_has(vd, VIRTIO_NET_F_CSUM);
	v->nd.name = "virtio-net";
	v->nd.xmit = vnet_xmit;
	v->nd.poll = vnet_poll;
	v->nd.priv = v;
	vd->driver_data = v;
	virtio_driver_ok(vd);
	virtq_kick(v->rx);
	kprintf("virtio-net: %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, %s, queues of %u/%u, %s, checksums: tx %s, rx %s\n",
		v->nd.mac[0], v->nd.mac[1], v->nd.mac[2], v->nd.mac[3], v->nd.mac[4], v->nd.mac[5], v->nd.mtu, vd->t->name,
		v->rx->size, v->tx->size, irq, v->nd.tcp_csum_offload ? "TCP by device" : "software",
		virtio_has(vd, VIRTIO_NET_F_GUEST_CSUM) ? "device-checked or partial" : "software");
	return net_register(&v->nd);
}
