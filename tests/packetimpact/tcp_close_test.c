/* TCP connection teardown: SO_LINGER, listener close, TIME-WAIT, PAWS. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const struct pi_tcp want_rst = { .flags = PI_U8(PI_RST), .flags_mask = PI_U8(PI_RST | PI_SYN | PI_FIN) };

/* SO_LINGER on with a zero timeout: close() aborts with RST (RFC 9293
 * 3.10.5 ABORT), at the DUT's snd_nxt. */
PI_TEST(tcp_linger_zero_sends_rst)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_setsockopt_linger(fd, 1, 0));
	DUT_OK(dut_close(fd));
	struct pi_tcp rst = want_rst;
	rst.seq = PI_U32(c.rcv_nxt);
	pi_tcp_expect_ok(&c, &rst, NULL, 0, 2000, NULL, "RST on close with a zero linger time");
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN), .flags_mask = PI_U8(PI_FIN) };
	pi_tcp_expect_none(&c, &fin, 200, "FIN after the RST");
}

/* SO_LINGER off (the default): close() is a graceful close with FIN. */
PI_TEST(tcp_linger_off_sends_fin)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_setsockopt_linger(fd, 0, 0));
	static const char m[] = "before the FIN";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	DUT_OK(dut_close(fd));
	pi_tcp_expect_data(&c, m, sizeof(m), 2000, NULL);
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK), .flags_mask = PI_U8(PI_FIN | PI_ACK | PI_RST) };
	pi_tcp_expect_ok(&c, &fin, NULL, 0, 2000, NULL, "FIN on close without linger");
	pi_tcp_send(&c, NULL, NULL, 0);
	pi_tcp_expect_none(&c, &want_rst, 200, "RST after a graceful close");
}

/* SO_LINGER with a timeout and data the peer never acknowledges: close()
 * blocks for the linger time, then returns; the FIN went out after the
 * data. */
PI_TEST(tcp_linger_timeout_with_pending_data)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_setsockopt_linger(fd, 1, 1));
	static const char m[] = "not acknowledged";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	pi_tcp_expect_data(&c, m, sizeof(m), 2000, NULL);
	uint64_t t0 = pi_now_ms();
	dut_begin_close(fd);
	long r = dut_end(600, NULL, 0);
	PI_ASSERT(r == DUT_TIMEDOUT, "close returned %ld after %llu ms with unacknowledged data and a 1 s "
				      "linger time", r, (unsigned long long)(pi_now_ms() - t0));
	r = dut_end(3000, NULL, 0);
	PI_ASSERT(r == 0, "close returned %ld (%s)", r, r == DUT_TIMEDOUT ? "still blocked after 3.6 s" :
		  dut_strerror(dut_errno));
	pi_log("close returned after %llu ms", (unsigned long long)(pi_now_ms() - t0));
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN), .flags_mask = PI_U8(PI_FIN) };
	pi_tcp_expect_ok(&c, &fin, NULL, 0, 2000, NULL, "FIN after the lingering close");
}

/* SO_LINGER with a timeout and nothing pending but the FIN: close() waits
 * for the FIN to be acknowledged and returns as soon as it is. */
PI_TEST(tcp_linger_timeout_without_pending_data)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_setsockopt_linger(fd, 1, 5));
	dut_begin_close(fd);
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_expect_ok(&c, &fin, NULL, 0, 2000, NULL, "FIN on close");
	long r = dut_end(300, NULL, 0);
	PI_ASSERT(r == DUT_TIMEDOUT, "close returned %ld before its FIN was acknowledged", r);
	pi_tcp_send(&c, NULL, NULL, 0);
	r = dut_end(1000, NULL, 0);
	PI_ASSERT(r == 0, "close returned %ld (%s) after the FIN was acknowledged, want 0 within 1 s "
			  "(linger time 5 s)", r, r == DUT_TIMEDOUT ? "still blocked" : dut_strerror(dut_errno));
}

/* After shutdown(SHUT_WR) (FIN sent and acknowledged), close() with a zero
 * linger time still aborts the connection with RST. */
PI_TEST(tcp_linger_zero_after_shutdown)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_shutdown(fd, SHUT_WR));
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_expect_ok(&c, &fin, NULL, 0, 2000, NULL, "FIN on shutdown");
	pi_tcp_send(&c, NULL, NULL, 0);
	DUT_OK(dut_setsockopt_linger(fd, 1, 0));
	DUT_OK(dut_close(fd));
	struct pi_tcp rst = want_rst;
	rst.seq = PI_U32(c.rcv_nxt);
	pi_tcp_expect_ok(&c, &rst, NULL, 0, 2000, NULL, "RST on zero-linger close after shutdown");
}

