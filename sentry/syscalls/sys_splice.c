/*
 * Moving data between descriptors without the application's buffers:
 * splice(2), tee(2), vmsplice(2) and copy_file_range(2). (sendfile is in
 * sys_file.c.)
 *
 * The sentry copies through its own buffer; what makes these calls what
 * they are is that nothing is lost or duplicated when one side cannot
 * take everything:
 *   - from a pipe, the data is peeked, written, and only what the other
 *     side took is consumed;
 *   - into a pipe, no more is read than the pipe has room for, so the
 *     pipe write cannot fail part way (a reader could only add room).
 * A call moves what it can at once and returns; it parks only when it
 * could move nothing (the empty input pipe has writers, the output pipe
 * is full, the other side would block), like Linux. SPLICE_F_NONBLOCK or
 * O_NONBLOCK on the pipe make that EAGAIN instead. vmsplice copies too
 * (Linux may map the pages; a copy is what the application can observe
 * if it does not touch the pages afterwards, which SPLICE_F_GIFT asks).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "syscalls.h"

#define SPLICE_F_NONBLOCK_ 0x2u
#define SPLICE_F_ALL_ 0xfu /* MOVE | NONBLOCK | MORE | GIFT */
#define SPLICE_CHUNK (1u << 20)

static long park_on(struct task *t, struct file *f, uint32_t events)
{
	struct waitq *q = file_waitq(f, t);
	if (!q)
		return -EAGAIN;
	int e = task_wait(t, q, events);
	return e ? e : -EPARK;
}

static void raise_sigpipe(struct task *t)
{
	siginfo_t si;
	siginfo_from(&si, SIGPIPE, SI_USER, t);
	send_signal_task(t, &si, 0, 0);
}

/* A user loff_t as it is (a negative one fails in rw_verify_area). */
static long get_off(struct task *t, uint64_t uaddr, uint64_t *out)
{
	int64_t v;
	if (copy_from_user(t, &v, uaddr, sizeof(v)))
		return -EFAULT;
	*out = (uint64_t)v;
	return 0;
}

int rw_verify_area(uint64_t pos, size_t len)
{
	if ((int64_t)len < 0 || (int64_t)pos < 0 || (int64_t)(pos + len) < 0)
		return -EINVAL;
	return 0;
}

/* Anonymous inodes (eventfd, epoll, timerfd, signalfd, inotify: no file
 * type in their mode) and directories have neither splice_read nor
 * splice_write on Linux, /dev/null only the latter. */
int splice_capable(struct file *f, int write)
{
	struct inode *i = f->inode;
	if (!i || !(i->mode & S_IFMT) || S_ISDIR(i->mode))
		return 0;
	return write || !S_ISCHR(i->mode) || i->rdev != makedev(1, 3);
}

