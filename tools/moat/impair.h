/*
 * `moat impair` internals: what one frame goes through (impair_frame.c) and
 * the reproducible random source the decisions come from.
 */
#ifndef MOAT_IMPAIR_H
#define MOAT_IMPAIR_H

#include <linux/virtio_net.h>
#include <stdint.h>

/*
 * xoshiro256** seeded through splitmix64 (both public-domain algorithms by
 * Blackman and Vigna, written here from their description). One generator
 * per direction, so what happens to a2b never depends on b2a traffic.
 */
struct imp_rng {
	uint64_t s[4];
};

void imp_rng_seed(struct imp_rng *r, uint64_t seed, unsigned stream);
uint64_t imp_rng_next(struct imp_rng *r);

/* A probability as a threshold on 53 random bits: P(bits < t) = p. */
#define IMP_P_ONE (1ULL << 53)
static inline int imp_chance(uint64_t draw, uint64_t threshold)
{
	return (draw >> 11) < threshold;
}

/* Offset of the IP header (VLAN tags skipped) and its ethertype; -1 when
 * the frame is too short. */
int imp_l3_offset(const uint8_t *f, uint32_t len, uint16_t *ethertype);

/*
 * Finish a checksum the sender left to offload (virtio NEEDS_CSUM): the
 * 16-bit field at start+off holds the pseudo-header sum, the rest is summed
 * from `start` to the end of the frame (what the kernel's
 * skb_checksum_help() does). 0 or -EINVAL when the offsets do not fit.
 */
int imp_csum_complete(uint8_t *f, uint32_t len, uint32_t start, uint32_t off);

/*
 * Split a TCP GSO super-frame (virtio gso_type TCPV4/TCPV6) into the
 * frames a NIC would have put on the wire: gso_size payload bytes each,
 * IP length/ID and TCP sequence adjusted, FIN/PSH only on the last and CWR
 * only on the first segment, every checksum computed in full. `scratch`
 * holds at least `len` bytes; emit() is called once per segment with a frame
 * that is only valid during the call. Returns the number of segments or
 * -EINVAL for a frame that does not parse (nothing emitted then).
 */
typedef void (*imp_emit_fn)(void *arg, uint8_t *frame, uint32_t len);
int imp_gso_split(const uint8_t *f, uint32_t len, const struct virtio_net_hdr *vh,
		  uint8_t *scratch, imp_emit_fn emit, void *arg);

/*
 * Corrupt one byte of an IPv4/IPv6 packet: the byte at a position drawn
 * from `draw` among the IP header and everything after it (up to the IP
 * length, not Ethernet padding) is XORed with a non-zero value also drawn
 * from `draw`. Checksums are left alone, so the receiver can detect it.
 * Returns the frame offset changed, or -1 for a frame that is not IP (ARP
 * has no checksum; on a real link the Ethernet FCS would catch it).
 */
int imp_corrupt(uint8_t *f, uint32_t len, uint64_t draw);

#endif
