/* wire: the Internet checksum and header parse/emit (wire.c). */
#include <stdlib.h>

#include "unit.h"

/* Reference checksum: the RFC 1071 definition, 16 bits at a time. */
static uint16_t ref_csum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1) {
		sum += (uint32_t)b[len - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

START_TEST(csum_matches_rfc1071_example)
{
	/* RFC 1071 1.4: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	ck_assert_uint_eq(ns_csum(b, sizeof(b)), (uint16_t)~0xddf2);
}
END_TEST

START_TEST(csum_of_known_ipv4_header_is_b861)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	ck_assert_uint_eq(ns_csum(h, sizeof(h)), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	ck_assert_uint_eq(ns_csum(h, sizeof(h)), 0);
}
END_TEST

START_TEST(csum_agrees_with_reference_on_random_buffers)
{
	static uint8_t b[70001];
	srand(1);
	for (int iter = 0; iter < 400; iter++) {
		size_t len = (size_t)rand() % (iter < 200 ? 64 : sizeof(b));
		int mode = iter % 3;
		for (size_t i = 0; i < len; i++)
			b[i] = mode == 0 ? (uint8_t)rand() : mode == 1 ? 0xff : (uint8_t)(i & 1 ? 0xff : 0);
		QUICK_ASSERT(ns_csum(b, (uint32_t)len) == ref_csum(b, len), "len %zu mode %d", len,
			      mode);
	}
}
END_TEST

START_TEST(csum_add_can_be_split_at_even_offsets)
{
	uint8_t b[1001];
	b_pattern(b, sizeof(b), 9);
	for (uint32_t cut = 0; cut <= sizeof(b); cut += 2) {
		uint32_t s = ns_csum_add(0, b, cut);
		s = ns_csum_add(s, b + cut, (uint32_t)sizeof(b) - cut);
		ck_assert_uint_eq(ns_csum_fold(s), ref_csum(b, sizeof(b)));
	}
}
END_TEST

START_TEST(csum_inserted_into_data_verifies_to_zero)
{
	uint8_t b[301];
	for (unsigned seed = 0; seed < 50; seed++) {
		b_pattern(b, sizeof(b), seed);
		b[4] = b[5] = 0;
		uint16_t c = ns_csum(b, sizeof(b));
		ns_wr16(b + 4, c);
		ck_assert_uint_eq(ns_csum(b, sizeof(b)), 0);
	}
}
END_TEST

START_TEST(pseudo_header_sum_equals_explicit_pseudo_header)
{
	/* RFC 768: src, dst, zero, protocol, UDP length. */
	uint32_t pairs[][2] = { { IP4_ADDR(10, 0, 0, 1), IP4_ADDR(10, 0, 0, 2) },
				{ 0xffffffffu, 0xffffffffu },
				{ 0, 0 },
				{ IP4_ADDR(192, 168, 200, 254), IP4_ADDR(172, 31, 255, 1) } };
	uint32_t lens[] = { 8, 9, 1480, 65535 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(pairs); i++) {
		for (unsigned j = 0; j < NS_ARRAY_SIZE(lens); j++) {
			uint8_t ph[12];
			ns_wr32(ph, pairs[i][0]);
			ns_wr32(ph + 4, pairs[i][1]);
			ph[8] = 0;
			ph[9] = IPPROTO_UDP_;
			ns_wr16(ph + 10, (uint16_t)lens[j]);
			ck_assert_uint_eq(ns_csum_fold(ns_csum_pseudo4(pairs[i][0], pairs[i][1],
								       IPPROTO_UDP_, lens[j])),
					  ref_csum(ph, sizeof(ph)));
		}
	}
	/* RFC 8200 8.1: 16+16 bytes of address, 32-bit length, 3 zero, next header. */
	uint8_t ph6[40];
	b_pattern(ph6, 32, 4);
	memset(ph6 + 32, 0, 8);
	ns_wr32(ph6 + 32, 70000);
	ph6[39] = 17;
	ck_assert_uint_eq(ns_csum_fold(ns_csum_pseudo6(ph6, ph6 + 16, 17, 70000)),
			  ref_csum(ph6, sizeof(ph6)));
}
END_TEST

static size_t good_ip(uint8_t *b, size_t payload)
{
	struct b_ip4 h = { .src = IP4_ADDR(1, 2, 3, 4), .dst = IP4_ADDR(5, 6, 7, 8),
			   .proto = 17, .ttl = 9, .tos = 0x10, .id = 0xbeef,
			   .frag_off = 1480, .mf = 1 };
	size_t hl = b_ip4_hdr(b, &h, payload);
	memset(b + hl, 0xab, payload);
	return hl + payload;
}

START_TEST(ip4_parse_accepts_valid_header_and_converts_fields)
{
	uint8_t b[100];
	size_t n = good_ip(b, 40);
	struct ip4_repr r;
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n, &r), IP4_OK);
	ck_assert_uint_eq(r.hlen, 20);
	ck_assert_uint_eq(r.tot_len, 60);
	ck_assert_uint_eq(r.id, 0xbeef);
	ck_assert_uint_eq(r.frag_off, 1480);
	ck_assert(r.mf && !r.df);
	ck_assert_uint_eq(r.ttl, 9);
	ck_assert_uint_eq(r.tos, 0x10);
	ck_assert_uint_eq(r.proto, 17);
	ck_assert_uint_eq(r.src, IP4_ADDR(1, 2, 3, 4));
	ck_assert_uint_eq(r.dst, IP4_ADDR(5, 6, 7, 8));
	/* Link padding after tot_len is allowed. */
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n + 6, &r), IP4_OK);
	ck_assert_uint_eq(r.tot_len, 60);
}
END_TEST

