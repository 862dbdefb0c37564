/*
 * epoll. An epoll instance keeps an item per (file, fd) it watches. Each
 * item has a waiter on its file's wait queue; a wake-up puts the item on
 * the ready list. epoll_wait polls the ready items again and reports the
 * ones that really are ready:
 *   level-triggered items stay on the ready list while they are ready;
 *   edge-triggered (EPOLLET) items leave it when reported and come back
 *   only with the next wake-up of their file;
 *   EPOLLONESHOT items are disabled when reported until EPOLL_CTL_MOD;
 *   EPOLLEXCLUSIVE items wait exclusively on their file's queue: a
 *   wake-up goes to every epoll up to the first one in which it woke a
 *   task in epoll_wait (Linux ep_poll_callback), so that of several
 *   epolls watching one file, one waiter wakes, not all.
 * Items hold no reference on their file: they go when the file's last
 * reference does (eventpoll_release), as in Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "vfs.h"
#include "../kernel/kernel.h"

#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
/* What EPOLLEXCLUSIVE may come with (Linux EPOLLEXCLUSIVE_OK_BITS). */
#define EP_EXCLUSIVE_OK (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
/* How many epolls may watch each other in a chain, below the top one. */
#define EP_MAX_NESTS 4

struct eventpoll {
	struct list items;
	int nitems;
	struct list ready;
	struct waitq wq;
	struct file *self;
	/* The nesting check's memo: depth found in check number `gen`. */
	uint64_t gen;
	int depth;
	/* Busy-poll parameters (EPIOCSPARAMS): kept and reported, a hint
	 * with nothing to poll here. */
	struct ep_params {
		uint32_t busy_poll_usecs;
		uint16_t busy_poll_budget;
		uint8_t prefer_busy_poll;
		uint8_t pad;
	} params;
};

struct epitem {
	struct list link_file;
	struct list link_ep;
	struct list rdlink;
	struct eventpoll *ep;
	struct file *file;
	int fd;
	uint32_t events;
	uint64_t data;
	int disabled;
	struct waiter w;
};

static const struct file_ops epoll_ops;

/* Returns how many waiters of the epoll took the wake-up. */
static int item_ready(struct epitem *it)
{
	if (!list_linked(&it->rdlink))
		list_add_tail(&it->rdlink, &it->ep->ready);
	return waitq_wake(&it->ep->wq, POLLIN);
}

static int item_wake(struct waiter *w, uint32_t events)
{
	struct epitem *it = w->priv;
	if (it->disabled)
		return 0;
	if (events && !(events & (it->events | EPOLLERR | EPOLLHUP)))
		return 0;
	int woke = item_ready(it);
	if (!(it->events & EPOLLEXCLUSIVE))
		return 1;
	/* Linux ep_poll_callback: an exclusive item ends the wake-up when
	 * its epoll had a waiter and the event is one it asked for; a
	 * wake-up for both reading and writing goes on to the next. */
	if (!woke)
		return 0;
	switch (events & (EPOLLIN | EPOLLOUT)) {
	case EPOLLIN:
		return (it->events & EPOLLIN) != 0;
	case EPOLLOUT:
		return (it->events & EPOLLOUT) != 0;
	case 0:
		return 1;
	default:
		return 0;
	}
}

static void item_remove(struct epitem *it)
{
	waitq_del(&it->w);
	list_del(&it->link_file);
	list_del(&it->link_ep);
	it->ep->nitems--;
	if (list_linked(&it->rdlink))
		list_del(&it->rdlink);
	free(it);
}

void eventpoll_release(struct file *f);
void eventpoll_release(struct file *f)
{
	while (!list_empty(&f->epitems)) {
		struct epitem *it = list_entry(f->epitems.next, struct epitem, link_file);
		item_remove(it);
	}
}

/* Through the file's own (short) list: an epoll set may hold many. */
static struct epitem *find_item(struct eventpoll *ep, struct file *f, int fd)
{
	struct list *l;
	list_for_each(l, &f->epitems)
	{
		struct epitem *it = list_entry(l, struct epitem, link_file);
		if (it->ep == ep && it->fd == fd)
			return it;
	}
	return NULL;
}

static uint32_t ep_poll_items(struct eventpoll *ep, struct task *t)
{
	struct list *l;
	list_for_each(l, &ep->ready)
	{
		struct epitem *it = list_entry(l, struct epitem, rdlink);
		if (file_poll(it->file, t) & (it->events | EPOLLERR | EPOLLHUP))
			return POLLIN | POLLRDNORM;
	}
	return 0;
}

