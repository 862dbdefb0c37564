/*
 * Neighbor Discovery for a host (RFC 4861) and the messages of Duplicate
 * Address Detection and SLAAC (RFC 4862).
 *
 * The neighbour cache and its NUD state machine are neigh.c's, shared with
 * ARP: this file sends the solicitations it asks for (ndp_solicit), and
 * feeds it what solicitations and advertisements teach (7.2.3, 7.2.5).
 *
 * Every message is validated as 6.1 and 7.1 require (hop limit 255, code
 * 0, lengths, options of non-zero length); an invalid one is dropped and
 * counted. Router Advertisements (6.3.4) set the link's hop limit,
 * reachable and retransmission times and MTU, maintain the Default Router
 * List and the Prefix List (on-link prefixes become routes of the table,
 * origin NS_RT_RA, until they expire), and give SLAAC addresses (RFC 4862
 * 5.5.3). Router Solicitations (6.3.7) go out after the link-local address
 * passed DAD, until an advertisement comes. Redirects (8) are counted and
 * ignored: a host may run without them, the first hop still delivers.
 */
#include "ipv6_priv.h"

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
static const uint8_t unspec[16];

#define NA_F_ROUTER 0x80
#define NA_F_SOLICITED 0x40
#define NA_F_OVERRIDE 0x20
#define PI_F_ONLINK 0x80
#define PI_F_AUTO 0x40
#define INFINITE_LIFETIME 0xffffffffu
#define MAX_REACHABLE_TIME_MS 3600000u /* RFC 4861 6.2.1 */
#define TWO_HOURS (2 * 3600 * NS_SEC)	/* RFC 4862 5.5.3 e */

ns_time_t ndp_retrans_time(const struct ns_nic *nic)
{
	const struct ip6_nic *in = ip6n(nic);
	return in ? in->retrans : ND_RETRANS_TIMER;
}

ns_time_t ndp_reachable_time(const struct ns_nic *nic)
{
	const struct ip6_nic *in = ip6n(nic);
	return in ? in->reachable_base : ND_REACHABLE_TIME;
}

static ns_time_t lifetime_ns(uint32_t secs)
{
	return secs == INFINITE_LIFETIME ? NS_TIME_NEVER : (ns_time_t)secs * NS_SEC;
}

/* ---- sending ---- */

/* Checksum and send an NDP message (hop limit 255: RFC 4861 6.1, 7.1 let
 * receivers check that it was not forwarded). Consumes p. */
static void nd_send(struct ns_nic *nic, struct pkt *p, const uint8_t *src, const uint8_t *dst)
{
	uint8_t *d = pkt_data(p);
	ns_wr16(d + 2, 0);
	ns_wr16(d + 2, icmp6_csum(src, dst, d, p->len));
	NS_STAT_INC(nic->stack, icmp6_tx);
	ip6_send_on(nic, p, src, dst, IP6_NH_ICMPV6, 255);
}

/* A message of `len` bytes, zeroed, type set. */
static struct pkt *nd_alloc(uint8_t type, uint32_t len)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, len);
	if (p) {
		memset(pkt_data(p), 0, len);
		pkt_data(p)[0] = type;
	}
	return p;
}

/* RFC 4861 4.6.1: a link-layer address option. */
static void put_lladdr(uint8_t *o, uint8_t type, const uint8_t mac[6])
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, mac, 6);
}

void ndp_solicit(struct ns_nic *nic, const uint8_t target[16], const uint8_t *dst_mac,
		 const struct pkt *trigger)
{
	struct ns_stack *st = nic->stack;
	uint8_t src[16], dst[16];
	if (!ip6n(nic))
		return;
	/* RFC 4861 7.2.2: the source of the packet that prompted the
	 * solicitation if it is ours on this link, else one of ours. */
	if (trigger && trigger->len >= IP6_HDR_LEN && ip6_nic_has_addr(nic, pkt_data(trigger) + 8))
		memcpy(src, pkt_data(trigger) + 8, 16);
	else if (ip6_select_src(st, nic, target, src) < 0)
		return;
	/* Multicast to the target's solicited-node group while resolving;
	 * unicast to the cached address when probing (7.3.3). */
	if (dst_mac)
		memcpy(dst, target, 16);
	else
		ip6_solicited_node(target, dst);
	struct pkt *p = nd_alloc(ICMP6_ND_NS, 32);
	if (!p)
		return;
	uint8_t *d = pkt_data(p);
	memcpy(d + 8, target, 16);
	put_lladdr(d + 24, NDOPT_SLLA, nic->mac);
	NS_STAT_INC(st, ndp_ns_tx);
	nd_send(nic, p, src, dst);
}

