/* execve in stages, each stage a new program image of this same file:
 * the errno of every synchronous failure (the caller carries on), then an
 * execve from a second thread while two others run, what the new image
 * keeps and loses (descriptors, signal dispositions, mask and pending set,
 * the alternate stack, the FPU environment, umask, cwd, threads, tid),
 * `#!` scripts (the interpreter is this program), scripts nested five deep,
 * an empty argv, and execveat of a descriptor. argv[1] is the stage;
 * DIR (argv[2], or $STAGE_DIR) is a scratch directory. With "memloop N",
 * it execs itself N times and reports the free memory before and after. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <dirent.h>
#include <elf.h>

extern char **environ;
static char self[4096];
static const char *dir;

static const char *ename(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EACCES: return "EACCES";
	case ENOEXEC: return "ENOEXEC";
	case ELOOP: return "ELOOP";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ELIBBAD: return "ELIBBAD";
	case EBADF: return "EBADF";
	case EIO: return "EIO";
	default: return strerror(e);
	}
}

static char *path(const char *name)
{
	static char buf[8][4096];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, sizeof buf[0], "%s/%s", dir, name);
	return b;
}

static void put(const char *name, const char *text, int mode)
{
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(name);
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

/* An execve that must fail: print its errno and carry on. */
static void fails(const char *what, const char *file, char *const *argv)
{
	char *env[] = { "X=1", NULL };
	errno = 0;
	long r = syscall(SYS_execve, file, argv, env);
	printf("%-44s -> %ld %s; still here\n", what, r, ename(errno));
}

/* A minimal ELF header + program headers: PT_INTERP naming INTERP (if any), one PT_LOAD. */
static void put_elf(const char *name, unsigned machine, const char *interp)
{
	unsigned char b[512] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x400000;
	eh->e_phoff = sizeof *eh;
	eh->e_ehsize = sizeof *eh;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + sizeof *eh);
	size_t at = sizeof *eh + 2 * sizeof *ph;
	ph[0].p_type = interp ? PT_INTERP : PT_NOTE;
	ph[0].p_offset = at;
	ph[0].p_filesz = interp ? strlen(interp) + 1 : 0;
	if (interp)
		strcpy((char *)b + at, interp);
	ph[1].p_type = PT_LOAD;
	ph[1].p_vaddr = 0x400000;
	ph[1].p_filesz = ph[1].p_memsz = sizeof b;
	ph[1].p_flags = PF_R | PF_X;
	ph[1].p_align = 4096;
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, b, sizeof b) != sizeof b)
		exit(1);
	close(fd);
}

