/*
 * UDP (RFC 768; host rules RFC 1122 4.1) and its datagram sockets.
 *
 * Sockets live in a table hashed by local port. Demultiplexing scores every
 * socket bound to the destination port the way Linux does: a socket bound to
 * the exact local address, connected to the exact source, or bound to the
 * input interface wins over a wildcard one; among equals in an SO_REUSEPORT
 * group a hash of the 4-tuple picks one (load balancing); broadcast
 * datagrams go to every matching socket.
 *
 * Received datagrams wait in the socket's queue as packet buffers (data at
 * the UDP payload, the IP header still at l3_off for addresses and ancillary
 * data), bounded by SO_RCVBUF; overflow is a counted drop.
 */
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* (linux/udp.h) */
#endif
#include "ns/info.h"
#include "stack_priv.h"

#define UDP_BUCKETS 1024
#define UDP_MAX_PAYLOAD4 (65535 - IP4_HDR_LEN - UDP_HDR_LEN)
#define UDP_MAX_PAYLOAD6 (65535 - UDP_HDR_LEN) /* the IPv6 payload length */


struct udp_sock {
	struct ns_socket sk;
	struct udp_sock *hnext;
	struct ns_ip laddr;
	struct ns_ip raddr;
	uint16_t lport, rport;
	uint8_t bound;	   /* in the table (explicitly or automatically) */
	uint8_t addr_locked; /* bind() chose the address */
	uint8_t port_locked; /* bind() chose the port */
	uint8_t connected;
	uint8_t shut_rd, shut_wr;
	uint8_t ping;	   /* an ICMP echo ("ping") socket: lport is the echo id */
	uint8_t cork;	   /* UDP_CORK */
	uint16_t gso_size; /* UDP_SEGMENT: a send longer than this leaves as datagrams of it, 0: off */
	uint8_t gro;	   /* UDP_GRO: a GSO datagram is read whole, with its segment size */
	uint8_t encap;	   /* UDP_ENCAP: 0, UDP_ENCAP_ESPINUDP or UDP_ENCAP_L2TPINUDP */
	/* RFC 6935/6936 zero checksums over IPv6: UDP_NO_CHECK6_TX sends
	 * them, UDP_NO_CHECK6_RX takes them (SO_NO_CHECK is IPv4's send
	 * side, NS_SO_NO_CHECK; IPv4 takes a zero checksum always) */
	uint8_t no_check6_tx, no_check6_rx;
	uint32_t drops;	   /* datagrams dropped at this socket (Linux's sk_drops, SO_RXQ_OVFL) */
	/* IPV6_RECVPATHMTU: the MTU a send refused with IPV6_DONTFRAG met,
	 * read once before any datagram (Linux keeps the latest, np->rxpmtu) */
	struct {
		uint8_t on;
		uint8_t dst[16];
		uint32_t oif, mtu;
	} rxpmtu;
	struct pkt_queue rq;
	uint32_t rq_mem;
	/* The pending datagram (UDP_CORK or MSG_MORE): what the sends so far
	 * gathered, for the destination the first of them chose. */
	struct {
		uint8_t on;
		struct ns_ip dst;
		uint16_t dport;
		int bound_nic;
		struct ns_txopt txo; /* (the first send's) */
		uint8_t *buf;
		uint32_t len, cap;
	} pend;
};

struct udp_table {
	struct udp_sock *buckets[UDP_BUCKETS];
};

static struct udp_sock *udp_sk(struct ns_socket *s)
{
	return ns_container_of(s, struct udp_sock, sk);
}

/* Ping sockets have a table of their own: their "ports" are echo ids. */
static struct udp_sock **bucket(struct ns_stack *st, int ping, uint16_t port)
{
	return &(ping ? st->ping : st->udp)->buckets[port % UDP_BUCKETS];
}

static void table_remove(struct udp_sock *u)
{
	if (!u->bound)
		return;
	struct udp_sock **pp = bucket(u->sk.stack, u->ping, u->lport);
	while (*pp && *pp != u)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = u->hnext;
	u->hnext = NULL;
	u->bound = 0;
}

static void table_insert(struct udp_sock *u)
{
	struct udp_sock **pp = bucket(u->sk.stack, u->ping, u->lport);
	/* Append: older sockets first, as in Linux's reuseport groups. */
	while (*pp)
		pp = &(*pp)->hnext;
	*pp = u;
	u->hnext = NULL;
	u->bound = 1;
}

/* Linux inet_bind conflict rules for UDP: same port and overlapping
 * addresses conflict unless both sockets set SO_REUSEADDR or both set
 * SO_REUSEPORT, or they are bound to different devices. */
static int conflicts(struct ns_stack *st, const struct udp_sock *u, const struct ns_ip *addr,
		     uint16_t port)
{
	for (struct udp_sock *o = *bucket(st, u->ping, port); o; o = o->hnext) {
		if (o == u || o->lport != port)
			continue;
		if (u->sk.bound_nic && o->sk.bound_nic && u->sk.bound_nic != o->sk.bound_nic)
			continue;
		if (!ns_ip_bind_overlap(&o->laddr, !!(o->sk.opts & NS_SO_V6ONLY), addr,
					!!(u->sk.opts & NS_SO_V6ONLY)))
			continue;
		if ((u->sk.opts & NS_SO_REUSEADDR) && (o->sk.opts & NS_SO_REUSEADDR))
			continue;
		if ((u->sk.opts & NS_SO_REUSEPORT) && (o->sk.opts & NS_SO_REUSEPORT))
			continue;
		return 1;
	}
	return 0;
}

static int pick_port(struct ns_stack *st, struct udp_sock *u, const struct ns_ip *addr)
{
	uint16_t lo, hi;
	ns_eph_range(&u->sk, &lo, &hi);
	uint32_t range = (uint32_t)hi - lo + 1;
	uint32_t start = ns_random32(st) % range;
	for (uint32_t i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(lo + (start + i) % range);
		if (!conflicts(st, u, addr, port))
			return port;
	}
	return -EADDRINUSE;
}

static int autobind(struct udp_sock *u)
{
	if (u->bound)
		return 0;
	int port = pick_port(u->sk.stack, u, &u->laddr);
	if (port < 0)
		return -EAGAIN; /* Linux: no ephemeral port left */
	u->lport = (uint16_t)port;
	table_insert(u);
	return 0;
}

/* May a socket bind to `ip`? Local addresses, and for IPv4 also broadcast
 * and multicast; with IP_FREEBIND any address. */
static int bindable(const struct ns_socket *s, const struct ns_ip *ip)
{
	struct ns_stack *st = s->stack;
	/* (all of 127/8 is local, but ::1 only while lo has it: Linux) */
	if ((s->opts & (NS_SO_FREEBIND | NS_SO_TRANSPARENT)) || ns_ip_is_any(ip) || ns_ip_is_mcast(ip) ||
	    (ip->family == AF_INET && ns_ip_is_loopback(ip)))
		return 1;
	if (ip->family == AF_INET && ns_is_bcast4(st, ip->v4))
		return 1;
	return ns_addr_nic(st, ip) != NULL;
}

