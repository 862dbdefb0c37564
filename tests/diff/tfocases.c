/*
 * TCP Fast Open as a client without a cookie (tcp(7)): TCP_FASTOPEN_CONNECT
 * at its boundaries (a plain connect() follows, as Linux's without a
 * cookie), sendto(MSG_FASTOPEN) connecting first (blocking, non-blocking,
 * refused, connected, without an address, AF_UNSPEC, a listener, IPv6,
 * UDP's indifference), and net.ipv4.tcp_fastopen without the client's
 * bit. Connections are over 127.0.0.1 and ::1; a peer that never came is
 * waited for with poll, at most 2 s.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static int listener(struct sockaddr_in *a)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	*a = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(*a);
	bind(l, (struct sockaddr *)a, sizeof(*a));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)a, &al);
	return l;
}

/* What the next connection of l brought: its bytes, as a line. */
static void take(const char *step, int l)
{
	struct pollfd p = { l, POLLIN, 0 };
	if (poll(&p, 1, 2000) <= 0) {
		V(step, "no connection");
		return;
	}
	int c = accept(l, NULL, NULL);
	char b[16] = "";
	p = (struct pollfd){ c, POLLIN, 0 };
	long n = poll(&p, 1, 2000) > 0 ? recv(c, b, sizeof(b), MSG_DONTWAIT) : 0;
	V(step, "connection, %ld bytes '%.*s'", n, n > 0 ? (int)n : 0, b);
	close(c);
}

static void fo_send(const char *step, int s, const char *d, const void *a, socklen_t al)
{
	TRY(step, sendto(s, d, strlen(d), MSG_FASTOPEN | MSG_NOSIGNAL, a, al));
}

static void fastopen_connect_opt(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	get_int("TCP_FASTOPEN_CONNECT default", s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT);
	static const int vals[] = { 1, 0, 2, -1, 256 };
	char step[64];
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		snprintf(step, sizeof(step), "TCP_FASTOPEN_CONNECT set %d", vals[i]);
		set_int(step, s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, vals[i]);
		snprintf(step, sizeof(step), "TCP_FASTOPEN_CONNECT after %d", vals[i]);
		get_int(step, s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT);
	}
	char one = 1;
	TRY("TCP_FASTOPEN_CONNECT one byte", setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, 1));
	struct sockaddr_in a;
	int l = listener(&a);
	set_int("TCP_FASTOPEN_CONNECT 1", s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);
	TRY("connect", connect(s, (struct sockaddr *)&a, sizeof(a)));
	struct pollfd p = { l, POLLIN, 0 };
	V("a connection before any write", "%d", poll(&p, 1, 2000));
	set_int("TCP_FASTOPEN_CONNECT once connected", s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 0);
	TRY("write", write(s, "hello", 5));
	take("the listener", l);
	close(s);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	set_int("TCP_FASTOPEN_CONNECT 1, non-blocking", s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);
	TRY("non-blocking connect", connect(s, (struct sockaddr *)&a, sizeof(a)));
	p = (struct pollfd){ s, POLLOUT, 0 };
	int n = poll(&p, 1, 2000);
	V("poll", "%d revents %#x", n, p.revents);
	close(s);
	take("the listener", l);
	int d = socket(AF_INET, SOCK_STREAM, 0);
	set_int("listener TCP_FASTOPEN_CONNECT", l, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);
	close(l);
	set_int("TCP_FASTOPEN_CONNECT 1, to no listener", d, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);
	TRY("connect to no listener", connect(d, (struct sockaddr *)&a, sizeof(a)));
	TRY("write after", send(d, "x", 1, MSG_NOSIGNAL));
	close(d);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	set_int("udp TCP_FASTOPEN_CONNECT", u, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);
	close(u);
}

