/* TCP data transfer: window checks, acceptability, segmentation, flow control. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* The ACK the DUT sends for an unacceptable segment: its unchanged
 * rcv_nxt (our snd_nxt), at its snd_nxt (our rcv_nxt). */
static void expect_dup_ack(struct pi_tcp_conn *c, const char *what)
{
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .flags_mask = PI_U8(PI_ACK | PI_RST | PI_SYN),
			      .ack = PI_U32(c->snd_nxt), .seq = PI_U32(c->rcv_nxt) };
	pi_tcp_expect_ok(c, &ack, NULL, 0, 1000, NULL, what);
}

static void expect_nothing_readable(int fd)
{
	char b[64];
	long n = dut_recv(fd, b, sizeof(b), MSG_DONTWAIT);
	PI_ASSERT(n < 0 && dut_errno == EAGAIN, "DUT delivered %ld bytes of an unacceptable segment", n);
}

/* RFC 9293 3.10.7.4: a segment whose sequence number is not acceptable is
 * answered with an ACK and dropped (data segments, which Linux never
 * rate-limits). */
static void check_out_of_window(struct pi_tcp_conn *c, int fd, const char *state)
{
	static const char d[] = "out of window";
	char what[128];
	struct pi_tcp t = { .seq = PI_U32(c->snd_nxt + (1u << 30)) };
	pi_tcp_send(c, &t, d, sizeof(d));
	snprintf(what, sizeof(what), "ACK for data beyond the window (%s)", state);
	expect_dup_ack(c, what);
	t.seq = PI_U32(c->snd_nxt - (1u << 30));
	pi_tcp_send(c, &t, d, sizeof(d));
	snprintf(what, sizeof(what), "ACK for data before the window (%s)", state);
	expect_dup_ack(c, what);
	if (fd >= 0)
		expect_nothing_readable(fd);
}

PI_TEST(tcp_outside_window_ack)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	check_out_of_window(&c, fd, "ESTABLISHED");
	/* The connection is intact. */
	static const char m[] = "in window";
	pi_tcp_send(&c, NULL, m, sizeof(m));
	char b[32];
	long n = DUT_OK(dut_recv(fd, b, sizeof(b), 0));
	PI_ASSERT(n == (long)sizeof(m), "in-window data after the probes: %ld bytes", n);
}

/* Simultaneous close: the DUT's FIN crosses the testbench's FIN, so the
 * DUT sits in CLOSING until its FIN is acknowledged. */
static int to_closing(struct pi_tcp_conn *c)
{
	int fd = pi_accepted(AF_INET, c, NULL, NULL);
	DUT_OK(dut_shutdown(fd, SHUT_WR));
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_expect_ok(c, &fin, NULL, 0, 2000, NULL, "the DUT's FIN");
	/* Our FIN does not acknowledge the DUT's. */
	struct pi_tcp ourfin = { .flags = PI_U8(PI_FIN | PI_ACK), .ack = PI_U32(c->rcv_nxt - 1) };
	pi_tcp_send(c, &ourfin, NULL, 0);
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .flags_mask = PI_U8(PI_ACK | PI_FIN | PI_RST),
			      .ack = PI_U32(c->snd_nxt) };
	pi_tcp_expect_ok(c, &ack, NULL, 0, 2000, NULL, "ACK of our FIN in CLOSING");
	return fd;
}

PI_TEST(tcp_outside_window_ack_closing)
{
	struct pi_tcp_conn c;
	to_closing(&c);
	/* rcv_nxt covers the DUT's FIN; the ACKs it sends now carry seq FIN+1 */
	check_out_of_window(&c, -1, "CLOSING");
}

/*
 * Unacceptable segments: out-of-window sequence numbers are answered with
 * an ACK and dropped; so is (RFC 9293 3.10.7.4, RFC 5961 5) an ACK for data
 * never sent, in every synchronized state that processes ACKs.
 */
