/*
 * frag6: IPv6 fragments (RFC 8200 4.5) on the shared reassembly engine:
 * order, duplicates, overlaps (RFC 5722), atomic fragments (RFC 6946), the
 * first fragment's header chain (RFC 7112), the length checks with their
 * Parameter Problems, the timeout with its Time Exceeded, the settable
 * timeouts of both families, limits, and fragmentation on output.
 *
 * The datagram is an ICMPv6 echo request, so a complete reassembly is seen
 * as the echo reply.
 */
#include "fx6.h"

static uint8_t dgram[70000]; /* what follows the Fragment header */
static size_t dgram_len;

/* An echo request (id 0x6060, seq) with `len` bytes of pattern data. */
static void make_echo(uint16_t seq, size_t len)
{
	static uint8_t data[70000];
	b_pattern(data, len, seq);
	dgram_len = b6_icmp_bytes(dgram, B6_PEER, B6_STACK, ICMP6_ECHO_REQ, 0, (0x6060u << 16) | seq,
				  data, len);
}

static void frag(uint32_t id, uint32_t off, uint32_t len, int more)
{
	fx_inject(b6_frag(B6_PEER, B6_STACK, id, IP6_NH_ICMPV6, dgram, off, len, more));
}

/* Piece i of the datagram cut in `step` bytes (a multiple of 8). */
static void piece(uint32_t id, uint32_t step, uint32_t i)
{
	uint32_t off = i * step;
	uint32_t len = (uint32_t)NS_MIN((size_t)step, dgram_len - off);
	frag(id, off, len, off + len < dgram_len);
}

static uint32_t npieces(uint32_t step)
{
	return (uint32_t)((dgram_len + step - 1) / step);
}

/* The echo reply for seq with the whole data, possibly fragmented itself:
 * reassembled here from what the stack sent. */
static void expect_reply(uint16_t seq)
{
	static uint8_t got[70000], want[70000];
	size_t data_len = dgram_len - ICMP6_HDR_LEN;
	size_t have = 0, total = 0;
	struct b_frame6 f;
	struct pkt *p;
	while ((p = fx6_take(&f))) {
		ck_assert(f.is_ip6 && f.payload_len_ok);
		ck_assert_uint_le(p->len - ETH_HDR_LEN, 1500);
		const uint8_t *d = f.has_frag ? pkt_data(p) + ETH_HDR_LEN + f.ext_off[0] + 8 : f.l4;
		uint32_t n = (uint32_t)(p->len - (d - pkt_data(p)));
		uint32_t off = f.has_frag ? f.frag.off : 0;
		ck_assert_uint_le(off + n, sizeof(got));
		memcpy(got + off, d, n);
		have += n;
		if (!f.has_frag || !f.frag.m)
			total = off + n;
		pkt_unref(p);
	}
	ck_assert_uint_eq(total, dgram_len);
	ck_assert_uint_eq(have, total);
	ck_assert_uint_eq(got[0], ICMP6_ECHO_REP);
	ck_assert_uint_eq(ns_rd32(got + 4), (0x6060u << 16) | seq);
	b_pattern(want, data_len, seq);
	ck_assert_mem_eq(got + ICMP6_HDR_LEN, want, data_len);
	uint32_t sum = ns_csum_pseudo6(B6_STACK, B6_PEER, IP6_NH_ICMPV6, (uint32_t)total);
	ck_assert_uint_eq(ns_csum_fold(ns_csum_add(sum, got, (uint32_t)total)), 0);
}

/* Drain what the stack sent; how many were ICMPv6 of `type`. (Neighbour
 * unreachability probes come and go with the clock.) */
static int count_type(uint8_t type)
{
	struct b_frame6 f;
	struct pkt *p;
	int n = 0;
	while ((p = fx6_take(&f))) {
		n += f.is_ip6 && f.nxt == IP6_NH_ICMPV6 && f.icmp_type == type;
		pkt_unref(p);
	}
	return n;
}

