/*
 * unix(7) sockets' share of socket(7): classic BPF filters
 * (SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER, SO_GET_FILTER) on
 * stream, datagram and seqpacket sockets (a datagram or message dropped
 * or cut by the receiver's filter, the sender never told; a stream never
 * filtered), and SO_BINDTODEVICE (kept after its checks, read back as a
 * name, the same as SO_BINDTOIFINDEX).
 */
#include "diff.h"

#include <linux/filter.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
static const char *const tname[] = { "stream", "dgram", "seqpacket" };

/* One send through a receiver's one-instruction filter (RET k). */
static void through(int ti, unsigned k, const char *what)
{
	char st[96];
	int sv[2];
	socketpair(AF_UNIX, types[ti], 0, sv);
	struct sock_filter code[] = { { BPF_RET | BPF_K, 0, 0, k } };
	struct sock_fprog p = { 1, code };
	snprintf(st, sizeof(st), "%s %s attach", tname[ti], what);
	TRY(st, setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)));
	snprintf(st, sizeof(st), "%s %s send", tname[ti], what);
	TRY(st, send(sv[0], "hello world", 11, MSG_DONTWAIT));
	char b[64] = "";
	errno = 0;
	long n = recv(sv[1], b, sizeof(b), MSG_DONTWAIT);
	snprintf(st, sizeof(st), "%s %s recv", tname[ti], what);
	V(st, "ret=%ld errno=%s '%.*s'", n, n < 0 ? errname(errno) : "0", n > 0 ? (int)n : 0, b);
	close(sv[0]);
	close(sv[1]);
}

