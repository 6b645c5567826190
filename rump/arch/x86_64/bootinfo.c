/* The PVH start info (QEMU -kernel) and the Multiboot2 information (GRUB),
 * both reduced to struct boot_info. Both are read through the boot direct map,
 * which covers the first 1 GiB, where every loader puts them. */
#include "kernel.h"
#include "mm.h"
#include "bootinfo.h"

#define PVH_MAGIC 0x336ec578
#define MB2_MAGIC 0x36d76289

struct boot_info boot_info;

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry { uint64_t addr, size; uint32_t type, reserved; };

static void add_ram(paddr_t base, uint64_t len)
{
	if (boot_info.nranges < BOOT_MAX_RANGES) {
		boot_info.ram[boot_info.nranges].base = base;
		boot_info.ram[boot_info.nranges].len = len;
		boot_info.nranges++;
	}
}

static void parse_pvh(const struct hvm_start_info *si)
{
	boot_info.protocol = "pvh";
	if (si->cmdline_paddr)
		strlcpy(boot_info.cmdline, phys_to_virt(si->cmdline_paddr), sizeof boot_info.cmdline);
	boot_info.rsdp = si->rsdp_paddr;
	if (si->version < 1 || !si->memmap_paddr)
		panic("PVH start info has no memory map (version %u)", si->version);
	const struct hvm_memmap_entry *e = phys_to_virt(si->memmap_paddr);
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (e[i].type == 1)
			add_ram(e[i].addr, e[i].size);
}

static void parse_mb2(const uint8_t *mbi)
{
	boot_info.protocol = "multiboot2";
	uint32_t total = *(const uint32_t *)mbi;
	for (uint32_t off = 8; off + 8 <= total;) {
		uint32_t type = *(const uint32_t *)(mbi + off), size = *(const uint32_t *)(mbi + off + 4);
		if (type == 0)
			break;
		if (type == 1) {
			strlcpy(boot_info.cmdline, (const char *)mbi + off + 8, sizeof boot_info.cmdline);
		} else if (type == 6) {
			uint32_t esize = *(const uint32_t *)(mbi + off + 8);
			for (uint32_t p = off + 16; p + esize <= off + size; p += esize) {
				const uint8_t *e = mbi + p;
				if (*(const uint32_t *)(e + 16) == 1)
					add_ram(*(const uint64_t *)e, *(const uint64_t *)(e + 8));
			}
		} else if (type == 14 || type == 15) {
			boot_info.rsdp = virt_to_phys(mbi + off + 8); /* a copy of the RSDP itself */
		}
		off += ALIGN_UP(size, 8);
	}
}

void bootinfo_parse(uint32_t magic, paddr_t info)
{
	if (magic == PVH_MAGIC)
		parse_pvh(phys_to_virt(info));
	else if (magic == MB2_MAGIC)
		parse_mb2(phys_to_virt(info));
	else
		panic("unknown boot protocol (magic %#x)", magic);
	if (!boot_info.nranges)
		panic("the loader reported no usable RAM");
}
