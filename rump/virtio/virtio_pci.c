/* virtio over PCI: the modern (virtio 1.0) transport through the vendor
 * capabilities (common, notify, ISR, device config), the legacy transport
 * through I/O BAR 0 as a fallback, and the PCI driver that binds virtio
 * devices and hands them to their device driver. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "pci.h"
#include "virtio.h"

#define VIRTIO_VENDOR 0x1af4

/* Vendor capability cfg_type values */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* Modern common configuration layout */
#define COM_DFSELECT 0
#define COM_DF 4
#define COM_GFSELECT 8
#define COM_GF 12
#define COM_MSIX 16
#define COM_NUMQ 18
#define COM_STATUS 20
#define COM_CFGGEN 21
#define COM_QSELECT 22
#define COM_QSIZE 24
#define COM_QMSIX 26
#define COM_QENABLE 28
#define COM_QNOTIFYOFF 30
#define COM_QDESC 32
#define COM_QAVAIL 40
#define COM_QUSED 48

/* Legacy I/O register layout (no MSI-X) */
#define LEG_HOST_F 0
#define LEG_GUEST_F 4
#define LEG_QPFN 8
#define LEG_QSIZE 12
#define LEG_QSEL 14
#define LEG_QNOTIFY 16
#define LEG_STATUS 18
#define LEG_ISR 19
#define LEG_CONFIG 20

struct vpci {
	struct pci_dev *pci;
	volatile uint8_t *common, *isr, *device, *notify;
	uint32_t notify_mult;
	uint16_t iobase;             /* legacy */
	void *bars[6];               /* mapped on first use */
	uint16_t queues[16];         /* set up, enabled at DRIVER_OK (modern) */
	unsigned nqueues;
	unsigned msix_cap;           /* 0: none */
	volatile uint32_t *msix_table;
	uint16_t msix_entries;
	bool intx_routed;
};

static struct vpci *VP(struct virtio_dev *vd) { return vd->transport_data; }

static inline uint8_t r8(volatile uint8_t *b, unsigned o) { return *(volatile uint8_t *)(b + o); }
static inline uint16_t r16(volatile uint8_t *b, unsigned o) { return *(volatile uint16_t *)(b + o); }
static inline uint32_t r32(volatile uint8_t *b, unsigned o) { return *(volatile uint32_t *)(b + o); }
static inline void w8(volatile uint8_t *b, unsigned o, uint8_t v) { *(volatile uint8_t *)(b + o) = v; }
static inline void w16(volatile uint8_t *b, unsigned o, uint16_t v) { *(volatile uint16_t *)(b + o) = v; }
static inline void w32(volatile uint8_t *b, unsigned o, uint32_t v) { *(volatile uint32_t *)(b + o) = v; }
static inline void w64(volatile uint8_t *b, unsigned o, uint64_t v)
{
	w32(b, o, (uint32_t)v);
	w32(b, o + 4, (uint32_t)(v >> 32));
}

/* ---- modern ---- */

static uint64_t m_get_features(struct virtio_dev *vd)
{
	volatile uint8_t *c = VP(vd)->common;
	w32(c, COM_DFSELECT, 0);
	uint64_t lo = r32(c, COM_DF);
	w32(c, COM_DFSELECT, 1);
	return lo | (uint64_t)r32(c, COM_DF) << 32;
}

static void m_set_features(struct virtio_dev *vd, uint64_t f)
{
	volatile uint8_t *c = VP(vd)->common;
	w32(c, COM_GFSELECT, 0);
	w32(c, COM_GF, (uint32_t)f);
	w32(c, COM_GFSELECT, 1);
	w32(c, COM_GF, (uint32_t)(f >> 32));
}

static uint8_t m_get_status(struct virtio_dev *vd) { return r8(VP(vd)->common, COM_STATUS); }
static void m_set_status(struct virtio_dev *vd, uint8_t s) { w8(VP(vd)->common, COM_STATUS, s); }

static void m_reset(struct virtio_dev *vd)
{
	m_set_status(vd, 0);
	for (int i = 0; i < 1000000 && m_get_status(vd); i++)   /* the device says when it is done */
		cpu_relax();
}

/* Device config, re-read until the generation counter holds still. */
static void m_read_config(struct virtio_dev *vd, unsigned off, void *buf, unsigned len)
{
	struct vpci *p = VP(vd);
	uint8_t gen;
	do {
		gen = r8(p->common, COM_CFGGEN);
		for (unsigned i = 0; i < len; i++)
			((uint8_t *)buf)[i] = r8(p->device, off + i);
	} while (gen != r8(p->common, COM_CFGGEN));
}

