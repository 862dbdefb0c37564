/*
 * tcp_listen: the passive side. The SYN queue (SYN-ACK retransmission,
 * duplicate SYNs), the accept queue bounded by the backlog (Linux: backlog
 * + 1 connections wait; SYNs and final ACKs beyond are dropped, the SYN-ACK
 * is retransmitted), SYN cookies when the SYN queue is full (the cookie's
 * ACK makes a connection with the MSS, window scale and SACK the cookie
 * carried), and what closing a listener does to what waits in it.
 */
#include "tcp_helpers.h"

#define SEC NS_SEC

static struct ns_socket *listener(uint16_t port, int backlog)
{
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in a = fx_sin(0, port);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, backlog), 0);
	ck_assert_int_eq(t_geti(ls, SOL_SOCKET, SO_ACCEPTCONN), 1);
	return ls;
}

/* A SYN from `port`; returns the SYN-ACK (fails if none). */
static struct t_in syn_from(uint16_t port, uint32_t iss)
{
	T_INJECT(.sport = port, .dport = 8080, .seq = iss, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	struct t_in sa;
	T_EXPECT(&sa);
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(sa.dport, port);
	return sa;
}

static void ack_from(uint16_t port, uint32_t iss, const struct t_in *sa)
{
	T_INJECT(.sport = port, .dport = 8080, .seq = iss + 1, .ack = sa->seq + 1, .flags = TH_ACK,
		 .win = 65535);
}

/* Linux tcp_synack_retries (5), RFC 6298 back-off: SYN-ACKs at 0, 1, 3, 7,
 * 15 and 31 s; at 63 s the half-open connection is given up silently, and
 * its late ACK finds nothing (RST). */
START_TEST(synack_is_retransmitted_five_times_then_the_request_is_dropped)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 8), *c;
	ns_time_t t0 = t_now();
	struct t_in sa = syn_from(40000, 1000), r;
	static const int at[] = { 1, 3, 7, 15, 31 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(at); i++) {
		ck_assert(t_run_until(100 * SEC, &r));
		T_AT(r.t, t0 + (ns_time_t)at[i] * SEC);
		ck_assert_int_eq(r.flags, TH_SYN | TH_ACK);
		ck_assert_uint_eq(r.seq, sa.seq);
	}
	ck_assert_uint_eq(ST(tcp_synack_retrans), 5);
	ck_assert(!t_run_until(100 * SEC, &r));
	ack_from(40000, 1000, &sa);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ns_close(ls);
}
END_TEST

/* RFC 9293 3.10.7.4 (SYN-RECEIVED): a retransmitted SYN gets the same
 * SYN-ACK again (same ISN); the handshake then completes. */
START_TEST(retransmitted_syn_gets_the_same_synack)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 8), *c;
	struct t_in sa1 = syn_from(40000, 1000);
	struct t_in sa2 = syn_from(40000, 1000);
	ck_assert_uint_eq(sa1.seq, sa2.seq);
	ck_assert_uint_eq(sa2.ack, 1001);
	ack_from(40000, 1000, &sa2);
	T_EXPECT_NONE();
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ns_close(ls);
}
END_TEST

/* Linux: data in a SYN (no Fast Open) is not acknowledged nor delivered;
 * the SYN-ACK acknowledges the SYN alone. */
START_TEST(data_in_a_syn_is_not_acknowledged)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 8), *c;
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460, .data = "early", .len = 5);
	struct t_in sa;
	T_EXPECT(&sa);
	ck_assert_uint_eq(sa.ack, 1001);
	ack_from(40000, 1000, &sa);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	char buf[8];
	ck_assert_int_eq(ns_recv(c, buf, sizeof(buf), 0), -EAGAIN);
	ns_close(c);
	ns_close(ls);
}
END_TEST

/* Linux sk_acceptq_is_full(): backlog + 1 connections may wait; then SYNs
 * are dropped without an answer (counted), until accept() makes room. */
