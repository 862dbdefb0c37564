/*
 * Differential cases for UDP and IPv4/IPv6-level socket behaviour: corking
 * beyond udp_cork's lines (IPv6, close and shutdown with data pending, bad
 * option lengths), what an AF_INET6 UDP socket makes of other address
 * families and short addresses, connect to the wildcard, IP_FREEBIND,
 * IP(V6)_RECVORIGDSTADDR, and the error queue: ICMP errors with
 * IP(V6)_RECVERR and MSG_ZEROCOPY completions. Rules as in diffcases.c.
 */
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diff.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

static struct sockaddr_in in4(const char *a, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static struct sockaddr_in6 in6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, a, &s.sin6_addr);
	return s;
}

/* A UDP socket of the family bound to its loopback address. */
static int bound(int family, uint16_t *port)
{
	int u = socket(family, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t l;
	if (family == AF_INET) {
		struct sockaddr_in a = in4("127.0.0.1", 0);
		l = sizeof(a);
		memcpy(&ss, &a, l);
	} else {
		struct sockaddr_in6 a = in6("::1", 0);
		l = sizeof(a);
		memcpy(&ss, &a, l);
	}
	bind(u, (struct sockaddr *)&ss, l);
	getsockname(u, (struct sockaddr *)&ss, &l);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	struct timeval w = { 2, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &w, sizeof(w));
	return u;
}

static void show(const char *step, int fd)
{
	char b[128];
	memset(b, 0, sizeof(b));
	errno = 0;
	guard_begin();
	ssize_t n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
	guard_end();
	V(step, "ret=%zd errno=%s data='%s'", n, errname(n < 0 ? errno : 0), n > 0 ? b : "");
}

static void opt(const char *step, int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);
	errno = 0;
	int r = getsockopt(fd, level, name, &v, &l);
	V(step, "ret=%d errno=%s val=%d len=%u", r, errname(r < 0 ? errno : 0), r < 0 ? 0 : v, (unsigned)l);
}

static void setopt(const char *step, int fd, int level, int name, int v, socklen_t len)
{
	errno = 0;
	R(step, setsockopt(fd, level, name, &v, len));
}

static const char *peer_of(int fd)
{
	static char buf[128];
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &l) < 0)
		return errname(errno);
	char a[64] = "";
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
	snprintf(buf, sizeof(buf), "family=%d addr=%s len=%u", ss.ss_family, a, (unsigned)l);
	return buf;
}

/* ---- corking, addresses, connect to the wildcard, IP_FREEBIND ---- */

