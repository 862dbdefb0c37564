/*
 * Differential case for IPv6 multicast (ipv6(7)): the group membership
 * options with good and bad arguments, IPV6_MULTICAST_LOOP, _ALL, _HOPS
 * and _IF, and where a datagram to a group may go. Natively the namespace
 * has only lo (::1), and so has `moat do --network none`: groups are
 * joined on lo (index 1). Rules as in diffcases.c.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

#define GROUP "ff02::1:3"
#define GROUP2 "ff0e::1:4"

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;
	inet_pton(AF_INET6, s, &a);
	return a;
}

static void tx(const char *step, int s, const char *dst, unsigned scope, uint16_t port,
	       const char *data)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = a6(dst), .sin6_scope_id = scope };
	errno = 0;
	R(step, sendto(s, data, strlen(data), 0, (struct sockaddr *)&a, sizeof(a)));
}

static void mreq(const char *step, int s, int opt, const char *group, int ifindex, socklen_t len)
{
	struct ipv6_mreq m = { .ipv6mr_multiaddr = a6(group), .ipv6mr_interface = (unsigned)ifindex };
	char big[64] = { 0 };
	memcpy(big, &m, sizeof(m));
	TRY(step, setsockopt(s, IPPROTO_IPV6, opt, big, len));
}

static void greq(const char *step, int s, int opt, int family, const char *group, int ifindex,
		 socklen_t len)
{
	struct group_req g = { .gr_interface = (uint32_t)ifindex };
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g.gr_group;
	a->sin6_family = (sa_family_t)family;
	a->sin6_addr = a6(group);
	TRY(step, setsockopt(s, IPPROTO_IPV6, opt, &g, len));
}

static void gsreq(const char *step, int s, int opt, const char *group, const char *source,
		  int ifindex)
{
	struct group_source_req g = { .gsr_interface = (uint32_t)ifindex };
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g.gsr_group;
	a->sin6_family = AF_INET6;
	a->sin6_addr = a6(group);
	a = (struct sockaddr_in6 *)&g.gsr_source;
	a->sin6_family = AF_INET6;
	a->sin6_addr = a6(source);
	TRY(step, setsockopt(s, IPPROTO_IPV6, opt, &g, sizeof(g)));
}

/* Defaults, values and lengths of the int options; the wrong sockets. */
static void int_options(void)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0), t = socket(AF_INET6, SOCK_STREAM, 0);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	static const int opts[] = { IPV6_MULTICAST_LOOP, IPV6_MULTICAST_ALL, IPV6_MULTICAST_HOPS,
				    IPV6_MULTICAST_IF };
	static const char *names[] = { "LOOP", "ALL", "HOPS", "IF" };
	static const int vals[] = { 0, 1, 2, -1, 255, 256 };
	char step[96];
	for (int i = 0; i < 4; i++) {
		snprintf(step, sizeof(step), "udp %s default", names[i]);
		get_int(step, u, IPPROTO_IPV6, opts[i]);
		snprintf(step, sizeof(step), "tcp %s default", names[i]);
		get_int(step, t, IPPROTO_IPV6, opts[i]);
		snprintf(step, sizeof(step), "udp4 %s", names[i]);
		set_int(step, u4, IPPROTO_IPV6, opts[i], 1);
		for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			snprintf(step, sizeof(step), "udp %s set %d", names[i], vals[j]);
			set_int(step, u, IPPROTO_IPV6, opts[i], vals[j]);
			snprintf(step, sizeof(step), "udp %s after %d", names[i], vals[j]);
			get_int(step, u, IPPROTO_IPV6, opts[i]);
			snprintf(step, sizeof(step), "tcp %s set %d", names[i], vals[j]);
			set_int(step, t, IPPROTO_IPV6, opts[i], vals[j]);
			snprintf(step, sizeof(step), "tcp %s after %d", names[i], vals[j]);
			get_int(step, t, IPPROTO_IPV6, opts[i]);
		}
		int one = 1;
		for (socklen_t l = 0; l < 4; l++) {
			snprintf(step, sizeof(step), "udp %s optlen %u", names[i], (unsigned)l);
			TRY(step, setsockopt(u, IPPROTO_IPV6, opts[i], &one, l));
		}
		snprintf(step, sizeof(step), "udp %s bad pointer", names[i]);
		TRY(step, setsockopt(u, IPPROTO_IPV6, opts[i], (void *)8, sizeof(int)));
	}
	close(u);
	close(t);
	close(u4);
}

