/* UDP delivery (RFC 768, RFC 1122 4.1.3) as seen by a DUT socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void check_from(const struct sockaddr_storage *ss, uint32_t ip, uint16_t port)
{
	const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
	PI_ASSERT(s->sin_family == AF_INET && ntohl(s->sin_addr.s_addr) == ip && ntohs(s->sin_port) == port,
		  "recvfrom gave source %s:%u, want the testbench's port %u", inet_ntoa(s->sin_addr),
		  ntohs(s->sin_port), port);
}

/* A socket bound to INADDR_ANY receives datagrams sent to the DUT's
 * unicast address, with the sender's address and port. */
PI_TEST(udp_any_addr_recv_unicast)
{
	uint16_t port = 0;
	int fd = dut_udp_bound(AF_INET, &port, 1);
	struct pi_udp_conn c;
	pi_udp_conn_init(&c, AF_INET, 0, port);
	uint8_t d[100], r[200];
	pi_pattern(d, sizeof(d), 1);
	pi_udp_send(&c, NULL, d, sizeof(d));
	struct sockaddr_storage from;
	DUT_OK(dut_setsockopt_timeval(fd, SO_RCVTIMEO, 2, 0));
	long n = DUT_OK(dut_recvfrom(fd, r, sizeof(r), 0, &from));
	PI_ASSERT(n == (long)sizeof(d) && !memcmp(r, d, sizeof(d)), "received %ld bytes, want %zu", n,
		  sizeof(d));
	check_from(&from, pi_env.local_ip4, c.lport);
}

/* RFC 1122 3.2.1.3: a host must silently discard a datagram whose source
 * address is multicast (Linux: a martian source). */
PI_TEST(udp_multicast_source_dropped)
{
	uint16_t port = 0;
	int fd = dut_udp_bound(AF_INET, &port, 1);
	struct pi_udp_conn c;
	pi_udp_conn_init(&c, AF_INET, 0, port);
	static const char bad[] = "from a multicast source", good[] = "from a unicast source";
	struct pi_frame over = { .ip4 = { .src = PI_IP4(224, 0, 0, 5) } };
	pi_udp_send(&c, &over, bad, sizeof(bad));
	pi_sleep_ms(100);
	pi_udp_send(&c, NULL, good, sizeof(good));
	char r[100];
	struct sockaddr_storage from;
	DUT_OK(dut_setsockopt_timeval(fd, SO_RCVTIMEO, 2, 0));
	long n = DUT_OK(dut_recvfrom(fd, r, sizeof(r), 0, &from));
	PI_ASSERT(n == (long)sizeof(good) && !memcmp(r, good, sizeof(good)),
		  "first datagram received is not the unicast one (%ld bytes)", n);
	check_from(&from, pi_env.local_ip4, c.lport);
	n = dut_recv(fd, r, sizeof(r), MSG_DONTWAIT);
	PI_ASSERT(n < 0 && dut_errno == EAGAIN, "a second datagram was delivered (%ld)", n);
	/* Nor does the DUT answer a multicast source with an ICMP error. */
	struct pi_frame icmp = { .l3 = PI_L3_IPV4, .l4 = PI_L4_ICMP4 };
	pi_expect_none(&icmp, 200, "ICMP error about a datagram from a multicast source");
}

/*
 * The send/receive matrix: a socket bound to the wildcard or to the DUT's
 * unicast address, connected or not, receives what is sent to it (a
 * connected one only from its peer) and sends with the right source.
 */
PI_TEST(udp_send_recv_matrix)
{
	for (int bind_any = 0; bind_any < 2; bind_any++) {
		for (int connected = 0; connected < 2; connected++) {
			uint16_t port = 0;
			int fd = dut_udp_bound(AF_INET, &port, bind_any);
			struct pi_udp_conn c, other;
			pi_udp_conn_init(&c, AF_INET, 0, port);
			pi_udp_conn_init(&other, AF_INET, (uint16_t)(c.lport ^ 1), port);
			struct sockaddr_storage ss, from;
			socklen_t sl = pi_sockaddr_local(AF_INET, c.lport, &ss);
			if (connected)
				DUT_OK(dut_connect(fd, (struct sockaddr *)&ss, sl));
			DUT_OK(dut_setsockopt_timeval(fd, SO_RCVTIMEO, 2, 0));
			pi_log("case: bound to %s, %sconnected", bind_any ? "any" : "unicast",
			       connected ? "" : "not ");
			uint8_t d[64], r[128];
			/* receive: from the peer (and for a connected socket a
			 * datagram from another port first, which it must drop) */
			if (connected) {
				pi_pattern(d, sizeof(d), 77);
				pi_udp_send(&other, NULL, d, 10);
			}
			pi_pattern(d, sizeof(d), (unsigned)(bind_any * 2 + connected));
			pi_udp_send(&c, NULL, d, sizeof(d));
			long n = DUT_OK(dut_recvfrom(fd, r, sizeof(r), 0, &from));
			PI_ASSERT(n == (long)sizeof(d) && !memcmp(r, d, sizeof(d)),
				  "bind %s connected %d: received %ld bytes, not the peer's datagram",
				  bind_any ? "any" : "unicast", connected, n);
			check_from(&from, pi_env.local_ip4, c.lport);
			n = dut_recv(fd, r, sizeof(r), MSG_DONTWAIT);
			PI_ASSERT(n < 0 && dut_errno == EAGAIN, "bind %s connected %d: extra datagram delivered",
				  bind_any ? "any" : "unicast", connected);
			/* send */
			pi_pattern(d, sizeof(d), 100 + (unsigned)connected);
			if (connected)
				DUT_OK(dut_send(fd, d, sizeof(d), 0));
			else
				DUT_OK(dut_sendto(fd, d, sizeof(d), 0, (struct sockaddr *)&ss, sl));
			struct pi_pkt *p = malloc(sizeof(*p));
			PI_ASSERT(pi_udp_expect(&c, d, sizeof(d), 2000, p) == 0,
				  "bind %s connected %d: datagram from the DUT not seen",
				  bind_any ? "any" : "unicast", connected);
			PI_ASSERT(p->f.ip4.src.v == pi_env.remote_ip4 && p->f.udp.sport.v == port,
				  "datagram sent from the wrong address or port %u", p->f.udp.sport.v);
			free(p);
			dut_close(fd);
		}
	}
}
