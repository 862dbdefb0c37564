/*
 * ip(7) options at their boundaries on UDP and TCP sockets: the options
 * issue 12's first sweep left out (raw sockets' options, as answered on
 * the others; IP_MINTTL; IP_PASSSEC, IP_CHECKSUM, IP_RECVERR_RFC4884;
 * the read-only IP_MTU and IP_PROTOCOL; IP_LOCAL_PORT_RANGE,
 * IP_TRANSPARENT, IP_UNICAST_IF, IP_BIND_ADDRESS_NO_PORT), what
 * IP_MINTTL does to a TCP connection over loopback (TTL 64), and the
 * ephemeral ports IP_LOCAL_PORT_RANGE leaves (the namespace's range is
 * Linux's default, 32768-60999, on both sides).
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <net/if.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef IP_PKTOPTIONS
#define IP_PKTOPTIONS 9
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef IP_UNICAST_IF
#define IP_UNICAST_IF 50
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

static const struct {
	const char *name;
	int opt;
} ip4opts[] = {
	{ "IP_HDRINCL", IP_HDRINCL },	  { "IP_ROUTER_ALERT", IP_ROUTER_ALERT },
	{ "IP_MTU", IP_MTU },		  { "IP_PASSSEC", IP_PASSSEC },
	{ "IP_MINTTL", IP_MINTTL },	  { "IP_NODEFRAG", IP_NODEFRAG },
	{ "IP_CHECKSUM", IP_CHECKSUM },	  { "IP_RECVERR_RFC4884", IP_RECVERR_RFC4884 },
	{ "IP_PROTOCOL", IP_PROTOCOL },	  { "IP_TRANSPARENT", IP_TRANSPARENT },
	{ "IP_BIND_ADDRESS_NO_PORT", IP_BIND_ADDRESS_NO_PORT },
};

/* An int option's default, then each of vals set and read back, as
 * result lines "KIND NAME default/set V/after V". */
static void int_sweep(const char *kind, const char *name, int s, int level, int opt, const int *vals, size_t n)
{
	char step[96];
	snprintf(step, sizeof(step), "%s %s default", kind, name);
	get_int(step, s, level, opt);
	for (size_t j = 0; j < n; j++) {
		snprintf(step, sizeof(step), "%s %s set %d", kind, name, vals[j]);
		set_int(step, s, level, opt, vals[j]);
		snprintf(step, sizeof(step), "%s %s after %d", kind, name, vals[j]);
		get_int(step, s, level, opt);
	}
}

static void sweep(const char *kind, int type)
{
	static const int vals[] = { 1, 0, 2, -1, 256, 255 };
	char step[96];
	for (size_t i = 0; i < sizeof(ip4opts) / sizeof(ip4opts[0]); i++) {
		int s = socket(AF_INET, type, 0);
		int_sweep(kind, ip4opts[i].name, s, IPPROTO_IP, ip4opts[i].opt, vals, sizeof(vals) / sizeof(vals[0]));
		unsigned char one = 1;
		snprintf(step, sizeof(step), "%s %s one byte", kind, ip4opts[i].name);
		TRY(step, setsockopt(s, IPPROTO_IP, ip4opts[i].opt, &one, 1));
		snprintf(step, sizeof(step), "%s %s no bytes", kind, ip4opts[i].name);
		TRY(step, setsockopt(s, IPPROTO_IP, ip4opts[i].opt, &one, 0));
		snprintf(step, sizeof(step), "%s %s after the short ones", kind, ip4opts[i].name);
		get_int(step, s, IPPROTO_IP, ip4opts[i].opt);
		close(s);
	}
}

static struct sockaddr_in loop4(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A TCP listener on 127.0.0.1 and a port of its own (*at) */
static int listener4(struct sockaddr_in *at)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	*at = loop4(0);
	socklen_t al = sizeof(*at);
	bind(l, (struct sockaddr *)at, sizeof(*at));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)at, &al);
	return l;
}

/* A listener with IP_MINTTL min: does a non-blocking connect complete
 * within 300 ms? (a SYN below the minimum is dropped: it does not) */
static void minttl_connect(const char *step, int min)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loop4(0);
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	setsockopt(l, IPPROTO_IP, IP_MINTTL, &min, sizeof(min));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &al);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	fcntl(c, F_SETFL, O_NONBLOCK);
	errno = 0;
	int r = connect(c, (struct sockaddr *)&a, sizeof(a));
	int e = r < 0 ? errno : 0;
	struct pollfd p = { c, POLLOUT, 0 };
	int n = r == 0 ? 1 : poll(&p, 1, min > 64 ? 300 : 5000);
	V(step, "connect %d %s, %s", r, errname(e), n > 0 ? "completed" : "still in progress");
	close(c);
	close(l);
}

static void range_set(const char *step, int s, uint32_t v, socklen_t len)
{
	TRY(step, setsockopt(s, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &v, len));
	uint32_t g = 0;
	socklen_t gl = sizeof(g);
	int r = getsockopt(s, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &g, &gl);
	V(step, "then %d %#x len %u", r, g, (unsigned)gl);
}

