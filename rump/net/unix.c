/* AF_UNIX sockets: creation, socketpair, listen/connect/accept, shutdown,
 * readiness and close for all three types, and the SOCK_STREAM byte path:
 * each connected end has a receive ring the other end writes into, so a
 * full ring is backpressure (the writer waits, or EAGAIN), never a drop.
 * As on Linux, connect() makes the server's end at once and queues it on
 * the listener; the client may write before accept(). Names are in
 * unix_bind.c, datagrams and seqpackets in unix_msg.c. */
#include "unix.h"
#include "sched.h"

#define SO_PEERCRED 17

void unix_hold(struct unix_sock *u) { u->refs++; }

void unix_drop(struct unix_sock *u)
{
	if (--u->refs)
		return;
	unix_msg_purge(u);
	kfree(u->ring);
	sock_free(u->s);
	kfree(u);
}

static size_t room(const struct unix_sock *u) { return UNIX_RING - u->len; }

/* Can U receive no more (shut, or the peer gone or shut for writing)? */
static bool rd_end(const struct unix_sock *u) { return u->s->shut & SHUT_RD_BIT; }
static bool wr_end(const struct unix_sock *u) { return u->s->shut & SHUT_WR_BIT; }

static long stream_send(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->name && m->namelen)
		return u->state == U_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (u->state != U_CONNECTED)
		return -ENOTCONN;
	size_t total = iov_total(m), done = 0;
	uint64_t deadline = sock_deadline(s->sndtimeo);
	int seg = 0, w;
	size_t seg_off = 0;
	while (done < total || !total) {
		struct unix_sock *p = u->peer;
		if (!p || wr_end(u))
			return done ? (long)done : sock_epipe(flags);
		if (!total)
			return 0;
		if (!room(p)) {
			if (nonblock || done)
				return done ? (long)done : -EAGAIN;
			if ((w = sock_wait(s, deadline)))
				return sock_wait_error(w);
			continue;
		}
		while (seg < m->iovlen && seg_off == m->iov[seg].len) {
			seg++;
			seg_off = 0;
		}
		size_t tail = (p->head + p->len) % UNIX_RING;
		size_t k = MIN(MIN(m->iov[seg].len - seg_off, room(p)), UNIX_RING - tail);
		memcpy(p->ring + tail, (char *)m->iov[seg].base + seg_off, k);
		p->len += k;
		seg_off += k;
		done += k;
		sock_wake(p->s, EPOLLIN | EPOLLRDNORM);
	}
	return (long)done;
}

/* Copy from the front of U's ring into the iovec from byte OFF on; does not consume. */
static size_t ring_copy(struct unix_sock *u, struct net_msg *m, size_t off)
{
	size_t done = 0, head = u->head, len = u->len, pos = 0;
	for (int i = 0; i < m->iovlen && len; i++) {
		size_t seg = m->iov[i].len, at = 0;
		if (pos + seg <= off) {
			pos += seg;
			continue;
		}
		if (pos < off)
			at = off - pos;
		pos += seg;
		while (at < seg && len) {
			size_t k = MIN(MIN(seg - at, len), UNIX_RING - head);
			memcpy((char *)m->iov[i].base + at, u->ring + head, k);
			head = (head + k) % UNIX_RING;
			len -= k;
			at += k;
			done += k;
		}
	}
	return done;
}

static long stream_recv(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (u->state != U_CONNECTED)
		return -EINVAL;
	size_t want = iov_total(m), got = 0;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int w;
	for (;;) {
		if (u->len > 0 && got < want) {
			/* A PEEK copies once and never waits for more. */
			size_t k = ring_copy(u, m, got);
			if (!(flags & MSG_PEEK)) {
				u->head = (u->head + k) % UNIX_RING;
				u->len -= k;
				if (u->peer)
					sock_wake(u->peer->s, EPOLLOUT | EPOLLWRNORM);
			}
			got += k;
			if (flags & MSG_PEEK)
				break;
		}
		if (got == want || (got && !(flags & MSG_WAITALL)))
			break;
		if (s->error) {
			if (got)
				break;
			return sock_error(s);
		}
		if (rd_end(u) || nonblock) {
			if (!got && !rd_end(u))
				return -EAGAIN;
			break;
		}
		if ((w = sock_wait(s, deadline)))
			return got ? (long)got : sock_wait_error(w);
	}
	unix_name_out(m, &u->peername);
	return (long)got;
}

