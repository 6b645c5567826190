/* List a directory tree (argv[1]) with getdents64 through readdir, sorted,
 * with each entry's type and size: a walk over the image's ext2. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void walk(const char *dir, const char *rel, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return;
	}
	char *names[512];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 512)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	for (int i = 0; i < n; i++) {
		char path[4096], relp[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		snprintf(relp, sizeof relp, "%s%s", rel, names[i]);
		struct stat st;
		if (lstat(path, &st)) {
			perror(path);
			continue;
		}
		char kind = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? 'f' : '?';
		printf("%c %8lld %s\n", kind, S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL, relp);
		if (S_ISDIR(st.st_mode) && depth < 8) {
			strcat(relp, "/");
			walk(path, relp, depth + 1);
		}
		free(names[i]);
	}
}

int main(int argc, char **argv)
{
	walk(argc > 1 ? argv[1] : ".", "", 0);
	return 0;
}
