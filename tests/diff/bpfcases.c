/*
 * Differential case for classic BPF socket filters: SO_ATTACH_FILTER's
 * validator, what a filter sees of UDP datagrams and TCP segments
 * (ancillary loads, network and link-layer offsets), SO_GET_FILTER,
 * SO_LOCK_FILTER, SO_DETACH_FILTER, and the answers to bad lengths and
 * pointers. Rules as in diffcases.c.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_arp.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER 44
#endif

#define BAD_PTR ((void *)(uintptr_t)0x10)

static struct sockaddr_in loop4(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

static int udp_bound(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loop4(0);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	/* Loopback delivery is synchronous on Linux; moat's loop needs a turn. */
	struct timeval wait = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	return fd;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

static long attach(int fd, struct sock_filter *prog, unsigned short n)
{
	struct sock_fprog fp = { n, prog };
	errno = 0;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
}

static void send_to(int from, int to, const char *msg)
{
	struct sockaddr_in a = loop4(port_of(to));
	sendto(from, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof(a));
}

/* Receives once (with the socket's timeout) and prints what came. */
static void recv_line(const char *step, int fd, int flags)
{
	char b[64];
	memset(b, 0, sizeof(b));
	errno = 0;
	ssize_t n = recv(fd, b, sizeof(b) - 1, flags);
	V(step, "ret=%zd errno=%s data='%s'", n, errname(n < 0 ? errno : 0), n > 0 ? b : "");
}

#define RET_ALL { BPF_RET | BPF_K, 0, 0, 0xffffffff }
#define RET_NONE { BPF_RET | BPF_K, 0, 0, 0 }

