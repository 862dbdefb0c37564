/*
 * Differential case: the loopback's link state and MTU as the sandbox's
 * root changes them (issue 12), through the interface ioctls and rtnetlink:
 * flags, what is sent while lo is down, what comes back when it is up, the
 * MTU's bounds and its use for TCP, and EPERM without CAP_NET_ADMIN. It
 * leaves lo up with its MTU, 127.0.0.1 and ::1 as it found them.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* One rtnetlink request with NLM_F_ACK; returns the ack's error (0 or
 * -errno), or for RTM_GETLINK the reply's flags, MTU and operstate. */
struct nlreply {
	unsigned flags;
	int mtu, operstate;
	char qdisc[16];
};

static int nl_talk(uint16_t type, uint16_t flags, const void *body, size_t len, struct nlreply *out)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	char buf[8192];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = 1;
	memcpy(NLMSG_DATA(h), body, len);
	if (send(fd, buf, h->nlmsg_len, 0) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	int ret = -EIO;
	for (int done = 0; !done;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		int left = (int)n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
			if (m->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)NLMSG_DATA(m))->error;
				done = 1;
			} else if (m->nlmsg_type == RTM_NEWLINK && out) {
				struct ifinfomsg *ifi = NLMSG_DATA(m);
				out->flags = ifi->ifi_flags;
				int al = (int)IFLA_PAYLOAD(m);
				for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, al); a = RTA_NEXT(a, al)) {
					if (a->rta_type == IFLA_MTU)
						memcpy(&out->mtu, RTA_DATA(a), 4);
					else if (a->rta_type == IFLA_OPERSTATE)
						out->operstate = *(uint8_t *)RTA_DATA(a);
					else if (a->rta_type == IFLA_QDISC)
						snprintf(out->qdisc, sizeof(out->qdisc), "%.*s",
							 (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
				}
			}
		}
	}
	close(fd);
	return ret;
}

/* An ifinfomsg for lo with an optional attribute. */
struct linkreq {
	struct ifinfomsg ifi;
	char attrs[64];
};

static size_t linkreq(struct linkreq *r, unsigned flags, unsigned change, uint16_t atype,
		      const void *data, size_t dlen)
{
	memset(r, 0, sizeof(*r));
	r->ifi.ifi_family = AF_UNSPEC;
	r->ifi.ifi_index = (int)if_nametoindex("lo");
	r->ifi.ifi_flags = flags;
	r->ifi.ifi_change = change;
	size_t len = NLMSG_ALIGN(sizeof(r->ifi));
	if (atype) {
		struct rtattr *a = (struct rtattr *)r->attrs;
		a->rta_type = atype;
		a->rta_len = (unsigned short)RTA_LENGTH(dlen);
		memcpy(RTA_DATA(a), data, dlen);
		len += RTA_SPACE(dlen);
	}
	return len;
}

static void show_link(const char *step)
{
	struct linkreq r;
	struct nlreply rep = { 0, 0, -1, "" };
	size_t len = linkreq(&r, 0, 0, 0, NULL, 0);
	int e = nl_talk(RTM_GETLINK, 0, &r, len, &rep);
	V(step, "ack %s flags %#x mtu %d operstate %d qdisc %s", errname(-e),
	  rep.flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_MULTICAST | 0x10000), rep.mtu, rep.operstate,
	  rep.qdisc);
}

