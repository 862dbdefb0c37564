/*
 * Multicast Listener Discovery, the host side: MLDv2 (RFC 3810) with
 * MLDv1 compatibility (RFC 3810 8, RFC 2710).
 *
 * The groups a link listens to are what ip6_input() accepts: the
 * all-nodes group, and the solicited-node group of each address (RFC 4861
 * 7.2.1, RFC 4862 5.4.2), refcounted since addresses with the same low 24
 * bits share one. We listen to every source (EXCLUDE {} in RFC 3810
 * terms), so a group's state is just "joined".
 *
 * Reports go to ff02::16 (MLDv2) from our link-local address, or from ::
 * while there is none yet (RFC 3810 5.2.13), with hop limit 1 and a Router
 * Alert option (RFC 2711) in a Hop-by-Hop header laid out as Linux lays it
 * out (Router Alert, then a 2-byte PadN):
 *   - joining or leaving sends a State Change Report (CHANGE_TO_EXCLUDE /
 *     CHANGE_TO_INCLUDE, no sources), [Robustness Variable] times at
 *     random intervals within the Unsolicited Report Interval (6.1); the
 *     first one after a random delay too, as RFC 4862 5.4.2 asks of the
 *     solicited-node join that precedes DAD;
 *   - a General Query is answered by one Current State Report
 *     (MODE_IS_EXCLUDE per group) within its Maximum Response Delay, a
 *     group-specific one by a report for that group (6.2);
 *   - after an MLDv1 query (8.2.1), for the Older Version Querier Present
 *     Timeout, reports are MLDv1 Reports to the group and leaving sends a
 *     Done to ff02::2 (RFC 2710 4).
 * The all-nodes group is never reported (RFC 3810 6).
 *
 * Sockets join groups too (RFC 3493 5.2, RFC 3678 5): each membership
 * holds a reference on the interface's group, so the interface reports
 * what any socket listens to. A socket may filter sources (INCLUDE with
 * MCAST_JOIN_SOURCE_GROUP, EXCLUDE with MCAST_BLOCK_SOURCE), but, as in
 * igmp.c, the interface reports EXCLUDE {} all the same and each socket's
 * filter drops what it did not ask for (a simplification of RFC 3810
 * 4.2's merged interface state).
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "ipv6_priv.h"

#define MLD_ROBUSTNESS 2		     /* RFC 3810 9.1 */
#define MLD_UNSOLICITED_INTERVAL (1 * NS_SEC) /* RFC 3810 9.11 */
/* RFC 3810 9.12: Robustness * Query Interval (125 s) + Query Response
 * Interval (10 s). */
#define MLD_V1_QUERIER_TIMEOUT ((ns_time_t)MLD_ROBUSTNESS * 125 * NS_SEC + 10 * NS_SEC)

#define MLD_MAX_MSF 64		  /* Linux net.ipv6.mld_max_msf: sources per membership */
#define MLD_MAX_MEMBERSHIPS 1024 /* per socket (Linux: as its option memory allows) */

#define MLD2_IS_EX 2
#define MLD2_TO_IN 3
#define MLD2_TO_EX 4

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
static const uint8_t mld2_routers[16] = { 0xff, 0x02, [15] = 0x16 };
static const uint8_t unspec[16];

/* RFC 3810 6: neither the all-nodes group nor node-local groups are
 * reported. */
static int reportable(const uint8_t *g)
{
	return memcmp(g, all_nodes, 16) != 0 && ip6_mcast_scope(g) >= 2;
}

static int v1_mode(const struct ip6_nic *in)
{
	return st_now(in->st) < in->mld1_until;
}

static struct ip6_group *find(const struct ip6_nic *in, const uint8_t *g)
{
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++)
		if (in->groups[i].in_use && !memcmp(in->groups[i].addr, g, 16))
			return (struct ip6_group *)&in->groups[i];
	return NULL;
}

int mld_is_member(const struct ip6_nic *in, const uint8_t g[16])
{
	const struct ip6_group *gr = in ? find(in, g) : NULL;
	return gr && gr->users > 0;
}

/* ---- sending ---- */

