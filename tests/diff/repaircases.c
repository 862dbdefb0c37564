/*
 * tcp(7)'s repair mode as a checkpoint/restore tool (CRIU) uses it:
 * TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ, TCP_REPAIR_OPTIONS,
 * TCP_REPAIR_WINDOW and TCP_TIMESTAMP at their boundaries (capability,
 * values, lengths, bad pointers, states), what bind, connect, shutdown,
 * a disconnect and close do in repair mode, then a live connection over
 * 127.0.0.1 (and again over ::1) with data in flight both ways taken out
 * of one socket and put into a new one: the queues, sequences, options, window and timestamp
 * read out, the old socket closed (nothing reaches the peer), a new one
 * bound to the same address and connected without a handshake, and the
 * data of both directions checked byte by byte, before and after, and the
 * close. Sequence numbers and timestamps are random: only their
 * differences are printed.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>

#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#define TCP_REPAIR_QUEUE 20
#define TCP_QUEUE_SEQ 21
#define TCP_REPAIR_OPTIONS 22
#endif
#ifndef TCP_TIMESTAMP
#define TCP_TIMESTAMP 24
#endif
#ifndef TCP_REPAIR_WINDOW
#define TCP_REPAIR_WINDOW 29
#endif
#define R_NO_QUEUE 0
#define R_RECV_QUEUE 1
#define R_SEND_QUEUE 2

struct ropt {
	uint32_t code, val;
};
struct rwin {
	uint32_t snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup;
};

/* The bytes of each direction: a pattern by offset, so that any byte out
 * of place shows. */
static unsigned char pat(int dir, long off)
{
	return (unsigned char)(dir * 101 + off * 7 + off / 253);
}

static void fill(unsigned char *b, int dir, long off, long n)
{
	for (long i = 0; i < n; i++)
		b[i] = pat(dir, off + i);
}

/* Bytes of dir from offset off that differ from the pattern (-1: none). */
static long bad_at(const unsigned char *b, int dir, long off, long n)
{
	for (long i = 0; i < n; i++)
		if (b[i] != pat(dir, off + i))
			return off + i;
	return -1;
}

static int get_seq(int fd, int q, uint32_t *out)
{
	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q));
	socklen_t l = sizeof(*out);
	return getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, out, &l);
}

static void getwin(const char *step, int fd)
{
	struct rwin w;
	memset(&w, 0, sizeof(w));
	socklen_t l = sizeof(w);
	errno = 0;
	int r = getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &l);
	V(step, "ret=%d errno=%s len=%u", r, errname(r < 0 ? errno : 0), (unsigned)l);
}

static int wait_in(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms);
}

/* ---- the options at their boundaries ---- */

static void no_admin_child(void)
{
	R("drop CAP_NET_ADMIN", drop_cap(CAP_NET_ADMIN));
	int s = socket(AF_INET, SOCK_STREAM, 0);
	set_int("TCP_REPAIR 1 without CAP_NET_ADMIN", s, IPPROTO_TCP, TCP_REPAIR, 1);
	set_int("TCP_REPAIR 0 without CAP_NET_ADMIN", s, IPPROTO_TCP, TCP_REPAIR, 0);
	set_int("TCP_REPAIR 5 without CAP_NET_ADMIN", s, IPPROTO_TCP, TCP_REPAIR, 5);
	get_int("TCP_REPAIR get without CAP_NET_ADMIN", s, IPPROTO_TCP, TCP_REPAIR);
	close(s);
}

static void outside_repair(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	get_int("TCP_REPAIR default", s, IPPROTO_TCP, TCP_REPAIR);
	get_int("TCP_REPAIR_QUEUE outside repair", s, IPPROTO_TCP, TCP_REPAIR_QUEUE);
	set_int("TCP_REPAIR_QUEUE set outside repair", s, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_SEND_QUEUE);
	get_int("TCP_QUEUE_SEQ outside repair", s, IPPROTO_TCP, TCP_QUEUE_SEQ);
	set_int("TCP_QUEUE_SEQ set outside repair", s, IPPROTO_TCP, TCP_QUEUE_SEQ, 1000);
	struct ropt o = { TCPOPT_MAXSEG, 1000 };
	TRY("TCP_REPAIR_OPTIONS outside repair", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &o, sizeof(o)));
	socklen_t ol = sizeof(o);
	TRY("TCP_REPAIR_OPTIONS get", getsockopt(s, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &o, &ol));
	getwin("TCP_REPAIR_WINDOW get outside repair", s);
	struct rwin w = { 0, 0, 0, 0, 0 };
	TRY("TCP_REPAIR_WINDOW set outside repair", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)));
	uint32_t ts = 0;
	socklen_t tl = sizeof(ts);
	TRY("TCP_TIMESTAMP get outside repair", getsockopt(s, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &tl));
	V("TCP_TIMESTAMP get length", "%u", (unsigned)tl);
	set_int("TCP_TIMESTAMP set outside repair", s, IPPROTO_TCP, TCP_TIMESTAMP, 5);
	close(s);
}

