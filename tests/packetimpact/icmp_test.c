/* ICMP behaviours: echo, and ICMP errors delivered to UDP and TCP sockets. */
#include <errno.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* RFC 792: an echo request is answered with an echo reply carrying the same
 * identifier, sequence number and data. */
PI_TEST(icmp_echo)
{
	uint8_t data[56];
	pi_pattern(data, sizeof(data), 5);
	struct pi_frame req = { .l4 = PI_L4_ICMP4, .icmp = { .type = PI_U8(8), .rest = PI_U32(0x12340001) },
				.payload = { PI_SET, data, sizeof(data) } };
	pi_send(&req);
	struct pi_frame want = { .l3 = PI_L3_IPV4, .l4 = PI_L4_ICMP4,
				 .ip4 = { .src = PI_U32(pi_env.remote_ip4), .dst = PI_U32(pi_env.local_ip4) },
				 .icmp = { .type = PI_U8(0), .code = PI_U8(0), .rest = PI_U32(0x12340001) },
				 .payload = { PI_SET, data, sizeof(data) } };
	pi_expect_ok(NULL, &want, 2000, NULL, "echo reply");
}

/* A connected UDP socket that sent a datagram: the DUT sends it, and the
 * testbench answers with ICMP port unreachable quoting it. */
static int udp_refused_setup(struct pi_udp_conn *c, int begin_recv)
{
	uint16_t port = 0;
	int fd = dut_udp_bound(AF_INET, &port, 0);
	pi_udp_conn_init(c, AF_INET, 0, port);
	struct sockaddr_storage ss;
	socklen_t sl = pi_sockaddr_local(AF_INET, c->lport, &ss);
	DUT_OK(dut_connect(fd, (struct sockaddr *)&ss, sl));
	static const char msg[] = "anyone there?";
	DUT_OK(dut_send(fd, msg, sizeof(msg), 0));
	struct pi_pkt *p = malloc(sizeof(*p));
	PI_ASSERT(pi_udp_expect(c, msg, sizeof(msg), 2000, p) == 0, "DUT's datagram not seen");
	if (begin_recv) {
		dut_begin_recv(fd, 100, 0);
		/* Give the DUT time to block in recv before the error comes. */
		pi_sleep_ms(200);
	}
	pi_send_icmp4_error(3, 3, 0, p); /* destination unreachable: port */
	free(p);
	return fd;
}

/* RFC 1122 4.1.3.3: UDP must pass ICMP errors up; on Linux a connected
 * socket reports port unreachable as ECONNREFUSED (POLLERR first). */
PI_TEST(icmp_udp_connected_port_unreachable)
{
	struct pi_udp_conn c;
	int fd = udp_refused_setup(&c, 0);
	short rev = 0;
	int r = DUT_OK(dut_poll(fd, POLLIN, 2000, &rev));
	PI_ASSERT(r == 1 && (rev & POLLERR), "poll after the ICMP error: %d, revents 0x%x (want POLLERR)",
		  r, rev);
	char buf[100];
	long n = dut_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	PI_ASSERT(n == -1 && dut_errno == ECONNREFUSED, "recv returned %ld (%s), want ECONNREFUSED", n,
		  dut_strerror(dut_errno));
	/* The error is reported once. */
	n = dut_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	PI_ASSERT(n == -1 && dut_errno == EAGAIN, "second recv returned %ld (%s), want EAGAIN", n,
		  dut_strerror(dut_errno));
}

/* The same error wakes a recv that is already blocked. */
PI_TEST(icmp_udp_port_unreachable_while_blocked_in_recv)
{
	struct pi_udp_conn c;
	udp_refused_setup(&c, 1);
	long n = dut_end(3000, NULL, 0);
	PI_ASSERT(n != DUT_TIMEDOUT, "recv still blocked 3 s after the ICMP error");
	PI_ASSERT(n == -1 && dut_errno == ECONNREFUSED, "blocked recv returned %ld (%s), want ECONNREFUSED",
		  n, dut_strerror(dut_errno));
}

