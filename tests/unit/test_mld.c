/*
 * mld: IPv6 multicast of sockets (mld.c) on the channel endpoint: the
 * membership options with Linux's answers, MLDv2 reports when a socket
 * joins and leaves, answers to queries with the sockets' groups, delivery
 * of a group's datagrams to the sockets that want them (memberships,
 * IPV6_MULTICAST_ALL, source filters), our own multicast on the wire and
 * looped back, and malformed MLD counted as drops.
 */
#include <arpa/inet.h>

#include "fx6.h"
#include "ipv6_priv.h"

static uint8_t GROUP[16], GROUP2[16];

static void groups(void)
{
	b6_addr("ff05::1:3", GROUP);
	b6_addr("ff05::1:4", GROUP2);
}

static struct ns_socket *udp6(int type, uint16_t port)
{
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, type, 0, &s), 0);
	int on = 1;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), 0);
	if (port) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
		ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	return s;
}

/* IPV6_ADD_MEMBERSHIP / IPV6_DROP_MEMBERSHIP (ipv6_mreq). */
static int member(struct ns_socket *s, int name, const uint8_t *group, int ifindex)
{
	struct ipv6_mreq m = { .ipv6mr_interface = (unsigned)ifindex };
	memcpy(m.ipv6mr_multiaddr.s6_addr, group, 16);
	return ns_setsockopt(s, IPPROTO_IPV6, name, &m, sizeof(m));
}

/* The MCAST_*_SOURCE options (group_source_req). */
static int source(struct ns_socket *s, int name, const uint8_t *group, const uint8_t *src,
		  int ifindex)
{
	struct group_source_req g;
	memset(&g, 0, sizeof(g));
	g.gsr_interface = (uint32_t)ifindex;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	memcpy(a.sin6_addr.s6_addr, group, 16);
	memcpy(&g.gsr_group, &a, sizeof(a));
	memcpy(a.sin6_addr.s6_addr, src, 16);
	memcpy(&g.gsr_source, &a, sizeof(a));
	return ns_setsockopt(s, IPPROTO_IPV6, name, &g, sizeof(g));
}

static int get_int(struct ns_socket *s, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IPV6, name, &v, &l), 0);
	return v;
}

static int set_int(struct ns_socket *s, int name, int v)
{
	return ns_setsockopt(s, IPPROTO_IPV6, name, &v, sizeof(v));
}

/* The next MLDv2 report on the wire (other frames are freed), or NULL. */
static struct pkt *take_report(struct b_frame6 *f)
{
	struct pkt *p;
	while ((p = ns_channel_take(F.ch))) {
		ck_assert_int_eq(b_parse6(p, f), 0);
		if (f->is_ip6 && f->nxt == IP6_NH_ICMPV6 && f->icmp_type == ICMP6_MLD2_REPORT)
			return p;
		pkt_unref(p);
	}
	return NULL;
}

/* The next frame must be an MLDv2 report with one record (type, group),
 * sent as Linux sends it. */
static void expect_report(uint8_t type, const uint8_t *group)
{
	struct b_frame6 f;
	struct pkt *p = take_report(&f);
	ck_assert_ptr_nonnull(p);
	static const uint8_t mac16[6] = { 0x33, 0x33, 0, 0, 0, 0x16 };
	ck_assert_mem_eq(f.dst, mac16, 6);
	ck_assert_mem_eq(f.ip.dst, B6_MLD2, 16);
	ck_assert_uint_eq(f.ip.hlim, 1);
	ck_assert(f.next == 1 && f.ext[0] == IP6_NH_HOPOPTS && f.l4_csum_ok);
	static const uint8_t hbh[8] = { IP6_NH_ICMPV6, 0, 5, 2, 0, 0, 1, 0 };
	ck_assert_mem_eq(pkt_data(p) + ETH_HDR_LEN + IP6_HDR_LEN, hbh, 8);
	ck_assert_uint_eq(f.l4_len, 8 + 20);
	ck_assert_uint_eq(ns_rd16(f.l4 + 6), 1);
	ck_assert_uint_eq(f.l4[8], type);
	ck_assert_uint_eq(ns_rd16(f.l4 + 10), 0); /* no sources */
	ck_assert_mem_eq(f.l4 + 12, group, 16);
	pkt_unref(p);
}

