/* Intrusive doubly linked lists (the sentry's one list type). */
#ifndef SENTRY_LIST_H
#define SENTRY_LIST_H

#include <stddef.h>

struct list {
	struct list *next, *prev;
};

#define LIST_INIT(name) { &(name), &(name) }
#define list_entry(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, n, head) \
	for (pos = (head)->next, n = pos->next; pos != (head); pos = n, n = pos->next)

static inline void list_init(struct list *l)
{
	l->next = l->prev = l;
}

static inline int list_empty(const struct list *l)
{
	return l->next == l;
}

static inline void list_add_between(struct list *n, struct list *prev, struct list *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* Insert n at the head (after h). */
static inline void list_add(struct list *n, struct list *h)
{
	list_add_between(n, h, h->next);
}

/* Insert n at the tail (before h). */
static inline void list_add_tail(struct list *n, struct list *h)
{
	list_add_between(n, h->prev, h);
}

/* Unlink n and leave it self-linked (list_empty(n) is then true). */
static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static inline int list_linked(const struct list *n)
{
	return n->next != n && n->next != NULL;
}

#endif
