/* Advisory locks in the directory argv[1] (/tmp in the image): flock(2)
 * owned by open file descriptions, OFD record locks (two opens conflict,
 * F_OFD_GETLK's answers, range splitting and merging, a blocked F_OFD_SETLKW
 * freed by another thread), POSIX record locks (the process's own never
 * conflict; any close of the file drops them), and a blocked flock that a
 * signal interrupts. Prints results only (no pids, no inode numbers). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static char path[4096];

static const char *res(long r)
{
	if (r >= 0)
		return "0";
	switch (errno) {
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EINTR: return "EINTR";
	case EOVERFLOW: return "EOVERFLOW";
	default: return strerror(errno);
	}
}

static const char *tname(int t)
{
	return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "?";
}

static int setlk(int fd, int cmd, int type, off_t start, off_t len)
{
	struct flock l = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &l);
}

/* Print what F_(OFD_)GETLK says about [start, start+len). */
static void getlk(const char *what, int fd, int cmd, int type, off_t start, off_t len)
{
	struct flock l = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	int r = fcntl(fd, cmd, &l);
	printf("%s: %s", what, res(r));
	if (!r) {
		printf(" %s", tname(l.l_type));
		if (l.l_type != F_UNLCK)
			printf(" whence=%d start=%ld len=%ld pid=%s", l.l_whence, (long)l.l_start, (long)l.l_len,
			       l.l_pid == -1 ? "-1" : l.l_pid == getpid() ? "self" : "other");
	}
	printf("\n");
}

static int opn(int flags)
{
	return open(path, flags);
}

static void flocks(void)
{
	int a = opn(O_RDWR), b = opn(O_RDONLY), a2 = dup(a);
	printf("flock EX a: %s\n", res(flock(a, LOCK_EX | LOCK_NB)));
	printf("flock EX a again: %s\n", res(flock(a, LOCK_EX | LOCK_NB)));
	printf("flock EX through a dup: %s\n", res(flock(a2, LOCK_EX | LOCK_NB)));
	int r = flock(b, LOCK_SH | LOCK_NB);
	printf("flock SH second open: %s EWOULDBLOCK: %d\n", res(r), r && errno == EWOULDBLOCK);
	printf("flock bad op: %s\n", res(flock(b, 0)));
	printf("flock LOCK_SH|LOCK_EX: %s\n", res(flock(b, LOCK_SH | LOCK_EX)));
	printf("flock bad fd: %s\n", res(flock(999, LOCK_SH)));
	printf("flock LOCK_MAND, bad fd: %s\n", res(flock(999, 32 | LOCK_SH)));
	getlk("record locks do not see flock", b, F_OFD_GETLK, F_RDLCK, 0, 0);
	printf("downgrade a: %s\n", res(flock(a, LOCK_SH | LOCK_NB)));
	printf("SH b: %s\n", res(flock(b, LOCK_SH | LOCK_NB)));
	printf("upgrade a while b shares: %s\n", res(flock(a, LOCK_EX | LOCK_NB)));
	printf("upgrade b (a's lock went with the failed upgrade): %s\n", res(flock(b, LOCK_EX | LOCK_NB)));
	printf("unlock b: %s\n", res(flock(b, LOCK_UN)));
	printf("unlock b again: %s\n", res(flock(b, LOCK_UN)));
	printf("EX a: %s\n", res(flock(a, LOCK_EX | LOCK_NB)));
	close(a);
	printf("a closed, a2 open: b EX %s\n", res(flock(b, LOCK_EX | LOCK_NB)));
	close(a2);
	printf("a2 closed: b EX %s\n", res(flock(b, LOCK_EX | LOCK_NB)));
	int p = open(path, O_PATH);
	printf("flock O_PATH: %s\n", res(flock(p, LOCK_SH)));
	close(p);
	close(b);
}