static int udp_bind(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	struct udp_sock *u = udp_sk(s);
	struct ns_stack *st = s->stack;
	struct ns_sa sa;
	int r = ns_sockaddr_parse(s, a, len, NS_SA_BIND, &sa);
	if (r < 0)
		return r;
	if (sa.family == AF_UNSPEC && s->domain == AF_INET && !ns_ip_is_any(&sa.ip))
		return -EAFNOSUPPORT;
	if (u->bound)
		return -EINVAL;
	if (!bindable(s, &sa.ip))
		return -EADDRNOTAVAIL;
	if (sa.scope)
		s->bound_nic = (int)sa.scope;
	uint16_t port = sa.port;
	if (port == 0 && (s->opts & NS_SO_BIND_NO_PORT)) {
		/* the address only: the port comes with the first send or
		 * connect (autobind), as for an unbound socket */
		u->laddr = sa.ip;
		u->addr_locked = !ns_ip_is_any(&sa.ip);
		if (sa.ip.family == AF_INET6 && u->addr_locked)
			s->opts |= NS_SO_V6ONLY;
		return 0;
	}
	if (port == 0) {
		int p = pick_port(st, u, &sa.ip);
		if (p < 0)
			return p;
		port = (uint16_t)p;
	} else if (conflicts(st, u, &sa.ip, port)) {
		return -EADDRINUSE;
	} else {
		u->port_locked = 1;
	}
	u->laddr = sa.ip;
	u->lport = port;
	u->addr_locked = !ns_ip_is_any(&sa.ip);
	/* Linux: bound to an IPv6 address, the socket is IPv6-only. */
	if (sa.ip.family == AF_INET6 && u->addr_locked)
		s->opts |= NS_SO_V6ONLY;
	table_insert(u);
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

/* The source to send from: the bound address if it fits the destination's
 * family, else any (the route picks). */
static struct ns_ip send_source(const struct udp_sock *u, const struct ns_ip *dst)
{
	if (u->laddr.family == dst->family && !ns_ip_is_any(&u->laddr) && !ns_ip_is_mcast(&u->laddr) &&
	    !(dst->family == AF_INET && ns_is_bcast4(u->sk.stack, u->laddr.v4)))
		return u->laddr;
	return ns_ip_any(dst->family);
}

/* IPV6_FLOWINFO_SEND: the flow label of sin6_flowinfo (its traffic
 * class bits are not used, as on Linux); whether the socket may send it
 * is ns_fl_check's. */
static uint32_t send_label(const struct udp_sock *u, const struct ns_sa *sa)
{
	if (!(u->sk.opts6 & NS_SO6_FLOWINFO_SEND) || sa->ip.family != AF_INET6)
		return 0;
	return sa->flowinfo & 0xfffff;
}

static int udp_connect(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	struct udp_sock *u = udp_sk(s);
	struct ns_stack *st = s->stack;

	if (a && len >= (socklen_t)sizeof(sa_family_t) && a->sa_family == AF_UNSPEC) {
		/* Disconnect (Linux udp_disconnect): forget the peer, and an
		 * address/port that bind() did not choose. */
		u->connected = 0;
		u->raddr = ns_ip_any(s->domain);
		u->rport = 0;
		if (!u->addr_locked)
			u->laddr = ns_ip_any(s->domain);
		if (!u->port_locked) {
			table_remove(u);
			u->lport = 0;
		}
		return 0;
	}
	struct ns_sa sa;
	int r = ns_sockaddr_parse(s, a, len, NS_SA_CONNECT, &sa);
	if (r < 0)
		return r;
	if (sa.family == AF_UNSPEC)
		return -EAFNOSUPPORT;
	if ((r = ns_fl_check(s, send_label(u, &sa))) < 0)
		return r;
	struct ns_ip dst = sa.ip;
	any_means_loopback(&dst);
	if (u->addr_locked && u->laddr.family != dst.family)
		return -ENETUNREACH; /* bound to an address of the other family */
	struct ns_rt rt;
	struct ns_ip src = send_source(u, &dst);
	int oif = sa.scope ? (int)sa.scope : s->bound_nic;
	/* (IP_UNICAST_IF, IPV6_UNICAST_IF, as Linux's ip4_datagram_connect
	 * and ip6_datagram_connect) */
	if (!oif && !ns_ip_is_mcast(&dst))
		oif = dst.family == AF_INET ? s->uc_index : s->uc_index6;
	r = ns_route(st, &dst, &src, oif, &rt);
	if (r < 0)
		return r;
	if (rt.bcast && !(s->opts & NS_SO_BROADCAST))
		return -EACCES;
	if (!u->addr_locked)
		u->laddr = rt.src; /* the table is keyed by port only */
	r = autobind(u);
	if (r < 0)
		return r;
	if (sa.scope)
		s->bound_nic = (int)sa.scope;
	u->raddr = dst;
	u->rport = sa.port;
	u->connected = 1;
	s->flow_label6 = send_label(u, &sa);
	return 0;
}

/* How a datagram of socket s leaves: its TTL/hop limit, TOS/traffic
 * class, broadcast and DF choices, and what o (a send's control messages,
 * its flow label; NULL: none) chooses in their place. */
static struct ns_ip_tx dgram_tx(const struct ns_socket *s, const struct ns_rt *rt, const struct ns_ip *dst,
				uint8_t proto, int bound_nic, const struct ns_txopt *o)
{
	int v4 = dst->family == AF_INET;
	int dontfrag6 = o && o->dontfrag >= 0 ? o->dontfrag : !!(s->opts & NS_SO_DONTFRAG6);
	struct ns_ip_tx tx = {
		.src = rt->src,
		.dst = *dst,
		.proto = proto,
		/* (a v6 multicast datagram takes IPV6_MULTICAST_HOPS; IPv4's
		 * take mc_ttl in ip4_output) */
		.hop_limit = v4 ? s->ttl : ns_ip_is_mcast(dst) ? s->mc_hops6 : s->hoplimit6,
		.tos = v4 ? s->tos : (uint8_t)s->tclass6,
		.allow_bcast = !!(s->opts & NS_SO_BROADCAST),
		.mc_ttl = s->mc_ttl,
		.mc_loop = v4 ? s->mc_loop : s->mc_loop6,
		/* IP_PMTUDISC_DO/PROBE set DF; WANT fragments locally. */
		.df = v4 ? (s->pmtudisc == IP_PMTUDISC_DO || s->pmtudisc == IP_PMTUDISC_PROBE)
			 : (s->pmtudisc6 == IPV6_PMTUDISC_DO || s->pmtudisc6 == IPV6_PMTUDISC_PROBE || dontfrag6),
		.no_flowlabel = !!(s->opts & NS_SO_NOFLOWLABEL6),
		.frag_size = (uint32_t)s->frag_size6,
		.ext = v4 ? NULL : o && o->ext ? o->ext : s->sticky6,
		.opt4 = !v4 ? NULL : o && o->has_opt4 ? &o->opt4 : s->opt4,
		.bound_nic = bound_nic,
	};
	if (o) {
		tx.flowlabel = o->label;
		if (o->ttl >= 0)
			tx.hop_limit = o->ttl;
		if (o->tos >= 0)
			tx.tos = (uint8_t)o->tos;
	}
	return tx;
}

/* What a ping socket sends is an ICMP echo request, header included (RFC
 * 792; RFC 4443 4.1): the stack puts the socket's id in the identifier and
 * computes the checksum, as Linux's ping sockets do (udp_sendmsg refused
 * any other type or code with EINVAL). o: the send's control messages
 * (IP_TTL, IP_TOS, IP_RETOPTS...), as Linux's ping_v4_sendmsg takes them. */
static ssize_t ping_send(struct udp_sock *u, const struct msghdr *m, const struct ns_ip *dst,
			 const struct ns_rt *rt, int bound_nic, size_t len, const struct ns_txopt *o)
{
	struct ns_socket *s = &u->sk;
	int v4 = dst->family == AF_INET;
	uint8_t proto = v4 ? IPPROTO_ICMP_ : IP6_NH_ICMPV6;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)len);
	if (!p) {
		NS_STAT_INC(s->stack, udp_drop_nomem);
		return -ENOBUFS;
	}
	uint8_t *h = pkt_data(p); /* (type and code checked by the caller) */
	ns_iov_gather(m, 0, h, len);
	ns_wr16(h + 2, 0);
	ns_wr16(h + 4, u->lport);
	uint32_t sum = v4 ? 0 : ns_csum_pseudo(&rt->src, dst, proto, (uint32_t)len);
	ns_wr16(h + 2, ns_csum_fold(ns_csum_add(sum, h, len)));
	p->l4_off = pkt_pos(p);
	p->ip_proto = proto;
	p->priority = o && o->prio >= 0 ? (uint32_t)o->prio : (uint32_t)s->priority;
	p->mark = o && o->mark >= 0 ? (uint32_t)o->mark : s->mark;
	struct ns_ip_tx tx = dgram_tx(s, rt, dst, proto, bound_nic, o);
	if (v4)
		NS_STAT_INC(s->stack, icmp_ping_tx);
	else
		NS_STAT_INC(s->stack, icmp6_ping_tx);
	/* SO_TIMESTAMPING: as a UDP datagram (Linux ping_v4_sendmsg goes
	 * through ip_append_data too) */
	struct ns_tx_stamp ts;
	int stamp = ns_tx_stamp_prepare(s, o->has_ts, o->ts_flags, o->has_id ? &o->ts_id : NULL, &ts);
	if (stamp)
		s->stack->tx_stamp = &ts;
	int r = ns_ip_output(s->stack, p, &tx);
	if (stamp)
		s->stack->tx_stamp = NULL;
	return r < 0 ? r : (ssize_t)len;
}

/* Does a datagram to dst leave without a checksum: SO_NO_CHECK for
 * IPv4, UDP_NO_CHECK6_TX for IPv6 (Linux's sk_no_check_tx and
 * no_check6_tx: two flags, each its own family's). */
static int no_check_tx(const struct udp_sock *u, const struct ns_ip *dst)
{
	return dst->family == AF_INET ? !!(u->sk.opts & NS_SO_NO_CHECK) : u->no_check6_tx;
}

/* Builds and sends one UDP datagram of len bytes of m's data from off to
 * dst, as o chooses. gso (not 0): it is a GSO datagram of segments that
 * size, kept whole on its way over loopback (see udp_xmit_gso). */
static ssize_t udp_xmit_at(struct udp_sock *u, const struct msghdr *m, size_t off, size_t len,
			   const struct ns_ip *dst, uint16_t dport, const struct ns_rt *rt, int bound_nic,
			   const struct ns_txopt *o, uint16_t gso)
{
	struct ns_socket *s = &u->sk;
	struct ns_stack *st = s->stack;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, (uint32_t)(UDP_HDR_LEN + len));
	if (!p) {
		NS_STAT_INC(st, udp_drop_nomem);
		return -ENOBUFS;
	}
	uint8_t *h = pkt_data(p);
	ns_iov_gather(m, off, h + UDP_HDR_LEN, len);
	uint16_t ulen = (uint16_t)(UDP_HDR_LEN + len);
	ns_wr16(h, u->lport);
	ns_wr16(h + 2, dport);
	ns_wr16(h + 4, ulen);
	ns_wr16(h + 6, 0);
	/* RFC 768 / RFC 8200 8.1: checksum over pseudo-header and datagram;
	 * a computed 0 is sent as all ones; 0 is none (RFC 768; RFC 6935
	 * over IPv6). */
	if (!no_check_tx(u, dst)) {
		uint32_t sum = ns_csum_pseudo(&rt->src, dst, IPPROTO_UDP_, ulen);
		uint16_t c = ns_csum_fold(ns_csum_add(sum, h, ulen));
		ns_wr16(h + 6, c ? c : 0xffff);
	}
	p->l4_off = pkt_pos(p);
	p->ip_proto = IPPROTO_UDP_;
	if (gso) {
		p->gso_type = PKT_GSO_UDP_L4;
		p->gso_size = gso;
	}
	p->priority = o && o->prio >= 0 ? (uint32_t)o->prio : (uint32_t)s->priority;
	p->mark = o && o->mark >= 0 ? (uint32_t)o->mark : s->mark;

	struct ns_ip_tx tx = dgram_tx(s, rt, dst, IPPROTO_UDP_, bound_nic, o);
	NS_STAT_INC(st, udp_tx);
	/* SO_TIMESTAMPING: the datagram is stamped as it leaves, with an
	 * id of its own (a UDP_SEGMENT send's segments each, where Linux,
	 * whose loopback takes the send whole, stamps it once) */
	struct ns_tx_stamp ts;
	int stamp = ns_tx_stamp_prepare(s, o->has_ts, o->ts_flags, o->has_id ? &o->ts_id : NULL, &ts);
	if (stamp)
		st->tx_stamp = &ts;
	int r = ns_ip_output(st, p, &tx);
	if (stamp)
		st->tx_stamp = NULL;
	if (r < 0)
		return r;
	return (ssize_t)len;
}

