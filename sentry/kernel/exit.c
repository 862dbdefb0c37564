/*
 * The end of threads and processes: exit, zombies, reparenting, reaping.
 *
 * A thread ends on the host first (exit/exit_group run natively once the
 * sentry has recorded them; fatal signals are a host SIGKILL). The
 * platform then reports PSTOP_EXITED and task_exited() updates the
 * virtual state. When the last thread of a group is gone the group becomes
 * a zombie for its virtual parent, which is told with its exit signal.
 *
 * Host zombies. Host processes are created by their parent's clone, so the
 * host kernel keeps each one as a zombie of its host parent until that
 * parent waits for it; tg_reap_host() makes the host parent do so (an
 * injected wait4) when the sentry reaps the virtual zombie. Until then the
 * pid stays allocated on the host, so it cannot be reused while the sentry
 * still knows it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kernel.h"

struct host_reap {
	struct list link;
	pid_t pid;
};

static int task_stopped(struct task *t)
{
	return t->pt && (t->state == TS_SYSCALL || t->state == TS_PARKED ||
			 t->state == TS_RUNNABLE || t->state == TS_HELD);
}

/* An injected wait in t for its host child pid; the host's rusage of the
 * child lands in *ru. Returns pid once reaped, 0 if it is not a zombie yet,
 * or -errno. (waitid, with the siginfo in the scratch page: wait4 from a
 * task stopped in another syscall answered EFAULT on this kernel.) */
static long reap_in(struct task *t, pid_t pid, struct rusage *ru)
{
	uint64_t uinfo = PLATFORM_SCRATCH + 0x200;
	uint64_t uru = ru ? PLATFORM_SCRATCH + 0x400 : 0;
	int zero = 0;
	if (copy_to_user(t, uinfo + offsetof(siginfo_t, si_pid), &zero, sizeof(zero)))
		return -EFAULT;
	long r = task_host_syscall(t, SYS_waitid, P_PID, (uint64_t)pid, uinfo, WEXITED | WNOHANG | __WALL, uru, 0);
	if (r < 0)
		return r;
	siginfo_t si;
	if (copy_from_user(t, &si, uinfo, sizeof(si)))
		return -EFAULT;
	if (si.si_pid != pid)
		return 0;
	if (ru && copy_from_user(t, ru, uru, sizeof(*ru)))
		memset(ru, 0, sizeof(*ru));
	return pid;
}

/* Reaps what t's process owes; what is not a zombie yet stays listed. */
static void flush_reaps(struct task *t)
{
	struct list *l, *n;
	list_for_each_safe(l, n, &t->tg->pending_reaps)
	{
		struct host_reap *r = list_entry(l, struct host_reap, link);
		long e = reap_in(t, r->pid, NULL);
		if (e == 0)
			continue; /* not a zombie on the host yet */
		if (e < 0 && e != -ECHILD)
			klog(t->k, "host reap of %d in %d: %ld", r->pid, t->tid, e);
		list_del(&r->link);
		free(r);
	}
}

static void arm_reap_retry(struct kernel *k);

/* A host zombie is reapable only once the host has finished the exit the
 * sentry saw; a parent that stays parked (init in a long sleep) would keep
 * it forever: retry from the timer, backing off to a second. */
static void reap_retry(struct ns_timer *tm, ns_time_t now)
{
	struct kernel *k = ns_container_of(tm, struct kernel, reap_timer);
	(void)now;
	int left = 0;
	struct list *l, *m;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (list_empty(&g->pending_reaps) || g->state != TG_LIVE)
			continue;
		list_for_each(m, &g->threads)
		{
			struct task *t = list_entry(m, struct task, tg_link);
			if (task_stopped(t)) {
				flush_reaps(t);
				break;
			}
		}
		left |= !list_empty(&g->pending_reaps);
	}
	if (left)
		arm_reap_retry(k);
	else
		k->reap_backoff_ms = 0;
}

static void arm_reap_retry(struct kernel *k)
{
	if (!k->reap_timer.fn)
		ns_timer_init(&k->reap_timer, reap_retry);
	if (ns_timer_armed(&k->reap_timer))
		return;
	k->reap_backoff_ms = k->reap_backoff_ms ? k->reap_backoff_ms * 2 : 5;
	if (k->reap_backoff_ms > 1000)
		k->reap_backoff_ms = 1000;
	ns_timer_arm(k->wheel, &k->reap_timer, kclock_mono() + (uint64_t)k->reap_backoff_ms * 1000000);
}

void tg_flush_host_reaps(struct task *t)
{
	flush_reaps(t);
	if (!list_empty(&t->tg->pending_reaps))
		arm_reap_retry(t->k);
}

void tg_reap_host(struct thread_group *child, struct rusage *ru)
{
	struct thread_group *hp = child->host_parent;
	if (!hp || hp->state != TG_LIVE)
		return;
	struct list *l;
	list_for_each(l, &hp->threads)
	{
		struct task *t = list_entry(l, struct task, tg_link);
		if (task_stopped(t)) {
			long e = reap_in(t, child->tgid, ru);
			if (e == child->tgid || e == -ECHILD)
				return;
			break;
		}
	}
	/* Nobody there is stopped now, or the zombie is not ready: at its
	 * next syscall, or from the retry timer. */
	struct host_reap *r = malloc(sizeof(*r));
	if (!r)
		return;
	r->pid = child->tgid;
	list_add_tail(&r->link, &hp->pending_reaps);
	arm_reap_retry(hp->k);
}