static void setup(void)
{
	fx6_setup();
	fx6_learn_peer(B6_PEER, B_MAC_PEER);
	fx_inject(b6_na(B6_PEER, B6_STACK, B6_PEER, 0x60, B_MAC_PEER));
}

START_TEST(frag6_in_order_and_out_of_order_reassemble_once)
{
	setup();
	make_echo(1, 3000);
	for (uint32_t i = 0; i < npieces(1232); i++) {
		FX_EXPECT_NOTHING();
		piece(1, 1232, i);
	}
	expect_reply(1);
	make_echo(2, 5000);
	for (uint32_t i = npieces(1024); i-- > 0;)
		piece(2, 1024, i);
	expect_reply(2);
	ck_assert_uint_eq(ST(ip6_reasm_ok), 2);
	ck_assert_uint_eq(ST(ip6_reasm_frags), 3 + 5);
	ck_assert_uint_eq(ST(ip6_reasm_frags_merged), 3 + 5);
	ck_assert_uint_eq(ST(ip4_reasm_frags), 0);
}
END_TEST

START_TEST(frag6_duplicates_and_subsets_are_ignored)
{
	setup();
	make_echo(3, 1000);
	frag(3, 0, 400, 1);
	frag(3, 400, 400, 1);
	frag(3, 0, 400, 1);   /* duplicate */
	frag(3, 200, 400, 1); /* inside what we hold */
	frag(3, 800, (uint32_t)dgram_len - 800, 0);
	expect_reply(3);
	ck_assert_uint_eq(ST(ip6_reasm_dup), 2);
}
END_TEST

START_TEST(frag6_overlap_discards_the_datagram)
{
	setup();
	make_echo(4, 1000);
	frag(4, 0, 400, 1);
	frag(4, 256, 400, 1);
	ck_assert_uint_eq(ST(ip6_reasm_overlap), 1);
	frag(4, 656, (uint32_t)dgram_len - 656, 0);
	frag(4, 0, 400, 1);
	FX_EXPECT_NOTHING();
	/* RFC 5722 4: what was held is gone, so the fragments that follow
	 * make a new queue that cannot complete; it had a first fragment, so
	 * its timeout is reported (RFC 8200 4.5). */
	fx_advance(61 * NS_SEC);
	ck_assert_uint_eq(ST(ip6_reasm_timeout), 1);
	ck_assert_uint_eq(ST(ip6_reasm_ok), 0);
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_TIME_EXCEED);
	pkt_unref(p);
}
END_TEST

START_TEST(frag6_timeout_sends_time_exceeded_quoting_the_first_fragment)
{
	setup();
	make_echo(5, 2000);
	piece(5, 1232, 0);
	fx_advance(59 * NS_SEC);
	FX_EXPECT_NOTHING();
	fx_advance(2 * NS_SEC);
	ck_assert_uint_eq(ST(ip6_reasm_timeout), 1);
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_TIME_EXCEED);
	ck_assert_uint_eq(f.icmp_code, ICMP6_EXC_FRAGTIME);
	ck_assert_mem_eq(f.ip.dst, B6_PEER, 16);
	/* The quote: the first fragment, IPv6 and Fragment headers first,
	 * as much as fits in 1280 bytes. */
	ck_assert_uint_eq(f.data[6], IP6_NH_FRAGMENT);
	ck_assert_mem_eq(f.data + 8, B6_PEER, 16);
	ck_assert_uint_eq(f.data_len, 1280 - 48);
	ck_assert_mem_eq(f.data + 48, dgram, 1280 - 96);
	ck_assert_uint_le(p->len - ETH_HDR_LEN, 1280);
	pkt_unref(p);
	/* Without the first fragment, nothing is sent (RFC 8200 4.5). */
	piece(6, 1232, 1);
	fx_advance(61 * NS_SEC);
	ck_assert_uint_eq(ST(ip6_reasm_timeout), 2);
	ck_assert_int_eq(count_type(ICMP6_TIME_EXCEED), 0);
	ck_assert_uint_eq(ST(ip6_reasm_frags_dropped), 2);
}
END_TEST

