/* Signal syscalls: actions, masks, sending, waiting, alternate stacks,
 * interval timers. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "syscalls.h"

#define SS_AUTODISARM_ (1U << 31)

static int valid_sig(int sig)
{
	return sig >= 1 && sig <= NSIG_K;
}

SYSCALL(rt_sigaction)
{
	int sig = (int)ARG(0);
	uint64_t uact = ARG(1), uoact = ARG(2);
	if (ARG(3) != sizeof(ksigset_t))
		return -EINVAL;
	if (!valid_sig(sig))
		return -EINVAL;
	struct ksigaction na;
	if (uact) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (copy_from_user(t, &na, uact, sizeof(na)))
			return -EFAULT;
	}
	struct ksigaction *ka = &t->sighand->action[sig - 1];
	if (uoact && copy_to_user(t, uoact, ka, sizeof(*ka)))
		return -EFAULT;
	if (uact) {
		na.mask &= ~SIG_KERNEL_ONLY;
		*ka = na;
		/* POSIX: setting a pending signal to be ignored discards it. */
		if (na.handler == (uint64_t)SIG_IGN ||
		    (na.handler == (uint64_t)SIG_DFL && sig_default_ignored(sig))) {
			struct thread_group *tg = t->tg;
			ksigset_t m = SIGBIT(sig);
			siginfo_t junk;
			while (tg->pending.set & m)
				signal_dequeue(tg->leader && tg->leader->state != TS_DEAD ? tg->leader : t, m, &junk);
			struct list *l;
			list_for_each(l, &tg->threads)
			{
				struct task *c = list_entry(l, struct task, tg_link);
				while (c->pending.set & m)
					signal_dequeue(c, m, &junk);
			}
		}
	}
	return 0;
}

SYSCALL(rt_sigprocmask)
{
	int how = (int)ARG(0);
	uint64_t uset = ARG(1), uold = ARG(2);
	if (ARG(3) != sizeof(ksigset_t))
		return -EINVAL;
	ksigset_t set = 0;
	if (uset) {
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return -EINVAL;
		if (copy_from_user(t, &set, uset, sizeof(set)))
			return -EFAULT;
	}
	if (uold && copy_to_user(t, uold, &t->blocked, sizeof(ksigset_t)))
		return -EFAULT;
	if (uset) {
		set &= ~SIG_KERNEL_ONLY;
		if (how == SIG_BLOCK)
			t->blocked |= set;
		else if (how == SIG_UNBLOCK)
			t->blocked &= ~set;
		else
			t->blocked = set;
	}
	return 0;
}

SYSCALL(rt_sigreturn)
{
	return sys_rt_sigreturn_impl(t);
}

static int on_altstack(struct task *t, uint64_t sp)
{
	if (t->altstack.ss_flags & SS_DISABLE)
		return 0;
	uint64_t lo = (uint64_t)t->altstack.ss_sp;
	return sp > lo && sp - lo <= t->altstack.ss_size;
}

