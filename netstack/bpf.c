/*
 * Classic BPF: the validator and the interpreter of socket filters. The
 * rules are Linux's (see ns/bpf.h); the instruction set is the one of
 * linux/filter.h: an accumulator A, an index register X, BPF_MEMWORDS
 * scratch words M[], forward jumps only, so every run ends after at most
 * one pass over the program.
 */
#include <errno.h>
#include <string.h>

#include "ns/bpf.h"

#define ANC(k) ((uint32_t)(SKF_AD_OFF + (k)))

/* The opcodes a program may use, as Linux lists them. */
static int code_allowed(uint16_t code)
{
	switch (code) {
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LD | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_B | BPF_MSH:
	case BPF_LDX | BPF_IMM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return 1;
	default:
		return 0;
	}
}

static int is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* Every ancillary load Linux knows; any other offset from SKF_AD_OFF up is
 * refused. */
static int anc_known(uint32_t k)
{
	switch (k) {
	case ANC(SKF_AD_PROTOCOL):
	case ANC(SKF_AD_PKTTYPE):
	case ANC(SKF_AD_IFINDEX):
	case ANC(SKF_AD_NLATTR):
	case ANC(SKF_AD_NLATTR_NEST):
	case ANC(SKF_AD_MARK):
	case ANC(SKF_AD_QUEUE):
	case ANC(SKF_AD_HATYPE):
	case ANC(SKF_AD_RXHASH):
	case ANC(SKF_AD_CPU):
	case ANC(SKF_AD_ALU_XOR_X):
	case ANC(SKF_AD_VLAN_TAG):
	case ANC(SKF_AD_VLAN_TAG_PRESENT):
	case ANC(SKF_AD_PAY_OFFSET):
	case ANC(SKF_AD_RANDOM):
	case ANC(SKF_AD_VLAN_TPID):
		return 1;
	default:
		return 0;
	}
}

static int insn_ok(const struct sock_filter *f, uint32_t pc, uint32_t len)
{
	switch (f->code) {
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		return f->k != 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		return f->k < 32;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		return f->k < BPF_MEMWORDS;
	case BPF_JMP | BPF_JA:
		/* The 32-bit offset must land inside, not just wrap around. */
		return f->k < len - pc - 1;
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
		return f->k < ANC(0) || anc_known(f->k);
	default:
		if (is_cond_jump(f->code))
			return pc + f->jt + 1 < len && pc + f->jf + 1 < len;
		return 1;
	}
}

/*
 * Scratch words must be stored before they are read, on every path. Jumps
 * go forward only, so one pass suffices: in[pc] collects (by intersection)
 * the words stored on every jump into pc. Like Linux, the straight-line
 * state also flows past a RET into the next instruction; that only makes
 * the check stricter, and it is what decides which programs Linux takes.
 */
static int check_scratch(const struct sock_filter *prog, uint32_t len)
{
	uint16_t in[BPF_MAXINSNS];
	uint16_t valid = 0;
	for (uint32_t pc = 0; pc < len; pc++)
		in[pc] = 0xffff;
	for (uint32_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		valid &= in[pc];
		switch (f->code) {
		case BPF_ST:
		case BPF_STX:
			valid |= (uint16_t)(1u << f->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1u << f->k)))
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			in[pc + 1 + f->k] &= valid;
			valid = 0xffff;
			break;
		default:
			if (is_cond_jump(f->code)) {
				in[pc + 1 + f->jt] &= valid;
				in[pc + 1 + f->jf] &= valid;
				valid = 0xffff;
			}
			break;
		}
	}
	return 0;
}

