/*
 * Netlink route sockets (rtnetlink(7)): enough for `ip link`, `ip addr`,
 * `ip route` and glibc's getaddrinfo (AI_ADDRCONFIG) and getifaddrs to see
 * the sandbox's interfaces, addresses and routes, and for a process with
 * CAP_NET_ADMIN in the sandbox (its root) to change them: `ip addr
 * add/del`, `ip route add/del/replace`, `ip link set IF up|down|mtu N`
 * and `ip neigh add|replace|change|del` change the sandbox's netstack,
 * never the host.
 * The answers are built from the netstack's introspection API
 * (ns/info.h).
 *
 * A request is answered when it is sent: the replies are queued on the
 * socket as datagrams of at most NL_DGRAM bytes (whole messages only, as
 * Linux's dumps), then read one datagram per recvmsg. Changes other than
 * those above (new links, rules, qdiscs, ...) are refused with
 * EOPNOTSUPP, and every change without CAP_NET_ADMIN with EPERM; GET
 * requests of kinds we do not keep (rules, qdiscs, ...) get an empty
 * dump. No multicast notifications are sent (a change is seen by the
 * next dump).
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"
#include "../kernel/list.h"
#include "ns/info.h"
#include "ns/stack.h"

#define NL_DGRAM 4096

/* RFC 2863 operational states (linux/if.h, which clashes with net/if.h) */
enum { OPER_UNKNOWN = 0, OPER_DOWN = 2, OPER_UP = 6 };

struct nldgram {
	struct list link;
	size_t len;
	char data[];
};

struct nlsk {
	struct sock sk;
	struct list link; /* all netlink sockets (port ids) */
	uint32_t portid;
	uint32_t groups;
	int bound;
	struct list q; /* struct nldgram */
	size_t qbytes;
	int cap_ack, ext_ack, strict, pktinfo, no_enobufs, listen_all;
};

#define N(s) ((struct nlsk *)(s))

static const struct sock_ops nl_ops;
static struct list all_nl = LIST_INIT(all_nl);
static uint32_t next_auto = 0;