static void repair_values(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	static const int vals[] = { 2, -2, 1, -1, 0, 256, 1 };
	char step[64];
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		snprintf(step, sizeof(step), "TCP_REPAIR set %d", vals[i]);
		set_int(step, s, IPPROTO_TCP, TCP_REPAIR, vals[i]);
		snprintf(step, sizeof(step), "TCP_REPAIR after %d", vals[i]);
		get_int(step, s, IPPROTO_TCP, TCP_REPAIR);
	}
	short sh = 1;
	TRY("TCP_REPAIR two bytes", setsockopt(s, IPPROTO_TCP, TCP_REPAIR, &sh, sizeof(sh)));
	TRY("TCP_REPAIR bad pointer", setsockopt(s, IPPROTO_TCP, TCP_REPAIR, (void *)8, 4));
	char big[8] = { 1 };
	TRY("TCP_REPAIR eight bytes", setsockopt(s, IPPROTO_TCP, TCP_REPAIR, big, sizeof(big)));
	char b1 = 0;
	socklen_t l1 = 1;
	errno = 0;
	int r = getsockopt(s, IPPROTO_TCP, TCP_REPAIR, &b1, &l1);
	V("TCP_REPAIR get into one byte", "ret=%d errno=%s val=%d len=%u", r, errname(r < 0 ? errno : 0), b1, (unsigned)l1);
	/* the queue selector */
	get_int("TCP_REPAIR_QUEUE default", s, IPPROTO_TCP, TCP_REPAIR_QUEUE);
	static const int qs[] = { 1, 2, 0, 3, -1, 2 };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		snprintf(step, sizeof(step), "TCP_REPAIR_QUEUE set %d", qs[i]);
		set_int(step, s, IPPROTO_TCP, TCP_REPAIR_QUEUE, qs[i]);
		snprintf(step, sizeof(step), "TCP_REPAIR_QUEUE after %d", qs[i]);
		get_int(step, s, IPPROTO_TCP, TCP_REPAIR_QUEUE);
	}
	/* sequences of a closed socket */
	set_int("TCP_QUEUE_SEQ send 1000", s, IPPROTO_TCP, TCP_QUEUE_SEQ, 1000);
	get_int("TCP_QUEUE_SEQ send", s, IPPROTO_TCP, TCP_QUEUE_SEQ);
	set_int("TCP_REPAIR_QUEUE recv", s, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_RECV_QUEUE);
	set_int("TCP_QUEUE_SEQ recv 7000", s, IPPROTO_TCP, TCP_QUEUE_SEQ, 7000);
	get_int("TCP_QUEUE_SEQ recv", s, IPPROTO_TCP, TCP_QUEUE_SEQ);
	set_int("TCP_QUEUE_SEQ recv -5", s, IPPROTO_TCP, TCP_QUEUE_SEQ, -5);
	get_int("TCP_QUEUE_SEQ recv after -5", s, IPPROTO_TCP, TCP_QUEUE_SEQ);
	TRY("TCP_QUEUE_SEQ two bytes", setsockopt(s, IPPROTO_TCP, TCP_QUEUE_SEQ, &sh, sizeof(sh)));
	set_int("TCP_REPAIR_QUEUE none", s, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_NO_QUEUE);
	set_int("TCP_QUEUE_SEQ no queue", s, IPPROTO_TCP, TCP_QUEUE_SEQ, 1);
	get_int("TCP_QUEUE_SEQ get no queue", s, IPPROTO_TCP, TCP_QUEUE_SEQ);
	/* options, window, timestamp of a closed socket */
	struct ropt o[2] = { { TCPOPT_MAXSEG, 1000 }, { TCPOPT_WINDOW, 2 } };
	TRY("TCP_REPAIR_OPTIONS closed", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_OPTIONS, o, sizeof(o)));
	TRY("TCP_REPAIR_OPTIONS closed, two bytes", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_OPTIONS, o, 2));
	getwin("TCP_REPAIR_WINDOW get closed", s);
	struct rwin w;
	socklen_t wl = sizeof(w) - 1;
	TRY("TCP_REPAIR_WINDOW get short", getsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &wl));
	wl = sizeof(w) + 4;
	TRY("TCP_REPAIR_WINDOW get long", getsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &wl));
	wl = sizeof(w);
	TRY("TCP_REPAIR_WINDOW get bad pointer", getsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, (void *)8, &wl));
	memset(&w, 0, sizeof(w));
	TRY("TCP_REPAIR_WINDOW set closed", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)));
	TRY("TCP_REPAIR_WINDOW set short", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w) - 4));
	TRY("TCP_REPAIR_WINDOW set bad pointer", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_WINDOW, (void *)8, sizeof(w)));
	set_int("TCP_TIMESTAMP set closed", s, IPPROTO_TCP, TCP_TIMESTAMP, 5000);
	uint32_t ts = 0;
	socklen_t tl = sizeof(ts);
	getsockopt(s, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &tl);
	V("TCP_TIMESTAMP after setting 5000", "within 2 s %s", ts - 5000u < 2000u ? "yes" : "no");
	/* an odd value: a microsecond clock, its reads odd */
	set_int("TCP_TIMESTAMP set 5001", s, IPPROTO_TCP, TCP_TIMESTAMP, 5001);
	getsockopt(s, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &tl);
	V("TCP_TIMESTAMP after setting 5001", "odd %s, within 2 s of microseconds %s", ts & 1 ? "yes" : "no",
	  ts - 5001u < 2000000u ? "yes" : "no");
	set_int("TCP_TIMESTAMP set 5000 again", s, IPPROTO_TCP, TCP_TIMESTAMP, 5000);
	getsockopt(s, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &tl);
	V("TCP_TIMESTAMP after 5000 again", "odd %s, within 2 s %s", ts & 1 ? "yes" : "no", ts - 5000u < 2000u ? "yes" : "no");
	/* data calls on a closed socket in repair mode */
	char c = 'x';
	set_int("TCP_REPAIR_QUEUE send again", s, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_SEND_QUEUE);
	TRY("send closed", send(s, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	TRY("peek closed", recv(s, &c, 1, MSG_DONTWAIT | MSG_PEEK));
	/* a listener */
	set_int("TCP_REPAIR off", s, IPPROTO_TCP, TCP_REPAIR, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(s, (struct sockaddr *)&a, sizeof(a));
	listen(s, 1);
	set_int("TCP_REPAIR listener", s, IPPROTO_TCP, TCP_REPAIR, 1);
	set_int("TCP_REPAIR off, listener", s, IPPROTO_TCP, TCP_REPAIR, 0);
	get_int("TCP_REPAIR listener get", s, IPPROTO_TCP, TCP_REPAIR);
	close(s);
	/* a repair socket that listens */
	s = socket(AF_INET, SOCK_STREAM, 0);
	set_int("TCP_REPAIR 1 then listen", s, IPPROTO_TCP, TCP_REPAIR, 1);
	TRY("bind", bind(s, (struct sockaddr *)&a, sizeof(a)));
	TRY("listen in repair mode", listen(s, 1));
	close(s);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	set_int("udp TCP_REPAIR", u, IPPROTO_TCP, TCP_REPAIR, 1);
	close(u);
}

/* ---- a connection moved from one socket to another ---- */

struct snap {
	uint32_t snd_seq, rcv_seq; /* TCP_QUEUE_SEQ: write_seq, rcv_nxt */
	int outq, inq;
	unsigned char *sq, *rq;
	struct rwin w;
	uint32_t ts;
	int mss;
	struct tcp_info ti;
};


/* Reads what fd has of dir, from offset *off, up to `want` bytes in all,
 * within a few seconds; returns the first bad offset or -1. */
static long drain(int fd, int dir, long *off, long want)
{
	static unsigned char b[65536];
	long bad = -1;
	while (*off < want && wait_in(fd, 5000) > 0) {
		long n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			break;
		long at = bad_at(b, dir, *off, n);
		if (at >= 0 && bad < 0)
			bad = at;
		*off += n;
	}
	return bad;
}

/* The loopback address of fam, port 0; its length. */
static socklen_t loopback(int fam, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		return sizeof(*a6);
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*a4);
}

static void move_connection(int fam)
{
	int l = socket(fam, SOCK_STREAM, 0);
	struct sockaddr_storage la;
	socklen_t sl = loopback(fam, &la), al = sl;
	bind(l, (struct sockaddr *)&la, sl);
	/* B's receive buffer is small, so that A keeps data it could not
	 * send yet. */
	int small = 4096;
	setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&la, &al);
	int a = socket(fam, SOCK_STREAM, 0);
	TRY("A connect", connect(a, (struct sockaddr *)&la, sl));
	int b = accept(l, NULL, NULL);
	close(l);
	struct sockaddr_storage aa;
	al = sizeof(aa);
	getsockname(a, (struct sockaddr *)&aa, &al);

	/* B to A: 3000 bytes A does not read; A to B: 60000 bytes, more
	 * than B's window takes. */
	static unsigned char buf[200000];
	const long b_first = 3000, a_first = 60000;
	fill(buf, 1, 0, b_first);
	TRY("B sends 3000", send(b, buf, b_first, 0));
	fill(buf, 0, 0, a_first);
	long a_sent = send(a, buf, a_first, MSG_DONTWAIT);
	V("A sends 60000", "%s", a_sent == a_first ? "all taken" : "not all");
	if (a_sent < 0)
		a_sent = 0;
	wait_in(a, 2000);
	usleep(100000);
	int v = 0;
	ioctl(a, SIOCINQ, &v);
	V("A's unread bytes", "%d", v);
	ioctl(a, SIOCOUTQ, &v);
	V("A keeps bytes not acknowledged", "%s", v > 0 ? "yes" : "no");
	ioctl(b, SIOCINQ, &v);
	V("B took some", "%s", v > 0 ? "yes" : "no");

	/* A into repair mode, and read out. */
	struct snap s;
	memset(&s, 0, sizeof(s));
	set_int("A TCP_REPAIR 1", a, IPPROTO_TCP, TCP_REPAIR, 1);
	TRY("A recv in repair mode", recv(a, buf, 10, MSG_DONTWAIT));
	TRY("A peek no queue", recv(a, buf, 10, MSG_DONTWAIT | MSG_PEEK));
	TRY("A send no queue", send(a, buf, 10, MSG_DONTWAIT | MSG_NOSIGNAL));
	TRY("A TCP_QUEUE_SEQ send", get_seq(a, R_SEND_QUEUE, &s.snd_seq));
	ioctl(a, SIOCOUTQ, &s.outq);
	s.sq = malloc(s.outq + 100);
	long n = recv(a, s.sq, s.outq + 100, MSG_PEEK | MSG_DONTWAIT);
	V("A peek send queue", "%s, bytes %s", n == s.outq ? "SIOCOUTQ's" : "other",
	  n > 0 && bad_at(s.sq, 0, a_sent - n, n) < 0 ? "the last ones sent" : "wrong");
	n = recv(a, s.sq, s.outq + 100, MSG_PEEK | MSG_DONTWAIT);
	V("A peek send queue again", "%s", n == s.outq ? "same" : "other");
	TRY("A TCP_QUEUE_SEQ recv", get_seq(a, R_RECV_QUEUE, &s.rcv_seq));
	ioctl(a, SIOCINQ, &s.inq);
	s.rq = malloc(s.inq + 100);
	n = recv(a, s.rq, s.inq + 100, MSG_PEEK | MSG_DONTWAIT);
	V("A peek recv queue", "%ld, bytes %s", n, n > 0 && bad_at(s.rq, 1, 0, n) < 0 ? "right" : "wrong");
	uint32_t q = 0;
	socklen_t ql = sizeof(q);
	TRY("A TCP_QUEUE_SEQ set established", setsockopt(a, IPPROTO_TCP, TCP_QUEUE_SEQ, &q, sizeof(q)));
	getsockopt(a, IPPROTO_TCP, TCP_QUEUE_SEQ, &q, &ql);
	V("A recv seq unchanged", "%s", q == s.rcv_seq ? "yes" : "no");
	socklen_t wl = sizeof(s.w);
	TRY("A TCP_REPAIR_WINDOW", getsockopt(a, IPPROTO_TCP, TCP_REPAIR_WINDOW, &s.w, &wl));
	V("A window", "rcv_wup %s rcv_nxt, snd_wnd %s max_window", s.w.rcv_wup == s.rcv_seq ? "is" : "is not",
	  s.w.snd_wnd <= s.w.max_window ? "within" : "above");
	socklen_t tl = sizeof(s.ts);
	TRY("A TCP_TIMESTAMP", getsockopt(a, IPPROTO_TCP, TCP_TIMESTAMP, &s.ts, &tl));
	socklen_t il = sizeof(s.ti);
	getsockopt(a, IPPROTO_TCP, TCP_INFO, &s.ti, &il);
	socklen_t ml = sizeof(s.mss);
	getsockopt(a, IPPROTO_TCP, TCP_MAXSEG, &s.mss, &ml);
	V("A options", "%#x", s.ti.tcpi_options);
	struct ropt o = { TCPOPT_MAXSEG, (uint32_t)s.mss };
	TRY("A TCP_REPAIR_OPTIONS once data went", setsockopt(a, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &o, sizeof(o)));
	TRY("A close", close(a));
	usleep(100000);
	TRY("B sees nothing", recv(b, buf, 1, MSG_DONTWAIT | MSG_PEEK));
	get_int("B SO_ERROR", b, SOL_SOCKET, SO_ERROR);

	/* A2: the same connection, restored. */
	int a2 = socket(fam, SOCK_STREAM, 0);
	set_int("A2 TCP_REPAIR 1", a2, IPPROTO_TCP, TCP_REPAIR, 1);
	set_int("A2 SO_REUSEADDR", a2, SOL_SOCKET, SO_REUSEADDR, 1);
	/* (CRIU restores the buffers first: the send queue must fit) */
	set_int("A2 SO_SNDBUF", a2, SOL_SOCKET, SO_SNDBUF, 1 << 20);
	set_int("A2 TCP_REPAIR_QUEUE send", a2, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_SEND_QUEUE);
	set_int("A2 TCP_QUEUE_SEQ send", a2, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)(s.snd_seq - (uint32_t)s.outq));
	set_int("A2 TCP_REPAIR_QUEUE recv", a2, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_RECV_QUEUE);
	set_int("A2 TCP_QUEUE_SEQ recv", a2, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)(s.rcv_seq - (uint32_t)s.inq));
	set_int("A2 TCP_TIMESTAMP odd before connect", a2, IPPROTO_TCP, TCP_TIMESTAMP, 1001);
	TRY("A2 bind", bind(a2, (struct sockaddr *)&aa, sl));
	TRY("A2 send before connect", send(a2, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	TRY("A2 connect", connect(a2, (struct sockaddr *)&la, sl));
	struct tcp_info ti;
	il = sizeof(ti);
	getsockopt(a2, IPPROTO_TCP, TCP_INFO, &ti, &il);
	V("A2 state", "%d", ti.tcpi_state);
	uint32_t t0 = 0;
	socklen_t t0l = sizeof(t0);
	getsockopt(a2, IPPROTO_TCP, TCP_TIMESTAMP, &t0, &t0l);
	V("A2 timestamp after connect", "odd %s", t0 & 1 ? "yes" : "no");
	TRY("A2 TCP_QUEUE_SEQ set connected", setsockopt(a2, IPPROTO_TCP, TCP_QUEUE_SEQ, &q, sizeof(q)));
	/* the options */
	struct ropt os[5] = { { TCPOPT_MAXSEG, (uint32_t)s.mss },
			      { TCPOPT_WINDOW, s.ti.tcpi_snd_wscale | (uint32_t)s.ti.tcpi_rcv_wscale << 16 },
			      { TCPOPT_SACK_PERMITTED, 0 },
			      { TCPOPT_TIMESTAMP, 0 },
			      { 99, 12345 } };
	struct ropt bo = { TCPOPT_WINDOW, 15 };
	TRY("A2 TCP_REPAIR_OPTIONS wscale 15", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &bo, sizeof(bo)));
	bo = (struct ropt){ TCPOPT_WINDOW, 15u << 16 };
	TRY("A2 TCP_REPAIR_OPTIONS rcv wscale 15", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &bo, sizeof(bo)));
	bo = (struct ropt){ TCPOPT_SACK_PERMITTED, 1 };
	TRY("A2 TCP_REPAIR_OPTIONS sack 1", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &bo, sizeof(bo)));
	bo = (struct ropt){ TCPOPT_TIMESTAMP, 1 };
	TRY("A2 TCP_REPAIR_OPTIONS timestamp 1", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &bo, sizeof(bo)));
	TRY("A2 TCP_REPAIR_OPTIONS bad pointer", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, (void *)8, 8));
	TRY("A2 TCP_REPAIR_OPTIONS length 12", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, os, 12));
	TRY("A2 TCP_REPAIR_OPTIONS length 0", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, os, 0));
	TRY("A2 TCP_REPAIR_OPTIONS", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_OPTIONS, os, sizeof(os)));
	il = sizeof(ti);
	getsockopt(a2, IPPROTO_TCP, TCP_INFO, &ti, &il);
	V("A2 options", "%#x, scales %s", ti.tcpi_options,
	  ti.tcpi_snd_wscale == s.ti.tcpi_snd_wscale && ti.tcpi_rcv_wscale == s.ti.tcpi_rcv_wscale ? "A's" : "other");
	int mss = 0;
	ml = sizeof(mss);
	getsockopt(a2, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml);
	V("A2 TCP_MAXSEG", "%s", mss == s.mss ? "A's" : "other");
	/* the queues */
	set_int("A2 TCP_REPAIR_QUEUE recv again", a2, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_RECV_QUEUE);
	TRY("A2 send to recv queue", send(a2, s.rq, s.inq, 0));
	TRY("A2 send nothing to recv queue", send(a2, s.rq, 0, 0));
	uint32_t seq = 0;
	TRY("A2 TCP_QUEUE_SEQ recv", get_seq(a2, R_RECV_QUEUE, &seq));
	V("A2 recv seq", "%d from A's", (int)(seq - s.rcv_seq));
	ioctl(a2, SIOCINQ, &v);
	V("A2 unread bytes", "%d", v);
	TRY("A2 TCP_REPAIR_QUEUE send again", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_QUEUE, &(int){ R_SEND_QUEUE }, 4));
	n = send(a2, s.sq, s.outq, MSG_DONTWAIT);
	V("A2 send to send queue", "%s", n == s.outq ? "all" : "not all");
	TRY("A2 TCP_QUEUE_SEQ send", get_seq(a2, R_SEND_QUEUE, &seq));
	V("A2 send seq", "%d from A's", (int)(seq - s.snd_seq));
	ioctl(a2, SIOCOUTQ, &v);
	V("A2 SIOCOUTQ", "%s", v == s.outq ? "A's" : "other");
	ioctl(a2, SIOCOUTQNSD, &v);
	V("A2 SIOCOUTQNSD", "%d", v);
	n = recv(a2, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	V("A2 peek send queue", "%s", n == s.outq && !memcmp(buf, s.sq, n) ? "A's" : "other");
	/* the window */
	struct rwin w = s.w;
	w.max_window = w.snd_wnd - 1;
	if (w.snd_wnd)
		TRY("A2 TCP_REPAIR_WINDOW max below snd_wnd", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)));
	else
		V("A2 TCP_REPAIR_WINDOW max below snd_wnd", "ret=-1 errno=EINVAL");
	w = s.w;
	w.rcv_wup = s.rcv_seq + 1;
	TRY("A2 TCP_REPAIR_WINDOW rcv_wup ahead", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)));
	w = s.w;
	w.snd_wl1 = s.rcv_seq + w.rcv_wnd + 1;
	TRY("A2 TCP_REPAIR_WINDOW snd_wl1 ahead", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)));
	TRY("A2 TCP_REPAIR_WINDOW", setsockopt(a2, IPPROTO_TCP, TCP_REPAIR_WINDOW, &s.w, sizeof(s.w)));
	struct rwin w2;
	wl = sizeof(w2);
	getsockopt(a2, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w2, &wl);
	V("A2 window", "%s", !memcmp(&w2, &s.w, sizeof(w2)) ? "A's" : "other");
	/* the timestamp */
	TRY("A2 TCP_TIMESTAMP", setsockopt(a2, IPPROTO_TCP, TCP_TIMESTAMP, &s.ts, sizeof(s.ts)));
	uint32_t ts2 = 0;
	tl = sizeof(ts2);
	getsockopt(a2, IPPROTO_TCP, TCP_TIMESTAMP, &ts2, &tl);
	V("A2 timestamp", "A's and at most 2 s more: %s", ts2 - s.ts < 2000u ? "yes" : "no");
	set_int("A2 TCP_REPAIR off", a2, IPPROTO_TCP, TCP_REPAIR, 0);
	get_int("A2 TCP_REPAIR", a2, IPPROTO_TCP, TCP_REPAIR);
	get_int("A2 TCP_REPAIR_QUEUE off", a2, IPPROTO_TCP, TCP_REPAIR_QUEUE);

	/* Both ways, every byte. */
	long a_off = 0, b_off = 0;
	n = recv(a2, buf, sizeof(buf), MSG_DONTWAIT);
	V("A2 reads", "%ld, bytes %s", n, n > 0 && bad_at(buf, 1, 0, n) < 0 ? "right" : "wrong");
	b_off = n > 0 ? n : 0;
	long bad = drain(b, 0, &a_off, a_sent);
	V("B reads A's first bytes", "%s, first bad %ld", a_off == a_sent ? "all" : "not all", bad);
	fill(buf, 0, a_sent, 50000);
	TRY("A2 sends 50000", send(a2, buf, 50000, 0));
	bad = drain(b, 0, &a_off, a_sent + 50000);
	V("B reads A2's", "%ld more, first bad %ld", a_off - a_sent, bad);
	fill(buf, 1, b_first, 70000);
	TRY("B sends 70000", send(b, buf, 70000, 0));
	bad = drain(a2, 1, &b_off, b_first + 70000);
	V("A2 reads B's", "%ld in all, first bad %ld", b_off, bad);
	TRY("A2 shutdown", shutdown(a2, SHUT_WR));
	wait_in(b, 2000);
	TRY("B reads the end", recv(b, buf, 10, MSG_DONTWAIT));
	TRY("B close", close(b));
	wait_in(a2, 2000);
	TRY("A2 reads the end", recv(a2, buf, 10, MSG_DONTWAIT));
	TRY("A2 close", close(a2));
	free(s.sq);
	free(s.rq);
}

