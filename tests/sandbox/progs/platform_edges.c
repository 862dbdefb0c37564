/*
 * The corners of catching syscalls (platform/README.md), one case per
 * argument; each prints result lines that must be the same natively and in
 * `moat do` on every platform (tests/sandbox/platform_edges.sh compares):
 *
 *   handler     syscalls from a signal handler, many times over
 *   altstack    the same on an alternate signal stack
 *   badsp       a syscall made with a stack pointer that points nowhere
 *   threads     32 threads making syscalls while others fork, exit, wait
 *   vfork       vfork children that make 40 syscalls before they exec,
 *               then vfork + exec, many times
 *   execthread  execve while other threads keep making syscalls
 *   threadexit  threads that end with a bare exit(2), each joined; then a
 *               main thread that ends first (pthread_exit) while another
 *               thread goes on and exits the process with a status
 *   threadstate what a new thread inherits and what it does not: the FP
 *               control state (rounding mode, MXCSR, x87 control word)
 *               and the signal mask are its creator's, the signal stack
 *               is none; its own handler runs on a stack it sets up
 *   stub OP     (not compared) the platform's stub attacked with OP: munmap,
 *               mprotect, mremap or write; the attacking process must be
 *               refused or killed, and its parent goes on
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define STUB 0x7ff000000000ULL

static volatile sig_atomic_t hits, bad;
static pid_t ppid_seen;

static void on_sig(int sig)
{
	(void)sig;
	/* a few syscalls, their results checked */
	if (getppid() != ppid_seen || syscall(SYS_gettid) != getpid())
		bad++;
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		bad++;
	char c;
	if (read(-1, &c, 1) != -1 || errno != EBADF)
		bad++;
	hits++;
}

static int case_handler(int onstack)
{
	ppid_seen = getppid();
	if (onstack) {
		stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };
		if (sigaltstack(&ss, NULL) < 0)
			return perror("sigaltstack"), 1;
	}
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = onstack ? SA_ONSTACK : 0 };
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 2000; i++) {
		kill(getpid(), SIGUSR1);
		if (getppid() != ppid_seen)
			bad++;
	}
	printf("%s hits %d bad %d\n", onstack ? "altstack" : "handler", (int)hits, (int)bad);
	if (onstack) {
		stack_t cur;
		sigaltstack(NULL, &cur);
		printf("altstack flags %d size %zu\n", cur.ss_flags, cur.ss_size);
	}
	return 0;
}

static int case_badsp(void)
{
	long r1, r2;
	/* rsp = 8 (no memory there) across getppid; rbx keeps the real one */
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov $8, %%rsp\n\t"
			 "mov $110, %%eax\n\t"
			 "syscall\n\t"
			 "mov %%rbx, %%rsp\n\t"
			 : "=a"(r1)
			 :
			 : "rbx", "rcx", "r11", "memory");
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov $0x7ffffffff000, %%rsp\n\t"
			 "mov $39, %%eax\n\t"
			 "syscall\n\t"
			 "mov %%rbx, %%rsp\n\t"
			 : "=a"(r2)
			 :
			 : "rbx", "rcx", "r11", "memory");
	printf("badsp getppid %s getpid %s\n", r1 == getppid() ? "ok" : "wrong", r2 == getpid() ? "ok" : "wrong");
	return 0;
}

static atomic_int stop_all;
static atomic_long calls;

static void *hammer(void *arg)
{
	(void)arg;
	pid_t me = getpid(), parent = getppid(); /* (0 for the sandbox's pid 1) */
	long n = 0;
	while (!atomic_load(&stop_all)) {
		if (getpid() != me || getppid() != parent)
			bad++;
		n++;
	}
	atomic_fetch_add(&calls, n);
	return NULL;
}

static int case_threads(void)
{
	pid_t parent = getpid();
	pthread_t th[32];
	for (int i = 0; i < 32; i++)
		if (pthread_create(&th[i], NULL, hammer, NULL))
			return printf("threads: pthread_create failed\n"), 1;
	int ok = 0;
	for (int i = 0; i < 40; i++) {
		pid_t c = fork();
		if (c == 0) {
			/* the child is single-threaded: a few calls, then exit */
			_exit(getppid() == parent && getpid() > 0 ? 7 : 1);
		}
		int st;
		if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7)
			ok++;
	}
	atomic_store(&stop_all, 1);
	for (int i = 0; i < 32; i++)
		pthread_join(th[i], NULL);
	printf("threads forks %d/40 bad %d calls %s\n", ok, (int)bad, atomic_load(&calls) > 32 ? "many" : "few");
	return 0;
}

/* n vfork children, each making `calls` getppid calls, then exec'ing
 * this program to exit 7: how many did. */
static int vfork_round(const char *self, int n, int calls)
{
	int ok = 0;
	for (int i = 0; i < n; i++) {
		pid_t c = vfork();
		if (c == 0) {
			for (int k = 0; k < calls; k++)
				syscall(SYS_getppid);
			execl(self, self, "exit7", (char *)NULL);
			_exit(1);
		}
		int st;
		if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7)
			ok++;
	}
	return ok;
}

static int case_vfork(const char *self)
{
	/* first children that make syscalls enough to be let go untraced
	 * before they exec, while the parent has been held since it started
	 * (systrap: one hung, it had no bell), then plain vfork + exec */
	printf("vfork 40 syscalls then exec %d/10\n", vfork_round(self, 10, 40));
	printf("vfork exec %d/50\n", vfork_round(self, 50, 0));
	return 0;
}

static int case_execthread(const char *self)
{
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, NULL);
	usleep(1000);
	fflush(stdout);
	execl(self, self, "after-exec", (char *)NULL);
	printf("execthread: execl failed\n");
	return 1;
}

