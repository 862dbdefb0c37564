/*
 * Random sequences of socket calls (issue 12): a seeded generator picks
 * calls on a handful of sockets (socket, bind, listen, connect, accept,
 * send, recv, shutdown, close, options, poll, names) and prints one line
 * per call, so that tests/diff/run.sh compares Linux and moat step by
 * step; the first line that differs is the finding, and the seed and
 * step reproduce it.
 *
 *   DIFF_SEQ=FIRST:COUNT:STEPS   seeds FIRST..FIRST+COUNT-1, STEPS calls
 *                                each (default 1:12:120; make test uses
 *                                the default, `make diff-random` more)
 *
 * The generator decides from its seed alone, never from results, so both
 * runs make the same calls even after they differ. Loopback delivery is
 * synchronous on Linux but takes moat's event loop a turn, so before a
 * call that observes the peer the case waits for the event it expects:
 * a TCP sender's queue to drain (SIOCOUTQ 0: every byte is in the peer's
 * receive queue), a datagram's receiver to become readable, a listener to
 * hold the connection it was sent. Those waits are bounded (2 s) and
 * print nothing; when Linux would not have the event either, both runs
 * time out alike. Ports are printed as labels in order of appearance.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 6
#define WAIT_MS 2000

struct slot {
	int fd; /* -1: free */
	int domain, type;
	int peer;      /* slot of the connected peer in this process, or -1 */
	int listening; /* connections sent to it and not accepted; -1: no listener */
	uint16_t port; /* bound port (AF_INET/AF_INET6), 0 if none */
	int unix_id;   /* bound unix name's number, 0 if none */
	long unread;   /* bytes (or datagrams) sent to it not yet read */
};

static struct slot sl[SLOTS];
static uint64_t rng;
static unsigned seq_seed;
static uint16_t port_label[64];
static int nlabels;
static int unix_names;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static int label(uint16_t port)
{
	if (!port)
		return 0;
	for (int i = 0; i < nlabels; i++)
		if (port_label[i] == port)
			return i + 1;
	if (nlabels < 64)
		port_label[nlabels++] = port;
	return nlabels;
}

/* "CASE WHAT: ret=R errno=E" (errno only when R < 0). */
static void res_line(const char *what, long r, int err)
{
	printf("%s %s: ret=%ld errno=%s\n", cur_case, what, r, errname(r < 0 ? err : 0));
	fflush(stdout);
}

/* A result line of a random sequence: "seed S step N WHAT". */
static void step_line(int step, const char *what, long r, int err)
{
	char s[160];
	snprintf(s, sizeof(s), "seed %u step %d %s", seq_seed, step, what);
	res_line(s, r, err);
}

/* Prints CALL's result with the errno it left (arguments are evaluated in
 * no fixed order, so errno cannot be a second argument next to the call). */
#define STEP(step, what, call)                                                 \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (call);                                              \
		step_line(step, what, r_, errno);                              \
	} while (0)
#define RES(what, call)                                                        \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (call);                                              \
		res_line(what, r_, errno);                                     \
	} while (0)

static int wait_ready(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	return poll(&p, 1, WAIT_MS) > 0 ? p.revents : 0;
}

/* Waits until a TCP sender's queue is empty: the peer holds every byte. */
static void wait_drained(int fd)
{
	struct timespec t0, now, nap = { 0, 1000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int q = 0;
		if (ioctl(fd, SIOCOUTQ, &q) < 0 || q == 0)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > WAIT_MS)
			return;
		nanosleep(&nap, NULL);
	}
}

static socklen_t make_addr(int domain, int loopback, uint16_t port, int unix_id,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (domain == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = loopback ? htonl(INADDR_LOOPBACK) : 0;
		return sizeof(*a);
	}
	if (domain == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (loopback)
			a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	}
	/* Abstract names: nothing on disk, nothing left behind. */
	struct sockaddr_un *a = (struct sockaddr_un *)ss;
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "moat-diff-%d-%u-%d", (int)getpid(),
			 seq_seed, unix_id);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int free_slot(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (sl[i].fd < 0)
			return i;
	return -1;
}

static int used_slot(void)
{
	int n = 0, pick[SLOTS];
	for (int i = 0; i < SLOTS; i++)
		if (sl[i].fd >= 0)
			pick[n++] = i;
	return n ? pick[rnd((uint32_t)n)] : -1;
}

