/* The socket family of the Linux syscall ABI. These only check and copy app
 * memory (addresses, option values, message headers) into kernel copies;
 * rump/net/socket.c does the work.
 *
 *  41 socket  42 connect  43 accept  44 sendto  45 recvfrom  46 sendmsg
 *  47 recvmsg  48 shutdown  49 bind  50 listen  51 getsockname  52 getpeername
 *  53 socketpair  54 setsockopt  55 getsockopt  288 accept4  299 recvmmsg
 *  307 sendmmsg
 */
#include "fs.h"
#include "../rump/net/sock.h"

#define SOCKADDR_MAX 128             /* sizeof(struct sockaddr_storage) */
#define OPTVAL_MAX 256
#define IOV_MAX 1024
#define VLEN_MAX 1024

int k_socket(int domain, int type, int protocol);
int k_socketpair(int domain, int type, int protocol, int fds[2]);
int k_bind(int fd, const void *addr, uint32_t len);
int k_listen(int fd, int backlog);
int k_connect(int fd, const void *addr, uint32_t len);
int k_accept4(int fd, void *addr, uint32_t *len, int flags);
int k_shutdown(int fd, int how);
int k_getsockname(int fd, void *addr, uint32_t *len);
int k_getpeername(int fd, void *addr, uint32_t *len);
long k_sendmsg(int fd, struct net_msg *m, int flags);
long k_recvmsg(int fd, struct net_msg *m, int flags);
int k_setsockopt(int fd, int level, int name, const void *val, uint32_t len);
int k_getsockopt(int fd, int level, int name, void *val, uint32_t *len);

/* struct msghdr and struct mmsghdr as x86-64 Linux lays them out. */
struct kmsghdr {
	void *msg_name;
	uint32_t msg_namelen;
	struct kiovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};
struct kmmsghdr { struct kmsghdr hdr; uint32_t len; };

/* Copy an app sockaddr of LEN bytes into BUF. */
static int addr_in(void *buf, const void *uaddr, int len)
{
	if (len < 0 || len > SOCKADDR_MAX)
		return -EINVAL;
	if (len && !uptr_ok(uaddr, (size_t)len))
		return -EFAULT;
	memcpy(buf, uaddr, (size_t)len);
	return 0;
}

/* Give the app an address: at most *ULEN bytes of BUF (KLEN long), then *ULEN = KLEN. */
static int addr_out(void *uaddr, uint32_t *ulen, const void *buf, uint32_t klen)
{
	if (!uaddr)
		return 0;
	if (!uptr_ok(ulen, sizeof *ulen))
		return -EFAULT;
	int32_t have = (int32_t)*ulen;
	if (have < 0)
		return -EINVAL;
	uint32_t n = MIN((uint32_t)have, klen);
	if (n && !uptr_ok(uaddr, n))
		return -EFAULT;
	memcpy(uaddr, buf, n);
	*ulen = klen;
	return 0;
}

long sys_socket(int domain, int type, int protocol) { return k_socket(domain, type, protocol); }

long sys_socketpair(int domain, int type, int protocol, int *sv)
{
	if (!uptr_ok(sv, 2 * sizeof(int)))
		return -EFAULT;
	int fds[2];
	int r = k_socketpair(domain, type, protocol, fds);
	if (!r)
		memcpy(sv, fds, sizeof fds);
	return r;
}

long sys_bind(int fd, const void *uaddr, int len)
{
	char buf[SOCKADDR_MAX];
	int r = addr_in(buf, uaddr, len);
	return r ? r : k_bind(fd, buf, (uint32_t)len);
}

long sys_connect(int fd, const void *uaddr, int len)
{
	char buf[SOCKADDR_MAX];
	int r = addr_in(buf, uaddr, len);
	return r ? r : k_connect(fd, buf, (uint32_t)len);
}

long sys_listen(int fd, int backlog) { return k_listen(fd, backlog); }

