/*
 * Differential cases: each case makes calls and prints one line per
 * observable result (return value, errno name, lengths, contents read
 * back). tests/diff/run.sh runs this program natively (as root, in a
 * fresh network namespace) and inside `moat do`, and compares the lines;
 * a difference is a bug unless tests/diff/expected.txt lists it with a
 * reason.
 *
 *   diffcases [CASE...]     run the named cases (all without arguments)
 *   diffcases --list        print the case names
 *
 * Rules for a case: print only what Linux defines (no addresses, pids,
 * times), put the process back the way it found it, and do what changes
 * privileges in a child (ck_child) so that later cases start alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

#include "diff.h"

const char *cur_case;

/* ---- mlock family (issue 12: mlockall failed with ENOMEM) ---- */

static void mlock_root(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)pg * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	R("mlock one page", mlock(m, (size_t)pg));
	R("munlock it", munlock(m, (size_t)pg));
	R("mlock unaligned start", mlock(m + 100, 10));
	R("mlock length 0", mlock(m, 0));
	munmap(m + 2 * pg, (size_t)pg);
	R("mlock over a hole", mlock(m, (size_t)pg * 4));
	R("munlock over a hole", munlock(m, (size_t)pg * 4));
	R("mlock wrapping range", mlock(m, (size_t)-pg));
	R("mlock unmapped", mlock((void *)(uintptr_t)0x1000, (size_t)pg));
	R("mlock2 onfault", syscall(SYS_mlock2, m, pg, MLOCK_ONFAULT));
	R("mlock2 bad flag", syscall(SYS_mlock2, m, pg, 2));
	R("mlockall 0", mlockall(0));
	R("mlockall onfault alone", mlockall(MCL_ONFAULT));
	R("mlockall unknown bit", mlockall(MCL_CURRENT | 8));
	R("mlockall current future", mlockall(MCL_CURRENT | MCL_FUTURE));
	R("munlockall", munlockall());
	R("mlockall future onfault", mlockall(MCL_FUTURE | MCL_ONFAULT));
	R("munlockall again", munlockall());
	munmap(m, (size_t)pg * 4);
}

static void mlock_unprivileged_child(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)pg * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	R("drop CAP_IPC_LOCK", drop_cap(CAP_IPC_LOCK));
	struct rlimit zero = { 0, 0 }, small = { (rlim_t)pg * 8, (rlim_t)pg * 8 };
	R("RLIMIT_MEMLOCK 0", setrlimit(RLIMIT_MEMLOCK, &zero));
	R("mlock without limit room", mlock(m, (size_t)pg));
	R("mlockall without limit room", mlockall(MCL_CURRENT));
	R("mlockall bad flags first", mlockall(0));
	R("munlock still allowed", munlock(m, (size_t)pg));
	/* Raising the limit back needs CAP_SYS_RESOURCE: a fresh child's
	 * limit is the small one below. */
	(void)small;
}

static void mlock_small_limit_child(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)pg * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct rlimit small = { (rlim_t)pg * 8, (rlim_t)pg * 8 };
	R("RLIMIT_MEMLOCK 8 pages", setrlimit(RLIMIT_MEMLOCK, &small));
	R("drop CAP_IPC_LOCK", drop_cap(CAP_IPC_LOCK));
	R("mlock 4 pages", mlock(m, (size_t)pg * 4));
	R("mlock 32 pages over the limit", mlock(m, (size_t)pg * 32));
	R("munlock", munlock(m, (size_t)pg * 4));
	R("mlockall current over the limit", mlockall(MCL_CURRENT));
}

static void case_mlock(void)
{
	mlock_root();
	ck_child(mlock_unprivileged_child);
	ck_child(mlock_small_limit_child);
}

/* ---- /proc/self/oom_score_adj (issue 12: writes were not kept) ---- */

static int oom_fd(int flags)
{
	return open("/proc/self/oom_score_adj", flags);
}

static void oom_write(const char *step, const char *v)
{
	errno = 0;
	int fd = oom_fd(O_WRONLY);
	R(step, fd < 0 ? -1 : (long)write(fd, v, strlen(v)));
	if (fd >= 0)
		close(fd);
}

static void oom_read(const char *step)
{
	char b[32] = "";
	int fd = oom_fd(O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof(b) - 1);
	if (fd >= 0)
		close(fd);
	V(step, "%s", n > 0 ? strtok(b, "\n") : "(unreadable)");
}