/* The virtual zombie is gone (waited for or auto-reaped). */
static void tg_release(struct thread_group *tg, struct rusage *ru)
{
	struct kernel *k = tg->k;
	if (tg->parent) {
		tg->parent->cutime_ns += tg->cpu_dead_ns + tg->cutime_ns;
	}
	if (list_linked(&tg->sibling))
		list_del(&tg->sibling);
	tg_reap_host(tg, ru);
	tg->state = TG_DEAD;
	waitq_wake(&k->exit_wq, POLLHUP);
	struct task *leader = tg->leader;
	if (leader) {
		k->nr_tasks--;
		pid_hash_del(k, leader);
		if (list_linked(&leader->tg_link))
			list_del(&leader->tg_link);
		task_free(leader);
		tg->leader = NULL;
	}
	tg_free(tg);
}

static struct thread_group *find_reaper(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	for (struct thread_group *p = tg->parent; p; p = p->parent) {
		if (p->subreaper && p->state == TG_LIVE && !p->group_exiting)
			return p;
	}
	if (k->init && k->init != tg && k->init->state == TG_LIVE)
		return k->init;
	return NULL;
}

static void notify_parent_exit(struct thread_group *tg)
{
	struct thread_group *p = tg->parent;
	if (!p || p->state != TG_LIVE || !p->leader) {
		return;
	}
	int autoreap = 0;
	int sig = tg->exit_signal;
	struct ksigaction *ka = &p->leader->sighand->action[SIGCHLD - 1];
	if (sig == SIGCHLD && (ka->handler == (uint64_t)SIG_IGN || (ka->flags & SA_NOCLDWAIT))) {
		autoreap = 1;
		if (ka->handler == (uint64_t)SIG_IGN)
			sig = 0;
	}
	if (sig > 0 && sig <= NSIG_K) {
		siginfo_t si;
		int st = tg->exit_code;
		siginfo_kernel(&si, sig, WIFEXITED(st) ? CLD_EXITED : CLD_KILLED);
		si.si_pid = tg->tgid;
		si.si_uid = tg->leader ? tg->leader->cred.uid : 0;
		si.si_status = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
		send_signal_tg(p, sig, &si);
	}
	waitq_wake(&p->child_wq, 0);
	if (autoreap)
		tg_release(tg, NULL);
}

static void kill_orphaned_pgrp(struct kernel *k, pid_t pgid)
{
	/* POSIX: a process group that becomes orphaned with stopped members
	 * gets SIGHUP then SIGCONT. */
	int stopped = 0;
	struct list *l;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->pgid == pgid && g->state == TG_LIVE && g->stopped)
			stopped = 1;
	}
	if (!stopped)
		return;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->pgid != pgid || g->state != TG_LIVE)
			continue;
		struct thread_group *p = g->parent;
		if (!p && g == k->init)
			return; /* init's parent is moat, outside */
		if (p && p->state == TG_LIVE && p->pgid != pgid && p->sid == g->sid)
			return; /* not orphaned */
	}
	siginfo_t si;
	siginfo_kernel(&si, SIGHUP, SI_KERNEL);
	kill_pgrp(k, pgid, SIGHUP, &si);
	siginfo_kernel(&si, SIGCONT, SI_KERNEL);
	kill_pgrp(k, pgid, SIGCONT, &si);
}

/* Every process of session sid loses its controlling terminal. */
void session_drop_ctty(struct kernel *k, pid_t sid)
{
	struct list *l;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->sid == sid && g->tty) {
			file_put(g->tty);
			g->tty = NULL;
		}
	}
}

