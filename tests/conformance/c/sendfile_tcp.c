/* What a static web server (nginx) asks of files and TCP, as Linux answers:
 * sendfile's argument checks, offsets and file positions, file to file and
 * to a pipe; a large sendfile into a nonblocking socket whose reader is slow
 * (short counts, then EAGAIN, nothing lost or repeated); TCP_CORK holding a
 * partial segment until uncorked, TCP_NODELAY or 200 ms pass, and MSG_MORE
 * likewise; writev of IOV_MAX buffers; accept4's flags; SO_REUSEADDR over a
 * connection in TIME_WAIT. argv[1] is a writable directory. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *res(long r)
{
	static char buf[64];
	if (r >= 0)
		snprintf(buf, sizeof buf, "%ld", r);
	else
		snprintf(buf, sizeof buf, "-1 %s", strerror(errno));
	return buf;
}

static char path_buf[4096];
static const char *dir;

static const char *at(const char *name)
{
	snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
	return path_buf;
}

/* Byte I of the test pattern: not periodic in any power of two. */
static uint8_t pat(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13 ^ i / 4099);
}

static void make_file(const char *name, size_t size)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	uint8_t *b = malloc(65536);
	for (size_t off = 0; off < size;) {
		size_t n = size - off < 65536 ? size - off : 65536;
		for (size_t i = 0; i < n; i++)
			b[i] = pat(off + i);
		write(fd, b, n);
		off += n;
	}
	free(b);
	close(fd);
}

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A listener on 127.0.0.1 (PORT, or any when 0), its port in *PORT. */
static int listener(int *port, int reuse)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (reuse)
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
	struct sockaddr_in a = lo(*port);
	socklen_t len = sizeof a;
	if (bind(l, (struct sockaddr *)&a, len) < 0) {
		int e = errno;
		close(l);
		errno = e;
		return -1;
	}
	listen(l, 8);
	getsockname(l, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return l;
}

/* A connected pair over 127.0.0.1: *c the client, *s the server's end. */
static void pair(int *c, int *s)
{
	int port = 0, l = listener(&port, 0);
	struct sockaddr_in a = lo(port);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	connect(*c, (struct sockaddr *)&a, sizeof a);
	*s = accept(l, NULL, NULL);
	close(l);
}

/* Whether FD becomes readable within MS; what was there is read and dropped. */
static int arrives(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r = poll(&p, 1, ms);
	char b[256];
	if (r > 0)
		read(fd, b, sizeof b);
	return r;
}

