/*
 * timer: the hierarchical timing wheel (timer.c), on its own fake clock.
 *
 * The contract under test (ns/timer.h): a timer armed for `expires` fires
 * from the first ns_wheel_advance(now) with now >= expires rounded up to the
 * wheel's tick, never earlier; ns_wheel_next() is never later than that
 * moment for the earliest armed timer, and never before the wheel's now.
 */
#include <stdlib.h>

#include "unit.h"

#define TICK (1ULL << NS_WHEEL_TICK_SHIFT)
#define DAY (86400ULL * NS_SEC)

/* When the wheel fires a timer armed for e. */
static ns_time_t fire_time(ns_time_t e)
{
	return (e + TICK - 1) & ~(TICK - 1);
}

struct tt {
	struct ns_timer t;
	ns_time_t expires; /* model: what it was armed for */
	int armed;	   /* model */
	int fired;
	ns_time_t fired_at;
	ns_time_t period;  /* re-arm from the callback when non-zero */
	int rearm_past;	   /* re-arm for an expiry already past (now - 1 ms) */
	int rearms_left;
	struct ns_wheel *w;
	struct tt *kill;   /* disarm this one from the callback */
};

static void tt_fn(struct ns_timer *t, ns_time_t now)
{
	struct tt *x = ns_container_of(t, struct tt, t);
	QUICK_ASSERT(x->armed, "a disarmed timer fired");
	QUICK_ASSERT(now >= x->expires, "fired early: now %llu < expires %llu",
		      (unsigned long long)now, (unsigned long long)x->expires);
	QUICK_ASSERT(!ns_timer_armed(t), "armed inside its own callback");
	x->armed = 0;
	x->fired++;
	x->fired_at = now;
	if (x->kill) {
		ns_timer_disarm(x->w, &x->kill->t);
		x->kill->armed = 0;
	}
	if ((x->period || x->rearm_past) && x->rearms_left-- > 0) {
		x->expires = x->rearm_past ? now - NS_MSEC : now + x->period;
		x->armed = 1;
		ns_timer_arm(x->w, t, x->expires);
	}
}

static void tt_arm(struct ns_wheel *w, struct tt *x, ns_time_t e)
{
	x->w = w;
	if (!x->t.fn)
		ns_timer_init(&x->t, tt_fn);
	x->expires = e;
	x->armed = 1;
	ns_timer_arm(w, &x->t, e);
}

START_TEST(empty_wheel_has_no_deadline)
{
	struct ns_wheel w;
	ns_wheel_init(&w, 12345);
	ck_assert_uint_eq(ns_wheel_next(&w), NS_TIME_NEVER);
	ck_assert_uint_eq(ns_wheel_advance(&w, 99 * NS_SEC), 0);
	ck_assert_uint_eq(w.now, 99 * NS_SEC);
	/* Time never goes backwards. */
	ns_wheel_advance(&w, 5);
	ck_assert_uint_eq(w.now, 99 * NS_SEC);
}
END_TEST

START_TEST(timer_never_fires_before_its_expiry)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	static struct tt x[64];
	memset(x, 0, sizeof(x));
	for (int i = 0; i < 64; i++)
		tt_arm(&w, &x[i], FX_T0 + 1 + (ns_time_t)i * 37 * NS_USEC);
	/* Step 1 us at a time: each timer fires at its rounded expiry. */
	for (ns_time_t now = FX_T0; now <= FX_T0 + 3 * NS_MSEC; now += NS_USEC) {
		ns_wheel_advance(&w, now);
		for (int i = 0; i < 64; i++) {
			if (now < fire_time(x[i].expires))
				QUICK_ASSERT(x[i].fired == 0, "timer %d fired early", i);
			else
				QUICK_ASSERT(x[i].fired == 1 && x[i].fired_at >= fire_time(x[i].expires) &&
						      x[i].fired_at < fire_time(x[i].expires) + NS_USEC,
					      "timer %d: fired %d at %llu, expected at %llu", i,
					      x[i].fired, (unsigned long long)x[i].fired_at,
					      (unsigned long long)fire_time(x[i].expires));
		}
	}
	ck_assert_uint_eq(w.armed, 0);
}
END_TEST

