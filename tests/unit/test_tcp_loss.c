/*
 * tcp_loss: loss detection and recovery as the peer sees the retransmissions:
 * the SACK scoreboard (RFC 2018, RFC 6675) through TCP_INFO, D-SACK
 * recognition (RFC 2883), RACK's reordering window and its widening by
 * D-SACK (RFC 8985 6), tail loss probes and their outcome (RFC 8985 7),
 * NewReno fast retransmit and partial ACKs without SACK (RFC 5681 3.2,
 * RFC 6582), and recovery after an RTO (RFC 5681 3.1, RFC 6298 5).
 *
 * Every connection has a 100 ms RTT: each ACK the peer sends comes 100 ms
 * after the data it acknowledges, so SRTT and min_RTT stay 100 ms and the
 * RTO 300 ms.
 */
#include "tcp_helpers.h"

#define MS NS_MSEC
#define MSS 1460

struct flight {
	int n;
	struct t_in seg[16];
	uint32_t s[16], e[16]; /* sequence range of each */
	ns_time_t t0;
};

/* Open a connection (SACK or not, congestion control cc) and send n
 * full segments; they are taken off the wire into *f. */
static void send_flight(struct t_conn *c, struct flight *f, int sack, const char *cc, int n)
{
	T_ACCEPT(c, .rtt = 100 * MS, .sack = (uint8_t)sack, .cc = cc);
	ck_assert_int_eq(c->sack, sack);
	f->t0 = t_now();
	ck_assert_int_eq(t_write(c->s, (size_t)n * MSS, 1), n * MSS);
	f->n = 0;
	while (t_take(&f->seg[f->n])) {
		ck_assert_int_eq(f->seg[f->n].len, MSS);
		f->s[f->n] = f->seg[f->n].seq;
		f->e[f->n] = f->seg[f->n].seq + MSS;
		f->n++;
	}
	ck_assert_int_eq(f->n, n);
}

/* The peer's ACK of `ack` with SACK blocks (pairs of sequence numbers). */
static void sack_ack(struct t_conn *c, uint32_t ack, int nb, const uint32_t (*b)[2])
{
	struct t_out o = t_out_for(c);
	o.ack = ack;
	o.nsack = (uint8_t)nb;
	for (int i = 0; i < nb; i++) {
		o.sack[i][0] = b[i][0];
		o.sack[i][1] = b[i][1];
	}
	t_inject(&o);
	c->tsval++;
}

/* RFC 6675 / RFC 8985 6.2: with DupThresh (3) segments SACKed above a
 * hole, it is lost at once and retransmitted; TCP_INFO shows the marks. */
START_TEST(three_sacked_segments_above_a_hole_retransmit_it_at_once)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 10);
	t_run(100 * MS);
	const uint32_t b[1][2] = { { f.s[2], f.e[4] } };
	sack_ack(&c, f.s[1], 1, b);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_uint_eq(r.seq, f.s[1]);
	ck_assert_int_eq(r.len, MSS);
	T_EXPECT_NONE();
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_unacked, 9);
	ck_assert_uint_eq(ti.tcpi_sacked, 3);
	ck_assert_uint_eq(ti.tcpi_lost, 1);
	ck_assert_uint_eq(ti.tcpi_retrans, 1);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Recovery);
	ck_assert_uint_eq(ti.tcpi_total_retrans, 1);
	/* Everything acknowledged: recovery ends with cwnd = ssthresh
	 * (CUBIC: 0.7 x 10). */
	t_run(100 * MS);
	sack_ack(&c, f.e[9], 0, NULL);
	T_EXPECT_NONE();
	ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Open);
	ck_assert_uint_eq(ti.tcpi_snd_ssthresh, 7);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 7);
	ck_assert_uint_eq(ti.tcpi_unacked, 0);
	ck_assert_uint_eq(ti.tcpi_sacked, 0);
	t_close(&c);
}
END_TEST

/* RFC 8985 6.2 step 4 and 6.3: with one segment SACKed above a hole and no
 * reordering seen, the hole is given a reordering window of min_RTT/4
 * (25 ms) before it is deemed lost. */
