/*
 * socket(7)'s last SOL_SOCKET options: SO_MEMINFO (the socket's memory
 * counters, of which the deterministic ones are compared: the buffer
 * sizes, whether data is queued, a UDP socket's drops), SO_PASSPIDFD
 * (SCM_PIDFD on unix messages, among the other control messages),
 * SO_RCVPRIORITY (SO_PRIORITY on received datagrams) and SO_PASSRIGHTS
 * (a unix socket that refuses descriptors), on TCP, UDP (IPv4 and IPv6),
 * unix stream, datagram and seqpacket and netlink sockets; and what they
 * meet on the way: SO_RCVMARK's message beside SO_PRIORITY's, control
 * messages cut by a short buffer, a unix stream read that stops between
 * two writers, autobind with SO_PASSPIDFD, SCM_PIDFD and SO_PEERPIDFD of
 * a process already reaped, what an accepted socket inherits.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SO_RCVPRIORITY
#define SO_RCVPRIORITY 82
#endif
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif
#define MEMINFO_VARS 9 /* (linux/sock_diag.h's SK_MEMINFO_VARS) */

static const struct {
	const char *name;
	int family, type, protocol;
} kinds[] = {
	{ "tcp", AF_INET, SOCK_STREAM, 0 },
	{ "udp", AF_INET, SOCK_DGRAM, 0 },
	{ "tcp6", AF_INET6, SOCK_STREAM, 0 },
	{ "udp6", AF_INET6, SOCK_DGRAM, 0 },
	{ "unix stream", AF_UNIX, SOCK_STREAM, 0 },
	{ "unix dgram", AF_UNIX, SOCK_DGRAM, 0 },
	{ "unix seqpacket", AF_UNIX, SOCK_SEQPACKET, 0 },
	{ "netlink", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- the flags: defaults, values, short values, on every family ---- */

static void flags(void)
{
	static const struct {
		const char *name;
		int opt;
	} opts[] = {
		{ "SO_PASSPIDFD", SO_PASSPIDFD },
		{ "SO_RCVPRIORITY", SO_RCVPRIORITY },
		{ "SO_PASSRIGHTS", SO_PASSRIGHTS },
	};
	char step[128];
	for (size_t k = 0; k < NKINDS; k++)
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			int s = socket(kinds[k].family, kinds[k].type, kinds[k].protocol);
			snprintf(step, sizeof(step), "%s %s default", kinds[k].name, opts[i].name);
			get_int(step, s, SOL_SOCKET, opts[i].opt);
			static const int vals[] = { 0, 7, -1 };
			for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
				snprintf(step, sizeof(step), "%s %s set %d", kinds[k].name, opts[i].name, vals[j]);
				set_int(step, s, SOL_SOCKET, opts[i].opt, vals[j]);
				snprintf(step, sizeof(step), "%s %s after %d", kinds[k].name, opts[i].name, vals[j]);
				get_int(step, s, SOL_SOCKET, opts[i].opt);
			}
			char one = 0;
			snprintf(step, sizeof(step), "%s %s one byte", kinds[k].name, opts[i].name);
			TRY(step, setsockopt(s, SOL_SOCKET, opts[i].opt, &one, 1));
			int v = -5;
			socklen_t l = 2;
			errno = 0;
			int r = getsockopt(s, SOL_SOCKET, opts[i].opt, &v, &l);
			snprintf(step, sizeof(step), "%s %s read in 2 bytes", kinds[k].name, opts[i].name);
			V(step, "%d %s len %u", r, errname(r ? errno : 0), (unsigned)l);
			close(s);
		}
}

/* ---- SO_MEMINFO ---- */

static int meminfo(int s, uint32_t *m)
{
	socklen_t l = MEMINFO_VARS * sizeof(uint32_t);
	memset(m, 0, l);
	return getsockopt(s, SOL_SOCKET, SO_MEMINFO, m, &l);
}

