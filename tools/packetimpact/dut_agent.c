/*
 * The DUT agent: performs socket calls on request from the testbench.
 *
 * One source, built twice:
 *   dut_agent_linux     real system calls; run as a normal program in the
 *                       DUT's network namespace (and, unchanged, inside the
 *                       sandbox for the `moat` DUT kind)
 *   dut_agent_netstack  (-DDUT_NETSTACK) the same calls on the netstack's
 *                       socket API; the agent runs the stack on an AF_PACKET
 *                       interface with its own event loop:
 *                         dut_agent_netstack --iface IF --addr CIDR [--addr CIDR]
 *                                            [--set KEY=VALUE ...] (ns_stack_set_option)
 *
 * Protocol: JSON lines (jansson). Each request on stdin is one object with
 * "op" and its arguments; each reply on stdout is one object with "ret" (the
 * call's return value, -1 on failure like the C call) and "errno" (0 on
 * success), plus the op's results. The first line the agent writes is
 * {"ready":true,"kind":KIND}. Requests are served one at a time, in order;
 * a blocking call blocks the agent, which is what the testbench expects.
 *
 *   socket      domain type proto                 -> ret = fd
 *   bind        fd addr                            (addr: {family, ip, port})
 *   connect     fd addr
 *   listen      fd backlog
 *   accept      fd                                -> ret = fd, addr
 *   close       fd
 *   shutdown    fd how
 *   getsockname fd                                -> addr
 *   getpeername fd                                -> addr
 *   setsockopt  fd level name and one of: int | linger {onoff, linger}
 *                                      | timeval {sec, usec}
 *   getsockopt  fd level name kind (int|linger|timeval|tcp_info)
 *                                     -> int | linger | timeval | tcp_info {...}
 *   set_nonblocking fd on
 *   poll        fds [{fd, events}] timeout (ms)   -> ret, revents [..]
 *   send        fd data (hex) flags
 *   sendto      fd data flags [addr]
 *   recv        fd len flags                      -> data (hex)
 *   recvfrom    fd len flags                      -> data, addr
 *
 * Netstack blocking: a call the stack answers with -EAGAIN on a socket that
 * is not non-blocking is retried after each event-loop iteration until it
 * completes or its SO_RCVTIMEO/SO_SNDTIMEO passes. While idle, the agent
 * keeps running the stack's loop, so the stack answers the wire at all times.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifdef DUT_NETSTACK
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include "ns/link.h"
#include "ns/loop.h"
#include "ns/socket.h"
#include "ns/stack.h"
#define KIND "netstack"
#else
#define KIND "linux"
#endif

/* ---- helpers ---- */

static socklen_t addr_parse(json_t *j, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	int fam = (int)json_integer_value(json_object_get(j, "family"));
	const char *ip = json_string_value(json_object_get(j, "ip"));
	int port = (int)json_integer_value(json_object_get(j, "port"));
	if (fam == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (ip)
			inet_pton(AF_INET6, ip, &s6->sin6_addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = (sa_family_t)fam;
	s4->sin_port = htons((uint16_t)port);
	if (ip)
		inet_pton(AF_INET, ip, &s4->sin_addr);
	return sizeof(*s4);
}

static json_t *addr_json(const struct sockaddr_storage *ss)
{
	char ip[64] = "";
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		return json_pack("{s:i,s:s,s:i}", "family", AF_INET6, "ip", ip, "port",
				 ntohs(s6->sin6_port));
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
	return json_pack("{s:i,s:s,s:i}", "family", ss->ss_family, "ip", ip, "port",
			 ntohs(s4->sin_port));
}

static char *hex(const void *buf, size_t len)
{
	static const char d[] = "0123456789abcdef";
	char *s = malloc(len * 2 + 1);
	const uint8_t *b = buf;
	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = d[b[i] >> 4];
		s[2 * i + 1] = d[b[i] & 15];
	}
	s[2 * len] = 0;
	return s;
}

static uint8_t *unhex(const char *s, size_t *len)
{
	size_t n = s ? strlen(s) / 2 : 0;
	uint8_t *b = malloc(n + 1);
	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		sscanf(s + 2 * i, "%2x", &v);
		b[i] = (uint8_t)v;
	}
	*len = n;
	return b;
}

