/*
 * The host side of a sandbox's network (net.h): namespaces, the veth pair,
 * addresses, NAT, the AF_PACKET link, the pcap sink, /etc/hosts and
 * /etc/resolv.conf for the sandbox, and the cleanup of all of it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "moat.h"
#include "net.h"
#include "ns/link.h"
#include "ns/stack.h"

#define STATE_DIR "/run/moat/net"
#define LOCK_FILE "/run/moat/net.lock"
#define SUBNET_A 10
#define SUBNET_B 211

struct moat_net {
	struct sandbox_net cfg;
	char veth[IFNAMSIZ];   /* host side, "" if none */
	int veth_index;	       /* its ifindex: the name may be another sandbox's by the time we end */
	char state[64];	       /* our record in STATE_DIR */
	pid_t fwd;
	struct ns_pcap_sink *sink;
	char addr_buf[4][64];
	char gw_buf[64], gw6_buf[64];
	char *hosts, *resolv;
};

/* ---- rtnetlink ---- */

struct nlb {
	char buf[1024];
	size_t len;
};

static struct nlmsghdr *nl_begin(struct nlb *b, uint16_t type, uint16_t flags)
{
	memset(b, 0, sizeof(*b));
	struct nlmsghdr *h = (struct nlmsghdr *)b->buf;
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	b->len = NLMSG_HDRLEN;
	return h;
}

static void *nl_put(struct nlb *b, const void *data, size_t n)
{
	void *p = b->buf + b->len;
	memcpy(p, data, n);
	b->len += NLMSG_ALIGN(n);
	return p;
}

static struct rtattr *nl_attr(struct nlb *b, uint16_t type, const void *data, size_t n)
{
	struct rtattr *a = (struct rtattr *)(b->buf + b->len);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	if (n)
		memcpy(RTA_DATA(a), data, n);
	b->len += RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_nest_end(struct nlb *b, struct rtattr *a)
{
	a->rta_len = (unsigned short)(b->buf + b->len - (char *)a);
}

static int nl_talk(struct nlb *b)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct nlmsghdr *h = (struct nlmsghdr *)b->buf;
	h->nlmsg_len = (uint32_t)b->len;
	h->nlmsg_seq = 1;
	int r = 0;
	if (send(fd, b->buf, b->len, 0) < 0) {
		r = -errno;
	} else {
		char rb[4096];
		ssize_t n = recv(fd, rb, sizeof(rb), 0);
		if (n < 0)
			r = -errno;
		else if (n >= (ssize_t)NLMSG_LENGTH(sizeof(int)) &&
			 ((struct nlmsghdr *)rb)->nlmsg_type == NLMSG_ERROR)
			r = ((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)rb))->error;
	}
	close(fd);
	return r;
}

static int link_up(const char *name)
{
	int idx = (int)if_nametoindex(name);
	if (!idx)
		return -ENODEV;
	struct nlb b;
	nl_begin(&b, RTM_NEWLINK, 0);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = idx, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	nl_put(&b, &ifi, sizeof(ifi));
	return nl_talk(&b);
}

static int link_del(int idx)
{
	struct nlb b;
	nl_begin(&b, RTM_DELLINK, 0);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = idx };
	nl_put(&b, &ifi, sizeof(ifi));
	return nl_talk(&b);
}

