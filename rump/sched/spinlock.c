/* Spinlocks that also keep interrupts off while held, so an interrupt handler
 * on the same CPU can take the same lock without deadlocking. */
#include "kernel.h"
#include "arch.h"

void spin_lock(struct spinlock *l)
{
	uint64_t f = irq_save();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_relax();
	l->saved_flags = f;
}

void spin_unlock(struct spinlock *l)
{
	uint64_t f = l->saved_flags;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(f);
}
