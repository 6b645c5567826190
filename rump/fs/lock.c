/* Advisory file locks as Linux keeps them: flock(2) locks, owned by an open
 * file description; and byte-range record locks, either POSIX (fcntl
 * F_SETLK: owned by the process, never conflicting with the process's own,
 * released when it closes any fd of the file) or OFD (F_OFD_SETLK: owned by
 * the open file description, released at its last close). flock locks and
 * record locks live side by side and never conflict with each other; POSIX
 * and OFD locks are one kind and do.
 *
 * All locks of all files are on one list under one spinlock (programs hold
 * few), and waiters sleep on one queue woken by every release. Nothing here
 * touches app memory: syscalls/fs.c copies struct flock in and out. */
#include "fs.h"

#define OFFSET_MAX INT64_MAX

struct file_lock {
	struct file_lock *next;
	const void *key;            /* which file: its inode (or the kind's state) */
	const void *owner;          /* the description (flock, OFD) or the process (POSIX) */
	uint8_t kind;               /* LK_* */
	uint8_t type;               /* F_RDLCK or F_WRLCK */
	int32_t pid;                /* POSIX: the owner's pid; -1 otherwise */
	int64_t start, end;         /* inclusive; end OFFSET_MAX: to the end of file, however long */
};

static struct spinlock lk_lock = SPINLOCK_INIT("file-locks");
static struct waitq lk_wq = WAITQ_INIT("file-locks");
static struct file_lock *lk_list;           /* guarded by lk_lock */

/* The one process there is: its POSIX locks' owner and pid (getpid's answer). */
static const char the_process = 0;
#define PROCESS_PID 1

/* Which file F's locks belong to: the inode, or for inode-less files (pipes)
 * the state both ends share. */
static const void *lock_key(struct file *f)
{
	return f->inode ? (const void *)f->inode : f->priv ? f->priv : (const void *)f;
}

static bool is_record(const struct file_lock *l)
{
	return l->kind != LK_FLOCK;
}

/* Does the wanted lock W conflict with the held lock H? lk_lock held. */
static bool conflicts(const struct file_lock *w, const struct file_lock *h)
{
	if (h->key != w->key || h->owner == w->owner || is_record(h) != is_record(w))
		return false;
	if (h->type != F_WRLCK && w->type != F_WRLCK)
		return false;
	return !is_record(w) || (h->start <= w->end && w->start <= h->end);
}

/* The first held lock conflicting with W, or NULL. lk_lock held. */
static struct file_lock *find_conflict(const struct file_lock *w)
{
	for (struct file_lock *h = lk_list; h; h = h->next)
		if (conflicts(w, h))
			return h;
	return NULL;
}

/* Unlink *PP (a pointer into the list) and free it; wakes waiters. lk_lock held. */
static void drop(struct file_lock **pp)
{
	struct file_lock *l = *pp;
	*pp = l->next;
	kfree(l);
	waitq_wake(&lk_wq, INT32_MAX);
}

/* Take a spare record from *SPARE (two are allocated before each change so
 * that none is needed under the spinlock). */
static struct file_lock *take(struct file_lock **spare)
{
	struct file_lock *l = *spare;
	*spare = l->next;
	return l;
}

/* Remove [S, E] from the sorted chain *CHAIN, splitting a lock that spans
 * it (one spare used then). Returns whether anything changed. */
static bool punch(struct file_lock **chain, int64_t s, int64_t e, struct file_lock **spare)
{
	bool changed = false;
	for (struct file_lock **pp = chain; *pp;) {
		struct file_lock *l = *pp;
		if (l->end < s || l->start > e) {
			pp = &l->next;
			continue;
		}
		changed = true;
		if (l->start < s && l->end > e) {      /* a hole in the middle: keep both sides */
			struct file_lock *right = take(spare);
			*right = *l;
			right->start = e + 1;
			l->end = s - 1;
			right->next = l->next;
			l->next = right;
			break;                         /* an owner's locks never overlap: done */
		}
		if (l->start < s) {
			l->end = s - 1;
		} else if (l->end > e) {
			l->start = e + 1;
		} else {
			*pp = l->next;
			kfree(l);
			continue;
		}
		pp = &l->next;
	}
	return changed;
}

