/*
 * Frames: building (with defaults), parsing, matching with a readable diff,
 * and one-line formatting. Wire values are read and written byte by byte; no
 * wire bytes are ever cast to integer pointers.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pi.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t pi_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	while (len > 1) {
		sum += (uint32_t)((b[0] << 8) | b[1]);
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(b[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t pi_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static int l4_proto(const struct pi_frame *f)
{
	switch (f->l4) {
	case PI_L4_TCP: return IPPROTO_TCP;
	case PI_L4_UDP: return IPPROTO_UDP;
	case PI_L4_ICMP4: return IPPROTO_ICMP;
	case PI_L4_ICMP6: return IPPROTO_ICMPV6;
	default: return 59; /* IPv6 "no next header"; IPv4 callers set proto */
	}
}

static int frame_l3(const struct pi_frame *f)
{
	if (f->l3 != PI_L3_NONE)
		return f->l3;
	return f->l4 == PI_L4_ICMP6 ? PI_L3_IPV6 : PI_L3_IPV4;
}

/* ---- building ---- */

static size_t tcp_opts_build(const struct pi_tcp *t, uint8_t *o)
{
	size_t n = 0;
	if (t->mss.has == PI_SET) {
		o[n++] = 2;
		o[n++] = 4;
		wr16(o + n, t->mss.v);
		n += 2;
	}
	int sackok = t->sackok.has == PI_SET, ts = t->ts.has == PI_SET;
	if (sackok && ts) {
		o[n++] = 4;
		o[n++] = 2;
	} else if (ts) {
		o[n++] = 1;
		o[n++] = 1;
	}
	if (ts) {
		o[n++] = 8;
		o[n++] = 10;
		wr32(o + n, t->ts.val);
		wr32(o + n + 4, t->ts.ecr);
		n += 8;
	} else if (sackok) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (t->ws.has == PI_SET) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = t->ws.v;
	}
	if (t->sack.has == PI_SET && t->sack.n > 0) {
		unsigned nb = t->sack.n > 4 ? 4 : t->sack.n;
		if (n + 2 + 2 + 8 * nb > 40 && nb > 1)
			nb = (unsigned)((40 - n - 4) / 8);
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 5;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (unsigned i = 0; i < nb; i++) {
			wr32(o + n, t->sack.blk[i][0]);
			wr32(o + n + 4, t->sack.blk[i][1]);
			n += 8;
		}
	}
	if (t->rawoptlen && n + t->rawoptlen <= 40) {
		memcpy(o + n, t->rawopt, t->rawoptlen);
		n += t->rawoptlen;
	}
	while (n % 4)
		o[n++] = 0; /* end of option list */
	return n;
}

/* Length of the L4 header `f` describes (without payload). */
static size_t l4_hdr_build(const struct pi_frame *f, uint8_t *b)
{
	switch (f->l4) {
	case PI_L4_TCP: {
		const struct pi_tcp *t = &f->tcp;
		uint8_t opts[40];
		size_t ol = tcp_opts_build(t, opts);
		size_t hl = 20 + ol;
		wr16(b, t->sport.v);
		wr16(b + 2, t->dport.v);
		wr32(b + 4, t->seq.v);
		wr32(b + 8, t->ack.v);
		b[12] = (uint8_t)((t->doff.has ? t->doff.v : hl / 4) << 4);
		b[13] = t->flags.v;
		wr16(b + 14, t->win.has ? t->win.v : 32768);
		wr16(b + 16, 0);
		wr16(b + 18, t->urg.v);
		memcpy(b + 20, opts, ol);
		return hl;
	}
	case PI_L4_UDP:
		wr16(b, f->udp.sport.v);
		wr16(b + 2, f->udp.dport.v);
		wr16(b + 4, 0);
		wr16(b + 6, 0);
		return 8;
	case PI_L4_ICMP4:
	case PI_L4_ICMP6:
		b[0] = f->icmp.type.v;
		b[1] = f->icmp.code.v;
		wr16(b + 2, 0);
		wr32(b + 4, f->icmp.rest.v);
		return 8;
	default:
		return 0;
	}
}