static void show_ifreq(const char *step, int fd, unsigned long cmd)
{
	struct ifreq r;
	memset(&r, 0, sizeof(r));
	strcpy(r.ifr_name, "lo");
	errno = 0;
	int ret = ioctl(fd, cmd, &r);
	if (ret < 0)
		R(step, ret);
	else if (cmd == SIOCGIFFLAGS)
		V(step, "flags %#x", (unsigned)(unsigned short)r.ifr_flags);
	else if (cmd == SIOCGIFMTU)
		V(step, "mtu %d", r.ifr_mtu);
	else
		V(step, "addr %s", inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
}

static void set_flags(const char *step, int fd, int up)
{
	struct ifreq r;
	memset(&r, 0, sizeof(r));
	strcpy(r.ifr_name, "lo");
	ioctl(fd, SIOCGIFFLAGS, &r);
	if (up)
		r.ifr_flags |= IFF_UP;
	else
		r.ifr_flags &= ~IFF_UP;
	TRY(step, ioctl(fd, SIOCSIFFLAGS, &r));
}

static void set_mtu(const char *step, int fd, const char *name, int mtu)
{
	struct ifreq r;
	memset(&r, 0, sizeof(r));
	strcpy(r.ifr_name, name);
	r.ifr_mtu = mtu;
	TRY(step, ioctl(fd, SIOCSIFMTU, &r));
}

static void nl_mtu(const char *step, const void *v, size_t n)
{
	struct linkreq r;
	size_t len = linkreq(&r, 0, 0, IFLA_MTU, v, n);
	V(step, "ack %s", errname(-nl_talk(RTM_NEWLINK, 0, &r, len, NULL)));
}

static void nl_updown(const char *step, unsigned flags, unsigned change)
{
	struct linkreq r;
	size_t len = linkreq(&r, flags, change, 0, NULL, 0);
	V(step, "ack %s", errname(-nl_talk(RTM_NEWLINK, 0, &r, len, NULL)));
}

static struct sockaddr_in lo4(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

/* Reads one datagram, waiting for it at most 2 s. */
static void read_one(const char *step, int fd)
{
	char b[32] = { 0 };
	struct pollfd p = { fd, POLLIN, 0 };
	poll(&p, 1, 2000);
	errno = 0;
	ssize_t n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
	if (n < 0)
		R(step, n);
	else
		V(step, "%zd bytes '%s'", n, b);
}

static void send6(const char *step, int fd)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	a.sin6_addr = in6addr_loopback;
	TRY(step, sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)));
}

static void unprivileged(void)
{
	R("drop CAP_NET_ADMIN", drop_cap(CAP_NET_ADMIN));
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	set_flags("unprivileged SIOCSIFFLAGS down", fd, 0);
	set_mtu("unprivileged SIOCSIFMTU", fd, "lo", 1400);
	nl_updown("unprivileged netlink down", 0, IFF_UP);
	uint32_t m = 1400;
	nl_mtu("unprivileged netlink mtu", &m, 4);
	struct {
		struct ndmsg nd;
		struct rtattr a;
		uint32_t ip;
	} nr;
	memset(&nr, 0, sizeof(nr));
	nr.nd.ndm_family = AF_INET;
	nr.nd.ndm_ifindex = (int)if_nametoindex("lo");
	nr.nd.ndm_state = NUD_PERMANENT;
	nr.a.rta_type = NDA_DST;
	nr.a.rta_len = RTA_LENGTH(4);
	nr.ip = htonl(0x7f000005);
	V("unprivileged netlink neigh add", "ack %s",
	  errname(-nl_talk(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, &nr, sizeof(nr), NULL)));
	show_ifreq("unprivileged flags after", fd, SIOCGIFFLAGS);
	close(fd);
}

/* A new network namespace's lo: down, never up (qdisc noop), then up
 * and down again (noqueue from its first up on). */
static void new_namespace_lo(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		V("unshare net", "%s", errname(errno));
		return;
	}
	show_link("new namespace lo");
	nl_updown("new namespace lo up", IFF_UP, IFF_UP);
	show_link("new namespace lo after up");
	nl_updown("new namespace lo down", 0, IFF_UP);
	show_link("new namespace lo down again");
}

