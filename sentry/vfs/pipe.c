/*
 * Pipes and FIFOs.
 *
 * A pipe is a byte ring (64 KiB by default, F_SETPIPE_SZ changes it) with
 * reader and writer counts and one wait queue. Semantics follow pipe(7):
 * writes of at most PIPE_BUF bytes are atomic, a write with no reader is
 * EPIPE (the syscall layer adds SIGPIPE), a read with no writer and no data
 * is end of file. Wake-ups carry POLLIN when data arrives and POLLOUT when
 * space frees, so edge-triggered epoll sees real edges.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "vfs.h"
#include "../kernel/kernel.h"

#define PIPE_DEF_SIZE 65536
#define PIPE_MAX_SIZE (1 << 20)

struct pipe {
	char *buf;
	size_t cap, head, len;
	int readers, writers;
	uint64_t w_counter, r_counter; /* opens so far (FIFO open waits) */
	struct waitq wq;
	struct inode *fifo; /* named pipe: owned by this inode */
	uint64_t ino;
};

static struct pipe *pipe_new(void)
{
	struct pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cap = PIPE_DEF_SIZE;
	waitq_init(&p->wq);
	return p;
}

static void pipe_maybe_free(struct pipe *p)
{
	if (p->readers || p->writers || p->fifo)
		return;
	waitq_destroy(&p->wq, POLLHUP);
	free(p->buf);
	free(p);
}

static ssize_t pipe_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	(void)pos;
	struct pipe *p = f->priv;
	if (!p->len)
		return p->writers ? -EAGAIN : 0;
	size_t n = len < p->len ? len : p->len;
	size_t first = p->cap - p->head < n ? p->cap - p->head : n;
	memcpy(buf, p->buf + p->head, first);
	memcpy((char *)buf + first, p->buf, n - first);
	p->head = (p->head + n) % p->cap;
	p->len -= n;
	if (!p->len)
		p->head = 0;
	waitq_wake(&p->wq, POLLOUT | POLLWRNORM);
	return (ssize_t)n;
}

static void pipe_unread(struct file *f, const void *buf, size_t len)
{
	struct pipe *p = f->priv;
	if (!p->buf || len > p->cap - p->len)
		return;
	p->head = (p->head + p->cap - len) % p->cap;
	size_t first = p->cap - p->head < len ? p->cap - p->head : len;
	memcpy(p->buf + p->head, buf, first);
	memcpy(p->buf, (const char *)buf + first, len - first);
	p->len += len;
}

static ssize_t pipe_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	(void)pos;
	struct pipe *p = f->priv;
	if (!p->readers)
		return -EPIPE;
	if (!p->buf) {
		p->buf = malloc(p->cap);
		if (!p->buf)
			return -ENOMEM;
	}
	size_t space = p->cap - p->len;
	if (!space || (len <= PIPE_BUF && space < len))
		return -EAGAIN;
	size_t n = len < space ? len : space;
	size_t tail = (p->head + p->len) % p->cap;
	size_t first = p->cap - tail < n ? p->cap - tail : n;
	memcpy(p->buf + tail, buf, first);
	memcpy(p->buf, (const char *)buf + first, n - first);
	p->len += n;
	waitq_wake(&p->wq, POLLIN | POLLRDNORM);
	return (ssize_t)n;
}

static uint32_t pipe_poll(struct file *f, struct task *t)
{
	(void)t;
	struct pipe *p = f->priv;
	uint32_t m = 0;
	if (f->fmode & FMODE_READ) {
		if (p->len)
			m |= POLLIN | POLLRDNORM;
		if (!p->writers && p->w_counter)
			m |= POLLHUP;
	}
	if (f->fmode & FMODE_WRITE) {
		if (p->cap - p->len >= PIPE_BUF)
			m |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			m |= POLLERR;
	}
	return m;
}

static struct waitq *pipe_waitq(struct file *f, struct task *t)
{
	(void)t;
	return &((struct pipe *)f->priv)->wq;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct pipe *p = f->priv;
	if (cmd == FIONREAD) {
		int n = (int)p->len;
		return copy_to_user(t, arg, &n, sizeof(n)) ? -EFAULT : 0;
	}
	return -ENOTTY;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	if (f->fmode & FMODE_READ)
		p->readers--;
	if (f->fmode & FMODE_WRITE)
		p->writers--;
	waitq_wake(&p->wq, POLLIN | POLLOUT | POLLHUP | POLLERR);
	if (!p->readers && !p->writers && p->fifo) {
		/* A FIFO forgets its data when the last opener leaves. */
		p->len = 0;
		p->head = 0;
	}
	pipe_maybe_free(p);
}

static int pipe_name(struct file *f, char *buf, size_t len)
{
	struct pipe *p = f->priv;
	return snprintf(buf, len, "pipe:[%llu]", (unsigned long long)p->ino);
}

static const struct file_ops pipe_ops = {
	.read = pipe_read,
	.unread = pipe_unread,
	.write = pipe_write,
	.poll = pipe_poll,
	.waitq = pipe_waitq,
	.ioctl = pipe_ioctl,
	.name = pipe_name,
	.release = pipe_release,
};

