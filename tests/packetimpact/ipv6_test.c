/* IPv6 (RFC 8200) and ICMPv6 (RFC 4443) as the DUT handles them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* A DUT without IPv6 fails here, at once, instead of timing out. */
static void require_ipv6(void)
{
	int fd = dut_socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		pi_fail("DUT has no IPv6 sockets: %s", dut_strerror(dut_errno));
	dut_close(fd);
}

static void expect_echo6_reply(uint16_t id, uint16_t seq, const uint8_t *data, size_t len,
			       int timeout_ms, const char *what)
{
	struct pi_frame want = { .l3 = PI_L3_IPV6, .l4 = PI_L4_ICMP6,
				 .icmp = { .type = PI_U8(129), .code = PI_U8(0),
					   .rest = PI_U32(((uint32_t)id << 16) | seq) },
				 .payload = { PI_SET, data, len } };
	pi_expect_ok(NULL, &want, timeout_ms, NULL, what);
}

/* RFC 4443 4.1/4.2: echo request, echo reply with the same data. */
PI_TEST(icmpv6_echo)
{
	require_ipv6();
	uint8_t data[56];
	pi_pattern(data, sizeof(data), 6);
	struct pi_frame req = { .l4 = PI_L4_ICMP6, .icmp = { .type = PI_U8(128), .rest = PI_U32(0x77770001) },
				.payload = { PI_SET, data, sizeof(data) } };
	pi_send(&req);
	expect_echo6_reply(0x7777, 1, data, sizeof(data), 2000, "ICMPv6 echo reply");
}

/* ---- reassembly ---- */

struct frag {
	size_t off, len;
	int more;
};

static void send_frag6(uint32_t id, const uint8_t *dgram, const struct frag *f, uint8_t nxt)
{
	struct pi_frame fr = { .l3 = PI_L3_IPV6, .l4 = PI_L4_OTHER,
			       .payload = { PI_SET, dgram + f->off, f->len } };
	fr.ip6.next = 1;
	fr.ip6.ext[0].type = PI_EXT_FRAG;
	fr.ip6.ext[0].nxt = PI_U8(nxt);
	fr.ip6.ext[0].frag_off = PI_U16(f->off);
	fr.ip6.ext[0].frag_m = PI_U8(f->more);
	fr.ip6.ext[0].frag_id = PI_U32(id);
	pi_send(&fr);
}

static void reassembly6_case(const struct frag *frags, int n, int expect_reply)
{
	require_ipv6();
	uint8_t data[1000], dgram[1008];
	pi_pattern(data, sizeof(data), 3);
	pi_echo_bytes(AF_INET6, 0x6060, 1, data, sizeof(data), dgram, sizeof(dgram));
	for (int i = 0; i < n; i++)
		send_frag6(0xabcd0001, dgram, &frags[i], 58);
	if (expect_reply) {
		expect_echo6_reply(0x6060, 1, data, sizeof(data), 2000, "echo reply with the reassembled data");
		return;
	}
	struct pi_frame reply = { .l3 = PI_L3_IPV6, .l4 = PI_L4_ICMP6,
				  .icmp = { .type = PI_U8(129), .rest = PI_U32(0x60600001) } };
	pi_expect_none(&reply, 1000, "echo reply to a datagram that must be discarded");
	uint8_t small[16];
	pi_pattern(small, sizeof(small), 4);
	size_t sl = pi_echo_bytes(AF_INET6, 0x6060, 2, small, sizeof(small), dgram, sizeof(dgram));
	struct frag whole = { 0, sl, 0 };
	send_frag6(0xabcd0002, dgram, &whole, 58); /* an atomic fragment */
	expect_echo6_reply(0x6060, 2, small, sizeof(small), 2000, "echo reply (the DUT is alive)");
}

PI_TEST(ipv6_reassembly_basic)
{
	struct frag f[] = { { 0, 400, 1 }, { 400, 400, 1 }, { 800, 208, 0 } };
	reassembly6_case(f, 3, 1);
}

PI_TEST(ipv6_reassembly_out_of_order)
{
	struct frag f[] = { { 800, 208, 0 }, { 400, 400, 1 }, { 0, 400, 1 } };
	reassembly6_case(f, 3, 1);
}

