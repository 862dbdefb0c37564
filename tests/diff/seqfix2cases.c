/*
 * Differential case seq_fixes2: more of what the random sequences
 * (seqcases.c) found, one deterministic scenario each:
 *
 *   - TIME-WAIT: a socket is CLOSE once its connection enters TIME-WAIT
 *     (a self-connected socket shut down, the active closer of a pair):
 *     TCP_INFO, poll, names, reads, connect/listen/bind/shutdown on it;
 *   - connect() after the connection ended: EISCONN once a connect
 *     reported success, the error (and a reset socket) when none did;
 *   - shutdown() before connect() or listen() stays in force: a self
 *     connect then ends at once (ECONNABORTED), a listener's connections
 *     inherit it (a FIN after the handshake);
 *   - a disconnect of a socket already closed keeps its port;
 *   - SO_SNDBUF of a new connection;
 *   - the window of the SYN-ACK that completes a simultaneous open;
 *   - data within an offered window after SO_RCVBUF shrank;
 *   - what a shutdown sends on loopback arrives before it returns.
 *
 * Loopback events that moat's event loop delivers a turn later (a FIN's
 * ACK, a peer's FIN or RST) are waited for (bounded, printing nothing)
 * before the line that observes them. Ports are never printed: only
 * whether one is there and whether it changed.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 2000
#define ALL_EVENTS (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static void wait_for(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	poll(&p, 1, WAIT_MS);
}

/* Until every byte and the FIN sent are acknowledged (SIOCOUTQ 0). */
static void wait_acked(int fd)
{
	struct timespec t0, nap = { 0, 1000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int q = 0;
	while (ioctl(fd, SIOCOUTQ, &q) == 0 && q && ms_since(&t0) < WAIT_MS)
		nanosleep(&nap, NULL);
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		return -1;
	return ti.tcpi_state;
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &l) < 0)
		return -1;
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void show(const char *what, int fd)
{
	char w[128];
	struct pollfd p = { fd, ALL_EVENTS, 0 };
	poll(&p, 1, 0);
	snprintf(w, sizeof(w), "%s: state", what);
	V(w, "%d", tcp_state(fd));
	snprintf(w, sizeof(w), "%s: poll", what);
	V(w, "%#x", (unsigned)p.revents);
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	snprintf(w, sizeof(w), "%s: getpeername", what);
	TRY(w, getpeername(fd, (struct sockaddr *)&ss, &l));
	int e = -1;
	l = sizeof(e);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	snprintf(w, sizeof(w), "%s: SO_ERROR", what);
	V(w, "%s", errname(e));
}

/* The calls of a socket whose connection is over, in Linux's order of
 * interest: reads, writes, the socket-level state, the port. */
