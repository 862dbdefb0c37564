/*
 * badinput: thousands of random and mutated frames through the stack's input
 * path (the channel endpoint), on a fake clock, in several configurations.
 *
 * Frames: valid ones of every kind the stack knows (ARP, UDP to open and
 * closed ports, ICMP echo and errors quoting our own packets, TCP; IPv6
 * echo, UDP, TCP, NDP, MLD, ICMPv6 errors, extension header chains), the same
 * with mutations (bit flips, lying lengths, bad IHL, bad or fixed-up
 * checksums, random fragment fields, truncation, junk tails), fragment
 * streams (shuffled, duplicated, overlapping, incomplete) and floods, ARP
 * junk, VLAN tags, LLC frames, unknown EtherTypes and random bytes.
 *
 * Asserts, per configuration:
 *   - no crash (a crash ends the program: the runner counts a failure);
 *   - every frame the stack sends is well formed (headers and checksums);
 *   - nothing from the wire makes the stack send to itself (loopback);
 *   - accounting: every frame injected ends in exactly one named outcome,
 *     checked layer by layer (tests/unit/books.h) after letting every
 *     reassembly queue expire;
 *   - nothing leaked: packet pool chunks and views back to zero after
 *     ns_stack_destroy().
 *
 * Output: one PASS/FAIL line per property and configuration. Exit status is
 * non-zero when anything failed.
 *
 *   build/tests/badinput [--frames N] [--seed S]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/books.h"
#include "../unit/builders.h"
#include "stack_priv.h"

/* The builders are shared with the unit tests (one source of truth). */
#include "../unit/builders.c"
#include "../unit/builders6.c"

struct cfg {
	const char *name;
	uint32_t mtu;
	int csum_verified; /* frames arrive marked "checksum verified" (offload) */
	uint64_t pool_limit; /* 0: default; else tight, to hit allocation failures */
};

static const struct cfg CONFIGS[] = {
	{ "mtu1500", 1500, 0, 0 },
	{ "mtu9000_rxcsum", 9000, 1, 0 },
	{ "mtu576", 576, 0, 0 },
	{ "lowmem", 1500, 0, 96 * 1024 },
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned percent)
{
	return below(100) < percent;
}

static struct {
	struct ns_wheel wheel;
	struct ns_stack *st;
	struct ns_link *ch;
	struct ns_socket *echo, *sink, *conn, *listener;
	uint64_t injected;
	uint64_t sent, malformed_out;
	char first_malformed[160];
	const struct cfg *cfg;
} B;

static const uint32_t STACK2 = IP4_ADDR(192, 168, 7, 1);

/* Addresses worth trying in mutated headers. */
static uint32_t some_addr(void)
{
	static const uint32_t a[] = {
		B_IP_STACK, B_IP_PEER, IP4_ADDR(10, 0, 0, 255), 0xffffffffu, 0,
		IP4_ADDR(127, 0, 0, 1), IP4_ADDR(224, 0, 0, 1), IP4_ADDR(10, 0, 0, 3),
		IP4_ADDR(192, 168, 7, 1), IP4_ADDR(192, 168, 7, 255), IP4_ADDR(8, 8, 8, 8),
	};
	return chance(85) ? a[below(NS_ARRAY_SIZE(a))] : rnd();
}

static uint16_t some_port(void)
{
	static const uint16_t p[] = { 7, 9, 53, 80, 0, 65535, 1234 };
	return chance(80) ? p[below(NS_ARRAY_SIZE(p))] : (uint16_t)rnd();
}

