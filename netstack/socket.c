/*
 * The socket API (ns/socket.h): argument checks shared by every protocol,
 * SOL_SOCKET options, and dispatch through the protocol's ops table with a
 * refusing default for each op a protocol does not have.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "stack_priv.h"


/* Linux SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF on x86-64. */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

#define MIN_RCVBUF 2304
#define MIN_SNDBUF 4608

/* ---- classic BPF socket filters ---- */

static void filter_put(struct ns_sk_filter *f)
{
	if (f && ns_refcnt_rele(&f->refs))
		free(f);
}

/* SO_ATTACH_FILTER: v is a struct sock_fprog whose program lives in the
 * caller's memory. The checks come in Linux's order: the lock, the
 * program's size, then its instructions. */
static int filter_attach(struct ns_socket *s, const void *v, socklen_t len)
{
	struct sock_fprog fp;
	if (len != sizeof(fp))
		return -EINVAL;
	memcpy(&fp, v, sizeof(fp));
	if (s->filter_locked)
		return -EPERM;
	int r = ns_bpf_check(fp.filter, fp.len);
	if (r < 0)
		return r;
	size_t bytes = (size_t)fp.len * sizeof(struct sock_filter);
	struct ns_sk_filter *f = malloc(sizeof(*f) + bytes);
	if (!f)
		return -ENOMEM;
	ns_refcnt_init(&f->refs);
	f->len = fp.len;
	memcpy(f->prog, fp.filter, bytes);
	filter_put(s->filter);
	s->filter = f;
	return 0;
}

static int filter_detach(struct ns_socket *s)
{
	if (s->filter_locked)
		return -EPERM;
	if (!s->filter)
		return -ENOENT;
	filter_put(s->filter);
	s->filter = NULL;
	return 0;
}

/* SO_GET_FILTER counts in instructions, not bytes, as Linux does: *len
 * comes in as the room of v in instructions (0: only ask how many) and
 * goes out as the program's length; a program longer than the room is
 * -EINVAL. No filter: 0 instructions. */
static int filter_get(struct ns_socket *s, void *v, socklen_t *len)
{
	const struct ns_sk_filter *f = s->filter;
	if (!f) {
		*len = 0;
		return 0;
	}
	if (*len && *len < f->len)
		return -EINVAL;
	if (*len) {
		if (!v)
			return -EFAULT;
		memcpy(v, f->prog, f->len * sizeof(struct sock_filter));
	}
	*len = f->len;
	return 0;
}

void ns_socket_filter_inherit(struct ns_socket *child, const struct ns_socket *parent)
{
	filter_put(child->filter);
	child->filter = parent->filter;
	if (child->filter)
		ns_refcnt_take(&child->filter->refs);
	child->filter_locked = parent->filter_locked;
}

static uint32_t pkt_type(const struct pkt *p)
{
	if (p->flags & PKT_F_BCAST)
		return PACKET_BROADCAST;
	if (p->flags & PKT_F_MCAST)
		return PACKET_MULTICAST;
	if (p->flags & PKT_F_OTHERHOST)
		return PACKET_OTHERHOST;
	return PACKET_HOST;
}

int ns_socket_filter(struct ns_socket *s, struct pkt *p, uint32_t hdr)
{
	const struct ns_sk_filter *f = s->filter;
	if (!f)
		return 0;
	uint32_t l4 = pkt_pos(p) - hdr, end = pkt_pos(p) + p->len;
	uint32_t start = l4;
	struct ns_bpf_pkt v = { .nh = -1, .mac = -1, .poff = hdr, .protocol = p->ethertype };
	/* The network header, and the link-layer one before it, when this
	 * packet still carries them (a reassembled datagram has no link
	 * header). */
	int has_nh = p->l3_off && p->l3_off <= l4;
	if (has_nh) {
		start = p->l3_off;
		if ((p->flags & PKT_F_L2) && p->l3_off >= ETH_HDR_LEN)
			start = p->l3_off - ETH_HDR_LEN;
		if (start < p->l3_off)
			v.mac = 0;
		v.nh = (int32_t)(p->l3_off - start);
		if (!v.protocol)
			v.protocol = (pkt_at(p, p->l3_off)[0] >> 4) == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
	}
	v.base = pkt_at(p, start);
	v.base_len = end - start;
	v.data = l4 - start;
	v.pkttype = pkt_type(p);
	if (p->nic) {
		v.ifindex = (uint32_t)p->nic->id;
		v.hatype = (p->nic->caps & NS_LINK_CAP_LOOPBACK) ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
	}
	v.rnd = (uint64_t)ns_random32(s->stack) << 32 | ns_random32(s->stack);
	uint32_t keep = ns_bpf_run(f->prog, &v);
	if (!keep)
		return -EPERM;
	/* Never below the transport header (Linux's cap). */
	if (keep < hdr)
		keep = hdr;
	if (keep < end - l4)
		pkt_trim(p, keep - hdr);
	return 0;
}

void ns_socket_init(struct ns_socket *s, struct ns_stack *st, const struct ns_sock_ops *ops,
		    int domain, int type, int protocol)
{
	s->ops = ops;
	s->stack = st;
	s->domain = domain;
	s->type = type;
	s->protocol = protocol;
	s->rcvbuf = st->core_rmem_def;
	s->sndbuf = st->core_wmem_def;
	s->ttl = -1;
	s->pmtudisc = IP_PMTUDISC_WANT; /* Linux default (ip_no_pmtu_disc = 0) */
	s->pmtudisc6 = IPV6_PMTUDISC_WANT;
	s->hoplimit6 = -1;
	s->mc_hops6 = 1; /* Linux IPV6_DEFAULT_MCASTHOPS */
	s->mc_loop6 = 1;
	s->mc_all6 = 1;
	if (domain == AF_INET6 && st->bindv6only)
		s->opts |= NS_SO_V6ONLY;
	s->mc_ttl = 1; /* RFC 1112 6.1 */
	s->mc_loop = 1;
	s->mc_all = 1;
	s->peek_off = -1;
	s->caller.net_raw = s->caller.net_admin = 1;
	s->all_next = st->sockets;
	if (s->all_next)
		s->all_next->all_pprev = &s->all_next;
	st->sockets = s;
	s->all_pprev = &st->sockets;
}

static void errq_purge(struct ns_socket *s)
{
	while (s->errq) {
		struct ns_errq_ent *e = s->errq;
		s->errq = e->next;
		free(e);
	}
	s->errq_tail = NULL;
	s->errq_mem = 0;
}

void ns_socket_fini(struct ns_socket *s)
{
	filter_put(s->filter);
	s->filter = NULL;
	errq_purge(s);
	igmp_sock_release(s);
	mld_sock_release(s);
	ns_ip6_sticky_free(s);
	free(s->pktopts6);
	s->pktopts6 = NULL;
	ns_fl_sock_release(s);
	free(s->opt4);
	s->opt4 = NULL;
	if (!s->all_pprev)
		return;
	*s->all_pprev = s->all_next;
	if (s->all_next)
		s->all_next->all_pprev = s->all_pprev;
	s->all_pprev = NULL;
	s->all_next = NULL;
}

void ns_socket_wake(struct ns_socket *s)
{
	ns_socket_wake_ev(s, 0);
}

void ns_socket_wake_ev(struct ns_socket *s, uint32_t extra)
{
	if (s->wake && !s->released)
		s->wake(s, ns_socket_poll(s) | extra, s->wake_ctx);
}

int ns_socket_take_error(struct ns_socket *s)
{
	int e = s->so_error;
	s->so_error = 0;
	return e ? -e : 0;
}

/* ---- the error queue ---- */

static void errq_append(struct ns_socket *s, struct ns_errq_ent *e)
{
	e->next = NULL;
	if (s->errq_tail)
		s->errq_tail->next = e;
	else
		s->errq = e;
	s->errq_tail = e;
}

int ns_errq_post(struct ns_socket *s, const struct ns_errq_ent *tmpl, const void *data, uint32_t len)
{
	uint32_t size = (uint32_t)sizeof(*tmpl) + len;
	/* Linux sock_queue_err_skb: reports count against the receive
	 * buffer. */
	if (s->errq_mem + size >= (uint32_t)s->rcvbuf)
		return -ENOBUFS;
	struct ns_errq_ent *e = malloc(size);
	if (!e)
		return -ENOBUFS;
	*e = *tmpl;
	e->len = len;
	if (len)
		memcpy(e->data, data, len);
	s->errq_mem += size;
	errq_append(s, e);
	ns_socket_wake(s);
	return 0;
}

/* Linux __msg_zerocopy_callback: a send's completion [id, id] extends
 * the report at the tail of the queue when the ranges touch, so a reader
 * that falls behind finds one report for many sends. We copy the data, so
 * each send is complete (and "copied") as soon as it returns. */
static void errq_zerocopy_done(struct ns_socket *s)
{
	uint32_t id = s->zckey++;
	struct ns_errq_ent *t = s->errq_tail;
	if (t && t->ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY && t->ee.ee_data + 1 == id &&
	    id - t->ee.ee_info < UINT32_MAX) {
		t->ee.ee_data = id;
		ns_socket_wake(s);
		return;
	}
	struct ns_errq_ent *e = calloc(1, sizeof(*e));
	if (!e)
		return; /* (Linux: the notification is lost too, -ENOBUFS) */
	e->ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
	e->ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED;
	e->ee.ee_info = id;
	e->ee.ee_data = id;
	errq_append(s, e);
	ns_socket_wake(s);
}

/* ---- transmit stamps (SO_TIMESTAMPING) ---- */

int ns_tx_stamp_prepare(struct ns_socket *sk, int has_cmsg, uint32_t cmsg_flags, const uint32_t *id,
			struct ns_tx_stamp *t)
{
	uint32_t f = sk->tsflags;
	if (has_cmsg)
		f = (f & ~NS_SOF_TX_RECORD_MASK) | cmsg_flags;
	/* Linux __sock_tx_timestamp: software and scheduler stamps (the
	 * hardware ones need a device that has them; TX_ACK is TCP's) */
	f &= NS_SOF_TX_SOFTWARE | NS_SOF_TX_SCHED;
	if (!f)
		return 0;
	t->sk = sk;
	t->flags = f;
	t->done = 0;
	/* __ip_append_data: a stamped send takes the next id when the
	 * socket has OPT_ID (an unstamped one none), or the one its
	 * SCM_TS_OPT_ID gave (and the socket's count stays) */
	if (!(sk->tsflags & NS_SOF_OPT_ID))
		t->key = 0;
	else
		t->key = id ? *id : sk->tskey++;
	return 1;
}

void ns_tx_stamp_post(struct ns_socket *sk, uint32_t kind, uint32_t key, const void *data, uint32_t len,
		      int ifindex)
{
	struct ns_errq_ent e;
	memset(&e, 0, sizeof(e));
	e.ee.ee_errno = ENOMSG;
	e.ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
	e.ee.ee_info = kind;
	e.ee.ee_data = key;
	e.stamp = st_now(sk->stack);
	int tsonly = (sk->tsflags & NS_SOF_OPT_TSONLY) != 0;
	e.ifindex = tsonly ? 0 : ifindex;
	(void)ns_errq_post(sk, &e, tsonly ? NULL : data, tsonly ? 0 : len);
}

static void tx_stamp_post(struct ns_tx_stamp *t, uint32_t kind, const struct pkt *p, int ifindex)
{
	ns_tx_stamp_post(t->sk, kind, t->key, pkt_data(p), p->len, ifindex);
}

void ns_tx_stamp_frame(struct ns_stack *st, const struct pkt *p, int ifindex)
{
	struct ns_tx_stamp *t = st->tx_stamp;
	if (t->done)
		return;
	t->done = 1;
	/* (the scheduler's stamp comes first: the queueing discipline is
	 * passed before the driver) */
	if (t->flags & NS_SOF_TX_SCHED)
		tx_stamp_post(t, SCM_TSTAMP_SCHED, p, ifindex);
	if (t->flags & NS_SOF_TX_SOFTWARE)
		tx_stamp_post(t, SCM_TSTAMP_SND, p, ifindex);
}

/* SO_TIMESTAMPING: Linux sock_set_timestamping. OPT_ID turned on starts
 * the ids at 0 (TCP: at the bytes sent and acknowledged, or with
 * OPT_ID_TCP at those written; tcp_socket.c); on again keeps them. */
