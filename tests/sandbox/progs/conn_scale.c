/*
 * Many TCP connections, for tests/sandbox/net_scale.sh.
 *
 *   conn_scale server PORT
 *       epoll echo server on PORT (IPv4, any address). A connection whose
 *       first read is the single byte 'C' gets it echoed and is closed by
 *       the server (so the server side holds TIME_WAIT); everything else is
 *       echoed as it comes. Prints "ready" once listening.
 *   conn_scale client IP PORT N ROUNDS
 *       opens N connections (at most 256 connects in flight), prints
 *       "connected N", then waits for a line on stdin (the caller measures
 *       memory with every connection idle). Then ROUNDS rounds, one a
 *       second: every connection sends 8 bytes (its index and the round)
 *       and must get exactly them back before its next round; prints
 *       "rounds ...", waits for another line on stdin, closes everything
 *       and prints "closed". Exits 1 on any error or a round that takes
 *       longer than 60 s.
 *       A connection whose first read is the byte 'S' gets one line back,
 *       "tcp SOCKETS established E time_wait W" from /proc/net/tcp (this
 *       connection included), and is closed.
 *   conn_scale churn IP PORT N PORTBASE PORTS
 *       N connections in a row, each bound to local port PORTBASE + i %
 *       PORTS (so a port comes back while the server still holds the last
 *       connection's TIME_WAIT), each: connect, send 'C', read the echo,
 *       read the server's FIN, close. Prints "churn N ok K failed F".
 *   conn_scale stat IP PORT
 *       prints the server's 'S' line.
 *
 * Every wait is bounded (stated per call); errors are printed with the
 * connection's index and errno and counted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ROUND_LIMIT_MS 60000	/* a round slower than this fails */
#define CONNECT_LIMIT_MS 180000 /* all N connected within this */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) < 0)
		return;
	r.rlim_cur = want < r.rlim_max ? want : r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
}

static int wait_line(void)
{
	char line[64];
	return fgets(line, sizeof(line), stdin) ? 0 : -1;
}

/* ---- server ---- */

/* "tcp SOCKETS established E time_wait W" from /proc/net/tcp. */
static int tcp_census(char *out, size_t len)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	if (!f)
		return snprintf(out, len, "tcp ? (%s)\n", strerror(errno));
	char line[512];
	long all = 0, est = 0, tw = 0;
	unsigned st;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%*x %*x:%*x %x", &st) == 1) {
			all++;
			est += st == 1;
			tw += st == 6;
		}
	fclose(f);
	return snprintf(out, len, "tcp %ld established %ld time_wait %ld\n", all, est, tw);
}

static int server(int port)
{
	raise_nofile(1 << 20);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4096) < 0) {
		perror("conn_scale server: listen");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	printf("ready\n");
	fflush(stdout);
	/* first[fd]: nothing read yet on fd (its first read decides 'C'). */
	static unsigned char first[1 << 20];
	struct epoll_event evs[256];
	char buf[4096];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		if (n < 0 && errno != EINTR) {
			perror("conn_scale server: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int c;
				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (c >= (int)sizeof(first)) {
						close(c);
						continue;
					}
					first[c] = 1;
					struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				close(fd); /* also leaves the epoll set */
				continue;
			}
			int quit = first[fd] && r == 1 && buf[0] == 'C';
			if (first[fd] && r == 1 && buf[0] == 'S') {
				r = tcp_census(buf, sizeof(buf));
				quit = 1;
			}
			first[fd] = 0;
			/* The peers wait for their echo before sending more, so a
			 * short write means something is wrong: say so. */
			if (write(fd, buf, (size_t)r) != r)
				fprintf(stderr, "conn_scale server: short echo on fd %d: %s\n", fd,
					strerror(errno));
			if (quit)
				close(fd);
		}
	}
}

/* ---- client ---- */

struct conn {
	int fd;
	int connected;
	int waiting; /* bytes of the current round's echo still expected */
	unsigned char got[8];
};

static struct sockaddr_in target(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "conn_scale: bad address %s\n", ip);
		exit(2);
	}
	return sa;
}