/* Hop-by-Hop header with Router Alert (MLD) and PadN: 8 bytes. */
static void put_hbh(uint8_t *h)
{
	h[0] = IP6_NH_ICMPV6;
	h[1] = 0;
	h[2] = 5; /* Router Alert (RFC 2711) */
	h[3] = 2;
	h[4] = 0; /* value 0: MLD */
	h[5] = 0;
	h[6] = 1; /* PadN */
	h[7] = 0;
}

/* Send an MLD message (data at the ICMPv6 header, after 8 bytes reserved
 * for the Hop-by-Hop header) to dst. Consumes p. */
static void mld_send(struct ip6_nic *in, struct pkt *p, const uint8_t *dst)
{
	const uint8_t *ll = ip6_nic_linklocal(in->nic);
	const uint8_t *src = ll ? ll : unspec;
	uint8_t *icmp = pkt_data(p) + 8;
	uint32_t ilen = p->len - 8;
	put_hbh(pkt_data(p));
	ns_wr16(icmp + 2, 0);
	ns_wr16(icmp + 2, icmp6_csum(src, dst, icmp, ilen));
	NS_STAT_INC(in->st, mld_report_tx);
	NS_STAT_INC(in->st, icmp6_tx);
	ip6_send_on(in->nic, p, src, dst, IP6_NH_HOPOPTS, 1);
}

/* RFC 3810 5.2: reports with a record of `type` for each group, as many
 * records as fit in the link MTU per report (5.2.15). */
static void send_v2(struct ip6_nic *in, const uint8_t (*groups)[16], unsigned n, uint8_t type)
{
	unsigned per = (in->mtu - IP6_HDR_LEN - 8 - 8) / 20;
	while (n) {
		unsigned k = n < per ? n : per;
		struct pkt *p = pkt_alloc(PKT_HEADROOM, 8 + 8 + 20 * k);
		if (!p)
			return;
		uint8_t *d = pkt_data(p);
		memset(d, 0, p->len);
		uint8_t *m = d + 8;
		m[0] = ICMP6_MLD2_REPORT;
		ns_wr16(m + 6, (uint16_t)k);
		for (unsigned i = 0; i < k; i++) {
			uint8_t *r = m + 8 + 20 * i;
			r[0] = type; /* aux data length 0, no sources */
			memcpy(r + 4, groups[i], 16);
		}
		mld_send(in, p, mld2_routers);
		groups += k;
		n -= k;
	}
}

/* RFC 2710 3: a v1 Report (to the group) or Done (to all routers). */
static void send_v1(struct ip6_nic *in, const uint8_t *g, int done)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, 8 + 24);
	if (!p)
		return;
	uint8_t *d = pkt_data(p);
	memset(d, 0, p->len);
	d[8] = done ? ICMP6_MLD1_DONE : ICMP6_MLD1_REPORT;
	memcpy(d + 8 + 8, g, 16);
	mld_send(in, p, done ? all_routers : g);
}

/* The current state of one group, as the querier's version wants it. */
static void report_group(struct ip6_nic *in, const struct ip6_group *g, uint8_t type)
{
	if (v1_mode(in)) {
		send_v1(in, g->addr, type == MLD2_TO_IN);
		return;
	}
	send_v2(in, &g->addr, 1, type);
}

static void group_timer(struct ns_timer *t, ns_time_t now)
{
	struct ip6_group *g = ns_container_of(t, struct ip6_group, timer);
	struct ip6_nic *in = g->in;
	if (g->reports_left) {
		/* RFC 3810 6.1: a State Change Report, retransmitted. */
		report_group(in, g, g->users ? MLD2_TO_EX : MLD2_TO_IN);
		g->query_pending = 0; /* it says as much */
		if (--g->reports_left) {
			ns_timer_arm(in->st->wheel, &g->timer,
				     now + ip6_rand_delay(in->st, MLD_UNSOLICITED_INTERVAL));
			return;
		}
	} else if (g->query_pending && g->users) {
		g->query_pending = 0;
		report_group(in, g, MLD2_IS_EX);
	}
	if (!g->users)
		g->in_use = 0;
}

/* The groups reported in a general answer: joined by someone, not the
 * all-nodes group or a node-local one. n of them in groups. */
