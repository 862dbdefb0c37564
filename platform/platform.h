/*
 * How application code runs and how its syscalls reach the sentry
 * (DESIGN.md "Platforms").
 *
 * A platform drives "ptasks": host threads that execute application code.
 * The sentry never blocks on a ptask. It resumes one (platform_resume) and
 * later receives a stop through the callback given to platform_create:
 * a syscall the sentry must serve, a fault, a stop it asked for
 * (platform_interrupt), or the end of the host thread.
 *
 * While a ptask is stopped the sentry may read and change its registers
 * (pt->regs, then platform_regs_dirty), read and write its memory, and run
 * host syscalls inside it (platform_syscall: "injection"), e.g. to create
 * a thread or process (platform_clone), to map a host file it was handed
 * (platform_install_fd), or to replace its address space for execve
 * (platform_exec_reset). These calls are synchronous.
 *
 * Every host task runs under the application seccomp filter built by
 * platform/filter.c: the syscalls that must run natively (anonymous memory
 * management, futex, ...) are allowed with argument checks, everything else
 * is reported to the sentry; code of another architecture is killed. The
 * filter's "report" action is the platform's (ptrace: SECCOMP_RET_TRACE; a
 * systrap platform: SECCOMP_RET_TRAP to an in-process stub).
 *
 * Addresses: every host task carries the platform's stub (a page of code at
 * PLATFORM_STUB_BASE and a scratch page after it) that injected syscalls
 * execute from. The sentry must not place application mappings over it.
 *
 * Threading: one thread (the sentry's event loop) calls everything here.
 */
#ifndef MOAT_PLATFORM_H
#define MOAT_PLATFORM_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct ns_loop;
struct platform;
struct ptask;

/* The stub's and the scratch page's fixed addresses (see platform/stub.c). */
#include "layout.h"

enum pstop_kind {
	PSTOP_SYSCALL,	 /* a syscall for the sentry: regs.orig_rax is its number */
	PSTOP_SIGNAL,	 /* a host signal (a fault) was about to be delivered: info */
	PSTOP_INTERRUPT, /* stopped because the sentry asked (platform_interrupt) */
	PSTOP_EXITED,	 /* the host thread is gone; status is its wait status.
			    The ptask is freed when the callback returns. */
};

struct pstop {
	enum pstop_kind kind;
	int status;
	siginfo_t info;
};

typedef void (*platform_stop_fn)(void *ctx, struct ptask *pt, const struct pstop *st);

/* platform_exec_reset's error once the old image is gone. */
#define PLATFORM_ELOST 1100

/* What a fresh address space looks like after platform_exec_reset/spawn. */
struct pimage {
	uint64_t stack_top;	/* highest address of the usable stack region */
	uint64_t vdso;		/* host vDSO ELF header (AT_SYSINFO_EHDR), 0 if none */
	uint64_t hwcap, hwcap2; /* AT_HWCAP/AT_HWCAP2 the host gave */
	uint64_t minsigstksz;	/* AT_MINSIGSTKSZ */
};

/* The part of a ptask every platform shares. */
struct ptask {
	struct platform *plat;
	void *owner;		       /* the sentry's task */
	pid_t host_tid;		       /* in the sentry's pid namespace */
	struct user_regs_struct regs;  /* valid while stopped */
	int regs_dirty;		       /* regs must be written back before resuming */
};

struct platform_config {
	uid_t uid;	     /* host uid the sandbox's root maps to */
	gid_t gid;
	int pids_limit;	     /* advisory (the sentry enforces its own) */
	platform_stop_fn stop_fn;
	void *stop_ctx;
	/* A second seccomp filter every task runs under (the OCI runtime's
	 * linux.seccomp, Docker's profile): what it denies fails on the
	 * host as it would under runc; what it allows still reaches the
	 * sentry through the platform's own filter. NULL: none. */
	const struct sock_fprog *app_filter;
};

