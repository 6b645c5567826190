/* UDP echo server on 0.0.0.0:PORT: answers COUNT datagrams, then exits. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 7001, count = argc > 2 ? atoi(argv[2]) : 1;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (bind(s, (void *)&a, sizeof a)) {
		perror("bind");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	char buf[2048];
	for (int i = 0; i < count; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s, buf, sizeof buf, 0, (void *)&from, &fl);
		if (n < 0 || sendto(s, buf, n, 0, (void *)&from, fl) != n) {
			perror("udp");
			return 1;
		}
	}
	printf("echoed %d datagrams\n", count);
	return 0;
}
