/*
 * socket(7)'s SOL_SOCKET options that every family answers alike and
 * nothing in the sandbox acts on (struct sock_kept in the sentry): their
 * defaults, values and refusals on TCP, UDP, unix stream and datagram
 * sockets; SO_COOKIE and SO_NETNS_COOKIE (stable, distinct, never 0),
 * SO_PEERNAME, SO_TXTIME, SO_BINDTOIFINDEX on a TCP socket, the _NEW
 * timeout names, and what an accepted socket keeps of its listener's.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <grp.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static const struct {
	const char *name;
	int opt;
} kept[] = {
	{ "SO_NO_CHECK", SO_NO_CHECK },
	{ "SO_WIFI_STATUS", SO_WIFI_STATUS },
	{ "SO_NOFCS", SO_NOFCS },
	{ "SO_MAX_PACING_RATE", SO_MAX_PACING_RATE },
	{ "SO_BPF_EXTENSIONS", SO_BPF_EXTENSIONS },
	{ "SO_INCOMING_CPU", SO_INCOMING_CPU },
	{ "SO_PREFER_BUSY_POLL", 69 },
	{ "SO_BUSY_POLL_BUDGET", 70 },
	{ "SO_RESERVE_MEM", 73 },
	{ "SO_TXREHASH", 74 },
	{ "SO_RCVMARK", 75 },
	{ "SO_BINDTOIFINDEX", SO_BINDTOIFINDEX },
	{ "SO_PASSSEC", SO_PASSSEC },
	{ "SO_PEERSEC", SO_PEERSEC },
	{ "SO_BUF_LOCK", SO_BUF_LOCK },
};

static const struct {
	const char *name;
	int family, type;
} kinds[] = {
	{ "tcp", AF_INET, SOCK_STREAM },
	{ "udp", AF_INET, SOCK_DGRAM },
	{ "tcp6", AF_INET6, SOCK_STREAM },
	{ "unix stream", AF_UNIX, SOCK_STREAM },
	{ "unix dgram", AF_UNIX, SOCK_DGRAM },
};

static void sweep(void)
{
	static const int vals[] = { 1, 0, -1, 3, 100000 };
	char step[128];
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
			int s = socket(kinds[k].family, kinds[k].type, 0);
			snprintf(step, sizeof(step), "%s %s default", kinds[k].name, kept[i].name);
			get_int(step, s, SOL_SOCKET, kept[i].opt);
			for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
				snprintf(step, sizeof(step), "%s %s set %d", kinds[k].name, kept[i].name, vals[j]);
				set_int(step, s, SOL_SOCKET, kept[i].opt, vals[j]);
				snprintf(step, sizeof(step), "%s %s after %d", kinds[k].name, kept[i].name, vals[j]);
				get_int(step, s, SOL_SOCKET, kept[i].opt);
			}
			char one = 1;
			snprintf(step, sizeof(step), "%s %s one byte", kinds[k].name, kept[i].name);
			TRY(step, setsockopt(s, SOL_SOCKET, kept[i].opt, &one, 1));
			close(s);
		}
}

/* SO_MAX_PACING_RATE in 64 bits both ways */
static void pacing64(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	uint64_t r = 0;
	socklen_t l = sizeof(r);
	TRY("SO_MAX_PACING_RATE read in 8 bytes", getsockopt(s, SOL_SOCKET, SO_MAX_PACING_RATE, &r, &l));
	V("SO_MAX_PACING_RATE read in 8 bytes", "%#llx len %u", (unsigned long long)r, (unsigned)l);
	r = 0x123456789ull;
	TRY("SO_MAX_PACING_RATE set in 8 bytes", setsockopt(s, SOL_SOCKET, SO_MAX_PACING_RATE, &r, sizeof(r)));
	l = sizeof(r);
	getsockopt(s, SOL_SOCKET, SO_MAX_PACING_RATE, &r, &l);
	V("SO_MAX_PACING_RATE after", "%#llx len %u", (unsigned long long)r, (unsigned)l);
	get_int("SO_MAX_PACING_RATE after, as an int", s, SOL_SOCKET, SO_MAX_PACING_RATE);
	close(s);
}

