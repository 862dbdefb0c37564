/* icmp: echo, error generation (suppression, rate limit) and error input (icmp.c). */
#include <poll.h>

#include "unit.h"

static uint8_t big[70000];

/* Injects an ICMP message of `len` bytes (in big) as fragments of `step`. */
static void inject_fragmented(uint16_t id, uint32_t dst, size_t len, uint32_t step)
{
	for (uint32_t off = 0; off < len; off += step) {
		uint32_t n = (uint32_t)NS_MIN((size_t)step, len - off);
		struct b_ip4 h = { .src = B_IP_PEER, .dst = dst, .proto = IPPROTO_ICMP_, .id = id,
				   .frag_off = (uint16_t)off, .mf = off + n < len };
		fx_inject(b_ip4(&h, big + off, n));
	}
}

START_TEST(echo_request_gets_reply_with_same_id_seq_and_data)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	uint8_t data[56];
	b_pattern(data, sizeof(data), 0x51);
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_ECHO, 0, 0x12340007, data, sizeof(data)));
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_ip && f.ip_csum_ok);
	ck_assert_uint_eq(f.ip.src, B_IP_STACK);
	ck_assert_uint_eq(f.ip.dst, B_IP_PEER);
	ck_assert_uint_eq(f.icmp_type, ICMP_ECHOREPLY);
	ck_assert_uint_eq(f.icmp_code, 0);
	ck_assert_uint_eq(f.icmp_rest, 0x12340007); /* identifier and sequence */
	ck_assert(f.l4_csum_ok);
	ck_assert_uint_eq(f.data_len, sizeof(data));
	ck_assert_mem_eq(f.data, data, sizeof(data));
	pkt_unref(p);
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(icmp_echo_rx), 1);
	ck_assert_uint_eq(ST(icmp_echo_reply_tx), 1);
}
END_TEST

START_TEST(echo_with_odd_length_and_no_data_is_answered)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	size_t lens[] = { 0, 1, 33 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(lens); i++) {
		fx_inject(b_ping(B_IP_PEER, B_IP_STACK, 9, (uint16_t)i, lens[i]));
		struct b_frame f;
		pkt_unref(FX_EXPECT(&f));
		ck_assert_uint_eq(f.icmp_type, ICMP_ECHOREPLY);
		ck_assert_uint_eq(f.data_len, lens[i]);
		ck_assert(f.l4_csum_ok);
	}
}
END_TEST

START_TEST(echo_to_broadcast_or_multicast_is_ignored)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct pkt *p = b_ping(B_IP_PEER, IP4_ADDR(10, 0, 0, 255), 1, 1, 8);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	p = b_ping(B_IP_PEER, 0xffffffffu, 1, 2, 8);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	/* Linux icmp_echo_ignore_broadcasts=1 (RFC 1122 3.2.2.6 allows it). */
	ck_assert_uint_eq(ST(icmp_drop_bcast_echo), 2);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(echo_with_bad_checksum_or_too_short_is_dropped)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct pkt *p = b_ping(B_IP_PEER, B_IP_STACK, 1, 1, 8);
	pkt_data(p)[ETH_HDR_LEN + IP4_HDR_LEN + 8] ^= 0x80; /* flip a data bit */
	fx_inject(p);
	ck_assert_uint_eq(ST(icmp_drop_csum), 1);
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_ICMP_ };
	uint8_t four[4] = { ICMP_ECHO, 0, 0xf7, 0xff }; /* checksum fine, header short */
	fx_inject(b_ip4(&h, four, sizeof(four)));
	ck_assert_uint_eq(ST(icmp_drop_short), 1);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(echo_reply_and_unknown_types_are_dropped)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_ECHOREPLY, 0, 1, "x", 1));
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_TIMESTAMP, 0, 1, "x", 1));
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, 200, 0, 1, "x", 1));
	ck_assert_uint_eq(ST(icmp_ping_drop), 1); /* no ping socket has id 0 */
	ck_assert_uint_eq(ST(icmp_drop_unknown_type), 2);
	FX_EXPECT_NOTHING();
}
END_TEST