long pipe_fcntl(struct file *f, int cmd, uint64_t arg);
long pipe_fcntl(struct file *f, int cmd, uint64_t arg)
{
	if (f->ops != &pipe_ops)
		return -EBADF;
	struct pipe *p = f->priv;
	if (cmd == F_GETPIPE_SZ)
		return (long)p->cap;
	if (arg > PIPE_MAX_SIZE)
		return -EPERM;
	size_t want = arg < 4096 ? 4096 : (size_t)arg;
	size_t sz = 4096;
	while (sz < want)
		sz <<= 1;
	if (sz < p->len)
		return -EBUSY;
	if (p->buf) {
		char *nb = malloc(sz);
		if (!nb)
			return -ENOMEM;
		size_t first = p->cap - p->head < p->len ? p->cap - p->head : p->len;
		memcpy(nb, p->buf + p->head, first);
		memcpy(nb + first, p->buf, p->len - first);
		free(p->buf);
		p->buf = nb;
		p->head = 0;
	}
	p->cap = sz;
	return (long)sz;
}

/* ---- splice(2) and tee(2): the pipe's buffer seen from outside ---- */

struct pipe *file_pipe(struct file *f)
{
	return f->ops == &pipe_ops ? f->priv : NULL;
}

size_t pipe_avail(struct pipe *p)
{
	return p->len;
}

size_t pipe_room(struct pipe *p)
{
	return p->cap - p->len;
}

int pipe_has_writers(struct pipe *p)
{
	return p->writers > 0;
}

int pipe_has_readers(struct pipe *p)
{
	return p->readers > 0;
}

/* Copies up to len bytes of the queued data, starting skip bytes in,
 * without consuming them. */
size_t pipe_peek(struct pipe *p, void *buf, size_t len, size_t skip)
{
	if (skip >= p->len)
		return 0;
	size_t n = p->len - skip < len ? p->len - skip : len;
	size_t start = (p->head + skip) % p->cap;
	size_t first = p->cap - start < n ? p->cap - start : n;
	memcpy(buf, p->buf + start, first);
	memcpy((char *)buf + first, p->buf, n - first);
	return n;
}

/* Drops n queued bytes (n <= pipe_avail) and wakes writers. */
void pipe_consume(struct pipe *p, size_t n)
{
	if (n > p->len)
		n = p->len;
	p->head = (p->head + n) % p->cap;
	p->len -= n;
	if (!p->len)
		p->head = 0;
	if (n)
		waitq_wake(&p->wq, POLLOUT | POLLWRNORM);
}

static void fifo_ipc_release(struct inode *i)
{
	struct pipe *p = i->ipc;
	i->ipc = NULL;
	if (p) {
		p->fifo = NULL;
		pipe_maybe_free(p);
	}
}

int pipe_create(struct vfs *v, struct file **rd, struct file **wr, unsigned flags);
int pipe_create(struct vfs *v, struct file **rd, struct file **wr, unsigned flags)
{
	struct pipe *p = pipe_new();
	if (!p)
		return -ENOMEM;
	struct file *r = file_anon(v, &pipe_ops, O_RDONLY | (flags & O_NONBLOCK), p, S_IFIFO | 0600);
	if (!r) {
		free(p);
		return -ENOMEM;
	}
	p->readers = 1;
	p->ino = r->inode->ino;
	/* Like a FIFO on an anonymous inode: /proc/self/fd/N reopens it. */
	p->fifo = r->inode;
	r->inode->ipc = p;
	r->inode->ipc_release = fifo_ipc_release;
	struct file *w = file_alloc(&pipe_ops, O_WRONLY | (flags & O_NONBLOCK), p);
	if (!w) {
		file_put(r);
		return -ENOMEM;
	}
	w->inode = inode_get(r->inode);
	w->fmode |= FMODE_STREAM;
	p->writers = 1;
	p->w_counter = p->r_counter = 1;
	*rd = r;
	*wr = w;
	return 0;
}

/* ---- FIFOs ---- */

int fifo_open(struct inode *i, struct file *f, struct task *t);
int fifo_open(struct inode *i, struct file *f, struct task *t)
{
	(void)t;
	struct pipe *p = i->ipc;
	if (!p) {
		p = pipe_new();
		if (!p)
			return -ENOMEM;
		p->fifo = i;
		p->ino = i->ino;
		i->ipc = p;
		i->ipc_release = fifo_ipc_release;
	}
	int acc = (int)(f->flags & O_ACCMODE);
	if (acc == O_WRONLY && (f->flags & O_NONBLOCK) && !p->readers)
		return -ENXIO;
	f->priv = p;
	f->ops = &pipe_ops;
	f->fmode |= FMODE_STREAM;
	f->fmode &= ~FMODE_PREAD;
	if (f->fmode & FMODE_READ) {
		p->readers++;
		p->r_counter++;
	}
	if (f->fmode & FMODE_WRITE) {
		p->writers++;
		p->w_counter++;
	}
	waitq_wake(&p->wq, POLLIN | POLLOUT);
	f->dir_cursor = (void *)(uintptr_t)(acc == O_RDONLY ? p->w_counter : p->r_counter);
	return 0;
}

/* A blocking FIFO open waits for the other side (fifo(7)). Returns the
 * queue to wait on, or NULL when the open may complete. */
struct waitq *fifo_open_wait(struct file *f);
struct waitq *fifo_open_wait(struct file *f)
{
	if (f->ops != &pipe_ops || !f->inode || !S_ISFIFO(f->inode->mode) || (f->flags & O_NONBLOCK))
		return NULL;
	struct pipe *p = f->priv;
	int acc = (int)(f->flags & O_ACCMODE);
	uint64_t seen = (uint64_t)(uintptr_t)f->dir_cursor;
	if (acc == O_RDONLY && !p->writers && p->w_counter == seen)
		return &p->wq;
	if (acc == O_WRONLY && !p->readers && p->r_counter == seen)
		return &p->wq;
	return NULL;
}
