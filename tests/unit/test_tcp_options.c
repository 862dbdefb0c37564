/*
 * tcp_options: what the handshake's options change on the wire. MSS (RFC
 * 9293 3.7.1, TCP_MAXSEG), window scaling (RFC 7323 2), timestamps (RFC
 * 7323 3-4: in every segment, TS.Recent from the left edge), PAWS (RFC
 * 7323 5), SACK-permitted (RFC 2018 2), and unknown or malformed options
 * (RFC 9293 3.1, RFC 1122 4.2.2.5).
 */
#include "tcp_helpers.h"

static uint32_t largest_segment(struct t_conn *c, size_t bytes)
{
	ck_assert_int_eq(t_seti(c->s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	ck_assert_int_eq(t_write(c->s, bytes, 1), (ssize_t)bytes);
	struct t_in d;
	uint32_t max = 0;
	while (t_take(&d))
		max = NS_MAX(max, d.len);
	return max;
}

/* RFC 9293 3.7.1: segments never exceed the peer's MSS (less our TCP
 * options: timestamps take 12 bytes). */
START_TEST(segments_respect_the_peer_mss_less_the_options)
{
	struct t_conn c;
	T_CONNECT(&c, .mss = 536);
	ck_assert_uint_eq(largest_segment(&c, 5000), 536);
	ck_assert_uint_eq(t_info(c.s).tcpi_snd_mss, 536);
	t_close(&c);
	struct t_conn d;
	T_CONNECT(&d, .mss = 536, .ts = 1);
	ck_assert_uint_eq(largest_segment(&d, 5000), 524);
	t_close(&d);
}
END_TEST

/* RFC 9293 3.7.1: with no MSS option the peer can take 536 bytes. */
START_TEST(without_an_mss_option_segments_are_536_bytes)
{
	struct t_conn c;
	T_CONNECT(&c, .no_mss = 1);
	ck_assert_uint_eq(largest_segment(&c, 5000), 536);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.7.1: a peer MSS above what our MTU carries is bounded by it. */
START_TEST(a_huge_peer_mss_is_bounded_by_the_mtu)
{
	struct t_conn c;
	T_CONNECT(&c, .mss = 9000);
	ck_assert_uint_eq(largest_segment(&c, 10000), 1460);
	t_close(&c);
}
END_TEST

/* Linux TCP_MAXSEG: set before connect, it is the MSS announced and a cap
 * on what is sent. */
START_TEST(tcp_maxseg_caps_the_announced_and_the_sent_mss)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_MAXSEG, 10), -EINVAL);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn, d;
	T_EXPECT(&syn);
	ck_assert_uint_eq(syn.mss, 1000);
	T_INJECT(.sport = 80, .dport = syn.sport, .seq = 1, .ack = syn.seq + 1,
		 .flags = TH_SYN | TH_ACK, .win = 65535, .mss = 1460);
	T_EXPECT(&d);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_MAXSEG), 1000);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	ck_assert_int_eq(t_write(s, 5000, 1), 5000);
	while (t_take(&d))
		ck_assert_uint_le(d.len, 1000);
	ns_close(s);
}
END_TEST

/* RFC 7323 2.2: the SYN's window is never scaled; later windows are, by
 * the shift announced, when both sides offered the option. */
