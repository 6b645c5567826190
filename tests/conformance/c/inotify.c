/* inotify: every event kind, the queue rules and the errors, on watches in
 * the directory given as argv[1] (/tmp in the image). Events are printed one
 * per line: wd, mask names, whether the cookie is 0, the same as the last
 * non-zero one or new, and the name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/sendfile.h>
#include <pthread.h>
#include <unistd.h>

static char base[2048];
static uint32_t last_cookie;

static const char *p(const char *name)
{
	static char buf[8][4096];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof buf[k], "%s/%s", base, name);
	return buf[k];
}

static void masks(uint32_t m, char *out)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ IN_ACCESS, "ACCESS" }, { IN_MODIFY, "MODIFY" }, { IN_ATTRIB, "ATTRIB" },
		{ IN_CLOSE_WRITE, "CLOSE_WRITE" }, { IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" }, { IN_OPEN, "OPEN" },
		{ IN_MOVED_FROM, "MOVED_FROM" }, { IN_MOVED_TO, "MOVED_TO" }, { IN_CREATE, "CREATE" },
		{ IN_DELETE, "DELETE" }, { IN_DELETE_SELF, "DELETE_SELF" }, { IN_MOVE_SELF, "MOVE_SELF" },
		{ IN_UNMOUNT, "UNMOUNT" }, { IN_Q_OVERFLOW, "Q_OVERFLOW" }, { IN_IGNORED, "IGNORED" },
		{ IN_ISDIR, "ISDIR" },
	};
	out[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (m & names[i].bit) {
			if (out[0])
				strcat(out, "|");
			strcat(out, names[i].name);
			m &= ~names[i].bit;
		}
	if (m)
		sprintf(out + strlen(out), "|0x%x", m);
}

/* Print every queued event (the fd is non-blocking). */
static void drain(int fd, const char *what)
{
	char buf[65536] __attribute__((aligned(8)));
	printf("-- %s\n", what);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno != EAGAIN)
				printf("read: %s\n", strerror(errno));
			return;
		}
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)q;
			char m[256];
			masks(e->mask, m);
			const char *ck = "0";
			if (e->cookie) {
				ck = e->cookie == last_cookie ? "same" : "new";
				last_cookie = e->cookie;
			}
			printf("wd=%d %s cookie=%s len=%u name=%s\n", e->wd, m, ck, e->len, e->len ? e->name : "");
			q += sizeof *e + e->len;
		}
	}
}

static void result(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: ok %ld\n", what, r);
}

static void touch(const char *path, int flags)
{
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return;
	}
	close(fd);
}

static void put(const char *path, int flags, const char *data)
{
	int fd = open(path, flags, 0644);
	if (write(fd, data, strlen(data)) < 0)
		printf("write: %s\n", strerror(errno));
	close(fd);
}

/* A file opened before its directory is watched still reports to it. */
static void opened_before(void)
{
	printf("== a file opened before its directory was watched\n");
	int fd = inotify_init1(IN_NONBLOCK);
	mkdir(p("pre"), 0755);
	int f = open(p("pre/early"), O_CREAT | O_WRONLY, 0644);
	inotify_add_watch(fd, p("pre"), IN_ALL_EVENTS);
	write(f, "x", 1);
	close(f);
	drain(fd, "write and close");
	unlink(p("pre/early"));
	rmdir(p("pre"));
	drain(fd, "unlink, rmdir");
	close(fd);
}

static void *later(void *arg)
{
	usleep(200 * 1000);
	touch(p("late"), O_CREAT | O_WRONLY);
	return arg;
}

/* A blocking read waits for the first event. */
static void blocking(void)
{
	printf("== a blocking read\n");
	int fd = inotify_init();
	inotify_add_watch(fd, base, IN_CREATE);
	pthread_t t;
	pthread_create(&t, NULL, later, NULL);
	char buf[256] __attribute__((aligned(8)));
	ssize_t n = read(fd, buf, sizeof buf);
	struct inotify_event *e = (struct inotify_event *)buf;
	printf("read %zd: mask=%x name=%s\n", n, e->mask, n > 0 ? e->name : "");
	pthread_join(t, NULL);
	unlink(p("late"));
	close(fd);
}

