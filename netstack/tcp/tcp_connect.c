/*
 * Connection setup: initial sequence numbers (RFC 6528), option
 * negotiation (RFC 7323, RFC 2018, RFC 9293 3.7.1), and the passive side:
 * the SYN queue, the accept queue and SYN cookies.
 *
 * A SYN to a listener creates a small request entry (struct tcp_req) and a
 * SYN-ACK; the full connection block is made only when the handshake's
 * final ACK arrives, and waits in the accept queue (bounded by the backlog)
 * until accept() takes it. When the SYN queue is full, SYN cookies answer
 * without keeping state (the listener's backlog bounds both queues, as in
 * Linux). When the accept queue is full, SYNs are dropped and final ACKs
 * ignored (the SYN-ACK is retransmitted later), as Linux does.
 */
#include <stdlib.h>

#include "tcp_priv.h"

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * M a 4-microsecond clock. */
uint32_t tcp_isn(struct ns_stack *st, const struct ns_ip *laddr, uint16_t lport,
		 const struct ns_ip *raddr, uint16_t rport)
{
	uint8_t k[40];
	size_t n = 0;
	size_t al = laddr->family == AF_INET ? 4 : 16;
	memcpy(k, laddr->family == AF_INET ? (const void *)&laddr->v4 : laddr->v6, al);
	n += al;
	memcpy(k + n, raddr->family == AF_INET ? (const void *)&raddr->v4 : raddr->v6, al);
	n += al;
	ns_wr16(k + n, lport);
	ns_wr16(k + n + 2, rport);
	n += 4;
	uint32_t f = (uint32_t)ns_siphash(st->secret, k, n);
	return f + (uint32_t)(st_now(st) / 4000);
}

void tcp_init_from_syn(struct tcp_sock *tp, const struct tcp_opts *o)
{
	/* Without an MSS option what connect() assumed stands (RFC 9293
	 * 3.7.1's default, or TCP_MAXSEG's value as on Linux). */
	if (o->mss_ok && o->mss)
		tp->peer_mss = o->mss;
	if (tp->peer_mss < TCP_MIN_MSS)
		tp->peer_mss = TCP_MIN_MSS;
	/* RFC 7323 2.2: scaling only if both sides sent the option. */
	tp->ws_ok = tp->ws_ok && o->ws_ok;
	if (tp->ws_ok) {
		tp->snd_wscale = o->ws;
	} else {
		tp->snd_wscale = 0;
		tp->rcv_wscale = 0;
		tp->window_clamp = NS_MIN(tp->window_clamp, 65535u);
	}
	tp->sack_ok = tp->sack_ok && o->sack_perm;
	tp->ts_ok = tp->ts_ok && o->ts_ok;
	tcp_current_mss(tp);
}

void tcp_init_transfer(struct tcp_sock *tp)
{
	/* RFC 6928: an initial window of 10 segments; RFC 5681 3.1: an
	 * arbitrarily high initial ssthresh. */
	tp->snd_cwnd = TCP_INIT_CWND;
	tp->snd_ssthresh = 0x7fffffff;
	tp->reordering = TCP_REORDERING;
	tp->ca_state = CA_OPEN;
	tp->quickack = TCP_QUICKACKS;
	uint32_t advmss = tp->adv_mss - (tp->ts_ok ? 12u : 0u);
	/* Linux tcp_initialize_rcv_mss(): a guess at the peer's segments,
	 * at most RFC 9293's default and half the first window. */
	uint32_t rmss = NS_MIN(advmss, tp->rcv_wnd / 2);
	if (tp->mss)
		rmss = NS_MIN(rmss, (uint32_t)tp->mss);
	tp->rcv_mss = (uint16_t)NS_MAX(NS_MIN(rmss, (uint32_t)TCP_DEFAULT_MSS), (uint32_t)TCP_MIN_MSS);
	tp->established_once = 1;
	tp->cc->init(tp);
	/* Linux tcp_init_buffer_space(): the clamp is at most the buffer's
	 * share, less a segment of reserve (tcp_app_win 31) where that
	 * leaves two; rcv_ssthresh within it. The first measure of the
	 * auto-tuning is the window the handshake offered (at most ten
	 * segments). */
	uint32_t maxwin = tcp_full_space(tp);
	if (tp->window_clamp >= maxwin)
		tp->window_clamp = maxwin;
	if (tp->window_clamp > 2 * advmss && tp->window_clamp + advmss > maxwin)
		tp->window_clamp = NS_MAX(2 * advmss, maxwin - advmss);
	tp->rcv_ssthresh = NS_MIN(tp->rcv_ssthresh, tp->window_clamp);
	tp->rcvq_space = NS_MIN(NS_MIN(tp->rcv_ssthresh, tp->rcv_wnd), TCP_INIT_CWND * advmss);
	tp->rcvq_space_time = tcp_now(tp);
	tp->lsndtime = tcp_now(tp);
	tp->last_data_recv = tcp_now(tp);
	tcp_arm_keepalive(tp);
	tcp_current_mss(tp);
	/* Linux tcp_init_buffer_space(): a send buffer for the initial
	 * window of this MSS (on loopback, ten 32 KB segments: with less,
	 * Nagle would wait for an ACK behind every segment). */
	tcp_sndbuf_expand(tp);
}

