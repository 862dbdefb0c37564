/* TCP's PSH flag and the ACKs around reads: what Linux puts on the wire
 * for writes, MSG_MORE, TCP_CORK and small reads. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"

/* The next data segment at rcv_nxt, `len` bytes of `d`, acknowledged at
 * once (an unacknowledged flight would end in a retransmission timeout
 * and a window of one segment): returns its PSH. */
static int data_psh(struct pi_tcp_conn *c, const uint8_t *d, size_t len)
{
	struct pi_pkt *p = malloc(sizeof(*p));
	pi_tcp_expect_data(c, d, len, 2000, p);
	int psh = (p->f.tcp.flags.v & PI_PSH) != 0;
	free(p);
	pi_tcp_send(c, NULL, NULL, 0);
	return psh;
}

/* An accepted connection whose peer (the testbench) offered MSS 500. */
static int accepted_mss500(struct pi_tcp_conn *c)
{
	struct pi_tcp syn = { .mss = PI_U16(500) };
	int fd = pi_accepted(AF_INET, c, &syn, NULL);
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1));
	return fd;
}

/* Linux marks PSH on the last segment of each write, never on its first
 * when it is cut into several (the segments between may carry PSH or not:
 * Linux's segments of one write are cut at different times, and which
 * keeps the mark depends on when the ACKs come). */
PI_TEST(tcp_psh_on_the_last_segment_of_each_write)
{
	struct pi_tcp_conn c;
	int fd = accepted_mss500(&c);
	uint8_t d[1200];
	pi_pattern(d, sizeof(d), 3);
	DUT_OK(dut_send(fd, d, sizeof(d), 0));
	PI_ASSERT(!data_psh(&c, d, 500), "PSH on the first of three segments of one write");
	data_psh(&c, d + 500, 500);
	PI_ASSERT(data_psh(&c, d + 1000, 200), "no PSH on the last segment of a write");
	DUT_OK(dut_send(fd, d, 100, 0));
	PI_ASSERT(data_psh(&c, d, 100), "no PSH on a one-segment write");
}

/* MSG_MORE: the write's segments carry no PSH, the full one goes out at
 * once and the tail waits for the ACK of what is in flight (Linux corks a
 * MSG_MORE write only while data is unacknowledged); the next write ends
 * with PSH. */
PI_TEST(tcp_msg_more_sends_no_psh)
{
	struct pi_tcp_conn c;
	int fd = accepted_mss500(&c);
	uint8_t d[700];
	pi_pattern(d, sizeof(d), 4);
	DUT_OK(dut_send(fd, d, 600, MSG_MORE));
	PI_ASSERT(!data_psh(&c, d, 500), "PSH on a full segment of a MSG_MORE write");
	PI_ASSERT(!data_psh(&c, d + 500, 100), "PSH on the tail of a MSG_MORE write");
	DUT_OK(dut_send(fd, d + 600, 50, 0));
	PI_ASSERT(data_psh(&c, d + 600, 50), "no PSH at the end of the write after MSG_MORE");
}

/* TCP_CORK: the full segment goes out without PSH; the partial one that
 * follows (when uncorked, or at the cork's 200 ms ceiling) ends the write
 * and carries PSH. */
PI_TEST(tcp_cork_segments_and_psh)
{
	struct pi_tcp_conn c;
	int fd = accepted_mss500(&c);
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_CORK, 1));
	uint8_t d[600];
	pi_pattern(d, sizeof(d), 5);
	DUT_OK(dut_send(fd, d, 600, 0));
	PI_ASSERT(!data_psh(&c, d, 500), "PSH on a full segment sent while corked");
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_CORK, 0));
	PI_ASSERT(data_psh(&c, d + 500, 100), "no PSH on the segment that ends a corked write");
}

/* A small read changes no window edge worth announcing: Linux sends no
 * segment after it (a window update waits until the window can grow by
 * at least an MSS and doubles, tcp_cleanup_rbuf). */
PI_TEST(tcp_no_ack_after_a_small_read)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	uint8_t d[100];
	pi_pattern(d, sizeof(d), 6);
	pi_tcp_send(&c, NULL, d, sizeof(d));
	struct pi_tcp ack = { .flags = PI_U8(PI_ACK), .flags_mask = PI_U8(PI_ACK | PI_SYN | PI_FIN | PI_RST),
			      .ack = PI_U32(c.snd_nxt) };
	pi_tcp_expect_ok(&c, &ack, NULL, 0, 2000, NULL, "the (delayed) ACK of 100 bytes");
	uint8_t b[200];
	long n = DUT_OK(dut_recv(fd, b, sizeof(b), 0));
	PI_ASSERT(n == (long)sizeof(d), "read %ld bytes of 100", n);
	pi_tcp_expect_none(&c, NULL, 500, "a segment after a read that opened no window worth announcing");
}
