/* ICMP errors on UDP sockets, as Linux reports them: a connected socket that
 * sent to a closed port sees POLLERR and ECONNREFUSED once (recv or
 * SO_ERROR), then nothing; an unconnected one is told nothing. IPv4 and IPv6
 * over loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static socklen_t closed_port(int family, struct sockaddr_storage *ss)
{
	/* A port nobody holds: bind one, note it, let it go. */
	int fd = socket(family, SOCK_DGRAM, 0);
	memset(ss, 0, sizeof *ss);
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof *a;
	}
	bind(fd, (struct sockaddr *)ss, len);
	getsockname(fd, (struct sockaddr *)ss, &len);
	close(fd);
	return len;
}

static const char *err(long r)
{
	static char buf[64];
	if (r >= 0)
		snprintf(buf, sizeof buf, "%ld", r);
	else
		snprintf(buf, sizeof buf, "-1 %s", strerror(errno));
	return buf;
}

static void connected(int family, const char *name, int by_sockopt)
{
	struct sockaddr_storage ss;
	socklen_t len = closed_port(family, &ss);
	int fd = socket(family, SOCK_DGRAM, 0);
	printf("%s connect: %s\n", name, err(connect(fd, (struct sockaddr *)&ss, len)));
	printf("%s send: %s\n", name, err(send(fd, "ping", 4, 0)));
	struct pollfd p = { fd, POLLIN, 0 };
	int n = poll(&p, 1, 5000);
	printf("%s poll: %d%s%s\n", name, n, p.revents & POLLERR ? " POLLERR" : "", p.revents & POLLIN ? " POLLIN" : "");
	char buf[16];
	if (by_sockopt) {
		int e = 0;
		socklen_t el = sizeof e;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
		printf("%s SO_ERROR: %s\n", name, e ? strerror(e) : "0");
	} else {
		printf("%s recv: %s\n", name, err(recv(fd, buf, sizeof buf, 0)));
	}
	printf("%s recv again: %s\n", name, err(recv(fd, buf, sizeof buf, MSG_DONTWAIT)));
	close(fd);
}

static void unconnected(int family, const char *name)
{
	struct sockaddr_storage ss;
	socklen_t len = closed_port(family, &ss);
	int fd = socket(family, SOCK_DGRAM, 0);
	printf("%s sendto: %s\n", name, err(sendto(fd, "ping", 4, 0, (struct sockaddr *)&ss, len)));
	struct pollfd p = { fd, POLLIN, 0 };
	printf("%s poll: %d\n", name, poll(&p, 1, 300));
	char buf[16];
	printf("%s recv: %s\n", name, err(recv(fd, buf, sizeof buf, MSG_DONTWAIT)));
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	connected(AF_INET, "v4", 0);
	connected(AF_INET, "v4", 1);
	connected(AF_INET6, "v6", 0);
	connected(AF_INET6, "v6", 1);
	unconnected(AF_INET, "v4 unconnected");
	unconnected(AF_INET6, "v6 unconnected");
	return 0;
}
