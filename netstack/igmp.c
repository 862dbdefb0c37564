/*
 * IPv4 multicast, the host side: which groups an interface listens to
 * (RFC 1112 4), the sockets' multicast options and memberships, and IGMP
 * (IGMPv3, RFC 3376, with IGMPv1/v2 compatibility, RFC 3376 7 and RFC
 * 2236), modelled on mld.c.
 *
 * An interface's group is refcounted by the sockets that joined it there;
 * the all-hosts group 224.0.0.1 is always joined and never reported (RFC
 * 3376 6). A socket may filter sources (RFC 3678: IP_ADD_SOURCE_MEMBERSHIP
 * for INCLUDE, IP_BLOCK_SOURCE for EXCLUDE), but the interface reports a
 * group it listens to as EXCLUDE {} all the same: routers may send more
 * sources than asked for, and each socket's filter drops what it did not
 * want (a simplification of RFC 3376 3.2's merged interface state).
 *
 * Reports leave with TTL 1, TOS 0xc0, DF and a Router Alert option (RFC
 * 2113), as Linux sends them, and only on links that resolve neighbours
 * (a loopback link has no routers to tell):
 *   - joining or leaving sends a State-Change Report (CHANGE_TO_EXCLUDE /
 *     CHANGE_TO_INCLUDE, no sources) at once and [Robustness Variable] - 1
 *     more times at random within the Unsolicited Report Interval (RFC
 *     3376 5.1);
 *   - a General Query is answered by one Current-State Report (IS_EXCLUDE
 *     per group) within its Maximum Response Time, a group-specific query
 *     by a report for that group (RFC 3376 5.2);
 *   - after an IGMPv1 or v2 query, for the Older Version Querier Present
 *     Timeout (RFC 3376 7.2.1), reports are v1/v2 Membership Reports to
 *     the group, another host's report for the group suppresses ours (RFC
 *     2236 3), and leaving sends a v2 Leave to 224.0.0.2 if we were the
 *     last to report (v1 has no leave).
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "stack_priv.h"

#define IGMP_ROBUSTNESS 2				   /* RFC 3376 8.1 */
#define IGMP_UNSOLICITED_INTERVAL (1 * NS_SEC)		   /* RFC 3376 8.11 */
#define IGMP_V2_UNSOLICITED_INTERVAL (10 * NS_SEC)	   /* RFC 2236 8.10 */
#define IGMP_V1_MAX_RESP (10 * NS_SEC)			   /* RFC 2236 4 */
/* RFC 3376 8.12: Robustness * Query Interval (125 s) + Query Response
 * Interval (10 s). */
#define IGMP_OLDER_QUERIER_TIMEOUT ((ns_time_t)IGMP_ROBUSTNESS * 125 * NS_SEC + 10 * NS_SEC)
#define IGMP_MAX_MEMBERSHIPS 20 /* Linux net.ipv4.igmp_max_memberships */
#define IGMP_MAX_MSF 10		/* Linux net.ipv4.igmp_max_msf: sources per membership */

#define IGMP_QUERY 0x11
#define IGMP_V1_REPORT 0x12
#define IGMP_V2_REPORT 0x16
#define IGMP_V2_LEAVE 0x17
#define IGMP_V3_REPORT 0x22

#define IGMP3_IS_EX 2
#define IGMP3_TO_IN 3
#define IGMP3_TO_EX 4

#define ALL_HOSTS IP4_ADDR(224, 0, 0, 1)
#define ALL_ROUTERS IP4_ADDR(224, 0, 0, 2)
#define IGMP3_ROUTERS IP4_ADDR(224, 0, 0, 22)

struct igmp_group {
	struct igmp_group *next;
	struct ns_nic *nic;
	uint32_t addr;
	unsigned users;	       /* sockets that joined it here; 0: leaving */
	uint8_t reports_left;  /* state-change reports still to send */
	uint8_t query_pending; /* a query is to be answered when the timer fires */
	uint8_t reporter;      /* v2: we sent the last report (leave is ours to send) */
	struct ns_timer timer;
};

struct igmp_nic {
	struct igmp_group *groups;
	ns_time_t v1_until, v2_until; /* older version querier present (7.2.1) */
	struct ns_timer query_timer;  /* the pending answer to a v3 General Query */
};

/* One membership of a socket (Linux struct ip_mreqn) and its source
 * filter (RFC 3678 4.1): INCLUDE the sources listed, or EXCLUDE them. */
