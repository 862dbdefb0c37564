/*
 * A new process in a running sandbox, from outside (the OCI runtime's
 * `exec`, Docker's `docker exec`): like Linux's runc exec, it is a process
 * of the sandbox with no parent inside (its parent pid is 0), a session
 * of its own, the credentials, environment, directory and stdio the
 * request gives, and its orphans go to init.
 *
 * Host side: tasks' virtual pids are their host pids in the sandbox's one
 * host pid namespace, so the new host process must be born inside it. It
 * is forked by injection from a "donor": any task of the sandbox that is
 * stopped in the sentry (parked in a syscall, or at one). If none is
 * stopped when the request comes, init's thread is interrupted and the
 * request runs at that stop, or at the next syscall of any task, whichever
 * comes first. The fork is immediately replaced by an execve of the
 * requested program, so nothing of the donor survives in it (its file
 * table, signal handlers and memory are not inherited).
 *
 * The host parent is the donor's process, which reaps the host zombie as
 * for any child (exit.c); the virtual zombie is released by the sentry once
 * the requester has been told the status.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

struct spawn_queue {
	struct list pending; /* struct spawn_req.link */
	int interrupting;
};

static struct spawn_queue *queue(struct kernel *k)
{
	if (!k->spawns) {
		k->spawns = calloc(1, sizeof(struct spawn_queue));
		if (k->spawns)
			list_init(&((struct spawn_queue *)k->spawns)->pending);
	}
	return k->spawns;
}

static int donor_ok(struct task *t)
{
	return t->pt && t->mm && (t->state == TS_PARKED || t->state == TS_RUNNABLE || t->state == TS_SYSCALL) &&
	       t->tg->state == TG_LIVE && !t->tg->group_exiting;
}

static struct task *find_donor(struct kernel *k)
{
	struct list *l, *m;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		list_for_each(m, &g->threads)
		{
			struct task *t = list_entry(m, struct task, tg_link);
			if (donor_ok(t) && t->state != TS_SYSCALL)
				return t;
		}
	}
	return NULL;
}

/* Makes the process; the request's result is reported through done(). */
static void spawn_one(struct kernel *k, struct task *donor, struct spawn_req *r)
{
	int e;
	struct path cwd;
	struct path root = { k->vfs->init.root, k->vfs->init.root->root };
	if (k->nr_tasks >= k->pids_limit) {
		r->done(r, -EAGAIN, "the pids limit is reached");
		return;
	}
	/* the directory first: nothing to undo if it is wrong */
	{
		struct fs_ctx fs = { 1, root, root, 022 };
		struct task fake;
		task_fake_init(&fake, k, &fs);
		fake.cred = r->cred; /* the walk is the new process's */
		struct nameidata nd;
		e = namei_at(&fake, &root, r->cwd ? r->cwd : "/", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &nd);
		if (e) {
			r->done(r, e, "the working directory");
			return;
		}
		cwd = nd.path;
	}
	struct task *c = task_alloc(k);
	if (!c) {
		path_put(&cwd);
		r->done(r, -ENOMEM, NULL);
		return;
	}
	c->cred = r->cred;
	c->cpus = k->cpus;
	c->mm = mm_alloc(); /* a placeholder: the execve below replaces it */
	c->files = r->files;
	r->files = NULL;
	c->fs = calloc(1, sizeof(*c->fs));
	c->sighand = sighand_alloc();
	if (!c->mm || !c->files || !c->fs || !c->sighand) {
		if (c->fs)
			c->fs->ref = 1;
		path_put(&cwd);
		task_free(c);
		r->done(r, -ENOMEM, NULL);
		return;
	}
	c->fs->ref = 1;
	c->fs->root = root;
	path_get(&c->fs->root);
	c->fs->cwd = cwd;
	c->fs->umask = 022;
	struct ptask *cpt;
	pid_t ntid;
	e = platform_clone(donor->pt, 0, 0, 0, 0, 0, &cpt, &ntid);
	if (e < 0) {
		task_free(c);
		r->done(r, e, "creating the host process");
		return;
	}
	c->tid = ntid;
	c->pt = cpt;
	cpt->owner = c;
	struct thread_group *tg = tg_alloc(k, ntid);
	if (!tg) {
		platform_kill(cpt);
		cpt->owner = NULL;
		task_free(c);
		r->done(r, -ENOMEM, NULL);
		return;
	}
	tg->leader = c;
	tg->parent = NULL;
	tg->host_parent = donor->tg;
	tg->pgid = tg->sid = ntid;
	memcpy(tg->rlim, k->init ? k->init->rlim : donor->tg->rlim, sizeof(tg->rlim));
	c->tg = tg;
	list_add_tail(&c->tg_link, &tg->threads);
	tg->nr_threads = 1;
	pid_hash_add(k, c);
	k->nr_tasks++;
	snprintf(c->comm, sizeof(c->comm), "%s", "exec");
	c->state = TS_SYSCALL;
	klog(k, "exec from outside: pid %d (forked from %d): %s", ntid, donor->tid, r->argv[0]);
	if (r->tty)
		r->tty(r, tg);
	e = exec_search(c, r->argv, r->envp, NULL);
	if (e != -ENORETURN) {
		/* Not started: it dies now, silently (the requester is told why). */
		tg_kill_all(tg, SIGKILL);
		r->done(r, e ? e : -ENOEXEC, r->argv[0]);
		return;
	}
	tg->spawn = r;
	task_return_to_user(c);
	r->done(r, ntid, NULL);
}

void kernel_spawn_run(struct kernel *k, struct task *donor)
{
	struct spawn_queue *q = k->spawns;
	if (!q || list_empty(&q->pending))
		return;
	if (!donor || !donor_ok(donor))
		donor = find_donor(k);
	if (!donor)
		return;
	q->interrupting = 0;
	while (!list_empty(&q->pending)) {
		struct spawn_req *r = list_entry(q->pending.next, struct spawn_req, link);
		list_del(&r->link);
		spawn_one(k, donor, r);
	}
}

int kernel_spawn(struct kernel *k, struct spawn_req *r)
{
	struct spawn_queue *q = queue(k);
	if (!q)
		return -ENOMEM;
	if (!k->init || k->done)
		return -ESRCH;
	list_add_tail(&r->link, &q->pending);
	struct task *d = find_donor(k);
	if (d) {
		kernel_spawn_run(k, d);
		return 0;
	}
	/* Everyone is running application code: stop init's leader (its
	 * interrupt stop, or any task's next syscall, runs the request). */
	struct task *t = k->init->leader;
	if (!q->interrupting && t && t->state == TS_RUNNING && t->pt && !t->kick_pending) {
		if (platform_interrupt(t->pt) == 0) {
			t->kick_pending = 1;
			q->interrupting = 1;
		}
	}
	return 0;
}

void kernel_spawn_cancel(struct kernel *k, struct spawn_req *r)
{
	(void)k;
	if (list_linked(&r->link))
		list_del(&r->link);
}

void kernel_spawn_exited(struct thread_group *tg)
{
	struct spawn_req *r = tg->spawn;
	tg->spawn = NULL;
	if (r && r->exited)
		r->exited(r, tg->exit_code);
}

void kernel_spawn_forget(struct thread_group *tg)
{
	tg->spawn = NULL;
}
