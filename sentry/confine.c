/*
 * The sentry confines itself once its first task runs (confine.h): after
 * that it has no host path, no capability, no way to gain privileges, and
 * a seccomp allow-list of host syscalls (the table below, one reason per
 * entry). Everything it still needs was opened before: the AF_PACKET
 * links, the gofer's socket, the control socket, stdio, the platform's
 * channel and stub, its signalfd and epoll, and one procfs fd of its own
 * (platform/hostproc.c) through which it reads its tasks' /proc files.
 *
 * What the kernel then enforces, whatever a bug lets an attacker run in
 * the sentry:
 *   - its root is an empty read-only tmpfs in a mount namespace of its own
 *     (pivot_root, the host's root detached): no host path resolves;
 *   - openat and readlinkat only below its procfs fd, an instance that
 *     shows only processes it may ptrace and only their pid directories,
 *     mounted read-only; with no capability left, /proc/PID/root, fd and
 *     mem of host processes are out of reach (ptrace access needs a
 *     superset of the target's capabilities), its own tasks' roots are
 *     empty directories too (platform/ptrace child_main);
 *   - no socket (but with --network host, inet sockets: that documented
 *     weaker mode), no execve, no fork or clone, no mount, no namespaces,
 *     no module, bpf, perf, keyring, io_uring or userfaultfd calls;
 *   - anything not in the table traps: the handler writes which syscall to
 *     stderr and the debug log, and the sentry dies of SIGSYS (moat says
 *     so and exits 125); its tasks die with it (PR_SET_PDEATHSIG).
 * Still possible, and said so in the README: signals to host processes of
 * uid 0 (the sentry keeps uid 0 so that it stays the owner of its tasks'
 * user namespace), and reads of the world-readable parts of its own tasks'
 * /proc directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"
#include "kernel/kernel.h"
#include "../platform/hostproc.h"
#include "../platform/jail.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static const struct jail_allow allowed[] = {
	/* I/O on fds it holds: stdio, links, sockets, memfds, donated files */
	{ SYS_read, "fds it holds" },
	{ SYS_write, "fds it holds" },
	{ SYS_readv, "fds it holds" },
	{ SYS_writev, "fds it holds" },
	{ SYS_pread64, "tmpfs memfds, donated files, procfs files" },
	{ SYS_pwrite64, "tmpfs memfds, donated files" },
	{ SYS_preadv, "the same, vectored" },
	{ SYS_pwritev, "the same, vectored" },
	{ SYS_preadv2, "the same, with flags" },
	{ SYS_pwritev2, "the same, with flags" },
	{ SYS_lseek, "file offsets of host fds" },
	{ SYS_close, "dropping fds" },
	{ SYS_close_range, "dropping fds" },
	{ SYS_dup, "fds it holds" },
	{ SYS_dup2, "fds it holds" },
	{ SYS_dup3, "fds it holds" },
	{ SYS_fcntl, "flags and seals of fds it holds" },
	{ SYS_ioctl, "terminal and FIONREAD/FIONBIO requests on fds it holds" },
	{ SYS_fstat, "attributes of fds it holds" },
	{ SYS_newfstatat, "fstat (AT_EMPTY_PATH); a path resolves in its empty root" },
	{ SYS_statx, "the same" },
	{ SYS_fstatfs, "statfs of donated files" },
	{ SYS_ftruncate, "tmpfs memfds, donated files" },
	{ SYS_fallocate, "tmpfs memfds, donated files" },
	{ SYS_fsync, "fsync of donated files" },
	{ SYS_fdatasync, "fdatasync of donated files" },
	{ SYS_sync_file_range, "the same" },
	{ SYS_fadvise64, "read-ahead hints" },
	{ SYS_flock, "host locks on donated files" },
	{ SYS_fchmod, "memfds" },
	{ SYS_copy_file_range, "copy-up of overlay files" },
	{ SYS_sendfile, "copies between fds it holds" },
	{ SYS_splice, "pipes and sockets it holds" },
	{ SYS_tee, "pipes it holds" },
	{ SYS_memfd_create, "tmpfs file data, SysV shared memory" },
	{ SYS_pipe2, "pipes of its own" },
	{ SYS_eventfd2, "wake-ups" },
	/* the event loop, timers, signals */
	{ SYS_epoll_wait, "the event loop" },
	{ SYS_epoll_pwait, "the event loop" },
	{ SYS_epoll_pwait2, "the event loop" },
	{ SYS_epoll_ctl, "the event loop" },
	{ SYS_epoll_create1, "epoll instances of its own" },
	{ SYS_poll, "waits on fds it holds" },
	{ SYS_ppoll, "waits on fds it holds" },
	{ SYS_timerfd_create, "timers" },
	{ SYS_timerfd_settime, "timers" },
	{ SYS_timerfd_gettime, "timers" },
	{ SYS_clock_gettime, "time (vDSO fallback)" },
	{ SYS_clock_getres, "time" },
	{ SYS_clock_nanosleep, "short waits" },
	{ SYS_nanosleep, "short waits" },
	{ SYS_gettimeofday, "time" },
	{ SYS_clock_adjtime, "adjtimex of the sandbox reads the host's (no CAP_SYS_TIME: never sets)" },
	{ SYS_adjtimex, "the same" },
	{ SYS_signalfd4, "signals as fds" },
	{ SYS_rt_sigaction, "signal handlers" },
	{ SYS_rt_sigprocmask, "signal masks" },
	{ SYS_rt_sigreturn, "return from a handler" },
	{ SYS_rt_sigtimedwait, "synchronous signal waits" },
	{ SYS_sigaltstack, "handler stacks" },
	{ SYS_restart_syscall, "restarted calls" },
	/* memory */
	{ SYS_brk, "malloc" },
	{ SYS_mmap, "malloc, tmpfs memfds, task memory views" },
	{ SYS_munmap, "the same" },
	{ SYS_mremap, "the same" },
	{ SYS_mprotect, "the same" },
	{ SYS_madvise, "the same" },
	{ SYS_futex, "libc locks" },
	{ SYS_set_robust_list, "libc" },
	{ SYS_rseq, "libc" },
	/* its tasks (ptrace access is checked by the kernel: they are its
	 * children in a user namespace it owns) */
	{ SYS_ptrace, "driving its tasks" },
	{ SYS_process_vm_readv, "reading its tasks' memory" },
	{ SYS_process_vm_writev, "writing its tasks' memory" },
	{ SYS_wait4, "reaping its tasks" },
	{ SYS_waitid, "reaping its tasks" },
	{ SYS_kill, "signals to its tasks" },
	{ SYS_tkill, "signals to its tasks' threads" },
	{ SYS_tgkill, "signals to its tasks' threads" },
	{ SYS_pidfd_open, "pidfds of its tasks" },
	{ SYS_pidfd_send_signal, "signals through pidfds" },
	{ SYS_kcmp, "comparing its tasks' files" },
	{ SYS_sched_setaffinity, "CPU placement of its tasks" },
	{ SYS_sched_getaffinity, "CPU placement of its tasks" },
	{ SYS_setpriority, "nice of its tasks' threads" },
	{ SYS_getpriority, "nice of its tasks' threads" },
	{ SYS_sched_yield, "yielding" },
	{ SYS_prlimit64, "its own limits, its tasks' limits" },
	{ SYS_getrlimit, "its own limits" },
	{ SYS_getrusage, "CPU times" },
	{ SYS_times, "CPU times" },
	/* sockets it holds (it creates none but with --network host) */
	{ SYS_sendmsg, "the gofer, control and stdio sockets" },
	{ SYS_recvmsg, "the gofer, control and stdio sockets" },
	{ SYS_sendmmsg, "the AF_PACKET links" },
	{ SYS_recvmmsg, "the AF_PACKET links" },
	{ SYS_sendto, "the links, the DNS relay" },
	{ SYS_recvfrom, "the links, the DNS relay" },
	{ SYS_accept4, "the control socket" },
	{ SYS_accept, "the control socket" },
	{ SYS_shutdown, "sockets it holds" },
	{ SYS_getsockopt, "sockets it holds" },
	{ SYS_setsockopt, "sockets it holds" },
	{ SYS_getsockname, "sockets it holds" },
	{ SYS_getpeername, "sockets it holds" },
	{ SYS_socketpair, "AF_UNIX pairs of its own (no address, no path)" },
	/* about itself */
	{ SYS_getpid, "itself" },
	{ SYS_gettid, "itself" },
	{ SYS_getppid, "itself" },
	{ SYS_getuid, "itself" },
	{ SYS_geteuid, "itself" },
	{ SYS_getgid, "itself" },
	{ SYS_getegid, "itself" },
	{ SYS_getresuid, "itself" },
	{ SYS_getresgid, "itself" },
	{ SYS_getgroups, "itself" },
	{ SYS_capget, "itself" },
	{ SYS_getcwd, "itself (its empty root)" },
	{ SYS_uname, "the host's release for the sandbox's uname" },
	{ SYS_sysinfo, "the host's memory and uptime" },
	{ SYS_getrandom, "random numbers" },
	{ SYS_prctl, "thread names, dumpable (no_new_privs holds)" },
	{ SYS_arch_prctl, "libc" },
	{ SYS_set_tid_address, "libc" },
	{ SYS_exit, "exit" },
	{ SYS_exit_group, "exit" },
};

