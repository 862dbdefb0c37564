/*
 * Raw sockets (raw(7); ipv6(7) and RFC 3542 3 for AF_INET6), as Linux has
 * them.
 *
 * A raw socket names an IP protocol (1-255; Linux also creates 256-262,
 * which never match a datagram). Input: every datagram for this host of
 * that protocol is copied to every raw socket whose bound address,
 * connected peer and SO_BINDTODEVICE fit, before the stack's own protocol
 * takes it (the stack still answers an echo, UDP and TCP still get
 * theirs); a datagram of a protocol the stack does not have is taken by
 * the raw sockets alone, and then no "protocol unreachable" goes back.
 * IPv4 sockets read the datagram from its IP header (after reassembly:
 * its header describes the whole), IPv6 ones the payload after the
 * extension headers, the addresses through recvmsg's name and ancillary
 * data.
 *
 * Output: the payload, to which the stack adds the header; with
 * IP_HDRINCL (implied by IPPROTO_RAW) an IPv4 socket gives the header
 * itself, of which the stack fills only the checksum, the total length,
 * a zero ID and a zero source (Linux raw_send_hdrinc); IPV6_HDRINCL sends
 * the user's IPv6 header as given.
 *
 * Filters: ICMP_FILTER (a mask of the ICMP types below 32 to drop),
 * ICMP6_FILTER (RFC 3542 3.2), IPV6_CHECKSUM (RFC 3542 3.1: the stack
 * computes the checksum at that offset on output and checks it on input;
 * ICMPv6 sockets always do, at 2).
 */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "ns/info.h"
#include "stack_priv.h"
#include "ipv6_priv.h"

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* (linux/icmp.h, level SOL_RAW) */
#endif
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif

#define RAW_PROTO_MAX 263 /* Linux IPPROTO_MAX: protocols 0..262 make sockets */

struct raw_sock {
	struct ns_socket sk;
	struct raw_sock *next; /* st->raw, every raw socket */
	struct ns_ip laddr;    /* bind(): datagrams to it only; any: all */
	struct ns_ip saddr;    /* the source sends take (any for a group or broadcast bind) */
	struct ns_ip raddr;    /* connect(): the default destination, and only its datagrams */
	uint8_t connected;
	/* Linux's raw disconnect (AF_UNSPEC) takes the socket out of its
	 * table: from then on it receives nothing (__udp_disconnect unhashes
	 * a socket without a bound port, which a raw one never has). */
	uint8_t unhashed;
	uint8_t shut_rd, shut_wr;
	uint8_t hdrincl;  /* IP_HDRINCL / IPV6_HDRINCL */
	uint8_t nodefrag; /* IP_NODEFRAG: kept (no netfilter defragments here) */
	/* IP_ROUTER_ALERT: kept. Linux hands such a socket the datagrams
	 * with a Router Alert option that it forwards; a host forwards
	 * none, so nothing more arrives here than without it. */
	uint8_t ra;
	int csum_off;	  /* IPV6_CHECKSUM, -1: off */
	uint32_t icmp_filter;	   /* ICMP_FILTER: bit n drops type n */
	uint32_t icmp6_filter[8]; /* ICMP6_FILTER: a set bit blocks the type */
	uint32_t drops;
	struct pkt_queue rq;
	uint32_t rq_mem;
};

static struct raw_sock *raw_sk(struct ns_socket *s)
{
	return ns_container_of(s, struct raw_sock, sk);
}

/* ---- input ---- */

/* Linux raw_v4_match / raw_v6_match: the protocol, the bound address
 * (or, for a group, the membership), the connected peer, the device. */
static int raw_match(const struct raw_sock *r, const struct ns_l3_info *l3)
{
	const struct ns_socket *s = &r->sk;
	if (s->domain != l3->dst.family || s->protocol != l3->proto || r->unhashed)
		return 0;
	if (r->connected && !ns_ip_eq(&r->raddr, &l3->src))
		return 0;
	if (s->bound_nic && (!l3->nic || l3->nic->id != s->bound_nic))
		return 0;
	int nic = l3->nic ? l3->nic->id : 0;
	if (l3->dst.family == AF_INET) {
		if (!ns_ip_is_any(&r->laddr) && r->laddr.v4 != l3->dst.v4)
			return 0;
		if (l3->mcast && !igmp_sock_allows(s, l3->dst.v4, l3->src.v4, nic))
			return 0;
		return 1;
	}
	if (!ns_ip_is_any(&r->laddr) && ns_ip_eq(&r->laddr, &l3->dst))
		return 1;
	if (l3->mcast)
		return mld_sock_allows(s, l3->dst.v6, l3->src.v6);
	return ns_ip_is_any(&r->laddr);
}