/* ---- the two backends: each call returns >= 0 or -errno ---- */

#ifdef DUT_NETSTACK

#define MAX_FDS 256
#define FD_BASE 3

static struct ns_stack *stack;
static struct ns_loop *loop;
static struct ns_wheel wheel;
static struct {
	struct ns_socket *s;
	int nonblock;
} fds[MAX_FDS];

static struct ns_socket *sock_of(int fd)
{
	if (fd < FD_BASE || fd >= FD_BASE + MAX_FDS)
		return NULL;
	return fds[fd - FD_BASE].s;
}

static int fd_alloc(struct ns_socket *s)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (!fds[i].s) {
			fds[i].s = s;
			fds[i].nonblock = 0;
			return i + FD_BASE;
		}
	return -EMFILE;
}

#define SOCK(fd)                              \
	struct ns_socket *s = sock_of(fd);    \
	if (!s)                               \
		return -EBADF

static int nonblocking(int fd)
{
	return fds[fd - FD_BASE].nonblock;
}

/* The deadline from SO_RCVTIMEO / SO_SNDTIMEO; NS_TIME_NEVER when unset. */
static ns_time_t deadline_of(struct ns_socket *s, int name)
{
	struct timeval tv = { 0, 0 };
	socklen_t l = sizeof(tv);
	if (ns_getsockopt(s, SOL_SOCKET, name, &tv, &l) < 0 || (tv.tv_sec == 0 && tv.tv_usec == 0))
		return NS_TIME_NEVER;
	return ns_clock_now() + (ns_time_t)tv.tv_sec * NS_SEC + (ns_time_t)tv.tv_usec * NS_USEC;
}

/* Run the loop once, waking no later than deadline. Returns 0, or -EAGAIN
 * when the deadline has passed. */
static int loop_until(ns_time_t deadline)
{
	ns_time_t now = ns_clock_now();
	if (deadline != NS_TIME_NEVER && now >= deadline)
		return -EAGAIN;
	ns_loop_run_once(loop, deadline == NS_TIME_NEVER ? NS_TIME_NEVER : deadline - now);
	return 0;
}

/* Where every blocking call waits, one step at a time: the agent's event
 * loop. tests/fuzz/fuzz_dut_agent.c, which includes this file, points it
 * at a bounded wait on a fake clock instead. */
static int (*run_until)(ns_time_t deadline) = loop_until;

static long be_socket(int domain, int type, int proto)
{
	struct ns_socket *s;
	int r = ns_socket_create(stack, domain, type, proto, &s);
	if (r < 0)
		return r;
	int fd = fd_alloc(s);
	if (fd < 0) {
		ns_close(s);
		return fd;
	}
	fds[fd - FD_BASE].nonblock = !!(type & SOCK_NONBLOCK);
	return fd;
}

static long be_bind(int fd, const struct sockaddr *sa, socklen_t l)
{
	SOCK(fd);
	return ns_bind(s, sa, l);
}

static long be_listen(int fd, int backlog)
{
	SOCK(fd);
	return ns_listen(s, backlog);
}

static long be_accept(int fd, struct sockaddr_storage *ss, socklen_t *l)
{
	SOCK(fd);
	ns_time_t dl = deadline_of(s, SO_RCVTIMEO);
	for (;;) {
		struct ns_socket *c;
		int r = ns_accept(s, &c, (struct sockaddr *)ss, l);
		if (r >= 0) {
			int nfd = fd_alloc(c);
			if (nfd < 0)
				ns_close(c);
			return nfd;
		}
		if (r != -EAGAIN || nonblocking(fd) || run_until(dl) < 0)
			return r;
	}
}

