/*
 * Congestion control behind an ops table: CUBIC (RFC 9438, the default, with
 * HyStart's delay-increase slow-start exit) and NewReno (RFC 5681 / RFC
 * 6582), selectable per socket with TCP_CONGESTION ("cubic", "reno",
 * "newreno"). cwnd and ssthresh are counted in segments.
 */
#include <math.h>

#include "tcp_priv.h"

/* Slow start (RFC 5681 3.1 with RFC 3465 L=... counted per packet as
 * Linux): returns the acked packets left over once ssthresh is reached. */
static uint32_t slow_start(struct tcp_sock *tp, uint32_t acked)
{
	uint32_t cwnd = NS_MIN(tp->snd_cwnd + acked, tp->snd_ssthresh);
	acked -= cwnd - tp->snd_cwnd;
	tp->snd_cwnd = cwnd;
	return acked;
}

/* Additive increase: one segment per `w` packets acknowledged. */
static void cong_avoid_ai(struct tcp_sock *tp, uint32_t w, uint32_t acked)
{
	if (tp->snd_cwnd_cnt >= w) {
		tp->snd_cwnd_cnt = 0;
		tp->snd_cwnd++;
	}
	tp->snd_cwnd_cnt += acked;
	if (tp->snd_cwnd_cnt >= w) {
		uint32_t delta = tp->snd_cwnd_cnt / w;
		tp->snd_cwnd_cnt -= delta * w;
		tp->snd_cwnd += delta;
	}
}

/* ---- NewReno ---- */

static void reno_init(struct tcp_sock *tp)
{
	tp->snd_cwnd_cnt = 0;
}

static void reno_cong_avoid(struct tcp_sock *tp, uint32_t acked)
{
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		acked = slow_start(tp, acked);
		if (!acked)
			return;
	}
	/* RFC 5681 3.1 congestion avoidance: about one MSS per RTT. */
	cong_avoid_ai(tp, tp->snd_cwnd, acked);
}

static uint32_t reno_ssthresh(struct tcp_sock *tp)
{
	/* RFC 5681 eq. (4), in segments. */
	return NS_MAX(tp->snd_cwnd >> 1, 2u);
}

const struct tcp_cc_ops tcp_newreno_ops = {
	.name = "reno",
	.init = reno_init,
	.cong_avoid = reno_cong_avoid,
	.ssthresh = reno_ssthresh,
};

/* ---- CUBIC (RFC 9438) ---- */

#define CUBIC_C 0.4	/* RFC 9438 4.1 */
#define CUBIC_BETA 0.7	/* RFC 9438 4.6 */
#define HYSTART_MIN_SAMPLES 8
#define HYSTART_DELAY_MIN_US 4000
#define HYSTART_DELAY_MAX_US 16000
#define HYSTART_LOW_WINDOW 16

static void cubic_reset(struct cubic_state *c)
{
	uint32_t delay_min = c->delay_min_us;
	memset(c, 0, sizeof(*c));
	c->delay_min_us = delay_min;
}

static void hystart_round(struct tcp_sock *tp)
{
	struct cubic_state *c = &tp->cubic;
	c->round_start = tcp_now(tp);
	c->round_start_seq = tp->snd_nxt;
	c->curr_rtt_us = 0;
	c->sample_cnt = 0;
}

static void cubic_init(struct tcp_sock *tp)
{
	cubic_reset(&tp->cubic);
	tp->cubic.delay_min_us = 0;
	tp->snd_cwnd_cnt = 0;
	hystart_round(tp);
}