static uint16_t m_queue_max(struct virtio_dev *vd, uint16_t index)
{
	volatile uint8_t *c = VP(vd)->common;
	if (index >= r16(c, COM_NUMQ))
		return 0;
	w16(c, COM_QSELECT, index);
	return r16(c, COM_QSIZE);
}

static int m_setup_queue(struct virtio_dev *vd, uint16_t index, uint16_t size, struct virtq **out)
{
	struct vpci *p = VP(vd);
	volatile uint8_t *c = p->common;
	uint16_t max = m_queue_max(vd, index);
	if (!max)
		return -ENOENT;
	uint16_t n = 1;
	while ((uint16_t)(n * 2) <= MIN(max, size) && n < 32768)
		n = (uint16_t)(n * 2);
	struct virtq *q;
	int err = virtq_alloc(vd, index, n, &q);
	if (err)
		return err;
	w16(c, COM_QSELECT, index);
	w16(c, COM_QSIZE, n);
	w16(c, COM_QMSIX, 0xffff);           /* no MSI-X vector until setup_irq */
	w64(c, COM_QDESC, q->desc_pa);
	w64(c, COM_QAVAIL, q->avail_pa);
	w64(c, COM_QUSED, q->used_pa);
	q->notify = p->notify + (uint32_t)r16(c, COM_QNOTIFYOFF) * p->notify_mult;
	if (p->nqueues < ARRAY_SIZE(p->queues))
		p->queues[p->nqueues++] = index;
	else
		w16(c, COM_QENABLE, 1);
	*out = q;
	return 0;
}

/* Enable the queues now that their vectors are set (the spec's order). */
static void m_activate(struct virtio_dev *vd)
{
	struct vpci *p = VP(vd);
	for (unsigned i = 0; i < p->nqueues; i++) {
		w16(p->common, COM_QSELECT, p->queues[i]);
		w16(p->common, COM_QENABLE, 1);
	}
	p->nqueues = 0;
}

static void m_notify(struct virtio_dev *vd, struct virtq *q)
{
	(void)vd;
	*(volatile uint16_t *)q->notify = q->index;
}

static uint8_t m_isr(struct virtio_dev *vd) { return r8(VP(vd)->isr, 0); }

/* The legacy INTx line, routed once to VECTOR (level-triggered, active low). */
static int intx_irq(struct vpci *p, int vector)
{
	if (!p->pci->irq_pin || p->pci->irq_line == 0xff || p->pci->irq_line >= 24)
		return -EOPNOTSUPP;
	if (!p->intx_routed) {
		ioapic_route(p->pci->irq_line, vector, true);
		pci_write16(p->pci, PCI_COMMAND, pci_read16(p->pci, PCI_COMMAND) & (uint16_t)~PCI_CMD_INTX_DISABLE);
		p->intx_routed = true;
	}
	return 1;
}

/* MSI-X table entry ENTRY: a fixed, edge-triggered message to this CPU's VECTOR. */
static void msix_program(struct vpci *p, unsigned entry, int vector)
{
	volatile uint32_t *e = p->msix_table + entry * 4;
	e[0] = 0xfee00000u | (lapic_id() << 12);   /* message address */
	e[1] = 0;
	e[2] = (uint32_t)vector;                    /* message data */
	e[3] = 0;                                   /* unmasked */
}

/* Map the MSI-X table and turn MSI-X on (all entries masked until programmed). */
static int msix_enable(struct vpci *p)
{
	if (p->msix_table)
		return 0;
	unsigned cap = pci_find_cap(p->pci, PCI_CAP_MSIX, 0);
	if (!cap)
		return -EOPNOTSUPP;
	uint16_t ctl = pci_read16(p->pci, cap + 2);
	uint32_t tbl = pci_read32(p->pci, cap + 4);
	int bir = tbl & 7;
	if (bir > 5 || p->pci->bar[bir].io)
		return -EOPNOTSUPP;
	if (!p->bars[bir])
		p->bars[bir] = pci_map_bar(p->pci, bir);
	if (!p->bars[bir])
		return -EOPNOTSUPP;
	p->msix_cap = cap;
	p->msix_entries = (uint16_t)((ctl & 0x7ff) + 1);
	p->msix_table = (volatile uint32_t *)((char *)p->bars[bir] + (tbl & ~7u));
	for (unsigned i = 0; i < p->msix_entries; i++)
		p->msix_table[i * 4 + 3] = 1;
	pci_write16(p->pci, cap + 2, (uint16_t)((ctl | 0x8000) & ~0x4000));   /* enable, unmask the function */
	return 0;
}

