/* The ELF loader: the program named by /.uninode/boot (static, static-pie or
 * dynamic through PT_INTERP), mapped demand-paged from the image, and a
 * Linux-shaped initial stack (argc, argv, envp, auxv). No execve: this runs
 * once, at boot. */
#include "syscalls.h"
#include "arch.h"
#include "cpu.h"
#include "mm.h"
#include "paging.h"
#include "vm.h"
#include "vfs.h"
#include "sched.h"
#include "proc.h"
#include "elf.h"

#define ET_DYN_BASE 0x555555554000UL   /* where Linux puts a PIE without ASLR */
#define STACK_SIZE (8UL << 20)
#define MAX_ARGS 4096

struct boot_manifest {
	char *exec, *cwd;
	int argc, envc;
	/* How many leading argv entries arg= tokens leave in place (`fixedargs N`);
	 * -1 when the boot file predates the line: then all of them are kept. */
	int fixed_args;
	char *argv[MAX_ARGS], *envp[MAX_ARGS];
};

struct loaded {
	vaddr_t base, entry, phdr;
	uint16_t phnum;
	bool exec_stack;
	char interp[256];
};

static struct boot_manifest bm;
static const char *exe_path = "?";

const char *proc_exe_path(void) { return exe_path; }
const char *proc_vma_name(struct vma *v) { return v->name ? v->name : "?"; }

/* Where build_stack put the argv and envp strings (for /proc/self/cmdline, environ). */
static vaddr_t arg_start, arg_end, env_start, env_end;
void proc_arg_area(vaddr_t *as, vaddr_t *ae, vaddr_t *es, vaddr_t *ee)
{
	*as = arg_start;
	*ae = arg_end;
	*es = env_start;
	*ee = env_end;
}

/* C-style unescaping of one manifest value, in place. */
static char *unescape(char *s)
{
	char *r = s, *w = s;
	for (; *r; r++) {
		if (*r != '\\' || !r[1]) {
			*w++ = *r;
			continue;
		}
		r++;
		*w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r == '0' ? '\0' : *r;
	}
	*w = 0;
	return s;
}

static int read_whole(const char *path, char **out, size_t *len)
{
	struct file *f;
	int r = vfs_open(path, 0, 0, &f);
	if (r)
		return r;
	long size = file_size(f);
	char *buf = kmalloc(size + 1);
	if (!buf) {
		file_put(f);
		return -ENOMEM;
	}
	long n = file_pread(f, buf, size, 0);
	file_put(f);
	if (n < 0) {
		kfree(buf);
		return (int)n;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

/* NAME=VALUE replaces the manifest's NAME, or is added. */
static void set_env(const char *kv)
{
	size_t n = strchr(kv, '=') - kv + 1;
	for (int i = 0; i < bm.envc; i++)
		if (!strncmp(bm.envp[i], kv, n)) {
			bm.envp[i] = (char *)kv;
			return;
		}
	if (bm.envc < MAX_ARGS - 1)
		bm.envp[bm.envc++] = (char *)kv;
}

/* A decimal count; false (and *out untouched) for anything else. */
static bool parse_count(const char *s, int *out)
{
	long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > MAX_ARGS)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = (int)v;
	return true;
}

/* uninode run IMAGE -- ARGS: the arg= tokens take the place of everything
 * after the fixed part of argv (node, its options and the entry file for an
 * app; argv[0] for a program). */
static void replace_args(void)
{
	if (!boot_opts.nargs)
		return;
	if (bm.fixed_args >= 0 && bm.fixed_args < bm.argc)
		bm.argc = bm.fixed_args;
	for (int i = 0; i < boot_opts.nargs && bm.argc < MAX_ARGS - 1; i++)
		bm.argv[bm.argc++] = (char *)boot_opts.args[i];
}

static void parse_manifest(char *text)
{
	bm.fixed_args = -1;
	char *line = text;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *sp = strchr(line, ' ');
		if (sp) {
			*sp = 0;
			char *val = unescape(sp + 1);
			if (!strcmp(line, "exec"))
				bm.exec = val;
			else if (!strcmp(line, "cwd"))
				bm.cwd = val;
			else if (!strcmp(line, "arg") && bm.argc < MAX_ARGS - 1)
				bm.argv[bm.argc++] = val;
			else if (!strcmp(line, "env") && bm.envc < MAX_ARGS - 1)
				bm.envp[bm.envc++] = val;
			else if (!strcmp(line, "fixedargs") && parse_count(val, &bm.fixed_args))
				;
			else
				kprintf("uninode: /.uninode/boot: unknown key '%s' ignored\n", line);
		}
		line = nl ? nl + 1 : NULL;
	}
}