START_TEST(window_scale_applies_after_the_syn_when_both_offer_it)
{
	struct t_conn c;
	T_ACCEPT(&c, .ws_on = 1, .ws = 2, .win = 1000);
	ck_assert(c.ws_ok);
	/* The SYN-ACK's window is the real one, at most 65535, in whole
	 * segments of the MSS announced (Linux): 44 x 1460. */
	ck_assert_uint_eq(c.syn.win, 64240);
	ck_assert(c.syn.ws >= 1);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_snd_wscale, 2);
	ck_assert_uint_eq(ti.tcpi_rcv_wscale, c.syn.ws);
	/* The final ACK's window of 1000 was scaled: 4000 bytes. */
	ck_assert_uint_eq(ti.tcpi_snd_wnd, 4000);
	/* Our windows are sent scaled: the field times 2^ws is the window
	 * (Linux): rcv_ssthresh, the share of the buffer less a segment
	 * kept in reserve (65536 - 1460), rounded up to the scale. */
	t_send(&c, "x", 1);
	struct t_in a;
	T_EXPECT(&a);
	ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_rcv_ssthresh, 65536 - 1460);
	uint32_t g = (1u << c.syn.ws) - 1;
	ck_assert_uint_eq((uint32_t)a.win << c.syn.ws, (65536 - 1460 + g) & ~g);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.8.6: the right edge of the window offered never moves left.
 * With scaling the promise is rounded up when it is kept: rounded down by
 * the shift, one byte received pulled the edge the peer sees back by 2^shift
 * - 1 bytes (RFC 7323 2.4's retracted window). */
START_TEST(a_scaled_window_never_moves_its_right_edge_left)
{
	struct t_conn c;
	T_CONNECT(&c, .ws_on = 1, .ws = 2);
	ck_assert(c.ws_ok);
	ck_assert_uint_gt(c.stack_ws, 0);
	/* An old segment makes the stack say where its window ends now. */
	struct t_out o = t_out_for(&c);
	o.seq = c.snd_nxt - 1;
	t_inject(&o);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, c.snd_nxt);
	uint32_t edge = a.ack + ((uint32_t)a.win << c.stack_ws);
	for (int i = 0; i < 3; i++) {
		t_send(&c, "x", 1);
		T_EXPECT(&a);
		ck_assert_uint_eq(a.ack, c.snd_nxt);
		uint32_t e = a.ack + ((uint32_t)a.win << c.stack_ws);
		ck_assert_msg(SEQ_GEQ(e, edge), "the right edge moved left by %u bytes", edge - e);
		edge = e;
	}
	t_close(&c);
}
END_TEST

/* RFC 7323 2.2: one side without the option: no scaling either way. */
START_TEST(no_window_scaling_unless_both_sides_offer_it)
{
	struct t_conn c;
	T_CONNECT(&c, .win = 1000);
	ck_assert(c.syn.ws_ok); /* we offered */
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_options & TCPI_OPT_WSCALE, 0);
	ck_assert_uint_eq(ti.tcpi_snd_wnd, 1000);
	t_send(&c, "x", 1);
	struct t_in a;
	T_EXPECT(&a);
	/* The unscaled field: what the SYN offered (half the buffer in
	 * whole segments, 44 x 1460) less the byte, its right edge kept. */
	ck_assert_uint_eq(a.win, 64240 - 1);
	t_close(&c);
}
END_TEST

/* RFC 7323 2.3: a shift above 14 is used as 14. */
START_TEST(a_window_scale_above_14_is_used_as_14)
{
	struct t_conn c;
	T_CONNECT(&c, .ws_on = 1, .ws = 15, .win = 1);
	/* The SYN-ACK's window is unscaled: 1 byte. */
	ck_assert_uint_eq(t_info(c.s).tcpi_snd_wnd, 1);
	t_ack_all(&c); /* a window field of 1, now scaled */
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_snd_wscale, 14);
	ck_assert_uint_eq(ti.tcpi_snd_wnd, 16384);
	t_close(&c);
}
END_TEST

/* RFC 7323 3.2: once negotiated, every segment but a RST carries the
 * option; TSecr echoes TS.Recent. The SYN-ACK echoes the SYN's TSval. */
START_TEST(timestamps_ride_in_every_segment_once_negotiated)
{
	struct t_conn c;
	T_ACCEPT(&c, .ts = 1);
	ck_assert(c.syn.ts_ok);
	ck_assert_uint_eq(c.syn.tsecr, 5000000); /* the SYN's TSval */
	t_send(&c, "a", 1);
	struct t_in s;
	T_EXPECT(&s);
	ck_assert(s.ts_ok);
	ck_assert_uint_eq(s.tsecr, c.tsval - 1);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	ck_assert_int_eq(ns_send(c.s, "b", 1, 0), 1);
	T_EXPECT(&s);
	ck_assert(s.ts_ok);
	ck_assert_int_eq(s.len, 1);
	uint32_t tsval = s.tsval;
	t_run(50 * NS_MSEC);
	ck_assert_int_eq(ns_shutdown(c.s, SHUT_WR), 0);
	T_EXPECT(&s);
	ck_assert_int_ne(s.flags & TH_FIN, 0);
	ck_assert(s.ts_ok);
	/* RFC 7323 5.4: a millisecond clock (within the tick's rounding). */
	ck_assert_uint_ge(s.tsval - tsval, 50);
	ck_assert_uint_le(s.tsval - tsval, 51);
	t_close(&c);
}
END_TEST

