/* IPv6 frame builders and parsers for tests (see builders6.h). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "builders.h"
#include "builders6.h"

const uint8_t B6_STACK[16] = { 0xfd, 0, [15] = 2 };
const uint8_t B6_PEER[16] = { 0xfd, 0, [15] = 1 };
const uint8_t B6_PEER_LL[16] = { 0xfe, 0x80, [15] = 1 };
/* fe80:: and the modified EUI-64 of B_MAC_STACK (02:00:00:00:00:02). */
const uint8_t B6_STACK_LL[16] = { 0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 2 };
const uint8_t B6_ALL_NODES[16] = { 0xff, 0x02, [15] = 1 };
const uint8_t B6_ALL_ROUTERS[16] = { 0xff, 0x02, [15] = 2 };
const uint8_t B6_MLD2[16] = { 0xff, 0x02, [15] = 0x16 };
const uint8_t B6_UNSPEC[16];

#define FRAME6_MAX (ETH_HDR_LEN + IP6_HDR_LEN + 65535)

void b6_addr(const char *text, uint8_t out[16])
{
	if (inet_pton(AF_INET6, text, out) != 1)
		abort();
}

size_t b6_ext_opts(uint8_t *out, uint8_t nxt, const uint8_t *opts, size_t optlen)
{
	size_t len = (2 + optlen + 7) & ~(size_t)7;
	out[0] = nxt;
	out[1] = (uint8_t)(len / 8 - 1);
	memcpy(out + 2, opts, optlen);
	size_t pad = len - 2 - optlen;
	if (pad == 1) {
		out[2 + optlen] = 0; /* Pad1 */
	} else if (pad > 1) {
		out[2 + optlen] = 1; /* PadN */
		out[3 + optlen] = (uint8_t)(pad - 2);
		memset(out + 4 + optlen, 0, pad - 2);
	}
	return len;
}

size_t b6_ext_frag(uint8_t *out, uint8_t nxt, uint32_t off, int more, uint32_t id)
{
	struct ip6_frag_repr f = { .nxt = nxt, .off = (uint16_t)off, .m = (uint8_t)!!more, .id = id };
	ip6_frag_emit(out, &f);
	return IP6_FRAG_HDR_LEN;
}

size_t b6_icmp_bytes(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint8_t type,
		     uint8_t code, uint32_t rest, const void *data, size_t len)
{
	b[0] = type;
	b[1] = code;
	ns_wr16(b + 2, 0);
	ns_wr32(b + 4, rest);
	if (len)
		memmove(b + ICMP6_HDR_LEN, data, len);
	uint32_t n = (uint32_t)(ICMP6_HDR_LEN + len);
	uint32_t sum = ns_csum_pseudo6(src, dst, IP6_NH_ICMPV6, n);
	ns_wr16(b + 2, ns_csum_fold(ns_csum_add(sum, b, n)));
	return n;
}

size_t b6_udp_bytes(uint8_t *b, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		    uint16_t dport, const void *data, size_t len)
{
	uint16_t ulen = (uint16_t)(UDP_HDR_LEN + len);
	ns_wr16(b, sport);
	ns_wr16(b + 2, dport);
	ns_wr16(b + 4, ulen);
	ns_wr16(b + 6, 0);
	if (len)
		memmove(b + UDP_HDR_LEN, data, len);
	uint32_t sum = ns_csum_pseudo6(src, dst, IPPROTO_UDP_, ulen);
	uint16_t c = ns_csum_fold(ns_csum_add(sum, b, ulen));
	ns_wr16(b + 6, c ? c : 0xffff);
	return ulen;
}

