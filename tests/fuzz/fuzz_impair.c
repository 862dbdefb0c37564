/*
 * libFuzzer harness over what `moat impair` does to one frame
 * (tools/moat/impair_frame.c): the bridge reads frames and their virtio
 * headers from a peer's veth, and its peer may be any program with a
 * packet socket. Each input goes through every function as the bridge
 * would call it, and the results are checked against what the code
 * promises (impair.h), with checksums recomputed here independently:
 *
 *   imp_l3_offset      -1, or just past the Ethernet type after at most two
 *                      VLAN tags, with that type;
 *   imp_csum_complete  -EINVAL with the frame untouched, or only the two
 *                      bytes at start+off changed, and (field at an even
 *                      offset from start) the sum from start, with the
 *                      pseudo-header sum the field held, verifies;
 *   imp_gso_split      -EINVAL with nothing emitted, or segments that a
 *                      receiver accepts: each in scratch and no longer than
 *                      the super-frame, gso_size payload bytes each but the
 *                      last, the IPv4 total length / IPv6 payload length
 *                      equal to the segment's, IPv4 ID + 1 per segment, the
 *                      IPv4 header checksum (over IHL) and the TCP checksum
 *                      (pseudo-header included) verify, sequence numbers
 *                      advance by the payload, FIN/PSH only on the last and
 *                      CWR only on the first segment, every other header
 *                      byte as in the super-frame, and the payloads in order
 *                      are the super-frame's. A well-formed super-frame
 *                      whose segments fit the IP length fields must be
 *                      split; the input is never written to.
 *   imp_corrupt        -1 with the frame untouched (not IPv4/IPv6), or a
 *                      position inside the IP packet (Ethernet padding
 *                      excluded when the IP length is sane) where exactly
 *                      that one byte changed.
 *
 * Input format:
 *   byte 0      virtio_net_hdr.flags
 *   byte 1      virtio_net_hdr.gso_type
 *   bytes 2-9   hdr_len, gso_size, csum_start, csum_offset (16 bits each,
 *               big endian)
 *   bytes 10-17 the draw for imp_corrupt (big endian)
 *   byte 18     grow: the frame is extended by grow * 256 bytes of a
 *               pattern (capped at the bridge's 64.5 KiB receive buffer),
 *               so that 64 KiB super-frames fit in a short input
 *   then        the frame, from the Ethernet header
 *
 * FUZZ_WRITE_SEEDS=DIR: write seeds (TCPv4 and TCPv6 GSO super-frames,
 * untagged, VLAN and QinQ, with IPv4 options and an IPv6 extension header,
 * a 64 KiB one, frames with a partial TCP or UDP checksum, plain frames)
 * into DIR and exit.
 */
#include "seed_file.h"
#include "../../tools/moat/impair_frame.c"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define IN_HDR 19
#define MAX_FRAME (65536 + 512) /* RX_BUF in impair_cmd.c */

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_impair: %s\n", what);
	abort();
}

/* ---- independent checksum arithmetic (RFC 1071) ---- */

