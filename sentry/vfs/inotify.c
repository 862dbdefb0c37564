/*
 * inotify(7): watches on inodes, event queues on inotify files, and the
 * fsnotify hooks the rest of the VFS calls when something happens.
 *
 * A watch pins its inode (a reference) and hangs on the inode's `marks`
 * list and on its instance's list. The VFS reports an event on an inode
 * (fsnotify_inode: the watches on that inode, no name) and, for a file's
 * own events (access, modify, attrib, open, close), on its parent
 * directory as well, with the file's name (fsnotify_child), as Linux
 * does; entry events (create, delete, moves) go to the directory with the
 * entry's name (fsnotify_entry). Every hook returns at once while no
 * inotify instance exists.
 *
 * Queues are bounded (max_queued_events, 16384): past that one
 * IN_Q_OVERFLOW is queued and events are dropped. An event identical to
 * the last queued one (same watch, mask, cookie and name) is merged into
 * it, as Linux does. A read returns whole events (EINVAL if the first does
 * not fit), names padded with NULs to a multiple of 16 bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "vfs.h"
#include "../kernel/kernel.h"

#define MAX_QUEUED_EVENTS 16384
#define MAX_WATCHES 65536 /* per instance */
#define EVENT_ALIGN 16	  /* sizeof(struct inotify_event) */

struct iwatch {
	struct inotify *in;
	struct inode *inode; /* referenced */
	int wd;
	uint32_t mask;
	struct iwatch *inode_next; /* inode->marks */
	struct list inst_link;	   /* in->watches */
};

struct ievent {
	struct list link;
	int wd;
	uint32_t mask, cookie;
	uint32_t len; /* padded name length, 0 for none */
	char name[];
};

struct inotify {
	struct list watches;
	int nwatches;
	int next_wd;
	struct list events;
	int nevents;
	size_t bytes; /* what a read of everything would return */
	struct waitq wq;
};

int inotify_instances; /* while 0 every hook is a no-op */
static uint32_t next_cookie;

static const struct file_ops inotify_ops;

static size_t event_size(const struct ievent *e)
{
	return sizeof(struct inotify_event) + e->len;
}

static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie, const char *name)
{
	size_t nl = name ? strlen(name) : 0;
	uint32_t len = nl ? (uint32_t)((nl + 1 + EVENT_ALIGN - 1) / EVENT_ALIGN * EVENT_ALIGN) : 0;
	if (!list_empty(&in->events)) {
		struct ievent *last = list_entry(in->events.prev, struct ievent, link);
		if (last->wd == wd && last->mask == mask && last->cookie == cookie && last->len == len &&
		    (!nl || !strcmp(last->name, name)))
			return; /* merged */
		if (last->mask == IN_Q_OVERFLOW)
			return; /* still overflowing */
	}
	if (in->nevents >= MAX_QUEUED_EVENTS) {
		wd = -1;
		mask = IN_Q_OVERFLOW;
		cookie = 0;
		nl = len = 0;
	}
	struct ievent *e = calloc(1, sizeof(*e) + len);
	if (!e)
		return;
	e->wd = wd;
	e->mask = mask;
	e->cookie = cookie;
	e->len = len;
	if (nl)
		memcpy(e->name, name, nl);
	list_add_tail(&e->link, &in->events);
	in->nevents++;
	in->bytes += event_size(e);
	waitq_wake(&in->wq, POLLIN | POLLRDNORM);
}

/* Unhooks w from its inode and instance and frees it; queues IN_IGNORED
 * unless the instance itself is going away. */
static void watch_remove(struct iwatch *w, int tell)
{
	struct iwatch **pp = (struct iwatch **)&w->inode->marks;
	while (*pp && *pp != w)
		pp = &(*pp)->inode_next;
	if (*pp)
		*pp = w->inode_next;
	list_del(&w->inst_link);
	w->in->nwatches--;
	if (tell)
		queue_event(w->in, w->wd, IN_IGNORED, 0, NULL);
	inode_put(w->inode);
	free(w);
}

