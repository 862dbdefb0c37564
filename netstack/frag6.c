/*
 * IPv6 fragments (RFC 8200 4.5): the checks a Fragment header gets before
 * reassembly, the IPv6 side of the shared reassembly engine (frag.c), and
 * fragmentation on output.
 *
 * Input, in the order Linux applies them:
 *   - an atomic fragment (offset 0, M clear) is processed on its own and
 *     never joins a reassembly queue (RFC 6946 4);
 *   - a first fragment must hold the whole header chain up to the
 *     upper-layer header, else Parameter Problem code 3 (RFC 7112 5,
 *     RFC 8200 4.5);
 *   - a fragment reaching past 65535 bytes of payload: Parameter Problem
 *     code 0 pointing at its Fragment Offset field;
 *   - a fragment that is not the last and whose length is not a multiple
 *     of 8: Parameter Problem code 0 pointing at the Payload Length field;
 *   - then the engine: duplicates ignored, overlaps discard the datagram
 *     (RFC 5722 4), limits, and after the timeout (60 s, RFC 8200 4.5;
 *     ip6.reasm_timeout_ms) Time Exceeded code 1 if the first fragment came.
 *
 * A reassembled datagram is the first fragment's unfragmentable part
 * followed by the payload; the Fragment header is gone and the Next
 * Header field that named it names what the first fragment's Fragment
 * header named.
 */
#include <stdlib.h>

#include "ipv6_priv.h"

#define FRAG6_TIMEOUT (60 * NS_SEC)

static void frag6_finish(struct ns_stack *st, const struct frag_view *v, struct pkt *out)
{
	NS_UNUSED(st);
	uint8_t *d = pkt_data(out);
	uint32_t keep = v->first_in->keep_len;
	d[v->first_in->nh_off] = v->first_in->nxt;
	ns_wr16(d + 4, (uint16_t)(keep - IP6_HDR_LEN + v->total));
	/* Where frag6_input() resumes the header walk. */
	out->cookie = ((uint64_t)v->first_in->nh_off << 32) | keep;
}

static void frag6_expired(struct ns_stack *st, const struct frag_view *v)
{
	/* RFC 8200 4.5: Time Exceeded, code 1, to the source of the
	 * fragments, quoting the first one, only if it arrived. */
	if (v->first)
		icmp6_send_error(st, v->first, ICMP6_TIME_EXCEED, ICMP6_EXC_FRAGTIME, 0);
}

static const struct frag_ops frag6_ops = {
	/* RFC 8200 4.5: the reassembled payload length fits 16 bits. */
	.max_len = 65535 + IP6_HDR_LEN,
	.finish = frag6_finish,
	.expired = frag6_expired,
};

/*
 * RFC 7112 5: does the first fragment (bytes [0, len) of d) hold every
 * extension header after its Fragment header and the start of the
 * upper-layer header? The upper-layer minimums are Linux's: the fixed TCP
 * header, the UDP header, the ICMPv6 header with its first word.
 */
static int chain_complete(const uint8_t *d, uint32_t len, uint32_t off, uint8_t nxt)
{
	for (int n = 0; n < 32; n++) {
		switch (nxt) {
		case IP6_NH_HOPOPTS:
		case IP6_NH_DSTOPTS:
		case IP6_NH_ROUTING:
			if (off + 2 > len || off + ((uint32_t)d[off + 1] + 1) * 8 > len)
				return 0;
			nxt = d[off];
			off += ((uint32_t)d[off + 1] + 1) * 8;
			continue;
		case IP6_NH_FRAGMENT:
			if (off + IP6_FRAG_HDR_LEN > len)
				return 0;
			nxt = d[off];
			off += IP6_FRAG_HDR_LEN;
			continue;
		case IPPROTO_TCP_:
			return off + TCP_HDR_LEN <= len;
		case IPPROTO_UDP_:
			return off + UDP_HDR_LEN <= len;
		case IP6_NH_ICMPV6:
			return off + ICMP6_HDR_LEN <= len;
		default:
			return 1;
		}
	}
	return 0;
}

