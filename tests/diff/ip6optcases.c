/*
 * IPv6: the net.ipv6 sysctls (bindv6only, conf/{all,default,lo}/...) with
 * their defaults in a new network namespace, their write checks and their
 * effect on sockets; and the IPPROTO_IPV6 socket options of ipv6(7) on
 * UDP and TCP sockets at their boundaries (defaults, values, short and bad
 * buffers, the wrong kind of socket), with the control messages a UDP
 * socket receives over ::1 and the effect of IPV6_MTU and IPV6_DONTFRAG
 * on sends.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- /proc/sys/net/ipv6 ---- */

static void ip6_read(const char *name)
{
	char path[128], b[64] = "";
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/%s", name);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof(b) - 1);
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		V(name, "unreadable: %s", errname(e));
		return;
	}
	b[n] = 0;
	b[strcspn(b, "\n")] = 0;
	V(name, "'%s'", b);
}

static void ip6_write(const char *name, const char *v)
{
	char path[128], step[200];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/%s", name);
	snprintf(step, sizeof(step), "write %s '%s'", name, v);
	write_file(step, path, v);
}

/* Write v, read back, as two lines. */
static void ip6_write_read(const char *name, const char *v)
{
	ip6_write(name, v);
	ip6_read(name);
}

/* The names of a directory, sorted, on one line. */
static void list_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		V(path, "opendir: %s", errname(errno));
		return;
	}
	char names[64][64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(names[n++], sizeof(names[0]), "%.63s", e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	char line[2048] = "";
	for (int i = 0; i < n; i++) {
		strcat(line, " ");
		strcat(line, names[i]);
	}
	V(path, "%s", line);
}

/* The names in a directory that Linux and moat both have (moat's list is
 * a subset: a key it cannot honour is left out). */
static int has_name(const char *path, const char *name)
{
	DIR *d = opendir(path);
	int found = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		found |= !strcmp(e->d_name, name);
	if (d)
		closedir(d);
	return found;
}

/* The hop limit a datagram from a new socket arrives with over ::1. */
static void hop_limit_on_wire(const char *step)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	int r = socket(AF_INET6, SOCK_DGRAM, 0), s = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;
	bind(r, (struct sockaddr *)&a, sizeof(a));
	getsockname(r, (struct sockaddr *)&a, &al);
	setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	struct pollfd p = { r, POLLIN, 0 };
	poll(&p, 1, 2000);
	char buf[8], cb[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	int hl = -1;
	if (recvmsg(r, &m, MSG_DONTWAIT) == 1)
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hl, CMSG_DATA(c), sizeof(hl));
	V(step, "hop limit %d", hl);
	close(r);
	close(s);
}

/* bind() to [::1]:0 and a send to ::1, as one line. */
static void bind_lo6(const char *step)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT, .sin6_port = htons(9) };
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	errno = 0;
	long sr = sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	int se = sr < 0 ? errno : 0;
	close(s);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	a.sin6_port = 0;
	errno = 0;
	long r = bind(s, (struct sockaddr *)&a, sizeof(a));
	V(step, "bind %ld %s, sendto %ld %s", r, errname(r ? errno : 0), sr, errname(se));
	close(s);
}

