/* A tiny test harness: TEST functions run by RUN, CHECKs inside them; a test
 * fails if any of its checks does. The kernel side is reached through the
 * sys_* / k_* functions, exactly as the syscall table would call them. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include "rump/fs/fs.h"
#include "syscalls/fs.h"
#include "shim.h"
#include "host.h"

extern int t_failed_checks;
extern const char *g_img, *g_src, *g_expect, *g_img2, *g_src2;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		t_failed_checks++; \
		fprintf(stderr, "  check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)
#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	CHECK(_a == _b, "%s = %lld, expected %lld", #a, _a, _b); \
} while (0)

/* a host path under the source tree */
const char *srcpath(const char *root, const char *rel);
/* read a whole file through the kernel; malloc'd, NULL on error (*err set) */
char *kread_all(const char *path, size_t *len, long *err);

/* the suites */
void suite_ext2(void);
void suite_walk(void);
void suite_tmpfs(void);
void suite_fd(void);
void suite_proc(void);
void suite_overlay(void);
void suite_locks(void);
void suite_notify(void);
void suite_ext2w(void);
void suite_v9fs(void);
void run_test(const char *name, void (*fn)(void));
#define RUN(fn) run_test(#fn, fn)
