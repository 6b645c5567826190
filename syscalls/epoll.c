/* epoll: an instance is a file holding items (fd, file, event mask, data).
 * Files push readiness through their pollhead: an item whose file became
 * ready goes on the ready list and wakes the waiters. epoll_wait re-polls
 * each ready item, reports it, and keeps level-triggered items listed while
 * they stay ready; edge-triggered items leave the list until the next push. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "vfs.h"
#include "poll.h"

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLL_CLOEXEC O_CLOEXEC
#define EP_MAX_EVENTS (INT32_MAX / 12)

struct epoll_event {
	uint32_t events;
	uint64_t data;
} __packed;

struct eventpoll;

struct epitem {
	struct poll_entry pe;        /* on the file's pollhead */
	struct eventpoll *ep;
	struct file *file;           /* not referenced: the file's release detaches us */
	int fd;
	uint32_t events;             /* requested, incl. EPOLLET/ONESHOT; 0 when a oneshot fired */
	uint64_t data;
	bool ready;                  /* on the ready list */
	struct epitem *next;         /* all items */
	struct epitem *rnext;        /* ready list */
};

struct eventpoll {
	struct spinlock lock;        /* items, ready list */
	struct mutex ctl;            /* serialises epoll_ctl */
	struct waitq wq;             /* threads in epoll_wait */
	struct epitem *items;
	struct epitem *ready, *ready_tail;
	struct file *self;
};

static void ready_add(struct eventpoll *ep, struct epitem *it)
{
	if (it->ready)
		return;
	it->ready = true;
	it->rnext = NULL;
	if (ep->ready_tail)
		ep->ready_tail->rnext = it;
	else
		ep->ready = it;
	ep->ready_tail = it;
}

static void ready_remove(struct eventpoll *ep, struct epitem *it)
{
	if (!it->ready)
		return;
	struct epitem *prev = NULL;
	for (struct epitem *r = ep->ready; r; prev = r, r = r->rnext)
		if (r == it) {
			if (prev)
				prev->rnext = r->rnext;
			else
				ep->ready = r->rnext;
			if (ep->ready_tail == r)
				ep->ready_tail = prev;
			break;
		}
	it->ready = false;
}

/* The watched file's readiness may have changed. */
static void item_wake(struct poll_entry *pe, unsigned events)
{
	struct epitem *it = container_of(pe, struct epitem, pe);
	struct eventpoll *ep = it->ep;
	uint32_t want = it->events | EPOLLERR | EPOLLHUP;
	if (events && !(events & want))
		return;
	spin_lock(&ep->lock);
	bool wake = false;
	if (it->events & ~(EPOLLET | EPOLLONESHOT)) {
		ready_add(ep, it);
		wake = true;
	}
	spin_unlock(&ep->lock);
	if (wake) {
		waitq_wake(&ep->wq, INT32_MAX);
		poll_notify(&ep->self->poll, EPOLLIN);
	}
}

static void unlink_item(struct eventpoll *ep, struct epitem *it)
{
	ready_remove(ep, it);
	for (struct epitem **pp = &ep->items; *pp; pp = &(*pp)->next)
		if (*pp == it) {
			*pp = it->next;
			break;
		}
}

/* The watched file is being released: the item goes with it, as on Linux. */
static void item_detach(struct poll_entry *pe)
{
	struct epitem *it = container_of(pe, struct epitem, pe);
	struct eventpoll *ep = it->ep;
	spin_lock(&ep->lock);
	unlink_item(ep, it);
	spin_unlock(&ep->lock);
	kfree(it);
}

static unsigned ep_poll_self(struct file *f)
{
	struct eventpoll *ep = f->priv;
	spin_lock(&ep->lock);
	bool any = false;
	for (struct epitem *it = ep->ready; it && !any; it = it->rnext)
		any = file_poll(it->file) & (it->events | EPOLLERR | EPOLLHUP);
	spin_unlock(&ep->lock);
	return any ? EPOLLIN | EPOLLRDNORM : 0;
}

static void ep_release(struct file *f)
{
	struct eventpoll *ep = f->priv;
	while (ep->items) {
		struct epitem *it = ep->items;
		ep->items = it->next;
		pollhead_remove(&it->file->poll, &it->pe);
		kfree(it);
	}
	kfree(ep);
}

static const struct file_ops epoll_ops = {
	.poll = ep_poll_self,
	.release = ep_release,
	.anon_name = "[eventpoll]",
	.flags = FOPS_STREAM,
};

static struct eventpoll *ep_of(int fd, struct file **out)
{
	struct file *f = fd_get(fd);
	*out = f;
	if (!f)
		return NULL;
	return f->ops == &epoll_ops ? f->priv : NULL;
}