static void fill_random(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* ---- frame generators (each returns one frame, or NULL) ---- */

static uint8_t scratch[70000], scratch2[70000];

static struct pkt *gen_udp(void)
{
	size_t len = chance(80) ? below(200) : below(chance(50) ? 1600 : 9000);
	fill_random(scratch, len);
	uint32_t src = chance(80) ? B_IP_PEER : some_addr();
	uint32_t dst = chance(80) ? B_IP_STACK : some_addr();
	return b_udp4(src, some_port(), dst, some_port(), scratch, len);
}

static struct pkt *gen_icmp(void)
{
	uint32_t src = chance(80) ? B_IP_PEER : some_addr();
	uint32_t dst = chance(80) ? B_IP_STACK : some_addr();
	if (chance(50))
		return b_ping(src, dst, (uint16_t)rnd(), (uint16_t)rnd(), below(chance(90) ? 100 : 4000));
	/* An error quoting something we might have sent. */
	static const uint8_t types[] = { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB,
					 ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_ECHOREPLY, 13, 42 };
	uint8_t q[100];
	struct b_ip4 h = { .src = chance(80) ? B_IP_STACK : some_addr(),
			   .dst = chance(80) ? B_IP_PEER : some_addr(),
			   .proto = chance(80) ? (uint8_t)(chance(50) ? IPPROTO_UDP_ : IPPROTO_TCP_)
					       : (uint8_t)rnd(),
			   .id = (uint16_t)rnd() };
	size_t qlen = below(60);
	size_t hl = b_ip4_hdr(q, &h, qlen);
	fill_random(q + hl, qlen);
	if (qlen >= 4 && chance(70)) {
		ns_wr16(q + hl, some_port());
		ns_wr16(q + hl + 2, some_port());
	}
	return b_icmp4(src, dst, types[below(NS_ARRAY_SIZE(types))], (uint8_t)below(16),
		       chance(50) ? 0 : rnd(), q, hl + qlen);
}

static struct pkt *gen_tcp(void)
{
	uint8_t t[60];
	size_t doff = chance(80) ? 20 : 20 + 4 * below(11);
	memset(t, 0, sizeof(t));
	ns_wr16(t, some_port());
	ns_wr16(t + 2, chance(50) ? 80 : some_port());
	ns_wr32(t + 4, rnd());
	ns_wr32(t + 8, rnd());
	t[12] = (uint8_t)((doff / 4) << 4);
	static const uint8_t flags[] = { 0x02, 0x10, 0x12, 0x04, 0x01, 0x18, 0x11, 0x3f, 0x00 };
	t[13] = chance(80) ? flags[below(NS_ARRAY_SIZE(flags))] : (uint8_t)rnd();
	ns_wr16(t + 14, (uint16_t)rnd());
	if (doff > 20)
		fill_random(t + 20, doff - 20);
	size_t dlen = below(100);
	memcpy(scratch, t, doff);
	fill_random(scratch + doff, dlen);
	size_t n = doff + dlen;
	uint32_t src = chance(85) ? B_IP_PEER : some_addr();
	uint32_t dst = chance(85) ? B_IP_STACK : some_addr();
	uint32_t sum = ns_csum_pseudo4(src, dst, IPPROTO_TCP_, (uint32_t)n);
	ns_wr16(scratch + 16, 0);
	if (chance(90))
		ns_wr16(scratch + 16, ns_csum_fold(ns_csum_add(sum, scratch, (uint32_t)n)));
	struct b_ip4 h = { .src = src, .dst = dst, .proto = IPPROTO_TCP_, .id = (uint16_t)rnd() };
	return b_ip4(&h, scratch, n);
}

static struct pkt *gen_arp(void)
{
	static const uint8_t zero[6];
	uint8_t sha[6] = { 0x02, 0, 0, 0, 0, (uint8_t)(1 + below(5)) };
	uint16_t op = chance(90) ? (uint16_t)(1 + below(2)) : (uint16_t)rnd();
	uint32_t spa = chance(70) ? IP4_ADDR(10, 0, 0, 1 + below(5)) : some_addr();
	uint32_t tpa = chance(70) ? B_IP_STACK : some_addr();
	struct pkt *p = b_arp(chance(50) ? B_MAC_BCAST : B_MAC_STACK, op, sha, spa,
			      chance(50) ? zero : B_MAC_STACK, tpa);
	if (p && chance(20)) {
		/* Junk in the fixed fields (hardware/protocol type and sizes). */
		pkt_data(p)[ETH_HDR_LEN + below(8)] = (uint8_t)rnd();
	}
	if (p && chance(10))
		pkt_trim(p, ETH_HDR_LEN + below(ARP_LEN));
	return p;
}

static struct pkt *gen_l2_junk(void)
{
	uint8_t b[1600];
	size_t n = below(sizeof(b));
	fill_random(b, n);
	switch (below(5)) {
	case 0: { /* VLAN-tagged IPv4 */
		struct pkt *in = gen_udp();
		if (!in)
			return NULL;
		uint32_t l = NS_MIN(in->len - ETH_HDR_LEN, (uint32_t)sizeof(b) - 4);
		ns_wr16(b, (uint16_t)below(4096));
		ns_wr16(b + 2, ETHERTYPE_IPV4);
		memcpy(b + 4, pkt_data(in) + ETH_HDR_LEN, l);
		pkt_unref(in);
		return b_eth(B_MAC_STACK, B_MAC_PEER, chance(50) ? ETHERTYPE_VLAN : ETHERTYPE_QINQ, b,
			     l + 4);
	}
	case 1: /* 802.3 length field + LLC */
		return b_eth(B_MAC_STACK, B_MAC_PEER, (uint16_t)below(0x600), b, n);
	case 2: /* other EtherTypes */
		return b_eth(chance(50) ? B_MAC_STACK : B_MAC_BCAST, B_MAC_PEER,
			     chance(50) ? ETHERTYPE_IPV6 : (uint16_t)rnd(), b, n);
	case 3: { /* random bytes, short or long */
		struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)below(chance(50) ? 20 : 1600));
		if (p)
			fill_random(pkt_data(p), p->len);
		return p;
	}
	default: /* random payload behind a plausible header */
		return b_eth(chance(70) ? B_MAC_STACK : B_MAC_BCAST,
			     chance(90) ? B_MAC_PEER : (const uint8_t[6]){ 0x01, 0, 0x5e, 0, 0, 1 },
			     chance(50) ? ETHERTYPE_IPV4 : ETHERTYPE_ARP, b, n);
	}
}

static void fix_ip_csum(struct pkt *p)
{
	if (p->len < ETH_HDR_LEN + IP4_HDR_LEN || ns_rd16(pkt_data(p) + 12) != ETHERTYPE_IPV4)
		return;
	uint8_t *ih = pkt_data(p) + ETH_HDR_LEN;
	uint32_t hl = (uint32_t)(ih[0] & 0xf) * 4;
	if (hl < IP4_HDR_LEN || ETH_HDR_LEN + hl > p->len)
		return;
	ns_wr16(ih + 10, 0);
	ns_wr16(ih + 10, ns_csum(ih, hl));
}

/* Mutate a frame in place (or return a replacement); may return NULL. */
static struct pkt *mutate(struct pkt *p)
{
	if (!p)
		return NULL;
	int ip = p->len >= ETH_HDR_LEN + IP4_HDR_LEN && ns_rd16(pkt_data(p) + 12) == ETHERTYPE_IPV4;
	unsigned n = 1 + below(6);
	for (unsigned k = 0; k < n && p->len; k++) {
		uint8_t *d = pkt_data(p);
		uint8_t *ih = d + ETH_HDR_LEN;
		switch (below(ip ? 12 : 4)) {
		case 0:
			d[below(p->len)] ^= (uint8_t)(1u << below(8));
			break;
		case 1:
			d[below(p->len)] = (uint8_t)rnd();
			break;
		case 2: /* truncate */
			pkt_trim(p, below(p->len));
			ip = ip && p->len >= ETH_HDR_LEN + IP4_HDR_LEN;
			break;
		case 3: { /* junk tail */
			uint32_t extra = below(64);
			uint8_t *t = pkt_put(p, extra);
			if (t)
				fill_random(t, extra);
			break;
		}
		case 4: /* IHL */
			ih[0] = (uint8_t)((ih[0] & 0xf0) | below(16));
			break;
		case 5: /* total length: lie */
			ns_wr16(ih + 2, chance(50) ? (uint16_t)rnd()
						   : (uint16_t)(ns_rd16(ih + 2) + below(17) - 8));
			break;
		case 6: /* fragment fields */
			ns_wr16(ih + 6, (uint16_t)(chance(50) ? rnd() : (rnd() & 0x2000) | below(400)));
			break;
		case 7: /* protocol */
			ih[9] = chance(70) ? (uint8_t)(chance(50) ? 1 : (chance(50) ? 6 : 17))
					   : (uint8_t)rnd();
			break;
		case 8:
			ns_wr32(ih + 12, some_addr());
			break;
		case 9:
			ns_wr32(ih + 16, some_addr());
			break;
		case 10: /* version */
			ih[0] = (uint8_t)((below(16) << 4) | (ih[0] & 0xf));
			break;
		default: /* transport length/checksum fields */
			if (p->len >= ETH_HDR_LEN + IP4_HDR_LEN + 8)
				ns_wr16(ih + IP4_HDR_LEN + 4 + 2 * below(2), (uint16_t)rnd());
			break;
		}
	}
	/* Mostly keep the IP header checksum right, so that mutations get
	 * past it and reach the code behind. */
	if (ip && chance(75))
		fix_ip_csum(p);
	return p;
}

