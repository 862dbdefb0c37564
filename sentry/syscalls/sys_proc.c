/* Processes and threads: clone, exec, exit, wait, ids, sessions, limits,
 * credentials, prctl, uname. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <asm/prctl.h>
#include <linux/capability.h>

#include "syscalls.h"

SYSCALL(getpid)
{
	return t->tg->tgid;
}

SYSCALL(gettid)
{
	return t->tid;
}

SYSCALL(getppid)
{
	struct thread_group *p = t->tg->parent;
	return p ? p->tgid : 0;
}

SYSCALL(set_tid_address)
{
	/* The host keeps the address (the clear-on-exit and futex wake are
	 * native) and answers with the tid in the sandbox's pid namespace,
	 * which is the virtual tid. */
	t->clear_child_tid = ARG(0);
	return -ENATIVE;
}

/* ---- clone ---- */

static struct mm *mm_dup(struct mm *src)
{
	struct mm *mm = mm_alloc();
	if (!mm)
		return NULL;
	uint32_t ref = mm->ref;
	struct mapname *names = NULL;
	*mm = *src;
	mm->ref = ref;
	mm->names = NULL;
	ipc_mm_dup(mm, src);
	path_get(&mm->exe);
	for (struct mapname *n = src->names; n; n = n->next)
		mm_add_name(mm, n->dev, n->ino, n->path);
	(void)names;
	return mm;
}

/* clone3-only flags (linux/sched.h) */
#define CLONE_CLEAR_SIGHAND_ 0x100000000ULL
#define CLONE_INTO_CGROUP_ 0x200000000ULL

long do_clone(struct task *t, const struct clone_req *req)
{
	struct kernel *k = t->k;
	uint64_t flags = req->flags, stack = req->stack, ptid = req->ptid, ctid = req->ctid, tls = req->tls;
	if (t->sc.rerun && t->sc.u[0]) {
		/* vfork: wait for the child to exec or exit */
		pid_t c = (pid_t)t->sc.u[0];
		struct task *ct = task_lookup(k, c);
		if (!ct || ct->vfork_done || ct->state == TS_DEAD || ct->vfork_parent != t)
			return c;
		t->sc.intr = -EPARK;
		int e = task_wait(t, &ct->vfork_wq, 0);
		return e ? c : -EPARK;
	}
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_FS) && (flags & CLONE_NEWNS))
		return -EINVAL;
	if ((flags & CLONE_NEWIPC) && (flags & CLONE_SYSVSEM))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && t->tg == k->init)
		return -EINVAL;
	if (flags & CLONE_PTRACE)
		return -EPERM; /* no ptrace inside the sandbox */
	if (flags & (CLONE_UNTRACED | CLONE_INTO_CGROUP_ | CLONE_CLEAR_SIGHAND_))
		return -EINVAL; /* (clone3 strips CLONE_CLEAR_SIGHAND into req) */
	if (req->exit_signal < 0 || req->exit_signal > NSIG_K)
		return -EINVAL;
	if (flags & CLONE_PIDFD) {
		/* the fd goes where pidfd points (clone: the parent_tid slot) */
		if (flags & (CLONE_THREAD | CLONE_DETACHED))
			return -EINVAL;
		int zero = 0;
		if (copy_to_user(t, req->pidfd, &zero, sizeof(zero)))
			return -EFAULT;
	}
	if (k->nr_tasks >= k->pids_limit) {
		klog(k, "pid %d: clone refused: pids limit %d reached", t->tid, k->pids_limit);
		return -EAGAIN;
	}
	if (!(flags & CLONE_THREAD) &&
	    (rlim_t)k->nr_tasks >= t->tg->rlim[RLIMIT_NPROC].rlim_cur && t->cred.uid != 0)
		return -EAGAIN;
	uint64_t hflags = flags & (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				   CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
				   CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_PARENT);
	/* Host exit signal 0: the host parent is never signalled; host
	 * zombies are reaped by the sentry (exit.c). */
	struct task *c = task_alloc(k);
	struct thread_group *ntg = NULL;
	if (!c)
		return -ENOMEM;
	c->cred = t->cred;
	long nse = ns_clone(t, c, flags);
	if (nse) {
		task_free(c);
		return nse;
	}
	c->nice = t->nice;
	c->cpus = t->cpus;
	c->sched_policy = t->sched_policy;
	c->ioprio = t->ioprio;
	c->mempolicy = t->mempolicy;
	if (t->sched_reset_on_fork && c->nice < 0) /* the flag itself is not inherited */
		c->nice = 0;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->blocked = t->blocked;
	c->mm = (flags & CLONE_VM) ? mm_get(t->mm) : mm_dup(t->mm);
	if (flags & CLONE_FILES) {
		c->files = t->files;
		c->files->ref++;
	} else {
		c->files = fdtable_dup(t->files);
	}
	if (flags & CLONE_FS) {
		c->fs = t->fs;
		c->fs->ref++;
	} else if (!c->fs) { /* (ns_clone made it for a new mount namespace) */
		c->fs = fs_ctx_clone(t->fs);
	}
	if (flags & CLONE_SIGHAND) {
		c->sighand = t->sighand;
		c->sighand->ref++;
	} else {
		c->sighand = sighand_dup(t->sighand);
		if (c->sighand && req->clear_sighand) /* handled -> default; ignored stays */
			for (int i = 0; i < NSIG_K; i++)
				if (c->sighand->action[i].handler != (uint64_t)(uintptr_t)SIG_IGN)
					memset(&c->sighand->action[i], 0, sizeof(c->sighand->action[i]));
	}
	if (!c->mm || !c->files || !c->fs || !c->sighand) {
		task_free(c);
		return -ENOMEM;
	}
	if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
		c->altstack = t->altstack;
	struct ptask *cpt;
	pid_t ntid;
	int e = platform_clone(t->pt, hflags, stack, ptid, ctid, tls, &cpt, &ntid);
	if (e < 0) {
		task_free(c);
		return e;
	}
	c->tid = ntid;
	c->pt = cpt;
	cpt->owner = c;
	/* The host clone ran with our flags in the argument registers; the
	 * child must see the application's (glibc's vfork keeps its return
	 * address in rdi across the syscall). */
	cpt->regs.rdi = t->pt->regs.rdi;
	cpt->regs.rsi = t->pt->regs.rsi;
	cpt->regs.rdx = t->pt->regs.rdx;
	cpt->regs.r10 = t->pt->regs.r10;
	cpt->regs.r8 = t->pt->regs.r8;
	cpt->regs.r9 = t->pt->regs.r9;
	if (flags & CLONE_THREAD) {
		c->tg = t->tg;
	} else {
		ntg = tg_alloc(k, ntid);
		if (!ntg) {
			platform_kill(cpt);
			cpt->owner = NULL;
			task_free(c);
			return -ENOMEM;
		}
		struct thread_group *ptg = t->tg;
		ntg->leader = c;
		ntg->parent = (flags & CLONE_PARENT) ? ptg->parent : ptg;
		ntg->host_parent = (flags & CLONE_PARENT) ? ptg->host_parent : ptg;
		list_add_tail(&ntg->sibling, &ntg->parent->children);
		ntg->pgid = ptg->pgid;
		ntg->sid = ptg->sid;
		memcpy(ntg->rlim, ptg->rlim, sizeof(ntg->rlim));
		ntg->oom_score_adj = ptg->oom_score_adj;
		ntg->oom_score_adj_min = ptg->oom_score_adj_min;
		ntg->exit_signal = req->exit_signal;
		ntg->tty = file_get(ptg->tty);
		c->tg = ntg;
	}
	list_add_tail(&c->tg_link, &c->tg->threads);
	c->tg->nr_threads++;
	c->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	pid_hash_add(k, c);
	k->nr_tasks++;
	if (flags & CLONE_VFORK)
		c->vfork_parent = t;
	klog(k, "pid %d: clone -> %d (flags %#llx)", t->tid, ntid, (unsigned long long)flags);
	if (flags & CLONE_PIDFD) {
		/* the child exists: a failure here leaves it without a pidfd,
		 * reported to the parent as the error */
		long fd = pidfd_install(t, c->tg, 0);
		if (fd >= 0 && copy_to_user(t, req->pidfd, &(int){ (int)fd }, sizeof(int)))
			fd = -EFAULT;
		if (fd < 0)
			klog(k, "pid %d: CLONE_PIDFD: error %ld", t->tid, fd);
	}
	c->state = TS_SYSCALL;
	c->pt->regs.orig_rax = (uint64_t)-1;
	platform_regs_dirty(c->pt);
	task_return_to_user(c);
	if (flags & CLONE_VFORK) {
		t->sc.u[0] = (uint64_t)ntid;
		t->sc.intr = -EPARK; /* vfork waits are not interrupted */
		if (task_wait(t, &c->vfork_wq, 0) == 0)
			return -EPARK;
	}
	return ntid;
}