START_TEST(frag6_reassembly_timeouts_are_settable_for_both_families)
{
	setup();
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.reasm_timeout_ms", "5000"), 0);
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip4.reasm_timeout_ms", "2000"), 0);
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.reasm_timeout_ms", "0"), -EINVAL);
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.reasm_timeout_ms", "x"), -EINVAL);
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip4.nonsense", "1"), -ENOENT);
	make_echo(7, 2000);
	piece(7, 1232, 0);
	static const uint8_t junk[16];
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_, .id = 9,
			   .mf = 1 };
	fx_inject(b_ip4(&h, junk, sizeof(junk)));
	fx_advance(2 * NS_SEC + NS_MSEC);
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 1);
	ck_assert_uint_eq(ST(ip6_reasm_timeout), 0);
	fx_advance(3 * NS_SEC);
	ck_assert_uint_eq(ST(ip6_reasm_timeout), 1);
	fx_drain();
}
END_TEST

START_TEST(frag6_bad_lengths_get_parameter_problems)
{
	setup();
	make_echo(8, 1000);
	/* Not the last, not a multiple of 8: pointer at Payload Length. */
	frag(8, 0, 53, 1);
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_PARAMPROB);
	ck_assert_uint_eq(f.icmp_code, ICMP6_PP_HEADER);
	ck_assert_uint_eq(f.icmp_rest, 4);
	pkt_unref(p);
	/* Past 65535: pointer at the Fragment Offset (40 + 2). */
	static uint8_t big[65552];
	fx_inject(b6_frag(B6_PEER, B6_STACK, 9, IP6_NH_ICMPV6, big, 65528, 16, 0));
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_PARAMPROB);
	ck_assert_uint_eq(f.icmp_rest, 42);
	pkt_unref(p);
	ck_assert_uint_eq(ST(ip6_reasm_bad_len), 2);
	ck_assert_uint_eq(ST(ip6_reasm_frags), 2);
	ck_assert_uint_eq(ST(ip6_reasm_frags_dropped), 2);
	/* Two last fragments that disagree: dropped, no answer. */
	frag(10, 800, (uint32_t)dgram_len - 800, 0);
	frag(10, 400, 400, 0);
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip6_reasm_bad_len), 3);
}
END_TEST

START_TEST(frag6_atomic_fragment_is_processed_alone)
{
	setup();
	make_echo(11, 600);
	/* A pending datagram with the same identification... */
	frag(11, 0, 400, 1);
	/* ... does not swallow an atomic fragment (RFC 6946 4). */
	make_echo(12, 40);
	frag(11, 0, (uint32_t)dgram_len, 0);
	expect_reply(12);
	ck_assert_uint_eq(ST(ip6_frag_atomic), 1);
	ck_assert_uint_eq(ST(ip6_reasm_frags), 1);
	fx_advance(61 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(frag6_first_fragment_must_hold_the_header_chain)
{
	setup();
	/* RFC 7112: the first fragment ends inside a Destination Options
	 * header that comes after the Fragment header. */
	static uint8_t d[64];
	d[0] = IP6_NH_ICMPV6;
	d[1] = 3; /* 32 bytes */
	fx_inject(b6_frag(B6_PEER, B6_STACK, 13, IP6_NH_DSTOPTS, d, 0, 16, 1));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_PARAMPROB);
	ck_assert_uint_eq(f.icmp_code, ICMP6_PP_CHAIN);
	ck_assert_uint_eq(f.icmp_rest, 0);
	pkt_unref(p);
	/* Or too short for the ICMPv6 header. */
	d[0] = 0;
	fx_inject(b6_frag(B6_PEER, B6_STACK, 14, IP6_NH_ICMPV6, d, 0, 0, 1));
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_code, ICMP6_PP_CHAIN);
	pkt_unref(p);
	ck_assert_uint_eq(ST(ip6_drop_frag_hdr_chain), 2);
	ck_assert_uint_eq(ST(ip6_reasm_frags), 0);
}
END_TEST

