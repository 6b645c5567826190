/* How each Ethernet interface gets its IPv4 address and where the DNS
 * servers come from: DHCP unless the kernel command line's ip= tokens say
 * otherwise (rump/net/ipconfig.c); netif.c applies it. /run/hosts holds the
 * names of the VM's network peers (rump/net/hosts.c). */
#pragma once
#include "kernel.h"
#include "lwip/netif.h"

/* Give NIF (Ethernet interface INDEX, eth0 = 0, up) its IPv4 configuration:
 * the static address and route, or DHCP. True when an address is coming
 * (boot waits for it), false for ip=off. Under net_lock. */
bool ipconfig_apply(struct netif *nif, int index);

/* "a.b.c.d" (LEN bytes, nothing else) into *OUT, network byte order. */
bool ipconfig_parse_quad(const char *s, size_t len, uint32_t *out);

/* True when a control-channel hosts line waits to be written to /run/hosts
 * (net_publish_hosts then does it). Cheap; any context. */
bool hosts_stale(void);

/* True when the DNS servers known now differ from what /run/resolv.conf
 * says, once it has been written at boot (net_publish_resolv_conf then
 * rewrites it). Under net_lock; cheap. */
bool ipconfig_resolv_stale(void);
