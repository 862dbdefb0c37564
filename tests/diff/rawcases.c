/*
 * Differential case for raw sockets (raw(7), and ipv6(7)'s raw ones):
 * creation and its errors, ICMP echo over loopback seen by a raw ICMP
 * socket (the request's copy and the stack's reply, IP header included),
 * ICMP_FILTER, a raw protocol of its own between two sockets (bind,
 * connect), UDP seen by a raw IPPROTO_UDP socket, IP_HDRINCL and its
 * errors; IPv6: ICMPv6 echo, ICMP6_FILTER, IPV6_CHECKSUM. Rules as in
 * diffcases.c: only what Linux defines (no IDs, no ports chosen at random).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diff.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif

static struct sockaddr_in lo4(const char *a)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static struct sockaddr_in6 lo6(void)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6 };
	s.sin6_addr.s6_addr[15] = 1;
	return s;
}

static uint16_t csum(const void *b, size_t n)
{
	const uint8_t *p = b;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int raw(int family, int proto)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK, proto);
	return fd;
}

/* Waits up to a second for fd to be readable (the loopback delivers at
 * once on Linux; moat's stack runs between calls). */
static void settle(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	guard_begin();
	poll(&p, 1, 1000);
	guard_end();
}

/* One IPv4 datagram read from a raw socket: its length, the fixed fields
 * of its header, the sender's address, then what follows the header. */
static void show4(const char *step, int fd, int body)
{
	uint8_t b[256];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	memset(&from, 0xee, sizeof(from));
	settle(fd);
	errno = 0;
	ssize_t n = recvfrom(fd, b, sizeof(b), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < 20) {
		V(step, "ret=%zd errno=%s", n, errname(n < 0 ? errno : 0));
		return;
	}
	char s[16], d[16], f[16];
	inet_ntop(AF_INET, b + 12, s, sizeof(s));
	inet_ntop(AF_INET, b + 16, d, sizeof(d));
	inet_ntop(AF_INET, &from.sin_addr, f, sizeof(f));
	unsigned ihl = (b[0] & 15u) * 4;
	char tail[128] = "";
	if (body == 1 && n >= (ssize_t)ihl + 8) { /* ICMP */
		const uint8_t *i = b + ihl;
		snprintf(tail, sizeof(tail), " type=%u code=%u id=%u seq=%u csum_ok=%d data='%.*s'", i[0], i[1],
			 i[4] << 8 | i[5], i[6] << 8 | i[7], csum(i, (size_t)n - ihl) == 0, (int)(n - ihl - 8),
			 (const char *)i + 8);
	} else if (body == 2 && n >= (ssize_t)ihl + 8) { /* UDP */
		const uint8_t *u = b + ihl;
		snprintf(tail, sizeof(tail), " ulen=%u data='%.*s'", u[4] << 8 | u[5], (int)(n - ihl - 8),
			 (const char *)u + 8);
	} else {
		snprintf(tail, sizeof(tail), " data='%.*s'", (int)(n - ihl), (const char *)b + ihl);
	}
	/* (a UDP socket's DF under IP_PMTUDISC_WANT is UDP's business, not
	 * shown here: moat's UDP leaves it clear, see udp.c's dgram_tx) */
	unsigned frag = body == 2 ? 0 : (unsigned)(b[6] << 8 | b[7]);
	V(step, "ret=%zd v=%u ihl=%u tos=%u totlen=%u frag=%#x ttl=%u proto=%u hcsum_ok=%d src=%s dst=%s from=%s port=%u fromlen=%u%s",
	  n, b[0] >> 4, b[0] & 15u, b[1], b[2] << 8 | b[3], frag, b[8], b[9], csum(b, ihl) == 0, s, d,
	  f, ntohs(from.sin_port), (unsigned)fl, tail);
}

static void nothing(const char *step, int fd)
{
	char b[64];
	settle(fd);
	errno = 0;
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	R(step, n);
}

static size_t echo4(uint8_t *b, uint16_t id, uint16_t seq, const char *data)
{
	size_t n = 8 + strlen(data);
	memset(b, 0, 8);
	b[0] = ICMP_ECHO;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	memcpy(b + 8, data, strlen(data));
	uint16_t c = csum(b, n);
	b[2] = (uint8_t)(c >> 8);
	b[3] = (uint8_t)c;
	return n;
}

static void no_net_raw(void)
{
	R("drop CAP_NET_RAW", drop_cap(CAP_NET_RAW));
	errno = 0;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	R("raw4 without CAP_NET_RAW", fd);
	if (fd >= 0)
		close(fd);
	errno = 0;
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	R("raw6 without CAP_NET_RAW", fd);
	if (fd >= 0)
		close(fd);
}