/* ICMP_FILTER (Linux icmp_filter): a message shorter than an ICMP header
 * is dropped too. ICMP6_FILTER (icmpv6_filter): it needs 4 bytes. */
static int raw_filtered(const struct raw_sock *r, const struct pkt *p)
{
	const uint8_t *d = pkt_data(p);
	if (r->sk.domain == AF_INET && r->sk.protocol == IPPROTO_ICMP) {
		if (p->len < 8)
			return 1;
		return d[0] < 32 && (r->icmp_filter & (1u << d[0]));
	}
	if (r->sk.domain == AF_INET6 && r->sk.protocol == IPPROTO_ICMPV6) {
		if (p->len < 4)
			return 1;
		return (r->icmp6_filter[d[0] >> 5] >> (d[0] & 31)) & 1;
	}
	return 0;
}

/* IPV6_CHECKSUM on input (RFC 3542 3.1): the sum over the pseudo-header
 * and the whole payload must come out right, wherever the field is. */
static int raw_csum_bad(const struct raw_sock *r, const struct pkt *p, const struct ns_l3_info *l3)
{
	if (r->sk.domain != AF_INET6 || r->csum_off < 0 || (p->flags & PKT_F_CSUM_VERIFIED))
		return 0;
	uint32_t sum = ns_csum_pseudo(&l3->src, &l3->dst, l3->proto, p->len);
	return ns_csum_fold(ns_csum_add(sum, pkt_data(p), p->len)) != 0;
}

static void raw_deliver(struct ns_stack *st, struct raw_sock *r, struct pkt *c)
{
	/* (the program sees what a read returns, as Linux's: an IPv4
	 * socket's from the IP header) */
	if (ns_socket_filter(&r->sk, c, 0) < 0) {
		NS_STAT_INC(st, raw_drop_filter);
		goto drop;
	}
	if (r->rq_mem > (uint32_t)r->sk.rcvbuf) {
		NS_STAT_INC(st, raw_drop_rcvbuf);
		goto drop;
	}
	c->cookie = r->drops;
	r->rq_mem += ns_pkt_truesize(c);
	pkt_queue_push(&r->rq, c);
	NS_STAT_INC(st, raw_delivered);
	ns_socket_wake(&r->sk);
	return;
drop:
	r->drops++;
	pkt_unref(c);
}

int raw_input(struct ns_stack *st, const struct pkt *p, const struct ns_l3_info *l3)
{
	int taken = 0;
	for (struct raw_sock *r = st->raw; r; r = r->next) {
		if (!raw_match(r, l3))
			continue;
		taken = 1; /* (Linux: a filtered copy still counts as delivered) */
		if (raw_filtered(r, p))
			continue;
		if (raw_csum_bad(r, p, l3)) {
			NS_STAT_INC(st, raw_drop_csum);
			r->drops++;
			continue;
		}
		struct pkt *c = pkt_clone(p);
		if (!c) {
			NS_STAT_INC(st, raw_drop_nomem);
			r->drops++;
			continue;
		}
		/* An IPv4 socket reads from the IP header: the clone's data
		 * starts there again (the bytes are the shared chunk's, only
		 * read). */
		if (r->sk.domain == AF_INET) {
			uint32_t back = pkt_pos(c) - c->l3_off;
			c->off -= back;
			c->len += back;
		}
		raw_deliver(st, r, c);
	}
	return taken;
}

/* ---- errors about what raw sockets sent ---- */

/* Linux raw_err / rawv6_err: what errno an ICMP error means to a raw
 * socket and whether it is hard (reported without IP_RECVERR to a
 * connected socket). */
static int raw_err_convert(const struct raw_sock *r, const struct ns_l4_err *e, int *hard)
{
	const struct ns_socket *s = &r->sk;
	*hard = e->fatal;
	if (e->src.family == AF_INET6) {
		if (e->type == 2) /* packet too big */
			*hard = s->pmtudisc6 == IPV6_PMTUDISC_DO;
		return e->err;
	}
	switch (e->type) {
	case ICMP_PARAMETERPROB:
		*hard = 1;
		return EPROTO;
	case ICMP_DEST_UNREACH:
		if (e->code == ICMP_FRAG_NEEDED) {
			*hard = s->pmtudisc != IP_PMTUDISC_DONT;
			return EMSGSIZE;
		}
		if (e->code > 15) { /* (past NR_ICMP_UNREACH) */
			*hard = 0;
			return EHOSTUNREACH;
		}
		return e->err;
	default: /* time exceeded */
		*hard = 0;
		return EHOSTUNREACH;
	}
}

