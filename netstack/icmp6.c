/*
 * ICMPv6 (RFC 4443).
 *
 * Input: checksum (with the IPv6 pseudo-header, RFC 4443 2.3), then by
 * type: echo requests are answered (4.1, 4.2); errors (3.1-3.4) are
 * matched to the packet of ours they quote and handed to its transport's
 * err() with AF_INET6 addresses, Packet Too Big lowering the path MTU
 * first (RFC 8201 4); NDP and MLD messages go to ndp.c and mld.c. Unknown
 * informational messages are dropped (2.4 b), unknown errors too: no
 * transport of ours could use them (2.4 d).
 *
 * Output of errors: never about an ICMPv6 error or a Redirect, a packet
 * to a multicast group or link-layer multicast/broadcast (except Packet
 * Too Big and Parameter Problem code 2, the unrecognised option asked for
 * an answer), or a packet whose source is not one node (2.4 e); rate
 * limited by the token bucket ICMPv4 uses (2.4 f, shared as Linux shares
 * icmp_msgs_per_sec); holding as much of the packet as fits in the
 * minimum MTU (2.4 c).
 */
#include "ipv6_priv.h"

uint16_t icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *d, uint32_t len)
{
	return ns_csum_fold(ns_csum_add(ns_csum_pseudo6(src, dst, IP6_NH_ICMPV6, len), d, len));
}

/* RFC 4443 2.4 (c): the error fits in the minimum MTU. */
#define ICMP6_ERR_QUOTE_MAX (IP6_MIN_MTU - IP6_HDR_LEN - ICMP6_HDR_LEN)

/* As Linux's icmpv6_err_convert(): errno and hard/soft (RFC 1122 4.2.3.9). */
static void err_convert(uint8_t type, uint8_t code, int *err, int *fatal)
{
	static const struct {
		int err, fatal;
	} unreach[] = {
		{ ENETUNREACH, 0 },  /* no route to destination */
		{ EACCES, 1 },	     /* administratively prohibited */
		{ EHOSTUNREACH, 0 }, /* beyond scope of source address */
		{ EHOSTUNREACH, 0 }, /* address unreachable */
		{ ECONNREFUSED, 1 }, /* port unreachable */
		{ EACCES, 1 },	     /* source address failed ingress/egress policy */
		{ EACCES, 1 },	     /* reject route to destination */
	};
	*err = EPROTO;
	*fatal = 0;
	switch (type) {
	case ICMP6_UNREACH:
		*fatal = 1;
		if (code < NS_ARRAY_SIZE(unreach)) {
			*err = unreach[code].err;
			*fatal = unreach[code].fatal;
		}
		break;
	case ICMP6_TOO_BIG:
		*err = EMSGSIZE;
		break;
	case ICMP6_PARAMPROB:
		*fatal = 1;
		break;
	case ICMP6_TIME_EXCEED:
		*err = EHOSTUNREACH;
		break;
	default:
		break;
	}
}

/* Is the packet (data at its IPv6 header) an ICMPv6 error or Redirect? */
static int is_icmp6_error(const uint8_t *h, uint32_t len)
{
	uint8_t proto;
	uint32_t off;
	if (ip6_upper_layer(h, len, &proto, &off) < 0 || proto != IP6_NH_ICMPV6 || off >= len)
		return 0;
	return h[off] < 128 || h[off] == ICMP6_ND_REDIRECT;
}