enum { MC_EXCLUDE = 0, MC_INCLUDE = 1 };
struct ip4_mc_entry {
	uint32_t group, addr;
	int ifindex;
	uint8_t mode;
	uint8_t nsrc;
	uint8_t has_list; /* a list was made (Linux's sflist): the mode is kept even when it empties */
	uint32_t src[IGMP_MAX_MSF];
};

struct ip4_mc_sock {
	unsigned n;
	struct ip4_mc_entry e[IGMP_MAX_MEMBERSHIPS];
};

/* Uniform in [0, max) at 65 us resolution. */
static ns_time_t rand_delay(struct ns_stack *st, ns_time_t max)
{
	return (((uint64_t)ns_random32(st) * (max >> 16)) >> 32) << 16;
}

static int version(const struct igmp_nic *in, ns_time_t now)
{
	return now < in->v1_until ? 1 : now < in->v2_until ? 2 : 3;
}

static struct igmp_group *find(const struct ns_nic *nic, uint32_t g)
{
	for (struct igmp_group *gr = nic->igmp ? nic->igmp->groups : NULL; gr; gr = gr->next)
		if (gr->addr == g)
			return gr;
	return NULL;
}

int igmp_is_member(const struct ns_nic *nic, uint32_t g)
{
	if (g == ALL_HOSTS)
		return 1;
	const struct igmp_group *gr = find(nic, g);
	return gr && gr->users > 0;
}

static void general_timer(struct ns_timer *t, ns_time_t now);

static struct igmp_nic *state(struct ns_nic *nic)
{
	if (!nic->igmp) {
		nic->igmp = calloc(1, sizeof(*nic->igmp));
		if (nic->igmp)
			ns_timer_init(&nic->igmp->query_timer, general_timer);
	}
	return nic->igmp;
}

/* RFC 3376 6: all-hosts is never reported; nor is anything on a link
 * without routers. */
static int reportable(const struct ns_nic *nic, uint32_t g)
{
	return g != ALL_HOSTS && (nic->caps & NS_LINK_CAP_RESOLVE);
}

/* ---- sending ---- */

/* Send IGMP message `m` (len bytes, checksum field zero) to dst on nic. */
static void igmp_send(struct ns_nic *nic, uint32_t dst, const uint8_t *m, uint32_t len)
{
	struct ns_stack *st = nic->stack;
	const uint32_t hlen = IP4_HDR_LEN + 4;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, hlen + len);
	if (!p)
		return;
	uint8_t *h = pkt_data(p);
	uint32_t src = nic->naddr4 ? nic->addr4[0].addr.v4 : 0; /* RFC 3376 4.2.13 */
	struct ip4_repr ip = {
		.hlen = (uint8_t)hlen,
		.tos = 0xc0,
		.tot_len = (uint16_t)(hlen + len),
		.df = 1,
		.ttl = 1,
		.proto = IPPROTO_IGMP,
		.src = src,
		.dst = dst,
	};
	ip.id = ip4_next_id(st, src, dst, IPPROTO_IGMP);
	ip4_emit(h, &ip);
	/* ip4_emit writes a bare header: add the Router Alert option. */
	h[0] = (uint8_t)(0x40 | (hlen / 4));
	h[IP4_HDR_LEN] = 0x94;
	h[IP4_HDR_LEN + 1] = 4;
	h[IP4_HDR_LEN + 2] = 0;
	h[IP4_HDR_LEN + 3] = 0;
	ns_wr16(h + 10, 0);
	ns_wr16(h + 10, ns_csum(h, hlen));
	uint8_t *im = h + hlen;
	memcpy(im, m, len);
	ns_wr16(im + 2, ns_csum(im, len));
	p->ip_proto = IPPROTO_IGMP;
	struct ns_rt rt;
	memset(&rt, 0, sizeof(rt));
	rt.nic = nic;
	rt.nexthop = ns_ip4(dst);
	rt.src = ns_ip4(src);
	rt.mtu = nic->mtu;
	NS_STAT_INC(st, igmp_report_tx);
	ip4_output_routed(st, p, &rt);
}

/* RFC 3376 4.2: one report with a record of `type` per group. */
static void send_v3(struct ns_nic *nic, const uint32_t *groups, unsigned n, uint8_t type)
{
	/* As many records as fit in the link MTU per report. */
	unsigned per = (nic->mtu - IP4_HDR_LEN - 4 - 8) / 8;
	while (n) {
		unsigned k = n < per ? n : per;
		uint8_t m[8 + 8 * 64];
		if (k > 64)
			k = 64;
		memset(m, 0, 8 + 8 * k);
		m[0] = IGMP_V3_REPORT;
		ns_wr16(m + 6, (uint16_t)k);
		for (unsigned i = 0; i < k; i++) {
			m[8 + 8 * i] = type; /* aux data length 0, no sources */
			ns_wr32(m + 8 + 8 * i + 4, groups[i]);
		}
		igmp_send(nic, IGMP3_ROUTERS, m, 8 + 8 * k);
		groups += k;
		n -= k;
	}
}