/* Modern devices: queue Q on MSI-X entry Q->index when there is one for it, else INTx. */
static int m_setup_irq(struct virtio_dev *vd, struct virtq *q, int vector)
{
	struct vpci *p = VP(vd);
	if (msix_enable(p) == 0 && q->index < p->msix_entries) {
		volatile uint8_t *c = p->common;
		msix_program(p, q->index, vector);
		w16(c, COM_QSELECT, q->index);
		w16(c, COM_QMSIX, q->index);
		if (r16(c, COM_QMSIX) == q->index)      /* the device accepted the entry */
			return 0;
	}
	return intx_irq(p, vector);
}

static const struct virtio_transport modern_transport = {
	.name = "virtio-pci",
	.get_features = m_get_features, .set_features = m_set_features,
	.get_status = m_get_status, .set_status = m_set_status, .reset = m_reset,
	.read_config = m_read_config, .queue_max = m_queue_max, .setup_queue = m_setup_queue,
	.notify = m_notify, .isr = m_isr, .setup_irq = m_setup_irq, .activate = m_activate,
};

/* ---- legacy ---- */

static uint64_t l_get_features(struct virtio_dev *vd) { return inl((uint16_t)(VP(vd)->iobase + LEG_HOST_F)); }
static void l_set_features(struct virtio_dev *vd, uint64_t f) { outl((uint16_t)(VP(vd)->iobase + LEG_GUEST_F), (uint32_t)f); }
static uint8_t l_get_status(struct virtio_dev *vd) { return inb((uint16_t)(VP(vd)->iobase + LEG_STATUS)); }
static void l_set_status(struct virtio_dev *vd, uint8_t s) { outb((uint16_t)(VP(vd)->iobase + LEG_STATUS), s); }
static void l_reset(struct virtio_dev *vd) { l_set_status(vd, 0); }

static void l_read_config(struct virtio_dev *vd, unsigned off, void *buf, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)buf)[i] = inb((uint16_t)(VP(vd)->iobase + LEG_CONFIG + off + i));
}

static uint16_t l_queue_max(struct virtio_dev *vd, uint16_t index)
{
	outw((uint16_t)(VP(vd)->iobase + LEG_QSEL), index);
	return inw((uint16_t)(VP(vd)->iobase + LEG_QSIZE));
}

/* Legacy queues have the size the device says, nothing else. */
static int l_setup_queue(struct virtio_dev *vd, uint16_t index, uint16_t size, struct virtq **out)
{
	(void)size;
	uint16_t n = l_queue_max(vd, index);
	if (!n)
		return -ENOENT;
	struct virtq *q;
	int err = virtq_alloc(vd, index, n, &q);
	if (err)
		return err;
	outw((uint16_t)(VP(vd)->iobase + LEG_QSEL), index);
	outl((uint16_t)(VP(vd)->iobase + LEG_QPFN), (uint32_t)(q->desc_pa >> 12));
	*out = q;
	return 0;
}

static void l_notify(struct virtio_dev *vd, struct virtq *q) { outw((uint16_t)(VP(vd)->iobase + LEG_QNOTIFY), q->index); }
static uint8_t l_isr(struct virtio_dev *vd) { return inb((uint16_t)(VP(vd)->iobase + LEG_ISR)); }

/* Legacy devices: INTx only (turning MSI-X on would move their config registers). */
static int l_setup_irq(struct virtio_dev *vd, struct virtq *q, int vector) { return intx_irq(VP(vd), vector); }

static const struct virtio_transport legacy_transport = {
	.name = "virtio-pci-legacy",
	.get_features = l_get_features, .set_features = l_set_features,
	.get_status = l_get_status, .set_status = l_set_status, .reset = l_reset,
	.read_config = l_read_config, .queue_max = l_queue_max, .setup_queue = l_setup_queue,
	.notify = l_notify, .isr = l_isr, .setup_irq = l_setup_irq,
};

