/*
 * TCP output: building segments and deciding what to send.
 *
 * tcp_output() is the one place that sends data. It is called after anything
 * that may open the way (the user queued data, an ACK arrived, the window
 * opened, a timer fired). In order it: retransmits segments marked lost (RFC
 * 6675 NextSeg rule 1) while the pipe is below cwnd; sends new data within the
 * peer's window and cwnd, obeying Nagle (RFC 9293 3.7.4), TCP_CORK and the
 * sender's SWS avoidance (RFC 9293 3.8.6.2.1); sends a FIN when one is queued
 * and all data is out; and leaves an ACK that nothing piggybacked to the
 * pending-ACK list, which the stack flushes before it sleeps (so a batch of
 * received segments earns one ACK, as Linux's GRO gives).
 *
 * On links with GSO, new data leaves as super-segments of up to 64 KiB that
 * the link cuts at the MSS; the retransmission queue still holds one record
 * per MSS-sized segment, because losses, SACKs and RACK work per segment.
 */
#include "tcp_priv.h"

#include <stdlib.h>

#define TCP_GSO_MAX 65535

uint32_t tcp_tsval(const struct tcp_sock *tp)
{
	/* RFC 7323 5.4: a millisecond clock with a per-connection offset
	 * (microseconds where a repair chose them, as Linux's tcp_usec_ts). */
	if (tp->ts_usec)
		return (uint32_t)(tcp_now(tp) / NS_USEC) + tp->ts_offset;
	return (uint32_t)(tcp_now(tp) / NS_MSEC) + tp->ts_offset;
}

uint32_t tcp_ts_rtt_us(const struct tcp_sock *tp, uint32_t tsecr)
{
	uint32_t d = tcp_tsval(tp) - tsecr;
	uint64_t us = tp->ts_usec ? d : (uint64_t)d * 1000;
	if (us >= 60 * 1000000ull)
		return 0;
	if (!d)
		return tp->ts_usec ? 1 : 500; /* (below the clock's tick) */
	return (uint32_t)us;
}

uint32_t tcp_current_mss(struct tcp_sock *tp)
{
	/* RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS+20, MMS_S) - TCPhdrsize
	 * - IPoptionsize; we send no IP options.
	 * TCP_MAXSEG lowers SendMSS (Linux's mss_clamp), before the
	 * options are taken off. */
	uint32_t mms = (tp->pmtu ? tp->pmtu : 1500) - tcp_ip_hdr_len(tp);
	uint32_t clamp = tp->user_mss && tp->user_mss < tp->peer_mss ? tp->user_mss : tp->peer_mss;
	uint32_t m = NS_MIN(mms, clamp + TCP_HDR_LEN) - TCP_HDR_LEN - (tp->ts_ok ? 12 : 0);
	if (m < TCP_MIN_MSS - (tp->ts_ok ? 12 : 0))
		m = TCP_MIN_MSS - (tp->ts_ok ? 12 : 0);
	/* Linux tcp_bound_to_half_wnd(): no bigger than half the largest
	 * window the peer offered (a whole one when that is tiny), so that
	 * several segments are in flight. On loopback the SYN-ACK's 65483
	 * bytes make it 32741 until the peer opens its window wider. */
	uint32_t cut = tp->snd_max_wnd > TCP_DEFAULT_MSS ? tp->snd_max_wnd / 2 : tp->snd_max_wnd;
	if (cut && m > cut)
		m = NS_MAX(cut, 68u - TCP_HDR_LEN - (tp->ts_ok ? 12 : 0));
	tp->mss = (uint16_t)m;
	return m;
}

uint32_t tcp_size_goal(struct tcp_sock *tp)
{
	/* Linux tcp_xmit_size_goal(): as many whole segments as a GSO
	 * packet holds, but no more than half the largest window the
	 * peer offered, so that several are in flight. */
	uint32_t mss = tcp_current_mss(tp);
	uint32_t hdrs = tcp_ip_hdr_len(tp) + TCP_HDR_LEN + (tp->ts_ok ? 12 : 0);
	uint32_t goal = TCP_GSO_MAX - hdrs;
	uint32_t half = tp->snd_max_wnd > TCP_DEFAULT_MSS ? tp->snd_max_wnd / 2 : tp->snd_max_wnd;
	if (half && goal > half)
		goal = half;
	return NS_MAX(goal - goal % mss, mss);
}

uint32_t tcp_packets_in_flight(const struct tcp_sock *tp)
{
	/* RFC 6675 "pipe", counted in segments as Linux does. */
	uint32_t left = tp->sacked_out + tp->lost_out;
	uint32_t out = tp->packets_out > left ? tp->packets_out - left : 0;
	return out + tp->retrans_out;
}

uint32_t tcp_free_space(const struct tcp_sock *tp)
{
	uint32_t used = tp->rcvq.len + tp->ooo_bytes;
	return (uint32_t)tp->sk.rcvbuf > used ? (uint32_t)tp->sk.rcvbuf - used : 0;
}

/* ---- the receive window (Linux's rules, observable on the wire, in
 * TCP_INFO and in how much a peer can send before it blocks) ----
 *
 * The buffer (SO_RCVBUF) counts memory, and a share of it is window:
 * scaling_ratio/256, half until segments have measured it. The first
 * window is that share of the whole buffer, in whole segments; later
 * windows are the share of what is free, but at most rcv_ssthresh, which
 * starts at the first window and grows as data arrives, up to
 * window_clamp (the share of the buffer, or the user's clamp). */

/* At most this many segments are counted apart; more join the newest. */
#define TCP_RQ_SKB_MAX 4096