START_TEST(one_sack_above_a_hole_waits_a_quarter_of_min_rtt_before_retransmitting)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 10);
	t_run(100 * MS);
	const uint32_t b[1][2] = { { f.s[2], f.e[2] } };
	sack_ack(&c, f.s[1], 1, b);
	ns_time_t t1 = t_now();
	T_EXPECT_NONE();
	ck_assert_uint_eq(t_info(c.s).tcpi_sacked, 1);
	struct t_in r;
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, t1 + 25 * MS);
	ck_assert_uint_eq(r.seq, f.s[1]);
	ck_assert_uint_eq(ST(tcp_rack_reo_timeouts), 1);
	t_close(&c);
}
END_TEST

/* RFC 8985 6.2: reordering that resolves within the window costs nothing:
 * no retransmission. */
START_TEST(a_hole_filled_within_the_reordering_window_is_not_retransmitted)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 10);
	t_run(100 * MS);
	const uint32_t b[1][2] = { { f.s[2], f.e[2] } };
	sack_ack(&c, f.s[1], 1, b);
	t_run(20 * MS);
	sack_ack(&c, f.e[2], 0, NULL);
	ck_assert_int_eq(t_run(50 * MS), 0);
	t_run(30 * MS);
	sack_ack(&c, f.e[9], 0, NULL);
	ck_assert_int_eq(t_run(NS_SEC), 0);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_total_retrans, 0);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Open);
	t_close(&c);
}
END_TEST

/* RFC 8985 6.2 step 4: a D-SACK shows a retransmission was spurious; the
 * reordering window grows (RACK.reo_wnd_mult from 1 to 2): the next hole
 * waits min_RTT/2. RFC 2883: the D-SACK is counted (tcpi_dsack_dups). */
START_TEST(dsack_of_a_spurious_retransmission_doubles_the_reordering_window)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 5);
	t_run(100 * MS);
	const uint32_t b[1][2] = { { f.s[2], f.e[2] } };
	sack_ack(&c, f.s[1], 1, b);
	struct t_in r;
	ck_assert(t_run_until(NS_SEC, &r));
	ck_assert_uint_eq(r.seq, f.s[1]);
	/* The original was only late: everything arrives, and the copy is
	 * reported as a duplicate. */
	t_run(75 * MS);
	const uint32_t d[1][2] = { { f.s[1], f.e[1] } };
	sack_ack(&c, f.e[4], 1, d);
	T_EXPECT_NONE();
	ck_assert_uint_eq(t_info(c.s).tcpi_dsack_dups, 1);
	ck_assert_uint_eq(ST(tcp_dsack_rx), 1);
	/* The next flight, same pattern. */
	struct flight g;
	ck_assert_int_eq(t_write(c.s, 3 * MSS, 2), 3 * MSS);
	g.n = 0;
	while (t_take(&g.seg[g.n]))
		g.n++;
	ck_assert_int_eq(g.n, 3);
	t_run(100 * MS);
	const uint32_t b2[1][2] = { { g.seg[1].seq, g.seg[1].seq + MSS } };
	sack_ack(&c, g.seg[0].seq, 1, b2);
	ns_time_t t1 = t_now();
	ck_assert(t_run_until(NS_SEC, &r));
	ck_assert_uint_eq(r.seq, g.seg[0].seq);
	T_AT(r.t, t1 + 50 * MS);
	t_close(&c);
}
END_TEST

/* RFC 2883 4: a first block below the cumulative ACK, or inside the
 * second block, is a D-SACK: counted, and it SACKs nothing by itself. */
START_TEST(dsack_blocks_are_recognised_and_mark_nothing)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 10);
	t_run(100 * MS);
	const uint32_t b[2][2] = { { f.s[4], f.e[4] }, { f.s[3], f.e[5] } };
	sack_ack(&c, f.s[1], 2, b);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_dsack_dups, 1);
	ck_assert_uint_eq(ti.tcpi_sacked, 3);
	t_drain();
	const uint32_t d[1][2] = { { f.s[0], f.e[0] } };
	sack_ack(&c, f.e[9], 1, d);
	ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_dsack_dups, 2);
	ck_assert_uint_eq(ti.tcpi_sacked, 0);
	ck_assert_uint_eq(ti.tcpi_unacked, 0);
	t_close(&c);
}
END_TEST