static void oom_child(void)
{
	oom_read("child inherits");
	R("drop CAP_SYS_RESOURCE", drop_cap(CAP_SYS_RESOURCE));
	oom_write("unprivileged raise", "100");
	oom_write("unprivileged back to the floor", "-200");
	oom_write("unprivileged under the floor", "-300");
	oom_read("child value");
}

static void case_oom_score_adj(void)
{
	oom_write("reset to 0", "0");
	oom_read("after reset");
	oom_write("write 500", "500");
	oom_read("after 500");
	oom_write("write with blanks", " 7\n");
	oom_read("after blanks");
	oom_write("out of range", "1001");
	oom_write("below range", "-1001");
	oom_write("not a number", "abc");
	oom_write("trailing junk", "5x");
	oom_write("empty", "");
	oom_read("unchanged");
	oom_write("privileged -200 sets the floor", "-200");
	oom_read("after -200");
	ck_child(oom_child);
	oom_read("parent unchanged by the child");
	oom_write("back to 0", "0");
}

/* ---- /proc/sys/net (issue 12: only core/somaxconn existed) ----
 * Natively this runs in a network namespace of its own, so writes change
 * that namespace only; net.core's buffer sizes are global on Linux and are
 * only read here. */

/* /proc/sys/DIR/NAME as one line (tabs and newlines made blanks) into
 * b[256]: its number of lines, or -errno. */
static int proc_sys_text(const char *dir, const char *name, char *b)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/sys/%s/%s", dir, name);
	memset(b, 0, 256);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, 255);
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -e;
	int lines = 0;
	for (char *c = b; *c; c++) {
		lines += *c == '\n';
		if (*c == '\t' || *c == '\n')
			*c = ' ';
	}
	return lines;
}

static void sysctl_read(const char *name)
{
	char b[256];
	int r = proc_sys_text("net", name, b);
	if (r < 0)
		V(name, "unreadable: %s", errname(-r));
	else
		V(name, "'%s'", b);
}

static void sysctl_write(const char *name, const char *v)
{
	char path[128], step[200];
	snprintf(path, sizeof(path), "/proc/sys/net/%s", name);
	snprintf(step, sizeof(step), "write %s '%s'", name, v);
	write_file(step, path, v);
}

static void bound_port(const char *step)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	long r = bind(s, (struct sockaddr *)&a, sizeof(a));
	if (r == 0)
		getsockname(s, (struct sockaddr *)&a, &l);
	V(step, "bind %ld %s port %u", r, errname(r ? errno : 0), r ? 0 : ntohs(a.sin_port));
	close(s);
}

