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

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	assert(n <= r->len);
	r->len -= n;
	r->head = r->len ? (r->head + n) & (r->cap - 1) : 0;
}

void tcp_ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}