/* ---- SYN cookies ----
 * cookie = H1(4-tuple) + peer_isn + (count << 24)
 *          + ((H2(4-tuple, count) + mss_index) & 0xffffff)
 * count advances every 64 s; a cookie is good for two counts. With
 * timestamps the window scale and SACK-permitted ride in the low 6 bits of
 * our TSval and come back in TSecr (Linux does the same). */

static const uint16_t cookie_mss[] = { 536, 1300, 1440, 1460 };
#define COOKIE_PERIOD (64 * NS_SEC)

static uint32_t cookie_hash(struct ns_stack *st, const struct tcp_seg_in *seg, uint32_t count, int which)
{
	uint8_t k[41];
	size_t n = 0;
	const struct ns_ip *a[2] = { &seg->l3->src, &seg->l3->dst };
	for (int i = 0; i < 2; i++) {
		if (a[i]->family == AF_INET) {
			ns_wr32(k + n, a[i]->v4);
			n += 4;
		} else {
			memcpy(k + n, a[i]->v6, 16);
			n += 16;
		}
	}
	ns_wr16(k + n, seg->sport);
	ns_wr16(k + n + 2, seg->dport);
	n += 4;
	if (which == 1)
		return (uint32_t)ns_siphash(st->secret, k, n);
	ns_wr32(k + n, count);
	k[n + 4] = (uint8_t)which;
	return (uint32_t)ns_siphash(st->secret, k, n + 5);
}

static uint32_t cookie_make(struct ns_stack *st, const struct tcp_seg_in *seg, uint32_t mss_idx)
{
	uint32_t count = (uint32_t)(st_now(st) / COOKIE_PERIOD);
	return cookie_hash(st, seg, 0, 1) + seg->seq + (count << 24) +
	       ((cookie_hash(st, seg, count, 2) + mss_idx) & 0xffffff);
}

/* Returns the MSS index, or -1 when `cookie` (our ISN) is not valid. */
static int cookie_check(struct ns_stack *st, const struct tcp_seg_in *seg, uint32_t cookie)
{
	uint32_t count = (uint32_t)(st_now(st) / COOKIE_PERIOD);
	uint32_t irs = seg->seq - 1;
	uint32_t v = cookie - cookie_hash(st, seg, 0, 1) - irs;
	uint32_t c = v >> 24;
	if (((count - c) & 0xff) > 1)
		return -1;
	uint32_t idx = (v - cookie_hash(st, seg, (count & ~0xffu) | c, 2)) & 0xffffff;
	if (idx >= NS_ARRAY_SIZE(cookie_mss)) {
		/* count may have wrapped its low byte differently */
		idx = (v - cookie_hash(st, seg, count - 1, 2)) & 0xffffff;
		if (idx >= NS_ARRAY_SIZE(cookie_mss))
			return -1;
	}
	return (int)idx;
}

/* ---- requests ---- */