void tcp_rmem_charge(struct tcp_sock *tp, uint32_t n)
{
	if (!n)
		return;
	if (tp->rq_skb_n == tp->rq_skb_cap && tp->rq_skb_cap < TCP_RQ_SKB_MAX) {
		/* Grow the ring, oldest first from index 0. */
		uint32_t cap = tp->rq_skb_cap ? 2 * tp->rq_skb_cap : 16;
		uint32_t *r = malloc(cap * sizeof(*r));
		if (r) {
			for (uint32_t i = 0; i < tp->rq_skb_n; i++)
				r[i] = tp->rq_skb[(tp->rq_skb_head + i) % tp->rq_skb_cap];
			free(tp->rq_skb);
			tp->rq_skb = r;
			tp->rq_skb_cap = cap;
			tp->rq_skb_head = 0;
		}
	}
	if (tp->rq_skb_n < tp->rq_skb_cap) {
		tp->rq_skb[(tp->rq_skb_head + tp->rq_skb_n++) % tp->rq_skb_cap] = n;
		tp->rq_mem += n + TCP_RMEM_SKB_COST;
	} else if (tp->rq_skb_n) {
		/* (no room to count it apart: it joins the newest) */
		tp->rq_skb[(tp->rq_skb_head + tp->rq_skb_n - 1) % tp->rq_skb_cap] += n;
		tp->rq_mem += n;
	}
}

void tcp_rmem_uncharge(struct tcp_sock *tp, uint32_t n)
{
	/* Linux frees a segment's memory once all of it was read. */
	while (n && tp->rq_skb_n) {
		uint32_t len = tp->rq_skb[tp->rq_skb_head];
		uint32_t take = NS_MIN(n, len - tp->rq_skb_read);
		tp->rq_skb_read += take;
		n -= take;
		if (tp->rq_skb_read == len) {
			tp->rq_mem -= len + TCP_RMEM_SKB_COST;
			tp->rq_skb_head = (tp->rq_skb_head + 1) % tp->rq_skb_cap;
			tp->rq_skb_n--;
			tp->rq_skb_read = 0;
		}
	}
}

void tcp_rmem_reset(struct tcp_sock *tp)
{
	free(tp->rq_skb);
	tp->rq_skb = NULL;
	tp->rq_skb_cap = tp->rq_skb_head = tp->rq_skb_n = tp->rq_skb_read = 0;
	tp->rq_mem = 0;
}

int tcp_rmem_schedule(struct tcp_sock *tp)
{
	uint32_t rcvbuf = (uint32_t)tp->sk.rcvbuf;
	if (tcp_rmem_alloc(tp) <= rcvbuf)
		return 1;
	/* Linux tcp_prune_queue(): a buffer SO_RCVBUF did not fix grows to
	 * what the queue holds (tcp_clamp_window), within tcp_rmem[2]; if
	 * that is not enough the window grows no further than two
	 * segments; then the queue is packed (tcp_collapse: here as one
	 * segment). */
	if (!(tp->sk.userlocks & NS_RCVBUF_LOCK) && tp->sk.rcvbuf < tp->rcvbuf_max) {
		tp->sk.rcvbuf = (int)NS_MIN(tcp_rmem_alloc(tp), (uint32_t)tp->rcvbuf_max);
		rcvbuf = (uint32_t)tp->sk.rcvbuf;
	}
	if (tcp_rmem_alloc(tp) > rcvbuf)
		tp->rcv_ssthresh = NS_MIN(tp->window_clamp, 2u * (tp->adv_mss - (tp->ts_ok ? 12u : 0u)));
	if (tp->rq_skb_n > 1) {
		tp->rq_skb[0] = tp->rcvq.len;
		tp->rq_skb_head = tp->rq_skb_read = 0;
		tp->rq_skb_n = 1;
		tp->rq_mem = tp->rcvq.len + TCP_RMEM_SKB_COST;
	}
	return tcp_rmem_alloc(tp) <= rcvbuf;
}

uint32_t tcp_rmem_alloc(const struct tcp_sock *tp)
{
	/* (the out-of-order queue counted as one segment) */
	return tp->rq_mem + tp->ooo_bytes + (tp->ooo_bytes ? TCP_RMEM_SKB_COST : 0);
}

uint32_t tcp_win_from_space(const struct tcp_sock *tp, int64_t space)
{
	if (space <= 0)
		return 0;
	return (uint32_t)((space * tp->scaling_ratio) >> 8);
}

uint32_t tcp_space(const struct tcp_sock *tp)
{
	return tcp_win_from_space(tp, (int64_t)tp->sk.rcvbuf - tcp_rmem_alloc(tp));
}

uint32_t tcp_full_space(const struct tcp_sock *tp)
{
	return tcp_win_from_space(tp, tp->sk.rcvbuf);
}

void tcp_select_initial_window(const struct ns_stack *st, uint32_t space, uint32_t mss, int wscale_ok,
			       uint32_t *rcv_wnd, uint32_t *clamp, uint8_t *rcv_wscale)
{
	/* No clamp: the largest window a scale can express. */
	uint32_t c = *clamp ? *clamp : (uint32_t)65535 << TCP_MAX_WSCALE;
	space = NS_MIN(space, c);
	/* Whole segments, when there is room for one. */
	if (mss && space > mss)
		space -= space % mss;
	*rcv_wnd = space;
	*rcv_wscale = 0;
	if (wscale_ok) {
		/* RFC 7323 2.3: a shift for the largest buffer the socket
		 * may grow to (tcp_rmem[2] or rmem_max), within the clamp:
		 * floor(log2(space)) - 15, at most 14. */
		uint32_t big = NS_MAX(space, (uint32_t)NS_MAX(st->tcp->rmem_max, st->core_rmem_max));
		big = NS_MIN(big, c);
		uint8_t ws = 0;
		while (ws < TCP_MAX_WSCALE && (big >> (ws + 16)) != 0)
			ws++;
		*rcv_wscale = ws;
	}
	/* The clamp no higher than what the scale can express. */
	*clamp = NS_MIN(c, (uint32_t)65535 << *rcv_wscale);
}

