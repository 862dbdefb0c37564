/*
 * IPv4 options (RFC 791 3.1): the one place that checks, fills, echoes and
 * builds them, for both a socket's list (IP_OPTIONS, the IP_RETOPTS
 * control message) and a received datagram's.
 *
 * The options known, and what Linux (the reference) does with each:
 *  - End of Option List (0): the rest of the list is padding; Linux
 *    zeroes whatever follows it.  No Operation (1): skipped.
 *  - Record Route (7), RFC 791: a sender's list with room gets the
 *    sender's address in the next slot; a receiving end host records its
 *    own address too (Linux does, though it does not forward).
 *  - Internet Timestamp (68), RFC 791: flags 0 (times), 1 (address and
 *    time), 3 (times at prespecified addresses, only ours filled); a full
 *    option counts in its overflow field, 15 overflows are an error.
 *    Other flags only from a socket with CAP_NET_RAW.  Times are
 *    milliseconds since midnight UT.
 *  - Loose (131) and Strict (137) Source Route, RFC 791: a socket's list
 *    names the first hop first; it is kept apart (the datagram goes
 *    there) and the final destination fills the last slot on output.
 *    Setting one needs CAP_NET_RAW.  Received: dropped, as Linux does with
 *    net.ipv4.conf.all.accept_source_route at its default, 0 (moat has no
 *    such switch and no forwarding).
 *  - Router Alert (148), RFC 2113: four bytes, carried.
 *  - Security (130), Stream ID (136) and unknown types: carried as they
 *    are; from a socket only with CAP_NET_RAW.
 *  - CIPSO (134): Linux accepts it only with a NetLabel domain configured;
 *    moat has none, so it is always invalid (as on a Linux without one).
 *
 * A received list is checked on input (ip4_input: a bad one is dropped
 * with a parameter problem pointing at the offending byte) and filled
 * when it is read (ip4_opts_received: the header stays in the packet as
 * it came). Replies (IP_RETOPTS, ICMP echo replies and errors, a TCP
 * SYN-ACK and the connection it makes, a reset) carry the record route and
 * timestamp of what they answer turned round (ip4_opts_echo); Linux turns
 * source routes and CIPSO round too, which never get that far here.
 */
#include "stack_priv.h"

enum {
	OPT_END = 0,
	OPT_NOP = 1,
	OPT_RR = 7,
	OPT_TS = 68,
	OPT_SEC = 130,
	OPT_LSRR = 131,
	OPT_CIPSO = 134,
	OPT_SID = 136,
	OPT_SSRR = 137,
	OPT_RA = 148,
};
#define OPT_COPIED 0x80 /* RFC 791: copied into every fragment */
#define TS_TSONLY 0
#define TS_TSANDADDR 1
#define TS_PRESPEC 3

/* RFC 1122 3.2.1.8: a prespecified address that is not a remote unicast
 * one (ours, a broadcast or multicast one) gets our timestamp (Linux's
 * inet_addr_type() != RTN_UNICAST). */
static int not_remote_unicast(struct ns_stack *st, uint32_t a)
{
	return (a >> 24) == 0 || a == 0xffffffffu || ip4_is_mcast(a) || ip4_is_loopback(a) ||
	       ns_addr4_nic(st, a) || ns_is_bcast4(st, a);
}

/*
 * Checks the list in o->data (o->len bytes, a multiple of 4) and notes where
 * each option is. rx NULL: a socket's list (net_raw: the caller's
 * CAP_NET_RAW), whose first source-route hop moves to o->faddr and whose
 * record route and timestamp pointers move past the slots output fills.
 * rx given: a received list, filled in place as an end host does (our
 * address, the time, the overflow count). Returns 0, or -EINVAL with *pp
 * the offset of the offending byte in data (ICMP's parameter problem
 * pointer counts from the IP header: add 20).
 */