START_TEST(accept_queue_holds_backlog_plus_one_then_syns_are_dropped)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 2), *c;
	for (uint16_t p = 0; p < 3; p++) {
		struct t_in sa = syn_from((uint16_t)(40000 + p), 1000);
		ack_from((uint16_t)(40000 + p), 1000, &sa);
	}
	T_INJECT(.sport = 40003, .dport = 8080, .seq = 1000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	T_EXPECT_NONE();
	ck_assert_uint_eq(ST(tcp_listen_overflows), 1);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	ns_close(c);
	ck_assert_int_eq(t_drain(), 1); /* its FIN */
	/* The peer's SYN retransmission now gets through. */
	struct t_in sa = syn_from(40003, 1000);
	ack_from(40003, 1000, &sa);
	int n = 0;
	while (ns_accept(ls, &c, NULL, NULL) == 0) {
		ns_close(c);
		n++;
	}
	ck_assert_int_eq(n, 3);
	ns_close(ls);
}
END_TEST

/* Linux: a final ACK that finds the accept queue full is dropped (no RST)
 * and the SYN-ACK is retransmitted later; once accept() made room, the
 * peer's answer to that SYN-ACK completes the connection. */
START_TEST(final_ack_to_a_full_accept_queue_is_dropped_and_the_synack_resent)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 2), *c;
	struct t_in sa[4];
	for (uint16_t p = 0; p < 2; p++) {
		sa[p] = syn_from((uint16_t)(40000 + p), 1000);
		ack_from((uint16_t)(40000 + p), 1000, &sa[p]);
	}
	ns_time_t t0 = t_now();
	sa[2] = syn_from(40002, 1000);
	sa[3] = syn_from(40003, 1000);
	ack_from(40002, 1000, &sa[2]); /* the queue is full now: 3 */
	ack_from(40003, 1000, &sa[3]);
	T_EXPECT_NONE();
	ck_assert_uint_ge(ST(tcp_listen_overflows), 1);
	struct t_in r;
	ck_assert(t_run_until(2 * SEC, &r));
	T_AT(r.t, t0 + SEC);
	ck_assert_int_eq(r.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(r.dport, 40003);
	ck_assert_uint_eq(r.seq, sa[3].seq);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	ns_close(c);
	ck_assert_int_eq(t_drain(), 1); /* its FIN */
	ack_from(40003, 1000, &sa[3]);
	T_EXPECT_NONE();
	int n = 0;
	while (ns_accept(ls, &c, NULL, NULL) == 0) {
		ns_close(c);
		n++;
	}
	ck_assert_int_eq(n, 3);
	ns_close(ls);
}
END_TEST

/* TCP_DEFER_ACCEPT (Linux): 5 s are three SYN-ACK timeouts (1 + 2 + 4 s,
 * read back as 7). A bare final ACK is dropped and nothing is resent until
 * the last timeout of the period (7 s); the ACK of that SYN-ACK completes
 * the connection without data. Data completes one at once. */
START_TEST(defer_accept_waits_for_data_or_the_end_of_the_period)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 8), *c;
	ck_assert_int_eq(t_seti(ls, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5), 0);
	ck_assert_int_eq(t_geti(ls, IPPROTO_TCP, TCP_DEFER_ACCEPT), 7);
	ns_time_t t0 = t_now();
	struct t_in sa = syn_from(40000, 1000), r;
	ack_from(40000, 1000, &sa);
	struct t_in sb = syn_from(40001, 5000);
	ack_from(40001, 5000, &sb);
	T_INJECT(.sport = 40001, .dport = 8080, .seq = 5001, .ack = sb.seq + 1, .flags = TH_ACK | TH_PSH,
		 .win = 65535, .data = "hi", .len = 2);
	T_EXPECT(&r); /* its ACK */
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	char b[4];
	ck_assert_int_eq(ns_recv(c, b, sizeof(b), 0), 2);
	struct ns_socket *cb = c;
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ck_assert(t_run_until(10 * SEC, &r));
	T_AT(r.t, t0 + 7 * SEC);
	ck_assert_int_eq(r.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(r.dport, 40000);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ack_from(40000, 1000, &sa);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	ck_assert_int_eq(ns_recv(c, b, sizeof(b), MSG_DONTWAIT), -EAGAIN);
	ns_close(c);
	ns_close(cb);
	ns_close(ls);
}
END_TEST

/* TCP_DEFER_ACCEPT seconds read back as the whole SYN-ACK timeouts that
 * cover them (1 s doubling up to 120 s, at most 255 of them). */
START_TEST(defer_accept_rounds_to_synack_timeouts)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 8);
	static const int in[] = { -1, 0, 1, 2, 3, 4, 8, 100, 1000, 100000 };
	static const int out[] = { 0, 0, 1, 3, 3, 7, 15, 127, 1087, 29887 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(in); i++) {
		ck_assert_int_eq(t_seti(ls, IPPROTO_TCP, TCP_DEFER_ACCEPT, in[i]), 0);
		ck_assert_int_eq(t_geti(ls, IPPROTO_TCP, TCP_DEFER_ACCEPT), out[i]);
	}
	ns_close(ls);
}
END_TEST

