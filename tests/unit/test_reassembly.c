/*
 * reassembly: IPv4 reassembly (frag4.c) through the input path. The
 * datagram is UDP to port 7 so that delivery is visible on a socket.
 */
#include "unit.h"

#define PORT 7

static uint8_t dgram[70000]; /* UDP header + payload of the datagram under test */
static size_t dgram_len;

/* Builds a UDP datagram of `payload` bytes into dgram. */
static void make_dgram(size_t payload, unsigned seed)
{
	static uint8_t data[70000];
	b_pattern(data, payload, seed);
	dgram_len = b_udp_bytes(dgram, B_IP_PEER, 5555, B_IP_STACK, PORT, data, payload);
}

/* Injects bytes [off, off+len) of dgram as one fragment. */
static void frag(uint16_t id, uint32_t off, uint32_t len, int mf)
{
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_, .id = id,
			   .frag_off = (uint16_t)off, .mf = (uint8_t)mf };
	fx_inject(b_ip4(&h, dgram + off, len));
}

/* Splits dgram into pieces of `step` bytes (a multiple of 8); piece i of n. */
static void piece(uint16_t id, uint32_t step, uint32_t i)
{
	uint32_t off = i * step;
	uint32_t len = (uint32_t)NS_MIN((size_t)step, dgram_len - off);
	frag(id, off, len, off + len < dgram_len);
}

static uint32_t npieces(uint32_t step)
{
	return (uint32_t)((dgram_len + step - 1) / step);
}

/* Expects exactly the datagram on the socket, once. */
static void expect_delivered(struct ns_socket *s)
{
	static uint8_t buf[70000];
	ssize_t n = ns_recv(s, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, (ssize_t)(dgram_len - UDP_HDR_LEN));
	ck_assert_mem_eq(buf, dgram + UDP_HDR_LEN, (size_t)n);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
}

static void expect_nothing_delivered(struct ns_socket *s)
{
	char buf[16];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
}

START_TEST(reassembly_in_order_delivers_the_datagram_once)
{
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(4000, 1);
	for (uint32_t i = 0; i < npieces(1480); i++) {
		expect_nothing_delivered(s);
		piece(100, 1480, i);
	}
	expect_delivered(s);
	ck_assert_uint_eq(ST(ip4_reasm_frags), 3);
	ck_assert_uint_eq(ST(ip4_reasm_frags_merged), 3);
	ck_assert_uint_eq(ST(ip4_reasm_frags_dropped), 0);
	ck_assert_uint_eq(ST(ip4_reasm_ok), 1);
	ck_assert_uint_eq(ST(ip4_delivered), 1);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_reversed_order_delivers_the_datagram)
{
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(5000, 2);
	for (uint32_t i = npieces(504); i-- > 0;)
		piece(101, 504, i);
	expect_delivered(s);
	ck_assert_uint_eq(ST(ip4_reasm_ok), 1);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_ignores_duplicates)
{
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(3000, 3);
	uint32_t n = npieces(800);
	piece(102, 800, 1);
	piece(102, 800, 1);
	piece(102, 800, 2);
	/* A fragment exactly covering two held ones is a duplicate too. */
	frag(102, 800, 1600, 1);
	piece(102, 800, 2);
	for (uint32_t i = 0; i < n; i++)
		if (i != 1 && i != 2)
			piece(102, 800, i);
	expect_delivered(s);
	ck_assert_uint_eq(ST(ip4_reasm_dup), 3);
	ck_assert_uint_eq(ST(ip4_reasm_ok), 1);
	/* A retransmission of a fragment after completion starts a new
	 * queue that never completes: nothing is delivered twice. */
	piece(102, 800, 0);
	expect_nothing_delivered(s);
	fx_advance(31 * NS_SEC);
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 1);
	/* Every fragment is accounted for: 3 duplicates and the late one
	 * dropped, the rest merged. */
	ck_assert_uint_eq(ST(ip4_reasm_frags_dropped), 4);
	ck_assert_uint_eq(ST(ip4_reasm_frags_merged), n);
	ck_assert_uint_eq(ST(ip4_reasm_frags), n + 4);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_overlap_discards_datagram)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(3000, 4);
	frag(103, 0, 1480, 1);
	/* Starts inside the first fragment and runs past it. */
	frag(103, 1472, 1480, 1);
	ck_assert_uint_eq(ST(ip4_reasm_overlap), 1);
	/* Everything held was discarded: the rest cannot complete it. */
	frag(103, 1480, (uint32_t)dgram_len - 1480, 0);
	expect_nothing_delivered(s);
	ck_assert_uint_eq(ST(ip4_reasm_ok), 0);
	fx_advance(31 * NS_SEC);
	expect_nothing_delivered(s);
	/* The queue left by the last fragment had no first fragment: it
	 * expires without an ICMP message (RFC 792). */
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 1);
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip4_reasm_frags_dropped), 3);
	ck_assert_uint_eq(ST(ip4_reasm_frags_merged), 0);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_missing_piece_times_out_with_time_exceeded)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(4000, 5);
	piece(104, 1480, 0);
	piece(104, 1480, 2);
	uint64_t chunks, views;
	fx_pool(&chunks, &views);
	ck_assert_uint_ge(chunks, 2); /* held */
	fx_advance(29 * NS_SEC);
	expect_nothing_delivered(s);
	FX_EXPECT_NOTHING();
	fx_advance(2 * NS_SEC);
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 1);
	/* RFC 792: time exceeded, code 1 (fragment reassembly), quoting the
	 * first fragment's header and first 8 bytes. */
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP_TIME_EXCEEDED);
	ck_assert_uint_eq(f.icmp_code, ICMP_EXC_FRAGTIME);
	ck_assert_uint_eq(f.ip.dst, B_IP_PEER);
	ck_assert_uint_eq(f.data_len, IP4_HDR_LEN + 8);
	ck_assert_uint_eq(ns_rd16(f.data + 4), 104);
	ck_assert_mem_eq(f.data + IP4_HDR_LEN, dgram, 8);
	pkt_unref(p);
	/* The held fragments were freed. */
	fx_pool(&chunks, &views);
	ck_assert_uint_eq(chunks, 0);
	/* The late piece alone cannot complete anything. */
	piece(104, 1480, 1);
	expect_nothing_delivered(s);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_timeout_without_first_fragment_sends_nothing)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	make_dgram(4000, 6);
	piece(105, 1480, 1);
	piece(105, 1480, 2);
	fx_advance(31 * NS_SEC);
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 1);
	FX_EXPECT_NOTHING();
}
END_TEST

