/* Sleeping mutexes over wait queues. */
#include "kernel.h"
#include "sched.h"

void mutex_lock(struct mutex *m)
{
	struct thread *self = current();
	spin_lock(&m->lock);
	if (m->owner == self)
		panic("mutex %s: recursive lock", m->lock.name);
	while (m->owner)
		waitq_sleep(&m->wq, &m->lock, 0);
	m->owner = self;
	spin_unlock(&m->lock);
}

void mutex_unlock(struct mutex *m)
{
	spin_lock(&m->lock);
	m->owner = NULL;
	spin_unlock(&m->lock);
	waitq_wake(&m->wq, 1);
}

bool mutex_held(struct mutex *m) { return m->owner == current(); }
