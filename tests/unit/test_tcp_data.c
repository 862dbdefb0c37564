/*
 * tcp_data: moving bytes. Receiving in and out of order (immediate
 * duplicate ACKs, SACK blocks, D-SACK for duplicates), the receive window
 * (never shrinking, zero when full, re-opened by reading, receiver SWS
 * avoidance), the sender's limits (peer window, initial window, Nagle,
 * TCP_NODELAY, TCP_CORK, MSG_MORE, sender SWS avoidance), urgent data per
 * RFC 6093, and the integrity of long streams both ways.
 */
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "tcp_helpers.h"

static uint8_t pbuf[1 << 18];

/* Peer bytes [off, off+len) of a stream: the pattern of seed 7. */
static const uint8_t *pdata(uint32_t off, uint32_t len)
{
	ck_assert(len <= sizeof(pbuf));
	for (uint32_t i = 0; i < len; i++)
		pbuf[i] = t_pat(7, off + i);
	return pbuf;
}

/* The peer sends stream bytes [off, off+len) at their own sequence numbers
 * (off counted from the peer's first data byte), without moving snd_nxt. */
static void send_at(struct t_conn *c, uint32_t off, uint32_t len, uint8_t flags)
{
	struct t_out o = t_out_for(c);
	o.seq = c->peer_iss + 1 + off;
	o.flags = (uint8_t)(TH_ACK | flags);
	uint8_t tmp[4096];
	ck_assert(len <= sizeof(tmp));
	memcpy(tmp, pdata(off, len), len);
	o.data = tmp;
	o.len = len;
	t_inject(&o);
	c->tsval++;
}

static uint32_t pseq(const struct t_conn *c, uint32_t off)
{
	return c->peer_iss + 1 + off;
}

static void check_stream(const uint8_t *buf, uint32_t off, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		QUICK_ASSERT(buf[i] == t_pat(7, off + i), "stream byte %u differs", off + i);
}

/* RFC 9293 3.10.7.4 seventh: in-order data goes to the user and is
 * acknowledged. */
START_TEST(in_order_data_is_readable_and_acknowledged)
{
	struct t_conn c;
	T_ACCEPT(&c);
	for (int i = 0; i < 3; i++)
		send_at(&c, (uint32_t)i * 1000, 1000, TH_PSH);
	struct t_in a;
	uint32_t last = 0;
	while (t_take(&a))
		last = a.ack;
	ck_assert_uint_eq(last, pseq(&c, 3000));
	uint8_t buf[4000];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 3000);
	check_stream(buf, 0, 3000);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_bytes_received, 3000);
	ck_assert_uint_eq(ti.tcpi_data_segs_in, 3);
	t_close(&c);
}
END_TEST

/* Linux tcp_try_rmem_schedule(): a segment is taken while what is queued
 * is within SO_RCVBUF, whatever its size: one bigger than a buffer that
 * shrank below the window already offered gets in (it was dropped on
 * every retransmission, and the connection stalled); the next, with the
 * buffer over, is dropped until the reader reads. */
START_TEST(a_segment_bigger_than_a_shrunken_buffer_is_taken_while_the_queue_is_within_it)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, SOL_SOCKET, SO_RCVBUF, 1), 0);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_RCVBUF), 2304);
	struct t_in a;
	send_at(&c, 0, 4000, TH_PSH);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 4000));
	send_at(&c, 4000, 1000, TH_PSH);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 4000)); /* dropped */
	uint8_t buf[6000];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 4000);
	t_drain();
	send_at(&c, 4000, 1000, TH_PSH);
	while (t_take(&a))
		;
	ck_assert_uint_eq(a.ack, pseq(&c, 5000));
	ck_assert_int_eq(t_read(c.s, buf + 4000, sizeof(buf) - 4000), 1000);
	check_stream(buf, 0, 5000);
	t_close(&c);
}
END_TEST

/* RFC 5681 4.2: an out-of-order segment is acknowledged at once (a
 * duplicate ACK); RFC 2018 4: with the block that holds it. Filling the
 * hole delivers everything and the ACK covers it all. */
START_TEST(out_of_order_segment_gets_an_immediate_dupack_with_a_sack_block)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	ck_assert(c.sack);
	send_at(&c, 1000, 1000, 0);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 0));
	ck_assert_int_eq(a.nsack, 1);
	ck_assert_uint_eq(a.sack[0][0], pseq(&c, 1000));
	ck_assert_uint_eq(a.sack[0][1], pseq(&c, 2000));
	uint8_t buf[4000];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), -EAGAIN);
	send_at(&c, 2000, 1000, 0);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 0));
	ck_assert_int_eq(a.nsack, 1);
	ck_assert_uint_eq(a.sack[0][0], pseq(&c, 1000));
	ck_assert_uint_eq(a.sack[0][1], pseq(&c, 3000));
	send_at(&c, 0, 1000, 0);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 3000));
	ck_assert_int_eq(a.nsack, 0);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 3000);
	check_stream(buf, 0, 3000);
	t_close(&c);
}
END_TEST

/* RFC 2018 4: the first block reports the most recently received segment;
 * the others follow, most recent first, as many as fit. */
START_TEST(sack_blocks_list_the_most_recent_segment_first)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	struct t_in a;
	send_at(&c, 1000, 500, 0);
	t_drain();
	send_at(&c, 5000, 500, 0);
	t_drain();
	send_at(&c, 3000, 500, 0);
	T_EXPECT(&a);
	ck_assert_int_eq(a.nsack, 3);
	ck_assert_uint_eq(a.sack[0][0], pseq(&c, 3000));
	ck_assert_uint_eq(a.sack[0][1], pseq(&c, 3500));
	/* The others are all reported. */
	int seen1 = 0, seen5 = 0;
	for (int i = 1; i < 3; i++) {
		seen1 |= a.sack[i][0] == pseq(&c, 1000) && a.sack[i][1] == pseq(&c, 1500);
		seen5 |= a.sack[i][0] == pseq(&c, 5000) && a.sack[i][1] == pseq(&c, 5500);
	}
	ck_assert(seen1 && seen5);
	t_close(&c);
}
END_TEST

