/*
 * `moat stack`: the netstack on its own, on a host interface (AF_PACKET) or
 * a tap device, with optional pcap capture and test services. It is how the
 * stack meets Linux in tests before the sandbox exists, and a debugging tool.
 *
 * Counters are printed on SIGUSR1 and at exit; SIGINT/SIGTERM exit cleanly.
 * "moat stack: ready" on stderr means every address and service is set up.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "moat.h"
#include "tcp_svc.h"
#include "ns/info.h"
#include "ns/link.h"
#include "ns/loop.h"
#include "ns/socket.h"
#include "ns/stack.h"

#define MAX_ADDRS 16
#define MAX_SERVICES 16

struct service {
	struct ns_socket *sock;
	int ready;
	uint64_t count;
	const char *kind;
	uint16_t port;
};

struct stack_ctx {
	struct ns_stack *st;
	struct ns_loop *loop;
	struct service svc[MAX_SERVICES];
	int nsvc;
	int sfd;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: moat stack (--iface IF | --tap NAME) --addr CIDR [options]\n"
		"\n"
		"  --iface IF        take over host interface IF (AF_PACKET); its kernel\n"
		"                    addresses are removed so only the netstack answers\n"
		"  --tap NAME        create/attach tap device NAME (the kernel side is the peer)\n"
		"  --addr CIDR       address of the netstack, e.g. 10.0.0.2/24 or fd00::2/64\n"
		"                    (repeatable, both families; IPv6 ones run DAD first, and\n"
		"                    the link gets a fe80:: address and listens to routers)\n"
		"  --gw IP           default gateway (repeatable: one IPv4, one IPv6)\n"
		"  --route CIDR,GW   extra route via GW (repeatable, either family)\n"
		"  --mtu N           use MTU N (at most the link's)\n"
		"  --pcap FILE       write every frame in and out to FILE (pcap)\n"
		"  --no-offload      plain frames: no virtio-net header, checksum or GSO offload\n"
		"  --udp-echo PORT   echo UDP datagrams on PORT (repeatable)\n"
		"  --udp-client IP:PORT  send --count datagrams of --size bytes to IP:PORT,\n"
		"                    expect each echoed back intact, print a summary, exit\n"
		"                    (0 when every echo came back, 1 otherwise)\n"
		"  --count N --size N --timeout SECONDS   for --udp-client (1, 64, 5)\n"
		"  --tcp-echo PORT | --tcp-discard PORT | --tcp-sink PORT\n"
		"                    TCP services (repeatable); sink prints each\n"
		"                    connection's byte count and SHA-256\n"
		"  --tcp-source PORT:BYTES  send BYTES of a fixed pattern to each client\n"
		"  --tcp-client IP:PORT     connect (--conns N, default 1), send --send BYTES\n"
		"                    of the pattern or --send-file FILE, then shut down\n"
		"                    writing; --recv reads until the peer closes; --echo\n"
		"                    checks that what comes back is what was sent;\n"
		"                    --nodelay, --congestion NAME; prints SHA-256 digests\n"
		"                    and exits 0 when every connection succeeded\n"
		"  --set KEY=VALUE   stack setting (tcp.timewait_ms, tcp.rmem_max,\n"
		"                    tcp.congestion, tcp.syncookies, tcp.sack, ...,\n"
		"                    ip6.dad_transmits, ip6.accept_ra, ip6.reasm_timeout_ms, ...)\n"
		"  --verbose         log every connection\n"
		"  --no-hash         client and sink: no data pattern, no SHA-256 (benchmarks)\n"
		"  --stats-all       print zero counters too\n"
		"\n"
		"Counters are printed on SIGUSR1 and at exit. SIGINT/SIGTERM stop it.\n");
}

static void svc_wake(struct ns_socket *s, uint32_t events, void *ctx)
{
	struct service *sv = ctx;
	if (events & POLLIN)
		sv->ready = 1;
}

static void udp_echo_run(struct service *sv)
{
	uint8_t buf[65536];
	for (;;) {
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		ssize_t n = ns_recvfrom(sv->sock, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		/* A sender without an address (0.0.0.0, DHCP-style, to the
		 * broadcast; or ::) cannot be answered: a reply to the
		 * wildcard goes to this host, so from 0.0.0.0:PORT it echoed
		 * to itself forever. */
		static const uint8_t mapped_any[16] = { [10] = 0xff, [11] = 0xff };
		if (IN6_IS_ADDR_UNSPECIFIED(&from.sin6_addr) || !memcmp(&from.sin6_addr, mapped_any, 16))
			continue;
		sv->count++;
		ns_sendto(sv->sock, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static int services_hook(void *arg)
{
	struct stack_ctx *c = arg;
	for (int i = 0; i < c->nsvc; i++) {
		if (!c->svc[i].ready)
			continue;
		c->svc[i].ready = 0;
		udp_echo_run(&c->svc[i]);
	}
	return 0;
}

static int add_udp_echo(struct stack_ctx *c, const char *portstr)
{
	char *end;
	long port = strtol(portstr, &end, 10);
	if (*end || port <= 0 || port > 65535) {
		moat_err("bad port '%s'\n", portstr);
		return -EINVAL;
	}
	if (c->nsvc == MAX_SERVICES)
		return -ENOSPC;
	struct service *sv = &c->svc[c->nsvc];
	/* Dual-stack on [::]: IPv4 senders arrive v4-mapped. */
	int r = ns_socket_create(c->st, AF_INET6, SOCK_DGRAM, 0, &sv->sock);
	if (r < 0)
		return r;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	r = ns_bind(sv->sock, (struct sockaddr *)&a, sizeof(a));
	if (r < 0) {
		moat_err("udp-echo %ld: bind: %s\n", port, strerror(-r));
		ns_close(sv->sock);
		return r;
	}
	sv->kind = "udp-echo";
	sv->port = (uint16_t)port;
	ns_socket_set_wake(sv->sock, svc_wake, sv);
	c->nsvc++;
	return 0;
}

static int stats_all;

static void print_stats(struct stack_ctx *c)
{
	ns_stack_print_stats(c->st, stderr, stats_all);
	for (int i = 0; i < c->nsvc; i++)
		fprintf(stderr, "  service %s:%u handled %llu\n", c->svc[i].kind, c->svc[i].port,
			(unsigned long long)c->svc[i].count);
	/* Live memory, as opposed to RSS (which keeps the allocator's and the
	 * packet caches' high-water marks): what tests and users compare per
	 * connection. */
	struct mallinfo2 mi = mallinfo2();
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	fprintf(stderr, "  memory: heap in use %zu bytes, free in the heap %zu; packets in use %llu "
		"(%llu bytes), cached for reuse %llu bytes\n", mi.uordblks + mi.hblkhd, mi.fordblks,
		(unsigned long long)ps.in_use, (unsigned long long)ps.bytes_in_use,
		(unsigned long long)ps.cached_bytes);
	fflush(stderr);
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct stack_ctx *c = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			print_stats(c);
		else
			ns_loop_stop(c->loop);
	}
}

