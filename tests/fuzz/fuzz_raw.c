/*
 * libFuzzer harness over raw sockets (netstack/raw.c and its hooks in
 * ipv4.c, ipv6.c, icmp.c, icmp6.c): what a raw socket sends is the
 * application's bytes, with IP_HDRINCL (and IPPROTO_RAW, and
 * IPV6_HDRINCL) a whole IP header of its own making, which the stack
 * completes and then takes in again over loopback; what raw sockets
 * receive is any datagram of their protocol, ICMP errors included. Any
 * input must be sent, refused with an errno or dropped and counted; a
 * getsockopt must not write past its length; the stack must come apart
 * with nothing left in use.
 *
 * Input: records of 5 bytes and a value:
 *   byte 0  socket (mod 6: IPv4 ICMP, IPv4 IPPROTO_RAW, IPv4 protocol
 *           253, IPv6 ICMPv6, IPv6 IPPROTO_RAW, IPv6 protocol 253) and,
 *           in bits 3-5, the call: 0 setsockopt, 1 getsockopt, 2 sendto
 *           loopback (127.0.0.1 / ::1), 3 sendto the peer (10.0.0.1 /
 *           fd00::1), 4 bind (the value's first bytes as the address),
 *           5 connect (loopback), 6 recvmsg (bit 6: MSG_ERRQUEUE, bit 7:
 *           MSG_PEEK), 7 the value as a frame from the peer (byte 2's
 *           low bit: IPv6, else IPv4)
 *   byte 1  level (mod 5: SOL_RAW, IP, IPV6, ICMPV6, SOL_SOCKET)
 *   byte 2  option name
 *   bytes 3-4  value length (little-endian, at most 2048)
 *   then the value (what is missing at the end of the input reads as 0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ns/link.h"
#include "ns/pkt.h"
#include "ns/socket.h"
#include "ns/stack.h"
#include "ns/timer.h"
#include "seed_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAXV 2048
#define GUARD 64
#define NSOCK 6

static const uint8_t MAC[6] = { 2, 0, 0, 0, 0, 2 }, PEER_MAC[6] = { 2, 0, 0, 0, 0, 1 };
static const int LEVELS[5] = { 255 /* SOL_RAW */, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_ICMPV6, SOL_SOCKET };
static const struct {
	int family, proto;
} SOCKS[NSOCK] = {
	{ AF_INET, IPPROTO_ICMP },     { AF_INET, IPPROTO_RAW },  { AF_INET, 253 },
	{ AF_INET6, IPPROTO_ICMPV6 }, { AF_INET6, IPPROTO_RAW }, { AF_INET6, 253 },
};

static void record(uint8_t *buf, size_t *at, uint8_t sel, uint8_t level, uint8_t name, const void *v,
		   uint16_t len)
{
	buf[(*at)++] = sel;
	buf[(*at)++] = level;
	buf[(*at)++] = name;
	buf[(*at)++] = (uint8_t)len;
	buf[(*at)++] = (uint8_t)(len >> 8);
	if (len && v)
		memcpy(buf + *at, v, len);
	else if (len)
		memset(buf + *at, 0, len); /* (a read's buffer size) */
	*at += len;
}

static size_t ip4_hdr(uint8_t *b, uint8_t ihl, uint8_t proto, uint32_t src, uint32_t dst, const char *data)
{
	memset(b, 0, 20);
	b[0] = (uint8_t)(0x40 | ihl);
	b[8] = 64;
	b[9] = proto;
	uint32_t s = htonl(src), d = htonl(dst);
	memcpy(b + 12, &s, 4);
	memcpy(b + 16, &d, 4);
	size_t n = strlen(data);
	memcpy(b + 20, data, n);
	b[3] = (uint8_t)(20 + n);
	return 20 + n;
}