struct platform_ops {
	const char *name;
	int (*create)(const struct platform_config *cfg, struct ns_loop *loop, struct platform **out);
	void (*destroy)(struct platform *p);
	/* The first task: a host process in fresh user/mount/pid/ipc/uts/net
	 * namespaces, under the filter, stopped at the stub. */
	int (*spawn)(struct platform *p, struct ptask **out, struct pimage *img);
	/* Replace the address space of pt (and end its other threads) with a
	 * fresh stub image. On failure the old image is intact, except for
	 * -PLATFORM_ELOST: the old image is gone and the new one did not come
	 * up (the task can only be killed). */
	int (*exec_reset)(struct ptask *pt, struct pimage *img);
	/* Run host syscall nr in pt; returns its raw result (-errno). */
	long (*syscall)(struct ptask *pt, long nr, const uint64_t args[6]);
	/* Run clone(flags, stack, ptid, ctid, tls) in pt at the application's
	 * own syscall instruction, so the child returns to the application
	 * code with rax 0. *child is stopped; *ns_tid is its id in the
	 * sandbox's pid namespace. */
	int (*clone)(struct ptask *pt, uint64_t flags, uint64_t stack, uint64_t ptid,
		     uint64_t ctid, uint64_t tls, struct ptask **child, pid_t *ns_tid);
	/* Give pt a copy of host fd; returns its fd number in pt. */
	int (*install_fd)(struct ptask *pt, int hostfd);
	ssize_t (*read)(struct ptask *pt, void *dst, uint64_t addr, size_t len);
	ssize_t (*write)(struct ptask *pt, uint64_t addr, const void *src, size_t len);
	/* Extended FPU state (XSAVE layout); *len in: buffer size, out: used. */
	int (*get_fpregs)(struct ptask *pt, void *buf, size_t *len);
	int (*set_fpregs)(struct ptask *pt, const void *buf, size_t len);
	int (*resume)(struct ptask *pt);
	/* Ask a running ptask to stop (PSTOP_INTERRUPT follows). */
	int (*interrupt)(struct ptask *pt);
	/* Kill pt's whole host thread group; PSTOP_EXITED follows for each. */
	void (*kill)(struct ptask *pt);
	/* Host CPU time of the thread in ns (user+system). */
	uint64_t (*cputime)(struct ptask *pt);
};

struct platform {
	const struct platform_ops *ops;
	struct platform_config cfg;
};

extern const struct platform_ops platform_ptrace_ops;
extern const struct platform_ops platform_systrap_ops;

/* Platform by name ("ptrace"); NULL if unknown. */
const struct platform_ops *platform_find(const char *name);
int platform_create(const struct platform_ops *ops, const struct platform_config *cfg,
		    struct ns_loop *loop, struct platform **out);

static inline void platform_destroy(struct platform *p)
{
	if (p)
		p->ops->destroy(p);
}
static inline int platform_spawn(struct platform *p, struct ptask **out, struct pimage *img)
{
	return p->ops->spawn(p, out, img);
}
static inline int platform_exec_reset(struct ptask *pt, struct pimage *img)
{
	return pt->plat->ops->exec_reset(pt, img);
}
static inline long platform_syscall(struct ptask *pt, long nr, const uint64_t args[6])
{
	return pt->plat->ops->syscall(pt, nr, args);
}
static inline int platform_clone(struct ptask *pt, uint64_t flags, uint64_t stack, uint64_t ptid,
				 uint64_t ctid, uint64_t tls, struct ptask **child, pid_t *ns_tid)
{
	return pt->plat->ops->clone(pt, flags, stack, ptid, ctid, tls, child, ns_tid);
}
static inline int platform_install_fd(struct ptask *pt, int hostfd)
{
	return pt->plat->ops->install_fd(pt, hostfd);
}
static inline ssize_t platform_read(struct ptask *pt, void *dst, uint64_t addr, size_t len)
{
	return pt->plat->ops->read(pt, dst, addr, len);
}
static inline ssize_t platform_write(struct ptask *pt, uint64_t addr, const void *src, size_t len)
{
	return pt->plat->ops->write(pt, addr, src, len);
}
static inline int platform_get_fpregs(struct ptask *pt, void *buf, size_t *len)
{
	return pt->plat->ops->get_fpregs(pt, buf, len);
}
static inline int platform_set_fpregs(struct ptask *pt, const void *buf, size_t len)
{
	return pt->plat->ops->set_fpregs(pt, buf, len);
}
static inline int platform_resume(struct ptask *pt)
{
	return pt->plat->ops->resume(pt);
}
static inline int platform_interrupt(struct ptask *pt)
{
	return pt->plat->ops->interrupt(pt);
}
static inline void platform_kill(struct ptask *pt)
{
	pt->plat->ops->kill(pt);
}
static inline uint64_t platform_cputime(struct ptask *pt)
{
	return pt->plat->ops->cputime(pt);
}
static inline void platform_regs_dirty(struct ptask *pt)
{
	pt->regs_dirty = 1;
}

/* Shared by platforms: the application filter (platform/filter.c). */
struct sock_fprog;
/* Build the BPF program; `report` is the raw seccomp action for syscalls
 * the sentry serves (e.g. SECCOMP_RET_TRACE). Caller frees prog->filter. */
int platform_filter_build(uint32_t report, struct sock_fprog *prog);
/* systrap's: SECCOMP_RET_TRAP, with the stub's own exceptions. */
int platform_filter_build_systrap(struct sock_fprog *prog);
/* Compiles a libseccomp context (a scmp_filter_ctx, released here) into
 * prog (prog->filter is malloc'ed). 0 or -errno. */
int platform_filter_export(void *ctx, struct sock_fprog *prog);
/* The stub image (platform/stub.c): a sealed, read-only, executable memfd;
 * systrap's enters through its signal handlers' set-up. */
int platform_stub_memfd(int systrap);

#endif
