/*
 * TCP input: validate, demultiplex, then the state machine of RFC 9293
 * 3.10.7 ("SEGMENT ARRIVES"), in its order:
 *
 *   3.10.7.1 CLOSED (no connection)      -> tcp_send_reset_reply()
 *   3.10.7.2 LISTEN                      -> tcp_listen_input() (tcp_connect.c)
 *   3.10.7.3 SYN-SENT                    -> syn_sent_process()
 *   3.10.7.4 other states                -> tcp_rcv_state_process():
 *     PAWS (RFC 7323 5.3), sequence acceptability, RST (RFC 5961 3.2),
 *     SYN (RFC 5961 4.2), ACK (with RFC 5961 5.2), URG, text, FIN.
 *   TIME-WAIT segments                   -> timewait_process()
 *
 * Exits are named after their action: drop, drop_after_ack, drop_with_reset.
 */
#include <poll.h>
#include <stdlib.h>

#include "tcp_priv.h"

/* ---- options (RFC 9293 3.2, RFC 7323, RFC 2018) ---- */

int tcp_parse_options(const uint8_t *o, uint32_t len, int syn, struct tcp_opts *opt)
{
	memset(opt, 0, sizeof(*opt));
	uint32_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		uint8_t olen = o[i + 1];
		/* A bad length ends parsing: what follows cannot be trusted. */
		if (olen < 2 || i + olen > len)
			return -1;
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == 4 && syn) {
				opt->mss_ok = 1;
				opt->mss = ns_rd16(v);
			}
			break;
		case TCPOPT_WS:
			if (olen == 3 && syn) {
				opt->ws_ok = 1;
				/* RFC 7323 2.3: a shift above 14 is used as 14. */
				opt->ws = v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0];
			}
			break;
		case TCPOPT_SACK_PERM:
			if (olen == 2 && syn)
				opt->sack_perm = 1;
			break;
		case TCPOPT_TS:
			if (olen == 10) {
				opt->ts_ok = 1;
				opt->tsval = ns_rd32(v);
				opt->tsecr = ns_rd32(v + 4);
			}
			break;
		case TCPOPT_SACK:
			if (olen >= 10 && (olen - 2) % 8 == 0 && !syn) {
				uint32_t n = (uint32_t)(olen - 2) / 8;
				for (uint32_t b = 0; b < n && opt->nsack < TCP_MAX_SACK_BLOCKS; b++) {
					opt->sack[opt->nsack][0] = ns_rd32(v + 8 * b);
					opt->sack[opt->nsack][1] = ns_rd32(v + 8 * b + 4);
					opt->nsack++;
				}
			}
			break;
		default:
			break; /* unknown options are skipped (RFC 9293 3.2) */
		}
		i += olen;
	}
	return 0;
}

/* ---- RTT (RFC 6298) ---- */

void tcp_rtt_sample(struct tcp_sock *tp, uint32_t rtt_us)
{
	if (rtt_us == 0)
		rtt_us = 1;
	if (!tp->srtt_us) {
		/* RFC 6298 2.2 */
		tp->srtt_us = rtt_us;
		tp->rttvar_us = rtt_us / 2;
	} else {
		/* RFC 6298 2.3, alpha 1/8, beta 1/4 */
		uint32_t diff = tp->srtt_us > rtt_us ? tp->srtt_us - rtt_us : rtt_us - tp->srtt_us;
		tp->rttvar_us = (3 * tp->rttvar_us + diff) / 4;
		tp->srtt_us = (7 * tp->srtt_us + rtt_us) / 8;
	}
	/* RTO = SRTT + max(G, 4 RTTVAR), with Linux's 200 ms floor on the
	 * variance term (RFC 6298 2.4 allows a lower minimum than 1 s). */
	uint64_t var = (uint64_t)4 * tp->rttvar_us * NS_USEC;
	if (var < (uint64_t)tp->rto_min)
		var = (uint64_t)tp->rto_min; /* (TCP_RTO_MIN_US) */
	ns_time_t rto = (ns_time_t)tp->srtt_us * NS_USEC + var;
	tp->rto = rto > tp->rto_max ? tp->rto_max : rto;
	ns_time_t now = tcp_now(tp);
	if (!tp->min_rtt_us || rtt_us <= tp->min_rtt_us || now - tp->min_rtt_stamp > 300 * NS_SEC) {
		tp->min_rtt_us = rtt_us;
		tp->min_rtt_stamp = now;
	}
	if (tp->cc->rtt_sample)
		tp->cc->rtt_sample(tp, rtt_us);
}

/* ---- receive side ---- */

/* Queue in-order payload (bytes [off, off+len) of p's data, the first at
 * sequence seq) for reading, taking out an urgent byte when SO_OOBINLINE is
 * off (Linux semantics, RFC 6093). A large payload whose buffer is ours
 * alone is queued by reference when `may_take`: returns 1 and p belongs to
 * the queue then. Returns 0 when copied, or -ENOMEM with nothing queued
 * (the caller must not advance RCV.NXT). */
static int rcvq_add_bytes(struct tcp_sock *tp, struct pkt *p, uint32_t seq, uint32_t off, uint32_t len,
			  int may_take)
{
	const uint8_t *d = pkt_data(p) + off;
	if (tp->urg_seen && SEQ_GEQ(tp->urg_seq, seq) && SEQ_LT(tp->urg_seq, seq + len)) {
		uint32_t at = tp->urg_seq - seq;
		uint32_t before = tp->rcvq.len;
		tp->urg_mark_on = 1;
		tp->urg_mark = before + at;
		if (tp->sk.opts & NS_SO_OOBINLINE) {
			/* In line: the byte stays, the mark in front of it. */
			tp->urg_seen = 0;
			return tcp_rq_copy_in(&tp->rcvq, d, len);
		}
		if (tcp_rq_copy_in(&tp->rcvq, d, at) < 0 ||
		    tcp_rq_copy_in(&tp->rcvq, d + at + 1, len - at - 1) < 0) {
			if (tp->rcvq.len > before)
				tcp_rq_trim_tail(&tp->rcvq, tp->rcvq.len - before);
			tp->urg_mark_on = 0;
			return -ENOMEM;
		}
		tp->urg_data = d[at];
		tp->urg_data_valid = 1;
		tp->urg_seen = 0;
		return 0;
	}
	if (may_take && len >= TCP_RQ_TAKE_MIN && !ns_refcnt_shared(&p->refs) &&
	    !ns_refcnt_shared(&p->chunk->refs)) {
		pkt_pull(p, off);
		pkt_trim(p, len);
		tcp_rq_take(&tp->rcvq, p);
		return 1;
	}
	return tcp_rq_copy_in(&tp->rcvq, d, len);
}

static int rcvq_add(struct tcp_sock *tp, struct pkt *p, uint32_t seq, uint32_t off, uint32_t len,
		    int may_take)
{
	uint32_t before = tp->rcvq.len;
	int r = rcvq_add_bytes(tp, p, seq, off, len, may_take);
	if (r >= 0)
		tcp_rmem_charge(tp, tp->rcvq.len - before);
	return r;
}

