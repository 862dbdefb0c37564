/*
 * System V IPC (svipc(7)): shared memory segments, semaphore sets and
 * message queues, one namespace per sandbox (the sandbox has its own
 * host ipc namespace too, so nothing leaks either way).
 *
 * Objects live in three tables (shm, sem, msg). An id is
 * seq * IPCMNI + slot, so a stale id never names a newer object. Keys,
 * permissions (the owner/group/other bits, CAP_IPC_OWNER), IPC_RMID,
 * IPC_STAT/IPC_SET, the *_STAT/_INFO calls of ipcs(1) and Linux's limits
 * behave as on Linux.
 *
 * Shared memory: a segment is a host memfd; shmat maps it into the task
 * (an injected mmap of the memfd, MAP_FIXED_NOREPLACE unless SHM_REMAP)
 * and records the attachment in the task's mm; fork copies attachments,
 * exec and exit drop them, shmdt unmaps. A segment removed with IPC_RMID
 * goes when its last attachment does. Limitation: an application that
 * unmaps an attached segment with munmap(2) instead of shmdt(2) (munmap
 * runs natively) leaves its attachment counted until exit or exec.
 *
 * Semaphores: semop applies all its operations or none; when one would
 * block, the task parks on the set's wait queue and the whole call runs
 * again when the set changes (or its semtimedop timeout passes). SEM_UNDO
 * adjustments are kept per process and applied when it exits; SETVAL and
 * SETALL clear them. CLONE_SYSVSEM's sharing of undo lists is not
 * implemented (each process keeps its own).
 *
 * Message queues: bounded by msg_qbytes (MSGMNB); msgsnd parks while the
 * queue is full, msgrcv while nothing matches (msgtyp 0, > 0, < 0,
 * MSG_EXCEPT, MSG_NOERROR, MSG_COPY).
 *
 * Blocking semop/msgsnd/msgrcv end with EINTR on a signal and are never
 * restarted (signal(7)), and with EIDRM when the object is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscalls.h"

#define IPCMNI 32768
#define SHMMNI 4096
#define SEMMNI 32000
#define MSGMNI 32000
#define SEMMSL 32000
#define SEMOPM 500
#define SEMVMX 32767
#define SEMMNS (SEMMNI * SEMMSL)
#define MSGMAX 8192
#define MSGMNB 16384
#define SHMMAX_ (ULONG_MAX - (1UL << 24))
#define SHMALL_ (ULONG_MAX - (1UL << 24))
#define IPC_64_ 0x0100
#define MSG_COPY_ 040000
#define KCAP_IPC_OWNER 15
#define KCAP_IPC_LOCK 14

enum { K_SHM, K_SEM, K_MSG, K_NR };
static const int kind_max[K_NR] = { SHMMNI, SEMMNI, MSGMNI };

struct ipc_obj {
	key_t key;
	uid_t uid, cuid;
	gid_t gid, cgid;
	mode_t mode;
	unsigned seq;
	int id;
	int deleted;
	time_t ctime;
};

struct shm_seg {
	struct ipc_obj o;
	struct ipc_ns *ns;
	size_t size;
	int memfd;
	uint64_t host_dev, host_ino;
	unsigned long nattch;
	pid_t cpid, lpid;
	time_t atime, dtime;
	int locked;
};

struct shm_attach {
	struct shm_attach *next;
	struct shm_seg *seg;
	uint64_t addr, len;
};

struct ksem {
	int val;
	pid_t pid;
};

struct sem_set {
	struct ipc_obj o;
	int nsems;
	struct ksem *sems;
	time_t otime;
	struct waitq wq;
};

struct sem_undo {
	struct sem_undo *next;
	int semid;
	int nsems;
	short adj[];
};

struct kmsg {
	struct list link;
	long type;
	size_t len;
	char text[];
};

struct msg_queue {
	struct ipc_obj o;
	struct list msgs;
	size_t bytes, qbytes;
	unsigned long count;
	pid_t lspid, lrpid;
	time_t stime, rtime;
	struct waitq wq;
};

struct ipc_table {
	struct ipc_obj **slot;
	int cap, used, max_idx;
	unsigned seq;
};

struct ipc_ns {
	struct ipc_table t[K_NR];
	unsigned long shm_tot; /* pages */
};

/* The objects of t's IPC namespace (ns.h), made on first use. */
static struct ipc_ns *ns_of(struct task *t)
{
	struct ipcns *ins = task_ipcns(t);
	if (!ins->tables)
		ins->tables = calloc(1, sizeof(struct ipc_ns));
	return ins->tables;
}

static time_t now_sec(void)
{
	return (time_t)(kclock_real() / 1000000000ull);
}

/* ---- ids, keys, permissions ---- */

static struct ipc_obj *ipc_find_id(struct ipc_ns *ns, int kind, int id)
{
	if (!ns || id < 0)
		return NULL;
	struct ipc_table *tb = &ns->t[kind];
	int idx = id % IPCMNI;
	if (idx >= tb->cap || !tb->slot[idx] || tb->slot[idx]->id != id)
		return NULL;
	return tb->slot[idx];
}

static struct ipc_obj *ipc_find_key(struct ipc_ns *ns, int kind, key_t key)
{
	struct ipc_table *tb = &ns->t[kind];
	for (int i = 0; i < tb->cap; i++)
		if (tb->slot[i] && tb->slot[i]->key == key)
			return tb->slot[i];
	return NULL;
}

