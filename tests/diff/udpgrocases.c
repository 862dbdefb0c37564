/*
 * udp(7)'s last options: UDP_GRO (a UDP_SEGMENT send over loopback read
 * whole, with its segment size, or as its segments by a socket without
 * it; short reads, peeks, the message's place among IP's), and the
 * zero-checksum options (SO_NO_CHECK for IPv4 sends, UDP_NO_CHECK6_TX
 * and UDP_NO_CHECK6_RX for IPv6: a datagram without a checksum is
 * dropped by a socket that does not take them, and by a closed port
 * without an ICMP error), and UDP_ENCAP (RFC 3948's ESP in UDP: what
 * IPsec would take is dropped, NAT-T keepalives too, IKE and short
 * datagrams read whole). Over 127.0.0.1 and ::1; a datagram that may
 * not come is waited for with poll, at most 300 ms (its absence is the
 * result), one that must come at most 2 s.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef UDP_NO_CHECK6_TX
#define UDP_NO_CHECK6_TX 101
#endif
#ifndef UDP_NO_CHECK6_RX
#define UDP_NO_CHECK6_RX 102
#endif

/* A socket of family f bound to loopback, its address in *a. */
static int bound(int f, struct sockaddr_storage *a, socklen_t *al)
{
	int s = socket(f, SOCK_DGRAM, 0);
	memset(a, 0, sizeof(*a));
	if (f == AF_INET) {
		struct sockaddr_in *i = (struct sockaddr_in *)a;
		i->sin_family = AF_INET;
		i->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*al = sizeof(*i);
	} else {
		struct sockaddr_in6 *i = (struct sockaddr_in6 *)a;
		i->sin6_family = AF_INET6;
		i->sin6_addr = in6addr_loopback;
		*al = sizeof(*i);
	}
	bind(s, (struct sockaddr *)a, *al);
	getsockname(s, (struct sockaddr *)a, al);
	return s;
}

/* One read of fd (bufsize bytes, flags), as a line: its length, flags
 * and control messages (level/type/length, and UDP_GRO's value). */
static void rd(const char *step, int fd, size_t bufsize, int flags, int wait_ms)
{
	static char buf[70000];
	char cb[512];
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, wait_ms) <= 0) {
		V(step, "nothing");
		return;
	}
	struct iovec iov = { buf, bufsize };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	errno = 0;
	long n = recvmsg(fd, &m, flags | MSG_DONTWAIT);
	if (n < 0) {
		V(step, "ret=-1 errno=%s", errname(errno));
		return;
	}
	char line[400];
	int o = snprintf(line, sizeof(line), "ret=%ld flags=%#x", n, m.msg_flags);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c && o < (int)sizeof(line) - 40; c = CMSG_NXTHDR(&m, c)) {
		o += snprintf(line + o, sizeof(line) - (size_t)o, " [%d/%d/%zu", c->cmsg_level, c->cmsg_type,
			      (size_t)c->cmsg_len);
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			o += snprintf(line + o, sizeof(line) - (size_t)o, " %d", v);
		}
		o += snprintf(line + o, sizeof(line) - (size_t)o, "]");
	}
	V(step, "%s", line);
}

/* Every datagram fd holds, one line each, then "nothing". */
static void drain(const char *step, int fd)
{
	char s[80];
	for (int i = 0; i < 70; i++) {
		snprintf(s, sizeof(s), "%s %d", step, i);
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 300) <= 0) {
			V(s, "nothing");
			return;
		}
		rd(s, fd, 70000, 0, 0);
	}
}

