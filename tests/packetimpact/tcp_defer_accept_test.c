/*
 * TCP_DEFER_ACCEPT on a listener. Linux turns the seconds into a number of
 * SYN-ACK timeouts (1 s, doubling); a handshake ACK without data is dropped
 * and the request marked acknowledged until that many timeouts have
 * passed. An acknowledged request gets no SYN-ACK retransmissions except
 * the one at the last timeout of the period, whose ACK (from any real
 * client) then completes the connection: accept() returns it, without
 * data. Data completes the connection at once.
 */
#include <errno.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* A listener with TCP_DEFER_ACCEPT secs; the testbench's handshake with a
 * bare final ACK. */
static int deferred(struct pi_tcp_conn *c, int secs)
{
	uint16_t port = 0;
	int l = dut_tcp_listener(AF_INET, &port, 8);
	DUT_OK(dut_setsockopt_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, secs));
	pi_tcp_conn_init(c, AF_INET, 0, port);
	pi_tcp_handshake_client(c, NULL);
	return l;
}

static void expect_not_ready(int l, int ms, const char *when)
{
	short rev = 0;
	int r = DUT_OK(dut_poll(l, POLLIN, ms, &rev));
	PI_ASSERT(r == 0, "the listener is readable %s (revents %#x)", when, rev);
}

/* Data after the bare ACK completes the connection at once; the request
 * was not given SYN-ACK retransmissions while it waited. */
PI_TEST(tcp_defer_accept_data_completes)
{
	struct pi_tcp_conn c;
	int l = deferred(&c, 5);
	expect_not_ready(l, 300, "after a handshake ACK without data");
	struct pi_tcp synack = { .flags = PI_U8(PI_SYN | PI_ACK) };
	pi_tcp_expect_none(&c, &synack, 1500, "SYN-ACK retransmission for an acknowledged request");
	static const char m[] = "the first data";
	pi_tcp_send(&c, NULL, m, sizeof(m));
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c.snd_nxt) };
	pi_tcp_expect_ok(&c, &ack, NULL, 0, 2000, NULL, "ACK of the data");
	short rev = 0;
	int r = DUT_OK(dut_poll(l, POLLIN, 1000, &rev));
	PI_ASSERT(r == 1, "the listener is not readable after data came");
	int fd = DUT_OK(dut_accept(l, NULL));
	char b[64];
	long n = DUT_OK(dut_recv(fd, b, sizeof(b), MSG_DONTWAIT));
	PI_ASSERT(n == (long)sizeof(m) && !memcmp(b, m, sizeof(m)), "recv got %ld bytes", n);
}

/*
 * TCP_DEFER_ACCEPT 1 (one timeout): the SYN-ACK is retransmitted after 1 s
 * (the last timeout of the period); the testbench acknowledges it as a
 * client would, and a blocked accept() returns the connection.
 */
PI_TEST(tcp_defer_accept_period_ends_one)
{
	struct pi_tcp_conn c;
	int l = deferred(&c, 1);
	uint64_t t0 = pi_now_ms();
	dut_begin_accept(l);
	struct pi_tcp synack = { .flags = PI_U8(PI_SYN | PI_ACK), .seq = PI_U32(c.irs) };
	struct pi_pkt *p = malloc(sizeof(*p));
	pi_tcp_expect_ok(&c, &synack, NULL, 0, 3000, p, "SYN-ACK retransmission at the end of the period");
	uint64_t t1 = pi_now_ms();
	free(p);
	pi_log("SYN-ACK again after %llu ms", (unsigned long long)(t1 - t0));
	PI_ASSERT(t1 - t0 >= 700, "SYN-ACK retransmitted after %llu ms, before the 1 s timeout",
		  (unsigned long long)(t1 - t0));
	long r = dut_end(0, NULL, 0);
	PI_ASSERT(r == DUT_TIMEDOUT, "accept returned %ld before the period ended", r);
	pi_tcp_send(&c, NULL, NULL, 0);
	r = dut_end(1500, NULL, 0);
	PI_ASSERT(r >= 0, "accept returned %ld (%s) after the ACK of the last SYN-ACK", r,
		  r == DUT_TIMEDOUT ? "still blocked" : dut_strerror(dut_errno));
	char b[8];
	long n = dut_recv((int)r, b, sizeof(b), MSG_DONTWAIT);
	PI_ASSERT(n == -1 && dut_errno == EAGAIN, "recv on the accepted connection: %ld (%s)", n,
		  dut_strerror(dut_errno));
}

