/*
 * IPv4 fragmentation (RFC 791 3.2) and reassembly (RFC 791, RFC 815).
 *
 * Reassembly keeps one queue per (src, dst, id, proto) with its fragments
 * sorted by offset and never overlapping. A new fragment:
 *   - entirely inside data we already hold is a duplicate: dropped, the
 *     queue is kept (counted reasm_dup);
 *   - partially overlapping held data discards the whole datagram (counted
 *     reasm_overlap), as Linux has done since the FragmentSmack fixes and as
 *     RFC 5722 requires for IPv6: overlaps are only ever seen in attacks;
 *   - with an end that contradicts the last fragment discards the datagram.
 *
 * Every fragment taken in (ip4.reasm_frags) ends as part of a datagram
 * (reasm_frags_merged) or dropped (reasm_frags_dropped, whatever the
 * reason), so the two add up once no queue is pending.
 *
 * Limits (counted drops, never unbounded memory):
 *   - FRAG_MAX_PER_DGRAM fragments per datagram;
 *   - FRAG_MEM_HIGH bytes in all queues: past it the oldest queues are
 *     evicted down to FRAG_MEM_LOW (Linux ipfrag_high/low_thresh);
 *   - FRAG_MAX_QUEUES datagrams at once;
 *   - FRAG_TIMEOUT (30 s, Linux ipfrag_time; RFC 1122 3.3.2 suggests 60-120):
 *     on expiry, if the first fragment arrived, ICMP time exceeded
 *     (fragment reassembly time exceeded, RFC 792) is sent.
 */
#include <stdlib.h>

#include "stack_priv.h"

#define FRAG_TIMEOUT (30 * NS_SEC)
#define FRAG_MAX_PER_DGRAM 128
#define FRAG_MEM_HIGH (4u << 20)
#define FRAG_MEM_LOW (3u << 20)
#define FRAG_MAX_QUEUES 1024
#define FRAG_BUCKETS 256

struct frag_q {
	struct frag_q *hnext;
	struct frag_q *older, *newer; /* age list */
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint8_t have_first, have_last;
	struct pkt *frags; /* sorted by offset; pkt->cookie = offset, data = payload */
	uint32_t nfrags;
	uint32_t meat;	   /* payload bytes held */
	uint32_t total;	   /* payload length, known once the last fragment came */
	uint32_t mem;
	/* Header and first 8 payload bytes of the first fragment, for the
	 * reassembled header and the time-exceeded message. */
	uint8_t hdr[IP4_MAX_HDR_LEN + 8];
	uint8_t hlen;
	uint8_t hdr_extra;
	struct ns_timer timer;
	struct ns_stack *st;
};

struct frag4 {
	struct frag_q *buckets[FRAG_BUCKETS];
	struct frag_q *oldest, *newest;
	uint32_t mem;
	uint32_t nqueues;
};

static unsigned bucket_of(struct ns_stack *st, uint32_t src, uint32_t dst, uint16_t id,
			  uint8_t proto)
{
	uint8_t k[11];
	ns_wr32(k, src);
	ns_wr32(k + 4, dst);
	ns_wr16(k + 8, id);
	k[10] = proto;
	return (unsigned)(ns_siphash(st->secret, k, sizeof(k)) % FRAG_BUCKETS);
}

/* Free the queue; its fragments count as merged into a datagram or as
 * dropped. */
static void q_free(struct ns_stack *st, struct frag_q *q, int merged)
{
	if (merged)
		NS_STAT_ADD(st, ip4_reasm_frags_merged, q->nfrags);
	else
		NS_STAT_ADD(st, ip4_reasm_frags_dropped, q->nfrags);
	struct frag4 *f = st->frag4;
	struct frag_q **pp = &f->buckets[bucket_of(st, q->src, q->dst, q->id, q->proto)];
	while (*pp != q)
		pp = &(*pp)->hnext;
	*pp = q->hnext;
	if (q->older)
		q->older->newer = q->newer;
	else
		f->oldest = q->newer;
	if (q->newer)
		q->newer->older = q->older;
	else
		f->newest = q->older;
	ns_timer_disarm(st->wheel, &q->timer);
	while (q->frags) {
		struct pkt *p = q->frags;
		q->frags = p->next;
		pkt_unref(p);
	}
	f->mem -= q->mem;
	f->nqueues--;
	free(q);
}

