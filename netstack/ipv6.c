/*
 * IPv6 (RFC 8200) for a host: input, output, route lookup.
 *
 * Input: validate the header, drop martians, decide whether the packet is
 * ours (one of our usable unicast addresses, or a group we listen to on
 * that link), then walk the extension headers in order: Hop-by-Hop
 * Options (only first), Destination Options, Routing (type 0 refused,
 * RFC 5095), Fragment (frag6.c, reassembly in frag.c), up to the upper
 * layer: ICMPv6 (icmp6.c) or a transport in st->l4[]. Errors found on the
 * way are answered with ICMPv6 Parameter Problem pointing at the offending
 * byte (RFC 8200 4, RFC 4443 3.4). This is a host: nothing is forwarded.
 *
 * Output: route (ns_route6: local, link-scope, the table's longest match,
 * then the default routers), choose a source (RFC 6724, simplified), add
 * the header, fragment to the path MTU when allowed (RFC 8200 4.5, 5), and
 * hand the packet to NDP (neigh.c) or map a multicast destination to its
 * Ethernet group address (RFC 2464 7).
 */
#include <stdlib.h>

#include "ipv6_priv.h"

#define IP6_DEFAULT_HOP_LIMIT 64 /* Linux; RFC 8200 leaves it to the node */

static struct ns_nic *loopback_nic(struct ns_stack *st)
{
	for (int i = 1; i <= st->nnics; i++)
		if (st->nics[i]->caps & NS_LINK_CAP_LOOPBACK)
			return st->nics[i];
	return NULL;
}

/* RFC 6724 3.1: scope of an address for source selection. */
static unsigned addr_scope(const uint8_t *a)
{
	if (ip6_is_mcast(a))
		return ip6_mcast_scope(a);
	if (ip6_is_linklocal(a) || ip6_is_loopback(a))
		return 2;
	return 14;
}

/* ---- source address selection ---- */

/* Is candidate a better source than b for dst (RFC 6724 5)? */
static int src_better(const struct ip6_ifaddr *a, const struct ip6_ifaddr *b, const uint8_t *dst)
{
	/* Rule 1: prefer the destination itself. */
	int ea = !memcmp(a->addr, dst, 16), eb = !memcmp(b->addr, dst, 16);
	if (ea != eb)
		return ea;
	/* Rule 2: prefer an appropriate scope. */
	unsigned sa = addr_scope(a->addr), sb = addr_scope(b->addr), sd = addr_scope(dst);
	if (sa != sb)
		return sa < sb ? sa >= sd : sb < sd;
	/* Rule 3: avoid deprecated addresses. */
	int da = a->state == NS_ADDR_DEPRECATED, db = b->state == NS_ADDR_DEPRECATED;
	if (da != db)
		return db;
	/* Rule 8: longest matching prefix. */
	return ip6_common_prefix(a->addr, dst) > ip6_common_prefix(b->addr, dst);
}

static const struct ip6_ifaddr *best_on(const struct ns_nic *nic, const uint8_t *dst,
					const struct ip6_ifaddr *best)
{
	const struct ip6_nic *in = ip6n(nic);
	if (!in)
		return best;
	int lo = !!(nic->caps & NS_LINK_CAP_LOOPBACK);
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++) {
		const struct ip6_ifaddr *a = &in->addrs[i];
		if (a->state != NS_ADDR_PREFERRED && a->state != NS_ADDR_DEPRECATED)
			continue;
		/* ::1 never leaves the host (RFC 4291 2.5.3). */
		if (!lo && ip6_is_loopback(a->addr))
			continue;
		if (lo && !ip6_is_loopback(dst) && ip6_is_loopback(a->addr))
			continue;
		if (!best || src_better(a, best, dst))
			best = a;
	}
	return best;
}

int ip6_select_src(struct ns_stack *st, struct ns_nic *nic, const uint8_t dst[16], uint8_t out[16])
{
	/* Rule 5: prefer an address of the outgoing interface. */
	const struct ip6_ifaddr *best = nic ? best_on(nic, dst, NULL) : NULL;
	if (!best && addr_scope(dst) > 2) {
		for (int i = 1; i <= st->nnics; i++)
			if (st->nics[i] != nic && !(st->nics[i]->caps & NS_LINK_CAP_LOOPBACK))
				best = best_on(st->nics[i], dst, best);
	}
	if (!best)
		return -EADDRNOTAVAIL;
	memcpy(out, best->addr, 16);
	return 0;
}

