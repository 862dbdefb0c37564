/* TCP connection establishment (RFC 9293 3.5, 3.10.7). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* A SYN from the testbench to a DUT listener, answered with a SYN-ACK. */
static void syn_to_listener(struct pi_tcp_conn *c, uint16_t port)
{
	pi_tcp_conn_init(c, AF_INET, 0, port);
	struct pi_tcp syn = { .flags = PI_U8(PI_SYN) };
	pi_tcp_send(c, &syn, NULL, 0);
	struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK), .ack = PI_U32(c->iss + 1) };
	pi_tcp_expect_ok(c, &sa, NULL, 0, 2000, NULL, "SYN-ACK");
}

static void expect_no_accept(int lfd)
{
	DUT_OK(dut_set_nonblocking(lfd, 1));
	int r = dut_accept(lfd, NULL);
	PI_ASSERT(r < 0 && dut_errno == EAGAIN, "accept returned %d (%s), want EAGAIN", r,
		  dut_strerror(dut_errno));
	DUT_OK(dut_set_nonblocking(lfd, 0));
}

static int accept_within(int lfd, int secs, struct sockaddr_storage *peer)
{
	DUT_OK(dut_setsockopt_timeval(lfd, SO_RCVTIMEO, secs, 0));
	return dut_accept(lfd, peer);
}

/* RFC 9293 3.10.7.4: in SYN-RECEIVED an acceptable ACK (SND.UNA < SEG.ACK
 * =< SND.NXT) moves the connection to ESTABLISHED: accept() returns it. */
PI_TEST(tcp_synrcvd_acceptable_ack)
{
	uint16_t port = 0;
	int lfd = dut_tcp_listener(AF_INET, &port, 8);
	struct pi_tcp_conn c;
	syn_to_listener(&c, port);
	expect_no_accept(lfd);
	pi_tcp_send(&c, NULL, NULL, 0);
	struct sockaddr_storage peer;
	int fd = accept_within(lfd, 2, &peer);
	PI_ASSERT(fd >= 0, "accept after the ACK failed: %s", dut_strerror(dut_errno));
	PI_ASSERT(ntohs(((struct sockaddr_in *)&peer)->sin_port) == c.lport, "accepted the wrong peer");
	static const char m[] = "established";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	pi_tcp_expect_data(&c, m, sizeof(m), 2000, NULL);
}

/* RFC 9293 3.10.7.4: in SYN-RECEIVED an unacceptable ACK is answered with
 * <SEQ=SEG.ACK><CTL=RST>; the half-open connection survives, and the right
 * ACK still completes it. */
PI_TEST(tcp_synrcvd_unacceptable_ack)
{
	uint16_t port = 0;
	int lfd = dut_tcp_listener(AF_INET, &port, 8);
	struct pi_tcp_conn c;
	syn_to_listener(&c, port);
	uint32_t bad = c.iss + 1 + 100000;
	struct pi_tcp t = { .ack = PI_U32(bad) };
	pi_tcp_send(&c, &t, NULL, 0);
	struct pi_tcp rst = { .flags = PI_U8(PI_RST), .seq = PI_U32(bad) };
	pi_tcp_expect_ok(&c, &rst, NULL, 0, 2000, NULL, "RST with SEQ=SEG.ACK for an unacceptable ACK");
	expect_no_accept(lfd);
	pi_tcp_send(&c, NULL, NULL, 0);
	int fd = accept_within(lfd, 2, NULL);
	PI_ASSERT(fd >= 0, "the acceptable ACK after the unacceptable one did not complete the "
			   "connection: %s", dut_strerror(dut_errno));
}

/* RFC 9293 3.10.7.3: in SYN-SENT a RST is acceptable only if its ACK
 * acknowledges the SYN; then the connection is refused. A RST with a bad ACK
 * is dropped. */
