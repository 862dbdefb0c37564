/*
 * The container's process (oci.h): forked by `moat create`, it enters the
 * container's network namespace, lets moat run the hooks (Docker's
 * prestart hook puts eth0 into this namespace then), takes over every
 * interface it finds there for the netstack, builds the sandbox, and
 * waits for `moat start` on exec.fifo before the program is loaded.
 *
 * What it may touch on the host: the container's network namespace (its
 * interfaces are taken over: their kernel addresses removed, so only the
 * netstack answers), the root file system and bind-mount sources named in
 * config.json (through the sentry's file backend), the pcap file named by
 * the dev.moat.pcap annotation, and its stdio.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "moat.h"
#include "net.h"
#include "ns/link.h"
#include "oci.h"

static struct oci_sentry_args *args;

/* Storage for the strings struct sandbox_net points at (this process
 * lives as long as the sandbox). */
static char addr_store[SANDBOX_NET_MAX_NICS][SANDBOX_NET_MAX_ADDRS][64];
static char gw_store[2][64];

static unsigned mask_len(const struct sockaddr *sa)
{
	unsigned n = 0;
	const uint8_t *b;
	size_t len;
	if (sa->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		len = 4;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		len = 16;
	}
	for (size_t i = 0; i < len; i++)
		n += (unsigned)__builtin_popcount(b[i]);
	return n;
}

/* The default gateways (read before the takeover removes the routes). */
static int default_gateways(struct sandbox_net *net)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[512];
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char ifn[64];
			unsigned dst, gw, flags, mask;
			if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", ifn, &dst, &gw, &flags, &mask) == 5 && !dst &&
			    !mask && (flags & RTF_GATEWAY) && gw) {
				struct in_addr a = { gw };
				inet_ntop(AF_INET, &a, gw_store[0], sizeof(gw_store[0]));
				net->gateways[net->ngateways++] = gw_store[0];
				break;
			}
		}
		fclose(f);
	}
	f = fopen("/proc/net/ipv6_route", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char dst[33], hop[33];
			unsigned plen;
			if (sscanf(line, "%32s %x %*s %*x %32s", dst, &plen, hop) != 3)
				continue;
			if (plen || strspn(dst, "0") != 32 || strspn(hop, "0") == 32)
				continue;
			struct in6_addr a;
			for (int i = 0; i < 16; i++) {
				unsigned byte;
				sscanf(hop + 2 * i, "%2x", &byte);
				a.s6_addr[i] = (uint8_t)byte;
			}
			inet_ntop(AF_INET6, &a, gw_store[1], sizeof(gw_store[1]));
			net->gateways[net->ngateways++] = gw_store[1];
			break;
		}
		fclose(f);
	}
	return 0;
}

/* Every interface of this namespace but loopback, with its addresses,
 * goes to the netstack (as `moat do --network iface:NAME` does for one). */
static int take_interfaces(struct sandbox_net *net, int offload)
{
	struct ifaddrs *ifa;
	if (getifaddrs(&ifa) < 0) {
		moat_err("listing the container's interfaces: %s\n", strerror(errno));
		return -errno;
	}
	char names[SANDBOX_NET_MAX_NICS][IFNAMSIZ];
	int n = 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (n == SANDBOX_NET_MAX_NICS) {
			moat_err("the container has more than %d interfaces; %s is left out\n", SANDBOX_NET_MAX_NICS,
				 i->ifa_name);
			continue;
		}
		snprintf(names[n++], IFNAMSIZ, "%s", i->ifa_name);
	}
	default_gateways(net);
	for (int k = 0; k < n; k++) {
		struct sandbox_nic *nic = &net->nics[net->nnics];
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (strcmp(i->ifa_name, names[k]) || !i->ifa_addr || !i->ifa_netmask)
				continue;
			int fam = i->ifa_addr->sa_family;
			if (fam != AF_INET && fam != AF_INET6)
				continue;
			const void *a = fam == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
						       : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			/* link-local IPv6: the netstack makes its own from the MAC */
			if (fam == AF_INET6 && IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a))
				continue;
			if (nic->naddrs == SANDBOX_NET_MAX_ADDRS)
				break;
			char ip[INET6_ADDRSTRLEN];
			inet_ntop(fam, a, ip, sizeof(ip));
			char *slot = addr_store[net->nnics][nic->naddrs];
			snprintf(slot, 64, "%s/%u", ip, mask_len(i->ifa_netmask));
			nic->addrs[nic->naddrs++] = slot;
		}
		int r = moat_net_open_iface(names[k], offload, &nic->link);
		if (r < 0) {
			moat_err("taking over the container's interface %s: %s\n", names[k], strerror(-r));
			freeifaddrs(ifa);
			return r;
		}
		net->nnics++;
	}
	freeifaddrs(ifa);
	return 0;
}

/* Docker's embedded resolver (127.0.0.11 in resolv.conf, on user-defined
 * networks) is a host socket of this namespace: a UDP socket connected to
 * it is handed to the sentry, which relays the sandbox's queries. */
static int resolver_socket(const struct oci_spec *s)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/etc/resolv.conf", s->root);
	for (int i = 0; i < s->nmounts; i++)
		if (s->mounts[i].type == SANDBOX_MOUNT_BIND && !strcmp(s->mounts[i].dst, "/etc/resolv.conf"))
			snprintf(path, sizeof(path), "%s", s->mounts[i].src);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char line[256];
	int found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char ns[64];
		found = sscanf(line, " nameserver %63s", ns) == 1 && !strcmp(ns, "127.0.0.11");
	}
	fclose(f);
	if (!found)
		return -1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "127.0.0.11", &sa.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		moat_err("warning: the resolver 127.0.0.11: %s\n", strerror(errno));
		close(fd);
		fd = -1;
	}
	return fd;
}

