/*
 * Differential case: what a TCP socket is after its connect failed, with
 * a blocking and a non-blocking connect (found by the random sequences):
 * poll's events, listen, a second connect, bind, reads and writes.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define TRY(what, call)                                                        \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (call);                                              \
		R(what, r_);                                                   \
	} while (0)

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
	close(s);
}