/* ---- routing ---- */

/* Has nic Linux's route to every group (ff00::/8, which addrconf gives
 * every interface with IPv6 but loopback)? */
static int has_mcast_route(const struct ns_nic *nic)
{
	return !(nic->caps & NS_LINK_CAP_LOOPBACK) && ip6n(nic) && !ip6n(nic)->conf.disable_ipv6;
}

/* The nic owning usable address a, for a link-local source. */
static struct ns_nic *nic_of_addr(struct ns_stack *st, const uint8_t *a)
{
	for (int i = 1; i <= st->nnics; i++)
		if (ip6_nic_has_addr(st->nics[i], a))
			return st->nics[i];
	return NULL;
}

struct ns_nic *ip6_mcast_nic(struct ns_stack *st, const uint8_t dst[16], int oif)
{
	struct ns_nic *nic = ns_nic_get(st, oif);
	if (oif && (!nic || !ip6n(nic)))
		return NULL;
	if (nic && has_mcast_route(nic))
		return nic;
	/* (Linux's local table, where those ff00::/8 routes are, is looked
	 * up before the main one) */
	for (int i = 1; !oif && i <= st->nnics; i++)
		if (has_mcast_route(st->nics[i]))
			return st->nics[i];
	for (unsigned i = 0; i < st->nroutes; i++) {
		const struct ns_route *r = &st->routes[i];
		if (r->dst.family != AF_INET6 || !ip6_prefix_match(dst, r->dst.v6, r->prefixlen) ||
		    (oif && r->nic != oif))
			continue;
		nic = ns_nic_get(st, r->nic);
		if (nic && ip6n(nic))
			return nic;
	}
	return NULL;
}

int ns_route6(struct ns_stack *st, const uint8_t dst[16], const uint8_t *src, int bound_nic,
	      struct ns_rt *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->src.family = rt->nexthop.family = AF_INET6;
	/* RFC 4291 2.5.2: the unspecified address is never a destination.
	 * Sockets turn :: into ::1 before they get here (as Linux); what is
	 * left is an answer to a packet from :: (an echo request, a TCP
	 * segment), which has nowhere to go: without this it would follow
	 * the default route onto the wire. */
	if (ip6_is_unspec(dst))
		return -ENETUNREACH;
	/* Local destinations go through loopback (Linux's "local" table). */
	struct ns_nic *self = ns_addr6_nic(st, dst);
	if (self || ip6_is_loopback(dst)) {
		struct ns_nic *lo = loopback_nic(st);
		if (!lo)
			return -ENETUNREACH;
		/* IPv6 off on lo (down, MTU below 1280) or ::1 gone from it
		 * (disable_ipv6): nothing to send from, Linux's EADDRNOTAVAIL. */
		if (!ip6n(lo) || !self)
			return -EADDRNOTAVAIL;
		rt->nic = lo;
		memcpy(rt->nexthop.v6, dst, 16);
		if (src)
			memcpy(rt->src.v6, src, 16);
		else if (self)
			memcpy(rt->src.v6, dst, 16);
		else
			rt->src.v6[15] = 1;
		rt->mtu = ip6n(lo)->mtu;
		rt->local = 1;
		return 0;
	}
	struct ns_nic *nic = NULL;
	uint8_t gw[16];
	int has_gw = 0;
	if (ip6_is_mcast(dst)) {
		/* RFC 4007 6: a link-scope group means nothing without its
		 * link: the socket's interface, or its link-local source's. */
		if (!bound_nic && src && ip6_is_linklocal(src) && ip6_mcast_scope(dst) <= 2) {
			struct ns_nic *by_src = nic_of_addr(st, src);
			bound_nic = by_src ? by_src->id : 0;
		}
		nic = ip6_mcast_nic(st, dst, bound_nic);
	} else if (ip6_is_linklocal(dst)) {
		/* RFC 4007 6: the same for a link-local destination. */
		nic = ns_nic_get(st, bound_nic);
		if (!nic && src && ip6_is_linklocal(src))
			nic = nic_of_addr(st, src);
		if (!nic)
			return -EINVAL;
	} else {
		for (unsigned i = 0; i < st->nroutes; i++) {
			const struct ns_route *r = &st->routes[i];
			if (r->dst.family != AF_INET6 || !ip6_prefix_match(dst, r->dst.v6, r->prefixlen))
				continue;
			if (bound_nic && r->nic != bound_nic)
				continue;
			nic = ns_nic_get(st, r->nic);
			if (!nic)
				continue;
			if ((has_gw = r->has_gw))
				memcpy(gw, r->gw.v6, 16);
			break;
		}
		/* RFC 4861 5.2: off-link, to a default router. */
		if (!nic && ndp_default_router(st, bound_nic, &nic, gw) == 0)
			has_gw = 1;
	}
	if (!nic || !ip6n(nic))
		return -ENETUNREACH;
	rt->nic = nic;
	memcpy(rt->nexthop.v6, has_gw ? gw : dst, 16);
	if (src)
		memcpy(rt->src.v6, src, 16);
	else if (ip6_select_src(st, nic, dst, rt->src.v6) < 0)
		return -EADDRNOTAVAIL;
	rt->mtu = ip6n(nic)->mtu;
	uint32_t pmtu = pmtu6_get(st, dst);
	if (pmtu && pmtu < rt->mtu)
		rt->mtu = pmtu;
	return 0;
}

