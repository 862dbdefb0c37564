/*
 * TCP timers. Each connection has four slots on the stack's timing wheel:
 *
 *   t_rtx      one of: the retransmission timeout (RFC 6298), the tail loss
 *              probe timeout (RFC 8985 7.2), or the RACK reordering timeout
 *              (RFC 8985 6.3); rtx_mode says which.
 *   t_persist  zero-window probes (RFC 9293 3.8.6.1), backing off like the
 *              RTO.
 *   t_delack   the delayed ACK (RFC 5681 4.2; 40 ms, never above 200 ms).
 *   t_keep     by state: keepalive (RFC 1122 4.2.3.6), the orphaned
 *              FIN-WAIT-2 timeout (TCP_LINGER2), or TIME-WAIT's 2 MSL.
 *
 * Giving up: a connection whose RTO fired TCP_RETRIES2 times (an orphan:
 * TCP_ORPHAN_RETRIES), or whose oldest unacknowledged data is older than
 * TCP_USER_TIMEOUT (RFC 5482), is dropped with ETIMEDOUT; SYN retries are
 * TCP_SYN_RETRIES (TCP_SYNCNT).
 */
#include "tcp_priv.h"

ns_time_t tcp_rto_backed_off(const struct tcp_sock *tp)
{
	ns_time_t rto = tp->rto ? tp->rto : TCP_RTO_INIT;
	for (int i = 0; i < tp->backoff && rto < tp->rto_max; i++)
		rto *= 2; /* RFC 6298 5.5 */
	return rto > tp->rto_max ? tp->rto_max : rto;
}

void tcp_arm_rtx(struct tcp_sock *tp, uint8_t mode, ns_time_t when)
{
	tp->rtx_mode = mode;
	ns_timer_arm(tp->sk.stack->wheel, &tp->t_rtx, when);
}

void tcp_rearm_rto(struct tcp_sock *tp)
{
	if (!tp->packets_out) {
		ns_timer_disarm(tp->sk.stack->wheel, &tp->t_rtx);
		tp->rtx_mode = RTX_MODE_NONE;
		return;
	}
	ns_time_t now = tcp_now(tp);
	ns_time_t when = now + tcp_rto_backed_off(tp);
	if (tp->user_timeout_ms && tp->rtx_head) {
		/* RFC 5482: give up when the user timeout expires, not at the
		 * next backed-off RTO after it (Linux
		 * tcp_clamp_rto_to_user_timeout()). */
		ns_time_t start = tp->first_rto_time ? tp->first_rto_time : tp->rtx_head->xmit_time;
		ns_time_t end = start + (ns_time_t)tp->user_timeout_ms * NS_MSEC;
		if (end < when)
			when = end > now ? end : now;
	}
	tcp_arm_rtx(tp, RTX_MODE_RTO, when);
}

/* Has the connection run out of patience? RFC 5482 / RFC 9293 3.8.3. */
static int write_timed_out(struct tcp_sock *tp, ns_time_t now, int retries_limit)
{
	if (tp->user_timeout_ms) {
		if (tp->first_rto_time &&
		    now - tp->first_rto_time >= (ns_time_t)tp->user_timeout_ms * NS_MSEC)
			return 1;
		return 0;
	}
	return tp->retransmits >= retries_limit;
}

static void write_err(struct tcp_sock *tp)
{
	/* Linux tcp_write_err(): report the last soft error if any. */
	NS_STAT_INC(tp->sk.stack, tcp_abort_on_timeout);
	tcp_done(tp, tp->sk.soft_error ? tp->sk.soft_error : ETIMEDOUT);
}

/* TCP_THIN_LINEAR_TIMEOUTS (or net.ipv4.tcp_thin_linear_timeouts): a
 * thin stream (fewer than 4 segments in flight, past the first slow
 * start) that cannot count on fast retransmit keeps its RTO for its
 * first TCP_THIN_LINEAR_RETRIES timeouts instead of doubling it (Linux's
 * tcp_retransmit_timer; RFC 6298 5.5's back-off resumes after). */
static int thin_linear(const struct tcp_sock *tp)
{
	return tp->state == TCPS_ESTABLISHED && (tp->thin_lto || tp->sk.stack->tcp->thin_lto) &&
	       tp->packets_out < 4 && tp->snd_ssthresh < 0x7fffffff &&
	       tp->retransmits <= TCP_THIN_LINEAR_RETRIES;
}