/* Seeds: the raw_sockets diff case's sends, each then read back. */
static void write_seeds(const char *dir)
{
	uint8_t buf[4096], h[128];
	size_t at = 0;
	static const uint8_t echo[12] = { 8, 0, 0xf7, 0xfd, 0, 1, 0, 1, 'p', 'i', 'n', 'g' };
	record(buf, &at, 0 | 2 << 3, 0, 0, echo, sizeof(echo));
	record(buf, &at, 0 | 6 << 3, 0, 0, NULL, 256);
	record(buf, &at, 0 | 6 << 3, 0, 0, NULL, 256);
	uint32_t mask = 1;
	record(buf, &at, 0, 0, 1 /* ICMP_FILTER */, &mask, 4);
	size_t n = ip4_hdr(h, 5, 253, 0, 0x7f000001, "hdrincl");
	record(buf, &at, 1 | 2 << 3, 0, 0, h, (uint16_t)n);
	record(buf, &at, 2 | 6 << 3, 0, 0, NULL, 256);
	n = ip4_hdr(h, 6, 17, 0x7f000001, 0x7f000001, "options?");
	record(buf, &at, 1 | 2 << 3, 0, 0, h, (uint16_t)n);
	int one = 1;
	record(buf, &at, 2, 1, IP_HDRINCL, &one, 4);
	record(buf, &at, 2, 1, IP_RECVERR, &one, 4);
	record(buf, &at, 2 | 3 << 3, 0, 0, h, (uint16_t)n);
	record(buf, &at, 2 | 6 << 3 | 0x40, 0, 0, NULL, 256);
	seed_file(dir, "raw4", buf, at);
	at = 0;
	static const uint8_t echo6[10] = { 128, 0, 0, 0, 0, 1, 0, 1, 's', 'x' };
	record(buf, &at, 3 | 2 << 3, 0, 0, echo6, sizeof(echo6));
	record(buf, &at, 3 | 6 << 3, 0, 0, NULL, 256);
	int two = 2;
	record(buf, &at, 5, 2, IPV6_CHECKSUM, &two, 4);
	record(buf, &at, 5 | 2 << 3, 0, 0, "abcdefgh", 8);
	record(buf, &at, 5 | 6 << 3, 0, 0, NULL, 256);
	uint8_t v6[48] = { 0x60, 0, 0, 0, 0, 8, 253, 64 };
	v6[23] = 1;
	v6[39] = 1;
	memcpy(v6 + 40, "ip6hdr!!", 8);
	record(buf, &at, 4 | 2 << 3, 0, 0, v6, sizeof(v6));
	record(buf, &at, 5 | 6 << 3, 0, 0, NULL, 256);
	uint8_t flt[32];
	memset(flt, 0xff, sizeof(flt));
	flt[16] = 0xfe;
	record(buf, &at, 3, 3, 1 /* ICMP6_FILTER */, flt, sizeof(flt));
	seed_file(dir, "raw6", buf, at);
	at = 0;
	/* a frame from the peer: protocol 253, and an ICMP error about it */
	n = ip4_hdr(h, 5, 253, 0x0a000001, 0x0a000002, "from the peer");
	h[10] = h[11] = 0; /* (the stack checks the header's sum: a fuzzer finds it) */
	record(buf, &at, 2 | 7 << 3, 0, 0, h, (uint16_t)n);
	record(buf, &at, 2 | 6 << 3, 0, 0, NULL, 256);
	seed_file(dir, "frames", buf, at);
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

static void settle(struct ns_stack *st, struct ns_link *ch)
{
	for (int i = 0; i < 8; i++) {
		int more = ns_stack_poll(st);
		more |= ns_stack_flush(st);
		struct pkt *p;
		while ((p = ns_channel_take(ch)))
			pkt_unref(p);
		if (!more)
			break;
	}
}

static void addr(int family, int peer, const uint8_t *v, size_t have, int from_value, struct sockaddr_storage *ss,
		 socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (from_value) {
		/* the value's bytes as the address, any length up to its size */
		*sl = (socklen_t)(have < sizeof(*ss) ? have : sizeof(*ss));
		memcpy(ss, v, *sl);
		return;
	}
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(peer ? 0x0a000001 : 0x7f000001);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		if (peer)
			a->sin6_addr.s6_addr[0] = 0xfd;
		a->sin6_addr.s6_addr[15] = 1;
		*sl = sizeof(*a);
	}
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
	if (ns_channel_link_create(MAC, 1500, 0, &ch) < 0)
		abort();
	int nic = ns_stack_add_nic(st, ch);
	struct ns_ip a4 = ns_ip4(0x0a000002);
	static const uint8_t v6addr[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	struct ns_ip a6 = { .family = AF_INET6 };
	memcpy(a6.v6, v6addr, 16);
	if (nic < 0 || ns_stack_add_addr(st, nic, &a4, 24) < 0 || ns_stack_add_addr(st, nic, &a6, 64) < 0)
		abort();
	settle(st, ch);
	struct ns_socket *s[NSOCK];
	for (int i = 0; i < NSOCK; i++)
		if (ns_socket_create(st, SOCKS[i].family, SOCK_RAW, SOCKS[i].proto, &s[i]) < 0)
			abort();
	static uint8_t val[MAXV + GUARD] __attribute__((aligned(8)));
	static uint8_t cbuf[512 + GUARD] __attribute__((aligned(8)));
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
		int k = (sel & 7) % NSOCK;
		struct ns_socket *so = s[k];
		int fam = SOCKS[k].family;
		int level = LEVELS[lvl % 5];
		struct sockaddr_storage ss;
		socklen_t sl;
		long r = 0;
		switch ((sel >> 3) & 7) {
		case 0:
			r = ns_setsockopt(so, level, name, len ? val : NULL, (socklen_t)len);
			if (r > 0)
				abort(); /* 0 or -errno */
			break;
		case 1: {
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
		case 2:
		case 3: {
			addr(fam, ((sel >> 3) & 7) == 3, val, have, 0, &ss, &sl);
			struct iovec iov = { val, have };
			struct msghdr m = { .msg_name = &ss, .msg_namelen = sl, .msg_iov = &iov, .msg_iovlen = 1 };
			r = ns_sendmsg(so, &m, 0);
			if (r > (long)have)
				abort();
			break;
		}
		case 4:
			addr(fam, 0, val, have, 1, &ss, &sl);
			r = ns_bind(so, (struct sockaddr *)&ss, sl);
			break;
		case 5:
			addr(fam, 0, val, have, name & 1, &ss, &sl);
			r = ns_connect(so, (struct sockaddr *)&ss, sl);
			break;
		case 6: {
			struct iovec iov = { val, len };
			memset(val + len, 0xa5, GUARD);
			memset(cbuf, 0, sizeof(cbuf));
			memset(cbuf + 512, 0xa5, GUARD);
			struct msghdr m = { .msg_name = &ss, .msg_namelen = sizeof(ss), .msg_iov = &iov, .msg_iovlen = 1,
					    .msg_control = cbuf, .msg_controllen = name & 1 ? 512 : name % 64 };
			int fl = MSG_DONTWAIT | (sel & 0x40 ? MSG_ERRQUEUE : 0) | (sel & 0x80 ? MSG_PEEK : 0) |
				 (name & 2 ? MSG_TRUNC : 0);
			size_t copied;
			r = ns_recvmsg_copied(so, &m, fl, &copied);
			if (copied > len || m.msg_controllen > 512 || m.msg_namelen > sizeof(ss))
				abort();
			for (size_t i = 0; i < GUARD; i++)
				if (val[len + i] != 0xa5 || cbuf[512 + i] != 0xa5)
					abort(); /* a write past a buffer */
			break;
		}
		default: {
			uint8_t eth[14];
			memcpy(eth, MAC, 6);
			memcpy(eth + 6, PEER_MAC, 6);
			eth[12] = name & 1 ? 0x86 : 0x08;
			eth[13] = name & 1 ? 0xdd : 0x00;
			struct pkt *p = pkt_alloc(64, (uint32_t)(14 + have));
			if (!p)
				abort();
			memcpy(pkt_data(p), eth, 14);
			memcpy(pkt_data(p) + 14, val, have);
			ns_channel_inject(ch, p);
			break;
		}
		}
		(void)r;
		settle(st, ch);
	}
	for (int i = 0; i < NSOCK; i++)
		ns_close(s[i]);
	settle(st, ch);
	ns_time_t end = wheel.now + 300 * NS_SEC;
	for (int guard = 0; guard < 10000; guard++) {
		ns_time_t next = ns_wheel_next(&wheel);
		if (next > end)
			break;
		ns_wheel_advance(&wheel, next);
		settle(st, ch);
	}
	settle(st, ch);
	ns_stack_destroy(st);
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	if (ps.in_use || ps.views_in_use) {
		fprintf(stderr, "fuzz_raw: leak: %llu chunks, %llu views in use after destroy\n",
			(unsigned long long)ps.in_use, (unsigned long long)ps.views_in_use);
		abort();
	}
	return 0;
}