int netlink_create(struct task *t, int type, int protocol, struct sock **out)
{
	(void)t;
	if (type != SOCK_RAW && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	struct nlsk *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	sock_init(&n->sk, &nl_ops, AF_NETLINK, type, protocol);
	list_init(&n->q);
	list_add_tail(&n->link, &all_nl);
	*out = &n->sk;
	return 0;
}

static int portid_used(uint32_t id)
{
	for (struct list *l = all_nl.next; l != &all_nl; l = l->next) {
		struct nlsk *o = list_entry(l, struct nlsk, link);
		if (o->bound && o->portid == id)
			return 1;
	}
	return 0;
}

/* Linux: the first socket of a process gets its pid; the others get
 * negative numbers counting down from -4096. */
static void autobind(struct nlsk *n, struct task *t)
{
	if (n->bound)
		return;
	uint32_t id = (uint32_t)t->tg->tgid;
	while (portid_used(id)) {
		next_auto++;
		id = (uint32_t)(-4096 - (int32_t)next_auto);
	}
	n->portid = id;
	n->bound = 1;
}

static int nl_bind(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len)
{
	struct nlsk *n = N(s);
	struct sockaddr_nl sa;
	if (len < sizeof(sa))
		return -EINVAL;
	memcpy(&sa, a, sizeof(sa));
	if (sa.nl_family != AF_NETLINK)
		return -EINVAL;
	if (n->bound && sa.nl_pid && sa.nl_pid != n->portid)
		return -EINVAL;
	if (!n->bound && sa.nl_pid) {
		if (portid_used(sa.nl_pid))
			return -EADDRINUSE;
		n->portid = sa.nl_pid;
		n->bound = 1;
	}
	autobind(n, t);
	n->groups = sa.nl_groups;
	return 0;
}

static int nl_connect(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len, struct waitq **wq)
{
	(void)wq;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (a->sa_family == AF_UNSPEC)
		return 0;
	if (a->sa_family != AF_NETLINK || len < sizeof(struct sockaddr_nl))
		return -EINVAL;
	autobind(N(s), t);
	return 0;
}

/* ---- building replies ---- */

struct nlout {
	struct nlsk *n;
	char buf[NL_DGRAM]; /* the datagram being filled */
	size_t used;
	char msg[NL_DGRAM]; /* the message being built */
	size_t mlen;
	int overflow;
	const char *why; /* extended ack message of the request's error, or NULL */
};

static void flush_dgram(struct nlout *o)
{
	if (!o->used)
		return;
	struct nldgram *d = malloc(sizeof(*d) + o->used);
	if (d) {
		d->len = o->used;
		memcpy(d->data, o->buf, o->used);
		list_add_tail(&d->link, &o->n->q);
		o->n->qbytes += o->used;
	}
	o->used = 0;
}

static void *msg_begin(struct nlout *o, const struct nlmsghdr *req, uint16_t type, uint16_t flags,
		       size_t fixed)
{
	memset(o->msg, 0, NLMSG_SPACE(fixed));
	struct nlmsghdr *h = (struct nlmsghdr *)o->msg;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = req->nlmsg_seq;
	h->nlmsg_pid = o->n->portid;
	o->mlen = NLMSG_SPACE(fixed);
	o->overflow = 0;
	return NLMSG_DATA(h);
}

static void attr(struct nlout *o, uint16_t type, const void *data, size_t len)
{
	size_t need = RTA_SPACE(len);
	if (o->mlen + need > sizeof(o->msg)) {
		o->overflow = 1;
		return;
	}
	struct rtattr *a = (struct rtattr *)(o->msg + o->mlen);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	memset((char *)RTA_DATA(a) + len, 0, need - RTA_LENGTH(len));
	o->mlen += need;
}

static void attr_u32(struct nlout *o, uint16_t type, uint32_t v)
{
	attr(o, type, &v, sizeof(v));
}

static void attr_u8(struct nlout *o, uint16_t type, uint8_t v)
{
	attr(o, type, &v, sizeof(v));
}

static void attr_str(struct nlout *o, uint16_t type, const char *s)
{
	attr(o, type, s, strlen(s) + 1);
}

static void msg_end(struct nlout *o)
{
	if (o->overflow)
		return;
	struct nlmsghdr *h = (struct nlmsghdr *)o->msg;
	h->nlmsg_len = (uint32_t)o->mlen;
	if (o->used + o->mlen > sizeof(o->buf))
		flush_dgram(o);
	memcpy(o->buf + o->used, o->msg, o->mlen);
	o->used += NLMSG_ALIGN(o->mlen);
}

static void put_error(struct nlout *o, const struct nlmsghdr *req, int err)
{
	/* The request is echoed whole with an error (unless NETLINK_CAP_ACK),
	 * its header only with an acknowledgement. */
	size_t echo = err && !o->n->cap_ack ? req->nlmsg_len : sizeof(*req);
	if (NLMSG_SPACE(sizeof(int) + echo) > sizeof(o->msg))
		echo = sizeof(*req);
	struct nlmsgerr *e = msg_begin(o, req, NLMSG_ERROR, err ? 0 : NLM_F_CAPPED, sizeof(int) + echo);
	if (o->n->cap_ack && err)
		((struct nlmsghdr *)o->msg)->nlmsg_flags |= NLM_F_CAPPED;
	e->error = err;
	memcpy(&e->msg, req, echo);
	/* NETLINK_EXT_ACK: the reason as Linux words it, which ip prints
	 * ("Error: mtu less than device minimum."). */
	if (err && o->why && o->n->ext_ack) {
		((struct nlmsghdr *)o->msg)->nlmsg_flags |= NLM_F_ACK_TLVS;
		attr_str(o, NLMSGERR_ATTR_MSG, o->why);
	}
	msg_end(o);
}

static void put_done(struct nlout *o, const struct nlmsghdr *req)
{
	int *v = msg_begin(o, req, NLMSG_DONE, NLM_F_MULTI, sizeof(int));
	*v = 0;
	msg_end(o);
}

/* ---- links ---- */

static void link_msg(struct nlout *o, const struct nlmsghdr *req, struct ns_stack *st, int id,
		     const struct ns_nic_info *ni, uint16_t flags)
{
	struct ifinfomsg *ifi = msg_begin(o, req, RTM_NEWLINK, flags, sizeof(*ifi));
	int lo = !!(ni->flags & NS_NIC_LOOPBACK);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_type = lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
	ifi->ifi_index = id;
	ifi->ifi_flags = netdev_flags(ni);
	ifi->ifi_change = 0;
	(void)st;
	attr_str(o, IFLA_IFNAME, ni->name);
	attr_u32(o, IFLA_TXQLEN, 1000);
	int up = !!(ni->flags & NS_NIC_UP);
	attr_u8(o, IFLA_OPERSTATE, !up ? OPER_DOWN : lo ? OPER_UNKNOWN : OPER_UP);
	attr_u8(o, IFLA_LINKMODE, 0);
	attr_u32(o, IFLA_MTU, ni->mtu);
	attr_u32(o, IFLA_MIN_MTU, lo ? 0 : 68);
	attr_u32(o, IFLA_MAX_MTU, lo ? 0 : 65535);
	attr_u32(o, IFLA_GROUP, 0);
	attr_u32(o, IFLA_PROMISCUITY, 0);
	attr_u32(o, IFLA_NUM_TX_QUEUES, 1);
	attr_u32(o, IFLA_NUM_RX_QUEUES, 1);
	attr_u8(o, IFLA_CARRIER, (uint8_t)(up || lo)); /* a veth loses it when down */
	/* (Linux: noop until the link first goes up, as a new namespace's
	 * lo; then noqueue, down again or not) */
	attr_str(o, IFLA_QDISC, (ni->flags & NS_NIC_NEVER_UP) ? "noop" : "noqueue");
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6];
	attr(o, IFLA_ADDRESS, ni->mac, 6);
	attr(o, IFLA_BROADCAST, lo ? zero : bcast, 6);
	struct rtnl_link_stats64 s64;
	memset(&s64, 0, sizeof(s64));
	s64.rx_packets = ni->rx_packets;
	s64.tx_packets = ni->tx_packets;
	s64.rx_bytes = ni->rx_bytes;
	s64.tx_bytes = ni->tx_bytes;
	s64.rx_errors = ni->rx_errors;
	s64.tx_errors = ni->tx_errors;
	s64.rx_dropped = ni->rx_dropped;
	s64.tx_dropped = ni->tx_dropped;
	struct rtnl_link_stats s32;
	memset(&s32, 0, sizeof(s32));
	s32.rx_packets = (uint32_t)s64.rx_packets;
	s32.tx_packets = (uint32_t)s64.tx_packets;
	s32.rx_bytes = (uint32_t)s64.rx_bytes;
	s32.tx_bytes = (uint32_t)s64.tx_bytes;
	s32.rx_errors = (uint32_t)s64.rx_errors;
	s32.tx_errors = (uint32_t)s64.tx_errors;
	s32.rx_dropped = (uint32_t)s64.rx_dropped;
	s32.tx_dropped = (uint32_t)s64.tx_dropped;
	attr(o, IFLA_STATS, &s32, sizeof(s32));
	attr(o, IFLA_STATS64, &s64, sizeof(s64));
	msg_end(o);
}

