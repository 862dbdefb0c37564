/*
 * The reassembly engine, one for both families (IPv4: RFC 791 and RFC 815;
 * IPv6: RFC 8200 4.5 and RFC 5722). frag4.c and frag6.c parse their
 * fragment headers into struct frag_in and finish the reassembled header;
 * everything else is here.
 *
 * One queue per datagram identity (struct frag_key), its fragments sorted
 * by offset and never overlapping. A new fragment:
 *   - entirely inside data we already hold is a duplicate: dropped, the
 *     queue is kept (counted `dup`);
 *   - partially overlapping held data discards the whole datagram (counted
 *     `overlap`), as Linux has done since the FragmentSmack fixes and as
 *     RFC 5722 requires for IPv6: overlaps are only ever seen in attacks;
 *   - with an end that contradicts the last fragment discards the datagram
 *     (`bad_len`).
 *
 * Every fragment taken in (`frags`) ends as part of a datagram
 * (`frags_merged`) or dropped (`frags_dropped`, whatever the reason), so
 * the two add up once no queue is pending.
 *
 * Limits (counted drops, never unbounded memory), per family:
 *   - FRAG_MAX_PER_DGRAM fragments per datagram;
 *   - FRAG_MEM_HIGH bytes in all queues: past it the oldest queues are
 *     evicted down to FRAG_MEM_LOW (Linux ipfrag_high/low_thresh);
 *   - FRAG_MAX_QUEUES datagrams at once;
 *   - the table's timeout (IPv4 30 s as Linux's ipfrag_time, IPv6 60 s per
 *     RFC 8200 4.5; both settable): on expiry the adapter is told, and sends
 *     its time exceeded message if the first fragment arrived.
 */
#include <stdlib.h>

#include "stack_priv.h"

#define FRAG_MAX_PER_DGRAM 128
#define FRAG_MEM_HIGH (4u << 20)
#define FRAG_MEM_LOW (3u << 20)
#define FRAG_MAX_QUEUES 1024
#define FRAG_BUCKETS 256

struct frag_q {
	struct frag_q *hnext;
	struct frag_q *older, *newer; /* age list */
	struct frag_table *t;
	struct frag_key key;
	uint8_t have_first, have_last;
	struct pkt *frags; /* sorted by offset; pkt->cookie = offset, data = payload */
	uint32_t nfrags;
	uint32_t meat;	   /* payload bytes held */
	uint32_t total;	   /* payload length, known once the last fragment came */
	uint32_t mem;
	uint32_t max_frag; /* the largest fragment, headers included (IP_RECVFRAGSIZE) */
	struct frag_in first_in; /* as parsed when the first fragment came */
	struct ns_timer timer;
};

struct frag_table {
	struct ns_stack *st;
	const struct frag_ops *ops;
	struct frag_counters c;
	ns_time_t timeout;
	struct frag_q *buckets[FRAG_BUCKETS];
	struct frag_q *oldest, *newest;
	uint32_t mem;
	uint32_t nqueues;
};

static unsigned bucket_of(const struct frag_table *t, const struct frag_key *k)
{
	uint8_t b[16 + 16 + 4 + 1 + 4];
	memcpy(b, k->src, 16);
	memcpy(b + 16, k->dst, 16);
	ns_wr32(b + 32, k->id);
	b[36] = k->proto;
	ns_wr32(b + 37, (uint32_t)k->scope);
	return (unsigned)(ns_siphash(t->st->secret, b, sizeof(b)) % FRAG_BUCKETS);
}

static int key_eq(const struct frag_key *a, const struct frag_key *b)
{
	return a->id == b->id && a->proto == b->proto && a->scope == b->scope &&
	       !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16);
}

static uint32_t frag_off(const struct pkt *p)
{
	return (uint32_t)p->cookie;
}

static uint32_t frag_end(const struct pkt *p)
{
	return (uint32_t)p->cookie + p->len;
}

static void view_of(const struct frag_q *q, struct frag_view *v)
{
	v->first = q->have_first && q->frags && frag_off(q->frags) == 0 ? q->frags : NULL;
	v->first_in = &q->first_in;
	v->total = q->total;
}

/* Free the queue; its fragments count as merged into a datagram or as
 * dropped. */