static int ipc_add(struct ipc_ns *ns, int kind, struct ipc_obj *o)
{
	struct ipc_table *tb = &ns->t[kind];
	if (tb->used >= kind_max[kind])
		return -ENOSPC;
	int idx = 0;
	while (idx < tb->cap && tb->slot[idx])
		idx++;
	if (idx >= tb->cap) {
		int ncap = tb->cap ? tb->cap * 2 : 16;
		if (ncap > kind_max[kind])
			ncap = kind_max[kind];
		struct ipc_obj **ns2 = realloc(tb->slot, (size_t)ncap * sizeof(*ns2));
		if (!ns2)
			return -ENOMEM;
		memset(ns2 + tb->cap, 0, (size_t)(ncap - tb->cap) * sizeof(*ns2));
		tb->slot = ns2;
		tb->cap = ncap;
	}
	o->seq = tb->seq++ % (INT_MAX / IPCMNI);
	o->id = (int)(o->seq * IPCMNI + (unsigned)idx);
	tb->slot[idx] = o;
	tb->used++;
	if (idx > tb->max_idx)
		tb->max_idx = idx;
	return o->id;
}

static void ipc_unlink(struct ipc_ns *ns, int kind, struct ipc_obj *o)
{
	struct ipc_table *tb = &ns->t[kind];
	int idx = o->id % IPCMNI;
	if (idx < tb->cap && tb->slot[idx] == o) {
		tb->slot[idx] = NULL;
		tb->used--;
	}
	o->deleted = 1;
	o->key = IPC_PRIVATE;
}

static void ipc_init_obj(struct task *t, struct ipc_obj *o, key_t key, int flags)
{
	o->key = key;
	o->uid = o->cuid = t->cred.euid;
	o->gid = o->cgid = t->cred.egid;
	o->mode = (mode_t)(flags & 0777);
	o->ctime = now_sec();
}

static int in_group(struct task *t, gid_t g)
{
	if (t->cred.egid == g)
		return 1;
	for (int i = 0; i < t->cred.ngroups; i++)
		if (t->cred.groups[i] == g)
			return 1;
	return 0;
}

/* Linux's ipcperms: 0 if every requested rwx bit is granted. */
static int ipc_perms(struct task *t, struct ipc_obj *o, int flag)
{
	int requested = (flag >> 6 | flag >> 3 | flag) & 7;
	int granted = (int)o->mode;
	if (t->cred.euid == o->cuid || t->cred.euid == o->uid)
		granted >>= 6;
	else if (in_group(t, o->cgid) || in_group(t, o->gid))
		granted >>= 3;
	if ((requested & ~granted & 7) && !ns_capable(t, task_ipcns(t)->c.owner, KCAP_IPC_OWNER))
		return -EACCES;
	return 0;
}

static int ipc_owner(struct task *t, struct ipc_obj *o)
{
	return t->cred.euid == o->cuid || t->cred.euid == o->uid ||
	       ns_capable(t, task_ipcns(t)->c.owner, KCAP_SYS_ADMIN);
}

static void fill_perm(const struct ipc_obj *o, struct ipc_perm *p)
{
	memset(p, 0, sizeof(*p));
	p->__key = o->key;
	p->uid = o->uid;
	p->gid = o->gid;
	p->cuid = o->cuid;
	p->cgid = o->cgid;
	p->mode = (unsigned short)o->mode;
	p->__seq = (unsigned short)o->seq;
}

/* IPC_SET: uid, gid and the permission bits, from a user ipc_perm. */
static void set_perm(struct ipc_obj *o, const struct ipc_perm *p)
{
	o->uid = p->uid;
	o->gid = p->gid;
	o->mode = (o->mode & ~0777u) | (p->mode & 0777u);
	o->ctime = now_sec();
}

/* The lookup every ctl command starting from an id does; *_STAT take an
 * index instead. */
static struct ipc_obj *ctl_obj(struct task *t, int kind, int id, int by_index, long *err)
{
	struct ipc_ns *ns = ns_of(t);
	*err = -EINVAL;
	if (!ns)
		return NULL;
	if (by_index) {
		struct ipc_table *tb = &ns->t[kind];
		if (id < 0 || id >= tb->cap || !tb->slot[id])
			return NULL;
		return tb->slot[id];
	}
	struct ipc_obj *o = ipc_find_id(ns, kind, id);
	if (!o)
		*err = id < 0 ? -EINVAL : -EINVAL;
	return o;
}

/* get: find or create by key. create() makes the object (with its
 * checks) and returns it; check() validates an existing one. */
static long ipc_get(struct task *t, int kind, key_t key, int flags,
		    struct ipc_obj *(*create)(struct task *t, key_t key, int flags, long *err, void *arg),
		    long (*check)(struct ipc_obj *o, void *arg), void *arg)
{
	struct ipc_ns *ns = ns_of(t);
	if (!ns)
		return -ENOMEM;
	struct ipc_obj *o = key == IPC_PRIVATE ? NULL : ipc_find_key(ns, kind, key);
	if (o) {
		if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
			return -EEXIST;
		long e = ipc_perms(t, o, flags);
		if (!e && check)
			e = check(o, arg);
		return e ? e : o->id;
	}
	if (key != IPC_PRIVATE && !(flags & IPC_CREAT))
		return -ENOENT;
	long err = 0;
	o = create(t, key, flags, &err, arg);
	if (!o)
		return err;
	int id = ipc_add(ns, kind, o);
	if (id < 0) {
		free(o);
		return id;
	}
	return id;
}

