/* AF_NETLINK/NETLINK_ROUTE, only as far as glibc's getifaddrs() goes (Node's
 * os.networkInterfaces()): a dump of links (RTM_GETLINK) and of addresses
 * (RTM_GETADDR), answered from lwIP's interfaces. Each request queues its
 * answer as datagrams of at most one page, the last one NLMSG_DONE. */
#include "inet.h"
#include "lwip/netif.h"

#define NETLINK_ROUTE 0
#define SOCK_RAW 3

#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define NLM_F_REQUEST 1
#define NLM_F_MULTI 2
#define NLM_F_DUMP 0x300
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_MULTICAST 0x1000
#define IFF_LOWER_UP 0x10000
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254

#define DGRAM_MAX 4096

struct nlmsghdr { uint32_t len; uint16_t type, flags; uint32_t seq, pid; };
struct ifinfomsg { uint8_t family, pad; uint16_t type; int32_t index; uint32_t flags, change; };
struct ifaddrmsg { uint8_t family, prefixlen, flags, scope; uint32_t index; };
struct sockaddr_nl { uint16_t family, pad; uint32_t pid, groups; };

struct nl_dgram { struct nl_dgram *next; uint32_t len; char data[DGRAM_MAX]; };

struct nl_sock {
	uint32_t port;               /* our address (the nl_pid glibc checks replies against) */
	struct nl_dgram *head, *tail;
};

static uint32_t next_port = 1000;

static struct nl_sock *N(struct sock *s) { return s->proto; }

/* Room for a message of N bytes in the last datagram, or a new one. */
static char *reserve(struct nl_sock *n, uint32_t len)
{
	len = ALIGN_UP(len, 4u);
	if (!n->tail || n->tail->len + len > DGRAM_MAX) {
		struct nl_dgram *d = kzalloc(sizeof(*d));
		if (!d)
			return NULL;
		if (n->tail)
			n->tail->next = d;
		else
			n->head = d;
		n->tail = d;
	}
	char *p = n->tail->data + n->tail->len;
	n->tail->len += len;
	return p;
}

/* A message under construction in a kernel scratch buffer. */
struct msgbuf { char b[512]; uint32_t len; };

static void attr(struct msgbuf *m, uint16_t type, const void *data, uint16_t len)
{
	uint16_t hdr[2] = { (uint16_t)(4 + len), type };
	if (m->len + ALIGN_UP(4u + len, 4u) > sizeof m->b)
		return;
	memcpy(m->b + m->len, hdr, 4);
	memcpy(m->b + m->len + 4, data, len);
	memset(m->b + m->len + 4 + len, 0, ALIGN_UP(4u + len, 4u) - 4 - len);
	m->len += ALIGN_UP(4u + len, 4u);
}

static void emit(struct nl_sock *n, struct msgbuf *m, uint16_t type, uint32_t seq)
{
	struct nlmsghdr h = { m->len, type, NLM_F_MULTI, seq, n->port };
	memcpy(m->b, &h, sizeof h);
	char *p = reserve(n, m->len);
	if (p)
		memcpy(p, m->b, m->len);
}

/* Linux-style names: lo, then eth0, eth1, ... in interface order (the names
 * ip= and the kernel log use too). Under net_lock. */
void net_ifname(struct netif *nif, char name[8])
{
	if (nif->name[0] == 'l' && nif->name[1] == 'o') {
		strlcpy(name, "lo", 8);
		return;
	}
	int k = 0;
	struct netif *x;
	NETIF_FOREACH(x)
		if (x != nif && x->num < nif->num && !(x->name[0] == 'l' && x->name[1] == 'o'))
			k++;
	snprintf(name, 8, "eth%d", k);
}

