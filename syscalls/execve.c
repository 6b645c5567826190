/* execve and execveat, as Linux's fs/exec.c and binfmt_script: the file is
 * opened, the arguments and environment are copied into the kernel, `#!`
 * scripts are followed to their interpreter and the ELF file and its
 * PT_INTERP are checked, all while the old program is still whole, so each
 * failure returns its errno to a caller that carries on. Past the point of
 * no return the other threads are ended, the address space emptied,
 * close-on-exec descriptors closed, caught signals reset, and the new
 * program mapped and entered; a failure there kills the process with
 * SIGSEGV, as Linux does. The pid (1) stays; the thread that called execve
 * takes tid 1 if it had another. Set-user-ID and set-group-ID bits are
 * ignored (as on a nosuid mount): the credentials carry over, the saved ids
 * taking the effective ones. */
#include "exec.h"
#include "fs.h"
#include "arch.h"
#include "cpu.h"
#include "vm.h"
#include "vfs.h"
#include "sched.h"
#include "proc.h"
#include "signal.h"
#include "cred.h"

#define MAX_ARG_STRLEN (32 * PAGE_SIZE)   /* one string, its NUL included */
#define ARG_MAX_FLOOR (32 * PAGE_SIZE)    /* the least room for strings, whatever the stack limit */
#define STK_LIM (8UL << 20)
#define MAX_ARG_STRINGS 0x7fffffffL
#define MAX_SCRIPT_DEPTH 5                /* scripts whose interpreter is a script, and so on */
#define RLIMIT_STACK 3

struct exec_job {
	char *filename;          /* what the program is called: the path, or /dev/fd/N[/path] */
	char *script_path;       /* what an interpreter gets as its script's path (Linux's bprm->interp) */
	bool fd_path;            /* named through a descriptor: comm comes from the file itself */
	bool path_inaccessible;  /* ... a close-on-exec one: a script could not be reopened by its interpreter */
	struct file *file;       /* the file to run (after scripts: the interpreter) */
	struct strvec argv, envp;
	size_t room;             /* bytes of strings still allowed */
	struct elf_image prog, interp;
};

static void job_free(struct exec_job *j)
{
	kfree(j->filename);
	kfree(j->script_path);
	if (j->file)
		file_put(j->file);
	strvec_free(&j->argv);
	strvec_free(&j->envp);
	elf_image_free(&j->prog);
	elf_image_free(&j->interp);
	kfree(j);
}

/* The path argument into kernel memory: ENOENT for an empty one unless
 * AT_EMPTY_PATH (Linux's getname_uflags). */
static int get_path(const char *upath, int flags, char **out)
{
	if (!uptr_ok(upath, 1))
		return -EFAULT;
	size_t n = strnlen(upath, PATH_MAX);
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!n && !(flags & AT_EMPTY_PATH))
		return -ENOENT;
	if (!(*out = strndup(upath, n)))
		return -ENOMEM;
	return 0;
}

/* How many pointers a NULL-terminated app vector holds (NULL: none). */
static long count_user(char *const *v)
{
	if (!v)
		return 0;
	for (long n = 0;; n++) {
		if (!uptr_ok(v + n, sizeof *v))
			return -EFAULT;
		if (!v[n])
			return n;
		if (n >= MAX_ARG_STRINGS)
			return -E2BIG;
	}
}

/* Append the kernel string S (LEN bytes) to V, within the room left. */
static int take(struct exec_job *j, struct strvec *v, const char *s, size_t len)
{
	if (len + 1 > MAX_ARG_STRLEN || len + 1 > j->room)
		return -E2BIG;
	j->room -= len + 1;
	return strvec_push(v, s, len);
}

/* Copy N app strings from UV into V. */
static int take_user(struct exec_job *j, struct strvec *v, char *const *uv, long n)
{
	for (long i = 0; i < n; i++) {
		const char *s = uv[i];
		if (!uptr_ok(s, 1))
			return -EFAULT;
		size_t len = strnlen(s, MAX_ARG_STRLEN);
		int r = take(j, v, s, len);
		if (r)
			return r;
	}
	return 0;
}

/* Linux's bprm_stack_limits and copy_strings: the room is a quarter of the
 * stack limit (at most 3/4 of 8 MiB, at least 128 KiB) less the pointers,
 * then the file name, the environment and the arguments take from it. */
