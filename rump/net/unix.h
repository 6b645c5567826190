/* AF_UNIX insides, shared by unix.c (sockets, connections, byte streams),
 * unix_msg.c (datagrams and seqpackets: queues of whole messages) and
 * unix_bind.c (names: socket files, the abstract namespace, autobind).
 * Everything here runs under net_lock. */
#pragma once
#include "sock.h"

#define UNIX_PATH_MAX 108
#define UNIX_ADDR_MAX (2 + UNIX_PATH_MAX)     /* sizeof(struct sockaddr_un) */
#define UNIX_RING 65536                       /* a stream end's receive buffer */
#define UNIX_MSG_LIMIT 212992                 /* bytes a message queue holds (Linux's default sndbuf) */
#define UNIX_MSG_MAX (UNIX_MSG_LIMIT - 32)    /* the largest message: EMSGSIZE above, as Linux */
#define UNIX_DGRAM_QLEN 512                   /* messages queued from sockets the receiver is not paired with */
#define UNIX_SOMAXCONN 4096

/* A name as the app sees it: the sockaddr_un bytes (family first) and the
 * length getsockname reports; LEN 0 is unnamed. */
struct unix_addr {
	uint32_t len;
	char bytes[UNIX_ADDR_MAX + 1];   /* a path name is NUL-terminated here */
};

/* One queued datagram or seqpacket record. */
struct unix_msg {
	struct unix_msg *next;
	size_t len;
	struct unix_addr from;
	char data[];
};

enum unix_state { U_UNCONNECTED, U_LISTENING, U_CONNECTED };

struct unix_sock {
	struct sock *s;
	/* The file holds one reference; a connect sleeping on a full listener or
	 * a datagram socket connected to this one hold others. */
	int refs;
	bool dead;                   /* released: no file any more */
	enum unix_state state;
	/* Stream and seqpacket: the other end, NULL once it is closed. Datagram:
	 * the default destination (referenced), which may die meanwhile. */
	struct unix_sock *peer;
	struct unix_addr name;       /* bound name */
	struct unix_addr peername;   /* the peer's name when connecting */
	/* SO_PEERCRED's uid and gid, taken as Linux does: a listener's own at
	 * listen, a connection's at connect (the connector's for the accepted
	 * end, the listener's for the connecting one), both ends' at socketpair. */
	uint32_t cred_uid, cred_gid;
	struct inode *ino;           /* the socket file bound to (referenced) */
	bool registered;             /* on the list of bound sockets */
	struct unix_sock *bnext;
	/* SOCK_STREAM data sent to this end. */
	char *ring;
	size_t head, len;
	/* SOCK_DGRAM and SOCK_SEQPACKET messages sent to this end. */
	struct unix_msg *mhead, *mtail;
	size_t mbytes;
	unsigned mcount;
	/* Listening: connections made but not yet accepted. */
	struct unix_sock *qhead, *qtail;
	unsigned qlen, backlog;
	/* Such a connection: the next in its listener's queue. */
	struct unix_sock *qnext;
	bool embryo;
};

static inline struct unix_sock *unix_of(struct sock *s) { return s->proto; }
static inline bool unix_connection_type(const struct sock *s) { return s->type != SOCK_DGRAM; }

/* unix.c */
void unix_hold(struct unix_sock *u);
void unix_drop(struct unix_sock *u);

/* unix_bind.c */
/* Check and copy an app sockaddr_un into A: -EINVAL for a bad family or length. */
int unix_addr_parse(const void *addr, uint32_t len, struct unix_addr *a);
int unix_bind_op(struct sock *s, const void *addr, uint32_t len);
/* Give U an abstract name of its own (a bind with only the family). */
int unix_autobind(struct unix_sock *u);
/* The socket bound to A, held (unix_drop it): -ECONNREFUSED if none,
 * -EPROTOTYPE if it is of another type than TYPE, or the path's own error.
 * May let net_lock go for a path (so the caller's state may have changed,
 * and the socket found may be dead by the return). */
int unix_find(const struct unix_addr *a, int type, struct unix_sock **out);
/* Forget U's name (it is being released; lets net_lock go for a path). */
void unix_unbind(struct unix_sock *u);
int unix_getname_op(struct sock *s, void *addr, uint32_t *len, bool peer);
/* Write A (or, unnamed, nothing: *NAMELEN 0) as a received message's source. */
void unix_name_out(struct net_msg *m, const struct unix_addr *a);

/* unix_msg.c */
long unix_msg_send(struct sock *s, struct net_msg *m, int flags, bool nonblock);
long unix_msg_recv(struct sock *s, struct net_msg *m, int flags, bool nonblock);
/* Would a LEN-byte message from FROM not fit in TO's queue now? */
bool unix_msg_full(const struct unix_sock *to, const struct unix_sock *from, size_t len);
void unix_msg_purge(struct unix_sock *u);
int unix_dgram_connect(struct sock *s, const void *addr, uint32_t len);