static void bpf_validator(int u)
{
	struct sock_filter div0[] = { { BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0 }, RET_ALL };
	R("divide by constant 0", attach(u, div0, 2));
	struct sock_filter mod0[] = { { BPF_ALU | BPF_MOD | BPF_K, 0, 0, 0 }, RET_ALL };
	R("modulo by constant 0", attach(u, mod0, 2));
	struct sock_filter lsh32[] = { { BPF_ALU | BPF_LSH | BPF_K, 0, 0, 32 }, RET_ALL };
	R("shift by 32", attach(u, lsh32, 2));
	struct sock_filter lsh31[] = { { BPF_ALU | BPF_LSH | BPF_K, 0, 0, 31 }, RET_ALL };
	R("shift by 31", attach(u, lsh31, 2));
	struct sock_filter m16[] = { { BPF_ST, 0, 0, 16 }, RET_ALL };
	R("store to M[16]", attach(u, m16, 2));
	struct sock_filter m15[] = { { BPF_ST, 0, 0, 15 }, { BPF_LD | BPF_MEM, 0, 0, 15 }, RET_ALL };
	R("store to M[15] and load it", attach(u, m15, 3));
	struct sock_filter uninit[] = { { BPF_LD | BPF_MEM, 0, 0, 0 }, RET_ALL };
	R("load of an unset scratch word", attach(u, uninit, 2));
	/* M[0] is set on one branch only. */
	struct sock_filter one_path[] = {
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0 },
		{ BPF_ST, 0, 0, 0 },
		{ BPF_LDX | BPF_MEM, 0, 0, 0 },
		RET_ALL,
	};
	R("scratch word set on one path only", attach(u, one_path, 4));
	struct sock_filter both_paths[] = {
		{ BPF_ST, 0, 0, 0 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0 },
		{ BPF_ST, 0, 0, 1 },
		{ BPF_LDX | BPF_MEM, 0, 0, 0 },
		RET_ALL,
	};
	R("scratch word set before the branch", attach(u, both_paths, 5));
	/* M[0] is stored on the only path to its load, but the load follows
	 * a ret reached without the store: Linux's check refuses that. */
	struct sock_filter after_ret[] = {
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0 },
		{ BPF_ST, 0, 0, 0 },
		{ BPF_JMP | BPF_JA, 0, 0, 1 },
		RET_NONE,
		{ BPF_LD | BPF_MEM, 0, 0, 0 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	R("scratch word loaded right after a ret", attach(u, after_ret, 6));
	struct sock_filter no_ret[] = { RET_ALL, { BPF_LD | BPF_IMM, 0, 0, 1 } };
	R("last instruction not a return", attach(u, no_ret, 2));
	struct sock_filter ret_x[] = { { BPF_RET | BPF_X, 0, 0, 0 } };
	R("ret x (no such opcode)", attach(u, ret_x, 1));
	struct sock_filter bad_op[] = { { 0xff, 0, 0, 0 }, RET_ALL };
	R("opcode 0xff", attach(u, bad_op, 2));
	struct sock_filter big_op[] = { { 0x106, 0, 0, 0 } };
	R("opcode 0x106 (ret k with a high bit)", attach(u, big_op, 1));
	struct sock_filter jt_out[] = { { BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0 }, RET_ALL };
	R("conditional jump past the end", attach(u, jt_out, 2));
	struct sock_filter ja_last[] = { { BPF_JMP | BPF_JA, 0, 0, 0 }, RET_ALL };
	R("ja 0 to the last instruction", attach(u, ja_last, 2));
	struct sock_filter ja_wrap[] = { { BPF_JMP | BPF_JA, 0, 0, 0xffffffff }, RET_ALL };
	R("ja -1 (backwards)", attach(u, ja_wrap, 2));
	struct sock_filter anc_max[] = { { BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_MAX) },
					  RET_ALL };
	R("unknown ancillary SKF_AD_MAX", attach(u, anc_max, 2));
	struct sock_filter anc_odd[] = { { BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + 1) }, RET_ALL };
	R("unknown ancillary SKF_AD_OFF+1", attach(u, anc_odd, 2));
	struct sock_filter anc_ind[] = { { BPF_LD | BPF_W | BPF_IND, 0, 0, (uint32_t)(SKF_AD_OFF + 1) }, RET_ALL };
	R("indirect load from the ancillary area", attach(u, anc_ind, 2));
	struct sock_filter anc_b[] = { { BPF_LD | BPF_B | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX) },
					RET_ALL };
	R("byte-sized ancillary load", attach(u, anc_b, 2));
	static struct sock_filter huge[BPF_MAXINSNS + 1];
	for (int i = 0; i <= BPF_MAXINSNS; i++)
		huge[i] = (struct sock_filter)RET_ALL;
	R("BPF_MAXINSNS instructions", attach(u, huge, BPF_MAXINSNS));
	R("BPF_MAXINSNS + 1 instructions", attach(u, huge, BPF_MAXINSNS + 1));
	R("NULL program of length 1", attach(u, NULL, 1));
	R("bad program pointer", attach(u, BAD_PTR, 1));
	R("bad program pointer, length 0", attach(u, BAD_PTR, 0));
	struct sock_filter all[] = { RET_ALL };
	struct sock_fprog fp = { 1, all };
	errno = 0;
	R("optlen 4", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &fp, 4));
	errno = 0;
	R("optlen 2", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &fp, 2));
	errno = 0;
	R("optlen 17", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp) + 1));
	errno = 0;
	R("bad sock_fprog pointer", setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, BAD_PTR, sizeof(fp)));
	int one = 1;
	errno = 0;
	R("SO_DETACH_FILTER optlen 2", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, &one, 2));
	errno = 0;
	R("SO_DETACH_FILTER bad pointer", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, BAD_PTR, sizeof(one)));
	errno = 0;
	R("SO_DETACH_FILTER (ja 0 attached)", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
}

