/*
 * `moat do`'s networking (DESIGN.md "Networking modes"): everything on the
 * host side of a sandbox's network, set up before the sentry starts and
 * removed when it ends.
 *
 *   sandbox (default)  a veth pair: the host side "moatN" gets 10.211.N.1/24
 *                      and fd00:6d6f:6174:N::1/64, the other side is "eth0"
 *                      in a fresh, otherwise empty network namespace, handed
 *                      to the netstack over AF_PACKET (its kernel addresses
 *                      removed, kernel ARP and IPv6 off); the sandbox is
 *                      10.211.N.2 and fd00:6d6f:6174:N::2, default routes via
 *                      the host side. N is the lowest free subnet (a lock
 *                      serialises concurrent starts). An IPv6 --ip replaces
 *                      the IPv6 pair (the host side then has no IPv6).
 *   none               the netstack with loopback only
 *   host               host sockets (weaker isolation; warned about)
 *   iface:NAME         take over interface NAME of moat's network namespace
 *                      (tests, and the OCI runtime's container namespace)
 *
 * Who holds what: moat opens the AF_PACKET socket (and the pcap file) and
 * hands them to the sentry in struct sandbox_net; the namespace of eth0 is
 * kept alive only by that socket, so when moat dies, even by SIGKILL, the
 * kernel destroys the namespace and with it both veth ends. Port
 * forwarders (-p) are a child process (net_fwd.c) that dies with moat
 * (PR_SET_PDEATHSIG). What outlives a SIGKILL (NAT rules) is written to
 * /run/moat/net/PID before it is created, and any moat that starts later
 * removes the records of dead ones.
 */
#ifndef MOAT_NET_H
#define MOAT_NET_H

#include <stdint.h>
#include <sys/types.h>

#include "../../sentry/sandbox.h"

#define MOAT_NET_MAX 16

struct moat_port {
	char hostip[64];
	uint16_t hostport, port;
	int udp;
};

struct moat_net_opts {
	const char *mode;		  /* NULL = "sandbox" */
	const char *ips[MOAT_NET_MAX];	  /* --ip CIDR */
	int nips;
	const char *gateways[2];	  /* --gateway IP */
	int ngateways;
	int nat;
	struct moat_port ports[MOAT_NET_MAX];
	int nports;
	const char *pcap;
	const char *dns[4];
	int ndns;
	const char *sets[16];		  /* --net-set KEY=VALUE */
	int nsets;
	const char *add_hosts[MOAT_NET_MAX]; /* NAME:IP */
	int nadd_hosts;
	const char *hostname;		  /* for /etc/hosts */
	int no_offload;			  /* plain frames on the link (no vnet header) */
};

struct moat_net;

/* Parses "[HOSTIP:]HOSTPORT:PORT[/tcp|/udp]". 0 or -EINVAL. */
int moat_port_parse(const char *s, struct moat_port *out);

/* Builds the network; fills *cfg for the sentry. Prints why on failure. */
int moat_net_up(const struct moat_net_opts *o, struct sandbox_net *cfg, struct moat_net **out);
/* Removes everything moat_net_up made (safe on NULL). */
void moat_net_down(struct moat_net *n);

/* Brings ifname (of the current network namespace) up, opens the
 * AF_PACKET link on it and takes it over from the kernel. 0 or -errno. */
int moat_net_open_iface(const char *ifname, int offload, struct ns_link **out);

/* Removes what a sandbox's record lists (NAT rules; a veth still there),
 * then the record, under the network lock. */
void moat_net_clean_record(const char *path);
/* net_watch.c: a process that cleans the record when this moat ends, even
 * by SIGKILL. Its pid, or -errno. */
pid_t moat_net_watch_start(const char *record);

/* net_fwd.c: forwards each published port to dst (the sandbox's address)
 * from a child process; its listening sockets are open when this returns
 * (errors such as EADDRINUSE are reported here). Returns the pid. */
pid_t moat_fwd_start(const struct moat_port *ports, int nports, const char *dst);

#endif