/* Fill lengths and checksums of the L4 header at l4 (len bytes incl.
 * payload); pseudo is the partial pseudo-header sum without length. */
static void l4_finish(const struct pi_frame *f, uint8_t *l4, size_t len, uint32_t pseudo)
{
	uint32_t sum;
	switch (f->l4) {
	case PI_L4_TCP:
		sum = pi_csum_add(pseudo + (uint32_t)len, l4, len);
		wr16(l4 + 16, f->tcp.csum.has ? f->tcp.csum.v : (uint16_t)~pi_csum_fold(sum));
		break;
	case PI_L4_UDP: {
		wr16(l4 + 4, f->udp.len.has ? f->udp.len.v : (uint16_t)len);
		sum = pi_csum_add(pseudo + (uint32_t)len, l4, len);
		uint16_t c = (uint16_t)~pi_csum_fold(sum);
		wr16(l4 + 6, f->udp.csum.has ? f->udp.csum.v : (c ? c : 0xffff));
		break;
	}
	case PI_L4_ICMP4:
		sum = pi_csum_add(0, l4, len);
		wr16(l4 + 2, f->icmp.csum.has ? f->icmp.csum.v : (uint16_t)~pi_csum_fold(sum));
		break;
	case PI_L4_ICMP6:
		sum = pi_csum_add(pseudo + (uint32_t)len, l4, len);
		wr16(l4 + 2, f->icmp.csum.has ? f->icmp.csum.v : (uint16_t)~pi_csum_fold(sum));
		break;
	default:
		break;
	}
}

static int ext_build(const struct pi_ip6_ext *e, uint8_t nxt, uint8_t *b, size_t cap)
{
	if (e->type == PI_EXT_FRAG) {
		if (cap < 8)
			return -1;
		b[0] = e->nxt.has ? e->nxt.v : nxt;
		b[1] = 0;
		wr16(b + 2, (uint16_t)((e->frag_off.v & 0xfff8) | (e->frag_m.v ? 1 : 0)));
		wr32(b + 4, e->frag_id.v);
		return 8;
	}
	size_t len = 2 + e->optlen;
	size_t tot = (len + 7) & ~(size_t)7;
	if (tot > cap)
		return -1;
	b[0] = e->nxt.has ? e->nxt.v : nxt;
	b[1] = (uint8_t)(tot / 8 - 1);
	memcpy(b + 2, e->opts, e->optlen);
	size_t pad = tot - len;
	if (pad == 1) {
		b[len] = 0; /* Pad1 */
	} else if (pad > 1) {
		b[len] = 1; /* PadN */
		b[len + 1] = (uint8_t)(pad - 2);
		memset(b + len + 2, 0, pad - 2);
	}
	return (int)tot;
}

