/*
 * tcp_sockopts: socket options that change when a TCP socket is readable or
 * writable, and what a read reports, as Linux: TCP_NOTSENT_LOWAT (writable
 * while the unsent bytes are below half the mark; tcp_notsent_lowat),
 * SO_RCVLOWAT (readable from that many bytes; tcp_set_rcvlowat's caps),
 * TCP_INQ (TCP_CM_INQ after every read), recv(MSG_TRUNC) (the bytes are
 * dropped, not copied), TCP_CC_INFO, and the MSS of a loopback connection
 * (at most half the peer's largest window, tcp_bound_to_half_wnd).
 */
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "tcp_helpers.h"

struct wakes {
	int n;
	uint32_t last;
};

static void count_wake(struct ns_socket *s, uint32_t events, void *ctx)
{
	(void)s;
	struct wakes *w = ctx;
	w->n++;
	w->last = events;
}

static int unsent(struct ns_socket *s)
{
	int v = -1;
	ck_assert_int_eq(ns_socket_ioctl(s, SIOCOUTQNSD, &v), 0);
	return v;
}

/* Linux tcp_poll() / tcp_stream_memory_free(): writable only while twice
 * the unsent bytes stay below the mark; a write takes data while they are
 * below it; the socket's 0 means the stack's setting. */
START_TEST(notsent_lowat_decides_when_the_socket_is_writable)
{
	struct t_conn c;
	T_CONNECT(&c, .win = 2000, .nodelay = 1);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT), 0);
	ck_assert_int_eq(t_write(c.s, 8000, 1), 8000);
	ck_assert_int_eq(unsent(c.s), 6000); /* the window took 2000 */
	ck_assert(ns_socket_poll(c.s) & POLLOUT);

	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 4000), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT), 4000);
	ck_assert(!(ns_socket_poll(c.s) & POLLOUT));
	ck_assert_int_eq(t_write(c.s, 100, 2), -EAGAIN);

	/* 6000 unsent: below 10000, but twice it is not. */
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 10000), 0);
	ck_assert(!(ns_socket_poll(c.s) & POLLOUT));
	ck_assert_int_eq(t_write(c.s, 100, 2), 100);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 20000), 0);
	ck_assert(ns_socket_poll(c.s) & POLLOUT);

	/* 0: the stack's tcp_notsent_lowat (no mark by default). */
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 0), 0);
	ck_assert(ns_socket_poll(c.s) & POLLOUT);
	ck_assert_int_eq(ns_sysctl_write(F.st, "ipv4/tcp_notsent_lowat", "4000", 4), 4);
	ck_assert(!(ns_socket_poll(c.s) & POLLOUT));
	char buf[32];
	int n = ns_sysctl_read(F.st, "ipv4/tcp_notsent_lowat", buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(strncmp(buf, "4000", 4), 0);

	/* The peer opens its window: what waited goes out, and the writer
	 * is woken with POLLOUT. */
	struct wakes w = { 0, 0 };
	ns_socket_set_wake(c.s, count_wake, &w);
	struct t_in d;
	while (t_take(&d))
		t_note(&c, &d);
	c.win = 20000;
	t_ack_all(&c);
	ck_assert_int_eq(unsent(c.s), 0);
	ck_assert_int_gt(w.n, 0);
	ck_assert(w.last & POLLOUT);
	ck_assert(ns_socket_poll(c.s) & POLLOUT);
	ns_socket_set_wake(c.s, NULL, NULL);
	t_close(&c);
}
END_TEST

/* Linux tcp_epollin_ready(): readable from SO_RCVLOWAT bytes on; the data
 * that reaches the mark wakes the reader. */