/* RFC 2018 / RFC 6675 (the scoreboard holds what was sent): SACK blocks
 * for data never sent are ignored. */
START_TEST(sack_blocks_beyond_what_was_sent_are_ignored)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 5);
	t_run(100 * MS);
	const uint32_t b[1][2] = { { f.e[4] + 1000, f.e[4] + 5000 } };
	sack_ack(&c, f.s[1], 1, b);
	ck_assert_uint_eq(t_info(c.s).tcpi_sacked, 0);
	T_EXPECT_NONE();
	t_close(&c);
}
END_TEST

/* RFC 8985 7.2-7.3: when the tail of a flight goes unacknowledged, a probe
 * (the last segment again, no new data being available) leaves two SRTTs
 * after the send, before the RTO; the RTO then runs from the probe. */
START_TEST(tail_loss_probe_resends_the_last_segment_after_two_srtt)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 5);
	struct t_in r;
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, f.t0 + 202 * MS); /* 2 * SRTT + Linux's TCP_TIMEOUT_MIN */
	ck_assert_uint_eq(r.seq, f.s[4]);
	ck_assert_int_eq(r.len, MSS);
	ck_assert_uint_eq(ST(tcp_loss_probes), 1);
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, f.t0 + 502 * MS);
	ck_assert_uint_eq(r.seq, f.s[0]);
	t_close(&c);
}
END_TEST

/* RFC 8985 7 on a FIN (Linux): a lone FIN at the tail is probed too. One
 * segment out: PTO = 2 * SRTT + 200 ms = 400 ms, beyond the 300 ms RTO, so
 * the probe goes at the RTO's time; the RTO runs again from the probe and
 * then backs off. */
START_TEST(a_fin_at_the_tail_gets_a_loss_probe_at_the_rto)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .sack = 1);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin, r;
	T_EXPECT(&fin);
	ck_assert_int_ne(fin.flags & TH_FIN, 0);
	static const int at[] = { 300, 600, 1200 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(at); i++) {
		ck_assert(t_run_until(NS_SEC, &r));
		T_AT(r.t, t0 + (ns_time_t)at[i] * MS);
		ck_assert_int_ne(r.flags & TH_FIN, 0);
		ck_assert_uint_eq(r.seq, fin.seq);
	}
	ck_assert_uint_eq(ST(tcp_loss_probes), 1);
	t_close(&c);
}
END_TEST

/* RFC 8985 7.3: the probe carries new data when there is some and the
 * receive window allows it. */
START_TEST(tail_loss_probe_sends_new_data_when_it_can)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .sack = 1);
	ns_time_t t0 = t_now();
	/* 16384 bytes fit the send buffer; cwnd lets 10 segments go. */
	ck_assert_int_eq(t_write(c.s, 16384, 1), 16384);
	ck_assert_int_eq(t_drain(), 10);
	struct t_in r;
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, t0 + 202 * MS);
	ck_assert_uint_eq(t_off(&c, r.seq), 10 * MSS);
	ck_assert_int_eq(r.len, MSS);
	t_close(&c);
}
END_TEST

/* RFC 8985 7.4.2: a probe that repaired a loss (its ACK covers the tail
 * without a D-SACK) is followed by a congestion response. */
START_TEST(a_probe_that_repaired_a_tail_loss_reduces_cwnd)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 5);
	struct t_in r;
	ck_assert(t_run_until(NS_SEC, &r));
	ck_assert_uint_eq(r.seq, f.s[4]);
	t_run(100 * MS);
	sack_ack(&c, f.e[4], 0, NULL);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_snd_ssthresh, 7);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 7);
	t_close(&c);
}
END_TEST