void ndp_send_dad(struct ip6_ifaddr *ia)
{
	struct ns_nic *nic = ia->in->nic;
	uint8_t dst[16];
	/* RFC 4862 5.4.2: from ::, to the solicited-node group, no source
	 * link-layer address option (RFC 4861 7.1.1); a Nonce option
	 * (RFC 7527 4.1) recognises our own solicitation looped back. */
	ip6_solicited_node(ia->addr, dst);
	struct pkt *p = nd_alloc(ICMP6_ND_NS, 32);
	if (!p)
		return;
	uint8_t *d = pkt_data(p);
	memcpy(d + 8, ia->addr, 16);
	d[24] = NDOPT_NONCE;
	d[25] = 1;
	memcpy(d + 26, ia->nonce, 6);
	NS_STAT_INC(nic->stack, ndp_ns_tx);
	nd_send(nic, p, unspec, dst);
}

static void send_na(struct ns_nic *nic, const uint8_t target[16], const uint8_t dst[16],
		    uint8_t flags)
{
	struct pkt *p = nd_alloc(ICMP6_ND_NA, 32);
	if (!p)
		return;
	uint8_t *d = pkt_data(p);
	d[4] = flags;
	memcpy(d + 8, target, 16);
	put_lladdr(d + 24, NDOPT_TLLA, nic->mac);
	NS_STAT_INC(nic->stack, ndp_na_tx);
	/* RFC 4861 7.2.4: from the target address itself. */
	nd_send(nic, p, target, dst);
}

static void send_rs(struct ip6_nic *in)
{
	struct ns_nic *nic = in->nic;
	const uint8_t *ll = ip6_nic_linklocal(nic);
	/* RFC 4861 6.3.7: from the link-local address with our link-layer
	 * address, or from :: without it. */
	struct pkt *p = nd_alloc(ICMP6_ND_RS, ll ? 16 : 8);
	if (!p)
		return;
	if (ll)
		put_lladdr(pkt_data(p) + 8, NDOPT_SLLA, nic->mac);
	NS_STAT_INC(in->st, ndp_rs_tx);
	nd_send(nic, p, ll ? ll : unspec, all_routers);
}

static void rs_timer(struct ns_timer *t, ns_time_t now)
{
	struct ip6_nic *in = ns_container_of(t, struct ip6_nic, rs_timer);
	if (!in->rs_left)
		return;
	send_rs(in);
	if (--in->rs_left)
		ns_timer_arm(in->st->wheel, &in->rs_timer, now + RTR_SOLICITATION_INTERVAL);
}

void ndp_start_rs(struct ip6_nic *in)
{
	struct ns_stack *st = in->st;
	if (!in->conf.accept_ra || !st->ip6->rtr_solicits || !(in->nic->caps & NS_LINK_CAP_RESOLVE))
		return;
	/* RFC 4861 6.3.7: up to MAX_RTR_SOLICITATIONS, the first after a
	 * random delay of up to MAX_RTR_SOLICITATION_DELAY. */
	in->rs_left = st->ip6->rtr_solicits;
	ns_timer_arm(st->wheel, &in->rs_timer,
		     st_now(st) + ip6_rand_delay(st, MAX_RTR_SOLICITATION_DELAY));
}

/* ---- options (RFC 4861 4.6) ---- */

#define ND_MAX_PREFIXES 8

struct nd_opts {
	const uint8_t *slla, *tlla; /* the 6 address bytes */
	const uint8_t *mtu;	    /* the whole 8-byte option */
	const uint8_t *nonce;	    /* 6 bytes */
	const uint8_t *prefix[ND_MAX_PREFIXES];
	unsigned nprefix;
};

/* 0, or -1 when an option is malformed (the message is then dropped). */
static int parse_opts(const uint8_t *o, uint32_t len, struct nd_opts *r)
{
	memset(r, 0, sizeof(*r));
	while (len) {
		if (len < 2)
			return -1;
		uint32_t olen = (uint32_t)o[1] * 8;
		/* RFC 4861 4.6: a length of 0 is invalid. */
		if (olen == 0 || olen > len)
			return -1;
		switch (o[0]) {
		case NDOPT_SLLA:
			r->slla = o + 2;
			break;
		case NDOPT_TLLA:
			r->tlla = o + 2;
			break;
		case NDOPT_MTU:
			if (olen == 8)
				r->mtu = o;
			break;
		case NDOPT_PREFIX:
			if (olen == 32 && r->nprefix < ND_MAX_PREFIXES)
				r->prefix[r->nprefix++] = o;
			break;
		case NDOPT_NONCE:
			r->nonce = o + 2;
			break;
		default:
			break; /* RFC 4861 4.6: unrecognised options are ignored */
		}
		o += olen;
		len -= olen;
	}
	return 0;
}

