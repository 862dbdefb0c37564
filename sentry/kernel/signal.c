/*
 * Signals: generation, the pending sets, delivery (x86-64 rt_sigframe),
 * sigreturn, job control stops.
 *
 * Everything about signals is the sentry's: the host only ever delivers
 * faults (which arrive as PSTOP_SIGNAL and are turned into forced virtual
 * signals) and the SIGKILL the sentry sends to end a thread group.
 *
 * Frames follow Linux's x86-64 layout, so programs that read their
 * ucontext (uc_mcontext.gregs, fpregs) see what they expect: below the
 * interrupted stack pointer (less the 128-byte red zone, or at the top of
 * the alternate stack), a 64-byte aligned XSAVE area followed by
 * FP_XSTATE_MAGIC2, then the rt_sigframe {pretcode, ucontext, siginfo}
 * with the return address (sa_restorer) at an address that is 8 mod 16.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "kernel.h"
#include "../../platform/layout.h"

#define X86_EFLAGS_CF 0x0001
#define X86_EFLAGS_PF 0x0004
#define X86_EFLAGS_AF 0x0010
#define X86_EFLAGS_ZF 0x0040
#define X86_EFLAGS_SF 0x0080
#define X86_EFLAGS_TF 0x0100
#define X86_EFLAGS_DF 0x0400
#define X86_EFLAGS_OF 0x0800
#define X86_EFLAGS_NT 0x4000
#define X86_EFLAGS_RF 0x10000
#define X86_EFLAGS_AC 0x40000
#define FIX_EFLAGS                                                                              \
	(X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_SF |        \
	 X86_EFLAGS_ZF | X86_EFLAGS_AF | X86_EFLAGS_PF | X86_EFLAGS_CF | X86_EFLAGS_RF)

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U

#define K_SA_RESTORER 0x04000000ULL

struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t ss_pad;
	uint64_t ss_size;
	struct k_sigcontext mc;
	uint64_t uc_sigmask;
};

struct k_rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	siginfo_t info;
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(struct k_ucontext) == 304, "ucontext layout");
_Static_assert(sizeof(siginfo_t) == 128, "siginfo layout");

static int sig_kernel_stop(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

int sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

int sig_sync(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGTRAP || sig == SIGFPE ||
	       sig == SIGSYS;
}

static int sig_fatal(struct task *t, int sig)
{
	if (sig_default_ignored(sig) || sig_kernel_stop(sig))
		return 0;
	return t->sighand->action[sig - 1].handler == (uint64_t)SIG_DFL;
}

void siginfo_kernel(siginfo_t *si, int sig, int code)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = code;
}

void siginfo_from(siginfo_t *si, int sig, int code, struct task *sender)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = code;
	if (sender) {
		si->si_pid = sender->tg->tgid;
		si->si_uid = sender->cred.uid;
	}
}

ksigset_t task_pending_set(struct task *t)
{
	return t->pending.set | t->tg->pending.set;
}

int signal_pending_for(struct task *t)
{
	ksigset_t d = task_pending_set(t) & ~(t->blocked & ~SIG_KERNEL_ONLY);
	d &= ~t->sigwait_set;
	return d != 0;
}

static void pending_remove(struct sigpending *p, ksigset_t mask)
{
	if (!(p->set & mask))
		return;
	p->set &= ~mask;
	struct list *l, *n;
	list_for_each_safe(l, n, &p->queue)
	{
		struct sigqueue *q = list_entry(l, struct sigqueue, link);
		if (mask & SIGBIT(q->info.si_signo)) {
			list_del(&q->link);
			free(q);
		}
	}
}

static void tg_remove_pending(struct thread_group *tg, ksigset_t mask)
{
	pending_remove(&tg->pending, mask);
	struct list *l;
	list_for_each(l, &tg->threads)
	{
		pending_remove(&list_entry(l, struct task, tg_link)->pending, mask);
	}
}

static int enqueue(struct sigpending *p, const siginfo_t *info)
{
	int sig = info->si_signo;
	if (sig < SIGRTMIN && (p->set & SIGBIT(sig)))
		return 0; /* standard signals do not queue */
	struct sigqueue *q = malloc(sizeof(*q));
	if (q) {
		q->info = *info;
		list_add_tail(&q->link, &p->queue);
	} else if (sig >= SIGRTMIN) {
		return -EAGAIN;
	}
	p->set |= SIGBIT(sig);
	return 0;
}

