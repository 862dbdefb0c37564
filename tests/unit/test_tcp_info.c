/*
 * tcp_info: the TCP_INFO fields the stack fills (Linux's struct tcp_info
 * layout) say what really happened on the wire: the negotiated options and
 * sizes, RTT and RTO, windows, byte and segment counts, times since the
 * last data and ACK, and for a listener its queue and backlog.
 */
#include "tcp_helpers.h"

#define MS NS_MSEC

/* After an active open with a 50 ms handshake, timestamps, SACK and a
 * window scale of 7. */
START_TEST(tcp_info_after_the_handshake_describes_the_connection)
{
	struct t_conn c;
	T_CONNECT(&c, .rtt = 50 * MS, .ts = 1, .sack = 1, .ws_on = 1, .ws = 7, .win = 1000);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_state, LS_ESTABLISHED);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Open);
	ck_assert_uint_eq(ti.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	ck_assert_uint_eq(ti.tcpi_snd_wscale, 7);
	ck_assert_uint_eq(ti.tcpi_rcv_wscale, c.syn.ws);
	/* RFC 6298 2.2: SRTT = R, RTTVAR = R/2; RTO = R + max(200 ms, 4 RTTVAR). */
	ck_assert_uint_eq(ti.tcpi_rtt, 50000);
	ck_assert_uint_eq(ti.tcpi_rttvar, 25000);
	ck_assert_uint_eq(ti.tcpi_min_rtt, 50000);
	ck_assert_uint_eq(ti.tcpi_rto, 250000);
	/* 1460 less the timestamps, but at most half the peer's 1000-byte
	 * window (Linux tcp_bound_to_half_wnd()). */
	ck_assert_uint_eq(ti.tcpi_snd_mss, 500);
	/* Linux reports the announced MSS less the timestamp option. */
	ck_assert_uint_eq(ti.tcpi_advmss, c.stack_mss - 12);
	ck_assert_uint_eq(ti.tcpi_pmtu, 1500);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 10);
	ck_assert_uint_eq(ti.tcpi_snd_ssthresh, 0x7fffffff);
	ck_assert_uint_eq(ti.tcpi_reordering, 3);
	ck_assert_uint_eq(ti.tcpi_snd_wnd, 1000); /* a SYN-ACK's window is unscaled */
	ck_assert_uint_eq(ti.tcpi_ato, 40000);
	ck_assert_uint_eq(ti.tcpi_unacked, 0);
	ck_assert_uint_eq(ti.tcpi_total_retrans, 0);
	ck_assert_uint_eq(ti.tcpi_segs_out, 2); /* SYN, ACK */
	ck_assert_uint_eq(ti.tcpi_segs_in, 1);	/* SYN-ACK */
	ck_assert_uint_eq(ti.tcpi_data_segs_out, 0);
	ck_assert_uint_eq(ti.tcpi_bytes_sent, 0);
	t_close(&c);
}
END_TEST

/* Bytes and segments both ways, in flight and not yet sent, and the times
 * since the last data and ACK. */
START_TEST(tcp_info_counts_bytes_segments_and_times)
{
	struct t_conn c;
	T_CONNECT(&c, .rtt = 50 * MS, .win = 4000, .nodelay = 1);
	int out = 2, in = 1;
	ck_assert_int_eq(t_write(c.s, 6000, 1), 6000);
	struct t_in d;
	uint32_t sent = 0;
	while (t_take(&d)) {
		sent += d.len;
		out++;
		t_note(&c, &d);
	}
	ck_assert_uint_eq(sent, 2920); /* two full segments fit 4000 */
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_unacked, 2);
	ck_assert_uint_eq(ti.tcpi_notsent_bytes, 6000 - 2920);
	ck_assert_uint_eq(ti.tcpi_bytes_sent, 2920);
	ck_assert_uint_eq(ti.tcpi_bytes_acked, 0);
	t_run(50 * MS);
	c.win = 65535;
	t_ack_all(&c);
	in++;
	while (t_take(&d)) {
		sent += d.len;
		out++;
		t_note(&c, &d);
	}
	ck_assert_uint_eq(sent, 6000);
	t_run(50 * MS);
	t_ack_all(&c);
	in++;
	out += t_drain();
	static uint8_t buf[1000];
	t_send(&c, buf, 1000);
	t_send(&c, buf, 1000);
	in += 2;
	out += t_drain();
	t_run(1234 * MS);
	out += t_drain();
	ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_bytes_sent, 6000);
	ck_assert_uint_eq(ti.tcpi_bytes_acked, 6000);
	ck_assert_uint_eq(ti.tcpi_bytes_received, 2000);
	ck_assert_uint_eq(ti.tcpi_bytes_retrans, 0);
	ck_assert_uint_eq(ti.tcpi_data_segs_out, 5);
	ck_assert_uint_eq(ti.tcpi_data_segs_in, 2);
	ck_assert_uint_eq(ti.tcpi_segs_out, (uint32_t)out);
	ck_assert_uint_eq(ti.tcpi_segs_in, (uint32_t)in);
	ck_assert_uint_ge(ti.tcpi_delivered, 5);
	ck_assert_uint_le(ti.tcpi_delivered, 6); /* Linux counts the SYN too */
	ck_assert_uint_eq(ti.tcpi_unacked, 0);
	ck_assert_uint_eq(ti.tcpi_notsent_bytes, 0);
	ck_assert_uint_eq(ti.tcpi_rcv_mss, 1000);
	ck_assert_uint_eq(ti.tcpi_snd_wnd, 65535);
	ck_assert_uint_eq(ti.tcpi_rtt, 50000);
	/* Milliseconds since the last data sent, received, and ACK. */
	ck_assert_uint_eq(ti.tcpi_last_data_recv, 1234);
	ck_assert_uint_eq(ti.tcpi_last_ack_recv, 1234);
	ck_assert_uint_eq(ti.tcpi_last_data_sent, 1234 + 50);
	t_close(&c);
}
END_TEST

