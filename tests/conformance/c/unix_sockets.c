/* AF_UNIX sockets: stream sockets bound to paths in the directory given as
 * argv[1] (/tmp in the image) and in the abstract namespace, the socket file
 * they make, names, credentials, backlog, backpressure, shutdown and close,
 * readiness through poll and epoll, and datagram/seqpacket boundaries.
 * Prints only what Linux fixes (no paths, pids or buffer sizes). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case 0: return "ok";
	case EAGAIN: return "EAGAIN";
	case EADDRINUSE: return "EADDRINUSE";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EINVAL: return "EINVAL";
	case EISCONN: return "EISCONN";
	case ENOENT: return "ENOENT";
	case ENOTCONN: return "ENOTCONN";
	case ENXIO: return "ENXIO";
	case EPIPE: return "EPIPE";
	case EPROTOTYPE: return "EPROTOTYPE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EMSGSIZE: return "EMSGSIZE";
	case EPERM: return "EPERM";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* The errno name of a call's failure, or "ok"/the value. */
#define R(call) ({ errno = 0; long r_ = (long)(call); r_ < 0 ? ename(errno) : "ok"; })
#define V(call) ({ errno = 0; long r_ = (long)(call); r_ < 0 ? -errno : r_; })

static char dir[4096];
static struct sockaddr_un addr_of(const char *name, socklen_t *len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%.60s/%s", dir, name);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1);
	return a;
}

static struct sockaddr_un abstract(const char *tag, socklen_t *len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	/* pid-dependent so host runs do not collide, fixed width so lengths agree */
	int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "uninode-%s-%08x", tag, (unsigned)getpid());
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	return a;
}

static const char *events(int re)
{
	static char buf[80];
	snprintf(buf, sizeof buf, "%s%s%s%s%s", re & POLLIN ? "IN " : "", re & POLLOUT ? "OUT " : "",
		 re & POLLRDHUP ? "RDHUP " : "", re & POLLHUP ? "HUP " : "", re & POLLERR ? "ERR " : "");
	return buf[0] ? buf : "none";
}

static int revents(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static volatile int sigpipes;
static void on_sigpipe(int s) { (void)s; sigpipes++; }

static void names(void)
{
	printf("-- bind, the socket file, names\n");
	socklen_t len;
	struct sockaddr_un a = addr_of("s1.sock", &len);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	printf("listen before bind: %s\n", R(listen(l, 5)));
	printf("bind: %s\n", R(bind(l, (struct sockaddr *)&a, len)));
	printf("bind again: %s\n", R(bind(l, (struct sockaddr *)&a, len)));
	struct sockaddr_un got;
	socklen_t glen = sizeof got;
	getsockname(l, (struct sockaddr *)&got, &glen);
	printf("getsockname: len-path=%d same=%d\n", (int)(glen - strlen(a.sun_path)), !strcmp(got.sun_path, a.sun_path));
	struct stat st;
	const char *r = R(stat(a.sun_path, &st));
	printf("stat: %s sock=%d mode=%o size=%lld\n", r, S_ISSOCK(st.st_mode), st.st_mode & 0777, (long long)st.st_size);
	memset(&st, 0, sizeof st);
	r = R(lstat(a.sun_path, &st));
	printf("lstat: %s sock=%d\n", r, S_ISSOCK(st.st_mode));
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, "s1.sock"))
			printf("readdir: s1.sock type=%s\n", e->d_type == DT_SOCK ? "DT_SOCK" : "other");
	closedir(d);
	printf("open the socket file: %s\n", R(open(a.sun_path, O_RDWR)));
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("second bind to the path: %s\n", R(bind(other, (struct sockaddr *)&a, len)));
	socklen_t mlen;
	struct sockaddr_un missing = addr_of("no-such-dir/x.sock", &mlen);
	printf("bind in a missing directory: %s\n", R(bind(other, (struct sockaddr *)&missing, mlen)));
	struct sockaddr_un bad = a;
	bad.sun_family = AF_INET;
	printf("bind with AF_INET family: %s\n", R(bind(other, (struct sockaddr *)&bad, len)));
	printf("connect before listen: %s\n", R(connect(other, (struct sockaddr *)&a, len)));
	close(other);
	close(l);
	printf("connect after close: %s\n", R(connect(other = socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, len)));
	printf("unlink: %s\n", R(unlink(a.sun_path)));
	printf("stat after unlink: %s\n", R(stat(a.sun_path, &st)));
	printf("connect after unlink: %s\n", R(connect(other, (struct sockaddr *)&a, len)));
	int fd = open(a.sun_path, O_CREAT | O_WRONLY, 0644);
	close(fd);
	printf("connect to a regular file: %s\n", R(connect(other, (struct sockaddr *)&a, len)));
	unlink(a.sun_path);
	int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(dg, (struct sockaddr *)&a, len);
	printf("stream connect to a datagram socket: %s\n", R(connect(other, (struct sockaddr *)&a, len)));
	close(dg);
	unlink(a.sun_path);
	close(other);

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	printf("autobind: %s", R(bind(s, (struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path))));
	glen = sizeof got;
	getsockname(s, (struct sockaddr *)&got, &glen);
	printf(" len=%d abstract=%d\n", (int)glen, got.sun_path[0] == 0);
	close(s);
}

