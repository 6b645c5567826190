/* virtio: devices behind a transport (PCI modern, PCI legacy, MMIO), split
 * virtqueues, and the device drivers that sit on them (rump/virtio/). */
#pragma once
#include "types.h"
#include "kernel.h"

/* Device status bits */
#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Device-independent feature bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Device types */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_9P 9

/* ---- split virtqueues (virtqueue.c) ---- */
struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags; uint16_t next; };
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
struct vring_avail { uint16_t flags; uint16_t idx; uint16_t ring[]; };
struct vring_used_elem { uint32_t id; uint32_t len; };
struct vring_used { uint16_t flags; uint16_t idx; struct vring_used_elem ring[]; };
#define VRING_USED_F_NO_NOTIFY 1
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct virtio_dev;

struct virtq {
	struct virtio_dev *vdev;
	uint16_t index;
	uint16_t size;
	struct vring_desc *desc;        /* direct-mapped DMA memory */
	struct vring_avail *avail;
	struct vring_used *used;
	paddr_t desc_pa, avail_pa, used_pa;
	uint16_t free_head, num_free;   /* guarded by lock */
	uint16_t last_used;
	void **cookies;                 /* per head descriptor: what add() was given */
	volatile void *notify;          /* modern PCI: where to write the queue index */
	struct spinlock lock;
};

/* One buffer of a request: physical address, length, device-writable or not. */
struct virtq_buf { paddr_t addr; uint32_t len; bool write; };

/* Allocate the rings of queue INDEX with SIZE entries (a power of two), laid
 * out as one contiguous block that legacy and modern devices both accept. */
int virtq_alloc(struct virtio_dev *vd, uint16_t index, uint16_t size, struct virtq **out);
/* Queue N buffers (device-readable ones first) as one chain; -ENOSPC if full. */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, int n, void *cookie);
/* Tell the device (unless it asked not to be told). */
void virtq_kick(struct virtq *q);
/* The next completed chain's cookie (and bytes written) or NULL; frees its descriptors. */
void *virtq_get_used(struct virtq *q, uint32_t *len);

/* ---- transports ---- */
struct virtio_transport {
	const char *name;
	uint64_t (*get_features)(struct virtio_dev *vd);
	void (*set_features)(struct virtio_dev *vd, uint64_t f);
	uint8_t (*get_status)(struct virtio_dev *vd);
	void (*set_status)(struct virtio_dev *vd, uint8_t s);
	void (*reset)(struct virtio_dev *vd);
	/* Copy LEN bytes of device-specific config at OFF. */
	void (*read_config)(struct virtio_dev *vd, unsigned off, void *buf, unsigned len);
	/* Largest size queue INDEX may have (0: no such queue). */
	uint16_t (*queue_max)(struct virtio_dev *vd, uint16_t index);
	/* Allocate and register queue INDEX with at most SIZE entries. */
	int (*setup_queue)(struct virtio_dev *vd, uint16_t index, uint16_t size, struct virtq **out);
	void (*notify)(struct virtio_dev *vd, struct virtq *q);
	/* Read (and so acknowledge) the interrupt status. */
	uint8_t (*isr)(struct virtio_dev *vd);
	/* Deliver queue Q's interrupts to CPU vector VECTOR (its handler is the
	 * caller's to register): MSI-X where the device has it, else the INTx
	 * line through the IO-APIC, which may be shared, so the handler must read
	 * isr() to acknowledge. 0 for MSI-X, 1 for INTx, or -errno. Optional;
	 * call before virtio_driver_ok. */
	int (*setup_irq)(struct virtio_dev *vd, struct virtq *q, int vector);
	/* Make the queues set up so far live; virtio_driver_ok calls it just before
	 * DRIVER_OK, so a queue's vector is set before it is enabled. Optional. */
	void (*activate)(struct virtio_dev *vd);
};

struct virtio_dev {
	const struct virtio_transport *t;
	uint32_t type;                  /* VIRTIO_ID_* */
	uint64_t features;              /* negotiated */
	bool legacy;
	void *transport_data;
	void *driver_data;
};

/* virtio_pci.c: the common bring-up: reset, ACK, DRIVER, negotiate WANTED
 * (VERSION_1 added on modern transports), FEATURES_OK. */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);
void virtio_driver_ok(struct virtio_dev *vd);
static inline bool virtio_has(const struct virtio_dev *vd, int bit) { return vd->features & (1ULL << bit); }

/* Device drivers (probe: 0 = bound). */
int virtio_blk_probe(struct virtio_dev *vd);
int virtio_9p_probe(struct virtio_dev *vd);

/* virtio_mmio.c: record a virtio_mmio.device=SIZE@ADDR:IRQ value from the
 * kernel command line (before the heap exists); probe them (from pci_init). */
int virtio_mmio_cmdline(const char *val);
void virtio_mmio_init(void);
int virtio_net_probe(struct virtio_dev *vd);
