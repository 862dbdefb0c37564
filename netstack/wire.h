/*
 * Wire formats: header layouts and constants, and the parse/emit pairs that
 * convert between wire bytes and host-order representations ("repr").
 * Parsing validates once; code above works on the repr and never casts
 * packet bytes to integer pointers.
 */
#ifndef NS_WIRE_H
#define NS_WIRE_H

#include <stdint.h>
#include "ns/common.h"

/* ---- Ethernet ---- */
#define ETH_HDR_LEN 14
#define ETH_ADDR_LEN 6
#define ETH_MIN_FRAME 60 /* without FCS */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_IPV6 0x86dd

static inline int eth_is_bcast(const uint8_t *m)
{
	return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

static inline int eth_is_mcast(const uint8_t *m)
{
	return m[0] & 1;
}

static inline int eth_is_zero(const uint8_t *m)
{
	return (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0;
}

extern const uint8_t eth_bcast_addr[ETH_ADDR_LEN];

/* ---- ARP (RFC 826) for IPv4 over Ethernet ---- */
#define ARP_LEN 28
#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_repr {
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
};

/* Returns 0, or -1 when the header is not Ethernet/IPv4 ARP. */
int arp_parse(const uint8_t *b, uint32_t len, struct arp_repr *r);
void arp_emit(uint8_t *b, const struct arp_repr *r);

/* ---- IPv4 (RFC 791) ---- */
#define IP4_HDR_LEN 20
#define IP4_MAX_HDR_LEN 60
#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_OFFMASK 0x1fff
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

struct ip4_repr {
	uint8_t hlen;	  /* header length in bytes */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off; /* fragment offset in bytes */
	uint8_t df, mf;
	uint8_t ttl;
	uint8_t proto;
	uint32_t src, dst; /* host order */
};

enum ip4_parse_err {
	IP4_OK = 0,
	IP4_ERR_SHORT = -1,
	IP4_ERR_VERSION = -2,
	IP4_ERR_IHL = -3,
	IP4_ERR_LEN = -4,
	IP4_ERR_CSUM = -5,
	IP4_ERR_OPTIONS = -6,
};

/* Validates version, IHL, total length against `len`, checksum, options. */
int ip4_parse(const uint8_t *b, uint32_t len, struct ip4_repr *r);
/* Writes a 20-byte header (hlen must be 20) with its checksum. */
void ip4_emit(uint8_t *b, const struct ip4_repr *r);

#define IP4_ADDR(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static inline int ip4_is_mcast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

static inline int ip4_is_loopback(uint32_t a)
{
	return (a >> 24) == 127;
}

static inline uint32_t ip4_mask(unsigned prefixlen)
{
	return prefixlen ? 0xffffffffu << (32 - prefixlen) : 0;
}

/* ---- ICMPv4 (RFC 792) ---- */
#define ICMP_HDR_LEN 8
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_TIMESTAMP 13

#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

/* ---- UDP (RFC 768) ---- */
#define UDP_HDR_LEN 8

/* ---- TCP header layout (RFC 9293 3.1) ---- */
#define TCP_HDR_LEN 20

/* ---- Checksums (RFC 1071) ---- */
uint32_t ns_csum_add(uint32_t sum, const void *data, uint32_t len);
uint16_t ns_csum_fold(uint32_t sum);
/* The full Internet checksum of a buffer. */
static inline uint16_t ns_csum(const void *data, uint32_t len)
{
	return ns_csum_fold(ns_csum_add(0, data, len));
}
/* Pseudo-header sum for TCP/UDP over IPv4 (RFC 768, RFC 9293 3.1). */
uint32_t ns_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);
/* Pseudo-header sum for IPv6 (RFC 8200 8.1); addresses are 16 bytes. */
uint32_t ns_csum_pseudo6(const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t len);

#endif
