/*
 * raw: raw sockets (raw.c) on the channel endpoint: what they receive
 * beside the stack's own protocols, their filters, what they send with and
 * without IP_HDRINCL. The expected behaviour is Linux's (tests/diff's
 * raw_sockets case checks the same against it over loopback).
 */
#include <netinet/icmp6.h>
#include <poll.h>

#include "fx6.h"

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif

static struct ns_socket *raw4(int proto)
{
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_RAW, proto, &s), 0);
	return s;
}

START_TEST(raw_icmp_socket_gets_the_echo_request_with_its_header_and_the_stack_still_answers)
{
	struct ns_socket *r = raw4(IPPROTO_ICMP);
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	fx_inject(b_ping(B_IP_PEER, B_IP_STACK, 0x77, 3, 16));
	uint8_t b[128];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = ns_recvfrom(r, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
	ck_assert_int_eq(n, 20 + 8 + 16);
	ck_assert_int_eq(b[0], 0x45);
	ck_assert_int_eq(b[9], IPPROTO_ICMP);
	ck_assert_uint_eq(ns_rd32(b + 12), B_IP_PEER);
	ck_assert_int_eq(b[20], 8); /* echo request */
	ck_assert_int_eq(ns_rd16(b + 24), 0x77);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), B_IP_PEER);
	ck_assert_int_eq(from.sin_port, 0);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_int_eq(f.icmp_type, 0); /* the stack's reply */
	pkt_unref(p);
	ck_assert_int_eq(ST(raw_delivered), 1);
	ns_close(r);
}
END_TEST

START_TEST(unknown_protocol_taken_by_a_raw_socket_draws_no_protocol_unreachable)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = 253 };
	/* without a raw socket: protocol unreachable (RFC 1122 3.2.2.1) */
	fx_inject(b_ip4(&h, "abcd", 4));
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_int_eq(f.icmp_type, ICMP_DEST_UNREACH);
	ck_assert_int_eq(f.icmp_code, ICMP_PROT_UNREACH);
	pkt_unref(p);
	struct ns_socket *r = raw4(253), *other = raw4(252);
	fx_inject(b_ip4(&h, "abcd", 4));
	FX_EXPECT_NOTHING();
	uint8_t b[64];
	ck_assert_int_eq(ns_recv(r, b, sizeof(b), 0), 24);
	ck_assert_int_eq(memcmp(b + 20, "abcd", 4), 0);
	ck_assert_int_eq(ns_recv(other, b, sizeof(b), 0), -EAGAIN);
	ck_assert_int_eq(ST(raw_only), 1);
	ns_close(r);
	ns_close(other);
}
END_TEST

START_TEST(icmp_filter_drops_the_types_it_names)
{
	struct ns_socket *r = raw4(IPPROTO_ICMP);
	uint32_t mask = 1u << 8; /* echo requests */
	ck_assert_int_eq(ns_setsockopt(r, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask)), 0);
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	fx_inject(b_ping(B_IP_PEER, B_IP_STACK, 1, 1, 8));
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, 13 /* timestamp */, 0, 0, "12345678", 8));
	uint8_t b[128];
	ck_assert_int_eq(ns_recv(r, b, sizeof(b), 0), 36);
	ck_assert_int_eq(b[20], 13);
	ck_assert_int_eq(ns_recv(r, b, sizeof(b), 0), -EAGAIN);
	fx_drain();
	/* only an ICMP socket has one */
	struct ns_socket *u = raw4(17);
	ck_assert_int_eq(ns_setsockopt(u, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask)), -EOPNOTSUPP);
	ns_close(u);
	ns_close(r);
}
END_TEST