/* During an RTO episode: the lost segments, the retransmissions and the
 * back-off (and the bytes resent). */
START_TEST(tcp_info_during_retransmission_timeouts)
{
	struct t_conn c;
	T_CONNECT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(t_write(c.s, 3 * 1460, 1), 3 * 1460);
	t_drain();
	t_run(300 * MS + NS_MSEC);
	t_run(600 * MS + NS_MSEC);
	ck_assert_int_eq(t_drain(), 2);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_ca_state, TCP_CA_Loss);
	ck_assert_uint_eq(ti.tcpi_retransmits, 2);
	ck_assert_uint_eq(ti.tcpi_backoff, 2);
	ck_assert_uint_eq(ti.tcpi_rto, 1200000);
	ck_assert_uint_eq(ti.tcpi_unacked, 3);
	ck_assert_uint_eq(ti.tcpi_lost, 3);
	ck_assert_uint_eq(ti.tcpi_retrans, 1);
	ck_assert_uint_eq(ti.tcpi_total_retrans, 2);
	ck_assert_uint_eq(ti.tcpi_bytes_retrans, 2 * 1460);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 1);
	t_close(&c);
}
END_TEST

/* Zero-window probing shows in tcpi_probes (unanswered probes) and the
 * back-off. */
START_TEST(tcp_info_counts_unanswered_zero_window_probes)
{
	struct t_conn c;
	T_CONNECT(&c, .rtt = 100 * MS);
	t_run(100 * MS); /* keeps SRTT 100 ms: the RTO stays 300 ms */
	c.win = 0;
	t_ack_all(&c);
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	ck_assert_int_eq(t_run(300 * MS + NS_MSEC), 1);
	ck_assert_int_eq(t_run(600 * MS + NS_MSEC), 2);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_probes, 2);
	ck_assert_uint_eq(ti.tcpi_backoff, 2);
	ck_assert_uint_eq(ti.tcpi_notsent_bytes, 100);
	t_close(&c);
}
END_TEST

/* Linux: for a listener, tcpi_unacked is the accept queue's length and
 * tcpi_sacked the backlog (what ss -lt shows as Recv-Q and Send-Q). */
START_TEST(tcp_info_of_a_listener_reports_its_queue_and_backlog)
{
	t_begin();
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 5), 0);
	for (uint16_t p = 0; p < 2; p++) {
		T_INJECT(.sport = (uint16_t)(40000 + p), .dport = 8080, .seq = 1, .flags = TH_SYN,
			 .win = 65535, .mss = 1460);
		struct t_in sa;
		T_EXPECT(&sa);
		T_INJECT(.sport = (uint16_t)(40000 + p), .dport = 8080, .seq = 2, .ack = sa.seq + 1,
			 .flags = TH_ACK, .win = 65535);
	}
	struct tcp_info ti = t_info(ls);
	ck_assert_uint_eq(ti.tcpi_state, LS_LISTEN);
	ck_assert_uint_eq(ti.tcpi_unacked, 2);
	ck_assert_uint_eq(ti.tcpi_sacked, 5);
	ns_close(ls);
}
END_TEST

Suite *tcp_info_suite(void)
{
	Suite *s = unit_suite("tcp_info");
	ADD_FX(s, tcp_info_after_the_handshake_describes_the_connection);
	ADD_FX(s, tcp_info_counts_bytes_segments_and_times);
	ADD_FX(s, tcp_info_during_retransmission_timeouts);
	ADD_FX(s, tcp_info_counts_unanswered_zero_window_probes);
	ADD_FX(s, tcp_info_of_a_listener_reports_its_queue_and_backlog);
	return s;
}
