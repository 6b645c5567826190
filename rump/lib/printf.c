/* Formatted output: a vsnprintf covering what kernel code uses
 * (%d %i %u %x %X %p %s %c %%, with l/ll/z/h, width, '-', '0', precision for %s). */
#include "kernel.h"

struct out { char *buf; size_t n, pos; };

static void put(struct out *o, char c)
{
	if (o->pos + 1 < o->n)
		o->buf[o->pos] = c;
	o->pos++;
}

static void put_num(struct out *o, uint64_t v, int base, bool upper, bool neg, int width, char pad, bool left)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int len = 0;
	do {
		tmp[len++] = digits[v % base];
		v /= base;
	} while (v);
	int total = len + (neg ? 1 : 0);
	if (neg && pad == '0')
		put(o, '-');
	if (!left)
		for (; total < width; total++)
			put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	while (len)
		put(o, tmp[--len]);
	if (left)
		for (; total < width; total++)
			put(o, ' ');
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false, alt = false;
		char pad = ' ';
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '#')
				alt = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		int width = 0, prec = -1;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		int lng = 0;
		while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
			if (*fmt != 'h')
				lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, false, v < 0, width, pad, left);
			break;
		}
		case 'u':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, false, false, width, pad, left);
			break;
		case 'x':
		case 'X':
			if (alt) {
				put(&o, '0');
				put(&o, 'x');
			}
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, *fmt == 'X', false, width, pad, left);
			break;
		case 'o':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 8, false, false, width, pad, left);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uint64_t)va_arg(ap, void *), 16, false, false, width, pad, left);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int len = (int)strnlen(s, prec < 0 ? (size_t)-1 : (size_t)prec);
			if (!left)
				for (int i = len; i < width; i++)
					put(&o, ' ');
			for (int i = 0; i < len; i++)
				put(&o, s[i]);
			if (left)
				for (int i = len; i < width; i++)
					put(&o, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
		}
	}
	if (n)
		buf[o.pos < n ? o.pos : n - 1] = 0;
	return (int)o.pos;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

static struct spinlock klog_lock = SPINLOCK_INIT("klog");

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	spin_lock(&klog_lock);
	console_write(CON_KERNEL, buf, MIN((size_t)r, sizeof buf - 1));
	spin_unlock(&klog_lock);
}

/* Keys already logged; a small fixed table is enough: each key is a call site. */
static const char *once_keys[256];
static int once_count;
static struct spinlock once_lock = SPINLOCK_INIT("once");

void klog_once(const char *key, const char *fmt, ...)
{
	spin_lock(&once_lock);
	for (int i = 0; i < once_count; i++)
		if (!strcmp(once_keys[i], key)) {
			spin_unlock(&once_lock);
			return;
		}
	if (once_count < (int)ARRAY_SIZE(once_keys))
		once_keys[once_count++] = key;
	spin_unlock(&once_lock);
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	console_write(CON_KERNEL, buf, MIN((size_t)r, sizeof buf - 1));
}