static uint32_t ep_file_poll(struct file *f, struct task *t)
{
	return ep_poll_items(f->priv, t);
}

static struct waitq *ep_file_waitq(struct file *f, struct task *t)
{
	(void)t;
	return &((struct eventpoll *)f->priv)->wq;
}

static void ep_release(struct file *f)
{
	struct eventpoll *ep = f->priv;
	while (!list_empty(&ep->items))
		item_remove(list_entry(ep->items.next, struct epitem, link_ep));
	waitq_destroy(&ep->wq, POLLHUP);
	free(ep);
}

static int ep_name(struct file *f, char *buf, size_t len)
{
	(void)f;
	return snprintf(buf, len, "anon_inode:[eventpoll]");
}

#define EP_IOC_SPARAMS _IOW(0x8A, 0x01, struct ep_params)
#define EP_IOC_GPARAMS _IOR(0x8A, 0x02, struct ep_params)
#define EP_NAPI_POLL_WEIGHT 64

/* Linux (6.9 on) answers EINVAL to every ioctl but its two busy-poll ones. */
static long ep_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct eventpoll *ep = f->priv;
	struct ep_params p;
	switch (cmd) {
	case EP_IOC_SPARAMS:
		if (copy_from_user(t, &p, arg, sizeof(p)))
			return -EFAULT;
		if (p.pad || p.busy_poll_usecs > INT32_MAX || p.prefer_busy_poll > 1)
			return -EINVAL;
		if (p.busy_poll_budget > EP_NAPI_POLL_WEIGHT && !capable(t, KCAP_NET_ADMIN))
			return -EPERM;
		ep->params = p;
		return 0;
	case EP_IOC_GPARAMS:
		return copy_to_user(t, arg, &ep->params, sizeof(ep->params)) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

static const struct file_ops epoll_ops = {
	.ioctl = ep_ioctl,
	.poll = ep_file_poll,
	.waitq = ep_file_waitq,
	.name = ep_name,
	.release = ep_release,
};

int epoll_create_file(struct vfs *v, int flags, struct file **out);
int epoll_create_file(struct vfs *v, int flags, struct file **out)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	struct eventpoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	list_init(&ep->items);
	list_init(&ep->ready);
	waitq_init(&ep->wq);
	struct file *f = file_anon(v, &epoll_ops, O_RDWR, ep, 0600);
	if (!f) {
		free(ep);
		return -ENOMEM;
	}
	ep->self = f;
	*out = f;
	return 0;
}

int is_epoll_file(struct file *f);
int is_epoll_file(struct file *f)
{
	return f->ops == &epoll_ops;
}

/*
 * Watching the epoll `to` from `ep` must neither close a loop nor make a
 * chain of more than EP_MAX_NESTS epolls below the top one (Linux
 * ep_loop_check: ELOOP). The walks down from `to` and up from `ep` keep
 * each epoll's result for the current check (ep->gen), so a set shared
 * by many is walked once.
 */
static uint64_t loop_check_gen;

/* How many epolls deep the chains below ep go; more than EP_MAX_NESTS
 * when one reaches `into`. */
static int ep_depth_down(struct eventpoll *ep, struct eventpoll *into, int depth)
{
	if (ep->gen == loop_check_gen)
		return ep->depth;
	ep->gen = loop_check_gen;
	int result = 0;
	struct list *l;
	list_for_each(l, &ep->items)
	{
		struct epitem *it = list_entry(l, struct epitem, link_ep);
		if (it->file->ops != &epoll_ops)
			continue;
		struct eventpoll *sub = it->file->priv;
		int d = sub == into || depth > EP_MAX_NESTS ? EP_MAX_NESTS + 1 : ep_depth_down(sub, into, depth + 1) + 1;
		if (d > result)
			result = d;
		if (result > EP_MAX_NESTS)
			break;
	}
	ep->depth = result;
	return result;
}

/* How many epolls above ep watch it, through the longest chain. */
static int ep_depth_up(struct eventpoll *ep)
{
	if (ep->gen == loop_check_gen)
		return ep->depth;
	int result = 0;
	struct list *l;
	list_for_each(l, &ep->self->epitems)
	{
		struct epitem *it = list_entry(l, struct epitem, link_file);
		int d = ep_depth_up(it->ep) + 1;
		if (d > result)
			result = d;
	}
	ep->gen = loop_check_gen;
	ep->depth = result;
	return result;
}

