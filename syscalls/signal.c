/* Signals as Node uses them: actions, masks and the alternate stack are
 * recorded and reported back truthfully. A signal the program sends itself
 * gets its default action (terminate, or ignore); running a handler needs
 * signal frames, which this kernel does not build yet, so that case says so
 * (-ENOSYS, logged) instead of pretending the handler ran. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "proc.h"

#define NSIG 64
#define SIG_DFL 0
#define SIG_IGN 1
#define SIGKILL 9
#define SIGSTOP 19
#define SA_RESTORER 0x04000000
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

struct ksigaction { uint64_t handler, flags, restorer, mask; };
struct stack_t { uint64_t sp; int flags; int pad; uint64_t size; };

static struct ksigaction actions[NSIG + 1];
static struct spinlock sig_lock = SPINLOCK_INIT("signal");

long sys_rt_sigaction(int sig, const struct ksigaction *act, struct ksigaction *old, size_t setsize)
{
	if (setsize != 8 || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (act && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	spin_lock(&sig_lock);
	struct ksigaction prev = actions[sig];
	if (act)
		actions[sig] = *act;
	spin_unlock(&sig_lock);
	if (old)
		*old = prev;
	return 0;
}

long sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old, size_t setsize)
{
	if (setsize != 8)
		return -EINVAL;
	struct thread *t = current();
	uint64_t prev = t->sigmask;
	if (set) {
		uint64_t s = *set & ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
		switch (how) {
		case SIG_BLOCK: t->sigmask |= s; break;
		case SIG_UNBLOCK: t->sigmask &= ~s; break;
		case SIG_SETMASK: t->sigmask = s; break;
		default: return -EINVAL;
		}
	}
	if (old)
		*old = prev;
	return 0;
}

long sys_sigaltstack(const struct stack_t *ss, struct stack_t *old)
{
	struct thread *t = current();
	if (old) {
		old->sp = t->altstack_sp;
		old->size = t->altstack_size;
		old->flags = t->altstack_sp ? 0 : SS_DISABLE;
	}
	if (ss) {
		if (ss->flags & ~(SS_DISABLE | (1 << 31) /* SS_AUTODISARM */))
			return -EINVAL;
		if (ss->flags & SS_DISABLE) {
			t->altstack_sp = t->altstack_size = 0;
		} else {
			if (ss->size < MINSIGSTKSZ)
				return -ENOMEM;
			t->altstack_sp = ss->sp;
			t->altstack_size = ss->size;
		}
	}
	return 0;
}

/* Signals whose default action is to do nothing. */
static bool default_ignored(int sig)
{
	return sig == 17 /* SIGCHLD */ || sig == 23 /* SIGURG */ || sig == 28 /* SIGWINCH */ || sig == 18 /* SIGCONT */;
}

static long send_to_self(int sig)
{
	if (sig == 0)
		return 0;
	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	spin_lock(&sig_lock);
	uint64_t h = actions[sig].handler;
	spin_unlock(&sig_lock);
	if (h == SIG_IGN || (h == SIG_DFL && default_ignored(sig)))
		return 0;
	if (h == SIG_DFL && sig != SIGSTOP && sig != 20 && sig != 21 && sig != 22) {
		kprintf("uninode: %s: killed by signal %d it sent itself\n", proc_exe_path(), sig);
		kprintf("uninode:signal %d\n", sig);
		arch_halt_exit(1);
	}
	klog_once("signal-handler", "uninode: running signal handlers is not supported yet (signal %d)\n", sig);
	return -ENOSYS;
}

/* The kernel raises SIG at the program (SIGPIPE on a broken pipe). */
void k_raise(int sig) { send_to_self(sig); }

long sys_kill(int pid, int sig)
{
	if (pid != 1 && pid != 0 && pid != -1)
		return -ESRCH;
	return send_to_self(sig);
}

long sys_tgkill(int tgid, int tid, int sig)
{
	if (tgid != 1)
		return -ESRCH;
	return send_to_self(sig);
}

long sys_tkill(int tid, int sig) { return send_to_self(sig); }
