/*
 * igmp: IPv4 multicast (igmp.c) on the channel endpoint: the membership
 * options with Linux's answers, IGMPv3 reports on joining and leaving,
 * answers to queries (v3 and v2), delivery of a group's datagrams to every
 * socket bound to the port, our own multicast on the wire and looped back,
 * and malformed IGMP counted as drops.
 */
#include <arpa/inet.h>

#include "unit.h"

#define GROUP IP4_ADDR(239, 1, 2, 3)
#define GROUP2 IP4_ADDR(239, 1, 2, 4)
#define ALL_HOSTS IP4_ADDR(224, 0, 0, 1)

static struct ns_socket *udp(uint16_t port)
{
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, 0, &s), 0);
	int on = 1;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), 0);
	if (port) {
		struct sockaddr_in a = fx_sin(0, port);
		ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	return s;
}

/* IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP on our channel address. */
static int member(struct ns_socket *s, int name, uint32_t group, uint32_t ifaddr)
{
	struct ip_mreq m = { { htonl(group) }, { htonl(ifaddr) } };
	return ns_setsockopt(s, IPPROTO_IP, name, &m, sizeof(m));
}

/* The next frame must be an IGMPv3 report with one record (type, group). */
static void expect_v3_report(uint8_t type, uint32_t group)
{
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	static const uint8_t mac22[6] = { 0x01, 0x00, 0x5e, 0, 0, 22 };
	ck_assert_mem_eq(f.dst, mac22, 6);
	ck_assert_uint_eq(f.ip.dst, IP4_ADDR(224, 0, 0, 22));
	ck_assert_uint_eq(f.ip.src, B_IP_STACK);
	ck_assert_uint_eq(f.ip.proto, IPPROTO_IGMP);
	ck_assert_uint_eq(f.ip.ttl, 1);
	ck_assert_uint_eq(f.ip.tos, 0xc0);
	ck_assert(f.ip.df);
	ck_assert_uint_eq(f.ip.hlen, 24);
	const uint8_t *ra = pkt_data(p) + ETH_HDR_LEN + IP4_HDR_LEN;
	ck_assert_uint_eq(ra[0], 0x94); /* Router Alert (RFC 2113) */
	ck_assert_uint_eq(ra[1], 4);
	ck_assert_uint_eq(f.l4_len, 16);
	ck_assert_uint_eq(ns_csum(f.l4, f.l4_len), 0);
	ck_assert_uint_eq(f.l4[0], 0x22);
	ck_assert_uint_eq(ns_rd16(f.l4 + 6), 1);
	ck_assert_uint_eq(f.l4[8], type);
	ck_assert_uint_eq(ns_rd16(f.l4 + 10), 0); /* no sources */
	ck_assert_uint_eq(ns_rd32(f.l4 + 12), group);
	pkt_unref(p);
}

/* An IGMP message from the peer to `dst` (the IP and Ethernet group
 * addresses), with a correct checksum unless bad_csum. */
static void inject_igmp(uint32_t dst, const uint8_t *m, size_t len, int bad_csum)
{
	uint8_t b[64];
	memcpy(b, m, len);
	if (len >= 4) {
		ns_wr16(b + 2, 0);
		ns_wr16(b + 2, (uint16_t)(ns_csum(b, (uint32_t)len) ^ (bad_csum ? 1 : 0)));
	}
	struct b_ip4 h = { .src = B_IP_PEER, .dst = dst, .proto = IPPROTO_IGMP, .ttl = 1 };
	struct pkt *p = b_ip4(&h, b, len);
	uint8_t mac[6] = { 0x01, 0x00, 0x5e, (uint8_t)((dst >> 16) & 0x7f), (uint8_t)(dst >> 8),
			   (uint8_t)dst };
	memcpy(pkt_data(p), mac, 6);
	fx_inject(p);
}

/* A query: v3 (12 bytes, no sources) or v2 (8 bytes), code in 1/10 s. */
static void inject_query(uint32_t dst, uint32_t group, uint8_t code, int v2)
{
	uint8_t q[12] = { 0x11, code };
	ns_wr32(q + 4, group);
	q[8] = 2;    /* QRV */
	q[9] = 125;  /* QQIC */
	inject_igmp(dst, q, v2 ? 8 : 12, 0);
}

