/*
 * The testbench's side of the DUT agent protocol (see dut_agent.c for the
 * wire format): starts the agent with pipes on its stdin/stdout, sends one
 * JSON request per line and reads one JSON reply per line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pi.h"
#include "bench.h"

int dut_errno;

static volatile pid_t agent_pid;
static int to_agent = -1, from_agent = -1;
static char rbuf[1 << 18];
static size_t rlen;
static const char *inflight; /* op of the outstanding async call */

#define SYNC_TIMEOUT_MS 15000

const char *dut_strerror(int e)
{
	static char buf[32];
	if (e == 0)
		return "no error";
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

void dut_kill_now(void)
{
	pid_t p = agent_pid;
	if (p > 0)
		kill(p, SIGKILL);
}

void dut_stop(void)
{
	pid_t p = agent_pid;
	if (p <= 0)
		return;
	if (to_agent >= 0) {
		close(to_agent);
		to_agent = -1;
	}
	/* The agent exits on EOF unless it is blocked in a call. */
	for (int i = 0; i < 20; i++) {
		if (waitpid(p, NULL, WNOHANG) == p) {
			agent_pid = 0;
			return;
		}
		pi_sleep_ms(10);
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	agent_pid = 0;
}

static char *read_line(int timeout_ms)
{
	uint64_t deadline = pi_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		char *nl = memchr(rbuf, '\n', rlen);
		if (nl) {
			size_t n = (size_t)(nl - rbuf) + 1;
			char *line = malloc(n);
			if (!line)
				pi_fail("out of memory");
			memcpy(line, rbuf, n - 1);
			line[n - 1] = 0;
			memmove(rbuf, rbuf + n, rlen - n);
			rlen -= n;
			return line;
		}
		uint64_t now = pi_now_ms();
		if (now >= deadline)
			return NULL;
		struct pollfd p = { from_agent, POLLIN, 0 };
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR)
			pi_fail("poll on DUT agent: %s", strerror(errno));
		if (r <= 0)
			continue;
		if (rlen == sizeof(rbuf))
			pi_fail("DUT agent reply too long");
		ssize_t n = read(from_agent, rbuf + rlen, sizeof(rbuf) - rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			pi_fail("DUT agent exited");
		rlen += (size_t)n;
	}
}

static json_t *read_reply(int timeout_ms)
{
	char *line = read_line(timeout_ms);
	if (!line)
		return NULL;
	json_error_t err;
	json_t *j = json_loads(line, 0, &err);
	if (!j || !json_is_object(j))
		pi_fail("DUT agent sent a bad line: %.100s", line);
	free(line);
	return j;
}

void dut_start(char **argv)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		pi_fail("pipe: %s", strerror(errno));
	pid_t p = fork();
	if (p < 0)
		pi_fail("fork: %s", strerror(errno));
	if (p == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		/* Die with the testbench, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGALRM, SIG_DFL);
		alarm(0);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	agent_pid = p;
	close(in[0]);
	close(out[1]);
	to_agent = in[1];
	from_agent = out[0];
	signal(SIGPIPE, SIG_IGN);
	json_t *j = read_reply(15000);
	if (!j)
		pi_fail("DUT agent did not start within 15 s");
	if (!json_is_true(json_object_get(j, "ready")))
		pi_fail("DUT agent did not report ready");
	json_decref(j);
	pi_log("DUT agent (%s) ready, pid %d", pi_env.dut_kind, (int)p);
}

/* ---- requests ---- */

static void send_req(json_t *req)
{
	if (inflight)
		pi_fail("DUT call %s while %s is in flight", json_string_value(json_object_get(req, "op")),
			inflight);
	char *s = json_dumps(req, JSON_COMPACT);
	if (!s)
		pi_fail("json_dumps failed");
	if (pi_env.verbose)
		pi_log("dut <- %s", s);
	size_t n = strlen(s);
	s[n] = '\n'; /* replaces the NUL; written with the newline */
	size_t off = 0;
	while (off < n + 1) {
		ssize_t w = write(to_agent, s + off, n + 1 - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			pi_fail("writing to DUT agent: %s", strerror(errno));
		off += (size_t)w;
	}
	free(s);
}

static long reply_ret(json_t *rep)
{
	if (pi_env.verbose) {
		char *s = json_dumps(rep, JSON_COMPACT);
		pi_log("dut -> %s", s ? s : "?");
		free(s);
	}
	json_t *e = json_object_get(rep, "error");
	if (e)
		pi_fail("DUT agent: %s", json_string_value(e));
	dut_errno = (int)json_integer_value(json_object_get(rep, "errno"));
	return (long)json_integer_value(json_object_get(rep, "ret"));
}

/* Send req (consumed), wait for its reply; returns it (caller decrefs). */
static json_t *call(json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	char opname[32];
	snprintf(opname, sizeof(opname), "%s", op ? op : "?");
	send_req(req);
	json_decref(req);
	json_t *rep = read_reply(SYNC_TIMEOUT_MS);
	if (!rep)
		pi_fail("DUT agent did not answer %s within %d s", opname, SYNC_TIMEOUT_MS / 1000);
	return rep;
}

static long call_ret(json_t *req)
{
	json_t *rep = call(req);
	long r = reply_ret(rep);
	json_decref(rep);
	return r;
}

static json_t *addr_json(const struct sockaddr *sa, socklen_t len)
{
	char ip[64];
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		return json_pack("{s:i,s:s,s:i}", "family", AF_INET6, "ip", ip, "port",
				 ntohs(s6->sin6_port));
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
	return json_pack("{s:i,s:s,s:i}", "family", sa->sa_family, "ip", ip, "port",
			 ntohs(s4->sin_port));
}

static void addr_from_json(json_t *j, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!j)
		return;
	int fam = (int)json_integer_value(json_object_get(j, "family"));
	const char *ip = json_string_value(json_object_get(j, "ip"));
	int port = (int)json_integer_value(json_object_get(j, "port"));
	if (fam == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (ip)
			inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = (sa_family_t)fam;
		s4->sin_port = htons((uint16_t)port);
		if (ip)
			inet_pton(AF_INET, ip, &s4->sin_addr);
	}
}

static char *hex(const void *buf, size_t len)
{
	static const char d[] = "0123456789abcdef";
	char *s = malloc(len * 2 + 1);
	if (!s)
		pi_fail("out of memory");
	const uint8_t *b = buf;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = d[b[i] >> 4];
		s[2 * i + 1] = d[b[i] & 15];
	}
	s[2 * len] = 0;
	return s;
}

static size_t unhex(const char *s, void *buf, size_t cap)
{
	size_t n = 0;
	uint8_t *b = buf;
	if (!s)
		return 0;
	while (s[0] && s[1] && n < cap) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		b[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

socklen_t pi_sockaddr_local(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, pi_env.local_ip6, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	s4->sin_addr.s_addr = htonl(pi_env.local_ip4);
	return sizeof(*s4);
}

socklen_t pi_sockaddr_remote(int family, uint16_t port, struct sockaddr_storage *ss)
{
	socklen_t l = pi_sockaddr_local(family, port, ss);
	if (family == AF_INET6)
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, pi_env.remote_ip6, 16);
	else
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(pi_env.remote_ip4);
	return l;
}

socklen_t pi_sockaddr_any(int family, uint16_t port, struct sockaddr_storage *ss)
{
	socklen_t l = pi_sockaddr_local(family, port, ss);
	if (family == AF_INET6)
		memset(&((struct sockaddr_in6 *)ss)->sin6_addr, 0, 16);
	else
		((struct sockaddr_in *)ss)->sin_addr.s_addr = 0;
	return l;
}

/* ---- the calls ---- */

int dut_socket(int domain, int type, int proto)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:i,s:i}", "op", "socket", "domain", domain, "type",
				       type, "proto", proto));
}

