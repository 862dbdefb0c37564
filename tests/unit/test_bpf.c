/*
 * bpf: the classic BPF validator and interpreter (bpf.c) on their own, and
 * socket filters (socket.c) on UDP and TCP sockets through the socket API.
 * The expected answers are Linux's (checked with the same programs on real
 * sockets, tests/diff/bpfcases.c).
 */
#include <linux/if_arp.h>
#include <linux/if_packet.h>

#include "tcp_helpers.h"
#include "unit.h"

#define INS(c, t, f, kk) ((struct sock_filter){ (uint16_t)(c), (t), (f), (uint32_t)(kk) })
#define RET(kk) INS(BPF_RET | BPF_K, 0, 0, kk)
#define LD_ANC(what) INS(BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_OFF + (what))

/* ---- the validator ---- */

START_TEST(validator_rejects_what_linux_rejects)
{
	static const struct {
		const char *what;
		struct sock_filter prog[6];
		uint32_t len;
		int want;
	} cases[] = {
		{ "ret k", { RET(0) }, 1, 0 },
		{ "empty", { RET(0) }, 0, -EINVAL },
		{ "division by constant 0", { INS(BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0), RET(0) }, 2, -EINVAL },
		{ "modulo by constant 0", { INS(BPF_ALU | BPF_MOD | BPF_K, 0, 0, 0), RET(0) }, 2, -EINVAL },
		{ "division by x", { INS(BPF_ALU | BPF_DIV | BPF_X, 0, 0, 0), RET(0) }, 2, 0 },
		{ "shift by 32", { INS(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 32), RET(0) }, 2, -EINVAL },
		{ "shift by 31", { INS(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 31), RET(0) }, 2, 0 },
		{ "store to M[16]", { INS(BPF_STX, 0, 0, 16), RET(0) }, 2, -EINVAL },
		{ "load of unset M[3]", { INS(BPF_LD | BPF_MEM, 0, 0, 3), RET(0) }, 2, -EINVAL },
		{ "store then load M[15]",
		  { INS(BPF_ST, 0, 0, 15), INS(BPF_LDX | BPF_MEM, 0, 0, 15), RET(0) }, 3, 0 },
		{ "M[0] stored on one path only",
		  { INS(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), INS(BPF_ST, 0, 0, 0),
		    INS(BPF_LD | BPF_MEM, 0, 0, 0), RET(0) }, 4, -EINVAL },
		{ "M[0] stored, then a jump over a ret to its load",
		  { INS(BPF_ST, 0, 0, 0), INS(BPF_JMP | BPF_JA, 0, 0, 1), RET(0),
		    INS(BPF_LD | BPF_MEM, 0, 0, 0), INS(BPF_RET | BPF_A, 0, 0, 0) }, 5, 0 },
		{ "M[0] stored only on the path that returns",
		  { INS(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0), INS(BPF_ST, 0, 0, 0), RET(0),
		    INS(BPF_LD | BPF_MEM, 0, 0, 0), INS(BPF_RET | BPF_A, 0, 0, 0) }, 5, -EINVAL },
		/* Linux lets the state before a ret flow on into the next
		 * instruction: this load, reached only with M[0] set, is refused. */
		{ "M[0] loaded right after a ret reached without it",
		  { INS(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0), INS(BPF_ST, 0, 0, 0),
		    INS(BPF_JMP | BPF_JA, 0, 0, 1), RET(0), INS(BPF_LD | BPF_MEM, 0, 0, 0),
		    INS(BPF_RET | BPF_A, 0, 0, 0) }, 6, -EINVAL },
		{ "last not a ret", { RET(0), INS(BPF_LD | BPF_IMM, 0, 0, 0) }, 2, -EINVAL },
		{ "ret x", { INS(BPF_RET | BPF_X, 0, 0, 0) }, 1, -EINVAL },
		{ "neg with x", { INS(BPF_ALU | BPF_NEG | BPF_X, 0, 0, 0), RET(0) }, 2, -EINVAL },
		{ "opcode 0x106", { INS(0x106, 0, 0, 0) }, 1, -EINVAL },
		{ "ja past the end", { INS(BPF_JMP | BPF_JA, 0, 0, 1), RET(0) }, 2, -EINVAL },
		{ "ja -1", { INS(BPF_JMP | BPF_JA, 0, 0, 0xffffffff), RET(0) }, 2, -EINVAL },
		{ "ja 0", { INS(BPF_JMP | BPF_JA, 0, 0, 0), RET(0) }, 2, 0 },
		{ "jf past the end", { INS(BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0), RET(0) }, 2, -EINVAL },
		{ "jt past the end", { INS(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 0), RET(0) }, 2, -EINVAL },
		{ "known ancillary", { LD_ANC(SKF_AD_VLAN_TPID), RET(0) }, 2, 0 },
		{ "ancillary SKF_AD_MAX", { LD_ANC(SKF_AD_MAX), RET(0) }, 2, -EINVAL },
		{ "ancillary +2", { LD_ANC(2), RET(0) }, 2, -EINVAL },
		{ "SKF_NET_OFF load", { INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_NET_OFF), RET(0) }, 2, 0 },
		{ "indirect into the ancillary area", { INS(BPF_LD | BPF_H | BPF_IND, 0, 0, SKF_AD_OFF + 2),
							 RET(0) }, 2, 0 },
	};
	for (size_t i = 0; i < NS_ARRAY_SIZE(cases); i++)
		ck_assert_msg(ns_bpf_check(cases[i].prog, cases[i].len) == cases[i].want, "%s: got %d",
			      cases[i].what, ns_bpf_check(cases[i].prog, cases[i].len));
	static struct sock_filter big[BPF_MAXINSNS + 1];
	for (int i = 0; i <= BPF_MAXINSNS; i++)
		big[i] = RET(1);
	ck_assert_int_eq(ns_bpf_check(big, BPF_MAXINSNS), 0);
	ck_assert_int_eq(ns_bpf_check(big, BPF_MAXINSNS + 1), -EINVAL);
	ck_assert_int_eq(ns_bpf_check(NULL, 1), -EINVAL);
}
END_TEST