/* RFC 2236 2: a v1/v2 report to the group, or a v2 leave to all routers. */
static void send_old(struct ns_nic *nic, uint8_t type, uint32_t g)
{
	uint8_t m[8] = { type };
	ns_wr32(m + 4, g);
	igmp_send(nic, type == IGMP_V2_LEAVE ? ALL_ROUTERS : g, m, sizeof(m));
}

/* The state of one group as the querier's version wants it: a v3 record
 * of `type`, or (v1/v2, not leaving) a Membership Report. */
static void report_group(struct igmp_group *g, uint8_t type)
{
	int v = version(g->nic->igmp, st_now(g->nic->stack));
	if (v < 3) {
		if (type != IGMP3_TO_IN) {
			send_old(g->nic, v == 1 ? IGMP_V1_REPORT : IGMP_V2_REPORT, g->addr);
			g->reporter = 1;
		}
		return;
	}
	send_v3(g->nic, &g->addr, 1, type);
}

static void group_free(struct igmp_group *g)
{
	struct igmp_group **pp = &g->nic->igmp->groups;
	while (*pp && *pp != g)
		pp = &(*pp)->next;
	if (*pp)
		*pp = g->next;
	ns_timer_disarm(g->nic->stack->wheel, &g->timer);
	free(g);
}

static ns_time_t unsolicited_interval(const struct igmp_group *g)
{
	return version(g->nic->igmp, st_now(g->nic->stack)) < 3 ? IGMP_V2_UNSOLICITED_INTERVAL
								 : IGMP_UNSOLICITED_INTERVAL;
}

/* Send the state-change report now; more follow from the timer. */
static void state_change(struct igmp_group *g)
{
	struct ns_stack *st = g->nic->stack;
	g->query_pending = 0;
	report_group(g, g->users ? IGMP3_TO_EX : IGMP3_TO_IN);
	g->reports_left = IGMP_ROBUSTNESS - 1;
	ns_timer_arm(st->wheel, &g->timer, st_now(st) + rand_delay(st, unsolicited_interval(g)));
}

static void group_timer(struct ns_timer *t, ns_time_t now)
{
	struct igmp_group *g = ns_container_of(t, struct igmp_group, timer);
	struct ns_stack *st = g->nic->stack;
	if (g->reports_left) {
		/* RFC 3376 5.1: the state-change report, retransmitted. */
		report_group(g, g->users ? IGMP3_TO_EX : IGMP3_TO_IN);
		g->query_pending = 0; /* it says as much */
		if (--g->reports_left) {
			ns_timer_arm(st->wheel, &g->timer, now + rand_delay(st, unsolicited_interval(g)));
			return;
		}
	} else if (g->query_pending && g->users) {
		g->query_pending = 0;
		report_group(g, IGMP3_IS_EX);
	}
	if (!g->users)
		group_free(g);
}

static void general_timer(struct ns_timer *t, ns_time_t now)
{
	NS_UNUSED(now);
	struct igmp_nic *in = ns_container_of(t, struct igmp_nic, query_timer);
	struct ns_nic *nic = NULL;
	unsigned n = 0;
	for (struct igmp_group *g = in->groups; g; g = g->next) {
		nic = g->nic;
		n += g->users > 0;
	}
	if (!n)
		return;
	uint32_t *groups = malloc(n * sizeof(*groups));
	if (!groups)
		return;
	n = 0;
	for (struct igmp_group *g = in->groups; g; g = g->next)
		if (g->users)
			groups[n++] = g->addr;
	/* RFC 3376 5.2: one Current-State Report for every group. */
	send_v3(nic, groups, n, IGMP3_IS_EX);
	free(groups);
}

/* ---- interface membership ---- */

static int nic_join(struct ns_nic *nic, uint32_t g)
{
	if (g == ALL_HOSTS)
		return 0;
	struct igmp_group *gr = find(nic, g);
	if (gr) {
		if (gr->users++ == 0 && reportable(nic, g))
			state_change(gr); /* it was being left: joined again */
		return 0;
	}
	struct igmp_nic *in = state(nic);
	gr = in ? calloc(1, sizeof(*gr)) : NULL;
	if (!gr)
		return -ENOBUFS;
	gr->nic = nic;
	gr->addr = g;
	gr->users = 1;
	ns_timer_init(&gr->timer, group_timer);
	gr->next = in->groups;
	in->groups = gr;
	if (reportable(nic, g))
		state_change(gr);
	return 0;
}