static int send_frame(struct pkt *p);

/* A datagram as a stream of fragments: shuffled, duplicated, overlapping,
 * with pieces missing or fields corrupted. Injects every piece. */
static void gen_fragments(void)
{
	size_t len = 16 + below(chance(80) ? 4000 : 20000);
	uint32_t src = chance(90) ? B_IP_PEER : some_addr();
	uint32_t dst = chance(90) ? B_IP_STACK : some_addr();
	uint8_t proto;
	size_t n;
	fill_random(scratch2, len);
	if (chance(50)) {
		proto = IPPROTO_UDP_;
		n = b_udp_bytes(scratch, src, 1234, dst, chance(50) ? 7 : some_port(), scratch2, len);
	} else {
		proto = IPPROTO_ICMP_;
		n = b_icmp_bytes(scratch, ICMP_ECHO, 0, rnd(), scratch2, len);
	}
	uint32_t step = 8 * (1 + below(chance(70) ? 185 : 20));
	uint16_t id = (uint16_t)below(chance(50) ? 8 : 65536);
	struct piece {
		uint32_t off, len;
		int mf;
	} pc[300];
	unsigned np = 0;
	for (uint32_t off = 0; off < n && np < 200; off += step) {
		uint32_t l = (uint32_t)NS_MIN((size_t)step, n - off);
		pc[np++] = (struct piece){ off, l, off + l < n };
	}
	/* Duplicates, overlaps, losses, reordering. */
	unsigned extra = chance(50) ? below(5) : 0;
	for (unsigned i = 0; i < extra && np < NS_ARRAY_SIZE(pc); i++) {
		struct piece q = pc[below(np)];
		if (chance(50)) { /* overlapping piece */
			q.off = 8 * below((uint32_t)(n / 8) + 1);
			q.len = (uint32_t)NS_MIN((size_t)(8 * (1 + below(200))), n > q.off ? n - q.off : 0);
			q.mf = q.off + q.len < n;
		}
		pc[np++] = q;
	}
	if (chance(20) && np > 1)
		pc[below(np)].len = 0; /* lost (skipped below) */
	if (chance(60))
		for (unsigned i = np; i > 1; i--) {
			unsigned j = below(i);
			struct piece t = pc[i - 1];
			pc[i - 1] = pc[j];
			pc[j] = t;
		}
	for (unsigned i = 0; i < np; i++) {
		if (!pc[i].len && chance(90))
			continue;
		struct b_ip4 h = { .src = src, .dst = dst, .proto = proto, .id = id,
				   .frag_off = (uint16_t)pc[i].off, .mf = (uint8_t)pc[i].mf };
		if (pc[i].off == 0 && chance(10)) {
			static const uint8_t opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
			h.opts = opts;
			h.optlen = 8;
		}
		struct pkt *p = b_ip4(&h, scratch + pc[i].off, pc[i].len);
		if (chance(5))
			p = mutate(p);
		send_frame(p);
	}
}

/* Many unrelated fragments: random ids, offsets, sizes. */
static void gen_fragment_flood(void)
{
	unsigned count = 20 + below(200);
	for (unsigned i = 0; i < count; i++) {
		size_t len = 8 * below(40) + (chance(20) ? below(8) : 0);
		fill_random(scratch, len);
		struct b_ip4 h = { .src = chance(80) ? B_IP_PEER : some_addr(), .dst = B_IP_STACK,
				   .proto = (uint8_t)(chance(80) ? IPPROTO_UDP_ : rnd()),
				   .id = (uint16_t)below(chance(50) ? 4 : 2000),
				   .frag_off = (uint16_t)(8 * below(chance(90) ? 64 : 8192)),
				   .mf = (uint8_t)chance(70) };
		send_frame(b_ip4(&h, scratch, len));
	}
}

/* ---- IPv6 ---- */

static const uint8_t *some_addr6(void)
{
	static uint8_t a[12][16];
	static int init;
	if (!init) {
		static const char *const t[] = {
			"fd00::2", "fe80::ff:fe00:2", "fd00::1", "fe80::1", "ff02::1", "ff02::1:ff00:2",
			"::1", "::", "fd00::9", "2001:db8::1", "ff05::1", "::ffff:10.0.0.1",
		};
		for (unsigned i = 0; i < NS_ARRAY_SIZE(t); i++)
			b6_addr(t[i], a[i]);
		init = 1;
	}
	static uint8_t r[16];
	if (chance(85))
		return a[below(NS_ARRAY_SIZE(a))];
	fill_random(r, 16);
	return r;
}

static const uint8_t *peer6(void)
{
	return chance(80) ? (chance(70) ? B6_PEER : B6_PEER_LL) : some_addr6();
}

static const uint8_t *stack6(void)
{
	return chance(80) ? (chance(70) ? B6_STACK : B6_STACK_LL) : some_addr6();
}

/* Options for a Hop-by-Hop or Destination Options header: padding, known
 * and unknown types with every action, sometimes malformed. */
