/* /proc/self/net (and /proc/net, a link to it): dev and route, in Linux's
 * own layout, from the stack's snapshot of its interfaces (net_if_list). */
#include "procfs.h"
#include "../include/net.h"

#define MAX_IFS 8

/* Linux's two header lines, then one line per interface (dev_seq_printf_stats). */
int gen_net_dev(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	struct net_if_info ifs[MAX_IFS];
	int n = net_if_list(ifs, MAX_IFS);
	pb_printf(b, "Inter-|   Receive                                                |  Transmit\n"
		     " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n");
	for (int i = 0; i < n; i++) {
		const struct net_if_info *f = &ifs[i];
		pb_printf(b, "%6s:%8lu %7lu %4lu %4lu %4u %5u %10u %9u %8lu %7lu %4lu %4lu %4u %5u %7u %10u\n", f->name,
			  f->rx_bytes, f->rx_packets, f->rx_errs, f->rx_drop, 0, 0, 0, 0,
			  f->tx_bytes, f->tx_packets, f->tx_errs, f->tx_drop, 0, 0, 0, 0);
	}
	return 0;
}

#define RTF_UP 0x1
#define RTF_GATEWAY 0x2

/* One route line, padded to 127 columns as Linux's fib_route_seq_show does. */
static void route_line(struct pbuf *b, const char *ifname, uint32_t dest, uint32_t gw, unsigned flags, uint32_t mask)
{
	size_t from = b->len;
	pb_printf(b, "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", ifname, dest, gw, flags, 0, 0u, 0, mask, 0, 0u, 0u);
	pb_pad(b, from, 126);                   /* 127 columns in all, as Linux's seq_setwidth */
	pb_printf(b, "\n");
}

/* The IPv4 main table: the default route (the default interface's gateway),
 * then each interface's own subnet. Addresses print as the kernel holds
 * them (network byte order read as a number), as Linux's do. */
int gen_net_route(struct pbuf *b, const struct pctx *c)
{
	(void)c;
	struct net_if_info ifs[MAX_IFS];
	int n = net_if_list(ifs, MAX_IFS);
	size_t from = b->len;
	pb_printf(b, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
	pb_pad(b, from, 126);
	pb_printf(b, "\n");
	for (int i = 0; i < n; i++)
		if (!ifs[i].loopback && ifs[i].up && ifs[i].default_route && ifs[i].addr && ifs[i].gw)
			route_line(b, ifs[i].name, 0, ifs[i].gw, RTF_UP | RTF_GATEWAY, 0);
	for (int i = 0; i < n; i++)
		if (!ifs[i].loopback && ifs[i].up && ifs[i].addr)
			route_line(b, ifs[i].name, ifs[i].addr & ifs[i].mask, 0, RTF_UP, ifs[i].mask);
	return 0;
}