static void sync_failures(void)
{
	char *argv[] = { "x", NULL };
	put("plain", "just text\n", 0644);
	put("garbage", "just text\n", 0755);
	put("long-garbage", "text that is longer than an ELF header, which is sixty-four bytes long\n", 0755);
	put("empty", "", 0755);
	put("blank-script", "#!   \n", 0755);
	put("no-interp", "#!/nonexistent/interp\n", 0755);
	char line[4200];
	snprintf(line, sizeof line, "#!%s\n", path("garbage"));
	put("text-interp", line, 0755);
	put_elf("elf-arch", 0x1234, NULL);
	put_elf("elf-interp-missing", EM_X86_64, "/nonexistent/ld.so");
	put_elf("elf-interp-short", EM_X86_64, path("garbage"));
	put_elf("elf-interp-text", EM_X86_64, path("long-garbage"));
	unlink(path("loop1"));
	unlink(path("loop2"));
	symlink("loop2", path("loop1"));
	symlink("loop1", path("loop2"));
	/* six scripts, each the interpreter of the one before: one too many */
	for (int i = 0; i < 6; i++) {
		char name[16], next[16];
		snprintf(name, sizeof name, "deep%d", i);
		snprintf(next, sizeof next, "deep%d", i + 1);
		snprintf(line, sizeof line, "#!%s\n", i < 5 ? path(next) : self);
		put(name, line, 0755);
	}

	fails("missing file", path("missing"), argv);
	fails("a file as a directory", path("plain/x"), argv);
	fails("a directory", dir, argv);
	fails("no execute bit", path("plain"), argv);
	fails("text without #!", path("garbage"), argv);
	fails("empty file", path("empty"), argv);
	fails("#! and only blanks", path("blank-script"), argv);
	fails("#! naming a missing interpreter", path("no-interp"), argv);
	fails("#! naming a text file", path("text-interp"), argv);
	fails("ELF for another machine", path("elf-arch"), argv);
	fails("ELF whose PT_INTERP is missing", path("elf-interp-missing"), argv);
	fails("ELF whose PT_INTERP is shorter than a header", path("elf-interp-short"), argv);
	fails("ELF whose PT_INTERP is text", path("elf-interp-text"), argv);
	fails("symlink loop", path("loop1"), argv);
	fails("scripts nested six deep", path("deep0"), argv);
	static char longpath[5000];
	memset(longpath, 'a', sizeof longpath - 1);
	fails("path longer than PATH_MAX", longpath, argv);
	char longname[300];
	memset(longname, 'b', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	fails("component longer than NAME_MAX", path(longname), argv);
	fails("NULL path", NULL, argv);
	char *kernel_ptr[] = { "x", (char *)0xffff800000001000UL, NULL };
	fails("argv string in kernel memory", self, kernel_ptr);
	static char big[32 * 4096 + 1];
	memset(big, 'c', 32 * 4096);
	char *one_big[] = { "x", big, NULL };
	fails("one string of 128 KiB", self, one_big);
	big[32 * 4096 - 1] = 0;
	char *many[40];
	many[0] = "x";
	for (int i = 1; i < 39; i++)
		many[i] = big;   /* 38 x 128 KiB: more than a quarter of the 8 MiB stack limit */
	many[39] = NULL;
	fails("arguments over a quarter of the stack", self, many);

	errno = 0;
	long r = syscall(SYS_execveat, AT_FDCWD, self, argv, environ, 0x8000);
	printf("%-44s -> %ld %s; still here\n", "execveat with an unknown flag", r, ename(errno));
	unlink(path("selflink"));
	symlink(self, path("selflink"));
	errno = 0;
	r = syscall(SYS_execveat, AT_FDCWD, path("selflink"), argv, environ, AT_SYMLINK_NOFOLLOW);
	printf("%-44s -> %ld %s; still here\n", "execveat of a symlink, NOFOLLOW", r, ename(errno));
	errno = 0;
	r = syscall(SYS_execveat, AT_FDCWD, "", argv, environ, 0);
	printf("%-44s -> %ld %s; still here\n", "execveat of \"\" without AT_EMPTY_PATH", r, ename(errno));
	errno = 0;
	r = syscall(SYS_execveat, 999, "", argv, environ, AT_EMPTY_PATH);
	printf("%-44s -> %ld %s; still here\n", "execveat of a closed descriptor", r, ename(errno));
}

static void on_usr1(int sig) { (void)sig; }

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int spin_started;

static void *spinner(void *arg)
{
	spin_started = 1;
	for (volatile unsigned long i = 0;; i++)
		;
	return arg;
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&cv, &mu);
	return arg;
}

static char stage2_args[4][64];

static void *execer(void *arg)
{
	char *argv[] = { "first-arg0", "stage2", (char *)dir, stage2_args[0], stage2_args[1], stage2_args[2], NULL };
	char *env[] = { "A=1", "B=two words", "EMPTY=", NULL };
	fesetround(FE_UPWARD);   /* the new program starts with the default FPU environment */
	execve(self, argv, env);
	perror("execve from a thread");
	exit(1);
	return arg;
}