static size_t gen_opts(uint8_t *o)
{
	size_t n = 0, k = below(4);
	for (size_t i = 0; i < k; i++) {
		uint8_t type = chance(30) ? 1 : chance(30) ? 5 : (uint8_t)((below(4) << 6) | 0x1e);
		uint8_t len = (uint8_t)below(chance(90) ? 6 : 40);
		o[n++] = type;
		o[n++] = len;
		fill_random(o + n, len);
		n += len;
	}
	if (chance(20))
		o[n++] = 0;
	return n;
}

/* An upper-layer message for nxt from src to dst, checksummed. */
static size_t gen_upper6(uint8_t nxt, const uint8_t *src, const uint8_t *dst, uint8_t *out)
{
	size_t len = below(chance(90) ? 120 : 3000);
	fill_random(scratch2, len);
	switch (nxt) {
	case IP6_NH_ICMPV6: {
		static const uint8_t types[] = { ICMP6_ECHO_REQ, ICMP6_ECHO_REP, ICMP6_UNREACH,
						 ICMP6_TOO_BIG, ICMP6_PARAMPROB, ICMP6_TIME_EXCEED,
						 ICMP6_MLD_QUERY, ICMP6_ND_NS, 200, 7 };
		return b6_icmp_bytes(out, src, dst, types[below(NS_ARRAY_SIZE(types))],
				     (uint8_t)below(5), rnd(), scratch2, len);
	}
	case IPPROTO_UDP_:
		return b6_udp_bytes(out, src, some_port(), dst, some_port(), scratch2, len);
	default:
		memcpy(out, scratch2, len);
		return len;
	}
}

/* An ICMPv6 error quoting a packet we might have sent. */
static struct pkt *gen_icmp6_error(void)
{
	uint8_t q[200];
	struct ip6_repr ip = { .plen = (uint16_t)below(200), .hlim = 64,
			       .nxt = chance(80) ? (uint8_t)(chance(50) ? IPPROTO_UDP_ : IPPROTO_TCP_)
						 : (uint8_t)rnd() };
	memcpy(ip.src, chance(80) ? B6_STACK : some_addr6(), 16);
	memcpy(ip.dst, chance(80) ? B6_PEER : some_addr6(), 16);
	ip6_emit(q, &ip);
	size_t ql = IP6_HDR_LEN + below(sizeof(q) - IP6_HDR_LEN);
	fill_random(q + IP6_HDR_LEN, ql - IP6_HDR_LEN);
	if (ql >= IP6_HDR_LEN + 4 && chance(70)) {
		ns_wr16(q + IP6_HDR_LEN, some_port());
		ns_wr16(q + IP6_HDR_LEN + 2, some_port());
	}
	uint8_t type = (uint8_t)(1 + below(4));
	uint32_t rest = type == ICMP6_TOO_BIG ? (chance(50) ? 1200 + below(400) : rnd()) : rnd();
	return b6_icmp(peer6(), stack6(), 0, type, (uint8_t)below(8), rest, q, ql);
}

/* Neighbour discovery and MLD, valid or nearly. */
static struct pkt *gen_nd(void)
{
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, (uint8_t)(1 + below(5)) };
	uint8_t sn[16];
	ip6_solicited_node(stack6(), sn);
	switch (below(7)) {
	case 0:
		return b6_ns(chance(70) ? peer6() : B6_UNSPEC, chance(50) ? sn : stack6(), stack6(),
			     chance(70) ? mac : NULL);
	case 1:
		return b6_na(peer6(), chance(50) ? B6_ALL_NODES : stack6(), chance(50) ? peer6() : stack6(),
			     (uint8_t)(rnd() & 0xe0), chance(80) ? mac : NULL);
	case 2: {
		uint8_t pfx[4][16];
		struct b6_ra ra = { .src = chance(90) ? B6_PEER_LL : some_addr6(),
				    .hlim_ip = chance(90) ? 255 : (uint8_t)rnd(),
				    .cur_hlim = (uint8_t)rnd(), .lifetime = (uint16_t)below(chance(70) ? 100 : 65536),
				    .reachable = chance(70) ? 0 : rnd(), .retrans = chance(70) ? 0 : below(5000),
				    .slla = chance(70) ? mac : NULL,
				    .mtu = chance(70) ? 0 : (chance(50) ? 1280 + below(300) : rnd()),
				    .npi = below(4) };
		for (unsigned i = 0; i < ra.npi; i++) {
			fill_random(pfx[i], 16);
			if (chance(60)) {
				memset(pfx[i], 0, 16);
				pfx[i][0] = 0x20;
				pfx[i][1] = 0x01;
				pfx[i][3] = (uint8_t)below(4);
			}
			ra.pi[i] = (struct b6_prefix){ pfx[i], (uint8_t)(chance(80) ? 64 : rnd()),
						       (uint8_t)rnd(), chance(50) ? below(30) : rnd(),
						       chance(50) ? below(30) : rnd() };
		}
		return b6_ra(&ra);
	}
	case 3: { /* RS, Redirect, or an option list of any shape */
		uint8_t body[64];
		size_t n = below(sizeof(body));
		fill_random(body, n);
		if (chance(50) && n >= 18) {
			memcpy(body, stack6(), 16);
			body[16] = (uint8_t)below(6);
			body[17] = (uint8_t)below(3);
		}
		static const uint8_t types[] = { ICMP6_ND_RS, ICMP6_ND_REDIRECT, ICMP6_ND_NS, ICMP6_ND_NA,
						 ICMP6_ND_RA };
		return b6_icmp(peer6(), chance(50) ? B6_ALL_NODES : stack6(), chance(90) ? 255 : 64,
			       types[below(NS_ARRAY_SIZE(types))], (uint8_t)(chance(90) ? 0 : rnd()),
			       rnd(), body, n);
	}
	default: { /* MLD */
		uint8_t body[40];
		memcpy(body, chance(50) ? B6_UNSPEC : sn, 16);
		size_t n = chance(40) ? 16 : chance(60) ? 20 : below(sizeof(body));
		if (n > 16)
			fill_random(body + 16, n - 16);
		static const uint8_t types[] = { ICMP6_MLD_QUERY, ICMP6_MLD1_REPORT, ICMP6_MLD1_DONE,
						 ICMP6_MLD2_REPORT };
		return b6_icmp(chance(80) ? B6_PEER_LL : peer6(), chance(50) ? B6_ALL_NODES : sn, 1,
			       types[below(NS_ARRAY_SIZE(types))], 0,
			       (uint32_t)below(chance(50) ? 2000 : 65536) << 16, body, n);
	}
	}
}