static int set_timestamping(struct ns_socket *s, const void *v, socklen_t len)
{
	uint32_t f;
	if (!v || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(&f, v, sizeof(f)); /* (struct so_timestamping begins with the flags) */
	int turn_on = (f & NS_SOF_OPT_ID) && !(s->tsflags & NS_SOF_OPT_ID);
	uint32_t key = 0;
	int refused = 0;
	if (turn_on && (f & ~NS_SOF_MASK) == 0 && s->type == SOCK_STREAM)
		refused = tcp_tskey_base(s, (f & NS_SOF_OPT_ID_TCP) != 0, &key) < 0;
	int r = ns_timestamping_check(f, refused);
	if (r < 0)
		return r;
	if (turn_on)
		s->tskey = key;
	s->tsflags = f;
	return 0;
}

int ns_sock_cmsg_tsflags(const struct msghdr *m, uint32_t *flags)
{
	int found = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)m); c; c = CMSG_NXTHDR((struct msghdr *)m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    (c->cmsg_type == SO_TIMESTAMPING_OLD || c->cmsg_type == SO_TIMESTAMPING_NEW) &&
		    c->cmsg_len == CMSG_LEN(sizeof(*flags))) {
			memcpy(flags, CMSG_DATA(c), sizeof(*flags));
			found = 1;
		}
	return found;
}

static int is_icmp_report(const struct ns_errq_ent *e)
{
	return e->ee.ee_origin == SO_EE_ORIGIN_ICMP || e->ee.ee_origin == SO_EE_ORIGIN_ICMP6;
}

/*
 * A transmit stamp's control messages before its extended error (Linux
 * ip_recv_error, ipv6_recv_error): SCM_TIMESTAMPING with the stamp in
 * ts[0] by the stack's clock (the caller, who keeps the wall clock and
 * SO_TIMESTAMPING's report flags, turns it into the wall clock's, or
 * drops it); then, for a report with its packet, the packet's addresses:
 * IPv4 with OPT_CMSG and IP_PKTINFO (the sender as offender too), IPv6
 * with IPV6_RECVPKTINFO.
 */
static void tstamp_cmsgs(struct ns_socket *s, const struct ns_errq_ent *e, struct msghdr *m, size_t *used,
			 struct sockaddr_in *off4)
{
	struct timespec ts[3];
	memset(ts, 0, sizeof(ts));
	ts[0].tv_sec = (time_t)(e->stamp / NS_SEC);
	ts[0].tv_nsec = (long)(e->stamp % NS_SEC);
	ns_cmsg_put(m, used, SOL_SOCKET, SO_TIMESTAMPING_OLD, ts, sizeof(ts));
	if (!e->ifindex || e->len < 14 + 1)
		return;
	const uint8_t *ip = e->data + 14; /* (the frame's Ethernet header first) */
	int v = ip[0] >> 4;
	if (v == 4 && e->len >= 14 + 20 && s->domain == AF_INET && (s->tsflags & NS_SOF_OPT_CMSG)) {
		off4->sin_family = AF_INET;
		memcpy(&off4->sin_addr, ip + 12, 4);
		if (s->opts & NS_SO_PKTINFO) {
			struct in_pktinfo pi = { .ipi_ifindex = e->ifindex };
			memcpy(&pi.ipi_spec_dst, ip + 12, 4);
			memcpy(&pi.ipi_addr, ip + 16, 4);
			ns_cmsg_put(m, used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
		}
	} else if (v == 6 && e->len >= 14 + 40 && s->domain == AF_INET6 && (s->opts & NS_SO_RECVPKTINFO6)) {
		struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned)e->ifindex };
		memcpy(&pi.ipi6_addr, ip + 24, 16);
		ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
}

/* recvmsg(MSG_ERRQUEUE) (Linux ip_recv_error / ipv6_recv_error): the
 * oldest report's data, the address it is about in msg_name, and the
 * extended error with the offender's address as an IP_RECVERR (or
 * IPV6_RECVERR) control message. Never waits. MSG_PEEK leaves the report
 * queued (the sentry peeks before it takes; that Linux's queue ignores
 * MSG_PEEK is the sentry's to show). */
static ssize_t errq_recv(struct ns_socket *s, struct msghdr *m, int flags, size_t *copied)
{
	struct ns_errq_ent *e = s->errq;
	if (!e)
		return -EAGAIN;
	size_t n = NS_MIN(ns_iov_total(m), (size_t)e->len);
	struct msghdr tmp = *m;
	ns_iov_scatter(&tmp, e->data, n);
	*copied = n;
	if (n < e->len)
		m->msg_flags |= MSG_TRUNC;
	if (m->msg_name && (e->port || e->named))
		ns_sockaddr_out(s, &e->addr, e->port, m->msg_name, &m->msg_namelen);
	else
		m->msg_namelen = 0;
	struct {
		struct sock_extended_err ee;
		union {
			struct sockaddr_in in;
			struct sockaddr_in6 in6;
		} off;
	} eh;
	memset(&eh, 0, sizeof(eh));
	eh.ee = e->ee;
	socklen_t ol = s->domain == AF_INET ? sizeof(eh.off.in) : sizeof(eh.off.in6);
	if (e->offender.family)
		ns_sockaddr_out(s, &e->offender, 0, (struct sockaddr *)&eh.off, &ol);
	size_t used = 0;
	if (e->ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING)
		tstamp_cmsgs(s, e, m, &used, &eh.off.in);
	if (s->domain == AF_INET)
		ns_cmsg_put(m, &used, IPPROTO_IP, IP_RECVERR, &eh, sizeof(eh.ee) + sizeof(eh.off.in));
	else
		ns_cmsg_put(m, &used, IPPROTO_IPV6, IPV6_RECVERR, &eh, sizeof(eh.ee) + sizeof(eh.off.in6));
	m->msg_controllen = used;
	m->msg_flags |= MSG_ERRQUEUE;
	/* (the bytes copied, also with MSG_TRUNC: Linux ip_recv_error and
	 * ipv6_recv_error return no more) */
	ssize_t ret = (ssize_t)n;
	if (flags & MSG_PEEK)
		return ret;
	s->errq = e->next;
	if (!s->errq)
		s->errq_tail = NULL;
	if (e->ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY)
		s->errq_mem -= (uint32_t)sizeof(*e) + e->len;
	/* Linux sock_dequeue_err_skb: the pending error becomes the next
	 * ICMP report's, or none after the last one. */
	if (s->errq && is_icmp_report(s->errq))
		s->so_error = (int)s->errq->ee.ee_errno;
	else if (is_icmp_report(e))
		s->so_error = 0;
	free(e);
	ns_socket_wake(s);
	return ret;
}

/* ---- addresses ---- */

