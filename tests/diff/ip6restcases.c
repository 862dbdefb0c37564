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
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
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

/* linux/in6.h's flow label manager (its header does not mix with glibc's) */
#ifndef IPV6_FLOWLABEL_MGR
#define IPV6_FLOWLABEL_MGR 32
#endif
struct fl_req {
	struct in6_addr flr_dst;
	uint32_t flr_label;
	uint8_t flr_action, flr_share;
	uint16_t flr_flags, flr_expires, flr_linger;
	uint32_t pad;
};
enum { FL_A_GET = 0, FL_A_PUT = 1, FL_A_RENEW = 2 };
enum { FL_F_CREATE = 1, FL_F_EXCL = 2, FL_F_REFLECT = 4, FL_F_REMOTE = 8 };
enum { FL_S_NONE = 0, FL_S_EXCL = 1, FL_S_PROCESS = 2, FL_S_USER = 3, FL_S_ANY = 255 };

/* One IPV6_FLOWLABEL_MGR set, as a result line; *label takes the label
 * Linux writes back (a request for label 0). */
static long fl_set(const char *step, int s, int action, uint32_t label, int share, int flags, int linger,
		   int expires)
{
	struct fl_req q;
	memset(&q, 0, sizeof(q));
	q.flr_dst = in6addr_loopback;
	q.flr_label = htonl(label);
	q.flr_action = (uint8_t)action;
	q.flr_share = (uint8_t)share;
	q.flr_flags = (uint16_t)flags;
	q.flr_linger = (uint16_t)linger;
	q.flr_expires = (uint16_t)expires;
	errno = 0;
	long r = setsockopt(s, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &q, sizeof(q));
	R(step, r);
	return r == 0 && label == 0 ? (long)ntohl(q.flr_label) : r;
}

/* IPV6_FLOWLABEL_MGR read (flags: IPV6_FL_F_REMOTE), as a line: the
 * lease of the socket's connected label. */
static void fl_get(const char *step, int s, int flags)
{
	struct fl_req q;
	memset(&q, 0xee, sizeof(q));
	q.flr_action = FL_A_GET;
	q.flr_flags = (uint16_t)flags;
	socklen_t l = sizeof(q);
	errno = 0;
	int r = getsockopt(s, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &q, &l);
	char a[64] = "";
	inet_ntop(AF_INET6, &q.flr_dst, a, sizeof(a));
	if (r < 0) {
		V(step, "ret=%d errno=%s len=%u", r, errname(errno), (unsigned)l);
		return;
	}
	/* (the seconds left before it expires: about what was asked) */
	V(step, "ret=0 len=%u label %#x dst %s action %d share %d flags %d linger %d expires %s", (unsigned)l,
	  ntohl(q.flr_label), a, q.flr_action, q.flr_share, q.flr_flags, q.flr_linger,
	  q.flr_expires >= 55 && q.flr_expires <= 60 ? "55-60" : q.flr_expires == 0 ? "0" : "other");
}

/* A sendto with sin6_flowinfo's label (IPV6_FLOWINFO_SEND on), and the
 * label the receiver sees. */
static void fl_send(const char *step, int s, int r, struct sockaddr_in6 a, uint32_t label)
{
	a.sin6_flowinfo = htonl(label);
	errno = 0;
	long n = sendto(s, "l", 1, 0, (struct sockaddr *)&a, sizeof(a));
	R(step, n);
	if (n > 0)
		read_msg(step, r, 1);
}

static void fl_send_cmsg(const char *step, int s, int r, const struct sockaddr_in6 *a, uint32_t label)
{
	struct cm b;
	memset(&b, 0, sizeof(b));
	uint32_t fi = htonl(label);
	cm_add(&b, IPPROTO_IPV6, IPV6_FLOWINFO, &fi, sizeof(fi), sizeof(fi));
	try_send(step, s, r, a, &b);
}