/* ---- output ---- */

/* Data at the IPv6 header; nexthop is where the link frame goes. */
static int send_one(struct ns_stack *st, struct pkt *p, void *arg)
{
	const struct ns_rt *rt = arg;
	struct ns_nic *nic = rt->nic;
	NS_STAT_INC(st, ip6_tx);
	if (nic->caps & NS_LINK_CAP_LOOPBACK)
		return eth_output(nic, p, NULL, ETHERTYPE_IPV6);
	const uint8_t *dst = pkt_data(p) + 24;
	if (ip6_is_mcast(dst)) {
		uint8_t mac[6];
		ip6_mcast_mac(dst, mac);
		return eth_output(nic, p, mac, ETHERTYPE_IPV6);
	}
	if (!(nic->caps & NS_LINK_CAP_RESOLVE))
		return eth_output(nic, p, NULL, ETHERTYPE_IPV6);
	return neigh_output(nic, &rt->nexthop, p, ETHERTYPE_IPV6);
}

static int output_routed(struct ns_stack *st, struct pkt *p, const struct ns_rt *rt, int df)
{
	p->l3_off = pkt_pos(p);
	if ((p->flags & PKT_F_CSUM_PARTIAL) && !(rt->nic->caps & NS_LINK_CAP_TX_CSUM))
		ns_pkt_csum_complete(p);
	if (p->len <= rt->mtu || p->gso_type != PKT_GSO_NONE)
		return send_one(st, p, (void *)rt);
	/* RFC 8200 5: only the source fragments; a socket that must not
	 * (IPV6_DONTFRAG, TCP) learns the size instead. */
	if (df) {
		NS_STAT_INC(st, ip6_tx_too_big);
		pkt_unref(p);
		return -EMSGSIZE;
	}
	if (p->flags & PKT_F_CSUM_PARTIAL)
		ns_pkt_csum_complete(p);
	return frag6_output(st, p, rt->mtu, send_one, (void *)rt);
}

int ip6_output_routed(struct ns_stack *st, struct pkt *p, const struct ns_rt *rt)
{
	return output_routed(st, p, rt, 0);
}

/* RFC 6437 3: a flow label from the flow's addresses, protocol and ports,
 * unpredictable (keyed), the same for every packet of the flow. */
static uint32_t flow_label(struct ns_stack *st, const uint8_t *src, const uint8_t *dst,
			   uint8_t proto, const struct pkt *p)
{
	uint8_t k[16 + 16 + 1 + 4];
	memcpy(k, src, 16);
	memcpy(k + 16, dst, 16);
	k[32] = proto;
	memset(k + 33, 0, 4);
	if ((proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_) && p->len >= 4)
		memcpy(k + 33, pkt_data(p), 4);
	return (uint32_t)ns_siphash(st->secret, k, sizeof(k)) & 0xfffff;
}

static uint8_t default_hlim(struct ns_stack *st, const struct ns_nic *nic)
{
	const struct ip6_nic *in = ip6n(nic);
	return (uint8_t)(in ? in->conf.hop_limit : st->ip6->conf_dflt.hop_limit);
}

int ip6_sock_hop_limit(const struct ns_stack *st, const struct ns_nic *nic)
{
	return nic && ip6n(nic) ? ip6n(nic)->conf.hop_limit : st->ip6->conf_all.hop_limit;
}

