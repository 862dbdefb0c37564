/* Sleeping: nanosleep, clock_nanosleep, restart_syscall; POSIX timers;
 * clock setting (refused). The clocks themselves (clock_gettime,
 * gettimeofday, time) run natively or in the vDSO: the sandbox shares the
 * host's clocks. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "syscalls.h"

#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

int get_timespec(struct task *t, uint64_t uaddr, struct timespec *ts)
{
	if (copy_from_user(t, ts, uaddr, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	return 0;
}

uint64_t timespec_ns(const struct timespec *ts)
{
	uint64_t s = (uint64_t)ts->tv_sec;
	if (s > UINT64_MAX / 1000000000ull / 2)
		return UINT64_MAX / 2;
	return s * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static uint64_t clock_now(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t deadline_to_mono(clockid_t clk, uint64_t abs_ns)
{
	if (clk == CLOCK_MONOTONIC)
		return abs_ns;
	uint64_t now = clock_now(clk), mono = kclock_mono();
	return abs_ns > now ? mono + (abs_ns - now) : mono;
}

static int clock_ok(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC || c == CLOCK_BOOTTIME || c == CLOCK_TAI;
}

static long write_rem(struct task *t, uint64_t urem)
{
	if (!urem)
		return 0;
	uint64_t now = kclock_mono();
	uint64_t left = t->sc.deadline > now ? t->sc.deadline - now : 0;
	struct timespec r = { (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
	return copy_to_user(t, urem, &r, sizeof(r)) ? -EFAULT : 0;
}

static long sleep_restart(struct task *t);

/* A relative sleep interrupted by a signal: report the time left, and
 * continue to the same deadline if restarted (restart_syscall). */
static long sleep_intr(struct task *t)
{
	if (write_rem(t, t->sc.u[1]))
		return -EFAULT;
	t->restart.active = 1;
	t->restart.fn = sleep_restart;
	t->restart.deadline = t->sc.deadline;
	t->restart.rmtp = t->sc.u[1];
	return -ERESTART_RESTARTBLOCK;
}

static long sleep_until(struct task *t)
{
	if (t->sc.timed_out || kclock_mono() >= t->sc.deadline)
		return 0;
	t->sc.on_intr = t->sc.u[2] ? NULL : sleep_intr;
	t->sc.intr = -ERESTARTNOHAND; /* absolute sleeps */
	task_wait_until(t, t->sc.deadline);
	return -EPARK;
}

static long sleep_restart(struct task *t)
{
	if (t->sc.rerun == 0) {
		t->sc.deadline = t->restart.deadline;
		t->sc.u[1] = t->restart.rmtp;
		t->sc.u[2] = 0;
		t->restart.active = 0;
	}
	return sleep_until(t);
}

SYSCALL(nanosleep)
{
	if (t->sc.rerun == 0) {
		struct timespec ts;
		int e = get_timespec(t, ARG(0), &ts);
		if (e)
			return e;
		t->sc.deadline = kclock_mono() + timespec_ns(&ts);
		t->sc.u[1] = ARG(1);
		t->sc.u[2] = 0;
	}
	return sleep_until(t);
}

SYSCALL(clock_nanosleep)
{
	clockid_t clk = (clockid_t)ARG(0);
	int flags = (int)ARG(1);
	if (t->sc.rerun == 0) {
		if (clk == CLOCK_THREAD_CPUTIME_ID || clk == CLOCK_PROCESS_CPUTIME_ID)
			return -EOPNOTSUPP; /* CPU-clock sleeps: not supported */
		if (!clock_ok(clk))
			return -EINVAL;
		if (flags & ~TIMER_ABSTIME)
			return -EINVAL;
		struct timespec ts;
		int e = get_timespec(t, ARG(2), &ts);
		if (e)
			return e;
		if (flags & TIMER_ABSTIME) {
			t->sc.deadline = deadline_to_mono(clk, timespec_ns(&ts));
			t->sc.u[2] = 1;
		} else {
			t->sc.deadline = kclock_mono() + timespec_ns(&ts);
			t->sc.u[2] = 0;
		}
		t->sc.u[1] = ARG(3);
	}
	return sleep_until(t);
}

SYSCALL(restart_syscall)
{
	if (t->restart.active && t->restart.fn)
		return t->restart.fn(t);
	/* The host's own restart of a native syscall (a futex wait we
	 * interrupted): let it continue there. */
	return -ENATIVE;
}

/* ---- POSIX timers ----
 *
 * Timers on CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME are the
 * sentry's (on the wheel), so that their signals reach a process whose
 * threads all wait in the sentry. CPU-time clocks only advance while the
 * process runs on the host, so those timers are the host's (their signals
 * come back as host signals with SI_TIMER, see signal_fault). The sentry's
 * timer ids start at TIMER_ID_BASE, far above the host's, and each call is
 * routed by id.
 */
#define TIMER_ID_BASE 0x100000
#define TIMER_MAX 1024

