/* inotify instances: the file an app reads events from. Each instance keeps
 * a queue of events in the order the hooks (notify.c) made them, merges an
 * event equal to the last one queued and, past max_queued_events, queues one
 * IN_Q_OVERFLOW instead, as Linux's fsnotify_insert_event does. */
#include "notify.h"
#include "procfs.h"
#include "../include/mm.h"

#define MAX_QUEUED_EVENTS 16384     /* Linux's default */
#define MAX_USER_INSTANCES 128      /* Linux's default */
#define WATCH_COST 1024             /* bytes a watch pins, for max_user_watches as Linux sizes it */
#define FIONREAD 0x541B

struct ievent {
	struct ievent *next;
	int wd;
	uint32_t mask, cookie;
	uint32_t len;                /* the name's room: NUL-padded to a multiple of 16, 0 without a name */
	uint32_t namelen;
	char name[];
};

/* struct inotify_event as read() returns it. */
struct inotify_event_hdr {
	int32_t wd;
	uint32_t mask, cookie, len;
};

struct inotify {
	struct spinlock lock;        /* guards the queue */
	struct ievent *head, *tail;
	unsigned count;              /* events queued, the overflow event included */
	size_t bytes;                /* what FIONREAD says */
	struct ievent overflow;      /* queued at most once */
	bool overflow_queued;
	struct waitq readers;
	struct file *file;
	struct watch *watches;       /* VFS lock */
	int last_wd;                 /* VFS lock */
};

static int ninstances;             /* VFS lock */

struct watch **inotify_watches(struct inotify *in)
{
	return &in->watches;
}

/* The next free wd after the last one given, as Linux's idr_alloc_cyclic. */
int inotify_next_wd(struct inotify *in)
{
	for (;;) {
		in->last_wd = in->last_wd == INT32_MAX ? 1 : in->last_wd + 1;
		struct watch *w = in->watches;
		while (w && w->wd != in->last_wd)
			w = w->gnext;
		if (!w)
			return in->last_wd;
	}
}

/* max_user_watches: 1% of memory over a watch's cost, clamped as Linux does. */
int notify_max_watches(void)
{
	uint64_t n = (uint64_t)frame_total() / 100 * 4096 / WATCH_COST;
	return (int)(n < 8192 ? 8192 : n > 1048576 ? 1048576 : n);
}

/* Is E the same event as the one about to be queued (Linux's event_compare)? */
static bool same_event(struct ievent *e, int wd, uint32_t mask, const char *name, size_t len)
{
	return !(e->mask & IN_IGNORED) && e->mask == mask && e->wd == wd && e->namelen == len &&
	       (!len || !memcmp(e->name, name, len));
}

static void append(struct inotify *in, struct ievent *e)
{
	e->next = NULL;
	if (in->tail)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->count++;
	in->bytes += sizeof(struct inotify_event_hdr) + e->len;
}

void inotify_queue(struct inotify *in, int wd, uint32_t mask, uint32_t cookie, const char *name, size_t len)
{
	uint32_t room = name ? (uint32_t)ALIGN_UP(len + 1, sizeof(struct inotify_event_hdr)) : 0;
	struct ievent *e = kmalloc(sizeof(*e) + room);
	if (e) {
		*e = (struct ievent){ NULL, wd, mask, cookie, room, name ? (uint32_t)len : 0 };
		if (room) {
			memcpy(e->name, name, len);
			memset(e->name + len, 0, room - len);
		}
	}
	spin_lock(&in->lock);
	if (!e || in->count >= MAX_QUEUED_EVENTS) {
		if (!in->overflow_queued) {
			in->overflow_queued = true;
			append(in, &in->overflow);
		}
	} else if (in->tail && same_event(in->tail, wd, mask, name, e->namelen)) {
		/* merged into the last one */
	} else {
		append(in, e);
		e = NULL;
	}
	spin_unlock(&in->lock);
	kfree(e);
	waitq_wake(&in->readers, INT32_MAX);
	poll_notify(&in->file->poll, EPOLLIN | EPOLLRDNORM);
}

/* Whole events into BUF (N bytes); -EINVAL if the first does not fit. */
static long in_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	(void)pos;
	struct inotify *in = f->priv;
	size_t cap = MIN(n, (size_t)65536);
	char *k = kmalloc(cap ? cap : 1);    /* BUF is app memory: filled after the lock */
	if (!k)
		return -ENOMEM;
	size_t used = 0;
	long r = 0;
	spin_lock(&in->lock);
	while (!in->head) {
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		if (waitq_sleep_intr(&in->readers, &in->lock, 0) == -EINTR) {
			r = -EINTR;
			break;
		}
	}
	while (!r && in->head) {
		struct ievent *e = in->head;
		size_t sz = sizeof(struct inotify_event_hdr) + e->len;
		if (used + sz > cap) {
			if (!used)
				r = -EINVAL;
			break;
		}
		struct inotify_event_hdr h = { e->wd, e->mask, e->cookie, e->len };
		memcpy(k + used, &h, sizeof(h));
		memcpy(k + used + sizeof(h), e->name, e->len);
		used += sz;
		in->head = e->next;
		if (!in->head)
			in->tail = NULL;
		in->count--;
		in->bytes -= sz;
		if (e == &in->overflow)
			in->overflow_queued = false;
		else
			kfree(e);
	}
	spin_unlock(&in->lock);
	if (!r) {
		memcpy(buf, k, used);
		r = (long)used;
	}
	kfree(k);
	return r;
}

