/*
 * Differential case peek_off: SO_PEEK_OFF (socket(7)) on every socket
 * kind Linux 6.18 keeps it for: unix stream, datagram and seqpacket, UDP
 * over IPv4 and IPv6, TCP over both (since Linux 6.10). Rules as in
 * diffcases.c. What Linux does, and each kind here shows:
 *
 *   - the offset is -1 at first; setsockopt takes any int (every
 *     negative one is off, and reads back as set), refuses fewer bytes
 *     than an int (EINVAL); getsockopt copies what a short length holds;
 *   - a MSG_PEEK with the offset on begins that far into the queue and
 *     moves it on by what it returned; a read moves it back by what it
 *     took, never below 0; an offset at or past the end of what is
 *     queued reads as an empty queue (EAGAIN, or 0 at the end);
 *   - a stream counts bytes across writes; a datagram socket passes the
 *     whole datagrams the offset covers (an empty one once a peek has
 *     returned it) and peeks into the next. There the kinds differ: a
 *     unix datagram's MSG_TRUNC returns the rest's length and moves the
 *     offset by what was copied, a read moves it back by the whole
 *     datagram; UDP's MSG_TRUNC returns (and moves by) the datagram's
 *     whole length, a read moves back by what it returned;
 *   - a stream's out-of-band byte (oob_marks) counts where it is not
 *     at the head of the queue;
 *   - a TCP listener's offset is its connections' (a unix listener's is
 *     not); netlink sockets refuse it (EOPNOTSUPP). (Ping sockets refuse
 *     it too, but a fresh namespace lets nobody make one.)
 *
 * No receive waits; each prints what it returned, what it
 * copied, MSG_TRUNC and the offset after it. Loopback data that moat's
 * event loop delivers a turn later is waited for (bounded, printing
 * nothing) before the step that reads it.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <limits.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The kind under test, the first words of its steps. */
static const char *kind;

static const char *vstep(const char *fmt, va_list ap)
{
	static char b[160];
	int n = snprintf(b, sizeof(b), "%s ", kind);
	vsnprintf(b + n, sizeof(b) - (size_t)n, fmt, ap);
	return b;
}

/* "KIND what" */
static const char *__attribute__((format(printf, 1, 2))) step(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *b = vstep(fmt, ap);
	va_end(ap);
	return b;
}

static int off_of(int fd)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	return getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &v, &l) < 0 ? -errno : v;
}

/* setsockopt(SO_PEEK_OFF) with len bytes of v, and the offset after it. */
static void set_len(const char *what, int fd, const void *v, socklen_t len)
{
	errno = 0;
	int r = setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, v, len);
	int e = r < 0 ? errno : 0; /* (before off_of, which may fail) */
	V(what, "ret=%d errno=%s off=%d", r, errname(e), off_of(fd));
}

static void set_off(int fd, int v)
{
	set_len(step("set %d", v), fd, &v, sizeof(v));
}

/* One receive of at most len bytes (MSG_DONTWAIT added), as a step:
 * what it returned and copied, MSG_TRUNC, the offset after it. */
static void __attribute__((format(printf, 4, 5))) rd(int fd, size_t len, int flags, const char *fmt, ...)
{
	char b[128];
	memset(b, 0, sizeof(b));
	struct iovec io = { b, len };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1 };
	errno = 0;
	ssize_t r = recvmsg(fd, &m, flags | MSG_DONTWAIT);
	int e = r < 0 ? errno : 0;
	va_list ap;
	va_start(ap, fmt);
	const char *what = vstep(fmt, ap);
	va_end(ap);
	V(what, "ret=%zd errno=%s data='%s' trunc=%d off=%d", r, errname(e), b, !!(m.msg_flags & MSG_TRUNC),
	  off_of(fd));
}

