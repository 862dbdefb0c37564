/*
 * socket_calls: the socket syscall layer at its edges (addresses out to
 * the application, privileged ports, socket timeouts on every call that
 * waits, recvmmsg's timeout, vmsplice's pipe buffers, SIOCGSTAMP) and
 * epoll_exclusive: EPOLLEXCLUSIVE's checks and its wake-one.
 */
#include "diff.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in lo4(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int udp_on_lo(uint16_t *port)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = lo4(0);
	socklen_t l = sizeof(a);
	bind(u, (struct sockaddr *)&a, sizeof(a));
	getsockname(u, (struct sockaddr *)&a, &l);
	*port = ntohs(a.sin_port);
	return u;
}

/* getsockname and getpeername with the pointers Linux checks. */
static void names(const char *kind, int fd)
{
	char step[96];
	struct sockaddr_storage a;
	socklen_t len;
	for (int peer = 0; peer < 2; peer++) {
		const char *call = peer ? "getpeername" : "getsockname";
		int (*fn)(int, struct sockaddr *, socklen_t *) = peer ? getpeername : getsockname;
		snprintf(step, sizeof(step), "%s %s NULL length", kind, call);
		errno = 0;
		R(step, fn(fd, (struct sockaddr *)&a, NULL));
		snprintf(step, sizeof(step), "%s %s bad length pointer", kind, call);
		errno = 0;
		R(step, fn(fd, (struct sockaddr *)&a, (socklen_t *)8));
		len = sizeof(a);
		snprintf(step, sizeof(step), "%s %s NULL address", kind, call);
		errno = 0;
		R(step, fn(fd, NULL, &len));
		len = 0;
		errno = 0;
		int r = fn(fd, NULL, &len);
		snprintf(step, sizeof(step), "%s %s NULL address length 0", kind, call);
		V(step, "ret=%d errno=%s len=%u", r, errname(r < 0 ? errno : 0), (unsigned)len);
	}
}

static void bind_low_ports_child(void)
{
	if (setuid(65534) != 0) {
		V("setuid", "failed");
		return;
	}
	static const struct {
		const char *name;
		int family, type;
		uint16_t port;
	} b[] = {
		{ "udp port 53", AF_INET, SOCK_DGRAM, 53 },
		{ "tcp port 1023", AF_INET, SOCK_STREAM, 1023 },
		{ "tcp port 1024", AF_INET, SOCK_STREAM, 1024 },
		{ "tcp6 port 80", AF_INET6, SOCK_STREAM, 80 },
		{ "udp6 port 1", AF_INET6, SOCK_DGRAM, 1 },
		{ "udp6 port 0", AF_INET6, SOCK_DGRAM, 0 },
	};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		int s = socket(b[i].family, b[i].type, 0);
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		socklen_t len;
		if (b[i].family == AF_INET) {
			struct sockaddr_in a = lo4(b[i].port);
			memcpy(&ss, &a, sizeof(a));
			len = sizeof(a);
		} else {
			struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(b[i].port),
						  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			memcpy(&ss, &a, sizeof(a));
			len = sizeof(a);
		}
		char step[64];
		snprintf(step, sizeof(step), "bind %s as uid 65534", b[i].name);
		errno = 0;
		R(step, bind(s, (struct sockaddr *)&ss, len));
		close(s);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A signal (SA_RESTART) for this thread after ms milliseconds. */
static timer_t signal_in(int ms)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	timer_t tm;
	timer_create(CLOCK_MONOTONIC, &sev, &tm);
	struct itimerspec its = { .it_value = { 0, ms * 1000000L } };
	timer_settime(tm, 0, &its, NULL);
	return tm;
}

