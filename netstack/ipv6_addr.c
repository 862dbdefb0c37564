/*
 * IPv6 addresses of an interface (RFC 4291, RFC 4862).
 *
 * Each address lives in a fixed slot of its interface (its timer is a slot
 * in it, so slots never move) and goes through the states of RFC 4862:
 *
 *   TENTATIVE   Duplicate Address Detection (5.4): we listen to its
 *               solicited-node group, wait a random 0-1 s (5.4.2), then
 *               send DupAddrDetectTransmits solicitations from :: one
 *               RetransTimer apart. Packets to it are dropped and it is
 *               never a source. A solicitation from :: for it, or an
 *               advertisement of it, from someone else -> DADFAILED.
 *   PREFERRED   usable; DEPRECATED when its preferred lifetime ends
 *               (5.5.4): still ours, not chosen as a source.
 *   DADFAILED   5.4.5: never used; kept (and printed) so that the conflict
 *               is visible, until the address is deleted.
 *
 * The valid lifetime's end removes the address. Manual addresses and the
 * link-local address live forever; SLAAC addresses (ndp.c) have the
 * lifetimes their prefix was advertised with.
 *
 * Every interface that resolves neighbours gets fe80::/64 with the
 * modified EUI-64 identifier of its MAC (RFC 4291 2.5.1, RFC 2464 4, RFC
 * 4862 5.3); its DAD success starts router solicitation (RFC 4861 6.3.7).
 * The loopback interface gets ::1/128 (RFC 4291 2.5.3). Every interface
 * listens to the all-nodes group ff02::1 (RFC 4291 2.8).
 */
#include <stdlib.h>

#include "ipv6_priv.h"

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

ns_time_t ip6_rand_delay(struct ns_stack *st, ns_time_t max)
{
	/* Uniform in [0, max) at 65 us resolution; no overflow up to hours. */
	return (((uint64_t)ns_random32(st) * (max >> 16)) >> 32) << 16;
}

static void addr_timer(struct ns_timer *t, ns_time_t now);

int ip6_nic_init(struct ns_stack *st, struct ns_nic *nic)
{
	struct ip6_nic *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->nic = nic;
	in->st = st;
	/* Linux IP6_MAX_MTU: the payload length's 65535 and the header
	 * (the loopback's 65536 stays 65536, as on Linux). */
	in->mtu = nic->mtu > 65535 + IP6_HDR_LEN ? 65535 + IP6_HDR_LEN : nic->mtu;
	in->conf = st->ip6->conf_dflt;
	/* Linux: no DAD on the loopback, shown as accept_dad -1 */
	if (nic->caps & NS_LINK_CAP_LOOPBACK)
		in->conf.accept_dad = -1;
	in->reachable_base = ND_REACHABLE_TIME;
	in->retrans = ND_RETRANS_TIMER;
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++) {
		in->addrs[i].in = in;
		ns_timer_init(&in->addrs[i].timer, addr_timer);
	}
	ndp_nic_init(in);
	mld_nic_init(in);
	nic->ip6 = in;
	return 0;
}

void ip6_nic_fini(struct ns_nic *nic)
{
	struct ip6_nic *in = nic->ip6;
	if (!in)
		return;
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++)
		ns_timer_disarm(in->st->wheel, &in->addrs[i].timer);
	mld_nic_fini(in);
	ndp_nic_fini(in);
	free(in);
	nic->ip6 = NULL;
}

struct ip6_ifaddr *ip6_ifaddr_find(struct ns_nic *nic, const uint8_t a[16])
{
	struct ip6_nic *in = ip6n(nic);
	if (!in)
		return NULL;
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++)
		if (in->addrs[i].state != IP6A_FREE && !memcmp(in->addrs[i].addr, a, 16))
			return &in->addrs[i];
	return NULL;
}

static int usable(const struct ip6_ifaddr *ia)
{
	return ia->state == NS_ADDR_PREFERRED || ia->state == NS_ADDR_DEPRECATED;
}

int ip6_nic_has_addr(const struct ns_nic *nic, const uint8_t a[16])
{
	const struct ip6_ifaddr *ia = ip6_ifaddr_find((struct ns_nic *)nic, a);
	return ia && usable(ia);
}

