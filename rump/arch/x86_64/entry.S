/* Interrupt, exception and syscall entry. Everything runs at CPL 0, so the CPU
 * never switches stacks by itself: every vector uses an IST stack (the app's
 * red zone is below its rsp), and the stub moves the frame onto the current
 * thread's kernel stack before calling C, so handlers may sleep, switch
 * threads and take nested faults. */
#define PERCPU_SCRATCH_RSP 8
#define PERCPU_KSTACK_TOP 16
#define PERCPU_KSTACK_SIZE 32
#define FRAME_QWORDS 22
#define FRAME_RSP_OFF (20 * 8)

	.text
.macro PUSH_GPRS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm
.macro POP_GPRS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

/* Vectors where the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30. */
	.altmacro
.macro VEC n
	.align 16
vec_\n:
	.if ((\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)) == 0
	push $0
	.endif
	push $\n
	jmp intr_common
.endm
.macro VECADDR n
	.quad vec_\n
.endm

	.align 16
	.global intr_stubs_start
intr_stubs_start:
	.set i, 0
	.rept 256
	VEC %i
	.set i, i + 1
	.endr

	.section .rodata
	.align 8
	.global intr_stub_table
intr_stub_table:
	.set i, 0
	.rept 256
	VECADDR %i
	.set i, i + 1
	.endr
	.noaltmacro
	.text

/* On the IST stack: save registers, pick the destination on the thread's kernel
 * stack (just below the interrupted rsp if that is already on it, else its top),
 * copy the frame there and continue on it. */
intr_common:
	PUSH_GPRS
	cld
	mov FRAME_RSP_OFF(%rsp), %rax          /* interrupted rsp */
	mov %gs:PERCPU_KSTACK_TOP, %rdx
	mov %rdx, %rcx
	sub %gs:PERCPU_KSTACK_SIZE, %rcx       /* kernel stack base */
	cmp %rcx, %rax
	jb 1f
	cmp %rdx, %rax
	ja 1f
	mov %rax, %rdx                         /* nested: continue below it */
1:	sub $(FRAME_QWORDS * 8), %rdx
	and $~15, %rdx
	mov %rsp, %rsi
	mov %rdx, %rdi
	mov $FRAME_QWORDS, %ecx
	rep movsq
	mov %rdx, %rsp
	mov %rsp, %rdi
	call intr_dispatch
	.global intr_return
intr_return:
	POP_GPRS
	add $16, %rsp
	iretq

/* syscall at CPL 0: rcx = return rip, r11 = rflags, IF cleared by SFMASK.
 * Build an intr_frame on the kernel stack so clone, signals and tracing see
 * every register. */
	.global syscall_entry
syscall_entry:
	mov %rsp, %gs:PERCPU_SCRATCH_RSP
	mov %gs:PERCPU_KSTACK_TOP, %rsp
	push $0x10                             /* ss */
	push %gs:PERCPU_SCRATCH_RSP            /* rsp */
	push %r11                              /* rflags */
	push $0x08                             /* cs */
	push %rcx                              /* rip */
	push $0                                /* error */
	push $-1                               /* vector: a syscall */
	PUSH_GPRS
	mov %rsp, %rdi
	sti
	call syscall_frame_dispatch
	cli
	test %eax, %eax
	jnz intr_return                        /* frame rewritten: restore it all */
	.global syscall_return
syscall_return:
	/* rcx and r11 are the syscall's to clobber; a frame whose rip/rflags were
	 * replaced (sigreturn, a new thread) still returns exactly: we never touch
	 * the app's stack, whose red zone may be live. */
	POP_GPRS
	add $16, %rsp
	mov (%rsp), %rcx                       /* rip */
	mov 16(%rsp), %r11                     /* rflags */
	add $16, %rsp                          /* -> rflags */
	popfq
	pop %rsp
	jmp *%rcx

/* Return to the app through a prepared syscall frame (a new thread's first run). */
	.global arch_resume_frame
arch_resume_frame:
	mov %rdi, %rsp
	jmp syscall_return

/* Enter the app's first instruction with a clean register file. */
	.global arch_enter_app
arch_enter_app: /* (rip, rsp) */
	cli
	mov %rdi, %rcx
	mov %rsi, %rsp
	xor %eax, %eax
	xor %ebx, %ebx
	xor %edx, %edx                         /* rdx: no atexit function for _start */
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	push $0x202
	popfq
	mov $0x202, %r11
	jmp *%rcx

/* switch_to(&old->ctx_rsp, new->ctx_rsp): save callee-saved registers on
 * the old stack, resume the new one. */
	.global arch_switch
arch_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* First run of a new kernel thread: arch_switch returns here with the entry
 * function in r12 and its argument in r13. */
	.global arch_thread_start
arch_thread_start:
	call sched_finish_switch               /* the thread we came from is saved now */
	sti
	mov %r13, %rdi
	call *%r12
	ud2
