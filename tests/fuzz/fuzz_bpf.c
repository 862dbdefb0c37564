/*
 * libFuzzer harness over the classic BPF validator and interpreter
 * (netstack/bpf.c): SO_ATTACH_FILTER hands them programs straight from an
 * application, and the interpreter then runs over every packet the socket
 * receives. Any program must be accepted or refused with -EINVAL; an
 * accepted one must run on any packet without reading outside the packet
 * or the scratch memory (the packet lives in a heap block of its exact
 * size, so AddressSanitizer sees any byte beyond it), must end, and must
 * give the same answer twice.
 *
 * Input: a little-endian 16-bit instruction count (up to BPF_MAXINSNS + 3,
 * to cross the limit), that many 8-byte struct sock_filter (fewer if the
 * input ends), then 3 bytes that place the view (where the program's
 * packet starts, where the network header is, whether a link-layer header
 * precedes it), then the packet. A refused program is also checked again
 * repaired (jumps folded to at most one past the end, a RET put last,
 * constants made legal), so that most inputs reach the interpreter and
 * the validator's edges are tried often.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ns/bpf.h"
#include "seed_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Seeds: programs of the kinds tests/diff/bpfcases.c attaches. */
static void write_seed(const char *dir, const char *name, const struct sock_filter *prog, uint16_t n,
		       const uint8_t *pkt, size_t plen)
{
	uint8_t buf[1024];
	size_t at = 0;
	buf[at++] = (uint8_t)n;
	buf[at++] = (uint8_t)(n >> 8);
	memcpy(buf + at, prog, n * sizeof(*prog));
	at += n * sizeof(*prog);
	buf[at++] = 34; /* data: after Ethernet and IPv4 */
	buf[at++] = 14; /* network header */
	buf[at++] = 1;	/* a link-layer header at 0 */
	memcpy(buf + at, pkt, plen);
	seed_file(dir, name, buf, at + plen);
}

static void write_seeds(const char *dir)
{
	uint8_t pkt[34 + 8 + 6] = { 0 };
	pkt[12] = 0x08;
	pkt[14] = 0x45;
	pkt[14 + 9] = 17;
	pkt[34 + 1] = 7;
	memcpy(pkt + 42, "abcdef", 6);
	struct sock_filter port[] = {
		{ BPF_LD | BPF_H | BPF_ABS, 0, 0, 0 },
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 7 },
		{ BPF_RET | BPF_K, 0, 0, 0xffffffff },
		{ BPF_RET | BPF_K, 0, 0, 0 },
	};
	write_seed(dir, "source-port", port, 4, pkt, sizeof(pkt));
	struct sock_filter anc[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_NLATTR) },
		{ BPF_ST, 0, 0, 3 },
		{ BPF_LDX | BPF_B | BPF_MSH, 0, 0, (uint32_t)SKF_NET_OFF },
		{ BPF_LD | BPF_H | BPF_IND, 0, 0, (uint32_t)SKF_LL_OFF },
		{ BPF_LD | BPF_MEM, 0, 0, 3 },
		{ BPF_ALU | BPF_DIV | BPF_X, 0, 0, 0 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	write_seed(dir, "ancillary", anc, 7, pkt, sizeof(pkt));
	struct sock_filter len[] = {
		{ BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 },
		{ BPF_ALU | BPF_SUB | BPF_K, 0, 0, 2 },
		{ BPF_JMP | BPF_JGT | BPF_K, 1, 0, 10 },
		{ BPF_RET | BPF_K, 0, 0, 2 },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};
	write_seed(dir, "length", len, 5, pkt, sizeof(pkt));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

/* Makes a refused program acceptable as far as each instruction goes (the
 * scratch-memory rule may still refuse it). */
static void repair(struct sock_filter *p, uint32_t n)
{
	for (uint32_t pc = 0; pc < n; pc++) {
		struct sock_filter *f = &p[pc];
		uint32_t room = n - pc - 1;
		switch (BPF_CLASS(f->code)) {
		case BPF_JMP:
			/* Up to one past the end: the validator's edge. */
			f->jt = (uint8_t)(f->jt % (room + 1));
			f->jf = (uint8_t)(f->jf % (room + 1));
			if (BPF_OP(f->code) == BPF_JA)
				f->k %= room + 1;
			break;
		case BPF_ALU:
			if ((BPF_OP(f->code) == BPF_DIV || BPF_OP(f->code) == BPF_MOD) && !f->k)
				f->k = 1;
			if (BPF_OP(f->code) == BPF_LSH || BPF_OP(f->code) == BPF_RSH)
				f->k %= 32;
			break;
		case BPF_ST:
		case BPF_STX:
			f->k %= BPF_MEMWORDS;
			break;
		case BPF_LD:
		case BPF_LDX:
			if (BPF_MODE(f->code) == BPF_MEM)
				f->k %= BPF_MEMWORDS;
			break;
		}
	}
	if (BPF_CLASS(p[n - 1].code) != BPF_RET)
		p[n - 1].code = BPF_RET | BPF_A;
}

static void run_checked(const struct sock_filter *prog, const uint8_t *pkt, size_t plen,
			const uint8_t place[3])
{
	/* The packet in a block of its own size: reads past it are caught. */
	uint8_t *b = malloc(plen ? plen : 1);
	if (!b)
		return;
	memcpy(b, pkt, plen);
	struct ns_bpf_pkt v = {
		.base = b,
		.base_len = (uint32_t)plen,
		.data = plen ? place[0] % (plen + 1) : 0,
		.nh = plen ? (int32_t)(place[1] % (plen + 1)) : -1,
		.mac = (place[2] & 1) ? 0 : -1,
		.protocol = 0x0800,
		.hatype = 1,
		.ifindex = place[2],
		.poff = 8,
		.rnd = 42,
	};
	struct ns_bpf_pkt again = v;
	uint32_t r1 = ns_bpf_run(prog, &v);
	uint32_t r2 = ns_bpf_run(prog, &again);
	if (r1 != r2)
		abort(); /* the same packet and seed must give the same answer */
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint32_t n = ((uint32_t)data[0] | (uint32_t)data[1] << 8) % (BPF_MAXINSNS + 4);
	data += 2;
	size -= 2;
	if (n > size / sizeof(struct sock_filter))
		n = (uint32_t)(size / sizeof(struct sock_filter));
	struct sock_filter *prog = malloc((n ? n : 1) * sizeof(*prog));
	if (!prog)
		return 0;
	memcpy(prog, data, n * sizeof(*prog));
	data += n * sizeof(*prog);
	size -= n * sizeof(*prog);
	uint8_t place[3] = { 0, 0, 0 };
	for (int i = 0; i < 3 && size; i++, data++, size--)
		place[i] = *data;

	int r = ns_bpf_check(prog, n);
	if (r != 0 && r != -EINVAL)
		abort();
	if (r == 0)
		run_checked(prog, data, size, place);
	else if (n && n <= BPF_MAXINSNS) {
		repair(prog, n);
		r = ns_bpf_check(prog, n);
		if (r != 0 && r != -EINVAL)
			abort();
		if (r == 0)
			run_checked(prog, data, size, place);
	}
	free(prog);
	return 0;
}