static void retransmit_timer(struct tcp_sock *tp, ns_time_t now)
{
	struct ns_stack *st = tp->sk.stack;
	if (!tp->packets_out)
		return;
	NS_STAT_INC(st, tcp_rto_expired);
	if (!tp->first_rto_time)
		tp->first_rto_time = tp->rtx_head ? tp->rtx_head->xmit_time : now;

	if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED) {
		uint32_t limit = tp->syn_retries ? tp->syn_retries : TCP_SYN_RETRIES;
		if (tp->user_timeout_ms ? write_timed_out(tp, now, 0) : tp->retransmits >= limit) {
			write_err(tp);
			return;
		}
		NS_STAT_INC(st, tcp_syn_retrans);
		if (tp->rtx_head)
			tcp_xmit_seg(tp, tp->rtx_head, 1);
		tp->retransmits++;
		tp->backoff++;
		tcp_rearm_rto(tp);
		return;
	}
	/* An orphan (closed by its user) has less patience: Linux
	 * tcp_orphan_retries() with its default 0 means 8 retries while the
	 * RTO is below its ceiling, none once it reached it. */
	int limit = TCP_RETRIES2;
	if (tp->orphan)
		limit = tcp_rto_backed_off(tp) < tp->rto_max ? TCP_ORPHAN_RETRIES : 0;
	if (write_timed_out(tp, now, limit)) {
		write_err(tp);
		return;
	}
	/* RFC 6298 5.5-5.6 and RFC 5681 3.1 eq. (4): on the first timeout of
	 * an episode cut ssthresh; cwnd becomes one segment; everything not
	 * SACKed is presumed lost (Linux tcp_enter_loss). */
	if (tp->ca_state != CA_LOSS || tp->retransmits == 0) {
		tp->prior_ssthresh = tp->snd_ssthresh;
		tp->snd_ssthresh = tp->cc->ssthresh(tp);
		if (tp->cc->event)
			tp->cc->event(tp, CC_EVENT_LOSS_RTO);
	}
	tp->snd_cwnd = 1;
	tp->snd_cwnd_cnt = 0;
	tp->ca_state = CA_LOSS;
	tp->high_seq = tp->snd_nxt;
	tp->tlp_high_seq = 0;
	tp->dupacks = 0;
	if (tp->rtx_head && (tp->rtx_head->flags & SEG_SACKED)) {
		/* RFC 2018 8: SACKed data at the left edge after a timeout
		 * means the receiver reneged; it MUST be retransmitted. Like
		 * Linux (tcp_timeout_mark_lost), forget every SACK mark. */
		for (struct tcp_seg *s = tp->rtx_head; s; s = s->next)
			s->flags &= (uint16_t)~SEG_SACKED;
		tp->sacked_out = 0;
		tp->sacked_bytes = 0;
	}
	for (struct tcp_seg *s = tp->rtx_head; s; s = s->next)
		tcp_seg_mark_lost(tp, s);
	/* RFC 6298 5.4: retransmit the earliest unacknowledged segment. */
	tcp_retransmit_lost(tp);
	tp->retransmits++;
	if (thin_linear(tp))
		tp->backoff = 0;
	else
		tp->backoff++;
	tcp_rearm_rto(tp);
}

static void rtx_timer_fn(struct ns_timer *t, ns_time_t now)
{
	struct tcp_sock *tp = ns_container_of(t, struct tcp_sock, t_rtx);
	uint8_t mode = tp->rtx_mode;
	tp->rtx_mode = RTX_MODE_NONE;
	switch (mode) {
	case RTX_MODE_REO: {
		/* RFC 8985 6.3: the reordering window passed. */
		NS_STAT_INC(tp->sk.stack, tcp_rack_reo_timeouts);
		ns_time_t wait = tcp_rack_detect_loss(tp);
		if (tp->lost_out && tp->ca_state < CA_RECOVERY) {
			tp->prior_cwnd = tp->snd_cwnd;
			tp->snd_ssthresh = tp->cc->ssthresh(tp);
			tp->high_seq = tp->snd_nxt;
			tp->prr_delivered = tp->prr_out = 0;
			tp->ca_state = CA_RECOVERY;
			tp->snd_cwnd = NS_MAX(tcp_packets_in_flight(tp) + 1, 1u);
			NS_STAT_INC(tp->sk.stack, tcp_recoveries);
		}
		tcp_output(tp);
		if (wait && !tp->lost_out)
			tcp_arm_rtx(tp, RTX_MODE_REO, now + wait);
		else if (!ns_timer_armed(&tp->t_rtx))
			tcp_rearm_rto(tp);
		break;
	}
	case RTX_MODE_TLP:
		tcp_send_loss_probe(tp);
		break;
	case RTX_MODE_RTO:
		retransmit_timer(tp, now);
		break;
	default:
		break;
	}
}