/* Delivers to the watches on inode i (name: the child's, or NULL). */
static void deliver(struct inode *i, uint32_t mask, uint32_t cookie, const char *name)
{
	struct iwatch *w = i->marks, *next;
	for (; w; w = next) {
		next = w->inode_next;
		uint32_t m = mask & w->mask & IN_ALL_EVENTS;
		if (!m && !(mask & (IN_IGNORED | IN_UNMOUNT)))
			continue;
		queue_event(w->in, w->wd, m | (mask & (IN_ISDIR | IN_UNMOUNT)), cookie, name);
		if (w->mask & IN_ONESHOT)
			watch_remove(w, 1);
	}
}

static uint32_t isdir_bit(struct inode *i)
{
	return i && S_ISDIR(i->mode) ? IN_ISDIR : 0;
}

void fsnotify_inode(struct inode *i, uint32_t mask)
{
	if (!inotify_instances || !i || !i->marks)
		return;
	deliver(i, mask | isdir_bit(i), 0, NULL);
	if (mask & IN_DELETE_SELF) /* the inode is gone: so are its watches */
		while (i->marks)
			watch_remove(i->marks, 1);
}

void fsnotify_child(struct dentry *d, uint32_t mask)
{
	if (!inotify_instances || !d || !d->inode)
		return;
	struct inode *i = d->inode;
	uint32_t m = mask | isdir_bit(i);
	/* the directory hears first, as on Linux */
	struct dentry *p = d->parent;
	if (p && p != d && p->inode && p->inode->marks && !(d->flags & D_DELETED))
		deliver(p->inode, m, 0, d->name);
	if (i->marks)
		deliver(i, m, 0, NULL);
}

void fsnotify_entry(struct inode *dir, const char *name, uint32_t mask, uint32_t cookie)
{
	if (!inotify_instances || !dir || !dir->marks)
		return;
	deliver(dir, mask, cookie, name);
}

/* An entry of dir (if given) was removed and victim lost a link (or, a
 * directory, is gone). Linux's order: the link count (IN_ATTRIB), the
 * inode's end (IN_DELETE_SELF, IN_IGNORED) when that was its last link,
 * then the directory's IN_DELETE. (Linux reports the end when the inode
 * is freed, after the last close; here it is at the last unlink.) */
void fsnotify_unlinked(struct inode *dir, const char *name, struct inode *victim)
{
	if (!inotify_instances)
		return;
	uint32_t d = isdir_bit(victim);
	if (victim && !d)
		fsnotify_inode(victim, IN_ATTRIB);
	if (victim && (d || !victim->nlink))
		fsnotify_inode(victim, IN_DELETE_SELF);
	if (dir)
		fsnotify_entry(dir, name, IN_DELETE | d, 0);
}

/* i moved from odir/oname to ndir/nname: one cookie pairs the halves. */
void fsnotify_moved(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
		    struct inode *i)
{
	if (!inotify_instances)
		return;
	uint32_t cookie = fsnotify_cookie(), d = isdir_bit(i);
	fsnotify_entry(odir, oname, IN_MOVED_FROM | d, cookie);
	fsnotify_entry(ndir, nname, IN_MOVED_TO | d, cookie);
	fsnotify_inode(i, IN_MOVE_SELF);
}

uint32_t fsnotify_cookie(void)
{
	if (++next_cookie == 0)
		next_cookie = 1;
	return next_cookie;
}

/* ---- the inotify file ---- */