static void fin_received(struct tcp_sock *tp)
{
	/* RFC 9293 3.10.7.4 eighth: the FIN is in order. */
	tp->rcv_nxt++;
	/* Nothing after it is data: drop what the peer sent beyond it and
	 * is held out of order (Linux tcp_fin() does too). Kept, it pinned
	 * memory until the socket went, was still reported in SACK blocks,
	 * and made a close() after end-of-file reset as if data were
	 * unread. */
	tcp_ooo_purge(tp);
	tp->ooo_fin = 0;
	tcp_schedule_ack(tp, 1);
	switch (tp->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcp_set_state(tp, TCPS_CLOSE_WAIT);
		break;
	case TCPS_FIN_WAIT_1:
		/* Our FIN not yet acknowledged: simultaneous close. */
		tcp_set_state(tp, TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_enter_time_wait(tp);
		break;
	default:
		break;
	}
	tcp_wake(tp);
}

/* Move out-of-order data that became in order into the receive queue. */
static void ooo_drain(struct tcp_sock *tp)
{
	while (tp->ooo && SEQ_LEQ((uint32_t)tp->ooo->cookie, tp->rcv_nxt)) {
		struct pkt *p = tp->ooo;
		tp->ooo = p->next;
		p->next = NULL;
		uint32_t seq = (uint32_t)p->cookie;
		uint32_t end = seq + p->len;
		tp->ooo_bytes -= p->len;
		if (SEQ_GT(end, tp->rcv_nxt)) {
			uint32_t skip = tp->rcv_nxt - seq;
			int r = rcvq_add(tp, p, tp->rcv_nxt, skip, p->len - skip, 1);
			if (r < 0) {
				/* Keep it queued; the peer will retransmit
				 * if we cannot take it later. */
				p->next = tp->ooo;
				tp->ooo = p;
				tp->ooo_bytes += p->len;
				NS_STAT_INC(tp->sk.stack, tcp_drop_nomem);
				return;
			}
			tp->rcv_nxt = end;
			if (r == 1)
				continue; /* the queue holds p now */
		}
		pkt_unref(p);
	}
	if (!tp->ooo)
		tp->ooo_bytes = 0;
	if (tp->ooo_fin && tp->rcv_nxt == tp->ooo_fin_seq) {
		tp->ooo_fin = 0;
		fin_received(tp);
	}
}

/* Queue an out-of-order segment [seq, seq+len). Returns 1 if kept. */
static int ooo_insert(struct tcp_sock *tp, struct pkt *p, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len;
	struct pkt **pp = &tp->ooo;
	/* Trim against what is already held; a fully covered segment is a
	 * duplicate to report with D-SACK (RFC 2883 4.1.2). */
	for (struct pkt *c = tp->ooo; c; c = c->next) {
		uint32_t cs = (uint32_t)c->cookie, ce = cs + c->len;
		if (SEQ_LEQ(cs, seq) && SEQ_GEQ(ce, end)) {
			tp->dsack[0] = seq;
			tp->dsack[1] = end;
			tp->dsack_pending = 1;
			return 0;
		}
	}
	while (*pp && SEQ_LT((uint32_t)(*pp)->cookie, seq))
		pp = &(*pp)->next;
	/* Cut the front off where the previous segment overlaps. */
	struct pkt *prev = NULL;
	for (struct pkt *c = tp->ooo; c && c != *pp; c = c->next)
		prev = c;
	if (prev) {
		uint32_t pe = (uint32_t)prev->cookie + prev->len;
		if (SEQ_GT(pe, seq)) {
			uint32_t cut = pe - seq;
			pkt_pull(p, cut);
			seq += cut;
			len -= cut;
		}
	}
	/* Drop following segments that the new one covers entirely, trim
	 * the new one's tail where the next one begins. */
	while (*pp) {
		uint32_t cs = (uint32_t)(*pp)->cookie, ce = cs + (*pp)->len;
		if (SEQ_GEQ(cs, end))
			break;
		if (SEQ_LEQ(ce, end)) {
			struct pkt *gone = *pp;
			*pp = gone->next;
			tp->ooo_bytes -= gone->len;
			pkt_unref(gone);
			continue;
		}
		pkt_trim(p, cs - seq);
		len = cs - seq;
		end = cs;
		break;
	}
	if (!len)
		return 0;
	p->cookie = seq;
	p->next = *pp;
	*pp = p;
	tp->ooo_bytes += len;
	/* RFC 2018 4: the first SACK block reports the most recent segment;
	 * widen it to the contiguous run it belongs to. */
	uint32_t rs = seq, re = end;
	for (struct pkt *c = tp->ooo; c; c = c->next) {
		uint32_t cs = (uint32_t)c->cookie, ce = cs + c->len;
		if (SEQ_LEQ(cs, re) && SEQ_GEQ(ce, rs)) {
			rs = SEQ_MIN(rs, cs);
			re = SEQ_MAX(re, ce);
		}
	}
	tp->sack_last[0] = rs;
	tp->sack_last[1] = re;
	return 1;
}

static void ack_for_data(struct tcp_sock *tp, uint32_t len)
{
	/* RFC 5681 4.2 / RFC 9293 3.8.6.3: ACK at least every second
	 * full-sized segment; otherwise within the delayed-ACK timeout. */
	/* (the peer's segment size is measured first: tcp_rcv_window_grow,
	 * so that its first full segment counts as one) */
	uint32_t mss = tp->rcv_mss ? tp->rcv_mss : 536;
	tp->segs_since_ack += len >= mss ? len / mss : 1;
	if (tp->quickack || tp->segs_since_ack >= 2)
		tcp_schedule_ack(tp, 1);
	else
		tcp_schedule_ack(tp, 0);
}

/* The receiver's RTT (Linux tcp_rcv_rtt_measure_ts()): data whose TSecr
 * echoes one of our TSvals took one round trip since we sent that value.
 * The clock's resolution; a smoothed estimate (gain 1/8). It sizes the
 * receive-buffer auto-tuning of a connection that only receives. */
static void rcv_rtt_measure(struct tcp_sock *tp, const struct tcp_seg_in *seg)
{
	if (!tp->ts_ok || !seg->opt.ts_ok || !seg->opt.tsecr)
		return;
	uint32_t us = tcp_ts_rtt_us(tp, seg->opt.tsecr);
	if (!us)
		return;
	tp->rcv_rtt_us = tp->rcv_rtt_us ? (7 * tp->rcv_rtt_us + us) / 8 : us;
}

static void data_queue(struct tcp_sock *tp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = tp->sk.stack;
	uint32_t seq = seg->seq + ((seg->flags & TH_SYN) ? 1 : 0);
	uint32_t len = seg->len;
	int fin = !!(seg->flags & TH_FIN);
	struct pkt *p = seg->pkt;

	if (!len && !fin)
		return;
	if (len) {
		tp->data_segs_in++;
		rcv_rtt_measure(tp, seg);
		tp->last_data_recv = tcp_now(tp);
	}
	/* Old data entirely below rcv_nxt: a duplicate (D-SACK, RFC 2883). */
	if (SEQ_LEQ(seq + len, tp->rcv_nxt) && !(fin && seq + len == tp->rcv_nxt)) {
		if (len && tp->sack_ok) {
			tp->dsack[0] = seq;
			tp->dsack[1] = seq + len;
			tp->dsack_pending = 1;
		}
		NS_STAT_INC(st, tcp_rcv_duplicate);
		tcp_schedule_ack(tp, 1);
		return;
	}
	uint32_t wnd_end = tp->rcv_nxt + (SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0);
	if (SEQ_LEQ(seq, tp->rcv_nxt)) {
		/* In order (possibly overlapping what we have). */
		uint32_t skip = tp->rcv_nxt - seq;
		uint32_t n = len - NS_MIN(skip, len);
		if (skip && len && tp->sack_ok) {
			tp->dsack[0] = seq;
			tp->dsack[1] = tp->rcv_nxt;
			tp->dsack_pending = 1;
		}
		/* Linux tcp_try_rmem_schedule(): a segment is taken while
		 * the queue is below SO_RCVBUF, whatever its own size, and
		 * dropped once the buffer is full (the window offered may
		 * have outgrown it: SO_RCVBUF shrank, and RFC 9293 3.8.6
		 * keeps the offer). Weighing the segment too dropped one
		 * bigger than a buffer that shrank on every retransmission,
		 * the queue empty: the connection stalled. Linux weighs
		 * the queue's memory (tcp_rmem_schedule). New data while
		 * the window offered is zero is dropped too (Linux
		 * tcp_data_queue; a bare FIN is taken). */
		if (n && (wnd_end == tp->rcv_nxt || !tcp_rmem_schedule(tp))) {
			NS_STAT_INC(st, tcp_rcv_no_room);
			tcp_schedule_ack(tp, 1);
			return;
		}
		/* (the size of the peer's segments: a super-segment's parts) */
		uint32_t seg_size = p->gso_size && len > p->gso_size ? p->gso_size : len;
		if (n) {
			/* The payload may be taken only if nothing after it
			 * (a FIN aside) remains to be looked at. */
			int r = rcvq_add(tp, p, tp->rcv_nxt, skip, n, skip + n == len);
			if (r < 0) {
				NS_STAT_INC(st, tcp_drop_nomem);
				tcp_schedule_ack(tp, 1);
				return;
			}
			if (r == 1)
				seg->pkt = NULL; /* queued by reference */
			tp->rcv_nxt += n;
			tp->bytes_received += n;
		}
		int had_ooo = tp->ooo != NULL;
		if (had_ooo)
			ooo_drain(tp);
		if (fin && tp->rcv_nxt == seq + len)
			fin_received(tp);
		if (n)
			tcp_rcv_window_grow(tp, len, seg_size, 1);
		if (had_ooo)
			tcp_schedule_ack(tp, 1); /* RFC 5681 4.2: filled a hole */
		else if (n)
			ack_for_data(tp, n);
		if (n)
			tcp_wake(tp);
		return;
	}
	/* Out of order. */
	if (SEQ_GEQ(seq, wnd_end)) {
		NS_STAT_INC(st, tcp_rcv_out_of_window);
		tcp_schedule_ack(tp, 1);
		return;
	}
	if (fin) {
		tp->ooo_fin = 1;
		tp->ooo_fin_seq = seq + len;
	}
	if (len) {
		if (SEQ_GT(seq + len, wnd_end)) {
			pkt_trim(p, wnd_end - seq);
			len = wnd_end - seq;
			tp->ooo_fin = 0;
		}
		if (len > tcp_free_space(tp)) {
			NS_STAT_INC(st, tcp_rcv_no_room);
		} else if (ooo_insert(tp, p, seq, len)) {
			seg->pkt = NULL; /* kept */
			NS_STAT_INC(st, tcp_rcv_ooo);
			/* (Linux: with SACK only; without, the window stays
			 * so that duplicate ACKs bring a fast retransmit) */
			if (tp->sack_ok)
				tcp_rcv_window_grow(tp, len, len, 0);
		}
	}
	/* RFC 5681 4.2: an out-of-order segment earns an immediate ACK. */
	tcp_schedule_ack(tp, 1);
}

/* ---- send side: processing an acceptable ACK ---- */

static void rtx_unlink(struct tcp_sock *tp, struct tcp_seg *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		tp->rtx_head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		tp->rtx_tail = s->prev;
	tp->packets_out--;
	if (s->flags & SEG_SACKED) {
		tp->sacked_out--;
		tp->sacked_bytes -= s->end - s->seq;
	}
	if (s->flags & SEG_LOST)
		tp->lost_out--;
	if (s->flags & SEG_RETRANS)
		tp->retrans_out--;
}

/* Remove what `ack` covers; returns packets newly acknowledged. */
static uint32_t clean_rtx_queue(struct tcp_sock *tp, uint32_t ack, ns_time_t now, int *rtt_from_seq,
				uint32_t *seq_rtt_us)
{
	uint32_t acked = 0;
	*rtt_from_seq = 0;
	while (tp->rtx_head) {
		struct tcp_seg *s = tp->rtx_head;
		if (SEQ_GT(s->end, ack)) {
			if (SEQ_GT(ack, s->seq) && !(s->flags & SEG_SYN)) {
				/* Partial ACK of a segment: keep the rest. Of a
				 * SACKed one (a peer may ACK into a block it
				 * SACKed), sacked_bytes loses the bytes cut, so
				 * that it stays the sum over SACKed records. */
				if (s->flags & SEG_SACKED)
					tp->sacked_bytes -= ack - s->seq;
				s->seq = ack;
			}
			break;
		}
		if (!(s->flags & SEG_SACKED)) {
			/* Karn: only never-retransmitted segments time RTT. */
			if (!(s->flags & SEG_EVER_RETRANS)) {
				*rtt_from_seq = 1;
				*seq_rtt_us = (uint32_t)((now - s->xmit_time) / NS_USEC);
			}
			tcp_rack_advance(tp, s, now, 0);
			tp->delivered++;
		}
		acked++;
		rtx_unlink(tp, s);
		tcp_seg_free(s);
	}
	return acked;
}

static void enter_recovery(struct tcp_sock *tp)
{
	/* RFC 6675 5 / RFC 6582 3.2 step 2: remember where recovery ends,
	 * cut ssthresh once; PRR (RFC 6937) paces the reduction. */
	tp->prior_cwnd = tp->snd_cwnd;
	tp->prior_ssthresh = tp->snd_ssthresh;
	tp->snd_ssthresh = tp->cc->ssthresh(tp);
	tp->high_seq = tp->snd_nxt;
	tp->high_rxt = tp->snd_una;
	tp->prr_delivered = 0;
	tp->prr_out = 0;
	tp->ca_state = CA_RECOVERY;
	tp->undo_marker = tp->snd_una;
	if (tp->cc->event)
		tp->cc->event(tp, CC_EVENT_RECOVERY_ENTER);
	NS_STAT_INC(tp->sk.stack, tcp_recoveries);
}

static void prr_update(struct tcp_sock *tp, uint32_t delivered)
{
	/* RFC 6937 3: proportional rate reduction. */
	tp->prr_delivered += delivered;
	uint32_t pipe = tcp_packets_in_flight(tp);
	int64_t sndcnt;
	if (pipe > tp->snd_ssthresh) {
		uint64_t want = ((uint64_t)tp->prr_delivered * tp->snd_ssthresh + tp->prior_cwnd - 1) /
				NS_MAX(tp->prior_cwnd, 1u);
		sndcnt = (int64_t)want - tp->prr_out;
	} else {
		/* Slow-start reduction bound. */
		int64_t limit = NS_MAX((int64_t)tp->prr_delivered - tp->prr_out, (int64_t)delivered) + 1;
		sndcnt = NS_MIN((int64_t)tp->snd_ssthresh - pipe, limit);
	}
	if (sndcnt < 0)
		sndcnt = 0;
	/* The first retransmission of a recovery always goes (RFC 6675 4.4). */
	if (tp->prr_out == 0 && sndcnt == 0)
		sndcnt = 1;
	tp->snd_cwnd = pipe + (uint32_t)sndcnt;
	if (tp->snd_cwnd < 1)
		tp->snd_cwnd = 1;
}

static void exit_recovery(struct tcp_sock *tp)
{
	/* RFC 6937 / RFC 6582 3.2 step 3: deflate to ssthresh. */
	if (tp->ca_state == CA_RECOVERY || tp->ca_state == CA_CWR)
		tp->snd_cwnd = NS_MAX(tp->snd_ssthresh, 2u);
	tp->ca_state = CA_OPEN;
	tp->dupacks = 0;
	if (tp->cc->event)
		tp->cc->event(tp, CC_EVENT_RECOVERY_EXIT);
}

/* Loss detection and the congestion state machine after an ACK. */
static void fastretrans_alert(struct tcp_sock *tp, uint32_t acked, uint32_t newly_sacked,
			      int dup_ack, int dsack)
{
	if (tp->ca_state == CA_RECOVERY && SEQ_GEQ(tp->snd_una, tp->high_seq))
		exit_recovery(tp);
	/* An ECN reduction (CWR state) ends once data sent after it, which
	 * carried our CWR flag, is acknowledged (Linux: above high_seq). */
	if (tp->ca_state == CA_CWR && SEQ_GT(tp->snd_una, tp->high_seq))
		exit_recovery(tp);
	if (tp->ca_state == CA_LOSS && SEQ_GEQ(tp->snd_una, tp->high_seq)) {
		tp->ca_state = CA_OPEN;
		tp->dupacks = 0;
	}

	if (tp->sack_ok) {
		tcp_rack_update_reo_wnd(tp, dsack);
		tp->reo_wait = tcp_rack_detect_loss(tp);
	} else if (dup_ack) {
		/* RFC 5681 3.2 / RFC 6582: NewReno without SACK. */
		tp->dupacks++;
		if (tp->dupacks >= tp->reordering && tp->ca_state < CA_RECOVERY &&
		    tp->rtx_head && !(tp->rtx_head->flags & SEG_LOST))
			tcp_seg_mark_lost(tp, tp->rtx_head);
	} else if (acked && tp->ca_state == CA_RECOVERY && tp->rtx_head &&
		   !(tp->rtx_head->flags & (SEG_LOST | SEG_RETRANS))) {
		/* RFC 6582 3.2 step 5: a partial ACK retransmits the next
		 * unacknowledged segment. */
		tcp_seg_mark_lost(tp, tp->rtx_head);
	}

	if (tp->lost_out && tp->ca_state < CA_RECOVERY)
		enter_recovery(tp);
	if (tp->ca_state == CA_RECOVERY || tp->ca_state == CA_CWR)
		prr_update(tp, acked + newly_sacked);
}

static void ack_process(struct tcp_sock *tp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = tp->sk.stack;
	ns_time_t now = tcp_now(tp);
	uint32_t ack = seg->ack;
	uint32_t prior_una = tp->snd_una;
	uint32_t prior_in_flight = tcp_packets_in_flight(tp);
	enum tcp_ca prior_ca = tp->ca_state;
	int dsack = 0;
	uint32_t newly_sacked = 0;

	tp->last_ack_recv = now;
	/* Any acceptable ACK answers our zero-window or keepalive probes
	 * (RFC 1122 4.2.2.17: never give up on a receiver that keeps
	 * acknowledging them; Linux tcp_ack() resets the count too). */
	tp->probes_out = 0;

	uint32_t acked = 0;
	int have_rtt = 0;
	uint32_t rtt_us = 0;
	if (SEQ_GT(ack, prior_una)) {
		acked = clean_rtx_queue(tp, ack, now, &have_rtt, &rtt_us);
		/* Release acknowledged bytes (SYN and FIN take no buffer). */
		uint32_t data_end = tp->snd_buf_seq + tp->sndq.len;
		uint32_t upto = SEQ_MIN(ack, data_end);
		if (SEQ_GT(upto, tp->snd_buf_seq)) {
			uint32_t n = upto - tp->snd_buf_seq;
			tcp_ring_consume(&tp->sndq, n);
			tp->snd_buf_seq += n;
			tp->bytes_acked += n;
		}
		tp->snd_una = ack;
		tcp_tstamp_acked(tp);
		if (SEQ_LT(tp->snd_nxt, ack))
			tp->snd_nxt = ack;
		tp->retransmits = 0;
		tp->first_rto_time = 0;
		tp->dupacks = 0;
		if (tp->snd_up && SEQ_GEQ(ack, tp->snd_up))
			tp->snd_up = 0;
	}
	/* SACK blocks after the cumulative ACK: RFC 8985 6.2 step 3 takes
	 * what one ACK delivers in sequence order, so the segments it
	 * acknowledges cumulatively must not look reordered against the
	 * blocks above them (which made every such ACK "see" reordering). */
	if (tp->sack_ok && seg->opt.nsack)
		newly_sacked = tcp_sack_process(tp, seg, &dsack);
	/* RTT: a never-retransmitted segment, else the echoed timestamp
	 * (RFC 7323 4.1; Karn's rule is why both exist). */
	if (!have_rtt && acked && tp->ts_ok && seg->opt.ts_ok && seg->opt.tsecr) {
		rtt_us = tcp_ts_rtt_us(tp, seg->opt.tsecr);
		have_rtt = rtt_us != 0;
	}
	if (have_rtt) {
		tcp_rtt_sample(tp, rtt_us);
		/* RFC 6298 5 (the note after 5.7) and Karn's algorithm: the
		 * backed-off RTO stays until a valid RTT sample collapses it
		 * (an ACK of retransmitted data alone is none); Linux resets
		 * its back-off only there as well. */
		tp->backoff = 0;
	}

	/* RFC 8985 7.4: the outcome of a loss probe. */
	if (tp->tlp_high_seq)
		tcp_tlp_process_ack(tp, ack, dsack);

	int dup_ack = !acked && seg->len == 0 && !(seg->flags & (TH_SYN | TH_FIN)) &&
		      tp->packets_out && ack == prior_una &&
		      (seg->wnd << tp->snd_wscale) == tp->snd_wnd;
	if (acked || newly_sacked || dup_ack || tp->lost_out)
		fastretrans_alert(tp, acked, newly_sacked, dup_ack, dsack);

	/* Congestion avoidance grows cwnd only outside recovery and only when
	 * cwnd was the limit (RFC 7661 spirit, as Linux). After an RTO
	 * (CA_LOSS) it grows too: RFC 5681 3.1, "after retransmitting the
	 * dropped segment the TCP sender uses the slow start algorithm to
	 * increase the window from 1 full-sized segment to the new value of
	 * ssthresh". Kept at 1 until the whole flight was repaired, each lost
	 * retransmission cost another, backed-off, RTO. */
	/* The ACK that ends a fast recovery leaves cwnd at ssthresh (RFC
	 * 6582 3.2 step 3, RFC 6937): it does not grow it as well. */
	if (acked && (tp->ca_state == CA_OPEN || tp->ca_state == CA_LOSS) &&
	    (prior_ca == CA_OPEN || prior_ca == CA_LOSS) &&
	    prior_in_flight + 1 >= tp->snd_cwnd) {
		tp->cc->cong_avoid(tp, acked);
		tcp_sndbuf_expand(tp);
	}
	/* The retransmission timer slot: a pending RACK reordering timeout
	 * first (RFC 8985 6.3); else the RTO, restarted when new data is
	 * acknowledged (RFC 6298 5.3), and a tail loss probe before it when
	 * allowed (RFC 8985 7.2: re-armed on each ACK). */
	if (!tp->packets_out) {
		ns_timer_disarm(st->wheel, &tp->t_rtx);
		tp->rtx_mode = RTX_MODE_NONE;
	} else if (tp->reo_wait) {
		tcp_arm_rtx(tp, RTX_MODE_REO, tcp_now(tp) + tp->reo_wait);
	} else if (acked || tp->rtx_mode == RTX_MODE_REO || !ns_timer_armed(&tp->t_rtx)) {
		tcp_rearm_rto(tp);
		tcp_schedule_loss_probe(tp);
	}
	tp->reo_wait = 0;
	if (acked)
		tcp_wake(tp); /* send buffer space */
}

/* RFC 9293 3.10.7.4 fifth, window update rule. */
static void window_update(struct tcp_sock *tp, const struct tcp_seg_in *seg)
{
	/* RFC 7323 2.2: never scaled in a SYN (the SYN-ACK that completes
	 * a simultaneous open). */
	uint32_t wnd = (seg->flags & TH_SYN) ? seg->wnd : seg->wnd << tp->snd_wscale;
	if (SEQ_LT(tp->snd_wl1, seg->seq) ||
	    (tp->snd_wl1 == seg->seq && SEQ_LEQ(tp->snd_wl2, seg->ack))) {
		int opened = wnd > tp->snd_wnd;
		tp->snd_wnd = wnd;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		if (wnd > tp->snd_max_wnd)
			tp->snd_max_wnd = wnd;
		if (opened && wnd && ns_timer_armed(&tp->t_persist)) {
			ns_timer_disarm(tp->sk.stack->wheel, &tp->t_persist);
			tp->probes_out = 0;
			tp->backoff = 0;
		}
	}
}

/* RFC 5961 7: challenge ACKs are rate limited stack-wide. */
static void send_challenge_ack(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	struct tcp_state *ts = st->tcp;
	ns_time_t now = st_now(st);
	if (now - ts->challenge_stamp >= NS_SEC) {
		ts->challenge_stamp = now;
		ts->challenge_tokens = TCP_CHALLENGE_ACK_PER_SEC;
	}
	if (!ts->challenge_tokens) {
		NS_STAT_INC(st, tcp_challenge_ack_limited);
		return;
	}
	ts->challenge_tokens--;
	NS_STAT_INC(st, tcp_challenge_ack);
	tcp_send_ack(tp);
}

static void urg_process(struct tcp_sock *tp, const struct tcp_seg_in *seg)
{
	/* RFC 6093 3 / Linux: the pointer is to the byte after the urgent
	 * data, so the urgent byte is seq + urp - 1. */
	if (!(seg->flags & TH_URG) || !seg->urp)
		return;
	uint32_t urg = seg->seq + seg->urp - 1;
	if (SEQ_LT(urg, tp->rcv_nxt) || (tp->urg_seen && SEQ_LEQ(urg, tp->urg_seq)))
		return;
	if (tp->rcv_up && SEQ_LEQ(urg, tp->rcv_up))
		return;
	tp->rcv_up = urg;
	tp->urg_seq = urg;
	tp->urg_seen = 1;
	tp->urg_data_valid = 0;
	tp->urg_mark_on = 0; /* (a new mark replaces the old) */
	ns_socket_wake_ev(&tp->sk, NS_EV_URGENT);
}

/* RFC 3168 6.1: the ECN signals of an acceptable segment. */
static void ecn_input(struct tcp_sock *tp, const struct tcp_seg_in *seg)
{
	/* 6.1.3: the peer reduced its window: stop echoing... */
	if (seg->flags & TH_CWR)
		tp->ecn_ece_pending = 0;
	/* ...unless this very segment met congestion (CE, 5). */
	if (seg->len && (seg->l3->tos & 3) == 3) {
		tp->ecn_ece_pending = 1;
		tp->quickack = NS_MAX(tp->quickack, (uint8_t)1);
		NS_STAT_INC(tp->sk.stack, tcp_ecn_ce_rx);
	}
	/* 6.1.2: ECE: reduce once per window of data, then CWR. */
	if ((seg->flags & TH_ECE) && tp->ca_state < CA_CWR) {
		NS_STAT_INC(tp->sk.stack, tcp_ecn_reductions);
		tp->prior_cwnd = tp->snd_cwnd;
		tp->snd_ssthresh = tp->cc->ssthresh(tp);
		tp->high_seq = tp->snd_nxt;
		tp->prr_delivered = tp->prr_out = 0;
		tp->ca_state = CA_CWR;
		tp->ecn_cwr_pending = 1;
	}
}

static int paws_reject(struct tcp_sock *tp, const struct tcp_seg_in *seg)
{
	/* RFC 7323 5.3 R1: drop a segment whose TSval is older than
	 * TS.Recent, unless TS.Recent is stale (24 days idle). RST segments
	 * are exempt (Linux, and RFC 7323 5.3 note). */
	if (!tp->ts_ok || !seg->opt.ts_ok || (seg->flags & TH_RST))
		return 0;
	if ((int32_t)(seg->opt.tsval - tp->ts_recent) >= 0)
		return 0;
	if (tcp_now(tp) - tp->ts_recent_stamp > TCP_PAWS_24DAYS)
		return 0;
	/* No TS.Recent yet (0: a repaired connection's, or a peer whose
	 * SYN said 0): any TSval passes, as on Linux (tcp_paws_check). */
	if (!tp->ts_recent)
		return 0;
	/* A reordered duplicate ACK is no threat: a pure ACK at RCV.NXT for
	 * SND.UNA that changes nothing, with a TSval older by less than an
	 * RTO, passes (Linux tcp_disordered_ack()); it does not update
	 * TS.Recent (ts_update() only moves forward). */
	if (seg->len == 0 && !(seg->flags & (TH_SYN | TH_FIN)) && seg->seq == tp->rcv_nxt &&
	    seg->ack == tp->snd_una && (seg->wnd << tp->snd_wscale) == tp->snd_wnd &&
	    (int64_t)(tp->ts_recent - seg->opt.tsval) <= (int64_t)(tcp_rto_backed_off(tp) / NS_MSEC))
		return 0;
	return 1;
}

static void ts_update(struct tcp_sock *tp, const struct tcp_seg_in *seg)
{
	/* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent. */
	if (tp->ts_ok && seg->opt.ts_ok && SEQ_LEQ(seg->seq, tp->last_ack_sent) &&
	    (int32_t)(seg->opt.tsval - tp->ts_recent) >= 0) {
		tp->ts_recent = seg->opt.tsval;
		tp->ts_recent_stamp = tcp_now(tp);
	}
}

void tcp_rcv_state_process(struct tcp_sock *tp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = tp->sk.stack;
	uint8_t fl = seg->flags;

	tp->segs_in++;
	/* RFC 7323 5.3: PAWS before the sequence check. */
	if (paws_reject(tp, seg)) {
		NS_STAT_INC(st, tcp_paws_rejected);
		goto drop_after_ack;
	}

	/* RFC 9293 3.10.7.4 first: sequence number acceptability. Linux's
	 * form: the segment must end at or after RCV.NXT and start at or
	 * before the right edge, so a zero window still lets ACKs, RSTs and
	 * probes be processed. */
	uint32_t wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t seg_end = seg->seq + seg->len + ((fl & TH_SYN) ? 1 : 0) + ((fl & TH_FIN) ? 1 : 0);
	int acceptable;
	if (seg->len == 0 && !(fl & (TH_SYN | TH_FIN)))
		acceptable = SEQ_GEQ(seg->seq, tp->rcv_nxt) && SEQ_LEQ(seg->seq, tp->rcv_nxt + wnd);
	else
		acceptable = SEQ_GEQ(seg_end, tp->rcv_nxt) && SEQ_LEQ(seg->seq, tp->rcv_nxt + wnd);
	if (!acceptable) {
		if (fl & TH_RST)
			goto drop;
		NS_STAT_INC(st, tcp_rcv_out_of_window);
		if (SEQ_LT(seg_end, tp->rcv_nxt) || seg_end == tp->rcv_nxt) {
			/* An old duplicate: D-SACK it (RFC 2883). */
			if (seg->len && tp->sack_ok) {
				tp->dsack[0] = seg->seq;
				tp->dsack[1] = seg->seq + seg->len;
				tp->dsack_pending = 1;
			}
		}
		goto drop_after_ack;
	}

	/* second: RST (RFC 5961 3.2). */
	if (fl & TH_RST) {
		if (seg->seq != tp->rcv_nxt) {
			send_challenge_ack(tp);
			goto drop;
		}
		NS_STAT_INC(st, tcp_rst_rx);
		switch (tp->state) {
		case TCPS_SYN_RECEIVED:
			tcp_done(tp, ECONNREFUSED);
			break;
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
			tcp_done(tp, ECONNRESET);
			break;
		case TCPS_CLOSE_WAIT:
			/* Linux tcp_reset(): the peer had closed its side. */
			tcp_done(tp, EPIPE);
			break;
		default:
			/* CLOSING, LAST-ACK: just close (RFC 9293). */
			tcp_done(tp, 0);
			break;
		}
		goto drop;
	}

	/* fourth: SYN in a synchronized state (RFC 5961 4.2). In the
	 * SYN-RECEIVED of a simultaneous open the peer's SYN-ACK (its SYN
	 * again, acknowledging ours) completes the handshake (RFC 9293 3.5
	 * figure 7; Linux tcp_validate_incoming()). */
	if ((fl & TH_SYN) &&
	    !(tp->state == TCPS_SYN_RECEIVED && (fl & TH_ACK) && seg->seq + 1 == tp->rcv_nxt &&
	      seg->ack == tp->snd_nxt)) {
		send_challenge_ack(tp);
		goto drop;
	}

	/* fifth: ACK. */
	if (!(fl & TH_ACK))
		goto drop;
	ts_update(tp, seg);
	if (tp->ecn_ok)
		ecn_input(tp, seg);
	if (tp->state == TCPS_SYN_RECEIVED) {
		if (SEQ_LT(tp->snd_una, seg->ack) && SEQ_LEQ(seg->ack, tp->snd_nxt)) {
			tcp_set_state(tp, TCPS_ESTABLISHED);
			/* RFC 7323 2.2: the SYN-ACK that completes a
			 * simultaneous open carries an unscaled window. */
			tp->snd_wnd = (fl & TH_SYN) ? seg->wnd : seg->wnd << tp->snd_wscale;
			tp->snd_max_wnd = tp->snd_wnd;
			tp->snd_wl1 = seg->seq;
			tp->snd_wl2 = seg->ack;
			tcp_init_transfer(tp);
			tcp_queue_early_fin(tp);
			tcp_wake(tp);
		} else {
			goto drop_with_reset;
		}
	}
	/* RFC 5961 5.2: ACK values outside [SND.UNA - MAX.SND.WND, SND.NXT]. */
	if (SEQ_GT(seg->ack, tp->snd_nxt)) {
		NS_STAT_INC(st, tcp_ack_too_new);
		goto drop_after_ack;
	}
	if (SEQ_LT(seg->ack, tp->snd_una - NS_MAX(tp->snd_max_wnd, 1u))) {
		NS_STAT_INC(st, tcp_ack_too_old);
		send_challenge_ack(tp);
		goto drop;
	}
	if (SEQ_GEQ(seg->ack, tp->snd_una)) {
		ack_process(tp, seg);
		if (tp->state == TCPS_CLOSED)
			goto drop;
		window_update(tp, seg);
	}
	int fin_acked = tp->fin_sent && SEQ_GT(tp->snd_una, tp->fin_seq);
	switch (tp->state) {
	case TCPS_FIN_WAIT_1:
		if (fin_acked) {
			tcp_set_state(tp, TCPS_FIN_WAIT_2);
			if (tp->orphan) {
				/* With TCP_LINGER2 < 0 this resets the connection
				 * and frees it: touch it no more. */
				int gone = tp->linger2_s < 0 && !tp->parent;
				tcp_arm_fin_wait2(tp);
				if (gone)
					goto drop;
			}
			tcp_wake(tp);
		}
		break;
	case TCPS_CLOSING:
		if (fin_acked) {
			tcp_enter_time_wait(tp);
			goto drop;
		}
		break;
	case TCPS_LAST_ACK:
		if (fin_acked) {
			tcp_done(tp, 0);
			goto drop;
		}
		break;
	default:
		break;
	}

	/* sixth: URG. */
	if (tp->state == TCPS_ESTABLISHED || tp->state == TCPS_FIN_WAIT_1 ||
	    tp->state == TCPS_FIN_WAIT_2)
		urg_process(tp, seg);

	/* seventh and eighth: text and FIN. */
	switch (tp->state) {
	case TCPS_ESTABLISHED:
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
		if (tp->shut_rd && tp->orphan && seg->len &&
		    SEQ_GT(seg->seq + seg->len, tp->rcv_nxt)) {
			/* RFC 9293 3.10.7.4 / RFC 1122 4.2.2.13: data for a
			 * closed socket aborts the connection. */
			NS_STAT_INC(st, tcp_abort_on_data);
			tcp_send_active_reset(tp);
			tcp_done(tp, 0);
			goto drop;
		}
		data_queue(tp, seg);
		break;
	default:
		/* CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent FIN;
		 * ignore text, acknowledge a retransmitted FIN. */
		if (fl & TH_FIN)
			tcp_schedule_ack(tp, 1);
		break;
	}
	if (tp->state != TCPS_CLOSED) {
		if (tp->ack_pending && tp->dsack_pending)
			tcp_schedule_ack(tp, 1);
		tcp_output(tp);
	}
	return;

drop_after_ack:
	/* Answering every bogus pure ACK or SYN could feed an ACK loop
	 * between two stacks: those get one answer per 500 ms (Linux
	 * tcp_invalid_ratelimit; RFC 5961 10 discusses the same concern).
	 * Segments with data always get their duplicate ACK. */
	if (seg->len == 0 && !(fl & TH_FIN)) {
		ns_time_t now = tcp_now(tp);
		if (tp->last_oow_ack && now - tp->last_oow_ack < 500 * NS_MSEC) {
			NS_STAT_INC(st, tcp_oow_ack_limited);
			return;
		}
		tp->last_oow_ack = now;
	}
	tcp_schedule_ack(tp, 1);
	return;
drop_with_reset:
	tcp_send_reset_reply(st, seg);
	return;
drop:
	return;
}

/* RFC 9293 3.10.7.3. */
static void syn_sent_process(struct tcp_sock *tp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = tp->sk.stack;
	uint8_t fl = seg->flags;

	tp->segs_in++;
	/* first: ACK */
	if (fl & TH_ACK) {
		if (SEQ_LEQ(seg->ack, tp->iss) || SEQ_GT(seg->ack, tp->snd_nxt)) {
			if (!(fl & TH_RST))
				tcp_send_reset_reply(st, seg);
			return;
		}
		/* RFC 7323 / Linux: an echoed timestamp must be one we sent. */
		if (tp->ts_ok && seg->opt.ts_ok && seg->opt.tsecr &&
		    ((int32_t)(seg->opt.tsecr - tp->syn_tsval) < 0 ||
		     (int32_t)(seg->opt.tsecr - tcp_tsval(tp)) > 0)) {
			if (!(fl & TH_RST))
				tcp_send_reset_reply(st, seg);
			return;
		}
	}
	/* second: RST (acceptable only with an acceptable ACK). */
	if (fl & TH_RST) {
		if (fl & TH_ACK) {
			NS_STAT_INC(st, tcp_rst_rx);
			tcp_done(tp, ECONNREFUSED);
		}
		return;
	}
	/* fourth: SYN */
	if (!(fl & TH_SYN))
		return;
	tp->irs = seg->seq;
	tp->rcv_nxt = seg->seq + 1;
	/* The window of our SYN holds from here (RFC 9293 3.8.6). */
	tp->rcv_adv = tp->rcv_nxt + NS_MIN(tp->rcv_wnd, 65535u);
	tcp_init_from_syn(tp, &seg->opt);
	/* RFC 3168 6.1.1: an ECN-setup SYN-ACK has ECE and not CWR. */
	if (tp->ecn_ok && (!(fl & TH_ACK) ? (fl & (TH_ECE | TH_CWR)) != (TH_ECE | TH_CWR)
					  : (fl & (TH_ECE | TH_CWR)) != TH_ECE))
		tp->ecn_ok = 0;
	if (seg->opt.ts_ok && tp->ts_ok) {
		tp->ts_recent = seg->opt.tsval;
		tp->ts_recent_stamp = tcp_now(tp);
	}
	if (fl & TH_ACK) {
		/* Our SYN is acknowledged: ESTABLISHED. */
		uint32_t prior = tp->snd_una;
		int have_rtt = 0;
		uint32_t rtt_us = 0;
		ns_time_t now = tcp_now(tp);
		if (tp->rtx_head && (tp->rtx_head->flags & SEG_SYN)) {
			struct tcp_seg *s = tp->rtx_head;
			if (!(s->flags & SEG_EVER_RETRANS)) {
				have_rtt = 1;
				rtt_us = (uint32_t)((now - s->xmit_time) / NS_USEC);
			}
			rtx_unlink(tp, s);
			tcp_seg_free(s);
		}
		NS_UNUSED(prior);
		tp->snd_una = seg->ack;
		/* RFC 7323 2.2: the window of a SYN is never scaled. */
		tp->snd_wnd = seg->wnd;
		tp->snd_max_wnd = tp->snd_wnd;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		tp->backoff = 0;
		tp->retransmits = 0;
		ns_timer_disarm(st->wheel, &tp->t_rtx);
		tp->rtx_mode = RTX_MODE_NONE;
		if (have_rtt)
			tcp_rtt_sample(tp, rtt_us);
		tcp_set_state(tp, TCPS_ESTABLISHED);
		tcp_init_transfer(tp);
		tcp_wake(tp);
		/* Data in the SYN-ACK, or a FIN (RFC 9293: continue at the
		 * sixth step). */
		if (seg->len || (fl & (TH_FIN | TH_URG))) {
			urg_process(tp, seg);
			data_queue(tp, seg);
		}
		/* RFC 9293: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at once. */
		tcp_schedule_ack(tp, 1);
		tcp_output(tp);
		return;
	}
	/* Simultaneous open (RFC 9293 3.5 figure 7): SYN-RECEIVED, answer
	 * with SYN-ACK; our SYN record is retransmitted as a SYN-ACK. */
	tp->snd_wnd = seg->wnd; /* unscaled in a SYN (RFC 7323 2.2) */
	tp->snd_wl1 = seg->seq;
	tcp_set_state(tp, TCPS_SYN_RECEIVED);
	if (tp->rtx_head && (tp->rtx_head->flags & SEG_SYN))
		tcp_xmit_seg(tp, tp->rtx_head, 1);
	tcp_rearm_rto(tp);
}

/* TIME-WAIT (RFC 9293 3.10.7.4, RFC 1122 4.2.2.13, RFC 6191), behaving as
 * Linux's tcp_timewait_state_process() does. Returns 1 when the segment is
 * a new SYN that may open a new connection (the TIME-WAIT block is gone). */
static int timewait_process(struct tcp_sock *tp, struct tcp_seg_in *seg)
{
	struct ns_stack *st = tp->sk.stack;
	uint8_t fl = seg->flags;
	int paws = paws_reject(tp, seg);
	uint32_t seg_len = seg->len + ((fl & TH_SYN) ? 1 : 0) + ((fl & TH_FIN) ? 1 : 0);

	if (!paws && seg->seq == tp->rcv_nxt && (seg_len == 0 || (fl & TH_RST))) {
		if (fl & TH_RST) {
			/* TIME-WAIT assassination (RFC 1337), accepted as
			 * Linux does by default (tcp_rfc1337 = 0). */
			tcp_done(tp, 0);
			return 0;
		}
		tcp_enter_time_wait(tp); /* restart 2 MSL */
		return 0;
	}
	if ((fl & TH_SYN) && !(fl & (TH_RST | TH_ACK)) && !paws &&
	    (SEQ_GT(seg->seq, tp->rcv_nxt) ||
	     (seg->opt.ts_ok && tp->ts_ok && (int32_t)(tp->ts_recent - seg->opt.tsval) < 0))) {
		/* RFC 6191 / RFC 1122: a new incarnation may start. */
		NS_STAT_INC(st, tcp_timewait_reuse);
		tcp_done(tp, 0);
		return 1;
	}
	if (!(fl & TH_RST)) {
		if (paws || (fl & TH_ACK))
			tcp_enter_time_wait(tp);
		send_challenge_ack(tp);
	}
	return 0;
}

/* The sequence space a segment takes: its payload, SYN and FIN. */
static uint32_t seq_end_of(const struct tcp_seg_in *seg)
{
	return seg->seq + seg->len + ((seg->flags & TH_SYN) ? 1 : 0) + ((seg->flags & TH_FIN) ? 1 : 0);
}

/*
 * The socket's filter sees the segment from its TCP header (a TIME-WAIT
 * pair has none; a handshake not yet done has the listener's). A
 * segment it drops is gone as if lost; one it cuts keeps its header and
 * flags, and its sequence space shrinks with the payload (as Linux's
 * tcp_filter()). Returns 1 when the segment is dropped.
 */
static int filter_drops(struct tcp_sock *tp, struct tcp_seg_in *seg)
{
	/* RFC 5082 (GTSM), as Linux's IPV6_MINHOPCOUNT: an IPv6 segment
	 * whose hop limit is below the socket's minimum is dropped */
	if (tp->sk.min_hops6 && seg->l3->src.family == AF_INET6 && seg->l3->ttl < tp->sk.min_hops6) {
		NS_STAT_INC(tp->sk.stack, tcp_drop_minhopcount);
		return 1;
	}
	/* ... and IP_MINTTL, the same for IPv4 (Linux's tcp_v4_rcv) */
	if (tp->sk.min_ttl && seg->l3->src.family == AF_INET && seg->l3->ttl < tp->sk.min_ttl) {
		NS_STAT_INC(tp->sk.stack, tcp_drop_minhopcount);
		return 1;
	}
	if (ns_socket_filter(&tp->sk, seg->pkt, seg->doff) < 0) {
		NS_STAT_INC(tp->sk.stack, tcp_drop_filter);
		return 1;
	}
	seg->len = seg->pkt->len;
	seg->end = seq_end_of(seg);
	return 0;
}

void tcp_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3)
{
	struct tcp_seg_in seg;
	struct tcp_sock *note_tp = NULL;
	uint8_t *note = NULL;
	uint32_t note_hlen = 0;
	NS_STAT_INC(st, tcp_rx);
	if (p->len < TCP_HDR_LEN) {
		NS_STAT_INC(st, tcp_drop_short);
		goto drop;
	}
	const uint8_t *h = pkt_data(p);
	uint32_t doff = (uint32_t)(h[12] >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > p->len) {
		NS_STAT_INC(st, tcp_drop_bad_offset);
		goto drop;
	}
	if (!(p->flags & PKT_F_CSUM_VERIFIED)) {
		uint32_t sum = ns_csum_pseudo(&l3->src, &l3->dst, IPPROTO_TCP_, p->len);
		if (ns_csum_fold(ns_csum_add(sum, h, p->len)) != 0) {
			NS_STAT_INC(st, tcp_drop_csum);
			goto drop;
		}
	}
	if (l3->bcast || l3->mcast) {
		NS_STAT_INC(st, tcp_drop_bcast);
		goto drop;
	}
	memset(&seg, 0, sizeof(seg));
	seg.sport = ns_rd16(h);
	seg.dport = ns_rd16(h + 2);
	seg.seq = ns_rd32(h + 4);
	seg.ack = ns_rd32(h + 8);
	seg.doff = (uint8_t)doff;
	seg.flags = h[13];
	seg.wnd = ns_rd16(h + 14);
	seg.urp = ns_rd16(h + 18);
	seg.l3 = l3;
	if (tcp_parse_options(h + TCP_HDR_LEN, doff - TCP_HDR_LEN, !!(seg.flags & TH_SYN), &seg.opt) < 0)
		NS_STAT_INC(st, tcp_bad_options);
	if (seg.sport == 0 || seg.dport == 0) {
		NS_STAT_INC(st, tcp_drop_port_zero);
		goto drop;
	}
	pkt_pull(p, doff);
	seg.len = p->len;
	seg.end = seq_end_of(&seg);
	seg.pkt = p;
	if (p->gso_size && seg.len > p->gso_size)
		NS_STAT_INC(st, tcp_rx_coalesced);

	struct tcp_sock *tp = tcp_ehash_lookup(st, &l3->dst, seg.dport, &l3->src, seg.sport);
	if (tp && tp->state != TCPS_TIME_WAIT && filter_drops(tp, &seg))
		goto out;
	/* IPV6_2292PKTOPTIONS: the headers of an IPv6 segment, for a socket
	 * with a receive flag on, kept if it is taken in order (Linux's
	 * tcp_v6_do_rcv keeps a clone). Only a socket its user still holds
	 * (no orphan: processing may free one) reads them. */
	if (tp && !tp->orphan && tp->state != TCPS_TIME_WAIT && l3->src.family == AF_INET6 &&
	    ns_ip6_rx_wanted(&tp->sk)) {
		note_hlen = p->l4_off - p->l3_off;
		note = malloc(note_hlen);
		if (note)
			memcpy(note, pkt_at(p, p->l3_off), note_hlen);
		note_tp = tp;
	}
	if (tp) {
		if (tp->state == TCPS_TIME_WAIT) {
			if (!timewait_process(tp, &seg))
				goto out;
			/* A new SYN took over the TIME-WAIT pair: listeners. */
		} else if (tp->state == TCPS_SYN_SENT) {
			syn_sent_process(tp, &seg);
			goto out;
		} else {
			if (tp->state != TCPS_SYN_RECEIVED || !tp->parent)
				neigh_confirm(l3->nic, &l3->src);
			tcp_rcv_state_process(tp, &seg);
			goto out;
		}
	}
	struct tcp_sock *lp =
		tcp_listener_lookup(st, &l3->dst, seg.dport, &l3->src, seg.sport, l3->nic ? l3->nic->id : 0);
	if (lp) {
		if (filter_drops(lp, &seg))
			goto out;
		tcp_listen_input(lp, &seg);
		goto out;
	}
	/* RFC 9293 3.10.7.1: no connection. */
	NS_STAT_INC(st, tcp_drop_no_port);
	tcp_send_reset_reply(st, &seg);
out:
	if (seg.pkt)
		pkt_unref(seg.pkt);
	if (note_tp && note && seg.end == note_tp->rcv_nxt && note_tp->state != TCPS_CLOSED &&
	    note_tp->state != TCPS_LISTEN)
		ns_ip6_note_segment(&note_tp->sk, note, note_hlen, l3->nic ? l3->nic->id : 0, seg.dport);
	free(note);
	return;
drop:
	pkt_unref(p);
}

