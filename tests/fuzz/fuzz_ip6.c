/*
 * libFuzzer harness for the IPv6 input path behind the IPv6 header:
 * extension header chains (RFC 8200 4), fragments and their reassembly
 * (4.5), neighbour and router discovery (RFC 4861, RFC 4862), MLD (RFC
 * 3810) and ICMPv6 (RFC 4443), on a fake clock.
 *
 * fuzz_frame.c feeds raw frames; its checksum repair only helps when the
 * upper layer follows the IPv6 header directly, so mutations of header
 * chains and NDP options rarely reach the code behind the checksum. Here
 * the input describes packets field by field and the harness writes them:
 * Payload Length, the upper-layer checksum over the pseudo-header with the
 * final destination (RFC 8200 8.1), padding of option headers, and the
 * slicing of a datagram into fragments. Invalid values come from the
 * choices themselves (lengths that overrun, unknown types, raw bytes).
 *
 * Input format:
 *   byte 0   configuration: bit 0 duplicate address detection on (the
 *            addresses start tentative); bit 1 the peer introduced itself
 *            (NS from fd00::1 and fe80::1 with their link-layer address);
 *            bit 2 the peer answers the stack's solicitations for its
 *            addresses; bit 3 no static default route (off-link
 *            traffic then needs a router from an advertisement);
 *            bits 4-5 link MTU (1500, 1280, 9000, 16384); bit 6
 *            ip6.accept_ra 0; bit 7 ip6.autoconf 0
 *   then records: 1 byte length L, then L bytes (bytes missing at the end
 *   of a record read as 0, so a short record takes the defaults). The
 *   record's first byte, modulo 8, is its kind:
 *     0-3  a packet from the peer:
 *            addresses: low nibble source, high nibble destination, from
 *              the address table (15: 16 raw bytes follow); 0 means the
 *              peer for the source and the stack for the destination (every
 *              address field counts from the entry that suits it: an NS
 *              target from the stack's, an NA target from the peer's...)
 *            hop limit: below 0xc0 255, else the next byte
 *            flags: bit 0 leave the upper-layer checksum broken; bit 1 a
 *              lying Payload Length (next byte: signed delta, 0x80: 0);
 *              bit 2 Ethernet broadcast; bit 3 8 junk bytes after the
 *              packet (link padding); bits 4-6 number of extension
 *              headers; bit 7 the ICMPv6 code is read (else 0)
 *            each extension header: a selector (mod 8) and its fields:
 *              0, 4 Hop-by-Hop, 1, 5 Destination Options: option count
 *                (mod 8), each option: selector (mod 10): Pad1, PadN,
 *                Router Alert, Jumbo Payload, an unknown option (next
 *                byte: action in bits 0-1, length in bits 2-5), raw TLV,
 *                Tunnel Encapsulation Limit, Home Address, an option
 *                overrunning the header, raw bytes; the header is padded
 *                to 8 bytes
 *              2, 7 Routing: type (0, 2, 3, 4, 1, 253, 254, raw), Segments
 *                Left, 4 raw bytes, address count (mod 4) and addresses
 *              3 Fragment: flags (bit 0 M, bits 1-2 identification 42, 43,
 *                0xdead or 4 raw bytes, bit 3 reserved byte set), offset
 *                field (13-bit offset in 8-byte units, then the reserved
 *                bits), 16-bit length of the slice in 8-byte units (0: the
 *                rest). The first Fragment header cuts what follows it
 *                (later headers and the upper layer, checksummed whole)
 *                at that offset (from its start if the offset is past
 *                its end): fragments of one datagram from several
 *                records reassemble, or overlap
 *              6 raw: the type that names it, a length, that many bytes;
 *                the chain ends there (nothing names what follows)
 *            upper layer: a selector (mod 8), the code if flag bit 7, then
 *              0 echo request, or reply if selector bit 3 (4 bytes id/seq,
 *                16-bit data length)
 *              1 NDP (mod 5: NS, NA, RS, RA, Redirect) with its fields and
 *                options: count (mod 8), each a selector (mod 12): source /
 *                target link-layer address, prefix information, MTU, RDNSS,
 *                route information, nonce, redirected header, unknown type,
 *                zero length, overrunning length, raw bytes
 *              2 ICMPv6 error (unreachable, packet too big, time exceeded,
 *                parameter problem, unknown) quoting a packet "of ours"
 *              3 UDP (to port 7 echo, 5353 a connected socket, 9 closed,
 *                or raw)
 *              4 TCP (to port 80 listening, 81 closed, or raw; SYN by
 *                default)
 *              5 an unknown Next Header (the byte) and raw bytes
 *              6 MLD: query (v1 or v2), v1 report, done, v2 report
 *              7 any ICMPv6 type with raw bytes
 *     4    another fragment of the last packet's datagram (all that
 *          followed its first Fragment header, or its whole payload if it
 *          had none): flags (bit 0 M, bits 1-2 identification: 0 the
 *          datagram's, else 42, 43, 0xdead; bit 3 reserved byte set),
 *          offset field, slice length
 *     5    clock step: v < 200: 5v ms; < 240: v-199 s; else (v-239) min
 *     6    the stack sends: a UDP datagram from its echo socket to the
 *          table address (byte, raw if 15), 16-bit length, flags bit 0:
 *          from the connected socket instead, bit 1: with the link's scope
 *     7    the rest of the record as a raw IPv6 packet
 *
 * The address table: the stack's fd00::2 and link-local address, the
 * peer's fd00::1 and fe80::1, ff02::1, the stack's solicited-node group,
 * ff02::2, ff02::fb (a group the stack joined), ::, 2001:db8::1 (another
 * subnet), the stack's SLAAC address in 2001:db8:1::/64, fd00::3 (another
 * neighbour), ::1, ::ffff:10.0.0.1, ff01::1, raw.
 *
 * Every input gets a fresh stack: fd00::2/64 and its fe80:: address on a
 * channel link, a default route via fe80::1 (unless bit 3), AF_INET6
 * sockets: UDP echo on port 7 (a member of ff02::fb), UDP [::]:5353
 * connected to [fd00::1]:53 (unless DAD is on; a member of ff02::fb for
 * fd00::1's datagrams only), TCP listening on 80. After the
 * records the clock runs 200 s (reassembly queues expire) and then two days
 * (lifetimes, neighbour states), then:
 *   - the accounting of tests/unit/books.h must hold;
 *   - nothing may have gone through the loopback interface (unless a
 *     packet came from an address that could become ours later: one of
 *     our tentative addresses, or one with our interface identifier);
 *   - after ns_stack_destroy() no packet chunk or view may be in use;
 *   - every frame the stack sent was well formed: IPv6 from our MAC,
 *     Payload Length matching the frame, within the link MTU, not from a
 *     multicast address, ICMPv6/UDP/TCP checksums right, NDP with hop
 *     limit 255, MLD with hop limit 1 behind a Hop-by-Hop header, ICMPv6
 *     errors within the minimum MTU, quoting a packet from their
 *     destination, never about a packet to a group (but Packet Too Big
 *     and Parameter Problem code 2) or about an ICMPv6 error (RFC 4443
 *     2.4), multicast to its Ethernet group, nothing to :: or ::1.
 * ASan/UBSan and libFuzzer's leak check do the rest.
 *
 * FUZZ_WRITE_SEEDS=DIR: write a seed corpus (a valid example of each
 * kind) into DIR and exit. FUZZ_IP6_VERBOSE=1: print the stack's
 * counters and every frame it sent, to see what an input reaches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "seed_file.h"
#include "../unit/books.h"
#include "../unit/builders.h"
#include "../unit/builders.c"
#include "../unit/builders6.c"
#include "ipv6_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__asan_default_options(void);

/* Every input builds and frees a whole stack. With ASan's default 256 MB
 * quarantine each of its allocations lands on fresh pages, and page
 * faults were half the time per input; a smaller quarantine still holds
 * far more than one input frees. (ASAN_OPTIONS overrides it.) */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

static const uint32_t MTUS[4] = { 1500, 1280, 9000, 16384 };
static const uint8_t MAC_OTHER[6] = { 0x02, 0, 0, 0, 0, 0x77 };

enum {
	CFG_DAD = 1,
	CFG_PEER_KNOWN = 2,
	CFG_PEER_ANSWERS = 4,
	CFG_NO_STATIC_ROUTE = 8,
	CFG_NO_ACCEPT_RA = 64,
	CFG_NO_AUTOCONF = 128,
};

/* The address table (see the top). */
enum {
	A_STACK,
	A_STACK_LL,
	A_PEER,
	A_PEER_LL,
	A_ALL_NODES,
	A_SOLICITED,
	A_ALL_ROUTERS,
	A_GROUP,
	A_UNSPEC,
	A_OTHER_NET,
	A_SLAAC,
	A_NEIGHBOUR,
	A_LOOPBACK,
	A_V4MAPPED,
	A_IFLOCAL,
	A_RAW,
};
static uint8_t ADDR[A_RAW][16];

