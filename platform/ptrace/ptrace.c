/*
 * The ptrace platform: every application thread is a host thread traced by
 * the sentry's one thread.
 *
 * Stops. The application filter reports the syscalls the sentry serves with
 * SECCOMP_RET_TRACE, so each costs exactly one ptrace stop
 * (PTRACE_EVENT_SECCOMP); the ones allowed natively (anonymous memory,
 * futex, clocks) never stop. PTRACE_SYSEMU, the classic choice, stops at
 * every syscall before seccomp runs, so nothing could run natively; the
 * filter-driven stop gives the same one-stop cost for emulated calls. A
 * served syscall is skipped by setting orig_rax to -1 with its result in
 * rax before resuming.
 *
 * Events reach the sentry's event loop through a signalfd for SIGCHLD (the
 * kernel notifies the tracer of every tracee stop with it); the loop then
 * drains waitpid(-1, WNOHANG|__WALL). Synchronous operations (injection)
 * wait for one task with waitpid(-1) too and keep the other tasks' events
 * in a stash, which the loop processes before asking the kernel again.
 *
 * Injection. At a seccomp stop the pending syscall is simply replaced
 * (orig_rax and arguments) and the task resumed with PTRACE_SYSCALL: the
 * kernel re-checks the filter, runs it, and reports a syscall-exit stop.
 * From any other stop the task is pointed at the stub's syscall
 * instruction and goes through entry (and seccomp) stops first.
 *
 * CPU placement. A stop wakes the sentry and a resume wakes the task:
 * when the two run on different CPUs every syscall pays two cross-CPU
 * wake-ups, which cost tens of microseconds on a virtual machine (getppid
 * in `moat do`: 56 us unpinned, 9.4 us with the sentry and the task on
 * one CPU, on the 2-vCPU machine of tests/bench/sandbox.sh). So the
 * sentry's thread is pinned to its CPU and tasks start on that CPU too;
 * a task that computes long between syscalls is let go to every CPU moat
 * may use, and pinned again once its syscalls come close together (an
 * average of the CPU time from resume to stop, with hysteresis). MOAT_PIN=0 in moat's environment turns this
 * off; it is off when moat may use only one CPU anyway.
 *
 * Address spaces. A task gets a fresh address space by a host execveat of
 * the stub memfd (platform/stub.h); the sentry then builds the
 * application's image in it. The host exec also ends the other threads of
 * the task, as Linux's execve does.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "ns/loop.h"
#include "core.h"
#include "../hostproc.h"
#include "../stub.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif


/* ---- task table ---- */

struct pt_task *pt_lookup(struct pt_platform *p, pid_t tid)
{
	for (struct pt_task *t = p->hash[(unsigned)tid % NBUCKETS]; t; t = t->hnext)
		if (t->base.host_tid == tid)
			return t;
	return NULL;
}

static void hash_add(struct pt_platform *p, struct pt_task *t)
{
	unsigned b = (unsigned)t->base.host_tid % NBUCKETS;
	t->hnext = p->hash[b];
	p->hash[b] = t;
}

void pt_hash_del(struct pt_platform *p, struct pt_task *t)
{
	struct pt_task **pp = &p->hash[(unsigned)t->base.host_tid % NBUCKETS];
	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
}

static struct pt_task *task_new(struct pt_platform *p, pid_t tid)
{
	struct pt_task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->base.plat = &p->base;
	t->base.host_tid = tid;
	t->schedstat_fd = -1;
	t->state = PTS_EVENT;
	t->held = 1;
	t->pidfd = -1;
	t->slot = -1;
	if (p->systrap && st_task_init(t) < 0) {
		free(t);
		return NULL;
	}
	hash_add(p, t);
	return t;
}

/* ---- CPU placement (see the top of the file) ---- */

/* A task whose average run between syscalls passes UNPIN_NS leaves the
 * sentry's CPU; one below PIN_NS comes back. */
#define UNPIN_NS 250000ull
#define PIN_NS 50000ull
#define PLACE_EVERY 4

/* At the first spawn (helpers moat forked before, such as the port
 * forwarder, keep every CPU): pin the sentry's thread where it runs. */
static void place_init(struct pt_platform *p)
{
	if (p->placed)
		return;
	p->placed = 1;
	/* systrap: the task and the sentry poll for each other (systrap.c),
	 * which works only on different CPUs; it pins only where that fails
	 * (its co-location). */
	if (p->systrap)
		return;
	if (pt_placement_allowed(p) && pt_pin_sentry_here(p) == 0)
		p->pin = 1;
}

int pt_placement_allowed(struct pt_platform *p)
{
	const char *env = getenv("MOAT_PIN");
	if (env && !strcmp(env, "0"))
		return 0;
	return sched_getaffinity(0, sizeof(p->all), &p->all) == 0 && CPU_COUNT(&p->all) >= 2;
}

int pt_pin_sentry_here(struct pt_platform *p)
{
	int cpu = sched_getcpu();
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &p->all))
		return -1;
	CPU_ZERO(&p->one);
	CPU_SET(cpu, &p->one);
	return sched_setaffinity(0, sizeof(p->one), &p->one) < 0 ? -1 : 0;
}

uint64_t pt_cputime(struct ptask *pt);

/* A syscall stop of t: account the run that ended, move t if its
 * average crossed a threshold. The run is measured in the thread's CPU
 * time, not wall time: a task that waited for its CPU (busy with the
 * sentry or another task) did not compute, and leaving would not make its
 * syscalls come closer. (The clock stands still while t is stopped, so
 * the reading at one stop is where the next run starts.) */
