/* The small services lwIP asks of its platform: time, memory, randomness,
 * diagnostics. lwIP is called only under net_lock (net.h). */
#include "kernel.h"
#include "arch.h"
#include "lwip/opt.h"
#include "lwip/sys.h"

/* Milliseconds since boot, lwIP's clock for its timers. */
u32_t sys_now(void)
{
	return (u32_t)(time_monotonic_ns() / 1000000);
}

void *lwip_port_malloc(size_t n) { return kmalloc(n); }
void lwip_port_free(void *p) { kfree(p); }
void *lwip_port_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kzalloc(n * size);
}

unsigned lwip_port_rand(void)
{
	unsigned r;
	random_bytes(&r, sizeof r);
	return r;
}

void lwip_port_diag(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	kprintf("lwip: %s", buf);
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
	panic("lwip: assertion \"%s\" failed at %s:%d", msg, file, line);
}