static void nic_leave(struct ns_nic *nic, uint32_t g)
{
	struct igmp_group *gr = find(nic, g);
	if (!gr || !gr->users || --gr->users)
		return;
	if (!reportable(nic, g)) {
		group_free(gr);
		return;
	}
	int v = version(nic->igmp, st_now(nic->stack));
	if (v < 3) {
		/* RFC 2236 3: a Leave if we were the last to report; v1 has
		 * none. */
		if (v == 2 && gr->reporter)
			send_old(nic, IGMP_V2_LEAVE, g);
		group_free(gr);
		return;
	}
	state_change(gr);
}

void igmp_nic_fini(struct ns_nic *nic)
{
	struct igmp_nic *in = nic->igmp;
	if (!in)
		return;
	while (in->groups)
		group_free(in->groups);
	ns_timer_disarm(nic->stack->wheel, &in->query_timer);
	free(in);
	nic->igmp = NULL;
}

/* ---- queries and reports ---- */

/* Arm t to fire within `delay` unless it already fires sooner (RFC 3376
 * 5.2 rules 1-3, simplified: we have no source lists to merge). */
static void arm_within(struct ns_stack *st, struct ns_timer *t, ns_time_t delay)
{
	ns_time_t at = st_now(st) + rand_delay(st, delay);
	if (ns_timer_armed(t) && t->expires <= at)
		return;
	ns_timer_arm(st->wheel, t, at);
}

/* RFC 3376 4.1.1: Max Resp Code to a time (units of 1/10 s). */
static ns_time_t max_resp_time(uint8_t code)
{
	uint32_t v = code < 128 ? code : (uint32_t)((code & 0xf) | 0x10) << (((code >> 4) & 7) + 3);
	return (ns_time_t)v * 100 * NS_MSEC;
}

static void query_input(struct ns_stack *st, struct ns_nic *nic, const uint8_t *d, uint32_t len)
{
	struct igmp_nic *in = state(nic);
	uint32_t group = ns_rd32(d + 4);
	/* RFC 3376 7.1: 8 octets is v1 (code 0) or v2, at least 12 is v3
	 * (with its sources inside); anything else is ignored. */
	if ((len != 8 && len < 12) || (len >= 12 && 12 + 4 * (uint32_t)ns_rd16(d + 10) > len) ||
	    (group && !ip4_is_mcast(group))) {
		NS_STAT_INC(st, igmp_drop_malformed);
		return;
	}
	NS_STAT_INC(st, igmp_query_rx);
	if (!in)
		return;
	ns_time_t now = st_now(st), delay;
	if (len == 8 && d[1] == 0) {
		in->v1_until = now + IGMP_OLDER_QUERIER_TIMEOUT;
		delay = IGMP_V1_MAX_RESP;
		group = 0; /* RFC 2236 4: a v1 query is always general */
	} else if (len == 8) {
		in->v2_until = now + IGMP_OLDER_QUERIER_TIMEOUT;
		delay = (ns_time_t)d[1] * 100 * NS_MSEC;
	} else {
		delay = max_resp_time(d[1]);
	}
	int v = version(in, now);
	for (struct igmp_group *g = in->groups; g; g = g->next) {
		if (!g->users || !reportable(nic, g->addr) || (group && g->addr != group))
			continue;
		if (!group && v == 3)
			continue; /* one report for all, below */
		g->query_pending = 1;
		arm_within(st, &g->timer, delay);
	}
	if (!group && v == 3)
		arm_within(st, &in->query_timer, delay);
}

static void igmp_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	const uint8_t *d = pkt_data(p);
	NS_STAT_INC(st, igmp_rx);
	if (p->len < 8) {
		NS_STAT_INC(st, igmp_drop_short);
		goto drop;
	}
	if (ns_csum(d, p->len) != 0) {
		NS_STAT_INC(st, igmp_drop_csum);
		goto drop;
	}
	switch (d[0]) {
	case IGMP_QUERY:
		query_input(st, l3->nic, d, p->len);
		break;
	case IGMP_V1_REPORT:
	case IGMP_V2_REPORT: {
		/* RFC 2236 3: another member answered; in v1/v2 mode our
		 * pending answer is suppressed (v3 hosts do not suppress). */
		NS_STAT_INC(st, igmp_report_rx);
		struct igmp_group *g = find(l3->nic, ns_rd32(d + 4));
		if (g && g->users && g->query_pending && version(l3->nic->igmp, st_now(st)) < 3) {
			g->query_pending = 0;
			g->reporter = 0;
			if (!g->reports_left)
				ns_timer_disarm(st->wheel, &g->timer);
		}
		break;
	}
	case IGMP_V2_LEAVE:
	case IGMP_V3_REPORT:
		NS_STAT_INC(st, igmp_report_rx); /* for routers */
		break;
	default:
		NS_STAT_INC(st, igmp_drop_unknown_type);
		break;
	}
