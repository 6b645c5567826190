/* Credentials through their transitions, run as root: supplementary groups,
 * setregid/setfsgid, setresuid keeping a saved root (capabilities gone while
 * euid is not 0, back with it), setfsuid dropping the filesystem
 * capabilities, an execve that makes the saved ids the effective ones (and
 * so drops root for good), then what a process without capabilities may
 * and may not do; owners and modes of files each state creates, in a plain
 * and in a set-group-ID directory; SO_PEERCRED of a socketpair. DIR (argv[1]) is a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void status_ids(void)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (!strncmp(l, "Uid:", 4) || !strncmp(l, "Gid:", 4))
			printf("  %s\n", l);
}

static void ids(const char *when)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("%s: uid %u %u %u (getuid %u geteuid %u), gid %u %u %u (getgid %u getegid %u)\n", when, r, e, s, getuid(),
	       geteuid(), gr, ge, gs, getgid(), getegid());
	status_ids();
}

static void caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	syscall(SYS_capget, &h, d);
	printf("  capabilities: effective %s (CAP_CHOWN %d, CAP_SETUID %d), permitted %s\n",
	       d[0].effective || d[1].effective ? "some" : "none", !!(d[0].effective & (1u << CAP_CHOWN)),
	       !!(d[0].effective & (1u << CAP_SETUID)), d[0].permitted || d[1].permitted ? "some" : "none");
}

static void result(const char *what, int r)
{
	printf("  %-28s -> %d%s\n", what, r, r < 0 ? (errno == EPERM ? " EPERM" : errno == EINVAL ? " EINVAL" : " ?") : "");
}

static void made(const char *name)
{
	struct stat st;
	if (lstat(name, &st))
		printf("  %s: %s\n", name, strerror(errno));
	else
		printf("  %-10s owner %u:%u mode %04o\n", name, st.st_uid, st.st_gid, st.st_mode & 07777);
}

static void create(const char *name, int mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		printf("  create %s: %s\n", name, strerror(errno));
	close(fd);
	made(name);
}

static void stage_root(const char *dir)
{
	char own[4096];
	umask(0);
	/* A directory of its own each run, open to the uids it becomes. */
	snprintf(own, sizeof own, "%s/creds-XXXXXX", dir);
	if (!mkdtemp(own) || chmod(own, 0777) || chdir(own)) {
		perror(own);
		exit(1);
	}
	/* A copy of this program an unprivileged uid can run (DIR's parents may be closed to it). */
	int in = open("/proc/self/exe", O_RDONLY), out = open("creds-copy", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;)
		if (write(out, buf, n) != n)
			exit(1);
	close(in);
	close(out);
	mkdir("sg", 0777);
	chown("sg", 0, 66);
	chmod("sg", 02777);
	made("sg");
	ids("as started");
	caps();

	gid_t g[] = { 50, 10, 30 }, got[8];
	result("setgroups(50 10 30)", setgroups(3, g));
	int n = getgroups(0, NULL);
	printf("  getgroups(0) -> %d:", n);
	n = getgroups(8, got);
	for (int i = 0; i < n; i++)
		printf(" %u", got[i]);
	printf("\n");
	result("getgroups(1, ...)", getgroups(1, got));

	result("setregid(-1, 44)", setregid(-1, 44));
	printf("  setfsgid(55) -> %d\n", setfsgid(55));
	printf("  setfsgid(-1) -> %d\n", setfsgid(-1));
	ids("after setregid, setfsgid");
	create("f-fsgid55", 0644);

	result("setresuid(1000, 33, 0)", setresuid(1000, 33, 0));
	ids("euid 33, saved 0");
	caps();
	create("f-euid33", 0644);
	result("seteuid(0)", seteuid(0));
	caps();
	printf("  setfsuid(77) -> %d\n", setfsuid(77));
	caps();
	create("f-fsuid77", 0644);
	printf("  setfsuid(0) -> %d\n", setfsuid(0));
	caps();
	result("setresuid(1000, 33, 0)", setresuid(1000, 33, 0));
	fflush(stdout);
	char *argv[] = { "creds-copy", "after-exec", NULL };
	execve("./creds-copy", argv, (char *[]){ NULL });
	perror("execve");
	exit(1);
}

static void stage_exec(void)
{
	ids("after execve");
	caps();
	result("seteuid(0)", seteuid(0));
	result("setuid(0)", setuid(0));
	result("setresuid(-1, -1, 0)", setresuid(-1, -1, 0));
	result("seteuid(1000)", seteuid(1000));
	ids("euid back to the real uid");
	result("setuid(33)", setuid(33));
	ids("setuid(33), unprivileged");
	printf("  setfsuid(0) -> %d\n", setfsuid(0));
	printf("  setfsuid(-1) -> %d\n", setfsuid(-1));
	gid_t g[] = { 1 };
	result("setgroups(1)", setgroups(1, g));
	result("setgid(5)", setgid(5));
	result("setgid(0) (the real gid)", setgid(0));
	result("setregid(44, -1)", setregid(44, -1));
	ids("groups now");
	int sv[2];
	struct ucred uc;
	socklen_t ul = sizeof uc;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul);
	printf("  socketpair SO_PEERCRED: uid %u gid %u\n", uc.uid, uc.gid);
	create("f-33", 0644);
	create("sg/file", 0644);
	create("sg/gx", 02775);
	result("mkdir sg/dir", mkdir("sg/dir", 0755));
	made("sg/dir");
	result("symlink sym", symlink("f-33", "sym"));
	made("sym");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && !strcmp(argv[1], "after-exec"))
		stage_exec();
	else if (argc == 2)
		stage_root(argv[1]);
	else {
		fprintf(stderr, "usage: creds DIR\n");
		return 2;
	}
	return 0;
}
