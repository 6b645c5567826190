/* The text of /proc files, in Linux's formats (what glibc, libuv and Node
 * parse): the process (maps, stat, status, cmdline, limits, fd links), the
 * machine (meminfo, cpuinfo, stat, uptime, loadavg) and /proc/sys values. */
#include "../include/percpu.h"
#include "procfs.h"
#include "../include/proc.h"
#include "../include/sched.h"
#include "../include/vm.h"
#include "../include/mm.h"
#include "../include/arch.h"

#define RLIM_INFINITY (~0UL)
#define TICK_NS 10000000UL           /* USER_HZ 100 */

uint64_t time_tsc_hz(void);

/* ---- the buffer ---- */

static bool pb_room(struct pbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = krealloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void pb_put(struct pbuf *b, const void *data, size_t n)
{
	if (!pb_room(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
}

void pb_printf(struct pbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		pb_put(b, small, (size_t)n);
		return;
	}
	if (!pb_room(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pb_pad(struct pbuf *b, size_t from, size_t width)
{
	while (!b->oom && b->len - from < width)
		pb_put(b, " ", 1);
	pb_put(b, " ", 1);
}

/* ---- facts about the process ---- */

/* The program's name as Linux keeps it: what it was started by, at most 15 bytes. */
static void comm_of(char out[16])
{
	strlcpy(out, proc_comm(), 16);
}

/* The path a region shows in maps: its file's, or its name ([heap], [stack], ...). */
static const char *vma_label(struct vma *v)
{
	if (v->file)
		return v->file->path ? v->file->path : proc_vma_name(v);
	return v->name;
}

/* Is V a mapping of the program's own file? */
static bool is_exe_region(struct vma *v)
{
	const char *exe = proc_exe_path(), *l = vma_label(v);
	return v->file && exe && l && !strcmp(l, exe);
}

/* Sizes in bytes, as status and statm report them. */
struct vm_sums {
	uint64_t size, exe, lib, stack, data;
	vaddr_t start_code, end_code, start_data, end_data, start_brk, stack_top;
};

/* Walk the regions (under the region lock: the walk neither faults nor sleeps). */
static void vm_sum(struct vm_sums *s)
{
	memset(s, 0, sizeof(*s));
	vm_regions_lock();
	for (struct vma *v = vm_first(); v; v = v->next) {
		uint64_t len = v->end - v->start;
		s->size += len;
		if (v->name && !strcmp(v->name, "[stack]")) {
			s->stack += len;
			s->stack_top = v->end;
		} else if (v->file && (v->prot & PROT_EXEC)) {
			if (is_exe_region(v)) {
				s->exe += len;
				if (!s->start_code)
					s->start_code = v->start;
				s->end_code = v->end;
			} else {
				s->lib += len;
			}
		} else if ((v->prot & PROT_WRITE) && !(v->flags & MAP_SHARED)) {
			s->data += len;
			if (is_exe_region(v)) {
				if (!s->start_data)
					s->start_data = v->start;
				s->end_data = v->end;
			}
		}
		if (v->name && !strcmp(v->name, "[heap]") && !s->start_brk)
			s->start_brk = v->start;
	}
	vm_regions_unlock();
}

/* The resident set: every frame in use (the one process owns the machine). */
static uint64_t rss_pages(void)
{
	return frame_total() - frame_free_count();
}

/* Live app threads (at least 1). */
static int thread_count(void)
{
	int tmp[1];
	int n = thread_app_tids(tmp, 0);
	return n ? n : 1;
}

/* ---- /proc/1 ---- */

int gen_maps(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	vm_regions_lock();
	for (struct vma *v = vm_first(); v; v = v->next) {
		uint32_t maj = 0, min = 0;
		uint64_t ino = 0, off = 0;
		if (v->file) {
			off = (uint64_t)v->off;
			if (v->file->inode) {
				maj = dev_major(v->file->inode->mnt->dev);
				min = dev_minor(v->file->inode->mnt->dev);
				ino = v->file->inode->ino;
			}
		}
		size_t line = b->len;
		pb_printf(b, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", v->start, v->end, v->prot & PROT_READ ? 'r' : '-',
			  v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-', v->flags & MAP_SHARED ? 's' : 'p',
			  off, maj, min, ino);
		const char *label = vma_label(v);
		if (label) {
			pb_pad(b, line, 72);
			pb_printf(b, "%s", label);
		}
		pb_put(b, "\n", 1);
	}
	vm_regions_unlock();
	return 0;
}

int gen_stat(struct pbuf *b, const struct pctx *c)
{
	char comm[16];
	comm_of(comm);
	struct vm_sums s;
	vm_sum(&s);
	vaddr_t as, ae, es, ee;
	proc_arg_area(&as, &ae, &es, &ee);
	uint64_t utime = sched_busy_ns() / TICK_NS;
	/* pid comm state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt */
	pb_printf(b, "%d (%s) R 0 %d %d 0 -1 4194560 0 0 0 0 ", c->tid ? c->tid : PROC_PID, comm, PROC_PID, PROC_PID);
	/* utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss rsslim */
	pb_printf(b, "%lu 0 0 0 20 0 %d 0 %lu %lu %lu %lu ", utime, thread_count(), proc_start_ticks, s.size, rss_pages(),
		  RLIM_INFINITY);
	/* startcode endcode startstack kstkesp kstkeip signal blocked sigignore sigcatch wchan nswap cnswap */
	pb_printf(b, "%lu %lu %lu 0 0 0 0 0 0 0 0 0 ", s.start_code, s.end_code, as ? as : s.stack_top);
	/* exit_signal processor rt_priority policy delayacct_blkio_ticks guest_time cguest_time */
	pb_printf(b, "17 0 0 0 0 0 0 ");
	/* start_data end_data start_brk arg_start arg_end env_start env_end exit_code */
	pb_printf(b, "%lu %lu %lu %lu %lu %lu %lu 0\n", s.start_data, s.end_data, s.start_brk, as, ae, es, ee);
	return 0;
}

int gen_statm(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	struct vm_sums s;
	vm_sum(&s);
	pb_printf(b, "%lu %lu 0 %lu 0 %lu 0\n", s.size / PAGE_SIZE, rss_pages(), s.exe / PAGE_SIZE,
		  (s.data + s.stack) / PAGE_SIZE);
	return 0;
}

int gen_status(struct pbuf *b, const struct pctx *c)
{
	char comm[16];
	comm_of(comm);
	struct vm_sums s;
	vm_sum(&s);
	int id = c->tid ? c->tid : PROC_PID;
	uint64_t rss_kb = rss_pages() * (PAGE_SIZE / 1024);
	/* The reader's own credentials: glibc keeps every thread's the same. */
	const struct cred *cr = &current()->cred;
	pb_printf(b, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t0\n"
		  "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t",
		  comm, umask_get(), PROC_PID, id, cr->uid, cr->euid, cr->suid, cr->fsuid, cr->gid, cr->egid, cr->sgid,
		  cr->fsgid, NR_OPEN);
	for (int i = 0; cr->groups && i < cr->groups->n; i++)
		pb_printf(b, "%s%u", i ? " " : "", cr->groups->gid[i]);
	/* Linux ends the list with a space, even an empty one. */
	pb_printf(b, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", PROC_PID, id, PROC_PID, PROC_PID);
	pb_printf(b, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n"
		  "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t       0 kB\nRssShmem:\t       0 kB\n",
		  s.size >> 10, s.size >> 10, rss_kb, rss_kb, rss_kb);
	pb_printf(b, "VmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\nVmLib:\t%8lu kB\nVmPTE:\t       0 kB\n"
		  "VmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\n",
		  s.data >> 10, s.stack >> 10, s.exe >> 10, s.lib >> 10, thread_count());
	pb_printf(b, "SigQ:\t0/63504\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t%016lx\n"
		  "SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n",
		  (!c->tid || c->tid == current()->tid) ? current()->sigmask : 0UL);
	pb_printf(b, "CapInh:\t0000000000000000\nCapPrm:\t%016lx\nCapEff:\t%016lx\n"
		  "CapBnd:\t%016lx\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
		  "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tvulnerable\nCpus_allowed:\t%lx\n"
		  "Cpus_allowed_list:\t0-%d\nMems_allowed:\t1\nMems_allowed_list:\t0\n"
		  "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
		  cred_cap_permitted(cr), cred_cap_effective(cr), CAP_ALL_MASK,
		  ncpus_online >= 64 ? ~0UL : (1UL << ncpus_online) - 1, ncpus_online - 1);
	return 0;
}

/* Is all of [START, END) app memory mapped readable? (Checked under the
 * region lock, which the copy that follows must not hold: it may fault.) */
static bool app_readable(vaddr_t start, vaddr_t end)
{
	if (!start || end <= start)
		return false;
	bool ok = true;
	vm_regions_lock();
	for (vaddr_t a = start; a < end && ok;) {
		struct vma *v = vm_find(a);
		ok = v && (v->prot & PROT_READ);
		if (ok)
			a = v->end;
	}
	vm_regions_unlock();
	return ok;
}

/* Bytes [START, END) of app memory, if it is all mapped. */
static int put_app_range(struct pbuf *b, vaddr_t start, vaddr_t end)
{
	if (app_readable(start, end))
		pb_put(b, (const void *)start, end - start);
	return 0;
}

/* The argv area as Linux shows it: all of it, NULs included; but when the
 * program wrote over its last NUL (setproctitle, Node's process.title), the
 * one string from its start, which may run on into the environment. */
int gen_cmdline(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	vaddr_t as, ae, es, ee;
	proc_arg_area(&as, &ae, &es, &ee);
	if (!app_readable(as, ae))
		return 0;
	if (*(const char *)(ae - 1) == 0)
		return put_app_range(b, as, ae);
	vaddr_t limit = es == ae && app_readable(es, ee) ? ee : ae;
	size_t n = strnlen((const char *)as, limit - as);
	pb_put(b, (const void *)as, n);
	return 0;
}

int gen_environ(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	vaddr_t as, ae, es, ee;
	proc_arg_area(&as, &ae, &es, &ee);
	return put_app_range(b, es, ee);
}

int gen_comm(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	char comm[16];
	comm_of(comm);
	pb_printf(b, "%s\n", comm);
	return 0;
}

int gen_limits(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	static const struct { const char *name, *unit; } rows[16] = {
		{ "Max cpu time", "seconds" }, { "Max file size", "bytes" }, { "Max data size", "bytes" },
		{ "Max stack size", "bytes" }, { "Max core file size", "bytes" }, { "Max resident set", "bytes" },
		{ "Max processes", "processes" }, { "Max open files", "files" }, { "Max locked memory", "bytes" },
		{ "Max address space", "bytes" }, { "Max file locks", "locks" }, { "Max pending signals", "signals" },
		{ "Max msgqueue size", "bytes" }, { "Max nice priority", NULL }, { "Max realtime priority", NULL },
		{ "Max realtime timeout", "us" },
	};
	pb_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < 16; i++) {
		uint64_t cur = RLIM_INFINITY, max = RLIM_INFINITY;
		k_getrlimit(i, &cur, &max);
		pb_printf(b, "%-25s ", rows[i].name);
		for (int k = 0; k < 2; k++) {
			uint64_t v = k ? max : cur;
			if (v == RLIM_INFINITY)
				pb_printf(b, "%-20s ", "unlimited");
			else
				pb_printf(b, "%-20lu ", v);
		}
		if (rows[i].unit)
			pb_printf(b, "%-10s\n", rows[i].unit);
		else
			pb_put(b, "\n", 1);
	}
	return 0;
}

int gen_mounts(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	vfs_lock();
	/* Oldest first, as they were mounted. */
	int n = 0;
	for (struct mount *m = mount_first(); m; m = m->next)
		n++;
	for (int k = n - 1; k >= 0; k--) {
		struct mount *m = mount_first();
		for (int j = 0; j < k; j++)
			m = m->next;
		const char *type = m->type->name, *src = m == root_mount && strcmp(type, "overlay") ? "/dev/root" : type;
		pb_printf(b, "%s %s %s %s 0 0\n", src, m->path ? m->path : "/", type, m->rdonly ? "ro" : "rw");
	}
	vfs_unlock();
	return 0;
}

int gen_fdinfo(struct pbuf *b, const struct pctx *c)
{
	struct file *f = fd_file(c->fd);
	if (!f)
		return -ENOENT;
	unsigned flags = f->flags;
	if (fd_get_cloexec(c->fd) == 1)
		flags |= O_CLOEXEC;
	uint64_t mnt = f->inode ? f->inode->mnt->id : 0, ino = f->inode ? f->inode->ino : 0;
	pb_printf(b, "pos:\t%ld\nflags:\t0%o\nmnt_id:\t%lu\nino:\t%lu\n", (long)f->pos, flags, mnt, ino);
	file_put(f);
	return 0;
}

/* ---- symlinks (VFS lock held) ---- */

long link_exe(char *buf, const struct pctx *c)
{
	(void)c;
	const char *exe = proc_exe_path();
	if (!exe || exe[0] != '/')
		return -ENOENT;
	return (long)strlcpy(buf, exe, PATH_MAX);
}

long link_cwd(char *buf, const struct pctx *c)
{
	(void)c;
	return (long)strlcpy(buf, cwd_path(), PATH_MAX);
}

/* What Linux shows for an fd: the path, pipe:[N], socket:[N] or anon_inode:NAME. */
long link_fd(char *buf, const struct pctx *c)
{
	struct file *f = fd_file(c->fd);
	if (!f)
		return -ENOENT;
	long r;
	if (f->path) {
		r = (long)strlcpy(buf, f->path, PATH_MAX);
	} else if (f->inode) {
		r = snprintf(buf, PATH_MAX, "/");
	} else {
		struct kstat st;
		memset(&st, 0, sizeof(st));
		if (f->ops->stat)
			f->ops->stat(f, &st);
		if ((st.st_mode & S_IFMT) == S_IFIFO)
			r = snprintf(buf, PATH_MAX, "pipe:[%lu]", st.st_ino);
		else if ((st.st_mode & S_IFMT) == S_IFSOCK)
			r = snprintf(buf, PATH_MAX, "socket:[%lu]", st.st_ino);
		else
			r = snprintf(buf, PATH_MAX, "anon_inode:%s", f->ops->anon_name ? f->ops->anon_name : "[unknown]");
	}
	file_put_locked(f);
	return r;
}

/* ---- the machine ---- */

static void kb_line(struct pbuf *b, const char *label, uint64_t kb)
{
	pb_printf(b, "%-16s%8lu kB\n", label, kb);
}

int gen_meminfo(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	uint64_t k = PAGE_SIZE / 1024, total = frame_total() * k, free = frame_free_count() * k;
	struct pcache_stats ps;
	pcache_get_stats(&ps);
	uint64_t cached = ps.pages * k;
	kb_line(b, "MemTotal:", total);
	kb_line(b, "MemFree:", free);
	kb_line(b, "MemAvailable:", MIN(free + cached, total));
	kb_line(b, "Buffers:", 0);
	kb_line(b, "Cached:", cached);
	kb_line(b, "SwapCached:", 0);
	kb_line(b, "Active:", total - free - cached);
	kb_line(b, "Inactive:", cached);
	kb_line(b, "Active(anon):", total - free - cached);
	kb_line(b, "Inactive(anon):", 0);
	kb_line(b, "Active(file):", 0);
	kb_line(b, "Inactive(file):", cached);
	kb_line(b, "Unevictable:", 0);
	kb_line(b, "Mlocked:", 0);
	kb_line(b, "SwapTotal:", 0);
	kb_line(b, "SwapFree:", 0);
	kb_line(b, "Dirty:", 0);
	kb_line(b, "Writeback:", 0);
	kb_line(b, "AnonPages:", mem_pages[MEM_APP] * k);
	kb_line(b, "Mapped:", 0);
	kb_line(b, "Shmem:", 0);
	kb_line(b, "KReclaimable:", 0);
	kb_line(b, "Slab:", mem_pages[MEM_HEAP] * k);      /* the kernel heap, lwIP's buffers included */
	kb_line(b, "SReclaimable:", 0);
	kb_line(b, "SUnreclaim:", mem_pages[MEM_HEAP] * k);
	kb_line(b, "KernelStack:", mem_pages[MEM_KSTACK] * k);
	kb_line(b, "PageTables:", mem_pages[MEM_PAGETABLE] * k);
	kb_line(b, "NFS_Unstable:", 0);
	kb_line(b, "Bounce:", 0);
	kb_line(b, "WritebackTmp:", 0);
	kb_line(b, "CommitLimit:", total);
	kb_line(b, "Committed_AS:", total - free);
	kb_line(b, "VmallocTotal:", 34359738367UL);
	kb_line(b, "VmallocUsed:", 0);
	kb_line(b, "VmallocChunk:", 0);
	kb_line(b, "Percpu:", 0);
	kb_line(b, "HardwareCorrupted:", 0);
	kb_line(b, "AnonHugePages:", 0);
	pb_printf(b, "%-16s%8d\n%-16s%8d\n%-16s%8d\n%-16s%8d\n", "HugePages_Total:", 0, "HugePages_Free:", 0,
		  "HugePages_Rsvd:", 0, "HugePages_Surp:", 0);
	kb_line(b, "Hugepagesize:", 2048);
	kb_line(b, "Hugetlb:", 0);
	kb_line(b, "DirectMap4k:", 0);
	kb_line(b, "DirectMap2M:", total);
	return 0;
}

/* Linux's names for CPUID feature bits, by (leaf, subleaf, register, bit). */
struct cpu_flag {
	uint32_t leaf;
	uint8_t sub, reg, bit;        /* reg: 0 eax, 1 ebx, 2 ecx, 3 edx */
	const char *name;
};

static const struct cpu_flag cpu_flags[] = {
	{ 1, 0, 3, 0, "fpu" }, { 1, 0, 3, 1, "vme" }, { 1, 0, 3, 2, "de" }, { 1, 0, 3, 3, "pse" },
	{ 1, 0, 3, 4, "tsc" }, { 1, 0, 3, 5, "msr" }, { 1, 0, 3, 6, "pae" }, { 1, 0, 3, 7, "mce" },
	{ 1, 0, 3, 8, "cx8" }, { 1, 0, 3, 9, "apic" }, { 1, 0, 3, 11, "sep" }, { 1, 0, 3, 12, "mtrr" },
	{ 1, 0, 3, 13, "pge" }, { 1, 0, 3, 14, "mca" }, { 1, 0, 3, 15, "cmov" }, { 1, 0, 3, 16, "pat" },
	{ 1, 0, 3, 17, "pse36" }, { 1, 0, 3, 19, "clflush" }, { 1, 0, 3, 21, "dts" }, { 1, 0, 3, 22, "acpi" },
	{ 1, 0, 3, 23, "mmx" }, { 1, 0, 3, 24, "fxsr" }, { 1, 0, 3, 25, "sse" }, { 1, 0, 3, 26, "sse2" },
	{ 1, 0, 3, 27, "ss" }, { 1, 0, 3, 28, "ht" }, { 1, 0, 3, 29, "tm" }, { 1, 0, 3, 31, "pbe" },
	{ 0x80000001, 0, 3, 11, "syscall" }, { 0x80000001, 0, 3, 20, "nx" }, { 0x80000001, 0, 3, 22, "mmxext" },
	{ 0x80000001, 0, 3, 25, "fxsr_opt" }, { 0x80000001, 0, 3, 26, "pdpe1gb" }, { 0x80000001, 0, 3, 27, "rdtscp" },
	{ 0x80000001, 0, 3, 29, "lm" },
	{ 1, 0, 2, 0, "pni" }, { 1, 0, 2, 1, "pclmulqdq" }, { 1, 0, 2, 2, "dtes64" }, { 1, 0, 2, 3, "monitor" },
	{ 1, 0, 2, 4, "ds_cpl" }, { 1, 0, 2, 5, "vmx" }, { 1, 0, 2, 6, "smx" }, { 1, 0, 2, 7, "est" },
	{ 1, 0, 2, 8, "tm2" }, { 1, 0, 2, 9, "ssse3" }, { 1, 0, 2, 11, "sdbg" }, { 1, 0, 2, 12, "fma" },
	{ 1, 0, 2, 13, "cx16" }, { 1, 0, 2, 14, "xtpr" }, { 1, 0, 2, 15, "pdcm" }, { 1, 0, 2, 17, "pcid" },
	{ 1, 0, 2, 18, "dca" }, { 1, 0, 2, 19, "sse4_1" }, { 1, 0, 2, 20, "sse4_2" }, { 1, 0, 2, 21, "x2apic" },
	{ 1, 0, 2, 22, "movbe" }, { 1, 0, 2, 23, "popcnt" }, { 1, 0, 2, 24, "tsc_deadline_timer" },
	{ 1, 0, 2, 25, "aes" }, { 1, 0, 2, 26, "xsave" }, { 1, 0, 2, 28, "avx" }, { 1, 0, 2, 29, "f16c" },
	{ 1, 0, 2, 30, "rdrand" }, { 1, 0, 2, 31, "hypervisor" },
	{ 0x80000001, 0, 2, 0, "lahf_lm" }, { 0x80000001, 0, 2, 1, "cmp_legacy" }, { 0x80000001, 0, 2, 2, "svm" },
	{ 0x80000001, 0, 2, 3, "extapic" }, { 0x80000001, 0, 2, 4, "cr8_legacy" }, { 0x80000001, 0, 2, 5, "abm" },
	{ 0x80000001, 0, 2, 6, "sse4a" }, { 0x80000001, 0, 2, 7, "misalignsse" },
	{ 0x80000001, 0, 2, 8, "3dnowprefetch" }, { 0x80000001, 0, 2, 9, "osvw" }, { 0x80000001, 0, 2, 11, "xop" },
	{ 0x80000001, 0, 2, 16, "fma4" }, { 0x80000001, 0, 2, 21, "tbm" }, { 0x80000001, 0, 2, 22, "topoext" },
	{ 7, 0, 1, 0, "fsgsbase" }, { 7, 0, 1, 1, "tsc_adjust" }, { 7, 0, 1, 3, "bmi1" }, { 7, 0, 1, 4, "hle" },
	{ 7, 0, 1, 5, "avx2" }, { 7, 0, 1, 7, "smep" }, { 7, 0, 1, 8, "bmi2" }, { 7, 0, 1, 9, "erms" },
	{ 7, 0, 1, 10, "invpcid" }, { 7, 0, 1, 11, "rtm" }, { 7, 0, 1, 14, "mpx" }, { 7, 0, 1, 16, "avx512f" },
	{ 7, 0, 1, 17, "avx512dq" }, { 7, 0, 1, 18, "rdseed" }, { 7, 0, 1, 19, "adx" }, { 7, 0, 1, 20, "smap" },
	{ 7, 0, 1, 21, "avx512ifma" }, { 7, 0, 1, 23, "clflushopt" }, { 7, 0, 1, 24, "clwb" },
	{ 7, 0, 1, 26, "avx512pf" }, { 7, 0, 1, 27, "avx512er" }, { 7, 0, 1, 28, "avx512cd" },
	{ 7, 0, 1, 29, "sha_ni" }, { 7, 0, 1, 30, "avx512bw" }, { 7, 0, 1, 31, "avx512vl" },
	{ 0xd, 1, 0, 0, "xsaveopt" }, { 0xd, 1, 0, 1, "xsavec" }, { 0xd, 1, 0, 2, "xgetbv1" }, { 0xd, 1, 0, 3, "xsaves" },
	{ 7, 0, 2, 1, "avx512vbmi" }, { 7, 0, 2, 2, "umip" }, { 7, 0, 2, 3, "pku" }, { 7, 0, 2, 4, "ospke" },
	{ 7, 0, 2, 5, "waitpkg" }, { 7, 0, 2, 6, "avx512_vbmi2" }, { 7, 0, 2, 8, "gfni" }, { 7, 0, 2, 9, "vaes" },
	{ 7, 0, 2, 10, "vpclmulqdq" }, { 7, 0, 2, 11, "avx512_vnni" }, { 7, 0, 2, 12, "avx512_bitalg" },
	{ 7, 0, 2, 14, "avx512_vpopcntdq" }, { 7, 0, 2, 16, "la57" }, { 7, 0, 2, 22, "rdpid" },
	{ 7, 0, 2, 25, "cldemote" }, { 7, 0, 2, 27, "movdiri" }, { 7, 0, 2, 28, "movdir64b" },
	{ 7, 0, 3, 4, "fsrm" }, { 7, 0, 3, 8, "avx512_vp2intersect" }, { 7, 0, 3, 10, "md_clear" },
	{ 7, 0, 3, 14, "serialize" }, { 7, 0, 3, 18, "pconfig" }, { 7, 0, 3, 23, "avx512_fp16" },
	{ 7, 0, 3, 28, "flush_l1d" }, { 7, 0, 3, 29, "arch_capabilities" },
};

int gen_cpuinfo(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	uint32_t r[4], max, maxext, sig[4];
	cpuid(0, 0, r);
	max = r[0];
	char vendor[13];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	cpuid(0x80000000, 0, r);
	maxext = r[0];
	cpuid(1, 0, sig);
	uint32_t family = (sig[0] >> 8) & 0xf, model = (sig[0] >> 4) & 0xf;
	if (family == 0xf)
		family += (sig[0] >> 20) & 0xff;
	if (family >= 6)
		model |= ((sig[0] >> 16) & 0xf) << 4;
	char name[49] = "unknown";
	if (maxext >= 0x80000004) {
		for (uint32_t k = 0; k < 3; k++) {
			cpuid(0x80000002 + k, 0, r);
			memcpy(name + 16 * k, r, 16);
		}
		name[48] = 0;
	}
	const char *nm = name;
	while (*nm == ' ')
		nm++;
	uint32_t cache_kb = 0, phys_bits = 36, virt_bits = 48;
	if (maxext >= 0x80000006) {
		cpuid(0x80000006, 0, r);
		cache_kb = r[2] >> 16;
	}
	if (maxext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		phys_bits = r[0] & 0xff;
		virt_bits = (r[0] >> 8) & 0xff;
	}
	uint64_t khz = time_tsc_hz() / 1000;
	uint64_t bogo = khz * 2 / 10;   /* 2 * MHz, in hundredths */
	int n = ncpus_online;
	/* The same on every CPU: asked once (each CPUID is a VM exit). */
	bool has[ARRAY_SIZE(cpu_flags)];
	for (size_t k = 0; k < ARRAY_SIZE(cpu_flags); k++) {
		const struct cpu_flag *fl = &cpu_flags[k];
		has[k] = false;
		if (fl->leaf >= 0x80000000 ? fl->leaf > maxext : fl->leaf > max)
			continue;
		cpuid(fl->leaf, fl->sub, r);
		has[k] = r[fl->reg] & (1u << fl->bit);
	}
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!cpus[cpu] || !cpus[cpu]->online)
			continue;
		uint32_t apic = cpus[cpu]->lapic_id;
		pb_printf(b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
			  "stepping\t: %u\nmicrocode\t: 0x1\ncpu MHz\t\t: %lu.%03lu\ncache size\t: %u KB\nphysical id\t: 0\n"
			  "siblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\n"
			  "fpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\nflags\t\t:",
			  cpu, vendor, family, model, nm, sig[0] & 0xf, khz / 1000, khz % 1000, cache_kb, n, cpu, n, apic, apic, max);
		for (size_t k = 0; k < ARRAY_SIZE(cpu_flags); k++)
			if (has[k])
				pb_printf(b, " %s", cpu_flags[k].name);
		pb_printf(b, "\nbugs\t\t:\nbogomips\t: %lu.%02lu\nclflush size\t: %u\ncache_alignment\t: 64\n"
			  "address sizes\t: %u bits physical, %u bits virtual\npower management:\n\n",
			  bogo / 100, bogo % 100, ((sig[1] >> 8) & 0xff) * 8, phys_bits, virt_bits);
	}
	return 0;
}

int gen_sysstat(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	/* The total's idle is every CPU's (busy is summed over them too). */
	uint64_t up = time_monotonic_ns(), busy = sched_busy_ns(), idle_ns = 0;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpus[cpu] && cpus[cpu]->online)
			idle_ns += MIN(up, cpus[cpu]->idle_ns);
	uint64_t user = busy / TICK_NS, idle = idle_ns / TICK_NS;
	pb_printf(b, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", user, idle);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!cpus[cpu] || !cpus[cpu]->online)
			continue;
		uint64_t cidle = MIN(up, cpus[cpu]->idle_ns);
		if (ncpus_online == 1) /* the total is this CPU's */
			pb_printf(b, "cpu0 %lu 0 0 %lu 0 0 0 0 0 0\n", user, idle);
		else
			pb_printf(b, "cpu%d %lu 0 0 %lu 0 0 0 0 0 0\n", cpu, (up - cidle) / TICK_NS, cidle / TICK_NS);
	}
	pb_printf(b, "intr 0\nctxt 0\nbtime %lu\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n"
		  "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  (time_realtime_ns() - up) / 1000000000u);
	return 0;
}

int gen_uptime(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	uint64_t up = time_monotonic_ns() / TICK_NS, busy = sched_busy_ns() / TICK_NS;
	uint64_t idle = up > busy ? up - busy : 0;
	pb_printf(b, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100, idle % 100);
	return 0;
}

int gen_loadavg(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	int tids[1];
	int n = thread_app_tids(tids, 0);
	pb_printf(b, "0.00 0.00 0.00 1/%d %d\n", n ? n : 1, PROC_PID);
	return 0;
}

int gen_version(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	pb_printf(b, "Linux version " UNAME_RELEASE " (uninode) (gcc) #1 SMP uninode\n");
	return 0;
}

/* Linux's 20 columns: major minor name, then reads (completed, merged,
 * sectors, ms), writes (the same four), in flight, ms doing I/O, weighted ms,
 * discards (four), flushes (completed, ms). Disks are 254:N*16 (virtio). */
int gen_diskstats(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	for (struct blk_dev *d = blk_first(); d; d = d->next) {
		uint64_t rms = d->read_ns / 1000000, wms = d->write_ns / 1000000, fms = d->flush_ns / 1000000;
		pb_printf(b, "%4d %7d %s %lu 0 %lu %lu %lu 0 %lu %lu 0 %lu %lu 0 0 0 0 %lu %lu\n", 254, d->index * 16, d->name,
			  d->reads, d->read_sectors, rms, d->writes, d->write_sectors, wms, rms + wms + fms, rms + wms + fms,
			  d->flushes, fms);
	}
	return 0;
}

int gen_filesystems(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	pb_printf(b, "nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\n\text2\n");
	return 0;
}

/* ---- /proc/sys ---- */

int gen_zero_line(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "0\n"); return 0; }
int gen_one_line(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "1\n"); return 0; }
int gen_osrelease(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, UNAME_RELEASE "\n"); return 0; }
int gen_ostype(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "Linux\n"); return 0; }
int gen_hostname(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "uninode\n"); return 0; }
int gen_pid_max(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "4194304\n"); return 0; }
int gen_threads_max(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "%d\n", PROC_MAX_THREADS); return 0; }
int gen_max_map_count(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "65530\n"); return 0; }
int gen_somaxconn(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "4096\n"); return 0; }
int gen_file_max(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "9223372036854775807\n"); return 0; }
int gen_nr_open(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "%d\n", NR_OPEN); return 0; }
int gen_entropy(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "256\n"); return 0; }

/* A random version-4 UUID. */
static void put_uuid(struct pbuf *b, const uint8_t u[16])
{
	pb_printf(b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", u[0], u[1], u[2], u[3],
		  u[4], u[5], (u[6] & 0x0f) | 0x40, u[7], (u[8] & 0x3f) | 0x80, u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

int gen_uuid(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	uint8_t u[16];
	random_bytes(u, sizeof(u));
	put_uuid(b, u);
	return 0;
}

int gen_boot_id(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	static uint8_t id[16];
	static bool made;
	if (!made) {
		random_bytes(id, sizeof(id));
		made = true;
	}
	put_uuid(b, id);
	return 0;
}