/* RFC 7323 3.2: a peer that did not offer timestamps gets none. */
START_TEST(no_timestamps_for_a_peer_that_did_not_offer_them)
{
	struct t_conn c;
	T_CONNECT(&c);
	ck_assert(c.syn.ts_ok);
	t_send(&c, "a", 1);
	struct t_in s;
	T_EXPECT(&s);
	ck_assert(!s.ts_ok);
	ck_assert_uint_eq(s.optlen, 0);
	t_close(&c);
}
END_TEST

static void send_ts(struct t_conn *c, uint32_t off, const char *data, uint32_t tsval)
{
	struct t_out o = t_out_for(c);
	o.seq = c->peer_iss + 1 + off;
	o.data = data;
	o.len = (uint32_t)strlen(data);
	o.tsval = tsval;
	t_inject(&o);
}

/* RFC 7323 4.3: TS.Recent is taken only from a segment that covers the
 * left edge (SEG.SEQ <= Last.ACK.sent): an out-of-order segment's newer
 * TSval is not echoed; the segment that fills the hole is. */
START_TEST(ts_recent_comes_only_from_segments_at_the_left_edge)
{
	struct t_conn c;
	T_ACCEPT(&c, .ts = 1);
	struct t_in a;
	send_ts(&c, 0, "aaaa", 6000000);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.tsecr, 6000000);
	send_ts(&c, 8, "cccc", 6000300);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, c.peer_iss + 5);
	ck_assert_uint_eq(a.tsecr, 6000000);
	send_ts(&c, 4, "bbbb", 6000200);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, c.peer_iss + 13);
	ck_assert_uint_eq(a.tsecr, 6000200);
	t_close(&c);
}
END_TEST

/* RFC 7323 5.3 R1: a segment whose TSval is older than TS.Recent is not
 * acceptable: dropped (its data not delivered) and acknowledged. */
START_TEST(paws_drops_a_segment_with_an_old_timestamp_and_acks_it)
{
	struct t_conn c;
	T_ACCEPT(&c, .ts = 1);
	struct t_in a;
	send_ts(&c, 0, "new!", 7000000);
	T_EXPECT(&a);
	send_ts(&c, 4, "old!", 6999000);
	T_EXPECT(&a);
	ck_assert_int_eq(a.flags, TH_ACK);
	ck_assert_uint_eq(a.ack, c.peer_iss + 5);
	ck_assert_uint_eq(a.tsecr, 7000000);
	ck_assert_uint_eq(ST(tcp_paws_rejected), 1);
	char buf[16];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "new!", 4), 0);
	t_close(&c);
}
END_TEST

/* RFC 7323 5.3 R1: the PAWS test does not apply to RST segments. */
START_TEST(paws_lets_a_rst_with_an_old_timestamp_through)
{
	struct t_conn c;
	T_ACCEPT(&c, .ts = 1);
	send_ts(&c, 0, "new!", 7000000);
	t_drain();
	struct t_out o = t_out_for(&c);
	o.seq = c.peer_iss + 5;
	o.flags = TH_RST;
	o.tsval = 1;
	t_inject(&o);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(c.s), LS_CLOSE);
	t_close(&c);
}
END_TEST

/* RFC 7323 5.5: after more than 24 days of idleness TS.Recent is invalid;
 * a segment with an old TSval is accepted again. */
START_TEST(paws_forgets_ts_recent_after_24_days_idle)
{
	struct t_conn c;
	T_ACCEPT(&c, .ts = 1);
	send_ts(&c, 0, "new!", 7000000);
	t_drain();
	t_run(25ULL * 24 * 3600 * NS_SEC);
	t_drain();
	send_ts(&c, 4, "late", 100);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, c.peer_iss + 9);
	ck_assert_uint_eq(ST(tcp_paws_rejected), 0);
	char buf[16];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 8);
	t_close(&c);
}
END_TEST

