/*
 * A hostile program: run as root inside `moat do` (tests/escape/run.sh), it
 * tries one way out after another and prints, per attempt,
 *   PASS escape.NAME             the attempt got an error or was contained
 *   FAIL escape.NAME WHY         it got something it must not have
 * Each attempt runs in a child of its own, so one that gets the child
 * killed (SIGSYS, SIGSEGV) is an outcome, not the end of the suite; the
 * expected outcomes are listed per case ("error or killed" unless said).
 *
 *   escape HOST_CANARY_PATH CANARY_TEXT
 *
 * The canary is a host file outside the sandbox's root; its text must never
 * be read (run.sh also checks its access time and this program's output).
 * Built statically: the root holds only busybox and this program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/rtnetlink.h>
#include <linux/userfaultfd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define STUB_BASE 0x7ff000000000ULL /* platform/stub.h PLATFORM_STUB_BASE */

static const char *canary_path, *canary_text;

/* What a case reports from its child: 0 contained, 1 escaped (with why). */
static char why[512];
static int escaped(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return 1;
}

/* Did fd give us the canary's text? */
static int leaks(int fd)
{
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, canary_text) != NULL;
}

/* Open path; an escape if it opens and shows the canary. */
static int try_open(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	int bad = leaks(fd);
	close(fd);
	return bad ? escaped("%s opened and read the canary", path) : 0;
}

/* ---- paths ---- */

static int c_dotdot(void)
{
	char p[4096];
	const char *base = strrchr(canary_path, '/') + 1;
	snprintf(p, sizeof(p), "/../../../../../../../../%s", base);
	if (try_open(p) || try_open(canary_path))
		return 1;
	chdir("/tmp");
	snprintf(p, sizeof(p), "../../../../../../../../../../%s", canary_path);
	if (try_open(p))
		return 1;
	snprintf(p, sizeof(p), "/proc/../../..%s", canary_path);
	return try_open(p);
}

static int c_symlinks(void)
{
	char p[4096];
	unlink("/tmp/abs");
	unlink("/tmp/rel");
	symlink(canary_path, "/tmp/abs");
	snprintf(p, sizeof(p), "../../../../../../../../..%s", canary_path);
	symlink(p, "/tmp/rel");
	return try_open("/tmp/abs") || try_open("/tmp/rel");
}

static volatile int racing;
static void *flip_link(void *arg)
{
	(void)arg;
	while (racing) {
		rename("/tmp/race.d", "/tmp/race");
		rename("/tmp/race", "/tmp/race.d");
		symlink("/../../../../../..", "/tmp/race");
		unlink("/tmp/race");
	}
	return NULL;
}

static int c_symlink_race(void)
{
	mkdir("/tmp/race.d", 0755);
	char p[4096];
	snprintf(p, sizeof(p), "/tmp/race/../../../../..%s", canary_path);
	racing = 1;
	pthread_t th;
	pthread_create(&th, NULL, flip_link, NULL);
	int bad = 0;
	for (int i = 0; i < 2000 && !bad; i++)
		bad = try_open(p);
	racing = 0;
	pthread_join(th, NULL);
	return bad;
}

static int c_proc_roots(void)
{
	char p[4096];
	const char *fmts[] = { "/proc/self/root%s", "/proc/1/root%s", "/proc/self/cwd/../../../../..%s",
			       "/proc/thread-self/root%s", "/proc/self/root/../../..%s" };
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(p, sizeof(p), fmts[i], canary_path);
		if (try_open(p))
			return 1;
	}
	char l[256] = "";
	ssize_t n = readlink("/proc/self/root", l, sizeof(l) - 1);
	if (n > 0) {
		l[n] = 0;
		if (strcmp(l, "/"))
			return escaped("/proc/self/root is %s", l);
	}
	return 0;
}

static int c_handles(void)
{
	struct {
		struct file_handle fh;
		unsigned char raw[128];
	} h;
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = 128;
	int mnt;
	if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mnt, 0) == 0) {
		/* even a handle of the sandbox's root must not open outside */
	}
	/* a forged ext4-style handle of inode 2 (a file system's root) */
	h.fh.handle_bytes = 8;
	h.fh.handle_type = 1;
	uint32_t ino_gen[2] = { 2, 0 };
	memcpy(h.fh.f_handle, ino_gen, 8);
	int fd = open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY | O_DIRECTORY);
	if (fd >= 0)
		return escaped("open_by_handle_at gave fd %d", fd);
	return 0;
}

