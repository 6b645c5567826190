/* AF_UNIX stream sockets: connected pairs (socketpair), each end with a
 * 64 KiB receive ring the other end writes into, under net_lock like every
 * socket. Sockets bound to paths are not supported yet: connect() finds no
 * listener (ENOENT), which is what glibc expects when nscd is absent. */
#include "sock.h"

#define RING 65536

struct unix_sock {
	struct sock *s;
	struct unix_sock *peer;      /* NULL once the other end is closed */
	char *buf;                   /* what this end receives */
	size_t head, len;
	bool paired;
};

static struct unix_sock *X(struct sock *s) { return s->proto; }

/* Bytes the peer can still write into U's ring. */
static size_t room(const struct unix_sock *u) { return RING - u->len; }

static long unix_send_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct unix_sock *u = X(s);
	if (!u->paired)
		return -ENOTCONN;
	size_t total = iov_total(m), done = 0;
	uint64_t deadline = sock_deadline(s->sndtimeo);
	int w;
	int seg = 0;
	size_t seg_off = 0;
	while (done < total) {
		struct unix_sock *p = u->peer;
		if (!p || (s->shut & SHUT_WR_BIT) || (p->s->shut & SHUT_RD_BIT))
			return done ? (long)done : sock_epipe(flags);
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
		size_t tail = (p->head + p->len) % RING;
		size_t k = MIN(MIN(m->iov[seg].len - seg_off, room(p)), RING - tail);
		memcpy(p->buf + tail, (char *)m->iov[seg].base + seg_off, k);
		p->len += k;
		seg_off += k;
		done += k;
		sock_wake(p->s, EPOLLIN | EPOLLRDNORM);
	}
	return (long)done;
}

static long unix_recv_op(struct sock *s, struct net_msg *m, int flags, bool nonblock)
{
	struct unix_sock *u = X(s);
	if (!u->paired)
		return -EINVAL;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int w;
	while (!u->len) {
		if (!u->peer || (s->shut & SHUT_RD_BIT) || (u->peer->s->shut & SHUT_WR_BIT))
			return 0;
		if (nonblock)
			return -EAGAIN;
		if ((w = sock_wait(s, deadline)))
			return sock_wait_error(w);
	}
	size_t done = 0, head = u->head, len = u->len;
	for (int i = 0; i < m->iovlen && len; i++) {
		size_t got = 0;
		while (got < m->iov[i].len && len) {
			size_t k = MIN(MIN(m->iov[i].len - got, len), RING - head);
			memcpy((char *)m->iov[i].base + got, u->buf + head, k);
			head = (head + k) % RING;
			len -= k;
			got += k;
		}
		done += got;
	}
	if (!(flags & MSG_PEEK)) {
		u->head = head;
		u->len = len;
		if (u->peer)
			sock_wake(u->peer->s, EPOLLOUT | EPOLLWRNORM);
	}
	if (m->name)
		m->namelen = 0;
	return (long)done;
}

static int unix_shutdown_op(struct sock *s, int how)
{
	struct unix_sock *u = X(s);
	if (!u->paired)
		return -ENOTCONN;
	s->shut |= how == SHUT_RD ? SHUT_RD_BIT : how == SHUT_WR ? SHUT_WR_BIT : SHUT_RD_BIT | SHUT_WR_BIT;
	sock_wake(s, EPOLLIN | EPOLLOUT);
	if (u->peer)
		sock_wake(u->peer->s, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
	return 0;
}

static int unix_getname_op(struct sock *s, void *addr, uint32_t *len, bool peer)
{
	if (peer && !X(s)->paired)
		return -ENOTCONN;
	uint16_t family = AF_UNIX;             /* unnamed: just the family */
	memcpy(addr, &family, MIN(*len, (uint32_t)sizeof family));
	*len = sizeof family;
	return 0;
}

static int unix_bind_op(struct sock *s, const void *addr, uint32_t len)
{
	klog_once("unix-bind", "uninode: binding AF_UNIX sockets to names is not supported yet\n");
	return -EOPNOTSUPP;
}

static int unix_connect_op(struct sock *s, const void *addr, uint32_t len, bool nonblock)
{
	if (X(s)->paired)
		return -EISCONN;
	return -ENOENT;                        /* no socket files exist to connect to */
}

static unsigned unix_poll_op(struct sock *s)
{
	struct unix_sock *u = X(s);
	if (!u->paired)
		return EPOLLOUT | EPOLLHUP;
	unsigned r = 0;
	bool rd_end = !u->peer || (s->shut & SHUT_RD_BIT) || (u->peer->s->shut & SHUT_WR_BIT);
	bool wr_end = !u->peer || (s->shut & SHUT_WR_BIT) || (u->peer->s->shut & SHUT_RD_BIT);
	if (u->len || rd_end)
		r |= EPOLLIN | EPOLLRDNORM;
	if (rd_end)
		r |= EPOLLRDHUP;
	if (wr_end || room(u->peer) > 0)
		r |= EPOLLOUT | EPOLLWRNORM;
	if (rd_end && wr_end)
		r |= EPOLLHUP;
	return r;
}

static long unix_ioctl_op(struct sock *s, unsigned long cmd, unsigned long arg)
{
	if (cmd == FIONREAD) {
		*(int *)arg = (int)X(s)->len;
		return 0;
	}
	if (cmd == SIOCOUTQ) {
		*(int *)arg = X(s)->peer ? (int)X(s)->peer->len : 0;
		return 0;
	}
	return -ENOTTY;
}

static void unix_release_op(struct sock *s)
{
	struct unix_sock *u = X(s);
	if (u->peer) {
		u->peer->peer = NULL;
		sock_wake(u->peer->s, EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP);
	}
	kfree(u->buf);
	kfree(u);
	sock_free(s);
}

static const struct sock_ops unix_ops = {
	.bind = unix_bind_op, .connect = unix_connect_op, .sendmsg = unix_send_op, .recvmsg = unix_recv_op,
	.shutdown = unix_shutdown_op, .getname = unix_getname_op, .poll = unix_poll_op, .ioctl = unix_ioctl_op,
	.release = unix_release_op,
};

int unix_create(struct sock *s)
{
	if (s->type != SOCK_STREAM && s->type != SOCK_DGRAM && s->type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	struct unix_sock *u = kzalloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->s = s;
	s->proto = u;
	s->ops = &unix_ops;
	return 0;
}

int unix_pair(struct sock *a, struct sock *b)
{
	if (a->type != SOCK_STREAM) {
		klog_once("unix-pair-type", "uninode: socketpair(AF_UNIX) supports SOCK_STREAM only\n");
		return -EOPNOTSUPP;
	}
	int err = unix_create(a);
	if (!err && (err = unix_create(b)))
		kfree(a->proto);
	if (err)
		return err;
	struct unix_sock *x = X(a), *y = X(b);
	x->buf = kmalloc(RING);
	y->buf = kmalloc(RING);
	if (!x->buf || !y->buf) {
		kfree(x->buf);
		kfree(y->buf);
		kfree(x);
		kfree(y);
		return -ENOMEM;
	}
	x->peer = y;
	y->peer = x;
	x->paired = y->paired = true;
	return 0;
}