static void forget(int i)
{
	for (int j = 0; j < SLOTS; j++)
		if (sl[j].peer == i)
			sl[j].peer = -1;
	sl[i] = (struct slot){ .fd = -1, .peer = -1, .listening = -1 };
}

static void op_socket(int step)
{
	static const int doms[] = { AF_INET, AF_INET6, AF_UNIX };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int i = free_slot();
	if (i < 0)
		return;
	int d = doms[rnd(3)], t = types[rnd(10) < 5 ? 0 : rnd(10) < 8 ? 1 : 2];
	char w[64];
	snprintf(w, sizeof(w), "socket %d %s %s", i, d == AF_INET ? "inet" : d == AF_INET6 ? "inet6" : "unix",
		 t == SOCK_STREAM ? "stream" : t == SOCK_DGRAM ? "dgram" : "seqpacket");
	errno = 0;
	int fd = socket(d, t | SOCK_CLOEXEC, 0);
	step_line(step, w, fd < 0 ? -1 : 0, errno);
	if (fd >= 0)
		sl[i] = (struct slot){ .fd = fd, .domain = d, .type = t, .peer = -1, .listening = -1 };
}

static void op_bind(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	struct slot *s = &sl[i];
	struct sockaddr_storage ss;
	int clash = rnd(6) == 0;
	int other = used_slot();
	uint16_t port = clash && other >= 0 ? sl[other].port : 0;
	int uid = s->domain == AF_UNIX ? (clash && other >= 0 && sl[other].unix_id ? sl[other].unix_id : ++unix_names) : 0;
	int lo = rnd(4) != 0;
	socklen_t len = make_addr(s->domain, lo, port, uid, &ss);
	char w[64];
	snprintf(w, sizeof(w), "bind %d %s%s", i, lo ? "loopback" : "any", clash ? " taken" : "");
	errno = 0;
	int r = bind(s->fd, (struct sockaddr *)&ss, len);
	step_line(step, w, r, errno);
	if (r == 0) {
		socklen_t l = sizeof(ss);
		getsockname(s->fd, (struct sockaddr *)&ss, &l);
		if (s->domain == AF_INET)
			s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (s->domain == AF_INET6)
			s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		else
			s->unix_id = uid;
		char p[32];
		snprintf(p, sizeof(p), "bound %d port", i);
		step_line(step, p, label(s->port), 0);
	}
}

static void op_listen(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	int bl = (int)rnd(6) - 1;
	char w[48];
	snprintf(w, sizeof(w), "listen %d backlog %d", i, bl);
	errno = 0;
	int r = listen(sl[i].fd, bl);
	step_line(step, w, r, errno);
	if (r == 0)
		sl[i].listening = sl[i].listening < 0 ? 0 : sl[i].listening;
}

/* A slot that is listening or bound, when there is one (2 times in 3):
 * random targets alone seldom make a connection. */
static int target_slot(void)
{
	int n = 0, pick[SLOTS];
	for (int i = 0; i < SLOTS; i++)
		if (sl[i].fd >= 0 && (sl[i].listening >= 0 || (sl[i].type == SOCK_DGRAM && (sl[i].port || sl[i].unix_id))))
			pick[n++] = i;
	return n && rnd(3) ? pick[rnd((uint32_t)n)] : used_slot();
}

static void op_connect(int step)
{
	int i = used_slot(), j = target_slot();
	if (i < 0)
		return;
	struct slot *s = &sl[i], *t = &sl[j];
	struct sockaddr_storage ss;
	/* To a socket of ours, or (1 in 5) to a port nobody has. */
	int nowhere = rnd(5) == 0 || (s->domain != AF_UNIX && !t->port) || (s->domain == AF_UNIX && !t->unix_id);
	socklen_t len = make_addr(s->domain, 1, nowhere ? 1 : t->port, nowhere ? 999 : t->unix_id, &ss);
	int nb = rnd(4) == 0;
	if (nb)
		fcntl(s->fd, F_SETFL, O_NONBLOCK);
	char w[64];
	if (nowhere)
		snprintf(w, sizeof(w), "connect %d to nobody%s", i, nb ? " nonblocking" : "");
	else
		snprintf(w, sizeof(w), "connect %d to %d%s", i, j, nb ? " nonblocking" : "");
	errno = 0;
	guard_begin();
	int r = connect(s->fd, (struct sockaddr *)&ss, len);
	guard_end();
	int e = errno;
	if (nb) {
		fcntl(s->fd, F_SETFL, 0);
		/* EINPROGRESS on Linux's loopback too; wait for the outcome. */
		if (r < 0 && e == EINPROGRESS)
			wait_ready(s->fd, POLLOUT);
	}
	step_line(step, w, r, e);
	if (!nowhere && (r == 0 || e == EINPROGRESS) && s->type != SOCK_DGRAM && t->listening >= 0)
		t->listening++;
	if (r == 0 && s->type == SOCK_DGRAM)
		s->peer = nowhere ? -1 : j;
}