void case_ipv6_sysctl(void)
{
	static const char *ifs[] = { "all", "default", "lo" };
	static const char *keys[] = { "accept_dad", "accept_ra", "autoconf", "dad_transmits",
				      "disable_ipv6", "hop_limit", "mtu" };
	char name[96];
	list_dir("/proc/sys/net/ipv6/conf");
	/* every key moat has exists natively; the values of those */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		V(keys[i], "in conf/lo: %d", has_name("/proc/sys/net/ipv6/conf/lo", keys[i]));
	ip6_read("bindv6only");
	for (size_t f = 0; f < 3; f++)
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			snprintf(name, sizeof(name), "conf/%s/%s", ifs[f], keys[i]);
			ip6_read(name);
		}
	ip6_read("conf/nosuchif/hop_limit");
	ip6_read("conf/lo/nosuchkey");

	/* hop_limit: 1..255; the interface's is on the wire, all's is what
	 * an unconnected socket reports */
	static const char *hl_vals[] = { "0", "256", "-1", "abc", "1x", "", "\n", "10 x", "010",
					 "08", "0x10", "0x", "+5", "-", "\v5", "5\r", "1", "255" };
	for (size_t i = 0; i < sizeof(hl_vals) / sizeof(hl_vals[0]); i++)
		ip6_write_read("conf/lo/hop_limit", hl_vals[i]);
	ip6_write_read("conf/lo/hop_limit", "7");
	hop_limit_on_wire("after conf/lo/hop_limit 7");
	ip6_write_read("conf/all/hop_limit", "9");
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	get_int("IPV6_UNICAST_HOPS of a new socket, all/hop_limit 9", s, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
	close(s);
	/* a connected socket's: its route's interface's */
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 lo6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT,
				    .sin6_port = htons(9) };
	connect(s, (struct sockaddr *)&lo6, sizeof(lo6));
	get_int("IPV6_UNICAST_HOPS of a socket connected to ::1, lo's 7", s, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
	close(s);
	ip6_write("conf/all/hop_limit", "64");
	ip6_write("conf/lo/hop_limit", "64");
	hop_limit_on_wire("after conf/lo/hop_limit 64");
	ip6_write_read("conf/default/hop_limit", "0");
	ip6_write_read("conf/default/hop_limit", "33");
	ip6_write("conf/default/hop_limit", "64");

	/* mtu: an interface's up to its link's; all's and default's any
	 * value from 1280 */
	static const char *mtu_vals[] = { "1279", "65537", "1280", "65536", "1500" };
	for (size_t i = 0; i < sizeof(mtu_vals) / sizeof(mtu_vals[0]); i++)
		ip6_write_read("conf/lo/mtu", mtu_vals[i]);
	ip6_write("conf/lo/mtu", "65536");
	static const char *mtu_dflt[] = { "1279", "65576", "2147483647", "2147483648", "1280" };
	for (size_t i = 0; i < sizeof(mtu_dflt) / sizeof(mtu_dflt[0]); i++)
		ip6_write_read("conf/default/mtu", mtu_dflt[i]);

	/* the others: any int */
	static const char *int_vals[] = { "-1", "2", "2147483647", "2147483648", "-2147483648",
					  "abc", "0", "1" };
	static const char *int_keys[] = { "conf/lo/accept_ra", "conf/lo/autoconf",
					  "conf/lo/dad_transmits", "conf/default/accept_dad",
					  "conf/all/accept_ra" };
	for (size_t k = 0; k < sizeof(int_keys) / sizeof(int_keys[0]); k++)
		for (size_t i = 0; i < sizeof(int_vals) / sizeof(int_vals[0]); i++)
			ip6_write_read(int_keys[k], int_vals[i]);
	ip6_write("conf/default/accept_dad", "1");
	ip6_write("conf/lo/accept_dad", "-1");
	ip6_read("conf/lo/accept_dad");

	/* disable_ipv6: any int; not 0 takes ::1 away until it is 0 again;
	 * all's goes to default and every interface */
	ip6_write_read("conf/lo/disable_ipv6", "1");
	bind_lo6("bind [::1]:0 with lo's IPv6 off");
	ip6_write_read("conf/lo/disable_ipv6", "2");
	ip6_write_read("conf/lo/disable_ipv6", "abc");
	ip6_write_read("conf/lo/disable_ipv6", "0");
	bind_lo6("bind [::1]:0 with lo's IPv6 on again");
	hop_limit_on_wire("after disable_ipv6 1 and 0");
	ip6_write("conf/all/disable_ipv6", "1");
	ip6_read("conf/lo/disable_ipv6");
	ip6_read("conf/default/disable_ipv6");
	bind_lo6("bind [::1]:0 with all's IPv6 off");
	ip6_write("conf/all/disable_ipv6", "0");
	ip6_read("conf/lo/disable_ipv6");
	ip6_read("conf/default/disable_ipv6");
	bind_lo6("bind [::1]:0 with all's IPv6 on again");
	ip6_write_read("conf/default/disable_ipv6", "1");
	ip6_read("conf/lo/disable_ipv6");
	ip6_write("conf/default/disable_ipv6", "0");

	/* bindv6only: 0..255, the IPV6_V6ONLY of new IPv6 sockets */
	static const char *b_vals[] = { "-1", "256", "abc", "2", "0", "1" };
	for (size_t i = 0; i < sizeof(b_vals) / sizeof(b_vals[0]); i++)
		ip6_write_read("bindv6only", b_vals[i]);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	get_int("IPV6_V6ONLY of a UDP socket, bindv6only 1", s, IPPROTO_IPV6, IPV6_V6ONLY);
	close(s);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	get_int("IPV6_V6ONLY of a TCP socket, bindv6only 1", s, IPPROTO_IPV6, IPV6_V6ONLY);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	TRY("bind [::]:0 with bindv6only 1", bind(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
	ip6_write_read("bindv6only", "0");
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	get_int("IPV6_V6ONLY of a UDP socket, bindv6only 0", s, IPPROTO_IPV6, IPV6_V6ONLY);
	close(s);
}

/* ---- IPPROTO_IPV6 socket options ---- */

struct opt {
	const char *name;
	int opt;
};

#define O(x) { #x, x }

/* The options that take an int (the messages the receive flags bring:
 * ip6morecases.c). */
static const struct opt int_opts[] = {
	O(IPV6_ADDRFORM), O(IPV6_MTU), O(IPV6_MTU_DISCOVER), O(IPV6_MULTICAST_HOPS),
	O(IPV6_MULTICAST_IF), O(IPV6_RECVPKTINFO), O(IPV6_RECVHOPLIMIT), O(IPV6_RECVTCLASS),
	O(IPV6_RECVERR), O(IPV6_RECVORIGDSTADDR), O(IPV6_ROUTER_ALERT), O(IPV6_UNICAST_HOPS),
	O(IPV6_V6ONLY), O(IPV6_TCLASS), O(IPV6_DONTFRAG), O(IPV6_AUTOFLOWLABEL),
	O(IPV6_MINHOPCOUNT), O(IPV6_FREEBIND), O(IPV6_CHECKSUM), O(IPV6_MULTICAST_LOOP),
	O(IPV6_MULTICAST_ALL), O(IPV6_RECVRTHDR), O(IPV6_RECVHOPOPTS), O(IPV6_RECVDSTOPTS),
	O(IPV6_RECVPATHMTU), O(IPV6_RECVFRAGSIZE), O(IPV6_FLOWINFO), O(IPV6_FLOWINFO_SEND),
	O(IPV6_2292PKTINFO), O(IPV6_2292HOPLIMIT), O(IPV6_2292HOPOPTS), O(IPV6_2292DSTOPTS),
	O(IPV6_2292RTHDR), O(IPV6_TRANSPARENT), O(IPV6_UNICAST_IF), O(IPV6_ROUTER_ALERT_ISOLATE),
};

static const int int_vals[] = { 0, 1, -1, 2, 255, 256, 65535, 0x7fffffff, (int)0x80000000 };

/* One option of one socket: default, values and read back, short and bad
 * buffers. */
static void sweep_int(const char *sock, int (*mk)(void), const struct opt *o)
{
	char step[160];
	int fd = mk();
	snprintf(step, sizeof(step), "%s %s default", sock, o->name);
	get_int(step, fd, IPPROTO_IPV6, o->opt);
	for (size_t i = 0; i < sizeof(int_vals) / sizeof(int_vals[0]); i++) {
		/* (IPV6_ADDRFORM 2 turns the socket into an IPv4 one) */
		if (o->opt == IPV6_ADDRFORM && int_vals[i] == AF_INET) {
			close(fd);
			fd = mk();
		}
		snprintf(step, sizeof(step), "%s %s set %d", sock, o->name, int_vals[i]);
		set_int(step, fd, IPPROTO_IPV6, o->opt, int_vals[i]);
		snprintf(step, sizeof(step), "%s %s after %d", sock, o->name, int_vals[i]);
		get_int(step, fd, IPPROTO_IPV6, o->opt);
	}
	close(fd);
	fd = mk();
	int one = 1;
	for (socklen_t l = 0; l < 4; l++) {
		snprintf(step, sizeof(step), "%s %s set optlen %u", sock, o->name, (unsigned)l);
		TRY(step, setsockopt(fd, IPPROTO_IPV6, o->opt, &one, l));
	}
	snprintf(step, sizeof(step), "%s %s set optlen 8", sock, o->name);
	long long big = 1;
	TRY(step, setsockopt(fd, IPPROTO_IPV6, o->opt, &big, sizeof(big)));
	snprintf(step, sizeof(step), "%s %s set bad pointer", sock, o->name);
	TRY(step, setsockopt(fd, IPPROTO_IPV6, o->opt, (void *)8, sizeof(int)));
	for (socklen_t l = 0; l < 3; l++) {
		unsigned char b[4] = { 0xee, 0xee, 0xee, 0xee };
		socklen_t got = l;
		snprintf(step, sizeof(step), "%s %s get optlen %u", sock, o->name, (unsigned)l);
		errno = 0;
		int r = getsockopt(fd, IPPROTO_IPV6, o->opt, b, &got);
		V(step, "ret=%d errno=%s len=%u bytes=%02x%02x", r, errname(r < 0 ? errno : 0),
		  (unsigned)got, b[0], b[1]);
	}
	snprintf(step, sizeof(step), "%s %s get bad pointer", sock, o->name);
	socklen_t l4 = sizeof(int);
	TRY(step, getsockopt(fd, IPPROTO_IPV6, o->opt, (void *)8, &l4));
	snprintf(step, sizeof(step), "%s %s get bad optlen pointer", sock, o->name);
	TRY(step, getsockopt(fd, IPPROTO_IPV6, o->opt, &one, (socklen_t *)8));
	close(fd);
}

static int mk_udp(void)
{
	return socket(AF_INET6, SOCK_DGRAM, 0);
}

static int mk_tcp(void)
{
	return socket(AF_INET6, SOCK_STREAM, 0);
}

static int mk_udp4(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0);
}

static int mk_unix(void)
{
	return socket(AF_UNIX, SOCK_DGRAM, 0);
}

/* Control messages of one datagram over ::1 with the three RECV options. */
static void cmsgs(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	int r = mk_udp(), s = mk_udp(), one = 1, tc = 0x28;
	bind(r, (struct sockaddr *)&a, sizeof(a));
	getsockname(r, (struct sockaddr *)&a, &al);
	setsockopt(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	setsockopt(r, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	setsockopt(s, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof(tc));
	sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	struct pollfd p = { r, POLLIN, 0 };
	poll(&p, 1, 2000);
	char buf[8], cb[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	TRY("recvmsg", recvmsg(r, &m, MSG_DONTWAIT));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		char v[80] = "";
		if (c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			inet_ntop(AF_INET6, &pi.ipi6_addr, v, sizeof(v));
			snprintf(v + strlen(v), sizeof(v) - strlen(v), " if %u", pi.ipi6_ifindex);
		} else if (c->cmsg_len == CMSG_LEN(sizeof(int))) {
			int x;
			memcpy(&x, CMSG_DATA(c), sizeof(x));
			snprintf(v, sizeof(v), "%d", x);
		}
		V("cmsg", "level %d type %d len %zu %s", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len, v);
	}
	V("cmsg", "flags %#x", m.msg_flags);
	/* a control buffer too short for all of them */
	sendto(s, "y", 1, 0, (struct sockaddr *)&a, sizeof(a));
	poll(&p, 1, 2000);
	m.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
	TRY("recvmsg, room for one", recvmsg(r, &m, MSG_DONTWAIT));
	V("cmsg room for one", "controllen %zu flags %#x", (size_t)m.msg_controllen, m.msg_flags);

	/* a connected socket's IPV6_MTU and IPV6_ADDRFORM; IPV6_MTU's
	 * fragment size with and without IPV6_DONTFRAG */
	connect(s, (struct sockaddr *)&a, sizeof(a));
	get_int("connected IPV6_MTU", s, IPPROTO_IPV6, IPV6_MTU);
	get_int("connected IPV6_ADDRFORM", s, IPPROTO_IPV6, IPV6_ADDRFORM);
	static char big[2000];
	set_int("IPV6_MTU 1280", s, IPPROTO_IPV6, IPV6_MTU, 1280);
	TRY("send 2000 bytes, fragment size 1280", send(s, big, sizeof(big), 0));
	set_int("IPV6_DONTFRAG 1", s, IPPROTO_IPV6, IPV6_DONTFRAG, 1);
	TRY("send 2000 bytes, IPV6_DONTFRAG", send(s, big, sizeof(big), 0));
	TRY("send 1000 bytes, IPV6_DONTFRAG", send(s, big, 1000, 0));
	for (int i = 0; i < 2; i++) {
		poll(&p, 1, 2000);
		TRY("recv", recv(r, big, sizeof(big), MSG_DONTWAIT));
	}
	close(r);
	close(s);
}

void case_ip6_options(void)
{
	for (size_t i = 0; i < sizeof(int_opts) / sizeof(int_opts[0]); i++) {
		sweep_int("udp", mk_udp, &int_opts[i]);
		sweep_int("tcp", mk_tcp, &int_opts[i]);
	}
	/* the wrong kind of socket */
	int fd = mk_udp4();
	set_int("udp4 IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	get_int("udp4 IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY);
	set_int("udp4 IPV6_UNICAST_HOPS", fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 1);
	get_int("udp4 IPV6_UNICAST_HOPS", fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
	close(fd);
	fd = mk_unix();
	set_int("unix IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	get_int("unix IPV6_V6ONLY", fd, IPPROTO_IPV6, IPV6_V6ONLY);
	close(fd);
	/* (the group membership options: mcast6cases.c) */
	cmsgs();
}
