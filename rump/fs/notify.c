/* inotify's VFS half: which watches an inode carries, where a child's events
 * go (its own watches and its parent directory's, with its name), and the
 * event rules of Linux's fs/notify (fsnotify.h): the order events are
 * generated in, IN_ISDIR, IN_ONESHOT, IN_EXCL_UNLINK, IN_DELETE_SELF at the
 * moment the last name and the last open description are gone, then
 * IN_IGNORED. Watches, hints and inode->notify are guarded by the VFS lock;
 * queues by each instance's lock (inotify.c). */
#include "notify.h"

int notify_nwatches;               /* written under the VFS lock, read anywhere */
static uint32_t last_cookie;       /* VFS lock */
/* Bumped when a directory gets a watch: until then an inode found to have
 * no watched parent cannot have gained one except through a hook. */
static uint32_t notify_dirgen = 1; /* VFS lock */

/* INO's notify state, made on demand if MAKE; NULL when out of memory. */
static struct inode_notify *nstate(struct inode *ino, bool make)
{
	if (!ino->notify && make)
		ino->notify = kzalloc(sizeof(struct inode_notify));
	return ino->notify;
}

static bool watched(struct inode *ino)
{
	return ino->notify && ino->notify->watches;
}

static uint32_t isdir_bit(struct inode *ino)
{
	return S_ISDIR(ino->mode) ? IN_ISDIR : 0;
}

static bool is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* Queue MASK on each of INO's watches that asks for it; a one-shot watch
 * goes after its event. SUBJECT, for events through an open file, is the
 * inode the file is on (IN_EXCL_UNLINK drops events of unlinked ones). */
static void deliver(struct inode *ino, uint32_t mask, uint32_t cookie, const char *name, size_t len,
		    struct inode *subject)
{
	if (!ino->notify)
		return;
	struct watch *next;
	for (struct watch *w = ino->notify->watches; w; w = next) {
		next = w->inext;
		if (!(w->mask & mask & IN_ALL_EVENTS))
			continue;
		if ((w->mask & IN_EXCL_UNLINK) && subject && subject->nlink == 0)
			continue;
		inotify_queue(w->in, w->wd, mask, cookie, name, len);
		if (w->mask & IN_ONESHOT)
			notify_watch_drop(w, false);
	}
}

/* Remember (DIR, NAME) as where INO lives, or forget it (DIR NULL). */
static void set_parent(struct inode *ino, struct inode *dir, const char *name, size_t len)
{
	struct inode_notify *n = nstate(ino, dir != NULL);
	if (!n)
		return;
	if (dir && n->parent == dir && n->namelen == len && !memcmp(n->name, name, len))
		return;
	char *copy = NULL;
	if (dir && !(copy = kmalloc(len + 1)))
		dir = NULL;                /* out of memory: the hint goes, events to the parent with it */
	if (copy) {
		memcpy(copy, name, len);
		copy[len] = 0;
		inode_get(dir);
	}
	struct inode *old = n->parent;
	kfree(n->name);
	n->parent = dir;
	n->name = copy;
	n->namelen = dir ? len : 0;
	inode_put(old);
}

/* The watched directory INO is still named in (the hint, checked), or NULL.
 * An unlinked inode keeps its last parent, as a dentry keeps d_parent. */
static struct inode *watched_parent(struct inode *ino)
{
	struct inode_notify *n = ino->notify;
	if (!n || !n->parent || !watched(n->parent))
		return NULL;
	if (ino->nlink == 0)
		return n->parent;
	struct inode *found = NULL;
	if (!n->parent->ops->lookup || n->parent->ops->lookup(n->parent, n->name, n->namelen, &found))
		return NULL;
	inode_put(found);
	return found == ino ? n->parent : NULL;
}

/* A file opened before its directory was watched was never looked up there:
 * find its parent from PATH, the canonical path it was opened by, once per
 * directory watch added. */