const uint8_t *ip6_nic_linklocal(const struct ns_nic *nic)
{
	const struct ip6_nic *in = ip6n(nic);
	if (!in)
		return NULL;
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++)
		if (usable(&in->addrs[i]) && ip6_is_linklocal(in->addrs[i].addr))
			return in->addrs[i].addr;
	return NULL;
}

struct ns_nic *ns_addr6_nic(struct ns_stack *st, const uint8_t a[16])
{
	for (int i = 1; i <= st->nnics; i++)
		if (ip6_nic_has_addr(st->nics[i], a))
			return st->nics[i];
	return NULL;
}

int ip6_addr_state(const struct ns_nic *nic, const uint8_t a[16])
{
	const struct ip6_ifaddr *ia = ip6_ifaddr_find((struct ns_nic *)nic, a);
	return ia ? ia->state : -EADDRNOTAVAIL;
}

/* ---- the connected route of a configured address ---- */

static void prefix_of(const struct ip6_ifaddr *ia, struct ns_ip *net)
{
	*net = ns_ip6(ia->addr);
	ip6_prefix_mask(net->v6, ia->plen);
}

static void route_add(struct ip6_ifaddr *ia)
{
	if (ia->plen >= 128 || (ia->flags & IP6A_F_SLAAC))
		return; /* RFC 4862 5.5.3: SLAAC says nothing about on-link */
	struct ns_route r;
	memset(&r, 0, sizeof(r));
	prefix_of(ia, &r.dst);
	r.prefixlen = ia->plen;
	r.nic = ia->in->nic->id;
	r.origin = NS_RT_STATIC;
	if (ns_route_insert(ia->in->st, &r) == 0)
		ia->flags |= IP6A_F_ROUTE;
}

/* Remove the connected route unless another address of the link needs it. */
static void route_del(struct ip6_ifaddr *ia)
{
	if (!(ia->flags & IP6A_F_ROUTE))
		return;
	ia->flags &= (uint8_t)~IP6A_F_ROUTE;
	struct ip6_nic *in = ia->in;
	struct ns_ip net;
	prefix_of(ia, &net);
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++) {
		struct ip6_ifaddr *o = &in->addrs[i];
		if (o != ia && (o->flags & IP6A_F_ROUTE) && o->plen == ia->plen &&
		    ip6_prefix_match(o->addr, net.v6, ia->plen))
			return;
	}
	ns_route_remove(in->st, &net, ia->plen, in->nic->id, 0, NS_RT_STATIC);
}

/* ---- lifetimes (RFC 4862 5.5.4) ---- */

static void lifetime_arm(struct ip6_ifaddr *ia)
{
	struct ns_stack *st = ia->in->st;
	ns_time_t next = ia->valid_until;
	if (ia->state == NS_ADDR_PREFERRED && ia->preferred_until < next)
		next = ia->preferred_until;
	if (next == NS_TIME_NEVER)
		ns_timer_disarm(st->wheel, &ia->timer);
	else
		ns_timer_arm(st->wheel, &ia->timer, next);
}

static void lifetime_check(struct ip6_ifaddr *ia, ns_time_t now)
{
	if (now >= ia->valid_until) {
		ip6_ifaddr_del(ia);
		return;
	}
	if (ia->state == NS_ADDR_PREFERRED && now >= ia->preferred_until)
		ia->state = NS_ADDR_DEPRECATED;
	lifetime_arm(ia);
}

static ns_time_t until(ns_time_t now, ns_time_t life)
{
	return life == NS_TIME_NEVER ? NS_TIME_NEVER : now + life;
}

void ip6_ifaddr_set_lifetimes(struct ip6_ifaddr *ia, ns_time_t valid, ns_time_t preferred)
{
	ns_time_t now = st_now(ia->in->st);
	ia->valid_until = until(now, valid);
	ia->preferred_until = until(now, preferred);
	if (ia->state == NS_ADDR_TENTATIVE || ia->state == NS_ADDR_DADFAILED)
		return;
	ia->state = now < ia->preferred_until ? NS_ADDR_PREFERRED : NS_ADDR_DEPRECATED;
	lifetime_check(ia, now);
}

/* ---- duplicate address detection (RFC 4862 5.4) ---- */