#define PEEK(fd, len, ...) rd(fd, len, MSG_PEEK, "peek " __VA_ARGS__)
#define READ(fd, len, ...) rd(fd, len, 0, "read " __VA_ARGS__)

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Until a stream holds n bytes to read, at most two seconds. */
static void wait_inq(int fd, int n)
{
	struct timespec t0, nap = { 0, 1000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int q = -1;
	while ((ioctl(fd, FIONREAD, &q) < 0 || q < n) && ms_since(&t0) < 2000)
		nanosleep(&nap, NULL);
}

/* Until fd polls ev (a datagram to read, the peer's end), at most two
 * seconds. (A peek would do for a datagram, but it would mark an empty
 * one peeked.) */
static void wait_ev(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	poll(&p, 1, 2000);
}

static void put(int fd, const char *s)
{
	send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* The option's values at its boundaries, and its lengths. */
static void options(int fd)
{
	V(step("at first"), "off=%d", off_of(fd));
	static const int vals[] = { 0, -2, INT_MAX, INT_MIN, 5, -1 };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		set_off(fd, vals[i]);
	short sh = 3;
	set_len(step("set, 2 bytes"), fd, &sh, sizeof(sh));
	long long ll = 7;
	set_len(step("set, 8 bytes"), fd, &ll, sizeof(ll));
	set_len(step("set, no buffer"), fd, NULL, sizeof(int));
	set_off(fd, 0x01020304);
	static const socklen_t lens[] = { 2, 0, 8 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int v[2] = { 0x11223344, 0x55667788 };
		socklen_t l = lens[i];
		errno = 0;
		int r = getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, v, &l);
		V(step("get, length %u", (unsigned)lens[i]), "ret=%d errno=%s val=%#x,%#x len=%u", r,
		  errname(r < 0 ? errno : 0), v[0], v[1], (unsigned)l);
	}
	set_off(fd, -1);
}

/* A stream from w to r (unix or TCP): peeks at the offset across
 * writes, reads that move it back, the end of what is queued and of
 * the stream. */
static void stream(int w, int r)
{
	options(r);
	put(w, "0123456789");
	wait_inq(r, 10);
	PEEK(r, 3, "3, off");
	set_off(r, 0);
	PEEK(r, 3, "3 at 0");
	PEEK(r, 3, "3 at 3");
	READ(r, 2, "2 at 6");
	PEEK(r, 100, "100 at 4");
	PEEK(r, 100, "100 at 8, the end");
	READ(r, 3, "3 at 8");
	PEEK(r, 100, "100 at 5, the end");
	READ(r, 100, "the rest");
	set_off(r, 5);
	put(w, "abc");
	wait_inq(r, 3);
	PEEK(r, 10, "10 at 5, 3 queued");
	put(w, "defgh");
	wait_inq(r, 8);
	PEEK(r, 10, "10 at 5, across two writes");
	READ(r, 4, "4 at 8");
	READ(r, 2, "2 at 4");
	set_off(r, -1);
	PEEK(r, 1, "1, off");
	set_off(r, -2);
	READ(r, 1, "1 at -2");
	PEEK(r, 1, "1 at -2");
	set_off(r, INT_MAX);
	READ(r, 1, "1 at INT_MAX");
	PEEK(r, 1, "1 at INT_MAX-1");
	set_off(r, 1);
	READ(r, 100, "empty at 1");
	PEEK(r, 100, "empty at 1");
	put(w, "uvw");
	wait_inq(r, 3);
	rd(r, 100, MSG_PEEK | MSG_TRUNC, "peek|trunc 100 at 1");
	rd(r, 100, MSG_TRUNC, "read|trunc 100 at 3");
	put(w, "xyz");
	wait_inq(r, 3);
	set_off(r, 2);
	READ(r, 100, "100 at 2");
	set_off(r, 3);
	put(w, "e");
	shutdown(w, SHUT_WR);
	wait_inq(r, 1);
	wait_ev(r, POLLRDHUP);
	PEEK(r, 100, "100 at 3 past the data, at the end");
	READ(r, 100, "1 at 3, then the end");
	PEEK(r, 100, "100 at 2, the end");
}

/* Datagrams from w to r: where a peek at the offset lands among them,
 * MSG_TRUNC, and what a read gives back. */
static void dgram(int w, int r)
{
	options(r);
	static const char *const dg[] = { "aaaa", "bbbbbb", "", "cc" };
	for (size_t i = 0; i < sizeof(dg) / sizeof(dg[0]); i++)
		put(w, dg[i]);
	wait_ev(r, POLLIN);
	set_off(r, 0);
	PEEK(r, 100, "100 at 0");
	PEEK(r, 100, "100 at 4, the second");
	PEEK(r, 100, "100 at 10, the empty one");
	PEEK(r, 100, "100 at 10, past the empty one");
	PEEK(r, 100, "100 at 12, past them all");
	set_off(r, 2);
	PEEK(r, 1, "1 at 2");
	rd(r, 100, MSG_PEEK | MSG_TRUNC, "peek|trunc 100 at 3");
	PEEK(r, 100, "100 after a peek|trunc");
	set_off(r, 1);
	rd(r, 2, MSG_PEEK | MSG_TRUNC, "peek|trunc 2 at 1");
	set_off(r, 2);
	PEEK(r, 2, "2 at 2, the rest's size");
	set_off(r, 4);
	PEEK(r, 6, "6 at 4, the second's size");
	set_off(r, 9);
	READ(r, 2, "2 of the first at 9");
	set_off(r, 9);
	rd(r, 2, MSG_TRUNC, "read|trunc 2 of the second at 9");
	set_off(r, 0);
	PEEK(r, 100, "100 at 0, the empty one peeked");
	PEEK(r, 100, "100 at 2");
	set_off(r, -1);
	PEEK(r, 100, "100, off");
	set_off(r, 0);
	READ(r, 100, "the empty one at 0");
	READ(r, 100, "the last at 0");
	set_off(r, 4);
	PEEK(r, 100, "100 at 4, empty queue");
	put(w, "");
	wait_ev(r, POLLIN);
	set_off(r, 0);
	PEEK(r, 100, "an empty one not peeked yet, at 0");
	PEEK(r, 100, "the empty one at 0 again");
	READ(r, 100, "the empty one");
}

/* A loopback address of the family in *ss (unix: an abstract name of
 * the type's), its length. */
static socklen_t loopback(int family, int type, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_UNIX) {
		struct sockaddr_un *a = (struct sockaddr_un *)ss;
		a->sun_family = AF_UNIX;
		int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "moat-diff-peekoff-%d-%d", (int)getpid(),
				 type);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	a->sin6_addr = in6addr_loopback;
	return sizeof(*a);
}