static void meminfo_lengths(void)
{
	char step[128];
	for (size_t k = 0; k < NKINDS; k++) {
		int s = socket(kinds[k].family, kinds[k].type, kinds[k].protocol);
		uint32_t m[16];
		static const socklen_t lens[] = { 0, 3, 4, 36, 40, 64 };
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			socklen_t l = lens[i];
			memset(m, 0xa5, sizeof(m));
			errno = 0;
			int r = getsockopt(s, SOL_SOCKET, SO_MEMINFO, m, &l);
			/* what was written: up to the first untouched word */
			int words = 0;
			while (words < 16 && m[words] != 0xa5a5a5a5u)
				words++;
			snprintf(step, sizeof(step), "%s SO_MEMINFO in %u bytes", kinds[k].name, (unsigned)lens[i]);
			V(step, "%d %s len %u, words written %d", r, errname(r ? errno : 0), (unsigned)l, words);
		}
		socklen_t l = 64;
		errno = 0;
		int r = setsockopt(s, SOL_SOCKET, SO_MEMINFO, m, l);
		snprintf(step, sizeof(step), "%s SO_MEMINFO set", kinds[k].name);
		V(step, "%d %s", r, errname(r ? errno : 0));
		l = 64;
		r = getsockopt(s, SOL_SOCKET, SO_MEMINFO, m, &l);
		snprintf(step, sizeof(step), "%s SO_MEMINFO fresh", kinds[k].name);
		V(step, "%d rmem %s rcvbuf %u sndbuf %u wmem_queued %u backlog %u drops %u", r, m[0] ? "some" : "none",
		  m[1], m[3], m[5], m[7], m[8]);
		int v = 5000;
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		v = 7000;
		setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		meminfo(s, m);
		snprintf(step, sizeof(step), "%s SO_MEMINFO after SO_RCVBUF and SO_SNDBUF", kinds[k].name);
		V(step, "rcvbuf %u sndbuf %u", m[1], m[3]);
		close(s);
	}
}

static void report_mem(const char *step, int rcv, int snd)
{
	uint32_t a[MEMINFO_VARS], b[MEMINFO_VARS];
	meminfo(rcv, a);
	meminfo(snd, b);
	V(step, "receiver rmem %s drops %u, sender wmem %s", a[0] ? "some" : "none", a[8], b[2] ? "some" : "none");
}