/*
 * RFC 3810 / RFC 4291 2.7: a datagram to a group (data at the IPv6
 * header). A copy goes to our own members of the group on that interface
 * unless IPV6_MULTICAST_LOOP is off; a loopback interface brings every
 * datagram back by itself. Hop limit 0 and interface-local scope never
 * leave the host (as Linux's ip6_finish_output2). Consumes p.
 */
static int mc_output(struct ns_stack *st, struct pkt *p, const struct ns_rt *rt, int df, int loop)
{
	struct ns_nic *nic = rt->nic;
	const uint8_t *h = pkt_data(p);
	if (nic->caps & NS_LINK_CAP_LOOPBACK)
		return output_routed(st, p, rt, df);
	if (loop && mld_is_member(ip6n(nic), h + 24)) {
		struct pkt *c = pkt_copy(p, PKT_HEADROOM);
		if (c) {
			if (c->flags & PKT_F_CSUM_PARTIAL)
				ns_pkt_csum_complete(c);
			c->flags = PKT_F_MC_LOOP | PKT_F_MCAST;
			c->gso_type = PKT_GSO_NONE;
			c->nic = nic;
			NS_STAT_INC(st, ip6_mcast_looped);
			pkt_queue_push(&st->mc_loopq, c);
		} else {
			NS_STAT_INC(st, ip6_tx_nomem);
		}
	}
	if (h[7] == 0 || ip6_mcast_scope(h + 24) <= 1) {
		pkt_unref(p);
		return 0;
	}
	return output_routed(st, p, rt, df);
}

int ip6_output(struct ns_stack *st, struct pkt *p, const struct ns_ip_tx *tx)
{
	struct ns_rt rt;
	const uint8_t *src = tx->src.family == AF_INET6 && !ns_ip_is_any(&tx->src) ? tx->src.v6 : NULL;
	int r = ns_route6(st, tx->dst.v6, src, tx->bound_nic, &rt);
	if (r < 0) {
		NS_STAT_INC(st, ip6_tx_no_route);
		pkt_unref(p);
		return r;
	}
	const struct ns_ip6_sticky *ext = tx->ext && tx->ext->chain_len ? tx->ext : NULL;
	uint32_t ext_len = ext ? ext->chain_len : 0;
	/* No jumbograms (RFC 2675). */
	if (p->len + ext_len > 65535) {
		pkt_unref(p);
		return -EMSGSIZE;
	}
	struct ip6_repr ip = {
		.tclass = tx->tos,
		.plen = (uint16_t)(p->len + ext_len),
		.nxt = ext ? ext->first : tx->proto,
		/* (a group's hop limit is the socket's IPV6_MULTICAST_HOPS,
		 * 0 included) */
		.hlim = (uint8_t)(ip6_is_mcast(tx->dst.v6) ? (tx->hop_limit >= 0 ? tx->hop_limit : 1)
				  : tx->hop_limit > 0 ? tx->hop_limit : default_hlim(st, rt.nic)),
	};
	memcpy(ip.src, rt.src.v6, 16);
	memcpy(ip.dst, tx->dst.v6, 16);
	ip.flow = tx->flowlabel ? tx->flowlabel
		  : tx->no_flowlabel ? 0
				     : flow_label(st, ip.src, ip.dst, tx->proto, p);
	if (ext) {
		/* RFC 3542 6: the socket's extension headers, the last one
		 * naming the upper layer */
		uint8_t *e = pkt_push(p, ext_len);
		if (!e) {
			NS_STAT_INC(st, ip6_tx_nomem);
			pkt_unref(p);
			return -ENOBUFS;
		}
		memcpy(e, ext->chain, ext_len);
		e[ext->last_off] = tx->proto;
	}
	uint8_t *h = pkt_push(p, IP6_HDR_LEN);
	if (!h) {
		NS_STAT_INC(st, ip6_tx_nomem);
		pkt_unref(p);
		return -ENOBUFS;
	}
	ip6_emit(h, &ip);
	p->ip_proto = tx->proto;
	/* IPV6_MTU: the socket's fragment size, if below the path's */
	if (tx->frag_size && tx->frag_size < rt.mtu)
		rt.mtu = tx->frag_size;
	if (ip6_is_mcast(ip.dst))
		return mc_output(st, p, &rt, tx->df, tx->mc_loop);
	return output_routed(st, p, &rt, tx->df);
}

