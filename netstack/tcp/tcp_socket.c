/*
 * TCP's socket glue: the ns_sock_ops of SOCK_STREAM sockets (bind, listen,
 * accept, connect, send, receive, shutdown, close), their options (TCP_*,
 * and the SOL_SOCKET ones TCP reacts to), TCP_INFO in Linux's layout,
 * readiness as Linux's tcp_poll() reports it, and the connection lifecycle
 * (tcp_done / tcp_free).
 *
 * Blocking belongs to the caller: connect() returns -EINPROGRESS and the
 * socket becomes writable (or reports an error) when the handshake ends;
 * send/recv return -EAGAIN when they would block.
 */
#include <linux/sockios.h>
#include <stdio.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "ns/info.h"
#include "tcp_priv.h"

const char *const tcp_state_names[] = {
	"CLOSED",     "LISTEN",	    "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT",
	"FIN_WAIT_1", "CLOSING",    "LAST_ACK", "FIN_WAIT_2",	"TIME_WAIT",
};

int tcp_state_linux(enum tcp_fsm_state s)
{
	static const int map[] = {
		[TCPS_CLOSED] = 7,	 [TCPS_LISTEN] = 10,	 [TCPS_SYN_SENT] = 2,
		[TCPS_SYN_RECEIVED] = 3, [TCPS_ESTABLISHED] = 1, [TCPS_CLOSE_WAIT] = 8,
		[TCPS_FIN_WAIT_1] = 4,	 [TCPS_CLOSING] = 11,	 [TCPS_LAST_ACK] = 9,
		[TCPS_FIN_WAIT_2] = 5,	 [TCPS_TIME_WAIT] = 6,
	};
	return map[s];
}

/* ---- lifecycle ---- */

void tcp_set_state(struct tcp_sock *tp, enum tcp_fsm_state s)
{
	if (s == TCPS_ESTABLISHED && tp->state != TCPS_ESTABLISHED)
		tcp_arm_keepalive(tp);
	tp->state = s;
}

void tcp_wake(struct tcp_sock *tp)
{
	if (tp->parent)
		ns_socket_wake(&tp->parent->sk);
	ns_socket_wake(&tp->sk);
}

static void tcp_unhash(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	tcp_ehash_remove(st, tp);
	tcp_lhash_remove(st, tp);
	if (tp->on_ack_list) {
		struct tcp_sock **pp = &st->tcp->ack_list;
		while (*pp && *pp != tp)
			pp = &(*pp)->acknext;
		if (*pp)
			*pp = tp->acknext;
		tp->on_ack_list = 0;
	}
}

void tcp_free(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	tcp_timers_stop(tp);
	if (tp->listen)
		tcp_listen_destroy(tp);
	tcp_unhash(tp);
	tcp_bhash_remove(st, tp);
	tcp_rtx_purge(tp);
	tcp_tstamp_purge(tp);
	tcp_ring_free(&tp->sndq);
	tcp_rq_free(&tp->rcvq);
	tcp_rmem_reset(tp);
	tcp_ooo_purge(tp);
	free(tp->saved_syn);
	ns_socket_fini(&tp->sk);
	st->tcp->nsocks--;
	free(tp);
}

/* A port bind() did not name goes back to the table; getsockname still
 * shows it while the socket is unbound (Linux keeps inet_sport). */
static void give_back_port(struct tcp_sock *tp)
{
	tcp_bhash_remove(tp->sk.stack, tp);
	tp->name_port = tp->lport;
	tp->lport = 0;
}

void tcp_done(struct tcp_sock *tp, int err)
{
	struct ns_stack *st = tp->sk.stack;
	if (err) {
		tp->sk.so_error = err;
		if (TCPS_HAVEESTABLISHED(tp->state) && err == ECONNRESET)
			NS_STAT_INC(st, tcp_established_resets);
	}
	tp->state = TCPS_CLOSED;
	tp->shut_rd = tp->shut_wr = 1;
	tcp_timers_stop(tp);
	tcp_unhash(tp);
	/* The port stays ours only if bind() chose it (Linux); otherwise
	 * the socket is unbound again and a bind() may name another. */
	if (!tp->port_locked && tp->lport)
		give_back_port(tp);
	tcp_rtx_purge(tp);
	tcp_tstamp_purge(tp); /* (no stamps for what is never sent or acknowledged) */
	tcp_ring_free(&tp->sndq);
	tp->snd_buf_seq = tp->snd_una;
	tp->push_n = 0;
	if (tp->orphan && !tp->parent) {
		tcp_free(tp);
		return;
	}
	tcp_wake(tp);
}

struct tcp_sock *tcp_tw_split(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	struct tcp_sock *tw = tcp_sock_alloc(st, tp->sk.domain);
	if (!tw)
		return NULL;
	/* The block inherits the whole connection (addresses, sequence
	 * numbers, timestamps, window, the socket's IP options) so that it
	 * answers exactly as tp would have; what tp owns or is linked into
	 * stays tp's: the stack's socket list, buffers, queues, timers,
	 * tables, the user's wake-up, the filter, the error queue and the
	 * groups joined. */
	struct ns_socket *next = tw->sk.all_next, **pprev = tw->sk.all_pprev;
	*tw = *tp;
	tw->sk.all_next = next;
	tw->sk.all_pprev = pprev;
	tw->sk.filter = NULL;
	tw->sk.filter_locked = 0;
	tw->sk.errq = tw->sk.errq_tail = NULL;
	tw->sk.errq_mem = 0;
	tw->sk.mc4 = NULL;
	tw->sk.mc6 = NULL;
	tw->sk.pktopts6 = NULL;
	tw->sk.fl_refs = NULL;
	/* (the block's own copy of the extension headers it sends; without
	 * memory it sends none) */
	tw->sk.sticky6 = NULL;
	ns_ip6_sticky_copy(&tw->sk, &tp->sk);
	tw->sk.wake = NULL;
	tw->sk.wake_ctx = NULL;
	tw->sk.released = 1;
	tw->sk.so_error = tw->sk.soft_error = 0;
	tw->ehnext = tw->bnext = tw->lhnext = NULL;
	tw->in_ehash = tw->in_bhash = tw->in_lhash = 0;
	tw->sndq = (struct tcp_ring){ 0 };
	tw->rcvq = (struct tcp_rq){ 0 };
	tw->rq_skb = NULL;
	tw->rq_skb_cap = tw->rq_skb_head = tw->rq_skb_n = tw->rq_skb_read = 0;
	tw->rq_mem = 0;
	tw->ooo = NULL;
	tw->ooo_bytes = 0;
	tw->rtx_head = tw->rtx_tail = NULL;
	tw->tsq = NULL;
	tw->tsq_n = tw->tsq_cap = 0;
	tw->acknext = NULL;
	tw->on_ack_list = tw->ack_pending = tw->ack_now = 0;
	tw->listen = NULL;
	tw->parent = tw->acc_next = NULL;
	tw->orphan = 1;
	tcp_timers_init(tw);
	/* An ACK tp owes (for the FIN that ended the connection) goes from
	 * the block, which holds the 4-tuple from now on. */
	if (tp->ack_pending)
		tcp_schedule_ack(tw, 1);
	tcp_done(tp, 0);
	tcp_ehash_insert(st, tw);
	tcp_bhash_insert(st, tw);
	return tw;
}

/* n units of unit (ns) rounded up to Linux's jiffies, as its
 * usecs_to_jiffies and msecs_to_jiffies round. */
static ns_time_t tcp_jiffies(long n, ns_time_t unit)
{
	ns_time_t t = (ns_time_t)n * unit;
	return (t + TCP_JIFFY - 1) / TCP_JIFFY * TCP_JIFFY;
}

struct tcp_sock *tcp_sock_alloc(struct ns_stack *st, int domain)
{
	extern const struct ns_sock_ops tcp_sock_ops;
	struct tcp_sock *tp = calloc(1, sizeof(*tp));
	if (!tp)
		return NULL;
	ns_socket_init(&tp->sk, st, &tcp_sock_ops, domain, SOCK_STREAM, IPPROTO_TCP);
	/* (the tcp_rmem/tcp_wmem sysctls take any positive value) */
	tp->sk.sndbuf = NS_MAX(st->tcp->wmem_def, 4608);
	tp->sk.rcvbuf = NS_MAX(st->tcp->rmem_def, 2304);
	tp->rcvbuf_max = NS_MIN(NS_MAX(st->tcp->rmem_max, 4096), 1 << 30);
	tp->sndbuf_max = NS_MIN(NS_MAX(st->tcp->wmem_max, 4096), 1 << 30);
	tp->cc = st->tcp->default_cc;
	tp->laddr = ns_ip_any(domain);
	tp->raddr = ns_ip_any(domain);
	tp->rto = TCP_RTO_INIT;
	tp->reordering = TCP_REORDERING;
	tp->snd_cwnd = TCP_INIT_CWND;
	tp->snd_ssthresh = 0x7fffffff;
	tp->scaling_ratio = TCP_SCALING_RATIO_DEFAULT;
	tp->rto_min = tcp_jiffies(NS_MAX(st->tcp->rto_min_us, 1), NS_USEC);
	tp->rto_max = tcp_jiffies(st->tcp->rto_max_ms, NS_MSEC);
	tp->delack_max = TCP_DELACK_MAX;
	tcp_timers_init(tp);
	st->tcp->nsocks++;
	return tp;
}

int tcp_socket_create(struct ns_stack *st, int domain, struct ns_socket **out)
{
	struct tcp_sock *tp = tcp_sock_alloc(st, domain);
	if (!tp)
		return -ENOMEM;
	*out = &tp->sk;
	return 0;
}

/* ---- buffers ---- */

/* What Linux (x86-64) charges a send buffer per segment beyond its bytes:
 * the skb head, kmalloc'ed in a power of two, holds the segment with
 * MAX_TCP_HEADER (320) and struct skb_shared_info (320); struct sk_buff
 * (256) comes on top. SO_SNDBUF values are made of these. */
