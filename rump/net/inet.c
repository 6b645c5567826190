/* Address conversion between the Linux ABI and lwIP, shared by tcp.c and udp.c. */
#include "inet.h"
#include "lwip/err.h"
#include "lwip/netif.h"

int inet_parse(const struct sock *s, const void *addr, uint32_t len, ip_addr_t *ip, uint16_t *port, bool bind)
{
	uint16_t family;
	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, addr, sizeof family);
	if (s->domain == AF_INET) {
		struct sockaddr_in sin;
		if (len < sizeof sin)
			return -EINVAL;
		memcpy(&sin, addr, sizeof sin);
		/* Linux takes AF_UNSPEC with INADDR_ANY for bind, for old programs. */
		if (family != AF_INET && !(bind && family == AF_UNSPEC && sin.addr == 0))
			return -EAFNOSUPPORT;
		ip_addr_set_ip4_u32_val(*ip, sin.addr);
		*port = lwip_ntohs(sin.port);
		return 0;
	}
	struct sockaddr_in6 sin6;
	if (len < sizeof sin6 || family != AF_INET6)
		return len < sizeof sin6 ? -EINVAL : -EAFNOSUPPORT;
	memcpy(&sin6, addr, sizeof sin6);
	*port = lwip_ntohs(sin6.port);
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(sin6.addr, mapped, 12)) {
		if (s->v6only)
			return -EAFNOSUPPORT;
		uint32_t v4;
		memcpy(&v4, sin6.addr + 12, 4);
		ip_addr_set_ip4_u32_val(*ip, v4);
		return 0;
	}
	uint32_t w[4];
	memcpy(w, sin6.addr, 16);
	if (bind && !w[0] && !w[1] && !w[2] && !w[3] && !s->v6only) {
		ip_addr_copy(*ip, *IP_ANY_TYPE);
		return 0;
	}
	IP_ADDR6(ip, w[0], w[1], w[2], w[3]);
	ip6_addr_clear_zone(ip_2_ip6(ip));
	if (ip6_addr_islinklocal(ip_2_ip6(ip)) && netif_default)
		ip6_addr_assign_zone(ip_2_ip6(ip), IP6_UNICAST, netif_default);
	return 0;
}

void inet_format(const struct sock *s, const ip_addr_t *ip, uint16_t port, void *addr, uint32_t *len)
{
	if (s->domain == AF_INET) {
		struct sockaddr_in sin = { .family = AF_INET, .port = lwip_htons(port) };
		sin.addr = ip && IP_IS_V4(ip) ? ip4_addr_get_u32(ip_2_ip4(ip)) : 0;
		memcpy(addr, &sin, MIN(*len, (uint32_t)sizeof sin));
		*len = sizeof sin;
		return;
	}
	struct sockaddr_in6 sin6 = { .family = AF_INET6, .port = lwip_htons(port) };
	if (ip && IP_IS_V4_VAL(*ip) && !ip4_addr_isany(ip_2_ip4(ip))) {
		sin6.addr[10] = sin6.addr[11] = 0xff;
		uint32_t v4 = ip4_addr_get_u32(ip_2_ip4(ip));
		memcpy(sin6.addr + 12, &v4, 4);
	} else if (ip && IP_IS_V6_VAL(*ip)) {
		memcpy(sin6.addr, ip_2_ip6(ip)->addr, 16);
		if (ip6_addr_islinklocal(ip_2_ip6(ip)))
			sin6.scope_id = ip6_addr_zone(ip_2_ip6(ip));
	}
	memcpy(addr, &sin6, MIN(*len, (uint32_t)sizeof sin6));
	*len = sizeof sin6;
}

int inet_errno(int err)
{
	switch (err) {
	case ERR_OK: return 0;
	case ERR_MEM: return -ENOMEM;
	case ERR_BUF: return -ENOBUFS;
	case ERR_TIMEOUT: return -ETIMEDOUT;
	case ERR_RTE: return -ENETUNREACH;
	case ERR_INPROGRESS: return -EINPROGRESS;
	case ERR_VAL: return -EINVAL;
	case ERR_WOULDBLOCK: return -EAGAIN;
	case ERR_USE: return -EADDRINUSE;
	case ERR_ALREADY: return -EALREADY;
	case ERR_ISCONN: return -EISCONN;
	case ERR_CONN: return -ENOTCONN;
	case ERR_IF: return -ENETDOWN;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_RST: return -ECONNRESET;
	case ERR_CLSD: return -ENOTCONN;
	case ERR_ARG: return -EINVAL;
	}
	return -EIO;
}

uint8_t inet_pcb_type(const struct sock *s)
{
	if (s->domain == AF_INET)
		return IPADDR_TYPE_V4;
	return s->v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
}
