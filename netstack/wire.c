/* Parse/emit for fixed headers and the Internet checksum. */
#include "wire.h"

const uint8_t eth_bcast_addr[ETH_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

uint32_t ns_csum_add(uint32_t sum, const void *data, uint32_t len)
{
	const uint8_t *b = data;
	uint64_t acc = sum;
	/* Sum 32-bit big-endian words into a 64-bit accumulator, then fold. */
	while (len >= 4) {
		acc += ns_rd32(b);
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += ns_rd16(b);
		b += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)b[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t ns_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t ns_csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	uint64_t acc = (uint64_t)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
		       proto + len;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t ns_csum_pseudo6(const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t len)
{
	uint32_t sum = ns_csum_add(0, src, 16);
	sum = ns_csum_add(sum, dst, 16);
	uint64_t acc = (uint64_t)sum + (len >> 16) + (len & 0xffff) + proto;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

int arp_parse(const uint8_t *b, uint32_t len, struct arp_repr *r)
{
	if (len < ARP_LEN)
		return -1;
	/* RFC 826: hardware type Ethernet, protocol IPv4, lengths 6 and 4. */
	if (ns_rd16(b) != ARP_HTYPE_ETHER || ns_rd16(b + 2) != 0x0800 || b[4] != 6 || b[5] != 4)
		return -1;
	r->op = ns_rd16(b + 6);
	memcpy(r->sha, b + 8, 6);
	r->spa = ns_rd32(b + 14);
	memcpy(r->tha, b + 18, 6);
	r->tpa = ns_rd32(b + 24);
	return 0;
}

void arp_emit(uint8_t *b, const struct arp_repr *r)
{
	ns_wr16(b, ARP_HTYPE_ETHER);
	ns_wr16(b + 2, 0x0800);
	b[4] = 6;
	b[5] = 4;
	ns_wr16(b + 6, r->op);
	memcpy(b + 8, r->sha, 6);
	ns_wr32(b + 14, r->spa);
	memcpy(b + 18, r->tha, 6);
	ns_wr32(b + 24, r->tpa);
}

/* RFC 791 3.1: options are type-length-value except EOL (0) and NOP (1). */
static int ip4_options_ok(const uint8_t *o, uint32_t n)
{
	uint32_t i = 0;
	while (i < n) {
		uint8_t type = o[i];
		if (type == 0)
			return 1;
		if (type == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return 0;
		uint8_t olen = o[i + 1];
		if (olen < 2 || i + olen > n)
			return 0;
		i += olen;
	}
	return 1;
}

int ip4_parse(const uint8_t *b, uint32_t len, struct ip4_repr *r)
{
	if (len < IP4_HDR_LEN)
		return IP4_ERR_SHORT;
	if ((b[0] >> 4) != 4)
		return IP4_ERR_VERSION;
	uint32_t hlen = (uint32_t)(b[0] & 0xf) * 4;
	if (hlen < IP4_HDR_LEN || hlen > len)
		return IP4_ERR_IHL;
	uint16_t tot = ns_rd16(b + 2);
	if (tot < hlen || tot > len)
		return IP4_ERR_LEN;
	if (ns_csum(b, hlen) != 0)
		return IP4_ERR_CSUM;
	if (hlen > IP4_HDR_LEN && !ip4_options_ok(b + IP4_HDR_LEN, hlen - IP4_HDR_LEN))
		return IP4_ERR_OPTIONS;
	r->hlen = (uint8_t)hlen;
	r->tos = b[1];
	r->tot_len = tot;
	r->id = ns_rd16(b + 4);
	uint16_t fo = ns_rd16(b + 6);
	r->df = !!(fo & IP4_DF);
	r->mf = !!(fo & IP4_MF);
	r->frag_off = (uint16_t)((fo & IP4_OFFMASK) * 8);
	r->ttl = b[8];
	r->proto = b[9];
	r->src = ns_rd32(b + 12);
	r->dst = ns_rd32(b + 16);
	return IP4_OK;
}

void ip4_emit(uint8_t *b, const struct ip4_repr *r)
{
	b[0] = 0x45;
	b[1] = r->tos;
	ns_wr16(b + 2, r->tot_len);
	ns_wr16(b + 4, r->id);
	ns_wr16(b + 6, (uint16_t)((r->df ? IP4_DF : 0) | (r->mf ? IP4_MF : 0) |
				  ((r->frag_off / 8) & IP4_OFFMASK)));
	b[8] = r->ttl;
	b[9] = r->proto;
	ns_wr16(b + 10, 0);
	ns_wr32(b + 12, r->src);
	ns_wr32(b + 16, r->dst);
	ns_wr16(b + 10, ns_csum(b, IP4_HDR_LEN));
}
