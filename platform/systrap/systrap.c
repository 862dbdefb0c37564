/*
 * The systrap platform: reported syscalls reach the sentry without a
 * ptrace stop.
 *
 * The application filter answers the syscalls the sentry serves with
 * SECCOMP_RET_TRAP. The kernel skips the call and raises SIGSYS, whose
 * handler is the stub's (stub.c): it runs on a signal stack inside the
 * thread's mailbox slot (a memfd shared by the sentry and the address
 * space, mapped at STUB_MAILBOX), posts the stop in the mailbox, rings the
 * address space's bell (an eventfd on the sentry's loop), and waits: a
 * short poll, then a futex. The kernel's signal frame, with the
 * application's registers and extended state, is in the shared slot, so the
 * sentry reads and changes them in place; its answer is a store and a
 * futex wake, and the handler's rt_sigreturn loads whatever the sentry
 * left in the frame: a syscall's result, a signal handler's entry, a
 * restarted syscall.
 *
 * The interrupt (platform_interrupt) is a host signal (SIGUSR2) handled the
 * same way; faults (SIGSEGV, SIGBUS, ...) too. The handler blocks every
 * signal while it runs.
 *
 * ptrace stays for what is rare: creating tasks (clone, the first task),
 * execve's fresh address space, and syscalls the sentry injects (mapping a
 * donated fd, reaping, ...). The sentry seizes the thread when it needs
 * one of those (PTRACE_SEIZE + PTRACE_INTERRUPT) and lets it go
 * STICKY_STOPS stops later (meanwhile its SIGSYS stops it through ptrace,
 * st_traced_stop), so start-up and fork/exec do not attach and detach for
 * every syscall; a new task's mailboxes are made only then (setup_pending).
 * A new thread is let go at once, with one rt_sigreturn (thread_frame),
 * and a thread's exit(2) runs in the stub, detached (native_exit).
 * Injected syscalls run from the stub's injection point, which the filter
 * answers with SECCOMP_RET_TRACE: allowed under the sentry's eye, ENOSYS
 * when nobody traces (filter.c).
 *
 * A container's seccomp profile is run by the sentry for the syscalls
 * this platform traps (apply_profile).
 *
 * Exits: a pidfd per thread (PIDFD_THREAD) on the loop.
 *
 * Trust: a mailbox and its frame are memory of the application's address
 * space, so every thread of that process can write them. The sentry reads
 * them as untrusted: pointers must lie in the thread's own slot, the
 * registers are only registers (the kernel checks them at rt_sigreturn),
 * and a mailbox is looked at only for a thread the sentry believes to be
 * running. A process can confuse its own threads, not another process
 * and not the sentry.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <stddef.h>
#include <asm/prctl.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "ns/bpf.h"
#include "ns/loop.h"
#include "systrap.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define SIG_INTERRUPT SIGUSR2
#define FP_XSTATE_MAGIC1 0x46505853U
#define AREA_SIZE ((size_t)STUB_AREA_SIZE)
#define SCRATCH_SIGALTSTACK (PLATFORM_SCRATCH + 0xf00)
#define SCRATCH_SIGMASK (PLATFORM_SCRATCH + 0xf80)

/* The most the handler polls before it sleeps (MOAT_SYSTRAP_SPIN), and
 * the sentry's longest poll after an answer (MOAT_SYSTRAP_POLL_US); both
 * adapt below them (see platform/README.md for the measurements). */
#define DEFAULT_SPIN 1000
#define DEFAULT_POLL_US 20
#define PROBE_EVERY 32 /* answers between two tries at the longest polls */
#define BELL_BATCH_NS 50000 /* the most one ring of a bell serves stops for */


_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]) == UC_RIP &&
		       offsetof(ucontext_t, uc_sigmask) == UC_SIGMASK,
	       "the stub's ucontext offsets");

static void on_bell(int fd, uint32_t events, void *arg);

static ns_time_t now_ns(void)
{
	return ns_clock_now();
}

static struct st_space *space_new(struct pt_platform *p, int *memfd)
{
	struct st_space *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->p = p;
	sp->refs = 1;
	sp->bell = -1;
	int fd = memfd_create("moat-mailbox", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)AREA_SIZE) < 0)
		goto fail;
	sp->area = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sp->area == MAP_FAILED) {
		sp->area = NULL;
		goto fail;
	}
	sp->bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sp->bell < 0 || ns_loop_add_fd(p->loop, sp->bell, EPOLLIN, on_bell, sp) < 0)
		goto fail;
	*memfd = fd;
	return sp;
fail:
	if (fd >= 0)
		close(fd);
	if (sp->bell >= 0)
		close(sp->bell);
	if (sp->area)
		munmap(sp->area, AREA_SIZE);
	free(sp);
	return NULL;
}

static void space_put(struct st_space *sp)
{
	if (--sp->refs > 0)
		return;
	ns_loop_del_fd(sp->p->loop, sp->bell);
	close(sp->bell);
	munmap(sp->area, AREA_SIZE);
	st_sites_put(sp->sites);
	free(sp);
}

static struct stub_mailbox *mailbox(struct pt_task *t)
{
	return (struct stub_mailbox *)(t->space->area + (size_t)t->slot * STUB_SLOT_SIZE);
}

/* t's slot, at its address in the task. */
static uint64_t slot_addr(const struct pt_task *t)
{
	return STUB_MAILBOX + (uint64_t)t->slot * STUB_SLOT_SIZE;
}

/* The thread's signal stack: the rest of its slot. */
static stack_t slot_stack(const struct pt_task *t)
{
	stack_t ss = {
		.ss_sp = (void *)(uintptr_t)(slot_addr(t) + STUB_ALTSTACK_OFF),
		.ss_size = STUB_SLOT_SIZE - STUB_ALTSTACK_OFF,
	};
	return ss;
}

/* The sentry's pointer for [addr, addr+len) of t's slot, or NULL if the
 * range leaves it (the addresses come from the task). */
static void *in_slot(struct pt_task *t, uint64_t addr, size_t len)
{
	uint64_t lo = slot_addr(t);
	if (addr < lo || len > STUB_SLOT_SIZE || addr - lo > STUB_SLOT_SIZE - len)
		return NULL;
	return (uint8_t *)mailbox(t) + (addr - lo);
}

static void space_leave(struct pt_task *t)
{
	struct st_space *sp = t->space;
	if (!sp)
		return;
	struct pt_task **pp = &sp->tasks;
	while (*pp && *pp != t)
		pp = &(*pp)->snext;
	if (*pp)
		*pp = t->snext;
	if (t->slot >= 0)
		sp->used[t->slot / 64] &= ~(1ULL << (t->slot % 64));
	t->space = NULL;
	t->slot = -1;
	space_put(sp);
}

/* A slot for t in sp: `want` if it is free, else the first free one. */
static int space_join(struct pt_task *t, struct st_space *sp, int want)
{
	for (int k = -1; k < STUB_NSLOTS; k++) {
		int i = k < 0 ? want : k;
		if (i < 0 || i >= STUB_NSLOTS || (sp->used[i / 64] & (1ULL << (i % 64))))
			continue;
		sp->used[i / 64] |= 1ULL << (i % 64);
		sp->refs++;
		t->space = sp;
		t->slot = i;
		t->snext = sp->tasks;
		sp->tasks = t;
		struct stub_mailbox *mb = mailbox(t);
		memset(mb, 0, sizeof(*mb));
		mb->spin = t->pinned ? 0 : sp->p->spin;
		mb->one = 1;
		mb->self = STUB_MAILBOX + (uint64_t)i * STUB_SLOT_SIZE;
		return 0;
	}
	return -EAGAIN; /* more threads in one address space than slots */
}

/* ---- holding a task with ptrace ---- */

/* How many stops a task stays attached for after the sentry needed it
 * held (see "Staying attached" in platform/README.md). */
#define STICKY_STOPS 16

/* The thread's own segment state (fs_base, ...) into r: the frame has
 * none, and the thread's is set natively (arch_prctl, CLONE_SETTLS). The
 * %gs base is systrap's (st_patch_gs): `gs` is what r gets. */
static void own_segments(const struct pt_task *t, struct user_regs_struct *r, uint64_t gs)
{
	r->fs_base = t->hregs.fs_base;
	r->gs_base = gs;
	r->cs = t->hregs.cs;
	r->ss = t->hregs.ss;
	r->ds = t->hregs.ds;
	r->es = t->hregs.es;
	r->fs = t->hregs.fs;
	r->gs = t->hregs.gs;
}