void raw_err(struct ns_stack *st, const struct ns_l4_err *e, const uint8_t *ip, uint32_t ip_len,
	     const struct ns_nic *nic)
{
	/* As if the error's quoted datagram came back: from its
	 * destination to its source. */
	struct ns_l3_info l3 = {
		.src = e->dst,
		.dst = e->src,
		.nic = (struct ns_nic *)nic,
		.proto = e->proto,
	};
	int v4 = e->src.family == AF_INET;
	for (struct raw_sock *r = st->raw; r; r = r->next) {
		if (!raw_match(r, &l3))
			continue;
		int recverr = ns_socket_recverr(&r->sk, e->src.family);
		if (!recverr && !r->connected)
			continue;
		int hard;
		int err = raw_err_convert(r, e, &hard);
		if (recverr) {
			/* Linux ip_icmp_error / ipv6_icmp_error: the quoted
			 * data after the IP header (from it with
			 * IP_HDRINCL), about the destination with port 0. */
			struct ns_errq_ent q;
			memset(&q, 0, sizeof(q));
			q.ee.ee_errno = (uint32_t)err;
			q.ee.ee_origin = v4 ? SO_EE_ORIGIN_ICMP : SO_EE_ORIGIN_ICMP6;
			q.ee.ee_type = e->type;
			q.ee.ee_code = e->code;
			if (!v4 || (e->type == ICMP_DEST_UNREACH && e->code == ICMP_FRAG_NEEDED) ||
			    e->type == ICMP_PARAMETERPROB)
				q.ee.ee_info = e->info;
			q.offender = e->offender;
			q.addr = e->dst;
			q.named = 1;
			const uint8_t *data = r->hdrincl ? ip : e->l4;
			uint32_t n = r->hdrincl ? ip_len : e->l4_len;
			if (ns_errq_post(&r->sk, &q, data, n) < 0)
				NS_STAT_INC(st, raw_drop_rcvbuf);
		}
		if (recverr || hard) {
			r->sk.so_error = err;
			ns_socket_wake(&r->sk);
		}
	}
}

/* ---- socket calls ---- */

static int raw_bind(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	struct raw_sock *r = raw_sk(s);
	struct ns_ip ip;
	if (s->domain == AF_INET) {
		/* Linux raw_bind: only the length and the address count, not
		 * the family; a group or broadcast address receives but sends
		 * from the route's source. */
		if (r->connected || !a || len < (socklen_t)sizeof(struct sockaddr_in))
			return -EINVAL;
		ip = ns_ip4(ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr));
		int special = ip4_is_mcast(ip.v4) || ip.v4 == 0xffffffffu || ns_is_bcast4(s->stack, ip.v4);
		if (ip.v4 && !special && !ns_addr4_nic(s->stack, ip.v4) &&
		    !(s->opts & (NS_SO_FREEBIND | NS_SO_TRANSPARENT)))
			return -EADDRNOTAVAIL;
		r->laddr = ip;
		r->saddr = special ? ns_ip_any(AF_INET) : ip;
		return 0;
	}
	/* Linux rawv6_bind */
	if (!a || len < 24 /* SIN6_LEN_RFC2133 */ || a->sa_family != AF_INET6)
		return -EINVAL;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	if (ns_ip6_is_v4mapped(a6->sin6_addr.s6_addr))
		return -EADDRNOTAVAIL;
	ip = ns_ip6(a6->sin6_addr.s6_addr);
	int ll = ip.v6[0] == 0xfe && (ip.v6[1] & 0xc0) == 0x80;
	if (ll && len >= (socklen_t)sizeof(*a6) && a6->sin6_scope_id) {
		if (!ns_nic_get(s->stack, (int)a6->sin6_scope_id))
			return -ENODEV;
		s->bound_nic = (int)a6->sin6_scope_id;
	} else if (ll && !s->bound_nic) {
		return -EINVAL; /* (a link-local address needs its interface) */
	}
	if (!ns_ip_is_any(&ip) && !ns_ip_is_mcast(&ip) && !ns_addr_nic(s->stack, &ip) &&
	    !(s->opts & (NS_SO_FREEBIND | NS_SO_TRANSPARENT)))
		return -EADDRNOTAVAIL;
	r->laddr = ip;
	r->saddr = ns_ip_is_mcast(&ip) ? ns_ip_any(AF_INET6) : ip;
	return 0;
}

/* connect()/sendto() to the wildcard mean this host (Linux). */
static void any_means_loopback(struct ns_ip *dst)
{
	if (!ns_ip_is_any(dst))
		return;
	if (dst->family == AF_INET)
		dst->v4 = IP4_ADDR(127, 0, 0, 1);
	else
		dst->v6[15] = 1;
}

