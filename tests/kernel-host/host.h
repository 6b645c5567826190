/* The host's view of a source tree, for comparing with what the kernel reads. */
#pragma once
#include <stdint.h>
#include <stddef.h>

struct host_ent {
	uint32_t mode, uid, gid;
	uint64_t size, nlink, host_ino;
	int64_t mtime;
	char link[4096];
};
typedef void (*host_walk_fn)(const char *rel, const char *full, const struct host_ent *e, void *ctx);

int host_lstat(const char *path, struct host_ent *e);
char *host_read(const char *path, size_t *len);   /* malloc'd */
void host_walk(const char *root, host_walk_fn cb, void *ctx);
int host_list(const char *dir, char names[][256], unsigned char *types, int max);
