/* clock_gettime: monotonic never goes back and advances across a sleep;
 * realtime is a sane date (after 2024); gettimeofday and time agree with it. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void)
{
	struct timespec a, b, r, res;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int backwards = 0;
	for (int i = 0; i < 100000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (ns(b) < ns(a))
			backwards++;
		a = b;
	}
	printf("monotonic went backwards: %d times\n", backwards);
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec req = { 0, 50 * 1000000 };
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long long slept = ns(b) - ns(a);
	printf("nanosleep(50ms) took at least 50ms: %d\n", slept >= 50000000LL);
	printf("and less than 5s: %d\n", slept < 5000000000LL);
	clock_gettime(CLOCK_REALTIME, &r);
	printf("realtime after 2024-01-01: %d\n", r.tv_sec > 1704067200);
	printf("realtime before 2100: %d\n", r.tv_sec < 4102444800LL);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	printf("gettimeofday and time within 2s of realtime: %d\n",
	       (tv.tv_sec - r.tv_sec) < 2 && (t - r.tv_sec) < 2 && tv.tv_sec >= r.tv_sec);
	printf("clock_getres(MONOTONIC) ok: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0);
	printf("bad clock id fails: %d\n", clock_gettime(12345, &r) != 0);
	return 0;
}