/* RFC 2883 4.1.1: a duplicate segment is acknowledged at once with a
 * D-SACK block (below the cumulative ACK) naming it. */
START_TEST(duplicate_segment_is_reported_with_a_dsack_block)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	send_at(&c, 0, 1000, 0);
	t_drain();
	send_at(&c, 0, 1000, 0);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 1000));
	ck_assert_int_eq(a.nsack, 1);
	ck_assert_uint_eq(a.sack[0][0], pseq(&c, 0));
	ck_assert_uint_eq(a.sack[0][1], pseq(&c, 1000));
	/* Reported once: the next ACK carries no D-SACK. */
	send_at(&c, 1000, 100, 0);
	T_EXPECT(&a);
	ck_assert_int_eq(a.nsack, 0);
	uint8_t buf[2000];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 1100);
	check_stream(buf, 0, 1100);
	t_close(&c);
}
END_TEST

/* RFC 2883 4.1.2: a duplicate of out-of-order data: the D-SACK block comes
 * first, then the SACK block that contains it. */
START_TEST(duplicate_of_out_of_order_data_is_dsacked_before_its_sack_block)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	send_at(&c, 1000, 1000, 0);
	t_drain();
	send_at(&c, 1000, 500, 0);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 0));
	ck_assert_int_ge(a.nsack, 2);
	ck_assert_uint_eq(a.sack[0][0], pseq(&c, 1000));
	ck_assert_uint_eq(a.sack[0][1], pseq(&c, 1500));
	ck_assert_uint_eq(a.sack[1][0], pseq(&c, 1000));
	ck_assert_uint_eq(a.sack[1][1], pseq(&c, 2000));
	t_close(&c);
}
END_TEST

/* The peer sends stream bytes [off, off+len) of any size up to 64 KiB. */
static void send_big(struct t_conn *c, uint32_t off, uint32_t len)
{
	struct t_out o = t_out_for(c);
	o.seq = pseq(c, off);
	o.data = pdata(off, len);
	o.len = len;
	t_inject(&o);
	c->tsval++;
}

/* RFC 2018 4: SACK blocks report data above the cumulative ACK (only a
 * first block may reach below it, as a D-SACK, RFC 2883). A held
 * out-of-order segment that became partly in order while the receive queue
 * had no memory to take it stays held, its head below RCV.NXT; the block
 * that reports it still begins at the ACK. */
START_TEST(sack_blocks_stay_above_the_ack_when_memory_runs_short)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	send_big(&c, 0, 20000);
	send_big(&c, 30000, 8000);
	t_drain();
	/* Room for one more big frame and small ones, not for a buffer to
	 * copy the held segment's new bytes into. */
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	pkt_pool_set_limit(ps.bytes_in_use + 67584 + 4096);
	/* [20000, 36384) arrives (queued by reference): [30000, 38000) is
	 * in order up to 36384 now, but its last 1616 bytes cannot be
	 * queued, so it stays held. */
	send_big(&c, 20000, 16384);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 36384));
	t_drain();
	/* Another out-of-order segment: its block first, then the held one,
	 * from the ACK on. */
	send_at(&c, 50000, 1000, 0);
	T_EXPECT(&a);
	pkt_pool_set_limit(512ULL << 20);
	ck_assert_uint_eq(a.ack, pseq(&c, 36384));
	ck_assert_int_eq(a.nsack, 2);
	ck_assert_uint_eq(a.sack[0][0], pseq(&c, 50000));
	ck_assert_uint_eq(a.sack[0][1], pseq(&c, 51000));
	ck_assert_uint_eq(a.sack[1][0], pseq(&c, 36384));
	ck_assert_uint_eq(a.sack[1][1], pseq(&c, 38000));
	/* Nothing was lost: the rest of the held segment joins the stream
	 * once the peer resends from the ACK on. */
	send_big(&c, 36384, 1616);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 38000));
	static uint8_t buf[40000];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 38000);
	check_stream(buf, 0, 38000);
	t_close(&c);
}
END_TEST

static struct ns_socket *small_listener(int rcvbuf)
{
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	ck_assert_int_eq(t_seti(ls, SOL_SOCKET, SO_RCVBUF, rcvbuf), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 8), 0);
	return ls;
}

/* RFC 9293 3.8.6: the window offers the buffer's share for data (Linux:
 * half of SO_RCVBUF at first, then what segments measure of it, up to
 * rcv_ssthresh); its right edge never moves left; it closes when the
 * buffer is full; data beyond it is not accepted; reading opens it again
 * with a window update. */
START_TEST(receive_window_closes_as_the_buffer_fills_and_reopens_when_read)
{
	t_begin();
	struct t_conn c;
	struct ns_socket *ls = small_listener(4096);
	T_ACCEPT(&c, .ls = ls);
	int rcvbuf = t_geti(c.s, SOL_SOCKET, SO_RCVBUF);
	ck_assert_int_eq(rcvbuf, 8192); /* Linux doubles SO_RCVBUF */
	ck_assert_uint_eq(c.syn.win, 4096 - 4096 % 1460); /* whole segments (Linux) */
	uint32_t edge = pseq(&c, 0) + c.syn.win, off = 0;
	struct t_in a;
	/* 1000-byte segments, each 1000 bytes and an skb of memory: the
	 * window offers 2920, 2000, 1000, then nothing. */
	static const uint32_t wins[] = { 2920, 2000, 1000, 0 };
	for (int i = 0; SEQ_LT(pseq(&c, off), edge); i++) {
		uint32_t n = NS_MIN(1000u, edge - pseq(&c, off));
		send_at(&c, off, n, 0);
		off += n;
		T_EXPECT(&a);
		ck_assert_uint_eq(a.ack, pseq(&c, off));
		ck_assert_msg(SEQ_GEQ(a.ack + a.win, edge), "the window shrank");
		ck_assert_uint_eq(a.win, wins[i]);
		edge = a.ack + a.win;
	}
	ck_assert_uint_eq(off, 4000);
	/* Beyond the window: dropped, answered with the zero window. */
	send_at(&c, off, 100, 0);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, off));
	ck_assert_uint_eq(a.win, 0);
	int inq = 0;
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCINQ, &inq), 0);
	ck_assert_int_eq(inq, 4000);
	/* RFC 9293 3.8.6.2.2: reading a byte does not announce a tiny window
	 * (nor frees a segment's memory). */
	uint8_t buf[8192];
	ck_assert_int_eq(ns_recv(c.s, buf, 1, 0), 1);
	T_EXPECT_NONE();
	/* Reading three segments does: whole segments of what is free. */
	ck_assert_int_eq(ns_recv(c.s, buf + 1, 2999, 0), 2999);
	T_EXPECT(&a);
	ck_assert_int_eq(a.flags, TH_ACK);
	ck_assert_uint_eq(a.ack, pseq(&c, off));
	ck_assert_uint_eq(a.win, 3000);
	check_stream(buf, 0, 3000);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.8.6.1: the sender never sends beyond the peer's window, and
 * the whole write gets through as the peer acknowledges. */