/* Find the interface a GETLINK names (index, or IFLA_IFNAME). */
static int link_target(struct ns_stack *st, const struct nlmsghdr *req, struct ns_nic_info *ni)
{
	if (req->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EINVAL;
	const struct ifinfomsg *ifi = NLMSG_DATA(req);
	if (ifi->ifi_index > 0)
		return ns_stack_nic_info(st, ifi->ifi_index, ni) == 0 ? ifi->ifi_index : -ENODEV;
	int alen = (int)req->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type != IFLA_IFNAME && a->rta_type != IFLA_ALT_IFNAME)
			continue;
		char name[IFNAMSIZ] = { 0 };
		size_t l = RTA_PAYLOAD(a) < IFNAMSIZ - 1 ? RTA_PAYLOAD(a) : IFNAMSIZ - 1;
		memcpy(name, RTA_DATA(a), l);
		int n = ns_stack_nic_count(st);
		for (int id = 1; id <= n; id++)
			if (ns_stack_nic_info(st, id, ni) == 0 && !strcmp(ni->name, name))
				return id;
		return -ENODEV;
	}
	return -EINVAL;
}

static int get_link(struct nlout *o, const struct nlmsghdr *req, struct ns_stack *st)
{
	struct ns_nic_info ni;
	if (!(req->nlmsg_flags & NLM_F_DUMP)) {
		int id = link_target(st, req, &ni);
		if (id < 0)
			return id;
		link_msg(o, req, st, id, &ni, 0);
		return 0;
	}
	int n = st ? ns_stack_nic_count(st) : 0;
	for (int id = 1; id <= n; id++)
		if (ns_stack_nic_info(st, id, &ni) == 0)
			link_msg(o, req, st, id, &ni, NLM_F_MULTI);
	put_done(o, req);
	return 0;
}

/* ---- addresses ---- */

static int req_family(const struct nlmsghdr *req)
{
	/* rtgenmsg, ifaddrmsg, rtmsg and ifinfomsg all start with it. */
	if (req->nlmsg_len < NLMSG_LENGTH(1))
		return AF_UNSPEC;
	return *(const uint8_t *)NLMSG_DATA(req);
}

static uint8_t scope_of(const struct ns_ip *a)
{
	if (a->family == AF_INET)
		return (a->v4 >> 24) == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	static const uint8_t one[16] = { [15] = 1 };
	if (!memcmp(a->v6, one, 16))
		return RT_SCOPE_HOST;
	if (a->v6[0] == 0xfe && (a->v6[1] & 0xc0) == 0x80)
		return RT_SCOPE_LINK;
	return RT_SCOPE_UNIVERSE;
}

static void get_addr(struct nlout *o, const struct nlmsghdr *req, struct ns_stack *st)
{
	int fam = req_family(req);
	struct ns_addr_info ai;
	for (unsigned i = 0; st && ns_stack_addr_info(st, i, &ai) == 0; i++) {
		if (fam != AF_UNSPEC && fam != ai.addr.family)
			continue;
		struct ifaddrmsg *ifa = msg_begin(o, req, RTM_NEWADDR, NLM_F_MULTI, sizeof(*ifa));
		ifa->ifa_family = (uint8_t)ai.addr.family;
		ifa->ifa_prefixlen = (uint8_t)ai.prefixlen;
		ifa->ifa_scope = scope_of(&ai.addr);
		ifa->ifa_index = (uint32_t)ai.nic;
		uint32_t fl = 0;
		if (ai.valid_lft_s == UINT32_MAX)
			fl |= IFA_F_PERMANENT;
		if (ai.state == NS_ADDR_TENTATIVE)
			fl |= IFA_F_TENTATIVE;
		else if (ai.state == NS_ADDR_DEPRECATED)
			fl |= IFA_F_DEPRECATED;
		else if (ai.state == NS_ADDR_DADFAILED)
			fl |= IFA_F_DADFAILED | IFA_F_TENTATIVE;
		ifa->ifa_flags = (uint8_t)fl;
		if (ai.addr.family == AF_INET) {
			uint32_t a = htonl(ai.addr.v4);
			attr(o, IFA_ADDRESS, &a, 4);
			attr(o, IFA_LOCAL, &a, 4);
			struct ns_nic_info ni;
			int have = ns_stack_nic_info(st, ai.nic, &ni) == 0;
			/* (lo's 127.0.0.1/8 has no broadcast address on Linux) */
			if (ai.prefixlen < 31 && !(have && (ni.flags & NS_NIC_LOOPBACK))) {
				uint32_t b = htonl(ai.addr.v4 | (ai.prefixlen ? ~(~0u << (32 - ai.prefixlen)) : ~0u));
				attr(o, IFA_BROADCAST, &b, 4);
			}
			if (have)
				attr_str(o, IFA_LABEL, ni.name);
		} else {
			attr(o, IFA_ADDRESS, ai.addr.v6, 16);
		}
		attr_u32(o, IFA_FLAGS, fl);
		struct ifa_cacheinfo ci = { ai.preferred_lft_s, ai.valid_lft_s, 0, 0 };
		attr(o, IFA_CACHEINFO, &ci, sizeof(ci));
		msg_end(o);
	}
	put_done(o, req);
}

