/*
 * tcp_timers: every TCP timer on the fake clock, with the exact times a
 * peer sees: SYN and data retransmission (RFC 6298 back-off, Karn, the
 * 120 s ceiling, the retry limit and ETIMEDOUT), TCP_USER_TIMEOUT (RFC
 * 5482), zero-window probing (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17),
 * keepalive (RFC 1122 4.2.3.6 with TCP_KEEPIDLE/INTVL/CNT), delayed ACKs
 * (RFC 5681 4.2), TIME-WAIT (RFC 9293 3.10.7.4) and the orphaned
 * FIN-WAIT-2 timeout (TCP_LINGER2).
 *
 * Connections here use no SACK, so no tail loss probe comes before an RTO.
 * With a 100 ms handshake RTT the first RTO is SRTT + max(200 ms, 4 RTTVAR)
 * = 100 + 200 = 300 ms (RFC 6298 2.2-2.4 with Linux's 200 ms floor).
 */
#include "tcp_helpers.h"

#define MS NS_MSEC
#define SEC NS_SEC

/* RFC 6298 2.1 and 5.5: the SYN is retransmitted after 1 s, the timeout
 * doubling each time; after TCP_SYN_RETRIES (6, Linux) retransmissions the
 * connect fails with ETIMEDOUT, 127 s after the first SYN. */
START_TEST(syn_is_retransmitted_with_doubling_timeouts_then_connect_times_out)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, r;
	T_EXPECT(&syn);
	static const int at[] = { 1, 3, 7, 15, 31, 63 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(at); i++) {
		ck_assert(t_run_until(200 * SEC, &r));
		T_AT(r.t, t0 + (ns_time_t)at[i] * SEC);
		ck_assert_int_eq(r.flags, TH_SYN);
		ck_assert_uint_eq(r.seq, syn.seq);
		ck_assert_int_eq(t_state(s), LS_SYN_SENT);
	}
	ck_assert(!t_run_until(127 * SEC - (t_now() - t0) - 2 * MS, &r));
	ck_assert_int_eq(t_state(s), LS_SYN_SENT);
	t_run(4 * MS);
	T_EXPECT_NONE(); /* no RST: nobody answered */
	ck_assert_int_eq(t_state(s), LS_CLOSE);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	ns_close(s);
}
END_TEST

/* TCP_SYNCNT (Linux) sets the number of SYN retransmissions. */
START_TEST(tcp_syncnt_sets_the_number_of_syn_retransmissions)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_SYNCNT, 2), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_SYNCNT), 2);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_int_eq(t_run(10 * SEC), 2);
	T_EXPECT(&r);
	T_AT(r.t, t0 + 1 * SEC);
	T_EXPECT(&r);
	T_AT(r.t, t0 + 3 * SEC);
	ck_assert_int_eq(t_state(s), LS_CLOSE);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	ns_close(s);
}
END_TEST

/* RFC 6298 2.2-2.4, 5.4-5.5: the RTO comes from the measured RTT and
 * doubles with each retransmission of the same data; TCP_INFO reports
 * the backed-off RTO and the count. */
START_TEST(data_rto_comes_from_the_measured_rtt_and_doubles_on_each_expiry)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_rtt, 100000);
	ck_assert_uint_eq(ti.tcpi_rttvar, 50000);
	ck_assert_uint_eq(ti.tcpi_rto, 300000);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	struct t_in d;
	T_EXPECT(&d);
	ns_time_t at = t0, rto = 300 * MS;
	for (int i = 1; i <= 5; i++) {
		at += rto;
		rto *= 2;
		ck_assert(t_run_until(100 * SEC, &d));
		T_AT(d.t, at);
		ck_assert_uint_eq(d.seq, c.stack_iss + 1);
		ck_assert_int_eq(d.len, 100);
		ti = t_info(c.s);
		ck_assert_uint_eq(ti.tcpi_retransmits, i);
		ck_assert_uint_eq(ti.tcpi_backoff, i);
		ck_assert_uint_eq(ti.tcpi_rto, rto / 1000);
		ck_assert_uint_eq(ti.tcpi_total_retrans, i);
	}
	t_close(&c);
}
END_TEST