static void cookies(void)
{
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int s = socket(kinds[k].family, kinds[k].type, 0), s2 = socket(kinds[k].family, kinds[k].type, 0);
		uint64_t a = 0, b = 0, c = 0, n1 = 0, n2 = 0;
		socklen_t l = 8;
		int r = getsockopt(s, SOL_SOCKET, SO_COOKIE, &a, &l);
		l = 8;
		getsockopt(s, SOL_SOCKET, SO_COOKIE, &b, &l);
		l = 8;
		getsockopt(s2, SOL_SOCKET, SO_COOKIE, &c, &l);
		V(kinds[k].name, "SO_COOKIE %d len %u, not 0 %d, stable %d, its own %d", r, (unsigned)l, a != 0, a == b, a != c);
		l = 4;
		errno = 0;
		r = getsockopt(s, SOL_SOCKET, SO_COOKIE, &a, &l);
		V(kinds[k].name, "SO_COOKIE in 4 bytes %d %s", r, errname(r ? errno : 0));
		l = 8;
		r = getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &n1, &l);
		l = 8;
		getsockopt(s2, SOL_SOCKET, SO_NETNS_COOKIE, &n2, &l);
		V(kinds[k].name, "SO_NETNS_COOKIE %d len %u, not 0 %d, the same for both %d", r, (unsigned)l, n1 != 0, n1 == n2);
		l = 16;
		errno = 0;
		r = getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &n1, &l);
		V(kinds[k].name, "SO_NETNS_COOKIE in 16 bytes %d %s", r, errname(r ? errno : 0));
		struct sock_txtime tt = { 7, 7 };
		l = sizeof(tt);
		r = getsockopt(s, SOL_SOCKET, SO_TXTIME, &tt, &l);
		V(kinds[k].name, "SO_TXTIME %d len %u clock %d flags %u", r, (unsigned)l, (int)tt.clockid, tt.flags);
		tt = (struct sock_txtime){ CLOCK_MONOTONIC, SOF_TXTIME_REPORT_ERRORS };
		TRY("SO_TXTIME set", setsockopt(s, SOL_SOCKET, SO_TXTIME, &tt, sizeof(tt)));
		l = sizeof(tt);
		getsockopt(s, SOL_SOCKET, SO_TXTIME, &tt, &l);
		V(kinds[k].name, "SO_TXTIME after: clock %d flags %u", (int)tt.clockid, tt.flags);
		tt.flags = 0x100;
		TRY("SO_TXTIME unknown flag", setsockopt(s, SOL_SOCKET, SO_TXTIME, &tt, sizeof(tt)));
		TRY("SO_TXTIME short", setsockopt(s, SOL_SOCKET, SO_TXTIME, &tt, 4));
		char pn[128];
		l = sizeof(pn);
		errno = 0;
		r = getsockopt(s, SOL_SOCKET, SO_PEERNAME, pn, &l);
		V(kinds[k].name, "SO_PEERNAME unconnected %d %s", r, errname(r ? errno : 0));
		struct timeval tv = { 3, 5 };
		TRY("SO_RCVTIMEO_NEW set", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO_NEW, &tv, sizeof(tv)));
		memset(&tv, 0, sizeof(tv));
		l = sizeof(tv);
		getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &l);
		V(kinds[k].name, "SO_RCVTIMEO after the _NEW one: %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
		l = sizeof(tv);
		r = getsockopt(s, SOL_SOCKET, SO_SNDTIMEO_NEW, &tv, &l);
		V(kinds[k].name, "SO_SNDTIMEO_NEW %d len %u %ld.%06ld", r, (unsigned)l, (long)tv.tv_sec, (long)tv.tv_usec);
		close(s);
		close(s2);
	}
}

/* SO_PEERNAME of connected sockets (Linux refuses a longer buffer than
 * the address), and an accepted socket's kept options */