static void case_net_sysctl(void)
{
	static const char *names[] = {
		"core/rmem_default", "core/rmem_max", "core/somaxconn", "core/wmem_default",
		"core/wmem_max", "ipv4/ip_local_port_range", "ipv4/tcp_allowed_congestion_control",
		"ipv4/tcp_available_congestion_control", "ipv4/tcp_congestion_control", "ipv4/tcp_ecn",
		"ipv4/tcp_fin_timeout", "ipv4/tcp_keepalive_intvl", "ipv4/tcp_keepalive_probes",
		"ipv4/tcp_keepalive_time", "ipv4/tcp_rmem", "ipv4/tcp_sack", "ipv4/tcp_syncookies",
		"ipv4/tcp_timestamps", "ipv4/tcp_tso_win_divisor", "ipv4/tcp_window_scaling",
		"ipv4/tcp_wmem",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sysctl_read(names[i]);
	sysctl_write("ipv4/tcp_sack", "0");
	sysctl_read("ipv4/tcp_sack");
	sysctl_write("ipv4/tcp_sack", "1\n");
	sysctl_write("ipv4/tcp_sack", "abc");
	sysctl_write("ipv4/tcp_sack", "1 junk");
	sysctl_write("ipv4/tcp_ecn", "3");
	sysctl_write("ipv4/tcp_ecn", "-1");
	sysctl_read("ipv4/tcp_ecn");
	sysctl_write("ipv4/tcp_keepalive_time", "600");
	sysctl_read("ipv4/tcp_keepalive_time");
	sysctl_write("ipv4/tcp_keepalive_time", "7200");
	sysctl_write("ipv4/tcp_fin_timeout", "30");
	sysctl_read("ipv4/tcp_fin_timeout");
	sysctl_write("ipv4/tcp_fin_timeout", "60");
	sysctl_write("ipv4/tcp_rmem", "4096 65536");
	sysctl_read("ipv4/tcp_rmem");
	sysctl_write("ipv4/tcp_rmem", "4096\t131072\t6291456");
	sysctl_read("ipv4/tcp_rmem");
	sysctl_write("ipv4/tcp_rmem", "0 1 2");
	sysctl_write("ipv4/tcp_congestion_control", "reno");
	sysctl_read("ipv4/tcp_congestion_control");
	sysctl_write("ipv4/tcp_congestion_control", "no-such-cc");
	sysctl_write("ipv4/tcp_congestion_control", "cubic");
	sysctl_write("core/somaxconn", "128");
	sysctl_read("core/somaxconn");
	sysctl_write("core/somaxconn", "4096");
	sysctl_write("ipv4/tcp_available_congestion_control", "reno");
	sysctl_write("ipv4/ip_local_port_range", "41000 41000");
	sysctl_read("ipv4/ip_local_port_range");
	bound_port("ephemeral port in a range of one");
	sysctl_write("ipv4/ip_local_port_range", "41001 41000");
	sysctl_write("ipv4/ip_local_port_range", "0 100");
	sysctl_write("ipv4/ip_local_port_range", "1024 70000");
	sysctl_write("ipv4/ip_local_port_range", "32768 60999");
	sysctl_read("ipv4/ip_local_port_range");
}

/* ---- /proc/sys/kernel (issue 12: tainted and most others were missing) ----
 * Values that depend on the host's configuration (tainted, core_pattern,
 * the restrict and paranoid levels) are only checked to be readable as
 * one line; the System V IPC limits are Linux's defaults on both. */

static void kernel_file(const char *name, int show)
{
	char b[256];
	int lines = proc_sys_text("kernel", name, b);
	if (lines < 0) {
		V(name, "unreadable: %s", errname(-lines));
		return;
	}
	if (show)
		V(name, "'%s'", b);
	else
		V(name, "readable, %d line%s", lines, lines == 1 ? "" : "s");
}

static void case_proc_sys_kernel(void)
{
	static const char *shown[] = { "msgmax", "msgmnb", "msgmni", "sem", "shmall", "shmmax",
				       "shmmni", "ostype", "cap_last_cap" };
	static const char *readable[] = { "tainted", "panic", "printk", "core_pattern",
					  "domainname", "hostname", "osrelease",
					  "randomize_va_space", "kptr_restrict", "dmesg_restrict",
					  "perf_event_paranoid", "ngroups_max", "pid_max", "random/boot_id",
					  "random/uuid", "random/entropy_avail" };
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		kernel_file(shown[i], 1);
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++)
		kernel_file(readable[i], 0);
	errno = 0;
	int fd = open("/proc/sys/kernel/tainted", O_WRONLY);
	R("open tainted for writing", fd);
	if (fd >= 0)
		close(fd);
}

/* ---- writes at an offset (issue 12: every write went to offset 0) ----
 * Linux (sysctl_writes_strict, 1 by default): a number's file takes a
 * write at offset 0 only and ignores later ones (said to be taken); a
 * string's continues the string at the offset unless it is past the end;
 * uid_map takes one write, at offset 0. */

static void pos_write(const char *step, int fd, const char *text, size_t len, long at)
{
	errno = 0;
	ssize_t r = at < 0 ? write(fd, text, len) : pwrite(fd, text, len, at);
	int e = r < 0 ? errno : 0;
	V(step, "%zd %s pos %lld", r, errname(e), (long long)lseek(fd, 0, SEEK_CUR));
}

/* each of chunks written in turn, then one pwrite at pw_at, then the
 * value read back */
