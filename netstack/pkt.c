/*
 * Packet buffers and their size-class pools. See ns/pkt.h for the model.
 *
 * Free chunks are cached per size class (bounded) so that steady-state
 * traffic does not touch malloc; views (struct pkt) are cached the same way.
 * The total number of bytes in chunks handed out is capped: past the cap
 * pkt_alloc() fails and the caller counts a drop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ns/pkt.h"

#define PKT_CLASS_HUGE 0xff

static const uint32_t class_size[] = { 512, 2304, 9600, 67584 };
static const uint32_t class_cache_max[] = { 4096, 4096, 256, 128 };
#define NCLASS NS_ARRAY_SIZE(class_size)

static struct {
	struct pkt_chunk *free[NCLASS];
	uint32_t nfree[NCLASS];
	struct pkt *free_views;
	uint32_t nfree_views;
	uint64_t limit;
	struct pkt_pool_stats st;
} pool = { .limit = 512ULL << 20 };

#define VIEW_CACHE_MAX 8192

static int class_of(uint32_t cap)
{
	for (unsigned i = 0; i < NCLASS; i++)
		if (cap <= class_size[i])
			return (int)i;
	return -1;
}

static struct pkt_chunk *chunk_alloc(uint32_t need)
{
	int cls = class_of(need);
	uint32_t cap = cls >= 0 ? class_size[cls] : need;
	struct pkt_chunk *c;

	if (pool.st.bytes_in_use + cap > pool.limit) {
		pool.st.fails++;
		return NULL;
	}
	if (cls >= 0 && pool.free[cls]) {
		c = pool.free[cls];
		pool.free[cls] = c->next_free;
		pool.nfree[cls]--;
	} else {
		c = malloc(sizeof(*c) + cap);
		if (!c) {
			pool.st.fails++;
			return NULL;
		}
		c->cls = cls >= 0 ? (uint8_t)cls : PKT_CLASS_HUGE;
		c->cap = cap;
	}
	ns_refcnt_init(&c->refs);
	c->next_free = NULL;
	pool.st.allocs++;
	pool.st.in_use++;
	pool.st.bytes_in_use += cap;
	if (pool.st.bytes_in_use > pool.st.high_bytes)
		pool.st.high_bytes = pool.st.bytes_in_use;
	return c;
}

static void chunk_unref(struct pkt_chunk *c)
{
	if (!ns_refcnt_rele(&c->refs))
		return;
	pool.st.in_use--;
	pool.st.bytes_in_use -= c->cap;
	if (c->cls != PKT_CLASS_HUGE && pool.nfree[c->cls] < class_cache_max[c->cls]) {
		c->next_free = pool.free[c->cls];
		pool.free[c->cls] = c;
		pool.nfree[c->cls]++;
		return;
	}
	free(c);
}

static struct pkt *view_alloc(void)
{
	struct pkt *p = pool.free_views;
	if (p) {
		pool.free_views = p->next;
		pool.nfree_views--;
	} else {
		p = malloc(sizeof(*p));
		if (!p)
			return NULL;
	}
	memset(p, 0, sizeof(*p));
	ns_refcnt_init(&p->refs);
	pool.st.views_in_use++;
	return p;
}

static void view_free(struct pkt *p)
{
	pool.st.views_in_use--;
	if (pool.nfree_views < VIEW_CACHE_MAX) {
		p->next = pool.free_views;
		pool.free_views = p;
		pool.nfree_views++;
		return;
	}
	free(p);
}

struct pkt *pkt_alloc(uint32_t headroom, uint32_t len)
{
	struct pkt *p = view_alloc();
	if (!p)
		return NULL;
	p->chunk = chunk_alloc(headroom + len);
	if (!p->chunk) {
		view_free(p);
		return NULL;
	}
	p->off = headroom;
	p->len = len;
	p->l3_off = p->l4_off = headroom;
	return p;
}

struct pkt *pkt_from_bytes(const void *data, uint32_t len)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, len);
	if (p && len)
		memcpy(pkt_data(p), data, len);
	return p;
}

void pkt_ref(struct pkt *p)
{
	ns_refcnt_take(&p->refs);
}

void pkt_unref(struct pkt *p)
{
	if (!p || !ns_refcnt_rele(&p->refs))
		return;
	chunk_unref(p->chunk);
	view_free(p);
}

struct pkt *pkt_clone(const struct pkt *src)
{
	struct pkt *p = view_alloc();
	if (!p)
		return NULL;
	struct ns_refcnt keep = p->refs;
	*p = *src;
	p->refs = keep;
	p->next = NULL;
	ns_refcnt_take(&p->chunk->refs);
	return p;
}

struct pkt *pkt_copy(const struct pkt *src, uint32_t headroom)
{
	struct pkt *p = pkt_alloc(headroom, src->len);
	if (!p)
		return NULL;
	memcpy(pkt_data(p), pkt_data(src), src->len);
	struct pkt_chunk *c = p->chunk;
	struct ns_refcnt keep = p->refs;
	uint32_t off = p->off;
	*p = *src;
	p->refs = keep;
	p->chunk = c;
	p->next = NULL;
	/* Metadata offsets move with the data. */
	p->l3_off = src->l3_off + off - src->off;
	p->l4_off = src->l4_off + off - src->off;
	p->csum_start = src->csum_start + off - src->off;
	p->off = off;
	return p;
}

