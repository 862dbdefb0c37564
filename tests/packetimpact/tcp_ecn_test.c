/* TCP Explicit Congestion Notification (RFC 3168), passive side, as Linux
 * does it by default (net.ipv4.tcp_ecn = 2: accept ECN when the peer asks,
 * never ask). */
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define ECN_MASK (PI_SYN | PI_ACK | PI_RST | PI_FIN | PI_ECE | PI_CWR)
enum { NOT_ECT = 0, ECT0 = 2, CE = 3 };

/* Handshake as client with the given SYN flags; returns the accepted fd and
 * the SYN-ACK's flags. */
static int ecn_accepted(struct pi_tcp_conn *c, uint8_t synflags, uint8_t *synack_flags)
{
	uint16_t port = 0;
	int l = dut_tcp_listener(AF_INET, &port, 8);
	pi_tcp_conn_init(c, AF_INET, 0, port);
	struct pi_tcp s = { .flags = PI_U8(synflags) };
	pi_tcp_send(c, &s, NULL, 0);
	struct pi_tcp want = { .flags = PI_U8(PI_SYN | PI_ACK),
			       .flags_mask = PI_U8(PI_SYN | PI_ACK | PI_RST),
			       .ack = PI_U32(c->iss + 1) };
	struct pi_pkt *p = malloc(sizeof(*p));
	PI_ASSERT(p, "out of memory");
	pi_tcp_expect_ok(c, &want, NULL, 0, 3000, p, "SYN-ACK");
	*synack_flags = p->f.tcp.flags.v;
	PI_ASSERT((p->f.ip4.tos.v & 3) == NOT_ECT, "SYN-ACK is ECN-capable (tos %#x); RFC 3168 6.1.1",
		  p->f.ip4.tos.v);
	if (!p->f.tcp.ts.has)
		c->ts_on = 0;
	free(p);
	pi_tcp_send(c, NULL, NULL, 0);
	int fd = DUT_OK(dut_accept(l, NULL));
	dut_close(l);
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1));
	return fd;
}

/* Expect `len` bytes of data from the DUT; returns the IP ECN field and
 * the TCP flags. */
static void expect_data(struct pi_tcp_conn *c, const void *d, size_t len, int *ecn, uint8_t *flags)
{
	struct pi_pkt *p = malloc(sizeof(*p));
	PI_ASSERT(p, "out of memory");
	pi_tcp_expect_data(c, d, len, 2000, p);
	*ecn = p->f.ip4.tos.v & 3;
	*flags = p->f.tcp.flags.v;
	free(p);
}

/* Expect the DUT's pure ACK of everything the testbench sent. */
static void expect_ack(struct pi_tcp_conn *c, uint8_t flags, const char *what)
{
	struct pi_tcp want = { .flags = PI_U8(flags), .flags_mask = PI_U8(ECN_MASK),
			       .ack = PI_U32(c->snd_nxt) };
	struct pi_pkt *p = malloc(sizeof(*p));
	PI_ASSERT(p, "out of memory");
	pi_tcp_expect_ok(c, &want, NULL, 0, 2000, p, what);
	PI_ASSERT((p->f.ip4.tos.v & 3) == NOT_ECT, "a pure ACK is ECN-capable (RFC 3168 6.1.4)");
	free(p);
}

static void send_data(struct pi_tcp_conn *c, int ecn, uint8_t flags, const char *d, size_t len)
{
	struct pi_frame ip;
	memset(&ip, 0, sizeof(ip));
	ip.ip4.tos = PI_U8(ecn);
	struct pi_tcp t = { .flags = PI_U8(PI_ACK | PI_PSH | flags) };
	pi_tcp_send_ip(c, &ip, &t, d, len);
}

/* RFC 3168 6.1.1: a SYN with ECE and CWR asks for ECN; the SYN-ACK agrees
 * with ECE alone. */
PI_TEST(tcp_ecn_setup_synack_has_ece)
{
	struct pi_tcp_conn c;
	uint8_t f;
	int fd = ecn_accepted(&c, PI_SYN | PI_ECE | PI_CWR, &f);
	PI_ASSERT((f & (PI_ECE | PI_CWR)) == PI_ECE, "SYN-ACK flags %#x, want ECE without CWR", f);
	dut_close(fd);
	pi_tcp_rst(&c);
}

