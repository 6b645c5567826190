/* Boot: bring the machine up in dependency order, mount the root fs, start
 * the program. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "paging.h"
#include "bootinfo.h"
#include "sched.h"
#include "vfs.h"
#include "vm.h"
#include "proc.h"
#include "pci.h"
#include "console.h"
#include "virtio.h"
#include "net.h"

struct boot_options boot_opts;
void intr_init(void);
void timer_start(void);
void smp_init(void);

static uint64_t boot_tsc0; /* the TSC at the kernel's first C instruction */

void boot_mark(const char *what)
{
	if (boot_opts.boot_times)
		kprintf("uninode: boot %8lu us  %s\n", time_since_tsc(boot_tsc0) / 1000, what);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX escapes, in place: the CLI encodes spaces and '%' in env= and arg= values. */
char *percent_decode(char *s)
{
	char *r = s, *w = s;
	while (*r) {
		int hi, lo;
		if (r[0] == '%' && r[1] && r[2] && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return s;
}

static void parse_cmdline(char *s)
{
	while (*s) {
		while (*s == ' ')
			s++;
		char *tok = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = 0;
		if (!*tok)
			continue;
		if (!strcmp(tok, "trace"))
			boot_opts.trace = true;
		else if (!strcmp(tok, "boot-times"))
			boot_opts.boot_times = true;
		else if (!strncmp(tok, "init=", 5))
			boot_opts.init = tok + 5;
		else if (!strncmp(tok, "env=", 4) && strchr(tok + 4, '=') && boot_opts.nenv < (int)ARRAY_SIZE(boot_opts.env))
			boot_opts.env[boot_opts.nenv++] = percent_decode(tok + 4);
		else if (!strncmp(tok, "arg=", 4) && boot_opts.nargs < (int)ARRAY_SIZE(boot_opts.args))
			boot_opts.args[boot_opts.nargs++] = percent_decode(tok + 4);
		else if (!strncmp(tok, "mount=", 6) && boot_opts.nmounts < (int)ARRAY_SIZE(boot_opts.mounts))
			boot_opts.mounts[boot_opts.nmounts++] = tok + 6;   /* decoded field by field */
		else if (!strcmp(tok, "readonly-root"))
			boot_opts.readonly_root = true;
		else if (!strncmp(tok, "ip=", 3))
			net_ip_option(tok + 3);
		else if (!strncmp(tok, "hosts=", 6))
			net_hosts_option(tok + 6);
		else if (!strcmp(tok, "stdin=null"))
			console_input_eof(0);   /* no input side (detached VMs): stdin is empty */
		else if (!strncmp(tok, "virtio_mmio.device=", 19) && !virtio_mmio_cmdline(tok + 19))
			;                       /* probed with the PCI devices */
		else
			kprintf("uninode: unknown kernel option '%s' ignored\n", tok);
	}
}

void kmain(uint32_t magic, uint32_t info)
{
	boot_tsc0 = rdtsc();
	console_init();
	control_init();
	arch_init_cpu();
	bootinfo_parse(magic, info);
	static char cmdline[sizeof boot_info.cmdline];
	strlcpy(cmdline, boot_info.cmdline, sizeof cmdline);
	parse_cmdline(cmdline);
	frame_init();
	paging_init();
	intr_init();
	time_init();
	boot_mark("clock calibrated");
	sched_init();
	timer_start();
	irq_enable();
	boot_mark("interrupts and scheduler up");
	smp_init();
	boot_mark("other CPUs started");
	if (boot_opts.boot_times)
		kprintf("uninode: %s boot, %lu MiB RAM, cmdline '%s'\n", boot_info.protocol,
			frame_total() * PAGE_SIZE >> 20, boot_info.cmdline);
	vm_init();
	pci_init();
	boot_mark("PCI enumerated");
	net_init();
	boot_mark("network up");
	int r = vfs_init();
	if (r)
		panic("cannot mount the file systems (error %d)", -r);
	boot_mark("root fs mounted");
	net_publish_resolv_conf();      /* /run is mounted now */
	net_publish_hosts();
	proc_start();
}
