/* The kernel API over libc, so rump/fs and syscalls/ run as a host program.
 * Spinlocks are checked, not spun: the tests are single-threaded, so taking
 * a held lock is a self-deadlock and aborts with the lock's name. */
#define _GNU_SOURCE
#include "../../rump/include/percpu.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "../../rump/include/kernel.h"
#include "../../rump/include/mm.h"
#include "../../rump/include/arch.h"
#include "../../rump/include/sched.h"
#include "../../rump/include/vm.h"
#include "../../rump/include/proc.h"
#include "../../rump/include/poll.h"
#include "shim.h"

struct shim_console shim_console;
const char *shim_exe_path = "/app/bin/node";
static int shim_quiet;

void shim_set_quiet(int q) { shim_quiet = q; }

void kprintf(const char *fmt, ...)
{
	if (shim_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("[kernel] ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void klog_once(const char *key, const char *fmt, ...)
{
	(void)key;
	if (shim_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("[kernel once] ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("PANIC: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

size_t strlcpy(char *d, const char *s, size_t n)
{
	size_t len = strlen(s);
	if (n) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(d, s, k);
		d[k] = 0;
	}
	return len;
}

void *kmalloc(size_t n) { return malloc(n ? n : 1); }
void *kzalloc(size_t n) { return calloc(1, n ? n : 1); }
void *krealloc(void *p, size_t n) { return realloc(p, n); }
void kfree(void *p) { free(p); }

void spin_lock(struct spinlock *l)
{
	if (l->locked)
		panic("spin_lock: %s already held (self-deadlock)", l->name ? l->name : "?");
	l->locked = 1;
}

void spin_unlock(struct spinlock *l)
{
	if (!l->locked)
		panic("spin_unlock: %s not held", l->name ? l->name : "?");
	l->locked = 0;
}

/* Mutexes: the same check as spinlocks (one thread: a held mutex is a deadlock). */
void mutex_lock(struct mutex *m)
{
	if (m->owner)
		panic("mutex %s: recursive lock", m->lock.name ? m->lock.name : "?");
	m->owner = (struct thread *)1;
}

void mutex_unlock(struct mutex *m)
{
	if (!m->owner)
		panic("mutex %s: unlock of a free mutex", m->lock.name ? m->lock.name : "?");
	m->owner = NULL;
}

bool mutex_held(struct mutex *m) { return m->owner != NULL; }

/* "Physical" addresses are host pointers minus the direct-map base, so that
 * phys_to_virt() in mm.h gives the host pointer back. */
size_t shim_frames_allocated;
size_t shim_frame_limit;       /* when set, frame_alloc fails at this many: memory runs out */
paddr_t frame_alloc(void)
{
	if (shim_frame_limit && shim_frames_allocated >= shim_frame_limit)
		return 0;
	void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!p)
		return 0;
	memset(p, 0, PAGE_SIZE);
	shim_frames_allocated++;
	return (paddr_t)(uintptr_t)p - DIRECT_MAP_BASE;
}

paddr_t frame_alloc_contig(size_t npages)
{
	void *p = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	if (!p)
		return 0;
	memset(p, 0, npages * PAGE_SIZE);
	shim_frames_allocated += npages;
	return (paddr_t)(uintptr_t)p - DIRECT_MAP_BASE;
}

void frame_free(paddr_t p)
{
	shim_frames_allocated--;
	free((void *)(uintptr_t)(p + DIRECT_MAP_BASE));
}

void frame_free_contig(paddr_t p, size_t npages)
{
	shim_frames_allocated -= npages;
	free((void *)(uintptr_t)(p + DIRECT_MAP_BASE));
}

paddr_t virt_to_phys(const void *v) { return (paddr_t)(uintptr_t)v - DIRECT_MAP_BASE; }
size_t frame_total(void) { return 1u << 18; }   /* "1 GiB" */
size_t frame_free_count(void) { return 1u << 17; }
uint64_t mem_pages[MEM_USES];                  /* by use: all zero on the host */

uint64_t time_realtime_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t time_monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void console_write(enum console_chan c, const void *buf, size_t n)
{
	struct shim_buf *b = c == CON_STDERR ? &shim_console.err : &shim_console.out;
	size_t k = n < sizeof(b->data) - b->len ? n : sizeof(b->data) - b->len;
	if (k)
		memcpy(b->data + b->len, buf, k);
	b->len += k;
}

/* stdin: what the test put in shim_console.in; its end is the end of input
 * unless shim_console.more says more is coming (then EAGAIN, not a sleep). */
long console_input_read(void *buf, size_t n, bool nonblock)
{
	size_t k = shim_console.in_len - shim_console.in_pos;
	if (k > n)
		k = n;
	if (!k && n)
		return shim_console.more ? (nonblock ? -EAGAIN : -EDEADLK) : 0;
	if (k)
		memcpy(buf, shim_console.in + shim_console.in_pos, k);
	shim_console.in_pos += k;
	return (long)k;
}

size_t console_input_pending(void) { return shim_console.in_len - shim_console.in_pos; }
unsigned console_input_poll(void) { return console_input_pending() || !shim_console.more ? 0x41 : 0; }
void console_input_start(void) {}
int console_watch(struct pollhead *ph) { (void)ph; return 0; }
void console_unwatch(struct pollhead *ph) { (void)ph; }

void random_bytes(void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r <= 0)
			abort();
		p += r;
		n -= (size_t)r;
	}
}

const char *proc_exe_path(void) { return shim_exe_path; }
const char *proc_comm(void)
{
	const char *slash = strrchr(shim_exe_path, '/');
	return slash ? slash + 1 : shim_exe_path;
}

/* No buses on the host: the disks are registered by blkfile_open. */
void pci_init(void) {}

/* Readiness: nothing waits in the host tests. */
void pollhead_release(struct pollhead *ph) { (void)ph; }
void poll_notify(struct pollhead *ph, unsigned events) { (void)ph; (void)events; }

/* ---- what procfs asks of the rest of the kernel ---- */

struct vma *shim_vmas;
uintptr_t shim_arg[4];              /* arg_start, arg_end, env_start, env_end */
int shim_tids[8] = { 1 };
int shim_ntids = 1;
static struct thread shim_thread = { .tid = 1 };

struct vma *vm_first(void) { return shim_vmas; }

struct vma *vm_find(vaddr_t addr)
{
	for (struct vma *v = shim_vmas; v; v = v->next)
		if (v->start <= addr && addr < v->end)
			return v;
	return NULL;
}

const char *proc_vma_name(struct vma *v) { return v->name ? v->name : "?"; }

void proc_arg_area(vaddr_t *as, vaddr_t *ae, vaddr_t *es, vaddr_t *ee)
{
	*as = shim_arg[0];
	*ae = shim_arg[1];
	*es = shim_arg[2];
	*ee = shim_arg[3];
}

int thread_app_tids(int *tids, int max)
{
	for (int k = 0; k < shim_ntids && k < max; k++)
		tids[k] = shim_tids[k];
	return shim_ntids;
}

struct thread *current(void) { return &shim_thread; }
uint64_t sched_busy_ns(void) { return 1500000000u; }   /* 1.5 s */
uint64_t time_tsc_hz(void) { return 2400000000u; }
/* One online CPU, as the kernel has before SMP starts the others. */
static struct percpu host_cpu0 = { .online = true };
struct percpu *cpus[MAX_CPUS] = { &host_cpu0 };
int ncpus_online = 1;

void vm_regions_lock(void) {}
void vm_regions_unlock(void) {}

/* Truncates of mapped inodes: what the address space was asked to unmap. */
struct inode *shim_unmapped_ino;
uint64_t shim_unmapped_pgoff;
int shim_unmap_calls;

void vm_unmap_file(struct inode *ino, uint64_t pgoff, uint64_t end)
{
	(void)end;
	shim_unmapped_ino = ino;
	shim_unmapped_pgoff = pgoff;
	shim_unmap_calls++;
}

int k_getrlimit(int res, uint64_t *cur, uint64_t *max)
{
	*cur = *max = res == 7 ? 1024 : ~0UL;
	return 0;
}

/* Wait queues: one thread, so nobody else can end a wait; sleeping is a deadlock. */
int waitq_sleep(struct waitq *wq, struct spinlock *lock, uint64_t deadline)
{
	(void)wq; (void)lock; (void)deadline;
	panic("waitq_sleep on the host: nobody could wake it");
}

/* An interruptible wait ends at once as if a signal came: nobody could wake
 * it, and the callers' -EINTR path gets tested. */
int waitq_sleep_intr(struct waitq *wq, struct spinlock *lock, uint64_t deadline)
{
	(void)wq; (void)lock; (void)deadline;
	return -EINTR;
}

int waitq_wake(struct waitq *wq, int n)
{
	(void)wq; (void)n;
	return 0;
}

/* rump/main.c's boot options and %XX decoding (volumes.c reads the mount= tokens). */
struct boot_options boot_opts;
char *percent_decode(char *s)
{
	char *r = s, *w = s;
	while (*r) {
		unsigned v;
		if (r[0] == '%' && r[1] && r[2] && sscanf(r + 1, "%2x", &v) == 1) {
			*w++ = (char)v;
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return s;
}

/* No kernel threads on the host: a volume's periodic committer is not started. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, bool app) { return NULL; }
void thread_start(struct thread *t) { (void)t; }
int sleep_until(uint64_t deadline) { (void)deadline; return 0; }

/* No network stack on the host: /proc/net lists no interfaces. */
struct net_if_info;
int net_if_list(struct net_if_info *out, int max) { (void)out; (void)max; return 0; }