static void dump_links(struct nl_sock *n, uint32_t seq)
{
	struct netif *nif;
	/* By index, as Linux lists them (lwIP keeps the newest first). */
	for (u8_t idx = 1; idx && (nif = netif_get_by_index(idx)); idx++) {
		bool lo = nif->name[0] == 'l' && nif->name[1] == 'o';
		struct msgbuf m = { .len = sizeof(struct nlmsghdr) };
		struct ifinfomsg ifi = { .family = AF_UNSPEC, .type = lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER,
					 .index = netif_get_index(nif), .change = 0xffffffff };
		ifi.flags = (netif_is_up(nif) ? IFF_UP | IFF_RUNNING | IFF_LOWER_UP : 0) |
			    (lo ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST);
		memcpy(m.b + m.len, &ifi, sizeof ifi);
		m.len += sizeof ifi;
		char name[8];
		net_ifname(nif, name);
		attr(&m, IFLA_IFNAME, name, (uint16_t)(strlen(name) + 1));
		uint8_t mac[6] = { 0 }, bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		if (!lo)
			memcpy(mac, nif->hwaddr, 6);
		attr(&m, IFLA_ADDRESS, mac, 6);
		attr(&m, IFLA_BROADCAST, lo ? mac : bcast, 6);
		uint32_t mtu = lo ? 65536 : nif->mtu;
		attr(&m, IFLA_MTU, &mtu, 4);
		emit(n, &m, RTM_NEWLINK, seq);
	}
}

static void addr_msg(struct nl_sock *n, struct netif *nif, uint8_t family, const void *a, uint8_t prefix, uint8_t scope, uint32_t seq)
{
	struct msgbuf m = { .len = sizeof(struct nlmsghdr) };
	struct ifaddrmsg ifa = { family, prefix, 0, scope, netif_get_index(nif) };
	memcpy(m.b + m.len, &ifa, sizeof ifa);
	m.len += sizeof ifa;
	uint16_t alen = family == AF_INET ? 4 : 16;
	attr(&m, IFA_ADDRESS, a, alen);
	if (family == AF_INET) {
		attr(&m, IFA_LOCAL, a, alen);
		char name[8];
		net_ifname(nif, name);
		attr(&m, IFA_LABEL, name, (uint16_t)(strlen(name) + 1));
	}
	emit(n, &m, RTM_NEWADDR, seq);
}

static void dump_addrs(struct nl_sock *n, uint8_t family, uint32_t seq)
{
	struct netif *nif;
	/* By index, as Linux lists them (lwIP keeps the newest first). */
	for (u8_t idx = 1; idx && (nif = netif_get_by_index(idx)); idx++) {
		bool lo = nif->name[0] == 'l' && nif->name[1] == 'o';
		if ((family == AF_UNSPEC || family == AF_INET) && !ip4_addr_isany_val(*netif_ip4_addr(nif))) {
			uint32_t a = ip4_addr_get_u32(netif_ip4_addr(nif)), mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(nif)));
			uint8_t prefix = 0;
			while (prefix < 32 && (mask & (0x80000000u >> prefix)))
				prefix++;
			addr_msg(n, nif, AF_INET, &a, prefix, lo ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE, seq);
		}
		if (family != AF_UNSPEC && family != AF_INET6)
			continue;
		for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++) {
			if (!ip6_addr_isvalid(netif_ip6_addr_state(nif, i)))
				continue;
			const ip6_addr_t *a6 = netif_ip6_addr(nif, i);
			uint8_t scope = lo ? RT_SCOPE_HOST : ip6_addr_islinklocal(a6) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
			addr_msg(n, nif, AF_INET6, a6->addr, lo ? 128 : 64, scope, seq);
		}
	}
}

static long nl_send_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct nl_sock *n = N(s);
	size_t total = iov_total(m);
	struct { struct nlmsghdr h; uint8_t family; } req = { 0 };
	if (total < sizeof req.h || !m->iovlen || m->iov[0].len < sizeof req.h)
		return -EINVAL;
	memcpy(&req, m->iov[0].base, MIN(m->iov[0].len, sizeof req));
	bool dump = (req.h.flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (req.h.type == RTM_GETLINK && dump) {
		dump_links(n, req.h.seq);
	} else if (req.h.type == RTM_GETADDR && dump) {
		dump_addrs(n, req.h.len > sizeof req.h ? req.family : AF_UNSPEC, req.h.seq);
	} else {
		klog_once("netlink-req", "uninode: netlink request type %u is not supported\n", req.h.type);
		struct msgbuf e = { .len = sizeof(struct nlmsghdr) };
		int32_t err = -EOPNOTSUPP;
		memcpy(e.b + e.len, &err, 4);
		memcpy(e.b + e.len + 4, &req.h, sizeof req.h);
		e.len += 4 + sizeof req.h;
		emit(n, &e, NLMSG_ERROR, req.h.seq);
		sock_wake(s, EPOLLIN | EPOLLRDNORM);
		return (long)total;
	}
	struct msgbuf done = { .len = sizeof(struct nlmsghdr) + 4 };
	memset(done.b + sizeof(struct nlmsghdr), 0, 4);
	emit(n, &done, NLMSG_DONE, req.h.seq);
	sock_wake(s, EPOLLIN | EPOLLRDNORM);
	return (long)total;
}