static void stage1(void)
{
	printf("stage 1: synchronous failures\n");
	sync_failures();
	int keep = open(path("keep"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(keep, "0123456789", 10);
	lseek(keep, 5, SEEK_SET);
	int lose = open(path("lose"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGINT);    /* pending for the process, and blocked, across execve */
	static char alt[65536];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
	sigaltstack(&ss, NULL);
	umask(027);
	chdir(dir);
	snprintf(stage2_args[0], sizeof stage2_args[0], "%d", keep);
	snprintf(stage2_args[1], sizeof stage2_args[1], "%d", lose);
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	for (int i = 0; i < 8; i++)
		sprintf(stage2_args[2] + 2 * i, "%02x", rnd[i]);
	pthread_t a, b, c;
	pthread_create(&a, NULL, spinner, NULL);
	pthread_create(&b, NULL, waiter, NULL);
	while (!spin_started)
		usleep(1000);
	printf("stage 1: execve from a second thread, two others running\n");
	fflush(stdout);
	pthread_create(&c, NULL, execer, NULL);
	pthread_join(c, NULL);
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void print_comm(void)
{
	char comm[64] = "";
	int fd = open("/proc/self/comm", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof comm - 1) : -1;
	if (n > 0)
		comm[n - 1] = 0;
	close(fd);
	printf("  comm: %s\n", comm);
}

/* Does /proc/self/cmdline hold exactly ARGV? */
static int cmdline_is(int argc, char **argv)
{
	static char buf[65536];
	int fd = open("/proc/self/cmdline", O_RDONLY);
	ssize_t n = 0, r;
	while (fd >= 0 && (r = read(fd, buf + n, sizeof buf - n)) > 0)
		n += r;
	close(fd);
	ssize_t at = 0;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (at + (ssize_t)l > n || memcmp(buf + at, argv[i], l))
			return 0;
		at += l;
	}
	return at == n;
}

static void stage2(int argc, char **argv)
{
	printf("stage 2: the new image\n  argc %d:", argc);
	for (int i = 0; i < argc; i++)
		printf(" [%s]", i == 2 ? "DIR" : i >= 3 ? "." : argv[i]);
	printf("\n  env:");
	for (char **e = environ; *e; e++)
		printf(" [%s]", *e);
	printf("\n");
	int keep = atoi(argv[3]), lose = atoi(argv[4]);
	printf("  kept fd open: %d, offset %ld\n", fcntl(keep, F_GETFD) >= 0, (long)lseek(keep, 0, SEEK_CUR));
	errno = 0;
	int r = fcntl(lose, F_GETFD);
	printf("  close-on-exec fd: %d %s\n", r, ename(errno));
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	printf("  SIGUSR1 (was handled): %s, flags %#x\n", sa.sa_handler == SIG_DFL ? "SIG_DFL" : "other", (unsigned)sa.sa_flags);
	sigaction(SIGUSR2, NULL, &sa);
	printf("  SIGUSR2 (was ignored): %s, flags %#x\n", sa.sa_handler == SIG_IGN ? "SIG_IGN" : "other", (unsigned)sa.sa_flags);
	sigset_t set;
	sigprocmask(SIG_SETMASK, NULL, &set);
	printf("  SIGINT blocked: %d", sigismember(&set, SIGINT));
	sigpending(&set);
	printf(", pending: %d\n", sigismember(&set, SIGINT));
	stack_t ss;
	sigaltstack(NULL, &ss);
	printf("  alternate stack disabled: %d\n", (ss.ss_flags & SS_DISABLE) != 0);
	printf("  rounding mode is the default: %d\n", fegetround() == FE_TONEAREST);
	mode_t m = umask(0);
	printf("  umask %03o\n", (unsigned)m);
	char cwd[4096];
	printf("  cwd kept: %d\n", getcwd(cwd, sizeof cwd) && !strcmp(cwd, argv[2]));
	printf("  threads: %d, tid is the pid: %d\n", count_tasks(), (int)syscall(SYS_gettid) == getpid());
	printf("  AT_EXECFN is the path: %d\n", !strcmp((const char *)getauxval(AT_EXECFN), self));
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	char hex[17];
	for (int i = 0; i < 8; i++)
		sprintf(hex + 2 * i, "%02x", rnd[i]);
	printf("  AT_RANDOM fresh: %d\n", strcmp(hex, argv[5]) != 0);
	printf("  cmdline is argv: %d\n", cmdline_is(argc, argv));
	print_comm();

	/* On to a script whose interpreter is this program. */
	char line[4200];
	snprintf(line, sizeof line, "#!%s  script-arg  two\n", self);
	put("script.sh", line, 0755);
	char *sargv[] = { "lost-arg0", "x", "y z", NULL };
	char *env[] = { "STAGE_DIR=", NULL };
	static char envdir[4200];
	snprintf(envdir, sizeof envdir, "STAGE_DIR=%s", dir);
	env[0] = envdir;
	execve(path("script.sh"), sargv, env);
	perror("execve script");
	exit(1);
}

static void stage3(int argc, char **argv)
{
	printf("stage 3: a #! script\n  argc %d:", argc);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", i == 2 ? (strcmp(argv[2], path("script.sh")) ? "?" : "DIR/script.sh") : argv[i]);
	printf("\n  argv[0] is the interpreter: %d\n", !strcmp(argv[0], self));
	printf("  AT_EXECFN is the script: %d\n", !strcmp((const char *)getauxval(AT_EXECFN), path("script.sh")));
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	printf("  /proc/self/exe is the interpreter: %d\n", !strcmp(exe, self));
	print_comm();
	/* Five scripts deep: deep1 .. deep5 (deep5's interpreter is this program). */
	char *dargv[] = { "x", "last", NULL };
	execve(path("deep1"), dargv, environ);
	perror("execve deep1");
	exit(1);
}

static void stage4(int argc, char **argv)
{
	printf("stage 4: scripts nested five deep\n  argc %d:", argc);
	for (int i = 1; i < argc; i++) {
		const char *s = strrchr(argv[i], '/');
		printf(" [%s]", s ? s + 1 : argv[i]);
	}
	printf("\n");
	print_comm();
	char *none[] = { NULL };
	execve(self, none, environ);
	perror("execve with no argv");
	exit(1);
}

static void stage5(int argc, char **argv)
{
	printf("stage 5: an empty argv\n  argc %d, argv[0] \"%s\"\n", argc, argv[0]);
	int fd = open(self, O_PATH);
	char *fargv[] = { "fexec-arg0", "fexec", NULL };
	syscall(SYS_execveat, fd, "", fargv, environ, AT_EMPTY_PATH);
	perror("execveat");
	exit(1);
}

static void stage6(int argc, char **argv)
{
	printf("stage 6: execveat of a descriptor\n  argc %d: [%s] [%s]\n", argc, argv[0], argv[1]);
	const char *fn = (const char *)getauxval(AT_EXECFN);
	printf("  AT_EXECFN: %.8s\n", fn);
	print_comm();
	printf("done\n");
}

static long mem_free_kb(void)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	const char *p = strstr(buf, "MemFree:");
	return p ? atol(p + 8) : -1;
}

/* memloop N [FREE_KB]: exec this program N more times. */
static void memloop(int argc, char **argv)
{
	int left = atoi(argv[2]);
	char first[32], n[32];
	if (argc < 4)
		snprintf(first, sizeof first, "%ld", mem_free_kb());
	else
		snprintf(first, sizeof first, "%s", argv[3]);
	if (!left) {
		printf("free before %s kB, after %ld kB\n", first, mem_free_kb());
		return;
	}
	snprintf(n, sizeof n, "%d", left - 1);
	char *nargv[] = { argv[0], "memloop", n, first, NULL };
	execve(self, nargv, environ);
	perror("execve");
	exit(1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	dir = getenv("STAGE_DIR");
	if (argc >= 2 && !strcmp(argv[1], "memloop"))
		memloop(argc, argv);
	else if (argc >= 3 && !strcmp(argv[1], "stage2")) {
		dir = argv[2];
		stage2(argc, argv);
	}
	else if (argc >= 2 && !strcmp(argv[1], "script-arg  two"))
		stage3(argc, argv);
	else if (argc >= 2 && strstr(argv[1], "deep5"))
		stage4(argc, argv);
	else if (argc == 1 && !argv[0][0])
		stage5(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "fexec"))
		stage6(argc, argv);
	else if (argc == 2) {
		static char own[4096];
		snprintf(own, sizeof own, "%s/execve-stages", argv[1]);
		mkdir(own, 0755);
		dir = own;
		stage1();
	} else {
		fprintf(stderr, "usage: execve_stages DIR | memloop N\n");
		return 2;
	}
	return 0;
}
