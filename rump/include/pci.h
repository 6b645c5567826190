/* PCI: configuration space, enumeration, BARs, capabilities, and the table
 * of drivers matched against what enumeration finds (rump/pci/pci.c). */
#pragma once
#include "types.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_SECONDARY_BUS 0x19   /* type 1 (bridge) headers */

#define PCI_CMD_IO 0x1
#define PCI_CMD_MEM 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_MSIX 0x11

struct pci_bar {
	uint64_t addr;     /* physical address or I/O port */
	uint64_t size;
	bool io;           /* an I/O port range */
	bool mem64;
	bool prefetch;
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type;
	uint8_t irq_line, irq_pin;
	struct pci_bar bar[6];
	void *driver_data;          /* the driver's, once probed */
	const struct pci_driver *driver;
	struct pci_dev *next;
};

/* A driver: match() picks devices, probe() takes one (0 = bound, -errno = not). */
struct pci_driver {
	const char *name;
	bool (*match)(const struct pci_dev *d);
	int (*probe)(struct pci_dev *d);
};

uint32_t pci_read32(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
uint8_t pci_read8(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);
void pci_write8(const struct pci_dev *d, unsigned off, uint8_t v);

/* Enumerate every bus (through bridges) and bind drivers, then probe the
 * virtio-mmio devices; runs once. */
void pci_init(void);
struct pci_dev *pci_devices(void);             /* the list enumeration built */
/* Offset of the first capability ID at or after the one following FROM
 * (FROM 0: from the start of the list); 0 if none. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from);
/* Turn on memory/I/O decoding and bus mastering. */
void pci_enable(struct pci_dev *d);
/* An uncached mapping of memory BAR I; NULL for I/O or absent BARs. */
void *pci_map_bar(struct pci_dev *d, int i);
