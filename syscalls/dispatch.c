/* From the syscall entry stub to the handler, with --trace output. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "percpu.h"
#include "signal.h"

long sys_enosys(long a, long b, long c, long d, long e, long f)
{
	return -ENOSYS;
}

/* errno names, as strace prints them */
static const char *const errno_names[134] = { [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES", [14] = "EFAULT", [15] = "ENOTBLK", [16] = "EBUSY", [17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE", [25] = "ENOTTY", [26] = "ETXTBSY", [27] = "EFBIG", [28] = "ENOSPC", [29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK", [32] = "EPIPE", [33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK", [36] = "ENAMETOOLONG", [37] = "ENOLCK", [38] = "ENOSYS", [39] = "ENOTEMPTY", [40] = "ELOOP", [42] = "ENOMSG", [43] = "EIDRM", [44] = "ECHRNG", [45] = "EL2NSYNC", [46] = "EL3HLT", [47] = "EL3RST", [48] = "ELNRNG", [49] = "EUNATCH", [50] = "ENOCSI", [51] = "EL2HLT", [52] = "EBADE", [53] = "EBADR", [54] = "EXFULL", [55] = "ENOANO", [56] = "EBADRQC", [57] = "EBADSLT", [59] = "EBFONT", [60] = "ENOSTR", [61] = "ENODATA", [62] = "ETIME", [63] = "ENOSR", [64] = "ENONET", [65] = "ENOPKG", [66] = "EREMOTE", [67] = "ENOLINK", [68] = "EADV", [69] = "ESRMNT", [70] = "ECOMM", [71] = "EPROTO", [72] = "EMULTIHOP", [73] = "EDOTDOT", [74] = "EBADMSG", [75] = "EOVERFLOW", [76] = "ENOTUNIQ", [77] = "EBADFD", [78] = "EREMCHG", [79] = "ELIBACC", [80] = "ELIBBAD", [81] = "ELIBSCN", [82] = "ELIBMAX", [83] = "ELIBEXEC", [84] = "EILSEQ", [85] = "ERESTART", [86] = "ESTRPIPE", [87] = "EUSERS", [88] = "ENOTSOCK", [89] = "EDESTADDRREQ", [90] = "EMSGSIZE", [91] = "EPROTOTYPE", [92] = "ENOPROTOOPT", [93] = "EPROTONOSUPPORT", [94] = "ESOCKTNOSUPPORT", [95] = "EOPNOTSUPP", [96] = "EPFNOSUPPORT", [97] = "EAFNOSUPPORT", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [100] = "ENETDOWN", [101] = "ENETUNREACH", [102] = "ENETRESET", [103] = "ECONNABORTED", [104] = "ECONNRESET", [105] = "ENOBUFS", [106] = "EISCONN", [107] = "ENOTCONN", [108] = "ESHUTDOWN", [109] = "ETOOMANYREFS", [110] = "ETIMEDOUT", [111] = "ECONNREFUSED", [112] = "EHOSTDOWN", [113] = "EHOSTUNREACH", [114] = "EALREADY", [115] = "EINPROGRESS", [116] = "ESTALE", [117] = "EUCLEAN", [118] = "ENOTNAM", [119] = "ENAVAIL", [120] = "EISNAM", [121] = "EREMOTEIO", [122] = "EDQUOT", [123] = "ENOMEDIUM", [124] = "EMEDIUMTYPE", [125] = "ECANCELED", [126] = "ENOKEY", [127] = "EKEYEXPIRED", [128] = "EKEYREVOKED", [129] = "EKEYREJECTED", [130] = "EOWNERDEAD", [131] = "ENOTRECOVERABLE", [132] = "ERFKILL", [133] = "EHWPOISON" };

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
		if (ret < 0 && ret > -4096) {
			long e = -ret;
			const char *en = e < (long)ARRAY_SIZE(errno_names) ? errno_names[e] : NULL;
			if (en)
				snprintf(line + pos, sizeof line - pos, ") = -1 %s", en);
			else
				snprintf(line + pos, sizeof line - pos, ") = -1 (errno %ld)", e);
		}
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
		/* exit_group never returns: trace it on the way in */
		if (boot_opts.trace && nr == 231) {
			long a[6] = { a0, a1, a2, a3, a4, a5 };
			trace(nr, d, a, 0);
		}
		ret = d->fn(a0, a1, a2, a3, a4, a5);
	} else {
		/* Logged once per number: one bit each, set atomically. */
		static uint64_t logged[NR_SYSCALLS / 64];
		if (!d)
			klog_once("syscall-range", "uninode: syscall number %ld is out of range: answered ENOSYS\n", nr);
		else if (!(__atomic_fetch_or(&logged[nr / 64], 1UL << (nr % 64), __ATOMIC_RELAXED) & (1UL << (nr % 64))))
			kprintf("uninode: unimplemented syscall %s (%ld) answered ENOSYS\n", d->name ? d->name : "?", nr);
		ret = -ENOSYS;
	}
	if (boot_opts.trace) {
		long a[6] = { a0, a1, a2, a3, a4, a5 };
		static const struct syscall_desc unknown;
		trace(nr, d ? d : &unknown, a, ret);
	}
	return ret;
}

const char *syscall_name(long nr)
{
	return nr >= 0 && nr < NR_SYSCALLS && syscall_table[nr].name ? syscall_table[nr].name : "?";
}

/* Returns non-zero when the frame was rewritten (a signal handler, rt_sigreturn):
 * entry.S must then restore every register with iretq. */
int syscall_frame_dispatch(struct intr_frame *f)
{
	struct thread *t = current();
	t->uframe = f;
	t->uframe_restored = false;
	long r = syscall_dispatch(f->rax, f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	f->rax = r;
	bool full = t->uframe_restored;
	t->uframe_restored = false;
	if (signal_deliver(f))
		full = true;
	t->uframe = NULL;
	if (this_cpu()->need_resched)
		schedule();
	return full;
}
