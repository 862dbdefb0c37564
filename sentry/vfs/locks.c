/*
 * Advisory file locks: POSIX record locks (fcntl F_SETLK & co., owned by
 * the process, released when it closes any descriptor of the file or
 * exits), open file description locks (F_OFD_*, owned by the open file)
 * and flock() locks (whole file, owned by the open file; independent of
 * the record locks, as on Linux). A blocked F_SETLKW/flock parks on the
 * inode's lock wait queue and tries again when any lock goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "vfs.h"
#include "../kernel/kernel.h"

#define LOCK_EOF UINT64_MAX

enum { LK_POSIX, LK_OFD, LK_FLOCK };

struct flock_ent {
	struct list link;
	int kind;
	int type; /* F_RDLCK / F_WRLCK */
	uint64_t start, end; /* inclusive */
	void *owner;
	pid_t pid;
};

struct lock_state {
	struct list locks;
	struct waitq wq;
};

static struct lock_state *lstate(struct inode *i, int create)
{
	if (!i->locks && create) {
		i->locks = calloc(1, sizeof(*i->locks));
		if (i->locks) {
			list_init(&i->locks->locks);
			waitq_init(&i->locks->wq);
		}
	}
	return i->locks;
}

void locks_release_inode(struct inode *i)
{
	struct lock_state *ls = i->locks;
	if (!ls)
		return;
	while (!list_empty(&ls->locks)) {
		struct flock_ent *l = list_entry(ls->locks.next, struct flock_ent, link);
		list_del(&l->link);
		free(l);
	}
	waitq_destroy(&ls->wq, 0);
	free(ls);
	i->locks = NULL;
}

static int same_class(int a, int b)
{
	return (a == LK_FLOCK) == (b == LK_FLOCK);
}

static struct flock_ent *conflict(struct lock_state *ls, int kind, void *owner, int type, uint64_t s, uint64_t e)
{
	struct list *l;
	list_for_each(l, &ls->locks)
	{
		struct flock_ent *x = list_entry(l, struct flock_ent, link);
		if (!same_class(x->kind, kind) || x->owner == owner)
			continue;
		if (x->end < s || x->start > e)
			continue;
		if (x->type == F_WRLCK || type == F_WRLCK)
			return x;
	}
	return NULL;
}

/* Remove owner's locks of this class in [s, e], splitting partial ones. */
static int unlock_range(struct lock_state *ls, int kind, void *owner, uint64_t s, uint64_t e)
{
	struct list *l, *n;
	int changed = 0;
	list_for_each_safe(l, n, &ls->locks)
	{
		struct flock_ent *x = list_entry(l, struct flock_ent, link);
		if (!same_class(x->kind, kind) || x->owner != owner || x->end < s || x->start > e)
			continue;
		changed = 1;
		if (x->start < s && x->end > e) {
			struct flock_ent *tail = malloc(sizeof(*tail));
			if (!tail)
				return -ENOLCK;
			*tail = *x;
			tail->start = e + 1;
			list_add(&tail->link, &x->link);
			x->end = s - 1;
		} else if (x->start < s) {
			x->end = s - 1;
		} else if (x->end > e) {
			x->start = e + 1;
		} else {
			list_del(&x->link);
			free(x);
		}
	}
	if (changed)
		waitq_wake(&ls->wq, 0);
	return 0;
}

static int add_lock(struct lock_state *ls, int kind, void *owner, pid_t pid, int type, uint64_t s, uint64_t e)
{
	int r = unlock_range(ls, kind, owner, s, e);
	if (r)
		return r;
	struct flock_ent *x = malloc(sizeof(*x));
	if (!x)
		return -ENOLCK;
	x->kind = kind;
	x->type = type;
	x->start = s;
	x->end = e;
	x->owner = owner;
	x->pid = pid;
	list_add_tail(&x->link, &ls->locks);
	return 0;
}

void locks_remove_owner(struct inode *i, void *owner);
void locks_remove_owner(struct inode *i, void *owner)
{
	struct lock_state *ls = i->locks;
	if (!ls)
		return;
	struct list *l, *n;
	int changed = 0;
	list_for_each_safe(l, n, &ls->locks)
	{
		struct flock_ent *x = list_entry(l, struct flock_ent, link);
		if (x->owner == owner) {
			list_del(&x->link);
			free(x);
			changed = 1;
		}
	}
	if (changed)
		waitq_wake(&ls->wq, 0);
}