/* RFC 6298 2.5 / Linux TCP_RTO_MAX: the backed-off RTO stops at 120 s. */
START_TEST(rto_backoff_stops_at_120_seconds)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	struct t_in d, prev;
	T_EXPECT(&prev);
	for (int i = 1; i <= 12; i++) {
		ck_assert(t_run_until(200 * SEC, &d));
		ns_time_t gap = d.t - prev.t;
		ns_time_t want = NS_MIN((ns_time_t)300 * MS << (i - 1), (ns_time_t)120 * SEC);
		ck_assert_msg(gap >= want && gap <= want + T_SLACK, "gap %d: %.3f s, want %.3f s", i,
			      (double)gap / 1e9, (double)want / 1e9);
		prev = d;
	}
	ck_assert_uint_eq(t_info(c.s).tcpi_rto, 120000000);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.8.3 (R2) with Linux's tcp_retries2 = 15: after 15
 * retransmissions the next expiry gives up: ETIMEDOUT, no RST. */
START_TEST(data_retransmission_gives_up_after_15_tries_with_etimedout)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	struct t_in d;
	T_EXPECT(&d);
	int n = 0;
	while (t_run_until(200 * SEC, &d)) {
		ck_assert_int_eq(d.len, 100);
		ck_assert_int_eq(d.flags & TH_RST, 0);
		n++;
		ck_assert_int_le(n, 15);
	}
	ck_assert_int_eq(n, 15);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	char buf[4];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), -ETIMEDOUT);
	ck_assert_int_eq(ns_send(c.s, "x", 1, 0), -EPIPE);
	t_close(&c);
}
END_TEST

/* Linux tcp_orphan_retries (default 0, meaning 8): a closed connection
 * whose FIN is never acknowledged gives up at the expiry after its 8th
 * retransmission, silently (no RST); a segment then meets no connection. */
START_TEST(orphaned_fin_gives_up_after_8_retransmissions)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ns_close(c.s);
	c.s = NULL;
	struct t_in fin;
	T_EXPECT(&fin);
	ck_assert_int_ne(fin.flags & TH_FIN, 0);
	ns_time_t t0 = fin.t, at = t0, rto = 300 * MS;
	struct t_in r;
	int n = 0;
	while (t_run_until(200 * SEC, &r)) {
		ck_assert_int_eq(r.flags & TH_RST, 0);
		ck_assert_int_ne(r.flags & TH_FIN, 0);
		ck_assert_uint_eq(r.seq, fin.seq);
		at += rto;
		rto *= 2;
		T_AT(r.t, at);
		n++;
		ck_assert_int_le(n, 8);
	}
	ck_assert_int_eq(n, 8);
	/* Gone one more RTO after the last retransmission. */
	ck_assert_uint_ge(t_now(), at + rto);
	t_note(&c, &fin);
	t_send_flags(&c, 0, NULL, 0);
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	t_close(&c);
}
END_TEST

/* Linux tcp_retrans_try_collapse(): data and the FIN sent after it, both
 * unacknowledged, are retransmitted by the RTO as one segment; an ACK of
 * the data alone leaves the FIN to be retransmitted by itself. */
START_TEST(rto_retransmits_data_and_the_fin_behind_it_as_one_segment)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in d, fin, r;
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 100);
	ck_assert_int_eq(d.flags & TH_FIN, 0);
	T_EXPECT(&fin);
	ck_assert_int_ne(fin.flags & TH_FIN, 0);
	ck_assert_int_eq(fin.len, 0);
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, d.t + 300 * MS);
	ck_assert_uint_eq(r.seq, d.seq);
	ck_assert_int_eq(r.len, 100);
	ck_assert_int_ne(r.flags & TH_FIN, 0);
	ck_assert_uint_eq(t_info(c.s).tcpi_unacked, 1);
	t_ack_upto(&c, d.seq + 100);
	ck_assert(t_run_until(2 * NS_SEC, &r));
	ck_assert_uint_eq(r.seq, fin.seq);
	ck_assert_int_eq(r.len, 0);
	ck_assert_int_ne(r.flags & TH_FIN, 0);
	t_close(&c);
}
END_TEST