/* UDP_SEGMENT (Linux's UDP GSO): a send longer than gso_size leaves as
 * datagrams of gso_size bytes, the last one shorter. Over loopback the
 * datagram stays whole, as on Linux's lo: a UDP_GRO socket reads it so,
 * any other gets the segments (deliver). Elsewhere it is cut here. */
#define UDP_MAX_SEGMENTS 128
static ssize_t udp_xmit_gso(struct udp_sock *u, const struct msghdr *m, size_t len, const struct ns_ip *dst,
			    uint16_t dport, const struct ns_rt *rt, int bound_nic, uint16_t seg,
			    const struct ns_txopt *o)
{
	if (rt->nic && (rt->nic->caps & NS_LINK_CAP_LOOPBACK))
		return udp_xmit_at(u, m, 0, len, dst, dport, rt, bound_nic, o, seg);
	for (size_t off = 0; off < len; off += seg) {
		ssize_t r = udp_xmit_at(u, m, off, len - off < seg ? len - off : seg, dst, dport, rt, bound_nic, o, 0);
		if (r < 0)
			return r;
	}
	return (ssize_t)len;
}

/* A send's whole datagram (or a flushed corked one): cut by UDP_SEGMENT,
 * the send's or the socket's, when longer. With a segment size, Linux's
 * udp_send_skb checks, in its order, whatever the length: a datagram or
 * a segment that does not fit the route's MTU is EMSGSIZE (it is not
 * fragmented), more than UDP_MAX_SEGMENTS segments or none of the
 * checksums GSO computes EINVAL. */
static ssize_t udp_xmit(struct udp_sock *u, const struct msghdr *m, size_t len, const struct ns_ip *dst,
			uint16_t dport, const struct ns_rt *rt, int bound_nic, const struct ns_txopt *o)
{
	uint16_t gso = o->gso >= 0 ? (uint16_t)o->gso : u->gso_size;
	if (gso) {
		size_t hdr = (dst->family == AF_INET ? 20u : 40u) + UDP_HDR_LEN;
		if (hdr + NS_MIN(len, (size_t)gso) > rt->mtu)
			return -EMSGSIZE;
		if (len > (size_t)gso * UDP_MAX_SEGMENTS || no_check_tx(u, dst))
			return -EINVAL;
		if (len > gso)
			return udp_xmit_gso(u, m, len, dst, dport, rt, bound_nic, gso, o);
	}
	return udp_xmit_at(u, m, 0, len, dst, dport, rt, bound_nic, o, 0);
}

static size_t max_payload(const struct ns_ip *dst)
{
	return dst->family == AF_INET ? UDP_MAX_PAYLOAD4 : UDP_MAX_PAYLOAD6;
}

/* Drop the pending datagram (Linux udp_flush_pending_frames). */
static void cork_flush(struct udp_sock *u)
{
	free(u->pend.buf);
	ns_ip6_ext_free(u->pend.txo.ext);
	memset(&u->pend, 0, sizeof(u->pend));
}

/* Send the pending datagram, if any (Linux udp_push_pending_frames). */
static int cork_push(struct udp_sock *u)
{
	if (!u->pend.on)
		return 0;
	struct ns_ip dst = u->pend.dst;
	struct iovec iov = { u->pend.buf, u->pend.len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct ns_ip src = send_source(u, &dst);
	struct ns_rt rt;
	ssize_t r = ns_route(u->sk.stack, &dst, &src, u->pend.bound_nic, &rt);
	if (r == 0)
		r = udp_xmit(u, &m, u->pend.len, &dst, u->pend.dport, &rt, u->pend.bound_nic, &u->pend.txo);
	cork_flush(u);
	return r < 0 ? (int)r : 0;
}

/* Add a send's data to the pending datagram (Linux ip_append_data); it
 * leaves unless more is announced. A datagram grown past the largest the
 * family allows is dropped whole, and the send fails with EMSGSIZE. */
static ssize_t cork_append(struct udp_sock *u, const struct msghdr *m, size_t len, int more)
{
	if (len > max_payload(&u->pend.dst) - u->pend.len) {
		cork_flush(u);
		return -EMSGSIZE;
	}
	uint32_t need = u->pend.len + (uint32_t)len;
	if (need > u->pend.cap) {
		uint32_t cap = NS_MAX(need, 2 * u->pend.cap);
		uint8_t *b = realloc(u->pend.buf, cap ? cap : 1);
		if (!b) {
			cork_flush(u);
			return -ENOBUFS;
		}
		u->pend.buf = b;
		u->pend.cap = cap;
	}
	if (len) /* (an empty piece: the buffer may not exist yet) */
		ns_iov_gather(m, 0, u->pend.buf + u->pend.len, len);
	u->pend.len = need;
	if (!more) {
		int r = cork_push(u);
		if (r < 0)
			return r;
	}
	return (ssize_t)len;
}

/* udpv6_sendmsg's view of the address: AF_UNSPEC means none (the
 * connected peer), a family other than AF_INET/AF_INET6 is EINVAL. */
static int udp6_name(const struct udp_sock *u, const struct msghdr *m, int *use_name)
{
	*use_name = m->msg_name != NULL;
	if (!m->msg_name || u->sk.domain != AF_INET6 || u->ping)
		return 0;
	sa_family_t fam;
	if (m->msg_namelen < (socklen_t)sizeof(fam))
		return -EINVAL;
	memcpy(&fam, m->msg_name, sizeof(fam));
	if (fam == AF_UNSPEC)
		*use_name = 0;
	else if (fam != AF_INET && fam != AF_INET6)
		return -EINVAL;
	return 0;
}

/* Linux udp_sendmsg: to an IPv4 group, IP_MULTICAST_IF's interface and
 * address stand in for those the socket did not choose; to an IPv6 one,
 * IPV6_MULTICAST_IF's interface. */
static void mcast_source(const struct ns_socket *s, const struct ns_ip *dst, struct ns_ip *src,
			 int *bound_nic)
{
	/* (IPV6_UNICAST_IF: the other IPv6 destinations' interface) */
	if (dst->family == AF_INET6 && !*bound_nic)
		*bound_nic = ns_ip_is_mcast(dst) ? s->mc_index6 : s->uc_index6;
	if (dst->family != AF_INET)
		return;
	if (!ip4_is_mcast(dst->v4)) {
		/* IP_UNICAST_IF: the other IPv4 destinations' interface */
		if (!*bound_nic)
			*bound_nic = s->uc_index;
		return;
	}
	if (!*bound_nic)
		*bound_nic = s->mc_index;
	if (ns_ip_is_any(src) && s->mc_addr)
		*src = ns_ip4(s->mc_addr);
}

/* An int control message's value (Linux: exactly an int, else EINVAL). */
static int cmsg_int(const struct cmsghdr *c, int *v)
{
	if (c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EINVAL;
	memcpy(v, CMSG_DATA(c), sizeof(int));
	return 0;
}

/*
 * A send's control messages, as Linux's udp_sendmsg reads them after the
 * destination and before the route: SOL_UDP's UDP_SEGMENT (udp_cmsg_send);
 * SOL_SOCKET's (__sock_cmsg_send: SO_PRIORITY and SO_MARK go with the
 * datagram, as the socket's would; nothing here acts on a departure time
 * or a stamping request); then by the
 * destination's family IPv4's (ip_cmsg_send: IP_PKTINFO's source and
 * interface, IP_TTL, IP_TOS, IP_PROTOCOL) or IPv6's
 * (ip6_datagram_send_ctl: IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS,
 * IPV6_DONTFRAG, IPV6_FLOWINFO, the extension headers); other levels are
 * skipped, an unknown type of these is EINVAL. *src and *oif take what
 * IP_PKTINFO/IPV6_PKTINFO name; IP_RETOPTS the options of this datagram.
 * o->ext may be set on an error too (the caller frees it).
 */
static int send_cmsgs(const struct udp_sock *u, const struct msghdr *m, const struct ns_ip *dst,
		      struct ns_txopt *o, struct ns_ip *src, int *oif)
{
	const struct ns_socket *s = &u->sk;
	int v;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (!ns_cmsg_ok(m, c))
			return -EINVAL;
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_level == IPPROTO_UDP) {
			uint16_t g;
			if (c->cmsg_type != UDP_SEGMENT || c->cmsg_len != CMSG_LEN(sizeof(g)))
				return -EINVAL;
			memcpy(&g, CMSG_DATA(c), sizeof(g));
			o->gso = g;
			continue;
		}
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == NS_SCM_TS_OPT_ID) {
			/* (Linux __sock_cmsg_send: on a socket with OPT_ID) */
			if (!(s->tsflags & NS_SOF_OPT_ID) || c->cmsg_len != CMSG_LEN(sizeof(o->ts_id)))
				return -EINVAL;
			o->has_id = 1;
			memcpy(&o->ts_id, CMSG_DATA(c), sizeof(o->ts_id));
			continue;
		}
		if (c->cmsg_level == SOL_SOCKET) {
			int r = ns_sock_cmsg_check(c);
			if (r < 0)
				return r;
			if (c->cmsg_type == SO_TIMESTAMPING_OLD || c->cmsg_type == SO_TIMESTAMPING_NEW) {
				o->has_ts = 1;
				memcpy(&o->ts_flags, CMSG_DATA(c), sizeof(o->ts_flags));
			}
			if (c->cmsg_type == SO_PRIORITY || c->cmsg_type == SO_MARK) {
				uint32_t x; /* (its size checked) */
				memcpy(&x, CMSG_DATA(c), sizeof(x));
				*(c->cmsg_type == SO_PRIORITY ? &o->prio : &o->mark) = x;
			}
			continue;
		}
		if (dst->family == AF_INET && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    s->domain == AF_INET6) {
			/* (an IPv6 socket's IPv4 datagram: a v4-mapped source) */
			struct in6_pktinfo pi;
			if (dl < sizeof(pi))
				return -EINVAL;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (pi.ipi6_ifindex)
				*oif = (int)pi.ipi6_ifindex;
			if (!ns_ip6_is_v4mapped(pi.ipi6_addr.s6_addr))
				return -EINVAL;
			*src = ns_ip_from_v4mapped(pi.ipi6_addr.s6_addr);
			continue;
		}
		if (dst->family == AF_INET) {
			if (c->cmsg_level != IPPROTO_IP)
				continue;
			switch (c->cmsg_type) {
			case IP_PKTINFO: {
				struct in_pktinfo pi;
				if (c->cmsg_len != CMSG_LEN(sizeof(pi)))
					return -EINVAL;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				/* (Linux finds both out at the route: no such
				 * interface, ENODEV; a source not ours, without
				 * IP_TRANSPARENT, no route) */
				if (pi.ipi_ifindex && !ns_nic_get(s->stack, pi.ipi_ifindex))
					return -ENODEV;
				uint32_t a = ntohl(pi.ipi_spec_dst.s_addr);
				if (a && !(s->opts & NS_SO_TRANSPARENT) && !ns_addr4_nic(s->stack, a))
					return -ENETUNREACH;
				*oif = pi.ipi_ifindex;
				*src = ns_ip4(a);
				break;
			}
			case IP_TTL:
				if (cmsg_int(c, &v) < 0 || v < 1 || v > 255)
					return -EINVAL;
				o->ttl = v;
				break;
			case IP_TOS:
				if (c->cmsg_len == CMSG_LEN(sizeof(int)))
					memcpy(&v, CMSG_DATA(c), sizeof(int));
				else if (c->cmsg_len == CMSG_LEN(1))
					v = *CMSG_DATA(c);
				else
					return -EINVAL;
				if (v < 0 || v > 255)
					return -EINVAL;
				o->tos = v;
				break;
			case IP_RETOPTS: {
				/* options for this datagram only, in place of
				 * the socket's (Linux: the first 40 bytes of a
				 * longer message; none at all sends none) */
				int r = ip4_opts_set(s->stack, &o->opt4, CMSG_DATA(c), dl < IP4_OPT_MAX ? dl : IP4_OPT_MAX,
						     s->caller.net_raw);
				if (r < 0)
					return r;
				o->has_opt4 = 1;
				break;
			}
			case IP_PROTOCOL:
				/* (a raw socket's protocol: checked, nothing more) */
				if (cmsg_int(c, &v) < 0 || v < 1 || v > 255)
					return -EINVAL;
				break;
			default:
				return -EINVAL;
			}
			continue;
		}
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		int r = ns_ip6_cmsg(s, c, o, src, oif);
		if (r < 0)
			return r;
	}
	return 0;
}