static void many_pieces(uint16_t id, uint32_t count)
{
	/* count fragments of 8 bytes, the last one carrying the rest. */
	for (uint32_t i = 0; i < count; i++) {
		uint32_t off = i * 8;
		uint32_t len = i + 1 < count ? 8 : (uint32_t)dgram_len - off;
		frag(id, off, len, i + 1 < count);
	}
}

START_TEST(reassembly_accepts_up_to_the_fragment_cap_and_no_more)
{
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(128 * 8 - UDP_HDR_LEN, 7);
	many_pieces(106, 128);
	expect_delivered(s);
	make_dgram(129 * 8 - UDP_HDR_LEN, 8);
	many_pieces(107, 129);
	expect_nothing_delivered(s);
	ck_assert_uint_eq(ST(ip4_reasm_too_many_frags), 1);
	ck_assert_uint_eq(ST(ip4_reasm_frags_merged), 128);
	ck_assert_uint_eq(ST(ip4_reasm_frags_dropped), 129);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_rejects_inconsistent_lengths)
{
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(3000, 9);
	/* A middle fragment whose length is not a multiple of 8. */
	frag(108, 0, 1476, 1);
	ck_assert_uint_eq(ST(ip4_reasm_bad_len), 1);
	/* Two last fragments that disagree on the end. */
	frag(109, 2000, (uint32_t)dgram_len - 2000, 0);
	frag(109, 1000, 500, 0);
	ck_assert_uint_eq(ST(ip4_reasm_bad_len), 2);
	/* A fragment beyond a known end. */
	frag(110, 2000, (uint32_t)dgram_len - 2000, 0);
	frag(110, 2504, 800, 1);
	ck_assert_uint_eq(ST(ip4_reasm_bad_len), 3);
	expect_nothing_delivered(s);
	fx_advance(31 * NS_SEC);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_rejects_datagram_longer_than_65535)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(PORT);
	static uint8_t junk[1480];
	/* "Ping of death": the last fragment ends past 65535. */
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_, .id = 111,
			   .frag_off = 65528, .mf = 0 };
	fx_inject(b_ip4(&h, junk, 100));
	ck_assert_uint_eq(ST(ip4_reasm_bad_len), 1);
	/* Subtler: every fragment fits with a 20-byte header, but the first
	 * fragment carries 40 bytes of options, so the rebuilt datagram
	 * (first fragment's header + 65512 bytes of data) would be 65552. */
	static const uint8_t nops[40] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	make_dgram(65507 - 3, 10); /* 65512 bytes of UDP */
	for (uint32_t off = 0; off < dgram_len; off += 1480) {
		uint32_t len = (uint32_t)NS_MIN((size_t)1480, dgram_len - off);
		struct b_ip4 fh = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_,
				    .id = 112, .frag_off = (uint16_t)off,
				    .mf = off + len < dgram_len };
		if (off == 0) {
			fh.opts = nops;
			fh.optlen = sizeof(nops);
		}
		fx_inject(b_ip4(&fh, dgram + off, len));
	}
	expect_nothing_delivered(s);
	ck_assert_uint_eq(ST(ip4_reasm_ok), 0);
	ck_assert_uint_eq(ST(ip4_reasm_bad_len), 2);
	ck_assert_uint_eq(ST(ip4_drop_len), 0);
	fx_advance(31 * NS_SEC);
	fx_drain();
	ns_close(s);
}
END_TEST

