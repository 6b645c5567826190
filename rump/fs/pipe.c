/* Pipes: a 64 KiB ring shared by a read end and a write end. App memory is
 * copied through a small bounce buffer outside the pipe's spinlock, since
 * touching it may fault and a fault may sleep. Writes of up to PIPE_BUF bytes
 * are atomic, as POSIX requires. */
#include "../include/signal.h"
#include "fs.h"
#include "poll.h"
#include "sched.h"

#define PIPE_SIZE (64 * 1024)
#define PIPE_BUF 4096
#define CHUNK 4096

struct pipe {
	struct spinlock lock;
	char *buf;
	size_t head, len;            /* read position, bytes held */
	int readers, writers;
	struct waitq rwait, wwait;
	struct file *rfile, *wfile;  /* for notifications; cleared at release */
	uint64_t ino;                /* what fstat and /proc/self/fd (pipe:[N]) show */
};

static uint64_t next_pipe_ino = 4000;


static void notify(struct pipe *p, unsigned rd_events, unsigned wr_events)
{
	if (rd_events && p->rfile)
		poll_notify(&p->rfile->poll, rd_events);
	if (wr_events && p->wfile)
		poll_notify(&p->wfile->poll, wr_events);
}

static long pipe_read(struct file *f, void *ubuf, size_t n, off_t *pos)
{
	struct pipe *p = f->priv;
	char bounce[CHUNK];
	size_t done = 0;
	if (!n)
		return 0;
	spin_lock(&p->lock);
	while (p->len == 0) {
		if (p->writers == 0) {
			spin_unlock(&p->lock);
			return 0;
		}
		if (f->flags & O_NONBLOCK) {
			spin_unlock(&p->lock);
			return -EAGAIN;
		}
		if (waitq_sleep_intr(&p->rwait, &p->lock, 0) == -EINTR) {
			spin_unlock(&p->lock);
			return -EINTR;
		}
	}
	while (done < n && p->len) {
		size_t k = MIN(MIN(n - done, p->len), CHUNK);
		for (size_t i = 0; i < k; i++)
			bounce[i] = p->buf[(p->head + i) % PIPE_SIZE];
		p->head = (p->head + k) % PIPE_SIZE;
		p->len -= k;
		spin_unlock(&p->lock);
		memcpy((char *)ubuf + done, bounce, k);
		done += k;
		spin_lock(&p->lock);
	}
	spin_unlock(&p->lock);
	waitq_wake(&p->wwait, INT32_MAX);
	notify(p, 0, EPOLLOUT | EPOLLWRNORM);
	return (long)done;
}

static long pipe_write(struct file *f, const void *ubuf, size_t n, off_t *pos)
{
	struct pipe *p = f->priv;
	char bounce[CHUNK];
	size_t done = 0;
	while (done < n) {
		size_t k = MIN(n - done, CHUNK);
		memcpy(bounce, (const char *)ubuf + done, k);
		spin_lock(&p->lock);
		/* A write of at most PIPE_BUF bytes goes in whole or not at all. */
		size_t need = n <= PIPE_BUF ? k : 1;
		while (p->readers && PIPE_SIZE - p->len < need) {
			if (f->flags & O_NONBLOCK) {
				spin_unlock(&p->lock);
				return done ? (long)done : -EAGAIN;
			}
			if (waitq_sleep_intr(&p->wwait, &p->lock, 0) == -EINTR) {
				spin_unlock(&p->lock);
				return done ? (long)done : -EINTR;
			}
		}
		if (!p->readers) {
			spin_unlock(&p->lock);
			if (done)
				return (long)done;
			k_raise(SIGPIPE);
			return -EPIPE;
		}
		size_t room = MIN(k, PIPE_SIZE - p->len);
		size_t tail = (p->head + p->len) % PIPE_SIZE;
		for (size_t i = 0; i < room; i++)
			p->buf[(tail + i) % PIPE_SIZE] = bounce[i];
		p->len += room;
		spin_unlock(&p->lock);
		done += room;
		waitq_wake(&p->rwait, INT32_MAX);
		notify(p, EPOLLIN | EPOLLRDNORM, 0);
	}
	return (long)done;
}

static unsigned pipe_poll_read(struct file *f)
{
	struct pipe *p = f->priv;
	spin_lock(&p->lock);
	unsigned r = (p->len ? EPOLLIN | EPOLLRDNORM : 0) | (p->writers ? 0 : EPOLLHUP);
	spin_unlock(&p->lock);
	return r;
}

static unsigned pipe_poll_write(struct file *f)
{
	struct pipe *p = f->priv;
	spin_lock(&p->lock);
	unsigned r = (PIPE_SIZE - p->len >= PIPE_BUF ? EPOLLOUT | EPOLLWRNORM : 0) | (p->readers ? 0 : EPOLLERR);
	spin_unlock(&p->lock);
	return r;
}

static void pipe_drop(struct pipe *p, bool reader)
{
	spin_lock(&p->lock);
	if (reader) {
		p->readers--;
		p->rfile = NULL;
	} else {
		p->writers--;
		p->wfile = NULL;
	}
	bool last = !p->readers && !p->writers;
	spin_unlock(&p->lock);
	if (last) {
		kfree(p->buf);
		kfree(p);
		return;
	}
	/* The other end learns of the hang-up. */
	waitq_wake(reader ? &p->wwait : &p->rwait, INT32_MAX);
	notify(p, reader ? 0 : EPOLLHUP | EPOLLIN, reader ? EPOLLERR | EPOLLOUT : 0);
}

static void pipe_release_read(struct file *f) { pipe_drop(f->priv, true); }
static void pipe_release_write(struct file *f) { pipe_drop(f->priv, false); }

static int pipe_stat(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_dev = makedev64(0, 13);
	st->st_ino = ((struct pipe *)f->priv)->ino;
	return 0;
}

static long pipe_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	if (cmd == 0x541b) { /* FIONREAD */
		struct pipe *p = f->priv;
		if (!arg)
			return -EFAULT;
		*(int *)arg = (int)p->len;
		return 0;
	}
	return -ENOTTY;
}

static const struct file_ops pipe_read_ops = {
	.read = pipe_read, .poll = pipe_poll_read, .release = pipe_release_read, .stat = pipe_stat,
	.ioctl = pipe_ioctl, .flags = FOPS_STREAM,
};
static const struct file_ops pipe_write_ops = {
	.write = pipe_write, .poll = pipe_poll_write, .release = pipe_release_write, .stat = pipe_stat,
	.ioctl = pipe_ioctl, .flags = FOPS_STREAM,
};

/* A new pipe: both ends as open files. */
int pipe_create(unsigned flags, struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof *p);
	if (!p)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_SIZE);
	if (!p->buf) {
		kfree(p);
		return -ENOMEM;
	}
	p->lock = (struct spinlock)SPINLOCK_INIT("pipe");
	p->rwait = (struct waitq)WAITQ_INIT("pipe-r");
	p->wwait = (struct waitq)WAITQ_INIT("pipe-w");
	p->readers = p->writers = 1;
	p->ino = __atomic_fetch_add(&next_pipe_ino, 1, __ATOMIC_RELAXED);
	*rd = file_alloc(&pipe_read_ops, p, O_RDONLY | (flags & O_NONBLOCK));
	*wr = file_alloc(&pipe_write_ops, p, O_WRONLY | (flags & O_NONBLOCK));
	if (!*rd || !*wr) {
		kfree(*rd);
		kfree(*wr);
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	p->rfile = *rd;
	p->wfile = *wr;
	return 0;
}
