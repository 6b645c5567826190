/* Sockets as open files: struct sock behind a struct file, the socket calls
 * (k_socket, k_bind, ...) that find the sock behind an fd and call its ops
 * under net_lock, and the SOL_SOCKET options every kind shares. */
#include "../include/signal.h"
#include "sock.h"
#include "arch.h"


#define SIGPIPE 13
#define OPT_MAX 256

/* ---- struct sock ---- */

struct sock *sock_alloc(int domain, int type, int protocol, const struct sock_ops *ops)
{
	struct sock *s = kzalloc(sizeof(*s));
	if (!s)
		return NULL;
	s->ops = ops;
	s->domain = domain;
	s->type = type;
	s->protocol = protocol;
	s->lock = (struct spinlock)SPINLOCK_INIT("sock");
	s->wq = (struct waitq)WAITQ_INIT("sock");
	s->rcvbuf = 128 * 1024;
	s->sndbuf = 128 * 1024;
	s->keepidle = 7200;
	s->keepintvl = 75;
	s->keepcnt = 9;
	return s;
}

void sock_free(struct sock *s) { kfree(s); }

void sock_wake(struct sock *s, unsigned events)
{
	spin_lock(&s->lock);
	s->gen++;
	spin_unlock(&s->lock);
	waitq_wake(&s->wq, INT32_MAX);
	if (s->file)
		poll_notify(&s->file->poll, events);
}

int sock_wait(struct sock *s, uint64_t deadline)
{
	spin_lock(&s->lock);
	uint64_t gen = s->gen;       /* state was checked under net_lock, which every wake holds */
	spin_unlock(&s->lock);
	net_unlock();
	int r = 0;
	spin_lock(&s->lock);
	if (s->gen == gen)
		r = waitq_sleep_intr(&s->wq, &s->lock, deadline);
	spin_unlock(&s->lock);
	net_lock();
	return r;
}

/* What a blocked op answers when sock_wait ended with R (-ETIMEDOUT or -EINTR). */
int sock_wait_error(int r) { return r == -EINTR ? -EINTR : -EAGAIN; }

uint64_t sock_deadline(uint64_t timeo) { return timeo ? time_monotonic_ns() + timeo : 0; }

size_t iov_total(const struct net_msg *m)
{
	size_t t = 0;
	for (int i = 0; i < m->iovlen; i++)
		t += m->iov[i].len;
	return t;
}

int sock_error(struct sock *s)
{
	int e = s->error;
	s->error = 0;
	return -e;
}

long sock_epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		k_raise(SIGPIPE);
	return -EPIPE;
}

/* ---- the file ---- */

static struct sock *S(struct file *f) { return f->priv; }

static long sock_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	struct sock *s = S(f);
	struct net_iov iov = { buf, n };
	struct net_msg m = { .iov = &iov, .iovlen = 1 };
	if (!s->ops->recvmsg)
		return -EINVAL;
	net_lock();
	long r = s->ops->recvmsg(s, &m, 0, f->flags & O_NONBLOCK);
	net_unlock();
	return r;
}

static long sock_write(struct file *f, const void *buf, size_t n, off_t *pos)
{
	struct sock *s = S(f);
	struct net_iov iov = { (void *)buf, n };
	struct net_msg m = { .iov = &iov, .iovlen = 1 };
	if (!s->ops->sendmsg)
		return -EINVAL;
	net_lock();
	long r = s->ops->sendmsg(s, &m, 0, f->flags & O_NONBLOCK);
	net_unlock();
	return r;
}

static unsigned sock_poll(struct file *f)
{
	struct sock *s = S(f);
	return s->ops->poll ? s->ops->poll(s) : EPOLLOUT | EPOLLWRNORM;
}

static long sock_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	struct sock *s = S(f);
	if (!s->ops->ioctl)
		return -ENOTTY;
	net_lock();
	long r = s->ops->ioctl(s, cmd, arg);
	net_unlock();
	return r;
}