/* A veth pair: `host` here, `peer` created directly in namespace nsfd. */
static int veth_create(const char *host, const char *peer, int nsfd, const uint8_t peer_mac[6])
{
	struct nlb b;
	nl_begin(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	nl_put(&b, &ifi, sizeof(ifi));
	nl_attr(&b, IFLA_IFNAME, host, strlen(host) + 1);
	struct rtattr *li = nl_attr(&b, IFLA_LINKINFO, NULL, 0);
	nl_attr(&b, IFLA_INFO_KIND, "veth", 5);
	struct rtattr *data = nl_attr(&b, IFLA_INFO_DATA, NULL, 0);
	struct rtattr *pi = nl_attr(&b, VETH_INFO_PEER, NULL, 0);
	b.len += sizeof(struct ifinfomsg); /* the peer's: zeroed by nl_begin */
	nl_attr(&b, IFLA_IFNAME, peer, strlen(peer) + 1);
	uint32_t fd = (uint32_t)nsfd;
	nl_attr(&b, IFLA_NET_NS_FD, &fd, sizeof(fd));
	nl_attr(&b, IFLA_ADDRESS, peer_mac, 6);
	nl_nest_end(&b, pi);
	nl_nest_end(&b, data);
	nl_nest_end(&b, li);
	return nl_talk(&b);
}

static int addr_add(const char *ifname, const struct ns_ip *a, unsigned plen)
{
	int idx = (int)if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	struct nlb b;
	nl_begin(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)a->family, .ifa_prefixlen = (uint8_t)plen,
				 .ifa_index = (uint32_t)idx };
	if (a->family == AF_INET6)
		ifa.ifa_flags = IFA_F_NODAD;
	nl_put(&b, &ifa, sizeof(ifa));
	if (a->family == AF_INET) {
		uint32_t v = htonl(a->v4);
		nl_attr(&b, IFA_LOCAL, &v, 4);
		nl_attr(&b, IFA_ADDRESS, &v, 4);
		if (plen < 31) {
			uint32_t bc = htonl(a->v4 | ~(~0u << (32 - plen)));
			nl_attr(&b, IFA_BROADCAST, &bc, 4);
		}
	} else {
		nl_attr(&b, IFA_ADDRESS, a->v6, 16);
		nl_attr(&b, IFA_LOCAL, a->v6, 16);
	}
	return nl_talk(&b);
}

/* ---- the state directory: what to clean when a moat died ---- */

static int run_argv(char *const argv[])
{
	pid_t p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		int dn = open("/dev/null", O_RDWR);
		if (dn >= 0) {
			dup2(dn, 1);
			dup2(dn, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* "iptables -t TABLE -D CHAIN ARGS..." for a recorded "TABLE CHAIN ARGS". */
static void ipt_delete_line(char *line)
{
	char *argv[24];
	int n = 0;
	argv[n++] = "iptables";
	argv[n++] = "-w";
	char *save = NULL;
	char *tok = strtok_r(line, " \n", &save);
	if (!tok)
		return;
	argv[n++] = "-t";
	argv[n++] = tok;
	tok = strtok_r(NULL, " \n", &save);
	if (!tok)
		return;
	argv[n++] = "-D";
	argv[n++] = tok;
	while (n < 23 && (tok = strtok_r(NULL, " \n", &save)))
		argv[n++] = tok;
	argv[n] = NULL;
	run_argv(argv);
}

static void clean_record(const char *path)
{
	if (access(path, F_OK) < 0)
		return;
	FILE *f = fopen(path, "re");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f)) {
			char name[IFNAMSIZ + 1];
			int idx;
			if (sscanf(line, "veth %16s %d", name, &idx) == 2) {
				/* (normally gone with the dead sandbox's namespace; the
				 * name alone may be a live sandbox's by now) */
				if ((int)if_nametoindex(name) == idx)
					link_del(idx);
			} else if (!strncmp(line, "ipt ", 4)) {
				ipt_delete_line(line + 4);
			}
		}
		fclose(f);
	}
	unlink(path);
}

void moat_net_clean_record(const char *path)
{
	int lk = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk >= 0)
		flock(lk, LOCK_EX);
	clean_record(path);
	if (lk >= 0)
		close(lk);
}

/* A live moat (a zombie is dead: its sockets are closed). */
static int pid_alive(pid_t p)
{
	char path[64], stat[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = 0;
	fclose(f);
	const char *rp = strrchr(stat, ')');
	return !strncmp(stat + strcspn(stat, "(") + 1, "moat", 4) && rp && rp[1] == ' ' && rp[2] != 'Z' &&
	       rp[2] != 'X';
}

/* Remove what dead sandboxes left (their moat was SIGKILLed). */
static void clean_dead(void)
{
	DIR *d = opendir(STATE_DIR);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid_alive((pid_t)pid))
			continue;
		char path[300];
		snprintf(path, sizeof(path), "%s/%s", STATE_DIR, e->d_name);
		clean_record(path);
	}
	closedir(d);
}