#define TCP_SKB_HEAD_EXTRA 640
#define TCP_SKB_STRUCT 256

void tcp_sndbuf_expand(struct tcp_sock *tp)
{
	/* Linux tcp_sndbuf_expand(): room for twice the congestion window
	 * (at least the initial one) of worst-case segments (RFC 5681 3.2:
	 * fast recovery; CUBIC needs 1.7 times), unless the user fixed
	 * SO_SNDBUF. The segment is the larger of the MSS and its clamp
	 * (the peer's MSS option, or TCP_MAXSEG below it). */
	if (tp->sk.userlocks & NS_SNDBUF_LOCK)
		return;
	uint32_t clamp = tp->user_mss && tp->user_mss < tp->peer_mss ? tp->user_mss : tp->peer_mss;
	uint32_t seg = NS_MAX(clamp, (uint32_t)tp->mss) + TCP_SKB_HEAD_EXTRA, head = 1;
	while (head < seg)
		head <<= 1;
	uint32_t nsegs = NS_MAX(NS_MAX((uint32_t)TCP_INIT_CWND, tp->snd_cwnd), tp->reordering + 1);
	uint64_t want = 2 * (uint64_t)nsegs * (head + TCP_SKB_STRUCT);
	if (want > (uint64_t)tp->sndbuf_max)
		want = (uint64_t)tp->sndbuf_max;
	if ((int)want > tp->sk.sndbuf) {
		tp->sk.sndbuf = (int)want;
		tcp_wake(tp);
	}
}

void tcp_rcv_space_adjust(struct tcp_sock *tp)
{
	/* Linux's dynamic right-sizing: once per RTT, if the application
	 * read more than the last measure, that is the new measure, and
	 * the buffer (unless SO_RCVBUF fixed it) grows to hold a window
	 * of twice it and 16 segments, more while the rate grows (the
	 * sender may be in slow start); the clamp follows. */
	/* Linux times it by the arrival of the last segment (its clock is
	 * not read again for a read), once the receiver has an RTT sample
	 * (from timestamps; without them, the sender's). */
	ns_time_t now = tp->last_data_recv;
	ns_time_t rtt = tp->rcv_rtt_us ? (ns_time_t)tp->rcv_rtt_us * NS_USEC
			: tp->ts_ok    ? 0
			: tp->srtt_us  ? (ns_time_t)tp->srtt_us * NS_USEC
				       : 10 * NS_MSEC;
	if (!rtt || now - tp->rcvq_space_time < rtt)
		return;
	uint32_t copied = tp->rcvq_space_copied;
	tp->rcvq_space_copied = 0;
	tp->rcvq_space_time = now;
	if (copied <= tp->rcvq_space)
		return;
	if (!(tp->sk.userlocks & NS_RCVBUF_LOCK)) {
		uint32_t advmss = tp->adv_mss - (tp->ts_ok ? 12u : 0u);
		uint64_t rcvwin = 2 * (uint64_t)copied + 16 * (uint64_t)advmss;
		uint64_t grow = tp->rcvq_space ? rcvwin * (copied - tp->rcvq_space) / tp->rcvq_space : 0;
		rcvwin += 2 * grow;
		uint64_t want = (rcvwin << 8) / tp->scaling_ratio;
		if (want > (uint64_t)tp->rcvbuf_max)
			want = (uint64_t)tp->rcvbuf_max;
		if ((int)want > tp->sk.rcvbuf) {
			tp->sk.rcvbuf = (int)want;
			tp->window_clamp = tcp_full_space(tp);
		}
	}
	tp->rcvq_space = copied;
}

/* ---- bind / listen / connect / accept ---- */

static int tcp_bind(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	struct tcp_sock *tp = tcp_sk(s);
	struct ns_stack *st = s->stack;
	struct ns_sa sa;
	int r = ns_sockaddr_parse(s, a, len, NS_SA_BIND, &sa);
	if (r < 0)
		return r;
	if (sa.family == AF_UNSPEC && s->domain == AF_INET && !ns_ip_is_any(&sa.ip))
		return -EAFNOSUPPORT;
	if (tp->state != TCPS_CLOSED || tp->lport)
		return -EINVAL;
	/* Unicast addresses of ours only, or any with IP_FREEBIND. */
	if (ns_ip_is_mcast(&sa.ip) || (sa.ip.family == AF_INET && ns_is_bcast4(st, sa.ip.v4)))
		return -EADDRNOTAVAIL;
	/* (all of 127/8 is local, but ::1 only while lo has it: Linux) */
	if (!(s->opts & (NS_SO_FREEBIND | NS_SO_TRANSPARENT)) && !ns_ip_is_any(&sa.ip) && !ns_addr_nic(st, &sa.ip) &&
	    !(sa.ip.family == AF_INET && ns_ip_is_loopback(&sa.ip)))
		return -EADDRNOTAVAIL;
	if (sa.scope)
		s->bound_nic = (int)sa.scope;
	if (sa.port == 0 && (s->opts & NS_SO_BIND_NO_PORT))
		tp->laddr = sa.ip; /* (no port: connect or listen picks it) */
	else if ((r = tcp_bind_port(st, tp, &sa.ip, sa.port, 0)) < 0)
		return r;
	tp->port_locked = sa.port != 0;
	tp->addr_locked = !ns_ip_is_any(&sa.ip);
	/* Linux: bound to an IPv6 address, the socket is IPv6-only. */
	if (sa.ip.family == AF_INET6 && !ns_ip_is_any(&sa.ip))
		s->opts |= NS_SO_V6ONLY;
	return 0;
}

static int tcp_listen(struct ns_socket *s, int backlog)
{
	struct tcp_sock *tp = tcp_sk(s);
	struct ns_stack *st = s->stack;
	if (tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN)
		return -EINVAL;
	if (tp->connect_tried) {
		/* Linux never listens on a socket that connected. One that a
		 * disconnect left unconnected gets as far as taking a port
		 * (which stays bound, as by connect); one still connecting,
		 * or connected, fails before that. */
		if (tp->disconnected && !tp->lport) {
			struct ns_ip addr = tp->laddr;
			tcp_bind_port(st, tp, &addr, 0, 0);
		}
		return -EINVAL;
	}
	/* Linux clamps to net.core.somaxconn (4096); negative means max. */
	uint32_t cap = st->tcp->somaxconn;
	uint32_t bl = backlog < 0 || (uint32_t)backlog > cap ? cap : (uint32_t)backlog;
	if (tp->state == TCPS_LISTEN) {
		tp->listen->backlog = bl;
		return 0;
	}
	struct ns_ip addr = tp->laddr;
	int r = tcp_bind_port(st, tp, &addr, tp->lport, 1);
	if (r < 0)
		return r;
	tp->listen = calloc(1, sizeof(*tp->listen));
	if (!tp->listen)
		return -ENOMEM;
	tp->listen->backlog = bl;
	tp->state = TCPS_LISTEN;
	tp->listen_shut = 0;
	/* The most an MSS option can say over IPv4; each SYN-ACK lowers it
	 * to what the route to that peer carries (tcp_send_synack). */
	tp->adv_mss = 65535 - IP4_HDR_LEN - TCP_HDR_LEN;
	tcp_lhash_insert(st, tp);
	return 0;
}

static void tcp_disconnect(struct tcp_sock *tp)
{
	/* Linux tcp_disconnect(): abort, RST if the peer knows us. */
	int was_listen = tp->state == TCPS_LISTEN;
	if (was_listen) {
		tcp_listen_destroy(tp);
		tcp_lhash_remove(tp->sk.stack, tp);
	} else if (TCPS_HAVERCVDSYN(tp->state) && tp->state != TCPS_TIME_WAIT && !tp->repair) {
		tcp_send_active_reset(tp); /* (a repair socket's peer hears nothing) */
	}
	/* A socket already closed keeps its port, even one bind() did not
	 * name (Linux changes no state then, so gives back no port). */
	if (tp->state != TCPS_CLOSED) {
		int orphan = tp->orphan;
		tp->orphan = 0;
		tcp_done(tp, 0);
		tp->orphan = (uint8_t)orphan;
	}
	tp->shut_rd = tp->shut_wr = 0;
	/* (a repair socket's says the connection was taken away: Linux) */
	tp->sk.so_error = tp->repair && !was_listen ? ECONNABORTED : 0;
	tp->sock_connecting = tp->sock_connected = 0;
	tp->established_once = 0; /* (Linux clears SOCK_DONE: reads say ENOTCONN) */
	tp->disconnected = 1;
	tcp_rq_free(&tp->rcvq);
	tcp_rmem_reset(tp);
	tcp_ooo_purge(tp);
	tp->fin_queued = tp->fin_sent = 0;
	tp->urg_data_valid = tp->urg_seen = tp->urg_mark_on = 0;
	tp->raddr = ns_ip_any(tp->sk.domain);
	tp->rport = 0;
	/* Linux clears the options it parsed, TCP_MAXSEG's value with them
	 * (a getsockopt shows the last connection's MSS then). */
	tp->user_mss = 0;
	/* (and the clamp, and what it guessed of the peer's segments) */
	tp->window_clamp = 0;
	tp->rcv_mss = TCP_MIN_MSS;
	if (!tp->addr_locked)
		tp->laddr = ns_ip_any(tp->sk.domain);
}