START_TEST(rcvlowat_decides_when_the_socket_is_readable)
{
	struct t_conn c;
	T_CONNECT(&c);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_RCVLOWAT), 1);
	ck_assert_int_eq(t_seti(c.s, SOL_SOCKET, SO_RCVLOWAT, 100), 0);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_RCVLOWAT), 100);
	struct wakes w = { 0, 0 };
	ns_socket_set_wake(c.s, count_wake, &w);
	uint8_t data[100];
	memset(data, 'a', sizeof(data));
	t_send(&c, data, 60);
	ck_assert(!(ns_socket_poll(c.s) & POLLIN));
	ck_assert(!(w.last & POLLIN));
	int inq = 0;
	ck_assert_int_eq(ns_socket_ioctl(c.s, SIOCINQ, &inq), 0);
	ck_assert_int_eq(inq, 60);
	t_send(&c, data, 40);
	ck_assert(ns_socket_poll(c.s) & POLLIN);
	ck_assert(w.last & POLLIN);
	ns_socket_set_wake(c.s, NULL, NULL);
	/* A read without waiting takes what is there. */
	uint8_t b[100];
	ck_assert_int_eq(ns_recv(c.s, b, 30, 0), 30);
	ck_assert(!(ns_socket_poll(c.s) & POLLIN));
	/* The end of the stream is readable whatever the mark. */
	t_send_flags(&c, TH_ACK | TH_FIN, NULL, 0);
	ck_assert(ns_socket_poll(c.s) & POLLIN);
	t_close(&c);
}
END_TEST

/* Linux sock_setsockopt / tcp_set_rcvlowat: 0 reads back as 1, a negative
 * value is INT_MAX; TCP caps it at half tcp_rmem[2], or half the buffer
 * once SO_RCVBUF fixed it, and grows an unfixed buffer to twice it. */
START_TEST(rcvlowat_values_are_capped_and_grow_the_buffer)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(t_seti(s, SOL_SOCKET, SO_RCVLOWAT, 0), 0);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_RCVLOWAT), 1);
	int rmem_max = F.st->tcp->rmem_max;
	ck_assert_int_eq(t_seti(s, SOL_SOCKET, SO_RCVLOWAT, -1), 0);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_RCVLOWAT), rmem_max / 2);
	ck_assert_int_ge(t_geti(s, SOL_SOCKET, SO_RCVBUF), rmem_max / 2 * 2);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, "ab", 2), -EINVAL);
	ns_close(s);

	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(t_seti(s, SOL_SOCKET, SO_RCVBUF, 4096), 0);
	ck_assert_int_eq(t_seti(s, SOL_SOCKET, SO_RCVLOWAT, 100000), 0);
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_RCVLOWAT), 4096); /* half of 8192 */
	ck_assert_int_eq(t_geti(s, SOL_SOCKET, SO_RCVBUF), 8192);
	ns_close(s);
}
END_TEST

static ssize_t recv_inq(struct ns_socket *s, size_t len, int *inq, int *ctrunc)
{
	uint8_t b[64];
	char cbuf[64] __attribute__((aligned(8)));
	struct iovec iov = { b, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	ssize_t r = ns_recvmsg(s, &m, 0);
	*inq = -1;
	*ctrunc = !!(m.msg_flags & MSG_CTRUNC);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == IPPROTO_TCP && cm->cmsg_type == TCP_CM_INQ)
			memcpy(inq, CMSG_DATA(cm), sizeof(*inq));
	return r;
}

/* Linux TCP_INQ: 0 or 1; each read reports the bytes still queued, and 1
 * at the end of the stream; no room for it sets MSG_CTRUNC. */
