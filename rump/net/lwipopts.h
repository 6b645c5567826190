/* lwIP configuration for the uninode kernel. lwIP runs without an OS layer
 * (NO_SYS): one kernel thread drives its timers and input, and every call
 * into it, from that thread or from a syscall, holds one lock (net_lock in
 * rump/net/netif.c). Memory comes from the kernel heap, never from static
 * pools, so the number of connections is bounded by RAM alone. */
#pragma once

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0          /* one lock around all of lwIP, taken by our code */
#define LWIP_TIMERS 1
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0                   /* our own socket layer over the raw API */
#define LWIP_CALLBACK_API 1
#define LWIP_SINGLE_NETIF 0

/* ---- memory: the kernel heap ---- */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define mem_clib_malloc lwip_port_malloc
#define mem_clib_free lwip_port_free
#define mem_clib_calloc lwip_port_calloc
#include <stddef.h>
void *lwip_port_malloc(size_t n);
void lwip_port_free(void *p);
void *lwip_port_calloc(size_t n, size_t size);
#define PBUF_POOL_SIZE 256
#define PBUF_POOL_BUFSIZE 1536
#define MEMP_NUM_SYS_TIMEOUT 32
#define LWIP_SUPPORT_CUSTOM_PBUF 1

/* ---- link and addresses ---- */
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_QUEUEING 1
#define ARP_TABLE_SIZE 32
#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0           /* QEMU's network has no other hosts; it costs a second of boot */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
/* The app's libc resolves names over UDP itself; lwIP's DNS client is on only
 * so that DHCP asks for and keeps the DNS servers (option 6) that
 * /run/resolv.conf lists (rump/net/ipconfig.c). */
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 2
#define LWIP_DHCP_MAX_DNS_SERVERS 2
#define LWIP_IPV6_AUTOCONFIG 1
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_ND6_NUM_NEIGHBORS 16
#define LWIP_ND6_NUM_DESTINATIONS 32
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
#define IPV6_FRAG_COPYHEADER 1           /* pointers are 8 bytes: the helper does not fit the header */
#define IP_REASS_MAX_PBUFS 64
#define IP_DEFAULT_TTL 64

/* Loopback: 127.0.0.1 and ::1 on their own interface, and traffic to our own
 * addresses on the Ethernet interface looped back too. Queued packets are
 * delivered by netif_poll_all(), which net_unlock() calls. */
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1

/* ---- transport ---- */
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_UDPLITE 0
#define SO_REUSE 1
#define SO_REUSE_RXTOALL 1
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 0xff
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3                 /* windows up to 512 KiB */
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_SNDLOWAT (32 * 1024)          /* lwIP keeps it below 64 KiB */
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 4)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OVERSIZE TCP_MSS
#define LWIP_TCP_SACK_OUT 0
#define TCP_TTL 64
#define MEMP_NUM_TCP_PCB 4096            /* limits only apply to static pools; kept for sanity */
#define MEMP_NUM_TCP_PCB_LISTEN 256
#define MEMP_NUM_UDP_PCB 256

/* ---- checksums: in software, but for TCP on devices that offload it
 * (per interface: rump/net/netif.c, rump/net/csum.c) ---- */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_CHECKSUM_ON_COPY 0
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_GEN_ICMP6 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1

/* ---- hooks: ICMP errors reach connected UDP sockets (rump/net/icmp_err.c) ---- */
struct pbuf;
struct netif;
int net_icmp_hook_ip4(struct pbuf *p, struct netif *inp);
int net_icmp_hook_ip6(struct pbuf *p, struct netif *inp);
#define LWIP_HOOK_IP4_INPUT(p, inp) net_icmp_hook_ip4((p), (inp))
#define LWIP_HOOK_IP6_INPUT(p, inp) net_icmp_hook_ip6((p), (inp))

/* ---- diagnostics ---- */
/* Only the per-interface MIB-II counters (the loopback's, for /proc/net/dev). */
#define LWIP_STATS 1
#define MIB2_STATS 1
#define LINK_STATS 0
#define ETHARP_STATS 0
#define IP_STATS 0
#define IPFRAG_STATS 0
#define ICMP_STATS 0
#define IGMP_STATS 0
#define UDP_STATS 0
#define TCP_STATS 0
#define MEM_STATS 0
#define MEMP_STATS 0
#define SYS_STATS 0
#define IP6_STATS 0
#define ICMP6_STATS 0
#define IP6_FRAG_STATS 0
#define MLD6_STATS 0
#define ND6_STATS 0
#define LWIP_DEBUG 0