static void ofd(void)
{
	int a = opn(O_RDWR), b = opn(O_RDWR), ro = opn(O_RDONLY), wo = opn(O_WRONLY);
	printf("OFD WR a [0,100): %s\n", res(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 100)));
	printf("OFD RD b [50,60): %s\n", res(setlk(b, F_OFD_SETLK, F_RDLCK, 50, 10)));
	getlk("getlk b RD [99,104)", b, F_OFD_GETLK, F_RDLCK, 99, 5);
	getlk("getlk b RD [100,105)", b, F_OFD_GETLK, F_RDLCK, 100, 5);
	getlk("getlk a itself", a, F_OFD_GETLK, F_WRLCK, 0, 0);
	printf("unlock a [40,60): %s\n", res(setlk(a, F_OFD_SETLK, F_UNLCK, 40, 20)));
	printf("WR b [40,60): %s\n", res(setlk(b, F_OFD_SETLK, F_WRLCK, 40, 20)));
	getlk("left piece", ro, F_OFD_GETLK, F_WRLCK, 0, 40);
	getlk("b's piece", ro, F_OFD_GETLK, F_WRLCK, 45, 1);
	getlk("right piece", ro, F_OFD_GETLK, F_WRLCK, 60, 100);
	printf("a over b's piece: %s\n", res(setlk(a, F_OFD_SETLK, F_WRLCK, 40, 20)));
	printf("unlock b all: %s\n", res(setlk(b, F_OFD_SETLK, F_UNLCK, 0, 0)));
	printf("a fills the gap: %s\n", res(setlk(a, F_OFD_SETLK, F_WRLCK, 40, 20)));
	getlk("merged", ro, F_OFD_GETLK, F_RDLCK, 0, 0);
	printf("a RD in the middle: %s\n", res(setlk(a, F_OFD_SETLK, F_RDLCK, 30, 10)));
	printf("b RD [30,40): %s\n", res(setlk(b, F_OFD_SETLK, F_RDLCK, 30, 10)));
	getlk("b WR [0,200)", b, F_OFD_GETLK, F_WRLCK, 0, 200);
	getlk("b WR [35,36)", b, F_OFD_GETLK, F_WRLCK, 35, 1);
	printf("a to EOF from 200: %s\n", res(setlk(a, F_OFD_SETLK, F_WRLCK, 200, 0)));
	getlk("beyond", b, F_OFD_GETLK, F_RDLCK, 1000000, 1);
	setlk(b, F_OFD_SETLK, F_UNLCK, 0, 0);
	setlk(a, F_OFD_SETLK, F_UNLCK, 0, 0);
	/* whence and negative lengths */
	struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_END, .l_start = -5, .l_len = 2 };
	write(b, "0123456789", 10);
	printf("SEEK_END RD: %s\n", res(fcntl(b, F_OFD_SETLK, &l)));
	lseek(b, 3, SEEK_SET);
	l = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_CUR, .l_start = 100, .l_len = -20 };
	printf("SEEK_CUR negative len: %s\n", res(fcntl(b, F_OFD_SETLK, &l)));
	l = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_CUR, .l_start = 0, .l_len = -20 };
	printf("negative len before 0: %s\n", res(fcntl(b, F_OFD_SETLK, &l)));
	getlk("a sees b's SEEK_END lock", a, F_OFD_GETLK, F_WRLCK, 0, 10);
	getlk("a sees b's SEEK_CUR lock", a, F_OFD_GETLK, F_WRLCK, 10, 1000);
	/* argument errors */
	l = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 7 };
	printf("l_pid set: %s\n", res(fcntl(a, F_OFD_SETLK, &l)));
	printf("l_pid set getlk: %s\n", res(fcntl(a, F_OFD_GETLK, &l)));
	l = (struct flock){ .l_type = 9, .l_whence = SEEK_SET };
	printf("bad type: %s\n", res(fcntl(a, F_OFD_SETLK, &l)));
	l = (struct flock){ .l_type = F_RDLCK, .l_whence = 3 };
	printf("bad whence: %s\n", res(fcntl(a, F_OFD_SETLK, &l)));
	l = (struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_SET };
	printf("F_GETLK F_UNLCK: %s\n", res(fcntl(a, F_GETLK, &l)));
	getlk("F_OFD_GETLK F_UNLCK: b's own", b, F_OFD_GETLK, F_UNLCK, 0, 0);
	getlk("F_OFD_GETLK F_UNLCK: a has none", a, F_OFD_GETLK, F_UNLCK, 0, 0);
	getlk("F_OFD_GETLK F_UNLCK: b's, elsewhere", b, F_OFD_GETLK, F_UNLCK, 20, 5);
	printf("negative start: %s\n", res(setlk(a, F_OFD_SETLK, F_RDLCK, -1, 1)));
	printf("overflow: %s\n", res(setlk(a, F_OFD_SETLK, F_RDLCK, 0x7fffffffffffff00, 0x1000)));
	printf("WR on read-only: %s\n", res(setlk(ro, F_OFD_SETLK, F_WRLCK, 0, 1)));
	printf("RD on write-only: %s\n", res(setlk(wo, F_OFD_SETLK, F_RDLCK, 0, 1)));
	printf("UN on read-only: %s\n", res(setlk(ro, F_OFD_SETLK, F_UNLCK, 0, 1)));
	printf("bad fd: %s\n", res(setlk(999, F_OFD_SETLK, F_RDLCK, 0, 1)));
	int p = open(path, O_PATH);
	printf("O_PATH: %s\n", res(setlk(p, F_OFD_SETLK, F_RDLCK, 0, 1)));
	close(p);
	/* the last close of a description drops its locks */
	setlk(b, F_OFD_SETLK, F_UNLCK, 0, 0);
	printf("a WR [0,10): %s\n", res(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10)));
	int a2 = dup(a);
	close(a);
	getlk("after close, a dup open", ro, F_OFD_GETLK, F_RDLCK, 0, 0);
	close(a2);
	getlk("after the last close", ro, F_OFD_GETLK, F_RDLCK, 0, 0);
	close(b); close(ro); close(wo);
}