void tcp_req_free(struct ns_stack *st, struct tcp_req *req)
{
	ns_timer_disarm(st->wheel, &req->timer);
	free(req->saved_syn);
	free(req);
}

static void req_unlink(struct tcp_sock *lp, struct tcp_req *req)
{
	struct tcp_req **pp = &lp->listen->synq;
	while (*pp && *pp != req)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = req->next;
		lp->listen->synq_len--;
	}
}

uint8_t tcp_defer_secs_to_timeouts(int secs)
{
	/* Linux: the fewest timeouts whose sum reaches secs, at most 255. */
	if (secs <= 0)
		return 0;
	uint32_t n = 1, tmo = 1, total = 1;
	const uint32_t max = (uint32_t)(TCP_RTO_MAX / NS_SEC);
	while ((uint32_t)secs > total && n < 255) {
		n++;
		tmo = NS_MIN(tmo * 2, max);
		total += tmo;
	}
	return (uint8_t)n;
}

int tcp_defer_timeouts_to_secs(uint8_t n)
{
	const int max = (int)(TCP_RTO_MAX / NS_SEC);
	int tmo = 1, total = n ? 1 : 0;
	for (int i = 1; i < n; i++) {
		tmo = NS_MIN(tmo * 2, max);
		total += tmo;
	}
	return total;
}

static void req_timer_fn(struct ns_timer *t, ns_time_t now)
{
	struct tcp_req *req = ns_container_of(t, struct tcp_req, timer);
	struct tcp_sock *lp = req->listener;
	struct ns_stack *st = lp->sk.stack;
	uint32_t defer = lp->defer_accept;
	uint32_t limit = NS_MAX((uint32_t)TCP_SYNACK_RETRIES, defer);
	/* Linux syn_ack_recalc(): a request whose bare ACK TCP_DEFER_ACCEPT
	 * dropped lives until the deferral's timeouts have passed; it is not
	 * sent SYN-ACKs meanwhile, except at the last timeout of the
	 * deferral, whose ACK (a client answers a SYN-ACK it has already
	 * acknowledged) then completes the connection without data. */
	int expire = req->retries >= limit && (!req->acked || req->retries >= defer);
	int resend = !defer || !req->acked || req->retries + 1u >= defer;
	if (expire) {
		req_unlink(lp, req);
		tcp_req_free(st, req);
		return;
	}
	if (req->retries < 255)
		req->retries++;
	if (resend) {
		NS_STAT_INC(st, tcp_synack_retrans);
		tcp_send_synack(st, req);
	}
	ns_time_t rto = TCP_RTO_INIT;
	for (int i = 0; i < req->retries && rto < TCP_RTO_MAX; i++)
		rto *= 2;
	ns_timer_arm(st->wheel, &req->timer, now + NS_MIN(rto, (ns_time_t)TCP_RTO_MAX));
}

static struct tcp_req *req_find(struct tcp_sock *lp, const struct tcp_seg_in *seg)
{
	for (struct tcp_req *r = lp->listen->synq; r; r = r->next)
		if (r->rport == seg->sport && ns_ip_eq(&r->raddr, &seg->l3->src) &&
		    ns_ip_eq(&r->laddr, &seg->l3->dst) && r->lport == seg->dport)
			return r;
	return NULL;
}

static int acceptq_full(const struct tcp_sock *lp)
{
	/* Linux sk_acceptq_is_full(): more than `backlog` waiting. */
	return lp->listen->acceptq_len > lp->listen->backlog;
}

/* Make the connection block for a completed handshake; queue it for
 * accept(). */