START_TEST(bound_and_connected_raw_sockets_take_only_their_datagrams)
{
	struct ns_socket *any = raw4(253), *conn = raw4(253), *bound = raw4(253);
	struct sockaddr_in me = fx_sin(B_IP_STACK, 0), other = fx_sin(IP4_ADDR(10, 0, 0, 9), 0);
	ck_assert_int_eq(ns_bind(bound, (struct sockaddr *)&other, sizeof(other)), -EADDRNOTAVAIL);
	ck_assert_int_eq(ns_bind(bound, (struct sockaddr *)&me, sizeof(me)), 0);
	struct sockaddr_in peer = fx_sin(IP4_ADDR(10, 0, 0, 7), 0);
	ck_assert_int_eq(ns_connect(conn, (struct sockaddr *)&peer, sizeof(peer)), 0);
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = 253 };
	fx_inject(b_ip4(&h, "x", 1));
	uint8_t b[64];
	ck_assert_int_eq(ns_recv(any, b, sizeof(b), 0), 21);
	ck_assert_int_eq(ns_recv(bound, b, sizeof(b), 0), 21);
	ck_assert_int_eq(ns_recv(conn, b, sizeof(b), 0), -EAGAIN);
	ns_close(any);
	ns_close(conn);
	ns_close(bound);
}
END_TEST