START_TEST(sender_never_exceeds_the_peer_window)
{
	struct t_conn c;
	T_ACCEPT(&c, .win = 3000);
	ck_assert_int_eq(t_write(c.s, 10000, 1), 10000);
	struct t_in d;
	uint32_t acked = 0, sent = 0;
	for (int round = 0; acked < 10000; round++) {
		ck_assert_int_lt(round, 20);
		while (t_take(&d)) {
			ck_assert_uint_eq(t_off(&c, d.seq), sent);
			sent += d.len;
			ck_assert_msg(sent <= acked + 3000, "sent up to %u, window ends at %u", sent,
				      acked + 3000);
			t_note(&c, &d);
		}
		ck_assert_uint_gt(sent, acked);
		/* At least the full segments that fit went out. */
		ck_assert_uint_ge(sent - acked, NS_MIN(2920u, 10000 - acked));
		acked = sent;
		t_ack_all(&c);
	}
	t_close(&c);
}
END_TEST

/* RFC 6928 / RFC 5681 3.1: a fresh connection sends at most 10 segments
 * before the first ACK. */
START_TEST(initial_window_is_ten_segments)
{
	struct t_conn c;
	T_ACCEPT(&c);
	/* The send buffer, sized for the initial window (Linux
	 * tcp_init_buffer_space): twice 10 segments as Linux charges them,
	 * 1460 + 640 bytes in a 4096-byte head, plus 256: Linux's 87040. */
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_SNDBUF), 87040);
	ck_assert_int_eq(t_write(c.s, 100000, 1), 87040);
	struct t_in d;
	int n = 0;
	while (t_take(&d)) {
		ck_assert_uint_eq(d.len, 1460);
		n++;
	}
	ck_assert_int_eq(n, 10);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, 10);
	ck_assert_uint_eq(ti.tcpi_unacked, 10);
	ck_assert_uint_eq(ti.tcpi_notsent_bytes, 87040 - 14600);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.7.4 (Nagle): while data is unacknowledged, a small write
 * waits; the ACK releases it. A full segment is not held. */
START_TEST(nagle_holds_a_small_write_until_the_ack)
{
	struct t_conn c;
	T_ACCEPT(&c);
	struct t_in d;
	ck_assert_int_eq(ns_send(c.s, "aaaaaaaaaa", 10, 0), 10);
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 10);
	t_note(&c, &d);
	ck_assert_int_eq(ns_send(c.s, "bbbbbbbbbb", 10, 0), 10);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_run(100 * NS_MSEC), 0);
	t_ack_all(&c);
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 10);
	ck_assert_int_eq(d.data[0], 'b');
	t_note(&c, &d);
	/* Small data in flight; a write that fills a segment goes at once,
	 * its tail waits. */
	ck_assert_int_eq(t_write(c.s, 2000, 3), 2000);
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 1460);
	T_EXPECT_NONE();
	t_close(&c);
}
END_TEST

/* TCP_NODELAY turns Nagle off: every small write goes at once. */
START_TEST(tcp_nodelay_sends_small_writes_at_once)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_NODELAY), 1);
	struct t_in d;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(ns_send(c.s, "xy", 2, 0), 2);
		T_EXPECT(&d);
		ck_assert_int_eq(d.len, 2);
		ck_assert_uint_eq(d.seq, c.stack_iss + 1 + 2 * (uint32_t)i);
		ck_assert_int_ne(d.flags & TH_PSH, 0);
	}
	t_close(&c);
}
END_TEST

/* TCP_CORK (Linux): only full segments leave while corked; uncorking
 * sends the rest. */
START_TEST(tcp_cork_holds_partial_segments_until_uncorked)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_CORK, 1), 0);
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_write(c.s, 1500, 2), 1500);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 1460);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_CORK, 0), 0);
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 140);
	ck_assert_uint_eq(d.seq, c.stack_iss + 1 + 1460);
	t_close(&c);
}
END_TEST

/* MSG_MORE (Linux): a small write that announces more waits for it. */
START_TEST(msg_more_holds_a_small_write_for_the_next_one)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_send(c.s, "head", 4, MSG_MORE), 4);
	T_EXPECT_NONE();
	ck_assert_int_eq(ns_send(c.s, "tail", 4, 0), 4);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 8);
	ck_assert_int_eq(memcmp(d.data, "headtail", 8), 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.8.6.2.1: the sender does not fill a window much smaller than
 * the largest the peer offered with a tiny segment. */
START_TEST(sender_does_not_send_a_tiny_segment_into_a_small_window)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_write(c.s, 1460, 1), 1460);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	/* The peer takes it but leaves only 200 bytes of window. */
	c.win = 200;
	t_ack_all(&c);
	ck_assert_int_eq(t_write(c.s, 1000, 2), 1000);
	T_EXPECT_NONE();
	/* The window opens: a full send. */
	c.win = 65535;
	t_ack_all(&c);
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 1000);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 fifth (window update): a zero window stops the sender;
 * a pure window update (same ACK) restarts it. */
START_TEST(zero_window_stops_the_sender_and_a_window_update_restarts_it)
{
	struct t_conn c;
	T_ACCEPT(&c, .nodelay = 1);
	ck_assert_int_eq(ns_send(c.s, "one", 3, 0), 3);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	c.win = 0;
	t_ack_all(&c);
	ck_assert_int_eq(ns_send(c.s, "two", 3, 0), 3);
	T_EXPECT_NONE();
	c.win = 65535;
	t_ack_all(&c);
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 3);
	ck_assert_int_eq(memcmp(d.data, "two", 3), 0);
	t_close(&c);
}
END_TEST