/* The port a socket with range lo-hi gets from bind (port 0) or connect,
 * said as where it falls: in [want_lo, want_hi] or not. */
static void range_port(const char *step, int type, int use_connect, uint16_t lo, uint16_t hi, uint16_t want_lo,
		       uint16_t want_hi)
{
	int l = -1;
	struct sockaddr_in d = loop4(9);
	if (type == SOCK_STREAM && use_connect) {
		l = listener4(&d);
	}
	int s = socket(AF_INET, type, 0);
	uint32_t v = (uint32_t)lo | (uint32_t)hi << 16;
	setsockopt(s, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &v, sizeof(v));
	struct sockaddr_in a = loop4(0);
	errno = 0;
	int r = use_connect ? connect(s, (struct sockaddr *)&d, sizeof(d)) : bind(s, (struct sockaddr *)&a, sizeof(a));
	int e = r < 0 ? errno : 0;
	socklen_t al = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &al);
	unsigned p = ntohs(a.sin_port);
	V(step, "%d %s port %s", r, errname(e), p >= want_lo && p <= want_hi ? "in the range" : "outside");
	close(s);
	if (l >= 0)
		close(l);
}

/* IP_TRANSPARENT without CAP_NET_RAW and CAP_NET_ADMIN */
static void transparent_unprivileged(void)
{
	drop_cap(CAP_NET_RAW);
	drop_cap(CAP_NET_ADMIN);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	set_int("IP_TRANSPARENT 1 unprivileged", s, IPPROTO_IP, IP_TRANSPARENT, 1);
	set_int("IP_TRANSPARENT 0 unprivileged", s, IPPROTO_IP, IP_TRANSPARENT, 0);
	unsigned char one = 1;
	TRY("IP_TRANSPARENT no bytes unprivileged", setsockopt(s, IPPROTO_IP, IP_TRANSPARENT, &one, 0));
	close(s);
}

/* bind to an address no interface has (TEST-NET-1), with and without */
static void foreign_bind(const char *step, int type, int transparent)
{
	int s = socket(AF_INET, type, 0);
	if (transparent)
		setsockopt(s, IPPROTO_IP, IP_TRANSPARENT, &transparent, sizeof(transparent));
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(0xc0000201);
	TRY(step, bind(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
}

static void unicast_if(const char *step, int s, uint32_t idx, socklen_t len)
{
	uint32_t v = htonl(idx);
	TRY(step, setsockopt(s, IPPROTO_IP, IP_UNICAST_IF, &v, len));
	int g = -1;
	socklen_t gl = sizeof(g);
	int r = getsockopt(s, IPPROTO_IP, IP_UNICAST_IF, &g, &gl);
	V(step, "then %d index %u len %u", r, ntohl((uint32_t)g), (unsigned)gl);
}

/* bind(127.0.0.1, port 0) with IP_BIND_ADDRESS_NO_PORT, then what
 * gives the port: said as whether a port is there after each step */
static void no_port(const char *w, int type, int how)
{
	static const char *const hows[] = { "connect", "listen", "sendto", "second bind" };
	char step[96];
	int l = -1;
	struct sockaddr_in d = loop4(9);
	if (type == SOCK_STREAM && how == 0) {
		l = listener4(&d);
	}
	int s = socket(AF_INET, type, 0);
	int one = 1;
	setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	struct sockaddr_in a = loop4(0);
	snprintf(step, sizeof(step), "%s no port, bind", w);
	TRY(step, bind(s, (struct sockaddr *)&a, sizeof(a)));
	socklen_t al = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &al);
	snprintf(step, sizeof(step), "%s no port, after bind", w);
	V(step, "address %s port %s", a.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "127.0.0.1" : "other",
	  a.sin_port ? "some" : "0");
	snprintf(step, sizeof(step), "%s no port, %s", w, hows[how]);
	if (how == 0)
		TRY(step, connect(s, (struct sockaddr *)&d, sizeof(d)));
	else if (how == 1)
		TRY(step, listen(s, 4));
	else if (how == 2)
		TRY(step, sendto(s, "x", 1, 0, (struct sockaddr *)&d, sizeof(d)));
	else {
		struct sockaddr_in b = loop4(0);
		TRY(step, bind(s, (struct sockaddr *)&b, sizeof(b)));
	}
	al = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &al);
	snprintf(step, sizeof(step), "%s no port, after %s", w, hows[how]);
	V(step, "address %s port %s", a.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "127.0.0.1" : "other",
	  a.sin_port ? "some" : "0");
	close(s);
	if (l >= 0)
		close(l);
}

