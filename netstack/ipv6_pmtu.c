/*
 * The IPv6 path MTU cache (RFC 8201).
 *
 * One entry per destination that sent us (through a router) a Packet Too
 * Big: the MTU it said, never below the IPv6 minimum of 1280 (RFC 8201 4,
 * and RFC 8021: no atomic fragments in answer to smaller values), and
 * only ever lowered by such a message (4: "MUST NOT increase"). An entry
 * is forgotten 10 minutes after it was set (5.3: not less than 5, 10
 * recommended; Linux's mtu_expires), which lets the path MTU grow back.
 *
 * A small fixed table: 4-way set-associative on a keyed hash of the
 * destination, replacing the entry that expires first. Expiry is checked
 * against the stack's clock on lookup; no timer is needed. Every packet
 * sent looks here, so the common case, an empty cache (all entries
 * expired), costs one comparison.
 */
#include "ipv6_priv.h"

#define PMTU6_EXPIRES (600 * NS_SEC)
#define PMTU6_WAYS 4

static unsigned set_of(struct ns_stack *st, const uint8_t *dst)
{
	return (unsigned)(ns_siphash(st->secret, dst, 16) % PMTU6_SLOTS);
}

static struct pmtu6_ent *lookup(struct ns_stack *st, const uint8_t *dst)
{
	unsigned s = set_of(st, dst);
	ns_time_t now = st_now(st);
	for (unsigned i = 0; i < PMTU6_WAYS; i++) {
		struct pmtu6_ent *e = &st->ip6->pmtu[(s + i) % PMTU6_SLOTS];
		if (e->expires > now && !memcmp(e->dst, dst, 16))
			return e;
	}
	return NULL;
}

uint32_t pmtu6_get(struct ns_stack *st, const uint8_t dst[16])
{
	if (st_now(st) >= st->ip6->pmtu_last_expiry)
		return 0;
	const struct pmtu6_ent *e = lookup(st, dst);
	return e ? e->mtu : 0;
}

int pmtu6_update(struct ns_stack *st, const uint8_t dst[16], uint32_t mtu, uint32_t link_mtu)
{
	if (mtu < IP6_MIN_MTU)
		mtu = IP6_MIN_MTU;
	struct pmtu6_ent *e = lookup(st, dst);
	uint32_t cur = e ? e->mtu : link_mtu;
	if (mtu >= cur)
		return 0;
	if (!e) {
		unsigned s = set_of(st, dst);
		for (unsigned i = 0; i < PMTU6_WAYS; i++) {
			struct pmtu6_ent *c = &st->ip6->pmtu[(s + i) % PMTU6_SLOTS];
			if (!e || c->expires < e->expires)
				e = c;
		}
		memcpy(e->dst, dst, 16);
	}
	e->mtu = mtu;
	e->expires = st_now(st) + PMTU6_EXPIRES;
	if (e->expires > st->ip6->pmtu_last_expiry)
		st->ip6->pmtu_last_expiry = e->expires;
	return 1;
}