static int ep_loop_check(struct eventpoll *ep, struct eventpoll *to)
{
	loop_check_gen++;
	int down = ep_depth_down(to, ep, 0);
	if (down > EP_MAX_NESTS)
		return -ELOOP;
	return down + 1 + ep_depth_up(ep) > EP_MAX_NESTS ? -ELOOP : 0;
}

int epoll_ctl_file(struct task *t, struct file *epf, int op, int fd, struct file *f, struct epoll_event *ev);
int epoll_ctl_file(struct task *t, struct file *epf, int op, int fd, struct file *f, struct epoll_event *ev)
{
	/* In Linux's order: the target must poll, the set be an epoll
	 * other than the target, EPOLLEXCLUSIVE be asked only when adding
	 * a file that is no epoll, with nothing but what it can honour. */
	if (f->inode && (S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode)) && f->path.dentry)
		return -EPERM;
	if (!f->ops || !f->ops->poll)
		return -EPERM;
	if (epf->ops != &epoll_ops || epf == f)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD ||
	     (op == EPOLL_CTL_ADD && (f->ops == &epoll_ops || (ev->events & ~(uint32_t)EP_EXCLUSIVE_OK)))))
		return -EINVAL;
	struct eventpoll *ep = epf->priv;
	if (op == EPOLL_CTL_ADD && f->ops == &epoll_ops) {
		int e = ep_loop_check(ep, f->priv);
		if (e)
			return e;
	}
	struct epitem *it = find_item(ep, f, fd);
	switch (op) {
	case EPOLL_CTL_ADD: {
		if (it)
			return -EEXIST;
		it = calloc(1, sizeof(*it));
		if (!it)
			return -ENOMEM;
		it->ep = ep;
		it->file = f;
		it->fd = fd;
		it->events = ev->events | EPOLLERR | EPOLLHUP;
		it->data = ev->data.u64;
		list_init(&it->rdlink);
		list_add_tail(&it->link_file, &f->epitems);
		list_add_tail(&it->link_ep, &ep->items);
		ep->nitems++;
		waiter_init(&it->w, item_wake, it);
		it->w.exclusive = (ev->events & EPOLLEXCLUSIVE) != 0;
		struct waitq *q = file_waitq(f, t);
		if (q)
			waitq_add(q, &it->w, 0);
		if (file_poll(f, t) & it->events)
			item_ready(it);
		return 0;
	}
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (it->events & EPOLLEXCLUSIVE)
			return -EINVAL; /* its queue was chosen when it was added */
		it->events = ev->events | EPOLLERR | EPOLLHUP;
		it->data = ev->data.u64;
		it->disabled = 0;
		if (file_poll(f, t) & it->events)
			item_ready(it);
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_remove(it);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Collect up to max ready events. */
int epoll_collect(struct task *t, struct file *epf, struct epoll_event *out, int max);
int epoll_collect(struct task *t, struct file *epf, struct epoll_event *out, int max)
{
	struct eventpoll *ep = epf->priv;
	int n = 0;
	struct list keep;
	list_init(&keep);
	while (n < max && !list_empty(&ep->ready)) {
		struct epitem *it = list_entry(ep->ready.next, struct epitem, rdlink);
		list_del(&it->rdlink);
		if (it->disabled)
			continue;
		uint32_t m = file_poll(it->file, t) & it->events;
		if (!m)
			continue;
		out[n].events = m & ~(uint32_t)EP_PRIVATE_BITS;
		out[n].data.u64 = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			it->disabled = 1;
		else if (!(it->events & EPOLLET))
			list_add_tail(&it->rdlink, &keep); /* level-triggered: still ready */
	}
	/* Level-triggered items go to the back, after the unreported ones. */
	while (!list_empty(&keep)) {
		struct list *l = keep.next;
		list_del(l);
		list_add_tail(l, &ep->ready);
	}
	return n;
}

/* How many descriptors the set watches (bounds an epoll_wait's output). */
int epoll_nitems(struct file *epf);
int epoll_nitems(struct file *epf)
{
	return ((struct eventpoll *)epf->priv)->nitems;
}

struct waitq *epoll_waitq(struct file *epf);
struct waitq *epoll_waitq(struct file *epf)
{
	return &((struct eventpoll *)epf->priv)->wq;
}
