/* Wait queues and timed sleep. Sleepers with a deadline also sit on one
 * deadline list that the timer tick scans. */
#include "kernel.h"
#include "arch.h"
#include "sched.h"

extern struct spinlock sched_lock;
uint64_t time_monotonic_ns(void);

static struct thread *timed[256];    /* sleepers with a deadline */
static int ntimed;
static struct spinlock timed_lock = SPINLOCK_INIT("timed");

static void timed_add(struct thread *t)
{
	spin_lock(&timed_lock);
	if (ntimed < (int)ARRAY_SIZE(timed))
		timed[ntimed++] = t;
	else
		panic("too many timed sleepers");
	spin_unlock(&timed_lock);
}

static void timed_remove(struct thread *t)
{
	spin_lock(&timed_lock);
	for (int i = 0; i < ntimed; i++)
		if (timed[i] == t) {
			timed[i] = timed[--ntimed];
			break;
		}
	spin_unlock(&timed_lock);
}

static void wq_remove(struct waitq *wq, struct thread *t)
{
	for (struct thread **pp = &wq->head; *pp; pp = &(*pp)->wq_next)
		if (*pp == t) {
			*pp = t->wq_next;
			return;
		}
}

static int sleep_on(struct waitq *wq, struct spinlock *lock, uint64_t deadline, bool intr)
{
	struct thread *self = current();
	spin_lock(&wq->lock);
	/* Checked under the wait queue's lock: a signal sent after this point
	 * finds us asleep and interrupts us. */
	if (intr && signal_pending(self)) {
		spin_unlock(&wq->lock);
		return -EINTR;
	}
	self->intr_sleep = intr;
	self->wq_next = NULL;
	struct thread **pp = &wq->head;
	while (*pp)
		pp = &(*pp)->wq_next;
	*pp = self;
	self->waiting_on = wq;
	self->wake_reason = 0;
	self->wake_at = deadline;
	/* Mark blocked before dropping the caller's lock, so a wake between the
	 * unlock and schedule() is not lost. */
	spin_lock(&sched_lock);
	self->state = T_BLOCKED;
	spin_unlock(&sched_lock);
	spin_unlock(&wq->lock);
	if (deadline)
		timed_add(self);
	if (lock)
		spin_unlock(lock);
	schedule();
	self->intr_sleep = false;
	if (deadline)
		timed_remove(self);
	if (lock)
		spin_lock(lock);
	return self->wake_reason;
}

int waitq_sleep(struct waitq *wq, struct spinlock *lock, uint64_t deadline)
{
	return sleep_on(wq, lock, deadline, false);
}

int waitq_sleep_intr(struct waitq *wq, struct spinlock *lock, uint64_t deadline)
{
	return sleep_on(wq, lock, deadline, true);
}

void thread_interrupt(struct thread *t)
{
	struct waitq *wq = t->waiting_on;
	if (!wq)
		return;
	spin_lock(&wq->lock);
	if (t->waiting_on == wq && t->intr_sleep) {
		wq_remove(wq, t);
		t->waiting_on = NULL;
		t->wake_reason = -EINTR;
		thread_wake(t);
	}
	spin_unlock(&wq->lock);
}

int waitq_wake(struct waitq *wq, int n)
{
	int woken = 0;
	spin_lock(&wq->lock);
	while (wq->head && woken < n) {
		struct thread *t = wq->head;
		wq->head = t->wq_next;
		t->waiting_on = NULL;
		t->wake_reason = 0;
		thread_wake(t);
		woken++;
	}
	spin_unlock(&wq->lock);
	return woken;
}

static struct waitq sleepq = WAITQ_INIT("sleep");

int sleep_until(uint64_t deadline)
{
	int r = waitq_sleep(&sleepq, NULL, deadline);
	return r == -ETIMEDOUT ? 0 : r;
}

int sleep_until_intr(uint64_t deadline)
{
	int r = waitq_sleep_intr(&sleepq, NULL, deadline);
	return r == -ETIMEDOUT ? 0 : r;
}

/* From the timer interrupt: wake sleepers whose deadline has passed. */
void wait_tick(void)
{
	uint64_t now = time_monotonic_ns();
	spin_lock(&timed_lock);
	for (int i = 0; i < ntimed;) {
		struct thread *t = timed[i];
		if (t->wake_at && t->wake_at <= now) {
			timed[i] = timed[--ntimed];
			struct waitq *wq = t->waiting_on;
			if (wq) {
				spin_lock(&wq->lock);
				if (t->waiting_on == wq) {
					wq_remove(wq, t);
					t->waiting_on = NULL;
					t->wake_reason = -ETIMEDOUT;
					thread_wake(t);
				}
				spin_unlock(&wq->lock);
			}
			continue;
		}
		i++;
	}
	spin_unlock(&timed_lock);
}