/* ---- shared memory ---- */

static void shm_destroy(struct shm_seg *s)
{
	if (s->ns)
		s->ns->shm_tot -= (s->size + 4095) / 4096;
	close(s->memfd);
	free(s);
}

static struct ipc_obj *shm_create(struct task *t, key_t key, int flags, long *err, void *arg)
{
	size_t size = *(size_t *)arg;
	struct ipc_ns *ns = ns_of(t);
	if (size < 1 || size > SHMMAX_) {
		*err = -EINVAL;
		return NULL;
	}
	unsigned long pages = (size + 4095) / 4096;
	if (ns->shm_tot + pages < ns->shm_tot || ns->shm_tot + pages > SHMALL_) {
		*err = -ENOSPC;
		return NULL;
	}
	if (flags & SHM_HUGETLB) {
		*err = -EINVAL; /* no huge pages in the sandbox */
		return NULL;
	}
	struct shm_seg *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	char name[32];
	snprintf(name, sizeof(name), "SYSV%08x", (unsigned)key);
	s->memfd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	if (s->memfd < 0 || ftruncate(s->memfd, (off_t)size) < 0) {
		*err = s->memfd < 0 ? -ENFILE : -ENOMEM;
		if (s->memfd >= 0)
			close(s->memfd);
		free(s);
		return NULL;
	}
	struct stat st;
	if (fstat(s->memfd, &st) == 0) {
		s->host_dev = st.st_dev;
		s->host_ino = st.st_ino;
	}
	ipc_init_obj(t, &s->o, key, flags);
	s->ns = ns;
	s->size = size;
	s->cpid = t->tg->tgid;
	ns->shm_tot += pages;
	return &s->o;
}

static long shm_check(struct ipc_obj *o, void *arg)
{
	return ((struct shm_seg *)o)->size < *(size_t *)arg ? -EINVAL : 0;
}

SYSCALL(shmget)
{
	size_t size = (size_t)ARG(1);
	return ipc_get(t, K_SHM, (key_t)ARG(0), (int)ARG(2), shm_create, shm_check, &size);
}

/* A segment removed while attached keeps its id (key IPC_PRIVATE,
 * SHM_DEST) until its last detach, as on Linux. */
static void shm_detached(struct shm_seg *s)
{
	if (--s->nattch == 0 && (s->o.deleted || !s->ns)) {
		if (s->ns)
			ipc_unlink(s->ns, K_SHM, &s->o);
		shm_destroy(s);
	}
}

SYSCALL(shmat)
{
	int id = (int)ARG(0), flags = (int)ARG(2);
	uint64_t addr = ARG(1);
	long err;
	struct shm_seg *s = (struct shm_seg *)ctl_obj(t, K_SHM, id, 0, &err);
	if (!s)
		return err;
	if (addr & 4095) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr &= ~4095ull; /* rounded down to 0: the kernel chooses */
	}
	if ((flags & SHM_REMAP) && !addr)
		return -EINVAL;
	int acc = (flags & SHM_RDONLY) ? 0444 : 0666;
	if (flags & SHM_EXEC)
		acc |= 0111;
	long e = ipc_perms(t, &s->o, acc);
	if (e)
		return e;
	struct shm_attach *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	int prot = PROT_READ | ((flags & SHM_RDONLY) ? 0 : PROT_WRITE) | ((flags & SHM_EXEC) ? PROT_EXEC : 0);
	int mflags = MAP_SHARED | (addr ? ((flags & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE) : 0);
	int tfd = platform_install_fd(t->pt, s->memfd);
	if (tfd < 0) {
		free(a);
		return tfd == -EMFILE ? -ENFILE : tfd;
	}
	long r = task_host_syscall(t, SYS_mmap, addr, s->size, (uint64_t)prot, (uint64_t)mflags, (uint64_t)tfd, 0);
	task_host_syscall(t, SYS_close, (uint64_t)tfd, 0, 0, 0, 0, 0);
	if (r < 0 && r >= -4095) {
		free(a);
		return r == -EEXIST ? -EINVAL : r;
	}
	a->seg = s;
	a->addr = (uint64_t)r;
	a->len = (s->size + 4095) & ~4095ull;
	a->next = t->mm->shm;
	t->mm->shm = a;
	s->nattch++;
	s->lpid = t->tg->tgid;
	s->atime = now_sec();
	if (s->host_ino) {
		char name[40];
		snprintf(name, sizeof(name), "/SYSV%08x (deleted)", (unsigned)s->o.key);
		mm_add_name(t->mm, s->host_dev, s->host_ino, name);
	}
	return r;
}

SYSCALL(shmdt)
{
	uint64_t addr = ARG(0);
	if (addr & 4095)
		return -EINVAL;
	struct shm_attach **pp = &t->mm->shm;
	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->next;
	if (!*pp)
		return -EINVAL;
	struct shm_attach *a = *pp;
	long r = task_host_syscall(t, SYS_munmap, a->addr, a->len, 0, 0, 0, 0);
	if (r < 0 && r >= -4095)
		return r;
	*pp = a->next;
	a->seg->lpid = t->tg->tgid;
	a->seg->dtime = now_sec();
	shm_detached(a->seg);
	free(a);
	return 0;
}