void case_udp_addresses(void)
{
	uint16_t port, port6;
	int u = bound(AF_INET, &port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = in4("127.0.0.1", port);
	connect(s, (struct sockaddr *)&to, sizeof(to));

	/* corking: option lengths, close and shutdown with data pending */
	setopt("UDP_CORK 2 bytes", s, IPPROTO_UDP, UDP_CORK, 1, 2);
	int v = -1;
	socklen_t l = 2;
	errno = 0;
	int r = getsockopt(s, IPPROTO_UDP, UDP_CORK, &v, &l);
	V("UDP_CORK get 2 bytes", "ret=%d errno=%s len=%u", r, errname(r < 0 ? errno : 0), (unsigned)l);
	setopt("UDP_CORK 5 is on", s, IPPROTO_UDP, UDP_CORK, 5, sizeof(int));
	opt("UDP_CORK reads back", s, IPPROTO_UDP, UDP_CORK);
	setopt("UDP_CORK off", s, IPPROTO_UDP, UDP_CORK, 0, sizeof(int));
	opt("UDP_SEGMENT-less name 99", s, IPPROTO_UDP, 99);
	int c = socket(AF_INET, SOCK_DGRAM, 0);
	connect(c, (struct sockaddr *)&to, sizeof(to));
	R("MSG_MORE then close", send(c, "lost", 4, MSG_MORE));
	close(c);
	show("closed with data pending: nothing", u);
	c = socket(AF_INET, SOCK_DGRAM, 0);
	connect(c, (struct sockaddr *)&to, sizeof(to));
	setopt("cork for shutdown", c, IPPROTO_UDP, UDP_CORK, 1, sizeof(int));
	R("corked send before shutdown", send(c, "sh", 2, 0));
	errno = 0;
	R("shutdown SHUT_WR corked", shutdown(c, SHUT_WR));
	show("after shutdown: nothing yet", u);
	errno = 0;
	R("send after shutdown", send(c, "x", 1, MSG_NOSIGNAL));
	setopt("uncork after shutdown", c, IPPROTO_UDP, UDP_CORK, 0, sizeof(int));
	show("after uncork", u);
	close(c);
	R("MSG_MORE zero bytes", send(s, "", 0, MSG_MORE));
	R("then 2 bytes", send(s, "zz", 2, 0));
	show("zero-byte MSG_MORE joins", u);
	R("MSG_MORE empty datagram", send(s, "", 0, MSG_MORE));
	R("and an empty end", send(s, "", 0, 0));
	show("one empty datagram", u);

	/* an IPv4 socket: pending data takes any address, even a bad one */
	R("MSG_MORE before a bad address", send(s, "b1", 2, MSG_MORE));
	errno = 0;
	R("sendto 3-byte address while pending", sendto(s, "b2", 2, 0, (struct sockaddr *)&to, 3));
	show("the bad address's data joined", u);
	errno = 0;
	R("sendto 15-byte sockaddr_in", sendto(s, "b3", 2, 0, (struct sockaddr *)&to, 15));
	struct sockaddr_in unspec = to;
	unspec.sin_family = AF_UNSPEC;
	errno = 0;
	R("sendto AF_UNSPEC with an address", sendto(s, "b4", 2, 0, (struct sockaddr *)&unspec, sizeof(unspec)));
	show("AF_UNSPEC is taken as AF_INET", u);
	struct sockaddr_in6 v6for4 = in6("::1", port);
	errno = 0;
	R("sendto sockaddr_in6 on AF_INET", sendto(s, "b5", 2, 0, (struct sockaddr *)&v6for4, sizeof(v6for4)));

	/* IPv6 corking */
	int u6 = bound(AF_INET6, &port6);
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 to6 = in6("::1", port6);
	R("udp6 MSG_MORE", sendto(s6, "ab", 2, MSG_MORE, (struct sockaddr *)&to6, sizeof(to6)));
	show("udp6 nothing yet", u6);
	R("udp6 sendto elsewhere appends", sendto(s6, "cd", 2, 0, (struct sockaddr *)&to6, sizeof(to6)));
	show("udp6 one datagram", u6);
	R("udp6 MSG_MORE again", sendto(s6, "e", 1, MSG_MORE, (struct sockaddr *)&to6, sizeof(to6)));
	errno = 0;
	R("udp6 pending, then an IPv4 address", sendto(s6, "f", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	R("udp6 end", sendto(s6, "g", 1, 0, (struct sockaddr *)&to6, sizeof(to6)));
	show("udp6 what arrived", u6);
	show("udp6 IPv4 side", u);
	static char big[70000];
	R("udp6 MSG_MORE 40000", sendto(s6, big, 40000, MSG_MORE, (struct sockaddr *)&to6, sizeof(to6)));
	errno = 0;
	R("udp6 40000 more", sendto(s6, big, 40000, 0, (struct sockaddr *)&to6, sizeof(to6)));
	errno = 0;
	R("udp6 65527 at once", sendto(s6, big, 65527, 0, (struct sockaddr *)&to6, sizeof(to6)));
	errno = 0;
	R("udp6 65528 at once", sendto(s6, big, 65528, 0, (struct sockaddr *)&to6, sizeof(to6)));
	char rb[70000];
	/* (waits: the fragments of the last one may take moat's loop a turn) */
	guard_begin();
	ssize_t n = recv(u6, rb, sizeof(rb), 0);
	guard_end();
	V("udp6 big datagram", "ret=%zd", n);
	close(s6);

	/* what an AF_INET6 UDP socket takes for an address */
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	errno = 0;
	R("udp6 sendto AF_UNSPEC unconnected", sendto(s6, "u", 1, 0, (struct sockaddr *)&ss, sizeof(ss)));
	errno = 0;
	R("udp6 sendto 1-byte address", sendto(s6, "u", 1, 0, (struct sockaddr *)&to, 1));
	errno = 0;
	R("udp6 sendto sockaddr_in of 8 bytes", sendto(s6, "u", 1, 0, (struct sockaddr *)&to, 8));
	errno = 0;
	R("udp6 sendto sockaddr_in6 of 16 bytes", sendto(s6, "u", 1, 0, (struct sockaddr *)&to6, 16));
	ss.ss_family = AF_UNIX;
	errno = 0;
	R("udp6 sendto AF_UNIX", sendto(s6, "u", 1, 0, (struct sockaddr *)&ss, sizeof(ss)));
	errno = 0;
	R("udp6 connect sockaddr_in", connect(s6, (struct sockaddr *)&to, sizeof(to)));
	V("udp6 peer after IPv4 connect", "%s", peer_of(s6));
	ss.ss_family = AF_UNSPEC;
	errno = 0;
	R("udp6 sendto AF_UNSPEC connected", sendto(s6, "un", 2, 0, (struct sockaddr *)&ss, sizeof(ss)));
	show("AF_UNSPEC went to the peer", u);
	close(s6);
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	setopt("udp6 V6ONLY", s6, IPPROTO_IPV6, IPV6_V6ONLY, 1, sizeof(int));
	errno = 0;
	R("udp6 v6only sendto sockaddr_in", sendto(s6, "u", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	errno = 0;
	R("udp6 v6only connect sockaddr_in", connect(s6, (struct sockaddr *)&to, sizeof(to)));
	close(s6);
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	errno = 0;
	R("udp6 connect sockaddr_in of 8 bytes", connect(s6, (struct sockaddr *)&to, 8));
	close(s6);
	int t6 = socket(AF_INET6, SOCK_STREAM, 0);
	errno = 0;
	R("tcp6 connect sockaddr_in", connect(t6, (struct sockaddr *)&to, sizeof(to)));
	close(t6);

	/* connect to the wildcard */
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any6 = in6("::", port6);
	errno = 0;
	R("udp6 connect ::", connect(s6, (struct sockaddr *)&any6, sizeof(any6)));
	V("udp6 peer after connect ::", "%s", peer_of(s6));
	R("udp6 send to ::'s peer", send(s6, "six", 3, 0));
	show("udp6 datagram for :: arrives", u6);
	errno = 0;
	R("udp6 sendto ::", sendto(u6, "x", 1, 0, (struct sockaddr *)&any6, sizeof(any6)));
	show("udp6 sendto :: reaches itself", u6);
	close(s6);
	int l6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 la = in6("::1", 0);
	socklen_t ll = sizeof(la);
	bind(l6, (struct sockaddr *)&la, sizeof(la));
	listen(l6, 4);
	getsockname(l6, (struct sockaddr *)&la, &ll);
	t6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 tany = in6("::", ntohs(la.sin6_port));
	errno = 0;
	guard_begin();
	R("tcp6 connect :: reaches loopback", connect(t6, (struct sockaddr *)&tany, sizeof(tany)));
	guard_end();
	V("tcp6 peer after connect ::", "%s", peer_of(t6));
	close(t6);
	close(l6);
	errno = 0;
	R("udp sendto 0.0.0.0", sendto(s, "w", 1, 0, (struct sockaddr *)&(struct sockaddr_in){
		.sin_family = AF_INET, .sin_port = htons(port) }, sizeof(struct sockaddr_in)));
	show("udp sendto 0.0.0.0 arrives", u);

	/* IP_FREEBIND */
	c = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in far = in4("192.0.2.9", 0);
	errno = 0;
	R("udp bind foreign address", bind(c, (struct sockaddr *)&far, sizeof(far)));
	opt("udp IP_FREEBIND default", c, IPPROTO_IP, IP_FREEBIND);
	setopt("udp IP_FREEBIND 1 byte", c, IPPROTO_IP, IP_FREEBIND, 1, 1);
	opt("udp IP_FREEBIND read back", c, IPPROTO_IP, IP_FREEBIND);
	setopt("udp IP_FREEBIND 0 bytes", c, IPPROTO_IP, IP_FREEBIND, 1, 0);
	errno = 0;
	R("udp bind foreign address with IP_FREEBIND", bind(c, (struct sockaddr *)&far, sizeof(far)));
	struct sockaddr_in got;
	socklen_t gl = sizeof(got);
	getsockname(c, (struct sockaddr *)&got, &gl);
	V("udp name after foreign bind", "%s", inet_ntoa(got.sin_addr));
	close(c);
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 far6 = in6("2001:db8::9", 0);
	errno = 0;
	R("udp6 bind foreign address", bind(c, (struct sockaddr *)&far6, sizeof(far6)));
	opt("udp6 IPV6_FREEBIND default", c, IPPROTO_IPV6, IPV6_FREEBIND);
	setopt("udp6 IP_FREEBIND 1", c, IPPROTO_IP, IP_FREEBIND, 1, sizeof(int));
	opt("udp6 IPV6_FREEBIND after IP_FREEBIND", c, IPPROTO_IPV6, IPV6_FREEBIND);
	setopt("udp6 IPV6_FREEBIND 2 bytes", c, IPPROTO_IPV6, IPV6_FREEBIND, 1, 2);
	errno = 0;
	R("udp6 bind foreign address with IP_FREEBIND", bind(c, (struct sockaddr *)&far6, sizeof(far6)));
	close(c);

	/* IP_RECVORIGDSTADDR: bad lengths, IPv6, and IPv4 on an AF_INET6 socket */
	setopt("IP_RECVORIGDSTADDR 1 byte", u, IPPROTO_IP, IP_RECVORIGDSTADDR, 1, 1);
	setopt("IP_RECVORIGDSTADDR 0 bytes", u, IPPROTO_IP, IP_RECVORIGDSTADDR, 1, 0);
	opt("IP_RECVORIGDSTADDR read back", u, IPPROTO_IP, IP_RECVORIGDSTADDR);
	opt("udp6 IPV6_RECVORIGDSTADDR default", u6, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR);
	setopt("udp6 IPV6_RECVORIGDSTADDR 2 bytes", u6, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, 1, 2);
	setopt("udp6 IPV6_RECVORIGDSTADDR 1", u6, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, 1, sizeof(int));
	opt("udp6 IPV6_RECVORIGDSTADDR read back", u6, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR);
	opt("udp IPV6_RECVORIGDSTADDR on AF_INET", u, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR);
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	sendto(s6, "o", 1, 0, (struct sockaddr *)&to6, sizeof(to6));
	close(s6);
	char cb[256], d[8];
	struct iovec iov = { d, sizeof(d) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	guard_begin();
	n = recvmsg(u6, &mh, 0);
	guard_end();
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
		struct sockaddr_in6 od;
		memcpy(&od, CMSG_DATA(cm), sizeof(od));
		char a[64] = "";
		inet_ntop(AF_INET6, &od.sin6_addr, a, sizeof(a));
		V("udp6 IPV6_ORIGDSTADDR message", "level=%d type=%d len=%zu family=%d addr=%s port=%s scope=%u",
		  cm->cmsg_level, cm->cmsg_type, (size_t)cm->cmsg_len, od.sin6_family, a,
		  ntohs(od.sin6_port) == port6 ? "right" : "wrong", od.sin6_scope_id);
	}
	/* an IPv4 datagram on a dual-stack socket, with IP_RECVORIGDSTADDR */
	int d6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 dany = in6("::", 0);
	bind(d6, (struct sockaddr *)&dany, sizeof(dany));
	socklen_t dl = sizeof(dany);
	getsockname(d6, (struct sockaddr *)&dany, &dl);
	setopt("dual IP_RECVORIGDSTADDR", d6, IPPROTO_IP, IP_RECVORIGDSTADDR, 1, sizeof(int));
	struct sockaddr_in dto = in4("127.0.0.1", ntohs(dany.sin6_port));
	c = socket(AF_INET, SOCK_DGRAM, 0);
	sendto(c, "4", 1, 0, (struct sockaddr *)&dto, sizeof(dto));
	close(c);
	struct timeval w = { 2, 0 };
	setsockopt(d6, SOL_SOCKET, SO_RCVTIMEO, &w, sizeof(w));
	mh.msg_controllen = sizeof(cb);
	guard_begin();
	n = recvmsg(d6, &mh, 0);
	guard_end();
	int ncm = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
		struct sockaddr_in od;
		memcpy(&od, CMSG_DATA(cm), sizeof(od));
		ncm++;
		V("dual IP_ORIGDSTADDR message", "level=%d type=%d len=%zu family=%d addr=%s",
		  cm->cmsg_level, cm->cmsg_type, (size_t)cm->cmsg_len, od.sin_family, inet_ntoa(od.sin_addr));
	}
	V("dual messages", "ret=%zd n=%d", n, ncm);
	close(d6);
	close(u6);
	close(s);
	close(u);
}

/* ---- the error queue ---- */

/* Reads one report from the error queue and prints all of it. */
static void errq_show(const char *step, int fd)
{
	char d[64], cb[256];
	struct sockaddr_storage name;
	memset(&name, 0, sizeof(name));
	memset(d, 0, sizeof(d));
	struct iovec iov = { d, sizeof(d) - 1 };
	struct msghdr mh = { .msg_name = &name, .msg_namelen = sizeof(name), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cb, .msg_controllen = sizeof(cb) };
	errno = 0;
	ssize_t n = recvmsg(fd, &mh, MSG_ERRQUEUE);
	if (n < 0) {
		V(step, "ret=-1 errno=%s", errname(errno));
		return;
	}
	char a[64] = "-";
	unsigned p = 0;
	if (name.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&name)->sin_addr, a, sizeof(a));
		p = ((struct sockaddr_in *)&name)->sin_port != 0;
	} else if (name.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&name)->sin6_addr, a, sizeof(a));
		p = ((struct sockaddr_in6 *)&name)->sin6_port != 0;
	}
	V(step, "ret=%zd data='%s' flags=%#x namelen=%u name=%s port=%s", n, d, (unsigned)mh.msg_flags,
	  (unsigned)mh.msg_namelen, a, p ? "set" : "0");
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		struct sock_extended_err ee;
		memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		struct sockaddr_storage off;
		memset(&off, 0, sizeof(off));
		size_t ol = cm->cmsg_len - CMSG_LEN(sizeof(ee));
		memcpy(&off, CMSG_DATA(cm) + sizeof(ee), ol < sizeof(off) ? ol : sizeof(off));
		char oa[64] = "-";
		if (off.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&off)->sin_addr, oa, sizeof(oa));
		else if (off.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&off)->sin6_addr, oa, sizeof(oa));
		char msg[64];
		snprintf(msg, sizeof(msg), "%s cmsg", step);
		V(msg, "level=%d type=%d len=%zu errno=%s origin=%u type=%u code=%u info=%u data=%u offender=%d/%s",
		  cm->cmsg_level, cm->cmsg_type, (size_t)cm->cmsg_len, errname((int)ee.ee_errno), ee.ee_origin,
		  ee.ee_type, ee.ee_code, ee.ee_info, ee.ee_data, off.ss_family, oa);
	}
}