static void op_accept(int step)
{
	int i = used_slot(), n = free_slot();
	if (i < 0 || n < 0)
		return;
	if (sl[i].listening > 0)
		wait_ready(sl[i].fd, POLLIN);
	char w[48];
	snprintf(w, sizeof(w), "accept on %d into %d", i, n);
	int fl = fcntl(sl[i].fd, F_GETFL);
	fcntl(sl[i].fd, F_SETFL, fl | O_NONBLOCK);
	errno = 0;
	int fd = accept4(sl[i].fd, NULL, NULL, SOCK_CLOEXEC);
	int e = errno;
	fcntl(sl[i].fd, F_SETFL, fl);
	step_line(step, w, fd < 0 ? -1 : 0, e);
	if (fd >= 0) {
		sl[i].listening--;
		sl[n] = (struct slot){ .fd = fd, .domain = sl[i].domain, .type = sl[i].type, .peer = -1,
				       .listening = -1 };
	}
}

static void op_send(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	static char buf[4096];
	for (size_t k = 0; k < sizeof(buf); k++)
		buf[k] = (char)(k * 7 + (unsigned)step);
	size_t len = rnd(3) == 0 ? 0 : rnd(4) == 0 ? 4000 : rnd(300);
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL | (rnd(8) == 0 ? MSG_OOB : 0);
	int to = rnd(3) == 0 ? target_slot() : -1;
	char w[64];
	snprintf(w, sizeof(w), "send %d len %zu%s", i, len, flags & MSG_OOB ? " oob" : "");
	errno = 0;
	ssize_t r;
	if (to >= 0 && sl[i].type == SOCK_DGRAM) {
		struct sockaddr_storage ss;
		socklen_t al = make_addr(sl[i].domain, 1, sl[to].port, sl[to].unix_id, &ss);
		snprintf(w, sizeof(w), "sendto %d len %zu to %d", i, len, to);
		r = sendto(sl[i].fd, buf, len, flags, (struct sockaddr *)&ss, al);
	} else {
		r = send(sl[i].fd, buf, len, flags);
	}
	step_line(step, w, r, errno);
	if (r < 0)
		return;
	if (sl[i].type == SOCK_STREAM && sl[i].domain != AF_UNIX)
		wait_drained(sl[i].fd);
	/* A datagram to a socket of ours: wait until it can be read. */
	int dst = to >= 0 ? to : sl[i].peer;
	if (sl[i].type == SOCK_DGRAM && dst >= 0 && sl[dst].fd >= 0)
		wait_ready(sl[dst].fd, POLLIN);
}

static void op_recv(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	static char buf[8192];
	size_t len = rnd(4) == 0 ? 0 : 1 + rnd(5000);
	static const int fl[] = { 0, MSG_PEEK, MSG_TRUNC, MSG_OOB, MSG_WAITALL };
	int flags = fl[rnd(5)] | MSG_DONTWAIT;
	char w[64];
	snprintf(w, sizeof(w), "recv %d len %zu flags %#x", i, len, flags & ~MSG_DONTWAIT);
	errno = 0;
	ssize_t r = recv(sl[i].fd, buf, len, flags);
	int e = errno;
	unsigned sum = 0;
	for (ssize_t k = 0; k < r && k < (ssize_t)len && !(flags & MSG_TRUNC && sl[i].type == SOCK_STREAM); k++)
		sum = sum * 31 + (unsigned char)buf[k];
	step_line(step, w, r, e);
	if (r > 0) {
		char d[48];
		snprintf(d, sizeof(d), "recv %d data sum", i);
		step_line(step, d, sum, 0);
	}
}