static void *bare_exit(void *a)
{
	(void)a;
	syscall(SYS_exit, 5); /* (a thread's status is nobody's) */
	return NULL;
}

static void *last_thread(void *a)
{
	(void)a;
	for (int i = 0; i < 50; i++)
		getppid();
	exit(3);
}

/* systrap sends a thread's exit to the stub to end itself; a main thread
 * that ended first used to hang the sentry (waitpid reports a traced
 * leader only once its last thread is gone). */
static int case_threadexit(void)
{
	int joined = 0;
	for (int i = 0; i < 100; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, bare_exit, NULL) == 0 && pthread_join(t, NULL) == 0)
			joined++;
	}
	printf("threadexit joined %d/100\n", joined);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_t t;
		pthread_create(&t, NULL, last_thread, NULL);
		pthread_exit(NULL);
	}
	int st = 0;
	pid_t w = waitpid(c, &st, 0);
	printf("threadexit leader first: %s %d\n", w != c ? "lost" : WIFEXITED(st) ? "exited" : "killed",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return 0;
}

static volatile sig_atomic_t alt_hit;
static char alt_mem[64 * 1024];

static void on_alt(int sig)
{
	(void)sig;
	char here;
	alt_hit = (&here >= alt_mem && &here < alt_mem + sizeof(alt_mem)) ? 1 : 2;
}

static void *state_thread(void *a)
{
	(void)a;
	unsigned mxcsr;
	unsigned short cw;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	sigset_t m;
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	stack_t ss;
	sigaltstack(NULL, &ss);
	printf("threadstate mxcsr %#x x87cw %#x usr1-blocked %d altstack %s\n", mxcsr, cw,
	       sigismember(&m, SIGUSR1), (ss.ss_flags & SS_DISABLE) ? "none" : "set");
	stack_t mine = { .ss_sp = alt_mem, .ss_size = sizeof(alt_mem) };
	struct sigaction sa = { .sa_handler = on_alt, .sa_flags = SA_ONSTACK };
	if (sigaltstack(&mine, NULL) == 0 && sigaction(SIGUSR2, &sa, NULL) == 0)
		pthread_kill(pthread_self(), SIGUSR2);
	printf("threadstate handler %s\n", alt_hit == 1 ? "on its stack" : alt_hit == 2 ? "elsewhere" : "not run");
	return NULL;
}

/* systrap starts a thread with one rt_sigreturn of a frame it builds (its
 * parent's FP state, an empty host mask, its signal stack). */
static int case_threadstate(void)
{
	unsigned mxcsr = 0x1f80 | (2u << 13) | 0x8000; /* round up, flush to zero */
	unsigned short cw = 0x037f & ~0x0300;		 /* single precision */
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("fldcw %0" : : "m"(cw));
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	/* (syscalls enough for systrap to let this thread go untraced, so
	 * that its clones come from its handler) */
	for (int i = 0; i < 64; i++)
		syscall(SYS_getppid);
	for (int i = 0; i < 3; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, state_thread, NULL) != 0 || pthread_join(t, NULL) != 0)
			printf("threadstate: no thread\n");
		alt_hit = 0;
	}
	return 0;
}

/* The attacker runs in a child; the parent reports how it ended and that
 * it can still make syscalls itself. */
static int case_stub(const char *op)
{
	fflush(stdout);
	pid_t me = getpid(), parent = getppid();
	pid_t c = fork();
	if (c == 0) {
		long r = 0;
		if (!strcmp(op, "munmap"))
			r = munmap((void *)STUB, 0x1000);
		else if (!strcmp(op, "mprotect"))
			r = mprotect((void *)STUB, 0x1000, PROT_NONE);
		else if (!strcmp(op, "mremap"))
			r = (long)mremap((void *)STUB, 0x1000, 0x1000, MREMAP_MAYMOVE | MREMAP_FIXED,
					 (void *)0x600000000000ULL);
		else if (!strcmp(op, "write")) {
			r = mprotect((void *)STUB, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
			if (r == 0)
				memset((void *)(STUB + 0x100), 0xcc, 0x300); /* int3 over all the code */
		}
		/* the platform must survive whatever comes next */
		for (int i = 0; i < 100; i++)
			getppid();
		void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		(void)m;
		_exit(r == 0 ? 3 : 4);
	}
	int st = 0;
	pid_t w = waitpid(c, &st, 0);
	int alive = getppid() == parent && getpid() == me;
	printf("stub %s child %s parent %s\n", op,
	       w != c ? "lost" : WIFSIGNALED(st) ? "killed" : WIFEXITED(st) ? (WEXITSTATUS(st) == 4 ? "refused" : "survived") : "?",
	       alive ? "fine" : "broken");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "exit7"))
		return 7;
	if (!strcmp(c, "after-exec"))
		return printf("execthread after exec: %d\n", getpid() > 0), 0;
	if (!strcmp(c, "handler"))
		return case_handler(0);
	if (!strcmp(c, "altstack"))
		return case_handler(1);
	if (!strcmp(c, "badsp"))
		return case_badsp();
	if (!strcmp(c, "threads"))
		return case_threads();
	if (!strcmp(c, "vfork"))
		return case_vfork(argv[0]);
	if (!strcmp(c, "execthread"))
		return case_execthread(argv[0]);
	if (!strcmp(c, "threadstate"))
		return case_threadstate();
	if (!strcmp(c, "threadexit"))
		return case_threadexit();
	if (!strcmp(c, "stub") && argc > 2)
		return case_stub(argv[2]);
	fprintf(stderr, "usage: platform_edges handler|altstack|badsp|threads|vfork|execthread|threadexit|threadstate|stub OP\n");
	return 2;
}
