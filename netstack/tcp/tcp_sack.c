/*
 * SACK (RFC 2018) on both sides, D-SACK (RFC 2883), and the scoreboard that
 * RFC 6675 loss recovery and RACK (RFC 8985) read.
 *
 * The scoreboard is the retransmission queue itself: each record (one sent
 * segment) carries SACKED / LOST / RETRANS flags, and the connection keeps
 * the counts (sacked_out, lost_out, retrans_out) that "pipe" needs. A SACK
 * block whose edge falls inside a record splits it, so marks are exact.
 */
#include <stdlib.h>

#include "tcp_priv.h"

/* Records are small and churn fast: keep a bounded free list. */
static struct tcp_seg *seg_free_list;
static uint32_t seg_free_count;
#define SEG_CACHE_MAX 65536

struct tcp_seg *tcp_seg_alloc(void)
{
	struct tcp_seg *s = seg_free_list;
	if (s) {
		seg_free_list = s->next;
		seg_free_count--;
	} else {
		s = malloc(sizeof(*s));
		if (!s)
			return NULL;
	}
	memset(s, 0, sizeof(*s));
	return s;
}

void tcp_seg_free(struct tcp_seg *s)
{
	if (seg_free_count >= SEG_CACHE_MAX) {
		free(s);
		return;
	}
	s->next = seg_free_list;
	seg_free_list = s;
	seg_free_count++;
}

void tcp_seg_cache_trim(void);
void tcp_seg_cache_trim(void)
{
	while (seg_free_list) {
		struct tcp_seg *s = seg_free_list;
		seg_free_list = s->next;
		free(s);
	}
	seg_free_count = 0;
}

void tcp_rtx_purge(struct tcp_sock *tp)
{
	while (tp->rtx_head) {
		struct tcp_seg *s = tp->rtx_head;
		tp->rtx_head = s->next;
		tcp_seg_free(s);
	}
	tp->rtx_tail = NULL;
	tp->packets_out = tp->sacked_out = tp->lost_out = tp->retrans_out = 0;
	tp->sacked_bytes = 0;
}

void tcp_seg_mark_lost(struct tcp_sock *tp, struct tcp_seg *s)
{
	if (s->flags & SEG_SACKED)
		return;
	if (s->flags & SEG_RETRANS) {
		/* The retransmission itself is lost. */
		s->flags &= (uint16_t)~SEG_RETRANS;
		tp->retrans_out--;
	}
	if (!(s->flags & SEG_LOST)) {
		s->flags |= SEG_LOST;
		tp->lost_out++;
	}
}

struct tcp_seg *tcp_seg_split(struct tcp_sock *tp, struct tcp_seg *s, uint32_t at)
{
	struct tcp_seg *n = tcp_seg_alloc();
	if (!n)
		return NULL;
	*n = *s;
	n->seq = at;
	s->end = at;
	/* The end of a write is in the second part (at most one record of
	 * a write end is split: records never straddle two of them). */
	s->flags &= (uint16_t)~(SEG_FIN | SEG_PSH);
	n->flags &= (uint16_t)~SEG_SYN;
	n->prev = s;
	n->next = s->next;
	if (s->next)
		s->next->prev = n;
	else
		tp->rtx_tail = n;
	s->next = n;
	tp->packets_out++;
	if (n->flags & SEG_SACKED) {
		tp->sacked_out++;
	}
	if (n->flags & SEG_LOST)
		tp->lost_out++;
	if (n->flags & SEG_RETRANS)
		tp->retrans_out++;
	return n;
}