/* Without the request, no ECN: no ECE in the SYN-ACK, data not ECN-capable. */
PI_TEST(tcp_ecn_not_used_unless_asked)
{
	struct pi_tcp_conn c;
	uint8_t f;
	int fd = ecn_accepted(&c, PI_SYN, &f);
	PI_ASSERT(!(f & (PI_ECE | PI_CWR)), "SYN-ACK flags %#x without an ECN request", f);
	static const char m[] = "plain";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	int ecn;
	expect_data(&c, m, sizeof(m), &ecn, &f);
	PI_ASSERT(ecn == NOT_ECT, "data without ECN negotiated has ECN field %d", ecn);
	dut_close(fd);
	pi_tcp_rst(&c);
}

/* RFC 3168 6.1.4: with ECN, new data is ECT(0); pure ACKs are not. */
PI_TEST(tcp_ecn_data_ect_acks_not)
{
	struct pi_tcp_conn c;
	uint8_t f;
	int fd = ecn_accepted(&c, PI_SYN | PI_ECE | PI_CWR, &f);
	static const char m[] = "ect data";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	int ecn;
	expect_data(&c, m, sizeof(m), &ecn, &f);
	PI_ASSERT(ecn == ECT0, "data has ECN field %d, want ECT(0)", ecn);
	pi_tcp_send(&c, NULL, NULL, 0);
	send_data(&c, ECT0, 0, "x", 1);
	expect_ack(&c, PI_ACK, "ACK of the testbench's data");
	dut_close(fd);
	pi_tcp_rst(&c);
}

/* RFC 3168 6.1.3: a CE mark makes the receiver set ECE on its ACKs until
 * the sender's CWR arrives. */
PI_TEST(tcp_ecn_ce_echoed_until_cwr)
{
	struct pi_tcp_conn c;
	uint8_t f;
	int fd = ecn_accepted(&c, PI_SYN | PI_ECE | PI_CWR, &f);
	send_data(&c, CE, 0, "congested", 9);
	expect_ack(&c, PI_ACK | PI_ECE, "ACK with ECE after a CE-marked segment");
	send_data(&c, ECT0, 0, "still", 5);
	expect_ack(&c, PI_ACK | PI_ECE, "ECE again: no CWR yet");
	send_data(&c, ECT0, PI_CWR, "reduced", 7);
	expect_ack(&c, PI_ACK, "no ECE once CWR arrived");
	char buf[64];
	long n = DUT_OK(dut_recv(fd, buf, sizeof(buf), 0));
	PI_ASSERT(n == 21 && !memcmp(buf, "congestedstillreduced", 21), "the DUT read %ld bytes", n);
	dut_close(fd);
	pi_tcp_rst(&c);
}

/* RFC 3168 6.1.2: ECE on an ACK reduces the congestion window once and the
 * next new data carries CWR. */
PI_TEST(tcp_ecn_ece_reduces_window_and_sets_cwr)
{
	struct pi_tcp_conn c;
	uint8_t f;
	int fd = ecn_accepted(&c, PI_SYN | PI_ECE | PI_CWR, &f);
	static const char m1[] = "first";
	DUT_OK(dut_send(fd, m1, sizeof(m1), 0));
	int ecn;
	expect_data(&c, m1, sizeof(m1), &ecn, &f);
	struct dut_tcp_info ti0;
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti0));
	struct pi_tcp ece = { .flags = PI_U8(PI_ACK | PI_ECE) };
	pi_tcp_send(&c, &ece, NULL, 0);
	pi_sleep_ms(50);
	struct dut_tcp_info ti;
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti));
	PI_ASSERT(ti.ca_state == 2, "congestion state %d after ECE, want 2 (CWR)", ti.ca_state);
	pi_log("TCP_INFO before/after ECE: cwnd %u/%u ssthresh %u/%u", ti0.snd_cwnd, ti.snd_cwnd,
	       ti0.snd_ssthresh, ti.snd_ssthresh);
	static const char m2[] = "second";
	DUT_OK(dut_send(fd, m2, sizeof(m2), 0));
	expect_data(&c, m2, sizeof(m2), &ecn, &f);
	PI_ASSERT(f & PI_CWR, "new data after ECE has flags %#x, want CWR", f);
	PI_ASSERT(ecn == ECT0, "data has ECN field %d, want ECT(0)", ecn);
	pi_tcp_send(&c, NULL, NULL, 0);
	static const char m3[] = "third";
	DUT_OK(dut_send(fd, m3, sizeof(m3), 0));
	expect_data(&c, m3, sizeof(m3), &ecn, &f);
	PI_ASSERT(!(f & PI_CWR), "CWR is sent once, not on later data (flags %#x)", f);
	dut_close(fd);
	pi_tcp_rst(&c);
}
