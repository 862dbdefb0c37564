/* TCP test helpers (see tcp_helpers.h). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_helpers.h"

/* ---- the capture queue ---- */

#define QMAX 512
static struct t_in q[QMAX];
static unsigned q_head, q_len;

void t_begin(void)
{
	fx_drain();
	q_head = q_len = 0;
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
}

static uint16_t peer_ip_id;

struct pkt *t_frame(const struct t_out *o)
{
	static uint8_t buf[65536];
	uint8_t opt[60];
	uint32_t n = 0;
	if (o->mss) {
		opt[n++] = TCPOPT_MSS;
		opt[n++] = 4;
		ns_wr16(opt + n, o->mss);
		n += 2;
	}
	if (o->sack_perm && o->ts_on) {
		opt[n++] = TCPOPT_SACK_PERM;
		opt[n++] = 2;
	} else if (o->ts_on) {
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_NOP;
	} else if (o->sack_perm) {
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_SACK_PERM;
		opt[n++] = 2;
	}
	if (o->ts_on) {
		opt[n++] = TCPOPT_TS;
		opt[n++] = 10;
		ns_wr32(opt + n, o->tsval);
		ns_wr32(opt + n + 4, o->tsecr);
		n += 8;
	}
	if (o->ws_on) {
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_WS;
		opt[n++] = 3;
		opt[n++] = o->ws;
	}
	if (o->nsack) {
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_SACK;
		opt[n++] = (uint8_t)(2 + 8 * o->nsack);
		for (int i = 0; i < o->nsack; i++) {
			ns_wr32(opt + n, o->sack[i][0]);
			ns_wr32(opt + n + 4, o->sack[i][1]);
			n += 8;
		}
	}
	if (o->raw_len) {
		memcpy(opt + n, o->raw_opts, o->raw_len);
		n += o->raw_len;
	}
	while (n % 4)
		opt[n++] = TCPOPT_EOL;
	ck_assert_msg(n <= 40, "too many TCP options (%u bytes)", n);
	uint32_t hlen = TCP_HDR_LEN + n;
	ck_assert(hlen + o->len <= sizeof(buf));
	uint8_t *h = buf;
	uint32_t src = o->src ? o->src : B_IP_PEER, dst = o->dst ? o->dst : B_IP_STACK;
	ns_wr16(h, o->sport);
	ns_wr16(h + 2, o->dport);
	ns_wr32(h + 4, o->seq);
	ns_wr32(h + 8, o->ack);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = o->flags;
	ns_wr16(h + 14, o->win);
	ns_wr16(h + 16, 0);
	ns_wr16(h + 18, o->urp);
	memcpy(h + TCP_HDR_LEN, opt, n);
	if (o->len)
		memcpy(h + hlen, o->data, o->len);
	uint32_t sum = ns_csum_pseudo4(src, dst, IPPROTO_TCP_, hlen + o->len);
	uint16_t c = ns_csum_fold(ns_csum_add(sum, h, hlen + o->len));
	ns_wr16(h + 16, o->bad_csum ? (uint16_t)(c ^ 0x1234) : c);
	struct b_ip4 ip = { .src = src, .dst = dst, .proto = IPPROTO_TCP_, .id = ++peer_ip_id, .df = 1 };
	return b_ip4(&ip, buf, hlen + o->len);
}

void t_inject(const struct t_out *o)
{
	fx_inject(t_frame(o));
}

