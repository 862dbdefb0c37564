/*
 * ICMPv4 (RFC 792; host rules RFC 1122 3.2.2).
 *
 * Answers echo requests, sends errors (destination unreachable, time
 * exceeded, parameter problem) under the RFC 1122 3.2.2 suppression rules and
 * a global token-bucket rate limit, and hands received errors to the
 * transport protocol of the packet they quote so that it reaches the socket
 * that sent it.
 */
#include "stack_priv.h"

/* Linux defaults: icmp_msgs_per_sec 1000, icmp_msgs_burst 50. */
#define ICMP_RATE_PER_SEC 1000
#define ICMP_BURST 50
/* RFC 1812 4.3.2.3: an error holds as much of the original as fits in 576. */
#define ICMP_ERR_MAX 576

static const struct ns_l4_ops icmp_ops;

void icmp_init(struct ns_stack *st)
{
	st->icmp_tokens = ICMP_BURST;
	st->icmp_last = 0;
	ip4_register(st, IPPROTO_ICMP_, &icmp_ops);
}

int icmp_rate_allow(struct ns_stack *st)
{
	ns_time_t now = st_now(st);
	ns_time_t per = NS_SEC / ICMP_RATE_PER_SEC;
	if (now > st->icmp_last) {
		uint64_t add = (now - st->icmp_last) / per;
		if (add) {
			st->icmp_tokens = (uint32_t)NS_MIN((uint64_t)ICMP_BURST, st->icmp_tokens + add);
			st->icmp_last += add * per;
		}
	} else if (now < st->icmp_last) {
		st->icmp_last = now;
	}
	if (!st->icmp_tokens)
		return 0;
	st->icmp_tokens--;
	return 1;
}

static int is_error_type(uint8_t t)
{
	return t == ICMP_DEST_UNREACH || t == ICMP_SOURCE_QUENCH || t == ICMP_REDIRECT ||
	       t == ICMP_TIME_EXCEEDED || t == ICMP_PARAMETERPROB;
}

void icmp_err_convert(uint8_t type, uint8_t code, int *err, int *fatal)
{
	/* As Linux's icmp_err_convert[] (RFC 1122 4.2.3.9 hard/soft). */
	static const struct {
		int err;
		int fatal;
	} unreach[] = {
		{ ENETUNREACH, 0 },  /* NET_UNREACH */
		{ EHOSTUNREACH, 0 }, /* HOST_UNREACH */
		{ ENOPROTOOPT, 1 },  /* PROT_UNREACH */
		{ ECONNREFUSED, 1 }, /* PORT_UNREACH */
		{ EMSGSIZE, 0 },     /* FRAG_NEEDED */
		{ EOPNOTSUPP, 0 },   /* SR_FAILED */
		{ ENETUNREACH, 1 },  /* NET_UNKNOWN */
		{ EHOSTDOWN, 1 },    /* HOST_UNKNOWN */
		{ ENONET, 1 },	     /* HOST_ISOLATED */
		{ ENETUNREACH, 1 },  /* NET_ANO */
		{ EHOSTUNREACH, 1 }, /* HOST_ANO */
		{ ENETUNREACH, 0 },  /* NET_UNR_TOS */
		{ EHOSTUNREACH, 0 }, /* HOST_UNR_TOS */
		{ EHOSTUNREACH, 1 }, /* PKT_FILTERED */
		{ EHOSTUNREACH, 1 }, /* PREC_VIOLATION */
		{ EHOSTUNREACH, 1 }, /* PREC_CUTOFF */
	};
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code < NS_ARRAY_SIZE(unreach)) {
			*err = unreach[code].err;
			*fatal = unreach[code].fatal;
		} else {
			*err = EHOSTUNREACH;
			*fatal = 0;
		}
		return;
	case ICMP_PARAMETERPROB:
		*err = EPROTO;
		*fatal = 1;
		return;
	case ICMP_TIME_EXCEEDED:
	default:
		*err = EHOSTUNREACH;
		*fatal = 0;
		return;
	}
}