static int hold(struct pt_task *t)
{
	t->sticky = STICKY_STOPS;
	if (t->held)
		return 0;
	if (t->state == PTS_GONE)
		return -ESRCH;
	struct pt_platform *p = PT(t->base.plat);
	pid_t tid = t->base.host_tid;
	long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD;
	if (ptrace(PTRACE_SEIZE, tid, 0, opts) < 0 || ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return -errno;
	for (;;) {
		int st;
		int e = pt_wait_tid(p, tid, &st);
		if (e < 0)
			return e;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			pt_stash_push(p, tid, st, NULL);
			t->state = PTS_GONE;
			return -ESRCH;
		}
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) == PTRACE_EVENT_STOP)
			break;
		/* A signal that was on its way: let it be delivered later. */
		if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)WSTOPSIG(st)) < 0)
			return -errno;
	}
	t->held = 1;
	t->state = PTS_EVENT;
	int e = pt_getregs(t);
	if (e < 0)
		return e;
	t->handler_regs = t->hregs;
	/* The application's registers from the frame lack the segment state:
	 * the thread's own is the same (pt_clone runs with them). */
	own_segments(t, &t->base.regs, t->app_gs);
	return 0;
}

int st_hold(struct pt_task *t, int brief)
{
	int was = t->held, sticky = t->sticky;
	int e = hold(t);
	if (e == 0 && brief && !was)
		t->sticky = sticky;
	return e;
}

/* Let go of a held task; it continues at `regs`. The segment state is the
 * thread's own (the frame has none: the sentry's copy of fs_base is not
 * the thread's, which arch_prctl and CLONE_SETTLS set natively). */
static int release(struct pt_task *t, const struct user_regs_struct *regs)
{
	struct user_regs_struct r = *regs;
	own_segments(t, &r, st_patch_gs(t, 0));
	int e = pt_setregs(t, &r);
	if (e == 0 && ptrace(PTRACE_DETACH, t->base.host_tid, 0, 0) < 0)
		e = -errno;
	t->held = 0;
	return e;
}

/* ---- a fresh address space, a new thread ---- */

static long inj(struct pt_task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		uint64_t a5)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	return pt_syscall(&t->base, nr, a);
}

long st_inj(struct pt_task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	    uint64_t a5)
{
	return inj(t, nr, a0, a1, a2, a3, a4, a5);
}

/* No host signal blocked: a clone child inherits the mask of its parent's
 * handler (all blocked), and a blocked SIGSYS would be forced back to the
 * default action at its first syscall (a kill once it runs untraced). */
static int unblock_all(struct pt_task *t)
{
	uint64_t none = 0;
	if (pt_write(&t->base, SCRATCH_SIGMASK, &none, sizeof(none)) != (ssize_t)sizeof(none))
		return -EFAULT;
	long m = inj(t, SYS_rt_sigprocmask, SIG_SETMASK, SCRATCH_SIGMASK, 0, 8, 0, 0);
	return m < 0 ? (int)m : 0;
}

/* The thread's signal stack: its slot. */
static int altstack_setup(struct pt_task *t)
{
	stack_t ss = slot_stack(t);
	if (pt_write(&t->base, SCRATCH_SIGALTSTACK, &ss, sizeof(ss)) != (ssize_t)sizeof(ss))
		return -EFAULT;
	long r = inj(t, SYS_sigaltstack, SCRATCH_SIGALTSTACK, 0, 0, 0, 0, 0);
	return r < 0 ? (int)r : 0;
}

/* Give held t a new space: the mailbox mapping and the bell at
 * STUB_FD_BELL, both received in one recvmsg. (The stub's entry installed
 * the handlers, which a fork child inherits.) A fork child (`slot` >= 0:
 * its parent thread's) holds its parent's bell at STUB_FD_BELL, and its
 * signal stack is already where that slot is. */
static int space_setup(struct pt_task *t, int slot)
{
	struct pt_platform *p = PT(t->base.plat);
	int memfd;
	struct st_space *sp = space_new(p, &memfd);
	if (!sp)
		return -ENOMEM;
	st_stats.spaces++;
	space_leave(t);
	int e = space_join(t, sp, slot);
	space_put(sp); /* t holds it now */
	/* a fork keeps its parent's patched sites (and their area) */
	sp->sites = t->fork_sites;
	t->fork_sites = NULL;
	if (t->app_gs)
		st_patch_gs_taken(sp); /* (set before the space was made) */
	if (e < 0) {
		close(memfd);
		return e;
	}
	if (slot >= 0)
		inj(t, SYS_close, STUB_FD_BELL, 0, 0, 0, 0, 0);
	/* fds 0 and 1 are always open: the bell lands at 2 */
	const int host[2] = { sp->bell, memfd };
	int fds[2];
	e = pt_install_fds(&t->base, host, 2, fds);
	close(memfd);
	if (e < 0)
		return e;
	long r = 0;
	if (fds[0] != STUB_FD_BELL) {
		r = inj(t, SYS_dup3, (uint64_t)fds[0], STUB_FD_BELL, O_CLOEXEC, 0, 0, 0);
		inj(t, SYS_close, (uint64_t)fds[0], 0, 0, 0, 0, 0);
	}
	long m = inj(t, SYS_mmap, STUB_MAILBOX, AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		     (uint64_t)fds[1], 0);
	inj(t, SYS_close, (uint64_t)fds[1], 0, 0, 0, 0, 0);
	if (r < 0)
		return (int)r;
	if (m != (long)STUB_MAILBOX)
		return m < 0 ? (int)m : -EFAULT;
	return slot >= 0 && t->slot == slot ? 0 : altstack_setup(t);
}

/*
 * A new task's mailbox is made when it is first let go untraced, not when
 * it is made: until then its stops come through ptrace (it is held, and
 * stays so for STICKY_STOPS stops), and a short-lived process (a fork
 * that execs, a /bin/true) never needs one. Until then a fork child still
 * maps its parent's mailboxes and holds its parent's bell; it never runs
 * the handler, as every signal it gets stops it first.
 */
enum { SETUP_NONE, SETUP_SPACE, SETUP_FORK, SETUP_THREAD, SETUP_FRAME };

static int setup_pending(struct pt_task *t)
{
	int what = t->pending;
	t->pending = SETUP_NONE;
	switch (what) {
	case SETUP_SPACE:
		return space_setup(t, -1);
	case SETUP_FORK:
		return space_setup(t, t->pending_slot);
	case SETUP_FRAME: {
		/* (let go some other way than thread_frame's) */
		int e = unblock_all(t);
		return e < 0 ? e : altstack_setup(t);
	}
	case SETUP_THREAD:
		return altstack_setup(t);
	default:
		return 0;
	}
}

static ucontext_t *frame_uc(struct pt_task *t);
static uint8_t *frame_fp(struct pt_task *t, size_t *size);
static void regs_to_frame(const struct user_regs_struct *r, ucontext_t *uc);

/*
 * A new thread starts with one rt_sigreturn (SETUP_FRAME). Its parent,
 * stopped in the handler, has every host signal blocked, which the child
 * inherits, and the child has no signal stack (clone clears it): two
 * injections, rt_sigprocmask and sigaltstack, at about two ptrace stops
 * each. Instead, the sentry writes a signal frame at the top of the
 * child's signal stack (its slot: shared memory, no syscall) and lets the
 * child go at the stub's restorer: rt_sigreturn loads its registers, an
 * empty mask, its signal stack (uc_stack) and its FP state, a copy of the
 * parent's from the parent's frame (a new thread inherits it, as on
 * Linux). thread_fp_copy runs at the clone, thread_frame when the child is
 * first let go (the registers are final only then).
 */
static int thread_fp_copy(struct pt_task *parent, struct pt_task *c)
{
	ucontext_t *puc = frame_uc(parent);
	size_t n;
	if (!puc || !frame_fp(parent, &n))
		return -1;
	uint64_t from = (uint64_t)(uintptr_t)puc->uc_mcontext.fpregs;
	size_t m = n > 512 ? n + 4 : n; /* (an XSAVE area ends with FP_XSTATE_MAGIC2) */
	uint8_t *src = in_slot(parent, from, m);
	uint64_t top = slot_addr(c) + STUB_SLOT_SIZE;
	uint64_t to = (top - m) & ~(uint64_t)63;
	uint8_t *dst = in_slot(c, to, m);
	if (!src || !dst)
		return -1;
	memcpy(dst, src, m);
	c->start_fp = to;
	c->start_flags = puc->uc_flags;
	return 0;
}