static void sendfile_checks(void)
{
	make_file("src", 50000);
	int in = open(at("src"), O_RDONLY);
	int out = open(at("dst"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int wr = open(at("src"), O_WRONLY);
	int app = open(at("app"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	int p[2];
	pipe(p);
	off_t off = -1;
	printf("bad in fd: %s\n", res(sendfile(out, 999, NULL, 10)));
	printf("bad out fd: %s\n", res(sendfile(999, in, NULL, 10)));
	printf("in not readable: %s\n", res(sendfile(out, wr, NULL, 10)));
	printf("out not writable: %s\n", res(sendfile(in, in, NULL, 10)));
	printf("negative offset: %s\n", res(sendfile(out, in, &off, 10)));
	printf("out O_APPEND: %s\n", res(sendfile(app, in, NULL, 10)));
	off = 0;
	printf("in a pipe, with offset: %s\n", res(sendfile(out, p[0], &off, 10)));
	printf("in a directory: %s\n", res(sendfile(out, d, NULL, 10)));
	printf("count 0: %s\n", res(sendfile(out, in, NULL, 0)));

	off = 100;
	long r = sendfile(out, in, &off, 10000);
	printf("with offset: %s, offset now %ld, in position %ld, out position %ld\n", res(r), (long)off,
	       (long)lseek(in, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
	r = sendfile(out, in, NULL, 30000);
	printf("without offset: %s, in position %ld\n", res(r), (long)lseek(in, 0, SEEK_CUR));
	r = sendfile(out, in, NULL, 30000);
	printf("past the end: %s, in position %ld\n", res(r), (long)lseek(in, 0, SEEK_CUR));
	printf("at the end: %s\n", res(sendfile(out, in, NULL, 30000)));
	off = 49990;
	printf("offset near the end: %s, offset now %ld\n", res(sendfile(out, in, &off, 100)), (long)off);
	off = 60000;
	printf("offset past the end: %s, offset now %ld\n", res(sendfile(out, in, &off, 100)), (long)off);

	/* dst holds src[100..10100) then src[0..50000) then src[49990..50000). */
	struct stat st;
	fstat(out, &st);
	int chk = open(at("dst"), O_RDONLY);
	uint8_t *b = malloc((size_t)st.st_size);
	read(chk, b, (size_t)st.st_size);
	long bad = 0;
	for (long i = 0; i < st.st_size; i++) {
		uint64_t src = i < 10000 ? (uint64_t)i + 100 : i < 60000 ? (uint64_t)i - 10000 : (uint64_t)i - 60000 + 49990;
		bad += b[i] != pat(src);
	}
	printf("file to file: %ld bytes, %ld wrong\n", (long)st.st_size, bad);
	free(b);

	off = 1000;
	r = sendfile(p[1], in, &off, 300);
	uint8_t pb[300];
	long got = read(p[0], pb, sizeof pb);
	bad = 0;
	for (long i = 0; i < got; i++)
		bad += pb[i] != pat((uint64_t)i + 1000);
	printf("file to pipe: %s, read %ld, %ld wrong\n", res(r), got, bad);
	close(chk);
	close(in);
	close(out);
	close(wr);
	close(app);
	close(d);
	close(p[0]);
	close(p[1]);
}

/* Reads everything queued on S (nonblocking), checking it against the
 * pattern from *POS on; returns the bytes read. */
static long drain(int s, uint64_t *pos, long *bad)
{
	static uint8_t b[65536];
	long total = 0, n;
	while ((n = recv(s, b, sizeof b, MSG_DONTWAIT)) > 0) {
		for (long i = 0; i < n; i++)
			*bad += b[i] != pat(*pos + (uint64_t)i);
		*pos += (uint64_t)n;
		total += n;
	}
	return total;
}

/* A 16 MiB file into a nonblocking socket whose reader reads only when the
 * writer is stuck: with an offset, then through the file position. */
static void sendfile_socket(void)
{
	const size_t size = 16 << 20;
	make_file("big", size);
	for (int use_off = 1; use_off >= 0; use_off--) {
		int c, s;
		pair(&c, &s);
		fcntl(c, F_SETFL, O_NONBLOCK);
		int in = open(at("big"), O_RDONLY);
		off_t off = 0;
		uint64_t rpos = 0, sent = 0;
		long bad = 0, calls = 0, shorts = 0, eagains = 0, pos_wrong = 0, off_wrong = 0;
		while (sent < size) {
			long r = sendfile(c, in, use_off ? &off : NULL, size - sent);
			calls++;
			if (r < 0) {
				if (errno != EAGAIN) {
					printf("sendfile: %s\n", res(r));
					break;
				}
				eagains++;
				off_wrong += use_off && (uint64_t)off != sent;
				struct pollfd p = { s, POLLIN, 0 };
				poll(&p, 1, 1000);
				drain(s, &rpos, &bad);
				continue;
			}
			if (r == 0) {
				printf("sendfile returned 0 at %llu\n", (unsigned long long)sent);
				break;
			}
			sent += (uint64_t)r;
			shorts += sent < size;
			off_wrong += use_off && (uint64_t)off != sent;
			pos_wrong += (uint64_t)lseek(in, 0, SEEK_CUR) != (use_off ? 0 : sent);
		}
		shutdown(c, SHUT_WR);
		fcntl(s, F_SETFL, 0);
		uint8_t b[65536];
		long n;
		while ((n = read(s, b, sizeof b)) > 0) {
			for (long i = 0; i < n; i++)
				bad += b[i] != pat(rpos + (uint64_t)i);
			rpos += (uint64_t)n;
		}
		printf("%s: sent %llu, received %llu, %ld wrong, short counts %s, EAGAIN %s, offsets wrong %ld, positions wrong %ld\n",
		       use_off ? "sendfile with offset" : "sendfile at the file position",
		       (unsigned long long)sent, (unsigned long long)rpos, bad, shorts ? "yes" : "no",
		       eagains ? "yes" : "no", off_wrong, pos_wrong);
		close(in);
		close(c);
		close(s);
	}
}

static void setopt(int fd, int opt, int v)
{
	if (setsockopt(fd, IPPROTO_TCP, opt, &v, sizeof v) < 0)
		printf("setsockopt(%d, %d): %s\n", opt, v, strerror(errno));
}

static int getopt_int(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof v;
	getsockopt(fd, IPPROTO_TCP, opt, &v, &len);
	return v;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void cork(void)
{
	int c, s;
	pair(&c, &s);
	printf("TCP_CORK at first: %d\n", getopt_int(c, TCP_CORK));
	setopt(c, TCP_CORK, 1);
	printf("TCP_CORK set: %d\n", getopt_int(c, TCP_CORK));
	write(c, "abc", 3);
	printf("corked data within 50 ms: %d\n", arrives(s, 50));
	setopt(c, TCP_CORK, 0);
	printf("after uncorking: %d, TCP_CORK %d\n", arrives(s, 1000), getopt_int(c, TCP_CORK));

	/* TCP_NODELAY pushes what is held once; the cork stays. */
	setopt(c, TCP_CORK, 1);
	write(c, "d", 1);
	setopt(c, TCP_NODELAY, 1);
	printf("TCP_NODELAY on while corked: %d\n", arrives(s, 1000));
	write(c, "e", 1);
	printf("the next corked write within 50 ms: %d\n", arrives(s, 50));
	arrives(s, 1000);
	setopt(c, TCP_CORK, 0);
	setopt(c, TCP_NODELAY, 0);

	/* The ceiling: held data leaves after about 200 ms. */
	setopt(c, TCP_CORK, 1);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	write(c, "f", 1);
	int r = arrives(s, 3000);
	long ms = ms_since(&t0);
	printf("still corked, within 3 s: %d, after 150 ms or more: %s\n", r, ms >= 150 ? "yes" : "no");
	setopt(c, TCP_CORK, 0);

	/* MSG_MORE holds a write the same way. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send(c, "g", 1, MSG_MORE);
	printf("MSG_MORE within 50 ms: %d\n", arrives(s, 50));
	r = arrives(s, 3000);
	printf("MSG_MORE within 3 s: %d, after 150 ms or more: %s\n", r, ms_since(&t0) >= 150 ? "yes" : "no");

	/* A connection inherits its listener's cork, as it does TCP_NODELAY. */
	int port = 0, l = listener(&port, 0);
	setopt(l, TCP_CORK, 1);
	struct sockaddr_in a = lo(port);
	int c2 = socket(AF_INET, SOCK_STREAM, 0);
	connect(c2, (struct sockaddr *)&a, sizeof a);
	int s2 = accept(l, NULL, NULL);
	printf("accepted from a corked listener: TCP_CORK %d\n", getopt_int(s2, TCP_CORK));
	close(c2);
	close(s2);
	close(l);
	close(c);
	close(s);
}

struct reader { int fd; long want, got, bad; };

static void *read_all(void *arg)
{
	struct reader *r = arg;
	uint8_t b[4096];
	while (r->got < r->want) {
		long n = read(r->fd, b, sizeof b);
		if (n <= 0)
			break;
		for (long i = 0; i < n; i++)
			r->bad += b[i] != pat((uint64_t)(r->got + i));
		r->got += n;
	}
	return NULL;
}

static void many_buffers(void)
{
	int c, s;
	pair(&c, &s);
	static uint8_t data[IOV_MAX * 200];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = pat(i);
	struct iovec iov[IOV_MAX + 1];
	size_t total = 0;
	for (int i = 0; i <= IOV_MAX; i++) {
		size_t n = (size_t)(i * 37 % 200) + (i % 7 == 0 ? 0 : 1);
		iov[i] = (struct iovec){ data + total, n };
		if (i < IOV_MAX)
			total += n;
	}
	printf("writev of %d buffers: %s\n", IOV_MAX + 1, res(writev(c, iov, IOV_MAX + 1)));
	printf("writev of 0 buffers: %s\n", res(writev(c, iov, 0)));
	struct reader rd = { s, (long)total, 0, 0 };
	pthread_t t;
	pthread_create(&t, NULL, read_all, &rd);
	long w = writev(c, iov, IOV_MAX);
	pthread_join(t, NULL);
	printf("writev of %d buffers (%zu bytes): %s; read %ld, %ld wrong\n", IOV_MAX, total, res(w), rd.got, rd.bad);
	close(c);
	close(s);
}

static void accept_flags(void)
{
	int port = 0, l = listener(&port, 0);
	fcntl(l, F_SETFL, O_NONBLOCK);
	printf("accept4, none pending: %s\n", res(accept4(l, NULL, NULL, SOCK_NONBLOCK)));
	printf("accept4, bad flags: %s\n", res(accept4(l, NULL, NULL, 0x40)));
	struct sockaddr_in a = lo(port);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof a);
	struct pollfd p = { l, POLLIN, 0 };
	poll(&p, 1, 1000);
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	int s = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	printf("accept4: %s, peer 127.0.0.1: %s, O_NONBLOCK %d, FD_CLOEXEC %d\n", s >= 0 ? "ok" : res(s),
	       peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "yes" : "no",
	       !!(fcntl(s, F_GETFL) & O_NONBLOCK), !!(fcntl(s, F_GETFD) & FD_CLOEXEC));
	printf("listener still O_NONBLOCK: %d; read with nothing sent: ", !!(fcntl(l, F_GETFL) & O_NONBLOCK));
	char b;
	printf("%s\n", res(read(s, &b, 1)));
	close(c);
	close(s);
	close(l);
}

/* The server closes first, so its end of the connection waits in TIME_WAIT
 * on the listener's port. */
static void reuse_addr(void)
{
	int port = 0, l = listener(&port, 1);
	struct sockaddr_in a = lo(port);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof a);
	int s = accept(l, NULL, NULL);
	close(s);
	char b;
	read(c, &b, 1);                            /* the FIN */
	close(c);
	close(l);
	int p = port;
	int l2 = listener(&p, 0);
	printf("bind over TIME_WAIT without SO_REUSEADDR: %s\n", l2 >= 0 ? "ok" : res(l2));
	if (l2 >= 0)
		close(l2);
	p = port;
	int l3 = listener(&p, 1);
	printf("bind over TIME_WAIT with SO_REUSEADDR: %s\n", l3 >= 0 ? "ok" : res(l3));
	if (l3 >= 0)
		close(l3);
}

int main(int argc, char **argv)
{
	dir = argc > 1 ? argv[1] : "/tmp";
	setvbuf(stdout, NULL, _IONBF, 0);
	sendfile_checks();
	sendfile_socket();
	cork();
	many_buffers();
	accept_flags();
	reuse_addr();
	unlink(at("src"));
	unlink(at("dst"));
	unlink(at("app"));
	unlink(at("big"));
	return 0;
}