/* A connection its user still holds keeps tcp_retries2 (15) for its FIN. */
START_TEST(held_fin_is_retransmitted_15_times)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_FIN, 0);
	int n = 0;
	while (t_run_until(200 * SEC, &r)) {
		ck_assert_int_ne(r.flags & TH_FIN, 0);
		n++;
	}
	ck_assert_int_eq(n, 15);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	t_close(&c);
}
END_TEST

/* RFC 6298 5.3: an ACK of new data restarts the timer; Karn (RFC 6298 3
 * and 5, the note after 5.7): the ACK of a retransmitted segment is no RTT
 * sample, and the backed-off RTO stays until a valid sample collapses it. */
START_TEST(karn_keeps_the_backed_off_rto_until_a_valid_rtt_sample)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .nodelay = 1);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(ns_send(c.s, "a", 1, 0), 1);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert(t_run_until(SEC, &d));
	T_AT(d.t, t0 + 300 * MS); /* retransmitted */
	t_note(&c, &d);
	t_run(100 * MS);
	t_ack_all(&c); /* acknowledges the retransmission: no RTT sample */
	ns_time_t t1 = t_now();
	ck_assert_int_eq(ns_send(c.s, "b", 1, 0), 1);
	T_EXPECT(&d);
	t_note(&c, &d);
	ck_assert(t_run_until(5 * SEC, &d));
	T_AT(d.t, t1 + 600 * MS);
	/* Acknowledged 50 ms after this retransmission, again no sample;
	 * a new segment, acknowledged without retransmission after 100 ms,
	 * is a sample: the RTO falls back to SRTT + 4 RTTVAR. */
	t_run(50 * MS);
	t_ack_all(&c);
	ck_assert_int_eq(ns_send(c.s, "c", 1, 0), 1);
	T_EXPECT(&d);
	t_note(&c, &d);
	t_run(100 * MS);
	t_ack_all(&c);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_backoff, 0);
	ck_assert_uint_lt(ti.tcpi_rto, 600000);
	t_close(&c);
}
END_TEST

/* RFC 6298 5.3: when new data is acknowledged the timer restarts for
 * what remains, one RTO after the ACK. */
START_TEST(ack_of_new_data_restarts_the_retransmission_timer)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .nodelay = 1);
	ck_assert_int_eq(ns_send(c.s, "a", 1, 0), 1);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	t_run(200 * MS);
	ck_assert_int_eq(ns_send(c.s, "b", 1, 0), 1);
	T_EXPECT(&d);
	t_run(50 * MS);
	/* "a" is acknowledged 250 ms after it left (a sample of 250 ms). */
	t_ack_upto(&c, c.stack_iss + 2);
	ns_time_t t1 = t_now();
	uint32_t rto_us = t_info(c.s).tcpi_rto;
	ck_assert(t_run_until(5 * SEC, &d));
	ck_assert_uint_eq(d.seq, c.stack_iss + 2);
	T_AT(d.t, t1 + (ns_time_t)rto_us * 1000);
	t_close(&c);
}
END_TEST

/* RFC 5482 / Linux: TCP_USER_TIMEOUT bounds how long data may stay
 * unacknowledged; the connection is dropped with ETIMEDOUT at that time
 * (Linux clamps the retransmission timer to it), not at some later RTO. */
START_TEST(tcp_user_timeout_drops_the_connection_when_it_expires)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_USER_TIMEOUT), 5000);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	struct t_in d;
	T_EXPECT(&d);
	/* Retransmissions at 0.3, 0.9, 2.1, 4.5 s; the next RTO would be at
	 * 9.3 s, but the user timeout ends it at 5 s. */
	ck_assert_int_eq(t_run(5 * SEC - MS), 4);
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	t_run(MS + T_SLACK);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	ck_assert_uint_ge(t_now() - t0, 5 * SEC);
	t_close(&c);
}
END_TEST

/* Zero-window probing, RFC 9293 3.8.6.1 (Linux's form: an ACK with
 * SEQ = SND.UNA - 1 and no data): the first probe one RTO after the window
 * closed with data waiting, then doubling; a window update ends it. */
