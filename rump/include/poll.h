/* Readiness notification: every pollable object (an open file) has a
 * pollhead; waiters (epoll items, a thread in poll()) hang entries on it, and
 * the object calls poll_notify() whenever its readiness may have changed.
 * A file's ->poll must never sleep: epoll and poll() call it under spinlocks. */
#pragma once
#include "kernel.h"

#define EPOLLIN 0x001
#define EPOLLPRI 0x002
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLNVAL 0x020
#define EPOLLRDNORM 0x040
#define EPOLLRDBAND 0x080
#define EPOLLWRNORM 0x100
#define EPOLLWRBAND 0x200
#define EPOLLMSG 0x400
#define EPOLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)

struct poll_entry {
	struct poll_entry *next;
	/* Readiness may have changed; EVENTS are the bits that became true, or 0
	 * when unknown. Called with the pollhead's lock held: must not sleep. */
	void (*wake)(struct poll_entry *e, unsigned events);
	/* The object is going away: drop every pointer to it. Optional. */
	void (*detach)(struct poll_entry *e);
};

struct pollhead {
	struct spinlock lock;
	struct poll_entry *head;
};
#define POLLHEAD_INIT { SPINLOCK_INIT("pollhead"), NULL }

void pollhead_add(struct pollhead *ph, struct poll_entry *e);
void pollhead_remove(struct pollhead *ph, struct poll_entry *e);
void poll_notify(struct pollhead *ph, unsigned events);
/* The object dies: detach every entry (epoll items forget it). */
void pollhead_release(struct pollhead *ph);