/* A packet with a chain of extension headers, then an upper layer. */
static struct pkt *gen_ext_chain(void)
{
	uint8_t ext[1024]; /* 4 headers of at most 176 bytes */
	size_t n = 0;
	const uint8_t *src = peer6(), *dst = stack6();
	static const uint8_t uppers[] = { IP6_NH_ICMPV6, IPPROTO_UDP_, IPPROTO_TCP_, IP6_NH_NONE, 253,
					  IPPROTO_ICMP_ };
	uint8_t upper = uppers[below(NS_ARRAY_SIZE(uppers))];
	unsigned k = 1 + below(4);
	uint8_t types[4];
	for (unsigned i = 0; i < k; i++) {
		static const uint8_t t[] = { IP6_NH_HOPOPTS, IP6_NH_DSTOPTS, IP6_NH_ROUTING,
					     IP6_NH_FRAGMENT };
		types[i] = t[below(NS_ARRAY_SIZE(t))];
	}
	for (unsigned i = 0; i < k; i++) {
		uint8_t nxt = i + 1 < k ? types[i + 1] : upper;
		uint8_t o[4 * (2 + 40) + 1]; /* what gen_opts() writes at most */
		switch (types[i]) {
		case IP6_NH_ROUTING: {
			size_t l = 8 + 16 * below(3);
			ext[n] = nxt;
			ext[n + 1] = (uint8_t)(l / 8 - 1);
			ext[n + 2] = (uint8_t)(chance(50) ? 0 : below(5));
			ext[n + 3] = (uint8_t)(chance(50) ? 0 : below(3));
			fill_random(ext + n + 4, l - 4);
			n += l;
			break;
		}
		case IP6_NH_FRAGMENT:
			n += b6_ext_frag(ext + n, nxt, chance(70) ? 0 : 8 * below(100), chance(20),
					 rnd());
			break;
		default:
			n += b6_ext_opts(ext + n, nxt, o, gen_opts(o));
			break;
		}
	}
	size_t ul = gen_upper6(upper, src, dst, scratch);
	struct b_ip6 h = { .src = src, .dst = dst, .nxt = types[0], .ext = ext, .extlen = n,
			   .hlim = (uint8_t)(chance(80) ? 64 : rnd()) };
	return b6_ip(&h, scratch, ul);
}

static struct pkt *gen_ip6(void)
{
	switch (below(8)) {
	case 0:
	case 1:
		return b6_ping(peer6(), stack6(), (uint16_t)rnd(), (uint16_t)rnd(),
			       below(chance(90) ? 100 : 4000));
	case 2: {
		const uint8_t *src = peer6(), *dst = stack6();
		size_t n = gen_upper6(chance(50) ? IPPROTO_UDP_ : (uint8_t)rnd(), src, dst, scratch);
		struct b_ip6 h = { .src = src, .dst = dst, .nxt = IPPROTO_UDP_ };
		if (chance(30)) {
			/* TCP to the listener, checksummed. */
			memset(scratch, 0, 20);
			ns_wr16(scratch, some_port());
			ns_wr16(scratch + 2, 80);
			ns_wr32(scratch + 4, rnd());
			scratch[12] = 5 << 4;
			scratch[13] = chance(50) ? 0x02 : (uint8_t)rnd();
			ns_wr16(scratch + 14, 65535);
			n = 20;
			uint32_t sum = ns_csum_pseudo6(src, dst, IPPROTO_TCP_, 20);
			ns_wr16(scratch + 16, ns_csum_fold(ns_csum_add(sum, scratch, 20)));
			h.nxt = IPPROTO_TCP_;
		}
		return b6_ip(&h, scratch, n);
	}
	case 3:
		return gen_icmp6_error();
	case 4:
	case 5:
		return gen_nd();
	case 6:
		return gen_ext_chain();
	default: { /* junk behind a header */
		size_t n = below(200);
		fill_random(scratch, n);
		struct b_ip6 h = { .src = peer6(), .dst = stack6(), .nxt = (uint8_t)rnd() };
		return b6_ip(&h, scratch, n);
	}
	}
}

/* Fix the ICMPv6/UDP checksum of an unfragmented IPv6 packet whose upper
 * layer directly follows the header. */
static void fix_csum6(struct pkt *p)
{
	uint8_t *ih = pkt_data(p) + ETH_HDR_LEN;
	if (p->len < ETH_HDR_LEN + IP6_HDR_LEN || ns_rd16(pkt_data(p) + 12) != ETHERTYPE_IPV6)
		return;
	uint32_t plen = ns_rd16(ih + 4);
	if (ETH_HDR_LEN + IP6_HDR_LEN + plen > p->len)
		return;
	uint8_t *l4 = ih + IP6_HDR_LEN;
	uint32_t off = ih[6] == IP6_NH_ICMPV6 && plen >= 4 ? 2 : ih[6] == IPPROTO_UDP_ && plen >= 8 ? 6 : 0;
	if (!off)
		return;
	ns_wr16(l4 + off, 0);
	uint16_t c = ns_csum_fold(ns_csum_add(ns_csum_pseudo6(ih + 8, ih + 24, ih[6], plen), l4, plen));
	ns_wr16(l4 + off, ih[6] == IPPROTO_UDP_ && !c ? 0xffff : c);
}