static struct pkt *udp_to_group(uint32_t group, uint16_t dport, const char *data)
{
	struct pkt *p = b_udp4(B_IP_PEER, 4000, group, dport, data, strlen(data));
	uint8_t mac[6] = { 0x01, 0x00, 0x5e, (uint8_t)((group >> 16) & 0x7f), (uint8_t)(group >> 8),
			   (uint8_t)group };
	memcpy(pkt_data(p), mac, 6);
	return p;
}

START_TEST(membership_options_answer_as_linux)
{
	struct ns_socket *s = udp(0), *t;
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), -EADDRINUSE);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, IP4_ADDR(10, 1, 2, 3), B_IP_STACK), -EINVAL);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, IP4_ADDR(192, 0, 2, 1)), -ENODEV);
	/* INADDR_ANY: where the group is routed; nothing routes 239/8 here. */
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP2, 0), -ENODEV);
	struct ip_mreq m = { { htonl(GROUP2) }, { htonl(B_IP_STACK) } };
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, 7), -EINVAL);
	ck_assert_int_eq(member(s, IP_DROP_MEMBERSHIP, GROUP2, B_IP_STACK), -EADDRNOTAVAIL);
	/* Linux igmp_max_memberships: 20 per socket. */
	for (uint32_t i = 1; i < 20; i++)
		ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP + 256 * i, B_IP_STACK), 0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP2, B_IP_STACK), -ENOBUFS);
	ck_assert_int_eq(member(s, IP_DROP_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP2, B_IP_STACK), 0);
	/* Not on a stream socket. */
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &t), 0);
	ck_assert_int_eq(member(t, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), -EPROTO);
	int ttl = 3;
	ck_assert_int_eq(ns_setsockopt(t, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)), -EINVAL);
	ns_close(t);
	/* IP_MULTICAST_IF: an address of ours, or an ip_mreqn's index. */
	struct in_addr a = { htonl(IP4_ADDR(192, 0, 2, 1)) };
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof(a)), -EADDRNOTAVAIL);
	a.s_addr = htonl(B_IP_STACK);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &a, 3), -EINVAL);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof(a)), 0);
	struct in_addr back = { 0 };
	socklen_t len = sizeof(back);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &back, &len), 0);
	ck_assert_uint_eq(ntohl(back.s_addr), B_IP_STACK);
	struct ip_mreqn mn = { .imr_ifindex = 99 };
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &mn, sizeof(mn)), -EADDRNOTAVAIL);
	/* Another interface than SO_BINDTODEVICE's. */
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3), 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof(a)), -EINVAL);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "", 0), 0);
	/* One byte sets TTL and LOOP, as Linux; -1 is the default, 1. */
	uint8_t byte = 9;
	int v;
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &byte, 1), 0);
	len = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &v, &len), 0);
	ck_assert_int_eq(v, 9);
	v = 256;
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &v, sizeof(v)), -EINVAL);
	v = -1;
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &v, sizeof(v)), 0);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &v, &len), 0);
	ck_assert_int_eq(v, 1);
	v = 2;
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_MULTICAST_ALL, &v, sizeof(v)), -EINVAL);
	ns_close(s);
	fx_drain();
}
END_TEST

