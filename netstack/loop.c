/* Event loop (see ns/loop.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ns/loop.h"
#include "ns/stack.h"

#define MAX_EVENTS 64

struct fd_reg {
	int fd;
	ns_loop_fd_fn fn;
	void *arg;
	struct fd_reg *next;
};

struct ns_loop {
	int epfd;
	struct ns_wheel *wheel;
	struct fd_reg *regs;
	struct fd_reg *dead; /* deleted during dispatch, freed after it */
	/* Hooks, flushers and idle checks, each a growing array; a detached
	 * entry's fn is NULL until the next iteration compacts it away (a
	 * hook may detach a stack while the loop walks the arrays). */
	struct {
		ns_loop_hook_fn fn;
		void *arg;
	} *hooks;
	int nhooks, caphooks;
	struct {
		int (*fn)(void *arg);
		void *arg;
	} *flushers;
	int nflushers, capflushers;
	struct {
		const char *(*fn)(void *arg);
		void *arg;
	} *checks;
	int nchecks, capchecks;
	int detached; /* entries to compact */
	int debug; /* MOAT_DEBUG_LOOP: run the idle checks before sleeping */
	int stop;
};

ns_time_t ns_clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ns_time_t)ts.tv_sec * NS_SEC + (ns_time_t)ts.tv_nsec;
}

int ns_loop_create(struct ns_wheel *wheel, struct ns_loop **out)
{
	struct ns_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		return -e;
	}
	l->wheel = wheel;
	const char *dbg = getenv("MOAT_DEBUG_LOOP");
	l->debug = dbg && *dbg && strcmp(dbg, "0");
	*out = l;
	return 0;
}

void ns_loop_destroy(struct ns_loop *l)
{
	if (!l)
		return;
	struct fd_reg *lists[2] = { l->regs, l->dead };
	for (int i = 0; i < 2; i++) {
		while (lists[i]) {
			struct fd_reg *r = lists[i];
			lists[i] = r->next;
			free(r);
		}
	}
	close(l->epfd);
	free(l->hooks);
	free(l->flushers);
	free(l->checks);
	free(l);
}

int ns_loop_add_fd(struct ns_loop *l, int fd, uint32_t events, ns_loop_fd_fn fn, void *arg)
{
	struct fd_reg *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->fn = fn;
	r->arg = arg;
	struct epoll_event ev = { .events = events, .data.ptr = r };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(r);
		return -e;
	}
	r->next = l->regs;
	l->regs = r;
	return 0;
}

static struct fd_reg *find(struct ns_loop *l, int fd, struct fd_reg ***pp_out)
{
	struct fd_reg **pp = &l->regs;
	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	if (pp_out)
		*pp_out = pp;
	return *pp;
}