/* ---- the interpreter ---- */

/* A view of `len` bytes with a 14-byte link header and a 20-byte network
 * header before the program's packet. */
static struct ns_bpf_pkt view(const uint8_t *b, uint32_t len)
{
	return (struct ns_bpf_pkt){ .base = b, .base_len = len, .data = 34, .nh = 14, .mac = 0,
				    .protocol = 0x0800, .hatype = ARPHRD_ETHER,
				    .pkttype = PACKET_BROADCAST, .ifindex = 7, .poff = 8, .rnd = 1 };
}

static uint32_t run(const struct sock_filter *prog, uint32_t n, struct ns_bpf_pkt *v)
{
	ck_assert_int_eq(ns_bpf_check(prog, n), 0);
	return ns_bpf_run(prog, v);
}

#define RUN(v, ...)                                                               \
	({                                                                        \
		const struct sock_filter _p[] = { __VA_ARGS__ };                  \
		run(_p, NS_ARRAY_SIZE(_p), (v));                                  \
	})

START_TEST(interpreter_loads_compute_and_end_as_linux)
{
	uint8_t b[34 + 12];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	b[14] = 0x45; /* IPv4, 20-byte header */
	struct ns_bpf_pkt v = view(b, sizeof(b));
	/* Packet-relative loads, big-endian. */
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0), INS(BPF_RET | BPF_A, 0, 0, 0)),
			  0x22232425);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_H | BPF_ABS, 0, 0, 10), INS(BPF_RET | BPF_A, 0, 0, 0)),
			  0x2c2d);
	/* A load reaching past the end ends the program with 0. */
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_H | BPF_ABS, 0, 0, 11), RET(9)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0x7fffffff), RET(9)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LDX | BPF_IMM, 0, 0, 0xfffffffe),
			      INS(BPF_LD | BPF_W | BPF_IND, 0, 0, 4), INS(BPF_RET | BPF_A, 0, 0, 0)),
			  0x24252627);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LDX | BPF_IMM, 0, 0, 0xffffffff),
			      INS(BPF_LD | BPF_B | BPF_IND, 0, 0, 0), RET(9)), 0);
	/* Length, network and link-layer relative loads. */
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0), INS(BPF_RET | BPF_A, 0, 0, 0)),
			  12);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_NET_OFF + 1),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), 15);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_LL_OFF),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_LL_OFF + 45),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), 45);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_LL_OFF + 46), RET(9)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_LL_OFF - 1), RET(9)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LDX | BPF_B | BPF_MSH, 0, 0, SKF_NET_OFF),
			      INS(BPF_MISC | BPF_TXA, 0, 0, 0), INS(BPF_RET | BPF_A, 0, 0, 0)), 20);
	/* Without a link-layer header, SKF_LL_OFF loads fail. */
	struct ns_bpf_pkt nolink = v;
	nolink.mac = -1;
	ck_assert_uint_eq(RUN(&nolink, INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, SKF_LL_OFF), RET(9)), 0);
	/* Ancillary data. */
	ck_assert_uint_eq(RUN(&v, LD_ANC(SKF_AD_PROTOCOL), INS(BPF_RET | BPF_A, 0, 0, 0)), 0x0800);
	ck_assert_uint_eq(RUN(&v, LD_ANC(SKF_AD_PKTTYPE), INS(BPF_RET | BPF_A, 0, 0, 0)),
			  PACKET_BROADCAST);
	ck_assert_uint_eq(RUN(&v, LD_ANC(SKF_AD_IFINDEX), INS(BPF_RET | BPF_A, 0, 0, 0)), 7);
	ck_assert_uint_eq(RUN(&v, LD_ANC(SKF_AD_HATYPE), INS(BPF_RET | BPF_A, 0, 0, 0)), ARPHRD_ETHER);
	ck_assert_uint_eq(RUN(&v, LD_ANC(SKF_AD_PAY_OFFSET), INS(BPF_RET | BPF_A, 0, 0, 0)), 8);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 0xff), LD_ANC(SKF_AD_RXHASH),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 0xf0), INS(BPF_LDX | BPF_IMM, 0, 0, 0xff),
			      LD_ANC(SKF_AD_ALU_XOR_X), INS(BPF_RET | BPF_A, 0, 0, 0)), 0x0f);
	uint32_t r1 = RUN(&v, LD_ANC(SKF_AD_RANDOM), INS(BPF_RET | BPF_A, 0, 0, 0));
	uint32_t r2 = RUN(&v, LD_ANC(SKF_AD_RANDOM), INS(BPF_RET | BPF_A, 0, 0, 0));
	ck_assert_uint_ne(r1, r2);
	/* Arithmetic: division by x = 0 ends with 0; shifts by x wrap at 32. */
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 7), INS(BPF_ALU | BPF_DIV | BPF_X, 0, 0, 0),
			      RET(9)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 7), INS(BPF_ALU | BPF_MOD | BPF_K, 0, 0, 4),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), 3);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 1), INS(BPF_LDX | BPF_IMM, 0, 0, 33),
			      INS(BPF_ALU | BPF_LSH | BPF_X, 0, 0, 0), INS(BPF_RET | BPF_A, 0, 0, 0)), 2);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 5), INS(BPF_ALU | BPF_NEG, 0, 0, 0),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), (uint32_t)-5);
	/* Jumps and scratch memory. */
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 6), INS(BPF_ST, 0, 0, 4),
			      INS(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 2), RET(1),
			      INS(BPF_LDX | BPF_MEM, 0, 0, 4), INS(BPF_MISC | BPF_TXA, 0, 0, 0),
			      INS(BPF_ALU | BPF_MUL | BPF_K, 0, 0, 3), INS(BPF_RET | BPF_A, 0, 0, 0)), 18);
	ck_assert_uint_eq(RUN(&v, INS(BPF_JMP | BPF_JA, 0, 0, 1), RET(1), RET(2)), 2);
}
END_TEST