int pi_frame_build(const struct pi_frame *f, uint8_t *buf, size_t cap)
{
	static uint16_t next_id = 0x4242;
	int l3 = frame_l3(f);
	size_t n = 0;
	if (cap < 14 + 60 + 60)
		return -1;
	memcpy(buf, f->eth.dst.a, 6);
	memcpy(buf + 6, f->eth.src.a, 6);
	wr16(buf + 12, f->eth.type.has ? f->eth.type.v : (l3 == PI_L3_IPV6 ? 0x86dd : 0x0800));
	n = 14;
	uint8_t *ip = buf + n;
	uint32_t pseudo = 0;
	size_t l4off;
	if (l3 == PI_L3_IPV4) {
		const struct pi_ipv4 *h = &f->ip4;
		size_t hl = 20;
		ip[0] = (uint8_t)(0x40 | (h->ihl.has ? h->ihl.v : 5));
		ip[1] = h->tos.v;
		wr16(ip + 4, h->id.has ? h->id.v : next_id++);
		wr16(ip + 6, (uint16_t)(((h->flags.v & 3) << 13) | ((h->frag_off.v >> 3) & 0x1fff)));
		ip[8] = h->ttl.has ? h->ttl.v : 64;
		int proto = h->proto.has ? h->proto.v : l4_proto(f);
		ip[9] = (uint8_t)proto;
		wr32(ip + 12, h->src.v);
		wr32(ip + 16, h->dst.v);
		pseudo = pi_csum_add(0, ip + 12, 8) + (uint32_t)proto;
		l4off = n + hl;
	} else if (l3 == PI_L3_IPV6) {
		const struct pi_ipv6 *h = &f->ip6;
		wr32(ip, 0x60000000u | ((uint32_t)h->tclass.v << 20) | (h->flow.v & 0xfffff));
		ip[7] = h->hlim.has ? h->hlim.v : 64;
		memcpy(ip + 8, h->src.a, 16);
		memcpy(ip + 24, h->dst.a, 16);
		size_t off = 40;
		int final = l4_proto(f);
		int next = h->next < 0 ? 0 : h->next;
		ip[6] = h->nxt.has ? h->nxt.v : (uint8_t)(next ? h->ext[0].type : final);
		for (int i = 0; i < next; i++) {
			uint8_t nx = (uint8_t)(i + 1 < next ? h->ext[i + 1].type : final);
			int r = ext_build(&h->ext[i], nx, ip + off, cap - 14 - off);
			if (r < 0)
				return -1;
			off += (size_t)r;
		}
		pseudo = pi_csum_add(0, ip + 8, 32) + (uint32_t)final;
		l4off = n + off;
	} else {
		l4off = n;
	}
	size_t hl4 = l4_hdr_build(f, buf + l4off);
	size_t plen = f->payload.has ? f->payload.len : 0;
	if (l4off + hl4 + plen > cap)
		return -1;
	if (plen)
		memcpy(buf + l4off + hl4, f->payload.p, plen);
	size_t total = l4off + hl4 + plen;
	if (l3 == PI_L3_IPV4 || l3 == PI_L3_IPV6)
		l4_finish(f, buf + l4off, hl4 + plen, pseudo);
	if (l3 == PI_L3_IPV4) {
		const struct pi_ipv4 *h = &f->ip4;
		wr16(ip + 2, h->tot_len.has ? h->tot_len.v : (uint16_t)(total - 14));
		wr16(ip + 10, 0);
		wr16(ip + 10, h->csum.has ? h->csum.v : (uint16_t)~pi_csum_fold(pi_csum_add(0, ip, 20)));
	} else if (l3 == PI_L3_IPV6) {
		wr16(ip + 4, f->ip6.plen.has ? f->ip6.plen.v : (uint16_t)(total - 14 - 40));
	}
	/* Ethernet minimum: pad with zeros (not counted by IP lengths). */
	while (total < 60)
		buf[total++] = 0;
	return (int)total;
}

/* ---- parsing ---- */

static void tcp_opts_parse(const uint8_t *o, size_t len, struct pi_tcp *t)
{
	memcpy(t->rawopt, o, len);
	t->rawoptlen = (uint8_t)len;
	size_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			break;
		uint8_t ol = o[i + 1];
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case 2:
			if (ol == 4)
				t->mss = PI_U16(rd16(v));
			break;
		case 3:
			if (ol == 3)
				t->ws = PI_U8(v[0]);
			break;
		case 4:
			if (ol == 2)
				t->sackok = PI_U8(1);
			break;
		case 5:
			t->sack.has = PI_SET;
			t->sack.n = (uint8_t)((ol - 2) / 8 > 4 ? 4 : (ol - 2) / 8);
			for (unsigned b = 0; b < t->sack.n; b++) {
				t->sack.blk[b][0] = rd32(v + 8 * b);
				t->sack.blk[b][1] = rd32(v + 8 * b + 4);
			}
			break;
		case 8:
			if (ol == 10) {
				t->ts.has = PI_SET;
				t->ts.val = rd32(v);
				t->ts.ecr = rd32(v + 4);
			}
			break;
		}
		i += ol;
	}
}