void pt_place_at_stop(struct pt_platform *p, struct pt_task *t)
{
	if (!p->pin || ++t->stops < PLACE_EVERY)
		return;
	/* (read every PLACE_EVERY stops: the read is a syscall of its own,
	 * a tenth of what the stop costs) */
	unsigned stops = t->stops;
	t->stops = 0;
	uint64_t now = pt_cputime(&t->base);
	if (!now)
		return;
	uint64_t ran = t->cpu_ns && now > t->cpu_ns ? (now - t->cpu_ns) / stops : 0;
	int first = !t->cpu_ns;
	t->cpu_ns = now;
	if (first)
		return;
	t->run_avg_ns = t->run_avg_ns - t->run_avg_ns / 8 + ran / 8;
	int want = t->pinned ? t->run_avg_ns < UNPIN_NS : t->run_avg_ns < PIN_NS;
	if (want == t->pinned)
		return;
	const cpu_set_t *set = want ? &p->one : &p->all;
	if (sched_setaffinity(t->base.host_tid, sizeof(*set), set) == 0)
		t->pinned = want;
}

static void task_free(struct pt_task *t)
{
	if (PT(t->base.plat)->systrap)
		st_task_fini(t);
	if (t->schedstat_fd >= 0)
		close(t->schedstat_fd);
	free(t);
}

/* ---- waiting ---- */

void pt_stash_push(struct pt_platform *p, pid_t tid, int status, struct pt_task *gone)
{
	if (p->stash_len == STASH_MAX) {
		/* Cannot happen with sane task counts; losing an event would
		 * leave a task stopped forever, so say so loudly. */
		fprintf(stderr, "moat: ptrace: event stash full, dropping event of %d\n", tid);
		return;
	}
	struct stash_ev *e = &p->stash[(p->stash_head + p->stash_len++) % STASH_MAX];
	e->tid = tid;
	e->status = status;
	e->gone = gone;
}

static int stash_pop(struct pt_platform *p, struct stash_ev *out)
{
	if (!p->stash_len)
		return 0;
	*out = p->stash[p->stash_head];
	p->stash_head = (p->stash_head + 1) % STASH_MAX;
	p->stash_len--;
	return 1;
}

/* Take the stashed event of `tid`, if any. */
static int stash_take(struct pt_platform *p, pid_t tid, int *status)
{
	for (unsigned i = 0; i < p->stash_len; i++) {
		struct stash_ev *e = &p->stash[(p->stash_head + i) % STASH_MAX];
		if (e->tid == tid && !e->gone) {
			*status = e->status;
			/* close the gap */
			for (unsigned j = i; j + 1 < p->stash_len; j++)
				p->stash[(p->stash_head + j) % STASH_MAX] =
					p->stash[(p->stash_head + j + 1) % STASH_MAX];
			p->stash_len--;
			return 1;
		}
	}
	return 0;
}

/* Block until `tid` has an event; other tasks' events are stashed. */
int pt_wait_tid(struct pt_platform *p, pid_t tid, int *status)
{
	if (stash_take(p, tid, status))
		return 0;
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == tid) {
			*status = st;
			return 0;
		}
		pt_stash_push(p, w, st, NULL);
	}
}

int pt_getregs(struct pt_task *t)
{
	if (ptrace(PTRACE_GETREGS, t->base.host_tid, 0, &t->hregs) < 0)
		return -errno;
	return 0;
}

int pt_setregs(struct pt_task *t, const struct user_regs_struct *r)
{
	if (ptrace(PTRACE_SETREGS, t->base.host_tid, 0, r) < 0)
		return -errno;
	t->hregs = *r;
	return 0;
}

/* The stop is done with: the app regs become the host regs. */
static void load_app_regs(struct pt_task *t)
{
	t->base.regs = t->hregs;
	t->base.regs_dirty = 0;
}

/* ---- injection ---- */

static void set_args(struct user_regs_struct *r, const uint64_t a[6])
{
	r->rdi = a[0];
	r->rsi = a[1];
	r->rdx = a[2];
	r->r10 = a[3];
	r->r8 = a[4];
	r->r9 = a[5];
}

struct inj_events {
	pid_t child; /* from PTRACE_EVENT_CLONE/FORK/VFORK */
	int exec_seen;
};

/*
 * Resume t with PTRACE_SYSCALL until its syscall-exit stop. `entry_pending`
 * says whether a syscall-entry stop comes first (injection from a
 * non-syscall stop). Returns 0 at the exit stop, -ESRCH if the task died
 * (its death is stashed for the loop), -EFAULT on a fault.
 */
/*
 * An injected syscall must be exactly the one we set up, made from the
 * instruction we pointed the task at. The application can rewrite its
 * copy of the stub (it owns its memory); if it did, the task would run its
 * own code under our PTRACE_SYSCALL, where its syscalls would be let
 * through. So every syscall stop during an injection is checked, and a
 * task that subverted the stub is killed.
 */
static int injected_ok(struct pt_task *t, long nr, uint64_t rip)
{
	if (pt_getregs(t) < 0)
		return 0;
	return (long)t->hregs.orig_rax == nr && (!rip || t->hregs.rip == rip);
}

static void subverted(struct pt_task *t)
{
	syscall(SYS_tkill, t->base.host_tid, SIGKILL);
}

