/* UDP sockets over lwIP's raw API: datagrams queue on the socket with their
 * source until read; a full queue (the receive buffer size) drops new ones,
 * as Linux does. */
#include "inet.h"
#include "lwip/udp.h"
#include "lwip/pbuf.h"

#define UDP_MAX_PAYLOAD 65507

struct dgram {
	struct dgram *next;
	struct pbuf *p;
	ip_addr_t from;
	uint16_t port;
};

struct udp_sock {
	struct sock *s;
	struct udp_pcb *pcb;
	struct dgram *head, *tail;
	size_t queued;               /* bytes held */
	bool bound, connected;
};

static struct udp_sock *U(struct sock *s) { return s->proto; }

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	struct udp_sock *u = arg;
	struct dgram *d = u->queued + p->tot_len <= (size_t)u->s->rcvbuf ? kmalloc(sizeof(*d)) : NULL;
	if (!d) {
		pbuf_free(p);
		return;
	}
	d->next = NULL;
	d->p = p;
	ip_addr_copy(d->from, *addr);
	d->port = port;
	if (u->tail)
		u->tail->next = d;
	else
		u->head = d;
	u->tail = d;
	u->queued += p->tot_len;
	sock_wake(u->s, EPOLLIN | EPOLLRDNORM);
}

void udp_icmp_error(const ip_addr_t *dst, uint16_t sport, uint16_t dport, int err)
{
	for (struct udp_pcb *pcb = udp_pcbs; pcb; pcb = pcb->next) {
		/* Ours only: lwIP's DHCP has pcbs of its own. */
		if (pcb->recv == on_recv && (pcb->flags & UDP_FLAGS_CONNECTED) && pcb->local_port == sport &&
		    pcb->remote_port == dport && ip_addr_cmp(&pcb->remote_ip, dst)) {
			struct udp_sock *u = pcb->recv_arg;
			u->s->error = err;
			sock_wake(u->s, EPOLLERR);
			return;
		}
	}
}

static void apply(struct sock *s)
{
	struct udp_pcb *pcb = U(s)->pcb;
	if (s->reuseaddr || s->reuseport)
		ip_set_option(pcb, SOF_REUSEADDR);
	else
		ip_reset_option(pcb, SOF_REUSEADDR);
	if (s->broadcast)
		ip_set_option(pcb, SOF_BROADCAST);
	else
		ip_reset_option(pcb, SOF_BROADCAST);
}

static int udp_bind_op(struct sock *s, const void *addr, uint32_t len)
{
	struct udp_sock *u = U(s);
	ip_addr_t ip;
	uint16_t port;
	int err = inet_parse(s, addr, len, &ip, &port, true);
	if (err)
		return err;
	if (u->bound)
		return -EINVAL;
	err = inet_errno(udp_bind(u->pcb, &ip, port));
	if (err)
		return err == -EADDRINUSE ? err : -EADDRNOTAVAIL;
	u->bound = true;
	return 0;
}

static int udp_connect_op(struct sock *s, const void *addr, uint32_t len, bool nonblock)
{
	struct udp_sock *u = U(s);
	uint16_t family = 0;
	if (len >= sizeof family)
		memcpy(&family, addr, sizeof family);
	if (family == AF_UNSPEC) {               /* dissolve the association */
		udp_disconnect(u->pcb);
		u->connected = false;
		return 0;
	}
	ip_addr_t ip;
	uint16_t port;
	int err = inet_parse(s, addr, len, &ip, &port, false);
	if (err)
		return err;
	if (ip_addr_isany(&ip)) {
		if (IP_IS_V4(&ip))
			ip_addr_set_ip4_u32_val(ip, PP_HTONL(0x7f000001));
		else
			IP_ADDR6_HOST(&ip, 0, 0, 0, 1);
	}
	if ((err = inet_errno(udp_connect(u->pcb, &ip, port))))
		return err;
	u->connected = u->bound = true;
	return 0;
}

static long udp_send_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct udp_sock *u = U(s);
	if (s->shut & SHUT_WR_BIT)
		return sock_epipe(flags);
	if (s->error)                            /* reported once, as Linux's sock_error() does */
		return sock_error(s);
	ip_addr_t ip;
	uint16_t port = 0;
	bool to = m->name && m->namelen;
	if (to) {
		int err = inet_parse(s, m->name, m->namelen, &ip, &port, false);
		if (err)
			return err;
		if (port == 0)
			return -EINVAL;
	} else if (!u->connected) {
		return -EDESTADDRREQ;
	}
	size_t total = iov_total(m);
	if (total > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)total, PBUF_RAM);
	if (!p)
		return -ENOBUFS;
	size_t off = 0;
	for (int i = 0; i < m->iovlen; i++) {
		pbuf_take_at(p, m->iov[i].base, (u16_t)m->iov[i].len, (u16_t)off);
		off += m->iov[i].len;
	}
	err_t e = to ? udp_sendto(u->pcb, p, &ip, port) : udp_send(u->pcb, p);
	pbuf_free(p);
	u->bound = true;                         /* lwIP picked a port if there was none */
	if (e != ERR_OK)
		return e == ERR_MEM || e == ERR_BUF ? -ENOBUFS : inet_errno(e);
	return (long)total;
}

