/*
 * TCP repair mode (tcp(7) TCP_REPAIR), as Linux has it for checkpoint and
 * restore (CRIU): a live connection is read out of one socket and put
 * into a new one, on this host or another, without the peer noticing.
 *
 * A socket in repair mode (TCP_REPAIR 1; CAP_NET_ADMIN, which the sentry
 * checks; never a listener) works on its queues instead of the wire:
 *   - TCP_REPAIR_QUEUE picks a queue (TCP_NO_QUEUE, TCP_RECV_QUEUE,
 *     TCP_SEND_QUEUE); TCP_QUEUE_SEQ reads its sequence (the send
 *     queue's end, write_seq; rcv_nxt) and sets it on a closed socket;
 *   - recv(MSG_PEEK) reads the picked queue (the send queue: every byte
 *     not yet acknowledged); a read that takes is EPERM;
 *   - send() appends to the picked queue: the receive queue's bytes
 *     become unread data (rcv_nxt moves); the send queue's count as sent
 *     (snd_nxt moves, the retransmission timer runs) though none goes out:
 *     after repair the timer sends them, as Linux's tcp_write_xmit skips
 *     the transmission of a repair socket's send queue (a FIN that
 *     shutdown queues too);
 *   - connect() makes the connection ESTABLISHED at once, with the
 *     sequences set before, no SYN; the options are none until
 *     TCP_REPAIR_OPTIONS names them (MSS, window scales, SACK,
 *     timestamps; once established, before any data went out);
 *   - TCP_REPAIR_WINDOW reads and sets the window state (snd_wl1,
 *     snd_wnd, max_window, rcv_wnd, rcv_wup) with Linux's checks;
 *   - TCP_TIMESTAMP sets the timestamp clock's offset (its read, the
 *     clock, is allowed at any time);
 *   - bind() takes a port whoever holds it (Linux's SK_FORCE_REUSE,
 *     until SO_REUSEADDR is set or repair ends);
 *   - close() sends nothing (no FIN, no RST); a disconnect (AF_UNSPEC)
 *     sends no RST and leaves ECONNABORTED in SO_ERROR.
 * Segments from the peer and the timers work as ever meanwhile (Linux:
 * CRIU keeps the peer's segments away with a firewall while it works).
 * TCP_REPAIR 0 ends it with a window probe on an established connection
 * (an ACK the peer answers with its window), -1 without.
 *
 * Errors and their order are Linux's (do_tcp_setsockopt,
 * do_tcp_getsockopt, tcp_sendmsg_locked, tcp_recvmsg_locked):
 * TCP_QUEUE_SEQ needs a closed socket (EPERM), not repair mode; the queue
 * picked stays after repair ends and is TCP_NO_QUEUE again when it
 * starts. An odd TCP_TIMESTAMP makes the timestamp clock count
 * microseconds (Linux's tcp_usec_ts), an even one milliseconds.
 * Differences: the MSS that TCP_REPAIR_OPTIONS sets is at least
 * TCP_MIN_MSS (Linux takes any); sends to the receive queue are not
 * refused for memory (Linux may answer ENOMEM past the buffer).
 */
#include <linux/tcp.h>
#include <string.h>

#include "tcp_priv.h"

/* The end of the send queue (Linux's write_seq). */
static uint32_t write_seq(const struct tcp_sock *tp)
{
	return tp->snd_buf_seq + tp->sndq.len;
}

/* TCP_REPAIR_OPTIONS (Linux tcp_repair_options_est): a list of
 * (code, value) pairs; an unknown code is skipped, a short tail too. */