static void calls_on_closed(const char *what, int fd, const struct sockaddr *to, socklen_t tl)
{
	char w[128], b[16];
	int port = port_of(fd);
	snprintf(w, sizeof(w), "%s: recv", what);
	TRY(w, recv(fd, b, sizeof(b), MSG_DONTWAIT));
	snprintf(w, sizeof(w), "%s: send", what);
	TRY(w, send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	snprintf(w, sizeof(w), "%s: connect", what);
	TRY(w, connect(fd, to, tl));
	snprintf(w, sizeof(w), "%s: listen", what);
	TRY(w, listen(fd, 1));
	snprintf(w, sizeof(w), "%s: shutdown", what);
	TRY(w, shutdown(fd, SHUT_RDWR));
	snprintf(w, sizeof(w), "%s: port kept", what);
	V(w, "%d", port_of(fd) == port);
	struct sockaddr_storage any;
	memset(&any, 0, sizeof(any));
	any.ss_family = to->sa_family;
	snprintf(w, sizeof(w), "%s: bind any", what);
	TRY(w, bind(fd, (struct sockaddr *)&any, to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
									: sizeof(struct sockaddr_in)));
	snprintf(w, sizeof(w), "%s: port after bind: same, none", what);
	V(w, "%d %d", port_of(fd) == port, port_of(fd) == 0);
	snprintf(w, sizeof(w), "%s: listen after bind", what);
	TRY(w, listen(fd, 1));
	snprintf(w, sizeof(w), "%s: connect after bind", what);
	TRY(w, connect(fd, to, tl));
	snprintf(w, sizeof(w), "%s: state at last", what);
	V(w, "%d", tcp_state(fd));
}

static socklen_t loop_addr(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons((uint16_t)port);
	return sizeof(*a);
}

/* A listener on the loopback address of family, and its address. */
static int listener(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	int l = socket(family, SOCK_STREAM, 0);
	*len = loop_addr(family, 0, ss);
	bind(l, (struct sockaddr *)ss, *len);
	listen(l, 4);
	*len = loop_addr(family, port_of(l), ss);
	return l;
}

static void time_wait(void)
{
	char w[96];
	static const int fams[] = { AF_INET, AF_INET6 };
	for (int f = 0; f < 2; f++) {
		const char *fn = fams[f] == AF_INET ? "inet" : "inet6";
		/* A socket connected to itself, shut down: its FIN comes back
		 * (CLOSING), its ACK too (TIME-WAIT). */
		struct sockaddr_storage ss;
		int s = socket(fams[f], SOCK_STREAM, 0);
		socklen_t sl = loop_addr(fams[f], 0, &ss);
		bind(s, (struct sockaddr *)&ss, sl);
		sl = loop_addr(fams[f], port_of(s), &ss);
		snprintf(w, sizeof(w), "%s self: connect", fn);
		TRY(w, connect(s, (struct sockaddr *)&ss, sl));
		snprintf(w, sizeof(w), "%s self: shutdown", fn);
		TRY(w, shutdown(s, SHUT_RDWR));
		wait_acked(s);
		snprintf(w, sizeof(w), "%s self in time-wait", fn);
		show(w, s);
		calls_on_closed(w, s, (struct sockaddr *)&ss, sl);
		close(s);

		/* The active closer of a pair, with the port connect chose and
		 * with one bind named. */
		for (int named = 0; named < 2; named++) {
			socklen_t ll;
			int l = listener(fams[f], &ss, &ll);
			int c = socket(fams[f], SOCK_STREAM, 0);
			if (named) {
				struct sockaddr_storage b;
				int probe = socket(fams[f], SOCK_STREAM, 0);
				socklen_t bl = loop_addr(fams[f], 0, &b);
				bind(probe, (struct sockaddr *)&b, bl);
				int port = port_of(probe);
				close(probe);
				bl = loop_addr(fams[f], port, &b);
				bind(c, (struct sockaddr *)&b, bl);
			}
			connect(c, (struct sockaddr *)&ss, ll);
			wait_for(l, POLLIN);
			int a = accept(l, NULL, NULL);
			shutdown(c, SHUT_WR);
			wait_acked(c);
			send(a, "tail", 4, MSG_NOSIGNAL);
			close(a);
			wait_for(c, POLLRDHUP);
			snprintf(w, sizeof(w), "%s closer%s", fn, named ? " bound" : "");
			show(w, c);
			calls_on_closed(w, c, (struct sockaddr *)&ss, ll);
			close(c);
			close(l);
		}
	}
}

/* connect() on a socket whose connection was reset: EISCONN once a
 * connect reported success (a blocking one), else the error reported by
 * that connect, which leaves the socket unconnected. */
static void connect_after_reset(void)
{
	char w[96];
	for (int nb = 0; nb < 2; nb++) {
		for (int taken = 0; taken < 2; taken++) {
			if (!nb && taken)
				continue;
			struct sockaddr_storage ss;
			socklen_t ll;
			int l = listener(AF_INET, &ss, &ll);
			int c = socket(AF_INET, SOCK_STREAM, 0);
			if (nb)
				fcntl(c, F_SETFL, O_NONBLOCK);
			const char *k = !nb ? "blocking" : taken ? "nonblocking, error taken" : "nonblocking";
			snprintf(w, sizeof(w), "reset %s: connect", k);
			errno = 0;
			int r = connect(c, (struct sockaddr *)&ss, ll);
			R(w, r < 0 && errno == EINPROGRESS ? 0 : r);
			wait_for(l, POLLIN);
			int a = accept(l, NULL, NULL);
			struct linger lg = { 1, 0 };
			setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(a);
			wait_for(c, POLLHUP);
			snprintf(w, sizeof(w), "reset %s", k);
			if (taken) {
				int e = 0;
				socklen_t el = sizeof(e);
				getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &el);
				V("reset nonblocking: SO_ERROR taken", "%s", errname(e));
			}
			snprintf(w, sizeof(w), "reset %s: connect again", k);
			TRY(w, connect(c, (struct sockaddr *)&ss, ll));
			snprintf(w, sizeof(w), "reset %s: then", k);
			show(w, c);
			snprintf(w, sizeof(w), "reset %s: listen", k);
			TRY(w, listen(c, 1));
			snprintf(w, sizeof(w), "reset %s: connect once more", k);
			TRY(w, connect(c, (struct sockaddr *)&ss, ll));
			close(c);
			close(l);
		}
	}
}

/* shutdown() of a socket not connected yet stays in force (Linux keeps
 * sk_shutdown until a disconnect): a connection made afterwards reads
 * the end of the stream at once (SHUT_RD) or cannot write (SHUT_WR); one
 * made by a simultaneous open (a socket connected to itself) sends its
 * FIN as it is established, and a blocking connect then finds it closed:
 * ECONNABORTED. */
