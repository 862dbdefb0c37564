/*
 * The stack object: interfaces, addresses, the routing table, randomness and
 * counters; creation and teardown of every module.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "stack_priv.h"

/* ---- addresses ---- */

int ns_ip_eq(const struct ns_ip *a, const struct ns_ip *b)
{
	if (a->family != b->family)
		return 0;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0;
}

int ns_ip_is_any(const struct ns_ip *a)
{
	static const uint8_t zero[16];
	if (a->family == AF_INET)
		return a->v4 == 0;
	return memcmp(a->v6, zero, 16) == 0;
}

int ns_ip_parse(const char *s, struct ns_ip *out)
{
	struct in_addr a4;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &a4) == 1) {
		out->family = AF_INET;
		out->v4 = ntohl(a4.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int ns_cidr_parse(const char *s, struct ns_ip *out, unsigned *prefixlen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (ns_ip_parse(buf, out) < 0)
		return -EINVAL;
	unsigned max = out->family == AF_INET ? 32 : 128;
	if (!slash) {
		*prefixlen = max;
		return 0;
	}
	char *end;
	unsigned long v = strtoul(slash + 1, &end, 10);
	if (slash[1] == 0 || *end || v > max)
		return -EINVAL;
	*prefixlen = (unsigned)v;
	return 0;
}

const char *ns_ip_fmt(const struct ns_ip *a, char *buf, size_t len)
{
	if (a->family == AF_INET) {
		struct in_addr a4 = { htonl(a->v4) };
		inet_ntop(AF_INET, &a4, buf, (socklen_t)len);
	} else {
		inet_ntop(AF_INET6, a->v6, buf, (socklen_t)len);
	}
	return buf;
}

/* ---- randomness: xoshiro256** seeded from the secret by splitmix64 ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint32_t ns_random32(struct ns_stack *st)
{
	uint64_t *s = st->rng;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return (uint32_t)(result >> 32);
}

/* SipHash-2-4: keyed hash for ISNs, SYN cookies, IP IDs and port choice. */
#define SIPROUND                                                            \
	do {                                                                \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);   \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);   \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t ns_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- interfaces ---- */

struct ns_nic *ns_nic_get(struct ns_stack *st, int id)
{
	if (id <= 0 || id > st->nnics)
		return NULL;
	return st->nics[id];
}

int ns_stack_add_nic(struct ns_stack *st, struct ns_link *link)
{
	if (st->nnics >= NS_MAX_NICS) {
		ns_link_destroy(link);
		return -ENOSPC;
	}
	struct ns_nic *nic = calloc(1, sizeof(*nic));
	if (!nic) {
		ns_link_destroy(link);
		return -ENOMEM;
	}
	nic->stack = st;
	nic->id = ++st->nnics;
	nic->link = link;
	memcpy(nic->name, link->name, sizeof(nic->name));
	nic->mtu = link->mtu;
	nic->caps = link->caps;
	memcpy(nic->mac, link->mac, 6);
	st->nics[nic->id] = nic;
	ns_link_set_rx(link, eth_input, nic);
	ip6_nic_added(st, nic);
	return nic->id;
}

int ns_stack_nic_by_name(struct ns_stack *st, const char *name)
{
	for (int i = 1; i <= st->nnics; i++)
		if (strcmp(st->nics[i]->name, name) == 0)
			return i;
	return -ENODEV;
}

void ns_stack_foreach_link(struct ns_stack *st, void (*fn)(struct ns_link *l, void *arg),
			   void *arg)
{
	for (int i = 1; i <= st->nnics; i++)
		fn(st->nics[i]->link, arg);
}

/* The nic that has a configured as one of its addresses, or NULL. */
static struct ns_nic *addr4_configured(struct ns_stack *st, uint32_t a)
{
	for (int i = 1; i <= st->nnics; i++) {
		struct ns_nic *nic = st->nics[i];
		for (unsigned j = 0; j < nic->naddr4; j++)
			if (nic->addr4[j].addr.v4 == a)
				return nic;
	}
	return NULL;
}

struct ns_nic *ns_addr4_nic(struct ns_stack *st, uint32_t a)
{
	struct ns_nic *own = addr4_configured(st, a);
	if (own)
		return own;
	/* As Linux's "local 127.0.0.0/8 dev lo" route: an address on a
	 * loopback link makes its whole prefix local (127.0.0.11, Docker's
	 * resolver, is bound and reached without being configured). */
	for (int i = 1; i <= st->nnics; i++) {
		struct ns_nic *nic = st->nics[i];
		if (!(nic->caps & NS_LINK_CAP_LOOPBACK))
			continue;
		for (unsigned j = 0; j < nic->naddr4; j++) {
			uint32_t m = ip4_mask(nic->addr4[j].prefixlen);
			if ((a & m) == (nic->addr4[j].addr.v4 & m) && !ns_is_bcast4(st, a))
				return nic;
		}
	}
	return NULL;
}

int ns_is_bcast4(struct ns_stack *st, uint32_t a)
{
	if (a == 0xffffffffu)
		return 1;
	for (int i = 1; i <= st->nnics; i++) {
		struct ns_nic *nic = st->nics[i];
		for (unsigned j = 0; j < nic->naddr4; j++) {
			unsigned pl = nic->addr4[j].prefixlen;
			if (pl >= 31)
				continue; /* RFC 3021: no broadcast on /31 */
			uint32_t m = ip4_mask(pl);
			if ((a & m) == (nic->addr4[j].addr.v4 & m) && (a | m) == 0xffffffffu)
				return 1;
		}
	}
	return 0;
}

/* ---- routes: an array sorted by prefix length (longest first), then
 * metric. Lookup is a linear scan for the first match, which is the
 * longest-prefix match; tables here hold a handful of routes. ---- */

static int route_cmp(const struct ns_route *a, const struct ns_route *b)
{
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen > b->prefixlen ? -1 : 1;
	return a->metric < b->metric ? -1 : a->metric > b->metric;
}

int ns_route_insert(struct ns_stack *st, const struct ns_route *r)
{
	for (unsigned i = 0; i < st->nroutes; i++) {
		struct ns_route *o = &st->routes[i];
		/* The same route from another origin (an advertised prefix a
		 * configured address also covers) is kept apart: each origin
		 * removes only its own. */
		if (o->prefixlen == r->prefixlen && ns_ip_eq(&o->dst, &r->dst) &&
		    o->metric == r->metric && o->nic == r->nic && o->origin == r->origin)
			return -EEXIST;
	}
	if (st->nroutes == st->routes_cap) {
		unsigned cap = st->routes_cap ? st->routes_cap * 2 : 16;
		struct ns_route *n = realloc(st->routes, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		st->routes = n;
		st->routes_cap = cap;
	}
	unsigned pos = 0;
	while (pos < st->nroutes && route_cmp(&st->routes[pos], r) <= 0)
		pos++;
	memmove(&st->routes[pos + 1], &st->routes[pos],
		(st->nroutes - pos) * sizeof(*st->routes));
	st->routes[pos] = *r;
	st->nroutes++;
	return 0;
}

static void route_remove_at(struct ns_stack *st, unsigned i)
{
	memmove(&st->routes[i], &st->routes[i + 1], (st->nroutes - i - 1) * sizeof(*st->routes));
	st->nroutes--;
}

static int ip4_match(uint32_t a, uint32_t net, unsigned pl)
{
	uint32_t m = ip4_mask(pl);
	return (a & m) == (net & m);
}

int ns_route_remove(struct ns_stack *st, const struct ns_ip *dst, unsigned prefixlen, int nic,
		    int has_gw, uint8_t origin)
{
	for (unsigned i = 0; i < st->nroutes; i++) {
		struct ns_route *o = &st->routes[i];
		if (o->prefixlen == prefixlen && o->nic == nic && o->has_gw == !!has_gw &&
		    o->origin == origin && ns_ip_eq(&o->dst, dst)) {
			route_remove_at(st, i);
			return 0;
		}
	}
	return -ESRCH;
}

void ns_routes_drop_nic(struct ns_stack *st, int nic, int family)
{
	for (unsigned i = 0; i < st->nroutes;) {
		const struct ns_route *o = &st->routes[i];
		if (o->nic == nic && (!family || o->dst.family == family))
			route_remove_at(st, i);
		else
			i++;
	}
}

/* An IPv6 route (RFC 4861 5.2's prefix list and default routes, as Linux's
 * table): the gateway is on a directly connected prefix unless the
 * interface is given (a link-local gateway needs it when several links
 * could hold it). */
static int add_route6(struct ns_stack *st, const struct ns_ip *dst, unsigned prefixlen,
		      const struct ns_ip *gw, int nic)
{
	struct ns_route r;
	memset(&r, 0, sizeof(r));
	if (prefixlen > 128)
		return -EINVAL;
	r.dst = *dst;
	ip6_prefix_mask(r.dst.v6, prefixlen);
	r.prefixlen = (uint8_t)prefixlen;
	if (gw) {
		if (gw->family != AF_INET6 || ip6_is_mcast(gw->v6) || ip6_is_unspec(gw->v6))
			return -EINVAL;
		r.has_gw = 1;
		r.gw = *gw;
		for (unsigned i = 0; !nic && i < st->nroutes; i++) {
			struct ns_route *o = &st->routes[i];
			if (!o->has_gw && o->dst.family == AF_INET6 &&
			    ip6_prefix_match(gw->v6, o->dst.v6, o->prefixlen))
				nic = o->nic;
		}
		if (!nic)
			return -ENETUNREACH;
	}
	if (!ns_nic_get(st, nic))
		return -ENODEV;
	if (st->nics[nic]->down)
		return -ENETDOWN; /* Linux: "Nexthop device is not up" */
	r.nic = nic;
	return ns_route_insert(st, &r);
}

int ns_stack_add_route(struct ns_stack *st, const struct ns_ip *dst, unsigned prefixlen,
		       const struct ns_ip *gw, int nic)
{
	struct ns_route r;
	memset(&r, 0, sizeof(r));
	if (dst->family == AF_INET6)
		return add_route6(st, dst, prefixlen, gw, nic);
	if (dst->family != AF_INET || prefixlen > 32)
		return -EAFNOSUPPORT;
	r.dst = *dst;
	r.dst.v4 &= ip4_mask(prefixlen);
	r.prefixlen = (uint8_t)prefixlen;
	if (gw) {
		if (gw->family != AF_INET)
			return -EINVAL;
		r.has_gw = 1;
		r.gw = *gw;
		if (!nic) {
			/* The gateway must be directly reachable. */
			for (unsigned i = 0; i < st->nroutes; i++) {
				struct ns_route *o = &st->routes[i];
				if (!o->has_gw && o->dst.family == AF_INET &&
				    ip4_match(gw->v4, o->dst.v4, o->prefixlen)) {
					nic = o->nic;
					break;
				}
			}
			if (!nic)
				return -ENETUNREACH;
		}
	}
	if (!ns_nic_get(st, nic))
		return -ENODEV;
	if (st->nics[nic]->down)
		return -ENETDOWN;
	r.nic = nic;
	return ns_route_insert(st, &r);
}

int ns_stack_del_route(struct ns_stack *st, const struct ns_ip *dst, unsigned prefixlen)
{
	for (unsigned i = 0; i < st->nroutes; i++) {
		struct ns_route *o = &st->routes[i];
		if (o->prefixlen == prefixlen && ns_ip_eq(&o->dst, dst)) {
			route_remove_at(st, i);
			return 0;
		}
	}
	return -ESRCH;
}

int ns_stack_add_addr(struct ns_stack *st, int id, const struct ns_ip *addr, unsigned prefixlen)
{
	struct ns_nic *nic = ns_nic_get(st, id);
	if (!nic)
		return -ENODEV;
	if (addr->family == AF_INET6)
		return ip6_add_addr(st, nic, addr->v6, prefixlen);
	if (addr->family != AF_INET)
		return -EAFNOSUPPORT;
	if (prefixlen > 32 || addr->v4 == 0 || ip4_is_mcast(addr->v4) || addr->v4 == 0xffffffffu)
		return -EINVAL;
	if (ns_addr4_nic(st, addr->v4))
		return -EEXIST;
	if (nic->naddr4 >= NS_NIC_MAX_ADDR)
		return -ENOSPC;
	nic->addr4[nic->naddr4].addr = *addr;
	nic->addr4[nic->naddr4].prefixlen = (uint8_t)prefixlen;
	nic->naddr4++;
	if (nic->down)
		return 0; /* its connected route comes with ns_stack_nic_set_up() */
	struct ns_ip net = *addr;
	int r = ns_stack_add_route(st, &net, prefixlen, NULL, id);
	if (r < 0 && r != -EEXIST)
		return r;
	if (nic->caps & NS_LINK_CAP_RESOLVE)
		arp_announce(nic, addr->v4);
	return 0;
}

int ns_stack_del_addr(struct ns_stack *st, int id, const struct ns_ip *addr)
{
	struct ns_nic *nic = ns_nic_get(st, id);
	if (!nic)
		return -ENODEV;
	if (addr->family == AF_INET6)
		return ip6_del_addr(st, nic, addr->v6);
	for (unsigned j = 0; j < nic->naddr4; j++) {
		if (!ns_ip_eq(&nic->addr4[j].addr, addr))
			continue;
		unsigned pl = nic->addr4[j].prefixlen;
		memmove(&nic->addr4[j], &nic->addr4[j + 1],
			(nic->naddr4 - j - 1) * sizeof(nic->addr4[0]));
		nic->naddr4--;
		/* Drop the connected route unless another address keeps it. */
		int keep = 0;
		for (unsigned k = 0; k < nic->naddr4; k++)
			if (nic->addr4[k].prefixlen == pl &&
			    ip4_match(nic->addr4[k].addr.v4, addr->v4, pl))
				keep = 1;
		if (!keep) {
			struct ns_ip net = ns_ip4(addr->v4 & ip4_mask(pl));
			for (unsigned i = 0; i < st->nroutes; i++) {
				struct ns_route *o = &st->routes[i];
				if (!o->has_gw && o->nic == id && o->prefixlen == pl &&
				    ns_ip_eq(&o->dst, &net)) {
					route_remove_at(st, i);
					break;
				}
			}
		}
		return 0;
	}
	return -EADDRNOTAVAIL;
}

void ns_print_addrs(const struct ns_stack *st, FILE *f)
{
	char ip[64];
	for (int i = 1; i <= st->nnics; i++) {
		const struct ns_nic *n = st->nics[i];
		for (unsigned j = 0; j < n->naddr4; j++)
			fprintf(f, "  addr %-8s %s/%u\n", n->name,
				ns_ip_fmt(&n->addr4[j].addr, ip, sizeof(ip)), n->addr4[j].prefixlen);
		ip6_print_addrs(n, f);
	}
}

int ns_stack_addr_state(struct ns_stack *st, int id, const struct ns_ip *addr)
{
	struct ns_nic *nic = ns_nic_get(st, id);
	if (!nic)
		return -ENODEV;
	if (addr->family == AF_INET6)
		return ip6_addr_state(nic, addr->v6);
	for (unsigned j = 0; j < nic->naddr4; j++)
		if (ns_ip_eq(&nic->addr4[j].addr, addr))
			return NS_ADDR_PREFERRED;
	return -EADDRNOTAVAIL;
}

int ns_stack_nic_start_down(struct ns_stack *st, int id)
{
	int r = ns_stack_nic_set_up(st, id, 0);
	struct ns_nic *nic = ns_nic_get(st, id);
	if (r == 0 && nic)
		nic->never_up = 1;
	return r;
}

int ns_stack_nic_set_up(struct ns_stack *st, int id, int up)
{
	struct ns_nic *nic = ns_nic_get(st, id);
	if (!nic)
		return -ENODEV;
	if (!!up == !nic->down)
		return 0;
	if (!up) {
		/* As Linux (fib_disable_ip, addrconf_ifdown, neigh_ifdown):
		 * every route through the link goes, static ones for good; the
		 * IPv6 addresses go, the IPv4 ones stay, unused; the neighbour
		 * cache of the link is flushed, permanent entries included. */
		nic->down = 1;
		ns_routes_drop_nic(st, id, 0);
		ip6_nic_down(st, nic);
		neigh_flush_nic(st, nic);
		return 0;
	}
	nic->down = 0;
	nic->never_up = 0;
	/* Linux's NETDEV_UP: the loopback gets 127.0.0.1/8 back if it lost
	 * it, the IPv4 addresses their connected routes, IPv6 starts afresh
	 * (link-local address or ::1, DAD, router solicitation). */
	struct ns_ip lo4 = ns_ip4(IP4_ADDR(127, 0, 0, 1));
	if ((nic->caps & NS_LINK_CAP_LOOPBACK) && nic->mtu >= 68 && !addr4_configured(st, lo4.v4))
		ns_stack_add_addr(st, id, &lo4, 8);
	for (unsigned j = 0; j < nic->naddr4; j++) {
		struct ns_ip net = nic->addr4[j].addr;
		int r = ns_stack_add_route(st, &net, nic->addr4[j].prefixlen, NULL, id);
		if (r < 0 && r != -EEXIST)
			return r;
		if (nic->caps & NS_LINK_CAP_RESOLVE)
			arp_announce(nic, net.v4);
	}
	ip6_nic_added(st, nic);
	return 0;
}

int ns_stack_nic_set_mtu(struct ns_stack *st, int id, uint32_t mtu)
{
	struct ns_nic *nic = ns_nic_get(st, id);
	if (!nic)
		return -ENODEV;
	nic->mtu = mtu;
	/* Linux turns IPv4 off below 68 bytes (RFC 791: every module takes
	 * 68), its addresses with it, and IPv6 below 1280 (RFC 8200 5). */
	if (mtu < 68)
		while (nic->naddr4)
			ns_stack_del_addr(st, id, &nic->addr4[nic->naddr4 - 1].addr);
	if (mtu < IP6_MIN_MTU)
		ip6_nic_down(st, nic);
	else if (!nic->ip6 && !nic->down)
		ip6_nic_added(st, nic);
	else
		ip6_nic_set_mtu(nic);
	return 0;
}

/* Preferred source: an address on the nic in the same subnet as `toward`,
 * else the nic's first address. RFC 1122 3.3.4.3. */
static uint32_t pick_src4(struct ns_nic *nic, uint32_t toward)
{
	for (unsigned j = 0; j < nic->naddr4; j++)
		if (ip4_match(toward, nic->addr4[j].addr.v4, nic->addr4[j].prefixlen))
			return nic->addr4[j].addr.v4;
	return nic->naddr4 ? nic->addr4[0].addr.v4 : 0;
}

static struct ns_nic *loopback_nic(struct ns_stack *st)
{
	for (int i = 1; i <= st->nnics; i++)
		if (st->nics[i]->caps & NS_LINK_CAP_LOOPBACK)
			return st->nics[i];
	return NULL;
}

/* The source of a broadcast or multicast datagram out of a loopback link
 * when none was given: Linux looks for a link-scope address, which lo's
 * (host scope) are not, then takes the first other interface's address,
 * else 0.0.0.0. */
static uint32_t loopback_group_src(struct ns_stack *st)
{
	for (int i = 1; i <= st->nnics; i++)
		if (!(st->nics[i]->caps & NS_LINK_CAP_LOOPBACK) && st->nics[i]->naddr4)
			return st->nics[i]->addr4[0].addr.v4;
	return 0;
}

int ns_route4(struct ns_stack *st, uint32_t dst, uint32_t src, int bound_nic, struct ns_rt *rt)
{
	memset(rt, 0, sizeof(*rt));
	/* Local destinations go through loopback (Linux's "local" table). */
	struct ns_nic *self = ns_addr4_nic(st, dst);
	/* Linux takes a down interface's local routes away with the others;
	 * the loopback's stay (what is sent to them is lost on it). */
	if (self && self->down && !(self->caps & NS_LINK_CAP_LOOPBACK))
		self = NULL;
	if (self || ip4_is_loopback(dst)) {
		struct ns_nic *lo = loopback_nic(st);
		/* A loopback without IPv4 (its MTU went below 68) has no
		 * local routes left: Linux finds none. */
		if (!lo || (!self && !lo->naddr4))
			return -ENETUNREACH;
		rt->nic = lo;
		rt->nexthop = ns_ip4(dst);
		rt->bcast = (uint8_t)ns_is_bcast4(st, dst); /* 127.255.255.255 */
		/* RFC 1122 3.3.4.2 / Linux: all of 127/8 is local; a configured
		 * address answers from itself, the rest of a loopback prefix
		 * (127.0.0.11) from the loopback's own address, as Linux. */
		rt->src = ns_ip4(src ? src : (addr4_configured(st, dst) ? dst : pick_src4(lo, dst)));
		rt->mtu = lo->mtu;
		rt->local = 1;
		return rt->src.v4 ? 0 : -EADDRNOTAVAIL;
	}
	if (dst == 0xffffffffu) {
		/* Limited broadcast: out of the bound interface, or the first
		 * with an address (Linux needs SO_BINDTODEVICE or a route). */
		struct ns_nic *nic = ns_nic_get(st, bound_nic);
		for (int i = 1; !nic && i <= st->nnics; i++)
			if (!(st->nics[i]->caps & NS_LINK_CAP_LOOPBACK) && st->nics[i]->naddr4 &&
			    !st->nics[i]->down)
				nic = st->nics[i];
		if (!nic || nic->down)
			return -ENETUNREACH;
		rt->nic = nic;
		rt->nexthop = ns_ip4(dst);
		rt->mtu = nic->mtu;
		rt->bcast = 1;
		if (nic->caps & NS_LINK_CAP_LOOPBACK) {
			rt->src = ns_ip4(src ? src : loopback_group_src(st));
			return 0;
		}
		rt->src = ns_ip4(src ? src : pick_src4(nic, dst));
		/* Linux ip_route_output: a loopback source never leaves the host. */
		return ip4_is_loopback(rt->src.v4) ? -EINVAL : 0;
	}
	int mcast = ip4_is_mcast(dst);
	if (mcast && (bound_nic || src)) {
		/* Linux: a group is reached on the given interface
		 * (IP_MULTICAST_IF, SO_BINDTODEVICE) or that of the given
		 * source, routes or not. */
		struct ns_nic *nic = bound_nic ? ns_nic_get(st, bound_nic) : ns_addr4_nic(st, src);
		if (!nic || nic->down)
			return -ENETUNREACH;
		rt->nic = nic;
		rt->nexthop = ns_ip4(dst);
		if (!src)
			src = nic->caps & NS_LINK_CAP_LOOPBACK ? loopback_group_src(st) : pick_src4(nic, dst);
		rt->src = ns_ip4(src);
		rt->mtu = nic->mtu;
		return 0;
	}
	for (unsigned i = 0; i < st->nroutes; i++) {
		struct ns_route *r = &st->routes[i];
		if (r->dst.family != AF_INET || !ip4_match(dst, r->dst.v4, r->prefixlen))
			continue;
		if (bound_nic && r->nic != bound_nic)
			continue;
		struct ns_nic *nic = ns_nic_get(st, r->nic);
		if (!nic)
			continue;
		rt->nic = nic;
		/* A group is reached on the link itself, never via a gateway. */
		rt->nexthop = r->has_gw && !mcast ? r->gw : ns_ip4(dst);
		rt->src = ns_ip4(src ? src : pick_src4(nic, rt->nexthop.v4));
		rt->mtu = nic->mtu;
		rt->bcast = !r->has_gw && ns_is_bcast4(st, dst);
		if (!rt->src.v4)
			return -EADDRNOTAVAIL;
		/* Linux ip_route_output: a loopback source never leaves the
		 * host (a socket bound to 127.0.0.1 sending elsewhere). */
		if (ip4_is_loopback(rt->src.v4) && !(nic->caps & NS_LINK_CAP_LOOPBACK))
			return -EINVAL;
		return 0;
	}
	return -ENETUNREACH;
}

/* ---- lifecycle ---- */

int ns_stack_create(const struct ns_stack_config *cfg, struct ns_stack **out)
{
	struct ns_stack *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (cfg && cfg->wheel) {
		st->wheel = cfg->wheel;
	} else {
		ns_wheel_init(&st->own_wheel, 0);
		st->wheel = &st->own_wheel;
	}
	if (cfg)
		memcpy(st->secret, cfg->secret, sizeof(st->secret));
	uint64_t seed = ns_siphash(st->secret, "moat-rng", 8);
	for (int i = 0; i < 4; i++)
		st->rng[i] = splitmix64(&seed);
	st->core_rmem_def = NS_RMEM_DEFAULT;
	st->core_wmem_def = NS_WMEM_DEFAULT;
	st->core_rmem_max = NS_RMEM_MAX;
	st->core_wmem_max = NS_WMEM_MAX;
	st->eph_low = NS_EPH_LOW;
	st->eph_high = NS_EPH_HIGH;
	st->eph_next = (uint16_t)(NS_EPH_LOW + ns_random32(st) % (NS_EPH_HIGH - NS_EPH_LOW + 1));
	icmp_init(st);
	igmp_init(st);
	pkt_queue_init(&st->mc_loopq);
	int r;
	if ((r = neigh_init(st)) < 0 || (r = frag4_init(st)) < 0 || (r = ip6_init(st)) < 0 ||
	    (r = udp_init(st)) < 0 || (r = tcp_init(st)) < 0) {
		ns_stack_destroy(st);
		return r;
	}
	if (!cfg || !cfg->no_loopback) {
		struct ns_link *lo;
		if ((r = ns_loopback_link_create(&lo)) < 0) {
			ns_stack_destroy(st);
			return r;
		}
		int id = ns_stack_add_nic(st, lo);
		struct ns_ip a = ns_ip4(IP4_ADDR(127, 0, 0, 1));
		if (id < 0 || (r = ns_stack_add_addr(st, id, &a, 8)) < 0) {
			ns_stack_destroy(st);
			return id < 0 ? id : r;
		}
	}
	*out = st;
	return 0;
}

void ns_stack_destroy(struct ns_stack *st)
{
	if (!st)
		return;
	while (st->sockets) {
		struct ns_socket *s = st->sockets;
		s->ops->destroy(s);
	}
	tcp_fini(st);
	udp_fini(st);
	ns_fl_fini(st);
	ip6_fini(st);
	frag4_fini(st);
	neigh_fini(st);
	pkt_queue_purge(&st->mc_loopq);
	for (int i = 1; i <= st->nnics; i++) {
		igmp_nic_fini(st->nics[i]);
		ns_link_destroy(st->nics[i]->link);
		free(st->nics[i]);
	}
	free(st->routes);
	free(st);
}

struct ns_wheel *ns_stack_wheel(struct ns_stack *st)
{
	return st->wheel;
}

int ns_stack_poll(struct ns_stack *st)
{
	int more = 0;
	/* Only what was looped before this poll (as the loopback link). */
	for (uint32_t n = st->mc_loopq.count; n; n--) {
		struct pkt *p = pkt_queue_pop(&st->mc_loopq);
		if (p->len && pkt_data(p)[0] >> 4 == 6)
			ip6_input(p->nic, p);
		else
			ip4_input(p->nic, p);
	}
	more |= st->mc_loopq.count > 0;
	for (int i = 1; i <= st->nnics; i++) {
		struct ns_link *l = st->nics[i]->link;
		if (ns_link_pending(l)) {
			ns_link_poll(l, 256);
			more |= ns_link_pending(l) > 0;
		}
	}
	return more;
}

const char *ns_stack_busy(struct ns_stack *st)
{
	static char why[96];
	if (st->mc_loopq.count) {
		snprintf(why, sizeof(why), "%u looped multicast datagram(s) queued",
			 (unsigned)st->mc_loopq.count);
		return why;
	}
	for (int i = 1; i <= st->nnics; i++) {
		int n = ns_link_pending(st->nics[i]->link);
		if (n > 0) {
			snprintf(why, sizeof(why), "link %s has %d frame(s) queued", st->nics[i]->name, n);
			return why;
		}
	}
	return NULL;
}

int ns_stack_flush(struct ns_stack *st)
{
	/* ACKs owed by this batch of input go out before the links flush. */
	tcp_stack_flush(st);
	int pending = st->mc_loopq.count > 0;
	for (int i = 1; i <= st->nnics; i++) {
		ns_link_flush(st->nics[i]->link);
		pending |= ns_link_pending(st->nics[i]->link) > 0;
	}
	return pending;
}

int ns_stack_set_option(struct ns_stack *st, const char *key, const char *value)
{
	if (!strncmp(key, "tcp.", 4))
		return tcp_set_option(st, key + 4, value);
	if (!strncmp(key, "ip4.", 4))
		return ip4_set_option(st, key + 4, value);
	if (!strncmp(key, "ip6.", 4))
		return ip6_set_option(st, key + 4, value);
	return -ENOENT;
}

const struct ns_stats *ns_stack_stats(const struct ns_stack *st)
{
	return &st->stats;
}

void ns_stats_foreach(const struct ns_stats *s,
		      void (*fn)(const char *name, uint64_t value, void *arg), void *arg)
{
#define NS_STAT_VISIT(g, n) fn(#g "." #n, s->g##_##n, arg);
	NS_STATS(NS_STAT_VISIT)
#undef NS_STAT_VISIT
}

struct print_ctx {
	FILE *f;
	int all;
};

static void print_one(const char *name, uint64_t v, void *arg)
{
	struct print_ctx *c = arg;
	if (v || c->all)
		fprintf(c->f, "  %-28s %llu\n", name, (unsigned long long)v);
}

void ns_stack_print_stats(const struct ns_stack *st, FILE *f, int all)
{
	struct print_ctx c = { f, all };
	fprintf(f, "counters:\n");
	ns_stats_foreach(&st->stats, print_one, &c);
	for (int i = 1; i <= st->nnics; i++) {
		const struct ns_nic *n = st->nics[i];
		ns_link_refresh_stats(n->link);
		const struct ns_link_stats *ls = &n->link->stats;
		fprintf(f,
			"  link %-8s rx %llu frames %llu bytes (errors %llu, nomem %llu, truncated %llu,"
			" dropped by host %llu) tx %llu frames %llu bytes (errors %llu, dropped %llu)\n",
			n->name, (unsigned long long)ls->rx_frames, (unsigned long long)ls->rx_bytes,
			(unsigned long long)ls->rx_errors, (unsigned long long)ls->rx_dropped_nomem,
			(unsigned long long)ls->rx_truncated, (unsigned long long)ls->rx_dropped_host,
			(unsigned long long)ls->tx_frames,
			(unsigned long long)ls->tx_bytes, (unsigned long long)ls->tx_errors,
			(unsigned long long)ls->tx_dropped);
	}
	ns_print_addrs(st, f);
	neigh_print(st, f);
	tcp_dump((struct ns_stack *)st, f, all ? 1 << 30 : 64);
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	uint64_t held = 0;
	for (int i = 1; i <= st->nnics; i++)
		held += st->nics[i]->link->stats.rx_bufs_held;
	fprintf(f, "  pool: %llu chunks in use (%llu bytes, high %llu), %llu alloc failures; "
		"%llu held by links to receive into, %llu in the stack\n",
		(unsigned long long)ps.in_use, (unsigned long long)ps.bytes_in_use,
		(unsigned long long)ps.high_bytes, (unsigned long long)ps.fails,
		(unsigned long long)held, (unsigned long long)(ps.in_use - NS_MIN(held, ps.in_use)));
}