/* A user loff_t: EFAULT, or EINVAL when negative. */
static long get_loff(struct task *t, uint64_t uaddr, uint64_t *out)
{
	int64_t v;
	if (copy_from_user(t, &v, uaddr, sizeof(v)))
		return -EFAULT;
	if (v < 0)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static long put_loff(struct task *t, uint64_t uaddr, uint64_t v)
{
	int64_t s = (int64_t)v;
	return copy_to_user(t, uaddr, &s, sizeof(s)) ? -EFAULT : 0;
}

static int is_reg(struct file *f)
{
	return f->inode && S_ISREG(f->inode->mode);
}

/* pipe -> file, socket, terminal, ... (not another pipe) */
static long splice_from_pipe(struct task *t, struct file *in, struct file *out, uint64_t *pos, size_t len,
			     int nonblock)
{
	struct pipe *p = file_pipe(in);
	if (!pipe_avail(p)) {
		if (!pipe_has_writers(p))
			return 0;
		if (nonblock || (in->flags & O_NONBLOCK))
			return -EAGAIN;
		return park_on(t, in, POLLIN | POLLHUP);
	}
	size_t n = pipe_avail(p) < len ? pipe_avail(p) : len;
	if (n > SPLICE_CHUNK)
		n = SPLICE_CHUNK;
	char *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	pipe_peek(p, buf, n, 0);
	ssize_t w = file_write(out, t, buf, n, pos);
	free(buf);
	if (w == -EAGAIN) {
		if (nonblock || (out->flags & O_NONBLOCK))
			return -EAGAIN;
		return park_on(t, out, POLLOUT | POLLERR | POLLHUP);
	}
	if (w == -EPIPE)
		raise_sigpipe(t);
	if (w > 0)
		pipe_consume(p, (size_t)w);
	return w;
}

/* file, socket, terminal, ... -> pipe */
long splice_file_to_pipe(struct task *t, struct file *in, struct file *out, uint64_t *pos, size_t len,
			 int nonblock)
{
	struct pipe *p = file_pipe(out);
	if (!pipe_has_readers(p)) {
		raise_sigpipe(t);
		return -EPIPE;
	}
	size_t room = pipe_room(p);
	if (!room) {
		if (nonblock)
			return -EAGAIN;
		return park_on(t, out, POLLOUT | POLLERR);
	}
	if (rw_verify_area(*pos, len) || !splice_capable(in, 0))
		return -EINVAL;
	size_t n = room < len ? room : len;
	if (n > SPLICE_CHUNK)
		n = SPLICE_CHUNK;
	char *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	ssize_t r = file_read(in, t, buf, n, pos);
	if (r == -EAGAIN) {
		free(buf);
		if (nonblock || (in->flags & O_NONBLOCK))
			return -EAGAIN;
		return park_on(t, in, POLLIN | POLLRDHUP | POLLHUP | POLLERR);
	}
	if (r <= 0) {
		free(buf);
		return r;
	}
	/* fits: room was checked and only a reader runs in between (none) */
	ssize_t w = file_write(out, t, buf, (size_t)r, NULL);
	free(buf);
	return w;
}

/* pipe -> pipe: moves what the source has and the target can take. As
 * Linux, nonblock is the flag or O_NONBLOCK on either pipe (an empty
 * source fails at once when the target is nonblocking). */
static long splice_pipe_pipe(struct task *t, struct file *in, struct file *out, size_t len, int nonblock,
			     int keep)
{
	struct pipe *ip = file_pipe(in), *op = file_pipe(out);
	if (!pipe_has_readers(op)) {
		raise_sigpipe(t);
		return -EPIPE;
	}
	if (!pipe_avail(ip)) {
		if (!pipe_has_writers(ip))
			return 0;
		if (nonblock)
			return -EAGAIN;
		return park_on(t, in, POLLIN | POLLHUP);
	}
	if (!pipe_room(op)) {
		if (nonblock)
			return -EAGAIN;
		return park_on(t, out, POLLOUT | POLLERR);
	}
	size_t n = pipe_avail(ip) < len ? pipe_avail(ip) : len;
	if (n > pipe_room(op))
		n = pipe_room(op);
	char *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	pipe_peek(ip, buf, n, 0);
	ssize_t w = file_write(out, t, buf, n, NULL);
	free(buf);
	if (w > 0 && !keep)
		pipe_consume(ip, (size_t)w);
	return w;
}

SYSCALL(splice)
{
	int fd_in = (int)ARG(0), fd_out = (int)ARG(2);
	uint64_t uoff_in = ARG(1), uoff_out = ARG(3);
	size_t len = (size_t)ARG(4);
	unsigned flags = (unsigned)ARG(5);
	/* Linux's order: a zero length is done before anything is looked
	 * at, then the flags, the descriptors, the offsets' pipes and
	 * pointers, and only then the modes. */
	if (len == 0)
		return 0;
	if (flags & ~SPLICE_F_ALL_)
		return -EINVAL;
	long r;
	struct file *in = fget_or(t, fd_in, &r);
	if (!in)
		return r;
	struct file *out = fget_or(t, fd_out, &r);
	if (!out) {
		file_put(in);
		return r;
	}
	int nonblock = (flags & SPLICE_F_NONBLOCK_) != 0;
	struct pipe *ip = file_pipe(in), *op = file_pipe(out);
	uint64_t pos_in = 0, pos_out = 0;
	uint64_t *pin = &in->pos, *pout = &out->pos;
	if ((ip && uoff_in) || (op && uoff_out)) {
		r = -ESPIPE;
		goto done;
	}
	if (uoff_in) {
		if ((r = get_off(t, uoff_in, &pos_in)))
			goto done;
		pin = &pos_in;
	}
	if (uoff_out) {
		if ((r = get_off(t, uoff_out, &pos_out)))
			goto done;
		pout = &pos_out;
	}
	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE)) {
		r = -EBADF;
		goto done;
	}
	if (ip && op) {
		if (ip == op) {
			r = -EINVAL;
			goto done;
		}
		nonblock |= ((in->flags | out->flags) & O_NONBLOCK) != 0;
		r = splice_pipe_pipe(t, in, out, len > (size_t)MAX_RW_COUNT ? (size_t)MAX_RW_COUNT : len, nonblock, 0);
	} else if (ip) {
		/* An offset needs a seekable output; the range is checked
		 * with the length asked for, as for a write. */
		if ((uoff_out && !(out->fmode & FMODE_PREAD)) || (out->flags & O_APPEND) ||
		    rw_verify_area(*pout, len) || !splice_capable(out, 1)) {
			r = -EINVAL;
			goto done;
		}
		r = splice_from_pipe(t, in, out, pout, len > (size_t)MAX_RW_COUNT ? (size_t)MAX_RW_COUNT : len,
				     nonblock);
	} else if (op) {
		if (uoff_in && !(in->fmode & FMODE_PREAD)) {
			r = -EINVAL;
			goto done;
		}
		nonblock |= (out->flags & O_NONBLOCK) != 0;
		r = splice_file_to_pipe(t, in, out, pin, len, nonblock);
	} else {
		r = -EINVAL;
	}
	if (r > 0 && uoff_in && put_loff(t, uoff_in, pos_in))
		r = -EFAULT;
	if (r > 0 && uoff_out && put_loff(t, uoff_out, pos_out))
		r = -EFAULT;
