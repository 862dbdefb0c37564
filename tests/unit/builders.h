/*
 * Frame builders and parsers for tests: one call makes a whole Ethernet
 * frame (ARP, IPv4, UDP, ICMP) as a packet ready for ns_channel_inject(), and
 * one call parses a frame the stack sent into host-order fields to assert
 * on. Shared by the unit tests, the bad-input harness and the fuzz seeds.
 *
 * Addresses are host order (IP4_ADDR(10, 0, 0, 1)). Every builder returns a
 * packet the caller owns (NULL only if the pool is exhausted).
 */
#ifndef TEST_BUILDERS_H
#define TEST_BUILDERS_H

#include <stddef.h>
#include <stdint.h>

#include "ns/pkt.h"
#include "wire.h"

/* The conventional test network: the stack is .2 on 10.0.0.0/24, the peer
 * (the test) is .1, both on one Ethernet segment. */
extern const uint8_t B_MAC_STACK[6];
extern const uint8_t B_MAC_PEER[6];
extern const uint8_t B_MAC_BCAST[6];
#define B_IP_STACK IP4_ADDR(10, 0, 0, 2)
#define B_IP_PEER IP4_ADDR(10, 0, 0, 1)

/* ---- raw bytes (for payloads, fragments, mutation) ---- */

/* An IPv4 header in full control. Fields left 0 get defaults where noted. */
struct b_ip4 {
	uint32_t src, dst;
	uint8_t proto;
	uint8_t ttl;	     /* 0: 64 */
	uint8_t tos;
	uint16_t id;
	uint16_t frag_off;   /* in bytes, multiple of 8 */
	uint8_t mf, df;
	const uint8_t *opts; /* options, padded to a multiple of 4 by the caller */
	uint8_t optlen;
	int tot_len;	     /* 0: computed; else written as is (a lying length) */
	int bad_csum;	     /* 1: corrupt the header checksum */
};

/* Writes the header (20 + optlen bytes) for `payload_len` bytes of payload;
 * returns the header length. */
size_t b_ip4_hdr(uint8_t *out, const struct b_ip4 *h, size_t payload_len);

/* UDP header + payload with a correct checksum (for src/dst) into out;
 * returns 8 + len. */
size_t b_udp_bytes(uint8_t *out, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   const void *data, size_t len);
/* ICMP message (type, code, 4 bytes of "rest", data) with its checksum. */
size_t b_icmp_bytes(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest, const void *data,
		    size_t len);

/* ---- whole frames ---- */

/* Ethernet frame with any payload. */
struct pkt *b_eth(const uint8_t dst[6], const uint8_t src[6], uint16_t type, const void *payload,
		  size_t len);
/* ARP for IPv4 over Ethernet; Ethernet source is sha, destination eth_dst. */
struct pkt *b_arp(const uint8_t eth_dst[6], uint16_t op, const uint8_t sha[6], uint32_t spa,
		  const uint8_t tha[6], uint32_t tpa);
/* IPv4 datagram from the peer MAC to the stack MAC. */
struct pkt *b_ip4(const struct b_ip4 *h, const void *payload, size_t len);
/* UDP datagram from the peer MAC to the stack MAC, unfragmented. */
struct pkt *b_udp4(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, const void *data,
		   size_t len);
/* ICMP message from the peer MAC to the stack MAC. */
struct pkt *b_icmp4(uint32_t src, uint32_t dst, uint8_t type, uint8_t code, uint32_t rest,
		    const void *data, size_t len);
/* Echo request (id, seq) with `len` bytes of pattern data. */
struct pkt *b_ping(uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, size_t len);

/* Fill `len` bytes with a pattern that depends on `seed`. */
void b_pattern(uint8_t *out, size_t len, unsigned seed);

/* ---- parsing what the stack sent ---- */

struct b_frame {
	uint8_t dst[6], src[6];
	uint16_t type;
	int is_arp, is_ip;
	struct arp_repr arp;
	struct ip4_repr ip;
	int ip_csum_ok;
	const uint8_t *l4;  /* transport header (inside the packet) */
	uint32_t l4_len;    /* tot_len - hlen */
	int l4_csum_ok;	    /* UDP/ICMP checksum verifies (UDP 0 counts as ok) */
	/* UDP */
	uint16_t sport, dport;
	const uint8_t *data; /* UDP payload, or ICMP data after the 8-byte header */
	uint32_t data_len;
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	uint32_t icmp_rest;
};

/* Parses a frame (data at the Ethernet header). Returns 0, or -1 if it is
 * too short to hold what its headers claim. */
int b_parse(const struct pkt *p, struct b_frame *f);

#endif
