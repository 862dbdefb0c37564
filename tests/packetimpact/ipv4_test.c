/*
 * IPv4 reassembly (RFC 791 3.2, RFC 815) as the DUT does it, seen through
 * ICMP echo: the DUT answers a fragmented echo request only when it
 * reassembled the whole datagram, and the reply carries the data it got.
 * Linux keeps the first copy of duplicated or contained fragments and
 * discards a datagram with partly overlapping fragments (as RFC 5722 asks
 * for IPv6).
 */
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define ECHO_DATA 1000
#define ECHO_ID 0x5150

struct frag {
	size_t off, len;
	int more;
};

static void send_frag4(uint16_t ipid, const uint8_t *dgram, const struct frag *f)
{
	struct pi_frame fr = { .l3 = PI_L3_IPV4, .l4 = PI_L4_OTHER,
			       .ip4 = { .proto = PI_U8(IPPROTO_ICMP), .id = PI_U16(ipid),
					.flags = PI_U8(f->more ? PI_IP_MF : 0),
					.frag_off = PI_U16(f->off) },
			       .payload = { PI_SET, dgram + f->off, f->len } };
	pi_send(&fr);
}

static void expect_echo_reply(uint16_t seq, const uint8_t *data, size_t len, int timeout_ms)
{
	struct pi_frame want = { .l3 = PI_L3_IPV4, .l4 = PI_L4_ICMP4,
				 .ip4 = { .src = PI_U32(pi_env.remote_ip4) },
				 .icmp = { .type = PI_U8(0), .code = PI_U8(0),
					   .rest = PI_U32((ECHO_ID << 16) | seq) },
				 .payload = { PI_SET, data, len } };
	pi_expect_ok(NULL, &want, timeout_ms, NULL, "echo reply with the reassembled data");
}

/* Send the fragments of one echo request (1008 bytes of ICMP) and expect
 * the reply (or, with expect_reply 0, none within a second). */
static void reassembly_case(const struct frag *frags, int n, int expect_reply)
{
	uint8_t data[ECHO_DATA], dgram[ECHO_DATA + 8];
	uint16_t seq = 1;
	pi_pattern(data, sizeof(data), 3);
	size_t dl = pi_echo_bytes(AF_INET, ECHO_ID, seq, data, sizeof(data), dgram, sizeof(dgram));
	PI_ASSERT(dl == sizeof(dgram), "bad echo size");
	for (int i = 0; i < n; i++)
		send_frag4(0x1234, dgram, &frags[i]);
	if (expect_reply) {
		expect_echo_reply(seq, data, sizeof(data), 2000);
		return;
	}
	struct pi_frame any_reply = { .l3 = PI_L3_IPV4, .l4 = PI_L4_ICMP4,
				      .icmp = { .type = PI_U8(0), .rest = PI_U32((ECHO_ID << 16) | seq) } };
	pi_expect_none(&any_reply, 1000, "echo reply to a datagram that must be discarded");
	/* The DUT is alive and answers an unfragmented request. */
	uint8_t small[32];
	pi_pattern(small, sizeof(small), 9);
	size_t sl = pi_echo_bytes(AF_INET, ECHO_ID, 2, small, sizeof(small), dgram, sizeof(dgram));
	struct frag whole = { 0, sl, 0 };
	send_frag4(0x1235, dgram, &whole);
	expect_echo_reply(2, small, sizeof(small), 2000);
}

PI_TEST(ipv4_reassembly_basic)
{
	struct frag f[] = { { 0, 400, 1 }, { 400, 400, 1 }, { 800, 208, 0 } };
	reassembly_case(f, 3, 1);
}

PI_TEST(ipv4_reassembly_out_of_order)
{
	struct frag f[] = { { 800, 208, 0 }, { 0, 400, 1 }, { 400, 400, 1 } };
	reassembly_case(f, 3, 1);
}

PI_TEST(ipv4_reassembly_duplicate)
{
	struct frag f[] = { { 0, 400, 1 }, { 0, 400, 1 }, { 400, 400, 1 }, { 400, 400, 1 },
			    { 800, 208, 0 } };
	reassembly_case(f, 5, 1);
}

/* A fragment wholly inside data already received is a duplicate. */
PI_TEST(ipv4_reassembly_subset)
{
	struct frag f[] = { { 0, 800, 1 }, { 200, 400, 1 }, { 800, 208, 0 } };
	reassembly_case(f, 3, 1);
}

/* A fragment that overlaps received data only partly discards the datagram. */
PI_TEST(ipv4_reassembly_overlap)
{
	struct frag f[] = { { 0, 400, 1 }, { 256, 400, 1 }, { 656, 352, 0 } };
	reassembly_case(f, 3, 0);
}

/*
 * RFC 6864 4.1: a datagram that may be fragmented (DF clear) needs an IP ID
 * unique within the source/destination/protocol for its lifetime; a TCP
 * retransmission is a new datagram, so it gets a new ID.
 */
PI_TEST(ipv4_retransmit_df_clear_new_id)
{
	struct pi_tcp_conn c;
	int fd = DUT_OK(dut_socket(AF_INET, SOCK_STREAM, 0));
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT));
	pi_tcp_conn_init(&c, AF_INET, 0, 0);
	struct sockaddr_storage ss;
	socklen_t l = pi_sockaddr_local(AF_INET, c.lport, &ss);
	dut_begin_connect(fd, (struct sockaddr *)&ss, l);
	pi_tcp_handshake_server(&c, NULL);
	PI_ASSERT(dut_end(5000, NULL, 0) == 0, "connect failed: %s", dut_strerror(dut_errno));
	static const char msg[] = "retransmit me";
	DUT_OK(dut_send(fd, msg, sizeof(msg), 0));
	struct pi_pkt *p = malloc(sizeof(*p));
	uint32_t seq = c.rcv_nxt;
	struct pi_tcp want = { .seq = PI_U32(seq), .flags = PI_U8(PI_ACK),
			       .flags_mask = PI_U8(PI_ACK | PI_SYN | PI_FIN | PI_RST) };
	uint16_t ids[3];
	for (int i = 0; i < 3; i++) {
		pi_tcp_expect_ok(&c, &want, msg, sizeof(msg), 5000, p,
				 i ? "retransmission of the data" : "the data");
		PI_ASSERT(!(p->f.ip4.flags.v & PI_IP_DF), "DF set despite IP_PMTUDISC_DONT");
		ids[i] = p->f.ip4.id.v;
		for (int j = 0; j < i; j++)
			PI_ASSERT(ids[j] != ids[i], "transmission %d reused IP ID %u of transmission %d",
				  i, ids[i], j);
	}
	free(p);
	pi_tcp_rst(&c);
}
