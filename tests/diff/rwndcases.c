/*
 * Differential case rwnd (issue 12): the TCP receive window as Linux
 * offers it. The first window is half the buffer (its share of memory
 * for data), in whole segments; rcv_ssthresh starts there and grows as
 * segments arrive, up to the window clamp, which follows the share of
 * memory the segments measure. Observed on loopback through what a
 * program sees:
 *
 *   - TCP_INFO (rcv_ssthresh, rcv_space, rcv_mss), TCP_WINDOW_CLAMP and
 *     SO_RCVBUF of both ends of a new connection, with the default
 *     buffer and with SO_RCVBUF set on the listener or the client, over
 *     IPv4 and IPv6, and with a 1500-byte MTU;
 *   - TCP_MAXSEG of the sender: at most half the largest window it was
 *     offered;
 *   - the same after one write of a given size has arrived;
 *   - TCP_WINDOW_CLAMP set on a closed and on a connected socket;
 *   - how much a sender gets through to a small buffer that is not
 *     read, and what each read lets through next (a pair, and a socket
 *     connected to itself).
 *
 * Loopback events that moat's event loop delivers a turn later (data,
 * a window update) are waited for (bounded, printing nothing) before the
 * line that observes them.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 2000

static char buf[1 << 17];

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int inq(int fd)
{
	int n = -1;
	ioctl(fd, SIOCINQ, &n);
	return n;
}

static int outq(int fd)
{
	int n = -1;
	ioctl(fd, SIOCOUTQ, &n);
	return n;
}

/* Until fd holds at least n bytes to read. */
static void wait_inq(int fd, int n)
{
	struct timespec t0, nap = { 0, 1000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (inq(fd) < n && ms_since(&t0) < WAIT_MS)
		nanosleep(&nap, NULL);
}

/* Until what fd sent is acknowledged up to `left` bytes still out. */
static void wait_outq(int fd, int left)
{
	struct timespec t0, nap = { 0, 1000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (outq(fd) > left && ms_since(&t0) < WAIT_MS)
		nanosleep(&nap, NULL);
}

static int geti(int fd, int level, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &l) < 0)
		return -errno;
	return v;
}

/* The receive side of fd as TCP_INFO and the options show it. Not
 * rcv_space once data was read: the auto-tuning measures it per round
 * trip, by the clock. */
static void show_info(const char *what, int fd, int space)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
	char sp[32] = "";
	if (space)
		snprintf(sp, sizeof(sp), " rcv_space=%u", ti.tcpi_rcv_space);
	V(what, "rcvbuf=%d clamp=%d rcv_ssthresh=%u%s rcv_mss=%u maxseg=%d inq=%d", geti(fd, SOL_SOCKET, SO_RCVBUF),
	  geti(fd, IPPROTO_TCP, TCP_WINDOW_CLAMP), ti.tcpi_rcv_ssthresh, sp, ti.tcpi_rcv_mss,
	  geti(fd, IPPROTO_TCP, TCP_MAXSEG), inq(fd));
}

static void show(const char *what, int fd)
{
	show_info(what, fd, 1);
}

/* A connected pair over loopback of family af; SO_RCVBUF lrcv on the
 * listener and crcv on the client when not 0. */
static void pair(int af, int lrcv, int crcv, int *c, int *s)
{
	struct sockaddr_storage ss;
	socklen_t al;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		al = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		al = sizeof(*a4);
	}
	int l = socket(af, SOCK_STREAM, 0);
	if (lrcv)
		setsockopt(l, SOL_SOCKET, SO_RCVBUF, &lrcv, sizeof(lrcv));
	bind(l, (struct sockaddr *)&ss, al);
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&ss, &al);
	*c = socket(af, SOCK_STREAM, 0);
	if (crcv)
		setsockopt(*c, SOL_SOCKET, SO_RCVBUF, &crcv, sizeof(crcv));
	connect(*c, (struct sockaddr *)&ss, al);
	*s = accept(l, NULL, NULL);
	close(l);
	/* (the handshake's last ACK is in) */
	wait_outq(*c, 0);
}

static void initial(const char *tag, int af, int lrcv, int crcv)
{
	char w[96];
	int c, s;
	pair(af, lrcv, crcv, &c, &s);
	snprintf(w, sizeof(w), "%s client", tag);
	show(w, c);
	snprintf(w, sizeof(w), "%s server", tag);
	show(w, s);
	close(c);
	close(s);
}

static void set_lo_mtu(int mtu)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_mtu = mtu;
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	TRY("SIOCSIFMTU lo", ioctl(u, SIOCSIFMTU, &ifr));
	close(u);
}

/* One write of n bytes; the receiver after it arrived. */
static void one_write(int n)
{
	char w[64];
	int c, s;
	pair(AF_INET, 0, 0, &c, &s);
	snprintf(w, sizeof(w), "write %d", n);
	TRY(w, send(c, buf, (size_t)n, 0));
	wait_inq(s, n);
	snprintf(w, sizeof(w), "write %d server", n);
	show(w, s);
	close(c);
	close(s);
}

