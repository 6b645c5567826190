/* procfs on the host: the tree, the fd and task directories, and the text of
 * maps, stat, status, cmdline, meminfo and friends in Linux's formats,
 * against a made-up address space and thread list (shim.c). */
#include <string.h>
#include "test.h"
#undef USER_TOP    /* syscalls/fs.h and vm.h both name the end of app space */
#include "rump/include/vm.h"
#include "rump/include/mm.h"

/* Everything a read() loop gets from PATH (procfs files say size 0). */
static char *pread_all(const char *path, size_t *len, long *err)
{
	int fd = (int)sys_open(path, O_RDONLY, 0);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	size_t cap = 256, got = 0;
	char *b = malloc(cap);
	for (;;) {
		if (got + 100 > cap)
			b = realloc(b, cap *= 2);
		long r = sys_read(fd, b + got, 100);   /* small reads: the position must advance */
		if (r <= 0) {
			*err = r;
			break;
		}
		got += (size_t)r;
	}
	sys_close(fd);
	b[got] = 0;
	*len = got;
	return b;
}

static char *text(const char *path)
{
	size_t len;
	long err = 0;
	char *t = pread_all(path, &len, &err);
	CHECK(t && err == 0, "read %s: %ld", path, err);
	return t;
}

static long rlink(const char *path, char *buf, size_t n)
{
	long r = sys_readlink(path, buf, n - 1);
	buf[r > 0 ? r : 0] = 0;
	return r;
}

