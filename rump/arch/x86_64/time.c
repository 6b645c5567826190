/* Clocks: the TSC, calibrated against the PIT, is the monotonic clock; the
 * CMOS RTC read once at boot anchors the wall clock; the local APIC timer
 * ticks for preemption and timeouts. */
#include "kernel.h"
#include "arch.h"
#include "cpu.h"
#include "sched.h"

#define TICK_HZ 100
#define TIMER_VECTOR 32

static uint64_t tsc_hz, tsc_boot, realtime_boot_ns;
/* ns = (tsc * mult) >> 32, split to avoid overflow over long uptimes */
static uint64_t ns_mult;

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
void wait_tick(void);

/* PIT channel 2 gated on, counting down from 0xffff at 1.193182 MHz; we time
 * a fixed count with the TSC. */
static uint64_t calibrate_tsc(void)
{
	const uint32_t count = 11932; /* 10 ms */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);             /* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t t0 = rdtsc();
	uint64_t spins = 0;
	while (!(inb(0x61) & 0x20)) {
		if (++spins > 100000000)
			return 0;
	}
	uint64_t t1 = rdtsc();
	return (t1 - t0) * 1193182 / count;
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

uint64_t time_realtime_ns(void) { return realtime_boot_ns + time_monotonic_ns(); }
uint64_t time_tsc_hz(void) { return tsc_hz; }

static void timer_irq(struct intr_frame *f, void *arg)
{
	wait_tick();
	sched_tick();
}

void time_init(void)
{
	tsc_hz = calibrate_tsc();
	if (!tsc_hz)
		panic("cannot calibrate the TSC: the PIT does not count");
	tsc_boot = rdtsc();
	ns_mult = ((unsigned __int128)1000000000UL << 32) / tsc_hz;
	realtime_boot_ns = read_rtc_seconds() * 1000000000UL;
}

/* Periodic LAPIC timer at TICK_HZ, its rate measured against the TSC. */
void timer_start(void)
{
	intr_register(TIMER_VECTOR, timer_irq, NULL);
	lapic_write(0x3e0, 0x3);              /* divide by 16 */
	lapic_write(0x320, 1 << 16);          /* masked while measuring */
	lapic_write(0x380, 0xffffffff);
	uint64_t t0 = rdtsc(), wait = tsc_hz / 100;
	while (rdtsc() - t0 < wait)
		cpu_relax();
	uint32_t elapsed = 0xffffffff - lapic_read(0x390);
	uint64_t lapic_hz = (uint64_t)elapsed * 100;
	lapic_write(0x320, TIMER_VECTOR | (1 << 17)); /* periodic */
	lapic_write(0x380, (uint32_t)MAX(lapic_hz / TICK_HZ, 1UL));
}
