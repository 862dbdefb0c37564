/*
 * The rest of ipv6(7), on UDP over ::1: extension headers as a send's
 * control messages (IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS,
 * IPV6_RTHDR and the RFC 2292 names) as a receiver with IPV6_RECVHOPOPTS
 * and IPV6_RECVDSTOPTS sees them, their checks and what they do to the
 * sticky ones; IPV6_RECVPATHMTU after a send whose IPV6_DONTFRAG came as
 * a control message.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in6 lo6(uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	a.sin6_port = htons(port);
	return a;
}

/* A UDP socket bound to [::1]:0, its address in *a. */
static int bound6(struct sockaddr_in6 *a)
{
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	*a = lo6(0);
	socklen_t al = sizeof(*a);
	bind(s, (struct sockaddr *)a, sizeof(*a));
	getsockname(s, (struct sockaddr *)a, &al);
	return s;
}

static void on(int s, int level, int opt)
{
	int one = 1;
	setsockopt(s, level, opt, &one, sizeof(one));
}

/* One datagram (or report) read with its control messages, each as a
 * line: level, type, length and the bytes (hex, at most 48). `wait`: for
 * it to come (a path MTU report does not poll readable). */
static void read_msg(const char *step, int r, int wait)
{
	struct pollfd p = { r, POLLIN, 0 };
	if (wait)
		poll(&p, 1, 2000);
	static char buf[70000];
	char cb[1024];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	errno = 0;
	long n = recvmsg(r, &m, MSG_DONTWAIT);
	V(step, "recvmsg %ld %s flags %#x controllen %zu", n, errname(n < 0 ? errno : 0), m.msg_flags,
	  (size_t)m.msg_controllen);
	if (n < 0)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		char hex[100] = "";
		for (size_t i = 0; i < dl && i < 48; i++)
			snprintf(hex + 2 * i, 3, "%02x", CMSG_DATA(c)[i]);
		V(step, "cmsg level %d type %d len %zu %s", c->cmsg_level, c->cmsg_type, dl, hex);
	}
}

/* Extension headers: 8 bytes (a PadN), 16 bytes (an unknown option to
 * skip and a PadN), a type 0 routing header. */