/* t's frame for the registers r; *g what t is let go with. */
static int thread_frame(struct pt_task *t, const struct user_regs_struct *r, struct user_regs_struct *g)
{
	uint64_t at = (t->start_fp - sizeof(ucontext_t)) & ~(uint64_t)63;
	ucontext_t *uc = in_slot(t, at, sizeof(ucontext_t));
	if (!uc)
		return -EFAULT;
	memset(uc, 0, sizeof(*uc));
	uc->uc_flags = t->start_flags;
	uc->uc_stack = slot_stack(t);
	regs_to_frame(r, uc);
	/* cs, gs, fs, ss (the handler's frames have the kernel's) */
	uc->uc_mcontext.gregs[REG_CSGSFS] = (greg_t)(0x33 | (0x2bULL << 48));
	uc->uc_mcontext.fpregs = (void *)(uintptr_t)t->start_fp;
	*g = *r;
	g->rip = STUB_RESTORER;
	g->rsp = at; /* (rt_sigreturn finds the frame 8 bytes below) */
	return 0;
}

static int st_spawn(struct platform *pl, struct ptask **out, struct pimage *img)
{
	int e = pt_spawn(pl, out, img);
	if (e < 0)
		return e;
	struct pt_task *t = PTT(*out);
	t->pending = SETUP_SPACE;
	t->sticky = STICKY_STOPS;
	return 0;
}

/* A stopped task, held for an injection. */
static int hold_stopped(struct ptask *pt)
{
	struct pt_task *t = PTT(pt);
	if (t->state == PTS_RUNNING || t->state == PTS_GONE)
		return -ESRCH;
	return hold(t);
}

static int st_exec_reset(struct ptask *pt, struct pimage *img)
{
	struct pt_task *t = PTT(pt);
	int e = hold_stopped(pt);
	if (e < 0)
		return e;
	e = pt_exec_reset(pt, img);
	if (e == 0 || e == -PLATFORM_ELOST) {
		/* the old image and its mailboxes are gone; the new one's come
		 * when it is let go (its entry cleared the signal mask) */
		space_leave(t);
		t->pending = SETUP_SPACE;
		t->app_gs = 0;
		st_sites_put(t->fork_sites);
		t->fork_sites = NULL;
	}
	return e;
}

static long st_syscall(struct ptask *pt, long nr, const uint64_t args[6])
{
	int e = hold_stopped(pt);
	return e < 0 ? e : pt_syscall(pt, nr, args);
}

static int st_install_fd(struct ptask *pt, int hostfd)
{
	int e = hold_stopped(pt);
	return e < 0 ? e : pt_install_fd(pt, hostfd);
}

static int st_clone(struct ptask *pt, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls,
		    struct ptask **child, pid_t *ns_tid)
{
	struct pt_task *t = PTT(pt);
	int sticky = t->sticky;
	int e = hold_stopped(pt);
	if (e < 0)
		return e;
	int thread = (flags & (CLONE_VM | CLONE_THREAD)) == (CLONE_VM | CLONE_THREAD);
	if (thread)
		t->sticky = sticky; /* (see "A new thread" below) */
	/* A CLONE_VM child shares its parent's mailboxes, so they are made
	 * first if the parent (held since it started) has none yet: one
	 * without CLONE_FILES (a vfork) copies the fd table, the bell at fd
	 * 2 with it, at the clone. (They were made after it, and a vfork
	 * child let go untraced, after 16 syscalls, rang no bell: it
	 * waited for an answer forever.) */
	if ((flags & CLONE_VM) && !t->space) {
		e = setup_pending(t);
		if (e < 0)
			return e;
	}
	/* The host clone runs at the stub's injection point with the
	 * application's registers; the child (its own stack and TLS, rax 0)
	 * then returns where the application's syscall would have. */
	struct user_regs_struct app = pt->regs;
	e = pt_clone(pt, flags, stack, ptid, ctid, tls, child, ns_tid);
	if (e < 0)
		return e;
	struct pt_task *c = PTT(*child);
	c->base.regs.rip = app.rip;
	c->base.regs.rcx = app.rcx; /* what syscall left in them */
	c->base.regs.r11 = app.r11;
	c->base.regs_dirty = 1;
	/* A new thread: its process's mailboxes exist, so staying attached
	 * would only make its stops ptrace's (a thread per request, as
	 * python3's http.server makes, ran on ptrace all its life), and its
	 * parent is let go as it was. Any other child (a fork, a vfork:
	 * flags has no CLONE_VFORK, the sentry makes the parent wait) stays
	 * attached: it usually execs soon. */
	c->sticky = thread ? 0 : STICKY_STOPS;
	c->app_gs = t->app_gs;
	if (c->pinned) /* (the host clone copied its parent's affinity) */
		PT(pt->plat)->st_npinned++;
	/* A parent stopped in the handler has every host signal blocked,
	 * which the child inherits; one held at a ptrace stop (a sticky
	 * task: fork loops) has its own, empty, mask. */
	e = 0;
	if (flags & CLONE_VM) {
		e = t->space ? space_join(c, t->space, -1) : -EIO;
		c->pending = SETUP_THREAD;
		if (e == 0 && thread && t->in_handler && thread_fp_copy(t, c) == 0)
			c->pending = SETUP_FRAME; /* (its mask too) */
	} else {
		c->pending = SETUP_FORK;
		c->pending_slot = t->slot;
		/* (a parent that has no space yet is itself a fork whose
		 * sites, and their patched code, are still pending) */
		c->fork_sites = st_sites_fork(t->space ? t->space->sites : t->fork_sites);
	}
	if (e == 0 && t->in_handler && c->pending != SETUP_FRAME)
		e = unblock_all(c);
	if (e < 0) {
		pt_kill(*child);
		*child = NULL;
	}
	return e;
}

/* ---- registers and extended state in the frame ---- */

/* (the kernel's frame is aligned; one that is not was forged) */
static ucontext_t *frame_uc(struct pt_task *t)
{
	return t->mb_uc % 8 ? NULL : in_slot(t, t->mb_uc, sizeof(ucontext_t));
}

static void regs_from_frame(const ucontext_t *uc, struct user_regs_struct *r)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	memset(r, 0, sizeof(*r));
	r->r8 = (uint64_t)g[REG_R8];
	r->r9 = (uint64_t)g[REG_R9];
	r->r10 = (uint64_t)g[REG_R10];
	r->r11 = (uint64_t)g[REG_R11];
	r->r12 = (uint64_t)g[REG_R12];
	r->r13 = (uint64_t)g[REG_R13];
	r->r14 = (uint64_t)g[REG_R14];
	r->r15 = (uint64_t)g[REG_R15];
	r->rdi = (uint64_t)g[REG_RDI];
	r->rsi = (uint64_t)g[REG_RSI];
	r->rbp = (uint64_t)g[REG_RBP];
	r->rbx = (uint64_t)g[REG_RBX];
	r->rdx = (uint64_t)g[REG_RDX];
	r->rax = (uint64_t)g[REG_RAX];
	r->rcx = (uint64_t)g[REG_RCX];
	r->rsp = (uint64_t)g[REG_RSP];
	r->rip = (uint64_t)g[REG_RIP];
	r->eflags = (uint64_t)g[REG_EFL];
	r->cs = 0x33;
	r->ss = 0x2b;
	r->orig_rax = (uint64_t)-1;
}

static void regs_to_frame(const struct user_regs_struct *r, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_R8] = (greg_t)r->r8;
	g[REG_R9] = (greg_t)r->r9;
	g[REG_R10] = (greg_t)r->r10;
	g[REG_R11] = (greg_t)r->r11;
	g[REG_R12] = (greg_t)r->r12;
	g[REG_R13] = (greg_t)r->r13;
	g[REG_R14] = (greg_t)r->r14;
	g[REG_R15] = (greg_t)r->r15;
	g[REG_RDI] = (greg_t)r->rdi;
	g[REG_RSI] = (greg_t)r->rsi;
	g[REG_RBP] = (greg_t)r->rbp;
	g[REG_RBX] = (greg_t)r->rbx;
	g[REG_RDX] = (greg_t)r->rdx;
	g[REG_RAX] = (greg_t)r->rax;
	g[REG_RCX] = (greg_t)r->rcx;
	g[REG_RSP] = (greg_t)r->rsp;
	g[REG_RIP] = (greg_t)r->rip;
	g[REG_EFL] = (greg_t)r->eflags; /* rt_sigreturn keeps only the user flags */
}

/* The frame's XSAVE area and its size, or NULL. */
static uint8_t *frame_fp(struct pt_task *t, size_t *size)
{
	ucontext_t *uc = frame_uc(t);
	if (!uc)
		return NULL;
	uint64_t addr = (uint64_t)(uintptr_t)uc->uc_mcontext.fpregs;
	uint8_t *fp = in_slot(t, addr, 512);
	if (!fp)
		return NULL;
	struct _fpx_sw_bytes sw;
	memcpy(&sw, fp + 464, sizeof(sw));
	size_t n = 512;
	if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size > 512 && in_slot(t, addr, sw.xstate_size))
		n = sw.xstate_size;
	*size = n;
	return fp;
}