START_TEST(raw_send_adds_the_header_with_the_socket_protocol_ttl_and_df)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *r = raw4(253);
	int ttl = 5;
	ck_assert_int_eq(ns_setsockopt(r, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 0);
	ck_assert_int_eq(ns_sendto(r, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_int_eq(f.ip.proto, 253);
	ck_assert_int_eq(f.ip.ttl, 5);
	ck_assert_int_eq(f.ip.df, 1); /* IP_PMTUDISC_WANT and it fits */
	ck_assert_uint_eq(f.ip.src, B_IP_STACK);
	ck_assert_int_eq(f.l4_len, 5);
	ck_assert_int_eq(memcmp(f.l4, "hello", 5), 0);
	pkt_unref(p);
	/* over the channel's MTU with WANT: fragmented, DF clear */
	static uint8_t big[3000];
	ck_assert_int_eq(ns_sendto(r, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)), 3000);
	ck_assert_int_eq(fx_drain(), 3);
	ck_assert_int_eq(ns_send(r, "x", 1, 0), -EDESTADDRREQ);
	ns_close(r);
}
END_TEST

START_TEST(hdrincl_send_fills_checksum_length_id_and_source_and_refuses_bad_headers)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *r = raw4(IPPROTO_RAW);
	int v = 0;
	socklen_t vl = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(r, IPPROTO_IP, IP_HDRINCL, &v, &vl), 0);
	ck_assert_int_eq(v, 1);
	uint8_t b[64];
	struct b_ip4 h = { .src = 0, .dst = B_IP_PEER, .proto = 17, .ttl = 9, .tot_len = 999 };
	size_t hl = b_ip4_hdr(b, &h, 4);
	memcpy(b + hl, "data", 4);
	ns_wr16(b + 4, 0);  /* id 0: the stack picks one */
	ns_wr16(b + 10, 0); /* no checksum: the stack's */
	struct sockaddr_in to = fx_sin(B_IP_PEER, 0);
	ck_assert_int_eq(ns_sendto(r, b, hl + 4, 0, (struct sockaddr *)&to, sizeof(to)), 24);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_int_eq(f.ip.tot_len, 24);
	ck_assert_uint_eq(f.ip.src, B_IP_STACK);
	ck_assert_int_eq(f.ip.ttl, 9);
	ck_assert_int_eq(f.ip_csum_ok, 1);
	pkt_unref(p);
	ck_assert_int_eq(ns_sendto(r, b, 19, 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	b[0] = 0x44;
	ck_assert_int_eq(ns_sendto(r, b, 24, 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	b[0] = 0x4f;
	ck_assert_int_eq(ns_sendto(r, b, 24, 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	static uint8_t big[1501];
	memcpy(big, b, 20);
	big[0] = 0x45;
	ck_assert_int_eq(ns_sendto(r, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)), -EMSGSIZE);
	FX_EXPECT_NOTHING();
	/* raw(7) calls IPPROTO_RAW send-only: it gets no other protocol's
	 * datagrams; those of protocol 255 itself it does, as on Linux */
	struct b_ip4 in = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = 253 };
	fx_inject(b_ip4(&in, "z", 1));
	ck_assert_int_eq(ns_recv(r, b, sizeof(b), 0), -EAGAIN);
	in.proto = 255;
	fx_inject(b_ip4(&in, "z", 1));
	ck_assert_int_eq(ns_recv(r, b, sizeof(b), 0), 21);
	fx_drain();
	ns_close(r);
}
END_TEST

START_TEST(full_receive_buffer_drops_and_counts)
{
	struct ns_socket *r = raw4(253);
	int sz = 1; /* the minimum */
	ck_assert_int_eq(ns_setsockopt(r, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = 253 };
	static uint8_t pl[1000];
	for (int i = 0; i < 20; i++)
		fx_inject(b_ip4(&h, pl, sizeof(pl)));
	int got = 0;
	uint8_t b[1100];
	while (ns_recv(r, b, sizeof(b), 0) > 0)
		got++;
	ck_assert_int_gt(got, 0);
	ck_assert_int_lt(got, 20);
	ck_assert_int_eq(got + (int)ST(raw_drop_rcvbuf), 20);
	ns_close(r);
}
END_TEST

START_TEST(raw_icmpv6_socket_reads_the_payload_and_drops_a_bad_checksum)
{
	fx6_setup();
	struct ns_socket *r;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, &r), 0);
	struct icmp6_filter flt;
	ICMP6_FILTER_SETBLOCKALL(&flt);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &flt);
	ck_assert_int_eq(ns_setsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &flt, sizeof(flt)), 0);
	int two = 2;
	ck_assert_int_eq(ns_setsockopt(r, IPPROTO_IPV6, IPV6_CHECKSUM, &two, sizeof(two)), -EINVAL);
	fx_inject(b6_ping(B6_PEER, B6_STACK, 0x55, 1, 10));
	uint8_t b[128];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ck_assert_int_eq(ns_recvfrom(r, b, sizeof(b), 0, (struct sockaddr *)&from, &fl), 18);
	ck_assert_int_eq(b[0], ICMP6_ECHO_REQUEST);
	ck_assert_int_eq(memcmp(from.sin6_addr.s6_addr, B6_PEER, 16), 0);
	fx_drain(); /* (the reply, or the solicitation it waits for) */
	struct pkt *bad = b6_ping(B6_PEER, B6_STACK, 0x55, 2, 10);
	pkt_data(bad)[14 + 40 + 2] ^= 0xff;
	fx_inject(bad);
	ck_assert_int_eq(ns_recv(r, b, sizeof(b), 0), -EAGAIN);
	ck_assert_int_eq(ST(raw_drop_csum), 1);
	ns_close(r);
}
END_TEST

Suite *raw_suite(void)
{
	Suite *s = unit_suite("raw");
	ADD_FX(s, raw_icmp_socket_gets_the_echo_request_with_its_header_and_the_stack_still_answers);
	ADD_FX(s, unknown_protocol_taken_by_a_raw_socket_draws_no_protocol_unreachable);
	ADD_FX(s, icmp_filter_drops_the_types_it_names);
	ADD_FX(s, bound_and_connected_raw_sockets_take_only_their_datagrams);
	ADD_FX(s, raw_send_adds_the_header_with_the_socket_protocol_ttl_and_df);
	ADD_FX(s, hdrincl_send_fills_checksum_length_id_and_source_and_refuses_bad_headers);
	ADD_FX(s, full_receive_buffer_drops_and_counts);
	ADD_FX(s, raw_icmpv6_socket_reads_the_payload_and_drops_a_bad_checksum);
	return s;
}