static int dequeue_from(struct sigpending *p, ksigset_t mask, siginfo_t *out)
{
	ksigset_t cand = p->set & mask;
	if (!cand)
		return 0;
	int sig = 0;
	/* Synchronous (fault) signals first, then the lowest number. */
	for (int s = 1; s <= 31; s++) {
		if ((cand & SIGBIT(s)) && sig_sync(s)) {
			sig = s;
			break;
		}
	}
	if (!sig)
		sig = __builtin_ctzll(cand) + 1;
	int more = 0, found = 0;
	struct list *l, *n;
	list_for_each_safe(l, n, &p->queue)
	{
		struct sigqueue *q = list_entry(l, struct sigqueue, link);
		if (q->info.si_signo != sig)
			continue;
		if (!found) {
			*out = q->info;
			list_del(&q->link);
			free(q);
			found = 1;
		} else {
			more = 1;
			break;
		}
	}
	if (!found)
		siginfo_kernel(out, sig, SI_USER);
	if (!more)
		p->set &= ~SIGBIT(sig);
	return sig;
}

int signal_dequeue(struct task *t, ksigset_t mask, siginfo_t *out)
{
	int sig = dequeue_from(&t->pending, mask, out);
	if (!sig)
		sig = dequeue_from(&t->tg->pending, mask, out);
	return sig;
}

static int blocked_by(struct task *t, int sig)
{
	return (t->blocked & SIGBIT(sig)) != 0;
}

void tg_kill_all(struct thread_group *tg, int wait_status)
{
	if (tg->group_exiting || tg->state != TG_LIVE)
		return;
	tg->group_exiting = 1;
	tg->exit_code = wait_status;
	tg->stopped = 0;
	struct ptask *any = NULL;
	struct list *l;
	list_for_each(l, &tg->threads)
	{
		struct task *t = list_entry(l, struct task, tg_link);
		if (t->state == TS_DEAD)
			continue;
		if (t->state == TS_PARKED || t->state == TS_RUNNABLE || t->state == TS_HELD ||
		    t->state == TS_SYSCALL || t->state == TS_RUNNING || t->state == TS_NEW) {
			if (list_linked(&t->runq_link))
				list_del(&t->runq_link);
			task_cancel_wait(t);
			t->state = TS_EXITING;
		}
		if (t->pt)
			any = t->pt;
	}
	if (any)
		platform_kill(any);
}

static int pgrp_orphaned(struct kernel *k, pid_t pgid)
{
	/* A group is orphaned when no member has a parent in another group
	 * of the same session (POSIX). */
	struct list *l;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->pgid != pgid || g->state != TG_LIVE)
			continue;
		struct thread_group *p = g->parent;
		/* The sandbox's init has a parent outside, in the terminal's
		 * session: moat. */
		if (!p && g == k->init)
			return 0;
		if (p && p->state == TG_LIVE && p->pgid != pgid && p->sid == g->sid)
			return 0;
	}
	return 1;
}

static void notify_parent_cld(struct thread_group *tg, int why, int status)
{
	struct thread_group *p = tg->parent;
	if (!p || p->state != TG_LIVE)
		return;
	struct task *pl = p->leader;
	struct ksigaction *ka = &pl->sighand->action[SIGCHLD - 1];
	if (!(ka->flags & SA_NOCLDSTOP)) {
		siginfo_t si;
		siginfo_kernel(&si, SIGCHLD, why);
		si.si_pid = tg->tgid;
		si.si_uid = tg->leader ? tg->leader->cred.uid : 0;
		si.si_status = status;
		send_signal_task(pl, &si, 1, 0);
	}
	waitq_wake(&p->child_wq, 0);
}