static int c_mounts(void)
{
	/* whatever the sandbox lets root mount stays in the sandbox */
	mkdir("/tmp/m", 0755);
	if (mount("/dev/sda1", "/tmp/m", "ext4", 0, NULL) == 0 ||
	    mount("/dev/vda1", "/tmp/m", "ext4", 0, NULL) == 0)
		return escaped("a host block device mounted");
	if (mount("none", "/tmp/m", "proc", 0, NULL) == 0) {
		char p[4096];
		snprintf(p, sizeof(p), "/tmp/m/1/root%s", canary_path);
		if (try_open(p))
			return 1;
		umount("/tmp/m");
	}
	mkdir("/tmp/new", 0755);
	mkdir("/tmp/new/old", 0755);
	syscall(SYS_pivot_root, "/tmp/new", "/tmp/new/old");
	/* the classic chroot escape */
	mkdir("/tmp/c", 0755);
	if (chroot("/tmp/c") == 0) {
		for (int i = 0; i < 64; i++)
			chdir("..");
		chroot(".");
	}
	return try_open(canary_path);
}

/* ---- processes of the host ---- */

static int sandbox_pid(pid_t p)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", (int)p);
	struct stat st;
	return stat(path, &st) == 0;
}

static int c_host_pids(void)
{
	/* Host pids are not in the sandbox's pid namespace: every call on
	 * one must fail, so must every one on a pid the sandbox lacks. */
	char buf[64];
	for (pid_t p = 2; p < 40000; p++) {
		if (sandbox_pid(p))
			continue;
		if (kill(p, 0) == 0)
			return escaped("kill(%d, 0) succeeded for a pid not in the sandbox", (int)p);
		if (ptrace(PTRACE_ATTACH, p, 0, 0) == 0)
			return escaped("ptrace attached to pid %d", (int)p);
		struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x400000, sizeof(buf) };
		if (process_vm_readv(p, &l, 1, &r, 1, 0) > 0)
			return escaped("process_vm_readv read pid %d", (int)p);
		if (p % 8 == 0 && syscall(SYS_pidfd_open, p, 0) >= 0)
			return escaped("pidfd_open(%d)", (int)p);
	}
	return 0;
}

static int c_ptrace_parent(void)
{
	/* the sandbox's own init: whatever ptrace gives, it is the sandbox's */
	if (ptrace(PTRACE_ATTACH, 1, 0, 0) == 0) {
		waitpid(1, NULL, __WALL);
		ptrace(PTRACE_DETACH, 1, 0, 0);
	}
	return 0;
}

/* ---- sockets and the network ---- */

/* Does the sandbox's /proc/net/NAME (served from its netstack) list a
 * raw socket of protocol proto (its local "port")? */
static int netstack_lists(const char *name, int proto)
{
	char path[64], want[16], line[256];
	snprintf(path, sizeof(path), "/proc/net/%s", name);
	snprintf(want, sizeof(want), ":%04X ", proto);
	FILE *f = fopen(path, "r");
	int found = 0;
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Link-level access (AF_PACKET) would reach the host's frames: refused.
 * Raw IPv4 and IPv6 sockets are the sandbox's own (root in the sandbox
 * has CAP_NET_RAW there): they must live on its netstack, which its
 * /proc/net lists; the confined sentry cannot make a host socket at all. */
static int c_raw_sockets(void)
{
	int s = socket(AF_PACKET, SOCK_RAW, htons(3 /* ETH_P_ALL */));
	if (s >= 0)
		return escaped("AF_PACKET socket %d", s);
	s = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (s >= 0 && !netstack_lists("raw", IPPROTO_TCP))
		return escaped("raw IPv4 socket %d outside the sandbox's stack", s);
	int s6 = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (s6 >= 0 && !netstack_lists("raw6", IPPROTO_ICMPV6))
		return escaped("raw IPv6 socket %d outside the sandbox's stack", s6);
	if (s >= 0)
		close(s);
	if (s6 >= 0)
		close(s6);
	return 0;
}

