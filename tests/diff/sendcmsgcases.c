/*
 * A UDP send's control messages (ip(7), ipv6(7), udp(7), socket(7)), as
 * Linux's udp_sendmsg reads them: IP_PKTINFO's source and interface,
 * IP_TTL, IP_TOS, IP_PROTOCOL; IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS,
 * IPV6_DONTFRAG, IPV6_FLOWINFO; UDP_SEGMENT; SOL_SOCKET's; unknown types
 * and levels, short lengths. The receiver over loopback says what came:
 * the source, the TTL or hop limit, the TOS or traffic class, the size.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static int rcv4, rcv6;
static struct sockaddr_in to4;
static struct sockaddr_in6 to6;

/* What the receiver r got, as a line */
static void got(const char *step, int r)
{
	struct pollfd p = { r, POLLIN, 0 };
	poll(&p, 1, 2000);
	char b[1200], cb[256], from[64] = "";
	struct sockaddr_storage ss;
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_name = &ss, .msg_namelen = sizeof(ss), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = sizeof(cb) };
	long n = recvmsg(r, &m, MSG_DONTWAIT);
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, from, sizeof(from));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, from, sizeof(from));
	int hops = -1, tc = -1;
	for (struct cmsghdr *c = n < 0 ? NULL : CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT))
			memcpy(&hops, CMSG_DATA(c), sizeof(int));
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			tc = *CMSG_DATA(c);
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
			memcpy(&tc, CMSG_DATA(c), sizeof(int));
	}
	V(step, "received %ld from %s, hops %d, class %d", n, n < 0 ? "-" : from, hops, tc);
}

/* One sendmsg of len bytes with one control message, then what came. */
static void snd(const char *step, int s, int six, size_t len, int level, int type, const void *d, size_t dl)
{
	static char data[4000];
	char cb[256];
	memset(cb, 0, sizeof(cb));
	struct iovec iov = { data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = CMSG_SPACE(dl) };
	if (six) {
		m.msg_name = &to6;
		m.msg_namelen = sizeof(to6);
	} else {
		m.msg_name = &to4;
		m.msg_namelen = sizeof(to4);
	}
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(dl);
	memcpy(CMSG_DATA(c), d, dl);
	errno = 0;
	long n = sendmsg(s, &m, 0);
	R(step, n);
	if (n < 0)
		return;
	/* (UDP_SEGMENT's 1000-byte pieces each come alone; a v4-mapped
	 * destination is the IPv4 receiver) */
	size_t reads = level == IPPROTO_UDP && type == UDP_SEGMENT ? (len + 999) / 1000 : 1;
	for (size_t i = 0; i < reads; i++)
		got(step, six && !IN6_IS_ADDR_V4MAPPED(&to6.sin6_addr) ? rcv6 : rcv4);
}

