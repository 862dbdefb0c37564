/*
 * tcp_states: the connection state machine of RFC 9293 3.5-3.6 (figure 5),
 * as a peer on the wire and a user of the socket see it: handshakes both
 * ways and simultaneous, every closing path, and the state TCP_INFO
 * reports at each step (Linux numbering).
 */
#include "tcp_helpers.h"

static int sopoll(struct ns_socket *s)
{
	return (int)ns_socket_poll(s);
}

/* RFC 9293 3.5 figure 6: SYN, SYN-ACK, ACK, from the active side. */
START_TEST(connect_sends_syn_and_the_synack_establishes_the_connection)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	ck_assert_int_eq(t_state(s), LS_SYN_SENT);
	ck_assert_int_eq(sopoll(s) & POLLOUT, 0);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EALREADY);
	struct t_in syn;
	T_EXPECT(&syn);
	ck_assert_int_eq(syn.flags, TH_SYN);
	ck_assert(syn.csum_ok);
	ck_assert_uint_eq(syn.dport, 80);
	ck_assert_uint_eq(syn.src, B_IP_STACK);
	ck_assert_int_eq(syn.len, 0);
	/* RFC 9293 3.7.1: MSS = MTU 1500 - 40. */
	ck_assert(syn.mss_ok);
	ck_assert_uint_eq(syn.mss, 1460);
	ck_assert(syn.ws_ok && syn.sack_perm && syn.ts_ok);
	ck_assert_uint_eq(syn.tsecr, 0); /* RFC 7323 3.2: TSecr 0 in a SYN */
	T_EXPECT_NONE();

	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 7777, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 29200, .mss = 1460);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.seq, syn.seq + 1);
	ck_assert_uint_eq(ack.ack, 7778);
	ck_assert_int_eq(ack.len, 0);
	ck_assert_int_eq(t_state(s), LS_ESTABLISHED);
	ck_assert_int_ne(sopoll(s) & POLLOUT, 0);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_ERROR), 0);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	ck_assert_int_eq(ns_getpeername(s, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_uint_eq(ntohs(peer.sin_port), 80);
	/* Linux: the first connect() after the one in progress reports
	 * its success; the socket is connected from then on. */
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EISCONN);
	T_EXPECT_NONE();
	ns_close(s);
}
END_TEST

/* RFC 9293 3.5 figure 6 from the passive side: nothing to accept until the
 * final ACK arrives. */
START_TEST(listener_answers_syn_with_synack_and_accept_waits_for_the_final_ack)
{
	t_begin();
	struct ns_socket *ls, *c;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 8), 0);
	ck_assert_int_eq(t_state(ls), LS_LISTEN);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	struct t_in sa;
	T_EXPECT(&sa);
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(sa.ack, 1001);
	ck_assert(sa.mss_ok);
	ck_assert_uint_eq(sa.mss, 1460);
	/* The peer offered no window scaling, SACK or timestamps. */
	ck_assert(!sa.ws_ok && !sa.sack_perm && !sa.ts_ok);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ck_assert_int_eq(sopoll(ls) & POLLIN, 0);

	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1001, .ack = sa.seq + 1, .flags = TH_ACK,
		 .win = 65535);
	T_EXPECT_NONE();
	ck_assert_int_ne(sopoll(ls) & POLLIN, 0);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	ck_assert_int_eq(ns_accept(ls, &c, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_uint_eq(ntohl(peer.sin_addr.s_addr), B_IP_PEER);
	ck_assert_uint_eq(ntohs(peer.sin_port), 40000);
	ck_assert_int_eq(t_state(c), LS_ESTABLISHED);
	ck_assert_int_ne(sopoll(c) & POLLOUT, 0);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), -EAGAIN);
	ns_close(c);
	ns_close(ls);
}
END_TEST