static struct tcp_sock *child_create(struct tcp_sock *lp, const struct tcp_seg_in *seg,
				     const struct tcp_req *req)
{
	struct ns_stack *st = lp->sk.stack;
	struct tcp_sock *tp = tcp_sock_alloc(st, lp->sk.domain);
	if (!tp)
		return NULL;
	/* Inherit the listener's options (Linux sk_clone_lock). */
	tp->sk.opts = lp->sk.opts;
	tp->sk.rcvbuf = lp->sk.rcvbuf;
	tp->sk.sndbuf = lp->sk.sndbuf;
	tp->sk.ttl = lp->sk.ttl;
	tp->sk.tos = lp->sk.tos;
	tp->sk.mark = lp->sk.mark; /* (but not the priority: Linux's child starts at 0) */
	tp->sk.hoplimit6 = lp->sk.hoplimit6;
	tp->sk.tclass6 = lp->sk.tclass6;
	tp->sk.mc_hops6 = lp->sk.mc_hops6;
	tp->sk.mc_loop6 = lp->sk.mc_loop6;
	tp->sk.mc_all6 = lp->sk.mc_all6;
	tp->sk.min_hops6 = lp->sk.min_hops6;
	tp->sk.min_ttl = lp->sk.min_ttl;
	tp->sk.port_range = lp->sk.port_range;
	tp->sk.uc_index = lp->sk.uc_index;
	tp->sk.uc_index6 = lp->sk.uc_index6;
	tp->sk.opts6 = lp->sk.opts6;
	tp->sk.srcprefs6 = lp->sk.srcprefs6;
	if (ns_ip6_sticky_copy(&tp->sk, &lp->sk) < 0) {
		tcp_free(tp);
		return NULL;
	}
	if (req->opt4.len) {
		tp->sk.opt4 = malloc(sizeof(*tp->sk.opt4));
		if (!tp->sk.opt4) {
			tcp_free(tp);
			return NULL;
		}
		*tp->sk.opt4 = req->opt4;
	}
	tp->sk.peek_off = lp->sk.peek_off;
	/* Linux's tcp_v4_syn_recv_sock takes these from the ACK that
	 * completes the handshake: its TOS (rcv_tos), its TTL as the
	 * multicast TTL and its interface as the multicast one */
	tp->rcv_tos = seg->l3->tos;
	if (seg->l3->src.family == AF_INET) {
		tp->sk.mc_ttl = seg->l3->ttl;
		if (seg->pkt && seg->pkt->nic)
			tp->sk.mc_index = seg->pkt->nic->id;
	}
	/* ... and tcp_v6_syn_recv_sock the same for IPv6 sockets (what
	 * IPV6_2292PKTOPTIONS reads without a segment kept): the
	 * interface, the hop limit (or TTL) as the multicast ones, the flow
	 * information (0 for IPv4) */
	if (tp->sk.domain == AF_INET6) {
		if (seg->l3->nic)
			tp->sk.mc_index6 = seg->l3->nic->id;
		tp->sk.mc_hops6 = seg->l3->ttl;
		if (seg->l3->src.family == AF_INET6 && seg->pkt)
			tp->sk.rcv_flowinfo6 = ns_rd32(pkt_at(seg->pkt, seg->pkt->l3_off)) & 0x0fffffff;
	}
	tp->sk.bound_nic = lp->sk.bound_nic;
	tp->sk.linger_on = lp->sk.linger_on;
	tp->sk.linger_secs = lp->sk.linger_secs;
	tp->sk.userlocks = lp->sk.userlocks;
	tp->sk.tsflags = lp->sk.tsflags; /* (a listener has no OPT_ID: no ids to inherit) */
	tp->nodelay = lp->nodelay;
	tp->user_mss = lp->user_mss;
	tp->keepidle_s = lp->keepidle_s;
	tp->keepintvl_s = lp->keepintvl_s;
	tp->keepcnt = lp->keepcnt;
	tp->user_timeout_ms = lp->user_timeout_ms;
	tp->linger2_s = lp->linger2_s;
	tp->window_clamp = lp->window_clamp;
	tp->cc = lp->cc;
	tp->rto_min = lp->rto_min;
	tp->rto_max = lp->rto_max;
	tp->delack_max = lp->delack_max;
	tp->thin_lto = lp->thin_lto;
	tp->save_syn = lp->save_syn;
	tp->fo_no_cookie = lp->fo_no_cookie;
	tp->tx_delay_us = lp->tx_delay_us;
	ns_socket_filter_inherit(&tp->sk, &lp->sk);

	tp->laddr = req->laddr;
	tp->raddr = req->raddr;
	tp->lport = req->lport;
	tp->rport = req->rport;
	tp->iss = req->iss;
	tp->irs = req->irs;
	tp->snd_una = tp->snd_nxt = req->iss + 1;
	tp->snd_buf_seq = req->iss + 1;
	tp->rcv_nxt = req->irs + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->adv_mss = lp->adv_mss;
	if (tp->user_mss && tp->user_mss < tp->adv_mss)
		tp->adv_mss = tp->user_mss; /* as the SYN-ACK announced */
	/* An IPv6 link-local peer lives on the interface it came in on. */
	if (!tp->sk.bound_nic && req->raddr.family == AF_INET6 && req->raddr.v6[0] == 0xfe &&
	    (req->raddr.v6[1] & 0xc0) == 0x80)
		tp->sk.bound_nic = req->nic;
	tp->ws_ok = req->ws_ok;
	tp->snd_wscale = req->snd_ws;
	tp->sack_ok = req->sack_ok;
	tp->ts_ok = req->ts_ok;
	tp->ecn_ok = req->ecn_ok;
	tp->ts_recent = seg->opt.ts_ok ? seg->opt.tsval : req->ts_recent;
	tp->ts_recent_stamp = tcp_now(tp);
	tp->ts_offset = req->ts_offset;
	tp->peer_mss = req->mss ? req->mss : tcp_default_mss(tp);
	tp->pmtu = lp->pmtu;
	{
		struct ns_rt rt;
		if (ns_route(st, &tp->raddr, &tp->laddr, tp->sk.bound_nic, &rt) == 0)
			tp->pmtu = tcp_mtu_cap(tp, rt.mtu);
		uint32_t mss = (tp->pmtu ? tp->pmtu : 1500) - tcp_ip_base_len(tp) - TCP_HDR_LEN;
		if (mss < tp->adv_mss)
			tp->adv_mss = (uint16_t)mss;
	}
	tp->snd_wnd = seg->wnd << tp->snd_wscale;
	tp->snd_max_wnd = tp->snd_wnd;
	tp->snd_wl1 = seg->seq;
	tp->snd_wl2 = seg->ack;
	tp->last_ack_sent = tp->rcv_nxt;
	/* The window of the SYN-ACK (the listener's, as it was sent), and
	 * rcv_ssthresh from it (Linux tcp_create_openreq_child). RFC 9293
	 * 3.8.6: it holds from the start (unscaled, RFC 7323 2.2), before
	 * this block sends anything. */
	tp->ts_ok = req->ts_ok;
	tcp_req_init_rwin(st, lp, req, tp->adv_mss, &tp->rcv_wnd, &tp->window_clamp, &tp->rcv_wscale);
	tp->rcv_ssthresh = tp->rcv_wnd;
	tp->rcv_adv = tp->rcv_nxt + NS_MIN(tp->rcv_wnd, 65535u);
	tp->state = TCPS_ESTABLISHED;
	tcp_ehash_insert(st, tp);
	tcp_bhash_insert(st, tp);
	tcp_init_transfer(tp);
	/* Linux sk_clone_lock(): the listener's shutdown flags (a shutdown()
	 * of the socket before listen()) are the child's too. */
	tp->shut_rd = lp->shut_rd;
	tp->shut_wr = lp->shut_wr;
	tcp_queue_early_fin(tp);
	/* The RTT of the handshake. */
	if (!req->retries && req->timer.expires) {
		ns_time_t sent = req->timer.expires - TCP_RTO_INIT;
		if (tcp_now(tp) > sent)
			tcp_rtt_sample(tp, (uint32_t)((tcp_now(tp) - sent) / NS_USEC));
	}
	tp->parent = lp;
	if (lp->listen->acceptq_tail)
		lp->listen->acceptq_tail->acc_next = tp;
	else
		lp->listen->acceptq_head = tp;
	lp->listen->acceptq_tail = tp;
	lp->listen->acceptq_len++;
	NS_STAT_INC(st, tcp_passive_opens);
	return tp;
}