/* ---- neighbour solicitation and advertisement ---- */

static int is_solicited_node(const uint8_t *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	return !memcmp(a, pfx, 13);
}

static void ns_input(struct ns_stack *st, struct ns_nic *nic, const uint8_t *d, uint32_t len,
		     const struct ns_l3_info *l3)
{
	struct nd_opts o;
	const uint8_t *target = d + 8;
	int from_unspec = ns_ip_is_any(&l3->src);
	/* RFC 4861 7.1.1. */
	if (len < 24 || ip6_is_mcast(target) || parse_opts(d + 24, len - 24, &o) < 0 ||
	    (from_unspec && (!is_solicited_node(l3->dst.v6) || o.slla))) {
		NS_STAT_INC(st, ndp_drop_malformed);
		return;
	}
	struct ip6_ifaddr *ia = ip6_ifaddr_find(nic, target);
	if (!ia || ia->state == NS_ADDR_DADFAILED) {
		NS_STAT_INC(st, ndp_drop_not_for_us);
		return;
	}
	NS_STAT_INC(st, ndp_ns_rx);
	if (ia->state == NS_ADDR_TENTATIVE) {
		/* RFC 4862 5.4.3: a solicitation from :: is another node's DAD
		 * for the same address (unless it is ours looped back, RFC 7527
		 * 4.2); any other is a resolution we must not answer yet. */
		if (from_unspec && !(o.nonce && !memcmp(o.nonce, ia->nonce, 6)))
			ip6_dad_failed(ia);
		return;
	}
	if (from_unspec) {
		/* RFC 4861 7.2.4: answer a DAD probe for our address to all
		 * nodes, not solicited, so that the prober sees the conflict. */
		send_na(nic, target, all_nodes, NA_F_OVERRIDE);
		return;
	}
	/* RFC 4861 7.2.3: learn the solicitor (STALE if new or changed). */
	if (o.slla)
		neigh_update(nic, &l3->src, o.slla, NEIGH_UPD_OVERRIDE | NEIGH_UPD_CREATE);
	send_na(nic, target, l3->src.v6, NA_F_SOLICITED | NA_F_OVERRIDE);
}

static void router_remove(struct ip6_router *r);
static struct ip6_router *router_find(struct ip6_nic *in, const uint8_t *a);

static void na_input(struct ns_stack *st, struct ns_nic *nic, const uint8_t *d, uint32_t len,
		     const struct ns_l3_info *l3)
{
	struct nd_opts o;
	const uint8_t *target = d + 8;
	uint8_t flags = d[4];
	/* RFC 4861 7.1.2. */
	if (len < 24 || ip6_is_mcast(target) || parse_opts(d + 24, len - 24, &o) < 0 ||
	    (l3->mcast && (flags & NA_F_SOLICITED))) {
		NS_STAT_INC(st, ndp_drop_malformed);
		return;
	}
	NS_STAT_INC(st, ndp_na_rx);
	struct ip6_ifaddr *ia = ip6_ifaddr_find(nic, target);
	if (ia) {
		/* RFC 4862 5.4.4: someone holds our tentative address. For a
		 * usable one nothing is done (5.4.4: DAD is over). */
		if (ia->state == NS_ADDR_TENTATIVE)
			ip6_dad_failed(ia);
		return;
	}
	struct ns_ip t = ns_ip6(target);
	uint8_t mac[6];
	int state = neigh_lookup_state(st, nic->id, &t, mac);
	/* RFC 4861 7.2.5: no entry, nothing to learn; an INCOMPLETE entry
	 * needs the target's link-layer address. */
	if (state < 0 || (state == NEIGH_INCOMPLETE && !o.tlla))
		return;
	unsigned fl = 0;
	if (flags & NA_F_SOLICITED)
		fl |= NEIGH_UPD_SOLICITED;
	if (flags & NA_F_OVERRIDE)
		fl |= NEIGH_UPD_OVERRIDE;
	neigh_update(nic, &t, o.tlla ? o.tlla : mac, fl);
	/* RFC 4861 7.2.5: a router that says it no longer is one leaves the
	 * Default Router List. */
	if (!(flags & NA_F_ROUTER)) {
		struct ip6_router *r = router_find(ip6n(nic), target);
		if (r)
			router_remove(r);
	}
}