static ns_time_t realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (ns_time_t)ts.tv_sec * NS_SEC + (ns_time_t)ts.tv_nsec;
}

/* ---- --udp-client: request/response with an echo server ---- */

struct udp_client {
	struct ns_socket *sock;
	long count, size;
	long sent, ok, bad;
	ns_time_t deadline;
	int ready;
	uint8_t *buf, *rbuf;
};

static void udp_client_wake(struct ns_socket *s, uint32_t events, void *ctx)
{
	struct udp_client *u = ctx;
	if (events & (POLLIN | POLLERR))
		u->ready = 1;
}

static void fill_pattern(uint8_t *b, long size, long seq)
{
	for (long i = 0; i < size; i++)
		b[i] = (uint8_t)(seq * 7 + i * 13 + (i >> 8));
}

/* One datagram in flight at a time: send, wait for the echo, compare. */
static int udp_client_step(struct udp_client *u, struct ns_loop *loop)
{
	for (;;) {
		ssize_t n = ns_recv(u->sock, u->rbuf, (size_t)u->size + 1, 0);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			moat_err("udp-client: receive: %s\n", strerror((int)-n));
			u->bad++;
			ns_loop_stop(loop);
			return 0;
		}
		fill_pattern(u->buf, u->size, u->sent - 1);
		if (n == u->size && memcmp(u->rbuf, u->buf, (size_t)n) == 0)
			u->ok++;
		else
			u->bad++;
		u->ready = 2; /* send the next one */
	}
	if (u->sent == 0 || u->ready == 2) {
		if (u->sent == u->count) {
			ns_loop_stop(loop);
			return 0;
		}
		fill_pattern(u->buf, u->size, u->sent);
		ssize_t r = ns_send(u->sock, u->buf, (size_t)u->size, 0);
		if (r < 0) {
			moat_err("udp-client: send: %s\n", strerror((int)-r));
			u->bad++;
			ns_loop_stop(loop);
			return 0;
		}
		u->sent++;
		u->ready = 0;
	}
	return 0;
}

