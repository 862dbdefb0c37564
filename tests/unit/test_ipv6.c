/*
 * ipv6: the IPv6 network layer through the input path (RFC 8200): header
 * validation, extension header walking and its Parameter Problems, ICMPv6
 * echo and errors (RFC 4443), delivery to a transport and errors to it,
 * routes, source selection and path MTU (RFC 8201).
 *
 * A fake transport on protocol 253 (RFC 3692 experimental) shows what a
 * transport gets: ns_l3_info and ns_l4_err with AF_INET6 addresses.
 */
#include <poll.h>

#include "fx6.h"
#include "ns/info.h"
#include "ipv6_priv.h"

#define PROTO_T 253

/* ---- the fake transport ---- */
static struct {
	int inputs, errs;
	struct ns_l3_info l3;
	uint8_t data[64];
	uint32_t len;
	uint32_t l3_to_l4; /* bytes from the IPv6 header to the data */
	struct ns_l4_err e;
} T;

static void t_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	NS_UNUSED(st);
	T.inputs++;
	T.l3 = *l3;
	T.len = p->len;
	memcpy(T.data, pkt_data(p), NS_MIN(p->len, (uint32_t)sizeof(T.data)));
	T.l3_to_l4 = p->off - p->l3_off;
	pkt_unref(p);
}

static void t_err(struct ns_stack *st, const struct ns_l4_err *e)
{
	NS_UNUSED(st);
	T.errs++;
	T.e = *e;
	T.e.l4 = NULL;
}

static const struct ns_l4_ops t_ops = { .input = t_input, .err = t_err };

static void t_register(void)
{
	memset(&T, 0, sizeof(T));
	ip4_register(F.st, PROTO_T, &t_ops);
}

/* Send `len` bytes (ports 1111 -> 2222, then a pattern) from the fake
 * transport to dst. */
static int t_send(const uint8_t *dst, size_t len, int df)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)len);
	ck_assert_ptr_nonnull(p);
	b_pattern(pkt_data(p), len, 9);
	ns_wr16(pkt_data(p), 1111);
	ns_wr16(pkt_data(p) + 2, 2222);
	struct ns_ip_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.src.family = AF_INET6;
	tx.dst.family = AF_INET6;
	memcpy(tx.dst.v6, dst, 16);
	tx.proto = PROTO_T;
	tx.df = (uint8_t)df;
	return ns_ip_output(F.st, p, &tx);
}

static struct ns_ip ip6a(const uint8_t *a)
{
	struct ns_ip r;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	memcpy(r.v6, a, 16);
	return r;
}

/* Expect an echo reply to the peer for (id, seq) with len pattern bytes. */
static void expect_echo_reply(uint16_t id, uint16_t seq, size_t len)
{
	static uint8_t want[65535];
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert(f.is_ip6 && f.nxt == IP6_NH_ICMPV6);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ECHO_REP);
	ck_assert_uint_eq(f.icmp_rest, ((uint32_t)id << 16) | seq);
	ck_assert(f.l4_csum_ok);
	ck_assert_uint_eq(f.data_len, len);
	b_pattern(want, len, seq);
	ck_assert_mem_eq(f.data, want, len);
	pkt_unref(p);
}

/* Expect a Parameter Problem (code, pointer) about a packet of ours. */
static void expect_param_problem(uint8_t code, uint32_t ptr)
{
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert(f.nxt == IP6_NH_ICMPV6 && f.l4_csum_ok);
	ck_assert_uint_eq(f.icmp_type, ICMP6_PARAMPROB);
	ck_assert_uint_eq(f.icmp_code, code);
	ck_assert_uint_eq(f.icmp_rest, ptr);
	ck_assert_mem_eq(f.ip.src, B6_STACK, 16);
	ck_assert_mem_eq(f.ip.dst, B6_PEER, 16);
	/* The quote is our packet, from its IPv6 header. */
	ck_assert_uint_ge(f.data_len, IP6_HDR_LEN);
	ck_assert_mem_eq(f.data + 8, B6_PEER, 16);
	pkt_unref(p);
}

/* An echo request (id 0x6363, seq) with extension headers ext. */
static struct pkt *ping_with_ext(const uint8_t *dst, uint8_t first, const uint8_t *ext,
				 size_t extlen, uint16_t seq)
{
	static uint8_t icmp[64], data[16];
	b_pattern(data, sizeof(data), seq);
	size_t n = b6_icmp_bytes(icmp, B6_PEER, dst, ICMP6_ECHO_REQ, 0, (0x6363u << 16) | seq, data,
				 sizeof(data));
	struct b_ip6 h = { .src = B6_PEER, .dst = dst, .nxt = first, .ext = ext, .extlen = extlen };
	return b6_ip(&h, icmp, n);
}

START_TEST(ipv6_echo_request_is_answered_with_the_same_data)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	fx_inject(b6_ping(B6_PEER, B6_STACK, 0x1234, 1, 100));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_mem_eq(f.dst, B_MAC_PEER, 6);
	ck_assert_mem_eq(f.ip.src, B6_STACK, 16);
	ck_assert_mem_eq(f.ip.dst, B6_PEER, 16);
	ck_assert_uint_eq(f.ip.hlim, 64);
	ck_assert(f.payload_len_ok);
	pkt_unref(p);
	fx_inject(b6_ping(B6_PEER, B6_STACK, 0x1234, 2, 1000));
	expect_echo_reply(0x1234, 2, 1000);
	ck_assert_uint_eq(ST(icmp6_echo_rx), 2);
	ck_assert_uint_eq(ST(icmp6_echo_reply_tx), 2);
	ck_assert_uint_eq(ST(ip6_delivered), 3); /* 2 echoes, the NS of learn_peer */
}
END_TEST

START_TEST(ipv6_packet_for_another_address_is_dropped_and_counted)
{
	fx6_setup();
	uint8_t other[16];
	b6_addr("fd00::9", other);
	fx_inject(b6_ping(B6_PEER, other, 1, 1, 8));
	/* A group we never joined. */
	b6_addr("ff02::1:ff00:99", other);
	fx_inject(b6_ping(B6_PEER, other, 1, 2, 8));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip6_drop_not_for_us), 2);
	ck_assert_uint_eq(ST(icmp6_rx), 0);
}
END_TEST

START_TEST(ipv6_tentative_address_takes_no_traffic_until_dad_passes)
{
	struct ns_ip a = ip6a(B6_STACK);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &a, 64), 0);
	ck_assert_int_eq(fx6_state(B6_STACK), NS_ADDR_TENTATIVE);
	ck_assert_ptr_null(ns_addr_nic(F.st, &a));
	fx_inject(b6_ping(B6_PEER, B6_STACK, 1, 1, 8));
	ck_assert_uint_eq(ST(ip6_drop_tentative), 1);
	fx_advance(3 * NS_SEC);
	ck_assert_int_eq(fx6_state(B6_STACK), NS_ADDR_PREFERRED);
	ck_assert_uint_eq(ST(ndp_dad_ok), 1);
	ck_assert_ptr_nonnull(ns_addr_nic(F.st, &a));
	fx_drain();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	fx_inject(b6_ping(B6_PEER, B6_STACK, 1, 2, 8));
	expect_echo_reply(1, 2, 8);
}
END_TEST

