/*
 * tcp_cc: congestion window evolution. NewReno (RFC 5681 3.1) and CUBIC
 * (RFC 9438) are driven through their ops over simulated ACK sequences on
 * the fake clock and compared with the RFC formulas; then slow start and
 * the choice of algorithm are checked on the wire.
 *
 * RFC 9438: W_cubic(t) = C (t - K)^3 + W_max (eq. 1), K = cbrt(W_max (1 -
 * beta) / C) (eq. 2) with C = 0.4, beta = 0.7; the Reno-friendly estimate
 * W_est = W_max beta + alpha t / RTT (eq. 4) with alpha = 3 (1 - beta) /
 * (1 + beta) (section 4.3).
 */
#include <math.h>

#include "tcp_helpers.h"

#define MS NS_MSEC

static struct tcp_sock *cc_sock(const char *name, uint32_t cwnd, uint32_t ssthresh)
{
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct tcp_sock *tp = tcp_sk(s);
	tp->cc = tcp_cc_find(name);
	ck_assert_ptr_nonnull(tp->cc);
	tp->cc->init(tp);
	tp->mss = 1460;
	tp->snd_cwnd = cwnd;
	tp->snd_ssthresh = ssthresh;
	return tp;
}

/* One round trip: every segment of the window is acknowledged (one ACK
 * each), then the clock moves one RTT. */
static void round_trip(struct tcp_sock *tp, ns_time_t rtt)
{
	uint32_t w = tp->snd_cwnd;
	for (uint32_t i = 0; i < w; i++)
		tp->cc->cong_avoid(tp, 1);
	t_run(rtt);
}

/* RFC 5681 3.1 (eq. 2, counted per segment as RFC 3465 with L = 1):
 * slow start grows cwnd by one segment per segment acknowledged. */
START_TEST(reno_slow_start_adds_a_segment_per_segment_acknowledged)
{
	struct tcp_sock *tp = cc_sock("reno", 10, 0x7fffffff);
	for (int i = 0; i < 10; i++)
		tp->cc->cong_avoid(tp, 1);
	ck_assert_uint_eq(tp->snd_cwnd, 20);
	tp->cc->cong_avoid(tp, 20);
	ck_assert_uint_eq(tp->snd_cwnd, 40);
}
END_TEST

/* RFC 5681 3.1: slow start ends at ssthresh; the rest of the ACK counts
 * toward congestion avoidance. */
START_TEST(reno_slow_start_stops_at_ssthresh)
{
	struct tcp_sock *tp = cc_sock("reno", 10, 12);
	tp->cc->cong_avoid(tp, 5);
	ck_assert_uint_eq(tp->snd_cwnd, 12);
	/* 3 of 12 towards the next segment: 9 more make it. */
	for (int i = 0; i < 8; i++)
		tp->cc->cong_avoid(tp, 1);
	ck_assert_uint_eq(tp->snd_cwnd, 12);
	tp->cc->cong_avoid(tp, 1);
	ck_assert_uint_eq(tp->snd_cwnd, 13);
}
END_TEST

/* RFC 5681 3.1 eq. (3): in congestion avoidance, one segment per window's
 * worth of ACKs: one per round trip. */
START_TEST(reno_congestion_avoidance_adds_one_segment_per_round_trip)
{
	struct tcp_sock *tp = cc_sock("reno", 20, 10);
	for (int r = 0; r < 30; r++) {
		uint32_t before = tp->snd_cwnd;
		round_trip(tp, 100 * MS);
		ck_assert_uint_eq(tp->snd_cwnd, before + 1);
	}
	ck_assert_uint_eq(tp->snd_cwnd, 50);
}
END_TEST

/* RFC 5681 3.1 eq. (4): ssthresh = max(FlightSize / 2, 2 SMSS). */
START_TEST(reno_loss_halves_the_window_but_not_below_two_segments)
{
	struct tcp_sock *tp = cc_sock("reno", 20, 0x7fffffff);
	ck_assert_uint_eq(tp->cc->ssthresh(tp), 10);
	tp->snd_cwnd = 3;
	ck_assert_uint_eq(tp->cc->ssthresh(tp), 2);
}
END_TEST