int ip4_opts_compile(struct ns_stack *st, struct ip4_opts *o, const struct ip4_opt_rx *rx, int net_raw, uint32_t *pp)
{
	uint8_t *d = o->data;
	uint32_t i = 0, n = o->len;
	o->srr = o->rr = o->ts = 0;
	o->rr_needaddr = o->ts_needaddr = o->ts_needtime = o->strict = o->cipso = 0;
	while (i < n) {
		uint8_t *op = d + i;
		if (op[0] == OPT_END) {
			memset(op + 1, 0, n - i - 1);
			return 0;
		}
		if (op[0] == OPT_NOP) {
			i++;
			continue;
		}
		uint32_t l = n - i;
		if (l < 2 || op[1] < 2 || op[1] > l)
			goto bad_at0;
		uint32_t ol = op[1];
		switch (op[0]) {
		case OPT_LSRR:
		case OPT_SSRR:
			if (ol < 3)
				goto bad_at1;
			if (op[2] < 4)
				goto bad_at2;
			if (o->srr)
				goto bad_at0;
			if (!rx) {
				/* RFC 791 3.1: the first hop is where the
				 * datagram goes; the list keeps the rest */
				if (op[2] != 4 || ol < 7 || ((ol - 3) & 3))
					goto bad_at1;
				o->faddr = ns_rd32(op + 3);
				memmove(op + 3, op + 7, ol - 7);
			}
			o->strict = op[0] == OPT_SSRR;
			o->srr = (uint8_t)(i + 1);
			break;
		case OPT_RR:
			if (o->rr)
				goto bad_at0;
			if (ol < 3)
				goto bad_at1;
			if (op[2] < 4)
				goto bad_at2;
			if (op[2] <= ol) {
				if (op[2] + 3u > ol)
					goto bad_at2;
				if (rx)
					ns_wr32(op + op[2] - 1, rx->spec_dst);
				op[2] = (uint8_t)(op[2] + 4);
				o->rr_needaddr = 1;
			}
			o->rr = (uint8_t)(i + 1);
			break;
		case OPT_TS:
			if (o->ts)
				goto bad_at0;
			if (ol < 4)
				goto bad_at1;
			if (op[2] < 5)
				goto bad_at2;
			if (op[2] <= ol) {
				uint8_t *tp = NULL;
				if (op[2] + 3u > ol)
					goto bad_at2;
				switch (op[3] & 0xf) {
				case TS_TSONLY:
					if (rx)
						tp = op + op[2] - 1;
					o->ts_needtime = 1;
					op[2] = (uint8_t)(op[2] + 4);
					break;
				case TS_TSANDADDR:
					if (op[2] + 7u > ol)
						goto bad_at2;
					if (rx) {
						ns_wr32(op + op[2] - 1, rx->spec_dst);
						tp = op + op[2] + 3;
					}
					o->ts_needaddr = o->ts_needtime = 1;
					op[2] = (uint8_t)(op[2] + 8);
					break;
				case TS_PRESPEC:
					if (op[2] + 7u > ol)
						goto bad_at2;
					if (!not_remote_unicast(st, ns_rd32(op + op[2] - 1)))
						break; /* (someone else's) */
					if (rx)
						tp = op + op[2] + 3;
					o->ts_needtime = 1;
					op[2] = (uint8_t)(op[2] + 8);
					break;
				default:
					if (!rx && !net_raw) {
						*pp = i + 3;
						return -EINVAL;
					}
					break;
				}
				if (tp)
					ns_wr32(tp, rx->ms);
			} else if ((op[3] & 0xf) != TS_PRESPEC) {
				/* RFC 791 3.1: no room; count the overflow */
				unsigned ovf = op[3] >> 4;
				if (ovf == 15) {
					*pp = i + 3;
					return -EINVAL;
				}
				if (rx)
					op[3] = (uint8_t)((op[3] & 0xf) | ((ovf + 1) << 4));
			}
			o->ts = (uint8_t)(i + 1);
			break;
		case OPT_RA:
			if (ol < 4)
				goto bad_at1;
			break;
		case OPT_CIPSO:
			/* (no NetLabel domain: never valid, see above) */
			if (!rx || o->cipso)
				goto bad_at0;
			*pp = i + (ol < 8 ? 1 : 2);
			return -EINVAL;
		default:
			/* Security, Stream ID, unknown: carried */
			if (!rx && !net_raw)
				goto bad_at0;
			break;
		}
		i += ol;
	}
	return 0;
bad_at0:
	*pp = i;
	return -EINVAL;
bad_at1:
	*pp = i + 1;
	return -EINVAL;
bad_at2:
	*pp = i + 2;
	return -EINVAL;
}