/* SIOCOUTQ counts bytes not yet acknowledged, SIOCOUTQNSD those not yet
 * sent, SIOCINQ those readable (Linux). */
START_TEST(queue_ioctls_count_unacked_unsent_and_readable_bytes)
{
	struct t_conn c;
	T_ACCEPT(&c, .win = 1000);
	ck_assert_int_eq(t_write(c.s, 3000, 1), 3000);
	t_drain();
	int v = -1;
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCOUTQ, &v), 0);
	ck_assert_int_eq(v, 3000);
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCOUTQNSD, &v), 0);
	ck_assert_int_eq(v, 2000);
	t_ack_upto(&c, c.stack_iss + 1 + 1000);
	t_drain();
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCOUTQ, &v), 0);
	ck_assert_int_eq(v, 2000);
	t_send(&c, "12345", 5);
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCINQ, &v), 0);
	ck_assert_int_eq(v, 5);
	t_close(&c);
}
END_TEST

/* RFC 6093 2 (and Linux): send(MSG_OOB) marks the last byte urgent; the
 * urgent pointer points to the byte after it. */
START_TEST(msg_oob_sends_urg_with_the_pointer_after_the_urgent_byte)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_send(c.s, "abc", 3, MSG_OOB), 3);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert_int_ne(d.flags & TH_URG, 0);
	ck_assert_uint_eq(d.urp, 3);
	ck_assert_int_eq(d.len, 3);
	t_note(&c, &d);
	t_ack_all(&c);
	/* Once acknowledged, later data is not urgent. */
	ck_assert_int_eq(ns_send(c.s, "d", 1, 0), 1);
	T_EXPECT(&d);
	ck_assert_int_eq(d.flags & TH_URG, 0);
	t_close(&c);
}
END_TEST

static void send_urg(struct t_conn *c, const char *data, uint16_t urp)
{
	struct t_out o = t_out_for(c);
	o.flags = TH_ACK | TH_PSH | TH_URG;
	o.urp = urp;
	o.data = data;
	o.len = (uint32_t)strlen(data);
	t_inject(&o);
	c->snd_nxt += o.len;
	c->tsval++;
}

/* RFC 6093 3 / Linux: without SO_OOBINLINE the urgent byte (the one before
 * the pointer) is taken out of the stream and read with MSG_OOB; every
 * other byte arrives in order. */
START_TEST(urgent_byte_is_read_out_of_band_and_the_rest_of_the_stream_is_intact)
{
	struct t_conn c;
	T_ACCEPT(&c);
	send_urg(&c, "abc", 3);
	ck_assert_int_ne(ns_socket_poll(c.s) & POLLPRI, 0);
	t_send(&c, "def", 3);
	char buf[16];
	ck_assert_int_eq(ns_recv(c.s, buf, 1, MSG_OOB), 1);
	ck_assert_int_eq(buf[0], 'c');
	ck_assert_int_eq(ns_recv(c.s, buf, 1, MSG_OOB), -EINVAL); /* read once */
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "abdef", 5), 0);
	t_close(&c);
}
END_TEST

/* Linux tcp_recvmsg: a read stops at the urgent mark; SIOCATMARK is
 * true there; reading past the mark ends the out-of-band byte. */
START_TEST(reads_stop_at_the_urgent_mark)
{
	struct t_conn c;
	T_ACCEPT(&c);
	send_urg(&c, "abc", 3);
	t_send(&c, "def", 3);
	char buf[16];
	int at = -1;
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCATMARK, &at), 0);
	ck_assert_int_eq(at, 0);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), MSG_PEEK), 2);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), MSG_WAITALL), 2);
	ck_assert_int_eq(memcmp(buf, "ab", 2), 0);
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCATMARK, &at), 0);
	ck_assert_int_eq(at, 1);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(memcmp(buf, "def", 3), 0);
	ck_assert_int_eq(ns_recv(c.s, buf, 1, MSG_OOB), -EINVAL); /* passed */
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCATMARK, &at), 0);
	ck_assert_int_eq(at, 0);
	t_close(&c);
}
END_TEST

/* Linux tcp_recvmsg with SO_PEEK_OFF: a peek begins at the offset (in
 * sequence space, where an urgent byte taken out of the stream counts
 * until a read passes its mark) and moves it on; a read moves it back;
 * NS_MSG_HEAD (the sentry's peek before a read) begins at the head. */
START_TEST(so_peek_off_peeks_past_the_offset_and_reads_move_it_back)
{
	struct t_conn c;
	T_ACCEPT(&c);
	int v = 0;
	ck_assert_int_eq(ns_setsockopt(c.s, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)), 0);
	send_urg(&c, "ab", 2);
	t_send(&c, "cdef", 4);
	char buf[16];
	socklen_t l = sizeof(v);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), MSG_PEEK), 1); /* stops at the mark */
	ck_assert_int_eq(ns_recv(c.s, buf, 2, MSG_PEEK), 2);	       /* at the urgent byte: after it */
	ck_assert_int_eq(memcmp(buf, "cd", 2), 0);
	ck_assert_int_eq(ns_getsockopt(c.s, SOL_SOCKET, SO_PEEK_OFF, &v, &l), 0);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), MSG_PEEK), 3); /* 3: "d", past the byte */
	ck_assert_int_eq(memcmp(buf, "def", 3), 0);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), MSG_PEEK), -EAGAIN);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), MSG_PEEK | NS_MSG_HEAD), 1);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 1);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_getsockopt(c.s, SOL_SOCKET, SO_PEEK_OFF, &v, &l), 0);
	ck_assert_int_eq(v, 1); /* 6, less 1 and 4 */
	t_close(&c);
}
END_TEST

