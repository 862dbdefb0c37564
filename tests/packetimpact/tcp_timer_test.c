/* TCP timers: retransmission (RFC 6298), persist (RFC 9293 3.8.6.1), user
 * timeout (RFC 5482), FIN retransmission, FIN-WAIT-2 timeout. */
#include <errno.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Gaps between successive transmissions must at least roughly double
 * (RFC 6298 5.5: back off the timer); generous bounds, no absolute times. */
static void check_backoff(const uint64_t *t, int n, const char *what)
{
	for (int i = 2; i < n; i++) {
		double prev = (double)(t[i - 1] - t[i - 2]), cur = (double)(t[i] - t[i - 1]);
		pi_log("%s %d after %.0f ms (previous gap %.0f ms)", what, i, cur / 1e6, prev / 1e6);
		PI_ASSERT(cur >= 1.5 * prev && cur <= 3.0 * prev,
			  "%s %d came %.0f ms after the previous one, which came %.0f ms after its "
			  "predecessor: not an exponential backoff", what, i, cur / 1e6, prev / 1e6);
	}
}

PI_TEST(tcp_retransmit_backoff)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	static const char m[] = "never acknowledged";
	uint32_t seq = c.rcv_nxt;
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	struct pi_pkt *p = malloc(sizeof(*p));
	uint64_t t[5];
	struct pi_tcp want = { .seq = PI_U32(seq), .flags = PI_U8(PI_ACK),
			       .flags_mask = PI_U8(PI_ACK | PI_SYN | PI_FIN | PI_RST) };
	for (int i = 0; i < 5; i++) {
		pi_tcp_expect_ok(&c, &want, m, sizeof(m), 5000, p, i ? "retransmission" : "the data");
		t[i] = p->ts_ns;
	}
	free(p);
	check_backoff(t, 5, "retransmission");
}

/* Zero-window probes: with data queued and the window closed, the DUT
 * probes; the testbench answers each with a zero window; the probes back
 * off exponentially; the data flows once the window opens. */
PI_TEST(tcp_zero_window_probe_backoff)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	c.win = 0;
	pi_tcp_send(&c, NULL, NULL, 0);
	pi_sleep_ms(50);
	static const char m[] = "waits for the window";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	struct pi_pkt *p = malloc(sizeof(*p));
	uint64_t t[4];
	uint32_t una = c.rcv_nxt;
	for (int i = 0; i < 4; i++) {
		/* A probe: any segment at or just below snd_una (Linux sends
		 * SND.UNA - 1 without data; RFC 9293 allows one byte of data). */
		pi_tcp_expect_ok(&c, NULL, NULL, 0, 5000, p, "zero-window probe");
		uint32_t s = p->f.tcp.seq.v;
		PI_ASSERT(s == una - 1 || (s == una && p->f.payload.len <= 1),
			  "probe %d has seq %u (snd_una %u) and %zu bytes", i, s, una, p->f.payload.len);
		t[i] = p->ts_ns;
		c.rcv_nxt = una;
		pi_tcp_send(&c, NULL, NULL, 0);
	}
	free(p);
	check_backoff(t, 4, "probe");
	c.win = 32768;
	pi_tcp_send(&c, NULL, NULL, 0);
	c.rcv_nxt = una;
	pi_tcp_expect_data(&c, m, sizeof(m), 2000, NULL);
}

/* After an abort the DUT has no connection: data from the testbench is
 * answered with RST, and the application sees ETIMEDOUT. */
static void expect_aborted(struct pi_tcp_conn *c, int fd)
{
	char b[16];
	long n = dut_recv(fd, b, sizeof(b), MSG_DONTWAIT);
	PI_ASSERT(n == -1 && dut_errno == ETIMEDOUT, "recv after the user timeout: %ld (%s), want ETIMEDOUT",
		  n, dut_strerror(dut_errno));
	static const char m[] = "anyone?";
	pi_tcp_send(c, NULL, m, sizeof(m));
	struct pi_tcp rst = { .flags = PI_U8(PI_RST), .flags_mask = PI_U8(PI_RST) };
	pi_tcp_expect_ok(c, &rst, NULL, 0, 2000, NULL, "RST for data to the aborted connection");
}

/* RFC 5482 / RFC 9293 3.8.3: with TCP_USER_TIMEOUT, a connection whose
 * zero-window probes go unanswered for longer than the timeout is aborted. */
PI_TEST(tcp_user_timeout_during_probes)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1000));
	c.win = 0;
	pi_tcp_send(&c, NULL, NULL, 0);
	pi_sleep_ms(50);
	static const char m[] = "waits for the window";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	uint64_t t0 = pi_now_ms();
	pi_tcp_expect_ok(&c, NULL, NULL, 0, 3000, NULL, "zero-window probe");
	/* Probes go unanswered; the user timeout runs out. */
	int aborted = 0;
	short rev = 0;
	for (int i = 0; i < 8 && !aborted; i++) {
		int r = DUT_OK(dut_poll(fd, POLLIN, 500, &rev));
		aborted = r > 0 && (rev & (POLLERR | POLLHUP));
	}
	uint64_t t1 = pi_now_ms();
	PI_ASSERT(aborted, "connection not aborted %llu ms after the probes went unanswered "
			   "(TCP_USER_TIMEOUT 1000 ms)", (unsigned long long)(t1 - t0));
	PI_ASSERT(t1 - t0 >= 900, "aborted after %llu ms, before the 1000 ms user timeout",
		  (unsigned long long)(t1 - t0));
	pi_tcp_drain(&c);
	expect_aborted(&c, fd);
}