static void posix(void)
{
	int a = opn(O_RDWR), b = opn(O_RDWR), c = opn(O_RDWR);
	printf("POSIX WR a [0,10): %s\n", res(setlk(a, F_SETLK, F_WRLCK, 0, 10)));
	printf("POSIX WR b [5,15) same process: %s\n", res(setlk(b, F_SETLK, F_WRLCK, 5, 10)));
	getlk("F_GETLK own locks", c, F_GETLK, F_WRLCK, 0, 0);
	getlk("OFD view of POSIX locks", c, F_OFD_GETLK, F_RDLCK, 0, 0);
	printf("OFD RD c: %s\n", res(setlk(c, F_OFD_SETLK, F_RDLCK, 12, 1)));
	printf("POSIX RD in the middle: %s\n", res(setlk(a, F_SETLK, F_RDLCK, 3, 2)));
	getlk("OFD view after split", c, F_OFD_GETLK, F_WRLCK, 0, 4);
	getlk("OFD view of the read piece", c, F_OFD_GETLK, F_WRLCK, 3, 1);
	printf("OFD RD c at 4: %s\n", res(setlk(c, F_OFD_SETLK, F_RDLCK, 4, 1)));
	setlk(c, F_OFD_SETLK, F_WRLCK, 100, 10);
	getlk("POSIX sees an OFD lock", a, F_GETLK, F_WRLCK, 100, 1);
	printf("POSIX over an OFD lock: %s\n", res(setlk(a, F_SETLK, F_RDLCK, 105, 1)));
	setlk(c, F_OFD_SETLK, F_UNLCK, 0, 0);
	int other = open("/proc/self/status", O_RDONLY);
	close(other);
	getlk("after closing another file", c, F_OFD_GETLK, F_RDLCK, 0, 0);
	int d = opn(O_RDONLY);
	close(d);
	getlk("after closing an fd of the file", c, F_OFD_GETLK, F_RDLCK, 0, 0);
	printf("POSIX again: %s\n", res(setlk(a, F_SETLK, F_WRLCK, 0, 0)));
	d = dup(b);
	dup2(c, d);                          /* replacing an fd closes it: POSIX locks go */
	getlk("after dup2 over an fd", c, F_OFD_GETLK, F_RDLCK, 0, 0);
	close(d);
	close(a); close(b); close(c);
}

static int blocker_fd;

static void *release_later(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	printf("thread: unlocking\n");
	setlk(blocker_fd, F_OFD_SETLK, F_UNLCK, 0, 0);
	return NULL;
}

static void *flock_later(void *arg)
{
	(void)arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	printf("thread: flock unlocking\n");
	flock(blocker_fd, LOCK_UN);
	return NULL;
}

static void *signal_later(void *arg)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	printf("thread: signalling\n");
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

static volatile int handled;
static void on_usr1(int s)
{
	(void)s;
	handled = 1;
}

static void blocking(void)
{
	int a = opn(O_RDWR), b = opn(O_RDWR);
	blocker_fd = a;
	setlk(a, F_OFD_SETLK, F_WRLCK, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, release_later, NULL);
	printf("F_OFD_SETLKW waits: %s\n", res(setlk(b, F_OFD_SETLKW, F_WRLCK, 10, 1)));
	pthread_join(t, NULL);
	getlk("b holds", a, F_OFD_GETLK, F_RDLCK, 0, 0);
	setlk(b, F_OFD_SETLK, F_UNLCK, 0, 0);

	flock(a, LOCK_EX);
	pthread_create(&t, NULL, flock_later, NULL);
	printf("flock waits: %s\n", res(flock(b, LOCK_SH)));
	pthread_join(t, NULL);
	flock(b, LOCK_UN);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;            /* no SA_RESTART: the wait ends with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t self = pthread_self();
	flock(a, LOCK_EX);
	pthread_create(&t, NULL, signal_later, &self);
	int r = flock(b, LOCK_EX);
	printf("flock interrupted: %s handled=%d\n", res(r), handled);
	pthread_join(t, NULL);
	handled = 0;
	setlk(a, F_OFD_SETLK, F_WRLCK, 0, 0);
	pthread_create(&t, NULL, signal_later, &self);
	r = setlk(b, F_OFD_SETLKW, F_RDLCK, 0, 1);
	printf("F_OFD_SETLKW interrupted: %s handled=%d\n", res(r), handled);
	pthread_join(t, NULL);
	close(a); close(b);
}

int main(int argc, char **argv)
{
	snprintf(path, sizeof path, "%s/conf-locks", argc > 1 ? argv[1] : "/tmp");
	setvbuf(stdout, NULL, _IONBF, 0);
	close(open(path, O_CREAT | O_RDWR | O_TRUNC, 0644));
	flocks();
	ofd();
	posix();
	blocking();
	unlink(path);
	return 0;
}
