/* TCP sockets over lwIP's raw API. lwIP's callbacks (recv, sent, err,
 * accept, connected) run under net_lock, from the net thread or from a call
 * that fed lwIP; they queue data and push readiness with sock_wake. The pcb
 * is created when the socket is bound, listens or connects, since its
 * address type (IPv4, IPv6, or both for a dual-stack listener) is only then
 * known. */
#include "inet.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

enum tsock_state { T_NEW, T_BOUND, T_LISTEN, T_CONNECTING, T_CONNECTED, T_CLOSED };

/* Received data: one lwIP pbuf chain per node (a chain holds at most 64 KiB). */
struct rx_node { struct rx_node *next; struct pbuf *p; };

struct tcp_sock {
	struct sock *s;
	struct tcp_pcb *pcb;         /* NULL before bind/listen/connect and once lwIP dropped it */
	enum tsock_state state;
	struct rx_node *rx_head, *rx_tail;
	size_t rx_bytes;             /* queued, not yet read */
	bool rx_eof;                 /* the peer's FIN arrived */
	bool writable;               /* room to send (cached for poll, which cannot take net_lock) */
	int backlog;
	struct tcp_sock *acc_head, *acc_tail, *acc_next;   /* listener: connections not yet accepted */
	int acc_count;
	bool cork_timer;             /* cork_expire is pending */
	/* Corked (TCP_CORK, MSG_MORE): the bytes that do not fill a segment yet.
	 * They wait here, not in lwIP, which would send a partial segment with
	 * the next ACK; Linux holds it until the cork goes or 200 ms pass. */
	size_t held_len;
	char held[TCP_MSS];
};

static const struct sock_ops tcp_ops;

static struct tcp_sock *T(struct sock *s) { return s->proto; }

/* Writable when lwIP can take a good chunk: not on every freed byte, or a
 * writer would wake for each ACK. */
static void update_writable(struct tcp_sock *t)
{
	t->writable = t->pcb && t->state == T_CONNECTED && tcp_sndbuf(t->pcb) >= TCP_MSS &&
		      tcp_sndqueuelen(t->pcb) + 8 < TCP_SND_QUEUELEN;
}

/* Linux's ceiling on TCP_CORK (and MSG_MORE): data held back goes out 200 ms
 * after it was queued even while the socket stays corked (tcp(7)). */
#define CORK_CEILING_MS 200

static void cork_expire(void *arg);

/* Data was held on a corked socket: start the ceiling unless it runs. */
static void cork_arm(struct tcp_sock *t)
{
	if (t->cork_timer)
		return;
	t->cork_timer = true;
	sys_timeout(CORK_CEILING_MS, cork_expire, t);
	net_wake();                              /* the net thread may sleep past it otherwise */
}

/* Hand the held bytes to lwIP: ERR_OK, or ERR_MEM when its queue is full
 * (they stay held). MORE: further bytes follow at once. */
static err_t held_write(struct tcp_sock *t, bool more)
{
	if (!t->held_len || !t->pcb)
		return ERR_OK;
	err_t e = tcp_write(t->pcb, t->held, (u16_t)t->held_len, TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
	if (e == ERR_OK)
		t->held_len = 0;
	return e;
}

/* Send what a cork held back, now. With lwIP's queue full the bytes stay
 * held and the ceiling tries again (on_sent too, once the cork is gone). */
static void held_push(struct tcp_sock *t)
{
	if (!t->pcb || t->state != T_CONNECTED)
		return;
	if (held_write(t, false) != ERR_OK)
		cork_arm(t);
	tcp_output(t->pcb);
}

/* The cork ceiling ran out (net_lock held, net thread). */
static void cork_expire(void *arg)
{
	struct tcp_sock *t = arg;
	t->cork_timer = false;
	held_push(t);
}

static void cork_disarm(struct tcp_sock *t)
{
	if (!t->cork_timer)
		return;
	t->cork_timer = false;
	sys_untimeout(cork_expire, t);
}

/* ---- lwIP callbacks ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tcp_sock *t = arg;
	if (!p) {
		t->rx_eof = true;
		sock_wake(t->s, EPOLLIN | EPOLLRDNORM | EPOLLRDHUP);
		return ERR_OK;
	}
	if (t->s->shut & SHUT_RD_BIT) {          /* nobody will read it: take it and drop it */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	struct rx_node *n = kmalloc(sizeof(*n));
	if (!n)
		return ERR_MEM;                      /* lwIP keeps it and offers it again */
	n->p = p;
	n->next = NULL;
	if (t->rx_tail)
		t->rx_tail->next = n;
	else
		t->rx_head = n;
	t->rx_tail = n;
	t->rx_bytes += p->tot_len;
	sock_wake(t->s, EPOLLIN | EPOLLRDNORM);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct tcp_sock *t = arg;
	if (t->held_len && !t->s->cork && !t->cork_timer)
		held_push(t);                        /* an uncork that found lwIP's queue full */
	update_writable(t);
	if (t->writable)
		sock_wake(t->s, EPOLLOUT | EPOLLWRNORM);
	return ERR_OK;
}