void tcp_arm_persist(struct tcp_sock *tp)
{
	ns_time_t when = tcp_rto_backed_off(tp);
	if (when < TCP_RTO_MIN)
		when = TCP_RTO_MIN;
	ns_timer_arm(tp->sk.stack->wheel, &tp->t_persist, tcp_now(tp) + when);
}

static void persist_timer_fn(struct ns_timer *t, ns_time_t now)
{
	struct tcp_sock *tp = ns_container_of(t, struct tcp_sock, t_persist);
	if (tp->packets_out || !tcp_unsent(tp))
		return; /* the window opened meanwhile; the RTO takes over */
	if (!tp->first_rto_time)
		tp->first_rto_time = now;
	/* RFC 9293 3.8.6.1: probing may go on as long as the peer answers;
	 * we give up like Linux after TCP_RETRIES2 unanswered probes, or at
	 * TCP_USER_TIMEOUT. */
	if ((tp->user_timeout_ms && now - tp->first_rto_time >= (ns_time_t)tp->user_timeout_ms * NS_MSEC) ||
	    (!tp->user_timeout_ms && tp->probes_out >= TCP_RETRIES2)) {
		write_err(tp);
		return;
	}
	if (tp->snd_wnd) {
		/* A window too small for Nagle/SWS: push what fits. */
		uint32_t before = tp->snd_nxt;
		tp->force_push = 1;
		tcp_output(tp);
		tp->force_push = 0;
		if (tp->snd_nxt != before)
			return;
	}
	NS_STAT_INC(tp->sk.stack, tcp_zero_window_probes);
	tcp_send_probe(tp);
	tp->probes_out++;
	if (tp->backoff < 15)
		tp->backoff++;
	tcp_arm_persist(tp);
}

void tcp_arm_delack(struct tcp_sock *tp)
{
	if (ns_timer_armed(&tp->t_delack))
		return;
	ns_time_t ato = tp->ato ? tp->ato : TCP_DELACK_MIN;
	if (ato > tp->delack_max)
		ato = tp->delack_max; /* (TCP_DELACK_MAX_US) */
	ns_timer_arm(tp->sk.stack->wheel, &tp->t_delack, tcp_now(tp) + ato);
}

static void delack_timer_fn(struct ns_timer *t, ns_time_t now)
{
	struct tcp_sock *tp = ns_container_of(t, struct tcp_sock, t_delack);
	NS_UNUSED(now);
	if (tp->ack_pending)
		tcp_send_ack(tp);
}

void tcp_arm_keepalive(struct tcp_sock *tp)
{
	struct ns_wheel *w = tp->sk.stack->wheel;
	if (!(tp->sk.opts & NS_SO_KEEPALIVE) || !TCPS_HAVEESTABLISHED(tp->state) ||
	    tp->state == TCPS_TIME_WAIT) {
		if (tp->state != TCPS_TIME_WAIT && tp->state != TCPS_FIN_WAIT_2)
			ns_timer_disarm(w, &tp->t_keep);
		return;
	}
	uint64_t idle = (uint64_t)(tp->keepidle_s ? tp->keepidle_s : tp->sk.stack->tcp->keepidle_s) * NS_SEC;
	ns_timer_arm(w, &tp->t_keep, tcp_now(tp) + idle);
}