static void recv_flags(int r, int six)
{
	int one = 1;
	if (six) {
		setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
		setsockopt(r, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	} else {
		setsockopt(r, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
		setsockopt(r, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	}
}

static void v4(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1, big = 300, zero = 0, neg = -1, seven = 7, tos = 0x48;
	unsigned char b28 = 0x28;
	snd("IP_TTL 7", s, 0, 5, IPPROTO_IP, IP_TTL, &seven, 4);
	snd("IP_TTL 300", s, 0, 5, IPPROTO_IP, IP_TTL, &big, 4);
	snd("IP_TTL 0", s, 0, 5, IPPROTO_IP, IP_TTL, &zero, 4);
	snd("IP_TTL -1", s, 0, 5, IPPROTO_IP, IP_TTL, &neg, 4);
	snd("IP_TTL in one byte", s, 0, 5, IPPROTO_IP, IP_TTL, &b28, 1);
	snd("IP_TOS int", s, 0, 5, IPPROTO_IP, IP_TOS, &tos, 4);
	snd("IP_TOS byte", s, 0, 5, IPPROTO_IP, IP_TOS, &b28, 1);
	snd("IP_TOS 300", s, 0, 5, IPPROTO_IP, IP_TOS, &big, 4);
	snd("IP_TOS in two bytes", s, 0, 5, IPPROTO_IP, IP_TOS, &tos, 2);
	snd("IP_PROTOCOL 17", s, 0, 5, IPPROTO_IP, IP_PROTOCOL, &(int){ 17 }, 4);
	snd("IP_PROTOCOL 0", s, 0, 5, IPPROTO_IP, IP_PROTOCOL, &zero, 4);
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = htonl(0x7f000005) };
	snd("IP_PKTINFO from 127.0.0.5", s, 0, 5, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	pi.ipi_spec_dst.s_addr = htonl(0x0a000001);
	snd("IP_PKTINFO from 10.0.0.1", s, 0, 5, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	pi.ipi_spec_dst.s_addr = 0;
	pi.ipi_ifindex = 1;
	snd("IP_PKTINFO by lo", s, 0, 5, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	pi.ipi_ifindex = 77;
	snd("IP_PKTINFO by interface 77", s, 0, 5, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	snd("IP_PKTINFO short", s, 0, 5, IPPROTO_IP, IP_PKTINFO, &pi, 8);
	snd("IP_RECVTTL as a type", s, 0, 5, IPPROTO_IP, IP_RECVTTL, &one, 4);
	snd("level 99", s, 0, 5, 99, 1, &one, 4);
	snd("IPV6_HOPLIMIT on IPv4", s, 0, 5, IPPROTO_IPV6, IPV6_HOPLIMIT, &seven, 4);
	snd("SO_MARK", s, 0, 5, SOL_SOCKET, SO_MARK, &one, 4);
	snd("SO_MARK in two bytes", s, 0, 5, SOL_SOCKET, SO_MARK, &one, 2);
	snd("SO_PRIORITY", s, 0, 5, SOL_SOCKET, SO_PRIORITY, &one, 4);
	snd("SCM_CREDENTIALS", s, 0, 5, SOL_SOCKET, SCM_CREDENTIALS, &one, 4);
	snd("SOL_SOCKET 999", s, 0, 5, SOL_SOCKET, 999, &one, 4);
	unsigned short seg = 1000;
	snd("UDP_SEGMENT 1000 of 2500 bytes", s, 0, 2500, IPPROTO_UDP, UDP_SEGMENT, &seg, 2);
	snd("UDP_SEGMENT in four bytes", s, 0, 5, IPPROTO_UDP, UDP_SEGMENT, &tos, 4);
	snd("SOL_UDP 1", s, 0, 5, IPPROTO_UDP, 1, &one, 4);
	close(s);
}

static void v6(void)
{
	int s = socket(AF_INET6, SOCK_DGRAM, 0), one = 1, seven = 7, neg = -1, big = 256, tc = 0x28, zero = 0;
	snd("IPV6_HOPLIMIT 7", s, 1, 5, IPPROTO_IPV6, IPV6_HOPLIMIT, &seven, 4);
	snd("IPV6_HOPLIMIT -1", s, 1, 5, IPPROTO_IPV6, IPV6_HOPLIMIT, &neg, 4);
	snd("IPV6_HOPLIMIT 256", s, 1, 5, IPPROTO_IPV6, IPV6_HOPLIMIT, &big, 4);
	snd("IPV6_HOPLIMIT in two bytes", s, 1, 5, IPPROTO_IPV6, IPV6_HOPLIMIT, &seven, 2);
	snd("IPV6_TCLASS 0x28", s, 1, 5, IPPROTO_IPV6, IPV6_TCLASS, &tc, 4);
	snd("IPV6_TCLASS -1", s, 1, 5, IPPROTO_IPV6, IPV6_TCLASS, &neg, 4);
	snd("IPV6_TCLASS 256", s, 1, 5, IPPROTO_IPV6, IPV6_TCLASS, &big, 4);
	struct in6_pktinfo pi = { .ipi6_addr = IN6ADDR_LOOPBACK_INIT };
	snd("IPV6_PKTINFO from ::1", s, 1, 5, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	inet_pton(AF_INET6, "2001:db8::1", &pi.ipi6_addr);
	snd("IPV6_PKTINFO from 2001:db8::1", s, 1, 5, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	pi.ipi6_addr = in6addr_any;
	pi.ipi6_ifindex = 77;
	snd("IPV6_PKTINFO by interface 77", s, 1, 5, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	pi.ipi6_ifindex = 1;
	snd("IPV6_PKTINFO by lo", s, 1, 5, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	snd("IPV6_PKTINFO short", s, 1, 5, IPPROTO_IPV6, IPV6_PKTINFO, &pi, 16);
	int mtu = 1280;
	setsockopt(s, IPPROTO_IPV6, IPV6_MTU, &mtu, sizeof(mtu));
	snd("IPV6_DONTFRAG 1, 2000 bytes, IPV6_MTU 1280", s, 1, 2000, IPPROTO_IPV6, IPV6_DONTFRAG, &one, 4);
	snd("IPV6_DONTFRAG 0, 2000 bytes", s, 1, 2000, IPPROTO_IPV6, IPV6_DONTFRAG, &zero, 4);
	uint32_t fi = htonl(0x12345);
	snd("IPV6_FLOWINFO", s, 1, 5, IPPROTO_IPV6, IPV6_FLOWINFO, &fi, 4);
	snd("IPV6_RECVPKTINFO as a type", s, 1, 5, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, 4);
	snd("IP_TTL on IPv6", s, 1, 5, IPPROTO_IP, IP_TTL, &seven, 4);
	snd("SOL_SOCKET 999 on IPv6", s, 1, 5, SOL_SOCKET, 999, &one, 4);
	/* an IPv6 socket's IPv4 datagram (a v4-mapped destination) */
	struct sockaddr_in6 keep = to6;
	to6.sin6_addr = (struct in6_addr){ .s6_addr = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 } };
	to6.sin6_port = to4.sin_port;
	snd("v4-mapped, IP_TTL 7", s, 1, 5, IPPROTO_IP, IP_TTL, &seven, 4);
	snd("v4-mapped, IPV6_HOPLIMIT 7", s, 1, 5, IPPROTO_IPV6, IPV6_HOPLIMIT, &seven, 4);
	struct in6_pktinfo mp = { .ipi6_addr = { .s6_addr = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 9 } } };
	snd("v4-mapped, IPV6_PKTINFO from 127.0.0.9", s, 1, 5, IPPROTO_IPV6, IPV6_PKTINFO, &mp, sizeof(mp));
	to6 = keep;
	close(s);
}

/* UDP_SEGMENT on a corked datagram: cut when flushed */
static void gso_cork(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0), seg = 1000, one = 1, zero = 0;
	connect(s, (struct sockaddr *)&to4, sizeof(to4));
	static char buf[3000];
	setsockopt(s, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	setsockopt(s, IPPROTO_UDP, UDP_CORK, &one, sizeof(one));
	TRY("corked 1500", send(s, buf, 1500, 0));
	TRY("corked 1000", send(s, buf, 1000, 0));
	TRY("uncork", setsockopt(s, IPPROTO_UDP, UDP_CORK, &zero, sizeof(zero)));
	for (int i = 0; i < 3; i++)
		got("the corked 2500 bytes", rcv4);
	TRY("MSG_MORE 1500", send(s, buf, 1500, MSG_MORE));
	TRY("then 700", send(s, buf, 700, 0));
	for (int i = 0; i < 3; i++)
		got("the 2200 bytes", rcv4);
	close(s);
}

/* TCP reads only SOL_SOCKET's (Linux's sock_cmsg_send) */
static void tcp(void)
{
	int c, s, one = 1, seven = 7;
	tcp_pair(&c, &s);
	static const struct {
		const char *name;
		int level, type;
		size_t len;
	} k[] = { { "tcp SO_MARK", SOL_SOCKET, SO_MARK, 4 },
		  { "tcp SOL_SOCKET 999", SOL_SOCKET, 999, 4 },
		  { "tcp SO_MARK in two bytes", SOL_SOCKET, SO_MARK, 2 },
		  { "tcp IP_TTL", IPPROTO_IP, IP_TTL, 4 },
		  { "tcp IP level 999", IPPROTO_IP, 999, 4 },
		  { "tcp level 99", 99, 1, 4 } };
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		char cb[64];
		memset(cb, 0, sizeof(cb));
		struct iovec iov = { "x", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
				    .msg_controllen = CMSG_SPACE(k[i].len) };
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = k[i].level;
		h->cmsg_type = k[i].type;
		h->cmsg_len = CMSG_LEN(k[i].len);
		memcpy(CMSG_DATA(h), k[i].type == IP_TTL ? &seven : &one, k[i].len);
		TRY(k[i].name, sendmsg(c, &m, MSG_NOSIGNAL));
	}
	char cb[CMSG_SPACE(4)];
	memset(cb, 0, sizeof(cb));
	struct iovec iov = { "y", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = 99;
	h->cmsg_len = sizeof(cb) + 8;
	TRY("tcp a control message longer than the buffer", sendmsg(c, &m, MSG_NOSIGNAL));
	/* the four sends taken: four bytes (waited for, 2 s at most each) */
	char b[16];
	long got = 0;
	while (got < 4) {
		struct pollfd p = { s, POLLIN, 0 };
		if (poll(&p, 1, 2000) <= 0)
			break;
		long n = recv(s, b, sizeof(b), MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += n;
	}
	V("tcp the bytes that came", "%ld", got);
	close(c);
	close(s);
}

void case_udp_send_cmsgs(void)
{
	rcv4 = socket(AF_INET, SOCK_DGRAM, 0);
	to4 = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	socklen_t l = sizeof(to4);
	bind(rcv4, (struct sockaddr *)&to4, sizeof(to4));
	getsockname(rcv4, (struct sockaddr *)&to4, &l);
	to4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	recv_flags(rcv4, 0);
	rcv6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(rcv6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	to6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	l = sizeof(to6);
	bind(rcv6, (struct sockaddr *)&to6, sizeof(to6));
	getsockname(rcv6, (struct sockaddr *)&to6, &l);
	recv_flags(rcv6, 1);
	v4();
	v6();
	gso_cork();
	tcp();
	close(rcv4);
	close(rcv6);
}
