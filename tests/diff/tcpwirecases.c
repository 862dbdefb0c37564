/*
 * Differential cases: TCP_DEFER_ACCEPT seen from the sockets on loopback.
 * Linux turns the seconds into SYN-ACK timeouts (read back rounded up to
 * the time they cover); a connection whose client sends nothing is not
 * accepted until the period's last SYN-ACK has been acknowledged, then it
 * is, without data; one whose client writes is accepted at once.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A loopback listener with TCP_DEFER_ACCEPT secs and a client connected
 * to it (the handshake done: the client's connect returned). */
static int pair(int secs, int *cl)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &al);
	*cl = socket(AF_INET, SOCK_STREAM, 0);
	guard_begin();
	TRY("client connect", connect(*cl, (struct sockaddr *)&a, sizeof(a)));
	guard_end();
	return l;
}

static void listener_ready(const char *what, int l, int wait_ms)
{
	struct pollfd p = { l, POLLIN, 0 };
	int n = poll(&p, 1, wait_ms);
	V(what, "poll %d revents %#x", n, (unsigned)p.revents);
}

void case_tcp_defer_accept(void)
{
	static const int vals[] = { -1, 0, 1, 2, 3, 4, 5, 8, 100, 1000, 100000 };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char w[64];
	for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		snprintf(w, sizeof(w), "TCP_DEFER_ACCEPT %d", vals[i]);
		set_int(w, s, IPPROTO_TCP, TCP_DEFER_ACCEPT, vals[i]);
		get_int(w, s, IPPROTO_TCP, TCP_DEFER_ACCEPT);
	}
	close(s);

	/* Nothing written: accept blocks until the period (one timeout,
	 * 1 s) ends, then returns the connection with nothing to read. */
	int cl, l = pair(1, &cl);
	listener_ready("silent client: listener at once", l, 200);
	long t0 = now_ms();
	guard_begin(); /* a hang would be a difference: EINTR */
	int a = accept(l, NULL, NULL);
	int e = errno;
	guard_end();
	errno = e;
	R("silent client: accept", a < 0 ? -1 : 0);
	V("silent client: accept waited for the period", "%s", now_ms() - t0 >= 500 ? "yes" : "no");
	char b[16];
	if (a >= 0) {
		TRY("silent client: recv", recv(a, b, sizeof(b), MSG_DONTWAIT));
		close(a);
	}
	close(cl);
	close(l);

	/* The client writes: accepted at once, with the data. */
	l = pair(5, &cl);
	listener_ready("writing client: listener before the write", l, 200);
	TRY("writing client: send", send(cl, "hello", 5, 0));
	listener_ready("writing client: listener after the write", l, 2000);
	a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	R("writing client: accept", a < 0 ? -1 : 0);
	if (a >= 0) {
		struct pollfd p = { a, POLLIN, 0 };
		poll(&p, 1, 2000);
		TRY("writing client: recv", recv(a, b, sizeof(b), MSG_DONTWAIT));
		close(a);
	}
	close(cl);
	close(l);
}