static int is_linklocal6(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

int ns_sockaddr_parse(const struct ns_socket *s, const struct sockaddr *a, socklen_t len, int use,
		      struct ns_sa *out)
{
	memset(out, 0, sizeof(*out));
	if (!a || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	sa_family_t fam;
	memcpy(&fam, a, sizeof(fam));
	out->family = fam;
	if (s->domain == AF_INET) {
		if (len < (socklen_t)sizeof(struct sockaddr_in))
			return -EINVAL;
		if (fam != AF_INET && fam != AF_UNSPEC)
			return -EAFNOSUPPORT;
		struct sockaddr_in in;
		memcpy(&in, a, sizeof(in));
		out->ip = ns_ip4(ntohl(in.sin_addr.s_addr));
		out->port = ntohs(in.sin_port);
		return 0;
	}
	/* AF_INET6 sockets (Linux inet6_bind / tcp_v6_connect / udpv6):
	 * at least the RFC 2133 sockaddr_in6 (24 bytes); IPv4 addresses
	 * (AF_INET, or v4-mapped IPv6) only when not IPV6_V6ONLY, and never
	 * as AF_INET for bind. */
	int v6only = !!(s->opts & NS_SO_V6ONLY);
	/* UDP hands a sockaddr_in to its IPv4 code first (Linux
	 * ip6_datagram_connect, udpv6_sendmsg): 16 bytes are enough, and an
	 * IPV6_V6ONLY connect is EAFNOSUPPORT. */
	int dgram4 = fam == AF_INET && s->type == SOCK_DGRAM && s->protocol == IPPROTO_UDP &&
		     use != NS_SA_BIND;
	if (len < 24 && !dgram4)
		return -EINVAL;
	if (fam == AF_INET && use != NS_SA_BIND) {
		if (v6only)
			return dgram4 && use == NS_SA_CONNECT ? -EAFNOSUPPORT : -ENETUNREACH;
		if (len < (socklen_t)sizeof(struct sockaddr_in))
			return -EINVAL;
		struct sockaddr_in in;
		memcpy(&in, a, sizeof(in));
		out->ip = ns_ip4(ntohl(in.sin_addr.s_addr));
		out->port = ntohs(in.sin_port);
		out->mapped = 1;
		return 0;
	}
	if (fam != AF_INET6 && !(fam == AF_UNSPEC && use == NS_SA_BIND))
		return -EAFNOSUPPORT;
	struct sockaddr_in6 in6;
	memset(&in6, 0, sizeof(in6));
	memcpy(&in6, a, NS_MIN((size_t)len, sizeof(in6)));
	out->port = ntohs(in6.sin6_port);
	out->flowinfo = ntohl(in6.sin6_flowinfo);
	if (len >= (socklen_t)sizeof(in6))
		out->scope = in6.sin6_scope_id;
	if (ns_ip6_is_v4mapped(in6.sin6_addr.s6_addr)) {
		if (v6only)
			return use == NS_SA_BIND ? -EINVAL : -ENETUNREACH;
		out->ip = ns_ip_from_v4mapped(in6.sin6_addr.s6_addr);
		out->mapped = 1;
		return 0;
	}
	memset(&out->ip, 0, sizeof(out->ip));
	out->ip.family = AF_INET6;
	memcpy(out->ip.v6, in6.sin6_addr.s6_addr, 16);
	/* RFC 4007 6: a link-local address needs its zone; so does, to be
	 * bound, an interface- or link-local group (Linux inet6_bind). */
	int mc_local = out->ip.v6[0] == 0xff && ((out->ip.v6[1] & 0xf) == 1 || (out->ip.v6[1] & 0xf) == 2);
	if ((is_linklocal6(out->ip.v6) || (mc_local && use == NS_SA_BIND)) && !out->scope && !s->bound_nic &&
	    use != NS_SA_SEND)
		return -EINVAL;
	if (out->scope && !ns_nic_get(s->stack, (int)out->scope))
		return -ENODEV;
	return 0;
}

void ns_sockaddr_out(const struct ns_socket *s, const struct ns_ip *ip, uint16_t port,
		     struct sockaddr *a, socklen_t *len)
{
	if (!a || !len)
		return;
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t full;
	memset(&u, 0, sizeof(u));
	if (s->domain == AF_INET) {
		u.in.sin_family = AF_INET;
		u.in.sin_port = htons(port);
		u.in.sin_addr.s_addr = htonl(ip->v4);
		full = sizeof(u.in);
	} else {
		u.in6.sin6_family = AF_INET6;
		u.in6.sin6_port = htons(port);
		if (ip->family == AF_INET) {
			ns_ip_to_v4mapped(ip, u.in6.sin6_addr.s6_addr);
		} else {
			memcpy(u.in6.sin6_addr.s6_addr, ip->v6, 16);
			if (is_linklocal6(ip->v6))
				u.in6.sin6_scope_id = (uint32_t)s->bound_nic;
		}
		full = sizeof(u.in6);
	}
	/* Like Linux: copy what fits, report the full length. */
	socklen_t n = *len < full ? *len : full;
	if ((int)*len > 0)
		memcpy(a, &u, (size_t)n);
	*len = full;
}

int ns_ip_bind_overlap(const struct ns_ip *a, int a_v6only, const struct ns_ip *b, int b_v6only)
{
	int a_any = ns_ip_is_any(a), b_any = ns_ip_is_any(b);
	if (a_any && b_any)
		return a->family == b->family || (a->family == AF_INET6 && !a_v6only) ||
		       (b->family == AF_INET6 && !b_v6only);
	if (a_any)
		return ns_ip_addr_accepts(a, a_v6only, b);
	if (b_any)
		return ns_ip_addr_accepts(b, b_v6only, a);
	return ns_ip_eq(a, b);
}

/* ---- iovecs and control messages ---- */

size_t ns_iov_total(const struct msghdr *m)
{
	size_t t = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
		t += m->msg_iov[i].iov_len;
	return t;
}

size_t ns_iov_gather(const struct msghdr *m, size_t off, void *dst, size_t len)
{
	uint8_t *d = dst;
	size_t done = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen && done < len; i++) {
		size_t l = m->msg_iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		size_t n = NS_MIN(l - off, len - done);
		memcpy(d + done, (const uint8_t *)m->msg_iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t ns_iov_scatter(const struct msghdr *m, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen && done < len; i++) {
		size_t n = NS_MIN(m->msg_iov[i].iov_len, len - done);
		memcpy(m->msg_iov[i].iov_base, s + done, n);
		done += n;
	}
	return done;
}

void ns_cmsg_put(struct msghdr *m, size_t *used, int level, int type, const void *data,
		 size_t len)
{
	size_t space = CMSG_SPACE(len);
	if (!m->msg_control || *used + CMSG_LEN(len) > m->msg_controllen) {
		m->msg_flags |= MSG_CTRUNC;
		return;
	}
	struct cmsghdr c;
	c.cmsg_len = CMSG_LEN(len);
	c.cmsg_level = level;
	c.cmsg_type = type;
	uint8_t *at = (uint8_t *)m->msg_control + *used;
	memcpy(at, &c, sizeof(c));
	memcpy(at + CMSG_LEN(0), data, len);
	*used += NS_MIN(space, m->msg_controllen - *used);
}

/* ---- creation and dispatch ---- */

int ns_socket_create(struct ns_stack *st, int domain, int type, int protocol,
		     struct ns_socket **out)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	switch (base) {
	case SOCK_DGRAM:
		/* ICMP echo ("ping") sockets, as Linux's: ICMP on AF_INET,
		 * ICMPv6 on AF_INET6 */
		if ((domain == AF_INET && protocol == IPPROTO_ICMP) ||
		    (domain == AF_INET6 && protocol == IPPROTO_ICMPV6))
			return udp_socket_create(st, domain, 1, out);
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		return udp_socket_create(st, domain, 0, out);
	case SOCK_STREAM:
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		return tcp_socket_create(st, domain, out);
	case SOCK_RAW:
		return raw_socket_create(st, domain, protocol, out);
	default:
		return -ESOCKTNOSUPPORT;
	}
}

void ns_socket_set_wake(struct ns_socket *s, ns_wake_fn fn, void *ctx)
{
	s->wake = fn;
	s->wake_ctx = ctx;
}

int ns_bind(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	return s->ops->bind ? s->ops->bind(s, a, len) : -EOPNOTSUPP;
}

int ns_connect(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	return s->ops->connect ? s->ops->connect(s, a, len) : -EOPNOTSUPP;
}

int ns_listen(struct ns_socket *s, int backlog)
{
	return s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP;
}

int ns_accept(struct ns_socket *s, struct ns_socket **out, struct sockaddr *a, socklen_t *len)
{
	if (len && *len > 0x7fffffff)
		return -EINVAL;
	return s->ops->accept ? s->ops->accept(s, out, a, len) : -EOPNOTSUPP;
}

ssize_t ns_sendmsg(struct ns_socket *s, const struct msghdr *m, int flags)
{
	if (!s->ops->sendmsg)
		return -EOPNOTSUPP;
	ssize_t r = s->ops->sendmsg(s, m, flags);
	/* MSG_ZEROCOPY without SO_ZEROCOPY is an ordinary send (Linux); with
	 * it, each send that took data gets the next id. */
	if ((flags & MSG_ZEROCOPY) && (s->opts & NS_SO_ZEROCOPY) && r >= 0 &&
	    (r > 0 || s->type != SOCK_STREAM))
		errq_zerocopy_done(s);
	return r;
}

ssize_t ns_recvmsg_copied(struct ns_socket *s, struct msghdr *m, int flags, size_t *copied)
{
	m->msg_flags = 0;
	*copied = 0;
	if (flags & MSG_ERRQUEUE)
		return errq_recv(s, m, flags, copied);
	return s->ops->recvmsg ? s->ops->recvmsg(s, m, flags, copied) : -EOPNOTSUPP;
}

ssize_t ns_recvmsg(struct ns_socket *s, struct msghdr *m, int flags)
{
	size_t copied;
	return ns_recvmsg_copied(s, m, flags, &copied);
}

ssize_t ns_send(struct ns_socket *s, const void *buf, size_t len, int flags)
{
	return ns_sendto(s, buf, len, flags, NULL, 0);
}

ssize_t ns_sendto(struct ns_socket *s, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	return ns_sendmsg(s, &m, flags);
}

ssize_t ns_recv(struct ns_socket *s, void *buf, size_t len, int flags)
{
	return ns_recvfrom(s, buf, len, flags, NULL, NULL);
}

ssize_t ns_recvfrom(struct ns_socket *s, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen)
{
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_name = from, .msg_namelen = fromlen ? *fromlen : 0,
			    .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r = ns_recvmsg(s, &m, flags);
	if (r >= 0 && fromlen)
		*fromlen = m.msg_namelen;
	return r;
}

int ns_shutdown(struct ns_socket *s, int how)
{
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	return s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP;
}

int ns_close(struct ns_socket *s)
{
	if (!s)
		return -EBADF;
	s->released = 1;
	s->wake = NULL;
	s->wake_ctx = NULL;
	/* Groups are left at close (Linux's inet_release), not when a
	 * closing connection is done with the socket. */
	igmp_sock_release(s);
	mld_sock_release(s);
	s->ops->release(s);
	return 0;
}

int ns_getsockname(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	return s->ops->getsockname ? s->ops->getsockname(s, a, len) : -EOPNOTSUPP;
}

int ns_getpeername(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	return s->ops->getpeername ? s->ops->getpeername(s, a, len) : -EOPNOTSUPP;
}

uint32_t ns_socket_poll(struct ns_socket *s)
{
	uint32_t mask = s->ops->poll ? s->ops->poll(s) : 0;
	if (s->errq)
		mask |= POLLERR;
	/* Linux's datagram_poll: with SO_SELECT_ERR_QUEUE an error (queued
	 * or pending) polls POLLPRI too; tcp_poll does not */
	if ((mask & POLLERR) && s->type == SOCK_DGRAM && (s->opts & NS_SO_SELECT_ERRQ))
		mask |= POLLPRI;
	return mask;
}

int ns_socket_ioctl(struct ns_socket *s, unsigned long req, int *val)
{
	return s->ops->ioctl ? s->ops->ioctl(s, req, val) : -ENOTTY;
}

void ns_socket_set_caller(struct ns_socket *s, const struct ns_caller *c)
{
	s->caller = *c;
}

int ns_socket_family(const struct ns_socket *s)
{
	return s->domain;
}

int ns_socket_type(const struct ns_socket *s)
{
	return s->type;
}

/* ---- options ---- */

static int get_int(const void *v, socklen_t len, int *out)
{
	if (!v || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, v, sizeof(int));
	return 0;
}

int ns_cmsg_ok(const struct msghdr *m, const struct cmsghdr *c)
{
	return c->cmsg_len >= sizeof(struct cmsghdr) &&
	       (size_t)((const uint8_t *)c - (const uint8_t *)m->msg_control) + c->cmsg_len <= m->msg_controllen;
}

int ns_sock_cmsg_check(const struct cmsghdr *c)
{
	size_t dl = c->cmsg_len - CMSG_LEN(0);
	switch (c->cmsg_type) {
	case SO_MARK:
	case SO_PRIORITY:
		return dl == sizeof(uint32_t) ? 0 : -EINVAL; /* (any value: a mark, a priority) */
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW: {
		/* (Linux __sock_cmsg_send: TX_* flags only) */
		uint32_t f;
		if (dl != sizeof(f))
			return -EINVAL;
		memcpy(&f, CMSG_DATA(c), sizeof(f));
		return f & ~NS_SOF_TX_RECORD_MASK ? -EINVAL : 0;
	}
	case SCM_TXTIME:
		return dl == sizeof(uint64_t) ? 0 : -EINVAL;
	case SCM_RIGHTS:
	case SCM_CREDENTIALS:
		return 0; /* (Linux passes them over on an inet socket) */
	default:
		return -EINVAL;
	}
}

int ns_sock_cmsgs_check(const struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (!ns_cmsg_ok(m, c))
			return -EINVAL;
		if (c->cmsg_level == SOL_SOCKET && ns_sock_cmsg_check(c) < 0)
			return -EINVAL;
	}
	return 0;
}

int ns_gf_parse(const uint8_t *v, socklen_t len, uint32_t max, uint32_t *ifindex, uint32_t *fmode,
		uint32_t *n)
{
	if (len < NS_GF_HDR)
		return -EINVAL;
	if (!v)
		return -EFAULT;
	memcpy(ifindex, v, 4);
	memcpy(fmode, v + NS_GF_FMODE, 4);
	memcpy(n, v + NS_GF_FMODE + 4, 4);
	/* (Linux: a count whose size would overflow 32 bits, ENOBUFS too) */
	if (*n >= 0x1ffffffu || *n > max)
		return -ENOBUFS;
	if (NS_GF_HDR + NS_GF_SRC * *n > len)
		return -EINVAL;
	return 0;
}

void ns_gf_reply(uint8_t *b, socklen_t *len, uint32_t fmode, uint32_t n,
		 void (*put)(uint8_t *ss, uint32_t i, const void *ctx), const void *ctx)
{
	uint32_t room;
	memcpy(&room, b + NS_GF_FMODE + 4, 4);
	uint32_t copy = n < room ? n : room;
	if (copy > (*len - NS_GF_HDR) / NS_GF_SRC)
		copy = (*len - NS_GF_HDR) / NS_GF_SRC;
	memcpy(b + NS_GF_FMODE, &fmode, 4);
	memcpy(b + NS_GF_FMODE + 4, &n, 4);
	for (uint32_t i = 0; i < copy; i++) {
		memset(b + NS_GF_HDR + NS_GF_SRC * i, 0, NS_GF_SRC);
		put(b + NS_GF_HDR + NS_GF_SRC * i, i, ctx);
	}
	*len = (socklen_t)(NS_GF_HDR + NS_GF_SRC * copy);
}

static int put_bytes(void *v, socklen_t *len, const void *src, socklen_t n)
{
	if (!len || (int)*len < 0)
		return -EINVAL;
	socklen_t c = *len < n ? *len : n;
	if (c && v)
		memcpy(v, src, (size_t)c);
	*len = c;
	return 0;
}

static int put_int(void *v, socklen_t *len, int val)
{
	return put_bytes(v, len, &val, sizeof(val));
}

static void set_bits(uint32_t *word, uint32_t flag, int on)
{
	if (on)
		*word |= flag;
	else
		*word &= ~flag;
}

static void set_flag(struct ns_socket *s, uint32_t flag, int on)
{
	set_bits(&s->opts, flag, on);
}

static int set_timeo(struct timeval *tv, const void *v, socklen_t len)
{
	struct timeval t;
	if (!v || len < (socklen_t)sizeof(t))
		return -EINVAL;
	memcpy(&t, v, sizeof(t));
	if (t.tv_usec < 0 || t.tv_usec >= 1000000)
		return -EDOM;
	if (t.tv_sec < 0)
		t.tv_sec = t.tv_usec = 0; /* Linux: negative means "no timeout" */
	*tv = t;
	return 0;
}

/* What Linux keeps SO_ZEROCOPY and SO_PEEK_OFF for (the latter on TCP
 * since 6.10): TCP and UDP sockets, not ping ones. */
static int tcp_or_udp(const struct ns_socket *s)
{
	return s->type == SOCK_STREAM || (s->type == SOCK_DGRAM && s->protocol == IPPROTO_UDP);
}

static int sol_socket_set(struct ns_socket *s, int name, const void *v, socklen_t len)
{
	int val = 0, r;
	switch (name) {
	case SO_LINGER: {
		struct linger l;
		if (!v || len < (socklen_t)sizeof(l))
			return -EINVAL;
		memcpy(&l, v, sizeof(l));
		s->linger_on = l.l_onoff != 0;
		s->linger_secs = l.l_linger < 0 ? 0 : l.l_linger;
		return 0;
	}
	case SO_RCVTIMEO:
		return set_timeo(&s->rcvtimeo, v, len);
	case SO_SNDTIMEO:
		return set_timeo(&s->sndtimeo, v, len);
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW:
		return set_timestamping(s, v, len);
	case SO_BINDTODEVICE: {
		char name_buf[IFNAMSIZ];
		size_t n = len < (socklen_t)sizeof(name_buf) - 1 ? (size_t)len : sizeof(name_buf) - 1;
		if (len && !v)
			return -EFAULT;
		memcpy(name_buf, v ? v : "", n);
		name_buf[n] = 0;
		if (!name_buf[0]) {
			s->bound_nic = 0;
			return 0;
		}
		int id = ns_stack_nic_by_name(s->stack, name_buf);
		if (id < 0)
			return -ENODEV;
		s->bound_nic = id;
		return 0;
	}
	default:
		break;
	}
	if ((r = get_int(v, len, &val)) < 0)
		return r;
	switch (name) {
	case SO_BINDTOIFINDEX:
		/* SO_BINDTODEVICE by index; Linux does not check that the
		 * interface exists (a route through none is then found) */
		if (val < 0)
			return -EINVAL;
		s->bound_nic = val;
		return 0;
	case SO_ATTACH_FILTER:
		return filter_attach(s, v, len);
	case SO_DETACH_FILTER:
		return filter_detach(s);
	case SO_LOCK_FILTER:
		/* Once locked, a filter stays as it is until close. */
		if (s->filter_locked && !val)
			return -EPERM;
		s->filter_locked = !!val;
		return 0;
	case SO_REUSEADDR:
		set_flag(s, NS_SO_REUSEADDR, val);
		return 0;
	case SO_REUSEPORT:
		set_flag(s, NS_SO_REUSEPORT, val);
		return 0;
	case SO_BROADCAST:
		set_flag(s, NS_SO_BROADCAST, val);
		return 0;
	case SO_KEEPALIVE:
		set_flag(s, NS_SO_KEEPALIVE, val);
		return 0;
	case SO_OOBINLINE:
		set_flag(s, NS_SO_OOBINLINE, val);
		return 0;
	case SO_DONTROUTE:
		set_flag(s, NS_SO_DONTROUTE, val);
		return 0;
	case SO_RCVBUF:
	case SO_RCVBUFFORCE:
		/* Linux doubles the value (bookkeeping overhead) and clamps:
		 * SO_RCVBUF reads it as unsigned (-1 is the most, rmem_max),
		 * the FORCE variant (capability checked by the caller) takes
		 * a negative one as 0. */
		if (name == SO_RCVBUF && (unsigned)val > (unsigned)s->stack->core_rmem_max)
			val = s->stack->core_rmem_max;
		else if (val < 0)
			val = 0;
		val = val > 0x3fffffff ? 0x7ffffffe : val * 2;
		s->rcvbuf = val < MIN_RCVBUF ? MIN_RCVBUF : val;
		s->userlocks |= NS_RCVBUF_LOCK;
		return 0;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE:
		if (name == SO_SNDBUF && (unsigned)val > (unsigned)s->stack->core_wmem_max)
			val = s->stack->core_wmem_max;
		else if (val < 0)
			val = 0;
		val = val > 0x3fffffff ? 0x7ffffffe : val * 2;
		s->sndbuf = val < MIN_SNDBUF ? MIN_SNDBUF : val;
		s->userlocks |= NS_SNDBUF_LOCK;
		return 0;
	case SO_BUF_LOCK:
		if (val & ~(NS_SNDBUF_LOCK | NS_RCVBUF_LOCK))
			return -EINVAL;
		s->userlocks = (uint8_t)val;
		return 0;
	case SO_ZEROCOPY:
		/* Linux: TCP and UDP only, 0 or 1. */
		if (!tcp_or_udp(s))
			return -EOPNOTSUPP;
		if (val < 0 || val > 1)
			return -EINVAL;
		set_flag(s, NS_SO_ZEROCOPY, val);
		return 0;
	case SO_RCVLOWAT:
		/* Linux: negative is INT_MAX, 0 is 1; TCP caps it further. */
		s->rcvlowat = val < 0 ? INT_MAX : val ? val : 1;
		return 0;
	case SO_PRIORITY:
		s->priority = val; /* (the sentry checked the capability) */
		return 0;
	case SO_DEBUG:
		s->so_debug = val != 0; /* (the sentry checked the capability) */
		return 0;
	case SO_BSDCOMPAT:
		return 0; /* (obsolete: Linux takes it and does nothing) */
	case SO_NO_CHECK:
		set_flag(s, NS_SO_NO_CHECK, val); /* (acted on by UDP only, as on Linux) */
		return 0;
	case SO_SELECT_ERR_QUEUE:
		set_flag(s, NS_SO_SELECT_ERRQ, val);
		return 0;
	case SO_RXQ_OVFL:
		set_flag(s, NS_SO_RXQ_OVFL, val);
		return 0;
	case SO_RCVPRIORITY:
		set_flag(s, NS_SO_RCVPRIORITY, val);
		return 0;
	case SO_RCVMARK:
		set_bits(&s->opts6, NS_SO_RCVMARK, val != 0);
		return 0;
	case SO_MARK:
		/* (Linux wants CAP_NET_RAW or CAP_NET_ADMIN, which a
		 * sandbox's root has; nothing checks it here) */
		s->mark = (uint32_t)val;
		return 0;
	case SO_SNDLOWAT:
		return -ENOPROTOOPT; /* (Linux: read-only, always 1) */
	case SO_BUSY_POLL:
		if (val < 0)
			return -EINVAL;
		s->busy_poll = val;
		return 0;
	case SO_PEEK_OFF:
		/* any value: every negative one is off, and reads back */
		if (!tcp_or_udp(s))
			return -EOPNOTSUPP;
		s->peek_off = val;
		return 0;
	case SO_PASSCRED:
	case SO_PASSSEC:
	case SO_PASSPIDFD:
		/* Linux 6.x: credentials are for unix and netlink sockets. */
		return -EOPNOTSUPP;
	case SO_TYPE:
	case SO_PROTOCOL:
	case SO_DOMAIN:
	case SO_ERROR:
	case SO_ACCEPTCONN:
		return -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
}

static int sol_socket_get(struct ns_socket *s, int name, void *v, socklen_t *len)
{
	switch (name) {
	case SO_TYPE:
		return put_int(v, len, s->type);
	case SO_PROTOCOL:
		return put_int(v, len, s->protocol);
	case SO_DOMAIN:
		return put_int(v, len, s->domain);
	case SO_ACCEPTCONN:
		return put_int(v, len, 0); /* (a TCP listener answers itself) */
	case SO_ERROR: {
		int e = -ns_socket_take_error(s);
		if (!e) {
			e = s->soft_error;
			s->soft_error = 0;
		}
		return put_int(v, len, e);
	}
	case SO_REUSEADDR:
		return put_int(v, len, !!(s->opts & NS_SO_REUSEADDR));
	case SO_REUSEPORT:
		return put_int(v, len, !!(s->opts & NS_SO_REUSEPORT));
	case SO_BROADCAST:
		return put_int(v, len, !!(s->opts & NS_SO_BROADCAST));
	case SO_KEEPALIVE:
		return put_int(v, len, !!(s->opts & NS_SO_KEEPALIVE));
	case SO_OOBINLINE:
		return put_int(v, len, !!(s->opts & NS_SO_OOBINLINE));
	case SO_DONTROUTE:
		return put_int(v, len, !!(s->opts & NS_SO_DONTROUTE));
	case SO_ZEROCOPY:
		return put_int(v, len, !!(s->opts & NS_SO_ZEROCOPY));
	case SO_RCVBUF:
		return put_int(v, len, s->rcvbuf);
	case SO_SNDBUF:
		return put_int(v, len, s->sndbuf);
	case SO_BUF_LOCK:
		return put_int(v, len, s->userlocks);
	case SO_LINGER: {
		struct linger l = { s->linger_on, s->linger_secs };
		return put_bytes(v, len, &l, sizeof(l));
	}
	case SO_RCVTIMEO:
		return put_bytes(v, len, &s->rcvtimeo, sizeof(s->rcvtimeo));
	case SO_SNDTIMEO:
		return put_bytes(v, len, &s->sndtimeo, sizeof(s->sndtimeo));
	case SO_BINDTOIFINDEX:
		return put_int(v, len, s->bound_nic);
	case SO_BINDTODEVICE: {
		struct ns_nic *nic = ns_nic_get(s->stack, s->bound_nic);
		const char *n = nic ? nic->name : "";
		return put_bytes(v, len, n, (socklen_t)strlen(n) + (nic ? 1 : 0));
	}
	case SO_PRIORITY:
		return put_int(v, len, s->priority);
	case SO_DEBUG:
		return put_int(v, len, s->so_debug);
	case SO_BSDCOMPAT:
		return put_int(v, len, 0);
	case SO_NO_CHECK:
		return put_int(v, len, !!(s->opts & NS_SO_NO_CHECK));
	case SO_SELECT_ERR_QUEUE:
		return put_int(v, len, !!(s->opts & NS_SO_SELECT_ERRQ));
	case SO_RXQ_OVFL:
		return put_int(v, len, !!(s->opts & NS_SO_RXQ_OVFL));
	case SO_RCVPRIORITY:
		return put_int(v, len, !!(s->opts & NS_SO_RCVPRIORITY));
	case SO_RCVMARK:
		return put_int(v, len, !!(s->opts6 & NS_SO_RCVMARK));
	case SO_MARK:
		return put_int(v, len, (int)s->mark);
	case SO_SNDLOWAT:
		return put_int(v, len, 1);
	case SO_INCOMING_NAPI_ID:
		return put_int(v, len, 0); /* (Linux's answer without a NAPI device queue) */
	case SO_BUSY_POLL:
		return put_int(v, len, s->busy_poll);
	case SO_PEEK_OFF:
		if (!tcp_or_udp(s))
			return -EOPNOTSUPP;
		return put_int(v, len, s->peek_off);
	case SO_PEERCRED: {
		/* an inet socket has no peer credentials: Linux's empty ones */
		struct ucred c = { 0, (uid_t)-1, (gid_t)-1 };
		return put_bytes(v, len, &c, sizeof(c));
	}
	case SO_PASSCRED:
	case SO_PASSSEC:
	case SO_PASSPIDFD:
		return -EOPNOTSUPP;
	case SO_RCVLOWAT:
		return put_int(v, len, s->rcvlowat ? s->rcvlowat : 1);
	case SO_GET_FILTER:
		return filter_get(s, v, len);
	case SO_LOCK_FILTER:
		return put_int(v, len, s->filter_locked);
	default:
		return -ENOPROTOOPT;
	}
}

int ns_setsockopt(struct ns_socket *s, int level, int name, const void *v, socklen_t len)
{
	if ((int)len < 0)
		return -EINVAL;
	if (level == SOL_SOCKET) {
		int r = sol_socket_set(s, name, v, len);
		if (r < 0 || !s->ops->setsockopt)
			return r;
		/* Let the protocol react (e.g. buffer sizes); it returns
		 * -ENOPROTOOPT for options it does not care about. */
		int pr = s->ops->setsockopt(s, level, name, v, len);
		return pr == -ENOPROTOOPT ? 0 : pr;
	}
	return s->ops->setsockopt ? s->ops->setsockopt(s, level, name, v, len) : -ENOPROTOOPT;
}

int ns_getsockopt(struct ns_socket *s, int level, int name, void *v, socklen_t *len)
{
	if (!len || (int)*len < 0)
		return -EINVAL;
	if (level == SOL_SOCKET) {
		if (s->ops->getsockopt) {
			int r = s->ops->getsockopt(s, level, name, v, len);
			if (r != -ENOPROTOOPT)
				return r;
		}
		return sol_socket_get(s, name, v, len);
	}
	int r = s->ops->getsockopt ? s->ops->getsockopt(s, level, name, v, len) : -ENOPROTOOPT;
	/* Linux: an IPv4 socket's getsockopt passes a level that is neither
	 * its protocol's nor IP's on to IP, which answers EOPNOTSUPP (the
	 * setsockopt path answers ENOPROTOOPT); IPv6 sockets answer
	 * ENOPROTOOPT both ways. */
	if (r == -ENOPROTOOPT && s->domain == AF_INET && level != IPPROTO_IP && level != s->protocol &&
	    s->type != SOCK_RAW /* (raw.c answers every level as Linux's raw_getsockopt) */)
		r = -EOPNOTSUPP;
	return r;
}

static void set_flag6(struct ns_socket *s, uint32_t flag, int on)
{
	set_bits(&s->opts6, flag, on);
}

/* IP_UNICAST_IF and IPV6_UNICAST_IF: an interface index in network byte
 * order (for both, as Linux); 0: none. */
static int unicast_if_set(struct ns_socket *s, int *slot, int val, socklen_t len)
{
	if (len != sizeof(int))
		return -EINVAL;
	int idx = (int)ntohl((uint32_t)val);
	if (idx == 0) {
		*slot = 0;
		return 0;
	}
	if (!ns_nic_get(s->stack, idx))
		return -EADDRNOTAVAIL;
	if (s->bound_nic)
		return -EINVAL; /* (Linux: unless it is the device's VRF) */
	*slot = idx;
	return 0;
}

/* IP_OPTIONS (ip(7)): at most 40 bytes, checked as Linux checks them
 * (ip4opt.c); none clears. On AF_INET6 sockets too, as on Linux (their
 * IPv4 datagrams carry them). */
static int ip4_opts_sockopt(struct ns_socket *s, const void *v, socklen_t len)
{
	if (len > IP4_OPT_MAX)
		return -EINVAL;
	if (len && !v)
		return -EFAULT;
	struct ip4_opts *o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	int r = ip4_opts_set(s->stack, o, v, len, s->caller.net_raw);
	if (r < 0 || !o->len) {
		free(o);
		o = NULL;
	}
	if (r == 0) {
		free(s->opt4);
		s->opt4 = o;
	}
	return r;
}

int ns_ip_setsockopt(struct ns_socket *s, int name, const void *v, socklen_t len)
{
	int val = 0;
	switch (name) {
	case IP_MULTICAST_IF:
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
	case IP_ADD_SOURCE_MEMBERSHIP:
	case IP_DROP_SOURCE_MEMBERSHIP:
	case IP_BLOCK_SOURCE:
	case IP_UNBLOCK_SOURCE:
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
	case IP_MSFILTER:
	case MCAST_MSFILTER:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
		return igmp_setsockopt(s, name, v, len); /* structs, not ints */
	default:
		break;
	}
	/* Linux accepts a single byte for most IP int options, and no bytes
	 * at all as 0 (except where it says otherwise, below). */
	if (len && !v)
		return -EFAULT;
	if (len >= (socklen_t)sizeof(int))
		memcpy(&val, v, sizeof(int));
	else if (len >= 1)
		val = *(const uint8_t *)v;
	switch (name) {
	case IP_OPTIONS:
		return ip4_opts_sockopt(s, v, len);
	case IP_TTL:
		if (len < 1)
			return -EINVAL;
		if (val == -1) {
			s->ttl = -1;
			return 0;
		}
		if (val < 1 || val > 255)
			return -EINVAL;
		s->ttl = val;
		return 0;
	case IP_TOS:
		/* RFC 3168 6.1.1: TCP owns the ECN bits (tcp_output sets ECT),
		 * so a stream socket keeps its own and drops the user's, as
		 * Linux does: 1 reads back 0, 255 reads back 252. */
		if (s->type == SOCK_STREAM)
			val = (val & ~3) | (s->tos & 3);
		/* Linux: a new TOS sets the priority too (rt_tos2priority,
		 * from its TOS bits; the table is Linux's ip_tos2prio) */
		if ((uint8_t)val != s->tos) {
			static const uint8_t tos2prio[16] = { 0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4 };
			s->priority = tos2prio[(val & 0x1e) >> 1];
		}
		s->tos = (uint8_t)val;
		return 0;
	case IP_RECVERR:
		set_flag(s, NS_SO_RECVERR, val);
		if (!val)
			errq_purge(s); /* (Linux: the reports go too) */
		return 0;
	case IP_MTU_DISCOVER:
		if (val < IP_PMTUDISC_DONT || val > IP_PMTUDISC_OMIT)
			return -EINVAL;
		s->pmtudisc = (uint8_t)val;
		return 0;
	case IP_PKTINFO:
		set_flag(s, NS_SO_PKTINFO, val);
		return 0;
	case IP_RECVTTL:
		set_flag(s, NS_SO_RECVTTL, val);
		return 0;
	case IP_RECVTOS:
		set_flag(s, NS_SO_RECVTOS, val);
		return 0;
	/* The IP options of received datagrams as control messages (only
	 * for a datagram that carried options, as Linux): IP_RECVOPTS as
	 * they came, IP_RETOPTS turned round for a reply (ip4opt.c). */
	case IP_RECVOPTS:
		set_flag(s, NS_SO_RECVOPTS, val);
		return 0;
	case IP_RETOPTS:
		set_flag(s, NS_SO_RETOPTS, val);
		return 0;
	case IP_FREEBIND:
		if (len < 1)
			return -EINVAL;
		set_flag(s, NS_SO_FREEBIND, val);
		return 0;
	case IP_RECVORIGDSTADDR:
		set_flag(s, NS_SO_ORIGDSTADDR, val);
		return 0;
	case IP_MULTICAST_TTL:
		if (s->type == SOCK_STREAM || len < 1)
			return -EINVAL;
		if (val == -1)
			val = 1; /* Linux: the default */
		if (val < 0 || val > 255)
			return -EINVAL;
		s->mc_ttl = (uint8_t)val;
		return 0;
	case IP_MULTICAST_LOOP:
		if (len < 1)
			return -EINVAL;
		s->mc_loop = val != 0;
		return 0;
	case IP_MULTICAST_ALL:
		if (val != 0 && val != 1)
			return -EINVAL;
		s->mc_all = (uint8_t)val;
		return 0;
	case IP_LOCAL_PORT_RANGE: {
		if (len != sizeof(uint32_t))
			return -EINVAL;
		uint32_t r = (uint32_t)val;
		uint16_t lo = (uint16_t)(r & 0xffff), hi = (uint16_t)(r >> 16);
		if (lo && hi && lo > hi)
			return -EINVAL;
		s->port_range = r;
		return 0;
	}
	case IP_UNICAST_IF:
		return unicast_if_set(s, &s->uc_index, val, len);
	case IP_RECVFRAGSIZE:
		/* (Linux: datagram sockets only) */
		if (s->type != SOCK_DGRAM)
			return -EINVAL;
		set_flag6(s, NS_SO_RECVFRAGSIZE4, val);
		return 0;
	case IP_BIND_ADDRESS_NO_PORT:
		set_flag(s, NS_SO_BIND_NO_PORT, val);
		return 0;
	case IP_TRANSPARENT:
		if (len < 1)
			return -EINVAL;
		set_flag(s, NS_SO_TRANSPARENT, val);
		return 0;
	case IP_MINTTL:
		if (len < 1 || val < 0 || val > 255)
			return -EINVAL;
		s->min_ttl = (uint8_t)val;
		return 0;
	case IP_ROUTER_ALERT:
		return -EINVAL; /* (Linux: raw sockets only; raw.c answers theirs) */
	case IP_PASSSEC:
		set_flag(s, NS_SO_PASSSEC, val);
		return 0;
	case IP_CHECKSUM:
		set_flag(s, NS_SO_CHECKSUM, val);
		return 0;
	case IP_RECVERR_RFC4884:
		if (val != 0 && val != 1)
			return -EINVAL;
		set_flag(s, NS_SO_RFC4884, val);
		return 0;
	/* IP_HDRINCL and IP_NODEFRAG are for raw sockets (ENOPROTOOPT on
	 * the others, as here); IP_MTU and IP_PROTOCOL are read-only. */
	default:
		return -ENOPROTOOPT;
	}
}

void ns_eph_range(const struct ns_socket *s, uint16_t *lo, uint16_t *hi)
{
	uint16_t l = s->stack->eph_low, h = s->stack->eph_high;
	uint16_t sl = (uint16_t)(s->port_range & 0xffff), sh = (uint16_t)(s->port_range >> 16);
	*lo = sl >= l && sl <= h ? sl : l;
	*hi = sh >= l && sh <= h ? sh : h;
}

int ns_ip_getsockopt(struct ns_socket *s, int name, void *v, socklen_t *len, const struct ns_ip *peer,
		     uint16_t lport)
{
	switch (name) {
	case IP_MINTTL:
		return put_int(v, len, s->min_ttl);
	case IP_TRANSPARENT:
		return put_int(v, len, !!(s->opts & NS_SO_TRANSPARENT));
	case IP_BIND_ADDRESS_NO_PORT:
		return put_int(v, len, !!(s->opts & NS_SO_BIND_NO_PORT));
	case IP_UNICAST_IF:
		return put_int(v, len, (int)htonl((uint32_t)s->uc_index));
	case IP_RECVFRAGSIZE:
		return put_int(v, len, !!(s->opts6 & NS_SO_RECVFRAGSIZE4));
	case IP_LOCAL_PORT_RANGE:
		return put_int(v, len, (int)s->port_range);
	case IP_HDRINCL:
	case IP_NODEFRAG:
	case IP_ROUTER_ALERT:
		return put_int(v, len, 0); /* (raw sockets' options: raw.c answers theirs) */
	case IP_PASSSEC:
		return put_int(v, len, !!(s->opts & NS_SO_PASSSEC));
	case IP_CHECKSUM:
		return put_int(v, len, !!(s->opts & NS_SO_CHECKSUM));
	case IP_RECVERR_RFC4884:
		return put_int(v, len, !!(s->opts & NS_SO_RFC4884));
	case IP_PROTOCOL:
		return put_int(v, len, lport);
	case IP_MTU: {
		/* Linux: the path MTU of the route a connected socket uses,
		 * at most IPv4's 65535 (lo's 65536 reads so) */
		struct ns_rt rt;
		if (!peer || ns_route(s->stack, peer, NULL, s->bound_nic, &rt) < 0)
			return -ENOTCONN;
		return put_int(v, len, rt.mtu < 65535 ? (int)rt.mtu : 65535);
	}
	case IP_OPTIONS: {
		/* Linux: the list as it was given, cut to the length asked */
		uint8_t b[IP4_OPT_MAX];
		if (!s->opt4) {
			*len = 0;
			return 0;
		}
		ip4_opts_undo(s->opt4, b);
		return put_bytes(v, len, b, s->opt4->len);
	}
	case IP_TTL:
		return put_int(v, len, s->ttl < 0 ? NS_DEFAULT_TTL : s->ttl);
	case IP_TOS:
		return put_int(v, len, s->tos);
	case IP_RECVERR:
		return put_int(v, len, !!(s->opts & NS_SO_RECVERR));
	case IP_MTU_DISCOVER:
		return put_int(v, len, s->pmtudisc);
	case IP_PKTINFO:
		return put_int(v, len, !!(s->opts & NS_SO_PKTINFO));
	case IP_RECVTTL:
		return put_int(v, len, !!(s->opts & NS_SO_RECVTTL));
	case IP_RECVTOS:
		return put_int(v, len, !!(s->opts & NS_SO_RECVTOS));
	case IP_RECVOPTS:
		return put_int(v, len, !!(s->opts & NS_SO_RECVOPTS));
	case IP_RETOPTS:
		return put_int(v, len, !!(s->opts & NS_SO_RETOPTS));
	case IP_FREEBIND:
		return put_int(v, len, !!(s->opts & NS_SO_FREEBIND));
	case IP_RECVORIGDSTADDR:
		return put_int(v, len, !!(s->opts & NS_SO_ORIGDSTADDR));
	case IP_MULTICAST_TTL:
		return put_int(v, len, s->mc_ttl);
	case IP_MULTICAST_LOOP:
		return put_int(v, len, s->mc_loop);
	case IP_MULTICAST_ALL:
		return put_int(v, len, s->mc_all);
	case IP_MULTICAST_IF: {
		struct in_addr a = { htonl(s->mc_addr) };
		return put_bytes(v, len, &a, sizeof(a));
	}
	case IP_MSFILTER:
	case MCAST_MSFILTER:
		return igmp_getsockopt(s, name, v, len);
	default:
		return -ENOPROTOOPT;
	}
}

/* The receive flags of opts6 that an int sets, by option. */
static uint32_t ip6_rx_flag(int name)
{
	switch (name) {
	case IPV6_FLOWINFO:
		return NS_SO6_FLOWINFO;
	case IPV6_FLOWINFO_SEND:
		return NS_SO6_FLOWINFO_SEND;
	case IPV6_RECVHOPOPTS:
		return NS_SO6_RECVHOPOPTS;
	case IPV6_RECVDSTOPTS:
		return NS_SO6_RECVDSTOPTS;
	case IPV6_RECVRTHDR:
		return NS_SO6_RECVRTHDR;
	case IPV6_2292PKTINFO:
		return NS_SO6_2292PKTINFO;
	case IPV6_2292HOPLIMIT:
		return NS_SO6_2292HOPLIMIT;
	case IPV6_2292HOPOPTS:
		return NS_SO6_2292HOPOPTS;
	case IPV6_2292DSTOPTS:
		return NS_SO6_2292DSTOPTS;
	case IPV6_2292RTHDR:
		return NS_SO6_2292RTHDR;
	case IPV6_RECVPATHMTU:
		return NS_SO6_RECVPATHMTU;
	case IPV6_RECVFRAGSIZE:
		return NS_SO6_RECVFRAGSIZE;
	case IPV6_ROUTER_ALERT_ISOLATE:
		return NS_SO6_RA_ISOLATE;
	default:
		return 0;
	}
}

/* The int options ns_ip6_setsockopt knows. */
static int ip6_int_opt(int name)
{
	switch (name) {
	case IPV6_V6ONLY:
	case IPV6_UNICAST_HOPS:
	case IPV6_TCLASS:
	case IPV6_MULTICAST_HOPS:
	case IPV6_MULTICAST_IF:
	case IPV6_RECVPKTINFO:
	case IPV6_RECVHOPLIMIT:
	case IPV6_RECVTCLASS:
	case IPV6_RECVERR:
	case IPV6_FREEBIND:
	case IPV6_RECVORIGDSTADDR:
	case IPV6_MTU_DISCOVER:
	case IPV6_MINHOPCOUNT:
	case IPV6_ROUTER_ALERT:
	case IPV6_MTU:
	case IPV6_MULTICAST_LOOP:
	case IPV6_MULTICAST_ALL:
	case IPV6_TRANSPARENT:
	case IPV6_UNICAST_IF:
		return 1;
	default:
		return ip6_rx_flag(name) != 0; /* (the receive flags' too) */
	}
}

/* ---- RFC 3542 6, RFC 2292 4: a received packet's IPv6 control messages ---- */

/* An extension header of a received packet as a control message. */
static void put_ext(struct msghdr *m, size_t *used, int type, const uint8_t *h)
{
	if (m)
		ns_cmsg_put(m, used, IPPROTO_IPV6, type, h, NS_IP6_EXT_LEN(h));
}

/* The receive flags of Linux's np->rxopt: any of them on makes TCP keep
 * what its segments bring (IPV6_2292PKTOPTIONS). */
int ns_ip6_rx_wanted(const struct ns_socket *s)
{
	return (s->opts & (NS_SO_RECVPKTINFO6 | NS_SO_RECVHOPLIMIT6 | NS_SO_RECVTCLASS6 | NS_SO_ORIGDSTADDR6)) ||
	       (s->opts6 & ~(NS_SO6_FLOWINFO_SEND | NS_SO6_RA_ISOLATE | NS_SO_RECVFRAGSIZE4));
}

/* The extension headers of a packet (ih: its IPv6 header, hlen bytes to
 * the upper layer's), as Linux files them: Hop-by-Hop (first only), the
 * Destination Options before a Routing header (dst0), the Routing header,
 * the Destination Options after it or without one (dst1); each call of
 * put (when not NULL) in the order they came, for RFC 3542's messages. */
struct ip6_rx_ext {
	const uint8_t *hop, *dst0, *rthdr, *dst1;
};

static void rx_ext_walk(const uint8_t *ih, uint32_t hlen, struct ip6_rx_ext *x, const struct ns_socket *s,
			struct msghdr *m, size_t *used)
{
	uint32_t o6 = s ? s->opts6 : 0;
	uint32_t off = IP6_HDR_LEN;
	uint8_t nxt = ih[6];
	int dst_or_rt = (o6 & (NS_SO6_RECVDSTOPTS | NS_SO6_RECVRTHDR)) != 0;
	memset(x, 0, sizeof(*x));
	for (int first = 1; off + 2 <= hlen && off + NS_IP6_EXT_LEN(ih + off) <= hlen; first = 0) {
		const uint8_t *h = ih + off;
		if (nxt == IPPROTO_HOPOPTS && first) {
			x->hop = h;
			if (o6 & NS_SO6_RECVHOPOPTS)
				put_ext(m, used, IPV6_HOPOPTS, h);
		} else if (nxt == IPPROTO_DSTOPTS) {
			/* RFC 2292: before a Routing header, after it */
			*(x->rthdr ? &x->dst1 : &x->dst0) = h;
			if (dst_or_rt && (o6 & NS_SO6_RECVDSTOPTS))
				put_ext(m, used, IPV6_DSTOPTS, h);
		} else if (nxt == IPPROTO_ROUTING) {
			x->rthdr = h;
			if (dst_or_rt && (o6 & NS_SO6_RECVRTHDR))
				put_ext(m, used, IPV6_RTHDR, h);
		} else {
			break;
		}
		nxt = h[0];
		off += NS_IP6_EXT_LEN(h);
	}
	/* (no Routing header: a Destination Options header is the last
	 * one, dst1, as Linux files it) */
	if (!x->rthdr && x->dst0) {
		x->dst1 = x->dst0;
		x->dst0 = NULL;
	}
}

void ns_ip6_recv_cmsgs(const struct ns_socket *s, const uint8_t *ih, uint32_t hlen, int ifindex, uint16_t dport,
		       struct msghdr *m, size_t *used)
{
	uint32_t o6 = s->opts6;
	const uint8_t *dst = ih + 24;
	uint8_t hops = ih[7], tclass = (uint8_t)((ns_rd16(ih) >> 4) & 0xff);
	struct in6_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	memcpy(pi.ipi6_addr.s6_addr, dst, 16);
	pi.ipi6_ifindex = (unsigned)ifindex;
	int hl = hops, tc = tclass;
	if (s->opts & NS_SO_RECVPKTINFO6)
		ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	if (s->opts & NS_SO_RECVHOPLIMIT6)
		ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_HOPLIMIT, &hl, sizeof(hl));
	if (s->opts & NS_SO_RECVTCLASS6)
		ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc));
	/* then, in Linux's order (ip6_datagram_recv_specific_ctl): the flow
	 * information, RFC 3542's extension headers (Hop-by-Hop, then the
	 * Destination Options and Routing headers as they came), RFC
	 * 2292's names of the same things, the original destination */
	if (o6 & NS_SO6_FLOWINFO) {
		/* traffic class and flow label, in network order; none when 0 */
		uint32_t fi = ns_rd32(ih) & 0x0fffffff;
		if (fi) {
			uint32_t be = htonl(fi);
			ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_FLOWINFO, &be, sizeof(be));
		}
	}
	struct ip6_rx_ext x;
	rx_ext_walk(ih, hlen, &x, s, m, used);
	if (o6 & NS_SO6_2292PKTINFO)
		ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_2292PKTINFO, &pi, sizeof(pi));
	if (o6 & NS_SO6_2292HOPLIMIT)
		ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &hl, sizeof(hl));
	if ((o6 & NS_SO6_2292HOPOPTS) && x.hop)
		put_ext(m, used, IPV6_2292HOPOPTS, x.hop);
	if ((o6 & NS_SO6_2292DSTOPTS) && x.dst0)
		put_ext(m, used, IPV6_2292DSTOPTS, x.dst0);
	if ((o6 & NS_SO6_2292RTHDR) && x.rthdr)
		put_ext(m, used, IPV6_2292RTHDR, x.rthdr);
	if ((o6 & NS_SO6_2292DSTOPTS) && x.dst1)
		put_ext(m, used, IPV6_2292DSTOPTS, x.dst1);
	if (s->opts & NS_SO_ORIGDSTADDR6) {
		struct sockaddr_in6 od;
		memset(&od, 0, sizeof(od));
		od.sin6_family = AF_INET6;
		od.sin6_port = htons(dport);
		memcpy(od.sin6_addr.s6_addr, dst, 16);
		/* RFC 4007 6: a link-local address with its zone. */
		if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)
			od.sin6_scope_id = (uint32_t)ifindex;
		ns_cmsg_put(m, used, IPPROTO_IPV6, IPV6_ORIGDSTADDR, &od, sizeof(od));
	}
}