/* A UDP datagram from src to group:dport, on the group's MAC. */
static struct pkt *udp_to_group(const uint8_t *src, const uint8_t *group, uint16_t dport,
				const char *data)
{
	uint8_t b[128];
	size_t n = b6_udp_bytes(b, src, 4000, group, dport, data, strlen(data));
	struct b_ip6 h = { .src = src, .dst = group, .nxt = IPPROTO_UDP };
	return b6_ip(&h, b, n);
}

START_TEST(mld_membership_options_answer_as_linux)
{
	fx6_setup();
	groups();
	struct ns_socket *s = udp6(SOCK_DGRAM, 0), *t = udp6(SOCK_STREAM, 0);
	uint8_t uni[16];
	b6_addr("fd00::9", uni);
	ck_assert_int_eq(get_int(s, IPV6_MULTICAST_LOOP), 1);
	ck_assert_int_eq(get_int(s, IPV6_MULTICAST_ALL), 1);
	ck_assert_int_eq(set_int(s, IPV6_MULTICAST_LOOP, 2), -EINVAL);
	ck_assert_int_eq(set_int(s, IPV6_MULTICAST_LOOP, 0), 0);
	ck_assert_int_eq(get_int(s, IPV6_MULTICAST_LOOP), 0);
	ck_assert_int_eq(set_int(s, IPV6_MULTICAST_ALL, 7), 0);
	ck_assert_int_eq(get_int(s, IPV6_MULTICAST_ALL), 1);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL, "\0\0\0", 3), -EINVAL);

	ck_assert_int_eq(member(s, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), 0);
	ck_assert_int_eq(member(s, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), -EADDRINUSE);
	ck_assert_int_eq(member(s, IPV6_ADD_MEMBERSHIP, GROUP, 0), -EADDRINUSE);
	ck_assert_int_eq(member(s, IPV6_ADD_MEMBERSHIP, GROUP2, 99), -ENODEV);
	ck_assert_int_eq(member(s, IPV6_ADD_MEMBERSHIP, uni, F.nic), -EINVAL);
	/* ifindex 0: where the route to groups goes, the channel */
	ck_assert_int_eq(member(s, IPV6_ADD_MEMBERSHIP, GROUP2, 0), 0);
	ck_assert(mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP2));
	struct ipv6_mreq m;
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof(m) - 1),
			 -EINVAL);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, NULL, sizeof(m)),
			 -EFAULT);
	ck_assert_int_eq(member(s, IPV6_DROP_MEMBERSHIP, uni, F.nic), -EINVAL);
	ck_assert_int_eq(member(s, IPV6_DROP_MEMBERSHIP, GROUP, 99), -EADDRNOTAVAIL);
	ck_assert_int_eq(member(s, IPV6_DROP_MEMBERSHIP, GROUP, 0), 0);
	ck_assert_int_eq(member(s, IPV6_DROP_MEMBERSHIP, GROUP, F.nic), -EADDRNOTAVAIL);
	ck_assert(!mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP));
	/* TCP: not the ipv6_mreq options, but the protocol-independent ones */
	ck_assert_int_eq(member(t, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), -EPROTO);
	struct group_req gr;
	memset(&gr, 0, sizeof(gr));
	gr.gr_interface = (uint32_t)F.nic;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	memcpy(a.sin6_addr.s6_addr, GROUP, 16);
	memcpy(&gr.gr_group, &a, sizeof(a));
	ck_assert_int_eq(ns_setsockopt(t, IPPROTO_IPV6, MCAST_JOIN_GROUP, &gr, sizeof(gr)), 0);
	ck_assert_int_eq(ns_setsockopt(t, IPPROTO_IPV6, MCAST_JOIN_GROUP, &gr, sizeof(gr) - 1), -EINVAL);
	gr.gr_group.ss_family = AF_INET;
	ck_assert_int_eq(ns_setsockopt(t, IPPROTO_IPV6, MCAST_LEAVE_GROUP, &gr, sizeof(gr)),
			 -EADDRNOTAVAIL);
	gr.gr_group.ss_family = AF_INET6;
	ck_assert_int_eq(ns_setsockopt(t, IPPROTO_IPV6, MCAST_LEAVE_GROUP, &gr, sizeof(gr)), 0);
	/* source filters: modes, duplicates, the last INCLUDE source */
	uint8_t s1[16], s2[16];
	b6_addr("2001:db8::1", s1);
	b6_addr("2001:db8::2", s2);
	ck_assert_int_eq(source(s, MCAST_BLOCK_SOURCE, GROUP, s1, F.nic), -EINVAL);
	ck_assert_int_eq(source(s, MCAST_JOIN_SOURCE_GROUP, GROUP, s1, F.nic), 0);
	ck_assert_int_eq(source(s, MCAST_JOIN_SOURCE_GROUP, GROUP, s1, F.nic), -EADDRNOTAVAIL);
	ck_assert_int_eq(source(s, MCAST_BLOCK_SOURCE, GROUP, s2, F.nic), -EINVAL);
	ck_assert_int_eq(source(s, MCAST_LEAVE_SOURCE_GROUP, GROUP, s2, F.nic), -EADDRNOTAVAIL);
	ck_assert_int_eq(source(s, MCAST_LEAVE_SOURCE_GROUP, GROUP, s1, F.nic), 0);
	ck_assert_int_eq(source(s, MCAST_LEAVE_SOURCE_GROUP, GROUP, s1, F.nic), -EINVAL);
	ck_assert_int_eq(source(s, MCAST_JOIN_SOURCE_GROUP, uni, s1, F.nic), -EINVAL);
	ck_assert_int_eq(source(s, MCAST_JOIN_SOURCE_GROUP, GROUP, s1, 99), -ENODEV);
	ck_assert(!mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP));
	/* at most 64 sources per membership (net.ipv6.mld_max_msf) */
	int i;
	for (i = 0; i < 70; i++) {
		s2[15] = (uint8_t)i;
		if (source(s, MCAST_JOIN_SOURCE_GROUP, GROUP, s2, F.nic) < 0)
			break;
	}
	ck_assert_int_eq(i, 64);
	ck_assert_int_eq(source(s, MCAST_JOIN_SOURCE_GROUP, GROUP, s2, F.nic), -ENOBUFS);
	/* the membership options have no value to read */
	int v;
	socklen_t l = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &v, &l), -ENOPROTOOPT);
	ns_close(s); /* leaves GROUP and GROUP2 */
	ns_close(t);
	ck_assert(!mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP2));
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(mld_socket_joins_and_leaves_send_state_change_reports)
{
	fx6_setup();
	groups();
	struct ns_socket *a = udp6(SOCK_DGRAM, 0), *b = udp6(SOCK_DGRAM, 0);
	/* RFC 3810 6.1: at once, then once more within a second. */
	ck_assert_int_eq(member(a, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), 0);
	expect_report(4, GROUP); /* CHANGE_TO_EXCLUDE_MODE {} */
	FX_EXPECT_NOTHING();
	/* A second socket in the group changes nothing on the wire. */
	ck_assert_int_eq(member(b, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), 0);
	fx_advance(NS_SEC);
	expect_report(4, GROUP);
	FX_EXPECT_NOTHING();
	/* RFC 3810 6: all-nodes is never reported. */
	uint8_t all[16];
	b6_addr("ff02::1", all);
	ck_assert_int_eq(member(a, IPV6_ADD_MEMBERSHIP, all, F.nic), 0);
	fx_advance(2 * NS_SEC);
	FX_EXPECT_NOTHING();
	/* A general query is answered with the sockets' group and the
	 * solicited-node one. */
	uint8_t body[20] = { 0 };
	fx_inject(b6_icmp(B6_PEER_LL, B6_ALL_NODES, 1, ICMP6_MLD_QUERY, 0, 1000u << 16, body, 20));
	fx_advance(NS_SEC);
	struct b_frame6 f;
	struct pkt *p = take_report(&f);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(ns_rd16(f.l4 + 6), 2);
	ck_assert(!memcmp(f.l4 + 12, GROUP, 16) || !memcmp(f.l4 + 32, GROUP, 16));
	pkt_unref(p);
	/* The link goes down and up: the sockets' group is listened to, and
	 * reported, again (as Linux keeps its groups). */
	ck_assert_int_eq(ns_stack_nic_set_up(F.st, F.nic, 0), 0);
	fx_drain();
	/* (a link that is down may be joined: its groups wait for it) */
	struct ns_socket *c = udp6(SOCK_DGRAM, 0);
	ck_assert_int_eq(member(c, IPV6_ADD_MEMBERSHIP, GROUP2, F.nic), 0);
	ck_assert_int_eq(ns_stack_nic_set_up(F.st, F.nic, 1), 0);
	ck_assert(mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP));
	ck_assert(mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP2));
	int seen = 0;
	struct pkt *r;
	struct b_frame6 rf;
	while ((r = take_report(&rf))) {
		ck_assert_uint_eq(rf.l4[8], 4);
		seen |= !memcmp(rf.l4 + 12, GROUP, 16) ? 1 : !memcmp(rf.l4 + 12, GROUP2, 16) ? 2 : 0;
		pkt_unref(r);
	}
	ck_assert_int_eq(seen, 3); /* both, at once */
	fx_advance(3 * NS_SEC);
	fx_drain();
	ns_close(c);
	ck_assert(!mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP2));
	fx_advance(3 * NS_SEC);
	fx_drain();
	/* The last socket to leave reports the change. */
	ck_assert_int_eq(member(a, IPV6_DROP_MEMBERSHIP, GROUP, F.nic), 0);
	FX_EXPECT_NOTHING();
	ns_close(b);
	expect_report(3, GROUP); /* CHANGE_TO_INCLUDE_MODE {} */
	fx_advance(NS_SEC);
	expect_report(3, GROUP);
	fx_advance(2 * NS_SEC);
	FX_EXPECT_NOTHING();
	ns_close(a);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(mld_group_datagrams_reach_the_sockets_that_want_them)
{
	fx6_setup();
	groups();
	struct ns_socket *joined = udp6(SOCK_DGRAM, 5353), *second = udp6(SOCK_DGRAM, 5353);
	struct ns_socket *all = udp6(SOCK_DGRAM, 5353), *not_all = udp6(SOCK_DGRAM, 5353);
	struct ns_socket *other = udp6(SOCK_DGRAM, 5354), *incl = udp6(SOCK_DGRAM, 5353);
	ck_assert_int_eq(set_int(not_all, IPV6_MULTICAST_ALL, 0), 0);
	char buf[16];
	/* Nobody joined yet: the group is not ours. */
	uint64_t nfu = ST(ip6_drop_not_for_us);
	fx_inject(udp_to_group(B6_PEER, GROUP, 5353, "early"));
	ck_assert_uint_eq(ST(ip6_drop_not_for_us), nfu + 1);
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(member(joined, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), 0);
	ck_assert_int_eq(member(second, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), 0);
	uint8_t other_src[16];
	b6_addr("fd00::77", other_src);
	ck_assert_int_eq(source(incl, MCAST_JOIN_SOURCE_GROUP, GROUP, other_src, F.nic), 0);
	fx_drain();
	fx_inject(udp_to_group(B6_PEER, GROUP, 5353, "hello"));
	ck_assert_int_eq(ns_recv(joined, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(ns_recv(second, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), 5); /* IPV6_MULTICAST_ALL */
	ck_assert_int_eq(ns_recv(not_all, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(ns_recv(incl, buf, sizeof(buf), 0), -EAGAIN); /* another source */
	ck_assert_int_eq(ns_recv(other, buf, sizeof(buf), 0), -EAGAIN);
	fx_inject(udp_to_group(other_src, GROUP, 5353, "incl"));
	ck_assert_int_eq(ns_recv(incl, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_recv(joined, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_recv(second, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_recv(not_all, buf, sizeof(buf), 0), -EAGAIN);
	/* EXCLUDE {peer}: everyone else's */
	ck_assert_int_eq(source(second, MCAST_BLOCK_SOURCE, GROUP, B6_PEER, F.nic), 0);
	fx_inject(udp_to_group(B6_PEER, GROUP, 5353, "blocked"));
	ck_assert_int_eq(ns_recv(second, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(ns_recv(joined, buf, sizeof(buf), 0), 7);
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), 7);
	ck_assert_int_eq(source(second, MCAST_UNBLOCK_SOURCE, GROUP, B6_PEER, F.nic), 0);
	/* No port: dropped without an ICMPv6 error (RFC 4443 2.4 e.3). */
	fx_inject(udp_to_group(B6_PEER, GROUP, 9999, "x"));
	FX_EXPECT_NOTHING();
	/* Leaving stops the group's traffic once nobody is a member. */
	ck_assert_int_eq(member(joined, IPV6_DROP_MEMBERSHIP, GROUP, F.nic), 0);
	ns_close(second);
	ns_close(incl);
	fx_drain();
	nfu = ST(ip6_drop_not_for_us);
	fx_inject(udp_to_group(B6_PEER, GROUP, 5353, "late"));
	ck_assert_uint_eq(ST(ip6_drop_not_for_us), nfu + 1);
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), -EAGAIN);
	ns_close(joined);
	ns_close(all);
	ns_close(not_all);
	ns_close(other);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(mld_our_multicast_leaves_with_its_hop_limit_and_loops_back_to_members)
{
	fx6_setup();
	groups();
	struct ns_socket *rcv = udp6(SOCK_DGRAM, 6000), *snd = udp6(SOCK_DGRAM, 0);
	char buf[16];
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(6000) };
	memcpy(to.sin6_addr.s6_addr, GROUP, 16);
	/* No interface named: the route to groups, the channel. */
	ck_assert_int_eq(ns_sendto(snd, "one", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	static const uint8_t mac[6] = { 0x33, 0x33, 0, 1, 0, 3 };
	ck_assert_mem_eq(f.dst, mac, 6); /* RFC 2464 7, no NDP */
	ck_assert_uint_eq(f.ip.hlim, 1); /* IPV6_MULTICAST_HOPS' default */
	ck_assert_mem_eq(f.ip.src, B6_STACK, 16);
	pkt_unref(p);
	fx_poll();
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), -EAGAIN); /* not a member */
	ck_assert_int_eq(member(rcv, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), 0);
	fx_drain();
	ck_assert_int_eq(set_int(snd, IPV6_MULTICAST_IF, F.nic), 0);
	ck_assert_int_eq(set_int(snd, IPV6_MULTICAST_HOPS, 5), 0);
	ck_assert_int_eq(ns_sendto(snd, "two", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.ip.hlim, 5);
	pkt_unref(p);
	/* The looped copy arrives on the next poll, never inside send. */
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), -EAGAIN);
	fx_poll();
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ck_assert_int_eq(ns_recvfrom(rcv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 3);
	ck_assert_mem_eq(from.sin6_addr.s6_addr, B6_STACK, 16);
	ck_assert_uint_eq(ST(ip6_mcast_looped), 1);
	/* IPV6_MULTICAST_LOOP off: the wire only. */
	ck_assert_int_eq(set_int(snd, IPV6_MULTICAST_LOOP, 0), 0);
	ck_assert_int_eq(ns_sendto(snd, "three", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	pkt_unref(FX6_EXPECT(&f));
	fx_poll();
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), -EAGAIN);
	/* Hop limit 0, or an interface-local group: this host only. */
	ck_assert_int_eq(set_int(snd, IPV6_MULTICAST_LOOP, 1), 0);
	ck_assert_int_eq(set_int(snd, IPV6_MULTICAST_HOPS, 0), 0);
	ck_assert_int_eq(ns_sendto(snd, "four", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	FX_EXPECT_NOTHING();
	fx_poll();
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), 4);
	uint8_t local[16];
	b6_addr("ff01::1:3", local);
	ck_assert_int_eq(member(rcv, IPV6_ADD_MEMBERSHIP, local, F.nic), 0);
	ck_assert_int_eq(set_int(snd, IPV6_MULTICAST_HOPS, 3), 0);
	memcpy(to.sin6_addr.s6_addr, local, 16);
	ck_assert_int_eq(ns_sendto(snd, "five", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	FX_EXPECT_NOTHING();
	fx_poll();
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), 4);
	ns_close(rcv);
	ns_close(snd);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(mld_tcp_sockets_keep_their_groups_to_themselves)
{
	fx6_setup();
	groups();
	/* A connection over ::1; the listener's IPV6_MULTICAST_LOOP and
	 * _ALL pass to the accepted socket (Linux clones them). */
	struct ns_socket *l = udp6(SOCK_STREAM, 0), *c = udp6(SOCK_STREAM, 0), *a;
	ck_assert_int_eq(set_int(l, IPV6_MULTICAST_LOOP, 0), 0);
	ck_assert_int_eq(set_int(l, IPV6_MULTICAST_ALL, 0), 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(5000),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	ck_assert_int_eq(ns_bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ns_listen(l, 4), 0);
	ck_assert_int_eq(ns_connect(c, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	for (int i = 0; i < 4; i++)
		fx_poll(); /* SYN, SYN-ACK, ACK: each a turn of the loopback */
	ck_assert_int_eq(ns_accept(l, &a, NULL, NULL), 0);
	ck_assert_int_eq(get_int(a, IPV6_MULTICAST_LOOP), 0);
	ck_assert_int_eq(get_int(a, IPV6_MULTICAST_ALL), 0);
	/* The client joins (MCAST_JOIN_GROUP works on TCP sockets), and its
	 * connection ends in TIME_WAIT before it closes: the TIME_WAIT block
	 * must not take the membership with it (ASan sees a double free). */
	struct group_req gr;
	memset(&gr, 0, sizeof(gr));
	gr.gr_interface = (uint32_t)F.nic;
	struct sockaddr_in6 g = { .sin6_family = AF_INET6 };
	memcpy(g.sin6_addr.s6_addr, GROUP, 16);
	memcpy(&gr.gr_group, &g, sizeof(g));
	ck_assert_int_eq(ns_setsockopt(c, IPPROTO_IPV6, MCAST_JOIN_GROUP, &gr, sizeof(gr)), 0);
	ck_assert_int_eq(ns_shutdown(c, SHUT_WR), 0);
	for (int i = 0; i < 4; i++)
		fx_poll();
	ns_close(a);
	for (int i = 0; i < 4; i++)
		fx_poll();
	ck_assert(mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP));
	/* Closing leaves the group at once, TIME_WAIT or not. */
	ns_close(c);
	ck_assert(!mld_is_member(ip6n(ns_nic_get(F.st, F.nic)), GROUP));
	ns_close(l);
	fx_advance(120 * NS_SEC);
	fx_drain();
}
END_TEST

/* An MLD message of `len` bytes (type first) from src to all-nodes, with a
 * correct checksum. */
static void inject_mld(const uint8_t *src, const uint8_t *m, size_t len)
{
	uint8_t b[64];
	memcpy(b, m, len);
	ns_wr16(b + 2, 0);
	ns_wr16(b + 2, icmp6_csum(src, B6_ALL_NODES, b, (uint32_t)len));
	uint8_t hbh[8];
	static const uint8_t ra[4] = { 5, 2, 0, 0 };
	size_t hl = b6_ext_opts(hbh, IP6_NH_ICMPV6, ra, sizeof(ra));
	struct b_ip6 h = { .src = src, .dst = B6_ALL_NODES, .nxt = IP6_NH_HOPOPTS, .hlim = 1,
			   .ext = hbh, .extlen = hl };
	fx_inject(b6_ip(&h, b, len));
}

START_TEST(mld_malformed_queries_are_counted_and_ignored)
{
	fx6_setup();
	groups();
	struct ns_socket *s = udp6(SOCK_DGRAM, 0);
	ck_assert_int_eq(member(s, IPV6_ADD_MEMBERSHIP, GROUP, F.nic), 0);
	fx_advance(2 * NS_SEC);
	fx_drain();
	uint8_t q[48] = { ICMP6_MLD_QUERY };
	uint64_t bad = ST(mld_drop_malformed), rx = ST(mld_query_rx);
	/* Too short for any version, between v1 (24) and v2 (28), from a
	 * global address (RFC 3810 5.1.14), with more sources than it holds
	 * (5.1.10), about a unicast "group" (5.1.5). */
	inject_mld(B6_PEER_LL, q, 4);
	for (size_t n = 8; n < 28; n++)
		if (n != 24)
			inject_mld(B6_PEER_LL, q, n);
	memcpy(q + 8, GROUP, 16);
	inject_mld(B6_PEER, q, 28);
	ns_wr16(q + 26, 1);
	inject_mld(B6_PEER_LL, q, 28 + 15);
	ns_wr16(q + 26, 0);
	b6_addr("fd00::2", q + 8);
	inject_mld(B6_PEER_LL, q, 28);
	ck_assert_uint_eq(ST(mld_drop_malformed), bad + 1 + 19 + 3);
	ck_assert_uint_eq(ST(mld_query_rx), rx);
	/* Valid: a query for a group we are not in, and one with the largest
	 * Maximum Response Code. */
	b6_addr("ff05::9", q + 8);
	inject_mld(B6_PEER_LL, q, 28);
	memcpy(q + 8, GROUP, 16);
	ns_wr16(q + 4, 0xffff);
	ns_wr16(q + 26, 0);
	inject_mld(B6_PEER_LL, q, 28);
	ck_assert_uint_eq(ST(mld_query_rx), rx + 2);
	ck_assert_int_eq(fx_drain(), 0);
	/* The big delay's answer comes, within its time (0xffff: 8387584
	 * ms). */
	fx_advance(8400 * NS_SEC);
	struct b_frame6 f;
	struct pkt *p = take_report(&f);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(f.l4 + 12, GROUP, 16);
	pkt_unref(p);
	fx_drain();
	ns_close(s);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

Suite *mld_suite(void)
{
	Suite *s = unit_suite("mld");
	ADD_FX(s, mld_membership_options_answer_as_linux);
	ADD_FX(s, mld_socket_joins_and_leaves_send_state_change_reports);
	ADD_FX(s, mld_group_datagrams_reach_the_sockets_that_want_them);
	ADD_FX(s, mld_our_multicast_leaves_with_its_hop_limit_and_loops_back_to_members);
	ADD_FX(s, mld_tcp_sockets_keep_their_groups_to_themselves);
	ADD_FX(s, mld_malformed_queries_are_counted_and_ignored);
	return s;
}