static int run_to_exit(struct pt_platform *p, struct pt_task *t, int entry_pending, struct inj_events *ev,
		       long nr, uint64_t rip)
{
	/* systrap: the filter traces every syscall made at the injection
	 * point, so the first leg needs no syscall-entry stop: PTRACE_CONT to
	 * the seccomp stop, then PTRACE_SYSCALL to the exit (two stops, not
	 * three). */
	int cont = p->systrap && entry_pending;
	for (;;) {
		if (ptrace(cont ? PTRACE_CONT : PTRACE_SYSCALL, t->base.host_tid, 0, 0) < 0)
			return -errno;
		t->state = PTS_RUNNING;
		int st;
		int r = pt_wait_tid(p, t->base.host_tid, &st);
		if (r < 0)
			return r;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			pt_stash_push(p, t->base.host_tid, st, NULL);
			t->state = PTS_GONE;
			return -ESRCH;
		}
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st), event = st >> 16;
		if (sig == (SIGTRAP | 0x80)) {
			if (entry_pending) {
				entry_pending = 0;
				if (!injected_ok(t, nr, rip)) {
					subverted(t);
					return -EFAULT;
				}
				continue;
			}
			t->state = PTS_SYSCALL_EXIT;
			return pt_getregs(t);
		}
		if (event == PTRACE_EVENT_SECCOMP) {
			/* re-checked as allowed when resumed: only ours */
			if (!injected_ok(t, nr, rip)) {
				subverted(t);
				return -EFAULT;
			}
			if (cont)
				cont = entry_pending = 0;
			continue;
		}
		if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
		    event == PTRACE_EVENT_VFORK) {
			unsigned long msg = 0;
			ptrace(PTRACE_GETEVENTMSG, t->base.host_tid, 0, &msg);
			if (ev)
				ev->child = (pid_t)msg;
			continue;
		}
		if (event == PTRACE_EVENT_EXEC) {
			unsigned long former = 0;
			ptrace(PTRACE_GETEVENTMSG, t->base.host_tid, 0, &former);
			if (ev)
				ev->exec_seen = 1;
			(void)former;
			continue;
		}
		if (event == PTRACE_EVENT_STOP) {
			t->interrupt_pending = 0;
			continue;
		}
		/* SIGCHLD of a host child (a process made from outside was
		 * forked from this task, and has ended) means nothing here, as
		 * outside injections (signal_fault): let the injection go on.
		 * It used to fail the injection (EFAULT). */
		if (sig == SIGCHLD)
			continue;
		/* systrap: a syscall made there that was not ours (the filter
		 * traps all but the injection point's). */
		if (sig == SIGSYS) {
			subverted(t);
			return -EFAULT;
		}
		/* A signal while injecting: the injected code faulted. Discard
		 * it; the caller restores the registers. */
		/* systrap: its interrupt (SIGUSR2, sent while the task ran)
		 * reached a task the sentry holds: it is stopped already, as
		 * the interrupt wanted. It used to fail the injection (EFAULT:
		 * a fork that failed under a storm of signals). */
		if (p->systrap && sig == SIGUSR2) {
			t->interrupt_pending = 0;
			continue;
		}
		t->state = PTS_SIGNAL;
		pt_getregs(t);
		return -EFAULT;
	}
}

long pt_syscall(struct ptask *pt, long nr, const uint64_t args[6])
{
	struct pt_task *t = PTT(pt);
	struct pt_platform *p = PT(pt->plat);
	if (t->state == PTS_RUNNING || t->state == PTS_GONE)
		return -ESRCH;
	struct user_regs_struct r = t->hregs;
	int entry = 0;
	if (t->state == PTS_SECCOMP) {
		r.orig_rax = (uint64_t)nr;
	} else {
		r.rip = STUB_INJECT;
		r.rax = (uint64_t)nr;
		r.orig_rax = (uint64_t)-1;
		entry = 1;
	}
	set_args(&r, args);
	int e = pt_setregs(t, &r);
	if (e < 0)
		return e;
	/* The application registers must be restored before it runs. */
	pt->regs_dirty = 1;
	e = run_to_exit(p, t, entry, NULL, nr, entry ? STUB_INJECT + 2 : 0);
	if (e < 0)
		return e;
	return (long)t->hregs.rax;
}

int pt_clone(struct ptask *pt, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
		    uint64_t tls, struct ptask **child_out, pid_t *ns_tid)
{
	struct pt_task *t = PTT(pt);
	struct pt_platform *p = PT(pt->plat);
	if (t->state == PTS_RUNNING || t->state == PTS_GONE)
		return -ESRCH;
	/* The child gets the registers the parent has at the syscall: from a
	 * syscall stop, the application's own (a fork of the sandbox). From
	 * any other stop (a process made from outside, spawn.c, whose child
	 * is exec'd before it runs), the stub's injection point: the task may
	 * have stopped anywhere, and the bytes before its rip are not a
	 * syscall instruction (taking them for one killed the donor as
	 * "subverted"). */
	struct user_regs_struct r;
	int entry = 0;
	if (t->state == PTS_SECCOMP) {
		r = t->hregs;
		r.orig_rax = SYS_clone;
	} else {
		r = pt->regs;
		r.rip = STUB_INJECT;
		r.rax = SYS_clone;
		r.orig_rax = (uint64_t)-1;
		entry = 1;
	}
	uint64_t a[6] = { flags, stack, ptid, ctid, tls, 0 };
	set_args(&r, a);
	int e = pt_setregs(t, &r);
	if (e < 0)
		return e;
	pt->regs_dirty = 1;
	struct inj_events ev = { 0 };
	e = run_to_exit(p, t, entry, &ev, SYS_clone, entry ? STUB_INJECT + 2 : 0);
	if (e < 0)
		return e;
	long res = (long)t->hregs.rax;
	if (res < 0)
		return (int)res;
	if (ev.child <= 0)
		return -EIO;
	int st;
	e = pt_wait_tid(p, ev.child, &st);
	if (e < 0)
		return e;
	if (!WIFSTOPPED(st)) {
		/* Died before its first stop (killed meanwhile). */
		return -EAGAIN;
	}
	struct pt_task *c = task_new(p, ev.child);
	if (!c) {
		syscall(SYS_tkill, ev.child, SIGKILL);
		return -ENOMEM;
	}
	c->state = PTS_EVENT;
	c->pinned = t->pinned; /* the host clone copied the parent's affinity */
	c->run_avg_ns = t->run_avg_ns;
	if (pt_getregs(c) < 0) {
		pt_hash_del(p, c);
		task_free(c);
		return -ESRCH;
	}
	load_app_regs(c);
	*child_out = &c->base;
	*ns_tid = (pid_t)res;
	return 0;
}