static long be_connect(int fd, const struct sockaddr *sa, socklen_t l)
{
	SOCK(fd);
	int r = ns_connect(s, sa, l);
	if (r != -EINPROGRESS || nonblocking(fd))
		return r;
	ns_time_t dl = deadline_of(s, SO_SNDTIMEO);
	for (;;) {
		uint32_t ev = ns_socket_poll(s);
		if (ev & (POLLOUT | POLLERR | POLLHUP)) {
			int err = 0;
			socklen_t el = sizeof(err);
			ns_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
			return err ? -err : 0;
		}
		if (run_until(dl) < 0)
			return -EINPROGRESS;
	}
}

/*
 * SO_LINGER's wait belongs to the caller (ns/socket.h), so close() does it
 * here the way Linux's tcp_close() does: with a non-zero linger time and no
 * unread data, the FIN is queued and close() waits until it is acknowledged
 * (the state leaves FIN-WAIT-1, CLOSING and LAST-ACK) or the time is up.
 */
static void linger_wait(struct ns_socket *s)
{
	struct linger lg = { 0, 0 };
	socklen_t l = sizeof(lg);
	int unread = 0;
	if (ns_socket_type(s) != SOCK_STREAM || ns_getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &l) < 0 ||
	    !lg.l_onoff || lg.l_linger <= 0)
		return;
	if (ns_socket_ioctl(s, FIONREAD, &unread) == 0 && unread > 0)
		return; /* close resets at once */
	struct tcp_info ti;
	l = sizeof(ti);
	if (ns_getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0 ||
	    (ti.tcpi_state != TCP_ESTABLISHED && ti.tcpi_state != TCP_CLOSE_WAIT))
		return;
	ns_shutdown(s, SHUT_WR);
	ns_time_t dl = ns_clock_now() + (ns_time_t)lg.l_linger * NS_SEC;
	for (;;) {
		l = sizeof(ti);
		if (ns_getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0 ||
		    (ti.tcpi_state != TCP_FIN_WAIT1 && ti.tcpi_state != TCP_CLOSING &&
		     ti.tcpi_state != TCP_LAST_ACK))
			return;
		if (run_until(dl) < 0)
			return;
	}
}

static long be_close(int fd)
{
	SOCK(fd);
	linger_wait(s);
	fds[fd - FD_BASE].s = NULL;
	return ns_close(s);
}

static long be_shutdown(int fd, int how)
{
	SOCK(fd);
	return ns_shutdown(s, how);
}

static long be_getname(int fd, int peer, struct sockaddr_storage *ss, socklen_t *l)
{
	SOCK(fd);
	return peer ? ns_getpeername(s, (struct sockaddr *)ss, l)
		    : ns_getsockname(s, (struct sockaddr *)ss, l);
}

static long be_setsockopt(int fd, int level, int name, const void *v, socklen_t l)
{
	SOCK(fd);
	return ns_setsockopt(s, level, name, v, l);
}

static long be_getsockopt(int fd, int level, int name, void *v, socklen_t *l)
{
	SOCK(fd);
	return ns_getsockopt(s, level, name, v, l);
}

static long be_set_nonblocking(int fd, int on)
{
	SOCK(fd);
	(void)s;
	fds[fd - FD_BASE].nonblock = on;
	return 0;
}

static long be_poll(struct pollfd *p, int n, int timeout)
{
	ns_time_t dl = timeout < 0 ? NS_TIME_NEVER : ns_clock_now() + (ns_time_t)timeout * NS_MSEC;
	for (;;) {
		int ready = 0;
		for (int i = 0; i < n; i++) {
			struct ns_socket *s = sock_of(p[i].fd);
			p[i].revents = s ? (short)(ns_socket_poll(s) & ((uint32_t)p[i].events | POLLERR | POLLHUP))
				      : POLLNVAL;
			ready += p[i].revents != 0;
		}
		if (ready || run_until(dl) < 0)
			return ready;
	}
}

static long be_sendto(int fd, const void *b, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tl)
{
	SOCK(fd);
	ns_time_t dl = deadline_of(s, SO_SNDTIMEO);
	for (;;) {
		long r = ns_sendto(s, b, len, flags, to, tl);
		if (r != -EAGAIN || nonblocking(fd) || (flags & MSG_DONTWAIT) || run_until(dl) < 0)
			return r;
	}
}