/* RFC 2018 2: SACK blocks only if the peer sent SACK-permitted. */
START_TEST(no_sack_blocks_for_a_peer_that_did_not_permit_them)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert(!c.syn.sack_perm);
	struct t_out o = t_out_for(&c);
	o.seq += 100;
	o.data = "hole";
	o.len = 4;
	t_inject(&o);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, c.snd_nxt);
	ck_assert_int_eq(a.nsack, 0);
	ck_assert_uint_eq(a.optlen, 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.1: unknown options are skipped by their length. */
START_TEST(unknown_options_are_ignored)
{
	t_begin();
	struct ns_socket *ls, *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 4), 0);
	static const uint8_t unk[] = { 99, 6, 1, 2, 3, 4, TCPOPT_NOP, TCPOPT_NOP };
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 10, .flags = TH_SYN, .win = 65535,
		 .mss = 1200, .raw_opts = unk, .raw_len = sizeof(unk));
	struct t_in sa;
	T_EXPECT(&sa);
	ck_assert_int_eq(sa.flags, TH_SYN | TH_ACK);
	T_INJECT(.sport = 40000, .dport = 8080, .seq = 11, .ack = sa.seq + 1, .flags = TH_ACK,
		 .win = 65535, .raw_opts = unk, .raw_len = sizeof(unk), .data = "data", .len = 4);
	ck_assert_int_eq(ns_accept(ls, &s, NULL, NULL), 0);
	char buf[8];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 4);
	ck_assert_uint_eq(t_info(s).tcpi_snd_mss, 1200);
	ns_close(s);
	ns_close(ls);
}
END_TEST

/* RFC 1122 4.2.2.5: an illegal option length must not crash anything; the
 * options after it are not trusted, the segment itself is processed. */
START_TEST(a_malformed_option_length_is_survived)
{
	struct t_conn c;
	T_ACCEPT(&c);
	static const uint8_t bad[][4] = {
		{ 99, 0, 0, 0 },  /* length 0 */
		{ 99, 1, 0, 0 },  /* length 1 */
		{ 99, 40, 0, 0 }, /* beyond the header */
	};
	for (unsigned i = 0; i < NS_ARRAY_SIZE(bad); i++) {
		struct t_out o = t_out_for(&c);
		o.raw_opts = bad[i];
		o.raw_len = 4;
		o.data = "z";
		o.len = 1;
		t_inject(&o);
		c.snd_nxt++;
		t_drain();
	}
	ck_assert_uint_eq(ST(tcp_bad_options), 3);
	char buf[8];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 3);
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	t_close(&c);
}
END_TEST

/* Linux: TCP_MAXSEG set on a listener is the MSS its SYN-ACKs announce
 * and caps what its connections send. */
START_TEST(tcp_maxseg_on_a_listener_is_announced_in_the_synack)
{
	t_begin();
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	ck_assert_int_eq(t_seti(ls, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 4), 0);
	struct t_conn c;
	T_ACCEPT(&c, .ls = ls);
	ck_assert_uint_eq(c.stack_mss, 1000);
	ck_assert_uint_eq(t_info(c.s).tcpi_advmss, 1000);
	ck_assert_uint_eq(largest_segment(&c, 5000), 1000);
	t_close(&c);
}
END_TEST

Suite *tcp_options_suite(void)
{
	Suite *s = unit_suite("tcp_options");
	ADD_FX(s, segments_respect_the_peer_mss_less_the_options);
	ADD_FX(s, without_an_mss_option_segments_are_536_bytes);
	ADD_FX(s, a_huge_peer_mss_is_bounded_by_the_mtu);
	ADD_FX(s, tcp_maxseg_caps_the_announced_and_the_sent_mss);
	ADD_FX(s, window_scale_applies_after_the_syn_when_both_offer_it);
	ADD_FX(s, a_scaled_window_never_moves_its_right_edge_left);
	ADD_FX(s, no_window_scaling_unless_both_sides_offer_it);
	ADD_FX(s, a_window_scale_above_14_is_used_as_14);
	ADD_FX(s, timestamps_ride_in_every_segment_once_negotiated);
	ADD_FX(s, no_timestamps_for_a_peer_that_did_not_offer_them);
	ADD_FX(s, ts_recent_comes_only_from_segments_at_the_left_edge);
	ADD_FX(s, paws_drops_a_segment_with_an_old_timestamp_and_acks_it);
	ADD_FX(s, paws_lets_a_rst_with_an_old_timestamp_through);
	ADD_FX(s, paws_forgets_ts_recent_after_24_days_idle);
	ADD_FX(s, no_sack_blocks_for_a_peer_that_did_not_permit_them);
	ADD_FX(s, unknown_options_are_ignored);
	ADD_FX(s, a_malformed_option_length_is_survived);
	ADD_FX(s, tcp_maxseg_on_a_listener_is_announced_in_the_synack);
	return s;
}