static void connection(void)
{
	printf("-- listen, connect, accept\n");
	const char *r;
	socklen_t len;
	struct sockaddr_un a = addr_of("s2.sock", &len);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&a, len);
	printf("listen: %s\n", R(listen(l, 5)));
	int v = -1;
	socklen_t vl = sizeof v;
	getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
	printf("SO_ACCEPTCONN=%d listener poll: %s\n", v, events(revents(l)));
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	struct ucred cr;
	socklen_t crl = sizeof cr;
	getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crl);
	printf("SO_PEERCRED unconnected: pid=%d uid=%d gid=%d\n", cr.pid, (int)cr.uid, (int)cr.gid);
	printf("unconnected poll: %s\n", events(revents(c)));
	printf("read unconnected: %s\n", R(read(c, &v, 1)));
	printf("connect: %s\n", R(connect(c, (struct sockaddr *)&a, len)));
	printf("connect again: %s\n", R(connect(c, (struct sockaddr *)&a, len)));
	printf("listener poll: %s\n", events(revents(l)));
	printf("write before accept: %s\n", R(write(c, "hello", 5)));
	struct sockaddr_un got;
	socklen_t glen = sizeof got;
	int s = accept4(l, (struct sockaddr *)&got, &glen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	printf("accept4: %s peer-len=%d nonblock=%d cloexec=%d\n", s < 0 ? ename(errno) : "ok", (int)glen,
	       !!(fcntl(s, F_GETFL) & O_NONBLOCK), !!(fcntl(s, F_GETFD) & FD_CLOEXEC));
	glen = sizeof got;
	getsockname(s, (struct sockaddr *)&got, &glen);
	printf("accepted getsockname: same=%d len-path=%d\n", !strcmp(got.sun_path, a.sun_path), (int)(glen - strlen(a.sun_path)));
	glen = sizeof got;
	getpeername(c, (struct sockaddr *)&got, &glen);
	printf("client getpeername: same=%d; ", !strcmp(got.sun_path, a.sun_path));
	glen = sizeof got;
	getsockname(c, (struct sockaddr *)&got, &glen);
	printf("client getsockname len=%d\n", (int)glen);
	crl = sizeof cr;
	getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crl);
	printf("SO_PEERCRED accepted: pid-ok=%d uid-ok=%d gid-ok=%d\n", cr.pid == getpid(), cr.uid == getuid(), cr.gid == getgid());
	crl = sizeof cr;
	getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crl);
	printf("SO_PEERCRED client: pid-ok=%d\n", cr.pid == getpid());
	char buf[64];
	printf("server poll: %s\n", events(revents(s)));
	char from[sizeof(struct sockaddr_un)];
	socklen_t fl = sizeof from;
	long n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)from, &fl);
	printf("recvfrom: %ld '%.*s' fromlen=%d\n", n, (int)n, buf, (int)fl);
	printf("read empty nonblocking: %s\n", R(read(s, buf, sizeof buf)));
	v = -1;
	vl = sizeof v;
	getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &vl);
	printf("SO_ERROR=%d\n", v);

	/* backpressure */
	fcntl(c, F_SETFL, O_NONBLOCK);
	long total = 0, w;
	static char chunk[4096];
	while ((w = write(c, chunk, sizeof chunk)) > 0)
		total += w;
	printf("fill: stopped with %s\n", ename(errno));
	printf("client POLLOUT=%d, server poll: %s\n", !!(revents(c) & POLLOUT), events(revents(s)));
	long drained = 0;
	while ((w = read(s, buf, sizeof buf)) > 0)
		drained += w;
	printf("drained all: %d, client poll: %s\n", drained == total, events(revents(c)));

	/* half close */
	printf("shutdown(SHUT_WR): %s\n", R(shutdown(c, SHUT_WR)));
	printf("server read after peer SHUT_WR: %ld\n", V(read(s, buf, sizeof buf)));
	printf("server poll: %s\n", events(revents(s)));
	printf("client write after SHUT_WR: %s\n", R(send(c, "x", 1, MSG_NOSIGNAL)));
	printf("server writes back: %s\n", R(write(s, "pong", 4)));
	printf("client reads %ld\n", V(read(c, buf, sizeof buf)));
	close(s);
	printf("client poll after peer close: %s\n", events(revents(c)));
	printf("client read after peer close: %ld\n", V(read(c, buf, sizeof buf)));
	r = R(send(c, "x", 1, MSG_NOSIGNAL));
	printf("send MSG_NOSIGNAL: %s, sigpipes=%d\n", r, sigpipes);
	r = R(write(c, "x", 1));
	printf("write: %s, sigpipes=%d\n", r, sigpipes);
	close(c);

	/* unread data at close resets the peer */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, len);
	s = accept(l, NULL, NULL);
	write(c, "unread", 6);
	close(s);
	printf("after close with unread data: poll %s\n", events(revents(c)));
	printf("read: %s\n", R(read(c, buf, sizeof buf)));
	printf("read again: %ld\n", V(read(c, buf, sizeof buf)));
	close(c);

	/* backlog: Linux queues backlog + 1, then EAGAIN for a non-blocking connect */
	close(l);
	unlink(a.sun_path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&a, len);
	listen(l, 1);
	int cs[4], ok = 0;
	for (int i = 0; i < 4; i++) {
		cs[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		int r = connect(cs[i], (struct sockaddr *)&a, len);
		if (r == 0)
			ok++;
		else
			printf("connect %d: %s\n", i, ename(errno));
	}
	printf("backlog 1: %d queued\n", ok);
	close(l);
	printf("queued client after listener close: read %s\n", R(read(cs[0], buf, sizeof buf)));
	for (int i = 0; i < 4; i++)
		close(cs[i]);
	unlink(a.sun_path);
}