static void timeouts(void)
{
	uint16_t port;
	int u = udp_on_lo(&port);
	char b[16];
	struct timeval neg = { -5, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &neg, sizeof(neg));
	errno = 0;
	guard_begin();
	R("read with negative SO_RCVTIMEO", read(u, b, sizeof(b)));
	guard_end();
	struct iovec iov = { b, sizeof(b) };
	struct timeval tenth = { 0, 100000 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tenth, sizeof(tenth));
	errno = 0;
	guard_begin();
	R("readv honours SO_RCVTIMEO", readv(u, &iov, 1));
	guard_end();
	struct timeval zero = { 0, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof(zero));
	struct timeval got;
	socklen_t gl = sizeof(got);
	getsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &got, &gl);
	V("SO_RCVTIMEO zero reads back", "%ld.%06ld", (long)got.tv_sec, (long)got.tv_usec);
	/* Linux: a wait with a timeout is not restarted after a handler
	 * with SA_RESTART (EINTR); one without is (the guard ends it). */
	struct timeval two = { 2, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &two, sizeof(two));
	timer_t tm = signal_in(50);
	errno = 0;
	R("recv with SO_RCVTIMEO, SA_RESTART signal", recv(u, b, sizeof(b), 0));
	timer_delete(tm);
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof(zero));
	tm = signal_in(50);
	errno = 0;
	guard_begin();
	R("recv without timeout, SA_RESTART signal", recv(u, b, sizeof(b), 0));
	guard_end();
	timer_delete(tm);
	struct timeval big = { 0, 999999 };
	errno = 0;
	R("SO_SNDTIMEO usec 999999", setsockopt(u, SOL_SOCKET, SO_SNDTIMEO, &big, sizeof(big)));
	struct timeval bad = { 1, -1 };
	errno = 0;
	R("SO_SNDTIMEO usec -1", setsockopt(u, SOL_SOCKET, SO_SNDTIMEO, &bad, sizeof(bad)));
	errno = 0;
	R("SO_SNDTIMEO short optlen", setsockopt(u, SOL_SOCKET, SO_SNDTIMEO, &big, sizeof(big) - 1));

	/* recvmmsg: waits for vlen messages; the timeout is looked at
	 * after each one. */
	struct sockaddr_in to = lo4(port);
	char bufs[3][8];
	struct iovec iv[3];
	struct mmsghdr mm[3];
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		iv[i].iov_base = bufs[i];
		iv[i].iov_len = sizeof(bufs[i]);
		mm[i].msg_hdr.msg_iov = &iv[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tenth, sizeof(tenth));
	sendto(u, "one", 3, 0, (struct sockaddr *)&to, sizeof(to));
	errno = 0;
	guard_begin();
	R("recvmmsg vlen 2, one message, SO_RCVTIMEO", recvmmsg(u, mm, 2, 0, NULL));
	guard_end();
	for (int i = 0; i < 3; i++)
		sendto(u, "m", 1, 0, (struct sockaddr *)&to, sizeof(to));
	struct timespec zts = { 0, 0 };
	errno = 0;
	guard_begin();
	R("recvmmsg zero timeout, three queued", recvmmsg(u, mm, 3, 0, &zts));
	guard_end();
	V("recvmmsg zero timeout left", "%ld.%09ld", (long)zts.tv_sec, zts.tv_nsec);
	struct timespec ts = { 10, 0 };
	errno = 0;
	guard_begin();
	R("recvmmsg MSG_WAITFORONE, two queued", recvmmsg(u, mm, 3, MSG_WAITFORONE, &ts));
	guard_end();
	V("recvmmsg timeout written back", "%s", ts.tv_sec < 10 || ts.tv_nsec < 1000000000L ? "less" : "same");
	struct timespec bad_ts = { 0, -1 };
	errno = 0;
	R("recvmmsg nsec -1 on a bad fd", recvmmsg(-1, mm, 1, 0, &bad_ts));
	errno = 0;
	R("recvmmsg vlen 0 on a bad fd", recvmmsg(-1, mm, 0, 0, NULL));
	errno = 0;
	R("recvmmsg vlen 0", recvmmsg(u, mm, 0, 0, NULL));
	close(u);

	/* A connect whose SYN is dropped (the listener's queue is full)
	 * and whose SO_SNDTIMEO runs out is still in progress (socket(7)). */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = lo4(0);
	socklen_t ll = sizeof(la);
	bind(l, (struct sockaddr *)&la, sizeof(la));
	listen(l, 0);
	getsockname(l, (struct sockaddr *)&la, &ll);
	int c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(c[i], SOL_SOCKET, SO_SNDTIMEO, &tenth, sizeof(tenth));
	}
	guard_begin();
	connect(c[0], (struct sockaddr *)&la, sizeof(la));
	connect(c[1], (struct sockaddr *)&la, sizeof(la));
	errno = 0;
	R("connect past a full queue, SO_SNDTIMEO", connect(c[2], (struct sockaddr *)&la, sizeof(la)));
	guard_end();
	for (int i = 0; i < 3; i++)
		close(c[i]);
	close(l);

	/* write(2) on a stream whose peer does not read: once the buffers
	 * are full, SO_SNDTIMEO ends it (a short count, then EAGAIN). */
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	setsockopt(sp[0], SOL_SOCKET, SO_SNDTIMEO, &tenth, sizeof(tenth));
	static char chunk[1 << 20];
	ssize_t n = 0;
	int writes = 0;
	errno = 0;
	guard_begin();
	while (writes < 256 && (n = write(sp[0], chunk, sizeof(chunk))) > 0)
		writes++;
	guard_end();
	V("write honours SO_SNDTIMEO", "ret=%zd errno=%s", n, errname(n < 0 ? errno : 0));
	close(sp[0]);
	close(sp[1]);
}

