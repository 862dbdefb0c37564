/*
 * Hierarchical timing wheel (see ns/timer.h).
 *
 * Level L slot s holds timers whose expiry tick has bits [6L, 6L+6) equal to
 * s and that were more than 64^L ticks away when filed. When the processed
 * tick crosses a multiple of 64^L, the level-L slot for the new block is
 * "cascaded": its timers are re-filed, which moves them to lower levels.
 * Level 0 slots are run in tick order; a bitmap per level lets advance and
 * next-deadline skip empty slots, so an idle wheel costs O(blocks), not
 * O(ticks).
 */
#include "ns/timer.h"

#define MASK (NS_WHEEL_SLOTS - 1)

static uint64_t tick_of(ns_time_t t)
{
	/* Round up: a timer must never fire early. */
	uint64_t tick = t >> NS_WHEEL_TICK_SHIFT;
	if (t & ((1ULL << NS_WHEEL_TICK_SHIFT) - 1))
		tick++;
	return tick;
}

void ns_wheel_init(struct ns_wheel *w, ns_time_t now)
{
	memset(w, 0, sizeof(*w));
	w->now = now;
	w->cur = now >> NS_WHEEL_TICK_SHIFT;
}

static void list_insert(struct ns_timer **head, struct ns_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

static void list_remove(struct ns_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

static void file_timer(struct ns_wheel *w, struct ns_timer *t)
{
	uint64_t tick = tick_of(t->expires);
	if (tick < w->cur) {
		t->level = 0xff;
		list_insert(&w->due, t);
		return;
	}
	uint64_t delta = tick - w->cur;
	unsigned level = 0;
	while (level < NS_WHEEL_LEVELS - 1 &&
	       delta >= (1ULL << (NS_WHEEL_BITS * (level + 1))))
		level++;
	if (level == NS_WHEEL_LEVELS - 1 &&
	    delta >= (1ULL << (NS_WHEEL_BITS * NS_WHEEL_LEVELS))) {
		/* Beyond the wheel: park at the farthest top-level slot. */
		tick = w->cur + (1ULL << (NS_WHEEL_BITS * NS_WHEEL_LEVELS)) - 1;
	}
	unsigned slot = (unsigned)(tick >> (NS_WHEEL_BITS * level)) & MASK;
	t->level = (uint8_t)level;
	t->slot = (uint8_t)slot;
	list_insert(&w->slots[level][slot], t);
	w->bitmap[level] |= 1ULL << slot;
}

static void unfile_timer(struct ns_wheel *w, struct ns_timer *t)
{
	list_remove(t);
	if (t->level != 0xff && !w->slots[t->level][t->slot])
		w->bitmap[t->level] &= ~(1ULL << t->slot);
}

void ns_timer_arm(struct ns_wheel *w, struct ns_timer *t, ns_time_t expires)
{
	if (ns_timer_armed(t))
		unfile_timer(w, t);
	else
		w->armed++;
	t->expires = expires;
	file_timer(w, t);
}

void ns_timer_disarm(struct ns_wheel *w, struct ns_timer *t)
{
	if (!ns_timer_armed(t))
		return;
	unfile_timer(w, t);
	w->armed--;
}

static void cascade(struct ns_wheel *w, unsigned level, unsigned slot)
{
	struct ns_timer *list = w->slots[level][slot];
	w->slots[level][slot] = NULL;
	w->bitmap[level] &= ~(1ULL << slot);
	while (list) {
		struct ns_timer *t = list;
		list = t->next;
		t->next = NULL;
		t->pprev = NULL;
		file_timer(w, t);
	}
}

/* Entering the block that starts at tick w->cur: bring higher levels down. */
static void cascade_at(struct ns_wheel *w)
{
	for (unsigned level = 1; level < NS_WHEEL_LEVELS; level++) {
		unsigned slot = (unsigned)(w->cur >> (NS_WHEEL_BITS * level)) & MASK;
		cascade(w, level, slot);
		if (slot != 0)
			break;
	}
}

/*
 * The first tick after the current block at which a non-empty slot of a
 * level >= 1 cascades, or UINT64_MAX. Precondition: the current block of
 * every level has been cascaded, so a set bit at the current index of level
 * L stands for the block 64 blocks ahead (see file_timer's delta bounds).
 */
static uint64_t next_cascade(const struct ns_wheel *w)
{
	uint64_t best = UINT64_MAX;
	for (unsigned level = 1; level < NS_WHEEL_LEVELS; level++) {
		uint64_t bm = w->bitmap[level];
		if (!bm)
			continue;
		unsigned shift = NS_WHEEL_BITS * level;
		uint64_t block = w->cur >> shift;
		/* Rotate so that bit 0 is the slot one block ahead. */
		unsigned rot = (unsigned)(block + 1) & MASK;
		uint64_t r = rot ? (bm >> rot) | (bm << (64 - rot)) : bm;
		uint64_t t = (block + (unsigned)__builtin_ctzll(r) + 1) << shift;
		if (t < best)
			best = t;
	}
	return best;
}

static unsigned run_list(struct ns_wheel *w, struct ns_timer **head, ns_time_t now)
{
	unsigned n = 0;
	while (*head) {
		struct ns_timer *t = *head;
		list_remove(t);
		w->armed--;
		w->fired++;
		n++;
		t->fn(t, now);
	}
	return n;
}

unsigned ns_wheel_advance(struct ns_wheel *w, ns_time_t now)
{
	unsigned fired = 0;
	if (now > w->now)
		w->now = now;
	now = w->now;
	uint64_t target = now >> NS_WHEEL_TICK_SHIFT;

	fired += run_list(w, &w->due, now);
	while (w->cur <= target) {
		unsigned idx = (unsigned)w->cur & MASK;
		if (idx == 0)
			cascade_at(w);
		uint64_t m = w->bitmap[0] & (~0ULL << idx);
		if (m) {
			unsigned s = (unsigned)__builtin_ctzll(m);
			uint64_t t = (w->cur & ~(uint64_t)MASK) | s;
			if (t > target) {
				w->cur = target + 1;
				break;
			}
			/* Detach the slot, then step past it so that timers
			 * re-armed for this tick land on the due list. */
			struct ns_timer *list = w->slots[0][s];
			w->slots[0][s] = NULL;
			w->bitmap[0] &= ~(1ULL << s);
			if (list)
				list->pprev = &list;
			w->cur = t + 1;
			fired += run_list(w, &list, now);
			fired += run_list(w, &w->due, now);
			continue;
		}
		uint64_t boundary = (w->cur | MASK) + 1;
		/* Nothing left on level 0: jump straight to the next cascade
		 * of a non-empty slot. Every block in between is empty, so
		 * a long idle stretch (or a fake clock's jump) costs
		 * O(levels), not one iteration per 64 ticks. */
		if (!w->bitmap[0]) {
			uint64_t c = next_cascade(w);
			if (c > boundary)
				boundary = c;
		}
		if (boundary > target) {
			w->cur = target + 1;
			break;
		}
		w->cur = boundary;
	}
	fired += run_list(w, &w->due, now);
	return fired;
}

ns_time_t ns_wheel_next(const struct ns_wheel *w)
{
	if (w->due)
		return w->now;
	if (!w->armed)
		return NS_TIME_NEVER;

	uint64_t best = UINT64_MAX;
	unsigned idx = (unsigned)w->cur & MASK;
	uint64_t m = w->bitmap[0] & (~0ULL << idx);
	if (m) {
		best = (w->cur & ~(uint64_t)MASK) | (unsigned)__builtin_ctzll(m);
	} else if (w->bitmap[0]) {
		/* Slots below idx belong to the next block. */
		best = ((w->cur | MASK) + 1) | (unsigned)__builtin_ctzll(w->bitmap[0]);
	}
	for (unsigned level = 1; level < NS_WHEEL_LEVELS; level++) {
		unsigned shift = NS_WHEEL_BITS * level;
		unsigned cidx = (unsigned)(w->cur >> shift) & MASK;
		/* This block has begun but not yet been cascaded (advance()
		 * stopped right at its start): it cascades at the next advance. */
		if ((w->cur & ((1ULL << shift) - 1)) == 0 && (w->bitmap[level] & (1ULL << cidx)))
			best = NS_MIN(best, w->cur);
	}
	best = NS_MIN(best, next_cascade(w));
	if (best == UINT64_MAX)
		return NS_TIME_NEVER;
	if (best > (UINT64_MAX >> NS_WHEEL_TICK_SHIFT))
		return NS_TIME_NEVER;
	ns_time_t t = best << NS_WHEEL_TICK_SHIFT;
	return t < w->now ? w->now : t;
}