/* Names in directory PATH, space-separated, in getdents order. */
static void list_dir(const char *path, char *out, size_t n)
{
	int fd = (int)sys_open(path, O_RDONLY | O_DIRECTORY, 0);
	out[0] = 0;
	CHECK(fd >= 0, "open %s: %d", path, fd);
	char buf[512];
	long r;
	while ((r = sys_getdents64(fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
				strncat(out, d->d_name, n - strlen(out) - 2);
				strcat(out, " ");
			}
			off += d->d_reclen;
		}
	sys_close(fd);
}

static void test_proc_tree(void)
{
	char buf[4096];
	CHECK_EQ(rlink("/proc/self", buf, sizeof(buf)), 1);
	CHECK(!strcmp(buf, "1"), "self -> %s", buf);
	CHECK(rlink("/proc/self/exe", buf, sizeof(buf)) > 0 && !strcmp(buf, shim_exe_path), "exe -> %s", buf);
	CHECK(rlink("/proc/1/root", buf, sizeof(buf)) > 0 && !strcmp(buf, "/"), "root -> %s", buf);
	CHECK(rlink("/proc/thread-self", buf, sizeof(buf)) > 0 && !strcmp(buf, "1/task/1"), "thread-self -> %s", buf);
	list_dir("/proc", buf, sizeof(buf));
	CHECK(strstr(buf, "self ") && strstr(buf, "meminfo ") && strstr(buf, "1 ") && strstr(buf, "sys "), "/proc: %s", buf);
	struct kstat st, st2;
	CHECK_EQ(sys_stat("/proc/self/maps", &st), 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0444);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(sys_lstat("/proc/self/exe", &st), 0);
	CHECK_EQ(st.st_mode & S_IFMT, S_IFLNK);
	CHECK_EQ(sys_stat("/proc/1/task", &st), 0);
	CHECK_EQ(sys_stat("/proc/1/task/1/..", &st2), 0);
	CHECK_EQ(st.st_ino, st2.st_ino);
	CHECK_EQ(sys_stat("/proc/self/../self/fd", &st), 0);
	CHECK(S_ISDIR(st.st_mode), "fd is a directory");
	/* absent files are absent */
	CHECK_EQ(sys_open("/proc/self/cgroup", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sys_open("/proc/2/stat", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sys_open("/proc/self/task/01", O_RDONLY, 0), -ENOENT);
	CHECK_EQ(sys_open("/proc/meminfo", O_WRONLY, 0), -EACCES);
	CHECK_EQ(sys_open("/proc/newfile", O_CREAT | O_WRONLY, 0644), -EPERM);
	struct kstatfs sf;
	CHECK_EQ(sys_statfs("/proc/self", &sf), 0);
	CHECK_EQ(sf.f_type, 0x9fa0);
	char *t = text("/proc/sys/vm/overcommit_memory");
	CHECK(t && !strcmp(t, "0\n"), "overcommit_memory: %s", t);
	free(t);
	t = text("/proc/mounts");
	CHECK(t && strstr(t, "proc /proc proc rw 0 0\n") && strstr(t, "/dev/root / ext2 ro"), "mounts: %s", t);
	free(t);
}

static void test_proc_fds(void)
{
	char buf[4096], want[64];
	int fd = (int)sys_open("/a/b/../b/c/d/e/deep.txt", O_RDONLY, 0);
	CHECK(fd > 2, "open: %d", fd);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	CHECK(rlink(want, buf, sizeof(buf)) > 0 && !strcmp(buf, "/a/b/c/d/e/deep.txt"), "fd link -> %s", buf);
	char *t = text(want);                   /* through the link: the file again */
	CHECK(t && !strcmp(t, "deep\n"), "read through fd link: %s", t);
	free(t);
	CHECK(rlink("/proc/self/fd/1", buf, sizeof(buf)) > 0 && !strcmp(buf, "/dev/ttyS0"), "fd 1 -> %s", buf);
	CHECK(rlink("/dev/stdin", buf, sizeof(buf)) > 0 && !strcmp(buf, "/proc/self/fd/0"), "/dev/stdin -> %s", buf);
	struct kstat st;
	CHECK_EQ(sys_stat("/dev/stderr", &st), 0);
	CHECK_EQ(st.st_rdev, makedev64(4, 65));
	CHECK_EQ(sys_stat("/dev/fd/1", &st), 0);
	CHECK_EQ(st.st_rdev, makedev64(4, 64));
	list_dir("/proc/self/fd", buf, sizeof(buf));
	snprintf(want, sizeof(want), "0 1 2 %d ", fd);
	CHECK(!strncmp(buf, want, strlen(want)), "fd/: '%s', want '%s...'", buf, want);
	snprintf(want, sizeof(want), "/proc/self/fdinfo/%d", fd);
	t = text(want);
	CHECK(t && !strncmp(t, "pos:\t0\nflags:\t0100000\n", 22), "fdinfo: %s", t);
	free(t);
	sys_close(fd);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	CHECK_EQ(sys_readlink(want, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(sys_readlink("/proc/self/fd/999999", buf, sizeof(buf)), -ENOENT);
}

static void test_proc_maps(void)
{
	int fd = (int)sys_open("/hello.txt", O_RDONLY, 0);
	struct file *f = fd_file(fd);
	struct kstat st;
	sys_fstat(fd, &st);
	struct vma stack = { 0x7fffff7de000UL, 0x7ffffffde000UL, PROT_READ | PROT_WRITE, MAP_PRIVATE, NULL, 0, "[stack]", NULL };
	struct vma anon = { 0x7ffff7a00000UL, 0x7ffff7a21000UL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, NULL, &stack };
	struct vma heap = { 0x555555559000UL, 0x55555557a000UL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, "[heap]", &anon };
	struct vma code = { 0x555555555000UL, 0x555555556000UL, PROT_READ | PROT_EXEC, MAP_PRIVATE, f, 0x1000, NULL, &heap };
	shim_vmas = &code;
	char want[1024];
	snprintf(want, sizeof(want),
		 "555555555000-555555556000 r-xp 00001000 %02x:%02x %-26lu /hello.txt\n"
		 "555555559000-55555557a000 rw-p 00000000 00:00 0                          [heap]\n"
		 "7ffff7a00000-7ffff7a21000 rw-p 00000000 00:00 0 \n"
		 "7fffff7de000-7ffffffde000 rw-p 00000000 00:00 0                          [stack]\n",
		 dev_major(st.st_dev), dev_minor(st.st_dev), (unsigned long)st.st_ino);
	char *t = text("/proc/self/maps");
	CHECK(t && !strcmp(t, want), "maps:\n%s\nwant:\n%s", t, want);
	free(t);
	/* libuv's reading of stat: the 24th field is the RSS in pages */
	t = text("/proc/self/stat");
	int fields = 0;
	for (char *p = t; p && *p; p++)
		fields += *p == ' ' || *p == '\n';
	CHECK_EQ(fields, 52);
	CHECK(t && !strncmp(t, "1 (node) R 0 1 1 0 -1 ", 22), "stat: %s", t);
	char *s = t ? strrchr(t, ')') : NULL;
	for (int i = 0; s && i < 22; i++)
		s = strchr(s + 1, ' ');
	CHECK(s && strtol(s, NULL, 10) == (long)(frame_total() - frame_free_count()), "rss field: %s", s);
	free(t);
	t = text("/proc/self/status");
	CHECK(t && strstr(t, "Name:\tnode\n") && strstr(t, "Pid:\t1\n") && strstr(t, "Threads:\t1\n") &&
	      strstr(t, "VmStk:\t    8192 kB\n") && strstr(t, "VmExe:\t       0 kB\n"), "status: %s", t);
	free(t);
	t = text("/proc/self/statm");
	CHECK(t && !strncmp(t, "2115 ", 5), "statm: %s", t);
	free(t);
	shim_vmas = NULL;
	file_put(f);
	sys_close(fd);
}

static void test_proc_args(void)
{
	static char area[] = "node\0-e\0x\0PATH=/bin\0HOME=/\0";
	size_t args = 10, all = sizeof(area) - 1;
	struct vma v = { (uintptr_t)area, (uintptr_t)area + sizeof(area), PROT_READ, MAP_PRIVATE, NULL, 0, NULL, NULL };
	shim_vmas = &v;
	shim_arg[0] = (uintptr_t)area;
	shim_arg[1] = shim_arg[2] = (uintptr_t)area + args;
	shim_arg[3] = (uintptr_t)area + all;
	size_t len;
	long err = 0;
	char *t = pread_all("/proc/self/cmdline", &len, &err);
	CHECK(t && len == args && !memcmp(t, area, args), "cmdline (%zu bytes)", len);
	free(t);
	t = pread_all("/proc/self/environ", &len, &err);
	CHECK(t && len == all - args && !memcmp(t, area + args, len), "environ (%zu bytes)", len);
	free(t);
	/* setproctitle: the last NUL of argv overwritten, the title runs into envp */
	area[args - 1] = '!';
	t = pread_all("/proc/self/cmdline", &len, &err);
	CHECK(t && len == 4, "retitled cmdline: %zu bytes", len);
	free(t);
	memcpy(area, "a-long-title", 12);
	t = pread_all("/proc/self/cmdline", &len, &err);
	CHECK(t && len == 19 && !memcmp(t, "a-long-titleTH=/bin", 19), "cmdline into envp: %zu '%s'", len, t);
	free(t);
	shim_vmas = NULL;
	memset(shim_arg, 0, sizeof(shim_arg));
	t = pread_all("/proc/self/cmdline", &len, &err);
	CHECK(t && len == 0, "no program yet: %zu", len);
	free(t);
	t = text("/proc/self/comm");
	CHECK(t && !strcmp(t, "node\n"), "comm: %s", t);
	free(t);
}

static void test_proc_tasks(void)
{
	char buf[256];
	shim_tids[0] = 1;
	shim_tids[1] = 7;
	shim_tids[2] = 12;
	shim_ntids = 3;
	list_dir("/proc/self/task", buf, sizeof(buf));
	CHECK(!strcmp(buf, "1 7 12 "), "task/: '%s'", buf);
	struct kstat st;
	CHECK_EQ(sys_stat("/proc/self/task/7", &st), 0);
	CHECK_EQ(sys_stat("/proc/self/task/8", &st), -ENOENT);
	char *t = text("/proc/self/task/12/stat");
	CHECK(t && !strncmp(t, "12 (node) R ", 12), "task stat: %s", t);
	free(t);
	t = text("/proc/1/status");
	CHECK(t && strstr(t, "Threads:\t3\n"), "status threads: %s", t);
	free(t);
	t = text("/proc/loadavg");
	CHECK(t && !strcmp(t, "0.00 0.00 0.00 1/3 1\n"), "loadavg: %s", t);
	free(t);
	shim_ntids = 1;
}

static void test_proc_machine(void)
{
	char *t = text("/proc/meminfo");
	CHECK(t && !strncmp(t, "MemTotal:        1048576 kB\nMemFree:          524288 kB\nMemAvailable:  ", 71), "meminfo: %.80s", t);
	free(t);
	t = text("/proc/cpuinfo");
	CHECK(t && !strncmp(t, "processor\t: 0\nvendor_id\t: ", 26) && strstr(t, "\nmodel name\t: ") &&
	      strstr(t, "\ncpu MHz\t\t: 2400.000\n") && strstr(t, " fpu ") && strstr(t, "\n\n"), "cpuinfo: %s", t);
	free(t);
	t = text("/proc/stat");
	CHECK(t && !strncmp(t, "cpu  150 0 0 ", 13) && strstr(t, "\ncpu0 150 0 0 ") && strstr(t, "\nbtime "), "stat: %s", t);
	free(t);
	t = text("/proc/uptime");
	CHECK(t && strchr(t, '.') && t[strlen(t) - 1] == '\n', "uptime: %s", t);
	free(t);
	t = text("/proc/self/limits");
	CHECK(t && strstr(t, "Max open files            1024                 1024                 files     \n"), "limits: %s", t);
	free(t);
	t = text("/proc/diskstats");
	long reads = -1;
	CHECK(t && sscanf(t, " 254 0 vda %ld ", &reads) == 1 && reads > 0 && strstr(t, "\n 254      16 vdb "),
	      "diskstats: %s", t);
	free(t);
	t = text("/proc/sys/kernel/random/boot_id");
	char *again = text("/proc/sys/kernel/random/boot_id");
	CHECK(t && again && strlen(t) == 37 && !strcmp(t, again) && t[14] == '4', "boot_id: %s", t);
	free(t);
	free(again);
}

void suite_proc(void)
{
	RUN(test_proc_tree);
	RUN(test_proc_fds);
	RUN(test_proc_maps);
	RUN(test_proc_args);
	RUN(test_proc_tasks);
	RUN(test_proc_machine);
}