SYSCALL(clone)
{
	/* x86-64: clone(flags, stack, parent_tid, child_tid, tls); with
	 * CLONE_PIDFD the parent_tid slot receives the pidfd; only the low
	 * 32 bits of flags count (as Linux) */
	uint64_t flags = ARG(0) & 0xffffffffu;
	if ((flags & CLONE_PIDFD) && (flags & CLONE_PARENT_SETTID))
		return -EINVAL;
	struct clone_req r = {
		.flags = flags & ~(uint64_t)CSIGNAL,
		.exit_signal = (int)(flags & CSIGNAL),
		.stack = ARG(1),
		.ptid = (flags & CLONE_PIDFD) ? 0 : ARG(2),
		.ctid = ARG(3),
		.tls = ARG(4),
		.pidfd = (flags & CLONE_PIDFD) ? ARG(2) : 0,
	};
	return do_clone(t, &r);
}

/* clone3(2): struct clone_args, which may grow; unknown tail bytes must
 * be zero. */
SYSCALL(clone3)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
			set_tid_size, cgroup;
	} a;
	size_t size = (size_t)ARG(1);
	if (size < 64) /* CLONE_ARGS_SIZE_VER0 */
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	memset(&a, 0, sizeof(a));
	if (copy_from_user(t, &a, ARG(0), size < sizeof(a) ? size : sizeof(a)))
		return -EFAULT;
	for (size_t off = sizeof(a); off < size; off += 8) {
		uint64_t v = 0;
		size_t n = size - off < 8 ? size - off : 8;
		if (copy_from_user(t, &v, ARG(0) + off, n))
			return -EFAULT;
		if (v)
			return -E2BIG;
	}
	if ((a.flags & (CSIGNAL | CLONE_DETACHED)) || (a.exit_signal & ~(uint64_t)CSIGNAL) ||
	    a.exit_signal > NSIG_K)
		return -EINVAL;
	if ((a.stack == 0) != (a.stack_size == 0) || (!a.set_tid && a.set_tid_size) || a.set_tid_size > 32)
		return -EINVAL;
	if (a.set_tid_size)
		return -EPERM; /* choosing pids needs CAP_CHECKPOINT_RESTORE */
	if (a.flags & CLONE_INTO_CGROUP_) /* no cgroups here */
		return -EBADF;
	if ((a.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND_)) == (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND_))
		return -EINVAL;
	struct clone_req r = {
		.flags = a.flags & ~CLONE_CLEAR_SIGHAND_,
		.exit_signal = (int)a.exit_signal,
		.stack = a.stack ? a.stack + a.stack_size : 0,
		.ptid = a.parent_tid,
		.ctid = a.child_tid,
		.tls = a.tls,
		.pidfd = a.pidfd,
		.clear_sighand = (a.flags & CLONE_CLEAR_SIGHAND_) != 0,
	};
	return do_clone(t, &r);
}