/* ---- routes ---- */

static void get_route(struct nlout *o, const struct nlmsghdr *req, struct ns_stack *st)
{
	int fam = req_family(req);
	struct ns_route_info ri;
	for (unsigned i = 0; st && ns_stack_route_info(st, i, &ri) == 0; i++) {
		if (fam != AF_UNSPEC && fam != ri.dst.family)
			continue;
		struct ns_nic_info ni;
		int lo = ns_stack_nic_info(st, ri.nic, &ni) == 0 && (ni.flags & NS_NIC_LOOPBACK);
		/* Linux keeps IPv4 loopback and every multicast route in the
		 * local table, which `ip route` does not show. */
		if ((lo && ri.dst.family == AF_INET) || (ri.dst.family == AF_INET6 && ri.dst.v6[0] == 0xff))
			continue;
		struct rtmsg *rt = msg_begin(o, req, RTM_NEWROUTE, NLM_F_MULTI, sizeof(*rt));
		rt->rtm_family = (uint8_t)ri.dst.family;
		rt->rtm_dst_len = (uint8_t)ri.prefixlen;
		rt->rtm_table = RT_TABLE_MAIN;
		rt->rtm_protocol = ri.has_gw ? RTPROT_BOOT : RTPROT_KERNEL;
		rt->rtm_scope = ri.has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
		if (ri.dst.family == AF_INET6)
			rt->rtm_scope = RT_SCOPE_UNIVERSE;
		rt->rtm_type = RTN_UNICAST;
		attr_u32(o, RTA_TABLE, RT_TABLE_MAIN);
		if (ri.dst.family == AF_INET) {
			uint32_t d = htonl(ri.dst.v4);
			if (ri.prefixlen)
				attr(o, RTA_DST, &d, 4);
			if (ri.has_gw) {
				uint32_t g = htonl(ri.gw.v4);
				attr(o, RTA_GATEWAY, &g, 4);
			} else {
				/* The connected route's preferred source: the
				 * interface's address in it. */
				struct ns_addr_info ai;
				for (unsigned j = 0; ns_stack_addr_info(st, j, &ai) == 0; j++) {
					if (ai.nic != ri.nic || ai.addr.family != AF_INET)
						continue;
					uint32_t m = ri.prefixlen ? ~0u << (32 - ri.prefixlen) : 0;
					if ((ai.addr.v4 & m) == (ri.dst.v4 & m)) {
						uint32_t s = htonl(ai.addr.v4);
						attr(o, RTA_PREFSRC, &s, 4);
						break;
					}
				}
			}
		} else {
			if (ri.prefixlen)
				attr(o, RTA_DST, ri.dst.v6, 16);
			if (ri.has_gw)
				attr(o, RTA_GATEWAY, ri.gw.v6, 16);
		}
		if (ri.metric || ri.dst.family == AF_INET6) /* Linux: none for an IPv4 metric 0 */
			attr_u32(o, RTA_PRIORITY, ri.metric);
		attr_u32(o, RTA_OIF, (uint32_t)ri.nic);
		msg_end(o);
	}
	put_done(o, req);
}

/* ---- route lookups (ip route get) ---- */

/* An address attribute of family fam into *ip. */
static int attr_ip(const struct rtattr *a, int fam, struct ns_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = (uint16_t)fam;
	if (RTA_PAYLOAD(a) != (fam == AF_INET ? 4u : 16u))
		return -EINVAL;
	if (fam == AF_INET) {
		uint32_t v;
		memcpy(&v, RTA_DATA(a), 4);
		ip->v4 = ntohl(v);
	} else {
		memcpy(ip->v6, RTA_DATA(a), 16);
	}
	return 0;
}

/* RTM_GETROUTE without NLM_F_DUMP: the route to RTA_DST as the stack
 * itself would take it (ns_stack_route_lookup), answered as Linux does
 * with one host route (RTM_F_CLONED) naming the device, the gateway and
 * the source; -ENETUNREACH when no route matches. */
static int lookup_route(struct nlout *o, const struct nlmsghdr *req, struct ns_stack *st)
{
	if (req->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return -EINVAL;
	const struct rtmsg *rq = NLMSG_DATA(req);
	int fam = rq->rtm_family;
	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	struct ns_ip dst;
	memset(&dst, 0, sizeof(dst));
	dst.family = (uint16_t)fam;
	int alen = (int)req->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rq));
	for (const struct rtattr *a = RTM_RTA(rq); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == RTA_DST && attr_ip(a, fam, &dst) < 0)
			return -EINVAL;
	if (!st)
		return -ENETUNREACH;
	struct ns_route_lookup rl;
	int e = ns_stack_route_lookup(st, &dst, 0, &rl); /* (RTA_OIF not honoured) */
	if (e < 0)
		return e;
	int local = rl.local;
	struct rtmsg *rt = msg_begin(o, req, RTM_NEWROUTE, 0, sizeof(*rt));
	rt->rtm_family = (uint8_t)fam;
	rt->rtm_dst_len = fam == AF_INET ? 32 : 128;
	rt->rtm_table = local ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_UNSPEC;
	rt->rtm_scope = local ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	rt->rtm_type = local ? RTN_LOCAL : RTN_UNICAST;
	rt->rtm_flags = RTM_F_CLONED;
	attr_u32(o, RTA_TABLE, rt->rtm_table);
	size_t n = fam == AF_INET ? 4 : 16;
	uint32_t d4 = htonl(dst.v4), s4 = htonl(rl.src.v4), g4 = htonl(rl.gw.v4);
	attr(o, RTA_DST, fam == AF_INET ? (const void *)&d4 : dst.v6, n);
	attr_u32(o, RTA_OIF, (uint32_t)rl.nic);
	attr(o, RTA_PREFSRC, fam == AF_INET ? (const void *)&s4 : rl.src.v6, n);
	if (rl.has_gw)
		attr(o, RTA_GATEWAY, fam == AF_INET ? (const void *)&g4 : rl.gw.v6, n);
	msg_end(o);
	return 0;
}

