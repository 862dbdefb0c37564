/*
 * Wait queues: how anything that can become ready (a pipe, a socket, a
 * child's exit, a timer) tells whoever waits for it.
 *
 * A waiter is a callback with an event mask. waitq_wake(q, events) calls
 * every waiter whose mask intersects `events` (a mask of 0 means "any").
 * Callbacks run synchronously inside the code that changed the state, so
 * they must not re-enter it: a task waiter only marks its task runnable
 * (the dispatcher re-runs the syscall later from the run queue); an epoll
 * waiter only links its item on the ready list.
 *
 * A callback may remove itself or any other waiter of the same queue, and
 * may free the object owning the waiter.
 *
 * A callback returns nonzero when it took the wake-up (a task waiter: its
 * task was parked and will run). An exclusive waiter (an EPOLLEXCLUSIVE
 * epoll item) is called only until one exclusive waiter took the wake-up;
 * the others are always called, as Linux's wake-one queues.
 */
#ifndef SENTRY_WAITQ_H
#define SENTRY_WAITQ_H

#include <stdint.h>
#include "list.h"

struct waiter;
typedef int (*waiter_fn)(struct waiter *w, uint32_t events);

struct waitq {
	struct list waiters;
	/* Bumped by every wake: lets a wake loop notice concurrent changes. */
	uint64_t gen;
};

struct waiter {
	struct list link;
	struct waitq *q; /* NULL when not queued */
	uint32_t mask;
	int exclusive;
	waiter_fn fn;
	void *priv;
};

static inline void waitq_init(struct waitq *q)
{
	list_init(&q->waiters);
	q->gen = 0;
}

static inline int waitq_active(const struct waitq *q)
{
	return !list_empty(&q->waiters);
}

static inline void waiter_init(struct waiter *w, waiter_fn fn, void *priv)
{
	list_init(&w->link);
	w->q = NULL;
	w->mask = 0;
	w->exclusive = 0;
	w->fn = fn;
	w->priv = priv;
}

void waitq_add(struct waitq *q, struct waiter *w, uint32_t mask);
void waitq_del(struct waiter *w);
/* Returns how many waiters took the wake-up. */
int waitq_wake(struct waitq *q, uint32_t events);
/* Detach every waiter (the queue's owner is going away): each is woken
 * with `events` first, then unlinked. */
void waitq_destroy(struct waitq *q, uint32_t events);

#endif