PI_TEST(tcp_rst_in_synsent)
{
	int fd = DUT_OK(dut_socket(AF_INET, SOCK_STREAM, 0));
	struct pi_tcp_conn c;
	pi_tcp_conn_init(&c, AF_INET, 0, 0);
	struct sockaddr_storage ss;
	socklen_t sl = pi_sockaddr_local(AF_INET, c.lport, &ss);
	dut_begin_connect(fd, (struct sockaddr *)&ss, sl);
	pi_tcp_accept_syn(&c, 3000);
	struct pi_tcp badrst = { .flags = PI_U8(PI_RST | PI_ACK), .seq = PI_U32(0),
				 .ack = PI_U32(c.irs + 1000) };
	pi_tcp_send(&c, &badrst, NULL, 0);
	long r = dut_end(500, NULL, 0);
	PI_ASSERT(r == DUT_TIMEDOUT, "connect returned %ld (%s) after a RST with an unacceptable ACK",
		  r, dut_strerror(dut_errno));
	struct pi_tcp rst = { .flags = PI_U8(PI_RST | PI_ACK), .seq = PI_U32(0), .ack = PI_U32(c.irs + 1) };
	pi_tcp_send(&c, &rst, NULL, 0);
	r = dut_end(2000, NULL, 0);
	PI_ASSERT(r == -1 && dut_errno == ECONNREFUSED, "connect returned %ld (%s), want ECONNREFUSED",
		  r, r == DUT_TIMEDOUT ? "still blocked" : dut_strerror(dut_errno));
}

/* RFC 9293 3.10.7.4: an in-window RST in SYN-RECEIVED (passive open)
 * removes the connection: it never reaches accept(), and its final ACK
 * is then answered as one for no connection, with RST. */
PI_TEST(tcp_rst_in_synrcvd)
{
	uint16_t port = 0;
	int lfd = dut_tcp_listener(AF_INET, &port, 8);
	struct pi_tcp_conn c;
	syn_to_listener(&c, port);
	struct pi_tcp rst = { .flags = PI_U8(PI_RST) };
	pi_tcp_send(&c, &rst, NULL, 0);
	pi_sleep_ms(100);
	struct pi_tcp ack = { .seq = PI_U32(c.iss + 1) };
	pi_tcp_send(&c, &ack, NULL, 0);
	struct pi_tcp want = { .flags = PI_U8(PI_RST), .seq = PI_U32(c.rcv_nxt) };
	pi_tcp_expect_ok(&c, &want, NULL, 0, 2000, NULL, "RST for the ACK of a reset half-open connection");
	expect_no_accept(lfd);
}

/* RFC 9293 3.10.7.3 and RFC 7323 2.2: the window of a SYN-ACK is never
 * scaled and bounds what the DUT sends; it sends more only when the
 * testbench opens the window. */
PI_TEST(tcp_handshake_window_honoured)
{
	struct pi_tcp_conn c;
	struct pi_tcp synack = { .win = PI_U16(100), .mss = PI_U16(1000), .ws = PI_U8(2) };
	int fd = pi_connected(AF_INET, &c, &synack);
	c.win = 100;
	uint8_t d[300];
	pi_pattern(d, sizeof(d), 4);
	DUT_OK(dut_send(fd, d, sizeof(d), 0));
	pi_tcp_expect_data(&c, d, 100, 2000, NULL);
	struct pi_tcp any_data = { .seq = PI_U32(c.rcv_nxt) };
	pi_tcp_expect_none(&c, &any_data, 500, "data beyond the SYN-ACK's window");
	/* Open the window: 50 << 2 = 200 bytes, window scale now in force. */
	c.win = 50;
	pi_tcp_send(&c, NULL, NULL, 0);
	pi_tcp_expect_data(&c, d + 100, 200, 2000, NULL);
}

/* A blocking send started in SYN-SENT waits for the handshake, then the
 * data leaves right after it (RFC 9293 3.10.2: queued for transmission
 * after entering ESTABLISHED). */
PI_TEST(tcp_send_queued_in_synsent)
{
	int fd = DUT_OK(dut_socket(AF_INET, SOCK_STREAM, 0));
	struct pi_tcp_conn c;
	pi_tcp_conn_init(&c, AF_INET, 0, 0);
	struct sockaddr_storage ss;
	socklen_t sl = pi_sockaddr_local(AF_INET, c.lport, &ss);
	DUT_OK(dut_set_nonblocking(fd, 1));
	int r = dut_connect(fd, (struct sockaddr *)&ss, sl);
	PI_ASSERT(r == -1 && dut_errno == EINPROGRESS, "non-blocking connect: %d (%s)", r,
		  dut_strerror(dut_errno));
	pi_tcp_accept_syn(&c, 3000);
	DUT_OK(dut_set_nonblocking(fd, 0));
	static const char m[] = "queued in SYN-SENT";
	dut_begin_send(fd, m, sizeof(m), 0);
	long n = dut_end(300, NULL, 0);
	PI_ASSERT(n == DUT_TIMEDOUT, "send returned %ld before the handshake completed", n);
	struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK) };
	pi_tcp_send(&c, &sa, NULL, 0);
	pi_tcp_expect_data(&c, m, sizeof(m), 2000, NULL);
	n = dut_end(2000, NULL, 0);
	PI_ASSERT(n == (long)sizeof(m), "send returned %ld (%s)", n, dut_strerror(dut_errno));
}