/* ---- changes ---- */

/* RTM_NEWADDR / RTM_DELADDR: ip addr add/del ADDR/LEN dev IF. The local
 * address is IFA_LOCAL (IPv4) or IFA_ADDRESS; Linux's errors: EEXIST for
 * an address already there, EADDRNOTAVAIL for deleting one that is not. */
static int change_addr(const struct nlmsghdr *req, struct ns_stack *st, int add)
{
	if (req->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return -EINVAL;
	const struct ifaddrmsg *ifa = NLMSG_DATA(req);
	int fam = ifa->ifa_family;
	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	if (ifa->ifa_prefixlen > (fam == AF_INET ? 32 : 128))
		return -EINVAL;
	struct ns_nic_info ni;
	if (!st || ifa->ifa_index == 0 || ns_stack_nic_info(st, (int)ifa->ifa_index, &ni) < 0)
		return -ENODEV;
	struct ns_ip ip, local;
	int have = 0, have_local = 0;
	int alen = (int)req->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == IFA_ADDRESS && attr_ip(a, fam, &ip) == 0)
			have = 1;
		else if (a->rta_type == IFA_LOCAL && attr_ip(a, fam, &local) == 0)
			have_local = 1;
		else if (a->rta_type == IFA_ADDRESS || a->rta_type == IFA_LOCAL)
			return -EINVAL;
	}
	if (have_local)
		ip = local, have = 1;
	if (!have)
		return -EINVAL;
	if (!add)
		return ns_stack_del_addr(st, (int)ifa->ifa_index, &ip);
	int r = ns_stack_add_addr(st, (int)ifa->ifa_index, &ip, ifa->ifa_prefixlen);
	if (r == -EEXIST && (req->nlmsg_flags & NLM_F_REPLACE))
		return 0;
	return r;
}

/* RTM_NEWROUTE / RTM_DELROUTE: unicast routes of the main table, to
 * RTA_DST/rtm_dst_len via RTA_GATEWAY and/or RTA_OIF. NLM_F_REPLACE (ip
 * route replace) deletes a route to the same prefix first. */
static int change_route(const struct nlmsghdr *req, struct ns_stack *st, int add, const char **why)
{
	if (req->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return -EINVAL;
	const struct rtmsg *rq = NLMSG_DATA(req);
	int fam = rq->rtm_family;
	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	if (rq->rtm_dst_len > (fam == AF_INET ? 32 : 128))
		return -EINVAL;
	if ((rq->rtm_table != RT_TABLE_MAIN && rq->rtm_table != RT_TABLE_UNSPEC) ||
	    (add && rq->rtm_type != RTN_UNICAST))
		return -EOPNOTSUPP; /* other tables, blackhole, prohibit, ... */
	struct ns_ip dst, gw;
	memset(&dst, 0, sizeof(dst));
	dst.family = (uint16_t)fam;
	int have_gw = 0, oif = 0;
	int alen = (int)req->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rq));
	for (const struct rtattr *a = RTM_RTA(rq); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == RTA_DST) {
			if (attr_ip(a, fam, &dst) < 0)
				return -EINVAL;
		} else if (a->rta_type == RTA_GATEWAY) {
			if (attr_ip(a, fam, &gw) < 0)
				return -EINVAL;
			have_gw = 1;
		} else if (a->rta_type == RTA_OIF) {
			if (RTA_PAYLOAD(a) != sizeof(uint32_t))
				return -EINVAL;
			uint32_t v;
			memcpy(&v, RTA_DATA(a), sizeof(v));
			oif = (int)v;
		}
	}
	if (!st)
		return -ENETUNREACH;
	struct ns_nic_info ni;
	if (oif && ns_stack_nic_info(st, oif, &ni) < 0)
		return -ENODEV;
	if (!add)
		return ns_stack_del_route(st, &dst, rq->rtm_dst_len);
	if (!have_gw && !oif)
		return -EINVAL; /* Linux: "Nexthop device is not specified" */
	if (req->nlmsg_flags & NLM_F_REPLACE)
		ns_stack_del_route(st, &dst, rq->rtm_dst_len);
	int r = ns_stack_add_route(st, &dst, rq->rtm_dst_len, have_gw ? &gw : NULL, oif);
	if (r == -ENETDOWN)
		*why = "Nexthop device is not up";
	return r;
}