static int raw_connect(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	struct raw_sock *r = raw_sk(s);
	if (a && len >= (socklen_t)sizeof(sa_family_t) && a->sa_family == AF_UNSPEC) {
		/* (see unhashed) */
		r->connected = 0;
		r->raddr = ns_ip_any(s->domain);
		r->unhashed = 1;
		return 0;
	}
	struct ns_sa sa;
	int e = ns_sockaddr_parse(s, a, len, NS_SA_CONNECT, &sa);
	if (e < 0)
		return e;
	if (sa.family == AF_UNSPEC || sa.ip.family != s->domain)
		return -EAFNOSUPPORT;
	struct ns_ip dst = sa.ip;
	any_means_loopback(&dst);
	struct ns_rt rt;
	int oif = sa.scope ? (int)sa.scope : s->bound_nic;
	e = ns_route(s->stack, &dst, &r->saddr, oif, &rt);
	if (e < 0)
		return e;
	if (rt.bcast && !(s->opts & NS_SO_BROADCAST))
		return -EACCES;
	/* Linux ip4_datagram_connect: an unbound socket takes the route's
	 * source as its address, and receives only what comes to it. */
	if (ns_ip_is_any(&r->laddr)) {
		r->laddr = rt.src;
		r->saddr = rt.src;
	}
	if (sa.scope)
		s->bound_nic = (int)sa.scope;
	r->raddr = dst;
	r->connected = 1;
	return 0;
}

/* The send's destination: msg_name or the connected peer. Linux's
 * raw_sendmsg takes AF_UNSPEC as AF_INET; rawv6_sendmsg reads the
 * protocol from sin6_port (0: the socket's; another only on an
 * IPPROTO_RAW socket). */
static int send_dst(struct raw_sock *r, const struct msghdr *m, struct ns_ip *dst, int *oif,
		    uint8_t *proto)
{
	struct ns_socket *s = &r->sk;
	*proto = (uint8_t)s->protocol;
	if (!m->msg_name) {
		if (!r->connected)
			return -EDESTADDRREQ;
		*dst = r->raddr;
		return 0;
	}
	if (s->domain == AF_INET) {
		const struct sockaddr_in *a = m->msg_name;
		if (m->msg_namelen < (socklen_t)sizeof(*a))
			return -EINVAL;
		if (a->sin_family != AF_INET && a->sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		*dst = ns_ip4(ntohl(a->sin_addr.s_addr));
	} else {
		const struct sockaddr_in6 *a = m->msg_name;
		if (m->msg_namelen < 24)
			return -EINVAL;
		if (a->sin6_family != AF_INET6 && a->sin6_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		uint16_t pr = ntohs(a->sin6_port);
		if (pr && pr != s->protocol && s->protocol != IPPROTO_RAW)
			return -EINVAL;
		if (pr > 255)
			return -EINVAL;
		if (pr)
			*proto = (uint8_t)pr;
		if (ns_ip6_is_v4mapped(a->sin6_addr.s6_addr))
			return -ENETUNREACH;
		*dst = ns_ip6(a->sin6_addr.s6_addr);
		if (m->msg_namelen >= (socklen_t)sizeof(*a) && a->sin6_scope_id)
			*oif = (int)a->sin6_scope_id;
	}
	any_means_loopback(dst);
	return 0;
}

/* IP_HDRINCL (Linux raw_send_hdrinc): the user's header goes out as
 * given, with the checksum, the total length and a zero ID and source
 * filled in; a header whose IHL says less than 20 bytes or more than was
 * given is refused. The version and the rest are not looked at (the
 * receiver drops what is wrong). */
static ssize_t send_hdrincl4(struct raw_sock *r, const struct msghdr *m, size_t len, const struct ns_rt *rt)
{
	struct ns_stack *st = r->sk.stack;
	if (len > rt->mtu)
		return -EMSGSIZE;
	if (len < IP4_HDR_LEN)
		return -EINVAL;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)len);
	if (!p) {
		NS_STAT_INC(st, raw_drop_nomem);
		return -ENOBUFS;
	}
	uint8_t *h = pkt_data(p);
	ns_iov_gather(m, 0, h, len);
	uint32_t ihl = (uint32_t)(h[0] & 15) * 4;
	if (ihl < IP4_HDR_LEN || ihl > len) {
		pkt_unref(p);
		return -EINVAL;
	}
	if (!ns_rd32(h + 12))
		ns_wr32(h + 12, rt->src.v4);
	ns_wr16(h + 2, (uint16_t)len);
	if (!ns_rd16(h + 4))
		ns_wr16(h + 4, ip4_next_id(st, ns_rd32(h + 12), ns_rd32(h + 16), h[9]));
	ns_wr16(h + 10, 0);
	ns_wr16(h + 10, ns_csum(h, ihl));
	p->l4_off = pkt_pos(p) + ihl;
	p->ip_proto = h[9];
	NS_STAT_INC(st, raw_tx);
	int e = ip4_output_routed(st, p, rt);
	return e < 0 ? e : (ssize_t)len;
}