static int wait_for_start(void *arg)
{
	(void)arg;
	/* Built: tell `moat create`, and from now on messages go to the
	 * container's own stderr. */
	if (write(args->sync_fd, "R", 1) != 1)
		return -EPIPE;
	close(args->sync_fd);
	int fd2 = args->stdio[2] >= 0 ? args->stdio[2] : open("/dev/null", O_WRONLY | O_CLOEXEC);
	dup2(fd2, 2);
	close(args->err_fd);
	int fd;
	do
		fd = open(args->fifo, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, "0", 1);
	close(fd);
	return w == 1 ? 0 : -EPIPE;
}

static const char *annotation(const struct oci_spec *s, const char *key)
{
	json_t *a = json_object_get(json_object_get(s->doc, "annotations"), key);
	return json_is_string(a) ? json_string_value(a) : NULL;
}

void oci_sentry_main(struct oci_sentry_args *a)
{
	args = a;
	struct oci_spec *s = a->spec;
	char c;
	if (!a->foreground)
		setsid();
	if (a->console_fd >= 0)
		ioctl(a->console_fd, TIOCSCTTY, 0);
	if (s->netns == OCI_NET_NEW && unshare(CLONE_NEWNET) < 0) {
		dprintf(a->err_fd, "moat: a network namespace for the container: %s\n", strerror(errno));
		_exit(125);
	}
	if (s->netns == OCI_NET_PATH) {
		int fd = open(s->netns_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			dprintf(a->err_fd, "moat: linux.namespaces: network %s: %s\n", s->netns_path, strerror(errno));
			_exit(125);
		}
		close(fd);
	}
	if (s->proc.have_oom) {
		char v[16];
		snprintf(v, sizeof(v), "%d", s->proc.oom_score_adj);
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, v, strlen(v)) < 0) {
			dprintf(a->err_fd, "moat: process.oomScoreAdj: %s\n", strerror(errno));
			_exit(125);
		}
		close(fd);
	}
	if (write(a->sync_fd, "N", 1) != 1 || read(a->go_fd, &c, 1) != 1 || c != 'G')
		_exit(125); /* moat create gave up (a hook failed) */
	close(a->go_fd);
	dup2(a->err_fd, 2);

	struct sandbox_net net;
	memset(&net, 0, sizeof(net));
	net.dns_relay_fd = -1;
	if (s->netns == OCI_NET_HOST) {
		net.mode = SANDBOX_NET_HOST;
	} else {
		if (take_interfaces(&net, 1) < 0)
			_exit(125);
		net.mode = net.nnics ? SANDBOX_NET_STACK : SANDBOX_NET_LOOPBACK;
		net.dns_relay_fd = resolver_socket(s);
		if (net.dns_relay_fd >= 0)
			net.dns_relay_addr = "127.0.0.11";
		for (int i = 0; i < s->nnet_sets; i++)
			net.sets[net.nsets++] = s->net_sets[i];
		const char *pcap = annotation(s, "dev.moat.pcap");
		if (pcap) {
			int r = ns_pcap_sink_open(pcap, &net.pcap);
			if (r < 0) {
				moat_err("annotation dev.moat.pcap: %s: %s\n", pcap, strerror(-r));
				_exit(125);
			}
		}
	}
	struct sandbox_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.root = s->root;
	cfg.root_readonly = s->root_ro;
	cfg.mounts = s->mounts;
	cfg.nmounts = s->nmounts;
	cfg.cwd = s->proc.cwd;
	cfg.argv = s->proc.args;
	cfg.envp = s->proc.env;
	/* the annotation, else the runtime's --platform, else MOAT_PLATFORM,
	 * else ptrace */
	cfg.platform = annotation(s, "dev.moat.platform");
	if (!cfg.platform)
		cfg.platform = oci_g.platform ? oci_g.platform : getenv("MOAT_PLATFORM");
	cfg.hostname = s->hostname[0] ? s->hostname : NULL;
	cfg.net = &net;
	cfg.ident = &s->proc.ident;
	cfg.rlimits = s->proc.rlimits;
	cfg.nrlimits = s->proc.nrlimits;
	cfg.have_stdio = 1;
	memcpy(cfg.stdio, a->stdio, sizeof(cfg.stdio));
	cfg.before_start = wait_for_start;
	cfg.have_control = 1;
	cfg.control_fd = a->control_fd;
	const char *log = annotation(s, "dev.moat.debug-log");
	if (log) {
		cfg.debug_log = fopen(log, "ae");
		if (!cfg.debug_log) {
			moat_err("annotation dev.moat.debug-log: %s: %s\n", log, strerror(errno));
			_exit(125);
		}
		setvbuf(cfg.debug_log, NULL, _IOLBF, 0);
	}
	struct sock_fprog prof = { 0, NULL };
	json_t *sc = json_object_get(json_object_get(s->doc, "linux"), "seccomp");
	if (sc) {
		char err[512];
		if (oci_seccomp_build(sc, &prof, err, sizeof(err)) < 0) {
			moat_err("%s\n", err);
			_exit(125);
		}
		cfg.app_seccomp = &prof;
	}
	const char *st = annotation(s, "dev.moat.strace");
	cfg.strace = st && !strcmp(st, "true");
	int status = 0;
	int r = sandbox_run(&cfg, &status);
	if (net.pcap)
		ns_pcap_sink_close(net.pcap);
	if (r < 0)
		_exit(125);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(125);
}
