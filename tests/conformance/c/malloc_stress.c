/* Grow the heap to 256 MiB in blocks of mixed sizes (brk and mmap paths),
 * check every block's contents, free it all, and do it again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOTAL (256UL << 20)

static int round_trip(int pass)
{
	size_t sizes[] = { 24, 200, 4000, 70000, 300000, 2 << 20 };
	void **blocks = malloc(sizeof(void *) * 100000);
	size_t *lens = malloc(sizeof(size_t) * 100000);
	size_t used = 0;
	int n = 0;
	while (used < TOTAL && n < 100000) {
		size_t len = sizes[n % 6];
		unsigned char *p = malloc(len);
		if (!p) {
			printf("malloc(%zu) failed after %zu bytes\n", len, used);
			return 1;
		}
		memset(p, (n + pass) & 0xff, len);
		blocks[n] = p;
		lens[n] = len;
		used += len;
		n++;
	}
	for (int i = 0; i < n; i++) {
		unsigned char *p = blocks[i];
		if (p[0] != ((i + pass) & 0xff) || p[lens[i] - 1] != ((i + pass) & 0xff)) {
			printf("block %d corrupted\n", i);
			return 1;
		}
		free(p);
	}
	printf("pass %d: %d blocks, %zu MiB, all intact\n", pass, n, used >> 20);
	free(blocks);
	free(lens);
	return 0;
}

int main(void)
{
	for (int pass = 0; pass < 2; pass++)
		if (round_trip(pass))
			return 1;
	/* calloc must give zeroed memory even when it is reused */
	uint64_t *z = calloc(1 << 20, 8);
	for (size_t i = 0; i < (1 << 20); i++)
		if (z[i]) {
			printf("calloc memory not zero at %zu\n", i);
			return 1;
		}
	printf("calloc 8 MiB zeroed\n");
	return 0;
}