/* unshare(2): private copies of the fd table and fs context, a new
 * semaphore-adjustment list, and new namespaces (ns.c). */
SYSCALL(unshare)
{
	uint64_t flags = ARG(0);
	const uint64_t ok = NS_CLONE_FLAGS | CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_THREAD |
			    CLONE_SIGHAND | CLONE_VM;
	if (flags & ~ok)
		return -EINVAL;
	/* What each flag implies, in Linux's order. */
	if (flags & CLONE_NEWUSER)
		flags |= CLONE_THREAD | CLONE_FS;
	if (flags & CLONE_VM)
		flags |= CLONE_SIGHAND;
	if (flags & CLONE_SIGHAND)
		flags |= CLONE_THREAD;
	if (flags & CLONE_NEWNS)
		flags |= CLONE_FS;
	/* A thread, a shared handler table or address space cannot be
	 * unshared: only a caller that has none to share may ask. */
	if ((flags & CLONE_THREAD) && t->tg->nr_threads > 1)
		return -EINVAL;
	if ((flags & (CLONE_SIGHAND | CLONE_VM)) && (t->sighand->ref > 1 || t->mm->ref > 1))
		return -EINVAL;
	/* The fs context first: a new mount namespace moves it. */
	if ((flags & CLONE_FS) && t->fs->ref > 1) {
		struct fs_ctx *fs = fs_ctx_clone(t->fs);
		if (!fs)
			return -ENOMEM;
		fs_ctx_put(t->fs);
		t->fs = fs;
	}
	long e = ns_unshare(t, flags);
	if (e)
		return e;
	if ((flags & CLONE_FILES) && t->files->ref > 1) {
		struct fdtable *ft = fdtable_dup(t->files);
		if (!ft)
			return -ENOMEM;
		fdtable_put(t->files);
		t->files = ft;
	}
	if (flags & CLONE_SYSVSEM)
		ipc_exit_tg(t->tg);
	return 0;
}

/* setns(2) with a /proc/PID/ns/X file, or with a pidfd and a mask of
 * the namespaces to take from that process. */
SYSCALL(setns)
{
	int nstype = (int)ARG(1);
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	struct ns_common *c = procfs_nsfs(f);
	long e = -EINVAL;
	int is_pidfd = 0;
	struct thread_group *tg = c ? NULL : pidfd_target(f, &is_pidfd);
	if (c)
		e = ns_enter(t, c, nstype);
	else if (is_pidfd) /* (a process that has exited has no namespaces left) */
		e = ns_enter_task(t, tg && tg->nr_threads ? tg->leader : NULL, (uint32_t)nstype);
	file_put(f);
	return e;
}

SYSCALL(fork)
{
	struct clone_req r = { .exit_signal = SIGCHLD };
	return do_clone(t, &r);
}

SYSCALL(vfork)
{
	struct clone_req r = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };
	return do_clone(t, &r);
}

/* ---- exec ---- */

#define ARG_LIMIT (2u << 20)

static long exec_common(struct task *t, int dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp,
			int flags)
{
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	char path[PATH_MAX];
	long n = getname(t, upath, path, sizeof(path), (flags & AT_EMPTY_PATH) != 0);
	if (n < 0)
		return n;
	char **argv = NULL, **envp = NULL;
	size_t total = 0;
	int e = copy_strings(t, uargv, &argv, &total, ARG_LIMIT);
	if (e >= 0)
		e = copy_strings(t, uenvp, &envp, &total, ARG_LIMIT);
	if (e < 0) {
		free_strings(argv);
		return e;
	}
	e = do_execve(t, dirfd, path, argv, envp, flags);
	free_strings(argv);
	free_strings(envp);
	return e;
}

SYSCALL(execve)
{
	return exec_common(t, AT_FDCWD, ARG(0), ARG(1), ARG(2), 0);
}

SYSCALL(execveat)
{
	return exec_common(t, (int)ARG(0), ARG(1), ARG(2), ARG(3), (int)ARG(4));
}

/* ---- exit and wait ---- */

SYSCALL(exit)
{
	t->exit_code = (int)(ARG(0) & 0xff) << 8;
	return -ENATIVE;
}

SYSCALL(exit_group)
{
	do_exit_group(t, (int)ARG(0));
	return -ENATIVE;
}

struct wait_res {
	pid_t pid;
	int status;
	int code; /* CLD_* for waitid */
	uid_t uid;
	struct rusage ru;
};

static int wait_match(struct thread_group *c, int idtype, pid_t id, int options)
{
	switch (idtype) {
	case P_PID:
		if (c->tgid != id)
			return 0;
		break;
	case P_PGID:
		if (c->pgid != id)
			return 0;
		break;
	default:
		break;
	}
	if (options & __WALL)
		return 1;
	int clone_child = c->exit_signal != SIGCHLD;
	return !!(options & __WCLONE) == clone_child;
}