SYSCALL(sigaltstack)
{
	uint64_t uss = ARG(0), uoss = ARG(1);
	uint64_t sp = t->pt->regs.rsp;
	stack_t old = t->altstack;
	if (old.ss_flags & SS_DISABLE) {
		old.ss_sp = NULL;
		old.ss_size = 0;
		old.ss_flags = SS_DISABLE;
	} else {
		old.ss_flags = on_altstack(t, sp) ? SS_ONSTACK : 0;
	}
	if (uss) {
		stack_t ss;
		if (copy_from_user(t, &ss, uss, sizeof(ss)))
			return -EFAULT;
		if (on_altstack(t, sp))
			return -EPERM;
		unsigned mode = (unsigned)ss.ss_flags & ~SS_AUTODISARM_;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			t->altstack.ss_sp = NULL;
			t->altstack.ss_size = 0;
			t->altstack.ss_flags = SS_DISABLE;
		} else {
			if (ss.ss_size < 2048)
				return -ENOMEM;
			t->altstack.ss_sp = ss.ss_sp;
			t->altstack.ss_size = ss.ss_size;
			t->altstack.ss_flags = 0;
		}
	}
	if (uoss && copy_to_user(t, uoss, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static int kill_permitted(struct task *t, struct thread_group *tg, int sig)
{
	if (capable(t, KCAP_KILL))
		return 1;
	struct task *l = tg->leader;
	if (!l)
		return 0;
	if (t->cred.euid == l->cred.suid || t->cred.euid == l->cred.uid || t->cred.uid == l->cred.suid ||
	    t->cred.uid == l->cred.uid)
		return 1;
	return sig == SIGCONT && tg->sid == t->tg->sid;
}

static long kill_tg(struct task *t, struct thread_group *tg, int sig)
{
	if (!kill_permitted(t, tg, sig))
		return -EPERM;
	if (!sig)
		return 0;
	siginfo_t si;
	siginfo_from(&si, sig, SI_USER, t);
	return send_signal_tg(tg, sig, &si);
}

SYSCALL(kill)
{
	pid_t pid = (pid_t)ARG(0);
	int sig = (int)ARG(1);
	if (sig < 0 || sig > NSIG_K)
		return -EINVAL;
	struct kernel *k = t->k;
	if (pid > 0) {
		struct thread_group *tg = tg_lookup(k, pid);
		if (!tg || tg->state != TG_LIVE)
			return tg ? (sig ? 0 : 0) : -ESRCH;
		return kill_tg(t, tg, sig);
	}
	pid_t pgid = pid == 0 ? t->tg->pgid : -pid;
	if (pid == -1) {
		int found = 0;
		long err = -ESRCH;
		struct list *l, *n;
		list_for_each_safe(l, n, &k->thread_groups)
		{
			struct thread_group *g = list_entry(l, struct thread_group, all_link);
			if (g->tgid <= 1 || g == t->tg || g->state != TG_LIVE)
				continue;
			found = 1;
			long e = kill_tg(t, g, sig);
			if (e == 0 || err == -ESRCH)
				err = e;
		}
		return found ? err : -ESRCH;
	}
	if (pid == INT_MIN)
		return -ESRCH;
	int found = 0;
	long err = -ESRCH;
	struct list *l, *n;
	list_for_each_safe(l, n, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->pgid != pgid || g->state != TG_LIVE)
			continue;
		found = 1;
		long e = kill_tg(t, g, sig);
		if (e == 0 || err == -ESRCH)
			err = e;
	}
	return found ? err : -ESRCH;
}

static long kill_thread(struct task *t, pid_t tgid, pid_t tid, int sig, const siginfo_t *info)
{
	if (sig < 0 || sig > NSIG_K || tid <= 0)
		return -EINVAL;
	struct task *target = task_lookup(t->k, tid);
	if (!target || target->state == TS_DEAD || (tgid > 0 && target->tg->tgid != tgid))
		return -ESRCH;
	if (!kill_permitted(t, target->tg, sig))
		return -EPERM;
	if (!sig)
		return 0;
	siginfo_t si;
	if (info) {
		si = *info;
	} else {
		siginfo_from(&si, sig, SI_TKILL, t);
	}
	return send_signal_task(target, &si, 0, 0);
}

SYSCALL(tgkill)
{
	pid_t tgid = (pid_t)ARG(0);
	if (tgid <= 0)
		return -EINVAL;
	return kill_thread(t, tgid, (pid_t)ARG(1), (int)ARG(2), NULL);
}

SYSCALL(tkill)
{
	return kill_thread(t, 0, (pid_t)ARG(0), (int)ARG(1), NULL);
}

static long queueinfo_common(struct task *t, pid_t tgid, pid_t tid, int sig, uint64_t uinfo)
{
	siginfo_t si;
	if (copy_from_user(t, &si, uinfo, sizeof(si)))
		return -EFAULT;
	/* Only the kernel may claim kernel codes, and SI_TKILL is ours. */
	if ((si.si_code >= 0 || si.si_code == SI_TKILL) && (tgid != t->tg->tgid))
		return -EPERM;
	si.si_signo = sig;
	if (tid)
		return kill_thread(t, tgid, tid, sig, &si);
	if (!valid_sig(sig) && sig != 0)
		return -EINVAL;
	struct thread_group *tg = tg_lookup(t->k, tgid);
	if (!tg)
		return -ESRCH;
	if (!kill_permitted(t, tg, sig))
		return -EPERM;
	return sig ? send_signal_tg(tg, sig, &si) : 0;
}

/* pidfd_send_signal(pidfd, sig, info, flags): kill(2) or
 * rt_sigqueueinfo(2) through a pidfd (a zombie still takes signals,
 * a reaped process is ESRCH). Linux 6.9's scope flags: at most one of
 * PIDFD_SIGNAL_THREAD (our pidfds name processes: their main thread),
 * _THREAD_GROUP (the default) and _PROCESS_GROUP. */
#define PIDFD_SIGNAL_THREAD_ 1u
#define PIDFD_SIGNAL_THREAD_GROUP_ 2u
#define PIDFD_SIGNAL_PROCESS_GROUP_ 4u

SYSCALL(pidfd_send_signal)
{
	int sig = (int)ARG(1);
	uint64_t flags = ARG(3);
	if (flags & ~(uint64_t)(PIDFD_SIGNAL_THREAD_ | PIDFD_SIGNAL_THREAD_GROUP_ | PIDFD_SIGNAL_PROCESS_GROUP_))
		return -EINVAL;
	if (flags & (flags - 1))
		return -EINVAL; /* more than one scope */
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	int is;
	struct thread_group *tg = pidfd_target(f, &is);
	file_put(f);
	if (!is)
		return -EBADF;
	if (sig && !valid_sig(sig))
		return -EINVAL;
	if (!tg)
		return -ESRCH;
	siginfo_t si;
	if (ARG(2)) {
		if (copy_from_user(t, &si, ARG(2), sizeof(si)))
			return -EFAULT;
		if (si.si_signo != sig)
			return -EINVAL;
		/* only the kernel may claim kernel codes (SI_USER too) */
		if ((si.si_code >= 0 || si.si_code == SI_TKILL) && tg != t->tg)
			return -EPERM;
	} else {
		siginfo_from(&si, sig, SI_USER, t);
	}
	if (!kill_permitted(t, tg, sig))
		return -EPERM;
	if (!sig || tg->state != TG_LIVE)
		return 0;
	if (flags == PIDFD_SIGNAL_PROCESS_GROUP_)
		return kill_pgrp(t->k, tg->pgid, sig, &si);
	if (flags == PIDFD_SIGNAL_THREAD_ && tg->leader && tg->leader->state != TS_DEAD)
		return send_signal_task(tg->leader, &si, 0, 0);
	return send_signal_tg(tg, sig, &si);
}

SYSCALL(rt_sigqueueinfo)
{
	return queueinfo_common(t, (pid_t)ARG(0), 0, (int)ARG(1), ARG(2));
}

SYSCALL(rt_tgsigqueueinfo)
{
	if ((pid_t)ARG(0) <= 0 || (pid_t)ARG(1) <= 0)
		return -EINVAL;
	return queueinfo_common(t, (pid_t)ARG(0), (pid_t)ARG(1), (int)ARG(2), ARG(3));
}

SYSCALL(rt_sigpending)
{
	if (ARG(1) > sizeof(ksigset_t))
		return -EINVAL;
	ksigset_t p = task_pending_set(t) & t->blocked;
	return copy_to_user(t, ARG(0), &p, (size_t)ARG(1)) ? -EFAULT : 0;
}

static void sigwait_cleanup(struct task *t)
{
	t->sigwait_set = 0;
}

SYSCALL(rt_sigtimedwait)
{
	if (ARG(3) != sizeof(ksigset_t))
		return -EINVAL;
	ksigset_t mask;
	if (copy_from_user(t, &mask, ARG(0), sizeof(mask)))
		return -EFAULT;
	mask &= ~SIG_KERNEL_ONLY;
	if (t->sc.rerun == 0 && ARG(2)) {
		struct timespec ts;
		int e = get_timespec(t, ARG(2), &ts);
		if (e)
			return e;
		t->sc.u[0] = 1;
		t->sc.deadline = kclock_mono() + timespec_ns(&ts);
	}
	siginfo_t si;
	int sig = signal_dequeue(t, mask, &si);
	if (sig) {
		t->sigwait_set = 0;
		if (ARG(1) && copy_to_user(t, ARG(1), &si, sizeof(si)))
			return -EFAULT;
		return sig;
	}
	if (t->sc.u[0] && (t->sc.timed_out || kclock_mono() >= t->sc.deadline)) {
		t->sigwait_set = 0;
		return -EAGAIN;
	}
	t->sigwait_set = mask;
	t->sc.cleanup = sigwait_cleanup;
	t->sc.intr = -EINTR;
	int e = task_wait(t, &t->tg->sig_wq, 0);
	if (e)
		return e;
	if (t->sc.u[0])
		task_wait_until(t, t->sc.deadline);
	return -EPARK;
}

SYSCALL(rt_sigsuspend)
{
	if (ARG(1) != sizeof(ksigset_t))
		return -EINVAL;
	if (t->sc.rerun == 0) {
		ksigset_t mask;
		if (copy_from_user(t, &mask, ARG(0), sizeof(mask)))
			return -EFAULT;
		t->saved_blocked = t->blocked;
		t->restore_blocked = 1;
		t->blocked = mask & ~SIG_KERNEL_ONLY;
	}
	t->sc.intr = -ERESTARTNOHAND;
	return -EPARK;
}

SYSCALL(pause)
{
	t->sc.intr = -ERESTARTNOHAND;
	return -EPARK;
}

/* ---- ITIMER_REAL and alarm ---- */

static void itimer_fire(struct ns_timer *tm, ns_time_t now)
{
	struct thread_group *tg = ns_container_of(tm, struct thread_group, itimer);
	if (tg->state != TG_LIVE)
		return;
	if (tg->itimer_interval) {
		tg->itimer_expires += tg->itimer_interval;
		if (tg->itimer_expires <= now)
			tg->itimer_expires = now + tg->itimer_interval;
		ns_timer_arm(tg->k->wheel, &tg->itimer, tg->itimer_expires);
	} else {
		tg->itimer_expires = 0;
	}
	siginfo_t si;
	siginfo_kernel(&si, SIGALRM, SI_KERNEL);
	send_signal_tg(tg, SIGALRM, &si);
}

static void itimer_get(struct thread_group *tg, struct itimerval *v)
{
	memset(v, 0, sizeof(*v));
	if (tg->itimer_expires) {
		uint64_t now = kclock_mono();
		uint64_t left = tg->itimer_expires > now ? tg->itimer_expires - now : 1000;
		v->it_value.tv_sec = (time_t)(left / 1000000000ull);
		v->it_value.tv_usec = (suseconds_t)(left % 1000000000ull / 1000);
		if (!v->it_value.tv_sec && !v->it_value.tv_usec)
			v->it_value.tv_usec = 1;
	}
	v->it_interval.tv_sec = (time_t)(tg->itimer_interval / 1000000000ull);
	v->it_interval.tv_usec = (suseconds_t)(tg->itimer_interval % 1000000000ull / 1000);
}

static void itimer_set(struct thread_group *tg, const struct itimerval *v)
{
	struct kernel *k = tg->k;
	ns_timer_disarm(k->wheel, &tg->itimer);
	tg->itimer.fn = itimer_fire;
	uint64_t val = (uint64_t)v->it_value.tv_sec * 1000000000ull + (uint64_t)v->it_value.tv_usec * 1000;
	tg->itimer_interval =
		(uint64_t)v->it_interval.tv_sec * 1000000000ull + (uint64_t)v->it_interval.tv_usec * 1000;
	if (val) {
		tg->itimer_expires = kclock_mono() + val;
		ns_timer_arm(k->wheel, &tg->itimer, tg->itimer_expires);
	} else {
		tg->itimer_expires = 0;
	}
}

SYSCALL(setitimer)
{
	int which = (int)ARG(0);
	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF)
		return -ENATIVE; /* CPU-time timers: the host counts the CPU */
	if (which != ITIMER_REAL)
		return -EINVAL;
	struct itimerval nv, ov;
	if (ARG(1)) {
		if (copy_from_user(t, &nv, ARG(1), sizeof(nv)))
			return -EFAULT;
		if (nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 || nv.it_interval.tv_usec < 0 ||
		    nv.it_interval.tv_usec >= 1000000 || nv.it_value.tv_sec < 0 || nv.it_interval.tv_sec < 0)
			return -EINVAL;
	} else {
		memset(&nv, 0, sizeof(nv));
	}
	itimer_get(t->tg, &ov);
	if (ARG(2) && copy_to_user(t, ARG(2), &ov, sizeof(ov)))
		return -EFAULT;
	itimer_set(t->tg, &nv);
	return 0;
}

SYSCALL(getitimer)
{
	int which = (int)ARG(0);
	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF)
		return -ENATIVE;
	if (which != ITIMER_REAL)
		return -EINVAL;
	struct itimerval v;
	itimer_get(t->tg, &v);
	return copy_to_user(t, ARG(1), &v, sizeof(v)) ? -EFAULT : 0;
}

SYSCALL(alarm)
{
	struct itimerval ov, nv;
	memset(&nv, 0, sizeof(nv));
	nv.it_value.tv_sec = (time_t)(unsigned)ARG(0);
	itimer_get(t->tg, &ov);
	itimer_set(t->tg, &nv);
	long left = ov.it_value.tv_sec;
	if (ov.it_value.tv_usec >= 500000 || (!left && ov.it_value.tv_usec))
		left++;
	return left;
}