static const unsigned char opts8[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
static const unsigned char opts16[16] = { 0, 1, 0x1e, 6, 0xab, 0xcd, 0xef, 1, 2, 3, 1, 4, 0, 0, 0, 0 };
static const unsigned char rthdr0[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
static const unsigned char rthdr2[24] = { 0, 2, 2, 1 };

/* A send's control messages, built up by cm_add. */
struct cm {
	char buf[1024] __attribute__((aligned(8)));
	size_t len;
};

static void cm_add(struct cm *b, int level, int type, const void *d, size_t dl, size_t cmsg_dl)
{
	struct cmsghdr *c = (struct cmsghdr *)(b->buf + b->len);
	memset(c, 0, CMSG_SPACE(dl));
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(cmsg_dl);
	memcpy(CMSG_DATA(c), d, dl);
	b->len += CMSG_SPACE(dl);
}

static void cm_ext(struct cm *b, int type, const void *d, size_t dl)
{
	cm_add(b, IPPROTO_IPV6, type, d, dl, dl);
}

static long send_cm(int s, const struct sockaddr_in6 *to, const struct cm *b, size_t len)
{
	static char data[4000];
	struct iovec iov = { data, len };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = to ? sizeof(*to) : 0, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = (void *)b->buf, .msg_controllen = b->len };
	errno = 0;
	return sendmsg(s, &m, 0);
}

/* One send with b's control messages: its result, and what came. */
static void try_send(const char *step, int s, int r, const struct sockaddr_in6 *to, const struct cm *b)
{
	long n = send_cm(s, to, b, 1);
	R(step, n);
	if (n >= 0)
		read_msg(step, r, 1);
}

static void ext_cmsgs(void)
{
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0);
	on(r, IPPROTO_IPV6, IPV6_RECVHOPOPTS);
	on(r, IPPROTO_IPV6, IPV6_RECVDSTOPTS);
	on(r, IPPROTO_IPV6, IPV6_RECVRTHDR);
	struct cm b;
#define CM(...) (memset(&b, 0, sizeof(b)), __VA_ARGS__)
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8));
	try_send("IPV6_HOPOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_DSTOPTS, opts16, 16));
	try_send("IPV6_DSTOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_DSTOPTS, opts8, 8), cm_ext(&b, IPV6_HOPOPTS, opts16, 16));
	try_send("IPV6_DSTOPTS and IPV6_HOPOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_RTHDRDSTOPTS, opts8, 8));
	try_send("IPV6_RTHDRDSTOPTS alone", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_RTHDRDSTOPTS, opts8, 8), cm_ext(&b, IPV6_DSTOPTS, opts16, 16));
	try_send("IPV6_RTHDRDSTOPTS and IPV6_DSTOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_2292HOPOPTS, opts16, 16));
	try_send("IPV6_2292HOPOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_2292DSTOPTS, opts8, 8));
	try_send("IPV6_2292DSTOPTS", s, r, &a, &b);
	/* a header shorter than its message: what its length byte says
	 * (here an option runs past it: the receiver drops the datagram) */
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_HOPOPTS, opts16, 16, 16), b.buf[CMSG_LEN(0) + 1] = 0);
	try_send("IPV6_HOPOPTS of 8 in 16 bytes, an option past it", s, r, &a, &b);
	static const unsigned char opts8more[16] = { 0, 0, 1, 4, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8more, 16));
	try_send("IPV6_HOPOPTS of 8 and 8 bytes more", s, r, &a, &b);
	/* (a message past the buffer) */
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_HOPOPTS, opts8, 8, 12));
	try_send("IPV6_HOPOPTS past the buffer", s, r, &a, &b);
	/* the errors */
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_HOPOPTS, opts8, 8, 1));
	try_send("IPV6_HOPOPTS of 1 byte", s, r, &a, &b);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_DSTOPTS, opts8, 8, 0));
	try_send("IPV6_DSTOPTS of 0 bytes", s, r, &a, &b);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_HOPOPTS, opts16, 16, 8));
	try_send("IPV6_HOPOPTS of 16 in 8 bytes", s, r, &a, &b);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_2292DSTOPTS, opts16, 16, 15));
	try_send("IPV6_2292DSTOPTS of 16 in 15 bytes", s, r, &a, &b);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, opts16, 16, 2));
	try_send("IPV6_RTHDRDSTOPTS of 16 in 2 bytes", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8), cm_ext(&b, IPV6_HOPOPTS, opts8, 8));
	try_send("IPV6_HOPOPTS twice", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8), cm_ext(&b, IPV6_2292HOPOPTS, opts8, 8));
	try_send("IPV6_HOPOPTS and IPV6_2292HOPOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_2292DSTOPTS, opts8, 8), cm_ext(&b, IPV6_2292DSTOPTS, opts8, 8));
	try_send("IPV6_2292DSTOPTS twice", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_DSTOPTS, opts8, 8), cm_ext(&b, IPV6_2292DSTOPTS, opts8, 8));
	try_send("IPV6_DSTOPTS then IPV6_2292DSTOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_RTHDR, rthdr0, 8));
	try_send("IPV6_RTHDR type 0", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_RTHDR, rthdr2, 24));
	try_send("IPV6_RTHDR type 2", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_2292RTHDR, rthdr0, 8));
	try_send("IPV6_2292RTHDR type 0", s, r, &a, &b);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_RTHDR, rthdr0, 8, 3));
	try_send("IPV6_RTHDR of 3 bytes", s, r, &a, &b);
	/* a bad one after a good one: nothing goes */
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8), cm_ext(&b, IPV6_RTHDR, rthdr0, 8));
	try_send("IPV6_HOPOPTS then a bad IPV6_RTHDR", s, r, &a, &b);
	/* and the sticky ones: a send's headers take the place of all of
	 * them, other control messages leave them */
	TRY("sticky IPV6_HOPOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_HOPOPTS, opts16, 16));
	TRY("sticky IPV6_DSTOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_DSTOPTS, opts8, 8));
	int tc = 0x20;
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc), sizeof(tc)));
	try_send("sticky, IPV6_TCLASS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_DSTOPTS, opts16, 16));
	try_send("sticky, IPV6_DSTOPTS", s, r, &a, &b);
	CM(cm_ext(&b, IPV6_RTHDRDSTOPTS, opts8, 8));
	try_send("sticky, IPV6_RTHDRDSTOPTS", s, r, &a, &b);
	memset(&b, 0, sizeof(b));
	try_send("sticky, no control message", s, r, &a, &b);
	/* the other IPv6 messages as ip6_datagram_send_ctl takes them */
	int v = 7;
	on(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &v, sizeof(v), sizeof(v)));
	try_send("IPV6_2292HOPLIMIT 7", s, r, &a, &b);
	v = 256;
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &v, sizeof(v), sizeof(v)));
	try_send("IPV6_2292HOPLIMIT 256", s, r, &a, &b);
	v = 2;
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v), sizeof(v)));
	try_send("IPV6_DONTFRAG 2", s, r, &a, &b);
	v = -1;
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_DONTFRAG, &v, sizeof(v), sizeof(v)));
	try_send("IPV6_DONTFRAG -1", s, r, &a, &b);
	v = 0;
	setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &v, sizeof(v));
	/* an IPv4 destination passes them over */
	int r4 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 m4 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &m4.sin6_addr);
	socklen_t ml = sizeof(m4);
	bind(r4, (struct sockaddr *)&m4, sizeof(m4));
	getsockname(r4, (struct sockaddr *)&m4, &ml);
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8), cm_ext(&b, IPV6_RTHDR, rthdr0, 8));
	try_send("to a v4-mapped address", s, r4, &m4, &b);
	close(r4);
	/* fragments carry them (IPV6_MTU 1280) */
	int mtu = 1280;
	setsockopt(s, IPPROTO_IPV6, IPV6_MTU, &mtu, sizeof(mtu));
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8), cm_ext(&b, IPV6_DSTOPTS, opts16, 16));
	R("3000 bytes in fragments", send_cm(s, &a, &b, 3000));
	read_msg("3000 bytes in fragments", r, 1);
	close(s);
	close(r);