/* Record W (from a spare) for its owner, replacing what the owner held in
 * its range and merging with the owner's adjacent locks of the same type,
 * as Linux's posix_lock_inode. Like Linux's list, an owner's locks on a file
 * stay together, sorted by start, where the owner's first lock was (a new
 * owner's at the end): F_GETLK reports the first conflict in that order.
 * lk_lock held. */
static void record_set(const struct file_lock *w, struct file_lock **spare)
{
	/* take the owner's locks out onto a chain, remembering their place */
	struct file_lock *chain = NULL, **tail = &chain, **place = NULL;
	for (struct file_lock **pp = &lk_list; *pp;) {
		struct file_lock *l = *pp;
		if (l->key == w->key && l->owner == w->owner && is_record(l)) {
			if (!place)
				place = pp;
			*pp = l->next;
			l->next = NULL;
			*tail = l;
			tail = &l->next;
			continue;
		}
		pp = &l->next;
	}
	bool changed = punch(&chain, w->start, w->end, spare);
	if (w->type != F_UNLCK) {
		int64_t s = w->start, e = w->end;
		for (struct file_lock **pp = &chain; *pp;) {
			struct file_lock *l = *pp;
			if (l->type == w->type && (l->end == s - 1 || (e != OFFSET_MAX && l->start == e + 1))) {
				s = MIN(s, l->start);
				e = MAX(e, l->end);
				*pp = l->next;
				kfree(l);
				continue;
			}
			pp = &l->next;
		}
		struct file_lock *n = take(spare), **pp = &chain;
		*n = *w;
		n->start = s;
		n->end = e;
		while (*pp && (*pp)->start < s)
			pp = &(*pp)->next;
		n->next = *pp;
		*pp = n;
	}
	if (changed)
		waitq_wake(&lk_wq, INT32_MAX);
	if (!chain)
		return;
	if (!place)                            /* a new owner: at the end */
		for (place = &lk_list; *place; place = &(*place)->next)
			;
	struct file_lock *last = chain;
	while (last->next)
		last = last->next;
	last->next = *place;
	*place = chain;
}

/* Remove OWNER's flock lock on KEY, if any; returns its type or F_UNLCK. lk_lock held. */
static int flock_remove(const void *key, const void *owner)
{
	for (struct file_lock **pp = &lk_list; *pp; pp = &(*pp)->next) {
		struct file_lock *l = *pp;
		if (l->key == key && l->owner == owner && l->kind == LK_FLOCK) {
			int t = l->type;
			drop(pp);
			return t;
		}
	}
	return F_UNLCK;
}

/* Two spare records for one change; freed by spare_free. */
static int spare_alloc(struct file_lock **spare)
{
	*spare = NULL;
	for (int i = 0; i < 2; i++) {
		struct file_lock *l = kzalloc(sizeof(*l));
		if (!l)
			return -ENOMEM;
		l->next = *spare;
		*spare = l;
	}
	return 0;
}

static void spare_free(struct file_lock *spare)
{
	while (spare) {
		struct file_lock *n = spare->next;
		kfree(spare);
		spare = n;
	}
}

/* Sleep until a lock is released; -EINTR if a signal comes. lk_lock held. */
static int lock_wait(void)
{
	return waitq_sleep_intr(&lk_wq, &lk_lock, 0);
}

