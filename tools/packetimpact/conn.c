/*
 * Connection helpers: a TCP or UDP conversation with the DUT seen from the
 * testbench, tracking ports and the sequence space so that a test writes
 * only what differs from the ordinary segment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pi.h"

#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)

static uint32_t rnd32(void)
{
	static int seeded;
	if (!seeded) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		srandom((unsigned)(ts.tv_nsec ^ (getpid() << 16)));
		seeded = 1;
	}
	return ((uint32_t)random() << 16) ^ (uint32_t)random();
}

static int l3_of(int family)
{
	return family == AF_INET6 ? PI_L3_IPV6 : PI_L3_IPV4;
}

/* ---- TCP ---- */

void pi_tcp_conn_init(struct pi_tcp_conn *c, int family, uint16_t lport, uint16_t rport)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->lport = lport ? lport : (uint16_t)(20000 + rnd32() % 40000);
	c->rport = rport;
	c->iss = c->snd_nxt = rnd32();
	c->win = 32768;
	c->ts_val = rnd32() % 1000000 + 1;
}

void pi_tcp_conn_flow(const struct pi_tcp_conn *c, struct pi_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->l3 = l3_of(c->family);
	f->l4 = PI_L4_TCP;
	if (c->family == AF_INET6) {
		f->ip6.src.has = f->ip6.dst.has = PI_SET;
		memcpy(f->ip6.src.a, pi_env.remote_ip6, 16);
		memcpy(f->ip6.dst.a, pi_env.local_ip6, 16);
	} else {
		f->ip4.src = PI_U32(pi_env.remote_ip4);
		f->ip4.dst = PI_U32(pi_env.local_ip4);
	}
	if (c->rport)
		f->tcp.sport = PI_U16(c->rport);
	f->tcp.dport = PI_U16(c->lport);
}

void pi_tcp_send_ip(struct pi_tcp_conn *c, const struct pi_frame *ipover, const struct pi_tcp *t,
		    const void *data, size_t len)
{
	struct pi_frame f;
	if (ipover)
		f = *ipover;
	else
		memset(&f, 0, sizeof(f));
	f.l3 = l3_of(c->family);
	f.l4 = PI_L4_TCP;
	if (t)
		f.tcp = *t;
	struct pi_tcp *h = &f.tcp;
	if (!h->sport.has)
		h->sport = PI_U16(c->lport);
	if (!h->dport.has)
		h->dport = PI_U16(c->rport);
	if (!h->flags.has)
		h->flags = PI_U8(PI_ACK);
	if (!h->seq.has)
		h->seq = PI_U32(c->snd_nxt);
	if (!h->ack.has)
		h->ack = PI_U32((h->flags.v & PI_ACK) ? c->rcv_nxt : 0);
	if (!h->win.has)
		h->win = PI_U16(c->win);
	if (c->ts_on && h->ts.has == PI_UNSET) {
		h->ts.has = PI_SET;
		h->ts.val = c->ts_val++;
		h->ts.ecr = c->ts_recent;
	}
	if (h->ts.has == PI_ABSENT)
		h->ts.has = PI_UNSET;
	if (len) {
		f.payload.has = PI_SET;
		f.payload.p = data;
		f.payload.len = len;
	}
	pi_send(&f);
	if (!t || !t->seq.has) {
		uint32_t n = (uint32_t)len + !!(h->flags.v & PI_SYN) + !!(h->flags.v & PI_FIN);
		c->snd_nxt += n;
	}
}

void pi_tcp_send(struct pi_tcp_conn *c, const struct pi_tcp *t, const void *data, size_t len)
{
	pi_tcp_send_ip(c, NULL, t, data, len);
}

static void want_of(struct pi_tcp_conn *c, const struct pi_tcp *t, const void *data, size_t len,
		    struct pi_frame *flow, struct pi_frame *want)
{
	pi_tcp_conn_flow(c, flow);
	*want = *flow;
	if (t) {
		struct pi_tcp w = *t;
		if (!w.sport.has)
			w.sport = flow->tcp.sport;
		w.dport = flow->tcp.dport;
		want->tcp = w;
	}
	if (data) {
		want->payload.has = PI_SET;
		want->payload.p = data;
		want->payload.len = len;
	}
}