void tg_stop(struct thread_group *tg, int sig)
{
	if (tg->stopped || tg->group_exiting)
		return;
	tg->stopped = 1;
	tg->stop_sig = sig;
	tg->notify_stop = 1;
	tg->notify_cont = 0;
	struct list *l;
	list_for_each(l, &tg->threads)
	{
		struct task *t = list_entry(l, struct task, tg_link);
		if (t->state == TS_RUNNING)
			task_kick(t);
	}
	notify_parent_cld(tg, CLD_STOPPED, sig);
}

void tg_continue(struct thread_group *tg)
{
	if (!tg->stopped)
		return;
	tg->stopped = 0;
	tg->notify_stop = 0;
	tg->notify_cont = 1;
	struct list *l, *n;
	list_for_each_safe(l, n, &tg->threads)
	{
		struct task *t = list_entry(l, struct task, tg_link);
		if (t->state == TS_HELD)
			task_return_to_user(t);
	}
	notify_parent_cld(tg, CLD_CONTINUED, SIGCONT);
}

/* Pick the thread that will take a signal and get it to the sentry. */
static void complete_signal(struct task *t, int sig, int group)
{
	struct thread_group *tg = t->tg;
	struct task *target = NULL;
	if (!blocked_by(t, sig) || sig == SIGKILL) {
		target = t;
	} else if (group) {
		struct list *l;
		list_for_each(l, &tg->threads)
		{
			struct task *c = list_entry(l, struct task, tg_link);
			if (c->state != TS_DEAD && c->state != TS_EXITING && !blocked_by(c, sig)) {
				target = c;
				break;
			}
		}
	}
	if (!target) {
		/* Blocked everywhere: it stays pending. sigtimedwait and
		 * signalfd readers were told through sig_wq. */
		return;
	}
	if (sig == SIGKILL || (sig_fatal(target, sig) && !(target->sigwait_set & SIGBIT(sig)) &&
			       !sig_sync(sig))) {
		tg_kill_all(tg, sig);
		return;
	}
	task_kick(target);
}

int send_signal_task(struct task *t, const siginfo_t *info, int group, int flags)
{
	int sig = info->si_signo;
	struct thread_group *tg = t->tg;
	if (sig < 1 || sig > NSIG_K)
		return -EINVAL;
	if (tg->state != TG_LIVE || tg->group_exiting || t->state == TS_DEAD)
		return 0;
	/* Job control side effects happen at generation (POSIX). */
	int cont = 0;
	if (sig == SIGCONT) {
		tg_remove_pending(tg, SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) |
					      SIGBIT(SIGTTOU));
		cont = tg->stopped;
	} else if (sig_kernel_stop(sig)) {
		tg_remove_pending(tg, SIGBIT(SIGCONT));
	}
	if (flags & SEND_SIG_FORCE) {
		struct ksigaction *ka = &t->sighand->action[sig - 1];
		if (ka->handler == (uint64_t)SIG_IGN || blocked_by(t, sig)) {
			ka->handler = (uint64_t)SIG_DFL;
			t->blocked &= ~SIGBIT(sig);
		}
	}
	/* Ignored signals are discarded (blocked ones stay pending: the
	 * disposition may change before they are unblocked). */
	uint64_t h = t->sighand->action[sig - 1].handler;
	int ignored = sig != SIGKILL && sig != SIGSTOP && !blocked_by(t, sig) &&
		      !(t->sigwait_set & SIGBIT(sig)) &&
		      (h == (uint64_t)SIG_IGN || (h == (uint64_t)SIG_DFL && sig_default_ignored(sig)));
	if (!ignored) {
		int e = enqueue(group ? &tg->pending : &t->pending, info);
		if (e < 0)
			return e;
		t->k->stats.signals++;
		waitq_wake(&tg->sig_wq, 0);
	}
	if (cont)
		tg_continue(tg);
	if (!ignored)
		complete_signal(t, sig, group);
	return 0;
}

