/*
 * IPv4 options on sockets (ip(7) IP_OPTIONS, IP_RECVOPTS, IP_RETOPTS;
 * RFC 791 3.1): lists set and read back on UDP, TCP, ping and IPv6
 * sockets, valid, at their boundaries and malformed, with and without
 * CAP_NET_RAW; UDP datagrams over loopback that carry them, as the
 * receiver's control messages show them (in order with IP_PKTINFO,
 * IP_TTL and IP_TOS); IP_RETOPTS as a send's control message; a TCP
 * connection whose sender set options (TCP_MAXSEG on both sides, data
 * both ways, what the accepted socket reads back). Timestamps the stack
 * writes are masked (their values are the clock's); the addresses it
 * records are loopback's and printed.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A byte list as hex, at most n bytes. */
static void hex(char *out, size_t room, const uint8_t *b, size_t n)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && o + 3 < room; i++)
		o += (size_t)snprintf(out + o, room - o, "%02x", b[i]);
}

/* setsockopt(IP_OPTIONS) of a list, then what getsockopt gives back. */
static void set_get(const char *kind, const char *name, int s, const void *o, socklen_t n)
{
	char step[128], h[200];
	snprintf(step, sizeof(step), "%s set %s", kind, name);
	TRY(step, setsockopt(s, IPPROTO_IP, IP_OPTIONS, o, n));
	uint8_t b[64];
	memset(b, 0xee, sizeof(b));
	socklen_t l = sizeof(b);
	errno = 0;
	int r = getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	hex(h, sizeof(h), b, r == 0 ? l : 0);
	snprintf(step, sizeof(step), "%s get %s", kind, name);
	V(step, "ret=%d errno=%s len=%u bytes=%s", r, errname(r < 0 ? errno : 0), (unsigned)l, h);
}

#define L(...) ((const uint8_t[]){ __VA_ARGS__ })
#define LIST(name, ...) { name, L(__VA_ARGS__), sizeof(L(__VA_ARGS__)) }