static int st_get_fpregs(struct ptask *pt, void *buf, size_t *len)
{
	struct pt_task *t = PTT(pt);
	if (!t->in_handler) {
		/* (the fast path has no frame: the thread's own state) */
		int e = t->in_fast ? st_hold(t, 1) : 0;
		return e < 0 ? e : pt_get_fpregs(pt, buf, len);
	}
	size_t n;
	uint8_t *fp = frame_fp(t, &n);
	if (!fp || *len < 512)
		return -EFAULT;
	memset(buf, 0, *len);
	memcpy(buf, fp, n < *len ? n : *len);
	return 0;
}

static int st_set_fpregs(struct ptask *pt, const void *buf, size_t len)
{
	struct pt_task *t = PTT(pt);
	if (!t->in_handler) {
		int e = t->in_fast ? st_hold(t, 1) : 0;
		return e < 0 ? e : pt_set_fpregs(pt, buf, len);
	}
	size_t n;
	uint8_t *fp = frame_fp(t, &n);
	if (!fp || len < 512)
		return -EFAULT;
	/* The software-reserved bytes describe the frame's own layout, which
	 * rt_sigreturn checks: keep them. */
	memcpy(fp, buf, 464);
	if (n > 512)
		memcpy(fp + 512, (const uint8_t *)buf + 512, (len < n ? len : n) - 512);
	return 0;
}

/* ---- the container's seccomp profile ----
 *
 * A profile (platform_config.app_filter: the OCI runtime's linux.seccomp,
 * Docker's default) runs on the host beside the platform's filter, and
 * the kernel takes the action of highest precedence. Under ptrace the
 * platform's SECCOMP_RET_TRACE ranks below the profile's ERRNO, KILL and
 * TRAP, so the host enforces the profile. SECCOMP_RET_TRAP outranks
 * ERRNO: the profile's refusals of the syscalls systrap traps would never
 * happen. So the sentry runs the profile itself (the netstack's classic
 * BPF interpreter) on every trapped syscall and does what the kernel
 * would. The calls it lets run natively stay the host's to judge. */

/* The profile's verdict on a syscall (SECCOMP_RET_ALLOW without one). */
static uint32_t profile_verdict(struct pt_platform *p, long nr, uint64_t ip, const uint64_t args[6])
{
	const struct sock_fprog *f = p->base.cfg.app_filter;
	if (!f)
		return SECCOMP_RET_ALLOW;
	/* struct seccomp_data, each 32-bit word big-endian: the interpreter
	 * loads words in network order, as a socket filter does */
	uint32_t w[16] = { (uint32_t)nr, AUDIT_ARCH_X86_64, (uint32_t)ip, (uint32_t)(ip >> 32) };
	for (int i = 0; i < 6; i++) {
		w[4 + 2 * i] = (uint32_t)args[i];
		w[5 + 2 * i] = (uint32_t)(args[i] >> 32);
	}
	uint8_t buf[64];
	for (int i = 0; i < 16; i++) {
		buf[4 * i] = (uint8_t)(w[i] >> 24);
		buf[4 * i + 1] = (uint8_t)(w[i] >> 16);
		buf[4 * i + 2] = (uint8_t)(w[i] >> 8);
		buf[4 * i + 3] = (uint8_t)w[i];
	}
	struct ns_bpf_pkt pkt = { .base = buf, .base_len = sizeof(buf), .nh = -1, .mac = -1 };
	return ns_bpf_run(f->filter, &pkt);
}

/* The stub's own host syscalls must pass the profile, or systrap cannot
 * work under it (ptrace is used instead). */