static int prot_of(uint32_t pf)
{
	return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) | (pf & PF_X ? PROT_EXEC : 0);
}

/* Map one ELF file; INTERP (ld.so) goes wherever mmap puts it. */
static int load_elf(const char *path, bool is_interp, struct loaded *out)
{
	struct file *f;
	int r = vfs_open(path, 0, 0, &f);
	if (r) {
		kprintf("uninode: cannot open %s (error %d)\n", path, -r);
		return r;
	}
	Elf64_Ehdr eh;
	r = -ENOEXEC;
	if (file_pread(f, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.e_ident, "\177ELF", 4) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phnum == 0 || eh.e_phnum > 64) {
		kprintf("uninode: %s is not an x86-64 ELF executable\n", path);
		goto out;
	}
	Elf64_Phdr ph[64];
	size_t phsize = eh.e_phnum * sizeof(Elf64_Phdr);
	if (file_pread(f, ph, phsize, eh.e_phoff) != (long)phsize)
		goto out;
	vaddr_t lo = ~0UL, hi = 0;
	out->exec_stack = true;
	out->interp[0] = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			lo = MIN(lo, ALIGN_DOWN(ph[i].p_vaddr, PAGE_SIZE));
			hi = MAX(hi, ph[i].p_vaddr + ph[i].p_memsz);
		} else if (ph[i].p_type == PT_INTERP && !is_interp) {
			size_t n = MIN(ph[i].p_filesz, sizeof out->interp - 1);
			if (file_pread(f, out->interp, n, ph[i].p_offset) != (long)n)
				goto out;
			out->interp[n] = 0;
		} else if (ph[i].p_type == PT_GNU_STACK) {
			out->exec_stack = ph[i].p_flags & PF_X;
		}
	}
	if (lo >= hi)
		goto out;
	vaddr_t base = 0;
	if (eh.e_type == ET_DYN) {
		/* Reserve the whole span first so the segments land at fixed offsets. */
		long at = is_interp ? vm_mmap(0, hi - lo, 0, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0)
				    : vm_mmap(ET_DYN_BASE, hi - lo, 0, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (at < 0) {
			r = (int)at;
			goto out;
		}
		base = (vaddr_t)at - lo;
	}
	char *name = strdup(path);
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		vaddr_t va = base + ph[i].p_vaddr, page = ALIGN_DOWN(va, PAGE_SIZE);
		off_t off = ALIGN_DOWN(ph[i].p_offset, PAGE_SIZE);
		vaddr_t file_end = va + ph[i].p_filesz, mem_end = va + ph[i].p_memsz;
		int prot = prot_of(ph[i].p_flags);
		if (ph[i].p_filesz) {
			long m = vm_mmap(page, ALIGN_UP(file_end, PAGE_SIZE) - page, prot, MAP_PRIVATE | MAP_FIXED, f, off);
			if (m < 0) {
				r = (int)m;
				goto out;
			}
			vm_set_name(page, name);
			/* The rest of the last file page is .bss: zero it, as the kernel does. */
			if (mem_end > file_end && (file_end & ~PAGE_MASK) && (r = vm_zero_tail(file_end)))
				goto out;
		}
		vaddr_t anon = ALIGN_UP(ph[i].p_filesz ? file_end : va, PAGE_SIZE);
		if (!ph[i].p_filesz)
			anon = page;
		if (mem_end > anon) {
			long m = vm_mmap(anon, ALIGN_UP(mem_end, PAGE_SIZE) - anon, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					 NULL, 0);
			if (m < 0) {
				r = (int)m;
				goto out;
			}
		}
	}
	if (!is_interp)
		vm_set_brk_base(base + hi);
	out->base = base;
	out->entry = base + eh.e_entry;
	out->phnum = eh.e_phnum;
	out->phdr = 0;
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_PHDR)
			out->phdr = base + ph[i].p_vaddr;
	for (int i = 0; i < eh.e_phnum && !out->phdr; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh.e_phoff && eh.e_phoff < ph[i].p_offset + ph[i].p_filesz)
			out->phdr = base + ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset);
	r = 0;
out:
	file_put(f);
	return r;
}

/* Write BYTES below *SP (on the app stack, faulted in as we go). */
static vaddr_t push_bytes(vaddr_t *sp, const void *bytes, size_t n)
{
	*sp -= n;
	memcpy((void *)*sp, bytes, n);
	return *sp;
}