static void q_free(struct frag_table *t, struct frag_q *q, int merged)
{
	struct ns_stack *st = t->st;
	if (merged)
		*t->c.frags_merged += q->nfrags;
	else
		*t->c.frags_dropped += q->nfrags;
	struct frag_q **pp = &t->buckets[bucket_of(t, &q->key)];
	while (*pp != q)
		pp = &(*pp)->hnext;
	*pp = q->hnext;
	if (q->older)
		q->older->newer = q->newer;
	else
		t->oldest = q->newer;
	if (q->newer)
		q->newer->older = q->older;
	else
		t->newest = q->older;
	ns_timer_disarm(st->wheel, &q->timer);
	while (q->frags) {
		struct pkt *p = q->frags;
		q->frags = p->next;
		pkt_unref(p);
	}
	t->mem -= q->mem;
	t->nqueues--;
	free(q);
}

static void q_timeout(struct ns_timer *tm, ns_time_t now)
{
	struct frag_q *q = ns_container_of(tm, struct frag_q, timer);
	struct frag_table *t = q->t;
	NS_UNUSED(now);
	(*t->c.timeout)++;
	struct frag_view v;
	view_of(q, &v);
	t->ops->expired(t->st, &v);
	q_free(t, q, 0);
}

static void evict_for_memory(struct frag_table *t)
{
	if (t->mem <= FRAG_MEM_HIGH)
		return;
	while (t->oldest && t->mem > FRAG_MEM_LOW) {
		(*t->c.mem_evict)++;
		q_free(t, t->oldest, 0);
	}
}

static struct frag_q *q_find(struct frag_table *t, const struct frag_key *k)
{
	unsigned b = bucket_of(t, k);
	for (struct frag_q *q = t->buckets[b]; q; q = q->hnext)
		if (key_eq(&q->key, k))
			return q;
	if (t->nqueues >= FRAG_MAX_QUEUES) {
		/* Make room by dropping the oldest datagram. */
		(*t->c.too_many_dgrams)++;
		q_free(t, t->oldest, 0);
	}
	struct frag_q *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->key = *k;
	q->t = t;
	ns_timer_init(&q->timer, q_timeout);
	ns_timer_arm(t->st->wheel, &q->timer, st_now(t->st) + t->timeout);
	q->hnext = t->buckets[b];
	t->buckets[b] = q;
	q->older = t->newest;
	if (t->newest)
		t->newest->newer = q;
	else
		t->oldest = q;
	t->newest = q;
	t->nqueues++;
	return q;
}

enum { INS_OK, INS_DUP, INS_OVERLAP };

/* Insert p (payload at offset off) keeping the list sorted, or classify it.
 * A fragment lying inside a run of contiguous held fragments is a
 * duplicate; touching held data any other way is an overlap. */
static int q_insert(struct frag_q *q, struct pkt *p, uint32_t off, uint32_t end)
{
	struct pkt **pp = &q->frags;
	uint32_t run_start = 0, run_end = 0;
	int in_run = 0;
	for (struct pkt *c = q->frags; c; c = c->next) {
		if (in_run && frag_off(c) == run_end) {
			run_end = frag_end(c);
		} else {
			run_start = frag_off(c);
			run_end = frag_end(c);
			in_run = 1;
		}
		if (off >= run_start && end <= run_end)
			return INS_DUP;
	}
	for (struct pkt *c = q->frags; c; c = c->next) {
		if (off < frag_end(c) && end > frag_off(c))
			return INS_OVERLAP;
	}
	while (*pp && frag_off(*pp) < off)
		pp = &(*pp)->next;
	p->cookie = off;
	p->next = *pp;
	*pp = p;
	return INS_OK;
}

static struct pkt *q_assemble(struct frag_table *t, struct frag_q *q)
{
	const struct pkt *first = q->frags;
	uint32_t keep = q->first_in.keep_len;
	struct pkt *out = pkt_alloc(PKT_HEADROOM, keep + q->total);
	if (!out) {
		(*t->c.nomem)++;
		return NULL;
	}
	uint8_t *d = pkt_data(out);
	memcpy(d, pkt_at(first, first->l3_off), keep);
	for (struct pkt *c = q->frags; c; c = c->next)
		memcpy(d + keep + frag_off(c), pkt_data(c), c->len);
	out->nic = first->nic;
	out->flags = first->flags & (PKT_F_BCAST | PKT_F_MCAST);
	out->l3_off = pkt_pos(out);
	out->frag_max = q->max_frag;
	struct frag_view v;
	view_of(q, &v);
	t->ops->finish(t->st, &v, out);
	return out;
}