static void record(struct moat_net *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record(struct moat_net *n, const char *fmt, ...)
{
	FILE *f = fopen(n->state, "ae");
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* ---- NAT ---- */

static int ipt(struct moat_net *n, const char *table, const char *op, const char *chain, const char *rule)
{
	char line[400];
	snprintf(line, sizeof(line), "%s %s %s", table, chain, rule);
	record(n, "ipt %s\n", line); /* first: a crash right after still cleans */
	char buf[400];
	snprintf(buf, sizeof(buf), "%s", rule);
	char *argv[24];
	int c = 0;
	argv[c++] = "iptables";
	argv[c++] = "-w";
	argv[c++] = "-t";
	argv[c++] = (char *)table;
	argv[c++] = (char *)op;
	argv[c++] = (char *)chain;
	char *save = NULL;
	for (char *t = strtok_r(buf, " ", &save); t && c < 23; t = strtok_r(NULL, " ", &save))
		argv[c++] = t;
	argv[c] = NULL;
	return run_argv(argv);
}

static int nat_up(struct moat_net *n, const char *subnet)
{
	char rule[256];
	if (moat_write_str("/proc/sys/net/ipv4/ip_forward", "1") < 0)
		return -EPERM;
	snprintf(rule, sizeof(rule), "-s %s ! -o %s -j MASQUERADE", subnet, n->veth);
	if (ipt(n, "nat", "-A", "POSTROUTING", rule) < 0)
		return -EIO;
	snprintf(rule, sizeof(rule), "-i %s -j ACCEPT", n->veth);
	if (ipt(n, "filter", "-I", "FORWARD", rule) < 0)
		return -EIO;
	snprintf(rule, sizeof(rule), "-o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", n->veth);
	if (ipt(n, "filter", "-I", "FORWARD", rule) < 0)
		return -EIO;
	return 0;
}

/* ---- subnets ---- */

/* Does a host address lie in net/plen (host order)? */
static int subnet_used(uint32_t net, unsigned plen)
{
	uint32_t mask = plen ? ~0u << (32 - plen) : 0;
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) < 0)
		return 0;
	int used = 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		if ((a & mask) == (net & mask))
			used = 1;
	}
	freeifaddrs(ifa);
	return used;
}

/* Is 10.211.idx.0/24 free on the host (no address, no interface moatN)? */
static int subnet_free(int idx)
{
	char name[IFNAMSIZ];
	snprintf(name, sizeof(name), "moat%d", idx);
	if (if_nametoindex(name))
		return 0;
	return !subnet_used(((uint32_t)SUBNET_A << 24) | (SUBNET_B << 16) | ((uint32_t)idx << 8), 24);
}

static char *host_resolv(void)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	if (!f)
		return strdup("");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char line[512];
	while (m && fgets(line, sizeof(line), f))
		fputs(line, m);
	fclose(f);
	if (m)
		fclose(m);
	return buf ? buf : strdup("");
}

static char *make_hosts(const struct moat_net_opts *o, const char *ip, const char *hostip, const char *hostip6)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	const char *hn = o->hostname ? o->hostname : "moat";
	fprintf(m, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	fprintf(m, "%s\t%s\n", ip ? ip : "127.0.1.1", hn);
	if (hostip)
		fprintf(m, "%s\thost.moat.internal\n", hostip);
	if (hostip6)
		fprintf(m, "%s\thost.moat.internal\n", hostip6);
	for (int i = 0; i < o->nadd_hosts; i++) {
		const char *c = strchr(o->add_hosts[i], ':');
		if (c)
			fprintf(m, "%s\t%.*s\n", c + 1, (int)(c - o->add_hosts[i]), o->add_hosts[i]);
	}
	fclose(m);
	return buf;
}

