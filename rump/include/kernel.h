/* The kernel's internal API that every layer uses: console output, panic,
 * string helpers, the heap, spinlocks. Grouped by the file that provides it. */
#pragma once
#include "types.h"
#include "errno.h"

/* lib/printf.c */
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* kprintf: kernel log line(s) to the kernel console channel. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* kwarn_once: log a message only the first time a given key string is seen. */
void klog_once(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* lib/panic.c: print the message, registers if given, a backtrace; end the VM. */
__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define assert(c) do { if (unlikely(!(c))) panic("assertion failed: %s at %s:%d", #c, __FILE__, __LINE__); } while (0)

/* lib/string.c */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlcpy(char *d, const char *s, size_t n);
char *strdup(const char *s);      /* kmalloc'd */
char *strndup(const char *s, size_t n);

/* mm/heap.c: general-purpose kernel allocations, any size. */
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void *krealloc(void *p, size_t n);
void kfree(void *p);

/* sched/spinlock.c: IRQ-saving spinlocks. */
struct spinlock { volatile uint32_t locked; uint64_t saved_flags; const char *name; };
#define SPINLOCK_INIT(n) { 0, 0, n }
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* dev/console.c: the serial channels. */
enum console_chan { CON_STDOUT = 0, CON_STDERR = 1, CON_KERNEL = 2 };
void console_init(void);
void console_write(enum console_chan c, const void *buf, size_t n);
/* Non-blocking: returns bytes read (0 if none pending). */
size_t console_read(void *buf, size_t n);
void console_flush(void);
/* dev/control.c: commands from the host on the kernel channel (CONTRACT.md). */
void control_init(void);

/* The Linux release uname() and /proc/version report: the ABI we follow. */
#define UNAME_RELEASE "6.1.0-uninode"

/* main.c: options from the kernel command line. */
struct boot_options {
	bool trace;       /* strace-style log of every syscall */
	bool boot_times;  /* print the boot timeline */
	const char *init; /* override of the program to run */
	/* env=NAME=VALUE tokens (percent-decoded): set in the program's environment,
	 * replacing the image's value of NAME (uninode run IMAGE -e). */
	int nenv;
	const char *env[32];
	/* arg=VALUE tokens (percent-decoded), in order: when any is given they replace
	 * the program's arguments past the boot file's `fixedargs` (uninode run IMAGE --
	 * ARGS). Room for as many as a full command line can hold ("arg= " is 5 bytes). */
	int nargs;
	const char *args[208];
	/* mount=TYPE:SOURCE:PATH[:ro] tokens (raw: each field is %XX-escaped), in order: volumes
	 * and host directories mounted after the root (rump/fs/volumes.c). */
	int nmounts;
	const char *mounts[16];
	bool readonly_root; /* readonly-root: no writable layer over the image's root */
};
extern struct boot_options boot_opts;
/* main.c: undo the CLI's %XX escapes in place; returns S. */
char *percent_decode(char *s);

/* lib/panic.c */
struct intr_frame;
void print_registers(const struct intr_frame *f);
void print_backtrace(uint64_t rbp, uint64_t rip);

/* syscalls/dispatch.c: the name of syscall NR, or "?". */
const char *syscall_name(long nr);

/* syscalls/process.c: the end of the program, which is the end of the VM. */
__noreturn void proc_exit(int status);
/* The app died of signal SIG (a fault it caused): report WHAT, then exit. */
__noreturn void proc_fatal_signal(int sig, const char *what, uint64_t addr, const struct intr_frame *f);
/* Commit and close the volumes before the program's death ends the VM; returns with interrupts off. */
void proc_sync_at_death(void);

/* dev/random.c: RDRAND/RDSEED where the CPU has them, else a TSC-seeded mix. */
void random_bytes(void *buf, size_t n);

/* main.c: a point on the boot timeline (printed with boot-times). */
void boot_mark(const char *what);

/* libc-shim/vdso.c: map the vDSO into the app (its address or -errno);
 * where it is, 0 if there is none. */
long vdso_map(void);
uint64_t vdso_base(void);

/* syscalls/info.c: resource limit RES (RLIMIT_*), -EINVAL if there is none. */
int k_getrlimit(int res, uint64_t *cur, uint64_t *max);
