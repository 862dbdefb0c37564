/*
 * Family-generic pieces of the network layer that transports call: output,
 * route lookup, pseudo-header checksums, address tests. Each dispatches on
 * the address family to ipv4.c or ipv6.c.
 */
#include "stack_priv.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int ns_ip6_is_v4mapped(const uint8_t v6[16])
{
	return memcmp(v6, v4mapped_prefix, 12) == 0;
}

struct ns_ip ns_ip_from_v4mapped(const uint8_t v6[16])
{
	return ns_ip4(ns_rd32(v6 + 12));
}

void ns_ip_to_v4mapped(const struct ns_ip *v4, uint8_t out[16])
{
	memcpy(out, v4mapped_prefix, 12);
	ns_wr32(out + 12, v4->v4);
}

int ns_ip_is_mcast(const struct ns_ip *a)
{
	return a->family == AF_INET ? ip4_is_mcast(a->v4) : a->v6[0] == 0xff;
}

int ns_ip_is_loopback(const struct ns_ip *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	return a->family == AF_INET ? ip4_is_loopback(a->v4) : memcmp(a->v6, lo6, 16) == 0;
}

struct ns_nic *ns_addr_nic(struct ns_stack *st, const struct ns_ip *a)
{
	return a->family == AF_INET ? ns_addr4_nic(st, a->v4) : ns_addr6_nic(st, a->v6);
}

uint32_t ns_csum_pseudo(const struct ns_ip *src, const struct ns_ip *dst, uint8_t proto, uint32_t len)
{
	if (src->family == AF_INET)
		return ns_csum_pseudo4(src->v4, dst->v4, proto, len);
	return ns_csum_pseudo6(src->v6, dst->v6, proto, len);
}

int ns_route(struct ns_stack *st, const struct ns_ip *dst, const struct ns_ip *src, int bound_nic,
	     struct ns_rt *rt)
{
	if (dst->family == AF_INET)
		return ns_route4(st, dst->v4, src && src->family == AF_INET ? src->v4 : 0, bound_nic, rt);
	return ns_route6(st, dst->v6, src && src->family == AF_INET6 && !ns_ip_is_any(src) ? src->v6 : NULL,
			 bound_nic, rt);
}

void ns_pkt_csum_complete(struct pkt *p)
{
	uint32_t start = p->csum_start - p->off;
	uint8_t *d = pkt_data(p);
	uint16_t c = ns_csum_fold(ns_csum_add(0, d + start, p->len - start));
	/* RFC 768 / RFC 8200 8.1: a computed UDP checksum of zero is sent as
	 * all ones (zero means "none" on IPv4 and is invalid on IPv6). */
	if (c == 0 && p->ip_proto == IPPROTO_UDP_)
		c = 0xffff;
	ns_wr16(d + start + p->csum_off, c);
	p->flags &= ~PKT_F_CSUM_PARTIAL;
}

int ns_ip_output(struct ns_stack *st, struct pkt *p, const struct ns_ip_tx *tx)
{
	if (tx->dst.family == AF_INET6)
		return ip6_output(st, p, tx);
	struct ip4_tx t4 = {
		.src = tx->src.family == AF_INET ? tx->src.v4 : 0,
		.dst = tx->dst.v4,
		.proto = tx->proto,
		.ttl = (uint8_t)(tx->hop_limit > 0 ? tx->hop_limit : 0),
		.tos = tx->tos,
		.df = tx->df,
		.allow_bcast = tx->allow_bcast,
		.mc_ttl = tx->mc_ttl,
		.mc_loop = tx->mc_loop,
		.bound_nic = tx->bound_nic,
		.opt = tx->opt4,
	};
	return ip4_output(st, p, &t4);
}
