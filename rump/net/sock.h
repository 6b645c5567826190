/* The socket layer's insides: one struct sock per socket (the priv of its
 * struct file), and the ops each family/type provides (tcp.c, udp.c,
 * unix.c). Every op is entered with net_lock held; ops that block drop it
 * while asleep (sock_wait). App memory is touched under net_lock, which is
 * a sleeping lock, never under a spinlock. */
#pragma once
#include "kernel.h"
#include "sched.h"
#include "vfs.h"
#include "poll.h"
#include "net.h"

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2
#define SHUT_RD_BIT 1
#define SHUT_WR_BIT 2

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39

#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_CORK 3
#define IPV6_V6ONLY 26

#define FIONREAD 0x541B
#define SIOCOUTQ 0x5411

/* An iovec whose pointers are app memory already checked to be app addresses. */
struct net_iov { void *base; size_t len; };

/* One send or receive: NAME is a kernel copy of the address (in for send,
 * out for receive, NAMELEN its size / the size written). */
struct net_msg {
	void *name;
	uint32_t namelen;
	struct net_iov *iov;
	int iovlen;
	int flags;                   /* out: MSG_TRUNC, ... */
	size_t controllen;           /* send: the ancillary data's size (msg_controllen) */
};
#define CMSG_HDR_SIZE 16             /* sizeof(struct cmsghdr): a shorter control buffer holds none */

struct sock;

/* What a kind of socket does. All are entered with net_lock held. A missing
 * member answers -EOPNOTSUPP. NONBLOCK: O_NONBLOCK or MSG_DONTWAIT. */
struct sock_ops {
	int (*bind)(struct sock *s, const void *addr, uint32_t len);
	int (*listen)(struct sock *s, int backlog);
	int (*accept)(struct sock *s, struct sock **out, bool nonblock);
	int (*connect)(struct sock *s, const void *addr, uint32_t len, bool nonblock);
	long (*sendmsg)(struct sock *s, struct net_msg *m, int flags, bool nonblock);
	long (*recvmsg)(struct sock *s, struct net_msg *m, int flags, bool nonblock);
	int (*shutdown)(struct sock *s, int how);
	/* Write the local (PEER false) or remote address to ADDR, its size to *LEN. */
	int (*getname)(struct sock *s, void *addr, uint32_t *len, bool peer);
	/* Push the options recorded in struct sock into the protocol (after setsockopt). */
	void (*apply_opts)(struct sock *s);
	/* Protocol-level getsockopt/setsockopt (IPPROTO_TCP, ...): -ENOPROTOOPT if unknown. */
	int (*getopt)(struct sock *s, int level, int name, void *val, uint32_t *len);
	int (*setopt)(struct sock *s, int level, int name, const void *val, uint32_t len);
	/* Readiness; must not sleep or take net_lock (epoll calls it under spinlocks). */
	unsigned (*poll)(struct sock *s);
	long (*ioctl)(struct sock *s, unsigned long cmd, unsigned long arg);
	/* The file is gone: end the connection and free the protocol state. */
	void (*release)(struct sock *s);
};

struct sock {
	const struct sock_ops *ops;
	struct file *file;           /* for poll_notify; NULL before install and after release */
	int domain, type, protocol;
	struct spinlock lock;        /* guards gen */
	uint64_t gen;                /* bumped by every sock_wake */
	struct waitq wq;             /* threads blocked in an op */
	int error;                   /* pending error for SO_ERROR, positive errno */
	unsigned shut;               /* SHUT_RD_BIT | SHUT_WR_BIT */
	bool listening;
	/* Options (SOL_SOCKET and the protocol's), recorded here; apply_opts pushes them down. */
	bool reuseaddr, reuseport, keepalive, nodelay, v6only, broadcast;
	bool cork;                   /* TCP_CORK: hold partial segments (tcp.c) */
	bool linger;
	int linger_sec;
	int rcvbuf, sndbuf;
	int keepidle, keepintvl, keepcnt; /* seconds, seconds, probes */
	uint64_t rcvtimeo, sndtimeo; /* ns, 0 = forever */
	void *proto;                 /* the family's state */
};

/* socket.c */
struct sock *sock_alloc(int domain, int type, int protocol, const struct sock_ops *ops);
void sock_free(struct sock *s);
/* Readiness changed (EVENTS became true): wake blocked ops and pollers. */
void sock_wake(struct sock *s, unsigned events);
/* Sleep until the next sock_wake or DEADLINE (ns, 0 = none), dropping
 * net_lock meanwhile. 0, -ETIMEDOUT, or -EINTR when a signal came. */
int sock_wait(struct sock *s, uint64_t deadline);
/* The answer of an op whose wait failed with R: -EINTR, or -EAGAIN at SO_*TIMEO. */
int sock_wait_error(int r);
/* The deadline for a blocking op under SO_RCVTIMEO/SO_SNDTIMEO. */
uint64_t sock_deadline(uint64_t timeo);
/* Total bytes the iovec holds. */
size_t iov_total(const struct net_msg *m);
/* The error a write past the end reports: EPIPE and SIGPIPE unless MSG_NOSIGNAL. */
long sock_epipe(int flags);
/* The pending error, as a negative errno, and cleared: it is reported once
 * (Linux's sock_error()); 0 when there is none. */
int sock_error(struct sock *s);

/* The families. */
int tcp_create(struct sock *s);
int udp_create(struct sock *s);
int unix_create(struct sock *s);
int unix_pair(struct sock *a, struct sock *b);
int netlink_create(struct sock *s);