static long send_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	if (m->controllen >= CMSG_HDR_SIZE) {
		/* SCM_RIGHTS and SCM_CREDENTIALS are not carried: refuse the whole
		 * message rather than deliver the data without them. */
		klog_once("unix-cmsg", "uninode: sendmsg ancillary data (SCM_RIGHTS, SCM_CREDENTIALS) on AF_UNIX is not supported\n");
		return -EOPNOTSUPP;
	}
	return s->type == SOCK_STREAM ? stream_send(s, m, flags, nonblock) : unix_msg_send(s, m, flags, nonblock);
}

static long recv_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	return s->type == SOCK_STREAM ? stream_recv(s, m, flags, nonblock) : unix_msg_recv(s, m, flags, nonblock);
}

/* A fresh, unconnected unix_sock on S. */
static struct unix_sock *unix_new(struct sock *s);

/* Connect U (stream or seqpacket) to the listener named ADDR. */
/* Record the caller's effective ids as what SO_PEERCRED of U reports. */
static void take_cred(struct unix_sock *u)
{
	u->cred_uid = current()->cred.euid;
	u->cred_gid = current()->cred.egid;
}

static int connect_op(struct sock *s, const void *addr, uint32_t len, bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	if (!unix_connection_type(s))
		return unix_dgram_connect(s, addr, len);
	struct unix_addr a;
	int err = unix_addr_parse(addr, len, &a);
	if (err)
		return err;
	uint64_t deadline = sock_deadline(s->sndtimeo);
	for (;;) {
		if (u->state == U_CONNECTED)
			return -EISCONN;
		if (u->state == U_LISTENING)
			return -EINVAL;
		struct unix_sock *l;
		if ((err = unix_find(&a, s->type, &l)))
			return err;
		if (u->state != U_UNCONNECTED) {
			unix_drop(l);            /* changed while the name was looked up */
			continue;
		}
		if (l->state != U_LISTENING || l->dead) {
			unix_drop(l);
			return -ECONNREFUSED;
		}
		if (l->qlen > l->backlog) {
			/* Linux lets backlog + 1 connections wait, then makes connectors wait. */
			if (nonblock) {
				unix_drop(l);
				return -EAGAIN;
			}
			int w = sock_wait(l->s, deadline);
			unix_drop(l);
			if (w)
				return sock_wait_error(w);
			continue;                /* the listener may be gone or replaced: look again */
		}
		struct sock *cs = sock_alloc(AF_UNIX, s->type, 0, NULL);
		struct unix_sock *c = cs ? unix_new(cs) : NULL;
		char *ring = s->type == SOCK_STREAM ? kmalloc(UNIX_RING) : NULL;
		char *cring = s->type == SOCK_STREAM ? kmalloc(UNIX_RING) : NULL;
		if (!c || (s->type == SOCK_STREAM && (!ring || !cring))) {
			kfree(ring);
			kfree(cring);
			if (c)
				unix_drop(c);
			else if (cs)
				sock_free(cs);
			unix_drop(l);
			return -ENOMEM;
		}
		if (s->type == SOCK_STREAM) {
			kfree(u->ring);
			u->ring = ring;
			c->ring = cring;
		}
		c->name = l->name;
		c->peername = u->name;
		u->peername = l->name;
		c->peer = u;
		u->peer = c;
		c->state = u->state = U_CONNECTED;
		take_cred(c);
		u->cred_uid = l->cred_uid;
		u->cred_gid = l->cred_gid;
		c->embryo = true;
		if (l->qtail)
			l->qtail->qnext = c;
		else
			l->qhead = c;
		l->qtail = c;
		l->qlen++;
		sock_wake(l->s, EPOLLIN | EPOLLRDNORM);
		sock_wake(s, EPOLLOUT | EPOLLWRNORM);
		unix_drop(l);
		return 0;
	}
}

