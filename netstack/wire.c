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
	/* (options, when hlen says so, are already at b + 20: the checksum
	 * covers them) */
	uint32_t hlen = r->hlen > IP4_HDR_LEN ? r->hlen : IP4_HDR_LEN;
	b[0] = (uint8_t)(0x40 | (hlen / 4));
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
	ns_wr16(b + 10, ns_csum(b, hlen));
}

/* ---- IPv6 ---- */

int ip6_parse(const uint8_t *b, uint32_t len, struct ip6_repr *r)
{
	if (len < IP6_HDR_LEN)
		return IP6_ERR_SHORT;
	if ((b[0] >> 4) != 6)
		return IP6_ERR_VERSION;
	uint16_t plen = ns_rd16(b + 4);
	if ((uint32_t)plen + IP6_HDR_LEN > len)
		return IP6_ERR_LEN;
	uint32_t w = ns_rd32(b);
	r->tclass = (uint8_t)(w >> 20);
	r->flow = w & 0xfffff;
	r->plen = plen;
	r->nxt = b[6];
	r->hlim = b[7];
	memcpy(r->src, b + 8, 16);
	memcpy(r->dst, b + 24, 16);
	return IP6_OK;
}

void ip6_emit(uint8_t *b, const struct ip6_repr *r)
{
	ns_wr32(b, (6u << 28) | ((uint32_t)r->tclass << 20) | (r->flow & 0xfffff));
	ns_wr16(b + 4, r->plen);
	b[6] = r->nxt;
	b[7] = r->hlim;
	memcpy(b + 8, r->src, 16);
	memcpy(b + 24, r->dst, 16);
}

void ip6_frag_parse(const uint8_t *b, struct ip6_frag_repr *r)
{
	uint16_t fo = ns_rd16(b + 2);
	r->nxt = b[0];
	r->off = (uint16_t)(fo & 0xfff8);
	r->m = fo & 1;
	r->id = ns_rd32(b + 4);
}

void ip6_frag_emit(uint8_t *b, const struct ip6_frag_repr *r)
{
	b[0] = r->nxt;
	b[1] = 0;
	ns_wr16(b + 2, (uint16_t)((r->off & 0xfff8) | (r->m ? 1 : 0)));
	ns_wr32(b + 4, r->id);
}

int ip6_is_unspec(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

int ip6_is_loopback(const uint8_t *a)
{
	static const uint8_t lo[16] = { [15] = 1 };
	return memcmp(a, lo, 16) == 0;
}

int ip6_prefix_match(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned bytes = plen / 8, bits = plen % 8;
	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (!bits)
		return 1;
	uint8_t m = (uint8_t)(0xff << (8 - bits));
	return (a[bytes] & m) == (b[bytes] & m);
}

void ip6_prefix_mask(uint8_t *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		a[i] &= (uint8_t)(0xff << (8 - plen));
		plen = 0;
	}
}

unsigned ip6_common_prefix(const uint8_t *a, const uint8_t *b)
{
	for (unsigned i = 0; i < 16; i++) {
		uint8_t x = a[i] ^ b[i];
		if (!x)
			continue;
		unsigned n = i * 8;
		while (!(x & 0x80)) {
			x = (uint8_t)(x << 1);
			n++;
		}
		return n;
	}
	return 128;
}

void ip6_solicited_node(const uint8_t *a, uint8_t out[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	memcpy(out, pfx, 13);
	memcpy(out + 13, a + 13, 3);
}

void ip6_mcast_mac(const uint8_t *a, uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, a + 12, 4);
}

void ip6_eui64(const uint8_t mac[6], uint8_t iid[8])
{
	iid[0] = mac[0] ^ 0x02; /* the universal/local bit, inverted */
	iid[1] = mac[1];
	iid[2] = mac[2];
	iid[3] = 0xff;
	iid[4] = 0xfe;
	iid[5] = mac[3];
	iid[6] = mac[4];
	iid[7] = mac[5];
}