void icmp6_send_error(struct ns_stack *st, const struct pkt *orig, uint8_t type, uint8_t code,
		      uint32_t info)
{
	if (orig->l3_off > orig->off + orig->len)
		return;
	const uint8_t *ih = pkt_at(orig, orig->l3_off);
	uint32_t avail = orig->off + orig->len - orig->l3_off;
	if (avail < IP6_HDR_LEN || (ih[0] >> 4) != 6)
		return;
	const uint8_t *src = ih + 8, *dst = ih + 24;
	/* RFC 4443 2.4 (e). */
	int exempt = type == ICMP6_TOO_BIG || (type == ICMP6_PARAMPROB && code == ICMP6_PP_OPTION);
	int suppress = (!exempt && (ip6_is_mcast(dst) || (orig->flags & (PKT_F_BCAST | PKT_F_MCAST)))) ||
		       ip6_is_unspec(src) || ip6_is_mcast(src) || is_icmp6_error(ih, avail);
	if (suppress) {
		NS_STAT_INC(st, icmp6_err_suppressed);
		return;
	}
	/* RFC 4443 2.4 (f). */
	if (!icmp_rate_allow(st)) {
		NS_STAT_INC(st, icmp6_err_rate_limited);
		return;
	}
	/* From the address the packet was sent to if it is ours, else the
	 * best of the link it came in on; back out of that link when the
	 * sender is link-local. */
	struct ns_nic *nic = orig->nic;
	int bound = nic && (ip6_is_linklocal(src) || ip6_is_linklocal(dst)) ? nic->id : 0;
	const uint8_t *from = ns_addr6_nic(st, dst) ? dst : NULL;
	struct ns_rt rt;
	if (ns_route6(st, src, from, bound, &rt) < 0) {
		NS_STAT_INC(st, ip6_tx_no_route);
		return;
	}
	uint32_t qlen = NS_MIN(avail, (uint32_t)ICMP6_ERR_QUOTE_MAX);
	struct pkt *p = pkt_alloc(PKT_HEADROOM, ICMP6_HDR_LEN + qlen);
	if (!p)
		return;
	uint8_t *d = pkt_data(p);
	d[0] = type;
	d[1] = code;
	ns_wr16(d + 2, 0);
	ns_wr32(d + 4, info);
	memcpy(d + ICMP6_HDR_LEN, ih, qlen);
	ns_wr16(d + 2, icmp6_csum(rt.src.v6, src, d, p->len));
	struct ns_ip_tx tx = {
		.src = rt.src,
		.dst = ns_ip6(src),
		.proto = IP6_NH_ICMPV6,
		.bound_nic = bound,
	};
	switch (type) {
	case ICMP6_UNREACH:
		NS_STAT_INC(st, icmp6_unreach_tx);
		break;
	case ICMP6_TIME_EXCEED:
		NS_STAT_INC(st, icmp6_time_exceeded_tx);
		break;
	case ICMP6_PARAMPROB:
		NS_STAT_INC(st, icmp6_param_prob_tx);
		break;
	default:
		break;
	}
	NS_STAT_INC(st, icmp6_tx);
	ip6_output(st, p, &tx);
}

static void echo_reply(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	uint8_t src[16];
	/* RFC 4443 4.2: from the address the request went to, or for a
	 * multicast request a unicast address of the receiving link. */
	if (!l3->mcast)
		memcpy(src, l3->dst.v6, 16);
	else if (ip6_select_src(st, l3->nic, l3->src.v6, src) < 0) {
		NS_STAT_INC(st, icmp6_echo_no_source);
		goto drop;
	}
	if (pkt_make_writable(p) < 0) {
		NS_STAT_INC(st, icmp6_drop_nomem);
		goto drop;
	}
	uint8_t *d = pkt_data(p);
	/* Same identifier, sequence and data; type 129. */
	d[0] = ICMP6_ECHO_REP;
	ns_wr16(d + 2, 0);
	ns_wr16(d + 2, icmp6_csum(src, l3->src.v6, d, p->len));
	p->flags &= ~(PKT_F_CSUM_VERIFIED | PKT_F_CSUM_PARTIAL | PKT_F_BCAST | PKT_F_MCAST);
	p->gso_type = PKT_GSO_NONE;
	struct ns_ip_tx tx = {
		.src = ns_ip6(src),
		.dst = l3->src,
		.proto = IP6_NH_ICMPV6,
		.tos = l3->tos,
		.bound_nic = ip6_is_linklocal(l3->src.v6) || l3->mcast ? l3->nic->id : 0,
	};
	NS_STAT_INC(st, icmp6_echo_reply_tx);
	NS_STAT_INC(st, icmp6_tx);
	ip6_output(st, p, &tx);
	return;
drop:
	pkt_unref(p);
}

