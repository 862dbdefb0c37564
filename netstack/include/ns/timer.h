/*
 * A hierarchical timing wheel.
 *
 * Timers are slots embedded in the objects that own them (a TCP connection
 * has its retransmit, delayed-ACK, ... timers as struct ns_timer members);
 * arming and disarming is O(1). The wheel never reads the clock: whoever
 * drives it calls ns_wheel_advance(now) and asks ns_wheel_next() for the
 * next deadline to sleep until. Tests drive it with a fake clock.
 *
 * Resolution is one tick (NS_WHEEL_TICK ns, about 65 us). A timer never
 * fires before its expiry: expiries are rounded up to the next tick.
 * Six levels of 64 slots cover about 52 days; later expiries are parked at
 * the top level and re-filed when it cascades.
 *
 * The callback runs from ns_wheel_advance() with the timer already disarmed;
 * it may re-arm this or any other timer, or free its owner.
 */
#ifndef NS_TIMER_H
#define NS_TIMER_H

#include <stdint.h>
#include "ns/common.h"

#define NS_WHEEL_TICK_SHIFT 16 /* 65.536 us */
#define NS_WHEEL_BITS 6
#define NS_WHEEL_SLOTS (1u << NS_WHEEL_BITS)
#define NS_WHEEL_LEVELS 6

struct ns_timer;
typedef void (*ns_timer_fn)(struct ns_timer *t, ns_time_t now);

struct ns_timer {
	struct ns_timer *next;
	struct ns_timer **pprev; /* NULL when not armed */
	ns_time_t expires;
	ns_timer_fn fn;
	uint8_t level;
	uint8_t slot;
};

struct ns_wheel {
	ns_time_t now;	  /* last time passed to ns_wheel_advance() */
	uint64_t cur;	  /* next tick not yet processed */
	uint64_t bitmap[NS_WHEEL_LEVELS];
	struct ns_timer *slots[NS_WHEEL_LEVELS][NS_WHEEL_SLOTS];
	struct ns_timer *due; /* armed for a tick already processed */
	uint64_t armed;	      /* number of armed timers */
	uint64_t fired;
};

#define NS_TIME_NEVER UINT64_MAX

void ns_wheel_init(struct ns_wheel *w, ns_time_t now);

static inline void ns_timer_init(struct ns_timer *t, ns_timer_fn fn)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expires = 0;
	t->fn = fn;
}

static inline int ns_timer_armed(const struct ns_timer *t)
{
	return t->pprev != NULL;
}

/* Arm (or re-arm) `t` to fire at absolute time `expires`. */
void ns_timer_arm(struct ns_wheel *w, struct ns_timer *t, ns_time_t expires);
/* Disarm if armed; a no-op otherwise. */
void ns_timer_disarm(struct ns_wheel *w, struct ns_timer *t);

/* Run every timer whose expiry is <= now. Returns the number fired. */
unsigned ns_wheel_advance(struct ns_wheel *w, ns_time_t now);

/*
 * The time by which ns_wheel_advance() must next be called: never later than
 * the moment the earliest armed timer becomes due, which is its expiry
 * rounded up to the tick (so at most one tick after the expiry itself); it
 * may be earlier, at a cascade point. NS_TIME_NEVER when nothing is armed.
 */
ns_time_t ns_wheel_next(const struct ns_wheel *w);

#endif