static void learn(struct pi_tcp_conn *c, const struct pi_pkt *p)
{
	const struct pi_tcp *t = &p->f.tcp;
	if (t->flags.v & PI_RST)
		return;
	if (!c->rport)
		c->rport = t->sport.v;
	uint32_t end = t->seq.v + pi_tcp_seglen(&p->f);
	if (t->flags.v & PI_SYN) {
		c->irs = t->seq.v;
		c->dut_syn = *t;
		if (!c->synced || SEQ_GT(end, c->rcv_nxt))
			c->rcv_nxt = end;
		c->synced = 1;
	} else if (c->synced && SEQ_GT(end, c->rcv_nxt)) {
		c->rcv_nxt = end;
	}
	c->dut_win = t->win.v;
	if (t->ts.has)
		c->ts_recent = t->ts.val;
}

int pi_tcp_expect(struct pi_tcp_conn *c, const struct pi_tcp *t, const void *data, size_t len,
		  int timeout_ms, struct pi_pkt *got)
{
	struct pi_frame flow, want;
	want_of(c, t, data, len, &flow, &want);
	struct pi_pkt *p = got ? got : malloc(sizeof(*p));
	if (!p)
		pi_fail("out of memory");
	int r = pi_expect(&flow, &want, timeout_ms, p);
	if (r == 0)
		learn(c, p);
	if (!got)
		free(p);
	return r;
}

void pi_tcp_expect_ok(struct pi_tcp_conn *c, const struct pi_tcp *t, const void *data,
		      size_t len, int timeout_ms, struct pi_pkt *got, const char *what)
{
	struct pi_frame flow, want;
	want_of(c, t, data, len, &flow, &want);
	struct pi_pkt *p = got ? got : malloc(sizeof(*p));
	if (!p)
		pi_fail("out of memory");
	pi_expect_ok(&flow, &want, timeout_ms, p, what);
	learn(c, p);
	if (!got)
		free(p);
}

void pi_tcp_expect_data(struct pi_tcp_conn *c, const void *data, size_t len, int timeout_ms,
			struct pi_pkt *got)
{
	struct pi_tcp t = { .flags = PI_U8(PI_ACK), .flags_mask = PI_U8(PI_ACK | PI_SYN | PI_FIN | PI_RST),
			    .seq = PI_U32(c->rcv_nxt) };
	char what[64];
	snprintf(what, sizeof(what), "%zu bytes of data at seq %u", len, c->rcv_nxt);
	pi_tcp_expect_ok(c, &t, data, len, timeout_ms, got, what);
}

void pi_tcp_expect_none(struct pi_tcp_conn *c, const struct pi_tcp *t, int timeout_ms,
			const char *what)
{
	struct pi_frame flow, want;
	want_of(c, t, NULL, 0, &flow, &want);
	pi_expect_none(&want, timeout_ms, what);
}

void pi_tcp_drain(struct pi_tcp_conn *c)
{
	struct pi_frame flow;
	pi_tcp_conn_flow(c, &flow);
	pi_drain(&flow);
}

void pi_tcp_handshake_client(struct pi_tcp_conn *c, const struct pi_tcp *syn)
{
	struct pi_tcp s;
	if (syn)
		s = *syn;
	else
		memset(&s, 0, sizeof(s));
	s.flags = PI_U8(PI_SYN);
	if (s.ts.has == PI_SET) {
		c->ts_on = 1;
		c->ts_val = s.ts.val;
		c->ts_recent = 0;
	}
	pi_tcp_send(c, &s, NULL, 0);
	if (c->ts_on)
		c->ts_val = s.ts.val + 1;
	struct pi_tcp want = { .flags = PI_U8(PI_SYN | PI_ACK), .ack = PI_U32(c->iss + 1) };
	struct pi_pkt *p = malloc(sizeof(*p));
	if (!p)
		pi_fail("out of memory");
	pi_tcp_expect_ok(c, &want, NULL, 0, 3000, p, "SYN-ACK to the testbench's SYN");
	if (!p->f.tcp.ts.has)
		c->ts_on = 0;
	free(p);
	pi_tcp_send(c, NULL, NULL, 0);
}