void tcp_req_init_rwin(struct ns_stack *st, const struct tcp_sock *lp, const struct tcp_req *req, uint32_t mss,
		       uint32_t *rcv_wnd, uint32_t *clamp, uint8_t *rcv_wscale)
{
	/* Linux tcp_openreq_init_rwin(): the listener's buffer and clamp
	 * (the share of a buffer set by SO_RCVBUF at most), in whole
	 * segments of what the peer will send (the timestamp option
	 * taken off). */
	uint32_t full = lp ? tcp_full_space(lp)
			   : (uint32_t)(((int64_t)st->tcp->rmem_def * TCP_SCALING_RATIO_DEFAULT) >> 8);
	uint32_t c = lp ? lp->window_clamp : 0;
	if (lp && (lp->sk.userlocks & NS_RCVBUF_LOCK) && (!c || c > full))
		c = full;
	*clamp = c;
	tcp_select_initial_window(st, full, mss - (req->ts_ok ? 12u : 0u), req->ws_ok, rcv_wnd, clamp,
				  rcv_wscale);
}

void tcp_set_window_clamp(struct tcp_sock *tp, uint32_t val)
{
	uint32_t old = tp->window_clamp;
	uint32_t clamp = NS_MAX(val, (uint32_t)TCP_MIN_RCVBUF / 2);
	if (clamp == old)
		return;
	tp->window_clamp = clamp;
	if (clamp < old)
		tp->rcv_ssthresh = NS_MIN(tp->rcv_ssthresh, clamp);
	else
		tp->rcv_ssthresh = NS_MAX(tp->rcv_ssthresh, NS_MIN(tp->rcv_wnd, clamp));
}

void tcp_rcv_window_grow(struct tcp_sock *tp, uint32_t len, uint32_t seg_size, int in_order)
{
	uint32_t advmss = tp->adv_mss - (tp->ts_ok ? 12u : 0u);
	if (in_order) {
		/* Linux tcp_measure_rcv_mss(): a segment at least as big as
		 * the estimate is the new estimate; one of another size
		 * measures the share of its memory that is payload, and
		 * the clamp follows. */
		if (seg_size >= tp->rcv_mss && seg_size <= 65535) {
			if (seg_size != tp->rcv_mss) {
				uint8_t old = tp->scaling_ratio;
				uint32_t r = (uint32_t)(((uint64_t)len << 8) / (len + TCP_RMEM_SKB_COST));
				tp->scaling_ratio = (uint8_t)(r ? r : 1);
				if (old != tp->scaling_ratio) {
					tcp_set_window_clamp(tp, tcp_full_space(tp));
					if (tp->window_clamp < tp->rcvq_space)
						tp->rcvq_space = tp->window_clamp;
				}
			}
			tp->rcv_mss = (uint16_t)NS_MIN(seg_size, advmss);
		}
		if (len < 128)
			return;
	}
	/* Linux tcp_grow_window(): rcv_ssthresh grows by two segments (at
	 * least twice this one), up to the clamp and to what the buffer
	 * has free. In order, a segment costs its payload (it joins the
	 * queue's skb); out of order, its skb too, and then it counts
	 * only while the window would still be below the share of
	 * tcp_rmem[2] such segments can fill (__tcp_grow_window). */
	int64_t room = (int64_t)NS_MIN(tp->window_clamp, tcp_space(tp)) - tp->rcv_ssthresh;
	if (room <= 0)
		return;
	uint32_t truesize = len + (in_order ? 0 : TCP_RMEM_SKB_COST);
	uint32_t incr = 0;
	if (tcp_win_from_space(tp, truesize) <= len) {
		incr = 2 * advmss;
	} else {
		uint32_t t = tcp_win_from_space(tp, truesize) >> 1;
		uint32_t win = tcp_win_from_space(tp, tp->sk.stack->tcp->rmem_max) >> 1;
		while (tp->rcv_ssthresh <= win) {
			if (t <= len) {
				incr = 2u * tp->rcv_mss;
				break;
			}
			t >>= 1;
			win >>= 1;
		}
	}
	if (!incr)
		return;
	incr = NS_MAX(incr, 2 * len);
	tp->rcv_ssthresh += (uint32_t)NS_MIN(room, (int64_t)incr);
	/* (an ACK at once tells the peer, unless ACKs wait to ride on
	 * replies: Linux's icsk_ack.quick outside pingpong mode) */
	if (!tp->quickack && !tp->pingpong)
		tp->quickack = 1;
}

uint32_t tcp_window_now(const struct tcp_sock *tp)
{
	uint32_t mss = tp->rcv_mss ? tp->rcv_mss : tp->adv_mss;
	uint32_t free = tcp_space(tp);
	uint32_t allowed = tcp_full_space(tp);
	uint32_t full = tp->window_clamp ? NS_MIN(tp->window_clamp, allowed) : allowed;
	if (mss > full) {
		mss = full;
		if (!mss)
			return 0;
	}
	/* RFC 9293 3.8.6.2.2: receiver SWS avoidance. Below half the
	 * buffer's share, less than a segment (or a sixteenth of the
	 * share) is offered as nothing. */
	if (free < full / 2) {
		free &= ~((1u << tp->rcv_wscale) - 1);
		if (free < allowed / 16 || free < mss)
			return 0;
	}
	free = NS_MIN(free, tp->rcv_ssthresh);
	if (tp->rcv_wscale) {
		/* Rounded up so that the scale does not take it away. */
		uint32_t g = (1u << tp->rcv_wscale) - 1;
		return (free + g) & ~g;
	}
	/* Unscaled: whole segments; an offer within a segment of what
	 * is free stays as it is. */
	uint32_t win = tp->rcv_wnd;
	if (win + mss <= free || win > free)
		win = free - free % mss;
	else if (mss == full && free > win + full / 2)
		win = free;
	return win;
}

uint32_t tcp_select_window(struct tcp_sock *tp)
{
	uint32_t cur = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t win = tcp_window_now(tp);
	/* RFC 9293 3.8.6: never shrink the window. The promise is rounded
	 * up: kept as is, the shift would drop its low bits and the right
	 * edge the peer sees would move left (RFC 7323 2.4). */
	if (win < cur) {
		uint32_t g = (1u << tp->rcv_wscale) - 1;
		win = (cur + g) & ~g;
	}
	win = NS_MIN(win, (uint32_t)65535 << tp->rcv_wscale);
	tp->rcv_wnd = win;
	tp->rcv_adv = tp->rcv_nxt + win;
	return win;
}

