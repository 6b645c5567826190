/* Read the file named by argv[1] with open/read, fstat, lseek and pread;
 * print its size, a checksum and its first line. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		perror("fstat");
		return 1;
	}
	printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
	unsigned long sum = 0;
	long total = 0;
	char buf[1000];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sum = sum * 31 + (unsigned char)buf[i];
		total += n;
	}
	printf("read=%ld sum=%lu\n", total, sum);
	printf("lseek end=%lld\n", (long long)lseek(fd, 0, SEEK_END));
	char first[64] = { 0 };
	if (pread(fd, first, sizeof first - 1, 0) < 0)
		perror("pread");
	char *nl = strchr(first, '\n');
	if (nl)
		*nl = 0;
	printf("first line: %s\n", first);
	/* A missing file reports ENOENT. */
	if (open("/no/such/file", O_RDONLY) < 0)
		perror("open /no/such/file");
	close(fd);
	return 0;
}