int ip6_send_on(struct ns_nic *nic, struct pkt *p, const uint8_t src[16], const uint8_t dst[16],
		uint8_t nxt, uint8_t hlim)
{
	struct ns_stack *st = nic->stack;
	struct ip6_repr ip = { .plen = (uint16_t)p->len, .nxt = nxt, .hlim = hlim };
	memcpy(ip.src, src, 16);
	memcpy(ip.dst, dst, 16);
	uint8_t *h = pkt_push(p, IP6_HDR_LEN);
	if (!h) {
		NS_STAT_INC(st, ip6_tx_nomem);
		pkt_unref(p);
		return -ENOBUFS;
	}
	ip6_emit(h, &ip);
	p->ip_proto = nxt;
	p->l3_off = pkt_pos(p);
	struct ns_rt rt;
	memset(&rt, 0, sizeof(rt));
	rt.nic = nic;
	rt.nexthop = ns_ip6(dst);
	rt.mtu = ip6n(nic) ? ip6n(nic)->mtu : IP6_MIN_MTU;
	return send_one(st, p, &rt);
}

/* ---- input ---- */

/* An ICMPv6 Parameter Problem about p (RFC 4443 3.4); pointer is an offset
 * from the IPv6 header. */
static void param_problem(struct ns_stack *st, const struct pkt *p, uint8_t code, uint32_t ptr)
{
	icmp6_send_error(st, p, ICMP6_PARAMPROB, code, ptr);
}

/*
 * RFC 8200 4.2: the options of a Hop-by-Hop or Destination Options header
 * at byte off. Returns the header's length, or -1 when the packet is to be
 * dropped (counted, and answered where the option type says so).
 */
static int walk_options(struct ns_stack *st, const struct pkt *p, uint32_t off, int hbh,
			int mcast_dst)
{
	const uint8_t *d = pkt_data(p);
	if (off + 2 > p->len || off + ((uint32_t)d[off + 1] + 1) * 8 > p->len) {
		NS_STAT_INC(st, ip6_drop_bad_ext);
		return -1;
	}
	uint32_t end = off + ((uint32_t)d[off + 1] + 1) * 8;
	for (uint32_t i = off + 2; i < end;) {
		uint8_t type = d[i];
		if (type == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > end || i + 2 + d[i + 1] > end) {
			NS_STAT_INC(st, ip6_drop_bad_option);
			return -1;
		}
		uint8_t olen = d[i + 1];
		/* PadN, and the Router Alert of MLD (RFC 2711) in Hop-by-Hop. */
		if (type == 1 || (hbh && type == 5 && olen == 2)) {
			i += 2u + olen;
			continue;
		}
		/* RFC 8200 4.2: the two high-order bits of an unrecognised
		 * option's type say what to do. */
		switch (type >> 6) {
		case 0: /* skip over the option */
			i += 2u + olen;
			continue;
		case 1: /* discard the packet */
			break;
		case 2: /* discard; Parameter Problem code 2, even to multicast */
			param_problem(st, p, ICMP6_PP_OPTION, i);
			break;
		default: /* the same, only if the destination was not multicast */
			if (!mcast_dst)
				param_problem(st, p, ICMP6_PP_OPTION, i);
			break;
		}
		NS_STAT_INC(st, ip6_drop_unknown_option);
		return -1;
	}
	return (int)(end - off);
}

static int count_parse_error(struct ns_stack *st, int r)
{
	switch (r) {
	case IP6_ERR_SHORT:
		NS_STAT_INC(st, ip6_drop_short);
		break;
	case IP6_ERR_VERSION:
		NS_STAT_INC(st, ip6_drop_version);
		break;
	default:
		NS_STAT_INC(st, ip6_drop_len);
		break;
	}
	return r;
}

/* Where the destination leads: 1 ours (or a group we are in), 0 not
 * (counted). RFC 4291 and RFC 4862 5.4. */
