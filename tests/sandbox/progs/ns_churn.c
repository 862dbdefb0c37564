/*
 * Namespaces made and dropped many times over (tests/sandbox/namespaces.sh):
 * each round a child makes new user, network, UTS and IPC namespaces,
 * brings its loopback up, leaves TCP connections open with unread data
 * in both directions, a listener, a UDP socket and a System V queue, and
 * exits; the sentry must tear each namespace down with everything still
 * in it. Then a namespace outlives its maker through an open
 * /proc/PID/ns/net file and the parent enters it with setns(2).
 *
 *   ns_churn ROUNDS     prints "ok ROUNDS" and exits 0, or says what failed
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	int r = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (r == 0)
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return r;
}

static struct sockaddr_in lo_addr(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* One round, in the child: everything left open at exit. */
static int round_child(int round)
{
	int flags = CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC;
	if (round % 2)
		flags |= CLONE_NEWUSER; /* (then root of its own namespace) */
	if (unshare(flags) < 0)
		return 10;
	if (lo_up() < 0)
		return 11;
	if (sethostname("churn", 5) < 0)
		return 12;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo_addr(8080); /* the same port every round */
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 8) < 0)
		return 13;
	static char junk[256 * 1024];
	for (int i = 0; i < 3; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			return 14;
		int s = accept(l, NULL, NULL);
		if (s < 0)
			return 15;
		fcntl(c, F_SETFL, O_NONBLOCK);
		fcntl(s, F_SETFL, O_NONBLOCK);
		/* unread data both ways, up to full buffers */
		while (send(c, junk, sizeof(junk), 0) > 0)
			;
		send(s, junk, 1000, 0);
		if (i == 1)
			shutdown(c, SHUT_WR);
	}
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = lo_addr(5353);
	bind(u, (struct sockaddr *)&ua, sizeof(ua));
	sendto(u, "x", 1, 0, (struct sockaddr *)&ua, sizeof(ua));
	if (msgget(IPC_PRIVATE, 0600) < 0)
		return 16;
	return 0;
}

/* A namespace kept alive only by an open file, entered afterwards. */
static int held_namespace(void)
{
	int ready[2], go[2];
	if (pipe(ready) < 0 || pipe(go) < 0)
		return 20;
	pid_t p = fork();
	if (p == 0) {
		char c = 0;
		if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)
			_exit(1);
		write(ready[1], "r", 1);
		read(go[0], &c, 1);
		_exit(0);
	}
	char c;
	if (read(ready[0], &c, 1) != 1)
		return 21;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)p);
	int nsfd = open(path, O_RDONLY);
	int mine = open("/proc/self/ns/net", O_RDONLY);
	write(go[1], "g", 1);
	int st;
	waitpid(p, &st, 0);
	if (nsfd < 0 || mine < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return 22;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return 23;
	/* loopback still up, nothing bound: a listener and a connection */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo_addr(8081);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
		return 24;
	int cl = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cl, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 25;
	close(cl);
	close(l);
	if (setns(mine, CLONE_NEWNET) < 0)
		return 26;
	close(nsfd);
	close(mine);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 100;
	signal(SIGPIPE, SIG_IGN);
	for (int r = 0; r < rounds; r++) {
		pid_t p = fork();
		if (p < 0) {
			printf("fork failed at round %d: %s\n", r, strerror(errno));
			return 1;
		}
		if (p == 0)
			_exit(round_child(r));
		int st;
		if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("round %d failed: status %#x\n", r, st);
			return 1;
		}
	}
	int e = held_namespace();
	if (e) {
		printf("held namespace failed: step %d (%s)\n", e, strerror(errno));
		return 1;
	}
	printf("ok %d\n", rounds);
	return 0;
}