PI_TEST(ipv6_reassembly_duplicate)
{
	struct frag f[] = { { 0, 400, 1 }, { 400, 400, 1 }, { 0, 400, 1 }, { 800, 208, 0 } };
	reassembly6_case(f, 4, 1);
}

PI_TEST(ipv6_reassembly_subset)
{
	struct frag f[] = { { 0, 800, 1 }, { 200, 400, 1 }, { 800, 208, 0 } };
	reassembly6_case(f, 3, 1);
}

/* RFC 5722 4: a datagram with overlapping fragments is discarded whole. */
PI_TEST(ipv6_reassembly_overlap)
{
	struct frag f[] = { { 0, 400, 1 }, { 256, 400, 1 }, { 656, 352, 0 } };
	reassembly6_case(f, 3, 0);
}

/* RFC 8200 4.5: when reassembly times out and the first fragment arrived,
 * the DUT sends ICMPv6 Time Exceeded, code 1, quoting that fragment. The
 * runner shortens the DUT's reassembly timeout (60 s in the RFC) where it
 * can (Linux: net.ipv6.ip6frag_time = 5). */
PI_TEST(ipv6_reassembly_timeout_icmp)
{
	require_ipv6();
	uint8_t data[100], dgram[108];
	pi_pattern(data, sizeof(data), 1);
	pi_echo_bytes(AF_INET6, 0x6161, 1, data, sizeof(data), dgram, sizeof(dgram));
	struct frag first = { 0, 48, 1 };
	send_frag6(0xabcd0003, dgram, &first, 58);
	struct pi_frame te = { .l3 = PI_L3_IPV6, .l4 = PI_L4_ICMP6,
			       .icmp = { .type = PI_U8(3), .code = PI_U8(1) } };
	struct pi_pkt *p = malloc(sizeof(*p));
	pi_expect_ok(NULL, &te, 20000, p, "ICMPv6 time exceeded (fragment reassembly)");
	/* The quote is our first fragment: IPv6 header, fragment header. */
	const uint8_t *q = p->f.payload.p;
	PI_ASSERT(p->f.payload.len >= 48 && (q[0] >> 4) == 6 && q[6] == PI_EXT_FRAG &&
			  !memcmp(q + 24, pi_env.remote_ip6, 16),
		  "the time exceeded message does not quote the first fragment");
	free(p);
}

static void expect_param_problem(uint8_t code, uint32_t pointer, const char *what)
{
	struct pi_frame pp = { .l3 = PI_L3_IPV6, .l4 = PI_L4_ICMP6,
			       .icmp = { .type = PI_U8(4), .code = PI_U8(code), .rest = PI_U32(pointer) } };
	pi_expect_ok(NULL, &pp, 2000, NULL, what);
}

/* RFC 8200 4.5: a fragment that is not the last and whose length is not a
 * multiple of 8 is discarded with Parameter Problem code 0 pointing at the
 * Payload Length field. */
PI_TEST(ipv6_frag_param_problem_length)
{
	require_ipv6();
	uint8_t data[100], dgram[108];
	pi_pattern(data, sizeof(data), 1);
	pi_echo_bytes(AF_INET6, 0x6262, 1, data, sizeof(data), dgram, sizeof(dgram));
	struct frag f = { 0, 53, 1 };
	send_frag6(0xabcd0004, dgram, &f, 58);
	expect_param_problem(0, 4, "parameter problem (pointer 4) for a fragment not a multiple of 8");
}

/* RFC 8200 4.5: a fragment reaching beyond 65535 bytes is discarded with
 * Parameter Problem code 0 pointing at the Fragment Offset field. */
PI_TEST(ipv6_frag_param_problem_offset)
{
	require_ipv6();
	uint8_t data[64];
	pi_pattern(data, sizeof(data), 1);
	struct frag f = { 65528, 16, 0 };
	uint8_t dgram[65536];
	memset(dgram, 0, sizeof(dgram));
	memcpy(dgram + 65528, data, 8);
	send_frag6(0xabcd0005, dgram, &f, 58);
	expect_param_problem(0, 42, "parameter problem (pointer 42) for a fragment past 65535 bytes");
}

/* ---- extension headers ---- */