int ip4_opts_set(struct ns_stack *st, struct ip4_opts *o, const void *v, size_t n, int net_raw)
{
	uint32_t pp;
	if (n > IP4_OPT_MAX)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	if (n)
		memcpy(o->data, v, n);
	/* padded with End of Option List to whole words (Linux) */
	o->len = (uint8_t)((n + 3) & ~3u);
	if (o->len && ip4_opts_compile(st, o, NULL, net_raw, &pp) < 0)
		return -EINVAL;
	if (o->srr && !net_raw)
		return -EPERM;
	return 0;
}

/* A socket's list as it was given (getsockopt): the first source-route
 * hop back in its place, the slots output fills empty again. out holds
 * o->len bytes. */
void ip4_opts_undo(const struct ip4_opts *o, uint8_t *out)
{
	memcpy(out, o->data, o->len);
	if (o->srr) {
		uint8_t *op = out + o->srr - 1;
		memmove(op + 7, op + 3, op[1] - 7u);
		ns_wr32(op + 3, o->faddr);
	}
	if (o->rr && o->rr_needaddr) {
		uint8_t *op = out + o->rr - 1;
		op[2] = (uint8_t)(op[2] - 4);
		memset(op + op[2] - 1, 0, 4);
	}
	if (o->ts) {
		uint8_t *op = out + o->ts - 1;
		if (o->ts_needtime) {
			op[2] = (uint8_t)(op[2] - 4);
			memset(op + op[2] - 1, 0, 4);
			if ((op[3] & 0xf) == TS_PRESPEC)
				op[2] = (uint8_t)(op[2] - 4);
		}
		if (o->ts_needaddr) {
			op[2] = (uint8_t)(op[2] - 4);
			memset(op + op[2] - 1, 0, 4);
		}
	}
}

/*
 * A received list (compiled with rx) turned round for a reply (Linux's
 * ip_options_echo): its record route and timestamp options, their
 * pointers moved past the slots the reply fills, as a socket's list is
 * kept; nothing else (Linux echoes source routes too, which never reach a
 * socket here: see the top). -EINVAL when a slot the reply would need is
 * cut short.
 */
int ip4_opts_echo(struct ns_stack *st, const struct ip4_opts *rx, struct ip4_opts *out)
{
	uint32_t n = 0;
	memset(out, 0, sizeof(*out));
	if (rx->rr) {
		const uint8_t *sp = rx->data + rx->rr - 1;
		uint8_t *op = out->data + n;
		memcpy(op, sp, sp[1]);
		out->rr = (uint8_t)(n + 1);
		if (rx->rr_needaddr && op[2] <= op[1]) {
			if (op[2] + 3u > op[1])
				return -EINVAL;
			op[2] = (uint8_t)(op[2] + 4);
			out->rr_needaddr = 1;
		}
		n += sp[1];
	}
	if (rx->ts) {
		const uint8_t *sp = rx->data + rx->ts - 1;
		uint8_t *op = out->data + n;
		uint32_t ol = sp[1], off = sp[2];
		memcpy(op, sp, ol);
		out->ts = (uint8_t)(n + 1);
		if (off <= ol) {
			if (rx->ts_needaddr) {
				if (off + 3 > ol)
					return -EINVAL;
				out->ts_needaddr = 1;
				off += 4;
			}
			if (rx->ts_needtime) {
				if (off + 3 > ol)
					return -EINVAL;
				if ((op[3] & 0xf) != TS_PRESPEC) {
					out->ts_needtime = 1;
					off += 4;
				} else if (off + 7 <= ol && not_remote_unicast(st, ns_rd32(op + off - 1))) {
					out->ts_needtime = 1;
					off += 8;
				}
			}
			op[2] = (uint8_t)off;
		}
		n += ol;
	}
	while (n & 3)
		out->data[n++] = OPT_END;
	out->len = (uint8_t)n;
	return 0;
}

