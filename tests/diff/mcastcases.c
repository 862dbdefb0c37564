/*
 * Differential case for IPv4 multicast and broadcast over loopback. Natively
 * the namespace has only lo (127.0.0.1/8, no routes elsewhere), and so has
 * `moat do --network none`: a group is joined on lo and reached with
 * IP_MULTICAST_IF 127.0.0.1 (lo brings every datagram back itself, so
 * IP_MULTICAST_LOOP changes nothing there); broadcast is defined to lo's
 * 127.255.255.255, and to 255.255.255.255 only with SO_BINDTODEVICE lo
 * (Linux then sends from 0.0.0.0). Rules as in diffcases.c.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define GROUP "224.1.2.3"

/* A UDP socket with IP_PKTINFO and IP_RECVTTL bound to addr:port. */
static int rx_sock(const char *addr, uint16_t port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(s, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = inet_addr(addr) };
	errno = 0;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		V("bind", "%s failed: %s", addr, errname(errno));
	return s;
}

/* Receive one datagram, waiting up to `ms` (moat delivers loopback on its
 * next loop turn; Linux at once): what, from which address, and the
 * IP_PKTINFO / IP_TTL it came with. */
static void rx(const char *step, int s, int ms)
{
	struct timeval tv = { 0, ms * 1000 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char b[64] = "", cb[256];
	struct sockaddr_in from = { 0 };
	struct iovec iov = { b, sizeof(b) - 1 };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	errno = 0;
	ssize_t n = recvmsg(s, &m, 0);
	if (n < 0) {
		V(step, "ret=-1 errno=%s", errname(errno == EWOULDBLOCK ? EAGAIN : errno));
		return;
	}
	char info[128] = "", ttl[16] = "";
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			char spec[20];
			snprintf(spec, sizeof(spec), "%s", inet_ntoa(pi.ipi_spec_dst));
			snprintf(info, sizeof(info), " ifindex=%d spec_dst=%s addr=%s", pi.ipi_ifindex,
				 spec, inet_ntoa(pi.ipi_addr));
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			int t;
			memcpy(&t, CMSG_DATA(c), sizeof(t));
			snprintf(ttl, sizeof(ttl), " ttl=%d", t);
		}
	}
	V(step, "ret=%zd data='%s' from=%s%s%s", n, b, inet_ntoa(from.sin_addr), info, ttl);
}

static void tx(const char *step, int s, const char *dst, uint16_t port, const char *data)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = inet_addr(dst) };
	errno = 0;
	R(step, sendto(s, data, strlen(data), 0, (struct sockaddr *)&a, sizeof(a)));
}

