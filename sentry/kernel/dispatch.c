/*
 * The dispatcher: what happens when a task stops, how syscalls run, park
 * and resume (see kernel.h for the model).
 *
 * Task states and transitions:
 *
 *   RUNNING --syscall stop--> SYSCALL --result--> (signals) --> RUNNING
 *                                |  \--EPARK--> PARKED --wake--> RUNNABLE
 *                                |                                  |
 *                                '<------ run queue re-runs it -----'
 *   RUNNING --fault/interrupt stop--> SYSCALL (signal delivery) --> RUNNING
 *   any stopped state --group stop--> HELD --SIGCONT--> (resumed)
 *
 * Only this file moves a task between these states.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "ns/loop.h"
#include "kernel.h"
#include "../syscalls/syscalls.h"

static void run_syscall(struct task *t);

static int task_waiter_fn(struct waiter *w, uint32_t events)
{
	(void)events;
	struct task_waiter *tw = (struct task_waiter *)w;
	int parked = tw->t->state == TS_PARKED;
	task_wake(tw->t);
	return parked;
}

int task_wait(struct task *t, struct waitq *q, uint32_t events)
{
	if (t->nwaits == t->capwaits) {
		int n = t->capwaits ? t->capwaits * 2 : 8;
		struct task_waiter **nw = realloc(t->waits, (size_t)n * sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		t->waits = nw;
		t->capwaits = n;
	}
	struct task_waiter *tw = malloc(sizeof(*tw));
	if (!tw)
		return -ENOMEM;
	waiter_init(&tw->w, task_waiter_fn, NULL);
	tw->t = t;
	waitq_add(q, &tw->w, events);
	t->waits[t->nwaits++] = tw;
	return 0;
}

void task_wait_until(struct task *t, uint64_t deadline)
{
	ns_timer_arm(t->k->wheel, &t->timer, deadline);
}

void task_cancel_wait(struct task *t)
{
	for (int i = 0; i < t->nwaits; i++) {
		waitq_del(&t->waits[i]->w);
		free(t->waits[i]);
	}
	t->nwaits = 0;
	ns_timer_disarm(t->k->wheel, &t->timer);
}

void task_wake(struct task *t)
{
	if (t->state != TS_PARKED)
		return;
	t->state = TS_RUNNABLE;
	list_add_tail(&t->runq_link, &t->k->runq);
}

void task_kick(struct task *t)
{
	switch (t->state) {
	case TS_RUNNING:
		if (!t->kick_pending && t->pt) {
			if (platform_interrupt(t->pt) == 0)
				t->kick_pending = 1;
		}
		break;
	case TS_PARKED:
	case TS_RUNNABLE:
		if (signal_pending_for(t) && t->sc.intr != -EPARK) {
			t->sig_interrupted = 1;
			task_wake(t);
		}
		break;
	default:
		break;
	}
}

void task_set_result(struct task *t, long ret)
{
	t->pt->regs.rax = (uint64_t)ret;
	t->pt->regs.orig_rax = (uint64_t)-1;
	platform_regs_dirty(t->pt);
}

static int is_restart(long r)
{
	return r == -ERESTARTSYS || r == -ERESTARTNOINTR || r == -ERESTARTNOHAND ||
	       r == -ERESTART_RESTARTBLOCK;
}

/* No handler took the interrupted syscall: restart it transparently. */
static void restart_nohandler(struct task *t)
{
	struct user_regs_struct *r = &t->pt->regs;
	long rax = (long)r->rax;
	if (t->restart_nr >= 0 && is_restart(rax)) {
		r->rip -= 2;
		r->rax = rax == -ERESTART_RESTARTBLOCK ? SYS_restart_syscall : (uint64_t)t->restart_nr;
		r->orig_rax = (uint64_t)-1;
		platform_regs_dirty(t->pt);
	}
	t->restart_nr = -1;
}

void task_return_to_user(struct task *t)
{
	if (t->state == TS_EXITING || t->state == TS_DEAD || !t->pt)
		return;
	t->state = TS_SYSCALL;
	if (signal_deliver(t))
		return; /* killed, exiting or held by a group stop */
	restart_nohandler(t);
	if (t->restore_blocked) {
		t->blocked = t->saved_blocked;
		t->restore_blocked = 0;
	}
	t->state = TS_RUNNING;
	if (platform_resume(t->pt) < 0) {
		/* The host thread is going away; its exit stop follows. */
		t->state = TS_EXITING;
		return;
	}
	/* A signal that became pending for us while delivering (rare). */
	if (signal_pending_for(t))
		task_kick(t);
}

static void syscall_done(struct task *t, long ret)
{
	struct kernel *k = t->k;
	if (ret == -EPARK) {
		k->stats.parks++;
		t->state = TS_PARKED;
		if (k->strace && t->sc.rerun == 0)
			strace_exit(t, -EPARK);
		/* A signal may have arrived before we parked. */
		if (t->sc.intr != -EPARK && signal_pending_for(t)) {
			t->sig_interrupted = 1;
			task_wake(t);
		}
		return;
	}
	task_cancel_wait(t);
	if (t->sc.cleanup) {
		t->sc.cleanup(t);
		t->sc.cleanup = NULL;
	}
	free(t->sc.p);
	t->sc.p = NULL;
	if (t->state == TS_EXITING || t->state == TS_DEAD)
		return;
	if (ret == -ENATIVE) {
		if (k->strace)
			strace_exit(t, -ENATIVE);
		t->state = TS_RUNNING;
		/* A thread's exit(2) ends it on the host: from here on it is
		 * on its way out (systrap lets it end itself, and it takes no
		 * signal meanwhile; see complete_signal). */
		if (platform_resume(t->pt) < 0 || t->sc_nr == SYS_exit)
			t->state = TS_EXITING;
		return;
	}
	if (k->strace)
		strace_exit(t, ret);
	if (ret != -ENORETURN) {
		task_set_result(t, ret);
		if (is_restart(ret))
			t->restart_nr = t->sc_nr;
	}
	task_return_to_user(t);
}

