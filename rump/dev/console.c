/* The serial console: three 16550 UARTs (CONTRACT.md). COM1 carries the app's
 * stdin/stdout, COM2 its stderr, COM3 the kernel's channel. A port that does
 * not answer falls back to COM1, so bare metal with one UART still works.
 * Output is polled; input (stdin) is buffered by COM1's receive interrupt
 * into a ring that blocking reads wait on. */
#include "kernel.h"
#include "arch.h"
#include "sched.h"
#include "poll.h"
#include "console.h"

#define UART_RBR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR 0x01
#define IER_RDA 0x01
#define MCR_DTR_RTS_OUT2 0x0b     /* OUT2 gates the IRQ line on PC hardware */
#define COM1_GSI 4                /* ISA IRQ 4, not remapped on q35 or microvm */
#define RX_SIZE 65536

/* stdin: what COM1 received and the app has not read yet. */
static struct spinlock rx_lock = SPINLOCK_INIT("console-rx");
static char rx_buf[RX_SIZE];           /* guarded by rx_lock, like everything below */
static size_t rx_head, rx_len;
static uint64_t rx_total;              /* bytes ever received */
static uint64_t rx_eof_at = UINT64_MAX; /* input ends once rx_total reaches it */
static bool rx_throttled;              /* receive interrupt off: the ring is full */
static bool rx_irq;                    /* the interrupt is routed */
static struct waitq rx_wait = WAITQ_INIT("console-rx");

struct watch {
	struct pollhead *ph;
	struct watch *next;
};
static struct spinlock watch_lock = SPINLOCK_INIT("console-watch");
static struct watch *watches;          /* guarded by watch_lock */

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

/* Move what the UART holds into the ring, unless it is full. rx_lock held. */
static bool rx_drain_locked(void)
{
	bool got = false;
	while (inb(com_base[0] + UART_LSR) & LSR_DR) {
		if (rx_len == RX_SIZE) {
			/* Full: stop listening; QEMU (or the wire) holds the rest
			 * until a read makes room. */
			rx_throttled = true;
			outb(com_base[0] + UART_IER, 0);
			break;
		}
		rx_buf[(rx_head + rx_len++) % RX_SIZE] = (char)inb(com_base[0] + UART_RBR);
		rx_total++;
		got = true;
	}
	return got;
}

/* 115200 8N1, FIFO on, no interrupts yet. */
static void uart_init(uint16_t base)
{
	outb(base + 1, 0x00);  /* no interrupts (yet) */
	outb(base + 3, 0x80);  /* DLAB */
	outb(base + 0, 0x01);  /* 115200 baud */
	outb(base + 1, 0x00);
	outb(base + 3, 0x03);  /* 8N1 */
	/* Turning the FIFO on empties it: keep a byte that came before us. */
	if (base == com_base[0]) {
		spin_lock(&rx_lock);
		rx_drain_locked();
		spin_unlock(&rx_lock);
	}
	outb(base + 2, 0xc7);  /* FIFO on, cleared, 14-byte threshold */
	outb(base + 4, 0x03);  /* DTR, RTS */
}

/* Set the UARTs up; then tell the host it may send input (CONTRACT.md:
 * bytes that reach a UART before its FIFO is on can be lost). */
void console_init(void)
{
	for (int i = 0; i < 3; i++) {
		bool ok = i == 0 || uart_present(com_base[i]);
		chan_port[i] = ok ? com_base[i] : com_base[0];
		if (ok)
			uart_init(com_base[i]);
	}
	if (chan_port[CON_KERNEL] != com_base[0])
		console_write(CON_KERNEL, "uninode:ready\n", 14);
}

/* One byte out, once the transmitter has room. */
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

/* Non-blocking: what is buffered, 0 if nothing (kernel.h). */
size_t console_read(void *buf, size_t n)
{
	long r = console_input_read(buf, n, true);
	return r > 0 ? (size_t)r : 0;
}

/* ---- stdin ---- */

/* Readiness may have changed: wake readers and tell every watcher. */
static void rx_changed(void)
{
	waitq_wake(&rx_wait, INT32_MAX);
	spin_lock(&watch_lock);
	for (struct watch *w = watches; w; w = w->next)
		poll_notify(w->ph, EPOLLIN | EPOLLRDNORM);
	spin_unlock(&watch_lock);
}

