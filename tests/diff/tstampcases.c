/*
 * SO_TIMESTAMPING and SO_TIMESTAMPING_NEW (Documentation/networking/
 * timestamping.rst): the flags Linux takes and refuses, what getsockopt
 * gives back, the interplay with SO_TIMESTAMP's _NEW flag; receive stamps
 * (SCM_TIMESTAMPING, its place among other control messages) on UDP, TCP
 * and unix sockets; transmit stamps on the error queue (struct
 * sock_extended_err, ids, payloads, POLLERR). Never the times themselves:
 * only whether a stamp is there, non-zero in ts[0] and zero in ts[1..2].
 *
 * Linux stamps a received packet only while some socket of the host asks
 * for receive stamps (a static key that turns on a moment after the first
 * asks); the case keeps such a socket open from its start, and waits a
 * little, so the native run's stamps do not depend on the host's other
 * sockets.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif
#define TS_OLD 37 /* SO_TIMESTAMPING_OLD, also SCM_TIMESTAMPING */
/* (Linux 6.x's flags, newer than the host's headers may be) */
#define F_OPT_ID_TCP (1 << 16)
#define F_OPT_RX_FILTER (1 << 17)

#define F_RX (SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE)
#define F_TX (SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE)

static int udp_bound(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	return s;
}

/* two UDP sockets connected to each other over 127.0.0.1 */
static void udp_pair(int *a, int *b)
{
	*a = udp_bound();
	*b = udp_bound();
	struct sockaddr_in x;
	socklen_t l = sizeof(x);
	getsockname(*b, (struct sockaddr *)&x, &l);
	connect(*a, (struct sockaddr *)&x, sizeof(x));
	l = sizeof(x);
	getsockname(*a, (struct sockaddr *)&x, &l);
	connect(*b, (struct sockaddr *)&x, sizeof(x));
}

static void set_ts(const char *step, int fd, int name, unsigned flags)
{
	int v = (int)flags;
	errno = 0;
	R(step, setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v)));
}

/* getsockopt of SO_TIMESTAMPING* into a buffer of `room` bytes */
static void get_ts(const char *step, int fd, int name, socklen_t room)
{
	int v[3] = { -1, -1, -1 };
	socklen_t l = room;
	errno = 0;
	int r = getsockopt(fd, SOL_SOCKET, name, v, &l);
	V(step, "ret=%d errno=%s len=%u flags=%#x phc=%d", r, errname(r ? errno : 0), (unsigned)l, (unsigned)v[0],
	  room >= 8 ? v[1] : -1);
}

/* One line for a message's control messages: level, type, length; for
 * a stamp whether its parts are set (1) or zero (0); for an extended
 * error its fields. */
static void show(const char *step, long n, struct msghdr *m)
{
	char line[512];
	int at = snprintf(line, sizeof(line), "%ld%s flags %#x namelen %u:", n, n < 0 ? errname(errno) : "",
			  n < 0 ? 0 : m->msg_flags, n < 0 ? 0 : (unsigned)m->msg_namelen);
	for (struct cmsghdr *c = n < 0 ? NULL : CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		at += snprintf(line + at, sizeof(line) - (size_t)at, " [%d %d %zu", c->cmsg_level, c->cmsg_type, dl);
		if (c->cmsg_level == SOL_SOCKET && (c->cmsg_type == TS_OLD || c->cmsg_type == SO_TIMESTAMPING_NEW) &&
		    dl == 48) {
			long long t[6];
			memcpy(t, CMSG_DATA(c), sizeof(t));
			for (int k = 0; k < 3; k++)
				at += snprintf(line + at, sizeof(line) - (size_t)at, " %d", t[2 * k] || t[2 * k + 1]);
		} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			at += snprintf(line + at, sizeof(line) - (size_t)at, " errno %s origin %u type %u code %u info %u data %u",
				       errname((int)ee.ee_errno), ee.ee_origin, ee.ee_type, ee.ee_code, ee.ee_info, ee.ee_data);
		}
		at += snprintf(line + at, sizeof(line) - (size_t)at, "]");
		if (at >= (int)sizeof(line) - 80)
			break;
	}
	V(step, "%s", line);
}

/* (unix reads ask for no address: what a socketpair's datagram gives is
 * not this case's business) */