static void connected(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	set_int("listener SO_RCVMARK 1", l, SOL_SOCKET, 75, 1);
	listen(l, 2);
	getsockname(l, (struct sockaddr *)&a, &al);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	struct sockaddr_in p;
	socklen_t pl = sizeof(p);
	int r = getsockopt(c, SOL_SOCKET, SO_PEERNAME, &p, &pl);
	V("tcp SO_PEERNAME", "%d len %u, the listener's %d", r, (unsigned)pl,
	  p.sin_port == a.sin_port && p.sin_addr.s_addr == a.sin_addr.s_addr);
	pl = 8;
	r = getsockopt(c, SOL_SOCKET, SO_PEERNAME, &p, &pl);
	V("tcp SO_PEERNAME in 8 bytes", "%d len %u", r, (unsigned)pl);
	char big[64];
	pl = sizeof(big);
	errno = 0;
	r = getsockopt(c, SOL_SOCKET, SO_PEERNAME, big, &pl);
	V("tcp SO_PEERNAME in 64 bytes", "%d %s", r, errname(r ? errno : 0));
	struct pollfd pf = { l, POLLIN, 0 };
	poll(&pf, 1, 2000);
	int s = accept(l, NULL, NULL);
	/* (not SO_INCOMING_CPU: Linux's is the CPU that took the
	 * handshake's last segment) */
	get_int("accepted SO_RCVMARK", s, SOL_SOCKET, 75);
	set_int("tcp SO_BINDTOIFINDEX 1", c, SOL_SOCKET, SO_BINDTOIFINDEX, 1);
	char dev[16] = "";
	socklen_t dl = sizeof(dev);
	r = getsockopt(c, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl);
	V("tcp SO_BINDTODEVICE after", "%d '%s' len %u", r, dev, (unsigned)dl);
	set_int("tcp SO_BINDTOIFINDEX 0", c, SOL_SOCKET, SO_BINDTOIFINDEX, 0);
	get_int("tcp SO_BINDTOIFINDEX after 0", c, SOL_SOCKET, SO_BINDTOIFINDEX);
	close(s);
	close(c);
	close(l);
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	pl = sizeof(big);
	errno = 0;
	r = getsockopt(sp[0], SOL_SOCKET, SO_PEERNAME, big, &pl);
	V("socketpair SO_PEERNAME", "%d %s", r, errname(r ? errno : 0));
	pl = sizeof(sa_family_t);
	r = getsockopt(sp[0], SOL_SOCKET, SO_PEERNAME, big, &pl);
	V("socketpair SO_PEERNAME in 2 bytes", "%d len %u family %d", r, (unsigned)pl, ((struct sockaddr *)big)->sa_family);
	gid_t groups[64], mine[64];
	int nmine = getgroups(64, mine);
	pl = sizeof(groups);
	r = getsockopt(sp[0], SOL_SOCKET, SO_PEERGROUPS, groups, &pl);
	V("socketpair SO_PEERGROUPS", "%d len %u, our own groups %d", r, (unsigned)pl,
	  r == 0 && pl == (socklen_t)(nmine * (int)sizeof(gid_t)) && !memcmp(groups, mine, pl));
	pl = 0;
	errno = 0;
	r = getsockopt(sp[0], SOL_SOCKET, SO_PEERGROUPS, groups, &pl);
	V("socketpair SO_PEERGROUPS in 0 bytes", "%d %s len %u", r, errname(r ? errno : 0), (unsigned)pl);
	int pfd = -1;
	pl = sizeof(pfd);
	r = getsockopt(sp[0], SOL_SOCKET, SO_PEERPIDFD, &pfd, &pl);
	errno = 0;
	long sig = r == 0 ? syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0) : -1;
	V("socketpair SO_PEERPIDFD", "%d len %u, a pidfd of ours %d", r, (unsigned)pl, sig == 0);
	if (r == 0)
		close(pfd);
	int lone = socket(AF_UNIX, SOCK_STREAM, 0);
	pl = sizeof(pfd);
	errno = 0;
	r = getsockopt(lone, SOL_SOCKET, SO_PEERPIDFD, &pfd, &pl);
	V("unconnected SO_PEERPIDFD", "%d %s", r, errname(r ? errno : 0));
	pl = sizeof(groups);
	errno = 0;
	r = getsockopt(lone, SOL_SOCKET, SO_PEERGROUPS, groups, &pl);
	V("unconnected SO_PEERGROUPS", "%d %s", r, errname(r ? errno : 0));
	close(lone);
	close(sp[0]);
	close(sp[1]);
}

/* SO_BUF_LOCK: what SO_SNDBUF and SO_RCVBUF lock, and a locked receive
 * buffer that TCP's autotuning leaves as it is */
static void buf_lock(void)
{
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char step[96];
		int s = socket(kinds[k].family, kinds[k].type, 0);
		set_int("SO_RCVBUF 100000", s, SOL_SOCKET, SO_RCVBUF, 100000);
		snprintf(step, sizeof(step), "%s SO_BUF_LOCK after SO_RCVBUF", kinds[k].name);
		get_int(step, s, SOL_SOCKET, SO_BUF_LOCK);
		set_int("SO_SNDBUF 100000", s, SOL_SOCKET, SO_SNDBUF, 100000);
		snprintf(step, sizeof(step), "%s SO_BUF_LOCK after SO_SNDBUF", kinds[k].name);
		get_int(step, s, SOL_SOCKET, SO_BUF_LOCK);
		close(s);
	}
	for (int locked = 0; locked < 2; locked++) {
		int c, s;
		tcp_pair(&c, &s);
		int before = 0;
		socklen_t l = sizeof(before);
		if (locked)
			set_int("SO_BUF_LOCK 2 on the reader", s, SOL_SOCKET, SO_BUF_LOCK, 2);
		getsockopt(s, SOL_SOCKET, SO_RCVBUF, &before, &l);
		static char buf[1 << 16];
		long moved = 0;
		while (moved < (4l << 20)) {
			long n = send(c, buf, sizeof(buf), MSG_DONTWAIT);
			struct pollfd p = { s, POLLIN, 0 };
			if (poll(&p, 1, 2000) <= 0)
				break;
			long m = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
			if (m > 0)
				moved += m;
			(void)n;
		}
		int after = 0;
		l = sizeof(after);
		getsockopt(s, SOL_SOCKET, SO_RCVBUF, &after, &l);
		V(locked ? "4 MiB to a locked reader" : "4 MiB to an unlocked reader", "its SO_RCVBUF %s",
		  after == before ? "stayed" : after > before ? "grew" : "shrank");
		close(c);
		close(s);
	}
}