static void l4_parse(struct pi_frame *f, int proto, const uint8_t *b, size_t len)
{
	f->payload.has = PI_SET;
	f->payload.p = b;
	f->payload.len = len;
	if (proto == IPPROTO_TCP && len >= 20) {
		struct pi_tcp *t = &f->tcp;
		size_t hl = (size_t)(b[12] >> 4) * 4;
		if (hl < 20 || hl > len)
			goto other;
		f->l4 = PI_L4_TCP;
		t->sport = PI_U16(rd16(b));
		t->dport = PI_U16(rd16(b + 2));
		t->seq = PI_U32(rd32(b + 4));
		t->ack = PI_U32(rd32(b + 8));
		t->doff = PI_U8(b[12] >> 4);
		t->flags = PI_U8(b[13]);
		t->win = PI_U16(rd16(b + 14));
		t->csum = PI_U16(rd16(b + 16));
		t->urg = PI_U16(rd16(b + 18));
		tcp_opts_parse(b + 20, hl - 20, t);
		f->payload.p = b + hl;
		f->payload.len = len - hl;
		return;
	}
	if (proto == IPPROTO_UDP && len >= 8) {
		f->l4 = PI_L4_UDP;
		f->udp.sport = PI_U16(rd16(b));
		f->udp.dport = PI_U16(rd16(b + 2));
		f->udp.len = PI_U16(rd16(b + 4));
		f->udp.csum = PI_U16(rd16(b + 6));
		f->payload.p = b + 8;
		f->payload.len = len - 8;
		return;
	}
	if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && len >= 8) {
		f->l4 = proto == IPPROTO_ICMP ? PI_L4_ICMP4 : PI_L4_ICMP6;
		f->icmp.type = PI_U8(b[0]);
		f->icmp.code = PI_U8(b[1]);
		f->icmp.csum = PI_U16(rd16(b + 2));
		f->icmp.rest = PI_U32(rd32(b + 4));
		f->payload.p = b + 8;
		f->payload.len = len - 8;
		return;
	}
other:
	f->l4 = PI_L4_OTHER;
}

int pi_frame_parse(const uint8_t *b, size_t len, struct pi_frame *f)
{
	memset(f, 0, sizeof(*f));
	if (len < 14)
		return -1;
	f->eth.dst.has = f->eth.src.has = PI_SET;
	memcpy(f->eth.dst.a, b, 6);
	memcpy(f->eth.src.a, b + 6, 6);
	uint16_t type = rd16(b + 12);
	f->eth.type = PI_U16(type);
	b += 14;
	len -= 14;
	f->payload.has = PI_SET;
	f->payload.p = b;
	f->payload.len = len;
	if (type == 0x0806) {
		f->l3 = PI_L3_ARP;
		return 0;
	}
	if (type == 0x0800 && len >= 20 && (b[0] >> 4) == 4) {
		struct pi_ipv4 *h = &f->ip4;
		size_t hl = (size_t)(b[0] & 15) * 4;
		size_t tot = rd16(b + 2);
		if (hl < 20 || hl > len) {
			f->l3 = PI_L3_OTHER;
			return 0;
		}
		if (tot > len || tot < hl)
			tot = len;
		f->l3 = PI_L3_IPV4;
		h->ihl = PI_U8(b[0] & 15);
		h->tos = PI_U8(b[1]);
		h->tot_len = PI_U16(rd16(b + 2));
		h->id = PI_U16(rd16(b + 4));
		h->flags = PI_U8(b[6] >> 5);
		h->frag_off = PI_U16((uint16_t)((rd16(b + 6) & 0x1fff) * 8));
		h->ttl = PI_U8(b[8]);
		h->proto = PI_U8(b[9]);
		h->csum = PI_U16(rd16(b + 10));
		h->src = PI_U32(rd32(b + 12));
		h->dst = PI_U32(rd32(b + 16));
		if ((h->flags.v & PI_IP_MF) || h->frag_off.v) {
			f->l4 = PI_L4_OTHER;
			f->payload.p = b + hl;
			f->payload.len = tot - hl;
			return 0;
		}
		l4_parse(f, b[9], b + hl, tot - hl);
		return 0;
	}
	if (type == 0x86dd && len >= 40 && (b[0] >> 4) == 6) {
		struct pi_ipv6 *h = &f->ip6;
		f->l3 = PI_L3_IPV6;
		uint32_t w = rd32(b);
		h->tclass = PI_U8((w >> 20) & 0xff);
		h->flow = PI_U32(w & 0xfffff);
		h->plen = PI_U16(rd16(b + 4));
		h->nxt = PI_U8(b[6]);
		h->hlim = PI_U8(b[7]);
		h->src.has = h->dst.has = PI_SET;
		memcpy(h->src.a, b + 8, 16);
		memcpy(h->dst.a, b + 24, 16);
		size_t end = 40 + (size_t)h->plen.v;
		if (end > len)
			end = len;
		size_t off = 40;
		uint8_t nxt = b[6];
		int frag = 0;
		while ((nxt == PI_EXT_HBH || nxt == PI_EXT_DST || nxt == PI_EXT_ROUTING ||
			nxt == PI_EXT_FRAG) && h->next < PI_MAX_EXT && off + 8 <= end) {
			struct pi_ip6_ext *e = &h->ext[h->next++];
			e->type = nxt;
			e->nxt = PI_U8(b[off]);
			size_t el;
			if (nxt == PI_EXT_FRAG) {
				el = 8;
				e->frag_off = PI_U16(rd16(b + off + 2) & 0xfff8);
				e->frag_m = PI_U8(b[off + 3] & 1);
				e->frag_id = PI_U32(rd32(b + off + 4));
				frag = 1;
			} else {
				el = ((size_t)b[off + 1] + 1) * 8;
				if (off + el > end)
					break;
				size_t ol = el - 2 > PI_MAX_EXT_OPTS ? PI_MAX_EXT_OPTS : el - 2;
				memcpy(e->opts, b + off + 2, ol);
				e->optlen = (uint8_t)ol;
			}
			nxt = b[off];
			off += el;
		}
		f->payload.p = b + off;
		f->payload.len = end - off;
		if (frag) {
			f->l4 = PI_L4_OTHER;
			return 0;
		}
		l4_parse(f, nxt, b + off, end - off);
		return 0;
	}
	f->l3 = PI_L3_OTHER;
	return 0;
}