/* B in repair mode after its data went: options refused; off without a
 * probe; the TCP_REPAIR_OPTIONS state rules on an established socket. */
static void established_rules(void)
{
	int c, s;
	tcp_pair(&c, &s);
	TRY("pair send", send(c, "hello", 5, 0));
	wait_in(s, 2000);
	set_int("server TCP_REPAIR 1", s, IPPROTO_TCP, TCP_REPAIR, 1);
	struct ropt o = { TCPOPT_MAXSEG, 1000 };
	TRY("server TCP_REPAIR_OPTIONS, nothing sent", setsockopt(s, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &o, sizeof(o)));
	set_int("client TCP_REPAIR 1", c, IPPROTO_TCP, TCP_REPAIR, 1);
	TRY("client TCP_REPAIR_OPTIONS, data sent", setsockopt(c, IPPROTO_TCP, TCP_REPAIR_OPTIONS, &o, sizeof(o)));
	set_int("client TCP_TIMESTAMP established", c, IPPROTO_TCP, TCP_TIMESTAMP, 1);
	set_int("client TCP_REPAIR_QUEUE recv", c, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_RECV_QUEUE);
	TRY("client send to recv queue", send(c, "abc", 3, 0));
	int v = 0;
	ioctl(c, SIOCINQ, &v);
	V("client unread", "%d", v);
	set_int("client TCP_REPAIR -1", c, IPPROTO_TCP, TCP_REPAIR, -1);
	char b[8];
	TRY("client reads its own queue", recv(c, b, sizeof(b), MSG_DONTWAIT));
	V("client read", "%.3s", b);
	set_int("server TCP_REPAIR 0", s, IPPROTO_TCP, TCP_REPAIR, 0);
	TRY("server reads", recv(s, b, sizeof(b), MSG_DONTWAIT));
	close(c);
	close(s);
	/* a disconnect in repair mode: no RST */
	tcp_pair(&c, &s);
	set_int("TCP_REPAIR 1 before AF_UNSPEC", c, IPPROTO_TCP, TCP_REPAIR, 1);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	TRY("connect AF_UNSPEC in repair mode", connect(c, &un, sizeof(un)));
	get_int("SO_ERROR after", c, SOL_SOCKET, SO_ERROR);
	V("the peer's poll after the disconnect", "%d", wait_in(s, 300));
	set_int("TCP_REPAIR 0 after AF_UNSPEC", c, IPPROTO_TCP, TCP_REPAIR, 0);
	close(c);
	close(s);
	/* shutdown in repair mode, each queue */
	static const int qs[] = { R_NO_QUEUE, R_SEND_QUEUE };
	for (int i = 0; i < 2; i++) {
		char step[64];
		tcp_pair(&c, &s);
		set_int("TCP_REPAIR 1 before shutdown", c, IPPROTO_TCP, TCP_REPAIR, 1);
		set_int("TCP_REPAIR_QUEUE before shutdown", c, IPPROTO_TCP, TCP_REPAIR_QUEUE, qs[i]);
		snprintf(step, sizeof(step), "shutdown in repair mode, queue %d", qs[i]);
		TRY(step, shutdown(c, SHUT_WR));
		/* (the timer sends what the send queue counts as sent: in
		 * repair mode too) */
		snprintf(step, sizeof(step), "the peer's poll, queue %d", qs[i]);
		V(step, "%d", wait_in(s, 1500));
		usleep(100000);
		struct tcp_info ti;
		socklen_t il = sizeof(ti);
		getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &il);
		V("state after shutdown", "%d", ti.tcpi_state);
		set_int("TCP_REPAIR 0 after shutdown", c, IPPROTO_TCP, TCP_REPAIR, 0);
		snprintf(step, sizeof(step), "the peer's poll after repair, queue %d", qs[i]);
		V(step, "%d", wait_in(s, 1500));
		TRY("the peer reads", recv(s, b, sizeof(b), MSG_DONTWAIT));
		close(c);
		close(s);
	}
}