/* RTM_NEWLINK / RTM_SETLINK on an existing link: IFLA_MTU (ip link set
 * IF mtu N) and IFF_UP (ip link set IF up|down), checked whole before
 * either is applied, the MTU first as Linux's do_setlink. Other
 * attributes are not supported; flags other than IFF_UP are taken and
 * forgotten (the stack has no use for promiscuous or all-multicast). */
static int change_link(const struct nlmsghdr *req, struct ns_stack *st, const char **why)
{
	struct ns_nic_info ni;
	if (req->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EINVAL;
	/* Neither an index nor a name: Linux's ENODEV (ip probes for
	 * RTM_NEWLINK support so, and takes EINVAL for "none"). */
	int id = st ? link_target(st, req, &ni) : -ENODEV;
	if (id == -EINVAL)
		id = -ENODEV;
	if (id < 0) /* (ip link add: no new links here) */
		return id == -ENODEV && (req->nlmsg_flags & NLM_F_CREATE) ? -EOPNOTSUPP : id;
	const struct ifinfomsg *ifi = NLMSG_DATA(req);
	long mtu = -1;
	int alen = (int)req->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == IFLA_IFNAME || a->rta_type == IFLA_ALT_IFNAME)
			continue;
		if (a->rta_type != IFLA_MTU)
			return -EOPNOTSUPP;
		if (RTA_PAYLOAD(a) < sizeof(uint32_t))
			return -ERANGE; /* Linux's policy: NLA_U32, too short */
		uint32_t v;
		memcpy(&v, RTA_DATA(a), sizeof(v));
		mtu = (int32_t)v < 0 ? LONG_MIN : (long)v; /* Linux reads it as an int */
	}
	int up = !!(ni.flags & NS_NIC_UP);
	if (ifi->ifi_flags || ifi->ifi_change) {
		/* rtnl_dev_combine_flags(): ifi_change 0 means every flag. */
		unsigned change = ifi->ifi_change ? ifi->ifi_change : ~0u;
		if (change & IFF_UP)
			up = !!(ifi->ifi_flags & IFF_UP);
	}
	if (mtu != -1) {
		int r = netdev_set_mtu(st, &ni, mtu);
		if (r < 0) {
			*why = mtu < 68 ? "mtu less than device minimum"
						    : "mtu greater than device maximum";
			return r;
		}
	}
	return ns_stack_nic_set_up(st, id, up);
}

/* ---- neighbours ---- */

/* Linux's NUD_* states and the stack's. */
static const uint16_t nud_of[] = {
	[NS_NEIGH_INCOMPLETE] = NUD_INCOMPLETE, [NS_NEIGH_REACHABLE] = NUD_REACHABLE,
	[NS_NEIGH_STALE] = NUD_STALE,		[NS_NEIGH_DELAY] = NUD_DELAY,
	[NS_NEIGH_PROBE] = NUD_PROBE,		[NS_NEIGH_FAILED] = NUD_FAILED,
	[NS_NEIGH_PERMANENT] = NUD_PERMANENT,	[NS_NEIGH_NOARP] = NUD_NOARP,
};

static void get_neigh(struct nlout *o, const struct nlmsghdr *req, struct ns_stack *st)
{
	int fam = req_family(req);
	struct ns_neigh_info ni;
	for (unsigned i = 0; st && ns_stack_neigh_info(st, i, &ni) == 0; i++) {
		if (fam != AF_UNSPEC && fam != ni.ip.family)
			continue;
		struct ndmsg *nd = msg_begin(o, req, RTM_NEWNEIGH, NLM_F_MULTI, sizeof(*nd));
		nd->ndm_family = (uint8_t)ni.ip.family;
		nd->ndm_ifindex = ni.nic;
		nd->ndm_state = nud_of[ni.state];
		nd->ndm_type = RTN_UNICAST;
		if (ni.ip.family == AF_INET) {
			uint32_t a = htonl(ni.ip.v4);
			attr(o, NDA_DST, &a, 4);
		} else {
			attr(o, NDA_DST, ni.ip.v6, 16);
		}
		if (ni.state != NS_NEIGH_INCOMPLETE && ni.state != NS_NEIGH_FAILED)
			attr(o, NDA_LLADDR, ni.mac, 6);
		attr_u32(o, NDA_PROBES, 0);
		struct nda_cacheinfo ci;
		memset(&ci, 0, sizeof(ci));
		attr(o, NDA_CACHEINFO, &ci, sizeof(ci));
		msg_end(o);
	}
	put_done(o, req);
}

/* RTM_NEWNEIGH / RTM_DELNEIGH: ip neigh add|replace|change|del ADDR
 * [lladdr MAC] dev IF [nud STATE], with Linux's neigh_add/neigh_delete
 * errors: EINVAL without NDA_DST or a device, or with a short address;
 * ENODEV, EAFNOSUPPORT; EEXIST / ENOENT by NLM_F_EXCL / NLM_F_CREATE. Of
 * the states, permanent, noarp, reachable and stale can be set; proxy
 * entries (NTF_PROXY) are not supported. */