static void tg_exit_final(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	tg->state = TG_ZOMBIE;
	if (!tg->group_exiting && tg->leader)
		tg->exit_code = tg->leader->exit_code;
	waitq_wake(&k->exit_wq, POLLIN);
	ipc_exit_tg(tg);
	/* Its namespaces go now that the System V adjustments are applied (in
	 * the leader's IPC namespace): a zombie must not keep a network
	 * namespace's stack alive. (Here, before a parent that does not wait
	 * releases the group below.) */
	if (tg->leader) {
		nsproxy_put(tg->leader->nsp);
		tg->leader->nsp = NULL;
	}
	ns_timer_disarm(k->wheel, &tg->itimer);
	posix_timers_exit(tg);
	klog(k, "process %d exited, status %#x", tg->tgid, tg->exit_code);

	/* A session leader's death hangs up its terminal (foreground group
	 * gets SIGHUP + SIGCONT) and frees it for another session. */
	if (tg->sid == tg->tgid && tg->tty) {
		pty_session_end(tg->tty, k);
		session_drop_ctty(k, tg->sid);
	}

	/* Children go to the nearest subreaper or to init; host zombies
	 * follow the host's rule (always init, the namespace's reaper). */
	struct thread_group *reaper = find_reaper(tg);
	struct list *l, *n;
	list_for_each_safe(l, n, &tg->children)
	{
		struct thread_group *c = list_entry(l, struct thread_group, sibling);
		list_del(&c->sibling);
		c->parent = reaper;
		if (reaper) {
			list_add_tail(&c->sibling, &reaper->children);
			if (c->state == TG_ZOMBIE)
				notify_parent_exit(c);
		} else if (c->state == TG_ZOMBIE) {
			tg_release(c, NULL);
		}
	}
	struct thread_group *hinit = k->init && k->init != tg && k->init->state == TG_LIVE ? k->init : NULL;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->host_parent == tg)
			g->host_parent = hinit;
	}
	while (!list_empty(&tg->pending_reaps)) {
		struct host_reap *r = list_entry(tg->pending_reaps.next, struct host_reap, link);
		list_del(&r->link);
		if (hinit)
			list_add_tail(&r->link, &hinit->pending_reaps);
		else
			free(r);
	}
	/* Our own group may now be orphaned (we were its link outside). */
	if (tg->parent)
		kill_orphaned_pgrp(k, tg->pgid);

	if (tg == k->init) {
		k->done = 1;
		k->exit_status = tg->exit_code;
		/* The host pid namespace dies with its init; make the virtual
		 * state agree. */
		list_for_each(l, &k->thread_groups)
		{
			struct thread_group *g = list_entry(l, struct thread_group, all_link);
			if (g != tg && g->state == TG_LIVE)
				tg_kill_all(g, SIGKILL);
		}
		return;
	}
	if (!tg->parent) {
		/* Started from outside (spawn.c): whoever asked is told, and
		 * nobody inside waits for it. */
		kernel_spawn_exited(tg);
		tg_release(tg, NULL);
		return;
	}
	notify_parent_exit(tg);
}

void task_exited(struct task *t, int host_status)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	if (t->state == TS_DEAD)
		return;
	int was_exiting = t->state == TS_EXITING;
	t->state = TS_DEAD;
	if (list_linked(&t->runq_link))
		list_del(&t->runq_link);
	task_cancel_wait(t);
	if (t->pt) {
		t->pt->owner = NULL;
		t->pt = NULL;
	}
	/* A zombie still counts against --pids-limit, as a task in a Linux
	 * pids cgroup does until it is reaped. */
	if (t != tg->leader)
		k->nr_tasks--;
	if (t->vfork_parent) {
		t->vfork_done = 1;
		t->vfork_parent = NULL;
		waitq_wake(&t->vfork_wq, 0);
	}
	if (WIFEXITED(host_status)) {
		t->exit_code = host_status & 0xff00;
	} else if (WIFSIGNALED(host_status)) {
		int sig = WTERMSIG(host_status);
		if (!tg->group_exiting && !was_exiting) {
			/* The host killed it on its own: the seccomp filter
			 * (a syscall of another ABI) or a resource limit. */
			klog(k, "pid %d: killed by host signal %d", t->tid, sig);
			if ((sig_sync(sig) && sig != SIGSYS) || sig == SIGABRT)
				/* A fault the platform never saw (its handler
				 * was not in place): moat's failure, said where a
				 * user sees it. */
				fprintf(stderr, "moat: pid %d (%.16s): killed by the host with signal %d, unseen by moat\n",
					t->tid, t->comm, sig);
			tg_kill_all(tg, sig);
		}
		t->exit_code = sig;
	}
	t->cpu_ns = 0;
	/* A thread's resources go when it ends, not when it is reaped. */
	fdtable_put(t->files);
	t->files = NULL;
	fs_ctx_put(t->fs);
	t->fs = NULL;
	tg->nr_threads--;
	if (t != tg->leader) {
		pid_hash_del(k, t);
		list_del(&t->tg_link);
		task_free(t);
	}
	/* (tg_exit_final may free the group: nothing of it after) */
	if (tg->nr_threads == 0 && tg->state == TG_LIVE) {
		tg_exit_final(tg);
	} else if (tg->nr_threads == 0 && tg->leader) {
		nsproxy_put(tg->leader->nsp);
		tg->leader->nsp = NULL;
	}
}

void do_exit_group(struct task *t, int status)
{
	struct thread_group *tg = t->tg;
	if (!tg->group_exiting) {
		tg->group_exiting = 1;
		tg->exit_code = (status & 0xff) << 8;
	}
	struct list *l;
	list_for_each(l, &tg->threads)
	{
		struct task *c = list_entry(l, struct task, tg_link);
		if (c == t || c->state == TS_DEAD)
			continue;
		if (list_linked(&c->runq_link))
			list_del(&c->runq_link);
		task_cancel_wait(c);
		c->state = TS_EXITING;
	}
}

/* Virtual reap from wait4/waitid. */
void tg_reap(struct thread_group *tg, struct rusage *ru)
{
	if (ru)
		memset(ru, 0, sizeof(*ru));
	tg_release(tg, ru);
}