/* lwIP has freed the pcb (reset, abort, timeout). */
static void on_err(void *arg, err_t err)
{
	struct tcp_sock *t = arg;
	bool connecting = t->state == T_CONNECTING;
	t->pcb = NULL;
	t->state = T_CLOSED;
	t->writable = false;
	/* A reset after the peer's FIN, ours not sent (CLOSE_WAIT), is EPIPE on Linux. */
	bool close_wait = t->rx_eof && !(t->s->shut & SHUT_WR_BIT);
	t->s->error = err == ERR_RST ? (connecting ? ECONNREFUSED : close_wait ? EPIPE : ECONNRESET) :
		      err == ERR_ABRT ? ETIMEDOUT : err == ERR_CLSD ? ENOTCONN : -inet_errno(err);
	sock_wake(t->s, EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDHUP);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tcp_sock *t = arg;
	t->state = T_CONNECTED;
	update_writable(t);
	sock_wake(t->s, EPOLLOUT | EPOLLWRNORM);
	return ERR_OK;
}

static void hook(struct tcp_sock *t)
{
	tcp_arg(t->pcb, t);
	tcp_recv(t->pcb, on_recv);
	tcp_sent(t->pcb, on_sent);
	tcp_err(t->pcb, on_err);
}

static void unhook(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	if (pcb->state == LISTEN) {              /* lwIP allows only accept on a listener */
		tcp_accept(pcb, NULL);
		return;
	}
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

/* Options recorded on the sock, pushed into the pcb. */
static void apply(struct sock *s)
{
	struct tcp_pcb *pcb = T(s)->pcb;
	if (!pcb)
		return;
	if (s->reuseaddr || s->reuseport)
		ip_set_option(pcb, SOF_REUSEADDR);
	else
		ip_reset_option(pcb, SOF_REUSEADDR);
	if (pcb->state == LISTEN)
		return;                              /* a listen pcb has nothing more to set */
	if (s->nodelay)
		tcp_nagle_disable(pcb);
	else
		tcp_nagle_enable(pcb);
	if (s->keepalive)
		ip_set_option(pcb, SOF_KEEPALIVE);
	else
		ip_reset_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = (u32_t)s->keepidle * 1000;
	pcb->keep_intvl = (u32_t)s->keepintvl * 1000;
	pcb->keep_cnt = (u32_t)s->keepcnt;
}

static struct tcp_sock *tcp_sock_new(struct sock *s)
{
	struct tcp_sock *t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	t->s = s;
	s->proto = t;
	s->ops = &tcp_ops;
	return t;
}

/* A connection arrived on a listener: a sock of its own, queued until accept(). */
static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct tcp_sock *l = arg;
	if (err != ERR_OK || !newpcb)
		return ERR_VAL;
	struct sock *ls = l->s;
	struct sock *s = sock_alloc(ls->domain, ls->type, ls->protocol, &tcp_ops);
	struct tcp_sock *t = s ? tcp_sock_new(s) : NULL;
	if (!t) {
		sock_free(s);
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	/* Linux hands options of the listener down to the connections it accepts. */
	s->nodelay = ls->nodelay;
	s->cork = ls->cork;               /* both are bits of one field Linux clones */
	s->keepalive = ls->keepalive;
	s->keepidle = ls->keepidle;
	s->keepintvl = ls->keepintvl;
	s->keepcnt = ls->keepcnt;
	s->linger = ls->linger;
	s->linger_sec = ls->linger_sec;
	s->v6only = ls->v6only;
	t->pcb = newpcb;
	t->state = T_CONNECTED;
	hook(t);
	apply(s);
	update_writable(t);
	if (l->acc_tail)
		l->acc_tail->acc_next = t;
	else
		l->acc_head = t;
	l->acc_tail = t;
	l->acc_count++;
	sock_wake(ls, EPOLLIN | EPOLLRDNORM);
	return ERR_OK;
}

/* ---- ops ---- */

/* The pcb for a socket about to bind or connect to an address of IPTYPE. */
static int ensure_pcb(struct sock *s, uint8_t iptype)
{
	struct tcp_sock *t = T(s);
	if (t->pcb)
		return 0;
	if (t->state == T_CLOSED)
		return -EINVAL;
	t->pcb = tcp_new_ip_type(iptype);
	if (!t->pcb)
		return -ENOMEM;
	hook(t);
	apply(s);
	return 0;
}

static int tcp_bind_op(struct sock *s, const void *addr, uint32_t len)
{
	struct tcp_sock *t = T(s);
	ip_addr_t ip;
	uint16_t port;
	int err = inet_parse(s, addr, len, &ip, &port, true);
	if (err)
		return err;
	if (t->state != T_NEW)
		return -EINVAL;
	if ((err = ensure_pcb(s, IP_IS_ANY_TYPE_VAL(ip) ? IPADDR_TYPE_ANY : IP_GET_TYPE(&ip))))
		return err;
	err = inet_errno(tcp_bind(t->pcb, &ip, port));
	if (err == -EADDRINUSE || err == -ENOMEM)
		return err;
	if (err)
		return -EADDRNOTAVAIL;
	t->state = T_BOUND;
	return 0;
}

static int tcp_listen_op(struct sock *s, int backlog)
{
	struct tcp_sock *t = T(s);
	if (t->state == T_LISTEN) {
		t->backlog = backlog;
		return 0;
	}
	if (t->state != T_NEW && t->state != T_BOUND)
		return -EINVAL;
	int err;
	if (t->state == T_NEW) {                 /* listen without bind: any address, a free port */
		if ((err = ensure_pcb(s, inet_pcb_type(s))))
			return err;
		if ((err = inet_errno(tcp_bind(t->pcb, s->domain == AF_INET ? IP4_ADDR_ANY : s->v6only ? IP6_ADDR_ANY : IP_ANY_TYPE, 0))))
			return err;
	}
	backlog = backlog < 1 ? 1 : backlog > 4096 ? 4096 : backlog;
	err_t e;
	struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(t->pcb, (u8_t)MIN(backlog, 255), &e);
	if (!lpcb)
		return inet_errno(e);
	t->pcb = lpcb;                           /* the old pcb is freed by lwIP */
	t->state = T_LISTEN;
	t->backlog = backlog;
	s->listening = true;
	tcp_arg(lpcb, t);
	tcp_accept(lpcb, on_accept);
	apply(s);
	return 0;
}

static int tcp_accept_op(struct sock *s, struct sock **out, bool nonblock)
{
	struct tcp_sock *l = T(s);
	if (l->state != T_LISTEN)
		return -EINVAL;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int w;
	while (!l->acc_head) {
		if (nonblock)
			return -EAGAIN;
		if ((w = sock_wait(s, deadline)))
			return sock_wait_error(w);
		if (l->state != T_LISTEN)
			return -EINVAL;
	}
	struct tcp_sock *t = l->acc_head;
	l->acc_head = t->acc_next;
	if (!l->acc_head)
		l->acc_tail = NULL;
	l->acc_count--;
	t->acc_next = NULL;
	*out = t->s;
	return 0;
}

static int tcp_connect_op(struct sock *s, const void *addr, uint32_t len, bool nonblock)
{
	struct tcp_sock *t = T(s);
	ip_addr_t ip;
	uint16_t port;
	int err;
	switch (t->state) {
	case T_CONNECTED: return -EISCONN;
	case T_LISTEN: return -EISCONN;
	case T_CONNECTING:
		if (nonblock)
			return -EALREADY;
		goto wait;
	case T_CLOSED:
		if (s->error)
			return sock_error(s);
		return -EISCONN;
	default:
		break;
	}
	if ((err = inet_parse(s, addr, len, &ip, &port, false)))
		return err;
	if (port == 0)
		return -ECONNREFUSED;
	if (ip_addr_isany(&ip)) {                /* Linux: the unspecified address means this host */
		if (IP_IS_V4(&ip))
			ip_addr_set_ip4_u32_val(ip, PP_HTONL(0x7f000001));
		else
			IP_ADDR6_HOST(&ip, 0, 0, 0, 1);
	}
	if ((err = ensure_pcb(s, IP_GET_TYPE(&ip))))
		return err;
	err = inet_errno(tcp_connect(t->pcb, &ip, port, on_connected));
	if (err)
		return err;
	t->state = T_CONNECTING;
	if (nonblock)
		return -EINPROGRESS;
wait:
	while (t->state == T_CONNECTING)
		if (sock_wait(s, 0) == -EINTR)
			return -EINTR;               /* the connection goes on; connect again says EALREADY */
	if (t->state == T_CONNECTED)
		return 0;
	err = sock_error(s);
	return err ? err : -ECONNREFUSED;
}

static long tcp_send_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct tcp_sock *t = T(s);
	if (t->state != T_CONNECTED || (s->shut & SHUT_WR_BIT)) {
		if (s->error)
			return sock_error(s);
		if (t->state == T_NEW || t->state == T_BOUND || t->state == T_LISTEN || t->state == T_CONNECTING)
			return t->state == T_CONNECTING && nonblock ? -EAGAIN : -ENOTCONN;
		return sock_epipe(flags);
	}
	size_t total = iov_total(m), done = 0;
	uint64_t deadline = sock_deadline(s->sndtimeo);
	int w;
	int seg = 0;
	size_t seg_off = 0;
	bool corked = s->cork || (flags & MSG_MORE);
	while (done < total) {
		if (!t->pcb || t->state != T_CONNECTED) {
			if (done)
				break;
			int e = sock_error(s);
			return e ? e : sock_epipe(flags);
		}
		size_t room = tcp_sndbuf(t->pcb);
		if (room == 0 || tcp_sndqueuelen(t->pcb) + 4 >= TCP_SND_QUEUELEN) {
			tcp_output(t->pcb);
			t->writable = false;
			if (nonblock)                    /* a partial write returns what went in */
				return done ? (long)done : -EAGAIN;
			if ((w = sock_wait(s, deadline)))
				return done ? (long)done : sock_wait_error(w);
			continue;                        /* a blocking send waits until all of it is queued */
		}
		size_t seg_max = MIN((size_t)tcp_mss(t->pcb), sizeof t->held);
		err_t e = ERR_OK;
		size_t n = 0;
		if (t->held_len && (!corked || t->held_len >= seg_max)) {
			e = held_write(t, true);         /* held bytes go first, as a full segment when corked */
		} else {
			while (seg < m->iovlen && seg_off == m->iov[seg].len) {
				seg++;
				seg_off = 0;
			}
			n = MIN(MIN(m->iov[seg].len - seg_off, room), (size_t)0xffff);
			if (corked && !t->held_len && n >= seg_max) {
				n -= n % seg_max;        /* whole segments go to lwIP as they are */
				e = tcp_write(t->pcb, (char *)m->iov[seg].base + seg_off, (u16_t)n,
					      TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE);
			} else if (corked) {
				n = MIN(n, seg_max - t->held_len);
				memcpy(t->held + t->held_len, (char *)m->iov[seg].base + seg_off, n);
				t->held_len += n;
			} else {
				bool more = done + n < total;
				e = tcp_write(t->pcb, (char *)m->iov[seg].base + seg_off, (u16_t)n,
					      TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
			}
		}
		if (e == ERR_MEM) {                  /* queue full: like no room */
			tcp_output(t->pcb);
			t->writable = false;
			if (nonblock)
				return done ? (long)done : -EAGAIN;
			if ((w = sock_wait(s, deadline)))
				return done ? (long)done : sock_wait_error(w);
			continue;
		}
		if (e != ERR_OK)
			return done ? (long)done : inet_errno(e);
		seg_off += n;
		done += n;
	}
	if (t->pcb && corked) {
		if (t->held_len >= MIN((size_t)tcp_mss(t->pcb), sizeof t->held))
			held_write(t, true);         /* a full segment need not wait */
		if (t->held_len)
			cork_arm(t);                 /* the partial tail waits for the uncork or the ceiling */
		tcp_output(t->pcb);              /* full segments go now, as Linux sends them */
	} else if (t->pcb) {
		tcp_output(t->pcb);
	}
	update_writable(t);
	return (long)done;
}

/* Copy queued bytes into M's iovec; consume them (and open the window) unless PEEK. */
static size_t rx_copy(struct tcp_sock *t, struct net_msg *m, bool peek)
{
	size_t done = 0;
	struct rx_node *n = t->rx_head;
	size_t node_off = 0;                     /* into n->p when peeking */
	for (int i = 0; i < m->iovlen && n; i++) {
		size_t want = m->iov[i].len, got = 0;
		while (got < want && n) {
			struct pbuf *p = n->p;
			size_t k = MIN(want - got, (size_t)p->tot_len - node_off);
			pbuf_copy_partial(p, (char *)m->iov[i].base + got, (u16_t)k, (u16_t)node_off);
			got += k;
			if (peek) {
				node_off += k;
				if (node_off == p->tot_len) {
					n = n->next;
					node_off = 0;
				}
				continue;
			}
			if (k == p->tot_len) {
				t->rx_head = n->next;
				if (!t->rx_head)
					t->rx_tail = NULL;
				pbuf_free(p);
				kfree(n);
				n = t->rx_head;
			} else {
				n->p = pbuf_free_header(p, (u16_t)k);
			}
		}
		done += got;
	}
	if (!peek) {
		t->rx_bytes -= done;
		for (size_t left = done; left && t->pcb;) {   /* open the window again */
			u16_t k = (u16_t)MIN(left, (size_t)0xffff);
			tcp_recved(t->pcb, k);
			left -= k;
		}
	}
	return done;
}

static long tcp_recv_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct tcp_sock *t = T(s);
	if (flags & MSG_OOB)
		return -EINVAL;
	if (t->state == T_NEW || t->state == T_BOUND || t->state == T_LISTEN)
		return -ENOTCONN;
	size_t total = iov_total(m);
	if (!total)
		return 0;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int w;
	while (!t->rx_bytes) {
		if (t->rx_eof || (s->shut & SHUT_RD_BIT))
			return 0;
		if (t->state == T_CLOSED) {
			return sock_error(s);
		}
		if (nonblock)
			return -EAGAIN;
		if ((w = sock_wait(s, deadline)))
			return sock_wait_error(w);
	}
	size_t done = rx_copy(t, m, flags & MSG_PEEK);
	/* MSG_WAITALL: keep reading until the buffer is full or the stream ends. */
	while ((flags & MSG_WAITALL) && !(flags & MSG_PEEK) && done < total && !nonblock) {
		if (!t->rx_bytes) {
			if (t->rx_eof || t->state == T_CLOSED || (s->shut & SHUT_RD_BIT))
				break;
			if (sock_wait(s, deadline))
				break;                       /* a signal or the timeout: what came so far */
			continue;
		}
		struct net_iov rest[1];
		size_t skip = done;
		int i = 0;
		while (i < m->iovlen && skip >= m->iov[i].len)
			skip -= m->iov[i++].len;
		if (i == m->iovlen)
			break;
		rest[0] = (struct net_iov){ (char *)m->iov[i].base + skip, m->iov[i].len - skip };
		struct net_msg part = { .iov = rest, .iovlen = 1 };
		done += rx_copy(t, &part, false);
	}
	if (m->name)
		m->namelen = 0;                      /* stream sockets report no source address */
	return (long)done;
}