struct pkt *b6_ip(const struct b_ip6 *h, const void *payload, size_t len)
{
	static uint8_t buf[FRAME6_MAX];
	if (IP6_HDR_LEN + h->extlen + len > sizeof(buf))
		return NULL;
	struct ip6_repr ip = {
		.tclass = h->tclass,
		.plen = (uint16_t)(h->plen ? (size_t)h->plen : h->extlen + len),
		.nxt = h->nxt,
		.hlim = h->hlim ? h->hlim : 64,
	};
	memcpy(ip.src, h->src, 16);
	memcpy(ip.dst, h->dst, 16);
	ip6_emit(buf, &ip);
	if (h->extlen)
		memcpy(buf + IP6_HDR_LEN, h->ext, h->extlen);
	if (len)
		memcpy(buf + IP6_HDR_LEN + h->extlen, payload, len);
	uint8_t mac[6];
	const uint8_t *edst = h->eth_dst;
	if (!edst && ip6_is_mcast(h->dst)) {
		ip6_mcast_mac(h->dst, mac);
		edst = mac;
	}
	return b_eth(edst ? edst : B_MAC_STACK, B_MAC_PEER, ETHERTYPE_IPV6, buf,
		     IP6_HDR_LEN + h->extlen + len);
}

struct pkt *b6_icmp(const uint8_t *src, const uint8_t *dst, uint8_t hlim, uint8_t type,
		    uint8_t code, uint32_t rest, const void *data, size_t len)
{
	static uint8_t buf[65536];
	if (len + ICMP6_HDR_LEN > sizeof(buf))
		return NULL;
	size_t n = b6_icmp_bytes(buf, src, dst, type, code, rest, data, len);
	struct b_ip6 h = { .src = src, .dst = dst, .nxt = IP6_NH_ICMPV6, .hlim = hlim };
	return b6_ip(&h, buf, n);
}

struct pkt *b6_ping(const uint8_t *src, const uint8_t *dst, uint16_t id, uint16_t seq, size_t len)
{
	static uint8_t data[65535];
	b_pattern(data, len, seq);
	return b6_icmp(src, dst, 0, ICMP6_ECHO_REQ, 0, ((uint32_t)id << 16) | seq, data, len);
}

struct pkt *b6_frag(const uint8_t *src, const uint8_t *dst, uint32_t id, uint8_t nxt,
		    const uint8_t *dgram, uint32_t off, uint32_t len, int more)
{
	uint8_t fh[8];
	b6_ext_frag(fh, nxt, off, more, id);
	struct b_ip6 h = { .src = src, .dst = dst, .nxt = IP6_NH_FRAGMENT, .ext = fh, .extlen = 8 };
	return b6_ip(&h, dgram + off, len);
}

static size_t put_lla(uint8_t *o, uint8_t type, const uint8_t *mac)
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, mac, 6);
	return 8;
}

struct pkt *b6_ns(const uint8_t *src, const uint8_t *dst, const uint8_t *target,
		  const uint8_t *slla)
{
	uint8_t body[16 + 8 + 8];
	memcpy(body, target, 16);
	size_t n = 16;
	if (slla)
		n += put_lla(body + n, NDOPT_SLLA, slla);
	return b6_icmp(src, dst, 255, ICMP6_ND_NS, 0, 0, body, n);
}

struct pkt *b6_na(const uint8_t *src, const uint8_t *dst, const uint8_t *target, uint8_t flags,
		  const uint8_t *tlla)
{
	uint8_t body[16 + 8];
	memcpy(body, target, 16);
	size_t n = 16;
	if (tlla)
		n += put_lla(body + n, NDOPT_TLLA, tlla);
	return b6_icmp(src, dst, 255, ICMP6_ND_NA, 0, (uint32_t)flags << 24, body, n);
}

struct pkt *b6_ra(const struct b6_ra *ra)
{
	uint8_t body[8 + 8 + 8 + 4 * 32];
	size_t n = 0;
	ns_wr32(body, ra->reachable);
	ns_wr32(body + 4, ra->retrans);
	n = 8;
	if (ra->slla)
		n += put_lla(body + n, NDOPT_SLLA, ra->slla);
	if (ra->mtu) {
		body[n] = NDOPT_MTU;
		body[n + 1] = 1;
		ns_wr16(body + n + 2, 0);
		ns_wr32(body + n + 4, ra->mtu);
		n += 8;
	}
	for (unsigned i = 0; i < ra->npi && i < 4; i++) {
		uint8_t *o = body + n;
		memset(o, 0, 32);
		o[0] = NDOPT_PREFIX;
		o[1] = 4;
		o[2] = ra->pi[i].plen;
		o[3] = ra->pi[i].flags;
		ns_wr32(o + 4, ra->pi[i].valid);
		ns_wr32(o + 8, ra->pi[i].preferred);
		memcpy(o + 16, ra->pi[i].prefix, 16);
		n += 32;
	}
	uint32_t rest = ((uint32_t)ra->cur_hlim << 24) | ra->lifetime;
	return b6_icmp(ra->src, B6_ALL_NODES, ra->hlim_ip ? ra->hlim_ip : 255, ICMP6_ND_RA, 0, rest,
		       body, n);
}