int send_signal_tg(struct thread_group *tg, int sig, const siginfo_t *info)
{
	if (!tg->leader)
		return -ESRCH;
	/* Prefer a live thread: the leader may have exited alone. */
	struct task *t = tg->leader;
	if (t->state == TS_DEAD) {
		struct list *l;
		list_for_each(l, &tg->threads)
		{
			struct task *c = list_entry(l, struct task, tg_link);
			if (c->state != TS_DEAD) {
				t = c;
				break;
			}
		}
	}
	if (!sig)
		return 0;
	return send_signal_task(t, info, 1, 0);
}

int kill_pgrp(struct kernel *k, pid_t pgid, int sig, const siginfo_t *info)
{
	int found = 0, err = -ESRCH;
	struct list *l, *n;
	list_for_each_safe(l, n, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->pgid != pgid || g->state != TG_LIVE)
			continue;
		found = 1;
		int e = send_signal_tg(g, sig, info);
		if (e == 0)
			err = 0;
	}
	return found ? err : -ESRCH;
}

/* ---- terminal job control, shared by ptys and moat's console ---- */

struct thread_group *pgrp_member(struct kernel *k, pid_t pgid)
{
	struct list *l;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->pgid == pgid && g->state == TG_LIVE)
			return g;
	}
	return NULL;
}

int tty_bg_signal(struct task *t, int sig)
{
	struct ksigaction *ka = &t->sighand->action[sig - 1];
	if (ka->handler == (uint64_t)SIG_IGN || (t->blocked & SIGBIT(sig)))
		return sig == SIGTTIN ? -EIO : 0;
	siginfo_t si;
	siginfo_kernel(&si, sig, SI_KERNEL);
	kill_pgrp(t->k, t->tg->pgid, sig, &si);
	return -ERESTARTSYS;
}

int tty_set_fg_pgrp(struct task *t, uint64_t arg, pid_t sid, pid_t *fg_pgrp)
{
	pid_t pg;
	if (copy_from_user(t, &pg, arg, sizeof(pg)))
		return -EFAULT;
	if (pg < 0)
		return -EINVAL;
	struct thread_group *g = pgrp_member(t->k, pg);
	if (!g)
		return -ESRCH;
	if (g->sid != sid)
		return -EPERM;
	*fg_pgrp = pg;
	return 0;
}

void signal_fault(struct task *t, const siginfo_t *host)
{
	int sig = host->si_signo;
	if (((sig == SIGVTALRM || sig == SIGPROF || sig == SIGXCPU) && host->si_code > 0) ||
	    host->si_code == SI_TIMER) {
		/* Native CPU-time timers (setitimer, timer_create on CPU
		 * clocks) and RLIMIT_CPU: signals for the process. */
		siginfo_t si = *host;
		send_signal_tg(t->tg, sig, &si);
		return;
	}
	if (!sig_sync(sig) || host->si_code <= 0) {
		/* Not a fault of the application's own making: nothing in
		 * the sandbox can send host signals (SIGCHLD of host children
		 * is expected and meaningless here). Discard it. */
		if (sig != SIGCHLD)
			klog(t->k, "pid %d: ignoring host signal %d (code %d)", t->tid, sig, host->si_code);
		return;
	}
	uint64_t rip = t->pt->regs.rip;
	klog(t->k, "pid %d (%.16s): host fault: signal %d code %d at rip %#llx, address %p", t->tid, t->comm, sig,
	     host->si_code, (unsigned long long)rip, host->si_addr);
	if ((rip >= PLATFORM_STUB_BASE && rip - PLATFORM_STUB_BASE < PLATFORM_STUB_SIZE) ||
	    (rip >= PLATFORM_PATCH_BASE && rip - PLATFORM_PATCH_BASE < PLATFORM_PATCH_SIZE)) {
		/* The fault is in moat's own code in the task (the stub, a
		 * patch record): a moat bug, or the application wrecked it.
		 * Say so where a user sees it, not only in a debug log. */
		fprintf(stderr, "moat: pid %d (%.16s): signal %d (code %d) in moat's stub at rip %#llx, address %p\n",
			t->tid, t->comm, sig, host->si_code, (unsigned long long)rip, host->si_addr);
	}
	siginfo_t si = *host;
	send_signal_task(t, &si, 0, SEND_SIG_FORCE);
}