/* Prefixes for prefix and route options: 2001:db8:1:: (SLAAC gives
 * A_SLAAC), fd00::, fe80::, 2001:db8::, ::, raw. */
static uint8_t PREFIX[5][16];

static struct {
	struct ns_wheel wheel;
	struct ns_stack *st;
	struct ns_link *ch;
	int nic;
	uint8_t cfg;
	uint32_t mtu;
	struct ns_socket *echo, *conn, *listener;
	uint64_t injected;
	int verbose;
	/* A packet came from an address that may become ours: loopback
	 * traffic is then no longer a sign of a bug. */
	int self_possible;
	/* Neighbour Advertisements the peer owes (CFG_PEER_ANSWERS). */
	uint8_t owed[8][16], owed_to[8][16];
	unsigned nowed;
} H;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ip6: %s\n", what);
	if (H.st)
		ns_stack_print_stats(H.st, stderr, 0);
	abort();
}

/* ---- reading the input ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t u16(struct rd *r)
{
	uint16_t hi = u8(r);
	return (uint16_t)(hi << 8 | u8(r));
}

static uint32_t u32(struct rd *r)
{
	uint32_t hi = u16(r);
	return hi << 16 | u16(r);
}

static void take(struct rd *r, uint8_t *out, size_t n)
{
	size_t k = NS_MIN(n, r->n);
	memcpy(out, r->p, k);
	memset(out + k, 0, n - k);
	r->p += k;
	r->n -= k;
}

/* An address by selector (mod 16): 15 raw, else the table counted from
 * `base`. */
static void addr_sel(struct rd *r, unsigned sel, unsigned base, uint8_t out[16])
{
	sel &= 15;
	if (sel == 15)
		take(r, out, 16);
	else
		memcpy(out, ADDR[(sel + base) % A_RAW], 16);
}

