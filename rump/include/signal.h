/* Signals: what the arch code needs to build and unwind a handler's frame,
 * and the kernel's ways to send one. */
#pragma once
#include "types.h"

#define NSIG 64
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28

#define SA_NOCLDSTOP 1
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SA_RESTORER 0x04000000

#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR 2

static inline uint64_t sigbit(int sig) { return 1UL << (sig - 1); }

struct ksigaction { uint64_t handler, flags, restorer, mask; };

/* Linux's siginfo_t (128 bytes), the fields we fill. */
struct ksiginfo {
	int32_t signo, errno_, code, pad;
	union {
		struct { int32_t pid; uint32_t uid; } kill;
		struct { uint64_t addr; } fault;
		uint8_t raw[112];
	};
};

struct intr_frame;
struct thread;

/* rump/arch/x86_64/sigframe.c: push a handler frame (siginfo, ucontext, FPU
 * state) on the app's stack and point FRAME at the handler; 0 or -EFAULT. */
int arch_setup_sigframe(struct intr_frame *f, int sig, const struct ksigaction *act,
			const struct ksiginfo *info, uint64_t oldmask, struct thread *t);
/* rt_sigreturn: restore registers, FPU state and the mask saved in the frame
 * at the app's rsp; sets *MASK. 0 or -EFAULT. */
int arch_restore_sigframe(struct intr_frame *f, uint64_t *mask);

/* syscalls/signal.c */
/* The kernel raises SIG at the calling thread (SIGPIPE on a broken pipe). */
void k_raise(int sig);
/* "SIGSEGV" and so on, or NULL for a signal without a well-known name. */
const char *signal_name(int sig);
/* Send SIG to thread T, or to the process (any thread not blocking it) if T is NULL. */
void signal_send(struct thread *t, int sig, const struct ksiginfo *info);
/* At a return to the app: deliver a pending signal into F. True if F changed
 * (the return must then restore every register: iretq). */
bool signal_deliver(struct intr_frame *f);
/* The program dies of SIG whatever its disposition (a failed execve past
 * its point of no return, a default action). */
__noreturn void signal_kill_process(int sig);
/* execve: caught signals back to SIG_DFL (ignored ones stay ignored), with
 * no flags or mask; T's alternate stack forgotten. Pending and blocked stay. */
void signal_exec_reset(struct thread *t);
/* syscalls/thread.c: execve's de_thread. Ends every other app thread and
 * returns once the caller is the only one (its tid then 1); false if another
 * thread's execve came first (the caller is being ended itself). */
bool threads_end_others(void);
/* A thread execve marked killed leaves at its return to the app. */
__noreturn void thread_end_killed(void);
/* A fault in the app: true if a handler was set up, false if the program must die. */
bool signal_fault(struct intr_frame *f, int sig, int code, uint64_t addr);
