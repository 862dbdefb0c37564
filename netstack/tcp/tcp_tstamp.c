/*
 * SO_TIMESTAMPING's transmit stamps on TCP (Documentation/networking/
 * timestamping.rst): a send that asks (the socket's TX_* flags, or its
 * SO_TIMESTAMPING control message's) is stamped where its last byte is.
 * The segment that carries that byte is stamped as it first leaves
 * (SCM_TSTAMP_SCHED, SCM_TSTAMP_SND, by the stack's eth_output), and,
 * with TX_ACK, once the cumulative ACK covers it (SCM_TSTAMP_ACK, quoting
 * that segment's payload, without headers, as Linux quotes the skb of its
 * retransmission queue). With OPT_ID a report's id (ee_data) is the byte's
 * place counted from the base OPT_ID took (snd_una, or the bytes written
 * with OPT_ID_TCP), as Linux's tskey less sk_tskey.
 *
 * Linux marks the socket's last skb of the send; two sends whose bytes
 * share one skb (the first not yet sent) keep the later one's id only.
 * Here a segment that carries the last bytes of several sends is stamped
 * for the latest of them alike.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp_priv.h"

#define TSQ_GEN (NS_SOF_TX_SOFTWARE | NS_SOF_TX_SCHED | NS_SOF_TX_ACK)

static uint32_t tsq_key(const struct tcp_sock *tp, const struct tcp_tsreq *r)
{
	return tp->sk.tsflags & NS_SOF_OPT_ID ? r->last - tp->sk.tskey : 0;
}

/* Drops requests [0, n) and moves the rest to the front. */
static void tsq_shift(struct tcp_sock *tp, uint32_t n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(tp->tsq[i].data);
	memmove(tp->tsq, tp->tsq + n, (tp->tsq_n - n) * sizeof(*tp->tsq));
	tp->tsq_n -= n;
}

void tcp_tstamp_send(struct tcp_sock *tp, const struct msghdr *m)
{
	/* Linux sockcm_init and __sock_cmsg_send: the socket's flags, the
	 * control message's TX_* flags instead of the socket's */
	uint32_t f = tp->sk.tsflags, cf;
	if (m->msg_controllen && ns_sock_cmsg_tsflags(m, &cf))
		f = (f & ~NS_SOF_TX_RECORD_MASK) | cf;
	f &= TSQ_GEN;
	if (!f || !tp->sndq.len)
		return;
	if (tp->tsq_n == tp->tsq_cap) {
		uint32_t cap = tp->tsq_cap ? tp->tsq_cap * 2 : 4;
		struct tcp_tsreq *q = realloc(tp->tsq, cap * sizeof(*q));
		if (!q)
			return; /* (the stamps are lost, as Linux's when its report finds no memory) */
		tp->tsq = q;
		tp->tsq_cap = cap;
	}
	struct tcp_tsreq *r = &tp->tsq[tp->tsq_n++];
	memset(r, 0, sizeof(*r));
	r->last = tp->snd_buf_seq + tp->sndq.len - 1;
	r->flags = f;
	/* (a last byte that already left, with an earlier piece of a long
	 * send, is not stamped as it leaves) */
	r->sent = SEQ_LT(r->last, tp->snd_nxt);
}

int tcp_tstamp_begin(struct tcp_sock *tp, uint32_t seq, uint32_t end, struct ns_tx_stamp *t)
{
	struct tcp_tsreq *hit = NULL;
	for (uint32_t i = 0; i < tp->tsq_n; i++) {
		struct tcp_tsreq *r = &tp->tsq[i];
		if (r->sent || SEQ_LT(r->last, seq))
			continue;
		if (SEQ_GEQ(r->last, end))
			break;
		if (hit) { /* (an earlier send in the same segment: see above) */
			hit->sent = 1;
			hit->flags = 0;
		}
		hit = r;
	}
	if (!hit)
		return 0;
	hit->sent = 1;
	if ((hit->flags & NS_SOF_TX_ACK) && !(tp->sk.tsflags & NS_SOF_OPT_TSONLY)) {
		uint32_t len = end - seq;
		hit->data = malloc(len);
		if (hit->data) {
			tcp_ring_peek(&tp->sndq, seq - tp->snd_buf_seq, hit->data, len);
			hit->len = len;
		}
	}
	uint32_t flags = hit->flags & (NS_SOF_TX_SOFTWARE | NS_SOF_TX_SCHED);
	t->sk = &tp->sk;
	t->flags = flags;
	t->key = tsq_key(tp, hit);
	t->done = 0;
	/* requests done with (sent, no ACK stamp to wait for) go, from the
	 * front: the rest wait in order */
	uint32_t n = 0;
	while (n < tp->tsq_n && tp->tsq[n].sent && !(tp->tsq[n].flags & NS_SOF_TX_ACK))
		n++;
	tsq_shift(tp, n);
	if (!flags)
		return 0;
	tp->sk.stack->tx_stamp = t;
	return 1;
}

void tcp_tstamp_acked(struct tcp_sock *tp)
{
	uint32_t n = 0;
	while (n < tp->tsq_n && SEQ_LT(tp->tsq[n].last, tp->snd_una)) {
		struct tcp_tsreq *r = &tp->tsq[n];
		/* Linux tcp_ack_tstamp: when the ACK covers the whole skb */
		if ((r->flags & NS_SOF_TX_ACK) && r->sent)
			ns_tx_stamp_post(&tp->sk, SCM_TSTAMP_ACK, tsq_key(tp, r), r->data, r->len, 0);
		n++;
	}
	tsq_shift(tp, n);
}

void tcp_tstamp_purge(struct tcp_sock *tp)
{
	tsq_shift(tp, tp->tsq_n);
	free(tp->tsq);
	tp->tsq = NULL;
	tp->tsq_cap = 0;
}