/* RFC 8985 7.4.1: if the ACK D-SACKs the probe, nothing was lost: no
 * congestion response. */
START_TEST(a_probe_reported_as_duplicate_leaves_cwnd_alone)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 5);
	struct t_in r;
	ck_assert(t_run_until(NS_SEC, &r));
	t_run(100 * MS);
	const uint32_t d[1][2] = { { f.s[4], f.e[4] } };
	sack_ack(&c, f.e[4], 1, d);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 10);
	ck_assert_uint_gt(ti.tcpi_snd_ssthresh, 1000);
	t_close(&c);
}
END_TEST

/* RFC 5681 3.2: fast retransmit on the third duplicate ACK, not before;
 * ssthresh = max(FlightSize / 2, 2 SMSS). */
START_TEST(newreno_fast_retransmits_on_the_third_duplicate_ack)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 0, "reno", 10);
	t_run(100 * MS);
	for (int i = 0; i < 2; i++) {
		sack_ack(&c, f.s[0], 0, NULL);
		T_EXPECT_NONE();
	}
	sack_ack(&c, f.s[0], 0, NULL);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_uint_eq(r.seq, f.s[0]);
	ck_assert_int_eq(r.len, MSS);
	T_EXPECT_NONE();
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Recovery);
	ck_assert_uint_eq(ti.tcpi_snd_ssthresh, 5);
	t_close(&c);
}
END_TEST

/* RFC 6582 3.2 step 5: a partial ACK retransmits the next hole at once and
 * recovery goes on; step 3: the full ACK (of everything sent before
 * recovery) ends it with cwnd deflated to ssthresh. */
START_TEST(newreno_partial_ack_retransmits_the_next_hole_and_the_full_ack_ends_recovery)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 0, "reno", 10);
	t_run(100 * MS);
	for (int i = 0; i < 3; i++)
		sack_ack(&c, f.s[0], 0, NULL);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_uint_eq(r.seq, f.s[0]);
	/* Segments 1-3 had arrived; 4 was lost too. */
	t_run(100 * MS);
	sack_ack(&c, f.s[4], 0, NULL);
	T_EXPECT(&r);
	ck_assert_uint_eq(r.seq, f.s[4]);
	ck_assert_uint_eq(t_info(c.s).tcpi_ca_state, TCP_CA_Recovery);
	t_run(100 * MS);
	sack_ack(&c, f.e[9], 0, NULL);
	T_EXPECT_NONE();
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Open);
	ck_assert_uint_eq(ti.tcpi_snd_ssthresh, 5);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 5);
	ck_assert_uint_eq(ti.tcpi_total_retrans, 2);
	t_close(&c);
}
END_TEST

/* RFC 6298 5.4-5.6, RFC 5681 3.1 eq. (4): an RTO retransmits the first
 * segment only, with cwnd one segment and ssthresh half the flight (Reno);
 * then slow start repairs the rest: 2, then 4 segments per ACKed round. */
START_TEST(after_an_rto_slow_start_resends_the_flight_from_one_segment)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 0, "reno", 10);
	struct t_in r;
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, f.t0 + 300 * MS);
	ck_assert_uint_eq(r.seq, f.s[0]);
	T_EXPECT_NONE();
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Loss);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 1);
	ck_assert_uint_eq(ti.tcpi_snd_ssthresh, 5);
	ck_assert_uint_eq(ti.tcpi_lost, 10);
	t_run(100 * MS);
	sack_ack(&c, f.e[0], 0, NULL);
	T_EXPECT(&r);
	ck_assert_uint_eq(r.seq, f.s[1]);
	T_EXPECT(&r);
	ck_assert_uint_eq(r.seq, f.s[2]);
	T_EXPECT_NONE();
	t_run(100 * MS);
	sack_ack(&c, f.e[2], 0, NULL);
	for (int i = 3; i <= 6; i++) {
		T_EXPECT(&r);
		ck_assert_uint_eq(r.seq, f.s[i]);
	}
	T_EXPECT_NONE();
	t_close(&c);
}
END_TEST

