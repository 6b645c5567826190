/* poll, ppoll, select, pselect6: check every fd; if none is ready, hang a
 * wake-up entry on each file's pollhead and sleep until one fires or the
 * timeout passes. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "vfs.h"
#include "poll.h"

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define MAX_POLL_FDS 4096

struct pollfd { int fd; short events, revents; };
struct timeval { int64_t sec, usec; };

struct poll_waiter {
	struct poll_entry pe;
	struct waitq *wq;
	bool *fired;
};

static void waiter_wake(struct poll_entry *pe, unsigned events)
{
	struct poll_waiter *w = container_of(pe, struct poll_waiter, pe);
	*w->fired = true;
	waitq_wake(w->wq, 1);
}

/* One pass: revents for each entry; returns how many are ready. */
static int scan(struct pollfd *fds, int n, struct file **files)
{
	int ready = 0;
	for (int i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		if (!files[i]) {
			fds[i].revents = POLLNVAL;
			ready++;
			continue;
		}
		unsigned mask = (unsigned)(uint16_t)fds[i].events | POLLERR | POLLHUP;
		fds[i].revents = (short)(file_poll(files[i]) & mask);
		if (fds[i].revents)
			ready++;
	}
	return ready;
}

/* The common core: DEADLINE 0 = wait forever, ~0 = do not wait. */
static long do_poll(struct pollfd *fds, int n, uint64_t deadline)
{
	struct file **files = kzalloc(sizeof *files * (n ? n : 1));
	struct poll_waiter *ws = kzalloc(sizeof *ws * (n ? n : 1));
	if (!files || !ws) {
		kfree(files);
		kfree(ws);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			files[i] = fd_file(fds[i].fd);
	struct waitq wq = WAITQ_INIT("poll");
	bool fired = false;
	int ready;
	for (;;) {
		ready = scan(fds, n, files);
		if (ready || deadline == ~0UL || (deadline && time_monotonic_ns() >= deadline))
			break;
		fired = false;
		for (int i = 0; i < n; i++)
			if (files[i]) {
				ws[i].pe.wake = waiter_wake;
				ws[i].wq = &wq;
				ws[i].fired = &fired;
				pollhead_add(&files[i]->poll, &ws[i].pe);
			}
		/* Re-check after arming, so a change in between is not missed. */
		ready = scan(fds, n, files);
		int slept = 0;
		if (!ready && !fired)
			slept = waitq_sleep_intr(&wq, NULL, deadline);
		for (int i = 0; i < n; i++)
			if (files[i])
				pollhead_remove(&files[i]->poll, &ws[i].pe);
		if (ready)
			break;
		if (slept == -EINTR) {
			ready = -EINTR;
			break;
		}
	}
	for (int i = 0; i < n; i++)
		if (files[i])
			file_put(files[i]);
	kfree(files);
	kfree(ws);
	return ready;
}

static uint64_t deadline_ms(int ms)
{
	if (ms < 0)
		return 0;
	if (ms == 0)
		return ~0UL;
	return time_monotonic_ns() + (uint64_t)ms * 1000000;
}

static uint64_t deadline_ts(const struct ktimespec *ts)
{
	if (!ts)
		return 0;
	if (!ts->sec && !ts->nsec)
		return ~0UL;
	return time_monotonic_ns() + ts->sec * 1000000000 + ts->nsec;
}

static long poll_user(struct pollfd *ufds, unsigned n, uint64_t deadline)
{
	if (n > MAX_POLL_FDS)
		return -EINVAL;
	if (n && !ufds)
		return -EFAULT;
	struct pollfd *k = kmalloc(sizeof *k * (n ? n : 1));
	if (!k)
		return -ENOMEM;
	memcpy(k, ufds, sizeof *k * n);
	long r = do_poll(k, (int)n, deadline);
	if (r >= 0)
		for (unsigned i = 0; i < n; i++)
			ufds[i].revents = k[i].revents;
	kfree(k);
	return r;
}

long sys_poll(struct pollfd *fds, unsigned n, int timeout) { return poll_user(fds, n, deadline_ms(timeout)); }

long sys_ppoll(struct pollfd *fds, unsigned n, const struct ktimespec *ts, const uint64_t *sigmask, size_t sigsetsize)
{
	if (ts && (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000))
		return -EINVAL;
	return poll_user(fds, n, deadline_ts(ts));
}

/* select over the same core: fd_sets become pollfds and back. */
static long do_select(int nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex, uint64_t deadline)
{
	if (nfds < 0 || nfds > MAX_POLL_FDS)
		return -EINVAL;
	struct pollfd *p = kmalloc(sizeof *p * (nfds ? nfds : 1));
	if (!p)
		return -ENOMEM;
	int n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1UL << (fd % 64);
		short ev = 0;
		if (rd && (rd[fd / 64] & bit))
			ev |= POLLIN;
		if (wr && (wr[fd / 64] & bit))
			ev |= POLLOUT;
		if (ex && (ex[fd / 64] & bit))
			ev |= POLLPRI;
		if (ev)
			p[n++] = (struct pollfd){ fd, ev, 0 };
	}
	long r = do_poll(p, n, deadline);
	if (r < 0) {
		kfree(p);
		return r;
	}
	for (int i = 0; i < n; i++)
		if (p[i].revents & POLLNVAL) {
			kfree(p);
			return -EBADF;
		}
	size_t words = (nfds + 63) / 64;
	if (rd)
		memset(rd, 0, words * 8);
	if (wr)
		memset(wr, 0, words * 8);
	if (ex)
		memset(ex, 0, words * 8);
	long count = 0;
	for (int i = 0; i < n; i++) {
		int fd = p[i].fd;
		uint64_t bit = 1UL << (fd % 64);
		short re = p[i].revents;
		if (rd && (p[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR)))
			rd[fd / 64] |= bit, count++;
		if (wr && (p[i].events & POLLOUT) && (re & (POLLOUT | POLLERR)))
			wr[fd / 64] |= bit, count++;
		if (ex && (p[i].events & POLLPRI) && (re & POLLPRI))
			ex[fd / 64] |= bit, count++;
	}
	kfree(p);
	return count;
}

long sys_select(int nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex, struct timeval *tv)
{
	uint64_t deadline = 0;
	if (tv) {
		if (tv->sec < 0 || tv->usec < 0)
			return -EINVAL;
		deadline = (!tv->sec && !tv->usec) ? ~0UL : time_monotonic_ns() + tv->sec * 1000000000 + tv->usec * 1000;
	}
	return do_select(nfds, rd, wr, ex, deadline);
}

long sys_pselect6(int nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex, const struct ktimespec *ts, const void *sig)
{
	if (ts && (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000))
		return -EINVAL;
	return do_select(nfds, rd, wr, ex, deadline_ts(ts));
}
