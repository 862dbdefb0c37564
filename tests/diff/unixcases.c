/*
 * Differential cases for unix sockets: the order of Linux's checks on
 * unconnected, shut down and out-of-band paths (found by the random
 * sequences of seqcases.c).
 */
#include "diff.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
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