START_TEST(join_and_leave_send_igmpv3_state_change_reports)
{
	struct ns_socket *s = udp(0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	/* RFC 3376 5.1: at once, then once more within a second. */
	expect_v3_report(4 /* CHANGE_TO_EXCLUDE */, GROUP);
	FX_EXPECT_NOTHING();
	fx_advance(NS_SEC);
	expect_v3_report(4, GROUP);
	fx_advance(10 * NS_SEC);
	FX_EXPECT_NOTHING();
	/* A second socket joining adds nothing to report. */
	struct ns_socket *s2 = udp(0);
	ck_assert_int_eq(member(s2, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	FX_EXPECT_NOTHING();
	ns_close(s2);
	FX_EXPECT_NOTHING();
	/* The last one leaving: CHANGE_TO_INCLUDE {}, twice. */
	ck_assert_int_eq(member(s, IP_DROP_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	expect_v3_report(3, GROUP);
	fx_advance(NS_SEC);
	expect_v3_report(3, GROUP);
	fx_advance(10 * NS_SEC);
	FX_EXPECT_NOTHING();
	/* All-hosts is never reported; closing a member leaves too. */
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, ALL_HOSTS, B_IP_STACK), 0);
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP2, B_IP_STACK), 0);
	expect_v3_report(4, GROUP2);
	fx_advance(NS_SEC);
	fx_drain();
	ns_close(s);
	expect_v3_report(3, GROUP2);
	fx_advance(NS_SEC);
	fx_drain();
	ck_assert_uint_eq(ST(igmp_report_tx), 8);
}
END_TEST

START_TEST(queries_are_answered_within_their_max_response_time)
{
	struct ns_socket *s = udp(0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP2, B_IP_STACK), 0);
	fx_advance(2 * NS_SEC);
	fx_drain();
	/* v3 General Query, Max Resp 1 s: one report, both groups IS_EX. */
	inject_query(ALL_HOSTS, 0, 10, 0);
	FX_EXPECT_NOTHING();
	fx_advance(NS_SEC);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.ip.dst, IP4_ADDR(224, 0, 0, 22));
	ck_assert_uint_eq(f.l4[0], 0x22);
	ck_assert_uint_eq(ns_rd16(f.l4 + 6), 2);
	ck_assert_uint_eq(f.l4[8], 2);
	ck_assert_uint_eq(f.l4[16], 2);
	uint32_t g1 = ns_rd32(f.l4 + 12), g2 = ns_rd32(f.l4 + 20);
	ck_assert((g1 == GROUP && g2 == GROUP2) || (g1 == GROUP2 && g2 == GROUP));
	pkt_unref(p);
	FX_EXPECT_NOTHING();
	/* Group-specific: that group only. */
	inject_query(GROUP2, GROUP2, 10, 0);
	fx_advance(NS_SEC);
	expect_v3_report(2, GROUP2);
	FX_EXPECT_NOTHING();
	/* A group we are not in: its query never reaches IGMP. */
	inject_query(IP4_ADDR(239, 9, 9, 9), IP4_ADDR(239, 9, 9, 9), 10, 0);
	fx_advance(NS_SEC);
	FX_EXPECT_NOTHING();
	/* An IGMPv2 querier: v2 reports, to each group. */
	inject_query(ALL_HOSTS, 0, 10, 1);
	fx_advance(NS_SEC);
	int seen = 0;
	while ((p = fx_take(&f)) != NULL) {
		ck_assert_uint_eq(f.l4[0], 0x16);
		ck_assert_uint_eq(f.ip.dst, ns_rd32(f.l4 + 4));
		seen |= f.ip.dst == GROUP ? 1 : f.ip.dst == GROUP2 ? 2 : 4;
		pkt_unref(p);
	}
	ck_assert_int_eq(seen, 3);
	/* ... and leaving sends a v2 Leave to all routers. */
	ck_assert_int_eq(member(s, IP_DROP_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.ip.dst, IP4_ADDR(224, 0, 0, 2));
	ck_assert_uint_eq(f.l4[0], 0x17);
	ck_assert_uint_eq(ns_rd32(f.l4 + 4), GROUP);
	pkt_unref(p);
	ck_assert_uint_eq(ST(igmp_query_rx), 3);
	ns_close(s);
	fx_drain();
}
END_TEST