static void offset_writes(const char *dir, const char *name, const char *const *chunks, int n,
			  long pw_at, const char *pw)
{
	char path[128], step[160], b[256];
	snprintf(path, sizeof(path), "/proc/sys/%s/%s", dir, name);
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		V(name, "open: %s", errname(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		snprintf(step, sizeof(step), "%s write %d '%s'", name, i,
			 chunks[i][0] == '\n' ? "\\n" : chunks[i]);
		pos_write(step, fd, chunks[i], strlen(chunks[i]), -1);
	}
	snprintf(step, sizeof(step), "%s pwrite '%s' at %ld", name, pw, pw_at);
	pos_write(step, fd, pw, strlen(pw), pw_at);
	close(fd);
	int r = proc_sys_text(dir, name, b);
	snprintf(step, sizeof(step), "%s then", name);
	if (r < 0)
		V(step, "unreadable: %s", errname(-r));
	else
		V(step, "'%s'", b);
}

static void uts_offsets_child(void)
{
	if (unshare(CLONE_NEWUTS) < 0) {
		V("unshare uts", "%s", errname(errno));
		return;
	}
	static const char *const host[] = { "ab", "cd", "\n", "x" };
	offset_writes("kernel", "hostname", host, 4, 1, "Z");
	static const char *const dom[] = { "d" };
	offset_writes("kernel", "domainname", dom, 1, 5, "past-the-end");
	char longname[101];
	memset(longname, 'h', 100);
	longname[100] = 0;
	static const char *chunk[1];
	chunk[0] = longname;
	offset_writes("kernel", "hostname", chunk, 1, 64, "a");
	int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	if (fd >= 0) {
		pos_write("hostname with a NUL", fd, "n\0ul", 4, -1);
		pos_write("hostname empty write", fd, "", 0, -1);
		close(fd);
	}
	char b[256];
	proc_sys_text("kernel", "hostname", b);
	V("hostname at the end", "'%s'", b);
}

static void idmap_offsets_child(void)
{
	if (unshare(CLONE_NEWUSER) < 0) {
		V("unshare user", "%s", errname(errno));
		return;
	}
	int fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0) {
		V("uid_map", "open: %s", errname(errno));
		return;
	}
	pos_write("uid_map pwrite at 1", fd, "0 0 1\n", 6, 1);
	V("uid_map seek", "%lld", (long long)lseek(fd, 1, SEEK_SET));
	pos_write("uid_map write at 1", fd, "0 0 1\n", 6, -1);
	lseek(fd, 0, SEEK_SET);
	pos_write("uid_map write", fd, "0 0 1\n", 6, -1);
	pos_write("uid_map second write", fd, "1 1 1\n", 6, -1);
	close(fd);
}

static void case_sysctl_offsets(void)
{
	/* the namespace's congestion control is put back unprinted: which
	 * names a namespace may set depends on the host's allowed list */
	char cc_was[256];
	int cc_ok = proc_sys_text("net", "ipv4/tcp_congestion_control", cc_was) > 0;
	cc_was[strcspn(cc_was, " ")] = 0;
	static const char *const fin[] = { "30", "\n", "7" };
	offset_writes("net", "ipv4/tcp_fin_timeout", fin, 3, 1, "9");
	sysctl_write("ipv4/tcp_fin_timeout", "60");
	static const char *const rmem[] = { "4096 87380 6291456", "\n", "1" };
	offset_writes("net", "ipv4/tcp_rmem", rmem, 3, 2, "1");
	sysctl_write("ipv4/tcp_rmem", "4096\t131072\t6291456");
	static const char *const cc[] = { "re", "reno", "\n", "x" };
	offset_writes("net", "ipv4/tcp_congestion_control", cc, 4, 1, "ubic");
	static const char *const cc2[] = { "reno" };
	offset_writes("net", "ipv4/tcp_congestion_control", cc2, 1, 1, "eno");
	int fd = cc_ok ? open("/proc/sys/net/ipv4/tcp_congestion_control", O_WRONLY) : -1;
	if (fd >= 0) {
		if (write(fd, cc_was, strlen(cc_was)) < 0)
			V("congestion control not put back", "%s", errname(errno));
		close(fd);
	}
	int cfd = open("/proc/self/comm", O_WRONLY);
	if (cfd >= 0) {
		pos_write("comm pwrite", cfd, "x", 1, 0);
		close(cfd);
	}
	ck_child(uts_offsets_child);
	ck_child(idmap_offsets_child);
}

/* ---- zero-length write(2) ---- */

static void recv_nb(const char *step, int fd)
{
	char b[16];
	errno = 0;
	R(step, recv(fd, b, sizeof(b), MSG_DONTWAIT));
}

