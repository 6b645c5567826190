/* Finding ACPI tables: the RSDP (from the loader, else the BIOS read-only area),
 * then the XSDT (or RSDT) and the table with the wanted signature. Only what
 * PCI needs today (MCFG) uses it; tables are mapped once and kept. */
#include "kernel.h"
#include "paging.h"
#include "mm.h"
#include "bootinfo.h"
#include "acpi.h"

struct rsdp {
	char sig[8];                 /* "RSD PTR " */
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;            /* 0: ACPI 1.0 (RSDT only); 2: XSDT too */
	uint32_t rsdt;
	uint32_t length;             /* revision >= 2 */
	uint64_t xsdt;
	uint8_t ext_checksum, reserved[3];
} __packed;

/* PA..PA+N readable: through the direct map when it is RAM (no second,
 * uncached alias of cached memory), else an uncached mapping. */
static const void *map_phys(paddr_t pa, size_t n)
{
	for (int i = 0; i < boot_info.nranges; i++)
		if (pa >= boot_info.ram[i].base && pa + n <= boot_info.ram[i].base + boot_info.ram[i].len)
			return phys_to_virt(pa);
	return ioremap(pa, n);
}

/* Do the N bytes at P sum to 0 (mod 256), as every ACPI structure must? */
static bool sum_ok(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + ((const uint8_t *)p)[i]);
	return s == 0;
}

/* The RSDP the loader named, or one found on a 16-byte boundary in 0xe0000-0xfffff. */
static const struct rsdp *find_rsdp(void)
{
	if (boot_info.rsdp) {
		const struct rsdp *r = map_phys(boot_info.rsdp, sizeof(*r));
		if (!memcmp(r->sig, "RSD PTR ", 8) && sum_ok(r, 20))
			return r;
	}
	const uint8_t *bios = map_phys(0xe0000, 0x20000);
	for (size_t off = 0; off + sizeof(struct rsdp) <= 0x20000; off += 16)
		if (!memcmp(bios + off, "RSD PTR ", 8) && sum_ok(bios + off, 20))
			return (const struct rsdp *)(bios + off);
	return NULL;
}

/* The table at PA, mapped whole if its header is sane and its checksum holds. */
static const struct acpi_header *map_table(paddr_t pa)
{
	if (!pa)
		return NULL;
	const struct acpi_header *h = map_phys(pa, sizeof(*h));
	if (h->length < sizeof(*h) || h->length > (16u << 20))
		return NULL;
	h = map_phys(pa, h->length);
	return sum_ok(h, h->length) ? h : NULL;
}

const struct acpi_header *acpi_find(const char *sig)
{
	static const struct rsdp *rsdp;
	static const struct acpi_header *root;
	static bool xsdt, looked;
	if (!looked) {
		looked = true;
		rsdp = find_rsdp();
		if (rsdp && rsdp->revision >= 2 && rsdp->xsdt && (root = map_table(rsdp->xsdt)))
			xsdt = true;
		else if (rsdp)
			root = map_table(rsdp->rsdt);
	}
	if (!root)
		return NULL;
	size_t width = xsdt ? 8 : 4, n = (root->length - sizeof(*root)) / width;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, entries + i * width, width);
		const struct acpi_header *h = map_phys(pa, sizeof(*h));
		if (memcmp(h->sig, sig, 4))
			continue;
		if ((h = map_table(pa)))
			return h;
	}
	return NULL;
}
