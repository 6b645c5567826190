/* virtio over MMIO (virtio spec 4.2), version 1 (legacy: QEMU's default) and
 * version 2. Devices are named on the kernel command line as Linux takes them,
 * virtio_mmio.device=SIZE@ADDR:IRQ (QEMU's microvm, Firecracker); without
 * any, QEMU microvm's window of transports is scanned and the devices found
 * there are polled (their interrupt lines are not known). */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "virtio.h"
#include "pci.h"

#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_GUEST_PAGE_SIZE 0x028   /* version 1 */
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_ALIGN 0x03c       /* version 1 */
#define MMIO_QUEUE_PFN 0x040         /* version 1 */
#define MMIO_QUEUE_READY 0x044       /* version 2 */
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC 0x080        /* version 2: low, high */
#define MMIO_QUEUE_AVAIL 0x090
#define MMIO_QUEUE_USED 0x0a0
#define MMIO_CONFIG_GEN 0x0fc
#define MMIO_CONFIG 0x100
#define MAGIC_VIRT 0x74726976        /* "virt" */

#define MAX_DEVICES 32
#define QEMU_MICROVM_BASE 0xfeb00000UL   /* QEMU microvm: 512-byte transports from here */
#define QEMU_MICROVM_SLOTS 24
#define IOAPIC_PINS 24                   /* GSIs the kernel can route (one IO-APIC) */

struct mmio_dev {
	paddr_t base;
	size_t size;
	int irq;                     /* GSI, -1 if unknown */
};

/* Named on the command line; recorded before the heap exists. */
static struct mmio_dev named[MAX_DEVICES];
static int nnamed;

struct vmmio {
	volatile uint8_t *regs;
	uint32_t version;
	int irq;
	bool irq_routed;
	uint16_t queues[16];         /* set up, made ready at DRIVER_OK (version 2) */
	unsigned nqueues;
};

/* The transport's state, and 32-bit register access. */
static struct vmmio *VM(struct virtio_dev *vd) { return vd->transport_data; }
static uint32_t rd(struct virtio_dev *vd, unsigned off) { return *(volatile uint32_t *)(VM(vd)->regs + off); }
static void wr(struct virtio_dev *vd, unsigned off, uint32_t v) { *(volatile uint32_t *)(VM(vd)->regs + off) = v; }