/* ---- the Default Router List and the Prefix List (RFC 4861 5.1, 6.3.4) ---- */

static struct ip6_router *router_find(struct ip6_nic *in, const uint8_t *a)
{
	for (unsigned i = 0; i < IP6_NIC_MAX_ROUTERS; i++)
		if (in->routers[i].in_use && !memcmp(in->routers[i].addr, a, 16))
			return &in->routers[i];
	return NULL;
}

static void router_remove(struct ip6_router *r)
{
	ns_timer_disarm(r->in->st->wheel, &r->timer);
	r->in_use = 0;
}

static void router_expired(struct ns_timer *t, ns_time_t now)
{
	NS_UNUSED(now);
	struct ip6_router *r = ns_container_of(t, struct ip6_router, timer);
	r->in_use = 0;
}

static void router_update(struct ip6_nic *in, const uint8_t *a, uint16_t lifetime)
{
	struct ip6_router *r = router_find(in, a);
	if (!lifetime) {
		if (r)
			router_remove(r);
		return;
	}
	for (unsigned i = 0; !r && i < IP6_NIC_MAX_ROUTERS; i++) {
		if (!in->routers[i].in_use) {
			r = &in->routers[i];
			r->in = in;
			memcpy(r->addr, a, 16);
			r->in_use = 1;
			ns_timer_init(&r->timer, router_expired);
		}
	}
	if (r)
		ns_timer_arm(in->st->wheel, &r->timer, st_now(in->st) + (ns_time_t)lifetime * NS_SEC);
}

int ndp_default_router(struct ns_stack *st, int bound_nic, struct ns_nic **nic, uint8_t gw[16])
{
	const struct ip6_router *any = NULL;
	for (int i = 1; i <= st->nnics; i++) {
		struct ip6_nic *in = ip6n(st->nics[i]);
		if (!in || (bound_nic && bound_nic != i))
			continue;
		for (unsigned j = 0; j < IP6_NIC_MAX_ROUTERS; j++) {
			const struct ip6_router *r = &in->routers[j];
			if (!r->in_use)
				continue;
			if (!any)
				any = r;
			/* RFC 4861 6.3.6: prefer a router that is (probably)
			 * reachable: any neighbour state but INCOMPLETE (and
			 * our FAILED). */
			struct ns_ip a = ns_ip6(r->addr);
			int s = neigh_lookup_state(st, i, &a, NULL);
			if (s != NEIGH_INCOMPLETE && s != NEIGH_FAILED) {
				any = r;
				goto found;
			}
		}
	}
	if (!any)
		return -ENETUNREACH;
found:
	*nic = any->in->nic;
	memcpy(gw, any->addr, 16);
	return 0;
}

static void prefix_remove(struct ip6_prefix *pf)
{
	struct ip6_nic *in = pf->in;
	struct ns_ip net = ns_ip6(pf->prefix);
	ns_route_remove(in->st, &net, pf->plen, in->nic->id, 0, NS_RT_RA);
	ns_timer_disarm(in->st->wheel, &pf->timer);
	pf->in_use = 0;
}

static void prefix_expired(struct ns_timer *t, ns_time_t now)
{
	NS_UNUSED(now);
	prefix_remove(ns_container_of(t, struct ip6_prefix, timer));
}

