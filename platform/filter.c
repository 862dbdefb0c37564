/*
 * The application seccomp filter: what a sandboxed task may run natively.
 *
 * Policy (DESIGN.md "The sentry": memory stays in the application's own
 * process): anonymous memory management, futexes, the robust list, the
 * clocks and arch_prctl's FS/GS operations (systrap's: FS only) run on the
 * host kernel; every
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
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "platform.h"
#include "stub.h"

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

/* gs: arch_prctl's GS codes run natively (systrap keeps %gs for itself
 * and serves them: systrap.c). */
static scmp_filter_ctx build(uint32_t report, int gs, int *err)
{
	scmp_filter_ctx ctx = seccomp_init(report);
	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; r == 0 && i < sizeof(native_plain) / sizeof(native_plain[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, native_plain[i], 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
	static const int arch_codes[] = { ARCH_SET_FS, ARCH_GET_FS, ARCH_SET_GS, ARCH_GET_GS };
	for (size_t i = 0; r == 0 && i < (gs ? 4u : 2u); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)arch_codes[i], 0));
	if (r < 0) {
		seccomp_release(ctx);
		*err = r;
		return NULL;
	}
	return ctx;
}

int platform_filter_build(uint32_t report, struct sock_fprog *prog)
{
	int e = 0;
	scmp_filter_ctx ctx = build(report, 1, &e);
	return ctx ? platform_filter_export(ctx, prog) : e;
}

/* seccomp_data offsets */
#define SD_NR 0
#define SD_ARCH 4
#define SD_IP_LO 8
#define SD_IP_HI 12
#define SD_ARG0_LO 16
#define SD_ARG0_HI 20

/*
 * systrap's filter: reported syscalls raise SIGSYS (SECCOMP_RET_TRAP) for
 * the stub's handler. In front of the common program, three exceptions by
 * instruction address, all inside the stub's code page:
 *
 *  - the injection point returns SECCOMP_RET_TRACE: while the sentry holds
 *    the task with ptrace, its injected syscalls stop for it and run (as on
 *    the ptrace platform, where every stop is checked); at any other time
 *    the task is not traced, and the kernel answers ENOSYS. Application
 *    code that jumps there gains nothing.
 *  - the handler's rt_sigreturn, its and the fast path's write to the
 *    bell (fd 2 only), the entry's rt_sigaction and rt_sigprocmask, and
 *    thread_exit's exit are allowed. (Application code that jumps to
 *    them can change its own host signal dispositions, mask and
 *    registers, or end its own thread: it can stop its own syscalls from
 *    being served, nothing more. A SIGSYS it ignores or blocks is forced
 *    back to the default: a kill. A thread that ends unannounced is seen
 *    by its pidfd, as one the host killed.)
 * And the first task's execveat of the stub (fd STUB_FD_STUB) is traced:
 * it runs while moat holds that task, and is ENOSYS after.
 */
int platform_filter_build_systrap(struct sock_fprog *prog)
{
	int e = 0;
	scmp_filter_ctx ctx = build(SECCOMP_RET_TRAP, 0, &e);
	if (!ctx)
		return e;
	e = seccomp_rule_add(ctx, SCMP_ACT_TRACE(0), SCMP_SYS(execveat), 1,
			     SCMP_A0(SCMP_CMP_EQ, STUB_FD_STUB, 0));
	if (e < 0) {
		seccomp_release(ctx);
		return e;
	}
	struct sock_fprog main_prog;
	e = platform_filter_export(ctx, &main_prog);
	if (e < 0)
		return e;
	enum { N = 32 }; /* the prefix's length: its misses jump to N */
	const struct sock_filter pre[N] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARCH),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, N - 2),
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_IP_HI),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(STUB_INJECT_IP >> 32), 0, N - 4),
		/* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_IP_LO),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_INJECT_IP, 0, 1),
		/* 6 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_SIGRET_IP, 0, 3),
		/* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_NR),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 0, N - 10),
		/* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_BELL_IP, 1, 0),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_FAST_BELL_IP, 0, 7),
		/* 13 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_NR),
		/* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, N - 15),
		/* 15 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG0_LO),
		/* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUB_FD_BELL, 0, N - 17),
		/* 17 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG0_HI),
		/* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, N - 19),
		/* 19 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 20 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_SIGACTION_IP, 0, 3),
		/* 21 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_NR),
		/* 22 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigaction, 0, N - 23),
		/* 23 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 24 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_UNBLOCK_IP, 0, 3),
		/* 25 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_NR),
		/* 26 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigprocmask, 0, N - 27),
		/* 27 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 28 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_EXIT_IP, 0, N - 29),
		/* 29 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_NR),
		/* 30 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 0, N - 31),
		/* 31 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	_Static_assert((STUB_INJECT_IP >> 32) == (STUB_SIGRET_IP >> 32) &&
			       (STUB_INJECT_IP >> 32) == (STUB_BELL_IP >> 32) &&
			       (STUB_INJECT_IP >> 32) == (STUB_FAST_BELL_IP >> 32),
		       "one high word for the stub's addresses");
	_Static_assert((STUB_SIGACTION_IP >> 32) == (STUB_INJECT_IP >> 32) &&
			       (STUB_EXIT_IP >> 32) == (STUB_INJECT_IP >> 32),
		       "one high word");
	size_t len = N + (size_t)main_prog.len;
	if (len > 65535) {
		free(main_prog.filter);
		return -E2BIG;
	}
	struct sock_filter *f = malloc(len * sizeof(*f));
	if (!f) {
		free(main_prog.filter);
		return -ENOMEM;
	}
	memcpy(f, pre, sizeof(pre));
	memcpy(f + N, main_prog.filter, main_prog.len * sizeof(*f));
	free(main_prog.filter);
	prog->filter = f;
	prog->len = (unsigned short)len;
	return 0;
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