START_TEST(zero_window_is_probed_with_backoff_until_the_window_opens)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .nodelay = 1);
	ck_assert_int_eq(ns_send(c.s, "a", 1, 0), 1);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	t_run(100 * MS); /* an RTT sample of 100 ms keeps the RTO at 300 ms */
	c.win = 0;
	t_ack_all(&c);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(t_write(c.s, 500, 2), 500);
	T_EXPECT_NONE();
	ns_time_t at = t0, gap = 300 * MS;
	for (int i = 0; i < 5; i++) {
		at += gap;
		gap *= 2;
		ck_assert(t_run_until(100 * SEC, &d));
		T_AT(d.t, at);
		ck_assert_int_eq(d.flags, TH_ACK);
		ck_assert_int_eq(d.len, 0);
		ck_assert_uint_eq(d.seq, c.stack_iss + 1); /* SND.UNA - 1 */
		/* The peer answers: still no room. */
		t_ack_all(&c);
		T_EXPECT_NONE();
	}
	ck_assert_uint_eq(ST(tcp_zero_window_probes), 5);
	c.win = 65535;
	t_ack_all(&c);
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 500);
	ck_assert_uint_eq(d.seq, c.stack_iss + 2);
	t_close(&c);
}
END_TEST

/* RFC 1122 4.2.2.17: a connection must not be dropped while the receiver
 * keeps acknowledging zero-window probes (Linux resets its probe count on
 * every ACK). */
START_TEST(answered_zero_window_probes_keep_the_connection_open)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .nodelay = 1);
	ck_assert_int_eq(ns_send(c.s, "a", 1, 0), 1);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	t_run(100 * MS); /* an RTT sample of 100 ms keeps the RTO at 300 ms */
	c.win = 0;
	t_ack_all(&c);
	ck_assert_int_eq(t_write(c.s, 500, 2), 500);
	for (int i = 0; i < 25; i++) {
		ck_assert_msg(t_run_until(200 * SEC, &d), "no probe %d", i);
		ck_assert_int_eq(d.len, 0);
		t_ack_all(&c);
	}
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.8.6.1 / Linux: unanswered zero-window probes count like
 * retransmissions: after tcp_retries2 (15) the connection is dropped. */
START_TEST(unanswered_zero_window_probes_drop_the_connection_after_15)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS, .nodelay = 1);
	ck_assert_int_eq(ns_send(c.s, "a", 1, 0), 1);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	t_run(100 * MS); /* an RTT sample of 100 ms keeps the RTO at 300 ms */
	c.win = 0;
	t_ack_all(&c);
	ck_assert_int_eq(t_write(c.s, 500, 2), 500);
	int n = 0;
	while (t_run_until(300 * SEC, &d)) {
		ck_assert_int_eq(d.len, 0);
		n++;
		ck_assert_int_le(n, 15);
	}
	ck_assert_int_eq(n, 15);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	t_close(&c);
}
END_TEST

static void keepalive_on(struct ns_socket *s, int idle, int intvl, int cnt)
{
	ck_assert_int_eq(t_seti(s, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_KEEPIDLE, idle), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_KEEPINTVL, intvl), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_KEEPCNT, cnt), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_KEEPIDLE), idle);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_KEEPINTVL), intvl);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_KEEPCNT), cnt);
}

/* RFC 1122 4.2.3.6 with Linux's knobs: after TCP_KEEPIDLE of silence a
 * probe (SEQ = SND.NXT - 1, no data), then one every TCP_KEEPINTVL; after
 * TCP_KEEPCNT unanswered probes a RST and ETIMEDOUT. */
START_TEST(keepalive_probes_an_idle_peer_and_resets_after_keepcnt_misses)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ns_time_t t0 = t_now();
	keepalive_on(c.s, 10, 2, 3);
	struct t_in d;
	for (int i = 0; i < 3; i++) {
		ck_assert(t_run_until(100 * SEC, &d));
		T_AT(d.t, t0 + (ns_time_t)(10 + 2 * i) * SEC);
		ck_assert_int_eq(d.flags, TH_ACK);
		ck_assert_int_eq(d.len, 0);
		ck_assert_uint_eq(d.seq, c.stack_iss);
		ck_assert_uint_eq(d.ack, c.snd_nxt);
	}
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t0 + 16 * SEC);
	ck_assert_int_ne(d.flags & TH_RST, 0);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	ck_assert_uint_eq(ST(tcp_keepalive_probes), 3);
	t_close(&c);
}
END_TEST