struct client_hook {
	struct udp_client *u;
	struct ns_loop *loop;
	struct ns_stack *st;
};

static int udp_client_hook(void *arg)
{
	struct client_hook *h = arg;
	if (ns_stack_now(h->st) > h->u->deadline) {
		moat_err("udp-client: timed out\n");
		ns_loop_stop(h->loop);
		return 0;
	}
	udp_client_step(h->u, h->loop);
	return 0;
}

static struct ns_timer client_deadline_timer;
static void client_deadline(struct ns_timer *t, ns_time_t now)
{
	/* Only wakes the loop so the hook sees the deadline. */
}

enum { OPT_IFACE = 1, OPT_TAP, OPT_ADDR, OPT_GW, OPT_ROUTE, OPT_MTU, OPT_PCAP, OPT_NO_OFFLOAD,
       OPT_UDP_ECHO, OPT_STATS_ALL, OPT_HELP, OPT_UDP_CLIENT, OPT_COUNT, OPT_SIZE, OPT_TIMEOUT,
       OPT_TCP_ECHO, OPT_TCP_DISCARD, OPT_TCP_SINK, OPT_TCP_SOURCE, OPT_TCP_CLIENT, OPT_CONNS,
       OPT_SEND, OPT_SEND_FILE, OPT_RECV, OPT_ECHO, OPT_NODELAY, OPT_CONGESTION, OPT_SET,
       OPT_VERBOSE, OPT_NO_HASH };

