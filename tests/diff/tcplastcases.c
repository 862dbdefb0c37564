/*
 * tcp(7)'s last options (Linux 4.x-6.18): TCP_THIN_LINEAR_TIMEOUTS,
 * TCP_THIN_DUPACK, TCP_SAVE_SYN and TCP_SAVED_SYN (the SYN's headers,
 * compared field by field but for the ones chosen at random: ports,
 * sequence numbers, IP ID, checksums, timestamps), TCP_ULP,
 * TCP_FASTOPEN_KEY, TCP_FASTOPEN_NO_COOKIE, TCP_TX_DELAY, TCP_IS_MPTCP,
 * TCP_RTO_MAX_MS, TCP_RTO_MIN_US, TCP_DELACK_MAX_US (rounded to 4 ms
 * jiffies), what an accepted socket inherits, and the sysctls
 * net.ipv4.tcp_rto_min_us, tcp_rto_max_ms and tcp_thin_linear_timeouts
 * (set back to their defaults at the end). Connections over 127.0.0.1
 * and ::1.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP 43
#endif
#ifndef TCP_RTO_MAX_MS
#define TCP_RTO_MAX_MS 44
#endif
#ifndef TCP_RTO_MIN_US
#define TCP_RTO_MIN_US 45
#endif
#ifndef TCP_DELACK_MAX_US
#define TCP_DELACK_MAX_US 46
#endif

static const struct {
	const char *name;
	int opt;
	int vals[8];
	int n;
} sweep[] = {
	{ "TCP_THIN_LINEAR_TIMEOUTS", TCP_THIN_LINEAR_TIMEOUTS, { -1, 0, 2, 1 }, 4 },
	{ "TCP_THIN_DUPACK", TCP_THIN_DUPACK, { -1, 2, 0, 1 }, 4 },
	{ "TCP_SAVE_SYN", TCP_SAVE_SYN, { -1, 3, 0, 1, 2 }, 5 },
	{ "TCP_FASTOPEN_NO_COOKIE", TCP_FASTOPEN_NO_COOKIE, { -1, 2, 0, 1 }, 4 },
	{ "TCP_TX_DELAY", TCP_TX_DELAY, { -1, 1 << 28, (1 << 28) - 1, 0, 1, 1000000 }, 6 },
	{ "TCP_IS_MPTCP", TCP_IS_MPTCP, { 0, 1 }, 2 },
	{ "TCP_RTO_MAX_MS", TCP_RTO_MAX_MS, { 999, 120001, -1, 1000, 1001, 7999, 120000, 5000 }, 8 },
	{ "TCP_RTO_MIN_US", TCP_RTO_MIN_US, { 1001, 4000, 200001, -1, 4001, 8001, 200000, 12000 }, 8 },
	{ "TCP_DELACK_MAX_US", TCP_DELACK_MAX_US, { 4000, 200004, -5, 7999, 8001, 120001, 200000, 16000 }, 8 },
};
#define NSWEEP (sizeof(sweep) / sizeof(sweep[0]))

static void option_sweep(int s)
{
	char st[96];
	for (size_t i = 0; i < NSWEEP; i++) {
		snprintf(st, sizeof(st), "%s default", sweep[i].name);
		get_int(st, s, IPPROTO_TCP, sweep[i].opt);
		for (int j = 0; j < sweep[i].n; j++) {
			snprintf(st, sizeof(st), "%s set %d", sweep[i].name, sweep[i].vals[j]);
			set_int(st, s, IPPROTO_TCP, sweep[i].opt, sweep[i].vals[j]);
			snprintf(st, sizeof(st), "%s after %d", sweep[i].name, sweep[i].vals[j]);
			get_int(st, s, IPPROTO_TCP, sweep[i].opt);
		}
		char b = 1;
		snprintf(st, sizeof(st), "%s one byte", sweep[i].name);
		TRY(st, setsockopt(s, IPPROTO_TCP, sweep[i].opt, &b, 1));
	}
}

static void ulp_and_key(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	TRY("TCP_ULP tls", setsockopt(s, IPPROTO_TCP, TCP_ULP, "tls", 3));
	TRY("TCP_ULP empty", setsockopt(s, IPPROTO_TCP, TCP_ULP, "", 0));
	TRY("TCP_ULP unknown", setsockopt(s, IPPROTO_TCP, TCP_ULP, "nosuch", 6));
	char name[40] = "";
	socklen_t l = sizeof(name);
	TRY("TCP_ULP get", getsockopt(s, IPPROTO_TCP, TCP_ULP, name, &l));
	V("TCP_ULP get length", "%u", (unsigned)l);
	unsigned char key[40], got[40];
	for (int i = 0; i < 40; i++)
		key[i] = (unsigned char)(i + 1);
	static const int lens[] = { 0, 15, 16, 17, 32, 33 };
	char st[64];
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		snprintf(st, sizeof(st), "TCP_FASTOPEN_KEY set %d bytes", lens[i]);
		TRY(st, setsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_KEY, key, (socklen_t)lens[i]));
		memset(got, 0, sizeof(got));
		l = sizeof(got);
		errno = 0;
		int r = getsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_KEY, got, &l);
		snprintf(st, sizeof(st), "TCP_FASTOPEN_KEY after %d bytes", lens[i]);
		V(st, "ret=%d len=%u first=%d last=%d", r, (unsigned)l, got[0], l ? got[l - 1] : -1);
	}
	l = 8;
	errno = 0;
	int r = getsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_KEY, got, &l);
	V("TCP_FASTOPEN_KEY short read", "ret=%d len=%u", r, (unsigned)l);
	close(s);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	TRY("TCP_FASTOPEN_KEY on udp", setsockopt(u, IPPROTO_TCP, TCP_FASTOPEN_KEY, key, 16));
	close(u);
}

/* A listener of family f on loopback with TCP_SAVE_SYN save, its address
 * in *a. */