static void parent_from_path(struct inode *ino, const char *path)
{
	struct inode_notify *n = ino->notify;
	if (!path || (n && (n->parent || n->checked_gen == notify_dirgen)) || !(n = nstate(ino, true)))
		return;
	n->checked_gen = notify_dirgen;
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return;
	size_t dlen = slash == path ? 1 : (size_t)(slash - path);
	char *dir = kmalloc(dlen + 1);
	if (!dir)
		return;
	memcpy(dir, path, dlen);
	dir[dlen] = 0;
	struct nameidata nd;
	struct inode *found;
	/* iop_lookup in a watched directory records the parent itself */
	if (!path_walk(AT_FDCWD, dir, WALK_FOLLOW, &nd) && watched(nd.ino) &&
	    !iop_lookup(nd.ino, slash + 1, strlen(slash + 1), &found))
		inode_put(found);
	nd_done(&nd);
	kfree(dir);
}

/* An event on INO reported to its parent's watches (with its name), then to its own. */
static void child_event(struct inode *ino, uint32_t mask, struct inode *subject)
{
	mask |= isdir_bit(ino);
	struct inode *p = watched_parent(ino);
	if (p && (mask & IN_CHILD_EVENTS)) {
		inode_get(p);              /* a one-shot drop must not free it under us */
		deliver(p, mask, 0, ino->notify->name, ino->notify->namelen, subject);
		inode_put(p);
	}
	deliver(ino, mask, 0, NULL, 0, subject);
}

/* INO has no name and no open description left: IN_DELETE_SELF, then every
 * watch goes with IN_IGNORED. */
static void delete_self(struct inode *ino)
{
	if (!ino->notify)
		return;
	ino->notify->delete_pending = false;
	deliver(ino, IN_DELETE_SELF, 0, NULL, 0, NULL);
	while (ino->notify && ino->notify->watches)
		notify_watch_drop(ino->notify->watches, false);
}

/* INO lost a name: DELETE_SELF now, or at the last close if it is open. */
static void gone(struct inode *ino, bool isdir)
{
	if (!watched(ino) || (!isdir && ino->nlink > 0))
		return;
	if (ino->nopen > 0)
		ino->notify->delete_pending = true;
	else
		delete_self(ino);
}

void notify_lookup(struct inode *dir, const char *name, size_t len, struct inode *child)
{
	if (!is_dot(name, len) && watched(dir))
		set_parent(child, dir, name, len);
}

void notify_create(struct inode *dir, const char *name, size_t len, struct inode *child, bool isdir)
{
	if (child)
		notify_lookup(dir, name, len, child);
	deliver(dir, IN_CREATE | (isdir ? IN_ISDIR : 0), 0, name, len, NULL);
}

void notify_link(struct inode *dir, const char *name, size_t len, struct inode *ino)
{
	deliver(ino, IN_ATTRIB, 0, NULL, 0, NULL);   /* the link count changed */
	notify_create(dir, name, len, ino, false);
}

void notify_remove(struct inode *dir, const char *name, size_t len, struct inode *victim, bool isdir)
{
	inode_get(victim);
	if (!isdir)
		deliver(victim, IN_ATTRIB, 0, NULL, 0, NULL);             /* the link count changed */
	gone(victim, isdir);
	deliver(dir, IN_DELETE | (isdir ? IN_ISDIR : 0), 0, name, len, NULL);
	inode_put(victim);
}

/* A cookie for one move's pair of events; never 0. */
static uint32_t new_cookie(void)
{
	if (++last_cookie == 0)
		last_cookie = 1;
	return last_cookie;
}

void notify_rename(struct inode *odir, const char *on, size_t ol, struct inode *ndir, const char *nn, size_t nl,
		   struct inode *src, struct inode *dst, unsigned flags)
{
	bool exchange = flags & RENAME_EXCHANGE;
	uint32_t sd = isdir_bit(src), cookie = new_cookie();
	deliver(odir, IN_MOVED_FROM | sd, cookie, on, ol, NULL);
	deliver(ndir, IN_MOVED_TO | sd, cookie, nn, nl, NULL);
	if (dst && !exchange)
		deliver(dst, IN_ATTRIB, 0, NULL, 0, NULL);
	/* Linux's fsnotify_inode events (link count, MOVE_SELF, DELETE_SELF) carry no IN_ISDIR. */
	deliver(src, IN_MOVE_SELF, 0, NULL, 0, NULL);
	if (exchange) {
		uint32_t dd = isdir_bit(dst);
		cookie = new_cookie();
		deliver(ndir, IN_MOVED_FROM | dd, cookie, nn, nl, NULL);
		deliver(odir, IN_MOVED_TO | dd, cookie, on, ol, NULL);
		deliver(dst, IN_MOVE_SELF, 0, NULL, 0, NULL);
		set_parent(dst, watched(odir) ? odir : NULL, on, ol);
	}
	set_parent(src, watched(ndir) ? ndir : NULL, nn, nl);
	if (dst && !exchange)
		gone(dst, S_ISDIR(dst->mode));
}

