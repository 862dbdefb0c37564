/*
 * loop: the event loop's promise (ns/loop.h) that it never sleeps while an
 * idle check reports work, whatever the hooks and flushers said, and that
 * it does sleep (until an fd is ready) when every check is idle.
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "unit.h"
#include "ns/loop.h"

struct chk {
	int busy_calls; /* report work this many more times */
	int calls;
};

static const char *chk_fn(void *arg)
{
	struct chk *c = arg;
	c->calls++;
	if (c->busy_calls > 0) {
		c->busy_calls--;
		return "a test's pending work";
	}
	return NULL;
}

static int fired;
static void on_fd(int fd, uint32_t events, void *arg)
{
	(void)events, (void)arg;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		fired++;
}

START_TEST(loop_does_not_sleep_while_an_idle_check_reports_work)
{
	struct ns_wheel w;
	ns_wheel_init(&w, ns_clock_now());
	struct ns_loop *l;
	ck_assert_int_eq(ns_loop_create(&w, &l), 0);
	struct chk c = { .busy_calls = 3 };
	ck_assert_int_eq(ns_loop_add_idle_check(l, chk_fn, &c), 0);
	/* Nothing is ready and no hook or flusher says anything: without
	 * the check the loop would sleep the whole 30 s each time. */
	ns_time_t t0 = ns_clock_now();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ns_loop_run_once(l, 30 * NS_SEC), 0);
	ck_assert_msg(ns_clock_now() - t0 < 20 * NS_SEC, "the loop slept with work pending");
	ck_assert_int_eq(c.calls, 3);
	ns_loop_destroy(l);
}
END_TEST

START_TEST(loop_sleeps_until_an_fd_is_ready_when_checks_are_idle)
{
	struct ns_wheel w;
	ns_wheel_init(&w, ns_clock_now());
	struct ns_loop *l;
	ck_assert_int_eq(ns_loop_create(&w, &l), 0);
	struct chk c = { 0 };
	ck_assert_int_eq(ns_loop_add_idle_check(l, chk_fn, &c), 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(ns_loop_add_fd(l, efd, EPOLLIN, on_fd, NULL), 0);
	uint64_t one = 1;
	ck_assert_int_eq(write(efd, &one, sizeof(one)), sizeof(one));
	fired = 0;
	ck_assert_int_eq(ns_loop_run_once(l, NS_TIME_NEVER), 1);
	ck_assert_int_eq(fired, 1);
	ck_assert_int_eq(c.calls, 1); /* asked once, before the sleep */
	ns_loop_del_fd(l, efd);
	close(efd);
	ns_loop_destroy(l);
}
END_TEST

Suite *loop_suite(void)
{
	Suite *s = unit_suite("loop");
	ADD_PLAIN(s, loop_does_not_sleep_while_an_idle_check_reports_work);
	ADD_PLAIN(s, loop_sleeps_until_an_fd_is_ready_when_checks_are_idle);
	return s;
}
