/*
 * tcp_rst: when a RST or a SYN is accepted, and what a peer gets instead
 * (RFC 9293 3.10.7, RFC 5961's blind-attack defences: challenge ACKs for
 * in-window RSTs and SYNs, ACK acceptability, the challenge ACK rate limit),
 * and the resets sent for segments that match no connection.
 */
#include "tcp_helpers.h"

/* RFC 5961 3.2: a RST whose sequence number is exactly RCV.NXT resets. */
START_TEST(rst_at_rcv_nxt_resets_the_connection_and_recv_reports_econnreset)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	t_inject(&o);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_ne(ns_socket_poll(c.s) & (POLLERR | POLLHUP), 0);
	char buf[4];
	/* Linux: the error once, then end of file; sending fails. */
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), -ECONNRESET);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(ns_send(c.s, "x", 1, 0), -EPIPE);
	ck_assert_uint_eq(ST(tcp_rst_rx), 1);
	/* The connection is gone: the next segment is answered by a RST. */
	t_send(&c, "x", 1);
	struct t_in r;
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	t_close(&c);
}
END_TEST

/* RFC 5961 3.2: a RST inside the window but not at RCV.NXT earns a
 * challenge ACK; the connection survives, and the true peer's RST (at the
 * ACK's number) then resets it. */
START_TEST(rst_in_window_but_not_at_rcv_nxt_gets_a_challenge_ack)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	o.seq = c.snd_nxt + 1000;
	t_inject(&o);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.seq, c.stack_iss + 1);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	ck_assert_uint_eq(ST(tcp_challenge_ack), 1);
	o.seq = ack.ack;
	t_inject(&o);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 first / RFC 5961 3.2: a RST outside the window is
 * dropped without a word. */
START_TEST(rst_outside_the_window_is_dropped_silently)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	o.seq = c.snd_nxt + 1000000;
	t_inject(&o);
	o.seq = c.snd_nxt - 1;
	t_inject(&o);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	/* Data still flows. */
	t_send(&c, "ok", 2);
	char buf[4];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 2);
	t_close(&c);
}
END_TEST

/* RFC 5961 4.2: a SYN on a synchronized connection, whatever its sequence
 * number, gets an ACK and nothing else; the connection lives. */
START_TEST(syn_on_an_established_connection_gets_a_challenge_ack_not_a_reset)
{
	struct t_conn c;
	T_ACCEPT(&c);
	uint32_t seqs[] = { c.snd_nxt, c.snd_nxt + 500, c.snd_nxt + 3000000 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(seqs); i++) {
		T_INJECT(.sport = c.peer_port, .dport = c.port, .seq = seqs[i], .flags = TH_SYN,
			 .win = 65535, .mss = 1460);
		struct t_in ack;
		T_EXPECT(&ack);
		ck_assert_int_eq(ack.flags, TH_ACK);
		ck_assert_uint_eq(ack.ack, c.snd_nxt);
		ck_assert_uint_eq(ack.seq, c.stack_iss + 1);
		T_EXPECT_NONE();
		ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	}
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 fifth: an ACK of something not yet sent: send an ACK,
 * drop the segment (its data is not delivered). */
START_TEST(ack_of_unsent_data_is_answered_with_an_ack_and_the_segment_dropped)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct t_out o = t_out_for(&c);
	o.ack = c.rcv_nxt + 1000;
	o.data = (const uint8_t *)"evil";
	o.len = 4;
	t_inject(&o);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	char buf[8];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	t_close(&c);
}
END_TEST

/* RFC 5961 5.2: an ACK below SND.UNA - MAX.SND.WND is a blind injection:
 * challenge ACK, data discarded. Within that range it is acceptable. */
START_TEST(ack_older_than_the_max_window_gets_a_challenge_ack_and_data_is_dropped)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct t_out o = t_out_for(&c);
	o.ack = c.rcv_nxt - 70000; /* the peer's window is 65535 */
	o.data = (const uint8_t *)"evil";
	o.len = 4;
	t_inject(&o);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	ck_assert_uint_eq(ST(tcp_challenge_ack), 1);
	char buf[8];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), -EAGAIN);
	/* An old ACK within the window's reach carries data as usual. */
	o.ack = c.rcv_nxt - 60000;
	o.data = (const uint8_t *)"good";
	t_inject(&o);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(memcmp(buf, "good", 4), 0);
	t_close(&c);
}
END_TEST

/* RFC 5961 7: challenge ACKs are rate limited (1000 a second, stack-wide). */
START_TEST(challenge_acks_are_limited_to_1000_a_second)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	o.seq = c.snd_nxt + 10;
	int acks = 0;
	for (int i = 0; i < 1100; i++) {
		t_inject(&o);
		acks += t_drain();
	}
	ck_assert_int_eq(acks, 1000);
	ck_assert_uint_eq(ST(tcp_challenge_ack_limited), 100);
	t_run(NS_SEC);
	t_inject(&o);
	ck_assert_int_eq(t_drain(), 1);
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.3 / RFC 5961 3.2: in SYN-SENT a RST counts only if it
 * acknowledges our SYN; others are ignored and never answered. */