static int range_of(struct file *f, short whence, int64_t start, int64_t len, uint64_t *s, uint64_t *e)
{
	int64_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
		base = (int64_t)(f->inode ? f->inode->size : 0);
		break;
	default:
		return -EINVAL;
	}
	int64_t a = base + start;
	if (a < 0)
		return -EINVAL;
	if (len > 0) {
		*s = (uint64_t)a;
		*e = (uint64_t)(a + len - 1);
	} else if (len < 0) {
		if (a + len < 0)
			return -EINVAL;
		*s = (uint64_t)(a + len);
		*e = (uint64_t)a - 1;
	} else {
		*s = (uint64_t)a;
		*e = LOCK_EOF;
	}
	return 0;
}

long locks_fcntl(struct task *t, struct file *f, int cmd, uint64_t arg);
long locks_fcntl(struct task *t, struct file *f, int cmd, uint64_t arg)
{
	struct flock fl;
	if (copy_from_user(t, &fl, arg, sizeof(fl)))
		return -EFAULT;
	if (!f->inode)
		return -EBADF;
	int ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	int kind = ofd ? LK_OFD : LK_POSIX;
	void *owner = ofd ? (void *)f : (void *)t->tg;
	uint64_t s, e;
	int r = range_of(f, fl.l_whence, fl.l_start, fl.l_len, &s, &e);
	if (r)
		return r;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
		return -EINVAL;
	struct lock_state *ls = lstate(f->inode, fl.l_type != F_UNLCK);
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl.l_type == F_UNLCK)
			return -EINVAL;
		struct flock_ent *x = ls ? conflict(ls, kind, owner, fl.l_type, s, e) : NULL;
		if (!x) {
			fl.l_type = F_UNLCK;
		} else {
			fl.l_type = (short)x->type;
			fl.l_whence = SEEK_SET;
			fl.l_start = (off_t)x->start;
			fl.l_len = x->end == LOCK_EOF ? 0 : (off_t)(x->end - x->start + 1);
			fl.l_pid = x->kind == LK_POSIX ? x->pid : -1;
		}
		return copy_to_user(t, arg, &fl, sizeof(fl)) ? -EFAULT : 0;
	}
	if (fl.l_type == F_UNLCK)
		return ls ? unlock_range(ls, kind, owner, s, e) : 0;
	if (!ls)
		return -ENOLCK;
	if ((fl.l_type == F_RDLCK && !(f->fmode & FMODE_READ)) || (fl.l_type == F_WRLCK && !(f->fmode & FMODE_WRITE)))
		return -EBADF;
	if (conflict(ls, kind, owner, fl.l_type, s, e)) {
		if (cmd == F_SETLK || cmd == F_OFD_SETLK)
			return -EAGAIN;
		int w = task_wait(t, &ls->wq, 0);
		return w ? w : -EPARK;
	}
	return add_lock(ls, kind, owner, t->tg->tgid, fl.l_type, s, e);
}

long locks_flock(struct task *t, struct file *f, int op);
long locks_flock(struct task *t, struct file *f, int op)
{
	int nb = op & LOCK_NB;
	op &= ~LOCK_NB;
	if (op & 32 /* LOCK_MAND: ignored since Linux 5.15 */)
		return 0;
	if (!f->inode || (f->flags & O_PATH))
		return -EBADF;
	if (op == LOCK_UN) {
		struct lock_state *ls = lstate(f->inode, 0);
		return ls ? unlock_range(ls, LK_FLOCK, f, 0, LOCK_EOF) : 0;
	}
	if (op != LOCK_SH && op != LOCK_EX)
		return -EINVAL;
	struct lock_state *ls = lstate(f->inode, 1);
	if (!ls)
		return -ENOLCK;
	int type = op == LOCK_EX ? F_WRLCK : F_RDLCK;
	if (conflict(ls, LK_FLOCK, f, type, 0, LOCK_EOF)) {
		if (nb)
			return -EWOULDBLOCK;
		int w = task_wait(t, &ls->wq, 0);
		return w ? w : -EPARK;
	}
	return add_lock(ls, LK_FLOCK, f, t->tg->tgid, type, 0, LOCK_EOF);
}