static struct ns_socket *ping_socket(void)
{
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &s), 0);
	return s;
}

static uint16_t ping_id(struct ns_socket *s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	ck_assert_int_eq(ns_getsockname(s, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

START_TEST(ping_socket_sends_echo_with_its_id_and_reads_the_reply)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = ping_socket();
	uint8_t req[12] = { ICMP_ECHO, 0, 0xaa, 0xbb, 0x12, 0x34, 0, 7, 'd', 'a', 't', 'a' };
	struct sockaddr_in to = fx_sin(B_IP_PEER, 0);
	ck_assert_int_eq(ns_sendto(s, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)), 12);
	uint16_t id = ping_id(s);
	ck_assert_uint_ne(id, 0);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	/* the stack put its id and a correct checksum in, and nothing else */
	ck_assert_uint_eq(f.ip.proto, IPPROTO_ICMP_);
	ck_assert_uint_eq(f.icmp_type, ICMP_ECHO);
	ck_assert(f.l4_csum_ok);
	ck_assert_uint_eq(f.icmp_rest, (uint32_t)id << 16 | 7);
	ck_assert_uint_eq(f.data_len, 4);
	ck_assert_mem_eq(f.data, "data", 4);
	pkt_unref(p);
	/* a reply for another id is not ours; ours is read whole */
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_ECHOREPLY, 0, (uint32_t)(uint16_t)(id + 1) << 16 | 7, "data", 4));
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_ECHOREPLY, 0, (uint32_t)id << 16 | 7, "data", 4));
	ck_assert_uint_eq(ST(icmp_ping_drop), 1);
	ck_assert_uint_eq(ST(icmp_ping_delivered), 1);
	uint8_t buf[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ck_assert_int_eq(ns_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 12);
	ck_assert_uint_eq(buf[0], ICMP_ECHOREPLY);
	ck_assert_uint_eq(ns_rd16(buf + 4), id);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), B_IP_PEER);
	ck_assert_uint_eq(ntohs(from.sin_port), 0);
	ck_assert_int_eq(ns_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL), -EAGAIN);
	ns_close(s);
}
END_TEST

START_TEST(ping_socket_sends_only_echo_requests)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = ping_socket(), *t;
	struct sockaddr_in to = fx_sin(B_IP_PEER, 0);
	uint8_t ts[8] = { ICMP_TIMESTAMP, 0 }, code[8] = { ICMP_ECHO, 1 }, shrt[4] = { ICMP_ECHO, 0 };
	ck_assert_int_eq(ns_sendto(s, ts, sizeof(ts), 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	ck_assert_int_eq(ns_sendto(s, code, sizeof(code), 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	ck_assert_int_eq(ns_sendto(s, shrt, sizeof(shrt), 0, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	FX_EXPECT_NOTHING();
	/* ICMP belongs to AF_INET, ICMPv6 to AF_INET6 */
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6, &t), -EPROTONOSUPPORT);
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, IPPROTO_ICMP, &t), -EPROTONOSUPPORT);
	/* ids are a space of their own: a UDP port does not take one */
	struct ns_socket *u = fx_udp_socket(4000);
	struct sockaddr_in at = fx_sin(0, 4000);
	ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&at, sizeof(at)), 0);
	ck_assert_uint_eq(ping_id(s), 4000);
	ns_close(u);
	ns_close(s);
}
END_TEST