static long do_wait(struct task *t, int idtype, pid_t id, int options, struct wait_res *res)
{
	struct thread_group *me = t->tg;
	int any = 0;
	struct list *l, *n;
	list_for_each_safe(l, n, &me->children)
	{
		struct thread_group *c = list_entry(l, struct thread_group, sibling);
		if (!wait_match(c, idtype, id, options))
			continue;
		any = 1;
		if (c->state == TG_ZOMBIE && (options & WEXITED)) {
			res->pid = c->tgid;
			res->status = c->exit_code;
			res->code = WIFEXITED(c->exit_code) ? CLD_EXITED : CLD_KILLED;
			res->uid = c->leader ? c->leader->cred.uid : 0;
			if (!(options & WNOWAIT))
				tg_reap(c, &res->ru);
			return res->pid;
		}
		if (c->state == TG_LIVE && c->stopped && c->notify_stop && (options & WSTOPPED)) {
			res->pid = c->tgid;
			res->status = 0x7f | (c->stop_sig << 8);
			res->code = CLD_STOPPED;
			res->uid = c->leader ? c->leader->cred.uid : 0;
			if (!(options & WNOWAIT))
				c->notify_stop = 0;
			return res->pid;
		}
		if (c->state == TG_LIVE && c->notify_cont && (options & WCONTINUED)) {
			res->pid = c->tgid;
			res->status = 0xffff;
			res->code = CLD_CONTINUED;
			res->uid = c->leader ? c->leader->cred.uid : 0;
			if (!(options & WNOWAIT))
				c->notify_cont = 0;
			return res->pid;
		}
	}
	if (!any)
		return -ECHILD;
	if (options & WNOHANG)
		return 0;
	int e = task_wait(t, &me->child_wq, 0);
	return e ? e : -EPARK;
}

SYSCALL(wait4)
{
	pid_t pid = (pid_t)ARG(0);
	int options = (int)ARG(2);
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT_MIN)
		return -ESRCH;
	int idtype = P_ALL;
	pid_t id = 0;
	if (pid > 0) {
		idtype = P_PID;
		id = pid;
	} else if (pid == 0) {
		idtype = P_PGID;
		id = t->tg->pgid;
	} else if (pid < -1) {
		idtype = P_PGID;
		id = -pid;
	}
	struct wait_res res = { 0 };
	long r = do_wait(t, idtype, id, options | WEXITED, &res);
	if (r > 0) {
		if (ARG(1) && copy_to_user(t, ARG(1), &res.status, sizeof(int)))
			return -EFAULT;
		if (ARG(3) && copy_to_user(t, ARG(3), &res.ru, sizeof(res.ru)))
			return -EFAULT;
	}
	return r;
}

SYSCALL(waitid)
{
	int idtype = (int)ARG(0);
	pid_t id = (pid_t)ARG(1);
	int options = (int)ARG(3);
	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	int pidfd_nonblock = 0;
	if (idtype == P_PIDFD) {
		/* the process the pidfd names, if it is our child */
		long err;
		struct file *f = fget_or(t, id, &err);
		if (!f)
			return err;
		int is;
		struct thread_group *tg = pidfd_target(f, &is);
		pidfd_nonblock = (f->flags & O_NONBLOCK) != 0;
		file_put(f);
		if (!is)
			return -EBADF;
		if (!tg)
			return -ECHILD;
		idtype = P_PID;
		id = tg->tgid;
		if (pidfd_nonblock)
			options |= WNOHANG;
	} else if (idtype == P_PGID && id == 0) {
		id = t->tg->pgid;
	} else if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID) {
		return -EINVAL;
	}
	if (idtype != P_ALL && id < 0)
		return -EINVAL;
	struct wait_res res = { 0 };
	long r = do_wait(t, idtype, id, options, &res);
	if (r < 0)
		return r;
	if (r == 0 && pidfd_nonblock)
		return -EAGAIN; /* a non-blocking pidfd's child still runs */
	if (ARG(2)) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (r > 0) {
			si.si_signo = SIGCHLD;
			si.si_code = res.code;
			si.si_pid = res.pid;
			si.si_uid = res.uid;
			si.si_status = res.code == CLD_EXITED ? WEXITSTATUS(res.status)
				       : res.code == CLD_STOPPED ? WSTOPSIG(res.status)
				       : res.code == CLD_CONTINUED ? SIGCONT
								   : WTERMSIG(res.status);
		}
		if (copy_to_user(t, ARG(2), &si, sizeof(si)))
			return -EFAULT;
	}
	return 0;
}

/* ---- process groups and sessions ---- */

struct thread_group *tg_of_pid(struct task *t, pid_t pid)
{
	if (pid == 0)
		return t->tg;
	return tg_lookup(t->k, pid);
}

static int pgrp_exists_in_session(struct kernel *k, pid_t pgid, pid_t sid)
{
	struct list *l;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->pgid == pgid && g->sid == sid && g->state != TG_DEAD)
			return 1;
	}
	return 0;
}

SYSCALL(setpgid)
{
	pid_t pid = (pid_t)ARG(0), pgid = (pid_t)ARG(1);
	if (pgid < 0)
		return -EINVAL;
	struct thread_group *tg = tg_of_pid(t, pid);
	if (!tg)
		return -ESRCH;
	if (tg != t->tg) {
		if (tg->parent != t->tg)
			return -ESRCH;
		if (tg->sid != t->tg->sid)
			return -EPERM;
		if (tg->leader && tg->leader->mm && tg->leader->mm->exe.dentry && tg->exit_signal == -1)
			return -EACCES;
	}
	if (tg->sid == tg->tgid)
		return -EPERM; /* session leader */
	if (pgid == 0)
		pgid = tg->tgid;
	if (pgid != tg->tgid && !pgrp_exists_in_session(t->k, pgid, t->tg->sid))
		return -EPERM;
	tg->pgid = pgid;
	return 0;
}

SYSCALL(getpgid)
{
	struct thread_group *tg = tg_of_pid(t, (pid_t)ARG(0));
	return tg ? tg->pgid : -ESRCH;
}

SYSCALL(getpgrp)
{
	return t->tg->pgid;
}

SYSCALL(getsid)
{
	struct thread_group *tg = tg_of_pid(t, (pid_t)ARG(0));
	return tg ? tg->sid : -ESRCH;
}

