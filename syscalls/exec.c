/* The ELF loader: a program (static, static-pie or dynamic through
 * PT_INTERP) checked before anything is changed, then mapped demand-paged
 * from its file, and a Linux-shaped initial stack (argc, argv, envp, auxv).
 * The boot (boot.c) and execve (execve.c) both start programs through it. */
#include "exec.h"
#include "arch.h"
#include "cpu.h"
#include "mm.h"
#include "vm.h"
#include "vfs.h"
#include "sched.h"
#include "proc.h"

#define ET_DYN_BASE 0x555555554000UL   /* where Linux puts a PIE without ASLR */
#define STACK_SIZE (8UL << 20)

/* ---- what /proc shows of the program ---- */

static char *exe_path;
static char comm[16] = "?";
/* Where exec_build_stack put the argv and envp strings (for /proc/self/cmdline, environ). */
static vaddr_t arg_start, arg_end, env_start, env_end;

const char *proc_exe_path(void) { return exe_path ? exe_path : "?"; }
const char *proc_comm(void) { return comm; }
/* A region's name, else its file's path (the program's segments have no name of their own). */
const char *proc_vma_name(struct vma *v)
{
	return v->name ? v->name : v->file && v->file->path ? v->file->path : "?";
}

void proc_arg_area(vaddr_t *as, vaddr_t *ae, vaddr_t *es, vaddr_t *ee)
{
	*as = arg_start;
	*ae = arg_end;
	*es = env_start;
	*ee = env_end;
}

void exec_set_identity(const char *path, const char *name)
{
	char *p = strdup(path);
	if (p) {
		/* Only this thread runs (execve ended the others): no reader holds the old one. */
		kfree(exe_path);
		exe_path = p;
	}
	const char *slash = strrchr(name, '/');
	strlcpy(comm, slash ? slash + 1 : name, sizeof comm);
}

/* ---- argument strings ---- */

int strvec_push(struct strvec *v, const char *s, size_t len)
{
	if (v->len + len + 1 > v->cap) {
		size_t cap = MAX(v->cap * 2, MAX(v->len + len + 1, 256));
		char *b = krealloc(v->buf, cap);
		if (!b)
			return -ENOMEM;
		v->buf = b;
		v->cap = cap;
	}
	memcpy(v->buf + v->len, s, len);
	v->buf[v->len + len] = 0;
	v->len += len + 1;
	v->n++;
	return 0;
}

void strvec_free(struct strvec *v)
{
	kfree(v->buf);
	*v = (struct strvec){ 0 };
}

/* ---- checking ---- */

int elf_check(struct file *f, const uint8_t *head, int bad, bool is_interp, struct elf_image *img)
{
	memset(img, 0, sizeof *img);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
	size_t phsize = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	/* Linux's load_elf_binary and load_elf_phdrs, in their order. */
	if (memcmp(eh->e_ident, "\177ELF", 4) || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
	    eh->e_machine != EM_X86_64 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || !phsize || phsize > 65536)
		return bad;
	img->eh = *eh;
	img->ph = kmalloc(phsize);
	if (!img->ph)
		return -ENOMEM;
	if (file_pread(f, img->ph, phsize, (off_t)eh->e_phoff) != (long)phsize) {
		elf_image_free(img);
		return bad;
	}
	img->exec_stack = true;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &img->ph[i];
		if (p->p_type == PT_GNU_STACK)
			img->exec_stack = p->p_flags & PF_X;
		if (p->p_type != PT_INTERP || is_interp || img->interp)
			continue;
		if (p->p_filesz > PATH_MAX || p->p_filesz < 2) {
			elf_image_free(img);
			return -ENOEXEC;
		}
		img->interp = kmalloc(p->p_filesz);
		long n = img->interp ? file_pread(f, img->interp, p->p_filesz, (off_t)p->p_offset) : -ENOMEM;
		int r = n == (long)p->p_filesz ? 0 : n < 0 ? (int)n : -EIO;
		if (!r && img->interp[p->p_filesz - 1])
			r = -ENOEXEC;   /* the path must end with its NUL */
		if (r) {
			elf_image_free(img);
			return r;
		}
	}
	file_get(f);
	img->f = f;
	return 0;
}

void elf_image_free(struct elf_image *img)
{
	kfree(img->ph);
	kfree(img->interp);
	if (img->f)
		file_put(img->f);
	memset(img, 0, sizeof *img);
}

/* ---- mapping ---- */

static int prot_of(uint32_t pf)
{
	return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) | (pf & PF_X ? PROT_EXEC : 0);
}