static void cubic_update(struct tcp_sock *tp, uint32_t acked)
{
	struct cubic_state *c = &tp->cubic;
	ns_time_t now = tcp_now(tp);
	uint32_t cwnd = tp->snd_cwnd;

	c->ack_cnt += acked;
	if (c->epoch_start == 0) {
		/* RFC 9438 4.2: a new congestion-avoidance epoch. */
		c->epoch_start = now;
		c->ack_cnt = acked;
		c->tcp_cwnd = cwnd;
		if (c->w_max > cwnd) {
			c->K_ms = (uint32_t)(cbrt((c->w_max - cwnd) / CUBIC_C) * 1000.0);
			c->origin_point = c->w_max;
		} else {
			c->K_ms = 0;
			c->origin_point = cwnd;
		}
	}
	/* W_cubic(t + RTT), RFC 9438 4.2 eq. 1, t in seconds. */
	double t = (double)(now - c->epoch_start) / 1e9 + (double)c->delay_min_us / 1e6;
	double d = t - (double)c->K_ms / 1000.0;
	double target = (double)c->origin_point + CUBIC_C * d * d * d;
	uint32_t cnt;
	if (target > cwnd) {
		/* A target a hair above cwnd (t near K) makes cwnd / diff
		 * too big for a uint32_t (converting it is undefined): grow
		 * no slower than when the target is reached. */
		double diff = target - cwnd;
		double q = (double)cwnd / diff;
		cnt = q >= 100.0 * cwnd ? 100 * cwnd : (uint32_t)NS_MAX(1.0, q);
	} else {
		cnt = 100 * cwnd; /* very slow growth */
	}
	/* RFC 9438 4.3: the Reno-friendly region. alpha = 3(1-b)/(1+b). */
	double alpha = 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);
	double est_inc = alpha * (double)c->ack_cnt / (double)NS_MAX(cwnd, 1u);
	if (est_inc >= 1.0) {
		c->tcp_cwnd += (uint32_t)est_inc;
		c->ack_cnt = 0;
	}
	if (c->tcp_cwnd > cwnd) {
		uint32_t friendly = cwnd / (c->tcp_cwnd - cwnd);
		if (friendly < cnt)
			cnt = NS_MAX(friendly, 1u);
	}
	/* Linux caps growth at 1.5x per RTT in CA. */
	if (cnt < 2)
		cnt = 2;
	c->cnt = cnt;
}

static void hystart_update(struct tcp_sock *tp, uint32_t rtt_us)
{
	struct cubic_state *c = &tp->cubic;
	if (c->found || tp->snd_cwnd >= tp->snd_ssthresh)
		return;
	if (SEQ_GT(tp->snd_una, c->round_start_seq))
		hystart_round(tp);
	if (tp->snd_cwnd < HYSTART_LOW_WINDOW)
		return;
	/* HyStart delay increase: the round's minimum RTT over the first
	 * samples, compared with the connection's minimum. */
	if (c->sample_cnt < HYSTART_MIN_SAMPLES) {
		if (!c->curr_rtt_us || rtt_us < c->curr_rtt_us)
			c->curr_rtt_us = rtt_us;
		c->sample_cnt++;
		return;
	}
	uint32_t thresh = c->delay_min_us / 8;
	if (thresh < HYSTART_DELAY_MIN_US)
		thresh = HYSTART_DELAY_MIN_US;
	if (thresh > HYSTART_DELAY_MAX_US)
		thresh = HYSTART_DELAY_MAX_US;
	if (c->delay_min_us && c->curr_rtt_us > c->delay_min_us + thresh) {
		c->found = 1;
		tp->snd_ssthresh = tp->snd_cwnd;
	}
}

static void cubic_rtt_sample(struct tcp_sock *tp, uint32_t rtt_us)
{
	struct cubic_state *c = &tp->cubic;
	if (!c->delay_min_us || rtt_us < c->delay_min_us)
		c->delay_min_us = rtt_us;
	hystart_update(tp, rtt_us);
}

static void cubic_cong_avoid(struct tcp_sock *tp, uint32_t acked)
{
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		acked = slow_start(tp, acked);
		if (!acked)
			return;
	}
	cubic_update(tp, acked);
	cong_avoid_ai(tp, tp->cubic.cnt, acked);
}

static uint32_t cubic_ssthresh(struct tcp_sock *tp)
{
	struct cubic_state *c = &tp->cubic;
	uint32_t cwnd = tp->snd_cwnd;
	c->epoch_start = 0;
	/* RFC 9438 4.7 fast convergence. */
	if (cwnd < c->w_max)
		c->w_max = (uint32_t)(cwnd * (1.0 + CUBIC_BETA) / 2.0);
	else
		c->w_max = cwnd;
	return NS_MAX((uint32_t)(cwnd * CUBIC_BETA), 2u);
}

static void cubic_event(struct tcp_sock *tp, enum tcp_cc_event ev)
{
	struct cubic_state *c = &tp->cubic;
	switch (ev) {
	case CC_EVENT_LOSS_RTO:
		/* RFC 9438 4.8: after a timeout start afresh. */
		cubic_reset(c);
		hystart_round(tp);
		break;
	case CC_EVENT_IDLE_RESTART:
		c->epoch_start = 0;
		break;
	default:
		break;
	}
}

const struct tcp_cc_ops tcp_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.cong_avoid = cubic_cong_avoid,
	.ssthresh = cubic_ssthresh,
	.event = cubic_event,
	.rtt_sample = cubic_rtt_sample,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	if (!strcmp(name, "cubic"))
		return &tcp_cubic_ops;
	if (!strcmp(name, "reno") || !strcmp(name, "newreno"))
		return &tcp_newreno_ops;
	return NULL;
}