void notify_inode(struct inode *ino, uint32_t mask)
{
	child_event(ino, mask, NULL);
}

/* An event through open file F; takes the VFS lock unless held. */
static void file_event(struct file *f, uint32_t mask)
{
	if (!notify_active() || !f->inode || (f->flags & O_PATH))
		return;
	bool locked = vfs_locked();
	if (!locked)
		vfs_lock();
	parent_from_path(f->inode, f->path);
	child_event(f->inode, mask, f->inode);
	if (!locked)
		vfs_unlock();
}

void notify_access(struct file *f) { file_event(f, IN_ACCESS); }
void notify_modify(struct file *f) { file_event(f, IN_MODIFY); }
void notify_open(struct file *f) { file_event(f, IN_OPEN); }

/* The last reference to F went (F->inode->nopen already counts it out). */
void notify_close(struct file *f)
{
	file_event(f, (f->flags & O_ACCMODE) != O_RDONLY ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
	struct inode *ino = f->inode;
	if (ino->notify && ino->notify->delete_pending && ino->nopen == 0)
		delete_self(ino);
}

void notify_evict(struct inode *ino)
{
	struct inode_notify *n = ino->notify;
	ino->notify = NULL;
	struct inode *parent = n->parent;
	kfree(n->name);
	kfree(n);
	inode_put(parent);
}

struct inode *notify_peek(struct inode *dir, const char *name, size_t len)
{
	struct inode *ino;
	if (!notify_active() || !dir->ops->lookup || dir->ops->lookup(dir, name, len, &ino))
		return NULL;
	return ino;
}

int notify_watch_set(struct inotify *in, struct inode *ino, uint32_t mask)
{
	uint32_t keep = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
	for (struct watch *w = ino->notify ? ino->notify->watches : NULL; w; w = w->inext) {
		if (w->in != in)
			continue;
		if (mask & IN_MASK_CREATE)
			return -EEXIST;
		w->mask = (mask & IN_MASK_ADD) ? w->mask | keep : keep;
		return w->wd;
	}
	if (notify_nwatches >= notify_max_watches())
		return -ENOSPC;
	struct watch *w = kzalloc(sizeof(*w));
	struct inode_notify *n = nstate(ino, true);
	if (!w || !n) {
		kfree(w);
		return -ENOMEM;
	}
	struct watch **list = inotify_watches(in);
	w->in = in;
	w->ino = ino;
	w->mask = keep;
	w->wd = inotify_next_wd(in);
	inode_get(ino);
	if (S_ISDIR(ino->mode))
		notify_dirgen++;
	w->inext = n->watches;
	n->watches = w;
	w->gnext = *list;
	*list = w;
	__atomic_add_fetch(&notify_nwatches, 1, __ATOMIC_RELAXED);
	return w->wd;
}

void notify_watch_drop(struct watch *w, bool quiet)
{
	struct watch **pp = &w->ino->notify->watches;
	while (*pp != w)
		pp = &(*pp)->inext;
	*pp = w->inext;
	for (pp = inotify_watches(w->in); *pp != w; pp = &(*pp)->gnext)
		;
	*pp = w->gnext;
	if (!quiet)
		inotify_queue(w->in, w->wd, IN_IGNORED, 0, NULL, 0);
	__atomic_sub_fetch(&notify_nwatches, 1, __ATOMIC_RELAXED);
	inode_put(w->ino);
	kfree(w);
}