static long nl_recv_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct nl_sock *n = N(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int w;
	while (!n->head) {
		if (nonblock)
			return -EAGAIN;
		if ((w = sock_wait(s, deadline)))
			return sock_wait_error(w);
	}
	struct nl_dgram *d = n->head;
	size_t off = 0;
	for (int i = 0; i < m->iovlen && off < d->len; i++) {
		size_t k = MIN(m->iov[i].len, d->len - off);
		memcpy(m->iov[i].base, d->data + off, k);
		off += k;
	}
	if (off < d->len)
		m->flags |= MSG_TRUNC;
	if (m->name) {
		struct sockaddr_nl from = { AF_NETLINK, 0, 0, 0 };   /* the kernel */
		memcpy(m->name, &from, MIN(m->namelen, (uint32_t)sizeof from));
		m->namelen = sizeof from;
	}
	long r = (long)((flags & MSG_TRUNC) ? d->len : off);
	if (!(flags & MSG_PEEK)) {
		n->head = d->next;
		if (!n->head)
			n->tail = NULL;
		kfree(d);
	}
	return r;
}

static int nl_bind_op(struct sock *s, const void *addr, uint32_t len)
{
	struct sockaddr_nl a;
	if (len < sizeof a)
		return -EINVAL;
	memcpy(&a, addr, sizeof a);
	if (a.family != AF_NETLINK)
		return -EINVAL;
	if (a.groups) {                          /* no events are ever sent: say so rather than wait forever */
		klog_once("netlink-groups", "uninode: netlink multicast groups (route change events) are not supported\n");
		return -EINVAL;
	}
	if (a.pid)
		N(s)->port = a.pid;
	return 0;
}

static int nl_getname_op(struct sock *s, void *addr, uint32_t *len, bool peer)
{
	struct sockaddr_nl a = { AF_NETLINK, 0, peer ? 0 : N(s)->port, 0 };
	memcpy(addr, &a, MIN(*len, (uint32_t)sizeof a));
	*len = sizeof a;
	return 0;
}

static unsigned nl_poll_op(struct sock *s) { return EPOLLOUT | EPOLLWRNORM | (N(s)->head ? EPOLLIN | EPOLLRDNORM : 0); }

static int nl_setopt_op(struct sock *s, int level, int name, const void *val, uint32_t len)
{
	/* Extended acks and strict checking change only how errors are worded,
	 * and dumps are answered strictly anyway; anything else is not done. */
	if (level == 270 /* SOL_NETLINK */ && (name == 11 /* NETLINK_EXT_ACK */ || name == 12 /* NETLINK_GET_STRICT_CHK */))
		return 0;
	klog_once("netlink-opt", "uninode: setsockopt(level %d, option %d) on a netlink socket is not supported\n", level, name);
	return -ENOPROTOOPT;
}

static void nl_release_op(struct sock *s)
{
	struct nl_sock *n = N(s);
	while (n->head) {
		struct nl_dgram *d = n->head;
		n->head = d->next;
		kfree(d);
	}
	kfree(n);
	sock_free(s);
}

static const struct sock_ops netlink_ops = {
	.bind = nl_bind_op, .sendmsg = nl_send_op, .recvmsg = nl_recv_op, .getname = nl_getname_op,
	.setopt = nl_setopt_op, .poll = nl_poll_op, .release = nl_release_op,
};

int netlink_create(struct sock *s)
{
	if (s->type != SOCK_RAW && s->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (s->protocol != NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	struct nl_sock *n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->port = __atomic_fetch_add(&next_port, 1, __ATOMIC_RELAXED);
	s->proto = n;
	s->ops = &netlink_ops;
	return 0;
}
