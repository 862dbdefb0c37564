/*
 * The corners of systrap's syscall patching (platform/systrap/patch.c),
 * one case per run; the output must be the same natively and in moat.
 * libc's getppid() and waitpid() are `mov $NR,%eax; syscall` sites, which
 * systrap patches after a few traps (each case makes enough calls first).
 *
 *   signals  a patched site called in a loop while host CPU-time signals
 *            (setitimer ITIMER_PROF, which the host delivers) and the
 *            sentry's (ITIMER_REAL) arrive; the handlers call it too
 *   restart  waitpid through a patched site, interrupted by SA_RESTART
 *            signals: it is restarted and reaps each child once
 *   selfmod  the program rewrites a patched site of its own code (the
 *            syscall's number), after mprotect made it writable: the new
 *            code runs
 *   fork     a child of a process with patched sites calls them
 *   threads  8 threads call patched sites while the main thread forks
 *   gs       the program sets its own %gs base (arch_prctl): it reads it
 *            back and through %gs, and its syscalls still work
 */
#include <asm/prctl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A syscall site of this program's own code: getpid, 7 bytes. */
long sm_call(void);
__asm__(".text\n"
	".globl sm_call\n"
	".type sm_call, @function\n"
	"sm_call:\n"
	"	mov $39, %eax\n"
	"	syscall\n"
	"	ret\n");

static volatile sig_atomic_t n_prof, n_real, bad;
static pid_t parent;

static void on_sig(int sig)
{
	if (getppid() != parent)
		bad = 1;
	if (sig == SIGPROF)
		n_prof++;
	else
		n_real++;
}

static int case_signals(void)
{
	parent = getppid();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	setitimer(ITIMER_PROF, &it, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	/* until both kinds came several times (bounded: 60 s) */
	time_t end = time(NULL) + 60;
	long calls = 0;
	while ((n_prof < 20 || n_real < 20) && time(NULL) < end) {
		if (getppid() != parent)
			bad = 1;
		calls++;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &off, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("signals prof=%d real=%d wrong=%d\n", n_prof >= 20, n_real >= 20, (int)bad);
	return 0;
}

static int gate[2];

static void on_alarm(int sig)
{
	(void)sig;
	if (++n_real == 20)
		close(gate[1]); /* the child may end now */
}

static int case_restart(void)
{
	/* The child waits for the parent's word; the parent's waitpid
	 * (a patched site by then: WNOHANG calls first) is interrupted by
	 * SA_RESTART alarms and restarted until the child ends. */
	if (pipe(gate) < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(gate[1]);
		while (read(gate[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(7);
	}
	close(gate[0]);
	int early = 0;
	for (int i = 0; i < 40; i++)
		early += waitpid(c, NULL, WNOHANG) != 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 3000 }, { 0, 3000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int st = 0;
	pid_t w = waitpid(c, &st, 0);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	printf("restart early=%d reaped=%d status=%d alarms=%d more=%d\n", early, w == c,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1, n_real >= 20, (int)waitpid(-1, NULL, WNOHANG));
	return 0;
}

static int case_selfmod(void)
{
	/* (enough calls for each stage to go through a patched site) */
	int before = 0, after = 0, again = 0;
	for (int i = 0; i < 50; i++)
		before += sm_call() == getpid();
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *site = (uint8_t *)(uintptr_t)sm_call;
	void *page = (void *)((uintptr_t)site & ~(uintptr_t)(pg - 1));
	/* (two pages: the 7 bytes may cross into the next) */
	if (mprotect(page, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC) < 0) {
		printf("selfmod mprotect: %s\n", strerror(errno));
		return 1;
	}
	uint32_t nr = SYS_getppid;
	memcpy(site + 1, &nr, 4);
	__builtin___clear_cache((char *)site, (char *)site + 7);
	for (int i = 0; i < 50; i++)
		after += sm_call() == getppid();
	mprotect(page, 2 * pg, PROT_READ | PROT_EXEC);
	for (int i = 0; i < 50; i++)
		again += sm_call() == getppid();
	printf("selfmod before=%d after=%d again=%d code=%02x\n", before, after, again, site[0]);
	return 0;
}

static int case_fork(void)
{
	pid_t me = getpid(), pp = getppid();
	int ok = 0;
	for (int i = 0; i < 10; i++)
		ok += getppid() == pp;
	pid_t c = fork();
	if (c == 0) {
		int k = 0;
		for (int i = 0; i < 1000; i++)
			k += getppid() == me;
		_exit(k == 1000 ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	printf("fork parent=%d child=%d\n", ok, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static void *hammer(void *arg)
{
	pid_t pp = *(pid_t *)arg;
	long wrong = 0;
	for (int i = 0; i < 20000; i++)
		wrong += getppid() != pp;
	return (void *)wrong;
}

static int case_threads(void)
{
	pid_t pp = getppid(), me = getpid();
	pthread_t th[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, hammer, &pp);
	int kids = 0;
	for (int i = 0; i < 10; i++) {
		pid_t c = fork();
		if (c == 0)
			_exit(getppid() == me ? 0 : 1);
		int st;
		kids += waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	long wrong = 0;
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(th[i], &r);
		wrong += (long)r;
	}
	printf("threads wrong=%ld kids=%d\n", wrong, kids);
	return 0;
}

static uint64_t gsbuf[4] = { 0x1234abcd };

static int case_gs(void)
{
	pid_t pp = getppid();
	for (int i = 0; i < 30; i++) /* patched by now */
		getppid();
	long set = syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)gsbuf);
	unsigned long got = 0;
	long get = syscall(SYS_arch_prctl, ARCH_GET_GS, &got);
	uint64_t via;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(via));
	int ok = 0;
	for (int i = 0; i < 1000; i++)
		ok += getppid() == pp;
	long bad_addr = syscall(SYS_arch_prctl, ARCH_SET_GS, 0xffff800000000000UL);
	int e = errno;
	printf("gs set=%ld get=%ld same=%d read=%d calls=%d bad=%ld/%d\n", set, get, got == (unsigned long)gsbuf,
	       via == 0x1234abcd, ok, bad_addr, e);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "signals"))
		return case_signals();
	if (!strcmp(c, "restart"))
		return case_restart();
	if (!strcmp(c, "selfmod"))
		return case_selfmod();
	if (!strcmp(c, "fork"))
		return case_fork();
	if (!strcmp(c, "threads"))
		return case_threads();
	if (!strcmp(c, "gs"))
		return case_gs();
	fprintf(stderr, "usage: patch_edges signals|restart|selfmod|fork|threads|gs\n");
	return 2;
}