/* RFC 9438 4.6: a loss sets ssthresh to cwnd x beta (0.7) and remembers
 * W_max; 4.7 fast convergence: a loss below the last W_max lowers W_max
 * further to cwnd (1 + beta) / 2. */
START_TEST(cubic_loss_multiplies_by_0_7_and_fast_convergence_lowers_w_max)
{
	struct tcp_sock *tp = cc_sock("cubic", 100, 0x7fffffff);
	ck_assert_uint_eq(tp->cc->ssthresh(tp), 70);
	ck_assert_uint_eq(tp->cubic.w_max, 100);
	tp->snd_cwnd = 80;
	ck_assert_uint_eq(tp->cc->ssthresh(tp), 56);
	ck_assert_uint_eq(tp->cubic.w_max, 68); /* 80 x 1.7 / 2 */
	tp->snd_cwnd = 2;
	ck_assert_uint_eq(tp->cc->ssthresh(tp), 2);
}
END_TEST

static double w_cubic(double t, double w_max, double k)
{
	return 0.4 * (t - k) * (t - k) * (t - k) + w_max;
}

/* RFC 9438 4.2: after a loss at W_max = 100 (cwnd 70) with a 100 ms RTT,
 * cwnd follows W_cubic(t): at each round trip it is between W_cubic(t)
 * and W_cubic(t + RTT) (the target), give or take a segment. */
START_TEST(cubic_window_follows_the_cubic_function_after_a_loss)
{
	struct tcp_sock *tp = cc_sock("cubic", 100, 0x7fffffff);
	tp->snd_ssthresh = tp->cc->ssthresh(tp);
	tp->snd_cwnd = tp->snd_ssthresh;
	tp->cc->rtt_sample(tp, 100000);
	double k = cbrt(100 * 0.3 / 0.4);
	ns_time_t t0 = t_now();
	for (int r = 0; r < 80; r++) {
		round_trip(tp, 100 * MS);
		double t = (double)(t_now() - t0) / 1e9;
		double lo = w_cubic(t, 100, k) - 1.5, hi = w_cubic(t + 0.1, 100, k) + 1.5;
		ck_assert_msg(tp->snd_cwnd >= lo && tp->snd_cwnd <= hi,
			      "t %.1f s: cwnd %u, W_cubic %.1f .. %.1f", t, tp->snd_cwnd, lo + 1.5,
			      hi - 1.5);
	}
}
END_TEST

/* RFC 9438 4.2 figure 2: growth is concave up to K (slowing down towards
 * W_max), then convex (speeding up); W_max is reached at about K. */
START_TEST(cubic_growth_is_concave_before_k_and_convex_after)
{
	struct tcp_sock *tp = cc_sock("cubic", 100, 0x7fffffff);
	tp->snd_ssthresh = tp->cc->ssthresh(tp);
	tp->snd_cwnd = tp->snd_ssthresh;
	tp->cc->rtt_sample(tp, 100000);
	uint32_t w[90];
	for (int r = 0; r < 90; r++) {
		w[r] = tp->snd_cwnd;
		round_trip(tp, 100 * MS);
	}
	/* W_max is the plateau: not passed before K (4.22 s), passed after. */
	double k = cbrt(75.0);
	for (int r = 0; r * 0.1 + 0.1 <= k; r++)
		ck_assert_msg(w[r] <= 100, "cwnd %u above W_max at %.1f s, before K", w[r], r * 0.1);
	ck_assert_uint_gt(w[60], 100);
	/* Concave: the first two seconds grow more than the next two. */
	ck_assert_uint_gt(w[20] - w[0], w[40] - w[20]);
	/* Flat around K. */
	ck_assert_uint_le(w[46] - w[38], 2);
	/* Convex: after K each two seconds grow more than the previous. */
	ck_assert_uint_gt(w[86] - w[66], w[66] - w[46]);
}
END_TEST

/* RFC 9438 4.3: where Reno would grow faster (small W_max, short RTT),
 * CUBIC follows the Reno-friendly estimate W_est = W_max beta +
 * alpha t / RTT rather than the cubic curve. */