static const struct {
	const char *name;
	const uint8_t *b;
	size_t n;
} lists[] = {
	LIST("nop", 1),
	LIST("end", 0),
	LIST("nop nop nop nop", 1, 1, 1, 1),
	LIST("end then bytes", 0, 7, 7, 7, 1),
	LIST("rr 2", 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0),
	LIST("rr 1 given", 7, 7, 4, 1, 2, 3, 4),
	LIST("rr full", 7, 7, 8, 1, 2, 3, 4),
	LIST("rr ptr 3", 7, 7, 3, 0, 0, 0, 0),
	LIST("rr ptr 5", 7, 11, 5, 0, 0, 0, 0, 0, 0, 0, 0),
	LIST("rr len 2", 7, 2),
	LIST("rr len 3", 7, 3, 4),
	LIST("rr len 6", 7, 6, 4, 0, 0, 0),
	LIST("rr len past", 7, 12, 4, 0, 0, 0, 0, 0, 0, 0, 0),
	LIST("rr twice", 7, 7, 4, 0, 0, 0, 0, 7, 7, 4, 0, 0, 0, 0),
	LIST("rr len 1", 7, 1, 4, 0),
	LIST("type alone", 1, 1, 1, 7),
	LIST("ts only", 68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	LIST("ts addr", 68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0),
	LIST("ts addr short", 68, 8, 5, 1, 0, 0, 0, 0),
	LIST("ts prespec", 68, 12, 5, 3, 127, 0, 0, 1, 0, 0, 0, 0),
	LIST("ts prespec other", 68, 12, 5, 3, 10, 9, 9, 9, 0, 0, 0, 0),
	LIST("ts flag 2", 68, 12, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0),
	LIST("ts full", 68, 8, 9, 0, 1, 2, 3, 4),
	LIST("ts full overflow 15", 68, 8, 9, 0xf0, 1, 2, 3, 4),
	LIST("ts full overflow 1", 68, 8, 9, 0x10, 1, 2, 3, 4),
	LIST("ts ptr 4", 68, 8, 4, 0, 0, 0, 0, 0),
	LIST("ts len 3", 68, 3, 5),
	LIST("ra", 148, 4, 0, 0),
	LIST("ra value 1", 148, 4, 0, 1),
	LIST("ra len 3", 148, 3, 0),
	LIST("lsrr 1", 131, 7, 4, 127, 0, 0, 1),
	LIST("lsrr 2", 131, 11, 4, 127, 0, 0, 1, 127, 0, 0, 2),
	LIST("ssrr 2", 137, 11, 4, 127, 0, 0, 1, 127, 0, 0, 2),
	LIST("lsrr ptr 8", 131, 11, 8, 127, 0, 0, 1, 127, 0, 0, 2),
	LIST("lsrr len 6", 131, 6, 4, 127, 0, 0),
	LIST("lsrr len 9", 131, 9, 4, 127, 0, 0, 1, 0, 0),
	LIST("lsrr twice", 131, 7, 4, 127, 0, 0, 1, 137, 7, 4, 127, 0, 0, 1),
	LIST("lsrr and rr", 7, 7, 4, 0, 0, 0, 0, 131, 7, 4, 127, 0, 0, 1),
	LIST("sec", 130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	LIST("sid", 136, 4, 0, 1),
	LIST("cipso", 134, 6, 0, 0, 0, 1),
	LIST("unknown 25", 25, 4, 0, 0),
	LIST("unknown 0x9e", 0x9e, 2),
	LIST("nop then rr", 1, 7, 7, 4, 0, 0, 0, 0),
	LIST("rr ts ra", 7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0, 148, 4, 0, 0),
	LIST("40 bytes", 7, 39, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	     0, 0, 0, 0, 0, 0, 0, 0, 1),
	LIST("41 bytes", 7, 39, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	     0, 0, 0, 0, 0, 0, 0, 0, 1, 1),
};

static void sweep(const char *kind, int s)
{
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		set_get(kind, lists[i].name, s, lists[i].b, (socklen_t)lists[i].n);
		/* an empty list clears (read back as none) */
		if (i % 8 == 7)
			set_get(kind, "empty", s, NULL, 0);
	}
	set_get(kind, "empty", s, NULL, 0);
	/* a read shorter than the list */
	setsockopt(s, IPPROTO_IP, IP_OPTIONS, L(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0), 11);
	uint8_t b[8] = { 0 };
	socklen_t l = 2;
	char step[96];
	snprintf(step, sizeof(step), "%s get short", kind);
	errno = 0;
	int r = getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	V(step, "ret=%d errno=%s len=%u b=%02x%02x%02x", r, errname(r < 0 ? errno : 0), (unsigned)l, b[0], b[1], b[2]);
	l = 0;
	r = getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	snprintf(step, sizeof(step), "%s get zero", kind);
	V(step, "ret=%d len=%u", r, (unsigned)l);
}

static void unprivileged(void)
{
	drop_cap(CAP_NET_RAW);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	sweep("udp noraw", s);
	close(s);
}

static void sweep_kinds(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	sweep("udp", s);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	sweep("tcp", s);
	close(s);
	/* (ping sockets for root's group, natively; moat makes them
	 * for everyone, and has no such file: not printed) */
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "w");
	if (f) {
		fputs("0 0", f);
		fclose(f);
	}
	s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	R("ping socket", s >= 0);
	if (s >= 0) {
		set_get("ping", "rr 2", s, L(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0), 11);
		set_get("ping", "bad", s, L(7, 2), 2);
		close(s);
	}
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	set_get("udp6", "rr 2", s, L(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0), 11);
	set_get("udp6", "bad", s, L(7, 2), 2);
	set_get("udp6", "empty", s, NULL, 0);
	close(s);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	set_get("tcp6", "rr 2", s, L(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0), 11);
	close(s);
	ck_child(unprivileged);
}

/* What a receiver r (IP_RECVOPTS, IP_RETOPTS, IP_PKTINFO, IP_RECVTTL,
 * IP_RECVTOS on) got: the data's length and each control message, the
 * options' bytes with the stack's timestamps masked. ret, when given,
 * takes the IP_RETOPTS bytes. */