START_TEST(tcp_inq_reports_the_bytes_left_after_each_read)
{
	struct t_conn c;
	T_CONNECT(&c);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_INQ), 0);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_INQ, 2), -EINVAL);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_INQ, -1), -EINVAL);
	int inq, ctrunc;
	t_send(&c, "hello", 5);
	ck_assert_int_eq(recv_inq(c.s, 2, &inq, &ctrunc), 2);
	ck_assert_int_eq(inq, -1); /* not asked for */
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_INQ, 1), 0);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_INQ), 1);
	ck_assert_int_eq(recv_inq(c.s, 1, &inq, &ctrunc), 1);
	ck_assert_int_eq(inq, 2);
	ck_assert(!ctrunc);

	uint8_t b[8];
	struct iovec iov = { b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ck_assert_int_eq(ns_recvmsg(c.s, &m, 0), 1);
	ck_assert(m.msg_flags & MSG_CTRUNC);
	ck_assert_uint_eq(m.msg_controllen, 0);

	t_send(&c, "xyz", 3);
	t_send_flags(&c, TH_ACK | TH_FIN, NULL, 0);
	ck_assert_int_eq(recv_inq(c.s, 2, &inq, &ctrunc), 2); /* "ox" */
	ck_assert_int_eq(inq, 3); /* two bytes and the FIN */
	ck_assert_int_eq(recv_inq(c.s, 8, &inq, &ctrunc), 2);
	ck_assert_int_eq(inq, 1); /* read on: the end is there */
	ck_assert_int_eq(recv_inq(c.s, 8, &inq, &ctrunc), 0);
	ck_assert_int_eq(inq, 1);
	t_close(&c);
}
END_TEST

/* Linux tcp_recvmsg(): MSG_TRUNC drops the bytes without copying them. */
START_TEST(msg_trunc_discards_stream_bytes)
{
	struct t_conn c;
	T_CONNECT(&c);
	t_send(&c, "abcdef", 6);
	char b[8];
	memset(b, 'z', sizeof(b));
	ck_assert_int_eq(ns_recv(c.s, b, 3, MSG_TRUNC), 3);
	ck_assert_int_eq(memcmp(b, "zzz", 3), 0);
	ck_assert_int_eq(ns_recv(c.s, b, sizeof(b), 0), 3);
	ck_assert_int_eq(memcmp(b, "def", 3), 0);
	t_close(&c);
}
END_TEST

/* Reno and cubic have no TCP_CC_INFO of their own: 0 bytes (Linux). */
START_TEST(tcp_cc_info_of_cubic_and_reno_is_empty)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	char info[64];
	socklen_t len = sizeof(info);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_TCP, TCP_CC_INFO, info, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	len = sizeof(info);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_TCP, TCP_CC_INFO, info, &len), 0);
	ck_assert_uint_eq(len, 0);
	ns_close(s);
}
END_TEST

/* Loopback (MTU 65536): each side announces 65495; the SYN-ACK offers
 * 65483 bytes (whole segments), so the client's MSS is half of it, 32741,
 * as Linux's TCP_MAXSEG shows; it grows when the peer's window does. */
START_TEST(loopback_mss_is_half_the_peers_first_window)
{
	t_begin();
	struct ns_socket *ls, *c, *a;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in sa = fx_sin(0x7f000001, 5000);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ns_listen(ls, 4), 0);
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &c), 0);
	ck_assert_int_eq(ns_connect(c, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS);
	for (int i = 0; i < 4; i++)
		fx_poll(); /* SYN, SYN-ACK, ACK: each a turn of the loopback */
	ck_assert_int_eq(ns_accept(ls, &a, NULL, NULL), 0);
	ck_assert_int_eq(t_geti(c, IPPROTO_TCP, TCP_MAXSEG), 32741);
	ck_assert_uint_eq(t_tp(c)->snd_max_wnd, 65483);
	ck_assert_uint_eq(t_tp(a)->peer_mss, 65495);
	ck_assert_uint_eq(t_tp(c)->peer_mss, 65495);
	/* The server reads and its window grows past 65483: whole 65483-byte
	 * segments then. */
	static uint8_t big[1 << 20];
	size_t sent = 0, got = 0;
	for (int i = 0; i < 200 && got < sizeof(big); i++) {
		ssize_t w = ns_send(c, big + sent, sizeof(big) - sent, 0);
		if (w > 0)
			sent += (size_t)w;
		fx_poll();
		ssize_t r;
		while ((r = ns_recv(a, big, sizeof(big), 0)) > 0)
			got += (size_t)r;
		fx_advance(NS_MSEC);
	}
	ck_assert_uint_eq(got, sizeof(big));
	ck_assert_int_eq(t_geti(c, IPPROTO_TCP, TCP_MAXSEG), 65483);
	ns_close(a);
	ns_close(c);
	ns_close(ls);
	fx_poll();
}
END_TEST

