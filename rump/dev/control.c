/* The host's control channel: lines the CLI writes into COM3 (the kernel's
 * own UART). `signal N` sends signal N to the program — `uninode stop` and
 * Ctrl-C ask for SIGTERM/SIGINT this way, so a server can shut down
 * gracefully; `stdin-eof N` says the app's stdin ends after N bytes;
 * `hosts ADDR [NAME...]` gives /run/hosts a peer's names (or, without
 * names, says the peer is gone: rump/net/hosts.c). Polled from the timer tick: it is a few
 * bytes in the program's whole life and needs no interrupt line. */
#include "kernel.h"
#include "arch.h"
#include "percpu.h"
#include "console.h"
#include "net.h"

#define COM3 0x3e8

void signal_from_host(int sig);

static bool present;
static char line[256];
static size_t len;

void control_init(void)
{
	outb(COM3 + 7, 0x3c);
	present = inb(COM3 + 7) == 0x3c;
}

static void command(const char *s)
{
	if (!strncmp(s, "signal ", 7)) {
		int sig = 0;
		for (s += 7; *s >= '0' && *s <= '9'; s++)
			sig = sig * 10 + (*s - '0');
		if (*s == 0 && sig > 0 && sig <= 64) {
			signal_from_host(sig);
			return;
		}
	}
	if (!strncmp(s, "stdin-eof ", 10)) {
		uint64_t n = 0;
		const char *d = s + 10;
		for (; *d >= '0' && *d <= '9'; d++)
			n = n * 10 + (uint64_t)(*d - '0');
		if (*d == 0 && d > s + 10) {
			console_input_eof(n);
			return;
		}
	}
	if (!strncmp(s, "hosts ", 6)) {
		net_hosts_control(s + 6);
		return;
	}
	kprintf("uninode: control channel: unknown command '%s'\n", line);
}

void control_poll(void)
{
	if (!present || this_cpu()->cpu_id != 0) /* one reader for the UART */
		return;
	while (inb(COM3 + 5) & 0x01) {
		char c = (char)inb(COM3);
		if (c == '\n') {
			line[len] = 0;
			command(line);
			len = 0;
		} else if (c != '\r' && len < sizeof line - 1) {
			line[len++] = c;
		}
	}
}