static int fl_sock(void)
{
	int s = socket(AF_INET6, SOCK_DGRAM, 0), zero = 0;
	setsockopt(s, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	on(s, IPPROTO_IPV6, IPV6_FLOWINFO_SEND);
	return s;
}

/* Another process: a lease shared by process or by user. */
static void fl_other_process(void)
{
	int s = fl_sock();
	fl_set("other process, PROCESS lease", s, FL_A_GET, 0x44444, FL_S_PROCESS, 0, 10, 60);
	fl_set("other process, USER lease", s, FL_A_GET, 0x55555, FL_S_USER, 0, 10, 60);
	fl_set("other process, ANY lease", s, FL_A_GET, 0x11111, FL_S_ANY, 0, 10, 60);
	if (seteuid(1000) == 0) {
		fl_set("other user, USER lease", s, FL_A_GET, 0x55555, FL_S_USER, 0, 10, 60);
		fl_set("other user, linger 200", s, FL_A_GET, 0x66666, FL_S_ANY, FL_F_CREATE, 200, 60);
		fl_set("other user, expires 200", s, FL_A_GET, 0x66666, FL_S_ANY, FL_F_CREATE, 10, 200);
		fl_set("other user, RENEW another's", s, FL_A_RENEW, 0x44444, FL_S_NONE, 0, 10, 60);
		if (seteuid(0) < 0)
			_exit(1);
	}
	close(s);
}

/* IPV6_FLOWLABEL_MGR: leases of flow labels, their sharing, and what an
 * exclusive one does to the labels other sockets send. */
static void flowlabel_mgr(void)
{
	struct sockaddr_in6 a;
	int r = bound6(&a), s1 = fl_sock(), s2 = fl_sock();
	on(r, IPPROTO_IPV6, IPV6_FLOWINFO);
	/* before any exclusive lease: any label goes */
	fl_send("before, label 0x33333", s2, r, a, 0x33333);
	fl_send_cmsg("before, IPV6_FLOWINFO 0x33333", s2, r, &a, 0x33333);
	/* the requests' errors */
	struct fl_req q;
	memset(&q, 0, sizeof(q));
	TRY("set 31 bytes", setsockopt(s1, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &q, 31));
	TRY("set a bad pointer", setsockopt(s1, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, (void *)8, 32));
	fl_set("action 7", s1, 7, 0x12345, FL_S_ANY, 0, 10, 60);
	fl_set("GET an unknown label", s1, FL_A_GET, 0x12345, FL_S_ANY, 0, 10, 60);
	fl_set("GET a label past 20 bits", s1, FL_A_GET, 0x123456, FL_S_ANY, FL_F_CREATE, 10, 60);
	fl_set("GET share 7", s1, FL_A_GET, 0x12345, 7, FL_F_CREATE, 10, 60);
	fl_set("GET linger 200", s1, FL_A_GET, 0x12345, 7, FL_F_CREATE, 200, 60);
	q.flr_label = htonl(0x12345);
	q.flr_share = FL_S_ANY;
	q.flr_flags = FL_F_CREATE;
	TRY("GET to ::", setsockopt(s1, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &q, sizeof(q)));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &q.flr_dst);
	TRY("GET to a v4-mapped address", setsockopt(s1, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &q, sizeof(q)));
	fl_set("GET with REFLECT", s1, FL_A_GET, 0, FL_S_ANY, FL_F_REFLECT, 10, 60);
	fl_set("PUT with REFLECT", s1, FL_A_PUT, 0, FL_S_ANY, FL_F_REFLECT, 10, 60);
	fl_set("PUT an unknown label", s1, FL_A_PUT, 0x12345, FL_S_ANY, 0, 10, 60);
	fl_set("RENEW an unknown label", s1, FL_A_RENEW, 0x12345, FL_S_ANY, 0, 10, 60);
	/* a shared lease */
	fl_set("s1 creates 0x11111 ANY", s1, FL_A_GET, 0x11111, FL_S_ANY, FL_F_CREATE, 10, 60);
	fl_set("s1 again, EXCL", s1, FL_A_GET, 0x11111, FL_S_ANY, FL_F_CREATE | FL_F_EXCL, 10, 60);
	fl_set("s2 takes 0x11111 ANY", s2, FL_A_GET, 0x11111, FL_S_ANY, 0, 10, 60);
	fl_send("shared lease, label 0x33333", s2, r, a, 0x33333);
	/* (a request of an exclusive kind turns the check on even when it
	 * fails) */
	fl_set("s2 takes 0x11111 as EXCL", s2, FL_A_GET, 0x11111, FL_S_EXCL, 0, 10, 60);
	fl_set("s2 takes 0x11111 as USER", s2, FL_A_GET, 0x11111, FL_S_USER, FL_F_CREATE, 10, 60);
	/* by process, by user */
	fl_set("s1 creates 0x44444 PROCESS", s1, FL_A_GET, 0x44444, FL_S_PROCESS, FL_F_CREATE, 10, 60);
	fl_set("s2 takes 0x44444 PROCESS", s2, FL_A_GET, 0x44444, FL_S_PROCESS, 0, 10, 60);
	fl_set("s1 creates 0x55555 USER", s1, FL_A_GET, 0x55555, FL_S_USER, FL_F_CREATE, 10, 60);
	ck_child(fl_other_process);
	/* an exclusive lease: from now on a label goes only from a socket
	 * that holds it */
	fl_set("s1 creates 0x22222 EXCL", s1, FL_A_GET, 0x22222, FL_S_EXCL, FL_F_CREATE, 10, 60);
	fl_set("s1 takes it again", s1, FL_A_GET, 0x22222, FL_S_EXCL, 0, 10, 60);
	fl_set("s2 takes 0x22222", s2, FL_A_GET, 0x22222, FL_S_EXCL, 0, 10, 60);
	fl_send("s1 sends 0x22222", s1, r, a, 0x22222);
	fl_send("s2 sends 0x22222", s2, r, a, 0x22222);
	fl_send("s2 sends 0x11111", s2, r, a, 0x11111);
	fl_send("s2 sends 0x33333", s2, r, a, 0x33333);
	fl_send("s2 sends 0", s2, r, a, 0);
	fl_send("s2 sends 0x2800000, a class only", s2, r, a, 0x2800000);
	fl_send_cmsg("s2 IPV6_FLOWINFO 0x33333", s2, r, &a, 0x33333);
	fl_send_cmsg("s2 IPV6_FLOWINFO 0x11111", s2, r, &a, 0x11111);
	int s3 = socket(AF_INET6, SOCK_DGRAM, 0), zero = 0;
	setsockopt(s3, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	fl_send("without IPV6_FLOWINFO_SEND", s3, r, a, 0x33333);
	close(s3);
	/* a lease with headers (control messages after the request): a
	 * datagram with its label carries them in place of the socket's,
	 * but for a Destination Options header */
	{
		int s5 = fl_sock();
		on(r, IPPROTO_IPV6, IPV6_RECVHOPOPTS);
		on(r, IPPROTO_IPV6, IPV6_RECVDSTOPTS);
		struct {
			struct fl_req q;
			char cm[64] __attribute__((aligned(8)));
		} lq;
		memset(&lq, 0, sizeof(lq));
		lq.q.flr_dst = in6addr_loopback;
		lq.q.flr_label = htonl(0x99999);
		lq.q.flr_share = FL_S_ANY;
		lq.q.flr_flags = FL_F_CREATE;
		struct cmsghdr *h = (struct cmsghdr *)lq.cm;
		h->cmsg_level = IPPROTO_IPV6;
		h->cmsg_type = IPV6_DSTOPTS;
		h->cmsg_len = CMSG_LEN(8);
		memcpy(CMSG_DATA(h), opts8, 8);
		TRY("lease with IPV6_DSTOPTS", setsockopt(s5, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &lq,
							   sizeof(lq.q) + CMSG_SPACE(8)));
		h->cmsg_type = IPV6_RTHDR;
		memcpy(CMSG_DATA(h), rthdr0, 8);
		TRY("lease with IPV6_RTHDR", setsockopt(s5, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &lq,
							 sizeof(lq.q) + CMSG_SPACE(8)));
		h->cmsg_type = IPV6_HOPOPTS;
		memcpy(CMSG_DATA(h), opts8, 8);
		TRY("lease with IPV6_HOPOPTS", setsockopt(s5, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &lq,
							   sizeof(lq.q) + CMSG_SPACE(8)));
		fl_set("s5 creates 0xaaaaa", s5, FL_A_GET, 0xaaaaa, FL_S_ANY, FL_F_CREATE, 10, 60);
		setsockopt(s5, IPPROTO_IPV6, IPV6_HOPOPTS, opts16, 16);
		fl_send("s5 sends 0x99999, its own Hop-by-Hop", s5, r, a, 0x99999);
		setsockopt(s5, IPPROTO_IPV6, IPV6_DSTOPTS, opts8, 8);
		fl_send("s5 sends 0x99999, and Destination Options", s5, r, a, 0x99999);
		fl_send("s5 sends 0xaaaaa", s5, r, a, 0xaaaaa);
		fl_send("s5 sends 0", s5, r, a, 0);
		struct cm b;
		memset(&b, 0, sizeof(b));
		cm_ext(&b, IPV6_DSTOPTS, opts16, 16);
		a.sin6_flowinfo = htonl(0x99999);
		try_send("s5 sends 0x99999, Destination Options as a message", s5, r, &a, &b);
		a.sin6_flowinfo = 0;
		close(s5);
		int zero6 = 0;
		setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPOPTS, &zero6, sizeof(zero6));
		setsockopt(r, IPPROTO_IPV6, IPV6_RECVDSTOPTS, &zero6, sizeof(zero6));
	}
	/* getsockopt: the lease of the connected label */
	fl_get("s1 unconnected", s1, 0);
	fl_get("s1 REMOTE", s1, FL_F_REMOTE);
	struct sockaddr_in6 c = a;
	c.sin6_flowinfo = htonl(0x33333);
	TRY("s2 connect with 0x33333", connect(s2, (struct sockaddr *)&c, sizeof(c)));
	c.sin6_flowinfo = htonl(0x11111);
	TRY("s2 connect with 0x11111", connect(s2, (struct sockaddr *)&c, sizeof(c)));
	TRY("s2 send connected", send(s2, "c", 1, 0));
	read_msg("s2 send connected", r, 1);
	fl_get("s2 connected", s2, 0);
	socklen_t l = 31;
	TRY("get 31 bytes", getsockopt(s2, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &q, &l));
	q.flr_action = FL_A_PUT;
	l = sizeof(q);
	TRY("get action PUT", getsockopt(s2, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &q, &l));
	/* RENEW, PUT */
	fl_set("s1 RENEW 0x11111 linger 20", s1, FL_A_RENEW, 0x11111, FL_S_ANY, 0, 20, 60);
	fl_get("s2 after the renewal", s2, 0);
	fl_set("s1 RENEW linger 200", s1, FL_A_RENEW, 0x11111, FL_S_ANY, 0, 200, 60);
	fl_set("s2 PUT 0x11111", s2, FL_A_PUT, 0x11111, FL_S_ANY, 0, 10, 60);
	fl_get("s2 after PUT", s2, 0);
	fl_set("s2 PUT 0x11111 again", s2, FL_A_PUT, 0x11111, FL_S_ANY, 0, 10, 60);
	fl_set("s2 RENEW 0x22222 as NONE", s2, FL_A_RENEW, 0x22222, FL_S_NONE, 0, 10, 60);
	fl_set("s2 RENEW 0x77777 as NONE", s2, FL_A_RENEW, 0x77777, FL_S_NONE, 0, 10, 60);
	TRY("s2 send after PUT", send(s2, "d", 1, 0));
	read_msg("s2 send after PUT", r, 1);
	/* a label of Linux's choice */
	long got = fl_set("s1 creates label 0", s1, FL_A_GET, 0, FL_S_ANY, FL_F_CREATE, 10, 60);
	V("its label", "%s", got > 0 && got <= 0xfffff ? "in 20 bits" : "other");
	if (got > 0) {
		c.sin6_flowinfo = htonl((uint32_t)got);
		TRY("s1 connect with it", connect(s1, (struct sockaddr *)&c, sizeof(c)));
		struct fl_req g;
		memset(&g, 0, sizeof(g));
		l = sizeof(g);
		getsockopt(s1, IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, &g, &l);
		V("s1 read back", "%s", ntohl(g.flr_label) == (uint32_t)got ? "the same" : "other");
	}
	/* the holder closes: the lease lingers (6 s at least), exclusive;
	 * taken again with IPV6_FL_F_CREATE */
	close(s1);
	fl_set("s2 takes 0x22222 after close", s2, FL_A_GET, 0x22222, FL_S_EXCL, FL_F_CREATE, 10, 60);
	/* (not without IPV6_FL_F_CREATE: Linux drops a closed socket's
	 * leases when it destroys the socket, after an RCU grace period,
	 * so whether the lease is still held then is a race) */
	fl_set("s2 creates 0x11111 after close", s2, FL_A_GET, 0x11111, FL_S_ANY, FL_F_CREATE, 10, 60);
	int s4 = fl_sock();
	fl_send("a new socket sends 0x33333", s4, r, a, 0x33333);
	close(s4);
	close(s2);
	/* TCP: a connect's label (IPV6_FLOWINFO_SEND) as the peer sees it */
	struct sockaddr_in6 la = lo6(0);
	socklen_t lal = sizeof(la);
	int tl = socket(AF_INET6, SOCK_STREAM, 0), tc = socket(AF_INET6, SOCK_STREAM, 0);
	bind(tl, (struct sockaddr *)&la, sizeof(la));
	listen(tl, 1);
	getsockname(tl, (struct sockaddr *)&la, &lal);
	setsockopt(tc, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	on(tc, IPPROTO_IPV6, IPV6_FLOWINFO_SEND);
	la.sin6_flowinfo = htonl(0x33333);
	TRY("tcp connect with 0x33333", connect(tc, (struct sockaddr *)&la, sizeof(la)));
	fl_set("tcp creates 0x88888", tc, FL_A_GET, 0x88888, FL_S_ANY, FL_F_CREATE, 10, 60);
	la.sin6_flowinfo = htonl(0x88888);
	TRY("tcp connect with 0x88888", connect(tc, (struct sockaddr *)&la, sizeof(la)));
	int ta = accept(tl, NULL, NULL);
	fl_get("tcp client", tc, 0);
	fl_get("tcp accepted REMOTE", ta, FL_F_REMOTE);
	close(ta);
	close(tc);
	close(tl);
	/* TCP: REFLECT, REMOTE */
	int t = socket(AF_INET6, SOCK_STREAM, 0);
	fl_set("tcp GET with REFLECT", t, FL_A_GET, 0, FL_S_ANY, FL_F_REFLECT, 10, 60);
	fl_set("tcp PUT with REFLECT", t, FL_A_PUT, 0, FL_S_ANY, FL_F_REFLECT, 10, 60);
	fl_get("tcp REMOTE", t, FL_F_REMOTE);
	fl_get("tcp", t, 0);
	close(t);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	fl_set("udp4", u4, FL_A_GET, 0x12345, FL_S_ANY, FL_F_CREATE, 10, 60);
	close(u4);
	close(r);
}

/* The flow label manager in a network namespace of its own: once an
 * exclusive lease was asked for in a namespace, Linux checks the labels
 * its sockets send for as long as exclusive leases live (a minute here),
 * which the cases after this one must not meet. */
static void flowlabel_mgr_ns(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		V("unshare net", "%s", errname(errno));
		return;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq q;
	memset(&q, 0, sizeof(q));
	strcpy(q.ifr_name, "lo");
	ioctl(fd, SIOCGIFFLAGS, &q);
	q.ifr_flags |= IFF_UP;
	TRY("new namespace, lo up", ioctl(fd, SIOCSIFFLAGS, &q));
	close(fd);
	flowlabel_mgr();
}

void case_ip6_options_rest(void)
{
	ext_cmsgs();
	ck_child(ext_unprivileged);
	pathmtu_cmsg();
	pktoptions_udp();
	ck_child(pktoptions_unprivileged);
	pktoptions_tcp();
	ck_child(flowlabel_mgr_ns);
}