long sys_epoll_create1(int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	struct eventpoll *ep = kzalloc(sizeof *ep);
	if (!ep)
		return -ENOMEM;
	ep->lock = (struct spinlock)SPINLOCK_INIT("epoll");
	ep->ctl = (struct mutex)MUTEX_INIT("epoll-ctl");
	ep->wq = (struct waitq)WAITQ_INIT("epoll");
	struct file *f = file_alloc(&epoll_ops, ep, O_RDWR);
	if (!f) {
		kfree(ep);
		return -ENOMEM;
	}
	ep->self = f;
	int fd = fd_install(f, flags & EPOLL_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_epoll_create(int size)
{
	return size <= 0 ? -EINVAL : sys_epoll_create1(0);
}

static struct epitem *find_item(struct eventpoll *ep, int fd, struct file *f)
{
	for (struct epitem *it = ep->items; it; it = it->next)
		if (it->fd == fd && it->file == f)
			return it;
	return NULL;
}

long sys_epoll_ctl(int epfd, int op, int fd, const struct epoll_event *uev)
{
	struct file *epf = NULL;
	struct eventpoll *ep = ep_of(epfd, &epf);
	if (!epf)
		return -EBADF;
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (!ep || f == epf)
		return -EINVAL;
	struct kstat st;
	if (f->inode && !file_stat(f, &st) && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return -EPERM; /* regular files and directories are always ready: Linux refuses them */
	struct epoll_event ev = { 0, 0 };
	if (op != EPOLL_CTL_DEL) {
		if (!uev)
			return -EFAULT;
		ev = *uev;
	}
	long r = 0;
	mutex_lock(&ep->ctl);
	struct epitem *it = find_item(ep, fd, f);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			r = -EEXIST;
			break;
		}
		it = kzalloc(sizeof *it);
		if (!it) {
			r = -ENOMEM;
			break;
		}
		it->pe.wake = item_wake;
		it->pe.detach = item_detach;
		it->ep = ep;
		it->file = f;
		it->fd = fd;
		it->events = ev.events & ~EPOLLEXCLUSIVE;
		it->data = ev.data;
		spin_lock(&ep->lock);
		it->next = ep->items;
		ep->items = it;
		spin_unlock(&ep->lock);
		pollhead_add(&f->poll, &it->pe);
		item_wake(&it->pe, 0);
		break;
	case EPOLL_CTL_MOD:
		if (!it) {
			r = -ENOENT;
			break;
		}
		spin_lock(&ep->lock);
		it->events = ev.events & ~EPOLLEXCLUSIVE;
		it->data = ev.data;
		ready_remove(ep, it);
		spin_unlock(&ep->lock);
		item_wake(&it->pe, 0);
		break;
	case EPOLL_CTL_DEL:
		if (!it) {
			r = -ENOENT;
			break;
		}
		pollhead_remove(&f->poll, &it->pe);
		spin_lock(&ep->lock);
		unlink_item(ep, it);
		spin_unlock(&ep->lock);
		kfree(it);
		break;
	default:
		r = -EINVAL;
	}
	mutex_unlock(&ep->ctl);
	return r;
}

/* Collect up to MAX events from the ready list. ep->lock held. */
static int harvest(struct eventpoll *ep, struct epoll_event *out, int max)
{
	int n = 0;
	struct epitem *keep = NULL, *keep_tail = NULL;
	while (ep->ready && n < max) {
		struct epitem *it = ep->ready;
		ep->ready = it->rnext;
		if (!ep->ready)
			ep->ready_tail = NULL;
		it->ready = false;
		uint32_t revents = file_poll(it->file) & (it->events | EPOLLERR | EPOLLHUP);
		if (!revents || !(it->events & ~(EPOLLET | EPOLLONESHOT)))
			continue;
		out[n].events = revents;
		out[n].data = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			it->events &= EPOLLET | EPOLLONESHOT; /* disarmed until EPOLL_CTL_MOD */
		else if (!(it->events & EPOLLET)) {
			/* level-triggered: stays listed while ready (re-checked next time) */
			it->ready = true;
			it->rnext = NULL;
			if (keep_tail)
				keep_tail->rnext = it;
			else
				keep = it;
			keep_tail = it;
		}
	}
	if (keep) {
		keep_tail->rnext = ep->ready;
		if (!ep->ready)
			ep->ready_tail = keep_tail;
		ep->ready = keep;
	}
	return n;
}

long sys_epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, const uint64_t *sigmask, size_t sigsetsize)
{
	struct file *epf = NULL;
	struct eventpoll *ep = ep_of(epfd, &epf);
	if (!epf)
		return -EBADF;
	if (!ep || max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	if (!events)
		return -EFAULT;
	/* Signals are never delivered to handlers here, so a temporary mask
	 * changes nothing that could be observed; it is accepted and ignored. */
	uint64_t deadline = timeout > 0 ? time_monotonic_ns() + (uint64_t)timeout * 1000000 : 0;
	/* Gather into kernel memory: the app's buffer may fault, and we hold a spinlock. */
	int cap = MIN(max, 256);
	struct epoll_event *buf = kmalloc(sizeof *buf * cap);
	if (!buf)
		return -ENOMEM;
	int n;
	spin_lock(&ep->lock);
	for (;;) {
		n = harvest(ep, buf, cap);
		if (n || timeout == 0)
			break;
		if (deadline && time_monotonic_ns() >= deadline)
			break;
		if (waitq_sleep_intr(&ep->wq, &ep->lock, deadline) == -EINTR) {
			n = -EINTR;
			break;
		}
	}
	spin_unlock(&ep->lock);
	if (n > 0)
		memcpy(events, buf, sizeof *buf * n);
	kfree(buf);
	return n;
}

long sys_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
	return sys_epoll_pwait(epfd, events, max, timeout, NULL, 8);
}