static int tcp_connect(struct ns_socket *s, const struct sockaddr *a, socklen_t len)
{
	struct tcp_sock *tp = tcp_sk(s);
	struct ns_stack *st = s->stack;
	struct tcp_state *ts = st->tcp;

	if (!a || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (a->sa_family == AF_UNSPEC) {
		tcp_disconnect(tp);
		tp->listen_shut = tp->sock_disconnecting = 0;
		return 0;
	}
	if (tp->sock_disconnecting)
		return -EINVAL;
	if (tp->listen_shut) {
		/* Linux fails inside the protocol's connect, which gives back
		 * a port that bind() did not name. */
		if (!tp->port_locked && tp->lport)
			give_back_port(tp);
		return -EINVAL;
	}
	/* Linux __inet_stream_connect(): the socket level decides before
	 * the address is looked at. */
	if (tp->sock_connected)
		return -EISCONN;
	if (tp->sock_connecting) {
		switch (tp->state) {
		case TCPS_SYN_SENT:
		case TCPS_SYN_RECEIVED:
			return -EALREADY;
		case TCPS_CLOSED: {
			/* The connection died: its error (ECONNABORTED when
			 * SO_ERROR took it), and the socket is reset. */
			int e = tp->sk.so_error ? tp->sk.so_error : ECONNABORTED;
			tcp_disconnect(tp);
			return -e;
		}
		default:
			tp->sock_connecting = 0;
			tp->sock_connected = 1;
			return 0;
		}
	}
	struct ns_sa sa;
	int r = ns_sockaddr_parse(s, a, len, NS_SA_CONNECT, &sa);
	if (r < 0)
		return r;
	switch (tp->state) {
	case TCPS_CLOSED:
		break;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return -EALREADY;
	default:
		return -EISCONN;
	}
	/* IPV6_FLOWINFO_SEND: sin6_flowinfo's label goes in the
	 * connection's segments, if the socket may send it (Linux's
	 * tcp_v6_connect: EINVAL) */
	uint32_t label = 0;
	if ((s->opts6 & NS_SO6_FLOWINFO_SEND) && sa.ip.family == AF_INET6) {
		label = sa.flowinfo & 0xfffff;
		if ((r = ns_fl_check(s, label)) < 0)
			return r;
	}
	if (tp->sk.so_error) {
		/* A failed attempt's error is consumed by a new connect. */
		tp->sk.so_error = 0;
	}
	s->flow_label6 = label;
	struct ns_ip dst = sa.ip;
	if (ns_ip_is_any(&dst)) {
		/* Linux: the wildcard means this host. */
		if (dst.family == AF_INET)
			dst.v4 = IP4_ADDR(127, 0, 0, 1);
		else
			dst.v6[15] = 1;
	}
	if (ns_ip_is_mcast(&dst) || (dst.family == AF_INET && (dst.v4 == 0xffffffffu || ns_is_bcast4(st, dst.v4))))
		return -ENETUNREACH;
	if (!ns_ip_is_any(&tp->laddr) && tp->laddr.family != dst.family)
		return -ENETUNREACH; /* bound to an address of the other family */
	if (sa.scope)
		s->bound_nic = (int)sa.scope;
	struct ns_rt rt;
	r = ns_route(st, &dst, &tp->laddr, s->bound_nic, &rt);
	if (r < 0)
		return r;
	struct ns_ip old_laddr = tp->laddr;
	tp->raddr = dst;
	tp->rport = sa.port;
	if (ns_ip_is_any(&tp->laddr))
		tp->laddr = rt.src;
	r = tcp_connect_port(st, tp);
	if (r < 0) {
		tp->raddr = ns_ip_any(s->domain);
		tp->rport = 0;
		tp->laddr = old_laddr;
		return r;
	}
	tp->pmtu = tcp_mtu_cap(tp, rt.mtu);
	tp->adv_mss = (uint16_t)NS_MIN(tp->pmtu - tcp_ip_base_len(tp) - TCP_HDR_LEN, 65495u);
	if (tp->user_mss && tp->user_mss < tp->adv_mss)
		tp->adv_mss = tp->user_mss;
	tp->ws_ok = ts->window_scaling;
	tp->sack_ok = ts->sack;
	tp->ts_ok = ts->timestamps;
	tp->ecn_ok = ts->ecn == 1; /* asked for in the SYN; confirmed by the SYN-ACK */
	tp->ecn_ece_pending = tp->ecn_cwr_pending = 0;
	/* Linux tcp_connect_init(): the window starts at the buffer's share
	 * (at most a buffer set by SO_RCVBUF allows), and so does
	 * rcv_ssthresh. */
	tp->scaling_ratio = TCP_SCALING_RATIO_DEFAULT;
	if ((tp->sk.userlocks & NS_RCVBUF_LOCK) && (!tp->window_clamp || tp->window_clamp > tcp_full_space(tp)))
		tp->window_clamp = tcp_full_space(tp);
	tcp_select_initial_window(st, tcp_full_space(tp), tp->adv_mss, tp->ws_ok, &tp->rcv_wnd,
				  &tp->window_clamp, &tp->rcv_wscale);
	tp->rcv_ssthresh = tp->rcv_wnd;
	/* Linux takes the timestamps' unit from the route (milliseconds:
	 * moat's routes have no tcp_usec_ts), a repair connect too. */
	tp->ts_usec = 0;
	if (tp->repair)
		return tcp_repair_connect(tp);
	/* (a sequence TCP_QUEUE_SEQ set is the SYN's: Linux's write_seq) */
	tp->iss = tp->write_seq_set ? tp->snd_buf_seq : tcp_isn(st, &tp->laddr, tp->lport, &tp->raddr, tp->rport);
	tp->snd_una = tp->iss;
	tp->snd_buf_seq = tp->iss + 1;
	tp->ts_offset = ns_random32(st);
	tp->syn_tsval = tcp_tsval(tp);
	tp->rcv_adv = 0;
	tp->rcv_nxt = 0;
	/* Until the SYN-ACK says otherwise: RFC 9293 3.7.1's default, or
	 * TCP_MAXSEG's value, larger or not (Linux's mss_clamp). The MSS
	 * worked out from it is what TCP_MAXSEG shows meanwhile and after
	 * a failure. */
	tp->peer_mss = tp->user_mss ? tp->user_mss : tcp_default_mss(tp);
	tp->snd_max_wnd = 0;
	tcp_current_mss(tp);
	/* (shutdown() of the unconnected socket stays in force: Linux's
	 * sk_shutdown is cleared by a disconnect only) */
	tp->fin_queued = tp->fin_sent = 0;
	tp->retransmits = tp->backoff = 0;
	tp->rto = TCP_RTO_INIT;
	tp->state = TCPS_SYN_SENT;
	tp->connect_tried = 1;
	tp->sock_connecting = 1;
	tp->disconnected = 0;
	tcp_ehash_insert(st, tp);
	NS_STAT_INC(st, tcp_active_opens);
	tcp_send_syn(tp);
	return -EINPROGRESS;
}

static int tcp_accept(struct ns_socket *s, struct ns_socket **out, struct sockaddr *a,
		      socklen_t *len)
{
	struct tcp_sock *lp = tcp_sk(s);
	if (lp->state != TCPS_LISTEN)
		return -EINVAL;
	struct tcp_sock *c = lp->listen->acceptq_head;
	if (!c)
		return -EAGAIN;
	lp->listen->acceptq_head = c->acc_next;
	if (!lp->listen->acceptq_head)
		lp->listen->acceptq_tail = NULL;
	lp->listen->acceptq_len--;
	c->acc_next = NULL;
	c->parent = NULL;
	c->sock_connected = 1;
	if (a && len)
		ns_sockaddr_out(&c->sk, &c->raddr, c->rport, a, len);
	*out = &c->sk;
	return 0;
}

/* ---- data ---- */

static int send_error(struct tcp_sock *tp)
{
	int r = ns_socket_take_error(&tp->sk);
	if (r)
		return r;
	if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
		return -EAGAIN; /* wait for the handshake */
	if (tp->state != TCPS_ESTABLISHED && tp->state != TCPS_CLOSE_WAIT)
		return -EPIPE;
	if (tp->shut_wr || tp->fin_queued)
		return -EPIPE;
	return 0;
}

static ssize_t tcp_sendmsg(struct ns_socket *s, const struct msghdr *m, int flags)
{
	struct tcp_sock *tp = tcp_sk(s);
	int r = send_error(tp);
	if (r)
		return r;
	if (m->msg_controllen && (r = ns_sock_cmsgs_check(m)) < 0)
		return r;
	if (tp->repair) {
		/* to the queue picked, not to the peer (tcp_repair.c) */
		if (tp->repair_queue == TCP_RECV_QUEUE)
			return tcp_repair_send_rcvq(tp, m);
		if (tp->repair_queue != TCP_SEND_QUEUE)
			return -EINVAL;
	}
	size_t total = ns_iov_total(m);
	if (total == 0)
		return 0;
	/* Linux sk_stream_memory_free(): room in the buffer, and unsent
	 * bytes below TCP_NOTSENT_LOWAT. That mark is checked before each
	 * new 64 KB piece (a Linux skb), each pushed out before the next. */
	uint32_t lowat = tcp_notsent_lowat(tp);
	size_t done = 0;
	while (done < total) {
		uint32_t used = tp->sndq.len;
		if ((uint32_t)tp->sk.sndbuf <= used || tcp_unsent(tp) >= lowat)
			break;
		uint32_t room = (uint32_t)tp->sk.sndbuf - used;
		uint32_t n = (uint32_t)NS_MIN((size_t)room, total - done);
		if (lowat != UINT32_MAX)
			n = NS_MIN(n, (uint32_t)TCP_SEND_PIECE);
		if (tcp_ring_reserve(&tp->sndq, used + n) < 0) {
			if (!done)
				return -ENOBUFS;
			break;
		}
		uint32_t unsent = tcp_unsent(tp);
		n = tcp_ring_append_iov(&tp->sndq, m, done, n);
		done += n;
		if (done == total) /* (SO_TIMESTAMPING: before the last byte goes) */
			tcp_tstamp_send(tp, m);
		/* A write that fills an skb with nothing unsent before it
		 * sends that one alone first (Linux tcp_push_one). */
		if (!unsent && (tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT) &&
		    n > tcp_size_goal(tp))
			tp->push_one = tcp_size_goal(tp);
		if (done == total && !(flags & MSG_MORE))
			tcp_mark_push(tp, tp->snd_buf_seq + tp->sndq.len);
		if (flags & MSG_OOB)
			/* RFC 6093: urgent data ends with the last byte sent. */
			tp->snd_up = tp->snd_buf_seq + tp->sndq.len;
		if (flags & MSG_MORE) {
			int cork = tp->cork;
			tp->cork = 1;
			tcp_output(tp);
			tp->cork = (uint8_t)cork;
		} else {
			tcp_output(tp);
		}
		if (!n)
			break;
	}
	/* Linux marks the end of what a call queued (tcp_push at its end),
	 * also when the buffer took only part of it. */
	if (done && done < total)
		tcp_tstamp_send(tp, m); /* (Linux stamps what a call queued) */
	if (done && done < total && !(flags & MSG_MORE)) {
		tcp_mark_push(tp, tp->snd_buf_seq + tp->sndq.len);
		tcp_output(tp);
	}
	return done ? (ssize_t)done : -EAGAIN;
}

static void window_update_after_read(struct tcp_sock *tp)
{
	/* Linux tcp_cleanup_rbuf(): a read is worth a window update only
	 * when the window offered now is at most half the clamp and the
	 * read lets it at least double ("lots" of space; a closed window
	 * opening always qualifies). Smaller moves wait for the next ACK
	 * (RFC 9293 3.8.6.2.2: receiver SWS avoidance). None after
	 * shutdown(SHUT_RD), whose reads only drain the queue. */
	if (!TCPS_HAVEESTABLISHED(tp->state) || TCPS_HAVERCVDFIN(tp->state) || tp->shut_rd)
		return;
	uint32_t cur = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	if ((uint64_t)2 * cur > tp->window_clamp)
		return;
	uint32_t win = tcp_window_now(tp);
	if (win && win >= 2 * cur)
		tcp_schedule_ack(tp, 1);
}

/* A read returns 0 for the end of the stream (order as Linux tcp_recvmsg). */
static int tcp_at_eof(const struct tcp_sock *tp)
{
	return TCPS_HAVERCVDFIN(tp->state) ||
	       (tp->state == TCPS_CLOSED && tp->established_once && !tp->sk.so_error);
}

static ssize_t tcp_recv_data(struct tcp_sock *tp, struct msghdr *m, int flags, size_t *copied)
{
	if (tp->state == TCPS_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB) {
		/* Linux tcp_recv_urg(). */
		if ((tp->sk.opts & NS_SO_OOBINLINE) || !tp->urg_data_valid)
			return -EINVAL;
		size_t want = ns_iov_total(m);
		if (want)
			*copied = ns_iov_scatter(m, &tp->urg_data, 1);
		m->msg_flags |= MSG_OOB;
		if (!(flags & MSG_PEEK))
			tp->urg_data_valid = 0;
		return want ? 1 : 0;
	}
	if (tp->repair) {
		/* peeks of the queue picked only (tcp_repair.c) */
		int q = tcp_repair_recv_queue(tp, flags);
		if (q < 0)
			return q;
		if (q == TCP_SEND_QUEUE)
			return tcp_repair_peek_sndq(tp, m, copied);
	}
	if (m->msg_name)
		m->msg_namelen = 0;
	size_t want = ns_iov_total(m);
	/* SO_PEEK_OFF: a peek begins that far into the queue (Linux
	 * tcp_recvmsg's peek_seq); past its end the queue is as empty. It
	 * counts in sequence space, where an urgent byte taken out of the
	 * queue (not SO_OOBINLINE) is one until a read passes its mark. */
	int peek = (flags & MSG_PEEK) && !(flags & NS_MSG_HEAD);
	uint32_t off = peek && tp->sk.peek_off > 0 ? (uint32_t)tp->sk.peek_off : 0;
	if (tp->urg_mark_on && !(tp->sk.opts & NS_SO_OOBINLINE) && off > tp->urg_mark)
		off--;
	uint32_t avail = tp->rcvq.len > off ? tp->rcvq.len - off : 0;
	if (avail && want) {
		uint32_t n = (uint32_t)NS_MIN(want, (size_t)avail);
		/* Linux: a read stops at the urgent mark (MSG_WAITALL too);
		 * one at the mark reads past it, and then the out-of-band
		 * byte is gone. */
		if (tp->urg_mark_on && tp->urg_mark > off)
			n = NS_MIN(n, tp->urg_mark - off);
		if (!(flags & MSG_TRUNC))
			*copied = tcp_rq_peek_iov(&tp->rcvq, off, m, n);
		if (peek)
			tp->sk.peek_off = ns_peek_off_move(tp->sk.peek_off, n);
		if (!(flags & MSG_PEEK)) {
			tp->sk.peek_off = ns_peek_off_move(tp->sk.peek_off, -(long)n);
			if (tp->urg_mark_on && !tp->urg_mark)
				tp->urg_mark_on = tp->urg_data_valid = 0;
			else if (tp->urg_mark_on)
				tp->urg_mark -= n;
			tcp_rq_consume(&tp->rcvq, n);
			tcp_rmem_uncharge(tp, n);
			tp->rcvq_space_copied += n;
			tcp_rcv_space_adjust(tp);
			window_update_after_read(tp);
		}
		return n;
	}
	if (tp->rcvq.len && !want)
		return 0;
	/* Nothing to read: why (order as Linux tcp_recvmsg). */
	if (tcp_at_eof(tp))
		return 0;
	int r = ns_socket_take_error(&tp->sk);
	if (r)
		return r;
	if (tp->shut_rd)
		return 0;
	if (tp->state == TCPS_CLOSED)
		return -ENOTCONN;
	return -EAGAIN;
}

static ssize_t tcp_recvmsg(struct ns_socket *s, struct msghdr *m, int flags, size_t *copied)
{
	struct tcp_sock *tp = tcp_sk(s);
	size_t room = m->msg_controllen;
	m->msg_controllen = 0;
	ssize_t r = tcp_recv_data(tp, m, flags, copied);
	if (r >= 0 && tp->recvmsg_inq) {
		/* TCP_INQ: the bytes left to read (Linux tcp_inq_hint():
		 * the sequence space, so a FIN received counts 1, and the
		 * end stays 1 once read, so that the reader reads on). */
		int inq = (int)tp->rcvq.len + (tcp_at_eof(tp) ? 1 : 0);
		size_t used = 0;
		m->msg_controllen = room;
		ns_cmsg_put(m, &used, IPPROTO_TCP, TCP_CM_INQ, &inq, sizeof(inq));
		m->msg_controllen = used;
	}
	return r;
}

static int tcp_shutdown(struct ns_socket *s, int how)
{
	struct tcp_sock *tp = tcp_sk(s);
	int rd = how == SHUT_RD || how == SHUT_RDWR;
	int wr = how == SHUT_WR || how == SHUT_RDWR;
	if (tp->sock_connecting) {
		/* Linux inet_shutdown(): a connect not reported yet ends
		 * here, as connected or (handshake running, or the
		 * connection gone) disconnecting. */
		tp->sock_connecting = 0;
		if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED ||
		    tp->state == TCPS_CLOSED)
			tp->sock_disconnecting = 1;
		else
			tp->sock_connected = 1;
	}
	switch (tp->state) {
	case TCPS_CLOSED:
		if (rd)
			tp->shut_rd = 1;
		if (wr)
			tp->shut_wr = 1;
		tcp_wake(tp);
		return -ENOTCONN;
	case TCPS_LISTEN:
		if (!rd)
			return 0;
		tcp_disconnect(tp);
		tp->listen_shut = 1; /* (Linux leaves the socket disconnecting) */
		tcp_wake(tp);
		return 0;
	case TCPS_SYN_SENT:
		tcp_disconnect(tp);
		tp->sock_disconnecting = 0;
		tcp_wake(tp);
		return 0;
	default:
		break;
	}
	if (rd)
		tp->shut_rd = 1;
	if (wr && !tp->shut_wr) {
		tp->shut_wr = 1;
		/* RFC 9293 3.10.4 CLOSE: queue a FIN after the data. */
		switch (tp->state) {
		case TCPS_SYN_RECEIVED:
		case TCPS_ESTABLISHED:
			tcp_set_state(tp, TCPS_FIN_WAIT_1);
			tp->fin_queued = 1;
			break;
		case TCPS_CLOSE_WAIT:
			tcp_set_state(tp, TCPS_LAST_ACK);
			tp->fin_queued = 1;
			break;
		default:
			break;
		}
		tcp_output(tp);
	}
	tcp_wake(tp);
	return 0;
}