int b_parse6(const struct pkt *p, struct b_frame6 *f)
{
	const uint8_t *d = pkt_data(p);
	memset(f, 0, sizeof(*f));
	if (p->len < ETH_HDR_LEN)
		return -1;
	memcpy(f->dst, d, 6);
	memcpy(f->src, d + 6, 6);
	f->type = ns_rd16(d + 12);
	if (f->type != ETHERTYPE_IPV6)
		return 0;
	d += ETH_HDR_LEN;
	uint32_t len = p->len - ETH_HDR_LEN;
	if (len < IP6_HDR_LEN || (d[0] >> 4) != 6)
		return -1;
	f->is_ip6 = 1;
	if (ip6_parse(d, len, &f->ip) != IP6_OK)
		return -1;
	f->payload_len_ok = (uint32_t)f->ip.plen + IP6_HDR_LEN == len;
	uint32_t end = IP6_HDR_LEN + f->ip.plen, off = IP6_HDR_LEN;
	uint8_t nxt = f->ip.nxt;
	for (;;) {
		if (nxt == IP6_NH_HOPOPTS || nxt == IP6_NH_DSTOPTS || nxt == IP6_NH_ROUTING) {
			if (off + 2 > end || f->next == 8)
				return -1;
			f->ext[f->next] = nxt;
			f->ext_off[f->next++] = off;
			nxt = d[off];
			off += ((uint32_t)d[off + 1] + 1) * 8;
			if (off > end)
				return -1;
			continue;
		}
		if (nxt == IP6_NH_FRAGMENT) {
			if (off + 8 > end || f->next == 8)
				return -1;
			f->ext[f->next] = nxt;
			f->ext_off[f->next++] = off;
			f->has_frag = 1;
			ip6_frag_parse(d + off, &f->frag);
			nxt = f->frag.nxt;
			off += 8;
			if (f->frag.off) {
				f->nxt = IP6_NH_FRAGMENT;
				f->l4 = d + off;
				f->l4_len = end - off;
				return 0;
			}
			continue;
		}
		break;
	}
	f->nxt = nxt;
	f->l4 = d + off;
	f->l4_len = end - off;
	int whole = !f->has_frag || (!f->frag.off && !f->frag.m);
	if (nxt == IP6_NH_ICMPV6 && f->l4_len >= 4) {
		f->icmp_type = f->l4[0];
		f->icmp_code = f->l4[1];
		if (f->l4_len >= ICMP6_HDR_LEN) {
			f->icmp_rest = ns_rd32(f->l4 + 4);
			f->data = f->l4 + ICMP6_HDR_LEN;
			f->data_len = f->l4_len - ICMP6_HDR_LEN;
		}
		if (whole) {
			uint32_t sum = ns_csum_pseudo6(f->ip.src, f->ip.dst, IP6_NH_ICMPV6, f->l4_len);
			f->l4_csum_ok = ns_csum_fold(ns_csum_add(sum, f->l4, f->l4_len)) == 0;
		}
	} else if (nxt == IPPROTO_UDP_ && f->l4_len >= UDP_HDR_LEN) {
		f->data = f->l4 + UDP_HDR_LEN;
		f->data_len = f->l4_len - UDP_HDR_LEN;
		if (whole) {
			uint32_t sum = ns_csum_pseudo6(f->ip.src, f->ip.dst, IPPROTO_UDP_, f->l4_len);
			f->l4_csum_ok = ns_rd16(f->l4 + 6) != 0 &&
					ns_csum_fold(ns_csum_add(sum, f->l4, f->l4_len)) == 0;
		}
	}
	return 0;
}