START_TEST(a_snooping_switchs_query_from_0_0_0_0_is_answered)
{
	struct ns_socket *s = udp(0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	fx_advance(2 * NS_SEC);
	fx_drain();
	uint8_t q[12] = { 0x11, 10, [8] = 2, [9] = 125 };
	ns_wr16(q + 2, ns_csum(q, sizeof(q)));
	struct b_ip4 h = { .src = 0, .dst = ALL_HOSTS, .proto = IPPROTO_IGMP, .ttl = 1 };
	fx_inject(b_ip4(&h, q, sizeof(q)));
	ck_assert_uint_eq(ST(igmp_query_rx), 1);
	fx_advance(NS_SEC);
	expect_v3_report(2, GROUP);
	/* Other protocols from 0.0.0.0 only to link-local groups. */
	uint64_t martian = ST(ip4_drop_martian_src);
	struct pkt *p = udp_to_group(GROUP, 9, "x");
	uint8_t *ih = pkt_data(p) + ETH_HDR_LEN;
	ns_wr32(ih + 12, 0);
	ns_wr16(ih + 10, 0);
	ns_wr16(ih + 10, ns_csum(ih, IP4_HDR_LEN));
	fx_inject(p);
	ck_assert_uint_eq(ST(ip4_drop_martian_src), martian + 1);
	ns_close(s);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(group_datagrams_reach_every_socket_bound_to_the_port)
{
	struct ns_socket *joined = udp(5353), *all = udp(5353), *not_all = udp(5353);
	struct ns_socket *uni, *other = udp(5354);
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, 0, &uni), 0);
	int on = 1, off = 0;
	ns_setsockopt(uni, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	struct sockaddr_in a = fx_sin(B_IP_STACK, 5353);
	ck_assert_int_eq(ns_bind(uni, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_setsockopt(not_all, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof(off)), 0);
	char buf[16];
	/* Nobody joined yet: the group is not ours. */
	uint64_t nfu = ST(ip4_drop_not_for_us);
	fx_inject(udp_to_group(GROUP, 5353, "early"));
	ck_assert_uint_eq(ST(ip4_drop_not_for_us), nfu + 1);
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(member(joined, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	fx_drain();
	fx_inject(udp_to_group(GROUP, 5353, "hello"));
	ck_assert_int_eq(ns_recv(joined, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), 5); /* IP_MULTICAST_ALL */
	ck_assert_int_eq(ns_recv(not_all, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(ns_recv(uni, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(ns_recv(other, buf, sizeof(buf), 0), -EAGAIN);
	/* No port: dropped without an ICMP error. */
	fx_inject(udp_to_group(GROUP, 9999, "x"));
	FX_EXPECT_NOTHING();
	ns_close(joined);
	fx_drain();
	fx_inject(udp_to_group(GROUP, 5353, "late"));
	ck_assert_int_eq(ns_recv(all, buf, sizeof(buf), 0), -EAGAIN);
	ns_close(all);
	ns_close(not_all);
	ns_close(uni);
	ns_close(other);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(our_multicast_leaves_with_its_ttl_and_loops_back_to_members)
{
	struct ns_socket *rcv = udp(6000), *snd = udp(0);
	struct in_addr ifa = { htonl(B_IP_STACK) };
	char buf[16];
	/* No route to 239/8: IP_MULTICAST_IF names the interface. */
	struct sockaddr_in to = fx_sin(GROUP, 6000);
	ck_assert_int_eq(ns_sendto(snd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -ENETUNREACH);
	ck_assert_int_eq(ns_setsockopt(snd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)), 0);
	ck_assert_int_eq(ns_sendto(snd, "one", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	static const uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	ck_assert_mem_eq(f.dst, mac, 6); /* RFC 1112 6.4, no ARP */
	ck_assert_uint_eq(f.ip.ttl, 1);	 /* IP_MULTICAST_TTL's default */
	ck_assert_uint_eq(f.ip.src, B_IP_STACK);
	pkt_unref(p);
	fx_poll();
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), -EAGAIN); /* not a member */
	ck_assert_int_eq(member(rcv, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	fx_drain();
	int ttl = 5;
	ck_assert_int_eq(ns_setsockopt(snd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)), 0);
	ck_assert_int_eq(ns_sendto(snd, "two", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.ip.ttl, 5);
	pkt_unref(p);
	/* The looped copy arrives on the next poll, never inside send. */
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), -EAGAIN);
	fx_poll();
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ck_assert_int_eq(ns_recvfrom(rcv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 3);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), B_IP_STACK);
	ck_assert_uint_eq(ST(ip4_mcast_looped), 1);
	/* IP_MULTICAST_LOOP off: the wire only. */
	int off = 0;
	ck_assert_int_eq(ns_setsockopt(snd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)), 0);
	ck_assert_int_eq(ns_sendto(snd, "three", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	pkt_unref(FX_EXPECT(&f));
	fx_poll();
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), -EAGAIN);
	/* TTL 0: this host only. */
	int on = 1;
	ttl = 0;
	ck_assert_int_eq(ns_setsockopt(snd, IPPROTO_IP, IP_MULTICAST_LOOP, &on, sizeof(on)), 0);
	ck_assert_int_eq(ns_setsockopt(snd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)), 0);
	ck_assert_int_eq(ns_sendto(snd, "four", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	FX_EXPECT_NOTHING();
	fx_poll();
	ck_assert_int_eq(ns_recv(rcv, buf, sizeof(buf), 0), 4);
	ns_close(rcv);
	ns_close(snd);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

static struct pkt *udp_from(uint32_t src, uint32_t group, uint16_t dport, const char *data)
{
	struct pkt *p = udp_to_group(group, dport, data);
	uint8_t *ih = pkt_data(p) + ETH_HDR_LEN;
	/* Another sender: new addresses, both checksums again. */
	ns_wr32(ih + 12, src);
	ns_wr16(ih + 10, 0);
	ns_wr16(ih + 10, ns_csum(ih, IP4_HDR_LEN));
	uint8_t *uh = ih + IP4_HDR_LEN;
	uint32_t ulen = ns_rd16(uh + 4);
	ns_wr16(uh + 6, 0);
	uint16_t c = ns_csum_fold(ns_csum_add(ns_csum_pseudo4(src, group, IPPROTO_UDP_, ulen), uh, ulen));
	ns_wr16(uh + 6, c ? c : 0xffff);
	return p;
}

START_TEST(source_filters_pick_the_senders_a_socket_takes)
{
	const uint32_t other = IP4_ADDR(10, 0, 0, 7);
	struct ns_socket *s = udp(5400);
	struct ip_mreq_source ms = { { htonl(GROUP) }, { htonl(B_IP_STACK) }, { htonl(B_IP_PEER) } };
	char buf[16];
	/* INCLUDE {peer}: joins the group, takes the peer only. */
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)), 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)),
			 -EADDRNOTAVAIL);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_BLOCK_SOURCE, &ms, sizeof(ms)), -EINVAL);
	expect_v3_report(4, GROUP);
	fx_inject(udp_from(B_IP_PEER, GROUP, 5400, "peer"));
	fx_inject(udp_from(other, GROUP, 5400, "other"));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	/* Dropping the last source leaves the group. */
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, &ms, sizeof(ms)), 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, &ms, sizeof(ms)),
			 -EINVAL);
	expect_v3_report(3, GROUP);
	/* EXCLUDE {peer}: everyone else. */
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_BLOCK_SOURCE, &ms, sizeof(ms)), 0);
	fx_inject(udp_from(B_IP_PEER, GROUP, 5400, "peer"));
	fx_inject(udp_from(other, GROUP, 5400, "other"));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_UNBLOCK_SOURCE, &ms, sizeof(ms)), 0);
	fx_inject(udp_from(B_IP_PEER, GROUP, 5400, "peer"));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 4);
	ns_close(s);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(malformed_igmp_is_counted_and_ignored)
{
	struct ns_socket *s = udp(0);
	ck_assert_int_eq(member(s, IP_ADD_MEMBERSHIP, GROUP, B_IP_STACK), 0);
	fx_advance(2 * NS_SEC);
	fx_drain();
	uint8_t q[16] = { 0x11, 10 };
	inject_igmp(ALL_HOSTS, q, 4, 0); /* shorter than a header */
	ck_assert_uint_eq(ST(igmp_drop_short), 1);
	inject_igmp(ALL_HOSTS, q, 12, 1);
	ck_assert_uint_eq(ST(igmp_drop_csum), 1);
	inject_igmp(ALL_HOSTS, q, 10, 0); /* neither v2 (8) nor v3 (>= 12) */
	ns_wr32(q + 4, IP4_ADDR(10, 0, 0, 7)); /* a query about a unicast "group" */
	inject_igmp(ALL_HOSTS, q, 12, 0);
	ns_wr32(q + 4, 0);
	ns_wr16(q + 10, 200); /* more sources than the message holds */
	inject_igmp(ALL_HOSTS, q, 16, 0);
	ck_assert_uint_eq(ST(igmp_drop_malformed), 3);
	uint8_t odd[8] = { 0x42 };
	inject_igmp(ALL_HOSTS, odd, 8, 0);
	ck_assert_uint_eq(ST(igmp_drop_unknown_type), 1);
	ck_assert_uint_eq(ST(igmp_query_rx), 0);
	fx_advance(20 * NS_SEC);
	FX_EXPECT_NOTHING();
	ns_close(s);
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

Suite *igmp_suite(void)
{
	Suite *s = unit_suite("igmp");
	ADD_FX(s, membership_options_answer_as_linux);
	ADD_FX(s, join_and_leave_send_igmpv3_state_change_reports);
	ADD_FX(s, queries_are_answered_within_their_max_response_time);
	ADD_FX(s, a_snooping_switchs_query_from_0_0_0_0_is_answered);
	ADD_FX(s, group_datagrams_reach_every_socket_bound_to_the_port);
	ADD_FX(s, our_multicast_leaves_with_its_ttl_and_loops_back_to_members);
	ADD_FX(s, source_filters_pick_the_senders_a_socket_takes);
	ADD_FX(s, malformed_igmp_is_counted_and_ignored);
	return s;
}