/* IP_PKTOPTIONS of s with len bytes of room: the control messages */
static void pktoptions(const char *step, int s, socklen_t room)
{
	unsigned char buf[256];
	memset(buf, 0xee, sizeof(buf));
	socklen_t l = room;
	errno = 0;
	int r = getsockopt(s, IPPROTO_IP, IP_PKTOPTIONS, buf, &l);
	if (r < 0) {
		V(step, "%d %s", r, errname(errno));
		return;
	}
	char out[512];
	int n = snprintf(out, sizeof(out), "len %u:", (unsigned)l);
	for (socklen_t i = 0; i < l && n < (int)sizeof(out) - 4; i++)
		n += snprintf(out + n, sizeof(out) - (size_t)n, " %02x", buf[i]);
	V(step, "%s", out);
}

void case_ip4_options(void)
{
	{
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		pktoptions("udp IP_PKTOPTIONS", u, 256);
		close(u);
		struct sockaddr_in la;
		int l = listener4(&la);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		int tos = 0x10, one = 1;
		setsockopt(c, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		connect(c, (struct sockaddr *)&la, sizeof(la));
		int a = accept(l, NULL, NULL);
		pktoptions("tcp IP_PKTOPTIONS, none asked", a, 256);
		setsockopt(a, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		setsockopt(a, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
		setsockopt(a, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
		setsockopt(c, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
		pktoptions("tcp IP_PKTOPTIONS accepted, all asked", a, 256);
		pktoptions("tcp IP_PKTOPTIONS in 40 bytes", a, 40);
		pktoptions("tcp IP_PKTOPTIONS in 10 bytes", a, 10);
		pktoptions("tcp IP_PKTOPTIONS connected, RECVTOS", c, 256);
		close(a);
		close(c);
		close(l);
	}

	no_port("tcp", SOCK_STREAM, 0);
	no_port("tcp", SOCK_STREAM, 1);
	no_port("tcp", SOCK_STREAM, 3);
	no_port("udp", SOCK_DGRAM, 0);
	no_port("udp", SOCK_DGRAM, 2);
	no_port("udp", SOCK_DGRAM, 3);

	ck_child(transparent_unprivileged);
	foreign_bind("udp bind foreign", SOCK_DGRAM, 0);
	foreign_bind("udp bind foreign, transparent", SOCK_DGRAM, 1);
	foreign_bind("tcp bind foreign", SOCK_STREAM, 0);
	foreign_bind("tcp bind foreign, transparent", SOCK_STREAM, 1);

	unsigned lo = if_nametoindex("lo");
	for (int k = 0; k < 2; k++) {
		int s = socket(AF_INET, k ? SOCK_STREAM : SOCK_DGRAM, 0);
		const char *w = k ? "tcp" : "udp";
		char step[64];
		snprintf(step, sizeof(step), "%s IP_UNICAST_IF lo", w);
		unicast_if(step, s, lo, 4);
		snprintf(step, sizeof(step), "%s IP_UNICAST_IF no such index", w);
		unicast_if(step, s, 99, 4);
		snprintf(step, sizeof(step), "%s IP_UNICAST_IF in host order", w);
		unicast_if(step, s, htonl(lo), 4);
		snprintf(step, sizeof(step), "%s IP_UNICAST_IF in one byte", w);
		unicast_if(step, s, lo, 1);
		snprintf(step, sizeof(step), "%s IP_UNICAST_IF in eight bytes", w);
		unicast_if(step, s, lo, 8);
		if (!k) {
			struct sockaddr_in d = loop4(9);
			TRY("udp sendto 127.0.0.1 by lo", sendto(s, "x", 1, 0, (struct sockaddr *)&d, sizeof(d)));
			TRY("udp connect 127.0.0.1 by lo", connect(s, (struct sockaddr *)&d, sizeof(d)));
		}
		snprintf(step, sizeof(step), "%s IP_UNICAST_IF none", w);
		unicast_if(step, s, 0, 4);
		setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
		snprintf(step, sizeof(step), "%s IP_UNICAST_IF lo once bound to lo", w);
		unicast_if(step, s, lo, 4);
		close(s);
	}

	int pr = socket(AF_INET, SOCK_DGRAM, 0);
	get_int("IP_LOCAL_PORT_RANGE default", pr, IPPROTO_IP, IP_LOCAL_PORT_RANGE);
	range_set("range 40000-40010", pr, 40000u | 40010u << 16, 4);
	range_set("range low above high", pr, 40010u | 40000u << 16, 4);
	range_set("range low only", pr, 40000u, 4);
	range_set("range high only", pr, 40000u << 16, 4);
	range_set("range in one byte", pr, 7, 1);
	range_set("range in two bytes", pr, 7, 2);
	range_set("range in eight bytes", pr, 40000u | 40010u << 16, 8);
	range_set("range none", pr, 0, 4);
	close(pr);
	range_port("udp bind in 40005-40010", SOCK_DGRAM, 0, 40005, 40010, 40005, 40010);
	range_port("udp connect in 40005-40010", SOCK_DGRAM, 1, 40005, 40010, 40005, 40010);
	range_port("tcp bind in 40005-40010", SOCK_STREAM, 0, 40005, 40010, 40005, 40010);
	range_port("tcp connect in 40005-40010", SOCK_STREAM, 1, 40005, 40010, 40005, 40010);
	range_port("udp bind in 60990-", SOCK_DGRAM, 0, 60990, 0, 60990, 60999);
	range_port("udp bind in -32770", SOCK_DGRAM, 0, 0, 32770, 32768, 32770);
	range_port("udp bind, range below the namespace's", SOCK_DGRAM, 0, 900, 1000, 32768, 60999);
	range_port("udp bind, range above the namespace's", SOCK_DGRAM, 0, 65000, 65535, 32768, 60999);
	range_port("tcp connect, range across the top", SOCK_STREAM, 1, 60995, 65000, 60995, 60999);

	sweep("udp", SOCK_DGRAM);
	sweep("tcp", SOCK_STREAM);

	/* IP_PROTOCOL is Linux's inet_num: the local port once bound */
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loop4(0);
	socklen_t al = sizeof(a);
	bind(u, (struct sockaddr *)&a, sizeof(a));
	getsockname(u, (struct sockaddr *)&a, &al);
	int p = -1;
	socklen_t pl = sizeof(p);
	getsockopt(u, IPPROTO_IP, IP_PROTOCOL, &p, &pl);
	V("udp IP_PROTOCOL bound is the port", "%d", p == ntohs(a.sin_port));
	/* IP_MTU of a connected socket: lo's */
	struct sockaddr_in d = loop4(9);
	TRY("udp connect", connect(u, (struct sockaddr *)&d, sizeof(d)));
	get_int("udp IP_MTU connected", u, IPPROTO_IP, IP_MTU);
	close(u);
	int c, s;
	tcp_pair(&c, &s);
	get_int("tcp IP_MTU connected", c, IPPROTO_IP, IP_MTU);
	get_int("tcp IP_MTU accepted", s, IPPROTO_IP, IP_MTU);
	close(c);
	close(s);

	minttl_connect("IP_MINTTL 64 on the listener", 64);
	minttl_connect("IP_MINTTL 65 on the listener", 65);
}

/* ---- RFC 3678's full-state source filters and the protocol-independent
 * source calls on IPv4 (IP_MSFILTER, MCAST_MSFILTER, MCAST_JOIN/LEAVE_
 * SOURCE_GROUP, MCAST_BLOCK/UNBLOCK_SOURCE), over lo ---- */

static int msf_sock, msf_lo;

static void msf_get(const char *step, const char *grp, unsigned room)
{
	char buf[512];
	memset(buf, 0, sizeof(buf));
	struct ip_msfilter *m = (void *)buf;
	inet_pton(AF_INET, grp, &m->imsf_multiaddr);
	m->imsf_interface.s_addr = htonl(INADDR_LOOPBACK);
	m->imsf_numsrc = room;
	socklen_t l = IP_MSFILTER_SIZE(room);
	errno = 0;
	int r = getsockopt(msf_sock, IPPROTO_IP, IP_MSFILTER, buf, &l);
	if (r < 0) {
		V(step, "%d %s", r, errname(errno));
		return;
	}
	struct in_addr *sl = (struct in_addr *)m->imsf_slist;
	V(step, "len %u mode %u numsrc %u first %08x second %08x", (unsigned)l, m->imsf_fmode, m->imsf_numsrc,
	  ntohl(sl[0].s_addr), ntohl(sl[1].s_addr));
}

static void msf_set(const char *step, const char *grp, uint32_t mode, uint32_t n, socklen_t len)
{
	char buf[512];
	memset(buf, 0, sizeof(buf));
	struct ip_msfilter *m = (void *)buf;
	inet_pton(AF_INET, grp, &m->imsf_multiaddr);
	m->imsf_interface.s_addr = htonl(INADDR_LOOPBACK);
	m->imsf_fmode = mode;
	m->imsf_numsrc = n;
	for (uint32_t i = 0; i < n && i < 8; i++)
		((struct in_addr *)m->imsf_slist)[i].s_addr = htonl(0x0a000001 + i);
	TRY(step, setsockopt(msf_sock, IPPROTO_IP, IP_MSFILTER, buf, len));
}

static void gf_get(const char *step, const char *grp, int ifindex, unsigned room)
{
	char buf[1024];
	memset(buf, 0, sizeof(buf));
	struct group_filter *g = (void *)buf;
	g->gf_interface = (uint32_t)ifindex;
	struct sockaddr_in *a = (void *)&g->gf_group;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, grp, &a->sin_addr);
	g->gf_numsrc = room;
	socklen_t l = GROUP_FILTER_SIZE(room);
	errno = 0;
	int r = getsockopt(msf_sock, IPPROTO_IP, MCAST_MSFILTER, buf, &l);
	if (r < 0) {
		V(step, "%d %s", r, errname(errno));
		return;
	}
	struct sockaddr_in *s0 = (void *)&g->gf_slist[0];
	V(step, "len %u mode %u numsrc %u first family %d %08x", (unsigned)l, g->gf_fmode, g->gf_numsrc,
	  s0->sin_family, ntohl(s0->sin_addr.s_addr));
}

static void gf_set(const char *step, const char *grp, uint32_t mode, uint32_t n, int family)
{
	char buf[1024];
	memset(buf, 0, sizeof(buf));
	struct group_filter *g = (void *)buf;
	g->gf_interface = (uint32_t)msf_lo;
	struct sockaddr_in *a = (void *)&g->gf_group;
	a->sin_family = (sa_family_t)family;
	inet_pton(AF_INET, grp, &a->sin_addr);
	g->gf_fmode = mode;
	g->gf_numsrc = n;
	for (uint32_t i = 0; i < n && i < 4; i++) {
		struct sockaddr_in *x = (void *)&g->gf_slist[i];
		x->sin_family = AF_INET;
		x->sin_addr.s_addr = htonl(0x0a000101 + i);
	}
	TRY(step, setsockopt(msf_sock, IPPROTO_IP, MCAST_MSFILTER, buf, GROUP_FILTER_SIZE(n)));
}

static void gsr(const char *step, int opt, const char *grp, const char *src, int ifindex, socklen_t len)
{
	struct group_source_req g;
	memset(&g, 0, sizeof(g));
	g.gsr_interface = (uint32_t)ifindex;
	struct sockaddr_in *a = (void *)&g.gsr_group, *b = (void *)&g.gsr_source;
	a->sin_family = b->sin_family = AF_INET;
	inet_pton(AF_INET, grp, &a->sin_addr);
	inet_pton(AF_INET, src, &b->sin_addr);
	TRY(step, setsockopt(msf_sock, IPPROTO_IP, opt, &g, len));
}

void case_ip4_msfilter(void)
{
	msf_sock = socket(AF_INET, SOCK_DGRAM, 0);
	msf_lo = (int)if_nametoindex("lo");
	msf_get("IP_MSFILTER get, not joined", "224.1.1.1", 4);
	msf_get("IP_MSFILTER get, unicast", "10.0.0.1", 4);
	socklen_t l8 = 8;
	char b8[8] = { 0 };
	TRY("IP_MSFILTER get in 8 bytes", getsockopt(msf_sock, IPPROTO_IP, IP_MSFILTER, b8, &l8));
	msf_set("IP_MSFILTER exclude, not joined", "224.1.1.1", MCAST_EXCLUDE, 0, IP_MSFILTER_SIZE(0));
	msf_set("IP_MSFILTER include none, not joined", "224.1.1.1", MCAST_INCLUDE, 0, IP_MSFILTER_SIZE(0));
	struct ip_mreqn mr;
	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET, "224.1.1.1", &mr.imr_multiaddr);
	mr.imr_ifindex = msf_lo;
	TRY("join 224.1.1.1", setsockopt(msf_sock, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	msf_get("IP_MSFILTER get, joined", "224.1.1.1", 4);
	msf_set("IP_MSFILTER include two", "224.1.1.1", MCAST_INCLUDE, 2, IP_MSFILTER_SIZE(2));
	msf_get("IP_MSFILTER get, two", "224.1.1.1", 4);
	msf_get("IP_MSFILTER get, room for one", "224.1.1.1", 1);
	msf_get("IP_MSFILTER get, room for none", "224.1.1.1", 0);
	msf_set("IP_MSFILTER bad mode", "224.1.1.1", 7, 0, IP_MSFILTER_SIZE(0));
	msf_set("IP_MSFILTER shorter than its sources", "224.1.1.1", MCAST_INCLUDE, 2, IP_MSFILTER_SIZE(1));
	msf_set("IP_MSFILTER too many sources", "224.1.1.1", MCAST_INCLUDE, 100000, IP_MSFILTER_SIZE(2));
	msf_set("IP_MSFILTER eleven sources", "224.1.1.1", MCAST_INCLUDE, 11, IP_MSFILTER_SIZE(11));
	msf_set("IP_MSFILTER ten sources", "224.1.1.1", MCAST_INCLUDE, 10, IP_MSFILTER_SIZE(10));
	msf_set("IP_MSFILTER unicast group", "10.1.1.1", MCAST_INCLUDE, 1, IP_MSFILTER_SIZE(1));
	msf_set("IP_MSFILTER too short", "224.1.1.1", MCAST_INCLUDE, 0, 15);
	gf_get("MCAST_MSFILTER get by lo", "224.1.1.1", msf_lo, 4);
	gf_get("MCAST_MSFILTER get, no interface", "224.1.1.1", 0, 4);
	gf_set("MCAST_MSFILTER exclude one", "224.1.1.1", MCAST_EXCLUDE, 1, AF_INET);
	gf_get("MCAST_MSFILTER get after", "224.1.1.1", msf_lo, 4);
	gf_set("MCAST_MSFILTER IPv6 group", "224.1.1.1", MCAST_EXCLUDE, 1, AF_INET6);
	msf_set("IP_MSFILTER include none: leave", "224.1.1.1", MCAST_INCLUDE, 0, IP_MSFILTER_SIZE(0));
	msf_get("IP_MSFILTER get after the leave", "224.1.1.1", 4);
	size_t gl = sizeof(struct group_source_req);
	gsr("join source", MCAST_JOIN_SOURCE_GROUP, "232.1.1.1", "10.9.9.9", msf_lo, gl);
	gf_get("filter after join source", "232.1.1.1", msf_lo, 4);
	gsr("join source again", MCAST_JOIN_SOURCE_GROUP, "232.1.1.1", "10.9.9.9", msf_lo, gl);
	gsr("block on an include filter", MCAST_BLOCK_SOURCE, "232.1.1.1", "10.9.9.8", msf_lo, gl);
	gsr("leave source", MCAST_LEAVE_SOURCE_GROUP, "232.1.1.1", "10.9.9.9", msf_lo, gl);
	gf_get("filter after leave source", "232.1.1.1", msf_lo, 4);
	struct group_req gr;
	memset(&gr, 0, sizeof(gr));
	gr.gr_interface = (uint32_t)msf_lo;
	struct sockaddr_in *ga = (void *)&gr.gr_group;
	ga->sin_family = AF_INET;
	inet_pton(AF_INET, "224.2.2.2", &ga->sin_addr);
	TRY("join group 224.2.2.2", setsockopt(msf_sock, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof(gr)));
	gsr("block", MCAST_BLOCK_SOURCE, "224.2.2.2", "10.9.9.7", msf_lo, gl);
	gf_get("filter after block", "224.2.2.2", msf_lo, 4);
	gsr("unblock", MCAST_UNBLOCK_SOURCE, "224.2.2.2", "10.9.9.7", msf_lo, gl);
	gsr("unblock again", MCAST_UNBLOCK_SOURCE, "224.2.2.2", "10.9.9.7", msf_lo, gl);
	gsr("join source on an emptied exclude filter", MCAST_JOIN_SOURCE_GROUP, "224.2.2.2", "10.9.9.6", msf_lo,
	    gl);
	gsr("group_source_req one byte short", MCAST_JOIN_SOURCE_GROUP, "232.3.3.3", "10.9.9.9", msf_lo, gl - 1);
	gsr("join source, no such interface", MCAST_JOIN_SOURCE_GROUP, "232.3.3.3", "10.9.9.9", 77, gl);
	close(msf_sock);
}

/* ---- socket(7) options a sweep found missing: SO_DEBUG (CAP_NET_ADMIN
 * to turn on: EACCES), SO_BSDCOMPAT (taken, nothing done), SO_SNDLOWAT
 * (read-only 1), SO_BUSY_POLL, SO_PEERCRED of an inet socket ---- */

static void sol_opts(const char *kind, int s)
{
	static const struct {
		const char *name;
		int opt;
	} o[] = { { "SO_DEBUG", SO_DEBUG }, { "SO_BSDCOMPAT", SO_BSDCOMPAT },
		  { "SO_SNDLOWAT", SO_SNDLOWAT }, { "SO_BUSY_POLL", SO_BUSY_POLL } };
	static const int vals[] = { 1, 0, 50, -1 };
	char step[96];
	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
		int_sweep(kind, o[i].name, s, SOL_SOCKET, o[i].opt, vals, sizeof(vals) / sizeof(vals[0]));
		short two = 1;
		snprintf(step, sizeof(step), "%s %s in two bytes", kind, o[i].name);
		TRY(step, setsockopt(s, SOL_SOCKET, o[i].opt, &two, sizeof(two)));
	}
}

static void sol_unprivileged(void)
{
	drop_cap(CAP_NET_ADMIN);
	int s = socket(AF_INET, SOCK_DGRAM, 0), u = socket(AF_UNIX, SOCK_STREAM, 0);
	set_int("udp SO_DEBUG 1 without CAP_NET_ADMIN", s, SOL_SOCKET, SO_DEBUG, 1);
	set_int("udp SO_DEBUG 0 without CAP_NET_ADMIN", s, SOL_SOCKET, SO_DEBUG, 0);
	set_int("unix SO_DEBUG 1 without CAP_NET_ADMIN", u, SOL_SOCKET, SO_DEBUG, 1);
	set_int("udp SO_BUSY_POLL up without CAP_NET_ADMIN", s, SOL_SOCKET, SO_BUSY_POLL, 100);
	close(s);
	close(u);
}

/* UDP_SEGMENT (udp(7)'s GSO): a send longer than the size leaves as
 * datagrams of it; said as what a receiver on 127.0.0.1 reads */
static void udp_segment(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loop4(0);
	socklen_t al = sizeof(a);
	bind(r, (struct sockaddr *)&a, sizeof(a));
	getsockname(r, (struct sockaddr *)&a, &al);
	static const int vals[] = { 100, -1, 65536, 0, 65535 };
	char step[64];
	int_sweep("udp", "UDP_SEGMENT", s, IPPROTO_UDP, UDP_SEGMENT, vals, sizeof(vals) / sizeof(vals[0]));
	static char buf[66000];
	memset(buf, 'a', sizeof(buf));
	int seg = 100;
	setsockopt(s, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	static const size_t lens[] = { 250, 100, 50, 6401, 12800, 12801, 65507, 65508 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		errno = 0;
		long n = sendto(s, buf, lens[i], 0, (struct sockaddr *)&a, sizeof(a));
		int e = n < 0 ? errno : 0;
		int cnt = 0;
		long tot = 0, last = 0;
		for (;;) {
			long m = recv(r, buf, sizeof(buf), MSG_DONTWAIT);
			if (m < 0)
				break;
			cnt++;
			tot += m;
			last = m;
		}
		snprintf(step, sizeof(step), "UDP_SEGMENT 100, send %zu", lens[i]);
		V(step, "%ld %s, %d datagrams, %ld bytes, the last %ld", n, errname(e), cnt, tot, last);
	}
	close(r);
	close(s);
}

/* SO_SELECT_ERR_QUEUE: a datagram socket's error (queued with
 * IP_RECVERR, or pending) polls POLLPRI too; a stream's does not */
static void select_errq(void)
{
	struct sockaddr_in d = loop4(9);
	char step[64];
	for (int recverr = 0; recverr < 2; recverr++) {
		for (int sel = 0; sel < 2; sel++) {
			int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
			if (recverr)
				setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
			if (sel)
				setsockopt(s, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof(one));
			snprintf(step, sizeof(step), "SO_SELECT_ERR_QUEUE %d, IP_RECVERR %d, read back", sel, recverr);
			get_int(step, s, SOL_SOCKET, SO_SELECT_ERR_QUEUE);
			connect(s, (struct sockaddr *)&d, sizeof(d));
			send(s, "x", 1, 0);
			struct pollfd p = { s, 0, 0 }; /* (POLLERR comes unasked) */
			poll(&p, 1, 5000);
			p.events = POLLIN | POLLPRI | POLLOUT;
			int r = poll(&p, 1, 0);
			snprintf(step, sizeof(step), "SO_SELECT_ERR_QUEUE %d, IP_RECVERR %d, refused", sel, recverr);
			V(step, "poll %d events %#x", r, p.revents);
			close(s);
		}
	}
	int t = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(t, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof(one));
	connect(t, (struct sockaddr *)&d, sizeof(d));
	struct pollfd p = { t, POLLIN | POLLPRI | POLLOUT, 0 };
	int r = poll(&p, 1, 5000);
	V("SO_SELECT_ERR_QUEUE on a refused TCP connect", "poll %d events %#x", r, p.revents);
	close(t);
}

/* SO_TIMESTAMPNS and SO_TIMESTAMP, which share Linux's flags; what a
 * datagram read then carries (its kind and size, not the time) */
static void ts_state(const char *step, int s)
{
	int a = -1, b = -1;
	socklen_t l = sizeof(a);
	getsockopt(s, SOL_SOCKET, SO_TIMESTAMP, &a, &l);
	l = sizeof(b);
	getsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &b, &l);
	V(step, "SO_TIMESTAMP %d SO_TIMESTAMPNS %d", a, b);
}

static void ts_read(const char *step, int r, int s, const struct sockaddr_in *to)
{
	sendto(s, "t", 1, 0, (const struct sockaddr *)to, sizeof(*to));
	char b[8], cb[256];
	struct iovec io = { b, sizeof(b) };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct pollfd p = { r, POLLIN, 0 };
	poll(&p, 1, 5000);
	long n = recvmsg(r, &mh, MSG_DONTWAIT);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	V(step, "%ld bytes, control %s type %d len %d", n, c ? "yes" : "no", c ? c->cmsg_type : 0,
	  c ? (int)c->cmsg_len : 0);
}

static void timestamps(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0), one = 1, zero = 0;
	struct sockaddr_in a = loop4(0);
	socklen_t al = sizeof(a);
	bind(r, (struct sockaddr *)&a, sizeof(a));
	getsockname(r, (struct sockaddr *)&a, &al);
	ts_state("timestamps at first", r);
	setsockopt(r, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	ts_state("after SO_TIMESTAMPNS 1", r);
	ts_read("a datagram with SO_TIMESTAMPNS", r, s, &a);
	setsockopt(r, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
	ts_state("after SO_TIMESTAMP 1", r);
	ts_read("a datagram with SO_TIMESTAMP", r, s, &a);
	setsockopt(r, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	setsockopt(r, SOL_SOCKET, SO_TIMESTAMP, &zero, sizeof(zero));
	ts_state("after SO_TIMESTAMPNS 1, SO_TIMESTAMP 0", r);
	ts_read("a datagram with neither", r, s, &a);
	close(r);
	close(s);
}

/* an option's length longer than its value's buffer: Linux reads only
 * the int (an int at a page's end, before an unmapped page) */
static void long_lengths(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	munmap(p + 4096, 4096);
	int *v = (int *)(p + 4096 - sizeof(int));
	*v = 1;
	TRY("SO_REUSEADDR, an int at a page's end, length 100", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, v, 100));
	TRY("SO_REUSEADDR, length 100000", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, v, 100000));
	TRY("IP_TTL, length 1000", setsockopt(s, IPPROTO_IP, IP_TTL, &one, 1000));
	TRY("SO_REUSEADDR, a bad pointer", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (void *)8, 4));
	munmap(p, 4096);
	close(s);
}

/* SO_RXQ_OVFL: a datagram read after drops carries how many were
 * dropped before it (a receive buffer at its least, 50 sends) */
static int ovfl_read(int r, unsigned *val)
{
	char b[2000], cb[256];
	struct iovec io = { b, sizeof(b) };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	if (recvmsg(r, &mh, MSG_DONTWAIT) < 0)
		return -1;
	*val = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(val, CMSG_DATA(c), sizeof(*val));
			return 1;
		}
	return 0;
}

static void rxq_ovfl(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0), least = 1;
	setsockopt(r, SOL_SOCKET, SO_RCVBUF, &least, sizeof(least));
	set_int("SO_RXQ_OVFL set", r, SOL_SOCKET, SO_RXQ_OVFL, 1);
	get_int("SO_RXQ_OVFL read back", r, SOL_SOCKET, SO_RXQ_OVFL);
	struct sockaddr_in a = loop4(0);
	socklen_t al = sizeof(a);
	bind(r, (struct sockaddr *)&a, sizeof(a));
	getsockname(r, (struct sockaddr *)&a, &al);
	char buf[1000] = { 0 };
	for (int i = 0; i < 50; i++)
		sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&a, sizeof(a));
	unsigned v;
	int k, first = -1, cnt = 0;
	while ((k = ovfl_read(r, &v)) >= 0) {
		if (cnt == 0)
			first = k;
		cnt++;
	}
	V("SO_RXQ_OVFL, 50 sends", "%d read, the first with a count: %d", cnt, first);
	sendto(s, buf, 10, 0, (struct sockaddr *)&a, sizeof(a));
	k = ovfl_read(r, &v);
	V("SO_RXQ_OVFL, the next datagram", "count %d: %u, the dropped %d", k, v, 50 - cnt);
	close(r);
	close(s);
}