START_TEST(timer_in_the_past_fires_on_the_next_advance)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	ns_wheel_advance(&w, FX_T0 + NS_SEC);
	struct tt x;
	memset(&x, 0, sizeof(x));
	tt_arm(&w, &x, FX_T0);
	ck_assert_uint_eq(ns_wheel_next(&w), w.now);
	ck_assert_uint_eq(ns_wheel_advance(&w, w.now), 1);
	ck_assert_int_eq(x.fired, 1);
}
END_TEST

START_TEST(disarmed_timer_does_not_fire)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	struct tt a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	tt_arm(&w, &a, FX_T0 + NS_MSEC);
	tt_arm(&w, &b, FX_T0 + NS_MSEC);
	ck_assert_uint_eq(w.armed, 2);
	ns_timer_disarm(&w, &a.t);
	a.armed = 0;
	ns_timer_disarm(&w, &a.t); /* twice is a no-op */
	ck_assert(!ns_timer_armed(&a.t));
	ck_assert_uint_eq(w.armed, 1);
	ns_wheel_advance(&w, FX_T0 + NS_SEC);
	ck_assert_int_eq(a.fired, 0);
	ck_assert_int_eq(b.fired, 1);
	ck_assert_uint_eq(ns_wheel_next(&w), NS_TIME_NEVER);
}
END_TEST

START_TEST(rearming_moves_the_expiry)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	struct tt a;
	memset(&a, 0, sizeof(a));
	tt_arm(&w, &a, FX_T0 + 10 * NS_SEC);
	tt_arm(&w, &a, FX_T0 + NS_MSEC); /* earlier */
	ck_assert_uint_eq(w.armed, 1);
	ns_wheel_advance(&w, FX_T0 + 2 * NS_MSEC);
	ck_assert_int_eq(a.fired, 1);
	tt_arm(&w, &a, FX_T0 + 5 * NS_MSEC);
	tt_arm(&w, &a, FX_T0 + 50 * NS_SEC); /* later */
	ns_wheel_advance(&w, FX_T0 + 49 * NS_SEC);
	ck_assert_int_eq(a.fired, 1);
	ns_wheel_advance(&w, FX_T0 + 50 * NS_SEC + TICK);
	ck_assert_int_eq(a.fired, 2);
}
END_TEST

START_TEST(callback_can_rearm_its_timer)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	struct tt a;
	memset(&a, 0, sizeof(a));
	a.period = 10 * NS_MSEC;
	a.rearms_left = 99;
	tt_arm(&w, &a, FX_T0 + 10 * NS_MSEC);
	/* It re-arms relative to `now`, so one jump fires it once. */
	ns_wheel_advance(&w, FX_T0 + 10 * NS_MSEC + TICK);
	ck_assert_int_eq(a.fired, 1);
	ck_assert(ns_timer_armed(&a.t));
	/* Follow the deadlines: exactly one firing per period. */
	while (a.fired < 100) {
		ns_time_t next = ns_wheel_next(&w);
		ck_assert_uint_ne(next, NS_TIME_NEVER);
		ck_assert_uint_le(next, fire_time(a.expires));
		ns_wheel_advance(&w, next);
	}
	ck_assert(!ns_timer_armed(&a.t));
	ck_assert_uint_eq(ns_wheel_next(&w), NS_TIME_NEVER);
}
END_TEST