static void tcp_release(struct ns_socket *s)
{
	struct tcp_sock *tp = tcp_sk(s);
	struct ns_stack *st = s->stack;
	tp->orphan = 1;
	tp->shut_rd = 1;
	if (tp->repair && tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN) {
		/* Linux: a repair socket's close is a quiet disconnect (no
		 * FIN, no RST): the connection lives on elsewhere. */
		tcp_done(tp, 0);
		return;
	}
	switch (tp->state) {
	case TCPS_CLOSED:
		tcp_free(tp);
		return;
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		tcp_done(tp, 0);
		return;
	case TCPS_TIME_WAIT:
		return; /* lives out its 2 MSL */
	default:
		break;
	}
	if (tp->rcvq.len || tp->ooo) {
		/* RFC 2525 2.17 / Linux: closing with unread data resets. */
		NS_STAT_INC(st, tcp_abort_on_close);
		tcp_send_active_reset(tp);
		tcp_done(tp, 0);
		return;
	}
	if (tp->sk.linger_on && tp->sk.linger_secs == 0) {
		/* SO_LINGER with a zero timeout: abortive close. */
		NS_STAT_INC(st, tcp_abort_on_linger);
		tcp_send_active_reset(tp);
		tcp_done(tp, 0);
		return;
	}
	switch (tp->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcp_set_state(tp, TCPS_FIN_WAIT_1);
		tp->fin_queued = 1;
		tp->shut_wr = 1;
		tcp_output(tp);
		break;
	case TCPS_CLOSE_WAIT:
		tcp_set_state(tp, TCPS_LAST_ACK);
		tp->fin_queued = 1;
		tp->shut_wr = 1;
		tcp_output(tp);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_arm_fin_wait2(tp);
		break;
	default:
		break;
	}
}