/* IPV6_RECVPATHMTU (RFC 3542 11.3): a send IPV6_DONTFRAG (the socket's,
 * or its control message's) refused as too big leaves the path MTU to
 * read, less the extension headers the datagram carries (Linux's
 * ipv6_local_rxpmtu: the MTU IPV6_MTU lowers). */
static void note_rxpmtu(struct udp_sock *u, const struct ns_ip *dst, const struct ns_rt *rt, int oif,
			const struct ns_txopt *o)
{
	const struct ns_socket *s = &u->sk;
	int dontfrag = o->dontfrag >= 0 ? o->dontfrag : !!(s->opts & NS_SO_DONTFRAG6);
	if (dst->family != AF_INET6 || !dontfrag || !(s->opts6 & NS_SO6_RECVPATHMTU))
		return;
	uint32_t mtu = rt->mtu;
	if (s->frag_size6 && (uint32_t)s->frag_size6 < mtu)
		mtu = (uint32_t)s->frag_size6;
	const struct ns_ip6_sticky *ext = o->ext ? o->ext : s->sticky6;
	if (ext)
		mtu = mtu > ext->chain_len ? mtu - ext->chain_len : 0;
	u->rxpmtu.on = 1;
	memcpy(u->rxpmtu.dst, dst->v6, 16);
	u->rxpmtu.oif = (uint32_t)oif;
	u->rxpmtu.mtu = mtu;
}

static ssize_t udp_sendmsg(struct ns_socket *s, const struct msghdr *m, int flags)
{
	struct udp_sock *u = udp_sk(s);
	struct ns_stack *st = s->stack;
	struct ns_ip dst;
	uint16_t dport;
	int bound_nic = s->bound_nic;
	int use_name, r, fl_held = 0; /* (fl_held: the label's lease is the socket's, checked) */
	struct ns_sa sa;

	/* Linux inet_send_prepare(): every send binds an unbound socket to
	 * a port first, also one that then fails. */
	if (!u->ping && (r = autobind(u)) < 0)
		return -EAGAIN;
	/* Linux: IPv4 UDP and ping refuse out-of-band data; udpv6 ignores
	 * the flag. */
	if ((flags & MSG_OOB) && (s->domain == AF_INET || u->ping))
		return -EOPNOTSUPP;
	size_t len = ns_iov_total(m);
	int more = !u->ping && (u->cork || (flags & MSG_MORE));
	if ((r = udp6_name(u, m, &use_name)) < 0)
		return r;
	/* IPv6 sockets check the address before appending (a pending IPv6
	 * datagram takes no IPv4 data: EINVAL); IPv4 ones append whatever
	 * address is given. Either way the data joins the pending datagram
	 * for its first destination (Linux udp_sendmsg, udpv6_sendmsg). */
	if (use_name && s->domain == AF_INET6) {
		r = ns_sockaddr_parse(s, m->msg_name, m->msg_namelen, NS_SA_SEND, &sa);
		if (r < 0)
			return r;
	}
	if (u->pend.on) {
		if (use_name && s->domain == AF_INET6 && sa.ip.family == AF_INET &&
		    u->pend.dst.family == AF_INET6)
			return -EINVAL;
		return cork_append(u, m, len, more);
	}
	if (use_name) {
		if (s->domain == AF_INET) {
			r = ns_sockaddr_parse(s, m->msg_name, m->msg_namelen, NS_SA_SEND, &sa);
			if (r < 0)
				return r;
		}
		if (sa.port == 0 && !u->ping) /* (a ping socket has no peer port) */
			return -EINVAL;
		if ((fl_held = ns_fl_check(s, send_label(u, &sa))) < 0)
			return fl_held;
		dst = sa.ip;
		dport = sa.port;
		if (sa.scope)
			bound_nic = (int)sa.scope;
		any_means_loopback(&dst);
	} else {
		if (!u->connected)
			return -EDESTADDRREQ;
		/* An explicit AF_UNSPEC takes udpv6's IPv6 path, where an
		 * IPv4 peer has no route (Linux). */
		if (m->msg_name && !u->ping && s->domain == AF_INET6 && u->raddr.family == AF_INET)
			return -ENETUNREACH;
		dst = u->raddr;
		dport = u->rport;
	}
	if (len > max_payload(&dst) + (u->ping ? UDP_HDR_LEN : 0))
		return -EMSGSIZE;
	if (u->addr_locked && u->laddr.family != dst.family && !ns_ip_is_mcast(&u->laddr))
		return -ENETUNREACH;
	if (u->ping) { /* (a refused request binds no id) */
		uint8_t h2[2];
		if (len < 8)
			return -EINVAL;
		ns_iov_gather(m, 0, h2, 2);
		if (h2[0] != (dst.family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQ) || h2[1] != 0)
			return -EINVAL;
	}
	struct ns_txopt txo = NS_TXOPT_NONE;
	struct ns_ip cm_src = ns_ip_any(dst.family);
	if (m->msg_controllen && (r = send_cmsgs(u, m, &dst, &txo, &cm_src, &bound_nic)) < 0)
		goto out;
	/* (a label from a control message, or the connected one, with
	 * control messages: may the socket send it) */
	if (m->msg_controllen && !fl_held &&
	    (fl_held = ns_fl_check(s, txo.label ? txo.label : use_name ? send_label(u, &sa) : s->flow_label6)) < 0) {
		r = fl_held;
		goto out;
	}
	if ((r = autobind(u)) < 0)
		goto out;

	struct ns_ip src = ns_ip_is_any(&cm_src) ? send_source(u, &dst) : cm_src;
	mcast_source(s, &dst, &src, &bound_nic);
	struct ns_rt rt;
	r = ns_route(st, &dst, &src, bound_nic, &rt);
	if (r < 0) {
		NS_STAT_NO_ROUTE(st, dst.family);
		goto out;
	}
	if (rt.bcast && !(s->opts & NS_SO_BROADCAST)) {
		r = -EACCES;
		goto out;
	}
	/* A new datagram's buffer reports a pending error (an ICMP's), and
	 * after SHUT_WR gets none (Linux sock_alloc_send_skb: the error,
	 * then EPIPE, after the destination and route are checked: a bad
	 * port is EINVAL with the error still pending); a pending datagram
	 * still takes data (above). */
	if ((r = ns_socket_take_error(s)) < 0)
		goto out;
	if (u->shut_wr) {
		r = -EPIPE;
		goto out;
	}
	ssize_t sent;
	if (u->ping) {
		sent = ping_send(u, m, &dst, &rt, bound_nic, len, &txo);
		ns_ip6_ext_free(txo.ext);
		return sent;
	}
	if (!txo.label)
		txo.label = use_name ? send_label(u, &sa) : s->flow_label6;
	if (fl_held && (r = ns_fl_merge(s, txo.label, &txo.ext)) < 0)
		goto out;
	if (more) {
		u->pend.on = 1;
		u->pend.dst = dst;
		u->pend.dport = dport;
		u->pend.bound_nic = bound_nic;
		u->pend.txo = txo; /* (with its headers) */
		return cork_append(u, m, len, more);
	}
	sent = udp_xmit(u, m, len, &dst, dport, &rt, bound_nic, &txo);
	if (sent == -EMSGSIZE)
		note_rxpmtu(u, &dst, &rt, bound_nic, &txo);
	ns_ip6_ext_free(txo.ext);
	return sent;
out:
	ns_ip6_ext_free(txo.ext);
	return r;
}