/* RFC 9293 3.10.7.4: data riding on the handshake's final ACK is kept. */
START_TEST(data_on_the_final_ack_is_readable_after_accept)
{
	t_begin();
	struct ns_socket *ls, *c;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 8), 0);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	struct t_in sa, ack;
	T_EXPECT(&sa);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 1001, .ack = sa.seq + 1,
		 .flags = TH_ACK | TH_PSH, .win = 65535, .data = "hello", .len = 5);
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, 1006);
	ck_assert_int_eq(ns_accept(ls, &c, NULL, NULL), 0);
	char buf[16];
	ck_assert_int_eq(ns_recv(c, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ns_close(c);
	ns_close(ls);
}
END_TEST

/* RFC 9293 3.5 figure 7: both sides send SYN; each answers with SYN-ACK
 * and the connection is established when its SYN is acknowledged. */
START_TEST(simultaneous_open_answers_a_syn_with_synack_and_establishes_on_its_ack)
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
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(sa.seq, syn.seq);
	ck_assert_uint_eq(sa.ack, 5001);
	ck_assert_int_eq(t_state(s), LS_SYN_RECV);
	ck_assert_int_eq(sopoll(s) & POLLOUT, 0);
	/* The peer's SYN-ACK acknowledges our SYN. */
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5000, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 65535, .mss = 1460);
	ck_assert_int_eq(t_state(s), LS_ESTABLISHED);
	ck_assert_int_ne(sopoll(s) & POLLOUT, 0);
	t_drain();
	/* Data flows both ways. */
	ck_assert_int_eq(ns_send(s, "x", 1, 0), 1);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert_uint_eq(d.seq, syn.seq + 1);
	ck_assert_uint_eq(d.ack, 5001);
	ck_assert_int_eq(d.len, 1);
	ns_close(s);
}
END_TEST

/* RFC 7323 2.2: the SYN-ACK that completes a simultaneous open is a SYN:
 * its window is not scaled, though both sides agreed on scaling. */
START_TEST(the_synack_completing_a_simultaneous_open_has_an_unscaled_window)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, sa;
	T_EXPECT(&syn);
	ck_assert(syn.ws_ok);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5000, .flags = TH_SYN, .win = 2304,
		 .mss = 1460, .ws_on = 1, .ws = 7);
	T_EXPECT(&sa);
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5000, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 2304, .mss = 1460, .ws_on = 1, .ws = 7);
	ck_assert_int_eq(t_state(s), LS_ESTABLISHED);
	ck_assert_uint_eq(t_info(s).tcpi_snd_wnd, 2304);
	ck_assert_uint_eq(t_tp(s)->snd_max_wnd, 2304);
	/* Half the largest window the peer offered bounds the MSS. */
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_MAXSEG), 1152);
	ns_close(s);
}
END_TEST

/* Linux keeps a shutdown() of the unconnected socket (sk_shutdown) until
 * a disconnect: after a simultaneous open it sends the FIN as soon as the
 * connection is established (tcp_rcv_state_process, SYN-RECV); SHUT_RD
 * makes reads end at once. */
START_TEST(shutdown_before_connect_stays_and_a_simultaneous_open_then_sends_fin)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(ns_shutdown(s, SHUT_RDWR), -ENOTCONN);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, sa, fin;
	T_EXPECT(&syn);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	T_EXPECT(&sa);
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5000, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 65535, .mss = 1460);
	ck_assert_int_eq(t_state(s), LS_FIN_WAIT1);
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(fin.seq, syn.seq + 1);
	char b;
	ck_assert_int_eq(ns_recv(s, &b, 1, 0), 0);
	ck_assert_int_eq(ns_send(s, "x", 1, 0), -EPIPE);
	ns_close(s);
}
END_TEST

/* The same after an ordinary handshake: no FIN, but no writing either
 * (Linux: SEND_SHUTDOWN stays set). */
START_TEST(shutdown_before_connect_stays_after_an_ordinary_handshake)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(ns_shutdown(s, SHUT_WR), -ENOTCONN);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, ack;
	T_EXPECT(&syn);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 7777, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 29200, .mss = 1460);
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(s), LS_ESTABLISHED);
	ck_assert_int_eq(ns_send(s, "x", 1, 0), -EPIPE);
	ck_assert_int_eq(sopoll(s) & (POLLOUT | POLLIN), POLLOUT);
	ns_close(s);
}
END_TEST

/* A listener shut before listen() (Linux sk_clone_lock copies the flags):
 * its connection reads the end at once and, shut for writing, sends its
 * FIN right after the handshake. */
START_TEST(a_listeners_shutdown_before_listen_is_its_connections_too)
{
	t_begin();
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	ck_assert_int_eq(ns_shutdown(ls, SHUT_RDWR), -ENOTCONN);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 4), 0);
	struct t_in sa, fin;
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 5000, .flags = TH_SYN, .win = 65535, .mss = 1460);
	T_EXPECT(&sa);
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 5001, .ack = sa.seq + 1, .flags = TH_ACK,
		 .win = 65535);
	struct ns_socket *s;
	ck_assert_int_eq(ns_accept(ls, &s, NULL, NULL), 0);
	ck_assert_int_eq(t_state(s), LS_FIN_WAIT1);
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(fin.seq, sa.seq + 1);
	char b;
	ck_assert_int_eq(ns_recv(s, &b, 1, 0), 0);
	ns_close(s);
	ns_close(ls);
}
END_TEST