static void tcp_destroy(struct ns_socket *s)
{
	tcp_free(tcp_sk(s));
}

static int tcp_getsockname(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	struct tcp_sock *tp = tcp_sk(s);
	ns_sockaddr_out(s, &tp->laddr, tp->lport ? tp->lport : tp->name_port, a, len);
	return 0;
}

static int tcp_getpeername(struct ns_socket *s, struct sockaddr *a, socklen_t *len)
{
	struct tcp_sock *tp = tcp_sk(s);
	if (!tp->rport || tp->state == TCPS_CLOSED || tp->state == TCPS_SYN_SENT ||
	    tp->state == TCPS_LISTEN)
		return -ENOTCONN;
	ns_sockaddr_out(s, &tp->raddr, tp->rport, a, len);
	return 0;
}

/* ---- readiness (Linux tcp_poll) ---- */

static int tcp_readable(const struct tcp_sock *tp)
{
	/* Linux tcp_epollin_ready(): SO_RCVLOWAT bytes, or any when the
	 * buffer is nearly full or the window left is below a segment
	 * (waiting for more could then wait for ever). */
	uint32_t avail = tp->rcvq.len;
	if (!avail)
		return 0;
	if (avail >= (uint32_t)NS_MAX(tp->sk.rcvlowat, 1))
		return 1;
	uint32_t rcvbuf = (uint32_t)tp->sk.rcvbuf;
	if (avail + tp->ooo_bytes > rcvbuf - rcvbuf / 8)
		return 1;
	uint32_t wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	return wnd <= (tp->rcv_mss ? tp->rcv_mss : tp->adv_mss);
}

static uint32_t tcp_poll(struct ns_socket *s)
{
	struct tcp_sock *tp = tcp_sk(s);
	uint32_t mask = 0;
	if (tp->state == TCPS_LISTEN)
		return tp->listen && tp->listen->acceptq_head ? POLLIN | POLLRDNORM : 0;
	int rcv_shut = tp->shut_rd || TCPS_HAVERCVDFIN(tp->state);
	if ((tp->shut_rd && tp->shut_wr) || tp->state == TCPS_CLOSED)
		mask |= POLLHUP;
	if (rcv_shut)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (tp->state != TCPS_SYN_SENT && tp->state != TCPS_SYN_RECEIVED) {
		if (tcp_readable(tp))
			mask |= POLLIN | POLLRDNORM;
		if (!tp->shut_wr) {
			/* Linux __sk_stream_is_writeable(sk, 1): free space
			 * at least a third of the buffer, and unsent bytes
			 * below half of TCP_NOTSENT_LOWAT. */
			uint32_t used = tp->sndq.len;
			if ((uint32_t)tp->sk.sndbuf > used && (uint32_t)tp->sk.sndbuf - used >= used / 2 &&
			    (uint64_t)tcp_unsent(tp) * 2 < tcp_notsent_lowat(tp))
				mask |= POLLOUT | POLLWRNORM;
		} else {
			mask |= POLLOUT | POLLWRNORM;
		}
		if (tp->urg_data_valid)
			mask |= POLLPRI;
	}
	if (tp->sk.so_error)
		mask |= POLLERR;
	return mask;
}

/* A FIN was queued and no ACK covers it yet. */
static int fin_unacked(const struct tcp_sock *tp)
{
	return tp->fin_queued && !(tp->fin_sent && SEQ_GT(tp->snd_una, tp->fin_seq));
}

static int tcp_ioctl(struct ns_socket *s, unsigned long req, int *val)
{
	struct tcp_sock *tp = tcp_sk(s);
	switch (req) {
	case SIOCINQ:
		if (tp->state == TCPS_LISTEN)
			return -EINVAL;
		*val = (int)tp->rcvq.len;
		return 0;
	case SIOCOUTQ:
		/* Linux: the sequence space written and not acknowledged,
		 * a FIN included (none during the handshake). */
		if (tp->state == TCPS_LISTEN)
			return -EINVAL;
		*val = (int)(tp->sndq.len + (fin_unacked(tp) ? 1 : 0));
		return 0;
	case SIOCOUTQNSD:
		if (tp->state == TCPS_LISTEN)
			return -EINVAL;
		*val = (int)(tcp_unsent(tp) + (tp->fin_queued && !tp->fin_sent ? 1 : 0));
		return 0;
	case SIOCATMARK:
		*val = tp->urg_mark_on && !tp->urg_mark;
		return 0;
	default:
		return -ENOTTY;
	}
}

/* ---- options ---- */

static int opt_int(const void *v, socklen_t len, int *out)
{
	if (!v || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, v, sizeof(int));
	return 0;
}

static int put_val(void *v, socklen_t *len, const void *src, socklen_t n)
{
	socklen_t c = *len < n ? *len : n;
	if (c && v)
		memcpy(v, src, (size_t)c);
	*len = c;
	return 0;
}

static int put_int(void *v, socklen_t *len, int val)
{
	return put_val(v, len, &val, sizeof(val));
}

static void tcp_set_rcvlowat(struct tcp_sock *tp)
{
	/* Linux tcp_set_rcvlowat(): at most half the buffer (half of
	 * tcp_rmem[2] while the buffer may grow), and a buffer that grows
	 * to hold the mark (twice it, as Linux counts), so that the window
	 * can let that much in. */
	struct ns_socket *s = &tp->sk;
	int cap = ((tp->sk.userlocks & NS_RCVBUF_LOCK) ? s->rcvbuf : s->stack->tcp->rmem_max) >> 1;
	int val = NS_MIN(s->rcvlowat, cap);
	s->rcvlowat = val ? val : 1;
	if (!(tp->sk.userlocks & NS_RCVBUF_LOCK) && val > s->rcvbuf / 2)
		s->rcvbuf = val > 0x3fffffff ? 0x7ffffffe : val * 2;
	tcp_wake(tp);
}

/* TCP_ULP: an upper layer protocol by name ("tls", "espintcp", ...):
 * the sandbox has none, so every name is unknown (ENOENT), as on a Linux
 * without the module; an empty one is EINVAL first. */
static int tcp_set_ulp(const void *v, socklen_t len)
{
	if (len < 1)
		return -EINVAL;
	if (!v)
		return -EFAULT;
	return -ENOENT;
}

/* A microsecond or millisecond timer bound (TCP_RTO_MIN_US,
 * TCP_DELACK_MAX_US, TCP_RTO_MAX_MS) in jiffies, checked as Linux checks
 * each: the first two from 2 jiffies (TCP_TIMEOUT_MIN) to 200 ms after
 * rounding, the last from 1 s to 120 s before. */
static int timer_bound(int name, int val, ns_time_t *out)
{
	if (name == TCP_RTO_MAX_MS) {
		if (val < 1000 || (ns_time_t)val * NS_MSEC > TCP_RTO_MAX)
			return -EINVAL;
		*out = tcp_jiffies(val, NS_MSEC);
		return 0;
	}
	if (val < 0)
		return -EINVAL;
	ns_time_t j = tcp_jiffies(val, NS_USEC);
	if (j < 2 * TCP_JIFFY || j > (name == TCP_RTO_MIN_US ? TCP_RTO_MIN : TCP_DELACK_MAX))
		return -EINVAL;
	*out = j;
	return 0;
}

/* tcp(7)'s options of Linux 4.x-6.x that tcp_setsockopt's switch does not
 * have; -ENOPROTOOPT for the others. */
