/* PCI configuration through ECAM (PCIe memory-mapped configuration, found in
 * the ACPI MCFG table) where the machine has it, else the legacy mechanism
 * (ports 0xcf8/0xcfc): enumeration of bus 0 and every bus behind a bridge,
 * BAR decoding and sizing, capability lists, and binding the drivers in
 * pci_drivers[]. */
#include "kernel.h"
#include "arch.h"
#include "paging.h"
#include "pci.h"
#include "virtio.h"
#include "acpi.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc

/* rump/virtio/virtio_pci.c */
extern const struct pci_driver virtio_pci_driver;

static const struct pci_driver *const pci_drivers[] = {
	&virtio_pci_driver,
};

static struct spinlock cfg_lock = SPINLOCK_INIT("pci-cfg");
static struct pci_dev *devices;     /* written once, by pci_init */
static bool pci_done;

/* ECAM for segment 0, from MCFG: bus B's 1 MiB window is at ecam_base + (B << 20). */
static paddr_t ecam_base;                  /* 0: use the ports */
static unsigned ecam_first, ecam_last;
static volatile uint8_t *ecam_bus[256];    /* mapped on first use, guarded by cfg_lock */

struct mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __packed;

/* Function BUS:DEV.FN's 4 KiB of configuration space, or NULL without ECAM for it. */
static volatile uint8_t *ecam_fn(uint8_t bus, uint8_t dev, uint8_t fn)
{
	if (!ecam_base || bus < ecam_first || bus > ecam_last)
		return NULL;
	volatile uint8_t *b = __atomic_load_n(&ecam_bus[bus], __ATOMIC_ACQUIRE);
	if (!b) {
		spin_lock(&cfg_lock);
		if (!ecam_bus[bus])
			__atomic_store_n(&ecam_bus[bus], ioremap(ecam_base + ((paddr_t)bus << 20), 1UL << 20), __ATOMIC_RELEASE);
		b = ecam_bus[bus];
		spin_unlock(&cfg_lock);
	}
	return b + ((unsigned)dev << 15) + ((unsigned)fn << 12);
}

/* The 0xcf8 address word for a dword of BUS:DEV.FN. */
static uint32_t cfg_addr(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (off & 0xfc);
}

/* A config dword through the ports (the first 256 bytes only). */
static uint32_t port_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	if (off >= 256)
		return 0xffffffff;           /* extended space needs ECAM */
	spin_lock(&cfg_lock);
	outl(CFG_ADDR, cfg_addr(bus, dev, fn, off));
	uint32_t v = inl(CFG_DATA);
	spin_unlock(&cfg_lock);
	return v;
}

/* A config dword, through ECAM when it covers the bus. */
static uint32_t raw_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	volatile uint8_t *e = ecam_fn(bus, dev, fn);
	if (e)
		return *(volatile uint32_t *)(e + (off & 0xffc));
	return port_read32(bus, dev, fn, off);
}

/* Use ECAM if MCFG describes segment 0 and it agrees with the ports on 00:00.0. */
static void ecam_init(void)
{
	const struct acpi_header *h = acpi_find("MCFG");
	if (!h)
		return;
	const struct mcfg_entry *e = (const struct mcfg_entry *)((const char *)h + sizeof(*h) + 8);
	size_t n = (h->length - sizeof(*h) - 8) / sizeof(*e);
	for (size_t i = 0; i < n; i++)
		if (e[i].segment == 0 && e[i].base && e[i].start_bus <= e[i].end_bus) {
			ecam_base = e[i].base;
			ecam_first = e[i].start_bus;
			ecam_last = e[i].end_bus;
			break;
		}
	if (!ecam_base || ecam_first > 0)
		return;
	uint32_t mem = raw_read32(0, 0, 0, PCI_VENDOR_ID), io = port_read32(0, 0, 0, PCI_VENDOR_ID);
	if (mem != io) {
		kprintf("pci: MCFG's ECAM at %#lx reads %#x where the ports read %#x: not used\n", ecam_base, mem, io);
		ecam_base = 0;
		return;
	}
	kprintf("pci: configuration through ECAM at %#lx, buses %u-%u\n", ecam_base, ecam_first, ecam_last);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	return raw_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned off)
{
	return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	volatile uint8_t *e = ecam_fn(d->bus, d->dev, d->fn);
	if (e) {
		*(volatile uint32_t *)(e + (off & 0xffc)) = v;
		return;
	}
	if (off >= 256)
		return;               /* extended space needs ECAM */
	spin_lock(&cfg_lock);
	outl(CFG_ADDR, cfg_addr(d->bus, d->dev, d->fn, off));
	outl(CFG_DATA, v);
	spin_unlock(&cfg_lock);
}

void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	volatile uint8_t *e = ecam_fn(d->bus, d->dev, d->fn);
	if (e) {
		*(volatile uint16_t *)(e + (off & 0xffe)) = v;
		return;
	}
	if (off >= 256)
		return;               /* extended space needs ECAM */
	spin_lock(&cfg_lock);
	outl(CFG_ADDR, cfg_addr(d->bus, d->dev, d->fn, off));
	outw((uint16_t)(CFG_DATA + (off & 2)), v);
	spin_unlock(&cfg_lock);
}