static void dad_done(struct ip6_ifaddr *ia, int ran)
{
	struct ns_stack *st = ia->in->st;
	ns_time_t now = st_now(st);
	if (ran)
		NS_STAT_INC(st, ndp_dad_ok);
	ia->state = now < ia->preferred_until ? NS_ADDR_PREFERRED : NS_ADDR_DEPRECATED;
	if (ia->flags & IP6A_F_LINKLOCAL) {
		ndp_start_rs(ia->in);
		/* (only after a DAD that ran: without one the reports never
		 * went from ::) */
		if (ran)
			mld_dad_complete(ia->in);
	}
	lifetime_check(ia, now);
}

static void dad_start(struct ip6_ifaddr *ia)
{
	struct ip6_nic *in = ia->in;
	struct ns_stack *st = in->st;
	ia->state = NS_ADDR_TENTATIVE;
	/* Linux counts DupAddrDetectTransmits in a byte */
	uint8_t transmits = (uint8_t)in->conf.dad_transmits;
	if (!transmits || (in->conf.accept_dad < 1 && st->ip6->conf_all.accept_dad < 1) ||
	    (in->nic->caps & NS_LINK_CAP_LOOPBACK) || !(in->nic->caps & NS_LINK_CAP_RESOLVE)) {
		/* RFC 4862 5.4: DupAddrDetectTransmits 0, DAD turned off (or a
		 * link without neighbours): the address is usable at once. */
		dad_done(ia, 0);
		return;
	}
	ia->dad_left = transmits;
	uint32_t r1 = ns_random32(st), r2 = ns_random32(st);
	ns_wr32(ia->nonce, r1);
	ns_wr16(ia->nonce + 4, (uint16_t)r2);
	/* RFC 4862 5.4.2: the first solicitation waits a random delay. */
	ns_timer_arm(st->wheel, &ia->timer,
		     st_now(st) + ip6_rand_delay(st, MAX_RTR_SOLICITATION_DELAY));
}

void ip6_dad_failed(struct ip6_ifaddr *ia)
{
	struct ip6_nic *in = ia->in;
	struct ns_stack *st = in->st;
	uint8_t sn[16];
	if (ia->state != NS_ADDR_TENTATIVE)
		return;
	/* RFC 4862 5.4.5: the address is not assigned to the interface. It
	 * stays listed as DADFAILED (Linux's "dadfailed") so that the
	 * conflict is seen. */
	NS_STAT_INC(st, ndp_dad_failed);
	ia->state = NS_ADDR_DADFAILED;
	/* A SLAAC address still ends with its valid lifetime. */
	if (ia->valid_until != NS_TIME_NEVER)
		ns_timer_arm(st->wheel, &ia->timer, ia->valid_until);
	else
		ns_timer_disarm(st->wheel, &ia->timer);
	ip6_solicited_node(ia->addr, sn);
	mld_leave(in, sn, 1);
	route_del(ia);
}

static void addr_timer(struct ns_timer *t, ns_time_t now)
{
	struct ip6_ifaddr *ia = ns_container_of(t, struct ip6_ifaddr, timer);
	struct ip6_nic *in = ia->in;
	switch (ia->state) {
	case NS_ADDR_TENTATIVE:
		if (ia->dad_left) {
			ndp_send_dad(ia);
			ia->dad_left--;
			/* RFC 4862 5.4.2: RetransTimer apart, and as long after
			 * the last before the address is declared unique. */
			ns_timer_arm(in->st->wheel, &ia->timer, now + in->retrans);
			return;
		}
		dad_done(ia, 1);
		return;
	case NS_ADDR_PREFERRED:
	case NS_ADDR_DEPRECATED:
		lifetime_check(ia, now);
		return;
	case NS_ADDR_DADFAILED:
		if (now >= ia->valid_until)
			ip6_ifaddr_del(ia);
		return;
	default:
		return;
	}
}

/* ---- adding and removing ---- */

