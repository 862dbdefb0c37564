/*
 * The neighbour cache: IP address -> link address, shared by ARP (IPv4) and
 * NDP (IPv6, ndp.c). The state machine is Neighbour Unreachability Detection
 * from RFC 4861 7.3.2, which Linux applies to ARP too:
 *
 *   INCOMPLETE  resolving: solicitations every RETRANS (1 s; for IPv6 the
 *               link's RetransTimer, which advertisements may set), packets wait in
 *               a bounded queue; after MAX_MULTICAST_SOLICIT tries -> FAILED
 *               and every waiting packet is reported EHOSTUNREACH to its
 *               sender.
 *   REACHABLE   confirmed within REACHABLE_TIME (30 s, randomised 0.5-1.5x).
 *   STALE       not confirmed lately, still used; unused for GC_STALE -> freed.
 *   DELAY       used while STALE: wait DELAY_FIRST_PROBE (5 s) for an upper
 *               layer confirmation, then PROBE.
 *   PROBE       unicast solicitations every RETRANS; MAX_UNICAST_SOLICIT
 *               unanswered -> FAILED.
 *   FAILED      the next packet restarts resolution; freed after GC_STALE.
 *
 * PERMANENT and NOARP entries are the user's (ip neigh add): no timer,
 * used as they are, never changed by what is received.
 *
 * Each entry has one timer slot (RFC timers never overlap in one state).
 */
#include <stdlib.h>

#include "ns/info.h"
#include "stack_priv.h"

#define NEIGH_BUCKETS 256
#define NEIGH_MAX 1024
#define MAX_MULTICAST_SOLICIT 3
#define MAX_UNICAST_SOLICIT 3
#define RETRANS_TIME (1 * NS_SEC)
#define REACHABLE_TIME (30 * NS_SEC)
#define DELAY_FIRST_PROBE (5 * NS_SEC)
#define GC_STALE (60 * NS_SEC)
#define QUEUE_MAX_PKTS 100
#define QUEUE_MAX_BYTES 212992

struct neigh {
	struct neigh *hnext;
	struct ns_nic *nic;
	struct ns_ip ip;
	uint8_t mac[6];
	uint8_t state;
	uint8_t probes;
	ns_time_t used;
	ns_time_t confirmed;
	struct ns_timer timer;
	struct pkt_queue queue;
};

struct neigh_table {
	struct neigh *buckets[NEIGH_BUCKETS];
	unsigned count;
};

static unsigned bucket_of(const struct ns_nic *nic, const struct ns_ip *ip)
{
	uint32_t h = (uint32_t)nic->id * 0x9e3779b1u;
	if (ip->family == AF_INET) {
		h ^= ip->v4 * 0x85ebca6bu;
	} else {
		for (int i = 0; i < 16; i += 4)
			h = (h ^ ns_rd32(ip->v6 + i)) * 0x85ebca6bu;
	}
	h ^= h >> 15;
	return h % NEIGH_BUCKETS;
}

static struct neigh *lookup(struct ns_stack *st, const struct ns_nic *nic, const struct ns_ip *ip)
{
	for (struct neigh *e = st->neigh->buckets[bucket_of(nic, ip)]; e; e = e->hnext)
		if (e->nic == nic && ns_ip_eq(&e->ip, ip))
			return e;
	return NULL;
}

