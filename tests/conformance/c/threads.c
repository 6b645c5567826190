/* pthreads: create and join, a mutex-protected counter, a condition
 * variable hand-off, a timed wait that must time out, thread-local storage. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define THREADS 8
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static __thread int tls_value;

static void *worker(void *arg)
{
	long id = (long)arg;
	tls_value = (int)id * 100;
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	/* take turns in id order through the condition variable */
	pthread_mutex_lock(&lock);
	while (turn != id)
		pthread_cond_wait(&cond, &lock);
	turn++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	return (void *)(long)(tls_value + 1);
}

int main(void)
{
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i)) {
			printf("pthread_create failed\n");
			return 1;
		}
	long sum = 0;
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		sum += (long)ret;
	}
	printf("counter=%ld (want %d)\n", counter, THREADS * ITERS);
	printf("turns=%d, tls sum=%ld\n", turn, sum);
	pthread_mutex_lock(&lock);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 100 * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	int r = pthread_cond_timedwait(&cond, &lock, &dl);
	pthread_mutex_unlock(&lock);
	printf("timedwait: %s\n", r == ETIMEDOUT ? "timed out" : "woke");
	printf("main tls untouched: %d\n", tls_value == 0);
	return 0;
}