static void meminfo_queued(void)
{
	/* UDP: a datagram queued, then read */
	for (int six = 0; six < 2; six++) {
		const char *fam = six ? "udp6" : "udp";
		int r = socket(six ? AF_INET6 : AF_INET, SOCK_DGRAM, 0), w = socket(six ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_storage ss;
		socklen_t sl;
		if (six) {
			struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			memcpy(&ss, &a, sizeof(a));
			sl = sizeof(a);
		} else {
			struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			memcpy(&ss, &a, sizeof(a));
			sl = sizeof(a);
		}
		bind(r, (struct sockaddr *)&ss, sl);
		getsockname(r, (struct sockaddr *)&ss, &sl);
		char step[96], buf[1500];
		snprintf(step, sizeof(step), "%s empty", fam);
		report_mem(step, r, w);
		sendto(w, "hello", 5, 0, (struct sockaddr *)&ss, sl);
		struct pollfd pf = { r, POLLIN, 0 };
		poll(&pf, 1, 1000);
		snprintf(step, sizeof(step), "%s one queued", fam);
		report_mem(step, r, w);
		recv(r, buf, sizeof(buf), 0);
		snprintf(step, sizeof(step), "%s read", fam);
		report_mem(step, r, w);
		/* overflow: a small buffer, many datagrams; every one sent is
		 * read or counted as dropped */
		int v = 1;
		setsockopt(r, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		int sent = 0;
		memset(buf, 'x', sizeof(buf));
		for (int i = 0; i < 64; i++)
			if (sendto(w, buf, 1000, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) == 1000)
				sent++;
		poll(&pf, 1, 1000);
		uint32_t m[MEMINFO_VARS];
		meminfo(r, m);
		int got = 0;
		while (recv(r, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got++;
		snprintf(step, sizeof(step), "%s overflowed", fam);
		V(step, "sent %d, some read %d, some dropped %d, read and dropped make sent %d", sent, got > 0, m[8] > 0,
		  got + (int)m[8] == sent);
		close(r);
		close(w);
	}
	/* TCP: bytes unread */
	int c, s;
	tcp_pair(&c, &s);
	report_mem("tcp empty", s, c);
	write(c, "hello", 5);
	struct pollfd pf = { s, POLLIN, 0 };
	poll(&pf, 1, 1000);
	usleep(20000);
	report_mem("tcp five bytes queued", s, c);
	char buf[16];
	read(s, buf, sizeof(buf));
	report_mem("tcp read", s, c);
	close(c);
	close(s);
	/* netlink: a reply counts in the reader's memory until read */
	{
		int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
		struct {
			struct nlmsghdr h;
			struct rtgenmsg g;
		} req = { { sizeof(req), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 }, { AF_INET } };
		uint32_t m[MEMINFO_VARS];
		meminfo(nl, m);
		V("netlink before a request", "rmem %s drops %u", m[0] ? "some" : "none", m[8]);
		send(nl, &req, sizeof(req), 0);
		meminfo(nl, m);
		V("netlink a reply queued", "rmem %s drops %u", m[0] ? "some" : "none", m[8]);
		char big[65536];
		int done = 0;
		for (int i = 0; i < 16 && !done; i++) {
			ssize_t n = recv(nl, big, sizeof(big), MSG_DONTWAIT);
			if (n <= 0)
				break;
			for (struct nlmsghdr *h = (struct nlmsghdr *)big; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
				if (h->nlmsg_type == NLMSG_DONE)
					done = 1;
		}
		meminfo(nl, m);
		V("netlink all read", "done %d rmem %s drops %u", done, m[0] ? "some" : "none", m[8]);
		close(nl);
	}
	/* unix: Linux charges a message to its sender until it is read */
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *names[] = { "unix stream", "unix dgram", "unix seqpacket" };
	for (int i = 0; i < 3; i++) {
		int sp[2];
		socketpair(AF_UNIX, types[i], 0, sp);
		char step[96];
		snprintf(step, sizeof(step), "%s empty", names[i]);
		report_mem(step, sp[1], sp[0]);
		write(sp[0], "hello", 5);
		snprintf(step, sizeof(step), "%s one queued", names[i]);
		report_mem(step, sp[1], sp[0]);
		read(sp[1], buf, sizeof(buf));
		snprintf(step, sizeof(step), "%s read", names[i]);
		report_mem(step, sp[1], sp[0]);
		close(sp[0]);
		close(sp[1]);
	}
}

/* ---- SO_PASSPIDFD ---- */

/* the Pid: line of fd's /proc/self/fdinfo, -1 when it has none */
static long fdinfo_pid(int fd)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	long pid = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Pid:", 4))
			pid = strtol(line + 4, NULL, 10);
	fclose(f);
	return pid;
}

/* The control messages of one message: level, type, length of each;
 * for SCM_PIDFD, whether its fd is a pidfd of pid and close-on-exec;
 * descriptors received are closed. */
static void show_cmsgs(const char *step, struct msghdr *mh, long pid)
{
	char out[512];
	size_t o = 0;
	o += (size_t)snprintf(out + o, sizeof(out) - o, "flags %#x controllen %zu:", mh->msg_flags & ~MSG_EOR,
			      (size_t)mh->msg_controllen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c && o < sizeof(out) - 64; c = CMSG_NXTHDR(mh, c)) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, " [%d %d len %zu", c->cmsg_level, c->cmsg_type,
				      (size_t)c->cmsg_len);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_PIDFD && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
			long p = fdinfo_pid(fd);
			int fl = fcntl(fd, F_GETFD);
			o += (size_t)snprintf(out + o, sizeof(out) - o, " pid %s cloexec %d",
					      p == pid ? "same" : "different", fl >= 0 ? !!(fl & FD_CLOEXEC) : -1);
			close(fd);
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < n; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "]");
	}
	V(step, "%s", out);
}

static ssize_t send_with_fd(int s, int fd)
{
	char cb[CMSG_SPACE(sizeof(int))];
	memset(cb, 0, sizeof(cb));
	struct iovec iov = { "m", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(s, &mh, 0);
}

static void recv_show(const char *step, int s, size_t room, int flags, long pid)
{
	char cb[512], data[16];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = room ? cb : NULL, .msg_controllen = room };
	memset(cb, 0, sizeof(cb));
	errno = 0;
	ssize_t n = recvmsg(s, &mh, MSG_DONTWAIT | flags);
	if (n < 0) {
		R(step, n);
		return;
	}
	show_cmsgs(step, &mh, pid);
}

static void passpidfd(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *names[] = { "unix stream", "unix dgram", "unix seqpacket" };
	char step[128];
	long me = getpid();
	for (int i = 0; i < 3; i++) {
		int sp[2];
		socketpair(AF_UNIX, types[i], 0, sp);
		int one = 1;
		/* only the flag */
		setsockopt(sp[1], SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
		write(sp[0], "a", 1);
		snprintf(step, sizeof(step), "%s SCM_PIDFD", names[i]);
		recv_show(step, sp[1], 512, 0, me);
		write(sp[0], "a", 1);
		snprintf(step, sizeof(step), "%s SCM_PIDFD with MSG_CMSG_CLOEXEC", names[i]);
		recv_show(step, sp[1], 512, MSG_CMSG_CLOEXEC, me);
		/* everything on: the order */
		setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		setsockopt(sp[1], SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
		send_with_fd(sp[0], 0);
		snprintf(step, sizeof(step), "%s all on", names[i]);
		recv_show(step, sp[1], 512, 0, me);
		/* short control buffers */
		static const size_t rooms[] = { 0, 8, 16, 20, 24, 40, 56, 64, 72 };
		for (size_t r = 0; r < sizeof(rooms) / sizeof(rooms[0]); r++) {
			send_with_fd(sp[0], 0);
			snprintf(step, sizeof(step), "%s all on in %zu bytes", names[i], rooms[r]);
			recv_show(step, sp[1], rooms[r], 0, me);
		}
		one = 0;
		setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		setsockopt(sp[1], SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
		static const size_t rooms2[] = { 0, 16, 20, 24 };
		for (size_t r = 0; r < sizeof(rooms2) / sizeof(rooms2[0]); r++) {
			write(sp[0], "a", 1);
			snprintf(step, sizeof(step), "%s SCM_PIDFD in %zu bytes", names[i], rooms2[r]);
			recv_show(step, sp[1], rooms2[r], 0, me);
		}
		/* a peek gives one too */
		write(sp[0], "a", 1);
		snprintf(step, sizeof(step), "%s SCM_PIDFD peeked", names[i]);
		recv_show(step, sp[1], 512, MSG_PEEK, me);
		snprintf(step, sizeof(step), "%s SCM_PIDFD after the peek", names[i]);
		recv_show(step, sp[1], 512, 0, me);
		/* from a child: its pid, not ours */
		pid_t c = fork();
		if (c == 0) {
			write(sp[0], "c", 1);
			_exit(0);
		}
		struct pollfd pf = { sp[1], POLLIN, 0 };
		poll(&pf, 1, 2000);
		char data[4], cb[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
		ssize_t n = recvmsg(sp[1], &mh, MSG_DONTWAIT);
		struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
		int fd = -1;
		if (cm && cm->cmsg_type == SCM_PIDFD)
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		long p = fd >= 0 ? fdinfo_pid(fd) : -2;
		snprintf(step, sizeof(step), "%s SCM_PIDFD from a child", names[i]);
		V(step, "%zd the child's %d", n, p == c);
		if (fd >= 0)
			close(fd);
		waitpid(c, NULL, 0);
		close(sp[0]);
		close(sp[1]);
	}
	/* a sender gone (reaped) before the read; two writers on one stream */
	for (int i = 0; i < 3; i++) {
		int sp[2], one = 1;
		socketpair(AF_UNIX, types[i], 0, sp);
		setsockopt(sp[1], SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
		pid_t c = fork();
		if (c == 0) {
			write(sp[0], "c", 1);
			_exit(0);
		}
		waitpid(c, NULL, 0);
		char data[8], cb[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
		errno = 0;
		ssize_t n = recvmsg(sp[1], &mh, MSG_DONTWAIT);
		struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
		int fd = -1;
		if (cm && cm->cmsg_type == SCM_PIDFD)
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		snprintf(step, sizeof(step), "%s SCM_PIDFD of a reaped sender", names[i]);
		V(step, "%zd %s flags %#x, a pidfd %d, its Pid %ld", n, errname(n < 0 ? errno : 0), mh.msg_flags,
		  fd >= 0, fd >= 0 ? fdinfo_pid(fd) : -2);
		if (fd >= 0)
			close(fd);
		/* two writers, one read: Linux does not glue their bytes
		 * when the reader asks who wrote them */
		write(sp[0], "ab", 2);
		c = fork();
		if (c == 0) {
			write(sp[0], "cd", 2);
			_exit(0);
		}
		waitpid(c, NULL, 0);
		write(sp[0], "ef", 2);
		for (int r = 0; r < 4; r++) {
			mh.msg_control = cb;
			mh.msg_controllen = sizeof(cb);
			memset(data, 0, sizeof(data));
			n = recvmsg(sp[1], &mh, MSG_DONTWAIT);
			cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
			fd = -1;
			if (cm && cm->cmsg_type == SCM_PIDFD)
				memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
			long p = fd >= 0 ? fdinfo_pid(fd) : -2;
			snprintf(step, sizeof(step), "%s two writers read %d", names[i], r);
			V(step, "%zd '%s' %s", n, n > 0 ? data : "", p == me ? "ours" : p == -1 ? "reaped" : "other");
			if (fd >= 0)
				close(fd);
		}
		if (types[i] == SOCK_STREAM) {
			/* MSG_WAITALL too stops between two writers */
			write(sp[0], "ab", 2);
			c = fork();
			if (c == 0) {
				write(sp[0], "cd", 2);
				_exit(0);
			}
			waitpid(c, NULL, 0);
			memset(data, 0, sizeof(data));
			n = recv(sp[1], data, 4, MSG_WAITALL);
			V("unix stream two writers, MSG_WAITALL", "%zd '%s'", n, n > 0 ? data : "");
			memset(data, 0, sizeof(data));
			n = recv(sp[1], data, 2, MSG_WAITALL);
			V("unix stream two writers, MSG_WAITALL again", "%zd '%s'", n, n > 0 ? data : "");
		}
		close(sp[0]);
		close(sp[1]);
	}
	/* SO_PEERPIDFD of a peer reaped: a pidfd all the same */
	{
		int l = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		strcpy(a.sun_path + 1, "moat-sol-peer");
		socklen_t al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen("moat-sol-peer"));
		bind(l, (struct sockaddr *)&a, al);
		listen(l, 1);
		pid_t c = fork();
		if (c == 0) {
			int k = socket(AF_UNIX, SOCK_STREAM, 0);
			connect(k, (struct sockaddr *)&a, al);
			_exit(0);
		}
		int s = accept(l, NULL, NULL);
		waitpid(c, NULL, 0);
		int pf = -1;
		socklen_t pl = sizeof(pf);
		errno = 0;
		int r = getsockopt(s, SOL_SOCKET, SO_PEERPIDFD, &pf, &pl);
		V("SO_PEERPIDFD of a reaped peer", "%d %s a pidfd %d, its Pid %ld", r, errname(r ? errno : 0), pf >= 0,
		  pf >= 0 ? fdinfo_pid(pf) : -2);
		if (pf >= 0)
			close(pf);
		close(s);
		close(l);
	}
	/* Linux names (autobinds) a socket that asks for credentials or
	 * pidfds when it connects or sends */
	static const int opts[] = { SO_PASSCRED, SO_PASSPIDFD, 0 };
	static const char *optn[] = { "SO_PASSCRED", "SO_PASSPIDFD", "neither" };
	for (int i = 0; i < 3; i++) {
		int r = socket(AF_UNIX, SOCK_DGRAM, 0), w = socket(AF_UNIX, SOCK_DGRAM, 0), w2 = socket(AF_UNIX, SOCK_DGRAM, 0);
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		strcpy(a.sun_path + 1, "moat-sol-autobind");
		socklen_t al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen("moat-sol-autobind"));
		bind(r, (struct sockaddr *)&a, al);
		int one = 1;
		if (opts[i]) {
			setsockopt(w, SOL_SOCKET, opts[i], &one, sizeof(one));
			setsockopt(w2, SOL_SOCKET, opts[i], &one, sizeof(one));
		}
		connect(w, (struct sockaddr *)&a, al);
		sendto(w2, "x", 1, 0, (struct sockaddr *)&a, al);
		struct sockaddr_un n;
		socklen_t nl = sizeof(n), nl2 = sizeof(n);
		getsockname(w, (struct sockaddr *)&n, &nl);
		getsockname(w2, (struct sockaddr *)&n, &nl2);
		snprintf(step, sizeof(step), "unix dgram with %s, its name after connect and sendto", optn[i]);
		V(step, "%u %u", (unsigned)nl, (unsigned)nl2);
		close(r);
		close(w);
		close(w2);
	}
	/* an accepted socket takes its listener's flags */
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path + 1, "moat-sol-listener");
	socklen_t al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen("moat-sol-listener"));
	bind(l, (struct sockaddr *)&a, al);
	int one = 1, zero = 0;
	setsockopt(l, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
	setsockopt(l, SOL_SOCKET, SO_RCVPRIORITY, &one, sizeof(one));
	setsockopt(l, SOL_SOCKET, SO_PASSRIGHTS, &zero, sizeof(zero));
	listen(l, 4);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, al);
	int s = accept(l, NULL, NULL);
	get_int("accepted SO_PASSPIDFD", s, SOL_SOCKET, SO_PASSPIDFD);
	get_int("accepted SO_RCVPRIORITY", s, SOL_SOCKET, SO_RCVPRIORITY);
	get_int("accepted SO_PASSRIGHTS", s, SOL_SOCKET, SO_PASSRIGHTS);
	write(c, "a", 1);
	recv_show("accepted SCM_PIDFD", s, 512, 0, me);
	TRY("accepted refuses descriptors", send_with_fd(c, 0));
	close(s);
	close(c);
	close(l);
}

/* ---- SO_PASSRIGHTS ---- */

static void passrights(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *names[] = { "unix stream", "unix dgram", "unix seqpacket" };
	char step[128];
	for (int i = 0; i < 3; i++) {
		int sp[2];
		socketpair(AF_UNIX, types[i], 0, sp);
		int zero = 0, one = 1;
		setsockopt(sp[1], SOL_SOCKET, SO_PASSRIGHTS, &zero, sizeof(zero));
		snprintf(step, sizeof(step), "%s descriptors to a refusing socket", names[i]);
		TRY(step, send_with_fd(sp[0], 0));
		int nq = -1;
		ioctl(sp[1], FIONREAD, &nq);
		snprintf(step, sizeof(step), "%s queued after the refusal", names[i]);
		V(step, "%d", nq);
		snprintf(step, sizeof(step), "%s plain data to a refusing socket", names[i]);
		TRY(step, write(sp[0], "p", 1));
		snprintf(step, sizeof(step), "%s refusing reads", names[i]);
		recv_show(step, sp[1], 512, 0, 0);
		/* the refusing socket may send descriptors itself */
		snprintf(step, sizeof(step), "%s from a refusing socket", names[i]);
		TRY(step, send_with_fd(sp[1], 0));
		snprintf(step, sizeof(step), "%s its peer reads", names[i]);
		recv_show(step, sp[0], 512, 0, 0);
		/* an empty message with a descriptor */
		{
			char cb[CMSG_SPACE(sizeof(int))];
			memset(cb, 0, sizeof(cb));
			struct iovec iov = { "", 0 };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
					     .msg_controllen = sizeof(cb) };
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			int fd0 = 0;
			memcpy(CMSG_DATA(c), &fd0, sizeof(int));
			snprintf(step, sizeof(step), "%s an empty message with a descriptor to a refusing socket", names[i]);
			TRY(step, sendmsg(sp[0], &mh, MSG_DONTWAIT));
			if (types[i] == SOCK_STREAM) {
				iov.iov_base = "o";
				iov.iov_len = 1;
				snprintf(step, sizeof(step), "%s out of band with a descriptor to a refusing socket", names[i]);
				TRY(step, sendmsg(sp[0], &mh, MSG_OOB | MSG_DONTWAIT));
			}
			snprintf(step, sizeof(step), "%s after the empty message", names[i]);
			recv_show(step, sp[1], 512, 0, 0);
		}
		setsockopt(sp[1], SOL_SOCKET, SO_PASSRIGHTS, &one, sizeof(one));
		snprintf(step, sizeof(step), "%s descriptors after it is back on", names[i]);
		TRY(step, send_with_fd(sp[0], 0));
		recv_show(step, sp[1], 512, 0, 0);
		close(sp[0]);
		close(sp[1]);
	}
	/* an unconnected datagram socket sending to a refusing one by name */
	int r = socket(AF_UNIX, SOCK_DGRAM, 0), w = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path + 1, "moat-sol-dgram");
	socklen_t al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen("moat-sol-dgram"));
	bind(r, (struct sockaddr *)&a, al);
	int zero = 0;
	setsockopt(r, SOL_SOCKET, SO_PASSRIGHTS, &zero, sizeof(zero));
	char cb[CMSG_SPACE(sizeof(int))];
	memset(cb, 0, sizeof(cb));
	struct iovec iov = { "m", 1 };
	struct msghdr mh = { .msg_name = &a, .msg_namelen = al, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
			     .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	int fd0 = 0;
	memcpy(CMSG_DATA(c), &fd0, sizeof(int));
	TRY("unix dgram by name to a refusing socket", sendmsg(w, &mh, 0));
	/* credentials alone pass */
	struct ucred cr = { getpid(), getuid(), getgid() };
	char cb2[CMSG_SPACE(sizeof(cr))];
	memset(cb2, 0, sizeof(cb2));
	mh.msg_control = cb2;
	mh.msg_controllen = sizeof(cb2);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cr));
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	TRY("unix dgram credentials to a refusing socket", sendmsg(w, &mh, 0));
	close(r);
	close(w);
}

