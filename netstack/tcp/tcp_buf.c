/*
 * Byte rings for the send and receive buffers. Capacity is a power of two
 * and grows on demand (by copying into a bigger ring), so a socket costs
 * memory in proportion to what it holds, up to its buffer size.
 */
#include <stdlib.h>

#include "tcp_priv.h"

static uint32_t roundup_pow2(uint32_t v)
{
	uint32_t c = 4096;
	while (c < v)
		c <<= 1;
	return c;
}

int tcp_ring_reserve(struct tcp_ring *r, uint32_t want)
{
	if (want <= r->cap)
		return 0;
	uint32_t cap = roundup_pow2(want);
	uint8_t *b = malloc(cap);
	if (!b)
		return -ENOMEM;
	if (r->len)
		tcp_ring_peek(r, 0, b, r->len);
	free(r->buf);
	r->buf = b;
	r->cap = cap;
	r->head = 0;
	return 0;
}

uint32_t tcp_ring_append(struct tcp_ring *r, const void *src, uint32_t n)
{
	n = NS_MIN(n, r->cap - r->len);
	uint32_t tail = (r->head + r->len) & (r->cap - 1);
	uint32_t first = NS_MIN(n, r->cap - tail);
	memcpy(r->buf + tail, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
	r->len += n;
	return n;
}

uint32_t tcp_ring_append_iov(struct tcp_ring *r, const struct msghdr *m, size_t off, uint32_t n)
{
	uint32_t done = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen && done < n; i++) {
		size_t l = m->msg_iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		uint32_t take = (uint32_t)NS_MIN(l - off, (size_t)(n - done));
		uint32_t got = tcp_ring_append(r, (const uint8_t *)m->msg_iov[i].iov_base + off, take);
		done += got;
		off = 0;
		if (got < take)
			break;
	}
	return done;
}

void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
	assert(off + n <= r->len);
	uint32_t at = (r->head + off) & (r->cap - 1);
	uint32_t first = NS_MIN(n, r->cap - at);
	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

uint32_t tcp_ring_peek_iov(const struct tcp_ring *r, uint32_t off, const struct msghdr *m,
			   uint32_t n)
{
	uint32_t done = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen && done < n; i++) {
		uint32_t take = (uint32_t)NS_MIN(m->msg_iov[i].iov_len, (size_t)(n - done));
		if (!take)
			continue;
		tcp_ring_peek(r, off + done, m->msg_iov[i].iov_base, take);
		done += take;
	}
	return done;
}

/* A ring that empties gives its buffer back, so an idle connection holds
 * none (it kept at least 4 KiB: 10,000 idle connections that had each
 * echoed a few bytes held 40 MB more than before). The next append
 * allocates again; an empty ring has nothing to copy. */
void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	assert(n <= r->len);
	r->len -= n;
	if (r->len) {
		r->head = (r->head + n) & (r->cap - 1);
		return;
	}
	tcp_ring_free(r);
}

void tcp_ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* ---- the receive queue: packet views, no ring ----
 * Large in-order payloads (bulk data arriving as GRO'd super-frames) are
 * queued by reference, so the only copy left on the way in is the one into
 * the application. Small payloads are copied onto the tail, so a trickle of
 * tiny segments cannot pin one buffer per byte: memory stays within a few
 * times the bytes queued (a taken view holds at least TCP_RQ_TAKE_MIN
 * bytes of a chunk of at most 66 KiB). */

#define TCP_RQ_COPYBUF 16384

int tcp_rq_copy_in(struct tcp_rq *q, const void *src, uint32_t n)
{
	const uint8_t *s = src;
	while (n) {
		struct pkt *t = q->tail;
		uint32_t room = t && t->cookie == 1 ? pkt_tailroom(t) : 0;
		if (!room) {
			t = pkt_alloc(0, NS_MAX(n, (uint32_t)TCP_RQ_COPYBUF));
			if (!t)
				return -ENOMEM;
			pkt_trim(t, 0);
			t->cookie = 1; /* a copy buffer: may be appended to */
			t->next = NULL;
			if (q->tail)
				q->tail->next = t;
			else
				q->head = t;
			q->tail = t;
			room = pkt_tailroom(t);
		}
		uint32_t k = NS_MIN(n, room);
		memcpy(pkt_put(t, k), s, k);
		s += k;
		n -= k;
		q->len += k;
	}
	return 0;
}

void tcp_rq_take(struct tcp_rq *q, struct pkt *p)
{
	p->cookie = 0; /* someone else's buffer: never appended to */
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->len += p->len;
}

uint32_t tcp_rq_peek_iov(const struct tcp_rq *q, uint32_t off, const struct msghdr *m, uint32_t n)
{
	uint32_t done = 0;
	const struct pkt *p = q->head;
	while (p && off >= p->len) {
		off -= p->len;
		p = p->next;
	}
	uint32_t poff = off;
	for (size_t i = 0; i < (size_t)m->msg_iovlen && done < n && p; i++) {
		uint8_t *dst = m->msg_iov[i].iov_base;
		size_t room = NS_MIN(m->msg_iov[i].iov_len, (size_t)(n - done));
		while (room && p) {
			uint32_t k = (uint32_t)NS_MIN(room, (size_t)(p->len - poff));
			memcpy(dst, pkt_data(p) + poff, k);
			dst += k;
			room -= k;
			done += k;
			poff += k;
			if (poff == p->len) {
				p = p->next;
				poff = 0;
			}
		}
	}
	return done;
}

void tcp_rq_consume(struct tcp_rq *q, uint32_t n)
{
	assert(n <= q->len);
	q->len -= n;
	while (n) {
		struct pkt *p = q->head;
		if (n < p->len) {
			pkt_pull(p, n);
			return;
		}
		n -= p->len;
		q->head = p->next;
		if (!q->head)
			q->tail = NULL;
		pkt_unref(p);
	}
}

void tcp_rq_free(struct tcp_rq *q)
{
	while (q->head) {
		struct pkt *p = q->head;
		q->head = p->next;
		pkt_unref(p);
	}
	q->tail = NULL;
	q->len = 0;
}

void tcp_rq_trim_tail(struct tcp_rq *q, uint32_t n)
{
	/* Only ever undoes copies just made onto copy buffers. */
	while (n) {
		struct pkt *t = q->tail;
		uint32_t k = NS_MIN(n, t->len);
		pkt_trim(t, t->len - k);
		q->len -= k;
		n -= k;
		if (!t->len) {
			struct pkt **pp = &q->head;
			while (*pp != t)
				pp = &(*pp)->next;
			*pp = NULL;
			q->tail = NULL;
			for (struct pkt *c = q->head; c; c = c->next)
				q->tail = c;
			pkt_unref(t);
		}
	}
}

/* Drop every segment held out of order. */
void tcp_ooo_purge(struct tcp_sock *tp)
{
	while (tp->ooo) {
		struct pkt *p = tp->ooo;
		tp->ooo = p->next;
		pkt_unref(p);
	}
	tp->ooo_bytes = 0;
}