long sys_accept4(int fd, void *uaddr, uint32_t *ulen, int flags)
{
	char buf[SOCKADDR_MAX];
	uint32_t klen = sizeof buf;
	if (uaddr && (!uptr_ok(ulen, sizeof *ulen) || (int32_t)*ulen < 0))
		return uptr_ok(ulen, sizeof *ulen) ? -EINVAL : -EFAULT;
	int nfd = k_accept4(fd, uaddr ? buf : NULL, &klen, flags);
	if (nfd >= 0 && uaddr && addr_out(uaddr, ulen, buf, klen) < 0) {
		fd_close(nfd);
		return -EFAULT;
	}
	return nfd;
}

long sys_accept(int fd, void *uaddr, uint32_t *ulen) { return sys_accept4(fd, uaddr, ulen, 0); }

long sys_shutdown(int fd, int how) { return k_shutdown(fd, how); }

static long getname(int fd, void *uaddr, uint32_t *ulen, bool peer)
{
	char buf[SOCKADDR_MAX];
	uint32_t klen = sizeof buf;
	if (!uaddr)
		return -EFAULT;
	int r = peer ? k_getpeername(fd, buf, &klen) : k_getsockname(fd, buf, &klen);
	return r ? r : addr_out(uaddr, ulen, buf, klen);
}

long sys_getsockname(int fd, void *uaddr, uint32_t *ulen) { return getname(fd, uaddr, ulen, false); }
long sys_getpeername(int fd, void *uaddr, uint32_t *ulen) { return getname(fd, uaddr, ulen, true); }

long sys_setsockopt(int fd, int level, int name, const void *uval, int len)
{
	char buf[OPTVAL_MAX];
	if (len < 0)
		return -EINVAL;
	len = MIN(len, OPTVAL_MAX);
	if (len && !uptr_ok(uval, (size_t)len))
		return -EFAULT;
	memcpy(buf, uval, (size_t)len);
	return k_setsockopt(fd, level, name, buf, (uint32_t)len);
}

long sys_getsockopt(int fd, int level, int name, void *uval, uint32_t *ulen)
{
	char buf[OPTVAL_MAX];
	if (!uptr_ok(ulen, sizeof *ulen))
		return -EFAULT;
	int32_t have = (int32_t)*ulen;
	if (have < 0)
		return -EINVAL;
	uint32_t klen = MIN((uint32_t)have, (uint32_t)OPTVAL_MAX);
	int r = k_getsockopt(fd, level, name, buf, &klen);
	if (r)
		return r;
	if (klen && !uptr_ok(uval, klen))
		return -EFAULT;
	memcpy(uval, buf, klen);
	*ulen = klen;
	return 0;
}

/* One buffer as a message. */
static long xfer_one(int fd, void *buf, size_t len, int flags, void *name, uint32_t namelen, bool send, uint32_t *outlen)
{
	if (len && !uptr_ok(buf, len))
		return -EFAULT;
	struct net_iov iov = { buf, len };
	struct net_msg m = { .name = name, .namelen = namelen, .iov = &iov, .iovlen = 1 };
	long r = send ? k_sendmsg(fd, &m, flags) : k_recvmsg(fd, &m, flags);
	if (outlen)
		*outlen = m.namelen;
	return r;
}

long sys_sendto(int fd, const void *buf, size_t len, int flags, const void *uaddr, int alen)
{
	char abuf[SOCKADDR_MAX];
	if (uaddr) {
		int r = addr_in(abuf, uaddr, alen);
		if (r)
			return r;
	}
	return xfer_one(fd, (void *)buf, len, flags, uaddr ? abuf : NULL, uaddr ? (uint32_t)alen : 0, true, NULL);
}

long sys_recvfrom(int fd, void *buf, size_t len, int flags, void *uaddr, uint32_t *ualen)
{
	char abuf[SOCKADDR_MAX];
	uint32_t klen = uaddr ? sizeof abuf : 0;
	if (uaddr && !uptr_ok(ualen, sizeof *ualen))
		return -EFAULT;
	long r = xfer_one(fd, buf, len, flags, uaddr ? abuf : NULL, klen, false, &klen);
	if (r >= 0 && uaddr && addr_out(uaddr, ualen, abuf, klen) < 0)
		return -EFAULT;
	return r;
}