/* Addresses and header fields of a received datagram, from its IP header. */
struct rx_meta {
	struct ns_ip src, dst;
	uint8_t hops, tclass;
};

static void rx_meta_get(const struct pkt *p, struct rx_meta *rm)
{
	const uint8_t *ih = pkt_at(p, p->l3_off);
	memset(rm, 0, sizeof(*rm));
	if ((ih[0] >> 4) == 6) {
		rm->src.family = rm->dst.family = AF_INET6;
		memcpy(rm->src.v6, ih + 8, 16);
		memcpy(rm->dst.v6, ih + 24, 16);
		rm->hops = ih[7];
		rm->tclass = (uint8_t)((ns_rd16(ih) >> 4) & 0xff);
	} else {
		rm->src = ns_ip4(ns_rd32(ih + 12));
		rm->dst = ns_ip4(ns_rd32(ih + 16));
		rm->hops = ih[8];
		rm->tclass = ih[1];
	}
}

/* IP_RECVOPTS: a received datagram's IPv4 options as this end host
 * filled them (our address in a record route, our time in a timestamp);
 * IP_RETOPTS: the same turned round for a reply (ip4opt.c). Linux's
 * messages, both after IP_TOS, only for a datagram with options; an
 * IP_RETOPTS of no bytes when nothing is to be echoed. */
static void put_opts4(struct ns_socket *s, const struct pkt *p, struct msghdr *m, size_t *used)
{
	struct ns_stack *st = s->stack;
	const uint8_t *ih = pkt_at(p, p->l3_off);
	uint32_t dst = ns_rd32(ih + 16), spec = dst;
	/* (a broadcast or group's datagram: the interface's address) */
	if (!ns_addr4_nic(st, dst) && p->nic && p->nic->naddr4)
		spec = p->nic->addr4[0].addr.v4;
	struct ip4_opts rx;
	if (ip4_opts_received(st, ih, spec, ns_stack_now(st), &rx) < 0)
		return;
	if (s->opts & NS_SO_RECVOPTS)
		ns_cmsg_put(m, used, IPPROTO_IP, IP_RECVOPTS, rx.data, rx.len);
	if (s->opts & NS_SO_RETOPTS) {
		uint8_t b[IP4_OPT_MAX];
		int n = ip4_opts_retopts(st, &rx, b);
		if (n < 0)
			m->msg_flags |= MSG_CTRUNC;
		else
			ns_cmsg_put(m, used, IPPROTO_IP, IP_RETOPTS, b, (size_t)n);
	}
}