static long be_recvfrom(int fd, void *b, size_t len, int flags, struct sockaddr_storage *from,
			socklen_t *fl)
{
	SOCK(fd);
	ns_time_t dl = deadline_of(s, SO_RCVTIMEO);
	for (;;) {
		long r = ns_recvfrom(s, b, len, flags, (struct sockaddr *)from, fl);
		if (r != -EAGAIN || nonblocking(fd) || (flags & MSG_DONTWAIT) || run_until(dl) < 0)
			return r;
	}
}

#else /* Linux */

/* A syscall's result as >= 0 or -errno (x is evaluated once). */
static long ret_errno(long r)
{
	return r < 0 ? -(long)errno : r;
}
#define R(x) ret_errno((long)(x))

static long be_socket(int domain, int type, int proto)
{
	return R(socket(domain, type, proto));
}

static long be_bind(int fd, const struct sockaddr *sa, socklen_t l)
{
	return R(bind(fd, sa, l));
}

static long be_listen(int fd, int backlog)
{
	return R(listen(fd, backlog));
}

static long be_accept(int fd, struct sockaddr_storage *ss, socklen_t *l)
{
	return R(accept(fd, (struct sockaddr *)ss, l));
}

static long be_connect(int fd, const struct sockaddr *sa, socklen_t l)
{
	return R(connect(fd, sa, l));
}

static long be_close(int fd)
{
	return R(close(fd));
}

static long be_shutdown(int fd, int how)
{
	return R(shutdown(fd, how));
}

static long be_getname(int fd, int peer, struct sockaddr_storage *ss, socklen_t *l)
{
	return R(peer ? getpeername(fd, (struct sockaddr *)ss, l)
		      : getsockname(fd, (struct sockaddr *)ss, l));
}

static long be_setsockopt(int fd, int level, int name, const void *v, socklen_t l)
{
	return R(setsockopt(fd, level, name, v, l));
}

static long be_getsockopt(int fd, int level, int name, void *v, socklen_t *l)
{
	return R(getsockopt(fd, level, name, v, l));
}

static long be_set_nonblocking(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	return R(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK));
}

static long be_poll(struct pollfd *p, int n, int timeout)
{
	return R(poll(p, (nfds_t)n, timeout));
}

static long be_sendto(int fd, const void *b, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tl)
{
	return R(sendto(fd, b, len, flags | MSG_NOSIGNAL, to, tl));
}

static long be_recvfrom(int fd, void *b, size_t len, int flags, struct sockaddr_storage *from,
			socklen_t *fl)
{
	return R(recvfrom(fd, b, len, flags, (struct sockaddr *)from, fl));
}

#endif

/* ---- requests ---- */

