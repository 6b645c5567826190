/* Pollheads: the lists of waiters on a pollable object. */
#include "kernel.h"
#include "poll.h"

void pollhead_add(struct pollhead *ph, struct poll_entry *e)
{
	spin_lock(&ph->lock);
	e->next = ph->head;
	ph->head = e;
	spin_unlock(&ph->lock);
}

void pollhead_remove(struct pollhead *ph, struct poll_entry *e)
{
	spin_lock(&ph->lock);
	for (struct poll_entry **pp = &ph->head; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	spin_unlock(&ph->lock);
}

void poll_notify(struct pollhead *ph, unsigned events)
{
	spin_lock(&ph->lock);
	for (struct poll_entry *e = ph->head; e; e = e->next)
		e->wake(e, events);
	spin_unlock(&ph->lock);
}

void pollhead_release(struct pollhead *ph)
{
	spin_lock(&ph->lock);
	while (ph->head) {
		struct poll_entry *e = ph->head;
		ph->head = e->next;
		e->next = NULL;
		if (e->detach)
			e->detach(e);
	}
	spin_unlock(&ph->lock);
}