int dut_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:o}", "op", "bind", "fd", fd, "addr",
				       addr_json(sa, len)));
}

int dut_listen(int fd, int backlog)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:i}", "op", "listen", "fd", fd, "backlog", backlog));
}

int dut_accept(int fd, struct sockaddr_storage *addr)
{
	json_t *rep = call(json_pack("{s:s,s:i}", "op", "accept", "fd", fd));
	int r = (int)reply_ret(rep);
	if (addr)
		addr_from_json(json_object_get(rep, "addr"), addr);
	json_decref(rep);
	return r;
}

int dut_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:o}", "op", "connect", "fd", fd, "addr",
				       addr_json(sa, len)));
}

int dut_close(int fd)
{
	return (int)call_ret(json_pack("{s:s,s:i}", "op", "close", "fd", fd));
}

int dut_shutdown(int fd, int how)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:i}", "op", "shutdown", "fd", fd, "how", how));
}

static int name_call(const char *op, int fd, struct sockaddr_storage *ss)
{
	json_t *rep = call(json_pack("{s:s,s:i}", "op", op, "fd", fd));
	int r = (int)reply_ret(rep);
	if (ss)
		addr_from_json(json_object_get(rep, "addr"), ss);
	json_decref(rep);
	return r;
}

int dut_getsockname(int fd, struct sockaddr_storage *ss)
{
	return name_call("getsockname", fd, ss);
}