static void shutdown_before_connect(void)
{
	char w[96];
	static const int fams[] = { AF_INET, AF_INET6 };
	for (int f = 0; f < 2; f++)
		for (int how = SHUT_RD; how <= SHUT_RDWR; how++)
			for (int self = 0; self < 2; self++)
				for (int nb = 0; nb < 2; nb++) {
					struct sockaddr_storage ss;
					socklen_t sl;
					int l = -1, s = socket(fams[f], SOCK_STREAM, 0);
					const char *fn = fams[f] == AF_INET ? "inet" : "inet6";
					snprintf(w, sizeof(w), "%s shut %d, %s%s", fn, how, self ? "self" : "to a listener",
						 nb ? " nonblocking" : "");
					shutdown(s, how);
					if (self) {
						sl = loop_addr(fams[f], 0, &ss);
						bind(s, (struct sockaddr *)&ss, sl);
						sl = loop_addr(fams[f], port_of(s), &ss);
					} else {
						l = listener(fams[f], &ss, &sl);
					}
					if (nb)
						fcntl(s, F_SETFL, O_NONBLOCK);
					char c[128];
					snprintf(c, sizeof(c), "%s: connect", w);
					TRY(c, connect(s, (struct sockaddr *)&ss, sl));
					/* Wait for the handshake and what follows it. */
					if (nb)
						wait_for(s, POLLOUT);
					wait_acked(s);
					show(w, s);
					snprintf(c, sizeof(c), "%s: recv", w);
					char b[4];
					TRY(c, recv(s, b, sizeof(b), MSG_DONTWAIT));
					snprintf(c, sizeof(c), "%s: send", w);
					TRY(c, send(s, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
					snprintf(c, sizeof(c), "%s: connect again", w);
					TRY(c, connect(s, (struct sockaddr *)&ss, sl));
					close(s);
					if (l >= 0)
						close(l);
				}
}

/* A listener shut down before listen(): its connections inherit the
 * flags; one for writing sends the FIN once the handshake is done. */
static void shutdown_before_listen(void)
{
	char w[96];
	for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
		struct sockaddr_storage ss;
		int l = socket(AF_INET6, SOCK_STREAM, 0);
		snprintf(w, sizeof(w), "listener shut %d: shutdown", how);
		TRY(w, shutdown(l, how));
		socklen_t sl = loop_addr(AF_INET6, 0, &ss);
		bind(l, (struct sockaddr *)&ss, sl);
		snprintf(w, sizeof(w), "listener shut %d: listen", how);
		TRY(w, listen(l, 4));
		sl = loop_addr(AF_INET6, port_of(l), &ss);
		int c = socket(AF_INET6, SOCK_STREAM, 0);
		snprintf(w, sizeof(w), "listener shut %d: connect", how);
		TRY(w, connect(c, (struct sockaddr *)&ss, sl));
		wait_for(l, POLLIN);
		int a = accept(l, NULL, NULL);
		if (how != SHUT_RD) {
			/* The FIN, and (Linux delays it) its ACK. */
			wait_for(c, POLLRDHUP);
			wait_acked(a);
		}
		snprintf(w, sizeof(w), "listener shut %d: client", how);
		show(w, c);
		snprintf(w, sizeof(w), "listener shut %d: accepted", how);
		show(w, a);
		char b[4];
		snprintf(w, sizeof(w), "listener shut %d: accepted recv", how);
		TRY(w, recv(a, b, sizeof(b), MSG_DONTWAIT));
		snprintf(w, sizeof(w), "listener shut %d: accepted send", how);
		TRY(w, send(a, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
		close(a);
		close(c);
		close(l);
	}
}

/* A socket that a failed connect left closed, bound to 127.0.0.1:0
 * afterwards: the next connect reports the failure and disconnects, yet
 * the socket keeps that port (it was closed already: Linux gives back
 * no port then), so a connect to it is a connect to itself. */
static void disconnect_keeps_port(void)
{
	char w[96];
	for (int taken = 0; taken < 2; taken++) {
		struct sockaddr_storage ss;
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		socklen_t sl = loop_addr(AF_INET, 1, &ss);
		const char *k = taken ? "refused, error taken" : "refused";
		snprintf(w, sizeof(w), "%s: connect nowhere", k);
		TRY(w, connect(s, (struct sockaddr *)&ss, sl));
		wait_for(s, POLLOUT);
		fcntl(s, F_SETFL, 0);
		sl = loop_addr(AF_INET, 0, &ss);
		snprintf(w, sizeof(w), "%s: bind", k);
		TRY(w, bind(s, (struct sockaddr *)&ss, sl));
		int port = port_of(s);
		if (taken) {
			int e = 0;
			socklen_t el = sizeof(e);
			getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el);
		}
		sl = loop_addr(AF_INET, port, &ss);
		snprintf(w, sizeof(w), "%s: connect to its port", k);
		TRY(w, connect(s, (struct sockaddr *)&ss, sl));
		struct sockaddr_in n;
		socklen_t nl = sizeof(n);
		getsockname(s, (struct sockaddr *)&n, &nl);
		snprintf(w, sizeof(w), "%s: then port kept, address", k);
		V(w, "%d %s", ntohs(n.sin_port) == port, inet_ntoa(n.sin_addr));
		snprintf(w, sizeof(w), "%s: connect to its port again", k);
		TRY(w, connect(s, (struct sockaddr *)&ss, sl));
		snprintf(w, sizeof(w), "%s: connected", k);
		show(w, s);
		close(s);
	}
}

/* SO_SNDBUF of a new connection (Linux tcp_sndbuf_expand: twice ten
 * segments as Linux charges them). CUBIC is asked for: a host may
 * default to BBR, whose factor is 3 (moat has no BBR). */
static void sndbuf_of_a_connection(void)
{
	char w[96];
	for (int maxseg = 0; maxseg < 2; maxseg++) {
		struct sockaddr_storage ss;
		socklen_t sl = loop_addr(AF_INET, 0, &ss);
		int l = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(l, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5);
		if (maxseg) {
			int v = 4096;
			setsockopt(l, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v));
		}
		bind(l, (struct sockaddr *)&ss, sl);
		listen(l, 4);
		sl = loop_addr(AF_INET, port_of(l), &ss);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5);
		connect(c, (struct sockaddr *)&ss, sl);
		wait_for(l, POLLIN);
		int a = accept(l, NULL, NULL);
		snprintf(w, sizeof(w), "sndbuf%s: client", maxseg ? ", listener TCP_MAXSEG 4096" : "");
		get_int(w, c, SOL_SOCKET, SO_SNDBUF);
		snprintf(w, sizeof(w), "sndbuf%s: accepted", maxseg ? ", listener TCP_MAXSEG 4096" : "");
		get_int(w, a, SOL_SOCKET, SO_SNDBUF);
		close(a);
		close(c);
		close(l);
	}
}