static int c_netlink(void)
{
	/* adding 10.251.0.1/32 to lo: an error or the sandbox's lo only
	 * (run.sh checks the host's lo) */
	int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (s < 0)
		return 0;
	struct {
		struct nlmsghdr n;
		struct ifaddrmsg a;
		char buf[64];
	} req;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(req.a));
	req.n.nlmsg_type = RTM_NEWADDR;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
	req.a.ifa_family = AF_INET;
	req.a.ifa_prefixlen = 32;
	req.a.ifa_index = if_nametoindex("lo");
	struct rtattr *rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.n.nlmsg_len));
	rta->rta_type = IFA_LOCAL;
	rta->rta_len = RTA_LENGTH(4);
	uint32_t addr = htonl(0x0afb0001);
	memcpy(RTA_DATA(rta), &addr, 4);
	req.n.nlmsg_len = NLMSG_ALIGN(req.n.nlmsg_len) + rta->rta_len;
	send(s, &req, req.n.nlmsg_len, 0);
	char ack[512];
	recv(s, ack, sizeof(ack), MSG_DONTWAIT);
	close(s);
	return 0;
}

/* ---- kernel interfaces a sandbox never gets ---- */

static int expect_fail(const char *what, long r)
{
	if (r >= 0)
		return escaped("%s returned %ld", what, r);
	return 0;
}

