/* eventfd: a 64-bit counter as a file. libuv wakes its event loop with it. */
#include "syscalls.h"
#include "sched.h"
#include "vfs.h"
#include "poll.h"

#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC O_CLOEXEC
#define EFD_NONBLOCK O_NONBLOCK

struct eventfd {
	struct spinlock lock;
	uint64_t count;
	bool semaphore;
	struct waitq readers, writers;
};

static long efd_read(struct file *f, void *buf, size_t n, off_t *pos)
{
	struct eventfd *e = f->priv;
	if (n < 8)
		return -EINVAL;
	uint64_t v;
	spin_lock(&e->lock);
	while (e->count == 0) {
		if (f->flags & O_NONBLOCK) {
			spin_unlock(&e->lock);
			return -EAGAIN;
		}
		if (waitq_sleep_intr(&e->readers, &e->lock, 0) == -EINTR) {
			spin_unlock(&e->lock);
			return -EINTR;
		}
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	spin_unlock(&e->lock);
	memcpy(buf, &v, 8);
	waitq_wake(&e->writers, INT32_MAX);
	poll_notify(&f->poll, EPOLLOUT);
	return 8;
}

static long efd_write(struct file *f, const void *buf, size_t n, off_t *pos)
{
	struct eventfd *e = f->priv;
	if (n < 8)
		return -EINVAL;
	uint64_t v;
	memcpy(&v, buf, 8);
	if (v == ~0ULL)
		return -EINVAL;
	spin_lock(&e->lock);
	while (e->count > ~0ULL - 1 - v) {
		if (f->flags & O_NONBLOCK) {
			spin_unlock(&e->lock);
			return -EAGAIN;
		}
		if (waitq_sleep_intr(&e->writers, &e->lock, 0) == -EINTR) {
			spin_unlock(&e->lock);
			return -EINTR;
		}
	}
	e->count += v;
	spin_unlock(&e->lock);
	if (v) {
		waitq_wake(&e->readers, INT32_MAX);
		poll_notify(&f->poll, EPOLLIN);
	}
	return 8;
}

static unsigned efd_poll(struct file *f)
{
	struct eventfd *e = f->priv;
	unsigned r = 0;
	spin_lock(&e->lock);
	if (e->count)
		r |= EPOLLIN | EPOLLRDNORM;
	if (e->count < ~0ULL - 1)
		r |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&e->lock);
	return r;
}

static void efd_release(struct file *f) { kfree(f->priv); }

static const struct file_ops eventfd_ops = {
	.read = efd_read, .write = efd_write, .poll = efd_poll, .release = efd_release, .flags = FOPS_STREAM,
	.anon_name = "[eventfd]",
};

long sys_eventfd2(unsigned initval, int flags)
{
	if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
		return -EINVAL;
	struct eventfd *e = kzalloc(sizeof *e);
	if (!e)
		return -ENOMEM;
	e->lock = (struct spinlock)SPINLOCK_INIT("eventfd");
	e->readers = (struct waitq)WAITQ_INIT("eventfd-r");
	e->writers = (struct waitq)WAITQ_INIT("eventfd-w");
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	struct file *f = file_alloc(&eventfd_ops, e, O_RDWR | (flags & EFD_NONBLOCK));
	if (!f) {
		kfree(e);
		return -ENOMEM;
	}
	int fd = fd_install(f, flags & EFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_eventfd(unsigned initval) { return sys_eventfd2(initval, 0); }