static void got(const char *step, int r, uint8_t *ret, size_t *retn)
{
	struct pollfd p = { r, POLLIN, 0 };
	poll(&p, 1, 2000);
	char b[256], cb[512], line[1024];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	long n = recvmsg(r, &m, MSG_DONTWAIT);
	size_t o = (size_t)snprintf(line, sizeof(line), "n=%ld errno=%s flags=%#x", n, errname(n < 0 ? errno : 0),
				    n < 0 ? 0 : (unsigned)m.msg_flags);
	for (struct cmsghdr *c = n < 0 ? NULL : CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		uint8_t d[64];
		size_t k = dl < sizeof(d) ? dl : sizeof(d);
		memcpy(d, CMSG_DATA(c), k);
		if (c->cmsg_level == IPPROTO_IP && (c->cmsg_type == IP_RECVOPTS || c->cmsg_type == IP_RETOPTS)) {
			/* mask the timestamps' values (a TS option's slots
			 * before its pointer; flags 1 and 3 pair them with
			 * addresses) */
			for (size_t i = 0; i + 1 < k;) {
				if (d[i] == 0 || d[i] == 1) {
					i++;
					continue;
				}
				size_t ol = d[i + 1];
				if (ol < 2 || i + ol > k)
					break;
				if (d[i] == 68 && ol >= 4) {
					int pairs = (d[i + 3] & 0xf) != 0;
					for (size_t j = 4, slot = 0; j + 4 <= ol && j + 1 < d[i + 2]; j += 4, slot++)
						if (!pairs || slot % 2 == 1)
							memset(d + i + j, 0xaa, 4);
				}
				i += ol;
			}
			if (c->cmsg_type == IP_RETOPTS && ret) {
				memcpy(ret, CMSG_DATA(c), k);
				*retn = k;
			}
		}
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			memset(d, 0, 4); /* (the interface index: lo's is 1 on both) */
		char h[140];
		hex(h, sizeof(h), d, k);
		o += (size_t)snprintf(line + o, sizeof(line) - o, " [%d/%d %zu %s]", c->cmsg_level, c->cmsg_type, dl, h);
		if (o >= sizeof(line))
			break;
	}
	V(step, "%s", line);
}