static int chan_drain(struct pt_platform *p)
{
	for (;;) {
		char buf[16];
		char cbuf[CMSG_SPACE(sizeof(int) * 8)];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(p->chan[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
				int *fds = (int *)CMSG_DATA(c);
				for (int i = 0; i < nfd; i++)
					close(fds[i]);
			}
		}
	}
	p->chan_dirty = 0;
	return 0;
}

/* Give pt copies of n (1 or 2) host fds, received in one recvmsg: the
 * task's lowest free numbers, in order. out[] gets their numbers. */
int pt_install_fds(struct ptask *pt, const int *hostfds, int n, int *out)
{
	struct pt_platform *p = PT(pt->plat);
	if (n < 1 || n > 2)
		return -EINVAL;
	if (p->chan_dirty)
		chan_drain(p);
	uint64_t seq = ++p->chan_seq;
	char cbuf[CMSG_SPACE(sizeof(int) * 2)];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { &seq, sizeof(seq) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), hostfds, sizeof(int) * (size_t)n);
	if (sendmsg(p->chan[0], &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;

	/* recvmsg in the task, with its msghdr in the scratch page:
	 *   +0 msghdr, +64 iovec, +96 data (8), +128 control (24) */
	struct {
		struct msghdr m;
		uint8_t pad0[64 - sizeof(struct msghdr)];
		struct iovec iov;
		uint8_t pad1[32 - sizeof(struct iovec)];
		uint64_t data;
		uint8_t pad2[24];
		uint8_t ctl[CMSG_SPACE(sizeof(int) * 2)];
	} s;
	memset(&s, 0, sizeof(s));
	s.iov.iov_base = (void *)(PLATFORM_SCRATCH + 96);
	s.iov.iov_len = sizeof(uint64_t);
	s.m.msg_iov = (struct iovec *)(PLATFORM_SCRATCH + 64);
	s.m.msg_iovlen = 1;
	s.m.msg_control = (void *)(PLATFORM_SCRATCH + 128);
	s.m.msg_controllen = sizeof(s.ctl);
	_Static_assert(offsetof(__typeof__(s), iov) == 64, "layout");
	_Static_assert(offsetof(__typeof__(s), data) == 96, "layout");
	_Static_assert(offsetof(__typeof__(s), ctl) == 128, "layout");
	if (pt->plat->ops->write(pt, PLATFORM_SCRATCH, &s, sizeof(s)) != (ssize_t)sizeof(s)) {
		p->chan_dirty = 1;
		return -EFAULT;
	}
	uint64_t a[6] = { STUB_FD_CHAN, PLATFORM_SCRATCH, MSG_CMSG_CLOEXEC | MSG_DONTWAIT, 0, 0, 0 };
	long r = pt_syscall(pt, SYS_recvmsg, a);
	if (r < 0) {
		p->chan_dirty = 1;
		return (int)r;
	}
	if (pt->plat->ops->read(pt, &s, PLATFORM_SCRATCH, sizeof(s)) != (ssize_t)sizeof(s)) {
		p->chan_dirty = 1;
		return -EFAULT;
	}
	struct cmsghdr *rc = (struct cmsghdr *)s.ctl;
	int fds[2] = { -1, -1 };
	if (rc->cmsg_level == SOL_SOCKET && rc->cmsg_type == SCM_RIGHTS &&
	    rc->cmsg_len == CMSG_LEN(sizeof(int) * (size_t)n))
		memcpy(fds, CMSG_DATA(rc), sizeof(int) * (size_t)n);
	if (fds[0] >= 0 && s.data != seq) {
		/* A stale message from an earlier failed hand-over. */
		for (int i = 0; i < 2; i++) {
			uint64_t ca[6] = { (uint64_t)fds[i], 0, 0, 0, 0, 0 };
			if (fds[i] >= 0)
				pt_syscall(pt, SYS_close, ca);
		}
		p->chan_dirty = 1;
		return -EAGAIN;
	}
	if (fds[0] < 0 || (n == 2 && fds[1] < 0))
		return -EIO;
	memcpy(out, fds, sizeof(int) * (size_t)n);
	return 0;
}

int pt_install_fd(struct ptask *pt, int hostfd)
{
	int fd;
	int e = pt_install_fds(pt, &hostfd, 1, &fd);
	return e < 0 ? e : fd;
}

/* ---- memory and registers ---- */

ssize_t pt_read(struct ptask *pt, void *dst, uint64_t addr, size_t len)
{
	struct iovec l = { dst, len };
	struct iovec r = { (void *)addr, len };
	ssize_t n = process_vm_readv(pt->host_tid, &l, 1, &r, 1, 0);
	return n < 0 ? -errno : n;
}

ssize_t pt_write(struct ptask *pt, uint64_t addr, const void *src, size_t len)
{
	struct iovec l = { (void *)src, len };
	struct iovec r = { (void *)addr, len };
	ssize_t n = process_vm_writev(pt->host_tid, &l, 1, &r, 1, 0);
	return n < 0 ? -errno : n;
}

int pt_get_fpregs(struct ptask *pt, void *buf, size_t *len)
{
	struct iovec iov = { buf, *len };
	if (ptrace(PTRACE_GETREGSET, pt->host_tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	*len = iov.iov_len;
	return 0;
}

int pt_set_fpregs(struct ptask *pt, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	if (ptrace(PTRACE_SETREGSET, pt->host_tid, (void *)NT_X86_XSTATE, &iov) < 0)
		return -errno;
	return 0;
}

int pt_resume(struct ptask *pt)
{
	struct pt_task *t = PTT(pt);
	if (t->state == PTS_RUNNING)
		return 0;
	if (t->state == PTS_GONE)
		return -ESRCH;
	if (pt->regs_dirty) {
		int e = pt_setregs(t, &pt->regs);
		if (e < 0)
			return e;
		pt->regs_dirty = 0;
	}
	if (ptrace(PTRACE_CONT, pt->host_tid, 0, 0) < 0)
		return -errno;
	t->state = PTS_RUNNING;
	return 0;
}

static int pt_interrupt(struct ptask *pt)
{
	struct pt_task *t = PTT(pt);
	if (t->state != PTS_RUNNING || t->interrupt_pending)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, pt->host_tid, 0, 0) < 0)
		return -errno;
	t->interrupt_pending = 1;
	return 0;
}

void pt_kill(struct ptask *pt)
{
	syscall(SYS_tkill, pt->host_tid, SIGKILL);
}

/* The host thread's CPU time in ns, 0 if unknown. A thread CPU clock
 * (clock_gettime) only answers for threads of the caller's own thread
 * group, so read the scheduler's account in /proc/TID/schedstat (its first
 * field), through a descriptor kept open per task. */
uint64_t pt_cputime(struct ptask *pt)
{
	struct pt_task *t = PTT(pt);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (t->schedstat_fd < 0) {
			char path[64];
			snprintf(path, sizeof(path), "%d/schedstat", (int)pt->host_tid);
			t->schedstat_fd = hostproc_open(path, O_RDONLY);
			if (t->schedstat_fd < 0)
				return 0;
		}
		char buf[96];
		ssize_t n = pread(t->schedstat_fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = 0;
			return strtoull(buf, NULL, 10);
		}
		/* (a thread that ran execve took its leader's tid) */
		close(t->schedstat_fd);
		t->schedstat_fd = -1;
	}
	return 0;
}