struct ip6_ifaddr *ip6_ifaddr_add(struct ns_nic *nic, const uint8_t a[16], unsigned plen,
				  unsigned flags, ns_time_t valid, ns_time_t preferred, int *err)
{
	struct ip6_nic *in = ip6n(nic);
	if (!in) {
		*err = -EACCES; /* IPv6 is off on this link (Linux: EACCES) */
		return NULL;
	}
	struct ns_stack *st = in->st;
	for (int i = 1; i <= st->nnics; i++) {
		if (ip6_ifaddr_find(st->nics[i], a)) {
			*err = -EEXIST;
			return NULL;
		}
	}
	struct ip6_ifaddr *ia = NULL;
	for (unsigned i = 0; !ia && i < IP6_NIC_MAX_ADDR; i++)
		if (in->addrs[i].state == IP6A_FREE)
			ia = &in->addrs[i];
	if (!ia) {
		*err = -ENOSPC;
		return NULL;
	}
	uint8_t sn[16];
	ip6_solicited_node(a, sn);
	/* RFC 4862 5.4.2: listen to the solicited-node group before probing. */
	if ((*err = mld_join(in, sn, 1)) < 0)
		return NULL;
	memcpy(ia->addr, a, 16);
	ia->plen = (uint8_t)plen;
	ia->flags = (uint8_t)flags;
	ns_time_t now = st_now(st);
	ia->valid_until = until(now, valid);
	ia->preferred_until = until(now, preferred);
	ia->state = NS_ADDR_TENTATIVE;
	route_add(ia);
	dad_start(ia);
	*err = 0;
	return ia;
}

void ip6_ifaddr_del(struct ip6_ifaddr *ia)
{
	struct ip6_nic *in = ia->in;
	if (ia->state != NS_ADDR_DADFAILED) {
		uint8_t sn[16];
		ip6_solicited_node(ia->addr, sn);
		mld_leave(in, sn, 1);
		route_del(ia);
	}
	ns_timer_disarm(in->st->wheel, &ia->timer);
	memset(ia->addr, 0, sizeof(ia->addr));
	ia->state = IP6A_FREE;
	ia->flags = 0;
}

int ip6_add_addr(struct ns_stack *st, struct ns_nic *nic, const uint8_t a[16], unsigned prefixlen)
{
	NS_UNUSED(st);
	/* RFC 4291 2.5.2, 2.7, 2.5.5.2: not the unspecified, a multicast or an
	 * IPv4-mapped address; ::1 only on loopback (2.5.3). */
	if (prefixlen > 128 || ip6_is_unspec(a) || ip6_is_mcast(a) || ns_ip6_is_v4mapped(a) ||
	    (ip6_is_loopback(a) && !(nic->caps & NS_LINK_CAP_LOOPBACK)))
		return -EINVAL;
	int err;
	ip6_ifaddr_add(nic, a, prefixlen, 0, NS_TIME_NEVER, NS_TIME_NEVER, &err);
	return err;
}

int ip6_del_addr(struct ns_stack *st, struct ns_nic *nic, const uint8_t a[16])
{
	NS_UNUSED(st);
	struct ip6_ifaddr *ia = ip6_ifaddr_find(nic, a);
	if (!ia)
		return -EADDRNOTAVAIL;
	ip6_ifaddr_del(ia);
	return 0;
}

/* IPv6 on an interface: all-nodes, ::1 on loopback, the link-local address. */
static void nic_start(struct ns_stack *st, struct ns_nic *nic)
{
	struct ip6_nic *in = ip6n(nic);
	int err;
	mld_join(in, all_nodes, 1);
	if (nic->caps & NS_LINK_CAP_LOOPBACK) {
		static const uint8_t lo[16] = { [15] = 1 };
		ip6_ifaddr_add(nic, lo, 128, 0, NS_TIME_NEVER, NS_TIME_NEVER, &err);
		return;
	}
	if (!(nic->caps & NS_LINK_CAP_RESOLVE) || !st->ip6->link_local)
		return;
	/* RFC 4862 5.3: fe80::/64 and the interface identifier. */
	uint8_t ll[16] = { 0xfe, 0x80 };
	ip6_eui64(nic->mac, ll + 8);
	ip6_ifaddr_add(nic, ll, 64, IP6A_F_LINKLOCAL, NS_TIME_NEVER, NS_TIME_NEVER, &err);
}

/* The interface went down, or its MTU below 1280: as Linux's
 * addrconf_ifdown(), every IPv6 address goes (manual ones too) with its
 * routes and groups, and the interface's IPv6 state with them;
 * ip6_nic_added() starts afresh when it comes back. */