START_TEST(ipv6_malformed_headers_are_dropped_and_counted)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	static uint8_t junk[39];
	fx_inject(b_eth(B_MAC_STACK, B_MAC_PEER, ETHERTYPE_IPV6, junk, sizeof(junk)));
	ck_assert_uint_eq(ST(ip6_drop_short), 1);
	/* Version 4 in an IPv6 frame. */
	struct pkt *p = b6_ping(B6_PEER, B6_STACK, 1, 1, 8);
	pkt_data(p)[ETH_HDR_LEN] = 0x45;
	fx_inject(p);
	ck_assert_uint_eq(ST(ip6_drop_version), 1);
	/* A payload length beyond the frame. */
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = IP6_NH_NONE, .plen = 100 };
	fx_inject(b6_ip(&h, junk, 20));
	ck_assert_uint_eq(ST(ip6_drop_len), 1);
	/* Link-layer padding after the packet is ignored. */
	p = b6_ping(B6_PEER, B6_STACK, 1, 2, 8);
	ck_assert_ptr_nonnull(pkt_put(p, 10));
	memset(pkt_data(p) + p->len - 10, 0xee, 10);
	fx_inject(p);
	expect_echo_reply(1, 2, 8);
}
END_TEST

START_TEST(ipv6_martian_addresses_are_dropped)
{
	fx6_setup();
	uint8_t a[16];
	static const uint8_t lo[16] = { [15] = 1 };
	b6_addr("ff02::1", a);
	fx_inject(b6_ping(a, B6_STACK, 1, 1, 8));
	fx_inject(b6_ping(lo, B6_STACK, 1, 2, 8));
	b6_addr("::ffff:10.0.0.1", a);
	fx_inject(b6_ping(a, B6_STACK, 1, 3, 8));
	/* Our own address from the wire: answering would talk to ourselves;
	 * only neighbour discovery may use it (another node's DAD answer). */
	fx_inject(b6_ping(B6_STACK, B6_STACK, 1, 6, 8));
	ck_assert_uint_eq(ST(ip6_drop_martian_src), 4);
	fx_inject(b6_na(B6_STACK, B6_ALL_NODES, B6_STACK, 0x20, B_MAC_PEER));
	ck_assert_uint_eq(ST(ndp_na_rx), 1);
	fx_inject(b6_ping(B6_PEER, lo, 1, 4, 8));
	/* Multicast scope 0 is reserved (RFC 4291 2.7). */
	b6_addr("ff00::1", a);
	fx_inject(b6_ping(B6_PEER, a, 1, 5, 8));
	ck_assert_uint_eq(ST(ip6_drop_martian_dst), 2);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(ipv6_echo_to_all_nodes_is_answered_from_a_unicast_address)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	fx_inject(b6_ping(B6_PEER, B6_ALL_NODES, 7, 1, 24));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ECHO_REP);
	ck_assert_mem_eq(f.ip.src, B6_STACK, 16);
	ck_assert_mem_eq(f.ip.dst, B6_PEER, 16);
	pkt_unref(p);
}
END_TEST

START_TEST(ipv6_padding_options_are_walked_over)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	/* Hop-by-Hop with Pad1 and PadN, then Destination Options with a
	 * Router Alert (unrecognised there: action 00, skipped). */
	static const uint8_t o1[] = { 0, 1, 2, 0, 0 };
	static const uint8_t o2[] = { 5, 2, 0, 0 };
	uint8_t ext[32];
	size_t n = b6_ext_opts(ext, IP6_NH_DSTOPTS, o1, sizeof(o1));
	n += b6_ext_opts(ext + n, IP6_NH_ICMPV6, o2, sizeof(o2));
	fx_inject(ping_with_ext(B6_STACK, IP6_NH_HOPOPTS, ext, n, 1));
	expect_echo_reply(0x6363, 1, 16);
}
END_TEST

START_TEST(ipv6_unknown_option_action_bits_decide_the_answer)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	static const uint8_t hdrs[2] = { IP6_NH_HOPOPTS, IP6_NH_DSTOPTS };
	uint16_t seq = 1;
	for (int t = 0; t < 2; t++) {
		for (unsigned act = 0; act < 4; act++, seq++) {
			/* RFC 8200 4.2; 0x1e is nobody's option. */
			uint8_t opt[4] = { (uint8_t)((act << 6) | 0x1e), 2, 0xab, 0xcd };
			uint8_t ext[8];
			size_t n = b6_ext_opts(ext, IP6_NH_ICMPV6, opt, sizeof(opt));
			fx_inject(ping_with_ext(B6_STACK, hdrs[t], ext, n, seq));
			if (act == 0) {
				expect_echo_reply(0x6363, seq, 16);
			} else if (act == 1) {
				FX_EXPECT_NOTHING();
			} else {
				expect_param_problem(ICMP6_PP_OPTION, IP6_HDR_LEN + 2);
				FX_EXPECT_NOTHING();
			}
		}
	}
	ck_assert_uint_eq(ST(ip6_drop_unknown_option), 6);
	/* To a group: action 10 still answers, 11 does not (RFC 4443 2.4 e). */
	for (unsigned act = 2; act < 4; act++, seq++) {
		uint8_t opt[4] = { (uint8_t)((act << 6) | 0x1e), 2, 0, 0 };
		uint8_t ext[8];
		size_t n = b6_ext_opts(ext, IP6_NH_ICMPV6, opt, sizeof(opt));
		fx_inject(ping_with_ext(B6_ALL_NODES, IP6_NH_DSTOPTS, ext, n, seq));
		if (act == 2)
			expect_param_problem(ICMP6_PP_OPTION, IP6_HDR_LEN + 2);
		FX_EXPECT_NOTHING();
	}
	/* A malformed option (length past the header) is dropped silently. */
	uint8_t bad[8] = { IP6_NH_ICMPV6, 0, 1, 9, 0, 0, 0, 0 };
	fx_inject(ping_with_ext(B6_STACK, IP6_NH_DSTOPTS, bad, 8, seq));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip6_drop_bad_option), 1);
}
END_TEST

START_TEST(ipv6_hop_by_hop_after_another_header_is_an_unknown_next_header)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	static const uint8_t pad[] = { 1, 0 };
	uint8_t ext[16];
	size_t n = b6_ext_opts(ext, IP6_NH_HOPOPTS, pad, sizeof(pad));
	n += b6_ext_opts(ext + n, IP6_NH_ICMPV6, pad, sizeof(pad));
	fx_inject(ping_with_ext(B6_STACK, IP6_NH_DSTOPTS, ext, n, 1));
	/* RFC 8200 4.3: pointing at the Next Header of the first header. */
	expect_param_problem(ICMP6_PP_NEXTHDR, IP6_HDR_LEN);
}
END_TEST