START_TEST(interpreter_finds_netlink_attributes)
{
	/* Two attributes: type 1 (4 bytes payload), then a nested type 2
	 * holding type 5. Host order, as netlink is. */
	uint8_t b[40];
	memset(b, 0, sizeof(b));
	uint16_t h[][2] = { { 8, 1 }, { 12, 2 | 0x8000 }, { 8, 5 } };
	memcpy(b + 0, h[0], 4);
	memcpy(b + 8, h[1], 4);
	memcpy(b + 12, h[2], 4);
	struct ns_bpf_pkt v = { .base = b, .base_len = 20, .nh = -1, .mac = -1 };
	ck_assert_uint_eq(RUN(&v, INS(BPF_LDX | BPF_IMM, 0, 0, 2), LD_ANC(SKF_AD_NLATTR),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), 8);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LDX | BPF_IMM, 0, 0, 9), LD_ANC(SKF_AD_NLATTR),
			      INS(BPF_RET | BPF_A, 0, 0, 0)), 0);
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 8), INS(BPF_LDX | BPF_IMM, 0, 0, 5),
			      LD_ANC(SKF_AD_NLATTR_NEST), INS(BPF_RET | BPF_A, 0, 0, 0)), 12);
	/* An offset past the end finds nothing. */
	ck_assert_uint_eq(RUN(&v, INS(BPF_LD | BPF_IMM, 0, 0, 17), INS(BPF_LDX | BPF_IMM, 0, 0, 5),
			      LD_ANC(SKF_AD_NLATTR_NEST), INS(BPF_RET | BPF_A, 0, 0, 0)), 0);
}
END_TEST

