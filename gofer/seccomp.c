/*
 * The gofer's host syscall allow-list: one table, a reason per entry.
 * Anything else traps; the handler says which syscall on stderr and the
 * gofer exits (its socket closes, and the sentry's file operations then
 * fail with EIO): a gofer that does what it never does is treated as
 * compromised.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static const struct {
	int nr;
	const char *why;
} allowed[] = {
	/* serving a request (hostfs.c): every call is on an fd the gofer
	 * holds (an export's directory fd or one opened below it) */
	{ SYS_openat, "walk to a directory fd, open a file to donate (O_NOFOLLOW)" },
	{ SYS_close, "drop a cached directory fd, our copy of a donated fd" },
	{ SYS_newfstatat, "attributes of a name (AT_SYMLINK_NOFOLLOW), fstat" },
	{ SYS_fstat, "the type of an opened file" },
	{ SYS_statx, "libc's stat family may use it" },
	{ SYS_fstatfs, "statfs, and refusing the host's kernel file systems" },
	{ SYS_getdents64, "readdir" },
	{ SYS_readlinkat, "readlink" },
	{ SYS_mkdirat, "mkdir" },
	{ SYS_mknodat, "create a FIFO or socket node (devices are refused before)" },
	{ SYS_symlinkat, "symlink" },
	{ SYS_linkat, "link" },
	{ SYS_unlinkat, "unlink, rmdir" },
	{ SYS_renameat2, "rename" },
	{ SYS_renameat, "rename (older libc)" },
	{ SYS_fchmodat, "setattr: mode" },
	{ SYS_fchmodat2, "setattr: mode without following a symlink" },
	{ SYS_fchownat, "setattr: owner" },
	{ SYS_utimensat, "setattr: times" },
	{ SYS_ftruncate, "setattr: size" },
	{ SYS_fcntl, "clear O_NONBLOCK on a file to donate" },
	/* memory (malloc) */
	{ SYS_brk, "malloc" },
	{ SYS_mmap, "malloc of large blocks" },
	{ SYS_munmap, "free of large blocks" },
	{ SYS_mremap, "realloc of large blocks" },
	{ SYS_madvise, "free returning memory" },
	{ SYS_mprotect, "malloc's heap growth" },
	/* living and dying */
	{ SYS_rt_sigreturn, "return from the SIGSYS handler's caller" },
	{ SYS_restart_syscall, "a call restarted after a signal" },
	{ SYS_clock_gettime, "libc time calls (vDSO fallback)" },
	{ SYS_exit, "exit" },
	{ SYS_exit_group, "exit" },
};

static void utoa(char *p, unsigned v)
{
	char t[12];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 11);
	while (n)
		*p++ = t[--n];
	*p = 0;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	char num[12], line[128] = "moat: gofer: host syscall ";
	utoa(num, (unsigned)si->si_syscall);
	strcat(line, num);
	strcat(line, " is not in its seccomp allow-list; the gofer exits\n");
	ssize_t w = write(2, line, strlen(line));
	(void)w;
	syscall(SYS_exit_group, 159);
}

int gofer_seccomp_install(int sock)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_TRAP);
	if (!f)
		return -ENOMEM;
	int e = 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !e; i++)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i].nr, 0);
	/* the socket to the sentry, nothing else */
	if (!e)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1, SCMP_A0(SCMP_CMP_EQ, (unsigned)sock));
	if (!e)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, SCMP_A0(SCMP_CMP_EQ, (unsigned)sock));
	/* error messages on stderr */
	if (!e)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 2));
	if (!e)
		e = seccomp_load(f);
	seccomp_release(f);
	return e;
}
