/* Helpers shared by the tests. */
#include <arpa/inet.h>
#include <string.h>

#include "common.h"

size_t pi_echo_bytes(int family, uint16_t id, uint16_t seq, const uint8_t *data, size_t len,
		     uint8_t *out, size_t cap)
{
	struct pi_frame f;
	memset(&f, 0, sizeof(f));
	f.l4 = family == AF_INET6 ? PI_L4_ICMP6 : PI_L4_ICMP4;
	f.icmp.type = PI_U8(family == AF_INET6 ? 128 : 8);
	f.icmp.rest = PI_U32(((uint32_t)id << 16) | seq);
	f.payload.has = PI_SET;
	f.payload.p = data;
	f.payload.len = len;
	pi_frame_defaults(&f);
	uint8_t buf[PI_MAX_FRAME];
	int n = pi_frame_build(&f, buf, sizeof(buf));
	size_t hl = 14 + (family == AF_INET6 ? 40 : 20);
	size_t l = 8 + len;
	if (n < 0 || l > cap)
		pi_fail("echo request too large");
	memcpy(out, buf + hl, l);
	return l;
}

void pi_pattern(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

size_t pi_quote(const struct pi_pkt *p, size_t quote, uint8_t *out, size_t cap)
{
	size_t l = p->len > 14 ? p->len - 14 : 0;
	if (p->f.l3 == PI_L3_IPV4 && p->f.ip4.tot_len.v < l)
		l = p->f.ip4.tot_len.v;
	if (l > quote)
		l = quote;
	if (l > cap)
		l = cap;
	memcpy(out, p->bytes + 14, l);
	return l;
}

void pi_send_icmp4_error(uint8_t type, uint8_t code, uint32_t rest, const struct pi_pkt *p)
{
	uint8_t q[576];
	size_t ql = pi_quote(p, 548, q, sizeof(q));
	struct pi_frame e;
	memset(&e, 0, sizeof(e));
	e.l4 = PI_L4_ICMP4;
	e.icmp.type = PI_U8(type);
	e.icmp.code = PI_U8(code);
	e.icmp.rest = PI_U32(rest);
	e.payload.has = PI_SET;
	e.payload.p = q;
	e.payload.len = ql;
	pi_send(&e);
}

int pi_accepted(int family, struct pi_tcp_conn *c, const struct pi_tcp *syn, int *lfd)
{
	uint16_t port = 0;
	int l = dut_tcp_listener(family, &port, 8);
	pi_tcp_conn_init(c, family, 0, port);
	pi_tcp_handshake_client(c, syn);
	int fd = DUT_OK(dut_accept(l, NULL));
	if (lfd)
		*lfd = l;
	else
		dut_close(l);
	return fd;
}

int pi_connected(int family, struct pi_tcp_conn *c, const struct pi_tcp *synack)
{
	int fd = DUT_OK(dut_socket(family, SOCK_STREAM, 0));
	pi_tcp_conn_init(c, family, 0, 0);
	struct sockaddr_storage ss;
	socklen_t l = pi_sockaddr_local(family, c->lport, &ss);
	dut_begin_connect(fd, (struct sockaddr *)&ss, l);
	pi_tcp_handshake_server(c, synack);
	long r = dut_end(5000, NULL, 0);
	PI_ASSERT(r == 0, "DUT connect returned %ld (%s)", r, dut_strerror(dut_errno));
	return fd;
}