static int geti(json_t *req, const char *k)
{
	/* Saturated, not truncated: a number past int must not alias a
	 * small one ("fd": 4294967299 would act on fd 3; INT_MAX is no fd). */
	json_int_t v = json_integer_value(json_object_get(req, k));
	return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

static json_t *result(long r)
{
	return json_pack("{s:I,s:i}", "ret", (json_int_t)(r < 0 ? -1 : r), "errno", r < 0 ? (int)-r : 0);
}

static json_t *do_getsockopt(json_t *req)
{
	int fd = geti(req, "fd"), level = geti(req, "level"), name = geti(req, "name");
	const char *kind = json_string_value(json_object_get(req, "kind"));
	if (!kind)
		kind = "int";
	union {
		int i;
		struct linger lg;
		struct timeval tv;
		struct tcp_info ti;
		uint8_t raw[512];
	} v;
	memset(&v, 0, sizeof(v));
	socklen_t l = !strcmp(kind, "linger") ? sizeof(v.lg)
		      : !strcmp(kind, "timeval") ? sizeof(v.tv)
		      : !strcmp(kind, "tcp_info") ? sizeof(v.ti) : sizeof(v.i);
	long r = be_getsockopt(fd, level, name, &v, &l);
	json_t *j = result(r);
	if (r < 0)
		return j;
	if (!strcmp(kind, "linger")) {
		json_object_set_new(j, "linger", json_pack("{s:i,s:i}", "onoff", v.lg.l_onoff, "linger",
							   v.lg.l_linger));
	} else if (!strcmp(kind, "timeval")) {
		json_object_set_new(j, "timeval", json_pack("{s:I,s:I}", "sec", (json_int_t)v.tv.tv_sec,
							    "usec", (json_int_t)v.tv.tv_usec));
	} else if (!strcmp(kind, "tcp_info")) {
		json_t *t = json_object();
#define F(x) json_object_set_new(t, #x, json_integer((json_int_t)v.ti.tcpi_##x))
		F(state); F(ca_state); F(retransmits); F(probes); F(backoff); F(options);
		F(rto); F(ato); F(snd_mss); F(rcv_mss); F(unacked); F(sacked); F(lost);
		F(retrans); F(fackets); F(rtt); F(rttvar); F(snd_ssthresh); F(snd_cwnd);
		F(advmss); F(reordering); F(rcv_space); F(total_retrans);
#undef F
		json_object_set_new(j, "tcp_info", t);
	} else {
		json_object_set_new(j, "int", json_integer(v.i));
	}
	return j;
}

static json_t *do_setsockopt(json_t *req)
{
	int fd = geti(req, "fd"), level = geti(req, "level"), name = geti(req, "name");
	json_t *x;
	if ((x = json_object_get(req, "linger"))) {
		struct linger lg = { geti(x, "onoff"), geti(x, "linger") };
		return result(be_setsockopt(fd, level, name, &lg, sizeof(lg)));
	}
	if ((x = json_object_get(req, "timeval"))) {
		struct timeval tv = { (time_t)json_integer_value(json_object_get(x, "sec")),
				      (suseconds_t)json_integer_value(json_object_get(x, "usec")) };
		return result(be_setsockopt(fd, level, name, &tv, sizeof(tv)));
	}
	int v = geti(req, "int");
	return result(be_setsockopt(fd, level, name, &v, sizeof(v)));
}

static json_t *do_recv(json_t *req, int with_addr)
{
	size_t len = (size_t)json_integer_value(json_object_get(req, "len"));
	if (len > (1 << 20))
		len = 1 << 20;
	uint8_t *buf = malloc(len + 1);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	long r = buf ? be_recvfrom(geti(req, "fd"), buf, len, geti(req, "flags"), with_addr ? &ss : NULL,
				    with_addr ? &sl : NULL)
		     : -ENOMEM;
	json_t *j = result(r);
	if (r >= 0) {
		char *h = hex(buf, (size_t)r);
		json_object_set_new(j, "data", json_string(h ? h : ""));
		free(h);
		if (with_addr)
			json_object_set_new(j, "addr", addr_json(&ss));
	}
	free(buf);
	return j;
}

static json_t *do_send(json_t *req, int with_addr)
{
	size_t len;
	uint8_t *b = unhex(json_string_value(json_object_get(req, "data")), &len);
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	json_t *a = json_object_get(req, "addr");
	if (with_addr && a)
		sl = addr_parse(a, &ss);
	long r = b ? be_sendto(geti(req, "fd"), b, len, geti(req, "flags"),
			       sl ? (struct sockaddr *)&ss : NULL, sl)
		   : -ENOMEM;
	free(b);
	return result(r);
}

static json_t *handle(json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!op)
		return json_pack("{s:s}", "error", "request without op");
	if (!strcmp(op, "socket"))
		return result(be_socket(geti(req, "domain"), geti(req, "type"), geti(req, "proto")));
	if (!strcmp(op, "bind") || !strcmp(op, "connect")) {
		sl = addr_parse(json_object_get(req, "addr"), &ss);
		long r = op[0] == 'b' ? be_bind(geti(req, "fd"), (struct sockaddr *)&ss, sl)
				      : be_connect(geti(req, "fd"), (struct sockaddr *)&ss, sl);
		return result(r);
	}
	if (!strcmp(op, "listen"))
		return result(be_listen(geti(req, "fd"), geti(req, "backlog")));
	if (!strcmp(op, "accept") || !strcmp(op, "getsockname") || !strcmp(op, "getpeername")) {
		sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		long r = op[0] == 'a' ? be_accept(geti(req, "fd"), &ss, &sl)
					: be_getname(geti(req, "fd"), op[3] == 'p', &ss, &sl);
		json_t *j = result(r);
		if (r >= 0)
			json_object_set_new(j, "addr", addr_json(&ss));
		return j;
	}
	if (!strcmp(op, "close"))
		return result(be_close(geti(req, "fd")));
	if (!strcmp(op, "shutdown"))
		return result(be_shutdown(geti(req, "fd"), geti(req, "how")));
	if (!strcmp(op, "setsockopt"))
		return do_setsockopt(req);
	if (!strcmp(op, "getsockopt"))
		return do_getsockopt(req);
	if (!strcmp(op, "set_nonblocking"))
		return result(be_set_nonblocking(geti(req, "fd"), json_is_true(json_object_get(req, "on"))));
	if (!strcmp(op, "poll")) {
		json_t *arr = json_object_get(req, "fds");
		size_t n = json_array_size(arr);
		if (n > 64)
			n = 64;
		struct pollfd p[64];
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(arr, i);
			p[i].fd = geti(e, "fd");
			p[i].events = (short)geti(e, "events");
			p[i].revents = 0;
		}
		long r = be_poll(p, (int)n, geti(req, "timeout"));
		json_t *j = result(r);
		json_t *rev = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(rev, json_integer(r >= 0 ? p[i].revents : 0));
		json_object_set_new(j, "revents", rev);
		return j;
	}
	if (!strcmp(op, "send"))
		return do_send(req, 0);
	if (!strcmp(op, "sendto"))
		return do_send(req, 1);
	if (!strcmp(op, "recv"))
		return do_recv(req, 0);
	if (!strcmp(op, "recvfrom"))
		return do_recv(req, 1);
	return json_pack("{s:s,s:s}", "error", "unknown op", "op", op);
}