/* A blocking recv started in SYN-SENT waits for the handshake and then for
 * data, and returns the data. */
PI_TEST(tcp_recv_queued_in_synsent)
{
	int fd = DUT_OK(dut_socket(AF_INET, SOCK_STREAM, 0));
	struct pi_tcp_conn c;
	pi_tcp_conn_init(&c, AF_INET, 0, 0);
	struct sockaddr_storage ss;
	socklen_t sl = pi_sockaddr_local(AF_INET, c.lport, &ss);
	DUT_OK(dut_set_nonblocking(fd, 1));
	int r = dut_connect(fd, (struct sockaddr *)&ss, sl);
	PI_ASSERT(r == -1 && dut_errno == EINPROGRESS, "non-blocking connect: %d (%s)", r,
		  dut_strerror(dut_errno));
	pi_tcp_accept_syn(&c, 3000);
	DUT_OK(dut_set_nonblocking(fd, 0));
	dut_begin_recv(fd, 100, 0);
	long n = dut_end(300, NULL, 0);
	PI_ASSERT(n == DUT_TIMEDOUT, "recv returned %ld (%s) in SYN-SENT", n, dut_strerror(dut_errno));
	struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK) };
	pi_tcp_send(&c, &sa, NULL, 0);
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c.iss + 1) };
	pi_tcp_expect_ok(&c, &ack, NULL, 0, 2000, NULL, "ACK of the SYN-ACK");
	static const char m[] = "for the waiting recv";
	pi_tcp_send(&c, NULL, m, sizeof(m));
	char buf[100];
	n = dut_end(2000, buf, sizeof(buf));
	PI_ASSERT(n == (long)sizeof(m) && !memcmp(buf, m, sizeof(m)), "recv returned %ld (%s)", n,
		  dut_strerror(dut_errno));
}

/*
 * A listener with a full accept queue (backlog 1: Linux admits backlog + 1
 * connections) drops new SYNs, ignores the final ACK of a half-open
 * connection (no RST, the connection stays half-open and its SYN-ACK is
 * retransmitted), and completes that connection once accept() made room.
 */
PI_TEST(tcp_listen_backlog_full)
{
	uint16_t port = 0;
	int lfd = dut_tcp_listener(AF_INET, &port, 1);
	struct pi_tcp_conn a, b, d, e;
	pi_tcp_conn_init(&a, AF_INET, 0, port);
	pi_tcp_handshake_client(&a, NULL);
	/* d: half-open while there is still room */
	syn_to_listener(&d, port);
	pi_tcp_conn_init(&b, AF_INET, 0, port);
	pi_tcp_handshake_client(&b, NULL);
	pi_sleep_ms(100);
	/* Now full: d's ACK is ignored, e's SYN dropped. */
	pi_tcp_send(&d, NULL, NULL, 0);
	pi_tcp_expect_none(&d, NULL, 300, "answer to an ACK while the accept queue is full");
	pi_tcp_conn_init(&e, AF_INET, 0, port);
	struct pi_tcp syn = { .flags = PI_U8(PI_SYN) };
	pi_tcp_send(&e, &syn, NULL, 0);
	struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK) };
	/* d's SYN-ACK is retransmitted (after about 1 s) */
	pi_tcp_expect_ok(&d, &sa, NULL, 0, 3000, NULL, "SYN-ACK retransmission of the half-open connection");
	pi_tcp_expect_none(&e, &sa, 200, "SYN-ACK to a SYN while the accept queue is full");
	/* Make room; d's ACK now completes it. */
	struct sockaddr_storage peer;
	int fa = DUT_OK(dut_accept(lfd, &peer));
	PI_ASSERT(ntohs(((struct sockaddr_in *)&peer)->sin_port) == a.lport, "first accept is not a");
	pi_tcp_send(&d, NULL, NULL, 0);
	int fb = accept_within(lfd, 2, &peer);
	PI_ASSERT(fb >= 0 && ntohs(((struct sockaddr_in *)&peer)->sin_port) == b.lport,
		  "second accept is not b (%s)", dut_strerror(dut_errno));
	int fd = accept_within(lfd, 2, &peer);
	PI_ASSERT(fd >= 0 && ntohs(((struct sockaddr_in *)&peer)->sin_port) == d.lport,
		  "the half-open connection was not accepted after room was made (%s)",
		  dut_strerror(dut_errno));
	(void)fa;
}