/* Linux tcp_sndbuf_expand() at the start of a connection: twice ten
 * segments, each charged as a power-of-two skb head holding the larger of
 * the MSS and its clamp plus 640 bytes, and 256 for the sk_buff. */
START_TEST(send_buffer_of_a_new_connection_is_linux_per_segment_charge)
{
	struct t_conn c;
	/* The peer's MSS option (4096) is above the path's (1460). */
	T_ACCEPT(&c, .mss = 4096);
	ck_assert_int_eq(t_geti(c.s, IPPROTO_TCP, TCP_MAXSEG), 1460);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_SNDBUF), 2 * 10 * (8192 + 256));
	t_close(&c);
	/* TCP_MAXSEG below it is the clamp: 1000 + 640 in 2048. */
	t_begin();
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	ck_assert_int_eq(t_seti(ls, IPPROTO_TCP, TCP_MAXSEG, 1000), 0);
	struct sockaddr_in a = fx_sin(0, 8081);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 4), 0);
	T_ACCEPT(&c, .ls = ls, .port = 8081);
	ck_assert_int_eq(t_geti(c.s, SOL_SOCKET, SO_SNDBUF), 2 * 10 * (2048 + 256));
	t_close(&c);
}
END_TEST

/* Linux: TCP_MAXSEG shows the value set while the socket is closed, else
 * the MSS last worked out (the SYN's: the value less the timestamp
 * option); a disconnect clears the value. A refused connect gives back a
 * port bind() did not name; listen() after the disconnect fails but
 * takes a port, which stays. */
START_TEST(maxseg_and_port_around_a_refused_connect)
{
	t_begin();
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_MAXSEG), 536);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_MAXSEG, 600), 0);
	struct sockaddr_in to = fx_sin(0x7f000001, 9); /* nobody listens */
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), -EINPROGRESS);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_MAXSEG), 588);
	for (int i = 0; i < 4; i++)
		fx_poll(); /* SYN, RST */
	ck_assert_int_eq(t_tp(s)->state, TCPS_CLOSED);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_MAXSEG), 600);
	ck_assert_uint_eq(t_tp(s)->lport, 0);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	ck_assert_int_eq(ns_connect(s, &un, sizeof(un)), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_MAXSEG), 588);
	ck_assert_int_eq(ns_listen(s, 1), -EINVAL);
	uint16_t port = t_tp(s)->lport;
	ck_assert_uint_ne(port, 0);
	struct sockaddr_in any = fx_sin(0, 0);
	ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&any, sizeof(any)), -EINVAL);
	ns_close(s);

	/* IPv6 assumes 1220 until the SYN-ACK says otherwise. */
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_STREAM, 0, &s), 0);
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons(9),
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to6, sizeof(to6)), -EINPROGRESS);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_MAXSEG), 1208);
	ns_close(s);
	fx_poll();
}
END_TEST

/* RFC 3168 6.1.1 / Linux: TCP owns the ECN bits of IP_TOS and
 * IPV6_TCLASS; a datagram socket keeps what it is given. */
START_TEST(tos_of_a_stream_socket_keeps_the_ecn_bits_out)
{
	t_begin();
	struct ns_socket *s, *u;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET6, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, 0, &u), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_IP, IP_TOS, 255), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_IP, IP_TOS), 252);
	ck_assert_int_eq(t_seti(s, IPPROTO_IPV6, IPV6_TCLASS, 7), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_IPV6, IPV6_TCLASS), 4);
	ck_assert_int_eq(t_seti(u, IPPROTO_IP, IP_TOS, 255), 0);
	ck_assert_int_eq(t_geti(u, IPPROTO_IP, IP_TOS), 255);
	/* Bound to an IPv6 address, the socket is IPv6-only (Linux). */
	ck_assert_int_eq(t_geti(s, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&lo, sizeof(lo)), 0);
	ck_assert_int_eq(t_geti(s, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	ns_close(s);
	ns_close(u);
}
END_TEST

/* One report of the error queue: its payload length (or -errno) and its
 * extended error. */
static int errq_report(struct ns_socket *s, struct sock_extended_err *ee)
{
	union {
		char b[256];
		struct cmsghdr align;
	} ctl;
	char data[256];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	int n = (int)ns_recvmsg(s, &m, MSG_ERRQUEUE);
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR)
			memcpy(ee, CMSG_DATA(c), sizeof(*ee));
	return n;
}

