/*
 * IPv4 (RFC 791, host requirements RFC 1122 3.2.1 and 3.3).
 *
 * Input: validate, drop martians, decide whether the datagram is ours, hand
 * fragments to reassembly, then demultiplex to the transport protocol.
 * This is a host, not a router: datagrams for other hosts are dropped and
 * counted, never forwarded.
 *
 * Output: route, add the header, fragment to the path MTU when DF is clear,
 * and hand to the neighbour layer.
 */
#include "stack_priv.h"

void ip4_register(struct ns_stack *st, uint8_t proto, const struct ns_l4_ops *ops)
{
	st->l4[proto] = ops;
}

/* RFC 6864 4.1 / Linux: IDs come from per-destination counters chosen by a
 * keyed hash, so they are unique per (src, dst, proto) for a while and not
 * predictable across destinations. */

uint16_t ip4_next_id(struct ns_stack *st, uint32_t src, uint32_t dst, uint8_t proto)
{
	uint8_t key[9];
	ns_wr32(key, src);
	ns_wr32(key + 4, dst);
	key[8] = proto;
	uint64_t h = ns_siphash(st->secret, key, sizeof(key));
	uint16_t *c = &st->ipid[h % NS_ARRAY_SIZE(st->ipid)];
	*c = (uint16_t)(*c + 1);
	return (uint16_t)(*c + (h >> 32));
}

static int count_parse_error(struct ns_stack *st, int r)
{
	switch (r) {
	case IP4_ERR_SHORT:
		NS_STAT_INC(st, ip4_drop_short);
		break;
	case IP4_ERR_VERSION:
		NS_STAT_INC(st, ip4_drop_version);
		break;
	case IP4_ERR_IHL:
		NS_STAT_INC(st, ip4_drop_ihl);
		break;
	case IP4_ERR_LEN:
		NS_STAT_INC(st, ip4_drop_len);
		break;
	case IP4_ERR_CSUM:
		NS_STAT_INC(st, ip4_drop_csum);
		break;
	default:
		NS_STAT_INC(st, ip4_drop_options);
		break;
	}
	return r;
}

/*
 * RFC 1122 3.2.1.3: martian sources. 0.0.0.0 is a source only while a host
 * learns its address (DHCP, to the limited broadcast); Linux accepts it
 * nowhere else. Taken to a unicast address it would be answered to
 * ourselves (sending to 0.0.0.0 means this host): one spoofed datagram from
 * 0.0.0.0:7 to a UDP echo service on port 7 made it echo to itself forever.
 * Nor, as Linux, to link-local groups (224.0.0.0/24) and in IGMP: switches
 * that snoop IGMP query from 0.0.0.0 (RFC 4541 2.1.1); nor in our own
 * multicast over lo (sent from 0.0.0.0 when lo is named by index).
 */
static int martian_src(struct ns_stack *st, int loop, uint32_t src, uint32_t dst, uint8_t proto)
{
	int zero_ok = dst == 0xffffffffu || (loop && ip4_is_mcast(dst)) ||
		      (ip4_is_mcast(dst) && ((dst >> 8) == 0xe00000 || proto == IPPROTO_IGMP));
	return ip4_is_mcast(src) || src == 0xffffffffu || (!loop && ip4_is_loopback(src)) ||
	       (!loop && src && ns_addr4_nic(st, src)) || (src == 0 && !zero_ok);
}

