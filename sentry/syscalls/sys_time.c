/* Sleeping: nanosleep, clock_nanosleep, restart_syscall. The clocks
 * themselves (clock_gettime, gettimeofday, time) run natively or in the
 * vDSO: the sandbox shares the host's clocks. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
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