static int dst_is_ours(struct ns_stack *st, struct ns_nic *nic, const uint8_t *dst, int loop)
{
	if (ip6_is_mcast(dst)) {
		/* RFC 4291 2.7: scope 0 is reserved, interface-local never
		 * leaves the node. */
		unsigned scope = ip6_mcast_scope(dst);
		if (scope == 0 || (scope == 1 && !loop)) {
			NS_STAT_INC(st, ip6_drop_martian_dst);
			return 0;
		}
		if (!mld_is_member(ip6n(nic), dst)) {
			NS_STAT_INC(st, ip6_drop_not_for_us);
			return 0;
		}
		return 1;
	}
	if ((!loop && ip6_is_loopback(dst)) || ns_ip6_is_v4mapped(dst) || ip6_is_unspec(dst)) {
		NS_STAT_INC(st, ip6_drop_martian_dst);
		return 0;
	}
	/* A link-local address is only ours on its own link (RFC 4007);
	 * others are accepted on any interface (the weak host model, as
	 * Linux). */
	struct ip6_ifaddr *ia = ip6_ifaddr_find(nic, dst);
	for (int i = 1; !ia && i <= st->nnics; i++)
		if (st->nics[i] != nic && (loop || !ip6_is_linklocal(dst)))
			ia = ip6_ifaddr_find(st->nics[i], dst);
	if (!ia) {
		NS_STAT_INC(st, ip6_drop_not_for_us);
		return 0;
	}
	if (ia->state != NS_ADDR_PREFERRED && ia->state != NS_ADDR_DEPRECATED) {
		/* RFC 4862 5.4: packets to a tentative address are dropped
		 * (DAD's own messages go to multicast groups). */
		NS_STAT_INC(st, ip6_drop_tentative);
		return 0;
	}
	return 1;
}

/*
 * A packet from a link that claims one of our addresses as its source:
 * answering it would talk to ourselves (as IPv4's martian rule, RFC 1122
 * 3.2.1.3). Neighbour Discovery is the exception: during DAD another node
 * may rightly use the address we probe (RFC 4862 5.4.4).
 */
static int own_source(struct ns_stack *st, const struct ip6_repr *ip, const uint8_t *h)
{
	if (!ns_addr6_nic(st, ip->src))
		return 0;
	if (ip->nxt == IP6_NH_ICMPV6 && ip->plen >= 1 && h[IP6_HDR_LEN] >= ICMP6_ND_RS &&
	    h[IP6_HDR_LEN] <= ICMP6_ND_REDIRECT)
		return 0;
	return 1;
}