/* A listener of the family and type on its loopback address, which
 * *ss (*sl) names. */
static int listener(int family, int type, struct sockaddr_storage *ss, socklen_t *sl)
{
	*sl = loopback(family, type, ss);
	int l = socket(family, type, 0);
	bind(l, (struct sockaddr *)ss, *sl);
	getsockname(l, (struct sockaddr *)ss, sl);
	listen(l, 4);
	return l;
}

/* *c (of the type) connected to l, *a accepted from it; l is closed. */
static void join(int l, int type, const struct sockaddr_storage *ss, socklen_t sl, int *c, int *a)
{
	*c = socket(ss->ss_family, type, 0);
	connect(*c, (const struct sockaddr *)ss, sl);
	guard_begin(); /* (a connect that failed would leave accept waiting) */
	*a = accept(l, NULL, NULL);
	guard_end();
	close(l);
}

/* A connection through a listener whose offset is 7 when it connects:
 * the offsets of the listener, *c (connected) and *a (accepted). */
static void connection(int family, int type, int *c, int *a)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int l = listener(family, type, &ss, &sl);
	V(step("listening"), "off=%d", off_of(l));
	set_off(l, 3);
	set_off(l, -1);
	set_off(l, 7);
	join(l, type, &ss, sl, c, a);
	V(step("connected"), "off=%d", off_of(*c));
	V(step("accepted"), "off=%d", off_of(*a));
}

