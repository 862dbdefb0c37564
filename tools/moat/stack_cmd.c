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
		"  --addr CIDR       address of the netstack, e.g. 10.0.0.2/24 (repeatable)\n"
		"  --gw IP           default gateway\n"
		"  --route CIDR,GW   extra route via GW (repeatable)\n"
		"  --mtu N           use MTU N (at most the link's)\n"
		"  --pcap FILE       write every frame in and out to FILE (pcap)\n"
		"  --no-offload      plain frames: no virtio-net header, checksum or GSO offload\n"
		"  --udp-echo PORT   echo UDP datagrams on PORT (repeatable)\n"
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
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = ns_recvfrom(sv->sock, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
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
	int r = ns_socket_create(c->st, AF_INET, SOCK_DGRAM, 0, &sv->sock);
	if (r < 0)
		return r;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
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

enum { OPT_IFACE = 1, OPT_TAP, OPT_ADDR, OPT_GW, OPT_ROUTE, OPT_MTU, OPT_PCAP, OPT_NO_OFFLOAD,
       OPT_UDP_ECHO, OPT_STATS_ALL, OPT_HELP };

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
		{ "help", no_argument, 0, OPT_HELP },
		{ 0, 0, 0, 0 },
	};
	const char *iface = NULL, *tap = NULL, *pcap = NULL, *gw = NULL;
	const char *addrs[MAX_ADDRS], *routes[MAX_ADDRS], *echo_ports[MAX_SERVICES];
	int naddrs = 0, nroutes = 0, nechos = 0, offload = 1;
	long mtu = 0;
	int o, r, ret = 1;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case OPT_IFACE: iface = optarg; break;
		case OPT_TAP: tap = optarg; break;
		case OPT_ADDR:
			if (naddrs == MAX_ADDRS) { moat_err("too many --addr\n"); return 2; }
			addrs[naddrs++] = optarg;
			break;
		case OPT_GW: gw = optarg; break;
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
	if (gw) {
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
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	c.sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	ns_loop_add_fd(c.loop, c.sfd, EPOLLIN, on_signal, &c);

	fprintf(stderr, "moat stack: ready on %s\n", iface ? iface : tap);
	fflush(stderr);
	r = ns_loop_run(c.loop);
	ret = r < 0 ? 1 : 0;
	print_stats(&c);
out:
	for (int i = 0; i < c.nsvc; i++)
		ns_close(c.svc[i].sock);
	ns_loop_destroy(c.loop);
	ns_stack_destroy(c.st);
	ns_pcap_sink_close(sink);
	if (c.sfd >= 0)
		close(c.sfd);
	return ret;
}
