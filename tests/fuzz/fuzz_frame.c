/*
 * libFuzzer harness over the stack's frame input path (the channel
 * endpoint), on a fake clock.
 *
 * Input format:
 *   byte 0     configuration: bits 0-1 link MTU (1500, 9000, 576, 1280);
 *              bit 2 frames arrive marked "checksum verified" (rx offload);
 *              bit 3 peer already in the neighbour cache (ARP, and NDP for
 *              fd00::1);
 *              bit 4 repair checksums (IPv4 header, and UDP/TCP/ICMP/IGMP of an
 *              unfragmented datagram; UDP/TCP/ICMPv6 right after an IPv6
 *              header) so that mutations reach the code behind them
 *   then records, each:
 *     2 bytes  frame length (big endian; clipped to what is left)
 *     1 byte   clock step before the frame: v ms (0-239), or (v-239) s
 *     n bytes  the Ethernet frame
 *
 * Every input gets a fresh stack (10.0.0.2/24 and fd00::2/64 (no DAD) on
 * the channel with its fe80:: address, default routes, a UDP echo socket on
 * port 7, a UDP sink on 9 that joined 239.1.2.3 (so IGMP queries have a
 * group to answer for), a TCP listener on 80), so a crash reproduces
 * from its input alone. After the frames the
 * clock runs 200 s (every reassembly queue expires, timers fire), then:
 *   - the accounting of tests/unit/books.h must hold (abort otherwise);
 *   - nothing may have gone through the loopback interface;
 *   - after ns_stack_destroy() no packet chunk or view may be in use.
 * ASan/UBSan and libFuzzer's leak check do the rest.
 *
 * FUZZ_WRITE_SEEDS=DIR: write a seed corpus of valid inputs (built with the
 * unit tests' builders) into DIR and exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "seed_file.h"
#include "../unit/books.h"
#include "../unit/builders.h"
#include "../unit/builders.c"
#include "../unit/builders6.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const uint32_t MTUS[4] = { 1500, 9000, 576, 1280 };
#define FUZZ_GROUP IP4_ADDR(239, 1, 2, 3)

static struct {
	struct ns_wheel wheel;
	struct ns_stack *st;
	struct ns_link *ch;
	struct ns_socket *echo, *sink, *listener;
	uint64_t injected;
} H;

/* Across the run, printed at exit: fuzz input frames and inputs. */
static uint64_t total_frames, total_inputs;

static void print_totals(void)
{
	fprintf(stderr, "fuzz_frame: %llu inputs, %llu frames\n", (unsigned long long)total_inputs,
		(unsigned long long)total_frames);
}

static void run(void)
{
	for (int i = 0; i < 64 && ns_stack_poll(H.st) > 0; i++)
		;
	ns_stack_flush(H.st);
	static uint8_t buf[65536]; /* static: ASan poisons big stack arrays per call */
	struct sockaddr_in from;
	for (int i = 0; i < 16; i++) {
		/* The echo answers with the datagram's IPv4 options turned
		 * round (IP_RETOPTS back as the send's control message), as
		 * an options-aware server would. */
		uint8_t cb[512];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
		ssize_t n = ns_recvmsg(H.echo, &m, 0);
		if (n == -EAGAIN)
			break;
		if (n < 0 || from.sin_addr.s_addr == 0)
			continue;
		uint8_t ob[CMSG_SPACE(64)];
		struct msghdr o = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1 };
		iov.iov_len = (size_t)n;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			size_t dl = c->cmsg_len - CMSG_LEN(0);
			if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RETOPTS || dl > 64)
				continue;
			memset(ob, 0, sizeof(ob));
			o.msg_control = ob;
			o.msg_controllen = CMSG_SPACE(dl);
			struct cmsghdr *oc = CMSG_FIRSTHDR(&o);
			oc->cmsg_level = IPPROTO_IP;
			oc->cmsg_type = IP_RETOPTS;
			oc->cmsg_len = CMSG_LEN(dl);
			memcpy(CMSG_DATA(oc), CMSG_DATA(c), dl);
		}
		ns_sendmsg(H.echo, &o, 0);
	}
	while (ns_recv(H.sink, buf, sizeof(buf), 0) != -EAGAIN)
		;
	for (int i = 0; i < 64 && ns_stack_poll(H.st) > 0; i++)
		;
	struct pkt *p;
	while ((p = ns_channel_take(H.ch)))
		pkt_unref(p);
}