/* ---- socket filters ---- */

static int attach(struct ns_socket *s, const struct sock_filter *prog, uint16_t n)
{
	struct sock_fprog fp = { n, (struct sock_filter *)prog };
	return ns_setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
}

START_TEST(filter_options_answer_as_linux)
{
	struct ns_socket *s = fx_udp_socket(9500);
	int one = 1, zero = 0, v;
	socklen_t l;
	struct sock_filter all[] = { RET(0xffffffff) }, got[2];
	struct sock_fprog fp = { 1, all };
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)), -ENOENT);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, 4), -EINVAL);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp) + 1), -EINVAL);
	ck_assert_int_eq(attach(s, all, 0), -EINVAL);
	/* No filter: SO_GET_FILTER reports 0 instructions. */
	l = 2;
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_GET_FILTER, got, &l), 0);
	ck_assert_uint_eq(l, 0);
	ck_assert_int_eq(attach(s, all, 1), 0);
	l = 0;
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_GET_FILTER, NULL, &l), 0);
	ck_assert_uint_eq(l, 1);
	l = 2;
	memset(got, 0, sizeof(got));
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_GET_FILTER, got, &l), 0);
	ck_assert_uint_eq(l, 1);
	ck_assert_mem_eq(got, all, sizeof(all));
	/* Locked: attach and detach are refused, and the lock stays. */
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)), 0);
	l = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &v, &l), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(attach(s, all, 1), -EPERM);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)), -EPERM);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &zero, sizeof(zero)), -EPERM);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)), 0);
	ns_close(s);
}
END_TEST