/* Linux tcp_disconnect() changes no state of a socket already closed, so
 * gives back no port: a socket a failed connect left closed and that was
 * bound (to an address, port 0) afterwards keeps both through the
 * disconnect the next connect makes. */
START_TEST(a_disconnect_of_a_closed_socket_keeps_its_port_and_bound_address)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 81);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn;
	T_EXPECT(&syn);
	T_INJECT(.sport = 81, .dport = syn.sport, .ack = syn.seq + 1, .flags = TH_RST | TH_ACK);
	ck_assert_int_eq(t_state(s), LS_CLOSE);
	struct sockaddr_in b = fx_sin(B_IP_STACK, 0), n;
	ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&b, sizeof(b)), 0);
	socklen_t nl = sizeof(n);
	ck_assert_int_eq(ns_getsockname(s, (struct sockaddr *)&n, &nl), 0);
	uint16_t port = ntohs(n.sin_port);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -ECONNREFUSED);
	nl = sizeof(n);
	ck_assert_int_eq(ns_getsockname(s, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_eq(ntohs(n.sin_port), port);
	ck_assert_uint_eq(ntohl(n.sin_addr.s_addr), B_IP_STACK);
	/* Bound: a bind is EINVAL; the next connect leaves from that port. */
	ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&b, sizeof(b)), -EINVAL);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	T_EXPECT(&syn);
	ck_assert_uint_eq(syn.sport, port);
	ns_close(s);
}
END_TEST

/* RFC 9293 3.6 figure 12: the active close. */
START_TEST(active_close_goes_fin_wait_1_fin_wait_2_time_wait)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(fin.seq, c.stack_iss + 1);
	ck_assert_uint_eq(fin.ack, c.snd_nxt);
	t_note(&c, &fin);
	ck_assert_int_eq(t_state(c.s), LS_FIN_WAIT1);
	t_ack_all(&c);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(c.s), LS_FIN_WAIT2);
	/* Still readable in FIN-WAIT-2. */
	t_send(&c, "tail", 4);
	char buf[8];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 4);
	t_drain();
	t_send_flags(&c, TH_FIN, NULL, 0);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	ck_assert_uint_eq(ack.seq, c.stack_iss + 2);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.6 figure 12, the other side: CLOSE-WAIT, then LAST-ACK, then
 * CLOSED when our FIN is acknowledged. */
START_TEST(passive_close_goes_close_wait_last_ack_closed)
{
	struct t_conn c;
	T_ACCEPT(&c);
	t_send_flags(&c, TH_FIN, NULL, 0);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE_WAIT);
	char buf[8];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_ne(sopoll(c.s) & POLLRDHUP, 0);
	/* The other direction still works in CLOSE-WAIT. */
	ck_assert_int_eq(ns_send(c.s, "abc", 3, 0), 3);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 3);
	t_note(&c, &d);
	t_ack_all(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(fin.seq, c.stack_iss + 4);
	t_note(&c, &fin);
	ck_assert_int_eq(t_state(c.s), LS_LAST_ACK);
	t_ack_all(&c);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(ns_send(c.s, "x", 1, 0), -EPIPE);
	t_close(&c);
	/* The connection is gone: a late segment gets a RST (RFC 9293 3.10.7.1). */
	t_send(&c, "z", 1);
	struct t_in rst;
	T_EXPECT(&rst);
	ck_assert_int_ne(rst.flags & TH_RST, 0);
}
END_TEST

/* RFC 9293 3.6 figure 13: both FINs cross; CLOSING, then TIME-WAIT. */
START_TEST(simultaneous_close_goes_through_closing_to_time_wait)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin, ack;
	T_EXPECT(&fin);
	ck_assert_int_eq(fin.flags, TH_FIN | TH_ACK);
	/* The peer's FIN, not acknowledging ours yet. */
	t_send_flags(&c, TH_FIN, NULL, 0);
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	ck_assert_uint_eq(ack.seq, fin.seq + 1);
	ck_assert_int_eq(t_state(c.s), LS_CLOSING);
	t_note(&c, &fin);
	t_ack_all(&c);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 (FIN-WAIT-1, eighth step): a FIN that also acknowledges
 * our FIN moves straight to TIME-WAIT. */
