/*
 * Process file descriptors (pidfd_open(2), clone's CLONE_PIDFD):
 * pidfd_open, pidfd_getfd; pidfd_send_signal is in sys_signal.c and
 * waitid(P_PIDFD) in sys_proc.c.
 *
 * A pidfd names one process for its whole life: it keeps the pid and the
 * process's start time, so a pid reused after the process was reaped is
 * not taken for it. It polls readable (POLLIN) once the process has
 * exited (every thread) and POLLHUP as well once it has been reaped; the
 * kernel's exit_wq announces both.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "syscalls.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

struct pidfd {
	struct kernel *k;
	pid_t pid;
	uint64_t start_ns;
};

static const struct file_ops pidfd_ops;

struct thread_group *pidfd_target(struct file *f, int *is_pidfd)
{
	*is_pidfd = f->ops == &pidfd_ops;
	if (!*is_pidfd)
		return NULL;
	struct pidfd *p = f->priv;
	struct task *l = task_lookup(p->k, p->pid);
	if (!l || l->tg->tgid != p->pid || l->tg->state == TG_DEAD || l->tg->start_ns != p->start_ns)
		return NULL;
	return l->tg;
}

pid_t pidfd_pid(struct file *f)
{
	return f->ops == &pidfd_ops ? ((struct pidfd *)f->priv)->pid : 0;
}

static uint32_t pidfd_poll(struct file *f, struct task *t)
{
	(void)t;
	int is;
	struct thread_group *tg = pidfd_target(f, &is);
	if (!tg)
		return POLLIN | POLLRDNORM | POLLHUP;
	return tg->state == TG_LIVE ? 0 : POLLIN | POLLRDNORM;
}

static struct waitq *pidfd_waitq(struct file *f, struct task *t)
{
	(void)t;
	return &((struct pidfd *)f->priv)->k->exit_wq;
}

static int pidfd_name(struct file *f, char *buf, size_t len)
{
	(void)f;
	return snprintf(buf, len, "anon_inode:[pidfd]");
}

static void pidfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops pidfd_ops = {
	.poll = pidfd_poll,
	.waitq = pidfd_waitq,
	.name = pidfd_name,
	.release = pidfd_release,
};

/* A new pidfd for tg, installed close-on-exec (always, as Linux). */
long pidfd_install(struct task *t, struct thread_group *tg, unsigned flags)
{
	return pidfd_install_id(t, tg->tgid, tg->start_ns, flags);
}

long pidfd_install_id(struct task *t, pid_t pid, uint64_t start_ns, unsigned flags)
{
	struct pidfd *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->k = t->k;
	p->pid = pid;
	p->start_ns = start_ns;
	struct file *f = file_anon(t->k->vfs, &pidfd_ops, O_RDWR | (flags & O_NONBLOCK), p, 0600);
	if (!f) {
		free(p);
		return -ENOMEM;
	}
	int fd = fd_install(t, f, 1, 0);
	file_put(f);
	return fd;
}

SYSCALL(pidfd_open)
{
	pid_t pid = (pid_t)ARG(0);
	unsigned flags = (unsigned)ARG(1);
	if (flags & ~(unsigned)PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	struct task *l = task_lookup(t->k, pid);
	if (!l || l->state == TS_DEAD || l->tg->state == TG_DEAD)
		return -ESRCH;
	if (l->tg->tgid != pid)
		return -EINVAL; /* a thread, not a process */
	return pidfd_install(t, l->tg, flags);
}

SYSCALL(pidfd_getfd)
{
	int pidfd = (int)ARG(0), targetfd = (int)ARG(1);
	if (ARG(2))
		return -EINVAL;
	long err;
	struct file *pf = fget_or(t, pidfd, &err);
	if (!pf)
		return err;
	int is;
	struct thread_group *tg = pidfd_target(pf, &is);
	file_put(pf);
	if (!is)
		return -EBADF;
	if (!tg || tg->state != TG_LIVE || !tg->leader || !tg->leader->files)
		return -ESRCH;
	/* ptrace access: the same user, or CAP_SYS_PTRACE */
	struct cred *c = &tg->leader->cred;
	if (!capable(t, KCAP_SYS_PTRACE) &&
	    (c->uid != t->cred.uid || c->euid != t->cred.uid || c->suid != t->cred.uid))
		return -EPERM;
	struct task *holder = tg->leader;
	struct file *f = fd_get(holder, targetfd);
	if (!f)
		return -EBADF;
	int fd = fd_install(t, f, 1, 0);
	file_put(f);
	return fd;
}