START_TEST(udp_filter_sees_the_datagram_from_its_header_and_drops_or_cuts)
{
	struct ns_socket *s = fx_udp_socket(9501);
	char buf[32];
	/* Only from source port 7, and only on an Ethernet interface 2 (the
	 * channel) with the IPv4 ethertype in the link header. */
	struct sock_filter from7[] = {
		INS(BPF_LD | BPF_H | BPF_ABS, 0, 0, 0),
		INS(BPF_JMP | BPF_JEQ | BPF_K, 0, 6, 7),
		LD_ANC(SKF_AD_IFINDEX),
		INS(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 2),
		LD_ANC(SKF_AD_HATYPE),
		INS(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, ARPHRD_ETHER),
		INS(BPF_LD | BPF_H | BPF_ABS, 0, 0, SKF_LL_OFF + 12),
		INS(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0x0800),
		RET(0),
		RET(0xffffffff),
	};
	ck_assert_int_eq(attach(s, from7, NS_ARRAY_SIZE(from7)), 0);
	fx_inject(b_udp4(B_IP_PEER, 8, B_IP_STACK, 9501, "no", 2));
	fx_inject(b_udp4(B_IP_PEER, 7, B_IP_STACK, 9501, "yes", 3));
	ck_assert_uint_eq(ST(udp_drop_filter), 1);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "yes", 3);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	/* Keep 8 + 2 bytes: two bytes of payload. */
	struct sock_filter ten[] = { RET(10) };
	ck_assert_int_eq(attach(s, ten, 1), 0);
	fx_inject(b_udp4(B_IP_PEER, 8, B_IP_STACK, 9501, "abcdef", 6));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 2);
	ck_assert_mem_eq(buf, "ab", 2);
	/* Keep 2: never less than the UDP header, an empty datagram. */
	struct sock_filter two[] = { RET(2) };
	ck_assert_int_eq(attach(s, two, 1), 0);
	fx_inject(b_udp4(B_IP_PEER, 8, B_IP_STACK, 9501, "abcdef", 6));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 0);
	ns_close(s);
}
END_TEST

START_TEST(tcp_filter_drops_segments_as_loss_and_is_inherited)
{
	struct ns_socket *ls;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_STREAM, 0, &ls), 0);
	struct sockaddr_in a = fx_sin(0, 8080);
	ck_assert_int_eq(ns_bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(ns_listen(ls, 4), 0);
	struct sock_filter all[] = { RET(0xffffffff) };
	ck_assert_int_eq(attach(ls, all, 1), 0);
	struct t_conn c;
	T_ACCEPT(&c, .ls = ls);
	socklen_t l = 0;
	ck_assert_int_eq(ns_getsockopt(c.s, SOL_SOCKET, SO_GET_FILTER, NULL, &l), 0);
	ck_assert_uint_eq(l, 1);
	/* Drop segments with data: a = th->doff * 4; drop if len > a. */
	struct sock_filter nodata[] = {
		INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, 12),
		INS(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 2),
		INS(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0x3c),
		INS(BPF_MISC | BPF_TAX, 0, 0, 0),
		INS(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0),
		INS(BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0),
		RET(0),
		RET(0xffffffff),
	};
	ck_assert_int_eq(attach(c.s, nodata, NS_ARRAY_SIZE(nodata)), 0);
	char buf[16];
	t_send(&c, "hello", 5);
	t_run(200 * NS_MSEC);
	ck_assert_uint_eq(ST(tcp_drop_filter), 1);
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), -EAGAIN);
	T_EXPECT_NONE(); /* no ACK: the segment was never seen */
	/* Keep the header and two bytes: the rest looks lost. */
	struct sock_filter cut[] = {
		INS(BPF_LD | BPF_B | BPF_ABS, 0, 0, 12),
		INS(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 2),
		INS(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0x3c),
		INS(BPF_ALU | BPF_ADD | BPF_K, 0, 0, 2),
		INS(BPF_RET | BPF_A, 0, 0, 0),
	};
	ck_assert_int_eq(attach(c.s, cut, NS_ARRAY_SIZE(cut)), 0);
	c.snd_nxt -= 5;
	t_send(&c, "hello", 5);
	t_run(200 * NS_MSEC);
	ck_assert_int_eq(t_read(c.s, buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "he", 2);
	struct t_in ack;
	T_EXPECT(&ack);
	ck_assert_uint_eq(ack.ack, c.peer_iss + 1 + 2);
	t_close(&c);
}
END_TEST

Suite *bpf_suite(void)
{
	Suite *s = unit_suite("bpf");
	ADD_PLAIN(s, validator_rejects_what_linux_rejects);
	ADD_PLAIN(s, interpreter_loads_compute_and_end_as_linux);
	ADD_PLAIN(s, interpreter_finds_netlink_attributes);
	ADD_FX(s, filter_options_answer_as_linux);
	ADD_FX(s, udp_filter_sees_the_datagram_from_its_header_and_drops_or_cuts);
	ADD_FX(s, tcp_filter_drops_segments_as_loss_and_is_inherited);
	return s;
}
