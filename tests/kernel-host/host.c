/* The host's view of the source tree an image was made from (libc side). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host.h"

int host_lstat(const char *path, struct host_ent *e)
{
	struct stat st;
	if (lstat(path, &st))
		return -1;
	memset(e, 0, sizeof(*e));
	e->mode = st.st_mode;
	e->size = (uint64_t)st.st_size;
	e->nlink = st.st_nlink;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	e->mtime = st.st_mtim.tv_sec;
	e->host_ino = st.st_ino;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, e->link, sizeof(e->link) - 1);
		e->link[n > 0 ? n : 0] = 0;
	}
	return 0;
}

char *host_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Recursive walk, REL starting with "/" ("" for the root itself is skipped). */
static void walk(const char *root, const char *rel, host_walk_fn cb, void *ctx)
{
	char full[8192];
	snprintf(full, sizeof(full), "%s%s", root, rel);
	DIR *d = opendir(full);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char r2[8192], f2[8192];
		snprintf(r2, sizeof(r2), "%s/%s", rel, de->d_name);
		snprintf(f2, sizeof(f2), "%s%s", root, r2);
		struct host_ent e;
		if (host_lstat(f2, &e))
			continue;
		cb(r2, f2, &e, ctx);
		if (S_ISDIR(e.mode))
			walk(root, r2, cb, ctx);
	}
	closedir(d);
}

void host_walk(const char *root, host_walk_fn cb, void *ctx)
{
	walk(root, "", cb, ctx);
}

int host_list(const char *dir, char names[][256], unsigned char *types, int max)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		snprintf(names[n], 256, "%s", de->d_name);
		types[n] = de->d_type;
		n++;
	}
	closedir(d);
	return n;
}
