/*
 * Internals of the IPv6 network layer, shared by its files only:
 *
 *   ipv6.c       input (validation, extension headers, demultiplexing),
 *                output (source selection, header, fragmentation, NDP),
 *                route lookup, settings
 *   ipv6_addr.c  per-interface state: addresses and their lifetimes,
 *                duplicate address detection (RFC 4862), SLAAC, link-local
 *   ipv6_pmtu.c  the path MTU cache (RFC 8201)
 *   frag6.c      fragment header input checks and output fragmentation
 *                (reassembly itself is frag.c's)
 *   icmp6.c      ICMPv6 (RFC 4443)
 *   ndp.c        neighbour and router discovery messages (RFC 4861); the
 *                neighbour cache itself is neigh.c's, shared with ARP
 *   mld.c        multicast listener reports (RFC 3810, RFC 2710)
 *
 * What other modules of the stack use is in stack_priv.h.
 */
#ifndef NS_IPV6_PRIV_H
#define NS_IPV6_PRIV_H

#include "stack_priv.h"

#define IP6_NIC_MAX_ADDR 16
#define IP6_NIC_MAX_GROUPS 256
#define IP6_NIC_MAX_ROUTERS 8
#define IP6_NIC_MAX_PREFIXES 16

/* RFC 4861 10: host constants. */
#define MAX_RTR_SOLICITATION_DELAY (1 * NS_SEC)
#define RTR_SOLICITATION_INTERVAL (4 * NS_SEC)
#define ND_RETRANS_TIMER (1 * NS_SEC)
#define ND_REACHABLE_TIME (30 * NS_SEC)

/* An address's state: 0 is a free slot, then the public NS_ADDR_*. */
enum { IP6A_FREE = 0 };
enum {
	IP6A_F_LINKLOCAL = 1u << 0, /* the EUI-64 link-local of ip6_nic_added() */
	IP6A_F_SLAAC = 1u << 1,	    /* RFC 4862 5.5.3 from a Router Advertisement */
	IP6A_F_ROUTE = 1u << 2,	    /* we added its connected (prefix) route */
};

struct ip6_nic;

/* An interface's settings, Linux's net.ipv6.conf.IF (sysctl.c): ints as
 * Linux stores them. The stack keeps the "default" set, copied to each new
 * interface, and the "all" set, of which only accept_dad acts (with the
 * interface's, as on Linux). */
struct ip6_conf {
	int hop_limit;	   /* of unicast packets from sockets that set none (1..255) */
	int accept_ra;	   /* 0: ignore Router Advertisements */
	int autoconf;	   /* 0: no SLAAC from advertised prefixes */
	int dad_transmits; /* RFC 4862 DupAddrDetectTransmits (as a u8, like Linux) */
	int accept_dad;	   /* < 1 here and in "all": no DAD */
	int mtu;	   /* all/default only: an interface's is ip6_nic.mtu */
	int disable_ipv6;  /* not 0: no addresses, nothing in or out (ip6_nic_disable) */
};

struct ip6_ifaddr {
	struct ip6_nic *in;
	uint8_t addr[16];
	uint8_t plen;
	uint8_t state; /* IP6A_FREE or NS_ADDR_* */
	uint8_t flags;
	uint8_t dad_left;  /* DAD solicitations still to send */
	uint8_t nonce[6];  /* RFC 7527: recognises our own DAD solicitation looped back */
	ns_time_t preferred_until, valid_until; /* NS_TIME_NEVER: infinite */
	/* One slot: the next DAD step while TENTATIVE, else the next
	 * lifetime event (deprecation, expiry). */
	struct ns_timer timer;
};

/* A multicast group we listen to on one link (RFC 3810 4: per-interface
 * state; with no sources, every group is in EXCLUDE {} mode). */
struct ip6_group {
	struct ip6_nic *in;
	uint8_t addr[16];
	uint16_t users;	      /* addresses (or the stack) that need it; 0: unused */
	uint8_t in_use;	      /* slot taken (users > 0, or leaving with reports left) */
	uint8_t reports_left; /* state-change reports still to send (RFC 3810 6.1) */
	uint8_t query_pending; /* a group-specific query is to be answered (6.2) */
	struct ns_timer timer;
};

/* RFC 4861 5.1: the Default Router List. */
struct ip6_router {
	struct ip6_nic *in;
	uint8_t addr[16];
	uint8_t in_use;
	struct ns_timer timer; /* invalidation */
};

/* RFC 4861 5.1: the Prefix List (on-link prefixes from advertisements). */
struct ip6_prefix {
	struct ip6_nic *in;
	uint8_t prefix[16];
	uint8_t plen;
	uint8_t in_use;
	struct ns_timer timer; /* invalidation */
};

