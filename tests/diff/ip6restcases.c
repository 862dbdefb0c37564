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

void case_ip6_options_rest(void)
{
	ext_cmsgs();
	ck_child(ext_unprivileged);
	pathmtu_cmsg();
}