/* SO_PEERGROUPS of a peer with supplementary groups (in a child: it
 * changes its own) */
static void peer_groups(void)
{
	static const gid_t g[2] = { 5, 7 };
	TRY("setgroups 5 7", setgroups(2, g));
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	gid_t got[4] = { 0 };
	socklen_t l = sizeof(got);
	int r = getsockopt(sp[1], SOL_SOCKET, SO_PEERGROUPS, got, &l);
	V("SO_PEERGROUPS with groups", "%d len %u: %u %u", r, (unsigned)l, (unsigned)got[0], (unsigned)got[1]);
	l = 4;
	errno = 0;
	r = getsockopt(sp[1], SOL_SOCKET, SO_PEERGROUPS, got, &l);
	V("SO_PEERGROUPS in 4 bytes", "%d %s len %u", r, errname(r ? errno : 0), (unsigned)l);
	close(sp[0]);
	close(sp[1]);
}

/* A new IP_TOS sets SO_PRIORITY from its TOS bits (Linux's
 * rt_tos2priority); the same TOS again leaves it */
static void tos_priority(void)
{
	static const int tos[] = { 0x10, 0x08, 0x1c, 0xfc, 0x02, 0 };
	char step[64];
	for (int k = 0; k < 2; k++) {
		int s = socket(AF_INET, k ? SOCK_STREAM : SOCK_DGRAM, 0);
		for (size_t i = 0; i < sizeof(tos) / sizeof(tos[0]); i++) {
			snprintf(step, sizeof(step), "%s IP_TOS %#x", k ? "tcp" : "udp", tos[i]);
			set_int(step, s, IPPROTO_IP, IP_TOS, tos[i]);
			snprintf(step, sizeof(step), "%s SO_PRIORITY after IP_TOS %#x", k ? "tcp" : "udp", tos[i]);
			get_int(step, s, SOL_SOCKET, SO_PRIORITY);
		}
		set_int("SO_PRIORITY 5", s, SOL_SOCKET, SO_PRIORITY, 5);
		set_int("IP_TOS as it was", s, IPPROTO_IP, IP_TOS, 0);
		get_int("SO_PRIORITY after the same IP_TOS", s, SOL_SOCKET, SO_PRIORITY);
		close(s);
	}
}

void case_socket_options_kept(void)
{
	tos_priority();
	ck_child(peer_groups);
	buf_lock();
	sweep();
	pacing64();
	cookies();
	connected();
}

/* ---- SO_TIMESTAMP, SO_TIMESTAMPNS and their _NEW names ---- */

static const struct {
	const char *name;
	int opt;
} ts_opts[] = {
	{ "SO_TIMESTAMP", SO_TIMESTAMP },
	{ "SO_TIMESTAMPNS", SO_TIMESTAMPNS },
	{ "SO_TIMESTAMP_NEW", SO_TIMESTAMP_NEW },
	{ "SO_TIMESTAMPNS_NEW", SO_TIMESTAMPNS_NEW },
};

/* A read's control messages: level, type, length, and whether a stamp
 * lies between the send and now. */