/* Linux's ipv6_opt_accepted: does the packet bring something a receive
 * flag asks for: a header of a kind asked for, or flow information
 * (not 0) with IPV6_FLOWINFO. */
static int opt_accepted(const struct ns_socket *s, const uint8_t *ih, uint32_t hlen)
{
	uint32_t o6 = s->opts6;
	struct ip6_rx_ext x;
	rx_ext_walk(ih, hlen, &x, NULL, NULL, NULL);
	return (x.hop && (o6 & (NS_SO6_RECVHOPOPTS | NS_SO6_2292HOPOPTS))) ||
	       ((ns_rd32(ih) & 0x0fffffff) && (o6 & NS_SO6_FLOWINFO)) ||
	       (x.rthdr && (o6 & (NS_SO6_RECVRTHDR | NS_SO6_2292RTHDR))) ||
	       ((x.dst0 || x.dst1) && (o6 & (NS_SO6_RECVDSTOPTS | NS_SO6_2292DSTOPTS)));
}

void ns_ip6_note_segment(struct ns_socket *s, const uint8_t *ih, uint32_t hlen, int iif, uint16_t dport)
{
	/* Linux's tcp_v6_do_rcv: the interface, hop limit and flow
	 * information go where IPV6_2292PKTOPTIONS reads them without a
	 * segment kept (the multicast interface and hops: Linux's choice) */
	if ((s->opts & NS_SO_RECVPKTINFO6) || (s->opts6 & NS_SO6_2292PKTINFO))
		s->mc_index6 = iif;
	if ((s->opts & NS_SO_RECVHOPLIMIT6) || (s->opts6 & NS_SO6_2292HOPLIMIT))
		s->mc_hops6 = ih[7];
	if ((s->opts & NS_SO_RECVTCLASS6) || (s->opts6 & NS_SO6_FLOWINFO))
		s->rcv_flowinfo6 = ns_rd32(ih) & 0x0fffffff;
	free(s->pktopts6);
	s->pktopts6 = NULL;
	if (!opt_accepted(s, ih, hlen) || !(s->pktopts6 = malloc(hlen)))
		return;
	memcpy(s->pktopts6, ih, hlen);
	s->pktopts6_len = hlen;
	s->pktopts6_iif = iif;
	s->pktopts6_dport = dport;
}

