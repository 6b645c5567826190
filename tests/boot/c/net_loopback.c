#define _GNU_SOURCE
/* A server talking to itself over 127.0.0.1 and ::1 (TCP and UDP), and a
 * socketpair: everything a single process can check without the outside. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d %s errno=%d (%s)\n", __FILE__, __LINE__, #c, errno, strerror(errno)); exit(1); } } while (0)

static void pump(int a, int b, size_t total)
{
	/* a sends TOTAL bytes of a pattern, b receives and checks them; non-blocking, one thread. */
	char *out = malloc(65536), *in = malloc(65536);
	for (int i = 0; i < 65536; i++)
		out[i] = (char)(i * 7 + 3);
	size_t sent = 0, got = 0;
	fcntl(a, F_SETFL, O_NONBLOCK);
	fcntl(b, F_SETFL, O_NONBLOCK);
	while (got < total) {
		struct pollfd p[2] = { { a, sent < total ? POLLOUT : 0, 0 }, { b, POLLIN, 0 } };
		CHECK(poll(p, 2, 5000) > 0);
		if (p[0].revents & POLLOUT) {
			size_t want = total - sent < 65536 ? total - sent : 65536;
			ssize_t n = write(a, out + sent % 65536, want - sent % 65536 < want ? 65536 - sent % 65536 : want);
			CHECK(n > 0 || errno == EAGAIN);
			if (n > 0)
				sent += n;
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = read(b, in, 65536);
			CHECK(n > 0);
			for (ssize_t i = 0; i < n; i++)
				if (in[i] != (char)((got + i) % 65536 * 7 + 3)) {
					printf("FAIL data mismatch at %zu\n", got + i);
					exit(1);
				}
			got += n;
		}
	}
	free(out);
	free(in);
}

static void tcp_pair(int family, const char *addr)
{
	int l = socket(family, SOCK_STREAM, 0);
	CHECK(l >= 0);
	int one = 1;
	CHECK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s->sin_addr);
		len = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		len = sizeof *s;
	}
	CHECK(bind(l, (void *)&ss, len) == 0);
	CHECK(listen(l, 16) == 0);
	CHECK(getsockname(l, (void *)&ss, &len) == 0);
	int c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(c >= 0);
	int r = connect(c, (void *)&ss, len);
	CHECK(r == 0 || errno == EINPROGRESS);
	struct pollfd p = { c, POLLOUT, 0 };
	CHECK(poll(&p, 1, 5000) == 1);
	int err = -1;
	socklen_t el = sizeof err;
	CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0);
	int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(s >= 0);
	CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
	pump(c, s, 1 << 20);
	pump(s, c, 1 << 20);
	/* FIN: the reader sees end of file; then EPIPE on the other side's writes after it closes. */
	CHECK(shutdown(c, SHUT_WR) == 0);
	p = (struct pollfd){ s, POLLIN | POLLRDHUP, 0 };
	CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLRDHUP));
	char b;
	CHECK(read(s, &b, 1) == 0);
	close(s);
	close(c);
	close(l);
	printf("tcp %s ok\n", addr);
}

static void udp_pair(int family, const char *addr)
{
	int a = socket(family, SOCK_DGRAM, 0), b = socket(family, SOCK_DGRAM, 0);
	CHECK(a >= 0 && b >= 0);
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s->sin_addr);
		len = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		len = sizeof *s;
	}
	CHECK(bind(b, (void *)&ss, len) == 0);
	CHECK(getsockname(b, (void *)&ss, &len) == 0);
	CHECK(sendto(a, "ping", 4, 0, (void *)&ss, len) == 4);
	char buf[16];
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	ssize_t n = recvfrom(b, buf, sizeof buf, 0, (void *)&from, &fl);
	CHECK(n == 4 && !memcmp(buf, "ping", 4));
	CHECK(sendto(b, "pong!", 5, 0, (void *)&from, fl) == 5);
	int avail = 0;
	struct pollfd p = { a, POLLIN, 0 };
	CHECK(poll(&p, 1, 5000) == 1);
	CHECK(ioctl(a, FIONREAD, &avail) == 0 && avail == 5);
	n = recv(a, buf, 2, 0);
	CHECK(n == 2);                          /* the rest of the datagram is gone */
	CHECK(recv(a, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN);
	close(a);
	close(b);
	printf("udp %s ok\n", addr);
}

int main(void)
{
	tcp_pair(AF_INET, "127.0.0.1");
	tcp_pair(AF_INET6, "::1");
	tcp_pair(AF_INET6, "::");
	udp_pair(AF_INET, "127.0.0.1");
	udp_pair(AF_INET6, "::1");
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	pump(sv[0], sv[1], 1 << 20);
	pump(sv[1], sv[0], 1 << 20);
	close(sv[0]);
	char b;
	CHECK(read(sv[1], &b, 1) == 0);
	printf("socketpair ok\n");
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in dead = { .sin_family = AF_INET, .sin_port = htons(1) };
	inet_pton(AF_INET, "127.0.0.1", &dead.sin_addr);
	CHECK(connect(c, (void *)&dead, sizeof dead) < 0 && errno == ECONNREFUSED);
	printf("refused ok\n");
	return 0;
}
