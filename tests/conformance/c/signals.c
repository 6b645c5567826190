/* Signal delivery: handlers with siginfo, masks and pending sets, the
 * alternate stack, recovery from a fault with siglongjmp, a sleep cut short
 * by a signal from another thread, FPU state kept across a handler, and
 * finally death by SIGTERM's default action. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got, code, on_alt;
static sigjmp_buf jb;
static char altstack[65536];

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	got = sig;
	code = si->si_code;
	volatile double x = 1.0;
	for (int i = 0; i < 10; i++)
		x = x * 3.5 + 0.25; /* clobbers FPU registers the interrupted code may use */
	(void)uc;
}

static void on_usr2(int sig)
{
	char here;
	on_alt = &here >= altstack && &here < altstack + sizeof altstack;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	code = si->si_addr == (void *)16;
	siglongjmp(jb, 1);
}

static void on_alrm(int sig) { got = sig; }

static void *kicker(void *arg)
{
	struct timespec t = { 0, 100 * 1000000 };
	nanosleep(&t, NULL);
	pthread_kill(*(pthread_t *)arg, SIGALRM);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	volatile double keep = 2.5;
	raise(SIGUSR1);
	printf("handler ran: %d, si_code is SI_TKILL: %d, FPU kept: %d\n", got == SIGUSR1, code == SI_TKILL, keep == 2.5);

	got = 0;
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR1);
	sigpending(&pend);
	printf("blocked: not run %d, pending %d\n", got == 0, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("unblocked: ran %d, si_code is SI_USER: %d\n", got == SIGUSR1, code == SI_USER);

	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	sigaltstack(&ss, NULL);
	struct sigaction s2;
	memset(&s2, 0, sizeof s2);
	s2.sa_handler = on_usr2;
	s2.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &s2, NULL);
	raise(SIGUSR2);
	printf("SA_ONSTACK handler ran on the alternate stack: %d\n", on_alt);

	struct sigaction s3;
	memset(&s3, 0, sizeof s3);
	s3.sa_sigaction = on_segv;
	s3.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &s3, NULL);
	if (!sigsetjmp(jb, 1)) {
		*(volatile int *)16 = 1;
		printf("no fault?\n");
	} else {
		printf("recovered from a fault at 16: %d\n", code);
	}

	signal(SIGALRM, on_alrm);
	pthread_t self = pthread_self(), k;
	pthread_create(&k, NULL, kicker, &self);
	struct timespec t = { 10, 0 }, rem;
	int r = nanosleep(&t, &rem);
	printf("sleep interrupted: %d EINTR: %d remaining > 5s: %d handler: %d\n", r == -1, errno == EINTR, rem.tv_sec >= 5,
	       got == SIGALRM);
	pthread_join(k, NULL);

	signal(SIGPIPE, SIG_IGN);
	int p[2];
	pipe(p);
	close(p[0]);
	int w = (int)write(p[1], "x", 1), e = errno;
	printf("write to a closed pipe with SIGPIPE ignored: %d EPIPE: %d\n", w, e == EPIPE);

	printf("now SIGTERM with the default action\n");
	kill(getpid(), SIGTERM);
	sleep(5);
	printf("not reached\n");
	return 0;
}
