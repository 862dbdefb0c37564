/*
 * Differential cases for unix sockets: the order of Linux's checks on
 * unconnected, shut down and out-of-band paths (found by the random
 * sequences of seqcases.c); a unix stream's out-of-band byte; SIGURG
 * for it and for TCP's urgent data.
 */
#include "diff.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t sigpipes;

static void count_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static socklen_t abstract(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "moat-diff-unix-%d-%s", (int)getpid(), name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

void case_unix_edges(void)
{
	char b[8];
	int one = 1;
	int st = socket(AF_UNIX, SOCK_STREAM, 0), sq = socket(AF_UNIX, SOCK_SEQPACKET, 0),
	    dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	TRY("stream unconnected shutdown", shutdown(st, SHUT_WR));
	TRY("stream unconnected send after shutdown", send(st, "x", 1, MSG_NOSIGNAL));
	TRY("stream unconnected recv", recv(st, b, sizeof(b), MSG_DONTWAIT));
	TRY("seqpacket unconnected recv", recv(sq, b, sizeof(b), MSG_DONTWAIT));
	TRY("seqpacket unconnected send", send(sq, "x", 1, MSG_NOSIGNAL));
	TRY("stream send oob zero bytes", send(st, "", 0, MSG_OOB | MSG_NOSIGNAL));
	TRY("dgram send oob", send(dg, "x", 1, MSG_OOB | MSG_NOSIGNAL));
	TRY("seqpacket unconnected send oob", send(sq, "x", 1, MSG_OOB | MSG_NOSIGNAL));
	TRY("dgram unconnected shutdown", shutdown(dg, SHUT_RDWR));
	TRY("dgram send after shutdown, no peer", send(dg, "x", 1, MSG_NOSIGNAL));
	struct sockaddr_un other;
	socklen_t ol = abstract(&other, "other");
	TRY("dgram sendto after shutdown, no such name", sendto(dg, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&other, ol));
	TRY("dgram sendto after shutdown, bad address", sendto(dg, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&other, 1));
	TRY("shutdown how 3", shutdown(dg, 3));
	TRY("SO_REUSEPORT on unix", setsockopt(dg, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	TRY("dgram recv oob", recv(dg, b, sizeof(b), MSG_OOB | MSG_DONTWAIT));
	TRY("dgram nonblocking recv after shutdown", recv(dg, b, sizeof(b), MSG_DONTWAIT));
	guard_begin();
	TRY("dgram blocking recv after shutdown", recv(dg, b, sizeof(b), 0));
	guard_end();
	close(st);
	close(sq);
	close(dg);

	struct sockaddr_un a;
	socklen_t al = abstract(&a, "seq");
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	bind(l, (struct sockaddr *)&a, al);
	listen(l, 2);
	TRY("seqpacket listener recv", recv(l, b, sizeof(b), MSG_DONTWAIT));
	int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	connect(c, (struct sockaddr *)&a, al);
	int s = accept(l, NULL, NULL);
	struct sockaddr_un nowhere;
	socklen_t nl = abstract(&nowhere, "nobody");
	TRY("seqpacket connected sendto an address", sendto(c, "ab", 2, MSG_NOSIGNAL, (struct sockaddr *)&nowhere, nl));
	TRY("seqpacket peer receives it", recv(s, b, sizeof(b), MSG_DONTWAIT));
	TRY("seqpacket connected send oob", send(c, "x", 1, MSG_OOB | MSG_NOSIGNAL));
	close(c);
	close(s);
	close(l);

	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	TRY("stream connected sendto an address", sendto(sv[0], "ab", 2, MSG_NOSIGNAL, (struct sockaddr *)&nowhere, nl));
	TRY("stream shutdown write", shutdown(sv[0], SHUT_WR));
	TRY("stream send after shutdown", send(sv[0], "x", 1, MSG_NOSIGNAL));
	TRY("stream peer reads end of file", recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);

	/* SIGPIPE: Linux raises it for a stream's send after shutdown only. */
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *names[] = { "stream", "dgram", "seqpacket" };
	struct sigaction sa = { .sa_handler = count_sigpipe }, old;
	sigaction(SIGPIPE, &sa, &old);
	for (int i = 0; i < 3; i++) {
		char w[64];
		socketpair(AF_UNIX, types[i], 0, sv);
		shutdown(sv[0], SHUT_WR);
		sigpipes = 0;
		snprintf(w, sizeof(w), "%s send after shutdown, signals", names[i]);
		errno = 0;
		long r = send(sv[0], "x", 1, 0);
		V(w, "ret=%ld errno=%s sigpipe=%d", r, errname(r < 0 ? errno : 0), (int)sigpipes);
		close(sv[0]);
		close(sv[1]);
	}
	sigaction(SIGPIPE, &old, NULL);
}

/* ---- a unix stream's out-of-band byte (Linux's CONFIG_AF_UNIX_OOB) ----
 * send(MSG_OOB) makes the last byte of the write the peer's out-of-band
 * byte; a read stops at it (the mark); recv(MSG_OOB) takes it once; a
 * read that starts at the mark passes it (Linux drops an unread one); a
 * newer one makes an older, unread one data. */

static int oa, ob;
static volatile sig_atomic_t sigurgs;

static void count_sigurg(int sig)
{
	(void)sig;
	sigurgs++;
}

static void oob_pair(void)
{
	if (oa > 0) {
		close(oa);
		close(ob);
	}
	int sv[2] = { -1, -1 };
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		V("socketpair", "%s", errname(errno));
	oa = sv[0];
	ob = sv[1];
}

static void oob_send(const char *step, const char *s, int fl)
{
	TRY(step, send(oa, s, strlen(s), fl | MSG_DONTWAIT));
}

static void oob_recv(const char *step, int n, int fl)
{
	char buf[64] = { 0 };
	errno = 0;
	long r = recv(ob, buf, (size_t)n, fl | MSG_DONTWAIT);
	V(step, "%ld %s '%.*s'", r, errname(r < 0 ? errno : 0), r > 0 ? (int)r : 0, buf);
}

/* SIOCATMARK, poll's events and (when inq) FIONREAD of the reader. Linux
 * 6.18 goes on counting in FIONREAD a byte it dropped at a mark, so the
 * steps after a drop show no FIONREAD (one that does is listed). */
static void oob_state(const char *step, int inq)
{
	int at = -1, q = -1;
	long r = ioctl(ob, SIOCATMARK, &at);
	struct pollfd p = { ob, POLLIN | POLLPRI | POLLRDBAND, 0 };
	poll(&p, 1, 0);
	if (inq) {
		ioctl(ob, FIONREAD, &q);
		V(step, "atmark %ld %d events %#x inq %d", r, at, p.revents, q);
	} else {
		V(step, "atmark %ld %d events %#x", r, at, p.revents);
	}
}

void case_unix_oob(void)
{
	oob_pair();
	oob_send("data then oob / send ab", "ab", 0);
	oob_send("data then oob / send cd oob", "cd", MSG_OOB);
	oob_state("data then oob / before", 1);
	oob_recv("data then oob / read stops at the mark", 10, 0);
	oob_state("data then oob / at the mark", 1);
	oob_recv("data then oob / read at the mark", 10, 0);
	oob_state("data then oob / after", 0);
	oob_state("data then oob / after, inq", 1);
	oob_recv("data then oob / oob dropped", 10, MSG_OOB);

	oob_pair();
	oob_send("oob first / send ab", "ab", 0);
	oob_send("oob first / send cd oob", "cd", MSG_OOB);
	oob_send("oob first / send ef", "ef", 0);
	oob_recv("oob first / oob", 10, MSG_OOB);
	oob_state("oob first / after oob", 1);
	oob_recv("oob first / oob again", 10, MSG_OOB);
	oob_recv("oob first / read", 10, 0);
	oob_state("oob first / at the read mark", 1);
	oob_recv("oob first / read past", 10, 0);
	oob_state("oob first / end", 1);

	oob_pair();
	oob_send("peek / send ab oob", "ab", MSG_OOB);
	oob_send("peek / send c", "c", 0);
	oob_recv("peek / oob peek", 10, MSG_OOB | MSG_PEEK);
	oob_recv("peek / oob peek again", 10, MSG_OOB | MSG_PEEK);
	oob_recv("peek / data peek", 10, MSG_PEEK);
	oob_recv("peek / read 1", 1, 0);
	oob_recv("peek / peek at the mark", 10, MSG_PEEK);
	oob_state("peek / mark kept", 1);
	oob_recv("peek / read at the mark", 10, 0);
	oob_state("peek / after", 0);

	oob_pair();
	oob_send("two / send x oob", "x", MSG_OOB);
	oob_send("two / send y oob", "y", MSG_OOB);
	oob_state("two / before", 1);
	oob_recv("two / read", 10, 0);
	oob_recv("two / oob", 10, MSG_OOB);
	oob_state("two / oob read, at its place", 1);
	oob_recv("two / read past", 10, 0);
	oob_state("two / end", 1);

	oob_pair();
	oob_send("replaced / send ab oob", "ab", MSG_OOB);
	oob_recv("replaced / oob", 10, MSG_OOB);
	oob_send("replaced / send cd oob", "cd", MSG_OOB);
	oob_state("replaced / before", 1);
	oob_recv("replaced / read", 10, 0);
	oob_state("replaced / at the mark", 1);

	oob_pair();
	int one = 1;
	setsockopt(ob, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	oob_send("inline / send ab", "ab", 0);
	oob_send("inline / send cd oob", "cd", MSG_OOB);
	oob_send("inline / send e", "e", 0);
	oob_state("inline / before", 1);
	oob_recv("inline / oob refused", 10, MSG_OOB);
	oob_recv("inline / read stops at the mark", 10, 0);
	oob_state("inline / at the mark", 1);
	oob_recv("inline / read from the mark", 10, 0);
	oob_state("inline / end", 1);

	oob_pair();
	oob_send("waitall / send ab", "ab", 0);
	oob_send("waitall / send cd oob", "cd", MSG_OOB);
	oob_send("waitall / send ef", "ef", 0);
	char buf[16] = { 0 };
	alarm(5); /* (a moat that waits past the mark is stopped) */
	errno = 0;
	long r = recv(ob, buf, 5, MSG_WAITALL);
	alarm(0);
	V("waitall / blocking read stops at the mark", "%ld %s '%.*s'", r, errname(r < 0 ? errno : 0),
	  r > 0 ? (int)r : 0, buf);
	struct iovec io = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1 };
	oob_send("waitall / send g oob", "g", MSG_OOB);
	r = recvmsg(ob, &mh, MSG_OOB | MSG_DONTWAIT);
	V("recvmsg oob flags", "%ld %#x", r, (unsigned)mh.msg_flags);

	oob_pair();
	oob_send("shut / send ab oob", "ab", MSG_OOB);
	shutdown(oa, SHUT_WR);
	oob_recv("shut / read", 10, 0);
	oob_recv("shut / read at the mark", 10, 0);
	oob_recv("shut / oob", 10, MSG_OOB);

	oob_pair();
	oob_send("errors / empty oob", "", MSG_OOB);
	oob_recv("errors / oob of none", 10, MSG_OOB);
	struct sigaction sa = { .sa_handler = count_sigurg }, old;
	sigaction(SIGURG, &sa, &old);
	sigurgs = 0;
	fcntl(ob, F_SETOWN, getpid());
	oob_send("sigurg / send q oob", "q", MSG_OOB);
	V("sigurg / signals after oob", "%d", (int)sigurgs);
	oob_send("sigurg / send r", "r", 0);
	V("sigurg / signals after data", "%d", (int)sigurgs);
	fcntl(ob, F_SETOWN, -getpgrp());
	oob_send("sigurg / send s oob to the group", "s", MSG_OOB);
	V("sigurg / signals after group oob", "%d", (int)sigurgs);
	sigaction(SIGURG, &old, NULL);
	close(oa);
	close(ob);
	oa = ob = 0;
}

/* TCP urgent data and SIGURG (Linux's tcp_check_urg): a new urgent
 * pointer signals the receiving socket's F_SETOWN owner, once per
 * pointer; a socket without an owner signals nobody. */
static void urg_wait(int fd)
{
	struct pollfd p = { fd, POLLPRI, 0 };
	poll(&p, 1, 5000);
}

void case_tcp_sigurg(void)
{
	int c, s, c2, s2;
	tcp_pair(&c, &s);
	tcp_pair(&c2, &s2);
	struct sigaction sa = { .sa_handler = count_sigurg }, old;
	sigaction(SIGURG, &sa, &old);
	sigurgs = 0;
	TRY("F_SETOWN", fcntl(s, F_SETOWN, getpid()));
	TRY("F_GETOWN is the pid", fcntl(s, F_GETOWN) == getpid());
	TRY("send urgent", send(c, "ab", 2, MSG_OOB));
	urg_wait(s);
	V("signals after urgent", "%d", (int)sigurgs);
	TRY("send data", send(c, "cd", 2, 0));
	char b[8];
	recv(s, b, 1, MSG_OOB);
	V("signals after data", "%d", (int)sigurgs);
	TRY("send urgent again", send(c, "e", 1, MSG_OOB));
	urg_wait(s);
	V("signals after the second", "%d", (int)sigurgs);
	TRY("unowned / send urgent", send(c2, "f", 1, MSG_OOB));
	urg_wait(s2);
	V("unowned / signals", "%d", (int)sigurgs);
	recv(s2, b, 1, MSG_OOB); /* (so that POLLPRI waits for the next) */
	TRY("F_SETOWN to the group", fcntl(s2, F_SETOWN, -getpgrp()));
	TRY("group / send urgent", send(c2, "g", 1, MSG_OOB));
	recv(s2, b, sizeof(b), MSG_DONTWAIT); /* (the data up to the mark) */
	urg_wait(s2);
	V("group / signals", "%d", (int)sigurgs);
	sigaction(SIGURG, &old, NULL);
	close(c);
	close(s);
	close(c2);
	close(s2);
}
