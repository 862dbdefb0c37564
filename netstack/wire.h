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
/* Writes the header of hlen bytes (20 when less) with its checksum; the
 * options past the first 20 bytes must already be in place. */
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

/* ---- IPv6 (RFC 8200) ---- */
#define IP6_HDR_LEN 40
#define IP6_MIN_MTU 1280 /* RFC 8200 5 */
#define IP6_NH_HOPOPTS 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_ICMPV6 58
#define IP6_NH_NONE 59
#define IP6_NH_DSTOPTS 60
#define IP6_FRAG_HDR_LEN 8

struct ip6_repr {
	uint8_t tclass;
	uint32_t flow;	 /* 20 bits */
	uint16_t plen;	 /* payload length */
	uint8_t nxt;
	uint8_t hlim;
	uint8_t src[16], dst[16];
};

enum ip6_parse_err {
	IP6_OK = 0,
	IP6_ERR_SHORT = -1,
	IP6_ERR_VERSION = -2,
	IP6_ERR_LEN = -3, /* payload length beyond the bytes received */
};

/* Validates version and payload length against `len`. */
int ip6_parse(const uint8_t *b, uint32_t len, struct ip6_repr *r);
void ip6_emit(uint8_t *b, const struct ip6_repr *r);

/* RFC 8200 4.5: the Fragment header. */
struct ip6_frag_repr {
	uint8_t nxt;
	uint16_t off; /* fragment offset in bytes */
	uint8_t m;    /* more fragments */
	uint32_t id;
};
void ip6_frag_parse(const uint8_t *b, struct ip6_frag_repr *r); /* 8 bytes at b */
void ip6_frag_emit(uint8_t *b, const struct ip6_frag_repr *r);

static inline int ip6_is_mcast(const uint8_t *a)
{
	return a[0] == 0xff;
}

/* RFC 4291 2.7: the scope field of a multicast address. */
static inline unsigned ip6_mcast_scope(const uint8_t *a)
{
	return a[1] & 0xf;
}

static inline int ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

int ip6_is_unspec(const uint8_t *a);
int ip6_is_loopback(const uint8_t *a);
/* Do the first `plen` bits of a and b agree? */
int ip6_prefix_match(const uint8_t *a, const uint8_t *b, unsigned plen);
/* Clear every bit past `plen`. */
void ip6_prefix_mask(uint8_t *a, unsigned plen);
/* Length of the common prefix (RFC 6724 2.2 CommonPrefixLen), 0..128. */
unsigned ip6_common_prefix(const uint8_t *a, const uint8_t *b);
/* RFC 4291 2.7.1: ff02::1:ffXX:XXXX from the low 24 bits of a. */
void ip6_solicited_node(const uint8_t *a, uint8_t out[16]);
/* RFC 2464 7: 33:33 and the low 32 bits of a multicast address. */
void ip6_mcast_mac(const uint8_t *a, uint8_t mac[6]);
/* RFC 4291 2.5.1 / RFC 2464 4: modified EUI-64 interface identifier. */
void ip6_eui64(const uint8_t mac[6], uint8_t iid[8]);

/* ---- ICMPv6 (RFC 4443), NDP (RFC 4861), MLD (RFC 2710, RFC 3810) ---- */
#define ICMP6_HDR_LEN 8 /* type, code, checksum, 4 bytes of message body */
#define ICMP6_UNREACH 1
#define ICMP6_TOO_BIG 2
#define ICMP6_TIME_EXCEED 3
#define ICMP6_PARAMPROB 4
#define ICMP6_ECHO_REQ 128
#define ICMP6_ECHO_REP 129
#define ICMP6_MLD_QUERY 130
#define ICMP6_MLD1_REPORT 131
#define ICMP6_MLD1_DONE 132
#define ICMP6_ND_RS 133
#define ICMP6_ND_RA 134
#define ICMP6_ND_NS 135
#define ICMP6_ND_NA 136
#define ICMP6_ND_REDIRECT 137
#define ICMP6_MLD2_REPORT 143

#define ICMP6_UNREACH_NOROUTE 0
#define ICMP6_UNREACH_ADMIN 1
#define ICMP6_UNREACH_SCOPE 2
#define ICMP6_UNREACH_ADDR 3
#define ICMP6_UNREACH_PORT 4
#define ICMP6_EXC_HOPLIMIT 0
#define ICMP6_EXC_FRAGTIME 1
#define ICMP6_PP_HEADER 0  /* erroneous header field */
#define ICMP6_PP_NEXTHDR 1 /* unrecognised Next Header */
#define ICMP6_PP_OPTION 2  /* unrecognised IPv6 option */
#define ICMP6_PP_CHAIN 3   /* RFC 7112: incomplete header chain in the first fragment */

/* RFC 4861 4.6: option types. */
#define NDOPT_SLLA 1
#define NDOPT_TLLA 2
#define NDOPT_PREFIX 3
#define NDOPT_REDIRECTED 4
#define NDOPT_MTU 5
#define NDOPT_NONCE 14 /* RFC 3971 5.3.2, used by RFC 7527 */

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