/* ---- segment construction ---- */

struct tcp_tx {
	uint32_t seq;
	uint8_t flags;
	uint32_t len;	   /* payload bytes */
	uint32_t data_off; /* offset of the payload in sndq */
	int syn_opts;	   /* SYN or SYN-ACK options */
	uint16_t gso_size; /* 0: one segment */
	uint8_t rexmit;	   /* a retransmission (never ECN-capable) */
};

/* Writes the options of a segment into o (at most `room` bytes, <= 40). */
static uint32_t write_opts(struct tcp_sock *tp, uint8_t *o, const struct tcp_tx *tx, uint32_t room)
{
	uint32_t n = 0;
	if (tx->syn_opts) {
		/* Linux's layout: MSS, SACK-permitted+TS (or NOP NOP TS), NOP WS. */
		o[n++] = TCPOPT_MSS;
		o[n++] = 4;
		ns_wr16(o + n, tp->adv_mss);
		n += 2;
		if (tp->sack_ok && tp->ts_ok) {
			o[n++] = TCPOPT_SACK_PERM;
			o[n++] = 2;
		} else if (tp->ts_ok) {
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_NOP;
		}
		if (tp->ts_ok) {
			o[n++] = TCPOPT_TS;
			o[n++] = 10;
			ns_wr32(o + n, tcp_tsval(tp));
			ns_wr32(o + n + 4, (tx->flags & TH_ACK) ? tp->ts_recent : 0);
			n += 8;
		} else if (tp->sack_ok) {
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_SACK_PERM;
			o[n++] = 2;
		}
		if (tp->ws_ok) {
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_WS;
			o[n++] = 3;
			o[n++] = tp->rcv_wscale;
		}
		return n;
	}
	if (tp->ts_ok) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_TS;
		o[n++] = 10;
		ns_wr32(o + n, tcp_tsval(tp));
		ns_wr32(o + n + 4, tp->ts_recent);
		n += 8;
	}
	if (tp->sack_ok && !(tx->flags & TH_RST) && room >= n + 12) {
		uint32_t blocks[TCP_MAX_SACK_BLOCKS][2];
		/* RFC 2018 3: at most 40 bytes of options; and a full-sized
		 * data segment must still fit the path MTU (Linux shrinks the
		 * MSS instead; SACK blocks are optional in any segment). */
		int max = (int)((room - n - 4) / 8);
		if (max > (tp->ts_ok ? 3 : 4))
			max = tp->ts_ok ? 3 : 4;
		int nb = tcp_sack_build(tp, blocks, max);
		if (nb > 0) {
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_NOP;
			o[n++] = TCPOPT_SACK;
			o[n++] = (uint8_t)(2 + 8 * nb);
			for (int i = 0; i < nb; i++) {
				ns_wr32(o + n, blocks[i][0]);
				ns_wr32(o + n + 4, blocks[i][1]);
				n += 8;
			}
		}
	}
	return n;
}