static int listener(int f, struct sockaddr_storage *a, socklen_t *al, int save)
{
	int l = socket(f, SOCK_STREAM, 0);
	memset(a, 0, sizeof(*a));
	if (f == AF_INET) {
		struct sockaddr_in *i = (struct sockaddr_in *)a;
		i->sin_family = AF_INET;
		i->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*al = sizeof(*i);
	} else {
		struct sockaddr_in6 *i = (struct sockaddr_in6 *)a;
		i->sin6_family = AF_INET6;
		i->sin6_addr = in6addr_loopback;
		*al = sizeof(*i);
	}
	setsockopt(l, IPPROTO_TCP, TCP_SAVE_SYN, &save, sizeof(save));
	bind(l, (struct sockaddr *)a, *al);
	listen(l, 8);
	getsockname(l, (struct sockaddr *)a, al);
	return l;
}

/* The SYN's headers: the fixed fields, with the ones chosen at random
 * (IP ID, ports, sequence numbers, checksums, flow label, timestamps)
 * left out; the TCP options by kind, with MSS's value. */
static void show_syn(const char *step, const unsigned char *b, unsigned n, int link)
{
	char line[400];
	int o = 0;
	if (link) {
		if (n < 14) {
			V(step, "%u bytes", n);
			return;
		}
		o += snprintf(line + o, sizeof(line) - (size_t)o, "link");
		for (int i = 0; i < 14; i++)
			o += snprintf(line + o, sizeof(line) - (size_t)o, "%s%02x", i ? "" : " ", b[i]);
		b += 14;
		n -= 14;
	}
	unsigned ip;
	if (n >= 40 && (b[0] >> 4) == 6) {
		ip = 40;
		o += snprintf(line + o, sizeof(line) - (size_t)o, " v6 tc %02x%x plen %u nh %u hop %u", b[0] & 0xf,
			      b[1] >> 4, b[4] << 8 | b[5], b[6], b[7]);
	} else if (n >= 20) {
		ip = (b[0] & 0xfu) * 4;
		o += snprintf(line + o, sizeof(line) - (size_t)o,
			      " v4 %02x tos %02x len %u frag %02x%02x ttl %u proto %u src %u.%u.%u.%u dst %u.%u.%u.%u",
			      b[0], b[1], b[2] << 8 | b[3], b[6], b[7], b[8], b[9], b[12], b[13], b[14], b[15],
			      b[16], b[17], b[18], b[19]);
	} else {
		V(step, "%u bytes", n);
		return;
	}
	if (n < ip + 20) {
		V(step, "%s, %u bytes", line, n);
		return;
	}
	const unsigned char *t = b + ip;
	unsigned thl = (t[12] >> 4) * 4u;
	o += snprintf(line + o, sizeof(line) - (size_t)o, " ack %02x%02x%02x%02x doff %u flags %02x win %u urg %u opts",
		      t[8], t[9], t[10], t[11], thl, t[13], t[14] << 8 | t[15], t[18] << 8 | t[19]);
	for (unsigned i = 20; i < thl && i < n - ip && o < (int)sizeof(line) - 20;) {
		unsigned k = t[i];
		if (k == 0 || k == 1) {
			o += snprintf(line + o, sizeof(line) - (size_t)o, " %u", k);
			i++;
			continue;
		}
		unsigned len = i + 1 < thl ? t[i + 1] : 0;
		o += snprintf(line + o, sizeof(line) - (size_t)o, " %u/%u", k, len);
		if (k == 2 && len == 4)
			o += snprintf(line + o, sizeof(line) - (size_t)o, "=%u", t[i + 2] << 8 | t[i + 3]);
		/* (not the window scale's value: Linux's follows net.core.
		 * rmem_max, which earlier cases set in the shared namespace) */
		if (len < 2)
			break;
		i += len;
	}
	V(step, "%u bytes:%s", n + (link ? 14 : 0), line);
}

