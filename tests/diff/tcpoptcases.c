/*
 * TCP socket options and the SOL_SOCKET ones TCP reacts to, at their
 * boundaries and in their effect on reads, writes and poll: SO_RCVLOWAT
 * (a blocking read waits for it, poll reports POLLIN from it on),
 * TCP_NOTSENT_LOWAT (writes and POLLOUT stop at it), TCP_INQ, TCP_CC_INFO,
 * recv(MSG_TRUNC | MSG_PEEK), and the buffer options' extreme values.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TCP_INQ
#define TCP_INQ 36
#endif

static int revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

static long proc_long(const char *path, int field)
{
	FILE *f = fopen(path, "r");
	long v[3] = { -1, -1, -1 };
	if (f) {
		if (fscanf(f, "%ld %ld %ld", &v[0], &v[1], &v[2]) < 1)
			v[0] = -1;
		fclose(f);
	}
	return v[field];
}

static void msleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits (up to 2 s) until fd holds at least n bytes to read and, when
 * fin, the peer's end: Linux has both when send() or shutdown() returns
 * on loopback, moat's loop a turn later. Prints nothing. */
static void wait_arrived(int fd, int n, int fin)
{
	for (int i = 0; i < 2000; i++) {
		int inq = 0;
		ioctl(fd, FIONREAD, &inq);
		if (inq >= n && (!fin || (revents(fd, POLLRDHUP) & POLLRDHUP)))
			return;
		msleep(1);
	}
}

static void rcvlowat_values(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	set_int("tcp SO_RCVLOWAT -1", t, SOL_SOCKET, SO_RCVLOWAT, -1);
	int v = 0;
	socklen_t l = sizeof(v);
	getsockopt(t, SOL_SOCKET, SO_RCVLOWAT, &v, &l);
	long rmem2 = proc_long("/proc/sys/net/ipv4/tcp_rmem", 2);
	V("tcp SO_RCVLOWAT -1 reads back", "%s", v == rmem2 / 2 ? "half tcp_rmem[2]" : "other");
	close(t);
	t = socket(AF_INET, SOCK_STREAM, 0);
	set_int("tcp SO_RCVLOWAT 100000", t, SOL_SOCKET, SO_RCVLOWAT, 100000);
	get_int("tcp SO_RCVBUF after SO_RCVLOWAT 100000", t, SOL_SOCKET, SO_RCVBUF);
	close(t);
	t = socket(AF_INET, SOCK_STREAM, 0);
	set_int("tcp SO_RCVBUF 4096", t, SOL_SOCKET, SO_RCVBUF, 4096);
	set_int("tcp SO_RCVLOWAT 100000 on a fixed buffer", t, SOL_SOCKET, SO_RCVLOWAT, 100000);
	get_int("tcp SO_RCVLOWAT capped by the fixed buffer", t, SOL_SOCKET, SO_RCVLOWAT);
	errno = 0;
	R("tcp SO_RCVLOWAT 2-byte value", setsockopt(t, SOL_SOCKET, SO_RCVLOWAT, "ab", 2));
	close(t);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	set_int("udp SO_RCVLOWAT -1", u, SOL_SOCKET, SO_RCVLOWAT, -1);
	get_int("udp SO_RCVLOWAT -1 reads back", u, SOL_SOCKET, SO_RCVLOWAT);
	close(u);
}

/* A blocking read waits for SO_RCVLOWAT bytes, or returns what came when
 * SO_RCVTIMEO runs out; poll says POLLIN only from the mark on. */
