/*
 * RACK-TLP loss detection (RFC 8985).
 *
 * RACK: a segment is lost when a segment sent after it has been delivered
 * and it is older than the delivered one by more than the reordering window
 * (RFC 8985 6.2). The reordering window starts at 0 until reordering is
 * seen (then min_RTT/4, scaled up by D-SACKs, capped at SRTT), which makes
 * RACK as quick as the DupThresh rule on a link that does not reorder.
 *
 * TLP: after new data is sent and nothing else would detect a loss of the
 * tail, a probe timeout of about 2 * SRTT sends one segment (new data if it
 * may, else the last segment again) to elicit a SACK that RACK can use
 * (RFC 8985 7).
 */
#include "tcp_priv.h"

void tcp_rack_advance(struct tcp_sock *tp, const struct tcp_seg *s, ns_time_t now, int sacked)
{
	uint32_t rtt_us = (uint32_t)((now - s->xmit_time) / NS_USEC);
	/* RFC 8985 6.2 step 2: a retransmitted segment acknowledged sooner
	 * than min_RTT after its retransmission may be the original's ACK:
	 * ambiguous, skip. Like Linux, a first SACK of a retransmission is
	 * believed (that is how a tail loss probe's SACK reveals losses). */
	if (!sacked && (s->flags & SEG_EVER_RETRANS) && tp->min_rtt_us && rtt_us < tp->min_rtt_us)
		return;
	/* Step 3: reordering is seen when something older than the most
	 * recently delivered (by sequence) arrives without retransmission. */
	if (!(s->flags & SEG_EVER_RETRANS) && SEQ_LT(s->end, tp->rack.end_seq) &&
	    tp->rack.end_seq)
		tp->rack.reord_seen = 1;
	tp->rack.rtt_us = rtt_us;
	if (s->xmit_time > tp->rack.xmit_time ||
	    (s->xmit_time == tp->rack.xmit_time && SEQ_GT(s->end, tp->rack.end_seq))) {
		tp->rack.xmit_time = s->xmit_time;
		tp->rack.end_seq = s->end;
	}
	tp->rack.advanced = 1;
}

static ns_time_t reo_wnd(const struct tcp_sock *tp)
{
	/* RFC 8985 6.2 step 4. With no reordering seen, in recovery or with
	 * DupThresh segments SACKed, the window is 0 (Linux does the same). */
	if (!tp->rack.reord_seen &&
	    (tp->ca_state == CA_RECOVERY || tp->sacked_out >= tp->reordering))
		return 0;
	ns_time_t w = (ns_time_t)tp->min_rtt_us * NS_USEC / 4 * NS_MAX(tp->rack.reo_wnd_mult, (uint8_t)1);
	ns_time_t srtt = (ns_time_t)tp->srtt_us * NS_USEC;
	return srtt && w > srtt ? srtt : w;
}

void tcp_rack_update_reo_wnd(struct tcp_sock *tp, int dsack)
{
	/* RFC 8985 6.2 step 4: a D-SACK means we were too quick: widen the
	 * window (at most once per round trip), keep it for 16 recoveries. */
	if (dsack) {
		if (SEQ_GEQ(tp->snd_una, tp->rack.dsack_round) || !tp->rack.dsack_round) {
			tp->rack.dsack_round = tp->snd_nxt;
			/* RACK.reo_wnd_mult starts at 1 (0 here means 1),
			 * so the first D-SACK doubles the window. */
			if (tp->rack.reo_wnd_mult < 64)
				tp->rack.reo_wnd_mult =
					(uint8_t)(NS_MAX(tp->rack.reo_wnd_mult, (uint8_t)1) + 1);
			tp->rack.reo_wnd_persist = 16;
			tp->rack.reord_seen = 1;
		}
	} else if (tp->ca_state == CA_RECOVERY && tp->rack.reo_wnd_persist == 0) {
		tp->rack.reo_wnd_mult = 1;
	}
}