int dut_getpeername(int fd, struct sockaddr_storage *ss)
{
	return name_call("getpeername", fd, ss);
}

int dut_setsockopt_int(int fd, int level, int name, int val)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:i,s:i,s:i}", "op", "setsockopt", "fd", fd, "level",
				       level, "name", name, "int", val));
}

int dut_getsockopt_int(int fd, int level, int name, int *val)
{
	json_t *rep = call(json_pack("{s:s,s:i,s:i,s:i,s:s}", "op", "getsockopt", "fd", fd, "level",
				     level, "name", name, "kind", "int"));
	int r = (int)reply_ret(rep);
	if (val)
		*val = (int)json_integer_value(json_object_get(rep, "int"));
	json_decref(rep);
	return r;
}

int dut_setsockopt_linger(int fd, int onoff, int secs)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:i,s:i,s:{s:i,s:i}}", "op", "setsockopt", "fd", fd,
				       "level", SOL_SOCKET, "name", SO_LINGER, "linger", "onoff", onoff,
				       "linger", secs));
}

int dut_setsockopt_timeval(int fd, int name, long sec, long usec)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:i,s:i,s:{s:I,s:I}}", "op", "setsockopt", "fd", fd,
				       "level", SOL_SOCKET, "name", name, "timeval", "sec",
				       (json_int_t)sec, "usec", (json_int_t)usec));
}

int dut_getsockopt_tcp_info(int fd, struct dut_tcp_info *ti)
{
	json_t *rep = call(json_pack("{s:s,s:i,s:i,s:i,s:s}", "op", "getsockopt", "fd", fd, "level",
				     IPPROTO_TCP, "name", 11 /* TCP_INFO */, "kind", "tcp_info"));
	int r = (int)reply_ret(rep);
	memset(ti, 0, sizeof(*ti));
	json_t *j = json_object_get(rep, "tcp_info");
#define F(x) ti->x = (__typeof__(ti->x))json_integer_value(json_object_get(j, #x))
	if (j) {
		F(state); F(ca_state); F(retransmits); F(probes); F(backoff); F(options);
		F(rto); F(ato); F(snd_mss); F(rcv_mss); F(unacked); F(sacked); F(lost);
		F(retrans); F(fackets); F(rtt); F(rttvar); F(snd_ssthresh); F(snd_cwnd);
		F(advmss); F(reordering); F(rcv_space); F(total_retrans);
	}
#undef F
	json_decref(rep);
	return r;
}

int dut_set_nonblocking(int fd, int on)
{
	return (int)call_ret(json_pack("{s:s,s:i,s:b}", "op", "set_nonblocking", "fd", fd, "on", on));
}

int dut_poll(int fd, short events, int timeout_ms, short *revents)
{
	json_t *rep = call(json_pack("{s:s,s:[{s:i,s:i}],s:i}", "op", "poll", "fds", "fd", fd,
				     "events", events, "timeout", timeout_ms));
	int r = (int)reply_ret(rep);
	if (revents)
		*revents = (short)json_integer_value(json_array_get(json_object_get(rep, "revents"), 0));
	json_decref(rep);
	return r;
}