START_TEST(syn_sent_ignores_a_rst_that_does_not_acknowledge_the_syn)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn;
	T_EXPECT(&syn);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 1, .flags = TH_RST);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 1, .ack = syn.seq + 5,
		 .flags = TH_RST | TH_ACK);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 1, .ack = syn.seq,
		 .flags = TH_RST | TH_ACK);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(s), LS_SYN_SENT);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_ERROR), 0);
	ns_close(s);
}
END_TEST

/* RFC 9293 3.10.7.3 first: a SYN-ACK with an unacceptable ACK gets
 * <SEQ=SEG.ACK><CTL=RST>; the connection attempt goes on. */
START_TEST(syn_sent_answers_a_synack_with_a_bad_ack_by_a_reset_and_keeps_waiting)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, r;
	T_EXPECT(&syn);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 900, .ack = syn.seq + 77,
		 .flags = TH_SYN | TH_ACK, .win = 65535, .mss = 1460);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(r.seq, syn.seq + 77);
	ck_assert_int_eq(t_state(s), LS_SYN_SENT);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 900, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 65535, .mss = 1460);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_ACK);
	ck_assert_int_eq(t_state(s), LS_ESTABLISHED);
	ns_close(s);
}
END_TEST

/* RFC 9293 3.10.7.1: no connection. Without ACK: <SEQ=0><ACK=SEG.SEQ+
 * SEG.LEN><CTL=RST,ACK> (SYN and FIN count); with ACK: <SEQ=SEG.ACK>
 * <CTL=RST>. */
START_TEST(segments_to_a_closed_port_get_resets_built_from_them)
{
	t_begin();
	struct t_in r;
	T_INJECT(.sport = 1234, .dport = 9, .seq = 100, .flags = TH_SYN, .win = 1000);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST | TH_ACK);
	ck_assert_uint_eq(r.seq, 0);
	ck_assert_uint_eq(r.ack, 101);
	ck_assert_uint_eq(r.sport, 9);
	ck_assert_uint_eq(r.dport, 1234);
	ck_assert_uint_eq(r.win, 0);
	ck_assert(r.csum_ok);
	T_INJECT(.sport = 1234, .dport = 9, .seq = 100, .flags = TH_FIN | TH_PSH, .data = "abc",
		 .len = 3);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST | TH_ACK);
	ck_assert_uint_eq(r.ack, 104);
	T_INJECT(.sport = 1234, .dport = 9, .seq = 100, .ack = 55555, .flags = TH_ACK, .data = "abc",
		 .len = 3);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(r.seq, 55555);
	ck_assert_uint_eq(ST(tcp_drop_no_port), 3);
	ck_assert_uint_eq(ST(tcp_rst_tx), 3);
}
END_TEST

/* RFC 9293 3.10.7.1: a RST is never answered. */
START_TEST(a_rst_to_a_closed_port_is_not_answered)
{
	t_begin();
	T_INJECT(.sport = 1234, .dport = 9, .seq = 100, .flags = TH_RST);
	T_INJECT(.sport = 1234, .dport = 9, .seq = 100, .ack = 5, .flags = TH_RST | TH_ACK);
	T_EXPECT_NONE();
}
END_TEST

static struct ns_socket *listener(uint16_t port, int backlog)
{
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in a = fx_sin(0, port);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, backlog), 0);
	return ls;
}

/* RFC 9293 3.10.7.2: in LISTEN a RST is ignored; an ACK (or SYN-ACK) gets
 * <SEQ=SEG.ACK><CTL=RST>. */
START_TEST(listener_ignores_rst_and_resets_a_stray_ack)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 4);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 5, .flags = TH_RST);
	T_EXPECT_NONE();
	struct t_in r;
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 5, .ack = 4242, .flags = TH_ACK);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(r.seq, 4242);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 5, .ack = 4343, .flags = TH_SYN | TH_ACK);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(r.seq, 4343);
	ck_assert_int_eq(t_state(ls), LS_LISTEN);
	ns_close(ls);
}
END_TEST

/* RFC 9293 3.10.7.4 second (SYN-RECEIVED from a passive open): a RST in
 * the window removes the half-open connection; it is never accepted. */