static int listen_op(struct sock *s, int backlog)
{
	struct unix_sock *u = unix_of(s);
	if (!unix_connection_type(s))
		return -EOPNOTSUPP;
	if (u->state == U_CONNECTED || !u->name.len)
		return -EINVAL;
	unsigned b = (unsigned)backlog > UNIX_SOMAXCONN ? UNIX_SOMAXCONN : (unsigned)backlog;
	bool more = u->state == U_LISTENING && b > u->backlog;
	u->backlog = b;
	u->state = U_LISTENING;
	take_cred(u);
	s->listening = true;
	if (more)
		sock_wake(s, EPOLLOUT);          /* connectors waiting for room */
	return 0;
}

static int accept_op(struct sock *s, struct sock **out, bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	if (!unix_connection_type(s))
		return -EOPNOTSUPP;
	if (u->state != U_LISTENING)
		return -EINVAL;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	while (!u->qhead) {
		if (nonblock)
			return -EAGAIN;
		int w = sock_wait(s, deadline);
		if (w)
			return sock_wait_error(w);
		if (u->state != U_LISTENING)
			return -EINVAL;
	}
	struct unix_sock *c = u->qhead;
	u->qhead = c->qnext;
	if (!u->qhead)
		u->qtail = NULL;
	c->qnext = NULL;
	c->embryo = false;
	u->qlen--;
	sock_wake(s, EPOLLOUT);                  /* room for a waiting connector */
	*out = c->s;
	return 0;
}