START_TEST(ipv6_unknown_next_header_gets_parameter_problem_at_the_naming_field)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	static const uint8_t junk[16] = { 1, 2, 3 };
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = 253 };
	fx_inject(b6_ip(&h, junk, sizeof(junk)));
	expect_param_problem(ICMP6_PP_NEXTHDR, 6);
	static const uint8_t pad[] = { 1, 0 };
	uint8_t ext[8];
	size_t n = b6_ext_opts(ext, 253, pad, sizeof(pad));
	struct b_ip6 g = { .src = B6_PEER, .dst = B6_STACK, .nxt = IP6_NH_DSTOPTS, .ext = ext,
			   .extlen = n };
	fx_inject(b6_ip(&g, junk, sizeof(junk)));
	expect_param_problem(ICMP6_PP_NEXTHDR, IP6_HDR_LEN);
	/* ICMPv4 is not an IPv6 upper layer. */
	h.nxt = IPPROTO_ICMP_;
	fx_inject(b6_ip(&h, junk, sizeof(junk)));
	expect_param_problem(ICMP6_PP_NEXTHDR, 6);
	ck_assert_uint_eq(ST(ip6_drop_unknown_proto), 3);
	/* And IPv4 answers protocol 58 with protocol unreachable. */
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct b_ip4 h4 = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IP6_NH_ICMPV6 };
	fx_inject(b_ip4(&h4, junk, sizeof(junk)));
	struct b_frame f4;
	struct pkt *p = FX_EXPECT(&f4);
	ck_assert(f4.is_ip && f4.icmp_type == ICMP_DEST_UNREACH && f4.icmp_code == ICMP_PROT_UNREACH);
	pkt_unref(p);
}
END_TEST

START_TEST(ipv6_routing_header_with_segments_left_is_refused)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	/* RFC 5095: type 0, one address, one segment left. */
	uint8_t rh[24] = { IP6_NH_ICMPV6, 2, 0, 1 };
	b6_addr("fd00::77", rh + 8);
	fx_inject(ping_with_ext(B6_STACK, IP6_NH_ROUTING, rh, sizeof(rh), 1));
	expect_param_problem(ICMP6_PP_HEADER, IP6_HDR_LEN + 2);
	/* Another type: the same (a host forwards nothing). */
	rh[2] = 4;
	fx_inject(ping_with_ext(B6_STACK, IP6_NH_ROUTING, rh, sizeof(rh), 2));
	expect_param_problem(ICMP6_PP_HEADER, IP6_HDR_LEN + 2);
	ck_assert_uint_eq(ST(ip6_drop_routing_hdr), 2);
	/* RFC 8200 4.4: no segments left, the header is ignored. */
	rh[2] = 0;
	rh[3] = 0;
	fx_inject(ping_with_ext(B6_STACK, IP6_NH_ROUTING, rh, sizeof(rh), 3));
	expect_echo_reply(0x6363, 3, 16);
}
END_TEST

START_TEST(ipv6_no_next_header_and_truncated_headers_are_dropped_silently)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	static const uint8_t junk[8];
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = IP6_NH_NONE };
	fx_inject(b6_ip(&h, junk, sizeof(junk)));
	ck_assert_uint_eq(ST(ip6_drop_no_next_header), 1);
	/* A Destination Options header claiming 16 bytes, 8 present. */
	uint8_t ext[8] = { IP6_NH_ICMPV6, 1, 1, 4, 0, 0, 0, 0 };
	h.nxt = IP6_NH_DSTOPTS;
	h.ext = ext;
	h.extlen = sizeof(ext);
	fx_inject(b6_ip(&h, NULL, 0));
	ck_assert_uint_eq(ST(ip6_drop_bad_ext), 1);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(ipv6_transport_gets_ipv6_addresses_and_the_header_offsets)
{
	fx6_setup();
	t_register();
	static const uint8_t pad[] = { 1, 0 };
	uint8_t ext[8];
	size_t n = b6_ext_opts(ext, PROTO_T, pad, sizeof(pad));
	static const uint8_t data[12] = { 0x11, 0x22, 0x33 };
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = IP6_NH_DSTOPTS, .ext = ext,
			   .extlen = n, .hlim = 33, .tclass = 0x48 };
	fx_inject(b6_ip(&h, data, sizeof(data)));
	ck_assert_int_eq(T.inputs, 1);
	ck_assert_uint_eq(T.l3.src.family, AF_INET6);
	ck_assert_mem_eq(T.l3.src.v6, B6_PEER, 16);
	ck_assert_mem_eq(T.l3.dst.v6, B6_STACK, 16);
	ck_assert_uint_eq(T.l3.ttl, 33);
	ck_assert_uint_eq(T.l3.tos, 0x48);
	ck_assert_uint_eq(T.l3.proto, PROTO_T);
	ck_assert_int_eq(T.l3.mcast, 0);
	ck_assert_int_eq(T.l3.nic->id, F.nic);
	ck_assert_uint_eq(T.len, sizeof(data));
	ck_assert_mem_eq(T.data, data, sizeof(data));
	ck_assert_uint_eq(T.l3_to_l4, IP6_HDR_LEN + 8);
}
END_TEST

/* Build an ICMPv6 error from the peer quoting the frame the stack sent. */
static struct pkt *error_about(const struct pkt *sent, uint8_t type, uint8_t code, uint32_t rest)
{
	return b6_icmp(B6_PEER, B6_STACK, 64, type, code, rest, pkt_data(sent) + ETH_HDR_LEN,
		       NS_MIN(sent->len - ETH_HDR_LEN, 1000u));
}