/* fork: the child has the same attachments. */
void ipc_mm_dup(struct mm *dst, const struct mm *src)
{
	dst->shm = NULL;
	for (struct shm_attach *a = src->shm; a; a = a->next) {
		struct shm_attach *c = malloc(sizeof(*c));
		if (!c)
			continue;
		*c = *a;
		c->next = dst->shm;
		dst->shm = c;
		a->seg->nattch++;
	}
}

/* exec or exit: the address space is gone, and its attachments. */
void ipc_mm_release(struct mm *mm)
{
	while (mm->shm) {
		struct shm_attach *a = mm->shm;
		mm->shm = a->next;
		a->seg->dtime = now_sec();
		shm_detached(a->seg);
		free(a);
	}
}

static void fill_shmid(struct shm_seg *s, struct shmid_ds *d)
{
	memset(d, 0, sizeof(*d));
	fill_perm(&s->o, &d->shm_perm);
	d->shm_perm.mode |= (s->o.deleted ? SHM_DEST : 0) | (s->locked ? SHM_LOCKED : 0);
	d->shm_segsz = s->size;
	d->shm_atime = s->atime;
	d->shm_dtime = s->dtime;
	d->shm_ctime = s->o.ctime;
	d->shm_cpid = s->cpid;
	d->shm_lpid = s->lpid;
	d->shm_nattch = s->nattch;
}