/* ---- SO_RCVPRIORITY ---- */

static void show_prio(const char *step, int s)
{
	char cb[256], data[64];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct pollfd pf = { s, POLLIN, 0 };
	poll(&pf, 1, 1000);
	errno = 0;
	ssize_t n = recvmsg(s, &mh, MSG_DONTWAIT);
	if (n < 0) {
		R(step, n);
		return;
	}
	char out[256];
	size_t o = (size_t)snprintf(out, sizeof(out), "%zd flags %#x:", n, mh.msg_flags);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c && o < sizeof(out) - 48; c = CMSG_NXTHDR(&mh, c)) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, " [%d %d len %zu", c->cmsg_level, c->cmsg_type,
				      (size_t)c->cmsg_len);
		if (c->cmsg_level == SOL_SOCKET && (c->cmsg_type == SO_PRIORITY || c->cmsg_type == SO_MARK)) {
			uint32_t p;
			memcpy(&p, CMSG_DATA(c), sizeof(p));
			o += (size_t)snprintf(out + o, sizeof(out) - o, " %u", p);
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "]");
	}
	V(step, "%s", out);
}

static void rcvpriority(void)
{
	char step[128];
	for (int six = 0; six < 2; six++) {
		const char *fam = six ? "udp6" : "udp";
		int d = six ? AF_INET6 : AF_INET;
		int r = socket(d, SOCK_DGRAM, 0), w = socket(d, SOCK_DGRAM, 0);
		struct sockaddr_storage ss;
		socklen_t sl;
		if (six) {
			struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			memcpy(&ss, &a, sizeof(a));
			sl = sizeof(a);
		} else {
			struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			memcpy(&ss, &a, sizeof(a));
			sl = sizeof(a);
		}
		bind(r, (struct sockaddr *)&ss, sl);
		getsockname(r, (struct sockaddr *)&ss, &sl);
		int one = 1;
		sendto(w, "x", 1, 0, (struct sockaddr *)&ss, sl);
		snprintf(step, sizeof(step), "%s flag off", fam);
		show_prio(step, r);
		setsockopt(r, SOL_SOCKET, SO_RCVPRIORITY, &one, sizeof(one));
		sendto(w, "x", 1, 0, (struct sockaddr *)&ss, sl);
		snprintf(step, sizeof(step), "%s default priority", fam);
		show_prio(step, r);
		int p = 5;
		setsockopt(w, SOL_SOCKET, SO_PRIORITY, &p, sizeof(p));
		sendto(w, "x", 1, 0, (struct sockaddr *)&ss, sl);
		snprintf(step, sizeof(step), "%s sender priority 5", fam);
		show_prio(step, r);
		/* the receiver's own priority is not what it reads */
		p = 3;
		setsockopt(r, SOL_SOCKET, SO_PRIORITY, &p, sizeof(p));
		sendto(w, "x", 1, 0, (struct sockaddr *)&ss, sl);
		snprintf(step, sizeof(step), "%s receiver priority 3", fam);
		show_prio(step, r);
		/* IP_TOS (IPV6_TCLASS) and the priority */
		int tos = IPTOS_LOWDELAY;
		if (six)
			TRY("udp6 IPV6_TCLASS lowdelay", setsockopt(w, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos)));
		else
			TRY("udp IP_TOS lowdelay", setsockopt(w, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
		snprintf(step, sizeof(step), "%s sender SO_PRIORITY after the TOS", fam);
		get_int(step, w, SOL_SOCKET, SO_PRIORITY);
		sendto(w, "x", 1, 0, (struct sockaddr *)&ss, sl);
		snprintf(step, sizeof(step), "%s after the TOS", fam);
		show_prio(step, r);
		/* a SO_PRIORITY control message on the send */
		char cb[CMSG_SPACE(sizeof(uint32_t))];
		memset(cb, 0, sizeof(cb));
		struct iovec iov = { "y", 1 };
		struct msghdr mh = { .msg_name = &ss, .msg_namelen = sl, .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cb, .msg_controllen = sizeof(cb) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SO_PRIORITY;
		c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
		uint32_t cp = 6;
		memcpy(CMSG_DATA(c), &cp, sizeof(cp));
		snprintf(step, sizeof(step), "%s send with SO_PRIORITY 6", fam);
		TRY(step, sendmsg(w, &mh, 0));
		snprintf(step, sizeof(step), "%s sent with SO_PRIORITY 6", fam);
		show_prio(step, r);
		/* SO_RCVMARK's message beside it: the sender's mark */
		int mark = 7;
		setsockopt(w, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
		/* with SO_RXQ_OVFL, SO_RCVMARK and IP_PKTINFO on: the order */
		setsockopt(r, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
		setsockopt(r, SOL_SOCKET, SO_RCVMARK, &one, sizeof(one));
		if (six)
			setsockopt(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		else
			setsockopt(r, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		sendto(w, "x", 1, 0, (struct sockaddr *)&ss, sl);
		snprintf(step, sizeof(step), "%s with the others", fam);
		show_prio(step, r);
		/* short control buffers: Linux cuts a message and stops */
		static const size_t rooms[] = { 0, 8, 16, 20, 24, 36, 40, 44, 48, 60 };
		for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
			sendto(w, "x", 1, 0, (struct sockaddr *)&ss, sl);
			struct pollfd pf = { r, POLLIN, 0 };
			poll(&pf, 1, 1000);
			snprintf(step, sizeof(step), "%s with the others in %zu bytes", fam, rooms[i]);
			recv_show(step, r, rooms[i], 0, 0);
		}
		close(r);
		close(w);
	}
	/* an accepted TCP socket: its listener's flag, priority and mark */
	{
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t al = sizeof(a);
		bind(l, (struct sockaddr *)&a, sizeof(a));
		int one = 1, p = 4, mk = 9;
		setsockopt(l, SOL_SOCKET, SO_RCVPRIORITY, &one, sizeof(one));
		setsockopt(l, SOL_SOCKET, SO_PRIORITY, &p, sizeof(p));
		setsockopt(l, SOL_SOCKET, SO_MARK, &mk, sizeof(mk));
		listen(l, 1);
		getsockname(l, (struct sockaddr *)&a, &al);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&a, sizeof(a));
		int s = accept(l, NULL, NULL);
		get_int("accepted tcp SO_RCVPRIORITY", s, SOL_SOCKET, SO_RCVPRIORITY);
		get_int("accepted tcp SO_PRIORITY", s, SOL_SOCKET, SO_PRIORITY);
		get_int("accepted tcp SO_MARK", s, SOL_SOCKET, SO_MARK);
		close(s);
		close(c);
		close(l);
	}
	/* TCP and unix carry none */
	int c, s;
	tcp_pair(&c, &s);
	int one = 1, p = 5;
	setsockopt(s, SOL_SOCKET, SO_RCVPRIORITY, &one, sizeof(one));
	setsockopt(c, SOL_SOCKET, SO_PRIORITY, &p, sizeof(p));
	write(c, "x", 1);
	show_prio("tcp", s);
	close(c);
	close(s);
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *names[] = { "unix stream", "unix dgram", "unix seqpacket" };
	for (int i = 0; i < 3; i++) {
		int sp[2];
		socketpair(AF_UNIX, types[i], 0, sp);
		setsockopt(sp[1], SOL_SOCKET, SO_RCVPRIORITY, &one, sizeof(one));
		setsockopt(sp[0], SOL_SOCKET, SO_PRIORITY, &p, sizeof(p));
		write(sp[0], "x", 1);
		show_prio(names[i], sp[1]);
		close(sp[0]);
		close(sp[1]);
	}
}

void case_socket_options_last(void)
{
	flags();
	meminfo_lengths();
	meminfo_queued();
	passpidfd();
	passrights();
	rcvpriority();
}