/* ---- fresh address spaces ---- */

/* After the stub's entry trap: learn the vDSO, hwcaps and stack top. */
static int read_image(struct pt_task *t, struct pimage *img)
{
	memset(img, 0, sizeof(*img));
	uint64_t sp = t->hregs.rsp;
	uint64_t buf[512];
	ssize_t n = pt_read(&t->base, buf, sp, sizeof(buf));
	if (n < 64)
		return -EFAULT;
	size_t words = (size_t)n / 8, i = 1 + buf[0]; /* skip argc, argv */
	if (i >= words)
		return -EFAULT;
	i++; /* argv NULL */
	while (i < words && buf[i])
		i++;
	i++; /* envp NULL */
	for (; i + 1 < words && buf[i] != AT_NULL; i += 2) {
		switch (buf[i]) {
		case AT_SYSINFO_EHDR:
			img->vdso = buf[i + 1];
			break;
		case AT_HWCAP:
			img->hwcap = buf[i + 1];
			break;
		case AT_HWCAP2:
			img->hwcap2 = buf[i + 1];
			break;
		case AT_MINSIGSTKSZ:
			img->minsigstksz = buf[i + 1];
			break;
		}
	}
	/* The end of the stack mapping: read page by page until it faults. */
	uint64_t page = sp & ~0xfffULL;
	static char probe[4096 * 64];
	struct iovec l = { probe, sizeof(probe) };
	struct iovec r[64];
	for (int k = 0; k < 64; k++) {
		r[k].iov_base = (void *)(page + (uint64_t)k * 4096);
		r[k].iov_len = 4096;
	}
	n = process_vm_readv(t->base.host_tid, &l, 1, r, 64, 0);
	if (n <= 0)
		return -EFAULT;
	img->stack_top = page + ((uint64_t)n & ~0xfffULL);
	return 0;
}

/* Resume until the stub's ready trap; the task is then in a seccomp stop.
 * `first`: the first task, whose own execveat of the stub comes first;
 * any other syscall before the trap means the image is not ours. */
static int sig_is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS ||
	       sig == (SIGTRAP | 0x80);
}

static int run_to_ready(struct pt_platform *p, struct pt_task *t, int first)
{
	for (;;) {
		int st;
		int e = pt_wait_tid(p, t->base.host_tid, &st);
		if (e < 0)
			return e;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			pt_stash_push(p, t->base.host_tid, st, NULL);
			t->state = PTS_GONE;
			return -ESRCH;
		}
		int event = st >> 16;
		if (event == PTRACE_EVENT_SECCOMP) {
			if (pt_getregs(t) < 0)
				return -ESRCH;
			if (t->hregs.rip == STUB_READY_RIP && t->hregs.orig_rax == SYS_getpid) {
				t->state = PTS_SECCOMP;
				return 0;
			}
			if (!first || t->hregs.orig_rax != SYS_execveat) {
				subverted(t);
				return -EFAULT;
			}
			/* The first task's own execveat of the stub: let it run. */
		} else if (event == PTRACE_EVENT_STOP) {
			t->interrupt_pending = 0;
		} else if (p->systrap && event == 0 && WSTOPSIG(st) == SIGSYS) {
			/* systrap: the ready trap is the filter's SIGSYS (the
			 * image has no handler yet); resuming discards it. */
			if (pt_getregs(t) < 0)
				return -ESRCH;
			if (t->hregs.rip == STUB_READY_RIP && t->hregs.rax == SYS_getpid) {
				t->state = PTS_SIGNAL;
				return 0;
			}
			return -EFAULT;
		} else if (p->systrap && event == 0 && WSTOPSIG(st) == SIGUSR2) {
			t->interrupt_pending = 0; /* its interrupt: discarded */
		} else if (event == 0 && !sig_is_fault(WSTOPSIG(st))) {
			/* Not a fault: a host child's end (a shell that execs
			 * after forking), a native CPU-time timer's tick that
			 * outlived the exec. Discarded: the image does not
			 * exist yet to take it. */
		} else if (event == 0 && WSTOPSIG(st) != SIGTRAP && WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			/* A real signal before the image exists: a fault. */
			return -EFAULT;
		}
		if (ptrace(PTRACE_CONT, t->base.host_tid, 0, 0) < 0)
			return -errno;
	}
}