static ssize_t in_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	(void)pos;
	struct inotify *in = f->priv;
	if (list_empty(&in->events))
		return -EAGAIN;
	size_t done = 0;
	while (!list_empty(&in->events)) {
		struct ievent *e = list_entry(in->events.next, struct ievent, link);
		size_t sz = event_size(e);
		if (done + sz > len)
			break;
		struct inotify_event h = { .wd = e->wd, .mask = e->mask, .cookie = e->cookie, .len = e->len };
		memcpy((char *)buf + done, &h, sizeof(h));
		memcpy((char *)buf + done + sizeof(h), e->name, e->len);
		done += sz;
		list_del(&e->link);
		in->nevents--;
		in->bytes -= sz;
		free(e);
	}
	return done ? (ssize_t)done : -EINVAL; /* the first event does not fit */
}

static uint32_t in_poll(struct file *f, struct task *t)
{
	(void)t;
	struct inotify *in = f->priv;
	return list_empty(&in->events) ? 0 : POLLIN | POLLRDNORM;
}

static struct waitq *in_waitq(struct file *f, struct task *t)
{
	(void)t;
	return &((struct inotify *)f->priv)->wq;
}

static long in_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct inotify *in = f->priv;
	if (cmd == FIONREAD) {
		int n = (int)in->bytes;
		return copy_to_user(t, arg, &n, sizeof(n)) ? -EFAULT : 0;
	}
	return -ENOTTY;
}

static int in_name(struct file *f, char *buf, size_t len)
{
	(void)f;
	return snprintf(buf, len, "anon_inode:inotify");
}

static void in_release(struct file *f)
{
	struct inotify *in = f->priv;
	while (!list_empty(&in->watches))
		watch_remove(list_entry(in->watches.next, struct iwatch, inst_link), 0);
	while (!list_empty(&in->events)) {
		struct ievent *e = list_entry(in->events.next, struct ievent, link);
		list_del(&e->link);
		free(e);
	}
	waitq_destroy(&in->wq, POLLHUP);
	free(in);
	inotify_instances--;
}

static const struct file_ops inotify_ops = {
	.read = in_read, /* no unread: a fault loses the events, as on Linux */
	.poll = in_poll,
	.waitq = in_waitq,
	.ioctl = in_ioctl,
	.name = in_name,
	.release = in_release,
};

int inotify_create(struct vfs *v, int flags, struct file **out)
{
	struct inotify *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	list_init(&in->watches);
	list_init(&in->events);
	waitq_init(&in->wq);
	struct file *f = file_anon(v, &inotify_ops, O_RDONLY | (flags & IN_NONBLOCK ? O_NONBLOCK : 0), in, 0600);
	if (!f) {
		free(in);
		return -ENOMEM;
	}
	f->fmode |= FMODE_STREAM;
	inotify_instances++;
	*out = f;
	return 0;
}

int is_inotify_file(struct file *f)
{
	return f->ops == &inotify_ops;
}

/* Adds or updates the watch of instance f on inode i; returns its wd. */
int inotify_watch(struct file *f, struct inode *i, uint32_t mask)
{
	struct inotify *in = f->priv;
	struct iwatch *w;
	for (w = i->marks; w; w = w->inode_next)
		if (w->in == in)
			break;
	uint32_t keep = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
	if (w) {
		if (mask & IN_MASK_CREATE)
			return -EEXIST;
		w->mask = (mask & IN_MASK_ADD) ? w->mask | keep : keep;
		return w->wd;
	}
	if (in->nwatches >= MAX_WATCHES)
		return -ENOSPC;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->in = in;
	w->inode = inode_get(i);
	w->wd = ++in->next_wd;
	w->mask = keep;
	w->inode_next = i->marks;
	i->marks = w;
	list_add_tail(&w->inst_link, &in->watches);
	in->nwatches++;
	return w->wd;
}

int inotify_unwatch(struct file *f, int wd)
{
	struct inotify *in = f->priv;
	struct list *l;
	list_for_each(l, &in->watches)
	{
		struct iwatch *w = list_entry(l, struct iwatch, inst_link);
		if (w->wd == wd) {
			watch_remove(w, 1);
			return 0;
		}
	}
	return -EINVAL;
}