static unsigned in_poll(struct file *f)
{
	struct inotify *in = f->priv;
	spin_lock(&in->lock);
	unsigned r = in->head ? EPOLLIN | EPOLLRDNORM : 0;
	spin_unlock(&in->lock);
	return r;
}

/* FIONREAD: the bytes queued; nothing else. */
static long in_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	struct inotify *in = f->priv;
	if (cmd != FIONREAD)
		return -ENOTTY;
	spin_lock(&in->lock);
	int n = (int)in->bytes;
	spin_unlock(&in->lock);
	*(int *)arg = n;
	return 0;
}

/* The last close: every watch goes (no IN_IGNORED: nobody can read it). */
static void in_release(struct file *f)
{
	struct inotify *in = f->priv;
	bool locked = vfs_locked();
	if (!locked)
		vfs_lock();
	while (in->watches)
		notify_watch_drop(in->watches, true);
	ninstances--;
	if (!locked)
		vfs_unlock();
	for (struct ievent *e = in->head, *next; e; e = next) {
		next = e->next;
		if (e != &in->overflow)
			kfree(e);
	}
	kfree(in);
}

static const struct file_ops inotify_ops = {
	.read = in_read, .poll = in_poll, .ioctl = in_ioctl, .release = in_release,
	.anon_name = "inotify", .flags = FOPS_STREAM | FOPS_NOOP_SEEK,
};

/* inotify_init1: a new instance; FLAGS IN_NONBLOCK, IN_CLOEXEC. */
int k_inotify_init1(int flags)
{
	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	struct inotify *in = kzalloc(sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->lock = (struct spinlock)SPINLOCK_INIT("inotify");
	in->readers = (struct waitq)WAITQ_INIT("inotify");
	in->overflow = (struct ievent){ NULL, -1, IN_Q_OVERFLOW, 0, 0, 0 };
	vfs_lock();
	int err = ninstances >= MAX_USER_INSTANCES ? -EMFILE : 0;
	if (!err)
		ninstances++;
	vfs_unlock();
	if (err) {
		kfree(in);
		return err;
	}
	struct file *f = file_alloc(&inotify_ops, in, O_RDONLY | (flags & O_NONBLOCK));
	if (!f) {
		vfs_lock();
		ninstances--;
		vfs_unlock();
		kfree(in);
		return -ENOMEM;
	}
	in->file = f;
	int fd = fd_install(f, (flags & O_CLOEXEC) != 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* Every bit inotify_add_watch knows (Linux's ALL_INOTIFY_BITS). */
#define ALL_INOTIFY_BITS (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW | \
			  IN_EXCL_UNLINK | IN_MASK_ADD | IN_MASK_CREATE | IN_ISDIR | IN_ONESHOT)

/* The instance FD names, with a reference, or an error. */
static int instance(int fd, struct file **out)
{
	struct file *f = fd_file(fd);
	if (!f)
		return -EBADF;
	if (f->ops != &inotify_ops) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

/* inotify_add_watch: watch PATH (kernel memory) for MASK; returns the wd. */
int k_inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	if (!(mask & ALL_INOTIFY_BITS))
		return -EINVAL;
	struct file *f;
	int err = instance(fd, &f);
	if (err)
		return err;
	unsigned wf = ((mask & IN_DONT_FOLLOW) ? 0 : WALK_FOLLOW) | ((mask & IN_ONLYDIR) ? WALK_DIRECTORY : 0);
	struct nameidata nd;
	vfs_lock();
	err = path_walk(AT_FDCWD, path, wf, &nd);
	if (!err)
		err = notify_watch_set(f->priv, nd.ino, mask);
	nd_done(&nd);
	vfs_unlock();
	file_put(f);
	return err;
}

/* inotify_rm_watch: WD goes, with IN_IGNORED. */
int k_inotify_rm_watch(int fd, int wd)
{
	struct file *f;
	int err = instance(fd, &f);
	if (err)
		return err;
	struct inotify *in = f->priv;
	vfs_lock();
	struct watch *w = in->watches;
	while (w && w->wd != wd)
		w = w->gnext;
	err = w ? 0 : -EINVAL;
	if (w)
		notify_watch_drop(w, false);
	vfs_unlock();
	file_put(f);
	return err;
}

/* /proc/sys/fs/inotify/. */
int gen_inotify_watches(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "%d\n", notify_max_watches()); return 0; }
int gen_inotify_instances(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "%d\n", MAX_USER_INSTANCES); return 0; }
int gen_inotify_queued(struct pbuf *b, const struct pctx *c) { (void)c; pb_printf(b, "%d\n", MAX_QUEUED_EVENTS); return 0; }