void udp_put_cmsgs(struct ns_socket *s, const struct pkt *p, struct msghdr *m)
{
	size_t used = 0;
	struct rx_meta rm;
	rx_meta_get(p, &rm);
	int ifindex = p->nic ? p->nic->id : 0;
	if ((s->opts & NS_SO_RXQ_OVFL) && p->cookie) {
		/* Linux's sock_recv_drops: the drops before this datagram */
		uint32_t d = (uint32_t)p->cookie;
		ns_cmsg_put(m, &used, SOL_SOCKET, SO_RXQ_OVFL, &d, sizeof(d));
	}
	/* Linux's __sock_recv_cmsgs: the sender's mark and priority, which
	 * the packet kept over loopback (pkt.mark, pkt.priority) */
	if (s->opts6 & NS_SO_RCVMARK) {
		uint32_t mk = p->mark;
		ns_cmsg_put(m, &used, SOL_SOCKET, SO_MARK, &mk, sizeof(mk));
	}
	if (s->opts & NS_SO_RCVPRIORITY) {
		uint32_t pr = p->priority;
		ns_cmsg_put(m, &used, SOL_SOCKET, SO_PRIORITY, &pr, sizeof(pr));
	}
	/* (raw sockets share this: only a UDP socket has UDP_GRO) */
	if (s->type == SOCK_DGRAM && udp_sk(s)->gro && p->gso_type == PKT_GSO_UDP_L4) {
		/* Linux's udp_cmsg_recv: the segment size, before IP's */
		int g = p->gso_size;
		ns_cmsg_put(m, &used, IPPROTO_UDP, UDP_GRO, &g, sizeof(g));
	}
	if (rm.dst.family == AF_INET) {
		if (s->opts & NS_SO_PKTINFO) {
			struct in_pktinfo pi;
			memset(&pi, 0, sizeof(pi));
			pi.ipi_ifindex = ifindex;
			pi.ipi_addr.s_addr = htonl(rm.dst.v4);
			/* ipi_spec_dst: the local address a reply would come from. */
			uint32_t spec = rm.dst.v4;
			if (!ns_addr4_nic(s->stack, spec) && p->nic && p->nic->naddr4)
				spec = p->nic->addr4[0].addr.v4;
			/* Linux: from 0.0.0.0, a link-scope address of the
			 * interface; a loopback one has none. */
			if (!rm.src.v4 && p->nic && (p->nic->caps & NS_LINK_CAP_LOOPBACK))
				spec = 0;
			pi.ipi_spec_dst.s_addr = htonl(spec);
			ns_cmsg_put(m, &used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
		}
		if (s->opts & NS_SO_RECVTTL) {
			int ttl = rm.hops;
			ns_cmsg_put(m, &used, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		}
		if (s->opts & NS_SO_RECVTOS) {
			uint8_t tos = rm.tclass;
			ns_cmsg_put(m, &used, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		}
		if (s->opts & (NS_SO_RECVOPTS | NS_SO_RETOPTS))
			put_opts4(s, p, m, &used);
		/* (the ports, as Linux, only when the datagram has them) */
		if ((s->opts & NS_SO_ORIGDSTADDR) && p->l4_off + 4 <= pkt_pos(p) + p->len) {
			/* The address and port the datagram was sent to. */
			struct sockaddr_in od;
			memset(&od, 0, sizeof(od));
			od.sin_family = AF_INET;
			od.sin_port = htons(ns_rd16(pkt_at(p, p->l4_off) + 2));
			od.sin_addr.s_addr = htonl(rm.dst.v4);
			ns_cmsg_put(m, &used, IPPROTO_IP, IP_ORIGDSTADDR, &od, sizeof(od));
		}
	} else {
		/* RFC 3542 6 (IPV6_RECVORIGDSTADDR's port: 0 where a raw
		 * socket's datagram is too short to have one) */
		ns_ip6_recv_cmsgs(s, pkt_at(p, p->l3_off), p->l4_off - p->l3_off, ifindex,
				  p->l4_off + 4 <= pkt_pos(p) + p->len ? ns_rd16(pkt_at(p, p->l4_off) + 2) : 0, m,
				  &used);
	}
	/* IP_RECVFRAGSIZE: a reassembled datagram's largest fragment (Linux:
	 * after the others). IPV6_RECVFRAGSIZE is kept but gives nothing, as
	 * on Linux, whose IPv6 reassembly records no fragment size (only
	 * netfilter's does, which the sandbox has not). */
	if (p->frag_max && rm.dst.family == AF_INET && (s->opts6 & NS_SO_RECVFRAGSIZE4)) {
		int fs = (int)p->frag_max;
		ns_cmsg_put(m, &used, IPPROTO_IP, IP_RECVFRAGSIZE, &fs, sizeof(fs));
	}
	m->msg_controllen = used;
}

/* IPV6_RECVPATHMTU's report: no data, the destination as the source
 * address and an IPV6_PATHMTU message (Linux's ipv6_recv_rxpmtu; an
 * application's peek takes it too). */
static ssize_t read_rxpmtu(struct udp_sock *u, struct msghdr *m, int take)
{
	struct ip6_mtuinfo mi;
	memset(&mi, 0, sizeof(mi));
	mi.ip6m_addr.sin6_family = AF_INET6;
	memcpy(mi.ip6m_addr.sin6_addr.s6_addr, u->rxpmtu.dst, 16);
	mi.ip6m_addr.sin6_scope_id = u->rxpmtu.oif;
	mi.ip6m_mtu = u->rxpmtu.mtu;
	if (take)
		u->rxpmtu.on = 0;
	if (m->msg_name) {
		socklen_t n = NS_MIN(m->msg_namelen, (socklen_t)sizeof(mi.ip6m_addr));
		memcpy(m->msg_name, &mi.ip6m_addr, n);
		m->msg_namelen = sizeof(mi.ip6m_addr);
	}
	size_t used = 0;
	if (m->msg_control)
		ns_cmsg_put(m, &used, IPPROTO_IPV6, IPV6_PATHMTU, &mi, sizeof(mi));
	m->msg_controllen = used;
	return 0;
}

/* The datagram a receive reads, and where in it (*off): the head, for a
 * read or a peek without SO_PEEK_OFF (or at NS_MSG_HEAD); else the one
 * the offset reaches past the whole datagrams it covers, NULL when it
 * covers them all. */
static struct pkt *recv_pick(struct udp_sock *u, int flags, uint32_t *off)
{
	struct pkt *p = u->rq.head;
	*off = 0;
	if (!(flags & MSG_PEEK) || (flags & NS_MSG_HEAD) || u->sk.peek_off < 0)
		return p;
	uint32_t skip = (uint32_t)u->sk.peek_off;
	while (p && ns_peek_off_passes(skip, p->len, p->flags & PKT_F_PEEKED)) {
		skip -= p->len;
		p = p->next;
	}
	*off = skip;
	return p;
}

static ssize_t udp_recvmsg(struct ns_socket *s, struct msghdr *m, int flags, size_t *copied)
{
	struct udp_sock *u = udp_sk(s);
	int r;

	/* Linux: UDP reads ignore MSG_OOB; ping sockets refuse it. */
	if ((flags & MSG_OOB) && u->ping)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN; /* no error queue yet: nothing queued */
	/* Linux __skb_recv_udp(): a pending error (ICMP, or a failed
	 * resolution) is reported, and cleared, before any queued datagram. */
	if ((r = ns_socket_take_error(s)) < 0)
		return r;
	if (u->rxpmtu.on && (s->opts6 & NS_SO6_RECVPATHMTU))
		return read_rxpmtu(u, m, !(flags & MSG_PEEK) || !(flags & NS_MSG_HEAD));
	uint32_t off;
	struct pkt *p = recv_pick(u, flags, &off);
	if (!p) {
		/* Linux __skb_wait_for_more_packets(): a reader that would
		 * wait gets 0 after SHUT_RD; one that would not, EAGAIN. (The
		 * stack itself never waits: without MSG_DONTWAIT the caller
		 * says it would.) A peek offset past every datagram is as an
		 * empty queue. */
		if (u->shut_rd && !(flags & MSG_DONTWAIT))
			return 0;
		return -EAGAIN;
	}
	int peek = (flags & MSG_PEEK) && !(flags & NS_MSG_HEAD);
	if (peek && !p->len)
		p->flags |= PKT_F_PEEKED;
	/* Linux udp_recvmsg: a buffer with room for the rest of the
	 * datagram takes it; one without is truncated, and so is one of
	 * just the rest's size when an offset began inside the datagram. */
	size_t want = ns_iov_total(m), rest = p->len - off;
	size_t n = NS_MIN(want, rest);
	struct msghdr tmp = *m;
	ns_iov_scatter(&tmp, pkt_data(p) + off, n);
	*copied = n;
	if (want <= rest && want < p->len)
		m->msg_flags |= MSG_TRUNC;
	if (m->msg_name) {
		struct rx_meta rm;
		rx_meta_get(p, &rm);
		const uint8_t *uh = pkt_at(p, p->l4_off);
		ns_sockaddr_out(s, &rm.src, u->ping ? 0 : ns_rd16(uh), m->msg_name, &m->msg_namelen);
	} else {
		m->msg_namelen = 0;
	}
	if (m->msg_control)
		udp_put_cmsgs(s, p, m);
	else
		m->msg_controllen = 0;
	ssize_t ret = (flags & MSG_TRUNC) ? (ssize_t)p->len : (ssize_t)n;
	/* The peek offset moves by what the call returns (Linux
	 * skb_consume_udp), the datagram's length with MSG_TRUNC. */
	if (peek)
		s->peek_off = ns_peek_off_move(s->peek_off, ret);
	if (!(flags & MSG_PEEK)) {
		s->peek_off = ns_peek_off_move(s->peek_off, -ret);
		pkt_queue_pop(&u->rq);
		u->rq_mem -= ns_pkt_truesize(p);
		pkt_unref(p);
	}
	return ret;
}

static int udp_shutdown(struct ns_socket *s, int how)
{
	struct udp_sock *u = udp_sk(s);
	/* Linux inet_shutdown: flags are set even when unconnected, which
	 * still reports ENOTCONN (so pollers see the hang-up). */
	if (how == SHUT_RD || how == SHUT_RDWR)
		u->shut_rd = 1;
	if (how == SHUT_WR || how == SHUT_RDWR)
		u->shut_wr = 1;
	ns_socket_wake(s);
	return u->connected ? 0 : -ENOTCONN;
}

static void udp_free(struct udp_sock *u)
{
	cork_flush(u); /* (Linux udp_destroy_sock: never sent) */
	table_remove(u);
	pkt_queue_purge(&u->rq);
	ns_socket_fini(&u->sk);
	free(u);
}

static void udp_release(struct ns_socket *s)
{
	udp_free(udp_sk(s));
}

static int udp_getsockname(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	struct udp_sock *u = udp_sk(s);
	ns_sockaddr_out(s, &u->laddr, u->lport, a, len);
	return 0;
}

static int udp_getpeername(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	struct udp_sock *u = udp_sk(s);
	if (!u->connected)
		return -ENOTCONN;
	ns_sockaddr_out(s, &u->raddr, u->rport, a, len);
	return 0;
}

/* IPPROTO_UDP options: UDP_CORK; clearing it sends what is pending.
 * (Linux udp_lib_setsockopt wants an int before it looks at the name.) */
static int udp_setsockopt_udp(struct udp_sock *u, int name, const void *v, socklen_t len)
{
	int val;
	if (!v || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(&val, v, sizeof(val));
	switch (name) {
	case UDP_SEGMENT:
		if (val < 0 || val > 0xffff)
			return -EINVAL;
		u->gso_size = (uint16_t)val;
		return 0;
	case UDP_GRO:
		u->gro = val != 0;
		return 0;
	case UDP_ENCAP:
		/* Linux 6.x takes none, RFC 3948's ESP in UDP (IPsec's NAT
		 * traversal) and L2TP's; the others are ENOPROTOOPT */
		if (val != 0 && val != UDP_ENCAP_ESPINUDP && val != UDP_ENCAP_L2TPINUDP)
			return -ENOPROTOOPT;
		u->encap = (uint8_t)val;
		return 0;
	case UDP_NO_CHECK6_TX:
		u->no_check6_tx = val != 0; /* (an IPv4 socket's too: Linux keeps it) */
		return 0;
	case UDP_NO_CHECK6_RX:
		u->no_check6_rx = val != 0;
		return 0;
	case UDP_CORK:
		break;
	default:
		return -ENOPROTOOPT;
	}
	u->cork = val != 0;
	if (!val)
		cork_push(u);
	return 0;
}

static int udp_setsockopt(struct ns_socket *s, int level, int name, const void *v, socklen_t len)
{
	if (level == IPPROTO_IP)
		return ns_ip_setsockopt(s, name, v, len);
	if (level == IPPROTO_IPV6)
		return ns_ip6_setsockopt(s, name, v, len, udp_sk(s)->bound);
	if (level == IPPROTO_UDP && !udp_sk(s)->ping)
		return udp_setsockopt_udp(udp_sk(s), name, v, len);
	return -ENOPROTOOPT;
}

static int udp_getsockopt(struct ns_socket *s, int level, int name, void *v, socklen_t *len)
{
	if (level == IPPROTO_IP)
		return ns_ip_getsockopt(s, name, v, len, udp_sk(s)->connected ? &udp_sk(s)->raddr : NULL,
					udp_sk(s)->lport);
	if (level == IPPROTO_IPV6)
		return udp_sk(s)->ping && name == IPV6_ADDRFORM
			       ? -ENOPROTOOPT
			       : ns_ip6_getsockopt(s, name, v, len,
						   udp_sk(s)->connected ? &udp_sk(s)->raddr : NULL);
	if (level == IPPROTO_UDP && !udp_sk(s)->ping) {
		/* Linux udp_lib_getsockopt: at most an int's bytes. */
		struct udp_sock *u = udp_sk(s);
		int val;
		switch (name) {
		case UDP_CORK: val = u->cork; break;
		case UDP_SEGMENT: val = u->gso_size; break;
		case UDP_GRO: val = u->gro; break;
		case UDP_ENCAP: val = u->encap; break;
		/* UDP-Lite's checksum coverage: a UDP socket covers all
		 * (Linux reads 0; setting them is UDP-Lite's, ENOPROTOOPT) */
		case UDPLITE_SEND_CSCOV:
		case UDPLITE_RECV_CSCOV: val = 0; break;
		case UDP_NO_CHECK6_TX: val = u->no_check6_tx; break;
		case UDP_NO_CHECK6_RX: val = u->no_check6_rx; break;
		default: return -ENOPROTOOPT;
		}
		if ((int)*len < 0)
			return -EINVAL;
		socklen_t n = NS_MIN(*len, (socklen_t)sizeof(val));
		if (n && v)
			memcpy(v, &val, n);
		*len = n;
		return 0;
	}
	return -ENOPROTOOPT;
}

static uint32_t udp_poll(struct ns_socket *s)
{
	struct udp_sock *u = udp_sk(s);
	uint32_t mask = POLLOUT | POLLWRNORM;
	if (s->so_error)
		mask |= POLLERR;
	if (u->shut_rd)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->shut_rd && u->shut_wr)
		mask |= POLLHUP;
	if (u->rq.head)
		mask |= POLLIN | POLLRDNORM;
	return mask;
}

static int udp_ioctl(struct ns_socket *s, unsigned long req, int *val)
{
	return ns_dgram_ioctl(&udp_sk(s)->rq, req, val);
}

static void udp_info(struct ns_socket *s, struct ns_sock_info *out)
{
	struct udp_sock *u = udp_sk(s);
	out->state = u->connected ? 1 : 7; /* Linux: TCP_ESTABLISHED / TCP_CLOSE */
	out->laddr = u->laddr;
	out->raddr = u->raddr;
	out->lport = u->lport;
	out->rport = u->rport;
	out->rx_queue = (uint32_t)u->rq.bytes;
	out->drops = u->drops;
}

static void udp_destroy(struct ns_socket *s)
{
	udp_free(udp_sk(s));
}

static const struct ns_sock_ops udp_sock_ops = {
	.bind = udp_bind,
	.connect = udp_connect,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.shutdown = udp_shutdown,
	.release = udp_release,
	.getsockname = udp_getsockname,
	.getpeername = udp_getpeername,
	.setsockopt = udp_setsockopt,
	.getsockopt = udp_getsockopt,
	.poll = udp_poll,
	.ioctl = udp_ioctl,
	.destroy = udp_destroy,
	.info = udp_info,
};

int udp_socket_create(struct ns_stack *st, int domain, int ping, struct ns_socket **out)
{
	struct udp_sock *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ns_socket_init(&u->sk, st, &udp_sock_ops, domain, SOCK_DGRAM,
		       !ping ? IPPROTO_UDP : domain == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	u->ping = (uint8_t)!!ping;
	u->laddr = ns_ip_any(domain);
	u->raddr = ns_ip_any(domain);
	pkt_queue_init(&u->rq);
	*out = &u->sk;
	return 0;
}

/* ---- input ---- */

/* Linux compute_score(): -1 no match, higher is more specific. */
static int score(const struct udp_sock *u, const struct ns_ip *saddr, uint16_t sport,
		 const struct ns_ip *daddr, uint16_t dport, int nic)
{
	if (!u->bound || u->lport != dport)
		return -1;
	if (u->ping && u->sk.domain != daddr->family)
		return -1; /* ICMP to AF_INET ping sockets, ICMPv6 to AF_INET6 ones */
	if (!ns_ip_addr_accepts(&u->laddr, !!(u->sk.opts & NS_SO_V6ONLY), daddr))
		return -1;
	/* Linux compute_score(): a socket of the packet's own family first. */
	int sc = u->sk.domain == daddr->family ? 1 : 0;
	if (!ns_ip_is_any(&u->laddr))
		sc += 4;
	if (u->connected) {
		if (!ns_ip_eq(&u->raddr, saddr) || u->rport != sport)
			return -1;
		sc += 4;
	}
	if (u->sk.bound_nic) {
		/* nic < 0: any interface (an error about what we sent). */
		if (nic >= 0 && u->sk.bound_nic != nic)
			return -1;
		sc += 4;
	}
	return sc;
}

static struct udp_sock *lookup(struct ns_stack *st, int ping, const struct ns_ip *saddr, uint16_t sport,
			       const struct ns_ip *daddr, uint16_t dport, int nic)
{
	struct udp_sock *best = NULL;
	int best_sc = -1;
	uint32_t matches = 0;
	uint8_t key[36];
	size_t al = saddr->family == AF_INET ? 4 : 16;
	memcpy(key, saddr->family == AF_INET ? (const void *)&saddr->v4 : saddr->v6, al);
	memcpy(key + al, daddr->family == AF_INET ? (const void *)&daddr->v4 : daddr->v6, al);
	ns_wr16(key + 2 * al, sport);
	ns_wr16(key + 2 * al + 2, dport);
	uint32_t hash = (uint32_t)ns_siphash(st->secret, key, 2 * al + 4);

	for (struct udp_sock *u = *bucket(st, ping, dport); u; u = u->hnext) {
		int sc = score(u, saddr, sport, daddr, dport, nic);
		if (sc < 0)
			continue;
		if (sc > best_sc) {
			best = u;
			best_sc = sc;
			matches = 1;
		} else if (sc == best_sc && (u->sk.opts & NS_SO_REUSEPORT) &&
			   (best->sk.opts & NS_SO_REUSEPORT)) {
			/* Reservoir pick over the group, keyed by the flow hash:
			 * the same flow always lands on the same socket. */
			matches++;
			if (((uint64_t)hash * matches >> 32) == 0)
				best = u;
			hash = hash * 2654435761u + 1;
		} else if (sc == best_sc) {
			/* Sharing through SO_REUSEADDR: as Linux, unicast goes
			 * to the socket bound last (the table is in bind order). */
			best = u;
			matches = 1;
		}
	}
	return best;
}

/* UDP_ENCAP_ESPINUDP (RFC 3948): what the socket's IPsec would take. A
 * NAT-T keepalive (one 0xff byte) is dropped; a datagram longer than an
 * ESP header (8 bytes) whose first word, the SPI, is not 0 is ESP, for
 * IPsec, which the sandbox does not have: dropped, as Linux drops ESP
 * without a security association. The rest (IKE behind its zero
 * marker, short datagrams) is the socket's, whole. (L2TP's encap
 * changes nothing without an L2TP tunnel, here or on Linux.) */
static int encap_takes(const struct udp_sock *u, const struct pkt *p)
{
	if (u->encap != UDP_ENCAP_ESPINUDP)
		return 0;
	const uint8_t *d = pkt_data(p);
	if (p->len == 1 && d[0] == 0xff)
		return 1;
	return p->len > 8 && (d[0] | d[1] | d[2] | d[3]) != 0;
}

static void deliver_one(struct ns_stack *st, struct udp_sock *u, struct pkt *p)
{
	if (encap_takes(u, p)) {
		NS_STAT_INC(st, udp_drop_encap);
		pkt_unref(p);
		return;
	}
	if (ns_socket_filter(&u->sk, p, UDP_HDR_LEN) < 0) {
		NS_STAT_INC(st, udp_drop_filter);
		u->drops++;
		pkt_unref(p);
		return;
	}
	if (u->rq_mem > (uint32_t)u->sk.rcvbuf) {
		NS_STAT_INC(st, udp_drop_rcvbuf);
		u->drops++;
		pkt_unref(p);
		return;
	}
	p->cookie = u->drops; /* (the queue's: SO_RXQ_OVFL's count at arrival) */
	u->rq_mem += ns_pkt_truesize(p);
	pkt_queue_push(&u->rq, p);
	NS_STAT_INC(st, udp_delivered);
	ns_socket_wake(&u->sk);
}

/* One datagram of p's segments: its headers (IP, extension headers, UDP:
 * everything from l3_off to the payload) with the lengths of a datagram
 * of n bytes, and the n bytes at off. NULL: no memory. */
static struct pkt *gso_segment(const struct pkt *p, uint32_t off, uint32_t n)
{
	uint32_t hlen = p->off - p->l3_off, l4 = p->l4_off - p->l3_off;
	struct pkt *q = pkt_alloc(PKT_HEADROOM, hlen + n);
	if (!q)
		return NULL;
	uint8_t *d = pkt_data(q);
	memcpy(d, pkt_at(p, p->l3_off), hlen);
	memcpy(d + hlen, pkt_data(p) + off, n);
	if ((d[0] >> 4) == 4) {
		ns_wr16(d + 2, (uint16_t)(hlen + n));
		ns_wr16(d + 10, 0);
		ns_wr16(d + 10, ns_csum_fold(ns_csum_add(0, d, (uint32_t)(d[0] & 0xf) * 4)));
	} else {
		ns_wr16(d + 4, (uint16_t)(hlen - 40 + n));
	}
	/* (the checksum is not checked again past udp_input: the
	 * datagram's was, whole) */
	ns_wr16(d + l4 + 4, (uint16_t)(UDP_HDR_LEN + n));
	q->l3_off = pkt_pos(q);
	q->l4_off = q->l3_off + l4;
	q->flags = p->flags;
	q->ethertype = p->ethertype;
	q->ip_proto = p->ip_proto;
	q->nic = p->nic;
	q->tstamp = p->tstamp;
	q->priority = p->priority;
	q->mark = p->mark;
	pkt_pull(q, hlen);
	return q;
}

/* A GSO datagram (UDP_SEGMENT's, kept whole over loopback) goes whole to
 * a UDP_GRO socket, which reads its segment size too; any other socket
 * gets the datagrams its segments are (Linux's udp_rcv_segment). */
static void deliver(struct ns_stack *st, struct udp_sock *u, struct pkt *p)
{
	if (p->gso_type != PKT_GSO_UDP_L4 || u->gro || !p->gso_size || p->len <= p->gso_size) {
		deliver_one(st, u, p);
		return;
	}
	for (uint32_t off = 0; off < p->len; off += p->gso_size) {
		struct pkt *q = gso_segment(p, off, NS_MIN((uint32_t)p->gso_size, p->len - off));
		if (!q) {
			NS_STAT_INC(st, udp_drop_nomem);
			u->drops++;
			continue;
		}
		deliver_one(st, u, q);
	}
	pkt_unref(p);
}

static void udp_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	NS_STAT_INC(st, udp_rx);
	if (p->len < UDP_HDR_LEN) {
		NS_STAT_INC(st, udp_drop_short);
		goto drop;
	}
	const uint8_t *h = pkt_data(p);
	uint16_t sport = ns_rd16(h), dport = ns_rd16(h + 2), ulen = ns_rd16(h + 4);
	uint16_t csum = ns_rd16(h + 6);
	if (ulen < UDP_HDR_LEN || ulen > p->len) {
		NS_STAT_INC(st, udp_drop_len);
		goto drop;
	}
	pkt_trim(p, ulen);
	/* RFC 768: a zero checksum means the sender computed none; RFC 8200
	 * 8.1: never over IPv6, unless the socket takes them (RFC 6936,
	 * UDP_NO_CHECK6_RX; checked per socket below). */
	int zero6 = !csum && l3->src.family == AF_INET6;
	if (csum && !(p->flags & PKT_F_CSUM_VERIFIED)) {
		uint32_t sum = ns_csum_pseudo(&l3->src, &l3->dst, IPPROTO_UDP_, ulen);
		if (ns_csum_fold(ns_csum_add(sum, h, ulen)) != 0) {
			NS_STAT_INC(st, udp_drop_csum);
			goto drop;
		}
	}
	int nic = l3->nic ? l3->nic->id : 0;
	if (l3->bcast || l3->mcast) {
		/* Every matching socket gets its own copy. */
		struct udp_sock *last = NULL;
		int skipped = 0; /* one refused a zero checksum */
		for (struct udp_sock *u = *bucket(st, 0, dport); u; u = u->hnext) {
			/* Sockets bound to INADDR_ANY or to the broadcast
			 * address itself match; unicast-bound ones do not. */
			if (score(u, &l3->src, sport, &l3->dst, dport, nic) < 0)
				continue;
			if (l3->mcast && l3->dst.family == AF_INET &&
			    !igmp_sock_allows(&u->sk, l3->dst.v4, l3->src.v4, nic))
				continue;
			if (l3->mcast && l3->dst.family == AF_INET6 &&
			    !mld_sock_allows(&u->sk, l3->dst.v6, l3->src.v6))
				continue;
			if (zero6 && !u->no_check6_rx) {
				skipped = 1;
				continue;
			}
			if (last) {
				struct pkt *c = pkt_clone(p);
				if (c) {
					pkt_pull(c, UDP_HDR_LEN);
					deliver(st, last, c);
				}
			}
			last = u;
		}
		if (!last) {
			if (skipped)
				NS_STAT_INC(st, udp_drop_csum);
			else
				NS_STAT_INC(st, udp_drop_no_port);
			goto drop;
		}
		pkt_pull(p, UDP_HDR_LEN);
		deliver(st, last, p);
		return;
	}
	struct udp_sock *u = lookup(st, 0, &l3->src, sport, &l3->dst, dport, nic);
	if (zero6 && (!u || !u->no_check6_rx)) {
		/* (Linux: dropped as a checksum error, no port unreachable) */
		NS_STAT_INC(st, udp_drop_csum);
		goto drop;
	}
	if (!u) {
		NS_STAT_INC(st, udp_drop_no_port);
		/* RFC 1122 4.1.3.1 / RFC 4443 3.1: port unreachable. */
		if (l3->src.family == AF_INET)
			icmp_send_error(st, p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
		else
			icmp6_send_error(st, p, 1 /* ICMP6_DST_UNREACH */, 4 /* port */, 0);
		goto drop;
	}
	pkt_pull(p, UDP_HDR_LEN);
	deliver(st, u, p);
	return;
drop:
	pkt_unref(p);
}

/* An echo reply (ICMP type 0, ICMPv6 129, checksum verified by the caller)
 * goes to the ping socket whose id it carries, which reads the whole ICMP
 * message; without one (or with its buffer full) it is dropped. */
void ping_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	int v4 = l3->src.family == AF_INET;
	struct udp_sock *u = NULL;
	if (p->len >= 8) {
		int nic = l3->nic ? l3->nic->id : 0;
		u = lookup(st, 1, &l3->src, 0, &l3->dst, ns_rd16(pkt_data(p) + 4), nic);
	}
	if (!u || u->rq_mem > (uint32_t)u->sk.rcvbuf) {
		if (v4)
			NS_STAT_INC(st, icmp_ping_drop);
		else
			NS_STAT_INC(st, icmp6_ping_drop);
		pkt_unref(p);
		return;
	}
	p->l4_off = pkt_pos(p);
	u->rq_mem += ns_pkt_truesize(p);
	pkt_queue_push(&u->rq, p);
	if (v4)
		NS_STAT_INC(st, icmp_ping_delivered);
	else
		NS_STAT_INC(st, icmp6_ping_delivered);
	ns_socket_wake(&u->sk);
}

/* IP_RECVERR (Linux ip_icmp_error / ipv6_icmp_error): the error, about
 * whom and from whom, with the payload the ICMP message quoted. */
static void errq_icmp(struct udp_sock *u, const struct ns_l4_err *e)
{
	struct ns_errq_ent r;
	memset(&r, 0, sizeof(r));
	int v4 = e->src.family == AF_INET;
	r.ee.ee_errno = (uint32_t)e->err;
	r.ee.ee_origin = v4 ? SO_EE_ORIGIN_ICMP : SO_EE_ORIGIN_ICMP6;
	r.ee.ee_type = e->type;
	r.ee.ee_code = e->code;
	/* ICMP: the MTU or the pointer where the message has one (RFC 1191,
	 * RFC 792); ICMPv6: its 32-bit field, whatever the type. */
	if (!v4 || (e->type == ICMP_DEST_UNREACH && e->code == ICMP_FRAG_NEEDED) ||
	    e->type == ICMP_PARAMETERPROB)
		r.ee.ee_info = e->info;
	r.offender = e->offender;
	r.addr = e->dst;
	r.port = e->dport;
	uint32_t n = e->l4_len > UDP_HDR_LEN ? e->l4_len - UDP_HDR_LEN : 0;
	if (ns_errq_post(&u->sk, &r, e->l4 + UDP_HDR_LEN, n) < 0)
		NS_STAT_INC(u->sk.stack, udp_drop_rcvbuf);
}

static void udp_err(struct ns_stack *st, const struct ns_l4_err *e)
{
	/* Find the socket as if the quoted packet's reply arrived, on any
	 * interface: with 0 ("none"), a socket bound with SO_BINDTODEVICE never
	 * heard of its errors. */
	struct udp_sock *u = lookup(st, 0, &e->dst, e->dport, &e->src, e->sport, -1);
	if (!u) {
		/* Under the error's own protocol (ICMPv6 errors were counted
		 * as icmp.err_no_socket). */
		if (e->src.family == AF_INET6)
			NS_STAT_INC(st, icmp6_err_no_socket);
		else
			NS_STAT_INC(st, icmp_err_no_socket);
		return;
	}
	int hard = e->fatal;
	int err = e->err;
	if (e->src.family == AF_INET && e->type == ICMP_DEST_UNREACH && e->code == ICMP_FRAG_NEEDED &&
	    !e->local)
		hard = 1; /* Linux: EMSGSIZE with path MTU discovery on */
	/* Linux __udp4_lib_err: without IP_RECVERR only hard errors on
	 * connected sockets are reported (RFC 1122 4.1.3.3). */
	int recverr = ns_socket_recverr(&u->sk, e->src.family);
	if (!recverr && (!hard || !u->connected))
		return;
	if (recverr)
		errq_icmp(u, e);
	u->sk.so_error = err;
	ns_socket_wake(&u->sk);
}

static const struct ns_l4_ops udp_l4_ops = {
	.input = udp_input,
	.err = udp_err,
};

int udp_init(struct ns_stack *st)
{
	st->udp = calloc(1, sizeof(*st->udp));
	st->ping = calloc(1, sizeof(*st->ping));
	if (!st->udp || !st->ping)
		return -ENOMEM;
	ip4_register(st, IPPROTO_UDP_, &udp_l4_ops);
	return 0;
}

void udp_fini(struct ns_stack *st)
{
	free(st->udp);
	free(st->ping);
	st->udp = NULL;
	st->ping = NULL;
}
