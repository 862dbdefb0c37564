/*
 * tcp_close: how connections end, as the peer and the user see it.
 * Graceful close sends what is queued then FIN (RFC 9293 3.10.4) and
 * retransmits the FIN; closing with unread data, SO_LINGER 0 and
 * connect(AF_UNSPEC) abort with a RST (RFC 9293 3.10.5, RFC 1122
 * 4.2.2.13, Linux); data for a closed socket is answered by a RST;
 * half-close keeps the other direction open.
 */
#include "tcp_helpers.h"

#define MS NS_MSEC

/* RFC 1122 4.2.2.13 / RFC 2525 2.17 (Linux): closing with unread data
 * resets the connection instead of closing it gracefully. */
START_TEST(close_with_unread_data_sends_a_reset_not_a_fin)
{
	struct t_conn c;
	T_ACCEPT(&c);
	t_send(&c, "unread", 6);
	t_drain();
	ns_close(c.s);
	c.s = NULL;
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST | TH_ACK);
	ck_assert_uint_eq(r.seq, c.stack_iss + 1);
	ck_assert_uint_eq(r.ack, c.snd_nxt);
	T_EXPECT_NONE();
	ck_assert_uint_eq(ST(tcp_abort_on_close), 1);
	/* Nothing remains: the peer's next segment is reset. */
	t_send(&c, "x", 1);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.5 ABORT via SO_LINGER with a zero timeout (Linux): a RST,
 * no FIN, no TIME-WAIT. */
START_TEST(so_linger_zero_close_sends_a_reset)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	ck_assert_int_eq(ns_setsockopt(c.s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	ck_assert_int_eq(ns_send(c.s, "x", 1, 0), 1);
	struct t_in r;
	T_EXPECT(&r);
	ns_close(c.s);
	c.s = NULL;
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST | TH_ACK);
	ck_assert_uint_eq(r.seq, c.stack_iss + 2);
	T_EXPECT_NONE();
	ck_assert_uint_eq(ST(tcp_abort_on_linger), 1);
	ck_assert_int_eq(t_run(10 * NS_SEC), 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.4 CLOSE: queued data goes first, the FIN rides on the
 * last segment; the closed socket finishes the job by itself. */
START_TEST(close_sends_queued_data_then_fin)
{
	struct t_conn c;
	T_ACCEPT(&c, .win = 2920);
	ck_assert_int_eq(t_write(c.s, 5000, 1), 5000);
	ns_close(c.s);
	c.s = NULL;
	struct t_in d;
	uint32_t got = 0;
	int fin = 0;
	for (int round = 0; round < 10 && !fin; round++) {
		while (t_take(&d)) {
			ck_assert_uint_eq(t_off(&c, d.seq), got);
			got += d.len;
			fin |= !!(d.flags & TH_FIN);
			ck_assert_msg(!(d.flags & TH_FIN) || got == 5000, "FIN before the data's end");
			t_note(&c, &d);
		}
		t_ack_all(&c);
	}
	ck_assert(fin);
	ck_assert_uint_eq(got, 5000);
	/* Our FIN was acknowledged; the peer closes too: TIME-WAIT answers. */
	t_send_flags(&c, TH_FIN, NULL, 0);
	T_EXPECT(&d);
	ck_assert_int_eq(d.flags, TH_ACK);
	ck_assert_uint_eq(d.ack, c.snd_nxt);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.4 / RFC 6298: the FIN occupies sequence space and is
 * retransmitted until acknowledged. */
START_TEST(fin_is_retransmitted_until_acknowledged)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * MS);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin, r;
	T_EXPECT(&fin);
	ns_time_t t0 = fin.t;
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, t0 + 300 * MS);
	ck_assert_int_eq(r.flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(r.seq, fin.seq);
	ck_assert(t_run_until(NS_SEC, &r));
	T_AT(r.t, t0 + 900 * MS);
	t_note(&c, &r);
	t_ack_all(&c);
	ck_assert_int_eq(t_state(c.s), LS_FIN_WAIT2);
	ck_assert_int_eq(t_run(5 * NS_SEC), 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 / RFC 1122 4.2.2.13 (Linux): data arriving for a
 * socket the user closed cannot be delivered: the connection is reset. */
START_TEST(data_after_close_is_answered_with_a_reset)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ns_close(c.s);
	c.s = NULL;
	struct t_in fin, r;
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	t_send(&c, "late", 4);
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	ck_assert_uint_eq(ST(tcp_abort_on_data), 1);
	t_send(&c, "more", 4);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.6 half-close: after shutdown(SHUT_WR) sending fails with
 * EPIPE, receiving goes on (data acknowledged and readable). */
START_TEST(half_closed_connection_still_receives)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin, a;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_ack_all(&c);
	ck_assert_int_eq(ns_send(c.s, "x", 1, 0), -EPIPE);
	static uint8_t big[20000];
	for (unsigned i = 0; i < sizeof(big); i += 1000)
		t_send(&c, big + i, 1000);
	t_run(200 * MS); /* a delayed ACK, if one is owed */
	uint32_t last = 0;
	while (t_take(&a))
		last = a.ack;
	ck_assert_uint_eq(last, c.snd_nxt);
	static uint8_t buf[30000];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 20000);
	t_send_flags(&c, TH_FIN, NULL, 0);
	ck_assert_int_eq(ns_recv(c.s, buf, 10, 0), 0);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_close(&c);
}
END_TEST

/* shutdown(SHUT_RDWR): a FIN goes, reading returns end of file at once. */
START_TEST(shutdown_rdwr_sends_fin_and_reads_end_of_file)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_RDWR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	char buf[4];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(ns_send(c.s, "x", 1, 0), -EPIPE);
	t_close(&c);
}
END_TEST