#define CHURN 2000

static void *churn(void *arg)
{
	char name[64];
	for (int i = 0; i < CHURN; i++) {
		snprintf(name, sizeof name, "churn%d", i);
		touch(p(name), O_CREAT | O_WRONLY);
		unlink(p(name));
	}
	return arg;
}

/* Files made and removed by one thread while another reads the events,
 * blocking: every one arrives, in order. */
static void concurrent(void)
{
	printf("== a reader and a writer\n");
	int fd = inotify_init();
	inotify_add_watch(fd, base, IN_CREATE | IN_DELETE);
	pthread_t t;
	pthread_create(&t, NULL, churn, NULL);
	int creates = 0, deletes = 0, in_order = 1;
	char buf[4096] __attribute__((aligned(8)));
	while (deletes < CHURN) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0) {
			printf("read: %zd %s\n", n, strerror(errno));
			break;
		}
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)q;
			char want[64];
			snprintf(want, sizeof want, "churn%d", e->mask & IN_CREATE ? creates : deletes);
			in_order &= !strcmp(e->name, want) && (e->mask & IN_CREATE ? creates == deletes : creates == deletes + 1);
			if (e->mask & IN_CREATE)
				creates++;
			else
				deletes++;
			q += sizeof *e + e->len;
		}
	}
	pthread_join(t, NULL);
	printf("creates %d deletes %d in order %d\n", creates, deletes, in_order);
	close(fd);
}