/* RFC 4861 6.3.4: an on-link prefix. */
static void prefix_update(struct ip6_nic *in, const uint8_t *prefix, unsigned plen, uint32_t valid)
{
	uint8_t p[16];
	memcpy(p, prefix, 16);
	ip6_prefix_mask(p, plen);
	if (ip6_is_linklocal(p))
		return; /* "If the prefix is the link-local prefix, silently ignore" */
	struct ip6_prefix *pf = NULL;
	for (unsigned i = 0; !pf && i < IP6_NIC_MAX_PREFIXES; i++)
		if (in->prefixes[i].in_use && in->prefixes[i].plen == plen &&
		    !memcmp(in->prefixes[i].prefix, p, 16))
			pf = &in->prefixes[i];
	if (!pf) {
		if (!valid)
			return;
		for (unsigned i = 0; !pf && i < IP6_NIC_MAX_PREFIXES; i++)
			if (!in->prefixes[i].in_use)
				pf = &in->prefixes[i];
		if (!pf)
			return;
		pf->in = in;
		memcpy(pf->prefix, p, 16);
		pf->plen = (uint8_t)plen;
		pf->in_use = 1;
		ns_timer_init(&pf->timer, prefix_expired);
		struct ns_route r;
		memset(&r, 0, sizeof(r));
		r.dst = ns_ip6(p);
		r.prefixlen = (uint8_t)plen;
		r.nic = in->nic->id;
		r.origin = NS_RT_RA;
		ns_route_insert(in->st, &r);
	} else if (!valid) {
		/* "If the prefix is already present ... and the received Valid
		 * Lifetime is zero, time-out the prefix immediately." */
		prefix_remove(pf);
		return;
	}
	if (valid == INFINITE_LIFETIME)
		ns_timer_disarm(in->st->wheel, &pf->timer);
	else
		ns_timer_arm(in->st->wheel, &pf->timer, st_now(in->st) + (ns_time_t)valid * NS_SEC);
}

/* RFC 4862 5.5.3: stateless address autoconfiguration from a prefix. */
static void slaac(struct ip6_nic *in, const uint8_t *prefix, unsigned plen, uint32_t valid,
		  uint32_t preferred)
{
	struct ns_stack *st = in->st;
	/* (a) not the link-local prefix; (c) preferred <= valid; (d) the
	 * prefix and our 64-bit identifier make 128 bits. */
	if (!in->conf.autoconf || ip6_is_linklocal(prefix) || preferred > valid || plen != 64)
		return;
	uint8_t a[16];
	memcpy(a, prefix, 8);
	ip6_eui64(in->nic->mac, a + 8);
	struct ip6_ifaddr *ia = ip6_ifaddr_find(in->nic, a);
	if (!ia) {
		/* (d) a new address, if the lifetime is not zero. */
		int err;
		if (valid && ip6_ifaddr_add(in->nic, a, 64, IP6A_F_SLAAC, lifetime_ns(valid),
					    lifetime_ns(preferred), &err))
			NS_STAT_INC(st, ndp_slaac_addrs);
		return;
	}
	if (!(ia->flags & IP6A_F_SLAAC) || ia->state == NS_ADDR_DADFAILED)
		return;
	/* (e) the preferred lifetime is taken as is; the valid one only
	 * grows past two hours or the time left, so that a forged
	 * advertisement cannot end the address at once. */
	ns_time_t now = st_now(st);
	ns_time_t left = ia->valid_until == NS_TIME_NEVER ? NS_TIME_NEVER : ia->valid_until - now;
	ns_time_t v = lifetime_ns(valid);
	if (v > TWO_HOURS || v > left)
		; /* take it */
	else if (left <= TWO_HOURS)
		v = left;
	else
		v = TWO_HOURS;
	ip6_ifaddr_set_lifetimes(ia, v, lifetime_ns(preferred) < v ? lifetime_ns(preferred) : v);
}

static void ra_input(struct ns_stack *st, struct ns_nic *nic, const uint8_t *d, uint32_t len,
		     const struct ns_l3_info *l3)
{
	struct ip6_nic *in = ip6n(nic);
	struct nd_opts o;
	/* RFC 4861 6.1.2: from a link-local address, at least 16 bytes. */
	if (len < 16 || !ip6_is_linklocal(l3->src.v6) || parse_opts(d + 16, len - 16, &o) < 0) {
		NS_STAT_INC(st, ndp_drop_malformed);
		return;
	}
	if (!in->conf.accept_ra) {
		NS_STAT_INC(st, ndp_ra_ignored);
		return;
	}
	NS_STAT_INC(st, ndp_ra_rx);
	uint8_t cur_hlim = d[4];
	uint16_t lifetime = ns_rd16(d + 6);
	uint32_t reachable = ns_rd32(d + 8), retrans = ns_rd32(d + 12);
	/* RFC 4861 6.3.4: unspecified (zero) values leave ours alone. */
	if (cur_hlim)
		in->conf.hop_limit = cur_hlim;
	if (reachable && reachable <= MAX_REACHABLE_TIME_MS)
		in->reachable_base = (ns_time_t)reachable * NS_MSEC;
	if (retrans)
		in->retrans = (ns_time_t)retrans * NS_MSEC;
	/* The router's link-layer address: STALE if new or changed. */
	if (o.slla)
		neigh_update(nic, &l3->src, o.slla, NEIGH_UPD_OVERRIDE | NEIGH_UPD_CREATE);
	router_update(in, l3->src.v6, lifetime);
	if (o.mtu) {
		/* "so long as the value is greater than or equal to the
		 * minimum link MTU and does not exceed the maximum LinkMTU". */
		uint32_t mtu = ns_rd32(o.mtu + 4);
		if (mtu >= IP6_MIN_MTU && mtu <= nic->mtu)
			in->mtu = mtu;
	}
	for (unsigned i = 0; i < o.nprefix; i++) {
		const uint8_t *pi = o.prefix[i];
		unsigned plen = pi[2];
		uint8_t flags = pi[3];
		uint32_t valid = ns_rd32(pi + 4), preferred = ns_rd32(pi + 8);
		/* A multicast prefix is neither on-link nor a source of
		 * addresses (RFC 4291 2.7): SLAAC would make a multicast
		 * address ours and send from it. Ignored, as Linux does. */
		if (plen > 128 || ip6_is_mcast(pi + 16))
			continue;
		if (flags & PI_F_ONLINK)
			prefix_update(in, pi + 16, plen, valid);
		if (flags & PI_F_AUTO)
			slaac(in, pi + 16, plen, valid, preferred);
	}
	/* RFC 4861 6.3.7: a router answered; stop soliciting. */
	if (lifetime) {
		in->rs_left = 0;
		ns_timer_disarm(st->wheel, &in->rs_timer);
	}
}