static void check_unacceptable(struct pi_tcp_conn *c, int fd, const char *state)
{
	check_out_of_window(c, fd, state);
	static const char d[] = "acks unsent data";
	char what[128];
	struct pi_tcp t = { .ack = PI_U32(c->rcv_nxt + 100000) };
	pi_tcp_send(c, &t, d, sizeof(d));
	c->snd_nxt -= sizeof(d); /* dropped: not in the DUT's sequence space */
	snprintf(what, sizeof(what), "ACK for a segment acknowledging unsent data (%s)", state);
	expect_dup_ack(c, what);
	if (fd >= 0)
		expect_nothing_readable(fd);
}

PI_TEST(tcp_unacceptable_seq_ack_established)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	check_unacceptable(&c, fd, "ESTABLISHED");
}

/* Active close: the DUT shut down its side (FIN-WAIT-2 once its FIN is
 * acknowledged); it still receives. */
PI_TEST(tcp_unacceptable_seq_ack_active_close)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_shutdown(fd, SHUT_WR));
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_expect_ok(&c, &fin, NULL, 0, 2000, NULL, "the DUT's FIN");
	pi_tcp_send(&c, NULL, NULL, 0);
	check_unacceptable(&c, fd, "FIN-WAIT-2");
}

/* Passive close: the testbench closed first; the DUT is in CLOSE-WAIT,
 * then LAST-ACK after it closes too. */
PI_TEST(tcp_unacceptable_seq_ack_passive_close)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_send(&c, &fin, NULL, 0);
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c.snd_nxt) };
	pi_tcp_expect_ok(&c, &ack, NULL, 0, 2000, NULL, "ACK of our FIN");
	check_out_of_window(&c, -1, "CLOSE-WAIT");
	DUT_OK(dut_shutdown(fd, SHUT_WR));
	struct pi_tcp dfin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_expect_ok(&c, &dfin, NULL, 0, 2000, NULL, "the DUT's FIN");
	check_unacceptable(&c, -1, "LAST-ACK");
}

PI_TEST(tcp_unacceptable_seq_ack_simultaneous_close)
{
	struct pi_tcp_conn c;
	to_closing(&c);
	check_unacceptable(&c, -1, "CLOSING");
}

/*
 * TCP_CORK: the DUT sends only full-sized segments while corked, sized by
 * the MSS the testbench announced; the rest leaves when it uncorks.
 */
PI_TEST(tcp_cork_mss_segmentation)
{
	struct pi_tcp_conn c;
	struct pi_tcp syn = { .mss = PI_U16(500) };
	int fd = pi_accepted(AF_INET, &c, &syn, NULL);
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_CORK, 1));
	uint8_t d[1100];
	pi_pattern(d, sizeof(d), 12);
	for (int i = 0; i < 11; i++)
		DUT_OK(dut_send(fd, d + 100 * i, 100, 0));
	pi_tcp_expect_data(&c, d, 500, 2000, NULL);
	pi_tcp_expect_data(&c, d + 500, 500, 2000, NULL);
	/* Acknowledged: on a busy machine the DUT's RTO could otherwise
	 * fire before the uncork and leave it in loss recovery with a
	 * window of one segment, where the last 100 bytes wait for an ACK
	 * (on Linux too). */
	pi_tcp_send(&c, NULL, NULL, 0);
	struct pi_tcp any_data = { .seq = PI_U32(c.rcv_nxt) };
	pi_tcp_expect_none(&c, &any_data, 100, "a partial segment while corked");
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_CORK, 0));
	pi_tcp_expect_data(&c, d + 1000, 100, 2000, NULL);
}

/*
 * ACK piggybacking near the send window: the DUT has data queued behind a
 * zero window when the testbench's data segment opens the window to W
 * bytes. The DUT answers with one segment carrying min(W, queued) bytes
 * and the ACK of the testbench's data, not with a bare ACK first.
 */