static int set_options(struct tcp_sock *tp, const void *v, socklen_t len)
{
	const uint8_t *p = v;
	for (; len >= (socklen_t)sizeof(struct tcp_repair_opt); len -= sizeof(struct tcp_repair_opt)) {
		struct tcp_repair_opt o;
		memcpy(&o, p, sizeof(o));
		p += sizeof(o);
		switch (o.opt_code) {
		case TCPOPT_MSS:
			/* the peer's MSS (Linux's mss_clamp) */
			tp->peer_mss = (uint16_t)NS_MAX(o.opt_val & 0xffff, (uint32_t)TCP_MIN_MSS);
			tcp_current_mss(tp);
			break;
		case TCPOPT_WS: {
			uint32_t snd = o.opt_val & 0xffff, rcv = o.opt_val >> 16;
			if (snd > TCP_MAX_WSCALE || rcv > TCP_MAX_WSCALE)
				return -EFBIG;
			tp->snd_wscale = (uint8_t)snd;
			tp->rcv_wscale = (uint8_t)rcv;
			tp->ws_ok = 1;
			break;
		}
		case TCPOPT_SACK_PERM:
			if (o.opt_val)
				return -EINVAL;
			tp->sack_ok = 1;
			break;
		case TCPOPT_TS:
			if (o.opt_val)
				return -EINVAL;
			tp->ts_ok = 1;
			tcp_current_mss(tp); /* (the option takes room) */
			break;
		default:
			break;
		}
	}
	return 0;
}

/* TCP_REPAIR_WINDOW (Linux tcp_repair_set_window). Linux's rcv_wup is
 * rcv_nxt at the last window update; moat keeps the right edge that
 * update offered (rcv_adv = rcv_wup + rcv_wnd). */
static int set_window(struct tcp_sock *tp, const void *v, socklen_t len)
{
	struct tcp_repair_window w;
	if (!tp->repair)
		return -EPERM;
	if (len != sizeof(w))
		return -EINVAL;
	memcpy(&w, v, sizeof(w));
	if (w.max_window < w.snd_wnd)
		return -EINVAL;
	if (SEQ_GT(w.snd_wl1, tp->rcv_nxt + w.rcv_wnd))
		return -EINVAL;
	if (SEQ_GT(w.rcv_wup, tp->rcv_nxt))
		return -EINVAL;
	tp->snd_wl1 = w.snd_wl1;
	tp->snd_wnd = w.snd_wnd;
	tp->snd_max_wnd = w.max_window;
	tp->rcv_wnd = w.rcv_wnd;
	tp->rcv_adv = w.rcv_wup + w.rcv_wnd;
	return 0;
}

static void repair_off(struct tcp_sock *tp, int probe)
{
	tp->repair = 0;
	tp->repair_reuse = 0;
	tp->sk.opts &= ~NS_SO_REUSEADDR; /* (Linux: sk_reuse is SK_NO_REUSE) */
	if (probe && tp->state == TCPS_ESTABLISHED) {
		/* Linux tcp_send_window_probe(): the answer's window is
		 * taken whatever segment carries it. */
		tp->snd_wl1 = tp->rcv_nxt - 1;
		tcp_send_probe(tp);
	}
}

