/* Kernel panics and fatal faults: a report on the kernel channel (message,
 * registers, a symbolised backtrace), the exit record, then out of the VM. */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "ksyms.h"

static int panicking;

void print_backtrace(uint64_t rbp, uint64_t rip)
{
	kprintf("backtrace:\n");
	for (int depth = 0; depth < 32; depth++) {
		uint64_t off;
		const char *name = rip >= KERNEL_BASE ? ksym_lookup(rip, &off) : NULL;
		if (name)
			kprintf("  #%d %#lx %s+%#lx\n", depth, rip, name, off);
		else
			kprintf("  #%d %#lx\n", depth, rip);
		/* Follow frame pointers only through kernel stacks: they are always mapped. */
		if (rbp < DIRECT_MAP_BASE || (rbp & 7))
			break;
		uint64_t *fp = (uint64_t *)rbp;
		rip = fp[1];
		rbp = fp[0];
		if (!rip)
			break;
	}
}

void print_registers(const struct intr_frame *f)
{
	kprintf("rip %016lx rsp %016lx rflags %08lx cs %lx ss %lx\n", f->rip, f->rsp, f->rflags, f->cs, f->ss);
	kprintf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("r13 %016lx r14 %016lx r15 %016lx fs  %016lx\n", f->r13, f->r14, f->r15, arch_get_fs_base());
}

__noreturn void panic(const char *fmt, ...)
{
	irq_disable();
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (panicking++) {
		kprintf("\nuninode:panic %s (while panicking)\n", buf);
		arch_halt_exit(2);
	}
	kprintf("\nkernel panic: %s\n", buf);
	uint64_t rbp;
	__asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
	print_backtrace(((uint64_t *)rbp)[0], (uint64_t)__builtin_return_address(0));
	kprintf("uninode:panic %s\n", buf);
	arch_halt_exit(2);
}