static unsigned reportable_groups(const struct ip6_nic *in, uint8_t (*groups)[16])
{
	unsigned n = 0;
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++) {
		const struct ip6_group *g = &in->groups[i];
		if (g->in_use && g->users && reportable(g->addr))
			memcpy(groups[n++], g->addr, 16);
	}
	return n;
}

static void general_timer(struct ns_timer *t, ns_time_t now)
{
	NS_UNUSED(now);
	struct ip6_nic *in = ns_container_of(t, struct ip6_nic, mld_query_timer);
	uint8_t groups[IP6_NIC_MAX_GROUPS][16];
	unsigned n = reportable_groups(in, groups);
	if (in->mld_query_v1) {
		for (unsigned i = 0; i < n; i++)
			send_v1(in, groups[i], 0);
		return;
	}
	/* RFC 3810 6.2: one Current State Report for every group. */
	send_v2(in, (const uint8_t(*)[16])groups, n, MLD2_IS_EX);
}

/* Linux's mld_send_initial_cr: one report of every group, TO_EX (an
 * MLDv1 querier's link gets none: its reports went to the groups). */
static void dad_timer(struct ns_timer *t, ns_time_t now)
{
	struct ip6_nic *in = ns_container_of(t, struct ip6_nic, mld_dad_timer);
	if (!in->mld_dad_left || v1_mode(in))
		return;
	uint8_t groups[IP6_NIC_MAX_GROUPS][16];
	unsigned n = reportable_groups(in, groups);
	send_v2(in, (const uint8_t(*)[16])groups, n, MLD2_TO_EX);
	if (--in->mld_dad_left)
		ns_timer_arm(in->st->wheel, &in->mld_dad_timer,
			     now + ip6_rand_delay(in->st, MLD_UNSOLICITED_INTERVAL));
}

void mld_dad_complete(struct ip6_nic *in)
{
	if (!(in->nic->caps & NS_LINK_CAP_RESOLVE))
		return;
	in->mld_dad_left = MLD_ROBUSTNESS;
	dad_timer(&in->mld_dad_timer, st_now(in->st));
}

/* ---- membership ---- */

/* RFC 3810 6.1: the State Change Report, [Robustness Variable] times:
 * the first at once, or (`delay`: the solicited-node join of RFC 4862
 * 5.4.2) after a random delay too. */
static void state_change(struct ip6_group *g, int delay)
{
	struct ns_stack *st = g->in->st;
	if (!reportable(g->addr) || !(g->in->nic->caps & NS_LINK_CAP_RESOLVE)) {
		if (!g->users)
			g->in_use = 0;
		return;
	}
	g->reports_left = MLD_ROBUSTNESS;
	g->query_pending = 0;
	if (!delay) {
		report_group(g->in, g, g->users ? MLD2_TO_EX : MLD2_TO_IN);
		g->reports_left--;
	}
	ns_timer_arm(st->wheel, &g->timer,
		     st_now(st) + ip6_rand_delay(st, MLD_UNSOLICITED_INTERVAL));
}

int mld_join(struct ip6_nic *in, const uint8_t g[16], int delay)
{
	struct ip6_group *gr = find(in, g);
	if (gr) {
		if (gr->users++ == 0)
			state_change(gr, delay); /* it was being left: joined again */
		return 0;
	}
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++) {
		gr = &in->groups[i];
		if (gr->in_use)
			continue;
		memcpy(gr->addr, g, 16);
		gr->users = 1;
		gr->in_use = 1;
		gr->query_pending = 0;
		state_change(gr, delay);
		return 0;
	}
	return -ENOSPC;
}

void mld_leave(struct ip6_nic *in, const uint8_t g[16], int delay)
{
	struct ip6_group *gr = find(in, g);
	if (!gr || !gr->users)
		return;
	if (--gr->users)
		return;
	gr->query_pending = 0;
	if (v1_mode(in)) {
		/* RFC 2710 4: Done, once. */
		if (reportable(g))
			send_v1(in, g, 1);
		ns_timer_disarm(in->st->wheel, &gr->timer);
		gr->reports_left = 0;
		gr->in_use = 0;
		return;
	}
	state_change(gr, delay);
}

/* ---- queries ---- */