static void read_one(const char *step, int fd, int flags)
{
	char b[256], cb[512];
	struct sockaddr_storage from;
	struct iovec iov = { b, sizeof(b) };
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	getsockname(fd, (struct sockaddr *)&me, &ml);
	int unix_fd = me.ss_family == AF_UNIX;
	struct msghdr m = { .msg_name = unix_fd ? NULL : &from, .msg_namelen = unix_fd ? 0 : sizeof(from),
			    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	errno = 0;
	long n = recvmsg(fd, &m, flags | MSG_DONTWAIT);
	show(step, n, &m);
}

static void wait_in(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	poll(&p, 1, 2000);
}

/* what poll and epoll say of fd's error queue */
static void pollerr(const char *step, int fd)
{
	struct pollfd p = { fd, 0, 0 };
	int r = poll(&p, 1, 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	int er = epoll_wait(ep, &out, 1, 0);
	close(ep);
	V(step, "poll %d %#x epoll %d %#x", r, (unsigned)p.revents, er, er > 0 ? out.events : 0);
}

/* every report on fd's error queue, one line each, then EAGAIN */
static void drain_errq(const char *step, int fd)
{
	char s[96];
	for (int i = 0; i < 8; i++) {
		snprintf(s, sizeof(s), "%s errq %d", step, i);
		errno = 0;
		char b[256], cb[512];
		struct sockaddr_storage from;
		struct iovec iov = { b, sizeof(b) };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cb, .msg_controllen = sizeof(cb) };
		long n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		show(s, n, &m);
		if (n < 0)
			break;
	}
}

/* ---- setsockopt and getsockopt ---- */

static const struct {
	const char *name;
	unsigned flags;
} tries[] = {
	{ "0", 0 },
	{ "rx software", F_RX },
	{ "software only", SOF_TIMESTAMPING_SOFTWARE },
	{ "tx software opt_id", F_TX | SOF_TIMESTAMPING_OPT_ID },
	{ "opt_id_tcp alone", F_TX | F_OPT_ID_TCP },
	{ "opt_id_tcp with opt_id", F_TX | SOF_TIMESTAMPING_OPT_ID | F_OPT_ID_TCP },
	{ "opt_stats alone", F_TX | SOF_TIMESTAMPING_OPT_STATS },
	{ "opt_stats tsonly", F_TX | SOF_TIMESTAMPING_OPT_STATS | SOF_TIMESTAMPING_OPT_TSONLY },
	{ "bind_phc", SOF_TIMESTAMPING_BIND_PHC },
	{ "hardware", SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE },
	{ "rx_filter", F_RX | F_OPT_RX_FILTER },
	{ "bit 18", 1u << 18 },
	{ "bit 19", 1u << 19 },
	{ "bit 31", 1u << 31 },
	{ "all of 0-17", (1u << 18) - 1 },
};

static void options_on(const char *kind, int fd)
{
	char s[128];
	snprintf(s, sizeof(s), "%s default", kind);
	get_ts(s, fd, TS_OLD, 4);
	snprintf(s, sizeof(s), "%s default struct", kind);
	get_ts(s, fd, TS_OLD, 8);
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		snprintf(s, sizeof(s), "%s set %s", kind, tries[i].name);
		set_ts(s, fd, TS_OLD, tries[i].flags);
		snprintf(s, sizeof(s), "%s get after %s", kind, tries[i].name);
		get_ts(s, fd, TS_OLD, 4);
	}
	set_ts("reset", fd, TS_OLD, 0);
	/* lengths: short, the struct (flags and a PHC index), longer */
	struct so_timestamping st = { .flags = F_RX, .bind_phc = 3 };
	snprintf(s, sizeof(s), "%s set len 2", kind);
	TRY(s, setsockopt(fd, SOL_SOCKET, TS_OLD, &st, 2));
	snprintf(s, sizeof(s), "%s set struct", kind);
	TRY(s, setsockopt(fd, SOL_SOCKET, TS_OLD, &st, sizeof(st)));
	snprintf(s, sizeof(s), "%s get struct", kind);
	get_ts(s, fd, TS_OLD, 8);
	snprintf(s, sizeof(s), "%s get 12 bytes", kind);
	get_ts(s, fd, TS_OLD, 12);
	snprintf(s, sizeof(s), "%s get 2 bytes", kind);
	get_ts(s, fd, TS_OLD, 2);
	snprintf(s, sizeof(s), "%s get 0 bytes", kind);
	get_ts(s, fd, TS_OLD, 0);
	st.flags = SOF_TIMESTAMPING_BIND_PHC;
	snprintf(s, sizeof(s), "%s set struct bind_phc 3", kind);
	TRY(s, setsockopt(fd, SOL_SOCKET, TS_OLD, &st, sizeof(st)));
	st.bind_phc = -1;
	snprintf(s, sizeof(s), "%s set struct bind_phc -1", kind);
	TRY(s, setsockopt(fd, SOL_SOCKET, TS_OLD, &st, sizeof(st)));
	int v12[3] = { F_RX, 0, 0 };
	snprintf(s, sizeof(s), "%s set len 12", kind);
	TRY(s, setsockopt(fd, SOL_SOCKET, TS_OLD, v12, sizeof(v12)));
	snprintf(s, sizeof(s), "%s get after len 12", kind);
	get_ts(s, fd, TS_OLD, 8);
	/* the _NEW name: getsockopt of either; SO_TIMESTAMP's _NEW flag */
	snprintf(s, sizeof(s), "%s set new", kind);
	set_ts(s, fd, SO_TIMESTAMPING_NEW, F_RX);
	snprintf(s, sizeof(s), "%s get old after new", kind);
	get_ts(s, fd, TS_OLD, 8);
	snprintf(s, sizeof(s), "%s get new after new", kind);
	get_ts(s, fd, SO_TIMESTAMPING_NEW, 8);
	snprintf(s, sizeof(s), "%s SO_TIMESTAMP on after new", kind);
	set_int(s, fd, SOL_SOCKET, SO_TIMESTAMP, 1);
	snprintf(s, sizeof(s), "%s get new after SO_TIMESTAMP", kind);
	get_ts(s, fd, SO_TIMESTAMPING_NEW, 8);
	snprintf(s, sizeof(s), "%s SO_TIMESTAMP after SO_TIMESTAMP", kind);
	get_int(s, fd, SOL_SOCKET, SO_TIMESTAMP);
	snprintf(s, sizeof(s), "%s SO_TIMESTAMP_NEW on", kind);
	set_int(s, fd, SOL_SOCKET, SO_TIMESTAMP_NEW, 1);
	snprintf(s, sizeof(s), "%s get new after SO_TIMESTAMP_NEW", kind);
	get_ts(s, fd, SO_TIMESTAMPING_NEW, 8);
	snprintf(s, sizeof(s), "%s set old", kind);
	set_ts(s, fd, TS_OLD, F_RX);
	snprintf(s, sizeof(s), "%s SO_TIMESTAMP_NEW after old", kind);
	get_int(s, fd, SOL_SOCKET, SO_TIMESTAMP_NEW);
	snprintf(s, sizeof(s), "%s SO_TIMESTAMP after old", kind);
	get_int(s, fd, SOL_SOCKET, SO_TIMESTAMP);
	snprintf(s, sizeof(s), "%s get new after old", kind);
	get_ts(s, fd, SO_TIMESTAMPING_NEW, 8);
	set_int("SO_TIMESTAMP off", fd, SOL_SOCKET, SO_TIMESTAMP, 0);
	set_ts("reset", fd, TS_OLD, 0);
}