drop:
	pkt_unref(p);
}

static const struct ns_l4_ops igmp_l4_ops = {
	.input = igmp_input,
};

void igmp_init(struct ns_stack *st)
{
	ip4_register(st, IPPROTO_IGMP, &igmp_l4_ops);
}

/* ---- sockets: options and memberships ---- */

/* Linux ip_mc_find_dev(): by index, else by address, else where a
 * datagram to the group would leave. Sets *ifindex. */
static struct ns_nic *find_nic(struct ns_stack *st, uint32_t group, uint32_t addr, int *ifindex)
{
	struct ns_nic *nic = NULL;
	if (*ifindex) {
		nic = ns_nic_get(st, *ifindex);
	} else if (addr) {
		nic = ns_addr4_nic(st, addr);
	} else {
		struct ns_rt rt;
		if (ns_route4(st, group, 0, 0, &rt) == 0)
			nic = rt.nic;
	}
	if (nic)
		*ifindex = nic->id;
	return nic;
}

/* s's membership of group on interface ifindex, or NULL */
static struct ip4_mc_entry *find_entry(const struct ns_socket *s, uint32_t group, int ifindex)
{
	struct ip4_mc_sock *mc = s->mc4;
	for (unsigned i = 0; mc && i < mc->n; i++)
		if (mc->e[i].group == group && mc->e[i].ifindex == ifindex)
			return &mc->e[i];
	return NULL;
}

static int sock_join(struct ns_socket *s, uint32_t group, uint32_t addr, int ifindex)
{
	if (!ip4_is_mcast(group))
		return -EINVAL;
	struct ns_nic *nic = find_nic(s->stack, group, addr, &ifindex);
	if (!nic)
		return -ENODEV;
	if (find_entry(s, group, ifindex))
		return -EADDRINUSE;
	struct ip4_mc_sock *mc = s->mc4;
	if (mc && mc->n >= IGMP_MAX_MEMBERSHIPS)
		return -ENOBUFS;
	if (!mc && !(mc = s->mc4 = calloc(1, sizeof(*mc))))
		return -ENOBUFS;
	int r = nic_join(nic, group);
	if (r < 0)
		return r;
	mc->e[mc->n++] = (struct ip4_mc_entry){ .group = group, .addr = addr, .ifindex = ifindex };
	return 0;
}

static int sock_leave(struct ns_socket *s, uint32_t group, uint32_t addr, int ifindex)
{
	int given = ifindex;
	struct ns_nic *nic = find_nic(s->stack, group, addr, &ifindex);
	if (!given && !addr && !nic)
		return -ENODEV;
	struct ip4_mc_sock *mc = s->mc4;
	for (unsigned i = 0; mc && i < mc->n; i++) {
		struct ip4_mc_entry *e = &mc->e[i];
		if (e->group != group)
			continue;
		if (ifindex ? e->ifindex != ifindex : addr && addr != e->addr)
			continue;
		struct ns_nic *on = ns_nic_get(s->stack, e->ifindex);
		if (on)
			nic_leave(on, group);
		*e = mc->e[--mc->n];
		return 0;
	}
	return -EADDRNOTAVAIL;
}

void igmp_sock_release(struct ns_socket *s)
{
	struct ip4_mc_sock *mc = s->mc4;
	if (!mc)
		return;
	for (unsigned i = 0; i < mc->n; i++) {
		struct ns_nic *nic = ns_nic_get(s->stack, mc->e[i].ifindex);
		if (nic)
			nic_leave(nic, mc->e[i].group);
	}
	free(mc);
	s->mc4 = NULL;
}

static int src_index(const struct ip4_mc_entry *e, uint32_t src)
{
	for (unsigned i = 0; i < e->nsrc; i++)
		if (e->src[i] == src)
			return (int)i;
	return -1;
}

int igmp_sock_allows(const struct ns_socket *s, uint32_t group, uint32_t src, int ifindex)
{
	const struct ip4_mc_entry *e = find_entry(s, group, ifindex);
	if (e)
		return (src_index(e, src) >= 0) == (e->mode == MC_INCLUDE);
	/* IP_MULTICAST_ALL: a group some other socket joined reaches every
	 * socket bound to the port (Linux's default). */
	return s->mc_all;
}

