/* The stack: lwIP brought up with a loopback interface and one Ethernet
 * interface per registered device, eth0, eth1, ... in the order drivers
 * registered them (IPv4 by DHCP, or as the kernel command line's ip= tokens
 * say; a link-local address and SLAAC for IPv6; the default route is eth0's),
 * one sleeping lock around every call into lwIP, and the net thread that
 * feeds it received frames, runs its timers and keeps /run/resolv.conf and
 * /run/hosts current. */
#include "kernel.h"
#include "arch.h"
#include "sched.h"
#include "net.h"
#include "ipconfig.h"
#include "csum.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/dhcp.h"
#include "lwip/timeouts.h"
#include "lwip/pbuf.h"
#include "lwip/ip_addr.h"
#include "netif/ethernet.h"

#define DHCP_WAIT_NS (3ULL * 1000000000ULL)  /* boot goes on without an address after this */
#define POLL_BUDGET 64

static struct mutex net_mtx = MUTEX_INIT("net");
static struct net_dev *devices;        /* registered, in order; guarded by net_mtx once the stack is up */
static int attached;                   /* Ethernet interfaces made so far: the next one's index */
static bool stack_up;

/* The net thread's wake-up: a flag under a spinlock, so interrupts can set it. */
static struct spinlock wake_lock = SPINLOCK_INIT("net-wake");
static struct waitq wake_wq = WAITQ_INIT("net-wake");
static bool wake_pending;

/* Boot waits here until every interface that asked for an address has one
 * (a static private address must not end the wait for eth0's DHCP). */
static struct spinlock addr_lock = SPINLOCK_INIT("net-addr");
static struct waitq addr_wq = WAITQ_INIT("net-addr");
static int addr_pending;            /* guarded by addr_lock */

void net_lock(void) { mutex_lock(&net_mtx); }

bool net_locked(void) { return mutex_held(&net_mtx); }

/* Deliver what lwIP looped back (to 127.0.0.1, ::1, or our own address)
 * before letting go: loopback packets have no thread of their own. */
void net_unlock(void)
{
	bool left = false;
	if (stack_up) {
		for (int round = 0; round < 64; round++) {
			left = false;
			struct netif *n;
			NETIF_FOREACH(n)
				left |= n->loop_first != NULL;
			if (!left)
				break;
			netif_poll_all();
		}
	}
	mutex_unlock(&net_mtx);
	if (left)
		net_wake();                     /* a long exchange: the net thread goes on with it */
}

void net_wake(void)
{
	spin_lock(&wake_lock);
	wake_pending = true;
	spin_unlock(&wake_lock);
	waitq_wake(&wake_wq, 1);
}

void net_input(struct net_dev *d, const void *frame, size_t len, bool csum_valid)
{
	struct netif *nif = d->stack;
	/* lwIP does not check TCP on an offloading interface (its own looped-back
	 * segments carry no checksum): frames from the wire are checked here. */
	d->rx_bytes += len;
	d->rx_packets++;
	if (d->tcp_csum_offload && !csum_valid && !csum_tcp_ok(frame, len)) {
		d->csum_dropped++;
		return;
	}
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		d->rx_dropped++;
		return;                         /* out of memory: as a wire would, drop it */
	}
	pbuf_take(p, frame, (u16_t)len);
	if (nif->input(p, nif) != ERR_OK)
		pbuf_free(p);
}

/* lwIP's link output: gather the pbuf chain for the driver. */
static err_t link_output(struct netif *nif, struct pbuf *p)
{
	struct net_dev *d = nif->state;
	struct net_seg segs[16];
	int n = 0;
	for (struct pbuf *q = p; q; q = q->next) {
		if (n == (int)ARRAY_SIZE(segs))
			return ERR_BUF;
		if (q->len)
			segs[n++] = (struct net_seg){ q->payload, q->len };
	}
	int r = d->xmit(d, segs, n, p->tot_len);
	if (r == 0) {
		d->tx_bytes += p->tot_len;
		d->tx_packets++;
	} else {
		d->tx_dropped++;
	}
	return r == 0 ? ERR_OK : r == -EAGAIN ? ERR_MEM : ERR_IF;
}

/* An interface's addresses changed: report a new IPv4 address once, wake boot. */
static void status_changed(struct netif *nif)
{
	struct net_dev *d = nif->state;
	if (!netif_is_up(nif) || ip4_addr_isany_val(*netif_ip4_addr(nif)) || d->reported_ip == ip4_addr_get_u32(netif_ip4_addr(nif)))
		return;
	bool first = d->reported_ip == 0;
	d->reported_ip = ip4_addr_get_u32(netif_ip4_addr(nif));
	char ip[16], mask[16], gw[16];
	ip4addr_ntoa_r(netif_ip4_addr(nif), ip, sizeof ip);
	ip4addr_ntoa_r(netif_ip4_netmask(nif), mask, sizeof mask);
	ip4addr_ntoa_r(netif_ip4_gw(nif), gw, sizeof gw);
	char name[8];
	net_ifname(nif, name);
	kprintf("net: %s: %s netmask %s gateway %s\n", name, ip, mask, gw);
	if (!first)
		return;
	spin_lock(&addr_lock);
	addr_pending--;
	spin_unlock(&addr_lock);
	waitq_wake(&addr_wq, INT32_MAX);
}