/* pt_exec_reset's work; *seen once the host exec has happened. */
static int exec_reset_run(struct ptask *pt, struct pimage *img, int *seen)
{
	struct pt_task *t = PTT(pt);
	struct pt_platform *p = PT(pt->plat);
	if (t->state == PTS_RUNNING || t->state == PTS_GONE)
		return -ESRCH;
	struct user_regs_struct r = t->hregs;
	int entry = 0;
	if (t->state == PTS_SECCOMP) {
		r.orig_rax = SYS_execveat;
	} else {
		r.rip = STUB_INJECT;
		r.rax = SYS_execveat;
		r.orig_rax = (uint64_t)-1;
		entry = 1;
	}
	uint64_t a[6] = { STUB_FD_STUB, STUB_EMPTY, STUB_ARGV, STUB_ENVP, AT_EMPTY_PATH, 0 };
	set_args(&r, a);
	int e = pt_setregs(t, &r);
	if (e < 0)
		return e;
	pt->regs_dirty = 1;
	struct inj_events ev = { 0 };
	pid_t old_tid = pt->host_tid;
	/* If a non-leader thread execs, it takes over the leader's id; the
	 * kernel reports the exec under the new id. Learn it from the
	 * PTRACE_EVENT_EXEC stop, which precedes the syscall-exit stop. */
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pt->host_tid, 0, 0) < 0)
			return -errno;
		t->state = PTS_RUNNING;
		int st;
		pid_t w;
		for (;;) {
			w = waitpid(-1, &st, __WALL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			if (w == pt->host_tid)
				break;
			if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_EXEC) {
				unsigned long former = 0;
				ptrace(PTRACE_GETEVENTMSG, w, 0, &former);
				if ((pid_t)former == old_tid) {
					/* We are now w. The old leader vanished. */
					struct pt_task *leader = pt_lookup(p, w);
					if (leader) {
						pt_hash_del(p, leader);
						leader->state = PTS_GONE;
						if (p->systrap)
							st_task_fini(leader);
						pt_stash_push(p, w, 0, leader);
					}
					pt_hash_del(p, t);
					t->in_handler = 0;
					pt->host_tid = w;
					hash_add(p, t);
					if (p->systrap)
						st_retid(t);
					break;
				}
			}
			pt_stash_push(p, w, st, NULL);
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			pt_stash_push(p, pt->host_tid, st, NULL);
			t->state = PTS_GONE;
			return -ESRCH;
		}
		int sig = WSTOPSIG(st), event = st >> 16;
		if (event == PTRACE_EVENT_EXEC) {
			ev.exec_seen = 1;
			*seen = 1;
			t->in_handler = 0; /* systrap: the handler's frame is gone */
			continue;
		}
		if (sig == (SIGTRAP | 0x80)) {
			if (entry) {
				entry = 0;
				if (!injected_ok(t, SYS_execveat, STUB_INJECT + 2)) {
					subverted(t);
					return -EFAULT;
				}
				continue;
			}
			t->state = PTS_SYSCALL_EXIT;
			if (pt_getregs(t) < 0)
				return -ESRCH;
			long res = (long)t->hregs.rax;
			if (res < 0 && !ev.exec_seen)
				return (int)res;
			break;
		}
		if (event == PTRACE_EVENT_STOP) {
			t->interrupt_pending = 0;
			continue;
		}
		if (event == PTRACE_EVENT_SECCOMP) {
			if (!ev.exec_seen && !injected_ok(t, SYS_execveat, entry ? 0 : 0)) {
				subverted(t);
				return -EFAULT;
			}
			continue;
		}
		if (sig == SIGCHLD)
			continue; /* a host child's end: meaningless here */
		if (p->systrap && sig == SIGUSR2) {
			t->interrupt_pending = 0; /* (as in run_to_exit) */
			continue;
		}
		/* A fault at the stub (it was unmapped by the application). */
		t->state = PTS_SIGNAL;
		pt_getregs(t);
		return -EFAULT;
	}
	/* Run the fresh image to its ready trap. */
	if (ptrace(PTRACE_CONT, pt->host_tid, 0, 0) < 0)
		return -errno;
	t->state = PTS_RUNNING;
	e = run_to_ready(p, t, 0);
	if (e < 0)
		return e;
	load_app_regs(t);
	return read_image(t, img);
}

int pt_exec_reset(struct ptask *pt, struct pimage *img)
{
	int seen = 0;
	int e = exec_reset_run(pt, img, &seen);
	/* (past the host exec there is no old image to go back to) */
	return e < 0 && e != -ESRCH && seen ? -PLATFORM_ELOST : e;
}

/* ---- the first task ---- */

struct child_args {
	int go;
	int chan;
	int stub;
	struct sock_fprog *prog;
	const struct sock_fprog *app_prog; /* the container's profile, or NULL */
};

static void child_fail(const char *what)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "moat: sandbox task setup: %s: %s\n", what, strerror(errno));
	if (write(2, buf, (size_t)n) < 0) {
	}
	_exit(126);
}

