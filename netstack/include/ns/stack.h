/*
 * The netstack's public API: create a stack, give it interfaces (link
 * endpoints), addresses and routes, drive it with time, read its counters.
 * Sockets are in ns/socket.h.
 *
 * Driving the stack: it never sleeps and never reads the clock. The caller
 * (ns/loop.h, or a test with a fake clock) advances the stack's timer wheel to
 * `now`, lets links deliver frames, calls ns_stack_poll() until it reports no
 * more work, calls ns_stack_flush() and sleeps until ns_wheel_next().
 *
 * All functions return >= 0 on success and -errno on failure.
 */
#ifndef NS_STACK_H
#define NS_STACK_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "ns/common.h"
#include "ns/link.h"
#include "ns/stats.h"
#include "ns/timer.h"

struct ns_stack;

/* An IP address of either family. v4 is in host byte order. */
struct ns_ip {
	uint16_t family; /* AF_INET or AF_INET6 */
	union {
		uint32_t v4;
		uint8_t v6[16];
	};
};

static inline struct ns_ip ns_ip4(uint32_t host_order)
{
	struct ns_ip a;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.v4 = host_order;
	return a;
}

int ns_ip_eq(const struct ns_ip *a, const struct ns_ip *b);
int ns_ip_is_any(const struct ns_ip *a);
/* Parses "10.0.0.1" or "fe80::1"; 0 or -EINVAL. */
int ns_ip_parse(const char *s, struct ns_ip *out);
/* Parses "10.0.0.1/24"; a missing prefix means a host route. */
int ns_cidr_parse(const char *s, struct ns_ip *out, unsigned *prefixlen);
/* Formats into buf (at least 46 bytes); returns buf. */
const char *ns_ip_fmt(const struct ns_ip *a, char *buf, size_t len);

struct ns_stack_config {
	/* Timer wheel to arm the stack's timers on; NULL: the stack owns one.
	 * Sharing lets the sentry's timeouts live on the same wheel. */
	struct ns_wheel *wheel;
	/* Secret for ISNs, SYN cookies, IP IDs, ephemeral ports; the caller
	 * fills it from a good random source. */
	uint8_t secret[16];
	/* Do not create the loopback interface (nic 1, "lo"). */
	int no_loopback;
};

int ns_stack_create(const struct ns_stack_config *cfg, struct ns_stack **out);
/* Frees the stack, every socket still open, every interface and its link. */
void ns_stack_destroy(struct ns_stack *s);

struct ns_wheel *ns_stack_wheel(struct ns_stack *s);
/* The wall clock (CLOCK_REALTIME) minus the clock that drives the wheel,
 * in ns: IPv4 timestamp options carry the time of day. 0 until set. */
void ns_stack_set_wall_offset(struct ns_stack *s, ns_time_t offset);
static inline ns_time_t ns_stack_now(struct ns_stack *s);

/*
 * Deliver frames that links hold without an fd (loopback) and run deferred
 * work. Returns > 0 when more work is pending (do not sleep), else 0.
 */
int ns_stack_poll(struct ns_stack *s);
/* Flush batched output on every link. Call before sleeping. Returns > 0
 * when the flush left frames that a link delivers itself (loopback: the
 * reply to something sent to ourselves), so poll again before sleeping. */
int ns_stack_flush(struct ns_stack *s);
/* Why the stack has work pending now (a link with frames queued), or NULL
 * (the loop's idle check). Changes nothing. */
const char *ns_stack_busy(struct ns_stack *s);

/* Interfaces. The stack takes ownership of `link`. Returns the nic id. */
int ns_stack_add_nic(struct ns_stack *s, struct ns_link *link);
int ns_stack_nic_by_name(struct ns_stack *s, const char *name);
/* Calls fn for every interface's link (e.g. to register fds with a loop). */
void ns_stack_foreach_link(struct ns_stack *s, void (*fn)(struct ns_link *l, void *arg),
			   void *arg);

/*
 * Addresses and routes. Adding an address adds its connected route.
 * An IPv6 address first runs Duplicate Address Detection (RFC 4862 5.4)
 * unless the link is loopback or ip6.dad_transmits is 0: it is TENTATIVE
 * (unusable) for about a second, then PREFERRED; if another node holds it,
 * it becomes DADFAILED, stays unusable, is counted (ndp.dad_failed) and
 * shown by ns_stack_print_stats(), until it is deleted.
 */
int ns_stack_add_addr(struct ns_stack *s, int nic, const struct ns_ip *addr, unsigned prefixlen);
int ns_stack_del_addr(struct ns_stack *s, int nic, const struct ns_ip *addr);
enum {
	NS_ADDR_TENTATIVE = 1, /* RFC 4862 5.4: DAD running */
	NS_ADDR_PREFERRED,     /* usable */
	NS_ADDR_DEPRECATED,    /* RFC 4862 5.5.4: usable, not chosen as a source */
	NS_ADDR_DADFAILED,     /* another node holds it */
};
/* The state of one address of interface `nic`: NS_ADDR_*, or -errno. */
int ns_stack_addr_state(struct ns_stack *s, int nic, const struct ns_ip *addr);
/* gw may be NULL (directly connected). nic 0: pick by the gateway (an
 * IPv6 link-local gateway needs the interface when several links exist). */
int ns_stack_add_route(struct ns_stack *s, const struct ns_ip *dst, unsigned prefixlen,
		       const struct ns_ip *gw, int nic);
int ns_stack_del_route(struct ns_stack *s, const struct ns_ip *dst, unsigned prefixlen);