START_TEST(fin_acking_our_fin_in_fin_wait_1_goes_straight_to_time_wait)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin, ack;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_send_flags(&c, TH_FIN, NULL, 0);
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.3: a RST acknowledging our SYN refuses the connection. */
START_TEST(rst_answering_syn_fails_connect_with_econnrefused)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 81);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn;
	T_EXPECT(&syn);
	T_INJECT(.sport = 81, .dport = syn.sport, .seq = 0, .ack = syn.seq + 1,
		 .flags = TH_RST | TH_ACK);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(s), LS_CLOSE);
	ck_assert_int_ne(sopoll(s) & POLLERR, 0);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	/* Reported once; no SYN retransmission follows. */
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_ERROR), 0);
	ck_assert_int_eq(t_run(10 * NS_SEC), 0);
	ns_close(s);
}
END_TEST

/* RFC 9293 3.10.7.4 / 3.6: data then FIN in one segment: the reader gets
 * the data, then end of file. */
START_TEST(fin_with_data_delivers_the_data_then_end_of_file)
{
	struct t_conn c;
	T_ACCEPT(&c);
	t_send_flags(&c, TH_FIN | TH_PSH, "last", 4);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	char buf[16];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(memcmp(buf, "last", 4), 0);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE_WAIT);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 (seventh step): in CLOSE-WAIT the peer has no more
 * data to send; a retransmitted FIN is acknowledged again. */
START_TEST(retransmitted_fin_in_close_wait_is_acknowledged_again)
{
	struct t_conn c;
	T_ACCEPT(&c);
	t_send_flags(&c, TH_FIN, NULL, 0);
	struct t_in ack;
	T_EXPECT(&ack);
	struct t_out o = t_out_for(&c);
	o.seq = c.snd_nxt - 1;
	o.flags = TH_FIN | TH_ACK;
	t_inject(&o);
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE_WAIT);
	t_close(&c);
}
END_TEST

/* The states TCP_INFO reports are Linux's numbers at every step of a
 * client's life. */
START_TEST(tcp_info_state_follows_a_client_from_syn_sent_to_close_in_time_wait)
{
	struct t_conn c;
	T_CONNECT(&c);
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	ck_assert_int_eq(t_state(c.s), LS_FIN_WAIT1);
	struct t_in fin;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_ack_all(&c);
	ck_assert_int_eq(t_state(c.s), LS_FIN_WAIT2);
	t_send_flags(&c, TH_FIN, NULL, 0);
	/* Linux: the socket is CLOSE; its connection waits apart. */
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_close(&c);
}
END_TEST

/* Linux's socket is CLOSE once its connection enters TIME-WAIT: a block of
 * its own holds the 4-tuple and the port for 2 MSL and answers the peer,
 * while the socket reads the end of the stream, gives back the port
 * connect() chose (bind may take another) and stays connected at the
 * socket level (connect EISCONN, listen EINVAL). */
START_TEST(a_held_socket_is_close_while_a_block_of_its_own_waits_in_time_wait)
{
	struct t_conn c;
	T_CONNECT(&c);
	struct sockaddr_in a = fx_sin(B_IP_PEER, c.peer_port);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), 0); /* reported */
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	struct t_in fin, ack;
	T_EXPECT(&fin);
	t_note(&c, &fin);
	t_ack_all(&c);
	t_send(&c, "tail", 4);
	t_send_flags(&c, TH_FIN, NULL, 0);
	t_drain();
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	ck_assert_int_eq(sopoll(c.s), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP | POLLRDHUP);
	char buf[8];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	struct sockaddr_in n;
	socklen_t nl = sizeof(n);
	ck_assert_int_eq(ns_getpeername(c.s, (struct sockaddr *)&n, &nl), -ENOTCONN);
	ck_assert_int_eq(ns_getsockname(c.s, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_eq(ntohs(n.sin_port), c.port);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -EISCONN);
	ck_assert_int_eq(ns_listen(c.s, 1), -EINVAL);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_RDWR), -ENOTCONN);
	/* The block answers a retransmitted FIN. */
	struct t_out o = t_out_for(&c);
	o.seq = c.snd_nxt - 1;
	o.flags = TH_FIN | TH_ACK;
	t_inject(&o);
	T_EXPECT(&ack);
	ck_assert_int_eq(ack.flags, TH_ACK);
	ck_assert_uint_eq(ack.ack, c.snd_nxt);
	/* The port went back: a bind takes another (the block holds it). */
	struct sockaddr_in any = fx_sin(0, 0);
	ck_assert_int_eq(ns_bind(c.s, (struct sockaddr *)&any, sizeof(any)), 0);
	nl = sizeof(n);
	ck_assert_int_eq(ns_getsockname(c.s, (struct sockaddr *)&n, &nl), 0);
	ck_assert_uint_ne(ntohs(n.sin_port), 0);
	ck_assert_uint_ne(ntohs(n.sin_port), c.port);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -EISCONN);
	/* Closing the socket leaves the block to its 2 MSL. */
	ns_close(c.s);
	c.s = NULL;
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_run(60 * NS_SEC + T_SLACK);
	ck_assert_int_eq(t_conn_state(&c), LS_CLOSE);
	t_close(&c);
}
END_TEST