int frag6_input(struct ns_stack *st, struct pkt **pp, uint32_t *off, uint32_t *nh_off,
		uint8_t *nxt)
{
	struct pkt *p = *pp;
	const uint8_t *d = pkt_data(p);
	uint32_t fo = *off;
	if (fo + IP6_FRAG_HDR_LEN > p->len) {
		NS_STAT_INC(st, ip6_drop_bad_ext);
		goto drop;
	}
	struct ip6_frag_repr f;
	ip6_frag_parse(d + fo, &f);
	uint32_t flen = p->len - fo - IP6_FRAG_HDR_LEN;
	if (f.off == 0 && !f.m) {
		/* RFC 6946 4: an atomic fragment, processed in isolation. */
		NS_STAT_INC(st, ip6_frag_atomic);
		*nh_off = fo;
		*off = fo + IP6_FRAG_HDR_LEN;
		*nxt = f.nxt;
		return 1;
	}
	if (f.off == 0 && !chain_complete(d, p->len, fo + IP6_FRAG_HDR_LEN, f.nxt)) {
		/* RFC 7112 5 / RFC 8200 4.5: incomplete header chain. */
		NS_STAT_INC(st, ip6_drop_frag_hdr_chain);
		icmp6_send_error(st, p, ICMP6_PARAMPROB, ICMP6_PP_CHAIN, 0);
		goto drop;
	}
	if ((uint32_t)f.off + flen > 65535) {
		/* RFC 8200 4.5: the reassembled payload would pass 65535. */
		frag_reject(st->frag6);
		icmp6_send_error(st, p, ICMP6_PARAMPROB, ICMP6_PP_HEADER, fo + 2);
		goto drop;
	}
	if (f.m && (flen & 7)) {
		/* RFC 8200 4.5: not the last, and not a multiple of 8 bytes. */
		frag_reject(st->frag6);
		icmp6_send_error(st, p, ICMP6_PARAMPROB, ICMP6_PP_HEADER, 4);
		goto drop;
	}
	struct frag_in in;
	memset(&in, 0, sizeof(in));
	memcpy(in.key.src, d + 8, 16);
	memcpy(in.key.dst, d + 24, 16);
	in.key.id = f.id;
	/* RFC 4007: link-scope addresses are only unique on their link. */
	if (ip6_is_linklocal(d + 8) || ip6_is_linklocal(d + 24) || ip6_is_mcast(d + 24))
		in.key.scope = p->nic ? p->nic->id : 0;
	in.off = f.off;
	in.len = flen;
	in.more = f.m;
	in.hdr_len = fo + IP6_FRAG_HDR_LEN;
	in.keep_len = fo;
	in.nh_off = (uint16_t)*nh_off;
	in.nxt = f.nxt;
	struct pkt *r = frag_input(st, st->frag6, p, &in);
	if (!r)
		return 0;
	*pp = r;
	*off = (uint32_t)r->cookie;
	*nh_off = (uint32_t)(r->cookie >> 32);
	*nxt = pkt_data(r)[*nh_off];
	return 1;
drop:
	pkt_unref(p);
	return 0;
}

/* RFC 7739 4.3: per-destination counters offset by a keyed hash, so
 * identifications are unique per (src, dst) for a while and tell nothing
 * about other destinations. The counters start at zero: the secret offset
 * already makes the first identification unpredictable (filling 1,024
 * slots with random values was most of ip6_init's cost per stack). */
static uint32_t next_id(struct ns_stack *st, const uint8_t *src, const uint8_t *dst)
{
	uint8_t k[32];
	memcpy(k, src, 16);
	memcpy(k + 16, dst, 16);
	uint64_t h = ns_siphash(st->secret, k, sizeof(k));
	uint32_t *c = &st->ip6->frag_id[h % IP6_FRAG_ID_SLOTS];
	*c += 1;
	return *c + (uint32_t)(h >> 32);
}