static int c_kernel_calls(void)
{
	struct io_uring_params up;
	memset(&up, 0, sizeof(up));
	if (expect_fail("io_uring_setup", syscall(SYS_io_uring_setup, 4, &up)))
		return 1;
	union bpf_attr ba;
	memset(&ba, 0, sizeof(ba));
	if (expect_fail("bpf(BPF_MAP_CREATE)", syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof(ba))))
		return 1;
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = PERF_TYPE_SOFTWARE;
	pa.config = PERF_COUNT_SW_CPU_CLOCK;
	if (expect_fail("perf_event_open", syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0)))
		return 1;
	if (expect_fail("add_key", syscall(SYS_add_key, "user", "moat-escape", "x", 1, -2 /* user keyring */)))
		return 1;
	if (expect_fail("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -4, 0)))
		return 1;
	if (expect_fail("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0)))
		return 1;
	if (expect_fail("init_module", syscall(SYS_init_module, "x", 1, "")))
		return 1;
	if (expect_fail("finit_module", syscall(SYS_finit_module, 0, "", 0)))
		return 1;
	if (expect_fail("delete_module", syscall(SYS_delete_module, "ext4", 0)))
		return 1;
	if (expect_fail("swapon", syscall(SYS_swapon, "/tmp", 0)))
		return 1;
	if (expect_fail("iopl", syscall(SYS_iopl, 3)))
		return 1;
	if (expect_fail("ioperm", syscall(SYS_ioperm, 0x60, 1, 1)))
		return 1;
	/* userfaultfd: an error, or the sandbox's own (an emulated fd) */
	syscall(SYS_userfaultfd, O_CLOEXEC);
	return 0;
}

static int c_reboot(void)
{
	/* as in a pid namespace: never the host; ours may end (run.sh checks
	 * that the host and other sandboxes go on) */
	long r = syscall(SYS_reboot, 0xfee1dead, 672274793, 0x01234567 /* RESTART */, NULL);
	(void)r;
	return 0;
}

static int c_namespaces(void)
{
	int fd = open("/proc/1/ns/net", O_RDONLY);
	if (fd >= 0 && setns(fd, 0) == 0) {
		/* the sandbox's own namespace at most */
	}
	unshare(CLONE_NEWUSER);
	unshare(CLONE_NEWNET);
	unshare(CLONE_NEWNS);
	return try_open(canary_path);
}

static int c_personality(void)
{
	personality(PER_LINUX32 | READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE);
	personality(PER_LINUX);
	return 0;
}

static int c_modify_ldt(void)
{
	struct {
		unsigned int entry, base, limit, flags;
	} d = { 0, 0, 0xfffff, 0x51 /* 32-bit, page granular, usable */ };
	syscall(SYS_modify_ldt, 1, &d, sizeof(d));
	return 0;
}

/* ---- other syscall entries ---- */

static int c_int80(void)
{
	/* open(canary) through the 32-bit entry: killed or an error, never
	 * a host fd */
	char p[4096];
	snprintf(p, sizeof(p), "%s", canary_path);
	void *low = mmap((void *)0x10000000, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (low == MAP_FAILED)
		return 0;
	strcpy(low, p);
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(5), "b"((long)low), "c"(0), "d"(0) : "memory");
	if (r >= 0) {
		if (leaks((int)r))
			return escaped("int 0x80 open gave fd %ld reading the canary", r);
	}
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20) : "memory"); /* getpid */
	return 0;
}

static int c_x32(void)
{
	long r = syscall(0x40000000 | SYS_open, canary_path, O_RDONLY);
	if (r >= 0 && leaks((int)r))
		return escaped("x32 open read the canary");
	r = syscall(0x40000000 | SYS_getpid);
	return 0;
}

static int c_vsyscall(void)
{
	/* the legacy vsyscall page's gettimeofday: works, or SIGSEGV */
	typedef long (*gtod_fn)(void *, void *);
	struct {
		long a, b;
	} tv;
	gtod_fn f = (gtod_fn)0xffffffffff600000UL;
	f(&tv, NULL);
	return 0;
}

static int c_stub(void)
{
	/* the platform's stub page: never writable, never gone (refused or
	 * the task killed; the sentry unharmed) */
	void *stub = (void *)STUB_BASE;
	mprotect(stub, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
	int fd = open("/proc/self/mem", O_RDWR);
	if (fd >= 0) {
		unsigned char junk[16];
		memset(junk, 0xcc, sizeof(junk));
		pwrite(fd, junk, sizeof(junk), (off_t)STUB_BASE + 0x100);
		close(fd);
	}
	mremap(stub, 4096, 8192, MREMAP_MAYMOVE);
	munmap(stub, 4096);
	/* and a syscall after all that */
	getppid();
	return 0;
}

static char *volatile flip_buf;
static void *flip_path(void *arg)
{
	(void)arg;
	while (racing) {
		strcpy(flip_buf, "/tmp/harmless");
		strcpy(flip_buf, canary_path);
	}
	return NULL;
}

static int c_arg_race(void)
{
	int fd = open("/tmp/harmless", O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	flip_buf = malloc(4096);
	strcpy(flip_buf, "/tmp/harmless");
	racing = 1;
	pthread_t th;
	pthread_create(&th, NULL, flip_path, NULL);
	int bad = 0;
	for (int i = 0; i < 3000 && !bad; i++)
		bad = try_open(flip_buf);
	racing = 0;
	pthread_join(th, NULL);
	return bad;
}

/* ---- exhaustion ---- */

static int c_fd_exhaustion(void)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	setrlimit(RLIMIT_NOFILE, &rl);
	int n = 0, e = 0;
	for (;;) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0) {
			e = errno;
			break;
		}
		n++;
		if (n > 2000000)
			break;
	}
	if (e != EMFILE && e != ENFILE)
		return escaped("after %d fds: %s", n, strerror(e));
	return 0;
}

static int c_fork_bomb(void)
{
	/* the sandbox's pids limit (run.sh: --pids-limit 64) */
	static pid_t kids[10001];
	int n = 0, e = 0;
	for (;;) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			e = errno;
			break;
		}
		kids[n] = p;
		if (++n > 10000)
			break;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	if (e != EAGAIN)
		return escaped("forked %d children (%s)", n, strerror(e));
	return 0;
}

static void *idle(void *a)
{
	(void)a;
	pause();
	return NULL;
}

static int c_thread_bomb(void)
{
	int n = 0, e = 0;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 65536);
	for (;;) {
		pthread_t t;
		e = pthread_create(&t, &at, idle, NULL);
		if (e)
			break;
		if (++n > 10000)
			break;
	}
	if (e != EAGAIN)
		return escaped("made %d threads (%s)", n, strerror(e));
	return 0;
}