void pci_write8(const struct pci_dev *d, unsigned off, uint8_t v)
{
	volatile uint8_t *e = ecam_fn(d->bus, d->dev, d->fn);
	if (e) {
		e[off & 0xfff] = v;
		return;
	}
	if (off >= 256)
		return;               /* extended space needs ECAM */
	spin_lock(&cfg_lock);
	outl(CFG_ADDR, cfg_addr(d->bus, d->dev, d->fn, off));
	outb((uint16_t)(CFG_DATA + (off & 3)), v);
	spin_unlock(&cfg_lock);
}

/* Decode and size the BARs of a type 0 header (decoding off while sizing). */
static void read_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & (uint16_t)~(PCI_CMD_IO | PCI_CMD_MEM));
	for (int i = 0; i < 6; i++) {
		unsigned off = PCI_BAR0 + 4 * (unsigned)i;
		uint32_t lo = pci_read32(d, off);
		pci_write32(d, off, 0xffffffff);
		uint32_t szlo = pci_read32(d, off);
		pci_write32(d, off, lo);
		struct pci_bar *b = &d->bar[i];
		if (lo & 1) {
			b->io = true;
			b->addr = lo & ~3u;
			uint32_t mask = szlo & ~3u;
			b->size = mask ? (uint32_t)(~mask + 1) & 0xffff : 0;
			continue;
		}
		b->prefetch = lo & 8;
		uint64_t addr = lo & ~0xfu, mask = szlo & ~0xfu;
		if (((lo >> 1) & 3) == 2 && i < 5) {     /* 64-bit: the next BAR is the high half */
			uint32_t hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, 0xffffffff);
			uint32_t szhi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, hi);
			addr |= (uint64_t)hi << 32;
			mask |= (uint64_t)szhi << 32;
			b->mem64 = true;
			b->addr = addr;
			b->size = mask ? ~mask + 1 : 0;
			i++;
			continue;
		}
		b->addr = addr;
		b->size = mask ? (uint32_t)(~(uint32_t)mask + 1) : 0;
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

static void scan_bus(uint8_t bus, int depth);

/* Record function FN of BUS/DEV; follow it if it is a bridge. */
static void scan_fn(uint8_t bus, uint8_t dev, uint8_t fn, int depth)
{
	uint32_t id = raw_read32(bus, dev, fn, PCI_VENDOR_ID);
	if ((id & 0xffff) == 0xffff)
		return;
	struct pci_dev *d = kzalloc(sizeof(*d));
	if (!d)
		return;
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	uint32_t cr = pci_read32(d, PCI_CLASS_REVISION);
	d->revision = (uint8_t)cr;
	d->prog_if = (uint8_t)(cr >> 8);
	d->subclass = (uint8_t)(cr >> 16);
	d->class_code = (uint8_t)(cr >> 24);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE);
	d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
	d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
	if ((d->header_type & 0x7f) == 0) {
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_id = pci_read16(d, PCI_SUBSYS_ID);
		read_bars(d);
	}
	/* append, keeping enumeration order */
	struct pci_dev **pp = &devices;
	while (*pp)
		pp = &(*pp)->next;
	*pp = d;
	if ((d->header_type & 0x7f) == 1 && depth < 32) {
		uint8_t sec = pci_read8(d, PCI_SECONDARY_BUS);
		if (sec && sec != bus)
			scan_bus(sec, depth + 1);
	}
}

static void scan_bus(uint8_t bus, int depth)
{
	for (uint8_t dev = 0; dev < 32; dev++) {
		if ((raw_read32(bus, dev, 0, PCI_VENDOR_ID) & 0xffff) == 0xffff)
			continue;
		bool multi = (raw_read32(bus, dev, 0, 0x0c) >> 16) & 0x80;
		for (uint8_t fn = 0; fn < (multi ? 8 : 1); fn++)
			scan_fn(bus, dev, fn, depth);
	}
}

struct pci_dev *pci_devices(void)
{
	return devices;
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from)
{
	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned off = from ? pci_read8(d, from + 1) : pci_read8(d, PCI_CAP_PTR);
	for (int guard = 0; off >= 0x40 && guard < 48; guard++) {
		off &= 0xfc;
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

void pci_enable(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd | PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
}

void *pci_map_bar(struct pci_dev *d, int i)
{
	if (i < 0 || i > 5 || d->bar[i].io || !d->bar[i].addr || !d->bar[i].size)
		return NULL;
	return ioremap(d->bar[i].addr, d->bar[i].size);
}

/* Enumerate and bind drivers: the first whose match() accepts and probe() succeeds
 * wins; then the virtio-mmio devices (virtio_mmio.c). */
void pci_init(void)
{
	if (pci_done)
		return;
	pci_done = true;
	ecam_init();
	/* one host bridge per function of 00:00 when it is multi-function */
	bool multi = (raw_read32(0, 0, 0, 0x0c) >> 16) & 0x80;
	if (!multi)
		scan_bus(0, 0);
	else
		for (uint8_t fn = 0; fn < 8; fn++)
			if ((raw_read32(0, 0, fn, PCI_VENDOR_ID) & 0xffff) != 0xffff)
				scan_bus(fn, 0);
	for (struct pci_dev *d = devices; d; d = d->next)
		for (size_t k = 0; k < ARRAY_SIZE(pci_drivers) && !d->driver; k++)
			if (pci_drivers[k]->match(d) && pci_drivers[k]->probe(d) == 0)
				d->driver = pci_drivers[k];
	virtio_mmio_init();    /* devices outside PCI (microvm): found now too, so boot order holds */
}
