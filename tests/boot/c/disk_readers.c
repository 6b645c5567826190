/* Eight threads read one file from the root disk at once, half through read()
 * and half by faulting in a private mapping of it, so they meet on pages that
 * are still being read (the page cache makes the late ones wait). Prints the
 * size when every thread is done. */
#include <stdio.h>
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

static const char *path;
static long size;

static void *reader(void *arg)
{
	long id = (long)arg, sum = 0, n;
	static __thread char buf[65536];
	int fd = open(path, O_RDONLY);
	if (id & 1) {
		unsigned char *m = mmap(0, size, PROT_READ, MAP_PRIVATE, fd, 0);
		for (long o = 0; o < size; o += 4096)
			sum += m[o];
	} else {
		while ((n = read(fd, buf, sizeof buf)) > 0)
			sum += buf[0];
	}
	close(fd);
	return (void *)sum;
}

int main(int argc, char **argv)
{
	struct stat st;
	pthread_t t[8];
	path = argv[1];
	if (argc < 2 || stat(path, &st))
		return 2;
	size = st.st_size;
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], 0, reader, (void *)i);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], 0);
	printf("ok %ld\n", size);
	return 0;
}