static int client(const char *ip, int port, int n, int rounds)
{
	raise_nofile((rlim_t)n + 64);
	struct sockaddr_in sa = target(ip, port);
	struct conn *c = calloc((size_t)n, sizeof(*c));
	int ep = epoll_create1(0);
	int started = 0, done = 0, failed = 0, inflight = 0;
	double t0 = now_ms();
	struct epoll_event evs[512];
	while (done < n) {
		while (started < n && inflight < 256) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				fprintf(stderr, "conn_scale: socket %d: %s\n", started, strerror(errno));
				return 1;
			}
			c[started].fd = fd;
			int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
			if (r < 0 && errno != EINPROGRESS) {
				fprintf(stderr, "conn_scale: connect %d: %s\n", started, strerror(errno));
				return 1;
			}
			struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = (uint32_t)started };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			started++;
			inflight++;
		}
		if (now_ms() - t0 > CONNECT_LIMIT_MS) {
			fprintf(stderr, "conn_scale: only %d of %d connected after %d s\n", done, n,
				CONNECT_LIMIT_MS / 1000);
			return 1;
		}
		int k = epoll_wait(ep, evs, 512, 1000);
		for (int i = 0; i < k; i++) {
			struct conn *x = &c[evs[i].data.u32];
			int err = 0;
			socklen_t el = sizeof(err);
			getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err) {
				if (failed++ < 5)
					fprintf(stderr, "conn_scale: connect %u: %s\n", evs[i].data.u32,
						strerror(err));
				return 1;
			}
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = evs[i].data.u32 };
			epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
			x->connected = 1;
			done++;
			inflight--;
		}
	}
	printf("connected %d in %.1f s\n", n, (now_ms() - t0) / 1e3);
	fflush(stdout);
	if (wait_line() < 0)
		return 1;

	long messages = 0, bad = 0;
	double slowest = 0;
	for (int r = 0; r < rounds; r++) {
		double start = now_ms();
		for (int i = 0; i < n; i++) {
			uint32_t msg[2] = { (uint32_t)i, (uint32_t)r };
			if (write(c[i].fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
				fprintf(stderr, "conn_scale: round %d conn %d: write: %s\n", r, i,
					strerror(errno));
				return 1;
			}
			c[i].waiting = 8;
		}
		int pending = n;
		while (pending) {
			if (now_ms() - start > ROUND_LIMIT_MS) {
				fprintf(stderr, "conn_scale: round %d: %d echoes missing after %d s\n", r,
					pending, ROUND_LIMIT_MS / 1000);
				return 1;
			}
			int k = epoll_wait(ep, evs, 512, 1000);
			for (int i = 0; i < k; i++) {
				uint32_t idx = evs[i].data.u32;
				struct conn *x = &c[idx];
				ssize_t got = read(x->fd, x->got + 8 - x->waiting, (size_t)x->waiting);
				if (got <= 0) {
					if (got < 0 && errno == EAGAIN)
						continue;
					fprintf(stderr, "conn_scale: round %d conn %u: %s\n", r, idx,
						got ? strerror(errno) : "closed by the server");
					return 1;
				}
				x->waiting -= (int)got;
				if (x->waiting)
					continue;
				uint32_t want[2] = { idx, (uint32_t)r };
				if (memcmp(x->got, want, 8) != 0 && bad++ < 5)
					fprintf(stderr, "conn_scale: round %d conn %u: wrong echo\n", r, idx);
				messages++;
				pending--;
			}
		}
		double took = now_ms() - start;
		if (took > slowest)
			slowest = took;
		if (took < 1000)
			usleep((useconds_t)((1000 - took) * 1000));
	}
	printf("rounds %d messages %ld wrong %ld slowest_round_ms %.0f\n", rounds, messages, bad,
	       slowest);
	fflush(stdout);
	if (wait_line() < 0)
		return 1;
	for (int i = 0; i < n; i++)
		close(c[i].fd);
	printf("closed\n");
	fflush(stdout);
	return bad ? 1 : 0;
}

/* ---- churn ---- */

/* 1 when fd is readable within ms. */
static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1;
}

static int churn(const char *ip, int port, int n, int pbase, int ports)
{
	struct sockaddr_in sa = target(ip, port);
	int ok = 0, failed = 0, one = 1;
	double t0 = now_ms();
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char b = 'C', e = 0;
		const char *what = NULL;
		struct sockaddr_in me = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)(pbase + i % ports)) };
		if (fd < 0)
			what = "socket";
		else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
			 bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
			what = "bind";
		else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			what = "connect";
		else if (write(fd, &b, 1) != 1)
			what = "write";
		else if (!readable(fd, 30000) || read(fd, &e, 1) != 1 || e != 'C')
			what = "echo";
		else if (!readable(fd, 30000) || read(fd, &e, 1) != 0)
			what = "server's FIN";
		if (what) {
			if (failed++ < 5)
				fprintf(stderr, "conn_scale: churn %d: %s: %s\n", i, what, strerror(errno));
		} else {
			ok++;
		}
		if (fd >= 0)
			close(fd);
	}
	printf("churn %d ok %d failed %d in %.1f s\n", n, ok, failed, (now_ms() - t0) / 1e3);
	return failed ? 1 : 0;
}

static int stat_line(const char *ip, int port)
{
	struct sockaddr_in sa = target(ip, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[256];
	ssize_t n = 0, r;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(fd, "S", 1) != 1) {
		perror("conn_scale stat");
		return 1;
	}
	while (n < (ssize_t)sizeof(buf) - 1 && readable(fd, 30000) &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += r;
	buf[n] = 0;
	close(fd);
	fputs(buf, stdout);
	return n > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc == 6 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "churn") && atoi(argv[6]) > 0)
		return churn(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
	if (argc == 4 && !strcmp(argv[1], "stat"))
		return stat_line(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: conn_scale server PORT | client IP PORT N ROUNDS |\n"
			"       churn IP PORT N PORTBASE PORTS | stat IP PORT\n");
	return 2;
}