void ip6_nic_down(struct ns_stack *st, struct ns_nic *nic)
{
	struct ip6_nic *in = ip6n(nic);
	if (!in)
		return;
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++)
		if (in->addrs[i].state != IP6A_FREE)
			ip6_ifaddr_del(&in->addrs[i]);
	/* Routes the interface learnt (RA prefixes, default routers) too. */
	ns_routes_drop_nic(st, nic->id, AF_INET6);
	/* Its settings stay (Linux keeps the inet6_dev and its conf). */
	st->ip6->conf_kept[nic->id] = in->conf;
	st->ip6->has_conf_kept[nic->id] = 1;
	ip6_nic_fini(nic);
}

/* A new MTU on an interface that keeps IPv6. */
void ip6_nic_set_mtu(struct ns_nic *nic)
{
	struct ip6_nic *in = ip6n(nic);
	if (in)
		in->mtu = nic->mtu > 65535 + IP6_HDR_LEN ? 65535 + IP6_HDR_LEN : nic->mtu;
}

void ip6_nic_added(struct ns_stack *st, struct ns_nic *nic)
{
	/* RFC 8200 5: IPv6 needs a link MTU of 1280 (Linux turns it off). */
	if (nic->mtu < IP6_MIN_MTU || ip6_nic_init(st, nic) < 0)
		return;
	if (st->ip6->has_conf_kept[nic->id]) {
		ip6n(nic)->conf = st->ip6->conf_kept[nic->id];
		st->ip6->has_conf_kept[nic->id] = 0;
	}
	if (!ip6n(nic)->conf.disable_ipv6)
		nic_start(st, nic);
	/* The sockets' groups there outlive the state (as Linux's, which
	 * keeps them on the inet6_dev): listened to, and reported, again. */
	mld_nic_rejoin(ip6n(nic));
}

void ip6_nic_disable(struct ns_nic *nic, int v)
{
	struct ip6_nic *in = ip6n(nic);
	int was = in->conf.disable_ipv6 != 0;
	in->conf.disable_ipv6 = v;
	if (was == (v != 0))
		return;
	if (!v) {
		nic_start(in->st, nic);
		return;
	}
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++)
		if (in->addrs[i].state != IP6A_FREE)
			ip6_ifaddr_del(&in->addrs[i]);
	ns_timer_disarm(in->st->wheel, &in->rs_timer);
	in->rs_left = 0;
	mld_leave(in, all_nodes, 1);
}

/* ---- printing ---- */

static const char *const state_names[] = {
	[IP6A_FREE] = "free",
	[NS_ADDR_TENTATIVE] = "tentative",
	[NS_ADDR_PREFERRED] = "preferred",
	[NS_ADDR_DEPRECATED] = "deprecated",
	[NS_ADDR_DADFAILED] = "dadfailed",
};

void ip6_print_addrs(const struct ns_nic *nic, FILE *f)
{
	const struct ip6_nic *in = ip6n(nic);
	char buf[64];
	if (!in)
		return;
	ns_time_t now = st_now(in->st);
	for (unsigned i = 0; i < IP6_NIC_MAX_ADDR; i++) {
		const struct ip6_ifaddr *ia = &in->addrs[i];
		if (ia->state == IP6A_FREE)
			continue;
		struct ns_ip a = ns_ip6(ia->addr);
		fprintf(f, "  addr %-8s %s/%u %s%s%s", nic->name, ns_ip_fmt(&a, buf, sizeof(buf)),
			ia->plen, state_names[ia->state],
			(ia->flags & IP6A_F_LINKLOCAL) ? " link-local" : "",
			(ia->flags & IP6A_F_SLAAC) ? " slaac" : "");
		if (ia->valid_until != NS_TIME_NEVER)
			fprintf(f, " valid %llus preferred %llus",
				(unsigned long long)(ia->valid_until > now
					? (ia->valid_until - now) / NS_SEC : 0),
				(unsigned long long)(ia->preferred_until > now
					? (ia->preferred_until - now) / NS_SEC : 0));
		fputc('\n', f);
	}
	ndp_print(in, f);
}
