/* TCP echo server: listens on [::]:PORT (dual-stack), serves COUNT
 * connections one after another, echoing each until the peer's EOF. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7000, count = argc > 2 ? atoi(argv[2]) : 1;
	int l = socket(AF_INET6, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
	if (bind(l, (void *)&a, sizeof a) || listen(l, 8)) {
		perror("bind/listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	static char buf[65536];
	long total = 0;
	for (int i = 0; i < count; i++) {
		int c = accept(l, NULL, NULL);
		if (c < 0) {
			perror("accept");
			return 1;
		}
		ssize_t n;
		while ((n = read(c, buf, sizeof buf)) > 0) {
			for (ssize_t off = 0; off < n;) {
				ssize_t w = write(c, buf + off, n - off);
				if (w <= 0) {
					perror("write");
					return 1;
				}
				off += w;
			}
			total += n;
		}
		if (n < 0) {
			perror("read");
			return 1;
		}
		close(c);
	}
	printf("echoed %ld bytes over %d connections\n", total, count);
	return 0;
}