static __attribute__((noreturn)) void child_main(struct child_args *a)
{
	char c;
	if (read(a->go, &c, 1) != 1)
		_exit(126);
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		child_fail("setgroups");
	if (setresgid(0, 0, 0) < 0)
		child_fail("setresgid");
	if (setresuid(0, 0, 0) < 0)
		child_fail("setresuid");
	/* After the id changes, which clear it. This task is the pid
	 * namespace's init: when it dies, every task does. (ptrace's
	 * PTRACE_O_EXITKILL covers traced tasks too; systrap's are traced
	 * only now and then.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail("PR_SET_PDEATHSIG");
	prctl(PR_SET_DUMPABLE, 1);
	/* Host fds of every task: the channel at 0, the stub at 1. */
	int chan = fcntl(a->chan, F_DUPFD, 100);
	int stub = fcntl(a->stub, F_DUPFD, 100);
	if (chan < 0 || stub < 0 || dup2(chan, STUB_FD_CHAN) < 0 || dup2(stub, STUB_FD_STUB) < 0)
		child_fail("dup2");
	/* Keep stderr for reporting setup errors until the exec. */
	int err = fcntl(2, F_DUPFD_CLOEXEC, 100);
	if (syscall(SYS_close_range, 2, ~0U, 0) < 0)
		child_fail("close_range");
	if (err >= 0)
		dup3(err, 2, O_CLOEXEC), close(err);
	/* Nothing of the host's file system for a task: its root becomes an
	 * empty read-only tmpfs (in its own mount namespace; chroot, as the
	 * host's mounts are locked in it). A task makes no path syscall of its
	 * own, and the sentry, reading /proc/TID/root, finds nothing there. */
	if (mount("moat-task", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=1,mode=0555") < 0)
		child_fail("an empty root");
	if (chdir("/proc") < 0 || chroot(".") < 0 || chdir("/") < 0)
		child_fail("chroot");
	/* Out of moat's session: a terminal's signals are moat's to forward,
	 * never the host's to deliver to a task. */
	setsid();
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail("PR_SET_NO_NEW_PRIVS");
	/* The container's profile first: once the platform's filter is in,
	 * this very call would be a syscall for the sentry. (All filters run
	 * on every call whatever their order; the strictest action wins.) */
	if (a->app_prog && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, a->app_prog) < 0)
		child_fail("the container's seccomp profile");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, a->prog) < 0)
		child_fail("seccomp");
	/* From here every syscall but the native ones stops at the sentry. */
	syscall(SYS_execveat, STUB_FD_STUB, "", (char *[]){ "moat-stub", NULL }, (char *[]){ NULL },
		AT_EMPTY_PATH);
	_exit(127);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

int pt_spawn(struct platform *pl, struct ptask **out, struct pimage *img)
{
	struct pt_platform *p = PT(pl);
	place_init(p);
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	struct child_args a = { go[0], p->chan[1], p->stubfd, &p->filter, pl->cfg.app_filter };
	long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
					      CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD,
			   0, 0, 0, 0);
	if (pid < 0) {
		int e = -errno;
		close(go[0]);
		close(go[1]);
		return e;
	}
	if (pid == 0)
		child_main(&a);
	close(go[0]);
	int e = 0;
	long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE |
		    PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD;
	if (ptrace(PTRACE_SEIZE, (pid_t)pid, 0, opts) < 0)
		e = -errno;
	char path[64], map[64];
	if (!e) {
		snprintf(path, sizeof(path), "/proc/%ld/uid_map", pid);
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)pl->cfg.uid);
		e = write_file(path, map);
	}
	if (!e && getuid() != 0) {
		snprintf(path, sizeof(path), "/proc/%ld/setgroups", pid);
		write_file(path, "deny\n");
	}
	if (!e) {
		snprintf(path, sizeof(path), "/proc/%ld/gid_map", pid);
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)pl->cfg.gid);
		e = write_file(path, map);
	}
	struct pt_task *t = e ? NULL : task_new(p, (pid_t)pid);
	if (!e && !t)
		e = -ENOMEM;
	if (e) {
		kill((pid_t)pid, SIGKILL);
		close(go[1]);
		waitpid((pid_t)pid, NULL, __WALL);
		return e;
	}
	t->state = PTS_RUNNING;
	t->pinned = p->pin; /* forked from the (pinned) sentry */
	if (write(go[1], "g", 1) != 1)
		e = -EIO;
	close(go[1]);
	if (!e)
		e = run_to_ready(p, t, 1);
	if (!e)
		e = read_image(t, img);
	if (e) {
		kill((pid_t)pid, SIGKILL);
		/* Reap it here so the loop never sees a task it doesn't know. */
		int st;
		while (t->state != PTS_GONE && pt_wait_tid(p, (pid_t)pid, &st) == 0 &&
		       !(WIFEXITED(st) || WIFSIGNALED(st)))
			;
		int dummy;
		stash_take(p, (pid_t)pid, &dummy);
		pt_hash_del(p, t);
		task_free(t);
		return e;
	}
	load_app_regs(t);
	*out = &t->base;
	return 0;
}

/* ---- the event loop side ---- */

static void report(struct pt_platform *p, struct pt_task *t, struct pstop *st)
{
	p->base.cfg.stop_fn(p->base.cfg.stop_ctx, &t->base, st);
}

void pt_report_gone(struct pt_platform *p, struct pt_task *t, int status)
{
	struct pstop st;
	memset(&st, 0, sizeof(st));
	t->state = PTS_GONE;
	st.kind = PSTOP_EXITED;
	st.status = status;
	report(p, t, &st);
	task_free(t);
}

static void handle_event(struct pt_platform *p, pid_t tid, int status, struct pt_task *gone)
{
	struct pstop st;
	memset(&st, 0, sizeof(st));
	if (gone) {
		pt_report_gone(p, gone, 0);
		return;
	}
	struct pt_task *t = pt_lookup(p, tid);
	if (!t) {
		/* Not ours (yet): can only be a task the sentry killed while
		 * creating it. Never let an unknown task run. */
		if (WIFSTOPPED(status))
			syscall(SYS_tkill, tid, SIGKILL);
		return;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		pt_hash_del(p, t);
		pt_report_gone(p, t, status);
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	int sig = WSTOPSIG(status), event = status >> 16;
	if (event == PTRACE_EVENT_SECCOMP) {
		t->state = PTS_SECCOMP;
		pt_place_at_stop(p, t);
		if (pt_getregs(t) < 0)
			return;
		load_app_regs(t);
		st.kind = PSTOP_SYSCALL;
		report(p, t, &st);
		return;
	}
	if (event == PTRACE_EVENT_STOP) {
		t->state = PTS_EVENT;
		if (!t->interrupt_pending) {
			/* A stop nobody asked for: keep going. */
			pt_resume(&t->base);
			return;
		}
		t->interrupt_pending = 0;
		if (pt_getregs(t) < 0)
			return;
		load_app_regs(t);
		st.kind = PSTOP_INTERRUPT;
		report(p, t, &st);
		return;
	}
	if (event || sig == (SIGTRAP | 0x80)) {
		/* Stray ptrace events (exec/clone outside an injection cannot
		 * happen: the filter reports those syscalls first). */
		t->state = PTS_EVENT;
		ptrace(PTRACE_CONT, tid, 0, 0);
		t->state = PTS_RUNNING;
		return;
	}
	/* Signal-delivery stop: a fault, or a signal from outside. The sentry
	 * decides; the host signal itself is always discarded on resume. */
	t->state = PTS_SIGNAL;
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &st.info) < 0)
		memset(&st.info, 0, sizeof(st.info));
	/* systrap: a traced task's syscall (the filter's SIGSYS) or the
	 * sentry's interrupt arrive here instead of in its mailbox. */
	if (p->systrap && st_traced_stop(t, sig, &st.info))
		return;
	st.info.si_signo = sig;
	if (pt_getregs(t) < 0)
		return;
	load_app_regs(t);
	st.kind = PSTOP_SIGNAL;
	report(p, t, &st);
}