/* An echo request carrying extension header `type` with one option
 * `opt` (2 data bytes). */
static void send_echo_with_option(uint8_t type, uint8_t opt, uint16_t seq, const uint8_t *data,
				  size_t len)
{
	struct pi_frame f = { .l3 = PI_L3_IPV6, .l4 = PI_L4_ICMP6,
			      .icmp = { .type = PI_U8(128), .rest = PI_U32((0x6363u << 16) | seq) },
			      .payload = { PI_SET, data, len } };
	f.ip6.next = 1;
	f.ip6.ext[0].type = type;
	f.ip6.ext[0].opts[0] = opt;
	f.ip6.ext[0].opts[1] = 2;
	f.ip6.ext[0].optlen = 4;
	pi_send(&f);
}

/*
 * RFC 8200 4.2: the two high bits of an unrecognised option's type say what
 * to do: 00 skip it, 01 discard the packet, 10 discard and send Parameter
 * Problem code 2 pointing at the option, 11 the same unless the destination
 * was multicast. Checked in a Hop-by-Hop and in a Destination Options
 * header. 0x1e is an RFC 4727 experimental type nobody recognises.
 */
PI_TEST(ipv6_unknown_option_action_bits)
{
	require_ipv6();
	static const uint8_t types[2] = { PI_EXT_HBH, PI_EXT_DST };
	uint8_t data[16];
	pi_pattern(data, sizeof(data), 2);
	uint16_t seq = 1;
	for (int t = 0; t < 2; t++) {
		for (int act = 0; act < 4; act++, seq++) {
			uint8_t opt = (uint8_t)((act << 6) | 0x1e);
			pi_log("%s header, option type 0x%02x", t ? "destination options" : "hop-by-hop", opt);
			send_echo_with_option(types[t], opt, seq, data, sizeof(data));
			struct pi_frame reply = { .l3 = PI_L3_IPV6, .l4 = PI_L4_ICMP6,
						  .icmp = { .type = PI_U8(129),
							    .rest = PI_U32((0x6363u << 16) | seq) } };
			struct pi_frame pp = { .l3 = PI_L3_IPV6, .l4 = PI_L4_ICMP6, .icmp = { .type = PI_U8(4) } };
			char what[96];
			if (act == 0) {
				snprintf(what, sizeof(what), "echo reply (option 0x%02x is skipped)", opt);
				pi_expect_ok(NULL, &reply, 2000, NULL, what);
			} else if (act == 1) {
				snprintf(what, sizeof(what), "answer to a packet with option 0x%02x", opt);
				pi_expect_none(&reply, 300, what);
				pi_expect_none(&pp, 0, what);
			} else {
				snprintf(what, sizeof(what), "parameter problem code 2 pointer 42 for option 0x%02x", opt);
				expect_param_problem(2, 42, what);
				snprintf(what, sizeof(what), "echo reply despite option 0x%02x", opt);
				pi_expect_none(&reply, 100, what);
			}
		}
	}
}

/* RFC 8200 4 / RFC 4443 3.4: an unrecognised Next Header value is answered
 * with Parameter Problem code 1 pointing at the field that named it: in
 * the IPv6 header (offset 6) or in an extension header (offset 40). 253 is
 * an RFC 3692 experimental protocol number. */
PI_TEST(ipv6_param_problem_bad_next_header)
{
	require_ipv6();
	static const uint8_t junk[16] = { 1, 2, 3, 4 };
	struct pi_frame f = { .l3 = PI_L3_IPV6, .l4 = PI_L4_OTHER, .ip6 = { .nxt = PI_U8(253) },
			      .payload = { PI_SET, junk, sizeof(junk) } };
	pi_send(&f);
	expect_param_problem(1, 6, "parameter problem code 1 pointer 6 (unknown next header)");
	struct pi_frame g = { .l3 = PI_L3_IPV6, .l4 = PI_L4_OTHER, .payload = { PI_SET, junk, sizeof(junk) } };
	g.ip6.next = 1;
	g.ip6.ext[0].type = PI_EXT_DST;
	g.ip6.ext[0].nxt = PI_U8(253);
	pi_send(&g);
	expect_param_problem(1, 40, "parameter problem code 1 pointer 40 (unknown next header after "
				    "destination options)");
}