int frag6_output(struct ns_stack *st, struct pkt *p, uint32_t mtu,
		 int (*out)(struct ns_stack *st, struct pkt *frag, void *arg), void *arg)
{
	const uint8_t *h = pkt_data(p);
	/* RFC 8200 4.5: the unfragmentable part is the IPv6 header and the
	 * extension headers a socket put before the upper layer's
	 * (Hop-by-Hop, Destination Options: Linux's ip6_find_1stfragopt
	 * keeps Destination Options there when no Routing header comes);
	 * `nh` is the Next Header field that names what follows it. */
	uint32_t unfrag = IP6_HDR_LEN, nh = 6;
	while ((h[nh] == IP6_NH_HOPOPTS || h[nh] == IP6_NH_DSTOPTS) && unfrag + 2 <= p->len &&
	       unfrag + NS_IP6_EXT_LEN(h + unfrag) <= p->len) {
		nh = unfrag;
		unfrag += NS_IP6_EXT_LEN(h + unfrag);
	}
	uint32_t total = p->len - unfrag;
	/* Each fragment: the unfragmentable part, a Fragment header, and a
	 * multiple of 8 bytes of the rest but for the last. */
	uint32_t chunk = mtu >= IP6_MIN_MTU && mtu > unfrag + IP6_FRAG_HDR_LEN + 8
				 ? (mtu - unfrag - IP6_FRAG_HDR_LEN) & ~7u
				 : 0;
	int r = 0;
	if (!chunk) {
		pkt_unref(p);
		return -EMSGSIZE;
	}
	struct ip6_frag_repr f = { .nxt = h[nh], .id = next_id(st, h + 8, h + 24) };
	for (uint32_t off = 0; off < total; off += chunk) {
		uint32_t n = total - off < chunk ? total - off : chunk;
		struct pkt *fp = pkt_alloc(PKT_HEADROOM, unfrag + IP6_FRAG_HDR_LEN + n);
		if (!fp) {
			NS_STAT_INC(st, ip6_tx_nomem);
			r = -ENOBUFS;
			break;
		}
		uint8_t *d = pkt_data(fp);
		memcpy(d, h, unfrag);
		d[nh] = IP6_NH_FRAGMENT;
		ns_wr16(d + 4, (uint16_t)(unfrag - IP6_HDR_LEN + IP6_FRAG_HDR_LEN + n));
		f.off = (uint16_t)off;
		f.m = off + n < total;
		ip6_frag_emit(d + unfrag, &f);
		memcpy(d + unfrag + IP6_FRAG_HDR_LEN, h + unfrag + off, n);
		fp->l3_off = pkt_pos(fp);
		fp->ip_proto = p->ip_proto;
		NS_STAT_INC(st, ip6_frag_created);
		int rr = out(st, fp, arg);
		if (rr < 0 && r == 0)
			r = rr;
	}
	if (r == 0)
		NS_STAT_INC(st, ip6_frag_ok);
	pkt_unref(p);
	return r;
}

int frag6_init(struct ns_stack *st)
{
	struct frag_counters c = {
		.frags = &st->stats.ip6_reasm_frags,
		.frags_merged = &st->stats.ip6_reasm_frags_merged,
		.frags_dropped = &st->stats.ip6_reasm_frags_dropped,
		.ok = &st->stats.ip6_reasm_ok,
		.dup = &st->stats.ip6_reasm_dup,
		.overlap = &st->stats.ip6_reasm_overlap,
		.bad_len = &st->stats.ip6_reasm_bad_len,
		.timeout = &st->stats.ip6_reasm_timeout,
		.too_many_frags = &st->stats.ip6_reasm_too_many_frags,
		.mem_evict = &st->stats.ip6_reasm_mem_evict,
		.too_many_dgrams = &st->stats.ip6_reasm_too_many_dgrams,
		.nomem = &st->stats.ip6_reasm_nomem,
	};
	return frag_table_create(st, &frag6_ops, &c, FRAG6_TIMEOUT, &st->frag6);
}

void frag6_fini(struct ns_stack *st)
{
	frag_table_destroy(st, st->frag6);
	st->frag6 = NULL;
}