static void saved_syn(int f, int save)
{
	char st[96];
	const char *v = f == AF_INET ? "v4" : "v6";
	struct sockaddr_storage a;
	socklen_t al;
	int l = listener(f, &a, &al, save);
	int c = socket(f, SOCK_STREAM, 0);
	snprintf(st, sizeof(st), "%s save %d connect", v, save);
	TRY(st, connect(c, (struct sockaddr *)&a, al));
	int s = accept(l, NULL, NULL);
	unsigned char b[512];
	socklen_t n = 4;
	errno = 0;
	int r = getsockopt(s, IPPROTO_TCP, TCP_SAVED_SYN, b, &n);
	snprintf(st, sizeof(st), "%s save %d short read", v, save);
	V(st, "ret=%d errno=%s len=%u", r, r < 0 ? errname(errno) : "0", (unsigned)n);
	n = sizeof(b);
	errno = 0;
	r = getsockopt(s, IPPROTO_TCP, TCP_SAVED_SYN, b, &n);
	snprintf(st, sizeof(st), "%s save %d read ret", v, save);
	R(st, r);
	snprintf(st, sizeof(st), "%s save %d syn", v, save);
	if (r == 0)
		show_syn(st, b, n, save == 2);
	n = sizeof(b);
	r = getsockopt(s, IPPROTO_TCP, TCP_SAVED_SYN, b, &n);
	snprintf(st, sizeof(st), "%s save %d read again", v, save);
	V(st, "ret=%d len=%u", r, (unsigned)n);
	n = sizeof(b);
	r = getsockopt(c, IPPROTO_TCP, TCP_SAVED_SYN, b, &n);
	snprintf(st, sizeof(st), "%s save %d client", v, save);
	V(st, "ret=%d len=%u", r, (unsigned)n);
	n = sizeof(b);
	r = getsockopt(l, IPPROTO_TCP, TCP_SAVED_SYN, b, &n);
	snprintf(st, sizeof(st), "%s save %d listener", v, save);
	V(st, "ret=%d len=%u", r, (unsigned)n);
	snprintf(st, sizeof(st), "%s save %d child TCP_SAVE_SYN", v, save);
	get_int(st, s, IPPROTO_TCP, TCP_SAVE_SYN);
	close(s);
	close(c);
	close(l);
}

