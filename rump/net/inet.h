/* Linux socket addresses <-> lwIP addresses, for the inet families. */
#pragma once
#include "sock.h"
#include "lwip/ip_addr.h"

struct sockaddr_in { uint16_t family; uint16_t port; uint32_t addr; uint8_t zero[8]; };
struct sockaddr_in6 { uint16_t family; uint16_t port; uint32_t flowinfo; uint8_t addr[16]; uint32_t scope_id; };

/* Read ADDR/LEN for socket S into IP and PORT (host order). For bind, the
 * unspecified address of a dual-stack AF_INET6 socket becomes "any type"
 * (IPv4 and IPv6 both); v4-mapped IPv6 addresses become IPv4 ones. */
int inet_parse(const struct sock *s, const void *addr, uint32_t len, ip_addr_t *ip, uint16_t *port, bool bind);
/* Write IP/PORT as S's family shows them (IPv4 on an AF_INET6 socket as
 * ::ffff:a.b.c.d) into ADDR of *LEN bytes; *LEN becomes the full size. */
void inet_format(const struct sock *s, const ip_addr_t *ip, uint16_t port, void *addr, uint32_t *len);
/* lwIP's err_t as a negative errno. */
int inet_errno(int err);
/* The lwIP address type for a new pcb of socket S. */
uint8_t inet_pcb_type(const struct sock *s);
/* An ICMP error about a datagram from local port SPORT to DST:DPORT: the
 * connected UDP socket that sent it fails its next call with ERR, once
 * (rump/net/icmp_err.c finds them). Under net_lock. */
void udp_icmp_error(const ip_addr_t *dst, uint16_t sport, uint16_t dport, int err);