static int sock_stat(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_dev = makedev64(0, 8);
	st->st_ino = (uint64_t)f->priv >> 4;
	return 0;
}

static void sock_release(struct file *f)
{
	struct sock *s = S(f);
	net_lock();
	s->file = NULL;
	s->ops->release(s);
	net_unlock();
}

static const struct file_ops socket_file_ops = {
	.read = sock_read, .write = sock_write, .poll = sock_poll, .ioctl = sock_ioctl,
	.stat = sock_stat, .release = sock_release, .flags = FOPS_STREAM,
};

/* Give S a file and an fd (FLAGS: SOCK_NONBLOCK, SOCK_CLOEXEC). On failure S
 * is released. */
static int sock_install(struct sock *s, int flags)
{
	struct file *f = file_alloc(&socket_file_ops, s, O_RDWR | (flags & SOCK_NONBLOCK));
	if (!f) {
		net_lock();
		s->ops->release(s);
		net_unlock();
		return -ENOMEM;
	}
	net_lock();
	s->file = f;
	net_unlock();
	int fd = fd_install(f, flags & SOCK_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* The sock behind FD, with a file reference (file_put it), or NULL with *ERR set. */
static struct sock *sock_get(int fd, struct file **fp, int *err)
{
	*err = 0;
	*fp = NULL;
	struct file *f = fd_file(fd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->ops != &socket_file_ops) {
		file_put(f);
		*err = -ENOTSOCK;
		return NULL;
	}
	*fp = f;
	return f->priv;
}

bool file_is_socket(struct file *f) { return f->ops == &socket_file_ops; }

/* ---- the calls ---- */

int k_socket(int domain, int type, int protocol)
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (kind & ~SOCK_TYPE_MASK)
		return -EINVAL;
	struct sock *s = sock_alloc(domain, kind, protocol, NULL);
	if (!s)
		return -ENOMEM;
	int err;
	switch (domain) {
	case AF_INET:
	case AF_INET6:
		if (kind == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
			err = tcp_create(s);
		else if (kind == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
			err = udp_create(s);
		else
			err = kind == SOCK_STREAM || kind == SOCK_DGRAM ? -EPROTONOSUPPORT : -ESOCKTNOSUPPORT;
		break;
	case AF_UNIX:
		err = protocol ? -EPROTONOSUPPORT : unix_create(s);
		break;
	case AF_NETLINK:
		err = netlink_create(s);
		break;
	default:
		klog_once("af-other", "uninode: socket(domain %d) is not supported\n", domain);
		err = -EAFNOSUPPORT;
	}
	if (err) {
		sock_free(s);
		return err;
	}
	return sock_install(s, flags);
}

int k_socketpair(int domain, int type, int protocol, int fds[2])
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain != AF_UNIX)
		return domain == AF_INET || domain == AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
	if (protocol)
		return -EPROTONOSUPPORT;
	struct sock *a = sock_alloc(domain, kind, protocol, NULL), *b = sock_alloc(domain, kind, protocol, NULL);
	int err = a && b ? unix_pair(a, b) : -ENOMEM;
	if (err) {
		sock_free(a);
		sock_free(b);
		return err;
	}
	int fa = sock_install(a, flags);
	if (fa < 0) {
		net_lock();
		b->ops->release(b);
		net_unlock();
		return fa;
	}
	int fb = sock_install(b, flags);
	if (fb < 0) {
		fd_close(fa);
		return fb;
	}
	fds[0] = fa;
	fds[1] = fb;
	return 0;
}

/* Run OP on FD's sock under net_lock: the shape of most calls below. */
#define WITH_SOCK(fd, call)                                   \
	({                                                    \
		struct file *f_;                              \
		int e_;                                       \
		struct sock *s = sock_get(fd, &f_, &e_);      \
		long r_ = e_;                                 \
		if (s) {                                      \
			net_lock();                           \
			r_ = (call);                          \
			net_unlock();                         \
			file_put(f_);                         \
		}                                             \
		r_;                                           \
	})

static bool nonblocking(struct sock *s, int flags) { return (flags & MSG_DONTWAIT) || (s->file && (s->file->flags & O_NONBLOCK)); }

int k_bind(int fd, const void *addr, uint32_t len)
{
	return WITH_SOCK(fd, s->ops->bind ? s->ops->bind(s, addr, len) : -EOPNOTSUPP);
}

int k_listen(int fd, int backlog)
{
	return WITH_SOCK(fd, s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP);
}

int k_connect(int fd, const void *addr, uint32_t len)
{
	return WITH_SOCK(fd, s->ops->connect ? s->ops->connect(s, addr, len, nonblocking(s, 0)) : -EOPNOTSUPP);
}

int k_shutdown(int fd, int how)
{
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	return WITH_SOCK(fd, s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP);
}

int k_getsockname(int fd, void *addr, uint32_t *len)
{
	return WITH_SOCK(fd, s->ops->getname ? s->ops->getname(s, addr, len, false) : -EOPNOTSUPP);
}

int k_getpeername(int fd, void *addr, uint32_t *len)
{
	return WITH_SOCK(fd, s->ops->getname ? s->ops->getname(s, addr, len, true) : -EOPNOTSUPP);
}

long k_sendmsg(int fd, struct net_msg *m, int flags)
{
	/* AF_UNIX refuses ancillary data itself; the IP families send without it. */
	if (m->controllen >= CMSG_HDR_SIZE) {
		struct file *f = fd_file(fd);
		if (f && file_is_socket(f) && S(f)->domain != AF_UNIX)
			klog_once("cmsg-send", "uninode: sendmsg control messages on IP sockets are ignored\n");
		if (f)
			file_put(f);
	}
	return WITH_SOCK(fd, s->ops->sendmsg ? s->ops->sendmsg(s, m, flags, nonblocking(s, flags)) : -EOPNOTSUPP);
}

long k_recvmsg(int fd, struct net_msg *m, int flags)
{
	m->flags = 0;
	return WITH_SOCK(fd, s->ops->recvmsg ? s->ops->recvmsg(s, m, flags, nonblocking(s, flags)) : -EOPNOTSUPP);
}

/* ADDR/LEN (kernel memory) receive the new connection's peer address. */
int k_accept4(int fd, void *addr, uint32_t *len, int flags)
{
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	struct file *f;
	int err;
	struct sock *s = sock_get(fd, &f, &err);
	if (!s)
		return err;
	struct sock *child = NULL;
	net_lock();
	err = s->ops->accept ? s->ops->accept(s, &child, nonblocking(s, 0)) : -EOPNOTSUPP;
	if (!err && addr && child->ops->getname && child->ops->getname(child, addr, len, true) < 0)
		*len = 0;             /* already reset: Linux still hands it over */
	net_unlock();
	file_put(f);
	return err ? err : sock_install(child, flags);
}

/* ---- options ---- */

static int get_int(const void *val, uint32_t len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int put_int(void *val, uint32_t *len, int v)
{
	uint32_t n = MIN(*len, (uint32_t)sizeof(int));
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

struct ktimeval { int64_t sec, usec; };

static int sol_socket_set(struct sock *s, int name, const void *val, uint32_t len)
{
	int v = 0, err;
	switch (name) {
	case SO_LINGER: {
		int l[2];
		if (len < sizeof l)
			return -EINVAL;
		memcpy(l, val, sizeof l);
		s->linger = l[0] != 0;
		s->linger_sec = l[1];
		return 0;
	}
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		struct ktimeval tv;
		if (len < sizeof tv)
			return -EINVAL;
		memcpy(&tv, val, sizeof tv);
		if (tv.usec < 0 || tv.usec >= 1000000)
			return -EDOM;
		uint64_t ns = tv.sec < 0 ? 0 : (uint64_t)tv.sec * 1000000000ULL + (uint64_t)tv.usec * 1000;
		*(name == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo) = ns;
		return 0;
	}
	}
	if ((err = get_int(val, len, &v)))
		return err;
	switch (name) {
	case SO_REUSEADDR: s->reuseaddr = v; return 0;
	case SO_REUSEPORT:
		/* lwIP lets several sockets share the port, but does not spread
		 * connections over listeners as Linux does: one gets them all. */
		s->reuseport = v;
		return 0;
	case SO_KEEPALIVE: s->keepalive = v; return 0;
	case SO_BROADCAST: s->broadcast = v; return 0;
	/* Buffer sizes are recorded and reported (doubled, as Linux does), but
	 * lwIP's windows and send buffers are fixed at build time (lwipopts.h). */
	case SO_RCVBUF: s->rcvbuf = MAX(v, 1152) * 2; return 0;
	case SO_SNDBUF: s->sndbuf = MAX(v, 2304) * 2; return 0;
	case SO_OOBINLINE: case SO_DONTROUTE: case SO_RCVLOWAT: case SO_SNDLOWAT: case SO_PASSCRED:
		klog_once("so-ignored", "uninode: setsockopt(SOL_SOCKET, %d) accepted and ignored\n", name);
		return 0;
	}
	klog_once("so-unknown", "uninode: setsockopt(SOL_SOCKET, %d) is not supported\n", name);
	return -ENOPROTOOPT;
}

static int sol_socket_get(struct sock *s, int name, void *val, uint32_t *len)
{
	switch (name) {
	case SO_TYPE: return put_int(val, len, s->type);
	case SO_DOMAIN: return put_int(val, len, s->domain);
	case SO_PROTOCOL: return put_int(val, len, s->protocol ? s->protocol : s->domain == AF_UNIX ? 0 :
						   s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
	case SO_ERROR: {
		return put_int(val, len, -sock_error(s));
	}
	case SO_REUSEADDR: return put_int(val, len, s->reuseaddr);
	case SO_REUSEPORT: return put_int(val, len, s->reuseport);
	case SO_KEEPALIVE: return put_int(val, len, s->keepalive);
	case SO_BROADCAST: return put_int(val, len, s->broadcast);
	case SO_RCVBUF: return put_int(val, len, s->rcvbuf);
	case SO_SNDBUF: return put_int(val, len, s->sndbuf);
	case SO_ACCEPTCONN: return put_int(val, len, s->listening);
	case SO_LINGER: {
		int l[2] = { s->linger, s->linger_sec };
		uint32_t n = MIN(*len, (uint32_t)sizeof l);
		memcpy(val, l, n);
		*len = n;
		return 0;
	}
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
		struct ktimeval tv = { (int64_t)(ns / 1000000000ULL), (int64_t)(ns % 1000000000ULL / 1000) };
		uint32_t n = MIN(*len, (uint32_t)sizeof tv);
		memcpy(val, &tv, n);
		*len = n;
		return 0;
	}
	}
	/* Family-specific SOL_SOCKET options (AF_UNIX's SO_PEERCRED). */
	return s->ops->getopt ? s->ops->getopt(s, SOL_SOCKET, name, val, len) : -ENOPROTOOPT;
}

/* VAL/LEN are a kernel copy of the app's option. */
int k_setsockopt(int fd, int level, int name, const void *val, uint32_t len)
{
	return WITH_SOCK(fd, ({
		int e;
		if (level == SOL_SOCKET)
			e = sol_socket_set(s, name, val, len);
		else
			e = s->ops->setopt ? s->ops->setopt(s, level, name, val, len) : -ENOPROTOOPT;
		if (!e && s->ops->apply_opts)
			s->ops->apply_opts(s);
		e;
	}));
}

/* VAL is a kernel buffer of *LEN bytes; *LEN becomes the size written. */
int k_getsockopt(int fd, int level, int name, void *val, uint32_t *len)
{
	return WITH_SOCK(fd, level == SOL_SOCKET ? sol_socket_get(s, name, val, len) :
			 s->ops->getopt ? s->ops->getopt(s, level, name, val, len) : -ENOPROTOOPT);
}