struct pkt *frag_input(struct ns_stack *st, struct frag_table *t, struct pkt *p,
		       const struct frag_in *in)
{
	uint32_t off = in->off;
	uint32_t plen = in->len;
	uint32_t end = off + plen;
	NS_UNUSED(st);

	(*t->c.frags)++;
	if (end + in->keep_len > t->ops->max_len) {
		(*t->c.bad_len)++;
		goto drop;
	}
	struct frag_q *q = q_find(t, &in->key);
	if (!q) {
		(*t->c.nomem)++;
		goto drop;
	}
	if (!in->more) {
		/* The last fragment fixes the length: it may not shrink what we
		 * hold, nor disagree with an earlier last fragment. */
		if (end < q->total || (q->have_last && end != q->total) || plen == 0)
			goto bad_len;
		q->have_last = 1;
		q->total = end;
	} else {
		/* RFC 791, RFC 8200 4.5: every fragment but the last carries a
		 * multiple of 8 bytes. */
		if (plen == 0 || (plen & 7))
			goto bad_len;
		if (q->have_last && end > q->total)
			goto bad_len;
		if (end > q->total)
			q->total = end;
	}
	if (q->nfrags >= FRAG_MAX_PER_DGRAM) {
		(*t->c.too_many_frags)++;
		q_free(t, q, 0);
		goto drop;
	}
	pkt_pull(p, in->hdr_len);
	switch (q_insert(q, p, off, end)) {
	case INS_DUP:
		(*t->c.dup)++;
		goto drop;
	case INS_OVERLAP:
		(*t->c.overlap)++;
		q_free(t, q, 0);
		goto drop;
	default:
		break;
	}
	if (off == 0) {
		/* RFC 8200 4.5: the unfragmentable part comes from the first
		 * fragment (IPv4: its header, options included). */
		q->have_first = 1;
		q->first_in = *in;
	}
	q->nfrags++;
	q->meat += plen;
	q->max_frag = NS_MAX(q->max_frag, in->hdr_len + plen);
	q->mem += p->chunk->cap;
	t->mem += p->chunk->cap;
	if (q->have_first && q->have_last && q->meat == q->total) {
		/* The entry check used each fragment's own header; the rebuilt
		 * datagram carries the first fragment's, which may be longer
		 * (IPv4 options, IPv6 extension headers). */
		if (q->first_in.keep_len + q->total > t->ops->max_len) {
			(*t->c.bad_len)++;
			q_free(t, q, 0);
			return NULL;
		}
		struct pkt *out = q_assemble(t, q);
		q_free(t, q, out != NULL);
		if (out)
			(*t->c.ok)++;
		return out;
	}
	evict_for_memory(t);
	return NULL;
bad_len:
	(*t->c.bad_len)++;
	q_free(t, q, 0);
drop:
	/* The arriving fragment itself is not kept. */
	(*t->c.frags_dropped)++;
	pkt_unref(p);
	return NULL;
}

void frag_reject(struct frag_table *t)
{
	(*t->c.frags)++;
	(*t->c.bad_len)++;
	(*t->c.frags_dropped)++;
}

void frag_set_timeout(struct frag_table *t, ns_time_t timeout)
{
	t->timeout = timeout;
}

int frag_table_create(struct ns_stack *st, const struct frag_ops *ops,
		      const struct frag_counters *c, ns_time_t timeout, struct frag_table **out)
{
	struct frag_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->st = st;
	t->ops = ops;
	t->c = *c;
	t->timeout = timeout;
	*out = t;
	return 0;
}

void frag_table_destroy(struct ns_stack *st, struct frag_table *t)
{
	NS_UNUSED(st);
	if (!t)
		return;
	while (t->oldest)
		q_free(t, t->oldest, 0);
	free(t);
}
