/*
 * Differential cases for sockets (issue 12, part 2 of its list): options
 * Linux has, calls that must return at once, results that must match,
 * UDP corking, epoll's limits. Rules as in diffcases.c; every call that
 * Linux answers without waiting runs under guard_begin(), so that a moat
 * that would block prints EINTR instead of hanging.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef TCP_INQ
#define TCP_INQ 36
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef UDP_CORK
#define UDP_CORK 1
#endif

static struct sockaddr_in loop4(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

/* A TCP listener on 127.0.0.1 at a kernel-chosen port; *port gets it. */
static int listener(uint16_t *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loop4(0);
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 8);
	getsockname(l, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return l;
}

/* A bound UDP socket on 127.0.0.1; *port gets its port. */
static int udp_bound(uint16_t *port)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loop4(0);
	socklen_t al = sizeof(a);
	bind(u, (struct sockaddr *)&a, sizeof(a));
	getsockname(u, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return u;
}

/* recv without waiting: prints the length and the bytes as text. */
static void recv_show(const char *step, int fd, int flags)
{
	char b[256];
	memset(b, 0, sizeof(b));
	errno = 0;
	guard_begin();
	ssize_t n = recv(fd, b, sizeof(b) - 1, flags | MSG_DONTWAIT);
	guard_end();
	V(step, "ret=%zd errno=%s data='%s'", n, errname(n < 0 ? errno : 0), n > 0 ? b : "");
}

/* ---- options that moat answered ENOPROTOOPT ---- */