static int tcp_transmit(struct tcp_sock *tp, const struct tcp_tx *tx)
{
	struct ns_stack *st = tp->sk.stack;
	uint8_t opts[40];
	/* Room for options: what the path MTU leaves beside one segment's
	 * payload (GSO cuts at gso_size, each piece carrying the header). */
	uint32_t seg_payload = tx->gso_size && tx->len > tx->gso_size ? tx->gso_size : tx->len;
	uint32_t mtu = tp->pmtu ? tp->pmtu : 1500;
	uint32_t room = 40, iph = tcp_ip_hdr_len(tp);
	if (seg_payload && mtu > iph + TCP_HDR_LEN + seg_payload)
		room = NS_MIN(room, mtu - iph - TCP_HDR_LEN - seg_payload);
	else if (seg_payload)
		room = 0;
	uint32_t olen = write_opts(tp, opts, tx, room);
	uint32_t hlen = TCP_HDR_LEN + olen;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, hlen + tx->len);
	if (!p) {
		NS_STAT_INC(st, tcp_drop_nomem);
		return -ENOBUFS;
	}
	uint8_t *h = pkt_data(p);
	ns_wr16(h, tp->lport);
	ns_wr16(h + 2, tp->rport);
	ns_wr32(h + 4, tx->seq);
	uint32_t ack = (tx->flags & TH_ACK) ? tp->rcv_nxt : 0;
	ns_wr32(h + 8, ack);
	h[12] = (uint8_t)((hlen / 4) << 4);
	uint8_t flags = tx->flags;
	int ect = 0;
	if (tp->ecn_ok && !(flags & (TH_SYN | TH_RST))) {
		/* RFC 3168 6.1.3: ECE on every ACK until the peer's CWR. */
		if (tp->ecn_ece_pending && (flags & TH_ACK))
			flags |= TH_ECE;
		/* RFC 3168 6.1.2: CWR on the first new data after a
		 * reduction; 6.1.4/6.1.5: only new data is ECN-capable (not
		 * pure ACKs, probes or retransmissions). */
		if (tx->len && !tx->rexmit) {
			ect = 1;
			if (tp->ecn_cwr_pending) {
				flags |= TH_CWR;
				tp->ecn_cwr_pending = 0;
			}
		}
	}
	h[13] = flags;
	uint32_t win = 0;
	if (!(tx->flags & TH_RST) || (tx->flags & TH_ACK)) {
		if (tx->flags & TH_SYN) {
			/* RFC 7323 2.2: the window in a SYN is never scaled;
			 * it is the first window (tcp_select_initial_window),
			 * which also stands for a SYN-ACK in a simultaneous
			 * open (Linux). */
			win = NS_MIN(tp->rcv_wnd, 65535u);
			if (SEQ_LT(tp->rcv_adv, tp->rcv_nxt + win))
				tp->rcv_adv = tp->rcv_nxt + win;
		} else
			win = tcp_select_window(tp) >> tp->rcv_wscale;
	}
	ns_wr16(h + 14, (uint16_t)NS_MIN(win, 65535u));
	ns_wr16(h + 16, 0);
	uint16_t urp = 0;
	if (tp->snd_up && SEQ_GT(tp->snd_up, tx->seq) && !(tx->flags & (TH_SYN | TH_RST))) {
		/* RFC 6093: the urgent pointer points to the byte following
		 * the urgent data; sent while it is ahead of this segment. */
		uint32_t d = tp->snd_up - tx->seq;
		if (d <= 0xffff) {
			h[13] |= TH_URG;
			urp = (uint16_t)d;
		}
	}
	ns_wr16(h + 18, urp);
	memcpy(h + TCP_HDR_LEN, opts, olen);
	if (tx->len)
		tcp_ring_peek(&tp->sndq, tx->data_off, h + hlen, tx->len);

	p->l4_off = pkt_pos(p);
	p->ip_proto = IPPROTO_TCP_;
	uint32_t pseudo = ns_csum_pseudo(&tp->laddr, &tp->raddr, IPPROTO_TCP_, hlen + tx->len);
	struct ns_rt rt;
	int r = ns_route(st, &tp->raddr, &tp->laddr, tp->sk.bound_nic, &rt);
	if (r < 0) {
		pkt_unref(p);
		NS_STAT_NO_ROUTE(st, tp->raddr.family);
		return r;
	}
	int gso = tx->gso_size && tx->len > tx->gso_size;
	if (gso || (rt.nic->caps & NS_LINK_CAP_TX_CSUM)) {
		/* Offload: seed with the folded pseudo-header sum. */
		ns_wr16(h + 16, (uint16_t)~ns_csum_fold(pseudo));
		p->flags |= PKT_F_CSUM_PARTIAL;
		p->csum_start = pkt_pos(p);
		p->csum_off = 16;
		if (gso) {
			p->gso_type = tp->raddr.family == AF_INET6 ? PKT_GSO_TCPV6 : PKT_GSO_TCPV4;
			p->gso_size = tx->gso_size;
		}
	} else {
		ns_wr16(h + 16, ns_csum_fold(ns_csum_add(pseudo, h, hlen + tx->len)));
	}
	if (tx->flags & TH_ACK) {
		tp->last_ack_sent = tp->rcv_nxt;
		tp->ack_pending = 0;
		tp->segs_since_ack = 0;
		if (ns_timer_armed(&tp->t_delack))
			ns_timer_disarm(st->wheel, &tp->t_delack);
		if (tp->quickack)
			tp->quickack--;
	}
	uint32_t segs = gso ? (tx->len + tx->gso_size - 1) / tx->gso_size : 1;
	tp->segs_out += segs;
	if (tx->len) {
		tp->data_segs_out += segs;
		tp->last_data_sent = tcp_now(tp);
	}
	NS_STAT_ADD(st, tcp_tx, segs);
	int v4 = tp->raddr.family == AF_INET;
	struct ns_ip_tx ip = {
		.src = tp->laddr,
		.dst = tp->raddr,
		.proto = IPPROTO_TCP_,
		.hop_limit = v4 ? tp->sk.ttl : tp->sk.hoplimit6,
		/* ECT(0) in the ECN field (RFC 3168 5) for new data. */
		.tos = (uint8_t)(((v4 ? tp->sk.tos : (uint8_t)tp->sk.tclass6) & ~3u) | (ect ? 2 : 0)),
		/* RFC 1191 / RFC 8201 path MTU discovery; IPv4 sockets may
		 * turn it off (IP_PMTUDISC_DONT), IPv6 never fragments TCP. */
		.df = v4 ? tp->sk.pmtudisc != IP_PMTUDISC_DONT : 1,
		.no_flowlabel = !!(tp->sk.opts & NS_SO_NOFLOWLABEL6),
		.flowlabel = v4 ? 0 : tp->sk.flow_label6 & 0xfffff, /* (IPV6_FLOWINFO_SEND's connect) */
		.ext = v4 ? NULL : tp->sk.sticky6,
		.bound_nic = tp->sk.bound_nic,
	};
	/* SO_TIMESTAMPING: the first transmission of a send's last byte
	 * (Linux stamps the skb that holds it) */
	struct ns_tx_stamp ts;
	int stamp = !tx->rexmit && tx->len && tcp_tstamp_begin(tp, tx->seq, tx->seq + tx->len, &ts);
	r = ns_ip_output(st, p, &ip);
	if (stamp)
		st->tx_stamp = NULL;
	if (r == -EMSGSIZE && gso)
		r = 0; /* the link cuts it; cannot be too big */
	return r;
}

static uint8_t data_flags(const struct tcp_sock *tp)
{
	NS_UNUSED(tp);
	return TH_ACK;
}

int tcp_xmit_seg(struct tcp_sock *tp, struct tcp_seg *s, int retransmit)
{
	struct tcp_tx tx;
	memset(&tx, 0, sizeof(tx));
	tx.seq = s->seq;
	tx.rexmit = (uint8_t)retransmit;
	if (s->flags & SEG_SYN) {
		tx.flags = TH_SYN | (tp->state == TCPS_SYN_RECEIVED ? TH_ACK : 0);
		/* RFC 3168 6.1.1: an ECN-setup SYN carries ECE and CWR; an
		 * ECN-setup SYN-ACK (simultaneous open) ECE only. */
		if (tp->ecn_ok)
			tx.flags |= tp->state == TCPS_SYN_RECEIVED ? TH_ECE : TH_ECE | TH_CWR;
		tx.syn_opts = 1;
	} else {
		tx.flags = data_flags(tp);
		uint32_t dend = s->end - ((s->flags & SEG_FIN) ? 1 : 0);
		tx.len = dend - s->seq;
		tx.data_off = s->seq - tp->snd_buf_seq;
		if (s->flags & SEG_FIN)
			tx.flags |= TH_FIN;
		if (tx.len && (s->flags & SEG_PSH))
			tx.flags |= TH_PSH;
	}
	int r = tcp_transmit(tp, &tx);
	ns_time_t now = tcp_now(tp);
	s->xmit_time = now;
	s->xmits++;
	if (retransmit) {
		/* Every retransmission counts, whoever sends it (RTO, RACK or
		 * fast recovery, TLP, PMTU re-cut). */
		NS_STAT_INC(tp->sk.stack, tcp_retrans_segs);
		s->flags |= SEG_EVER_RETRANS;
		tp->total_retrans++;
		tp->bytes_retrans += tx.len;
	}
	return r;
}