/* RFC 1122 4.2.3.6: a peer that answers its probes keeps the connection,
 * however many idle periods pass; each probe comes TCP_KEEPIDLE after the
 * last answer. */
START_TEST(answered_keepalives_keep_the_connection_through_many_idle_periods)
{
	struct t_conn c;
	T_ACCEPT(&c);
	keepalive_on(c.s, 10, 2, 3);
	struct t_in d;
	for (int i = 0; i < 12; i++) {
		ns_time_t last = t_now();
		ck_assert(t_run_until(100 * SEC, &d));
		T_AT(d.t, last + 10 * SEC);
		ck_assert_int_eq(d.len, 0);
		t_ack_all(&c);
	}
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	t_close(&c);
}
END_TEST

/* RFC 1122 4.2.3.6: keepalives are sent only when nothing else is; data
 * from the peer pushes the next probe back. */
START_TEST(traffic_postpones_keepalive_probes)
{
	struct t_conn c;
	T_ACCEPT(&c);
	keepalive_on(c.s, 10, 2, 3);
	t_run(8 * SEC);
	t_send(&c, "x", 1);
	t_drain();
	ns_time_t t1 = t_now();
	struct t_in d;
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t1 + 10 * SEC);
	t_close(&c);
}
END_TEST

/* Linux: with TCP_USER_TIMEOUT, keepalive gives up once the peer has been
 * silent that long (and a probe went unanswered), whatever TCP_KEEPCNT. */
START_TEST(keepalive_with_a_user_timeout_gives_up_when_it_expires)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ns_time_t t0 = t_now();
	keepalive_on(c.s, 10, 2, 100);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_USER_TIMEOUT, 13000), 0);
	struct t_in d;
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t0 + 10 * SEC);
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t0 + 12 * SEC);
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t0 + 14 * SEC);
	ck_assert_int_ne(d.flags & TH_RST, 0);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_ERROR), ETIMEDOUT);
	t_close(&c);
}
END_TEST

/* RFC 5681 4.2: an ACK may be delayed, but by less than 500 ms (Linux: at
 * most 200 ms, 40 ms to start with). */
START_TEST(delayed_ack_comes_within_200_ms)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_QUICKACK, 0), 0);
	ns_time_t t0 = t_now();
	t_send(&c, "x", 1);
	T_EXPECT_NONE();
	struct t_in d;
	ck_assert(t_run_until(SEC, &d));
	ck_assert_int_eq(d.flags, TH_ACK);
	ck_assert_uint_eq(d.ack, c.snd_nxt);
	ck_assert_uint_ge(d.t - t0, 40 * MS);
	ck_assert_uint_le(d.t - t0, 200 * MS);
	t_close(&c);
}
END_TEST

/* RFC 5681 4.2 / RFC 1122 4.2.3.2: an ACK at least for every second
 * full-sized segment. */
START_TEST(every_second_full_segment_is_acknowledged_at_once)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_QUICKACK, 0), 0);
	static uint8_t seg[1460];
	t_send(&c, seg, 1460);
	T_EXPECT_NONE();
	t_send(&c, seg, 1460);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert_uint_eq(d.ack, c.snd_nxt);
	t_send(&c, seg, 1460);
	T_EXPECT_NONE();
	t_send(&c, seg, 1460);
	T_EXPECT(&d);
	ck_assert_uint_eq(d.ack, c.snd_nxt);
	t_close(&c);
}
END_TEST

/* Linux: a fresh connection acknowledges at once (quick-ACK mode), so the
 * peer's slow start is not held up by delayed ACKs. */
START_TEST(a_new_connection_acknowledges_its_first_segments_at_once)
{
	struct t_conn c;
	T_ACCEPT(&c);
	for (int i = 0; i < 4; i++) {
		t_send(&c, "x", 1);
		struct t_in d;
		T_EXPECT(&d);
		ck_assert_uint_eq(d.ack, c.snd_nxt);
	}
	t_close(&c);
}
END_TEST