struct ktimer {
	struct ktimer *next;
	struct thread_group *tg;
	int id;
	clockid_t clock;
	struct ns_timer tm;
	uint64_t expires, interval; /* monotonic ns */
	int notify;		    /* SIGEV_* */
	int signo;
	union sigval value;
	pid_t tid;		    /* SIGEV_THREAD_ID */
	int overrun, overrun_last;
};

static void ktimer_fire(struct ns_timer *tm, ns_time_t now)
{
	struct ktimer *kt = ns_container_of(tm, struct ktimer, tm);
	uint64_t missed = 0;
	if (kt->interval) {
		if (now > kt->expires)
			missed = (now - kt->expires) / kt->interval;
		kt->expires += (missed + 1) * kt->interval;
		ns_timer_arm(kt->tg->k->wheel, &kt->tm, kt->expires);
	} else {
		kt->expires = 0;
	}
	if (kt->notify == SIGEV_NONE)
		return;
	kt->overrun_last = (int)(missed > INT32_MAX ? INT32_MAX : missed);
	siginfo_t si;
	siginfo_kernel(&si, kt->signo, SI_TIMER);
	si.si_timerid = kt->id;
	si.si_overrun = kt->overrun_last;
	si.si_value = kt->value;
	struct task *t = kt->notify == SIGEV_THREAD_ID ? task_lookup(kt->tg->k, kt->tid) : NULL;
	if (t && t->tg == kt->tg)
		send_signal_task(t, &si, 0, 0);
	else
		send_signal_tg(kt->tg, kt->signo, &si);
}

static struct ktimer *ktimer_find(struct thread_group *tg, int id)
{
	for (struct ktimer *kt = tg->posix_timers; kt; kt = kt->next)
		if (kt->id == id)
			return kt;
	return NULL;
}

void posix_timers_exit(struct thread_group *tg)
{
	while (tg->posix_timers) {
		struct ktimer *kt = tg->posix_timers;
		tg->posix_timers = kt->next;
		ns_timer_disarm(tg->k->wheel, &kt->tm);
		free(kt);
	}
}

static int cpu_clock(clockid_t c)
{
	return c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID || c < 0;
}