static int install_filter(const struct confine_opts *o)
{
	scmp_filter_ctx f = jail_filter(allowed, sizeof(allowed) / sizeof(allowed[0]));
	if (!f)
		return -ENOMEM;
	int e = 0;
	/* paths: only below its own procfs instance */
	int pfd = hostproc_fd();
	if (!e && pfd >= 0)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (unsigned)pfd));
	if (!e && pfd >= 0)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(readlinkat), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (unsigned)pfd));
	if (!e && o->host_net) {
		/* --network host: the program's sockets are host sockets */
		static const int calls[] = { SCMP_SYS(bind), SCMP_SYS(connect), SCMP_SYS(listen) };
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));
		if (!e)
			e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET6));
		for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]) && !e; i++)
			e = seccomp_rule_add(f, SCMP_ACT_ALLOW, calls[i], 0);
	}
	if (e) {
		seccomp_release(f);
		return e;
	}
	return jail_filter_load(f, "the sentry", o->log_fd, syscall_name);
}

/* A mount namespace of its own whose root is an empty read-only tmpfs. */
static int empty_root(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return jail_empty_root("moat-sentry");
}

int sentry_confine(const struct confine_opts *o)
{
	const char *step = "its procfs";
	int e = 0;
	/* Without root, the sentry cannot mount: it keeps the host's /proc
	 * and root (the host kernel's user checks still keep it from other
	 * users' processes and files), and is confined by the rest. It may
	 * not move to a user namespace of its own: it must stay the owner of
	 * its tasks' namespace. */
	if (geteuid() == 0) {
		e = hostproc_restrict();
		if (!e) {
			step = "an empty root";
			e = empty_root();
		}
	} else if (o->log) {
		fprintf(o->log, "moat: not root: the sentry keeps the host's /proc and root (no mount namespace of "
				"its own); capabilities, no_new_privs and its seccomp allow-list still apply\n");
	}
	if (!e) {
		step = "dropping capabilities";
		e = jail_keep_caps(0);
	}
	if (!e && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		step = "no_new_privs";
		e = -errno;
	}
	if (!e) {
		step = "its seccomp filter";
		e = install_filter(o);
	}
	if (e)
		fprintf(stderr, "moat: confining the sentry: %s: %s\n", step, strerror(-e));
	return e;
}

#ifdef MOAT_TEST_COMPROMISE
/* Test-only (never in the default build; tests/sandbox/confine.sh builds
 * it): act as a compromised sentry would, after confinement. */
#include <sys/wait.h>
void sentry_test_compromise(void)
{
	const char *what = getenv("MOAT_COMPROMISE");
	if (!what)
		return;
	if (!strcmp(what, "open")) {
		int fd = open("/etc/shadow", O_RDONLY);
		fprintf(stderr, "moat: compromise: open /etc/shadow: %d\n", fd);
	} else if (!strcmp(what, "openat-proc")) {
		int fd = openat(hostproc_fd(), "1/root/etc/shadow", O_RDONLY);
		fprintf(stderr, "moat: compromise: openat proc 1/root/etc/shadow: %d %s\n", fd,
			fd < 0 ? strerror(errno) : "");
	} else if (!strcmp(what, "socket")) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		fprintf(stderr, "moat: compromise: socket: %d\n", fd);
	} else if (!strcmp(what, "exec")) {
		execl("/bin/sh", "sh", "-c", "echo escaped", (char *)NULL);
		fprintf(stderr, "moat: compromise: execve: %s\n", strerror(errno));
	}
}
#endif