/* A stream's out-of-band byte (unix, TCP's urgent data) among the bytes
 * a peek at the offset counts, in line or not: Linux passes one at the
 * head of the queue, but counts one further on (TCP: as sequence space;
 * a unix stream peeks it as data where the offset lands on it). */
static void oob_marks(int family, int inline_oob)
{
	const char *k = kind;
	char name[64];
	snprintf(name, sizeof(name), "%s oob%s:", k, inline_oob ? " inline" : "");
	kind = name;
	struct sockaddr_storage ss;
	socklen_t sl;
	int w, r, one = 1;
	int l = listener(family, SOCK_STREAM, &ss, &sl);
	join(l, SOCK_STREAM, &ss, sl, &w, &r);
	if (inline_oob)
		setsockopt(r, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	send(w, "ab", 2, MSG_OOB);
	put(w, "cd");
	wait_inq(r, 3);
	set_off(r, 0);
	PEEK(r, 10, "10 at 0");
	PEEK(r, 10, "10 at 1");
	set_off(r, 2);
	PEEK(r, 10, "10 at 2");
	set_off(r, 0);
	READ(r, 1, "1 at 0");
	PEEK(r, 10, "10 at 0, at the mark");
	set_off(r, 1);
	PEEK(r, 10, "10 at 1, at the mark");
	READ(r, 10, "10");
	READ(r, 10, "10 again");
	close(w);
	close(r);
	kind = k;
}

/* UDP on the family's loopback address: w connected to r. */
static void udp_pair(int family, int *w, int *r)
{
	struct sockaddr_storage ss;
	socklen_t sl = loopback(family, SOCK_DGRAM, &ss);
	*r = socket(family, SOCK_DGRAM, 0);
	*w = socket(family, SOCK_DGRAM, 0);
	bind(*r, (struct sockaddr *)&ss, sl);
	getsockname(*r, (struct sockaddr *)&ss, &sl);
	connect(*w, (struct sockaddr *)&ss, sl);
}

void case_peek_off(void)
{
	static const struct {
		const char *name;
		int family, type;
	} kinds[] = {
		{ "unix stream", AF_UNIX, SOCK_STREAM }, { "unix seqpacket", AF_UNIX, SOCK_SEQPACKET },
		{ "unix dgram", AF_UNIX, SOCK_DGRAM },	 { "udp4", AF_INET, SOCK_DGRAM },
		{ "udp6", AF_INET6, SOCK_DGRAM },	 { "tcp4", AF_INET, SOCK_STREAM },
		{ "tcp6", AF_INET6, SOCK_STREAM },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int family = kinds[i].family, type = kinds[i].type, w, r;
		kind = kinds[i].name;
		if (type != SOCK_DGRAM) {
			connection(family, type, &w, &r);
		} else if (family == AF_UNIX) {
			int p[2];
			socketpair(AF_UNIX, SOCK_DGRAM, 0, p);
			w = p[0];
			r = p[1];
		} else {
			udp_pair(family, &w, &r);
		}
		if (type == SOCK_STREAM)
			stream(w, r);
		else
			dgram(w, r);
		close(w);
		close(r);
		if (type == SOCK_STREAM) {
			oob_marks(family, 0);
			oob_marks(family, 1);
		}
	}
	kind = "unix dgram unconnected";
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	set_off(u, 3);
	close(u);

	kind = "netlink";
	int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	V(step("get"), "off=%d", off_of(nl));
	set_off(nl, 1);
	short sh = 1;
	set_len(step("set, 2 bytes"), nl, &sh, sizeof(sh));
	close(nl);
}
