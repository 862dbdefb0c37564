/*
 * TCP demultiplexing tables and port binding.
 *
 *   ehash  connections (SYN-SENT and later, TIME_WAIT included) by 4-tuple,
 *          keyed by a secret hash so that peers cannot flood one chain;
 *   bhash  every socket that holds a local port, for bind conflicts;
 *   lhash  listening sockets by port, scored like Linux (exact address and
 *          bound device beat wildcards; SO_REUSEPORT groups share by hash).
 */
#include "tcp_priv.h"

static uint32_t ehash_of(struct ns_stack *st, const struct ns_ip *laddr, uint16_t lport,
			 const struct ns_ip *raddr, uint16_t rport)
{
	uint8_t k[36];
	size_t n;
	if (laddr->family == AF_INET) {
		ns_wr32(k, laddr->v4);
		ns_wr32(k + 4, raddr->v4);
		n = 8;
	} else {
		memcpy(k, laddr->v6, 16);
		memcpy(k + 16, raddr->v6, 16);
		n = 32;
	}
	ns_wr16(k + n, lport);
	ns_wr16(k + n + 2, rport);
	return (uint32_t)ns_siphash(st->secret, k, n + 4);
}

void tcp_ehash_insert(struct ns_stack *st, struct tcp_sock *tp)
{
	if (tp->in_ehash)
		return;
	uint32_t h = ehash_of(st, &tp->laddr, tp->lport, &tp->raddr, tp->rport) % TCP_EHASH;
	tp->ehnext = st->tcp->ehash[h];
	st->tcp->ehash[h] = tp;
	tp->in_ehash = 1;
}

void tcp_ehash_remove(struct ns_stack *st, struct tcp_sock *tp)
{
	if (!tp->in_ehash)
		return;
	uint32_t h = ehash_of(st, &tp->laddr, tp->lport, &tp->raddr, tp->rport) % TCP_EHASH;
	struct tcp_sock **pp = &st->tcp->ehash[h];
	while (*pp && *pp != tp)
		pp = &(*pp)->ehnext;
	if (*pp)
		*pp = tp->ehnext;
	tp->ehnext = NULL;
	tp->in_ehash = 0;
}

struct tcp_sock *tcp_ehash_lookup(struct ns_stack *st, const struct ns_ip *laddr, uint16_t lport,
				  const struct ns_ip *raddr, uint16_t rport)
{
	uint32_t h = ehash_of(st, laddr, lport, raddr, rport) % TCP_EHASH;
	for (struct tcp_sock *tp = st->tcp->ehash[h]; tp; tp = tp->ehnext)
		if (tp->lport == lport && tp->rport == rport && ns_ip_eq(&tp->laddr, laddr) &&
		    ns_ip_eq(&tp->raddr, raddr))
			return tp;
	return NULL;
}

void tcp_bhash_insert(struct ns_stack *st, struct tcp_sock *tp)
{
	if (tp->in_bhash)
		return;
	struct tcp_sock **pp = &st->tcp->bhash[tp->lport % TCP_BHASH];
	tp->bnext = *pp;
	*pp = tp;
	tp->in_bhash = 1;
}

void tcp_bhash_remove(struct ns_stack *st, struct tcp_sock *tp)
{
	if (!tp->in_bhash)
		return;
	struct tcp_sock **pp = &st->tcp->bhash[tp->lport % TCP_BHASH];
	while (*pp && *pp != tp)
		pp = &(*pp)->bnext;
	if (*pp)
		*pp = tp->bnext;
	tp->bnext = NULL;
	tp->in_bhash = 0;
}

void tcp_lhash_insert(struct ns_stack *st, struct tcp_sock *tp)
{
	if (tp->in_lhash)
		return;
	/* Append, so that older listeners come first in a reuseport group. */
	struct tcp_sock **pp = &st->tcp->lhash[tp->lport % TCP_BHASH];
	while (*pp)
		pp = &(*pp)->lhnext;
	*pp = tp;
	tp->lhnext = NULL;
	tp->in_lhash = 1;
}

void tcp_lhash_remove(struct ns_stack *st, struct tcp_sock *tp)
{
	if (!tp->in_lhash)
		return;
	struct tcp_sock **pp = &st->tcp->lhash[tp->lport % TCP_BHASH];
	while (*pp && *pp != tp)
		pp = &(*pp)->lhnext;
	if (*pp)
		*pp = tp->lhnext;
	tp->lhnext = NULL;
	tp->in_lhash = 0;
}

/* Does the listener's bound address accept packets to `dst`? A v6
 * wildcard without V6ONLY takes IPv4 too (dual stack, RFC 3493 5.3). */
static int addr_matches(const struct tcp_sock *tp, const struct ns_ip *dst)
{
	return ns_ip_addr_accepts(&tp->laddr, !!(tp->sk.opts & NS_SO_V6ONLY), dst);
}