/* The device's 64 feature bits, a word at a time. */
static uint64_t mm_get_features(struct virtio_dev *vd)
{
	wr(vd, MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = rd(vd, MMIO_DEVICE_FEATURES);
	wr(vd, MMIO_DEVICE_FEATURES_SEL, 1);
	return lo | (uint64_t)rd(vd, MMIO_DEVICE_FEATURES) << 32;
}

/* The accepted feature bits, a word at a time. */
static void mm_set_features(struct virtio_dev *vd, uint64_t f)
{
	wr(vd, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(vd, MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(vd, MMIO_DRIVER_FEATURES_SEL, 1);
	wr(vd, MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

/* The device status byte. */
static uint8_t mm_get_status(struct virtio_dev *vd) { return (uint8_t)rd(vd, MMIO_STATUS); }
static void mm_set_status(struct virtio_dev *vd, uint8_t s) { wr(vd, MMIO_STATUS, s); }

/* Reset, wait for it, and (version 1) say the page size the PFNs count in. */
static void mm_reset(struct virtio_dev *vd)
{
	wr(vd, MMIO_STATUS, 0);
	for (int i = 0; i < 1000000 && rd(vd, MMIO_STATUS); i++)
		cpu_relax();
	if (VM(vd)->version == 1)
		wr(vd, MMIO_GUEST_PAGE_SIZE, PAGE_SIZE);
}

/* Device config byte by byte; version 2 re-reads until the generation holds still. */
static void mm_read_config(struct virtio_dev *vd, unsigned off, void *buf, unsigned len)
{
	volatile uint8_t *cfg = VM(vd)->regs + MMIO_CONFIG;
	uint32_t gen;
	do {
		gen = VM(vd)->version >= 2 ? rd(vd, MMIO_CONFIG_GEN) : 0;
		for (unsigned i = 0; i < len; i++)
			((uint8_t *)buf)[i] = cfg[off + i];
	} while (VM(vd)->version >= 2 && gen != rd(vd, MMIO_CONFIG_GEN));
}

/* The largest size queue INDEX may have (0: none). */
static uint16_t mm_queue_max(struct virtio_dev *vd, uint16_t index)
{
	wr(vd, MMIO_QUEUE_SEL, index);
	uint32_t max = rd(vd, MMIO_QUEUE_NUM_MAX);
	return (uint16_t)MIN(max, 32768u);
}

/* Allocate queue INDEX (a power of two up to SIZE) and tell the device where it is. */
static int mm_setup_queue(struct virtio_dev *vd, uint16_t index, uint16_t size, struct virtq **out)
{
	uint16_t max = mm_queue_max(vd, index);
	if (!max)
		return -ENOENT;
	bool v1 = VM(vd)->version == 1;
	if (v1 ? rd(vd, MMIO_QUEUE_PFN) : rd(vd, MMIO_QUEUE_READY))
		return -EBUSY;
	uint16_t n = 1;
	while ((uint16_t)(n * 2) <= MIN(max, size) && n < 16384)
		n = (uint16_t)(n * 2);
	struct virtq *q;
	int err = virtq_alloc(vd, index, n, &q);
	if (err)
		return err;
	wr(vd, MMIO_QUEUE_SEL, index);
	wr(vd, MMIO_QUEUE_NUM, n);
	if (v1) {
		/* One block, the used ring on the next page: what virtq_alloc lays out. */
		wr(vd, MMIO_QUEUE_ALIGN, PAGE_SIZE);
		wr(vd, MMIO_QUEUE_PFN, (uint32_t)(q->desc_pa >> PAGE_SHIFT));
	} else {
		wr(vd, MMIO_QUEUE_DESC, (uint32_t)q->desc_pa);
		wr(vd, MMIO_QUEUE_DESC + 4, (uint32_t)(q->desc_pa >> 32));
		wr(vd, MMIO_QUEUE_AVAIL, (uint32_t)q->avail_pa);
		wr(vd, MMIO_QUEUE_AVAIL + 4, (uint32_t)(q->avail_pa >> 32));
		wr(vd, MMIO_QUEUE_USED, (uint32_t)q->used_pa);
		wr(vd, MMIO_QUEUE_USED + 4, (uint32_t)(q->used_pa >> 32));
		if (VM(vd)->nqueues < ARRAY_SIZE(VM(vd)->queues))
			VM(vd)->queues[VM(vd)->nqueues++] = index;
		else
			wr(vd, MMIO_QUEUE_READY, 1);
	}
	*out = q;
	return 0;
}

/* Version 2: the queues go ready just before DRIVER_OK. */
static void mm_activate(struct virtio_dev *vd)
{
	struct vmmio *m = VM(vd);
	for (unsigned i = 0; i < m->nqueues; i++) {
		wr(vd, MMIO_QUEUE_SEL, m->queues[i]);
		wr(vd, MMIO_QUEUE_READY, 1);
	}
	m->nqueues = 0;
}

/* Tell the device queue Q has new buffers. */
static void mm_notify(struct virtio_dev *vd, struct virtq *q) { wr(vd, MMIO_QUEUE_NOTIFY, q->index); }

/* Read the interrupt status and acknowledge it (which lowers the line). */
static uint8_t mm_isr(struct virtio_dev *vd)
{
	uint32_t s = rd(vd, MMIO_INTERRUPT_STATUS);
	if (s)
		wr(vd, MMIO_INTERRUPT_ACK, s);
	return (uint8_t)s;
}

/* The device's one line to VECTOR, edge-triggered: the handler acknowledges
 * (isr) before it looks at the rings, so a later completion raises a new edge. */
static int mm_setup_irq(struct virtio_dev *vd, struct virtq *q, int vector)
{
	(void)q;
	struct vmmio *m = VM(vd);
	if (m->irq < 0 || m->irq >= IOAPIC_PINS)
		return -EOPNOTSUPP;
	if (!m->irq_routed) {
		ioapic_route(m->irq, vector, false);
		m->irq_routed = true;
	}
	return 1;
}

static const struct virtio_transport mmio_transport = {
	.name = "virtio-mmio",
	.get_features = mm_get_features, .set_features = mm_set_features,
	.get_status = mm_get_status, .set_status = mm_set_status, .reset = mm_reset,
	.read_config = mm_read_config, .queue_max = mm_queue_max, .setup_queue = mm_setup_queue,
	.notify = mm_notify, .isr = mm_isr, .setup_irq = mm_setup_irq, .activate = mm_activate,
};

/* Parse a size with an optional K/M/G suffix; *END past it. */
static uint64_t parse_size(const char *s, const char **end)
{
	uint64_t v = 0;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (hex)
		s += 2;
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (hex && ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f'))
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			break;
		v = v * (hex ? 16 : 10) + d;
	}
	if (*s == 'K' || *s == 'k')
		v <<= 10, s++;
	else if (*s == 'M' || *s == 'm')
		v <<= 20, s++;
	else if (*s == 'G' || *s == 'g')
		v <<= 30, s++;
	*end = s;
	return v;
}

/* Record one virtio_mmio.device= value: SIZE@ADDR:IRQ (a trailing :ID is ignored). */
int virtio_mmio_cmdline(const char *val)
{
	const char *p;
	uint64_t size = parse_size(val, &p);
	if (*p != '@' || !size)
		return -EINVAL;
	uint64_t base = parse_size(p + 1, &p);
	if (*p != ':' || !base)
		return -EINVAL;
	const char *q = p + 1;
	uint64_t irq = parse_size(q, &p);
	if (p == q || (*p && *p != ':'))
		return -EINVAL;
	for (int i = 0; i < nnamed; i++)
		if (named[i].base == base) {
			/* Named twice: QEMU appends its own names last, and it knows best. */
			named[i] = (struct mmio_dev){ base, size, (int)irq };
			return 0;
		}
	if (nnamed == MAX_DEVICES)
		return -ENOSPC;
	named[nnamed++] = (struct mmio_dev){ base, size, (int)irq };
	return 0;
}

/* Bring up the transport at D and hand it to its device driver. */
static int mmio_probe(const struct mmio_dev *d, bool quiet)
{
	volatile uint8_t *regs = ioremap(d->base, MAX(d->size, (size_t)PAGE_SIZE));
	if (!regs)
		return -ENOMEM;
	uint32_t magic = *(volatile uint32_t *)(regs + MMIO_MAGIC);
	uint32_t version = *(volatile uint32_t *)(regs + MMIO_VERSION);
	uint32_t type = *(volatile uint32_t *)(regs + MMIO_DEVICE_ID);
	if (magic != MAGIC_VIRT || version < 1 || version > 2) {
		if (!quiet)
			kprintf("virtio-mmio: nothing at %#lx\n", d->base);
		return -ENODEV;
	}
	int (*driver_probe)(struct virtio_dev *) = type == VIRTIO_ID_BLOCK ? virtio_blk_probe :
						      type == VIRTIO_ID_NET ? virtio_net_probe :
						      type == VIRTIO_ID_9P ? virtio_9p_probe : NULL;
	if (!driver_probe)
		return -ENODEV;          /* an empty slot (type 0), or no driver for it */
	struct vmmio *m = kzalloc(sizeof(*m));
	struct virtio_dev *vd = kzalloc(sizeof(*vd));
	if (!m || !vd) {
		kfree(m);
		kfree(vd);
		return -ENOMEM;
	}
	m->regs = regs;
	m->version = version;
	m->irq = d->irq;
	vd->t = &mmio_transport;
	vd->type = type;
	vd->legacy = version == 1;
	vd->transport_data = m;
	int err = driver_probe(vd);
	if (err) {
		vd->t->set_status(vd, VIRTIO_STATUS_FAILED);
		kfree(m);
		kfree(vd);
	}
	return err;
}

/* Probe the devices named on the command line, else QEMU microvm's window. */
void virtio_mmio_init(void)
{
	for (int i = 0; i < nnamed; i++)
		mmio_probe(&named[i], false);
	if (nnamed || pci_devices())
		return;                  /* a PC with PCI: that window is someone's BAR space */
	/* No names: a QEMU microvm started without them (PVH boot on QEMU 7.2
	 * drops the ones it adds itself). Its transports sit at a fixed place;
	 * their lines are not known, so these devices are polled. */
	int found = 0;
	for (int i = 0; i < QEMU_MICROVM_SLOTS; i++) {
		struct mmio_dev d = { QEMU_MICROVM_BASE + (paddr_t)i * 512, 512, -1 };
		if (mmio_probe(&d, true) == 0)
			found++;
	}
	if (found)
		kprintf("virtio-mmio: %d device%s found by scanning, polled: name them with virtio_mmio.device=SIZE@ADDR:IRQ for interrupts\n",
			found, found == 1 ? "" : "s");
}