/* RFC 3810 5.1.3: Maximum Response Code to a delay. */
static ns_time_t max_resp_delay(uint16_t code)
{
	if (code < 32768)
		return (ns_time_t)code * NS_MSEC;
	uint32_t mant = code & 0xfff, exp = (code >> 12) & 7;
	return (ns_time_t)((mant | 0x1000) << (exp + 3)) * NS_MSEC;
}

/* Arm t to fire within `delay` unless it already fires sooner (RFC 3810
 * 6.2 rules 1 and 2). */
static void arm_within(struct ns_stack *st, struct ns_timer *t, ns_time_t delay)
{
	ns_time_t at = st_now(st) + ip6_rand_delay(st, delay);
	if (ns_timer_armed(t) && t->expires <= at)
		return;
	ns_timer_arm(st->wheel, t, at);
}

static void query_input(struct ns_stack *st, struct ip6_nic *in, const uint8_t *d, uint32_t len,
			const struct ns_l3_info *l3)
{
	int v1 = len == 24;
	const uint8_t *group = d + 8;
	/* RFC 3810 5.1 / 7.1 (RFC 2710 3): 24 bytes for MLDv1, at least 28
	 * for MLDv2 with its sources inside (5.1.10); queries come from a
	 * link-local address (5.1.14) and ask about a group, or all (5.1.5). */
	if ((!v1 && (len < 28 || 28 + 16 * (uint32_t)ns_rd16(d + 26) > len)) ||
	    !ip6_is_linklocal(l3->src.v6) || (!ip6_is_mcast(group) && !ip6_is_unspec(group))) {
		NS_STAT_INC(st, mld_drop_malformed);
		return;
	}
	NS_STAT_INC(st, mld_query_rx);
	ns_time_t delay = v1 ? (ns_time_t)ns_rd16(d + 4) * NS_MSEC : max_resp_delay(ns_rd16(d + 4));
	if (v1)
		in->mld1_until = st_now(st) + MLD_V1_QUERIER_TIMEOUT; /* RFC 3810 8.2.1 */
	if (ip6_is_unspec(group)) {
		in->mld_query_v1 = (uint8_t)v1;
		arm_within(st, &in->mld_query_timer, delay);
		return;
	}
	struct ip6_group *g = find(in, group);
	if (!g || !g->users || !reportable(group))
		return;
	g->query_pending = 1;
	arm_within(st, &g->timer, delay);
}

void mld_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	const uint8_t *d = pkt_data(p);
	struct ip6_nic *in = ip6n(l3->nic);
	NS_STAT_INC(st, mld_rx);
	if (p->len < 8 || !in) {
		NS_STAT_INC(st, mld_drop_malformed);
		goto drop;
	}
	if (d[0] == ICMP6_MLD_QUERY)
		query_input(st, in, d, p->len, l3);
	else
		/* Other listeners' reports: an MLDv2 host does nothing with
		 * them (RFC 3810 6: no report suppression). */
		NS_STAT_INC(st, mld_report_rx);
drop:
	pkt_unref(p);
}

void mld_nic_init(struct ip6_nic *in)
{
	ns_timer_init(&in->mld_query_timer, general_timer);
	ns_timer_init(&in->mld_dad_timer, dad_timer);
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++) {
		in->groups[i].in = in;
		ns_timer_init(&in->groups[i].timer, group_timer);
	}
}

void mld_nic_fini(struct ip6_nic *in)
{
	struct ns_wheel *w = in->st->wheel;
	ns_timer_disarm(w, &in->mld_query_timer);
	ns_timer_disarm(w, &in->mld_dad_timer);
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++)
		ns_timer_disarm(w, &in->groups[i].timer);
}

/* ---- sockets: options and memberships ---- */

/* One membership of a socket (Linux's ipv6_mc_socklist) and its source
 * filter (RFC 3678 4.1): INCLUDE the sources listed, or EXCLUDE them. */
enum { MC_EXCLUDE = 0, MC_INCLUDE = 1 };
struct ip6_mc_entry {
	struct ip6_mc_entry *next;
	uint8_t group[16];
	int ifindex;
	uint8_t mode;
	unsigned nsrc;
	uint8_t (*src)[16]; /* MLD_MAX_MSF slots once a source is added */
	uint8_t has_list;   /* a list was made (Linux's sflist): the mode is kept even when it empties */
};