/* Enter TIME-WAIT on the stack side; returns the time it did. */
static ns_time_t to_time_wait(struct t_conn *c)
{
	T_ACCEPT(c);
	ck_assert_int_eq(ns_shutdown(c->s, SHUT_WR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	t_note(c, &fin);
	t_send_flags(c, TH_FIN, NULL, 0);
	t_drain();
	ck_assert_int_eq(t_conn_state(c), LS_TIME_WAIT);
	return t_now();
}

/* RFC 9293 3.10.7.4 / Linux TCP_TIMEWAIT_LEN: TIME-WAIT lasts 60 s (2 MSL);
 * then the connection is gone and a segment for it gets a RST. */
START_TEST(time_wait_lasts_60_seconds_then_segments_get_a_reset)
{
	struct t_conn c;
	ns_time_t t0 = to_time_wait(&c);
	t_run(60 * SEC - MS);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_run(MS + T_SLACK);
	ck_assert_int_eq(t_conn_state(&c), LS_CLOSE);
	ck_assert_uint_ge(t_now() - t0, 60 * SEC);
	T_EXPECT_NONE();
	t_send(&c, "late", 4);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 (TIME-WAIT, eighth step): a retransmitted FIN is
 * acknowledged again and restarts the 2 MSL timeout. */
START_TEST(retransmitted_fin_in_time_wait_is_acknowledged_and_restarts_the_timer)
{
	struct t_conn c;
	to_time_wait(&c);
	t_run(30 * SEC);
	struct t_out o = t_out_for(&c);
	o.seq = c.snd_nxt - 1;
	o.flags = TH_FIN | TH_ACK;
	t_inject(&o);
	ns_time_t t1 = t_now();
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_int_eq(a.flags, TH_ACK);
	ck_assert_uint_eq(a.ack, c.snd_nxt);
	t_run(60 * SEC - MS);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_run(MS + T_SLACK);
	ck_assert_int_eq(t_conn_state(&c), LS_CLOSE);
	ck_assert_uint_ge(t_now() - t1, 60 * SEC);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4: in TIME-WAIT new data is not accepted; the segment is
 * acknowledged (with what was really received) and dropped. */
START_TEST(data_in_time_wait_is_not_accepted)
{
	struct t_conn c;
	to_time_wait(&c);
	struct t_out o = t_out_for(&c);
	o.data = "more";
	o.len = 4;
	t_inject(&o);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_int_eq(a.flags, TH_ACK);
	ck_assert_uint_eq(a.ack, c.snd_nxt);
	char buf[8];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_close(&c);
}
END_TEST

/* An orphaned FIN-WAIT-2 connection (closed by the user, the peer never
 * closes) is dropped after TCP_LINGER2 seconds (Linux); later segments
 * find nothing and get a RST. */
START_TEST(orphaned_fin_wait_2_is_dropped_after_tcp_linger2)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_LINGER2, 5), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_LINGER2), 5);
	ns_close(c.s);
	c.s = NULL;
	struct t_in fin;
	T_EXPECT(&fin);
	ck_assert_int_ne(fin.flags & TH_FIN, 0);
	t_note(&c, &fin);
	t_ack_all(&c);
	ns_time_t t0 = t_now();
	t_run(5 * SEC - MS);
	/* Still there: a pure ACK is taken silently (a closed port would
	 * answer it with a RST). */
	t_ack_all(&c);
	T_EXPECT_NONE();
	t_run(MS + T_SLACK);
	ck_assert_uint_ge(t_now() - t0, 5 * SEC);
	t_send_flags(&c, TH_FIN, NULL, 0);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	t_close(&c);
}
END_TEST

/* The default orphaned FIN-WAIT-2 timeout is 60 s (tcp_fin_timeout). */
START_TEST(orphaned_fin_wait_2_default_timeout_is_60_seconds)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ns_close(c.s);
	c.s = NULL;
	struct t_in fin, r;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_ack_all(&c);
	t_run(60 * SEC - MS);
	/* Still there: its FIN is acknowledged. */
	struct t_out o = t_out_for(&c);
	o.flags = TH_ACK;
	t_inject(&o);
	T_EXPECT_NONE();
	t_run(MS + T_SLACK);
	t_send_flags(&c, TH_FIN, NULL, 0);
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	t_close(&c);
}
END_TEST