/* RFC 6093 / Linux: with SO_OOBINLINE nothing leaves the stream. */
START_TEST(urgent_data_with_oobinline_stays_in_the_stream)
{
	t_begin();
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	ck_assert_int_eq(t_seti(ls, SOL_SOCKET, SO_OOBINLINE, 1), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 8), 0);
	struct t_conn c;
	T_ACCEPT(&c, .ls = ls);
	send_urg(&c, "abc", 3);
	t_send(&c, "def", 3);
	char buf[16];
	ck_assert_int_eq(ns_recv(c.s, buf, 1, MSG_OOB), -EINVAL);
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 6);
	ck_assert_int_eq(memcmp(buf, "abcdef", 6), 0);
	t_close(&c);
}
END_TEST

/* RFC 6093 / RFC 9293 3.8.5: the urgent pointer may point past the
 * segment; the byte is taken out when it arrives, and a pointer repeated
 * by later segments takes out nothing more. */
START_TEST(urgent_pointer_into_a_later_segment_takes_out_exactly_one_byte)
{
	struct t_conn c;
	T_ACCEPT(&c);
	send_urg(&c, "ab", 4);	/* urgent byte: the 4th, 'd' */
	send_urg(&c, "cd", 2);	/* the same pointer, repeated */
	t_send(&c, "ef", 2);
	char buf[16];
	ck_assert_int_eq(ns_recv(c.s, buf, 1, MSG_OOB), 1);
	ck_assert_int_eq(buf[0], 'd');
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "abcef", 5), 0);
	t_close(&c);
}
END_TEST

/* A long stream from the stack to the peer arrives whole and in order,
 * segment by segment, as the peer acknowledges. */
START_TEST(long_stream_to_the_peer_arrives_intact)
{
	struct t_conn c;
	T_ACCEPT(&c);
	const uint32_t total = 200000;
	static uint8_t src[200000];
	for (uint32_t i = 0; i < total; i++)
		src[i] = t_pat(9, i);
	uint32_t written = 0, got = 0;
	struct t_in d;
	int rounds = 0;
	while (got < total) {
		QUICK_ASSERT(++rounds < 10000, "stalled at %u", got);
		if (written < total) {
			ssize_t r = ns_send(c.s, src + written, total - written, 0);
			if (r > 0)
				written += (uint32_t)r;
		}
		while (t_take(&d)) {
			uint32_t off = t_off(&c, d.seq);
			QUICK_ASSERT(off == got, "segment at %u, expected %u", off, got);
			QUICK_ASSERT(!memcmp(d.data, src + off, d.len), "bytes at %u differ", off);
			got += d.len;
			t_note(&c, &d);
		}
		t_ack_all(&c);
	}
	ck_assert_uint_eq(got, total);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_bytes_acked, total);
	ck_assert_uint_eq(ti.tcpi_total_retrans, 0);
	t_close(&c);
}
END_TEST

/* A long stream from the peer, in MSS segments, reads back byte for byte. */
START_TEST(long_stream_from_the_peer_reads_back_intact)
{
	struct t_conn c;
	T_ACCEPT(&c);
	const uint32_t total = 300000;
	static uint8_t got[300000];
	uint32_t sent = 0, rd = 0;
	while (rd < total) {
		if (sent < total) {
			uint32_t n = NS_MIN(1460u, total - sent);
			send_at(&c, sent, n, 0);
			sent += n;
		}
		t_drain();
		ssize_t r = ns_recv(c.s, got + rd, total - rd, 0);
		if (r > 0)
			rd += (uint32_t)r;
	}
	check_stream(got, 0, total);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 seventh: a segment overlapping what was received
 * delivers only its new bytes; RFC 2883 4.1.3: the overlap is D-SACKed. */
START_TEST(overlapping_segment_delivers_only_its_new_bytes)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	send_at(&c, 0, 1000, 0);
	t_drain();
	send_at(&c, 500, 1000, 0);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 1500));
	ck_assert_int_eq(a.nsack, 1);
	ck_assert_uint_eq(a.sack[0][0], pseq(&c, 500));
	ck_assert_uint_eq(a.sack[0][1], pseq(&c, 1000));
	uint8_t buf[2000];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 1500);
	check_stream(buf, 0, 1500);
	t_close(&c);
}
END_TEST

/* The receive side reassembles whatever order, overlap and duplication
 * the network produces into the original stream, and acknowledges it
 * whole. */
START_TEST(reordered_overlapping_duplicated_segments_reassemble_the_stream)
{
	struct t_conn c;
	T_ACCEPT(&c, .sack = 1);
	enum { TOTAL = 30000, NSEG = 120 };
	uint32_t off[NSEG], len[NSEG];
	int n = 0;
	for (uint32_t o = 0; o < TOTAL; o += 500, n++) {
		off[n] = o;
		len[n] = 500;
	}
	uint32_t r = 12345;
	for (; n < NSEG; n++) {
		r = r * 1103515245 + 12345;
		off[n] = (r >> 8) % (TOTAL - 100);
		r = r * 1103515245 + 12345;
		len[n] = NS_MIN(1 + (r >> 8) % 1460, TOTAL - off[n]);
	}
	for (int i = NSEG - 1; i > 0; i--) {
		r = r * 1103515245 + 12345;
		int j = (int)((r >> 8) % (uint32_t)(i + 1));
		uint32_t to = off[i], tl = len[i];
		off[i] = off[j];
		len[i] = len[j];
		off[j] = to;
		len[j] = tl;
	}
	for (int i = 0; i < NSEG; i++) {
		send_at(&c, off[i], len[i], 0);
		t_drain();
	}
	send_at(&c, 0, 1, 0); /* an old duplicate: the ACK now covers everything */
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, TOTAL));
	static uint8_t buf[TOTAL + 100];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), TOTAL);
	check_stream(buf, 0, TOTAL);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.10.7.4 eighth: a FIN is processed only in sequence; one that
 * arrives ahead of missing data waits for it. */
START_TEST(fin_ahead_of_a_hole_takes_effect_when_the_hole_fills)
{
	struct t_conn c;
	T_ACCEPT(&c);
	send_at(&c, 1000, 1000, TH_FIN);
	struct t_in a;
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 0));
	ck_assert_int_eq(t_state(c.s), LS_ESTABLISHED);
	uint8_t buf[3000];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), -EAGAIN);
	send_at(&c, 0, 1000, 0);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, 2001));
	ck_assert_int_eq(t_state(c.s), LS_CLOSE_WAIT);
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 2000);
	check_stream(buf, 0, 2000);
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 0);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.4: sequence numbers are modulo 2^32; a stream crossing the
 * wrap, in and out of order, is received whole. */