START_TEST(fragmented_echo_gets_fragmented_reply)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	/* ping -s 8000: 8008 bytes of ICMP, 6 fragments each way. */
	static uint8_t data[8000];
	b_pattern(data, sizeof(data), 77);
	size_t n = b_icmp_bytes(big, ICMP_ECHO, 0, 0x00010001, data, sizeof(data));
	inject_fragmented(900, B_IP_STACK, n, 1480);
	static uint8_t whole[8008];
	uint32_t got = 0;
	int frags = 0, last_seen = 0;
	uint16_t id = 0;
	struct pkt *p;
	struct b_frame f;
	while ((p = fx_take(&f))) {
		ck_assert(f.is_ip && f.ip_csum_ok && f.ip.proto == IPPROTO_ICMP_);
		ck_assert_uint_le(f.ip.tot_len, 1500);
		if (frags++ == 0)
			id = f.ip.id;
		ck_assert_uint_eq(f.ip.id, id);
		ck_assert_uint_le(f.ip.frag_off + f.l4_len, sizeof(whole));
		memcpy(whole + f.ip.frag_off, f.l4, f.l4_len);
		got += f.l4_len;
		last_seen |= !f.ip.mf;
		pkt_unref(p);
	}
	ck_assert_int_eq(frags, 6);
	ck_assert(last_seen);
	ck_assert_uint_eq(got, 8008);
	ck_assert_uint_eq(whole[0], ICMP_ECHOREPLY);
	ck_assert_uint_eq(ns_csum(whole, 8008), 0);
	ck_assert_mem_eq(whole + 8, data, sizeof(data));
}
END_TEST

START_TEST(closed_port_draws_port_unreachable_quoting_the_datagram)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	uint8_t data[30];
	b_pattern(data, sizeof(data), 8);
	struct pkt *in = b_udp4(B_IP_PEER, 4444, B_IP_STACK, 9999, data, sizeof(data));
	uint8_t orig[IP4_HDR_LEN + 8 + 30];
	memcpy(orig, pkt_data(in) + ETH_HDR_LEN, sizeof(orig));
	fx_inject(in);
	ck_assert_uint_eq(ST(udp_drop_no_port), 1);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP_DEST_UNREACH);
	ck_assert_uint_eq(f.icmp_code, ICMP_PORT_UNREACH);
	ck_assert_uint_eq(f.icmp_rest, 0);
	ck_assert(f.l4_csum_ok);
	ck_assert_uint_eq(f.ip.src, B_IP_STACK);
	ck_assert_uint_eq(f.ip.dst, B_IP_PEER);
	ck_assert_uint_eq(f.ip.tos & 0xe0, 0xc0); /* internetwork control */
	/* The whole (small) datagram is quoted, header first. */
	ck_assert_uint_eq(f.data_len, sizeof(orig));
	ck_assert_mem_eq(f.data, orig, sizeof(orig));
	pkt_unref(p);
	ck_assert_uint_eq(ST(icmp_unreach_tx), 1);
}
END_TEST

START_TEST(long_datagram_is_quoted_up_to_576_bytes)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	static uint8_t data[1400];
	fx_inject(b_udp4(B_IP_PEER, 4444, B_IP_STACK, 9999, data, sizeof(data)));
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	/* RFC 1812 4.3.2.3: the error is at most 576 bytes. */
	ck_assert_uint_eq(f.ip.tot_len, 576);
	ck_assert(f.l4_csum_ok);
	pkt_unref(p);
}
END_TEST

START_TEST(no_error_about_an_icmp_error_a_broadcast_or_a_zero_source)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	/* RFC 1122 3.2.2: the first fragment of an ICMP error message whose
	 * reassembly times out draws no time exceeded ... */
	static uint8_t zeros[2000];
	b_icmp_bytes(big, ICMP_DEST_UNREACH, 3, 0, zeros, sizeof(zeros));
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_ICMP_, .id = 5,
			   .mf = 1 };
	fx_inject(b_ip4(&h, big, 1480));
	/* ... nor one sent to a broadcast address ... */
	static uint8_t u[2000];
	b_udp_bytes(u, B_IP_PEER, 1, IP4_ADDR(10, 0, 0, 255), 9999, zeros, 1900);
	struct b_ip4 hb = { .src = B_IP_PEER, .dst = IP4_ADDR(10, 0, 0, 255),
			    .proto = IPPROTO_UDP_, .id = 6, .mf = 1 };
	struct pkt *p = b_ip4(&hb, u, 1480);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	fx_advance(31 * NS_SEC);
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 2);
	ck_assert_uint_eq(ST(icmp_err_suppressed), 2);
	/* ... nor about a datagram from 0.0.0.0 to a closed port (dropped
	 * as a martian before UDP sees it). */
	fx_inject(b_udp4(0, 68, B_IP_STACK, 9999, "x", 1));
	ck_assert_uint_eq(ST(ip4_drop_martian_src), 1);
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(icmp_tx), 0);
}
END_TEST