static void multicast(void)
{
	const uint16_t port = 47001;
	int joined = rx_sock("0.0.0.0", port);  /* joins the group on lo */
	int on_group = rx_sock(GROUP, port);	/* bound to the group, joins nothing */
	int on_lo = rx_sock("127.0.0.1", port); /* a unicast address: never */
	int not_all = rx_sock("0.0.0.0", port); /* IP_MULTICAST_ALL off, joins nothing */
	int other_port = rx_sock("0.0.0.0", port + 1);
	int snd = socket(AF_INET, SOCK_DGRAM, 0);

	tx("send without a route", snd, GROUP, port, "x");
	struct ip_mreq mr = { .imr_multiaddr.s_addr = inet_addr(GROUP),
			      .imr_interface.s_addr = htonl(INADDR_LOOPBACK) };
	errno = 0;
	R("join on lo", setsockopt(joined, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	set_int("IP_MULTICAST_ALL 0", not_all, IPPROTO_IP, IP_MULTICAST_ALL, 0);
	tx("send without IP_MULTICAST_IF", snd, GROUP, port, "x");
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	errno = 0;
	R("IP_MULTICAST_IF 127.0.0.1", setsockopt(snd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo)));

	tx("send loop on", snd, GROUP, port, "one");
	rx("joined socket receives", joined, 1000);
	rx("group-bound socket receives (IP_MULTICAST_ALL)", on_group, 1000);
	rx("127.0.0.1-bound socket does not", on_lo, 100);
	rx("IP_MULTICAST_ALL 0 socket does not", not_all, 100);
	rx("other port does not", other_port, 100);

	set_int("IP_MULTICAST_LOOP 0", snd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
	tx("send loop off", snd, GROUP, port, "two");
	rx("joined socket still receives over lo", joined, 1000);
	rx("group-bound socket too", on_group, 1000);
	set_int("IP_MULTICAST_LOOP 1", snd, IPPROTO_IP, IP_MULTICAST_LOOP, 1);

	set_int("IP_MULTICAST_TTL 7", snd, IPPROTO_IP, IP_MULTICAST_TTL, 7);
	tx("send with TTL 7", snd, GROUP, port, "three");
	rx("TTL 7 arrives", joined, 1000);
	rx("group-bound socket gets it too", on_group, 1000);
	tx("send to a group nobody joined", snd, "224.1.2.9", port, "four");
	rx("nothing for the joined socket", joined, 100);

	errno = 0;
	R("IP_DROP_MEMBERSHIP", setsockopt(joined, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof(mr)));
	tx("send after the drop", snd, GROUP, port, "five");
	rx("no member left: nothing", joined, 100);
	rx("nor for the group-bound socket", on_group, 100);

	struct group_req gr = { .gr_interface = 1 };
	struct sockaddr_in *g = (struct sockaddr_in *)&gr.gr_group;
	g->sin_family = AF_INET;
	g->sin_addr.s_addr = inet_addr(GROUP);
	errno = 0;
	R("MCAST_JOIN_GROUP lo", setsockopt(on_group, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof(gr)));
	tx("send after MCAST_JOIN_GROUP", snd, GROUP, port, "six");
	rx("MCAST_JOIN_GROUP socket receives", on_group, 1000);
	rx("IP_MULTICAST_ALL socket receives", joined, 1000);
	close(on_group); /* leaves the group */
	tx("send after the member closed", snd, GROUP, port, "seven");
	rx("nothing after the close", joined, 100);

	int src_lo = rx_sock("127.0.0.1", 0);
	struct ip_mreqn mn = { .imr_multiaddr.s_addr = inet_addr(GROUP), .imr_ifindex = 1 };
	errno = 0;
	R("join by ip_mreqn ifindex 1", setsockopt(joined, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mn, sizeof(mn)));
	tx("send from a socket bound to 127.0.0.1", src_lo, GROUP, port, "eight");
	rx("it goes out lo", joined, 1000);
	int by_index = socket(AF_INET, SOCK_DGRAM, 0);
	errno = 0;
	R("IP_MULTICAST_IF by ip_mreqn index 1", setsockopt(by_index, IPPROTO_IP, IP_MULTICAST_IF, &mn, sizeof(mn)));
	tx("send out lo by index", by_index, GROUP, port, "nine");
	rx("lo has no link-scope source, so from 0.0.0.0", joined, 1000);
	close(by_index);
	close(src_lo);
	close(joined);
	close(on_lo);
	close(not_all);
	close(other_port);
	close(snd);
}

static void broadcast(void)
{
	const uint16_t port = 47011;
	int any = rx_sock("0.0.0.0", port);
	int on_lo = rx_sock("127.0.0.1", port);
	int snd = socket(AF_INET, SOCK_DGRAM, 0);
	tx("255.255.255.255 without SO_BROADCAST", snd, "255.255.255.255", port, "x");
	tx("127.255.255.255 without SO_BROADCAST", snd, "127.255.255.255", port, "x");
	set_int("SO_BROADCAST 1", snd, SOL_SOCKET, SO_BROADCAST, 1);
	tx("255.255.255.255 with SO_BROADCAST, no route", snd, "255.255.255.255", port, "x");
	tx("127.255.255.255 with SO_BROADCAST", snd, "127.255.255.255", port, "bcast");
	rx("wildcard socket receives", any, 1000);
	rx("127.0.0.1-bound socket does not", on_lo, 100);
	errno = 0;
	R("SO_BINDTODEVICE lo", setsockopt(snd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	tx("255.255.255.255 out of lo", snd, "255.255.255.255", port, "limited");
	rx("wildcard socket receives it", any, 1000);
	rx("127.0.0.1-bound socket does not either", on_lo, 100);
	int nob = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(nob, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	tx("255.255.255.255 out of lo without SO_BROADCAST", nob, "255.255.255.255", port, "x");
	close(nob);
	close(any);
	close(on_lo);
	close(snd);
}

/* Source filters (RFC 3678) over lo: INCLUDE {127.0.0.1} takes our
 * datagrams, EXCLUDE {127.0.0.1} does not. */
static void sources(void)
{
	const uint16_t port = 47021;
	int r = rx_sock("0.0.0.0", port), snd = socket(AF_INET, SOCK_DGRAM, 0);
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	setsockopt(snd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo));
	struct ip_mreq_source ms = { .imr_multiaddr.s_addr = inet_addr(GROUP),
				     .imr_interface.s_addr = htonl(INADDR_LOOPBACK),
				     .imr_sourceaddr.s_addr = inet_addr("10.9.9.9") };
	errno = 0;
	R("IP_ADD_SOURCE_MEMBERSHIP another source", setsockopt(r, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	tx("send from 127.0.0.1", snd, GROUP, port, "not included");
	rx("filtered out", r, 100);
	ms.imr_sourceaddr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	R("IP_ADD_SOURCE_MEMBERSHIP 127.0.0.1", setsockopt(r, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	errno = 0;
	R("IP_ADD_SOURCE_MEMBERSHIP twice", setsockopt(r, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	tx("send again", snd, GROUP, port, "included");
	rx("included source arrives", r, 1000);
	errno = 0;
	R("IP_BLOCK_SOURCE on an INCLUDE filter", setsockopt(r, IPPROTO_IP, IP_BLOCK_SOURCE, &ms, sizeof(ms)));
	struct ip_mreq mr = { .imr_multiaddr.s_addr = inet_addr(GROUP), .imr_interface.s_addr = htonl(INADDR_LOOPBACK) };
	errno = 0;
	R("IP_ADD_MEMBERSHIP over it", setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	errno = 0;
	R("IP_DROP_SOURCE_MEMBERSHIP 127.0.0.1", setsockopt(r, IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	ms.imr_sourceaddr.s_addr = inet_addr("10.9.9.9");
	errno = 0;
	R("IP_DROP_SOURCE_MEMBERSHIP the last", setsockopt(r, IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	errno = 0;
	R("IP_DROP_SOURCE_MEMBERSHIP when left", setsockopt(r, IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	errno = 0;
	R("IP_ADD_SOURCE_MEMBERSHIP short", setsockopt(r, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms) - 1));
	errno = 0;
	R("IP_ADD_MEMBERSHIP again", setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	ms.imr_sourceaddr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	R("IP_BLOCK_SOURCE 127.0.0.1", setsockopt(r, IPPROTO_IP, IP_BLOCK_SOURCE, &ms, sizeof(ms)));
	errno = 0;
	R("IP_BLOCK_SOURCE twice", setsockopt(r, IPPROTO_IP, IP_BLOCK_SOURCE, &ms, sizeof(ms)));
	errno = 0;
	R("IP_ADD_SOURCE_MEMBERSHIP on an EXCLUDE filter", setsockopt(r, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	tx("send blocked", snd, GROUP, port, "blocked");
	rx("blocked source filtered out", r, 100);
	errno = 0;
	R("IP_UNBLOCK_SOURCE", setsockopt(r, IPPROTO_IP, IP_UNBLOCK_SOURCE, &ms, sizeof(ms)));
	errno = 0;
	R("IP_UNBLOCK_SOURCE twice", setsockopt(r, IPPROTO_IP, IP_UNBLOCK_SOURCE, &ms, sizeof(ms)));
	tx("send unblocked", snd, GROUP, port, "unblocked");
	rx("unblocked source arrives", r, 1000);
	ms.imr_multiaddr.s_addr = inet_addr("224.7.7.7");
	errno = 0;
	R("IP_BLOCK_SOURCE not joined", setsockopt(r, IPPROTO_IP, IP_BLOCK_SOURCE, &ms, sizeof(ms)));
	ms.imr_multiaddr.s_addr = inet_addr("10.7.7.7");
	errno = 0;
	R("IP_ADD_SOURCE_MEMBERSHIP unicast group", setsockopt(r, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)));
	ms.imr_multiaddr.s_addr = inet_addr("224.8.8.8");
	int i;
	for (i = 0; i < 12; i++) {
		ms.imr_sourceaddr.s_addr = htonl(0x0a000001 + (uint32_t)i);
		errno = 0;
		if (setsockopt(r, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &ms, sizeof(ms)) < 0)
			break;
	}
	V("sources per membership", "%d then %s", i, errname(errno));
	close(r);
	close(snd);
}

/* Options on other socket types and lengths. */
static void options(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct group_req gr = { .gr_interface = 1 };
	struct sockaddr_in *g = (struct sockaddr_in *)&gr.gr_group;
	g->sin_family = AF_INET;
	g->sin_addr.s_addr = inet_addr("224.5.5.5");
	errno = 0;
	R("tcp MCAST_JOIN_GROUP", setsockopt(t, IPPROTO_IP, MCAST_JOIN_GROUP, &gr, sizeof(gr)));
	errno = 0;
	R("tcp MCAST_LEAVE_GROUP", setsockopt(t, IPPROTO_IP, MCAST_LEAVE_GROUP, &gr, sizeof(gr)));
	set_int("tcp IP_MULTICAST_LOOP", t, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
	set_int("tcp IP_MULTICAST_ALL", t, IPPROTO_IP, IP_MULTICAST_ALL, 0);
	set_int("tcp IP_MULTICAST_TTL", t, IPPROTO_IP, IP_MULTICAST_TTL, 3);
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	errno = 0;
	R("tcp IP_MULTICAST_IF", setsockopt(t, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo)));
	struct ip_mreq mr = { .imr_multiaddr.s_addr = inet_addr("224.5.5.6"), .imr_interface.s_addr = htonl(INADDR_LOOPBACK) };
	errno = 0;
	R("tcp IP_ADD_MEMBERSHIP", setsockopt(t, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	errno = 0;
	R("udp6 IP_ADD_MEMBERSHIP", setsockopt(u6, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)));
	errno = 0;
	R("udp6 IP_DROP_MEMBERSHIP", setsockopt(u6, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof(mr)));
	int v = -1;
	socklen_t l = sizeof(v);
	errno = 0;
	int r = getsockopt(u6, IPPROTO_IP, IP_MULTICAST_TTL, &v, &l);
	V("udp6 IP_MULTICAST_TTL", "ret=%d errno=%s val=%d", r, errname(r < 0 ? errno : 0), v);
	uint8_t b = 44;
	errno = 0;
	R("IP_MULTICAST_TTL one byte", setsockopt(u6, IPPROTO_IP, IP_MULTICAST_TTL, &b, 1));
	l = 1;
	v = 0;
	errno = 0;
	r = getsockopt(u6, IPPROTO_IP, IP_MULTICAST_TTL, &v, &l);
	V("IP_MULTICAST_TTL read as one byte", "ret=%d val=%d len=%u", r, v, (unsigned)l);
	set_int("IP_MULTICAST_ALL 2", u6, IPPROTO_IP, IP_MULTICAST_ALL, 2);
	struct ip_mreqn mn = { .imr_ifindex = 99 };
	errno = 0;
	R("IP_MULTICAST_IF ifindex 99", setsockopt(u6, IPPROTO_IP, IP_MULTICAST_IF, &mn, sizeof(mn)));
	mn.imr_ifindex = 1;
	errno = 0;
	R("IP_MULTICAST_IF ifindex 1", setsockopt(u6, IPPROTO_IP, IP_MULTICAST_IF, &mn, sizeof(mn)));
	struct in_addr a = { 1 };
	l = sizeof(a);
	errno = 0;
	r = getsockopt(u6, IPPROTO_IP, IP_MULTICAST_IF, &a, &l);
	V("IP_MULTICAST_IF read back", "ret=%d addr=%s len=%u", r, inet_ntoa(a), (unsigned)l);
	errno = 0;
	R("IP_MULTICAST_IF 3 bytes", setsockopt(u6, IPPROTO_IP, IP_MULTICAST_IF, &lo, 3));
	close(t);
	close(u6);
}

void case_mcast_loopback(void)
{
	multicast();
	broadcast();
	sources();
	options();
}
