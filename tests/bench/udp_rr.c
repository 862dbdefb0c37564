/*
 * udp_rr: UDP request/response on real (kernel) sockets, for benchmarks.
 *
 *   udp_rr --server IP:PORT
 *       echo every datagram back to its sender, until killed
 *   udp_rr IP:PORT [--size N] [--secs S]
 *       one request in flight at a time for S seconds (default 3) with N-byte
 *       datagrams (default 64); prints one line:
 *       "requests=R seconds=S rate=R/S rtt_median_us=M rtt_p99_us=P rtt_mean_us=A lost=L"
 *
 * Why not sockperf ping-pong: its client drops answers that still carry its
 * own "client" flag (sockperf's server clears it), so it cannot measure a
 * plain echo service such as `moat stack --udp-echo`. This client accepts any
 * echo whose first 8 bytes carry the request's sequence number; the server
 * mode gives Linux the same plain echo to be compared with.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static int serve(const struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		perror("udp_rr: bind");
		return 1;
	}
	printf("udp_rr: serving\n");
	fflush(stdout);
	static uint8_t buf[65536];
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udp_rr: recvfrom");
			return 1;
		}
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	size_t size = 64;
	double secs = 3;
	const char *target = NULL;
	int server = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--server"))
			server = 1;
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = (size_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--secs") && i + 1 < argc)
			secs = atof(argv[++i]);
		else
			target = argv[i];
	}
	if (!target || parse_addr(target, &a) < 0 || size < 8 || size > 65507) {
		fprintf(stderr, "usage: udp_rr [--server] IP:PORT [--size N] [--secs S]\n");
		return 2;
	}
	if (server)
		return serve(&a);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 0, 200000 };
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("udp_rr: socket");
		return 1;
	}
	uint8_t *req = calloc(1, size), *rsp = malloc(size + 1);
	size_t cap = 1 << 20, n = 0;
	uint64_t *rtt = malloc(cap * sizeof(*rtt));
	if (!req || !rsp || !rtt)
		return 1;
	uint64_t lost = 0, seq = 0;
	uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9);
	uint64_t t;
	while ((t = now_ns()) < end) {
		seq++;
		memcpy(req, &seq, 8);
		if (send(fd, req, size, 0) != (ssize_t)size) {
			perror("udp_rr: send");
			return 1;
		}
		for (;;) {
			ssize_t r = recv(fd, rsp, size + 1, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				lost++; /* timeout (or refused): next request */
				break;
			}
			uint64_t got;
			memcpy(&got, rsp, 8);
			if (r == (ssize_t)size && got == seq) {
				if (n == cap) {
					cap *= 2;
					rtt = realloc(rtt, cap * sizeof(*rtt));
					if (!rtt)
						return 1;
				}
				rtt[n++] = now_ns() - t;
				break;
			}
			/* A late answer to an earlier request: keep waiting. */
		}
	}
	double dur = (double)(now_ns() - start) / 1e9;
	if (!n) {
		printf("requests=0 seconds=%.3f rate=0 lost=%llu\n", dur, (unsigned long long)lost);
		return 1;
	}
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)rtt[i];
	printf("requests=%zu seconds=%.3f rate=%.0f rtt_median_us=%.2f rtt_p99_us=%.2f "
	       "rtt_mean_us=%.2f lost=%llu\n",
	       n, dur, (double)n / dur, (double)rtt[n / 2] / 1e3, (double)rtt[n * 99 / 100] / 1e3,
	       sum / (double)n / 1e3, (unsigned long long)lost);
	free(req);
	free(rsp);
	free(rtt);
	return 0;
}