START_TEST(ip4_emit_round_trips_through_parse)
{
	struct ip4_repr in = { .hlen = 20, .tos = 0xb8, .tot_len = 1500, .id = 77,
			       .frag_off = 65528, .df = 0, .mf = 1, .ttl = 1, .proto = 6,
			       .src = 0x01020304, .dst = 0xfffffffe };
	uint8_t b[1500];
	memset(b, 0, sizeof(b));
	ip4_emit(b, &in);
	struct ip4_repr out;
	ck_assert_int_eq(ip4_parse(b, sizeof(b), &out), IP4_OK);
	ck_assert_mem_eq(&in.tos, &out.tos, 1);
	ck_assert_uint_eq(out.frag_off, 65528);
	ck_assert(out.mf && !out.df);
	ck_assert_uint_eq(out.id, 77);
	ck_assert_uint_eq(out.src, in.src);
	ck_assert_uint_eq(out.dst, in.dst);
	in.df = 1;
	in.mf = 0;
	in.frag_off = 0;
	ip4_emit(b, &in);
	ck_assert_int_eq(ip4_parse(b, sizeof(b), &out), IP4_OK);
	ck_assert(out.df && !out.mf && out.frag_off == 0);
}
END_TEST

START_TEST(ip4_parse_rejects_each_malformation_with_its_reason)
{
	uint8_t b[100];
	struct ip4_repr r;
	size_t n = good_ip(b, 40);

	ck_assert_int_eq(ip4_parse(b, 19, &r), IP4_ERR_SHORT);
	ck_assert_int_eq(ip4_parse(b, 0, &r), IP4_ERR_SHORT);

	n = good_ip(b, 40);
	b[0] = 0x65;
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n, &r), IP4_ERR_VERSION);

	n = good_ip(b, 40);
	b[0] = 0x44; /* IHL 4: 16 bytes */
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n, &r), IP4_ERR_IHL);
	b[0] = 0x4f; /* IHL 15: 60 bytes, but only 24 present */
	ck_assert_int_eq(ip4_parse(b, 24, &r), IP4_ERR_IHL);

	n = good_ip(b, 40);
	ns_wr16(b + 2, 19); /* total length below the header */
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n, &r), IP4_ERR_LEN);
	n = good_ip(b, 40);
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n - 1, &r), IP4_ERR_LEN); /* lies: longer than data */

	n = good_ip(b, 40);
	b[10] ^= 1;
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n, &r), IP4_ERR_CSUM);
	n = good_ip(b, 40);
	b[8] = 10; /* TTL changed without fixing the checksum */
	ck_assert_int_eq(ip4_parse(b, (uint32_t)n, &r), IP4_ERR_CSUM);
}
END_TEST

static int parse_with_opts(const uint8_t *opts, uint8_t optlen)
{
	uint8_t b[100];
	struct b_ip4 h = { .src = 1, .dst = 2, .proto = 17, .opts = opts, .optlen = optlen };
	size_t hl = b_ip4_hdr(b, &h, 8);
	memset(b + hl, 0, 8);
	struct ip4_repr r;
	return ip4_parse(b, (uint32_t)(hl + 8), &r);
}