static vaddr_t build_stack(struct loaded *prog, struct loaded *interp, bool has_interp)
{
	long top = vm_mmap(STACK_TOP - STACK_SIZE, STACK_SIZE,
			   PROT_READ | PROT_WRITE | (prog->exec_stack ? PROT_EXEC : 0),
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0);
	if (top < 0)
		panic("cannot map the initial stack");
	vm_set_name(STACK_TOP - STACK_SIZE, "[stack]");
	vaddr_t sp = STACK_TOP;
	vaddr_t execfn = push_bytes(&sp, bm.exec, strlen(bm.exec) + 1);
	static vaddr_t argv[MAX_ARGS], envp[MAX_ARGS]; /* too big for the boot stack */
	for (int i = bm.envc - 1; i >= 0; i--)
		envp[i] = push_bytes(&sp, bm.envp[i], strlen(bm.envp[i]) + 1);
	for (int i = bm.argc - 1; i >= 0; i--)
		argv[i] = push_bytes(&sp, bm.argv[i], strlen(bm.argv[i]) + 1);
	env_end = execfn;
	env_start = bm.envc ? envp[0] : execfn;
	arg_start = bm.argc ? argv[0] : env_start;
	arg_end = env_start;
	vaddr_t platform = push_bytes(&sp, "x86_64", 7);
	uint8_t rnd[16];
	random_bytes(rnd, sizeof rnd);
	sp &= ~15UL;
	vaddr_t random = push_bytes(&sp, rnd, sizeof rnd);

	long vdso = vdso_map();
	if (vdso < 0)
		kprintf("uninode: no vDSO (error %ld): clocks go through syscalls\n", -vdso);
	uint64_t aux[][2] = {
		{ AT_SYSINFO_EHDR, vdso > 0 ? (uint64_t)vdso : 0 },
		{ AT_MINSIGSTKSZ, 2048 + cpu_features.xsave_size },
		{ AT_HWCAP, cpu_features.leaf1_edx },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_CLKTCK, 100 },
		{ AT_PHDR, prog->phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, prog->phnum },
		{ AT_BASE, has_interp ? interp->base : 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, prog->entry },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, random },
		{ AT_HWCAP2, cpu_features.fsgsbase ? 2 : 0 },
		{ AT_EXECFN, execfn },
		{ AT_PLATFORM, platform },
		{ AT_NULL, 0 },
	};
	size_t naux = ARRAY_SIZE(aux);
	if (!aux[0][1]) /* no vDSO yet: drop the entry rather than pass 0 */
		aux[0][0] = AT_IGNORE;
	size_t words = 1 + bm.argc + 1 + bm.envc + 1 + naux * 2;
	sp = (sp - words * 8) & ~15UL;
	uint64_t *w = (uint64_t *)sp;
	*w++ = bm.argc;
	for (int i = 0; i < bm.argc; i++)
		*w++ = argv[i];
	*w++ = 0;
	for (int i = 0; i < bm.envc; i++)
		*w++ = envp[i];
	*w++ = 0;
	for (size_t i = 0; i < naux; i++) {
		*w++ = aux[i][0];
		*w++ = aux[i][1];
	}
	return sp;
}

extern __noreturn void arch_enter_app(uint64_t rip, uint64_t rsp);
static struct loaded prog, interp;
static vaddr_t start_sp;

static void app_main(void *arg)
{
	vaddr_t entry = interp.entry && prog.interp[0] ? interp.entry : prog.entry;
	arch_enter_app(entry, start_sp);
}

void proc_start(void)
{
	char *text = NULL;
	size_t len;
	int r = read_whole("/.uninode/boot", &text, &len);
	if (r)
		panic("cannot read /.uninode/boot (error %d): not an uninode root fs", -r);
	parse_manifest(text);
	if (boot_opts.init)
		bm.exec = (char *)boot_opts.init;
	for (int i = 0; i < boot_opts.nenv; i++)
		set_env(boot_opts.env[i]);
	if (!bm.exec)
		panic("/.uninode/boot names no program (exec)");
	if (!bm.argc)
		bm.argv[bm.argc++] = bm.exec;
	replace_args();
	exe_path = bm.exec;
	if (bm.cwd && (r = k_chdir(bm.cwd)))
		kprintf("uninode: cannot change to %s (error %d)\n", bm.cwd, -r);

	if ((r = load_elf(bm.exec, false, &prog)))
		panic("cannot load %s (error %d)", bm.exec, -r);
	if (prog.interp[0] && (r = load_elf(prog.interp, true, &interp)))
		panic("cannot load the program interpreter %s (error %d)", prog.interp, -r);
	start_sp = build_stack(&prog, &interp, prog.interp[0] != 0);
	boot_mark("program loaded");
	struct thread *t = thread_create("main", app_main, NULL, true);
	if (!t)
		panic("cannot create the app thread");
	thread_start(t);
	/* The boot context has nothing more to do; it sleeps for good. */
	for (;;)
		sleep_until(0);
}