int lock_flock(struct file *f, int type, bool wait)
{
	struct file_lock w = { .key = lock_key(f), .owner = f, .kind = LK_FLOCK, .type = (uint8_t)type, .pid = -1 };
	struct file_lock *n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	int err = 0;
	spin_lock(&lk_lock);
	/* Linux drops a lock of the other type before waiting for the new one:
	 * a conversion is not atomic. */
	for (struct file_lock *l = lk_list; l; l = l->next)
		if (l->key == w.key && l->owner == f && l->kind == LK_FLOCK && l->type == type)
			goto out;
	flock_remove(w.key, f);
	if (type == F_UNLCK)
		goto out;
	while (find_conflict(&w)) {
		if (!wait) {
			err = -EAGAIN;
			goto out;
		}
		if ((err = lock_wait()))
			goto out;
	}
	*n = w;
	n->next = lk_list;
	lk_list = n;
	n = NULL;
out:
	spin_unlock(&lk_lock);
	kfree(n);
	return err;
}

/* The lock a struct flock describes on F, for OWNER of KIND. */
static struct file_lock wanted(struct file *f, const struct lock_range *r, int kind)
{
	struct file_lock w = { .key = lock_key(f), .kind = (uint8_t)kind, .type = (uint8_t)r->type,
			       .start = r->start, .end = r->end };
	if (kind == LK_POSIX) {
		w.owner = &the_process;
		w.pid = PROCESS_PID;
	} else {
		w.owner = f;
		w.pid = -1;
	}
	return w;
}

int lock_record_set(struct file *f, const struct lock_range *r, int kind, bool wait)
{
	struct file_lock w = wanted(f, r, kind);
	struct file_lock *spare;
	int err = spare_alloc(&spare);
	if (err) {
		spare_free(spare);
		return err;
	}
	spin_lock(&lk_lock);
	while (w.type != F_UNLCK && find_conflict(&w)) {
		if (!wait) {
			err = -EAGAIN;
			break;
		}
		if ((err = lock_wait()))
			break;
	}
	if (!err)
		record_set(&w, &spare);
	spin_unlock(&lk_lock);
	spare_free(spare);
	return err;
}

/* Does W (an F_UNLCK query) overlap a record lock of its own owner? */
static bool own_overlap(const struct file_lock *w, const struct file_lock *h)
{
	return h->key == w->key && h->owner == w->owner && is_record(h) && h->start <= w->end && w->start <= h->end;
}

int lock_record_get(struct file *f, struct lock_range *r, int kind)
{
	struct file_lock w = wanted(f, r, kind);
	spin_lock(&lk_lock);
	struct file_lock *h = NULL;
	if (w.type == F_UNLCK) {
		for (h = lk_list; h && !own_overlap(&w, h); h = h->next)
			;
	} else {
		h = find_conflict(&w);
	}
	if (h) {
		r->type = h->type;
		r->start = h->start;
		r->end = h->end;
		r->pid = h->pid;
	} else {
		r->type = F_UNLCK;
	}
	spin_unlock(&lk_lock);
	return 0;
}

/* Drop every lock matching KEY (any if NULL), OWNER and, for SOME_KIND,
 * the kind test. */
static void drop_matching(const void *key, const void *owner, bool (*some_kind)(const struct file_lock *))
{
	if (!__atomic_load_n(&lk_list, __ATOMIC_ACQUIRE))
		return;                 /* the common case: no locks at all */
	spin_lock(&lk_lock);
	for (struct file_lock **pp = &lk_list; *pp;) {
		struct file_lock *l = *pp;
		if ((!key || l->key == key) && l->owner == owner && some_kind(l))
			drop(pp);
		else
			pp = &l->next;
	}
	spin_unlock(&lk_lock);
}

static bool any_kind(const struct file_lock *l)
{
	(void)l;
	return true;
}

static bool posix_kind(const struct file_lock *l)
{
	return l->kind == LK_POSIX;
}

void lock_release_file(struct file *f)
{
	drop_matching(NULL, f, any_kind);
}

void lock_release_posix(struct file *f)
{
	drop_matching(lock_key(f), &the_process, posix_kind);
}