/* RFC 2018 8: SACKed data may be discarded by the receiver (reneging); the
 * sender MUST retransmit the segment at the left edge after a timeout even
 * if it was SACKed (Linux then forgets every SACK mark). */
START_TEST(after_a_timeout_sacked_data_at_the_left_edge_is_retransmitted)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 5);
	t_run(100 * MS);
	const uint32_t b[1][2] = { { f.s[2], f.e[4] } };
	sack_ack(&c, f.s[1], 1, b);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_uint_eq(r.seq, f.s[1]);
	/* The retransmission arrives; the receiver threw 2-4 away. */
	t_run(100 * MS);
	sack_ack(&c, f.s[2], 0, NULL);
	ck_assert(t_run_until(5 * NS_SEC, &r));
	ck_assert_uint_eq(r.seq, f.s[2]);
	/* Repaired, the rest follows as it is acknowledged. */
	t_run(100 * MS);
	sack_ack(&c, f.e[2], 0, NULL);
	uint32_t next = f.s[3];
	for (int i = 0; i < 10 && SEQ_LT(next, f.e[4]); i++) {
		while (t_take(&r)) {
			ck_assert_uint_eq(r.seq, next);
			next = r.seq + r.len;
		}
		t_run(100 * MS);
	}
	ck_assert_uint_eq(next, f.e[4]);
	t_close(&c);
}
END_TEST

/* RFC 1191 6.1: a "fragmentation needed" about data in flight lowers the
 * MSS; the flight is cut to the new size and sent again, every piece full
 * (up to the end of each old segment) and none empty. A record cut in three
 * once left an empty one behind, sent as a zero-length segment. */
START_TEST(a_lower_path_mtu_recuts_the_flight_without_empty_segments)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 0, NULL, 2);
	/* The router quotes our first segment: next-hop MTU 552, so the MSS
	 * is 552 - 40 = 512 and each 1460-byte segment becomes three. */
	uint8_t q[IP4_HDR_LEN + 8];
	struct b_ip4 qh = { .src = B_IP_STACK, .dst = B_IP_PEER, .proto = IPPROTO_TCP_, .df = 1 };
	size_t ql = b_ip4_hdr(q, &qh, TCP_HDR_LEN + MSS);
	ns_wr16(q + ql, c.port);
	ns_wr16(q + ql + 2, c.peer_port);
	ns_wr32(q + ql + 4, f.s[0]);
	fx_inject(b_icmp4(IP4_ADDR(10, 0, 0, 254), B_IP_STACK, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			  552, q, ql + 8));
	static const uint32_t want[6] = { 512, 512, 436, 512, 512, 436 };
	uint32_t next = f.s[0];
	struct t_in r;
	for (int i = 0; i < 6; i++) {
		T_EXPECT(&r);
		ck_assert_uint_eq(r.seq, next);
		ck_assert_uint_eq(r.len, want[i]);
		next += r.len;
	}
	T_EXPECT_NONE();
	ck_assert_uint_eq(next, f.e[1]);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_pmtu, 552);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 512);
	ck_assert_uint_eq(ti.tcpi_unacked, 6);
	ck_assert_uint_eq(ti.tcpi_retrans, 6);
	t_close(&c);
}
END_TEST

/* A peer that behaves like a real SACK receiver on a lossy path: it keeps
 * what arrives, acknowledges every segment with the cumulative ACK and up
 * to 3 SACK blocks (the newest first), and loses chosen first
 * transmissions. */
struct lossy_peer {
	uint32_t total;
	uint8_t *have;		/* per byte */
	uint8_t *data;
	uint32_t ack;		/* bytes in order */
	uint32_t last_s, last_e;	/* most recent segment's block */
};