void ip6_input(struct ns_nic *nic, struct pkt *p)
{
	struct ns_stack *st = nic->stack;
	struct ip6_repr ip;
	/* Our own multicast looped back is as trusted as loopback input. */
	int loop = (nic->caps & NS_LINK_CAP_LOOPBACK) || (p->flags & PKT_F_MC_LOOP);

	NS_STAT_INC(st, ip6_rx);
	if (!ip6n(nic) || ip6n(nic)->conf.disable_ipv6) {
		/* RFC 8200 5: no IPv6 on a link under 1280 bytes (as Linux),
		 * nor where disable_ipv6 turned it off. */
		NS_STAT_INC(st, ip6_drop_disabled);
		goto drop;
	}
	int r = ip6_parse(pkt_data(p), p->len, &ip);
	if (r < 0) {
		count_parse_error(st, r);
		goto drop;
	}
	/* Drop link-layer padding. A zero payload length with Hop-by-Hop
	 * options would be a jumbogram (RFC 2675): not supported. */
	pkt_trim(p, IP6_HDR_LEN + (uint32_t)ip.plen);
	if (ip.plen == 0 && ip.nxt == IP6_NH_HOPOPTS) {
		NS_STAT_INC(st, ip6_drop_len);
		goto drop;
	}
	/* RFC 4291 2.7: never from a multicast address; 2.5.3: ::1 never on
	 * a link; RFC 4942 2.2: no IPv4-mapped addresses on the wire. */
	if (ip6_is_mcast(ip.src) || (!loop && ip6_is_loopback(ip.src)) ||
	    ns_ip6_is_v4mapped(ip.src) || (!loop && own_source(st, &ip, pkt_data(p)))) {
		NS_STAT_INC(st, ip6_drop_martian_src);
		goto drop;
	}
	if (!dst_is_ours(st, nic, ip.dst, loop))
		goto drop;
	int mcast = ip6_is_mcast(ip.dst);
	p->l3_off = pkt_pos(p);

	/* RFC 8200 4.1: extension headers, in the order they come. `off` is
	 * the current header, `nh_off` the Next Header field that named it. */
	uint32_t off = IP6_HDR_LEN, nh_off = 6;
	uint8_t nxt = ip.nxt;
	for (;;) {
		int len;
		switch (nxt) {
		case IP6_NH_HOPOPTS:
			/* RFC 8200 4.3: only right after the IPv6 header; elsewhere
			 * it is an unrecognised Next Header. */
			if (off != IP6_HDR_LEN) {
				NS_STAT_INC(st, ip6_drop_unknown_proto);
				param_problem(st, p, ICMP6_PP_NEXTHDR, nh_off);
				goto drop;
			}
			/* fall through */
		case IP6_NH_DSTOPTS:
			len = walk_options(st, p, off, nxt == IP6_NH_HOPOPTS, mcast);
			if (len < 0)
				goto drop;
			nxt = pkt_data(p)[off];
			nh_off = off;
			off += (uint32_t)len;
			continue;
		case IP6_NH_ROUTING: {
			const uint8_t *d = pkt_data(p);
			if (off + 8 > p->len || off + ((uint32_t)d[off + 1] + 1) * 8 > p->len) {
				NS_STAT_INC(st, ip6_drop_bad_ext);
				goto drop;
			}
			/* RFC 8200 4.4: with no segments left the header is
			 * ignored. Otherwise we would have to forward: a host
			 * implements no routing type, and type 0 is deprecated
			 * (RFC 5095 3): Parameter Problem at the Routing Type. */
			if (d[off + 3] != 0) {
				NS_STAT_INC(st, ip6_drop_routing_hdr);
				param_problem(st, p, ICMP6_PP_HEADER, off + 2);
				goto drop;
			}
			nxt = d[off];
			nh_off = off;
			off += ((uint32_t)d[off + 1] + 1) * 8;
			continue;
		}
		case IP6_NH_FRAGMENT:
			/* The walk goes on after an atomic fragment's header,
			 * or in the reassembled datagram, whose unfragmentable
			 * part was already walked. */
			if (!frag6_input(st, &p, &off, &nh_off, &nxt))
				return;
			continue;
		case IP6_NH_NONE:
			/* RFC 8200 4.7: nothing follows. */
			NS_STAT_INC(st, ip6_drop_no_next_header);
			goto drop;
		default:
			goto upper;
		}
	}
upper:;
	struct ns_l3_info l3 = {
		.src = ns_ip6(ip.src),
		.dst = ns_ip6(ip.dst),
		.nic = nic,
		.proto = nxt,
		.ttl = ip.hlim,
		.tos = ip.tclass,
		.mcast = (uint8_t)mcast,
	};
	pkt_pull(p, off);
	p->l4_off = pkt_pos(p);
	p->ip_proto = nxt;
	/* raw(7): the raw sockets of the protocol get their copies first
	 * (of the payload; the IPv6 header stays at l3_off, where the
	 * error below finds it too). */
	int raw = st->raw && raw_input(st, p, &l3);
	if (nxt != IP6_NH_ICMPV6 &&
	    (nxt == IPPROTO_ICMP_ || !st->l4[nxt] || !st->l4[nxt]->input)) {
		if (raw) {
			NS_STAT_INC(st, ip6_delivered);
			NS_STAT_INC(st, raw_only);
			goto drop;
		}
		/* RFC 8200 4 / RFC 4443 3.4: unrecognised Next Header, code 1,
		 * pointing at the field that named it. */
		NS_STAT_INC(st, ip6_drop_unknown_proto);
		param_problem(st, p, ICMP6_PP_NEXTHDR, nh_off);
		goto drop;
	}
	NS_STAT_INC(st, ip6_delivered);
	if (nxt == IP6_NH_ICMPV6)
		icmp6_input(st, p, &l3);
	else
		st->l4[nxt]->input(st, p, &l3);
	return;
drop:
	pkt_unref(p);
}

/* ---- errors about our own packets ---- */

int ip6_upper_layer(const uint8_t *h, uint32_t len, uint8_t *proto, uint32_t *off)
{
	if (len < IP6_HDR_LEN)
		return -1;
	uint8_t nxt = h[6];
	uint32_t o = IP6_HDR_LEN;
	for (int n = 0; n < 32; n++) {
		switch (nxt) {
		case IP6_NH_HOPOPTS:
		case IP6_NH_DSTOPTS:
		case IP6_NH_ROUTING:
			if (o + 2 > len)
				return -1;
			nxt = h[o];
			o += ((uint32_t)h[o + 1] + 1) * 8;
			continue;
		case IP6_NH_FRAGMENT: {
			if (o + IP6_FRAG_HDR_LEN > len)
				return -1;
			struct ip6_frag_repr f;
			ip6_frag_parse(h + o, &f);
			if (f.off)
				return -1; /* no upper-layer header in this fragment */
			nxt = f.nxt;
			o += IP6_FRAG_HDR_LEN;
			continue;
		}
		default:
			if (o > len)
				return -1;
			*proto = nxt;
			*off = o;
			return 0;
		}
	}
	return -1;
}

