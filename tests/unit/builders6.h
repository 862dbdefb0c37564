/*
 * IPv6 frame builders and parsers for tests (the IPv6 half of builders.h):
 * one call makes a whole Ethernet frame from the peer (B_MAC_PEER) to the
 * stack, one call parses a frame the stack sent. Shared by the unit tests,
 * the bad-input harness and the fuzz seeds (included as source there).
 *
 * The conventional IPv6 test network: the stack is fd00::2/64 (B6_STACK)
 * and fe80::<EUI-64 of B_MAC_STACK>, the peer fd00::1 (B6_PEER) and
 * fe80::1 (B6_PEER_LL).
 */
#ifndef TEST_BUILDERS6_H
#define TEST_BUILDERS6_H

#include <stddef.h>
#include <stdint.h>

#include "ns/pkt.h"
#include "wire.h"

extern const uint8_t B6_STACK[16], B6_PEER[16], B6_PEER_LL[16], B6_STACK_LL[16];
extern const uint8_t B6_ALL_NODES[16], B6_ALL_ROUTERS[16], B6_MLD2[16], B6_UNSPEC[16];

/* Write a 16-byte address from text (aborts on a typo). */
void b6_addr(const char *text, uint8_t out[16]);

/* An IPv6 header in full control. */
struct b_ip6 {
	const uint8_t *src, *dst;
	uint8_t nxt;	      /* Next Header of the IPv6 header */
	uint8_t hlim;	      /* 0: 64 */
	uint8_t tclass;
	int plen;	      /* 0: computed; else written as is (a lying length) */
	const uint8_t *ext;   /* extension headers after it (caller-built) */
	size_t extlen;
	const uint8_t *eth_dst; /* NULL: the stack's MAC, or 33:33:.. for multicast */
};

/* Extension headers: options (padded to 8 bytes with PadN), Fragment. */
size_t b6_ext_opts(uint8_t *out, uint8_t nxt, const uint8_t *opts, size_t optlen);
size_t b6_ext_frag(uint8_t *out, uint8_t nxt, uint32_t off, int more, uint32_t id);

/* ICMPv6 message with its checksum (src/dst for the pseudo-header). */
size_t b6_icmp_bytes(uint8_t *out, const uint8_t *src, const uint8_t *dst, uint8_t type,
		     uint8_t code, uint32_t rest, const void *data, size_t len);
/* UDP header + payload with a correct checksum. */
size_t b6_udp_bytes(uint8_t *out, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		    uint16_t dport, const void *data, size_t len);

/* Whole frames. */
struct pkt *b6_ip(const struct b_ip6 *h, const void *payload, size_t len);
struct pkt *b6_icmp(const uint8_t *src, const uint8_t *dst, uint8_t hlim, uint8_t type,
		    uint8_t code, uint32_t rest, const void *data, size_t len);
/* Echo request (id, seq) with `len` bytes of pattern data. */
struct pkt *b6_ping(const uint8_t *src, const uint8_t *dst, uint16_t id, uint16_t seq, size_t len);
/* One fragment of `dgram` (the bytes after the Fragment header of the
 * whole datagram): bytes [off, off+len), Next Header nxt. */
struct pkt *b6_frag(const uint8_t *src, const uint8_t *dst, uint32_t id, uint8_t nxt,
		    const uint8_t *dgram, uint32_t off, uint32_t len, int more);
/* Neighbour Solicitation / Advertisement / Router Advertisement. */
struct pkt *b6_ns(const uint8_t *src, const uint8_t *dst, const uint8_t *target,
		  const uint8_t *slla);
struct pkt *b6_na(const uint8_t *src, const uint8_t *dst, const uint8_t *target, uint8_t flags,
		  const uint8_t *tlla);
struct b6_prefix {
	const uint8_t *prefix;
	uint8_t plen, flags; /* 0x80 on-link, 0x40 autonomous */
	uint32_t valid, preferred;
};
struct b6_ra {
	const uint8_t *src; /* link-local */
	uint8_t hlim_ip;    /* IPv6 hop limit, 0: 255 */
	uint8_t cur_hlim;
	uint16_t lifetime;
	uint32_t reachable, retrans;
	const uint8_t *slla;
	uint32_t mtu;	    /* 0: no MTU option */
	struct b6_prefix pi[4];
	unsigned npi;
};
struct pkt *b6_ra(const struct b6_ra *ra);

/* ---- parsing what the stack sent ---- */
struct b_frame6 {
	uint8_t dst[6], src[6];
	uint16_t type;
	int is_ip6;
	struct ip6_repr ip;
	int payload_len_ok;	/* payload length agrees with the frame */
	/* The headers walked (up to 8): their types and offsets from the
	 * IPv6 header. */
	uint8_t ext[8];
	uint32_t ext_off[8];
	unsigned next;
	int has_frag;
	struct ip6_frag_repr frag;
	uint8_t nxt;		/* upper-layer protocol (or 44 for a later fragment) */
	const uint8_t *l4;	/* its header (inside the packet) */
	uint32_t l4_len;
	int l4_csum_ok;		/* ICMPv6/UDP checksum verifies (not for fragments) */
	uint8_t icmp_type, icmp_code;
	uint32_t icmp_rest;
	const uint8_t *data;	/* after the 8-byte ICMPv6 header / UDP header */
	uint32_t data_len;
};
/* 0, or -1 if the frame is shorter than its headers claim. */
int b_parse6(const struct pkt *p, struct b_frame6 *f);

#endif