static int receiver(uint16_t *port)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(r, (struct sockaddr *)&a, sizeof(a));
	socklen_t al = sizeof(a);
	getsockname(r, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	int one = 1;
	setsockopt(r, IPPROTO_IP, IP_RECVOPTS, &one, sizeof(one));
	setsockopt(r, IPPROTO_IP, IP_RETOPTS, &one, sizeof(one));
	setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(r, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	setsockopt(r, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	return r;
}

/* A datagram from s to the receiver, with one control message type/d (none
 * when dl is 0). */
static long send_to(int s, uint16_t port, int type, const void *d, size_t dl)
{
	char cb[CMSG_SPACE(64)] = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct iovec iov = { "hello", 5 };
	struct msghdr m = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = &iov, .msg_iovlen = 1 };
	if (dl || type) {
		m.msg_control = cb;
		m.msg_controllen = CMSG_SPACE(dl);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = type;
		c->cmsg_len = CMSG_LEN(dl);
		memcpy(CMSG_DATA(c), d, dl);
	}
	errno = 0;
	return sendmsg(s, &m, 0);
}

static void udp_with(const char *name, int r, uint16_t port, const uint8_t *o, size_t n)
{
	char step[128];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(step, sizeof(step), "udp %s set", name);
	TRY(step, setsockopt(s, IPPROTO_IP, IP_OPTIONS, o, (socklen_t)n));
	snprintf(step, sizeof(step), "udp %s send", name);
	R(step, send_to(s, port, 0, NULL, 0));
	snprintf(step, sizeof(step), "udp %s got", name);
	got(step, r, NULL, NULL);
	close(s);
}

static void udp_cmsg(const char *name, int r, uint16_t port, const uint8_t *o, size_t n)
{
	char step[128];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(step, sizeof(step), "udp cmsg %s send", name);
	R(step, send_to(s, port, IP_RETOPTS, o, n));
	snprintf(step, sizeof(step), "udp cmsg %s got", name);
	got(step, r, NULL, NULL);
	close(s);
}

static void udp_cases(void)
{
	uint16_t port;
	int r = receiver(&port);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	R("udp plain send", send_to(s, port, 0, NULL, 0));
	got("udp plain got", r, NULL, NULL);
	close(s);
	udp_with("nop", r, port, L(1), 1);
	udp_with("rr 3", r, port, L(7, 15, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 15);
	udp_with("rr full", r, port, L(7, 7, 8, 1, 2, 3, 4), 7);
	udp_with("ts only", r, port, L(68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0), 12);
	udp_with("ts addr", r, port, L(68, 20, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 20);
	udp_with("ts prespec", r, port, L(68, 20, 5, 3, 127, 0, 0, 1, 0, 0, 0, 0, 10, 9, 9, 9, 0, 0, 0, 0), 20);
	udp_with("ts full", r, port, L(68, 8, 9, 0, 1, 2, 3, 4), 8);
	udp_with("ra", r, port, L(148, 4, 0, 0), 4);
	udp_with("rr ts ra", r, port, L(7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0, 148, 4, 0, 0), 19);
	udp_with("lsrr", r, port, L(131, 7, 4, 127, 0, 0, 1), 7);

	udp_cmsg("rr", r, port, L(7, 7, 4, 0, 0, 0, 0), 7);
	udp_cmsg("ts", r, port, L(68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0), 12);
	udp_cmsg("bad", r, port, L(7, 2), 2);
	udp_cmsg("41", r, port, L(7, 39, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
		 41);
	udp_cmsg("empty", r, port, NULL, 0);
	udp_cmsg("nop", r, port, L(1), 1);

	/* the socket's options, then a datagram whose control message
	 * replaces them, then the socket's again */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(s, IPPROTO_IP, IP_OPTIONS, L(148, 4, 0, 0), 4);
	R("udp both cmsg send", send_to(s, port, IP_RETOPTS, L(7, 7, 4, 0, 0, 0, 0), 7));
	got("udp both cmsg got", r, NULL, NULL);
	R("udp both sticky send", send_to(s, port, 0, NULL, 0));
	got("udp both sticky got", r, NULL, NULL);
	close(s);

	/* an echo: the reply goes with the options IP_RETOPTS gave */
	uint16_t p2;
	int r2 = receiver(&p2);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(s, IPPROTO_IP, IP_OPTIONS, L(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0), 11);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(s, (struct sockaddr *)&a, sizeof(a));
	socklen_t al = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &al);
	int one = 1;
	setsockopt(s, IPPROTO_IP, IP_RECVOPTS, &one, sizeof(one));
	R("udp echo send", send_to(s, port, 0, NULL, 0));
	uint8_t ret[64];
	size_t retn = 0;
	got("udp echo got", r, ret, &retn);
	/* (the masked bytes do not matter to the reply) */
	R("udp echo reply", send_to(r2, ntohs(a.sin_port), IP_RETOPTS, ret, retn));
	got("udp echo reply got", s, NULL, NULL);
	close(s);
	close(r2);

	/* a ping socket's echo request: the reply turns its options round */
	s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (s >= 0) {
		setsockopt(s, IPPROTO_IP, IP_OPTIONS, L(7, 15, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 15);
		setsockopt(s, IPPROTO_IP, IP_RECVOPTS, &one, sizeof(one));
		setsockopt(s, IPPROTO_IP, IP_RETOPTS, &one, sizeof(one));
		struct sockaddr_in pa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		uint8_t echo[12] = { 8, 0, 0, 0, 0, 0, 0, 1, 'p', 'i', 'n', 'g' };
		TRY("ping send", sendto(s, echo, sizeof(echo), 0, (struct sockaddr *)&pa, sizeof(pa)));
		got("ping reply got", s, NULL, NULL);
		/* the send's own options, and its TTL */
		setsockopt(s, IPPROTO_IP, IP_OPTIONS, NULL, 0);
		char cb[CMSG_SPACE(8) + CMSG_SPACE(sizeof(int))];
		memset(cb, 0, sizeof(cb));
		struct iovec iov = { echo, sizeof(echo) };
		struct msghdr m = { .msg_name = &pa, .msg_namelen = sizeof(pa), .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cb, .msg_controllen = sizeof(cb) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_RETOPTS;
		c->cmsg_len = CMSG_LEN(8);
		memcpy(CMSG_DATA(c), L(1, 7, 7, 4, 0, 0, 0, 0), 8);
		c = CMSG_NXTHDR(&m, c);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TTL;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		int ttl = 9;
		memcpy(CMSG_DATA(c), &ttl, sizeof(ttl));
		TRY("ping cmsg send", sendmsg(s, &m, 0));
		got("ping cmsg reply got", s, NULL, NULL);
		close(s);
	}
	/* the largest datagram shrinks by the options' length */
	static char big[65536];
	s = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(s, IPPROTO_IP, IP_OPTIONS, L(7, 39, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
		   40);
	struct sockaddr_in ra = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	TRY("udp big send", sendto(s, big, 65468, 0, (struct sockaddr *)&ra, sizeof(ra)));
	TRY("udp biggest send", sendto(s, big, 65467, 0, (struct sockaddr *)&ra, sizeof(ra)));
	struct pollfd bp = { r, POLLIN, 0 };
	poll(&bp, 1, 2000);
	TRY("udp biggest got", recv(r, big, sizeof(big), MSG_DONTWAIT));
	close(s);
	/* an IPv6 socket's IPv4 datagram */
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	setsockopt(s, IPPROTO_IP, IP_OPTIONS, L(7, 7, 4, 0, 0, 0, 0), 7);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
	TRY("udp6 mapped send", sendto(s, "x", 1, 0, (struct sockaddr *)&a6, sizeof(a6)));
	got("udp6 mapped got", r, NULL, NULL);
	close(s);
	close(r);
}

static void tcp_cases(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(l, (struct sockaddr *)&a, sizeof(a));
	socklen_t al = sizeof(a);
	getsockname(l, (struct sockaddr *)&a, &al);
	listen(l, 4);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	get_int("tcp maxseg before", c, IPPROTO_TCP, TCP_MAXSEG);
	TRY("tcp set", setsockopt(c, IPPROTO_IP, IP_OPTIONS, L(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0), 11));
	TRY("tcp connect", connect(c, (struct sockaddr *)&a, sizeof(a)));
	int s = accept(l, NULL, NULL);
	R("tcp accept", s >= 0);
	get_int("tcp client maxseg", c, IPPROTO_TCP, TCP_MAXSEG);
	get_int("tcp server maxseg", s, IPPROTO_TCP, TCP_MAXSEG);
	uint8_t b[64];
	char h[200];
	socklen_t bl = sizeof(b);
	int r = getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &bl);
	hex(h, sizeof(h), b, r == 0 ? bl : 0);
	V("tcp server options", "ret=%d len=%u bytes=%s", r, (unsigned)bl, h);
	bl = sizeof(b);
	r = getsockopt(c, IPPROTO_IP, IP_OPTIONS, b, &bl);
	hex(h, sizeof(h), b, r == 0 ? bl : 0);
	V("tcp client options", "ret=%d len=%u bytes=%s", r, (unsigned)bl, h);
	static char big[200000];
	memset(big, 'x', sizeof(big));
	TRY("tcp send", send(c, big, 100000, 0));
	size_t got_n = 0;
	struct pollfd p = { s, POLLIN, 0 };
	while (got_n < 100000 && poll(&p, 1, 2000) > 0) {
		long n = recv(s, big + 100000, 100000, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got_n += (size_t)n;
	}
	V("tcp received", "%zu", got_n);
	TRY("tcp reply", send(s, "pong", 4, 0));
	p.fd = c;
	poll(&p, 1, 2000);
	TRY("tcp reply got", recv(c, b, sizeof(b), MSG_DONTWAIT));
	/* options set on an established connection */
	TRY("tcp set established", setsockopt(s, IPPROTO_IP, IP_OPTIONS, L(148, 4, 0, 0), 4));
	get_int("tcp server maxseg after", s, IPPROTO_TCP, TCP_MAXSEG);
	TRY("tcp send after", send(s, "ping", 4, 0));
	poll(&p, 1, 2000);
	TRY("tcp got after", recv(c, b, sizeof(b), MSG_DONTWAIT));
	close(c);
	close(s);
	close(l);
}

void case_ip_options(void)
{
	sweep_kinds();
	udp_cases();
	tcp_cases();
}