static int tcp_shutdown_op(struct sock *s, int how)
{
	struct tcp_sock *t = T(s);
	if (t->state == T_LISTEN) {
		s->shut |= SHUT_RD_BIT;
		sock_wake(s, EPOLLIN | EPOLLHUP);
		return 0;
	}
	if (t->state != T_CONNECTED && t->state != T_CONNECTING)
		return -ENOTCONN;
	if (how != SHUT_WR) {
		s->shut |= SHUT_RD_BIT;
		while (t->rx_head) {                 /* what is queued will never be read */
			struct rx_node *n = t->rx_head;
			t->rx_head = n->next;
			if (t->pcb)
				tcp_recved(t->pcb, n->p->tot_len);
			pbuf_free(n->p);
			kfree(n);
		}
		t->rx_tail = NULL;
		t->rx_bytes = 0;
	}
	if (how != SHUT_RD && !(s->shut & SHUT_WR_BIT)) {
		s->shut |= SHUT_WR_BIT;
		cork_disarm(t);
		held_write(t, false);                /* what a cork held goes before the FIN */
		if (t->pcb)
			tcp_shutdown(t->pcb, 0, 1);      /* FIN after what is queued */
	}
	sock_wake(s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	return 0;
}

static int tcp_getname_op(struct sock *s, void *addr, uint32_t *len, bool peer)
{
	struct tcp_sock *t = T(s);
	if (peer) {
		if (!t->pcb || (t->state != T_CONNECTED))
			return -ENOTCONN;
		inet_format(s, &t->pcb->remote_ip, t->pcb->remote_port, addr, len);
		return 0;
	}
	if (!t->pcb) {
		inet_format(s, NULL, 0, addr, len);
		return 0;
	}
	inet_format(s, &t->pcb->local_ip, t->pcb->local_port, addr, len);
	return 0;
}

/* Send what a cork held back (net_lock held). */
static void tcp_push_held(struct sock *s)
{
	struct tcp_sock *t = T(s);
	cork_disarm(t);
	held_push(t);
}

static int tcp_setopt_op(struct sock *s, int level, int name, const void *val, uint32_t len)
{
	int v;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof v);
	if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY:
			s->nodelay = v;
			if (v)
				tcp_push_held(s);        /* Linux pushes what a cork held, once */
			return 0;
		case TCP_CORK:
			s->cork = v;
			if (!v)
				tcp_push_held(s);        /* uncorking sends the partial segment */
			return 0;
		case TCP_KEEPIDLE: if (v < 1) return -EINVAL; s->keepidle = v; return 0;
		case TCP_KEEPINTVL: if (v < 1) return -EINVAL; s->keepintvl = v; return 0;
		case TCP_KEEPCNT: if (v < 1) return -EINVAL; s->keepcnt = v; return 0;
		case TCP_MAXSEG:
			klog_once("tcp-maxseg", "uninode: TCP_MAXSEG is fixed at %d by lwIP; the setting is ignored\n", TCP_MSS);
			return 0;
		}
	} else if (level == IPPROTO_IPV6 && s->domain == AF_INET6) {
		if (name == IPV6_V6ONLY) {
			if (T(s)->pcb)
				return -EINVAL;              /* Linux: only before bind */
			s->v6only = v;
			return 0;
		}
	}
	klog_once("tcp-opt", "uninode: setsockopt(level %d, option %d) on a TCP socket is not supported\n", level, name);
	return -ENOPROTOOPT;
}