static void run_syscall(struct task *t)
{
	struct kernel *k = t->k;
	long nr = t->sc_nr;
	const struct syscall_desc *d = nr >= 0 && nr < NR_SYSCALLS ? &syscall_table[nr] : NULL;
	long ret;
	k->current = t;
	if (d && d->fn) {
		ret = d->fn(t);
	} else {
		ret = -ENOSYS;
		k->stats.enosys++;
		if (nr >= 0 && nr < (long)(sizeof(k->stats.enosys_by_nr) / sizeof(k->stats.enosys_by_nr[0]))) {
			if (k->stats.enosys_by_nr[nr]++ == 0)
				klog(k, "unsupported syscall %s (%ld) from pid %d, returning ENOSYS",
				     syscall_name(nr), nr, t->tid);
		} else {
			klog(k, "unsupported syscall %ld from pid %d, returning ENOSYS", nr, t->tid);
		}
	}
	syscall_done(t, ret);
}

static void handle_syscall(struct task *t)
{
	struct user_regs_struct *r = &t->pt->regs;
	t->state = TS_SYSCALL;
	t->sc_nr = (long)r->orig_rax;
	t->sc_args[0] = r->rdi;
	t->sc_args[1] = r->rsi;
	t->sc_args[2] = r->rdx;
	t->sc_args[3] = r->r10;
	t->sc_args[4] = r->r8;
	t->sc_args[5] = r->r9;
	memset(&t->sc, 0, sizeof(t->sc));
	t->sc.intr = -ERESTARTSYS;
	t->sig_interrupted = 0;
	t->restart_nr = -1;
	t->k->stats.syscalls++;
	if (t->k->spawns)
		kernel_spawn_run(t->k, t); /* a process from outside waits for a stopped task */
	if (!list_empty(&t->tg->pending_reaps))
		tg_flush_host_reaps(t);
	if (t->k->strace)
		strace_enter(t);
	run_syscall(t);
}

/* A flusher (after every hook of a loop iteration): a task made runnable by
 * a later hook (the netstack delivering loopback traffic wakes readers from
 * its own hook, after this queue ran) must keep the loop from sleeping, or
 * it would wait for an unrelated event. */
/* The loop's idle check (ns_loop_add_idle_check). */
const char *kernel_runq_busy(void *arg)
{
	struct kernel *k = arg;
	return list_empty(&k->runq) ? NULL : "a task of the sandbox is runnable";
}

int kernel_runq_pending(void *arg)
{
	return kernel_runq_busy(arg) != NULL;
}

int kernel_run_queue(void *arg)
{
	struct kernel *k = arg;
	int n = 0;
	while (!list_empty(&k->runq)) {
		struct task *t = list_entry(k->runq.next, struct task, runq_link);
		list_del(&t->runq_link);
		if (t->state != TS_RUNNABLE)
			continue;
		n++;
		t->state = TS_SYSCALL;
		task_cancel_wait(t);
		if (t->sig_interrupted) {
			t->sig_interrupted = 0;
			if (signal_pending_for(t)) {
				long r = t->sc.on_intr ? t->sc.on_intr(t) : t->sc.intr;
				syscall_done(t, r);
				continue;
			}
			/* The signal went away (taken by another thread):
			 * just try again. */
		}
		t->sc.rerun++;
		run_syscall(t);
	}
	return 0;
}

static void handle_interrupt(struct task *t)
{
	struct user_regs_struct *r = &t->pt->regs;
	t->state = TS_SYSCALL;
	t->kick_pending = 0;
	if (t->k->spawns)
		kernel_spawn_run(t->k, t);
	/* Interrupted inside a native syscall (a futex wait): handle its
	 * restart ourselves, so the kernel's own restart logic never runs on
	 * registers we changed. */
	if ((long)r->orig_rax >= 0) {
		t->restart.active = 0; /* the host's restart block applies */
		t->restart_nr = (long)r->orig_rax;
		r->orig_rax = (uint64_t)-1;
		platform_regs_dirty(t->pt);
	} else {
		t->restart_nr = -1;
	}
	task_return_to_user(t);
}

void kernel_on_stop(void *ctx, struct ptask *pt, const struct pstop *st)
{
	struct kernel *k = ctx;
	struct task *t = pt->owner;
	if (!t) {
		if (st->kind != PSTOP_EXITED)
			platform_kill(pt);
		return;
	}
	switch (st->kind) {
	case PSTOP_EXITED:
		task_exited(t, st->status);
		return;
	case PSTOP_SYSCALL:
		if (t->state == TS_EXITING || t->state == TS_DEAD)
			return; /* SIGKILL is on its way */
		handle_syscall(t);
		return;
	case PSTOP_SIGNAL:
		if (t->state == TS_EXITING || t->state == TS_DEAD)
			return;
		t->state = TS_SYSCALL;
		t->restart_nr = -1;
		signal_fault(t, &st->info);
		task_return_to_user(t);
		return;
	case PSTOP_INTERRUPT:
		if (t->state == TS_EXITING || t->state == TS_DEAD)
			return;
		handle_interrupt(t);
		return;
	}
	(void)k;
}