/* ---- RFC 3542 6: sticky extension headers ---- */

void ns_ip6_ext_free(struct ns_ip6_sticky *k)
{
	if (!k)
		return;
	free(k->hop);
	free(k->dst0);
	free(k->dst1);
	free(k);
}

void ns_ip6_sticky_free(struct ns_socket *s)
{
	ns_ip6_ext_free(s->sticky6);
	s->sticky6 = NULL;
}

/* The chain a packet carries: Hop-by-Hop, then Destination Options (the
 * RFC 8200 4.1 order), each Next Header naming the next. */
static void sticky_chain(struct ns_ip6_sticky *k)
{
	const uint8_t *part[2] = { k->hop, k->dst1 };
	const uint8_t type[2] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS };
	uint8_t *prev = NULL;
	k->chain_len = 0;
	for (int i = 0; i < 2; i++) {
		if (!part[i])
			continue;
		uint32_t n = NS_IP6_EXT_LEN(part[i]);
		if (prev)
			*prev = type[i];
		else
			k->first = type[i];
		uint8_t *h = k->chain + k->chain_len;
		memcpy(h, part[i], n);
		prev = h;
		k->last_off = k->chain_len;
		k->chain_len = (uint16_t)(k->chain_len + n);
	}
}

/* A copy of the extension header at h, as long as its length byte says */
static uint8_t *ext_dup(const uint8_t *h)
{
	uint8_t *c = malloc(NS_IP6_EXT_LEN(h));
	if (c)
		memcpy(c, h, NS_IP6_EXT_LEN(h));
	return c;
}