ns_time_t tcp_rack_detect_loss(struct tcp_sock *tp)
{
	if (!tp->rack.xmit_time)
		return 0;
	ns_time_t now = tcp_now(tp);
	ns_time_t rtt = (ns_time_t)tp->rack.rtt_us * NS_USEC;
	ns_time_t wnd = reo_wnd(tp);
	ns_time_t wait = 0;
	for (struct tcp_seg *s = tp->rtx_head; s; s = s->next) {
		/* Only segments sent before the most recently delivered one. */
		int before = s->xmit_time < tp->rack.xmit_time ||
			     (s->xmit_time == tp->rack.xmit_time && SEQ_LT(s->end, tp->rack.end_seq));
		if (!before) {
			/* First transmissions leave in sequence order, and a
			 * retransmission is later still: once a never-
			 * retransmitted segment is too new, all that follow
			 * are too. */
			if (!(s->flags & SEG_EVER_RETRANS))
				break;
			continue;
		}
		if (s->flags & SEG_SACKED)
			continue;
		if ((s->flags & SEG_LOST) && !(s->flags & SEG_RETRANS))
			continue; /* already waiting for retransmission */
		ns_time_t deadline = s->xmit_time + rtt + wnd;
		if (deadline <= now) {
			tcp_seg_mark_lost(tp, s);
		} else {
			ns_time_t left = deadline - now;
			if (!wait || left < wait)
				wait = left;
		}
	}
	tp->rack.advanced = 0;
	return wait;
}

void tcp_schedule_loss_probe(struct tcp_sock *tp)
{
	/* RFC 8985 7.2: only with SACK, outside recovery, data in flight,
	 * and no probe already outstanding. Any state past the handshake:
	 * a FIN at the tail is probed like data (Linux). */
	if (!tp->sack_ok || tp->ca_state != CA_OPEN || !tp->packets_out || tp->tlp_high_seq)
		return;
	if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
		return;
	ns_time_t pto;
	if (tp->srtt_us) {
		pto = 2 * (ns_time_t)tp->srtt_us * NS_USEC;
		/* One segment out: the peer may delay its ACK (Linux adds
		 * the minimum RTO); else Linux's TCP_TIMEOUT_MIN. */
		pto += tp->packets_out == 1 ? TCP_RTO_MIN : TCP_TLP_MIN;
	} else {
		pto = TCP_RTO_INIT;
	}
	ns_time_t now = tcp_now(tp);
	if (ns_timer_armed(&tp->t_rtx) && tp->rtx_mode == RTX_MODE_REO)
		return; /* the reordering timeout decides first */
	ns_time_t rto_at = now + tcp_rto_backed_off(tp);
	if (ns_timer_armed(&tp->t_rtx) && tp->rtx_mode == RTX_MODE_RTO)
		rto_at = tp->t_rtx.expires;
	/* RFC 8985 7.2: never later than the RTO would fire; Linux then
	 * probes at the RTO's time, and the RTO runs again from the probe. */
	if (rto_at > now && now + pto > rto_at)
		pto = rto_at - now;
	tcp_arm_rtx(tp, RTX_MODE_TLP, now + pto);
}

void tcp_send_loss_probe(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	NS_STAT_INC(st, tcp_loss_probes);
	uint32_t mss = tcp_current_mss(tp);
	/* RFC 8985 7.3: new data if the window allows, else the last
	 * segment again. */
	if (tcp_unsent(tp) && SEQ_LT(tp->snd_nxt, tp->snd_una + tp->snd_wnd)) {
		uint32_t cwnd = tp->snd_cwnd;
		tp->snd_cwnd = tcp_packets_in_flight(tp) + 1;
		int nodelay = tp->nodelay;
		tp->nodelay = 1;
		uint32_t before = tp->snd_nxt;
		tcp_output(tp);
		tp->nodelay = (uint8_t)nodelay;
		tp->snd_cwnd = cwnd;
		if (tp->snd_nxt != before) {
			tp->tlp_high_seq = tp->snd_nxt;
			tp->tlp_retrans = 0;
			goto arm;
		}
	}
	struct tcp_seg *s = tp->rtx_tail;
	while (s && (s->flags & SEG_SACKED))
		s = s->prev;
	if (!s)
		goto arm;
	NS_UNUSED(mss);
	tcp_xmit_seg(tp, s, 1);
	s->flags |= SEG_TLP;
	tp->tlp_high_seq = tp->snd_nxt;
	tp->tlp_retrans = 1;
arm:
	tcp_rearm_rto(tp);
}

void tcp_tlp_process_ack(struct tcp_sock *tp, uint32_t ack, int dsack)
{
	/* RFC 8985 7.4.2. */
	if (dsack && tp->tlp_retrans) {
		/* The probe was a needless copy: no loss, no response. */
		tp->tlp_high_seq = 0;
		return;
	}
	if (SEQ_GEQ(ack, tp->tlp_high_seq)) {
		if (tp->tlp_retrans && tp->ca_state == CA_OPEN) {
			/* The probe repaired a tail loss: respond once. */
			tp->snd_ssthresh = tp->cc->ssthresh(tp);
			tp->snd_cwnd = NS_MAX(tp->snd_ssthresh, 2u);
			if (tp->cc->event)
				tp->cc->event(tp, CC_EVENT_RECOVERY_ENTER);
		}
		tp->tlp_high_seq = 0;
	}
}