void case_link_loopback(void)
{
	ck_child(new_namespace_lo);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	show_ifreq("flags up", fd, SIOCGIFFLAGS);
	show_link("netlink lo up");
	ck_child(unprivileged);

	/* Down: flags, and what is sent to 127.0.0.1 is lost. */
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = lo4(0);
	socklen_t al = sizeof(a);
	bind(rx, (struct sockaddr *)&a, sizeof(a));
	getsockname(rx, (struct sockaddr *)&a, &al);
	int lst = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = lo4(0);
	bind(lst, (struct sockaddr *)&la, sizeof(la));
	listen(lst, 4);
	al = sizeof(la);
	getsockname(lst, (struct sockaddr *)&la, &al);

	set_flags("SIOCSIFFLAGS down", fd, 0);
	show_ifreq("flags down", fd, SIOCGIFFLAGS);
	show_link("netlink lo down");
	show_ifreq("address while down", fd, SIOCGIFADDR);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	TRY("sendto 127.0.0.1 while down", sendto(tx, "lost", 4, 0, (struct sockaddr *)&a, sizeof(a)));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	fcntl(c, F_SETFL, O_NONBLOCK);
	TRY("nonblocking connect while down", connect(c, (struct sockaddr *)&la, sizeof(la)));
	close(c);
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	send6("sendto ::1 while down", s6);

	/* Up (through netlink): the next datagram is the first to arrive. */
	nl_updown("netlink up", IFF_UP, IFF_UP);
	show_ifreq("flags up again", fd, SIOCGIFFLAGS);
	show_link("netlink lo up again");
	TRY("sendto 127.0.0.1 up again", sendto(tx, "kept", 4, 0, (struct sockaddr *)&a, sizeof(a)));
	read_one("what arrives", rx);
	send6("sendto ::1 up again", s6);
	c = socket(AF_INET, SOCK_STREAM, 0);
	TRY("connect up again", connect(c, (struct sockaddr *)&la, sizeof(la)));
	close(c);

	/* Down and up through netlink with ifi_change 0 (all flags). */
	nl_updown("netlink down, change 0", IFF_LOOPBACK, 0);
	show_ifreq("flags after change 0", fd, SIOCGIFFLAGS);
	nl_updown("netlink flags and change 0: no change", 0, 0);
	show_ifreq("flags after no change", fd, SIOCGIFFLAGS);
	set_flags("SIOCSIFFLAGS up", fd, 1);
	show_ifreq("flags up once more", fd, SIOCGIFFLAGS);

	/* MTU: set, read back, bounds, used by TCP. */
	set_mtu("SIOCSIFMTU 1400", fd, "lo", 1400);
	show_ifreq("SIOCGIFMTU", fd, SIOCGIFMTU);
	show_link("netlink after SIOCSIFMTU");
	c = socket(AF_INET, SOCK_STREAM, 0);
	TRY("connect at mtu 1400", connect(c, (struct sockaddr *)&la, sizeof(la)));
	get_int("TCP_MAXSEG at mtu 1400", c, IPPROTO_TCP, TCP_MAXSEG);
	close(c);
	set_mtu("SIOCSIFMTU -1", fd, "lo", -1);
	set_mtu("SIOCSIFMTU INT_MIN", fd, "lo", (int)0x80000000u);
	set_mtu("SIOCSIFMTU on no such device", fd, "nosuch0", 1400);
	set_mtu("SIOCSIFMTU 2^31-1", fd, "lo", 0x7fffffff);
	show_ifreq("SIOCGIFMTU huge", fd, SIOCGIFMTU);
	uint32_t m = 9000;
	nl_mtu("netlink mtu 9000", &m, 4);
	show_ifreq("SIOCGIFMTU 9000", fd, SIOCGIFMTU);
	m = 0xffffffffu;
	nl_mtu("netlink mtu 2^32-1", &m, 4);
	m = 0x80000000u;
	nl_mtu("netlink mtu 2^31", &m, 4);
	uint16_t m16 = 1500;
	nl_mtu("netlink mtu in 2 bytes", &m16, 2);
	show_ifreq("SIOCGIFMTU after bad values", fd, SIOCGIFMTU);
	/* Below 68 IPv4 goes off on lo with its address, below 1280 IPv6;
	 * they come back when lo comes up again with a usable MTU. */
	set_mtu("SIOCSIFMTU 0", fd, "lo", 0);
	show_ifreq("address at mtu 0", fd, SIOCGIFADDR);
	TRY("sendto 127.0.0.1 at mtu 0", sendto(tx, "none", 4, 0, (struct sockaddr *)&a, sizeof(a)));
	send6("sendto ::1 at mtu 0", s6);
	m = 65536;
	nl_mtu("netlink mtu 65536", &m, 4);
	show_link("netlink mtu back");
	show_ifreq("address at mtu 65536", fd, SIOCGIFADDR);
	set_flags("SIOCSIFFLAGS down after mtu 0", fd, 0);
	set_flags("SIOCSIFFLAGS up after mtu 0", fd, 1);
	show_ifreq("address after down and up", fd, SIOCGIFADDR);
	send6("sendto ::1 after down and up", s6);
	c = socket(AF_INET, SOCK_STREAM, 0);
	TRY("connect after down and up", connect(c, (struct sockaddr *)&la, sizeof(la)));
	close(c);

	close(lst);
	close(rx);
	close(tx);
	close(s6);
	close(fd);
}