void tcp_rtx_append(struct tcp_sock *tp, struct tcp_seg *s)
{
	s->next = NULL;
	s->prev = tp->rtx_tail;
	if (tp->rtx_tail)
		tp->rtx_tail->next = s;
	else
		tp->rtx_head = s;
	tp->rtx_tail = s;
	tp->packets_out++;
}

void tcp_send_syn(struct tcp_sock *tp)
{
	struct tcp_seg *s = tcp_seg_alloc();
	if (!s)
		return;
	s->seq = tp->iss;
	s->end = tp->iss + 1;
	s->flags = SEG_SYN;
	tcp_rtx_append(tp, s);
	tp->snd_nxt = tp->iss + 1;
	tcp_xmit_seg(tp, s, 0);
	tcp_rearm_rto(tp);
}

void tcp_send_synack(struct ns_stack *st, struct tcp_req *req)
{
	/* A SYN-ACK from a SYN-queue entry: built with a scratch block that
	 * carries just what the header and options need. */
	struct tcp_sock tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.sk.stack = st;
	tmp.sk.domain = req->listener ? req->listener->sk.domain : req->raddr.family;
	tmp.sk.hoplimit6 = req->listener ? req->listener->sk.hoplimit6 : -1;
	tmp.sk.rcvbuf = req->listener ? req->listener->sk.rcvbuf : st->tcp->rmem_def;
	tmp.sk.ttl = req->listener ? req->listener->sk.ttl : -1;
	tmp.sk.tos = req->listener ? req->listener->sk.tos : 0;
	tmp.sk.bound_nic = req->listener && req->listener->sk.bound_nic ? req->listener->sk.bound_nic
								       : req->nic;
	/* (Linux's SYN-ACK carries the listener's extension headers) */
	tmp.sk.sticky6 = req->listener ? req->listener->sk.sticky6 : NULL;
	tmp.laddr = req->laddr;
	tmp.raddr = req->raddr;
	tmp.lport = req->lport;
	tmp.rport = req->rport;
	tmp.rcv_nxt = req->irs + 1;
	tmp.rcv_adv = tmp.rcv_nxt;
	tmp.ts_ok = req->ts_ok;
	tmp.sack_ok = req->sack_ok;
	tmp.ws_ok = req->ws_ok;
	tmp.ts_recent = req->ts_recent;
	tmp.ts_offset = req->ts_offset;
	tmp.state = TCPS_SYN_RECEIVED;
	if (req->listener) {
		tmp.adv_mss = req->listener->adv_mss;
		/* TCP_MAXSEG on the listener is what we announce (Linux). */
		if (req->listener->user_mss && req->listener->user_mss < tmp.adv_mss)
			tmp.adv_mss = req->listener->user_mss;
	}
	if (!tmp.adv_mss)
		tmp.adv_mss = 1460;
	/* RFC 9293 3.7.1: announce what the path to this peer can carry
	 * (the IPv6 header is 20 bytes longer than IPv4's). */
	struct ns_rt rt;
	if (ns_route(st, &req->raddr, &req->laddr, tmp.sk.bound_nic, &rt) == 0) {
		uint32_t m = tcp_mtu_cap(&tmp, rt.mtu) - tcp_ip_base_len(&tmp) - TCP_HDR_LEN;
		if (m < tmp.adv_mss)
			tmp.adv_mss = (uint16_t)m;
	}
	tcp_req_init_rwin(st, req->listener, req, tmp.adv_mss, &tmp.rcv_wnd, &tmp.window_clamp, &tmp.rcv_wscale);
	struct tcp_tx tx = { .seq = req->iss, .flags = TH_SYN | TH_ACK, .syn_opts = 1 };
	if (req->ecn_ok)
		tx.flags |= TH_ECE; /* RFC 3168 6.1.1: ECN-setup SYN-ACK */
	tcp_transmit(&tmp, &tx);
}

void tcp_send_ack(struct tcp_sock *tp)
{
	if (tp->state == TCPS_CLOSED || tp->state == TCPS_LISTEN || tp->state == TCPS_SYN_SENT)
		return;
	struct tcp_tx tx = { .seq = tp->snd_nxt, .flags = TH_ACK };
	tcp_transmit(tp, &tx);
	tp->dsack_pending = 0;
}

void tcp_schedule_ack(struct tcp_sock *tp, int now)
{
	tp->ack_pending = 1;
	if (now || tp->quickack) {
		tp->ack_now = 1;
		if (!tp->on_ack_list) {
			struct tcp_state *ts = tp->sk.stack->tcp;
			tp->acknext = ts->ack_list;
			ts->ack_list = tp;
			tp->on_ack_list = 1;
		}
		return;
	}
	tcp_arm_delack(tp);
}

void tcp_flush_acks(struct ns_stack *st)
{
	struct tcp_state *ts = st->tcp;
	while (ts->ack_list) {
		struct tcp_sock *tp = ts->ack_list;
		ts->ack_list = tp->acknext;
		tp->acknext = NULL;
		tp->on_ack_list = 0;
		if (tp->ack_pending && tp->ack_now)
			tcp_send_ack(tp);
		tp->ack_now = 0;
	}
}

void tcp_send_probe(struct tcp_sock *tp)
{
	/* Linux tcp_xmit_probe_skb: an ACK with an old sequence number makes
	 * the peer answer with its current ACK and window. */
	struct tcp_tx tx = { .seq = tp->snd_una - 1, .flags = TH_ACK };
	tcp_transmit(tp, &tx);
}

void tcp_send_active_reset(struct tcp_sock *tp)
{
	/* RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> (Linux adds ACK). */
	struct tcp_tx tx = { .seq = tp->snd_nxt, .flags = TH_RST | TH_ACK };
	tcp_transmit(tp, &tx);
}