struct ip6_nic {
	struct ns_nic *nic;
	struct ns_stack *st;
	struct ip6_ifaddr addrs[IP6_NIC_MAX_ADDR];
	struct ip6_group groups[IP6_NIC_MAX_GROUPS];
	struct ip6_router routers[IP6_NIC_MAX_ROUTERS];
	struct ip6_prefix prefixes[IP6_NIC_MAX_PREFIXES];
	uint32_t mtu;		  /* IPv6 LinkMTU: the link's, an RA's MTU option or conf/IF/mtu */
	struct ip6_conf conf;	  /* an RA's Cur Hop Limit lands in conf.hop_limit, as on Linux */
	ns_time_t reachable_base; /* RFC 4861 6.3.2 BaseReachableTime */
	ns_time_t retrans;	  /* RetransTimer */
	/* RFC 4861 6.3.7: router solicitations. */
	uint8_t rs_left;
	struct ns_timer rs_timer;
	/* RFC 3810 8.2.1: an MLDv1 querier was heard; until then, MLDv1. */
	ns_time_t mld1_until;
	/* RFC 3810 6.2: the pending answer to a general query. */
	struct ns_timer mld_query_timer;
	uint8_t mld_query_v1;
	/* The reports of every group again once the link-local address is
	 * ours (Linux's ipv6_mc_dad_complete): the ones sent before it came
	 * from ::. */
	struct ns_timer mld_dad_timer;
	uint8_t mld_dad_left;
};

#define IP6_FRAG_ID_SLOTS 1024
#define PMTU6_SLOTS 256

struct pmtu6_ent {
	uint8_t dst[16];
	uint32_t mtu;
	ns_time_t expires; /* 0: free */
};

struct ip6_state {
	/* Settings (ns_stack_set_option "ip6.*", sysctl.c). */
	uint8_t link_local;
	uint8_t rtr_solicits;
	struct ip6_conf conf_all, conf_dflt;
	/* An interface's settings while its IPv6 state is gone (link down,
	 * MTU below 1280: ip6_nic_down), by id. */
	struct ip6_conf conf_kept[NS_MAX_NICS + 1];
	uint8_t has_conf_kept[NS_MAX_NICS + 1];
	/* RFC 7739 4.3: per-destination fragment identification counters. */
	uint32_t frag_id[IP6_FRAG_ID_SLOTS];
	struct pmtu6_ent pmtu[PMTU6_SLOTS];
	ns_time_t pmtu_last_expiry; /* when the last entry expires */
};

static inline struct ip6_nic *ip6n(const struct ns_nic *nic)
{
	return nic->ip6;
}

static inline struct ns_ip ns_ip6(const uint8_t a[16])
{
	struct ns_ip r;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	memcpy(r.v6, a, 16);
	return r;
}

/* A random delay in [0, max). */
ns_time_t ip6_rand_delay(struct ns_stack *st, ns_time_t max);

/* ---- ipv6.c ---- */
/*
 * Send p (data after the IPv6 header: an extension header or ICMPv6) out
 * of `nic` from exactly `src` (:: allowed: DAD, MLD before a link-local
 * address) to `dst` (multicast, or unicast resolved by NDP), hop limit
 * `hlim`, Next Header `nxt`. The caller has completed every checksum.
 * Consumes p. For NDP and MLD, which choose their own addresses.
 */
int ip6_send_on(struct ns_nic *nic, struct pkt *p, const uint8_t src[16], const uint8_t dst[16],
		uint8_t nxt, uint8_t hlim);
/*
 * The upper-layer header of a packet (data at its IPv6 header, `len`
 * bytes): 0 with *proto and *off, -1 if it is not there (a later
 * fragment, or a chain cut short). For our own packets and for the quotes
 * in ICMPv6 errors.
 */
int ip6_upper_layer(const uint8_t *h, uint32_t len, uint8_t *proto, uint32_t *off);
/* RFC 6724 (simplified): the best source for dst among nic's addresses
 * (any interface's if `nic` has none and dst is global). 0 or -EADDRNOTAVAIL. */
int ip6_select_src(struct ns_stack *st, struct ns_nic *nic, const uint8_t dst[16], uint8_t out[16]);
/* The interface a datagram to group `dst` leaves by, NULL for none
 * (ENETUNREACH): `oif` if it has a route to groups, else the first that
 * has. As Linux, every interface with IPv6 but loopback has ff00::/8;
 * others need a route in the table (ip -6 route add ff00::/8 dev lo). */
struct ns_nic *ip6_mcast_nic(struct ns_stack *st, const uint8_t dst[16], int oif);

/* ---- ipv6_addr.c ---- */
int ip6_nic_init(struct ns_stack *st, struct ns_nic *nic);
void ip6_nic_fini(struct ns_nic *nic);
/* The slot of address `a` on nic (any state), or NULL. */
struct ip6_ifaddr *ip6_ifaddr_find(struct ns_nic *nic, const uint8_t a[16]);
/* Add an address: `flags` IP6A_F_*, lifetimes in ns (NS_TIME_NEVER:
 * infinite). Starts DAD. Returns the slot or NULL (-errno in *err). */