SYSCALL(shmctl)
{
	int id = (int)ARG(0), cmd = (int)ARG(1) & ~IPC_64_;
	uint64_t ubuf = ARG(2);
	struct ipc_ns *ns = ns_of(t);
	if (!ns)
		return -ENOMEM;
	struct ipc_table *tb = &ns->t[K_SHM];
	long err;
	switch (cmd) {
	case IPC_INFO: {
		struct shminfo i = { .shmmax = SHMMAX_, .shmmin = 1, .shmmni = SHMMNI, .shmseg = SHMMNI,
				     .shmall = SHMALL_ };
		if (copy_to_user(t, ubuf, &i, sizeof(i)))
			return -EFAULT;
		return tb->used ? tb->max_idx : 0;
	}
	case SHM_INFO: {
		struct shm_info i = { .used_ids = tb->used, .shm_tot = ns->shm_tot, .shm_rss = ns->shm_tot };
		if (copy_to_user(t, ubuf, &i, sizeof(i)))
			return -EFAULT;
		return tb->used ? tb->max_idx : 0;
	}
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY: {
		struct shm_seg *s = (struct shm_seg *)ctl_obj(t, K_SHM, id, cmd != IPC_STAT, &err);
		if (!s)
			return err;
		if (cmd != SHM_STAT_ANY && ipc_perms(t, &s->o, 0444))
			return -EACCES;
		struct shmid_ds d;
		fill_shmid(s, &d);
		if (copy_to_user(t, ubuf, &d, sizeof(d)))
			return -EFAULT;
		return cmd == IPC_STAT ? 0 : s->o.id;
	}
	case IPC_SET:
	case IPC_RMID:
	case SHM_LOCK:
	case SHM_UNLOCK: {
		struct shm_seg *s = (struct shm_seg *)ctl_obj(t, K_SHM, id, 0, &err);
		if (!s)
			return err;
		if (cmd == SHM_LOCK || cmd == SHM_UNLOCK) {
			if (!capable(t, KCAP_IPC_LOCK) && t->cred.euid != s->o.uid && t->cred.euid != s->o.cuid)
				return -EPERM;
			s->locked = cmd == SHM_LOCK;
			return 0;
		}
		struct shmid_ds d;
		if (cmd == IPC_SET && copy_from_user(t, &d, ubuf, sizeof(d)))
			return -EFAULT;
		if (!ipc_owner(t, &s->o))
			return -EPERM;
		if (cmd == IPC_SET) {
			set_perm(&s->o, &d.shm_perm);
			return 0;
		}
		if (s->nattch) {
			s->o.deleted = 1;
			s->o.key = IPC_PRIVATE;
			s->o.ctime = now_sec();
			return 0;
		}
		ipc_unlink(ns, K_SHM, &s->o);
		shm_destroy(s);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* ---- semaphores ---- */

static struct ipc_obj *sem_create(struct task *t, key_t key, int flags, long *err, void *arg)
{
	int nsems = *(int *)arg;
	if (nsems <= 0 || nsems > SEMMSL) {
		*err = -EINVAL;
		return NULL;
	}
	struct sem_set *s = calloc(1, sizeof(*s));
	struct ksem *v = calloc((size_t)nsems, sizeof(*v));
	if (!s || !v) {
		free(s);
		free(v);
		*err = -ENOMEM;
		return NULL;
	}
	ipc_init_obj(t, &s->o, key, flags);
	s->nsems = nsems;
	s->sems = v;
	waitq_init(&s->wq);
	return &s->o;
}

static long sem_check(struct ipc_obj *o, void *arg)
{
	return *(int *)arg > ((struct sem_set *)o)->nsems ? -EINVAL : 0;
}

SYSCALL(semget)
{
	int nsems = (int)ARG(1);
	if (nsems < 0 || nsems > SEMMSL)
		return -EINVAL;
	return ipc_get(t, K_SEM, (key_t)ARG(0), (int)ARG(2), sem_create, sem_check, &nsems);
}

static void sem_destroy(struct ipc_ns *ns, struct sem_set *s)
{
	ipc_unlink(ns, K_SEM, &s->o);
	waitq_destroy(&s->wq, POLLHUP); /* waiters re-run and find EIDRM */
	free(s->sems);
	free(s);
}

static struct sem_undo *undo_for(struct thread_group *tg, int semid, int nsems, int create)
{
	for (struct sem_undo *u = tg->sem_undo; u; u = u->next)
		if (u->semid == semid)
			return u;
	if (!create)
		return NULL;
	struct sem_undo *u = calloc(1, sizeof(*u) + (size_t)nsems * sizeof(short));
	if (!u)
		return NULL;
	u->semid = semid;
	u->nsems = nsems;
	u->next = tg->sem_undo;
	tg->sem_undo = u;
	return u;
}

/* Forget the undo adjustments of semaphore num (-1: all) of a set. */
static void undo_clear(struct kernel *k, int semid, int num)
{
	struct list *l;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		struct sem_undo *u = undo_for(g, semid, 0, 0);
		if (!u)
			continue;
		if (num < 0)
			memset(u->adj, 0, (size_t)u->nsems * sizeof(short));
		else if (num < u->nsems)
			u->adj[num] = 0;
	}
}

/* Tries the operations: 0 and applied, 1 + the index of the operation
 * that would block (nothing changed), or -errno. */
static int sem_try(struct task *t, struct sem_set *s, struct sembuf *ops, int n)
{
	int i;
	for (i = 0; i < n; i++) {
		struct ksem *m = &s->sems[ops[i].sem_num];
		int v = m->val + ops[i].sem_op;
		if (ops[i].sem_op == 0 && m->val != 0)
			goto blocked;
		if (v < 0)
			goto blocked;
		if (v > SEMVMX) {
			while (--i >= 0)
				s->sems[ops[i].sem_num].val -= ops[i].sem_op;
			return -ERANGE;
		}
		m->val = v;
	}
	/* applied: record undo and pids */
	for (i = 0; i < n; i++) {
		s->sems[ops[i].sem_num].pid = t->tg->tgid;
		if (ops[i].sem_flg & SEM_UNDO) {
			struct sem_undo *u = undo_for(t->tg, s->o.id, s->nsems, 1);
			if (u)
				u->adj[ops[i].sem_num] = (short)(u->adj[ops[i].sem_num] - ops[i].sem_op);
		}
	}
	s->otime = now_sec();
	return 0;
blocked:;
	int at = i;
	while (--i >= 0)
		s->sems[ops[i].sem_num].val -= ops[i].sem_op;
	return 1 + at;
}

static long do_semtimedop(struct task *t, int id, uint64_t usops, size_t nsops, uint64_t utimeout)
{
	if (nsops < 1 || (int)id < 0)
		return -EINVAL;
	if (nsops > SEMOPM)
		return -E2BIG;
	struct sembuf *ops = t->sc.p;
	if (!ops) {
		/* first run: copy the operations and the timeout once */
		ops = malloc(nsops * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		t->sc.p = ops;
		if (copy_from_user(t, ops, usops, nsops * sizeof(*ops)))
			return -EFAULT;
		if (utimeout) {
			struct timespec ts;
			int e = get_timespec(t, utimeout, &ts);
			if (e)
				return e;
			t->sc.deadline = kclock_mono() + timespec_ns(&ts);
			t->sc.u[0] = 1;
		}
	}
	long err;
	struct sem_set *s = (struct sem_set *)ctl_obj(t, K_SEM, id, 0, &err);
	if (!s)
		return t->sc.rerun ? -EIDRM : err;
	int alter = 0;
	for (size_t i = 0; i < nsops; i++) {
		if (ops[i].sem_num >= s->nsems)
			return -EFBIG;
		if (ops[i].sem_op)
			alter = 1;
	}
	long e = ipc_perms(t, &s->o, alter ? 0222 : 0444);
	if (e)
		return e;
	int r = sem_try(t, s, ops, (int)nsops);
	if (r <= 0) {
		if (r == 0)
			waitq_wake(&s->wq, 0); /* others may proceed now */
		return r;
	}
	if (ops[r - 1].sem_flg & IPC_NOWAIT) /* the operation that would block */
		return -EAGAIN;
	if (t->sc.u[0] && (t->sc.timed_out || kclock_mono() >= t->sc.deadline))
		return -EAGAIN;
	t->sc.intr = -EINTR; /* never restarted */
	e = task_wait(t, &s->wq, 0);
	if (e)
		return e;
	if (t->sc.u[0])
		task_wait_until(t, t->sc.deadline);
	return -EPARK;
}

SYSCALL(semop)
{
	return do_semtimedop(t, (int)ARG(0), ARG(1), (size_t)ARG(2), 0);
}

SYSCALL(semtimedop)
{
	return do_semtimedop(t, (int)ARG(0), ARG(1), (size_t)ARG(2), ARG(3));
}

/* How many tasks wait in semop for semaphore num to grow (ncnt) or to be
 * zero (zcnt): the parked semop calls on this set, read back. */
static int sem_waiters(struct kernel *k, struct sem_set *s, int num, int zero)
{
	int n = 0;
	struct list *l;
	list_for_each(l, &k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		struct list *m;
		list_for_each(m, &g->threads)
		{
			struct task *w = list_entry(m, struct task, tg_link);
			if (w->state != TS_PARKED || (w->sc_nr != SYS_semop && w->sc_nr != SYS_semtimedop) ||
			    (int)w->sc_args[0] != s->o.id || !w->sc.p)
				continue;
			struct sembuf *ops = w->sc.p;
			size_t nops = (size_t)w->sc_args[2];
			/* Linux counts the operation the task blocks on */
			for (size_t i = 0; i < nops; i++) {
				if (ops[i].sem_num != num)
					continue;
				if (zero ? ops[i].sem_op == 0 : ops[i].sem_op < 0) {
					n++;
					break;
				}
			}
		}
	}
	return n;
}

static void fill_semid(struct sem_set *s, struct semid_ds *d)
{
	memset(d, 0, sizeof(*d));
	fill_perm(&s->o, &d->sem_perm);
	d->sem_otime = s->otime;
	d->sem_ctime = s->o.ctime;
	d->sem_nsems = (unsigned long)s->nsems;
}

SYSCALL(semctl)
{
	int id = (int)ARG(0), num = (int)ARG(1), cmd = (int)ARG(2) & ~IPC_64_;
	uint64_t arg = ARG(3);
	struct ipc_ns *ns = ns_of(t);
	if (!ns)
		return -ENOMEM;
	struct ipc_table *tb = &ns->t[K_SEM];
	long err;
	if (cmd == IPC_INFO || cmd == SEM_INFO) {
		struct seminfo i = { .semmap = SEMMNS, .semmni = SEMMNI, .semmns = SEMMNS, .semmnu = SEMMNS,
				     .semmsl = SEMMSL, .semopm = SEMOPM, .semume = SEMOPM, .semusz = 20,
				     .semvmx = SEMVMX, .semaem = SEMVMX };
		if (cmd == SEM_INFO) {
			i.semusz = tb->used;
			int total = 0;
			for (int k = 0; k < tb->cap; k++)
				if (tb->slot[k])
					total += ((struct sem_set *)tb->slot[k])->nsems;
			i.semaem = total;
		}
		if (copy_to_user(t, arg, &i, sizeof(i)))
			return -EFAULT;
		return tb->used ? tb->max_idx : 0;
	}
	struct sem_set *s =
		(struct sem_set *)ctl_obj(t, K_SEM, id, cmd == SEM_STAT || cmd == SEM_STAT_ANY, &err);
	if (!s)
		return err;
	switch (cmd) {
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY: {
		if (cmd != SEM_STAT_ANY && ipc_perms(t, &s->o, 0444))
			return -EACCES;
		struct semid_ds d;
		fill_semid(s, &d);
		if (copy_to_user(t, arg, &d, sizeof(d)))
			return -EFAULT;
		return cmd == IPC_STAT ? 0 : s->o.id;
	}
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		if (num < 0 || num >= s->nsems)
			return -EINVAL;
		if (ipc_perms(t, &s->o, 0444))
			return -EACCES;
		if (cmd == GETVAL)
			return s->sems[num].val;
		if (cmd == GETPID)
			return s->sems[num].pid;
		return sem_waiters(t->k, s, num, cmd == GETZCNT);
	case GETALL: {
		if (ipc_perms(t, &s->o, 0444))
			return -EACCES;
		unsigned short *v = malloc((size_t)s->nsems * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (int i = 0; i < s->nsems; i++)
			v[i] = (unsigned short)s->sems[i].val;
		long r = copy_to_user(t, arg, v, (size_t)s->nsems * sizeof(*v)) ? -EFAULT : 0;
		free(v);
		return r;
	}
	case SETVAL: {
		int val = (int)arg;
		if (num < 0 || num >= s->nsems)
			return -EINVAL;
		if (val < 0 || val > SEMVMX)
			return -ERANGE;
		if (ipc_perms(t, &s->o, 0222))
			return -EACCES;
		s->sems[num].val = val;
		s->sems[num].pid = t->tg->tgid;
		s->o.ctime = now_sec();
		undo_clear(t->k, s->o.id, num);
		waitq_wake(&s->wq, 0);
		return 0;
	}
	case SETALL: {
		if (ipc_perms(t, &s->o, 0222))
			return -EACCES;
		unsigned short *v = malloc((size_t)s->nsems * sizeof(*v));
		if (!v)
			return -ENOMEM;
		if (copy_from_user(t, v, arg, (size_t)s->nsems * sizeof(*v))) {
			free(v);
			return -EFAULT;
		}
		for (int i = 0; i < s->nsems; i++) {
			if (v[i] > SEMVMX) {
				free(v);
				return -ERANGE;
			}
		}
		for (int i = 0; i < s->nsems; i++) {
			s->sems[i].val = v[i];
			s->sems[i].pid = t->tg->tgid;
		}
		free(v);
		s->o.ctime = now_sec();
		undo_clear(t->k, s->o.id, -1);
		waitq_wake(&s->wq, 0);
		return 0;
	}
	case IPC_SET: {
		struct semid_ds d;
		if (copy_from_user(t, &d, arg, sizeof(d)))
			return -EFAULT;
		if (!ipc_owner(t, &s->o))
			return -EPERM;
		set_perm(&s->o, &d.sem_perm);
		return 0;
	}
	case IPC_RMID:
		if (!ipc_owner(t, &s->o))
			return -EPERM;
		sem_destroy(ns, s);
		return 0;
	default:
		return -EINVAL;
	}
}

/* A process ends: its SEM_UNDO adjustments are applied (clamped to
 * 0..SEMVMX, as Linux does) and waiters woken. */
void ipc_exit_tg(struct thread_group *tg)
{
	struct ipc_ns *ns = tg->leader ? task_ipcns(tg->leader)->tables : NULL;
	while (tg->sem_undo) {
		struct sem_undo *u = tg->sem_undo;
		tg->sem_undo = u->next;
		struct sem_set *s = ns ? (struct sem_set *)ipc_find_id(ns, K_SEM, u->semid) : NULL;
		if (s) {
			int changed = 0;
			for (int i = 0; i < u->nsems && i < s->nsems; i++) {
				if (!u->adj[i])
					continue;
				int v = s->sems[i].val + u->adj[i];
				s->sems[i].val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
				s->sems[i].pid = tg->tgid;
				changed = 1;
			}
			if (changed) {
				s->otime = now_sec();
				waitq_wake(&s->wq, 0);
			}
		}
		free(u);
	}
}

/* ---- message queues ---- */

static struct ipc_obj *msg_create(struct task *t, key_t key, int flags, long *err, void *arg)
{
	(void)arg;
	struct msg_queue *q = calloc(1, sizeof(*q));
	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	ipc_init_obj(t, &q->o, key, flags);
	list_init(&q->msgs);
	q->qbytes = MSGMNB;
	waitq_init(&q->wq);
	return &q->o;
}

SYSCALL(msgget)
{
	return ipc_get(t, K_MSG, (key_t)ARG(0), (int)ARG(1), msg_create, NULL, NULL);
}

static void msg_destroy(struct ipc_ns *ns, struct msg_queue *q)
{
	ipc_unlink(ns, K_MSG, &q->o);
	while (!list_empty(&q->msgs)) {
		struct kmsg *m = list_entry(q->msgs.next, struct kmsg, link);
		list_del(&m->link);
		free(m);
	}
	waitq_destroy(&q->wq, POLLHUP); /* waiters re-run and find EIDRM */
	free(q);
}

SYSCALL(msgsnd)
{
	int id = (int)ARG(0), flags = (int)ARG(3);
	uint64_t up = ARG(1);
	size_t sz = (size_t)ARG(2);
	if (id < 0 || sz > MSGMAX)
		return -EINVAL;
	long type;
	if (copy_from_user(t, &type, up, sizeof(type)))
		return -EFAULT;
	if (type < 1)
		return -EINVAL;
	long err;
	struct msg_queue *q = (struct msg_queue *)ctl_obj(t, K_MSG, id, 0, &err);
	if (!q)
		return t->sc.rerun ? -EIDRM : err;
	if (ipc_perms(t, &q->o, 0222))
		return -EACCES;
	if (q->bytes + sz > q->qbytes || q->count + 1 > q->qbytes) {
		if (flags & IPC_NOWAIT)
			return -EAGAIN;
		t->sc.intr = -EINTR;
		long e = task_wait(t, &q->wq, 0);
		return e ? e : -EPARK;
	}
	struct kmsg *m = malloc(sizeof(*m) + sz);
	if (!m)
		return -ENOMEM;
	if (copy_from_user(t, m->text, up + sizeof(long), sz)) {
		free(m);
		return -EFAULT;
	}
	m->type = type;
	m->len = sz;
	list_add_tail(&m->link, &q->msgs);
	q->bytes += sz;
	q->count++;
	q->lspid = t->tg->tgid;
	q->stime = now_sec();
	waitq_wake(&q->wq, 0);
	return 0;
}

static struct kmsg *msg_pick(struct msg_queue *q, long type, int flags)
{
	struct kmsg *best = NULL;
	long idx = 0;
	struct list *l;
	list_for_each(l, &q->msgs)
	{
		struct kmsg *m = list_entry(l, struct kmsg, link);
		if (flags & MSG_COPY_) {
			if (idx++ == type)
				return m;
			continue;
		}
		if (type == 0)
			return m;
		if (type > 0) {
			if ((flags & MSG_EXCEPT) ? m->type != type : m->type == type)
				return m;
		} else if (m->type <= -type && (!best || m->type < best->type)) {
			best = m;
		}
	}
	return best;
}

SYSCALL(msgrcv)
{
	int id = (int)ARG(0), flags = (int)ARG(4);
	uint64_t up = ARG(1);
	long sz = (long)ARG(2), type = (long)ARG(3);
	if (id < 0 || sz < 0)
		return -EINVAL;
	if (flags & MSG_COPY_) {
		if ((flags & MSG_EXCEPT) || !(flags & IPC_NOWAIT))
			return -EINVAL;
		if (type < 0)
			return -EINVAL;
	}
	long err;
	struct msg_queue *q = (struct msg_queue *)ctl_obj(t, K_MSG, id, 0, &err);
	if (!q)
		return t->sc.rerun ? -EIDRM : err;
	if (ipc_perms(t, &q->o, 0444))
		return -EACCES;
	struct kmsg *m = msg_pick(q, type, flags);
	if (!m) {
		if (flags & IPC_NOWAIT)
			return -ENOMSG;
		t->sc.intr = -EINTR;
		long e = task_wait(t, &q->wq, 0);
		return e ? e : -EPARK;
	}
	size_t n = m->len;
	if (n > (size_t)sz) {
		if (!(flags & MSG_NOERROR))
			return -E2BIG;
		n = (size_t)sz;
	}
	if (copy_to_user(t, up, &m->type, sizeof(long)) || copy_to_user(t, up + sizeof(long), m->text, n))
		return -EFAULT;
	if (!(flags & MSG_COPY_)) {
		list_del(&m->link);
		q->bytes -= m->len;
		q->count--;
		free(m);
		q->lrpid = t->tg->tgid;
		q->rtime = now_sec();
		waitq_wake(&q->wq, 0);
	}
	return (long)n;
}

static void fill_msqid(struct msg_queue *q, struct msqid_ds *d)
{
	memset(d, 0, sizeof(*d));
	fill_perm(&q->o, &d->msg_perm);
	d->msg_stime = q->stime;
	d->msg_rtime = q->rtime;
	d->msg_ctime = q->o.ctime;
	d->__msg_cbytes = q->bytes;
	d->msg_qnum = q->count;
	d->msg_qbytes = q->qbytes;
	d->msg_lspid = q->lspid;
	d->msg_lrpid = q->lrpid;
}

SYSCALL(msgctl)
{
	int id = (int)ARG(0), cmd = (int)ARG(1) & ~IPC_64_;
	uint64_t ubuf = ARG(2);
	struct ipc_ns *ns = ns_of(t);
	if (!ns)
		return -ENOMEM;
	struct ipc_table *tb = &ns->t[K_MSG];
	long err;
	if (cmd == IPC_INFO || cmd == MSG_INFO) {
		struct msginfo i = { .msgpool = MSGMNI * MSGMNB / 1024, .msgmap = MSGMNB, .msgmax = MSGMAX,
				     .msgmnb = MSGMNB, .msgmni = MSGMNI, .msgssz = 16, .msgtql = MSGMNB,
				     .msgseg = 0xffff };
		if (cmd == MSG_INFO) {
			int msgs = 0, bytes = 0;
			for (int k = 0; k < tb->cap; k++) {
				struct msg_queue *q = (struct msg_queue *)tb->slot[k];
				if (q) {
					msgs += (int)q->count;
					bytes += (int)q->bytes;
				}
			}
			i.msgpool = tb->used;
			i.msgmap = msgs;
			i.msgtql = bytes;
		}
		if (copy_to_user(t, ubuf, &i, sizeof(i)))
			return -EFAULT;
		return tb->used ? tb->max_idx : 0;
	}
	struct msg_queue *q =
		(struct msg_queue *)ctl_obj(t, K_MSG, id, cmd == MSG_STAT || cmd == MSG_STAT_ANY, &err);
	if (!q)
		return err;
	switch (cmd) {
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY: {
		if (cmd != MSG_STAT_ANY && ipc_perms(t, &q->o, 0444))
			return -EACCES;
		struct msqid_ds d;
		fill_msqid(q, &d);
		if (copy_to_user(t, ubuf, &d, sizeof(d)))
			return -EFAULT;
		return cmd == IPC_STAT ? 0 : q->o.id;
	}
	case IPC_SET: {
		struct msqid_ds d;
		if (copy_from_user(t, &d, ubuf, sizeof(d)))
			return -EFAULT;
		if (!ipc_owner(t, &q->o))
			return -EPERM;
		if (d.msg_qbytes > MSGMNB && !capable(t, KCAP_SYS_RESOURCE))
			return -EPERM;
		set_perm(&q->o, &d.msg_perm);
		q->qbytes = d.msg_qbytes;
		waitq_wake(&q->wq, 0); /* a bigger queue lets senders in */
		return 0;
	}
	case IPC_RMID:
		if (!ipc_owner(t, &q->o))
			return -EPERM;
		msg_destroy(ns, q);
		return 0;
	default:
		return -EINVAL;
	}
}

/* An IPC namespace ends (its last task left it, or the sandbox ends):
 * everything goes. */
void ipc_tables_destroy(void *tables)
{
	struct ipc_ns *ns = tables;
	if (!ns)
		return;
	for (int kind = 0; kind < K_NR; kind++) {
		struct ipc_table *tb = &ns->t[kind];
		for (int i = 0; i < tb->cap; i++) {
			struct ipc_obj *o = tb->slot[i];
			if (!o)
				continue;
			if (kind == K_SHM) {
				ipc_unlink(ns, kind, o);
				struct shm_seg *s = (struct shm_seg *)o;
				if (!s->nattch)
					shm_destroy(s);
				else
					s->ns = NULL; /* goes at its last detach */
			} else if (kind == K_SEM) {
				sem_destroy(ns, (struct sem_set *)o);
			} else {
				msg_destroy(ns, (struct msg_queue *)o);
			}
		}
		free(tb->slot);
	}
	free(ns);
}
