/* Futexes: waiters hashed by address (one address space, so private and
 * shared futexes share one key space). Each waiter sleeps on a wait queue of
 * its own, so requeue is just moving it between hash chains. */
#include "syscalls.h"
#include "arch.h"
#include "sched.h"
#include "futex.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu


struct waiter {
	uint32_t *uaddr;
	uint32_t bitset;
	bool woken;
	struct waitq wq;
	struct waiter *next;
};

#define NBUCKETS 256
static struct bucket { struct spinlock lock; struct waiter *head; } buckets[NBUCKETS];

static struct bucket *bucket_of(uint32_t *uaddr)
{
	uint64_t a = (uint64_t)uaddr;
	return &buckets[((a >> 2) ^ (a >> 12) ^ (a >> 20)) % NBUCKETS];
}

/* Fault the futex word in before the bucket lock: the value checks run with
 * interrupts off, where a page fault could not sleep. */
static void touch_word(const uint32_t *uaddr)
{
	(void)*(const volatile uint32_t *)uaddr;
}

static void unlink_waiter(struct bucket *b, struct waiter *w)
{
	for (struct waiter **pp = &b->head; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* Both buckets locked in address order, so two requeues cannot deadlock. */
static void lock_two(struct bucket *a, struct bucket *b)
{
	if (a == b) {
		spin_lock(&a->lock);
	} else if (a < b) {
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
}

static void unlock_two(struct bucket *a, struct bucket *b)
{
	if (a == b) {
		spin_unlock(&a->lock);
	} else if (a < b) {
		spin_unlock(&b->lock);
		spin_unlock(&a->lock);
	} else {
		spin_unlock(&a->lock);
		spin_unlock(&b->lock);
	}
}

static long futex_wait(uint32_t *uaddr, uint32_t val, uint64_t deadline, uint32_t bitset)
{
	if (!bitset)
		return -EINVAL;
	touch_word(uaddr);
	struct bucket *b = bucket_of(uaddr);
	struct waiter w = { .uaddr = uaddr, .bitset = bitset, .wq = WAITQ_INIT("futex") };
	spin_lock(&b->lock);
	if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val) {
		spin_unlock(&b->lock);
		return -EAGAIN;
	}
	w.next = b->head;
	b->head = &w;
	/* A requeue may move us to another bucket while we sleep: re-find it. */
	int r = waitq_sleep_intr(&w.wq, &b->lock, deadline);
	spin_unlock(&b->lock);
	if (r == 0 || w.woken)
		return 0;
	struct bucket *nb = bucket_of(w.uaddr);
	spin_lock(&nb->lock);
	bool woken = w.woken;
	if (!woken)
		unlink_waiter(nb, &w);
	spin_unlock(&nb->lock);
	return woken ? 0 : r == -EINTR ? -EINTR : -ETIMEDOUT;
}

static int wake_locked(struct bucket *b, uint32_t *uaddr, int n, uint32_t bitset)
{
	int woken = 0;
	for (struct waiter **pp = &b->head; *pp && woken < n;) {
		struct waiter *w = *pp;
		if (w->uaddr == uaddr && (w->bitset & bitset)) {
			*pp = w->next;
			w->woken = true;
			waitq_wake(&w->wq, 1);
			woken++;
		} else {
			pp = &w->next;
		}
	}
	return woken;
}

long futex_wake(uint32_t *uaddr, int n, uint32_t bitset)
{
	if (!bitset)
		return -EINVAL;
	struct bucket *b = bucket_of(uaddr);
	spin_lock(&b->lock);
	int woken = wake_locked(b, uaddr, n, bitset);
	spin_unlock(&b->lock);
	return woken;
}

static long futex_requeue(uint32_t *uaddr, int nwake, int nmove, uint32_t *uaddr2, bool cmp, uint32_t val3)
{
	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	touch_word(uaddr);
	struct bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
	lock_two(b1, b2);
	if (cmp && __atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val3) {
		unlock_two(b1, b2);
		return -EAGAIN;
	}
	int done = wake_locked(b1, uaddr, nwake, FUTEX_BITSET_MATCH_ANY);
	int moved = 0;
	for (struct waiter **pp = &b1->head; *pp && moved < nmove;) {
		struct waiter *w = *pp;
		if (w->uaddr != uaddr) {
			pp = &w->next;
			continue;
		}
		w->uaddr = uaddr2;
		moved++;
		if (b1 == b2) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = b2->head;
		b2->head = w;
	}
	unlock_two(b1, b2);
	return done + moved;
}

static int32_t sext12(uint32_t v) { return (int32_t)(v << 20) >> 20; }

static long futex_wake_op(uint32_t *uaddr, int n1, uint32_t *uaddr2, int n2, uint32_t val3)
{
	int op = (val3 >> 28) & 7, cmp = (val3 >> 24) & 15;
	int32_t oparg = sext12(val3 >> 12), cmparg = sext12(val3);
	if (val3 & (1u << 31))
		oparg = 1 << (oparg & 31); /* FUTEX_OP_OPARG_SHIFT */
	touch_word(uaddr2);
	struct bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
	lock_two(b1, b2);
	uint32_t old = __atomic_load_n(uaddr2, __ATOMIC_SEQ_CST), new;
	do {
		switch (op) {
		case 0: new = oparg; break;
		case 1: new = old + oparg; break;
		case 2: new = old | oparg; break;
		case 3: new = old & ~oparg; break;
		case 4: new = old ^ oparg; break;
		default: unlock_two(b1, b2); return -ENOSYS;
		}
	} while (!__atomic_compare_exchange_n(uaddr2, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	int woken = wake_locked(b1, uaddr, n1, FUTEX_BITSET_MATCH_ANY);
	bool hit;
	switch (cmp) {
	case 0: hit = (int32_t)old == cmparg; break;
	case 1: hit = (int32_t)old != cmparg; break;
	case 2: hit = (int32_t)old < cmparg; break;
	case 3: hit = (int32_t)old <= cmparg; break;
	case 4: hit = (int32_t)old > cmparg; break;
	case 5: hit = (int32_t)old >= cmparg; break;
	default: unlock_two(b1, b2); return -ENOSYS;
	}
	if (hit)
		woken += wake_locked(b2, uaddr2, n2, FUTEX_BITSET_MATCH_ANY);
	unlock_two(b1, b2);
	return woken;
}


long sys_futex(uint32_t *uaddr, int op, uint32_t val, const struct ktimespec *ts, uint32_t *uaddr2, uint32_t val3)
{
	if (!uaddr || ((uint64_t)uaddr & 3))
		return -EINVAL;
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	uint64_t deadline = 0;
	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && ts) {
		if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000)
			return -EINVAL;
		int64_t t = ts->sec * 1000000000 + ts->nsec;
		uint64_t now = time_monotonic_ns();
		if (cmd == FUTEX_WAIT) {
			deadline = now + t;           /* relative, on the monotonic clock */
		} else {
			/* absolute, on CLOCK_MONOTONIC or CLOCK_REALTIME */
			int64_t base = clock_now((op & FUTEX_CLOCK_REALTIME) ? 0 : 1);
			deadline = t > base ? now + (t - base) : now;
		}
		if (!deadline)
			deadline = 1;
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(uaddr, val, deadline, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_wait(uaddr, val, deadline, val3);
	case FUTEX_WAKE:
		return futex_wake(uaddr, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(uaddr, (int)val, val3);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, (int)val, (int)(uint64_t)ts, uaddr2, false, 0);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, (int)val, (int)(uint64_t)ts, uaddr2, true, val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, (int)val, uaddr2, (int)(uint64_t)ts, val3);
	default:
		klog_once("futex-op", "uninode: futex operation %d (PI futexes) is not supported\n", cmd);
		return -ENOSYS;
	}
}