SYSCALL(setsid)
{
	struct thread_group *tg = t->tg;
	if (tg->pgid == tg->tgid || pgrp_exists_in_session(t->k, tg->tgid, tg->sid) ||
	    pgrp_exists_in_session(t->k, tg->tgid, tg->tgid))
		return -EPERM;
	tg->sid = tg->pgid = tg->tgid;
	if (tg->tty) {
		file_put(tg->tty);
		tg->tty = NULL;
	}
	return tg->sid;
}

/* ---- limits ---- */

static int native_limit(int res)
{
	return res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_MEMLOCK || res == RLIMIT_CPU ||
	       res == RLIMIT_CORE;
}

static long do_prlimit(struct task *t, pid_t pid, int res, uint64_t unew, uint64_t uold)
{
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	struct thread_group *tg = pid ? tg_lookup(t->k, pid) : t->tg;
	if (!tg)
		return -ESRCH;
	struct rlimit nl;
	if (unew) {
		if (copy_from_user(t, &nl, unew, sizeof(nl)))
			return -EFAULT;
		if (nl.rlim_cur > nl.rlim_max)
			return -EINVAL;
		if (nl.rlim_max > tg->rlim[res].rlim_max && !capable(t, KCAP_SYS_RESOURCE))
			return -EPERM;
		if (res == RLIMIT_NOFILE && nl.rlim_max > (1 << 20))
			return -EPERM;
	}
	if (uold && copy_to_user(t, uold, &tg->rlim[res], sizeof(struct rlimit)))
		return -EFAULT;
	if (unew) {
		tg->rlim[res] = nl;
		if (tg == t->tg && native_limit(res)) {
			/* Memory and CPU limits are enforced by the host on the
			 * task itself. A raise beyond the host's own limit
			 * fails there; the virtual value is kept anyway. */
			if (copy_to_user(t, PLATFORM_SCRATCH + 0x800, &nl, sizeof(nl)) == 0)
				task_host_syscall(t, SYS_prlimit64, 0, (uint64_t)res,
						  PLATFORM_SCRATCH + 0x800, 0, 0, 0);
		}
	}
	return 0;
}

SYSCALL(getrlimit)
{
	return do_prlimit(t, 0, (int)ARG(0), 0, ARG(1));
}

SYSCALL(setrlimit)
{
	return do_prlimit(t, 0, (int)ARG(0), ARG(1), 0);
}

SYSCALL(prlimit64)
{
	return do_prlimit(t, (pid_t)ARG(0), (int)ARG(1), ARG(2), ARG(3));
}

SYSCALL(getrusage)
{
	int who = (int)ARG(0);
	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	/* The host process is the sandbox process, and host children are
	 * reaped by their host parent when the sentry reaps them: the host's
	 * own accounting is the right answer. */
	return -ENATIVE;
}

SYSCALL(times)
{
	(void)t;
	return -ENATIVE;
}

/* ---- identity ---- */

/* Credentials hold the sandbox's ids; a task in a nested user namespace
 * sees and names them through its maps (ns.c). */
SYSCALL(getuid) { return uid_to_user(t, t->cred.uid); }
SYSCALL(geteuid) { return uid_to_user(t, t->cred.euid); }
SYSCALL(getgid) { return gid_to_user(t, t->cred.gid); }
SYSCALL(getegid) { return gid_to_user(t, t->cred.egid); }

SYSCALL(getresuid)
{
	uid_t r = uid_to_user(t, t->cred.uid), e = uid_to_user(t, t->cred.euid),
	      s = uid_to_user(t, t->cred.suid);
	if (copy_to_user(t, ARG(0), &r, 4) || copy_to_user(t, ARG(1), &e, 4) || copy_to_user(t, ARG(2), &s, 4))
		return -EFAULT;
	return 0;
}

SYSCALL(getresgid)
{
	gid_t r = gid_to_user(t, t->cred.gid), e = gid_to_user(t, t->cred.egid),
	      s = gid_to_user(t, t->cred.sgid);
	if (copy_to_user(t, ARG(0), &r, 4) || copy_to_user(t, ARG(1), &e, 4) || copy_to_user(t, ARG(2), &s, 4))
		return -EFAULT;
	return 0;
}

/* An id a task names (-1 stays -1: "unchanged"); EINVAL when its user
 * namespace does not map it. */
static int uid_arg(struct task *t, uid_t *u)
{
	if (*u == (uid_t)-1)
		return 0;
	*u = uid_from_user(t, *u);
	return *u == (uid_t)-1 ? -EINVAL : 0;
}

static int gid_arg(struct task *t, gid_t *g)
{
	if (*g == (gid_t)-1)
		return 0;
	*g = gid_from_user(t, *g);
	return *g == (gid_t)-1 ? -EINVAL : 0;
}

#define ALL_CAPS ((1ULL << (CAP_LAST_CAP + 1)) - 1)

static void fix_caps(struct cred *c, uid_t old_r, uid_t old_e, uid_t old_s)
{
	/* capabilities(7) "Effect of user ID changes on capabilities" */
	int was_root = old_r == 0 || old_e == 0 || old_s == 0;
	int none_root = c->uid && c->euid && c->suid;
	if (was_root && none_root && !(c->securebits & 0x10 /* KEEP_CAPS */)) {
		c->cap_permitted = 0;
		c->cap_effective = 0;
		c->cap_ambient = 0;
	}
	if (old_e == 0 && c->euid != 0)
		c->cap_effective = 0;
	if (old_e != 0 && c->euid == 0)
		c->cap_effective = c->cap_permitted;
}

static int uid_ok(struct cred *c, uid_t u)
{
	return u == c->uid || u == c->euid || u == c->suid;
}

