/*
 * The event loop around a stack: epoll over the links' fds (and any other fd
 * a user adds), timeouts from the timer wheel, and before-sleep hooks that
 * flush deferred work (Redis ae.c's beforesleep). This is the one piece of
 * the netstack library that reads the clock and sleeps; the protocol code
 * never does.
 *
 * One loop runs on one thread, with every stack and wheel it drives.
 */
#ifndef NS_LOOP_H
#define NS_LOOP_H

#include <stdint.h>
#include "ns/common.h"
#include "ns/timer.h"

struct ns_loop;
struct ns_stack;

typedef void (*ns_loop_fd_fn)(int fd, uint32_t events, void *arg);
/* Returns > 0 when it has more work right away (the loop will not sleep). */
typedef int (*ns_loop_hook_fn)(void *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
ns_time_t ns_clock_now(void);

int ns_loop_create(struct ns_wheel *wheel, struct ns_loop **out);
void ns_loop_destroy(struct ns_loop *l);

/* events: EPOLLIN/EPOLLOUT/...; one registration per fd. */
int ns_loop_add_fd(struct ns_loop *l, int fd, uint32_t events, ns_loop_fd_fn fn, void *arg);
int ns_loop_mod_fd(struct ns_loop *l, int fd, uint32_t events);
int ns_loop_del_fd(struct ns_loop *l, int fd);
/* Hooks run at the start of every iteration, in the order added. */
int ns_loop_add_hook(struct ns_loop *l, ns_loop_hook_fn fn, void *arg);
/* Flushers run after all hooks, right before the loop sleeps; one that
 * returns > 0 left work for the hooks, and the loop does not sleep. */
int ns_loop_add_flush(struct ns_loop *l, int (*fn)(void *arg), void *arg);

/* Idle checks: before every sleep the loop asks each check whether work
 * is pending (a reason, or NULL), and does not sleep if one says so. That
 * should never happen (hooks and flushers report their work): with
 * MOAT_DEBUG_LOOP=1 in the environment (read when the loop is made) a
 * reason is printed and the process aborts. Checks must not change
 * anything. */
int ns_loop_add_idle_check(struct ns_loop *l, const char *(*fn)(void *arg), void *arg);

/* Register every link of the stack and a hook that polls and flushes it. */
int ns_loop_attach_stack(struct ns_loop *l, struct ns_stack *st);
/* Undo ns_loop_attach_stack, before the stack is destroyed; safe from
 * inside a hook. */
void ns_loop_detach_stack(struct ns_loop *l, struct ns_stack *st);

/* One iteration: advance timers, run hooks, wait at most max_wait ns
 * (NS_TIME_NEVER: until the next deadline), dispatch fd events. */
int ns_loop_run_once(struct ns_loop *l, ns_time_t max_wait);
/* Iterate until ns_loop_stop(). Returns 0. */
int ns_loop_run(struct ns_loop *l);
void ns_loop_stop(struct ns_loop *l);

#endif