int ip4_opts_retopts(struct ns_stack *st, const struct ip4_opts *rx, uint8_t *out)
{
	struct ip4_opts e;
	if (ip4_opts_echo(st, rx, &e) < 0)
		return -EINVAL;
	ip4_opts_undo(&e, out);
	return e.len;
}

void ns_stack_set_wall_offset(struct ns_stack *st, ns_time_t offset)
{
	st->wall_offset = offset;
}

/* RFC 791 3.1: milliseconds since midnight UT (Linux's
 * inet_current_timestamp), from the stack's wall clock. */
uint32_t ip4_opts_time(struct ns_stack *st, ns_time_t mono)
{
	uint64_t ms = (mono + st->wall_offset) / 1000000u;
	return (uint32_t)(ms % 86400000u);
}

void ip4_opts_build(struct ns_stack *st, uint8_t *h, const struct ip4_opts *o, uint32_t src, uint32_t dst)
{
	memcpy(h, o->data, o->len);
	if (o->srr) {
		uint8_t *op = h + o->srr - 1;
		ns_wr32(op + op[1] - 4, dst); /* the last slot: the final destination */
	}
	if (o->rr_needaddr) {
		uint8_t *op = h + o->rr - 1;
		ns_wr32(op + op[2] - 5, src);
	}
	if (o->ts) {
		uint8_t *op = h + o->ts - 1;
		if (o->ts_needtime)
			ns_wr32(op + op[2] - 5, ip4_opts_time(st, ns_stack_now(st)));
		if (o->ts_needaddr)
			ns_wr32(op + op[2] - 9, src);
	}
}

/* RFC 791 3.2: fragments after the first carry only the options whose
 * copied flag is set; the others become No Operation. */
void ip4_opts_fragment(uint8_t *opt, uint32_t n)
{
	uint32_t i = 0;
	while (i < n) {
		uint8_t t = opt[i];
		if (t == OPT_END)
			return;
		if (t == OPT_NOP) {
			i++;
			continue;
		}
		uint32_t ol = i + 1 < n ? opt[i + 1] : 0;
		if (ol < 2 || ol > n - i)
			return;
		if (!(t & OPT_COPIED))
			memset(opt + i, OPT_NOP, ol);
		i += ol;
	}
}

/* The options of the IPv4 header at ih (its length checked) into o. */
static void opts_of(const uint8_t *ih, struct ip4_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->len = (uint8_t)((ih[0] & 0xf) * 4 - IP4_HDR_LEN);
	memcpy(o->data, ih + IP4_HDR_LEN, o->len);
}

int ip4_opts_check(struct ns_stack *st, const uint8_t *ih, uint32_t *pp, int *srr)
{
	struct ip4_opts o;
	struct ip4_opt_rx rx = { 0, 0 };
	uint32_t at = 0;
	opts_of(ih, &o);
	int r = ip4_opts_compile(st, &o, &rx, 0, &at);
	*pp = IP4_HDR_LEN + at;
	*srr = o.srr != 0;
	return r;
}

int ip4_opts_received(struct ns_stack *st, const uint8_t *ih, uint32_t spec_dst, ns_time_t when,
		      struct ip4_opts *o)
{
	uint32_t pp;
	if ((ih[0] & 0xf) * 4 <= IP4_HDR_LEN)
		return -ENOENT;
	opts_of(ih, o);
	struct ip4_opt_rx rx = { spec_dst, ip4_opts_time(st, when) };
	return ip4_opts_compile(st, o, &rx, 0, &pp);
}
