/* The Linux x86-64 syscall ABI. table.c maps each number to a handler, a name
 * and argument kinds (for --trace); one file per family implements them.
 * Handlers unpack arguments and call the k_* function that does the work. */
#pragma once
#include "../rump/include/kernel.h"

typedef long (*syscall_fn)(long, long, long, long, long, long);

/* How --trace prints an argument. */
enum arg_kind {
	A_NONE = 0, A_INT, A_UINT, A_HEX, A_FD, A_STR, A_PTR, A_BUF, /* buffer: prints (pointer, length next) */
	A_OFLAGS, A_PROT, A_MMAP, A_SIZE,
};

struct syscall_desc {
	syscall_fn fn;
	const char *name;
	uint8_t args[6];
	uint8_t nargs;
};

#define NR_SYSCALLS 512

/* syscalls/time.c: clock ID's time in ns, or -EINVAL for an unknown clock. */
long clock_now(int id);
extern const struct syscall_desc syscall_table[NR_SYSCALLS];

/* Called by the entry stub with the app's registers. */
long syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/* The handler every unimplemented slot points to: -ENOSYS, logged once by name. */
long sys_enosys(long, long, long, long, long, long);

#define SYSDECL(n) long sys_##n(long, long, long, long, long, long)
