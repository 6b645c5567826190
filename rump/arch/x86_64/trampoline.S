/* The application processors' way in: SIPI starts them in real mode at
 * TRAMPOLINE (a page below 1 MiB, where smp.c copies this code). They go to
 * long mode on the boot page tables (which still identity-map low memory),
 * jump to the higher half, and only there switch to the kernel's tables. */
#define TRAMPOLINE 0x8000
#define T(x) ((x) - ap_trampoline_start + TRAMPOLINE)

	.section .rodata
	.global ap_trampoline_start, ap_trampoline_end, ap_trampoline_data
	.balign 16
	.code16
ap_trampoline_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl T(tramp_gdtr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x08, $T(tramp_pm32)

	.code32
tramp_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $(1 << 5) | (1 << 7), %eax          /* PAE, PGE */
	mov %eax, %cr4
	mov T(ap_trampoline_data), %eax         /* boot page tables (physical, < 4 GiB) */
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $(1 << 8) | (1 << 11), %eax         /* LME, NXE */
	wrmsr
	mov %cr0, %eax
	and $~((1 << 2) | (1 << 3)), %eax
	or $(1 << 1) | (1 << 5) | (1 << 16) | (1 << 31), %eax  /* MP, NE, WP, PG */
	mov %eax, %cr0
	ljmp $0x18, $T(tramp_lm64)

	.code64
tramp_lm64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov T(ap_trampoline_data) + 8, %rax     /* ap_entry64, in the higher half */
	jmp *%rax

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff                /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff                /* 0x10: data */
	.quad 0x00af9a000000ffff                /* 0x18: 64-bit code */
tramp_gdtr:
	.short tramp_gdtr - tramp_gdt - 1
	.long T(tramp_gdt)
	.balign 8
ap_trampoline_data:                             /* filled by smp.c */
	.quad 0                                 /* +0: CR3 for the way in */
	.quad 0                                 /* +8: ap_entry64 */
ap_trampoline_end:

	.text
	.code64
/* In the higher half on the boot tables: switch to the kernel's tables and
 * the AP's own stack, then C. */
	.global ap_entry64
ap_entry64:
	mov ap_kernel_cr3(%rip), %rax
	mov %rax, %cr3
	mov ap_stack_top(%rip), %rsp
	xor %ebp, %ebp
	call ap_main
1:	hlt
	jmp 1b