/* struct ip_mreqn from an ip_mreqn, an ip_mreq or (IP_MULTICAST_IF) an
 * in_addr, by length as Linux reads them; host order. */
static void read_mreqn(const void *v, socklen_t len, uint32_t *group, uint32_t *addr, int *ifindex)
{
	struct ip_mreqn m;
	memset(&m, 0, sizeof(m));
	if (len >= (socklen_t)sizeof(struct ip_mreqn))
		memcpy(&m, v, sizeof(m));
	else if (len >= (socklen_t)sizeof(struct ip_mreq))
		memcpy(&m, v, sizeof(struct ip_mreq));
	else
		memcpy(&m.imr_address, v, sizeof(struct in_addr));
	*group = ntohl(m.imr_multiaddr.s_addr);
	*addr = ntohl(m.imr_address.s_addr);
	*ifindex = m.imr_ifindex;
}

/*
 * IP_ADD/DROP_SOURCE_MEMBERSHIP (add/drop in INCLUDE mode) and
 * IP_BLOCK/UNBLOCK_SOURCE (EXCLUDE), answering as Linux's ip_mc_source():
 * the membership must exist (the add joins it first), its mode must match
 * unless its list is empty, a source is listed once, at most IGMP_MAX_MSF;
 * dropping the last INCLUDE source leaves the group.
 */
static int sock_source(struct ns_socket *s, uint32_t group, uint32_t addr, int ifindex,
		       uint32_t src, uint8_t mode, int add)
{
	if (!ip4_is_mcast(group))
		return -EINVAL;
	if (mode == MC_INCLUDE && add) {
		int r = sock_join(s, group, addr, ifindex);
		if (r < 0 && r != -EADDRINUSE)
			return r;
	}
	if (!find_nic(s->stack, group, addr, &ifindex))
		return -ENODEV;
	struct ip4_mc_entry *e = find_entry(s, group, ifindex);
	if (!e || ((e->nsrc || e->has_list) && e->mode != mode))
		return -EINVAL;
	/* An empty filter takes the mode asked for (Linux does so before
	 * it looks for the source, on a drop too). */
	e->mode = mode;
	int at = src_index(e, src);
	if (!add) {
		if (at < 0)
			return -EADDRNOTAVAIL;
		if (e->nsrc == 1 && mode == MC_INCLUDE)
			return sock_leave(s, group, 0, ifindex); /* INCLUDE {} */
		e->src[at] = e->src[--e->nsrc];
		return 0;
	}
	if (at >= 0)
		return -EADDRNOTAVAIL;
	if (e->nsrc >= IGMP_MAX_MSF)
		return -ENOBUFS;
	e->src[e->nsrc++] = src;
	e->has_list = 1;
	return 0;
}

/* A membership's whole filter at once (RFC 3678's IP_MSFILTER and
 * MCAST_MSFILTER, as Linux's ip_mc_msfilter): INCLUDE of no source is a
 * leave; the membership must exist. n at most IGMP_MAX_MSF (the caller
 * checks: ENOBUFS). */
static int set_filter(struct ns_socket *s, uint32_t group, uint32_t addr, int ifindex, uint32_t fmode,
		      uint32_t n, const uint32_t *src)
{
	if (!ip4_is_mcast(group))
		return -EINVAL;
	if (fmode != MCAST_INCLUDE && fmode != MCAST_EXCLUDE)
		return -EINVAL;
	if (!find_nic(s->stack, group, addr, &ifindex))
		return -ENODEV;
	if (fmode == MCAST_INCLUDE && n == 0)
		return sock_leave(s, group, addr, ifindex);
	struct ip4_mc_entry *e = find_entry(s, group, ifindex);
	if (!e)
		return -EINVAL;
	e->mode = fmode == MCAST_INCLUDE ? MC_INCLUDE : MC_EXCLUDE;
	e->nsrc = (uint8_t)n;
	e->has_list = n > 0;
	memcpy(e->src, src, n * sizeof(*src));
	return 0;
}

/* struct ip_msfilter (IP_MSFILTER) and struct group_filter
 * (MCAST_MSFILTER) as Linux checks them: a header, then numsrc sources
 * that the length must hold, at most IGMP_MAX_MSF (ENOBUFS). */
#define MSF_HDR 16u  /* IP_MSFILTER_SIZE(0) */
#define GF_HDR NS_GF_HDR
#define GF_SRC NS_GF_SRC
#define GF_GROUP NS_GF_GROUP
#define GF_FMODE NS_GF_FMODE