static int drain(struct pt_platform *p)
{
	int n = 0;
	for (;;) {
		struct stash_ev e;
		if (stash_pop(p, &e)) {
			handle_event(p, e.tid, e.status, e.gone);
			n++;
			continue;
		}
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG | __WALL);
		if (w <= 0)
			break;
		handle_event(p, w, st, NULL);
		n++;
	}
	return n;
}

static void on_sigchld(int fd, uint32_t events, void *arg)
{
	(void)events;
	/* Consume the pending SIGCHLD before draining (a stop after the drain
	 * raises it again); one read takes all that can be pending. */
	struct signalfd_siginfo si[16];
	while (read(fd, si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	drain(arg);
}

/* Events stashed outside the SIGCHLD callback (an injection from a timer)
 * would otherwise wait for the next SIGCHLD. */
static int stash_hook(void *arg)
{
	struct pt_platform *p = arg;
	if (!p->stash_len)
		return 0;
	drain(p);
	return p->stash_len > 0;
}

/* The loop's idle check: stops taken during an injection, not yet handled. */
static const char *stash_busy(void *arg)
{
	struct pt_platform *p = arg;
	return p->stash_len ? "task stops are stashed, not yet handled" : NULL;
}

/* A flusher: stops stashed by an injection that ran after stash_hook (a
 * task of the run queue, an fd callback) keep the loop awake; their
 * SIGCHLD is already consumed, so nothing else would wake it (the loop
 * slept until an unrelated timer, and the stops waited as long). */
static int stash_pending(void *arg)
{
	return stash_busy(arg) != NULL;
}

void pt_destroy(struct platform *pl)
{
	struct pt_platform *p = PT(pl);
	for (unsigned b = 0; b < NBUCKETS; b++) {
		for (struct pt_task *t = p->hash[b]; t;) {
			struct pt_task *n = t->hnext;
			syscall(SYS_tkill, t->base.host_tid, SIGKILL);
			task_free(t);
			t = n;
		}
		p->hash[b] = NULL;
	}
	/* Reap whatever is left so nothing outlives us as a zombie. */
	while (waitpid(-1, NULL, __WALL | WNOHANG) > 0)
		;
	if (p->sigfd >= 0) {
		ns_loop_del_fd(p->loop, p->sigfd);
		close(p->sigfd);
	}
	close(p->chan[0]);
	close(p->chan[1]);
	close(p->stubfd);
	free(p->filter.filter);
	free(p);
}

static int pt_create(const struct platform_config *cfg, struct ns_loop *loop, struct platform **out)
{
	return pt_create_mode(cfg, loop, &platform_ptrace_ops, 0, out);
}

const struct platform_ops platform_ptrace_ops = {
	.name = "ptrace",
	.create = pt_create,
	.destroy = pt_destroy,
	.spawn = pt_spawn,
	.exec_reset = pt_exec_reset,
	.syscall = pt_syscall,
	.clone = pt_clone,
	.install_fd = pt_install_fd,
	.read = pt_read,
	.write = pt_write,
	.get_fpregs = pt_get_fpregs,
	.set_fpregs = pt_set_fpregs,
	.resume = pt_resume,
	.interrupt = pt_interrupt,
	.kill = pt_kill,
	.cputime = pt_cputime,
};

int pt_create_mode(const struct platform_config *cfg, struct ns_loop *loop, const struct platform_ops *ops,
		   int systrap, struct platform **out)
{
	struct pt_platform *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->base.ops = ops;
	p->base.cfg = *cfg;
	p->loop = loop;
	p->sigfd = -1;
	p->chan[0] = p->chan[1] = -1;
	p->systrap = systrap;
	int e = systrap ? platform_filter_build_systrap(&p->filter)
			: platform_filter_build(SECCOMP_RET_TRACE, &p->filter);
	if (e < 0)
		goto fail;
	p->stubfd = platform_stub_memfd(systrap);
	if (p->stubfd < 0) {
		e = p->stubfd;
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->chan) < 0) {
		e = -errno;
		goto fail;
	}
	/* Tracee stops arrive as SIGCHLD; take them through the loop. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	p->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p->sigfd < 0) {
		e = -errno;
		goto fail;
	}
	e = ns_loop_add_fd(loop, p->sigfd, EPOLLIN, on_sigchld, p);
	if (e < 0)
		goto fail;
	e = ns_loop_add_hook(loop, stash_hook, p);
	if (e >= 0)
		e = ns_loop_add_flush(loop, stash_pending, p);
	if (e >= 0)
		e = ns_loop_add_idle_check(loop, stash_busy, p);
	if (e < 0)
		goto fail;
	*out = &p->base;
	return 0;
fail:
	if (p->sigfd >= 0) {
		ns_loop_del_fd(loop, p->sigfd);
		close(p->sigfd);
	}
	if (p->chan[0] >= 0) {
		close(p->chan[0]);
		close(p->chan[1]);
	}
	if (p->stubfd > 0)
		close(p->stubfd);
	free(p->filter.filter);
	free(p);
	return e;
}