static long udp_recv_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct udp_sock *u = U(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int w;
	while (!u->head) {
		if (s->shut & SHUT_RD_BIT)
			return 0;
		if (s->error)
			return sock_error(s);
		if (nonblock)
			return -EAGAIN;
		if ((w = sock_wait(s, deadline)))
			return sock_wait_error(w);
	}
	struct dgram *d = u->head;
	size_t len = d->p->tot_len, off = 0;
	for (int i = 0; i < m->iovlen && off < len; i++) {
		size_t k = MIN(m->iov[i].len, len - off);
		pbuf_copy_partial(d->p, m->iov[i].base, (u16_t)k, (u16_t)off);
		off += k;
	}
	if (off < len)
		m->flags |= MSG_TRUNC;
	if (m->name)
		inet_format(s, &d->from, d->port, m->name, &m->namelen);
	if (!(flags & MSG_PEEK)) {
		u->head = d->next;
		if (!u->head)
			u->tail = NULL;
		u->queued -= len;
		pbuf_free(d->p);
		kfree(d);
	}
	return (long)((flags & MSG_TRUNC) ? len : off);
}

static int udp_shutdown_op(struct sock *s, int how)
{
	if (!U(s)->connected)
		return -ENOTCONN;
	s->shut |= how == SHUT_RD ? SHUT_RD_BIT : how == SHUT_WR ? SHUT_WR_BIT : SHUT_RD_BIT | SHUT_WR_BIT;
	sock_wake(s, EPOLLIN | EPOLLOUT);
	return 0;
}

static int udp_getname_op(struct sock *s, void *addr, uint32_t *len, bool peer)
{
	struct udp_pcb *pcb = U(s)->pcb;
	if (peer) {
		if (!U(s)->connected)
			return -ENOTCONN;
		inet_format(s, &pcb->remote_ip, pcb->remote_port, addr, len);
	} else {
		inet_format(s, &pcb->local_ip, pcb->local_port, addr, len);
	}
	return 0;
}

static int udp_setopt_op(struct sock *s, int level, int name, const void *val, uint32_t len)
{
	int v = 0;
	if (len >= sizeof v)
		memcpy(&v, val, sizeof v);
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->domain == AF_INET6) {
		if (U(s)->bound)
			return -EINVAL;
		s->v6only = v;
		IP_SET_TYPE_VAL(U(s)->pcb->local_ip, inet_pcb_type(s));
		IP_SET_TYPE_VAL(U(s)->pcb->remote_ip, inet_pcb_type(s));
		return 0;
	}
	/* glibc's resolver asks for extended errors (IP_RECVERR 11, IPV6_RECVERR 25);
	 * it copes without them. */
	if ((level == IPPROTO_IP && name == 11) || (level == IPPROTO_IPV6 && name == 25))
		return 0;
	klog_once("udp-opt", "uninode: setsockopt(level %d, option %d) on a UDP socket is not supported\n", level, name);
	return -ENOPROTOOPT;
}

static int udp_getopt_op(struct sock *s, int level, int name, void *val, uint32_t *len)
{
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->domain == AF_INET6) {
		int v = s->v6only;
		uint32_t n = MIN(*len, (uint32_t)sizeof v);
		memcpy(val, &v, n);
		*len = n;
		return 0;
	}
	return -ENOPROTOOPT;
}

static unsigned udp_poll_op(struct sock *s)
{
	struct udp_sock *u = U(s);
	unsigned r = EPOLLOUT | EPOLLWRNORM;
	if (u->head || (s->shut & SHUT_RD_BIT))
		r |= EPOLLIN | EPOLLRDNORM;
	if (s->error)
		r |= EPOLLERR;
	return r;
}

static long udp_ioctl_op(struct sock *s, unsigned long cmd, unsigned long arg)
{
	if (cmd == FIONREAD) {                   /* Linux: the size of the next datagram */
		*(int *)arg = U(s)->head ? U(s)->head->p->tot_len : 0;
		return 0;
	}
	if (cmd == SIOCOUTQ) {
		*(int *)arg = 0;
		return 0;
	}
	return -ENOTTY;
}

static void udp_release_op(struct sock *s)
{
	struct udp_sock *u = U(s);
	while (u->head) {
		struct dgram *d = u->head;
		u->head = d->next;
		pbuf_free(d->p);
		kfree(d);
	}
	udp_remove(u->pcb);
	kfree(u);
	sock_free(s);
}

static const struct sock_ops udp_ops = {
	.bind = udp_bind_op, .connect = udp_connect_op, .sendmsg = udp_send_op, .recvmsg = udp_recv_op,
	.shutdown = udp_shutdown_op, .getname = udp_getname_op, .apply_opts = apply, .setopt = udp_setopt_op,
	.getopt = udp_getopt_op, .poll = udp_poll_op, .ioctl = udp_ioctl_op, .release = udp_release_op,
};

int udp_create(struct sock *s)
{
	struct udp_sock *u = kzalloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	net_lock();
	u->pcb = udp_new_ip_type(inet_pcb_type(s));
	if (u->pcb)
		udp_recv(u->pcb, on_recv, u);
	net_unlock();
	if (!u->pcb) {
		kfree(u);
		return -ENOMEM;
	}
	u->s = s;
	s->proto = u;
	s->ops = &udp_ops;
	s->protocol = IPPROTO_UDP;
	return 0;
}