static int change_neigh(const struct nlmsghdr *req, struct ns_stack *st, int add)
{
	if (req->nlmsg_len < NLMSG_LENGTH(sizeof(struct ndmsg)))
		return -EINVAL;
	const struct ndmsg *nd = NLMSG_DATA(req);
	const struct rtattr *dst = NULL, *ll = NULL;
	int alen = (int)req->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nd));
	for (const struct rtattr *a = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == NDA_DST)
			dst = a;
		else if (a->rta_type == NDA_LLADDR)
			ll = a;
	}
	if (!dst)
		return -EINVAL;
	struct ns_nic_info ni;
	if (nd->ndm_ifindex && (!st || ns_stack_nic_info(st, nd->ndm_ifindex, &ni) < 0))
		return -ENODEV;
	if (add && ll && RTA_PAYLOAD(ll) < 6)
		return -EINVAL;
	int fam = nd->ndm_family;
	if (fam != AF_INET && fam != AF_INET6)
		return -EAFNOSUPPORT;
	struct ns_ip ip;
	memset(&ip, 0, sizeof(ip));
	ip.family = (uint16_t)fam;
	size_t klen = fam == AF_INET ? 4 : 16;
	if (RTA_PAYLOAD(dst) < klen)
		return -EINVAL;
	if (fam == AF_INET) {
		uint32_t v;
		memcpy(&v, RTA_DATA(dst), 4);
		ip.v4 = ntohl(v);
	} else {
		memcpy(ip.v6, RTA_DATA(dst), 16);
	}
	if (nd->ndm_flags & NTF_PROXY)
		return -EOPNOTSUPP;
	if (!nd->ndm_ifindex)
		return -EINVAL; /* Linux: "Device not specified" */
	if (!add)
		return ns_stack_neigh_del(st, nd->ndm_ifindex, &ip);
	int state;
	switch (nd->ndm_state) {
	case NUD_PERMANENT:
		state = NS_NEIGH_PERMANENT;
		break;
	case NUD_NOARP:
		state = NS_NEIGH_NOARP;
		break;
	case NUD_REACHABLE:
		state = NS_NEIGH_REACHABLE;
		break;
	case NUD_STALE:
		state = NS_NEIGH_STALE;
		break;
	default:
		return -EOPNOTSUPP; /* (Linux takes the others too) */
	}
	uint8_t mac[6] = { 0 };
	if (ll)
		memcpy(mac, RTA_DATA(ll), 6);
	unsigned fl = 0;
	if (req->nlmsg_flags & NLM_F_CREATE)
		fl |= NS_NEIGH_F_CREATE;
	if (req->nlmsg_flags & NLM_F_EXCL)
		fl |= NS_NEIGH_F_EXCL;
	if (req->nlmsg_flags & NLM_F_REPLACE)
		fl |= NS_NEIGH_F_REPLACE;
	return ns_stack_neigh_set(st, nd->ndm_ifindex, &ip, mac, state, fl);
}

/* One request: replies queued on o. Returns 0 or -errno for the ack.
 * admin: the sender has CAP_NET_ADMIN in the sandbox. */
static int handle(struct nlout *o, const struct nlmsghdr *req, struct ns_stack *st, int admin)
{
	uint16_t type = req->nlmsg_type;
	if (type < RTM_BASE)
		return 0; /* NLMSG_NOOP and friends: nothing to do */
	if (type > RTM_MAX)
		return -EOPNOTSUPP;
	int kind = (type - RTM_BASE) & 3; /* NEW, DEL, GET, SET */
	if (kind != 2) {
		if (!admin)
			return -EPERM;
		switch (type) {
		case RTM_NEWADDR:
		case RTM_DELADDR:
			return change_addr(req, st, type == RTM_NEWADDR);
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			return change_route(req, st, type == RTM_NEWROUTE, &o->why);
		case RTM_NEWLINK:
		case RTM_SETLINK:
			return change_link(req, st, &o->why);
		case RTM_NEWNEIGH:
		case RTM_DELNEIGH:
			return change_neigh(req, st, type == RTM_NEWNEIGH);
		default:
			return -EOPNOTSUPP;
		}
	}
	switch (type) {
	case RTM_GETLINK:
		return st ? get_link(o, req, st) : (put_done(o, req), 0);
	case RTM_GETADDR:
		get_addr(o, req, st);
		return 0;
	case RTM_GETNEIGH:
		if (!(req->nlmsg_flags & NLM_F_DUMP))
			return -EOPNOTSUPP; /* (ip neigh get) */
		get_neigh(o, req, st);
		return 0;
	case RTM_GETROUTE:
		if (!(req->nlmsg_flags & NLM_F_DUMP))
			return lookup_route(o, req, st); /* ip route get */
		get_route(o, req, st);
		return 0;
	default:
		if (!(req->nlmsg_flags & NLM_F_DUMP))
			return -EOPNOTSUPP;
		put_done(o, req); /* neighbours, rules, qdiscs...: none here */
		return 0;
	}
}

static ssize_t nl_sendmsg(struct sock *s, struct task *t, struct kmsg *m, int flags, struct waitq **wq)
{
	(void)flags, (void)wq;
	struct nlsk *n = N(s);
	if (m->addrlen) {
		struct sockaddr_nl sa;
		if (m->addrlen < sizeof(sa))
			return -EINVAL;
		memcpy(&sa, &m->addr, sizeof(sa));
		if (sa.nl_family != AF_NETLINK)
			return -EINVAL;
		if (sa.nl_pid != 0 || sa.nl_groups)
			return -ECONNREFUSED; /* only the kernel listens here */
	}
	autobind(n, t);
	struct nlout *o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->n = n;
	o->used = 0;
	struct ns_stack *st = inet_stack(t->k, t);
	/* Signed: NLMSG_NEXT subtracts the aligned length, which overshoots
	 * when the last message's length is not a multiple of 4; an unsigned
	 * count wrapped around and the loop read past the buffer (found by
	 * tests/fuzz/fuzz_netlink.c). */
	long left = m->len > INT32_MAX ? INT32_MAX : (long)m->len;
	for (struct nlmsghdr *h = (struct nlmsghdr *)m->data; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (!(h->nlmsg_flags & NLM_F_REQUEST))
			continue;
		o->why = NULL;
		int err = handle(o, h, st, ns_capable(t, task_netns(t)->c.owner, KCAP_NET_ADMIN));
		if (err || (h->nlmsg_flags & NLM_F_ACK))
			put_error(o, h, err);
	}
	flush_dgram(o);
	free(o);
	if (!list_empty(&n->q))
		waitq_wake(&s->wq, POLLIN | POLLRDNORM);
	return (ssize_t)m->len;
}

