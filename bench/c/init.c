/* The linux-microvm target's /init: the least a Linux guest needs to run one program the way
 * uninode does. Mounts /proc, /sys, /dev, /tmp and /run; loads the virtio modules listed in
 * /etc/bench/modules (the cloud kernel builds them as modules); brings up lo and, when the
 * kernel command line says `benchnet=ADDR/PREFIX,GATEWAY`, eth0 with that static address;
 * when it says `benchdisk=DEV:DIR` (the storage phase), mounts /dev/DEV as ext4 at DIR and
 * unmounts it after the program (so the next boot of the disk finds it clean); runs the program described by /etc/bench/boot (uninode's /.uninode/boot format: `exec`,
 * `arg`, `env`, `cwd` lines, values escaped C-style); waits for it and leaves QEMU through
 * isa-debug-exit with the program's status, as uninode does.
 *
 * Built with gcc -static by the bench; it never runs on the host. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ITEMS 256

static void say(const char *what, int err)
{
	fprintf(stderr, "bench-init: %s: %s\n", what, strerror(err));
}

/* Leave QEMU: isa-debug-exit makes it exit with (v << 1) | 1. Falls back to power-off. */
static void leave(int v)
{
	fflush(NULL);
	if (ioperm(0xf4, 4, 1) == 0)
		outl((unsigned)v, 0xf4);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void load_modules(void)
{
	FILE *f = fopen("/etc/bench/modules", "r");
	if (!f)
		return;
	char path[512];
	while (fgets(path, sizeof path, f)) {
		path[strcspn(path, "\n")] = 0;
		if (!path[0])
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say(path, errno);
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
			say(path, errno);
		close(fd);
	}
	fclose(f);
}

static int if_up(int s, const char *name)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int set_addr(int s, const char *name, unsigned long req, in_addr_t a)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
	return ioctl(s, req, &ifr) < 0 ? -errno : 0;
}

/* benchnet=10.0.2.15/24,10.0.2.2: eth0's address, prefix length and default gateway. */
static void network(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		say("socket", errno);
		return;
	}
	if (if_up(s, "lo") < 0)
		say("lo up", errno);
	const char *spec = getenv("benchnet");
	if (spec) {
		char buf[128];
		strncpy(buf, spec, sizeof buf - 1);
		buf[sizeof buf - 1] = 0;
		char *slash = strchr(buf, '/'), *comma = strchr(buf, ',');
		if (!slash || !comma) {
			fprintf(stderr, "bench-init: benchnet=%s is not ADDR/PREFIX,GATEWAY\n", spec);
		} else {
			*slash = 0;
			*comma = 0;
			int prefix = atoi(slash + 1);
			in_addr_t addr = inet_addr(buf), gw = inet_addr(comma + 1);
			in_addr_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
			int r;
			if ((r = set_addr(s, "eth0", SIOCSIFADDR, addr)) < 0)
				say("eth0 address", -r);
			if ((r = set_addr(s, "eth0", SIOCSIFNETMASK, mask)) < 0)
				say("eth0 netmask", -r);
			if ((r = if_up(s, "eth0")) < 0)
				say("eth0 up", -r);
			struct rtentry rt;
			memset(&rt, 0, sizeof rt);
			((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
			((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
			struct sockaddr_in *g = (struct sockaddr_in *)&rt.rt_gateway;
			g->sin_family = AF_INET;
			g->sin_addr.s_addr = gw;
			rt.rt_flags = RTF_UP | RTF_GATEWAY;
			if (ioctl(s, SIOCADDRT, &rt) < 0)
				say("default route", errno);
		}
	}
	close(s);
}

/* Creates DIR and any parents it lacks (an image need not hold a mount point's parents:
 * /var/lib/mysql in the MariaDB image). */
static void mkdir_p(const char *dir)
{
	char p[256];
	snprintf(p, sizeof p, "%s", dir);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		mkdir(p, 0755);
		*c = '/';
	}
	mkdir(p, 0755);
}

/* benchdisk=vda:/data: the volume the storage phase attached. The device node appears when
 * devtmpfs has seen the disk, which may be a moment after virtio_blk's load returns: retried
 * for at most 5 s. Returns the mount point, or NULL when there is none (or it failed). */
static const char *mount_disk(void)
{
	const char *spec = getenv("benchdisk");
	if (!spec)
		return NULL;
	static char dev[64], dir[256];
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof dev - 6 || strlen(colon + 1) >= sizeof dir) {
		fprintf(stderr, "bench-init: benchdisk=%s is not DEV:DIR\n", spec);
		leave(125);
	}
	snprintf(dev, sizeof dev, "/dev/%.*s", (int)(colon - spec), spec);
	snprintf(dir, sizeof dir, "%s", colon + 1);
	mkdir_p(dir);
	int err = 0;
	for (int i = 0; i < 250; i++) {
		if (mount(dev, dir, "ext4", 0, NULL) == 0)
			return dir;
		err = errno;
		if (err != ENOENT && err != ENXIO)
			break;
		usleep(20000);
	}
	say(dev, err);
	leave(125);
	return NULL;
}

/* Undoes the C-style escapes of the boot file (\\, \n, \t) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	/* uninode gives every program a tmpfs /run (mariadbd's socket and pid file live there). */
	mkdir("/run", 0755);
	mount("tmpfs", "/run", "tmpfs", 0, "mode=0755");
	mkdir("/dev/shm", 01777);
	mount("tmpfs", "/dev/shm", "tmpfs", 0, NULL);
	load_modules();
	network();
	const char *disk = mount_disk();

	static char *argv[MAX_ITEMS + 1], *envp[MAX_ITEMS + 1];
	int argc = 0, envc = 0;
	char *exec = NULL, *cwd = "/";
	FILE *f = fopen("/etc/bench/boot", "r");
	if (!f) {
		say("/etc/bench/boot", errno);
		leave(127);
	}
	static char line[65536];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = 0;
		char *v = strdup(sp + 1);
		unescape(v);
		if (!strcmp(line, "exec"))
			exec = v;
		else if (!strcmp(line, "arg") && argc < MAX_ITEMS)
			argv[argc++] = v;
		else if (!strcmp(line, "env") && envc < MAX_ITEMS)
			envp[envc++] = v;
		else if (!strcmp(line, "cwd"))
			cwd = v;
	}
	fclose(f);
	if (!exec || argc == 0) {
		fprintf(stderr, "bench-init: /etc/bench/boot names no program\n");
		leave(127);
	}

	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(cwd) < 0)
			say(cwd, errno);
		execve(exec, argv, envp);
		say(exec, errno);
		_exit(127);
	}
	int status = 0;
	for (;;) {
		pid_t w = wait(&status);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			leave(126);
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (disk && umount(disk) != 0) {
		say("umount", errno);
		if (code == 0)
			code = 124;
	}
	leave(code);
}
