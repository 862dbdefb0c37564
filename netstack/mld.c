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
 */
#include "ipv6_priv.h"

#define MLD_ROBUSTNESS 2		     /* RFC 3810 9.1 */
#define MLD_UNSOLICITED_INTERVAL (1 * NS_SEC) /* RFC 3810 9.11 */
/* RFC 3810 9.12: Robustness * Query Interval (125 s) + Query Response
 * Interval (10 s). */
#define MLD_V1_QUERIER_TIMEOUT ((ns_time_t)MLD_ROBUSTNESS * 125 * NS_SEC + 10 * NS_SEC)

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

/* RFC 3810 5.2: one report with a record of `type` for each group. */
static void send_v2(struct ip6_nic *in, const uint8_t (*groups)[16], unsigned n, uint8_t type)
{
	if (!n)
		return;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, 8 + 8 + 20 * n);
	if (!p)
		return;
	uint8_t *d = pkt_data(p);
	memset(d, 0, p->len);
	uint8_t *m = d + 8;
	m[0] = ICMP6_MLD2_REPORT;
	ns_wr16(m + 6, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *r = m + 8 + 20 * i;
		r[0] = type; /* aux data length 0, no sources */
		memcpy(r + 4, groups[i], 16);
	}
	mld_send(in, p, mld2_routers);
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

static void general_timer(struct ns_timer *t, ns_time_t now)
{
	NS_UNUSED(now);
	struct ip6_nic *in = ns_container_of(t, struct ip6_nic, mld_query_timer);
	uint8_t groups[IP6_NIC_MAX_GROUPS][16];
	unsigned n = 0;
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++) {
		const struct ip6_group *g = &in->groups[i];
		if (!g->in_use || !g->users || !reportable(g->addr))
			continue;
		if (in->mld_query_v1)
			send_v1(in, g->addr, 0);
		else
			memcpy(groups[n++], g->addr, 16);
	}
	/* RFC 3810 6.2: one Current State Report for every group. */
	send_v2(in, (const uint8_t(*)[16])groups, n, MLD2_IS_EX);
}

/* ---- membership ---- */

static void state_change(struct ip6_group *g)
{
	struct ns_stack *st = g->in->st;
	if (!reportable(g->addr) || !(g->in->nic->caps & NS_LINK_CAP_RESOLVE)) {
		if (!g->users)
			g->in_use = 0;
		return;
	}
	g->reports_left = MLD_ROBUSTNESS;
	ns_timer_arm(st->wheel, &g->timer,
		     st_now(st) + ip6_rand_delay(st, MLD_UNSOLICITED_INTERVAL));
}

int mld_join(struct ip6_nic *in, const uint8_t g[16])
{
	struct ip6_group *gr = find(in, g);
	if (gr) {
		if (gr->users++ == 0)
			state_change(gr); /* it was being left: joined again */
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
		state_change(gr);
		return 0;
	}
	return -ENOSPC;
}

void mld_leave(struct ip6_nic *in, const uint8_t g[16])
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
	state_change(gr);
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
	/* RFC 3810 5.1 / 7.1 (RFC 2710 3): 24 bytes for MLDv1, at least 28
	 * for MLDv2; queries come from a link-local address (5.1.14). */
	if ((!v1 && len < 28) || !ip6_is_linklocal(l3->src.v6)) {
		NS_STAT_INC(st, mld_drop_malformed);
		return;
	}
	NS_STAT_INC(st, mld_query_rx);
	const uint8_t *group = d + 8;
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
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++) {
		in->groups[i].in = in;
		ns_timer_init(&in->groups[i].timer, group_timer);
	}
}

void mld_nic_fini(struct ip6_nic *in)
{
	struct ns_wheel *w = in->st->wheel;
	ns_timer_disarm(w, &in->mld_query_timer);
	for (unsigned i = 0; i < IP6_NIC_MAX_GROUPS; i++)
		ns_timer_disarm(w, &in->groups[i].timer);
}