/* What an accepted socket takes from its listener. */
static void inherited(void)
{
	struct sockaddr_storage a;
	socklen_t al;
	int l = listener(AF_INET, &a, &al, 0);
	for (size_t i = 0; i < NSWEEP; i++)
		setsockopt(l, IPPROTO_TCP, sweep[i].opt, &sweep[i].vals[sweep[i].n - 1], sizeof(int));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, al);
	int s = accept(l, NULL, NULL);
	char st[96];
	for (size_t i = 0; i < NSWEEP; i++) {
		snprintf(st, sizeof(st), "accepted %s", sweep[i].name);
		get_int(st, s, IPPROTO_TCP, sweep[i].opt);
		snprintf(st, sizeof(st), "client %s", sweep[i].name);
		get_int(st, c, IPPROTO_TCP, sweep[i].opt);
	}
	set_int("established TCP_FASTOPEN_NO_COOKIE", s, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, 0);
	set_int("established TCP_SAVE_SYN", s, IPPROTO_TCP, TCP_SAVE_SYN, 1);
	set_int("established TCP_RTO_MAX_MS", s, IPPROTO_TCP, TCP_RTO_MAX_MS, 3000);
	get_int("established TCP_RTO_MAX_MS after", s, IPPROTO_TCP, TCP_RTO_MAX_MS);
	unsigned char key[16] = { 1 };
	TRY("established TCP_FASTOPEN_KEY", setsockopt(c, IPPROTO_TCP, TCP_FASTOPEN_KEY, key, 16));
	socklen_t kl = sizeof(key);
	TRY("accepted TCP_FASTOPEN_KEY get", getsockopt(s, IPPROTO_TCP, TCP_FASTOPEN_KEY, key, &kl));
	V("accepted TCP_FASTOPEN_KEY length", "%u", (unsigned)kl);
	/* data still flows both ways */
	char buf[8] = "";
	TRY("write", write(c, "ping", 4));
	TRY("read", read(s, buf, sizeof(buf)));
	close(s);
	close(c);
	close(l);
}

static void show_sysctl(const char *step, const char *key)
{
	char path[128], buf[64] = "";
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", key);
	int fd = open(path, O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	V(step, "%s", n > 0 ? strtok(buf, "\n") : "unreadable");
}

static void sysctls(void)
{
	static const struct {
		const char *key, *vals[6], *dflt;
	} k[] = {
		{ "tcp_rto_min_us", { "0", "-1", "1", "7999", "10000" }, "200000" },
		{ "tcp_rto_max_ms", { "999", "120001", "0", "1000", "5001" }, "120000" },
		{ "tcp_thin_linear_timeouts", { "-1", "256", "2", "255", "1" }, "0" },
	};
	char st[96], path[128];
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		snprintf(st, sizeof(st), "%s default", k[i].key);
		show_sysctl(st, k[i].key);
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", k[i].key);
		for (int j = 0; j < 5; j++) {
			snprintf(st, sizeof(st), "%s write %s", k[i].key, k[i].vals[j]);
			write_file(st, path, k[i].vals[j]);
			snprintf(st, sizeof(st), "%s after %s", k[i].key, k[i].vals[j]);
			show_sysctl(st, k[i].key);
		}
	}
	/* a new socket starts from them */
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	get_int("new socket TCP_RTO_MIN_US", s, IPPROTO_TCP, TCP_RTO_MIN_US);
	get_int("new socket TCP_RTO_MAX_MS", s, IPPROTO_TCP, TCP_RTO_MAX_MS);
	get_int("new socket TCP_THIN_LINEAR_TIMEOUTS", s, IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS);
	close(s);
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", k[i].key);
		snprintf(st, sizeof(st), "%s back", k[i].key);
		write_file(st, path, k[i].dflt);
	}
}

/* linux/tcp.h's struct tcp_zerocopy_receive (glibc's has three fields) */
struct zc {
	uint64_t address;
	uint32_t length, recv_skip_hint, inq;
	int32_t err;
	uint64_t copybuf_address;
	int32_t copybuf_len;
	uint32_t flags;
	uint64_t msg_control, msg_controllen;
	uint32_t msg_flags, reserved;
};