START_TEST(sequence_numbers_wrap_around_2_to_the_32)
{
	struct t_conn c;
	T_ACCEPT(&c, .iss = 0xfffff000u);
	send_at(&c, 4000, 2000, 0); /* beyond the wrap, early */
	t_drain();
	send_at(&c, 0, 2000, 0);
	send_at(&c, 2000, 2000, 0); /* crosses 2^32 */
	struct t_in a;
	uint32_t last = 0;
	while (t_take(&a))
		last = a.ack;
	ck_assert_uint_eq(last, pseq(&c, 6000));
	ck_assert_uint_lt(last, 0x2000);
	uint8_t buf[7000];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 6000);
	check_stream(buf, 0, 6000);
	t_close(&c);
}
END_TEST

/* RFC 9293 3.8.6.2.1 (the override timeout) / Linux tcp_write_wakeup():
 * a window too small for sender SWS avoidance is used when the persist
 * timer fires, rather than probed for ever. */
START_TEST(a_small_window_is_filled_when_the_persist_timer_fires)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * NS_MSEC);
	ck_assert_int_eq(t_write(c.s, 1460, 1), 1460);
	struct t_in d;
	T_EXPECT(&d);
	t_note(&c, &d);
	t_run(100 * NS_MSEC);
	c.win = 200;
	t_ack_all(&c);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(t_write(c.s, 1000, 2), 1000);
	T_EXPECT_NONE();
	ck_assert(t_run_until(NS_SEC, &d));
	T_AT(d.t, t0 + 300 * NS_MSEC);
	ck_assert_uint_eq(d.seq, c.stack_iss + 1 + 1460);
	ck_assert_int_eq(d.len, 200);
	t_close(&c);
}
END_TEST

/* Linux (tcp(7): "a 200 millisecond ceiling"): TCP_CORK holds a partial
 * segment only until the probe timer (the RTO, at least 200 ms) pushes it
 * out, not for ever. */
START_TEST(tcp_cork_holds_a_partial_segment_only_until_the_probe_timer)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * NS_MSEC); /* RTO 300 ms */
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_CORK, 1), 0);
	ns_time_t t0 = t_now();
	ck_assert_int_eq(t_write(c.s, 100, 1), 100);
	T_EXPECT_NONE();
	struct t_in d;
	ck_assert(t_run_until(NS_SEC, &d));
	ck_assert_int_eq(d.len, 100);
	ck_assert_uint_eq(d.seq, c.stack_iss + 1);
	T_AT(d.t, t0 + 300 * NS_MSEC);
	t_close(&c);
}
END_TEST

/* RFC 1122 4.2.3.2 / RFC 9293 3.8.6.3: a delayed ACK rides on the reply
 * when the application answers at once; no separate ACK follows. */
START_TEST(a_delayed_ack_rides_on_the_reply)
{
	struct t_conn c;
	T_ACCEPT(&c, .nodelay = 1);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_QUICKACK, 0), 0);
	t_send(&c, "ping", 4);
	T_EXPECT_NONE();
	char buf[8];
	ck_assert_int_eq(ns_recv(c.s, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(ns_send(c.s, "pong", 4, 0), 4);
	struct t_in d;
	T_EXPECT(&d);
	ck_assert_int_eq(d.len, 4);
	ck_assert_uint_eq(d.ack, c.snd_nxt);
	ck_assert_int_eq(t_run(NS_SEC), 0);
	t_close(&c);
}
END_TEST

/* RFC 6093 / RFC 9293 3.8.5: urgent data longer than a segment: every
 * segment before the urgent pointer carries URG and the pointer, counted
 * from its own sequence number. */
START_TEST(urgent_pointer_is_carried_by_every_segment_before_it)
{
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	static uint8_t buf[3000];
	ck_assert_int_eq(ns_send(c.s, buf, sizeof(buf), MSG_OOB), 3000);
	struct t_in d;
	uint32_t off = 0;
	while (t_take(&d)) {
		ck_assert_int_ne(d.flags & TH_URG, 0);
		ck_assert_uint_eq(d.urp, 3000 - off);
		off += d.len;
	}
	ck_assert_uint_eq(off, 3000);
	t_close(&c);
}
END_TEST

/* Linux's receive buffer auto-tuning (dynamic right-sizing): when the
 * application reads everything each round trip, the buffer and the
 * advertised window grow past their initial size. */
START_TEST(receive_window_grows_when_the_application_keeps_up)
{
	struct t_conn c;
	T_ACCEPT(&c, .rtt = 100 * NS_MSEC, .ws_on = 1, .ws = 7);
	ck_assert(c.ws_ok);
	uint32_t initial = (uint32_t)t_geti(c.s, SOL_SOCKET, SO_RCVBUF);
	uint32_t wnd = c.syn.win, off = 0, maxwnd = 0;
	static uint8_t buf[1 << 20];
	struct t_in a;
	for (int round = 0; round < 8; round++) {
		uint32_t end = off + NS_MIN(wnd, 600000u);
		while (off < end) {
			uint32_t n = NS_MIN(1460u, end - off);
			send_at(&c, off, n, 0);
			off += n;
		}
		while (t_take(&a))
			wnd = (uint32_t)a.win << c.stack_ws;
		t_run(100 * NS_MSEC);
		ssize_t got = t_read(c.s, buf, sizeof(buf));
		ck_assert_int_gt(got, 0);
		while (t_take(&a))
			wnd = (uint32_t)a.win << c.stack_ws;
		maxwnd = NS_MAX(maxwnd, wnd);
	}
	ck_assert_msg(maxwnd > 2 * initial, "window %u, initial buffer %u", maxwnd, initial);
	ck_assert_int_gt(t_geti(c.s, SOL_SOCKET, SO_RCVBUF), (int)(2 * initial));
	t_close(&c);
}
END_TEST

/* RFC 9293 3.8.6.1 (the receiving side): a zero-window probe is answered
 * with the current window: zero while full, open once read. */
START_TEST(zero_window_probes_are_answered_with_the_current_window)
{
	t_begin();
	struct t_conn c;
	T_ACCEPT(&c, .ls = small_listener(4096));
	/* Fill the window with 1024-byte segments until it closes. */
	uint32_t off = 0, edge = pseq(&c, 0) + c.syn.win;
	struct t_in a;
	while (SEQ_LT(pseq(&c, off), edge)) {
		uint32_t n = NS_MIN(1024u, edge - pseq(&c, off));
		send_at(&c, off, n, 0);
		off += n;
		while (t_take(&a))
			edge = a.ack + a.win;
	}
	struct t_out probe = t_out_for(&c);
	probe.seq = pseq(&c, off) - 1; /* Linux's probe: an old byte, no data */
	t_inject(&probe);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, off));
	ck_assert_uint_eq(a.win, 0);
	uint8_t buf[8192];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), (int)off);
	t_drain(); /* the window update */
	/* Answers to unacceptable pure ACKs are rate limited (one per
	 * 500 ms, Linux tcp_invalid_ratelimit): the next probe comes later. */
	t_run(500 * NS_MSEC);
	t_inject(&probe);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.ack, pseq(&c, off));
	/* Open again: rcv_ssthresh in whole segments (Linux). */
	ck_assert_uint_eq(a.win, 3072);
	t_close(&c);
}
END_TEST