/* RFC 1122 4.2.3.9 leaves it open; Linux (tcp_v4_err) fails a connect in
 * SYN-SENT on ICMP destination unreachable: connect returns EHOSTUNREACH
 * and the connection is gone (no SYN retransmission, a late SYN-ACK is
 * answered with RST). */
PI_TEST(icmp_tcp_connect_unreachable)
{
	int fd = DUT_OK(dut_socket(AF_INET, SOCK_STREAM, 0));
	struct pi_tcp_conn c;
	pi_tcp_conn_init(&c, AF_INET, 0, 0);
	struct sockaddr_storage ss;
	socklen_t sl = pi_sockaddr_local(AF_INET, c.lport, &ss);
	dut_begin_connect(fd, (struct sockaddr *)&ss, sl);
	struct pi_pkt *p = malloc(sizeof(*p));
	struct pi_tcp syn = { .flags = PI_U8(PI_SYN) };
	pi_tcp_expect_ok(&c, &syn, NULL, 0, 3000, p, "SYN from the DUT");
	pi_send_icmp4_error(3, 1, 0, p); /* host unreachable */
	long r = dut_end(3000, NULL, 0);
	PI_ASSERT(r != DUT_TIMEDOUT, "connect still blocked 3 s after the ICMP error");
	PI_ASSERT(r == -1 && dut_errno == EHOSTUNREACH, "connect returned %ld (%s), want EHOSTUNREACH", r,
		  dut_strerror(dut_errno));
	pi_tcp_expect_none(&c, &syn, 1500, "SYN retransmission after the connect failed");
	/* The connection is gone: a SYN-ACK now is answered with RST. */
	struct pi_tcp sa = { .flags = PI_U8(PI_SYN | PI_ACK), .seq = PI_U32(c.iss), .ack = PI_U32(c.irs + 1) };
	pi_tcp_send(&c, &sa, NULL, 0);
	struct pi_tcp rst = { .flags = PI_U8(PI_RST), .flags_mask = PI_U8(PI_RST), .seq = PI_U32(c.irs + 1) };
	pi_tcp_expect_ok(&c, &rst, NULL, 0, 2000, NULL, "RST for a SYN-ACK to the failed connection");
	free(p);
}

/* RFC 1122 4.2.3.9: destination unreachable codes 0, 1 and 5 (net, host,
 * source route failed) are soft errors: an established connection must not
 * be aborted. Linux records it (SO_ERROR reports it once) and goes on. */
PI_TEST(icmp_tcp_established_unreachable)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	static const char m1[] = "first", m2[] = "second";
	DUT_OK(dut_send(fd, m1, sizeof(m1), 0));
	struct pi_pkt *p = malloc(sizeof(*p));
	pi_tcp_expect_data(&c, m1, sizeof(m1), 2000, p);
	pi_send_icmp4_error(3, 1, 0, p); /* host unreachable, quoting unacked data */
	pi_sleep_ms(100);
	int err = -1;
	DUT_OK(dut_getsockopt_int(fd, SOL_SOCKET, SO_ERROR, &err));
	PI_ASSERT(err == EHOSTUNREACH, "SO_ERROR after the ICMP error is %s, want EHOSTUNREACH (soft)",
		  dut_strerror(err));
	struct dut_tcp_info ti;
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti));
	int st = ti.state;
	PI_ASSERT(st == TCP_ESTABLISHED, "connection state %d after a soft error, want ESTABLISHED", st);
	/* Still working: the testbench acknowledges, the DUT sends more. */
	pi_tcp_send(&c, NULL, NULL, 0);
	DUT_OK(dut_send(fd, m2, sizeof(m2), 0));
	pi_tcp_expect_data(&c, m2, sizeof(m2), 2000, NULL);
	pi_tcp_send(&c, NULL, NULL, 0);
	static const char m3[] = "third";
	pi_tcp_send(&c, NULL, m3, sizeof(m3));
	char buf[32];
	DUT_OK(dut_setsockopt_timeval(fd, SO_RCVTIMEO, 2, 0));
	long n = DUT_OK(dut_recv(fd, buf, sizeof(buf), 0));
	PI_ASSERT(n == (long)sizeof(m3) && !memcmp(buf, m3, sizeof(m3)), "recv after the soft error got %ld bytes", n);
	free(p);
}