static void case_zero_length_writes(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
	bind(u2, (struct sockaddr *)&a, sizeof(a));
	getsockname(u2, (struct sockaddr *)&a, &l);
	connect(u1, (struct sockaddr *)&a, sizeof(a));
	errno = 0;
	R("udp write 0", write(u1, "", 0));
	recv_nb("udp peer receives", u2);
	recv_nb("udp nothing more", u2);
	close(u1);
	close(u2);
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	errno = 0;
	R("unix dgram write 0", write(sv[0], "", 0));
	recv_nb("unix dgram peer receives", sv[1]);
	close(sv[0]);
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	errno = 0;
	R("unix stream write 0", write(sv[0], "", 0));
	recv_nb("unix stream peer has nothing", sv[1]);
	close(sv[0]);
	close(sv[1]);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	R("tcp unconnected write 0", write(t, "", 0));
	close(t);
	int p[2];
	if (pipe(p) == 0) {
		errno = 0;
		R("pipe write 0", write(p[1], "", 0));
		close(p[0]);
		close(p[1]);
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "zero_length_writes", case_zero_length_writes },
	{ "proc_sys_kernel", case_proc_sys_kernel },
	{ "net_sysctl", case_net_sysctl },
	{ "sysctl_offsets", case_sysctl_offsets },
	{ "mlock", case_mlock },
	{ "oom_score_adj", case_oom_score_adj },
	{ "sockopt_presence", case_sockopt_presence },
	{ "nonblocking_answers", case_nonblocking_answers },
	{ "socket_results", case_socket_results },
	{ "udp_cork", case_udp_cork },
	{ "epoll_limits", case_epoll_limits },
	{ "random_sequences", case_random_sequences },
	{ "option_levels", case_option_levels },
	{ "unix_edges", case_unix_edges },
	{ "unix_oob", case_unix_oob },
	{ "tcp_sigurg", case_tcp_sigurg },
	{ "ip4_options", case_ip4_options },
	{ "ip4_msfilter", case_ip4_msfilter },
	{ "socket_options_more", case_socket_options_more },
	{ "socket_options_kept", case_socket_options_kept },
	{ "socket_timestamps", case_socket_timestamps },
	{ "tcp_connect_failure", case_tcp_connect_failure },
	{ "udp_edges", case_udp_edges },
	{ "link_loopback", case_link_loopback },
	{ "bpf_filters", case_bpf_filters },
	{ "socket_calls", case_socket_calls },
	{ "epoll_exclusive", case_epoll_exclusive },
	{ "tcp_options", case_tcp_options },
	{ "tcp_fastopen", case_tcp_fastopen },
	{ "udp_addresses", case_udp_addresses },
	{ "udp_errqueue", case_udp_errqueue },
	{ "udp_send_cmsgs", case_udp_send_cmsgs },
	{ "udp_options_last", case_udp_options_last },
	{ "tcp_options_last", case_tcp_options_last },
	{ "unix_filters", case_unix_filters },
	{ "sweep_last", case_sweep_last },
	{ "mcast_loopback", case_mcast_loopback },
	{ "mcast6_loopback", case_mcast6_loopback },
	{ "namespaces", case_namespaces },
	{ "mount_ns", case_mount_ns },
	{ "tcp_defer_accept", case_tcp_defer_accept },
	{ "fd_kinds", case_fd_kinds },
	{ "splice_calls", case_splice_calls },
	{ "ipv6_sysctl", case_ipv6_sysctl },
	{ "ip6_options", case_ip6_options },
	{ "ip6_options_more", case_ip6_options_more },
	{ "seq_fixes", case_seq_fixes },
	{ "seq_fixes2", case_seq_fixes2 },
	{ "rwnd", case_rwnd },
	{ "peek_off", case_peek_off },
	{ "so_timestamping", case_so_timestamping },
	{ "tcp_repair", case_tcp_repair },
	{ "ip6_options_rest", case_ip6_options_rest },
	{ "ip_options", case_ip_options },
	{ "raw_sockets", case_raw_sockets },
	{ "socket_options_last", case_socket_options_last },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* DIFF_CAPEFF=HEX (tests/diff/run.sh passes root's effective set on this
 * host): keep only those capabilities, so that both runs have the same.
 * Root in a sandbox has every capability; root on a CI host or in a
 * container may lack some (CAP_SYS_RESOURCE here), and the cases would
 * differ for that alone. */
static void same_caps(void)
{
	const char *e = getenv("DIFF_CAPEFF");
	if (!e)
		return;
	unsigned long long keep = strtoull(e, NULL, 16);
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return;
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(keep >> (32 * i));
		d[i].effective &= m;
		d[i].permitted &= m;
		d[i].inheritable &= m;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		perror("diffcases: capset");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < NCASES; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	same_caps();
	int ran = 0;
	for (size_t i = 0; i < NCASES; i++) {
		int want = argc == 1;
		for (int a = 1; a < argc; a++)
			want |= !strcmp(argv[a], cases[i].name);
		if (!want)
			continue;
		cur_case = cases[i].name;
		cases[i].fn();
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "diffcases: no such case (--list shows them)\n");
		return 2;
	}
	return 0;
}