START_TEST(reassembly_keeps_datagrams_apart_by_id_and_source)
{
	struct ns_socket *s = fx_udp_socket(PORT);
	make_dgram(2000, 11);
	piece(113, 1480, 0);
	/* Same id, other source: a different datagram. */
	struct b_ip4 h = { .src = IP4_ADDR(10, 0, 0, 3), .dst = B_IP_STACK, .proto = IPPROTO_UDP_,
			   .id = 113, .frag_off = 1480, .mf = 0 };
	fx_inject(b_ip4(&h, dgram + 1480, (uint32_t)dgram_len - 1480));
	/* Other id. */
	piece(114, 1480, 1);
	expect_nothing_delivered(s);
	piece(113, 1480, 1);
	expect_delivered(s);
	fx_advance(31 * NS_SEC);
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 2);
	ns_close(s);
}
END_TEST

START_TEST(reassembly_bounds_the_number_of_datagrams)
{
	make_dgram(2000, 12);
	for (uint32_t id = 0; id < 1025; id++)
		piece((uint16_t)id, 1480, 0);
	ck_assert_uint_eq(ST(ip4_reasm_too_many_dgrams), 1);
	fx_advance(31 * NS_SEC);
	ck_assert_uint_eq(ST(ip4_reasm_timeout), 1024);
	fx_drain();
}
END_TEST

START_TEST(reassembly_memory_is_bounded_by_evicting_the_oldest)
{
	struct ns_socket *s = fx_udp_socket(PORT);
	/* 600 datagrams of 6 fragments, each missing its last: 3000 held
	 * fragments would be ~7 MB; past 4 MB the oldest queues go. */
	make_dgram(8000, 13);
	for (uint32_t id = 0; id < 600; id++)
		for (uint32_t i = 0; i + 1 < npieces(1480); i++)
			piece((uint16_t)id, 1480, i);
	ck_assert_uint_gt(ST(ip4_reasm_mem_evict), 0);
	uint64_t chunks, views;
	fx_pool(&chunks, &views);
	ck_assert_uint_le(chunks * 2304, 4u << 20);
	/* The newest datagrams are still there: completing one works. */
	piece(599, 1480, npieces(1480) - 1);
	expect_delivered(s);
	/* ... the oldest are gone. */
	piece(0, 1480, npieces(1480) - 1);
	expect_nothing_delivered(s);
	fx_advance(31 * NS_SEC);
	ns_close(s);
}
END_TEST

Suite *reassembly_suite(void)
{
	Suite *s = unit_suite("reassembly");
	ADD_FX(s, reassembly_in_order_delivers_the_datagram_once);
	ADD_FX(s, reassembly_reversed_order_delivers_the_datagram);
	ADD_FX(s, reassembly_ignores_duplicates);
	ADD_FX(s, reassembly_overlap_discards_datagram);
	ADD_FX(s, reassembly_missing_piece_times_out_with_time_exceeded);
	ADD_FX(s, reassembly_timeout_without_first_fragment_sends_nothing);
	ADD_FX(s, reassembly_accepts_up_to_the_fragment_cap_and_no_more);
	ADD_FX(s, reassembly_rejects_inconsistent_lengths);
	ADD_FX(s, reassembly_rejects_datagram_longer_than_65535);
	ADD_FX(s, reassembly_keeps_datagrams_apart_by_id_and_source);
	ADD_FX(s, reassembly_bounds_the_number_of_datagrams);
	ADD_FX(s, reassembly_memory_is_bounded_by_evicting_the_oldest);
	return s;
}
