/*
 * ipv6(7)'s options past the int flags of ip6optcases.c, on UDP over ::1:
 * the control messages every receive flag asks for and their order
 * (RFC 3542's and RFC 2292's names, IPV6_FLOWINFO, IPV6_RECVFRAGSIZE and
 * IP_RECVFRAGSIZE on a reassembled datagram), IPV6_PATHMTU and
 * IPV6_RECVPATHMTU, IPV6_FLOWINFO_SEND with a sendto's sin6_flowinfo,
 * IPV6_UNICAST_IF, and the sticky extension headers (IPV6_HOPOPTS,
 * IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS, IPV6_RTHDR): their checks, what
 * getsockopt gives back, and the headers a receiver sees.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* One datagram read with its control messages, each as a line: level,
 * type, length and the bytes (hex, at most 48). `wait`: for it to come
 * (a path MTU report does not poll readable on Linux). */
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
		/* (an IPV6_ORIGDSTADDR's port is the receiver's, a new one
		 * each run) */
		int port = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR;
		for (size_t i = 0; i < dl && i < 48; i++)
			snprintf(hex + 2 * i, 3, "%02x", port && (i == 2 || i == 3) ? 0 : CMSG_DATA(c)[i]);
		V(step, "cmsg level %d type %d len %zu %s", c->cmsg_level, c->cmsg_type, dl, hex);
	}
}

static void read_cmsgs(const char *step, int r)
{
	read_msg(step, r, 1);
}