START_TEST(rst_in_syn_received_removes_the_half_open_connection)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 4), *c;
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	struct t_in sa, r;
	T_EXPECT(&sa);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1001, .flags = TH_RST);
	T_EXPECT_NONE();
	/* The handshake's ACK now finds nothing. */
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1001, .ack = sa.seq + 1, .flags = TH_ACK,
		 .win = 65535);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	/* Nor is the SYN-ACK retransmitted. */
	ck_assert_int_eq(t_run(10 * NS_SEC), 0);
	ns_close(ls);
}
END_TEST

/* RFC 9293 3.10.7.4 fifth (SYN-RECEIVED): an unacceptable ACK gets
 * <SEQ=SEG.ACK><CTL=RST>; the half-open connection stays. */
START_TEST(bad_ack_in_syn_received_gets_a_reset_and_the_handshake_can_still_finish)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 4), *c;
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	struct t_in sa, r;
	T_EXPECT(&sa);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1001, .ack = sa.seq + 9, .flags = TH_ACK,
		 .win = 65535);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(r.seq, sa.seq + 9);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1001, .ack = sa.seq + 1, .flags = TH_ACK,
		 .win = 65535);
	T_EXPECT_NONE();
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	ns_close(c);
	ns_close(ls);
}
END_TEST

/* RFC 9293 3.10.7.4 second: CLOSE-WAIT reset. Linux (tcp_reset) reports
 * EPIPE there: the peer had already closed its side. */
START_TEST(rst_in_close_wait_makes_send_fail_with_epipe)
{
	struct t_conn c;
	T_ACCEPT(&c);
	t_send_flags(&c, TH_FIN, NULL, 0);
	t_drain();
	ck_assert_int_eq(t_state(c.s), LS_CLOSE_WAIT);
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	t_inject(&o);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(ns_send(c.s, "x", 1, 0), -EPIPE);
	char buf[4];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 second: in LAST-ACK a RST just closes. */
START_TEST(rst_in_last_ack_closes_the_connection)
{
	struct t_conn c;
	T_ACCEPT(&c);
	t_send_flags(&c, TH_FIN, NULL, 0);
	t_drain();
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	ck_assert_int_eq(t_state(c.s), LS_LAST_ACK);
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	t_inject(&o);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	/* No FIN retransmission follows. */
	ck_assert_int_eq(t_run(30 * NS_SEC), 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4: TIME-WAIT and a RST at RCV.NXT: the connection ends at
 * once (Linux's default; RFC 1337 describes the hazard). */
START_TEST(rst_in_time_wait_ends_it_early)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_send_flags(&c, TH_FIN, NULL, 0);
	t_drain();
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	t_inject(&o);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_conn_state(&c), LS_CLOSE);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 second (SYN-RECEIVED from an active OPEN): a RST at
 * RCV.NXT refuses the connection. */
START_TEST(rst_in_syn_received_of_a_simultaneous_open_refuses_the_connection)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, sa;
	T_EXPECT(&syn);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	T_EXPECT(&sa);
	ck_assert_int_eq(t_state(s), LS_SYN_RECV);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5001, .flags = TH_RST);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(s), LS_CLOSE);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	ns_close(s);
}
END_TEST

Suite *tcp_rst_suite(void)
{
	Suite *s = unit_suite("tcp_rst");
	ADD_FX(s, rst_at_rcv_nxt_resets_the_connection_and_recv_reports_econnreset);
	ADD_FX(s, rst_in_window_but_not_at_rcv_nxt_gets_a_challenge_ack);
	ADD_FX(s, rst_outside_the_window_is_dropped_silently);
	ADD_FX(s, syn_on_an_established_connection_gets_a_challenge_ack_not_a_reset);
	ADD_FX(s, ack_of_unsent_data_is_answered_with_an_ack_and_the_segment_dropped);
	ADD_FX(s, ack_older_than_the_max_window_gets_a_challenge_ack_and_data_is_dropped);
	ADD_FX(s, challenge_acks_are_limited_to_1000_a_second);
	ADD_FX(s, syn_sent_ignores_a_rst_that_does_not_acknowledge_the_syn);
	ADD_FX(s, syn_sent_answers_a_synack_with_a_bad_ack_by_a_reset_and_keeps_waiting);
	ADD_FX(s, segments_to_a_closed_port_get_resets_built_from_them);
	ADD_FX(s, a_rst_to_a_closed_port_is_not_answered);
	ADD_FX(s, listener_ignores_rst_and_resets_a_stray_ack);
	ADD_FX(s, rst_in_syn_received_removes_the_half_open_connection);
	ADD_FX(s, bad_ack_in_syn_received_gets_a_reset_and_the_handshake_can_still_finish);
	ADD_FX(s, rst_in_close_wait_makes_send_fail_with_epipe);
	ADD_FX(s, rst_in_last_ack_closes_the_connection);
	ADD_FX(s, rst_in_time_wait_ends_it_early);
	ADD_FX(s, rst_in_syn_received_of_a_simultaneous_open_refuses_the_connection);
	return s;
}