static int profile_allows_stub(struct pt_platform *p)
{
	const struct sock_fprog *f = p->base.cfg.app_filter;
	if (!f)
		return 1;
	if (ns_bpf_check(f->filter, f->len) < 0)
		return 0;
	static const struct {
		long nr;
		uint64_t ip, a0, a1, a2, a3;
	} own[] = {
		{ SYS_write, STUB_BELL_IP, STUB_FD_BELL, 0, 8, 0 },
		{ SYS_write, STUB_FAST_BELL_IP, STUB_FD_BELL, 0, 8, 0 },
		{ SYS_rt_sigreturn, STUB_SIGRET_IP, 0, 0, 0, 0 },
		{ SYS_rt_sigaction, STUB_SIGACTION_IP, SIGSYS, STUB_SIGACTION_ACT, 0, 8 },
		{ SYS_rt_sigprocmask, STUB_UNBLOCK_IP, SIG_SETMASK, STUB_UNBLOCK_MASK, 0, 8 },
		{ SYS_futex, STUB_FUTEX_IP, STUB_MAILBOX, FUTEX_WAIT, 1, 0 },
		{ SYS_futex, STUB_FAST_FUTEX_IP, STUB_MAILBOX, FUTEX_WAIT, 1, 0 },
		{ SYS_exit, STUB_EXIT_IP, 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		uint64_t a[6] = { own[i].a0, own[i].a1, own[i].a2, own[i].a3, 0, 0 };
		uint32_t v = profile_verdict(p, own[i].nr, own[i].ip, a) & SECCOMP_RET_ACTION_FULL;
		if (v != SECCOMP_RET_ALLOW && v != SECCOMP_RET_LOG)
			return 0;
	}
	return 1;
}

static int st_resume(struct ptask *pt);

/* A trapped syscall of t (regs in t->base.regs) meets the profile: 0 if it
 * goes to the sentry (st as it is, or made a SIGSYS for the application),
 * 1 if it was dealt with here. */
static int apply_profile(struct pt_task *t, struct pstop *st)
{
	struct pt_platform *p = PT(t->base.plat);
	if (!p->base.cfg.app_filter)
		return 0;
	struct user_regs_struct *r = &t->base.regs;
	uint64_t a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	long nr = (long)r->orig_rax;
	uint32_t v = profile_verdict(p, nr, r->rip, a);
	uint32_t data = v & SECCOMP_RET_DATA;
	switch (v & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return 0;
	case SECCOMP_RET_TRAP:
		st->kind = PSTOP_SIGNAL;
		memset(&st->info, 0, sizeof(st->info));
		st->info.si_signo = SIGSYS;
		st->info.si_code = 1; /* SYS_SECCOMP */
		st->info.si_errno = (int)data;
		st->info.si_call_addr = (void *)(uintptr_t)r->rip;
		st->info.si_syscall = (int)nr;
		st->info.si_arch = AUDIT_ARCH_X86_64;
		t->sc_stop = 0;
		r->orig_rax = (uint64_t)-1;
		return 0;
	case SECCOMP_RET_ERRNO:
		r->rax = (uint64_t)-(long)(data > 4095 ? 4095 : data);
		break;
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		r->rax = (uint64_t)-ENOSYS; /* no tracer, no listener: Linux's answer */
		break;
	default: /* the kill actions */
		pt_kill(&t->base);
		return 1;
	}
	r->orig_rax = (uint64_t)-1;
	t->sc_stop = 0;
	st_resume(&t->base);
	return 1;
}

/* ---- co-location: when polling does not pay ----
 *
 * The two sides' polls pay only when each runs on a CPU of its own. On a
 * busy machine they fail, and every hand-off is a sleeping one that
 * crosses CPUs (two cross-CPU wake-ups: 59-75 us for a getppid with both
 * CPUs taken, where ptrace, which keeps a task beside its sentry, took
 * 18-30). The evidence is the answer after each PROBE_EVERY reset, when
 * the handler polled its longest: if such an answer, a quick one (the
 * sentry answered within QUICK_NS: a syscall, not a wait), still finds
 * the handler asleep in COLD_OF of SAMPLES tries, the task is pinned to
 * the sentry's CPU, with the sentry itself, and stops polling (both sides
 * sleep at once: a wake-up on one CPU, as on ptrace). Not a task that
 * computes between its syscalls (PIN_RUN_NS of CPU time on average, as
 * ptrace's placement): it would take the sentry's CPU. Pinned, it is let
 * go to every CPU now and then to see whether polling works again (a
 * probe: SAMPLES answers back to back, polls at their longest); one that
 * fails doubles the wait for the next, up to PROBE_GAP_MAX answers. MOAT_PIN=0 turns this off, as it does
 * ptrace's placement. */
#define QUICK_NS 50000ull
#define SAMPLES 4
#define COLD_OF 3
#define PIN_RUN_NS 50000ull /* the most CPU time between stops of a task to pin */
#define PROBE_GAP_MIN 256u  /* answers pinned before the first probe */
#define PROBE_GAP_MAX 16384u

static int colocate_on(struct pt_platform *p)
{
	if (!p->st_coloc)
		p->st_coloc = pt_placement_allowed(p) ? 1 : -1;
	return p->st_coloc > 0;
}

/* No task beside the sentry any more: the sentry goes back to every CPU. */
static void sentry_free_if_alone(struct pt_platform *p)
{
	if (p->st_npinned == 0)
		sched_setaffinity(0, sizeof(p->all), &p->all);
}

static void colocate(struct pt_platform *p, struct pt_task *t, int pin)
{
	if (t->pinned == pin)
		return;
	/* the sentry stays on the CPU it is on while any task is beside it */
	if (pin && p->st_npinned == 0 && pt_pin_sentry_here(p) < 0)
		return;
	const cpu_set_t *set = pin ? &p->one : &p->all;
	if (sched_setaffinity(t->base.host_tid, sizeof(*set), set) == 0) {
		t->pinned = pin;
		p->st_npinned += pin ? 1 : -1;
		st_stats.pins += pin;
	}
	sentry_free_if_alone(p);
}

/* The task is gone. */
static void st_colocate_forget(struct pt_task *t)
{
	struct pt_platform *p = PT(t->base.plat);
	if (!t->pinned)
		return;
	t->pinned = 0;
	p->st_npinned--;
	sentry_free_if_alone(p);
}

/* t's answer number t->answers, which found its handler asleep or not. */
static void colocate_account(struct pt_platform *p, struct pt_task *t, int asleep)
{
	struct stub_mailbox *mb = mailbox(t);
	if (t->pinned) {
		if (++t->probe_in < t->probe_gap)
			return;
		/* a probe: on every CPU, polls at their longest */
		t->probe_in = 0;
		t->probing = 1;
		st_stats.probes++;
		colocate(p, t, 0);
		mb->spin = p->spin;
		p->poll_ns = p->spin_ns;
		t->answers = 0;
		return;
	}
	if (t->probing) {
		/* A probe samples answers back to back, each with the polls
		 * at their longest (a probe of SAMPLES answers costs little
		 * even where it fails); not its first, whose stop was made
		 * pinned, without a poll. */
		mb->spin = p->spin;
		p->poll_ns = p->spin_ns;
		if (t->probing++ == 1)
			return;
	} else if (t->answers % PROBE_EVERY != 1) {
		return; /* (a sample: the answer after a reset of the polls to their longest) */
	}
	if (now_ns() - t->stop_ns >= QUICK_NS || !colocate_on(p))
		return;
	t->cold += asleep;
	if (t->quick++ == 0) {
		/* (the task's CPU time between stops is measured over the
		 * samples' answers) */
		t->cpu_ns = pt_cputime(&t->base);
		t->stops = t->answers;
		return;
	}
	if (t->quick < SAMPLES)
		return;
	int collapsed = t->cold >= COLD_OF;
	t->quick = t->cold = 0;
	uint64_t cpu = pt_cputime(&t->base);
	uint64_t ran = cpu > t->cpu_ns && t->answers > t->stops ? (cpu - t->cpu_ns) / (t->answers - t->stops) : 0;
	if (!collapsed || !cpu || !t->cpu_ns || ran >= PIN_RUN_NS) {
		if (t->probing)
			t->probe_gap = PROBE_GAP_MIN;
		t->probing = 0;
		return;
	}
	t->probe_gap = !t->probing ? PROBE_GAP_MIN : t->probe_gap < PROBE_GAP_MAX ? t->probe_gap * 2 : PROBE_GAP_MAX;
	t->probing = 0;
	t->probe_in = 0;
	colocate(p, t, 1);
	if (t->pinned)
		mb->spin = 0;
}

/* ---- stops and answers ---- */

static void hot_add(struct pt_platform *p, struct pt_task *t);

static void answer(struct pt_task *t)
{
	struct stub_mailbox *mb = mailbox(t);
	struct pt_platform *p = PT(t->base.plat);
	/* Both polls adapt: halved when they were wasted, doubled (the
	 * handler's) when they worked. A busy machine, where the two sides
	 * do not run at once, settles at almost no polling; so every
	 * PROBE_EVERY answers both try their longest again, or a collapsed
	 * pair would never learn that polling works again (a poll that is
	 * too short always misses). A task pinned beside the sentry does not
	 * poll, and is not polled for: the two would take turns on one CPU. */
	if (!t->pinned) {
		if ((++t->answers % PROBE_EVERY) == 0) {
			mb->spin = p->spin;
			p->poll_ns = p->spin_ns;
		}
		hot_add(p, t);
	}
	__atomic_exchange_n(&mb->state, MB_ANSWERED, __ATOMIC_SEQ_CST);
	uint32_t spin = mb->spin;
	int asleep = (int)__atomic_load_n(&mb->sleeping, __ATOMIC_SEQ_CST);
	if (asleep) {
		mb->spin = spin / 2;
		syscall(SYS_futex, &mb->state, FUTEX_WAKE, 1, NULL, NULL, 0);
	} else if (spin < p->spin && !t->pinned) {
		mb->spin = spin * 2 + 16 < p->spin ? spin * 2 + 16 : p->spin;
	}
	colocate_account(p, t, asleep);
}

/* Continue a held task at r: still traced while it has sticky stops
 * left, else detached. */
static int let_go(struct pt_task *t, const struct user_regs_struct *r)
{
	if (t->sticky <= 0) {
		if (t->pending == SETUP_FRAME) {
			struct user_regs_struct g;
			if (thread_frame(t, r, &g) == 0) {
				t->pending = SETUP_NONE;
				st_stats.framed++;
				return release(t, &g);
			}
		}
		int e = setup_pending(t);
		if (e < 0) {
			/* it cannot run untraced without its mailbox */
			pt_kill(&t->base);
			return e;
		}
		return release(t, r);
	}
	/* Traced: patched sites take the trapped way (the fast path would
	 * post to a mailbox the sentry does not read while it holds t). A
	 * new thread runs with no host signal blocked. */
	if (t->pending == SETUP_FRAME) {
		int e = unblock_all(t);
		if (e < 0)
			return e;
		t->pending = SETUP_THREAD;
	}
	struct user_regs_struct g = *r;
	g.gs_base = st_patch_gs(t, 1);
	int e = pt_setregs(t, &g);
	if (e == 0 && ptrace(PTRACE_CONT, t->base.host_tid, 0, 0) < 0)
		e = -errno;
	return e;
}

int st_unhold(struct pt_task *t)
{
	int e = let_go(t, &t->handler_regs);
	t->state = PTS_RUNNING;
	return e;
}

/* Runs the stopped syscall nr on the host, in t held, with the stop's
 * own arguments (what the application may run natively); brief as
 * st_hold's. */
static long run_native(struct pt_task *t, long nr, int brief)
{
	const struct user_regs_struct *r = &t->base.regs;
	uint64_t a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	long e = st_hold(t, brief);
	return e ? e : pt_syscall(&t->base, nr, a);
}

/* The application's GS codes of arch_prctl (systrap keeps %gs: the
 * filter reports them and the sentry answers -ENATIVE). 1 if served into
 * *ret. */
static int serve_gs(struct pt_task *t, long *ret)
{
	struct user_regs_struct *r = &t->base.regs;
	if ((long)r->orig_rax != SYS_arch_prctl)
		return 0;
	if (r->rdi == ARCH_GET_GS) {
		uint64_t v = t->app_gs;
		*ret = pt_write(&t->base, r->rsi, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -EFAULT;
		return 1;
	}
	if (r->rdi != ARCH_SET_GS)
		return 0;
	/* The host checks the address; from now on the process's %gs is its
	 * own, and its patched sites take the trapped way. */
	long e = run_native(t, SYS_arch_prctl, 0);
	if (e == 0) {
		st_patch_gs_taken(t->space);
		t->app_gs = r->rsi;
	}
	*ret = e;
	return 1;
}

/* Only the result differs from the fast stop's registers. */
static int result_only(const struct user_regs_struct *r, const struct user_regs_struct *f)
{
	return r->rip == f->rip && r->rsp == f->rsp && r->rdi == f->rdi && r->rsi == f->rsi && r->rdx == f->rdx &&
	       r->r10 == f->r10 && r->r8 == f->r8 && r->r9 == f->r9 && r->rbx == f->rbx && r->rbp == f->rbp &&
	       r->r12 == f->r12 && r->r13 == f->r13 && r->r14 == f->r14 && r->r15 == f->r15;
}

/* Answer a stop of the fast path: a result alone goes back through the
 * mailbox; anything else (a signal handler to run, a restart) is set with
 * ptrace, and the thread leaves the fast path. */
static int fast_answer(struct pt_task *t)
{
	struct ptask *pt = &t->base;
	struct stub_mailbox *mb = mailbox(t);
	t->in_fast = 0;
	pt->regs_dirty = 0;
	if (result_only(&pt->regs, &t->fast_regs)) {
		if (t->held) {
			int e = let_go(t, &t->handler_regs);
			if (e < 0)
				return e;
		}
		mb->result = pt->regs.rax;
		t->fast_result = pt->regs.rax;
		t->fast_armed = 1;
		t->state = PTS_RUNNING;
		answer(t);
		return 0;
	}
	st_stats.redirected++;
	int e = st_hold(t, 1);
	if (e < 0)
		return e;
	__atomic_store_n(&mb->state, MB_RUNNING, __ATOMIC_RELAXED);
	mb->sleeping = 0;
	uint32_t sig = mb->defer;
	if (sig) {
		/* A host signal it kept back: queued again. */
		siginfo_t si;
		memcpy(&si, mb->dinfo, sizeof(si));
		mb->defer = 0;
		long tgid = inj(t, SYS_getpid, 0, 0, 0, 0, 0, 0);
		if (sig <= 64 && tgid > 0 && pt_write(pt, PLATFORM_SCRATCH, &si, sizeof(si)) == (ssize_t)sizeof(si))
			inj(t, SYS_rt_tgsigqueueinfo, (uint64_t)tgid, (uint64_t)pt->host_tid, sig, PLATFORM_SCRATCH, 0,
			    0);
	}
	/* No host signal stays blocked: the mask a kept-back signal left,
	 * and the handler's own (all blocked) if the thread was stopped
	 * inside it, keeping a signal back, which it now never leaves with
	 * rt_sigreturn. (A SIGSYS blocked at the next trapped syscall is a
	 * kill; that signal itself is lost, as only an interrupt or a
	 * CPU-time tick can be there.) */
	unblock_all(t);
	struct user_regs_struct r = pt->regs;
	r.orig_rax = (uint64_t)-1; /* no restart of the futex it waited in */
	e = let_go(t, &r);
	t->state = PTS_RUNNING;
	return e;
}

/* exit(2), which the sentry lets run natively: the thread is sent to the
 * stub's thread_exit and ends itself, detached; its pidfd tells the loop
 * (on_pidfd), which reports the status the sentry recorded. Stopped in the
 * handler, the answer does it, with every host signal blocked (a signal
 * there would find the thread half gone); at a traced stop, the detach
 * does. This spares a thread's end an attach and an injected exit (a
 * quarter of a short thread's cost), and a leader that ends before its
 * other threads is no longer waited for with waitpid, which reports it
 * only when the last of them is gone (the sentry hung there). */
static int native_exit(struct pt_task *t)
{
	struct ptask *pt = &t->base;
	struct user_regs_struct r = pt->regs;
	r.rip = STUB_EXIT;
	t->exit_status = (int)(r.rdi & 0xff) << 8;
	st_stats.native_exits++;
	pt->regs_dirty = 0;
	t->state = PTS_RUNNING;
	if (!t->in_handler) {
		r.orig_rax = (uint64_t)-1;
		return release(t, &r);
	}
	ucontext_t *uc = frame_uc(t);
	if (!uc)
		return -EFAULT;
	regs_to_frame(&r, uc);
	memset(&uc->uc_sigmask, 0xff, 8);
	t->in_handler = 0;
	if (t->held) {
		t->sticky = 0;
		int e = let_go(t, &t->handler_regs);
		if (e < 0)
			return e;
	}
	answer(t);
	return 0;
}

static int st_resume(struct ptask *pt)
{
	struct pt_task *t = PTT(pt);
	if (t->state == PTS_RUNNING)
		return 0;
	if (t->state == PTS_GONE)
		return -ESRCH;
	int native = t->sc_stop && (long)pt->regs.orig_rax >= 0;
	long stop_nr = t->stop_nr;
	t->sc_stop = 0;
	t->stop_nr = -1;
	if (native && (long)pt->regs.orig_rax == SYS_exit && !t->in_fast)
		return native_exit(t);
	if (native && (long)pt->regs.orig_rax == SYS_exit_group) {
		/* -ENATIVE for exit_group: the sentry has the status already;
		 * a kill ends the group without holding the thread. */
		pt_kill(pt);
		return 0;
	}
	if (native) {
		/* -ENATIVE: the host runs it (exit of a thread, CPU-clock
		 * timers, mlock). */
		long r;
		if (!serve_gs(t, &r))
			r = run_native(t, (long)pt->regs.orig_rax, 0);
		if (r == -ESRCH)
			return -ESRCH;
		pt->regs.rax = (uint64_t)r;
		pt->regs.orig_rax = (uint64_t)-1;
	}
	/* a restarted syscall whose site was patched meanwhile */
	st_patch_fix_rip(t, &pt->regs);
	if (t->in_fast)
		return fast_answer(t);
	if (!t->in_handler) {
		/* Held at a ptrace stop (a fresh image, a new child, a traced
		 * syscall). */
		int e = let_go(t, &pt->regs);
		pt->regs_dirty = 0;
		if (e < 0)
			return e;
		t->state = PTS_RUNNING;
		return 0;
	}
	if (stop_nr >= 0 && !native && pt->regs.rip == t->stop_rip)
		st_patch_answered(t, stop_nr, t->stop_rip);
	if (t->held) {
		int e = let_go(t, &t->handler_regs);
		if (e < 0)
			return e;
	}
	ucontext_t *uc = frame_uc(t);
	if (uc) {
		regs_to_frame(&pt->regs, uc);
		/* no host signal stays blocked (the handler blocks them only
		 * while the fast path keeps one back) */
		memset(&uc->uc_sigmask, 0, 8);
	}
	pt->regs_dirty = 0;
	t->in_handler = 0;
	t->state = PTS_RUNNING;
	answer(t);
	return 0;
}

/* A trapped mprotect or pkey_mprotect that makes memory writable (the
 * patch area's filter reports them): the patched sites there get their
 * code back, then the host runs it. */
static int writable_stop(struct pt_task *t)
{
	struct user_regs_struct *r = &t->base.regs;
	long nr = (long)r->orig_rax;
	if (nr != SYS_mprotect && nr != SYS_pkey_mprotect)
		return 0;
	st_patch_writable(t, r->rdi, r->rsi);
	long e = run_native(t, nr, 1);
	if (e == -ESRCH)
		return 1;
	r->rax = (uint64_t)e;
	r->orig_rax = (uint64_t)-1;
	t->sc_stop = 0;
	st_resume(&t->base);
	return 1;
}

int st_traced_stop(struct pt_task *t, int sig, const siginfo_t *info)
{
	struct pt_platform *p = PT(t->base.plat);
	struct pstop st;
	memset(&st, 0, sizeof(st));
	if (sig == SIGSYS && info->si_code == 1 /* SYS_SECCOMP */) {
		st.kind = PSTOP_SYSCALL;
	} else if (sig == SIG_INTERRUPT && info->si_code == SI_TKILL) {
		if (!t->interrupt_pending) {
			/* stale: discard it */
			t->state = PTS_RUNNING;
			ptrace(PTRACE_CONT, t->base.host_tid, 0, 0);
			return 1;
		}
		t->interrupt_pending = 0;
		st.kind = PSTOP_INTERRUPT;
	} else {
		return 0;
	}
	if (pt_getregs(t) < 0)
		return 1;
	t->sticky--;
	t->in_handler = 0;
	t->in_fast = 0;
	t->stop_nr = -1;
	t->mb_sig = sig;
	t->base.regs = t->hregs;
	t->base.regs.gs_base = t->app_gs;
	t->base.regs_dirty = 0;
	t->sc_stop = st.kind == PSTOP_SYSCALL;
	if (st.kind == PSTOP_SYSCALL) {
		/* the kernel rolled rax back to the number */
		t->base.regs.orig_rax = (uint64_t)(unsigned)info->si_syscall;
		t->base.regs.rax = (uint64_t)-ENOSYS;
		if (writable_stop(t) || apply_profile(t, &st))
			return 1;
	}
	p->base.cfg.stop_fn(p->base.cfg.stop_ctx, &t->base, &st);
	return 1;
}

/* t posted a stop of the fast path (a patched site's syscall). */
static void fast_stop(struct pt_platform *p, struct pt_task *t)
{
	struct stub_mailbox *mb = mailbox(t);
	uint64_t rec = __atomic_load_n(&mb->rec, __ATOMIC_RELAXED);
	long nr = st_patch_record(t->space, rec);
	if (nr < 0) {
		/* Its own process scribbled on the mailbox. (Not running
		 * any more for us: its post is not looked at again.) */
		pt_kill(&t->base);
		t->state = PTS_MAILBOX;
		return;
	}
	uint64_t g[MBR_N];
	memcpy(g, mb->regs, sizeof(g));
	struct user_regs_struct *r = &t->base.regs;
	memset(r, 0, sizeof(*r));
	r->rdi = g[MBR_RDI];
	r->rsi = g[MBR_RSI];
	r->rdx = g[MBR_RDX];
	r->r10 = g[MBR_R10];
	r->r8 = g[MBR_R8];
	r->r9 = g[MBR_R9];
	r->rbx = g[MBR_RBX];
	r->rbp = g[MBR_RBP];
	r->r12 = g[MBR_R12];
	r->r13 = g[MBR_R13];
	r->r14 = g[MBR_R14];
	r->r15 = g[MBR_R15];
	r->rsp = g[MBR_RSP];
	/* As if it had trapped at the record's own syscall instruction:
	 * a restart or a signal handler's return goes there. */
	r->rip = rec + REC_RETRAP + 2;
	r->rcx = r->rip;
	r->eflags = r->r11 = 0x246;
	r->cs = 0x33;
	r->ss = 0x2b;
	r->gs_base = t->app_gs;
	r->orig_rax = (uint64_t)nr;
	r->rax = (uint64_t)-ENOSYS;
	t->hregs = *r;
	t->fast_regs = *r;
	t->in_fast = 1;
	t->in_handler = 0;
	t->stop_nr = -1;
	t->state = PTS_MAILBOX;
	t->base.regs_dirty = 0;
	t->sc_stop = 1;
	st_stats.fast++;
	struct pstop st;
	memset(&st, 0, sizeof(st));
	st.kind = PSTOP_SYSCALL;
	if (apply_profile(t, &st))
		return;
	p->base.cfg.stop_fn(p->base.cfg.stop_ctx, &t->base, &st);
}

/* The fast path kept a host signal back and traps now to hand it on
 * (stub_code.S): t is stopped there with the syscall's result pending.
 * 1 if handled. */
static int resync_stop(struct pt_platform *p, struct pt_task *t, ucontext_t *uc)
{
	struct stub_mailbox *mb = mailbox(t);
	uint32_t sig = __atomic_load_n(&mb->defer, __ATOMIC_RELAXED);
	if (!t->fast_armed || !sig)
		return 0;
	siginfo_t si;
	memcpy(&si, mb->dinfo, sizeof(si));
	mb->defer = 0;
	t->fast_armed = 0;
	memset(&uc->uc_sigmask, 0, 8); /* rt_sigreturn unblocks the rest */
	t->base.regs.rax = t->fast_result;
	t->base.regs.orig_rax = (uint64_t)-1;
	t->sc_stop = 0;
	struct pstop st;
	memset(&st, 0, sizeof(st));
	if (sig == SIG_INTERRUPT && si.si_code == SI_TKILL) {
		if (!t->interrupt_pending) {
			st_resume(&t->base);
			return 1;
		}
		t->interrupt_pending = 0;
		st.kind = PSTOP_INTERRUPT;
	} else if (sig >= 1 && sig <= 64) {
		st.kind = PSTOP_SIGNAL;
		st.info = si;
		st.info.si_signo = (int)sig;
	} else {
		st_resume(&t->base);
		return 1;
	}
	p->base.cfg.stop_fn(p->base.cfg.stop_ctx, &t->base, &st);
	return 1;
}

/* t posted a stop in its mailbox. */
static void mailbox_stop(struct pt_platform *p, struct pt_task *t)
{
	struct stub_mailbox *mb = mailbox(t);
	t->mb_sig = (int)__atomic_load_n(&mb->sig, __ATOMIC_RELAXED);
	t->stop_ns = now_ns();
	if (t->mb_sig == 0) {
		fast_stop(p, t);
		return;
	}
	t->mb_uc = mb->uc;
	ucontext_t *uc = frame_uc(t);
	siginfo_t *si = mb->info % 8 ? NULL : in_slot(t, mb->info, sizeof(siginfo_t));
	if (!uc || !si) {
		/* Its own process scribbled on the mailbox: it cannot go on. */
		pt_kill(&t->base);
		t->state = PTS_MAILBOX;
		return;
	}
	t->in_handler = 1;
	t->in_fast = 0;
	t->stop_nr = -1;
	t->state = PTS_MAILBOX;
	regs_from_frame(uc, &t->hregs);
	t->hregs.gs_base = t->app_gs;
	t->base.regs = t->hregs;
	t->base.regs_dirty = 0;
	struct pstop st;
	memset(&st, 0, sizeof(st));
	if (t->mb_sig == SIGSYS && si->si_code == 1 /* SYS_SECCOMP */) {
		pt_place_at_stop(p, t);
		if (si->si_syscall == STUB_RESYNC_NR && resync_stop(p, t, uc))
			return;
		t->sc_stop = 1;
		t->base.regs.orig_rax = (uint64_t)(unsigned)si->si_syscall;
		t->base.regs.rax = (uint64_t)-ENOSYS;
		t->stop_nr = si->si_syscall;
		t->stop_rip = t->base.regs.rip;
		st_stats.slow_traps++;
		st.kind = PSTOP_SYSCALL;
		if (writable_stop(t) || apply_profile(t, &st))
			return;
	} else if (t->mb_sig == SIG_INTERRUPT && si->si_code == SI_TKILL) {
		if (!t->interrupt_pending) {
			st_resume(&t->base); /* stale: nobody is waiting for it */
			return;
		}
		t->interrupt_pending = 0;
		st.kind = PSTOP_INTERRUPT;
	} else if (t->mb_sig == SIGSEGV && t->base.regs.rip == STUB_FAST_GS) {
		/* The fast path read %gs of a thread whose %gs base the
		 * application set itself: the trapped way, from now on. */
		st_patch_gs_taken(t->space);
		t->base.regs.rip = STUB_FAST_SLOW;
		st_resume(&t->base);
		return;
	} else {
		st.kind = PSTOP_SIGNAL;
		st.info = *si;
		st.info.si_signo = t->mb_sig;
	}
	p->base.cfg.stop_fn(p->base.cfg.stop_ctx, &t->base, &st);
}

/* t runs untraced and has posted a stop in its mailbox. */
static int posted(struct pt_task *t)
{
	return t->state == PTS_RUNNING && !t->held &&
	       __atomic_load_n(&mailbox(t)->state, __ATOMIC_ACQUIRE) == MB_REQUEST;
}

int st_posted(struct pt_task *t)
{
	return t->space && posted(t);
}

static void on_bell(int fd, uint32_t events, void *arg)
{
	(void)events;
	struct st_space *sp = arg;
	struct pt_platform *p = sp->p;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (p->poll_ended && now_ns() - p->poll_ended < p->spin_ns) {
		/* a stop the window just missed */
		p->poll_ns = p->poll_ns * 2 < p->spin_ns ? p->poll_ns * 2 : p->spin_ns;
		p->poll_ended = 0;
	}
	/* A stop can end tasks and this space: hold it, and look again from
	 * the start after each stop. For BELL_BATCH_NS at most: a thread
	 * answered on the sentry's own CPU (co-location) posts its next stop
	 * before the sentry looks again, and this loop served it alone
	 * forever (the other threads, ptrace's stops and the netstack
	 * starved: platform_edges' threads case hung). What is left is rung
	 * again, for after the loop's other work. */
	sp->refs++;
	ns_time_t start = now_ns();
	for (int again = 1; again;) {
		again = 0;
		for (struct pt_task *t = sp->tasks; t; t = t->snext) {
			if (!posted(t))
				continue;
			mailbox_stop(p, t);
			again = 1;
			break;
		}
		if (again && now_ns() - start >= BELL_BATCH_NS) {
			uint64_t one = 1;
			if (write(sp->bell, &one, sizeof(one)) < 0) {
				/* (full only after 2^64 - 2 rings: never) */
			}
			break;
		}
	}
	space_put(sp);
}

/* ---- the sentry's poll ----
 *
 * A task that was just answered is likely to stop again soon. For a while
 * after an answer, the loop polls those tasks' mailboxes before it sleeps,
 * so that a stop costs no wake-up of the sentry's thread (which on this
 * kind of virtual machine is what a stop costs: see platform/README.md). */


/* Stop polling t's mailbox. A stop it posted meanwhile (without the bell,
 * as it saw the flag) is rung for it: the loop handles it (this runs
 * inside another task's resume, where handling a stop would nest). */
static void unpoll(struct pt_platform *p, pid_t tid)
{
	struct pt_task *t = pt_lookup(p, tid);
	if (!t || !t->space)
		return;
	struct stub_mailbox *mb = mailbox(t);
	__atomic_exchange_n(&mb->polling, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&mb->state, __ATOMIC_SEQ_CST) == MB_REQUEST) {
		uint64_t one = 1;
		if (write(t->space->bell, &one, sizeof(one)) < 0) {
			/* (full only after 2^64 - 2 rings: never) */
		}
	}
}

/* t is about to be answered: poll its mailbox for a while. */
static void hot_add(struct pt_platform *p, struct pt_task *t)
{
	if (!p->poll_ns)
		return;
	p->hot_until = now_ns() + p->poll_ns;
	int i;
	for (i = 0; i < p->nhot && p->hot[i] != t->base.host_tid; i++)
		;
	if (i == p->nhot) {
		if (p->nhot == (int)(sizeof(p->hot) / sizeof(p->hot[0]))) {
			pid_t old = p->hot[0];
			p->hot[0] = t->base.host_tid;
			unpoll(p, old);
		} else {
			p->hot[p->nhot++] = t->base.host_tid;
		}
	}
	__atomic_store_n(&mailbox(t)->polling, 1, __ATOMIC_RELAXED); /* published by the answer */
}

/* The loop's flusher: poll the hot mailboxes for a turn (POLL_TURN_NS),
 * then let the loop's other work run; the loop does not sleep while the
 * window is open. */
#define POLL_TURN_NS 4000
#define POLL_BATCH_NS 20000
#define POLL_MIN_NS 1000
static int poll_flush(void *arg)
{
	struct pt_platform *p = arg;
	if (!p->nhot)
		return 0;
	ns_time_t start = now_ns();
	for (unsigned n = 0;; n++) {
		int served = 0;
		for (int i = 0; i < p->nhot; i++) {
			struct pt_task *t = pt_lookup(p, p->hot[i]);
			if (!t || !t->space) {
				p->hot[i--] = p->hot[--p->nhot];
				continue;
			}
			if (!posted(t))
				continue;
			mailbox_stop(p, t);
			served = 1;
			break; /* (the stop may have changed the list) */
		}
		if (served) {
			/* Stops that come back to back are served in one turn
			 * of the loop, up to POLL_BATCH_NS: each turn costs the
			 * loop an epoll_pwait2, a syscall as dear as a stop's
			 * hand-off (half of the sentry's time in a getppid
			 * loop went there). */
			if (now_ns() - start >= POLL_BATCH_NS)
				return 1;
			continue;
		}
		if (!p->nhot)
			return 0;
		if ((n & 63) == 63) {
			ns_time_t now = now_ns();
			if (now >= p->hot_until) {
				/* Nothing came: the window halves (a busy
				 * machine, or a task that computes), down to
				 * POLL_MIN_NS; a stop rung soon after it ends
				 * doubles it again (on_bell). */
				p->poll_ns = p->poll_ns / 2 > POLL_MIN_NS ? p->poll_ns / 2 : POLL_MIN_NS;
				p->poll_ended = now;
				/* Back to the bells. */
				for (int i = 0; i < p->nhot; i++)
					unpoll(p, p->hot[i]);
				p->nhot = 0;
				return 0;
			}
			if (now - start >= POLL_TURN_NS)
				return 1;
		}
		__builtin_ia32_pause();
	}
}

/* ---- the rest of the interface ---- */

static int st_interrupt(struct ptask *pt)
{
	struct pt_task *t = PTT(pt);
	if (t->state != PTS_RUNNING || t->interrupt_pending)
		return 0;
	if (syscall(SYS_tkill, pt->host_tid, SIG_INTERRUPT) < 0)
		return -errno;
	t->interrupt_pending = 1;
	return 0;
}

static void close_pidfd(struct pt_task *t);

static void on_pidfd(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	struct pt_task *t = arg;
	struct pt_platform *p = PT(t->base.plat);
	if (t->held) {
		/* Traced: waitpid reports its end, with its status (an
		 * injected exit's code). */
		close_pidfd(t);
		return;
	}
	/* Its exit status is the host parent's to learn; a thread that was
	 * not held ended by a signal (the sentry's SIGKILL, exit_group), or
	 * by the exit it was sent to (native_exit). */
	pt_hash_del(p, t);
	pt_report_gone(p, t, t->exit_status >= 0 ? t->exit_status : SIGKILL);
}

static int open_pidfd(struct pt_task *t)
{
	struct pt_platform *p = PT(t->base.plat);
	int fd = (int)syscall(SYS_pidfd_open, t->base.host_tid, PIDFD_THREAD);
	if (fd < 0)
		return -errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	int e = ns_loop_add_fd(p->loop, fd, EPOLLIN, on_pidfd, t);
	if (e < 0) {
		close(fd);
		return e;
	}
	t->pidfd = fd;
	return 0;
}

static void close_pidfd(struct pt_task *t)
{
	if (t->pidfd < 0)
		return;
	ns_loop_del_fd(PT(t->base.plat)->loop, t->pidfd);
	close(t->pidfd);
	t->pidfd = -1;
}

int st_task_init(struct pt_task *t)
{
	t->stop_nr = -1;
	t->exit_status = -1;
	return open_pidfd(t);
}

void st_retid(struct pt_task *t)
{
	close_pidfd(t);
	if (open_pidfd(t) < 0)
		fprintf(stderr, "moat: systrap: no pidfd for thread %d\n", (int)t->base.host_tid);
}

void st_task_fini(struct pt_task *t)
{
	st_colocate_forget(t);
	close_pidfd(t);
	space_leave(t);
	st_sites_put(t->fork_sites);
	t->fork_sites = NULL;
}

/* MOAT_SYSTRAP_STATS=1: how the syscalls came, on stderr at the end. */
static void st_destroy(struct platform *pl)
{
	const char *s = getenv("MOAT_SYSTRAP_STATS");
	pt_destroy(pl);
	if (!s || !strcmp(s, "0"))
		return;
	fprintf(stderr,
		"moat: systrap: %llu syscalls trapped, %llu through patched sites (%llu answered with ptrace); "
		"%llu sites patched, %llu refused; %llu pinned beside the sentry, %llu probes; %llu mailbox areas; "
		"%llu threads started by a frame, %llu ended in the stub\n",
		(unsigned long long)st_stats.slow_traps, (unsigned long long)st_stats.fast,
		(unsigned long long)st_stats.redirected, (unsigned long long)st_stats.patched,
		(unsigned long long)st_stats.refused, (unsigned long long)st_stats.pins,
		(unsigned long long)st_stats.probes, (unsigned long long)st_stats.spaces,
		(unsigned long long)st_stats.framed, (unsigned long long)st_stats.native_exits);
}

static int st_create(const struct platform_config *cfg, struct ns_loop *loop, struct platform **out)
{
	/* What systrap needs of the kernel: thread pidfds (Linux 6.9). */
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)syscall(SYS_gettid), PIDFD_THREAD);
	if (fd < 0)
		return errno == EINVAL ? -ENOSYS : -errno;
	close(fd);
	int e = pt_create_mode(cfg, loop, &platform_systrap_ops, 1, out);
	if (e < 0)
		return e;
	if (!profile_allows_stub(PT(*out))) {
		/* (auto: ptrace is used; the debug log says why) */
		pt_destroy(*out);
		return -ENOTSUP;
	}
	struct pt_platform *p = PT(*out);
	const char *s = getenv("MOAT_SYSTRAP_SPIN");
	p->spin = s ? (unsigned)strtoul(s, NULL, 10) : DEFAULT_SPIN;
	s = getenv("MOAT_SYSTRAP_POLL_US");
	p->spin_ns = (s ? strtoull(s, NULL, 10) : DEFAULT_POLL_US) * 1000;
	p->poll_ns = p->spin_ns;
	st_patch_init(p);
	e = ns_loop_add_flush(loop, poll_flush, p);
	if (e < 0) {
		pt_destroy(*out);
		return e;
	}
	return 0;
}

const struct platform_ops platform_systrap_ops = {
	.name = "systrap",
	.create = st_create,
	.destroy = st_destroy,
	.spawn = st_spawn,
	.exec_reset = st_exec_reset,
	.syscall = st_syscall,
	.clone = st_clone,
	.install_fd = st_install_fd,
	.read = pt_read,
	.write = pt_write,
	.get_fpregs = st_get_fpregs,
	.set_fpregs = st_set_fpregs,
	.resume = st_resume,
	.interrupt = st_interrupt,
	.kill = pt_kill,
	.cputime = pt_cputime,
};
