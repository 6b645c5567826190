/* Checksums for offloading devices (RFC 1071 sums, RFC 793/768/8200 pseudo-
 * headers). lwIP computes checksums from pbufs; a device that finishes them
 * needs them located in a flat frame instead, which is what this file does. */
#include "csum.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define PROTO_TCP 6
#define PROTO_UDP 17

/* Only the last span of a sum may have an odd length: an odd byte is the
 * high half of a word padded with zero. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	for (; len >= 2; p += 2, len -= 2)
		acc += csum_be16(p);
	if (len)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

bool csum_locate(const uint8_t *f, size_t len, struct csum_l4 *out)
{
	if (len < ETH_HLEN)
		return false;
	uint16_t type = csum_be16(f + 12);
	const uint8_t *ip = f + ETH_HLEN;
	size_t iplen = len - ETH_HLEN;
	size_t l4len;
	uint32_t sum;
	if (type == ETHERTYPE_IPV4) {
		if (iplen < 20 || ip[0] >> 4 != 4)
			return false;
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;
		size_t total = csum_be16(ip + 2);
		/* More-fragments or an offset: the transport header's sum spans frames. */
		if (ihl < 20 || total < ihl || total > iplen || (csum_be16(ip + 6) & 0x3fff))
			return false;
		out->proto = ip[9];
		out->off = ETH_HLEN + ihl;
		l4len = total - ihl;
		sum = csum_add(0, ip + 12, 8);          /* source and destination */
	} else if (type == ETHERTYPE_IPV6) {
		if (iplen < 40 || ip[0] >> 4 != 6)
			return false;
		size_t payload = csum_be16(ip + 4);
		if (payload + 40 > iplen)
			return false;
		out->proto = ip[6];                     /* extension headers are not followed */
		out->off = ETH_HLEN + 40;
		l4len = payload;
		sum = csum_add(0, ip + 8, 32);
	} else {
		return false;
	}
	if (out->proto == PROTO_TCP ? l4len < 20 : out->proto == PROTO_UDP ? l4len < 8 : true)
		return false;
	/* The pseudo-header's length and protocol words; the IPv6 form has a
	 * 32-bit length and the protocol in its last byte, which sums the same
	 * for lengths below 64 KiB. */
	out->pseudo = csum_add(sum, (uint8_t[]){ 0, out->proto, (uint8_t)(l4len >> 8), (uint8_t)l4len }, 4);
	return out->off + l4len <= len;
}

/* The transport segment's length, from the IP header csum_locate read. */
static size_t l4_len(const uint8_t *f, const struct csum_l4 *l4)
{
	const uint8_t *ip = f + ETH_HLEN;
	return csum_be16(f + 12) == ETHERTYPE_IPV4 ? (size_t)csum_be16(ip + 2) - (l4->off - ETH_HLEN) : csum_be16(ip + 4);
}

bool csum_tx_prepare(uint8_t *f, size_t len, uint16_t *start, uint16_t *offset)
{
	struct csum_l4 l4;
	if (!csum_locate(f, len, &l4) || l4.proto != PROTO_TCP)
		return false;
	uint16_t s = csum_fold(l4.pseudo);
	f[l4.off + CSUM_TCP_FIELD] = (uint8_t)(s >> 8);
	f[l4.off + CSUM_TCP_FIELD + 1] = (uint8_t)s;
	*start = (uint16_t)l4.off;
	*offset = CSUM_TCP_FIELD;
	return true;
}

bool csum_complete(uint8_t *f, size_t len, size_t start, size_t offset)
{
	if (start >= len || offset + 2 > len - start)
		return false;
	/* The field holds the pseudo-header's sum; the sum runs to the end of the
	 * IP datagram when we can find it (Ethernet padding is not data). */
	size_t end = len;
	struct csum_l4 l4;
	bool located = csum_locate(f, len, &l4) && l4.off == start;
	if (located)
		end = start + l4_len(f, &l4);
	uint16_t s = (uint16_t)~csum_fold(csum_add(0, f + start, end - start));
	if (s == 0 && located && l4.proto == PROTO_UDP)
		s = 0xffff;                             /* UDP's zero means "no checksum" (RFC 768) */
	f[start + offset] = (uint8_t)(s >> 8);
	f[start + offset + 1] = (uint8_t)s;
	return true;
}

bool csum_tcp_ok(const uint8_t *f, size_t len)
{
	struct csum_l4 l4;
	if (!csum_locate(f, len, &l4) || l4.proto != PROTO_TCP)
		return true;
	return csum_fold(csum_add(l4.pseudo, f + l4.off, l4_len(f, &l4))) == 0xffff;
}
