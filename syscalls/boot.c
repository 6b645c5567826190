/* The first program: what /.uninode/boot names (with the kernel command
 * line's init=, env= and arg= applied), loaded by exec.c and entered in a
 * new app thread. */
#include "exec.h"
#include "arch.h"
#include "vfs.h"
#include "sched.h"
#include "proc.h"

#define MAX_ARGS 4096

struct boot_manifest {
	char *exec, *cwd;
	int argc, envc;
	/* How many leading argv entries arg= tokens leave in place (`fixedargs N`);
	 * -1 when the boot file predates the line: then all of them are kept. */
	int fixed_args;
	char *argv[MAX_ARGS], *envp[MAX_ARGS];
};

static struct boot_manifest bm;

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

/* Open PATH and check it as an ELF file (BAD: the error for one that is not). */
static int open_elf(const char *path, int bad, bool is_interp, struct elf_image *img)
{
	struct file *f;
	int r = vfs_open(path, 0, 0, &f);
	if (r)
		return r;
	uint8_t head[EXEC_HEAD] = { 0 };
	long n = file_pread(f, head, sizeof head, 0);
	r = n < 0 ? (int)n : elf_check(f, head, bad, is_interp, img);
	file_put(f);
	return r;
}

extern __noreturn void arch_enter_app(uint64_t rip, uint64_t rsp);
static vaddr_t start_ip, start_sp;

static void app_main(void *arg)
{
	arch_enter_app(start_ip, start_sp);
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
	if (bm.cwd && (r = k_chdir(bm.cwd)))
		kprintf("uninode: cannot change to %s (error %d)\n", bm.cwd, -r);

	struct elf_image prog, interp = { 0 };
	struct loaded lp, li;
	if ((r = open_elf(bm.exec, -ENOEXEC, false, &prog)))
		panic("cannot load %s (error %d)", bm.exec, -r);
	if (prog.interp && (r = open_elf(prog.interp, -ELIBBAD, true, &interp)))
		panic("cannot load the program interpreter %s (error %d)", prog.interp, -r);
	exec_set_identity(prog.f->path ? prog.f->path : bm.exec, bm.exec);
	if ((r = elf_map(&prog, false, &lp)) || (prog.interp && (r = elf_map(&interp, true, &li))))
		panic("cannot map %s (error %d)", bm.exec, -r);
	struct strvec argv = { 0 }, envp = { 0 };
	for (int i = 0; i < bm.argc; i++)
		if (strvec_push(&argv, bm.argv[i], strlen(bm.argv[i])))
			panic("no memory for the program's arguments");
	for (int i = 0; i < bm.envc; i++)
		if (strvec_push(&envp, bm.envp[i], strlen(bm.envp[i])))
			panic("no memory for the program's environment");
	long sp = exec_build_stack(&lp, prog.interp ? &li : NULL, prog.exec_stack, &argv, &envp, bm.exec);
	if (sp < 0)
		panic("cannot map the initial stack (error %ld)", -sp);
	start_sp = (vaddr_t)sp;
	start_ip = prog.interp ? li.entry : lp.entry;
	strvec_free(&argv);
	strvec_free(&envp);
	elf_image_free(&prog);
	elf_image_free(&interp);
	kfree(text);
	boot_mark("program loaded");
	struct thread *t = thread_create("main", app_main, NULL, true);
	if (!t)
		panic("cannot create the app thread");
	thread_start(t);
	/* The boot context has nothing more to do; it sleeps for good. */
	for (;;)
		sleep_until(0);
}