/* RFC 5482: with data outstanding and never acknowledged, the connection
 * is aborted once TCP_USER_TIMEOUT has passed. */
PI_TEST(tcp_user_timeout_with_data_outstanding)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1000));
	static const char m[] = "never acknowledged";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	uint64_t t0 = pi_now_ms();
	pi_tcp_expect_data(&c, m, sizeof(m), 2000, NULL);
	int aborted = 0;
	short rev = 0;
	for (int i = 0; i < 8 && !aborted; i++) {
		int r = DUT_OK(dut_poll(fd, POLLIN, 500, &rev));
		aborted = r > 0 && (rev & (POLLERR | POLLHUP));
	}
	uint64_t t1 = pi_now_ms();
	PI_ASSERT(aborted, "connection not aborted %llu ms after sending unacknowledged data "
			   "(TCP_USER_TIMEOUT 1000 ms)", (unsigned long long)(t1 - t0));
	PI_ASSERT(t1 - t0 >= 900, "aborted after %llu ms, before the 1000 ms user timeout",
		  (unsigned long long)(t1 - t0));
	pi_tcp_drain(&c);
	expect_aborted(&c, fd);
}

/* In CLOSING (simultaneous close) the DUT's FIN is still unacknowledged:
 * it is retransmitted, with the same sequence number. */
PI_TEST(tcp_fin_retransmit_in_closing)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	DUT_OK(dut_shutdown(fd, SHUT_WR));
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	struct pi_pkt *p = malloc(sizeof(*p));
	pi_tcp_expect_ok(&c, &fin, NULL, 0, 2000, p, "the DUT's FIN");
	uint32_t finseq = p->f.tcp.seq.v;
	struct pi_tcp ourfin = { .flags = PI_U8(PI_FIN | PI_ACK), .ack = PI_U32(finseq) };
	pi_tcp_send(&c, &ourfin, NULL, 0);
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c.snd_nxt), .seq = PI_U32(finseq + 1) };
	pi_tcp_expect_ok(&c, &ack, NULL, 0, 2000, NULL, "ACK of our FIN (CLOSING)");
	struct pi_tcp refin = { .flags = PI_U8(PI_FIN | PI_ACK), .seq = PI_U32(finseq), .ack = PI_U32(c.snd_nxt) };
	pi_tcp_expect_ok(&c, &refin, NULL, 0, 3000, NULL, "retransmission of the FIN in CLOSING");
	pi_tcp_send(&c, NULL, NULL, 0);
	free(p);
}

/* A closed connection in FIN-WAIT-2 lives TCP_LINGER2 seconds: before
 * that a FIN from the peer is acknowledged, after it the connection is gone
 * and the FIN is answered with RST. */
PI_TEST(tcp_fin_wait2_timeout_linger2)
{
	struct pi_tcp_conn a, b;
	int fa = pi_accepted(AF_INET, &a, NULL, NULL);
	int fb = pi_accepted(AF_INET, &b, NULL, NULL);
	DUT_OK(dut_setsockopt_int(fa, IPPROTO_TCP, TCP_LINGER2, 1));
	DUT_OK(dut_setsockopt_int(fb, IPPROTO_TCP, TCP_LINGER2, 1));
	DUT_OK(dut_close(fa));
	DUT_OK(dut_close(fb));
	struct pi_tcp fin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_expect_ok(&a, &fin, NULL, 0, 2000, NULL, "FIN of connection a");
	pi_tcp_expect_ok(&b, &fin, NULL, 0, 2000, NULL, "FIN of connection b");
	pi_tcp_send(&a, NULL, NULL, 0);
	pi_tcp_send(&b, NULL, NULL, 0);
	/* b: FIN well within the timeout is acknowledged. */
	pi_sleep_ms(200);
	struct pi_tcp ourfin = { .flags = PI_U8(PI_FIN | PI_ACK) };
	pi_tcp_send(&b, &ourfin, NULL, 0);
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .ack = PI_U32(b.snd_nxt) };
	pi_tcp_expect_ok(&b, &ack, NULL, 0, 1000, NULL, "ACK of a FIN in FIN-WAIT-2");
	/* a: FIN well after the timeout meets no connection. */
	pi_sleep_ms(2800);
	pi_tcp_send(&a, &ourfin, NULL, 0);
	struct pi_tcp rst = { .flags = PI_U8(PI_RST), .flags_mask = PI_U8(PI_RST) };
	pi_tcp_expect_ok(&a, &rst, NULL, 0, 1000, NULL, "RST for a FIN after the FIN-WAIT-2 timeout");
}