int ns_loop_mod_fd(struct ns_loop *l, int fd, uint32_t events)
{
	struct fd_reg *r = find(l, fd, NULL);
	if (!r)
		return -ENOENT;
	struct epoll_event ev = { .events = events, .data.ptr = r };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int ns_loop_del_fd(struct ns_loop *l, int fd)
{
	struct fd_reg **pp;
	struct fd_reg *r = find(l, fd, &pp);
	if (!r)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*pp = r->next;
	/* An event for it may still be pending in this iteration's batch. */
	r->fn = NULL;
	r->next = l->dead;
	l->dead = r;
	return 0;
}

/* Makes room for one more entry in an array of `size`-byte entries. */
static int grow(void **arr, int n, int *cap, size_t size)
{
	if (n < *cap)
		return 0;
	int ncap = *cap ? *cap * 2 : 8;
	void *a = realloc(*arr, (size_t)ncap * size);
	if (!a)
		return -ENOMEM;
	*arr = a;
	*cap = ncap;
	return 0;
}

int ns_loop_add_hook(struct ns_loop *l, ns_loop_hook_fn fn, void *arg)
{
	if (grow((void **)&l->hooks, l->nhooks, &l->caphooks, sizeof(*l->hooks)))
		return -ENOMEM;
	l->hooks[l->nhooks].fn = fn;
	l->hooks[l->nhooks].arg = arg;
	l->nhooks++;
	return 0;
}

int ns_loop_add_flush(struct ns_loop *l, int (*fn)(void *arg), void *arg)
{
	if (grow((void **)&l->flushers, l->nflushers, &l->capflushers, sizeof(*l->flushers)))
		return -ENOMEM;
	l->flushers[l->nflushers].fn = fn;
	l->flushers[l->nflushers].arg = arg;
	l->nflushers++;
	return 0;
}

int ns_loop_add_idle_check(struct ns_loop *l, const char *(*fn)(void *arg), void *arg)
{
	if (grow((void **)&l->checks, l->nchecks, &l->capchecks, sizeof(*l->checks)))
		return -ENOMEM;
	l->checks[l->nchecks].fn = fn;
	l->checks[l->nchecks].arg = arg;
	l->nchecks++;
	return 0;
}

/* Drops the entries detach_arg cleared, keeping the order of the rest. */
#define COMPACT(arr, n)                               \
	do {                                          \
		int j_ = 0;                           \
		for (int i_ = 0; i_ < (n); i_++)      \
			if ((arr)[i_].fn)             \
				(arr)[j_++] = (arr)[i_]; \
		(n) = j_;                             \
	} while (0)

static void compact(struct ns_loop *l)
{
	COMPACT(l->hooks, l->nhooks);
	COMPACT(l->flushers, l->nflushers);
	COMPACT(l->checks, l->nchecks);
	l->detached = 0;
}

/* The invariant: nothing is pending when the loop is about to sleep.
 * Hooks and flushers say whether they left work; the checks ask the
 * state itself, so a hook or flusher that forgot to say so (a flusher
 * that woke a task after the run queue's flusher had answered) does not
 * put the loop to sleep: it passes once more, and under MOAT_DEBUG_LOOP
 * the process aborts so that the tests find the culprit. Returns 1 when
 * work is pending. */
static int check_idle(struct ns_loop *l, ns_time_t wait)
{
	for (int i = 0; i < l->nchecks; i++) {
		if (!l->checks[i].fn)
			continue;
		const char *why = l->checks[i].fn(l->checks[i].arg);
		if (!why)
			continue;
		if (l->debug) {
			fprintf(stderr, "moat: loop invariant broken: about to sleep %llu ns with work pending: %s\n",
				(unsigned long long)wait, why);
			abort();
		}
		return 1;
	}
	return 0;
}

static void link_ready(int fd, uint32_t events, void *arg)
{
	NS_UNUSED(fd);
	NS_UNUSED(events);
	ns_link_poll(arg, 64);
}

static void attach_link(struct ns_link *link, void *arg)
{
	int fd = ns_link_fd(link);
	if (fd >= 0)
		ns_loop_add_fd(arg, fd, EPOLLIN, link_ready, link);
}

static int stack_hook(void *arg)
{
	return ns_stack_poll(arg);
}

static int stack_flush(void *arg)
{
	return ns_stack_flush(arg);
}

static const char *stack_idle(void *arg)
{
	return ns_stack_busy(arg);
}

int ns_loop_attach_stack(struct ns_loop *l, struct ns_stack *st)
{
	ns_stack_foreach_link(st, attach_link, l);
	int r = ns_loop_add_hook(l, stack_hook, st);
	if (r >= 0)
		r = ns_loop_add_idle_check(l, stack_idle, st);
	return r < 0 ? r : ns_loop_add_flush(l, stack_flush, st);
}

static void detach_link(struct ns_link *link, void *arg)
{
	int fd = ns_link_fd(link);
	if (fd >= 0)
		ns_loop_del_fd(arg, fd);
}

void ns_loop_detach_stack(struct ns_loop *l, struct ns_stack *st)
{
	ns_stack_foreach_link(st, detach_link, l);
	for (int i = 0; i < l->nhooks; i++)
		if (l->hooks[i].arg == st)
			l->hooks[i].fn = NULL;
	for (int i = 0; i < l->nflushers; i++)
		if (l->flushers[i].arg == st)
			l->flushers[i].fn = NULL;
	for (int i = 0; i < l->nchecks; i++)
		if (l->checks[i].arg == st)
			l->checks[i].fn = NULL;
	l->detached = 1;
}

int ns_loop_run_once(struct ns_loop *l, ns_time_t max_wait)
{
	struct epoll_event evs[MAX_EVENTS];
	if (l->detached)
		compact(l);
	ns_time_t now = ns_clock_now();
	if (l->wheel)
		ns_wheel_advance(l->wheel, now);
	int more = 0;
	for (int i = 0; i < l->nhooks; i++)
		if (l->hooks[i].fn)
			more |= l->hooks[i].fn(l->hooks[i].arg) > 0;
	/* After every hook: whatever they queued leaves before we sleep. */
	for (int i = 0; i < l->nflushers; i++)
		if (l->flushers[i].fn)
			more |= l->flushers[i].fn(l->flushers[i].arg) > 0;
	if (l->stop)
		return 0;

	ns_time_t wait = max_wait;
	if (more) {
		wait = 0;
	} else if (l->wheel) {
		ns_time_t next = ns_wheel_next(l->wheel);
		if (next != NS_TIME_NEVER) {
			ns_time_t d = next > now ? next - now : 0;
			if (d < wait)
				wait = d;
		}
	}
	if (wait && check_idle(l, wait))
		wait = 0;
	struct timespec ts, *tsp = NULL;
	if (wait != NS_TIME_NEVER) {
		ts.tv_sec = (time_t)(wait / NS_SEC);
		ts.tv_nsec = (long)(wait % NS_SEC);
		tsp = &ts;
	}
	int n = epoll_pwait2(l->epfd, evs, MAX_EVENTS, tsp, NULL);
	if (n < 0 && errno == ENOSYS) {
		int ms = tsp ? (int)((wait + NS_MSEC - 1) / NS_MSEC) : -1;
		n = epoll_wait(l->epfd, evs, MAX_EVENTS, ms);
	}
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (l->wheel)
		ns_wheel_advance(l->wheel, ns_clock_now());
	for (int i = 0; i < n; i++) {
		struct fd_reg *r = evs[i].data.ptr;
		if (r->fn)
			r->fn(r->fd, evs[i].events, r->arg);
	}
	while (l->dead) {
		struct fd_reg *r = l->dead;
		l->dead = r->next;
		free(r);
	}
	return n;
}

int ns_loop_run(struct ns_loop *l)
{
	while (!l->stop) {
		int r = ns_loop_run_once(l, NS_TIME_NEVER);
		if (r < 0)
			return r;
	}
	return 0;
}

void ns_loop_stop(struct ns_loop *l)
{
	l->stop = 1;
}