static int put(void *val, uint32_t *len, int v)
{
	uint32_t n = MIN(*len, (uint32_t)sizeof v);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

static int tcp_getopt_op(struct sock *s, int level, int name, void *val, uint32_t *len)
{
	if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY: return put(val, len, s->nodelay);
		case TCP_CORK: return put(val, len, s->cork);
		case TCP_KEEPIDLE: return put(val, len, s->keepidle);
		case TCP_KEEPINTVL: return put(val, len, s->keepintvl);
		case TCP_KEEPCNT: return put(val, len, s->keepcnt);
		case TCP_MAXSEG: return put(val, len, TCP_MSS);
		}
	} else if (level == IPPROTO_IPV6 && s->domain == AF_INET6 && name == IPV6_V6ONLY) {
		return put(val, len, s->v6only);
	}
	return -ENOPROTOOPT;
}

static unsigned tcp_poll_op(struct sock *s)
{
	struct tcp_sock *t = T(s);
	unsigned r = 0;
	switch (t->state) {
	case T_LISTEN:
		return t->acc_head ? EPOLLIN | EPOLLRDNORM : 0;
	case T_NEW:
	case T_BOUND:
		return EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	case T_CONNECTING:
		return 0;
	case T_CONNECTED:
		if (t->rx_bytes || t->rx_eof || (s->shut & SHUT_RD_BIT))
			r |= EPOLLIN | EPOLLRDNORM;
		if (t->rx_eof || (s->shut & SHUT_RD_BIT))
			r |= EPOLLRDHUP;
		if (t->writable || (s->shut & SHUT_WR_BIT))
			r |= EPOLLOUT | EPOLLWRNORM;
		if ((t->rx_eof || (s->shut & SHUT_RD_BIT)) && (s->shut & SHUT_WR_BIT))
			r |= EPOLLHUP;
		break;
	case T_CLOSED:
		r = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM | EPOLLHUP | EPOLLRDHUP;
		break;
	}
	if (s->error)
		r |= EPOLLERR;
	return r;
}