uint32_t tcp_sack_process(struct tcp_sock *tp, const struct tcp_seg_in *seg, int *dsack)
{
	struct ns_stack *st = tp->sk.stack;
	const struct tcp_opts *o = &seg->opt;
	ns_time_t now = tcp_now(tp);
	uint32_t newly = 0;
	*dsack = 0;
	NS_STAT_ADD(st, tcp_sack_blocks_rx, o->nsack);
	for (int i = 0; i < o->nsack; i++) {
		uint32_t s = o->sack[i][0], e = o->sack[i][1];
		if (!SEQ_LT(s, e))
			continue;
		/* RFC 2883 4: the first block is a D-SACK when it lies below
		 * the cumulative ACK or inside the second block. */
		if (i == 0 && (SEQ_LEQ(e, seg->ack) ||
			       (o->nsack > 1 && SEQ_GEQ(s, o->sack[1][0]) && SEQ_LEQ(e, o->sack[1][1])))) {
			*dsack = 1;
			tp->dsacks_rcvd++;
			NS_STAT_INC(st, tcp_dsack_rx);
			continue;
		}
		/* RFC 2018: only blocks within what we sent count. */
		if (SEQ_LT(s, tp->snd_una) || SEQ_GT(e, tp->snd_nxt))
			continue;
		for (struct tcp_seg *r = tp->rtx_head; r; r = r->next) {
			if (SEQ_LEQ(r->end, s))
				continue;
			if (SEQ_GEQ(r->seq, e))
				break;
			if (r->flags & SEG_SACKED)
				continue;
			if (r->flags & SEG_SYN)
				continue;
			/* Cut the record at the block's edges. */
			if (SEQ_LT(r->seq, s)) {
				if (!tcp_seg_split(tp, r, s))
					break;
				continue; /* the next record starts at s */
			}
			if (SEQ_GT(r->end, e) && !(r->flags & SEG_FIN && r->end - 1 == e)) {
				if (!tcp_seg_split(tp, r, e))
					break;
			}
			r->flags |= SEG_SACKED;
			tp->sacked_out++;
			tp->sacked_bytes += r->end - r->seq;
			if (r->flags & SEG_LOST) {
				r->flags &= (uint16_t)~SEG_LOST;
				tp->lost_out--;
			}
			if (r->flags & SEG_RETRANS) {
				r->flags &= (uint16_t)~SEG_RETRANS;
				tp->retrans_out--;
			}
			if (SEQ_GT(r->end, tp->high_sacked))
				tp->high_sacked = r->end;
			tcp_rack_advance(tp, r, now, 1);
			tp->delivered++;
			newly++;
		}
	}
	return newly;
}

int tcp_sack_build(struct tcp_sock *tp, uint32_t blocks[][2], int max)
{
	int n = 0;
	if (tp->dsack_pending && n < max) {
		blocks[n][0] = tp->dsack[0];
		blocks[n][1] = tp->dsack[1];
		n++;
		NS_STAT_INC(tp->sk.stack, tcp_dsack_tx);
	}
	if (!tp->ooo)
		return n;
	/* RFC 2018 4: the block holding the most recent segment first. */
	int have_last = 0;
	for (struct pkt *c = tp->ooo; c; c = c->next) {
		uint32_t cs = (uint32_t)c->cookie;
		if (SEQ_LEQ(tp->sack_last[0], cs) && SEQ_LT(cs, tp->sack_last[1]))
			have_last = 1;
	}
	if (have_last && n < max) {
		blocks[n][0] = SEQ_MAX(tp->sack_last[0], tp->rcv_nxt);
		blocks[n][1] = tp->sack_last[1];
		n++;
	}
	/* Then the other runs, highest first (most likely the newest). */
	uint32_t runs[64][2];
	int nr = 0;
	for (struct pkt *c = tp->ooo; c && nr < 64; c = c->next) {
		uint32_t cs = (uint32_t)c->cookie, ce = cs + c->len;
		if (nr && runs[nr - 1][1] == cs)
			runs[nr - 1][1] = ce;
		else {
			runs[nr][0] = cs;
			runs[nr][1] = ce;
			nr++;
		}
	}
	for (int i = nr - 1; i >= 0 && n < max; i--) {
		if (have_last && SEQ_LEQ(runs[i][0], tp->sack_last[0]) &&
		    SEQ_GEQ(runs[i][1], tp->sack_last[1]))
			continue;
		/* A segment that could not be moved to the receive queue
		 * (no memory, ooo_drain()) stays queued with its head below
		 * RCV.NXT: report only what lies above the cumulative ACK,
		 * as for the first block (a block reaching below it reads
		 * as a D-SACK, RFC 2883, and only the first may be one). */
		blocks[n][0] = SEQ_MAX(runs[i][0], tp->rcv_nxt);
		blocks[n][1] = runs[i][1];
		n++;
	}
	return n;
}