static long set_res_uid(struct task *t, uid_t r, uid_t e, uid_t s)
{
	struct cred *c = &t->cred;
	int priv = ns_capable(t, task_userns(t), KCAP_SETUID);
	if (!priv && ((r != (uid_t)-1 && !uid_ok(c, r)) || (e != (uid_t)-1 && !uid_ok(c, e)) ||
		      (s != (uid_t)-1 && !uid_ok(c, s))))
		return -EPERM;
	uid_t orr = c->uid, oe = c->euid, os = c->suid;
	if (r != (uid_t)-1)
		c->uid = r;
	if (e != (uid_t)-1)
		c->euid = e;
	if (s != (uid_t)-1)
		c->suid = s;
	c->fsuid = c->euid;
	fix_caps(c, orr, oe, os);
	return 0;
}

static int gid_ok(struct cred *c, gid_t g)
{
	return g == c->gid || g == c->egid || g == c->sgid;
}

static long set_res_gid(struct task *t, gid_t r, gid_t e, gid_t s)
{
	struct cred *c = &t->cred;
	int priv = ns_capable(t, task_userns(t), KCAP_SETGID);
	if (!priv && ((r != (gid_t)-1 && !gid_ok(c, r)) || (e != (gid_t)-1 && !gid_ok(c, e)) ||
		      (s != (gid_t)-1 && !gid_ok(c, s))))
		return -EPERM;
	if (r != (gid_t)-1)
		c->gid = r;
	if (e != (gid_t)-1)
		c->egid = e;
	if (s != (gid_t)-1)
		c->sgid = s;
	c->fsgid = c->egid;
	return 0;
}

SYSCALL(setuid)
{
	uid_t u = (uid_t)ARG(0);
	if (u == (uid_t)-1 || uid_arg(t, &u))
		return -EINVAL;
	if (ns_capable(t, task_userns(t), KCAP_SETUID))
		return set_res_uid(t, u, u, u);
	return set_res_uid(t, (uid_t)-1, u, (uid_t)-1);
}

SYSCALL(setgid)
{
	gid_t g = (gid_t)ARG(0);
	if (g == (gid_t)-1 || gid_arg(t, &g))
		return -EINVAL;
	if (ns_capable(t, task_userns(t), KCAP_SETGID))
		return set_res_gid(t, g, g, g);
	return set_res_gid(t, (gid_t)-1, g, (gid_t)-1);
}

SYSCALL(setreuid)
{
	uid_t r = (uid_t)ARG(0), e = (uid_t)ARG(1);
	struct cred *c = &t->cred;
	uid_t s = (uid_t)-1;
	if (uid_arg(t, &r) || uid_arg(t, &e))
		return -EINVAL;
	if (r != (uid_t)-1 || (e != (uid_t)-1 && e != c->uid))
		s = e != (uid_t)-1 ? e : c->euid;
	if (!ns_capable(t, task_userns(t), KCAP_SETUID) && r != (uid_t)-1 && r != c->uid && r != c->euid)
		return -EPERM;
	return set_res_uid(t, r, e, s);
}

SYSCALL(setregid)
{
	gid_t r = (gid_t)ARG(0), e = (gid_t)ARG(1);
	struct cred *c = &t->cred;
	gid_t s = (gid_t)-1;
	if (gid_arg(t, &r) || gid_arg(t, &e))
		return -EINVAL;
	if (r != (gid_t)-1 || (e != (gid_t)-1 && e != c->gid))
		s = e != (gid_t)-1 ? e : c->egid;
	if (!ns_capable(t, task_userns(t), KCAP_SETGID) && r != (gid_t)-1 && r != c->gid && r != c->egid)
		return -EPERM;
	return set_res_gid(t, r, e, s);
}

SYSCALL(setresuid)
{
	uid_t r = (uid_t)ARG(0), e = (uid_t)ARG(1), s = (uid_t)ARG(2);
	if (uid_arg(t, &r) || uid_arg(t, &e) || uid_arg(t, &s))
		return -EINVAL;
	return set_res_uid(t, r, e, s);
}

SYSCALL(setresgid)
{
	gid_t r = (gid_t)ARG(0), e = (gid_t)ARG(1), s = (gid_t)ARG(2);
	if (gid_arg(t, &r) || gid_arg(t, &e) || gid_arg(t, &s))
		return -EINVAL;
	return set_res_gid(t, r, e, s);
}

SYSCALL(setfsuid)
{
	uid_t old = uid_to_user(t, t->cred.fsuid), u = (uid_t)ARG(0);
	if (uid_arg(t, &u) == 0 && u != (uid_t)-1 && (ns_capable(t, task_userns(t), KCAP_SETUID) || uid_ok(&t->cred, u) || u == t->cred.fsuid))
		t->cred.fsuid = u;
	return old;
}

SYSCALL(setfsgid)
{
	gid_t old = gid_to_user(t, t->cred.fsgid), g = (gid_t)ARG(0);
	if (gid_arg(t, &g) == 0 && g != (gid_t)-1 && (ns_capable(t, task_userns(t), KCAP_SETGID) || gid_ok(&t->cred, g) || g == t->cred.fsgid))
		t->cred.fsgid = g;
	return old;
}

SYSCALL(getgroups)
{
	int size = (int)ARG(0);
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return t->cred.ngroups;
	if (size < t->cred.ngroups)
		return -EINVAL;
	gid_t g[32];
	for (int i = 0; i < t->cred.ngroups; i++)
		g[i] = gid_to_user(t, t->cred.groups[i]);
	if (copy_to_user(t, ARG(1), g, (size_t)t->cred.ngroups * sizeof(gid_t)))
		return -EFAULT;
	return t->cred.ngroups;
}