#undef CM
}

/* Without CAP_NET_RAW: which a send may carry (EPERM after the checks of
 * the length). */
static void ext_unprivileged(void)
{
	drop_cap(CAP_NET_RAW);
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0);
	on(r, IPPROTO_IPV6, IPV6_RECVHOPOPTS);
	struct cm b;
	static const int types[] = { IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS, IPV6_2292HOPOPTS,
				     IPV6_2292DSTOPTS };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char step[60];
		memset(&b, 0, sizeof(b));
		cm_ext(&b, types[i], opts8, 8);
		snprintf(step, sizeof(step), "no CAP_NET_RAW, type %d", types[i]);
		try_send(step, s, r, &a, &b);
		memset(&b, 0, sizeof(b));
		cm_add(&b, IPPROTO_IPV6, types[i], opts16, 16, 8);
		snprintf(step, sizeof(step), "no CAP_NET_RAW, type %d too short", types[i]);
		try_send(step, s, r, &a, &b);
	}
	memset(&b, 0, sizeof(b));
	cm_ext(&b, IPV6_RTHDR, rthdr0, 8);
	try_send("no CAP_NET_RAW, IPV6_RTHDR", s, r, &a, &b);
	close(s);
	close(r);
}

/* IPV6_RECVPATHMTU after a send refused as too big, IPV6_DONTFRAG given
 * as a control message (the socket's is off), and with headers of the
 * send's own. */
static void pathmtu_cmsg(void)
{
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0), mtu = 1280, one = 1;
	connect(s, (struct sockaddr *)&a, sizeof(a));
	setsockopt(s, IPPROTO_IPV6, IPV6_MTU, &mtu, sizeof(mtu));
	on(s, IPPROTO_IPV6, IPV6_RECVPATHMTU);
	struct cm b;
	memset(&b, 0, sizeof(b));
	cm_add(&b, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one), sizeof(one));
	R("send 2000, IPV6_DONTFRAG as a message", send_cm(s, NULL, &b, 2000));
	read_msg("its report", s, 0);
	cm_ext(&b, IPV6_HOPOPTS, opts16, 16);
	R("send 2000, with IPV6_HOPOPTS too", send_cm(s, NULL, &b, 2000));
	read_msg("its report", s, 0);
	R("send 1200, with IPV6_HOPOPTS too", send_cm(s, NULL, &b, 1200));
	read_msg("no report", s, 0);
	read_msg("the datagram", r, 1);
	int zero = 0;
	memset(&b, 0, sizeof(b));
	cm_add(&b, IPPROTO_IPV6, IPV6_DONTFRAG, &zero, sizeof(zero), sizeof(zero));
	setsockopt(s, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
	R("send 2000, socket IPV6_DONTFRAG, message 0", send_cm(s, NULL, &b, 2000));
	read_msg("no report", s, 0);
	read_msg("the datagram", r, 1);
	close(s);
	close(r);
}


