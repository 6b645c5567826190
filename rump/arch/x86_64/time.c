/* Clocks: the TSC, calibrated against the PIT, is the monotonic clock; the
 * CMOS RTC read once at boot anchors the wall clock; the local APIC timer
 * ticks for preemption and timeouts. */
#include "kernel.h"
#include "arch.h"
#include "cpu.h"
#include "sched.h"

#define TICK_HZ 100
#define TIMER_VECTOR 32

static uint64_t tsc_hz, tsc_boot, realtime_boot_ns, lapic_hz;
/* ns = (tsc * mult) >> 32, split to avoid overflow over long uptimes */
static uint64_t ns_mult;

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
void wait_tick(void);

/* PIT channel 0 in rate-generator mode, read back with counter latches:
 * unlike the channel 2 / port 0x61 method this needs no speaker port, which
 * QEMU's microvm lacks. We time ~10 ms of PIT ticks (1.193182 MHz) with the TSC: 11,932 ticks bound
 * the rate error to ~1e-4, and boot spends no longer than that. */
static uint16_t pit_read(void)
{
	outb(0x43, 0x00);             /* latch channel 0 */
	uint8_t lo = inb(0x40), hi = inb(0x40);
	return (uint16_t)(lo | hi << 8);
}

static uint64_t calibrate_tsc(uint32_t *lapic_ticks, uint32_t *pit_ticks)
{
	/* The LAPIC timer counts over the same window, masked, divided by 16. */
	lapic_write(0x3e0, 0x3);
	lapic_write(0x320, 1 << 16);
	lapic_write(0x380, 0xffffffff);
	outb(0x43, 0x34);             /* channel 0, lo/hi, mode 2 */
	outb(0x40, 0);
	outb(0x40, 0);                /* reload 65536 */
	const uint32_t want = 11932;  /* 10 ms */
	uint16_t prev = pit_read();
	uint32_t ticks = 0;
	uint64_t t0 = rdtsc(), spins = 0;
	while (ticks < want) {
		uint16_t now = pit_read();
		ticks += (uint16_t)(prev - now); /* counts down, wraps at 65536 */
		prev = now;
		if (++spins > 50000000)
			return 0;             /* no PIT */
	}
	uint64_t t1 = rdtsc();
	*lapic_ticks = 0xffffffff - lapic_read(0x390);
	*pit_ticks = ticks;
	return (t1 - t0) * 1193182 / ticks;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static uint64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static uint64_t read_rtc_seconds(void)
{
	while (cmos(0x0a) & 0x80)
		cpu_relax();
	uint8_t s = cmos(0), mi = cmos(2), h = cmos(4), d = cmos(7), mo = cmos(8), y = cmos(9), cent = cmos(0x32);
	uint8_t b = cmos(0x0b);
	if (!(b & 0x04)) {
#define BCD(x) (((x) & 0x0f) + ((x) >> 4) * 10)
		s = BCD(s); mi = BCD(mi); h = BCD(h & 0x7f) | (h & 0x80); d = BCD(d); mo = BCD(mo); y = BCD(y);
		cent = BCD(cent);
	}
	if (!(b & 0x02) && (h & 0x80))
		h = ((h & 0x7f) + 12) % 24;
	int year = (cent >= 19 && cent <= 30 ? cent : 20) * 100 + y;
	return days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

uint64_t time_monotonic_ns(void)
{
	if (!tsc_hz)
		return 0;
	uint64_t d = rdtsc() - tsc_boot;
	return (uint64_t)(((unsigned __int128)d * ns_mult) >> 32);
}

/* Nanoseconds since the TSC read TSC0 (e.g. the kernel's first instruction). */
uint64_t time_since_tsc(uint64_t tsc0)
{
	return tsc_hz ? (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * ns_mult) >> 32) : 0;
}

uint64_t time_realtime_ns(void) { return realtime_boot_ns + time_monotonic_ns(); }
uint64_t time_tsc_hz(void) { return tsc_hz; }

/* What the vDSO needs to compute the same clocks as time_*_ns(). */
void time_vvar_params(uint64_t *boot, uint64_t *mult, uint64_t *realtime)
{
	*boot = tsc_boot;
	*mult = ns_mult;
	*realtime = realtime_boot_ns;
}

void control_poll(void);

static void timer_irq(struct intr_frame *f, void *arg)
{
	control_poll();
	wait_tick();
	sched_tick();
}

void time_init(void)
{
	uint32_t lapic_ticks = 0, pit_ticks = 1;
	tsc_hz = calibrate_tsc(&lapic_ticks, &pit_ticks);
	lapic_hz = (uint64_t)lapic_ticks * 1193182 / pit_ticks;
	if (!tsc_hz)
		panic("cannot calibrate the TSC: the PIT does not count");
	tsc_boot = rdtsc();
	ns_mult = ((unsigned __int128)1000000000UL << 32) / tsc_hz;
	realtime_boot_ns = read_rtc_seconds() * 1000000000UL;
}

/* Periodic LAPIC timer at TICK_HZ, its rate measured in time_init. */
void timer_start(void)
{
	intr_register(TIMER_VECTOR, timer_irq, NULL);
	lapic_write(0x3e0, 0x3);              /* divide by 16 */
	lapic_write(0x320, TIMER_VECTOR | (1 << 17)); /* periodic */
	lapic_write(0x380, (uint32_t)MAX(lapic_hz / TICK_HZ, 1UL));
}