static void errors(void)
{
	printf("== errors\n");
	result("init1 bad flags", inotify_init1(0x1234));
	int fd = inotify_init1(IN_NONBLOCK);
	result("add bad fd", inotify_add_watch(999, base, IN_MODIFY));
	result("add not inotify", inotify_add_watch(1, base, IN_MODIFY));
	result("add empty mask", inotify_add_watch(fd, base, 0));
	result("add add+create", inotify_add_watch(fd, base, IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
	result("add missing", inotify_add_watch(fd, p("missing"), IN_MODIFY));
	result("add empty path", inotify_add_watch(fd, "", IN_MODIFY));
	touch(p("plain"), O_CREAT | O_WRONLY);
	result("add onlydir on file", inotify_add_watch(fd, p("plain"), IN_MODIFY | IN_ONLYDIR));
	result("add below a file", inotify_add_watch(fd, p("plain/x"), IN_MODIFY));
	result("rm unknown wd", inotify_rm_watch(fd, 999));
	result("rm bad fd", inotify_rm_watch(999, 1));
	result("rm not inotify", inotify_rm_watch(1, 1));
	result("write to inotify", write(fd, "x", 1));
	result("lseek on inotify", lseek(fd, 100, SEEK_SET));
	char one;
	result("pread on inotify", pread(fd, &one, 1, 0));
	/* Masks without events: accepted when they hold any bit inotify knows (Linux's ALL_INOTIFY_BITS). */
	static const unsigned flag_only[] = { IN_ONESHOT, 0x10000, IN_ISDIR, IN_DONT_FOLLOW, IN_IGNORED, IN_MASK_ADD, 0x8000000 };
	for (size_t i = 0; i < sizeof flag_only / sizeof flag_only[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "add mask 0x%x", flag_only[i]);
		result(what, inotify_add_watch(fd, base, flag_only[i]));
	}
	unlink(p("plain"));
	close(fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(base, sizeof base, "%s/ino", argc > 1 ? argv[1] : "/tmp");
	/* argv[1] itself: /tmp in the image is a mount's root */
	int top = inotify_init1(IN_NONBLOCK);
	inotify_add_watch(top, argc > 1 ? argv[1] : "/tmp", IN_CREATE | IN_DELETE);
	mkdir(base, 0755);
	errors();
	opened_before();
	blocking();
	concurrent();

	printf("== instance\n");
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	printf("cloexec=%d nonblock=%d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	char fdlink[64], target[256] = "";
	snprintf(fdlink, sizeof fdlink, "/proc/self/fd/%d", fd);
	ssize_t tl = readlink(fdlink, target, sizeof target - 1);
	target[tl > 0 ? tl : 0] = 0;
	printf("fd link: %s\n", target);
	char one[64];
	result("read empty", read(fd, one, sizeof one));
	FILE *lim = fopen("/proc/sys/fs/inotify/max_user_watches", "r");
	long watches = 0;
	if (lim && fscanf(lim, "%ld", &watches) == 1)
		printf("max_user_watches at least 8192: %d\n", watches >= 8192);
	if (lim)
		fclose(lim);

	printf("== a watched directory\n");
	int wd = inotify_add_watch(fd, base, IN_ALL_EVENTS);
	printf("dir wd=%d again=%d\n", wd, inotify_add_watch(fd, base, IN_ALL_EVENTS));
	int f = open(p("a"), O_CREAT | O_WRONLY, 0644);
	write(f, "one", 3);
	write(f, "two", 3);                 /* merged with the last MODIFY */
	close(f);
	drain(fd, "create, write twice, close");

	int wf = inotify_add_watch(fd, p("a"), IN_ALL_EVENTS);
	printf("file wd=%d\n", wf);
	f = open(p("a"), O_RDONLY);
	char buf[16];
	read(f, buf, sizeof buf);
	read(f, buf, sizeof buf);           /* end of file: no event */
	close(f);
	drain(fd, "open, read, close");
	chmod(p("a"), 0600);
	drain(fd, "chmod");
	utimensat(AT_FDCWD, p("a"), NULL, 0);
	struct timespec t[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	utimensat(AT_FDCWD, p("a"), t, 0);
	t[0].tv_nsec = UTIME_NOW;
	t[1].tv_nsec = UTIME_OMIT;
	utimensat(AT_FDCWD, p("a"), t, 0);
	t[0].tv_nsec = UTIME_OMIT;
	utimensat(AT_FDCWD, p("a"), t, 0);
	drain(fd, "utimensat: both, mtime only, atime only, neither");
	truncate(p("a"), 1);
	f = open(p("a"), O_WRONLY | O_TRUNC);
	int queued = -1;
	ioctl(fd, FIONREAD, &queued);
	printf("FIONREAD=%d\n", queued);
	struct pollfd pf = { fd, POLLIN, 0 };
	int ready = poll(&pf, 1, 0);
	printf("poll: %d revents=%x\n", ready, pf.revents);
	close(f);
	drain(fd, "truncate, open O_TRUNC, close");
	pf.revents = 0;
	ready = poll(&pf, 1, 0);
	printf("poll after drain: %d revents=%x\n", ready, pf.revents);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("epoll idle: %d\n", epoll_wait(ep, &ev, 1, 0));
	put(p("a"), O_WRONLY | O_APPEND, "x");
	printf("epoll after a write: %d data=%u\n", epoll_wait(ep, &ev, 1, 1000), ev.data.u32);
	close(ep);
	drain(fd, "append");
	put(p("new"), O_CREAT | O_EXCL | O_WRONLY | O_TRUNC, "n");
	unlink(p("new"));
	drain(fd, "O_CREAT|O_TRUNC making a file, write, unlink");
	f = open(p("a"), O_PATH);
	struct stat st;
	fstat(f, &st);
	close(f);
	drain(fd, "O_PATH open, fstat, close: nothing");
	f = open(p("a"), O_RDWR);
	pwrite(f, "p", 1, 0);
	pread(f, buf, 1, 0);
	struct iovec iov[2] = { { "v", 1 }, { "w", 1 } };
	writev(f, iov, 2);
	ftruncate(f, 2);
	fchmod(f, 0644);
	close(f);
	drain(fd, "pwrite, pread, writev, ftruncate, fchmod through one descriptor");
	f = open(p("a"), O_RDONLY);
	int out = open(p("copy"), O_CREAT | O_WRONLY, 0644);
	off_t from = 0;
	result("sendfile", sendfile(out, f, &from, 1 << 20));
	close(f);
	close(out);
	unlink(p("copy"));
	drain(fd, "sendfile a to copy");

	printf("== reads that do not fit\n");
	touch(p("a-long-name-for-the-size-check"), O_CREAT | O_WRONLY);
	result("read 16 bytes", read(fd, buf, 16));
	result("read 0 bytes", read(fd, buf, 0));
	drain(fd, "create with a long name");
	unlink(p("a-long-name-for-the-size-check"));
	drain(fd, "unlink it");

	printf("== directories\n");
	mkdir(p("sub"), 0755);
	DIR *d = opendir(base);
	while (readdir(d))
		;
	closedir(d);
	chmod(p("sub"), 0700);
	chmod(base, 0700);
	drain(fd, "mkdir, list the watched directory, chmod sub and it");
	int ws = inotify_add_watch(fd, p("sub"), IN_ALL_EVENTS);
	rename(p("a"), p("sub/a"));
	drain(fd, "move a into sub");
	rename(p("sub/a"), p("a"));
	drain(fd, "and back");
	printf("sub wd=%d\n", ws);
	mkdir(p("sub2"), 0755);
	int ws2 = inotify_add_watch(fd, p("sub2"), IN_ALL_EVENTS);
	printf("sub2 wd=%d\n", ws2);
	rename(p("sub2"), p("sub3"));
	rmdir(p("sub3"));
	drain(fd, "rename a watched directory, remove it");
	rmdir(p("sub"));
	drain(fd, "rmdir a watched directory");

	printf("== links\n");
	symlink("a", p("sym"));
	link(p("a"), p("hard"));
	unlink(p("hard"));
	drain(fd, "symlink, link, unlink the link");
	/* O_TMPFILE is left out: Linux names its events in the directory "#<inode number>". */
	result("mknod a FIFO", mknod(p("fifo"), S_IFIFO | 0644, 0));
	unlink(p("fifo"));
	drain(fd, "mknod, unlink");
	int wl = inotify_add_watch(fd, p("sym"), IN_ALL_EVENTS | IN_DONT_FOLLOW);
	printf("watch on the symlink itself: new wd %d, following it: %d\n", wl != wf, inotify_add_watch(fd, p("sym"), IN_ALL_EVENTS) == wf);
	unlink(p("sym"));
	drain(fd, "unlink the watched symlink");

	printf("== renames\n");
	rename(p("a"), p("b"));
	drain(fd, "rename a watched file");
	touch(p("c"), O_CREAT | O_WRONLY);
	drain(fd, "create c");
	rename(p("c"), p("b"));
	drain(fd, "rename c over the watched b");
	int wb = inotify_add_watch(fd, p("b"), IN_ALL_EVENTS);
	unlink(p("b"));
	drain(fd, "unlink a watched file");

	printf("== unlinked while open\n");
	f = open(p("open"), O_CREAT | O_RDWR, 0644);
	int wo = inotify_add_watch(fd, p("open"), IN_ALL_EVENTS);
	unlink(p("open"));
	write(f, "still", 5);
	drain(fd, "unlink an open watched file, write to it");
	close(f);
	drain(fd, "close it");
	printf("wds b=%d open=%d\n", wb, wo);

	printf("== IN_EXCL_UNLINK\n");
	int fx = inotify_init1(IN_NONBLOCK);
	inotify_add_watch(fx, base, IN_ALL_EVENTS | IN_EXCL_UNLINK);
	f = open(p("gone"), O_CREAT | O_RDWR, 0644);
	unlink(p("gone"));
	write(f, "x", 1);
	close(f);
	drain(fx, "write to an unlinked file");
	close(fx);

	printf("== watch flags\n");
	touch(p("m"), O_CREAT | O_WRONLY);
	int wm = inotify_add_watch(fd, p("m"), IN_MODIFY);
	printf("add IN_ATTRIB with IN_MASK_ADD: same wd %d\n", inotify_add_watch(fd, p("m"), IN_ATTRIB | IN_MASK_ADD) == wm);
	result("IN_MASK_CREATE on a watched inode", inotify_add_watch(fd, p("m"), IN_ATTRIB | IN_MASK_CREATE));
	inotify_rm_watch(fd, wd);
	drain(fd, "the directory watch removed");
	put(p("m"), O_WRONLY, "1");
	chmod(p("m"), 0600);
	drain(fd, "modify and chmod with the merged mask");
	inotify_add_watch(fd, p("m"), IN_ATTRIB);
	put(p("m"), O_WRONLY, "2");
	chmod(p("m"), 0644);
	drain(fd, "the mask replaced: only IN_ATTRIB");
	inotify_add_watch(fd, p("m"), IN_MODIFY | IN_ONESHOT);
	put(p("m"), O_WRONLY, "3");
	put(p("m"), O_WRONLY, "4");
	drain(fd, "IN_ONESHOT");
	result("rm the one-shot watch", inotify_rm_watch(fd, wm));
	int wm2 = inotify_add_watch(fd, p("m"), IN_MODIFY);
	printf("a new watch gets a new wd: %d\n", wm2 > wm);
	result("rm it", inotify_rm_watch(fd, wm2));
	result("rm it again", inotify_rm_watch(fd, wm2));
	drain(fd, "rm_watch");
	unlink(p("m"));

	printf("== overflow\n");
	int fo = inotify_init1(IN_NONBLOCK);
	touch(p("o"), O_CREAT | O_WRONLY);
	inotify_add_watch(fo, p("o"), IN_OPEN | IN_CLOSE);
	long max = 0;
	lim = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	if (!lim || fscanf(lim, "%ld", &max) != 1)
		printf("max_queued_events unreadable\n");
	if (lim)
		fclose(lim);
	for (long i = 0; i < max / 2 + 10; i++)
		touch(p("o"), O_RDONLY);
	long events = 0, overflow = 0, last_wd = 0;
	char big[65536] __attribute__((aligned(8)));
	for (ssize_t n; (n = read(fo, big, sizeof big)) > 0;)
		for (char *q = big; q < big + n; events++) {
			struct inotify_event *e = (struct inotify_event *)q;
			overflow += (e->mask & IN_Q_OVERFLOW) != 0;
			last_wd = e->wd;
			q += sizeof *e + e->len;
		}
	printf("events == max_queued_events + 1: %d, overflow events %ld, its wd %ld\n", events == max + 1, overflow, last_wd);
	touch(p("o"), O_RDONLY);
	drain(fo, "after the overflow was read");
	close(fo);
	unlink(p("o"));

	printf("== exchange\n");
	fd = inotify_init1(IN_NONBLOCK);
	touch(p("x"), O_CREAT | O_WRONLY);
	mkdir(p("y"), 0755);
	inotify_add_watch(fd, base, IN_MOVE);
	inotify_add_watch(fd, p("x"), IN_MOVE_SELF);
	inotify_add_watch(fd, p("y"), IN_MOVE_SELF);
	result("renameat2 RENAME_EXCHANGE", renameat2(AT_FDCWD, p("x"), AT_FDCWD, p("y"), RENAME_EXCHANGE));
	drain(fd, "x and y exchanged");
	unlink(p("y"));
	rmdir(p("x"));
	close(fd);

	rmdir(base);
	drain(top, "the directory given, watched from the start");
	return 0;
}