void tcp_send_reset_reply(struct ns_stack *st, const struct tcp_seg_in *seg)
{
	/* RFC 9293 3.10.7.1: if ACK is off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
	 * <CTL=RST,ACK>; else <SEQ=SEG.ACK><CTL=RST>. */
	if (seg->flags & TH_RST)
		return;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, TCP_HDR_LEN);
	if (!p)
		return;
	uint8_t *h = pkt_data(p);
	memset(h, 0, TCP_HDR_LEN);
	ns_wr16(h, seg->dport);
	ns_wr16(h + 2, seg->sport);
	if (seg->flags & TH_ACK) {
		ns_wr32(h + 4, seg->ack);
		h[13] = TH_RST;
	} else {
		ns_wr32(h + 8, seg->end);
		h[13] = TH_RST | TH_ACK;
	}
	h[12] = (TCP_HDR_LEN / 4) << 4;
	const struct ns_l3_info *l3 = seg->l3;
	uint32_t sum = ns_csum_pseudo(&l3->dst, &l3->src, IPPROTO_TCP_, TCP_HDR_LEN);
	ns_wr16(h + 16, ns_csum_fold(ns_csum_add(sum, h, TCP_HDR_LEN)));
	p->l4_off = pkt_pos(p);
	struct ns_ip_tx ip = { .src = l3->dst, .dst = l3->src, .proto = IPPROTO_TCP_, .df = 1,
			       .bound_nic = l3->nic ? l3->nic->id : 0 };
	NS_STAT_INC(st, tcp_tx);
	NS_STAT_INC(st, tcp_rst_tx);
	ns_ip_output(st, p, &ip);
}

/* ---- the send loop ---- */


/* Linux tcp_retrans_try_collapse(), for the FIN: a lone FIN behind a
 * record being retransmitted rides on it when the record's data fits one
 * segment (the FIN takes no room), as one record from then on. */
static void collapse_fin(struct tcp_sock *tp, struct tcp_seg *s)
{
	struct tcp_seg *n = s->next;
	if (!n || n->next || !(n->flags & SEG_FIN) || n->end - n->seq != 1 ||
	    (s->flags & (SEG_SYN | SEG_FIN | SEG_SACKED)) || (n->flags & SEG_SACKED) ||
	    s->end != n->seq || s->end - s->seq > tcp_current_mss(tp) ||
	    SEQ_GT(n->seq, tp->snd_una + tp->snd_wnd))
		return;
	s->end = n->end;
	s->flags |= (uint16_t)(n->flags & (SEG_FIN | SEG_EVER_RETRANS));
	s->next = NULL;
	tp->rtx_tail = s;
	tp->packets_out--;
	if (n->flags & SEG_LOST)
		tp->lost_out--;
	if (n->flags & SEG_RETRANS)
		tp->retrans_out--;
	tcp_seg_free(n);
}

void tcp_retransmit_lost(struct tcp_sock *tp)
{
	uint32_t cwnd = tp->snd_cwnd;
	for (struct tcp_seg *s = tp->rtx_head; s; s = s->next) {
		if (tcp_packets_in_flight(tp) >= cwnd)
			break;
		if (!(s->flags & SEG_LOST) || (s->flags & (SEG_RETRANS | SEG_SACKED)))
			continue;
		/* The peer's window still bounds retransmissions (RFC 9293). */
		if (SEQ_GT(s->end, tp->snd_una + NS_MAX(tp->snd_wnd, 1u)) && s != tp->rtx_head)
			break;
		collapse_fin(tp, s);
		tcp_xmit_seg(tp, s, 1);
		s->flags |= SEG_RETRANS;
		tp->retrans_out++;
		if (SEQ_GT(s->end, tp->high_rxt))
			tp->high_rxt = s->end;
	}
}

void tcp_mark_push(struct tcp_sock *tp, uint32_t end)
{
	if (tp->push_n == sizeof(tp->push_pt) / sizeof(tp->push_pt[0]))
		tp->push_n--; /* full: the newest end stands for the last ones */
	tp->push_pt[tp->push_n++] = end;
}

/* Records [seq, seq + len) about to be sent, `mss` bytes each: returns the
 * length to send so that a write's end (a push point) falls only in the
 * last record of a super-segment, whose segmentation puts PSH on its last
 * segment alone; the wire's segments stay the same. */
static uint32_t cut_at_push(const struct tcp_sock *tp, uint32_t seq, uint32_t len, uint32_t mss)
{
	for (unsigned i = 0; i < tp->push_n; i++) {
		uint32_t p = tp->push_pt[i];
		if (SEQ_LEQ(p, seq))
			continue;
		if (SEQ_GT(p, seq + len))
			break;
		uint32_t upto = ((p - seq + mss - 1) / mss) * mss;
		return NS_MIN(upto, len);
	}
	return len;
}

/* Whether a record [seq, end) holds a push point; the points it holds, and
 * any left behind it, are used up. */
int tcp_take_push(struct tcp_sock *tp, uint32_t seq, uint32_t end)
{
	int psh = 0;
	unsigned k = 0;
	for (unsigned i = 0; i < tp->push_n; i++) {
		uint32_t p = tp->push_pt[i];
		if (SEQ_LEQ(p, end)) {
			psh |= SEQ_GT(p, seq);
			continue;
		}
		tp->push_pt[k++] = p;
	}
	tp->push_n = (uint8_t)k;
	return psh;
}