/* Linux tcp_syncookies = 1: when the SYN queue (bounded by the backlog) is
 * full, a SYN cookie answers and nothing is kept: no retransmission. */
START_TEST(syn_cookie_answers_when_the_syn_queue_is_full)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 1);
	ns_time_t t0 = t_now();
	syn_from(40000, 1000); /* fills the SYN queue */
	struct t_in ck = syn_from(40001, 2000);
	ck_assert_uint_eq(ck.ack, 2001);
	ck_assert_uint_eq(ST(tcp_syncookies_sent), 1);
	/* Only the first SYN-ACK is retransmitted. */
	struct t_in r;
	ck_assert(t_run_until(2 * SEC, &r));
	T_AT(r.t, t0 + SEC);
	ck_assert_uint_eq(r.dport, 40000);
	ck_assert_int_eq(t_run(3 * SEC), 1);
	T_EXPECT(&r);
	ck_assert_uint_eq(r.dport, 40000);
	ns_close(ls);
}
END_TEST

/* Fill the SYN queue of a backlog-1 listener on 8080 with one request. */
static struct ns_socket *full_synq_listener(void)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 1);
	syn_from(40000, 1000);
	return ls;
}

/* The cookie's ACK makes the connection; the MSS is the cookie table's
 * entry at or below the peer's (1300 for 1400), and data flows in
 * segments of that size. */
START_TEST(cookie_ack_creates_a_connection_with_the_mss_from_the_cookie)
{
	struct ns_socket *ls = full_synq_listener(), *c;
	T_INJECT(.sport = 40001, .dport = 8080, .seq = 2000, .flags = TH_SYN, .win = 65535,
		 .mss = 1400);
	struct t_in ck, d;
	T_EXPECT(&ck);
	/* No timestamps offered: no window scale or SACK either. */
	ck_assert(!ck.ws_ok && !ck.sack_perm && !ck.ts_ok);
	T_INJECT(.sport = 40001, .dport = 8080, .seq = 2001, .ack = ck.seq + 1, .flags = TH_ACK,
		 .win = 65535);
	T_EXPECT_NONE();
	ck_assert_uint_eq(ST(tcp_syncookies_recv), 1);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	struct tcp_info ti = t_info(c);
	ck_assert_uint_eq(ti.tcpi_state, LS_ESTABLISHED);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1300);
	ck_assert_uint_eq(ti.tcpi_options, 0);
	ck_assert_int_eq(t_write(c, 3000, 1), 3000);
	T_EXPECT(&d);
	ck_assert_uint_eq(d.seq, ck.seq + 1);
	ck_assert_uint_eq(d.ack, 2001);
	ck_assert_int_eq(d.len, 1300);
	ns_close(c);
	ns_close(ls);
}
END_TEST

/* Linux: with timestamps the cookie SYN-ACK offers window scaling and SACK
 * too (they ride in the TSval); the connection keeps the peer's shift and
 * SACK. */
