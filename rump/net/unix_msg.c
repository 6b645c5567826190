/* AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: each receiver has a queue of whole
 * messages, so boundaries are kept, and a read shorter than the message
 * takes its start and drops the rest (MSG_TRUNC says so). A queue is full by
 * bytes (each message also costs its header, so empty ones count), and, for
 * datagrams from sockets the receiver is not paired with, by number, as
 * Linux's max_dgram_qlen; a full queue makes the sender wait or EAGAIN. */
#include "unix.h"

static size_t cost(size_t len) { return len + sizeof(struct unix_msg); }

bool unix_msg_full(const struct unix_sock *to, const struct unix_sock *from, size_t len)
{
	if (!to->mcount)
		return false;                    /* one message always fits, up to UNIX_MSG_MAX */
	if (to->mbytes + cost(len) > UNIX_MSG_LIMIT)
		return true;
	return to->peer != from && to->mcount >= UNIX_DGRAM_QLEN;
}

void unix_msg_purge(struct unix_sock *u)
{
	while (u->mhead) {
		struct unix_msg *x = u->mhead;
		u->mhead = x->next;
		kfree(x);
	}
	u->mtail = NULL;
	u->mbytes = 0;
	u->mcount = 0;
}

/* A datagram socket's destination died: forget it, as Linux does on the next send. */
static void forget_peer(struct unix_sock *u)
{
	struct unix_sock *p = u->peer;
	u->peer = NULL;
	u->state = U_UNCONNECTED;
	memset(&u->peername, 0, sizeof u->peername);
	unix_drop(p);
}

/* Where this send goes: a held socket, or an error. */
static int destination(struct unix_sock *u, struct net_msg *m, struct unix_sock **to)
{
	if (u->s->type == SOCK_DGRAM && m->name && m->namelen) {
		struct unix_addr a;
		int err = unix_addr_parse(m->name, m->namelen, &a);
		return err ? err : unix_find(&a, SOCK_DGRAM, to);
	}
	if (!u->peer)
		return u->s->type == SOCK_SEQPACKET && u->state == U_CONNECTED ? -EPIPE : -ENOTCONN;
	*to = u->peer;
	unix_hold(*to);
	return 0;
}

long unix_msg_send(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET) {
		if (s->error)
			return sock_error(s);
		if (u->state != U_CONNECTED)
			return -ENOTCONN;
	}
	size_t total = iov_total(m);
	if (total > UNIX_MSG_MAX)
		return -EMSGSIZE;
	uint64_t deadline = sock_deadline(s->sndtimeo);
	for (;;) {
		struct unix_sock *to;
		int err = destination(u, m, &to);
		if (err)
			return err;
		if (to->dead) {
			bool was_peer = to == u->peer;
			unix_drop(to);
			if (s->type == SOCK_SEQPACKET)
				return -EPIPE;
			if (was_peer)
				forget_peer(u);
			return -ECONNREFUSED;
		}
		if (to->peer && to->peer != u) {
			unix_drop(to);
			return -EPERM;           /* it takes messages from its own peer only */
		}
		if (to->s->shut & SHUT_RD_BIT) {
			unix_drop(to);
			return -EPIPE;
		}
		if (unix_msg_full(to, u, total)) {
			if (nonblock) {
				unix_drop(to);
				return -EAGAIN;
			}
			int w = sock_wait(to->s, deadline);
			unix_drop(to);
			if (w)
				return sock_wait_error(w);
			continue;
		}
		struct unix_msg *x = kmalloc(sizeof(*x) + total);
		if (!x) {
			unix_drop(to);
			return -ENOMEM;
		}
		x->next = NULL;
		x->len = total;
		x->from = u->name;
		size_t off = 0;
		for (int i = 0; i < m->iovlen; i++) {
			memcpy(x->data + off, m->iov[i].base, m->iov[i].len);
			off += m->iov[i].len;
		}
		if (to->mtail)
			to->mtail->next = x;
		else
			to->mhead = x;
		to->mtail = x;
		to->mbytes += cost(total);
		to->mcount++;
		sock_wake(to->s, EPOLLIN | EPOLLRDNORM);
		unix_drop(to);
		return (long)total;
	}
}

long unix_msg_recv(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET && u->state != U_CONNECTED)
		return -ENOTCONN;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	while (!u->mhead) {
		if (s->error)
			return sock_error(s);
		if (s->shut & SHUT_RD_BIT)
			return 0;
		if (nonblock)
			return -EAGAIN;
		int w = sock_wait(s, deadline);
		if (w)
			return sock_wait_error(w);
	}
	struct unix_msg *x = u->mhead;
	size_t off = 0;
	for (int i = 0; i < m->iovlen && off < x->len; i++) {
		size_t k = MIN(m->iov[i].len, x->len - off);
		memcpy(m->iov[i].base, x->data + off, k);
		off += k;
	}
	if (off < x->len)
		m->flags |= MSG_TRUNC;
	unix_name_out(m, &x->from);
	long r = (flags & MSG_TRUNC) ? (long)x->len : (long)off;
	if (!(flags & MSG_PEEK)) {
		u->mhead = x->next;
		if (!u->mhead)
			u->mtail = NULL;
		u->mbytes -= cost(x->len);
		u->mcount--;
		kfree(x);
		/* Senders waiting for room sleep on this socket; a paired one also polls. */
		sock_wake(s, EPOLLOUT | EPOLLWRNORM);
		if (u->peer && !u->peer->dead)
			sock_wake(u->peer->s, EPOLLOUT | EPOLLWRNORM);
	}
	return r;
}

int unix_dgram_connect(struct sock *s, const void *addr, uint32_t len)
{
	struct unix_sock *u = unix_of(s);
	uint16_t family = AF_UNSPEC;
	if (len >= sizeof family)
		memcpy(&family, addr, sizeof family);
	if (family == AF_UNSPEC) {
		/* Dissolve the association, as connect(AF_UNSPEC) does. */
		if (u->peer)
			forget_peer(u);
		return 0;
	}
	struct unix_addr a;
	struct unix_sock *to;
	int err = unix_addr_parse(addr, len, &a);
	if (err || (err = unix_find(&a, SOCK_DGRAM, &to)))
		return err;
	if (to->dead) {
		unix_drop(to);
		return -ECONNREFUSED;
	}
	if (to->peer && to->peer != u) {
		unix_drop(to);
		return -EPERM;
	}
	if (u->peer)
		forget_peer(u);
	u->peer = to;                        /* keeps the reference unix_find took */
	u->peername = to->name;
	u->state = U_CONNECTED;
	return 0;
}