struct tcp_sock *tcp_listener_lookup(struct ns_stack *st, const struct ns_ip *daddr,
				     uint16_t dport, const struct ns_ip *saddr, uint16_t sport,
				     int nic)
{
	struct tcp_sock *best = NULL;
	int best_sc = -1;
	uint32_t matches = 0, hash = 0;
	for (struct tcp_sock *tp = st->tcp->lhash[dport % TCP_BHASH]; tp; tp = tp->lhnext) {
		if (tp->lport != dport || tp->state != TCPS_LISTEN || !addr_matches(tp, daddr))
			continue;
		if (tp->sk.bound_nic && tp->sk.bound_nic != nic)
			continue;
		int sc = (ns_ip_is_any(&tp->laddr) ? 0 : 4) + (tp->sk.bound_nic ? 4 : 0) +
			 (tp->laddr.family == daddr->family ? 1 : 0);
		if (sc > best_sc) {
			best = tp;
			best_sc = sc;
			matches = 1;
			hash = ehash_of(st, daddr, dport, saddr, sport);
		} else if (sc == best_sc && (tp->sk.opts & NS_SO_REUSEPORT) &&
			   (best->sk.opts & NS_SO_REUSEPORT)) {
			/* SO_REUSEPORT: spread flows over the group by hash. */
			matches++;
			if (((uint64_t)hash * matches >> 32) == 0)
				best = tp;
			hash = hash * 2654435761u + 1;
		}
	}
	return best;
}

/* Linux inet_csk_bind_conflict(), for one candidate port. */
static int bind_conflict(struct ns_stack *st, const struct tcp_sock *tp, const struct ns_ip *addr,
			 uint16_t port, int listening)
{
	for (struct tcp_sock *o = st->tcp->bhash[port % TCP_BHASH]; o; o = o->bnext) {
		if (o == tp || o->lport != port)
			continue;
		if (tp->sk.bound_nic && o->sk.bound_nic && tp->sk.bound_nic != o->sk.bound_nic)
			continue;
		if (!ns_ip_bind_overlap(&o->laddr, !!(o->sk.opts & NS_SO_V6ONLY), addr,
					!!(tp->sk.opts & NS_SO_V6ONLY)))
			continue;
		/* SO_REUSEADDR on both: fine unless the other one listens
		 * (or we are about to and it does too). */
		if ((tp->sk.opts & NS_SO_REUSEADDR) && (o->sk.opts & NS_SO_REUSEADDR) &&
		    o->state != TCPS_LISTEN)
			continue;
		if ((tp->sk.opts & NS_SO_REUSEPORT) && (o->sk.opts & NS_SO_REUSEPORT))
			continue;
		NS_UNUSED(listening);
		return 1;
	}
	return 0;
}

int tcp_bind_port(struct ns_stack *st, struct tcp_sock *tp, const struct ns_ip *addr,
		  uint16_t port, int listening)
{
	if (port) {
		/* A repair socket takes the port whoever holds it: its
		 * connection was there before (Linux's SK_FORCE_REUSE). */
		if (!tp->repair_reuse && bind_conflict(st, tp, addr, port, listening))
			return -EADDRINUSE;
	} else {
		uint16_t lo, hi;
		ns_eph_range(&tp->sk, &lo, &hi);
		uint32_t range = (uint32_t)hi - lo + 1;
		uint32_t start = ns_random32(st) % range;
		uint32_t i;
		for (i = 0; i < range; i++) {
			uint16_t p = (uint16_t)(lo + (start + i) % range);
			/* Prefer ports nobody holds at all. */
			if (!bind_conflict(st, tp, addr, p, listening)) {
				int used = 0;
				for (struct tcp_sock *o = st->tcp->bhash[p % TCP_BHASH]; o; o = o->bnext)
					used |= o->lport == p;
				if (used)
					continue;
				port = p;
				break;
			}
		}
		if (!port)
			return -EADDRINUSE;
	}
	if (tp->in_bhash)
		tcp_bhash_remove(st, tp);
	tp->laddr = *addr;
	tp->lport = port;
	tcp_bhash_insert(st, tp);
	return 0;
}

/* RFC 6056 3.3.3 (algorithm 3): a per-destination offset from a keyed hash,
 * plus a global counter, so that ports are hard to guess yet connections to
 * different peers can share local ports. */
int tcp_connect_port(struct ns_stack *st, struct tcp_sock *tp)
{
	if (tp->lport) {
		if (tcp_ehash_lookup(st, &tp->laddr, tp->lport, &tp->raddr, tp->rport))
			return -EADDRNOTAVAIL;
		return 0;
	}
	uint8_t k[40];
	size_t n = 0;
	memcpy(k, tp->laddr.family == AF_INET ? (const void *)&tp->laddr.v4 : tp->laddr.v6,
	       tp->laddr.family == AF_INET ? 4 : 16);
	n += tp->laddr.family == AF_INET ? 4 : 16;
	memcpy(k + n, tp->raddr.family == AF_INET ? (const void *)&tp->raddr.v4 : tp->raddr.v6,
	       tp->raddr.family == AF_INET ? 4 : 16);
	n += tp->raddr.family == AF_INET ? 4 : 16;
	ns_wr16(k + n, tp->rport);
	n += 2;
	uint32_t offset = (uint32_t)ns_siphash(st->secret, k, n);
	uint16_t lo, hi;
	ns_eph_range(&tp->sk, &lo, &hi);
	uint32_t range = (uint32_t)hi - lo + 1;
	for (uint32_t i = 0; i < range; i++) {
		uint16_t p = (uint16_t)(lo + (offset + st->tcp->eph_offset + i) % range);
		int taken = 0;
		for (struct tcp_sock *o = st->tcp->bhash[p % TCP_BHASH]; o && !taken; o = o->bnext)
			if (o->lport == p && (o->port_locked || o->state == TCPS_LISTEN))
				taken = 1;
		if (taken || tcp_ehash_lookup(st, &tp->laddr, p, &tp->raddr, tp->rport))
			continue;
		st->tcp->eph_offset += i + 1;
		tp->lport = p;
		tcp_bhash_insert(st, tp);
		return 0;
	}
	return -EADDRNOTAVAIL;
}