START_TEST(ipv6_icmp_errors_about_our_packets_reach_the_transport)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	t_register();
	ck_assert_int_eq(t_send(B6_PEER, 40, 0), 0);
	struct b_frame6 f;
	struct pkt *sent = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.nxt, PROTO_T);
	ck_assert_mem_eq(f.ip.src, B6_STACK, 16);
	fx_inject(error_about(sent, ICMP6_UNREACH, ICMP6_UNREACH_PORT, 0));
	ck_assert_int_eq(T.errs, 1);
	ck_assert_int_eq(T.e.err, ECONNREFUSED);
	ck_assert_int_eq(T.e.fatal, 1);
	ck_assert_int_eq(T.e.local, 0);
	ck_assert_uint_eq(T.e.src.family, AF_INET6);
	ck_assert_mem_eq(T.e.src.v6, B6_STACK, 16);
	ck_assert_mem_eq(T.e.dst.v6, B6_PEER, 16);
	ck_assert_mem_eq(T.e.offender.v6, B6_PEER, 16);
	ck_assert_uint_eq(T.e.sport, 1111);
	ck_assert_uint_eq(T.e.dport, 2222);
	ck_assert_uint_eq(T.e.type, ICMP6_UNREACH);
	fx_inject(error_about(sent, ICMP6_TIME_EXCEED, ICMP6_EXC_HOPLIMIT, 0));
	ck_assert_int_eq(T.errs, 2);
	ck_assert_int_eq(T.e.err, EHOSTUNREACH);
	ck_assert_int_eq(T.e.fatal, 0);
	fx_inject(error_about(sent, ICMP6_PARAMPROB, ICMP6_PP_HEADER, 7));
	ck_assert_int_eq(T.e.err, EPROTO);
	ck_assert_int_eq(T.e.fatal, 1);
	ck_assert_uint_eq(T.e.info, 7);
	/* An error quoting someone else's packet is bogus. */
	pkt_data(sent)[ETH_HDR_LEN + 23] ^= 0x40;
	fx_inject(error_about(sent, ICMP6_UNREACH, ICMP6_UNREACH_PORT, 0));
	ck_assert_int_eq(T.errs, 3);
	ck_assert_uint_eq(ST(icmp6_drop_bad_error), 1);
	pkt_unref(sent);
}
END_TEST

START_TEST(ipv6_packet_too_big_lowers_the_path_mtu_for_ten_minutes)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	t_register();
	struct ns_rt rt;
	ck_assert_int_eq(ns_route6(F.st, B6_PEER, NULL, 0, &rt), 0);
	ck_assert_uint_eq(rt.mtu, 1500);
	ck_assert_int_eq(t_send(B6_PEER, 1400, 1), 0);
	struct b_frame6 f;
	struct pkt *sent = FX6_EXPECT(&f);
	fx_inject(error_about(sent, ICMP6_TOO_BIG, 0, 1300));
	ck_assert_int_eq(T.errs, 1);
	ck_assert_int_eq(T.e.err, EMSGSIZE);
	ck_assert_int_eq(T.e.fatal, 0);
	ck_assert_uint_eq(T.e.info, 1300);
	ck_assert_int_eq(ns_route6(F.st, B6_PEER, NULL, 0, &rt), 0);
	ck_assert_uint_eq(rt.mtu, 1300);
	/* Never up (RFC 8201 4), never below 1280. */
	fx_inject(error_about(sent, ICMP6_TOO_BIG, 0, 1400));
	ck_assert_int_eq(ns_route6(F.st, B6_PEER, NULL, 0, &rt), 0);
	ck_assert_uint_eq(rt.mtu, 1300);
	fx_inject(error_about(sent, ICMP6_TOO_BIG, 0, 600));
	ck_assert_int_eq(ns_route6(F.st, B6_PEER, NULL, 0, &rt), 0);
	ck_assert_uint_eq(rt.mtu, 1280);
	ck_assert_uint_eq(T.e.info, 1280);
	ck_assert_uint_eq(ST(icmp6_pmtu_updated), 2);
	/* DF: too big now; without DF: fragmented to the path MTU. */
	ck_assert_int_eq(t_send(B6_PEER, 1400, 1), -EMSGSIZE);
	ck_assert_int_eq(t_send(B6_PEER, 1400, 0), 0);
	struct pkt *a = FX6_EXPECT(&f);
	ck_assert(f.has_frag && f.frag.m && f.frag.off == 0);
	ck_assert_uint_le(a->len - ETH_HDR_LEN, 1280);
	struct pkt *b = FX6_EXPECT(&f);
	ck_assert(f.has_frag && !f.frag.m && f.frag.off == 1232);
	pkt_unref(a);
	pkt_unref(b);
	/* RFC 8201 5.3: forgotten after 10 minutes. */
	fx_jump(601 * NS_SEC);
	fx_drain();
	ck_assert_int_eq(ns_route6(F.st, B6_PEER, NULL, 0, &rt), 0);
	ck_assert_uint_eq(rt.mtu, 1500);
	pkt_unref(sent);
}
END_TEST

START_TEST(ipv6_failed_neighbour_resolution_is_reported_to_the_transport)
{
	fx6_setup();
	t_register();
	uint8_t gone[16];
	b6_addr("fd00::9", gone);
	ck_assert_int_eq(t_send(gone, 20, 0), 0);
	/* RFC 4861 7.2.2: to the solicited-node group, with our link-layer
	 * address, from the waiting packet's source. */
	struct b_frame6 f;
	uint8_t sn[16];
	ip6_solicited_node(gone, sn);
	for (int i = 0; i < 3; i++) {
		struct pkt *p = FX6_EXPECT(&f);
		ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NS);
		ck_assert_mem_eq(f.ip.dst, sn, 16);
		ck_assert_mem_eq(f.ip.src, B6_STACK, 16);
		ck_assert_uint_eq(f.ip.hlim, 255);
		ck_assert_mem_eq(f.data, gone, 16);
		ck_assert_uint_eq(f.data[16], NDOPT_SLLA);
		ck_assert_mem_eq(f.data + 18, B_MAC_STACK, 6);
		uint8_t mac[6];
		ip6_mcast_mac(sn, mac);
		ck_assert_mem_eq(f.dst, mac, 6);
		pkt_unref(p);
		FX_EXPECT_NOTHING();
		fx_advance(NS_SEC + NS_MSEC);
	}
	ck_assert_int_eq(T.errs, 1);
	ck_assert_int_eq(T.e.err, EHOSTUNREACH);
	ck_assert_int_eq(T.e.local, 1);
	ck_assert_mem_eq(T.e.dst.v6, gone, 16);
	ck_assert_uint_eq(T.e.sport, 1111);
	ck_assert_int_eq(fx6_neigh(gone, NULL), NEIGH_FAILED);
}
END_TEST

START_TEST(ipv6_routes_link_local_needs_an_interface_and_static_routes_work)
{
	fx6_setup();
	struct ns_rt rt;
	ck_assert_int_eq(ns_route6(F.st, B6_PEER_LL, NULL, 0, &rt), -EINVAL);
	ck_assert_int_eq(ns_route6(F.st, B6_PEER_LL, NULL, F.nic, &rt), 0);
	ck_assert_int_eq(rt.nic->id, F.nic);
	ck_assert_mem_eq(rt.nexthop.v6, B6_PEER_LL, 16);
	uint8_t far[16], net[16];
	b6_addr("2001:db8::5", far);
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), -ENETUNREACH);
	b6_addr("2001:db8::", net);
	struct ns_ip dst = ip6a(net), gw = ip6a(B6_PEER);
	ck_assert_int_eq(ns_stack_add_route(F.st, &dst, 32, &gw, 0), 0);
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), 0);
	ck_assert_int_eq(rt.nic->id, F.nic);
	ck_assert_mem_eq(rt.nexthop.v6, B6_PEER, 16);
	ck_assert_mem_eq(rt.src.v6, B6_STACK, 16);
	ck_assert_int_eq(rt.local, 0);
	/* A gateway nowhere near. */
	struct ns_ip gw2 = ip6a(far);
	ck_assert_int_eq(ns_stack_add_route(F.st, &dst, 48, &gw2, 0), -ENETUNREACH);
	ck_assert_int_eq(ns_stack_del_route(F.st, &dst, 32), 0);
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), -ENETUNREACH);
	/* Our own addresses and ::1 go through loopback. */
	static const uint8_t lo[16] = { [15] = 1 };
	ck_assert_int_eq(ns_route6(F.st, B6_STACK, NULL, 0, &rt), 0);
	ck_assert(rt.local && (rt.nic->caps & NS_LINK_CAP_LOOPBACK));
	ck_assert_mem_eq(rt.src.v6, B6_STACK, 16);
	ck_assert_int_eq(ns_route6(F.st, lo, NULL, 0, &rt), 0);
	ck_assert_mem_eq(rt.src.v6, lo, 16);
}
END_TEST