/* Like an event loop: wake at each deadline up to now + dt. */
static void advance(ns_time_t dt)
{
	ns_time_t end = H.wheel.now + dt;
	for (int guard = 0; guard < 10000; guard++) {
		ns_time_t next = ns_wheel_next(&H.wheel);
		if (next > end)
			break;
		ns_wheel_advance(&H.wheel, next);
		run();
	}
	ns_wheel_advance(&H.wheel, end);
	run();
}

/* Recompute the checksums a mutation broke (frame at the Ethernet header). */
static void repair_checksums6(struct pkt *p)
{
	uint8_t *ih = pkt_data(p) + ETH_HDR_LEN;
	if (p->len < ETH_HDR_LEN + IP6_HDR_LEN)
		return;
	uint32_t plen = ns_rd16(ih + 4);
	if (ETH_HDR_LEN + IP6_HDR_LEN + plen > p->len)
		return;
	uint8_t *l4 = ih + IP6_HDR_LEN;
	uint32_t off;
	switch (ih[6]) {
	case IPPROTO_UDP_:
		off = 6;
		break;
	case IPPROTO_TCP_:
		off = 16;
		break;
	case IP6_NH_ICMPV6:
		off = 2;
		break;
	default:
		return;
	}
	if (plen < off + 2)
		return;
	ns_wr16(l4 + off, 0);
	uint16_t c = ns_csum_fold(ns_csum_add(ns_csum_pseudo6(ih + 8, ih + 24, ih[6], plen), l4, plen));
	ns_wr16(l4 + off, ih[6] == IPPROTO_UDP_ && !c ? 0xffff : c);
}

static void repair_checksums(struct pkt *p)
{
	uint8_t *d = pkt_data(p);
	if (p->len >= ETH_HDR_LEN && ns_rd16(d + 12) == ETHERTYPE_IPV6) {
		repair_checksums6(p);
		return;
	}
	if (p->len < ETH_HDR_LEN + IP4_HDR_LEN || ns_rd16(d + 12) != ETHERTYPE_IPV4)
		return;
	uint8_t *ih = d + ETH_HDR_LEN;
	uint32_t avail = p->len - ETH_HDR_LEN;
	uint32_t hl = (uint32_t)(ih[0] & 0xf) * 4;
	if (hl < IP4_HDR_LEN || hl > avail)
		return;
	ns_wr16(ih + 10, 0);
	ns_wr16(ih + 10, ns_csum(ih, hl));
	uint32_t tot = ns_rd16(ih + 2);
	if (tot < hl || tot > avail || (ns_rd16(ih + 6) & (IP4_MF | IP4_OFFMASK)))
		return;
	uint8_t *l4 = ih + hl;
	uint32_t len = tot - hl;
	uint32_t src = ns_rd32(ih + 12), dst = ns_rd32(ih + 16);
	switch (ih[9]) {
	case IPPROTO_UDP_:
		if (len >= UDP_HDR_LEN && ns_rd16(l4 + 6)) {
			uint32_t ulen = ns_rd16(l4 + 4);
			if (ulen < UDP_HDR_LEN || ulen > len)
				return;
			ns_wr16(l4 + 6, 0);
			uint16_t c = ns_csum_fold(ns_csum_add(ns_csum_pseudo4(src, dst, 17, ulen), l4, ulen));
			ns_wr16(l4 + 6, c ? c : 0xffff);
		}
		break;
	case IPPROTO_TCP_:
		if (len >= TCP_HDR_LEN) {
			ns_wr16(l4 + 16, 0);
			ns_wr16(l4 + 16, ns_csum_fold(ns_csum_add(ns_csum_pseudo4(src, dst, 6, len), l4, len)));
		}
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_IGMP:
		if (len >= ICMP_HDR_LEN) {
			ns_wr16(l4 + 2, 0);
			ns_wr16(l4 + 2, ns_csum(l4, len));
		}
		break;
	default:
		break;
	}
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_frame: %s\n", what);
	ns_stack_print_stats(H.st, stderr, 0);
	abort();
}