static void error_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	const uint8_t *d = pkt_data(p);
	uint8_t type = d[0], code = d[1];
	uint32_t len = p->len - ICMP6_HDR_LEN;
	const uint8_t *ih = d + ICMP6_HDR_LEN;

	NS_STAT_INC(st, icmp6_err_rx);
	/* Errors are never sent to a group (RFC 4443 2.4 e): bogus. */
	if (l3->mcast || len < IP6_HDR_LEN || (ih[0] >> 4) != 6)
		goto bad;
	/* About a packet we sent: its source is ours. */
	if (!ns_addr6_nic(st, ih + 8))
		goto bad;
	if (type == ICMP6_TOO_BIG) {
		/* RFC 8201 4: lower the path MTU to the quoted destination
		 * (never below 1280, never up). */
		NS_STAT_INC(st, icmp6_too_big_rx);
		struct ip6_nic *in = ip6n(l3->nic);
		if (pmtu6_update(st, ih + 24, ns_rd32(d + 4), in ? in->mtu : IP6_MIN_MTU))
			NS_STAT_INC(st, icmp6_pmtu_updated);
	}
	uint8_t proto;
	uint32_t off;
	const struct ns_l4_ops *ops = NULL;
	int upper = ip6_upper_layer(ih, len, &proto, &off) == 0;
	if (upper && proto != IP6_NH_ICMPV6 && proto != IPPROTO_ICMP_)
		ops = st->l4[proto];
	if (ops && !ops->err)
		ops = NULL;
	/* (raw sockets of any protocol, ICMPv6 too, hear of theirs) */
	if (!ops && !(upper && st->raw)) {
		NS_STAT_INC(st, icmp6_err_no_socket);
		goto drop;
	}
	/* The quote must reach the ports and the sequence number. */
	if (len - off < 8)
		goto bad;
	struct ns_l4_err e = {
		.type = type,
		.code = code,
		.info = ns_rd32(d + 4),
		.proto = proto,
		.src = ns_ip6(ih + 8),
		.dst = ns_ip6(ih + 24),
		.offender = l3->src,
		.l4 = ih + off,
		.l4_len = len - off,
	};
	e.sport = ns_rd16(e.l4);
	e.dport = ns_rd16(e.l4 + 2);
	if (type == ICMP6_TOO_BIG && e.info < IP6_MIN_MTU)
		e.info = IP6_MIN_MTU;
	int err, fatal;
	err_convert(type, code, &err, &fatal);
	e.err = err;
	e.fatal = (uint8_t)fatal;
	/* raw(7): the raw sockets that sent it hear first (Linux
	 * icmpv6_notify) */
	if (st->raw)
		raw_err(st, &e, ih, len, l3->nic);
	if (ops)
		ops->err(st, &e);
	else
		NS_STAT_INC(st, icmp6_err_no_socket);
	goto drop;
bad:
	NS_STAT_INC(st, icmp6_drop_bad_error);
drop:
	pkt_unref(p);
}

void icmp6_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	NS_STAT_INC(st, icmp6_rx);
	const uint8_t *d = pkt_data(p);
	if (p->len < 4) {
		NS_STAT_INC(st, icmp6_drop_short);
		goto drop;
	}
	if (!(p->flags & PKT_F_CSUM_VERIFIED) && icmp6_csum(l3->src.v6, l3->dst.v6, d, p->len) != 0) {
		NS_STAT_INC(st, icmp6_drop_csum);
		goto drop;
	}
	switch (d[0]) {
	case ICMP6_ECHO_REQ:
		if (p->len < ICMP6_HDR_LEN) {
			NS_STAT_INC(st, icmp6_drop_short);
			goto drop;
		}
		NS_STAT_INC(st, icmp6_echo_rx);
		echo_reply(st, p, l3);
		return;
	case ICMP6_UNREACH:
	case ICMP6_TOO_BIG:
	case ICMP6_TIME_EXCEED:
	case ICMP6_PARAMPROB:
		if (p->len < ICMP6_HDR_LEN) {
			NS_STAT_INC(st, icmp6_drop_short);
			goto drop;
		}
		error_input(st, p, l3);
		return;
	case ICMP6_MLD_QUERY:
	case ICMP6_MLD1_REPORT:
	case ICMP6_MLD1_DONE:
	case ICMP6_MLD2_REPORT:
		mld_input(st, p, l3);
		return;
	case ICMP6_ND_RS:
	case ICMP6_ND_RA:
	case ICMP6_ND_NS:
	case ICMP6_ND_NA:
	case ICMP6_ND_REDIRECT:
		ndp_input(st, p, l3);
		return;
	case ICMP6_ECHO_REP:
		ping_input(st, p, l3);
		return;
	default:
		NS_STAT_INC(st, icmp6_drop_unknown_type);
		goto drop;
	}
drop:
	pkt_unref(p);
}