/* Where a socket's membership of `group` lives when it names no
 * interface: where a datagram to the group would leave (Linux's
 * rt6_lookup in ipv6_sock_mc_join). */
static struct ns_nic *member_nic(struct ns_stack *st, const uint8_t *group, int ifindex)
{
	return ifindex ? ns_nic_get(st, ifindex) : ip6_mcast_nic(st, group, 0);
}

/* The membership matching `ifindex` (0: any) and `group`, and the link
 * that points at it. */
static struct ip6_mc_entry **find_entry(struct ns_socket *s, const uint8_t *group, int ifindex)
{
	struct ip6_mc_entry **pp = &s->mc6;
	for (; *pp; pp = &(*pp)->next)
		if ((!ifindex || (*pp)->ifindex == ifindex) && !memcmp((*pp)->group, group, 16))
			return pp;
	return NULL;
}

/* Linux ipv6_sock_mc_join(): the group must be multicast and not joined
 * on that interface yet (any interface when none is named); the
 * interface is the one named, or the route's. */
static int sock_join(struct ns_socket *s, const uint8_t *group, int ifindex, uint8_t mode)
{
	if (!ip6_is_mcast(group))
		return -EINVAL;
	if (find_entry(s, group, ifindex))
		return -EADDRINUSE;
	unsigned n = 0;
	for (struct ip6_mc_entry *e = s->mc6; e; e = e->next)
		n++;
	if (n >= MLD_MAX_MEMBERSHIPS)
		return -ENOMEM;
	struct ns_nic *nic = member_nic(s->stack, group, ifindex);
	if (!nic)
		return -ENODEV;
	/* A link that is down keeps its groups for when it comes up
	 * (mld_nic_rejoin); one without IPv6 (MTU below 1280) has none, and
	 * Linux no inet6_dev there: EINVAL. */
	if (!ip6n(nic) && !nic->down)
		return -EINVAL;
	struct ip6_mc_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (ip6n(nic) && mld_join(ip6n(nic), group, 0) < 0) {
		free(e);
		return -ENOMEM;
	}
	memcpy(e->group, group, 16);
	e->ifindex = nic->id;
	e->mode = mode;
	e->next = s->mc6;
	s->mc6 = e;
	return 0;
}

static void entry_free(struct ns_socket *s, struct ip6_mc_entry **pp)
{
	struct ip6_mc_entry *e = *pp;
	struct ns_nic *nic = ns_nic_get(s->stack, e->ifindex);
	if (nic && ip6n(nic))
		mld_leave(ip6n(nic), e->group, 0);
	*pp = e->next;
	free(e->src);
	free(e);
}

/* Linux ipv6_sock_mc_drop(): the first membership of the group on that
 * interface (any, when none is named). */
static int sock_leave(struct ns_socket *s, const uint8_t *group, int ifindex)
{
	if (!ip6_is_mcast(group))
		return -EINVAL;
	struct ip6_mc_entry **pp = find_entry(s, group, ifindex);
	if (!pp)
		return -EADDRNOTAVAIL;
	entry_free(s, pp);
	return 0;
}

void mld_sock_release(struct ns_socket *s)
{
	while (s->mc6)
		entry_free(s, &s->mc6);
}

void mld_nic_rejoin(struct ip6_nic *in)
{
	for (struct ns_socket *s = in->st->sockets; s; s = s->all_next)
		for (struct ip6_mc_entry *e = s->mc6; e; e = e->next)
			if (e->ifindex == in->nic->id)
				mld_join(in, e->group, 0);
}

static int src_index(const struct ip6_mc_entry *e, const uint8_t *src)
{
	for (unsigned i = 0; i < e->nsrc; i++)
		if (!memcmp(e->src[i], src, 16))
			return (int)i;
	return -1;
}

int mld_sock_allows(const struct ns_socket *s, const uint8_t group[16], const uint8_t src[16])
{
	/* Linux inet6_mc_check(): the first membership of the group, on
	 * whichever interface (the packet reached us, so one listens). */
	for (const struct ip6_mc_entry *e = s->mc6; e; e = e->next)
		if (!memcmp(e->group, group, 16))
			return (src_index(e, src) >= 0) == (e->mode == MC_INCLUDE);
	/* IPV6_MULTICAST_ALL: a group some other socket joined reaches every
	 * socket bound to the port (Linux's default). */
	return s->mc_all6;
}