/* Linux tcp_v4_save_options: the IPv4 options of the segment that makes
 * the request (the SYN; a SYN cookie's final ACK), echoed for the
 * answer; none when they cannot be (ip4_opts_echo). */
static void req_opts4(struct ns_stack *st, const struct tcp_seg_in *seg, struct tcp_req *req)
{
	struct ip4_opts rx;
	req->opt4.len = 0;
	if (seg->l3->src.family != AF_INET || !seg->pkt)
		return;
	const uint8_t *ih = pkt_at(seg->pkt, seg->pkt->l3_off);
	if (ip4_opts_received(st, ih, seg->l3->dst.v4, ns_stack_now(st), &rx) < 0 ||
	    ip4_opts_echo(st, &rx, &req->opt4) < 0)
		req->opt4.len = 0;
}

static void req_from_syn(struct tcp_sock *lp, const struct tcp_seg_in *seg, struct tcp_req *req)
{
	struct ns_stack *st = lp->sk.stack;
	struct tcp_state *ts = st->tcp;
	memset(req, 0, sizeof(*req));
	req->listener = lp;
	req->laddr = seg->l3->dst;
	req->raddr = seg->l3->src;
	req->lport = seg->dport;
	req->rport = seg->sport;
	req->irs = seg->seq;
	req->mss = seg->opt.mss_ok ? seg->opt.mss : 0;
	req->ws_ok = seg->opt.ws_ok && ts->window_scaling;
	req->snd_ws = req->ws_ok ? seg->opt.ws : 0;
	req->sack_ok = seg->opt.sack_perm && ts->sack;
	req->ts_ok = seg->opt.ts_ok && ts->timestamps;
	req->ts_recent = seg->opt.ts_ok ? seg->opt.tsval : 0;
	req->peer_wnd = seg->wnd;
	/* RFC 3168 6.1.1: ECE and CWR in the SYN ask for ECN. */
	req->ecn_ok = (seg->flags & (TH_ECE | TH_CWR)) == (TH_ECE | TH_CWR) && ts->ecn;
	req->nic = seg->l3->nic ? seg->l3->nic->id : 0;
	req_opts4(st, seg, req);
}

