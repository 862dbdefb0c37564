/*
 * Differential cases: what a TCP socket is after its connect failed, with
 * a blocking and a non-blocking connect (found by the random sequences):
 * poll's events, listen, a second connect, bind, reads and writes; UDP
 * sockets with out-of-band flags and after shutdown.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static void show_poll(const char *what, int fd, int wait_ms)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
	poll(&p, 1, wait_ms);
	V(what, "revents %#x", (unsigned)p.revents);
}

static void one_kind(int nonblocking)
{
	/* Port 9 on loopback: nobody listens in either run. */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	char b[4];
	char w[64];
	const char *k = nonblocking ? "nonblocking" : "blocking";
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (nonblocking)
		fcntl(s, F_SETFL, O_NONBLOCK);
	snprintf(w, sizeof(w), "%s connect", k);
	TRY(w, connect(s, (struct sockaddr *)&a, sizeof(a)));
	snprintf(w, sizeof(w), "%s poll after the failure", k);
	show_poll(w, s, 2000);
	snprintf(w, sizeof(w), "%s listen", k);
	TRY(w, listen(s, 1));
	snprintf(w, sizeof(w), "%s connect again", k);
	TRY(w, connect(s, (struct sockaddr *)&a, sizeof(a)));
	snprintf(w, sizeof(w), "%s poll after connect again", k);
	show_poll(w, s, nonblocking ? 2000 : 0);
	close(s);

	s = socket(AF_INET, SOCK_STREAM, 0);
	if (nonblocking)
		fcntl(s, F_SETFL, O_NONBLOCK);
	connect(s, (struct sockaddr *)&a, sizeof(a));
	struct pollfd p = { s, POLLOUT, 0 };
	poll(&p, 1, 2000);
	int e = 0;
	socklen_t el = sizeof(e);
	getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el);
	snprintf(w, sizeof(w), "%s SO_ERROR after the failure", k);
	V(w, "%s", errname(e));
	snprintf(w, sizeof(w), "%s connect after SO_ERROR was read", k);
	TRY(w, connect(s, (struct sockaddr *)&a, sizeof(a)));
	snprintf(w, sizeof(w), "%s recv", k);
	TRY(w, recv(s, b, sizeof(b), MSG_DONTWAIT));
	snprintf(w, sizeof(w), "%s send", k);
	TRY(w, send(s, b, sizeof(b), MSG_DONTWAIT | MSG_NOSIGNAL));
	struct sockaddr_in nm;
	socklen_t nl = sizeof(nm);
	getsockname(s, (struct sockaddr *)&nm, &nl);
	snprintf(w, sizeof(w), "%s name after the failure", k);
	V(w, "%s port %s", inet_ntoa(nm.sin_addr), nm.sin_port ? "kept" : "0");
	snprintf(w, sizeof(w), "%s bind after the failure", k);
	TRY(w, bind(s, (struct sockaddr *)&any, sizeof(any)));
	snprintf(w, sizeof(w), "%s disconnect (AF_UNSPEC)", k);
	TRY(w, connect(s, &un, sizeof(un)));
	snprintf(w, sizeof(w), "%s listen after the disconnect", k);
	TRY(w, listen(s, 1));
	close(s);
}

void case_tcp_connect_failure(void)
{
	one_kind(0);
	one_kind(1);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any = { .sin_family = AF_INET };
	bind(s, (struct sockaddr *)&any, sizeof(any));
	TRY("never connected: listen", listen(s, 1));
	TRY("listener shut for reading", shutdown(s, SHUT_RD));
	struct sockaddr_in nobody = { .sin_family = AF_INET, .sin_port = htons(9),
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	TRY("connect after the listener's shutdown", connect(s, (struct sockaddr *)&nobody, sizeof(nobody)));
	TRY("listen again", listen(s, 1));
	TRY("connect on the listener", connect(s, (struct sockaddr *)&nobody, sizeof(nobody)));
	close(s);
	/* TCP_LINGER2: capped at 120 s, 0 means the sysctl's value. */
	static const int lingers[] = { 255, 121, 120, 7, 0, -1 };
	for (int i = 0; i < 6; i++) {
		char w[48];
		int v = lingers[i], got = 0;
		socklen_t gl = sizeof(got);
		s = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(s, IPPROTO_TCP, TCP_LINGER2, &v, sizeof(v));
		getsockopt(s, IPPROTO_TCP, TCP_LINGER2, &got, &gl);
		snprintf(w, sizeof(w), "TCP_LINGER2 %d reads back", v);
		V(w, "%d", got);
		close(s);
	}
}

/* UDP: out-of-band flags, a send after SHUT_WR, a read after SHUT_RD. */
void case_udp_edges(void)
{
	for (int d = 0; d < 2; d++) {
		int fam = d ? AF_INET6 : AF_INET;
		const char *k = d ? "udp6" : "udp4";
		char w[64], b[8];
		int s = socket(fam, SOCK_DGRAM, 0);
		struct sockaddr_storage ss = { 0 };
		socklen_t l;
		if (d) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			a->sin6_family = AF_INET6;
			a->sin6_port = htons(9);
			a->sin6_addr = in6addr_loopback;
			l = sizeof(*a);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			a->sin_family = AF_INET;
			a->sin_port = htons(9);
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			l = sizeof(*a);
		}
		snprintf(w, sizeof(w), "%s unconnected send oob", k);
		TRY(w, send(s, "x", 1, MSG_OOB));
		snprintf(w, sizeof(w), "%s recv oob", k);
		TRY(w, recv(s, b, sizeof(b), MSG_OOB | MSG_DONTWAIT));
		snprintf(w, sizeof(w), "%s sendto oob", k);
		TRY(w, sendto(s, "x", 1, MSG_OOB, (struct sockaddr *)&ss, l));
		snprintf(w, sizeof(w), "%s shutdown write, unconnected", k);
		TRY(w, shutdown(s, SHUT_WR));
		snprintf(w, sizeof(w), "%s send after SHUT_WR, no destination", k);
		TRY(w, send(s, "x", 1, 0));
		snprintf(w, sizeof(w), "%s sendto after SHUT_WR", k);
		TRY(w, sendto(s, "x", 1, 0, (struct sockaddr *)&ss, l));
		int r2 = socket(fam, SOCK_DGRAM, 0);
		snprintf(w, sizeof(w), "%s shutdown read", k);
		TRY(w, shutdown(r2, SHUT_RD));
		snprintf(w, sizeof(w), "%s nonblocking recv after SHUT_RD", k);
		TRY(w, recv(r2, b, sizeof(b), MSG_DONTWAIT));
		snprintf(w, sizeof(w), "%s blocking recv after SHUT_RD", k);
		guard_begin();
		TRY(w, recv(r2, b, sizeof(b), 0));
		guard_end();
		int p = 0;
		socklen_t pl = sizeof(p);
		snprintf(w, sizeof(w), "%s SO_PRIORITY set 7", k);
		p = 7;
		TRY(w, setsockopt(s, SOL_SOCKET, SO_PRIORITY, &p, sizeof(p)));
		getsockopt(s, SOL_SOCKET, SO_PRIORITY, &p, &pl);
		snprintf(w, sizeof(w), "%s SO_PRIORITY reads back", k);
		V(w, "%d", p);
		snprintf(w, sizeof(w), "%s SO_PASSCRED", k);
		TRY(w, setsockopt(s, SOL_SOCKET, SO_PASSCRED, &p, sizeof(p)));
		pl = sizeof(p);
		snprintf(w, sizeof(w), "%s SO_ACCEPTCONN", k);
		TRY(w, getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &p, &pl));
		close(s);
		close(r2);
	}
}