START_TEST(frag6_unfragmentable_part_and_next_header_come_from_the_first_fragment)
{
	setup();
	make_echo(15, 1000);
	/* The first fragment carries a Hop-by-Hop header; the later ones
	 * do not, and claim another Next Header (RFC 8200 4.5: only the
	 * first fragment's counts). */
	static const uint8_t pad[] = { 1, 2, 0, 0 };
	uint8_t ext[16];
	size_t n = b6_ext_opts(ext, IP6_NH_FRAGMENT, pad, sizeof(pad));
	n += b6_ext_frag(ext + n, IP6_NH_ICMPV6, 0, 1, 15);
	struct b_ip6 h = { .src = B6_PEER, .dst = B6_STACK, .nxt = IP6_NH_HOPOPTS, .ext = ext,
			   .extlen = n };
	fx_inject(b6_ip(&h, dgram, 504));
	fx_inject(b6_frag(B6_PEER, B6_STACK, 15, IPPROTO_UDP_, dgram, 504, (uint32_t)dgram_len - 504, 0));
	expect_reply(15);
}
END_TEST

START_TEST(frag6_fragment_cap_and_queue_cap_hold)
{
	setup();
	make_echo(16, 128 * 8 - ICMP6_HDR_LEN);
	for (uint32_t i = 0; i < 128; i++)
		frag(16, i * 8, 8, i + 1 < 128);
	expect_reply(16);
	make_echo(17, 129 * 8 - ICMP6_HDR_LEN);
	for (uint32_t i = 0; i < 129; i++)
		frag(17, i * 8, 8, i + 1 < 129);
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip6_reasm_too_many_frags), 1);
	make_echo(18, 2000);
	for (uint32_t id = 0; id < 1025; id++)
		piece(1000 + id, 1232, 1);
	ck_assert_uint_eq(ST(ip6_reasm_too_many_dgrams), 1);
	fx_advance(61 * NS_SEC);
	ck_assert_uint_eq(ST(ip6_reasm_timeout), 1024);
	ck_assert_uint_eq(ST(ip6_reasm_frags), ST(ip6_reasm_frags_merged) + ST(ip6_reasm_frags_dropped));
	fx_drain();
}
END_TEST

START_TEST(frag6_big_replies_are_fragmented_to_the_link_mtu)
{
	setup();
	make_echo(19, 9000);
	for (uint32_t i = 0; i < npieces(1232); i++)
		piece(19, 1232, i);
	/* expect_reply() checks every fragment fits 1500 and rebuilds it. */
	expect_reply(19);
	ck_assert_uint_eq(ST(ip6_frag_ok), 1);
	ck_assert_uint_eq(ST(ip6_frag_created), 7); /* 9008 bytes in 1448-byte pieces */
}
END_TEST

Suite *frag6_suite(void)
{
	Suite *s = unit_suite("frag6");
	ADD_FX(s, frag6_in_order_and_out_of_order_reassemble_once);
	ADD_FX(s, frag6_duplicates_and_subsets_are_ignored);
	ADD_FX(s, frag6_overlap_discards_the_datagram);
	ADD_FX(s, frag6_timeout_sends_time_exceeded_quoting_the_first_fragment);
	ADD_FX(s, frag6_reassembly_timeouts_are_settable_for_both_families);
	ADD_FX(s, frag6_bad_lengths_get_parameter_problems);
	ADD_FX(s, frag6_atomic_fragment_is_processed_alone);
	ADD_FX(s, frag6_first_fragment_must_hold_the_header_chain);
	ADD_FX(s, frag6_unfragmentable_part_and_next_header_come_from_the_first_fragment);
	ADD_FX(s, frag6_fragment_cap_and_queue_cap_hold);
	ADD_FX(s, frag6_big_replies_are_fragmented_to_the_link_mtu);
	return s;
}
