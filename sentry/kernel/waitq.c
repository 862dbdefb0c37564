/* Wait queues (see waitq.h). */
#include "waitq.h"

void waitq_add(struct waitq *q, struct waiter *w, uint32_t mask)
{
	if (w->q)
		waitq_del(w);
	w->q = q;
	w->mask = mask;
	list_add_tail(&w->link, &q->waiters);
}

void waitq_del(struct waiter *w)
{
	if (!w->q)
		return;
	list_del(&w->link);
	w->q = NULL;
}

int waitq_wake(struct waitq *q, uint32_t events)
{
	q->gen++;
	/*
	 * Callbacks may unlink any waiter (including the next one) or add new
	 * ones. Move the list aside and walk it one element at a time,
	 * putting each back before calling it: whatever a callback unlinks
	 * is simply gone from both lists.
	 */
	struct list pending;
	list_init(&pending);
	if (list_empty(&q->waiters))
		return 0;
	/* splice q->waiters into pending */
	pending.next = q->waiters.next;
	pending.prev = q->waiters.prev;
	pending.next->prev = &pending;
	pending.prev->next = &pending;
	list_init(&q->waiters);
	int took = 0, exclusive_took = 0;
	while (!list_empty(&pending)) {
		struct waiter *w = list_entry(pending.next, struct waiter, link);
		list_del(&w->link);
		list_add_tail(&w->link, &q->waiters);
		if (w->exclusive && exclusive_took)
			continue;
		if (!w->mask || !events || (w->mask & events)) {
			int x = w->exclusive;
			if (w->fn(w, events)) {
				took++;
				exclusive_took |= x;
			}
		}
	}
	return took;
}

void waitq_destroy(struct waitq *q, uint32_t events)
{
	waitq_wake(q, events);
	while (!list_empty(&q->waiters)) {
		struct waiter *w = list_entry(q->waiters.next, struct waiter, link);
		waitq_del(w);
	}
}