static void stamps(void)
{
	uint16_t port;
	int u = udp_on_lo(&port);
	struct timeval tv;
	struct timespec ts;
	errno = 0;
	R("SIOCGSTAMP bad pointer before any", ioctl(u, SIOCGSTAMP, (void *)8));
	struct sockaddr_in to = lo4(port);
	sendto(u, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
	struct timeval w = { 1, 0 };
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &w, sizeof(w));
	char b[4];
	recv(u, b, sizeof(b), MSG_PEEK);
	errno = 0;
	R("SIOCGSTAMP after a peek", ioctl(u, SIOCGSTAMP, &tv));
	errno = 0;
	R("SIOCGSTAMPNS", ioctl(u, SIOCGSTAMPNS, &ts));
	V("SIOCGSTAMP and SIOCGSTAMPNS agree", "%s",
	  tv.tv_sec == ts.tv_sec && tv.tv_usec == ts.tv_nsec / 1000 ? "yes" : "no");
	long long v[2];
	errno = 0;
	R("SIOCGSTAMP_NEW", ioctl(u, SIOCGSTAMP_NEW, v));
	V("SIOCGSTAMP_NEW is SIOCGSTAMP's", "%s", v[0] == tv.tv_sec && v[1] == tv.tv_usec ? "yes" : "no");
	errno = 0;
	R("SIOCGSTAMPNS_NEW", ioctl(u, SIOCGSTAMPNS_NEW, v));
	errno = 0;
	R("SIOCGSTAMP bad pointer", ioctl(u, SIOCGSTAMP, (void *)8));
	close(u);
	int c, s;
	tcp_pair(&c, &s);
	write(c, "abc", 3);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &w, sizeof(w));
	recv(s, b, sizeof(b), 0);
	errno = 0;
	R("tcp SIOCGSTAMP after a read", ioctl(s, SIOCGSTAMP, &tv));
	names("tcp", c);
	close(s);
	close(c);
}