static int on_altstack(struct task *t, uint64_t sp)
{
	if (t->altstack.ss_flags & SS_DISABLE)
		return 0;
	uint64_t lo = (uint64_t)t->altstack.ss_sp;
	return sp > lo && sp - lo <= t->altstack.ss_size;
}

static int setup_frame(struct task *t, int sig, siginfo_t *info, struct ksigaction *ka)
{
	struct kernel *k = t->k;
	struct user_regs_struct *r = &t->pt->regs;
	if (t->restart_nr >= 0) {
		long rax = (long)r->rax;
		int restart = 0;
		if (rax == -ERESTART_RESTARTBLOCK || rax == -ERESTARTNOHAND)
			r->rax = (uint64_t)-EINTR;
		else if (rax == -ERESTARTSYS)
			restart = (ka->flags & SA_RESTART) != 0;
		else if (rax == -ERESTARTNOINTR)
			restart = 1;
		if (rax == -ERESTARTSYS && !restart)
			r->rax = (uint64_t)-EINTR;
		if (restart) {
			r->rip -= 2;
			r->rax = (uint64_t)t->restart_nr;
		}
		t->restart_nr = -1;
		t->restart.active = 0;
	}
	if (!(ka->flags & K_SA_RESTORER))
		return -EFAULT; /* x86-64 needs the restorer (Linux refuses too) */

	uint64_t sp = r->rsp;
	if ((ka->flags & SA_ONSTACK) && !(t->altstack.ss_flags & SS_DISABLE) && !on_altstack(t, sp))
		sp = (uint64_t)t->altstack.ss_sp + t->altstack.ss_size;
	else
		sp -= 128;

	size_t xs = k->xstate_size;
	uint8_t *fp = calloc(1, xs + 4);
	if (!fp)
		return -ENOMEM;
	size_t len = xs;
	if (platform_get_fpregs(t->pt, fp, &len) < 0 || len != xs) {
		/* Fall back to a clean state rather than failing delivery. */
		memcpy(fp, k->xstate_init, xs);
	}
	/* Software-reserved bytes of the legacy area (struct _fpx_sw_bytes)
	 * describe the extended state; keep the kernel's xfeatures. */
	uint32_t magic1 = FP_XSTATE_MAGIC1, ext = (uint32_t)xs + 4, size = (uint32_t)xs;
	memcpy(fp + 464, &magic1, 4);
	memcpy(fp + 468, &ext, 4);
	memcpy(fp + 480, &size, 4);
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	memcpy(fp + xs, &magic2, 4);

	uint64_t fp_addr = (sp - (xs + 4)) & ~63ULL;
	uint64_t frame_addr = ((fp_addr - sizeof(struct k_rt_sigframe)) & ~15ULL) - 8;

	struct k_rt_sigframe f;
	memset(&f, 0, sizeof(f));
	f.pretcode = ka->restorer;
	f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.ss_sp = (uint64_t)t->altstack.ss_sp;
	f.uc.ss_size = t->altstack.ss_size;
	f.uc.ss_flags = (t->altstack.ss_flags & SS_DISABLE) ? SS_DISABLE
			: on_altstack(t, r->rsp)		    ? SS_ONSTACK
								    : 0;
	struct k_sigcontext *mc = &f.uc.mc;
	mc->r8 = r->r8;
	mc->r9 = r->r9;
	mc->r10 = r->r10;
	mc->r11 = r->r11;
	mc->r12 = r->r12;
	mc->r13 = r->r13;
	mc->r14 = r->r14;
	mc->r15 = r->r15;
	mc->rdi = r->rdi;
	mc->rsi = r->rsi;
	mc->rbp = r->rbp;
	mc->rbx = r->rbx;
	mc->rdx = r->rdx;
	mc->rax = r->rax;
	mc->rcx = r->rcx;
	mc->rsp = r->rsp;
	mc->rip = r->rip;
	mc->eflags = r->eflags;
	mc->cs = (uint16_t)r->cs;
	mc->ss = (uint16_t)r->ss;
	if (sig == SIGSEGV || sig == SIGBUS) {
		mc->cr2 = (uint64_t)info->si_addr;
		mc->trapno = 14;
	}
	mc->fpstate = fp_addr;
	ksigset_t saved = t->restore_blocked ? t->saved_blocked : t->blocked;
	mc->oldmask = saved;
	f.uc.uc_sigmask = saved;
	f.info = *info;

	int e = copy_to_user(t, fp_addr, fp, xs + 4);
	free(fp);
	if (!e)
		e = copy_to_user(t, frame_addr, &f, sizeof(f));
	if (e)
		return e;

	r->rsp = frame_addr;
	r->rip = ka->handler;
	r->rdi = (uint64_t)sig;
	r->rsi = frame_addr + offsetof(struct k_rt_sigframe, info);
	r->rdx = frame_addr + offsetof(struct k_rt_sigframe, uc);
	r->rax = 0;
	r->eflags &= ~(uint64_t)(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF);
	r->orig_rax = (uint64_t)-1;
	platform_regs_dirty(t->pt);
	/* The handler starts with a clean FPU, as on Linux. */
	platform_set_fpregs(t->pt, k->xstate_init, xs);

	t->restore_blocked = 0;
	t->blocked |= ka->mask;
	if (!(ka->flags & SA_NODEFER))
		t->blocked |= SIGBIT(sig);
	t->blocked &= ~SIG_KERNEL_ONLY;
	if (ka->flags & SA_RESETHAND) {
		ka->handler = (uint64_t)SIG_DFL;
		ka->flags &= ~(uint64_t)SA_SIGINFO;
	}
	return 0;
}