/* A hop-by-hop or destination options header of 8 bytes: PadN. */
static const unsigned char opts8[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
/* 16 bytes: an unknown option (type 0x1e: skip it) and a PadN (Linux
 * drops more than 7 bytes of padding in a row) */
static const unsigned char opts16[16] = { 0, 1, 0x1e, 6, 0xab, 0xcd, 0xef, 1, 2, 3, 1, 4, 0, 0, 0, 0 };
/* A type 0 routing header with no address and no segment left. */
static const unsigned char rthdr0[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };

/* Every receive flag at once, then the datagrams of a sender without and
 * with sticky headers. */
static void recv_flags(void)
{
	static const int rflags[] = { IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS, IPV6_FLOWINFO,
				      IPV6_RECVHOPOPTS, IPV6_RECVDSTOPTS, IPV6_RECVRTHDR, IPV6_2292PKTINFO,
				      IPV6_2292HOPLIMIT, IPV6_2292HOPOPTS, IPV6_2292DSTOPTS, IPV6_2292RTHDR,
				      IPV6_RECVORIGDSTADDR, IPV6_RECVFRAGSIZE, IPV6_RECVPATHMTU };
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0), zero = 0, tc = 0x28;
	for (size_t i = 0; i < sizeof(rflags) / sizeof(rflags[0]); i++)
		on(r, IPPROTO_IPV6, rflags[i]);
	/* a flow label of Linux's automatic choice is a hash: none here */
	setsockopt(s, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	sendto(s, "a", 1, 0, (struct sockaddr *)&a, sizeof(a));
	read_cmsgs("plain", r);
	setsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc));
	sendto(s, "b", 1, 0, (struct sockaddr *)&a, sizeof(a));
	read_cmsgs("tclass 0x28", r);
	TRY("set IPV6_HOPOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_HOPOPTS, opts8, sizeof(opts8)));
	TRY("set IPV6_DSTOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_DSTOPTS, opts16, sizeof(opts16)));
	sendto(s, "c", 1, 0, (struct sockaddr *)&a, sizeof(a));
	read_cmsgs("hop-by-hop and destination options", r);
	TRY("set IPV6_RTHDRDSTOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, opts8, sizeof(opts8)));
	sendto(s, "d", 1, 0, (struct sockaddr *)&a, sizeof(a));
	read_cmsgs("and routing-header destination options", r);
	/* a fragmented datagram: IPV6_RECVFRAGSIZE (the headers stay in
	 * each fragment) */
	int mtu = 1280;
	setsockopt(s, IPPROTO_IPV6, IPV6_MTU, &mtu, sizeof(mtu));
	static char big[3000];
	TRY("send 3000 bytes, IPV6_MTU 1280", sendto(s, big, sizeof(big), 0, (struct sockaddr *)&a, sizeof(a)));
	read_cmsgs("fragmented", r);
	setsockopt(s, IPPROTO_IPV6, IPV6_HOPOPTS, NULL, 0);
	setsockopt(s, IPPROTO_IPV6, IPV6_DSTOPTS, NULL, 0);
	TRY("send 3000 bytes without headers", sendto(s, big, sizeof(big), 0, (struct sockaddr *)&a, sizeof(a)));
	read_cmsgs("fragmented without headers", r);
	close(s);
	close(r);
}

/* IPv4's IP_RECVFRAGSIZE: a datagram that was not fragmented has none;
 * and the option on an IPv6 socket. */
static void recvfragsize4(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(r, (struct sockaddr *)&a, sizeof(a));
	getsockname(r, (struct sockaddr *)&a, &al);
	get_int("udp4 IP_RECVFRAGSIZE default", r, IPPROTO_IP, IP_RECVFRAGSIZE);
	set_int("udp4 IP_RECVFRAGSIZE set 5", r, IPPROTO_IP, IP_RECVFRAGSIZE, 5);
	get_int("udp4 IP_RECVFRAGSIZE after 5", r, IPPROTO_IP, IP_RECVFRAGSIZE);
	unsigned char one = 1;
	TRY("udp4 IP_RECVFRAGSIZE one byte", setsockopt(r, IPPROTO_IP, IP_RECVFRAGSIZE, &one, 1));
	get_int("udp4 IP_RECVFRAGSIZE after one byte", r, IPPROTO_IP, IP_RECVFRAGSIZE);
	on(r, IPPROTO_IP, IP_RECVFRAGSIZE);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	read_cmsgs("udp4 not fragmented", r);
	/* lo's MTU at 1500 for a moment: a datagram of 3000 bytes is
	 * fragmented, and reassembled */
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_mtu = 1500;
	TRY("lo mtu 1500", ioctl(s, SIOCSIFMTU, &ifr));
	static char big[3000];
	TRY("udp4 send 3000", sendto(s, big, sizeof(big), 0, (struct sockaddr *)&a, sizeof(a)));
	read_cmsgs("udp4 fragmented", r);
	ifr.ifr_mtu = 65536;
	TRY("lo mtu back", ioctl(s, SIOCSIFMTU, &ifr));
	close(s);
	close(r);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	set_int("tcp4 IP_RECVFRAGSIZE", t, IPPROTO_IP, IP_RECVFRAGSIZE, 1);
	get_int("tcp4 IP_RECVFRAGSIZE", t, IPPROTO_IP, IP_RECVFRAGSIZE);
	close(t);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	set_int("udp6 IP_RECVFRAGSIZE", u6, IPPROTO_IP, IP_RECVFRAGSIZE, 1);
	get_int("udp6 IP_RECVFRAGSIZE", u6, IPPROTO_IP, IP_RECVFRAGSIZE);
	close(u6);
}

static void pathmtu_get(const char *step, int s, socklen_t len)
{
	struct ip6_mtuinfo mi;
	memset(&mi, 0xee, sizeof(mi));
	socklen_t l = len;
	errno = 0;
	int r = getsockopt(s, IPPROTO_IPV6, IPV6_PATHMTU, &mi, &l);
	char addr[64] = "";
	inet_ntop(AF_INET6, &mi.ip6m_addr.sin6_addr, addr, sizeof(addr));
	V(step, "ret=%d errno=%s len=%u family %d port %s addr %s scope %u flowinfo %#x mtu %u", r,
	  errname(r < 0 ? errno : 0), (unsigned)l, mi.ip6m_addr.sin6_family,
	  mi.ip6m_addr.sin6_port ? "set" : "0", addr, mi.ip6m_addr.sin6_scope_id, mi.ip6m_addr.sin6_flowinfo,
	  mi.ip6m_mtu);
}

/* IPV6_PATHMTU read, and IPV6_RECVPATHMTU on a send IPV6_DONTFRAG refuses. */
static void pathmtu(void)
{
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0);
	pathmtu_get("IPV6_PATHMTU unconnected", s, sizeof(struct ip6_mtuinfo));
	TRY("set IPV6_PATHMTU", setsockopt(s, IPPROTO_IPV6, IPV6_PATHMTU, &a, sizeof(a)));
	connect(s, (struct sockaddr *)&a, sizeof(a));
	pathmtu_get("IPV6_PATHMTU connected", s, sizeof(struct ip6_mtuinfo));
	pathmtu_get("IPV6_PATHMTU connected, length 8", s, 8);
	pathmtu_get("IPV6_PATHMTU connected, length 40", s, 40);
	int mtu = 1280;
	setsockopt(s, IPPROTO_IPV6, IPV6_MTU, &mtu, sizeof(mtu));
	pathmtu_get("IPV6_PATHMTU with IPV6_MTU 1280", s, sizeof(struct ip6_mtuinfo));
	on(s, IPPROTO_IPV6, IPV6_DONTFRAG);
	static char big[2000];
	TRY("send 2000, IPV6_DONTFRAG, no IPV6_RECVPATHMTU", send(s, big, sizeof(big), 0));
	read_msg("after it", s, 0);
	on(s, IPPROTO_IPV6, IPV6_RECVPATHMTU);
	TRY("send 2000, IPV6_DONTFRAG, IPV6_RECVPATHMTU", send(s, big, sizeof(big), 0));
	TRY("send 1500, the same", send(s, big, 1500, 0));
	struct pollfd pf = { s, POLLIN, 0 };
	V("poll with a report", "%d revents %#x", poll(&pf, 1, 0), pf.revents);
	read_msg("the path MTU", s, 0);
	read_msg("again", s, 0);
	/* with a datagram queued too, and a name to fill */
	int one = 1;
	setsockopt(r, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
	struct sockaddr_in6 sa;
	socklen_t sal = sizeof(sa);
	getsockname(s, (struct sockaddr *)&sa, &sal);
	sendto(r, "q", 1, 0, (struct sockaddr *)&sa, sizeof(sa));
	TRY("send 2000 again", send(s, big, sizeof(big), 0));
	struct sockaddr_in6 from;
	memset(&from, 0xee, sizeof(from));
	char cb[256], d[8];
	struct iovec iov = { d, sizeof(d) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = sizeof(cb) };
	long n = recvmsg(s, &m, MSG_DONTWAIT);
	char addr[64] = "";
	inet_ntop(AF_INET6, &from.sin6_addr, addr, sizeof(addr));
	V("report with a name", "%ld namelen %u family %d port %d addr %s controllen %zu", n, (unsigned)m.msg_namelen,
	  from.sin6_family, ntohs(from.sin6_port), addr, (size_t)m.msg_controllen);
	read_cmsgs("then the datagram", s);
	setsockopt(s, IPPROTO_IPV6, IPV6_HOPOPTS, opts8, sizeof(opts8));
	TRY("send 2000 with a Hop-by-Hop header", send(s, big, sizeof(big), 0));
	read_msg("its path MTU", s, 0);
	int t = socket(AF_INET6, SOCK_STREAM, 0);
	pathmtu_get("tcp IPV6_PATHMTU unconnected", t, sizeof(struct ip6_mtuinfo));
	close(t);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	pathmtu_get("udp4 IPV6_PATHMTU", u4, sizeof(struct ip6_mtuinfo));
	close(u4);
	close(s);
	close(r);
}

/* IPV6_FLOWINFO_SEND: a sendto's sin6_flowinfo (traffic class and label). */
static void flowinfo_send(void)
{
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0), zero = 0;
	on(r, IPPROTO_IPV6, IPV6_FLOWINFO);
	on(r, IPPROTO_IPV6, IPV6_RECVTCLASS);
	setsockopt(s, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	static const uint32_t fi[] = { 0x12345, 0x02800000, 0x0ff00000, 0x80001, 0xfffff };
	for (int send = 0; send < 2; send++) {
		set_int("IPV6_FLOWINFO_SEND", s, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, send);
		for (size_t i = 0; i < sizeof(fi) / sizeof(fi[0]); i++) {
			char step[80];
			a.sin6_flowinfo = htonl(fi[i]);
			snprintf(step, sizeof(step), "sendto flowinfo %#x, FLOWINFO_SEND %d", fi[i], send);
			long n = sendto(s, "f", 1, 0, (struct sockaddr *)&a, sizeof(a));
			R(step, n);
			if (n > 0)
				read_cmsgs(step, r);
		}
	}
	/* connect()'s: the label of a connected socket's datagrams */
	a.sin6_flowinfo = htonl(0x54321);
	TRY("connect with flowinfo 0x54321", connect(s, (struct sockaddr *)&a, sizeof(a)));
	TRY("send", send(s, "g", 1, 0));
	read_cmsgs("connected", r);
	set_int("IPV6_FLOWINFO_SEND 0", s, IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 0);
	TRY("send after IPV6_FLOWINFO_SEND 0", send(s, "h", 1, 0));
	read_cmsgs("connected, FLOWINFO_SEND 0", r);
	close(s);
	close(r);
}

static void unicast_if(void)
{
	struct sockaddr_in6 a;
	int r = bound6(&a), s = socket(AF_INET6, SOCK_DGRAM, 0);
	int lo = (int)if_nametoindex("lo");
	int v = (int)htonl((uint32_t)lo);
	TRY("IPV6_UNICAST_IF lo", setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_IF, &v, sizeof(v)));
	int g = -1;
	socklen_t gl = sizeof(g);
	getsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_IF, &g, &gl);
	V("IPV6_UNICAST_IF read", "%s len %u", g == lo ? "lo's index" : g == v ? "as set" : "other", (unsigned)gl);
	TRY("sendto ::1 through lo", sendto(s, "u", 1, 0, (struct sockaddr *)&a, sizeof(a)));
	read_cmsgs("through lo", r);
	v = (int)htonl(99);
	TRY("IPV6_UNICAST_IF 99", setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_IF, &v, sizeof(v)));
	TRY("SO_BINDTODEVICE lo", setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	v = (int)htonl((uint32_t)lo);
	TRY("IPV6_UNICAST_IF lo once bound to a device", setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_IF, &v, sizeof(v)));
	v = 0;
	TRY("IPV6_UNICAST_IF 0 once bound to a device", setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_IF, &v, sizeof(v)));
	close(s);
	close(r);
}