static void ts_read(const char *step, int r, const struct timespec *before)
{
	struct pollfd p = { r, POLLIN, 0 };
	poll(&p, 1, 2000);
	char b[64], cb[512];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	long n = recvmsg(r, &m, MSG_DONTWAIT);
	struct timespec after;
	clock_gettime(CLOCK_REALTIME, &after);
	char line[256];
	int at = snprintf(line, sizeof(line), "%ld bytes, flags %#x:", n, n < 0 ? 0 : m.msg_flags);
	for (struct cmsghdr *c = n < 0 ? NULL : CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		const char *when = "";
		if (c->cmsg_level == SOL_SOCKET && dl == 16 && c->cmsg_type != SCM_CREDENTIALS) {
			long long sec, frac;
			memcpy(&sec, CMSG_DATA(c), 8);
			memcpy(&frac, CMSG_DATA(c) + 8, 8);
			int ns = c->cmsg_type == SO_TIMESTAMPNS || c->cmsg_type == SO_TIMESTAMPNS_NEW;
			long long t = sec * 1000000000ll + frac * (ns ? 1 : 1000);
			long long lo = before->tv_sec * 1000000000ll + before->tv_nsec - (ns ? 0 : 1000);
			long long hi = after.tv_sec * 1000000000ll + after.tv_nsec;
			when = t >= lo && t <= hi ? " in time" : " out of time";
		}
		at += snprintf(line + at, sizeof(line) - (size_t)at, " [%d %d %zu%s]", c->cmsg_level, c->cmsg_type, dl,
			       when);
		if (at >= (int)sizeof(line) - 40)
			break;
	}
	V(step, "%s", line);
}

void case_socket_timestamps(void)
{
	static const struct {
		const char *name;
		int family, type;
	} k[] = { { "unix dgram", AF_UNIX, SOCK_DGRAM },
		  { "unix seqpacket", AF_UNIX, SOCK_SEQPACKET },
		  { "unix stream", AF_UNIX, SOCK_STREAM },
		  { "udp", AF_INET, SOCK_DGRAM },
		  { "tcp", AF_INET, SOCK_STREAM } };
	/* (TCP's reads are not compared: Linux stamps a segment only once
	 * the host's stamping, turned on by the option, took effect, which
	 * it does a moment later, so a first read may come without) */
	char step[128];
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		for (size_t o = 0; o < sizeof(ts_opts) / sizeof(ts_opts[0]); o++) {
			int pair[2];
			if (k[i].family == AF_UNIX) {
				socketpair(AF_UNIX, k[i].type, 0, pair);
			} else if (k[i].type == SOCK_STREAM) {
				tcp_pair(&pair[0], &pair[1]);
			} else {
				struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
				socklen_t al = sizeof(a);
				pair[1] = socket(AF_INET, SOCK_DGRAM, 0);
				bind(pair[1], (struct sockaddr *)&a, sizeof(a));
				getsockname(pair[1], (struct sockaddr *)&a, &al);
				pair[0] = socket(AF_INET, SOCK_DGRAM, 0);
				connect(pair[0], (struct sockaddr *)&a, sizeof(a));
			}
			snprintf(step, sizeof(step), "%s %s on", k[i].name, ts_opts[o].name);
			set_int(step, pair[1], SOL_SOCKET, ts_opts[o].opt, 1);
			for (size_t g = 0; g < sizeof(ts_opts) / sizeof(ts_opts[0]); g++) {
				snprintf(step, sizeof(step), "%s %s on: %s", k[i].name, ts_opts[o].name, ts_opts[g].name);
				step[strcspn(step, ":")] = ',';
				get_int(step, pair[1], SOL_SOCKET, ts_opts[g].opt);
			}
			struct timespec before;
			clock_gettime(CLOCK_REALTIME, &before);
			send(pair[0], "abc", 3, 0);
			snprintf(step, sizeof(step), "%s %s read", k[i].name, ts_opts[o].name);
			if (k[i].type != SOCK_STREAM || k[i].family == AF_UNIX)
				ts_read(step, pair[1], &before);
			snprintf(step, sizeof(step), "%s %s off", k[i].name, ts_opts[o].name);
			set_int(step, pair[1], SOL_SOCKET, ts_opts[(o + 1) % 4].opt, 0);
			get_int(step, pair[1], SOL_SOCKET, ts_opts[o].opt);
			send(pair[0], "de", 2, 0);
			snprintf(step, sizeof(step), "%s %s read after off", k[i].name, ts_opts[o].name);
			if (k[i].type != SOCK_STREAM || k[i].family == AF_UNIX)
				ts_read(step, pair[1], &before);
			close(pair[0]);
			close(pair[1]);
		}
	/* a unix datagram with credentials and a descriptor: the order */
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	int one = 1;
	setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	setsockopt(sp[1], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	char cb[CMSG_SPACE(sizeof(int))];
	memset(cb, 0, sizeof(cb));
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	int fd0 = 0;
	memcpy(CMSG_DATA(c), &fd0, sizeof(int));
	struct timespec before;
	clock_gettime(CLOCK_REALTIME, &before);
	TRY("send with a descriptor", sendmsg(sp[0], &m, 0));
	ts_read("stamp, credentials and descriptor", sp[1], &before);
	close(sp[0]);
	close(sp[1]);
}