/* Closing a listener resets the connections still waiting to be accepted. */
PI_TEST(tcp_close_listener_resets_unaccepted)
{
	uint16_t port = 0;
	int lfd = dut_tcp_listener(AF_INET, &port, 4);
	struct pi_tcp_conn a, b;
	pi_tcp_conn_init(&a, AF_INET, 0, port);
	pi_tcp_handshake_client(&a, NULL);
	pi_tcp_conn_init(&b, AF_INET, 0, port);
	pi_tcp_handshake_client(&b, NULL);
	pi_sleep_ms(50);
	DUT_OK(dut_close(lfd));
	pi_tcp_expect_ok(&a, &want_rst, NULL, 0, 2000, NULL, "RST for unaccepted connection a");
	pi_tcp_expect_ok(&b, &want_rst, NULL, 0, 2000, NULL, "RST for unaccepted connection b");
}

/*
 * TIME-WAIT: the DUT closed first, so it waits in TIME-WAIT and
 * re-acknowledges a retransmitted FIN. An in-window RST ends TIME-WAIT early
 * (Linux default; RFC 1337 describes the hazard): the same retransmitted
 * FIN then meets no connection and is answered with RST.
 */
PI_TEST(tcp_rst_in_time_wait)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_close(fd));
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_expect_ok(&c, &fin, NULL, 0, 2000, NULL, "the DUT's FIN");
	struct pi_tcp ourfin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	uint32_t finseq = c.snd_nxt;
	pi_tcp_send(&c, &ourfin, NULL, 0);
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c.snd_nxt) };
	pi_tcp_expect_ok(&c, &ack, NULL, 0, 2000, NULL, "ACK of our FIN (TIME-WAIT)");
	struct pi_tcp refin = { .flags = PI_U8(PI_FIN | PI_ACK), .seq = PI_U32(finseq) };
	pi_tcp_send(&c, &refin, NULL, 0);
	pi_tcp_expect_ok(&c, &ack, NULL, 0, 2000, NULL, "ACK of a retransmitted FIN in TIME-WAIT");
	struct pi_tcp rst = { .flags = PI_U8(PI_RST) };
	pi_tcp_send(&c, &rst, NULL, 0);
	pi_sleep_ms(50);
	pi_tcp_send(&c, &refin, NULL, 0);
	struct pi_tcp r = want_rst;
	pi_tcp_expect_ok(&c, &r, NULL, 0, 2000, NULL, "RST for a FIN after TIME-WAIT was reset");
}

/*
 * RFC 7323 5: PAWS. With timestamps in use, a segment whose TSval is older
 * than the last one accepted is dropped (not delivered) and answered with
 * an ACK.
 */
PI_TEST(tcp_paws_drops_old_timestamp)
{
	struct pi_tcp_conn c;
	struct pi_tcp syn = { .ts = { .has = PI_SET, .val = 1000000 } };
	int fd = pi_accepted(AF_INET, &c, &syn, NULL);
	PI_ASSERT(c.ts_on, "the DUT did not agree to timestamps");
	static const char m1[] = "fresh", m2[] = "stale timestamp";
	pi_tcp_send(&c, NULL, m1, sizeof(m1));
	struct pi_tcp ack1 = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c.snd_nxt) };
	pi_tcp_expect_ok(&c, &ack1, NULL, 0, 2000, NULL, "ACK of the fresh segment");
	struct pi_tcp old = { .ts = { .has = PI_SET, .val = c.ts_val - 100000, .ecr = c.ts_recent } };
	pi_tcp_send(&c, &old, m2, sizeof(m2));
	c.snd_nxt -= sizeof(m2);
	struct pi_tcp dup = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c.snd_nxt) };
	pi_tcp_expect_ok(&c, &dup, NULL, 0, 2000, NULL, "ACK for the segment PAWS rejected");
	char b[64];
	long n = DUT_OK(dut_recv(fd, b, sizeof(b), 0));
	PI_ASSERT(n == (long)sizeof(m1) && !memcmp(b, m1, sizeof(m1)), "recv got %ld bytes", n);
	n = dut_recv(fd, b, sizeof(b), MSG_DONTWAIT);
	PI_ASSERT(n < 0 && dut_errno == EAGAIN, "the segment with the old timestamp was delivered (%ld bytes)", n);
}
