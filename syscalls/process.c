/* The process: its end (which ends the VM), its fatal faults, and the
 * process-creation calls this kernel cannot serve (fork; execve is execve.c's). */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "vm.h"
#include "proc.h"
#include "vfs.h"
#include "signal.h"


__noreturn void proc_exit(int status)
{
	vfs_sync_all();   /* volumes left clean, before the exit record */
	irq_disable();
	kprintf("uninode:exit %d\n", status & 0xff);
	arch_halt_exit(0);
}

/* Where ADDR falls in the app: "file+0xoff" for file mappings. */
static void describe_addr(uint64_t addr, char *buf, size_t n)
{
	struct vma *v = vm_find(addr);
	if (v && v->file)
		snprintf(buf, n, "%s+%#lx", proc_vma_name(v), addr - v->start + v->off);
	else if (v)
		snprintf(buf, n, "%s", v->name ? v->name : "anonymous memory");
	else
		snprintf(buf, n, "unmapped");
}

__noreturn void proc_fatal_signal(int sig, const char *what, uint64_t addr, const struct intr_frame *f)
{
	irq_disable();
	char where[160], at[160];
	describe_addr(f->rip, where, sizeof where);
	describe_addr(addr, at, sizeof at);
	kprintf("\n%s: %s at address %#lx (%s), thread %d\n", signal_name(sig) ? signal_name(sig) : "signal",
		what, addr, at, current()->tid);
	kprintf("instruction pointer %#lx in %s\n", f->rip, where);
	print_registers(f);
	/* The app's frame-pointer chain, where it keeps one; each hop must stay
	 * inside mapped app memory. */
	kprintf("app backtrace (frame pointers):\n  #0 %#lx %s\n", f->rip, where);
	uint64_t rbp = f->rbp;
	for (int depth = 1; depth < 16; depth++) {
		struct vma *v = vm_find(rbp);
		if (!v || (rbp & 7) || !(v->prot & PROT_READ) || rbp + 16 > v->end)
			break;
		uint64_t *fp = (uint64_t *)rbp, ret = fp[1];
		if (!ret || !vm_find(ret))
			break;
		describe_addr(ret, where, sizeof where);
		kprintf("  #%d %#lx %s\n", depth, ret, where);
		rbp = fp[0];
	}
	proc_sync_at_death();
	kprintf("uninode:signal %d\n", sig);
	arch_halt_exit(1);
}

/* A program that dies of a signal has its written data kept, as Linux's
 * page cache would write it back after the process is gone: the volumes are
 * committed and closed clean before the VM ends. Interrupts on, because
 * the disk completes by interrupt; vfs_sync_all refuses (the journal then
 * replays at the next mount) when the death came from inside the VFS. */
void proc_sync_at_death(void)
{
	irq_enable();
	vfs_sync_all();
	irq_disable();
}

long sys_exit_group(int status) { proc_exit(status); }

long sys_getpid(void) { return 1; }
long sys_getppid(void) { return 0; }
long sys_gettid(void) { return current()->tid; }

long sys_set_tid_address(int *tidptr)
{
	current()->clear_child_tid = tidptr;
	return current()->tid;
}

long sys_set_robust_list(uint64_t head, size_t len)
{
	if (len != 24)
		return -EINVAL;
	current()->robust_list = head;
	current()->robust_len = len;
	return 0;
}

/* No second process can exist in this address space. */
static long no_process(const char *call)
{
	klog_once("no-process", "uninode: %s: this image runs one program and cannot start processes (%s)\n",
		  proc_exe_path(), call);
	return -ENOSYS;
}

long sys_fork(void) { return no_process("fork"); }
long sys_vfork(void) { return no_process("vfork"); }