long dut_send(int fd, const void *buf, size_t len, int flags)
{
	char *h = hex(buf, len);
	long r = call_ret(json_pack("{s:s,s:i,s:s,s:i}", "op", "send", "fd", fd, "data", h, "flags",
				    flags));
	free(h);
	return r;
}

long dut_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		socklen_t tolen)
{
	char *h = hex(buf, len);
	json_t *req = json_pack("{s:s,s:i,s:s,s:i}", "op", "sendto", "fd", fd, "data", h, "flags", flags);
	free(h);
	if (to)
		json_object_set_new(req, "addr", addr_json(to, tolen));
	return call_ret(req);
}

static long recv_reply(json_t *rep, void *buf, size_t len, struct sockaddr_storage *from)
{
	long r = reply_ret(rep);
	if (buf && r > 0)
		unhex(json_string_value(json_object_get(rep, "data")), buf, len);
	if (from)
		addr_from_json(json_object_get(rep, "addr"), from);
	return r;
}

long dut_recv(int fd, void *buf, size_t len, int flags)
{
	json_t *rep = call(json_pack("{s:s,s:i,s:I,s:i}", "op", "recv", "fd", fd, "len",
				     (json_int_t)len, "flags", flags));
	long r = recv_reply(rep, buf, len, NULL);
	json_decref(rep);
	return r;
}

long dut_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_storage *from)
{
	json_t *rep = call(json_pack("{s:s,s:i,s:I,s:i}", "op", "recvfrom", "fd", fd, "len",
				     (json_int_t)len, "flags", flags));
	long r = recv_reply(rep, buf, len, from);
	json_decref(rep);
	return r;
}

/* ---- asynchronous calls ---- */

static void begin(json_t *req, const char *op)
{
	send_req(req);
	json_decref(req);
	inflight = op;
}

void dut_begin_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	begin(json_pack("{s:s,s:i,s:o}", "op", "connect", "fd", fd, "addr", addr_json(sa, len)),
	      "connect");
}

void dut_begin_accept(int fd)
{
	begin(json_pack("{s:s,s:i}", "op", "accept", "fd", fd), "accept");
}

void dut_begin_recv(int fd, size_t len, int flags)
{
	begin(json_pack("{s:s,s:i,s:I,s:i}", "op", "recv", "fd", fd, "len", (json_int_t)len, "flags",
			flags),
	      "recv");
}

void dut_begin_send(int fd, const void *buf, size_t len, int flags)
{
	char *h = hex(buf, len);
	begin(json_pack("{s:s,s:i,s:s,s:i}", "op", "send", "fd", fd, "data", h, "flags", flags), "send");
	free(h);
}

void dut_begin_close(int fd)
{
	begin(json_pack("{s:s,s:i}", "op", "close", "fd", fd), "close");
}

long dut_end(int timeout_ms, void *buf, size_t len)
{
	if (!inflight)
		pi_fail("dut_end without a call in flight");
	json_t *rep = read_reply(timeout_ms);
	if (!rep) {
		dut_errno = 0;
		return DUT_TIMEDOUT;
	}
	inflight = NULL;
	long r = recv_reply(rep, buf, len, NULL);
	json_decref(rep);
	return r;
}

/* ---- helpers ---- */

int dut_tcp_listener(int family, uint16_t *port, int backlog)
{
	int fd = DUT_OK(dut_socket(family, SOCK_STREAM, 0));
	struct sockaddr_storage ss;
	socklen_t l = pi_sockaddr_remote(family, *port, &ss);
	DUT_OK(dut_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	DUT_OK(dut_bind(fd, (struct sockaddr *)&ss, l));
	DUT_OK(dut_listen(fd, backlog));
	DUT_OK(dut_getsockname(fd, &ss));
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int dut_udp_bound(int family, uint16_t *port, int any)
{
	int fd = DUT_OK(dut_socket(family, SOCK_DGRAM, 0));
	struct sockaddr_storage ss;
	socklen_t l = any ? pi_sockaddr_any(family, *port, &ss) : pi_sockaddr_remote(family, *port, &ss);
	DUT_OK(dut_bind(fd, (struct sockaddr *)&ss, l));
	DUT_OK(dut_getsockname(fd, &ss));
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}