static void abstract_ns(void)
{
	printf("-- abstract namespace\n");
	socklen_t len;
	struct sockaddr_un a = abstract("abs", &len);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("bind: %s\n", R(bind(l, (struct sockaddr *)&a, len)));
	printf("listen: %s\n", R(listen(l, 4)));
	int o = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("second bind: %s\n", R(bind(o, (struct sockaddr *)&a, len)));
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	printf("datagram bind to the same name: %s\n", R(bind(d, (struct sockaddr *)&a, len)));
	printf("connect one byte short: %s\n", R(connect(o, (struct sockaddr *)&a, len - 1)));
	printf("connect: %s\n", R(connect(o, (struct sockaddr *)&a, len)));
	struct sockaddr_un got;
	socklen_t glen = sizeof got;
	getsockname(l, (struct sockaddr *)&got, &glen);
	printf("getsockname: len-ok=%d same=%d\n", glen == len, !memcmp(&got, &a, len));
	int s = accept(l, NULL, NULL);
	glen = sizeof got;
	getpeername(o, (struct sockaddr *)&got, &glen);
	printf("getpeername: len-ok=%d same=%d\n", glen == len, !memcmp(&got, &a, len));
	char buf[8];
	write(o, "abc", 3);
	printf("read: %ld\n", V(read(s, buf, sizeof buf)));
	close(s);
	close(o);
	close(d);
	close(l);
	o = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("connect after close: %s\n", R(connect(o, (struct sockaddr *)&a, len)));
	close(o);
}

