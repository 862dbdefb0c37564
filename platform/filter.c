/*
 * The application seccomp filter: what a sandboxed task may run natively.
 *
 * Policy (DESIGN.md "The sentry": memory stays in the application's own
 * process): anonymous memory management, futexes, the robust list, the
 * clocks and arch_prctl's FS/GS operations run on the host kernel; every
 * other x86-64 syscall is reported to the sentry with the platform's
 * `report` action (the sentry answers ENOSYS for the ones it does not
 * implement, and counts them). Syscalls of another ABI (i386 int 0x80, x32)
 * kill the process: nothing may reach the host kernel unchecked.
 *
 * Argument checks: mmap only with MAP_ANONYMOUS (file mappings go through
 * the sentry, which donates the host fd); arch_prctl only for the four
 * FS/GS codes. None of the allowed calls takes a file descriptor or a path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/filter.h>
#include <seccomp.h>

#include "platform.h"

struct native_rule {
	int nr;
	int argc; /* 0 or 1 */
	struct scmp_arg_cmp cmp;
};

static const int native_plain[] = {
	SYS_munmap, SYS_mprotect, SYS_brk, SYS_madvise, SYS_mremap, SYS_msync,
	SYS_mincore, SYS_munlock, SYS_munlockall, /* mlock*: the sentry (sys_mm.c) */
	SYS_membarrier, SYS_pkey_mprotect, SYS_pkey_alloc, SYS_pkey_free,
	SYS_futex, SYS_futex_waitv, SYS_set_robust_list, SYS_get_robust_list,
	SYS_sched_yield, SYS_getcpu,
	SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday, SYS_time,
};

int platform_filter_build(uint32_t report, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx = seccomp_init(report);
	if (!ctx)
		return -ENOMEM;
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; r == 0 && i < sizeof(native_plain) / sizeof(native_plain[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, native_plain[i], 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
	static const int arch_codes[] = { ARCH_SET_FS, ARCH_GET_FS, ARCH_SET_GS, ARCH_GET_GS };
	for (size_t i = 0; r == 0 && i < 4; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)arch_codes[i], 0));
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	return platform_filter_export(ctx, prog);
}

int platform_filter_export(void *sctx, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx = sctx;
	int r;
	/* libseccomp 2.5 exports to an fd only. */
	int fd = memfd_create("moat-filter", MFD_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		seccomp_release(ctx);
		return r;
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	off_t len = r < 0 ? 0 : lseek(fd, 0, SEEK_END);
	if (r < 0 || len <= 0 || len % (off_t)sizeof(struct sock_filter)) {
		close(fd);
		return r < 0 ? r : -EINVAL;
	}
	if (len / (off_t)sizeof(struct sock_filter) > 65535) {
		close(fd);
		return -E2BIG; /* more instructions than a sock_fprog counts */
	}
	struct sock_filter *f = malloc((size_t)len);
	if (!f || pread(fd, f, (size_t)len, 0) != len) {
		free(f);
		close(fd);
		return -ENOMEM;
	}
	close(fd);
	prog->filter = f;
	prog->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
	return 0;
}