static void filters(void)
{
	char st[96];
	for (int ti = 0; ti < 3; ti++) {
		through(ti, 0, "drop");
		through(ti, 5, "cut to 5");
		through(ti, 0xffff, "keep");
		int u = socket(AF_UNIX, types[ti], 0);
		struct sock_filter code[] = { { BPF_RET | BPF_K, 0, 0, 0xffff } };
		struct sock_fprog p = { 1, code };
		struct sock_filter out[4];
		socklen_t l = 0;
		snprintf(st, sizeof(st), "%s SO_GET_FILTER none", tname[ti]);
		TRY(st, getsockopt(u, SOL_SOCKET, SO_GET_FILTER, out, &l));
		V(st, "len %u", (unsigned)l);
		setsockopt(u, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p));
		l = 0;
		snprintf(st, sizeof(st), "%s SO_GET_FILTER count", tname[ti]);
		TRY(st, getsockopt(u, SOL_SOCKET, SO_GET_FILTER, out, &l));
		V(st, "len %u", (unsigned)l);
		l = 4;
		memset(out, 0, sizeof(out));
		snprintf(st, sizeof(st), "%s SO_GET_FILTER program", tname[ti]);
		TRY(st, getsockopt(u, SOL_SOCKET, SO_GET_FILTER, out, &l));
		V(st, "len %u code %#x k %#x", (unsigned)l, out[0].code, out[0].k);
		close(u);
	}
	/* a program that reads the data: the first byte 'h' passes */
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	struct sock_filter code[] = { { BPF_LD | BPF_B | BPF_ABS, 0, 0, 0 },
				      { BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 'h' },
				      { BPF_RET | BPF_K, 0, 0, 0xffff },
				      { BPF_RET | BPF_K, 0, 0, 0 } };
	struct sock_fprog p = { 4, code };
	TRY("byte filter attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)));
	TRY("byte filter send xyz", send(sv[0], "xyz", 3, 0));
	TRY("byte filter send hey", send(sv[0], "hey", 3, 0));
	char b[16] = "";
	TRY("byte filter recv", recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
	V("byte filter got", "'%.3s'", b);
	TRY("byte filter recv again", recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
	/* a load past the data ends the program with 0 */
	struct sock_filter far[] = { { BPF_LD | BPF_W | BPF_ABS, 0, 0, 100 }, { BPF_RET | BPF_A, 0, 0, 0 } };
	struct sock_fprog pf = { 2, far };
	TRY("far load attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pf, sizeof(pf)));
	TRY("far load send", send(sv[0], "abc", 3, 0));
	TRY("far load recv", recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
	/* the length, as the program's answer */
	struct sock_filter lenp[] = { { BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 }, { BPF_RET | BPF_A, 0, 0, 0 } };
	struct sock_fprog pl = { 2, lenp };
	TRY("len filter attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pl, sizeof(pl)));
	TRY("len filter send", send(sv[0], "abcdefgh", 8, 0));
	TRY("len filter recv", recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
	/* bad programs, detach, lock */
	struct sock_filter bad[] = { { BPF_LD | BPF_W | BPF_ABS, 0, 0, 0 } };
	struct sock_fprog pb = { 1, bad };
	TRY("no RET attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pb, sizeof(pb)));
	struct sock_fprog pn = { 1, NULL };
	TRY("NULL program attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pn, sizeof(pn)));
	struct sock_fprog pz = { 0, code };
	TRY("empty program attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pz, sizeof(pz)));
	struct sock_fprog pbad = { 1, (struct sock_filter *)8 };
	TRY("bad pointer attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pbad, sizeof(pbad)));
	TRY("short attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pl, 4));
	int zero = 0, one = 1;
	TRY("detach", setsockopt(sv[1], SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)));
	TRY("detach again", setsockopt(sv[1], SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)));
	TRY("detach short", setsockopt(sv[1], SOL_SOCKET, SO_DETACH_FILTER, NULL, 0));
	TRY("after detach send", send(sv[0], "abc", 3, 0));
	TRY("after detach recv", recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
	get_int("SO_LOCK_FILTER default", sv[1], SOL_SOCKET, SO_LOCK_FILTER);
	TRY("attach before lock", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pl, sizeof(pl)));
	set_int("SO_LOCK_FILTER 1", sv[1], SOL_SOCKET, SO_LOCK_FILTER, 1);
	get_int("SO_LOCK_FILTER after 1", sv[1], SOL_SOCKET, SO_LOCK_FILTER);
	TRY("locked attach", setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER, &pl, sizeof(pl)));
	TRY("locked detach", setsockopt(sv[1], SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)));
	set_int("SO_LOCK_FILTER 0", sv[1], SOL_SOCKET, SO_LOCK_FILTER, 0);
	set_int("SO_LOCK_FILTER 1 again", sv[1], SOL_SOCKET, SO_LOCK_FILTER, one);
	close(sv[0]);
	close(sv[1]);
}

static void bind_device(void)
{
	char st[96];
	for (int ti = 0; ti < 3; ti++) {
		int u = socket(AF_UNIX, types[ti], 0);
		char n[32];
		socklen_t l;
#define SET(what, v, len)                                                         \
	do {                                                                      \
		snprintf(st, sizeof(st), "%s SO_BINDTODEVICE %s", tname[ti], what); \
		TRY(st, setsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, v, len));      \
	} while (0)
#define GET(what)                                                                  \
	do {                                                                       \
		l = sizeof(n);                                                     \
		memset(n, 0, sizeof(n));                                           \
		snprintf(st, sizeof(st), "%s SO_BINDTODEVICE get %s", tname[ti], what); \
		errno = 0;                                                         \
		int r_ = getsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, n, &l);        \
		V(st, "ret=%d errno=%s len=%u '%s'", r_, r_ < 0 ? errname(errno) : "0", (unsigned)l, n); \
	} while (0)
		GET("default");
		SET("lo", "lo", 3);
		GET("after lo");
		SET("lo without NUL", "lo", 2);
		SET("no such", "nosuch0", 8);
		GET("after no such");
		snprintf(st, sizeof(st), "%s SO_BINDTOIFINDEX after lo", tname[ti]);
		get_int(st, u, SOL_SOCKET, SO_BINDTOIFINDEX);
		l = 2;
		snprintf(st, sizeof(st), "%s SO_BINDTODEVICE get short", tname[ti]);
		TRY(st, getsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, n, &l));
		SET("empty", "", 0);
		GET("after empty");
		snprintf(st, sizeof(st), "%s SO_BINDTOIFINDEX 1", tname[ti]);
		set_int(st, u, SOL_SOCKET, SO_BINDTOIFINDEX, 1);
		GET("after SO_BINDTOIFINDEX 1");
#undef SET
#undef GET
		close(u);
	}
}

void case_unix_filters(void)
{
	filters();
	bind_device();
}