done:
	file_put(in);
	file_put(out);
	return r;
}

SYSCALL(tee)
{
	unsigned flags = (unsigned)ARG(3);
	size_t len = (size_t)ARG(2);
	if (flags & ~SPLICE_F_ALL_)
		return -EINVAL;
	if (len == 0)
		return 0;
	long r;
	struct file *in = fget_or(t, (int)ARG(0), &r);
	if (!in)
		return r;
	struct file *out = fget_or(t, (int)ARG(1), &r);
	if (!out) {
		file_put(in);
		return r;
	}
	struct pipe *ip = file_pipe(in), *op = file_pipe(out);
	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE))
		r = -EBADF;
	else if (!ip || !op || ip == op)
		r = -EINVAL;
	else
		r = splice_pipe_pipe(t, in, out, len > (size_t)MAX_RW_COUNT ? (size_t)MAX_RW_COUNT : len,
				     (flags & SPLICE_F_NONBLOCK_) || ((in->flags | out->flags) & O_NONBLOCK), 1);
	file_put(in);
	file_put(out);
	return r;
}

#define VM_PAGE 4096u

/*
 * vmsplice into a pipe, as Linux's vmsplice_to_pipe: it waits only while
 * the pipe is full (SPLICE_F_NONBLOCK: EAGAIN; the file's O_NONBLOCK does
 * not count), then takes what fits and returns. Linux hands the pages
 * over, one pipe buffer for each page the iovec touches (a piece that
 * starts mid-page holds only the rest of that page), so a pipe of N
 * buffers takes N pieces, not N pages' worth of bytes. Our pipe counts
 * bytes: the buffers in use are the pages its bytes fill, rounded up.
 */
static long vmsplice_to_pipe(struct task *t, struct file *f, struct pipe *p, struct uiter *it, int nonblock)
{
	if (!pipe_has_readers(p)) {
		raise_sigpipe(t);
		return -EPIPE;
	}
	size_t avail = pipe_avail(p), cap = avail + pipe_room(p);
	size_t bufs = cap / VM_PAGE - (avail + VM_PAGE - 1) / VM_PAGE;
	if (!bufs)
		return nonblock ? -EAGAIN : park_on(t, f, POLLOUT | POLLERR);
	char *buf = malloc(bufs * VM_PAGE);
	if (!buf)
		return -ENOMEM;
	size_t total = 0;
	long r = 0;
	for (int i = 0; i < it->cnt && bufs && !r; i++) {
		uint64_t a = (uint64_t)it->iov[i].iov_base;
		size_t left = it->iov[i].iov_len;
		while (left && bufs) {
			size_t n = VM_PAGE - a % VM_PAGE;
			if (n > left)
				n = left;
			if (copy_from_user(t, buf + total, a, n)) {
				r = -EFAULT;
				break;
			}
			total += n;
			a += n;
			left -= n;
			bufs--;
		}
	}
	/* It fits: the pieces take no more than the free buffers' bytes. */
	if (total)
		r = f->ops->write(f, t, buf, total, NULL);
	free(buf);
	return r;
}

/* vmsplice(fd, iov, nr_segs, flags): user memory into a pipe (write end)
 * or out of one (read end). */