struct ip6_ifaddr *ip6_ifaddr_add(struct ns_nic *nic, const uint8_t a[16], unsigned plen,
				  unsigned flags, ns_time_t valid, ns_time_t preferred, int *err);
void ip6_ifaddr_del(struct ip6_ifaddr *ia);
/* New lifetimes for an existing address (RFC 4862 5.5.3 e). */
void ip6_ifaddr_set_lifetimes(struct ip6_ifaddr *ia, ns_time_t valid, ns_time_t preferred);
/* net.ipv6.conf.IF.disable_ipv6 = v: turning IPv6 off removes every
 * address of nic (::1 too) and drops its packets; turning it on again
 * starts over as for a new interface (::1, the link-local address), as
 * Linux does. */
void ip6_nic_disable(struct ns_nic *nic, int v);
/* RFC 4862 5.4.5: another node holds the tentative address. */
void ip6_dad_failed(struct ip6_ifaddr *ia);
/* Is `a` a usable unicast address of nic (PREFERRED or DEPRECATED)? */
int ip6_nic_has_addr(const struct ns_nic *nic, const uint8_t a[16]);
/* The nic's usable link-local address, or NULL. */
const uint8_t *ip6_nic_linklocal(const struct ns_nic *nic);

/* ---- ipv6_pmtu.c ---- */
/* The path MTU to dst, 0 when nothing is known. */
uint32_t pmtu6_get(struct ns_stack *st, const uint8_t dst[16]);
/* A Packet Too Big said `mtu` (RFC 8201 4); returns 1 if the estimate went down. */
int pmtu6_update(struct ns_stack *st, const uint8_t dst[16], uint32_t mtu, uint32_t link_mtu);

/* ---- frag6.c ---- */
int frag6_init(struct ns_stack *st);
void frag6_fini(struct ns_stack *st);
/*
 * The Fragment header at byte *off of the packet (data at its IPv6
 * header, p->l3_off there too), named by the Next Header field at *nh_off.
 * Returns 1 when the walk goes on, with *pp possibly replaced by the
 * reassembled datagram (data at its IPv6 header) and *off, *nh_off, *nxt
 * saying where; 0 when the packet was consumed (held or dropped).
 */
int frag6_input(struct ns_stack *st, struct pkt **pp, uint32_t *off, uint32_t *nh_off,
		uint8_t *nxt);
/* Fragment p (data at the IPv6 header, no extension headers) to `mtu`;
 * each fragment goes to out(). Consumes p. */
int frag6_output(struct ns_stack *st, struct pkt *p, uint32_t mtu,
		 int (*out)(struct ns_stack *st, struct pkt *frag, void *arg), void *arg);

/* ---- icmp6.c ---- */
void icmp6_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3); /* consumes p */
/* The ICMPv6 checksum over p's data (at the ICMPv6 header) from src to dst. */
uint16_t icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *d, uint32_t len);

/* ---- ndp.c ---- */
/* p (consumed) is a checksummed ICMPv6 message of type 133-137. */
void ndp_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3);
/* RFC 4862 5.4.2: a DAD solicitation for the tentative address. */
void ndp_send_dad(struct ip6_ifaddr *ia);
/* RFC 4861 7.2.6: unsolicited NA is not sent (as Linux by default). */
/* RFC 4861 6.3.7: start soliciting routers on nic (after its link-local
 * address is usable). */
void ndp_start_rs(struct ip6_nic *in);
/* Default router for a destination off-link: 0 with *nic and gw[16], or
 * -ENETUNREACH. bound_nic restricts the choice. */
int ndp_default_router(struct ns_stack *st, int bound_nic, struct ns_nic **nic, uint8_t gw[16]);
void ndp_nic_init(struct ip6_nic *in);
void ndp_nic_fini(struct ip6_nic *in);
/* "  router IFNAME ADDR" / "  prefix IFNAME P/L" lines. */
void ndp_print(const struct ip6_nic *in, FILE *f);

/* ---- mld.c ---- */
/* Join / leave group `g` on nic (refcounted); reports per RFC 3810 6.1
 * except for ff02::1 (RFC 3810 6: never reported), the first at once or,
 * with `delay`, at random within the Unsolicited Report Interval. 0 or
 * -ENOSPC. */
int mld_join(struct ip6_nic *in, const uint8_t g[16], int delay);
void mld_leave(struct ip6_nic *in, const uint8_t g[16], int delay);
/* Do we listen to group g on nic? */
int mld_is_member(const struct ip6_nic *in, const uint8_t g[16]);
/* p (consumed) is a checksummed ICMPv6 MLD message (130, 131, 132, 143). */
void mld_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3);
void mld_nic_init(struct ip6_nic *in);
void mld_nic_fini(struct ip6_nic *in);
/* Join the groups sockets joined on nic again (its IPv6 state is new). */
void mld_nic_rejoin(struct ip6_nic *in);
/* The link-local address passed DAD: report every group again from it. */
void mld_dad_complete(struct ip6_nic *in);

#endif