int signal_deliver(struct task *t)
{
	struct thread_group *tg = t->tg;
	for (;;) {
		if (tg->group_exiting || t->state == TS_EXITING || t->state == TS_DEAD)
			return 1;
		if (tg->stopped && !(task_pending_set(t) & SIGBIT(SIGKILL))) {
			t->state = TS_HELD;
			return 1;
		}
		ksigset_t deliverable = task_pending_set(t) & ~(t->blocked & ~SIG_KERNEL_ONLY);
		if (!deliverable)
			return 0;
		siginfo_t info;
		int sig = signal_dequeue(t, deliverable, &info);
		if (!sig)
			return 0;
		struct ksigaction *ka = &t->sighand->action[sig - 1];
		if (sig == SIGKILL) {
			tg_kill_all(tg, SIGKILL);
			return 1;
		}
		if (ka->handler == (uint64_t)SIG_IGN)
			continue;
		if (ka->handler == (uint64_t)SIG_DFL) {
			if (sig_default_ignored(sig))
				continue;
			if (sig_kernel_stop(sig)) {
				if (sig != SIGSTOP && pgrp_orphaned(t->k, tg->pgid))
					continue;
				tg_stop(tg, sig);
				t->state = TS_HELD;
				return 1;
			}
			klog(t->k, "pid %d: killed by signal %d", t->tid, sig);
			tg_kill_all(tg, sig);
			return 1;
		}
		if (setup_frame(t, sig, &info, ka) < 0) {
			klog(t->k, "pid %d: cannot set up frame for signal %d: SIGSEGV", t->tid, sig);
			tg_kill_all(tg, SIGSEGV);
			return 1;
		}
	}
}