static int c_memory(void)
{
	/* the sandbox's memory limit (run.sh: --memory 512m): killed by the
	 * kernel's OOM killer, or an allocation fails; never 4 GiB */
	size_t chunk = 64u << 20, total = 0;
	while (total < (4ull << 30)) {
		char *p = malloc(chunk);
		if (!p)
			return 0;
		memset(p, 0x5a, chunk);
		total += chunk;
	}
	return escaped("allocated and touched %zu MiB", total >> 20);
}

static int c_overlay_fill(void)
{
	/* the writable layer's size (run.sh: --overlay-size 64m): ENOSPC */
	int fd = open("/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return escaped("open /fill: %s", strerror(errno));
	static char blk[1 << 20];
	memset(blk, 'x', sizeof(blk));
	long total = 0;
	int e = 0;
	for (int i = 0; i < 1024; i++) {
		ssize_t w = write(fd, blk, sizeof(blk));
		if (w < 0) {
			e = errno;
			break;
		}
		total += w;
	}
	close(fd);
	unlink("/fill");
	if (e != ENOSPC)
		return escaped("wrote %ld MiB without ENOSPC (%s)", total >> 20, strerror(e));
	return 0;
}

static int c_signals(void)
{
	/* every signal at every pid the sandbox has, but ourselves and
	 * init: the sentry is not among them */
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			kill(-1, s);
	kill(-1, SIGKILL);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
	int may_die; /* killed is contained too */
} cases[] = {
	{ "dotdot", c_dotdot, 0 },
	{ "symlinks_out", c_symlinks, 0 },
	{ "symlink_swap_race", c_symlink_race, 0 },
	{ "proc_roots", c_proc_roots, 0 },
	{ "file_handles", c_handles, 0 },
	{ "mount_pivot_chroot", c_mounts, 0 },
	{ "host_pids", c_host_pids, 0 },
	{ "ptrace_init", c_ptrace_parent, 1 },
	{ "raw_sockets", c_raw_sockets, 0 },
	{ "netlink_route", c_netlink, 0 },
	{ "kernel_interfaces", c_kernel_calls, 1 },
	{ "namespaces", c_namespaces, 1 },
	{ "personality", c_personality, 1 },
	{ "modify_ldt", c_modify_ldt, 1 },
	{ "int80", c_int80, 1 },
	{ "x32", c_x32, 1 },
	{ "vsyscall", c_vsyscall, 1 },
	{ "stub_page", c_stub, 1 },
	{ "arg_race", c_arg_race, 0 },
	{ "fd_exhaustion", c_fd_exhaustion, 0 },
	{ "fork_bomb", c_fork_bomb, 0 },
	{ "thread_bomb", c_thread_bomb, 1 },
	{ "memory", c_memory, 1 },
	{ "overlay_fill", c_overlay_fill, 0 },
	{ "signals", c_signals, 1 },
	{ "reboot", c_reboot, 1 },
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: escape HOST_CANARY_PATH CANARY_TEXT\n");
		return 2;
	}
	canary_path = argv[1];
	canary_text = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	int failed = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int pfd[2];
		if (pipe(pfd) < 0)
			return 1;
		pid_t c = fork();
		if (c == 0) {
			close(pfd[0]);
			setpgid(0, 0);
			int r = cases[i].fn();
			if (r)
				(void)!write(pfd[1], why, strlen(why));
			_exit(r ? 1 : 0);
		}
		close(pfd[1]);
		char msg[512] = "";
		ssize_t n = read(pfd[0], msg, sizeof(msg) - 1);
		msg[n > 0 ? n : 0] = 0;
		close(pfd[0]);
		int st = 0;
		waitpid(c, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("PASS escape.%s\n", cases[i].name);
		} else if (WIFSIGNALED(st) && cases[i].may_die) {
			printf("PASS escape.%s (killed by signal %d)\n", cases[i].name, WTERMSIG(st));
		} else {
			printf("FAIL escape.%s %s\n", cases[i].name,
			       msg[0] ? msg : WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exit status");
			failed++;
		}
		/* what a case left (children of a bomb) */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	return failed ? 1 : 0;
}