SYSCALL(setgroups)
{
	int size = (int)ARG(0);
	if (size < 0 || size > 65536)
		return -EINVAL;
	/* In a nested user namespace: only once its gid_map is written and
	 * while setgroups is allowed (user_namespaces(7)). */
	struct userns *un = task_userns(t);
	if (!ns_capable(t, un, KCAP_SETGID) || un->setgroups_deny || !un->gid_map.n)
		return -EPERM;
	if (size > (int)(sizeof(t->cred.groups) / sizeof(gid_t)))
		return -EINVAL;
	gid_t g[32];
	if (size && copy_from_user(t, g, ARG(1), (size_t)size * sizeof(gid_t)))
		return -EFAULT;
	for (int i = 0; i < size; i++)
		if (gid_arg(t, &g[i]) || g[i] == (gid_t)-1)
			return -EINVAL;
	memcpy(t->cred.groups, g, (size_t)size * sizeof(gid_t));
	t->cred.ngroups = size;
	return 0;
}

SYSCALL(capget)
{
	struct __user_cap_header_struct hdr;
	if (copy_from_user(t, &hdr, ARG(0), sizeof(hdr)))
		return -EFAULT;
	if (hdr.version != _LINUX_CAPABILITY_VERSION_3 && hdr.version != _LINUX_CAPABILITY_VERSION_2 &&
	    hdr.version != _LINUX_CAPABILITY_VERSION_1) {
		hdr.version = _LINUX_CAPABILITY_VERSION_3;
		if (copy_to_user(t, ARG(0), &hdr, sizeof(hdr)))
			return -EFAULT;
		return ARG(1) ? -EINVAL : 0;
	}
	struct task *who = t;
	if (hdr.pid) {
		who = task_lookup(t->k, hdr.pid);
		if (!who)
			return -ESRCH;
	}
	if (!ARG(1))
		return 0;
	struct __user_cap_data_struct d[2];
	struct cred *c = &who->cred;
	d[0].effective = (uint32_t)c->cap_effective;
	d[0].permitted = (uint32_t)c->cap_permitted;
	d[0].inheritable = (uint32_t)c->cap_inheritable;
	d[1].effective = (uint32_t)(c->cap_effective >> 32);
	d[1].permitted = (uint32_t)(c->cap_permitted >> 32);
	d[1].inheritable = (uint32_t)(c->cap_inheritable >> 32);
	size_t n = hdr.version == _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
	return copy_to_user(t, ARG(1), d, n * sizeof(d[0])) ? -EFAULT : 0;
}

SYSCALL(capset)
{
	struct __user_cap_header_struct hdr;
	if (copy_from_user(t, &hdr, ARG(0), sizeof(hdr)))
		return -EFAULT;
	if (hdr.version != _LINUX_CAPABILITY_VERSION_3 && hdr.version != _LINUX_CAPABILITY_VERSION_2 &&
	    hdr.version != _LINUX_CAPABILITY_VERSION_1) {
		hdr.version = _LINUX_CAPABILITY_VERSION_3;
		copy_to_user(t, ARG(0), &hdr, sizeof(hdr));
		return -EINVAL;
	}
	if (hdr.pid && hdr.pid != t->tid)
		return -EPERM;
	struct __user_cap_data_struct d[2] = { 0 };
	size_t n = hdr.version == _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
	if (copy_from_user(t, d, ARG(1), n * sizeof(d[0])))
		return -EFAULT;
	uint64_t eff = d[0].effective | ((uint64_t)d[1].effective << 32);
	uint64_t per = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	uint64_t inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
	struct cred *c = &t->cred;
	if (per & ~c->cap_permitted)
		return -EPERM;
	if (eff & ~per)
		return -EPERM;
	if ((inh & ~(c->cap_inheritable | c->cap_permitted)) && !(c->cap_effective & (1ULL << CAP_SETPCAP)))
		return -EPERM;
	if (inh & ~(c->cap_inheritable | c->cap_bounding))
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = per;
	c->cap_inheritable = inh;
	c->cap_ambient &= per & inh;
	return 0;
}

/* ---- prctl and friends ---- */