static void send_seg(const char *step, int s, int seg, size_t len, struct sockaddr_storage *a, socklen_t al)
{
	static char data[70000];
	memset(data, 'g', sizeof(data));
	setsockopt(s, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	TRY(step, sendto(s, data, len, 0, (struct sockaddr *)a, al));
}

static void gro_family(int f)
{
	const char *v = f == AF_INET ? "v4" : "v6";
	char st[96];
	struct sockaddr_storage a;
	socklen_t al;
	int r = bound(f, &a, &al), s = socket(f, SOCK_DGRAM, 0);
#define S(x) (snprintf(st, sizeof(st), "%s %s", v, x), st)
	get_int(S("UDP_GRO default"), r, IPPROTO_UDP, UDP_GRO);
	set_int(S("UDP_GRO 1"), r, IPPROTO_UDP, UDP_GRO, 1);
	get_int(S("UDP_GRO after 1"), r, IPPROTO_UDP, UDP_GRO);
	send_seg(S("gso send 3500 by 1000"), s, 1000, 3500, &a, al);
	rd(S("gro read"), r, 70000, 0, 2000);
	rd(S("gro read again"), r, 70000, 0, 300);
	send_seg(S("gso send 1000 by 1000"), s, 1000, 1000, &a, al);
	rd(S("gro read not cut"), r, 70000, 0, 2000);
	send_seg(S("gso send 64 by 1"), s, 1, 64, &a, al);
	rd(S("gro read 64 by 1"), r, 70000, 0, 2000);
	send_seg(S("plain send"), s, 0, 1200, &a, al);
	rd(S("gro read plain"), r, 70000, 0, 2000);
	send_seg(S("gso send for peek"), s, 500, 1700, &a, al);
	rd(S("gro peek"), r, 70000, MSG_PEEK, 2000);
	rd(S("gro short read"), r, 600, 0, 2000);
	rd(S("gro after short read"), r, 70000, 0, 300);
	send_seg(S("gso send for trunc"), s, 500, 1700, &a, al);
	rd(S("gro MSG_TRUNC read"), r, 10, MSG_TRUNC, 2000);
	/* a receiver's IP messages come after UDP_GRO's */
	int one = 1;
	if (f == AF_INET) {
		setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		setsockopt(r, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	} else {
		setsockopt(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	}
	setsockopt(r, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	send_seg(S("gso send with messages"), s, 700, 2000, &a, al);
	rd(S("gro read with messages"), r, 70000, 0, 2000);
	set_int(S("UDP_GRO 0"), r, IPPROTO_UDP, UDP_GRO, 0);
	send_seg(S("gso send 3500 by 1000 to no gro"), s, 1000, 3500, &a, al);
	drain(S("segments"), r);
	/* a socket that never had UDP_GRO */
	int r2 = bound(f, &a, &al);
	send_seg(S("gso send 2100 by 700"), s, 700, 2100, &a, al);
	drain(S("segments of plain socket"), r2);
	set_int(S("UDP_GRO 5"), r2, IPPROTO_UDP, UDP_GRO, 5);
	get_int(S("UDP_GRO after 5"), r2, IPPROTO_UDP, UDP_GRO);
	char b1 = 1;
	TRY(S("UDP_GRO one byte"), setsockopt(r2, IPPROTO_UDP, UDP_GRO, &b1, 1));
	close(r2);
	close(r);
	close(s);
#undef S
}

static void no_check(void)
{
	struct sockaddr_storage a6, a4;
	socklen_t al6, al4;
	int r6 = bound(AF_INET6, &a6, &al6), s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	get_int("NO_CHECK6_TX default", s6, IPPROTO_UDP, UDP_NO_CHECK6_TX);
	get_int("NO_CHECK6_RX default", r6, IPPROTO_UDP, UDP_NO_CHECK6_RX);
	get_int("SO_NO_CHECK default", s6, SOL_SOCKET, SO_NO_CHECK);
	set_int("NO_CHECK6_TX 1", s6, IPPROTO_UDP, UDP_NO_CHECK6_TX, 1);
	get_int("SO_NO_CHECK after NO_CHECK6_TX", s6, SOL_SOCKET, SO_NO_CHECK);
	TRY("v6 send without checksum", sendto(s6, "abc", 3, 0, (struct sockaddr *)&a6, al6));
	rd("v6 read without NO_CHECK6_RX", r6, 100, 0, 300);
	set_int("NO_CHECK6_RX 1", r6, IPPROTO_UDP, UDP_NO_CHECK6_RX, 1);
	TRY("v6 send without checksum again", sendto(s6, "abc", 3, 0, (struct sockaddr *)&a6, al6));
	rd("v6 read with NO_CHECK6_RX", r6, 100, 0, 2000);
	set_int("NO_CHECK6_RX -1", r6, IPPROTO_UDP, UDP_NO_CHECK6_RX, -1);
	get_int("NO_CHECK6_RX after -1", r6, IPPROTO_UDP, UDP_NO_CHECK6_RX);
	int seg = 100;
	setsockopt(s6, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	char big[500] = { 0 };
	TRY("v6 gso without checksum", sendto(s6, big, sizeof(big), 0, (struct sockaddr *)&a6, al6));
	TRY("v6 short gso without checksum", sendto(s6, big, 50, 0, (struct sockaddr *)&a6, al6));
	rd("v6 read short gso", r6, 100, 0, 2000);
	seg = 0;
	setsockopt(s6, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	/* a closed port: dropped, no port unreachable (no ECONNREFUSED) */
	struct sockaddr_in6 closed = *(struct sockaddr_in6 *)&a6;
	int c6 = socket(AF_INET6, SOCK_DGRAM, 0);
	set_int("closed NO_CHECK6_TX 1", c6, IPPROTO_UDP, UDP_NO_CHECK6_TX, 1);
	close(r6);
	TRY("connect to closed", connect(c6, (struct sockaddr *)&closed, sizeof(closed)));
	TRY("send to closed", send(c6, "x", 1, 0));
	rd("read after closed", c6, 100, 0, 300);
	/* without the option, a closed port refuses */
	int one = 0;
	setsockopt(c6, IPPROTO_UDP, UDP_NO_CHECK6_TX, &one, sizeof(one));
	TRY("send to closed with checksum", send(c6, "x", 1, 0));
	rd("read after closed with checksum", c6, 100, 0, 2000);
	close(c6);
	close(s6);

	/* IPv4: SO_NO_CHECK, seen by the receiver through a raw-less path:
	 * it takes a zero checksum always, and a GSO send is refused */
	int r4 = bound(AF_INET, &a4, &al4), s4 = socket(AF_INET, SOCK_DGRAM, 0);
	set_int("SO_NO_CHECK 1", s4, SOL_SOCKET, SO_NO_CHECK, 1);
	get_int("SO_NO_CHECK after 1", s4, SOL_SOCKET, SO_NO_CHECK);
	get_int("v4 NO_CHECK6_TX after SO_NO_CHECK", s4, IPPROTO_UDP, UDP_NO_CHECK6_TX);
	TRY("v4 send without checksum", sendto(s4, "abc", 3, 0, (struct sockaddr *)&a4, al4));
	rd("v4 read without checksum", r4, 100, 0, 2000);
	seg = 100;
	setsockopt(s4, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	TRY("v4 gso without checksum", sendto(s4, big, sizeof(big), 0, (struct sockaddr *)&a4, al4));
	set_int("v4 NO_CHECK6_TX 1", s4, IPPROTO_UDP, UDP_NO_CHECK6_TX, 1);
	set_int("SO_NO_CHECK 0", s4, SOL_SOCKET, SO_NO_CHECK, 0);
	TRY("v4 gso with NO_CHECK6_TX", sendto(s4, big, sizeof(big), 0, (struct sockaddr *)&a4, al4));
	drain("v4 segments", r4);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	set_int("tcp SO_NO_CHECK 1", t, SOL_SOCKET, SO_NO_CHECK, 1);
	get_int("tcp SO_NO_CHECK", t, SOL_SOCKET, SO_NO_CHECK);
	set_int("tcp UDP_GRO", t, IPPROTO_UDP, UDP_GRO, 1);
	close(t);
	close(r4);
	close(s4);
}

static void lo_mtu(const char *step, int fd, int mtu)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_mtu = mtu;
	TRY(step, ioctl(fd, SIOCSIFMTU, &ifr));
}

/* UDP_SEGMENT's size checks on lo at MTU 1500 (set back to 65536):
 * EMSGSIZE for a datagram or segment past the MTU, EINVAL past 128
 * segments, whatever the length against the segment size. */
static void gso_mtu(void)
{
	struct sockaddr_storage a;
	socklen_t al;
	int r = bound(AF_INET, &a, &al), s = socket(AF_INET, SOCK_DGRAM, 0);
	lo_mtu("lo mtu 1500", s, 1500);
	static const int segs[] = { 2000, 1472, 1473, 100, 10 };
	static const int lens[] = { 100, 1472, 1473, 3000, 1281, 65000 };
	char st[64];
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			snprintf(st, sizeof(st), "mtu 1500 seg %d len %d", segs[i], lens[j]);
			send_seg(st, s, segs[i], (size_t)lens[j], &a, al);
		}
	lo_mtu("lo mtu back", s, 65536);
	close(r);
	close(s);
}

/* UDP_ENCAP's values and what an ESP-in-UDP socket lets through. */
static void encap(void)
{
	static const int vals[] = { -1, 0, 1, 2, 3, 4, 7 };
	char st[64];
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		snprintf(st, sizeof(st), "UDP_ENCAP set %d", vals[i]);
		set_int(st, u, IPPROTO_UDP, UDP_ENCAP, vals[i]);
		snprintf(st, sizeof(st), "UDP_ENCAP after %d", vals[i]);
		get_int(st, u, IPPROTO_UDP, UDP_ENCAP);
		close(u);
	}
	int t = socket(AF_INET, SOCK_STREAM, 0);
	set_int("tcp UDP_ENCAP", t, IPPROTO_UDP, UDP_ENCAP, 2);
	close(t);
	static const struct {
		const char *name, *data;
		size_t len;
	} dg[] = {
		{ "keepalive", "\xff", 1 },
		{ "short", "abc", 3 },
		{ "ike behind its marker", "\0\0\0\0ike!", 8 },
		{ "8 bytes", "\1\2\3\4\5\6\7\10", 8 },
		{ "esp", "\1\2\3\4\5\6\7\10\11\12\13\14\15\16\17\20", 16 },
		{ "marker only", "\0\0\0\0", 4 },
		{ "two bytes ff", "\xff\xff", 2 },
	};
	for (int f = AF_INET; f <= AF_INET6; f += AF_INET6 - AF_INET)
		for (int type = UDP_ENCAP_ESPINUDP; type <= UDP_ENCAP_L2TPINUDP; type++) {
			struct sockaddr_storage a;
			socklen_t al;
			int r = bound(f, &a, &al), s = socket(f, SOCK_DGRAM, 0);
			setsockopt(r, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type));
			for (size_t i = 0; i < sizeof(dg) / sizeof(dg[0]); i++) {
				snprintf(st, sizeof(st), "%s encap %d %s", f == AF_INET ? "v4" : "v6", type,
					 dg[i].name);
				sendto(s, dg[i].data, dg[i].len, 0, (struct sockaddr *)&a, al);
				rd(st, r, 100, 0, 300);
			}
			close(r);
			close(s);
		}
}

void case_udp_options_last(void)
{
	encap();
	gso_mtu();
	gro_family(AF_INET);
	gro_family(AF_INET6);
	no_check();
}