void case_socket_options_more(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0),
	    x = socket(AF_UNIX, SOCK_STREAM, 0);
	sol_opts("udp", u);
	sol_opts("tcp", t);
	sol_opts("unix", x);
	struct ucred c = { 7, 7, 7 };
	socklen_t cl = sizeof(c);
	int r = getsockopt(u, SOL_SOCKET, SO_PEERCRED, &c, &cl);
	V("udp SO_PEERCRED", "%d len %u pid %d uid %d gid %d", r, (unsigned)cl, (int)c.pid, (int)c.uid, (int)c.gid);
	cl = 4;
	r = getsockopt(t, SOL_SOCKET, SO_PEERCRED, &c, &cl);
	V("tcp SO_PEERCRED in 4 bytes", "%d len %u", r, (unsigned)cl);
	ck_child(sol_unprivileged);
	get_int("udp SO_INCOMING_NAPI_ID", u, SOL_SOCKET, SO_INCOMING_NAPI_ID);
	get_int("unix SO_INCOMING_NAPI_ID", x, SOL_SOCKET, SO_INCOMING_NAPI_ID);
	set_int("udp SO_INCOMING_NAPI_ID set", u, SOL_SOCKET, SO_INCOMING_NAPI_ID, 1);

	/* TCP_FASTOPEN: a queue length kept (at most somaxconn) on a closed
	 * or listening socket; Linux's default serves no Fast Open */
	static const int q[] = { 5, -1, 0, 1 << 30 };
	int_sweep("tcp", "TCP_FASTOPEN", t, IPPROTO_TCP, TCP_FASTOPEN, q, sizeof(q) / sizeof(q[0]));
	short two = 1;
	TRY("TCP_FASTOPEN in two bytes", setsockopt(t, IPPROTO_TCP, TCP_FASTOPEN, &two, sizeof(two)));
	struct sockaddr_in la;
	int l = listener4(&la);
	set_int("TCP_FASTOPEN on a listener", l, IPPROTO_TCP, TCP_FASTOPEN, 7);
	get_int("TCP_FASTOPEN of the listener", l, IPPROTO_TCP, TCP_FASTOPEN);
	int cs = socket(AF_INET, SOCK_STREAM, 0);
	TRY("connect to it", connect(cs, (struct sockaddr *)&la, sizeof(la)));
	set_int("TCP_FASTOPEN on a connected socket", cs, IPPROTO_TCP, TCP_FASTOPEN, 3);
	int a = accept(l, NULL, NULL);
	get_int("TCP_FASTOPEN of the accepted socket", a, IPPROTO_TCP, TCP_FASTOPEN);
	set_int("TCP_FASTOPEN on a UDP socket", u, IPPROTO_TCP, TCP_FASTOPEN, 1);
	close(a);
	close(cs);
	close(l);
	close(u);
	close(t);
	close(x);
	udp_segment();
	select_errq();
	timestamps();
	long_lengths();
	rxq_ovfl();
}