static void vmsplices(void)
{
	static char page_buf[512 * 1024] __attribute__((aligned(4096)));
	int p[2];
	pipe(p);
	struct iovec v = { page_buf + 100, 200000 };
	errno = 0;
	guard_begin();
	R("vmsplice 100 bytes into a page", vmsplice(p[1], &v, 1, 0));
	guard_end();
	char b[10];
	read(p[0], b, sizeof(b));
	errno = 0;
	R("vmsplice nonblocking after a 10-byte read", vmsplice(p[1], &v, 1, SPLICE_F_NONBLOCK));
	close(p[0]);
	close(p[1]);
	pipe(p);
	write(p[1], "x", 1);
	errno = 0;
	guard_begin();
	R("vmsplice after a 1-byte write", vmsplice(p[1], &v, 1, 0));
	guard_end();
	close(p[0]);
	close(p[1]);
	pipe(p);
	struct iovec bad = { (void *)8, 100 };
	errno = 0;
	R("vmsplice bad iovec base", vmsplice(p[1], &bad, 1, 0));
	struct iovec half[2] = { { page_buf, 10 }, { (void *)8, 100 } };
	errno = 0;
	R("vmsplice second iovec bad", vmsplice(p[1], half, 2, 0));
	struct iovec none = { page_buf, 0 };
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	errno = 0;
	R("vmsplice nothing into a socket", vmsplice(u, &none, 1, 0));
	errno = 0;
	R("vmsplice into a socket", vmsplice(u, &v, 1, 0));
	close(u);
	close(p[0]);
	errno = 0;
	signal(SIGPIPE, SIG_IGN);
	R("vmsplice without a reader", vmsplice(p[1], &v, 1, 0));
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

void case_socket_calls(void)
{
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	names("unix pair", sp[0]);
	close(sp[0]);
	close(sp[1]);
	int un = socket(AF_UNIX, SOCK_DGRAM, 0);
	names("unix unconnected", un);
	close(un);
	uint16_t port;
	int u = udp_on_lo(&port);
	names("udp unconnected", u);
	struct sockaddr_in to = lo4(port);
	connect(u, (struct sockaddr *)&to, sizeof(to));
	names("udp connected", u);
	close(u);
	int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	names("netlink", nl);
	close(nl);
	ck_child(bind_low_ports_child);
	timeouts();
	stamps();
	vmsplices();
}

/* ---- EPOLLEXCLUSIVE ---- */

#define EX_WAITERS 4

static int ex_pipe[2];
static atomic_int ex_ready, ex_woken;
static pid_t ex_tid[EX_WAITERS];

static void *ex_waiter(void *arg)
{
	int i = (int)(intptr_t)arg;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	epoll_ctl(ep, EPOLL_CTL_ADD, ex_pipe[0], &ev);
	ex_tid[i] = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&ex_ready, 1);
	/* Nothing between here and the wait can sleep. */
	if (epoll_wait(ep, &ev, 1, 1500) == 1)
		atomic_fetch_add(&ex_woken, 1);
	close(ep);
	return NULL;
}

/* Sleeping (state S): with ex_ready counted, only in epoll_wait. */
static int sleeping(pid_t tid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

static void exclusive_wake_child(void)
{
	pipe(ex_pipe);
	pthread_t th[EX_WAITERS];
	for (int i = 0; i < EX_WAITERS; i++)
		pthread_create(&th[i], NULL, ex_waiter, (void *)(intptr_t)i);
	int all = 0;
	for (int tries = 0; tries < 500 && !all; tries++) {
		all = atomic_load(&ex_ready) == EX_WAITERS;
		for (int i = 0; all && i < EX_WAITERS; i++)
			all = sleeping(ex_tid[i]);
		if (!all)
			usleep(10000);
	}
	V("exclusive waiters all asleep", "%s", all ? "yes" : "no");
	write(ex_pipe[1], "x", 1);
	/* The first wake-up is awaited (up to 1.2 s, inside the waiters'
	 * 1.5 s timeout); the 100 ms after it give a wrongly woken second
	 * waiter time to show. */
	for (int tries = 0; tries < 1200 && atomic_load(&ex_woken) == 0; tries++)
		usleep(1000);
	usleep(100000);
	V("exclusive waiters woken by one write", "%d", atomic_load(&ex_woken));
	for (int i = 0; i < EX_WAITERS; i++)
		pthread_join(th[i], NULL);
	V("exclusive waiters woken in all", "%d", atomic_load(&ex_woken));
}

void case_epoll_exclusive(void)
{
	int ep = epoll_create1(0);
	int p[2];
	pipe(p);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE };
	errno = 0;
	R("EPOLLEXCLUSIVE with EPOLLRDHUP", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	ev.events = EPOLLIN | EPOLLET | EPOLLEXCLUSIVE;
	errno = 0;
	R("EPOLLEXCLUSIVE with EPOLLET", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	ev.events = EPOLLIN;
	errno = 0;
	R("modify an exclusive item without it", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	ev.events = EPOLLOUT | EPOLLEXCLUSIVE;
	errno = 0;
	R("modify with EPOLLEXCLUSIVE a missing item", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
	errno = 0;
	R("delete an exclusive item", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	close(p[0]);
	close(p[1]);
	close(ep);
	ck_child(exclusive_wake_child);
}