/* SO_TIMESTAMPING on TCP (Linux tcp_tx_timestamp, tcp_ack_tstamp): OPT_ID
 * needs a connection; a send is stamped where its last byte is: SND as
 * the segment that carries it leaves, ACK once the peer acknowledges it
 * (quoting that segment's payload), the id the byte's place from snd_una
 * at the time OPT_ID was set. */
START_TEST(so_timestamping_stamps_a_sends_last_byte_as_sent_and_acknowledged)
{
	struct ns_socket *u;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &u), 0);
	uint32_t f = NS_SOF_TX_SOFTWARE | NS_SOF_TX_ACK | NS_SOF_SOFTWARE | NS_SOF_OPT_ID;
	ck_assert_int_eq(ns_setsockopt(u, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof(f)), -EINVAL);
	ns_close(u);
	struct t_conn c;
	T_ACCEPT(&c);
	ck_assert_int_eq(ns_send(c.s, "0123", 4, 0), 4);
	struct t_in a;
	T_EXPECT(&a);
	t_note(&c, &a);
	t_ack_all(&c);
	ck_assert_int_eq(ns_setsockopt(c.s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof(f)), 0);
	ck_assert_int_eq(ns_send(c.s, "abcde", 5, 0), 5);
	T_EXPECT(&a);
	t_note(&c, &a);
	ck_assert_uint_eq(a.len, 5);
	struct sock_extended_err ee;
	ck_assert_int_eq(errq_report(c.s, &ee), 14 + 20 + 20 + 5);
	ck_assert_uint_eq(ee.ee_origin, SO_EE_ORIGIN_TIMESTAMPING);
	ck_assert_uint_eq(ee.ee_info, SCM_TSTAMP_SND);
	ck_assert_uint_eq(ee.ee_data, 4);
	ck_assert_int_eq(errq_report(c.s, &ee), -EAGAIN);
	t_ack_upto(&c, c.rcv_nxt - 1); /* (not yet the last byte) */
	ck_assert_int_eq(errq_report(c.s, &ee), -EAGAIN);
	t_ack_all(&c);
	ck_assert_int_eq(errq_report(c.s, &ee), 5);
	ck_assert_uint_eq(ee.ee_errno, ENOMSG);
	ck_assert_uint_eq(ee.ee_info, SCM_TSTAMP_ACK);
	ck_assert_uint_eq(ee.ee_data, 4);
	ck_assert_int_eq(errq_report(c.s, &ee), -EAGAIN);
	t_close(&c);
}
END_TEST

/* tcp_repair.c: a connection taken out of one socket and put into another
 * (CRIU): no segment at the close of the repair socket nor at the repair
 * connect; the sequences carry over; the restored receive queue is
 * readable, the send queue counts as sent; leaving repair sends one window
 * probe (an ACK at snd_una - 1), and the timer retransmits the queue. */
