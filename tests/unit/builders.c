/* Frame builders and parsers for tests (see builders.h). */
#include <string.h>

#include "builders.h"

const uint8_t B_MAC_STACK[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
const uint8_t B_MAC_PEER[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t B_MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Big enough for any IPv4 datagram plus an Ethernet header. */
#define FRAME_MAX (ETH_HDR_LEN + 65535)

void b_pattern(uint8_t *out, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

size_t b_ip4_hdr(uint8_t *b, const struct b_ip4 *h, size_t payload_len)
{
	size_t hlen = IP4_HDR_LEN + h->optlen;
	b[0] = (uint8_t)(0x40 | (hlen / 4));
	b[1] = h->tos;
	ns_wr16(b + 2, (uint16_t)(h->tot_len ? (size_t)h->tot_len : hlen + payload_len));
	ns_wr16(b + 4, h->id);
	ns_wr16(b + 6, (uint16_t)((h->df ? IP4_DF : 0) | (h->mf ? IP4_MF : 0) |
				  ((h->frag_off / 8) & IP4_OFFMASK)));
	b[8] = h->ttl ? h->ttl : 64;
	b[9] = h->proto;
	ns_wr16(b + 10, 0);
	ns_wr32(b + 12, h->src);
	ns_wr32(b + 16, h->dst);
	if (h->optlen)
		memcpy(b + IP4_HDR_LEN, h->opts, h->optlen);
	uint16_t c = ns_csum(b, (uint32_t)hlen);
	ns_wr16(b + 10, h->bad_csum ? (uint16_t)(c ^ 0x5a5a) : c);
	return hlen;
}

size_t b_udp_bytes(uint8_t *b, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   const void *data, size_t len)
{
	uint16_t ulen = (uint16_t)(UDP_HDR_LEN + len);
	ns_wr16(b, sport);
	ns_wr16(b + 2, dport);
	ns_wr16(b + 4, ulen);
	ns_wr16(b + 6, 0);
	if (len)
		memmove(b + UDP_HDR_LEN, data, len);
	uint32_t sum = ns_csum_pseudo4(src, dst, IPPROTO_UDP_, ulen);
	uint16_t c = ns_csum_fold(ns_csum_add(sum, b, ulen));
	ns_wr16(b + 6, c ? c : 0xffff);
	return ulen;
}

size_t b_icmp_bytes(uint8_t *b, uint8_t type, uint8_t code, uint32_t rest, const void *data,
		    size_t len)
{
	b[0] = type;
	b[1] = code;
	ns_wr16(b + 2, 0);
	ns_wr32(b + 4, rest);
	if (len)
		memmove(b + ICMP_HDR_LEN, data, len);
	ns_wr16(b + 2, ns_csum(b, (uint32_t)(ICMP_HDR_LEN + len)));
	return ICMP_HDR_LEN + len;
}

struct pkt *b_eth(const uint8_t dst[6], const uint8_t src[6], uint16_t type, const void *payload,
		  size_t len)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)(ETH_HDR_LEN + len));
	if (!p)
		return NULL;
	uint8_t *d = pkt_data(p);
	memcpy(d, dst, 6);
	memcpy(d + 6, src, 6);
	ns_wr16(d + 12, type);
	if (len)
		memcpy(d + ETH_HDR_LEN, payload, len);
	return p;
}

struct pkt *b_arp(const uint8_t eth_dst[6], uint16_t op, const uint8_t sha[6], uint32_t spa,
		  const uint8_t tha[6], uint32_t tpa)
{
	uint8_t a[ARP_LEN];
	struct arp_repr r;
	r.op = op;
	memcpy(r.sha, sha, 6);
	r.spa = spa;
	memcpy(r.tha, tha, 6);
	r.tpa = tpa;
	arp_emit(a, &r);
	return b_eth(eth_dst, sha, ETHERTYPE_ARP, a, sizeof(a));
}

