/* Connections come and go without leaking: after a warm-up batch (the heap
 * settles), another batch of loopback connections, each moving 64 KiB and
 * closed, must leave free memory where it was, give or take TIME_WAIT state. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static char buf[65536];

static void batch(int l, struct sockaddr_in *a, int n)
{
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (void *)a, sizeof *a)) {
			perror("connect");
			exit(1);
		}
		int s = accept(l, NULL, NULL);
		if (s < 0 || write(c, buf, sizeof buf) != sizeof buf) {
			perror("accept/write");
			exit(1);
		}
		for (size_t got = 0; got < sizeof buf;) {
			ssize_t k = read(s, buf, sizeof buf - got);
			if (k <= 0) {
				perror("read");
				exit(1);
			}
			got += k;
		}
		close(s);
		close(c);
	}
}

static long freeram(void)
{
	struct sysinfo si;
	sysinfo(&si);
	return (long)(si.freeram * si.mem_unit / 1024);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	socklen_t len = sizeof a;
	if (bind(l, (void *)&a, sizeof a) || listen(l, 64) || getsockname(l, (void *)&a, &len)) {
		perror("listen");
		return 1;
	}
	batch(l, &a, n);
	long before = freeram();
	batch(l, &a, n);
	long after = freeram();
	printf("%d connections: free memory %ld KiB before, %ld KiB after\n", n, before, after);
	printf("%s\n", before - after < 4096 ? "no leak" : "LEAK");
	return 0;
}
