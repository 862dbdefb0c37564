/*
 * IPv4 fragmentation (RFC 791 3.2) and the IPv4 side of reassembly: the
 * queues, limits and counters are the shared engine's (frag.c); this file
 * gives it the IPv4 identity of a fragment (src, dst, id, proto), rebuilds
 * the header of a reassembled datagram, and sends ICMP time exceeded
 * (fragment reassembly time exceeded, RFC 792) when a datagram whose first
 * fragment arrived times out. The timeout is 30 s (Linux ipfrag_time; RFC
 * 1122 3.3.2 suggests 60-120), settable as ip4.reasm_timeout_ms.
 */
#include <stdlib.h>

#include "stack_priv.h"

#define FRAG4_TIMEOUT (30 * NS_SEC)

static void frag4_finish(struct ns_stack *st, const struct frag_view *v, struct pkt *out)
{
	NS_UNUSED(st);
	uint8_t *d = pkt_data(out);
	uint32_t hlen = v->first_in->keep_len;
	ns_wr16(d + 2, (uint16_t)(hlen + v->total));
	ns_wr16(d + 6, (uint16_t)(ns_rd16(d + 6) & IP4_DF));
	ns_wr16(d + 10, 0);
	ns_wr16(d + 10, ns_csum(d, hlen));
}

static void frag4_expired(struct ns_stack *st, const struct frag_view *v)
{
	if (!v->first)
		return;
	/* RFC 792: code 1, sent only if fragment zero arrived, quoting its
	 * header and first 8 data bytes. */
	const struct pkt *f = v->first;
	uint32_t extra = f->len < 8 ? f->len : 8;
	struct pkt *orig = pkt_from_bytes(pkt_at(f, f->l3_off), v->first_in->keep_len + extra);
	if (orig) {
		orig->l3_off = pkt_pos(orig);
		icmp_send_error(st, orig, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
		pkt_unref(orig);
	}
}

static const struct frag_ops frag4_ops = {
	.max_len = 65535, /* RFC 791: total length, header included */
	.finish = frag4_finish,
	.expired = frag4_expired,
};

struct pkt *frag4_input(struct ns_stack *st, struct pkt *p, const struct ip4_repr *ip)
{
	struct frag_in in;
	memset(&in, 0, sizeof(in));
	ns_wr32(in.key.src, ip->src);
	ns_wr32(in.key.dst, ip->dst);
	in.key.id = ip->id;
	in.key.proto = ip->proto;
	in.off = ip->frag_off;
	in.len = (uint32_t)ip->tot_len - ip->hlen;
	in.more = ip->mf;
	in.hdr_len = in.keep_len = ip->hlen;
	return frag_input(st, st->frag4, p, &in);
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
		/* Every fragment copies the header; after the first, only
		 * the options RFC 791 marks copied stay (ip4opt.c) */
		memcpy(d, h, hlen);
		if (off && hlen > IP4_HDR_LEN)
			ip4_opts_fragment(d + IP4_HDR_LEN, hlen - IP4_HDR_LEN);
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
	struct frag_counters c = {
		.frags = &st->stats.ip4_reasm_frags,
		.frags_merged = &st->stats.ip4_reasm_frags_merged,
		.frags_dropped = &st->stats.ip4_reasm_frags_dropped,
		.ok = &st->stats.ip4_reasm_ok,
		.dup = &st->stats.ip4_reasm_dup,
		.overlap = &st->stats.ip4_reasm_overlap,
		.bad_len = &st->stats.ip4_reasm_bad_len,
		.timeout = &st->stats.ip4_reasm_timeout,
		.too_many_frags = &st->stats.ip4_reasm_too_many_frags,
		.mem_evict = &st->stats.ip4_reasm_mem_evict,
		.too_many_dgrams = &st->stats.ip4_reasm_too_many_dgrams,
		.nomem = &st->stats.ip4_reasm_nomem,
	};
	return frag_table_create(st, &frag4_ops, &c, FRAG4_TIMEOUT, &st->frag4);
}

void frag4_fini(struct ns_stack *st)
{
	frag_table_destroy(st, st->frag4);
	st->frag4 = NULL;
}

int ip4_set_option(struct ns_stack *st, const char *key, const char *value)
{
	if (strcmp(key, "reasm_timeout_ms") != 0)
		return -ENOENT;
	char *end;
	unsigned long v = strtoul(value, &end, 10);
	if (!*value || *end || v < 1 || v > 3600 * 1000UL)
		return -EINVAL;
	frag_set_timeout(st->frag4, (ns_time_t)v * NS_MSEC);
	return 0;
}
