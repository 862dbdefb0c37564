/*
 * What `moat impair` does to one frame: finishing offloaded checksums,
 * cutting GSO super-frames into wire-size segments, corrupting a byte, and
 * the random source every decision is drawn from.
 *
 * The bridge normalises what it forwards to what a real wire carries: frames
 * no larger than the sender's MSS allowed, with complete checksums. Only
 * then is a corruption a corruption (the receiver must catch it with the
 * checksum) and a loss the loss of one wire frame rather than of a 64 KiB
 * burst.
 */
#include <errno.h>
#include <string.h>

#include "impair.h"
#include "ns/common.h"

#define ETH_HLEN 14
#define ETYPE_IPV4 0x0800
#define ETYPE_IPV6 0x86dd
#define ETYPE_VLAN 0x8100
#define ETYPE_QINQ 0x88a8

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* ---- random numbers ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void imp_rng_seed(struct imp_rng *r, uint64_t seed, unsigned stream)
{
	/* Streams differ in the splitmix starting point, far apart. */
	uint64_t x = seed ^ ((uint64_t)stream * 0xd1342543de82ef95ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t v, int k)
{
	return (v << k) | (v >> (64 - k));
}

uint64_t imp_rng_next(struct imp_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* ---- checksums (RFC 1071) ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t n)
{
	uint64_t s = sum;
	uint32_t i = 0;
	for (; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		s += (uint32_t)p[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffffULL) + (s >> 32);
	return (uint32_t)s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

int imp_l3_offset(const uint8_t *f, uint32_t len, uint16_t *ethertype)
{
	uint32_t off = 12;
	for (int tags = 0; tags < 3; tags++) {
		if (off + 2 > len)
			return -1;
		uint16_t t = ns_rd16(f + off);
		if (t != ETYPE_VLAN && t != ETYPE_QINQ) {
			*ethertype = t;
			return (int)off + 2;
		}
		off += 4;
	}
	return -1;
}

int imp_csum_complete(uint8_t *f, uint32_t len, uint32_t start, uint32_t off)
{
	if (start >= len || off + 2 > len - start)
		return -EINVAL;
	/* The field already holds the pseudo-header sum: sum it with the rest. */
	uint16_t c = (uint16_t)~csum_fold(csum_add(0, f + start, len - start));
	/* As skb_checksum_help(): a result of 0 is sent as 0xffff (the same
	 * value in ones' complement, and the only valid form for UDP). */
	ns_wr16(f + start + off, c ? c : 0xffff);
	return 0;
}

/* ---- GSO ---- */

int imp_gso_split(const uint8_t *f, uint32_t len, const struct virtio_net_hdr *vh,
		  uint8_t *scratch, imp_emit_fn emit, void *arg)
{
	uint16_t et;
	int l3i = imp_l3_offset(f, len, &et);
	int v6 = (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV6;
	if (l3i < 0 || et != (v6 ? ETYPE_IPV6 : ETYPE_IPV4))
		return -EINVAL;
	uint32_t l3 = (uint32_t)l3i, l4;
	if (!v6) {
		if (l3 + 20 > len || f[l3 + 9] != 6 || (f[l3] >> 4) != 4)
			return -EINVAL;
		l4 = l3 + (uint32_t)(f[l3] & 15) * 4;
	} else {
		if (l3 + 40 > len)
			return -EINVAL;
		l4 = l3 + 40;
	}
	/* With IPv6 extension headers the sender's csum_start says where TCP
	 * begins. An IPv4 header says its own length, and a receiver takes
	 * TCP from there: a csum_start that disagrees is a malformed frame
	 * (split on it, the IP checksum would cover TCP bytes or TCP would
	 * overwrite IP options), so it is refused. */
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!v6 && vh->csum_start != l4)
			return -EINVAL;
		l4 = vh->csum_start;
	} else if (v6 && f[l3 + 6] != 6) {
		return -EINVAL;
	}
	/* TCP starts after the fixed IP header: 20 bytes for IPv4, 40 for
	 * IPv6 (a csum_start inside the IPv6 header would have the TCP fields
	 * written over its addresses). */
	if (l4 < l3 + (v6 ? 40 : 20) || l4 + 20 > len)
		return -EINVAL;
	uint32_t hl = l4 + (uint32_t)(f[l4 + 12] >> 4) * 4;
	uint32_t mss = vh->gso_size;
	if (hl < l4 + 20 || hl > len || mss == 0)
		return -EINVAL;

	uint32_t payload = len - hl;
	/* The largest segment's IPv4 total length / IPv6 payload length must
	 * fit in 16 bits (a super-frame past 64 KiB, BIG TCP's, would have it
	 * wrap). */
	if (hl + NS_MIN(mss, payload) - l3 - (v6 ? 40 : 0) > 0xffff)
		return -EINVAL;
	uint32_t seq0 = ns_rd32(f + l4 + 4);
	uint16_t id0 = v6 ? 0 : ns_rd16(f + l3 + 4);
	uint8_t flags0 = f[l4 + 13];
	int nseg = 0;
	uint32_t off = 0;
	do {
		uint32_t chunk = NS_MIN(mss, payload - off);
		uint32_t n = hl + chunk;
		int last = off + chunk >= payload;
		memcpy(scratch, f, hl);
		memcpy(scratch + hl, f + hl + off, chunk);
		uint8_t *ip = scratch + l3, *th = scratch + l4;
		uint32_t sum;
		if (!v6) {
			/* Linux increments the IPv4 ID per segment (tcp4 GSO). */
			ns_wr16(ip + 2, (uint16_t)(n - l3));
			ns_wr16(ip + 4, (uint16_t)(id0 + nseg));
			ns_wr16(ip + 10, 0);
			ns_wr16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, l4 - l3)));
			/* RFC 9293 3.1: pseudo-header src, dst, zero, protocol, TCP length. */
			sum = csum_add(0, ip + 12, 8) + 6 + (n - l4);
		} else {
			ns_wr16(ip + 4, (uint16_t)(n - l3 - 40));
			/* RFC 8200 8.1: src, dst, upper-layer length, next header. */
			sum = csum_add(0, ip + 8, 32) + 6 + (n - l4);
		}
		ns_wr32(th + 4, seq0 + off);
		uint8_t fl = flags0;
		if (!last)
			fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (nseg > 0)
			fl &= (uint8_t)~TCP_CWR; /* CWR goes out once (RFC 3168 6.1.2) */
		th[13] = fl;
		ns_wr16(th + 16, 0);
		ns_wr16(th + 16, (uint16_t)~csum_fold(csum_add(sum, th, n - l4)));
		emit(arg, scratch, n);
		nseg++;
		off += chunk;
	} while (off < payload);
	return nseg;
}

/* ---- corruption ---- */

int imp_corrupt(uint8_t *f, uint32_t len, uint64_t draw)
{
	uint16_t et;
	int l3i = imp_l3_offset(f, len, &et);
	if (l3i < 0 || (et != ETYPE_IPV4 && et != ETYPE_IPV6))
		return -1;
	uint32_t l3 = (uint32_t)l3i, end = len;
	if (et == ETYPE_IPV4 && l3 + 4 <= len)
		end = l3 + ns_rd16(f + l3 + 2);
	else if (et == ETYPE_IPV6 && l3 + 6 <= len)
		end = l3 + 40 + ns_rd16(f + l3 + 4);
	if (end > len || end <= l3)
		end = len; /* a malformed length: any byte past Ethernet */
	if (end <= l3)
		return -1;
	/* Low byte: the XOR value (1..255); the rest: the position. */
	uint8_t x = (uint8_t)(1 + (draw & 0xff) % 255);
	uint32_t pos = l3 + (uint32_t)((draw >> 8) % (end - l3));
	f[pos] ^= x;
	return (int)pos;
}