static int shutdown_op(struct sock *s, int how)
{
	struct unix_sock *u = unix_of(s);
	unsigned mine = how == SHUT_RD ? SHUT_RD_BIT : how == SHUT_WR ? SHUT_WR_BIT : SHUT_RD_BIT | SHUT_WR_BIT;
	/* Linux answers 0 even on an unconnected unix socket. */
	s->shut |= mine;
	sock_wake(s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	if (unix_connection_type(s) && u->state == U_CONNECTED && u->peer) {
		/* What this end stops doing, the other end sees as its opposite. */
		unsigned theirs = ((mine & SHUT_RD_BIT) ? SHUT_WR_BIT : 0) | ((mine & SHUT_WR_BIT) ? SHUT_RD_BIT : 0);
		u->peer->s->shut |= theirs;
		sock_wake(u->peer->s, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP);
	}
	return 0;
}

static unsigned poll_op(struct sock *s)
{
	struct unix_sock *u = unix_of(s);
	unsigned r = 0;
	if (s->error)
		r |= EPOLLERR;
	if (rd_end(u) && wr_end(u))
		r |= EPOLLHUP;
	if (rd_end(u))
		r |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (u->state == U_LISTENING)
		return r | (u->qhead ? EPOLLIN | EPOLLRDNORM : 0);
	if (u->len || u->mhead)
		r |= EPOLLIN | EPOLLRDNORM;
	if (unix_connection_type(s) && u->state != U_CONNECTED)
		r |= EPOLLHUP;
	/* Writable also once the other side is gone, so writers see EPIPE instead of hanging. */
	struct unix_sock *p = u->peer;
	bool writable;
	if (s->type == SOCK_STREAM)
		writable = !p || wr_end(u) || room(p) > 0;
	else
		writable = !p || p->dead || wr_end(u) || !unix_msg_full(p, u, 0);
	if (writable)
		r |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	return r;
}

static long ioctl_op(struct sock *s, unsigned long cmd, unsigned long arg)
{
	struct unix_sock *u = unix_of(s);
	if (cmd == FIONREAD) {
		if (u->state == U_LISTENING)
			return -EINVAL;
		*(int *)arg = s->type == SOCK_STREAM ? (int)u->len : u->mhead ? (int)u->mhead->len : 0;
		return 0;
	}
	if (cmd == SIOCOUTQ) {
		struct unix_sock *p = u->peer;
		*(int *)arg = !p || p->dead ? 0 : s->type == SOCK_STREAM ? (int)p->len : (int)p->mbytes;
		return 0;
	}
	return -ENOTTY;
}

/* struct ucred: one process (pid 1), the ids recorded when the connection was made. */
struct ucred { int32_t pid; uint32_t uid, gid; };


static int getopt_op(struct sock *s, int level, int name, void *val, uint32_t *len)
{
	struct unix_sock *u = unix_of(s);
	if (level == SOL_SOCKET && name == SO_PEERCRED) {
		/* A connected or listening socket knows its peer (here always this
		 * process); otherwise Linux reports no pid and uid/gid -1. */
		bool known = u->state != U_UNCONNECTED;
		struct ucred c = { known ? 1 : 0, known ? u->cred_uid : ~0u, known ? u->cred_gid : ~0u };
		uint32_t n = MIN(*len, (uint32_t)sizeof c);
		memcpy(val, &c, n);
		*len = n;
		return 0;
	}
	return -ENOPROTOOPT;
}

/* U's end is gone: tell its connected peer. */
static void disconnect(struct unix_sock *u)
{
	struct unix_sock *p = u->peer;
	if (!p)
		return;
	u->peer = NULL;
	if (!unix_connection_type(u->s)) {
		unix_drop(p);                    /* a datagram socket's destination reference */
		return;
	}
	p->peer = NULL;
	p->s->shut = SHUT_RD_BIT | SHUT_WR_BIT;
	/* Unread data, or a connection never accepted, is a reset for the other end. */
	if (u->len || u->mhead || u->embryo)
		p->s->error = ECONNRESET;
	sock_wake(p->s, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP | EPOLLERR);
}

static void release_op(struct sock *s)
{
	struct unix_sock *u = unix_of(s);
	u->dead = true;
	unix_unbind(u);
	while (u->qhead) {
		/* Connections nobody accepted die with their listener. */
		struct unix_sock *c = u->qhead;
		u->qhead = c->qnext;
		c->dead = true;
		disconnect(c);
		unix_drop(c);
	}
	u->qtail = NULL;
	u->qlen = 0;
	disconnect(u);
	unix_msg_purge(u);
	sock_wake(s, EPOLLIN | EPOLLOUT | EPOLLHUP);   /* connectors sleeping on this listener */
	unix_drop(u);
}

static const struct sock_ops unix_ops = {
	.bind = unix_bind_op, .listen = listen_op, .accept = accept_op, .connect = connect_op,
	.sendmsg = send_op, .recvmsg = recv_op, .shutdown = shutdown_op, .getname = unix_getname_op,
	.getopt = getopt_op, .poll = poll_op, .ioctl = ioctl_op, .release = release_op,
};

static struct unix_sock *unix_new(struct sock *s)
{
	struct unix_sock *u = kzalloc(sizeof(*u));
	if (!u)
		return NULL;
	u->s = s;
	u->refs = 1;
	s->proto = u;
	s->ops = &unix_ops;
	/* Linux's defaults for unix sockets, as getsockopt reports them. */
	s->sndbuf = s->rcvbuf = UNIX_MSG_LIMIT;
	return u;
}

int unix_create(struct sock *s)
{
	if (s->type != SOCK_STREAM && s->type != SOCK_DGRAM && s->type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	return unix_new(s) ? 0 : -ENOMEM;
}

int unix_pair(struct sock *a, struct sock *b)
{
	int err = unix_create(a);
	if (err)
		return err;
	if ((err = unix_create(b))) {
		kfree(a->proto);
		return err;
	}
	struct unix_sock *x = unix_of(a), *y = unix_of(b);
	if (a->type == SOCK_STREAM) {
		x->ring = kmalloc(UNIX_RING);
		y->ring = kmalloc(UNIX_RING);
	}
	if (a->type == SOCK_STREAM && (!x->ring || !y->ring)) {
		kfree(x->ring);
		kfree(y->ring);
		kfree(x);
		kfree(y);
		return -ENOMEM;
	}
	x->peer = y;
	y->peer = x;
	if (a->type == SOCK_DGRAM) {
		unix_hold(x);                    /* each is the other's destination */
		unix_hold(y);
	}
	x->state = y->state = U_CONNECTED;
	take_cred(x);
	take_cred(y);
	return 0;
}
