/*
 * Differential case seq_fixes: what the random sequences (seqcases.c)
 * found, one deterministic line each, so that the fixes stay:
 *
 *   - IP_TOS and IPV6_TCLASS on a TCP socket keep the ECN bits out;
 *   - unix sockets: shutdown seen by the peer, poll's hang-up, write
 *     band and error, ECONNRESET for a peer that closed on unread data,
 *     a datagram peer that closed (ECONNREFUSED, then unconnected);
 *   - UDP: a pending ICMP error waits behind a bad destination port;
 *   - TCP_MAXSEG before, during and after a failed connect;
 *   - the port of a TCP socket whose connect failed: given back, or
 *     taken again by a listen() that fails;
 *   - IPV6_V6ONLY after a bind to an IPv6 address;
 *   - TCP reads stop at the urgent mark (MSG_WAITALL too).
 *
 * Loopback events that moat's event loop delivers a turn later (an ICMP
 * error, a refused connect, a connection to accept) are waited for
 * (bounded, printing nothing) before the line that observes them.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 2000
#define ALL_EVENTS (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)

static void wait_for(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	poll(&p, 1, WAIT_MS);
}

static void show_poll(const char *what, int fd)
{
	struct pollfd p = { fd, ALL_EVENTS, 0 };
	poll(&p, 1, 0);
	V(what, "revents %#x", (unsigned)p.revents);
}

static void show_error(const char *what, int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	V(what, "%s", errname(e));
}

static void tos_ecn(void)
{
	static const int vals[] = { 1, 3, 7, 255, -1 };
	char w[80];
	for (int d = 0; d < 2; d++)
		for (int t = 0; t < 2; t++)
			for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
				const char *k = t ? (d ? "inet6 dgram" : "inet dgram")
						  : (d ? "inet6 stream" : "inet stream");
				int s = socket(d ? AF_INET6 : AF_INET, t ? SOCK_DGRAM : SOCK_STREAM, 0);
				snprintf(w, sizeof(w), "%s IP_TOS %d", k, vals[i]);
				set_int(w, s, IPPROTO_IP, IP_TOS, vals[i]);
				get_int(w, s, IPPROTO_IP, IP_TOS);
				if (d) {
					snprintf(w, sizeof(w), "%s IPV6_TCLASS %d", k, vals[i]);
					set_int(w, s, IPPROTO_IPV6, IPV6_TCLASS, vals[i]);
					get_int(w, s, IPPROTO_IPV6, IPV6_TCLASS);
				}
				close(s);
			}
	/* A single byte, after 255: the ECN bits stay the socket's. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int v = 255;
	unsigned char c = 0x7f;
	setsockopt(s, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	TRY("inet stream IP_TOS one byte 0x7f", setsockopt(s, IPPROTO_IP, IP_TOS, &c, 1));
	get_int("inet stream IP_TOS one byte 0x7f", s, IPPROTO_IP, IP_TOS);
	close(s);
}

static socklen_t unix_name(struct sockaddr_un *a, int n)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int k = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "moat-seqfix-%d-%d", (int)getpid(), n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + k);
}

static void unix_shutdowns(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *const tn[] = { "stream", "dgram", "seqpacket" };
	char w[96];
	int names = 0;
	for (int t = 0; t < 3; t++) {
		for (int how = -1; how <= SHUT_RDWR; how++) {
			int s = socket(AF_UNIX, types[t], 0);
			if (how >= 0)
				shutdown(s, how);
			snprintf(w, sizeof(w), "unix %s fresh, shut %d: poll", tn[t], how);
			show_poll(w, s);
			close(s);
		}
		for (int how = -1; how <= SHUT_RDWR; how++) {
			if (types[t] == SOCK_DGRAM)
				break;
			struct sockaddr_un a;
			socklen_t al = unix_name(&a, ++names);
			int l = socket(AF_UNIX, types[t], 0);
			bind(l, (struct sockaddr *)&a, al);
			listen(l, 4);
			if (how >= 0)
				shutdown(l, how);
			snprintf(w, sizeof(w), "unix %s listener shut %d: poll", tn[t], how);
			show_poll(w, l);
			int c = socket(AF_UNIX, types[t], 0);
			snprintf(w, sizeof(w), "unix %s listener shut %d: connect", tn[t], how);
			TRY(w, connect(c, (struct sockaddr *)&a, al));
			snprintf(w, sizeof(w), "unix %s listener shut %d: client poll", tn[t], how);
			show_poll(w, c);
			close(c);
			close(l);
		}
		for (int how = 0; how <= SHUT_RDWR; how++) {
			int sv[2];
			socketpair(AF_UNIX, types[t], 0, sv);
			shutdown(sv[0], how);
			snprintf(w, sizeof(w), "unix %s pair, one shut %d: its poll", tn[t], how);
			show_poll(w, sv[0]);
			snprintf(w, sizeof(w), "unix %s pair, one shut %d: the peer's poll", tn[t], how);
			show_poll(w, sv[1]);
			snprintf(w, sizeof(w), "unix %s pair, one shut %d: the peer sends", tn[t], how);
			TRY(w, send(sv[1], "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
			snprintf(w, sizeof(w), "unix %s pair, one shut %d: the peer reads", tn[t], how);
			char b[8];
			TRY(w, recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
			close(sv[0]);
			close(sv[1]);
		}
		/* A connection shut before it was made: the accepted end
		 * knows nothing of it (Linux passes a shutdown to the peer of
		 * the moment only). */
		if (types[t] != SOCK_DGRAM) {
			struct sockaddr_un a;
			socklen_t al = unix_name(&a, ++names);
			int l = socket(AF_UNIX, types[t], 0);
			bind(l, (struct sockaddr *)&a, al);
			listen(l, 4);
			int c = socket(AF_UNIX, types[t], 0);
			shutdown(c, SHUT_RDWR);
			snprintf(w, sizeof(w), "unix %s shut, then connect", tn[t]);
			TRY(w, connect(c, (struct sockaddr *)&a, al));
			int n = accept(l, NULL, NULL);
			snprintf(w, sizeof(w), "unix %s shut, then connect: client poll", tn[t]);
			show_poll(w, c);
			snprintf(w, sizeof(w), "unix %s shut, then connect: accepted poll", tn[t]);
			show_poll(w, n);
			close(n);
			close(c);
			close(l);
		}
	}
}