void tcp_output(struct tcp_sock *tp)
{
	struct ns_stack *st = tp->sk.stack;
	enum tcp_fsm_state s = tp->state;
	int sent = 0;
	uint32_t unsent0 = tcp_unsent(tp);

	if (s != TCPS_ESTABLISHED && s != TCPS_CLOSE_WAIT && s != TCPS_FIN_WAIT_1 &&
	    s != TCPS_CLOSING && s != TCPS_LAST_ACK)
		goto ack;
	if (tcp_repair_sends_to_queue(tp)) {
		tcp_repair_queue_sent(tp); /* (counted as sent, not sent) */
		goto ack;
	}

	if (tp->lost_out)
		tcp_retransmit_lost(tp);

	uint32_t mss = tcp_current_mss(tp);
	struct ns_rt rt;
	int gso_ok = ns_route(st, &tp->raddr, &tp->laddr, tp->sk.bound_nic, &rt) == 0 &&
		     (rt.nic->caps & NS_LINK_CAP_GSO);
	uint32_t unsent, push_one = tp->push_one;
	tp->push_one = 0;
	while (!tp->fin_sent && (unsent = tcp_unsent(tp)) > 0) {
		uint32_t inflight = tcp_packets_in_flight(tp);
		if (inflight >= tp->snd_cwnd)
			break;
		uint32_t quota = tp->snd_cwnd - inflight;
		uint32_t wnd_end = tp->snd_una + tp->snd_wnd;
		uint32_t seq = SEQ_MAX(tp->snd_nxt, tp->snd_buf_seq);
		if (SEQ_GEQ(seq, wnd_end))
			break;
		uint32_t avail = wnd_end - seq;
		uint32_t max = mss;
		if (gso_ok && quota > 1) {
			uint32_t hdrs = tcp_ip_hdr_len(tp) + TCP_HDR_LEN + (tp->ts_ok ? 12 : 0);
			/* (at least one: an IPv6 loopback segment, 65464
			 * bytes and headers, is alone above the limit) */
			max = NS_MAX(NS_MIN((TCP_GSO_MAX - hdrs) / mss, quota), 1u) * mss;
		}
		if (push_one) {
			/* The first piece of a write that filled one: Linux
			 * pushes that skb alone (tcp_push_one), the rest
			 * after it. */
			max = NS_MIN(max, push_one);
			push_one = 0;
		}
		uint32_t len = NS_MIN(NS_MIN(unsent, avail), max);
		if (len < mss) {
			int ok;
			if (len < unsent)
				/* Window-limited. Sender SWS avoidance (RFC 9293
				 * 3.8.6.2.1): fill a window that is at least
				 * half the largest the peer ever offered. */
				ok = !tp->cork && tp->snd_max_wnd && avail >= tp->snd_max_wnd / 2;
			else
				/* All we have is small. Nagle (RFC 9293
				 * 3.7.4): wait while data is unacknowledged,
				 * unless TCP_NODELAY; TCP_CORK waits for a
				 * full segment; a closing FIN flushes. */
				ok = tp->fin_queued ||
				     (!tp->cork && (tp->nodelay || tp->packets_out == 0));
			/* The persist timer's push overrides all three (RFC
			 * 9293 3.8.6.2.1's override timeout; Linux
			 * tcp_write_wakeup(), which is also why TCP_CORK
			 * holds a partial segment only until then). */
			if (!ok && !tp->force_push)
				break;
		}
		if (len > mss)
			len -= len % mss; /* super-segments carry whole segments */
		if (len > mss)
			len = cut_at_push(tp, seq, len, mss);
		int fin = tp->fin_queued && len == unsent && !tp->fin_sent;
		/* Records, one per MSS. */
		uint32_t off = 0;
		while (off < len) {
			struct tcp_seg *rec = tcp_seg_alloc();
			if (!rec)
				goto out;
			uint32_t n = NS_MIN(mss, len - off);
			rec->seq = seq + off;
			rec->end = rec->seq + n;
			rec->xmit_time = tcp_now(tp);
			rec->delivered_at_send = tp->delivered;
			rec->xmits = 1;
			if (tcp_take_push(tp, rec->seq, rec->end))
				rec->flags |= SEG_PSH;
			if (fin && off + n == len) {
				rec->flags |= SEG_FIN;
				rec->end++;
			}
			tcp_rtx_append(tp, rec);
			off += n;
		}
		struct tcp_tx tx = {
			.seq = seq,
			.flags = TH_ACK | ((tp->rtx_tail->flags & SEG_PSH) ? TH_PSH : 0) | (fin ? TH_FIN : 0),
			.len = len,
			.data_off = seq - tp->snd_buf_seq,
			.gso_size = len > mss ? (uint16_t)mss : 0,
		};
		tcp_transmit(tp, &tx);
		tp->snd_nxt = seq + len + (fin ? 1 : 0);
		tp->bytes_sent += len;
		if (fin) {
			tp->fin_sent = 1;
			tp->fin_seq = seq + len;
		}
		sent = 1;
	}
	if (tp->fin_queued && !tp->fin_sent && tcp_unsent(tp) == 0) {
		/* A FIN alone (RFC 9293 3.10.4 CLOSE). It takes a sequence
		 * number, so it is retransmitted like data. */
		struct tcp_seg *rec = tcp_seg_alloc();
		if (rec) {
			uint32_t seq = tp->snd_buf_seq + tp->sndq.len;
			rec->seq = seq;
			rec->end = seq + 1;
			rec->flags = SEG_FIN;
			tcp_rtx_append(tp, rec);
			tcp_xmit_seg(tp, rec, 0);
			tp->snd_nxt = seq + 1;
			tp->fin_sent = 1;
			tp->fin_seq = seq;
			sent = 1;
		}
	}
out:
	if (sent) {
		tp->lsndtime = tcp_now(tp);
		tcp_schedule_loss_probe(tp);
		/* Below TCP_NOTSENT_LOWAT now: writable (the ACK that let
		 * this go woke the writer while the bytes still waited). */
		uint64_t lowat = tcp_notsent_lowat(tp);
		if ((uint64_t)unsent0 * 2 >= lowat && (uint64_t)tcp_unsent(tp) * 2 < lowat)
			tcp_wake(tp);
	}
	if (tp->packets_out && !ns_timer_armed(&tp->t_rtx))
		tcp_rearm_rto(tp);
	/* Zero window with data waiting and nothing in flight: probe. */
	if (tcp_unsent(tp) && !tp->packets_out && !ns_timer_armed(&tp->t_persist))
		tcp_arm_persist(tp);
ack:
	/* An ACK still owed is sent by tcp_flush_acks() before sleeping,
	 * or by the delayed-ACK timer. */
	return;
}