/* ICMP errors (RFC 1122 4.2.3.9, RFC 5927) and local delivery failures. */
void tcp_err(struct ns_stack *st, const struct ns_l4_err *e)
{
	struct tcp_sock *tp = tcp_ehash_lookup(st, &e->src, e->sport, &e->dst, e->dport);
	if (!tp || tp->state == TCPS_TIME_WAIT) {
		NS_STAT_INC(st, icmp_err_no_socket);
		return;
	}
	/* RFC 5927 4.1: the quoted sequence number must be in flight. */
	if (e->l4_len >= 8 && !e->local) {
		uint32_t seq = ns_rd32(e->l4 + 4);
		if (SEQ_LT(seq, tp->snd_una) || SEQ_GT(seq, tp->snd_nxt)) {
			NS_STAT_INC(st, tcp_icmp_out_of_window);
			return;
		}
	}
	int v6 = e->src.family == AF_INET6;
	if (!e->local && ((!v6 && e->type == ICMP_DEST_UNREACH && e->code == ICMP_FRAG_NEEDED) ||
			  (v6 && e->type == 2 /* ICMPv6 packet too big */))) {
		/* RFC 1191 6.1 / RFC 8201 4: lower the path MTU; resend what
		 * no longer fits. */
		uint32_t mtu = e->info;
		if (mtu < 68 || mtu >= (tp->pmtu ? tp->pmtu : 1500))
			return;
		if (!v6 && mtu < 552)
			mtu = 552; /* Linux min_pmtu */
		if (v6 && mtu < 1280)
			mtu = 1280; /* RFC 8200 5: the IPv6 minimum link MTU */
		tp->pmtu = mtu;
		uint32_t old = tp->mss;
		uint32_t mss = tcp_current_mss(tp);
		NS_STAT_INC(st, tcp_pmtu_lowered);
		if (mss < old) {
			/* Re-cut the queue: every record bigger than the new
			 * MSS is split and marked lost. One cut per record:
			 * the rest becomes the next record and is cut in its
			 * turn (cutting s again at s->seq + mss would make an
			 * empty record, sent as an empty segment). */
			for (struct tcp_seg *s = tp->rtx_head; s; s = s->next) {
				uint32_t dlen = s->end - s->seq - ((s->flags & (SEG_SYN | SEG_FIN)) ? 1 : 0);
				if (dlen > mss && !(s->flags & (SEG_SYN | SEG_SACKED)))
					tcp_seg_split(tp, s, s->seq + mss);
				if (!(s->flags & (SEG_SACKED | SEG_LOST)))
					tcp_seg_mark_lost(tp, s);
			}
			tcp_retransmit_lost(tp);
		}
		return;
	}
	if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED) {
		/* Linux tcp_v4_err: any error during the handshake fails the
		 * connect at once (hard and soft alike). */
		if (tp->state == TCPS_SYN_SENT || !tp->parent) {
			tcp_done(tp, e->err);
			return;
		}
	}
	if (e->fatal && TCPS_HAVEESTABLISHED(tp->state)) {
		/* RFC 1122 4.2.3.9: hard errors on an established connection
		 * are reported; the connection stays (Linux keeps it too,
		 * unless IP_RECVERR). */
		if (ns_socket_recverr(&tp->sk, e->src.family)) {
			tp->sk.so_error = e->err;
			tcp_wake(tp);
		}
		tp->sk.soft_error = e->err;
		return;
	}
	tp->sk.soft_error = e->err;
}