static void unix_closes(void)
{
	char w[96], b[8];
	for (int t = 0; t < 2; t++) {
		const char *k = t ? "seqpacket" : "stream";
		int ty = t ? SOCK_SEQPACKET : SOCK_STREAM;
		int sv[2];
		socketpair(AF_UNIX, ty, 0, sv);
		send(sv[0], "ab", 2, 0);
		send(sv[1], "cd", 2, 0);
		close(sv[1]); /* on "ab", unread */
		snprintf(w, sizeof(w), "unix %s peer closed on unread data: poll", k);
		show_poll(w, sv[0]);
		snprintf(w, sizeof(w), "unix %s peer closed on unread data: send", k);
		TRY(w, send(sv[0], "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
		for (int i = 0; i < 3; i++) {
			snprintf(w, sizeof(w), "unix %s peer closed on unread data: recv %d", k, i);
			TRY(w, recv(sv[0], b, sizeof(b), MSG_DONTWAIT));
		}
		close(sv[0]);

		socketpair(AF_UNIX, ty, 0, sv);
		send(sv[0], "ab", 2, 0);
		close(sv[1]);
		snprintf(w, sizeof(w), "unix %s peer closed on unread data: SO_ERROR", k);
		show_error(w, sv[0]);
		snprintf(w, sizeof(w), "unix %s peer closed on unread data: SO_ERROR again", k);
		show_error(w, sv[0]);
		snprintf(w, sizeof(w), "unix %s peer closed on unread data: poll after SO_ERROR", k);
		show_poll(w, sv[0]);
		close(sv[0]);

		socketpair(AF_UNIX, ty, 0, sv);
		close(sv[1]);
		snprintf(w, sizeof(w), "unix %s peer closed, nothing unread: SO_ERROR", k);
		show_error(w, sv[0]);
		close(sv[0]);

		/* A listener closed on a connection nobody accepted. */
		struct sockaddr_un a;
		socklen_t al = unix_name(&a, 100 + t);
		int l = socket(AF_UNIX, ty, 0);
		bind(l, (struct sockaddr *)&a, al);
		listen(l, 4);
		int c = socket(AF_UNIX, ty, 0);
		connect(c, (struct sockaddr *)&a, al);
		close(l);
		snprintf(w, sizeof(w), "unix %s listener closed before accept: poll", k);
		show_poll(w, c);
		snprintf(w, sizeof(w), "unix %s listener closed before accept: recv", k);
		TRY(w, recv(c, b, sizeof(b), MSG_DONTWAIT));
		snprintf(w, sizeof(w), "unix %s listener closed before accept: recv again", k);
		TRY(w, recv(c, b, sizeof(b), MSG_DONTWAIT));
		close(c);
	}

	/* Datagram sockets: the peer's close is found by the next send. */
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	close(sv[1]);
	TRY("unix dgram peer closed: recv", recv(sv[0], b, sizeof(b), MSG_DONTWAIT));
	show_poll("unix dgram peer closed: poll", sv[0]);
	TRY("unix dgram peer closed: send", send(sv[0], "x", 1, MSG_DONTWAIT));
	TRY("unix dgram peer closed: send again", send(sv[0], "x", 1, MSG_DONTWAIT));
	struct sockaddr_un pn;
	socklen_t pl = sizeof(pn);
	TRY("unix dgram peer closed: getpeername", getpeername(sv[0], (struct sockaddr *)&pn, &pl));
	close(sv[0]);

	struct sockaddr_un a;
	socklen_t al = unix_name(&a, 200);
	int r = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(r, (struct sockaddr *)&a, al);
	shutdown(r, SHUT_RD);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	TRY("unix dgram sendto a receiver shut for reading",
	    sendto(s, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&a, al));
	TRY("unix dgram connect to it", connect(s, (struct sockaddr *)&a, al));
	close(r);
	TRY("unix dgram send to its closed receiver", send(s, "x", 1, MSG_DONTWAIT));
	TRY("unix dgram send again", send(s, "x", 1, MSG_DONTWAIT));
	close(s);

	/* A datagram socket connected to another takes nobody else's
	 * datagrams, nor connections, even once that other is gone. */
	struct sockaddr_un na, nb;
	socklen_t la = unix_name(&na, 201), lb = unix_name(&nb, 202);
	int x = socket(AF_UNIX, SOCK_DGRAM, 0), y = socket(AF_UNIX, SOCK_DGRAM, 0);
	int z = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(x, (struct sockaddr *)&na, la);
	bind(y, (struct sockaddr *)&nb, lb);
	connect(x, (struct sockaddr *)&nb, lb);
	TRY("unix dgram sendto one connected elsewhere", sendto(z, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&na, la));
	TRY("unix dgram connect to one connected elsewhere", connect(z, (struct sockaddr *)&na, la));
	TRY("unix dgram connect to itself, connected elsewhere", connect(x, (struct sockaddr *)&na, la));
	TRY("unix dgram sendto from its peer", sendto(y, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&na, la));
	close(y);
	TRY("unix dgram sendto one whose peer is gone", sendto(z, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&na, la));
	close(z);
	close(x);

	/* Each type has its own abstract names. */
	struct sockaddr_un nc;
	socklen_t lc = unix_name(&nc, 203);
	x = socket(AF_UNIX, SOCK_STREAM, 0);
	y = socket(AF_UNIX, SOCK_DGRAM, 0);
	z = socket(AF_UNIX, SOCK_DGRAM, 0);
	TRY("unix stream bind a name", bind(x, (struct sockaddr *)&nc, lc));
	TRY("unix dgram bind the same name", bind(y, (struct sockaddr *)&nc, lc));
	TRY("unix dgram bind it again", bind(z, (struct sockaddr *)&nc, lc));
	TRY("unix dgram connect to the name", connect(z, (struct sockaddr *)&nc, lc));
	close(z);
	close(y);
	close(x);

	/* SO_PASSCRED names a socket before its connect looks for the peer. */
	for (int t = 0; t < 2; t++) {
		const char *k = t ? "unix dgram" : "unix stream";
		struct sockaddr_un nn;
		socklen_t ln = unix_name(&nn, 204); /* nobody's */
		char w[96];
		s = socket(AF_UNIX, t ? SOCK_DGRAM : SOCK_STREAM, 0);
		set_int("unix SO_PASSCRED 1", s, SOL_SOCKET, SO_PASSCRED, 1);
		snprintf(w, sizeof(w), "%s SO_PASSCRED: connect to nobody", k);
		TRY(w, connect(s, (struct sockaddr *)&nn, ln));
		struct sockaddr_un me;
		socklen_t ml = sizeof(me);
		getsockname(s, (struct sockaddr *)&me, &ml);
		snprintf(w, sizeof(w), "%s SO_PASSCRED: named after it", k);
		V(w, "%d", ml > sizeof(sa_family_t));
		snprintf(w, sizeof(w), "%s SO_PASSCRED: bind after it", k);
		TRY(w, bind(s, (struct sockaddr *)&nn, ln));
		close(s);
	}

	/* SO_REUSEPORT: inet only, but turning it off is no error. */
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	set_int("unix SO_REUSEPORT 0", s, SOL_SOCKET, SO_REUSEPORT, 0);
	set_int("unix SO_REUSEPORT 1", s, SOL_SOCKET, SO_REUSEPORT, 1);
	get_int("unix SO_REUSEPORT", s, SOL_SOCKET, SO_REUSEPORT);
	close(s);
}

static void udp_error_order(void)
{
	for (int d = 0; d < 2; d++) {
		const char *k = d ? "udp6" : "udp";
		char w[96];
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(9),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(9),
					   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		struct sockaddr *a = d ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
		socklen_t al = d ? sizeof(a6) : sizeof(a4);
		int s = socket(d ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		connect(s, a, al);
		send(s, "x", 1, 0); /* port 9: nobody, an ICMP error comes back */
		wait_for(s, 0);
		if (d)
			a6.sin6_port = 0;
		else
			a4.sin_port = 0;
		snprintf(w, sizeof(w), "%s sendto port 0 with an error pending", k);
		TRY(w, sendto(s, "x", 1, 0, a, al));
		snprintf(w, sizeof(w), "%s send with the error still pending", k);
		TRY(w, send(s, "x", 1, 0));
		snprintf(w, sizeof(w), "%s SO_ERROR after it", k);
		show_error(w, s);
		close(s);
	}
}

static void maxseg(void)
{
	static const int vals[] = { 0, 88, 600, 2000 };
	char w[96];
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			const char *k = d ? "inet6" : "inet";
			struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(9),
						  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(9),
						   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			struct sockaddr *a = d ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
			socklen_t al = d ? sizeof(a6) : sizeof(a4);
			int s = socket(d ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
			if (vals[i])
				setsockopt(s, IPPROTO_TCP, TCP_MAXSEG, &vals[i], sizeof(vals[i]));
			snprintf(w, sizeof(w), "%s TCP_MAXSEG %d before connect", k, vals[i]);
			get_int(w, s, IPPROTO_TCP, TCP_MAXSEG);
			connect(s, a, al);
			snprintf(w, sizeof(w), "%s TCP_MAXSEG %d after a refused connect", k, vals[i]);
			get_int(w, s, IPPROTO_TCP, TCP_MAXSEG);
			connect(s, a, al);
			snprintf(w, sizeof(w), "%s TCP_MAXSEG %d after another", k, vals[i]);
			get_int(w, s, IPPROTO_TCP, TCP_MAXSEG);
			close(s);

			/* Refused without a second connect(): nothing reset. */
			s = socket(d ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
			if (vals[i])
				setsockopt(s, IPPROTO_TCP, TCP_MAXSEG, &vals[i], sizeof(vals[i]));
			fcntl(s, F_SETFL, O_NONBLOCK);
			connect(s, a, al);
			wait_for(s, POLLOUT);
			snprintf(w, sizeof(w), "%s TCP_MAXSEG %d after a refused nonblocking connect", k, vals[i]);
			get_int(w, s, IPPROTO_TCP, TCP_MAXSEG);
			close(s);
		}

	/* A listener's value: both ends of its connection take the
	 * timestamp option off it. */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in b = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t bl = sizeof(b);
	bind(l, (struct sockaddr *)&b, sizeof(b));
	set_int("listener TCP_MAXSEG 500", l, IPPROTO_TCP, TCP_MAXSEG, 500);
	listen(l, 4);
	get_int("listener TCP_MAXSEG 500", l, IPPROTO_TCP, TCP_MAXSEG);
	getsockname(l, (struct sockaddr *)&b, &bl);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&b, sizeof(b));
	wait_for(l, POLLIN);
	int n = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	get_int("listener TCP_MAXSEG 500: client", c, IPPROTO_TCP, TCP_MAXSEG);
	get_int("listener TCP_MAXSEG 500: accepted", n, IPPROTO_TCP, TCP_MAXSEG);
	close(n);
	close(c);
	close(l);
}

static int local_port(int s)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof(a);
	memset(&a, 0, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &l);
	return ntohs(a.sin6_port); /* (the port sits where sin_port does) */
}

static void refused_ports(void)
{
	char w[96];
	for (int d = 0; d < 2; d++)
		for (int nb = 0; nb < 2; nb++) {
			const char *k = d ? (nb ? "inet6 nonblocking" : "inet6 blocking")
					  : (nb ? "inet nonblocking" : "inet blocking");
			struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(9),
						  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(9),
						   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			struct sockaddr_in b4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			struct sockaddr_in6 b6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			struct sockaddr *a = d ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
			struct sockaddr *bn = d ? (struct sockaddr *)&b6 : (struct sockaddr *)&b4;
			socklen_t al = d ? sizeof(a6) : sizeof(a4);

			/* The refused connect's port goes back: bind may name one. */
			int s = socket(d ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
			if (nb)
				fcntl(s, F_SETFL, O_NONBLOCK);
			connect(s, a, al);
			wait_for(s, POLLOUT);
			snprintf(w, sizeof(w), "%s refused, then bind", k);
			TRY(w, bind(s, bn, al));
			close(s);

			/* listen() fails; after a reset (the blocking failure's,
			 * or a second connect's) it takes a port on the way. */
			s = socket(d ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
			if (nb)
				fcntl(s, F_SETFL, O_NONBLOCK);
			connect(s, a, al);
			wait_for(s, POLLOUT);
			int before = local_port(s);
			snprintf(w, sizeof(w), "%s refused, then listen", k);
			TRY(w, listen(s, 1));
			int after = local_port(s);
			snprintf(w, sizeof(w), "%s refused, then listen: port", k);
			V(w, "%s", after == before ? "the connect's" : after ? "another" : "none");
			snprintf(w, sizeof(w), "%s refused, then listen: bind", k);
			TRY(w, bind(s, bn, al));
			if (after != before) {
				int o = socket(d ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
				if (d)
					b6.sin6_port = htons((uint16_t)after);
				else
					b4.sin_port = htons((uint16_t)after);
				snprintf(w, sizeof(w), "%s refused, then listen: another socket binds that port", k);
				TRY(w, bind(o, bn, al));
				close(o);
			}
			close(s);

			/* A shutdown after the failure leaves Linux's socket
			 * disconnecting: connect is EINVAL until AF_UNSPEC. */
			if (!nb)
				continue;
			s = socket(d ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
			fcntl(s, F_SETFL, O_NONBLOCK);
			connect(s, a, al);
			wait_for(s, POLLOUT);
			fcntl(s, F_SETFL, 0);
			char b[4];
			snprintf(w, sizeof(w), "%s refused: recv", k);
			TRY(w, recv(s, b, sizeof(b), MSG_DONTWAIT));
			snprintf(w, sizeof(w), "%s refused: shutdown", k);
			TRY(w, shutdown(s, SHUT_RDWR));
			snprintf(w, sizeof(w), "%s refused, shut: connect", k);
			TRY(w, connect(s, a, al));
			snprintf(w, sizeof(w), "%s refused, shut: listen", k);
			TRY(w, listen(s, 1));
			struct sockaddr un = { .sa_family = AF_UNSPEC };
			snprintf(w, sizeof(w), "%s refused, shut: disconnect", k);
			TRY(w, connect(s, &un, sizeof(un)));
			snprintf(w, sizeof(w), "%s refused, shut, disconnected: connect", k);
			TRY(w, connect(s, a, al));
			close(s);
		}
}

/* The first connect after a non-blocking one completed reports success,
 * whatever address it names; the next is EISCONN. */
static void connect_in_progress(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in nobody = { .sin_family = AF_INET, .sin_port = htons(9),
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &al);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	fcntl(c, F_SETFL, O_NONBLOCK);
	TRY("in progress: connect", connect(c, (struct sockaddr *)&a, sizeof(a)));
	wait_for(c, POLLOUT);
	TRY("in progress: connect elsewhere once it is made", connect(c, (struct sockaddr *)&nobody, sizeof(nobody)));
	TRY("in progress: connect again", connect(c, (struct sockaddr *)&a, sizeof(a)));
	close(c);
	close(l);
}

static void v6only_bind(void)
{
	static const char *const addrs[] = { "::1", "::", "::ffff:127.0.0.1", "ff02::1" };
	char w[96];
	for (int t = 0; t < 2; t++)
		for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
			const char *k = t ? "udp6" : "tcp6";
			int s = socket(AF_INET6, t ? SOCK_DGRAM : SOCK_STREAM, 0);
			struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
			inet_pton(AF_INET6, addrs[i], &a.sin6_addr);
			snprintf(w, sizeof(w), "%s bind %s", k, addrs[i]);
			TRY(w, bind(s, (struct sockaddr *)&a, sizeof(a)));
			get_int(w, s, IPPROTO_IPV6, IPV6_V6ONLY);
			close(s);
		}
	/* A bind that fails leaves it as it was. */
	int s1 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	bind(s1, (struct sockaddr *)&a, sizeof(a));
	getsockname(s1, (struct sockaddr *)&a, &al);
	int s2 = socket(AF_INET6, SOCK_DGRAM, 0);
	TRY("udp6 bind ::1 to a port taken", bind(s2, (struct sockaddr *)&a, sizeof(a)));
	get_int("udp6 bind ::1 to a port taken", s2, IPPROTO_IPV6, IPV6_V6ONLY);
	close(s2);
	close(s1);
}

/* Until a TCP sender's queue is empty: the peer holds every byte. */
static void wait_drained(int fd)
{
	struct timespec nap = { 0, 1000000 };
	for (int i = 0; i < WAIT_MS; i++) {
		int q = 0;
		if (ioctl(fd, SIOCOUTQ, &q) < 0 || q == 0)
			return;
		nanosleep(&nap, NULL);
	}
}

static void urgent_mark(void)
{
	char w[96], b[100];
	for (int inl = 0; inl < 2; inl++) {
		const char *k = inl ? "urgent, in line" : "urgent";
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t al = sizeof(a);
		bind(l, (struct sockaddr *)&a, sizeof(a));
		listen(l, 4);
		getsockname(l, (struct sockaddr *)&a, &al);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&a, sizeof(a));
		wait_for(l, POLLIN);
		int n = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		if (inl)
			set_int("urgent: SO_OOBINLINE", n, SOL_SOCKET, SO_OOBINLINE, 1);
		send(c, "0123456789", 10, MSG_OOB);
		send(c, "abcdef", 6, 0);
		wait_drained(c);
		static const struct {
			const char *what;
			size_t len;
			int flags;
		} reads[] = {
			{ "peek", 100, MSG_PEEK }, { "read 4", 4, 0 },	  { "read all", 100, MSG_WAITALL },
			{ "oob", 1, MSG_OOB },	   { "peek", 100, MSG_PEEK }, { "read 2", 2, 0 },
			{ "oob", 1, MSG_OOB },	   { "read", 100, 0 },
		};
		for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
			snprintf(w, sizeof(w), "%s: %zu %s", k, i, reads[i].what);
			TRY(w, recv(n, b, reads[i].len, reads[i].flags | MSG_DONTWAIT));
			int at = -1;
			ioctl(n, SIOCATMARK, &at);
			snprintf(w, sizeof(w), "%s: %zu at the mark", k, i);
			V(w, "%d", at);
		}
		close(n);
		close(c);
		close(l);
	}
}

void case_seq_fixes(void)
{
	tos_ecn();
	unix_shutdowns();
	unix_closes();
	udp_error_order();
	maxseg();
	refused_ports();
	v6only_bind();
	urgent_mark();
	connect_in_progress();
}