/* Parses "IPv4:PORT" or "[IPv6]:PORT" (with %IFINDEX scope if wanted). */
static int parse_ipport(const char *s, struct sockaddr_storage *out)
{
	char host[80];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	size_t hl = (size_t)(colon - s);
	memcpy(host, s, hl);
	host[hl] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		char *pct = strchr(host + 1, '%');
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (pct) {
			*pct = 0;
			in6->sin6_scope_id = (uint32_t)strtoul(pct + 1, NULL, 10);
		}
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

#define MAX_TCP_SVC 16
struct tcp_svc_arg {
	const char *kind;
	uint16_t port;
	uint64_t bytes;
};

/* Addresses are unusable while duplicate address detection runs (RFC
 * 4862 5.4): clients wait for it to end (at most 10 s). */
static void wait_addresses(struct ns_stack *st, struct ns_loop *loop)
{
	ns_time_t end = ns_clock_now() + 10 * NS_SEC;
	for (;;) {
		int tentative = 0;
		struct ns_addr_info ai;
		for (unsigned i = 0; ns_stack_addr_info(st, i, &ai) == 0; i++)
			tentative |= ai.state == NS_ADDR_TENTATIVE;
		if (!tentative || ns_clock_now() > end)
			return;
		ns_loop_run_once(loop, 50 * NS_MSEC);
	}
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == 0 || *end || v < lo || v > hi) {
		moat_err("bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
		return -1;
	}
	return v;
}

int cmd_stack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, 0, OPT_IFACE },
		{ "tap", required_argument, 0, OPT_TAP },
		{ "addr", required_argument, 0, OPT_ADDR },
		{ "gw", required_argument, 0, OPT_GW },
		{ "route", required_argument, 0, OPT_ROUTE },
		{ "mtu", required_argument, 0, OPT_MTU },
		{ "pcap", required_argument, 0, OPT_PCAP },
		{ "no-offload", no_argument, 0, OPT_NO_OFFLOAD },
		{ "udp-echo", required_argument, 0, OPT_UDP_ECHO },
		{ "stats-all", no_argument, 0, OPT_STATS_ALL },
		{ "udp-client", required_argument, 0, OPT_UDP_CLIENT },
		{ "count", required_argument, 0, OPT_COUNT },
		{ "size", required_argument, 0, OPT_SIZE },
		{ "timeout", required_argument, 0, OPT_TIMEOUT },
		{ "tcp-echo", required_argument, 0, OPT_TCP_ECHO },
		{ "tcp-discard", required_argument, 0, OPT_TCP_DISCARD },
		{ "tcp-sink", required_argument, 0, OPT_TCP_SINK },
		{ "tcp-source", required_argument, 0, OPT_TCP_SOURCE },
		{ "tcp-client", required_argument, 0, OPT_TCP_CLIENT },
		{ "conns", required_argument, 0, OPT_CONNS },
		{ "send", required_argument, 0, OPT_SEND },
		{ "send-file", required_argument, 0, OPT_SEND_FILE },
		{ "recv", no_argument, 0, OPT_RECV },
		{ "echo", no_argument, 0, OPT_ECHO },
		{ "nodelay", no_argument, 0, OPT_NODELAY },
		{ "congestion", required_argument, 0, OPT_CONGESTION },
		{ "set", required_argument, 0, OPT_SET },
		{ "verbose", no_argument, 0, OPT_VERBOSE },
		{ "no-hash", no_argument, 0, OPT_NO_HASH },
		{ "help", no_argument, 0, OPT_HELP },
		{ 0, 0, 0, 0 },
	};
	const char *iface = NULL, *tap = NULL, *pcap = NULL, *gws[2];
	int ngws = 0;
	const char *addrs[MAX_ADDRS], *routes[MAX_ADDRS], *echo_ports[MAX_SERVICES];
	int naddrs = 0, nroutes = 0, nechos = 0, offload = 1;
	long mtu = 0;
	const char *udp_client = NULL;
	long count = 1, size = 64, timeout = -1;
	int o, r, ret = 1;
	struct tcp_svc_arg tcps[MAX_TCP_SVC];
	int ntcps = 0, verbose = 0;
	const char *tcp_client = NULL;
	const char *sets[32];
	int nsets = 0;
	struct tsvc_client_opts copt = { .conns = 1 };
	struct tsvc *tsvc = NULL;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case OPT_IFACE: iface = optarg; break;
		case OPT_TAP: tap = optarg; break;
		case OPT_ADDR:
			if (naddrs == MAX_ADDRS) { moat_err("too many --addr\n"); return 2; }
			addrs[naddrs++] = optarg;
			break;
		case OPT_GW:
			if (ngws == 2) { moat_err("too many --gw\n"); return 2; }
			gws[ngws++] = optarg;
			break;
		case OPT_ROUTE:
			if (nroutes == MAX_ADDRS) { moat_err("too many --route\n"); return 2; }
			routes[nroutes++] = optarg;
			break;
		case OPT_MTU: {
			char *end;
			mtu = strtol(optarg, &end, 10);
			if (*end || mtu < 68 || mtu > 65535) {
				moat_err("bad --mtu '%s' (68..65535)\n", optarg);
				return 2;
			}
			break;
		}
		case OPT_PCAP: pcap = optarg; break;
		case OPT_NO_OFFLOAD: offload = 0; break;
		case OPT_UDP_ECHO:
			if (nechos == MAX_SERVICES) { moat_err("too many services\n"); return 2; }
			echo_ports[nechos++] = optarg;
			break;
		case OPT_STATS_ALL: stats_all = 1; break;
		case OPT_UDP_CLIENT: udp_client = optarg; break;
		case OPT_COUNT:
			if ((count = parse_long(optarg, 1, 100000000, "--count")) < 0) return 2;
			break;
		case OPT_SIZE:
			if ((size = parse_long(optarg, 0, 65507, "--size")) < 0) return 2;
			break;
		case OPT_TIMEOUT:
			if ((timeout = parse_long(optarg, 1, 86400, "--timeout")) < 0) return 2;
			break;
		case OPT_TCP_ECHO:
		case OPT_TCP_DISCARD:
		case OPT_TCP_SINK:
		case OPT_TCP_SOURCE: {
			if (ntcps == MAX_TCP_SVC) { moat_err("too many TCP services\n"); return 2; }
			struct tcp_svc_arg *t = &tcps[ntcps++];
			t->kind = o == OPT_TCP_ECHO ? "echo" : o == OPT_TCP_DISCARD ? "discard"
				: o == OPT_TCP_SINK ? "sink" : "source";
			char buf[64];
			snprintf(buf, sizeof(buf), "%s", optarg);
			char *colon = strchr(buf, ':');
			if (o == OPT_TCP_SOURCE) {
				if (!colon) { moat_err("--tcp-source wants PORT:BYTES\n"); return 2; }
				*colon = 0;
				char *end;
				unsigned long long b = strtoull(colon + 1, &end, 10);
				if (!colon[1] || *end) { moat_err("bad byte count '%s'\n", colon + 1); return 2; }
				t->bytes = b;
			} else if (colon) {
				moat_err("bad port '%s'\n", optarg);
				return 2;
			}
			long port = parse_long(buf, 1, 65535, "port");
			if (port < 0) return 2;
			t->port = (uint16_t)port;
			break;
		}
		case OPT_TCP_CLIENT: tcp_client = optarg; break;
		case OPT_CONNS:
			if ((count = parse_long(optarg, 1, 100000, "--conns")) < 0) return 2;
			copt.conns = (uint32_t)count;
			count = 1;
			break;
		case OPT_SEND: {
			char *end;
			unsigned long long b = strtoull(optarg, &end, 10);
			if (!*optarg || *end) { moat_err("bad --send '%s'\n", optarg); return 2; }
			copt.send_bytes = b;
			break;
		}
		case OPT_SEND_FILE: copt.send_file = optarg; break;
		case OPT_RECV: copt.recv = 1; break;
		case OPT_ECHO: copt.echo = copt.recv = 1; break;
		case OPT_NODELAY: copt.nodelay = 1; break;
		case OPT_CONGESTION: copt.congestion = optarg; break;
		case OPT_SET:
			if (nsets == 32) { moat_err("too many --set\n"); return 2; }
			sets[nsets++] = optarg;
			break;
		case OPT_VERBOSE: verbose = 1; break;
		case OPT_NO_HASH: copt.no_hash = 1; break;
		case OPT_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || (!iface == !tap) || naddrs == 0) {
		usage(stderr);
		return 2;
	}

	struct stack_ctx c;
	memset(&c, 0, sizeof(c));
	c.sfd = -1;
	struct ns_wheel wheel;
	ns_wheel_init(&wheel, ns_clock_now());
	struct ns_stack_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.wheel = &wheel;
	moat_random(cfg.secret, sizeof(cfg.secret));
	struct ns_pcap_sink *sink = NULL;

	if ((r = ns_stack_create(&cfg, &c.st)) < 0) {
		moat_err("stack: %s\n", strerror(-r));
		return 1;
	}
	for (int i = 0; i < nsets; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s", sets[i]);
		char *eq = strchr(buf, '=');
		if (!eq) {
			moat_err("--set wants KEY=VALUE, got '%s'\n", sets[i]);
			goto out;
		}
		*eq = 0;
		if ((r = ns_stack_set_option(c.st, buf, eq + 1)) < 0) {
			moat_err("--set %s: %s\n", sets[i], r == -ENOENT ? "unknown setting" : "bad value");
			goto out;
		}
	}
	struct ns_link *link;
	if (iface) {
		struct ns_packet_link_opts po = { .vnet_hdr = offload, .batch = 64 };
		r = ns_packet_link_open(iface, &po, &link);
		if (r < 0) {
			moat_err("interface %s: %s\n", iface, strerror(-r));
			goto out;
		}
		r = moat_iface_takeover(iface);
		if (r < 0)
			moat_err("warning: removing kernel addresses of %s: %s\n", iface, strerror(-r));
	} else {
		r = ns_tap_link_open(tap, offload, &link);
		if (r < 0) {
			moat_err("tap %s: %s\n", tap, strerror(-r));
			goto out;
		}
	}
	if (mtu) {
		if ((uint32_t)mtu > link->mtu) {
			moat_err("--mtu %ld is above the link's %u\n", mtu, link->mtu);
			ns_link_destroy(link);
			goto out;
		}
		link->mtu = (uint32_t)mtu;
	}
	if (pcap) {
		if ((r = ns_pcap_sink_open(pcap, &sink)) < 0) {
			moat_err("pcap %s: %s\n", pcap, strerror(-r));
			ns_link_destroy(link);
			goto out;
		}
		struct ns_link *sn;
		if ((r = ns_sniffer_wrap(link, sink, realtime, &sn)) < 0) {
			ns_link_destroy(link);
			goto out;
		}
		link = sn;
	}
	int nic = ns_stack_add_nic(c.st, link);
	if (nic < 0) {
		moat_err("add interface: %s\n", strerror(-nic));
		goto out;
	}
	for (int i = 0; i < naddrs; i++) {
		struct ns_ip a;
		unsigned pl;
		if (ns_cidr_parse(addrs[i], &a, &pl) < 0) {
			moat_err("bad --addr '%s'\n", addrs[i]);
			goto out;
		}
		if ((r = ns_stack_add_addr(c.st, nic, &a, pl)) < 0) {
			moat_err("--addr %s: %s\n", addrs[i], strerror(-r));
			goto out;
		}
	}
	for (int i = 0; i < ngws; i++) {
		const char *gw = gws[i];
		struct ns_ip g, any;
		if (ns_ip_parse(gw, &g) < 0) {
			moat_err("bad --gw '%s'\n", gw);
			goto out;
		}
		memset(&any, 0, sizeof(any));
		any.family = g.family;
		if ((r = ns_stack_add_route(c.st, &any, 0, &g, nic)) < 0) {
			moat_err("--gw %s: %s\n", gw, strerror(-r));
			goto out;
		}
	}
	for (int i = 0; i < nroutes; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s", routes[i]);
		char *comma = strchr(buf, ',');
		struct ns_ip dst, g;
		unsigned pl;
		if (!comma || (*comma = 0, ns_cidr_parse(buf, &dst, &pl) < 0) ||
		    ns_ip_parse(comma + 1, &g) < 0) {
			moat_err("bad --route '%s' (want CIDR,GW)\n", routes[i]);
			goto out;
		}
		if ((r = ns_stack_add_route(c.st, &dst, pl, &g, nic)) < 0) {
			moat_err("--route %s: %s\n", routes[i], strerror(-r));
			goto out;
		}
	}
	for (int i = 0; i < nechos; i++)
		if (add_udp_echo(&c, echo_ports[i]) < 0)
			goto out;

	if ((r = ns_loop_create(&wheel, &c.loop)) < 0)
		goto out;
	ns_loop_attach_stack(c.loop, c.st);
	ns_loop_add_hook(c.loop, services_hook, &c);
	if (ntcps || tcp_client) {
		if ((r = tsvc_create(c.st, c.loop, &tsvc)) < 0)
			goto out;
		tsvc_set_verbose(tsvc, verbose);
		tsvc_set_no_hash(tsvc, copt.no_hash);
	}
	for (int i = 0; i < ntcps; i++) {
		if ((r = tsvc_listen(tsvc, tcps[i].kind, tcps[i].port, tcps[i].bytes)) < 0) {
			moat_err("tcp-%s %u: %s\n", tcps[i].kind, tcps[i].port, strerror(-r));
			goto out;
		}
	}
	if (tcp_client || udp_client)
		wait_addresses(c.st, c.loop);
	if (tcp_client) {
		struct sockaddr_storage to;
		if (parse_ipport(tcp_client, &to) < 0) {
			moat_err("bad --tcp-client '%s' (want IPv4:PORT or [IPv6]:PORT)\n", tcp_client);
			goto out;
		}
		copt.timeout = (ns_time_t)(timeout > 0 ? timeout : 600) * NS_SEC;
		if ((r = tsvc_client(tsvc, &to, &copt)) < 0) {
			moat_err("tcp-client: %s\n", strerror(-r));
			goto out;
		}
	}
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	c.sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	ns_loop_add_fd(c.loop, c.sfd, EPOLLIN, on_signal, &c);

	struct udp_client ucl;
	struct client_hook ch;
	memset(&ucl, 0, sizeof(ucl));
	if (udp_client) {
		struct sockaddr_storage to;
		if (parse_ipport(udp_client, &to) < 0) {
			moat_err("bad --udp-client '%s' (want IPv4:PORT or [IPv6]:PORT)\n", udp_client);
			goto out;
		}
		ucl.count = count;
		ucl.size = size;
		ucl.buf = malloc((size_t)size + 1);
		ucl.rbuf = malloc((size_t)size + 1);
		if (!ucl.buf || !ucl.rbuf ||
		    (r = ns_socket_create(c.st, to.ss_family, SOCK_DGRAM, 0, &ucl.sock)) < 0)
			goto out_client;
		socklen_t tl = to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		if ((r = ns_connect(ucl.sock, (struct sockaddr *)&to, tl)) < 0) {
			moat_err("udp-client: connect: %s\n", strerror(-r));
			goto out_client;
		}
		ns_socket_set_wake(ucl.sock, udp_client_wake, &ucl);
		ucl.deadline = ns_clock_now() + (ns_time_t)(timeout > 0 ? timeout : 5) * NS_SEC;
		ns_timer_init(&client_deadline_timer, client_deadline);
		ns_timer_arm(&wheel, &client_deadline_timer, ucl.deadline + 1);
		ch.u = &ucl;
		ch.loop = c.loop;
		ch.st = c.st;
		ns_loop_add_hook(c.loop, udp_client_hook, &ch);
	}

	fprintf(stderr, "moat stack: ready on %s\n", iface ? iface : tap);
	fflush(stderr);
	r = ns_loop_run(c.loop);
	ret = r < 0 ? 1 : 0;
	print_stats(&c);
	if (udp_client) {
		printf("udp-client: sent %ld, echoed intact %ld, bad %ld, lost %ld\n", ucl.sent, ucl.ok,
		       ucl.bad, ucl.sent - ucl.ok - ucl.bad);
		ret = ucl.ok == ucl.count ? 0 : 1;
	}
	if (tcp_client)
		ret = tsvc_client_result(tsvc);
out_client:
	if (ucl.sock)
		ns_close(ucl.sock);
	ns_timer_disarm(&wheel, &client_deadline_timer);
	free(ucl.buf);
	free(ucl.rbuf);
out:
	for (int i = 0; i < c.nsvc; i++)
		ns_close(c.svc[i].sock);
	tsvc_destroy(tsvc);
	ns_loop_destroy(c.loop);
	ns_stack_destroy(c.st);
	ns_pcap_sink_close(sink);
	if (c.sfd >= 0)
		close(c.sfd);
	return ret;
}