/* Linux: FIN-WAIT-2 after shutdown(SHUT_WR), the socket still held, waits
 * for the peer's FIN without limit. */
START_TEST(fin_wait_2_of_a_held_socket_waits_for_the_peer)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_ack_all(&c);
	t_run(600 * SEC);
	ck_assert_int_eq(t_state(c.s), LS_FIN_WAIT2);
	t_send_flags(&c, TH_FIN, NULL, 0);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_close(&c);
}
END_TEST

/* TCP_LINGER2 < 0 (Linux): no FIN-WAIT-2 wait; a RST when it would begin. */
START_TEST(negative_tcp_linger2_resets_instead_of_waiting_in_fin_wait_2)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_LINGER2, -1), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_LINGER2), -1);
	ns_close(c.s);
	c.s = NULL;
	struct t_in fin, r;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_ack_all(&c);
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	t_close(&c);
}
END_TEST

/* Linux: an accepted connection inherits the listener's SO_KEEPALIVE and
 * TCP_KEEP* settings. */
START_TEST(accepted_connections_inherit_the_listeners_keepalive_settings)
{
	t_begin();
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	keepalive_on(ls, 5, 1, 2);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 4), 0);
	struct t_conn c;
	T_ACCEPT(&c, .ls = ls);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_KEEPALIVE), 1);
	struct t_in d;
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t0 + 5 * SEC);
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t0 + 6 * SEC);
	ck_assert(t_run_until(100 * SEC, &d));
	T_AT(d.t, t0 + 7 * SEC);
	ck_assert_int_ne(d.flags & TH_RST, 0);
	t_close(&c);
}
END_TEST

/* The gaps between the retransmissions of one unacknowledged segment. */
static void expect_rto_gaps(struct t_conn *c, const ns_time_t *want, int n)
{
	ck_assert_int_eq(t_write(c->s, 100, 1), 100);
	struct t_in d, prev;
	T_EXPECT(&prev);
	for (int i = 0; i < n; i++) {
		ck_assert(t_run_until(200 * SEC, &d));
		ns_time_t gap = d.t - prev.t;
		ck_assert_msg(gap >= want[i] && gap <= want[i] + T_SLACK, "gap %d: %.3f s, want %.3f s", i + 1,
			      (double)gap / 1e9, (double)want[i] / 1e9);
		prev = d;
	}
}

/* Linux TCP_THIN_LINEAR_TIMEOUTS: a thin stream (one segment in flight)
 * keeps its RTO for its first 6 timeouts, then backs off as RFC 6298 5.5
 * says. */
START_TEST(thin_linear_timeouts_keep_the_rto_for_six_retransmissions)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, 1), 0);
	static const ns_time_t want[] = { 300 * MS, 300 * MS, 300 * MS, 300 * MS, 300 * MS, 300 * MS,
					  300 * MS, 600 * MS, 1200 * MS };
	expect_rto_gaps(&c, want, 9);
	t_close(&c);
}
END_TEST

/* Linux TCP_RTO_MAX_MS: the backed-off RTO stops at the socket's bound. */
START_TEST(tcp_rto_max_ms_caps_the_backed_off_rto)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_RTO_MAX_MS, 2000), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_RTO_MAX_MS), 2000);
	static const ns_time_t want[] = { 300 * MS, 600 * MS, 1200 * MS, 2000 * MS, 2000 * MS };
	expect_rto_gaps(&c, want, 5);
	t_close(&c);
}
END_TEST

/* Linux TCP_RTO_MIN_US: the RTO's floor on the variance term is the
 * socket's from the next RTT sample on (rounded up to 4 ms jiffies). */
START_TEST(tcp_rto_min_us_lowers_the_rto_floor)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 2 * MS);
	ck_assert_uint_ge(t_info(c.s).tcpi_rto, 200000);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_RTO_MIN_US, 10000), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_RTO_MIN_US), 12000);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_RTO_MIN_US, 4000), -EINVAL); /* (1 jiffy) */
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	t_run(2 * MS);
	t_ack_all(&c);
	struct tcp_info ti = t_info(c.s);
	ck_assert_msg(ti.tcpi_rto >= 12000 && ti.tcpi_rto < 50000, "rto %u us (rtt %u, var %u)", ti.tcpi_rto,
		      ti.tcpi_rtt, ti.tcpi_rttvar);
	t_close(&c);
}
END_TEST