/* The membership options' arguments and answers. */
static void memberships(void)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0), t = socket(AF_INET6, SOCK_STREAM, 0);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t ml = sizeof(struct ipv6_mreq);

	mreq("ADD link-local group on lo", u, IPV6_ADD_MEMBERSHIP, GROUP, 1, ml);
	mreq("ADD again", u, IPV6_ADD_MEMBERSHIP, GROUP, 1, ml);
	mreq("ADD again, ifindex 0", u, IPV6_ADD_MEMBERSHIP, GROUP, 0, ml);
	mreq("ADD global group, ifindex 0", u, IPV6_ADD_MEMBERSHIP, GROUP2, 0, ml);
	mreq("ADD global group on lo", u, IPV6_ADD_MEMBERSHIP, GROUP2, 1, ml);
	mreq("ADD all-nodes on lo", u, IPV6_ADD_MEMBERSHIP, "ff02::1", 1, ml);
	mreq("ADD interface-local on lo", u, IPV6_ADD_MEMBERSHIP, "ff01::5", 1, ml);
	mreq("ADD unknown ifindex", u, IPV6_ADD_MEMBERSHIP, "ff02::1:5", 99, ml);
	mreq("ADD negative ifindex", u, IPV6_ADD_MEMBERSHIP, "ff02::1:5", -1, ml);
	mreq("ADD unicast group", u, IPV6_ADD_MEMBERSHIP, "::1", 1, ml);
	mreq("ADD unspecified group", u, IPV6_ADD_MEMBERSHIP, "::", 1, ml);
	mreq("ADD v4-mapped group", u, IPV6_ADD_MEMBERSHIP, "::ffff:224.1.2.3", 1, ml);
	mreq("ADD short", u, IPV6_ADD_MEMBERSHIP, "ff02::1:6", 1, ml - 1);
	mreq("ADD optlen 0", u, IPV6_ADD_MEMBERSHIP, "ff02::1:6", 1, 0);
	mreq("ADD long", u, IPV6_ADD_MEMBERSHIP, "ff02::1:6", 1, ml + 8);
	TRY("ADD bad pointer", setsockopt(u, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, (void *)8, ml));
	TRY("ADD NULL", setsockopt(u, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, NULL, ml));
	mreq("DROP not joined", u, IPV6_DROP_MEMBERSHIP, "ff02::1:7", 1, ml);
	mreq("DROP unicast", u, IPV6_DROP_MEMBERSHIP, "::1", 1, ml);
	mreq("DROP other ifindex", u, IPV6_DROP_MEMBERSHIP, GROUP, 99, ml);
	mreq("DROP short", u, IPV6_DROP_MEMBERSHIP, GROUP, 1, ml - 1);
	TRY("DROP bad pointer", setsockopt(u, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, (void *)8, ml));
	mreq("DROP ifindex 0", u, IPV6_DROP_MEMBERSHIP, GROUP, 0, ml);
	mreq("DROP again", u, IPV6_DROP_MEMBERSHIP, GROUP, 1, ml);
	mreq("DROP long", u, IPV6_DROP_MEMBERSHIP, "ff02::1:6", 1, ml + 8);
	mreq("DROP global", u, IPV6_DROP_MEMBERSHIP, GROUP2, 1, ml);
	mreq("DROP all-nodes", u, IPV6_DROP_MEMBERSHIP, "ff02::1", 1, ml);

	mreq("tcp ADD", t, IPV6_ADD_MEMBERSHIP, GROUP, 1, ml);
	mreq("tcp ADD short", t, IPV6_ADD_MEMBERSHIP, GROUP, 1, ml - 1);
	mreq("tcp DROP", t, IPV6_DROP_MEMBERSHIP, GROUP, 1, ml);
	greq("tcp MCAST_JOIN_GROUP", t, MCAST_JOIN_GROUP, AF_INET6, GROUP, 1, sizeof(struct group_req));
	greq("tcp MCAST_LEAVE_GROUP", t, MCAST_LEAVE_GROUP, AF_INET6, GROUP, 1, sizeof(struct group_req));
	gsreq("tcp MCAST_JOIN_SOURCE_GROUP", t, MCAST_JOIN_SOURCE_GROUP, GROUP, "::1", 1);
	mreq("udp4 IPV6_ADD_MEMBERSHIP", u4, IPV6_ADD_MEMBERSHIP, GROUP, 1, ml);
	greq("udp4 IPV6 MCAST_JOIN_GROUP", u4, MCAST_JOIN_GROUP, AF_INET6, GROUP, 1, sizeof(struct group_req));

	socklen_t gl = sizeof(struct group_req);
	greq("MCAST_JOIN_GROUP", u, MCAST_JOIN_GROUP, AF_INET6, GROUP, 1, gl);
	greq("MCAST_JOIN_GROUP again", u, MCAST_JOIN_GROUP, AF_INET6, GROUP, 1, gl);
	mreq("IPV6_ADD_MEMBERSHIP over it", u, IPV6_ADD_MEMBERSHIP, GROUP, 1, ml);
	greq("MCAST_JOIN_GROUP AF_INET", u, MCAST_JOIN_GROUP, AF_INET, GROUP, 1, gl);
	greq("MCAST_JOIN_GROUP family 0", u, MCAST_JOIN_GROUP, 0, "ff02::1:8", 1, gl);
	greq("MCAST_JOIN_GROUP short", u, MCAST_JOIN_GROUP, AF_INET6, "ff02::1:8", 1, gl - 1);
	greq("MCAST_JOIN_GROUP unicast", u, MCAST_JOIN_GROUP, AF_INET6, "::1", 1, gl);
	greq("MCAST_JOIN_GROUP unknown ifindex", u, MCAST_JOIN_GROUP, AF_INET6, "ff02::1:8", 99, gl);
	TRY("MCAST_JOIN_GROUP bad pointer", setsockopt(u, IPPROTO_IPV6, MCAST_JOIN_GROUP, (void *)8, gl));
	greq("MCAST_LEAVE_GROUP AF_INET", u, MCAST_LEAVE_GROUP, AF_INET, GROUP, 1, gl);
	greq("MCAST_LEAVE_GROUP short", u, MCAST_LEAVE_GROUP, AF_INET6, GROUP, 1, gl - 1);
	greq("MCAST_LEAVE_GROUP not joined", u, MCAST_LEAVE_GROUP, AF_INET6, "ff02::1:8", 1, gl);
	greq("MCAST_LEAVE_GROUP unicast", u, MCAST_LEAVE_GROUP, AF_INET6, "::1", 1, gl);
	greq("MCAST_LEAVE_GROUP", u, MCAST_LEAVE_GROUP, AF_INET6, GROUP, 1, gl);
	greq("MCAST_LEAVE_GROUP again", u, MCAST_LEAVE_GROUP, AF_INET6, GROUP, 1, gl);

	/* getsockopt of the membership options */
	int opts[] = { IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP,
		       MCAST_JOIN_SOURCE_GROUP, MCAST_BLOCK_SOURCE };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		char step[64], b[256];
		socklen_t l = sizeof(b);
		snprintf(step, sizeof(step), "getsockopt %d", opts[i]);
		TRY(step, getsockopt(u, IPPROTO_IPV6, opts[i], b, &l));
	}
	close(u);
	close(t);
	close(u4);
}