/* One request line to its reply (NULL only when out of memory). */
static json_t *serve_line(const char *line)
{
	json_error_t err;
	json_t *req = json_loads(line, 0, &err);
	if (!req) {
		json_t *j = json_pack("{s:s}", "error", err.text);
		if (j)
			return j;
		/* The text quotes the input near the error, and may hold part of
		 * a UTF-8 sequence (a cut "\u" escape, a long token truncated),
		 * which json_pack() refuses: the testbench would get no reply
		 * and wait for ever. Say it in ASCII. */
		for (char *c = err.text; *c; c++)
			if ((unsigned char)*c >= 0x80)
				*c = '?';
		return json_pack("{s:s}", "error", err.text);
	}
	json_t *j = handle(req);
	json_decref(req);
	return j;
}

/* ---- main ---- */

/* tests/fuzz/fuzz_dut_agent.c includes this file with DUT_AGENT_NO_MAIN
 * and calls serve_line() itself. */
#ifndef DUT_AGENT_NO_MAIN

static void reply(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return;
	fputs(s, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	free(s);
}

static void handle_line(const char *line)
{
	reply(serve_line(line));
}

#ifdef DUT_NETSTACK

static char inbuf[1 << 20];
static size_t inlen;
static int in_eof;

static void on_stdin(int fd, uint32_t events, void *arg)
{
	if (inlen == sizeof(inbuf)) {
		in_eof = 1;
		return;
	}
	ssize_t n = read(fd, inbuf + inlen, sizeof(inbuf) - inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		in_eof = 1;
		ns_loop_del_fd(loop, fd);
		return;
	}
	inlen += (size_t)n;
}

/* Serve every complete line in inbuf. Requests read while a call blocks
 * (on_stdin runs inside the loop) are served afterwards, in order. */
static void serve_lines(void)
{
	char *nl;
	while ((nl = memchr(inbuf, '\n', inlen))) {
		*nl = 0;
		size_t n = (size_t)(nl - inbuf) + 1;
		char *line = strdup(inbuf);
		memmove(inbuf, inbuf + n, inlen - n);
		inlen -= n;
		if (line)
			handle_line(line);
		free(line);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, 0, 'i' },
		{ "addr", required_argument, 0, 'a' },
		{ "set", required_argument, 0, 's' },
		{ 0, 0, 0, 0 },
	};
	const char *iface = NULL, *addrs[4], *sets[8];
	int naddrs = 0, nsets = 0, o, r;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'i')
			iface = optarg;
		else if (o == 'a' && naddrs < 4)
			addrs[naddrs++] = optarg;
		else if (o == 's' && nsets < 8)
			sets[nsets++] = optarg;
		else {
			fprintf(stderr, "usage: dut_agent_netstack --iface IF --addr CIDR [--addr CIDR] [--set KEY=VALUE]\n");
			return 2;
		}
	}
	if (!iface || !naddrs) {
		fprintf(stderr, "usage: dut_agent_netstack --iface IF --addr CIDR [--addr CIDR] [--set KEY=VALUE]\n");
		return 2;
	}
	ns_wheel_init(&wheel, ns_clock_now());
	struct ns_stack_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.wheel = &wheel;
	if (getrandom(cfg.secret, sizeof(cfg.secret), 0) != (ssize_t)sizeof(cfg.secret))
		return 1;
	if ((r = ns_stack_create(&cfg, &stack)) < 0) {
		fprintf(stderr, "dut_agent: stack: %s\n", strerror(-r));
		return 1;
	}
	for (int i = 0; i < nsets; i++) {
		char key[64];
		const char *eq = strchr(sets[i], '=');
		if (!eq || (size_t)(eq - sets[i]) >= sizeof(key)) {
			fprintf(stderr, "dut_agent: --set wants KEY=VALUE\n");
			return 2;
		}
		memcpy(key, sets[i], (size_t)(eq - sets[i]));
		key[eq - sets[i]] = 0;
		if ((r = ns_stack_set_option(stack, key, eq + 1)) < 0) {
			fprintf(stderr, "dut_agent: --set %s: %s\n", sets[i], strerror(-r));
			return 2;
		}
	}
	struct ns_link *link;
	struct ns_packet_link_opts po = { .vnet_hdr = 0, .batch = 64 };
	if ((r = ns_packet_link_open(iface, &po, &link)) < 0) {
		fprintf(stderr, "dut_agent: %s: %s\n", iface, strerror(-r));
		return 1;
	}
	int nic = ns_stack_add_nic(stack, link);
	if (nic < 0) {
		fprintf(stderr, "dut_agent: add nic: %s\n", strerror(-nic));
		return 1;
	}
	for (int i = 0; i < naddrs; i++) {
		struct ns_ip a;
		unsigned pl;
		if (ns_cidr_parse(addrs[i], &a, &pl) < 0 || (r = ns_stack_add_addr(stack, nic, &a, pl)) < 0)
			fprintf(stderr, "dut_agent: address %s not added (%s)\n", addrs[i],
				strerror(r < 0 ? -r : EINVAL));
	}
	if ((r = ns_loop_create(&wheel, &loop)) < 0)
		return 1;
	ns_loop_attach_stack(loop, stack);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	ns_loop_add_fd(loop, 0, EPOLLIN, on_stdin, NULL);
	reply(json_pack("{s:b,s:s}", "ready", 1, "kind", KIND));
	while (!in_eof || memchr(inbuf, '\n', inlen)) {
		serve_lines();
		if (in_eof)
			break;
		ns_loop_run_once(loop, NS_TIME_NEVER);
	}
	for (int i = 0; i < MAX_FDS; i++)
		if (fds[i].s)
			ns_close(fds[i].s);
	ns_loop_destroy(loop);
	ns_stack_destroy(stack);
	return 0;
}

#else

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	reply(json_pack("{s:b,s:s}", "ready", 1, "kind", KIND));
	while (getline(&line, &cap, stdin) > 0)
		handle_line(line);
	free(line);
	return 0;
}

#endif /* DUT_NETSTACK */
#endif /* DUT_AGENT_NO_MAIN */