/* A socket connected to itself with the smallest SO_RCVBUF: its window
 * (scaled, but unscaled in the SYN-ACK that completes the simultaneous
 * open) lets data through. How much differs: Linux offers half the
 * buffer (1152 bytes), moat all of it. */
static void self_connect_small_rcvbuf(void)
{
	struct sockaddr_storage ss;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int v = 2;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	socklen_t sl = loop_addr(AF_INET, 0, &ss);
	bind(s, (struct sockaddr *)&ss, sl);
	sl = loop_addr(AF_INET, port_of(s), &ss);
	TRY("self rcvbuf 2304: connect", connect(s, (struct sockaddr *)&ss, sl));
	static char buf[4000];
	TRY("self rcvbuf 2304: send", send(s, buf, sizeof(buf), MSG_DONTWAIT));
	wait_for(s, POLLIN);
	ssize_t r = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	V("self rcvbuf 2304: data arrived", "%d", r > 0);
	close(s);
}

/* SO_RCVBUF shrunk below the window a connection already offered: the
 * data sent within that window arrives (Linux), none of it dropped. */
static void rcvbuf_shrunk_after_connect(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int l = listener(AF_INET, &ss, &sl);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&ss, sl);
	wait_for(l, POLLIN);
	int a = accept(l, NULL, NULL);
	int v = 2;
	TRY("rcvbuf shrunk: SO_RCVBUF 2", setsockopt(a, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	static char buf[4000];
	TRY("rcvbuf shrunk: send", send(c, buf, sizeof(buf), MSG_DONTWAIT));
	wait_acked(c);
	int q = -1;
	ioctl(a, SIOCINQ, &q);
	V("rcvbuf shrunk: bytes to read", "%d", q);
	TRY("rcvbuf shrunk: recv", recv(a, buf, sizeof(buf), MSG_DONTWAIT));
	close(a);
	close(c);
	close(l);
}

/* shutdown(SHUT_RD) of a listener resets the connections waiting in its
 * queue; Linux's loopback has the reset at the client when the call
 * returns (moat's delivered it a loop turn later): no wait here. */
static void listener_shutdown_resets_at_once(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int l = listener(AF_INET6, &ss, &sl);
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&ss, sl);
	wait_for(l, POLLIN);
	TRY("listener shut for reading: shutdown", shutdown(l, SHUT_RD));
	char b[4];
	TRY("listener shut for reading: client recv", recv(c, b, sizeof(b), MSG_DONTWAIT));
	close(c);
	close(l);
}

void case_seq_fixes2(void)
{
	time_wait();
	connect_after_reset();
	shutdown_before_connect();
	shutdown_before_listen();
	disconnect_keeps_port();
	sndbuf_of_a_connection();
	self_connect_small_rcvbuf();
	rcvbuf_shrunk_after_connect();
	listener_shutdown_resets_at_once();
}