struct ns_ip6_sticky *ns_ip6_ext_build(const uint8_t *hop, const uint8_t *dst0, const uint8_t *dst1)
{
	struct ns_ip6_sticky *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	const uint8_t *src[3] = { hop, dst0, dst1 };
	uint8_t **dst[3] = { &k->hop, &k->dst0, &k->dst1 };
	for (int i = 0; i < 3; i++) {
		if (src[i] && !(*dst[i] = ext_dup(src[i]))) {
			ns_ip6_ext_free(k);
			return NULL;
		}
	}
	sticky_chain(k);
	return k;
}

static uint8_t **sticky_slot(struct ns_ip6_sticky *k, int name)
{
	return name == IPV6_HOPOPTS ? &k->hop : name == IPV6_DSTOPTS ? &k->dst1 : &k->dst0;
}

/* IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS, IPV6_RTHDR: Linux's
 * checks (a multiple of 8 bytes, at most 8 * 255, no shorter than the
 * header says); a header longer than its length byte keeps what the byte
 * says; none clears. The option bytes are sent as given (Linux does not
 * parse them either). The sentry asked for CAP_NET_RAW first. */
static int sticky_set(struct ns_socket *s, int name, const void *v, socklen_t len)
{
	if (len && !v)
		return -EFAULT;
	if ((len & 7) || len > 8 * 255)
		return -EINVAL;
	const uint8_t *h = v;
	if (len && NS_IP6_EXT_LEN(h) > len)
		return -EINVAL;
	/* A routing header: Linux takes only a Mobile IPv6 type 2 (when
	 * built with it) or a segment routing header (type 4, checked
	 * whole). Moat routes by neither: every one is refused. */
	if (name == IPV6_RTHDR)
		return len ? -EINVAL : 0;
	uint8_t *copy = NULL;
	if (len && !(copy = ext_dup(h)))
		return -ENOMEM;
	if (!s->sticky6) {
		if (!copy)
			return 0;
		s->sticky6 = calloc(1, sizeof(*s->sticky6));
		if (!s->sticky6) {
			free(copy);
			return -ENOMEM;
		}
	}
	uint8_t **slot = sticky_slot(s->sticky6, name);
	free(*slot);
	*slot = copy;
	if (!s->sticky6->hop && !s->sticky6->dst0 && !s->sticky6->dst1)
		ns_ip6_sticky_free(s);
	else
		sticky_chain(s->sticky6);
	return 0;
}