/* IPV6_HDRINCL (Linux rawv6_send_hdrinc): the whole packet as given. */
static ssize_t send_hdrincl6(struct raw_sock *r, const struct msghdr *m, size_t len, const struct ns_rt *rt)
{
	struct ns_stack *st = r->sk.stack;
	if (len > rt->mtu)
		return -EMSGSIZE;
	if (len < IP6_HDR_LEN)
		return -EINVAL;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)len);
	if (!p) {
		NS_STAT_INC(st, raw_drop_nomem);
		return -ENOBUFS;
	}
	ns_iov_gather(m, 0, pkt_data(p), len);
	p->l4_off = pkt_pos(p) + IP6_HDR_LEN;
	p->ip_proto = pkt_data(p)[6];
	NS_STAT_INC(st, raw_tx);
	int e = ip6_output_routed(st, p, rt);
	return e < 0 ? e : (ssize_t)len;
}

static ssize_t raw_sendmsg(struct ns_socket *s, const struct msghdr *m, int flags)
{
	struct raw_sock *r = raw_sk(s);
	struct ns_stack *st = s->stack;
	int v4 = s->domain == AF_INET;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	size_t len = ns_iov_total(m);
	if (len > 0xffff)
		return -EMSGSIZE;
	struct ns_ip dst;
	int oif = s->bound_nic;
	uint8_t proto;
	int e = send_dst(r, m, &dst, &oif, &proto);
	if (e < 0)
		return e;
	int hdrincl = r->hdrincl;
	/* Linux raw_probe_proto_opt / rawv6_probe_proto_opt read an ICMP
	 * message's type and code for the route: two bytes at least. */
	uint8_t icmp = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	if (!hdrincl && proto == icmp && len < 2)
		return -EFAULT;
	if (!oif && ns_ip_is_mcast(&dst))
		oif = v4 ? s->mc_index : s->mc_index6;
	else if (!oif)
		oif = v4 ? s->uc_index : s->uc_index6;
	struct ns_ip src = r->saddr;
	if (v4 && ns_ip_is_mcast(&dst) && ns_ip_is_any(&src) && s->mc_addr)
		src = ns_ip4(s->mc_addr);
	struct ns_rt rt;
	e = ns_route(st, &dst, &src, oif, &rt);
	if (e < 0) {
		NS_STAT_NO_ROUTE(st, dst.family);
		return e;
	}
	if (rt.bcast && !(s->opts & NS_SO_BROADCAST))
		return -EACCES;
	if (r->shut_wr)
		return -EPIPE;
	if (hdrincl)
		return v4 ? send_hdrincl4(r, m, len, &rt) : send_hdrincl6(r, m, len, &rt);
	/* RFC 3542 3.1: the checksum at IPV6_CHECKSUM's offset, over the
	 * pseudo-header and the payload (Linux: EINVAL when it does not fit). */
	if (!v4 && r->csum_off >= 0 && (size_t)r->csum_off + 1 >= len)
		return -EINVAL;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)len);
	if (!p) {
		NS_STAT_INC(st, raw_drop_nomem);
		return -ENOBUFS;
	}
	uint8_t *d = pkt_data(p);
	ns_iov_gather(m, 0, d, len);
	if (!v4 && r->csum_off >= 0) {
		uint32_t o = (uint32_t)r->csum_off;
		ns_wr16(d + o, 0);
		uint32_t sum = ns_csum_pseudo(&rt.src, &dst, proto, (uint32_t)len);
		uint16_t c = ns_csum_fold(ns_csum_add(sum, d, (uint32_t)len));
		ns_wr16(d + o, c == 0 && proto == IPPROTO_UDP ? 0xffff : c);
	}
	p->l4_off = pkt_pos(p);
	p->ip_proto = proto;
	/* Linux ip_dont_fragment: DO and PROBE set DF; WANT sets it on a
	 * datagram that fits the path (a longer one is fragmented here). */
	uint32_t hdr = v4 ? IP4_HDR_LEN : IP6_HDR_LEN;
	int df = v4 ? s->pmtudisc == IP_PMTUDISC_DO || s->pmtudisc == IP_PMTUDISC_PROBE ||
			      (s->pmtudisc == IP_PMTUDISC_WANT && len + hdr <= rt.mtu)
		    : s->pmtudisc6 == IPV6_PMTUDISC_DO || s->pmtudisc6 == IPV6_PMTUDISC_PROBE ||
			      (s->opts & NS_SO_DONTFRAG6);
	struct ns_ip_tx tx = {
		.src = rt.src,
		.dst = dst,
		.proto = proto,
		.hop_limit = v4 ? s->ttl : ns_ip_is_mcast(&dst) ? s->mc_hops6 : s->hoplimit6,
		.tos = v4 ? s->tos : (uint8_t)s->tclass6,
		.df = (uint8_t)df,
		.allow_bcast = !!(s->opts & NS_SO_BROADCAST),
		.mc_ttl = s->mc_ttl,
		.mc_loop = v4 ? s->mc_loop : s->mc_loop6,
		.no_flowlabel = !!(s->opts & NS_SO_NOFLOWLABEL6),
		.frag_size = (uint32_t)s->frag_size6,
		.ext = v4 ? NULL : s->sticky6,
		.bound_nic = oif,
	};
	NS_STAT_INC(st, raw_tx);
	e = ns_ip_output(st, p, &tx);
	return e < 0 ? e : (ssize_t)len;
}