static int set_msfilter(struct ns_socket *s, const uint8_t *v, socklen_t len)
{
	if (len < MSF_HDR)
		return -EINVAL;
	uint32_t g, a, fmode, n;
	memcpy(&g, v, 4);
	memcpy(&a, v + 4, 4);
	memcpy(&fmode, v + 8, 4);
	memcpy(&n, v + 12, 4);
	if (n >= 0x3ffffffcu || n > IGMP_MAX_MSF)
		return -ENOBUFS;
	if (MSF_HDR + 4 * n > len)
		return -EINVAL;
	uint32_t src[IGMP_MAX_MSF];
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&src[i], v + MSF_HDR + 4 * i, 4);
		src[i] = ntohl(src[i]);
	}
	return set_filter(s, ntohl(g), ntohl(a), 0, fmode, n, src);
}

static int set_gfilter(struct ns_socket *s, const uint8_t *v, socklen_t len)
{
	uint32_t ifindex, fmode, n;
	int r = ns_gf_parse(v, len, IGMP_MAX_MSF, &ifindex, &fmode, &n);
	if (r < 0)
		return r;
	struct sockaddr_in sin;
	memcpy(&sin, v + GF_GROUP, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return -EADDRNOTAVAIL;
	uint32_t src[IGMP_MAX_MSF];
	for (uint32_t i = 0; i < n; i++) {
		struct sockaddr_in x;
		memcpy(&x, v + GF_HDR + GF_SRC * i, sizeof(x));
		src[i] = ntohl(x.sin_addr.s_addr);
	}
	return set_filter(s, ntohl(sin.sin_addr.s_addr), 0, (int)ifindex, fmode, n, src);
}

static void put_src4(uint8_t *ss, uint32_t i, const void *ctx)
{
	const struct ip4_mc_entry *e = ctx;
	struct sockaddr_in x = { .sin_family = AF_INET };
	x.sin_addr.s_addr = htonl(e->src[i]);
	memcpy(ss, &x, sizeof(x));
}

/* getsockopt of IP_MSFILTER and MCAST_MSFILTER: v holds the caller's
 * request (its group, interface and room for numsrc sources); the reply
 * says the mode, how many sources there are, and as many as fit. */
int igmp_getsockopt(struct ns_socket *s, int name, void *v, socklen_t *len)
{
	uint8_t *b = v;
	if (name == IP_MSFILTER) {
		if (*len < MSF_HDR)
			return -EINVAL;
		uint32_t g, a, room;
		memcpy(&g, b, 4);
		memcpy(&a, b + 4, 4);
		memcpy(&room, b + 12, 4);
		g = ntohl(g);
		if (!ip4_is_mcast(g))
			return -EINVAL;
		int ifindex = 0;
		if (!find_nic(s->stack, g, ntohl(a), &ifindex))
			return -ENODEV;
		const struct ip4_mc_entry *e = find_entry(s, g, ifindex);
		if (!e)
			return -EADDRNOTAVAIL;
		uint32_t n = e->nsrc, fmode = e->mode == MC_INCLUDE ? MCAST_INCLUDE : MCAST_EXCLUDE;
		uint32_t copy = n < room ? n : room;
		if (copy > (*len - MSF_HDR) / 4)
			copy = (*len - MSF_HDR) / 4; /* (Linux writes past a short length) */
		memcpy(b + 8, &fmode, 4);
		memcpy(b + 12, &n, 4);
		for (uint32_t i = 0; i < copy; i++) {
			uint32_t x = htonl(e->src[i]);
			memcpy(b + MSF_HDR + 4 * i, &x, 4);
		}
		*len = (socklen_t)(MSF_HDR + 4 * copy);
		return 0;
	}
	if (name != MCAST_MSFILTER)
		return -ENOPROTOOPT;
	if (*len < GF_HDR)
		return -EINVAL;
	uint32_t ifindex;
	struct sockaddr_in sin;
	memcpy(&ifindex, b, 4);
	memcpy(&sin, b + GF_GROUP, sizeof(sin));
	uint32_t g = ntohl(sin.sin_addr.s_addr);
	if (sin.sin_family != AF_INET || !ip4_is_mcast(g))
		return -EINVAL;
	const struct ip4_mc_entry *e = find_entry(s, g, (int)ifindex);
	if (!e)
		return -EADDRNOTAVAIL;
	ns_gf_reply(b, len, e->mode == MC_INCLUDE ? MCAST_INCLUDE : MCAST_EXCLUDE, e->nsrc, put_src4, e);
	return 0;
}

/* struct group_source_req (MCAST_JOIN/LEAVE_SOURCE_GROUP, MCAST_BLOCK/
 * UNBLOCK_SOURCE): exactly its size; both addresses IPv4. */
static int group_source(struct ns_socket *s, int name, const uint8_t *v, socklen_t len)
{
	if (len != 264)
		return -EINVAL;
	uint32_t ifindex;
	struct sockaddr_in g, src;
	memcpy(&ifindex, v, 4);
	memcpy(&g, v + 8, sizeof(g));
	memcpy(&src, v + 136, sizeof(src));
	if (g.sin_family != AF_INET || src.sin_family != AF_INET)
		return -EADDRNOTAVAIL;
	int incl = name == MCAST_JOIN_SOURCE_GROUP || name == MCAST_LEAVE_SOURCE_GROUP;
	return sock_source(s, ntohl(g.sin_addr.s_addr), 0, (int)ifindex, ntohl(src.sin_addr.s_addr),
			   incl ? MC_INCLUDE : MC_EXCLUDE, name == MCAST_JOIN_SOURCE_GROUP || name == MCAST_BLOCK_SOURCE);
}

static int set_mc_if(struct ns_socket *s, const void *v, socklen_t len)
{
	uint32_t group, addr;
	int ifindex;
	if (s->type == SOCK_STREAM || len < (socklen_t)sizeof(struct in_addr))
		return -EINVAL;
	if (!v)
		return -EFAULT;
	read_mreqn(v, len, &group, &addr, &ifindex);
	struct ns_nic *nic;
	if (!ifindex) {
		if (!addr) {
			s->mc_index = 0;
			s->mc_addr = 0;
			return 0;
		}
		nic = ns_addr4_nic(s->stack, addr);
	} else {
		nic = ns_nic_get(s->stack, ifindex);
	}
	if (!nic)
		return -EADDRNOTAVAIL;
	if (s->bound_nic && nic->id != s->bound_nic)
		return -EINVAL; /* SO_BINDTODEVICE names another */
	s->mc_index = nic->id;
	s->mc_addr = addr;
	return 0;
}

int igmp_setsockopt(struct ns_socket *s, int name, const void *v, socklen_t len)
{
	uint32_t group, addr;
	int ifindex;
	switch (name) {
	case IP_MULTICAST_IF:
		return set_mc_if(s, v, len);
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
		if (s->type == SOCK_STREAM)
			return -EPROTO;
		if (len < (socklen_t)sizeof(struct ip_mreq))
			return -EINVAL;
		if (!v)
			return -EFAULT;
		read_mreqn(v, len, &group, &addr, &ifindex);
		if (name == IP_ADD_MEMBERSHIP)
			return sock_join(s, group, addr, ifindex);
		return sock_leave(s, group, addr, ifindex);
	case IP_ADD_SOURCE_MEMBERSHIP:
	case IP_DROP_SOURCE_MEMBERSHIP:
	case IP_BLOCK_SOURCE:
	case IP_UNBLOCK_SOURCE: {
		struct ip_mreq_source m;
		if (len < (socklen_t)sizeof(m))
			return -EINVAL;
		if (!v)
			return -EFAULT;
		memcpy(&m, v, sizeof(m));
		int incl = name == IP_ADD_SOURCE_MEMBERSHIP || name == IP_DROP_SOURCE_MEMBERSHIP;
		return sock_source(s, ntohl(m.imr_multiaddr.s_addr), ntohl(m.imr_interface.s_addr), 0,
				   ntohl(m.imr_sourceaddr.s_addr), incl ? MC_INCLUDE : MC_EXCLUDE,
				   name == IP_ADD_SOURCE_MEMBERSHIP || name == IP_BLOCK_SOURCE);
	}
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP: {
		struct group_req gr;
		struct sockaddr_in sin;
		if (len < (socklen_t)sizeof(gr))
			return -EINVAL;
		if (!v)
			return -EFAULT;
		memcpy(&gr, v, sizeof(gr));
		memcpy(&sin, &gr.gr_group, sizeof(sin));
		if (sin.sin_family != AF_INET)
			return -EINVAL;
		group = ntohl(sin.sin_addr.s_addr);
		if (name == MCAST_JOIN_GROUP)
			return sock_join(s, group, 0, (int)gr.gr_interface);
		return sock_leave(s, group, 0, (int)gr.gr_interface);
	}
	case IP_MSFILTER:
		return v || !len ? set_msfilter(s, v, len) : -EFAULT;
	case MCAST_MSFILTER:
		return v || !len ? set_gfilter(s, v, len) : -EFAULT;
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
		return v || !len ? group_source(s, name, v, len) : -EFAULT;
	default:
		return -ENOPROTOOPT;
	}
}