START_TEST(cookie_with_timestamps_keeps_window_scale_and_sack)
{
	struct ns_socket *ls = full_synq_listener(), *c;
	T_INJECT(.sport = 40001, .dport = 8080, .seq = 2000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460, .ws_on = 1, .ws = 7, .sack_perm = 1, .ts_on = 1, .tsval = 777);
	struct t_in ck, d;
	T_EXPECT(&ck);
	ck_assert(ck.ws_ok && ck.sack_perm && ck.ts_ok);
	ck_assert_uint_eq(ck.tsecr, 777);
	ck_assert_uint_eq(ck.mss, 1460);
	T_INJECT(.sport = 40001, .dport = 8080, .seq = 2001, .ack = ck.seq + 1, .flags = TH_ACK,
		 .win = 100, .ts_on = 1, .tsval = 778, .tsecr = ck.tsval);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	struct tcp_info ti = t_info(c);
	ck_assert_uint_eq(ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE),
			  TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	ck_assert_uint_eq(ti.tcpi_snd_wscale, 7);
	ck_assert_uint_eq(ti.tcpi_rcv_wscale, ck.ws);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1448);
	/* The peer's window of 100 means 12800 bytes. */
	ck_assert_uint_eq(ti.tcpi_snd_wnd, 12800);
	ck_assert_int_eq(t_seti(c, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	ck_assert_int_eq(t_write(c, 20000, 1), 20000);
	uint32_t sent = 0;
	while (t_take(&d)) {
		ck_assert(d.ts_ok);
		ck_assert_uint_eq(d.tsecr, 778);
		sent += d.len;
	}
	/* Up to the window, and no less than its full segments. */
	ck_assert_uint_le(sent, 12800);
	ck_assert_uint_ge(sent, 12800 / 1448 * 1448);
	ns_close(c);
	ns_close(ls);
}
END_TEST

/* A forged or mangled cookie is refused with a RST (and counted). */
START_TEST(a_bad_cookie_is_refused_with_a_reset)
{
	struct ns_socket *ls = full_synq_listener(), *c;
	struct t_in ck = syn_from(40001, 2000), r;
	T_INJECT(.sport = 40001, .dport = 8080, .seq = 2001, .ack = ck.seq + 1 + 0x01000000,
		 .flags = TH_ACK, .win = 65535);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(ST(tcp_syncookies_failed), 1);
	/* The same cookie with another sequence number (another ISN). */
	T_INJECT(.sport = 40001, .dport = 8080, .seq = 2501, .ack = ck.seq + 1, .flags = TH_ACK,
		 .win = 65535);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ns_close(ls);
}
END_TEST

/* A cookie is good for a while (30 s here) but not for ever (Linux: two
 * minutes; here 64-128 s). */
START_TEST(a_cookie_expires_after_a_few_minutes)
{
	struct ns_socket *ls = full_synq_listener(), *c;
	struct t_in a = syn_from(40001, 2000), b = syn_from(40002, 3000), r;
	t_run(30 * SEC);
	t_drain();
	ack_from(40001, 2000, &a);
	T_EXPECT_NONE();
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	ns_close(c);
	t_run(170 * SEC);
	t_drain();
	ack_from(40002, 3000, &b);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ns_close(ls);
}
END_TEST

/* Linux inet_csk_listen_stop(): closing a listener resets the connections
 * nobody accepted; half-open ones just vanish (their ACK then finds a
 * closed port). */
START_TEST(closing_a_listener_resets_connections_nobody_accepted)
{
	t_begin();
	struct ns_socket *ls = listener(8080, 8);
	struct t_in a = syn_from(40000, 1000), r;
	ack_from(40000, 1000, &a);
	struct t_in b = syn_from(40001, 2000);
	ns_close(ls);
	T_EXPECT(&r);
	ck_assert_int_ne(r.flags & TH_RST, 0);
	ck_assert_uint_eq(r.dport, 40000);
	ck_assert_uint_eq(r.seq, a.seq + 1);
	T_EXPECT_NONE();
	ack_from(40001, 2000, &b);
	T_EXPECT(&r);
	ck_assert_int_eq(r.flags, TH_RST);
	ck_assert_uint_eq(r.dport, 40001);
	ck_assert_int_eq(t_run(10 * SEC), 0);
}
END_TEST

Suite *tcp_listen_suite(void)
{
	Suite *s = unit_suite("tcp_listen");
	ADD_FX(s, synack_is_retransmitted_five_times_then_the_request_is_dropped);
	ADD_FX(s, retransmitted_syn_gets_the_same_synack);
	ADD_FX(s, data_in_a_syn_is_not_acknowledged);
	ADD_FX(s, accept_queue_holds_backlog_plus_one_then_syns_are_dropped);
	ADD_FX(s, final_ack_to_a_full_accept_queue_is_dropped_and_the_synack_resent);
	ADD_FX(s, defer_accept_waits_for_data_or_the_end_of_the_period);
	ADD_FX(s, defer_accept_rounds_to_synack_timeouts);
	ADD_FX(s, syn_cookie_answers_when_the_syn_queue_is_full);
	ADD_FX(s, cookie_ack_creates_a_connection_with_the_mss_from_the_cookie);
	ADD_FX(s, cookie_with_timestamps_keeps_window_scale_and_sack);
	ADD_FX(s, a_bad_cookie_is_refused_with_a_reset);
	ADD_FX(s, a_cookie_expires_after_a_few_minutes);
	ADD_FX(s, closing_a_listener_resets_connections_nobody_accepted);
	return s;
}