void icmp_send_error(struct ns_stack *st, const struct pkt *orig, uint8_t type, uint8_t code,
		     uint32_t info)
{
	const uint8_t *ih = pkt_at(orig, orig->l3_off);
	uint32_t avail = orig->off + orig->len - orig->l3_off;
	if (orig->l3_off > orig->off + orig->len || avail < IP4_HDR_LEN)
		return;
	uint32_t hlen = (uint32_t)(ih[0] & 0xf) * 4;
	if (hlen < IP4_HDR_LEN || hlen > avail)
		return;
	uint32_t src = ns_rd32(ih + 12), dst = ns_rd32(ih + 16);

	/* RFC 1122 3.2.2: never about an ICMP error, a broadcast or multicast
	 * (link or IP), a non-initial fragment, or a source that does not
	 * name a single host. */
	int suppress = (orig->flags & (PKT_F_BCAST | PKT_F_MCAST)) || ip4_is_mcast(dst) ||
		       ns_is_bcast4(st, dst) || (ns_rd16(ih + 6) & IP4_OFFMASK) || src == 0 ||
		       ip4_is_mcast(src) || ns_is_bcast4(st, src);
	if (!suppress && ih[9] == IPPROTO_ICMP_ && avail >= hlen + 1 && is_error_type(ih[hlen]))
		suppress = 1;
	if (suppress) {
		NS_STAT_INC(st, icmp_err_suppressed);
		return;
	}
	if (!icmp_rate_allow(st)) {
		NS_STAT_INC(st, icmp_err_rate_limited);
		return;
	}
	uint32_t tot = ns_rd16(ih + 2);
	uint32_t qlen = NS_MIN(avail, tot);
	qlen = NS_MIN(qlen, (uint32_t)(ICMP_ERR_MAX - IP4_HDR_LEN - ICMP_HDR_LEN));
	struct pkt *p = pkt_alloc(PKT_HEADROOM, ICMP_HDR_LEN + qlen);
	if (!p)
		return;
	uint8_t *d = pkt_data(p);
	d[0] = type;
	d[1] = code;
	ns_wr16(d + 2, 0);
	ns_wr32(d + 4, info);
	memcpy(d + ICMP_HDR_LEN, ih, qlen);

	struct ip4_tx tx = {
		.src = ns_addr4_nic(st, dst) ? dst : 0,
		.dst = src,
		.proto = IPPROTO_ICMP_,
		/* Linux: keep the TOS, precedence "internetwork control". */
		.tos = (uint8_t)((ih[1] & 0x1e) | 0xc0),
	};
	/* Linux: the datagram's record route and timestamp turned round,
	 * as far as they were valid (a bad option's error too); no error
	 * when they cannot be (ip4opt.c). Its quoted header shows them as
	 * input filled them in place (the header checksum left as it came). */
	struct ip4_opts rx, echo;
	if (hlen > IP4_HDR_LEN) {
		ip4_opts_received(st, ih, tx.src, ns_stack_now(st), &rx);
		if (ip4_opts_echo(st, &rx, &echo) < 0) {
			NS_STAT_INC(st, icmp_err_suppressed);
			pkt_unref(p);
			return;
		}
		tx.opt = &echo;
		if (qlen > IP4_HDR_LEN)
			memcpy(d + ICMP_HDR_LEN + IP4_HDR_LEN, rx.data, NS_MIN(qlen - IP4_HDR_LEN, (uint32_t)rx.len));
	}
	ns_wr16(d + 2, ns_csum(d, ICMP_HDR_LEN + qlen));
	switch (type) {
	case ICMP_DEST_UNREACH:
		NS_STAT_INC(st, icmp_unreach_tx);
		break;
	case ICMP_TIME_EXCEEDED:
		NS_STAT_INC(st, icmp_time_exceeded_tx);
		break;
	case ICMP_PARAMETERPROB:
		NS_STAT_INC(st, icmp_param_prob_tx);
		break;
	default:
		break;
	}
	NS_STAT_INC(st, icmp_tx);
	ip4_output(st, p, &tx);
}

static void echo_reply(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	if (l3->bcast || l3->mcast) {
		/* Linux icmp_echo_ignore_broadcasts=1 (RFC 1122 3.2.2.6 allows). */
		NS_STAT_INC(st, icmp_drop_bcast_echo);
		pkt_unref(p);
		return;
	}
	/* RFC 1122 3.2.2.6: the request's record route and timestamp go
	 * back in the reply (Linux: turned round, ip4opt.c; none when that
	 * fails) */
	struct ip4_opts rx, echo;
	const uint8_t *ih = pkt_at(p, p->l3_off);
	int has_opts = (ih[0] & 0xf) * 4 > IP4_HDR_LEN;
	if (has_opts && (ip4_opts_received(st, ih, l3->dst.v4, ns_stack_now(st), &rx) < 0 ||
			 ip4_opts_echo(st, &rx, &echo) < 0)) {
		NS_STAT_INC(st, icmp_drop_echo_options);
		pkt_unref(p);
		return;
	}
	if (pkt_make_writable(p) < 0) {
		NS_STAT_INC(st, icmp_drop_nomem);
		pkt_unref(p);
		return;
	}
	uint8_t *d = pkt_data(p);
	/* RFC 792: same data, type 0, checksum recomputed. */
	d[0] = ICMP_ECHOREPLY;
	ns_wr16(d + 2, 0);
	ns_wr16(d + 2, ns_csum(d, p->len));
	p->flags &= ~(PKT_F_CSUM_VERIFIED | PKT_F_CSUM_PARTIAL | PKT_F_BCAST | PKT_F_MCAST);
	p->gso_type = PKT_GSO_NONE;
	struct ip4_tx tx = {
		.src = l3->dst.v4,
		.dst = l3->src.v4,
		.proto = IPPROTO_ICMP_,
		.tos = l3->tos,
		.opt = has_opts ? &echo : NULL,
	};
	NS_STAT_INC(st, icmp_echo_reply_tx);
	NS_STAT_INC(st, icmp_tx);
	ip4_output(st, p, &tx);
}