static int copy_args(struct exec_job *j, char *const *uargv, char *const *uenvp)
{
	long argc = count_user(uargv);
	if (argc < 0)
		return (int)argc;
	long envc = count_user(uenvp);
	if (envc < 0)
		return (int)envc;
	uint64_t cur = 0, max = 0;
	k_getrlimit(RLIMIT_STACK, &cur, &max);
	size_t limit = MAX(MIN(STK_LIM / 4 * 3, cur / 4), ARG_MAX_FLOOR);
	size_t ptrs = ((size_t)MAX(argc, 1) + (size_t)envc) * sizeof(void *);
	if (limit <= ptrs)
		return -E2BIG;
	j->room = limit - ptrs;
	struct strvec name = { 0 };
	int r = take(j, &name, j->filename, strlen(j->filename));   /* AT_EXECFN's copy: room only */
	strvec_free(&name);
	if (r || (r = take_user(j, &j->envp, uenvp, envc)) || (r = take_user(j, &j->argv, uargv, argc)))
		return r;
	/* No argv at all: the new program still gets an argv[0] (""), as Linux gives since 5.18. */
	if (!argc && (r = take(j, &j->argv, "", 0)))
		return r;
	return 0;
}

static bool spacetab(char c) { return c == ' ' || c == '\t'; }

static char *next_non_spacetab(char *first, const char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

static char *next_terminator(char *first, const char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || !*first)
			return first;
	return NULL;
}

/* A `#!` script (HEAD: its first EXEC_HEAD bytes): argv becomes the
 * interpreter, its optional argument, the script's path, then argv[1] on;
 * the interpreter becomes the file to run. -ENOEXEC if HEAD is no script.
 * The parsing is binfmt_script's, byte for byte. */