/* bind() and connect() of a repair socket next to a live connection;
 * what stays of the queue picked once repair ends. */
static void ports_and_leftovers(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&a, &al);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	int s = accept(l, NULL, NULL);
	struct sockaddr_in ca;
	al = sizeof(ca);
	getsockname(c, (struct sockaddr *)&ca, &al);
	int r = socket(AF_INET, SOCK_STREAM, 0);
	TRY("bind the listener's port", bind(r, (struct sockaddr *)&a, sizeof(a)));
	set_int("TCP_REPAIR 1", r, IPPROTO_TCP, TCP_REPAIR, 1);
	get_int("SO_REUSEADDR in repair mode", r, SOL_SOCKET, SO_REUSEADDR);
	TRY("bind the listener's port in repair mode", bind(r, (struct sockaddr *)&a, sizeof(a)));
	TRY("connect to the client's address, in use", connect(r, (struct sockaddr *)&ca, sizeof(ca)));
	close(r);
	r = socket(AF_INET, SOCK_STREAM, 0);
	set_int("TCP_REPAIR 1 again", r, IPPROTO_TCP, TCP_REPAIR, 1);
	set_int("SO_REUSEADDR 0", r, SOL_SOCKET, SO_REUSEADDR, 0);
	TRY("bind the listener's port after SO_REUSEADDR", bind(r, (struct sockaddr *)&a, sizeof(a)));
	set_int("TCP_REPAIR_QUEUE send", r, IPPROTO_TCP, TCP_REPAIR_QUEUE, R_SEND_QUEUE);
	set_int("TCP_QUEUE_SEQ 77", r, IPPROTO_TCP, TCP_QUEUE_SEQ, 77);
	set_int("SO_REUSEADDR 1", r, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int("TCP_REPAIR -1", r, IPPROTO_TCP, TCP_REPAIR, -1);
	get_int("SO_REUSEADDR after repair", r, SOL_SOCKET, SO_REUSEADDR);
	get_int("TCP_QUEUE_SEQ after repair", r, IPPROTO_TCP, TCP_QUEUE_SEQ);
	set_int("TCP_QUEUE_SEQ set after repair", r, IPPROTO_TCP, TCP_QUEUE_SEQ, 78);
	get_int("TCP_QUEUE_SEQ after setting 78", r, IPPROTO_TCP, TCP_QUEUE_SEQ);
	struct rwin w;
	socklen_t wl = 8;
	TRY("TCP_REPAIR_WINDOW short, outside repair", getsockopt(r, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &wl));
	set_int("TCP_REPAIR 1 once more", r, IPPROTO_TCP, TCP_REPAIR, 1);
	get_int("TCP_QUEUE_SEQ once repair starts again", r, IPPROTO_TCP, TCP_QUEUE_SEQ);
	close(r);
	close(c);
	close(s);
	close(l);
}

void case_tcp_repair(void)
{
	ck_child(no_admin_child);
	outside_repair();
	repair_values();
	established_rules();
	ports_and_leftovers();
	move_connection(AF_INET);
	/* again over ::1, its lines marked "v6" */
	const char *name = cur_case;
	cur_case = "tcp_repair v6";
	move_connection(AF_INET6);
	cur_case = name;
}