PI_TEST(tcp_ack_piggyback_near_send_window)
{
	static const int wins[] = { 99, 100, 101 };
	for (int i = 0; i < 3; i++) {
		struct pi_tcp_conn c;
		int lfd;
		uint16_t port = 0;
		lfd = dut_tcp_listener(AF_INET, &port, 4);
		pi_tcp_conn_init(&c, AF_INET, 0, port);
		c.win = 0;
		pi_tcp_handshake_client(&c, NULL);
		int fd = DUT_OK(dut_accept(lfd, NULL));
		DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1));
		uint8_t d[100];
		pi_pattern(d, sizeof(d), (unsigned)i);
		DUT_OK(dut_send(fd, d, sizeof(d), 0));
		c.win = (uint16_t)wins[i];
		static const char ping[] = "ping";
		pi_tcp_send(&c, NULL, ping, sizeof(ping));
		size_t n = (size_t)(wins[i] < 100 ? wins[i] : 100);
		struct pi_tcp want = { .flags = PI_U8(PI_ACK), .flags_mask = PI_U8(PI_ACK | PI_SYN | PI_FIN | PI_RST),
				       .seq = PI_U32(c.rcv_nxt), .ack = PI_U32(c.snd_nxt) };
		struct pi_pkt *p = malloc(sizeof(*p));
		pi_tcp_expect_ok(&c, NULL, NULL, 0, 2000, p, "the DUT's answer to our data");
		char why[256];
		PI_ASSERT(p->f.payload.len > 0, "window %d: the DUT sent a bare ACK before its data",
			  wins[i]);
		struct pi_frame w = p->f;
		w.tcp = want;
		w.payload.has = PI_SET;
		w.payload.p = d;
		w.payload.len = n;
		if (!pi_frame_match(&w, &p->f, why, sizeof(why)))
			pi_fail("window %d: want %zu bytes with the ACK of our data: %s", wins[i], n, why);
		free(p);
		dut_close(lfd);
	}
}

/* Fill the DUT's receive buffer from the testbench without the application
 * reading, never sending beyond the window the DUT advertised; returns the
 * bytes sent. *saw_zero tells whether a zero window was advertised. */
static uint32_t fill_until_zero_window(struct pi_tcp_conn *c, int *saw_zero)
{
	uint8_t d[1000];
	uint32_t start = c->snd_nxt, right = c->snd_nxt + c->dut_win;
	pi_pattern(d, sizeof(d), 1);
	struct pi_pkt *p = malloc(sizeof(*p));
	*saw_zero = 0;
	for (int i = 0; i < 200 && !*saw_zero; i++) {
		uint32_t room = right - c->snd_nxt;
		if ((int32_t)room > 0)
			pi_tcp_send(c, NULL, d, room < sizeof(d) ? room : sizeof(d));
		/* The DUT acknowledges at least every second segment. */
		while (pi_tcp_expect(c, NULL, NULL, 0, i % 2 && (int32_t)room > 0 ? 300 : 30, p) == 0) {
			if (!(p->f.tcp.flags.v & PI_ACK))
				continue;
			right = p->f.tcp.ack.v + p->f.tcp.win.v;
			if (p->f.tcp.win.v == 0)
				*saw_zero = 1;
		}
	}
	free(p);
	return c->snd_nxt - start;
}

/*
 * RFC 9293 3.8.6: the DUT advertises a zero window once its receive buffer
 * is full, and a non-zero one again after the application reads.
 */