static void setup(uint8_t cfg)
{
	memset(&H, 0, sizeof(H));
	ns_wheel_init(&H.wheel, 1000 * NS_SEC);
	struct ns_stack_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.wheel = &H.wheel;
	if (ns_stack_create(&sc, &H.st) < 0 ||
	    ns_stack_set_option(H.st, "ip6.dad_transmits", "0") < 0 ||
	    ns_channel_link_create(B_MAC_STACK, MTUS[cfg & 3], NS_LINK_CAP_RESOLVE, &H.ch) < 0)
		abort();
	int nic = ns_stack_add_nic(H.st, H.ch);
	struct ns_ip a = ns_ip4(B_IP_STACK), any = ns_ip4(0), gw = ns_ip4(IP4_ADDR(10, 0, 0, 254));
	if (nic < 0 || ns_stack_add_addr(H.st, nic, &a, 24) < 0 ||
	    ns_stack_add_route(H.st, &any, 0, &gw, nic) < 0)
		abort();
	/* IPv6 where the link allows it (not at MTU 576, RFC 8200 5). */
	struct ns_ip a6, any6, gw6;
	memset(&any6, 0, sizeof(any6));
	any6.family = AF_INET6;
	a6 = gw6 = any6;
	memcpy(a6.v6, B6_STACK, 16);
	memcpy(gw6.v6, B6_PEER_LL, 16);
	if (ns_stack_add_addr(H.st, nic, &a6, 64) == 0 &&
	    ns_stack_add_route(H.st, &any6, 0, &gw6, nic) < 0)
		abort();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7) };
	if (ns_socket_create(H.st, AF_INET, SOCK_DGRAM, 0, &H.echo) < 0 ||
	    ns_bind(H.echo, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	int one = 1;
	if (ns_setsockopt(H.echo, IPPROTO_IP, IP_RECVOPTS, &one, sizeof(one)) < 0 ||
	    ns_setsockopt(H.echo, IPPROTO_IP, IP_RETOPTS, &one, sizeof(one)) < 0)
		abort();
	sa.sin_port = htons(9);
	struct ip_mreqn mr = { .imr_multiaddr.s_addr = htonl(FUZZ_GROUP), .imr_ifindex = nic };
	if (ns_socket_create(H.st, AF_INET, SOCK_DGRAM, 0, &H.sink) < 0 ||
	    ns_bind(H.sink, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    ns_setsockopt(H.sink, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		abort();
	if (ns_socket_create(H.st, AF_INET, SOCK_STREAM, 0, &H.listener) == 0) {
		sa.sin_port = htons(80);
		if (ns_bind(H.listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    ns_listen(H.listener, 8) < 0) {
			ns_close(H.listener);
			H.listener = NULL;
		}
	}
	if (cfg & 8) {
		/* The peer introduced itself (not counted as fuzz input). */
		static const uint8_t zero[6];
		ns_channel_inject(H.ch, b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER,
					      zero, B_IP_STACK));
		H.injected++;
		uint8_t sn[16];
		ip6_solicited_node(B6_STACK, sn);
		ns_channel_inject(H.ch, b6_ns(B6_PEER, sn, B6_STACK, B_MAC_PEER));
		H.injected++;
	}
	run();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t cfg = data[0];
	total_inputs++;
	setup(cfg);
	size_t pos = 1;
	for (int frames = 0; pos + 3 <= size && frames < 64; frames++) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		uint8_t step = data[pos + 2];
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (step)
			advance(step < 240 ? step * NS_MSEC : (ns_time_t)(step - 239) * NS_SEC);
		struct pkt *p = pkt_from_bytes(data + pos, (uint32_t)len);
		pos += len;
		if (!p)
			abort();
		if (cfg & 4)
			p->flags |= PKT_F_CSUM_VERIFIED;
		if (cfg & 16)
			repair_checksums(p);
		H.injected++;
		total_frames++;
		ns_channel_inject(H.ch, p);
		run();
	}
	advance(200 * NS_SEC);

	char msg[256];
	if (books_check(H.st, H.ch, H.injected, msg, sizeof(msg)) < 0)
		die(msg);
	if (H.st->nics[1]->link->stats.rx_frames)
		die("frames from the wire made the stack send to itself (loopback)");
	ns_close(H.echo);
	ns_close(H.sink);
	if (H.listener)
		ns_close(H.listener);
	ns_stack_destroy(H.st);
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	if (ps.in_use || ps.views_in_use) {
		fprintf(stderr, "fuzz_frame: leak: %llu chunks, %llu views in use after destroy\n",
			(unsigned long long)ps.in_use, (unsigned long long)ps.views_in_use);
		abort();
	}
	return 0;
}

/* ---- seed corpus ---- */

static uint8_t seed_buf[70000];
static size_t seed_len;

static void seed_begin(uint8_t cfg)
{
	seed_buf[0] = cfg;
	seed_len = 1;
}

/* Appends a frame record (consumes p). */
static void seed_frame(struct pkt *p, uint8_t step)
{
	if (!p || seed_len + 3 + p->len > sizeof(seed_buf))
		abort();
	seed_buf[seed_len] = (uint8_t)(p->len >> 8);
	seed_buf[seed_len + 1] = (uint8_t)p->len;
	seed_buf[seed_len + 2] = step;
	memcpy(seed_buf + seed_len + 3, pkt_data(p), p->len);
	seed_len += 3 + p->len;
	pkt_unref(p);
}

static void seed_write(const char *dir, const char *name)
{
	seed_file(dir, name, seed_buf, seed_len);
}

static void write_seeds(const char *dir)
{
	static const uint8_t zero[6];
	mkdir(dir, 0755);

	seed_begin(0);
	seed_frame(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER, zero, B_IP_STACK), 0);
	seed_frame(b_ping(B_IP_PEER, B_IP_STACK, 1, 1, 56), 1);
	seed_write(dir, "arp-then-ping");

	seed_begin(8 | 16);
	seed_frame(b_udp4(B_IP_PEER, 4000, B_IP_STACK, 7, "hello echo", 10), 0);
	seed_frame(b_udp4(B_IP_PEER, 4000, B_IP_STACK, 9999, "closed", 6), 0);
	seed_write(dir, "udp-echo-and-closed-port");

	seed_begin(8 | 4);
	static uint8_t big[8000], bytes[8100];
	b_pattern(big, sizeof(big), 3);
	size_t n = b_icmp_bytes(bytes, ICMP_ECHO, 0, 0x00010002, big, sizeof(big));
	for (uint32_t off = 0; off < n; off += 1480) {
		uint32_t l = (uint32_t)NS_MIN((size_t)1480, n - off);
		struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_ICMP_,
				   .id = 77, .frag_off = (uint16_t)off, .mf = off + l < n };
		seed_frame(b_ip4(&h, bytes + off, l), 0);
	}
	seed_write(dir, "fragmented-ping");

	seed_begin(8 | 16);
	uint8_t syn[20] = { 0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff };
	uint32_t sum = ns_csum_pseudo4(B_IP_PEER, B_IP_STACK, IPPROTO_TCP_, sizeof(syn));
	ns_wr16(syn + 16, ns_csum_fold(ns_csum_add(sum, syn, sizeof(syn))));
	struct b_ip4 th = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_TCP_, .id = 3 };
	seed_frame(b_ip4(&th, syn, sizeof(syn)), 0);
	seed_frame(b_arp(B_MAC_STACK, ARP_OP_REPLY, B_MAC_PEER, B_IP_PEER, B_MAC_STACK, B_IP_STACK), 5);
	seed_write(dir, "tcp-syn");

	/* An ICMP error quoting a datagram we could have sent. */
	seed_begin(8 | 16);
	uint8_t q[28];
	struct b_ip4 qh = { .src = B_IP_STACK, .dst = B_IP_PEER, .proto = IPPROTO_UDP_, .id = 9 };
	size_t ql = b_ip4_hdr(q, &qh, 8);
	ns_wr16(q + ql, 7);
	ns_wr16(q + ql + 2, 5353);
	ns_wr16(q + ql + 4, 8);
	ns_wr16(q + ql + 6, 0);
	seed_frame(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, q,
			   ql + 8), 0);
	seed_write(dir, "icmp-error");

	/* IP options, and a missing fragment that times out. */
	seed_begin(1 | 16);
	static const uint8_t opts[4] = { 1, 1, 1, 0 };
	struct b_ip4 oh = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_, .id = 11,
			    .opts = opts, .optlen = 4 };
	uint8_t u[40];
	size_t ul = b_udp_bytes(u, B_IP_PEER, 1, B_IP_STACK, 7, "opts", 4);
	seed_frame(b_ip4(&oh, u, ul), 0);
	struct b_ip4 fh = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_, .id = 12,
			    .mf = 1 };
	seed_frame(b_ip4(&fh, big, 1480), 0);
	seed_write(dir, "options-and-lone-fragment");

	/* IPv4 options the stack checks and fills (ip4opt.c): record route
	 * and timestamps to the echo (which answers with them turned round),
	 * to a closed port (the error carries them), in a ping and a SYN;
	 * a second record route (a parameter problem), a source route. */
	seed_begin(8 | 16);
	static const uint8_t rrts[32] = { 7, 15, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					  68, 16, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t prespec[20] = { 68, 20, 5, 3, 10, 0, 0, 2, 0, 0, 0, 0, 10, 0, 0, 9, 0, 0, 0, 0 };
	static const uint8_t bad[8] = { 7, 3, 4, 7, 3, 4, 0, 0 };
	static const uint8_t lsrr[8] = { 131, 7, 4, 10, 0, 0, 2, 0 };
	struct b_ip4 rh = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_, .id = 21,
			    .opts = rrts, .optlen = sizeof(rrts) };
	ul = b_udp_bytes(u, B_IP_PEER, 1, B_IP_STACK, 7, "rr", 2);
	seed_frame(b_ip4(&rh, u, ul), 0);
	rh.opts = prespec;
	rh.optlen = sizeof(prespec);
	seed_frame(b_ip4(&rh, u, ul), 0);
	rh.opts = rrts;
	rh.optlen = sizeof(rrts);
	ul = b_udp_bytes(u, B_IP_PEER, 1, B_IP_STACK, 9999, "closed", 6);
	seed_frame(b_ip4(&rh, u, ul), 0);
	uint8_t pg[16];
	size_t pl = b_icmp_bytes(pg, ICMP_ECHO, 0, 0x00010002, "ping", 4);
	rh.proto = IPPROTO_ICMP_;
	seed_frame(b_ip4(&rh, pg, pl), 0);
	rh.proto = IPPROTO_TCP_;
	seed_frame(b_ip4(&rh, syn, sizeof(syn)), 0);
	rh.proto = IPPROTO_UDP_;
	ul = b_udp_bytes(u, B_IP_PEER, 1, B_IP_STACK, 7, "bad", 3);
	rh.opts = bad;
	rh.optlen = sizeof(bad);
	seed_frame(b_ip4(&rh, u, ul), 0);
	rh.opts = lsrr;
	seed_frame(b_ip4(&rh, u, ul), 0);
	seed_write(dir, "ipv4-options");

	/* IGMP (checksums repaired): a v3 general query, a v2 query for the
	 * sink's group and another member's v2 report for it, a datagram to
	 * the group, a v1 query; the answers come from the timers. */
	seed_begin(8 | 16);
	uint8_t gq[12] = { 0x11, 10, [8] = 2, [9] = 125 };
	struct b_ip4 gh = { .src = B_IP_PEER, .dst = IP4_ADDR(224, 0, 0, 1), .proto = IPPROTO_IGMP,
			    .ttl = 1, .id = 13 };
	seed_frame(b_ip4(&gh, gq, 12), 0);
	ns_wr32(gq + 4, FUZZ_GROUP);
	gh.dst = FUZZ_GROUP;
	seed_frame(b_ip4(&gh, gq, 8), 2);
	gq[0] = 0x16;
	gq[1] = 0;
	seed_frame(b_ip4(&gh, gq, 8), 1);
	seed_frame(b_udp4(B_IP_PEER, 4000, FUZZ_GROUP, 9, "to the group", 12), 0);
	gq[0] = 0x11;
	ns_wr32(gq + 4, 0);
	gh.dst = IP4_ADDR(224, 0, 0, 1);
	seed_frame(b_ip4(&gh, gq, 8), 240);
	seed_write(dir, "igmp-queries");

	/* IPv6: echo, a fragmented echo, neighbour and router discovery, an
	 * unknown option and an unknown next header, an MLD query, an
	 * ICMPv6 error quoting a datagram of ours. */
	seed_begin(8 | 16);
	seed_frame(b6_ping(B6_PEER, B6_STACK, 6, 1, 56), 0);
	seed_frame(b6_ping(B6_PEER_LL, B6_STACK_LL, 6, 2, 56), 1);
	seed_write(dir, "ping6");

	seed_begin(8 | 4);
	n = b6_icmp_bytes(bytes, B6_PEER, B6_STACK, ICMP6_ECHO_REQ, 0, 0x00060003, big, sizeof(big));
	for (uint32_t off = 0; off < n; off += 1232) {
		uint32_t l = (uint32_t)NS_MIN((size_t)1232, n - off);
		seed_frame(b6_frag(B6_PEER, B6_STACK, 77, IP6_NH_ICMPV6, bytes, off, l, off + l < n), 0);
	}
	seed_write(dir, "fragmented-ping6");

	seed_begin(16);
	uint8_t sn[16], pfx[16];
	ip6_solicited_node(B6_STACK, sn);
	b6_addr("2001:db8::", pfx);
	seed_frame(b6_ns(B6_PEER, sn, B6_STACK, B_MAC_PEER), 0);
	seed_frame(b6_na(B6_PEER, B6_STACK, B6_PEER, 0x60, B_MAC_PEER), 0);
	struct b6_ra ra = { .src = B6_PEER_LL, .cur_hlim = 64, .lifetime = 600, .slla = B_MAC_PEER,
			    .mtu = 1400, .npi = 1,
			    .pi = { { .prefix = pfx, .plen = 64, .flags = 0xc0, .valid = 60,
				      .preferred = 30 } } };
	seed_frame(b6_ra(&ra), 0);
	seed_frame(b6_ping(B6_PEER, B6_STACK, 6, 4, 8), 10);
	seed_write(dir, "ndp-and-ra");

	seed_begin(8 | 16);
	uint8_t ext[8], icmp[40];
	static const uint8_t opt[4] = { 0x9e, 2, 0, 0 };
	size_t el = b6_ext_opts(ext, IP6_NH_ICMPV6, opt, sizeof(opt));
	size_t il = b6_icmp_bytes(icmp, B6_PEER, B6_STACK, ICMP6_ECHO_REQ, 0, 0x00060005, "x", 1);
	struct b_ip6 xh = { .src = B6_PEER, .dst = B6_STACK, .nxt = IP6_NH_DSTOPTS, .ext = ext,
			    .extlen = el };
	seed_frame(b6_ip(&xh, icmp, il), 0);
	struct b_ip6 uh = { .src = B6_PEER, .dst = B6_STACK, .nxt = 253 };
	seed_frame(b6_ip(&uh, "junk", 4), 0);
	uint8_t mq[20] = { 0 };
	seed_frame(b6_icmp(B6_PEER_LL, B6_ALL_NODES, 1, ICMP6_MLD_QUERY, 0, 1000u << 16, mq, 20), 0);
	uint8_t q6[48];
	struct ip6_repr qr = { .plen = 8, .nxt = IPPROTO_UDP_, .hlim = 64 };
	memcpy(qr.src, B6_STACK, 16);
	memcpy(qr.dst, B6_PEER, 16);
	ip6_emit(q6, &qr);
	memset(q6 + IP6_HDR_LEN, 0, 8);
	ns_wr16(q6 + IP6_HDR_LEN, 7);
	ns_wr16(q6 + IP6_HDR_LEN + 2, 5353);
	seed_frame(b6_icmp(B6_PEER, B6_STACK, 64, ICMP6_TOO_BIG, 0, 1300, q6, sizeof(q6)), 0);
	seed_write(dir, "ipv6-options-errors-mld");

	/* VLAN tag, LLC, and a broadcast ping. */
	seed_begin(2);
	uint8_t vl[64] = { 0, 5, 0x08, 0x00 };
	seed_frame(b_eth(B_MAC_STACK, B_MAC_PEER, ETHERTYPE_VLAN, vl, sizeof(vl)), 0);
	seed_frame(b_eth(B_MAC_STACK, B_MAC_PEER, 0x0026, vl, 38), 0);
	struct pkt *bp = b_ping(B_IP_PEER, IP4_ADDR(10, 0, 0, 255), 2, 2, 8);
	memcpy(pkt_data(bp), B_MAC_BCAST, 6);
	seed_frame(bp, 0);
	seed_write(dir, "vlan-llc-broadcast");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	atexit(print_totals);
	return 0;
}