static void lossy_ack(struct t_conn *c, struct lossy_peer *p)
{
	uint32_t blocks[3][2];
	int nb = 0;
	uint32_t base = c->stack_iss + 1;
	if (!c->sack) {
		sack_ack(c, base + p->ack, 0, NULL);
		return;
	}
	if (p->last_e > p->ack) {
		/* The block holding the latest segment first (RFC 2018 4). */
		uint32_t s = p->last_s, e = p->last_e;
		while (s > p->ack && p->have[s - 1])
			s--;
		while (e < p->total && p->have[e])
			e++;
		blocks[nb][0] = base + s;
		blocks[nb][1] = base + e;
		nb++;
	}
	/* Then other blocks, from the top. */
	for (uint32_t e = p->total; e > p->ack && nb < 3;) {
		while (e > p->ack && !p->have[e - 1])
			e--;
		if (e <= p->ack)
			break;
		uint32_t s = e;
		while (s > p->ack && p->have[s - 1])
			s--;
		if (nb == 0 || blocks[0][0] != base + s)
			blocks[nb][0] = base + s, blocks[nb][1] = base + e, nb++;
		e = s;
	}
	sack_ack(c, base + p->ack, nb, (const uint32_t(*)[2])blocks);
}

/* RFC 6675 / RFC 8985 / RFC 6298 together: a bulk transfer through a path
 * that drops every seventh segment sent (retransmissions too) completes,
 * every byte arrives as written, and nothing is retransmitted needlessly.
 * (The ACKs of one burst are spaced by 100 us: with identical timestamps
 * RACK's sequence tie-break (RFC 8985 6.2) cannot tell a retransmission
 * from new data sent the same instant.) */
static void lossy_transfer(int sack, const char *cc, uint32_t *dups_out, uint32_t *lost_out)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 20 * MS, .sack = (uint8_t)sack, .ws_on = 1, .ws = 7, .cc = cc);
	enum { TOTAL = 400000 };
	static uint8_t src[TOTAL], have[TOTAL], data[TOTAL];
	memset(have, 0, sizeof(have));
	for (uint32_t i = 0; i < TOTAL; i++)
		src[i] = t_pat(11, i);
	struct lossy_peer p = { .total = TOTAL, .have = have, .data = data };
	uint32_t written = 0, nseg = 0, dups = 0, lost = 0;
	ns_time_t start = t_now();
	static struct t_in segs[64];
	while (p.ack < TOTAL) {
		QUICK_ASSERT(t_now() - start < 600 * NS_SEC, "stalled at %u of %u", p.ack, TOTAL);
		if (written < TOTAL) {
			ssize_t r = ns_send(c.s, src + written, TOTAL - written, 0);
			if (r > 0)
				written += (uint32_t)r;
		}
		int n = 0;
		while (n < 64 && t_take(&segs[n]))
			n++;
		if (!n) {
			/* Nothing in the pipe: a timer (TLP, RACK, RTO) acts. */
			QUICK_ASSERT(t_run_until(200 * NS_SEC, &segs[0]), "nothing sent at %u", p.ack);
			n = 1;
			while (n < 64 && t_take(&segs[n]))
				n++;
		}
		t_run(20 * MS); /* there and back */
		for (int i = 0; i < n; i++) {
			const struct t_in *d = &segs[i];
			if (!d->len)
				continue;
			if (++nseg % 7 == 0) {
				lost++;
				continue;
			}
			uint32_t off = t_off(&c, d->seq);
			QUICK_ASSERT(off + d->len <= TOTAL, "data beyond the stream");
			QUICK_ASSERT(!memcmp(d->data, src + off, d->len), "wrong bytes at %u", off);
			dups += have[off];
			memcpy(data + off, d->data, d->len);
			memset(have + off, 1, d->len);
			p.last_s = off;
			p.last_e = off + d->len;
			while (p.ack < TOTAL && have[p.ack])
				p.ack++;
			lossy_ack(&c, &p);
			t_run(100 * NS_USEC); /* ACKs are spaced out in time */
		}
	}
	ck_assert(!memcmp(data, src, TOTAL));
	ck_assert_uint_eq(t_info(c.s).tcpi_bytes_acked, TOTAL);
	*dups_out = dups;
	*lost_out = lost;
	t_close(&c);
}