/* Move the data into a fresh private chunk with `headroom` in front. */
static int reseat(struct pkt *p, uint32_t headroom, uint32_t tailroom)
{
	struct pkt_chunk *c = chunk_alloc(headroom + p->len + tailroom);
	if (!c)
		return -ENOMEM;
	memcpy(c->data + headroom, pkt_data(p), p->len);
	p->l3_off = p->l3_off + headroom - p->off;
	p->l4_off = p->l4_off + headroom - p->off;
	p->csum_start = p->csum_start + headroom - p->off;
	chunk_unref(p->chunk);
	p->chunk = c;
	p->off = headroom;
	return 0;
}

int pkt_make_writable(struct pkt *p)
{
	assert(!ns_refcnt_shared(&p->refs));
	if (!ns_refcnt_shared(&p->chunk->refs))
		return 0;
	return reseat(p, p->off, pkt_tailroom(p));
}

uint8_t *pkt_push(struct pkt *p, uint32_t n)
{
	assert(!ns_refcnt_shared(&p->refs));
	if (p->off < n || ns_refcnt_shared(&p->chunk->refs)) {
		uint32_t room = p->off < n ? n + PKT_HEADROOM : p->off;
		if (reseat(p, room, pkt_tailroom(p)) < 0)
			return NULL;
	}
	p->off -= n;
	p->len += n;
	return pkt_data(p);
}

uint8_t *pkt_put(struct pkt *p, uint32_t n)
{
	assert(!ns_refcnt_shared(&p->refs));
	if (pkt_tailroom(p) < n || ns_refcnt_shared(&p->chunk->refs)) {
		if (reseat(p, p->off, n) < 0)
			return NULL;
	}
	uint8_t *tail = pkt_data(p) + p->len;
	p->len += n;
	return tail;
}

void pkt_queue_purge(struct pkt_queue *q)
{
	struct pkt *p;
	while ((p = pkt_queue_pop(q)))
		pkt_unref(p);
}

void pkt_pool_stats(struct pkt_pool_stats *out)
{
	*out = pool.st;
	out->cached_bytes = (uint64_t)pool.nfree_views * sizeof(struct pkt);
	for (unsigned i = 0; i < NCLASS; i++)
		out->cached_bytes += (uint64_t)pool.nfree[i] * (sizeof(struct pkt_chunk) + class_size[i]);
}

void pkt_pool_set_limit(uint64_t bytes)
{
	pool.limit = bytes;
}

void pkt_pool_trim(void)
{
	for (unsigned i = 0; i < NCLASS; i++) {
		while (pool.free[i]) {
			struct pkt_chunk *c = pool.free[i];
			pool.free[i] = c->next_free;
			free(c);
		}
		pool.nfree[i] = 0;
	}
	while (pool.free_views) {
		struct pkt *p = pool.free_views;
		pool.free_views = p->next;
		free(p);
	}
	pool.nfree_views = 0;
}