/* Linux __inet_stream_connect(): a connect() in progress is reported by the
 * next one (success once established); a connection that ended before
 * that is reported as its error, and the socket is disconnected; a
 * reported one is EISCONN for good, also after a reset. */
START_TEST(connect_reports_a_connection_that_ended_as_linux_socket_states_do)
{
	struct t_conn c;
	T_CONNECT(&c);
	struct sockaddr_in a = fx_sin(B_IP_PEER, c.peer_port);
	/* Not reported yet: the reset is what the next connect says. */
	struct t_out o = t_out_for(&c);
	o.flags = TH_RST;
	t_inject(&o);
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -ECONNRESET);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn;
	T_EXPECT(&syn);
	ck_assert_int_eq(syn.flags, TH_SYN);
	t_close(&c);

	/* SO_ERROR taken first: ECONNABORTED. */
	T_CONNECT(&c);
	o = t_out_for(&c);
	o.flags = TH_RST;
	t_inject(&o);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_ERROR), ECONNRESET);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -ECONNABORTED);
	t_close(&c);

	/* Reported, then reset: connected at the socket level. */
	T_CONNECT(&c);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -EISCONN);
	o = t_out_for(&c);
	o.flags = TH_RST;
	t_inject(&o);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -EISCONN);
	char b;
	ck_assert_int_eq(ns_recv(c.s, &b, 1, 0), -ECONNRESET);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, 1), -EINVAL);
	/* AF_UNSPEC disconnects: a new connect starts. */
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	ck_assert_int_eq(ns_connect(c.s, &un, sizeof(un)), 0);
	ck_assert_int_eq(ns_connect(c.s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	T_EXPECT(&syn);
	ck_assert_int_eq(syn.flags, TH_SYN);
	t_close(&c);
}
END_TEST

/* Put the stack's side of a passive connection into TIME-WAIT (it closes
 * first); the listener stays. */
static void server_time_wait(struct t_conn *c)
{
	T_ACCEPT(c);
	ck_assert_int_eq(ns_shutdown(c->s, SHUT_WR), 0);
	struct t_in fin;
	T_EXPECT(&fin);
	t_note(c, &fin);
	t_send_flags(c, TH_FIN, NULL, 0);
	t_drain();
	ck_assert_int_eq(t_conn_state(c), LS_TIME_WAIT);
}

/* RFC 1122 4.2.2.13 / RFC 6191 (Linux): a new SYN beyond the old
 * connection's sequence space ends TIME-WAIT and opens a new connection
 * through the listener. */
START_TEST(a_new_syn_above_rcv_nxt_reopens_a_connection_in_time_wait)
{
	struct t_conn c;
	server_time_wait(&c);
	T_INJECT(.sport = c.peer_port, .dport = c.port, .seq = c.snd_nxt + 100000, .flags = TH_SYN,
		 .win = 65535, .mss = 1460);
	struct t_in sa;
	T_EXPECT(&sa);
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(sa.ack, c.snd_nxt + 100001);
	ck_assert_int_eq(t_conn_state(&c), LS_CLOSE); /* the block is gone */
	ck_assert_uint_eq(ST(tcp_timewait_reuse), 1);
	T_INJECT(.sport = c.peer_port, .dport = c.port, .seq = c.snd_nxt + 100001, .ack = sa.seq + 1,
		 .flags = TH_ACK, .win = 65535);
	struct ns_socket *n;
	ck_assert_int_eq(ns_accept(c.ls, &n, NULL, NULL), 0);
	ck_assert_int_eq(t_state(n), LS_ESTABLISHED);
	ns_close(n);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 / RFC 5961 4 (Linux: the TIME-WAIT ACK): an old SYN
 * in TIME-WAIT gets an ACK and changes nothing. */
START_TEST(an_old_syn_in_time_wait_gets_an_ack)
{
	struct t_conn c;
	server_time_wait(&c);
	T_INJECT(.sport = c.peer_port, .dport = c.port, .seq = c.snd_nxt - 1000, .flags = TH_SYN,
		 .win = 65535, .mss = 1460);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_int_eq(a.flags, TH_ACK);
	ck_assert_uint_eq(a.ack, c.snd_nxt);
	ck_assert_int_eq(t_conn_state(&c), LS_TIME_WAIT);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.4 (CLOSE in SYN-RECEIVED): with nothing to send, a FIN
 * goes and the state is FIN-WAIT-1; the handshake still completes. */
START_TEST(shutdown_in_syn_received_sends_fin_after_the_handshake_state)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, sa, fin;
	T_EXPECT(&syn);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5000, .flags = TH_SYN, .win = 65535,
		 .mss = 1460);
	T_EXPECT(&sa);
	ck_assert_int_eq(t_state(s), LS_SYN_RECV);
	ck_assert_int_eq(ns_shutdown(s, SHUT_WR), 0);
	ck_assert_int_eq(t_state(s), LS_FIN_WAIT1);
	T_EXPECT(&fin);
	ck_assert_int_ne(fin.flags & TH_FIN, 0);
	ck_assert_uint_eq(fin.seq, syn.seq + 1);
	/* The peer acknowledges SYN and FIN. */
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 5001, .ack = syn.seq + 2, .flags = TH_ACK,
		 .win = 65535);
	ck_assert_int_eq(t_state(s), LS_FIN_WAIT2);
	ns_close(s);
}
END_TEST