static void sticky_get(const char *step, int s, int opt, socklen_t len)
{
	unsigned char b[64];
	memset(b, 0xee, sizeof(b));
	socklen_t l = len;
	errno = 0;
	int r = getsockopt(s, IPPROTO_IPV6, opt, b, &l);
	char hex[140] = "";
	for (socklen_t i = 0; r == 0 && i < l && i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	V(step, "ret=%d errno=%s len=%u %s", r, errname(r < 0 ? errno : 0), (unsigned)l, hex);
}

/* The sticky headers' checks and what getsockopt gives back. */
static void sticky(void)
{
	static const struct {
		const char *name;
		int opt;
	} st[] = { { "IPV6_HOPOPTS", IPV6_HOPOPTS },
		   { "IPV6_DSTOPTS", IPV6_DSTOPTS },
		   { "IPV6_RTHDRDSTOPTS", IPV6_RTHDRDSTOPTS },
		   { "IPV6_RTHDR", IPV6_RTHDR } };
	/* a header whose length byte says more than the buffer holds, one
	 * of 7 bytes, one whose length says less */
	static const unsigned char longer[8] = { 0, 1, 1, 4, 0, 0, 0, 0 };
	static const unsigned char shorter[16] = { 0, 0, 1, 4, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0 };
	/* a routing header of type 2 and of type 4 */
	static const unsigned char rt2[24] = { 0, 2, 2, 1 };
	static const unsigned char rt4[8] = { 0, 0, 4, 0 };
	for (int k = 0; k < 2; k++) {
		const char *kind = k ? "tcp" : "udp";
		for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
			int s = socket(AF_INET6, k ? SOCK_STREAM : SOCK_DGRAM, 0);
			char step[120];
			const unsigned char *good = st[i].opt == IPV6_RTHDR ? rthdr0 : opts8;
#define STEP(what) (snprintf(step, sizeof(step), "%s %s %s", kind, st[i].name, what), step)
			sticky_get(STEP("default"), s, st[i].opt, 64);
			TRY(STEP("set 8 bytes"), setsockopt(s, IPPROTO_IPV6, st[i].opt, good, 8));
			sticky_get(STEP("read back"), s, st[i].opt, 64);
			sticky_get(STEP("read back into 4 bytes"), s, st[i].opt, 4);
			sticky_get(STEP("read back into 0 bytes"), s, st[i].opt, 0);
			TRY(STEP("set 16 bytes"), setsockopt(s, IPPROTO_IPV6, st[i].opt, opts16, 16));
			sticky_get(STEP("read back 16"), s, st[i].opt, 64);
			TRY(STEP("set a longer length byte"), setsockopt(s, IPPROTO_IPV6, st[i].opt, longer, 8));
			TRY(STEP("set a shorter length byte"), setsockopt(s, IPPROTO_IPV6, st[i].opt, shorter, 16));
			TRY(STEP("set 7 bytes"), setsockopt(s, IPPROTO_IPV6, st[i].opt, good, 7));
			TRY(STEP("set 2 bytes"), setsockopt(s, IPPROTO_IPV6, st[i].opt, good, 2));
			TRY(STEP("set routing type 2"), setsockopt(s, IPPROTO_IPV6, st[i].opt, rt2, 24));
			TRY(STEP("set routing type 4"), setsockopt(s, IPPROTO_IPV6, st[i].opt, rt4, 8));
			TRY(STEP("set bad pointer"), setsockopt(s, IPPROTO_IPV6, st[i].opt, (void *)8, 8));
			sticky_get(STEP("after the bad ones"), s, st[i].opt, 64);
			TRY(STEP("set none"), setsockopt(s, IPPROTO_IPV6, st[i].opt, NULL, 0));
			sticky_get(STEP("after none"), s, st[i].opt, 64);
			TRY(STEP("set 2048 bytes"), setsockopt(s, IPPROTO_IPV6, st[i].opt, opts8, 2048));
#undef STEP
			close(s);
		}
	}
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	TRY("udp4 IPV6_HOPOPTS", setsockopt(u4, IPPROTO_IPV6, IPV6_HOPOPTS, opts8, 8));
	close(u4);
}