static void error_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	const uint8_t *d = pkt_data(p);
	uint8_t type = d[0], code = d[1];
	uint32_t len = p->len - ICMP_HDR_LEN;
	const uint8_t *ih = d + ICMP_HDR_LEN;

	NS_STAT_INC(st, icmp_err_rx);
	/* RFC 1122 3.2.2: errors sent to a broadcast or multicast address
	 * are bogus (we never send from one). */
	if (l3->bcast || l3->mcast)
		goto bad;
	if (len < IP4_HDR_LEN || (ih[0] >> 4) != 4)
		goto bad;
	uint32_t hlen = (uint32_t)(ih[0] & 0xf) * 4;
	/* RFC 792: the quote holds the header and at least 8 data bytes. */
	if (hlen < IP4_HDR_LEN || len < hlen + 8)
		goto bad;
	uint32_t src = ns_rd32(ih + 12);
	if (!ns_addr4_nic(st, src))
		goto bad; /* not about a packet we sent */
	uint8_t proto = ih[9];
	const struct ns_l4_ops *ops = st->l4[proto];
	if ((!ops || !ops->err) && !st->raw) {
		NS_STAT_INC(st, icmp_err_no_socket);
		pkt_unref(p);
		return;
	}
	struct ns_l4_err e = {
		.type = type,
		.code = code,
		.info = ns_rd32(d + 4),
		.proto = proto,
		.src = ns_ip4(src),
		.dst = ns_ip4(ns_rd32(ih + 16)),
		.offender = l3->src,
		.l4 = ih + hlen,
		.l4_len = len - hlen,
	};
	e.sport = ns_rd16(e.l4);
	e.dport = ns_rd16(e.l4 + 2);
	int err, fatal;
	icmp_err_convert(type, code, &err, &fatal);
	e.err = err;
	e.fatal = (uint8_t)fatal;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		e.info &= 0xffff; /* RFC 1191 4: next-hop MTU in the low 16 bits */
	if (type == ICMP_PARAMETERPROB)
		e.info >>= 24;
	/* raw(7): the raw sockets that sent it hear first (Linux
	 * icmp_socket_deliver) */
	if (st->raw)
		raw_err(st, &e, ih, len, l3->nic);
	if (ops && ops->err)
		ops->err(st, &e);
	else
		NS_STAT_INC(st, icmp_err_no_socket);
	pkt_unref(p);
	return;
bad:
	NS_STAT_INC(st, icmp_drop_bad_error);
	pkt_unref(p);
}

static void icmp_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	NS_STAT_INC(st, icmp_rx);
	if (p->len < ICMP_HDR_LEN) {
		NS_STAT_INC(st, icmp_drop_short);
		goto drop;
	}
	if (!(p->flags & PKT_F_CSUM_VERIFIED) && ns_csum(pkt_data(p), p->len) != 0) {
		NS_STAT_INC(st, icmp_drop_csum);
		goto drop;
	}
	switch (pkt_data(p)[0]) {
	case ICMP_ECHO:
		NS_STAT_INC(st, icmp_echo_rx);
		echo_reply(st, p, l3);
		return;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		error_input(st, p, l3);
		return;
	case ICMP_ECHOREPLY:
		ping_input(st, p, l3);
		return;
	case ICMP_SOURCE_QUENCH: /* RFC 6633: ignored */
	default:
		NS_STAT_INC(st, icmp_drop_unknown_type);
		goto drop;
	}
drop:
	pkt_unref(p);
}

static const struct ns_l4_ops icmp_ops = {
	.input = icmp_input,
};