int moat_port_parse(const char *s, struct moat_port *out)
{
	char buf[128];
	memset(out, 0, sizeof(*out));
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strrchr(buf, '/');
	if (slash) {
		*slash = 0;
		if (!strcmp(slash + 1, "udp"))
			out->udp = 1;
		else if (strcmp(slash + 1, "tcp"))
			return -EINVAL;
	}
	/* the last two colon-separated fields are the ports */
	char *c2 = strrchr(buf, ':');
	if (!c2)
		return -EINVAL;
	*c2 = 0;
	char *c1 = strrchr(buf, ':');
	const char *hp = c1 ? c1 + 1 : buf;
	if (c1) {
		*c1 = 0;
		const char *h = buf;
		size_t hl = strlen(h);
		if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl >= sizeof(out->hostip))
			return -EINVAL;
		memcpy(out->hostip, h, hl);
		out->hostip[hl] = 0;
		struct in6_addr t6;
		struct in_addr t4;
		if (inet_pton(AF_INET, out->hostip, &t4) != 1 && inet_pton(AF_INET6, out->hostip, &t6) != 1)
			return -EINVAL;
	} else {
		snprintf(out->hostip, sizeof(out->hostip), "127.0.0.1");
	}
	char *end;
	long a = strtol(hp, &end, 10);
	if (!*hp || *end || a < 1 || a > 65535)
		return -EINVAL;
	long b = strtol(c2 + 1, &end, 10);
	if (!c2[1] || *end || b < 1 || b > 65535)
		return -EINVAL;
	out->hostport = (uint16_t)a;
	out->port = (uint16_t)b;
	return 0;
}

/* Open the AF_PACKET link on `ifname` in namespace nsfd (then come back). */
static int open_link_in(int nsfd, int hostns, const char *ifname, int offload, struct ns_link **out)
{
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	int r = link_up(ifname);
	if (r == 0 || r == -EEXIST) {
		struct ns_packet_link_opts po = { .vnet_hdr = offload, .batch = 64 };
		r = ns_packet_link_open(ifname, &po, out);
		if (r == 0) {
			int t = moat_iface_takeover(ifname);
			if (t < 0)
				moat_err("warning: removing kernel addresses of %s: %s\n", ifname, strerror(-t));
		}
	}
	if (nsfd >= 0 && setns(hostns, CLONE_NEWNET) < 0) {
		moat_err("cannot return to the host network namespace: %s\n", strerror(errno));
		abort();
	}
	return r;
}

int moat_net_open_iface(const char *ifname, int offload, struct ns_link **out)
{
	return open_link_in(-1, -1, ifname, offload, out);
}