static int follow_script(struct exec_job *j, char *buf)
{
	if (buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	char *buf_end = buf + EXEC_HEAD - 1, *i_end = NULL;
	for (char *p = buf; p <= buf_end && *p; p++)
		if (*p == '\n') {
			i_end = p;
			break;
		}
	if (!i_end) {
		/* No newline in the first 256 bytes: the name must end in them. */
		i_end = next_non_spacetab(buf + 2, buf_end);
		if (!i_end || !next_terminator(i_end, buf_end))
			return -ENOEXEC;
		i_end = buf_end;
	}
	while (spacetab(i_end[-1]))
		i_end--;
	char *i_name = next_non_spacetab(buf + 2, i_end);
	if (!i_name || i_name == i_end)
		return -ENOEXEC;
	char *i_arg = NULL, *i_sep = next_terminator(i_name, i_end);
	if (i_sep && *i_sep)
		i_arg = next_non_spacetab(i_sep, i_end);
	if (j->path_inaccessible)
		return -ENOENT;
	*i_end = 0;
	if (i_arg)
		*i_sep = 0;
	/* argv[0] goes (its bytes are room again), the new leading strings come. */
	struct strvec nv = { 0 };
	size_t first = strlen(j->argv.buf) + 1;
	j->room += first;
	int r = take(j, &nv, i_name, strlen(i_name));
	if (!r && i_arg)
		r = take(j, &nv, i_arg, strlen(i_arg));
	if (!r)
		r = take(j, &nv, j->script_path, strlen(j->script_path));
	for (size_t off = first; !r && off < j->argv.len; off += strlen(j->argv.buf + off) + 1)
		r = strvec_push(&nv, j->argv.buf + off, strlen(j->argv.buf + off));
	char *name = r ? NULL : strdup(i_name);
	if (!r && !name)
		r = -ENOMEM;
	if (r) {
		strvec_free(&nv);
		return r;
	}
	strvec_free(&j->argv);
	j->argv = nv;
	kfree(j->script_path);
	j->script_path = name;
	struct file *f;
	if ((r = vfs_open_exec(AT_FDCWD, name, 0, &f)))
		return r;
	file_put(j->file);
	j->file = f;
	return 0;
}

/* F's first EXEC_HEAD bytes into HEAD, zeros past its end. */
static int read_head(struct file *f, uint8_t *head)
{
	memset(head, 0, EXEC_HEAD);
	long n = file_pread(f, head, EXEC_HEAD, 0);
	return n < 0 ? (int)n : 0;
}

/* Follow scripts to an ELF program and check it and its interpreter. */
static int resolve(struct exec_job *j)
{
	uint8_t head[EXEC_HEAD];
	int r;
	for (int depth = 0;; depth++) {
		if (depth > MAX_SCRIPT_DEPTH)
			return -ELOOP;
		if ((r = read_head(j->file, head)))
			return r;
		r = follow_script(j, (char *)head);
		if (r != -ENOEXEC) {
			if (r)
				return r;
			continue;
		}
		if ((r = elf_check(j->file, head, -ENOEXEC, false, &j->prog)))
			return r;
		break;
	}
	if (!j->prog.interp)
		return 0;
	struct file *f;
	if ((r = vfs_open_exec(AT_FDCWD, j->prog.interp, 0, &f)))
		return r;
	/* Linux reads exactly the interpreter's ELF header: a shorter file is EIO. */
	memset(head, 0, EXEC_HEAD);
	long n = file_pread(f, head, sizeof(Elf64_Ehdr), 0);
	r = n == sizeof(Elf64_Ehdr) ? elf_check(f, head, -ELIBBAD, true, &j->interp) : n < 0 ? (int)n : -EIO;
	file_put(f);
	return r;
}

/* Past the point of no return: nothing of the old program can come back. */
static __noreturn void fail_after(struct exec_job *j, const char *what, long err)
{
	kprintf("uninode: execve of %s: %s failed (error %ld) after the old program was gone: killed by SIGSEGV\n",
		j->filename, what, -err);
	signal_kill_process(SIGSEGV);
}

/* Replace the program: the caller's frame returns into the new one. */
static void commit(struct exec_job *j)
{
	struct thread *t = current();
	vm_unmap_all();
	fd_close_on_exec();
	signal_exec_reset(t);
	t->clear_child_tid = NULL;
	t->robust_list = t->robust_len = 0;
	t->fs_base = 0;
	arch_set_fs_base(0);
	/* The FPU's default state (fenv's too), loaded now: kernel code is not preempted. */
	fpu_init_area(t->fpu);
	fpu_restore(t->fpu);
	cred_exec(&t->cred);
	const char *exe = j->prog.f->path ? j->prog.f->path : j->filename;
	exec_set_identity(exe, j->fd_path ? exe : j->filename);

	struct loaded lp, li;
	int r = elf_map(&j->prog, false, &lp);
	if (r)
		fail_after(j, "mapping the program", r);
	if (j->prog.interp && (r = elf_map(&j->interp, true, &li)))
		fail_after(j, "mapping the program interpreter", r);
	long sp = exec_build_stack(&lp, j->prog.interp ? &li : NULL, j->prog.exec_stack, &j->argv, &j->envp, j->filename);
	if (sp < 0)
		fail_after(j, "mapping the stack", sp);
	struct intr_frame *f = t->uframe;
	memset(f, 0, sizeof *f);
	f->rip = j->prog.interp ? li.entry : lp.entry;
	f->rsp = (uint64_t)sp;
	f->rflags = 0x202;
	f->cs = 0x08;
	f->ss = 0x10;
	f->vector = (uint64_t)-1;
	t->uframe_restored = true;   /* every register from the frame: all zero, as Linux starts a program */
}

long k_execveat(int dirfd, const char *upath, char *const *uargv, char *const *uenvp, int flags)
{
	char *path;
	int r = get_path(upath, flags, &path);
	if (r)
		return r;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) {
		kfree(path);
		return -EINVAL;
	}
	struct exec_job *j = kzalloc(sizeof *j);
	if (!j) {
		kfree(path);
		return -ENOMEM;
	}
	r = vfs_open_exec(dirfd, path, flags, &j->file);
	if (!r) {
		/* Linux's alloc_bprm: a path relative to a descriptor is named through it. */
		size_t n = strlen(path) + 32;
		if (dirfd == AT_FDCWD || path[0] == '/') {
			j->filename = strdup(path);
		} else if ((j->filename = kmalloc(n))) {
			if (path[0])
				snprintf(j->filename, n, "/dev/fd/%d/%s", dirfd, path);
			else
				snprintf(j->filename, n, "/dev/fd/%d", dirfd);
			j->fd_path = true;
			j->path_inaccessible = fd_get_cloexec(dirfd) == 1;
		}
		j->script_path = j->filename ? strdup(j->filename) : NULL;
		if (!j->script_path)
			r = -ENOMEM;
	}
	kfree(path);
	if (!r)
		r = copy_args(j, uargv, uenvp);
	if (!r)
		r = resolve(j);
	if (!r && !threads_end_others())
		r = -EAGAIN;   /* another thread's execve is replacing the program: this thread ends on its way out */
	if (!r)
		commit(j);
	job_free(j);
	return r;
}

long sys_execve(const char *path, char *const argv[], char *const envp[])
{
	return k_execveat(AT_FDCWD, path, argv, envp, 0);
}

long sys_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	return k_execveat(dirfd, path, argv, envp, flags);
}