/*
 * TCP_DEFER_ACCEPT 5 s: three timeouts (1 + 2 + 4 s). No SYN-ACK at 1 s or
 * 3 s; one at 7 s; its ACK completes the connection.
 */
PI_TEST(tcp_defer_accept_period_ends_three)
{
	struct pi_tcp_conn c;
	int l = deferred(&c, 5);
	int v = 0;
	DUT_OK(dut_getsockopt_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v));
	PI_ASSERT(v == 7, "TCP_DEFER_ACCEPT 5 reads back as %d, want 7 (three timeouts)", v);
	uint64_t t0 = pi_now_ms();
	struct pi_tcp synack = { .flags = PI_U8(PI_SYN | PI_ACK), .seq = PI_U32(c.irs) };
	pi_tcp_expect_none(&c, &synack, 5500, "SYN-ACK retransmission within the period");
	expect_not_ready(l, 0, "within the period");
	pi_tcp_expect_ok(&c, &synack, NULL, 0, 3000, NULL, "SYN-ACK retransmission at the end of the period");
	uint64_t t1 = pi_now_ms();
	pi_log("SYN-ACK again after %llu ms", (unsigned long long)(t1 - t0));
	PI_ASSERT(t1 - t0 >= 6300, "SYN-ACK retransmitted after %llu ms, want about 7 s",
		  (unsigned long long)(t1 - t0));
	expect_not_ready(l, 0, "before the ACK of the last SYN-ACK");
	pi_tcp_send(&c, NULL, NULL, 0);
	short rev = 0;
	int r = DUT_OK(dut_poll(l, POLLIN, 1000, &rev));
	PI_ASSERT(r == 1, "the listener is not readable after the ACK of the last SYN-ACK");
	DUT_OK(dut_accept(l, NULL));
}

/* When the handshake's ACK is lost the request is not acknowledged: the
 * SYN-ACK is retransmitted on the usual schedule (1 s, then 2 s later). */
PI_TEST(tcp_defer_accept_synack_rtx_unacked)
{
	uint16_t port = 0;
	int l = dut_tcp_listener(AF_INET, &port, 8);
	DUT_OK(dut_setsockopt_int(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5));
	struct pi_tcp_conn c;
	pi_tcp_conn_init(&c, AF_INET, 0, port);
	struct pi_tcp syn = { .flags = PI_U8(PI_SYN) };
	pi_tcp_send(&c, &syn, NULL, 0);
	struct pi_tcp synack = { .flags = PI_U8(PI_SYN | PI_ACK), .ack = PI_U32(c.iss + 1) };
	struct pi_pkt *p = malloc(sizeof(*p));
	uint64_t t[3];
	for (int i = 0; i < 3; i++) {
		pi_tcp_expect_ok(&c, &synack, NULL, 0, 3500, p, i ? "SYN-ACK retransmission" : "SYN-ACK");
		t[i] = p->ts_ns / 1000000;
	}
	free(p);
	pi_log("SYN-ACKs at +%llu, +%llu ms", (unsigned long long)(t[1] - t[0]),
	       (unsigned long long)(t[2] - t[0]));
	PI_ASSERT(t[1] - t[0] >= 700 && t[1] - t[0] <= 1500 && t[2] - t[1] >= 1500 && t[2] - t[1] <= 2600,
		  "SYN-ACK retransmissions at +%llu and +%llu ms, want about 1 s and 3 s",
		  (unsigned long long)(t[1] - t[0]), (unsigned long long)(t[2] - t[0]));
	expect_not_ready(l, 0, "without a handshake ACK");
	pi_tcp_rst(&c);
}