/* TCP_SAVE_SYN: the SYN's IP and TCP headers, options included, as they
 * came (Linux's tcp_reqsk_record_syn); with_link (TCP_SAVE_SYN 2), the
 * link header before them: the frame's Ethernet header, or on loopback
 * the one Linux's lo carries (zero addresses and the EtherType). Without
 * memory the SYN is not saved (TCP_SAVED_SYN then reads 0 bytes). */
static void save_syn(struct tcp_req *req, const struct tcp_seg_in *seg, int with_link)
{
	const struct pkt *p = seg->pkt;
	if (!p)
		return;
	uint32_t thl = (uint32_t)(pkt_at(p, p->l4_off)[12] >> 4) * 4;
	uint32_t ip = p->l4_off + thl - p->l3_off, link = with_link ? 14 : 0;
	uint8_t *b = malloc(link + ip);
	if (!b)
		return;
	if (with_link && (p->flags & PKT_F_L2) && p->l3_off >= 14) {
		memcpy(b, pkt_at(p, p->l3_off - 14), 14);
	} else if (with_link) {
		memset(b, 0, 12);
		ns_wr16(b + 12, seg->l3->src.family == AF_INET ? 0x0800 : 0x86dd);
	}
	memcpy(b + link, pkt_at(p, p->l3_off), ip);
	req->saved_syn = b;
	req->saved_syn_len = link + ip;
}

