// Taking signals synchronously, as a server's signal thread does (MariaDB's
// blocks SIGTERM, SIGHUP and SIGQUIT everywhere and sigwait()s for them):
// a pending signal taken at once with its siginfo, one sent to the process
// by another thread while the waiter sleeps, a timeout (EAGAIN), a zero
// timeout, a bad timeout and set size (EINVAL), and a signal outside the set
// whose handler runs (EINTR).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr2(int sig)
{
	handled = sig;
}

static void *send_later(void *arg)
{
	int sig = (int)(long)arg;
	usleep(50000);
	kill(getpid(), sig);
	return NULL;
}

static void report(const char *what, int r, const siginfo_t *si)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else if (si)
		printf("%s: signal %d, si_signo %d, si_code %d\n", what, r, si->si_signo, si->si_code);
	else
		printf("%s: signal %d\n", what, r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t set, waitset;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	siginfo_t si;

	// Pending before the wait: taken at once, the lowest number first.
	raise(SIGUSR1);
	kill(getpid(), SIGHUP);
	memset(&si, 0, sizeof si);
	report("pending SIGHUP and SIGUSR1", sigwaitinfo(&set, &si), &si);
	memset(&si, 0, sizeof si);
	report("then", sigwaitinfo(&set, &si), &si);

	// Sent to the process by another thread while this one waits.
	pthread_t th;
	pthread_create(&th, NULL, send_later, (void *)(long)SIGTERM);
	int sig = 0;
	int r = sigwait(&set, &sig);
	printf("sigwait: %d, signal %d\n", r, sig);
	pthread_join(th, NULL);

	struct timespec ts = { 0, 100 * 1000 * 1000 };
	report("timeout of 100 ms", sigtimedwait(&set, &si, &ts), NULL);
	struct timespec zero = { 0, 0 };
	report("zero timeout", sigtimedwait(&set, &si, &zero), NULL);
	struct timespec bad = { 0, 1000000000 };
	report("nsec of a second", sigtimedwait(&set, &si, &bad), NULL);
	report("set size 4", (int)syscall(SYS_rt_sigtimedwait, &set, &si, &ts, 4), NULL);

	// A signal outside the set, unblocked, with a handler: the wait ends with EINTR.
	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	pthread_create(&th, NULL, send_later, (void *)(long)SIGUSR2);
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGTERM);
	struct timespec long_ts = { 5, 0 };
	report("SIGUSR2 with a handler during the wait", sigtimedwait(&waitset, &si, &long_ts), NULL);
	printf("handler ran for %d\n", (int)handled);
	pthread_join(th, NULL);

	// Nothing is left pending.
	sigset_t pend;
	sigpending(&pend);
	printf("pending SIGTERM %d, SIGHUP %d, SIGUSR1 %d\n", sigismember(&pend, SIGTERM), sigismember(&pend, SIGHUP),
	       sigismember(&pend, SIGUSR1));
	return 0;
}