START_TEST(cubic_grows_at_least_as_fast_as_reno_in_the_friendly_region)
{
	struct tcp_sock *tp = cc_sock("cubic", 20, 0x7fffffff);
	tp->snd_ssthresh = tp->cc->ssthresh(tp);
	tp->snd_cwnd = tp->snd_ssthresh;
	ck_assert_uint_eq(tp->snd_cwnd, 14);
	tp->cc->rtt_sample(tp, 10000);
	double alpha = 3 * 0.3 / 1.7, k = cbrt(20 * 0.3 / 0.4);
	for (int r = 1; r <= 100; r++)
		round_trip(tp, 10 * MS);
	double w_est = 14 + alpha * 100, wc = w_cubic(1.0, 20, k);
	ck_assert_msg(tp->snd_cwnd >= w_est - 2 && tp->snd_cwnd <= w_est + 2,
		      "cwnd %u after 100 RTTs: W_est %.1f (W_cubic %.1f)", tp->snd_cwnd, w_est, wc);
}
END_TEST

/* RFC 9438 4.8: after a timeout the next congestion avoidance epoch has
 * K = 0 and W_max = the cwnd it starts at: it grows convexly from there. */
START_TEST(cubic_after_a_timeout_grows_convexly_from_where_it_starts)
{
	struct tcp_sock *tp = cc_sock("cubic", 100, 0x7fffffff);
	tp->snd_ssthresh = tp->cc->ssthresh(tp);
	tp->cc->event(tp, CC_EVENT_LOSS_RTO);
	tp->snd_cwnd = 1;
	tp->cc->rtt_sample(tp, 100000);
	/* Slow start up to ssthresh (70)... */
	while (tp->snd_cwnd < tp->snd_ssthresh)
		round_trip(tp, 100 * MS);
	ck_assert_uint_eq(tp->snd_cwnd, 70);
	/* ...then W(t) = 0.4 t^3 + 70. */
	ns_time_t t0 = t_now();
	for (int r = 0; r < 40; r++) {
		round_trip(tp, 100 * MS);
		double t = (double)(t_now() - t0) / 1e9;
		double lo = w_cubic(t, 70, 0) - 1.5, hi = w_cubic(t + 0.1, 70, 0) + 1.5;
		/* Reno-friendliness may lead early on: W_est = 70 + 0.53 t/RTT. */
		double est = 70 + 3 * 0.3 / 1.7 * t / 0.1;
		if (est > hi)
			hi = est + 1.5;
		ck_assert_msg(tp->snd_cwnd >= lo && tp->snd_cwnd <= hi, "t %.1f s: cwnd %u, %.1f .. %.1f",
			      t, tp->snd_cwnd, lo, hi);
	}
	ck_assert_uint_eq(tp->cubic.K_ms, 0);
}
END_TEST

/* RFC 9438 4.4: cwnd grows by (W_cubic(t + RTT) - cwnd) / cwnd per ACK. A
 * target a hair above cwnd (here W_max = cwnd and t = RTT = 20 us) asks for
 * one more segment per 10^15 ACKs: a count that fits no uint32_t (the
 * conversion was undefined); it is the slowest growth instead, as when the
 * target is reached. */
START_TEST(cubic_target_a_hair_above_cwnd_means_the_slowest_growth)
{
	struct tcp_sock *tp = cc_sock("cubic", 10, 5);
	tp->cubic.delay_min_us = 20;
	tp->cc->cong_avoid(tp, 1);
	ck_assert_uint_eq(tp->cubic.cnt, 100 * 10);
	ck_assert_uint_eq(tp->snd_cwnd, 10);
}
END_TEST

/* RFC 5681 3.1 on the wire: slow start doubles the flight each round trip
 * when every segment is acknowledged (10, 20, 40, 80 segments). */
START_TEST(slow_start_doubles_the_flight_every_round_trip)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .ws_on = 1, .ws = 7, .cc = "reno");
	static uint8_t buf[1 << 18];
	memset(buf, 'x', sizeof(buf));
	int expect = 10;
	for (int round = 0; round < 4; round++) {
		/* The application keeps the send buffer full. */
		while (ns_send(c.s, buf, sizeof(buf), 0) > 0)
			;
		struct t_in segs[128];
		int n = 0;
		while (n < 128 && t_take(&segs[n]))
			n++;
		ck_assert_msg(n == expect, "round %d: %d segments, expected %d", round, n, expect);
		t_run(100 * MS);
		/* One ACK per segment; what they release is the next round. */
		for (int i = 0; i < n; i++) {
			t_note(&c, &segs[i]);
			t_ack_upto(&c, segs[i].seq + segs[i].len);
			while (ns_send(c.s, buf, sizeof(buf), 0) > 0)
				;
		}
		expect *= 2;
	}
	t_close(&c);
}
END_TEST

