/* How TCP connections end, as Linux reports it over loopback: a reader that
 * is not reading makes a nonblocking writer see EAGAIN and loses nothing; a
 * peer's FIN reads as end of file with POLLRDHUP; writing to a peer that has
 * gone gets EPIPE (MSG_NOSIGNAL: no SIGPIPE) once its RST is back; closing
 * with unread data, or with a zero linger, resets the connection
 * (ECONNRESET); connecting to a closed port is ECONNREFUSED, at once or
 * through SO_ERROR. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static const char *res(long r)
{
	static char buf[64];
	if (r >= 0)
		snprintf(buf, sizeof buf, "%ld", r);
	else
		snprintf(buf, sizeof buf, "-1 %s", strerror(errno));
	return buf;
}

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A connected pair over 127.0.0.1: *c the client, *s the server's end. */
static void pair(int *c, int *s)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof a;
	bind(l, (struct sockaddr *)&a, len);
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &len);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	connect(*c, (struct sockaddr *)&a, len);
	*s = accept(l, NULL, NULL);
	close(l);
}

/* Waits until FD reports one of EVENTS (or MS); returns what it reported. */
static int poll_ms(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	poll(&p, 1, ms);
	return p.revents;
}

static int wait_for(int fd, short events)
{
	return poll_ms(fd, events, 5000);
}

static void backpressure(void)
{
	int c, s;
	pair(&c, &s);
	fcntl(c, F_SETFL, O_NONBLOCK);
	static char buf[65536];
	memset(buf, 'x', sizeof buf);
	long sent = 0, n;
	while ((n = send(c, buf, sizeof buf, 0)) > 0)
		sent += n;
	printf("backpressure: full buffer says %s\n", n < 0 && errno == EAGAIN ? "EAGAIN" : res(n));
	printf("backpressure: POLLOUT while full: %s\n", poll_ms(c, POLLOUT, 0) & POLLOUT ? "yes" : "no");
	shutdown(c, SHUT_WR);
	long got = 0;
	while ((n = recv(s, buf, sizeof buf, 0)) > 0)
		got += n;
	printf("backpressure: everything sent arrived: %s\n", got == sent ? "yes" : "no");
	close(c);
	close(s);
}

static void fin_then_write(void)
{
	int c, s;
	pair(&c, &s);
	close(s);
	int ev = wait_for(c, POLLIN | POLLRDHUP);
	printf("fin: POLLIN %d POLLRDHUP %d\n", !!(ev & POLLIN), !!(ev & POLLRDHUP));
	char b;
	printf("fin: read %s\n", res(read(c, &b, 1)));
	printf("fin: first send %s\n", res(send(c, "a", 1, MSG_NOSIGNAL)));
	ev = wait_for(c, POLLERR | POLLHUP);
	printf("fin: after the RST POLLERR %d POLLHUP %d\n", !!(ev & POLLERR), !!(ev & POLLHUP));
	printf("fin: second send %s\n", res(send(c, "b", 1, MSG_NOSIGNAL)));
	printf("fin: third send %s\n", res(send(c, "c", 1, MSG_NOSIGNAL)));
	printf("fin: write (SIGPIPE) %s", res(write(c, "d", 1)));
	printf(", SIGPIPEs %d\n", (int)sigpipes);
	close(c);
}

static void unread_close(void)
{
	int c, s;
	pair(&c, &s);
	send(c, "unread", 6, 0);
	wait_for(s, POLLIN);
	close(s);                              /* with 6 bytes unread: a reset, not a FIN */
	int ev = wait_for(c, POLLERR | POLLHUP);
	printf("unread close: POLLERR %d POLLHUP %d\n", !!(ev & POLLERR), !!(ev & POLLHUP));
	char b[8];
	printf("unread close: recv %s\n", res(recv(c, b, sizeof b, 0)));
	printf("unread close: recv again %s\n", res(recv(c, b, sizeof b, 0)));
	close(c);
}

static void zero_linger(void)
{
	int c, s;
	pair(&c, &s);
	struct linger l = { 1, 0 };
	printf("linger: setsockopt %s\n", res(setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l)));
	close(s);
	wait_for(c, POLLERR | POLLHUP);
	char b;
	printf("linger: recv %s\n", res(recv(c, &b, 1, 0)));
	int err = -1;
	socklen_t el = sizeof err;
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el);
	printf("linger: SO_ERROR then %s\n", err ? strerror(err) : "0");
	close(c);
}

static void refused(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo(0);
	socklen_t len = sizeof a;
	bind(l, (struct sockaddr *)&a, len);
	getsockname(l, (struct sockaddr *)&a, &len);
	close(l);                              /* a port nobody listens on */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	printf("refused: blocking connect %s\n", res(connect(c, (struct sockaddr *)&a, len)));
	close(c);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	long r = connect(c, (struct sockaddr *)&a, len);
	printf("refused: nonblocking connect %s\n", r < 0 && errno == EINPROGRESS ? "EINPROGRESS" : res(r));
	int ev = wait_for(c, POLLOUT);
	int err = 0;
	socklen_t el = sizeof err;
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el);
	printf("refused: POLLERR %d, SO_ERROR %s\n", !!(ev & POLLERR), err ? strerror(err) : "0");
	close(c);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, on_sigpipe);
	backpressure();
	fin_then_write();
	unread_close();
	zero_linger();
	refused();
	return 0;
}