static void op_shutdown(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	int how = (int)rnd(4);
	char w[48];
	snprintf(w, sizeof(w), "shutdown %d how %d", i, how);
	STEP(step, w, shutdown(sl[i].fd, how));
	if (sl[i].type == SOCK_STREAM && sl[i].domain != AF_UNIX)
		wait_drained(sl[i].fd);
}

static void op_close(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	char w[32];
	snprintf(w, sizeof(w), "close %d", i);
	STEP(step, w, close(sl[i].fd));
	forget(i);
}

static const struct {
	const char *name;
	int level, opt;
} opts[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR },
	{ "SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE },
	{ "SO_BROADCAST", SOL_SOCKET, SO_BROADCAST },
	{ "SO_OOBINLINE", SOL_SOCKET, SO_OOBINLINE },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF },
	{ "SO_TYPE", SOL_SOCKET, SO_TYPE },
	{ "SO_ERROR", SOL_SOCKET, SO_ERROR },
	{ "SO_ACCEPTCONN", SOL_SOCKET, SO_ACCEPTCONN },
	{ "SO_DOMAIN", SOL_SOCKET, SO_DOMAIN },
	{ "SO_PROTOCOL", SOL_SOCKET, SO_PROTOCOL },
	{ "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY },
	{ "SO_PASSCRED", SOL_SOCKET, SO_PASSCRED },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY },
	{ "TCP_CORK", IPPROTO_TCP, TCP_CORK },
	{ "TCP_MAXSEG", IPPROTO_TCP, TCP_MAXSEG },
	{ "TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE },
	{ "TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL },
	{ "TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT },
	{ "TCP_SYNCNT", IPPROTO_TCP, TCP_SYNCNT },
	{ "TCP_LINGER2", IPPROTO_TCP, TCP_LINGER2 },
	{ "TCP_DEFER_ACCEPT", IPPROTO_TCP, TCP_DEFER_ACCEPT },
	{ "TCP_QUICKACK", IPPROTO_TCP, TCP_QUICKACK },
	{ "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT },
	{ "IP_TTL", IPPROTO_IP, IP_TTL },
	{ "IP_TOS", IPPROTO_IP, IP_TOS },
	{ "IP_RECVTTL", IPPROTO_IP, IP_RECVTTL },
	{ "IP_PKTINFO", IPPROTO_IP, IP_PKTINFO },
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY },
	{ "IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS },
	{ "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS },
	{ "IPV6_RECVPKTINFO", IPPROTO_IPV6, IPV6_RECVPKTINFO },
};

static void op_opt(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	int o = (int)rnd(sizeof(opts) / sizeof(opts[0]));
	/* Buffer sizes stay far below any host's rmem_max/wmem_max. */
	static const int vals[] = { 0, 1, -1, 2, 7, 255, 256, 4096, 65535, 0x7fffffff };
	int v = vals[rnd(10)];
	int bufopt = opts[o].level == SOL_SOCKET && (opts[o].opt == SO_SNDBUF || opts[o].opt == SO_RCVBUF);
	if (bufopt && (v < 0 || v > 65535))
		v = 8192;
	char w[80];
	if (rnd(2)) {
		snprintf(w, sizeof(w), "setsockopt %d %s %d", i, opts[o].name, v);
		STEP(step, w, setsockopt(sl[i].fd, opts[o].level, opts[o].opt, &v, sizeof(v)));
	}
	int got = 0;
	socklen_t gl = sizeof(got);
	snprintf(w, sizeof(w), "getsockopt %d %s", i, opts[o].name);
	errno = 0;
	int r = getsockopt(sl[i].fd, opts[o].level, opts[o].opt, &got, &gl);
	step_line(step, w, r, errno);
	if (r == 0) {
		snprintf(w, sizeof(w), "getsockopt %d %s value", i, opts[o].name);
		step_line(step, w, got, 0);
	}
}

static void op_poll(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	struct pollfd p = { sl[i].fd, POLLIN | POLLOUT | POLLPRI | POLLRDHUP, 0 };
	char w[32];
	snprintf(w, sizeof(w), "poll %d revents", i);
	int r = poll(&p, 1, 0);
	step_line(step, w, r < 0 ? r : p.revents, errno);
}

static void op_names(int step)
{
	int i = used_slot();
	if (i < 0)
		return;
	struct sockaddr_storage ss;
	for (int peer = 0; peer < 2; peer++) {
		socklen_t l = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		errno = 0;
		int r = peer ? getpeername(sl[i].fd, (struct sockaddr *)&ss, &l)
			     : getsockname(sl[i].fd, (struct sockaddr *)&ss, &l);
		char w[48];
		snprintf(w, sizeof(w), "%s %d", peer ? "getpeername" : "getsockname", i);
		step_line(step, w, r, errno);
		if (r < 0)
			continue;
		uint16_t port = ss.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				: ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
							   : 0;
		/* A unix name's length varies with the pid: only say if it has one. */
		long shown = ss.ss_family == AF_UNIX ? (l > sizeof(sa_family_t)) : label(port);
		snprintf(w, sizeof(w), "%s %d family %d len %s port", peer ? "peer" : "name", i, ss.ss_family,
			 ss.ss_family == AF_UNIX ? "-" : l == sizeof(struct sockaddr_in) ? "in" : "in6");
		step_line(step, w, shown, 0);
	}
}

static void run_seed(unsigned seed, int steps)
{
	static void (*const ops[])(int) = { op_socket, op_socket, op_bind,  op_listen, op_connect,
					    op_accept, op_send,   op_send,  op_recv,   op_recv,
					    op_shutdown, op_close, op_opt,  op_opt,    op_poll,
					    op_names };
	seq_seed = seed;
	rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0xbf58476d1ce4e5b9ull);
	nlabels = 0;
	unix_names = 0;
	for (int i = 0; i < SLOTS; i++)
		forget(i);
	for (int step = 1; step <= steps; step++)
		ops[rnd(sizeof(ops) / sizeof(ops[0]))](step);
	for (int i = 0; i < SLOTS; i++)
		if (sl[i].fd >= 0)
			close(sl[i].fd);
}

void case_random_sequences(void)
{
	unsigned first = 1, count = 12;
	int steps = 120;
	const char *e = getenv("DIFF_SEQ");
	if (e && sscanf(e, "%u:%u:%d", &first, &count, &steps) != 3) {
		V("DIFF_SEQ", "want FIRST:COUNT:STEPS, got '%s'", e);
		return;
	}
	for (unsigned s = first; s < first + count; s++)
		run_seed(s, steps);
}

/* Options at every level on every inet socket kind: which errno answers
 * a level the socket does not have (found by the random sequences). */
void case_option_levels(void)
{
	static const int doms[] = { AF_INET, AF_INET6 }, types[] = { SOCK_STREAM, SOCK_DGRAM };
	static const struct {
		const char *name;
		int level, opt;
	} lv[] = {
		{ "TCP_MAXSEG", IPPROTO_TCP, TCP_MAXSEG }, { "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY },
		{ "IP_TTL", IPPROTO_IP, IP_TTL },	   { "UDP_CORK", IPPROTO_UDP, 1 },
		{ "level 999", 999, 1 },		   { "TCP 999", IPPROTO_TCP, 999 },
		{ "IP 999", IPPROTO_IP, 999 },		   { "IPV6 999", IPPROTO_IPV6, 999 },
		{ "SOL_SOCKET 999", SOL_SOCKET, 999 },	   { "IP_RECVOPTS", IPPROTO_IP, IP_RECVOPTS },
		{ "IP_RETOPTS", IPPROTO_IP, IP_RETOPTS },
	};
	for (int d = 0; d < 2; d++)
		for (int t = 0; t < 2; t++) {
			int s = socket(doms[d], types[t], 0);
			for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
				const char *kind = d ? t ? "inet6 dgram" : "inet6 stream" : t ? "inet dgram" : "inet stream";
				char w[80];
				int v = 0;
				socklen_t l = sizeof(v);
				snprintf(w, sizeof(w), "%s get %s", kind, lv[i].name);
				RES(w, getsockopt(s, lv[i].level, lv[i].opt, &v, &l));
				snprintf(w, sizeof(w), "%s set %s", kind, lv[i].name);
				v = 1;
				RES(w, setsockopt(s, lv[i].level, lv[i].opt, &v, sizeof(v)));
			}
			close(s);
		}
}