struct pkt *b_ip4(const struct b_ip4 *h, const void *payload, size_t len)
{
	static uint8_t buf[FRAME_MAX];
	size_t hl = b_ip4_hdr(buf, h, len);
	if (hl + len > 65535)
		return NULL;
	if (len)
		memcpy(buf + hl, payload, len);
	return b_eth(B_MAC_STACK, B_MAC_PEER, ETHERTYPE_IPV4, buf, hl + len);
}

struct pkt *b_udp4(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, const void *data,
		   size_t len)
{
	static uint8_t buf[FRAME_MAX];
	size_t n = b_udp_bytes(buf, src, sport, dst, dport, data, len);
	struct b_ip4 h = { .src = src, .dst = dst, .proto = IPPROTO_UDP_, .id = 1 };
	return b_ip4(&h, buf, n);
}

struct pkt *b_icmp4(uint32_t src, uint32_t dst, uint8_t type, uint8_t code, uint32_t rest,
		    const void *data, size_t len)
{
	static uint8_t buf[FRAME_MAX];
	size_t n = b_icmp_bytes(buf, type, code, rest, data, len);
	struct b_ip4 h = { .src = src, .dst = dst, .proto = IPPROTO_ICMP_, .id = 2 };
	return b_ip4(&h, buf, n);
}

struct pkt *b_ping(uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, size_t len)
{
	static uint8_t data[65535];
	b_pattern(data, len, seq);
	return b_icmp4(src, dst, ICMP_ECHO, 0, ((uint32_t)id << 16) | seq, data, len);
}

int b_parse(const struct pkt *p, struct b_frame *f)
{
	const uint8_t *d = pkt_data(p);
	memset(f, 0, sizeof(*f));
	if (p->len < ETH_HDR_LEN)
		return -1;
	memcpy(f->dst, d, 6);
	memcpy(f->src, d + 6, 6);
	f->type = ns_rd16(d + 12);
	d += ETH_HDR_LEN;
	uint32_t len = p->len - ETH_HDR_LEN;
	if (f->type == ETHERTYPE_ARP) {
		f->is_arp = 1;
		return arp_parse(d, len, &f->arp) < 0 ? -1 : 0;
	}
	if (f->type != ETHERTYPE_IPV4 || len < IP4_HDR_LEN)
		return f->type == ETHERTYPE_IPV4 ? -1 : 0;
	f->is_ip = 1;
	uint32_t hlen = (uint32_t)(d[0] & 0xf) * 4;
	if (hlen < IP4_HDR_LEN || hlen > len)
		return -1;
	f->ip_csum_ok = ns_csum(d, hlen) == 0;
	if (ip4_parse(d, len, &f->ip) != IP4_OK)
		return -1;
	f->l4 = d + hlen;
	f->l4_len = f->ip.tot_len - hlen;
	if (f->ip.frag_off)
		return 0; /* no transport header in a later fragment */
	if (f->ip.proto == IPPROTO_UDP_ && f->l4_len >= UDP_HDR_LEN) {
		f->sport = ns_rd16(f->l4);
		f->dport = ns_rd16(f->l4 + 2);
		f->data = f->l4 + UDP_HDR_LEN;
		f->data_len = f->l4_len - UDP_HDR_LEN;
		if (!f->ip.mf) {
			uint32_t sum = ns_csum_pseudo4(f->ip.src, f->ip.dst, IPPROTO_UDP_, f->l4_len);
			f->l4_csum_ok = ns_rd16(f->l4 + 6) == 0 ||
					ns_csum_fold(ns_csum_add(sum, f->l4, f->l4_len)) == 0;
		}
	} else if (f->ip.proto == IPPROTO_ICMP_ && f->l4_len >= ICMP_HDR_LEN) {
		f->icmp_type = f->l4[0];
		f->icmp_code = f->l4[1];
		f->icmp_rest = ns_rd32(f->l4 + 4);
		f->data = f->l4 + ICMP_HDR_LEN;
		f->data_len = f->l4_len - ICMP_HDR_LEN;
		if (!f->ip.mf)
			f->l4_csum_ok = ns_csum(f->l4, f->l4_len) == 0;
	}
	return 0;
}