static void poll_show(const char *step, int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	int r = poll(&p, 1, 0);
	V(step, "ret=%d revents=%#x", r, (unsigned)p.revents);
}

static void so_error(const char *step, int fd)
{
	int e = -1;
	socklen_t l = sizeof(e);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	V(step, "%s", errname(e));
}

/* Waits (up to 2 s) until fd has something on its error queue. */
static void wait_err(int fd)
{
	struct pollfd p = { fd, 0, 0 };
	poll(&p, 1, 2000);
	usleep(100000);
}

void case_udp_errqueue(void)
{
	/* ICMP port unreachable, IPv4, unconnected with IP_RECVERR */
	int e = socket(AF_INET, SOCK_DGRAM, 0);
	setopt("IP_RECVERR", e, IPPROTO_IP, IP_RECVERR, 1, sizeof(int));
	struct sockaddr_in closed = in4("127.0.0.1", 9);
	R("sendto a closed port", sendto(e, "hello", 5, 0, (struct sockaddr *)&closed, sizeof(closed)));
	wait_err(e);
	poll_show("poll with a report", e);
	errq_show("errqueue port unreachable", e);
	poll_show("poll after the report", e);
	so_error("SO_ERROR after reading it", e);
	errq_show("errqueue now empty", e);

	/* two reports: SO_ERROR and recv between */
	sendto(e, "one", 3, 0, (struct sockaddr *)&closed, sizeof(closed));
	wait_err(e);
	sendto(e, "two", 3, 0, (struct sockaddr *)&closed, sizeof(closed));
	wait_err(e);
	errno = 0;
	R("recv reports the error", recv(e, NULL, 0, MSG_DONTWAIT));
	errno = 0;
	R("recv again", recv(e, NULL, 0, MSG_DONTWAIT));
	poll_show("poll, queue still full", e);
	errq_show("first of two", e);
	so_error("SO_ERROR between", e);
	errq_show("second of two", e);
	so_error("SO_ERROR after both", e);
	/* a short buffer: MSG_TRUNC */
	sendto(e, "truncated", 9, 0, (struct sockaddr *)&closed, sizeof(closed));
	wait_err(e);
	char d[4];
	struct iovec iov = { d, 3 };
	char cb[64];
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	errno = 0;
	ssize_t n = recvmsg(e, &mh, MSG_ERRQUEUE);
	V("short buffer", "ret=%zd flags=%#x", n, (unsigned)mh.msg_flags);
	sendto(e, "nocmsg", 6, 0, (struct sockaddr *)&closed, sizeof(closed));
	wait_err(e);
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	iov.iov_len = 3;
	errno = 0;
	n = recvmsg(e, &mh, MSG_ERRQUEUE);
	V("no control buffer", "ret=%zd flags=%#x", n, (unsigned)mh.msg_flags);

	/* MSG_PEEK does not keep a report (Linux's error queue ignores it) */
	sendto(e, "peek", 4, 0, (struct sockaddr *)&closed, sizeof(closed));
	wait_err(e);
	iov.iov_len = 3;
	mh.msg_control = cb;
	mh.msg_controllen = sizeof(cb);
	errno = 0;
	R("MSG_PEEK on the error queue", recvmsg(e, &mh, MSG_ERRQUEUE | MSG_PEEK));
	mh.msg_controllen = sizeof(cb);
	errno = 0;
	R("MSG_PEEK again", recvmsg(e, &mh, MSG_ERRQUEUE | MSG_PEEK));
	close(e);

	/* connected, without IP_RECVERR: no report, only the error */
	e = socket(AF_INET, SOCK_DGRAM, 0);
	connect(e, (struct sockaddr *)&closed, sizeof(closed));
	send(e, "x", 1, 0);
	wait_err(e);
	errq_show("without IP_RECVERR", e);
	so_error("without IP_RECVERR SO_ERROR", e);
	close(e);

	/* IPv6 */
	e = socket(AF_INET6, SOCK_DGRAM, 0);
	setopt("IPV6_RECVERR", e, IPPROTO_IPV6, IPV6_RECVERR, 1, sizeof(int));
	struct sockaddr_in6 closed6 = in6("::1", 9);
	R("udp6 sendto a closed port", sendto(e, "hello6", 6, 0, (struct sockaddr *)&closed6, sizeof(closed6)));
	wait_err(e);
	poll_show("udp6 poll with a report", e);
	errq_show("udp6 errqueue port unreachable", e);
	so_error("udp6 SO_ERROR after", e);
	close(e);

	/* IP_RECVERR and IPV6_RECVERR are two options: IPv4 errors (to a
	 * v4-mapped peer) follow the first, IPv6 errors the second */
	e = socket(AF_INET6, SOCK_DGRAM, 0);
	setopt("udp6 IPV6_RECVERR only", e, IPPROTO_IPV6, IPV6_RECVERR, 1, sizeof(int));
	opt("udp6 IP_RECVERR then", e, IPPROTO_IP, IP_RECVERR);
	struct sockaddr_in6 mapped = in6("::ffff:127.0.0.1", 9);
	R("udp6 sendto a v4-mapped closed port", sendto(e, "m4", 2, 0, (struct sockaddr *)&mapped, sizeof(mapped)));
	wait_err(e);
	errq_show("udp6 IPV6_RECVERR, IPv4 error", e);
	so_error("udp6 IPV6_RECVERR, IPv4 error SO_ERROR", e);
	close(e);
	e = socket(AF_INET6, SOCK_DGRAM, 0);
	setopt("udp6 IP_RECVERR only", e, IPPROTO_IP, IP_RECVERR, 1, sizeof(int));
	opt("udp6 IPV6_RECVERR then", e, IPPROTO_IPV6, IPV6_RECVERR);
	R("udp6 IP_RECVERR, sendto a v4-mapped closed port",
	  sendto(e, "m4", 2, 0, (struct sockaddr *)&mapped, sizeof(mapped)));
	wait_err(e);
	errq_show("udp6 IP_RECVERR, IPv4 error", e);
	R("udp6 IP_RECVERR, sendto an IPv6 closed port",
	  sendto(e, "n6", 2, 0, (struct sockaddr *)&closed6, sizeof(closed6)));
	wait_err(e);
	errq_show("udp6 IP_RECVERR, IPv6 error", e);
	so_error("udp6 IP_RECVERR, IPv6 error SO_ERROR", e);
	close(e);

	/* SO_ZEROCOPY and MSG_ZEROCOPY */
	uint16_t port;
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = in4("127.0.0.1", 0);
	socklen_t al = sizeof(a);
	bind(u, (struct sockaddr *)&a, sizeof(a));
	getsockname(u, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	int z = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = in4("127.0.0.1", port);
	connect(z, (struct sockaddr *)&to, sizeof(to));
	R("udp MSG_ZEROCOPY without SO_ZEROCOPY", send(z, "a", 1, MSG_ZEROCOPY));
	usleep(100000);
	errq_show("udp no completion", z);
	opt("udp SO_ZEROCOPY default", z, SOL_SOCKET, SO_ZEROCOPY);
	setopt("udp SO_ZEROCOPY 2", z, SOL_SOCKET, SO_ZEROCOPY, 2, sizeof(int));
	setopt("udp SO_ZEROCOPY -1", z, SOL_SOCKET, SO_ZEROCOPY, -1, sizeof(int));
	setopt("udp SO_ZEROCOPY 2 bytes", z, SOL_SOCKET, SO_ZEROCOPY, 1, 2);
	setopt("udp SO_ZEROCOPY 1", z, SOL_SOCKET, SO_ZEROCOPY, 1, sizeof(int));
	opt("udp SO_ZEROCOPY read back", z, SOL_SOCKET, SO_ZEROCOPY);
	R("udp MSG_ZEROCOPY send 1", send(z, "b", 1, MSG_ZEROCOPY));
	wait_err(z);
	poll_show("udp poll after a zerocopy send", z);
	errq_show("udp completion", z);
	R("udp MSG_ZEROCOPY send 2", send(z, "c", 1, MSG_ZEROCOPY));
	R("udp plain send", send(z, "d", 1, 0));
	R("udp MSG_ZEROCOPY send 3", send(z, "e", 1, MSG_ZEROCOPY));
	wait_err(z);
	errq_show("udp completions merged", z);
	errq_show("udp nothing more", z);
	close(z);
	close(u);

	int l = socket(AF_INET, SOCK_STREAM, 0);
	a = in4("127.0.0.1", 0);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	al = sizeof(a);
	getsockname(l, (struct sockaddr *)&a, &al);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	setopt("tcp SO_ZEROCOPY 1", t, SOL_SOCKET, SO_ZEROCOPY, 1, sizeof(int));
	connect(t, (struct sockaddr *)&a, sizeof(a));
	int ts = accept(l, NULL, NULL);
	R("tcp MSG_ZEROCOPY send 1", send(t, "hello", 5, MSG_ZEROCOPY));
	R("tcp MSG_ZEROCOPY send 2", send(t, "world", 5, MSG_ZEROCOPY));
	wait_err(t);
	errq_show("tcp completions", t);
	errq_show("tcp nothing more", t);
	char rb[16];
	n = recv(ts, rb, sizeof(rb), 0);
	V("tcp data arrived", "ret=%zd", n);
	close(ts);
	close(t);
	close(l);
}