static void parse_opts(struct t_in *s, const uint8_t *o, uint32_t len)
{
	uint32_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len) {
			s->bad_opts = 1;
			return;
		}
		uint8_t olen = o[i + 1];
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case TCPOPT_MSS:
			s->mss_ok = olen == 4;
			s->mss = ns_rd16(v);
			break;
		case TCPOPT_WS:
			s->ws_ok = olen == 3;
			s->ws = v[0];
			break;
		case TCPOPT_SACK_PERM:
			s->sack_perm = olen == 2;
			break;
		case TCPOPT_TS:
			s->ts_ok = olen == 10;
			s->tsval = ns_rd32(v);
			s->tsecr = ns_rd32(v + 4);
			break;
		case TCPOPT_SACK:
			s->nsack = 0;
			for (uint32_t b = 0; b + 8 <= (uint32_t)olen - 2 && s->nsack < 4; b += 8) {
				s->sack[s->nsack][0] = ns_rd32(v + b);
				s->sack[s->nsack][1] = ns_rd32(v + b + 4);
				s->nsack++;
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

static void parse_tcp(const struct b_frame *f, struct t_in *s)
{
	memset(s, 0, offsetof(struct t_in, data));
	s->t = F.wheel.now;
	s->src = f->ip.src;
	s->dst = f->ip.dst;
	s->ttl = f->ip.ttl;
	s->df = f->ip.df;
	const uint8_t *h = f->l4;
	ck_assert_msg(f->l4_len >= TCP_HDR_LEN, "the stack sent a short TCP header");
	uint32_t doff = (uint32_t)(h[12] >> 4) * 4;
	ck_assert_msg(doff >= TCP_HDR_LEN && doff <= f->l4_len, "the stack sent a bad data offset");
	s->sport = ns_rd16(h);
	s->dport = ns_rd16(h + 2);
	s->seq = ns_rd32(h + 4);
	s->ack = ns_rd32(h + 8);
	s->flags = h[13];
	s->win = ns_rd16(h + 14);
	s->urp = ns_rd16(h + 18);
	uint32_t sum = ns_csum_pseudo4(f->ip.src, f->ip.dst, IPPROTO_TCP_, f->l4_len);
	s->csum_ok = ns_csum_fold(ns_csum_add(sum, h, f->l4_len)) == 0;
	s->optlen = (uint8_t)(doff - TCP_HDR_LEN);
	memcpy(s->opts, h + TCP_HDR_LEN, s->optlen);
	parse_opts(s, h + TCP_HDR_LEN, s->optlen);
	s->len = f->l4_len - doff;
	memcpy(s->data, h + doff, NS_MIN(s->len, (uint32_t)sizeof(s->data)));
}

/* Move what the stack sent into the queue, answering ARP for the peer. */
static void collect(void)
{
	/* The event loop runs before the peer sees anything: ACKs owed by
	 * socket calls (window updates) are flushed. */
	fx_poll();
	for (;;) {
		int arp = 0;
		struct pkt *p;
		while ((p = ns_channel_take(F.ch))) {
			struct b_frame f;
			ck_assert_msg(b_parse(p, &f) == 0, "the stack sent a malformed frame");
			if (f.is_arp) {
				arp |= f.arp.op == ARP_OP_REQUEST && f.arp.tpa == B_IP_PEER;
				pkt_unref(p);
				continue;
			}
			ck_assert_msg(f.is_ip && f.ip.proto == IPPROTO_TCP_,
				      "the stack sent a non-TCP frame (type %#x proto %u)", f.type,
				      f.ip.proto);
			ck_assert_msg(q_len < QMAX, "more than %d segments waiting: take them", QMAX);
			parse_tcp(&f, &q[(q_head + q_len) % QMAX]);
			q_len++;
			pkt_unref(p);
		}
		if (!arp)
			return;
		fx_inject(b_arp(B_MAC_STACK, ARP_OP_REPLY, B_MAC_PEER, B_IP_PEER, B_MAC_STACK,
				B_IP_STACK));
	}
}

int t_take(struct t_in *s)
{
	collect();
	if (!q_len)
		return 0;
	*s = q[q_head];
	q_head = (q_head + 1) % QMAX;
	q_len--;
	return 1;
}

int t_pending(void)
{
	collect();
	return (int)q_len;
}

int t_drain(void)
{
	collect();
	int n = (int)q_len;
	q_head = q_len = 0;
	return n;
}

/* One step of the event loop towards `end`; 0 when end is reached. */
static int step(ns_time_t end)
{
	ns_time_t next = ns_wheel_next(&F.wheel);
	if (next > end) {
		ns_wheel_advance(&F.wheel, end);
		fx_poll();
		collect();
		return 0;
	}
	ck_assert_msg(next > F.wheel.now || F.wheel.due, "timer deadline does not advance");
	ns_wheel_advance(&F.wheel, next);
	fx_poll();
	collect();
	return 1;
}

int t_run(ns_time_t dt)
{
	ns_time_t end = F.wheel.now + dt;
	collect();
	while (step(end))
		;
	return (int)q_len;
}

int t_run_until(ns_time_t dt, struct t_in *s)
{
	ns_time_t end = F.wheel.now + dt;
	collect();
	while (!q_len && step(end))
		;
	return t_take(s);
}

/* ---- connections ---- */

#define PEER_ISS 0x10000000u
#define PEER_TSVAL 5000000u

void t_note(struct t_conn *c, const struct t_in *s)
{
	uint32_t end = s->seq + s->len + ((s->flags & TH_SYN) ? 1 : 0) + ((s->flags & TH_FIN) ? 1 : 0);
	if (SEQ_LEQ(s->seq, c->rcv_nxt) && SEQ_GT(end, c->rcv_nxt))
		c->rcv_nxt = end;
	if (s->ts_ok && !(s->flags & TH_RST))
		c->ts_recent = s->tsval;
}

void t_connect(struct t_conn *c, const struct t_open *o)
{
	t_begin();
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &c->s), 0);
	if (o->cc)
		ck_assert_int_eq(ns_setsockopt(c->s, IPPROTO_TCP, TCP_CONGESTION, o->cc,
					       (socklen_t)strlen(o->cc)), 0);
	if (o->nodelay)
		ck_assert_int_eq(t_seti(c->s, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	c->peer_port = o->port ? o->port : 80;
	struct sockaddr_in a = fx_sin(B_IP_PEER, c->peer_port);
	ck_assert_int_eq(ns_connect(c->s, (struct sockaddr *)&a, sizeof(a)), -EINPROGRESS);
	T_EXPECT(&c->syn);
	ck_assert_int_eq(c->syn.flags, TH_SYN);
	c->port = c->syn.sport;
	c->stack_iss = c->syn.seq;
	c->stack_mss = c->syn.mss;
	if (o->rtt) {
		t_run(o->rtt);
		ck_assert_int_eq(t_pending(), 0);
	}
	c->peer_iss = o->iss ? o->iss : PEER_ISS;
	c->win = o->win ? o->win : 65535;
	c->ws_ok = o->ws_on && c->syn.ws_ok;
	c->peer_ws = c->ws_ok ? NS_MIN(o->ws, (uint8_t)14) : 0;
	c->stack_ws = c->ws_ok ? c->syn.ws : 0;
	c->ts = o->ts && c->syn.ts_ok;
	c->sack = o->sack && c->syn.sack_perm;
	c->tsval = PEER_TSVAL;
	c->ts_recent = c->syn.tsval;
	T_INJECT(.sport = c->peer_port, .dport = c->port, .seq = c->peer_iss, .ack = c->stack_iss + 1,
		 .flags = TH_SYN | TH_ACK, .win = c->win, .mss = o->no_mss ? 0 : (o->mss ? o->mss : 1460),
		 .ws_on = o->ws_on, .ws = o->ws, .sack_perm = o->sack, .ts_on = o->ts,
		 .tsval = c->tsval++, .tsecr = c->syn.tsval);
	c->snd_nxt = c->peer_iss + 1;
	c->rcv_nxt = c->stack_iss + 1;
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_msg(ack.flags == TH_ACK && ack.seq == c->stack_iss + 1 && ack.ack == c->snd_nxt,
		      "handshake: expected the final ACK, got flags %#x", ack.flags);
	t_note(c, &ack);
	ck_assert_int_eq(t_state(c->s), LS_ESTABLISHED);
}

void t_accept(struct t_conn *c, const struct t_open *o)
{
	struct ns_socket *ls = o->ls;
	t_begin();
	memset(c, 0, sizeof(*c));
	c->port = o->port ? o->port : 8080;
	c->peer_port = o->peer_port ? o->peer_port : 40000;
	if (!ls) {
		ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
		if (o->cc)
			ck_assert_int_eq(ns_setsockopt(ls, IPPROTO_TCP, TCP_CONGESTION, o->cc,
						       (socklen_t)strlen(o->cc)), 0);
		if (o->nodelay)
			ck_assert_int_eq(t_seti(ls, IPPROTO_TCP, TCP_NODELAY, 1), 0);
		struct sockaddr_in a = fx_sin(0, c->port);
		ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
		ck_assert_int_eq(ns_listen(ls, 16), 0);
	}
	c->ls = ls;
	c->peer_iss = o->iss ? o->iss : PEER_ISS;
	c->win = o->win ? o->win : 65535;
	c->tsval = PEER_TSVAL;
	T_INJECT(.sport = c->peer_port, .dport = c->port, .seq = c->peer_iss, .flags = TH_SYN,
		 .win = c->win, .mss = o->no_mss ? 0 : (o->mss ? o->mss : 1460), .ws_on = o->ws_on,
		 .ws = o->ws, .sack_perm = o->sack, .ts_on = o->ts, .tsval = c->tsval++);
	T_EXPECT(&c->syn);
	ck_assert_int_eq(c->syn.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(c->syn.ack, c->peer_iss + 1);
	c->stack_iss = c->syn.seq;
	c->stack_mss = c->syn.mss;
	c->ws_ok = o->ws_on && c->syn.ws_ok;
	c->peer_ws = c->ws_ok ? NS_MIN(o->ws, (uint8_t)14) : 0;
	c->stack_ws = c->ws_ok ? c->syn.ws : 0;
	c->ts = o->ts && c->syn.ts_ok;
	c->sack = o->sack && c->syn.sack_perm;
	c->ts_recent = c->syn.tsval;
	c->snd_nxt = c->peer_iss + 1;
	c->rcv_nxt = c->stack_iss + 1;
	if (o->rtt) {
		t_run(o->rtt);
		ck_assert_int_eq(t_pending(), 0);
	}
	struct t_out a = t_out_for(c);
	t_inject(&a);
	c->tsval++;
	ck_assert_int_eq(ns_accept(ls, &c->s, NULL, NULL), 0);
	ck_assert_int_eq(t_state(c->s), LS_ESTABLISHED);
}

struct t_out t_out_for(struct t_conn *c)
{
	struct t_out o;
	memset(&o, 0, sizeof(o));
	o.sport = c->peer_port;
	o.dport = c->port;
	o.seq = c->snd_nxt;
	o.ack = c->rcv_nxt;
	o.flags = TH_ACK;
	o.win = c->win;
	o.ts_on = c->ts;
	o.tsval = c->tsval;
	o.tsecr = c->ts_recent;
	return o;
}

void t_send_flags(struct t_conn *c, uint8_t flags, const void *data, uint32_t len)
{
	struct t_out o = t_out_for(c);
	o.flags = flags | TH_ACK;
	o.data = data;
	o.len = len;
	t_inject(&o);
	c->snd_nxt += len + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
	c->tsval++;
}

void t_ack_upto(struct t_conn *c, uint32_t ack)
{
	struct t_out o = t_out_for(c);
	o.ack = ack;
	t_inject(&o);
	c->tsval++;
}

void t_ack_all(struct t_conn *c)
{
	t_ack_upto(c, c->rcv_nxt);
}

void t_close(struct t_conn *c)
{
	if (c->s)
		ns_close(c->s);
	if (c->ls)
		ns_close(c->ls);
	c->s = c->ls = NULL;
}

/* ---- socket side ---- */

struct tcp_info t_info(struct ns_socket *s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

int t_state(struct ns_socket *s)
{
	return t_info(s).tcpi_state;
}

int t_conn_state(const struct t_conn *c)
{
	struct ns_ip l = ns_ip4(B_IP_STACK), r = ns_ip4(B_IP_PEER);
	struct tcp_sock *tp = tcp_ehash_lookup(F.st, &l, c->port, &r, c->peer_port);
	return tp ? tcp_state_linux(tp->state) : LS_CLOSE;
}

int t_seti(struct ns_socket *s, int level, int name, int val)
{
	return ns_setsockopt(s, level, name, &val, sizeof(val));
}

int t_geti(struct ns_socket *s, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(s, level, name, &v, &len), 0);
	return v;
}

ssize_t t_write(struct ns_socket *s, size_t n, unsigned seed)
{
	static uint8_t buf[1 << 20];
	ck_assert(n <= sizeof(buf));
	for (size_t i = 0; i < n; i++)
		buf[i] = t_pat(seed, (uint32_t)i);
	return ns_send(s, buf, n, 0);
}

ssize_t t_read(struct ns_socket *s, void *buf, size_t cap)
{
	size_t got = 0;
	for (;;) {
		ssize_t r = ns_recv(s, (uint8_t *)buf + got, cap - got, 0);
		if (r < 0)
			return got ? (ssize_t)got : r;
		if (r == 0)
			return (ssize_t)got;
		got += (size_t)r;
		if (got == cap)
			return (ssize_t)got;
	}
}

struct tcp_sock *t_tp(struct ns_socket *s)
{
	return tcp_sk(s);
}