/* sendmsg/recvmsg on a header already checked to be app memory. */
static long msg_xfer(int fd, struct kmsghdr *h, int flags, bool send)
{
	if (h->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (h->msg_iovlen && !uptr_ok(h->msg_iov, h->msg_iovlen * sizeof(struct kiovec)))
		return -EFAULT;
	struct net_iov iov_stack[8];
	struct net_iov *iov = h->msg_iovlen <= 8 ? iov_stack : kmalloc(h->msg_iovlen * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	long r = 0;
	size_t total = 0;
	for (size_t i = 0; i < h->msg_iovlen; i++) {
		iov[i].base = h->msg_iov[i].iov_base;
		iov[i].len = h->msg_iov[i].iov_len;
		if ((ssize_t)iov[i].len < 0 || (total += iov[i].len) > (size_t)INT64_MAX)
			r = -EINVAL;
		else if (iov[i].len && !uptr_ok(iov[i].base, iov[i].len))
			r = -EFAULT;
	}
	char abuf[SOCKADDR_MAX];
	struct net_msg m = { .iov = iov, .iovlen = (int)h->msg_iovlen };
	if (!r && h->msg_name) {
		if (send) {
			r = addr_in(abuf, h->msg_name, (int)h->msg_namelen);
			m.namelen = h->msg_namelen;
		} else {
			m.namelen = sizeof abuf;
		}
		m.name = abuf;
	}
	if (send)
		m.controllen = h->msg_controllen;
	if (!r)
		r = send ? k_sendmsg(fd, &m, flags) : k_recvmsg(fd, &m, flags);
	if (r >= 0 && !send) {
		if (h->msg_name) {
			uint32_t n = MIN(h->msg_namelen, m.namelen);
			if (n && !uptr_ok(h->msg_name, n))
				r = -EFAULT;
			else
				memcpy(h->msg_name, abuf, n);
			h->msg_namelen = m.namelen;
		}
		h->msg_controllen = 0;               /* no ancillary data is ever delivered */
		h->msg_flags = m.flags;
	}
	if (iov != iov_stack)
		kfree(iov);
	return r;
}

long sys_sendmsg(int fd, struct kmsghdr *umsg, int flags)
{
	if (!uptr_ok(umsg, sizeof *umsg))
		return -EFAULT;
	struct kmsghdr h = *umsg;
	return msg_xfer(fd, &h, flags, true);
}

long sys_recvmsg(int fd, struct kmsghdr *umsg, int flags)
{
	if (!uptr_ok(umsg, sizeof *umsg))
		return -EFAULT;
	struct kmsghdr h = *umsg;
	long r = msg_xfer(fd, &h, flags, false);
	if (r >= 0) {
		umsg->msg_namelen = h.msg_namelen;
		umsg->msg_controllen = h.msg_controllen;
		umsg->msg_flags = h.msg_flags;
	}
	return r;
}

/* glibc's resolver sends its A and AAAA queries with one sendmmsg. */
long sys_sendmmsg(int fd, struct kmmsghdr *uvec, unsigned vlen, int flags)
{
	vlen = MIN(vlen, (unsigned)VLEN_MAX);
	if (vlen && !uptr_ok(uvec, vlen * sizeof *uvec))
		return -EFAULT;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		struct kmsghdr h = uvec[i].hdr;
		long r = msg_xfer(fd, &h, flags, true);
		if (r < 0)
			return i ? (long)i : r;
		uvec[i].len = (uint32_t)r;
	}
	return i;
}

/* The timeout is not honoured: it only bounds the wait for later messages,
 * and after the first we stop at the first empty read anyway. */
long sys_recvmmsg(int fd, struct kmmsghdr *uvec, unsigned vlen, int flags, void *timeout)
{
	vlen = MIN(vlen, (unsigned)VLEN_MAX);
	if (vlen && !uptr_ok(uvec, vlen * sizeof *uvec))
		return -EFAULT;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		struct kmsghdr h = uvec[i].hdr;
		long r = msg_xfer(fd, &h, i ? flags | MSG_DONTWAIT : flags, false);
		if (r < 0)
			return i ? (long)i : r;
		uvec[i].hdr.msg_namelen = h.msg_namelen;
		uvec[i].hdr.msg_controllen = 0;
		uvec[i].hdr.msg_flags = h.msg_flags;
		uvec[i].len = (uint32_t)r;
	}
	return i;
}