static void syn_input(struct tcp_sock *lp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = lp->sk.stack;
	struct tcp_listen *L = lp->listen;

	struct tcp_req *old = req_find(lp, seg);
	if (old) {
		/* A retransmitted SYN: answer again (RFC 9293 3.10.7.4). */
		if (seg->seq == old->irs)
			tcp_send_synack(st, old);
		return;
	}
	if (acceptq_full(lp)) {
		/* Linux tcp_conn_request(): no room to finish, drop. */
		NS_STAT_INC(st, tcp_listen_overflows);
		NS_STAT_INC(st, tcp_listen_drops);
		return;
	}
	struct tcp_req tmp;
	req_from_syn(lp, seg, &tmp);
	if (L->synq_len >= NS_MAX(L->backlog, 1u)) {
		if (!st->tcp->syncookies) {
			NS_STAT_INC(st, tcp_listen_drops);
			return;
		}
		/* Stateless answer (SYN cookie). */
		uint32_t mss = seg->opt.mss_ok ? seg->opt.mss : TCP_DEFAULT_MSS;
		uint32_t idx = 0;
		for (uint32_t i = 0; i < NS_ARRAY_SIZE(cookie_mss); i++)
			if (cookie_mss[i] <= mss)
				idx = i;
		tmp.iss = cookie_make(st, seg, idx);
		tmp.mss = cookie_mss[idx];
		if (tmp.ts_ok) {
			uint32_t now_ms = (uint32_t)(st_now(st) / NS_MSEC);
			uint32_t opts = (tmp.ws_ok ? (tmp.snd_ws & 0xf) : 0xf) | (tmp.sack_ok ? 0x10 : 0) |
					(tmp.ecn_ok ? 0x20 : 0);
			uint32_t tsv = (now_ms & ~0x3fu) | opts;
			if ((int32_t)(tsv - now_ms) > 0)
				tsv = ((now_ms & ~0x3fu) - 0x40) | opts;
			tmp.ts_offset = tsv - now_ms; /* so tcp_tsval() gives tsv now */
		} else {
			/* No timestamps: the options cannot survive. */
			tmp.ws_ok = 0;
			tmp.sack_ok = 0;
			tmp.ecn_ok = 0;
		}
		NS_STAT_INC(st, tcp_syncookies_sent);
		tcp_send_synack(st, &tmp);
		return;
	}
	struct tcp_req *req = malloc(sizeof(*req));
	if (!req) {
		NS_STAT_INC(st, tcp_drop_nomem);
		return;
	}
	*req = tmp;
	if (lp->save_syn)
		save_syn(req, seg, lp->save_syn == 2);
	req->iss = tcp_isn(st, &req->laddr, req->lport, &req->raddr, req->rport);
	req->ts_offset = ns_random32(st);
	ns_timer_init(&req->timer, req_timer_fn);
	req->next = L->synq;
	L->synq = req;
	L->synq_len++;
	tcp_send_synack(st, req);
	ns_timer_arm(st->wheel, &req->timer, st_now(st) + TCP_RTO_INIT);
}

/* The handshake's final ACK for a stateless (cookie) SYN-ACK. */
static struct tcp_sock *cookie_ack(struct tcp_sock *lp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = lp->sk.stack;
	if (!st->tcp->syncookies)
		return NULL;
	int idx = cookie_check(st, seg, seg->ack - 1);
	if (idx < 0) {
		NS_STAT_INC(st, tcp_syncookies_failed);
		return NULL;
	}
	struct tcp_req req;
	memset(&req, 0, sizeof(req));
	req.listener = lp;
	req.laddr = seg->l3->dst;
	req.raddr = seg->l3->src;
	req.lport = seg->dport;
	req.rport = seg->sport;
	req.irs = seg->seq - 1;
	req.iss = seg->ack - 1;
	req.mss = cookie_mss[idx];
	if (seg->opt.ts_ok && seg->opt.tsecr && st->tcp->timestamps) {
		uint32_t bits = seg->opt.tsecr & 0x3f;
		req.ts_ok = 1;
		req.ws_ok = (bits & 0xf) != 0xf && st->tcp->window_scaling;
		req.snd_ws = req.ws_ok ? (uint8_t)NS_MIN(bits & 0xf, (uint32_t)TCP_MAX_WSCALE) : 0;
		req.sack_ok = (bits & 0x10) && st->tcp->sack;
		req.ecn_ok = (bits & 0x20) && st->tcp->ecn;
		req.ts_recent = seg->opt.tsval;
		/* Keep TSvals monotonic with the one in the SYN-ACK. */
		uint32_t now_ms = (uint32_t)(st_now(st) / NS_MSEC);
		req.ts_offset = 0;
		if ((int32_t)(seg->opt.tsecr - now_ms) > 0)
			req.ts_offset = seg->opt.tsecr - now_ms;
	}
	req_opts4(st, seg, &req);
	NS_STAT_INC(st, tcp_syncookies_recv);
	return child_create(lp, seg, &req);
}