/* Source-specific memberships (RFC 3678 5.2) and their answers. */
static void source_options(void)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	gsreq("BLOCK not joined", u, MCAST_BLOCK_SOURCE, GROUP, "::1", 1);
	gsreq("JOIN_SOURCE", u, MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::1", 1);
	gsreq("JOIN_SOURCE twice", u, MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::1", 1);
	gsreq("JOIN_SOURCE a second", u, MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::2", 1);
	gsreq("BLOCK on an INCLUDE filter", u, MCAST_BLOCK_SOURCE, GROUP, "2001:db8::3", 1);
	greq("JOIN_GROUP over it", u, MCAST_JOIN_GROUP, AF_INET6, GROUP, 1, sizeof(struct group_req));
	gsreq("LEAVE_SOURCE not listed", u, MCAST_LEAVE_SOURCE_GROUP, GROUP, "2001:db8::9", 1);
	gsreq("LEAVE_SOURCE", u, MCAST_LEAVE_SOURCE_GROUP, GROUP, "2001:db8::1", 1);
	gsreq("LEAVE_SOURCE the last", u, MCAST_LEAVE_SOURCE_GROUP, GROUP, "2001:db8::2", 1);
	gsreq("LEAVE_SOURCE when left", u, MCAST_LEAVE_SOURCE_GROUP, GROUP, "2001:db8::2", 1);
	greq("JOIN_GROUP", u, MCAST_JOIN_GROUP, AF_INET6, GROUP, 1, sizeof(struct group_req));
	gsreq("BLOCK", u, MCAST_BLOCK_SOURCE, GROUP, "2001:db8::1", 1);
	gsreq("BLOCK twice", u, MCAST_BLOCK_SOURCE, GROUP, "2001:db8::1", 1);
	gsreq("JOIN_SOURCE on an EXCLUDE filter", u, MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::1", 1);
	gsreq("UNBLOCK", u, MCAST_UNBLOCK_SOURCE, GROUP, "2001:db8::1", 1);
	gsreq("UNBLOCK twice", u, MCAST_UNBLOCK_SOURCE, GROUP, "2001:db8::1", 1);
	gsreq("JOIN_SOURCE unicast group", u, MCAST_JOIN_SOURCE_GROUP, "2001:db8::5", "::1", 1);
	gsreq("JOIN_SOURCE unknown ifindex", u, MCAST_JOIN_SOURCE_GROUP, "ff02::1:9", "::1", 99);
	struct group_source_req g;
	memset(&g, 0, sizeof(g));
	TRY("JOIN_SOURCE short", setsockopt(u, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &g, sizeof(g) - 1));
	TRY("JOIN_SOURCE zeroes", setsockopt(u, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &g, sizeof(g)));
	TRY("JOIN_SOURCE bad pointer", setsockopt(u, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, (void *)8, sizeof(g)));
	close(u);
}

/* Sending to a group: lo has no route to groups (Linux gives ff00::/8 to
 * every interface but lo), so without another interface every way out is
 * unreachable. (Linux does not bring a datagram to a group back over lo
 * even with such a route, so delivery is tested over a veth, in
 * tests/sandbox/net_mcast6.sh, and in the unit tests.) */
static void routes(void)
{
	const uint16_t port = 47101;
	int snd = socket(AF_INET6, SOCK_DGRAM, 0);
	tx("send without an interface", snd, GROUP, 0, port, "x");
	tx("send with scope id 1", snd, GROUP, 1, port, "x");
	tx("send to a global group", snd, GROUP2, 0, port, "x");
	tx("send to an interface-local group", snd, "ff01::1:3", 0, port, "x");
	set_int("IPV6_MULTICAST_IF 1", snd, IPPROTO_IPV6, IPV6_MULTICAST_IF, 1);
	tx("send by IPV6_MULTICAST_IF", snd, GROUP, 0, port, "x");
	tx("send to a global group by IPV6_MULTICAST_IF", snd, GROUP2, 0, port, "x");
	set_int("IPV6_MULTICAST_HOPS 0", snd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 0);
	tx("send with hop limit 0", snd, GROUP, 0, port, "x");
	struct sockaddr_in6 ga = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = a6(GROUP), .sin6_scope_id = 1 };
	int con = socket(AF_INET6, SOCK_DGRAM, 0);
	TRY("connect to the group on lo", connect(con, (struct sockaddr *)&ga, sizeof(ga)));
	ga.sin6_scope_id = 0;
	TRY("connect to the group without an interface", connect(con, (struct sockaddr *)&ga, sizeof(ga)));
	ga.sin6_addr = a6(GROUP2);
	TRY("connect to a global group", connect(con, (struct sockaddr *)&ga, sizeof(ga)));
	close(con);
	close(snd);
}

/* MCAST_MSFILTER at the IPv6 level (RFC 3678 5.2.1): the full-state
 * filter, set and read back, with the source options around it. */
static void gf6_get(const char *step, int s, const char *grp, int ifindex, unsigned room, int family)
{
	char buf[1024];
	memset(buf, 0, sizeof(buf));
	struct group_filter *g = (void *)buf;
	g->gf_interface = (uint32_t)ifindex;
	struct sockaddr_in6 *a = (void *)&g->gf_group;
	a->sin6_family = (sa_family_t)family;
	a->sin6_addr = a6(grp);
	g->gf_numsrc = room;
	socklen_t l = GROUP_FILTER_SIZE(room);
	errno = 0;
	int r = getsockopt(s, IPPROTO_IPV6, MCAST_MSFILTER, buf, &l);
	if (r < 0) {
		V(step, "%d %s", r, errname(errno));
		return;
	}
	struct sockaddr_in6 *s0 = (void *)&g->gf_slist[0];
	char first[64] = "";
	inet_ntop(AF_INET6, &s0->sin6_addr, first, sizeof(first));
	V(step, "len %u mode %u numsrc %u first family %d %s", (unsigned)l, g->gf_fmode, g->gf_numsrc,
	  s0->sin6_family, first);
}

static void gf6_set(const char *step, int s, const char *grp, uint32_t mode, uint32_t n, socklen_t len)
{
	static char buf[GROUP_FILTER_SIZE(80)];
	memset(buf, 0, sizeof(buf));
	struct group_filter *g = (void *)buf;
	g->gf_interface = 1;
	struct sockaddr_in6 *a = (void *)&g->gf_group;
	a->sin6_family = AF_INET6;
	a->sin6_addr = a6(grp);
	g->gf_fmode = mode;
	g->gf_numsrc = n;
	for (uint32_t i = 0; i < n && i < 80; i++) {
		struct sockaddr_in6 *x = (void *)&g->gf_slist[i];
		x->sin6_family = AF_INET6;
		x->sin6_addr = a6("2001:db8::1");
		x->sin6_addr.s6_addr[15] = (uint8_t)(i + 1);
	}
	TRY(step, setsockopt(s, IPPROTO_IPV6, MCAST_MSFILTER, buf, len));
}

static void msfilter(void)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	gf6_get("MCAST_MSFILTER get, not joined", u, GROUP, 1, 4, AF_INET6);
	gf6_get("MCAST_MSFILTER get, unicast", u, "2001:db8::5", 1, 4, AF_INET6);
	gf6_get("MCAST_MSFILTER get, IPv4 family", u, GROUP, 1, 4, AF_INET);
	char b8[8] = { 0 };
	socklen_t l8 = 8;
	TRY("MCAST_MSFILTER get in 8 bytes", getsockopt(u, IPPROTO_IPV6, MCAST_MSFILTER, b8, &l8));
	gf6_set("MCAST_MSFILTER exclude, not joined", u, GROUP, MCAST_EXCLUDE, 0, GROUP_FILTER_SIZE(0));
	gf6_set("MCAST_MSFILTER include none, not joined", u, GROUP, MCAST_INCLUDE, 0, GROUP_FILTER_SIZE(0));
	greq("join", u, MCAST_JOIN_GROUP, AF_INET6, GROUP, 1, sizeof(struct group_req));
	gf6_get("MCAST_MSFILTER get, joined", u, GROUP, 1, 4, AF_INET6);
	gf6_get("MCAST_MSFILTER get, no interface", u, GROUP, 0, 4, AF_INET6);
	gf6_set("MCAST_MSFILTER include two", u, GROUP, MCAST_INCLUDE, 2, GROUP_FILTER_SIZE(2));
	gf6_get("MCAST_MSFILTER get, two", u, GROUP, 1, 4, AF_INET6);
	gf6_get("MCAST_MSFILTER get, room for one", u, GROUP, 1, 1, AF_INET6);
	gf6_get("MCAST_MSFILTER get, room for none", u, GROUP, 1, 0, AF_INET6);
	gf6_set("MCAST_MSFILTER bad mode", u, GROUP, 7, 0, GROUP_FILTER_SIZE(0));
	gf6_set("MCAST_MSFILTER shorter than its sources", u, GROUP, MCAST_INCLUDE, 2, GROUP_FILTER_SIZE(1));
	gf6_set("MCAST_MSFILTER too many sources", u, GROUP, MCAST_INCLUDE, 100000, GROUP_FILTER_SIZE(2));
	gf6_set("MCAST_MSFILTER 65 sources", u, GROUP, MCAST_INCLUDE, 65, GROUP_FILTER_SIZE(65));
	gf6_set("MCAST_MSFILTER 64 sources", u, GROUP, MCAST_INCLUDE, 64, GROUP_FILTER_SIZE(64));
	gf6_get("MCAST_MSFILTER get, 64", u, GROUP, 1, 4, AF_INET6);
	gf6_set("MCAST_MSFILTER unicast group", u, "2001:db8::5", MCAST_INCLUDE, 1, GROUP_FILTER_SIZE(1));
	gf6_set("MCAST_MSFILTER too short", u, GROUP, MCAST_INCLUDE, 0, GROUP_FILTER_SIZE(0) - 1);
	gf6_set("MCAST_MSFILTER exclude one", u, GROUP, MCAST_EXCLUDE, 1, GROUP_FILTER_SIZE(1));
	gf6_get("MCAST_MSFILTER get after", u, GROUP, 1, 4, AF_INET6);
	gsreq("unblock it", u, MCAST_UNBLOCK_SOURCE, GROUP, "2001:db8::1", 1);
	gf6_get("MCAST_MSFILTER get, emptied", u, GROUP, 1, 4, AF_INET6);
	gsreq("join source on the emptied exclude filter", u, MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::7", 1);
	gf6_set("MCAST_MSFILTER exclude none", u, GROUP, MCAST_EXCLUDE, 0, GROUP_FILTER_SIZE(0));
	gsreq("join source on an exclude filter never listed", u, MCAST_JOIN_SOURCE_GROUP, GROUP, "2001:db8::7", 1);
	gf6_get("MCAST_MSFILTER get, a join source", u, GROUP, 1, 4, AF_INET6);
	gf6_set("MCAST_MSFILTER include none: leave", u, GROUP, MCAST_INCLUDE, 0, GROUP_FILTER_SIZE(0));
	gf6_get("MCAST_MSFILTER get after the leave", u, GROUP, 1, 4, AF_INET6);
	int t = socket(AF_INET6, SOCK_STREAM, 0);
	gf6_get("tcp MCAST_MSFILTER get", t, GROUP, 1, 4, AF_INET6);
	gf6_set("tcp MCAST_MSFILTER set", t, GROUP, MCAST_EXCLUDE, 0, GROUP_FILTER_SIZE(0));
	close(t);
	close(u);
}

void case_mcast6_loopback(void)
{
	int_options();
	memberships();
	source_options();
	routes();
	msfilter();
}
