/*
 * libFuzzer harness over the netstack's socket options (netstack/socket.c,
 * igmp.c, mld.c, udp.c, tcp/tcp_socket.c, tcp/tcp_repair.c): setsockopt and getsockopt take
 * their values straight from an application (IP_MSFILTER's and
 * MCAST_MSFILTER's source lists, group requests, control structures,
 * ints of any length), and what they set then steers binds, connects and
 * sends. Any value must be taken or refused with an errno; a getsockopt
 * must not write past the length it was given; and the stack must come
 * apart with nothing left in use.
 *
 * Input: records of 5 bytes and a value:
 *   byte 0  socket (mod 4: UDP/IPv4, TCP/IPv4, UDP/IPv6, TCP/IPv6) and,
 *           in bits 2-4, the call: 0-1 setsockopt, 2-3 getsockopt,
 *           4 bind (port 0, the bound address or any), 5 connect to the
 *           peer's address (port 9), 6 sendto the peer, 7 listen; an
 *           IPv6 socket's peer is 10.0.0.1 as a v4-mapped address, or
 *           with bit 5 fd00::1 (the extension headers of IPV6_HOPOPTS
 *           and IPV6_DSTOPTS, IPV6_MTU's fragments, flow labels); with
 *           bit 6 a sendto's value is half control messages
 *   byte 1  level (mod 5: IP, IPV6, SOL_SOCKET, TCP, UDP)
 *   byte 2  option name
 *   bytes 3-4  value length (little-endian, at most 1024)
 *   then the value (what is missing at the end of the input reads as 0);
 *   a getsockopt's buffer starts as these bytes (options such as
 *   IP_MSFILTER read their request from it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/filter.h>

#include "ns/link.h"
#include "ns/pkt.h"
#include "ns/socket.h"
#include "ns/stack.h"
#include "ns/timer.h"
#include "seed_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAXV 1024
#define GUARD 64

static const uint8_t MAC[6] = { 2, 0, 0, 0, 0, 2 };
static const int LEVELS[5] = { IPPROTO_IP, IPPROTO_IPV6, SOL_SOCKET, IPPROTO_TCP, IPPROTO_UDP };

static void record(uint8_t *buf, size_t *at, uint8_t sel, uint8_t level, uint8_t name, const void *v,
		   uint16_t len)
{
	buf[(*at)++] = sel;
	buf[(*at)++] = level;
	buf[(*at)++] = name;
	buf[(*at)++] = (uint8_t)len;
	buf[(*at)++] = (uint8_t)(len >> 8);
	if (len)
		memcpy(buf + *at, v, len);
	*at += len;
}

/* Seeds: the options of tests/diff's ip4 cases, each then used. */
static void write_seeds(const char *dir)
{
	uint8_t buf[4096];
	size_t at = 0;
	int one = 1;
	uint32_t range = 40000u | 40010u << 16;
	record(buf, &at, 0, 0, IP_BIND_ADDRESS_NO_PORT, &one, 4);
	record(buf, &at, 0, 0, 51 /* IP_LOCAL_PORT_RANGE */, &range, 4);
	uint32_t idx = htonl(1);
	record(buf, &at, 0, 0, 50 /* IP_UNICAST_IF */, &idx, 4);
	record(buf, &at, 4 << 2, 0, 0, NULL, 0);
	record(buf, &at, 6 << 2, 0, 0, "x", 1);
	struct ip_mreqn mr = { .imr_multiaddr.s_addr = htonl(0xe0010101), .imr_ifindex = 1 };
	record(buf, &at, 0, 0, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	uint8_t msf[16 + 8] = { 0 };
	uint32_t g = htonl(0xe0010101), a = htonl(0x0a000002), mode = 1, n = 2;
	memcpy(msf, &g, 4);
	memcpy(msf + 4, &a, 4);
	memcpy(msf + 8, &mode, 4);
	memcpy(msf + 12, &n, 4);
	record(buf, &at, 0, 0, IP_MSFILTER, msf, sizeof(msf));
	record(buf, &at, 2 << 2, 0, IP_MSFILTER, msf, sizeof(msf));
	uint8_t gf[144 + 128] = { 0 };
	uint32_t ifi = 1;
	memcpy(gf, &ifi, 4);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0xe0010101) };
	memcpy(gf + 8, &sin, sizeof(sin));
	n = 1;
	mode = 0;
	memcpy(gf + 136, &mode, 4);
	memcpy(gf + 140, &n, 4);
	memcpy(gf + 144, &sin, sizeof(sin));
	record(buf, &at, 0, 0, MCAST_MSFILTER, gf, sizeof(gf));
	record(buf, &at, 2 << 2, 0, MCAST_MSFILTER, gf, sizeof(gf));
	seed_file(dir, "ip4-options", buf, at);
	at = 0;
	int ttl = 65;
	record(buf, &at, 1, 0, IP_MINTTL, &ttl, 4);
	record(buf, &at, 1, 0, IP_TRANSPARENT, &one, 4);
	record(buf, &at, 1 | 5 << 2, 0, 0, NULL, 0);
	static const uint8_t room[64];
	record(buf, &at, 1 | 2 << 2, 0, 9 /* IP_PKTOPTIONS */, room, 64);
	record(buf, &at, 1 | 2 << 2, 0, IP_MTU, room, 4);
	seed_file(dir, "tcp-options", buf, at);
	at = 0;
	static const uint8_t hop[8] = { 0, 0, 1, 4 }, dst[16] = { 0, 1, 0x1e, 6, 1, 2, 3, 4, 5, 6, 1, 4 };
	int mtu = 1280;
	record(buf, &at, 2, 1, IPV6_HOPOPTS, hop, sizeof(hop));
	record(buf, &at, 2, 1, IPV6_DSTOPTS, dst, sizeof(dst));
	record(buf, &at, 2, 1, 33 /* IPV6_FLOWINFO_SEND */, &one, 4);
	record(buf, &at, 2, 1, IPV6_MTU, &mtu, 4);
	record(buf, &at, 2 | 6 << 2 | 0x20, 0, 0, room, 64);
	record(buf, &at, 2, 1, IPV6_DONTFRAG, &one, 4);
	record(buf, &at, 2, 1, IPV6_RECVPATHMTU, &one, 4);
	record(buf, &at, 2 | 5 << 2 | 0x20, 0, 0, NULL, 0);
	record(buf, &at, 2 | 2 << 2, 1, IPV6_PATHMTU, room, 64);
	record(buf, &at, 2 | 2 << 2, 1, IPV6_HOPOPTS, room, 64);
	record(buf, &at, 3, 1, IPV6_HOPOPTS, hop, sizeof(hop));
	record(buf, &at, 3 | 5 << 2 | 0x20, 0, 0, NULL, 0);
	seed_file(dir, "ip6-sticky", buf, at);
	/* tcp_repair.c: sequences of a closed socket, a connect without a
	 * handshake, the queues filled by sends, options, window */
	at = 0;
	int q = 2, seq = 1000;
	record(buf, &at, 1, 3, 19 /* TCP_REPAIR */, &one, 4);
	record(buf, &at, 1, 3, 20 /* TCP_REPAIR_QUEUE */, &q, 4);
	record(buf, &at, 1, 3, 21 /* TCP_QUEUE_SEQ */, &seq, 4);
	record(buf, &at, 1, 3, 20, &one, 4);
	record(buf, &at, 1, 3, 21, &seq, 4);
	record(buf, &at, 1 | 5 << 2, 0, 0, NULL, 0);
	record(buf, &at, 1 | 6 << 2, 0, 0, "recv", 4);
	record(buf, &at, 1, 3, 20, &q, 4);
	record(buf, &at, 1 | 6 << 2, 0, 0, "send", 4);
	uint32_t opts[8] = { 2, 1400, 3, 7 | 7u << 16, 4, 0, 8, 0 };
	record(buf, &at, 1, 3, 22 /* TCP_REPAIR_OPTIONS */, opts, sizeof(opts));
	uint32_t win[5] = { 1000, 65535, 65535, 65535, 1000 };
	record(buf, &at, 1, 3, 29 /* TCP_REPAIR_WINDOW */, win, sizeof(win));
	record(buf, &at, 1 | 2 << 2, 3, 29, room, 20);
	record(buf, &at, 1 | 2 << 2, 3, 21, room, 4);
	record(buf, &at, 1, 3, 24 /* TCP_TIMESTAMP */, &seq, 4);
	int off = 0;
	record(buf, &at, 1, 3, 19, &off, 4);
	record(buf, &at, 1 | 6 << 2, 0, 0, "after", 5);
	seed_file(dir, "tcp-repair", buf, at);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_wheel wheel;
	ns_wheel_init(&wheel, 1000 * NS_SEC);
	struct ns_stack_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.wheel = &wheel;
	struct ns_stack *st;
	struct ns_link *ch;
	if (ns_stack_create(&sc, &st) < 0)
		abort();
	if (ns_channel_link_create(MAC, 1500, NS_LINK_CAP_RESOLVE, &ch) < 0)
		abort();
	int nic = ns_stack_add_nic(st, ch);
	struct ns_ip a4 = ns_ip4(0x0a000002), any = ns_ip4(0), gw = ns_ip4(0x0a0000fe);
	static const uint8_t v6addr[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	struct ns_ip a6 = { .family = AF_INET6 };
	memcpy(a6.v6, v6addr, 16);
	if (nic < 0 || ns_stack_add_addr(st, nic, &a4, 24) < 0 || ns_stack_add_route(st, &any, 0, &gw, nic) < 0 ||
	    ns_stack_add_addr(st, nic, &a6, 64) < 0)
		abort();
	struct ns_socket *s[4] = { NULL, NULL, NULL, NULL };
	for (int i = 0; i < 4; i++)
		if (ns_socket_create(st, i < 2 ? AF_INET : AF_INET6, i & 1 ? SOCK_STREAM : SOCK_DGRAM, 0, &s[i]) < 0)
			abort();
	static uint8_t val[MAXV + GUARD] __attribute__((aligned(8)));
	size_t pos = 0;
	for (int n = 0; n < 64 && pos + 5 <= size; n++) {
		uint8_t sel = data[pos], lvl = data[pos + 1], name = data[pos + 2];
		size_t len = (size_t)data[pos + 3] | (size_t)data[pos + 4] << 8;
		pos += 5;
		if (len > MAXV)
			len = MAXV;
		memset(val, 0, sizeof(val));
		size_t have = size - pos < len ? size - pos : len;
		memcpy(val, data + pos, have);
		pos += have;
		struct ns_socket *so = s[sel & 3];
		int six = (sel & 3) >= 2;
		int level = LEVELS[lvl % 5];
		int r;
		switch ((sel >> 2) & 7) {
		case 0:
		case 1:
			if (level == SOL_SOCKET && name == SO_ATTACH_FILTER && len >= 2) {
				/* the program's pointer is the sentry's copy, not
				 * the application's: here the value's own bytes
				 * after its count (fuzz_bpf checks programs) */
				uint16_t cnt;
				memcpy(&cnt, val, 2);
				size_t room = len > 8 ? (len - 8) / sizeof(struct sock_filter) : 0;
				struct sock_fprog fp = { .len = (unsigned short)(cnt < room ? cnt : room),
							 .filter = (struct sock_filter *)(void *)(val + 8) };
				r = ns_setsockopt(so, level, name, &fp, sizeof(fp));
				break;
			}
			r = ns_setsockopt(so, level, name, len ? val : NULL, (socklen_t)len);
			break;
		case 2:
		case 3: {
			memset(val + len, 0xa5, GUARD);
			socklen_t l = (socklen_t)len;
			r = ns_getsockopt(so, level, name, val, &l);
			if (r == 0 && l > len)
				abort(); /* a length past the buffer */
			for (size_t i = len; i < len + GUARD; i++)
				if (val[i] != 0xa5)
					abort(); /* a write past the buffer */
			break;
		}
		case 4:
		case 5:
		case 6: {
			struct sockaddr_storage ss;
			memset(&ss, 0, sizeof(ss));
			socklen_t sl;
			int to_peer = ((sel >> 2) & 7) != 4;
			if (six) {
				struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
				a->sin6_family = AF_INET6;
				if (sel & 0x20) {
					a->sin6_addr.s6_addr[0] = 0xfd;
				} else {
					/* the peer as a v4-mapped address */
					a->sin6_addr.s6_addr[10] = a->sin6_addr.s6_addr[11] = 0xff;
					a->sin6_addr.s6_addr[12] = 10;
				}
				a->sin6_addr.s6_addr[15] = to_peer ? 1 : 2;
				a->sin6_flowinfo = htonl(0x12345);
				a->sin6_port = htons(to_peer ? 9 : 0);
				sl = sizeof(*a);
			} else {
				struct sockaddr_in *a = (struct sockaddr_in *)&ss;
				a->sin_family = AF_INET;
				a->sin_addr.s_addr = htonl(to_peer ? 0x0a000001 : 0x0a000002);
				a->sin_port = htons(to_peer ? 9 : 0);
				sl = sizeof(*a);
			}
			if (!to_peer) {
				r = ns_bind(so, (struct sockaddr *)&ss, sl);
			} else if (((sel >> 2) & 7) == 5) {
				r = ns_connect(so, (struct sockaddr *)&ss, sl);
			} else {
				struct iovec iov = { val, have };
				struct msghdr m = { .msg_name = &ss, .msg_namelen = sl, .msg_iov = &iov, .msg_iovlen = 1 };
				if (sel & 0x40) {
					/* the value's first half as control messages
					 * (udp.c's send_cmsgs), the rest as data */
					m.msg_control = val;
					m.msg_controllen = have / 2;
					iov.iov_base = val + have / 2;
					iov.iov_len = have - have / 2;
				}
				r = (int)ns_sendmsg(so, &m, 0);
			}
			break;
		}
		default:
			r = ns_listen(so, 4);
			break;
		}
		if (r > 0 && ((sel >> 2) & 7) < 6)
			abort(); /* options and binds answer 0 or -errno */
		struct pkt *p;
		while ((p = ns_channel_take(ch)))
			pkt_unref(p);
	}
	for (int i = 0; i < 4; i++)
		ns_close(s[i]);
	/* the timers closing left (retransmissions, TIME_WAIT), on the fake
	 * clock */
	ns_time_t end = wheel.now + 300 * NS_SEC;
	struct pkt *p;
	for (int guard = 0; guard < 10000; guard++) {
		ns_time_t next = ns_wheel_next(&wheel);
		if (next > end)
			break;
		ns_wheel_advance(&wheel, next);
		while ((p = ns_channel_take(ch)))
			pkt_unref(p);
	}
	while ((p = ns_channel_take(ch)))
		pkt_unref(p);
	ns_stack_destroy(st);
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	if (ps.in_use || ps.views_in_use) {
		fprintf(stderr, "fuzz_sockopt: leak: %llu chunks, %llu views in use after destroy\n",
			(unsigned long long)ps.in_use, (unsigned long long)ps.views_in_use);
		abort();
	}
	return 0;
}