/* IRQ 4: COM1 has input (COM3 shares the line but keeps its interrupts off). */
static void rx_irq_handler(struct intr_frame *f, void *arg)
{
	(void)f;
	(void)arg;
	spin_lock(&rx_lock);
	bool got = rx_drain_locked();
	spin_unlock(&rx_lock);
	if (got)
		rx_changed();
}

void console_input_start(void)
{
	int v = intr_alloc_vector();
	if (v < 0) {
		kprintf("console: no interrupt vector: stdin is read by polling\n");
		return;
	}
	intr_register(v, rx_irq_handler, NULL);
	ioapic_route(COM1_GSI, v, false);
	spin_lock(&rx_lock);
	rx_irq = true;
	outb(com_base[0] + UART_MCR, MCR_DTR_RTS_OUT2);
	if (!rx_throttled)
		outb(com_base[0] + UART_IER, IER_RDA);
	bool got = rx_drain_locked();
	spin_unlock(&rx_lock);
	if (got)
		rx_changed();
}

long console_input_read(void *buf, size_t n, bool nonblock)
{
	char bounce[2048];                 /* BUF may be app memory: filled unlocked */
	if (!n)
		return 0;
	spin_lock(&rx_lock);
	for (;;) {
		if (!rx_irq)
			rx_drain_locked();         /* before the interrupt is routed, or without one */
		if (rx_len)
			break;
		if (rx_total >= rx_eof_at) {
			spin_unlock(&rx_lock);
			return 0;
		}
		if (nonblock) {
			spin_unlock(&rx_lock);
			return -EAGAIN;
		}
		int err;
		if (!rx_irq) {
			spin_unlock(&rx_lock);
			err = sleep_until_intr(time_monotonic_ns() + 10000000);   /* no interrupt: poll every 10 ms */
			spin_lock(&rx_lock);
		} else {
			err = waitq_sleep_intr(&rx_wait, &rx_lock, 0);
		}
		if (err == -EINTR) {
			spin_unlock(&rx_lock);
			return -EINTR;
		}
	}
	size_t k = MIN(MIN(n, rx_len), sizeof(bounce));
	for (size_t i = 0; i < k; i++)
		bounce[i] = rx_buf[(rx_head + i) % RX_SIZE];
	rx_head = (rx_head + k) % RX_SIZE;
	rx_len -= k;
	if (rx_throttled && rx_irq) {
		/* There is room again: listen, and take what waited meanwhile. */
		rx_throttled = false;
		outb(com_base[0] + UART_IER, IER_RDA);
		rx_drain_locked();
	}
	spin_unlock(&rx_lock);
	memcpy(buf, bounce, k);
	return (long)k;
}

unsigned console_input_poll(void)
{
	spin_lock(&rx_lock);
	if (!rx_irq)
		rx_drain_locked();
	unsigned r = rx_len ? EPOLLIN | EPOLLRDNORM : 0;
	if (!rx_len && rx_total >= rx_eof_at)
		r = EPOLLHUP;                  /* as a pipe whose writer has gone */
	spin_unlock(&rx_lock);
	return r;
}

size_t console_input_pending(void)
{
	spin_lock(&rx_lock);
	size_t n = rx_len;
	spin_unlock(&rx_lock);
	return n;
}

void console_input_eof(uint64_t total)
{
	spin_lock(&rx_lock);
	rx_eof_at = total;
	spin_unlock(&rx_lock);
	rx_changed();
}

int console_watch(struct pollhead *ph)
{
	struct watch *w = kmalloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ph = ph;
	spin_lock(&watch_lock);
	w->next = watches;
	watches = w;
	spin_unlock(&watch_lock);
	return 0;
}

void console_unwatch(struct pollhead *ph)
{
	struct watch *gone = NULL;
	spin_lock(&watch_lock);
	for (struct watch **pp = &watches; *pp; pp = &(*pp)->next)
		if ((*pp)->ph == ph) {
			gone = *pp;
			*pp = gone->next;
			break;
		}
	spin_unlock(&watch_lock);
	kfree(gone);
}

/* Wait until every UART has sent its last bit (LSR: transmitter empty). */
void console_flush(void)
{
	for (int i = 0; i < 3; i++)
		if (chan_port[i])
			for (int spins = 0; !(inb(chan_port[i] + 5) & 0x40) && spins < 1000000; spins++)
				cpu_relax();
}