SYSCALL(prctl)
{
	int op = (int)ARG(0);
	uint64_t a2 = ARG(1);
	switch (op) {
	case PR_SET_NAME: {
		char n[16];
		long l = strncpy_from_user(t, n, a2, sizeof(n));
		if (l == -EFAULT)
			return -EFAULT;
		n[15] = 0;
		memcpy(t->comm, n, sizeof(n));
		return 0;
	}
	case PR_GET_NAME:
		return copy_to_user(t, a2, t->comm, sizeof(t->comm)) ? -EFAULT : 0;
	case PR_SET_PDEATHSIG:
		if (a2 > 64)
			return -EINVAL;
		t->pdeath_signal = (int)a2;
		return 0;
	case PR_GET_PDEATHSIG:
		return copy_to_user(t, a2, &t->pdeath_signal, sizeof(int)) ? -EFAULT : 0;
	case PR_SET_DUMPABLE:
		if (a2 > 1)
			return -EINVAL;
		t->mm->dumpable = (int)a2;
		return 0;
	case PR_GET_DUMPABLE:
		return t->mm->dumpable;
	case PR_SET_NO_NEW_PRIVS:
		if (a2 != 1 || ARG(2) || ARG(3) || ARG(4))
			return -EINVAL;
		t->cred.no_new_privs = 1;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return t->cred.no_new_privs;
	case PR_SET_CHILD_SUBREAPER:
		t->tg->subreaper = a2 != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		return copy_to_user(t, a2, &t->tg->subreaper, sizeof(int)) ? -EFAULT : 0;
	case PR_GET_SECCOMP:
		return 0;
	case PR_SET_SECCOMP:
		return -EINVAL;
	case PR_CAPBSET_READ:
		if (a2 > CAP_LAST_CAP)
			return -EINVAL;
		return (int)((t->cred.cap_bounding >> a2) & 1);
	case PR_CAPBSET_DROP:
		if (a2 > CAP_LAST_CAP)
			return -EINVAL;
		if (!capable(t, CAP_SETPCAP))
			return -EPERM;
		t->cred.cap_bounding &= ~(1ULL << a2);
		return 0;
	case PR_CAP_AMBIENT:
		if (a2 == PR_CAP_AMBIENT_IS_SET)
			return ARG(2) > CAP_LAST_CAP ? -EINVAL : (int)((t->cred.cap_ambient >> ARG(2)) & 1);
		if (a2 == PR_CAP_AMBIENT_CLEAR_ALL) {
			t->cred.cap_ambient = 0;
			return 0;
		}
		if (ARG(2) > CAP_LAST_CAP)
			return -EINVAL;
		if (a2 == PR_CAP_AMBIENT_LOWER) {
			t->cred.cap_ambient &= ~(1ULL << ARG(2));
			return 0;
		}
		if (a2 == PR_CAP_AMBIENT_RAISE) {
			uint64_t b = 1ULL << ARG(2);
			if (!(t->cred.cap_permitted & b) || !(t->cred.cap_inheritable & b))
				return -EPERM;
			t->cred.cap_ambient |= b;
			return 0;
		}
		return -EINVAL;
	case PR_GET_KEEPCAPS:
		return (t->cred.securebits & 0x10) ? 1 : 0;
	case PR_SET_KEEPCAPS:
		if (a2 > 1)
			return -EINVAL;
		if (a2)
			t->cred.securebits |= 0x10;
		else
			t->cred.securebits &= ~0x10;
		return 0;
	case PR_GET_SECUREBITS:
		return t->cred.securebits;
	case PR_SET_SECUREBITS:
		if (!capable(t, CAP_SETPCAP))
			return -EPERM;
		t->cred.securebits = (int)a2;
		return 0;
	case PR_SET_TIMERSLACK:
	case PR_SET_THP_DISABLE:
		return 0;
	case PR_GET_TIMERSLACK:
		return 50000;
	case PR_GET_THP_DISABLE:
		return 0;
	case PR_GET_TID_ADDRESS:
		return copy_to_user(t, a2, &t->clear_child_tid, sizeof(uint64_t)) ? -EFAULT : 0;
	case PR_SET_MM:
		return -EPERM;
	case PR_GET_TIMING:
		return PR_TIMING_STATISTICAL;
	case PR_SET_PTRACER:
		return 0;
	default:
		return -EINVAL;
	}
}

SYSCALL(arch_prctl)
{
	/* The FS/GS codes run natively (filter.c); the rest lands here.
	 * The systrap platform keeps %gs for itself: its GS codes land here
	 * and the platform serves them (platform/systrap/systrap.c). */
	switch ((int)ARG(0)) {
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		return -ENATIVE;
	case ARCH_GET_CPUID:
		return 1;
	case ARCH_SET_CPUID:
		return -ENODEV;
	default:
		return -EINVAL;
	}
}

SYSCALL(personality)
{
	/* Only PER_LINUX exists here; 0xffffffff queries. */
	unsigned p = (unsigned)ARG(0);
	(void)t;
	if (p != 0xffffffffU && (p & 0xff) != 0)
		return -EINVAL;
	return 0;
}

SYSCALL(uname)
{
	struct utsname u, h;
	memset(&u, 0, sizeof(u));
	uname(&h);
	snprintf(u.sysname, sizeof(u.sysname), "Linux");
	snprintf(u.nodename, sizeof(u.nodename), "%s", task_utsns(t)->hostname);
	/* The release is the host's: it is the host kernel that runs the
	 * native part of every process. */
	snprintf(u.release, sizeof(u.release), "%s", h.release);
	snprintf(u.version, sizeof(u.version), "#1 SMP moat");
	snprintf(u.machine, sizeof(u.machine), "x86_64");
	snprintf(u.domainname, sizeof(u.domainname), "%s", task_utsns(t)->domainname);
	return copy_to_user(t, ARG(0), &u, sizeof(u)) ? -EFAULT : 0;
}

static long set_name(struct task *t, char *dst, uint64_t uname_, int64_t len)
{
	if (!ns_capable(t, task_utsns(t)->c.owner, KCAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > 64)
		return -EINVAL;
	char buf[65];
	if (copy_from_user(t, buf, uname_, (size_t)len))
		return -EFAULT;
	buf[len] = 0;
	memcpy(dst, buf, (size_t)len + 1);
	return 0;
}

SYSCALL(sethostname)
{
	return set_name(t, task_utsns(t)->hostname, ARG(0), (int64_t)ARG(1));
}

SYSCALL(setdomainname)
{
	return set_name(t, task_utsns(t)->domainname, ARG(0), (int64_t)ARG(1));
}

SYSCALL(sysinfo)
{
	struct sysinfo si;
	sysinfo(&si);
	si.uptime = (long)((kclock_mono() - t->k->boot_ns) / 1000000000ull);
	si.procs = (unsigned short)t->k->nr_tasks;
	return copy_to_user(t, ARG(0), &si, sizeof(si)) ? -EFAULT : 0;
}

SYSCALL(getrandom)
{
	size_t len = (size_t)ARG(1);
	unsigned flags = (unsigned)ARG(2);
	if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (len > 33554431)
		len = 33554431;
	char buf[4096];
	size_t done = 0;
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t r = getrandom(buf, n, 0);
		if (r <= 0)
			return done ? (long)done : -EAGAIN;
		if (copy_to_user(t, ARG(0) + done, buf, (size_t)r))
			return done ? (long)done : -EFAULT;
		done += (size_t)r;
	}
	return (long)done;
}