START_TEST(ipv6_loopback_delivers_to_ourselves)
{
	fx6_setup();
	t_register();
	static const uint8_t lo[16] = { [15] = 1 };
	ck_assert_int_eq(t_send(lo, 30, 0), 0);
	ck_assert_int_eq(t_send(B6_STACK, 30, 0), 0);
	fx_poll();
	ck_assert_int_eq(T.inputs, 2);
	ck_assert_mem_eq(T.l3.src.v6, B6_STACK, 16);
	ck_assert_mem_eq(T.l3.dst.v6, B6_STACK, 16);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(ipv6_icmp_errors_are_rate_limited_with_icmpv4)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	static const uint8_t junk[8];
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = 253 };
	for (int i = 0; i < 60; i++)
		fx_inject(b6_ip(&h, junk, sizeof(junk)));
	ck_assert_int_eq(fx_drain(), 50);
	ck_assert_uint_eq(ST(icmp6_err_rate_limited), 10);
	/* The bucket is ICMPv4's too: empty for IPv4 now. */
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	fx_inject(b_udp4(B_IP_PEER, 1, B_IP_STACK, 9, junk, 4));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(icmp_err_rate_limited), 1);
	fx_advance(NS_SEC);
	fx_inject(b6_ip(&h, junk, sizeof(junk)));
	ck_assert_int_eq(fx_drain(), 1);
}
END_TEST

START_TEST(ipv6_no_error_about_an_icmpv6_error_or_from_an_unspecified_source)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	/* An ICMPv6 error behind an option that asks for a Parameter Problem. */
	uint8_t opt[4] = { 0x9e, 2, 0, 0 };
	uint8_t ext[8];
	size_t n = b6_ext_opts(ext, IP6_NH_ICMPV6, opt, sizeof(opt));
	static uint8_t icmp[64];
	static const uint8_t q[48];
	size_t m = b6_icmp_bytes(icmp, B6_PEER, B6_STACK, ICMP6_UNREACH, 0, 0, q, sizeof(q));
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = IP6_NH_DSTOPTS, .ext = ext,
			   .extlen = n };
	fx_inject(b6_ip(&h, icmp, m));
	/* A packet from :: with an unknown next header. */
	struct b_ip6 g = { .src = B6_UNSPEC, .dst = B6_STACK, .nxt = 253 };
	fx_inject(b6_ip(&g, q, 8));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(icmp6_err_suppressed), 2);
}
END_TEST

START_TEST(ipv6_echo_request_from_the_unspecified_address_is_not_answered)
{
	fx6_setup();
	/* A default route: the reply to :: followed it onto the wire. */
	struct ns_ip any = ip6a(B6_UNSPEC), gw = ip6a(B6_PEER_LL);
	ck_assert_int_eq(ns_stack_add_route(F.st, &any, 0, &gw, F.nic), 0);
	fx_inject(b6_ping(B6_UNSPEC, B6_STACK, 7, 1, 8));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(icmp6_echo_rx), 1);
	ck_assert_uint_eq(ST(ip6_tx_no_route), 1);
	/* RFC 4291 2.5.2: :: is never a destination. */
	struct ns_rt rt;
	ck_assert_int_eq(ns_route6(F.st, B6_UNSPEC, NULL, 0, &rt), -ENETUNREACH);
}
END_TEST

START_TEST(ipv6_udp_route_and_error_failures_are_counted_as_ipv6)
{
	fx6_setup();
	struct ns_socket *u;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, 0, &u), 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	b6_addr("2001:db8::1", sa.sin6_addr.s6_addr);
	ck_assert_int_eq(ns_sendto(u, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), -ENETUNREACH);
	ck_assert_uint_eq(ST(ip6_tx_no_route), 1);
	ck_assert_uint_eq(ST(ip4_tx_no_route), 0);
	ns_close(u);
	/* An ICMPv6 error about a UDP datagram no socket sent. */
	uint8_t q[IP6_HDR_LEN + UDP_HDR_LEN];
	struct ip6_repr ip = { .plen = UDP_HDR_LEN, .nxt = IPPROTO_UDP_, .hlim = 64 };
	memcpy(ip.src, B6_STACK, 16);
	memcpy(ip.dst, B6_PEER, 16);
	ip6_emit(q, &ip);
	b6_udp_bytes(q + IP6_HDR_LEN, B6_STACK, 1234, B6_PEER, 53, NULL, 0);
	fx_inject(b6_icmp(B6_PEER, B6_STACK, 64, ICMP6_UNREACH, ICMP6_UNREACH_PORT, 0, q, sizeof(q)));
	ck_assert_uint_eq(ST(icmp6_err_no_socket), 1);
	ck_assert_uint_eq(ST(icmp_err_no_socket), 0);
}
END_TEST

