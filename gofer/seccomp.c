/*
 * The gofer's host syscall allow-list: one table, a reason per entry.
 * Anything else traps; the handler says which syscall on stderr and the
 * gofer dies of SIGSYS (its socket closes, and the sentry's file
 * operations then fail with EIO): a gofer that does what it never does is
 * treated as compromised.
 */
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer.h"
#include "../platform/jail.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static const struct jail_allow allowed[] = {
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
	{ 463, "setxattrat: an attribute of a name below a directory fd" },
	{ 464, "getxattrat" },
	{ 465, "listxattrat" },
	{ 466, "removexattrat" },
	{ SYS_fgetxattr, "attributes on kernels without *xattrat" },
	{ SYS_fsetxattr, "the same" },
	{ SYS_flistxattr, "the same" },
	{ SYS_fremovexattr, "the same" },
	/* memory (malloc) */
	{ SYS_brk, "malloc" },
	{ SYS_mmap, "malloc of large blocks" },
	{ SYS_munmap, "free of large blocks" },
	{ SYS_mremap, "realloc of large blocks" },
	{ SYS_madvise, "free returning memory" },
	{ SYS_mprotect, "malloc's heap growth" },
	/* living and dying */
	{ SYS_rt_sigreturn, "return from a signal handler" },
	{ SYS_rt_sigaction, "the SIGSYS reporter's last act (platform/jail.c)" },
	{ SYS_tgkill, "the SIGSYS reporter's last act" },
	{ SYS_getpid, "the SIGSYS reporter" },
	{ SYS_gettid, "the SIGSYS reporter" },
	{ SYS_restart_syscall, "a call restarted after a signal" },
	{ SYS_clock_gettime, "libc time calls (vDSO fallback)" },
	{ SYS_exit, "exit" },
	{ SYS_exit_group, "exit" },
};

int gofer_seccomp_install(int sock)
{
	scmp_filter_ctx f = jail_filter(allowed, sizeof(allowed) / sizeof(allowed[0]));
	if (!f)
		return -ENOMEM;
	/* the socket to the sentry, nothing else */
	int e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (unsigned)sock));
	if (!e)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (unsigned)sock));
	/* error messages on stderr */
	if (!e)
		e = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, 2));
	if (e) {
		seccomp_release(f);
		return e;
	}
	return jail_filter_load(f, "the gofer", -1, NULL);
}