static ssize_t nl_recvmsg(struct sock *s, struct task *t, struct kmsg *m, int flags)
{
	(void)t;
	struct nlsk *n = N(s);
	if (list_empty(&n->q))
		return -EAGAIN;
	struct nldgram *d = list_entry(n->q.next, struct nldgram, link);
	size_t c = d->len < m->len ? d->len : m->len;
	memcpy(m->data, d->data, c);
	m->full_len = d->len;
	if (c < d->len)
		m->flags |= MSG_TRUNC;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	memcpy(&m->addr, &sa, sizeof(sa));
	m->addrlen = sizeof(sa);
	if (!(flags & MSG_PEEK)) {
		list_del(&d->link);
		n->qbytes -= d->len;
		free(d);
	}
	return (ssize_t)c;
}

static int nl_getname(struct sock *s, struct sockaddr *a, socklen_t *len, int peer)
{
	struct nlsk *n = N(s);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (!peer) {
		sa.nl_pid = n->portid;
		sa.nl_groups = n->groups;
	}
	memcpy(a, &sa, sizeof(sa));
	*len = sizeof(sa);
	return 0;
}

static int *nl_opt(struct nlsk *n, int name)
{
	switch (name) {
	case NETLINK_CAP_ACK:
		return &n->cap_ack;
	case NETLINK_EXT_ACK:
		return &n->ext_ack;
	case NETLINK_GET_STRICT_CHK:
		return &n->strict;
	case NETLINK_PKTINFO:
		return &n->pktinfo;
	case NETLINK_NO_ENOBUFS:
		return &n->no_enobufs;
	case NETLINK_LISTEN_ALL_NSID:
		return &n->listen_all;
	default:
		return NULL;
	}
}

static int nl_setsockopt(struct sock *s, struct task *t, int level, int name, const void *val, socklen_t len)
{
	(void)t;
	struct nlsk *n = N(s);
	if (level == SOL_SOCKET)
		return sock_setsockopt_common(s, name, val, len);
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	int v;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if (name == NETLINK_ADD_MEMBERSHIP || name == NETLINK_DROP_MEMBERSHIP) {
		if (v <= 0 || v > 32) /* groups beyond 32 exist; none ever fires here */
			return v <= 0 ? -EINVAL : 0;
		if (name == NETLINK_ADD_MEMBERSHIP)
			n->groups |= 1u << (v - 1);
		else
			n->groups &= ~(1u << (v - 1));
		return 0;
	}
	int *p = nl_opt(n, name);
	if (!p)
		return -ENOPROTOOPT;
	*p = !!v;
	return 0;
}

static int nl_getsockopt(struct sock *s, struct task *t, int level, int name, void *val, socklen_t *len)
{
	(void)t;
	if (level == SOL_SOCKET)
		return sock_getsockopt_common(s, t, name, val, len);
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	int *p = nl_opt(N(s), name);
	if (!p)
		return -ENOPROTOOPT;
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, p, sizeof(int));
	*len = sizeof(int);
	return 0;
}

static uint32_t nl_poll(struct sock *s)
{
	return POLLOUT | POLLWRNORM | (list_empty(&N(s)->q) ? 0 : POLLIN | POLLRDNORM);
}

static long nl_ioctl(struct sock *s, struct task *t, unsigned long cmd, uint64_t arg)
{
	(void)s;
	return netdev_ioctl(t, cmd, arg);
}

static int nl_shutdown(struct sock *s, int how)
{
	(void)s, (void)how;
	return 0;
}

static void nl_release(struct sock *s)
{
	struct nlsk *n = N(s);
	while (!list_empty(&n->q)) {
		struct nldgram *d = list_entry(n->q.next, struct nldgram, link);
		list_del(&d->link);
		free(d);
	}
	list_del(&n->link);
	waitq_destroy(&s->wq, POLLHUP);
	free(n);
}

/* SO_MEMINFO: a reply counts in its reader's memory until read, as
 * Linux's netlink charges it (skb_set_owner_r) */
static void nl_meminfo(struct sock *s, uint32_t *mem)
{
	mem[SOCK_MEM_RMEM_ALLOC] = (uint32_t)N(s)->qbytes;
}

static const struct sock_ops nl_ops = {
	.bind = nl_bind,
	.connect = nl_connect,
	.sendmsg = nl_sendmsg,
	.recvmsg = nl_recvmsg,
	.shutdown = nl_shutdown,
	.getname = nl_getname,
	.setsockopt = nl_setsockopt,
	.getsockopt = nl_getsockopt,
	.poll = nl_poll,
	.ioctl = nl_ioctl,
	.release = nl_release,
	.meminfo = nl_meminfo,
};