static void bpf_udp(void)
{
	int u = udp_bound(), s1 = udp_bound(), s2 = udp_bound();
	bpf_validator(u);

	/* Only datagrams from s1's port: ldh [0] is the UDP source port. */
	struct sock_filter from_s1[] = {
		{ BPF_LD | BPF_H | BPF_ABS, 0, 0, 0 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, port_of(s1) },
		RET_ALL,
		RET_NONE,
	};
	R("attach source-port filter", attach(u, from_s1, 4));
	send_to(s2, u, "from-s2");
	send_to(s1, u, "from-s1");
	recv_line("source-port filter passes s1", u, 0);
	recv_line("source-port filter dropped s2", u, MSG_DONTWAIT);

	/* ld len: the datagram from its UDP header. */
	struct sock_filter longer[] = {
		{ BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 },
		{ BPF_JMP | BPF_JGT | BPF_K, 0, 1, 8 + 3 },
		RET_ALL,
		RET_NONE,
	};
	R("attach length filter", attach(u, longer, 4));
	send_to(s1, u, "abc");
	send_to(s1, u, "abcd");
	recv_line("length filter passes 4 bytes", u, 0);
	recv_line("length filter dropped 3 bytes", u, MSG_DONTWAIT);

	/* ret a with a = len - 2: the last two bytes cut off. */
	struct sock_filter cut2[] = {
		{ BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 },
		{ BPF_ALU | BPF_SUB | BPF_K, 0, 0, 2 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	R("attach ret len-2", attach(u, cut2, 3));
	send_to(s1, u, "abcdef");
	recv_line("ret len-2 cuts two bytes", u, 0);

	/* Ancillary loads: each one accepts or drops a datagram. */
	struct {
		const char *what;
		uint32_t k, want;
	} anc[] = {
		{ "SKF_AD_PROTOCOL is IPv4", SKF_AD_PROTOCOL, 0x0800 },
		{ "SKF_AD_PKTTYPE is PACKET_HOST", SKF_AD_PKTTYPE, 0 },
		{ "SKF_AD_IFINDEX is lo's", SKF_AD_IFINDEX, 1 },
		{ "SKF_AD_HATYPE is ARPHRD_LOOPBACK", SKF_AD_HATYPE, ARPHRD_LOOPBACK },
		{ "SKF_AD_MARK is 0", SKF_AD_MARK, 0 },
		{ "SKF_AD_QUEUE is 0", SKF_AD_QUEUE, 0 },
		{ "SKF_AD_VLAN_TAG_PRESENT is 0", SKF_AD_VLAN_TAG_PRESENT, 0 },
		{ "SKF_AD_PAY_OFFSET is 8", SKF_AD_PAY_OFFSET, 8 },
	};
	char step[96];
	for (size_t i = 0; i < sizeof(anc) / sizeof(anc[0]); i++) {
		struct sock_filter f[] = {
			{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SKF_AD_OFF + anc[i].k },
			{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, anc[i].want },
			RET_ALL,
			RET_NONE,
		};
		snprintf(step, sizeof(step), "attach %s", anc[i].what);
		R(step, attach(u, f, 4));
		send_to(s1, u, "anc");
		snprintf(step, sizeof(step), "%s", anc[i].what);
		recv_line(step, u, 0);
	}
	/* SKF_AD_ALU_XOR_X: a ^= x. */
	struct sock_filter xor[] = {
		{ BPF_LD | BPF_IMM, 0, 0, 0x0f },
		{ BPF_LDX | BPF_IMM, 0, 0, 0x3c },
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_ALU_XOR_X) },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0x33 },
		RET_ALL,
		RET_NONE,
	};
	R("attach SKF_AD_ALU_XOR_X", attach(u, xor, 6));
	send_to(s1, u, "xor");
	recv_line("SKF_AD_ALU_XOR_X", u, 0);

	/* The IP header's protocol byte and the link-layer ethertype. */
	struct sock_filter net[] = {
		{ BPF_LD | BPF_B | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 9) },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, IPPROTO_UDP },
		RET_ALL,
		RET_NONE,
	};
	R("attach SKF_NET_OFF protocol", attach(u, net, 4));
	send_to(s1, u, "net");
	recv_line("SKF_NET_OFF+9 is UDP", u, 0);
	struct sock_filter ll[] = {
		{ BPF_LD | BPF_H | BPF_ABS, 0, 0, (uint32_t)(SKF_LL_OFF + 12) },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0x0800 },
		RET_ALL,
		RET_NONE,
	};
	R("attach SKF_LL_OFF ethertype", attach(u, ll, 4));
	send_to(s1, u, "ll");
	recv_line("SKF_LL_OFF+12 is the ethertype", u, 0);
	/* ldx 4*([k]&0xf) on the IP header: its length, 20. */
	struct sock_filter msh[] = {
		{ BPF_LDX | BPF_B | BPF_MSH, 0, 0, (uint32_t)SKF_NET_OFF },
		{ BPF_MISC | BPF_TXA, 0, 0, 0 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 20 },
		RET_ALL,
		RET_NONE,
	};
	R("attach ldxb msh on the IP header", attach(u, msh, 5));
	send_to(s1, u, "msh");
	recv_line("ldxb msh gives the IP header length", u, 0);

	/* Runtime ends: loads past the end and division by x = 0 return 0. */
	struct sock_filter past[] = { { BPF_LD | BPF_B | BPF_ABS, 0, 0, 8 + 5 }, RET_ALL };
	R("attach load past the end", attach(u, past, 2));
	send_to(s1, u, "12345");
	send_to(s1, u, "123456");
	recv_line("load past the end drops, in range passes", u, 0);
	recv_line("nothing else came", u, MSG_DONTWAIT);
	struct sock_filter divx[] = {
		{ BPF_LDX | BPF_IMM, 0, 0, 0 },
		{ BPF_ALU | BPF_DIV | BPF_X, 0, 0, 0 },
		RET_ALL,
	};
	R("attach divide by x = 0", attach(u, divx, 3));
	send_to(s1, u, "div");
	/* Waits out the timeout: the datagram must be gone before the next
	 * filter replaces this one. */
	recv_line("divide by x = 0 drops", u, 0);
	struct sock_filter shx[] = {
		{ BPF_LD | BPF_IMM, 0, 0, 1 },
		{ BPF_LDX | BPF_IMM, 0, 0, 33 },
		{ BPF_ALU | BPF_LSH | BPF_X, 0, 0, 0 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 2 },
		RET_ALL,
		RET_NONE,
	};
	R("attach shift by x = 33", attach(u, shx, 6));
	send_to(s1, u, "shift");
	recv_line("shift by x = 33 is a shift by 1", u, 0);
	close(s2);
	close(s1);

	/* SO_GET_FILTER counts instructions. */
	int g = udp_bound();
	struct sock_filter got[8];
	socklen_t gl = 0;
	errno = 0;
	R("SO_GET_FILTER without a filter", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, got, &gl));
	V("SO_GET_FILTER without a filter: optlen", "%u", (unsigned)gl);
	gl = sizeof(got);
	R("SO_GET_FILTER without a filter, optlen 64", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, got, &gl));
	V("SO_GET_FILTER without a filter, optlen 64: optlen", "%u", (unsigned)gl);
	R("attach three instructions", attach(g, cut2, 3));
	gl = 0;
	R("SO_GET_FILTER optlen 0", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, NULL, &gl));
	V("SO_GET_FILTER optlen 0: optlen", "%u", (unsigned)gl);
	gl = 2;
	errno = 0;
	R("SO_GET_FILTER optlen 2", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, got, &gl));
	memset(got, 0, sizeof(got));
	gl = 3;
	R("SO_GET_FILTER optlen 3", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, got, &gl));
	V("SO_GET_FILTER optlen 3: result", "optlen=%u same=%d", (unsigned)gl, !memcmp(got, cut2, sizeof(cut2)));
	gl = sizeof(got);
	R("SO_GET_FILTER optlen 64", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, got, &gl));
	V("SO_GET_FILTER optlen 64: optlen", "%u", (unsigned)gl);
	gl = 3;
	errno = 0;
	R("SO_GET_FILTER bad buffer", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, BAD_PTR, &gl));
	errno = 0;
	R("SO_GET_FILTER bad optlen pointer", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, got, BAD_PTR));
	int neg = -1;
	errno = 0;
	R("SO_GET_FILTER optlen -1", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, got, (socklen_t *)&neg));
	errno = 0;
	socklen_t dl = sizeof(int);
	int dv;
	R("getsockopt SO_DETACH_FILTER", getsockopt(g, SOL_SOCKET, SO_DETACH_FILTER, &dv, &dl));

	/* SO_LOCK_FILTER: once set, the filter stays until close. */
	int v = -1, zero = 0, one = 1;
	socklen_t vl = sizeof(v);
	R("SO_LOCK_FILTER default", getsockopt(g, SOL_SOCKET, SO_LOCK_FILTER, &v, &vl));
	V("SO_LOCK_FILTER default: value", "%d", v);
	errno = 0;
	R("SO_LOCK_FILTER set 1", setsockopt(g, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)));
	vl = sizeof(v);
	R("SO_LOCK_FILTER read back", getsockopt(g, SOL_SOCKET, SO_LOCK_FILTER, &v, &vl));
	V("SO_LOCK_FILTER read back: value", "%d", v);
	R("attach when locked", attach(g, cut2, 3));
	R("attach a bad program when locked", attach(g, NULL, 0));
	errno = 0;
	R("detach when locked", setsockopt(g, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	errno = 0;
	R("SO_LOCK_FILTER set 0 when locked", setsockopt(g, SOL_SOCKET, SO_LOCK_FILTER, &zero, sizeof(zero)));
	errno = 0;
	R("SO_LOCK_FILTER set 1 again", setsockopt(g, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)));
	errno = 0;
	R("SO_LOCK_FILTER optlen 2", setsockopt(g, SOL_SOCKET, SO_LOCK_FILTER, &one, 2));
	gl = 0;
	R("SO_GET_FILTER when locked", getsockopt(g, SOL_SOCKET, SO_GET_FILTER, NULL, &gl));
	V("SO_GET_FILTER when locked: optlen", "%u", (unsigned)gl);
	close(g);
	int h = udp_bound();
	errno = 0;
	R("SO_LOCK_FILTER without a filter", setsockopt(h, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)));
	errno = 0;
	R("detach nothing when locked", setsockopt(h, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	close(h);
	close(u);
}

static void bpf_tcp(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loop4(0);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	struct sock_filter all[] = { RET_ALL };
	R("tcp listener attach accept-all", attach(l, all, 1));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	a = loop4(port_of(l));
	R("tcp connect through the filter", connect(c, (struct sockaddr *)&a, sizeof(a)));
	int s = accept(l, NULL, NULL);
	V("tcp accept", "ok=%d", s >= 0);
	struct sock_filter got[4];
	socklen_t gl = 0;
	R("tcp accepted socket SO_GET_FILTER", getsockopt(s, SOL_SOCKET, SO_GET_FILTER, got, &gl));
	V("tcp accepted socket inherits the filter", "optlen=%u", (unsigned)gl);

	/* Drop every segment that carries data: a = 4*(th->doff), the TCP
	 * header; drop if len > that. */
	struct sock_filter nodata[] = {
		{ BPF_LD | BPF_B | BPF_ABS, 0, 0, 12 },
		{ BPF_ALU | BPF_RSH | BPF_K, 0, 0, 2 },
		{ BPF_ALU | BPF_AND | BPF_K, 0, 0, 0x3c },
		{ BPF_MISC | BPF_TAX, 0, 0, 0 },
		{ BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 },
		{ BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0 },
		RET_NONE,
		RET_ALL,
	};
	R("tcp attach drop-data", attach(s, nodata, 8));
	struct timeval wait = { 1, 0 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	send(c, "hello", 5, 0);
	recv_line("tcp data dropped by the filter", s, 0);
	int one = 1;
	errno = 0;
	R("tcp detach", setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	/* The sender retransmits; now it gets through. */
	wait.tv_sec = 5;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	recv_line("tcp data after the retransmission", s, 0);

	/* Keep the TCP header and 2 bytes of data: each (re)transmission
	 * brings two more bytes, the rest looks lost. */
	struct sock_filter cut[] = {
		{ BPF_LD | BPF_B | BPF_ABS, 0, 0, 12 },
		{ BPF_ALU | BPF_RSH | BPF_K, 0, 0, 2 },
		{ BPF_ALU | BPF_AND | BPF_K, 0, 0, 0x3c },
		{ BPF_ALU | BPF_ADD | BPF_K, 0, 0, 2 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	R("tcp attach keep 2 bytes of data", attach(s, cut, 5));
	send(c, "abcdef", 6, 0);
	recv_line("tcp segment cut by the filter", s, 0);
	char rest[16];
	size_t have = 0;
	while (have < 4) {
		ssize_t n = recv(s, rest + have, sizeof(rest) - 1 - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	rest[have] = 0;
	V("tcp rest after retransmissions", "'%s'", rest);
	close(c);
	close(s);
	close(l);
}

/* Over IPv6: the ethertype and the next-header byte of the IPv6 header. */
static void bpf_udp6(void)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0), v = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bind(u, (struct sockaddr *)&a, sizeof(a));
	socklen_t l = sizeof(a);
	getsockname(u, (struct sockaddr *)&a, &l);
	struct timeval wait = { 1, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	struct sock_filter f[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL) },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0x86dd },
		{ BPF_LD | BPF_B | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 6) },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, IPPROTO_UDP },
		RET_ALL,
		RET_NONE,
	};
	R("udp6 attach protocol and next-header filter", attach(u, f, 6));
	sendto(v, "six", 3, 0, (struct sockaddr *)&a, sizeof(a));
	recv_line("udp6 filter sees IPv6 and UDP", u, 0);
	close(v);
	close(u);
}

void case_bpf_filters(void)
{
	bpf_udp();
	bpf_udp6();
	bpf_tcp();
}