SYSCALL(vmsplice)
{
	unsigned flags = (unsigned)ARG(3);
	if (flags & ~SPLICE_F_ALL_)
		return -EINVAL;
	long r;
	struct file *f = fget_or(t, (int)ARG(0), &r);
	if (!f)
		return r;
	if (!(f->fmode & (FMODE_READ | FMODE_WRITE))) {
		r = -EBADF;
		goto done;
	}
	/* Linux reads the iovec before it looks for a pipe. */
	struct uiter it;
	if ((r = uiter_init(&it, t, ARG(1), (int)ARG(2))))
		goto done;
	struct pipe *p = file_pipe(f);
	int nonblock = (flags & SPLICE_F_NONBLOCK_) != 0;
	if (!it.total) {
		r = 0;
	} else if (!p) {
		r = -EBADF;
	} else if (f->fmode & FMODE_WRITE) {
		r = vmsplice_to_pipe(t, f, p, &it, nonblock);
	} else if (f->fmode & FMODE_READ) {
		if (nonblock && !pipe_avail(p) && pipe_has_writers(p))
			r = -EAGAIN;
		else
			r = do_readv(t, f, &it, NULL, 0);
	} else {
		r = -EBADF;
	}
	uiter_free(&it);
done:
	file_put(f);
	return r;
}

/*
 * copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): regular
 * files only; ranges of the same file must not overlap. Regular files
 * never block, so this copies up to len (at most 1 GiB a call, a short
 * count the caller loops on) and stops early only at the input's end or
 * when the output is full.
 */
SYSCALL(copy_file_range)
{
	uint64_t uoff_in = ARG(1), uoff_out = ARG(3);
	size_t len = (size_t)ARG(4);
	if (ARG(5))
		return -EINVAL;
	long r;
	struct file *in = fget_or(t, (int)ARG(0), &r);
	if (!in)
		return r;
	struct file *out = fget_or(t, (int)ARG(2), &r);
	if (!out) {
		file_put(in);
		return r;
	}
	uint64_t pin = uoff_in ? 0 : file_pos_get(in), pout = uoff_out ? 0 : file_pos_get(out);
	char *buf = NULL;
	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE) || (out->flags & O_APPEND)) {
		r = -EBADF;
		goto done;
	}
	if ((in->inode && S_ISDIR(in->inode->mode)) || (out->inode && S_ISDIR(out->inode->mode))) {
		r = -EISDIR;
		goto done;
	}
	if (!is_reg(in) || !is_reg(out)) {
		r = -EINVAL;
		goto done;
	}
	if ((uoff_in && (r = get_loff(t, uoff_in, &pin))) || (uoff_out && (r = get_loff(t, uoff_out, &pout))))
		goto done;
	if (pin + len < pin || pout + len < pout || (int64_t)(pin + len) < 0 || (int64_t)(pout + len) < 0) {
		r = -EOVERFLOW;
		goto done;
	}
	if (in->inode == out->inode && pin < pout + len && pout < pin + len) {
		r = -EINVAL;
		goto done;
	}
	if (len > (1u << 30))
		len = 1u << 30;
	size_t bufsz = len < SPLICE_CHUNK ? len : SPLICE_CHUNK;
	buf = len ? malloc(bufsz) : NULL;
	if (len && !buf) {
		r = -ENOMEM;
		goto done;
	}
	size_t done = 0;
	r = 0;
	while (done < len) {
		size_t n = len - done < bufsz ? len - done : bufsz;
		uint64_t rp = pin;
		ssize_t got = file_read(in, t, buf, n, &rp);
		if (got <= 0) {
			if (got < 0 && !done)
				r = got;
			break;
		}
		uint64_t wp = pout;
		ssize_t w = file_write(out, t, buf, (size_t)got, &wp);
		if (w <= 0) {
			if (w < 0 && !done)
				r = w;
			break;
		}
		pin += (uint64_t)w;
		pout += (uint64_t)w;
		done += (size_t)w;
		if (w < got)
			break;
	}
	if (done)
		r = (long)done;
	if (r >= 0) {
		if (uoff_in) {
			if (put_loff(t, uoff_in, pin))
				r = -EFAULT;
		} else {
			file_pos_set(in, pin);
		}
		if (uoff_out) {
			if (put_loff(t, uoff_out, pout))
				r = -EFAULT;
		} else {
			file_pos_set(out, pout);
		}
	}
done:
	free(buf);
	file_put(in);
	file_put(out);
	return r;
}
