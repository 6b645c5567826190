/* TCP client: connects to HOST:PORT (IPv4), sends an HTTP GET for PATH and
 * writes the whole response to stdout. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
	inet_pton(AF_INET, argv[1], &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (void *)&a, sizeof a)) {
		perror("connect");
		return 1;
	}
	char req[512];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
	if (write(s, req, n) != n) {
		perror("write");
		return 1;
	}
	static char buf[65536];
	ssize_t k;
	while ((k = read(s, buf, sizeof buf)) > 0)
		fwrite(buf, 1, k, stdout);
	if (k < 0) {
		perror("read");
		return 1;
	}
	return 0;
}