static int count_unreachables(void)
{
	int n = 0;
	struct pkt *p;
	struct b_frame f;
	while ((p = fx_take(&f))) {
		n += f.is_ip && f.icmp_type == ICMP_DEST_UNREACH;
		pkt_unref(p);
	}
	return n;
}

static void closed_port_burst(int n)
{
	for (int i = 0; i < n; i++)
		fx_inject(b_udp4(B_IP_PEER, (uint16_t)(1000 + i), B_IP_STACK, 9999, "x", 1));
}

START_TEST(icmp_errors_are_rate_limited_by_a_token_bucket)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	/* Linux defaults: burst 50, then 1000 per second. */
	closed_port_burst(100);
	ck_assert_int_eq(count_unreachables(), 50);
	ck_assert_uint_eq(ST(icmp_err_rate_limited), 50);
	fx_advance(10 * NS_MSEC);
	closed_port_burst(20);
	ck_assert_int_eq(count_unreachables(), 10);
	/* A long pause refills the bucket, but only up to the burst. */
	fx_advance(10 * NS_SEC);
	/* (the unanswered neighbour probes meanwhile failed the entry) */
	fx_drain();
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	closed_port_burst(100);
	ck_assert_int_eq(count_unreachables(), 50);
	/* Echo replies are not errors and not limited. */
	for (int i = 0; i < 10; i++)
		fx_inject(b_ping(B_IP_PEER, B_IP_STACK, 1, (uint16_t)i, 8));
	ck_assert_int_eq(fx_drain(), 10);
}
END_TEST

/* An ICMP error from `from` quoting the packet p (data at Ethernet) we sent,
 * with `qlen` bytes of it. */
static struct pkt *error_about(const struct pkt *p, uint32_t from, uint8_t type, uint8_t code,
			       uint32_t rest, uint32_t qlen)
{
	const uint8_t *ip = pkt_data(p) + ETH_HDR_LEN;
	return b_icmp4(from, B_IP_STACK, type, code, rest, ip, qlen);
}

START_TEST(received_errors_that_cannot_be_ours_are_dropped)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(ns_send(s, "hello", 5, 0), 5);
	struct pkt *sent = FX_EXPECT(NULL);
	/* Quote shorter than header + 8 bytes (RFC 792). */
	fx_inject(error_about(sent, B_IP_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			      IP4_HDR_LEN + 7));
	ck_assert_uint_eq(ST(icmp_drop_bad_error), 1);
	/* About a packet whose source is not ours. */
	struct pkt *e = error_about(sent, B_IP_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
				    IP4_HDR_LEN + 8);
	ns_wr32(pkt_data(e) + ETH_HDR_LEN + IP4_HDR_LEN + ICMP_HDR_LEN + 12,
		IP4_ADDR(10, 0, 0, 50));
	/* (fix the ICMP checksum after the edit) */
	uint8_t *icmp = pkt_data(e) + ETH_HDR_LEN + IP4_HDR_LEN;
	ns_wr16(icmp + 2, 0);
	ns_wr16(icmp + 2, ns_csum(icmp, e->len - ETH_HDR_LEN - IP4_HDR_LEN));
	fx_inject(e);
	ck_assert_uint_eq(ST(icmp_drop_bad_error), 2);
	/* Sent to a broadcast address. */
	e = error_about(sent, B_IP_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, IP4_HDR_LEN + 8);
	memcpy(pkt_data(e), B_MAC_BCAST, 6);
	ns_wr32(pkt_data(e) + ETH_HDR_LEN + 16, IP4_ADDR(10, 0, 0, 255));
	uint8_t *ih = pkt_data(e) + ETH_HDR_LEN;
	ns_wr16(ih + 10, 0);
	ns_wr16(ih + 10, ns_csum(ih, IP4_HDR_LEN));
	fx_inject(e);
	ck_assert_uint_eq(ST(icmp_drop_bad_error), 3);
	/* None of them reached the socket. */
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ck_assert_int_eq(ns_send(s, "x", 1, 0), 1);
	/* A well-formed one does. */
	fx_inject(error_about(sent, B_IP_PEER, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			      IP4_HDR_LEN + 8));
	ck_assert(ns_socket_poll(s) & POLLERR);
	/* Every error message is counted once, however it ended. */
	ck_assert_uint_eq(ST(icmp_err_rx), 4);
	ck_assert_uint_eq(ST(icmp_rx), 4);
	pkt_unref(sent);
	fx_drain();
	ns_close(s);
}
END_TEST