START_TEST(repair_moves_a_connection_without_a_segment)
{
	struct t_conn c;
	T_CONNECT(&c, .nodelay = 1);
	uint8_t in[100];
	memset(in, 'p', sizeof(in));
	t_send(&c, in, sizeof(in));
	ck_assert_int_eq(t_write(c.s, 1000, 3), 1000);
	t_drain();
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	ck_assert_int_eq(ns_getsockname(c.s, (struct sockaddr *)&me, &ml), 0);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE), -EPERM);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_REPAIR, 1), 0);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE), 0);
	uint32_t wseq = (uint32_t)t_geti(c.s, IPPROTO_TCP, TCP_QUEUE_SEQ);
	ck_assert_uint_eq(wseq, c.stack_iss + 1 + 1000);
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_QUEUE_SEQ, 5), -EPERM); /* (established) */
	ck_assert_int_eq(t_seti(c.s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE), 0);
	uint32_t rseq = (uint32_t)t_geti(c.s, IPPROTO_TCP, TCP_QUEUE_SEQ);
	ck_assert_uint_eq(rseq, c.snd_nxt);
	ns_close(c.s);
	T_EXPECT_NONE();
	t_run(3 * NS_SEC);
	T_EXPECT_NONE();

	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &s), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_REPAIR, 1), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)(wseq - 1000)), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)(rseq - 100)), 0);
	ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&me, sizeof(me)), 0);
	struct sockaddr_in peer = fx_sin(B_IP_PEER, c.peer_port);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&peer, sizeof(peer)), 0);
	T_EXPECT_NONE();
	ck_assert_int_eq(t_state(s), LS_ESTABLISHED);
	/* TCP_TIMESTAMP: the clock reads the value set, then runs, in
	 * microseconds for an odd one (its reads odd), else milliseconds */
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_TIMESTAMP, 1001), 0);
	t_run(NS_MSEC);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_TIMESTAMP), 2001);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_TIMESTAMP, 1000), 0);
	t_run(2 * NS_MSEC);
	ck_assert_int_eq(t_geti(s, IPPROTO_TCP, TCP_TIMESTAMP), 1002);
	ck_assert_int_eq(t_write(s, 100, 1), 100);
	ck_assert_int_eq((uint32_t)t_geti(s, IPPROTO_TCP, TCP_QUEUE_SEQ), rseq);
	int v = -1;
	ck_assert_int_eq(ns_socket_ioctl(s, SIOCINQ, &v), 0);
	ck_assert_int_eq(v, 100);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE), 0);
	ck_assert_int_eq(t_write(s, 1000, 3), 1000);
	T_EXPECT_NONE();
	ck_assert_int_eq((uint32_t)t_geti(s, IPPROTO_TCP, TCP_QUEUE_SEQ), wseq);
	ck_assert_int_eq(ns_socket_ioctl(s, SIOCOUTQ, &v), 0);
	ck_assert_int_eq(v, 1000);
	ck_assert_int_eq(unsent(s), 0);
	ck_assert_int_eq(t_seti(s, IPPROTO_TCP, TCP_REPAIR, 0), 0);
	struct t_in p;
	T_EXPECT(&p);
	ck_assert_int_eq(p.flags, TH_ACK);
	ck_assert_uint_eq(p.seq, wseq - 1000 - 1);
	ck_assert_uint_eq(p.ack, rseq);
	ck_assert_uint_eq(p.len, 0);
	ck_assert(t_run_until(2 * NS_SEC, &p));
	ck_assert_uint_eq(p.seq, wseq - 1000);
	ck_assert_uint_gt(p.len, 0);
	ck_assert_uint_eq(p.ack, rseq);
	ns_close(s);
}
END_TEST

Suite *tcp_sockopts_suite(void)
{
	Suite *s = unit_suite("tcp_sockopts");
	ADD_FX(s, notsent_lowat_decides_when_the_socket_is_writable);
	ADD_FX(s, rcvlowat_decides_when_the_socket_is_readable);
	ADD_FX(s, rcvlowat_values_are_capped_and_grow_the_buffer);
	ADD_FX(s, tcp_inq_reports_the_bytes_left_after_each_read);
	ADD_FX(s, msg_trunc_discards_stream_bytes);
	ADD_FX(s, tcp_cc_info_of_cubic_and_reno_is_empty);
	ADD_FX(s, loopback_mss_is_half_the_peers_first_window);
	ADD_FX(s, send_buffer_of_a_new_connection_is_linux_per_segment_charge);
	ADD_FX(s, maxseg_and_port_around_a_refused_connect);
	ADD_FX(s, tos_of_a_stream_socket_keeps_the_ecn_bits_out);
	ADD_FX(s, so_timestamping_stamps_a_sends_last_byte_as_sent_and_acknowledged);
	ADD_FX(s, repair_moves_a_connection_without_a_segment);
	return s;
}