static struct pkt *mutate6(struct pkt *p)
{
	if (!p || p->len < ETH_HDR_LEN + IP6_HDR_LEN)
		return p;
	unsigned n = 1 + below(4);
	for (unsigned k = 0; k < n && p->len >= ETH_HDR_LEN + IP6_HDR_LEN; k++) {
		uint8_t *d = pkt_data(p);
		uint8_t *ih = d + ETH_HDR_LEN;
		switch (below(9)) {
		case 0:
			d[below(p->len)] ^= (uint8_t)(1u << below(8));
			break;
		case 1: /* anywhere after the IPv6 header */
			if (p->len > ETH_HDR_LEN + IP6_HDR_LEN)
				d[ETH_HDR_LEN + IP6_HDR_LEN + below(p->len - ETH_HDR_LEN - IP6_HDR_LEN)] =
					(uint8_t)rnd();
			break;
		case 2:
			pkt_trim(p, below(p->len));
			break;
		case 3: /* payload length: lie */
			ns_wr16(ih + 4, chance(50) ? (uint16_t)rnd() : (uint16_t)(ns_rd16(ih + 4) + below(17) - 8));
			break;
		case 4: /* next header */
			ih[6] = chance(70) ? (uint8_t)(chance(50) ? 0 : (chance(50) ? 44 : 60)) : (uint8_t)rnd();
			break;
		case 5:
			ih[7] = (uint8_t)rnd();
			break;
		case 6:
			memcpy(ih + 8, some_addr6(), 16);
			break;
		case 7:
			memcpy(ih + 24, some_addr6(), 16);
			break;
		default:
			ih[0] = (uint8_t)((below(16) << 4) | (ih[0] & 0xf));
			break;
		}
	}
	if (chance(75))
		fix_csum6(p);
	return p;
}

/* An IPv6 datagram as a stream of fragments (as gen_fragments). */
static void gen_fragments6(void)
{
	size_t len = 16 + below(chance(80) ? 4000 : 20000);
	const uint8_t *src = chance(90) ? B6_PEER : some_addr6();
	const uint8_t *dst = chance(90) ? B6_STACK : some_addr6();
	fill_random(scratch2, len);
	uint8_t nxt = chance(50) ? IPPROTO_UDP_ : IP6_NH_ICMPV6;
	size_t n = nxt == IPPROTO_UDP_
			   ? b6_udp_bytes(scratch, src, 1234, dst, some_port(), scratch2, len)
			   : b6_icmp_bytes(scratch, src, dst, ICMP6_ECHO_REQ, 0, rnd(), scratch2, len);
	uint32_t step = 8 * (1 + below(chance(70) ? 180 : 20));
	uint32_t id = below(chance(50) ? 8 : 100000);
	struct piece {
		uint32_t off, len;
		int more;
	} pc[260];
	unsigned np = 0;
	for (uint32_t off = 0; off < n && np < 200; off += step) {
		uint32_t l = (uint32_t)NS_MIN((size_t)step, n - off);
		pc[np++] = (struct piece){ off, l, off + l < n };
	}
	unsigned extra = chance(50) ? below(5) : 0;
	for (unsigned i = 0; i < extra && np < NS_ARRAY_SIZE(pc); i++) {
		struct piece q = pc[below(np)];
		if (chance(50)) {
			q.off = 8 * below((uint32_t)(n / 8) + 1);
			q.len = (uint32_t)NS_MIN((size_t)(8 * (1 + below(200))), n > q.off ? n - q.off : 0);
			q.more = q.off + q.len < n;
		}
		if (chance(10))
			q.len += below(8); /* not a multiple of 8 */
		pc[np++] = q;
	}
	if (chance(20) && np > 1)
		pc[below(np)].len = 0;
	if (chance(60))
		for (unsigned i = np; i > 1; i--) {
			unsigned j = below(i);
			struct piece t = pc[i - 1];
			pc[i - 1] = pc[j];
			pc[j] = t;
		}
	for (unsigned i = 0; i < np; i++) {
		if (!pc[i].len && chance(90))
			continue;
		uint32_t l = pc[i].off + pc[i].len > n ? (uint32_t)(n - pc[i].off) : pc[i].len;
		struct pkt *p = b6_frag(src, dst, id, nxt, scratch, pc[i].off, l, pc[i].more);
		if (chance(5))
			p = mutate6(p);
		send_frame(p);
	}
}

static struct pkt *gen_one(void)
{
	switch (below(13)) {
	case 10:
	case 11:
		return gen_ip6();
	case 12:
		return mutate6(gen_ip6());
	case 0:
	case 1:
		return gen_udp();
	case 2:
	case 3:
		return gen_icmp();
	case 4:
		return gen_tcp();
	case 5:
		return gen_arp();
	case 6:
		return gen_l2_junk();
	default: {
		/* A mutated valid frame. */
		struct pkt *(*const g[])(void) = { gen_udp, gen_icmp, gen_tcp, gen_arp };
		return mutate(g[below(NS_ARRAY_SIZE(g))]());
	}
	}
}

/* ---- driving the stack ---- */

/* What is wrong with an IPv6 frame the stack sent, or NULL. */
static const char *check_output6(struct pkt *p)
{
	struct b_frame6 f;
	if (b_parse6(p, &f) < 0)
		return "unparseable IPv6";
	if (!f.payload_len_ok)
		return "IPv6 payload length disagrees with the frame";
	if (p->len - ETH_HDR_LEN > B.cfg->mtu)
		return "IPv6 packet above the link MTU";
	if (ip6_is_mcast(f.ip.src))
		return "IPv6 multicast source";
	if ((f.nxt == IP6_NH_ICMPV6 || f.nxt == IPPROTO_UDP_) &&
	    (!f.has_frag || (!f.frag.off && !f.frag.m)) && !f.l4_csum_ok)
		return "bad ICMPv6/UDP checksum";
	if (f.nxt == IP6_NH_ICMPV6 && f.icmp_type >= ICMP6_ND_RS && f.icmp_type <= ICMP6_ND_REDIRECT &&
	    f.ip.hlim != 255)
		return "NDP message without hop limit 255";
	if (f.nxt == IP6_NH_ICMPV6 && f.icmp_type == ICMP6_MLD2_REPORT && f.ip.hlim != 1)
		return "MLD report without hop limit 1";
	if (ip6_is_mcast(f.ip.dst)) {
		uint8_t mac[6];
		ip6_mcast_mac(f.ip.dst, mac);
		if (memcmp(f.dst, mac, 6))
			return "IPv6 multicast to the wrong Ethernet group";
	}
	return NULL;
}