/*
 * MCAST_JOIN/LEAVE_SOURCE_GROUP (add/drop in INCLUDE mode) and
 * MCAST_BLOCK/UNBLOCK_SOURCE (EXCLUDE), answering as Linux's
 * ip6_mc_source(): the membership must exist (the join makes it first), its
 * mode must match unless its list is empty, a source is listed once, at
 * most MLD_MAX_MSF; dropping the last INCLUDE source leaves the group.
 */
static int sock_source(struct ns_socket *s, const uint8_t *group, int ifindex, const uint8_t *src,
		       uint8_t mode, int add)
{
	if (mode == MC_INCLUDE && add) {
		int r = sock_join(s, group, ifindex, MC_INCLUDE);
		if (r < 0 && r != -EADDRINUSE)
			return r;
	}
	if (!ip6_is_mcast(group))
		return -EINVAL;
	if (!member_nic(s->stack, group, ifindex))
		return -ENODEV;
	struct ip6_mc_entry **pp = find_entry(s, group, ifindex), *e = pp ? *pp : NULL;
	if (!e || ((e->nsrc || e->has_list) && e->mode != mode))
		return -EINVAL;
	/* An empty filter takes the mode asked for (Linux does so before it
	 * looks for the source, on a drop too). */
	e->mode = mode;
	int at = src_index(e, src);
	if (!add) {
		if (at < 0)
			return -EADDRNOTAVAIL;
		if (e->nsrc == 1 && mode == MC_INCLUDE)
			return sock_leave(s, group, ifindex); /* INCLUDE {} */
		memcpy(e->src[at], e->src[--e->nsrc], 16);
		return 0;
	}
	if (at >= 0)
		return -EADDRNOTAVAIL;
	if (e->nsrc >= MLD_MAX_MSF)
		return -ENOBUFS;
	if (!e->src && !(e->src = malloc(MLD_MAX_MSF * sizeof(*e->src))))
		return -ENOMEM;
	memcpy(e->src[e->nsrc++], src, 16);
	e->has_list = 1;
	return 0;
}

/* MCAST_MSFILTER's set (RFC 3678 5.2.1, as Linux's ipv6_set_msfilter and
 * ip6_mc_msfilter): at most MLD_MAX_MSF sources (ENOBUFS), all within
 * the length; INCLUDE of none is a leave; otherwise the membership on
 * exactly that interface must exist. Sources are taken as given. */
static int set_gfilter(struct ns_socket *s, const uint8_t *v, socklen_t len)
{
	uint32_t ifindex, fmode, n;
	int r = ns_gf_parse(v, len, MLD_MAX_MSF, &ifindex, &fmode, &n);
	if (r < 0)
		return r;
	struct sockaddr_in6 g;
	memcpy(&g, v + NS_GF_GROUP, sizeof(g));
	const uint8_t *group = g.sin6_addr.s6_addr;
	if (!ip6_is_mcast(group) || (fmode != MCAST_INCLUDE && fmode != MCAST_EXCLUDE))
		return -EINVAL;
	if (!member_nic(s->stack, group, (int)ifindex))
		return -ENODEV;
	if (fmode == MCAST_INCLUDE && n == 0)
		return sock_leave(s, group, (int)ifindex);
	struct ip6_mc_entry **pp = ifindex ? find_entry(s, group, (int)ifindex) : NULL, *e = pp ? *pp : NULL;
	if (!e)
		return -EINVAL;
	if (n && !e->src && !(e->src = malloc(MLD_MAX_MSF * sizeof(*e->src))))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct sockaddr_in6 x;
		memcpy(&x, v + NS_GF_HDR + NS_GF_SRC * i, sizeof(x));
		memcpy(e->src[i], x.sin6_addr.s6_addr, 16);
	}
	e->mode = fmode == MCAST_INCLUDE ? MC_INCLUDE : MC_EXCLUDE;
	e->nsrc = n;
	e->has_list = n > 0;
	return 0;
}

static void put_src6(uint8_t *ss, uint32_t i, const void *ctx)
{
	const struct ip6_mc_entry *e = ctx;
	struct sockaddr_in6 x = { .sin6_family = AF_INET6 };
	memcpy(x.sin6_addr.s6_addr, e->src[i], 16);
	memcpy(ss, &x, sizeof(x));
}