static void messages(int type, const char *name)
{
	printf("-- socketpair %s\n", name);
	int sv[2];
	printf("socketpair: %s\n", R(socketpair(AF_UNIX, type, 0, sv)));
	send(sv[0], "a", 1, 0);
	send(sv[0], "bb", 2, 0);
	send(sv[0], "ccc", 3, 0);
	send(sv[0], "", 0, 0);
	send(sv[0], "0123456789", 10, 0);
	send(sv[0], "0123456789", 10, 0);
	char buf[16];
	int fl = 0;
	socklen_t vl = sizeof fl;
	for (int i = 0; i < 4; i++)
		printf("recv %d: %ld\n", i, V(recv(sv[1], buf, sizeof buf, 0)));
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	long n = recvmsg(sv[1], &mh, 0);
	printf("short recvmsg: %ld '%.*s' MSG_TRUNC=%d\n", n, (int)n, buf, !!(mh.msg_flags & MSG_TRUNC));
	printf("recv with MSG_TRUNC into 2 bytes: %ld\n", V(recv(sv[1], buf, 2, MSG_TRUNC)));
	printf("recv empty: %s\n", R(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)));
	printf("poll: %s\n", events(revents(sv[0])));
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &fl, &vl);
	printf("SO_TYPE matches: %d\n", fl == type);
	long count = 0;
	while (send(sv[0], buf, 100, MSG_DONTWAIT) == 100)
		count++;
	printf("fill: %s (%s)\n", ename(errno), count > 10 ? "many" : "few");
	printf("writer POLLOUT=%d\n", !!(revents(sv[0]) & POLLOUT));
	long got = 0;
	while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC) == 100)
		got++;
	printf("all %s back\n", got == count ? "came" : "did not come");
	static char big[300000];
	printf("send too big: %s\n", R(send(sv[0], big, sizeof big, 0)));
	close(sv[1]);
	printf("after peer close: poll %s\n", events(revents(sv[0])));
	printf("send: %s\n", R(send(sv[0], "x", 1, MSG_NOSIGNAL)));
	printf("send again: %s\n", R(send(sv[0], "x", 1, MSG_NOSIGNAL)));
	if (type == SOCK_SEQPACKET)
		printf("recv: %ld\n", V(recv(sv[0], buf, sizeof buf, 0)));
	close(sv[0]);
}

static void dgram_paths(void)
{
	printf("-- datagrams to a path\n");
	socklen_t len, len2;
	struct sockaddr_un a = addr_of("d1.sock", &len), b = addr_of("d2.sock", &len2);
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	printf("bind: %s\n", R(bind(srv, (struct sockaddr *)&a, len)));
	int cl = socket(AF_UNIX, SOCK_DGRAM, 0);
	printf("sendto unnamed: %s\n", R(sendto(cl, "one", 3, 0, (struct sockaddr *)&a, len)));
	char buf[16];
	struct sockaddr_un from;
	socklen_t fl = sizeof from;
	long n = recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
	printf("recvfrom: %ld fromlen=%d\n", n, (int)fl);
	bind(cl, (struct sockaddr *)&b, len2);
	sendto(cl, "two", 3, 0, (struct sockaddr *)&a, len);
	fl = sizeof from;
	n = recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
	printf("recvfrom named: %ld from-ok=%d len-path=%d\n", n, !strcmp(from.sun_path, b.sun_path), (int)(fl - strlen(b.sun_path)));
	printf("send unconnected: %s\n", R(send(cl, "x", 1, 0)));
	printf("connect: %s\n", R(connect(cl, (struct sockaddr *)&a, len)));
	printf("send: %s\n", R(send(cl, "three", 5, 0)));
	printf("recv: %ld\n", V(recv(srv, buf, sizeof buf, 0)));
	printf("listen on a datagram socket: %s\n", R(listen(srv, 1)));
	close(srv);
	printf("send after the receiver closed: %s\n", R(send(cl, "x", 1, 0)));
	printf("sendto a closed name: %s\n", R(sendto(cl, "x", 1, 0, (struct sockaddr *)&a, len)));
	close(cl);
	unlink(a.sun_path);
	unlink(b.sun_path);
}