static void check_output(struct pkt *p)
{
	struct b_frame f;
	const char *why = NULL;
	B.sent++;
	if (b_parse(p, &f) < 0)
		why = "unparseable";
	else if (memcmp(f.src, B_MAC_STACK, 6) != 0)
		why = "source MAC is not ours";
	else if (f.type == ETHERTYPE_IPV6)
		why = check_output6(p);
	else if (f.type != ETHERTYPE_IPV4 && f.type != ETHERTYPE_ARP)
		why = "unexpected EtherType";
	else if (f.is_ip && !f.ip_csum_ok)
		why = "bad IPv4 header checksum";
	else if (f.is_ip && (uint32_t)f.ip.tot_len + ETH_HDR_LEN != p->len)
		why = "IPv4 total length disagrees with the frame";
	else if (f.is_ip && f.ip.tot_len > B.cfg->mtu)
		why = "IPv4 packet above the link MTU";
	else if (f.is_ip && !f.ip.mf && !f.ip.frag_off &&
		 (f.ip.proto == IPPROTO_UDP_ || f.ip.proto == IPPROTO_ICMP_) && !f.l4_csum_ok)
		why = "bad UDP/ICMP checksum";
	else if (f.is_arp && memcmp(f.arp.sha, B_MAC_STACK, 6) != 0)
		why = "ARP sender is not us";
	if (why) {
		if (!B.malformed_out++)
			snprintf(B.first_malformed, sizeof(B.first_malformed), "%s (frame %llu)", why,
				 (unsigned long long)B.sent);
	}
}

static void drain_output(void)
{
	struct pkt *p;
	while ((p = ns_channel_take(B.ch))) {
		check_output(p);
		pkt_unref(p);
	}
}