START_TEST(ip4_parse_walks_options_and_rejects_bad_lengths)
{
	static const uint8_t nop_eol[4] = { 1, 1, 1, 0 };
	static const uint8_t rr[8] = { 7, 7, 4, 0, 0, 0, 0, 0 }; /* record route, then EOL */
	static const uint8_t eol_junk[4] = { 0, 0xff, 0xff, 0xff }; /* after EOL: ignored */
	static const uint8_t zero_len[4] = { 7, 0, 1, 1 };
	static const uint8_t one_len[4] = { 7, 1, 1, 1 };
	static const uint8_t too_long[4] = { 1, 7, 8, 4 };
	static const uint8_t no_len_byte[4] = { 1, 1, 1, 7 };
	ck_assert_int_eq(parse_with_opts(nop_eol, 4), IP4_OK);
	ck_assert_int_eq(parse_with_opts(rr, 8), IP4_OK);
	ck_assert_int_eq(parse_with_opts(eol_junk, 4), IP4_OK);
	ck_assert_int_eq(parse_with_opts(zero_len, 4), IP4_ERR_OPTIONS);
	ck_assert_int_eq(parse_with_opts(one_len, 4), IP4_ERR_OPTIONS);
	ck_assert_int_eq(parse_with_opts(too_long, 4), IP4_ERR_OPTIONS);
	ck_assert_int_eq(parse_with_opts(no_len_byte, 4), IP4_ERR_OPTIONS);
}
END_TEST

START_TEST(arp_parse_accepts_only_ethernet_ipv4)
{
	uint8_t b[ARP_LEN + 4];
	struct arp_repr in = { .op = 2, .sha = { 1, 2, 3, 4, 5, 6 }, .spa = 0x0a000001,
			       .tha = { 6, 5, 4, 3, 2, 1 }, .tpa = 0x0a000002 };
	struct arp_repr out;
	arp_emit(b, &in);
	ck_assert_int_eq(arp_parse(b, ARP_LEN, &out), 0);
	ck_assert_uint_eq(out.op, 2);
	ck_assert_mem_eq(out.sha, in.sha, 6);
	ck_assert_mem_eq(out.tha, in.tha, 6);
	ck_assert_uint_eq(out.spa, in.spa);
	ck_assert_uint_eq(out.tpa, in.tpa);
	ck_assert_int_eq(arp_parse(b, ARP_LEN + 4, &out), 0); /* padding is fine */
	ck_assert_int_eq(arp_parse(b, ARP_LEN - 1, &out), -1);

	arp_emit(b, &in);
	ns_wr16(b, 6); /* IEEE 802 hardware */
	ck_assert_int_eq(arp_parse(b, ARP_LEN, &out), -1);
	arp_emit(b, &in);
	ns_wr16(b + 2, 0x86dd);
	ck_assert_int_eq(arp_parse(b, ARP_LEN, &out), -1);
	arp_emit(b, &in);
	b[4] = 8;
	ck_assert_int_eq(arp_parse(b, ARP_LEN, &out), -1);
	arp_emit(b, &in);
	b[5] = 16;
	ck_assert_int_eq(arp_parse(b, ARP_LEN, &out), -1);
}
END_TEST

Suite *wire_suite(void)
{
	Suite *s = unit_suite("wire");
	ADD_PLAIN(s, csum_matches_rfc1071_example);
	ADD_PLAIN(s, csum_of_known_ipv4_header_is_b861);
	ADD_PLAIN(s, csum_agrees_with_reference_on_random_buffers);
	ADD_PLAIN(s, csum_add_can_be_split_at_even_offsets);
	ADD_PLAIN(s, csum_inserted_into_data_verifies_to_zero);
	ADD_PLAIN(s, pseudo_header_sum_equals_explicit_pseudo_header);
	ADD_PLAIN(s, ip4_parse_accepts_valid_header_and_converts_fields);
	ADD_PLAIN(s, ip4_emit_round_trips_through_parse);
	ADD_PLAIN(s, ip4_parse_rejects_each_malformation_with_its_reason);
	ADD_PLAIN(s, ip4_parse_walks_options_and_rejects_bad_lengths);
	ADD_PLAIN(s, arp_parse_accepts_only_ethernet_ipv4);
	return s;
}