START_TEST(ipv6_tcp_segment_without_a_route_is_counted_as_ipv6)
{
	fx6_setup();
	uint8_t net[16];
	b6_addr("2001:db8::", net);
	struct ns_ip dst = ip6a(net), gw = ip6a(B6_PEER);
	ck_assert_int_eq(ns_stack_add_route(F.st, &dst, 32, &gw, 0), 0);
	struct ns_socket *t;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_STREAM, 0, &t), 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	b6_addr("2001:db8::1", sa.sin6_addr.s6_addr);
	ck_assert_int_eq(ns_connect(t, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	/* The route goes away; the SYN's retransmission finds none. */
	ck_assert_int_eq(ns_stack_del_route(F.st, &dst, 32), 0);
	fx_advance(3 * NS_SEC);
	ck_assert_uint_ge(ST(ip6_tx_no_route), 1);
	ck_assert_uint_eq(ST(ip4_tx_no_route), 0);
	ns_close(t);
}
END_TEST

/* RFC 3542 6: extension headers given as a send's control messages go
 * in that datagram only, in place of all the sticky ones (Linux), also
 * for a corked datagram; a caller without CAP_NET_RAW is refused. */
static ssize_t send_with_ext(struct ns_socket *u, const struct sockaddr_in6 *sa, int type, const uint8_t *h,
			     size_t hl, int flags)
{
	union {
		char b[64];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_name = (void *)sa, .msg_namelen = sizeof(*sa), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = CMSG_SPACE(hl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(hl);
	memcpy(CMSG_DATA(c), h, hl);
	return ns_sendmsg(u, &m, flags);
}

START_TEST(ipv6_udp_send_extension_headers_replace_the_sticky_ones)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	struct ns_socket *u;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, 0, &u), 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	memcpy(sa.sin6_addr.s6_addr, B6_PEER, 16);
	static const uint8_t pad8[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_HOPOPTS, pad8, sizeof(pad8)), 0);
	ck_assert_int_eq(send_with_ext(u, &sa, IPV6_DSTOPTS, pad8, sizeof(pad8), 0), 1);
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.next, 1);
	ck_assert_uint_eq(f.ext[0], IP6_NH_DSTOPTS);
	ck_assert_uint_eq(f.nxt, IPPROTO_UDP_);
	pkt_unref(p);
	/* without: the sticky one */
	ck_assert_int_eq(ns_sendto(u, "y", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.next, 1);
	ck_assert_uint_eq(f.ext[0], IP6_NH_HOPOPTS);
	pkt_unref(p);
	/* a corked datagram keeps its first send's headers */
	ck_assert_int_eq(send_with_ext(u, &sa, IPV6_RTHDRDSTOPTS, pad8, sizeof(pad8), MSG_MORE), 1);
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(ns_sendto(u, "z", 1, 0, NULL, 0), 1);
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.next, 0); /* (a routing header's options: none goes) */
	ck_assert_uint_eq(f.data_len, 2);
	pkt_unref(p);
	struct ns_caller nobody = { .tid = 1 };
	ns_socket_set_caller(u, &nobody);
	ck_assert_int_eq(send_with_ext(u, &sa, IPV6_HOPOPTS, pad8, sizeof(pad8), 0), -EPERM);
	ck_assert_int_eq(send_with_ext(u, &sa, IPV6_HOPOPTS, pad8, 4, 0), -EINVAL);
	static const uint8_t rt0[8] = { 0 };
	ck_assert_int_eq(send_with_ext(u, &sa, IPV6_RTHDR, rt0, sizeof(rt0), 0), -EINVAL);
	FX_EXPECT_NOTHING();
	ns_close(u);
}
END_TEST

/* RFC 2292 5: IPV6_2292PKTOPTIONS sets the sticky headers from a buffer
 * of control messages, all of them at once; an error changes nothing; an
 * empty buffer clears them. */
START_TEST(ipv6_pktoptions_set_replaces_the_sticky_headers)
{
	fx6_setup();
	struct ns_socket *u;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, 0, &u), 0);
	static const uint8_t pad8[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_HOPOPTS, pad8, sizeof(pad8)), 0);
	union {
		char b[64];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct cmsghdr *c = (struct cmsghdr *)ctl.b;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_DSTOPTS;
	c->cmsg_len = CMSG_LEN(sizeof(pad8));
	memcpy(CMSG_DATA(c), pad8, sizeof(pad8));
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, ctl.b, CMSG_SPACE(sizeof(pad8))), 0);
	uint8_t got[16];
	socklen_t gl = sizeof(got);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_HOPOPTS, got, &gl), 0);
	ck_assert_uint_eq(gl, 0);
	gl = sizeof(got);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_DSTOPTS, got, &gl), 0);
	ck_assert_uint_eq(gl, 8);
	/* a routing header: refused, the headers stay */
	c->cmsg_type = IPV6_RTHDR;
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, ctl.b, CMSG_SPACE(sizeof(pad8))),
			 -EINVAL);
	gl = sizeof(got);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_DSTOPTS, got, &gl), 0);
	ck_assert_uint_eq(gl, 8);
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, NULL, 0), 0);
	gl = sizeof(got);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_DSTOPTS, got, &gl), 0);
	ck_assert_uint_eq(gl, 0);
	/* (read on UDP: Linux's is TCP's only) */
	gl = sizeof(got);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, got, &gl), -ENOPROTOOPT);
	ns_close(u);
}
END_TEST

/* IPV6_FLOWLABEL_MGR: an exclusive lease makes the labels other sockets
 * send refused (Linux), also while it lingers after its holder closed,
 * and until a second after it went. */
static int fl_lease(struct ns_socket *u, uint32_t label, uint8_t share, uint16_t secs)
{
	uint8_t q[32];
	memset(q, 0, sizeof(q));
	memcpy(q, B6_PEER, 16);
	uint32_t be = htonl(label);
	memcpy(q + 16, &be, 4);
	q[21] = share;
	q[22] = 1; /* IPV6_FL_F_CREATE */
	memcpy(q + 24, &secs, 2);
	memcpy(q + 26, &secs, 2);
	return ns_setsockopt(u, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, q, sizeof(q));
}

static ssize_t send_label(struct ns_socket *u, uint32_t label)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_flowinfo = htonl(label) };
	memcpy(sa.sin6_addr.s6_addr, B6_PEER, 16);
	ssize_t n = ns_sendto(u, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (n > 0) {
		/* (past the neighbour probes the clock's steps bring) */
		struct b_frame6 f;
		struct pkt *p;
		while ((p = FX6_EXPECT(&f)) && f.nxt != IPPROTO_UDP_)
			pkt_unref(p);
		ck_assert_uint_eq(f.ip.flow, label);
		pkt_unref(p);
	}
	return n;
}

START_TEST(ipv6_exclusive_flow_label_lease_refuses_other_labels_until_it_expires)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	struct ns_socket *u1, *u2;
	int on = 1;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, 0, &u1), 0);
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, 0, &u2), 0);
	ck_assert_int_eq(ns_setsockopt(u1, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, &on, sizeof(on)), 0);
	ck_assert_int_eq(ns_setsockopt(u2, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, &on, sizeof(on)), 0);
	ck_assert_int_eq(send_label(u2, 0x54321), 1); /* (no exclusive lease yet) */
	ck_assert_int_eq(fl_lease(u2, 0x11111, 255, 6), 0);
	ck_assert_int_eq(send_label(u2, 0x54321), 1); /* (a shared one changes nothing) */
	ck_assert_int_eq(fl_lease(u1, 0x12345, 1, 6), 0);
	ck_assert_int_eq(fl_lease(u2, 0x12345, 1, 6), -EPERM);
	ck_assert_int_eq(send_label(u2, 0x54321), -EINVAL);
	ck_assert_int_eq(send_label(u2, 0x12345), -EINVAL);
	ck_assert_int_eq(send_label(u2, 0x11111), 1);
	ck_assert_int_eq(send_label(u1, 0x12345), 1);
	ns_close(u1);
	/* it lingers 6 s, then the check stays a second more */
	fx_advance(5 * NS_SEC);
	ck_assert_int_eq(send_label(u2, 0x54321), -EINVAL);
	fx_advance(NS_SEC + NS_SEC / 2);
	ck_assert_int_eq(send_label(u2, 0x54321), -EINVAL);
	fx_advance(NS_SEC);
	ck_assert_int_eq(send_label(u2, 0x54321), 1);
	ns_close(u2);
}
END_TEST