static int sticky_get(struct ns_socket *s, int name, void *v, socklen_t *len)
{
	const uint8_t *h = s->sticky6 && name != IPV6_RTHDR ? *sticky_slot(s->sticky6, name) : NULL;
	return put_bytes(v, len, h, h ? NS_IP6_EXT_LEN(h) : 0);
}

int ns_ip6_sticky_copy(struct ns_socket *to, const struct ns_socket *from)
{
	if (!from->sticky6)
		return 0;
	to->sticky6 = calloc(1, sizeof(*to->sticky6));
	if (!to->sticky6)
		return -ENOMEM;
	const struct ns_ip6_sticky *f = from->sticky6;
	struct ns_ip6_sticky *k = to->sticky6;
	const uint8_t *src[3] = { f->hop, f->dst0, f->dst1 };
	uint8_t **dst[3] = { &k->hop, &k->dst0, &k->dst1 };
	for (int i = 0; i < 3; i++) {
		if (!src[i])
			continue;
		if (!(*dst[i] = ext_dup(src[i]))) {
			ns_ip6_sticky_free(to);
			return -ENOMEM;
		}
	}
	sticky_chain(k);
	return 0;
}

int ns_ip6_is_ext_cmsg(int type)
{
	switch (type) {
	case IPV6_HOPOPTS:
	case IPV6_DSTOPTS:
	case IPV6_RTHDRDSTOPTS:
	case IPV6_RTHDR:
	case IPV6_2292HOPOPTS:
	case IPV6_2292DSTOPTS:
	case IPV6_2292RTHDR:
		return 1;
	default:
		return 0;
	}
}

/*
 * RFC 3542 6 (RFC 2292 5): an extension header as a control message, in
 * the order and with the errors of Linux's ip6_datagram_send_ctl: the
 * message holds the header's first two bytes, then as many as its length
 * byte says (more are passed over), then the caller needs CAP_NET_RAW
 * (EPERM). A second Hop-by-Hop header, or a second RFC 2292 Destination
 * Options header, is EINVAL; IPV6_DSTOPTS and IPV6_RTHDRDSTOPTS take the
 * place of an earlier one. A routing header is refused (EINVAL, without
 * the capability check) as the sticky option refuses it: Linux takes only
 * a Mobile IPv6 type 2 header, when built with Mobile IPv6.
 */
int ns_ip6_ext_cmsg(const struct ns_socket *s, const struct cmsghdr *c, struct ns_ip6_sticky **kp)
{
	size_t dl = c->cmsg_len - CMSG_LEN(0);
	const uint8_t *h = CMSG_DATA((struct cmsghdr *)c);
	struct ns_ip6_sticky *k = *kp;
	int type = c->cmsg_type;
	if (type == IPV6_RTHDR || type == IPV6_2292RTHDR)
		return -EINVAL;
	if ((type == IPV6_HOPOPTS || type == IPV6_2292HOPOPTS) && k && k->hop)
		return -EINVAL;
	if (dl < 2 || dl < NS_IP6_EXT_LEN(h))
		return -EINVAL;
	if (!s->caller.net_raw)
		return -EPERM;
	if (type == IPV6_2292DSTOPTS && k && k->dst1)
		return -EINVAL;
	if (!k && !(k = *kp = calloc(1, sizeof(*k))))
		return -ENOMEM;
	uint8_t *copy = ext_dup(h);
	if (!copy)
		return -ENOMEM;
	uint8_t **slot = type == IPV6_HOPOPTS || type == IPV6_2292HOPOPTS ? &k->hop
			 : type == IPV6_RTHDRDSTOPTS			  ? &k->dst0
									  : &k->dst1;
	free(*slot);
	*slot = copy;
	sticky_chain(k);
	return 0;
}

/* An int control message's value (Linux: exactly an int, else EINVAL). */
static int cmsg_int(const struct cmsghdr *c, int *v)
{
	if (c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EINVAL;
	memcpy(v, CMSG_DATA((struct cmsghdr *)c), sizeof(int));
	return 0;
}

int ns_ip6_cmsg(const struct ns_socket *s, const struct cmsghdr *c, struct ns_txopt *o, struct ns_ip *src,
		int *oif)
{
	size_t dl = c->cmsg_len - CMSG_LEN(0);
	const uint8_t *d = CMSG_DATA((struct cmsghdr *)c);
	int v;
	switch (c->cmsg_type) {
	case IPV6_PKTINFO:
	case IPV6_2292PKTINFO: {
		struct in6_pktinfo pi;
		if (dl < sizeof(pi))
			return -EINVAL;
		memcpy(&pi, d, sizeof(pi));
		if (pi.ipi6_ifindex) {
			if (*oif && (int)pi.ipi6_ifindex != *oif)
				return -EINVAL;
			if (!ns_nic_get(s->stack, (int)pi.ipi6_ifindex))
				return -ENODEV;
			*oif = (int)pi.ipi6_ifindex;
		}
		static const uint8_t any6[16];
		if (memcmp(pi.ipi6_addr.s6_addr, any6, 16)) {
			/* a source of ours, unless the socket may bind any */
			if (!(s->opts & (NS_SO_FREEBIND | NS_SO_TRANSPARENT)) &&
			    !ns_addr6_nic(s->stack, pi.ipi6_addr.s6_addr))
				return -EINVAL;
			src->family = AF_INET6;
			memcpy(src->v6, pi.ipi6_addr.s6_addr, 16);
		}
		return 0;
	}
	case IPV6_HOPLIMIT:
	case IPV6_2292HOPLIMIT:
	case IPV6_TCLASS:
		if (cmsg_int(c, &v) < 0 || v < -1 || v > 255)
			return -EINVAL;
		if (c->cmsg_type != IPV6_TCLASS)
			o->ttl = v; /* (-1: the route's, as without) */
		else
			o->tos = v & 0xff; /* (Linux sends -1 as 0xff) */
		return 0;
	case IPV6_DONTFRAG:
		if (cmsg_int(c, &v) < 0 || v < 0 || v > 1)
			return -EINVAL;
		o->dontfrag = v;
		return 0;
	case IPV6_FLOWINFO: {
		uint32_t fi;
		if (dl < sizeof(fi))
			return -EINVAL;
		memcpy(&fi, d, sizeof(fi));
		o->label = ntohl(fi) & 0xfffff;
		return 0;
	}
	default:
		if (ns_ip6_is_ext_cmsg(c->cmsg_type))
			return ns_ip6_ext_cmsg(s, c, &o->ext);
		return -EINVAL;
	}
}

/*
 * IPV6_2292PKTOPTIONS set (RFC 2292 5): a buffer of control messages, read
 * as a send's are (Linux's ip6_datagram_send_ctl, the same checks and
 * errors: SOL_SOCKET's checked, other levels passed over); its extension
 * headers become the socket's sticky ones, all of them replaced: a buffer
 * without any (or empty) clears them. The other messages are checked and
 * not kept (Linux keeps nothing of them either). On an error nothing
 * changes.
 */
/* FIONREAD and TIOCOUTQ of a datagram socket (UDP, raw) whose queue is
 * rq: Linux's the size of the next datagram as a read returns it, and 0
 * (datagrams leave at once). */
int ns_dgram_ioctl(const struct pkt_queue *rq, unsigned long req, int *val)
{
	switch (req) {
	case FIONREAD:
		*val = rq->head ? (int)rq->head->len : 0;
		return 0;
	case TIOCOUTQ:
		*val = 0;
		return 0;
	default:
		return -ENOTTY;
	}
}

/* A buffer of control messages read as a send's IPv6 ones (ns_ip6_cmsg;
 * SOL_SOCKET's checked, other levels passed over), from an aligned copy:
 * the caller's bytes need not be. 0 or -errno; o->ext may be set on an
 * error too. */
int ns_ip6_cmsg_bytes(const struct ns_socket *s, const void *v, size_t len, struct ns_txopt *o, struct ns_ip *src,
		      int *oif)
{
	if (!len)
		return 0;
	void *buf = malloc(len);
	if (!buf)
		return -ENOBUFS;
	memcpy(buf, v, len);
	struct msghdr m = { .msg_control = buf, .msg_controllen = len };
	int r = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c && !r; c = CMSG_NXTHDR(&m, c)) {
		if (!ns_cmsg_ok(&m, c))
			r = -EINVAL;
		else if (c->cmsg_level == SOL_SOCKET)
			r = ns_sock_cmsg_check(c);
		else if (c->cmsg_level == IPPROTO_IPV6)
			r = ns_ip6_cmsg(s, c, o, src, oif);
	}
	free(buf);
	return r;
}

static int pktoptions_set(struct ns_socket *s, const void *v, socklen_t len)
{
	if (len > 64 * 1024)
		return -EINVAL;
	if (len && !v)
		return -EFAULT;
	struct ns_txopt o = NS_TXOPT_NONE;
	struct ns_ip src = ns_ip_any(AF_INET6);
	int oif = s->bound_nic;
	int r = ns_ip6_cmsg_bytes(s, v, len, &o, &src, &oif);
	if (r < 0) {
		ns_ip6_ext_free(o.ext);
		return r;
	}
	ns_ip6_sticky_free(s);
	s->sticky6 = o.ext;
	return 0;
}

/* IPV6_ADDR_PREFERENCES (RFC 5014) with Linux's rules: within each group
 * (TMP, PUBLIC, PUBTMP_DEFAULT; HOME, COA; CGA, NONCGA) at most one, else
 * EINVAL; the value replaces the preferences whole, a group it does not
 * name going back to its default (PUBTMP_DEFAULT, HOME); CGA and NONCGA
 * are checked and not kept, other bits passed over. */