/*
 * SYN cookies (RFC 4987 3.6): when its SYN queue is full the DUT answers
 * SYNs without keeping state. Such a SYN-ACK is never retransmitted (no
 * state to do it from), and the ACK that echoes the cookie still yields an
 * established connection.
 */
PI_TEST(tcp_syn_cookies)
{
	uint16_t port = 0;
	int lfd = dut_tcp_listener(AF_INET, &port, 2);
	enum { N = 8 };
	struct pi_tcp_conn c[N];
	struct pi_tcp syn = { .flags = PI_U8(PI_SYN), .mss = PI_U16(1400) };
	for (int i = 0; i < N; i++) {
		pi_tcp_conn_init(&c[i], AF_INET, 0, port);
		c[i].lport = (uint16_t)(c[0].lport + i);
		pi_tcp_send(&c[i], &syn, NULL, 0);
		struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK), .ack = PI_U32(c[i].iss + 1) };
		pi_tcp_expect_ok(&c[i], &sa, NULL, 0, 2000, NULL, "SYN-ACK");
	}
	/* Stateful half-open connections get their SYN-ACK retransmitted. */
	pi_sleep_ms(1600);
	int cookie = -1, stateful = 0;
	for (int i = 0; i < N; i++) {
		struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK) };
		if (pi_tcp_expect(&c[i], &sa, NULL, 0, 0, NULL) == 0)
			stateful++;
		else if (cookie < 0)
			cookie = i;
	}
	pi_log("%d of %d half-open connections kept state", stateful, N);
	PI_ASSERT(cookie >= 0, "every SYN-ACK was retransmitted: no SYN cookies with a full SYN queue");
	pi_tcp_send(&c[cookie], NULL, NULL, 0);
	struct sockaddr_storage peer;
	DUT_OK(dut_setsockopt_timeval(lfd, SO_RCVTIMEO, 2, 0));
	int fd = -1;
	for (int tries = 0; tries < N; tries++) {
		fd = dut_accept(lfd, &peer);
		if (fd < 0 || ntohs(((struct sockaddr_in *)&peer)->sin_port) == c[cookie].lport)
			break;
	}
	PI_ASSERT(fd >= 0, "the ACK echoing the SYN cookie did not yield a connection (%s)",
		  dut_strerror(dut_errno));
	static const char m[] = "cookie";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	pi_tcp_expect_data(&c[cookie], m, sizeof(m), 2000, NULL);
}

/* RFC 9293 3.2: options a TCP does not implement are skipped by their
 * length. A SYN carrying an unknown option (kind 253, RFC 4727
 * experimental) among the known ones still gets a SYN-ACK honouring the
 * known ones, and the connection works. */
PI_TEST(tcp_unknown_option_ignored)
{
	uint16_t port = 0;
	int lfd = dut_tcp_listener(AF_INET, &port, 8);
	struct pi_tcp_conn c;
	pi_tcp_conn_init(&c, AF_INET, 0, port);
	struct pi_tcp syn = { .flags = PI_U8(PI_SYN), .mss = PI_U16(700), .sackok = PI_U8(1),
			      .rawopt = { 253, 6, 0xde, 0xad, 0xbe, 0xef }, .rawoptlen = 6 };
	pi_tcp_send(&c, &syn, NULL, 0);
	struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK), .ack = PI_U32(c.iss + 1),
			     .sackok = PI_U8(1) };
	pi_tcp_expect_ok(&c, &sa, NULL, 0, 2000, NULL, "SYN-ACK to a SYN with an unknown option");
	pi_tcp_send(&c, NULL, NULL, 0);
	int fd = accept_within(lfd, 2, NULL);
	PI_ASSERT(fd >= 0, "accept failed: %s", dut_strerror(dut_errno));
	/* The MSS of 700 from the same SYN is in force. */
	uint8_t d[1000];
	pi_pattern(d, sizeof(d), 3);
	DUT_OK(dut_send(fd, d, sizeof(d), 0));
	pi_tcp_expect_data(&c, d, 700, 2000, NULL);
	pi_tcp_send(&c, NULL, NULL, 0); /* Nagle may hold the rest until this ACK */
	pi_tcp_expect_data(&c, d + 700, 300, 2000, NULL);
}
