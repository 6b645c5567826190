/* From the syscall entry stub to the handler, with --trace output. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "percpu.h"

long sys_enosys(long a, long b, long c, long d, long e, long f)
{
	return -ENOSYS;
}

static void trace_arg(char *buf, size_t n, int kind, long v)
{
	switch (kind) {
	case A_STR: {
		const char *s = (const char *)v;
		if (!s || (uint64_t)v >= 0x800000000000UL)
			snprintf(buf, n, "%#lx", v);
		else
			snprintf(buf, n, "\"%.64s\"%s", s, strnlen(s, 65) > 64 ? "..." : "");
		break;
	}
	case A_INT: case A_FD: snprintf(buf, n, "%d", (int)v); break;
	case A_UINT: case A_SIZE: snprintf(buf, n, "%lu", v); break;
	default: snprintf(buf, n, "%#lx", v); break;
	}
}

static void trace(long nr, const struct syscall_desc *d, const long *a, long ret)
{
	char line[400], arg[96];
	int pos = snprintf(line, sizeof line, "[%d] %s(", current()->tid, d->name ? d->name : "?");
	int nargs = d->name ? d->nargs : 6;
	for (int i = 0; i < nargs && pos < (int)sizeof line; i++) {
		trace_arg(arg, sizeof arg, d->name ? d->args[i] : A_HEX, a[i]);
		pos += snprintf(line + pos, sizeof line - pos, "%s%s", i ? ", " : "", arg);
	}
	if (pos < (int)sizeof line) {
		if (ret < 0 && ret > -4096)
			snprintf(line + pos, sizeof line - pos, ") = -1 (errno %ld)", -ret);
		else
			snprintf(line + pos, sizeof line - pos, ") = %#lx", ret);
	}
	kprintf("%s\n", line);
}

long syscall_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	const struct syscall_desc *d = (nr >= 0 && nr < NR_SYSCALLS) ? &syscall_table[nr] : NULL;
	long ret;
	if (d && d->fn) {
		if (boot_opts.trace && d->fn && !strcmp(d->name, "exit_group")) {
			long a[6] = { a0, a1, a2, a3, a4, a5 };
			trace(nr, d, a, 0);
		}
		ret = d->fn(a0, a1, a2, a3, a4, a5);
	} else {
		char key[32];
		static char keys[NR_SYSCALLS][24];
		snprintf(key, sizeof key, "syscall %ld", nr);
		if (nr >= 0 && nr < NR_SYSCALLS) {
			strlcpy(keys[nr], key, sizeof keys[nr]);
			klog_once(keys[nr], "uninode: unimplemented syscall %s (%ld) answered ENOSYS\n",
				  d && d->name ? d->name : "?", nr);
		}
		ret = -ENOSYS;
	}
	if (boot_opts.trace) {
		long a[6] = { a0, a1, a2, a3, a4, a5 };
		static const struct syscall_desc unknown;
		trace(nr, d ? d : &unknown, a, ret);
	}
	return ret;
}

void syscall_frame_dispatch(struct intr_frame *f)
{
	current()->uframe = f;
	f->rax = syscall_dispatch(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	if (this_cpu()->need_resched)
		schedule();
}
