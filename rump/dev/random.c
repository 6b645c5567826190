/* Random bytes for AT_RANDOM, getrandom and /dev/urandom: RDRAND where the
 * CPU has it, mixed into a ChaCha-like ARX state seeded from the TSC
 * otherwise. Not a CSPRNG without RDRAND; said once at boot. */
#include "kernel.h"
#include "arch.h"
#include "cpu.h"

static uint64_t state[4];
static struct spinlock rnd_lock = SPINLOCK_INIT("random");

static bool rdrand64(uint64_t *v)
{
	for (int i = 0; i < 10; i++) {
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** step: fast, good statistics; seeded from hardware entropy. */
static uint64_t next(void)
{
	uint64_t r = rotl(state[1] * 5, 7) * 9, t = state[1] << 17;
	state[2] ^= state[0];
	state[3] ^= state[1];
	state[1] ^= state[2];
	state[0] ^= state[3];
	state[2] ^= t;
	state[3] = rotl(state[3], 45);
	return r;
}

void random_bytes(void *buf, size_t n)
{
	static bool seeded;
	uint8_t *p = buf;
	spin_lock(&rnd_lock);
	if (!seeded) {
		for (int i = 0; i < 4; i++) {
			uint64_t v = 0;
			if (!cpu_features.rdrand || !rdrand64(&v))
				v = rdtsc() * 0x9e3779b97f4a7c15UL + i;
			state[i] = v ^ (0xd1b54a32d192ed03UL * (i + 1));
		}
		if (!cpu_features.rdrand)
			kprintf("uninode: no RDRAND: random numbers are seeded from the TSC only\n");
		seeded = true;
	}
	while (n) {
		uint64_t v = next(), hw;
		if (cpu_features.rdrand && rdrand64(&hw))
			v ^= hw;
		size_t k = MIN(n, sizeof v);
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
	spin_unlock(&rnd_lock);
}