/* TCP_CONGESTION (Linux): "cubic" by default, "reno" on request, an
 * unknown name is ENOENT. */
START_TEST(tcp_congestion_selects_the_algorithm)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	char name[16];
	socklen_t len = sizeof(name);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
	ck_assert_str_eq(name, "cubic");
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	len = sizeof(name);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
	ck_assert_str_eq(name, "reno");
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "vegas", 5), -ENOENT);
	ns_close(s);
}
END_TEST

/* One slow-start round for HyStart: the round starts when snd_una passes
 * the previous round's end; n RTT samples of rtt_us each. */
static void hystart_round_of(struct tcp_sock *tp, uint32_t *seq, uint32_t rtt_us, int n)
{
	tp->snd_una = *seq + 1;
	*seq += 100000;
	tp->snd_nxt = *seq;
	for (int i = 0; i < n; i++)
		tp->cc->rtt_sample(tp, rtt_us);
}

/* HyStart (RFC 9406 4.2's delay test; Linux's form in CUBIC): when a
 * round's minimum RTT exceeds the lowest seen by more than clamp(RTT/8,
 * 4 ms, 16 ms), slow start ends: ssthresh = cwnd. */
START_TEST(hystart_ends_slow_start_when_the_rtt_grows)
{
	struct tcp_sock *tp = cc_sock("cubic", 20, 0x7fffffff);
	uint32_t seq = 0;
	hystart_round_of(tp, &seq, 100000, 9);
	ck_assert_uint_eq(tp->snd_ssthresh, 0x7fffffff);
	hystart_round_of(tp, &seq, 120000, 9); /* +20 ms > 12.5 ms */
	ck_assert_uint_eq(tp->snd_ssthresh, 20);
}
END_TEST

/* ...and an increase within the threshold does not end it. */
START_TEST(hystart_keeps_slow_start_through_small_rtt_changes)
{
	struct tcp_sock *tp = cc_sock("cubic", 20, 0x7fffffff);
	uint32_t seq = 0;
	hystart_round_of(tp, &seq, 100000, 9);
	hystart_round_of(tp, &seq, 110000, 9); /* +10 ms < 12.5 ms */
	hystart_round_of(tp, &seq, 105000, 9);
	ck_assert_uint_eq(tp->snd_ssthresh, 0x7fffffff);
}
END_TEST

Suite *tcp_cc_suite(void)
{
	Suite *s = unit_suite("tcp_cc");
	ADD_FX(s, reno_slow_start_adds_a_segment_per_segment_acknowledged);
	ADD_FX(s, reno_slow_start_stops_at_ssthresh);
	ADD_FX(s, reno_congestion_avoidance_adds_one_segment_per_round_trip);
	ADD_FX(s, reno_loss_halves_the_window_but_not_below_two_segments);
	ADD_FX(s, cubic_loss_multiplies_by_0_7_and_fast_convergence_lowers_w_max);
	ADD_FX(s, cubic_window_follows_the_cubic_function_after_a_loss);
	ADD_FX(s, cubic_growth_is_concave_before_k_and_convex_after);
	ADD_FX(s, cubic_grows_at_least_as_fast_as_reno_in_the_friendly_region);
	ADD_FX(s, cubic_after_a_timeout_grows_convexly_from_where_it_starts);
	ADD_FX(s, cubic_target_a_hair_above_cwnd_means_the_slowest_growth);
	ADD_FX(s, slow_start_doubles_the_flight_every_round_trip);
	ADD_FX(s, tcp_congestion_selects_the_algorithm);
	ADD_FX(s, hystart_ends_slow_start_when_the_rtt_grows);
	ADD_FX(s, hystart_keeps_slow_start_through_small_rtt_changes);
	return s;
}
