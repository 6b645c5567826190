/* Create, write, read back, rename, list and delete files in the directory
 * given as argv[1] (/tmp in the image). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[4096], path2[4096];

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	snprintf(path, sizeof path, "%s/conf-a.txt", dir);
	snprintf(path2, sizeof path2, "%s/conf-b.txt", dir);
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0) {
		perror("create");
		return 1;
	}
	for (int i = 0; i < 1000; i++)
		dprintf(fd, "line %d of the test file\n", i);
	close(fd);
	struct stat st;
	stat(path, &st);
	printf("written: size=%lld mode=%o\n", (long long)st.st_size, st.st_mode & 0777);
	if (open(path, O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0 || errno != EEXIST)
		printf("O_EXCL on an existing file did not fail with EEXIST\n");
	FILE *f = fopen(path, "r");
	char line[100];
	int lines = 0;
	while (fgets(line, sizeof line, f))
		lines++;
	fclose(f);
	printf("read back %d lines, last: %s", lines, line);
	if (rename(path, path2)) {
		perror("rename");
		return 1;
	}
	printf("after rename: old exists=%d new exists=%d\n", access(path, F_OK) == 0, access(path2, F_OK) == 0);
	fd = open(path2, O_WRONLY | O_APPEND);
	write(fd, "appended\n", 9);
	ftruncate(fd, 10);
	close(fd);
	stat(path2, &st);
	printf("after append+truncate: size=%lld\n", (long long)st.st_size);
	snprintf(path, sizeof path, "%s/conf-dir", dir);
	if (mkdir(path, 0755)) {
		perror("mkdir");
		return 1;
	}
	DIR *d = opendir(dir);
	int seen = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "conf-", 5))
			seen++;
	closedir(d);
	printf("entries named conf-*: %d\n", seen);
	printf("rmdir: %d, unlink: %d\n", rmdir(path), unlink(path2));
	printf("gone: %d\n", access(path2, F_OK) != 0 && errno == ENOENT);
	return 0;
}