void case_sockopt_presence(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	get_int("tcp TCP_NOTSENT_LOWAT default", t, IPPROTO_TCP, TCP_NOTSENT_LOWAT);
	set_int("tcp TCP_NOTSENT_LOWAT set 16384", t, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384);
	get_int("tcp TCP_NOTSENT_LOWAT read back", t, IPPROTO_TCP, TCP_NOTSENT_LOWAT);
	get_int("tcp TCP_INQ default", t, IPPROTO_TCP, TCP_INQ);
	set_int("tcp TCP_INQ set 1", t, IPPROTO_TCP, TCP_INQ, 1);
	get_int("tcp TCP_INQ read back", t, IPPROTO_TCP, TCP_INQ);
	set_int("tcp TCP_INQ set 5", t, IPPROTO_TCP, TCP_INQ, 5);
	set_int("tcp TCP_INQ set -1", t, IPPROTO_TCP, TCP_INQ, -1);
	get_int("tcp SO_ZEROCOPY default", t, SOL_SOCKET, SO_ZEROCOPY);
	set_int("tcp SO_ZEROCOPY set 1", t, SOL_SOCKET, SO_ZEROCOPY, 1);
	get_int("tcp SO_ZEROCOPY read back", t, SOL_SOCKET, SO_ZEROCOPY);
	set_int("tcp SO_ZEROCOPY set 2", t, SOL_SOCKET, SO_ZEROCOPY, 2);
	get_int("tcp IP_FREEBIND default", t, IPPROTO_IP, IP_FREEBIND);
	set_int("tcp IP_FREEBIND set 1", t, IPPROTO_IP, IP_FREEBIND, 1);
	get_int("tcp IP_FREEBIND read back", t, IPPROTO_IP, IP_FREEBIND);
	struct sockaddr_in far = { .sin_family = AF_INET, .sin_addr.s_addr = inet_addr("192.0.2.7") };
	errno = 0;
	R("tcp bind foreign address with IP_FREEBIND", bind(t, (struct sockaddr *)&far, sizeof(far)));
	get_int("tcp SO_RCVLOWAT default", t, SOL_SOCKET, SO_RCVLOWAT);
	set_int("tcp SO_RCVLOWAT set 10", t, SOL_SOCKET, SO_RCVLOWAT, 10);
	get_int("tcp SO_RCVLOWAT read back", t, SOL_SOCKET, SO_RCVLOWAT);
	set_int("tcp SO_RCVLOWAT set 0", t, SOL_SOCKET, SO_RCVLOWAT, 0);
	get_int("tcp SO_RCVLOWAT 0 reads back as", t, SOL_SOCKET, SO_RCVLOWAT);
	close(t);

	int c, s;
	tcp_pair(&c, &s);
	char info[64];
	socklen_t il = sizeof(info);
	/* A host may default to bbr (20 bytes of information); cubic and reno
	 * have none. */
	errno = 0;
	R("tcp TCP_CONGESTION cubic", setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5));
	errno = 0;
	int r = getsockopt(c, IPPROTO_TCP, TCP_CC_INFO, info, &il);
	V("tcp TCP_CC_INFO of cubic", "ret=%d errno=%s len=%u", r, errname(r < 0 ? errno : 0), (unsigned)il);
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_INQ, &one, sizeof(one));
	send(c, "hello", 5, 0);
	char b[16], cbuf[64];
	struct iovec iov = { b, 2 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	guard_begin();
	ssize_t n = recvmsg(s, &mh, 0);
	guard_end();
	int inq = -1, ncm = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		ncm++;
		if (cm->cmsg_level == IPPROTO_TCP && cm->cmsg_type == TCP_INQ)
			memcpy(&inq, CMSG_DATA(cm), sizeof(inq));
	}
	V("tcp recvmsg with TCP_INQ", "ret=%zd cmsgs=%d inq=%d", n, ncm, inq);
	get_int("tcp TCP_INQ getsockopt is the option", s, IPPROTO_TCP, TCP_INQ);
	close(c);
	close(s);

	uint16_t port;
	int u = udp_bound(&port);
	get_int("udp IP_RECVORIGDSTADDR default", u, IPPROTO_IP, IP_RECVORIGDSTADDR);
	set_int("udp IP_RECVORIGDSTADDR set 1", u, IPPROTO_IP, IP_RECVORIGDSTADDR, 1);
	get_int("udp IP_RECVORIGDSTADDR read back", u, IPPROTO_IP, IP_RECVORIGDSTADDR);
	int u2 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = loop4(port);
	sendto(u2, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
	iov.iov_len = sizeof(b);
	mh.msg_controllen = sizeof(cbuf);
	guard_begin();
	n = recvmsg(u, &mh, 0);
	guard_end();
	int got = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_ORIGDSTADDR) {
			struct sockaddr_in od;
			memcpy(&od, CMSG_DATA(cm), sizeof(od));
			got = od.sin_family == AF_INET && ntohs(od.sin_port) == port &&
					      od.sin_addr.s_addr == htonl(INADDR_LOOPBACK)
				      ? 1
				      : 2;
		}
	}
	V("udp IP_ORIGDSTADDR message", "ret=%zd found=%s", n,
	  got == 1 ? "right" : got == 2 ? "wrong" : "none");
	errno = 0;
	struct timeval tv;
	R("udp SIOCGSTAMP after a datagram", ioctl(u, SIOCGSTAMP, &tv));
	int fresh = socket(AF_INET, SOCK_DGRAM, 0);
	errno = 0;
	R("udp SIOCGSTAMP before any datagram", ioctl(fresh, SIOCGSTAMP, &tv));
	close(fresh);

	/* Classic BPF: "ret #0" drops everything, "ret #-1" accepts all. */
	struct sock_filter drop[] = { { BPF_RET | BPF_K, 0, 0, 0 } };
	struct sock_fprog fp = { 1, drop };
	errno = 0;
	R("udp SO_ATTACH_FILTER drop all", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)));
	sendto(u2, "dropped", 7, 0, (struct sockaddr *)&to, sizeof(to));
	struct sock_filter bad[] = { { BPF_JMP | BPF_JA, 0, 0, 5 } };
	struct sock_fprog bp = { 1, bad };
	errno = 0;
	R("udp SO_ATTACH_FILTER jump out of program",
	  setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &bp, sizeof(bp)));
	struct sock_fprog empty = { 0, drop };
	errno = 0;
	R("udp SO_ATTACH_FILTER empty program", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &empty, sizeof(empty)));
	errno = 0;
	R("udp SO_DETACH_FILTER", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	errno = 0;
	R("udp SO_DETACH_FILTER again", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	sendto(u2, "passed", 6, 0, (struct sockaddr *)&to, sizeof(to));
	/* Loopback delivery is synchronous on Linux; give moat's loop a turn. */
	struct timeval wait = { 2, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	memset(b, 0, sizeof(b));
	n = recv(u, b, sizeof(b) - 1, 0);
	V("udp after the filter", "ret=%zd data='%s'", n, n > 0 ? b : "");

	struct sock_filter first2[] = { { BPF_RET | BPF_K, 0, 0, 2 } };
	struct sock_fprog cut = { 1, first2 };
	errno = 0;
	R("udp SO_ATTACH_FILTER keep 2 bytes", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &cut, sizeof(cut)));
	sendto(u2, "abcdef", 6, 0, (struct sockaddr *)&to, sizeof(to));
	memset(b, 0, sizeof(b));
	n = recv(u, b, sizeof(b) - 1, 0);
	V("udp datagram cut by the filter", "ret=%zd data='%s'", n, n > 0 ? b : "");

	get_int("udp IP_MULTICAST_TTL default", u, IPPROTO_IP, IP_MULTICAST_TTL);
	set_int("udp IP_MULTICAST_TTL set 5", u, IPPROTO_IP, IP_MULTICAST_TTL, 5);
	get_int("udp IP_MULTICAST_TTL read back", u, IPPROTO_IP, IP_MULTICAST_TTL);
	set_int("udp IP_MULTICAST_TTL set 256", u, IPPROTO_IP, IP_MULTICAST_TTL, 256);
	set_int("udp IP_MULTICAST_TTL set -1 (default)", u, IPPROTO_IP, IP_MULTICAST_TTL, -1);
	get_int("udp IP_MULTICAST_TTL after -1", u, IPPROTO_IP, IP_MULTICAST_TTL);
	get_int("udp IP_MULTICAST_LOOP default", u, IPPROTO_IP, IP_MULTICAST_LOOP);
	set_int("udp IP_MULTICAST_LOOP set 0", u, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
	get_int("udp IP_MULTICAST_LOOP read back", u, IPPROTO_IP, IP_MULTICAST_LOOP);
	struct in_addr ifa = { htonl(INADDR_LOOPBACK) };
	errno = 0;
	R("udp IP_MULTICAST_IF 127.0.0.1",
	  setsockopt(u, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)));
	struct in_addr ifget = { 0 };
	socklen_t ifl = sizeof(ifget);
	errno = 0;
	r = getsockopt(u, IPPROTO_IP, IP_MULTICAST_IF, &ifget, &ifl);
	V("udp IP_MULTICAST_IF read back", "ret=%d errno=%s addr=%s", r, errname(r < 0 ? errno : 0),
	  inet_ntoa(ifget));
	struct in_addr nope = { inet_addr("192.0.2.9") };
	errno = 0;
	R("udp IP_MULTICAST_IF not ours", setsockopt(u, IPPROTO_IP, IP_MULTICAST_IF, &nope, sizeof(nope)));
	struct ip_mreq mr = { .imr_multiaddr.s_addr = inet_addr("224.1.2.3"),
			      .imr_interface.s_addr = htonl(INADDR_LOOPBACK) };
	errno = 0;
	R("udp IP_ADD_MEMBERSHIP 224.1.2.3", setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	errno = 0;
	R("udp IP_ADD_MEMBERSHIP twice", setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	struct ip_mreq uni = { .imr_multiaddr.s_addr = inet_addr("10.1.2.3") };
	errno = 0;
	R("udp IP_ADD_MEMBERSHIP unicast group", setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, &uni, sizeof(uni)));
	errno = 0;
	R("udp IP_ADD_MEMBERSHIP short optlen", setsockopt(u, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, 4));
	errno = 0;
	R("udp IP_DROP_MEMBERSHIP", setsockopt(u, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof(mr)));
	errno = 0;
	R("udp IP_DROP_MEMBERSHIP again", setsockopt(u, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof(mr)));
	struct group_req gr = { .gr_interface = 1 };
	struct sockaddr_in *g = (struct sockaddr_in *)&gr.gr_group;
	g->sin_family = AF_INET;
	g->sin_addr.s_addr = inet_addr("224.1.2.4");
	errno = 0;
	R("udp MCAST_JOIN_GROUP lo", setsockopt(u, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof(gr)));
	errno = 0;
	R("udp MCAST_LEAVE_GROUP lo", setsockopt(u, IPPROTO_IP, MCAST_LEAVE_GROUP, &gr, sizeof(gr)));
	close(u2);
	close(u);

	int e = socket(AF_INET, SOCK_DGRAM, 0);
	iov.iov_len = sizeof(b);
	mh.msg_controllen = sizeof(cbuf);
	errno = 0;
	R("udp MSG_ERRQUEUE empty", recvmsg(e, &mh, MSG_ERRQUEUE));
	set_int("udp IP_RECVERR set 1", e, IPPROTO_IP, IP_RECVERR, 1);
	struct sockaddr_in closed = loop4(9); /* discard: nobody listens */
	connect(e, (struct sockaddr *)&closed, sizeof(closed));
	send(e, "x", 1, 0);
	errno = 0;
	guard_begin();
	/* Linux queues the port unreachable at once; moat's loop may need a
	 * turn: poll for the error first. */
	struct timeval w2 = { 2, 0 };
	setsockopt(e, SOL_SOCKET, SO_RCVTIMEO, &w2, sizeof(w2));
	char peek;
	ssize_t pr = recv(e, &peek, 1, 0);
	guard_end();
	V("udp recv after port unreachable", "ret=%zd errno=%s", pr, errname(pr < 0 ? errno : 0));
	mh.msg_controllen = sizeof(cbuf);
	errno = 0;
	n = recvmsg(e, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
	int ee = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR)
			ee = ((int *)CMSG_DATA(cm))[0]; /* sock_extended_err.ee_errno */
	V("udp MSG_ERRQUEUE after port unreachable", "ret=%zd errno=%s ee_errno=%s", n,
	  errname(n < 0 ? errno : 0), ee < 0 ? "none" : errname(ee));
	close(e);
}

/* ---- calls that Linux answers at once ---- */

void case_nonblocking_answers(void)
{
	uint16_t port;
	int u = udp_bound(&port);
	struct timeval neg = { -1, 0 };
	errno = 0;
	R("SO_RCVTIMEO negative seconds", setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &neg, sizeof(neg)));
	struct timeval got;
	socklen_t gl = sizeof(got);
	getsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &got, &gl);
	V("SO_RCVTIMEO negative reads back", "%ld.%06ld", (long)got.tv_sec, (long)got.tv_usec);
	char b[16];
	errno = 0;
	guard_begin();
	R("recv with negative timeout", recv(u, b, sizeof(b), 0));
	guard_end();
	struct timeval bad = { 0, 1000000 };
	errno = 0;
	R("SO_RCVTIMEO usec 1000000", setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof(bad)));
	struct timeval short_tv = { 0, 100000 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &short_tv, sizeof(short_tv));
	errno = 0;
	guard_begin();
	R("read honours SO_RCVTIMEO", read(u, b, sizeof(b)));
	guard_end();
	errno = 0;
	guard_begin();
	R("recvfrom honours SO_RCVTIMEO", recvfrom(u, b, sizeof(b), 0, NULL, NULL));
	guard_end();
	struct mmsghdr mm = { 0 };
	struct iovec iov = { b, sizeof(b) };
	mm.msg_hdr.msg_iov = &iov;
	mm.msg_hdr.msg_iovlen = 1;
	struct timespec badts = { 0, 2000000000L };
	errno = 0;
	guard_begin();
	R("recvmmsg timeout nsec 2e9", recvmmsg(u, &mm, 1, 0, &badts));
	guard_end();
	struct timespec negts = { -1, 0 };
	errno = 0;
	guard_begin();
	R("recvmmsg negative timeout", recvmmsg(u, &mm, 1, 0, &negts));
	guard_end();
	errno = 0;
	R("recvmmsg bad timeout pointer", recvmmsg(u, &mm, 1, 0, (struct timespec *)8));
	close(u);

	int l = listener(&port);
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(port) };
	int c = socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	guard_begin();
	R("tcp connect 0.0.0.0 reaches loopback", connect(c, (struct sockaddr *)&any, sizeof(any)));
	guard_end();
	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	getpeername(c, (struct sockaddr *)&pa, &pl);
	V("tcp peer of 0.0.0.0 connection", "%s", inet_ntoa(pa.sin_addr));
	close(c);
	int a = accept(l, NULL, NULL);
	close(a);
	close(l);

	int l2 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in wild = { .sin_family = AF_INET };
	socklen_t wl = sizeof(wild);
	bind(l2, (struct sockaddr *)&wild, sizeof(wild));
	listen(l2, 4);
	getsockname(l2, (struct sockaddr *)&wild, &wl);
	struct sockaddr_in two = { .sin_family = AF_INET, .sin_port = wild.sin_port,
				   .sin_addr.s_addr = inet_addr("127.0.0.2") };
	c = socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	guard_begin();
	R("tcp connect 127.0.0.2", connect(c, (struct sockaddr *)&two, sizeof(two)));
	guard_end();
	pl = sizeof(pa);
	getsockname(c, (struct sockaddr *)&pa, &pl);
	V("tcp source for 127.0.0.2", "%s", inet_ntoa(pa.sin_addr));
	a = accept(l2, (struct sockaddr *)&pa, &pl);
	pl = sizeof(pa);
	getsockname(a, (struct sockaddr *)&pa, &pl);
	V("tcp accepted at", "%s", inet_ntoa(pa.sin_addr));
	close(a);
	close(c);
	close(l2);
	int u3 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in b9 = { .sin_family = AF_INET, .sin_addr.s_addr = inet_addr("127.9.9.9") };
	errno = 0;
	R("udp bind 127.9.9.9", bind(u3, (struct sockaddr *)&b9, sizeof(b9)));
	close(u3);

	int p[2];
	pipe(p);
	write(p[1], "abc", 3);
	int ep = epoll_create1(0);
	errno = 0;
	guard_begin();
	R("splice into an epoll fd", splice(p[0], NULL, ep, NULL, 3, 0));
	guard_end();
	errno = 0;
	guard_begin();
	R("splice from an epoll fd", splice(ep, NULL, p[1], NULL, 3, 0));
	guard_end();
	close(ep);
	close(p[0]);
	close(p[1]);

	pipe(p);
	static char big[256 * 1024];
	struct iovec vi = { big, sizeof(big) };
	errno = 0;
	guard_begin();
	R("vmsplice more than the pipe holds", vmsplice(p[1], &vi, 1, 0));
	guard_end();
	errno = 0;
	guard_begin();
	R("vmsplice into a full pipe, nonblocking", vmsplice(p[1], &vi, 1, SPLICE_F_NONBLOCK));
	guard_end();
	close(p[0]);
	close(p[1]);
}