static void entry_free(struct ns_stack *st, struct neigh *e)
{
	struct neigh **pp = &st->neigh->buckets[bucket_of(e->nic, &e->ip)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	ns_timer_disarm(st->wheel, &e->timer);
	pkt_queue_purge(&e->queue);
	st->neigh->count--;
	free(e);
}

/* Free one entry nobody waits on (STALE or FAILED) to make room. */
static int evict_one(struct ns_stack *st)
{
	for (unsigned b = 0; b < NEIGH_BUCKETS; b++)
		for (struct neigh *e = st->neigh->buckets[b]; e; e = e->hnext)
			if (e->state == NEIGH_STALE || e->state == NEIGH_FAILED) {
				entry_free(st, e);
				NS_STAT_INC(st, neigh_gc);
				return 1;
			}
	return 0;
}

static void neigh_timer(struct ns_timer *t, ns_time_t now);

static struct neigh *create(struct ns_stack *st, struct ns_nic *nic, const struct ns_ip *ip)
{
	if (st->neigh->count >= NEIGH_MAX && !evict_one(st)) {
		NS_STAT_INC(st, neigh_table_full);
		return NULL;
	}
	struct neigh *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->nic = nic;
	e->ip = *ip;
	pkt_queue_init(&e->queue);
	ns_timer_init(&e->timer, neigh_timer);
	unsigned b = bucket_of(nic, ip);
	e->hnext = st->neigh->buckets[b];
	st->neigh->buckets[b] = e;
	st->neigh->count++;
	NS_STAT_INC(st, neigh_created);
	return e;
}

/* RFC 4861 6.3.2 / 6.3.4: IPv6 takes the link's BaseReachableTime and
 * RetransTimer (defaults, or what Router Advertisements said). */
static ns_time_t base_reachable(const struct neigh *e)
{
	return e->ip.family == AF_INET6 ? ndp_reachable_time(e->nic) : REACHABLE_TIME;
}

static ns_time_t retrans_time(const struct neigh *e)
{
	return e->ip.family == AF_INET6 ? ndp_retrans_time(e->nic) : RETRANS_TIME;
}

static ns_time_t reachable_time(struct ns_stack *st, const struct neigh *e)
{
	/* RFC 4861 6.3.2: uniformly distributed in [0.5, 1.5) x base. */
	ns_time_t base = base_reachable(e);
	return base / 2 + (ns_time_t)ns_random32(st) % base;
}

static void set_state(struct ns_stack *st, struct neigh *e, enum neigh_state s, ns_time_t after)
{
	e->state = (uint8_t)s;
	if (after)
		ns_timer_arm(st->wheel, &e->timer, st_now(st) + after);
	else
		ns_timer_disarm(st->wheel, &e->timer);
}

/* The family-specific solicitation: ARP request or NDP Neighbour
 * Solicitation. `unicast` sends to the cached link address (PROBE), else
 * broadcast (ARP) or the solicited-node group (NDP). */
static void solicit(struct ns_stack *st, struct neigh *e, int unicast)
{
	if (e->ip.family == AF_INET6) {
		ndp_solicit(e->nic, e->ip.v6, unicast ? e->mac : NULL, e->queue.head);
		return;
	}
	struct ns_nic *nic = e->nic;
	uint32_t spa = 0;
	/* Linux arp_announce=0: the source of the packet that triggered
	 * resolution if it is ours, else an address on this interface. */
	struct pkt *q = e->queue.head;
	if (q && q->len >= IP4_HDR_LEN) {
		uint32_t s = ns_rd32(pkt_data(q) + 12);
		if (ns_addr4_nic(st, s))
			spa = s;
	}
	for (unsigned j = 0; !spa && j < nic->naddr4; j++) {
		uint32_t m = ip4_mask(nic->addr4[j].prefixlen);
		if ((nic->addr4[j].addr.v4 & m) == (e->ip.v4 & m))
			spa = nic->addr4[j].addr.v4;
	}
	if (!spa && nic->naddr4)
		spa = nic->addr4[0].addr.v4;
	static const uint8_t zero[6];
	arp_send(nic, ARP_OP_REQUEST, unicast ? e->mac : eth_bcast_addr, spa, zero, e->ip.v4);
}

static void report_failure(struct ns_stack *st, struct neigh *e)
{
	struct pkt *p;
	while ((p = pkt_queue_pop(&e->queue))) {
		NS_STAT_INC(st, neigh_drop_unresolved);
		if (p->ethertype == ETHERTYPE_IPV4)
			ip4_local_error(st, p, EHOSTUNREACH);
		else if (p->ethertype == ETHERTYPE_IPV6)
			ip6_local_error(st, p, EHOSTUNREACH);
		pkt_unref(p);
	}
}

static void send_queued(struct ns_stack *st, struct neigh *e)
{
	struct pkt *p;
	NS_UNUSED(st);
	while ((p = pkt_queue_pop(&e->queue)))
		eth_output(e->nic, p, e->mac, p->ethertype);
}

static void neigh_timer(struct ns_timer *t, ns_time_t now)
{
	struct neigh *e = ns_container_of(t, struct neigh, timer);
	struct ns_stack *st = e->nic->stack;

	switch (e->state) {
	case NEIGH_INCOMPLETE:
		if (e->probes < MAX_MULTICAST_SOLICIT) {
			e->probes++;
			solicit(st, e, 0);
			set_state(st, e, NEIGH_INCOMPLETE, retrans_time(e));
			return;
		}
		NS_STAT_INC(st, neigh_failed);
		set_state(st, e, NEIGH_FAILED, GC_STALE);
		report_failure(st, e);
		return;
	case NEIGH_REACHABLE:
		/* RFC 4861 7.3.3: ReachableTime passed without confirmation. */
		if (e->confirmed + base_reachable(e) / 2 > now) {
			set_state(st, e, NEIGH_REACHABLE, reachable_time(st, e));
			return;
		}
		set_state(st, e, NEIGH_STALE, GC_STALE);
		return;
	case NEIGH_DELAY:
		if (e->confirmed >= e->used) {
			set_state(st, e, NEIGH_REACHABLE, reachable_time(st, e));
			return;
		}
		e->probes = 1;
		solicit(st, e, 1);
		set_state(st, e, NEIGH_PROBE, retrans_time(e));
		return;
	case NEIGH_PROBE:
		if (e->probes < MAX_UNICAST_SOLICIT) {
			e->probes++;
			solicit(st, e, 1);
			set_state(st, e, NEIGH_PROBE, retrans_time(e));
			return;
		}
		NS_STAT_INC(st, neigh_failed);
		set_state(st, e, NEIGH_FAILED, GC_STALE);
		report_failure(st, e);
		return;
	case NEIGH_PERMANENT:
	case NEIGH_NOARP:
		return; /* (never armed) */
	case NEIGH_STALE:
	case NEIGH_FAILED:
		if (e->used + GC_STALE > now && e->state == NEIGH_STALE) {
			ns_timer_arm(st->wheel, &e->timer, e->used + GC_STALE);
			return;
		}
		NS_STAT_INC(st, neigh_gc);
		entry_free(st, e);
		return;
	}
}

static void enqueue(struct ns_stack *st, struct neigh *e, struct pkt *p)
{
	/* Bounded: the oldest waiting packet makes room (Linux unres_qlen). */
	while (e->queue.count >= QUEUE_MAX_PKTS ||
	       (e->queue.count && e->queue.bytes + p->len > QUEUE_MAX_BYTES)) {
		NS_STAT_INC(st, neigh_queue_overflow);
		pkt_unref(pkt_queue_pop(&e->queue));
	}
	pkt_queue_push(&e->queue, p);
}

int neigh_output(struct ns_nic *nic, const struct ns_ip *nexthop, struct pkt *p,
		 uint16_t ethertype)
{
	struct ns_stack *st = nic->stack;
	p->ethertype = ethertype;
	struct neigh *e = lookup(st, nic, nexthop);
	if (!e) {
		e = create(st, nic, nexthop);
		if (!e) {
			pkt_unref(p);
			return -ENOBUFS;
		}
		e->state = NEIGH_FAILED; /* restarted just below */
	}
	e->used = st_now(st);
	switch (e->state) {
	case NEIGH_REACHABLE:
	case NEIGH_DELAY:
	case NEIGH_PROBE:
	case NEIGH_PERMANENT:
	case NEIGH_NOARP:
		return eth_output(nic, p, e->mac, ethertype);
	case NEIGH_STALE:
		/* RFC 4861 7.3.3: first use of a STALE entry starts DELAY. */
		set_state(st, e, NEIGH_DELAY, DELAY_FIRST_PROBE);
		return eth_output(nic, p, e->mac, ethertype);
	case NEIGH_INCOMPLETE:
		enqueue(st, e, p);
		return 0;
	case NEIGH_FAILED:
	default:
		enqueue(st, e, p);
		e->probes = 1;
		set_state(st, e, NEIGH_INCOMPLETE, retrans_time(e));
		solicit(st, e, 0);
		return 0;
	}
}

void neigh_update(struct ns_nic *nic, const struct ns_ip *ip, const uint8_t *mac, unsigned flags)
{
	struct ns_stack *st = nic->stack;
	struct neigh *e = lookup(st, nic, ip);
	if (!e) {
		if (!(flags & NEIGH_UPD_CREATE))
			return;
		e = create(st, nic, ip);
		if (!e)
			return;
		memcpy(e->mac, mac, 6);
		e->used = st_now(st);
		set_state(st, e, NEIGH_STALE, GC_STALE);
		return;
	}
	if (e->state == NEIGH_PERMANENT || e->state == NEIGH_NOARP)
		return; /* the user's, as Linux's NUD_PERMANENT | NUD_NOARP */
	int changed = memcmp(e->mac, mac, 6) != 0;
	if (e->state == NEIGH_INCOMPLETE || e->state == NEIGH_FAILED) {
		int had_queue = e->queue.count > 0;
		memcpy(e->mac, mac, 6);
		if (flags & NEIGH_UPD_SOLICITED) {
			e->confirmed = st_now(st);
			set_state(st, e, NEIGH_REACHABLE, reachable_time(st, e));
		} else {
			set_state(st, e, NEIGH_STALE, GC_STALE);
		}
		if (had_queue)
			NS_STAT_INC(st, neigh_resolved);
		send_queued(st, e);
		return;
	}
	if (changed && !(flags & NEIGH_UPD_OVERRIDE)) {
		/* RFC 4861 7.2.5: a different address without override only
		 * makes a REACHABLE entry STALE. */
		if (e->state == NEIGH_REACHABLE)
			set_state(st, e, NEIGH_STALE, GC_STALE);
		return;
	}
	if (changed)
		memcpy(e->mac, mac, 6);
	if (flags & NEIGH_UPD_SOLICITED) {
		e->confirmed = st_now(st);
		set_state(st, e, NEIGH_REACHABLE, reachable_time(st, e));
	} else if (changed) {
		set_state(st, e, NEIGH_STALE, GC_STALE);
	}
}

void neigh_confirm(struct ns_nic *nic, const struct ns_ip *ip)
{
	struct ns_stack *st = nic->stack;
	struct neigh *e = lookup(st, nic, ip);
	if (!e)
		return;
	e->confirmed = st_now(st);
	if (e->state == NEIGH_DELAY || e->state == NEIGH_PROBE)
		set_state(st, e, NEIGH_REACHABLE, reachable_time(st, e));
}

void neigh_flush_nic(struct ns_stack *st, struct ns_nic *nic)
{
	for (unsigned b = 0; b < NEIGH_BUCKETS; b++) {
		struct neigh *e = st->neigh->buckets[b];
		while (e) {
			struct neigh *n = e->hnext;
			if (!nic || e->nic == nic)
				entry_free(st, e);
			e = n;
		}
	}
}

int neigh_lookup_state(struct ns_stack *st, int nic_id, const struct ns_ip *ip, uint8_t mac[6])
{
	struct ns_nic *nic = ns_nic_get(st, nic_id);
	if (!nic)
		return -ENODEV;
	struct neigh *e = lookup(st, nic, ip);
	if (!e)
		return -ENOENT;
	if (mac)
		memcpy(mac, e->mac, 6);
	return e->state;
}

const char *const neigh_state_names[] = {
	[NEIGH_INCOMPLETE] = "INCOMPLETE", [NEIGH_REACHABLE] = "REACHABLE",
	[NEIGH_STALE] = "STALE",	   [NEIGH_DELAY] = "DELAY",
	[NEIGH_PROBE] = "PROBE",	   [NEIGH_FAILED] = "FAILED",
	[NEIGH_PERMANENT] = "PERMANENT",   [NEIGH_NOARP] = "NOARP",
};

int ns_stack_neigh_set(struct ns_stack *st, int nic_id, const struct ns_ip *ip, const uint8_t mac[6],
		       int state, unsigned flags)
{
	struct ns_nic *nic = ns_nic_get(st, nic_id);
	if (!nic)
		return -ENODEV;
	if ((ip->family != AF_INET && ip->family != AF_INET6) ||
	    (state != NEIGH_PERMANENT && state != NEIGH_NOARP && state != NEIGH_REACHABLE &&
	     state != NEIGH_STALE))
		return -EINVAL;
	struct neigh *e = lookup(st, nic, ip);
	if (e && (flags & NS_NEIGH_F_EXCL))
		return -EEXIST;
	if (!e) {
		if (!(flags & NS_NEIGH_F_CREATE))
			return -ENOENT;
		if (!(e = create(st, nic, ip)))
			return -ENOBUFS;
		memcpy(e->mac, mac, 6);
	} else if ((flags & NS_NEIGH_F_REPLACE) || e->state == NEIGH_INCOMPLETE ||
		   e->state == NEIGH_FAILED) {
		memcpy(e->mac, mac, 6);
	}
	e->used = e->confirmed = st_now(st);
	e->probes = 0;
	if (state == NEIGH_REACHABLE)
		set_state(st, e, NEIGH_REACHABLE, reachable_time(st, e));
	else if (state == NEIGH_STALE)
		set_state(st, e, NEIGH_STALE, GC_STALE);
	else
		set_state(st, e, (enum neigh_state)state, 0);
	send_queued(st, e);
	return 0;
}

int ns_stack_neigh_del(struct ns_stack *st, int nic_id, const struct ns_ip *ip)
{
	struct ns_nic *nic = ns_nic_get(st, nic_id);
	if (!nic)
		return -ENODEV;
	struct neigh *e = lookup(st, nic, ip);
	if (!e)
		return -ENOENT;
	/* What waited for it is lost, as Linux's neigh_delete (FAILED). */
	report_failure(st, e);
	entry_free(st, e);
	return 0;
}

int ns_stack_neigh_info(const struct ns_stack *st, unsigned idx, struct ns_neigh_info *out)
{
	for (unsigned b = 0; b < NEIGH_BUCKETS; b++) {
		for (const struct neigh *e = st->neigh->buckets[b]; e; e = e->hnext) {
			if (idx--)
				continue;
			memset(out, 0, sizeof(*out));
			out->nic = e->nic->id;
			out->ip = e->ip;
			memcpy(out->mac, e->mac, 6);
			out->state = e->state;
			return 0;
		}
	}
	return -ENOENT;
}

void neigh_print(const struct ns_stack *st, FILE *f)
{
	char ip[64];
	for (unsigned b = 0; b < NEIGH_BUCKETS; b++) {
		for (const struct neigh *e = st->neigh->buckets[b]; e; e = e->hnext) {
			const uint8_t *m = e->mac;
			fprintf(f, "  neigh %-8s %s lladdr %02x:%02x:%02x:%02x:%02x:%02x %s\n",
				e->nic->name, ns_ip_fmt(&e->ip, ip, sizeof(ip)), m[0], m[1], m[2], m[3],
				m[4], m[5], neigh_state_names[e->state]);
		}
	}
}

int neigh_init(struct ns_stack *st)
{
	st->neigh = calloc(1, sizeof(*st->neigh));
	return st->neigh ? 0 : -ENOMEM;
}

void neigh_fini(struct ns_stack *st)
{
	if (!st->neigh)
		return;
	neigh_flush_nic(st, NULL);
	free(st->neigh);
	st->neigh = NULL;
}