int elf_map(struct elf_image *img, bool is_interp, struct loaded *out)
{
	const Elf64_Ehdr *eh = &img->eh;
	const Elf64_Phdr *ph = img->ph;
	struct file *f = img->f;
	vaddr_t lo = ~0UL, hi = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			lo = MIN(lo, ALIGN_DOWN(ph[i].p_vaddr, PAGE_SIZE));
			hi = MAX(hi, ph[i].p_vaddr + ph[i].p_memsz);
		}
	if (lo >= hi)
		return -ENOEXEC;
	vaddr_t base = 0;
	if (eh->e_type == ET_DYN) {
		/* Reserve the whole span first so the segments land at fixed offsets. */
		long at = is_interp ? vm_mmap(0, hi - lo, 0, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0)
				    : vm_mmap(ET_DYN_BASE, hi - lo, 0, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (at < 0)
			return (int)at;
		base = (vaddr_t)at - lo;
	}
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		vaddr_t va = base + ph[i].p_vaddr, page = ALIGN_DOWN(va, PAGE_SIZE);
		off_t off = ALIGN_DOWN(ph[i].p_offset, PAGE_SIZE);
		vaddr_t file_end = va + ph[i].p_filesz, mem_end = va + ph[i].p_memsz;
		int prot = prot_of(ph[i].p_flags);
		int r;
		if (ph[i].p_filesz) {
			long m = vm_mmap(page, ALIGN_UP(file_end, PAGE_SIZE) - page, prot, MAP_PRIVATE | MAP_FIXED, f, off);
			if (m < 0)
				return (int)m;
			/* The rest of the last file page is .bss: zero it, as the kernel does. */
			if (mem_end > file_end && (file_end & ~PAGE_MASK) && (r = vm_zero_tail(file_end)))
				return r;
		}
		vaddr_t anon = ph[i].p_filesz ? ALIGN_UP(file_end, PAGE_SIZE) : page;
		if (mem_end > anon) {
			long m = vm_mmap(anon, ALIGN_UP(mem_end, PAGE_SIZE) - anon, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					 NULL, 0);
			if (m < 0)
				return (int)m;
		}
	}
	if (!is_interp)
		vm_set_brk_base(base + hi);
	out->base = base;
	out->entry = base + eh->e_entry;
	out->phnum = eh->e_phnum;
	out->phdr = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_PHDR)
			out->phdr = base + ph[i].p_vaddr;
	for (int i = 0; i < eh->e_phnum && !out->phdr; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh->e_phoff && eh->e_phoff < ph[i].p_offset + ph[i].p_filesz)
			out->phdr = base + ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset);
	return 0;
}

/* ---- the initial stack ---- */

/* Write BYTES below *SP (on the app stack, faulted in as we go). */
static vaddr_t push_bytes(vaddr_t *sp, const void *bytes, size_t n)
{
	*sp -= n;
	memcpy((void *)*sp, bytes, n);
	return *sp;
}

/* Store a pointer to each string of V (laid out from AT on) at *W onwards, then a NULL. */
static uint64_t *put_pointers(uint64_t *w, const struct strvec *v, vaddr_t at)
{
	for (size_t off = 0; off < v->len; off += strlen(v->buf + off) + 1)
		*w++ = at + off;
	*w++ = 0;
	return w;
}

long exec_build_stack(const struct loaded *prog, const struct loaded *interp, bool exec_stack,
		      const struct strvec *argv, const struct strvec *envp, const char *execfn)
{
	long top = vm_mmap(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE | (exec_stack ? PROT_EXEC : 0),
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0);
	if (top < 0)
		return top;
	vm_set_name(STACK_TOP - STACK_SIZE, "[stack]");
	/* Linux's order from the top: the file name, the environment strings,
	 * the argument strings (argv[0] lowest). */
	vaddr_t sp = STACK_TOP - 8;
	vaddr_t fn = push_bytes(&sp, execfn, strlen(execfn) + 1);
	vaddr_t envs = push_bytes(&sp, envp->buf ? envp->buf : "", envp->len);
	vaddr_t args = push_bytes(&sp, argv->buf ? argv->buf : "", argv->len);
	arg_start = args;
	arg_end = env_start = envs;
	env_end = fn;
	vaddr_t platform = push_bytes(&sp, "x86_64", 7);
	uint8_t rnd[16];
	random_bytes(rnd, sizeof rnd);
	sp &= ~15UL;
	vaddr_t random = push_bytes(&sp, rnd, sizeof rnd);

	long vdso = vdso_map();
	if (vdso < 0)
		kprintf("uninode: no vDSO (error %ld): clocks go through syscalls\n", -vdso);
	const struct cred *c = &current()->cred;
	uint64_t aux[][2] = {
		{ AT_SYSINFO_EHDR, vdso > 0 ? (uint64_t)vdso : 0 },
		{ AT_MINSIGSTKSZ, 2048 + cpu_features.xsave_size },
		{ AT_HWCAP, cpu_features.leaf1_edx },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_CLKTCK, 100 },
		{ AT_PHDR, prog->phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, prog->phnum },
		{ AT_BASE, interp ? interp->base : 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, prog->entry },
		{ AT_UID, c->uid }, { AT_EUID, c->euid }, { AT_GID, c->gid }, { AT_EGID, c->egid },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, random },
		{ AT_HWCAP2, cpu_features.fsgsbase ? 2 : 0 },
		{ AT_EXECFN, fn },
		{ AT_PLATFORM, platform },
		{ AT_NULL, 0 },
	};
	size_t naux = ARRAY_SIZE(aux);
	if (!aux[0][1]) /* no vDSO: drop the entry rather than pass 0 */
		aux[0][0] = AT_IGNORE;
	size_t words = 1 + (size_t)argv->n + 1 + (size_t)envp->n + 1 + naux * 2;
	sp = (sp - words * 8) & ~15UL;
	uint64_t *w = (uint64_t *)sp;
	*w++ = (uint64_t)argv->n;
	w = put_pointers(w, argv, args);
	w = put_pointers(w, envp, envs);
	memcpy(w, aux, sizeof aux);
	return (long)sp;
}