static void sticky_get(const char *step, int s, int opt)
{
	unsigned char b[64];
	memset(b, 0xee, sizeof(b));
	socklen_t l = sizeof(b);
	errno = 0;
	int r = getsockopt(s, IPPROTO_IPV6, opt, b, &l);
	char hex[140] = "";
	for (socklen_t i = 0; r == 0 && i < l && i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	V(step, "ret=%d errno=%s len=%u %s", r, errname(r < 0 ? errno : 0), (unsigned)l, hex);
}

/* The sticky headers as getsockopt gives them back. */
static void sticky_all(const char *step, int s)
{
	char st[100];
	snprintf(st, sizeof(st), "%s, IPV6_HOPOPTS", step);
	sticky_get(st, s, IPV6_HOPOPTS);
	snprintf(st, sizeof(st), "%s, IPV6_DSTOPTS", step);
	sticky_get(st, s, IPV6_DSTOPTS);
	snprintf(st, sizeof(st), "%s, IPV6_RTHDRDSTOPTS", step);
	sticky_get(st, s, IPV6_RTHDRDSTOPTS);
}

static void pktoptions_set(const char *step, int s, const struct cm *b, socklen_t len)
{
	errno = 0;
	R(step, setsockopt(s, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, b->buf, len));
	sticky_all(step, s);
}

/* IPV6_2292PKTOPTIONS read: the control messages, each as a line. */
static void pktoptions_get(const char *step, int s, socklen_t len)
{
	static char buf[1024] __attribute__((aligned(8)));
	memset(buf, 0xee, sizeof(buf));
	socklen_t l = len;
	errno = 0;
	int r = getsockopt(s, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, buf, &l);
	V(step, "ret=%d errno=%s len=%u", r, errname(r < 0 ? errno : 0), (unsigned)l);
	if (r < 0)
		return;
	struct msghdr m = { .msg_control = buf, .msg_controllen = l };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		char hex[100] = "";
		/* (an IPV6_ORIGDSTADDR's port is the listener's, a new one
		 * each run) */
		int port = c->cmsg_type == IPV6_ORIGDSTADDR;
		for (size_t i = 0; i < dl && i < 48 && CMSG_LEN(i + 1) <= l; i++)
			snprintf(hex + 2 * i, 3, "%02x", port && (i == 2 || i == 3) ? 0 : CMSG_DATA(c)[i]);
		V(step, "cmsg level %d type %d len %zu %s", c->cmsg_level, c->cmsg_type, dl, hex);
	}
}

/* IPV6_2292PKTOPTIONS set: the sticky headers from a buffer of control
 * messages, on UDP and TCP; read on UDP. */
static void pktoptions_udp(void)
{
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0), tc = 0x20, ttl = 9;
	on(r, IPPROTO_IPV6, IPV6_RECVHOPOPTS);
	on(r, IPPROTO_IPV6, IPV6_RECVDSTOPTS);
	on(r, IPPROTO_IPV6, IPV6_RECVTCLASS);
	struct cm b;
	pktoptions_get("udp IPV6_2292PKTOPTIONS read", s, 256);
