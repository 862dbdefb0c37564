/*
 * What the last getsockopt sweep of every option number (SOL_SOCKET 0-90,
 * TCP 0-50, UDP 0-110, IP 0-80, IPv6 0-90 on TCP, UDP, unix and raw
 * sockets) still found: a unix socket's SO_PEERCRED before it is
 * connected and while it listens, SO_RXQ_OVFL and SO_ZEROCOPY of unix
 * sockets, UDP-Lite's coverage options read on UDP sockets,
 * IPV6_RECVERR_RFC4884, IPV6_ADDR_PREFERENCES (RFC 5014's rules of
 * groups) and IPV6_ADDRFORM of a raw IPv6 socket.
 */
#include "diff.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef IPV6_RECVERR_RFC4884
#define IPV6_RECVERR_RFC4884 31
#endif
#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72
#endif

static void peercred(const char *step, int fd)
{
	struct ucred c;
	memset(&c, 0x55, sizeof(c));
	socklen_t l = sizeof(c);
	errno = 0;
	int r = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l);
	V(step, "ret=%d errno=%s len=%u pid %s uid %d gid %d", r, r < 0 ? errname(errno) : "0", (unsigned)l,
	  c.pid == 0 ? "0" : c.pid == getpid() ? "self" : "other", (int)c.uid, (int)c.gid);
}

static void unix_part(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	peercred("unix stream SO_PEERCRED unconnected", s);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "sweeplast%d", (int)getpid());
	socklen_t al = (socklen_t)(sizeof(sa_family_t) + 1 + strlen(a.sun_path + 1));
	TRY("unix bind", bind(s, (struct sockaddr *)&a, al));
	peercred("unix stream SO_PEERCRED bound", s);
	TRY("unix listen", listen(s, 1));
	peercred("unix stream SO_PEERCRED listening", s);
	close(s);
	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	peercred("unix seqpacket SO_PEERCRED unconnected", s);
	close(s);
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *const tn[] = { "stream", "dgram", "seqpacket" };
	char st[64];
	for (int i = 0; i < 3; i++) {
		s = socket(AF_UNIX, types[i], 0);
		snprintf(st, sizeof(st), "unix %s SO_RXQ_OVFL", tn[i]);
		get_int(st, s, SOL_SOCKET, SO_RXQ_OVFL);
		set_int(st, s, SOL_SOCKET, SO_RXQ_OVFL, 5);
		get_int(st, s, SOL_SOCKET, SO_RXQ_OVFL);
		snprintf(st, sizeof(st), "unix %s SO_ZEROCOPY", tn[i]);
		get_int(st, s, SOL_SOCKET, SO_ZEROCOPY);
		set_int(st, s, SOL_SOCKET, SO_ZEROCOPY, 1);
		set_int(st, s, SOL_SOCKET, SO_ZEROCOPY, 0);
		char b = 1;
		TRY(st, setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &b, 1));
		close(s);
	}
}

static void udp_part(void)
{
	for (int f = AF_INET; f <= AF_INET6; f += AF_INET6 - AF_INET) {
		int u = socket(f, SOCK_DGRAM, 0);
		const char *v = f == AF_INET ? "udp" : "udp6";
		char st[64];
		for (int o = 10; o <= 11; o++) {
			snprintf(st, sizeof(st), "%s UDP-Lite option %d", v, o);
			get_int(st, u, IPPROTO_UDP, o);
			set_int(st, u, IPPROTO_UDP, o, 8);
		}
		close(u);
	}
}

static void ip6_part(void)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	get_int("IPV6_RECVERR_RFC4884 default", u, IPPROTO_IPV6, IPV6_RECVERR_RFC4884);
	static const int rv[] = { 1, 2, -1, 0 };
	char st[64];
	for (size_t i = 0; i < sizeof(rv) / sizeof(rv[0]); i++) {
		snprintf(st, sizeof(st), "IPV6_RECVERR_RFC4884 %d", rv[i]);
		set_int(st, u, IPPROTO_IPV6, IPV6_RECVERR_RFC4884, rv[i]);
		get_int(st, u, IPPROTO_IPV6, IPV6_RECVERR_RFC4884);
	}
	get_int("IPV6_ADDR_PREFERENCES default", u, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES);
	static const int pv[] = { 0,     1,	    2,	   3,	  0x100, 0x102, 0x101, 4,	 0x400,
				  0x404, 8,	    0x800, 0x808, 0x10,  0x1000, 4,	   0,	 0x102 | 4,
				  1 | 4, 0x400, -1 };
	for (size_t i = 0; i < sizeof(pv) / sizeof(pv[0]); i++) {
		snprintf(st, sizeof(st), "IPV6_ADDR_PREFERENCES %#x", (unsigned)pv[i]);
		set_int(st, u, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, pv[i]);
		get_int(st, u, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES);
	}
	char b = 1;
	TRY("IPV6_ADDR_PREFERENCES one byte", setsockopt(u, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, &b, 1));
	close(u);
	int t = socket(AF_INET6, SOCK_STREAM, 0);
	get_int("tcp6 IPV6_ADDR_PREFERENCES", t, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES);
	set_int("tcp6 IPV6_ADDR_PREFERENCES TMP", t, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, 1);
	get_int("tcp6 IPV6_ADDR_PREFERENCES after", t, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES);
	close(t);
	int r = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (r < 0) {
		V("raw6 socket", "errno=%s", errname(errno));
		return;
	}
	get_int("raw6 IPV6_ADDRFORM", r, IPPROTO_IPV6, IPV6_ADDRFORM);
	close(r);
}

void case_sweep_last(void)
{
	unix_part();
	udp_part();
	ip6_part();
}
