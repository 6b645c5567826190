/* The network seen from the rest of the kernel: network devices register
 * with the stack (rump/net/netif.c), which runs lwIP under one lock and one
 * kernel thread; the socket layer (rump/net/socket*.c) sits on top. */
#pragma once
#include "kernel.h"

/* One piece of an outgoing frame. */
struct net_seg { const void *data; size_t len; };

/* A network device, as a driver describes it to the stack. */
struct net_dev {
	const char *name;
	uint8_t mac[6];
	uint16_t mtu;
	bool polled;                /* no interrupts: the net thread looks every millisecond */
	/* The device fills in TCP checksums (csum_tx_prepare tells it where),
	 * so the stack leaves them, and checks arriving ones only when the
	 * driver says the device has not (net_input's CSUM_VALID). */
	bool tcp_csum_offload;
	uint64_t csum_dropped;      /* frames with a bad TCP checksum */
	/* /proc/net/dev's counters; the stack's, under net_lock. */
	uint64_t rx_bytes, rx_packets, rx_dropped, tx_bytes, tx_packets, tx_dropped;
	uint32_t reported_ip;       /* the IPv4 address last logged; the stack's */
	/* Send one Ethernet frame of LEN bytes gathered from SEGS. 0, or
	 * -EAGAIN when the device has no room now. Called under net_lock. */
	int (*xmit)(struct net_dev *d, const struct net_seg *segs, int nsegs, size_t len);
	/* Hand up to BUDGET received frames to net_input(); true if more are
	 * waiting. Called under net_lock, from the net thread. */
	bool (*poll)(struct net_dev *d, int budget);
	void *priv;                 /* the driver's */
	void *stack;                /* the stack's (its lwIP netif) */
	struct net_dev *next;
};

/* rump/net/netif.c */
/* Register a device; the stack brings it up in net_init (or at once, after it). */
int net_register(struct net_dev *d);
/* Bring up lwIP, loopback, every registered device (DHCP), and the net thread;
 * waits a bounded time for an address. */
void net_init(void);
/* Around every call into lwIP: a sleeping lock, so app memory may be touched
 * while holding it. net_unlock first delivers looped-back packets. */
void net_lock(void);
void net_unlock(void);
bool net_locked(void);
/* A frame arrived on D (called from ->poll): copied into the stack.
 * CSUM_VALID: the device vouches for its checksums. */
void net_input(struct net_dev *d, const void *frame, size_t len, bool csum_valid);
/* Device input or deferred work is waiting: wake the net thread. Safe from
 * interrupt handlers. */
void net_wake(void);

/* rump/net/netlink.c: an interface's Linux name (lo, eth0, ...). Under net_lock. */
struct netif;
void net_ifname(struct netif *nif, char name[8]);

/* One interface as /proc/net/dev and /proc/net/route show it. Addresses in
 * network byte order. */
struct net_if_info {
	char name[8];
	bool loopback, up, default_route;
	uint32_t addr, mask, gw;
	uint16_t mtu;
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop, tx_bytes, tx_packets, tx_errs, tx_drop;
};
/* rump/net/ifinfo.c: up to MAX interfaces (lo first) into OUT; how many. */
int net_if_list(struct net_if_info *out, int max);

/* Ethernet interfaces ip= can configure: eth0..eth3. */
#define NET_MAX_ETH 4

/* rump/net/ipconfig.c */
/* The kernel command line's ip= token (CONTRACT.md), VALUE after "ip=": the
 * IPv4 configuration of the Ethernet interface its DEVICE field names (eth0
 * when empty). A value that cannot be used
 * is logged and DHCP is kept. Called before the heap exists. */
void net_ip_option(const char *value);
/* Write /run/resolv.conf from the DNS servers known now (ip='s, else DHCP's);
 * the net thread keeps it current afterwards. Once /run is mounted; without
 * net_lock. */
void net_publish_resolv_conf(void);

/* rump/net/hosts.c */
/* The kernel command line's hosts=ADDR:NAME[:NAME...] token (CONTRACT.md),
 * VALUE after "hosts=": a peer's names for /run/hosts. Before the heap. */
void net_hosts_option(char *value);
/* A control-channel line `hosts ADDR [NAME...]` (after "hosts "): the names
 * now stand for ADDR (no names: ADDR is gone). Queued for the net thread;
 * called from the timer tick. */
void net_hosts_control(const char *line);
/* Write /run/hosts: the image's own lines (what /run/hosts held at boot),
 * then the peers'. Once /run is mounted (again on each control line);
 * without net_lock. */
void net_publish_hosts(void);