#define CM(...) (memset(&b, 0, sizeof(b)), __VA_ARGS__)
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8), cm_ext(&b, IPV6_DSTOPTS, opts16, 16));
	pktoptions_set("set hop-by-hop and destination", s, &b, (socklen_t)b.len);
	sendto(s, "p", 1, 0, (struct sockaddr *)&a, sizeof(a));
	read_msg("sent after it", r, 1);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc), sizeof(tc)));
	pktoptions_set("set IPV6_TCLASS only", s, &b, (socklen_t)b.len);
	sendto(s, "q", 1, 0, (struct sockaddr *)&a, sizeof(a));
	read_msg("sent after IPV6_TCLASS only", r, 1);
	CM(cm_ext(&b, IPV6_2292HOPOPTS, opts16, 16), cm_ext(&b, IPV6_RTHDRDSTOPTS, opts8, 8),
	   cm_ext(&b, IPV6_2292DSTOPTS, opts8, 8));
	pktoptions_set("set the RFC 2292 names", s, &b, (socklen_t)b.len);
	pktoptions_set("set none", s, &b, 0);
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8));
	pktoptions_set("set hop-by-hop again", s, &b, (socklen_t)b.len);
	/* errors leave the headers as they were */
	CM(cm_ext(&b, IPV6_DSTOPTS, opts8, 8), cm_ext(&b, IPV6_RTHDR, rthdr0, 8));
	pktoptions_set("set with a routing header", s, &b, (socklen_t)b.len);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_DSTOPTS, opts16, 16, 8));
	pktoptions_set("set a short header", s, &b, (socklen_t)b.len);
	CM(cm_add(&b, IPPROTO_IPV6, 99, &tc, sizeof(tc), sizeof(tc)));
	pktoptions_set("set an unknown type", s, &b, (socklen_t)b.len);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_HOPLIMIT, &tc, 2, 2));
	pktoptions_set("set a short IPV6_HOPLIMIT", s, &b, (socklen_t)b.len);
	struct in6_pktinfo pi = { .ipi6_ifindex = 0 };
	inet_pton(AF_INET6, "2001:db8::1", &pi.ipi6_addr);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi), sizeof(pi)));
	pktoptions_set("set IPV6_PKTINFO not ours", s, &b, (socklen_t)b.len);
	pi.ipi6_addr = in6addr_loopback;
	pi.ipi6_ifindex = 99;
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi), sizeof(pi)));
	pktoptions_set("set IPV6_PKTINFO no interface", s, &b, (socklen_t)b.len);
	CM(cm_add(&b, IPPROTO_IPV6, IPV6_DSTOPTS, opts8, 8, 12));
	pktoptions_set("set a message past the buffer", s, &b, (socklen_t)b.len);
	CM(cm_add(&b, SOL_SOCKET, 12345, &tc, sizeof(tc), sizeof(tc)));
	pktoptions_set("set an unknown SOL_SOCKET one", s, &b, (socklen_t)b.len);
	TRY("set a bad pointer", setsockopt(s, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, (void *)8, 32));
	static char huge[65537];
	TRY("set 65537 bytes", setsockopt(s, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, huge, sizeof(huge)));
	sticky_all("after the errors", s);
	/* IPv4's level is passed over; fewer bytes than a header, none */
	CM(cm_add(&b, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl), sizeof(ttl)));
	pktoptions_set("set IP_TTL", s, &b, (socklen_t)b.len);
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8));
	pktoptions_set("set hop-by-hop once more", s, &b, (socklen_t)b.len);
	pktoptions_set("set 5 bytes", s, &b, 5);
	TRY("set NULL, 0 bytes", setsockopt(s, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, NULL, 0));
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	CM(cm_ext(&b, IPV6_HOPOPTS, opts8, 8));
	TRY("udp4 set", setsockopt(u4, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, b.buf, (socklen_t)b.len));
	close(u4);
	close(s);
	close(r);
#undef CM
}

static void pktoptions_unprivileged(void)
{
	drop_cap(CAP_NET_RAW);
	int s = socket(AF_INET6, SOCK_DGRAM, 0), tc = 0x20;
	struct cm b;
	memset(&b, 0, sizeof(b));
	cm_ext(&b, IPV6_DSTOPTS, opts8, 8);
	pktoptions_set("no CAP_NET_RAW, set IPV6_DSTOPTS", s, &b, (socklen_t)b.len);
	memset(&b, 0, sizeof(b));
	cm_add(&b, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc), sizeof(tc));
	pktoptions_set("no CAP_NET_RAW, set IPV6_TCLASS", s, &b, (socklen_t)b.len);
	pktoptions_set("no CAP_NET_RAW, set none", s, &b, 0);
	close(s);
}