/* Linux TCP_DELACK_MAX_US: a delayed ACK waits at most the socket's
 * bound (8 ms here, below the 40 ms it starts with). */
START_TEST(tcp_delack_max_us_bounds_the_delayed_ack)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_QUICKACK, 0), 0);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_DELACK_MAX_US, 8000), 0);
	ns_time_t t0 = t_now();
	t_send(&c, "x", 1);
	T_EXPECT_NONE();
	struct t_in d;
	ck_assert(t_run_until(SEC, &d));
	ck_assert_uint_eq(d.ack, c.snd_nxt);
	T_AT(d.t, t0 + 8 * MS);
	t_close(&c);
}
END_TEST

Suite *tcp_timers_suite(void)
{
	Suite *s = unit_suite("tcp_timers");
	ADD_FX(s, syn_is_retransmitted_with_doubling_timeouts_then_connect_times_out);
	ADD_FX(s, tcp_syncnt_sets_the_number_of_syn_retransmissions);
	ADD_FX(s, data_rto_comes_from_the_measured_rtt_and_doubles_on_each_expiry);
	ADD_FX(s, rto_backoff_stops_at_120_seconds);
	ADD_FX(s, data_retransmission_gives_up_after_15_tries_with_etimedout);
	ADD_FX(s, orphaned_fin_gives_up_after_8_retransmissions);
	ADD_FX(s, held_fin_is_retransmitted_15_times);
	ADD_FX(s, rto_retransmits_data_and_the_fin_behind_it_as_one_segment);
	ADD_FX(s, karn_keeps_the_backed_off_rto_until_a_valid_rtt_sample);
	ADD_FX(s, ack_of_new_data_restarts_the_retransmission_timer);
	ADD_FX(s, tcp_user_timeout_drops_the_connection_when_it_expires);
	ADD_FX(s, zero_window_is_probed_with_backoff_until_the_window_opens);
	ADD_FX(s, answered_zero_window_probes_keep_the_connection_open);
	ADD_FX(s, unanswered_zero_window_probes_drop_the_connection_after_15);
	ADD_FX(s, keepalive_probes_an_idle_peer_and_resets_after_keepcnt_misses);
	ADD_FX(s, answered_keepalives_keep_the_connection_through_many_idle_periods);
	ADD_FX(s, traffic_postpones_keepalive_probes);
	ADD_FX(s, keepalive_with_a_user_timeout_gives_up_when_it_expires);
	ADD_FX(s, delayed_ack_comes_within_200_ms);
	ADD_FX(s, every_second_full_segment_is_acknowledged_at_once);
	ADD_FX(s, a_new_connection_acknowledges_its_first_segments_at_once);
	ADD_FX(s, time_wait_lasts_60_seconds_then_segments_get_a_reset);
	ADD_FX(s, retransmitted_fin_in_time_wait_is_acknowledged_and_restarts_the_timer);
	ADD_FX(s, data_in_time_wait_is_not_accepted);
	ADD_FX(s, orphaned_fin_wait_2_is_dropped_after_tcp_linger2);
	ADD_FX(s, orphaned_fin_wait_2_default_timeout_is_60_seconds);
	ADD_FX(s, fin_wait_2_of_a_held_socket_waits_for_the_peer);
	ADD_FX(s, negative_tcp_linger2_resets_instead_of_waiting_in_fin_wait_2);
	ADD_FX(s, accepted_connections_inherit_the_listeners_keepalive_settings);
	ADD_FX(s, thin_linear_timeouts_keep_the_rto_for_six_retransmissions);
	ADD_FX(s, tcp_rto_max_ms_caps_the_backed_off_rto);
	ADD_FX(s, tcp_rto_min_us_lowers_the_rto_floor);
	ADD_FX(s, tcp_delack_max_us_bounds_the_delayed_ack);
	return s;
}