START_TEST(callback_can_rearm_for_a_time_already_past)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	struct tt a;
	memset(&a, 0, sizeof(a));
	a.rearm_past = 1; /* due again at once: a tick already processed */
	a.rearms_left = 3;
	tt_arm(&w, &a, FX_T0 + NS_MSEC);
	ns_wheel_advance(&w, FX_T0 + 2 * NS_MSEC);
	/* Re-armed timers that are already due run in the same advance. */
	ck_assert_int_eq(a.fired, 4);
	ck_assert_uint_eq(a.fired_at, FX_T0 + 2 * NS_MSEC);
	/* ... but one armed for a nanosecond later waits for its tick. */
	a.rearm_past = 0;
	a.period = 1;
	a.rearms_left = 1;
	ns_time_t t = fire_time(FX_T0 + 3 * NS_MSEC);
	tt_arm(&w, &a, FX_T0 + 3 * NS_MSEC);
	ns_wheel_advance(&w, t);
	ck_assert_int_eq(a.fired, 5);
	ck_assert(ns_timer_armed(&a.t));
	ck_assert_uint_eq(ns_wheel_next(&w), t + TICK);
}
END_TEST

START_TEST(callback_can_disarm_a_timer_due_at_the_same_tick)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	struct tt a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	tt_arm(&w, &a, FX_T0 + NS_MSEC);
	tt_arm(&w, &b, FX_T0 + NS_MSEC);
	a.kill = &b;
	b.kill = &a;
	ns_wheel_advance(&w, FX_T0 + NS_SEC);
	/* Whichever ran first disarmed the other. */
	ck_assert_int_eq(a.fired + b.fired, 1);
	ck_assert_uint_eq(w.armed, 0);
}
END_TEST

static void far_timer(ns_time_t delta, int stepwise)
{
	struct ns_wheel w;
	ns_wheel_init(&w, FX_T0);
	struct tt a, near;
	memset(&a, 0, sizeof(a));
	memset(&near, 0, sizeof(near));
	tt_arm(&w, &a, FX_T0 + delta);
	tt_arm(&w, &near, FX_T0 + 3 * NS_SEC);
	int steps = 0;
	if (stepwise) {
		/* What an event loop does: sleep until the next deadline. */
		while (!a.fired) {
			ns_time_t next = ns_wheel_next(&w);
			ck_assert_uint_ne(next, NS_TIME_NEVER);
			ck_assert_uint_ge(next, w.now);
			ck_assert_uint_le(next, fire_time(a.expires));
			ns_wheel_advance(&w, next);
			ck_assert_msg(++steps < 1000, "more than 1000 wake-ups to reach %llu s",
				      (unsigned long long)(delta / NS_SEC));
		}
		ck_assert_uint_eq(a.fired_at, fire_time(a.expires));
	} else {
		ns_wheel_advance(&w, FX_T0 + delta - 1);
		ck_assert_int_eq(a.fired, 0);
		ns_wheel_advance(&w, fire_time(FX_T0 + delta));
		ck_assert_int_eq(a.fired, 1);
	}
	ck_assert_int_eq(near.fired, 1);
}

START_TEST(far_timers_fire_on_time_in_one_jump)
{
	far_timer(65 * NS_SEC, 0);
	far_timer(3600 * NS_SEC + 12345, 0);
	far_timer(10 * DAY + 7, 0);
	far_timer(100 * DAY + 3, 0); /* beyond the wheel's ~52 days */
}
END_TEST

START_TEST(far_timers_fire_on_time_following_next_deadlines)
{
	far_timer(65 * NS_SEC, 1);
	far_timer(3600 * NS_SEC + 12345, 1);
	far_timer(10 * DAY + 7, 1);
	far_timer(100 * DAY + 3, 1);
	far_timer(400 * DAY + 1, 1);
}
END_TEST