void ip4_input(struct ns_nic *nic, struct pkt *p)
{
	struct ns_stack *st = nic->stack;
	struct ip4_repr ip;
	int r;
	/* Our own multicast looped back is as trusted as loopback input. */
	int loop = (nic->caps & NS_LINK_CAP_LOOPBACK) || (p->flags & PKT_F_MC_LOOP);

	NS_STAT_INC(st, ip4_rx);
	r = ip4_parse(pkt_data(p), p->len, &ip);
	if (r == IP4_OK && ip.hlen > IP4_HDR_LEN) {
		/* RFC 1122 3.2.1.8: the options checked as Linux checks them
		 * (ip4opt.c), beyond their shape (ip4_parse) */
		uint32_t pp;
		int srr = 0;
		if (ip4_opts_check(st, pkt_data(p), &pp, &srr) < 0) {
			r = IP4_ERR_OPTIONS;
		} else if (srr) {
			/* (Linux's accept_source_route default: ip4opt.c) */
			NS_STAT_INC(st, ip4_drop_srcroute);
			goto drop;
		}
	}
	if (r < 0) {
		count_parse_error(st, r);
		if (r == IP4_ERR_OPTIONS) {
			/* RFC 1122 3.2.2.5: parameter problem for a bad option;
			 * but only about a datagram that is ours and from a
			 * real source (a host answers nothing else; Linux drops
			 * martians and others' datagrams before it looks at
			 * options). Everything up to the options parsed. */
			const uint8_t *h = pkt_data(p);
			uint32_t src = ns_rd32(h + 12), dst = ns_rd32(h + 16);
			if (!martian_src(st, loop, src, dst, h[9]) && ns_addr4_nic(st, dst) &&
			    (loop || !ip4_is_loopback(dst))) {
				/* (the pointer names the offending byte) */
				uint32_t pp = 0;
				int srr;
				ip4_opts_check(st, h, &pp, &srr);
				p->l3_off = pkt_pos(p);
				icmp_send_error(st, p, ICMP_PARAMETERPROB, 0, pp << 24);
			}
		}
		goto drop;
	}
	/* Drop link-layer padding. */
	pkt_trim(p, ip.tot_len);

	if (martian_src(st, loop, ip.src, ip.dst, ip.proto)) {
		NS_STAT_INC(st, ip4_drop_martian_src);
		goto drop;
	}
	int bcast = ip.dst == 0xffffffffu || ns_is_bcast4(st, ip.dst);
	/* RFC 1112 4: the groups joined on this interface, and all-hosts. */
	int mcast = ip4_is_mcast(ip.dst) && igmp_is_member(nic, ip.dst);
	int local = ns_addr4_nic(st, ip.dst) != NULL && (loop || !ip4_is_loopback(ip.dst));
	if (!local && !bcast && !mcast) {
		NS_STAT_INC(st, ip4_drop_not_for_us);
		goto drop;
	}
	if ((p->flags & (PKT_F_BCAST | PKT_F_MCAST)) && local && !bcast) {
		/* RFC 1122 3.3.6: unicast IP in a link-layer broadcast. */
		NS_STAT_INC(st, ip4_drop_bcast_unicast_l2);
		goto drop;
	}
	p->l3_off = pkt_pos(p);
	if (ip.mf || ip.frag_off) {
		p = frag4_input(st, p, &ip);
		if (!p)
			return;
		/* The reassembled datagram has a fresh header. */
		if (ip4_parse(pkt_data(p), p->len, &ip) < 0) {
			NS_STAT_INC(st, ip4_drop_len);
			goto drop;
		}
		p->l3_off = pkt_pos(p);
	}
	pkt_pull(p, ip.hlen);
	p->l4_off = pkt_pos(p);
	p->ip_proto = ip.proto;

	struct ns_l3_info l3 = {
		.src = ns_ip4(ip.src),
		.dst = ns_ip4(ip.dst),
		.nic = nic,
		.proto = ip.proto,
		.ttl = ip.ttl,
		.tos = ip.tos,
		.bcast = (uint8_t)bcast,
		.mcast = (uint8_t)mcast,
	};
	/* raw(7): the raw sockets of the protocol get their copies first. */
	int raw = st->raw && raw_input(st, p, &l3);
	const struct ns_l4_ops *ops = st->l4[ip.proto];
	if (!ops || !ops->input) {
		if (raw) {
			NS_STAT_INC(st, ip4_delivered);
			NS_STAT_INC(st, raw_only);
			goto drop;
		}
		NS_STAT_INC(st, ip4_drop_unknown_proto);
		/* RFC 1122 3.2.2.1: protocol unreachable. */
		if (!bcast && !mcast)
			icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
		goto drop;
	}
	NS_STAT_INC(st, ip4_delivered);
	ops->input(st, p, &l3);
	return;
drop:
	pkt_unref(p);
}

static int send_one(struct ns_stack *st, struct pkt *p, void *arg)
{
	const struct ns_rt *rt = arg;
	struct ns_nic *nic = rt->nic;
	NS_STAT_INC(st, ip4_tx);
	if (nic->caps & NS_LINK_CAP_LOOPBACK)
		return eth_output(nic, p, NULL, ETHERTYPE_IPV4);
	if (rt->bcast)
		return eth_output(nic, p, eth_bcast_addr, ETHERTYPE_IPV4);
	uint32_t dst = ns_rd32(pkt_data(p) + 16);
	if (ip4_is_mcast(dst)) {
		/* RFC 1112 6.4: 01:00:5e + low 23 bits of the group. */
		uint8_t mac[6] = { 0x01, 0x00, 0x5e, (uint8_t)((dst >> 16) & 0x7f),
				   (uint8_t)(dst >> 8), (uint8_t)dst };
		return eth_output(nic, p, mac, ETHERTYPE_IPV4);
	}
	if (!(nic->caps & NS_LINK_CAP_RESOLVE))
		return eth_output(nic, p, NULL, ETHERTYPE_IPV4);
	return neigh_output(nic, &rt->nexthop, p, ETHERTYPE_IPV4);
}

int ip4_output_routed(struct ns_stack *st, struct pkt *p, const struct ns_rt *rt)
{
	p->l3_off = pkt_pos(p);
	if ((p->flags & PKT_F_CSUM_PARTIAL) && !(rt->nic->caps & NS_LINK_CAP_TX_CSUM))
		ns_pkt_csum_complete(p);
	if (p->len <= rt->mtu || p->gso_type != PKT_GSO_NONE)
		return send_one(st, p, (void *)rt);
	if (ns_rd16(pkt_data(p) + 6) & IP4_DF) {
		NS_STAT_INC(st, ip4_tx_too_big);
		pkt_unref(p);
		return -EMSGSIZE;
	}
	if (p->flags & PKT_F_CSUM_PARTIAL)
		ns_pkt_csum_complete(p);
	return frag4_output(st, p, rt->mtu, send_one, (void *)rt);
}