void pi_tcp_accept_syn(struct pi_tcp_conn *c, int timeout_ms)
{
	struct pi_tcp want = { .flags = PI_U8(PI_SYN) };
	struct pi_pkt *p = malloc(sizeof(*p));
	if (!p)
		pi_fail("out of memory");
	pi_tcp_expect_ok(c, &want, NULL, 0, timeout_ms, p, "SYN from the DUT");
	free(p);
}

void pi_tcp_handshake_server(struct pi_tcp_conn *c, const struct pi_tcp *synack)
{
	pi_tcp_accept_syn(c, 5000);
	struct pi_tcp s;
	if (synack)
		s = *synack;
	else
		memset(&s, 0, sizeof(s));
	s.flags = PI_U8(PI_SYN | PI_ACK);
	if (s.ts.has == PI_SET && c->dut_syn.ts.has) {
		c->ts_on = 1;
		c->ts_val = s.ts.val;
		s.ts.ecr = c->ts_recent;
	}
	pi_tcp_send(c, &s, NULL, 0);
	if (c->ts_on)
		c->ts_val = s.ts.val + 1;
	struct pi_tcp want = { .flags = PI_U8(PI_ACK), .ack = PI_U32(c->iss + 1),
			       .seq = PI_U32(c->rcv_nxt) };
	pi_tcp_expect_ok(c, &want, NULL, 0, 3000, NULL, "ACK of the testbench's SYN-ACK");
}

void pi_tcp_rst(struct pi_tcp_conn *c)
{
	struct pi_tcp t = { .flags = PI_U8(PI_RST) };
	pi_tcp_send(c, &t, NULL, 0);
}

/* ---- UDP ---- */

void pi_udp_conn_init(struct pi_udp_conn *c, int family, uint16_t lport, uint16_t rport)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->lport = lport ? lport : (uint16_t)(20000 + rnd32() % 40000);
	c->rport = rport;
}

void pi_udp_conn_flow(const struct pi_udp_conn *c, struct pi_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->l3 = l3_of(c->family);
	f->l4 = PI_L4_UDP;
	if (c->family == AF_INET6) {
		f->ip6.src.has = f->ip6.dst.has = PI_SET;
		memcpy(f->ip6.src.a, pi_env.remote_ip6, 16);
		memcpy(f->ip6.dst.a, pi_env.local_ip6, 16);
	} else {
		f->ip4.src = PI_U32(pi_env.remote_ip4);
		f->ip4.dst = PI_U32(pi_env.local_ip4);
	}
	if (c->rport)
		f->udp.sport = PI_U16(c->rport);
	f->udp.dport = PI_U16(c->lport);
}

void pi_udp_send(struct pi_udp_conn *c, const struct pi_frame *over, const void *data, size_t len)
{
	struct pi_frame f;
	if (over)
		f = *over;
	else
		memset(&f, 0, sizeof(f));
	f.l3 = l3_of(c->family);
	f.l4 = PI_L4_UDP;
	if (!f.udp.sport.has)
		f.udp.sport = PI_U16(c->lport);
	if (!f.udp.dport.has)
		f.udp.dport = PI_U16(c->rport);
	f.payload.has = PI_SET;
	f.payload.p = data;
	f.payload.len = len;
	pi_send(&f);
}

int pi_udp_expect(struct pi_udp_conn *c, const void *data, size_t len, int timeout_ms,
		  struct pi_pkt *got)
{
	struct pi_frame flow, want;
	pi_udp_conn_flow(c, &flow);
	want = flow;
	if (data) {
		want.payload.has = PI_SET;
		want.payload.p = data;
		want.payload.len = len;
	}
	return pi_expect(&flow, &want, timeout_ms, got);
}

void pi_udp_expect_none(struct pi_udp_conn *c, int timeout_ms, const char *what)
{
	struct pi_frame flow;
	pi_udp_conn_flow(c, &flow);
	pi_expect_none(&flow, timeout_ms, what);
}
