/*
 * Random syscalls with hostile arguments, to show the sentry survives them:
 *   syscall_fuzz SEED ROUNDS CALLS
 * Each round forks a child that makes CALLS random syscalls (from the
 * families the sentry serves) with arguments drawn from: small integers,
 * -1, huge values, NULL, unmapped and kernel addresses, pointers into a
 * writable scratch buffer (filled with random bytes), and valid fds. An
 * interval timer interrupts calls that block. The parent waits for each
 * child (any exit or signal is fine; one that blocks for 5 s is killed),
 * then prints "alive ROUNDS" if the
 * sandbox still answers. Calls that would end or replace the child
 * (exit, execve), signal other processes, or wreck its own memory (the
 * native memory calls) are left out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const int calls[] = {
	SYS_read, SYS_write, SYS_open, SYS_close, SYS_stat, SYS_fstat, SYS_lstat, SYS_poll, SYS_lseek,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_ioctl, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
	SYS_access, SYS_pipe, SYS_select, SYS_dup, SYS_dup2, SYS_nanosleep, SYS_getitimer, SYS_alarm,
	SYS_setitimer, SYS_getpid, SYS_sendfile, SYS_socket, SYS_connect, SYS_accept, SYS_sendto,
	SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_shutdown, SYS_bind, SYS_listen, SYS_getsockname,
	SYS_getpeername, SYS_socketpair, SYS_setsockopt, SYS_getsockopt, SYS_wait4, SYS_uname, SYS_fcntl,
	SYS_flock, SYS_fsync, SYS_truncate, SYS_ftruncate, SYS_getdents, SYS_getcwd, SYS_chdir, SYS_fchdir,
	SYS_rename, SYS_mkdir, SYS_rmdir, SYS_creat, SYS_link, SYS_unlink, SYS_symlink, SYS_readlink,
	SYS_chmod, SYS_fchmod, SYS_chown, SYS_umask, SYS_gettimeofday, SYS_getrlimit, SYS_getrusage,
	SYS_sysinfo, SYS_times, SYS_getuid, SYS_getgid, SYS_setuid, SYS_setgid, SYS_geteuid, SYS_setpgid,
	SYS_getppid, SYS_getpgrp, SYS_setsid, SYS_setreuid, SYS_getgroups, SYS_setgroups, SYS_setresuid,
	SYS_getresuid, SYS_getpgid, SYS_getsid, SYS_capget, SYS_capset, SYS_rt_sigpending,
	SYS_sigaltstack, SYS_utime, SYS_mknod, SYS_statfs, SYS_fstatfs, SYS_getpriority,
	SYS_sched_getparam, SYS_sched_getscheduler, SYS_prctl, SYS_arch_prctl, SYS_setrlimit, SYS_sync,
	SYS_gettid, SYS_readahead, SYS_getxattr, SYS_time, SYS_sched_getaffinity, SYS_epoll_create,
	SYS_getdents64, SYS_fadvise64, SYS_clock_gettime, SYS_clock_nanosleep, SYS_epoll_wait,
	SYS_epoll_ctl, SYS_utimes, SYS_waitid, SYS_openat, SYS_mkdirat, SYS_fchownat, SYS_newfstatat,
	SYS_unlinkat, SYS_renameat, SYS_linkat, SYS_symlinkat, SYS_readlinkat, SYS_fchmodat, SYS_faccessat,
	SYS_pselect6, SYS_ppoll, SYS_splice, SYS_utimensat, SYS_epoll_pwait, SYS_signalfd, SYS_timerfd_create,
	SYS_eventfd, SYS_fallocate, SYS_timerfd_settime, SYS_timerfd_gettime, SYS_accept4, SYS_signalfd4,
	SYS_eventfd2, SYS_epoll_create1, SYS_dup3, SYS_pipe2, SYS_preadv, SYS_pwritev, SYS_recvmmsg,
	SYS_prlimit64, SYS_syncfs, SYS_sendmmsg, SYS_renameat2, SYS_getrandom, SYS_memfd_create,
	SYS_statx, SYS_rt_sigtimedwait, SYS_close_range, SYS_openat2, SYS_faccessat2, SYS_epoll_pwait2,
	SYS_sched_yield, SYS_rt_sigqueueinfo, SYS_tee, SYS_vmsplice, SYS_copy_file_range, SYS_pidfd_open,
	SYS_pidfd_getfd, SYS_inotify_init1, SYS_inotify_add_watch, SYS_inotify_rm_watch, SYS_sched_getattr,
	SYS_sched_setattr, SYS_sched_setaffinity, SYS_ioprio_get, SYS_ioprio_set, SYS_get_mempolicy,
	SYS_set_mempolicy, SYS_mbind, SYS_clock_settime, SYS_settimeofday, SYS_adjtimex, SYS_shmget,
	SYS_shmat, SYS_shmdt, SYS_shmctl, SYS_semget, SYS_semop, SYS_semtimedop, SYS_semctl, SYS_msgget,
	SYS_msgsnd, SYS_msgrcv, SYS_msgctl,
};

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static char scratch[65536] __attribute__((aligned(4096)));

static uint64_t arg(void)
{
	switch (rnd() % 14) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)-1;
	case 2:
		return rnd() % 8;
	case 3:
		return rnd() % 64;
	case 4:
		return 0x10;
	case 5:
		return 0xffff800000001000ULL;
	case 6:
		return (uint64_t)(scratch + rnd() % sizeof(scratch));
	case 7:
		return (uint64_t)scratch;
	case 8:
		return rnd();
	case 9:
		return rnd() & 0xffffffff;
	case 10:
		return 0x7ffffffff000ULL - rnd() % 8192;
	case 11:
		return (uint64_t)"/tmp/fz";
	case 12:
		return (uint64_t)"/";
	default:
		return 1ULL << (rnd() % 64);
	}
}

static void on_alarm(int s)
{
	(void)s;
}

static void child(int n)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: blocked calls fail EINTR */
	sigaction(SIGALRM, &sa, NULL);
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < 64; k++)
			scratch[rnd() % sizeof(scratch)] = (char)rnd();
		int nr = calls[rnd() % (sizeof(calls) / sizeof(calls[0]))];
		uint64_t a[6];
		for (int k = 0; k < 6; k++)
			a[k] = arg();
		if (nr == SYS_rt_sigaction && (a[0] == SIGALRM || a[0] == SIGKILL))
			continue; /* keep the watchdog */
		if (nr == SYS_rt_sigprocmask || nr == SYS_prctl || nr == SYS_setrlimit || nr == SYS_prlimit64 ||
		    nr == SYS_sigaltstack || nr == SYS_setitimer || nr == SYS_alarm || nr == SYS_rt_sigqueueinfo ||
		    nr == SYS_capset || nr == SYS_setuid || nr == SYS_setresuid || nr == SYS_setreuid)
			if (rnd() % 4)
				continue; /* rarer: they change the child's own rules */
		struct itimerval it = { { 0, 0 }, { 0, 20000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	rng = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	if (!rng)
		rng = 1;
	int rounds = argc > 2 ? atoi(argv[2]) : 20;
	int n = argc > 3 ? atoi(argv[3]) : 500;
	int done = 0, killed = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid fails EINTR */
	sigaction(SIGALRM, &sa, NULL);
	for (int r = 0; r < rounds; r++) {
		uint64_t seed = rnd();
		pid_t c = fork();
		if (c < 0) {
			perror("fork");
			return 1;
		}
		if (c == 0) {
			rng = seed | 1;
			child(n);
		}
		/* The child's own timer cannot always end a blocked call: a
		 * random signal mask (ppoll, pselect6, epoll_pwait, ...) may
		 * block SIGALRM, as it would on Linux. So the parent is the
		 * watchdog: a child still running after 5 s is killed. */
		int st, waited = 0;
		for (;;) {
			alarm(1);
			pid_t w = waitpid(c, &st, 0);
			alarm(0);
			if (w == c)
				break;
			if (w < 0 && errno != EINTR) {
				perror("waitpid");
				return 1;
			}
			if (++waited == 5) {
				kill(c, SIGKILL);
				killed++;
			}
		}
		done++;
	}
	printf("alive %d (%d killed by the watchdog)\n", done, killed);
	return 0;
}