/* Linux tcp_disconnect(): connect(AF_UNSPEC) aborts with a RST and leaves
 * a socket that can connect again. */
START_TEST(connect_af_unspec_resets_and_the_socket_can_connect_again)
{
	struct t_conn c;
	T_CONNECT(&c);
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	ck_assert_int_eq(ns_connect(c.s, &sa, sizeof(sa)), 0);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 81);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_SYN);
	ck_assert_uint_eq(r.dport, 81);
	t_close(&c);
}
END_TEST

/* Linux: closing a socket still in SYN-SENT sends nothing; the peer's late
 * SYN-ACK then finds no connection and gets a RST. */
START_TEST(close_in_syn_sent_sends_nothing_and_a_late_synack_is_reset)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, r;
	T_EXPECT(&syn);
	ns_close(s);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_run(5 * NS_SEC), 0);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 9, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 65535);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(r.seq, syn.seq + 1);
}
END_TEST

/* RFC 9293 3.10.4: close in CLOSE-WAIT sends FIN (LAST-ACK); its ACK ends
 * the connection for good. */
START_TEST(close_after_the_peer_closed_ends_after_our_fin_is_acked)
{
	struct t_conn c;
	T_ACCEPT(&c);
	t_send_flags(&c, TH_FIN, NULL, 0);
	t_drain();
	ns_close(c.s);
	c.s = NULL;
	struct t_in fin, r;
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	t_note(&c, &fin);
	t_ack_all(&c);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_run(10 * NS_SEC), 0);
	t_ack_all(&c);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 eighth: nothing after a FIN is data. Bytes the peer
 * sent beyond its FIN, held out of order, are dropped when the FIN is taken
 * (Linux tcp_fin() too): they are not reported in SACK blocks, the user
 * reads to end-of-file, and close() is graceful, a FIN, not the RST of
 * closing with unread data. */
START_TEST(bytes_beyond_the_peers_fin_are_dropped_and_close_stays_graceful)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	struct t_out o = t_out_for(&c);
	o.seq = c.snd_nxt + 100;
	o.data = "beyond the fin";
	o.len = 14;
	t_inject(&o);
	c.tsval++;
	t_drain();
	t_send_flags(&c, TH_FIN | TH_PSH, "last", 4);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, c.snd_nxt);
	ck_assert_int_eq(a.nsack, 0);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE_WAIT);
	char buf[64];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 4);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	ns_close(c.s);
	c.s = NULL;
	struct t_in fin;
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	t_close(&c);
}
END_TEST

Suite *tcp_close_suite(void)
{
	Suite *s = unit_suite("tcp_close");
	ADD_FX(s, close_with_unread_data_sends_a_reset_not_a_fin);
	ADD_FX(s, so_linger_zero_close_sends_a_reset);
	ADD_FX(s, close_sends_queued_data_then_fin);
	ADD_FX(s, fin_is_retransmitted_until_acknowledged);
	ADD_FX(s, data_after_close_is_answered_with_a_reset);
	ADD_FX(s, half_closed_connection_still_receives);
	ADD_FX(s, shutdown_rdwr_sends_fin_and_reads_end_of_file);
	ADD_FX(s, connect_af_unspec_resets_and_the_socket_can_connect_again);
	ADD_FX(s, close_in_syn_sent_sends_nothing_and_a_late_synack_is_reset);
	ADD_FX(s, close_after_the_peer_closed_ends_after_our_fin_is_acked);
	ADD_FX(s, bytes_beyond_the_peers_fin_are_dropped_and_close_stays_graceful);
	return s;
}