void ndp_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	const uint8_t *d = pkt_data(p);
	struct ns_nic *nic = l3->nic;
	NS_STAT_INC(st, ndp_rx);
	/* RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2: hop limit 255 (never
	 * forwarded) and code 0. */
	if (l3->ttl != 255) {
		NS_STAT_INC(st, ndp_drop_hop_limit);
		goto drop;
	}
	if (p->len < 8 || d[1] != 0) {
		NS_STAT_INC(st, ndp_drop_malformed);
		goto drop;
	}
	switch (d[0]) {
	case ICMP6_ND_NS:
		ns_input(st, nic, d, p->len, l3);
		break;
	case ICMP6_ND_NA:
		na_input(st, nic, d, p->len, l3);
		break;
	case ICMP6_ND_RA:
		ra_input(st, nic, d, p->len, l3);
		break;
	case ICMP6_ND_RS:
		/* RFC 4861 6.2.6 is for routers; a host ignores solicitations. */
		NS_STAT_INC(st, ndp_rs_rx);
		break;
	default:
		/* RFC 4861 8: Redirect, not implemented (counted). */
		NS_STAT_INC(st, ndp_redirect_rx);
		break;
	}
drop:
	pkt_unref(p);
}

void ndp_nic_init(struct ip6_nic *in)
{
	ns_timer_init(&in->rs_timer, rs_timer);
}

void ndp_nic_fini(struct ip6_nic *in)
{
	struct ns_wheel *w = in->st->wheel;
	ns_timer_disarm(w, &in->rs_timer);
	for (unsigned i = 0; i < IP6_NIC_MAX_ROUTERS; i++)
		if (in->routers[i].in_use)
			ns_timer_disarm(w, &in->routers[i].timer);
	for (unsigned i = 0; i < IP6_NIC_MAX_PREFIXES; i++)
		if (in->prefixes[i].in_use)
			ns_timer_disarm(w, &in->prefixes[i].timer);
}

void ndp_print(const struct ip6_nic *in, FILE *f)
{
	char buf[64];
	ns_time_t now = st_now(in->st);
	for (unsigned i = 0; i < IP6_NIC_MAX_ROUTERS; i++) {
		const struct ip6_router *r = &in->routers[i];
		if (!r->in_use)
			continue;
		struct ns_ip a = ns_ip6(r->addr);
		fprintf(f, "  router %-8s %s lifetime %llus\n", in->nic->name,
			ns_ip_fmt(&a, buf, sizeof(buf)),
			(unsigned long long)(r->timer.expires > now ? (r->timer.expires - now) / NS_SEC : 0));
	}
	for (unsigned i = 0; i < IP6_NIC_MAX_PREFIXES; i++) {
		const struct ip6_prefix *pf = &in->prefixes[i];
		if (!pf->in_use)
			continue;
		struct ns_ip a = ns_ip6(pf->prefix);
		fprintf(f, "  prefix %-8s %s/%u on-link\n", in->nic->name,
			ns_ip_fmt(&a, buf, sizeof(buf)), pf->plen);
	}
}