/* A TCP pair over ::1: *c the client, *s the accepted side. Neither side
 * labels its segments (a label of Linux's choice is a hash). */
static void tcp6_pair(int *c, int *s, int client_opt, const void *v, socklen_t vl)
{
	struct sockaddr_in6 a = lo6(0);
	socklen_t al = sizeof(a);
	int l = socket(AF_INET6, SOCK_STREAM, 0), zero = 0;
	setsockopt(l, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&a, &al);
	*c = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(*c, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	if (client_opt)
		setsockopt(*c, IPPROTO_IPV6, client_opt, v, vl);
	connect(*c, (struct sockaddr *)&a, sizeof(a));
	*s = accept(l, NULL, NULL);
	close(l);
}

/* Data from c to s, read. */
static void tcp_data(int c, int s)
{
	char d[8];
	send(c, "d", 1, 0);
	struct pollfd p = { s, POLLIN, 0 };
	poll(&p, 1, 2000);
	recv(s, d, sizeof(d), MSG_DONTWAIT);
}

/* IPV6_2292PKTOPTIONS read on TCP: what the last segment in order
 * brought, for the receive flags that are on. */
static void pktoptions_tcp(void)
{
	int c, s, tc = 0x28;
	tcp6_pair(&c, &s, 0, NULL, 0);
	pktoptions_get("tcp no flags", s, 256);
	tcp_data(c, s);
	pktoptions_get("tcp no flags, after data", s, 256);
	on(s, IPPROTO_IPV6, IPV6_2292PKTINFO);
	on(s, IPPROTO_IPV6, IPV6_2292HOPLIMIT);
	pktoptions_get("tcp 2292 flags, before data", s, 256);
	get_int("IPV6_MULTICAST_HOPS before", s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS);
	tcp_data(c, s);
	pktoptions_get("tcp 2292 flags, after data", s, 256);
	get_int("IPV6_MULTICAST_HOPS after", s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS);
	get_int("IPV6_MULTICAST_IF after", s, IPPROTO_IPV6, IPV6_MULTICAST_IF);
	on(s, IPPROTO_IPV6, IPV6_RECVPKTINFO);
	on(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT);
	on(s, IPPROTO_IPV6, IPV6_RECVTCLASS);
	on(s, IPPROTO_IPV6, IPV6_FLOWINFO);
	pktoptions_get("tcp more flags", s, 256);
	pktoptions_get("tcp more flags, 40 bytes", s, 40);
	pktoptions_get("tcp more flags, 0 bytes", s, 0);
	/* a traffic class: the flow information is not 0, the segment is kept */
	setsockopt(c, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc));
	tcp_data(c, s);
	pktoptions_get("tcp with a traffic class", s, 256);
	close(c);
	close(s);
	/* a client's Destination Options */
	tcp6_pair(&c, &s, IPV6_DSTOPTS, opts16, sizeof(opts16));
	on(s, IPPROTO_IPV6, IPV6_RECVDSTOPTS);
	on(s, IPPROTO_IPV6, IPV6_2292DSTOPTS);
	pktoptions_get("tcp destination options, before data", s, 256);
	tcp_data(c, s);
	pktoptions_get("tcp destination options", s, 256);
	on(s, IPPROTO_IPV6, IPV6_RECVPKTINFO);
	on(s, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR);
	pktoptions_get("tcp destination options, more flags", s, 256);
	/* the client stops sending them: the next segment clears it */
	setsockopt(c, IPPROTO_IPV6, IPV6_DSTOPTS, NULL, 0);
	tcp_data(c, s);
	pktoptions_get("tcp without destination options", s, 256);
	/* set on TCP: the sticky headers too */
	struct cm b;
	memset(&b, 0, sizeof(b));
	cm_ext(&b, IPV6_HOPOPTS, opts8, 8);
	pktoptions_set("tcp set hop-by-hop", c, &b, (socklen_t)b.len);
	tcp_data(c, s);
	pktoptions_get("tcp hop-by-hop", s, 256);
	close(c);
	close(s);
}

void case_ip6_options_rest(void)
{
	ext_cmsgs();
	ck_child(ext_unprivileged);
	pathmtu_cmsg();
	pktoptions_udp();
	ck_child(pktoptions_unprivileged);
	pktoptions_tcp();
}
