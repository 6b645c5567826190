/* Maps, touches and unmaps one page at 4,000 scattered addresses, as V8
 * places its pages, and prints the kernel's PageTables and AnonPages before
 * and after: tables and frames the unmaps leave empty must be given back. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static long meminfo(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;
	size_t n = strlen(name);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, name, n) && line[n] == ':')
			sscanf(line + n + 1, "%ld", &v);
	if (f)
		fclose(f);
	return v;
}

int main(void)
{
	long pt0 = meminfo("PageTables"), anon0 = meminfo("AnonPages");
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 4000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* a hint anywhere in 64 GiB above 1 TiB, each in a 2 MiB window of its own */
		void *hint = (void *)((1ULL << 40) + ((x % (1ULL << 15)) << 21));
		char *p = mmap(hint, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		p[0] = 1;
		munmap(p, 4096);
	}
	long pt1 = meminfo("PageTables"), anon1 = meminfo("AnonPages");
	printf("PageTables %ld -> %ld kB, AnonPages %ld -> %ld kB\n", pt0, pt1, anon0, anon1);
	return pt1 - pt0 > 256 || anon1 - anon0 > 256 ? 2 : 0;
}