static void mac_sel(struct rd *r, uint8_t out[6])
{
	static const uint8_t mcast[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t zero[6];
	const uint8_t *m[] = { B_MAC_PEER, MAC_OTHER, B_MAC_STACK, B_MAC_BCAST, zero, mcast };
	unsigned s = u8(r) % 7;
	if (s < NS_ARRAY_SIZE(m))
		memcpy(out, m[s], 6);
	else
		take(r, out, 6);
}

static void prefix_sel(struct rd *r, uint8_t out[16])
{
	unsigned s = u8(r) % 6;
	if (s < NS_ARRAY_SIZE(PREFIX))
		memcpy(out, PREFIX[s], 16);
	else
		take(r, out, 16);
}

/* ---- building packets ---- */

/* Room for a whole IPv6 packet with its extension headers (each at most
 * 2048 bytes) and the largest upper layer, plus slack for junk. */
#define PKT_MAX (IP6_HDR_LEN + 8 * 2048 + 65536 + 64)
static uint8_t pk[PKT_MAX];
static uint8_t pattern[65536];

/* What the upper layer's builder tells the packet builder. */
struct upper {
	uint8_t proto;
	int csum_off; /* checksum field offset in the upper layer, -1 none */
};

/* The last packet's datagram, for the next-fragment records. */
static struct {
	int valid;
	uint8_t ip[IP6_HDR_LEN];
	uint8_t unfrag[8 * 2048]; /* extension headers before the Fragment header */
	size_t unfrag_len;
	uint8_t frag_nxt;	  /* what the Fragment header names */
	uint32_t id;
	uint8_t eth_dst[6];
	size_t flen;
	uint8_t f[PKT_MAX];	  /* the fragmentable part */
} D;

static uint32_t frag_id(struct rd *r, unsigned sel)
{
	static const uint32_t ids[3] = { 42, 43, 0xdead };
	return sel < 3 ? ids[sel] : u32(r);
}

/* Fragment header and the slice of `f` it carries; returns its length. */
static size_t put_fragment(uint8_t *o, uint8_t nxt, uint16_t field, int more, int resv,
			   uint32_t id, uint16_t units, const uint8_t *f, size_t flen)
{
	o[0] = nxt;
	o[1] = resv ? 0xff : 0;
	/* 13-bit offset, 2 reserved bits from the field's top, M. */
	uint16_t off = field & 0x1fff;
	ns_wr16(o + 2, (uint16_t)(off << 3 | ((field >> 13) & 3) << 1 | (more ? 1 : 0)));
	ns_wr32(o + 4, id);
	/* An offset past the datagram still carries bytes (its start), so
	 * that fragments reaching past 65535 bytes come with data. */
	size_t start = (size_t)off * 8 <= flen ? (size_t)off * 8 : 0;
	size_t n = units ? NS_MIN((size_t)units * 8, flen - start) : flen - start;
	memcpy(o + IP6_FRAG_HDR_LEN, f + start, n);
	return IP6_FRAG_HDR_LEN + n;
}

/* Options of a Hop-by-Hop or Destination Options header at o (its first
 * two bytes are the caller's); returns the header length, padded. */
static size_t put_opts_hdr(struct rd *r, uint8_t *o)
{
	size_t n = 2;
	unsigned count = u8(r) & 7;
	/* The largest option (2 + 255 bytes) still fits the largest header
	 * (2048 bytes) once padded. */
	for (unsigned i = 0; i < count && n <= 2048 - 8 - 257; i++) {
		uint8_t s = u8(r);
		switch (s % 10) {
		case 0: /* Pad1 */
			o[n++] = 0;
			break;
		case 1: { /* PadN */
			uint8_t l = u8(r) & 7;
			o[n++] = 1;
			o[n++] = l;
			memset(o + n, 0, l);
			n += l;
			break;
		}
		case 2: /* Router Alert (RFC 2711) */
			o[n++] = 5;
			o[n++] = 2;
			ns_wr16(o + n, u16(r));
			n += 2;
			break;
		case 3: /* Jumbo Payload (RFC 2675) */
			o[n++] = 0xc2;
			o[n++] = 4;
			ns_wr32(o + n, u32(r));
			n += 4;
			break;
		case 4: { /* unknown: action (RFC 8200 4.2) and length */
			uint8_t a = u8(r), l = (a >> 2) & 15;
			o[n++] = (uint8_t)((a & 3) << 6 | 0x1e);
			o[n++] = l;
			memset(o + n, 0, l);
			n += l;
			break;
		}
		case 5: { /* raw TLV */
			o[n++] = u8(r);
			uint8_t l = u8(r);
			o[n++] = l;
			take(r, o + n, l);
			n += l;
			break;
		}
		case 6: /* Tunnel Encapsulation Limit (RFC 2473) */
			o[n++] = 4;
			o[n++] = 1;
			o[n++] = u8(r);
			break;
		case 7: /* Home Address (RFC 6275 6.3) */
			o[n++] = 0xc9;
			o[n++] = 16;
			addr_sel(r, u8(r), A_PEER, o + n);
			n += 16;
			break;
		case 8: /* an option that runs past the header */
			o[n++] = u8(r);
			o[n++] = 0xff;
			break;
		default: { /* raw bytes */
			uint8_t l = u8(r) & 31;
			take(r, o + n, l);
			n += l;
			break;
		}
		}
	}
	/* Pad to 8 bytes (RFC 8200 4.2: Pad1 or PadN). */
	size_t pad = (8 - n % 8) % 8;
	if (pad == 1) {
		o[n++] = 0;
	} else if (pad > 1) {
		o[n] = 1;
		o[n + 1] = (uint8_t)(pad - 2);
		memset(o + n + 2, 0, pad - 2);
		n += pad;
	}
	o[1] = (uint8_t)(n / 8 - 1);
	return n;
}

/* A Routing header at o; final_dst becomes the last segment when
 * segments are left (what the sender's pseudo-header used). */
static size_t put_routing(struct rd *r, uint8_t *o, uint8_t *final_dst)
{
	static const uint8_t types[7] = { 0, 2, 3, 4, 1, 253, 254 };
	uint8_t s = u8(r);
	uint8_t type = s % 8 < 7 ? types[s % 8] : u8(r);
	uint8_t left = u8(r);
	o[2] = type;
	o[3] = left;
	take(r, o + 4, 4);
	unsigned count = u8(r) & 3;
	for (unsigned i = 0; i < count; i++)
		addr_sel(r, u8(r), A_PEER, o + 8 + 16 * i);
	o[1] = (uint8_t)(2 * count);
	if (left && count) {
		/* RFC 8200 8.1: the final destination is the last address of
		 * a type 0 or 2 header; the first of a segment list (RFC 8754
		 * 2: held in reverse order). */
		if (type == 0 || type == 2)
			memcpy(final_dst, o + 8 + 16 * (count - 1), 16);
		else if (type == 4)
			memcpy(final_dst, o + 8, 16);
	}
	return 8 + 16 * count;
}

/* A quoted packet "of ours" for an ICMPv6 error or a Redirected Header. */
static size_t put_quote(struct rd *r, uint8_t *o)
{
	uint8_t q = u8(r), a = u8(r);
	struct ip6_repr ip = { .hlim = 64 };
	addr_sel(r, a & 15, A_STACK, ip.src);
	addr_sel(r, a >> 4, A_PEER, ip.dst);
	size_t n = IP6_HDR_LEN;
	uint8_t *nh = &ip.nxt;
	if (q & 4) { /* Destination Options, PadN */
		*nh = IP6_NH_DSTOPTS;
		memset(o + n, 0, 8);
		o[n + 2] = 1;
		o[n + 3] = 4;
		nh = o + n;
		n += 8;
	}
	if (q & 8) { /* a first or later fragment */
		*nh = IP6_NH_FRAGMENT;
		struct ip6_frag_repr f = { .off = (uint16_t)((q & 16) ? 8 : 0), .m = 1, .id = 7 };
		ip6_frag_emit(o + n, &f);
		nh = o + n;
		n += 8;
	}
	uint16_t port = u16(r);
	switch (q & 3) {
	case 0: /* from the connected UDP socket */
		*nh = IPPROTO_UDP_;
		ns_wr16(o + n, 5353);
		ns_wr16(o + n + 2, port ? port : 53);
		ns_wr16(o + n + 4, 108);
		ns_wr16(o + n + 6, 0x1234);
		n += 8;
		break;
	case 1: /* from the echo socket */
		*nh = IPPROTO_UDP_;
		ns_wr16(o + n, 7);
		ns_wr16(o + n + 2, port);
		ns_wr16(o + n + 4, 108);
		ns_wr16(o + n + 6, 0x1234);
		n += 8;
		break;
	case 2: /* TCP from the listening port */
		*nh = IPPROTO_TCP_;
		memset(o + n, 0, 20);
		ns_wr16(o + n, 80);
		ns_wr16(o + n + 2, port);
		ns_wr32(o + n + 4, u32(r));
		o[n + 12] = 5 << 4;
		o[n + 13] = 0x12;
		n += 20;
		break;
	default: /* an echo request */
		*nh = IP6_NH_ICMPV6;
		o[n] = ICMP6_ECHO_REQ;
		o[n + 1] = 0;
		ns_wr16(o + n + 2, 0);
		ns_wr32(o + n + 4, u32(r));
		n += 8;
		break;
	}
	/* The quoted packet was longer (RFC 4443 2.4 c), and maybe cut in
	 * its headers. */
	ip.plen = (uint16_t)(n - IP6_HDR_LEN + 100);
	ip6_emit(o, &ip);
	static const uint8_t cut[8] = { 0, 20, 40, 44, 48, 52, 56, 60 };
	if (q >> 5)
		n = NS_MIN(n, (size_t)cut[q >> 5]);
	return n;
}

/* NDP options (RFC 4861 4.6 and later ones); returns their length. */
static size_t put_nd_opts(struct rd *r, uint8_t *o)
{
	size_t n = 0;
	unsigned count = u8(r) & 7;
	for (unsigned i = 0; i < count; i++) {
		uint8_t *t = o + n;
		switch (u8(r) % 12) {
		case 0: /* source link-layer address */
			t[0] = NDOPT_SLLA;
			t[1] = 1;
			mac_sel(r, t + 2);
			n += 8;
			break;
		case 1: /* target link-layer address */
			t[0] = NDOPT_TLLA;
			t[1] = 1;
			mac_sel(r, t + 2);
			n += 8;
			break;
		case 2: { /* prefix information */
			memset(t, 0, 32);
			t[0] = NDOPT_PREFIX;
			t[1] = 4;
			t[2] = u8(r);
			t[3] = u8(r);
			ns_wr32(t + 4, u32(r));
			ns_wr32(t + 8, u32(r));
			prefix_sel(r, t + 16);
			n += 32;
			break;
		}
		case 3: /* MTU */
			t[0] = NDOPT_MTU;
			t[1] = 1;
			ns_wr16(t + 2, 0);
			ns_wr32(t + 4, u32(r));
			n += 8;
			break;
		case 4: { /* RDNSS (RFC 8106 5.1) */
			unsigned k = u8(r) & 3;
			t[0] = 25;
			t[1] = (uint8_t)(1 + 2 * k);
			ns_wr16(t + 2, 0);
			ns_wr32(t + 4, u32(r));
			for (unsigned j = 0; j < k; j++)
				addr_sel(r, u8(r), A_PEER, t + 8 + 16 * j);
			n += 8 + 16 * k;
			break;
		}
		case 5: { /* route information (RFC 4191 2.3) */
			uint8_t plen = u8(r);
			unsigned l = plen > 64 ? 3 : plen ? 2 : 1;
			uint8_t p[16];
			t[0] = 24;
			t[1] = (uint8_t)l;
			t[2] = plen;
			t[3] = u8(r);
			ns_wr32(t + 4, u32(r));
			prefix_sel(r, p);
			memcpy(t + 8, p, 8 * (l - 1));
			n += 8 * l;
			break;
		}
		case 6: /* nonce (RFC 3971 5.3.2) */
			t[0] = NDOPT_NONCE;
			t[1] = 1;
			take(r, t + 2, 6);
			n += 8;
			break;
		case 7: { /* redirected header */
			memset(t, 0, 8);
			size_t q = put_quote(r, t + 8);
			size_t l = (8 + q + 7) & ~(size_t)7;
			memset(t + 8 + q, 0, l - 8 - q);
			t[0] = NDOPT_REDIRECTED;
			t[1] = (uint8_t)(l / 8);
			n += l;
			break;
		}
		case 8: { /* unknown type */
			unsigned l = (u8(r) & 3) + 1;
			memset(t, 0, 8 * l);
			t[0] = u8(r);
			t[1] = (uint8_t)l;
			n += 8 * l;
			break;
		}
		case 9: /* zero length (RFC 4861 4.6: invalid) */
			memset(t, 0, 8);
			t[0] = u8(r);
			n += 8;
			break;
		case 10: /* a length past the message */
			memset(t, 0, 8);
			t[0] = u8(r);
			t[1] = (uint8_t)(u8(r) | 2);
			n += 8;
			break;
		default: { /* raw bytes */
			uint8_t l = u8(r) & 63;
			take(r, t, l);
			n += l;
			break;
		}
		}
	}
	return n;
}

/* ICMPv6 header at o with 4 bytes of "rest". */
static void icmp6_hdr(uint8_t *o, uint8_t type, uint8_t code, uint32_t rest)
{
	o[0] = type;
	o[1] = code;
	ns_wr16(o + 2, 0);
	ns_wr32(o + 4, rest);
}

/* The upper layer at o; returns its length (at most `room`). */
static size_t put_upper(struct rd *r, uint8_t *o, size_t room, int with_code, struct upper *u)
{
	uint8_t sel = u8(r);
	uint8_t code = with_code ? u8(r) : 0;
	size_t n;
	u->proto = IP6_NH_ICMPV6;
	u->csum_off = 2;
	switch (sel % 8) {
	case 0: { /* echo request, or reply (selector bit 3) */
		uint32_t rest = u32(r);
		size_t want = u16(r), len = NS_MIN(want, room - ICMP6_HDR_LEN);
		icmp6_hdr(o, (sel & 8) ? ICMP6_ECHO_REP : ICMP6_ECHO_REQ, code, rest);
		memcpy(o + ICMP6_HDR_LEN, pattern, len);
		return ICMP6_HDR_LEN + len;
	}
	case 1: { /* neighbour discovery */
		static const uint8_t types[5] = { ICMP6_ND_NS, ICMP6_ND_NA, ICMP6_ND_RS, ICMP6_ND_RA,
						  ICMP6_ND_REDIRECT };
		uint8_t type = types[u8(r) % 5];
		n = ICMP6_HDR_LEN;
		switch (type) {
		case ICMP6_ND_NS:
			icmp6_hdr(o, type, code, 0);
			addr_sel(r, u8(r), A_STACK, o + n);
			n += 16;
			break;
		case ICMP6_ND_NA:
			icmp6_hdr(o, type, code, (uint32_t)u8(r) << 24);
			addr_sel(r, u8(r), A_PEER, o + n);
			n += 16;
			break;
		case ICMP6_ND_RS:
			icmp6_hdr(o, type, code, 0);
			break;
		case ICMP6_ND_RA: {
			uint32_t rest = (uint32_t)u8(r) << 24;
			rest |= (uint32_t)u8(r) << 16;
			rest |= u16(r);
			icmp6_hdr(o, type, code, rest);
			ns_wr32(o + n, u32(r));
			ns_wr32(o + n + 4, u32(r));
			n += 8;
			break;
		}
		default: /* Redirect: target, destination */
			icmp6_hdr(o, type, code, 0);
			addr_sel(r, u8(r), A_PEER, o + n);
			addr_sel(r, u8(r), A_OTHER_NET, o + n + 16);
			n += 32;
			break;
		}
		return n + put_nd_opts(r, o + n);
	}
	case 2: { /* an error about a packet of ours */
		static const uint8_t types[4] = { ICMP6_UNREACH, ICMP6_TOO_BIG, ICMP6_TIME_EXCEED,
						  ICMP6_PARAMPROB };
		uint8_t t = u8(r);
		uint8_t type = t % 5 < 4 ? types[t % 5] : (uint8_t)(t & 0x7f);
		icmp6_hdr(o, type, code, u32(r));
		return ICMP6_HDR_LEN + put_quote(r, o + ICMP6_HDR_LEN);
	}
	case 3: { /* UDP */
		static const uint16_t ports[3] = { 7, 5353, 9 };
		uint8_t ps = u8(r) % 4;
		uint16_t dport = ps < 3 ? ports[ps] : u16(r);
		uint16_t sport = u16(r);
		size_t want = u16(r), len = NS_MIN(want, room - UDP_HDR_LEN);
		ns_wr16(o, sport ? sport : 53);
		ns_wr16(o + 2, dport);
		ns_wr16(o + 4, (uint16_t)(UDP_HDR_LEN + len));
		ns_wr16(o + 6, 0);
		memcpy(o + UDP_HDR_LEN, pattern, len);
		u->proto = IPPROTO_UDP_;
		u->csum_off = 6;
		return UDP_HDR_LEN + len;
	}
	case 4: { /* TCP */
		uint8_t ps = u8(r) % 3;
		uint16_t dport = ps == 0 ? 80 : ps == 1 ? 81 : u16(r);
		uint16_t sport = u16(r);
		uint8_t flags = u8(r);
		uint16_t win = u16(r);
		uint8_t optlen = (uint8_t)((u8(r) & 0x3c) % 44);
		memset(o, 0, TCP_HDR_LEN);
		ns_wr16(o, sport ? sport : 40000);
		ns_wr16(o + 2, dport);
		ns_wr32(o + 4, u32(r));
		ns_wr32(o + 8, u32(r));
		o[12] = (uint8_t)((TCP_HDR_LEN + optlen) / 4 << 4);
		o[13] = flags ? flags : 0x02;
		ns_wr16(o + 14, win ? win : 65535);
		take(r, o + TCP_HDR_LEN, optlen);
		n = TCP_HDR_LEN + optlen;
		size_t want = u8(r), len = NS_MIN(want, room - n);
		memcpy(o + n, pattern, len);
		u->proto = IPPROTO_TCP_;
		u->csum_off = 16;
		return n + len;
	}
	case 5: { /* unknown Next Header and raw bytes */
		u->proto = u8(r);
		u->csum_off = -1;
		n = u8(r);
		take(r, o, n);
		return n;
	}
	case 6: { /* MLD */
		uint8_t m = u8(r);
		switch (m % 4) {
		case 0: { /* query: MLDv1 (24 bytes) or MLDv2 */
			icmp6_hdr(o, ICMP6_MLD_QUERY, code, (uint32_t)u16(r) << 16);
			addr_sel(r, u8(r), A_UNSPEC, o + 8);
			if (m & 4)
				return 24;
			o[24] = u8(r);
			o[25] = u8(r);
			unsigned k = u8(r) % 3;
			ns_wr16(o + 26, (uint16_t)k);
			for (unsigned j = 0; j < k; j++)
				addr_sel(r, u8(r), A_PEER, o + 28 + 16 * j);
			return 28 + 16 * k;
		}
		case 1: /* MLDv1 report */
		case 2: /* MLDv1 done */
			icmp6_hdr(o, m % 4 == 1 ? ICMP6_MLD1_REPORT : ICMP6_MLD1_DONE, code, 0);
			addr_sel(r, u8(r), A_GROUP, o + 8);
			return 24;
		default: { /* MLDv2 report */
			unsigned k = u8(r) % 3;
			icmp6_hdr(o, ICMP6_MLD2_REPORT, code, k);
			for (unsigned j = 0; j < k; j++) {
				uint8_t *rec = o + 8 + 20 * j;
				rec[0] = u8(r);
				rec[1] = 0;
				ns_wr16(rec + 2, 0);
				addr_sel(r, u8(r), A_GROUP, rec + 4);
			}
			return 8 + 20 * k;
		}
		}
	}
	default: { /* any type, raw bytes */
		uint8_t type = u8(r);
		icmp6_hdr(o, type, code, u32(r));
		n = u8(r);
		take(r, o + ICMP6_HDR_LEN, n);
		return ICMP6_HDR_LEN + n;
	}
	}
}

/* Hand a frame to the stack (consumes p). */
static void inject(struct pkt *p)
{
	if (!p)
		abort();
	H.injected++;
	ns_channel_inject(H.ch, p);
}

static void eth_dst_for(const uint8_t *dst, int bcast, uint8_t out[6])
{
	if (bcast)
		memcpy(out, B_MAC_BCAST, 6);
	else if (ip6_is_mcast(dst))
		ip6_mcast_mac(dst, out);
	else
		memcpy(out, B_MAC_STACK, 6);
}

static void print_frame(const struct pkt *p, const char *dir);

/*
 * Could `a` become one of our addresses later? A tentative address of
 * ours, or one with our interface identifier (SLAAC makes those from any
 * advertised prefix). A packet from such an address is not ours when it
 * comes (RFC 4862 5.4: tentative ones are not), but what the stack sends
 * back later (a SYN-ACK retransmitted) then rightly goes to itself.
 */
static int may_become_ours(const uint8_t *a)
{
	uint8_t iid[8];
	ip6_eui64(B_MAC_STACK, iid);
	return !memcmp(a + 8, iid, 8) || ip6_ifaddr_find(ns_nic_get(H.st, H.nic), a);
}

static void send_ip6(const uint8_t *eth_dst, const uint8_t *b, size_t len)
{
	if (len >= IP6_HDR_LEN && may_become_ours(b + 8))
		H.self_possible = 1;
	if (H.verbose) {
		struct pkt *p = b_eth(eth_dst, B_MAC_PEER, ETHERTYPE_IPV6, b, len);
		print_frame(p, "in ");
		pkt_unref(p);
	}
	inject(b_eth(eth_dst, B_MAC_PEER, ETHERTYPE_IPV6, b, len));
}

/* A packet record (after its kind byte). */
static void packet_record(struct rd *r)
{
	struct ip6_repr ip;
	memset(&ip, 0, sizeof(ip));
	uint8_t a = u8(r);
	addr_sel(r, a & 15, A_PEER, ip.src);
	addr_sel(r, a >> 4, A_STACK, ip.dst);
	uint8_t h = u8(r);
	ip.hlim = h < 0xc0 ? 255 : u8(r);
	uint8_t flags = u8(r);
	int lie = 0;
	uint8_t lie_by = 0;
	if (flags & 2) {
		lie = 1;
		lie_by = u8(r);
	}
	uint8_t final_dst[16];
	memcpy(final_dst, ip.dst, 16);

	/* The chain. nh: the byte naming the next header (NULL once a raw
	 * header ended the chain); frag_at: the first Fragment header. */
	size_t n = IP6_HDR_LEN;
	uint8_t *nh = &ip.nxt;
	long frag_at = -1;
	uint16_t frag_field = 0, frag_units = 0;
	int frag_more = 0, frag_resv = 0;
	uint32_t id = 0;
	unsigned next = (flags >> 4) & 7;
	for (unsigned i = 0; i < next; i++) {
		uint8_t s = u8(r);
		uint8_t *o = pk + n;
		uint8_t type;
		switch (s % 8) {
		case 0:
		case 4:
			type = IP6_NH_HOPOPTS;
			n += put_opts_hdr(r, o);
			break;
		case 1:
		case 5:
			type = IP6_NH_DSTOPTS;
			n += put_opts_hdr(r, o);
			break;
		case 2:
		case 7:
			type = IP6_NH_ROUTING;
			n += put_routing(r, o, final_dst);
			break;
		case 3: {
			type = IP6_NH_FRAGMENT;
			uint8_t f = u8(r);
			uint16_t field = u16(r), units = u16(r);
			uint32_t fid = frag_id(r, (f >> 1) & 3);
			if (frag_at < 0) {
				/* Written once what follows is known. */
				frag_at = (long)n;
				frag_field = field;
				frag_units = units;
				frag_more = f & 1;
				frag_resv = f & 8;
				id = fid;
				o[1] = 0;
			} else {
				struct ip6_frag_repr fr = { .off = (uint16_t)((field & 0x1fff) << 3),
							    .m = f & 1, .id = fid };
				ip6_frag_emit(o, &fr);
			}
			n += IP6_FRAG_HDR_LEN;
			break;
		}
		default: { /* raw: named by `type`, then the chain ends */
			type = u8(r);
			size_t l = u8(r);
			take(r, o, l);
			if (nh)
				*nh = type;
			nh = NULL;
			n += l;
			continue;
		}
		}
		if (nh)
			*nh = type;
		nh = o;
	}
	/* The upper layer, checksummed whole with the final destination. */
	size_t room = IP6_HDR_LEN + 65535 - n;
	struct upper u;
	size_t ul = put_upper(r, pk + n, room, flags & 0x80, &u);
	if (nh)
		*nh = u.proto;
	if (u.csum_off >= 0 && ul >= (size_t)u.csum_off + 2) {
		uint8_t *l4 = pk + n;
		ns_wr16(l4 + u.csum_off, 0);
		uint16_t c = ns_csum_fold(
			ns_csum_add(ns_csum_pseudo6(ip.src, final_dst, u.proto, (uint32_t)ul), l4,
				    (uint32_t)ul));
		if (u.proto == IPPROTO_UDP_ && !c)
			c = 0xffff; /* RFC 8200 8.1: zero means none, never sent */
		if (flags & 1)
			c = u.proto == IPPROTO_UDP_ ? 0 : (uint16_t)(c ^ 0x8000);
		ns_wr16(l4 + u.csum_off, c);
	}
	n += ul;

	uint8_t edst[6];
	eth_dst_for(ip.dst, flags & 4, edst);
	/* Keep the datagram for next-fragment records. */
	size_t fstart = frag_at >= 0 ? (size_t)frag_at + IP6_FRAG_HDR_LEN : IP6_HDR_LEN;
	D.valid = 1;
	memcpy(D.eth_dst, edst, 6);
	D.unfrag_len = frag_at >= 0 ? (size_t)frag_at - IP6_HDR_LEN : 0;
	memcpy(D.unfrag, pk + IP6_HDR_LEN, D.unfrag_len);
	D.frag_nxt = frag_at >= 0 ? pk[frag_at] : ip.nxt;
	D.id = frag_at >= 0 ? id : 42;
	D.flen = n - fstart;
	memcpy(D.f, pk + fstart, D.flen);
	ip.plen = 0;
	ip6_emit(D.ip, &ip);
	if (frag_at < 0)
		D.ip[6] = IP6_NH_FRAGMENT;
	else
		D.ip[6] = D.unfrag_len ? ip.nxt : IP6_NH_FRAGMENT;
	if (frag_at >= 0) {
		/* Cut the fragmentable part at the requested slice. */
		n = (size_t)frag_at + put_fragment(pk + frag_at, pk[frag_at], frag_field, frag_more,
						   frag_resv, id, frag_units, D.f, D.flen);
	}
	size_t plen = n - IP6_HDR_LEN;
	if (lie)
		plen = lie_by == 0x80 ? 0 : (size_t)NS_MAX(0L, (long)plen + (int8_t)lie_by);
	ip.plen = (uint16_t)NS_MIN(plen, (size_t)65535);
	ip6_emit(pk, &ip);
	if (flags & 8) {
		memcpy(pk + n, pattern + 100, 8);
		n += 8;
	}
	send_ip6(edst, pk, n);
}

/* Another fragment of the last datagram. */
static void fragment_record(struct rd *r)
{
	if (!D.valid)
		return;
	uint8_t f = u8(r);
	uint16_t field = u16(r), units = u16(r);
	unsigned sel = (f >> 1) & 3;
	uint32_t id = sel ? frag_id(r, sel - 1) : D.id;
	size_t n = IP6_HDR_LEN;
	memcpy(pk, D.ip, IP6_HDR_LEN);
	memcpy(pk + n, D.unfrag, D.unfrag_len);
	n += D.unfrag_len;
	n += put_fragment(pk + n, D.frag_nxt, field, f & 1, f & 8, id, units, D.f, D.flen);
	ns_wr16(pk + 4, (uint16_t)NS_MIN(n - IP6_HDR_LEN, (size_t)65535));
	send_ip6(D.eth_dst, pk, n);
}

/* The stack sends a UDP datagram. */
static void send_record(struct rd *r)
{
	uint8_t sel = u8(r);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	addr_sel(r, sel, 0, sa.sin6_addr.s6_addr);
	size_t len = u16(r);
	uint8_t flags = u8(r);
	if (flags & 2)
		sa.sin6_scope_id = (uint32_t)H.nic;
	if (flags & 1) {
		ns_sendto(H.conn, pattern, len, 0, NULL, 0);
		return;
	}
	/* Not to ourselves: that goes through loopback, which the end
	 * check reserves for what the wire made the stack do. */
	const uint8_t *d = sa.sin6_addr.s6_addr;
	if (ns_addr6_nic(H.st, d) || ip6_is_loopback(d) || ip6_is_unspec(d))
		return;
	ns_sendto(H.echo, pattern, len, 0, (struct sockaddr *)&sa, sizeof(sa));
}

/* ---- what the stack sends ---- */

static int tcp_csum_ok(const struct b_frame6 *f)
{
	uint32_t sum = ns_csum_pseudo6(f->ip.src, f->ip.dst, IPPROTO_TCP_, f->l4_len);
	return ns_csum_fold(ns_csum_add(sum, f->l4, f->l4_len)) == 0;
}

static int is_peer_addr(const uint8_t *a)
{
	return !memcmp(a, B6_PEER, 16) || !memcmp(a, B6_PEER_LL, 16) ||
	       !memcmp(a, ADDR[A_NEIGHBOUR], 16);
}

static void print_frame(const struct pkt *p, const char *dir)
{
	struct b_frame6 f;
	char s[64], d[64];
	if (b_parse6(p, &f) < 0 || !f.is_ip6) {
		fprintf(stderr, "%s: %u bytes, not IPv6\n", dir, p->len);
		return;
	}
	inet_ntop(AF_INET6, f.ip.src, s, sizeof(s));
	inet_ntop(AF_INET6, f.ip.dst, d, sizeof(d));
	fprintf(stderr, "%s: %s > %s hlim %u nxt %u len %u", dir, s, d, f.ip.hlim, f.nxt, f.l4_len);
	for (unsigned i = 0; i < f.next; i++)
		fprintf(stderr, "%s%u", i ? "," : " ext ", f.ext[i]);
	if (f.nxt == IP6_NH_ICMPV6)
		fprintf(stderr, " icmp6 %u/%u", f.icmp_type, f.icmp_code);
	if (f.has_frag)
		fprintf(stderr, " frag off %u m %u", f.frag.off, f.frag.m);
	fputc('\n', stderr);
}

/* RFC 4443 2.4 for an ICMPv6 error the stack sent (`len` bytes of IPv6). */
static void check_error(const struct b_frame6 *f, uint32_t len)
{
	const uint8_t *q = f->data;
	uint32_t ql = f->data_len;
	uint8_t proto;
	uint32_t off;
	if (len > IP6_MIN_MTU)
		die("ICMPv6 error larger than the minimum MTU");
	if (!q || ql < IP6_HDR_LEN || (q[0] >> 4) != 6 || memcmp(q + 8, f->ip.dst, 16))
		die("ICMPv6 error not quoting a packet from its destination");
	if (ip6_is_mcast(q + 24) && f->icmp_type != ICMP6_TOO_BIG &&
	    !(f->icmp_type == ICMP6_PARAMPROB && f->icmp_code == ICMP6_PP_OPTION))
		die("ICMPv6 error about a packet to a group");
	if (ip6_upper_layer(q, ql, &proto, &off) == 0 && proto == IP6_NH_ICMPV6 && off < ql &&
	    (q[off] < 128 || q[off] == ICMP6_ND_REDIRECT))
		die("ICMPv6 error about an ICMPv6 error or a Redirect");
}

/* Abort on a malformed frame from the stack; note the solicitations the
 * peer answers. */
static void check_output(const struct pkt *p)
{
	struct b_frame6 f;
	const uint8_t *d = pkt_data(p);
	if (H.verbose)
		print_frame(p, "out");
	if (p->len < ETH_HDR_LEN || memcmp(d + 6, B_MAC_STACK, 6))
		die("frame not from our MAC");
	if (ns_rd16(d + 12) != ETHERTYPE_IPV6)
		die("a frame that is not IPv6 (no IPv4 here)");
	if (b_parse6(p, &f) < 0)
		die("unparseable IPv6 frame");
	if (!f.payload_len_ok)
		die("IPv6 payload length disagrees with the frame");
	if (p->len - ETH_HDR_LEN > H.mtu)
		die("IPv6 packet above the link MTU");
	if (ip6_is_mcast(f.ip.src))
		die("IPv6 multicast source");
	if (ip6_is_unspec(f.ip.dst) || ip6_is_loopback(f.ip.dst) || ip6_is_loopback(f.ip.src))
		die("IPv6 to :: or ::1, or from ::1, on the wire");
	int whole = !f.has_frag || (!f.frag.off && !f.frag.m);
	if (whole && (f.nxt == IP6_NH_ICMPV6 || f.nxt == IPPROTO_UDP_) && !f.l4_csum_ok)
		die("bad ICMPv6/UDP checksum");
	if (whole && f.nxt == IPPROTO_TCP_ && (f.l4_len < TCP_HDR_LEN || !tcp_csum_ok(&f)))
		die("bad TCP checksum");
	if (ip6_is_mcast(f.ip.dst)) {
		uint8_t mac[6];
		ip6_mcast_mac(f.ip.dst, mac);
		if (memcmp(d, mac, 6))
			die("IPv6 multicast to the wrong Ethernet group");
	}
	if (f.nxt != IP6_NH_ICMPV6)
		return;
	uint8_t t = f.icmp_type;
	if (t >= ICMP6_ND_RS && t <= ICMP6_ND_REDIRECT && f.ip.hlim != 255)
		die("NDP message without hop limit 255");
	if ((t == ICMP6_MLD1_REPORT || t == ICMP6_MLD1_DONE || t == ICMP6_MLD2_REPORT) &&
	    (f.ip.hlim != 1 || !f.next || f.ext[0] != IP6_NH_HOPOPTS))
		die("MLD report without hop limit 1 and a Hop-by-Hop header");
	if (t < 128)
		check_error(&f, p->len - ETH_HDR_LEN);
	if (ip6_is_unspec(f.ip.src) && t != ICMP6_ND_NS && t != ICMP6_ND_RS &&
	    t != ICMP6_MLD2_REPORT && t != ICMP6_MLD1_REPORT && t != ICMP6_MLD1_DONE)
		die("from :: but not DAD, router solicitation or MLD");
	if (t == ICMP6_ND_NS && (H.cfg & CFG_PEER_ANSWERS) && f.l4_len >= 24 &&
	    is_peer_addr(f.l4 + 8) && H.nowed < NS_ARRAY_SIZE(H.owed)) {
		memcpy(H.owed[H.nowed], f.l4 + 8, 16);
		memcpy(H.owed_to[H.nowed], ip6_is_unspec(f.ip.src) ? B6_ALL_NODES : f.ip.src, 16);
		H.nowed++;
	}
}

static void poll_stack(void)
{
	for (int i = 0; i < 64 && ns_stack_poll(H.st) > 0; i++)
		;
	ns_stack_flush(H.st);
}

static void drain(void)
{
	struct pkt *p;
	while ((p = ns_channel_take(H.ch))) {
		check_output(p);
		pkt_unref(p);
	}
}

/* Let the stack work: its echo socket echoes (never to ::, which the
 * socket would send to ::1), every frame it sent is checked, and with
 * CFG_PEER_ANSWERS the peer answers its solicitations. */
static void run(void)
{
	for (int round = 0; round < 8; round++) {
		poll_stack();
		uint8_t buf[2048];
		struct sockaddr_in6 from;
		for (int i = 0; i < 16; i++) {
			socklen_t fl = sizeof(from);
			ssize_t n = ns_recvfrom(H.echo, buf, sizeof(buf), MSG_TRUNC,
						(struct sockaddr *)&from, &fl);
			if (n == -EAGAIN)
				break;
			if (n >= 0 && !ip6_is_unspec(from.sin6_addr.s6_addr))
				ns_sendto(H.echo, pattern, (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
		poll_stack();
		drain();
		if (!H.nowed)
			break;
		/* The peer answers: solicited, override; fe80::1 is a router. */
		unsigned k = H.nowed;
		H.nowed = 0;
		for (unsigned i = 0; i < k; i++) {
			const uint8_t *t = H.owed[i];
			uint8_t fl = 0x60 | (!memcmp(t, B6_PEER_LL, 16) ? 0x80 : 0);
			if (ip6_is_mcast(H.owed_to[i]))
				fl &= (uint8_t)~0x40;
			inject(b6_na(t, H.owed_to[i], t, fl,
				     !memcmp(t, ADDR[A_NEIGHBOUR], 16) ? MAC_OTHER : B_MAC_PEER));
		}
	}
}

/* Like an event loop: wake at each deadline up to now + dt. */
static void advance(ns_time_t dt)
{
	ns_time_t end = H.wheel.now + dt;
	for (int guard = 0; guard < 20000; guard++) {
		ns_time_t next = ns_wheel_next(&H.wheel);
		if (next > end)
			break;
		ns_wheel_advance(&H.wheel, next);
		run();
	}
	ns_wheel_advance(&H.wheel, end);
	run();
}

static void clock_record(struct rd *r)
{
	uint8_t v = u8(r);
	ns_time_t dt = v < 200   ? (ns_time_t)v * 5 * NS_MSEC
		       : v < 240 ? (ns_time_t)(v - 199) * NS_SEC
				 : (ns_time_t)(v - 239) * 60 * NS_SEC;
	advance(dt);
}

static void raw_record(struct rd *r)
{
	send_ip6(B_MAC_STACK, r->p, r->n);
	r->n = 0;
}

/* ---- the stack ---- */

static void setup(uint8_t cfg)
{
	int verbose = H.verbose;
	memset(&H, 0, sizeof(H));
	H.verbose = verbose;
	H.cfg = cfg;
	H.mtu = MTUS[(cfg >> 4) & 3];
	ns_wheel_init(&H.wheel, 1000 * NS_SEC);
	struct ns_stack_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.wheel = &H.wheel;
	if (ns_stack_create(&sc, &H.st) < 0 ||
	    ns_stack_set_option(H.st, "ip6.dad_transmits", (cfg & CFG_DAD) ? "1" : "0") < 0 ||
	    ns_stack_set_option(H.st, "ip6.accept_ra", (cfg & CFG_NO_ACCEPT_RA) ? "0" : "1") < 0 ||
	    ns_stack_set_option(H.st, "ip6.autoconf", (cfg & CFG_NO_AUTOCONF) ? "0" : "1") < 0 ||
	    ns_channel_link_create(B_MAC_STACK, H.mtu, NS_LINK_CAP_RESOLVE, &H.ch) < 0)
		abort();
	H.nic = ns_stack_add_nic(H.st, H.ch);
	struct ns_ip a6, any6, gw6;
	memset(&any6, 0, sizeof(any6));
	any6.family = AF_INET6;
	a6 = gw6 = any6;
	memcpy(a6.v6, B6_STACK, 16);
	memcpy(gw6.v6, B6_PEER_LL, 16);
	if (H.nic < 0 || ns_stack_add_addr(H.st, H.nic, &a6, 64) < 0 ||
	    (!(cfg & CFG_NO_STATIC_ROUTE) && ns_stack_add_route(H.st, &any6, 0, &gw6, H.nic) < 0))
		abort();
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(7) };
	if (ns_socket_create(H.st, AF_INET6, SOCK_DGRAM, 0, &H.echo) < 0 ||
	    ns_bind(H.echo, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	/* A group to listen to besides those of our addresses. */
	struct ipv6_mreq mr = { .ipv6mr_interface = (unsigned)H.nic };
	memcpy(mr.ipv6mr_multiaddr.s6_addr, ADDR[A_GROUP], 16);
	if (ns_setsockopt(H.echo, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		abort();
	sa.sin6_port = htons(5353);
	struct sockaddr_in6 peer = { .sin6_family = AF_INET6, .sin6_port = htons(53) };
	memcpy(peer.sin6_addr.s6_addr, B6_PEER, 16);
	if (ns_socket_create(H.st, AF_INET6, SOCK_DGRAM, 0, &H.conn) < 0 ||
	    ns_bind(H.conn, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	/* Fails while DAD keeps every source address tentative: the socket
	 * then takes any datagram to its port. */
	ns_connect(H.conn, (struct sockaddr *)&peer, sizeof(peer));
	/* The group from the peer only (a source filter, RFC 3678). */
	struct group_source_req gs;
	memset(&gs, 0, sizeof(gs));
	gs.gsr_interface = (uint32_t)H.nic;
	struct sockaddr_in6 g6 = { .sin6_family = AF_INET6 };
	memcpy(g6.sin6_addr.s6_addr, ADDR[A_GROUP], 16);
	memcpy(&gs.gsr_group, &g6, sizeof(g6));
	memcpy(g6.sin6_addr.s6_addr, B6_PEER, 16);
	memcpy(&gs.gsr_source, &g6, sizeof(g6));
	if (ns_setsockopt(H.conn, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &gs, sizeof(gs)) < 0)
		abort();
	sa.sin6_port = htons(80);
	if (ns_socket_create(H.st, AF_INET6, SOCK_STREAM, 0, &H.listener) < 0 ||
	    ns_bind(H.listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    ns_listen(H.listener, 8) < 0)
		abort();
	if (cfg & CFG_PEER_KNOWN) {
		/* The peer introduced itself (counted as injected). */
		inject(b6_ns(B6_PEER, ADDR[A_SOLICITED], B6_STACK, B_MAC_PEER));
		inject(b6_ns(B6_PEER_LL, ADDR[A_SOLICITED], B6_STACK_LL, B_MAC_PEER));
	}
	run();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setup(data[0]);
	D.valid = 0;
	size_t pos = 1;
	for (int recs = 0; pos < size && recs < 128; recs++) {
		size_t len = NS_MIN((size_t)data[pos], size - pos - 1);
		struct rd r = { data + pos + 1, len };
		pos += 1 + len;
		switch (u8(&r) % 8) {
		case 4:
			fragment_record(&r);
			break;
		case 5:
			clock_record(&r);
			continue;
		case 6:
			send_record(&r);
			break;
		case 7:
			raw_record(&r);
			break;
		default:
			packet_record(&r);
			break;
		}
		run();
	}
	advance(200 * NS_SEC);
	advance(2 * 86400 * NS_SEC);

	if (H.verbose)
		ns_stack_print_stats(H.st, stderr, 0);
	char msg[256];
	if (books_check(H.st, H.ch, H.injected, msg, sizeof(msg)) < 0)
		die(msg);
	if (H.st->nics[1]->link->stats.rx_frames && !H.self_possible)
		die("frames from the wire made the stack send to itself (loopback)");
	ns_close(H.echo);
	ns_close(H.conn);
	ns_close(H.listener);
	ns_stack_destroy(H.st);
	H.st = NULL;
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	if (ps.in_use || ps.views_in_use) {
		fprintf(stderr, "fuzz_ip6: leak: %llu chunks, %llu views in use after destroy\n",
			(unsigned long long)ps.in_use, (unsigned long long)ps.views_in_use);
		abort();
	}
	return 0;
}

/* ---- seed corpus ---- */

static uint8_t seed_buf[20000];
static size_t seed_len;

static void seed_begin(uint8_t cfg)
{
	seed_buf[0] = cfg;
	seed_len = 1;
}

static void seed_rec(const uint8_t *b, size_t n)
{
	if (n > 255 || seed_len + 1 + n > sizeof(seed_buf))
		abort();
	seed_buf[seed_len++] = (uint8_t)n;
	memcpy(seed_buf + seed_len, b, n);
	seed_len += n;
}

#define REC(...)                                                      \
	do {                                                          \
		static const uint8_t rec_[] = { __VA_ARGS__ };        \
		seed_rec(rec_, sizeof(rec_));                         \
	} while (0)

static void seed_write(const char *dir, const char *name)
{
	seed_file(dir, name, seed_buf, seed_len);
}

/*
 * Record bytes, for reading the seeds:
 *   packet:  0, addrs (src | dst << 4), hop limit (0: 255), flags
 *            (ext count << 4), headers..., upper selector, fields...
 *   upper:   0 echo: id/seq (4), length (2); 1 NDP: kind (0 NS, 1 NA,
 *            2 RS, 3 RA, 4 Redirect)...; 3 UDP: port sel, sport (2),
 *            length (2); 4 TCP: port sel, sport (2), flags, window (2),
 *            options length, seq (4), ack (4)...
 * Address selectors: destinations count from the stack (0 fd00::2, 1 its
 * link-local, 4 ff02::1, 5 solicited-node, 7 ff02::fb, 10 SLAAC),
 * sources from the peer (0 fd00::1, 1 fe80::1, 6 ::, 13 fd00::2); 15 is
 * raw bytes.
 */
static void write_seeds(const char *dir)
{
	mkdir(dir, 0755);

	/* Echo requests: global, link-local, to all nodes, one to fragment. */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0, /* echo */ 0, 0, 1, 0, 1, 0, 56);
	REC(0, 0x11, 0, 0, 0, 0, 1, 0, 2, 0, 8);
	REC(0, 0x41, 0, 0, 0, 0, 1, 0, 3, 0, 8);
	REC(0, 0x00, 0, 0, 0, 0, 1, 0, 4, 0x0f, 0xa0);
	REC(0, 0x00, 0, 0, /* echo reply */ 8, 0, 1, 0, 5, 0, 8);
	seed_write(dir, "echo");

	/* Hop-by-Hop (PadN, Router Alert, an unknown skippable option),
	 * Destination Options (Pad1, Tunnel Encapsulation Limit), echo. */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0x20,
	    /* HBH */ 0, 3, 1, 3, 2, 0, 0, 4, 2 << 2,
	    /* DST */ 1, 2, 0, 6, 4,
	    /* echo */ 0, 0, 1, 0, 5, 0, 16);
	seed_write(dir, "hbh-dstopts-echo");

	/* Unknown options with each action (the last to a group: no
	 * answer), a Jumbo Payload option, an option overrunning its
	 * header. */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0x10, 1, 1, 4, 0, 0, 0, 1, 0, 6, 0, 8);
	REC(0, 0x00, 0, 0x10, 1, 1, 4, 1, 0, 0, 1, 0, 7, 0, 8);
	REC(0, 0x00, 0, 0x10, 1, 1, 4, 2, 0, 0, 1, 0, 8, 0, 8);
	REC(0, 0x40, 0, 0x10, 1, 1, 4, 3, 0, 0, 1, 0, 9, 0, 8);
	REC(0, 0x00, 0, 0x10, 0, 1, 3, 0, 0, 0, 0, 0, 0, 1, 0, 10, 0, 8);
	REC(0, 0x00, 0, 0x10, 1, 1, 8, 0x1e, 0, 0, 1, 0, 11, 0, 8);
	seed_write(dir, "option-actions");

	/* Routing headers: type 0 and 4 with no segments left (walked
	 * over), type 2 and 3 with segments left (refused), type 253. */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0x10, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 12, 0, 8);
	REC(0, 0x00, 0, 0x10, 2, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 13, 0, 8);
	REC(0, 0x00, 0, 0x10, 2, 1, 1, 0, 0, 0, 0, 1, 13, 0, 0, 1, 0, 14, 0, 8);
	REC(0, 0x00, 0, 0x10, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 15, 0, 8);
	REC(0, 0x00, 0, 0x10, 2, 5, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 16, 0, 8);
	seed_write(dir, "routing");

	/* A 3000-byte echo in three fragments (id 42), the middle one
	 * last; a datagram (id 43) with an overlapping fragment; a lone
	 * first fragment (id 0xdead) that times out; a last fragment
	 * reaching past 65535 bytes. */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0x10, /* frag */ 3, 1, 0, 0, 0, 150, /* echo */ 0, 0, 1, 0, 20, 0x0b, 0xb8);
	REC(4, 0, 0x01, 0x2c, 0, 0);
	REC(4, 1, 0, 150, 0, 150);
	REC(0, 0x00, 0, 0x10, 3, 3, 0, 0, 0, 100, 0, 0, 1, 0, 21, 0x07, 0xd0);
	REC(4, 1, 0, 50, 0, 100);
	REC(0, 0x00, 0, 0x10, 3, 5, 0, 0, 0, 100, 0, 0, 1, 0, 22, 0x07, 0xd0);
	REC(0, 0x00, 0, 0x10, 3, 0, 0x1f, 0xff, 0, 1, 0, 0, 1, 0, 23, 0, 16);
	REC(5, 250);
	seed_write(dir, "fragments");

	/* Destination Options before the Fragment header (unfragmentable)
	 * and after it, UDP to the echo port, in two pieces. */
	seed_begin(CFG_PEER_KNOWN | CFG_PEER_ANSWERS);
	REC(0, 0x00, 0, 0x30, 1, 0, 3, 1, 0, 0, 0, 4, 1, 0, /* UDP */ 3, 0, 0x30, 0x39, 0x01, 0x90);
	REC(4, 0, 0, 4, 0, 0);
	seed_write(dir, "unfragmentable-part-udp");

	/* Neighbour discovery: NS with the source's link-layer address, NA,
	 * RS, a Redirect (target fd00::3, destination 2001:db8::1, target
	 * link-layer address and redirected header), an NS from :: (a DAD
	 * probe for our address), an NS with bad options. */
	seed_begin(0);
	REC(0, 0x50, 0, 0, 1, 0, 0, 1, 0, 0);
	REC(0, 0x00, 0, 0, 1, 1, 0x60, 0, 1, 1, 0);
	REC(0, 0x61, 0, 0, 1, 2, 1, 0, 0);
	REC(0, 0x01, 0, 0, 1, 4, 9, 0, 2, 1, 1, 7, 0, 0, 0, 0);
	REC(0, 0x56, 0, 0, 1, 0, 0, 0);
	REC(0, 0x50, 0, 0, 1, 0, 0, 3, 9, 1, 10, 1, 5, 11, 3, 1, 1, 0);
	seed_write(dir, "ndp");

	/* A router advertisement: hop limit 64, lifetime 1800 s, reachable
	 * 30 s, retrans 1 s, source link-layer address, MTU 1400, prefix
	 * 2001:db8:1::/64 on-link and autonomous (60 s valid, 30 s
	 * preferred), RDNSS, route information, an unknown option; a ping
	 * to the SLAAC address; then the lifetimes run out. */
	seed_begin(0);
	REC(0, 0x41, 0, 0, 1, 3, 64, 0, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8,
	    6, 0, 0, 3, 0, 0, 0x05, 0x78, 2, 64, 0xc0, 0, 0, 0, 60, 0, 0, 0, 30, 0,
	    4, 1, 0, 0, 0, 60, 0, 5, 48, 0x08, 0, 0, 0, 60, 3, 8, 0, 99);
	REC(5, 220);
	REC(0, 0xa0, 0, 0, 0, 0, 1, 0, 30, 0, 8);
	REC(5, 241);
	REC(0, 0xa0, 0, 0, 0, 0, 1, 0, 31, 0, 8);
	seed_write(dir, "router-advertisement");

	/* Duplicate address detection: another node's probe for our
	 * tentative link-local address, an advertisement of fd00::2. */
	seed_begin(CFG_DAD);
	REC(0, 0x56, 0, 0, 1, 0, 1, 0);
	REC(0, 0x40, 0, 0, 1, 1, 0x20, 13, 0);
	REC(5, 210);
	seed_write(dir, "dad-conflict");

	/* A SLAAC address (prefix autonomous only, 100 s valid) whose DAD
	 * fails, then ends with its valid lifetime. */
	seed_begin(CFG_DAD);
	REC(0, 0x41, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    1, 2, 64, 0x40, 0, 0, 0, 100, 0, 0, 0, 50, 0);
	REC(0, 0x56, 0, 0, 1, 0, 10, 0);
	REC(5, 241);
	REC(5, 241);
	seed_write(dir, "slaac-dad-conflict");

	/* An MLDv1 querier, then both addresses fail DAD: the stack leaves
	 * their solicited-node group with an MLDv1 Done. */
	seed_begin(CFG_DAD);
	REC(0, 0x41, 0xc0, 1, 0, 6, 4, 0x03, 0xe8, 0);
	REC(0, 0x56, 0, 0, 1, 0, 1, 0);
	REC(0, 0x56, 0, 0, 1, 0, 0, 0);
	REC(5, 210);
	seed_write(dir, "mld-v1-leave");

	/* No static default route: a router advertisement (600 s) makes
	 * fe80::1 the default router; off-link traffic goes to it; its NA
	 * without the router flag removes it. */
	seed_begin(CFG_NO_STATIC_ROUTE | CFG_PEER_ANSWERS);
	REC(0, 0x41, 0, 0, 1, 3, 64, 0, 0x02, 0x58, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
	REC(6, 9, 0, 50, 0);
	REC(5, 210);
	REC(0, 0x11, 0, 0, 1, 1, 0x20, 1, 0);
	REC(6, 9, 0, 50, 0);
	seed_write(dir, "default-router");

	/* MLD: a general MLDv2 query, a group-specific one for ff02::fb,
	 * an MLDv1 query, another listener's reports and done. */
	seed_begin(0);
	REC(0, 0x41, 0xc0, 1, 0, 6, 0, 0x03, 0xe8, 0, 2, 125, 0);
	REC(0, 0x71, 0xc0, 1, 0, 6, 0, 0x03, 0xe8, 14, 2, 125, 0);
	REC(5, 210);
	REC(0, 0x41, 0xc0, 1, 0, 6, 4, 0x03, 0xe8, 0);
	REC(0, 0x71, 0xc0, 1, 0, 6, 1, 0);
	REC(0, 0x71, 0xc0, 1, 0, 6, 3, 1, 4, 0);
	REC(0, 0x71, 0xc0, 1, 0, 6, 2, 0);
	REC(5, 215);
	seed_write(dir, "mld");

	/* ICMPv6 errors quoting packets of ours: port unreachable about the
	 * connected socket, packet too big (MTU 1300) about the echo port,
	 * a parameter problem about TCP behind a Destination Options
	 * header, time exceeded quoting a fragment; then a datagram to the
	 * peer that the lower path MTU fragments. */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0x80, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	REC(0, 0x00, 0, 0, 2, 1, 0, 0, 0x05, 0x14, 1, 0, 0, 9);
	REC(0, 0x00, 0, 0, 2, 3, 0, 0, 0, 40, 6, 0, 0x13, 0x88, 0, 0, 0, 1);
	REC(0, 0x00, 0, 0, 2, 2, 0, 0, 0, 0, 8, 0, 0, 0);
	REC(6, 2, 0x05, 0xdc, 0);
	seed_write(dir, "icmp6-errors");

	/* UDP: to the echo port, to the connected socket, to a closed port;
	 * TCP: a SYN to the listener, one with an MSS option, one to a
	 * closed port. */
	seed_begin(CFG_PEER_KNOWN | CFG_PEER_ANSWERS);
	REC(0, 0x00, 0, 0, 3, 0, 0x30, 0x39, 0, 20);
	REC(0, 0x00, 0, 0, 3, 1, 0, 53, 0, 20);
	REC(0, 0x00, 0, 0, 3, 2, 0x30, 0x39, 0, 20);
	REC(0, 0x00, 0, 0, 4, 0, 0x30, 0x39, 2, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0);
	REC(0, 0x00, 0, 0, 4, 0, 0x30, 0x3b, 2, 0xff, 0xff, 4, 0, 0, 0, 1, 0, 0, 0, 0,
	    2, 4, 0x05, 0xb4, 0);
	REC(0, 0x00, 0, 0, 4, 1, 0x30, 0x3a, 2, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0);
	REC(5, 230);
	seed_write(dir, "udp-tcp");

	/* Unknown next headers: 253 after a Destination Options header, No
	 * Next Header, a Hop-by-Hop header after another one, a raw
	 * extension header (a Destination Options header). */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0x10, 1, 0, 5, 253, 4, 1, 2, 3, 4);
	REC(0, 0x00, 0, 0, 5, 59, 0);
	REC(0, 0x00, 0, 0x20, 1, 0, 0, 0, 0, 0, 1, 0, 40, 0, 8);
	REC(0, 0x00, 0, 0x10, 6, 60, 8, 58, 0, 1, 4, 0, 0, 0, 0, 0, 0, 1, 0, 41, 0, 8);
	seed_write(dir, "unknown-headers");

	/* Broken checksum, lying payload lengths (+8, and 0 with a
	 * Hop-by-Hop header: a jumbogram), Ethernet broadcast, link
	 * padding. */
	seed_begin(CFG_PEER_KNOWN);
	REC(0, 0x00, 0, 0x01, 0, 0, 1, 0, 50, 0, 8);
	REC(0, 0x00, 0, 0x02, 8, 0, 0, 1, 0, 51, 0, 8);
	REC(0, 0x00, 0, 0x12, 0x80, 0, 0, 0, 0, 1, 0, 52, 0, 8);
	REC(0, 0x00, 0, 0x04, 0, 0, 1, 0, 53, 0, 8);
	REC(0, 0x00, 0, 0x08, 0, 0, 1, 0, 54, 0, 8);
	seed_write(dir, "packet-flags");

	/* The stack sends: to the peer (resolved, answered), off-link via
	 * the default router, a big datagram to fragment on a 1280-byte
	 * link, to fe80::1 with the link's scope, from the connected
	 * socket. */
	seed_begin(CFG_PEER_ANSWERS | 0x10);
	REC(6, 2, 0, 100, 0);
	REC(6, 9, 0, 100, 0);
	REC(6, 2, 0x0f, 0xa0, 0);
	REC(6, 3, 0, 10, 2);
	REC(6, 0, 0, 10, 1);
	REC(5, 205);
	seed_write(dir, "stack-sends");

	/* A raw packet: an echo request with a bad checksum. */
	seed_begin(0);
	REC(7, 0x60, 0, 0, 0, 0, 8, 58, 255, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 128, 0, 0, 0, 0, 1, 0, 1);
	seed_write(dir, "raw");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	NS_UNUSED(argc);
	NS_UNUSED(argv);
	static const char *const addrs[A_RAW] = {
		[A_STACK] = "fd00::2",	     [A_STACK_LL] = "fe80::ff:fe00:2",
		[A_PEER] = "fd00::1",	     [A_PEER_LL] = "fe80::1",
		[A_ALL_NODES] = "ff02::1",   [A_SOLICITED] = "ff02::1:ff00:2",
		[A_ALL_ROUTERS] = "ff02::2", [A_GROUP] = "ff02::fb",
		[A_UNSPEC] = "::",	     [A_OTHER_NET] = "2001:db8::1",
		[A_SLAAC] = "2001:db8:1::ff:fe00:2", [A_NEIGHBOUR] = "fd00::3",
		[A_LOOPBACK] = "::1",	     [A_V4MAPPED] = "::ffff:10.0.0.1",
		[A_IFLOCAL] = "ff01::1",
	};
	for (unsigned i = 0; i < A_RAW; i++)
		b6_addr(addrs[i], ADDR[i]);
	static const char *const prefixes[5] = { "2001:db8:1::", "fd00::", "fe80::", "2001:db8::",
						 "::" };
	for (unsigned i = 0; i < 5; i++)
		b6_addr(prefixes[i], PREFIX[i]);
	b_pattern(pattern, sizeof(pattern), 7);
	H.verbose = getenv("FUZZ_IP6_VERBOSE") != NULL;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