/* ---- bring-up shared by all transports ---- */

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	const struct virtio_transport *t = vd->t;
	t->reset(vd);
	t->set_status(vd, VIRTIO_STATUS_ACK);
	t->set_status(vd, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	uint64_t offered = t->get_features(vd);
	if (!vd->legacy) {
		if (!(offered & (1ULL << VIRTIO_F_VERSION_1))) {
			t->set_status(vd, VIRTIO_STATUS_FAILED);
			return -ENODEV;
		}
		wanted |= 1ULL << VIRTIO_F_VERSION_1;
	}
	uint64_t accept = offered & wanted;
	if (vd->legacy)
		accept &= 0xffffffffULL;
	t->set_features(vd, accept);
	vd->features = accept;
	if (!vd->legacy) {
		t->set_status(vd, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		if (!(t->get_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
			t->set_status(vd, VIRTIO_STATUS_FAILED);
			return -ENODEV;
		}
	}
	return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	if (vd->t->activate)
		vd->t->activate(vd);
	uint8_t s = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK;
	if (!vd->legacy)
		s |= VIRTIO_STATUS_FEATURES_OK;
	vd->t->set_status(vd, s);
}

/* ---- the PCI driver ---- */

/* The virtio device type: modern IDs are 0x1040 + type, transitional ones carry it in the subsystem ID. */
static uint32_t device_type(const struct pci_dev *d)
{
	if (d->device >= 0x1040)
		return d->device - 0x1040u;
	return d->subsys_id;
}

static bool vp_match(const struct pci_dev *d)
{
	return d->vendor == VIRTIO_VENDOR && d->device >= 0x1000 && d->device <= 0x107f;
}

/* Map the region a vendor capability at OFF points to. */
static volatile uint8_t *cap_region(struct vpci *p, unsigned off)
{
	uint8_t bar = pci_read8(p->pci, off + 4);
	uint32_t where = pci_read32(p->pci, off + 8);
	if (bar > 5 || p->pci->bar[bar].io)
		return NULL;
	if (!p->bars[bar])
		p->bars[bar] = pci_map_bar(p->pci, bar);
	return p->bars[bar] ? (volatile uint8_t *)p->bars[bar] + where : NULL;
}

/* Find the modern capabilities; false if the device has no usable set. */
static bool find_modern(struct vpci *p)
{
	for (unsigned off = pci_find_cap(p->pci, PCI_CAP_VENDOR, 0); off; off = pci_find_cap(p->pci, PCI_CAP_VENDOR, off)) {
		uint8_t type = pci_read8(p->pci, off + 3);
		volatile uint8_t **slot = type == CAP_COMMON ? &p->common : type == CAP_NOTIFY ? &p->notify :
					  type == CAP_ISR ? &p->isr : type == CAP_DEVICE ? &p->device : NULL;
		if (!slot || *slot)          /* the first of each type is the preferred one */
			continue;
		*slot = cap_region(p, off);
		if (type == CAP_NOTIFY)
			p->notify_mult = pci_read32(p->pci, off + 16);
	}
	return p->common && p->notify && p->isr;
}

static int vp_probe(struct pci_dev *d)
{
	uint32_t type = device_type(d);
	int (*driver_probe)(struct virtio_dev *) = type == VIRTIO_ID_BLOCK ? virtio_blk_probe :
						      type == VIRTIO_ID_NET ? virtio_net_probe :
						      type == VIRTIO_ID_9P ? virtio_9p_probe : NULL;
	if (!driver_probe)
		return -ENODEV;          /* no driver for it (yet) */
	struct vpci *p = kzalloc(sizeof(*p));
	struct virtio_dev *vd = kzalloc(sizeof(*vd));
	if (!p || !vd) {
		kfree(p);
		kfree(vd);
		return -ENOMEM;
	}
	p->pci = d;
	pci_enable(d);
	vd->type = type;
	vd->transport_data = p;
	if (find_modern(p)) {
		vd->t = &modern_transport;
	} else if (d->bar[0].io && d->device < 0x1040) {
		p->iobase = (uint16_t)d->bar[0].addr;
		vd->t = &legacy_transport;
		vd->legacy = true;
	} else {
		kprintf("virtio: %02x:%02x.%x has neither modern capabilities nor a legacy I/O BAR\n", d->bus, d->dev, d->fn);
		kfree(p);
		kfree(vd);
		return -ENODEV;
	}
	int err = driver_probe(vd);
	if (err) {
		vd->t->set_status(vd, VIRTIO_STATUS_FAILED);
		kfree(p);
		kfree(vd);
		return err;
	}
	d->driver_data = vd;
	return 0;
}

const struct pci_driver virtio_pci_driver = { .name = "virtio-pci", .match = vp_match, .probe = vp_probe };
