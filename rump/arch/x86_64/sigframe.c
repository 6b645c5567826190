/* The x86-64 signal frame, laid out as Linux lays it out, so glibc's
 * sa_restorer (rt_sigreturn) and code that reads the ucontext (V8's trap
 * handler) see what they expect: [pretcode][ucontext][siginfo] then the
 * XSAVE area, 64-byte aligned, below the app's red zone. */
#include "kernel.h"
#include "arch.h"
#include "cpu.h"
#include "sched.h"
#include "signal.h"

struct sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved[8];
};

struct ucontext {
	uint64_t flags, link;
	struct { uint64_t sp; int32_t flags, pad; uint64_t size; } stack;
	struct sigcontext mc;
	uint64_t sigmask;
	uint8_t pad[120];          /* glibc's sigset_t is 128 bytes; the kernel reads the first 8 */
};

struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	struct ksiginfo info;
};

#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define RFLAGS_USER_MASK 0x254dd5UL  /* CF PF AF ZF SF TF DF OF NT AC ID ... that sigreturn may set */

static bool on_altstack(struct thread *t, uint64_t sp)
{
	return t->altstack_sp && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

int arch_setup_sigframe(struct intr_frame *f, int sig, const struct ksigaction *act,
			const struct ksiginfo *info, uint64_t oldmask, struct thread *t)
{
	uint64_t sp = f->rsp - 128; /* the interrupted code's red zone */
	if ((act->flags & SA_ONSTACK) && t->altstack_sp && !on_altstack(t, f->rsp))
		sp = t->altstack_sp + t->altstack_size;
	uint32_t fpsize = cpu_features.xsave_size;
	sp = ALIGN_DOWN(sp - fpsize - 4, 64);
	uint64_t fpstate = sp;
	sp = ALIGN_DOWN(sp - sizeof(struct rt_sigframe), 16) - 8; /* as after a call */
	if (sp < 0x1000 || sp >= 0x800000000000UL)
		return -EFAULT;
	struct rt_sigframe *fr = (struct rt_sigframe *)sp;
	/* Plain stores into app memory: a fault here demand-pages the stack, and
	 * a stack that cannot grow ends the program with a report, as on Linux. */
	memset((void *)fpstate, 0, fpsize);
	fpu_save((void *)fpstate);
	uint32_t *sw = (uint32_t *)(fpstate + 464); /* fxsave sw_reserved: describe the xsave area */
	sw[0] = FP_XSTATE_MAGIC1;
	sw[1] = fpsize + 4;
	*(uint64_t *)&sw[2] = cpu_features.xcr0;
	sw[4] = fpsize;
	*(uint32_t *)(fpstate + fpsize) = FP_XSTATE_MAGIC2;

	memset(fr, 0, sizeof *fr);
	fr->pretcode = act->restorer;
	fr->uc.flags = (cpu_features.xsave ? UC_FP_XSTATE : 0) | UC_SIGCONTEXT_SS;
	fr->uc.stack.sp = t->altstack_sp;
	fr->uc.stack.size = t->altstack_size;
	fr->uc.stack.flags = t->altstack_sp ? (on_altstack(t, f->rsp) ? 1 : 0) : 2;
	struct sigcontext *mc = &fr->uc.mc;
	mc->r8 = f->r8; mc->r9 = f->r9; mc->r10 = f->r10; mc->r11 = f->r11;
	mc->r12 = f->r12; mc->r13 = f->r13; mc->r14 = f->r14; mc->r15 = f->r15;
	mc->rdi = f->rdi; mc->rsi = f->rsi; mc->rbp = f->rbp; mc->rbx = f->rbx;
	mc->rdx = f->rdx; mc->rax = f->rax; mc->rcx = f->rcx; mc->rsp = f->rsp;
	mc->rip = f->rip; mc->eflags = f->rflags;
	mc->cs = 0x33; /* what a Linux program expects to see for its code segment */
	mc->ss = 0x2b;
	mc->err = f->vector < 32 ? f->error : 0;
	mc->trapno = f->vector < 32 ? f->vector : 0;
	mc->cr2 = info->signo == SIGSEGV || info->signo == SIGBUS ? info->fault.addr : 0;
	mc->oldmask = oldmask;
	mc->fpstate = fpstate;
	fr->uc.sigmask = oldmask;
	fr->info = *info;

	f->rsp = sp;
	f->rip = act->handler;
	f->rdi = (uint64_t)sig;
	f->rsi = (uint64_t)&fr->info;
	f->rdx = (uint64_t)&fr->uc;
	f->rax = 0;
	f->rflags &= ~((1UL << 8) | (1UL << 10)); /* TF, DF: the ABI wants DF clear at a call */
	return 0;
}

int arch_restore_sigframe(struct intr_frame *f, uint64_t *mask)
{
	/* The handler returned into sa_restorer, which popped pretcode. */
	struct ucontext *uc = (struct ucontext *)f->rsp;
	if (f->rsp < 0x1000 || f->rsp >= 0x800000000000UL)
		return -EFAULT;
	struct sigcontext *mc = &uc->mc;
	f->r8 = mc->r8; f->r9 = mc->r9; f->r10 = mc->r10; f->r11 = mc->r11;
	f->r12 = mc->r12; f->r13 = mc->r13; f->r14 = mc->r14; f->r15 = mc->r15;
	f->rdi = mc->rdi; f->rsi = mc->rsi; f->rbp = mc->rbp; f->rbx = mc->rbx;
	f->rdx = mc->rdx; f->rax = mc->rax; f->rcx = mc->rcx; f->rsp = mc->rsp;
	f->rip = mc->rip;
	f->rflags = (f->rflags & ~RFLAGS_USER_MASK) | (mc->eflags & RFLAGS_USER_MASK) | 0x200;
	f->cs = 0x08;
	f->ss = 0x10;
	if (mc->fpstate) {
		/* xrstor faults (#GP) on a malformed header: check it first, so a
		 * corrupted frame kills the program, not the kernel. */
		const uint64_t *hdr = (const uint64_t *)(mc->fpstate + 512);
		if ((mc->fpstate & 63) || mc->fpstate >= 0x800000000000UL)
			return -EFAULT;
		if (cpu_features.xsave) {
			if ((hdr[0] & ~cpu_features.xcr0) || hdr[1])
				return -EFAULT;
			for (int i = 2; i < 8; i++)
				if (hdr[i])
					return -EFAULT;
		}
		if (*(const uint32_t *)(mc->fpstate + 24) & 0xffff0000u) /* MXCSR reserved bits */
			return -EFAULT;
		fpu_restore((const void *)mc->fpstate);
	}
	*mask = uc->sigmask;
	return 0;
}