START_TEST(bulk_transfer_over_a_lossy_path_arrives_intact)
{
	uint32_t dups, lost;
	lossy_transfer(1, NULL, &dups, &lost);
	/* The path does not reorder: RACK retransmits exactly what was lost
	 * and nothing arrives twice. */
	ck_assert_uint_eq(dups, 0);
	ck_assert_uint_eq(ST(tcp_retrans_segs), lost);
}
END_TEST

/* The same path without SACK: NewReno's fast retransmit, partial ACKs and
 * RTOs (RFC 6582, RFC 6298) still deliver the whole stream. */
START_TEST(bulk_transfer_over_a_lossy_path_without_sack_arrives_intact)
{
	uint32_t dups, lost;
	lossy_transfer(0, "reno", &dups, &lost);
	ck_assert_uint_gt(lost, 0);
}
END_TEST

/* A peer may acknowledge into the middle of a block it SACKed: the record
 * keeps its unacknowledged part, and the SACKed byte count only what SACKed
 * records still hold (it kept the cut bytes, and never came back to 0). */
START_TEST(an_ack_into_a_sacked_segment_leaves_the_sack_counts_consistent)
{
	struct t_conn c;
	struct flight f;
	send_flight(&c, &f, 1, NULL, 3);
	t_run(100 * MS);
	const uint32_t b[1][2] = { { f.s[1], f.e[1] } };
	sack_ack(&c, f.s[0], 1, b);
	struct tcp_sock *tp = t_tp(c.s);
	ck_assert_uint_eq(tp->sacked_out, 1);
	ck_assert_uint_eq(tp->sacked_bytes, MSS);
	sack_ack(&c, f.s[1] + 500, 0, NULL);
	ck_assert_uint_eq(tp->sacked_out, 1);
	ck_assert_uint_eq(tp->sacked_bytes, MSS - 500);
	sack_ack(&c, f.e[2], 0, NULL);
	ck_assert_uint_eq(tp->packets_out, 0);
	ck_assert_uint_eq(tp->sacked_out, 0);
	ck_assert_uint_eq(tp->sacked_bytes, 0);
	t_close(&c);
}
END_TEST

Suite *tcp_loss_suite(void)
{
	Suite *s = unit_suite("tcp_loss");
	ADD_FX(s, three_sacked_segments_above_a_hole_retransmit_it_at_once);
	ADD_FX(s, one_sack_above_a_hole_waits_a_quarter_of_min_rtt_before_retransmitting);
	ADD_FX(s, a_hole_filled_within_the_reordering_window_is_not_retransmitted);
	ADD_FX(s, dsack_of_a_spurious_retransmission_doubles_the_reordering_window);
	ADD_FX(s, dsack_blocks_are_recognised_and_mark_nothing);
	ADD_FX(s, sack_blocks_beyond_what_was_sent_are_ignored);
	ADD_FX(s, tail_loss_probe_resends_the_last_segment_after_two_srtt);
	ADD_FX(s, tail_loss_probe_sends_new_data_when_it_can);
	ADD_FX(s, a_fin_at_the_tail_gets_a_loss_probe_at_the_rto);
	ADD_FX(s, a_probe_that_repaired_a_tail_loss_reduces_cwnd);
	ADD_FX(s, a_probe_reported_as_duplicate_leaves_cwnd_alone);
	ADD_FX(s, newreno_fast_retransmits_on_the_third_duplicate_ack);
	ADD_FX(s, newreno_partial_ack_retransmits_the_next_hole_and_the_full_ack_ends_recovery);
	ADD_FX(s, after_an_rto_slow_start_resends_the_flight_from_one_segment);
	ADD_FX(s, after_a_timeout_sacked_data_at_the_left_edge_is_retransmitted);
	ADD_FX(s, a_lower_path_mtu_recuts_the_flight_without_empty_segments);
	ADD_FX(s, an_ack_into_a_sacked_segment_leaves_the_sack_counts_consistent);
	ADD_FX(s, bulk_transfer_over_a_lossy_path_arrives_intact);
	ADD_FX(s, bulk_transfer_over_a_lossy_path_without_sack_arrives_intact);
	return s;
}