static ssize_t raw_recvmsg(struct ns_socket *s, struct msghdr *m, int flags, size_t *copied)
{
	struct raw_sock *r = raw_sk(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	/* Linux __skb_try_recv_datagram: a pending error comes first */
	int e = ns_socket_take_error(s);
	if (e < 0)
		return e;
	struct pkt *p = r->rq.head;
	if (!p) {
		if (r->shut_rd && !(flags & MSG_DONTWAIT))
			return 0;
		return -EAGAIN;
	}
	uint32_t dlen = p->len;
	size_t want = ns_iov_total(m);
	size_t n = NS_MIN(want, (size_t)dlen);
	struct msghdr tmp = *m;
	ns_iov_scatter(&tmp, pkt_data(p), n);
	*copied = n;
	if (n < dlen)
		m->msg_flags |= MSG_TRUNC;
	if (m->msg_name) {
		struct ns_ip src;
		const uint8_t *ih = pkt_at(p, p->l3_off);
		if (s->domain == AF_INET)
			src = ns_ip4(ns_rd32(ih + 12));
		else
			src = ns_ip6(ih + 8);
		ns_sockaddr_out(s, &src, 0, m->msg_name, &m->msg_namelen);
		/* RFC 4007 6: a link-local source with its zone */
		if (s->domain == AF_INET6 && src.v6[0] == 0xfe && (src.v6[1] & 0xc0) == 0x80 && p->nic &&
		    m->msg_namelen >= sizeof(struct sockaddr_in6))
			((struct sockaddr_in6 *)m->msg_name)->sin6_scope_id = (uint32_t)p->nic->id;
	} else {
		m->msg_namelen = 0;
	}
	if (m->msg_control)
		udp_put_cmsgs(s, p, m);
	else
		m->msg_controllen = 0;
	ssize_t ret = (flags & MSG_TRUNC) ? (ssize_t)dlen : (ssize_t)n;
	if (!(flags & MSG_PEEK)) {
		pkt_queue_pop(&r->rq);
		r->rq_mem -= ns_pkt_truesize(p);
		pkt_unref(p);
	}
	return ret;
}

static int raw_shutdown(struct ns_socket *s, int how)
{
	struct raw_sock *r = raw_sk(s);
	/* Linux inet_shutdown: the flags are set also when unconnected,
	 * which still reports ENOTCONN. */
	if (how == SHUT_RD || how == SHUT_RDWR)
		r->shut_rd = 1;
	if (how == SHUT_WR || how == SHUT_RDWR)
		r->shut_wr = 1;
	ns_socket_wake(s);
	return r->connected ? 0 : -ENOTCONN;
}

static void raw_free(struct raw_sock *r)
{
	struct raw_sock **pp = &r->sk.stack->raw;
	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	pkt_queue_purge(&r->rq);
	ns_socket_fini(&r->sk);
	free(r);
}

static void raw_release(struct ns_socket *s)
{
	raw_free(raw_sk(s));
}

static void raw_destroy(struct ns_socket *s)
{
	raw_free(raw_sk(s));
}

/* Linux inet_getname: the protocol in the port field (inet_sport), 0
 * after a disconnect took the socket out of its table. */
static int raw_getsockname(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	struct raw_sock *r = raw_sk(s);
	ns_sockaddr_out(s, &r->laddr, r->unhashed ? 0 : (uint16_t)s->protocol, a, len);
	return 0;
}

/* Linux: a connected raw socket has no peer port, and inet_getname
 * answers ENOTCONN without one (IPv6: the same). */
static int raw_getpeername(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	(void)s;
	(void)a;
	(void)len;
	return -ENOTCONN;
}

static int int_arg(const void *v, socklen_t len, int *val)
{
	*val = 0;
	if (len && !v)
		return -EFAULT;
	if (len >= (socklen_t)sizeof(int))
		memcpy(val, v, sizeof(int));
	else if (len >= 1)
		*val = *(const uint8_t *)v;
	return 0;
}

static int put_int(void *v, socklen_t *len, int val)
{
	socklen_t n = NS_MIN(*len, (socklen_t)sizeof(val));
	if (n && v)
		memcpy(v, &val, n);
	*len = n;
	return 0;
}

/* A filter option's bytes: Linux copies what is given (at most the
 * filter's size) over the filter, and reads back at most its size. */
static int filter_set(void *f, size_t size, const void *v, socklen_t len)
{
	size_t n = NS_MIN((size_t)len, size);
	if (!n)
		return 0;
	if (!v)
		return -EFAULT;
	memcpy(f, v, n);
	return 0;
}

static int filter_get(const void *f, size_t size, void *v, socklen_t *len)
{
	if ((int)*len < 0)
		return -EINVAL;
	size_t n = NS_MIN((size_t)*len, size);
	if (n && v)
		memcpy(v, f, n);
	*len = (socklen_t)n;
	return 0;
}

/* IPV6_CHECKSUM and IPV6_HDRINCL (Linux do_rawv6_setsockopt, at SOL_RAW
 * and at IPPROTO_IPV6). */
static int raw6_set(struct raw_sock *r, int level, int name, const void *v, socklen_t len)
{
	int val;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	if (!v)
		return -EFAULT;
	memcpy(&val, v, sizeof(val));
	switch (name) {
	case IPV6_HDRINCL:
		r->hdrincl = val != 0;
		return 0;
	case IPV6_CHECKSUM:
		/* RFC 3542 3.1: ICMPv6's checksum is always the stack's
		 * (Linux refuses only at IPPROTO_IPV6). An odd offset is
		 * refused; below 0 is off. */
		if (r->sk.protocol == IPPROTO_ICMPV6 && level == IPPROTO_IPV6)
			return -EINVAL;
		if (val > 0 && (val & 1))
			return -EINVAL;
		r->csum_off = val < 0 ? -1 : val;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int raw_setsockopt(struct ns_socket *s, int level, int name, const void *v, socklen_t len)
{
	struct raw_sock *r = raw_sk(s);
	int val, e;
	if (s->domain == AF_INET) {
		if (level == SOL_RAW) {
			if (name != ICMP_FILTER)
				return -ENOPROTOOPT;
			if (s->protocol != IPPROTO_ICMP)
				return -EOPNOTSUPP;
			return filter_set(&r->icmp_filter, sizeof(r->icmp_filter), v, len);
		}
		if (level != IPPROTO_IP)
			return -ENOPROTOOPT;
		if (name == IP_ROUTER_ALERT) {
			/* Linux ip_ra_control: not for IPPROTO_RAW; on twice
			 * is EADDRINUSE, off when not on ENOBUFS */
			if (s->protocol == IPPROTO_RAW)
				return -EINVAL;
			if ((e = int_arg(v, len, &val)) < 0)
				return e;
			if (!!val == r->ra)
				return val ? -EADDRINUSE : -ENOBUFS;
			r->ra = val != 0;
			return 0;
		}
		if (name == IP_HDRINCL || name == IP_NODEFRAG) {
			if ((e = int_arg(v, len, &val)) < 0)
				return e;
			*(name == IP_HDRINCL ? &r->hdrincl : &r->nodefrag) = val != 0;
			return 0;
		}
		return ns_ip_setsockopt(s, name, v, len);
	}
	if (level == SOL_RAW)
		return raw6_set(r, level, name, v, len);
	if (level == IPPROTO_ICMPV6) {
		if (s->protocol != IPPROTO_ICMPV6)
			return -EOPNOTSUPP;
		if (name != ICMP6_FILTER)
			return -ENOPROTOOPT;
		return filter_set(r->icmp6_filter, sizeof(r->icmp6_filter), v, len);
	}
	if (level != IPPROTO_IPV6)
		return -ENOPROTOOPT;
	if (name == IPV6_CHECKSUM || name == IPV6_HDRINCL)
		return raw6_set(r, level, name, v, len);
	return ns_ip6_setsockopt(s, name, v, len, 1);
}

static int raw_getsockopt(struct ns_socket *s, int level, int name, void *v, socklen_t *len)
{
	struct raw_sock *r = raw_sk(s);
	const struct ns_ip *peer = r->connected ? &r->raddr : NULL;
	if (s->domain == AF_INET) {
		if (level == SOL_RAW) {
			if (name != ICMP_FILTER)
				return -ENOPROTOOPT;
			if (s->protocol != IPPROTO_ICMP)
				return -EOPNOTSUPP;
			return filter_get(&r->icmp_filter, sizeof(r->icmp_filter), v, len);
		}
		/* Linux ip_getsockopt: EOPNOTSUPP for another level, the
		 * protocol's own too (SOL_SOCKET's are socket.c's) */
		if (level != IPPROTO_IP)
			return level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
		if (name == IP_HDRINCL)
			return put_int(v, len, r->hdrincl);
		if (name == IP_NODEFRAG)
			return put_int(v, len, r->nodefrag);
		if (name == IP_ROUTER_ALERT)
			return put_int(v, len, r->ra);
		/* (IP_PROTOCOL answers inet_num: the protocol) */
		return ns_ip_getsockopt(s, name, v, len, peer, (uint16_t)s->protocol);
	}
	if (level == IPPROTO_ICMPV6) {
		if (s->protocol != IPPROTO_ICMPV6)
			return -EOPNOTSUPP;
		if (name != ICMP6_FILTER)
			return -ENOPROTOOPT;
		return filter_get(r->icmp6_filter, sizeof(r->icmp6_filter), v, len);
	}
	if (level == SOL_RAW || (level == IPPROTO_IPV6 && (name == IPV6_CHECKSUM || name == IPV6_HDRINCL))) {
		if (name == IPV6_CHECKSUM)
			return put_int(v, len, r->csum_off);
		if (name == IPV6_HDRINCL)
			return put_int(v, len, r->hdrincl);
		return -ENOPROTOOPT;
	}
	if (level != IPPROTO_IPV6)
		return -ENOPROTOOPT;
	return ns_ip6_getsockopt(s, name, v, len, peer);
}

static uint32_t raw_poll(struct ns_socket *s)
{
	struct raw_sock *r = raw_sk(s);
	uint32_t mask = POLLOUT | POLLWRNORM;
	if (s->so_error || s->errq)
		mask |= POLLERR;
	if (r->shut_rd)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (r->shut_rd && r->shut_wr)
		mask |= POLLHUP;
	if (r->rq.head)
		mask |= POLLIN | POLLRDNORM;
	return mask;
}

static int raw_ioctl(struct ns_socket *s, unsigned long req, int *val)
{
	return ns_dgram_ioctl(&raw_sk(s)->rq, req, val);
}

static void raw_info(struct ns_socket *s, struct ns_sock_info *out)
{
	struct raw_sock *r = raw_sk(s);
	out->state = r->connected ? 1 : 7; /* Linux: TCP_ESTABLISHED / TCP_CLOSE */
	out->laddr = r->laddr;
	out->raddr = r->raddr;
	out->lport = (uint16_t)s->protocol; /* (/proc/net/raw shows it as the local port) */
	out->rport = 0;
	out->rx_queue = (uint32_t)r->rq_mem;
}

static const struct ns_sock_ops raw_sock_ops = {
	.bind = raw_bind,
	.connect = raw_connect,
	.sendmsg = raw_sendmsg,
	.recvmsg = raw_recvmsg,
	.shutdown = raw_shutdown,
	.release = raw_release,
	.getsockname = raw_getsockname,
	.getpeername = raw_getpeername,
	.setsockopt = raw_setsockopt,
	.getsockopt = raw_getsockopt,
	.poll = raw_poll,
	.ioctl = raw_ioctl,
	.destroy = raw_destroy,
	.info = raw_info,
};

int raw_socket_create(struct ns_stack *st, int domain, int protocol, struct ns_socket **out)
{
	/* Linux inet_create / inet6_create: protocol 0 names no raw
	 * protocol; past IPPROTO_MAX is EINVAL. (CAP_NET_RAW is the
	 * caller's to check.) */
	if (protocol < 0 || protocol >= RAW_PROTO_MAX)
		return -EINVAL;
	if (protocol == 0)
		return -EPROTONOSUPPORT;
	struct raw_sock *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ns_socket_init(&r->sk, st, &raw_sock_ops, domain, SOCK_RAW, protocol);
	r->laddr = r->saddr = r->raddr = ns_ip_any(domain);
	r->hdrincl = protocol == IPPROTO_RAW;
	r->csum_off = domain == AF_INET6 && protocol == IPPROTO_ICMPV6 ? 2 : -1;
	pkt_queue_init(&r->rq);
	r->next = st->raw;
	st->raw = r;
	*out = &r->sk;
	return 0;
}