static long tcp_ioctl_op(struct sock *s, unsigned long cmd, unsigned long arg)
{
	struct tcp_sock *t = T(s);
	if (cmd == FIONREAD) {
		if (t->state == T_LISTEN)
			return -EINVAL;
		*(int *)arg = (int)MIN(t->rx_bytes, (size_t)INT32_MAX);
		return 0;
	}
	if (cmd == SIOCOUTQ) {
		*(int *)arg = t->pcb && t->state == T_CONNECTED ? (int)(TCP_SND_BUF - tcp_sndbuf(t->pcb) + t->held_len) : 0;
		return 0;
	}
	return -ENOTTY;
}

/* Free what a connection holds; its pcb is closed or aborted. */
static void tcp_drop(struct tcp_sock *t, bool abort)
{
	while (t->rx_head) {                     /* rx_bytes stays: it decides the reset below */
		struct rx_node *n = t->rx_head;
		t->rx_head = n->next;
		pbuf_free(n->p);
		kfree(n);
	}
	cork_disarm(t);
	if (t->pcb) {
		struct tcp_pcb *pcb = t->pcb;
		t->pcb = NULL;
		unhook(pcb);
		/* Linux resets a connection closed with unread data, and one with a zero linger. */
		if (pcb->state != LISTEN && (t->rx_bytes || (t->s->linger && t->s->linger_sec == 0)))
			abort = true;
		if (!abort && t->held_len)               /* a close sends what a cork held */
			tcp_write(pcb, t->held, (u16_t)t->held_len, TCP_WRITE_FLAG_COPY);
		if (abort || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	sock_free(t->s);
	kfree(t);
}

static void tcp_release_op(struct sock *s)
{
	struct tcp_sock *t = T(s);
	while (t->acc_head) {                    /* connections never accepted are reset */
		struct tcp_sock *c = t->acc_head;
		t->acc_head = c->acc_next;
		tcp_drop(c, true);
	}
	tcp_drop(t, false);
}

static const struct sock_ops tcp_ops = {
	.bind = tcp_bind_op, .listen = tcp_listen_op, .accept = tcp_accept_op, .connect = tcp_connect_op,
	.sendmsg = tcp_send_op, .recvmsg = tcp_recv_op, .shutdown = tcp_shutdown_op, .getname = tcp_getname_op,
	.apply_opts = apply, .getopt = tcp_getopt_op, .setopt = tcp_setopt_op, .poll = tcp_poll_op,
	.ioctl = tcp_ioctl_op, .release = tcp_release_op,
};

int tcp_create(struct sock *s)
{
	if (!tcp_sock_new(s))
		return -ENOMEM;
	s->protocol = IPPROTO_TCP;
	return 0;
}