static int set_srcprefs(struct ns_socket *s, unsigned v)
{
	unsigned tp = v & (IPV6_PREFER_SRC_TMP | IPV6_PREFER_SRC_PUBLIC | IPV6_PREFER_SRC_PUBTMP_DEFAULT);
	unsigned mob = v & (IPV6_PREFER_SRC_HOME | IPV6_PREFER_SRC_COA);
	unsigned cga = v & (IPV6_PREFER_SRC_CGA | IPV6_PREFER_SRC_NONCGA);
	if ((tp & (tp - 1)) || (mob & (mob - 1)) || (cga & (cga - 1)))
		return -EINVAL;
	uint8_t p = 0;
	if (tp == IPV6_PREFER_SRC_TMP)
		p |= NS_PREFER_SRC_TMP;
	else if (tp == IPV6_PREFER_SRC_PUBLIC)
		p |= NS_PREFER_SRC_PUBLIC;
	if (mob == IPV6_PREFER_SRC_COA)
		p |= NS_PREFER_SRC_COA;
	s->srcprefs6 = p;
	return 0;
}

/* IPPROTO_IPV6 options (RFC 3493 5, RFC 3542). `bound`: the socket has a
 * local port already (IPV6_V6ONLY may not change then, as on Linux). */
int ns_ip6_setsockopt(struct ns_socket *s, int name, const void *v, socklen_t len, int bound)
{
	int val;
	if (s->domain != AF_INET6)
		return -ENOPROTOOPT;
	switch (name) {
	case IPV6_ADD_MEMBERSHIP:
	case IPV6_DROP_MEMBERSHIP:
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
	case MCAST_MSFILTER:
		return mld_setsockopt(s, name, v, len); /* structs, not ints */
	case IPV6_HOPOPTS:
	case IPV6_DSTOPTS:
	case IPV6_RTHDRDSTOPTS:
	case IPV6_RTHDR:
		return sticky_set(s, name, v, len);
	case IPV6_2292PKTOPTIONS:
		return pktoptions_set(s, v, len);
	case IPV6_FLOWLABEL_MGR:
		return ns_fl_setsockopt(s, (void *)v, len); /* (writes the chosen label back) */
	case IPV6_ADDR_PREFERENCES:
		if (!v || len < (socklen_t)sizeof(int))
			return -EINVAL;
		memcpy(&val, v, sizeof(int));
		return set_srcprefs(s, (unsigned)val);
	case IPV6_RECVERR_RFC4884:
		if (!v || len < (socklen_t)sizeof(int))
			return -EINVAL;
		memcpy(&val, v, sizeof(int));
		if (val != 0 && val != 1)
			return -EINVAL;
		set_flag6(s, NS_SO6_RFC4884, val);
		return 0;
	default:
		break;
	}
	/* Linux: IPV6_RECVFRAGSIZE takes a short value as 0 */
	if (name == IPV6_RECVFRAGSIZE) {
		val = 0;
		if (v && len >= (socklen_t)sizeof(int))
			memcpy(&val, v, sizeof(int));
		set_flag6(s, NS_SO6_RECVFRAGSIZE, val);
		return 0;
	}
	/* Linux: these flags take a short value as 0 */
	if (name == IPV6_DONTFRAG || name == IPV6_AUTOFLOWLABEL) {
		val = 0;
		if (v && len >= (socklen_t)sizeof(int))
			memcpy(&val, v, sizeof(int));
		set_flag(s, name == IPV6_DONTFRAG ? NS_SO_DONTFRAG6 : NS_SO_NOFLOWLABEL6,
			 name == IPV6_DONTFRAG ? val : !val);
		return 0;
	}
	/* Linux: an unknown option, or one a stream socket cannot set, is
	 * refused before any length check */
	if (!ip6_int_opt(name) ||
	    (s->type == SOCK_STREAM && (name == IPV6_MULTICAST_HOPS || name == IPV6_MULTICAST_IF)))
		return -ENOPROTOOPT;
	if (!v || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(&val, v, sizeof(int));
	if (ip6_rx_flag(name)) {
		set_flag6(s, ip6_rx_flag(name), val);
		return 0;
	}
	switch (name) {
	case IPV6_UNICAST_IF:
		return unicast_if_set(s, &s->uc_index6, val, len);
	case IPV6_TRANSPARENT: /* (the same flag as IP_TRANSPARENT, as Linux) */
		set_flag(s, NS_SO_TRANSPARENT, val);
		return 0;
	case IPV6_V6ONLY:
		if (bound)
			return -EINVAL;
		set_flag(s, NS_SO_V6ONLY, val);
		return 0;
	case IPV6_UNICAST_HOPS:
		if (val < -1 || val > 255)
			return -EINVAL;
		s->hoplimit6 = val;
		return 0;
	case IPV6_TCLASS:
		if (val < -1 || val > 255)
			return -EINVAL;
		val = val < 0 ? 0 : val;
		/* Linux: TCP keeps the ECN field its own (RFC 3168 6.1.1) */
		if (s->type == SOCK_STREAM)
			val = (val & ~3) | (s->tclass6 & 3);
		s->tclass6 = val;
		return 0;
	case IPV6_MULTICAST_HOPS:
		if (val < -1 || val > 255)
			return -EINVAL;
		s->mc_hops6 = (uint8_t)(val < 0 ? 1 : val);
		return 0;
	case IPV6_MULTICAST_IF:
		/* Linux: an interface that exists, and the bound one if any */
		if (val && !ns_nic_get(s->stack, val))
			return -ENODEV;
		if (val && s->bound_nic && val != s->bound_nic)
			return -EINVAL;
		s->mc_index6 = val;
		return 0;
	case IPV6_MTU:
		if (val && val < IP6_MIN_MTU)
			return -EINVAL;
		s->frag_size6 = val;
		return 0;
	case IPV6_MULTICAST_LOOP:
		if (val != 0 && val != 1)
			return -EINVAL;
		s->mc_loop6 = (uint8_t)val;
		return 0;
	case IPV6_MULTICAST_ALL:
		s->mc_all6 = val != 0;
		return 0;
	case IPV6_MINHOPCOUNT:
		if (val < 0 || val > 255)
			return -EINVAL;
		s->min_hops6 = (uint8_t)val;
		return 0;
	case IPV6_ROUTER_ALERT:
		/* (raw sockets only on Linux, which moat does not have) */
		return -ENOPROTOOPT;
	case IPV6_RECVPKTINFO:
		set_flag(s, NS_SO_RECVPKTINFO6, val);
		return 0;
	case IPV6_RECVHOPLIMIT:
		set_flag(s, NS_SO_RECVHOPLIMIT6, val);
		return 0;
	case IPV6_RECVTCLASS:
		set_flag(s, NS_SO_RECVTCLASS6, val);
		return 0;
	case IPV6_RECVERR:
		set_flag(s, NS_SO_RECVERR6, val);
		if (!val)
			errq_purge(s);
		return 0;
	case IPV6_FREEBIND: /* (the same flag as IP_FREEBIND, as Linux) */
		set_flag(s, NS_SO_FREEBIND, val);
		return 0;
	case IPV6_RECVORIGDSTADDR:
		set_flag(s, NS_SO_ORIGDSTADDR6, val);
		return 0;
	case IPV6_MTU_DISCOVER:
		if (val < IPV6_PMTUDISC_DONT || val > IPV6_PMTUDISC_OMIT)
			return -EINVAL;
		s->pmtudisc6 = (uint8_t)val;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int ns_ip6_getsockopt(struct ns_socket *s, int name, void *v, socklen_t *len, const struct ns_ip *peer)
{
	if (s->domain != AF_INET6)
		return -EOPNOTSUPP; /* (Linux ip_getsockopt: not SOL_IP) */
	if (ip6_rx_flag(name))
		return put_int(v, len, !!(s->opts6 & ip6_rx_flag(name)));
	if (name == IPV6_FLOWLABEL_MGR)
		return ns_fl_getsockopt(s, v, len);
	switch (name) {
	case IPV6_V6ONLY:
		return put_int(v, len, !!(s->opts & NS_SO_V6ONLY));
	case IPV6_UNICAST_HOPS: {
		struct ns_rt rt;
		if (s->hoplimit6 >= 0)
			return put_int(v, len, s->hoplimit6);
		if (!peer || peer->family != AF_INET6 || ns_route(s->stack, peer, NULL, s->bound_nic, &rt) < 0)
			rt.nic = NULL;
		return put_int(v, len, ip6_sock_hop_limit(s->stack, rt.nic));
	}
	case IPV6_TCLASS:
		return put_int(v, len, s->tclass6);
	case IPV6_RECVPKTINFO:
		return put_int(v, len, !!(s->opts & NS_SO_RECVPKTINFO6));
	case IPV6_RECVHOPLIMIT:
		return put_int(v, len, !!(s->opts & NS_SO_RECVHOPLIMIT6));
	case IPV6_RECVTCLASS:
		return put_int(v, len, !!(s->opts & NS_SO_RECVTCLASS6));
	case IPV6_RECVERR:
		return put_int(v, len, !!(s->opts & NS_SO_RECVERR6));
	case IPV6_FREEBIND:
		return put_int(v, len, !!(s->opts & NS_SO_FREEBIND));
	case IPV6_RECVORIGDSTADDR:
		return put_int(v, len, !!(s->opts & NS_SO_ORIGDSTADDR6));
	case IPV6_MTU_DISCOVER:
		return put_int(v, len, s->pmtudisc6);
	case IPV6_MULTICAST_HOPS:
		return put_int(v, len, s->mc_hops6);
	case IPV6_MULTICAST_IF:
		return put_int(v, len, s->mc_index6);
	case IPV6_MULTICAST_LOOP:
		return put_int(v, len, s->mc_loop6);
	case IPV6_MULTICAST_ALL:
		return put_int(v, len, s->mc_all6);
	case IPV6_MINHOPCOUNT:
		return put_int(v, len, s->min_hops6);
	case IPV6_RECVERR_RFC4884:
		return put_int(v, len, !!(s->opts6 & NS_SO6_RFC4884));
	case IPV6_ADDR_PREFERENCES: {
		unsigned p = s->srcprefs6;
		int val = (p & NS_PREFER_SRC_TMP)      ? IPV6_PREFER_SRC_TMP
			  : (p & NS_PREFER_SRC_PUBLIC) ? IPV6_PREFER_SRC_PUBLIC
						       : IPV6_PREFER_SRC_PUBTMP_DEFAULT;
		val |= (p & NS_PREFER_SRC_COA) ? IPV6_PREFER_SRC_COA : IPV6_PREFER_SRC_HOME;
		return put_int(v, len, val);
	}
	case IPV6_ADDRFORM:
		/* (Linux: TCP's and UDP's only) */
		if (s->protocol != IPPROTO_TCP && s->protocol != IPPROTO_UDP)
			return -ENOPROTOOPT;
		if (!peer)
			return -ENOTCONN;
		return put_int(v, len, s->domain);
	case IPV6_MTU: {
		/* Linux: the path MTU of the route a connected socket uses */
		struct ns_rt rt;
		if (!peer || ns_route(s->stack, peer, NULL, s->bound_nic, &rt) < 0)
			return -ENOTCONN;
		return put_int(v, len, (int)rt.mtu);
	}
	case IPV6_ROUTER_ALERT:
		return put_int(v, len, 0);
	case IPV6_PATHMTU: {
		/* RFC 3542 11.2: a connected socket's path MTU. Linux fills in
		 * the MTU only (and IPV6_MTU does not lower it). */
		struct ns_rt rt;
		struct ip6_mtuinfo mi;
		if (*len < (socklen_t)sizeof(mi))
			return -EINVAL;
		if (!peer || ns_route(s->stack, peer, NULL, s->bound_nic, &rt) < 0)
			return -ENOTCONN;
		memset(&mi, 0, sizeof(mi));
		mi.ip6m_mtu = rt.mtu;
		return put_bytes(v, len, &mi, sizeof(mi));
	}
	case IPV6_HOPOPTS:
	case IPV6_DSTOPTS:
	case IPV6_RTHDRDSTOPTS:
	case IPV6_RTHDR:
		return sticky_get(s, name, v, len);
	case IPV6_UNICAST_IF:
		return put_int(v, len, (int)htonl((uint32_t)s->uc_index6));
	case MCAST_MSFILTER:
		return mld_getsockopt(s, name, v, len);
	case IPV6_TRANSPARENT:
		return put_int(v, len, !!(s->opts & NS_SO_TRANSPARENT));
	case IPV6_DONTFRAG:
		return put_int(v, len, !!(s->opts & NS_SO_DONTFRAG6));
	case IPV6_AUTOFLOWLABEL:
		return put_int(v, len, !(s->opts & NS_SO_NOFLOWLABEL6));
	default:
		return -ENOPROTOOPT;
	}
}