static void creation(void)
{
	static const int protos[] = { 0, 1, 6, 17, 58, 253, 255, 256, 262, -1 };
	char step[64];
	for (int f = 0; f < 2; f++) {
		int fam = f ? AF_INET6 : AF_INET;
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
			snprintf(step, sizeof(step), "socket %s raw proto %d", f ? "inet6" : "inet", protos[i]);
			errno = 0;
			int fd = socket(fam, SOCK_RAW, protos[i]);
			R(step, fd < 0 ? fd : 0);
			if (fd < 0)
				continue;
			int v = -7;
			socklen_t l = sizeof(v);
			snprintf(step, sizeof(step), "%s proto %d hdrincl", f ? "inet6" : "inet", protos[i]);
			errno = 0;
			int r = f ? getsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &v, &l)
				  : getsockopt(fd, IPPROTO_IP, IP_HDRINCL, &v, &l);
			V(step, "ret=%d errno=%s val=%d", r, errname(r < 0 ? errno : 0), v);
			snprintf(step, sizeof(step), "%s proto %d so_protocol", f ? "inet6" : "inet", protos[i]);
			get_int(step, fd, SOL_SOCKET, SO_PROTOCOL);
			snprintf(step, sizeof(step), "%s proto %d so_type", f ? "inet6" : "inet", protos[i]);
			get_int(step, fd, SOL_SOCKET, SO_TYPE);
			close(fd);
		}
	}
	ck_child(no_net_raw);
}