static int setup_sandbox_mode(const struct moat_net_opts *o, struct moat_net *n, char *ipbuf, size_t iplen,
			      char *hostipbuf, size_t hostiplen)
{
	mkdir("/run/moat", 0755);
	mkdir(STATE_DIR, 0755);
	int lk = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk < 0 || flock(lk, LOCK_EX) < 0) {
		moat_err("network: %s: %s\n", LOCK_FILE, strerror(errno));
		if (lk >= 0)
			close(lk);
		return -errno;
	}
	clean_dead();
	int r = 0, hostns = -1, sbxns = -1;
	struct ns_ip ip, hostip;
	unsigned plen = 24;
	int idx = -1;
	if (o->nips) {
		if (ns_cidr_parse(o->ips[0], &ip, &plen) < 0 || ip.family != AF_INET || plen > 30) {
			moat_err("--ip %s: expected an IPv4 address with a prefix length of at most 30\n", o->ips[0]);
			r = -EINVAL;
			goto out;
		}
		uint32_t mask = ~0u << (32 - plen);
		if (subnet_used(ip.v4, plen)) {
			moat_err("--ip %s: the host already has an address in that subnet (another sandbox?)\n",
				 o->ips[0]);
			r = -EADDRINUSE;
			goto out;
		}
		if (o->ngateways && ns_ip_parse(o->gateways[0], &hostip) == 0 && hostip.family == AF_INET) {
			if ((hostip.v4 & mask) != (ip.v4 & mask) || hostip.v4 == ip.v4) {
				moat_err("--gateway %s is not another address of %s\n", o->gateways[0], o->ips[0]);
				r = -EINVAL;
				goto out;
			}
		} else {
			hostip = ns_ip4((ip.v4 & mask) | 1);
			if (hostip.v4 == ip.v4)
				hostip.v4++;
		}
		for (int i = 0; i < 256; i++)
			if (subnet_free(i)) {
				idx = i;
				break;
			}
	} else {
		for (int i = 0; i < 256; i++)
			if (subnet_free(i)) {
				idx = i;
				break;
			}
		if (idx >= 0) {
			ip = ns_ip4(((uint32_t)SUBNET_A << 24) | (SUBNET_B << 16) | ((uint32_t)idx << 8) | 2);
			hostip = ns_ip4(ip.v4 - 1);
		}
	}
	if (idx < 0) {
		moat_err("network: no free subnet (10.%d.0-255.0/24 all in use)\n", SUBNET_B);
		r = -ENOSPC;
		goto out;
	}
	snprintf(n->veth, sizeof(n->veth), "moat%d", idx);
	snprintf(n->state, sizeof(n->state), "%s/%d", STATE_DIR, (int)getpid());
	unlink(n->state);

	hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (hostns < 0 || unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		moat_err("network: new network namespace: %s\n", strerror(errno));
		goto out;
	}
	sbxns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(hostns, CLONE_NEWNET) < 0) {
		moat_err("cannot return to the host network namespace: %s\n", strerror(errno));
		abort();
	}
	if (sbxns < 0) {
		r = -errno;
		goto out;
	}
	uint8_t mac[6];
	moat_random(mac, sizeof(mac));
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
	if ((r = veth_create(n->veth, "eth0", sbxns, mac)) < 0) {
		moat_err("network: creating veth %s: %s\n", n->veth, strerror(-r));
		n->veth[0] = 0;
		goto out;
	}
	n->veth_index = (int)if_nametoindex(n->veth);
	record(n, "veth %s %d\n", n->veth, n->veth_index);
	/* The record (and the NAT rules it will list) must not outlive a
	 * SIGKILLed moat: a watchdog removes them when moat ends. (The veth
	 * itself goes with the sandbox's namespace.) */
	pid_t w = moat_net_watch_start(n->state);
	if (w < 0)
		moat_err("warning: no network watchdog (%s): a SIGKILLed moat leaves its record until the "
			 "next moat do\n", strerror((int)-w));
	/* IPv6 as well, unless --ip gave the sandbox an IPv6 address of its
	 * own: a unique local /64 per sandbox, fd00:6d6f:6174:IDX::/64
	 * (6d6f:6174 is "moat"; IDX is the subnet index, unique among live
	 * sandboxes), ::1 on the host side, ::2 in the sandbox. */
	int user_v6 = 0;
	for (int i = 1; i < o->nips; i++)
		user_v6 |= strchr(o->ips[i], ':') != NULL;
	struct ns_ip host6, sbx6;
	memset(&host6, 0, sizeof(host6));
	host6.family = AF_INET6;
	host6.v6[0] = 0xfd;
	host6.v6[2] = 0x6d, host6.v6[3] = 0x6f, host6.v6[4] = 0x61, host6.v6[5] = 0x74;
	host6.v6[6] = (uint8_t)(idx >> 8), host6.v6[7] = (uint8_t)idx;
	sbx6 = host6;
	host6.v6[15] = 1;
	sbx6.v6[15] = 2;
	char path[128];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", n->veth);
	moat_write_str(path, user_v6 ? "1" : "0");
	if ((r = addr_add(n->veth, &hostip, plen)) < 0 || (!user_v6 && (r = addr_add(n->veth, &host6, 64)) < 0) ||
	    (r = link_up(n->veth)) < 0) {
		moat_err("network: configuring %s: %s\n", n->veth, strerror(-r));
		goto out;
	}
	struct ns_link *l;
	if ((r = open_link_in(sbxns, hostns, "eth0", !o->no_offload, &l)) < 0) {
		moat_err("network: AF_PACKET on the sandbox's eth0: %s\n", strerror(-r));
		goto out;
	}
	n->cfg.nics[0].link = l;
	n->cfg.nnics = 1;
	ns_ip_fmt(&ip, ipbuf, iplen);
	ns_ip_fmt(&hostip, hostipbuf, hostiplen);
	snprintf(n->addr_buf[0], sizeof(n->addr_buf[0]), "%s/%u", ipbuf, plen);
	n->cfg.nics[0].addrs[0] = n->addr_buf[0];
	n->cfg.nics[0].naddrs = 1;
	for (int i = 1; i < o->nips && i < SANDBOX_NET_MAX_ADDRS; i++)
		n->cfg.nics[0].addrs[n->cfg.nics[0].naddrs++] = o->ips[i];
	snprintf(n->gw_buf, sizeof(n->gw_buf), "%s", hostipbuf);
	n->cfg.gateways[n->cfg.ngateways++] = n->gw_buf;
	if (!user_v6 && n->cfg.nics[0].naddrs < SANDBOX_NET_MAX_ADDRS) {
		char b6[64];
		snprintf(n->addr_buf[1], sizeof(n->addr_buf[1]), "%s/64", ns_ip_fmt(&sbx6, b6, sizeof(b6)));
		n->cfg.nics[0].addrs[n->cfg.nics[0].naddrs++] = n->addr_buf[1];
		snprintf(n->gw6_buf, sizeof(n->gw6_buf), "%s", ns_ip_fmt(&host6, b6, sizeof(b6)));
		n->cfg.gateways[n->cfg.ngateways++] = n->gw6_buf;
		/* two ends on a fresh veth, both chosen here: nothing to detect,
		 * and the address works from the first packet (a --net-set
		 * given by the user comes later and wins) */
		n->cfg.sets[n->cfg.nsets++] = "ip6.dad_transmits=0";
	} else {
		/* the sandbox's own IPv6 address: an IPv6 --gateway routes it */
		for (int i = 0; i < o->ngateways && n->cfg.ngateways < 2; i++)
			if (strchr(o->gateways[i], ':'))
				n->cfg.gateways[n->cfg.ngateways++] = o->gateways[i];
	}
	if (o->nat) {
		char subnet[64];
		uint32_t mask = ~0u << (32 - plen);
		struct ns_ip net = ns_ip4(ip.v4 & mask);
		char nb[64];
		snprintf(subnet, sizeof(subnet), "%s/%u", ns_ip_fmt(&net, nb, sizeof(nb)), plen);
		if ((r = nat_up(n, subnet)) < 0) {
			moat_err("--nat: could not add the masquerading rules (is iptables installed?)\n");
			goto out;
		}
	}
