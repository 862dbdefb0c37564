/* Tasks, thread groups and the per-task contexts they share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

static void task_timer_fn(struct ns_timer *tm, ns_time_t now);

struct task *task_alloc(struct kernel *k)
{
	struct task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->k = k;
	t->state = TS_NEW;
	list_init(&t->tg_link);
	list_init(&t->runq_link);
	list_init(&t->pending.queue);
	waitq_init(&t->vfork_wq);
	ns_timer_init(&t->timer, task_timer_fn);
	t->restart_nr = -1;
	t->altstack.ss_flags = SS_DISABLE;
	t->start_ns = kclock_mono();
	return t;
}

static void task_timer_fn(struct ns_timer *tm, ns_time_t now)
{
	(void)now;
	struct task *t = ns_container_of(tm, struct task, timer);
	t->sc.timed_out = 1;
	task_wake(t);
}

static void sigpending_clear(struct sigpending *p)
{
	while (!list_empty(&p->queue)) {
		struct sigqueue *q = list_entry(p->queue.next, struct sigqueue, link);
		list_del(&q->link);
		free(q);
	}
	p->set = 0;
}

void task_free(struct task *t)
{
	if (!t)
		return;
	ns_timer_disarm(t->k->wheel, &t->timer);
	for (int i = 0; i < t->nwaits; i++) {
		waitq_del(&t->waits[i]->w);
		free(t->waits[i]);
	}
	free(t->waits);
	if (list_linked(&t->runq_link))
		list_del(&t->runq_link);
	sigpending_clear(&t->pending);
	waitq_destroy(&t->vfork_wq, 0);
	fdtable_put(t->files);
	nsproxy_put(t->nsp);
	userns_put(t->userns);
	fs_ctx_put(t->fs);
	sighand_put(t->sighand);
	mm_put(t->mm);
	/* a syscall that never finished (the task died parked) */
	if (t->sc.cleanup)
		t->sc.cleanup(t);
	free(t->sc.p);
	free(t->strace_buf);
	free(t);
}

struct thread_group *tg_alloc(struct kernel *k, pid_t tgid)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));
	if (!tg)
		return NULL;
	tg->k = k;
	tg->tgid = tgid;
	list_init(&tg->threads);
	list_init(&tg->children);
	list_init(&tg->sibling);
	list_init(&tg->pending_reaps);
	list_init(&tg->reap_link);
	list_init(&tg->pending.queue);
	waitq_init(&tg->child_wq);
	waitq_init(&tg->sig_wq);
	tg->exit_signal = SIGCHLD;
	tg->start_ns = kclock_mono();
	list_add_tail(&tg->all_link, &k->thread_groups);
	return tg;
}

void tg_free(struct thread_group *tg)
{
	if (!tg)
		return;
	ns_timer_disarm(tg->k->wheel, &tg->itimer);
	sigpending_clear(&tg->pending);
	waitq_destroy(&tg->child_wq, 0);
	waitq_destroy(&tg->sig_wq, 0);
	if (list_linked(&tg->sibling))
		list_del(&tg->sibling);
	if (list_linked(&tg->reap_link))
		list_del(&tg->reap_link);
	if (list_linked(&tg->all_link))
		list_del(&tg->all_link);
	if (tg->tty)
		file_put(tg->tty);
	free(tg);
}

struct fs_ctx *fs_ctx_clone(struct fs_ctx *fs)
{
	struct fs_ctx *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->ref = 1;
	n->root = fs->root;
	n->cwd = fs->cwd;
	path_get(&n->root);
	path_get(&n->cwd);
	n->umask = fs->umask;
	return n;
}

void fs_ctx_put(struct fs_ctx *fs)
{
	if (!fs || --fs->ref)
		return;
	path_put(&fs->root);
	path_put(&fs->cwd);
	free(fs);
}

struct sighand *sighand_alloc(void)
{
	struct sighand *sh = calloc(1, sizeof(*sh));
	if (sh)
		sh->ref = 1;
	return sh;
}

struct sighand *sighand_dup(struct sighand *src)
{
	struct sighand *sh = sighand_alloc();
	if (sh)
		memcpy(sh->action, src->action, sizeof(sh->action));
	return sh;
}

void sighand_put(struct sighand *sh)
{
	if (sh && --sh->ref == 0)
		free(sh);
}

struct mm *mm_alloc(void)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	if (mm) {
		mm->ref = 1;
		mm->dumpable = 1;
	}
	return mm;
}

struct mm *mm_get(struct mm *mm)
{
	mm->ref++;
	return mm;
}

void mm_put(struct mm *mm)
{
	if (!mm || --mm->ref)
		return;
	ipc_mm_release(mm);
	while (mm->names) {
		struct mapname *n = mm->names;
		mm->names = n->next;
		free(n->path);
		free(n);
	}
	path_put(&mm->exe);
	free(mm);
}

void mm_add_name(struct mm *mm, uint64_t dev, uint64_t ino, const char *path)
{
	if (!dev && !ino)
		return;
	for (struct mapname *n = mm->names; n; n = n->next)
		if (n->dev == dev && n->ino == ino)
			return;
	struct mapname *n = calloc(1, sizeof(*n));
	if (!n)
		return;
	n->dev = dev;
	n->ino = ino;
	n->path = strdup(path);
	n->next = mm->names;
	mm->names = n;
}

int task_is_root(const struct task *t)
{
	return t->cred.euid == 0;
}

/* A capability over what the sandbox's own user namespace owns (the
 * files, the hardware, the sandbox's network): nothing a task of a nested
 * user namespace has, whatever its set says (ns_capable). */
int capable(const struct task *t, int cap)
{
	return ns_capable(t, ns_sandbox_user(t->k), cap);
}

void task_fake_init(struct task *fake, struct kernel *k, struct fs_ctx *fs)
{
	memset(fake, 0, sizeof(*fake));
	fake->k = k;
	fake->fs = fs;
	fake->cred.cap_effective = CAP_ALL;
}

void cred_init(struct cred *c, uid_t uid, gid_t gid, const gid_t *groups, int ngroups)
{
	memset(c, 0, sizeof(*c));
	c->uid = c->euid = c->suid = c->fsuid = uid;
	c->gid = c->egid = c->sgid = c->fsgid = gid;
	c->ngroups = ngroups < 32 ? ngroups : 32;
	if (c->ngroups)
		memcpy(c->groups, groups, (size_t)c->ngroups * sizeof(gid_t));
	c->cap_bounding = CAP_ALL;
	if (uid == 0)
		c->cap_effective = c->cap_permitted = CAP_ALL;
}