/* Linux tcp_select_initial_window() and tcp_init_buffer_space(): the
 * first window is half the buffer in whole segments (the MSS less the
 * timestamp option); rcv_ssthresh starts there, within a clamp that keeps
 * a segment of the buffer's half in reserve; the auto-tuning's first
 * measure is at most ten segments. */
START_TEST(first_window_is_half_the_buffer_in_whole_segments)
{
	struct t_conn c;
	T_ACCEPT(&c, .ts = 1, .ws_on = 1, .ws = 7);
	ck_assert_uint_eq(c.syn.win, 65536 - 65536 % 1448);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_rcv_ssthresh, 65536 - 1448);
	ck_assert_uint_eq(ti.tcpi_rcv_space, 10 * 1448);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_WINDOW_CLAMP), 65536 - 1448);
	t_close(&c);
}
END_TEST

/* The least buffer (2304): its half (1152) is less than a segment and is
 * offered as it is, unscaled though the peer scales. */
START_TEST(first_window_of_the_least_buffer_is_its_half_unscaled)
{
	struct t_conn c;
	T_ACCEPT(&c, .ls = small_listener(1), .ws_on = 1, .ws = 7);
	ck_assert_uint_eq(c.syn.win, 1152);
	ck_assert(c.syn.ws_ok);
	ck_assert_uint_eq(c.syn.ws, 0);
	struct tcp_info ti = t_info(c.s);
	ck_assert_uint_eq(ti.tcpi_rcv_ssthresh, 1152);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_WINDOW_CLAMP), 1152);
	t_close(&c);
}
END_TEST

/* The same for an active open, with TCP_WINDOW_CLAMP set before it: the
 * clamp bounds the first window and the scale. */
START_TEST(window_clamp_before_connect_bounds_the_first_window)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	/* Linux: at least half the least buffer; 0 only on a closed socket. */
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_WINDOW_CLAMP, -5), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_WINDOW_CLAMP), 1152);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_WINDOW_CLAMP, 20000), 0);
	struct sockaddr_in a = fx_sin(B_IP_PEER, 80);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	struct t_in syn;
	T_EXPECT(&syn);
	ck_assert_uint_eq(syn.win, 20000 - 20000 % 1460);
	ck_assert(syn.ws_ok);
	ck_assert_uint_eq(syn.ws, 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_WINDOW_CLAMP, 0), -EINVAL);
	ns_close(s);
}
END_TEST

/* Linux tcp_grow_window(): each full segment that arrives lets
 * rcv_ssthresh (and the window) grow by two segments, up to what the
 * buffer has free; the first one measures the share of memory that is
 * payload (1460 of 2292 bytes: 163/256), and the clamp becomes that share
 * of the buffer. A clamp set lower pulls rcv_ssthresh down with it. */
START_TEST(window_grows_by_two_segments_per_segment_up_to_the_clamp)
{
	struct t_conn c;
	T_ACCEPT(&c, .ws_on = 1, .ws = 7);
	uint32_t g = (1u << c.stack_ws) - 1;
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, 65536 - 1460);
	static uint8_t seg[1460];
	struct t_in a;
	t_send(&c, seg, 1460);
	T_EXPECT(&a);
	/* The clamp grew: rcv_ssthresh first to the window offered (64240). */
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_WINDOW_CLAMP), 131072 * 163 / 256);
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, 64240 + 2 * 1460);
	ck_assert_uint_eq((uint32_t)a.win << c.stack_ws, (64240 + 2 * 1460 + g) & ~g);
	t_send(&c, seg, 1460);
	t_drain();
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, 64240 + 4 * 1460);
	/* A lower clamp. */
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_WINDOW_CLAMP, 50000), 0);
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, 50000);
	t_send(&c, seg, 1460);
	T_EXPECT(&a);
	/* (the promise stands: what was offered, less the data since) */
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, 50000);
	t_close(&c);
}
END_TEST

/* Without scaling (a buffer set to 32768 asks for none) the window is
 * whole segments of the peer's size, the free space rounded down, unless
 * what was offered is within a segment of it; small segments (below 128
 * bytes) do not let rcv_ssthresh grow. */
START_TEST(unscaled_window_is_whole_segments_of_the_peers_size)
{
	struct t_conn c;
	T_ACCEPT(&c, .ls = small_listener(16384), .ws_on = 1, .ws = 7);
	ck_assert_uint_eq(c.syn.ws, 0);
	ck_assert_uint_eq(c.syn.win, 16384 - 16384 % 1460);
	/* (a segment of the buffer's half kept in reserve) */
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, 16384 - 1460);
	struct t_in a;
	static uint8_t seg[1000];
	t_send(&c, seg, 100);
	T_EXPECT(&a);
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, 16384 - 1460);
	ck_assert_uint_eq(a.win, 16060 - 100); /* the edge offered stays */
	/* 1000-byte segments: a share of 1000/1832 of the memory (139/256);
	 * rcv_ssthresh takes the window offered, then grows to what is
	 * free; the window stays, being within a segment of that. */
	t_send(&c, seg, 1000);
	T_EXPECT(&a);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_WINDOW_CLAMP), 32768 * 139 / 256);
	ck_assert_uint_eq(t_info(c.s).tcpi_rcv_ssthresh, (32768 - 2 * 832 - 1100) * 139 / 256);
	ck_assert_uint_eq(a.win, 15960);
	/* Less free than offered: whole segments of 1000. */
	t_send(&c, seg, 1000);
	T_EXPECT(&a);
	ck_assert_uint_eq(a.win, 15000);
	t_close(&c);
}
END_TEST