static void options(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	options_on("udp", fd);
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	options_on("udp6", fd);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	options_on("tcp unconnected", fd);
	listen(fd, 1);
	set_ts("tcp listening opt_id", fd, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID);
	close(fd);
	int c, a;
	tcp_pair(&c, &a);
	options_on("tcp connected", c);
	close(c);
	close(a);
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	options_on("unix dgram", sp[0]);
	close(sp[0]);
	close(sp[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	options_on("unix stream", sp[0]);
	close(sp[0]);
	close(sp[1]);
}

/* ---- receive stamps ---- */

static const struct {
	const char *name;
	int name_opt;
	unsigned flags;
	int so_timestamp;
} rx[] = {
	{ "rx software", TS_OLD, F_RX, 0 },
	{ "rx software new", SO_TIMESTAMPING_NEW, F_RX, 0 },
	{ "software only", TS_OLD, SOF_TIMESTAMPING_SOFTWARE, 0 },
	{ "rx_software only", TS_OLD, SOF_TIMESTAMPING_RX_SOFTWARE, 0 },
	{ "software rx_filter", TS_OLD, SOF_TIMESTAMPING_SOFTWARE | F_OPT_RX_FILTER, 0 },
	{ "rx software rx_filter", TS_OLD, F_RX | F_OPT_RX_FILTER, 0 },
	{ "with SO_TIMESTAMPNS", TS_OLD, F_RX, 1 },
	{ "new with SO_TIMESTAMPNS", SO_TIMESTAMPING_NEW, F_RX, 1 },
	{ "tx flags only", TS_OLD, F_TX, 0 },
};

static void rx_on(const char *kind, int snd, int rcv, int stream)
{
	char s[128];
	int one = 1;
	for (size_t i = 0; i < sizeof(rx) / sizeof(rx[0]); i++) {
		set_ts("rx flags", rcv, rx[i].name_opt, rx[i].flags);
		if (rx[i].so_timestamp)
			setsockopt(rcv, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
		send(snd, "abc", 3, 0);
		wait_in(rcv);
		snprintf(s, sizeof(s), "%s read %s", kind, rx[i].name);
		read_one(s, rcv, 0);
		if (rx[i].so_timestamp)
			setsockopt(rcv, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 0 }, sizeof(int));
		set_ts("rx flags off", rcv, TS_OLD, 0);
		(void)stream;
	}
}

static void receive(void)
{
	int a, b;
	udp_pair(&a, &b);
	rx_on("udp", a, b, 0);
	/* with IP_PKTINFO and IP_TTL: the stamp's place */
	int one = 1;
	setsockopt(b, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(b, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	setsockopt(b, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
	set_ts("udp pktinfo flags", b, TS_OLD, F_RX | SOF_TIMESTAMPING_OPT_CMSG | SOF_TIMESTAMPING_OPT_PKTINFO);
	send(a, "abc", 3, 0);
	wait_in(b);
	read_one("udp read with pktinfo and ttl", b, 0);
	close(a);
	close(b);
	tcp_pair(&a, &b);
	rx_on("tcp", a, b, 1);
	close(a);
	close(b);
	int sp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	rx_on("unix dgram", sp[0], sp[1], 0);
	close(sp[0]);
	close(sp[1]);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	rx_on("unix seqpacket", sp[0], sp[1], 0);
	close(sp[0]);
	close(sp[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	rx_on("unix stream", sp[0], sp[1], 1);
	close(sp[0]);
	close(sp[1]);
}

/* ---- transmit stamps ---- */

static const struct {
	const char *name;
	unsigned flags;
} tx[] = {
	{ "software", F_TX },
	{ "software opt_id", F_TX | SOF_TIMESTAMPING_OPT_ID },
	{ "software tsonly", F_TX | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY },
	{ "sched and software", F_TX | SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_OPT_ID },
	{ "sched tsonly", SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
				  SOF_TIMESTAMPING_OPT_TSONLY },
	{ "tx without software", SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID },
	{ "ack on udp", F_TX | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_ID },
	{ "rx and tx", F_TX | F_RX | SOF_TIMESTAMPING_OPT_ID },
	{ "opt_cmsg", F_TX | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_CMSG },
};

static void tx_udp(int family)
{
	char s[128];
	const char *fam = family == AF_INET ? "udp" : "udp6";
	for (size_t i = 0; i < sizeof(tx) / sizeof(tx[0]); i++) {
		int a, b;
		if (family == AF_INET) {
			udp_pair(&a, &b);
		} else {
			struct sockaddr_in6 x = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			socklen_t l = sizeof(x);
			b = socket(AF_INET6, SOCK_DGRAM, 0);
			bind(b, (struct sockaddr *)&x, sizeof(x));
			getsockname(b, (struct sockaddr *)&x, &l);
			a = socket(AF_INET6, SOCK_DGRAM, 0);
			connect(a, (struct sockaddr *)&x, sizeof(x));
		}
		snprintf(s, sizeof(s), "%s tx %s set", fam, tx[i].name);
		set_ts(s, a, TS_OLD, tx[i].flags);
		if (tx[i].flags & SOF_TIMESTAMPING_OPT_CMSG) {
			int one = 1;
			setsockopt(a, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
				   family == AF_INET ? IP_PKTINFO : IPV6_RECVPKTINFO, &one, sizeof(one));
		}
		snprintf(s, sizeof(s), "%s tx %s poll before", fam, tx[i].name);
		pollerr(s, a);
		send(a, "abcde", 5, 0);
		send(a, "fghijklmno", 10, 0);
		wait_in(b);
		snprintf(s, sizeof(s), "%s tx %s poll after", fam, tx[i].name);
		pollerr(s, a);
		snprintf(s, sizeof(s), "%s tx %s", fam, tx[i].name);
		drain_errq(s, a);
		snprintf(s, sizeof(s), "%s tx %s poll drained", fam, tx[i].name);
		pollerr(s, a);
		close(a);
		close(b);
	}
	/* the per-send control message: stamps for one send, on a socket
	 * that reports (SOFTWARE, OPT_ID) but generates none */
	int a, b;
	udp_pair(&a, &b);
	set_ts("udp cmsg report flags", a, TS_OLD, SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID);
	static const struct {
		const char *name;
		unsigned v;
		size_t len;
	} cm[] = {
		{ "tx software", SOF_TIMESTAMPING_TX_SOFTWARE, 4 },
		{ "none", 0, 4 },
		{ "sched", SOF_TIMESTAMPING_TX_SCHED, 4 },
		{ "rx software", SOF_TIMESTAMPING_RX_SOFTWARE, 4 },
		{ "short", SOF_TIMESTAMPING_TX_SOFTWARE, 2 },
		{ "long", SOF_TIMESTAMPING_TX_SOFTWARE, 8 },
	};
	for (int nm = 0; nm < 2; nm++)
		for (size_t i = 0; i < sizeof(cm) / sizeof(cm[0]); i++) {
			char cb[CMSG_SPACE(8)];
			memset(cb, 0, sizeof(cb));
			struct iovec iov = { "pq", 2 };
			struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
					    .msg_controllen = CMSG_SPACE(cm[i].len) };
			struct cmsghdr *c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = nm ? SO_TIMESTAMPING_NEW : TS_OLD;
			c->cmsg_len = CMSG_LEN(cm[i].len);
			memcpy(CMSG_DATA(c), &cm[i].v, cm[i].len < 4 ? cm[i].len : 4);
			snprintf(s, sizeof(s), "udp cmsg %s%s send", cm[i].name, nm ? " new" : "");
			TRY(s, sendmsg(a, &m, 0));
			wait_in(b);
			while (recv(b, s, sizeof(s), MSG_DONTWAIT) > 0)
				;
			snprintf(s, sizeof(s), "udp cmsg %s%s", cm[i].name, nm ? " new" : "");
			drain_errq(s, a);
		}
	/* the _NEW name's stamps on the error queue */
	set_ts("udp new tx", a, SO_TIMESTAMPING_NEW, F_TX | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY);
	send(a, "xy", 2, 0);
	wait_in(b);
	drain_errq("udp new tx", a);
	/* a second OPT_ID set keeps the count; 0 then OPT_ID restarts it */
	set_ts("udp opt_id again", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY);
	send(a, "xy", 2, 0);
	wait_in(b);
	drain_errq("udp opt_id again", a);
	set_ts("udp opt_id off", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_TSONLY);
	send(a, "xy", 2, 0);
	wait_in(b);
	drain_errq("udp opt_id off", a);
	set_ts("udp opt_id on", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY);
	send(a, "xy", 2, 0);
	wait_in(b);
	drain_errq("udp opt_id on", a);
	/* MSG_ERRQUEUE with the SO_ERROR of an ICMP report queued */
	close(a);
	close(b);
}

static void tx_tcp(void)
{
	static const struct {
		const char *name;
		unsigned flags;
	} t[] = {
		{ "software", F_TX | SOF_TIMESTAMPING_OPT_ID },
		{ "all tsonly", F_TX | SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_ID |
					SOF_TIMESTAMPING_OPT_TSONLY },
		{ "ack", SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_ID },
		{ "ack opt_id_tcp", SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_ID |
					    F_OPT_ID_TCP | SOF_TIMESTAMPING_OPT_TSONLY },
		{ "ack no id", SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_TSONLY },
	};
	char s[128];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int c, a;
		tcp_pair(&c, &a);
		send(c, "0123", 4, 0);
		wait_in(a);
		recv(a, s, sizeof(s), 0);
		snprintf(s, sizeof(s), "tcp tx %s set", t[i].name);
		set_ts(s, c, TS_OLD, t[i].flags);
		send(c, "abcde", 5, 0);
		wait_in(a);
		usleep(20000); /* (the peer's ACK) */
		recv(a, s, sizeof(s), 0);
		send(c, "fghijklmno", 10, 0);
		wait_in(a);
		usleep(20000);
		snprintf(s, sizeof(s), "tcp tx %s poll after", t[i].name);
		pollerr(s, c);
		snprintf(s, sizeof(s), "tcp tx %s", t[i].name);
		drain_errq(s, c);
		close(c);
		close(a);
	}
}

static void send_cmsg_flags(int fd, const char *data, size_t len, unsigned v)
{
	char cb[CMSG_SPACE(4)];
	memset(cb, 0, sizeof(cb));
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = TS_OLD;
	c->cmsg_len = CMSG_LEN(4);
	memcpy(CMSG_DATA(c), &v, 4);
	errno = 0;
	R("send with control message", sendmsg(fd, &m, 0));
}

/* the error queue's other sides: what else a report carries, reads too
 * short, peeks, SO_SELECT_ERR_QUEUE, ICMP reports with stamps on, TCP's
 * per-send control message, what an accepted socket inherits */
static void more(void)
{
	int a, b, one = 1;
	char s[64];
	udp_pair(&a, &b);
	/* SO_TIMESTAMPNS on too: its message carries the transmit stamp */
	setsockopt(a, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	set_ts("udp with SO_TIMESTAMPNS", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID);
	send(a, "abc", 3, 0);
	wait_in(b);
	drain_errq("udp with SO_TIMESTAMPNS", a);
	set_ts("udp rx_filter", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID | F_OPT_RX_FILTER);
	send(a, "abc", 3, 0);
	wait_in(b);
	drain_errq("udp rx_filter", a);
	setsockopt(a, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 0 }, sizeof(int));
	/* a buffer too short; a peek (which Linux's error queue does not
	 * know: it takes the report); SO_SELECT_ERR_QUEUE */
	set_ts("udp short reads", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID);
	setsockopt(a, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof(one));
	for (int i = 0; i < 3; i++) {
		send(a, "abcdefgh", 8, 0);
		wait_in(b);
	}
	pollerr("udp select_err_queue", a);
	{
		struct pollfd p = { a, POLLPRI, 0 };
		int r = poll(&p, 1, 0);
		V("udp select_err_queue pollpri", "%d %#x", r, (unsigned)p.revents);
	}
	{
		char buf[10], cb[256];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
		errno = 0;
		long n = recvmsg(a, &m, MSG_ERRQUEUE | MSG_PEEK | MSG_DONTWAIT);
		show("udp errq peek short", n, &m);
		m.msg_controllen = sizeof(cb);
		errno = 0;
		n = recvmsg(a, &m, MSG_ERRQUEUE | MSG_TRUNC | MSG_DONTWAIT);
		show("udp errq trunc", n, &m);
		m.msg_controllen = CMSG_SPACE(20);
		errno = 0;
		n = recvmsg(a, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		show("udp errq short control", n, &m);
	}
	drain_errq("udp short reads rest", a);
	/* pktinfo: IPv4 without OPT_CMSG, with OPT_CMSG and OPT_TSONLY */
	setsockopt(a, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	set_ts("udp pktinfo no opt_cmsg", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID);
	send(a, "abc", 3, 0);
	wait_in(b);
	drain_errq("udp pktinfo no opt_cmsg", a);
	set_ts("udp pktinfo tsonly", a, TS_OLD,
	       F_TX | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_CMSG | SOF_TIMESTAMPING_OPT_TSONLY);
	send(a, "abc", 3, 0);
	wait_in(b);
	drain_errq("udp pktinfo tsonly", a);
	/* SCM_TS_OPT_ID (Linux 6.13): a send's own id */
	{
		char cb[CMSG_SPACE(4) * 2];
		memset(cb, 0, sizeof(cb));
		struct iovec iov = { "id", 2 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		unsigned v = SOF_TIMESTAMPING_TX_SOFTWARE, id = 77;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = TS_OLD;
		c->cmsg_len = CMSG_LEN(4);
		memcpy(CMSG_DATA(c), &v, 4);
		c = CMSG_NXTHDR(&m, c);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = 81; /* SCM_TS_OPT_ID */
		c->cmsg_len = CMSG_LEN(4);
		memcpy(CMSG_DATA(c), &id, 4);
		set_ts("udp ts_opt_id without opt_id", a, TS_OLD, SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY);
		TRY("udp ts_opt_id without opt_id send", sendmsg(a, &m, 0));
		set_ts("udp ts_opt_id", a, TS_OLD,
		       SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY | SOF_TIMESTAMPING_OPT_ID);
		TRY("udp ts_opt_id send", sendmsg(a, &m, 0));
		c->cmsg_len = CMSG_LEN(2);
		TRY("udp ts_opt_id short", sendmsg(a, &m, 0));
		wait_in(b);
		send_cmsg_flags(a, "ab", 2, SOF_TIMESTAMPING_TX_SOFTWARE);
		wait_in(b);
		drain_errq("udp ts_opt_id", a);
		while (recv(b, cb, sizeof(cb), MSG_DONTWAIT) > 0)
			;
	}
	/* a completion stamp asked by a send (a flag Linux 6.x takes) */
	set_ts("udp report only", a, TS_OLD, SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID);
	send_cmsg_flags(a, "ab", 2, 1u << 18);
	wait_in(b);
	drain_errq("udp completion", a);
	close(a);
	close(b);
	/* IPv6 with IPV6_RECVPKTINFO, no OPT_CMSG */
	{
		struct sockaddr_in6 x = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		socklen_t l = sizeof(x);
		b = socket(AF_INET6, SOCK_DGRAM, 0);
		bind(b, (struct sockaddr *)&x, sizeof(x));
		getsockname(b, (struct sockaddr *)&x, &l);
		a = socket(AF_INET6, SOCK_DGRAM, 0);
		connect(a, (struct sockaddr *)&x, sizeof(x));
		setsockopt(a, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		set_ts("udp6 pktinfo", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID);
		send(a, "abc", 3, 0);
		wait_in(b);
		drain_errq("udp6 pktinfo", a);
		set_ts("udp6 pktinfo tsonly", a, TS_OLD, F_TX | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY);
		send(a, "abc", 3, 0);
		wait_in(b);
		drain_errq("udp6 pktinfo tsonly", a);
		close(a);
		close(b);
	}
	/* an ICMP report with receive stamps on */
	udp_pair(&a, &b);
	close(b);
	setsockopt(a, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	set_ts("udp icmp report", a, TS_OLD, F_RX);
	send(a, "abc", 3, 0);
	usleep(20000);
	drain_errq("udp icmp report", a);
	close(a);
	/* TCP: a send's control message; the OPT_STATS-less reports */
	int c, d;
	tcp_pair(&c, &d);
	set_ts("tcp report only", c, TS_OLD, SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID);
	send_cmsg_flags(c, "abcde", 5, SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_ACK);
	wait_in(d);
	usleep(20000);
	send(c, "fg", 2, 0);
	wait_in(d);
	usleep(20000);
	send_cmsg_flags(c, "hij", 3, SOF_TIMESTAMPING_TX_SCHED);
	wait_in(d);
	usleep(20000);
	drain_errq("tcp cmsg", c);
	send_cmsg_flags(c, "k", 1, SOF_TIMESTAMPING_RX_SOFTWARE);
	{
		char cb[CMSG_SPACE(4)];
		memset(cb, 0, sizeof(cb));
		struct iovec iov = { "l", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = 81; /* SCM_TS_OPT_ID: not TCP's */
		cm->cmsg_len = CMSG_LEN(4);
		TRY("tcp ts_opt_id", sendmsg(c, &m, 0));
	}
	close(c);
	close(d);
	/* a listener's flags go to the connections it accepts */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in x = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t xl = sizeof(x);
	bind(l, (struct sockaddr *)&x, sizeof(x));
	set_ts("listener flags", l, SO_TIMESTAMPING_NEW, F_RX | F_TX);
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&x, &xl);
	c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&x, sizeof(x));
	d = accept(l, NULL, NULL);
	get_ts("accepted flags", d, SO_TIMESTAMPING_NEW, 8);
	get_int("accepted SO_TIMESTAMP_NEW", d, SOL_SOCKET, SO_TIMESTAMP_NEW);
	send(c, "abc", 3, 0);
	wait_in(d);
	read_one("accepted read", d, 0);
	send(d, "xyz", 3, 0);
	wait_in(c);
	usleep(20000);
	snprintf(s, sizeof(s), "accepted tx");
	drain_errq(s, d);
	close(c);
	close(d);
	close(l);
}

void case_so_timestamping(void)
{
	/* (see the comment at the top) */
	int keeper = socket(AF_INET, SOCK_DGRAM, 0);
	set_ts("keeper", keeper, TS_OLD, F_RX);
	usleep(100000);
	options();
	receive();
	tx_udp(AF_INET);
	tx_udp(AF_INET6);
	tx_tcp();
	more();
	close(keeper);
}