/* ---- matching ---- */

struct diff {
	char *buf;
	size_t len, used;
	int bad;
};

static void dprintf_(struct diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dprintf_(struct diff *d, const char *fmt, ...)
{
	d->bad++;
	if (!d->buf || d->used + 1 >= d->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(d->buf + d->used, d->len - d->used, fmt, ap);
	va_end(ap);
	if (r > 0)
		d->used += (size_t)r < d->len - d->used ? (size_t)r : d->len - d->used - 1;
}

#define CMP(d, name, w, g)                                                                   \
	do {                                                                                 \
		if ((w).has == PI_SET && (!(g).has || (w).v != (g).v))                        \
			dprintf_(d, "  %s: want %lu (0x%lx), got %lu (0x%lx)\n", name,          \
				 (unsigned long)(w).v, (unsigned long)(w).v, (unsigned long)(g).v, \
				 (unsigned long)(g).v);                                       \
	} while (0)

static const char *ip4s(uint32_t a, char *b)
{
	snprintf(b, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return b;
}

static const char *ip6s(const uint8_t *a, char *b)
{
	return inet_ntop(AF_INET6, a, b, 46);
}

static const char *l4name(int l4)
{
	static const char *n[] = { "none", "TCP", "UDP", "ICMPv4", "ICMPv6", "other" };
	return l4 >= 0 && l4 <= PI_L4_OTHER ? n[l4] : "?";
}

void pi_tcp_flags_fmt(uint8_t fl, char *buf, size_t len)
{
	static const char ch[] = "FSRP.UEW";
	size_t n = 0;
	buf[n++] = '[';
	for (int i = 0; i < 8 && n + 2 < len; i++)
		if (fl & (1 << i))
			buf[n++] = ch[i];
	if (n == 1)
		buf[n++] = 'n';
	buf[n++] = ']';
	buf[n] = 0;
}

static void match_tcp(const struct pi_tcp *w, const struct pi_tcp *g, struct diff *d)
{
	CMP(d, "tcp.sport", w->sport, g->sport);
	CMP(d, "tcp.dport", w->dport, g->dport);
	CMP(d, "tcp.seq", w->seq, g->seq);
	CMP(d, "tcp.ack", w->ack, g->ack);
	CMP(d, "tcp.doff", w->doff, g->doff);
	if (w->flags.has == PI_SET) {
		uint8_t m = w->flags_mask.has ? w->flags_mask.v : 0xff;
		if ((w->flags.v & m) != (g->flags.v & m)) {
			char a[16], b[16];
			pi_tcp_flags_fmt(w->flags.v & m, a, sizeof(a));
			pi_tcp_flags_fmt(g->flags.v, b, sizeof(b));
			dprintf_(d, "  tcp.flags: want %s%s, got %s\n", a, m != 0xff ? " (masked)" : "", b);
		}
	}
	CMP(d, "tcp.win", w->win, g->win);
	CMP(d, "tcp.urg", w->urg, g->urg);
	CMP(d, "tcp.csum", w->csum, g->csum);
	if (w->mss.has == PI_ABSENT && g->mss.has)
		dprintf_(d, "  tcp.opt.mss: want absent, got %u\n", g->mss.v);
	else
		CMP(d, "tcp.opt.mss", w->mss, g->mss);
	if (w->ws.has == PI_ABSENT && g->ws.has)
		dprintf_(d, "  tcp.opt.ws: want absent, got %u\n", g->ws.v);
	else
		CMP(d, "tcp.opt.ws", w->ws, g->ws);
	if (w->sackok.has == PI_ABSENT && g->sackok.has)
		dprintf_(d, "  tcp.opt.sackOK: want absent, got present\n");
	else if (w->sackok.has == PI_SET && !g->sackok.has)
		dprintf_(d, "  tcp.opt.sackOK: want present, got absent\n");
	if (w->ts.has == PI_ABSENT && g->ts.has) {
		dprintf_(d, "  tcp.opt.ts: want absent, got %u %u\n", g->ts.val, g->ts.ecr);
	} else if (w->ts.has == PI_SET) {
		if (!g->ts.has)
			dprintf_(d, "  tcp.opt.ts: want present, got absent\n");
		else {
			if ((w->ts.cmp & PI_TS_VAL) && w->ts.val != g->ts.val)
				dprintf_(d, "  tcp.opt.ts.val: want %u, got %u\n", w->ts.val, g->ts.val);
			if ((w->ts.cmp & PI_TS_ECR) && w->ts.ecr != g->ts.ecr)
				dprintf_(d, "  tcp.opt.ts.ecr: want %u, got %u\n", w->ts.ecr, g->ts.ecr);
		}
	}
	if (w->sack.has == PI_ABSENT && g->sack.has) {
		dprintf_(d, "  tcp.opt.sack: want absent, got %u blocks\n", g->sack.n);
	} else if (w->sack.has == PI_SET) {
		int ok = g->sack.has && g->sack.n == w->sack.n;
		for (unsigned i = 0; ok && i < w->sack.n; i++)
			ok = w->sack.blk[i][0] == g->sack.blk[i][0] &&
			     w->sack.blk[i][1] == g->sack.blk[i][1];
		if (!ok) {
			char a[128] = "", b[128] = "";
			size_t an = 0, bn = 0;
			for (unsigned i = 0; i < w->sack.n; i++)
				an += (size_t)snprintf(a + an, sizeof(a) - an, " %u-%u", w->sack.blk[i][0],
						       w->sack.blk[i][1]);
			for (unsigned i = 0; g->sack.has && i < g->sack.n; i++)
				bn += (size_t)snprintf(b + bn, sizeof(b) - bn, " %u-%u", g->sack.blk[i][0],
						       g->sack.blk[i][1]);
			dprintf_(d, "  tcp.opt.sack: want%s, got%s\n", a, g->sack.has ? b : " absent");
		}
	}
}

int pi_frame_match(const struct pi_frame *w, const struct pi_frame *g, char *buf, size_t len)
{
	struct diff d = { buf, len, 0, 0 };
	if (buf && len)
		buf[0] = 0;
	if (w->eth.src.has == PI_SET && memcmp(w->eth.src.a, g->eth.src.a, 6))
		dprintf_(&d, "  eth.src differs\n");
	if (w->eth.dst.has == PI_SET && memcmp(w->eth.dst.a, g->eth.dst.a, 6))
		dprintf_(&d, "  eth.dst differs\n");
	CMP(&d, "eth.type", w->eth.type, g->eth.type);
	if (w->l3 != PI_L3_NONE && w->l3 != g->l3) {
		dprintf_(&d, "  l3: want %d, got %d\n", w->l3, g->l3);
		return 0;
	}
	char a[64], b[64];
	if (w->l3 == PI_L3_IPV4) {
		const struct pi_ipv4 *x = &w->ip4, *y = &g->ip4;
		CMP(&d, "ip4.ihl", x->ihl, y->ihl);
		CMP(&d, "ip4.tos", x->tos, y->tos);
		CMP(&d, "ip4.tot_len", x->tot_len, y->tot_len);
		CMP(&d, "ip4.id", x->id, y->id);
		CMP(&d, "ip4.flags", x->flags, y->flags);
		CMP(&d, "ip4.frag_off", x->frag_off, y->frag_off);
		CMP(&d, "ip4.ttl", x->ttl, y->ttl);
		CMP(&d, "ip4.proto", x->proto, y->proto);
		if (x->src.has == PI_SET && x->src.v != y->src.v)
			dprintf_(&d, "  ip4.src: want %s, got %s\n", ip4s(x->src.v, a), ip4s(y->src.v, b));
		if (x->dst.has == PI_SET && x->dst.v != y->dst.v)
			dprintf_(&d, "  ip4.dst: want %s, got %s\n", ip4s(x->dst.v, a), ip4s(y->dst.v, b));
	} else if (w->l3 == PI_L3_IPV6) {
		const struct pi_ipv6 *x = &w->ip6, *y = &g->ip6;
		CMP(&d, "ip6.tclass", x->tclass, y->tclass);
		CMP(&d, "ip6.plen", x->plen, y->plen);
		CMP(&d, "ip6.nxt", x->nxt, y->nxt);
		CMP(&d, "ip6.hlim", x->hlim, y->hlim);
		if (x->src.has == PI_SET && memcmp(x->src.a, y->src.a, 16))
			dprintf_(&d, "  ip6.src: want %s, got %s\n", ip6s(x->src.a, a), ip6s(y->src.a, b));
		if (x->dst.has == PI_SET && memcmp(x->dst.a, y->dst.a, 16))
			dprintf_(&d, "  ip6.dst: want %s, got %s\n", ip6s(x->dst.a, a), ip6s(y->dst.a, b));
		if (x->next > 0 && x->next != y->next)
			dprintf_(&d, "  ip6: want %d extension headers, got %d\n", x->next, y->next);
	}
	if (w->l4 != PI_L4_NONE && w->l4 != g->l4) {
		dprintf_(&d, "  l4: want %s, got %s\n", l4name(w->l4), l4name(g->l4));
		return 0;
	}
	if (w->l4 == PI_L4_TCP)
		match_tcp(&w->tcp, &g->tcp, &d);
	else if (w->l4 == PI_L4_UDP) {
		CMP(&d, "udp.sport", w->udp.sport, g->udp.sport);
		CMP(&d, "udp.dport", w->udp.dport, g->udp.dport);
		CMP(&d, "udp.len", w->udp.len, g->udp.len);
	} else if (w->l4 == PI_L4_ICMP4 || w->l4 == PI_L4_ICMP6) {
		CMP(&d, "icmp.type", w->icmp.type, g->icmp.type);
		CMP(&d, "icmp.code", w->icmp.code, g->icmp.code);
		CMP(&d, "icmp.rest", w->icmp.rest, g->icmp.rest);
	}
	if (w->payload.has == PI_SET) {
		if (w->payload.len != g->payload.len)
			dprintf_(&d, "  payload: want %zu bytes, got %zu\n", w->payload.len, g->payload.len);
		else if (w->payload.len && memcmp(w->payload.p, g->payload.p, w->payload.len)) {
			size_t i = 0;
			while (w->payload.p[i] == g->payload.p[i])
				i++;
			dprintf_(&d, "  payload: %zu bytes differ from byte %zu (want 0x%02x, got 0x%02x)\n",
				 w->payload.len, i, w->payload.p[i], g->payload.p[i]);
		}
	}
	return d.bad == 0;
}

/* ---- formatting ---- */

uint32_t pi_tcp_seglen(const struct pi_frame *f)
{
	uint32_t n = (uint32_t)f->payload.len;
	if (f->tcp.flags.v & PI_SYN)
		n++;
	if (f->tcp.flags.v & PI_FIN)
		n++;
	return n;
}

void pi_frame_fmt(const struct pi_frame *f, char *buf, size_t len)
{
	size_t n = 0;
	char a[64], b[64];
#define OUT(...)                                                                    \
	do {                                                                        \
		if (n < len) {                                                      \
			int r_ = snprintf(buf + n, len - n, __VA_ARGS__);           \
			n += r_ > 0 ? (size_t)r_ : 0;                               \
		}                                                                   \
	} while (0)
	buf[0] = 0;
	if (f->l3 == PI_L3_ARP) {
		OUT("ARP");
		return;
	}
	if (f->l3 == PI_L3_IPV4) {
		const struct pi_ipv4 *h = &f->ip4;
		OUT("IPv4 %s > %s id %u ttl %u", ip4s(h->src.v, a), ip4s(h->dst.v, b), h->id.v, h->ttl.v);
		if (h->flags.v & PI_IP_DF)
			OUT(" DF");
		if ((h->flags.v & PI_IP_MF) || h->frag_off.v)
			OUT(" frag off %u%s proto %u", h->frag_off.v, h->flags.v & PI_IP_MF ? " MF" : "",
			    h->proto.v);
	} else if (f->l3 == PI_L3_IPV6) {
		const struct pi_ipv6 *h = &f->ip6;
		OUT("IPv6 %s > %s hlim %u", ip6s(h->src.a, a), ip6s(h->dst.a, b), h->hlim.v);
		for (int i = 0; i < h->next; i++) {
			const struct pi_ip6_ext *e = &h->ext[i];
			if (e->type == PI_EXT_FRAG)
				OUT(" frag(off %u%s id %u nxt %u)", e->frag_off.v, e->frag_m.v ? " M" : "",
				    e->frag_id.v, e->nxt.v);
			else
				OUT(" ext%u(%u opt bytes)", e->type, e->optlen);
		}
	} else {
		OUT("ethertype 0x%04x len %zu", f->eth.type.v, f->payload.len);
		return;
	}
	switch (f->l4) {
	case PI_L4_TCP: {
		const struct pi_tcp *t = &f->tcp;
		char fl[16];
		pi_tcp_flags_fmt(t->flags.v, fl, sizeof(fl));
		OUT(" | TCP %u > %u %s seq %u ack %u win %u", t->sport.v, t->dport.v, fl, t->seq.v,
		    t->ack.v, t->win.v);
		if (t->mss.has || t->ws.has || t->sackok.has || t->ts.has || t->sack.has) {
			OUT(" <");
			if (t->mss.has)
				OUT("mss %u,", t->mss.v);
			if (t->ws.has)
				OUT("ws %u,", t->ws.v);
			if (t->sackok.has)
				OUT("sackOK,");
			if (t->ts.has)
				OUT("TS %u %u,", t->ts.val, t->ts.ecr);
			if (t->sack.has) {
				OUT("sack");
				for (unsigned i = 0; i < t->sack.n; i++)
					OUT(" %u-%u", t->sack.blk[i][0], t->sack.blk[i][1]);
				OUT(",");
			}
			if (n > 0 && n < len && buf[n - 1] == ',')
				n--;
			OUT(">");
		}
		break;
	}
	case PI_L4_UDP:
		OUT(" | UDP %u > %u", f->udp.sport.v, f->udp.dport.v);
		break;
	case PI_L4_ICMP4:
	case PI_L4_ICMP6:
		OUT(" | %s type %u code %u rest 0x%08x", f->l4 == PI_L4_ICMP4 ? "ICMP" : "ICMPv6",
		    f->icmp.type.v, f->icmp.code.v, f->icmp.rest.v);
		break;
	default:
		break;
	}
	OUT(" len %zu", f->payload.len);
#undef OUT
}
