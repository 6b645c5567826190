/* How the first Ethernet interface gets its IPv4 address and where the DNS
 * servers come from: DHCP unless the kernel command line's ip= says
 * otherwise (rump/net/ipconfig.c); netif.c applies it. */
#pragma once
#include "kernel.h"
#include "lwip/netif.h"

/* Give NIF (the first Ethernet interface, up) its IPv4 configuration: the
 * static address and route, or DHCP. True when an address is coming (boot
 * waits for it), false for ip=off. Under net_lock. */
bool ipconfig_apply(struct netif *nif);

/* True when the DNS servers known now differ from what /run/resolv.conf
 * says, once it has been written at boot (net_publish_resolv_conf then
 * rewrites it). Under net_lock; cheap. */
bool ipconfig_resolv_stale(void);