static void q_timeout(struct ns_timer *t, ns_time_t now)
{
	struct frag_q *q = ns_container_of(t, struct frag_q, timer);
	struct ns_stack *st = q->st;
	NS_UNUSED(now);
	NS_STAT_INC(st, ip4_reasm_timeout);
	if (q->have_first) {
		/* RFC 792: code 1, sent only if fragment zero arrived. */
		struct pkt *orig = pkt_from_bytes(q->hdr, (uint32_t)q->hlen + q->hdr_extra);
		if (orig) {
			orig->l3_off = pkt_pos(orig);
			icmp_send_error(st, orig, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
			pkt_unref(orig);
		}
	}
	q_free(st, q, 0);
}

static void evict_for_memory(struct ns_stack *st)
{
	struct frag4 *f = st->frag4;
	if (f->mem <= FRAG_MEM_HIGH)
		return;
	while (f->oldest && f->mem > FRAG_MEM_LOW) {
		NS_STAT_INC(st, ip4_reasm_mem_evict);
		q_free(st, f->oldest, 0);
	}
}

static struct frag_q *q_find(struct ns_stack *st, const struct ip4_repr *ip, int create)
{
	struct frag4 *f = st->frag4;
	unsigned b = bucket_of(st, ip->src, ip->dst, ip->id, ip->proto);
	for (struct frag_q *q = f->buckets[b]; q; q = q->hnext)
		if (q->src == ip->src && q->dst == ip->dst && q->id == ip->id &&
		    q->proto == ip->proto)
			return q;
	if (!create)
		return NULL;
	if (f->nqueues >= FRAG_MAX_QUEUES) {
		/* Make room by dropping the oldest datagram. */
		NS_STAT_INC(st, ip4_reasm_too_many_dgrams);
		q_free(st, f->oldest, 0);
	}
	struct frag_q *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->src = ip->src;
	q->dst = ip->dst;
	q->id = ip->id;
	q->proto = ip->proto;
	q->st = st;
	ns_timer_init(&q->timer, q_timeout);
	ns_timer_arm(st->wheel, &q->timer, st_now(st) + FRAG_TIMEOUT);
	q->hnext = f->buckets[b];
	f->buckets[b] = q;
	q->older = f->newest;
	if (f->newest)
		f->newest->newer = q;
	else
		f->oldest = q;
	f->newest = q;
	f->nqueues++;
	return q;
}

static uint32_t frag_off(const struct pkt *p)
{
	return (uint32_t)p->cookie;
}

static uint32_t frag_end(const struct pkt *p)
{
	return (uint32_t)p->cookie + p->len;
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

static struct pkt *q_assemble(struct ns_stack *st, struct frag_q *q)
{
	uint32_t len = (uint32_t)q->hlen + q->total;
	struct pkt *out = pkt_alloc(PKT_HEADROOM, len);
	if (!out) {
		NS_STAT_INC(st, ip4_reasm_nomem);
		return NULL;
	}
	uint8_t *d = pkt_data(out);
	memcpy(d, q->hdr, q->hlen);
	for (struct pkt *c = q->frags; c; c = c->next)
		memcpy(d + q->hlen + frag_off(c), pkt_data(c), c->len);
	ns_wr16(d + 2, (uint16_t)len);
	ns_wr16(d + 6, (uint16_t)(ns_rd16(d + 6) & IP4_DF));
	ns_wr16(d + 10, 0);
	ns_wr16(d + 10, ns_csum(d, q->hlen));
	out->nic = q->frags->nic;
	out->flags = q->frags->flags & (PKT_F_BCAST | PKT_F_MCAST);
	return out;
}

struct pkt *frag4_input(struct ns_stack *st, struct pkt *p, const struct ip4_repr *ip)
{
	struct frag4 *f = st->frag4;
	uint32_t off = ip->frag_off;
	uint32_t plen = ip->tot_len - ip->hlen;
	uint32_t end = off + plen;

	NS_STAT_INC(st, ip4_reasm_frags);
	if (end + ip->hlen > 65535) {
		NS_STAT_INC(st, ip4_reasm_bad_len);
		goto drop;
	}
	struct frag_q *q = q_find(st, ip, 1);
	if (!q) {
		NS_STAT_INC(st, ip4_reasm_nomem);
		goto drop;
	}
	if (!ip->mf) {
		/* The last fragment fixes the length: it may not shrink what we
		 * hold, nor disagree with an earlier last fragment. */
		if (end < q->total || (q->have_last && end != q->total) || plen == 0)
			goto bad_len;
		q->have_last = 1;
		q->total = end;
	} else {
		/* RFC 791: every fragment but the last carries a multiple of 8. */
		if (plen == 0 || (plen & 7))
			goto bad_len;
		if (q->have_last && end > q->total)
			goto bad_len;
		if (end > q->total)
			q->total = end;
	}
	if (off == 0 && !q->have_first) {
		uint32_t extra = plen < 8 ? plen : 8;
		memcpy(q->hdr, pkt_data(p), ip->hlen + extra);
		q->hlen = ip->hlen;
		q->hdr_extra = (uint8_t)extra;
	}
	if (q->nfrags >= FRAG_MAX_PER_DGRAM) {
		NS_STAT_INC(st, ip4_reasm_too_many_frags);
		q_free(st, q, 0);
		goto drop;
	}
	pkt_pull(p, ip->hlen);
	switch (q_insert(q, p, off, end)) {
	case INS_DUP:
		NS_STAT_INC(st, ip4_reasm_dup);
		goto drop;
	case INS_OVERLAP:
		NS_STAT_INC(st, ip4_reasm_overlap);
		q_free(st, q, 0);
		goto drop;
	default:
		break;
	}
	if (off == 0)
		q->have_first = 1;
	q->nfrags++;
	q->meat += plen;
	q->mem += p->chunk->cap;
	f->mem += p->chunk->cap;
	if (q->have_first && q->have_last && q->meat == q->total) {
		/* RFC 791: 65535 bytes at most, header included. The check on
		 * entry used each fragment's own header; the rebuilt datagram
		 * carries the first fragment's, which may be longer (options),
		 * and its length would not fit the 16-bit total length. */
		if ((uint32_t)q->hlen + q->total > 65535) {
			NS_STAT_INC(st, ip4_reasm_bad_len);
			q_free(st, q, 0);
			return NULL;
		}
		struct pkt *out = q_assemble(st, q);
		q_free(st, q, out != NULL);
		if (out)
			NS_STAT_INC(st, ip4_reasm_ok);
		return out;
	}
	evict_for_memory(st);
	return NULL;
bad_len:
	NS_STAT_INC(st, ip4_reasm_bad_len);
	q_free(st, q, 0);
drop:
	/* The arriving fragment itself is not kept. */
	NS_STAT_INC(st, ip4_reasm_frags_dropped);
	pkt_unref(p);
	return NULL;
}

int frag4_output(struct ns_stack *st, struct pkt *p, uint32_t mtu,
		 int (*out)(struct ns_stack *st, struct pkt *frag, void *arg), void *arg)
{
	const uint8_t *h = pkt_data(p);
	uint32_t hlen = (uint32_t)(h[0] & 0xf) * 4;
	uint32_t total = p->len - hlen;
	uint32_t chunk = (mtu - hlen) & ~7u;
	int r = 0;

	if (mtu < 68 || chunk == 0) {
		pkt_unref(p);
		return -EMSGSIZE;
	}
	for (uint32_t off = 0; off < total; off += chunk) {
		uint32_t n = total - off < chunk ? total - off : chunk;
		int last = off + n == total;
		struct pkt *fp = pkt_alloc(PKT_HEADROOM, hlen + n);
		if (!fp) {
			NS_STAT_INC(st, ip4_tx_nomem);
			r = -ENOBUFS;
			break;
		}
		uint8_t *d = pkt_data(fp);
		/* We send no options, so every fragment copies the header. */
		memcpy(d, h, hlen);
		memcpy(d + hlen, h + hlen + off, n);
		uint16_t fo = ns_rd16(h + 6);
		uint16_t mf = (uint16_t)(last ? (fo & IP4_MF) : IP4_MF);
		ns_wr16(d + 2, (uint16_t)(hlen + n));
		ns_wr16(d + 6, (uint16_t)((fo & ~(IP4_OFFMASK | IP4_MF)) | mf |
					  (((fo & IP4_OFFMASK) * 8 + off) / 8)));
		ns_wr16(d + 10, 0);
		ns_wr16(d + 10, ns_csum(d, hlen));
		fp->l3_off = pkt_pos(fp);
		fp->ip_proto = p->ip_proto;
		NS_STAT_INC(st, ip4_frag_created);
		int rr = out(st, fp, arg);
		if (rr < 0 && r == 0)
			r = rr;
	}
	if (r == 0)
		NS_STAT_INC(st, ip4_frag_ok);
	pkt_unref(p);
	return r;
}

int frag4_init(struct ns_stack *st)
{
	st->frag4 = calloc(1, sizeof(*st->frag4));
	return st->frag4 ? 0 : -ENOMEM;
}

void frag4_fini(struct ns_stack *st)
{
	if (!st->frag4)
		return;
	while (st->frag4->oldest)
		q_free(st, st->frag4->oldest, 0);
	free(st->frag4);
	st->frag4 = NULL;
}