void tcp_enter_time_wait(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	tcp_set_state(tp, TCPS_TIME_WAIT);
	/* Nothing more will be sent or retransmitted. */
	ns_timer_disarm(st->wheel, &tp->t_rtx);
	ns_timer_disarm(st->wheel, &tp->t_persist);
	tp->rtx_mode = RTX_MODE_NONE;
	tcp_rtx_purge(tp);
	/* Linux's socket is CLOSE once its connection enters TIME-WAIT: a
	 * socket someone still holds (its user, or an accept queue) hands
	 * the connection to a block of its own. Without memory for one it
	 * stays in TIME-WAIT itself. */
	if (!tp->orphan || tp->parent) {
		struct tcp_sock *tw = tcp_tw_split(tp);
		if (tw)
			tp = tw;
	}
	ns_timer_arm(st->wheel, &tp->t_keep, tcp_now(tp) + st->tcp->timewait_len);
	tcp_wake(tp);
}

void tcp_arm_fin_wait2(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	if (tp->linger2_s < 0) {
		/* TCP_LINGER2 < 0: no FIN-WAIT-2 wait at all (Linux sends RST). */
		tcp_send_active_reset(tp);
		tcp_done(tp, 0);
		return;
	}
	ns_time_t tmo = tp->linger2_s > 0 ? (ns_time_t)tp->linger2_s * NS_SEC : st->tcp->fin_timeout;
	ns_timer_arm(st->wheel, &tp->t_keep, tcp_now(tp) + tmo);
}

static void keep_timer_fn(struct ns_timer *t, ns_time_t now)
{
	struct tcp_sock *tp = ns_container_of(t, struct tcp_sock, t_keep);
	struct ns_stack *st = tp->sk.stack;

	if (tp->state == TCPS_TIME_WAIT) {
		tcp_done(tp, 0);
		return;
	}
	if (tp->state == TCPS_FIN_WAIT_2 && tp->orphan) {
		/* The peer never closed: give up on it silently. */
		tcp_done(tp, 0);
		return;
	}
	if (!(tp->sk.opts & NS_SO_KEEPALIVE) || !TCPS_HAVEESTABLISHED(tp->state))
		return;
	uint64_t idle_lim = (uint64_t)(tp->keepidle_s ? tp->keepidle_s : tp->sk.stack->tcp->keepidle_s) * NS_SEC;
	uint64_t intvl = (uint64_t)(tp->keepintvl_s ? tp->keepintvl_s : tp->sk.stack->tcp->keepintvl_s) * NS_SEC;
	uint32_t cnt = tp->keepcnt ? tp->keepcnt : tp->sk.stack->tcp->keepcnt;
	/* Keepalives only on an idle connection (RFC 1122 4.2.3.6). */
	if (tp->packets_out || tcp_unsent(tp)) {
		ns_timer_arm(st->wheel, &tp->t_keep, now + idle_lim);
		return;
	}
	ns_time_t last = NS_MAX(tp->last_ack_recv, tp->last_data_recv);
	if (!last)
		last = tp->lsndtime;
	ns_time_t idle = now > last ? now - last : 0;
	if (idle >= idle_lim) {
		int expired = tp->user_timeout_ms
				      ? (tp->probes_out > 0 && idle >= (ns_time_t)tp->user_timeout_ms * NS_MSEC)
				      : tp->probes_out >= cnt;
		if (expired) {
			/* Linux: a keepalive timeout resets the connection. */
			NS_STAT_INC(st, tcp_abort_on_keepalive);
			tcp_send_active_reset(tp);
			tcp_done(tp, ETIMEDOUT);
			return;
		}
		NS_STAT_INC(st, tcp_keepalive_probes);
		tcp_send_probe(tp);
		tp->probes_out++;
		ns_timer_arm(st->wheel, &tp->t_keep, now + intvl);
		return;
	}
	ns_timer_arm(st->wheel, &tp->t_keep, last + idle_lim);
}

void tcp_timers_init(struct tcp_sock *tp)
{
	ns_timer_init(&tp->t_rtx, rtx_timer_fn);
	ns_timer_init(&tp->t_persist, persist_timer_fn);
	ns_timer_init(&tp->t_delack, delack_timer_fn);
	ns_timer_init(&tp->t_keep, keep_timer_fn);
}

void tcp_timers_stop(struct tcp_sock *tp)
{
	struct ns_wheel *w = tp->sk.stack->wheel;
	ns_timer_disarm(w, &tp->t_rtx);
	ns_timer_disarm(w, &tp->t_persist);
	ns_timer_disarm(w, &tp->t_delack);
	ns_timer_disarm(w, &tp->t_keep);
	tp->rtx_mode = RTX_MODE_NONE;
}