long sys_rt_sigreturn_impl(struct task *t)
{
	struct kernel *k = t->k;
	struct user_regs_struct *r = &t->pt->regs;
	uint64_t frame_addr = r->rsp - 8;
	struct k_rt_sigframe f;
	if (copy_from_user(t, &f, frame_addr, sizeof(f)))
		goto bad;
	struct k_sigcontext *mc = &f.uc.mc;
	if (mc->fpstate) {
		size_t xs = k->xstate_size;
		uint8_t *fp = malloc(xs);
		if (!fp)
			goto bad;
		int e = copy_from_user(t, fp, mc->fpstate, xs);
		if (!e)
			e = platform_set_fpregs(t->pt, fp, xs);
		if (e) {
			/* A corrupt extended area: try the legacy part alone
			 * with the extended features in their init state. */
			if (!copy_from_user(t, fp, mc->fpstate, 512)) {
				memset(fp + 512, 0, xs - 512);
				uint64_t bv = 0x3;
				memcpy(fp + 512, &bv, 8);
				e = platform_set_fpregs(t->pt, fp, xs);
			}
		}
		free(fp);
		if (e)
			goto bad;
	}
	r->r8 = mc->r8;
	r->r9 = mc->r9;
	r->r10 = mc->r10;
	r->r11 = mc->r11;
	r->r12 = mc->r12;
	r->r13 = mc->r13;
	r->r14 = mc->r14;
	r->r15 = mc->r15;
	r->rdi = mc->rdi;
	r->rsi = mc->rsi;
	r->rbp = mc->rbp;
	r->rbx = mc->rbx;
	r->rdx = mc->rdx;
	r->rax = mc->rax;
	r->rcx = mc->rcx;
	r->rsp = mc->rsp;
	r->rip = mc->rip;
	r->eflags = (r->eflags & ~(uint64_t)FIX_EFLAGS) | (mc->eflags & FIX_EFLAGS);
	r->orig_rax = (uint64_t)-1;
	platform_regs_dirty(t->pt);
	t->blocked = f.uc.uc_sigmask & ~SIG_KERNEL_ONLY;
	/* restore_altstack(): like sigaltstack() from the saved stack_t, with
	 * errors ignored. */
	if (!on_altstack(t, r->rsp)) {
		if (f.uc.ss_flags & SS_DISABLE) {
			t->altstack.ss_flags = SS_DISABLE;
		} else if (f.uc.ss_size >= 2048) {
			t->altstack.ss_sp = (void *)f.uc.ss_sp;
			t->altstack.ss_size = f.uc.ss_size;
			t->altstack.ss_flags = 0;
		}
	}
	t->restart.active = 0;
	return -ENORETURN;
bad:
	klog(k, "pid %d: bad signal frame at %#llx: SIGSEGV", t->tid, (unsigned long long)frame_addr);
	{
		siginfo_t si;
		siginfo_kernel(&si, SIGSEGV, SI_KERNEL);
		send_signal_task(t, &si, 0, SEND_SIG_FORCE);
	}
	return -ENORETURN;
}

void signal_exec_reset(struct task *t)
{
	/* Handled signals go back to the default; ignored stay ignored. */
	for (int i = 0; i < NSIG_K; i++) {
		struct ksigaction *ka = &t->sighand->action[i];
		if (ka->handler != (uint64_t)SIG_IGN)
			ka->handler = (uint64_t)SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask = 0;
	}
	t->altstack.ss_flags = SS_DISABLE;
	t->altstack.ss_sp = NULL;
	t->altstack.ss_size = 0;
}

void signal_recalc_wake(struct task *t)
{
	if (signal_pending_for(t))
		task_kick(t);
}
