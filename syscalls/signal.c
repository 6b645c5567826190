/* Signals: actions, masks, the alternate stack, sending (kill, tgkill, the
 * kernel itself, the host through the control channel) and delivery to
 * handlers at the next return to the app. Default actions: terminate (the
 * VM ends with a signal record), or ignore. A blocking syscall in an
 * interruptible sleep returns -EINTR when a signal arrives; syscalls are not
 * restarted (glibc and libuv retry EINTR themselves). */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "proc.h"
#include "signal.h"

#define SIG_DFL 0
#define SIG_IGN 1
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048
#define UNBLOCKABLE (sigbit(SIGKILL) | sigbit(SIGSTOP))

struct stack_t { uint64_t sp; int flags; int pad; uint64_t size; };

static struct ksigaction actions[NSIG + 1];
static struct ksiginfo infos[NSIG + 1];   /* the last siginfo sent per signal (standard signals do not queue) */
static uint64_t proc_pending;             /* sent to the process, no thread could take it yet */
static struct spinlock sig_lock = SPINLOCK_INIT("signal");

static const char *const sig_names[32] = {
	[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP", [6] = "SIGABRT",
	[7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1", [11] = "SIGSEGV", [12] = "SIGUSR2",
	[13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
};

const char *signal_name(int sig)
{
	return sig > 0 && sig < 32 ? sig_names[sig] : NULL;
}

static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/* Job control has no meaning here: stop signals are ignored, said once. */
static bool stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

bool signal_pending(struct thread *t)
{
	/* A thread execve is ending must leave any sleep at once. */
	return ((t->sigpending | proc_pending) & ~t->sigmask) != 0 || t->killed;
}

/* The program ends because of SIG (its default action). */
__noreturn void signal_kill_process(int sig)
{
	proc_sync_at_death();
	kprintf("uninode: %s: terminated by %s (signal %d)\n", proc_exe_path(),
		signal_name(sig) ? signal_name(sig) : "a signal", sig);
	kprintf("uninode:signal %d\n", sig);
	arch_halt_exit(1);
}

static bool unblocked(struct thread *t, void *arg)
{
	return !t->killed && !(t->sigmask & sigbit((int)(uint64_t)arg));
}

void signal_send(struct thread *t, int sig, const struct ksiginfo *info)
{
	spin_lock(&sig_lock);
	uint64_t h = actions[sig].handler;
	if (sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && (default_ignored(sig) || stop_signal(sig))))) {
		spin_unlock(&sig_lock);
		if (stop_signal(sig) && h == SIG_DFL)
			klog_once("stop-signal", "uninode: stop signals (SIGSTOP, SIGTSTP, ...) are ignored: there is no job control\n");
		return;
	}
	infos[sig] = *info;
	if (!t)
		t = thread_find_app(unblocked, (void *)(uint64_t)sig);
	if (t)
		t->sigpending |= sigbit(sig);
	else
		proc_pending |= sigbit(sig);
	spin_unlock(&sig_lock);
	if (t)
		thread_interrupt(t);
}

/* Take one pending signal of WANT for T: as Linux's dequeue_signal, the
 * thread's own before any sent to the process; 0 if none. sig_lock held. */
static int take_signal_of(struct thread *t, uint64_t want, struct ksiginfo *info)
{
	uint64_t ready = t->sigpending & want;
	if (!ready)
		ready = proc_pending & want;
	if (!ready)
		return 0;
	/* Synchronous faults first, then the lowest number, as Linux does. */
	uint64_t sync = ready & (sigbit(SIGSEGV) | sigbit(SIGBUS) | sigbit(SIGILL) | sigbit(SIGFPE) | sigbit(SIGTRAP));
	int sig = __builtin_ctzll(sync ? sync : ready) + 1;
	if (t->sigpending & sigbit(sig))
		t->sigpending &= ~sigbit(sig);
	else
		proc_pending &= ~sigbit(sig);
	*info = infos[sig];
	return sig;
}

/* Take one deliverable (unblocked) signal for T; 0 if none. sig_lock held. */
static int take_signal(struct thread *t, struct ksiginfo *info)
{
	return take_signal_of(t, ~t->sigmask, info);
}

bool signal_deliver(struct intr_frame *f)
{
	struct thread *t = current();
	if (!t->app || !signal_pending(t))
		return false;
	if (t->killed)
		thread_end_killed();
	struct ksiginfo info;
	spin_lock(&sig_lock);
	int sig = take_signal(t, &info);
	struct ksigaction act = actions[sig];
	if (sig && (act.flags & SA_RESETHAND) && sig != SIGILL && sig != SIGTRAP)
		actions[sig].handler = SIG_DFL;
	spin_unlock(&sig_lock);
	if (!sig)
		return false;
	if (act.handler == SIG_IGN)
		return false;
	if (act.handler == SIG_DFL) {
		if (default_ignored(sig) || stop_signal(sig))
			return false;
		signal_kill_process(sig);
	}
	uint64_t old = t->sigmask;
	if (arch_setup_sigframe(f, sig, &act, &info, old, t)) {
		kprintf("uninode: cannot build the frame for signal %d: the stack is unusable\n", sig);
		signal_kill_process(SIGSEGV);
	}
	t->sigmask |= (act.mask | (act.flags & SA_NODEFER ? 0 : sigbit(sig))) & ~UNBLOCKABLE;
	return true;
}

bool signal_fault(struct intr_frame *f, int sig, int code, uint64_t addr)
{
	struct thread *t = current();
	spin_lock(&sig_lock);
	struct ksigaction act = actions[sig];
	bool handled = act.handler > SIG_IGN && !(t->sigmask & sigbit(sig));
	spin_unlock(&sig_lock);
	if (!handled)
		return false;
	struct ksiginfo info = { .signo = sig, .code = code };
	info.fault.addr = addr;
	uint64_t old = t->sigmask;
	if (arch_setup_sigframe(f, sig, &act, &info, old, t))
		return false;
	if (act.flags & SA_RESETHAND) {
		spin_lock(&sig_lock);
		actions[sig].handler = SIG_DFL;
		spin_unlock(&sig_lock);
	}
	t->sigmask |= (act.mask | (act.flags & SA_NODEFER ? 0 : sigbit(sig))) & ~UNBLOCKABLE;
	return true;
}

long sys_rt_sigaction(int sig, const struct ksigaction *act, struct ksigaction *old, size_t setsize)
{
	if (setsize != 8 || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (act && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	struct ksigaction a;
	if (act)
		a = *act; /* copy before taking the lock: app memory may fault */
	spin_lock(&sig_lock);
	struct ksigaction prev = actions[sig];
	if (act) {
		actions[sig] = a;
		/* Setting SIG_IGN discards what is pending, as POSIX says. */
		if (a.handler == SIG_IGN)
			proc_pending &= ~sigbit(sig);
	}
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
		uint64_t s = *set & ~UNBLOCKABLE;
		switch (how) {
		case SIG_BLOCK: t->sigmask |= s; break;
		case SIG_UNBLOCK: t->sigmask &= ~s; break;
		case SIG_SETMASK: t->sigmask = s; break;
		default: return -EINVAL;
		}
	}
	if (old)
		*old = prev;
	return 0; /* anything unblocked now is delivered on the way out */
}

long sys_rt_sigpending(uint64_t *set, size_t setsize)
{
	if (setsize != 8)
		return -EINVAL;
	struct thread *t = current();
	*set = (t->sigpending | proc_pending) & t->sigmask;
	return 0;
}

long sys_rt_sigreturn(void)
{
	struct thread *t = current();
	uint64_t mask;
	if (arch_restore_sigframe(t->uframe, &mask)) {
		kprintf("uninode: rt_sigreturn: the signal frame on the stack is corrupt\n");
		signal_kill_process(SIGSEGV);
	}
	t->sigmask = mask & ~UNBLOCKABLE;
	t->uframe_restored = true;
	return (long)t->uframe->rax; /* the dispatcher stores this back into rax */
}

/* sigtimedwait/sigwaitinfo/sigwait: take a pending signal of SET without
 * running its handler, waiting (interruptibly, until TIMEOUT if given) while
 * none is. As Linux does, the signals of SET are unblocked for this thread
 * while it waits, so a signal sent to the process finds it. The signal number,
 * -EAGAIN at the timeout, or -EINTR for another signal that has a handler. */
long sys_rt_sigtimedwait(const uint64_t *uset, struct ksiginfo *uinfo, const struct ktimespec *timeout,
			 size_t setsize)
{
	if (setsize != 8)
		return -EINVAL;
	uint64_t set = *uset & ~UNBLOCKABLE; /* app memory read before any lock */
	uint64_t deadline = 0;
	bool poll = false;
	if (timeout) {
		struct ktimespec ts = *timeout;
		if (ts.nsec < 0 || ts.nsec >= 1000000000 || ts.sec < 0)
			return -EINVAL;
		poll = !ts.sec && !ts.nsec;
		deadline = time_monotonic_ns() + (uint64_t)ts.sec * 1000000000 + (uint64_t)ts.nsec;
	}
	struct thread *t = current();
	uint64_t saved = t->sigmask;
	struct ksiginfo info;
	int sig;
	for (;;) {
		spin_lock(&sig_lock);
		sig = take_signal_of(t, set, &info);
		if (!sig && !poll)
			t->sigmask = saved & ~set;
		spin_unlock(&sig_lock);
		if (sig || poll)
			break;
		int r = sleep_until_intr(deadline);
		spin_lock(&sig_lock);
		t->sigmask = saved;
		sig = take_signal_of(t, set, &info);
		spin_unlock(&sig_lock);
		if (sig)
			break;
		if (r == 0 && deadline)
			return -EAGAIN;
		if (signal_pending(t))
			return -EINTR; /* a signal outside SET: its handler runs on the way out */
	}
	if (!sig)
		return -EAGAIN;
	if (uinfo)
		*uinfo = info;
	return sig;
}

long sys_sigaltstack(const struct stack_t *ss, struct stack_t *old)
{
	struct thread *t = current();
	bool on = t->altstack_sp && t->uframe && t->uframe->rsp > t->altstack_sp &&
		  t->uframe->rsp <= t->altstack_sp + t->altstack_size;
	if (old) {
		old->sp = t->altstack_sp;
		old->size = t->altstack_size;
		old->flags = t->altstack_sp ? (on ? SS_ONSTACK : 0) : SS_DISABLE;
	}
	if (ss) {
		if (on)
			return -EPERM;
		if (ss->flags & ~(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM))
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

static struct ksiginfo user_info(int sig, int code)
{
	struct ksiginfo i = { .signo = sig, .code = code };
	i.kill.pid = 1;
	i.kill.uid = current()->cred.uid;   /* the sender's real uid, as Linux fills si_uid */
	return i;
}

void signal_exec_reset(struct thread *t)
{
	spin_lock(&sig_lock);
	for (int sig = 1; sig <= NSIG; sig++) {
		if (actions[sig].handler != SIG_IGN)
			actions[sig].handler = SIG_DFL;
		actions[sig].flags = actions[sig].restorer = actions[sig].mask = 0;
	}
	spin_unlock(&sig_lock);
	t->altstack_sp = t->altstack_size = 0;
	t->altstack_flags = 0;
}

/* The kernel raises SIG at the calling thread (SIGPIPE on a broken pipe). */
void k_raise(int sig)
{
	struct ksiginfo i = { .signo = sig, .code = SI_KERNEL };
	signal_send(current(), sig, &i);
}

long sys_kill(int pid, int sig)
{
	if (pid != 1 && pid != 0 && pid != -1)
		return -ESRCH;
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (sig) {
		struct ksiginfo i = user_info(sig, SI_USER);
		signal_send(NULL, sig, &i);
	}
	return 0;
}

long sys_tgkill(int tgid, int tid, int sig)
{
	if (tgid != 1 || tid <= 0)
		return tgid <= 0 || tid <= 0 ? -EINVAL : -ESRCH;
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	struct thread *t = thread_by_tid(tid);
	if (!t || !t->app)
		return -ESRCH;
	if (sig) {
		struct ksiginfo i = user_info(sig, SI_TKILL);
		signal_send(t, sig, &i);
	}
	return 0;
}

long sys_tkill(int tid, int sig) { return sys_tgkill(1, tid, sig); }

/* The host asks the program to stop (uninode stop, Ctrl-C): see rump/dev/control.c. */
void signal_from_host(int sig)
{
	if (sig < 1 || sig > NSIG)
		return;
	struct ksiginfo i = { .signo = sig, .code = SI_USER };
	signal_send(NULL, sig, &i);
}