void tcp_listen_input(struct tcp_sock *lp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = lp->sk.stack;
	uint8_t fl = seg->flags;

	/* RFC 9293 3.10.7.2: a RST is ignored in LISTEN... */
	struct tcp_req *req = req_find(lp, seg);
	if (fl & TH_RST) {
		/* ...but one for a pending request in its window aborts it. */
		if (req && SEQ_GEQ(seg->seq, req->irs + 1) &&
		    SEQ_LT(seg->seq, req->irs + 1 + NS_MAX(req->peer_wnd, 1u))) {
			req_unlink(lp, req);
			tcp_req_free(st, req);
		}
		return;
	}
	if (req && !(fl & TH_SYN)) {
		/* SYN-RECEIVED (RFC 9293 3.10.7.4), kept as a request. */
		if (!(fl & TH_ACK))
			return;
		if (seg->ack != req->iss + 1) {
			/* Unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>. */
			tcp_send_reset_reply(st, seg);
			return;
		}
		if (SEQ_LT(seg->seq, req->irs + 1) ||
		    SEQ_GT(seg->seq, req->irs + 1 + (uint32_t)lp->sk.rcvbuf)) {
			/* Out of window: re-send our SYN-ACK as the ACK. */
			tcp_send_synack(st, req);
			return;
		}
		if (seg->len == 0 && !(fl & TH_FIN) && req->retries < lp->defer_accept) {
			/* TCP_DEFER_ACCEPT: wait for data before waking
			 * the listener (Linux drops the bare ACK) until the
			 * deferral's SYN-ACK timeouts have passed. */
			req->acked = 1;
			return;
		}
		if (acceptq_full(lp)) {
			/* Linux: drop the ACK; the SYN-ACK will be resent. */
			NS_STAT_INC(st, tcp_listen_overflows);
			req->acked = 1;
			return;
		}
		req_unlink(lp, req);
		struct tcp_sock *tp = child_create(lp, seg, req);
		if (tp) {
			tp->saved_syn = req->saved_syn;
			tp->saved_syn_len = req->saved_syn_len;
			req->saved_syn = NULL;
		}
		tcp_req_free(st, req);
		if (!tp)
			return;
		tcp_rcv_state_process(tp, seg);
		tcp_wake(lp);
		return;
	}
	if (fl & TH_SYN) {
		if (fl & TH_ACK) {
			tcp_send_reset_reply(st, seg);
			return;
		}
		syn_input(lp, seg);
		return;
	}
	if (fl & TH_ACK) {
		/* No request: perhaps a SYN cookie; else RST (RFC 9293
		 * 3.10.7.2: any ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>). */
		if (!acceptq_full(lp)) {
			struct tcp_sock *tp = cookie_ack(lp, seg);
			if (tp) {
				tcp_rcv_state_process(tp, seg);
				tcp_wake(lp);
				return;
			}
		} else {
			NS_STAT_INC(st, tcp_listen_overflows);
			return;
		}
		tcp_send_reset_reply(st, seg);
	}
}

void tcp_listen_destroy(struct tcp_sock *lp)
{
	struct ns_stack *st = lp->sk.stack;
	struct tcp_listen *L = lp->listen;
	if (!L)
		return;
	while (L->synq) {
		struct tcp_req *r = L->synq;
		L->synq = r->next;
		tcp_req_free(st, r);
	}
	/* Unaccepted connections are reset (Linux inet_csk_listen_stop). */
	while (L->acceptq_head) {
		struct tcp_sock *c = L->acceptq_head;
		L->acceptq_head = c->acc_next;
		c->acc_next = NULL;
		c->parent = NULL;
		c->orphan = 1;
		c->sk.released = 1;
		if (c->state != TCPS_CLOSED && c->state != TCPS_TIME_WAIT) {
			NS_STAT_INC(st, tcp_abort_on_close);
			tcp_send_active_reset(c);
			tcp_done(c, 0);
		} else {
			tcp_free(c);
		}
	}
	L->acceptq_tail = NULL;
	L->acceptq_len = 0;
	free(L);
	lp->listen = NULL;
}