PI_TEST(tcp_zero_window_advertised_and_reopened)
{
	uint16_t port = 0;
	int lfd = DUT_OK(dut_socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_storage ss;
	socklen_t sl = pi_sockaddr_remote(AF_INET, 0, &ss);
	DUT_OK(dut_setsockopt_int(lfd, SOL_SOCKET, SO_RCVBUF, 4096));
	DUT_OK(dut_bind(lfd, (struct sockaddr *)&ss, sl));
	DUT_OK(dut_listen(lfd, 4));
	DUT_OK(dut_getsockname(lfd, &ss));
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	struct pi_tcp_conn c;
	pi_tcp_conn_init(&c, AF_INET, 0, port);
	pi_tcp_handshake_client(&c, NULL);
	int fd = DUT_OK(dut_accept(lfd, NULL));
	int zero;
	uint32_t sent = fill_until_zero_window(&c, &zero);
	PI_ASSERT(zero, "no zero window advertised after %u bytes filled the receive buffer", sent);
	/* Everything sent stayed inside the windows offered, was acknowledged
	 * and is readable. */
	uint32_t got = 0;
	uint8_t buf[65536];
	long n;
	DUT_OK(dut_set_nonblocking(fd, 1));
	while ((n = dut_recv(fd, buf, sizeof(buf), 0)) > 0)
		got += (uint32_t)n;
	PI_ASSERT(got == sent, "read %u bytes after the zero window, sent %u", got, sent);
	struct pi_tcp upd = { .flags = PI_U8(PI_ACK), .flags_mask = PI_U8(PI_ACK | PI_RST) };
	struct pi_pkt *p = malloc(sizeof(*p));
	for (;;) {
		pi_tcp_expect_ok(&c, &upd, NULL, 0, 2000, p, "window update after the application read");
		if (p->f.tcp.win.v > 0)
			break;
	}
	free(p);
}

/*
 * An in-window segment the DUT has no buffer space for is dropped, not
 * acknowledged. The DUT advertises a large window, then the application
 * shrinks its receive buffer (SO_RCVBUF) and does not read; the window
 * already offered is not taken back (RFC 9293 3.8.6: no shrinking), so the
 * testbench's segments stay in the window while the buffer runs out.
 * Whatever is acknowledged must be readable, and nothing else.
 */
PI_TEST(tcp_rcvbuf_overflow_segment_dropped)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, 2048));
	uint32_t start = c.snd_nxt, right = start + c.dut_syn.win.v;
	pi_log("DUT window after the handshake: %u", c.dut_syn.win.v);
	uint8_t d[1000];
	pi_pattern(d, sizeof(d), 2);
	uint32_t acked = start, dropped_at = 0;
	struct pi_pkt *p = malloc(sizeof(*p));
	for (int i = 0; i < 40 && !dropped_at; i++) {
		if ((int32_t)(c.snd_nxt + (uint32_t)sizeof(d) - right) > 0)
			break;
		uint32_t seq = c.snd_nxt;
		pi_tcp_send(&c, NULL, d, sizeof(d));
		struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .flags_mask = PI_U8(PI_ACK | PI_RST) };
		/* Linux acknowledges every other full segment at once, and a
		 * dropped one at once with a duplicate ACK. */
		if (pi_tcp_expect(&c, &ack, NULL, 0, 250, p) < 0)
			continue;
		acked = p->f.tcp.ack.v;
		if ((int32_t)(acked - (seq + (uint32_t)sizeof(d))) < 0)
			dropped_at = seq;
		uint32_t r = acked + p->f.tcp.win.v;
		if ((int32_t)(r - right) > 0)
			right = r;
	}
	free(p);
	PI_ASSERT(dropped_at, "every in-window segment was accepted (%u bytes) despite a 2 KiB buffer",
		  acked - start);
	pi_log("dropped the in-window segment at offset %u; %u bytes acknowledged; window edge %u",
	       dropped_at - start, acked - start, right - start);
	PI_ASSERT((int32_t)(dropped_at + (uint32_t)sizeof(d) - right) <= 0,
		  "the dropped segment was not inside the window");
	uint8_t buf[65536];
	long n, got = 0;
	DUT_OK(dut_set_nonblocking(fd, 1));
	while ((n = dut_recv(fd, buf, sizeof(buf), 0)) > 0)
		got += n;
	PI_ASSERT((uint32_t)got == acked - start, "readable %ld bytes, acknowledged %u", got,
		  acked - start);
}