int ns_bpf_check(const struct sock_filter *prog, uint32_t len)
{
	if (!prog || len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (uint32_t pc = 0; pc < len; pc++) {
		if (!code_allowed(prog[pc].code) || !insn_ok(&prog[pc], pc, len))
			return -EINVAL;
	}
	if (prog[len - 1].code != (BPF_RET | BPF_K) && prog[len - 1].code != (BPF_RET | BPF_A))
		return -EINVAL;
	return check_scratch(prog, len);
}

/* ---- the interpreter ---- */

/*
 * The bytes at offset k (a signed 32-bit offset as the program computed
 * it) of size n, or NULL when any of them lies outside what may be read:
 * from 0 up, the program's packet; from SKF_NET_OFF and SKF_LL_OFF up, the
 * network and link-layer headers and what follows them.
 */
static const uint8_t *load_ptr(const struct ns_bpf_pkt *p, int32_t k, uint32_t n)
{
	int64_t at;
	if (k >= 0)
		at = (int64_t)p->data + k;
	else if (k >= SKF_NET_OFF && p->nh >= 0)
		at = (int64_t)p->nh + (k - SKF_NET_OFF);
	else if (k >= SKF_LL_OFF && k < SKF_NET_OFF && p->mac >= 0)
		at = (int64_t)p->mac + (k - SKF_LL_OFF);
	else
		return NULL;
	if (at < 0 || at + n > p->base_len)
		return NULL;
	return p->base + at;
}

static int load(const struct ns_bpf_pkt *p, int32_t k, uint32_t size, uint32_t *out)
{
	uint32_t n = size == BPF_W ? 4 : size == BPF_H ? 2 : 1;
	const uint8_t *b = load_ptr(p, k, n);
	if (!b)
		return -1;
	if (n == 4)
		*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	else if (n == 2)
		*out = (uint32_t)b[0] << 8 | b[1];
	else
		*out = b[0];
	return 0;
}

/* Netlink attributes (struct nlattr: 16-bit length and type, host order,
 * padded to 4 bytes), for SKF_AD_NLATTR and SKF_AD_NLATTR_NEST. Returns
 * the offset of the first attribute of type `type` in [off, off + rem)
 * of the packet, or 0. */
static uint32_t nla_find(const struct ns_bpf_pkt *p, uint32_t off, int64_t rem, uint32_t type)
{
	const uint8_t *d = p->base + p->data;
	while (rem >= 4) {
		uint16_t alen, atype;
		memcpy(&alen, d + off, 2);
		memcpy(&atype, d + off + 2, 2);
		if (alen < 4 || alen > rem)
			break;
		/* The type without NLA_F_NESTED and NLA_F_NET_BYTEORDER. */
		if ((atype & 0x3fff) == type)
			return off;
		uint32_t step = (alen + 3u) & ~3u;
		off += step;
		rem -= step;
	}
	return 0;
}

static uint32_t anc_nlattr(const struct ns_bpf_pkt *p, uint32_t a, uint32_t x, int nest)
{
	uint32_t len = p->base_len - p->data;
	if (len < 4 || a > len - 4)
		return 0;
	if (!nest)
		return nla_find(p, a, (int64_t)len - a, x);
	uint16_t alen;
	memcpy(&alen, p->base + p->data + a, 2);
	if (alen > len - a)
		return 0;
	return nla_find(p, a + 4, (int64_t)alen - 4, x);
}

/* SKF_AD_RANDOM: xorshift64*, seeded by whoever fills the view. */
static uint32_t anc_random(struct ns_bpf_pkt *p)
{
	uint64_t s = p->rnd ? p->rnd : 0x9e3779b97f4a7c15ull;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	p->rnd = s;
	return (uint32_t)((s * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t ancillary(struct ns_bpf_pkt *p, uint32_t k, uint32_t a, uint32_t x)
{
	switch (k) {
	case ANC(SKF_AD_PROTOCOL):
		return p->protocol;
	case ANC(SKF_AD_PKTTYPE):
		return p->pkttype;
	case ANC(SKF_AD_IFINDEX):
		return p->ifindex;
	case ANC(SKF_AD_NLATTR):
		return anc_nlattr(p, a, x, 0);
	case ANC(SKF_AD_NLATTR_NEST):
		return anc_nlattr(p, a, x, 1);
	case ANC(SKF_AD_HATYPE):
		return p->hatype;
	case ANC(SKF_AD_ALU_XOR_X):
		return a ^ x;
	case ANC(SKF_AD_PAY_OFFSET):
		return p->poff;
	case ANC(SKF_AD_RANDOM):
		return anc_random(p);
	default:
		/* MARK, QUEUE, RXHASH, CPU, VLAN_TAG, VLAN_TAG_PRESENT,
		 * VLAN_TPID: no marks, one queue, no hash, one CPU, no VLANs. */
		return 0;
	}
}

uint32_t ns_bpf_run(const struct sock_filter *prog, struct ns_bpf_pkt *p)
{
	uint32_t a = 0, x = 0, m[BPF_MEMWORDS];
	uint32_t plen = p->base_len - p->data;
	memset(m, 0, sizeof(m));
	for (uint32_t pc = 0;; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t k = f->k, v;
		switch (f->code) {
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;
		case BPF_LD | BPF_W | BPF_ABS:
		case BPF_LD | BPF_H | BPF_ABS:
		case BPF_LD | BPF_B | BPF_ABS:
			if (k >= ANC(0)) {
				a = ancillary(p, k, a, x);
				break;
			}
			if (load(p, (int32_t)k, BPF_SIZE(f->code), &a) < 0)
				return 0;
			break;
		case BPF_LD | BPF_W | BPF_IND:
		case BPF_LD | BPF_H | BPF_IND:
		case BPF_LD | BPF_B | BPF_IND:
			if (load(p, (int32_t)(x + k), BPF_SIZE(f->code), &a) < 0)
				return 0;
			break;
		case BPF_LDX | BPF_B | BPF_MSH:
			if (load(p, (int32_t)k, BPF_B, &v) < 0)
				return 0;
			x = (v & 0xf) << 2;
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			a = plen;
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = plen;
			break;
		case BPF_LD | BPF_IMM:
			a = k;
			break;
		case BPF_LDX | BPF_IMM:
			x = k;
			break;
		case BPF_LD | BPF_MEM:
			a = m[k];
			break;
		case BPF_LDX | BPF_MEM:
			x = m[k];
			break;
		case BPF_ST:
			m[k] = a;
			break;
		case BPF_STX:
			m[k] = x;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_ALU | BPF_NEG:
			a = -a;
			break;
		case BPF_JMP | BPF_JA:
			pc += k;
			break;
		default:
			v = BPF_SRC(f->code) == BPF_X ? x : k;
			if (BPF_CLASS(f->code) == BPF_JMP) {
				int t;
				switch (BPF_OP(f->code)) {
				case BPF_JEQ:
					t = a == v;
					break;
				case BPF_JGT:
					t = a > v;
					break;
				case BPF_JGE:
					t = a >= v;
					break;
				default: /* BPF_JSET */
					t = (a & v) != 0;
					break;
				}
				pc += t ? f->jt : f->jf;
				break;
			}
			switch (BPF_OP(f->code)) {
			case BPF_ADD:
				a += v;
				break;
			case BPF_SUB:
				a -= v;
				break;
			case BPF_MUL:
				a *= v;
				break;
			case BPF_DIV:
				/* Only X can be 0 here: the program ends with 0. */
				if (!v)
					return 0;
				a /= v;
				break;
			case BPF_MOD:
				if (!v)
					return 0;
				a %= v;
				break;
			case BPF_AND:
				a &= v;
				break;
			case BPF_OR:
				a |= v;
				break;
			case BPF_XOR:
				a ^= v;
				break;
			case BPF_LSH:
				/* X may hold 32 or more; Linux masks the count. */
				a <<= v & 31;
				break;
			default: /* BPF_RSH */
				a >>= v & 31;
				break;
			}
			break;
		}
	}
}