static void run_stack(void)
{
	for (int i = 0; i < 100 && ns_stack_poll(B.st) > 0; i++)
		;
	ns_stack_flush(B.st);
	/* Services: echo on port 7, occasionally drain the sink on port 9. */
	uint8_t buf[65536];
	struct sockaddr_in from;
	for (int i = 0; i < 64; i++) {
		socklen_t fl = sizeof(from);
		ssize_t n = ns_recvfrom(B.echo, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n == -EAGAIN)
			break;
		/* As moat stack --udp-echo: never answer 0.0.0.0 (that is
		 * this host: an echo to itself that never ends). */
		if (n >= 0 && from.sin_addr.s_addr != 0)
			ns_sendto(B.echo, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
	if (chance(10))
		while (ns_recv(B.sink, buf, sizeof(buf), 0) != -EAGAIN)
			;
	while (ns_recv(B.conn, buf, sizeof(buf), 0) != -EAGAIN)
		;
	for (int i = 0; i < 100 && ns_stack_poll(B.st) > 0; i++)
		;
	drain_output();
}

/* Injects one frame (consumed); the pool limit of the low-memory
 * configuration applies only while the stack processes it. */
static int send_frame(struct pkt *p)
{
	if (!p)
		return 0;
	if (B.cfg->csum_verified && chance(50))
		p->flags |= PKT_F_CSUM_VERIFIED;
	B.injected++;
	if (B.cfg->pool_limit)
		pkt_pool_set_limit(B.cfg->pool_limit);
	ns_channel_inject(B.ch, p);
	run_stack();
	pkt_pool_set_limit(512ULL << 20);
	return 1;
}

/* As an event loop: wake at every deadline up to now + dt. */
static void advance(ns_time_t dt)
{
	ns_time_t end = B.wheel.now + dt;
	for (int guard = 0; guard < 100000; guard++) {
		ns_time_t next = ns_wheel_next(&B.wheel);
		if (next > end)
			break;
		ns_wheel_advance(&B.wheel, next);
		run_stack();
	}
	ns_wheel_advance(&B.wheel, end);
	run_stack();
}

static int setup(const struct cfg *c, uint64_t seed)
{
	memset(&B, 0, sizeof(B));
	B.cfg = c;
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	ns_wheel_init(&B.wheel, 1000 * NS_SEC);
	struct ns_stack_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.wheel = &B.wheel;
	for (unsigned i = 0; i < sizeof(sc.secret); i++)
		sc.secret[i] = (uint8_t)(seed + i);
	if (ns_stack_create(&sc, &B.st) < 0)
		return -1;
	/* IPv6 usable at once (its link-local too), so that frames reach
	 * past the tentative-address check from the start. */
	ns_stack_set_option(B.st, "ip6.dad_transmits", "0");
	if (ns_channel_link_create(B_MAC_STACK, c->mtu, NS_LINK_CAP_RESOLVE, &B.ch) < 0)
		return -1;
	int nic = ns_stack_add_nic(B.st, B.ch);
	struct ns_ip a = ns_ip4(B_IP_STACK), a2 = ns_ip4(STACK2);
	if (nic < 0 || ns_stack_add_addr(B.st, nic, &a, 24) < 0 ||
	    ns_stack_add_addr(B.st, nic, &a2, 24) < 0)
		return -1;
	struct ns_ip any = ns_ip4(0), gw = ns_ip4(IP4_ADDR(10, 0, 0, 254));
	ns_stack_add_route(B.st, &any, 0, &gw, nic);
	/* IPv6 (refused on the 576-byte link, RFC 8200 5). */
	struct ns_ip a6, any6, gw6;
	memset(&any6, 0, sizeof(any6));
	any6.family = AF_INET6;
	a6 = any6;
	gw6 = any6;
	memcpy(a6.v6, B6_STACK, 16);
	memcpy(gw6.v6, B6_PEER_LL, 16);
	if (ns_stack_add_addr(B.st, nic, &a6, 64) == 0)
		ns_stack_add_route(B.st, &any6, 0, &gw6, nic);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (ns_socket_create(B.st, AF_INET, SOCK_DGRAM, 0, &B.echo) < 0 ||
	    ns_socket_create(B.st, AF_INET, SOCK_DGRAM, 0, &B.sink) < 0 ||
	    ns_socket_create(B.st, AF_INET, SOCK_DGRAM, 0, &B.conn) < 0)
		return -1;
	sa.sin_port = htons(7);
	ns_bind(B.echo, (struct sockaddr *)&sa, sizeof(sa));
	sa.sin_port = htons(9);
	ns_bind(B.sink, (struct sockaddr *)&sa, sizeof(sa));
	sa.sin_port = htons(53);
	sa.sin_addr.s_addr = htonl(B_IP_PEER);
	ns_connect(B.conn, (struct sockaddr *)&sa, sizeof(sa));
	/* A TCP listener, so that TCP input is exercised too. */
	if (ns_socket_create(B.st, AF_INET, SOCK_STREAM, 0, &B.listener) == 0) {
		struct sockaddr_in ta = { .sin_family = AF_INET, .sin_port = htons(80) };
		if (ns_bind(B.listener, (struct sockaddr *)&ta, sizeof(ta)) < 0 ||
		    ns_listen(B.listener, 16) < 0) {
			ns_close(B.listener);
			B.listener = NULL;
		}
	}
	drain_output();
	return 0;
}

static int run_config(const struct cfg *c, uint64_t seed, unsigned frames)
{
	char name[96];
	snprintf(name, sizeof(name), "badinput.%s_seed%llu", c->name, (unsigned long long)seed);
	if (setup(c, seed) < 0) {
		printf("FAIL %s.setup could not build the stack\n", name);
		return 1;
	}
	unsigned kinds[3] = { 0, 0, 0 };
	while (B.injected < frames) {
		unsigned k = below(100);
		if (k < 4) {
			gen_fragments();
			kinds[1]++;
		} else if (k < 6) {
			gen_fragments6();
			kinds[1]++;
		} else if (k < 7) {
			gen_fragment_flood();
			kinds[2]++;
		} else {
			send_frame(gen_one());
			kinds[0]++;
		}
		/* The clock: mostly small steps, sometimes long enough for
		 * retransmissions, neighbour and reassembly timeouts. */
		if (chance(30))
			advance(below(2 * NS_MSEC));
		if (below(1000) < 3)
			advance((5 + below(40)) * NS_SEC);
	}
	/* Let every reassembly queue expire, neighbours time out, TCP give up. */
	advance(200 * NS_SEC);
	drain_output();

	int failed = 0;
	if (B.malformed_out) {
		printf("FAIL %s.outputs_well_formed %llu of %llu frames sent were malformed; first: %s\n",
		       name, (unsigned long long)B.malformed_out, (unsigned long long)B.sent,
		       B.first_malformed);
		failed++;
	} else {
		printf("PASS %s.outputs_well_formed\n", name);
	}
	/* Nothing from the wire may make the stack talk to itself. */
	uint64_t looped = B.st->nics[1]->link->stats.rx_frames;
	if (looped) {
		printf("FAIL %s.nothing_looped_back %llu frames went through the loopback interface\n",
		       name, (unsigned long long)looped);
		failed++;
	} else {
		printf("PASS %s.nothing_looped_back\n", name);
	}
	char msg[256];
	const struct ns_stats *s = ns_stack_stats(B.st);
	if (books_check(B.st, B.ch, B.injected, msg, sizeof(msg)) < 0) {
		printf("FAIL %s.every_frame_accounted_for %s\n", name, msg);
		ns_stack_print_stats(B.st, stdout, 0);
		failed++;
	} else {
		printf("PASS %s.every_frame_accounted_for\n", name);
	}
	fprintf(stderr,
		"%s: %llu frames injected (%u single, %u fragment streams, %u floods), %llu sent;"
		" eth.rx %llu, ip4.delivered %llu, reasm_ok %llu, udp.delivered %llu,"
		" echo replies %llu, tcp.rx %llu; ip6.rx %llu, ip6.delivered %llu, ip6 reasm_ok %llu,"
		" icmp6 echo replies %llu, ndp.rx %llu, mld.rx %llu, icmp6 errors sent %llu\n",
		name, (unsigned long long)B.injected, kinds[0], kinds[1], kinds[2],
		(unsigned long long)B.sent, (unsigned long long)s->eth_rx,
		(unsigned long long)s->ip4_delivered, (unsigned long long)s->ip4_reasm_ok,
		(unsigned long long)s->udp_delivered, (unsigned long long)s->icmp_echo_reply_tx,
		(unsigned long long)s->tcp_rx, (unsigned long long)s->ip6_rx,
		(unsigned long long)s->ip6_delivered, (unsigned long long)s->ip6_reasm_ok,
		(unsigned long long)s->icmp6_echo_reply_tx, (unsigned long long)s->ndp_rx,
		(unsigned long long)s->mld_rx,
		(unsigned long long)(s->icmp6_unreach_tx + s->icmp6_param_prob_tx +
				     s->icmp6_time_exceeded_tx));

	ns_close(B.echo);
	ns_close(B.sink);
	ns_close(B.conn);
	if (B.listener)
		ns_close(B.listener);
	ns_stack_destroy(B.st);
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	if (ps.in_use || ps.views_in_use) {
		printf("FAIL %s.no_leak %llu chunks and %llu views still in use after destroy\n", name,
		       (unsigned long long)ps.in_use, (unsigned long long)ps.views_in_use);
		failed++;
	} else {
		printf("PASS %s.no_leak\n", name);
	}
	return failed;
}

int main(int argc, char **argv)
{
	unsigned frames = 20000;
	long long seed = -1;
	static const struct option opts[] = {
		{ "frames", required_argument, 0, 'f' },
		{ "seed", required_argument, 0, 's' },
		{ 0, 0, 0, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'f')
			frames = (unsigned)strtoul(optarg, NULL, 10);
		else if (o == 's')
			seed = strtoll(optarg, NULL, 10);
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int failed = 0;
	for (unsigned i = 0; i < NS_ARRAY_SIZE(CONFIGS); i++)
		failed += run_config(&CONFIGS[i], seed >= 0 ? (uint64_t)seed : i + 1, frames);
	pkt_pool_trim();
	return failed ? 1 : 0;
}