/*
 * RFC 1112 6.1: a datagram to a group. A copy goes to our own members of
 * the group on that interface unless IP_MULTICAST_LOOP is off; a loopback
 * interface brings every datagram back by itself (so the option does
 * nothing there, as on Linux). TTL 0 never leaves the host. Consumes p.
 */
static int mc_output(struct ns_stack *st, struct pkt *p, const struct ns_rt *rt, int loop)
{
	struct ns_nic *nic = rt->nic;
	const uint8_t *h = pkt_data(p);
	if (nic->caps & NS_LINK_CAP_LOOPBACK)
		return ip4_output_routed(st, p, rt);
	if (loop && igmp_is_member(nic, ns_rd32(h + 16))) {
		struct pkt *c = pkt_copy(p, PKT_HEADROOM);
		if (c) {
			if (c->flags & PKT_F_CSUM_PARTIAL)
				ns_pkt_csum_complete(c);
			c->flags = PKT_F_MC_LOOP | PKT_F_MCAST;
			c->gso_type = PKT_GSO_NONE;
			c->nic = nic;
			NS_STAT_INC(st, ip4_mcast_looped);
			pkt_queue_push(&st->mc_loopq, c);
		} else {
			NS_STAT_INC(st, ip4_tx_nomem);
		}
	}
	if (h[8] == 0) {
		pkt_unref(p);
		return 0;
	}
	return ip4_output_routed(st, p, rt);
}

int ip4_output(struct ns_stack *st, struct pkt *p, const struct ip4_tx *tx)
{
	struct ns_rt rt;
	const struct ip4_opts *opt = tx->opt && tx->opt->len ? tx->opt : NULL;
	uint32_t hlen = IP4_HDR_LEN + (opt ? opt->len : 0);
	/* RFC 791 3.1: a source-routed datagram goes to its first hop; the
	 * final destination is the route's last slot (ip4_opts_build) */
	uint32_t dst = opt && opt->srr ? opt->faddr : tx->dst;
	int r = ns_route4(st, dst, tx->src, tx->bound_nic, &rt);
	if (r < 0) {
		NS_STAT_INC(st, ip4_tx_no_route);
		pkt_unref(p);
		return r;
	}
	if (rt.bcast && !tx->allow_bcast) {
		pkt_unref(p);
		return -EACCES;
	}
	if (p->len + hlen > 65535) {
		pkt_unref(p);
		return -EMSGSIZE;
	}
	uint8_t *h = pkt_push(p, hlen);
	if (!h) {
		NS_STAT_INC(st, ip4_tx_nomem);
		pkt_unref(p);
		return -ENOBUFS;
	}
	struct ip4_repr ip = {
		.hlen = (uint8_t)hlen,
		.tos = tx->tos,
		.tot_len = (uint16_t)p->len,
		.df = tx->df,
		.ttl = ip4_is_mcast(dst) ? tx->mc_ttl : tx->ttl ? tx->ttl : NS_DEFAULT_TTL,
		.proto = tx->proto,
		.src = rt.src.v4,
		.dst = dst,
	};
	ip.id = ip4_next_id(st, ip.src, ip.dst, ip.proto);
	if (opt)
		ip4_opts_build(st, h + IP4_HDR_LEN, opt, ip.src, tx->dst);
	ip4_emit(h, &ip);
	p->ip_proto = tx->proto;
	if (ip4_is_mcast(dst))
		return mc_output(st, p, &rt, tx->mc_loop);
	return ip4_output_routed(st, p, &rt);
}

void ip4_local_error(struct ns_stack *st, const struct pkt *p, int err)
{
	const uint8_t *h = pkt_data(p);
	if (p->len < IP4_HDR_LEN)
		return;
	uint32_t hlen = (uint32_t)(h[0] & 0xf) * 4;
	if (hlen < IP4_HDR_LEN || hlen > p->len)
		return;
	uint8_t proto = h[9];
	const struct ns_l4_ops *ops = st->l4[proto];
	if (!ops || !ops->err)
		return;
	/* Only the first fragment carries the transport header. */
	if (ns_rd16(h + 6) & IP4_OFFMASK)
		return;
	struct ns_l4_err e = {
		.err = err,
		.fatal = 0,
		.local = 1,
		.type = ICMP_DEST_UNREACH,
		.code = ICMP_HOST_UNREACH,
		.proto = proto,
		.src = ns_ip4(ns_rd32(h + 12)),
		.dst = ns_ip4(ns_rd32(h + 16)),
		.l4 = h + hlen,
		.l4_len = p->len - hlen,
	};
	e.offender = e.src;
	if (e.l4_len >= 4) {
		e.sport = ns_rd16(e.l4);
		e.dport = ns_rd16(e.l4 + 2);
	}
	ops->err(st, &e);
}