static uint32_t fz_sum(uint32_t acc, const uint8_t *p, uint32_t n)
{
	uint64_t s = acc;
	uint32_t i = 0;
	for (; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		s += (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static int fz_verifies(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* ---- the receiver's view of a frame ---- */

/* The IP header's offset after at most two VLAN/QinQ tags, or -1. */
static int fz_l3(const uint8_t *f, uint32_t len, uint16_t *type)
{
	for (uint32_t off = 12; off <= 20; off += 4) {
		if (off + 2 > len)
			return -1;
		uint16_t t = ns_rd16(f + off);
		if (t != ETYPE_VLAN && t != ETYPE_QINQ) {
			*type = t;
			return (int)off + 2;
		}
	}
	return -1;
}

static void check_l3_offset(const uint8_t *f, uint32_t len)
{
	uint16_t want_t = 0, t = 0xdead;
	int want = fz_l3(f, len, &want_t);
	int got = imp_l3_offset(f, len, &t);
	if (got != want)
		fail("imp_l3_offset: wrong offset");
	if (got >= 0 && t != want_t)
		fail("imp_l3_offset: wrong ethertype");
}

static void check_csum_complete(const uint8_t *f, uint32_t len, uint32_t start, uint32_t off)
{
	uint8_t *g = malloc(len ? len : 1);
	if (!g)
		abort();
	memcpy(g, f, len);
	int r = imp_csum_complete(g, len, start, off);
	uint64_t end = (uint64_t)start + off + 2;
	if (r != 0) {
		if (r != -EINVAL || end <= len)
			fail("imp_csum_complete refused offsets that fit");
		if (memcmp(f, g, len))
			fail("imp_csum_complete changed a frame it refused");
		free(g);
		return;
	}
	if (end > len)
		fail("imp_csum_complete accepted offsets past the frame");
	uint32_t at = start + off;
	if (memcmp(f, g, at) || memcmp(f + at + 2, g + at + 2, len - at - 2))
		fail("imp_csum_complete changed a byte outside the checksum field");
	/* The field held the pseudo-header sum; the checksum now in its
	 * place must make the whole verify. At an odd offset from start the
	 * field straddles 16-bit words and there is no such rule. */
	if (!(off & 1)) {
		uint32_t pseudo = ns_rd16(f + start + off);
		if (!fz_verifies(fz_sum(pseudo, g + start, len - start)))
			fail("imp_csum_complete: the completed checksum does not verify");
	}
	free(g);
}

/* What a super-frame looks like to the checker. */
struct super {
	const uint8_t *f;
	uint32_t len;
	int v6;
	uint32_t l3, l4, hl, payload, mss;
	/* the segments seen so far */
	int nseg;
	uint32_t off;
	const uint8_t *scratch;
	int bad;
};

/* Whether the super-frame is one the split must accept, and its layout. */
static int super_parse(struct super *s, const struct virtio_net_hdr *vh)
{
	const uint8_t *f = s->f;
	uint16_t t;
	int l3 = fz_l3(f, s->len, &t);
	s->v6 = (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV6;
	if (l3 < 0 || t != (s->v6 ? ETYPE_IPV6 : ETYPE_IPV4))
		return 0;
	s->l3 = (uint32_t)l3;
	int partial = vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (!s->v6) {
		/* IPv4: TCP follows the header the IHL says (a receiver never
		 * looks at csum_start). */
		if (s->l3 + 20 > s->len || f[s->l3] >> 4 != 4 || f[s->l3 + 9] != 6 ||
		    (f[s->l3] & 15) < 5)
			return 0;
		s->l4 = s->l3 + (uint32_t)(f[s->l3] & 15) * 4;
		if (partial && vh->csum_start != s->l4)
			return 0;
	} else {
		/* IPv6: TCP right after the header, or where csum_start says
		 * (past extension headers), never inside the fixed header. */
		if (s->l3 + 40 > s->len)
			return 0;
		s->l4 = partial ? vh->csum_start : s->l3 + 40;
		if (s->l4 < s->l3 + 40 || (!partial && f[s->l3 + 6] != 6))
			return 0;
	}
	if (s->l4 + 20 > s->len)
		return 0;
	s->hl = s->l4 + (uint32_t)(f[s->l4 + 12] >> 4) * 4;
	s->mss = vh->gso_size;
	if (s->hl < s->l4 + 20 || s->hl > s->len || !s->mss)
		return 0;
	s->payload = s->len - s->hl;
	return 1;
}

/* Whether every segment's length fits the IP header's 16-bit field. */
static int super_fits(const struct super *s)
{
	uint32_t biggest = s->hl + NS_MIN(s->mss, s->payload) - s->l3;
	return biggest - (s->v6 ? 40 : 0) <= 0xffff;
}

static void seg_check(void *arg, uint8_t *g, uint32_t n)
{
	struct super *s = arg;
	const uint8_t *f = s->f;
	if (g != s->scratch)
		fail("imp_gso_split: a segment outside scratch");
	if (n > s->len)
		fail("imp_gso_split: a segment longer than the super-frame");
	if (s->bad)
		fail("imp_gso_split: split a super-frame that does not parse");
	if (n < s->hl)
		fail("imp_gso_split: a segment shorter than the headers");
	uint32_t chunk = n - s->hl;
	int first = s->nseg == 0, last = s->off + chunk >= s->payload;
	if (chunk > s->mss || (!last && chunk != s->mss) || s->off + chunk > s->payload ||
	    (!first && chunk == 0))
		fail("imp_gso_split: a segment's payload is not gso_size (or the rest)");
	if (memcmp(g + s->hl, f + s->hl + s->off, chunk))
		fail("imp_gso_split: payloads out of order or changed");
	if (memcmp(g, f, s->l3))
		fail("imp_gso_split: the Ethernet header changed");

	const uint8_t *ip = g + s->l3, *oip = f + s->l3;
	uint32_t sum;
	if (!s->v6) {
		uint32_t ihl = s->l4 - s->l3;
		if (ns_rd16(ip + 2) != n - s->l3)
			fail("imp_gso_split: IPv4 total length is not the segment's");
		if (ns_rd16(ip + 4) != (uint16_t)(ns_rd16(oip + 4) + s->nseg))
			fail("imp_gso_split: IPv4 ID not incremented per segment");
		if (!fz_verifies(fz_sum(0, ip, ihl)))
			fail("imp_gso_split: IPv4 header checksum does not verify");
		/* all but total length, ID and checksum */
		if (memcmp(ip, oip, 2) || memcmp(ip + 6, oip + 6, 4) ||
		    memcmp(ip + 12, oip + 12, ihl - 12))
			fail("imp_gso_split: an IPv4 header byte changed");
		sum = fz_sum(0, ip + 12, 8) + 6 + (n - s->l4);
	} else {
		if (ns_rd16(ip + 4) != n - s->l3 - 40)
			fail("imp_gso_split: IPv6 payload length is not the segment's");
		/* all but the payload length (memcmp: the extension headers
		 * may be long, and a tiny gso_size repeats them thousands of
		 * times) */
		if (memcmp(ip, oip, 4) || memcmp(ip + 6, oip + 6, s->l4 - s->l3 - 6))
			fail("imp_gso_split: an IPv6 or extension header byte changed");
		sum = fz_sum(0, ip + 8, 32) + 6 + (n - s->l4);
	}
	const uint8_t *th = g + s->l4, *oth = f + s->l4;
	if (!fz_verifies(fz_sum(sum, th, n - s->l4)))
		fail("imp_gso_split: TCP checksum does not verify");
	if (ns_rd32(th + 4) != ns_rd32(oth + 4) + s->off)
		fail("imp_gso_split: sequence number does not advance by the payload");
	uint8_t want = oth[13];
	if (!last)
		want &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (!first)
		want &= (uint8_t)~TCP_CWR;
	if (th[13] != want)
		fail("imp_gso_split: FIN/PSH not only on the last or CWR not only on the first segment");
	/* all but sequence number, flags and checksum */
	if (memcmp(th, oth, 4) || memcmp(th + 8, oth + 8, 5) || th[14] != oth[14] ||
	    th[15] != oth[15] || memcmp(th + 18, oth + 18, s->hl - s->l4 - 18))
		fail("imp_gso_split: a TCP header byte changed");
	s->nseg++;
	s->off += chunk;
}

static void check_gso_split(const uint8_t *f, uint32_t len, const struct virtio_net_hdr *vh)
{
	/* Like rx_frame(): only TCP GSO kinds are split. */
	uint8_t kind = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if (kind != VIRTIO_NET_HDR_GSO_TCPV4 && kind != VIRTIO_NET_HDR_GSO_TCPV6)
		return;
	struct super s;
	memset(&s, 0, sizeof(s));
	s.f = f;
	s.len = len;
	int ok = super_parse(&s, vh);
	s.bad = !ok;
	/* scratch holds exactly `len` bytes: ASan catches a byte more. */
	uint8_t *scratch = malloc(len ? len : 1);
	uint8_t *copy = malloc(len ? len : 1);
	if (!scratch || !copy)
		abort();
	memcpy(copy, f, len);
	s.scratch = scratch;
	int r = imp_gso_split(f, len, vh, scratch, seg_check, &s);
	if (memcmp(copy, f, len))
		fail("imp_gso_split wrote to its input");
	if (r < 0) {
		if (r != -EINVAL)
			fail("imp_gso_split: an error other than -EINVAL");
		if (s.nseg)
			fail("imp_gso_split: emitted segments, then failed");
		if (ok && super_fits(&s))
			fail("imp_gso_split refused a well-formed super-frame");
	} else {
		if (r != s.nseg)
			fail("imp_gso_split: returned a count other than the segments emitted");
		if (s.off != s.payload || !s.nseg)
			fail("imp_gso_split: the segments do not carry the whole payload");
		uint32_t want = s.payload ? (s.payload + s.mss - 1) / s.mss : 1;
		if ((uint32_t)s.nseg != want)
			fail("imp_gso_split: not ceil(payload / gso_size) segments");
	}
	free(copy);
	free(scratch);
}

static void check_corrupt(const uint8_t *f, uint32_t len, uint64_t draw)
{
	uint8_t *g = malloc(len ? len : 1);
	if (!g)
		abort();
	memcpy(g, f, len);
	int pos = imp_corrupt(g, len, draw);
	uint16_t t;
	int l3 = fz_l3(f, len, &t);
	int ip = l3 >= 0 && (t == ETYPE_IPV4 || t == ETYPE_IPV6) && (uint32_t)l3 < len;
	if (pos < 0) {
		if (pos != -1)
			fail("imp_corrupt: a negative result other than -1");
		if (ip)
			fail("imp_corrupt refused an IP packet");
		if (memcmp(f, g, len))
			fail("imp_corrupt changed a frame it refused");
		free(g);
		return;
	}
	if (!ip)
		fail("imp_corrupt corrupted a frame that is not IP");
	/* The packet ends where its length says, when that is sane; Ethernet
	 * padding after it is not part of it. */
	uint32_t end = len, at = (uint32_t)l3;
	if (t == ETYPE_IPV4 && at + 4 <= len)
		end = at + ns_rd16(f + at + 2);
	else if (t == ETYPE_IPV6 && at + 6 <= len)
		end = at + 40 + ns_rd16(f + at + 4);
	if (end > len || end <= at)
		end = len;
	if ((uint32_t)pos < at || (uint32_t)pos >= end)
		fail("imp_corrupt: position outside the IP packet");
	uint32_t p = (uint32_t)pos;
	if (f[p] == g[p] || memcmp(f, g, p) || memcmp(f + p + 1, g + p + 1, len - p - 1))
		fail("imp_corrupt did not change exactly the byte it returned");
	free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < IN_HDR)
		return 0;
	struct virtio_net_hdr vh;
	memset(&vh, 0, sizeof(vh));
	vh.flags = data[0];
	vh.gso_type = data[1];
	vh.hdr_len = ns_rd16(data + 2);
	vh.gso_size = ns_rd16(data + 4);
	vh.csum_start = ns_rd16(data + 6);
	vh.csum_offset = ns_rd16(data + 8);
	uint64_t draw = (uint64_t)ns_rd32(data + 10) << 32 | ns_rd32(data + 14);
	size_t len = size - IN_HDR;
	size_t grown = NS_MIN(len + (size_t)data[18] * 256, (size_t)MAX_FRAME);
	if (len > grown)
		len = grown;
	/* Exactly the frame's bytes, so that ASan sees any read past it. */
	uint8_t *f = malloc(grown ? grown : 1);
	if (!f)
		abort();
	memcpy(f, data + IN_HDR, len);
	for (size_t i = len; i < grown; i++)
		f[i] = (uint8_t)(i * 7 + 3);
	uint32_t n = (uint32_t)grown;

	check_l3_offset(f, n);
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		check_csum_complete(f, n, vh.csum_start, vh.csum_offset);
	check_gso_split(f, n, &vh);
	check_corrupt(f, n, draw);
	free(f);
	return 0;
}

/* ---- seed corpus ---- */

static uint8_t sd[MAX_FRAME + IN_HDR];
static uint32_t sd_len;

static const uint8_t SD_DST[6] = { 2, 0, 0, 0, 0, 2 }, SD_SRC[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t SD_IP4[8] = { 10, 0, 0, 1, 10, 0, 0, 2 };
static const uint8_t SD_IP6[32] = { 0xfd, 0, [15] = 1, 0xfd, 0, [31] = 2 };

struct sd_frame {
	int v6;
	int tags;	   /* VLAN tags: 0, 1 (802.1Q) or 2 (802.1ad then 802.1Q) */
	uint8_t proto;	   /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t ip4_opts; /* bytes of IPv4 options (a multiple of 4) */
	int ext6;	   /* an IPv6 hop-by-hop header before TCP */
	uint32_t tcp_opts; /* bytes of TCP options (a multiple of 4) */
	uint8_t tcp_flags;
	uint32_t payload;
	int partial;	   /* leave the L4 checksum partial (pseudo-header only) */
	uint32_t pad;	   /* Ethernet padding after the IP packet */
	uint8_t gso_type;
	uint16_t gso_size;
	uint64_t draw;
	uint8_t grow;	   /* payload added by the harness, see the input format */
};

/* Writes the input header and the frame into sd. */
static void sd_build(const struct sd_frame *b)
{
	uint8_t *h = sd, *f = sd + IN_HDR;
	uint32_t o = 12;
	memset(sd, 0, sizeof(sd));
	memcpy(f, SD_DST, 6);
	memcpy(f + 6, SD_SRC, 6);
	for (int i = 0; i < b->tags; i++) {
		ns_wr16(f + o, i == 0 && b->tags == 2 ? ETYPE_QINQ : ETYPE_VLAN);
		ns_wr16(f + o + 2, (uint16_t)(100 + i));
		o += 4;
	}
	ns_wr16(f + o, b->v6 ? ETYPE_IPV6 : ETYPE_IPV4);
	uint32_t l3 = o + 2;
	uint32_t iphl = b->v6 ? 40 + (b->ext6 ? 8 : 0) : 20 + b->ip4_opts;
	uint32_t l4 = l3 + iphl;
	uint32_t l4hl = b->proto == 6 ? 20 + b->tcp_opts : 8;
	/* The payload the harness adds (grow) counts in the lengths too. */
	uint32_t l4len = l4hl + b->payload + (uint32_t)b->grow * 256;
	uint8_t *ip = f + l3, *th = f + l4;
	if (!b->v6) {
		ip[0] = (uint8_t)(0x40 | (iphl / 4));
		ns_wr16(ip + 2, (uint16_t)(iphl + l4len));
		ns_wr16(ip + 4, 0x1234);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = b->proto;
		memcpy(ip + 12, SD_IP4, 8);
		for (uint32_t i = 20; i < iphl; i++)
			ip[i] = 1; /* NOP options */
		ns_wr16(ip + 10, (uint16_t)~fz_sum(0, ip, iphl));
	} else {
		ip[0] = 0x60;
		ns_wr16(ip + 4, (uint16_t)(iphl - 40 + l4len));
		ip[6] = b->ext6 ? 0 : b->proto;
		ip[7] = 64;
		memcpy(ip + 8, SD_IP6, 32);
		if (b->ext6) {
			ip[40] = b->proto; /* hop-by-hop: next header, length 0, PadN */
			ip[42] = 1;
			ip[43] = 4;
		}
	}
	if (b->proto == 6) {
		ns_wr16(th, 40000);
		ns_wr16(th + 2, 80);
		ns_wr32(th + 4, 0xfffff000); /* wraps within the super-frame */
		ns_wr32(th + 8, 0x01020304);
		th[12] = (uint8_t)((l4hl / 4) << 4);
		th[13] = b->tcp_flags;
		ns_wr16(th + 14, 502);
		for (uint32_t i = 20; i + 4 <= l4hl; i += 4) {
			th[i] = 1; /* NOP, NOP, timestamp-sized filler */
			th[i + 1] = 1;
			th[i + 2] = 1;
			th[i + 3] = 1;
		}
	} else {
		ns_wr16(th, 5353);
		ns_wr16(th + 2, 53);
		ns_wr16(th + 4, (uint16_t)l4len);
	}
	for (uint32_t i = 0; i < b->payload; i++)
		th[l4hl + i] = (uint8_t)(i * 13 + 5);
	uint32_t len = l4 + l4hl + b->payload;
	uint32_t field = b->proto == 6 ? 16 : 6;
	/* Sum of the pseudo-header, as a sender that offloads leaves it. */
	uint32_t pseudo = b->v6 ? fz_sum(0, ip + 8, 32) : fz_sum(0, ip + 12, 8);
	pseudo = fz_sum(pseudo + b->proto + l4len, NULL, 0);
	if (b->partial) {
		ns_wr16(th + field, (uint16_t)pseudo);
	} else if (!b->grow) {
		uint16_t c = (uint16_t)~fz_sum(pseudo, th, l4len);
		ns_wr16(th + field, c ? c : 0xffff);
	}
	memset(f + len, 0, b->pad);
	len += b->pad;

	h[0] = b->partial ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
	h[1] = b->gso_type;
	ns_wr16(h + 2, (uint16_t)(l4 + l4hl));
	ns_wr16(h + 4, b->gso_size);
	ns_wr16(h + 6, b->partial ? (uint16_t)l4 : 0);
	ns_wr16(h + 8, b->partial ? (uint16_t)field : 0);
	ns_wr32(h + 10, (uint32_t)(b->draw >> 32));
	ns_wr32(h + 14, (uint32_t)b->draw);
	h[18] = b->grow;
	sd_len = IN_HDR + len;
}

static void sd_write(const char *dir, const char *name, const struct sd_frame *b)
{
	sd_build(b);
	seed_file(dir, name, sd, sd_len);
}

static void write_seeds(const char *dir)
{
	mkdir(dir, 0755);
	const uint8_t ack = 0x10, psh = 0x08, fin = 0x01, cwr = 0x80;
	struct sd_frame b;

	/* TCP GSO as Linux hands it over: partial checksum, gso_size = MSS. */
	b = (struct sd_frame){ .proto = 6, .tcp_opts = 12, .tcp_flags = ack | psh | cwr,
			       .payload = 5000, .partial = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
			       .gso_size = 1448, .draw = 0x123456789abcdefULL };
	sd_write(dir, "tcp4-gso", &b);
	b.tags = 1;
	b.tcp_flags = ack | psh | fin;
	sd_write(dir, "tcp4-gso-vlan", &b);
	b.tags = 2;
	b.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	sd_write(dir, "tcp4-gso-qinq-ecn", &b);
	b = (struct sd_frame){ .proto = 6, .ip4_opts = 8, .tcp_flags = ack | psh, .payload = 3001,
			       .partial = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1000,
			       .draw = 77 };
	sd_write(dir, "tcp4-gso-ipopts", &b);
	/* Without NEEDS_CSUM, and gso_size larger than the payload. */
	b = (struct sd_frame){ .proto = 6, .tcp_flags = ack | fin, .payload = 700,
			       .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1460, .draw = 5 };
	sd_write(dir, "tcp4-gso-one-segment", &b);
	/* 64 KiB: 245 * 256 bytes added by the harness. */
	b = (struct sd_frame){ .proto = 6, .tcp_opts = 12, .tcp_flags = ack | psh, .payload = 1000,
			       .partial = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448,
			       .draw = 999, .grow = 245 };
	sd_write(dir, "tcp4-gso-64k", &b);

	b = (struct sd_frame){ .v6 = 1, .proto = 6, .tcp_opts = 12, .tcp_flags = ack | psh | cwr,
			       .payload = 5000, .partial = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
			       .gso_size = 1428, .draw = 0xfedcba9876543210ULL };
	sd_write(dir, "tcp6-gso", &b);
	b.tags = 1;
	sd_write(dir, "tcp6-gso-vlan", &b);
	b.tags = 2;
	b.tcp_flags = ack | fin;
	sd_write(dir, "tcp6-gso-qinq", &b);
	b.tags = 0;
	b.ext6 = 1;
	sd_write(dir, "tcp6-gso-hopbyhop", &b);
	b = (struct sd_frame){ .v6 = 1, .proto = 6, .tcp_flags = ack, .payload = 4000,
			       .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 1000, .draw = 3 };
	sd_write(dir, "tcp6-gso-no-partial", &b);

	/* Not GSO: partial checksums to finish, then plain frames. */
	b = (struct sd_frame){ .proto = 6, .tcp_flags = ack | psh, .payload = 333, .partial = 1,
			       .draw = 1234 };
	sd_write(dir, "tcp4-partial-csum", &b);
	b = (struct sd_frame){ .v6 = 1, .proto = 17, .payload = 100, .partial = 1, .draw = 4321 };
	sd_write(dir, "udp6-partial-csum", &b);
	b = (struct sd_frame){ .proto = 17, .payload = 10, .pad = 8, .draw = 0xffffffffffffffffULL };
	sd_write(dir, "udp4-padded", &b);
	b = (struct sd_frame){ .tags = 1, .proto = 6, .tcp_flags = ack, .payload = 0, .draw = 42 };
	sd_write(dir, "tcp4-ack-vlan", &b);

	/* ARP (not IP: never corrupted). */
	static const uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1,
					 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1,
					 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2 };
	memset(sd, 0, IN_HDR);
	memcpy(sd + IN_HDR, arp, sizeof(arp));
	sd_len = IN_HDR + sizeof(arp);
	seed_file(dir, "arp", sd, sd_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