static void zc_call(const char *step, int s, struct zc *z, socklen_t l)
{
	errno = 0;
	int r = getsockopt(s, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, z, &l);
	V(step, "ret=%d errno=%s len=%u length=%u skip=%u inq=%u err=%d copied=%d msg_flags=%u", r,
	  r < 0 ? errname(errno) : "0", (unsigned)l, z->length, z->recv_skip_hint, z->inq, z->err, z->copybuf_len,
	  z->msg_flags);
}

/* TCP_ZEROCOPY_RECEIVE without a socket mapping: the copy buffer, the
 * skip hint, the checks of the request, the end of the stream. */
static void zerocopy(void)
{
	int c, s;
	tcp_pair(&c, &s);
	struct zc z;
	static char cb[10000], big[8192];
	struct pollfd p = { s, POLLIN, 0 };
#define ZC(step, len, ...)                                  \
	do {                                                \
		memset(&z, 0, sizeof(z));                   \
		__VA_ARGS__;                                \
		zc_call(step, s, &z, len);                  \
	} while (0)
	TRY("zc write", write(c, "hello", 5));
	poll(&p, 1, 2000);
	ZC("zc copy", sizeof(z), z.copybuf_address = (uintptr_t)cb; z.copybuf_len = 100);
	V("zc copied bytes", "'%.5s'", cb);
	ZC("zc empty", sizeof(z));
	TRY("zc write 3", write(c, "abc", 3));
	poll(&p, 1, 2000);
	ZC("zc copy buffer too small", sizeof(z), z.copybuf_address = (uintptr_t)cb; z.copybuf_len = 2);
	ZC("zc copy to a bad address", sizeof(z), z.copybuf_address = 8; z.copybuf_len = 100);
	ZC("zc length 20", 20);
	ZC("zc length 16", 16);
	ZC("zc length 12", 12);
	ZC("zc length 8", 8);
	ZC("zc TCP_CMSG_TS", sizeof(z), z.msg_flags = 2);
	ZC("zc TCP_CMSG_INQ", sizeof(z), z.msg_flags = 1);
	ZC("zc reserved", sizeof(z), z.reserved = 1);
	ZC("zc negative copy length", sizeof(z), z.copybuf_len = -1);
	ZC("zc unaligned address", sizeof(z), z.address = 4097);
	socklen_t l = sizeof(z);
	TRY("zc null", getsockopt(s, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, NULL, &l));
	memset(big, 'b', sizeof(big));
	TRY("zc write 8192", write(c, big, sizeof(big)));
	for (int i = 0; i < 200; i++) {
		int n = 0;
		if (ioctl(s, FIONREAD, &n) == 0 && n >= 8195)
			break;
		usleep(10000);
	}
	ZC("zc a page and more", sizeof(z));
	ZC("zc a page and more at an address", sizeof(z), z.address = 4096; z.length = 8192);
	ZC("zc a page and more copied", sizeof(z), z.copybuf_address = (uintptr_t)cb; z.copybuf_len = 10000);
	TRY("zc shutdown", shutdown(c, SHUT_WR));
	poll(&p, 1, 2000);
	ZC("zc after the FIN", sizeof(z));
	ZC("zc after the FIN length 20", 20);
	close(c);
	close(s);
	c = socket(AF_INET, SOCK_STREAM, 0);
	s = c;
	ZC("zc fresh socket", sizeof(z));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(c, (struct sockaddr *)&a, sizeof(a));
	listen(c, 1);
	ZC("zc listener", sizeof(z));
	close(c);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	s = u;
	ZC("zc udp", sizeof(z));
	close(u);
#undef ZC
}

void case_tcp_options_last(void)
{
	zerocopy();
	int s = socket(AF_INET, SOCK_STREAM, 0);
	option_sweep(s);
	close(s);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	get_int("v6 TCP_RTO_MIN_US default", s, IPPROTO_TCP, TCP_RTO_MIN_US);
	close(s);
	ulp_and_key();
	for (int save = 1; save <= 2; save++) {
		saved_syn(AF_INET, save);
		saved_syn(AF_INET6, save);
	}
	inherited();
	sysctls();
}
