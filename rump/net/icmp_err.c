/* ICMP errors for UDP sockets. lwIP answers a datagram to a closed port with
 * "port unreachable" but, receiving one, only counts it; Linux hands it to
 * the connected UDP socket that sent the datagram, whose next call fails
 * with ECONNREFUSED. glibc's resolver relies on that to move on from a dead
 * server (127.0.0.1 when resolv.conf names none) at once rather than after
 * its timeouts. The hook sees every IP packet first and only reads. */
#include "inet.h"
#include "csum.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip6.h"
#include "lwip/netif.h"

#define ICMP4_DEST_UNREACH 3
#define ICMP6_DEST_UNREACH 1

/* Linux's icmp_err_convert: of the unreachable codes, only these are
 * reported to a connected socket without IP_RECVERR ("hard" errors). */
static int v4_error(uint8_t code)
{
	return code == 2 ? ENOPROTOOPT : code == 3 ? ECONNREFUSED : 0;
}

static int v6_error(uint8_t code)
{
	return code == 4 ? ECONNREFUSED : code == 1 ? EACCES : 0;   /* port unreachable; administratively prohibited */
}

/* The ICMP message's checksum (LEN bytes at OFF, beyond what the callers
 * copied), where lwIP would check it: the loopback interface checks none. */
static bool icmp_sum_ok(struct pbuf *p, struct netif *inp, unsigned flag, size_t off, size_t len, uint32_t sum)
{
	IF__NETIF_CHECKSUM_ENABLED(inp, flag) {
		uint8_t *whole = kmalloc(len);
		if (!whole)
			return false;
		pbuf_copy_partial(p, whole, (u16_t)len, (u16_t)off);
		sum = csum_add(sum, whole, len);
		kfree(whole);
		return csum_fold(sum) == 0xffff;
	}
	return true;
}

int net_icmp_hook_ip4(struct pbuf *p, struct netif *inp)
{
	/* Every IPv4 packet passes here: look at its protocol where it lies. */
	const uint8_t *h = p->payload;
	if (p->len < 20 || h[9] != IP_PROTO_ICMP)
		return 0;
	uint8_t b[20 + 8 + 60 + 8];
	uint16_t n = pbuf_copy_partial(p, b, sizeof b, 0);
	if (n < 20 || b[0] >> 4 != 4 || b[9] != IP_PROTO_ICMP || (csum_be16(b + 6) & 0x3fff))
		return 0;
	size_t ihl = (size_t)(b[0] & 0xf) * 4, total = csum_be16(b + 2);
	if (ihl < 20 || total > p->tot_len || total < ihl + 8 + 20 + 8 || n < ihl + 8 + 20)
		return 0;
	const uint8_t *icmp = b + ihl, *orig = icmp + 8;
	size_t oihl = (size_t)(orig[0] & 0xf) * 4;
	if (icmp[0] != ICMP4_DEST_UNREACH || !v4_error(icmp[1]) || orig[0] >> 4 != 4 || orig[9] != IP_PROTO_UDP ||
	    oihl < 20 || ihl + 8 + oihl + 8 > n)
		return 0;
	if (!icmp_sum_ok(p, inp, NETIF_CHECKSUM_CHECK_ICMP, ihl, total - ihl, 0))
		return 0;
	ip_addr_t dst;
	IP_ADDR4(&dst, orig[16], orig[17], orig[18], orig[19]);
	const uint8_t *udp = orig + oihl;
	udp_icmp_error(&dst, csum_be16(udp), csum_be16(udp + 2), v4_error(icmp[1]));
	return 0;
}

int net_icmp_hook_ip6(struct pbuf *p, struct netif *inp)
{
	const uint8_t *h = p->payload;
	if (p->len < 40 || h[6] != IP6_NEXTH_ICMP6)
		return 0;
	uint8_t b[40 + 8 + 40 + 8];
	uint16_t n = pbuf_copy_partial(p, b, sizeof b, 0);
	if (n < sizeof b || b[0] >> 4 != 6 || b[6] != IP6_NEXTH_ICMP6)
		return 0;
	size_t len = csum_be16(b + 4);
	const uint8_t *icmp = b + 40, *orig = icmp + 8;
	if (40 + len > p->tot_len || len < 8 + 40 + 8 || icmp[0] != ICMP6_DEST_UNREACH || !v6_error(icmp[1]) ||
	    orig[0] >> 4 != 6 || orig[6] != IP6_NEXTH_UDP)
		return 0;
	/* ICMPv6 sums a pseudo-header too: addresses, length, next header. */
	uint32_t pseudo = csum_add(csum_add(0, b + 8, 32), (uint8_t[]){ 0, IP6_NEXTH_ICMP6, (uint8_t)(len >> 8), (uint8_t)len }, 4);
	if (!icmp_sum_ok(p, inp, NETIF_CHECKSUM_CHECK_ICMP6, 40, len, pseudo))
		return 0;
	ip_addr_t dst;
	uint32_t w[4];
	memcpy(w, orig + 24, 16);
	IP_ADDR6(&dst, w[0], w[1], w[2], w[3]);
	ip6_addr_clear_zone(ip_2_ip6(&dst));
	const uint8_t *udp = orig + 40;
	udp_icmp_error(&dst, csum_be16(udp), csum_be16(udp + 2), v6_error(icmp[1]));
	return 0;
}