/* Connected socket; an error of (type, code) about its datagram; what does
 * the next send report? */
static int error_seen_by_connected_socket(uint8_t type, uint8_t code, uint32_t rest, int recverr)
{
	struct ns_socket *s = fx_udp_socket(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	if (recverr)
		ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_RECVERR, &recverr, sizeof(int)), 0);
	ck_assert_int_eq(ns_send(s, "hello", 5, 0), 5);
	struct pkt *sent = FX_EXPECT(NULL);
	fx_inject(error_about(sent, IP4_ADDR(10, 0, 0, 254), type, code, rest, IP4_HDR_LEN + 13));
	pkt_unref(sent);
	int r = (int)ns_send(s, "x", 1, 0);
	fx_drain();
	ns_close(s);
	return r < 0 ? r : 0;
}

START_TEST(received_errors_map_to_errno_as_linux_does)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	/* Hard errors (RFC 1122 4.2.3.9) reach a connected socket. */
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 0),
			 -ECONNREFUSED);
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, 0),
			 -ENOPROTOOPT);
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_PARAMETERPROB, 0, 20u << 24, 0),
			 -EPROTO);
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1280, 0),
			 -EMSGSIZE);
	/* Soft ones only with IP_RECVERR. */
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, 0), 0);
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_TIME_EXCEEDED, 0, 0, 0), 0);
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, 1),
			 -EHOSTUNREACH);
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_TIME_EXCEEDED, 0, 0, 1), -EHOSTUNREACH);
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0, 1),
			 -ENETUNREACH);
	/* Source quench is ignored (RFC 6633). */
	ck_assert_int_eq(error_seen_by_connected_socket(ICMP_SOURCE_QUENCH, 0, 0, 1), 0);
}
END_TEST

Suite *icmp_suite(void)
{
	Suite *s = unit_suite("icmp");
	ADD_FX(s, echo_request_gets_reply_with_same_id_seq_and_data);
	ADD_FX(s, echo_with_odd_length_and_no_data_is_answered);
	ADD_FX(s, echo_to_broadcast_or_multicast_is_ignored);
	ADD_FX(s, echo_with_bad_checksum_or_too_short_is_dropped);
	ADD_FX(s, echo_reply_and_unknown_types_are_dropped);
	ADD_FX(s, ping_socket_sends_echo_with_its_id_and_reads_the_reply);
	ADD_FX(s, ping_socket_sends_only_echo_requests);
	ADD_FX(s, fragmented_echo_gets_fragmented_reply);
	ADD_FX(s, closed_port_draws_port_unreachable_quoting_the_datagram);
	ADD_FX(s, long_datagram_is_quoted_up_to_576_bytes);
	ADD_FX(s, no_error_about_an_icmp_error_a_broadcast_or_a_zero_source);
	ADD_FX(s, icmp_errors_are_rate_limited_by_a_token_bucket);
	ADD_FX(s, received_errors_that_cannot_be_ours_are_dropped);
	ADD_FX(s, received_errors_map_to_errno_as_linux_does);
	return s;
}