/* Without CAP_NET_RAW: which sticky headers may be set. */
static void sticky_unprivileged(void)
{
	drop_cap(CAP_NET_RAW);
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	TRY("no CAP_NET_RAW: IPV6_HOPOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_HOPOPTS, opts8, 8));
	TRY("no CAP_NET_RAW: IPV6_DSTOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_DSTOPTS, opts8, 8));
	TRY("no CAP_NET_RAW: IPV6_RTHDRDSTOPTS", setsockopt(s, IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, opts8, 8));
	TRY("no CAP_NET_RAW: IPV6_RTHDR", setsockopt(s, IPPROTO_IPV6, IPV6_RTHDR, rthdr0, 8));
	TRY("no CAP_NET_RAW: IPV6_HOPOPTS none", setsockopt(s, IPPROTO_IPV6, IPV6_HOPOPTS, NULL, 0));
	int one = 1;
	TRY("no CAP_NET_RAW: IPV6_TRANSPARENT", setsockopt(s, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)));
	close(s);
}

/* TCP over ::1 with a listener's Hop-by-Hop header (its connections
 * inherit it) and a client's Destination Options: the segments make room
 * for them (TCP_MAXSEG), and 200 KB go through whole. */
static void tcp_sticky(void)
{
	struct sockaddr_in6 a = lo6(0);
	socklen_t al = sizeof(a);
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	TRY("listener IPV6_HOPOPTS", setsockopt(l, IPPROTO_IPV6, IPV6_HOPOPTS, opts8, sizeof(opts8)));
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &al);
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	TRY("client IPV6_DSTOPTS", setsockopt(c, IPPROTO_IPV6, IPV6_DSTOPTS, opts16, sizeof(opts16)));
	get_int("client TCP_MAXSEG before connect", c, IPPROTO_TCP, TCP_MAXSEG);
	TRY("connect", connect(c, (struct sockaddr *)&a, sizeof(a)));
	int s = accept(l, NULL, NULL);
	sticky_get("accepted IPV6_HOPOPTS", s, IPV6_HOPOPTS, 64);
	get_int("client TCP_MAXSEG", c, IPPROTO_TCP, TCP_MAXSEG);
	get_int("accepted TCP_MAXSEG", s, IPPROTO_TCP, TCP_MAXSEG);
	static unsigned char out[200000], in[200000];
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	size_t sent = 0, got = 0;
	while (got < sizeof(in)) {
		if (sent < sizeof(out)) {
			long n = send(c, out + sent, sizeof(out) - sent, MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		struct pollfd p = { s, POLLIN, 0 };
		if (poll(&p, 1, 5000) <= 0)
			break;
		long n = recv(s, in + got, sizeof(in) - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	V("200 KB through", "got %zu, %s", got, memcmp(in, out, got) ? "different" : "the same");
	/* a header set on a connected socket: the segments shrink (TCP_MAXSEG
	 * is not compared: it is bounded by half the largest window the
	 * reader offered so far, which depends on how fast it read) */
	TRY("client IPV6_HOPOPTS too", setsockopt(c, IPPROTO_IPV6, IPV6_HOPOPTS, opts16, sizeof(opts16)));
	TRY("send 70000", send(c, out, 70000, 0));
	got = 0;
	while (got < 70000) {
		struct pollfd p = { s, POLLIN, 0 };
		if (poll(&p, 1, 5000) <= 0)
			break;
		long n = recv(s, in, sizeof(in), MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	V("70000 after", "got %zu", got);
	close(c);
	close(s);
	close(l);
}

void case_ip6_options_more(void)
{
	recv_flags();
	recvfragsize4();
	pathmtu();
	flowinfo_send();
	unicast_if();
	sticky();
	tcp_sticky();
	ck_child(sticky_unprivileged);
}
