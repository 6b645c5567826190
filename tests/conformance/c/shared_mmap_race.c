// Shared file mappings under concurrency: one thread stores through a
// MAP_SHARED mapping (catching SIGBUS when the file is short), one truncates
// the file down and up again, one writes and reads it with pwrite/pread. Only
// what must hold whatever the interleaving is printed: nothing crashes or
// hangs, and afterwards a store and a read meet again.
// argv[1]: a writable directory.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 8
#define ROUNDS 400

static long pg;
static int fd;
static char *map;
static __thread sigjmp_buf jump;
static __thread volatile int in_store;
static volatile int bad_signal;

static void on_bus(int sig)
{
	if (!in_store) {
		bad_signal = sig;
		_exit(3);
	}
	siglongjmp(jump, 1);
}

static void *storer(void *arg)
{
	(void)arg;
	for (int r = 0; r < ROUNDS; r++)
		for (int p = 0; p < PAGES; p++) {
			in_store = 1;
			if (!sigsetjmp(jump, 1))
				map[p * pg + r % pg] = (char)r;
			in_store = 0;
		}
	return NULL;
}

static void *truncater(void *arg)
{
	(void)arg;
	for (int r = 0; r < ROUNDS; r++) {
		if (ftruncate(fd, (off_t)(r % PAGES) * pg + 100) || ftruncate(fd, PAGES * pg)) {
			printf("ftruncate: %s\n", strerror(errno));
			exit(1);
		}
	}
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	char buf[256];
	memset(buf, 'x', sizeof buf);
	for (int r = 0; r < ROUNDS; r++) {
		off_t at = (off_t)(r % PAGES) * pg + 300;
		if (pwrite(fd, buf, sizeof buf, at) < 0 || pread(fd, buf, sizeof buf, at) < 0) {
			printf("pwrite/pread: %s\n", strerror(errno));
			exit(1);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: shared_mmap_race DIR\n");
		return 2;
	}
	pg = sysconf(_SC_PAGESIZE);
	char path[512];
	snprintf(path, sizeof path, "%s/shm-race", argv[1]);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, PAGES * pg)) {
		printf("setup: %s\n", strerror(errno));
		return 1;
	}
	map = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 1;
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_bus;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	pthread_t t[3];
	pthread_create(&t[0], NULL, storer, NULL);
	pthread_create(&t[1], NULL, truncater, NULL);
	pthread_create(&t[2], NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("threads done\n");
	// Quiet again: every page reachable, stores and reads meet.
	int meet = 1;
	for (int p = 0; p < PAGES; p++) {
		char c = 0;
		map[p * pg + 7] = (char)('A' + p);
		meet &= pread(fd, &c, 1, p * pg + 7) == 1 && c == 'A' + p;
		char w = (char)('a' + p);
		pwrite(fd, &w, 1, p * pg + 8);
		meet &= map[p * pg + 8] == w;
	}
	printf("stores and reads meet afterwards: %d\n", meet);
	ftruncate(fd, 0);
	munmap(map, PAGES * pg);
	close(fd);
	unlink(path);
	return 0;
}
