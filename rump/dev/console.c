/* The serial console: three 16550 UARTs (CONTRACT.md). COM1 carries the app's
 * stdin/stdout, COM2 its stderr, COM3 the kernel's channel. A port that does
 * not answer falls back to COM1, so bare metal with one UART still works. */
#include "kernel.h"
#include "arch.h"

static const uint16_t com_base[3] = { 0x3f8, 0x2f8, 0x3e8 };
static uint16_t chan_port[3];
static struct spinlock port_lock[3] = { SPINLOCK_INIT("com1"), SPINLOCK_INIT("com2"), SPINLOCK_INIT("com3") };

/* A 16550 keeps what we write to its scratch register; an absent port reads 0xff. */
static bool uart_present(uint16_t base)
{
	outb(base + 7, 0x5a);
	if (inb(base + 7) != 0x5a)
		return false;
	outb(base + 7, 0xa5);
	return inb(base + 7) == 0xa5;
}

static void uart_init(uint16_t base)
{
	outb(base + 1, 0x00);  /* no interrupts (yet) */
	outb(base + 3, 0x80);  /* DLAB */
	outb(base + 0, 0x01);  /* 115200 baud */
	outb(base + 1, 0x00);
	outb(base + 3, 0x03);  /* 8N1 */
	outb(base + 2, 0xc7);  /* FIFO on, cleared, 14-byte threshold */
	outb(base + 4, 0x03);  /* DTR, RTS */
}

void console_init(void)
{
	for (int i = 0; i < 3; i++) {
		bool ok = i == 0 || uart_present(com_base[i]);
		chan_port[i] = ok ? com_base[i] : com_base[0];
		if (ok)
			uart_init(com_base[i]);
	}
}

static void uart_putc(uint16_t base, char c)
{
	while (!(inb(base + 5) & 0x20))
		cpu_relax();
	outb(base, (uint8_t)c);
}

void console_write(enum console_chan c, const void *buf, size_t n)
{
	uint16_t port = chan_port[c] ? chan_port[c] : com_base[0];
	struct spinlock *l = &port_lock[c];
	const char *p = buf;
	spin_lock(l);
	for (size_t i = 0; i < n; i++)
		uart_putc(port, p[i]);
	spin_unlock(l);
}

size_t console_read(void *buf, size_t n)
{
	uint16_t port = com_base[0];
	char *p = buf;
	size_t got = 0;
	while (got < n && (inb(port + 5) & 0x01))
		p[got++] = (char)inb(port);
	return got;
}

/* Wait until every UART has sent its last bit (LSR: transmitter empty). */
void console_flush(void)
{
	for (int i = 0; i < 3; i++)
		if (chan_port[i])
			for (int spins = 0; !(inb(chan_port[i] + 5) & 0x40) && spins < 1000000; spins++)
				cpu_relax();
}
