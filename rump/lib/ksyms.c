/* Looks addresses up in the table tools/gen-ksyms writes: entries sorted by
 * address, {u64 addr, u32 name offset, u32 pad}, then the names. The first link
 * pass has an empty table; the second has the real one at the image's end, so
 * no address moves. */
#include "kernel.h"
#include "ksyms.h"

struct ksym { uint64_t addr; uint32_t name; uint32_t pad; };
extern const uint64_t __ksyms_count __attribute__((weak));
extern const struct ksym __ksyms_table[] __attribute__((weak));
extern const char __ksyms_names[] __attribute__((weak));

const char *ksym_lookup(uint64_t addr, uint64_t *off)
{
	if (!&__ksyms_count || !__ksyms_count)
		return NULL;
	size_t lo = 0, hi = __ksyms_count;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (__ksyms_table[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (__ksyms_table[lo].addr > addr)
		return NULL;
	*off = addr - __ksyms_table[lo].addr;
	return __ksyms_names + __ksyms_table[lo].name;
}