/* RFC 9293 3.10.7.3: data carried by the SYN-ACK is queued for the user
 * once the connection is established, and acknowledged. */
START_TEST(data_in_the_synack_is_delivered)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, ack;
	T_EXPECT(&syn);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 7000, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 65535, .mss = 1460, .data = "hi", .len = 2);
	T_EXPECT(&ack);
	ck_assert_uint_eq(ack.ack, 7003);
	char buf[4];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 2);
	ck_assert_int_eq(memcmp(buf, "hi", 2), 0);
	ns_close(s);
}
END_TEST

Suite *tcp_states_suite(void)
{
	Suite *s = unit_suite("tcp_states");
	ADD_FX(s, connect_sends_syn_and_the_synack_establishes_the_connection);
	ADD_FX(s, listener_answers_syn_with_synack_and_accept_waits_for_the_final_ack);
	ADD_FX(s, data_on_the_final_ack_is_readable_after_accept);
	ADD_FX(s, simultaneous_open_answers_a_syn_with_synack_and_establishes_on_its_ack);
	ADD_FX(s, the_synack_completing_a_simultaneous_open_has_an_unscaled_window);
	ADD_FX(s, shutdown_before_connect_stays_and_a_simultaneous_open_then_sends_fin);
	ADD_FX(s, shutdown_before_connect_stays_after_an_ordinary_handshake);
	ADD_FX(s, a_listeners_shutdown_before_listen_is_its_connections_too);
	ADD_FX(s, a_disconnect_of_a_closed_socket_keeps_its_port_and_bound_address);
	ADD_FX(s, active_close_goes_fin_wait_1_fin_wait_2_time_wait);
	ADD_FX(s, passive_close_goes_close_wait_last_ack_closed);
	ADD_FX(s, simultaneous_close_goes_through_closing_to_time_wait);
	ADD_FX(s, fin_acking_our_fin_in_fin_wait_1_goes_straight_to_time_wait);
	ADD_FX(s, rst_answering_syn_fails_connect_with_econnrefused);
	ADD_FX(s, fin_with_data_delivers_the_data_then_end_of_file);
	ADD_FX(s, retransmitted_fin_in_close_wait_is_acknowledged_again);
	ADD_FX(s, tcp_info_state_follows_a_client_from_syn_sent_to_close_in_time_wait);
	ADD_FX(s, a_held_socket_is_close_while_a_block_of_its_own_waits_in_time_wait);
	ADD_FX(s, connect_reports_a_connection_that_ended_as_linux_socket_states_do);
	ADD_FX(s, a_new_syn_above_rcv_nxt_reopens_a_connection_in_time_wait);
	ADD_FX(s, an_old_syn_in_time_wait_gets_an_ack);
	ADD_FX(s, shutdown_in_syn_received_sends_fin_after_the_handshake_state);
	ADD_FX(s, data_in_the_synack_is_delivered);
	return s;
}