static void rcvlowat_effect(void)
{
	int c, s;
	tcp_pair(&c, &s);
	set_int("tcp SO_RCVLOWAT 10", s, SOL_SOCKET, SO_RCVLOWAT, 10);
	send(c, "abcd", 4, 0);
	wait_arrived(s, 4, 0);
	V("tcp poll with 4 of 10 bytes", "revents=%#x", revents(s, POLLIN));
	pid_t p = fork();
	if (p == 0) {
		msleep(200);
		send(c, "efghijklmnop", 12, 0);
		msleep(300);
		_exit(0);
	}
	char b[64];
	memset(b, 0, sizeof(b));
	guard_begin();
	ssize_t n = recv(s, b, sizeof(b), 0);
	guard_end();
	V("tcp blocking recv waits for SO_RCVLOWAT", "ret=%zd data='%s'", n, n > 0 ? b : "");
	waitpid(p, NULL, 0);
	send(c, "xyz", 3, 0);
	struct timeval tv = { 0, 200000 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(b, 0, sizeof(b));
	guard_begin();
	n = recv(s, b, sizeof(b), 0);
	guard_end();
	V("tcp recv short of SO_RCVLOWAT at the timeout", "ret=%zd data='%s'", n, n > 0 ? b : "");
	send(c, "0123456789", 10, 0);
	wait_arrived(s, 10, 0);
	V("tcp poll with 10 of 10 bytes", "revents=%#x", revents(s, POLLIN));
	memset(b, 0, sizeof(b));
	n = recv(s, b, 4, MSG_TRUNC | MSG_PEEK);
	V("tcp recv MSG_TRUNC|MSG_PEEK", "ret=%zd buffer='%s'", n, b);
	n = recv(s, b, sizeof(b), MSG_DONTWAIT);
	V("tcp recv after the peek", "ret=%zd", n);
	send(c, "ab", 2, 0);
	shutdown(c, SHUT_WR);
	wait_arrived(s, 2, 1);
	V("tcp poll with 2 of 10 bytes and the end", "revents=%#x", revents(s, POLLIN | POLLRDHUP));
	memset(b, 0, sizeof(b));
	guard_begin();
	n = recv(s, b, sizeof(b), 0);
	guard_end();
	V("tcp blocking recv short of SO_RCVLOWAT at the end", "ret=%zd data='%s'", n, n > 0 ? b : "");
	close(c);
	close(s);
}

/* Writes stop once the unsent bytes reach TCP_NOTSENT_LOWAT, and POLLOUT
 * comes back when the peer has read. */
static void notsent_lowat_effect(void)
{
	int c, s;
	tcp_pair(&c, &s);
	set_int("tcp TCP_NOTSENT_LOWAT -1", c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, -1);
	get_int("tcp TCP_NOTSENT_LOWAT -1 reads back", c, IPPROTO_TCP, TCP_NOTSENT_LOWAT);
	set_int("tcp TCP_NOTSENT_LOWAT 16384", c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384);
	fcntl(c, F_SETFL, O_NONBLOCK);
	static char buf[4096];
	long total = 0;
	/* Linux moves data to the peer inside send() on loopback; moat's loop
	 * does it a turn later, so a send can stop at the mark while bytes
	 * are still on their way. Writing again whenever POLLOUT returns
	 * within a second reaches the state Linux is in after its first
	 * EAGAIN: the peer's buffer full and the unsent bytes at the mark.
	 * The 100,000 bound keeps a stack that never stops from looping. */
	for (int i = 0; i < 100000; i++) {
		ssize_t n = send(c, buf, sizeof(buf), 0);
		if (n > 0) {
			total += n;
			continue;
		}
		struct pollfd p = { c, POLLOUT, 0 };
		if (n < 0 && errno == EAGAIN && poll(&p, 1, 1000) == 1)
			continue;
		break;
	}
	int sb = 0;
	socklen_t l = sizeof(sb);
	getsockopt(c, SOL_SOCKET, SO_SNDBUF, &sb, &l);
	V("tcp writes under TCP_NOTSENT_LOWAT", "%s", total < sb / 2 ? "stop well before the buffer" : "fill the buffer");
	V("tcp POLLOUT with unsent bytes at the mark", "revents=%#x", revents(c, POLLOUT));
	static char rb[1 << 16];
	for (int i = 0; i < 2000; i++) {
		if (recv(s, rb, sizeof(rb), MSG_DONTWAIT) <= 0 && (revents(c, POLLOUT) & POLLOUT))
			break;
		msleep(1);
	}
	V("tcp POLLOUT once the peer read", "revents=%#x", revents(c, POLLOUT));
	close(c);
	close(s);
}

static void inq_and_cc_info(void)
{
	int c, s;
	tcp_pair(&c, &s);
	errno = 0;
	R("tcp TCP_INQ 2-byte value", setsockopt(s, IPPROTO_TCP, TCP_INQ, "ab", 2));
	set_int("tcp TCP_INQ 1", s, IPPROTO_TCP, TCP_INQ, 1);
	send(c, "hello", 5, 0);
	shutdown(c, SHUT_WR);
	wait_arrived(s, 5, 1);
	char b[16], cbuf[64];
	for (int i = 0; i < 3; i++) {
		struct iovec iov = { b, 3 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(s, &mh, MSG_DONTWAIT);
		int inq = -1;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_TCP && cm->cmsg_type == TCP_INQ)
				memcpy(&inq, CMSG_DATA(cm), sizeof(inq));
		char step[64];
		snprintf(step, sizeof(step), "tcp TCP_INQ read %d", i + 1);
		V(step, "ret=%zd inq=%d flags=%#x", n, inq, mh.msg_flags);
	}
	struct iovec iov = { b, 3 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(s, &mh, MSG_DONTWAIT);
	V("tcp TCP_INQ without a control buffer", "ret=%zd flags=%#x", n, mh.msg_flags);
	char info[64];
	socklen_t il = 0;
	errno = 0;
	int r = getsockopt(c, IPPROTO_TCP, TCP_CC_INFO, info, &il);
	V("tcp TCP_CC_INFO length 0", "ret=%d errno=%s len=%u", r, errname(r < 0 ? errno : 0), (unsigned)il);
	errno = 0;
	R("tcp TCP_CONGESTION reno", setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	il = sizeof(info);
	errno = 0;
	r = getsockopt(c, IPPROTO_TCP, TCP_CC_INFO, info, &il);
	V("tcp TCP_CC_INFO of reno", "ret=%d errno=%s len=%u", r, errname(r < 0 ? errno : 0), (unsigned)il);
	errno = 0;
	R("tcp TCP_CONGESTION nosuch", setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "nosuch", 6));
	close(c);
	close(s);
}

static void buffer_extremes(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	long wmax = proc_long("/proc/sys/net/core/wmem_max", 0);
	set_int("SO_SNDBUF 0xffffffff", u, SOL_SOCKET, SO_SNDBUF, -1);
	int v = 0;
	socklen_t l = sizeof(v);
	getsockopt(u, SOL_SOCKET, SO_SNDBUF, &v, &l);
	V("SO_SNDBUF 0xffffffff gives", "%s", v == 2 * wmax ? "twice wmem_max" : "other");
	set_int("SO_RCVBUFFORCE 0xffffffff", u, SOL_SOCKET, SO_RCVBUFFORCE, -1);
	get_int("SO_RCVBUFFORCE 0xffffffff gives", u, SOL_SOCKET, SO_RCVBUF);
	set_int("SO_SNDBUFFORCE 1000000", u, SOL_SOCKET, SO_SNDBUFFORCE, 1000000);
	get_int("SO_SNDBUFFORCE 1000000 gives", u, SOL_SOCKET, SO_SNDBUF);
	errno = 0;
	R("SO_RCVBUFFORCE 2-byte value", setsockopt(u, SOL_SOCKET, SO_RCVBUFFORCE, "ab", 2));
	close(u);
}

static void force_without_cap(void)
{
	drop_cap(12); /* CAP_NET_ADMIN */
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	set_int("SO_RCVBUFFORCE without CAP_NET_ADMIN", u, SOL_SOCKET, SO_RCVBUFFORCE, 65536);
	set_int("SO_SNDBUFFORCE without CAP_NET_ADMIN", u, SOL_SOCKET, SO_SNDBUFFORCE, 65536);
	errno = 0;
	R("SO_SNDBUFFORCE without CAP_NET_ADMIN, 2-byte value",
	  setsockopt(u, SOL_SOCKET, SO_SNDBUFFORCE, "ab", 2));
	set_int("SO_RCVBUF without CAP_NET_ADMIN", u, SOL_SOCKET, SO_RCVBUF, 65536);
	close(u);
}

/* On the IPv6 loopback (MTU 65536) the MSS announced is 65476 (the
 * payload length does not count the header); the SYN-ACK offers 65464
 * bytes, the client's MSS is half of it. */
static void loopback6_mss(void)
{
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &al);
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	int s = accept(l, NULL, NULL);
	get_int("tcp6 loopback TCP_MAXSEG", c, IPPROTO_TCP, TCP_MAXSEG);
	close(c);
	close(s);
	close(l);
}

void case_tcp_options(void)
{
	loopback6_mss();
	rcvlowat_values();
	rcvlowat_effect();
	notsent_lowat_effect();
	inq_and_cc_info();
	buffer_extremes();
	ck_child(force_without_cap);
}