static err_t eth_netif_init(struct netif *nif)
{
	struct net_dev *d = nif->state;
	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->hwaddr_len = 6;
	memcpy(nif->hwaddr, d->mac, 6);
	nif->mtu = d->mtu;
	nif->mtu6 = d->mtu;
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
	nif->output = etharp_output;
	nif->output_ip6 = ethip6_output;
	nif->linkoutput = link_output;
	netif_set_hostname(nif, "uninode");
	if (d->tcp_csum_offload)
		NETIF_SET_CHECKSUM_CTRL(nif, NETIF_CHECKSUM_ENABLE_ALL & ~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_CHECK_TCP));
	return ERR_OK;
}

/* Give D an lwIP interface and start asking for addresses: 1 when an IPv4
 * address is coming, 0 when none is asked for. Under net_mtx. */
static int attach(struct net_dev *d)
{
	struct netif *nif = kzalloc(sizeof(*nif));
	if (!nif)
		return -ENOMEM;
	if (!netif_add(nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, d, eth_netif_init, ethernet_input)) {
		kfree(nif);
		return -EIO;
	}
	d->stack = nif;
	netif_set_status_callback(nif, status_changed);
	if (!netif_default)
		netif_set_default(nif);
	netif_create_ip6_linklocal_address(nif, 1);
	netif_set_ip6_autoconfig_enabled(nif, 1);
	netif_set_up(nif);
	netif_set_link_up(nif);
	/* Counted before asking: a static address reports itself at once. */
	spin_lock(&addr_lock);
	addr_pending++;
	spin_unlock(&addr_lock);
	/* DHCP starts only on an interface that is up; a static address may come at any time. */
	if (ipconfig_apply(nif, attached++))
		return 1;
	spin_lock(&addr_lock);
	addr_pending--;
	spin_unlock(&addr_lock);
	return 0;
}

/* Append D to the device list: eth0 is the first device a driver found. */
static void add_device(struct net_dev *d)
{
	struct net_dev **p = &devices;
	while (*p)
		p = &(*p)->next;
	d->next = NULL;
	*p = d;
}

int net_register(struct net_dev *d)
{
	if (!stack_up) {
		add_device(d);
		return 0;
	}
	net_lock();
	add_device(d);
	int r = attach(d);
	net_unlock();
	net_wake();
	return r < 0 ? r : 0;
}

/* Input from the devices and lwIP's timers, forever. */
static void net_thread(void *arg)
{
	for (;;) {
		bool more = false, polled = false;
		net_lock();
		for (struct net_dev *d = devices; d; d = d->next) {
			if (d->stack)
				more |= d->poll(d, POLL_BUDGET);
			polled |= d->polled;
		}
		sys_check_timeouts();
		u32_t ms = sys_timeouts_sleeptime();
		bool dns_moved = ipconfig_resolv_stale();
		net_unlock();
		if (dns_moved)
			net_publish_resolv_conf();
		if (hosts_stale())
			net_publish_hosts();
		if (more) {
			schedule();                 /* let others run between batches */
			continue;
		}
		if (polled && ms > 1)
			ms = 1;
		uint64_t deadline = ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 0 : time_monotonic_ns() + (uint64_t)ms * 1000000;
		spin_lock(&wake_lock);
		if (!wake_pending)
			waitq_sleep(&wake_wq, &wake_lock, deadline);
		wake_pending = false;
		spin_unlock(&wake_lock);
	}
}

void net_init(void)
{
	net_lock();
	lwip_init();                        /* also adds the loopback interface (lo: 127.0.0.1, ::1) */
	stack_up = true;
	bool any = false;
	for (struct net_dev *d = devices; d; d = d->next)
		any |= attach(d) > 0;
	net_unlock();
	struct thread *t = thread_create("net", net_thread, NULL, false);
	if (!t)
		panic("net: cannot start the net thread");
	thread_start(t);
	if (!any)
		return;
	uint64_t deadline = time_monotonic_ns() + DHCP_WAIT_NS;
	spin_lock(&addr_lock);
	while (addr_pending > 0 && time_monotonic_ns() < deadline)
		waitq_sleep(&addr_wq, &addr_lock, deadline);
	int missing = addr_pending;
	spin_unlock(&addr_lock);
	if (missing)
		kprintf("net: no DHCP answer within %llu s on %d interface%s; going on without its IPv4 address\n",
			DHCP_WAIT_NS / 1000000000ULL, missing, missing == 1 ? "" : "s");
}