static void clamp_set(const char *what, int fd, int v)
{
	char w[64];
	snprintf(w, sizeof(w), "%s TCP_WINDOW_CLAMP %d", what, v);
	set_int(w, fd, IPPROTO_TCP, TCP_WINDOW_CLAMP, v);
	snprintf(w, sizeof(w), "%s TCP_WINDOW_CLAMP %d then", what, v);
	show(w, fd);
}

static void window_clamp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	static const int v[] = { -5, 0, 100, 1151, 1153, 70000, 0 };
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		clamp_set("closed", fd, v[i]);
	close(fd);
	int c, s;
	/* The clamp set before connect() bounds the first window. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &al);
	clamp_set("before connect", fd, 20000);
	TRY("connect clamped", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	close(l);
	wait_outq(fd, 0);
	show("clamped client", fd);
	show("clamped server", s);
	TRY("clamped write", send(s, buf, 40000, MSG_DONTWAIT));
	wait_inq(fd, 40000);
	show("clamped client after 40000", fd);
	close(s);
	close(fd);

	pair(AF_INET, 0, 0, &c, &s);
	static const int w[] = { -5, 0, 100, 70000, 30000, 200000 };
	for (unsigned i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		clamp_set("connected", c, w[i]);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	TRY("disconnect", connect(c, &un, sizeof(un)));
	show("disconnected", c);
	close(c);
	close(s);
}

/* A sender writes `total` bytes (non-blocking) to a receiver with a
 * small buffer; the receiver reads what arrived each time, which lets
 * the next piece through. */
static void small_buffer(const char *tag, int c, int s, int total)
{
	char w[96];
	snprintf(w, sizeof(w), "%s send", tag);
	TRY(w, send(c, buf, (size_t)total, MSG_DONTWAIT));
	snprintf(w, sizeof(w), "%s sender", tag);
	show(w, c);
	int got = 0;
	for (int i = 0; got < total && i < 16; i++) {
		/* What arrives stops at the window: wait for the sender to
		 * have nothing more it may send (the data in flight is in). */
		wait_inq(s, 1);
		wait_outq(c, total - got - inq(s));
		snprintf(w, sizeof(w), "%s read %d", tag, i);
		int n = inq(s);
		V(w, "inq=%d", n);
		long r = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		if (r <= 0)
			break;
		got += (int)r;
	}
	snprintf(w, sizeof(w), "%s receiver", tag);
	show_info(w, s, 0);
}

static void small_buffers(void)
{
	int c, s;
	pair(AF_INET, 1, 0, &c, &s);
	show("rcvbuf 2304 sender before", c);
	small_buffer("rcvbuf 2304", c, s, 4000);
	close(c);
	close(s);

	pair(AF_INET, 4096, 0, &c, &s);
	small_buffer("rcvbuf 8192", c, s, 20000);
	close(c);
	close(s);

	/* A socket connected to itself: its own receiver. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &al);
	TRY("self connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	show("self", fd);
	TRY("self send", send(fd, buf, 4000, MSG_DONTWAIT));
	for (int i = 0; i < 4; i++) {
		char w[64];
		wait_inq(fd, 1);
		wait_outq(fd, 4000 - 1152 - 576 * i);
		snprintf(w, sizeof(w), "self read %d", i);
		TRY(w, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	}
	close(fd);
}

void case_rwnd(void)
{
	static const int bufs[] = { 0, 1, 4096, 65536, 1 << 20 };
	for (unsigned i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		char t[64];
		snprintf(t, sizeof(t), "listener rcvbuf %d", bufs[i]);
		initial(t, AF_INET, bufs[i], 0);
		if (bufs[i]) {
			snprintf(t, sizeof(t), "client rcvbuf %d", bufs[i]);
			initial(t, AF_INET, 0, bufs[i]);
		}
	}
	initial("inet6", AF_INET6, 0, 0);
	initial("inet6 rcvbuf 4096", AF_INET6, 4096, 4096);

	static const int sizes[] = { 100, 536, 537, 576, 1000, 1152, 2000, 4000, 8000, 16000, 32741, 40000, 65483 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		one_write(sizes[i]);

	window_clamp();
	small_buffers();

	/* A 1500-byte MTU: segments of 1448 bytes (and a reserve of one
	 * in the clamp). The MTU is put back for the cases after this. */
	set_lo_mtu(1500);
	initial("mtu 1500", AF_INET, 0, 0);
	initial("mtu 1500 rcvbuf 4096", AF_INET, 4096, 4096);
	initial("mtu 1500 rcvbuf 1", AF_INET, 1, 1);
	set_lo_mtu(65536);
}