/* Linux tcp_prune_queue(): small segments cost more memory than their
 * bytes; when they fill the buffer the queue is packed, and what the
 * window offered is still taken. */
START_TEST(small_segments_that_fill_the_buffer_are_packed_not_dropped)
{
	struct t_conn c;
	T_ACCEPT(&c, .ls = small_listener(4096));
	ck_assert_uint_eq(c.syn.win, 2920);
	struct t_in a;
	uint32_t off = 0;
	/* 100-byte segments cost 932 bytes each: the ninth passes 8192. */
	while (off + 100 <= 2920) {
		send_at(&c, off, 100, 0);
		off += 100;
		while (t_take(&a))
			ck_assert_uint_eq(a.ack, pseq(&c, off));
	}
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_RCVBUF), 8192);
	uint8_t buf[4096];
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), (int)off);
	check_stream(buf, 0, off);
	t_close(&c);
}
END_TEST

/* A buffer SO_RCVBUF did not fix grows to what the queue holds instead
 * (Linux tcp_clamp_window). */
START_TEST(small_segments_that_fill_the_buffer_make_it_grow)
{
	struct t_conn c;
	T_ACCEPT(&c, .ws_on = 1, .ws = 7);
	uint8_t buf[4096];
	uint32_t off = 0;
	/* 10-byte segments (842 bytes each) within the 64240 offered. */
	for (int i = 0; i < 200; i++) {
		send_at(&c, off, 10, 0);
		off += 10;
	}
	t_drain();
	ck_assert_int_gt(t_geti(c.s, SOL_SOCKET, SO_RCVBUF), 131072);
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), (int)off);
	check_stream(buf, 0, off);
	t_close(&c);
}
END_TEST

Suite *tcp_data_suite(void)
{
	Suite *s = unit_suite("tcp_data");
	ADD_FX(s, in_order_data_is_readable_and_acknowledged);
	ADD_FX(s, out_of_order_segment_gets_an_immediate_dupack_with_a_sack_block);
	ADD_FX(s, sack_blocks_list_the_most_recent_segment_first);
	ADD_FX(s, duplicate_segment_is_reported_with_a_dsack_block);
	ADD_FX(s, duplicate_of_out_of_order_data_is_dsacked_before_its_sack_block);
	ADD_FX(s, sack_blocks_stay_above_the_ack_when_memory_runs_short);
	ADD_FX(s, receive_window_closes_as_the_buffer_fills_and_reopens_when_read);
	ADD_FX(s, sender_never_exceeds_the_peer_window);
	ADD_FX(s, initial_window_is_ten_segments);
	ADD_FX(s, nagle_holds_a_small_write_until_the_ack);
	ADD_FX(s, tcp_nodelay_sends_small_writes_at_once);
	ADD_FX(s, tcp_cork_holds_partial_segments_until_uncorked);
	ADD_FX(s, msg_more_holds_a_small_write_for_the_next_one);
	ADD_FX(s, sender_does_not_send_a_tiny_segment_into_a_small_window);
	ADD_FX(s, zero_window_stops_the_sender_and_a_window_update_restarts_it);
	ADD_FX(s, queue_ioctls_count_unacked_unsent_and_readable_bytes);
	ADD_FX(s, msg_oob_sends_urg_with_the_pointer_after_the_urgent_byte);
	ADD_FX(s, urgent_byte_is_read_out_of_band_and_the_rest_of_the_stream_is_intact);
	ADD_FX(s, reads_stop_at_the_urgent_mark);
	ADD_FX(s, so_peek_off_peeks_past_the_offset_and_reads_move_it_back);
	ADD_FX(s, urgent_data_with_oobinline_stays_in_the_stream);
	ADD_FX(s, urgent_pointer_into_a_later_segment_takes_out_exactly_one_byte);
	ADD_FX(s, long_stream_to_the_peer_arrives_intact);
	ADD_FX(s, long_stream_from_the_peer_reads_back_intact);
	ADD_FX(s, overlapping_segment_delivers_only_its_new_bytes);
	ADD_FX(s, reordered_overlapping_duplicated_segments_reassemble_the_stream);
	ADD_FX(s, fin_ahead_of_a_hole_takes_effect_when_the_hole_fills);
	ADD_FX(s, sequence_numbers_wrap_around_2_to_the_32);
	ADD_FX(s, a_small_window_is_filled_when_the_persist_timer_fires);
	ADD_FX(s, tcp_cork_holds_a_partial_segment_only_until_the_probe_timer);
	ADD_FX(s, a_delayed_ack_rides_on_the_reply);
	ADD_FX(s, urgent_pointer_is_carried_by_every_segment_before_it);
	ADD_FX(s, receive_window_grows_when_the_application_keeps_up);
	ADD_FX(s, zero_window_probes_are_answered_with_the_current_window);
	ADD_FX(s, first_window_is_half_the_buffer_in_whole_segments);
	ADD_FX(s, first_window_of_the_least_buffer_is_its_half_unscaled);
	ADD_FX(s, window_clamp_before_connect_bounds_the_first_window);
	ADD_FX(s, window_grows_by_two_segments_per_segment_up_to_the_clamp);
	ADD_FX(s, unscaled_window_is_whole_segments_of_the_peers_size);
	ADD_FX(s, small_segments_that_fill_the_buffer_are_packed_not_dropped);
	ADD_FX(s, small_segments_that_fill_the_buffer_make_it_grow);
	ADD_FX(s, a_segment_bigger_than_a_shrunken_buffer_is_taken_while_the_queue_is_within_it);
	return s;
}