static void icmp_echo(void)
{
	int r = raw(AF_INET, IPPROTO_ICMP);
	struct sockaddr_in to = lo4("127.0.0.1");
	uint8_t b[64];
	size_t n = echo4(b, 0x1234, 1, "hello");
	TRY("sendto echo", sendto(r, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("request copy", r, 1);
	show4("reply", r, 1);
	nothing("then nothing", r);

	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	memset(&me, 0, sizeof(me));
	errno = 0;
	int g = getsockname(r, (struct sockaddr *)&me, &ml);
	V("getsockname", "ret=%d errno=%s port=%u len=%u", g, errname(g < 0 ? errno : 0), ntohs(me.sin_port),
	  (unsigned)ml);
	errno = 0;
	g = getpeername(r, (struct sockaddr *)&me, &ml);
	R("getpeername unconnected", g);
	get_int("ip_protocol", r, IPPROTO_IP, IP_PROTOCOL);
	get_int("ip_hdrincl", r, IPPROTO_IP, IP_HDRINCL);

	/* ICMP_FILTER: bit n drops type n (echo reply: 0) */
	uint32_t mask = 1u << ICMP_ECHOREPLY, got = 0;
	socklen_t gl = sizeof(got);
	TRY("set icmp_filter", setsockopt(r, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask)));
	errno = 0;
	int gr = getsockopt(r, SOL_RAW, ICMP_FILTER, &got, &gl);
	V("get icmp_filter", "ret=%d errno=%s val=%#x len=%u", gr, errname(gr < 0 ? errno : 0), got, (unsigned)gl);
	gl = 2;
	got = 0;
	errno = 0;
	gr = getsockopt(r, SOL_RAW, ICMP_FILTER, &got, &gl);
	V("get icmp_filter short", "ret=%d errno=%s val=%#x len=%u", gr, errname(gr < 0 ? errno : 0), got,
	  (unsigned)gl);
	n = echo4(b, 0x1234, 2, "filtered");
	TRY("sendto echo 2", sendto(r, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("request copy 2", r, 1);
	nothing("reply filtered", r);
	TRY("set icmp_filter long", setsockopt(r, SOL_RAW, ICMP_FILTER, &mask, 8));
	mask = 0;
	TRY("set icmp_filter 0", setsockopt(r, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask)));
	int u = raw(AF_INET, 253);
	TRY("icmp_filter on proto 253", setsockopt(u, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask)));
	gl = sizeof(got);
	TRY("get icmp_filter on proto 253", getsockopt(u, SOL_RAW, ICMP_FILTER, &got, &gl));
	close(u);

	/* connect: the default destination, and only its datagrams */
	TRY("connect", connect(r, (struct sockaddr *)&to, sizeof(to)));
	struct sockaddr_in pe;
	socklen_t pl = sizeof(pe);
	errno = 0;
	g = getpeername(r, (struct sockaddr *)&pe, &pl);
	V("getpeername", "ret=%d errno=%s port=%u len=%u", g, errname(g < 0 ? errno : 0), ntohs(pe.sin_port),
	  (unsigned)pl);
	n = echo4(b, 0x1234, 3, "conn");
	TRY("send connected", send(r, b, n, 0));
	show4("request copy 3", r, 1);
	show4("reply 3", r, 1);
	/* MSG_PEEK and MSG_TRUNC */
	TRY("send 4", send(r, b, n, 0));
	settle(r);
	TRY("peek 4", recv(r, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT));
	TRY("trunc 4", recv(r, b, 4, MSG_TRUNC | MSG_DONTWAIT));
	struct msghdr m = { 0 };
	struct iovec io = { b, 4 };
	m.msg_iov = &io;
	m.msg_iovlen = 1;
	errno = 0;
	ssize_t k = recvmsg(r, &m, MSG_DONTWAIT);
	V("short read flags", "ret=%zd errno=%s trunc=%d", k, errname(k < 0 ? errno : 0), !!(m.msg_flags & MSG_TRUNC));
	nothing("drained", r);
	TRY("shutdown rd", shutdown(r, SHUT_RD));
	struct pollfd p = { r, POLLIN | POLLOUT, 0 };
	poll(&p, 1, 0);
	V("poll after shutdown", "revents=%#x", p.revents);
	close(r);
}

static void own_proto(void)
{
	int a = raw(AF_INET, 253), b = raw(AF_INET, 253);
	struct sockaddr_in to = lo4("127.0.0.1"), bad = lo4("10.9.9.9"), two = lo4("127.0.0.2");
	TRY("bind foreign", bind(b, (struct sockaddr *)&bad, sizeof(bad)));
	TRY("bind short", bind(b, (struct sockaddr *)&to, 8));
	TRY("bind 127.0.0.1", bind(b, (struct sockaddr *)&to, sizeof(to)));
	TRY("send 253", sendto(a, "p253", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("b gets", b, 0);
	show4("a gets its own", a, 0);
	TRY("send to .2", sendto(a, "to2", 3, 0, (struct sockaddr *)&two, sizeof(two)));
	nothing("b bound elsewhere", b);
	show4("a gets .2", a, 0);
	TRY("send without address", send(a, "x", 1, 0));
	TRY("sendto short address", sendto(a, "x", 1, 0, (struct sockaddr *)&to, 8));
	/* b connected to .2: datagrams from .1 are not its */
	TRY("connect b to .2", connect(b, (struct sockaddr *)&two, sizeof(two)));
	TRY("send again", sendto(a, "again", 5, 0, (struct sockaddr *)&to, sizeof(to)));
	nothing("b connected elsewhere", b);
	show4("a again", a, 0);
	/* IP_TTL and IP_TOS of the socket go in the header */
	set_int("ttl 9", a, IPPROTO_IP, IP_TTL, 9);
	set_int("tos 0x20", a, IPPROTO_IP, IP_TOS, 0x20);
	TRY("send ttl", sendto(a, "ttl", 3, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("a ttl", a, 0);
	set_int("pmtudisc dont", a, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
	TRY("send df clear", sendto(a, "df", 2, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("a df clear", a, 0);
	/* big: over lo's MTU it is fragmented (DONT), refused with DO */
	static char big[70000];
	memset(big, 'z', sizeof(big));
	TRY("send 65515", sendto(a, big, 65515, 0, (struct sockaddr *)&to, sizeof(to)));
	TRY("send 65516", sendto(a, big, 65516, 0, (struct sockaddr *)&to, sizeof(to)));
	settle(a);
	errno = 0;
	ssize_t n = recv(a, big, sizeof(big), MSG_DONTWAIT);
	V("a gets big", "ret=%zd errno=%s totlen=%u frag=%#x", n, errname(n < 0 ? errno : 0),
	  n > 20 ? ((uint8_t)big[2] << 8 | (uint8_t)big[3]) : 0, n > 20 ? ((uint8_t)big[6] << 8 | (uint8_t)big[7]) : 0);
	TRY("disconnect b", connect(b, (struct sockaddr *)&(struct sockaddr){ .sa_family = AF_UNSPEC }, sizeof(struct sockaddr)));
	TRY("send after disconnect", sendto(a, "disc", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("b after disconnect", b, 0);
	while (recv(a, big, sizeof(big), MSG_DONTWAIT) > 0)
		;
	/* SO_RCVBUF: what does not fit is dropped */
	int c = raw(AF_INET, 253), rb = 4096;
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	for (int i = 0; i < 40; i++)
		sendto(a, big, 1000, 0, (struct sockaddr *)&to, sizeof(to));
	settle(c);
	int got = 0;
	while (recv(c, big, sizeof(big), MSG_DONTWAIT) > 0)
		got++;
	V("small rcvbuf keeps few", "some=%d all=%d", got > 0, got == 40);
	close(c);
	close(a);
	close(b);
}

static void udp_seen(void)
{
	int r = raw(AF_INET, IPPROTO_UDP);
	int u = socket(AF_INET, SOCK_DGRAM, 0), v = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = lo4("127.0.0.1");
	bind(v, (struct sockaddr *)&to, sizeof(to));
	socklen_t l = sizeof(to);
	getsockname(v, (struct sockaddr *)&to, &l);
	TRY("udp send", sendto(u, "udpdata", 7, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("raw udp copy", r, 2);
	char b[32];
	settle(v);
	TRY("udp socket still gets it", recv(v, b, sizeof(b), MSG_DONTWAIT));
	/* a raw UDP send is sent as given, and the UDP socket gets it */
	uint8_t d[12] = { 0x30, 0x39, 0, 0, 0, 12, 0, 0, 'r', 'a', 'w', '!' };
	memcpy(d + 2, &to.sin_port, 2);
	TRY("raw udp send", sendto(r, d, sizeof(d), 0, (struct sockaddr *)&to, sizeof(to)));
	memset(b, 0, sizeof(b));
	settle(v);
	errno = 0;
	ssize_t n = recv(v, b, sizeof(b), MSG_DONTWAIT);
	V("udp socket gets raw", "ret=%zd errno=%s data='%s'", n, errname(n < 0 ? errno : 0), n > 0 ? b : "");
	show4("raw sees its own", r, 2);
	close(r);
	close(u);
	close(v);
}

static size_t hdr4(uint8_t *b, unsigned ihl, uint16_t totlen, uint8_t ttl, uint8_t proto, const char *src,
		   const char *data)
{
	memset(b, 0, 20);
	b[0] = (uint8_t)(0x40 | ihl);
	b[2] = (uint8_t)(totlen >> 8);
	b[3] = (uint8_t)totlen;
	b[8] = ttl;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, "127.0.0.1", b + 16);
	memcpy(b + 20, data, strlen(data));
	return 20 + strlen(data);
}

static void hdrincl(void)
{
	int a = raw(AF_INET, 253), rx = raw(AF_INET, 253), rr = raw(AF_INET, IPPROTO_RAW);
	struct sockaddr_in to = lo4("127.0.0.1");
	uint8_t b[128];
	set_int("set hdrincl", a, IPPROTO_IP, IP_HDRINCL, 1);
	get_int("get hdrincl", a, IPPROTO_IP, IP_HDRINCL);
	size_t n = hdr4(b, 5, 0, 7, 253, "0.0.0.0", "hdr");
	TRY("send hdrincl", sendto(a, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("rx hdrincl", rx, 0);
	nothing("a gets its own too", rx);
	show4("a's copy", a, 0);
	n = hdr4(b, 5, 999, 9, 253, "127.0.0.1", "totlen");
	b[4] = 0x12;
	b[5] = 0x34;
	TRY("send wrong totlen and id", sendto(a, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	settle(rx);
	errno = 0;
	ssize_t k = recv(rx, b, sizeof(b), MSG_DONTWAIT);
	V("rx wrong totlen", "ret=%zd errno=%s totlen=%u id=%#x hcsum_ok=%d", k, errname(k < 0 ? errno : 0),
	  k > 20 ? b[2] << 8 | b[3] : 0, k > 20 ? b[4] << 8 | b[5] : 0, k > 20 ? csum(b, 20) == 0 : 0);
	while (recv(a, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	n = hdr4(b, 5, 0, 7, 17, "0.0.0.0", "xx");
	TRY("send short 19", sendto(a, b, 19, 0, (struct sockaddr *)&to, sizeof(to)));
	TRY("send empty", sendto(a, b, 0, 0, (struct sockaddr *)&to, sizeof(to)));
	n = hdr4(b, 4, 0, 7, 253, "0.0.0.0", "ihl");
	TRY("send ihl 4", sendto(a, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	n = hdr4(b, 15, 0, 7, 253, "0.0.0.0", "ihl");
	TRY("send ihl 15 over length", sendto(a, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	n = hdr4(b, 5, 0, 7, 253, "0.0.0.0", "v6");
	b[0] = 0x65;
	TRY("send version 6", sendto(a, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	nothing("rx after bad headers", rx);
	while (recv(a, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	static uint8_t big[70000];
	hdr4(big, 5, 0, 7, 253, "0.0.0.0", "");
	TRY("send over mtu", sendto(a, big, 65536, 0, (struct sockaddr *)&to, sizeof(to)));
	TRY("send 65535", sendto(a, big, 65535, 0, (struct sockaddr *)&to, sizeof(to)));
	settle(rx);
	TRY("rx 65535", recv(rx, big, sizeof(big), MSG_DONTWAIT));
	while (recv(a, big, sizeof(big), MSG_DONTWAIT) > 0)
		;
	/* IPPROTO_RAW: IP_HDRINCL on, sends any protocol, receives nothing */
	get_int("raw hdrincl", rr, IPPROTO_IP, IP_HDRINCL);
	n = hdr4(b, 5, 0, 5, 253, "0.0.0.0", "viaraw");
	TRY("send via ipproto_raw", sendto(rr, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("rx via ipproto_raw", rx, 0);
	nothing("ipproto_raw gets nothing", rr);
	n = hdr4(b, 5, 0, 5, 255, "0.0.0.0", "p255");
	TRY("send protocol 255", sendto(rr, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	show4("ipproto_raw and protocol 255", rr, 0);
	set_int("clear hdrincl on udp socket", a, IPPROTO_IP, IP_HDRINCL, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	set_int("hdrincl on udp socket", u, IPPROTO_IP, IP_HDRINCL, 1);
	close(u);
	close(a);
	close(rx);
	close(rr);
}

/* ---- IPv6 ---- */

static void show6(const char *step, int fd)
{
	uint8_t b[256], cb[256];
	struct sockaddr_in6 from;
	memset(&from, 0xee, sizeof(from));
	struct iovec io = { b, sizeof(b) };
	struct msghdr m = { &from, sizeof(from), &io, 1, cb, sizeof(cb), 0 };
	settle(fd);
	errno = 0;
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
	if (n < 0) {
		V(step, "ret=%zd errno=%s", n, errname(errno));
		return;
	}
	char f[64];
	inet_ntop(AF_INET6, &from.sin6_addr, f, sizeof(f));
	char cm[128] = "";
	size_t cl = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			char a[64];
			inet_ntop(AF_INET6, &pi.ipi6_addr, a, sizeof(a));
			cl += (size_t)snprintf(cm + cl, sizeof(cm) - cl, " pktinfo=%s,%u", a, pi.ipi6_ifindex);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
			int h;
			memcpy(&h, CMSG_DATA(c), sizeof(h));
			cl += (size_t)snprintf(cm + cl, sizeof(cm) - cl, " hoplimit=%d", h);
		} else {
			cl += (size_t)snprintf(cm + cl, sizeof(cm) - cl, " cmsg=%d/%d", c->cmsg_level, c->cmsg_type);
		}
		if (cl >= sizeof(cm))
			break;
	}
	char hex[80] = "";
	for (ssize_t i = 0; i < n && i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	V(step, "ret=%zd from=%s port=%u namelen=%u head=%s data='%.*s'%s", n, f, ntohs(from.sin6_port),
	  (unsigned)m.msg_namelen, hex, (int)(n > 8 ? n - 8 : 0), (const char *)b + 8, cm);
}

static size_t echo6(uint8_t *b, uint8_t type, uint16_t id, uint16_t seq, const char *data)
{
	memset(b, 0, 8);
	b[0] = type;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	memcpy(b + 8, data, strlen(data));
	return 8 + strlen(data);
}

static void icmp6_echo(void)
{
	int r = raw(AF_INET6, IPPROTO_ICMPV6);
	struct sockaddr_in6 to = lo6();
	struct icmp6_filter f, g;
	socklen_t gl = sizeof(g);
	errno = 0;
	int gr = getsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &g, &gl);
	V("default icmp6_filter", "ret=%d errno=%s passall=%d len=%u", gr, errname(gr < 0 ? errno : 0),
	  ICMP6_FILTER_WILLPASS(1, &g) && ICMP6_FILTER_WILLPASS(255, &g), (unsigned)gl);
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	TRY("set icmp6_filter echo only", setsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)));
	TRY("set icmp6_filter short", setsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &f, 4));
	TRY("set icmp6_filter echo only again", setsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)));
	set_int("recvpktinfo", r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	set_int("recvhoplimit", r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
	get_int("checksum icmpv6", r, IPPROTO_IPV6, IPV6_CHECKSUM);
	set_int("set checksum icmpv6", r, IPPROTO_IPV6, IPV6_CHECKSUM, 2);
	set_int("set checksum icmpv6 off", r, IPPROTO_IPV6, IPV6_CHECKSUM, -1);
	get_int("hdrincl6", r, IPPROTO_IPV6, IPV6_HDRINCL);
	uint8_t b[64];
	size_t n = echo6(b, ICMP6_ECHO_REQUEST, 0x4321, 1, "hello6");
	TRY("sendto echo6", sendto(r, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	show6("request6 copy", r);
	show6("reply6", r);
	nothing("then nothing6", r);
	ICMP6_FILTER_SETBLOCK(ICMP6_ECHO_REPLY, &f);
	TRY("block echo reply", setsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)));
	gl = sizeof(g);
	memset(&g, 0, sizeof(g));
	errno = 0;
	gr = getsockopt(r, IPPROTO_ICMPV6, ICMP6_FILTER, &g, &gl);
	V("get icmp6_filter", "ret=%d errno=%s pass128=%d pass129=%d pass1=%d len=%u", gr, errname(gr < 0 ? errno : 0),
	  ICMP6_FILTER_WILLPASS(128, &g), ICMP6_FILTER_WILLPASS(129, &g), ICMP6_FILTER_WILLPASS(1, &g), (unsigned)gl);
	n = echo6(b, ICMP6_ECHO_REQUEST, 0x4321, 2, "blocked");
	TRY("sendto echo6 2", sendto(r, b, n, 0, (struct sockaddr *)&to, sizeof(to)));
	show6("request6 copy 2", r);
	nothing("reply6 filtered", r);
	TRY("sendto 7 bytes", sendto(r, b, 7, 0, (struct sockaddr *)&to, sizeof(to)));
	TRY("sendto 1 byte", sendto(r, b, 1, 0, (struct sockaddr *)&to, sizeof(to)));
	show6("7 bytes seen", r);
	nothing("1 byte not seen", r);
	struct sockaddr_in6 me;
	socklen_t ml = sizeof(me);
	errno = 0;
	int g2 = getsockname(r, (struct sockaddr *)&me, &ml);
	V("getsockname6", "ret=%d errno=%s port=%u len=%u", g2, errname(g2 < 0 ? errno : 0), ntohs(me.sin6_port),
	  (unsigned)ml);
	close(r);
	int o = raw(AF_INET6, 253);
	TRY("icmp6_filter on proto 253", setsockopt(o, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)));
	gl = sizeof(g);
	TRY("get icmp6_filter on proto 253", getsockopt(o, IPPROTO_ICMPV6, ICMP6_FILTER, &g, &gl));
	close(o);
}

static void checksum6(void)
{
	int a = raw(AF_INET6, 253), b = raw(AF_INET6, 253);
	struct sockaddr_in6 to = lo6();
	get_int("checksum default", a, IPPROTO_IPV6, IPV6_CHECKSUM);
	set_int("checksum odd", a, IPPROTO_IPV6, IPV6_CHECKSUM, 1);
	set_int("checksum 2", a, IPPROTO_IPV6, IPV6_CHECKSUM, 2);
	get_int("checksum read", a, IPPROTO_IPV6, IPV6_CHECKSUM);
	get_int("checksum sol_raw", a, SOL_RAW, IPV6_CHECKSUM);
	uint8_t d[16] = { 'a', 'b', 0, 0, 'd', 'a', 't', 'a' };
	TRY("send with checksum", sendto(a, d, 8, 0, (struct sockaddr *)&to, sizeof(to)));
	show6("b sees it", b);
	show6("a sees its own", a);
	TRY("send too short for checksum", sendto(a, d, 3, 0, (struct sockaddr *)&to, sizeof(to)));
	TRY("send 4 bytes", sendto(a, d, 4, 0, (struct sockaddr *)&to, sizeof(to)));
	show6("b 4 bytes", b);
	show6("a 4 bytes", a);
	d[2] = 0x12;
	d[3] = 0x34;
	TRY("b sends bad sum", sendto(b, d, 8, 0, (struct sockaddr *)&to, sizeof(to)));
	show6("b its own", b);
	nothing("a drops bad sum", a);
	set_int("checksum off", a, IPPROTO_IPV6, IPV6_CHECKSUM, -1);
	set_int("checksum -2", a, IPPROTO_IPV6, IPV6_CHECKSUM, -2);
	get_int("checksum after -2", a, IPPROTO_IPV6, IPV6_CHECKSUM);
	set_int("hdrincl6 on 253", a, IPPROTO_IPV6, IPV6_HDRINCL, 1);
	int r6 = raw(AF_INET6, IPPROTO_RAW);
	get_int("hdrincl6 on ipproto_raw", r6, IPPROTO_IPV6, IPV6_HDRINCL);
	close(r6);
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	set_int("checksum on udp6", u, IPPROTO_IPV6, IPV6_CHECKSUM, 2);
	close(u);
	close(a);
	close(b);
}


/* IP_RECVERR: an ICMP error about what a raw socket sent (protocol 252
 * to 127.0.0.2, which no raw socket takes: protocol unreachable), the
 * pending error, and the error queue's report. */
static void errors(void)
{
	int r = raw(AF_INET, 252);
	struct sockaddr_in one = lo4("127.0.0.1"), two = lo4("127.0.0.2");
	TRY("bind 252", bind(r, (struct sockaddr *)&one, sizeof(one)));
	set_int("recverr", r, IPPROTO_IP, IP_RECVERR, 1);
	TRY("send to .2", sendto(r, "unreachable", 11, 0, (struct sockaddr *)&two, sizeof(two)));
	struct pollfd p = { r, POLLIN, 0 };
	guard_begin();
	poll(&p, 1, 1000);
	guard_end();
	V("poll error", "revents=%#x", p.revents);
	get_int("so_error", r, SOL_SOCKET, SO_ERROR);
	uint8_t b[128], cb[256];
	struct sockaddr_in from;
	memset(&from, 0xee, sizeof(from));
	struct iovec io = { b, sizeof(b) };
	struct msghdr m = { &from, sizeof(from), &io, 1, cb, sizeof(cb), 0 };
	errno = 0;
	ssize_t n = recvmsg(r, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	char a[16] = "", off[16] = "";
	inet_ntop(AF_INET, &from.sin_addr, a, sizeof(a));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	struct sock_extended_err ee;
	memset(&ee, 0, sizeof(ee));
	if (c && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) {
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		struct sockaddr_in o;
		memcpy(&o, CMSG_DATA(c) + sizeof(ee), sizeof(o));
		inet_ntop(AF_INET, &o.sin_addr, off, sizeof(off));
	}
	V("errqueue", "ret=%zd errno=%s data='%.*s' name=%s port=%u namelen=%u flags=%#x ee_errno=%s origin=%u type=%u code=%u info=%u offender=%s",
	  n, errname(n < 0 ? errno : 0), n > 0 ? (int)n : 0, (const char *)b, a, ntohs(from.sin_port),
	  (unsigned)m.msg_namelen, (unsigned)m.msg_flags, errname((int)ee.ee_errno), ee.ee_origin, ee.ee_type,
	  ee.ee_code, ee.ee_info, off);
	get_int("so_error after", r, SOL_SOCKET, SO_ERROR);
	/* without IP_RECVERR, unconnected: nothing; connected: the error */
	set_int("recverr off", r, IPPROTO_IP, IP_RECVERR, 0);
	TRY("send again 252", sendto(r, "again and again", 15, 0, (struct sockaddr *)&two, sizeof(two)));
	settle(r);
	get_int("so_error unconnected", r, SOL_SOCKET, SO_ERROR);
	TRY("connect .2", connect(r, (struct sockaddr *)&two, sizeof(two)));
	usleep(1100000); /* (the ICMP rate limit's token) */
	TRY("send connected", send(r, "connected now", 13, 0));
	settle(r);
	TRY("recv reports it", recv(r, b, sizeof(b), MSG_DONTWAIT));
	TRY("then nothing", recv(r, b, sizeof(b), MSG_DONTWAIT));
	close(r);

	/* IP_PKTINFO and IP_TTL on what a raw socket reads; FIONREAD */
	int q = raw(AF_INET, 252);
	set_int("q pktinfo", q, IPPROTO_IP, IP_PKTINFO, 1);
	set_int("q recvttl", q, IPPROTO_IP, IP_RECVTTL, 1);
	TRY("q send", sendto(q, "cm", 2, 0, (struct sockaddr *)&one, sizeof(one)));
	settle(q);
	int avail = -1;
	TRY("fionread", ioctl(q, FIONREAD, &avail));
	V("fionread value", "%d", avail);
	m = (struct msghdr){ &from, sizeof(from), &io, 1, cb, sizeof(cb), 0 };
	errno = 0;
	n = recvmsg(q, &m, MSG_DONTWAIT);
	char cm[160] = "";
	size_t cl = 0;
	for (c = CMSG_FIRSTHDR(&m); c && cl < sizeof(cm); c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			char x[16], y[16];
			inet_ntop(AF_INET, &pi.ipi_addr, x, sizeof(x));
			inet_ntop(AF_INET, &pi.ipi_spec_dst, y, sizeof(y));
			cl += (size_t)snprintf(cm + cl, sizeof(cm) - cl, " pktinfo=%d,%s,%s", pi.ipi_ifindex, x, y);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			int t;
			memcpy(&t, CMSG_DATA(c), sizeof(t));
			cl += (size_t)snprintf(cm + cl, sizeof(cm) - cl, " ttl=%d", t);
		} else {
			cl += (size_t)snprintf(cm + cl, sizeof(cm) - cl, " cmsg=%d/%d", c->cmsg_level, c->cmsg_type);
		}
	}
	V("q cmsgs", "ret=%zd errno=%s%s", n, errname(n < 0 ? errno : 0), cm);
	/* IP_ROUTER_ALERT: raw sockets only, not IPPROTO_RAW */
	set_int("router alert", q, IPPROTO_IP, IP_ROUTER_ALERT, 1);
	set_int("router alert again", q, IPPROTO_IP, IP_ROUTER_ALERT, 1);
	get_int("router alert read", q, IPPROTO_IP, IP_ROUTER_ALERT);
	set_int("router alert off", q, IPPROTO_IP, IP_ROUTER_ALERT, 0);
	set_int("router alert off again", q, IPPROTO_IP, IP_ROUTER_ALERT, 0);
	set_int("nodefrag", q, IPPROTO_IP, IP_NODEFRAG, 1);
	get_int("nodefrag read", q, IPPROTO_IP, IP_NODEFRAG);
	TRY("send oob", sendto(q, "o", 1, MSG_OOB, (struct sockaddr *)&one, sizeof(one)));
	TRY("recv oob", recv(q, b, sizeof(b), MSG_OOB | MSG_DONTWAIT));
	struct sockaddr_in un = lo4("127.0.0.1");
	un.sin_family = AF_UNSPEC;
	TRY("sendto af_unspec", sendto(q, "u", 1, 0, (struct sockaddr *)&un, sizeof(un)));
	un.sin_family = AF_INET6;
	TRY("sendto af_inet6", sendto(q, "u", 1, 0, (struct sockaddr *)&un, sizeof(un)));
	close(q);
	int rr = raw(AF_INET, IPPROTO_RAW);
	set_int("router alert ipproto_raw", rr, IPPROTO_IP, IP_ROUTER_ALERT, 1);
	close(rr);
	/* another level's options: the protocol's own are not a raw socket's */
	int t = raw(AF_INET, IPPROTO_TCP), t6 = raw(AF_INET6, IPPROTO_TCP);
	set_int("tcp level on raw tcp", t, IPPROTO_TCP, 1 /* TCP_NODELAY */, 1);
	get_int("tcp level on raw tcp read", t, IPPROTO_TCP, 1);
	get_int("ipv6 level on raw4", t, IPPROTO_IPV6, IPV6_V6ONLY);
	set_int("tcp level on raw6 tcp", t6, IPPROTO_TCP, 1, 1);
	get_int("tcp level on raw6 tcp read", t6, IPPROTO_TCP, 1);
	get_int("ip level on raw6", t6, IPPROTO_IP, IP_TTL);
	get_int("sol_raw other on raw4", t, SOL_RAW, 99);
	get_int("sol_raw other on raw6", t6, SOL_RAW, 99);
	get_int("sol_raw 7 is ipv6_checksum", t6, SOL_RAW, 7);
	close(t);
	close(t6);
}

/* IPV6_HDRINCL: the user's IPv6 header goes as given */
static void hdrincl6(void)
{
	int a = raw(AF_INET6, IPPROTO_RAW), rx = raw(AF_INET6, 253);
	struct sockaddr_in6 to = lo6();
	uint8_t b[64];
	memset(b, 0, sizeof(b));
	b[0] = 0x60;
	b[5] = 4; /* payload length */
	b[6] = 253;
	b[7] = 33;
	b[23] = 1;
	b[39] = 1;
	memcpy(b + 40, "six!", 4);
	TRY("send hdrincl6", sendto(a, b, 44, 0, (struct sockaddr *)&to, sizeof(to)));
	set_int("rx recvhoplimit", rx, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
	show6("rx hdrincl6", rx);
	TRY("send hdrincl6 short", sendto(a, b, 39, 0, (struct sockaddr *)&to, sizeof(to)));
	TRY("send hdrincl6 without address", send(a, b, 44, 0));
	to.sin6_port = htons(17);
	TRY("send with sin6_port 17 on ipproto_raw", sendto(a, b, 44, 0, (struct sockaddr *)&to, sizeof(to)));
	TRY("send with sin6_port 17 on 253", sendto(rx, b, 44, 0, (struct sockaddr *)&to, sizeof(to)));
	to.sin6_port = htons(300);
	TRY("send with sin6_port 300", sendto(a, b, 44, 0, (struct sockaddr *)&to, sizeof(to)));
	to.sin6_port = 0;
	TRY("sendto short name6", sendto(rx, b, 4, 0, (struct sockaddr *)&to, 20));
	settle(rx);
	while (recv(rx, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	struct sockaddr_in6 bad = lo6();
	bad.sin6_addr.s6_addr[0] = 0x20;
	TRY("bind6 foreign", bind(rx, (struct sockaddr *)&bad, sizeof(bad)));
	TRY("bind6 short", bind(rx, (struct sockaddr *)&to, 20));
	TRY("bind6 ::1", bind(rx, (struct sockaddr *)&to, sizeof(to)));
	TRY("connect6 ::1", connect(rx, (struct sockaddr *)&to, sizeof(to)));
	struct sockaddr_in6 me;
	socklen_t ml = sizeof(me);
	errno = 0;
	int g = getpeername(rx, (struct sockaddr *)&me, &ml);
	R("getpeername6", g);
	TRY("send6 connected", send(rx, "c6", 2, 0));
	show6("rx own connected", rx);
	close(a);
	close(rx);
}

/* /proc/net/raw and raw6: the header, and each socket's addresses (the
 * protocol as the local port) and state */
static void proc_raw(void)
{
	int a = raw(AF_INET, 253), b = raw(AF_INET6, IPPROTO_ICMPV6);
	struct sockaddr_in one = lo4("127.0.0.1");
	bind(a, (struct sockaddr *)&one, sizeof(one));
	static const char *const files[] = { "/proc/net/raw", "/proc/net/raw6" };
	for (int f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "r");
		if (!fp) {
			V(files[f], "open errno=%s", errname(errno));
			continue;
		}
		char line[512];
		int n = 0;
		while (fgets(line, sizeof(line), fp)) {
			char step[64], l[80] = "", r[80] = "", st[8] = "";
			snprintf(step, sizeof(step), "%s line %d", files[f], n++);
			if (n == 1) {
				line[strcspn(line, "\n")] = 0;
				V(step, "'%s'", line);
				continue;
			}
			sscanf(line, "%*s %79s %79s %7s", l, r, st);
			V(step, "%s %s %s", l, r, st);
		}
		fclose(fp);
	}
	close(a);
	close(b);
}

void case_raw_sockets(void)
{
	creation();
	icmp_echo();
	own_proto();
	udp_seen();
	hdrincl();
	icmp6_echo();
	checksum6();
	errors();
	hdrincl6();
	proc_raw();
}