START_TEST(ipv6_udp_errors_and_original_destination_reach_the_application)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	struct ns_socket *u;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, 0, &u), 0);
	int on = 1;
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)), 0);
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, &on, sizeof(on)), 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	memcpy(sa.sin6_addr.s6_addr, B6_PEER, 16);
	ck_assert_int_eq(ns_sendto(u, "hello6", 6, 0, (struct sockaddr *)&sa, sizeof(sa)), 6);
	struct b_frame6 f;
	struct pkt *sent = FX6_EXPECT(&f);
	fx_inject(error_about(sent, ICMP6_UNREACH, ICMP6_UNREACH_PORT, 0));
	pkt_unref(sent);
	ck_assert(ns_socket_poll(u) & POLLERR);

	char buf[16];
	struct sockaddr_in6 name;
	union {
		char b[256];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &name, .msg_namelen = sizeof(name), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	ck_assert_int_eq(ns_recvmsg(u, &m, MSG_ERRQUEUE), 6);
	ck_assert_mem_eq(buf, "hello6", 6);
	ck_assert(m.msg_flags & MSG_ERRQUEUE);
	ck_assert_mem_eq(name.sin6_addr.s6_addr, B6_PEER, 16);
	ck_assert_uint_eq(ntohs(name.sin6_port), 9);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_level, IPPROTO_IPV6);
	ck_assert_int_eq(c->cmsg_type, IPV6_RECVERR);
	ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6)));
	struct sock_extended_err ee;
	struct sockaddr_in6 off;
	memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	memcpy(&off, CMSG_DATA(c) + sizeof(ee), sizeof(off));
	ck_assert_uint_eq(ee.ee_errno, ECONNREFUSED);
	ck_assert_uint_eq(ee.ee_origin, SO_EE_ORIGIN_ICMP6);
	ck_assert_uint_eq(ee.ee_type, ICMP6_UNREACH);
	ck_assert_uint_eq(ee.ee_code, ICMP6_UNREACH_PORT);
	ck_assert_int_eq(off.sin6_family, AF_INET6);
	ck_assert_mem_eq(off.sin6_addr.s6_addr, B6_PEER, 16);
	ck_assert(!(ns_socket_poll(u) & POLLERR));

	/* A datagram for us: IPV6_ORIGDSTADDR names our address and port. */
	struct sockaddr_in6 me;
	socklen_t ml = sizeof(me);
	ck_assert_int_eq(ns_getsockname(u, (struct sockaddr *)&me, &ml), 0);
	uint8_t d[UDP_HDR_LEN + 2];
	size_t n = b6_udp_bytes(d, B6_PEER, 9, B6_STACK, ntohs(me.sin6_port), "in", 2);
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = IPPROTO_UDP_ };
	fx_inject(b6_ip(&h, d, n));
	m.msg_namelen = sizeof(name);
	m.msg_controllen = sizeof(ctl.b);
	ck_assert_int_eq(ns_recvmsg(u, &m, 0), 2);
	c = CMSG_FIRSTHDR(&m);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_type, IPV6_ORIGDSTADDR);
	struct sockaddr_in6 od;
	memcpy(&od, CMSG_DATA(c), sizeof(od));
	ck_assert_int_eq(od.sin6_family, AF_INET6);
	ck_assert_mem_eq(od.sin6_addr.s6_addr, B6_STACK, 16);
	ck_assert_uint_eq(od.sin6_port, me.sin6_port);
	ns_close(u);
}
END_TEST

START_TEST(ipv6_source_selection_prefers_the_destination_scope)
{
	fx6_setup();
	uint8_t ll[16], ula2[16], out[16];
	b6_addr("fe80::2", ll);
	b6_addr("fd00:1::2", ula2);
	struct ns_ip a = ip6a(ll), b = ip6a(ula2);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &a, 64), 0);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &b, 64), 0);
	struct ns_nic *nic = ns_nic_get(F.st, F.nic);
	ck_assert_int_eq(ip6_select_src(F.st, nic, B6_PEER_LL, out), 0);
	ck_assert_mem_eq(out, ll, 16);
	ck_assert_int_eq(ip6_select_src(F.st, nic, B6_PEER, out), 0);
	ck_assert_mem_eq(out, B6_STACK, 16); /* longest matching prefix */
	uint8_t d1[16];
	b6_addr("fd00:1::77", d1);
	ck_assert_int_eq(ip6_select_src(F.st, nic, d1, out), 0);
	ck_assert_mem_eq(out, ula2, 16);
	/* Removing an address removes its connected route. */
	struct ns_rt rt;
	ck_assert_int_eq(ns_route6(F.st, d1, NULL, 0, &rt), 0);
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &b), 0);
	ck_assert_int_eq(ns_route6(F.st, d1, NULL, 0, &rt), -ENETUNREACH);
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &b), -EADDRNOTAVAIL);
	/* Addresses that make no sense are refused. */
	static const uint8_t lo[16] = { [15] = 1 };
	struct ns_ip bad = ip6a(B6_ALL_NODES);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &bad, 64), -EINVAL);
	bad = ip6a(lo);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &bad, 128), -EINVAL);
	bad = ip6a(B6_STACK);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &bad, 64), -EEXIST);
}
END_TEST

/* The sysctl name of the channel's key under net.ipv6.conf. */
static void conf_name(char *buf, size_t len, const char *key)
{
	struct ns_nic_info ni;
	ck_assert_int_eq(ns_stack_nic_info(F.st, F.nic, &ni), 0);
	snprintf(buf, len, "ipv6/conf/%s/%s", ni.name, key);
}

/* The hop limit and flow label of a UDP datagram u sends to dst. */
static void udp6_sent(struct ns_socket *u, const uint8_t dst[16], size_t len, struct ip6_repr *out)
{
	static char data[1400];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_scope_id = (uint32_t)F.nic };
	memcpy(sa.sin6_addr.s6_addr, dst, 16);
	ck_assert_int_eq(ns_sendto(u, data, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (int)len);
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	*out = f.ip;
	pkt_unref(p);
	while ((p = fx6_take(&f)))
		pkt_unref(p);
}

