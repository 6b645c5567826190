/* mremap: grow in place, move (contents kept, nothing copied by the program),
 * shrink, MREMAP_FIXED; and glibc's realloc of large blocks, which uses it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int check(const unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i += 4096)
		if (p[i] != (unsigned char)(seed + i / 4096))
			return 0;
	return 1;
}

int main(void)
{
	size_t n = 64 * 4096;
	unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = (unsigned char)(7 + i / 4096);
	/* Block the space after it so growing must move. */
	void *wall = mmap(p + n, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("wall placed: %d\n", wall == p + n);
	unsigned char *q = mremap(p, n, 4 * n, 0);
	printf("grow without MAYMOVE fails with ENOMEM: %d\n", q == MAP_FAILED && errno == ENOMEM);
	q = mremap(p, n, 4 * n, MREMAP_MAYMOVE);
	printf("moved: %d, contents kept: %d\n", q != MAP_FAILED && q != p, check(q, n, 7));
	q[4 * n - 1] = 1;
	printf("new tail writable and zero before: %d\n", q[3 * n] == 0);
	unsigned char *r = mremap(q, 4 * n, n, 0);
	printf("shrink in place: %d, contents kept: %d\n", r == q, check(r, n, 7));
	unsigned char *s = mremap(r, n, 2 * n, MREMAP_MAYMOVE);
	printf("grow: contents kept: %d\n", check(s, n, 7));
	void *target = mmap(NULL, 2 * n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *t = mremap(s, 2 * n, 2 * n, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	printf("MREMAP_FIXED lands on the target: %d, writable: %d\n", t == target, (t[0] = 3) == 3);
	printf("bad old address: %d\n", mremap((void *)0x10000, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT);

	unsigned char *m = malloc(1 << 20);
	memset(m, 0x42, 1 << 20);
	for (int i = 0; i < 6; i++) {
		size_t sz = (size_t)(1 << 20) << (i + 1);
		m = realloc(m, sz);
		memset(m + (sz >> 1), 0x42, sz >> 1);
	}
	int ok = 1;
	for (size_t i = 0; i < (size_t)64 << 20; i += 4093)
		ok &= m[i] == 0x42;
	printf("realloc up to 64 MiB keeps contents: %d\n", ok);
	free(m);
	return 0;
}
