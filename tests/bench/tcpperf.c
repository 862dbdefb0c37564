/*
 * tcpperf: the Linux side of the TCP benchmarks (tests/bench/tcp.sh), on
 * ordinary kernel sockets, so Linux <-> Linux and Linux <-> netstack runs
 * use the very same peer program.
 *
 *   tcpperf sink PORT                   accept one connection, read to EOF;
 *                                       prints "bytes B secs S gbps G"
 *   tcpperf send HOST PORT BYTES        connect, send BYTES, close
 *   tcpperf echo PORT                   echo server (many connections; poll)
 *   tcpperf rr HOST PORT SECONDS        1-byte request/response on one
 *                                       connection; prints "tps T"
 *   tcpperf cps HOST PORT SECONDS       connect, close (RST, no TIME_WAIT)
 *                                       in a loop; prints "cps C"
 * Timings come from CLOCK_MONOTONIC; the receiver times bulk transfers from
 * its first byte to EOF.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tcpperf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listen_on(int port)
{
	/* Dual stack: IPv4 and IPv6 clients alike. */
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	int one = 1, zero = 0;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(s, 4096) < 0)
		die("listen");
	printf("listening\n");
	fflush(stdout);
	return s;
}

static int connect_to(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		len = sizeof(*a);
	}
	int s = socket(ss.ss_family, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&ss, len) < 0) {
		close(s);
		return -1;
	}
	return s;
bad:
	fprintf(stderr, "tcpperf: bad address %s\n", host);
	exit(2);
}

static int sink(int port)
{
	int l = listen_on(port);
	int c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	static char buf[1 << 20];
	uint64_t total = 0;
	double t0 = 0;
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (n == 0)
			break;
		if (!total)
			t0 = now();
		total += (uint64_t)n;
	}
	double secs = now() - t0;
	printf("bytes %llu secs %.4f gbps %.3f\n", (unsigned long long)total, secs,
	       secs > 0 ? (double)total * 8 / secs / 1e9 : 0.0);
	return 0;
}

static int sendbulk(const char *host, int port, uint64_t bytes)
{
	int s = connect_to(host, port);
	if (s < 0)
		die("connect");
	static char buf[1 << 20];
	memset(buf, 0x5a, sizeof(buf));
	uint64_t sent = 0;
	while (sent < bytes) {
		size_t n = (size_t)(bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf));
		ssize_t w = write(s, buf, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		sent += (uint64_t)w;
	}
	shutdown(s, SHUT_WR);
	char c;
	while (read(s, &c, 1) > 0) /* wait for the peer's close */
		;
	close(s);
	return 0;
}

static __attribute__((noreturn)) int echo(int port)
{
	int l = listen_on(port);
	struct pollfd fds[4096];
	int n = 1;
	fds[0].fd = l;
	fds[0].events = POLLIN;
	static char buf[65536];
	for (;;) {
		if (poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (int i = n - 1; i >= 0; i--) {
			if (!fds[i].revents)
				continue;
			if (i == 0) {
				int c = accept(l, NULL, NULL);
				if (c >= 0 && n < 4096) {
					int one = 1;
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					fds[n].fd = c;
					fds[n].events = POLLIN;
					n++;
				} else if (c >= 0) {
					close(c);
				}
				continue;
			}
			ssize_t r = read(fds[i].fd, buf, sizeof(buf));
			if (r <= 0) {
				close(fds[i].fd);
				fds[i] = fds[--n];
				continue;
			}
			ssize_t off = 0;
			while (off < r) {
				ssize_t w = write(fds[i].fd, buf + off, (size_t)(r - off));
				if (w <= 0)
					break;
				off += w;
			}
		}
	}
}

static int rr(const char *host, int port, double secs)
{
	int s = connect_to(host, port);
	if (s < 0)
		die("connect");
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	uint64_t n = 0;
	double t0 = now(), end = t0 + secs;
	char c = 'x';
	while (now() < end) {
		for (int i = 0; i < 100; i++) {
			if (write(s, &c, 1) != 1)
				die("write");
			if (read(s, &c, 1) != 1)
				die("read");
			n++;
		}
	}
	double el = now() - t0;
	printf("tps %.0f\n", (double)n / el);
	close(s);
	return 0;
}

static int cps(const char *host, int port, double secs)
{
	uint64_t n = 0, fails = 0;
	double t0 = now(), end = t0 + secs;
	struct linger lg = { 1, 0 };
	while (now() < end) {
		int s = connect_to(host, port);
		if (s < 0) {
			fails++;
			continue;
		}
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s);
		n++;
	}
	double el = now() - t0;
	printf("cps %.0f fails %llu\n", (double)n / el, (unsigned long long)fails);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "sink"))
		return sink(atoi(argv[2]));
	if (argc >= 5 && !strcmp(argv[1], "send"))
		return sendbulk(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc >= 3 && !strcmp(argv[1], "echo"))
		return echo(atoi(argv[2]));
	if (argc >= 5 && !strcmp(argv[1], "rr"))
		return rr(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc >= 5 && !strcmp(argv[1], "cps"))
		return cps(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: tcpperf sink PORT | send HOST PORT BYTES | echo PORT |\n"
			"       rr HOST PORT SECONDS | cps HOST PORT SECONDS\n");
	return 2;
}