/*
 * Link state and MTU (ip link set IF up|down|mtu N). A link that is down
 * sends and receives nothing; as on Linux its routes are removed (static
 * ones are not restored), its IPv6 addresses and neighbour entries too,
 * while its IPv4 addresses stay and get their connected routes back when
 * it comes up; a route through it cannot be added (-ENETDOWN). The MTU is
 * that of new traffic (TCP MSS, fragmentation); below 68 the interface
 * loses its IPv4 addresses, below 1280 its IPv6 (Linux). The caller checks
 * the MTU against the link's bounds. 0 or -ENODEV.
 */
int ns_stack_nic_set_up(struct ns_stack *s, int nic, int up);
/* Takes a NIC just added down, as one that was never up (a new network
 * namespace's lo; Linux shows it with qdisc noop until it first goes up). */
int ns_stack_nic_start_down(struct ns_stack *s, int nic);
int ns_stack_nic_set_mtu(struct ns_stack *s, int nic, uint32_t mtu);

/*
 * The neighbour cache (ARP for IPv4, NDP for IPv6), as `ip neigh` writes
 * it. PERMANENT and NOARP entries never expire and what is received never
 * changes them; REACHABLE and STALE ones follow Neighbour Unreachability
 * Detection from there (RFC 4861 7.3.2). Setting an entry sends what was
 * waiting for its resolution. Flags as netlink's NLM_F_CREATE/EXCL/REPLACE:
 * no entry and no CREATE -ENOENT; an entry and EXCL -EEXIST; an entry
 * without REPLACE keeps its link address. 0, -ENODEV, -EINVAL (a state
 * other than PERMANENT, NOARP, REACHABLE, STALE; not IPv4 or IPv6),
 * -ENOBUFS; del: 0 or -ENOENT.
 */
enum ns_neigh_state {
	NS_NEIGH_INCOMPLETE,
	NS_NEIGH_REACHABLE,
	NS_NEIGH_STALE,
	NS_NEIGH_DELAY,
	NS_NEIGH_PROBE,
	NS_NEIGH_FAILED,
	NS_NEIGH_PERMANENT,
	NS_NEIGH_NOARP,
};
enum { NS_NEIGH_F_CREATE = 1, NS_NEIGH_F_EXCL = 2, NS_NEIGH_F_REPLACE = 4 };
int ns_stack_neigh_set(struct ns_stack *s, int nic, const struct ns_ip *ip, const uint8_t mac[6],
		       int state, unsigned flags);
int ns_stack_neigh_del(struct ns_stack *s, int nic, const struct ns_ip *ip);

/*
 * Stack-wide settings, by name (the netstack's "sysctls"):
 *   tcp.timewait_ms, tcp.fin_timeout_ms, tcp.rmem_max, tcp.wmem_max,
 *   tcp.syncookies (0/1), tcp.sack, tcp.timestamps, tcp.window_scaling,
 *   tcp.ecn (0 off, 1 request and accept, 2 accept only: Linux's default),
 *   tcp.congestion (cubic | reno),
 *   ip4.reasm_timeout_ms (30000), ip6.reasm_timeout_ms (60000),
 *   ip6.dad_transmits (1; 0: no DAD), ip6.link_local (1: an EUI-64
 *   fe80::/64 address on every interface added later that resolves
 *   neighbours; 0: none, and so no router solicitations), ip6.accept_ra (1),
 *   ip6.autoconf (1: SLAAC from advertised prefixes), ip6.router_solicitations
 *   (3), ip6.hop_limit (64); dad_transmits, accept_ra, autoconf and
 *   hop_limit set every interface's value and the default of new ones
 * Returns 0, -ENOENT (unknown key) or -EINVAL (bad value).
 */
int ns_stack_set_option(struct ns_stack *s, const char *key, const char *value);

const struct ns_stats *ns_stack_stats(const struct ns_stack *s);

/*
 * The settings under their /proc/sys/net names ("ipv4/tcp_sack",
 * "core/somaxconn", "ipv6/conf/lo/hop_limit"; netstack/sysctl.c), as text
 * the way Linux reads and writes them. ns_sysctl_name lists the names
 * outside ipv6/conf (NULL past the last); ns_sysctl_conf_key lists the
 * keys of each ipv6/conf/IF directory, whose IFs are "all", "default" and
 * every interface's name. ns_sysctl_read returns the length written or
 * -ENOENT; ns_sysctl_write returns the bytes it took (as Linux's write
 * does: all of them, but ipv6/conf's stop after the blanks that follow the
 * number; 0 for an empty write), -EINVAL (not numbers, out of range),
 * -ENOENT (no such name; an unknown congestion control) or -EPERM
 * (read-only); ns_sysctl_writable says 1, 0 or -ENOENT.
 */
const char *ns_sysctl_name(unsigned idx);
const char *ns_sysctl_conf_key(unsigned idx);
int ns_sysctl_writable(struct ns_stack *s, const char *name);
int ns_sysctl_read(struct ns_stack *s, const char *name, char *buf, size_t len);
int ns_sysctl_write(struct ns_stack *s, const char *name, const char *text, size_t len);
/* Prints every non-zero counter, one "name value" per line, the links, the
 * neighbour cache ("neigh IFNAME IP lladdr MAC STATE") and pool use. */
void ns_stack_print_stats(const struct ns_stack *s, FILE *f, int all);

/* Inline accessor: the time the stack's wheel was last advanced to. */
static inline ns_time_t ns_stack_now(struct ns_stack *s)
{
	return ns_stack_wheel(s)->now;
}

#endif