/* ---- results that must be Linux's ---- */

static void bind_low_port_child(void)
{
	if (setuid(65534) != 0) {
		V("setuid", "failed");
		return;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loop4(81);
	errno = 0;
	R("bind port 81 as uid 65534", bind(s, (struct sockaddr *)&a, sizeof(a)));
	struct sockaddr_in hi = loop4(0);
	errno = 0;
	R("bind port 0 as uid 65534", bind(s, (struct sockaddr *)&hi, sizeof(hi)));
	close(s);
}

void case_socket_results(void)
{
	int c, s;
	tcp_pair(&c, &s);
	get_int("tcp loopback TCP_MAXSEG", c, IPPROTO_TCP, TCP_MAXSEG);
	send(c, "abcdef", 6, 0);
	char b[16];
	memset(b, 'z', sizeof(b));
	guard_begin();
	ssize_t n = recv(s, b, 3, MSG_TRUNC | MSG_WAITALL);
	guard_end();
	V("tcp recv MSG_TRUNC discards", "ret=%zd buffer='%.3s'", n, b);
	recv_show("tcp after MSG_TRUNC", s, 0);
	struct sockaddr_in a;
	errno = 0;
	R("getsockname NULL length", getsockname(c, (struct sockaddr *)&a, NULL));
	errno = 0;
	R("getpeername NULL length", getpeername(c, (struct sockaddr *)&a, NULL));
	socklen_t neg = (socklen_t)-1;
	errno = 0;
	R("getsockname length -1", getsockname(c, (struct sockaddr *)&a, &neg));
	socklen_t small = 2;
	errno = 0;
	int r = getsockname(c, (struct sockaddr *)&a, &small);
	V("getsockname length 2", "ret=%d len=%u", r, (unsigned)small);
	close(c);
	close(s);

	ck_child(bind_low_port_child);

	uint16_t port;
	int u = udp_bound(&port);
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in to = loop4(port);
	errno = 0;
	R("udp6 sendto a sockaddr_in", sendto(u6, "v4", 2, 0, (struct sockaddr *)&to, sizeof(to)));
	recv_show("udp6's datagram arrives", u, 0);
	int v6only = 1;
	setsockopt(u6, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	errno = 0;
	R("udp6 v6only sendto a sockaddr_in", sendto(u6, "v6only", 6, 0, (struct sockaddr *)&to, sizeof(to)));
	recv_show("udp6 v6only's datagram", u, 0);
	close(u6);

	int uc = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(port) };
	errno = 0;
	R("udp connect 0.0.0.0", connect(uc, (struct sockaddr *)&any, sizeof(any)));
	struct sockaddr_in pa;
	socklen_t pl = sizeof(pa);
	getpeername(uc, (struct sockaddr *)&pa, &pl);
	V("udp peer after connect 0.0.0.0", "%s:%s", inet_ntoa(pa.sin_addr),
	  ntohs(pa.sin_port) == port ? "port" : "other");
	errno = 0;
	R("udp send to 0.0.0.0's peer", send(uc, "any", 3, 0));
	recv_show("udp datagram for 0.0.0.0 arrives", u, 0);
	struct sockaddr_in zero = loop4(0);
	errno = 0;
	R("udp connect port 0", connect(uc, (struct sockaddr *)&zero, sizeof(zero)));
	errno = 0;
	R("udp send to port 0", send(uc, "z", 1, 0));
	errno = 0;
	R("udp sendto port 0", sendto(u, "z", 1, 0, (struct sockaddr *)&zero, sizeof(zero)));
	close(uc);

	errno = 0;
	R("SO_RCVBUF 0xffffffff", setsockopt(u, SOL_SOCKET, SO_RCVBUF, &(int){ -1 }, sizeof(int)));
	int rb = 0;
	socklen_t rl = sizeof(rb);
	getsockopt(u, SOL_SOCKET, SO_RCVBUF, &rb, &rl);
	char mx[32] = "";
	FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
	if (f) {
		if (!fgets(mx, sizeof(mx), f))
			mx[0] = 0;
		fclose(f);
	}
	V("SO_RCVBUF 0xffffffff gives", "%s", rb == 2 * atoi(mx) ? "twice rmem_max" : rb <= 4608 ? "the minimum" : "other");
	errno = 0;
	R("SO_SNDBUF 0", setsockopt(u, SOL_SOCKET, SO_SNDBUF, &(int){ 0 }, sizeof(int)));
	rl = sizeof(rb);
	getsockopt(u, SOL_SOCKET, SO_SNDBUF, &rb, &rl);
	V("SO_SNDBUF 0 gives", "%d", rb);
	errno = 0;
	R("SO_RCVBUF 0", setsockopt(u, SOL_SOCKET, SO_RCVBUF, &(int){ 0 }, sizeof(int)));
	rl = sizeof(rb);
	getsockopt(u, SOL_SOCKET, SO_RCVBUF, &rb, &rl);
	V("SO_RCVBUF 0 gives", "%d", rb);
	close(u);
}

/* ---- UDP_CORK and MSG_MORE ---- */

void case_udp_cork(void)
{
	uint16_t port;
	int u = udp_bound(&port);
	struct timeval w = { 2, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &w, sizeof(w));
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = loop4(port);
	connect(s, (struct sockaddr *)&to, sizeof(to));
	errno = 0;
	R("send ab MSG_MORE", send(s, "ab", 2, MSG_MORE));
	recv_show("nothing sent yet", u, 0);
	errno = 0;
	R("send cd", send(s, "cd", 2, 0));
	recv_show("one datagram abcd", u, 0);
	recv_show("no second datagram", u, 0);
	get_int("UDP_CORK default", s, IPPROTO_UDP, UDP_CORK);
	set_int("UDP_CORK on", s, IPPROTO_UDP, UDP_CORK, 1);
	get_int("UDP_CORK read back", s, IPPROTO_UDP, UDP_CORK);
	R("corked send x", send(s, "x", 1, 0));
	R("corked send yz", send(s, "yz", 2, 0));
	recv_show("corked: nothing yet", u, 0);
	set_int("UDP_CORK off", s, IPPROTO_UDP, UDP_CORK, 0);
	recv_show("uncorked: one datagram xyz", u, 0);
	int u2 = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port2;
	close(u2);
	u2 = udp_bound(&port2);
	struct sockaddr_in other = loop4(port2);
	R("MSG_MORE to the peer", send(s, "p", 1, MSG_MORE));
	errno = 0;
	R("sendto another address while pending", sendto(s, "q", 1, 0, (struct sockaddr *)&other, sizeof(other)));
	recv_show("the pending datagram", u, 0);
	recv_show("the other address's datagram", u2, 0);
	static char big[70000];
	R("MSG_MORE 40000", send(s, big, 40000, MSG_MORE));
	errno = 0;
	R("MSG_MORE 40000 more: over 65507", send(s, big, 40000, MSG_MORE));
	R("send the end", send(s, "e", 1, 0));
	char rb[80000];
	ssize_t n = recv(u, rb, sizeof(rb), MSG_DONTWAIT);
	V("datagram after overflow", "ret=%zd", n);
	close(u2);
	close(s);
	close(u);
}

/* ---- epoll: nesting depth, loops ---- */

void case_epoll_limits(void)
{
	int e[8];
	for (int i = 0; i < 8; i++)
		e[i] = epoll_create1(0);
	for (int i = 0; i < 7; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		char step[48];
		snprintf(step, sizeof(step), "nest epoll %d into epoll %d", i, i + 1);
		errno = 0;
		R(step, epoll_ctl(e[i + 1], EPOLL_CTL_ADD, e[i], &ev));
	}
	struct epoll_event ev = { .events = EPOLLIN };
	errno = 0;
	R("add epoll 7 into epoll 0 (a loop)", epoll_ctl(e[0], EPOLL_CTL_ADD, e[7], &ev));
	int f[2];
	for (int i = 0; i < 2; i++)
		f[i] = epoll_create1(0);
	epoll_ctl(f[0], EPOLL_CTL_ADD, f[1], &ev);
	errno = 0;
	R("add epoll into its own watcher (a loop)", epoll_ctl(f[1], EPOLL_CTL_ADD, f[0], &ev));
	errno = 0;
	R("add epoll to itself", epoll_ctl(f[0], EPOLL_CTL_ADD, f[0], &ev));
	struct epoll_event ex = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int pfd[2];
	pipe(pfd);
	errno = 0;
	R("EPOLLEXCLUSIVE on a pipe", epoll_ctl(f[0], EPOLL_CTL_ADD, pfd[0], &ex));
	errno = 0;
	R("EPOLLEXCLUSIVE modify", epoll_ctl(f[0], EPOLL_CTL_MOD, pfd[0], &ex));
	struct epoll_event exo = { .events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT };
	errno = 0;
	R("EPOLLEXCLUSIVE with EPOLLONESHOT", epoll_ctl(f[1], EPOLL_CTL_ADD, pfd[1], &exo));
	errno = 0;
	R("EPOLLEXCLUSIVE on an epoll fd", epoll_ctl(e[0], EPOLL_CTL_ADD, f[1], &ex));
	for (int i = 0; i < 8; i++)
		close(e[i]);
	close(f[0]);
	close(f[1]);
	close(pfd[0]);
	close(pfd[1]);
}
