/* AF_UNIX names. A path name is a socket file (rump/fs/sockfile.c) that the
 * bound socket keeps a reference to; connect() resolves the path and looks
 * for the live socket bound to that inode. An abstract name (sun_path[0] ==
 * 0) is the address bytes themselves, bounded by the address length, with no
 * file; like Linux, each socket type has its own abstract namespace. */
#include "unix.h"

static struct unix_sock *bound;      /* every socket with a name, newest first */

/* The VFS is entered without net_lock held: a description's last reference
 * can be dropped under the VFS lock (file_put_locked), and if it is a
 * socket its release takes net_lock, so holding net_lock while waiting for
 * the VFS lock could deadlock. Callers recheck what may have changed. */
static int sock_create_unlocked(const char *path, struct inode **out)
{
	net_unlock();
	int err = vfs_sock_create(path, out);
	net_lock();
	return err;
}

static int sock_lookup_unlocked(const char *path, struct inode **out)
{
	net_unlock();
	int err = vfs_sock_lookup(path, out);
	net_lock();
	return err;
}

static void sock_put_unlocked(struct inode *ino)
{
	net_unlock();
	vfs_sock_put(ino);
	net_lock();
}

static bool is_abstract(const struct unix_addr *a) { return a->len > 2 && a->bytes[2] == 0; }

int unix_addr_parse(const void *addr, uint32_t len, struct unix_addr *a)
{
	uint16_t family;
	if (len <= 2 || len > UNIX_ADDR_MAX)
		return -EINVAL;
	memcpy(&family, addr, sizeof family);
	if (family != AF_UNIX)
		return -EINVAL;
	memset(a, 0, sizeof *a);
	memcpy(a->bytes, addr, len);
	if (a->bytes[2] == 0) {
		a->len = len;
	} else {
		/* A path ends at its first NUL or at the address's end; the name
		 * reported back carries one NUL, so its length counts it. */
		a->len = 2 + (uint32_t)strlen(a->bytes + 2) + 1;
	}
	return 0;
}

/* The live abstract name A of sockets of TYPE. */
static struct unix_sock *find_abstract(const struct unix_addr *a, int type)
{
	for (struct unix_sock *b = bound; b; b = b->bnext)
		if (!b->dead && b->s->type == type && !b->ino && b->name.len == a->len &&
		    !memcmp(b->name.bytes, a->bytes, a->len))
			return b;
	return NULL;
}

static void enlist(struct unix_sock *u)
{
	u->bnext = bound;
	bound = u;
	u->registered = true;
}

int unix_autobind(struct unix_sock *u)
{
	static unsigned next;
	struct unix_addr a;
	/* Linux's autobind names: a NUL and five hex digits. */
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		memset(&a, 0, sizeof a);
		uint16_t family = AF_UNIX;
		memcpy(a.bytes, &family, sizeof family);
		unsigned n = next++ & 0xfffff;
		for (int i = 0; i < 5; i++)
			a.bytes[3 + i] = "0123456789abcdef"[(n >> (4 * (4 - i))) & 0xf];
		a.len = 8;
		if (!find_abstract(&a, u->s->type)) {
			u->name = a;
			enlist(u);
			return 0;
		}
	}
	return -ENOSPC;
}

int unix_bind_op(struct sock *s, const void *addr, uint32_t len)
{
	struct unix_sock *u = unix_of(s);
	uint16_t family = AF_UNSPEC;
	if (len >= sizeof family)
		memcpy(&family, addr, sizeof family);
	if (len == 2 && family == AF_UNIX)
		return u->name.len ? -EINVAL : unix_autobind(u);
	struct unix_addr a;
	int err = unix_addr_parse(addr, len, &a);
	if (err)
		return err;
	if (is_abstract(&a)) {
		if (u->name.len)
			return -EINVAL;            /* bound already */
		if (find_abstract(&a, s->type))
			return -EADDRINUSE;
	} else {
		/* Linux makes the file before it looks at whether the socket is
		 * bound, so an existing path is EADDRINUSE even then. */
		struct inode *ino;
		if ((err = sock_create_unlocked(a.bytes + 2, &ino)))
			return err;
		if (u->name.len) {               /* bound before, or by another thread meanwhile */
			net_unlock();
			vfs_sock_put(ino);
			k_unlinkat(AT_FDCWD, a.bytes + 2, 0);
			net_lock();
			return -EINVAL;
		}
		u->ino = ino;
	}
	u->name = a;
	enlist(u);
	return 0;
}

int unix_find(const struct unix_addr *a, int type, struct unix_sock **out)
{
	struct unix_sock *hit = NULL;
	if (is_abstract(a)) {
		hit = find_abstract(a, type);
	} else {
		struct inode *ino;
		int err = sock_lookup_unlocked(a->bytes + 2, &ino);
		if (err)
			return err;
		for (struct unix_sock *b = bound; b; b = b->bnext)
			if (!b->dead && b->ino == ino) {
				hit = b;
				break;
			}
		if (hit)
			unix_hold(hit);
		sock_put_unlocked(ino);
		if (hit && hit->s->type != type) {
			unix_drop(hit);
			return -EPROTOTYPE;
		}
		/* It may have been closed while net_lock was let go: callers check dead. */
		if (hit) {
			*out = hit;
			return 0;
		}
	}
	if (!hit)
		return -ECONNREFUSED;
	unix_hold(hit);
	*out = hit;
	return 0;
}

void unix_unbind(struct unix_sock *u)
{
	if (u->registered) {
		for (struct unix_sock **p = &bound; *p; p = &(*p)->bnext)
			if (*p == u) {
				*p = u->bnext;
				break;
			}
		u->registered = false;
	}
	if (u->ino) {
		struct inode *ino = u->ino;
		u->ino = NULL;
		sock_put_unlocked(ino);      /* U is off the list and dead: nothing finds it meanwhile */
	}
}

/* Unnamed: the family alone, as Linux reports it. */
static void put_addr(const struct unix_addr *a, void *addr, uint32_t *len)
{
	uint16_t family = AF_UNIX;
	if (a->len) {
		memcpy(addr, a->bytes, MIN(*len, a->len));
		*len = a->len;
	} else {
		memcpy(addr, &family, MIN(*len, (uint32_t)sizeof family));
		*len = sizeof family;
	}
}

int unix_getname_op(struct sock *s, void *addr, uint32_t *len, bool peer)
{
	struct unix_sock *u = unix_of(s);
	if (peer && u->state != U_CONNECTED)
		return -ENOTCONN;
	put_addr(peer ? &u->peername : &u->name, addr, len);
	return 0;
}

void unix_name_out(struct net_msg *m, const struct unix_addr *a)
{
	if (!m->name)
		return;
	if (!a->len) {
		m->namelen = 0;
		return;
	}
	memcpy(m->name, a->bytes, MIN(m->namelen, a->len));
	m->namelen = a->len;
}
