/* The interfaces as /proc/net/dev and /proc/net/route describe them: a
 * snapshot taken under net_lock, in plain types, so procfs need not know
 * lwIP. Ethernet counters are the stack's own (net_input, link_output); the
 * loopback's are lwIP's MIB-II counters (it loops packets itself). */
#include "kernel.h"
#include "net.h"
#include "lwip/netif.h"

/* Fill I from NIF. Under net_lock. */
static void describe(struct net_if_info *i, struct netif *nif)
{
	memset(i, 0, sizeof *i);
	net_ifname(nif, i->name);
	i->loopback = nif->name[0] == 'l' && nif->name[1] == 'o';
	i->up = netif_is_up(nif);
	i->default_route = nif == netif_default;
	i->addr = ip4_addr_get_u32(netif_ip4_addr(nif));
	i->mask = ip4_addr_get_u32(netif_ip4_netmask(nif));
	i->gw = ip4_addr_get_u32(netif_ip4_gw(nif));
	i->mtu = i->loopback ? 0 : nif->mtu;
	if (i->loopback) {
		const struct stats_mib2_netif_ctrs *m = &nif->mib2_counters;
		i->rx_bytes = m->ifinoctets;
		i->rx_packets = m->ifinucastpkts + m->ifinnucastpkts;
		i->rx_drop = m->ifindiscards;
		i->rx_errs = m->ifinerrors;
		i->tx_bytes = m->ifoutoctets;
		i->tx_packets = m->ifoutucastpkts + m->ifoutnucastpkts;
		i->tx_drop = m->ifoutdiscards;
		i->tx_errs = m->ifouterrors;
	} else {
		const struct net_dev *d = nif->state;
		i->rx_bytes = d->rx_bytes;
		i->rx_packets = d->rx_packets;
		i->rx_drop = d->rx_dropped;
		i->rx_errs = d->csum_dropped;
		i->tx_bytes = d->tx_bytes;
		i->tx_packets = d->tx_packets;
		i->tx_drop = d->tx_dropped;
	}
}

int net_if_list(struct net_if_info *out, int max)
{
	/* lwIP keeps the newest interface first; Linux lists them by index (lo, eth0, eth1, ...). */
	int n = 0;
	net_lock();
	for (u8_t idx = 1; idx != 0 && n < max; idx++) {
		struct netif *nif = netif_get_by_index(idx);
		if (!nif)
			break;
		describe(&out[n++], nif);
	}
	net_unlock();
	return n;
}
