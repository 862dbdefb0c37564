/*
 * Introspection: what `ip link`, `ip addr`, `ip route`, `ss`, the files
 * of /proc/net and netlink route sockets show. Read-only snapshots into
 * caller-owned structs; nothing here changes the stack.
 */
#ifndef NS_INFO_H
#define NS_INFO_H

#include <stdint.h>

#include "ns/link.h"
#include "ns/stack.h"

struct ns_socket;

enum {
	NS_NIC_UP = 1u << 0,
	NS_NIC_LOOPBACK = 1u << 1,
	NS_NIC_BROADCAST = 1u << 2, /* Ethernet-like: ARP/NDP, broadcast */
	NS_NIC_MULTICAST = 1u << 3,
	NS_NIC_NEVER_UP = 1u << 4, /* started down, never up (qdisc noop) */
};

struct ns_nic_info {
	int id; /* 1-based; also the interface index programs see */
	char name[16];
	uint8_t mac[6];
	uint32_t mtu;
	unsigned flags; /* NS_NIC_* */
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_dropped;
	uint64_t rx_errors, tx_errors;
};

/* Number of interfaces (ids are 1..count). */
int ns_stack_nic_count(const struct ns_stack *st);
/* 0, or -ENODEV. */
int ns_stack_nic_info(const struct ns_stack *st, int id, struct ns_nic_info *out);

/* Address flags (ns_addr_info.flags); the state is ns/stack.h's NS_ADDR_*. */
enum {
	NS_ADDRF_AUTOCONF = 1u << 0,  /* IPv6 SLAAC (RFC 4862) */
	NS_ADDRF_LINKLOCAL = 1u << 1, /* IPv6 link-local of the interface */
};

struct ns_addr_info {
	int nic;
	struct ns_ip addr;
	unsigned prefixlen;
	int state;		  /* NS_ADDR_TENTATIVE...; IPv4: NS_ADDR_PREFERRED */
	unsigned flags;		  /* NS_ADDRF_* */
	uint32_t valid_lft_s;	  /* UINT32_MAX: forever */
	uint32_t preferred_lft_s; /* UINT32_MAX: forever */
};

/* The idx-th address (IPv4 first, by interface), 0 or -ENOENT past the end. */
int ns_stack_addr_info(struct ns_stack *st, unsigned idx, struct ns_addr_info *out);

struct ns_route_info {
	struct ns_ip dst;
	unsigned prefixlen;
	int has_gw;
	struct ns_ip gw;
	int nic;
	uint32_t metric;
};

/* The idx-th route, longest prefix first; 0 or -ENOENT past the end. */
int ns_stack_route_info(const struct ns_stack *st, unsigned idx, struct ns_route_info *out);

/* What the stack would do to send to dst from interface oif (0: any), as
 * `ip route get` asks: the interface, the next hop when it is not dst, the
 * source it would pick, and whether dst is one of our own addresses (then
 * the interface is the loopback). An IPv6 link-scope dst without oif takes
 * the link of the first route that covers it. 0 or -errno (-ENETUNREACH,
 * -EADDRNOTAVAIL, ...). */
struct ns_route_lookup {
	int nic;
	int has_gw;
	struct ns_ip gw;
	struct ns_ip src;
	int local;
};
int ns_stack_route_lookup(struct ns_stack *st, const struct ns_ip *dst, int oif, struct ns_route_lookup *out);

struct ns_neigh_info {
	int nic;
	struct ns_ip ip;
	uint8_t mac[6];
	int state; /* enum ns_neigh_state */
};

/* The idx-th neighbour cache entry; 0 or -ENOENT past the end. */
int ns_stack_neigh_info(const struct ns_stack *st, unsigned idx, struct ns_neigh_info *out);

/* Linux /proc/net/tcp "tr" timer kinds. */
enum { NS_SOCK_TIMER_NONE = 0, NS_SOCK_TIMER_RTO = 1, NS_SOCK_TIMER_KEEP = 2,
       NS_SOCK_TIMER_TW = 3, NS_SOCK_TIMER_PROBE = 4 };

struct ns_sock_info {
	int domain, type, protocol;
	int state;		/* Linux's TCP state numbers (TCP_ESTABLISHED = 1...);
				   UDP: 1 connected, 7 otherwise */
	struct ns_ip laddr, raddr; /* IPv4 peers of AF_INET6 sockets: IPv4 */
	uint16_t lport, rport;
	uint32_t rx_queue;	/* bytes readable (TCP) / queued datagrams' bytes (UDP) */
	uint32_t tx_queue;	/* bytes not yet acknowledged (TCP) */
	uint32_t drops;		/* datagrams dropped at the socket (UDP: a full queue, a filter) */
	uint8_t timer;		/* NS_SOCK_TIMER_* */
	ns_time_t timer_expires; /* stack time, when timer != NONE */
	uint32_t retransmits;
	int listening_backlog;	/* LISTEN: accept queue length */
	uint8_t user_held;	/* a user handle exists (not orphaned) */
	uint8_t rx_done;	/* TCP: a FIN or the connection's end closed the receive side (Linux SOCK_DONE) */
	uintptr_t id;		/* stable while the socket lives */
};

int ns_socket_info(struct ns_socket *s, struct ns_sock_info *out);
/* Calls fn for every socket of the stack (user-held and orphaned alike);
 * stops early when fn returns non-zero, which is returned. */
int ns_stack_foreach_socket(struct ns_stack *st, int (*fn)(const struct ns_sock_info *i, void *arg),
			    void *arg);

#endif