out:
	if (hostns >= 0)
		close(hostns);
	if (sbxns >= 0)
		close(sbxns); /* the AF_PACKET socket keeps the namespace */
	flock(lk, LOCK_UN);
	close(lk);
	return r;
}

int moat_net_up(const struct moat_net_opts *o, struct sandbox_net *cfg, struct moat_net **out)
{
	struct moat_net *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->fwd = -1;
	const char *mode = o->mode ? o->mode : "sandbox";
	char ip[64] = "", hostip[64] = "";
	int r = 0;
	/* --gateway: an address, of a family the sandbox has an --ip of (a
	 * gateway nobody can use was once ignored without a word) */
	for (int i = 0; i < o->ngateways; i++) {
		struct ns_ip g;
		if (ns_ip_parse(o->gateways[i], &g) < 0) {
			moat_err("--gateway %s: not an IP address\n", o->gateways[i]);
			r = -EINVAL;
			goto fail;
		}
		int have = 0;
		for (int k = 0; k < o->nips; k++) {
			struct ns_ip a;
			unsigned pl;
			have |= ns_cidr_parse(o->ips[k], &a, &pl) == 0 && a.family == g.family;
		}
		if (!strcmp(mode, "none") || !strcmp(mode, "host")) {
			moat_err("--gateway: --network=%s has no interface to route through\n", mode);
			r = -EINVAL;
			goto fail;
		}
		if (!have) {
			moat_err("--gateway %s: needs an --ip of the same family (the sandbox's address on that "
				 "gateway's subnet)\n", o->gateways[i]);
			r = -EINVAL;
			goto fail;
		}
	}
	if (!strcmp(mode, "host")) {
		n->cfg.mode = SANDBOX_NET_HOST;
		moat_err("warning: --network=host: the sandbox's sockets are host sockets; the host kernel's "
			 "network stack serves the program directly (weaker isolation)\n");
		if (o->nports || o->pcap || o->nat || o->nips) {
			moat_err("--network=host: -p, --pcap, --nat and --ip do not apply\n");
			r = -EINVAL;
			goto fail;
		}
		*cfg = n->cfg;
		*out = n;
		return 0;
	}
	if (!strcmp(mode, "none")) {
		n->cfg.mode = SANDBOX_NET_LOOPBACK;
		if (o->nports || o->nat || o->nips) {
			moat_err("--network=none: -p, --nat and --ip need a network (--network=sandbox)\n");
			r = -EINVAL;
			goto fail;
		}
	} else if (!strcmp(mode, "sandbox")) {
		n->cfg.mode = SANDBOX_NET_STACK;
		if ((r = setup_sandbox_mode(o, n, ip, sizeof(ip), hostip, sizeof(hostip))) < 0)
			goto fail;
	} else if (!strncmp(mode, "iface:", 6) && mode[6]) {
		n->cfg.mode = SANDBOX_NET_STACK;
		if (o->nports || o->nat) {
			moat_err("--network=%s: -p and --nat need --network=sandbox\n", mode);
			r = -EINVAL;
			goto fail;
		}
		struct ns_link *l;
		if ((r = open_link_in(-1, -1, mode + 6, !o->no_offload, &l)) < 0) {
			moat_err("--network=%s: %s\n", mode, strerror(-r));
			goto fail;
		}
		n->cfg.nics[0].link = l;
		n->cfg.nnics = 1;
		for (int i = 0; i < o->nips && i < SANDBOX_NET_MAX_ADDRS; i++)
			n->cfg.nics[0].addrs[n->cfg.nics[0].naddrs++] = o->ips[i];
		for (int i = 0; i < o->ngateways; i++)
			n->cfg.gateways[n->cfg.ngateways++] = o->gateways[i];
		if (o->nips) {
			snprintf(ip, sizeof(ip), "%s", o->ips[0]);
			ip[strcspn(ip, "/")] = 0;
		}
	} else {
		moat_err("--network %s: expected sandbox, none, host or iface:NAME\n", mode);
		r = -EINVAL;
		goto fail;
	}
	for (int i = 0; i < o->nsets && n->cfg.nsets < 16; i++)
		n->cfg.sets[n->cfg.nsets++] = o->sets[i];
	if (o->pcap) {
		if ((r = ns_pcap_sink_open(o->pcap, &n->sink)) < 0) {
			moat_err("--pcap %s: %s\n", o->pcap, strerror(-r));
			goto fail;
		}
		n->cfg.pcap = n->sink;
	}
	n->hosts = make_hosts(o, ip[0] ? ip : NULL, hostip[0] ? hostip : NULL, n->gw6_buf[0] ? n->gw6_buf : NULL);
	if (o->ndns) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		for (int i = 0; m && i < o->ndns; i++)
			fprintf(m, "nameserver %s\n", o->dns[i]);
		if (m)
			fclose(m);
		n->resolv = buf;
	} else {
		n->resolv = host_resolv();
	}
	n->cfg.hosts = n->hosts;
	n->cfg.resolv = n->resolv;
	if (o->nports) {
		n->fwd = moat_fwd_start(o->ports, o->nports, ip);
		if (n->fwd < 0) {
			r = (int)n->fwd;
			n->fwd = -1;
			goto fail;
		}
	}
	*cfg = n->cfg;
	*out = n;
	return 0;
fail:
	for (int i = 0; i < n->cfg.nnics; i++)
		ns_link_destroy(n->cfg.nics[i].link);
	n->cfg.nnics = 0;
	moat_net_down(n);
	return r < 0 ? r : -EINVAL;
}

void moat_net_down(struct moat_net *n)
{
	if (!n)
		return;
	if (n->fwd > 0) {
		kill(n->fwd, SIGKILL);
		while (waitpid(n->fwd, NULL, 0) < 0 && errno == EINTR)
			;
	}
	/* Our veth goes with our namespace when the AF_PACKET socket closes;
	 * if it is still there, delete it by its index, under the lock: a
	 * sandbox starting now may already have made a new veth of the same
	 * name (deleting by name broke parallel starts). */
	if (n->veth[0] && n->veth_index > 0) {
		int lk = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lk >= 0)
			flock(lk, LOCK_EX);
		if ((int)if_nametoindex(n->veth) == n->veth_index)
			link_del(n->veth_index);
		if (lk >= 0)
			close(lk);
	}
	if (n->state[0])
		clean_record(n->state);
	if (n->sink)
		ns_pcap_sink_close(n->sink);
	free(n->hosts);
	free(n->resolv);
	free(n);
}