START_TEST(ipv6_conf_sysctls_act_on_their_interface_and_new_sockets)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	char name[64], buf[32];
	struct ip6_repr ip;
	struct ns_socket *u;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_DGRAM, 0, &u), 0);
	udp6_sent(u, B6_PEER, 1, &ip);
	ck_assert_uint_eq(ip.hlim, 64);

	/* hop_limit: Linux's proc_dointvec, 1..255; the interface's is on
	 * the wire, all's is what IPV6_UNICAST_HOPS reads */
	conf_name(name, sizeof(name), "hop_limit");
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "0", 1), -EINVAL);
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "256", 3), -EINVAL);
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "7x", 2), -EINVAL);
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "", 0), 0);
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "7 junk", 6), 2);
	ck_assert_int_eq(ns_sysctl_read(F.st, name, buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "7\n", 2);
	udp6_sent(u, B6_PEER, 1, &ip);
	ck_assert_uint_eq(ip.hlim, 7);
	int v;
	socklen_t vl = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &vl), 0);
	ck_assert_int_eq(v, 64);
	ck_assert_int_eq(ns_sysctl_write(F.st, "ipv6/conf/all/hop_limit", "9", 1), 1);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &vl), 0);
	ck_assert_int_eq(v, 9);

	/* multicast: IPV6_MULTICAST_HOPS (1 by default), not the unicast's */
	uint8_t group[16];
	b6_addr("ff02::1:3", group);
	udp6_sent(u, group, 1, &ip);
	ck_assert_uint_eq(ip.hlim, 1);
	v = 5;
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &v, sizeof(v)), 0);
	udp6_sent(u, group, 1, &ip);
	ck_assert_uint_eq(ip.hlim, 5);

	/* IPV6_AUTOFLOWLABEL 0: flow label 0 */
	v = 0;
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &v, sizeof(v)), 0);
	udp6_sent(u, B6_PEER, 1, &ip);
	ck_assert_uint_eq(ip.flow, 0);

	/* mtu: 1280 up to the link's; a datagram above it goes in fragments,
	 * or (IPV6_DONTFRAG) not at all */
	conf_name(name, sizeof(name), "mtu");
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "1279", 4), -EINVAL);
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "1501", 4), -EINVAL);
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "1280", 4), 4);
	struct b_frame6 f;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	memcpy(sa.sin6_addr.s6_addr, B6_PEER, 16);
	static char big[1400];
	ck_assert_int_eq(ns_sendto(u, big, sizeof(big), 0, (struct sockaddr *)&sa, sizeof(sa)), (int)sizeof(big));
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert(f.has_frag);
	pkt_unref(p);
	while ((p = fx6_take(&f)))
		pkt_unref(p);
	v = 1;
	ck_assert_int_eq(ns_setsockopt(u, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v)), 0);
	ck_assert_int_eq(ns_sendto(u, big, sizeof(big), 0, (struct sockaddr *)&sa, sizeof(sa)), -EMSGSIZE);
	ns_close(u);

	/* bindv6only: the IPV6_V6ONLY of new IPv6 sockets */
	ck_assert_int_eq(ns_sysctl_write(F.st, "ipv6/bindv6only", "256", 3), -EINVAL);
	ck_assert_int_eq(ns_sysctl_write(F.st, "ipv6/bindv6only", "1", 1), 1);
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_STREAM, 0, &u), 0);
	ck_assert_int_eq(ns_getsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl), 0);
	ck_assert_int_eq(v, 1);
	ns_close(u);

	/* disable_ipv6: the interface's addresses go, its packets are
	 * dropped; turned on again, it starts as a new interface (the
	 * address an administrator added stays gone, as on Linux) */
	conf_name(name, sizeof(name), "disable_ipv6");
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "1", 1), 1);
	ck_assert_int_lt(fx6_state(B6_STACK), 0);
	uint64_t dropped = ST(ip6_drop_disabled);
	fx_inject(b6_ping(B6_PEER, B6_STACK, 7, 1, 8));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip6_drop_disabled), dropped + 1);
	ck_assert_int_eq(ns_sysctl_write(F.st, name, "0", 1), 1);
	ck_assert_int_lt(fx6_state(B6_STACK), 0);

	ck_assert_int_eq(ns_sysctl_read(F.st, "ipv6/conf/nosuch/mtu", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(ns_sysctl_read(F.st, "ipv6/conf/all/nosuch", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(ns_sysctl_read(F.st, "ipv6/conf/default/accept_dad", buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "1\n", 2);
}
END_TEST

Suite *ipv6_suite(void)
{
	Suite *s = unit_suite("ipv6");
	ADD_FX(s, ipv6_echo_request_is_answered_with_the_same_data);
	ADD_FX(s, ipv6_packet_for_another_address_is_dropped_and_counted);
	ADD_FX(s, ipv6_tentative_address_takes_no_traffic_until_dad_passes);
	ADD_FX(s, ipv6_malformed_headers_are_dropped_and_counted);
	ADD_FX(s, ipv6_martian_addresses_are_dropped);
	ADD_FX(s, ipv6_echo_to_all_nodes_is_answered_from_a_unicast_address);
	ADD_FX(s, ipv6_padding_options_are_walked_over);
	ADD_FX(s, ipv6_unknown_option_action_bits_decide_the_answer);
	ADD_FX(s, ipv6_hop_by_hop_after_another_header_is_an_unknown_next_header);
	ADD_FX(s, ipv6_unknown_next_header_gets_parameter_problem_at_the_naming_field);
	ADD_FX(s, ipv6_routing_header_with_segments_left_is_refused);
	ADD_FX(s, ipv6_no_next_header_and_truncated_headers_are_dropped_silently);
	ADD_FX(s, ipv6_transport_gets_ipv6_addresses_and_the_header_offsets);
	ADD_FX(s, ipv6_icmp_errors_about_our_packets_reach_the_transport);
	ADD_FX(s, ipv6_packet_too_big_lowers_the_path_mtu_for_ten_minutes);
	ADD_FX(s, ipv6_failed_neighbour_resolution_is_reported_to_the_transport);
	ADD_FX(s, ipv6_routes_link_local_needs_an_interface_and_static_routes_work);
	ADD_FX(s, ipv6_loopback_delivers_to_ourselves);
	ADD_FX(s, ipv6_icmp_errors_are_rate_limited_with_icmpv4);
	ADD_FX(s, ipv6_no_error_about_an_icmpv6_error_or_from_an_unspecified_source);
	ADD_FX(s, ipv6_echo_request_from_the_unspecified_address_is_not_answered);
	ADD_FX(s, ipv6_udp_route_and_error_failures_are_counted_as_ipv6);
	ADD_FX(s, ipv6_tcp_segment_without_a_route_is_counted_as_ipv6);
	ADD_FX(s, ipv6_udp_send_extension_headers_replace_the_sticky_ones);
	ADD_FX(s, ipv6_pktoptions_set_replaces_the_sticky_headers);
	ADD_FX(s, ipv6_exclusive_flow_label_lease_refuses_other_labels_until_it_expires);
	ADD_FX(s, ipv6_udp_errors_and_original_destination_reach_the_application);
	ADD_FX(s, ipv6_source_selection_prefers_the_destination_scope);
	ADD_FX(s, ipv6_conf_sysctls_act_on_their_interface_and_new_sockets);
	return s;
}