/* MCAST_MSFILTER's read (Linux's ipv6_get_msfilter): v holds the
 * request, whose group must be IPv6 and a group, joined on exactly its
 * interface. */
int mld_getsockopt(struct ns_socket *s, int name, void *v, socklen_t *len)
{
	if (name != MCAST_MSFILTER)
		return -ENOPROTOOPT;
	uint8_t *b = v;
	if (*len < NS_GF_HDR)
		return -EINVAL;
	uint32_t ifindex;
	struct sockaddr_in6 g;
	memcpy(&ifindex, b, 4);
	memcpy(&g, b + NS_GF_GROUP, sizeof(g));
	if (g.sin6_family != AF_INET6)
		return -EADDRNOTAVAIL;
	if (!ip6_is_mcast(g.sin6_addr.s6_addr))
		return -EINVAL;
	struct ip6_mc_entry **pp = ifindex ? find_entry(s, g.sin6_addr.s6_addr, (int)ifindex) : NULL;
	if (!pp)
		return -EADDRNOTAVAIL;
	const struct ip6_mc_entry *e = *pp;
	ns_gf_reply(b, len, e->mode == MC_INCLUDE ? MCAST_INCLUDE : MCAST_EXCLUDE, e->nsrc, put_src6, e);
	return 0;
}

/* The address of a sockaddr_storage that must hold an AF_INET6 one. */
static int group_addr(const struct sockaddr_storage *ss, uint8_t out[16])
{
	struct sockaddr_in6 sin6;
	if (ss->ss_family != AF_INET6)
		return -EADDRNOTAVAIL;
	memcpy(&sin6, ss, sizeof(sin6));
	memcpy(out, sin6.sin6_addr.s6_addr, 16);
	return 0;
}

int mld_setsockopt(struct ns_socket *s, int name, const void *v, socklen_t len)
{
	uint8_t group[16], src[16];
	switch (name) {
	case IPV6_ADD_MEMBERSHIP:
	case IPV6_DROP_MEMBERSHIP: {
		struct ipv6_mreq m;
		if (len < (socklen_t)sizeof(m))
			return -EINVAL;
		if (s->type == SOCK_STREAM)
			return -EPROTO;
		if (!v)
			return -EFAULT;
		memcpy(&m, v, sizeof(m));
		if (name == IPV6_ADD_MEMBERSHIP)
			return sock_join(s, m.ipv6mr_multiaddr.s6_addr, (int)m.ipv6mr_interface, MC_EXCLUDE);
		return sock_leave(s, m.ipv6mr_multiaddr.s6_addr, (int)m.ipv6mr_interface);
	}
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP: {
		/* (stream sockets too, as on Linux) */
		struct group_req gr;
		if (len < (socklen_t)sizeof(gr))
			return -EINVAL;
		if (!v)
			return -EFAULT;
		memcpy(&gr, v, sizeof(gr));
		int r = group_addr(&gr.gr_group, group);
		if (r < 0)
			return r;
		if (name == MCAST_JOIN_GROUP)
			return sock_join(s, group, (int)gr.gr_interface, MC_EXCLUDE);
		return sock_leave(s, group, (int)gr.gr_interface);
	}
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE: {
		struct group_source_req gs;
		if (len < (socklen_t)sizeof(gs))
			return -EINVAL;
		if (!v)
			return -EFAULT;
		memcpy(&gs, v, sizeof(gs));
		int r = group_addr(&gs.gsr_group, group);
		if (r == 0)
			r = group_addr(&gs.gsr_source, src);
		if (r < 0)
			return r;
		int incl = name == MCAST_JOIN_SOURCE_GROUP || name == MCAST_LEAVE_SOURCE_GROUP;
		return sock_source(s, group, (int)gs.gsr_interface, src, incl ? MC_INCLUDE : MC_EXCLUDE,
				   name == MCAST_JOIN_SOURCE_GROUP || name == MCAST_BLOCK_SOURCE);
	}
	case MCAST_MSFILTER:
		return set_gfilter(s, v, len);
	default:
		return -ENOPROTOOPT;
	}
}