static int tcp_setsockopt_more(struct tcp_sock *tp, int name, int val)
{
	switch (name) {
	case TCP_THIN_LINEAR_TIMEOUTS:
		if (val < 0 || val > 1)
			return -EINVAL;
		tp->thin_lto = (uint8_t)val;
		return 0;
	case TCP_THIN_DUPACK:
		/* Linux: checked and ignored since RACK made it useless;
		 * it always reads 0 */
		return val < 0 || val > 1 ? -EINVAL : 0;
	case TCP_SAVE_SYN:
		if (val < 0 || val > 2)
			return -EINVAL;
		tp->save_syn = (uint8_t)val;
		return 0;
	case TCP_FASTOPEN_NO_COOKIE:
		if (val < 0 || val > 1 || (tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN))
			return -EINVAL;
		tp->fo_no_cookie = (uint8_t)val;
		return 0;
	case TCP_TX_DELAY:
		if (val < 0 || val >= (1 << 28))
			return -EINVAL;
		tp->tx_delay_us = (uint32_t)val;
		return 0;
	case TCP_RTO_MIN_US:
	case TCP_DELACK_MAX_US:
	case TCP_RTO_MAX_MS: {
		ns_time_t t;
		int r = timer_bound(name, val, &t);
		if (r < 0)
			return r;
		if (name == TCP_RTO_MIN_US)
			tp->rto_min = t;
		else if (name == TCP_DELACK_MAX_US)
			tp->delack_max = t;
		else
			tp->rto_max = t;
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

/* TCP_SAVED_SYN: the SYN's headers once; a buffer too short gets the
 * length it needs and EINVAL (and the SYN stays); none: 0 bytes. */
static int get_saved_syn(struct tcp_sock *tp, void *v, socklen_t *len)
{
	if (!tp->saved_syn) {
		*len = 0;
		return 0;
	}
	if (*len < tp->saved_syn_len) {
		*len = tp->saved_syn_len;
		return -EINVAL;
	}
	if (!v)
		return -EFAULT;
	memcpy(v, tp->saved_syn, tp->saved_syn_len);
	*len = tp->saved_syn_len;
	free(tp->saved_syn);
	tp->saved_syn = NULL;
	tp->saved_syn_len = 0;
	return 0;
}

static int tcp_setsockopt(struct ns_socket *s, int level, int name, const void *v, socklen_t len)
{
	struct tcp_sock *tp = tcp_sk(s);
	int val = 0, r;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_SNDBUF:
		case SO_SNDBUFFORCE:
		case SO_BUF_LOCK:
			tcp_wake(tp); /* (the send buffer's room changed) */
			return 0;
		case SO_KEEPALIVE:
			tcp_arm_keepalive(tp);
			return 0;
		case SO_RCVLOWAT:
			tcp_set_rcvlowat(tp);
			return 0;
		case SO_REUSEADDR:
			tp->repair_reuse = 0; /* (Linux: sk_reuse takes the new value) */
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP)
		return ns_ip_setsockopt(s, name, v, len);
	if (level == IPPROTO_IPV6)
		return ns_ip6_setsockopt(s, name, v, len, tp->lport != 0);
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (name == TCP_CONGESTION) {
		char buf[16];
		if (!v)
			return -EFAULT;
		size_t n = len < (socklen_t)sizeof(buf) - 1 ? (size_t)len : sizeof(buf) - 1;
		memcpy(buf, v, n);
		buf[n] = 0;
		const struct tcp_cc_ops *cc = tcp_cc_find(buf);
		if (!cc)
			return -ENOENT;
		if (cc != tp->cc) {
			tp->cc = cc;
			if (TCPS_HAVEESTABLISHED(tp->state))
				cc->init(tp);
		}
		return 0;
	}
	if (name == TCP_ULP)
		return tcp_set_ulp(v, len);
	if (name == TCP_FASTOPEN_KEY) {
		/* a primary key, or a primary and a backup (Linux's
		 * TCP_FASTOPEN_KEY_LENGTH 16, at most 2 keys) */
		if (len != 16 && len != 32)
			return -EINVAL;
		if (!v)
			return -EFAULT;
		memcpy(tp->fo_key, v, len);
		tp->fo_key_len = (uint8_t)len;
		return 0;
	}
	if ((r = opt_int(v, len, &val)) < 0)
		return r;
	if ((r = tcp_setsockopt_more(tp, name, val)) != -ENOPROTOOPT)
		return r;
	if ((r = tcp_repair_setsockopt(tp, name, v, len, val)) != -ENOPROTOOPT)
		return r;
	switch (name) {
	case TCP_NODELAY:
		tp->nodelay = val != 0;
		if (tp->nodelay)
			tcp_output(tp);
		return 0;
	case TCP_CORK:
		tp->cork = val != 0;
		if (!tp->cork) {
			/* Uncorking pushes what waits (Linux). */
			int nd = tp->nodelay;
			tp->nodelay = 1;
			tcp_output(tp);
			tp->nodelay = (uint8_t)nd;
		}
		return 0;
	case TCP_MAXSEG:
		if (val && (val < TCP_MIN_MSS || val > 32767))
			return -EINVAL;
		tp->user_mss = (uint16_t)val;
		return 0;
	case TCP_KEEPIDLE:
		if (val < 1 || val > 32767)
			return -EINVAL;
		tp->keepidle_s = (uint32_t)val;
		tcp_arm_keepalive(tp);
		return 0;
	case TCP_KEEPINTVL:
		if (val < 1 || val > 32767)
			return -EINVAL;
		tp->keepintvl_s = (uint32_t)val;
		return 0;
	case TCP_KEEPCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		tp->keepcnt = (uint32_t)val;
		return 0;
	case TCP_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		tp->user_timeout_ms = (uint32_t)val;
		return 0;
	case TCP_LINGER2:
		/* Linux 5.10 on: capped at TCP_FIN_TIMEOUT_MAX (120 s); 0 is
		 * the sysctl's value. */
		if (val < 0)
			tp->linger2_s = -1;
		else
			tp->linger2_s = val > 120 ? 120 : val;
		return 0;
	case TCP_DEFER_ACCEPT:
		tp->defer_accept = tcp_defer_secs_to_timeouts(val);
		return 0;
	case TCP_FASTOPEN_CONNECT:
		if (val < 0 || val > 1)
			return -EINVAL;
		if (!(s->stack->tcp->fastopen & 1))
			return -EOPNOTSUPP;
		if (tp->state != TCPS_CLOSED)
			return -EINVAL;
		tp->fastopen_connect = (uint8_t)val;
		return 0;
	case TCP_FASTOPEN:
		if (val < 0 || (tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN))
			return -EINVAL;
		tp->fastopen_qlen = (uint32_t)val < s->stack->tcp->somaxconn ? (uint32_t)val : s->stack->tcp->somaxconn;
		return 0;
	case TCP_QUICKACK:
		if (val) {
			tp->quickack = TCP_QUICKACKS;
			tp->pingpong = 0;
			if (tp->ack_pending)
				tcp_schedule_ack(tp, 1);
		} else {
			tp->quickack = 0;
			tp->pingpong = 1;
		}
		return 0;
	case TCP_SYNCNT:
		if (val < 1 || val > 127)
			return -EINVAL;
		tp->syn_retries = (uint8_t)val;
		return 0;
	case TCP_WINDOW_CLAMP:
		/* Linux tcp_set_window_clamp(): 0 takes the clamp away, but
		 * only from a closed socket; any other value (a negative
		 * one too) is at least half the least buffer. */
		if (!val) {
			if (tp->state != TCPS_CLOSED)
				return -EINVAL;
			tp->window_clamp = 0;
			return 0;
		}
		tcp_set_window_clamp(tp, val < 0 ? 0 : (uint32_t)val);
		return 0;
	case TCP_NOTSENT_LOWAT:
		/* Linux: any value, kept as unsigned; 0 means the sysctl's. */
		tp->notsent_lowat = (uint32_t)val;
		tcp_wake(tp);
		return 0;
	case TCP_INQ:
		if (val < 0 || val > 1)
			return -EINVAL;
		tp->recvmsg_inq = (uint8_t)val;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static void fill_info(struct tcp_sock *tp, struct tcp_info *ti)
{
	ns_time_t now = tcp_now(tp);
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = (uint8_t)tcp_state_linux(tp->state);
	ti->tcpi_ca_state = (uint8_t)tp->ca_state;
	ti->tcpi_retransmits = tp->retransmits;
	ti->tcpi_probes = tp->probes_out;
	ti->tcpi_backoff = tp->backoff;
	if (tp->ts_ok)
		ti->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tp->sack_ok)
		ti->tcpi_options |= TCPI_OPT_SACK;
	if (tp->ecn_ok)
		ti->tcpi_options |= TCPI_OPT_ECN;
	if (tp->ws_ok) {
		ti->tcpi_options |= TCPI_OPT_WSCALE;
		ti->tcpi_snd_wscale = tp->snd_wscale & 0xf;
		ti->tcpi_rcv_wscale = tp->rcv_wscale & 0xf;
	}
	ti->tcpi_rto = (uint32_t)(tcp_rto_backed_off(tp) / NS_USEC);
	ti->tcpi_ato = (uint32_t)((tp->ato ? tp->ato : TCP_DELACK_MIN) / NS_USEC);
	ti->tcpi_snd_mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS;
	ti->tcpi_rcv_mss = tp->rcv_mss;
	ti->tcpi_unacked = tp->packets_out;
	ti->tcpi_sacked = tp->sacked_out;
	if (tp->state == TCPS_LISTEN && tp->listen) {
		/* Linux tcp_get_info(): a listener reports its accept queue
		 * and its backlog there (ss -lt's Recv-Q and Send-Q). */
		ti->tcpi_unacked = tp->listen->acceptq_len;
		ti->tcpi_sacked = tp->listen->backlog;
	}
	ti->tcpi_lost = tp->lost_out;
	ti->tcpi_retrans = tp->retrans_out;
	if (tp->last_data_sent)
		ti->tcpi_last_data_sent = (uint32_t)((now - tp->last_data_sent) / NS_MSEC);
	if (tp->last_data_recv)
		ti->tcpi_last_data_recv = (uint32_t)((now - tp->last_data_recv) / NS_MSEC);
	if (tp->last_ack_recv)
		ti->tcpi_last_ack_recv = (uint32_t)((now - tp->last_ack_recv) / NS_MSEC);
	ti->tcpi_pmtu = tp->pmtu;
	ti->tcpi_rcv_ssthresh = tp->rcv_ssthresh;
	ti->tcpi_rtt = tp->srtt_us;
	ti->tcpi_rttvar = tp->rttvar_us;
	ti->tcpi_snd_ssthresh = tp->snd_ssthresh;
	ti->tcpi_snd_cwnd = tp->snd_cwnd;
	/* Linux: the MSS announced, less the timestamp option it carries. */
	ti->tcpi_advmss = tp->adv_mss - (tp->ts_ok && TCPS_HAVEESTABLISHED(tp->state) ? 12 : 0);
	ti->tcpi_reordering = tp->reordering;
	ti->tcpi_rcv_rtt = tp->rcv_rtt_us;
	ti->tcpi_rcv_space = tp->rcvq_space;
	ti->tcpi_total_retrans = tp->total_retrans;
	ti->tcpi_bytes_acked = tp->bytes_acked;
	ti->tcpi_bytes_received = tp->bytes_received;
	ti->tcpi_segs_out = tp->segs_out;
	ti->tcpi_segs_in = tp->segs_in;
	ti->tcpi_notsent_bytes = tcp_unsent(tp);
	ti->tcpi_min_rtt = tp->min_rtt_us;
	ti->tcpi_data_segs_in = tp->data_segs_in;
	ti->tcpi_data_segs_out = tp->data_segs_out;
	ti->tcpi_delivered = (uint32_t)tp->delivered;
	ti->tcpi_bytes_sent = tp->bytes_sent;
	ti->tcpi_bytes_retrans = tp->bytes_retrans;
	ti->tcpi_dsack_dups = tp->dsacks_rcvd;
	ti->tcpi_snd_wnd = tp->snd_wnd;
}

/* One control message into buf (room bytes), as Linux's put_cmsg: what
 * does not fit is cut (the header's length says the cut size); returns
 * the bytes used. */
static size_t put_cmsg_cut(uint8_t *buf, size_t room, int type, const void *data, size_t dlen)
{
	if (room < sizeof(struct cmsghdr))
		return 0;
	size_t cm = CMSG_LEN(dlen);
	if (cm > room)
		cm = room;
	struct cmsghdr h = { .cmsg_len = cm, .cmsg_level = IPPROTO_IP, .cmsg_type = type };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), data, cm - sizeof(h));
	size_t sp = CMSG_SPACE(dlen);
	return sp < room ? sp : room;
}

/* IP_PKTOPTIONS (Linux's, TCP only): the control messages a TCP socket
 * would carry, as IP_PKTINFO (the bound address, the multicast index),
 * IP_RECVTTL (the multicast TTL: Linux's choice) and IP_RECVTOS (the
 * TOS of the accepted handshake's ACK) ask. */
static int tcp_pktoptions(struct tcp_sock *tp, void *v, socklen_t *len)
{
	if ((int)*len < 0)
		return -EINVAL;
	uint8_t *buf = v;
	size_t room = *len, used = 0;
	struct ns_socket *s = &tp->sk;
	if (s->opts & NS_SO_PKTINFO) {
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		pi.ipi_ifindex = s->mc_index;
		if (tp->laddr.family == AF_INET)
			pi.ipi_addr.s_addr = pi.ipi_spec_dst.s_addr = htonl(tp->laddr.v4);
		used += put_cmsg_cut(buf + used, room - used, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (s->opts & NS_SO_RECVTTL) {
		int ttl = s->mc_ttl;
		used += put_cmsg_cut(buf + used, room - used, IP_TTL, &ttl, sizeof(ttl));
	}
	if (s->opts & NS_SO_RECVTOS) {
		int tos = tp->rcv_tos;
		used += put_cmsg_cut(buf + used, room - used, IP_TOS, &tos, sizeof(tos));
	}
	*len = (socklen_t)used;
	return 0;
}

/* IPV6_2292PKTOPTIONS read (RFC 2292 4.1; Linux's, TCP only): the
 * control messages of the last segment kept (ns_ip6_note_segment), as a
 * datagram's would be; without one, those of IPV6_PKTINFO (the
 * interface of the last segment, and then the peer's address: Linux's
 * choice), IPV6_HOPLIMIT (its hop limit), IPV6_TCLASS and IPV6_FLOWINFO
 * (its flow information) and their RFC 2292 names, as Linux gives them. */
static int tcp_pktoptions6(struct tcp_sock *tp, void *v, socklen_t *len)
{
	if ((int)*len < 0)
		return -EINVAL;
	struct ns_socket *s = &tp->sk;
	struct msghdr m = { .msg_control = v, .msg_controllen = *len };
	size_t used = 0;
	if (s->pktopts6) {
		ns_ip6_recv_cmsgs(s, s->pktopts6, s->pktopts6_len, s->pktopts6_iif, s->pktopts6_dport, &m, &used);
		*len = (socklen_t)used;
		return 0;
	}
	struct in6_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_ifindex = (unsigned)s->mc_index6;
	if (s->mc_index6 && tp->raddr.family == AF_INET6)
		memcpy(pi.ipi6_addr.s6_addr, tp->raddr.v6, 16);
	else if (s->mc_index6 && tp->raddr.family == AF_INET)
		ns_ip_to_v4mapped(&tp->raddr, pi.ipi6_addr.s6_addr);
	int hl = s->mc_hops6, tc = (int)((s->rcv_flowinfo6 >> 20) & 0xff);
	uint32_t fi = htonl(s->rcv_flowinfo6);
	if (s->opts & NS_SO_RECVPKTINFO6)
		ns_cmsg_put(&m, &used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	if (s->opts & NS_SO_RECVHOPLIMIT6)
		ns_cmsg_put(&m, &used, IPPROTO_IPV6, IPV6_HOPLIMIT, &hl, sizeof(hl));
	if (s->opts & NS_SO_RECVTCLASS6)
		ns_cmsg_put(&m, &used, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc));
	if (s->opts6 & NS_SO6_2292PKTINFO)
		ns_cmsg_put(&m, &used, IPPROTO_IPV6, IPV6_2292PKTINFO, &pi, sizeof(pi));
	if (s->opts6 & NS_SO6_2292HOPLIMIT)
		ns_cmsg_put(&m, &used, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &hl, sizeof(hl));
	if (s->opts6 & NS_SO6_FLOWINFO)
		ns_cmsg_put(&m, &used, IPPROTO_IPV6, IPV6_FLOWINFO, &fi, sizeof(fi));
	*len = (socklen_t)used;
	return 0;
}

static int tcp_getsockopt(struct ns_socket *s, int level, int name, void *v, socklen_t *len)
{
	struct tcp_sock *tp = tcp_sk(s);
	if (level == SOL_SOCKET) {
		if (name == SO_ACCEPTCONN)
			return put_int(v, len, tp->state == TCPS_LISTEN);
		if (name == SO_REUSEADDR && tp->repair_reuse)
			return put_int(v, len, 2); /* (Linux's sk_reuse: SK_FORCE_REUSE) */
		return -ENOPROTOOPT;
	}
	if (level == IPPROTO_IP && name == IP_PKTOPTIONS)
		return tcp_pktoptions(tp, v, len);
	if (level == IPPROTO_IP)
		return ns_ip_getsockopt(s, name, v, len, tp->state == TCPS_ESTABLISHED ? &tp->raddr : NULL,
					tp->lport);
	if (level == IPPROTO_IPV6 && name == IPV6_2292PKTOPTIONS && s->domain == AF_INET6)
		return tcp_pktoptions6(tp, v, len);
	if (level == IPPROTO_IPV6)
		return ns_ip6_getsockopt(s, name, v, len,
					 tp->state == TCPS_ESTABLISHED ? &tp->raddr : NULL);
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	int r = tcp_repair_getsockopt(tp, name, v, len);
	if (r != -ENOPROTOOPT)
		return r;
	switch (name) {
	case TCP_INFO: {
		struct tcp_info ti;
		fill_info(tp, &ti);
		return put_val(v, len, &ti, sizeof(ti));
	}
	case TCP_NODELAY:
		return put_int(v, len, tp->nodelay);
	case TCP_CORK:
		return put_int(v, len, tp->cork);
	case TCP_MAXSEG:
		/* Linux: a closed or listening socket shows the value set;
		 * otherwise the MSS last worked out (536 before any connect,
		 * then the SYN's, then the connection's). */
		if (tp->repair)
			/* (the peer's, as TCP_REPAIR_OPTIONS sets it: Linux's
			 * mss_clamp) */
			return put_int(v, len, tp->user_mss && tp->user_mss < tp->peer_mss ? tp->user_mss : tp->peer_mss);
		if (tp->user_mss && (tp->state == TCPS_CLOSED || tp->state == TCPS_LISTEN))
			return put_int(v, len, tp->user_mss);
		if (TCPS_HAVEESTABLISHED(tp->state))
			return put_int(v, len, (int)tcp_current_mss(tp));
		return put_int(v, len, tp->mss ? tp->mss : TCP_DEFAULT_MSS);
	case TCP_KEEPIDLE:
		return put_int(v, len, tp->keepidle_s ? (int)tp->keepidle_s : (int)tp->sk.stack->tcp->keepidle_s);
	case TCP_KEEPINTVL:
		return put_int(v, len, tp->keepintvl_s ? (int)tp->keepintvl_s : (int)tp->sk.stack->tcp->keepintvl_s);
	case TCP_KEEPCNT:
		return put_int(v, len, tp->keepcnt ? (int)tp->keepcnt : (int)tp->sk.stack->tcp->keepcnt);
	case TCP_USER_TIMEOUT:
		return put_int(v, len, (int)tp->user_timeout_ms);
	case TCP_LINGER2:
		if (tp->linger2_s < 0)
			return put_int(v, len, -1);
		return put_int(v, len, tp->linger2_s ? tp->linger2_s : (int)(s->stack->tcp->fin_timeout / NS_SEC));
	case TCP_DEFER_ACCEPT:
		return put_int(v, len, tcp_defer_timeouts_to_secs(tp->defer_accept));
	case TCP_FASTOPEN_CONNECT:
		return put_int(v, len, tp->fastopen_connect);
	case TCP_FASTOPEN:
		return put_int(v, len, (int)tp->fastopen_qlen);
	case TCP_QUICKACK:
		return put_int(v, len, !tp->pingpong);
	case TCP_SYNCNT:
		return put_int(v, len, tp->syn_retries ? tp->syn_retries : TCP_SYN_RETRIES);
	case TCP_WINDOW_CLAMP:
		return put_int(v, len, (int)tp->window_clamp);
	case TCP_CONGESTION: {
		char buf[16];
		memset(buf, 0, sizeof(buf));
		snprintf(buf, sizeof(buf), "%s", tp->cc->name);
		return put_val(v, len, buf, sizeof(buf));
	}
	case TCP_CC_INFO:
		/* The algorithm's own data (struct tcp_bbr_info, ...): reno
		 * and cubic have none, and Linux then returns 0 bytes. */
		return put_val(v, len, NULL, 0);
	case TCP_NOTSENT_LOWAT:
		return put_int(v, len, (int)tp->notsent_lowat);
	case TCP_INQ:
		return put_int(v, len, tp->recvmsg_inq);
	case TCP_THIN_LINEAR_TIMEOUTS:
		return put_int(v, len, tp->thin_lto);
	case TCP_THIN_DUPACK:
		return put_int(v, len, 0);
	case TCP_SAVE_SYN:
		return put_int(v, len, tp->save_syn);
	case TCP_SAVED_SYN:
		return get_saved_syn(tp, v, len);
	case TCP_ULP:
		return put_val(v, len, NULL, 0); /* (none) */
	case TCP_FASTOPEN_KEY:
		return put_val(v, len, tp->fo_key, tp->fo_key_len);
	case TCP_FASTOPEN_NO_COOKIE:
		return put_int(v, len, tp->fo_no_cookie);
	case TCP_TX_DELAY:
		return put_int(v, len, (int)tp->tx_delay_us);
	case TCP_IS_MPTCP:
		return put_int(v, len, 0); /* (no MPTCP here) */
	case TCP_RTO_MAX_MS:
		return put_int(v, len, (int)(tp->rto_max / NS_MSEC));
	case TCP_RTO_MIN_US:
		return put_int(v, len, (int)(tp->rto_min / NS_USEC));
	case TCP_DELACK_MAX_US:
		return put_int(v, len, (int)(tp->delack_max / NS_USEC));
	default:
		return -ENOPROTOOPT;
	}
}

static void tcp_sock_info(struct ns_socket *s, struct ns_sock_info *out)
{
	struct tcp_sock *tp = tcp_sk(s);
	out->state = tcp_state_linux(tp->state);
	out->laddr = tp->laddr;
	out->raddr = tp->raddr;
	out->lport = tp->lport;
	out->rport = tp->rport;
	if (tp->state == TCPS_LISTEN) {
		out->rx_queue = tp->listen ? tp->listen->acceptq_len : 0;
		out->listening_backlog = tp->listen ? (int)tp->listen->backlog : 0;
	} else {
		out->rx_queue = tp->rcvq.len;
		out->tx_queue = tp->sndq.len;
	}
	out->retransmits = tp->retransmits;
	out->rx_done = (uint8_t)(TCPS_HAVERCVDFIN(tp->state) || (tp->state == TCPS_CLOSED && tp->established_once));
	/* /proc/net/tcp's timer column (Linux get_tcp4_sock()). */
	if (ns_timer_armed(&tp->t_rtx) && tp->rtx_mode != RTX_MODE_NONE) {
		out->timer = NS_SOCK_TIMER_RTO;
		out->timer_expires = tp->t_rtx.expires;
	} else if (ns_timer_armed(&tp->t_persist)) {
		out->timer = NS_SOCK_TIMER_PROBE;
		out->timer_expires = tp->t_persist.expires;
	} else if (ns_timer_armed(&tp->t_keep)) {
		out->timer = tp->state == TCPS_TIME_WAIT ? NS_SOCK_TIMER_TW : NS_SOCK_TIMER_KEEP;
		out->timer_expires = tp->t_keep.expires;
	}
}

const struct ns_sock_ops tcp_sock_ops = {
	.info = tcp_sock_info,
	.bind = tcp_bind,
	.connect = tcp_connect,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.shutdown = tcp_shutdown,
	.release = tcp_release,
	.getsockname = tcp_getsockname,
	.getpeername = tcp_getpeername,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.poll = tcp_poll,
	.ioctl = tcp_ioctl,
	.destroy = tcp_destroy,
};

/* ---- stack-level ---- */

static const struct ns_l4_ops tcp_l4_ops = {
	.input = tcp_input,
	.err = tcp_err,
};

int tcp_init(struct ns_stack *st)
{
	st->tcp = calloc(1, sizeof(*st->tcp));
	if (!st->tcp)
		return -ENOMEM;
	st->tcp->timewait_len = TCP_TIMEWAIT_DEFAULT;
	st->tcp->fin_timeout = TCP_FIN_TIMEOUT_DEFAULT;
	st->tcp->rmem_max = TCP_RMEM_MAX_DEFAULT;
	st->tcp->wmem_max = TCP_WMEM_MAX_DEFAULT;
	st->tcp->rmem_min = st->tcp->wmem_min = 4096; /* Linux's tcp_rmem[0], tcp_wmem[0] */
	st->tcp->rmem_def = TCP_RMEM_DEFAULT;
	st->tcp->wmem_def = TCP_WMEM_DEFAULT;
	st->tcp->keepidle_s = (uint32_t)(TCP_KEEPIDLE_DEFAULT / NS_SEC);
	st->tcp->keepintvl_s = (uint32_t)(TCP_KEEPINTVL_DEFAULT / NS_SEC);
	st->tcp->keepcnt = TCP_KEEPCNT_DEFAULT;
	st->tcp->somaxconn = 4096;
	st->tcp->tso_win_divisor = 3;
	st->tcp->notsent_lowat = UINT32_MAX; /* Linux's default: no mark */
	st->tcp->syncookies = 1;
	st->tcp->sack = st->tcp->timestamps = st->tcp->window_scaling = 1;
	st->tcp->ecn = 2; /* Linux's default: accept ECN, do not ask for it */
	st->tcp->fastopen = 1; /* Linux's default: TFO_CLIENT_ENABLE */
	st->tcp->rto_min_us = (int)(TCP_RTO_MIN / NS_USEC);
	st->tcp->rto_max_ms = (int)(TCP_RTO_MAX / NS_MSEC);
	st->tcp->default_cc = &tcp_cubic_ops;
	st->tcp->eph_offset = ns_random32(st);
	ip4_register(st, IPPROTO_TCP_, &tcp_l4_ops);
	return 0;
}

void tcp_fini(struct ns_stack *st)
{
	free(st->tcp);
	st->tcp = NULL;
}

/* One line per connection, like `ss -tni`: for debugging stalls. */
void tcp_dump(struct ns_stack *st, FILE *f, int max)
{
	static const char *const modes[] = { "none", "rto", "tlp", "reo" };
	int n = 0;
	ns_time_t now = st_now(st);
	for (struct ns_socket *s = st->sockets; s && n < max; s = s->all_next) {
		if (s->type != SOCK_STREAM)
			continue;
		struct tcp_sock *tp = tcp_sk(s);
		if (tp->state == TCPS_LISTEN || tp->state == TCPS_CLOSED)
			continue;
		char la[46], ra[46];
		ns_ip_fmt(&tp->laddr, la, sizeof(la));
		ns_ip_fmt(&tp->raddr, ra, sizeof(ra));
		long rtx_in = ns_timer_armed(&tp->t_rtx) ? (long)((int64_t)(tp->t_rtx.expires - now) / (int64_t)NS_MSEC) : -1;
		fprintf(f,
			"  tcp %s:%u %s:%u %s%s una %u nxt %u unsent %u wnd %u rwnd %u out %u sacked %u "
			"lost %u retrans %u cwnd %u ssthresh %u ca %d rto %llums srtt %uus "
			"timer %s in %ldms%s%s rcvq %u ooo %u\n",
			la, tp->lport, ra, tp->rport, tcp_state_names[tp->state], tp->orphan ? " orphan" : "",
			tp->snd_una - tp->iss, tp->snd_nxt - tp->iss, tcp_unsent(tp), tp->snd_wnd,
			tp->rcv_adv - tp->rcv_nxt, tp->packets_out, tp->sacked_out, tp->lost_out,
			tp->retrans_out, tp->snd_cwnd, tp->snd_ssthresh, tp->ca_state,
			(unsigned long long)(tcp_rto_backed_off(tp) / NS_MSEC), tp->srtt_us,
			modes[tp->rtx_mode & 3], rtx_in,
			ns_timer_armed(&tp->t_persist) ? " persist" : "",
			ns_timer_armed(&tp->t_delack) ? " delack" : "", tp->rcvq.len, tp->ooo_bytes);
		n++;
	}
}

int tcp_set_option(struct ns_stack *st, const char *key, const char *value)
{
	struct tcp_state *ts = st->tcp;
	if (!strcmp(key, "congestion")) {
		const struct tcp_cc_ops *cc = tcp_cc_find(value);
		if (!cc)
			return -EINVAL;
		ts->default_cc = cc;
		return 0;
	}
	char *end;
	long long v = strtoll(value, &end, 10);
	if (!*value || *end || v < 0)
		return -EINVAL;
	if (!strcmp(key, "timewait_ms")) {
		ts->timewait_len = (ns_time_t)v * NS_MSEC;
	} else if (!strcmp(key, "fin_timeout_ms")) {
		ts->fin_timeout = (ns_time_t)v * NS_MSEC;
	} else if (!strcmp(key, "rmem_max")) {
		if (v < 4096 || v > (1LL << 30))
			return -EINVAL;
		ts->rmem_max = (int)v;
	} else if (!strcmp(key, "wmem_max")) {
		if (v < 4096 || v > (1LL << 30))
			return -EINVAL;
		ts->wmem_max = (int)v;
	} else if (!strcmp(key, "ecn")) {
		if (v > 2)
			return -EINVAL;
		ts->ecn = (uint8_t)v;
	} else if (!strcmp(key, "syncookies") || !strcmp(key, "sack") ||
		   !strcmp(key, "timestamps") || !strcmp(key, "window_scaling")) {
		if (v > 1)
			return -EINVAL;
		uint8_t *f = !strcmp(key, "syncookies") ? &ts->syncookies
			     : !strcmp(key, "sack")	 ? &ts->sack
			     : !strcmp(key, "timestamps") ? &ts->timestamps
							  : &ts->window_scaling;
		*f = (uint8_t)v;
	} else {
		return -ENOENT;
	}
	return 0;
}

void tcp_stack_flush(struct ns_stack *st)
{
	if (st->tcp)
		tcp_flush_acks(st);
}

int tcp_tskey_base(struct ns_socket *s, int id_tcp, uint32_t *key)
{
	struct tcp_sock *tp = tcp_sk(s);
	if (tp->state == TCPS_CLOSED || tp->state == TCPS_LISTEN)
		return -EINVAL;
	*key = id_tcp ? tp->snd_buf_seq + tp->sndq.len : tp->snd_una;
	return 0;
}