SYSCALL(timer_create)
{
	clockid_t clk = (clockid_t)ARG(0);
	if (cpu_clock(clk))
		return -ENATIVE;
	if (!clock_ok(clk) && clk != CLOCK_REALTIME_ALARM && clk != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	if (ARG(1)) {
		if (copy_from_user(t, &ev, ARG(1), sizeof(ev)))
			return -EFAULT;
	} else {
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGALRM;
	}
	int notify = ev.sigev_notify;
	if (notify != SIGEV_NONE && notify != SIGEV_SIGNAL && notify != SIGEV_THREAD_ID)
		return -EINVAL;
	if (notify != SIGEV_NONE && (ev.sigev_signo < 1 || ev.sigev_signo > NSIG_K))
		return -EINVAL;
	pid_t tid = 0;
	if (notify == SIGEV_THREAD_ID) {
		tid = ev._sigev_un._tid;
		struct task *tt = task_lookup(t->k, tid);
		if (!tt || tt->tg != t->tg)
			return -EINVAL;
	}
	int n = 0;
	for (struct ktimer *kt = t->tg->posix_timers; kt; kt = kt->next)
		n++;
	if (n >= TIMER_MAX)
		return -EAGAIN;
	struct ktimer *kt = calloc(1, sizeof(*kt));
	if (!kt)
		return -ENOMEM;
	kt->tg = t->tg;
	kt->id = TIMER_ID_BASE + t->tg->next_timer_id++;
	kt->clock = clk;
	kt->notify = notify;
	kt->signo = ev.sigev_signo;
	kt->value = ev.sigev_value;
	if (!ARG(1))
		kt->value.sival_int = kt->id;
	kt->tid = tid;
	ns_timer_init(&kt->tm, ktimer_fire);
	int id = kt->id;
	if (copy_to_user(t, ARG(2), &id, sizeof(id))) {
		free(kt);
		return -EFAULT;
	}
	kt->next = t->tg->posix_timers;
	t->tg->posix_timers = kt;
	return 0;
}

static void ktimer_get(struct ktimer *kt, struct itimerspec *v)
{
	memset(v, 0, sizeof(*v));
	if (kt->expires) {
		uint64_t now = kclock_mono();
		uint64_t left = kt->expires > now ? kt->expires - now : 1;
		v->it_value.tv_sec = (time_t)(left / 1000000000ull);
		v->it_value.tv_nsec = (long)(left % 1000000000ull);
	}
	v->it_interval.tv_sec = (time_t)(kt->interval / 1000000000ull);
	v->it_interval.tv_nsec = (long)(kt->interval % 1000000000ull);
}

SYSCALL(timer_settime)
{
	int id = (int)ARG(0);
	if (id >= 0 && id < TIMER_ID_BASE)
		return -ENATIVE;
	struct ktimer *kt = ktimer_find(t->tg, id);
	if (!kt)
		return -EINVAL;
	struct itimerspec nv, ov;
	if (copy_from_user(t, &nv, ARG(2), sizeof(nv)))
		return -EFAULT;
	if (nv.it_value.tv_sec < 0 || nv.it_value.tv_nsec < 0 || nv.it_value.tv_nsec >= 1000000000L ||
	    nv.it_interval.tv_sec < 0 || nv.it_interval.tv_nsec < 0 || nv.it_interval.tv_nsec >= 1000000000L)
		return -EINVAL;
	ktimer_get(kt, &ov);
	ns_timer_disarm(t->k->wheel, &kt->tm);
	uint64_t val = timespec_ns(&nv.it_value);
	kt->interval = timespec_ns(&nv.it_interval);
	if (val) {
		clockid_t base = kt->clock == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME
				 : kt->clock == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME
								     : kt->clock;
		kt->expires = (ARG(1) & TIMER_ABSTIME) ? deadline_to_mono(base, val) : kclock_mono() + val;
		ns_timer_arm(t->k->wheel, &kt->tm, kt->expires);
	} else {
		kt->expires = 0;
	}
	if (ARG(3) && copy_to_user(t, ARG(3), &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

SYSCALL(timer_gettime)
{
	int id = (int)ARG(0);
	if (id >= 0 && id < TIMER_ID_BASE)
		return -ENATIVE;
	struct ktimer *kt = ktimer_find(t->tg, id);
	if (!kt)
		return -EINVAL;
	struct itimerspec v;
	ktimer_get(kt, &v);
	return copy_to_user(t, ARG(1), &v, sizeof(v)) ? -EFAULT : 0;
}

SYSCALL(timer_getoverrun)
{
	int id = (int)ARG(0);
	if (id >= 0 && id < TIMER_ID_BASE)
		return -ENATIVE;
	struct ktimer *kt = ktimer_find(t->tg, id);
	return kt ? kt->overrun_last : -EINVAL;
}

SYSCALL(timer_delete)
{
	int id = (int)ARG(0);
	if (id >= 0 && id < TIMER_ID_BASE)
		return -ENATIVE;
	for (struct ktimer **pp = &t->tg->posix_timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct ktimer *kt = *pp;
			*pp = kt->next;
			ns_timer_disarm(t->k->wheel, &kt->tm);
			free(kt);
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Setting the clocks: the sandbox shares the host's clocks and may not
 * change them (on Linux a user namespace's root lacks CAP_SYS_TIME over
 * the host's time too), so valid requests fail with EPERM after the
 * argument checks Linux makes first; reading the NTP state works.
 */
static int clock_id_valid(clockid_t clk)
{
	return (clk >= CLOCK_REALTIME && clk <= CLOCK_BOOTTIME_ALARM) || clk == CLOCK_TAI;
}

SYSCALL(clock_settime)
{
	clockid_t clk = (clockid_t)ARG(0);
	struct timespec ts;
	if (!clock_id_valid(clk))
		return -EINVAL;
	if (copy_from_user(t, &ts, ARG(1), sizeof(ts)))
		return -EFAULT;
	if (clk != CLOCK_REALTIME)
		return -EINVAL;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	return -EPERM;
}

SYSCALL(settimeofday)
{
	struct timeval tv;
	struct timezone tz;
	if (ARG(0) && copy_from_user(t, &tv, ARG(0), sizeof(tv)))
		return -EFAULT;
	if (ARG(1) && copy_from_user(t, &tz, ARG(1), sizeof(tz)))
		return -EFAULT;
	if (ARG(0) && (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000))
		return -EINVAL;
	if (ARG(1) && (tz.tz_minuteswest < -15 * 60 || tz.tz_minuteswest > 15 * 60))
		return -EINVAL;
	return ARG(0) || ARG(1) ? -EPERM : 0;
}

static long do_adjtimex(struct task *t, uint64_t uaddr)
{
	struct timex tx;
	if (copy_from_user(t, &tx, uaddr, sizeof(tx)))
		return -EFAULT;
	/* ADJ_OFFSET_SS_READ (0xa001) only reads */
	if (tx.modes && tx.modes != 0xa001)
		return -EPERM;
	tx.modes = 0;
	int r = adjtimex(&tx);
	if (r < 0)
		return -errno;
	return copy_to_user(t, uaddr, &tx, sizeof(tx)) ? -EFAULT : r;
}

SYSCALL(adjtimex)
{
	return do_adjtimex(t, ARG(0));
}

SYSCALL(clock_adjtime)
{
	clockid_t clk = (clockid_t)ARG(0);
	if (!clock_id_valid(clk))
		return -EINVAL;
	if (clk != CLOCK_REALTIME)
		return -EOPNOTSUPP;
	return do_adjtimex(t, ARG(1));
}