static void seqpacket_listen(void)
{
	printf("-- seqpacket over a path\n");
	socklen_t len;
	struct sockaddr_un a = addr_of("q.sock", &len);
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	bind(l, (struct sockaddr *)&a, len);
	printf("listen: %s\n", R(listen(l, 2)));
	int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	printf("send unconnected: %s\n", R(send(c, "x", 1, MSG_NOSIGNAL)));
	printf("connect: %s\n", R(connect(c, (struct sockaddr *)&a, len)));
	int s = accept(l, NULL, NULL);
	send(c, "first", 5, 0);
	send(c, "second", 6, 0);
	char buf[16];
	printf("recv: %ld\n", V(recv(s, buf, sizeof buf, 0)));
	printf("recv: %ld\n", V(recv(s, buf, sizeof buf, 0)));
	close(c);
	printf("recv after peer close: %ld\n", V(recv(s, buf, sizeof buf, 0)));
	close(s);
	close(l);
	unlink(a.sun_path);
}

/* Blocking paths: accept, connect on a full backlog, and a 1 MiB transfer
 * through the 64 KiB-ish buffers, all woken from another thread. */
static struct sockaddr_un big_addr;
static socklen_t big_len;
static int big_listener;

static void *server(void *arg)
{
	(void)arg;
	int s = accept(big_listener, NULL, NULL);
	static char buf[8192];
	unsigned long sum = 0, n = 0;
	long r;
	while ((r = read(s, buf, sizeof buf)) > 0) {
		for (long i = 0; i < r; i++)
			sum = sum * 31 + (unsigned char)buf[i];
		n += (unsigned long)r;
	}
	dprintf(s, "%lu %lx", n, sum);
	close(s);
	return NULL;
}

static void *late_accept(void *arg)
{
	usleep(100000);
	int s = accept(big_listener, NULL, NULL);
	*(int *)arg = s;
	return NULL;
}

static void blocking(void)
{
	printf("-- blocking\n");
	big_addr = addr_of("big.sock", &big_len);
	big_listener = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(big_listener, (struct sockaddr *)&big_addr, big_len);
	listen(big_listener, 0);
	pthread_t t;
	pthread_create(&t, NULL, server, NULL);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&big_addr, big_len);
	static char data[1 << 20];
	unsigned long sum = 0;
	for (size_t i = 0; i < sizeof data; i++) {
		data[i] = (char)(i * 7 + i / 4096);
		sum = sum * 31 + (unsigned char)data[i];
	}
	size_t off = 0;
	while (off < sizeof data) {
		long w = write(c, data + off, sizeof data - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(c, SHUT_WR);
	char reply[64] = "";
	long n = read(c, reply, sizeof reply - 1);
	char want[64];
	snprintf(want, sizeof want, "%zu %lx", sizeof data, sum);
	printf("1 MiB through the socket: %s\n", n > 0 && !strcmp(reply, want) ? "same bytes" : "differs");
	pthread_join(t, NULL);
	close(c);

	/* backlog 0 holds one connection; the next blocking connect waits for an accept */
	int q = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	printf("first connect: %s\n", R(connect(q, (struct sockaddr *)&big_addr, big_len)));
	int q2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	printf("second, non-blocking: %s\n", R(connect(q2, (struct sockaddr *)&big_addr, big_len)));
	int accepted = -1;
	pthread_create(&t, NULL, late_accept, &accepted);
	int q3 = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("blocking connect: %s\n", R(connect(q3, (struct sockaddr *)&big_addr, big_len)));
	pthread_join(t, NULL);
	printf("accepted: %d\n", accepted >= 0);

	/* epoll: a listener and a connection, edge-triggered */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = accepted };
	epoll_ctl(ep, EPOLL_CTL_ADD, accepted, &ev);
	struct epoll_event out[4];
	printf("epoll idle: %d\n", epoll_wait(ep, out, 4, 0));
	write(q, "ping", 4);
	int k = epoll_wait(ep, out, 4, 1000);
	printf("epoll after write: %d %s\n", k, k == 1 ? events((int)out[0].events) : "");
	close(q);
	k = epoll_wait(ep, out, 4, 1000);
	printf("epoll after close: %d %s\n", k, k == 1 ? events((int)out[0].events) : "");
	close(ep);
	close(accepted);
	close(q2);
	close(q3);
	close(big_listener);
	unlink(big_addr.sun_path);
}

int main(int argc, char **argv)
{
	snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "/tmp");
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	signal(SIGPIPE, on_sigpipe);
	names();
	connection();
	abstract_ns();
	messages(SOCK_DGRAM, "SOCK_DGRAM");
	messages(SOCK_SEQPACKET, "SOCK_SEQPACKET");
	dgram_paths();
	seqpacket_listen();
	blocking();
	return 0;
}