/* Random arms, re-arms, disarms and advances against a brute-force list. */
START_TEST(wheel_matches_brute_force_model_with_random_timers)
{
	enum { N = 256 };
	static struct tt x[N];
	struct ns_wheel w;
	memset(x, 0, sizeof(x));
	srand(7);
	ns_wheel_init(&w, FX_T0 + 123456789);
	for (int round = 0; round < 20000; round++) {
		int op = rand() % 10;
		struct tt *t = &x[rand() % N];
		if (op < 4) {
			ns_time_t d;
			switch (rand() % 6) {
			case 0: d = (ns_time_t)(rand() % 100000); break;	  /* < 2 ticks */
			case 1: d = (ns_time_t)(rand() % 5000) * NS_USEC; break;
			case 2: d = (ns_time_t)(rand() % 60000) * NS_MSEC; break;
			case 3: d = (ns_time_t)(rand() % 3000) * NS_SEC + (ns_time_t)rand(); break;
			case 4: d = (ns_time_t)(rand() % 200) * DAY + (ns_time_t)rand(); break;
			default: d = 0; break;
			}
			ns_time_t e = w.now + d;
			if (rand() % 20 == 0 && w.now > NS_SEC)
				e = w.now - (ns_time_t)(rand() % 1000) * NS_USEC; /* already past */
			if (rand() % 8 == 0) {
				t->period = (ns_time_t)(rand() % 100 + 1) * NS_MSEC;
				t->rearms_left = rand() % 3;
			} else {
				t->period = 0;
			}
			tt_arm(&w, t, e);
		} else if (op < 5) {
			if (t->t.fn)
				ns_timer_disarm(&w, &t->t);
			t->armed = 0;
		} else {
			/* Advance: to the reported deadline, or by a random step. */
			ns_time_t next = ns_wheel_next(&w);
			ns_time_t earliest = NS_TIME_NEVER;
			uint64_t narmed = 0;
			for (int i = 0; i < N; i++)
				if (x[i].armed) {
					narmed++;
					if (fire_time(x[i].expires) < earliest)
						earliest = fire_time(x[i].expires);
				}
			QUICK_ASSERT(w.armed == narmed, "armed count %llu, model %llu", (unsigned long long)w.armed, (unsigned long long)narmed);
			if (earliest == NS_TIME_NEVER) {
				QUICK_ASSERT(next == NS_TIME_NEVER, "deadline with nothing armed");
			} else {
				QUICK_ASSERT(next <= earliest || next == w.now,
					      "next %llu later than earliest due %llu (now %llu)",
					      (unsigned long long)next, (unsigned long long)earliest,
					      (unsigned long long)w.now);
				QUICK_ASSERT(next >= w.now, "deadline in the past");
			}
			ns_time_t to;
			if (op < 8 && next != NS_TIME_NEVER)
				to = next;
			else if (rand() % 2)
				to = w.now + (ns_time_t)(rand() % 20000) * NS_USEC;
			else
				to = w.now + (ns_time_t)(rand() % 100) * NS_SEC;
			ns_wheel_advance(&w, to);
			for (int i = 0; i < N; i++)
				QUICK_ASSERT(!x[i].armed || fire_time(x[i].expires) > w.now,
					      "timer %d due at %llu did not fire by %llu", i,
					      (unsigned long long)fire_time(x[i].expires),
					      (unsigned long long)w.now);
		}
	}
	for (int i = 0; i < N; i++)
		if (x[i].t.fn)
			ns_timer_disarm(&w, &x[i].t);
	ck_assert_uint_eq(w.armed, 0);
}
END_TEST

Suite *timer_suite(void)
{
	Suite *s = unit_suite("timer");
	ADD_PLAIN(s, empty_wheel_has_no_deadline);
	ADD_PLAIN(s, timer_never_fires_before_its_expiry);
	ADD_PLAIN(s, timer_in_the_past_fires_on_the_next_advance);
	ADD_PLAIN(s, disarmed_timer_does_not_fire);
	ADD_PLAIN(s, rearming_moves_the_expiry);
	ADD_PLAIN(s, callback_can_rearm_its_timer);
	ADD_PLAIN(s, callback_can_rearm_for_a_time_already_past);
	ADD_PLAIN(s, callback_can_disarm_a_timer_due_at_the_same_tick);
	ADD_PLAIN(s, far_timers_fire_on_time_in_one_jump);
	ADD_PLAIN(s, far_timers_fire_on_time_following_next_deadlines);
	ADD_PLAIN(s, wheel_matches_brute_force_model_with_random_timers);
	return s;
}