void ip6_local_error(struct ns_stack *st, const struct pkt *p, int err)
{
	const uint8_t *h = pkt_data(p);
	uint8_t proto;
	uint32_t off;
	if (ip6_upper_layer(h, p->len, &proto, &off) < 0)
		return;
	if (proto == IP6_NH_ICMPV6 || proto == IPPROTO_ICMP_)
		return;
	const struct ns_l4_ops *ops = st->l4[proto];
	if (!ops || !ops->err)
		return;
	struct ns_l4_err e = {
		.err = err,
		.fatal = 0,
		.local = 1,
		/* RFC 4443 3.1: what a router would say, address unreachable. */
		.type = ICMP6_UNREACH,
		.code = ICMP6_UNREACH_ADDR,
		.proto = proto,
		.src = ns_ip6(h + 8),
		.dst = ns_ip6(h + 24),
		.l4 = h + off,
		.l4_len = p->len - off,
	};
	e.offender = e.src;
	if (e.l4_len >= 4) {
		e.sport = ns_rd16(e.l4);
		e.dport = ns_rd16(e.l4 + 2);
	}
	ops->err(st, &e);
}

/* ---- settings and lifecycle ---- */

int ip6_set_option(struct ns_stack *st, const char *key, const char *value)
{
	static const struct {
		const char *key;
		unsigned long min, max;
		size_t off;
	} confopts[] = {
		{ "dad_transmits", 0, 10, offsetof(struct ip6_conf, dad_transmits) },
		{ "accept_ra", 0, 1, offsetof(struct ip6_conf, accept_ra) },
		{ "autoconf", 0, 1, offsetof(struct ip6_conf, autoconf) },
		{ "hop_limit", 1, 255, offsetof(struct ip6_conf, hop_limit) },
	};
	char *end;
	unsigned long v = strtoul(value, &end, 10);
	if (!*value || *end)
		return -EINVAL;
	if (!strcmp(key, "reasm_timeout_ms")) {
		if (v < 1 || v > 3600 * 1000UL)
			return -EINVAL;
		frag_set_timeout(st->frag6, (ns_time_t)v * NS_MSEC);
		return 0;
	}
	if (!strcmp(key, "link_local") || !strcmp(key, "router_solicitations")) {
		if (v > (key[0] == 'l' ? 1 : 10))
			return -EINVAL;
		*(key[0] == 'l' ? &st->ip6->link_local : &st->ip6->rtr_solicits) = (uint8_t)v;
		return 0;
	}
	/* A per-interface setting: the default of new interfaces and the
	 * value of every existing one, as the option always was. */
	for (unsigned i = 0; i < NS_ARRAY_SIZE(confopts); i++) {
		if (strcmp(key, confopts[i].key) != 0)
			continue;
		if (v < confopts[i].min || v > confopts[i].max)
			return -EINVAL;
		*(int *)((char *)&st->ip6->conf_dflt + confopts[i].off) = (int)v;
		for (int n = 1; n <= st->nnics; n++)
			if (ip6n(st->nics[n]))
				*(int *)((char *)&ip6n(st->nics[n])->conf + confopts[i].off) = (int)v;
		return 0;
	}
	return -ENOENT;
}

int ip6_init(struct ns_stack *st)
{
	st->ip6 = calloc(1, sizeof(*st->ip6));
	if (!st->ip6)
		return -ENOMEM;
	struct ip6_state *s = st->ip6;
	s->link_local = 1;
	s->rtr_solicits = 3; /* RFC 4861 10 MAX_RTR_SOLICITATIONS */
	/* Linux's values in a new network namespace. */
	s->conf_dflt = (struct ip6_conf){
		.hop_limit = IP6_DEFAULT_HOP_LIMIT,
		.accept_ra = 1,
		.autoconf = 1,
		.dad_transmits = 1, /* RFC 4862 5.1 DupAddrDetectTransmits */
		.accept_dad = 1,
		.mtu = IP6_MIN_MTU,
	};
	s->conf_all = s->conf_dflt;
	s->conf_all.accept_dad = 0;
	return frag6_init(st);
}

void ip6_fini(struct ns_stack *st)
{
	if (!st->ip6)
		return;
	for (int i = 1; i <= st->nnics; i++)
		ip6_nic_fini(st->nics[i]);
	frag6_fini(st);
	free(st->ip6);
	st->ip6 = NULL;
}