static void msg_fastopen(void)
{
	struct sockaddr_in a;
	int l = listener(&a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	fo_send("no address", s, "ab", NULL, 0);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	fo_send("AF_UNSPEC", s, "ab", &un, sizeof(un));
	fo_send("a short address", s, "ab", &a, 3);
	fo_send("sendto", s, "ab", &a, sizeof(a));
	fo_send("again, connected", s, "cd", &a, sizeof(a));
	fo_send("connected, no address", s, "ef", NULL, 0);
	take("sendto's connection", l);
	close(s);
	/* a long one: the pieces after the first do not connect again */
	s = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	static char big[300000];
	struct pollfd p = { l, POLLIN, 0 };
	pid_t kid = fork();
	if (kid == 0) {
		long n = sendto(s, big, sizeof(big), MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a));
		_exit(n == (long)sizeof(big) ? 0 : 1);
	}
	long got = 0;
	if (poll(&p, 1, 2000) > 0) {
		int c = accept(l, NULL, NULL);
		for (;;) {
			struct pollfd q = { c, POLLIN, 0 };
			if (poll(&q, 1, 2000) <= 0)
				break;
			long n = recv(c, big, sizeof(big), 0);
			if (n <= 0)
				break;
			got += n;
			if (got == (long)sizeof(big))
				break;
		}
		close(c);
	}
	int st = 0;
	waitpid(kid, &st, 0);
	V("300000 bytes with MSG_FASTOPEN", "received %ld, the sender %s", got,
	  WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "sent them all" : "did not");
	close(s);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	fo_send("non-blocking", s, "x", &a, sizeof(a));
	fo_send("non-blocking again", s, "y", &a, sizeof(a));
	p = (struct pollfd){ s, POLLOUT, 0 };
	poll(&p, 1, 2000);
	fo_send("non-blocking after poll", s, "z", &a, sizeof(a));
	take("the non-blocking one's", l);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	fo_send("MSG_DONTWAIT", s, "w", &a, sizeof(a));
	close(s);
	take("MSG_DONTWAIT's", l);
	struct sockaddr_in dead = a;
	close(l);
	s = socket(AF_INET, SOCK_STREAM, 0);
	fo_send("to no listener", s, "x", &dead, sizeof(dead));
	get_int("SO_ERROR after", s, SOL_SOCKET, SO_ERROR);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	listen(s, 1);
	fo_send("a listener", s, "x", &dead, sizeof(dead));
	close(s);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int l6 = socket(AF_INET6, SOCK_STREAM, 0);
	socklen_t al = sizeof(a6);
	bind(l6, (struct sockaddr *)&a6, sizeof(a6));
	listen(l6, 2);
	getsockname(l6, (struct sockaddr *)&a6, &al);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	fo_send("IPv6", s, "v6", &a6, sizeof(a6));
	take("IPv6's", l6);
	close(s);
	close(l6);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	fo_send("UDP", u, "x", &dead, sizeof(dead));
	close(u);
}

/* net.ipv4.tcp_fastopen without the client's bit (and put back). */
static void sysctl_off(void)
{
	write_file("tcp_fastopen 0", "/proc/sys/net/ipv4/tcp_fastopen", "0");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	set_int("TCP_FASTOPEN_CONNECT 1, tcp_fastopen 0", s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);
	set_int("TCP_FASTOPEN_CONNECT 2, tcp_fastopen 0", s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 2);
	struct sockaddr_in a;
	int l = listener(&a);
	fo_send("MSG_FASTOPEN, tcp_fastopen 0", s, "x", &a, sizeof(a));
	fo_send("MSG_FASTOPEN without an address, tcp_fastopen 0", s, "x", NULL, 0);
	close(s);
	close(l);
	write_file("tcp_fastopen 2", "/proc/sys/net/ipv4/tcp_fastopen", "2");
	s = socket(AF_INET, SOCK_STREAM, 0);
	set_int("TCP_FASTOPEN_CONNECT 1, tcp_fastopen 2", s, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1);
	close(s);
	write_file("tcp_fastopen back", "/proc/sys/net/ipv4/tcp_fastopen", "1");
}

void case_tcp_fastopen(void)
{
	fastopen_connect_opt();
	msg_fastopen();
	sysctl_off();
}
