/* Entry from PVH (QEMU -kernel) and Multiboot2 (GRUB): both arrive in 32-bit
 * protected mode with paging off. We switch to long mode on static boot page
 * tables that map the first 1 GiB three times (identity, direct map, kernel
 * image), then continue in the higher half in C (kmain). */
#define KERNEL_BASE 0xffffffff80000000
#define DIRECT_MAP_BASE 0xffff800000000000
#define PHYS(x) ((x) - KERNEL_BASE)

	.section .multiboot2, "a"
	.align 8
mb2_header:
	.long 0xe85250d6                  /* magic */
	.long 0                           /* i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(0xe85250d6 + (mb2_header_end - mb2_header))
	/* entry address tag: our ELF entry is a higher-half address */
	.align 8
	.short 3, 0
	.long 12
	.long PHYS(mb2_start32)
	.align 8
	.short 0, 0
	.long 8
mb2_header_end:

	.section .note.pvh, "a"
	.align 4
	.long 4                           /* name size */
	.long 4                           /* desc size */
	.long 18                          /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long PHYS(pvh_start32)

	.section .boot.text, "ax"
	.code32
	.global pvh_start32
pvh_start32:
	/* ebx = physical address of struct hvm_start_info */
	mov $0x336ec578, %eax             /* XEN_HVM_START_MAGIC_VALUE, as kmain expects */
	jmp common32
mb2_start32:
	/* eax = 0x36d76289, ebx = physical address of the Multiboot2 info */
common32:
	cli
	cld
	mov %eax, %edi                    /* boot magic -> kmain arg 1 */
	mov %ebx, %esi                    /* boot info  -> kmain arg 2 */
	mov $PHYS(boot_stack_top), %esp

	/* CR4: PAE | PGE */
	mov %cr4, %eax
	or $(1 << 5) | (1 << 7), %eax
	mov %eax, %cr4
	mov $PHYS(boot_pml4), %eax
	mov %eax, %cr3
	/* EFER: LME | NXE (NX is present on every x86-64 we target) */
	mov $0xc0000080, %ecx
	rdmsr
	or $(1 << 8) | (1 << 11), %eax
	wrmsr
	/* CR0: PE | MP | NE | WP | PG; EM, TS cleared */
	mov %cr0, %eax
	and $~((1 << 2) | (1 << 3)), %eax
	or $(1 << 0) | (1 << 1) | (1 << 5) | (1 << 16) | (1 << 31), %eax
	mov %eax, %cr0
	lgdt PHYS(boot_gdtr)
	ljmp $0x08, $PHYS(long_mode_low)

	.code64
long_mode_low:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	movabs $long_mode_high, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff          /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff          /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdtr:
	.short boot_gdt_end - boot_gdt - 1
	.long PHYS(boot_gdt)

	.align 4096
	.global boot_pml4
boot_pml4:
	.quad PHYS(boot_pdpt_low) + 3     /* identity: only until kmain drops it */
	.fill 255, 8, 0
	.quad PHYS(boot_pdpt_low) + 3     /* slot 256: direct map */
	.fill 254, 8, 0
	.quad PHYS(boot_pdpt_high) + 3    /* slot 511: kernel image */
boot_pdpt_low:
	.quad PHYS(boot_pd) + 3
	.fill 511, 8, 0
boot_pdpt_high:
	.fill 510, 8, 0
	.quad PHYS(boot_pd) + 3           /* 0xffffffff80000000 -> 0 */
	.quad 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) | 0x83            /* 2 MiB, present, writable */
	.set i, i + 1
	.endr

	.align 16
boot_stack:
	.fill 16384, 1, 0
	.global boot_stack_top
boot_stack_top:

	.text
	.code64
long_mode_high:
	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp
	/* clear .bss: QEMU's and GRUB's loaders do, but the spec does not promise it */
	push %rdi
	push %rsi
	movabs $__bss_start, %rdi
	movabs $__bss_end, %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb
	pop %rsi
	pop %rdi
	call kmain
1:	hlt
	jmp 1b