int tcp_repair_setsockopt(struct tcp_sock *tp, int name, const void *v, socklen_t len, int val)
{
	switch (name) {
	case TCP_REPAIR:
		if (tp->state == TCPS_LISTEN)
			return -EPERM;
		if (val == TCP_REPAIR_ON) {
			tp->repair = 1;
			tp->repair_reuse = 1;
			tp->repair_queue = TCP_NO_QUEUE;
		} else if (val == TCP_REPAIR_OFF || val == TCP_REPAIR_OFF_NO_WP) {
			repair_off(tp, val == TCP_REPAIR_OFF);
		} else {
			return -EINVAL;
		}
		return 0;
	case TCP_REPAIR_QUEUE:
		if (!tp->repair)
			return -EPERM;
		if ((unsigned)val >= TCP_QUEUES_NR)
			return -EINVAL;
		tp->repair_queue = (uint8_t)val;
		return 0;
	case TCP_QUEUE_SEQ:
		if (tp->state != TCPS_CLOSED)
			return -EPERM;
		if (tp->repair_queue == TCP_SEND_QUEUE) {
			if (tp->sndq.len || tp->rtx_head)
				return -EPERM;
			tp->snd_buf_seq = (uint32_t)val;
			tp->write_seq_set = 1;
		} else if (tp->repair_queue == TCP_RECV_QUEUE) {
			if (tp->rcvq.len)
				return -EPERM;
			tp->rcv_nxt = (uint32_t)val;
		} else {
			return -EINVAL;
		}
		return 0;
	case TCP_REPAIR_OPTIONS:
		if (!tp->repair)
			return -EINVAL;
		if (tp->state != TCPS_ESTABLISHED || tp->bytes_sent)
			return -EPERM;
		return set_options(tp, v, len);
	case TCP_REPAIR_WINDOW:
		return set_window(tp, v, len);
	case TCP_TIMESTAMP:
		if (!tp->repair)
			return -EPERM;
		/* the offset that makes the clock read val now; the low
		 * bit picks its unit (Linux's tcp_usec_ts): microseconds
		 * when set, else milliseconds */
		tp->ts_usec = val & 1;
		tp->ts_offset = 0;
		tp->ts_offset = (uint32_t)val - tcp_tsval(tp);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int put(void *v, socklen_t *len, const void *src, socklen_t n)
{
	socklen_t c = *len < n ? *len : n;
	if (c && v)
		memcpy(v, src, (size_t)c);
	*len = c;
	return 0;
}

int tcp_repair_getsockopt(struct tcp_sock *tp, int name, void *v, socklen_t *len)
{
	int val;
	switch (name) {
	case TCP_REPAIR:
		val = tp->repair;
		break;
	case TCP_REPAIR_QUEUE:
		if (!tp->repair)
			return -EINVAL;
		val = tp->repair_queue;
		break;
	case TCP_QUEUE_SEQ:
		if (tp->repair_queue == TCP_SEND_QUEUE)
			val = (int)write_seq(tp);
		else if (tp->repair_queue == TCP_RECV_QUEUE)
			val = (int)tp->rcv_nxt;
		else
			return -EINVAL;
		break;
	case TCP_REPAIR_WINDOW: {
		struct tcp_repair_window w;
		if (*len != sizeof(w))
			return -EINVAL;
		if (!tp->repair)
			return -EPERM;
		w.snd_wl1 = tp->snd_wl1;
		w.snd_wnd = tp->snd_wnd;
		w.max_window = tp->snd_max_wnd;
		w.rcv_wnd = tp->rcv_wnd;
		w.rcv_wup = tp->rcv_adv - tp->rcv_wnd;
		return put(v, len, &w, sizeof(w));
	}
	case TCP_TIMESTAMP:
		/* the clock, its low bit the unit's mark (set: microseconds) */
		val = (int)(tp->ts_usec ? tcp_tsval(tp) | 1u : tcp_tsval(tp) & ~1u);
		break;
	default:
		return -ENOPROTOOPT;
	}
	return put(v, len, &val, sizeof(val));
}

int tcp_repair_connect(struct tcp_sock *tp)
{
	/* Linux tcp_connect() in repair mode: tcp_finish_connect() at once,
	 * with the sequences TCP_QUEUE_SEQ set (0 when none), the timestamp
	 * offset TCP_TIMESTAMP set, and no options until
	 * TCP_REPAIR_OPTIONS (the receive scale is the one worked out, in
	 * force without the option, as Linux's). */
	uint32_t seq = tp->snd_buf_seq;
	tp->iss = seq - 1;
	tp->snd_una = tp->snd_nxt = seq;
	tp->snd_up = 0; /* (no urgent data) */
	tp->irs = tp->rcv_nxt - 1;
	tp->rcv_adv = tp->rcv_up = tp->last_ack_sent = tp->rcv_nxt;
	tp->ts_recent = 0; /* (the peer's next TSval is taken, whatever it is) */
	tp->ws_ok = tp->sack_ok = tp->ts_ok = tp->ecn_ok = 0;
	tp->snd_wscale = 0;
	tp->snd_wnd = tp->snd_wl1 = tp->snd_max_wnd = 0;
	tp->snd_wl2 = seq;
	tp->peer_mss = tp->user_mss ? tp->user_mss : tcp_default_mss(tp);
	tcp_current_mss(tp);
	tp->fin_queued = tp->fin_sent = 0;
	tp->retransmits = tp->backoff = 0;
	tp->rto = TCP_RTO_INIT;
	tp->connect_tried = 1;
	tp->sock_connected = 1;
	tp->disconnected = 0;
	tcp_ehash_insert(tp->sk.stack, tp);
	tcp_set_state(tp, TCPS_ESTABLISHED);
	tcp_init_transfer(tp);
	tcp_wake(tp);
	return 0;
}

ssize_t tcp_repair_send_rcvq(struct tcp_sock *tp, const struct msghdr *m)
{
	/* Linux tcp_send_rcvq(): the bytes join the receive queue as one
	 * segment that arrived in order. */
	size_t total = ns_iov_total(m);
	if (!total)
		return 0;
	if (total > INT32_MAX)
		return -EINVAL;
	size_t done = 0;
	for (size_t i = 0; i < m->msg_iovlen; i++) {
		const struct iovec *io = &m->msg_iov[i];
		if (!io->iov_len)
			continue;
		if (tcp_rq_copy_in(&tp->rcvq, io->iov_base, (uint32_t)io->iov_len) < 0) {
			tcp_rq_trim_tail(&tp->rcvq, (uint32_t)done);
			return -ENOMEM;
		}
		done += io->iov_len;
	}
	tcp_rmem_charge(tp, (uint32_t)done);
	tp->rcv_nxt += (uint32_t)done;
	tp->bytes_received += done;
	tcp_wake(tp);
	return (ssize_t)done;
}

int tcp_repair_sends_to_queue(const struct tcp_sock *tp)
{
	return tp->repair && tp->repair_queue == TCP_SEND_QUEUE;
}

void tcp_repair_queue_sent(struct tcp_sock *tp)
{
	/* Linux tcp_write_xmit() on a repair socket's send queue: each
	 * segment counts as sent (its record, snd_nxt, the retransmission
	 * timer) but none goes out, whatever the window says; a FIN queued
	 * (shutdown) too. The timer sends them, in repair mode or after. */
	uint32_t mss = tcp_current_mss(tp);
	uint32_t unsent;
	while ((unsent = tcp_unsent(tp)) > 0) {
		struct tcp_seg *rec = tcp_seg_alloc();
		if (!rec)
			break;
		uint32_t seq = SEQ_MAX(tp->snd_nxt, tp->snd_buf_seq);
		uint32_t n = NS_MIN(mss, unsent);
		rec->seq = seq;
		rec->end = seq + n;
		rec->xmit_time = tcp_now(tp);
		rec->delivered_at_send = tp->delivered;
		rec->xmits = 1;
		if (tcp_take_push(tp, rec->seq, rec->end))
			rec->flags |= SEG_PSH;
		tcp_rtx_append(tp, rec);
		tp->snd_nxt = rec->end;
	}
	if (!tcp_unsent(tp) && tp->fin_queued && !tp->fin_sent) {
		struct tcp_seg *rec = tcp_seg_alloc();
		if (rec) {
			rec->seq = write_seq(tp);
			rec->end = rec->seq + 1;
			rec->flags = SEG_FIN;
			rec->xmit_time = tcp_now(tp);
			rec->delivered_at_send = tp->delivered;
			rec->xmits = 1;
			tcp_rtx_append(tp, rec);
			tp->snd_nxt = rec->end;
			tp->fin_sent = 1;
			tp->fin_seq = rec->seq;
		}
	}
	tp->push_one = 0;
	if (tp->packets_out && !ns_timer_armed(&tp->t_rtx))
		tcp_rearm_rto(tp);
}

int tcp_repair_recv_queue(const struct tcp_sock *tp, int flags)
{
	/* Linux tcp_recvmsg_locked(): only peeks, of the queue picked (a
	 * read that takes is the sentry's peek at the head, then EPERM). */
	if (!(flags & MSG_PEEK) || (flags & NS_MSG_HEAD))
		return -EPERM;
	if (tp->repair_queue == TCP_NO_QUEUE)
		return -EINVAL;
	return tp->repair_queue;
}

ssize_t tcp_repair_peek_sndq(struct tcp_sock *tp, struct msghdr *m, size_t *copied)
{
	/* Linux tcp_peek_sndq(): every byte not yet acknowledged, sent or
	 * not, from snd_una (what the buffer holds). */
	uint32_t n = (uint32_t)NS_MIN(ns_iov_total(m), (size_t)tp->sndq.len);
	*copied = n ? tcp_ring_peek_iov(&tp->sndq, 0, m, n) : 0;
	return n;
}
