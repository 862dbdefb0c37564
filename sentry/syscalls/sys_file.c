/* File I/O syscalls: read/write and friends, open/close, dup, fcntl,
 * ioctl, getdents, truncate, sendfile. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "syscalls.h"
#include "../socket/socket.h"

#define CHUNK (1u << 20)

struct file *fget_or(struct task *t, int fd, long *err)
{
	struct file *f = fd_get(t, fd);
	if (f && (f->flags & O_PATH)) {
		file_put(f);
		f = NULL;
	}
	if (!f)
		*err = -EBADF;
	return f;
}

struct file *fget_raw_or(struct task *t, int fd, long *err)
{
	struct file *f = fd_get(t, fd);
	if (!f)
		*err = -EBADF;
	return f;
}

/* ---- iovec iterators ---- */

int uiter_init(struct uiter *it, struct task *t, uint64_t uiov, int cnt)
{
	memset(it, 0, sizeof(*it));
	it->t = t;
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	if (cnt == 0)
		return 0;
	it->iov = malloc((size_t)cnt * sizeof(struct iovec));
	if (!it->iov)
		return -ENOMEM;
	if (copy_from_user(t, it->iov, uiov, (size_t)cnt * sizeof(struct iovec))) {
		free(it->iov);
		it->iov = NULL;
		return -EFAULT;
	}
	it->cnt = cnt;
	for (int i = 0; i < cnt; i++) {
		size_t l = it->iov[i].iov_len;
		if ((ssize_t)l < 0) {
			free(it->iov);
			it->iov = NULL;
			return -EINVAL;
		}
		if (it->total + l > (size_t)MAX_RW_COUNT) {
			it->iov[i].iov_len = (size_t)MAX_RW_COUNT - it->total;
			it->total = (size_t)MAX_RW_COUNT;
			it->cnt = i + 1;
			break;
		}
		it->total += l;
	}
	return 0;
}

void uiter_single(struct uiter *it, struct task *t, uint64_t buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->t = t;
	if (len > (size_t)MAX_RW_COUNT)
		len = (size_t)MAX_RW_COUNT;
	it->one.iov_base = (void *)buf;
	it->one.iov_len = len;
	it->iov = &it->one;
	it->cnt = 1;
	it->total = len;
}

void uiter_free(struct uiter *it)
{
	if (it->iov && it->iov != &it->one)
		free(it->iov);
	it->iov = NULL;
}

void uiter_advance(struct uiter *it, size_t n)
{
	if (n > it->total)
		n = it->total;
	it->total -= n;
	while (n && it->idx < it->cnt) {
		size_t left = it->iov[it->idx].iov_len - it->off;
		if (n < left) {
			it->off += n;
			return;
		}
		n -= left;
		it->idx++;
		it->off = 0;
	}
	while (it->idx < it->cnt && it->iov[it->idx].iov_len == it->off) {
		it->idx++;
		it->off = 0;
	}
}

static long uiter_move(struct uiter *it, void *buf, size_t n, int to_user)
{
	size_t done = 0;
	int idx = it->idx;
	size_t off = it->off;
	if (n > it->total)
		n = it->total;
	while (done < n && idx < it->cnt) {
		size_t left = it->iov[idx].iov_len - off;
		size_t c = n - done < left ? n - done : left;
		uint64_t ua = (uint64_t)it->iov[idx].iov_base + off;
		int e = to_user ? copy_to_user(it->t, ua, (char *)buf + done, c)
				: copy_from_user(it->t, (char *)buf + done, ua, c);
		if (e)
			return done ? (long)done : -EFAULT;
		done += c;
		off += c;
		if (off == it->iov[idx].iov_len) {
			idx++;
			off = 0;
		}
	}
	return (long)done;
}

long uiter_copy_from(struct uiter *it, void *buf, size_t n)
{
	return uiter_move(it, buf, n, 0);
}

long uiter_copy_to(struct uiter *it, const void *buf, size_t n)
{
	return uiter_move(it, (void *)buf, n, 1);
}

/* ---- the read/write engine ---- */

static int is_regular(struct file *f)
{
	return f->inode && (S_ISREG(f->inode->mode) || S_ISBLK(f->inode->mode));
}

static long park_for(struct task *t, struct file *f, uint32_t events)
{
	struct waitq *q = file_waitq(f, t);
	if (!q)
		return -EAGAIN;
	int e = task_wait(t, q, events);
	return e ? e : -EPARK;
}

long do_readv(struct task *t, struct file *f, struct uiter *it, uint64_t *pos, int rwflags)
{
	if (!(f->fmode & FMODE_READ))
		return -EBADF;
	if ((rwflags & RW_POS) && !(f->fmode & FMODE_PREAD))
		return -ESPIPE;
	if (f->inode && S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	if (it->total == 0)
		return 0;
	if (sock_of(f))
		return sock_readv(t, f, it);
	size_t want = it->total;
	size_t bufsz = want < CHUNK ? want : CHUNK;
	char *buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	size_t done = 0;
	long ret = 0;
	while (done < want) {
		size_t n = want - done < bufsz ? want - done : bufsz;
		ssize_t r = f->ops->read(f, t, buf, n, pos);
		if (r == -EAGAIN) {
			if (done)
				break;
			if (f->flags & O_NONBLOCK) {
				ret = -EAGAIN;
				break;
			}
			ret = park_for(t, f, POLLIN | POLLRDHUP | POLLHUP | POLLERR);
			break;
		}
		if (r < 0) {
			if (!done)
				ret = r;
			break;
		}
		if (r == 0)
			break;
		long c = uiter_copy_to(it, buf, (size_t)r);
		if (c < r && f->ops->unread)
			f->ops->unread(f, buf + (c > 0 ? c : 0), (size_t)(r - (c > 0 ? c : 0)));
		if (c < 0) {
			if (!done)
				ret = c;
			break;
		}
		uiter_advance(it, (size_t)c);
		done += (size_t)c;
		if (c < r || !is_regular(f) || (size_t)r < n)
			break;
	}
	free(buf);
	if (done) {
		if (inotify_instances)
			fsnotify_child(f->path.dentry, IN_ACCESS);
		return (long)done;
	}
	return ret;
}

long do_writev(struct task *t, struct file *f, struct uiter *it, uint64_t *pos, int rwflags)
{
	if (!(f->fmode & FMODE_WRITE))
		return -EBADF;
	if ((rwflags & RW_POS) && !(f->fmode & FMODE_PREAD))
		return -ESPIPE;
	if (!f->ops || !f->ops->write)
		return -EINVAL;
	if (sock_of(f))
		return sock_writev(t, f, it);
	/* A blocking write that parked part way resumes where it was. */
	size_t done = t->sc.done;
	if (done)
		uiter_advance(it, done);
	if (it->total == 0)
		return done || !f->ops->zero_len_write ? (long)done : f->ops->write(f, t, "", 0, pos);
	size_t bufsz = it->total < CHUNK ? it->total : CHUNK;
	char *buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	long ret = 0;
	while (it->total) {
		size_t n = it->total < bufsz ? it->total : bufsz;
		long c = uiter_copy_from(it, buf, n);
		if (c < 0) {
			ret = c;
			break;
		}
		ssize_t r = f->ops->write(f, t, buf, (size_t)c, pos);
		if (r == -EAGAIN) {
			if (f->flags & O_NONBLOCK) {
				ret = -EAGAIN;
				break;
			}
			t->sc.done = done;
			t->sc.intr = done ? (long)done : -ERESTARTSYS;
			ret = park_for(t, f, POLLOUT | POLLERR | POLLHUP);
			if (ret != -EPARK)
				t->sc.done = 0;
			break;
		}
		if (r < 0) {
			if (r == -EPIPE) {
				siginfo_t si;
				siginfo_from(&si, SIGPIPE, SI_USER, t);
				send_signal_task(t, &si, 0, 0);
			}
			ret = r;
			break;
		}
		uiter_advance(it, (size_t)r);
		done += (size_t)r;
		if ((size_t)r < (size_t)c && is_regular(f))
			break; /* disk full or size limit */
		if ((size_t)c < n)
			break; /* fault after a partial copy */
	}
	free(buf);
	if (ret == -EPARK)
		return ret;
	t->sc.done = 0;
	if (done) {
		if (f->path.dentry && f->inode && !is_regular(f))
			inode_touch(f->inode, ATTR_MTIME | ATTR_CTIME);
		if (inotify_instances)
			fsnotify_child(f->path.dentry, IN_MODIFY);
		return (long)done;
	}
	return ret;
}

static long rw_single(struct task *t, int write, int fd, uint64_t buf, size_t len, int64_t off,
		      int positional)
{
	long err;
	struct file *f = fget_or(t, fd, &err);
	if (!f)
		return err;
	if (positional && off < 0) {
		file_put(f);
		return -EINVAL;
	}
	struct uiter it;
	uiter_single(&it, t, buf, len);
	/* Positional I/O uses its own offset; the others the file's (file
	 * ops can tell the two apart: pos == &f->pos). */
	uint64_t p = (uint64_t)off;
	uint64_t *pp = positional ? &p : &f->pos;
	long r = write ? do_writev(t, f, &it, pp, positional ? RW_POS : 0)
		       : do_readv(t, f, &it, pp, positional ? RW_POS : 0);
	file_put(f);
	return r;
}

SYSCALL(read)
{
	return rw_single(t, 0, (int)ARG(0), ARG(1), (size_t)ARG(2), 0, 0);
}

SYSCALL(write)
{
	return rw_single(t, 1, (int)ARG(0), ARG(1), (size_t)ARG(2), 0, 0);
}

SYSCALL(pread64)
{
	return rw_single(t, 0, (int)ARG(0), ARG(1), (size_t)ARG(2), (int64_t)ARG(3), 1);
}

SYSCALL(pwrite64)
{
	return rw_single(t, 1, (int)ARG(0), ARG(1), (size_t)ARG(2), (int64_t)ARG(3), 1);
}

static long rw_vec(struct task *t, int write, int fd, uint64_t uiov, int cnt, int64_t off, int positional)
{
	long err;
	struct file *f = fget_or(t, fd, &err);
	if (!f)
		return err;
	if (positional && off < 0) {
		file_put(f);
		return -EINVAL;
	}
	struct uiter it;
	int e = uiter_init(&it, t, uiov, cnt);
	if (e) {
		file_put(f);
		return e;
	}
	uint64_t p = (uint64_t)off;
	uint64_t *pp = positional ? &p : &f->pos;
	long r = write ? do_writev(t, f, &it, pp, positional ? RW_POS : 0)
		       : do_readv(t, f, &it, pp, positional ? RW_POS : 0);
	uiter_free(&it);
	file_put(f);
	return r;
}

SYSCALL(readv)
{
	return rw_vec(t, 0, (int)ARG(0), ARG(1), (int)ARG(2), 0, 0);
}

SYSCALL(writev)
{
	return rw_vec(t, 1, (int)ARG(0), ARG(1), (int)ARG(2), 0, 0);
}

SYSCALL(preadv)
{
	return rw_vec(t, 0, (int)ARG(0), ARG(1), (int)ARG(2), (int64_t)ARG(3), 1);
}

SYSCALL(pwritev)
{
	return rw_vec(t, 1, (int)ARG(0), ARG(1), (int)ARG(2), (int64_t)ARG(3), 1);
}

SYSCALL(preadv2)
{
	if (ARG(5) & ~(uint64_t)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND))
		return -EOPNOTSUPP;
	int64_t off = (int64_t)ARG(3);
	return rw_vec(t, 0, (int)ARG(0), ARG(1), (int)ARG(2), off, off != -1);
}

SYSCALL(pwritev2)
{
	if (ARG(5) & ~(uint64_t)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND))
		return -EOPNOTSUPP;
	int64_t off = (int64_t)ARG(3);
	return rw_vec(t, 1, (int)ARG(0), ARG(1), (int)ARG(2), off, off != -1);
}

SYSCALL(lseek)
{
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	long r;
	if (f->fmode & FMODE_STREAM || (f->inode && (S_ISFIFO(f->inode->mode) || S_ISSOCK(f->inode->mode))))
		r = -ESPIPE;
	else if (f->ops && f->ops->llseek)
		r = f->ops->llseek(f, (int64_t)ARG(1), (int)ARG(2));
	else if (f->inode && S_ISCHR(f->inode->mode))
		r = 0;
	else
		r = generic_llseek(f, (int64_t)ARG(1), (int)ARG(2));
	file_put(f);
	return r;
}

/* ---- open/close ---- */

static long do_openat(struct task *t, int dirfd, uint64_t upath, int flags, mode_t mode)
{
	char path[PATH_MAX];
	long n = getname(t, upath, path, sizeof(path), 0);
	if (n < 0)
		return n;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct file *f;
	int e = vfs_open(t, dirfd, path, flags, mode, &f);
	if (e)
		return e;
	int fd = fd_install(t, f, (flags & O_CLOEXEC) != 0, 0);
	file_put(f);
	return fd;
}

SYSCALL(open)
{
	return do_openat(t, AT_FDCWD, ARG(0), (int)ARG(1), (mode_t)ARG(2));
}

SYSCALL(openat)
{
	return do_openat(t, (int)ARG(0), ARG(1), (int)ARG(2), (mode_t)ARG(3));
}

SYSCALL(creat)
{
	return do_openat(t, AT_FDCWD, ARG(0), O_CREAT | O_WRONLY | O_TRUNC, (mode_t)ARG(1));
}

SYSCALL(openat2)
{
	struct {
		uint64_t flags, mode, resolve;
	} how;
	size_t sz = (size_t)ARG(3);
	if (sz < sizeof(how))
		return -EINVAL;
	if (copy_from_user(t, &how, ARG(2), sizeof(how)))
		return -EFAULT;
	if (how.resolve)
		return -EINVAL; /* RESOLVE_* are not supported */
	return do_openat(t, (int)ARG(0), ARG(1), (int)how.flags, (mode_t)how.mode);
}

SYSCALL(close)
{
	/* A socket with SO_LINGER waits in the close of its last descriptor
	 * until its data is acknowledged or the linger time passes
	 * (socket(7)); the descriptor goes when the wait ends. */
	struct file *f = fd_get(t, (int)ARG(0));
	struct sock *s = f ? sock_of(f) : NULL;
	if (s && s->ops->linger && f->ref == 2 && !t->sc.timed_out) {
		struct waitq *wq = NULL;
		uint64_t to = 0;
		if (s->ops->linger(s, t, &wq, &to) == -EAGAIN && wq) {
			if (t->sc.rerun == 0)
				t->sc.deadline = kclock_mono() + to;
			if (kclock_mono() < t->sc.deadline && task_wait(t, wq, 0) == 0) {
				task_wait_until(t, t->sc.deadline);
				file_put(f);
				return -EPARK;
			}
		}
	}
	if (f)
		file_put(f);
	return fd_close(t, (int)ARG(0));
}

SYSCALL(close_range)
{
	unsigned lo = (unsigned)ARG(0), hi = (unsigned)ARG(1), flags = (unsigned)ARG(2);
	if (lo > hi || (flags & ~(4u /* CLOSE_RANGE_CLOEXEC */ | 2u /* UNSHARE */)))
		return -EINVAL;
	struct fdtable *ft = t->files;
	for (unsigned fd = lo; fd <= hi && fd < (unsigned)ft->size; fd++) {
		if (!ft->fds[fd].file)
			continue;
		if (flags & 4u)
			ft->fds[fd].cloexec = 1;
		else
			fd_close(t, (int)fd);
	}
	return 0;
}

SYSCALL(dup)
{
	long err;
	struct file *f = fget_raw_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	int fd = fd_install(t, f, 0, 0);
	file_put(f);
	return fd;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	long err;
	struct file *f = fget_raw_or(t, oldfd, &err);
	if (!f)
		return err;
	if (newfd < 0 || newfd >= fd_nofile_limit(t)) {
		file_put(f);
		return -EBADF;
	}
	int r = fd_install_at(t, newfd, f, (flags & O_CLOEXEC) != 0);
	file_put(f);
	return r;
}

SYSCALL(dup2)
{
	int oldfd = (int)ARG(0), newfd = (int)ARG(1);
	if (oldfd == newfd) {
		struct file *f = fd_get(t, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

SYSCALL(dup3)
{
	if ((int)ARG(0) == (int)ARG(1))
		return -EINVAL;
	return do_dup3(t, (int)ARG(0), (int)ARG(1), (int)ARG(2));
}

/* ---- fcntl ---- */

long locks_fcntl(struct task *t, struct file *f, int cmd, uint64_t arg);
long locks_flock(struct task *t, struct file *f, int op);
long pipe_fcntl(struct file *f, int cmd, uint64_t arg);
int tmpfs_sealfd(struct file *f);

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

SYSCALL(fcntl)
{
	int fd = (int)ARG(0), cmd = (int)ARG(1);
	uint64_t arg = ARG(2);
	long err;
	struct file *f = fget_raw_or(t, fd, &err);
	if (!f)
		return err;
	long r;
	struct fdtable *ft = t->files;
	/* An O_PATH descriptor takes only these (Linux's check_fcntl_cmd). */
	if ((f->flags & O_PATH) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD && cmd != F_SETFD &&
	    cmd != F_GETFL) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= (uint64_t)fd_nofile_limit(t))
			r = -EINVAL;
		else
			r = fd_install(t, f, cmd == F_DUPFD_CLOEXEC, (int)arg);
		break;
	case F_GETFD:
		r = ft->fds[fd].cloexec ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		ft->fds[fd].cloexec = (arg & FD_CLOEXEC) != 0;
		r = 0;
		break;
	case F_GETFL:
		r = (long)(f->flags | (f->path.dentry && !(f->flags & O_PATH) ? 0x8000 : 0));
		break;
	case F_SETFL:
		f->flags = (f->flags & ~(unsigned)SETFL_MASK) | ((unsigned)arg & SETFL_MASK);
		if (f->ops && f->ops->setfl)
			f->ops->setfl(f);
		r = 0;
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = locks_fcntl(t, f, cmd, arg);
		break;
	case F_SETOWN:
		f->owner_pid = (int)arg;
		r = 0;
		break;
	case F_GETOWN:
		r = f->owner_pid;
		break;
	case F_SETOWN_EX: {
		struct f_owner_ex o;
		if (copy_from_user(t, &o, arg, sizeof(o))) {
			r = -EFAULT;
			break;
		}
		f->owner_pid = o.type == F_OWNER_PGRP ? -o.pid : o.pid;
		r = 0;
		break;
	}
	case F_GETOWN_EX: {
		struct f_owner_ex o = { f->owner_pid < 0 ? F_OWNER_PGRP : F_OWNER_PID,
					f->owner_pid < 0 ? -f->owner_pid : f->owner_pid };
		r = copy_to_user(t, arg, &o, sizeof(o)) ? -EFAULT : 0;
		break;
	}
	case F_SETSIG:
		if (arg > 64)
			r = -EINVAL;
		else {
			f->sig = (int)arg;
			r = 0;
		}
		break;
	case F_GETSIG:
		r = f->sig;
		break;
	case F_SETPIPE_SZ:
	case F_GETPIPE_SZ:
		r = pipe_fcntl(f, cmd, arg);
		break;
	case F_ADD_SEALS:
	case F_GET_SEALS: {
		int hfd = tmpfs_sealfd(f);
		if (hfd < 0) {
			r = -EINVAL;
			break;
		}
		if (cmd == F_ADD_SEALS && !(f->fmode & FMODE_WRITE)) {
			r = -EPERM;
			break;
		}
		r = fcntl(hfd, cmd, (int)arg);
		if (r < 0)
			r = -errno;
		break;
	}
	case F_GETLEASE:
		r = F_UNLCK;
		break;
	case F_SETLEASE:
	case F_NOTIFY:
		r = -EINVAL;
		break;
	default:
		r = -EINVAL;
	}
	file_put(f);
	return r;
}

SYSCALL(flock)
{
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	long r = locks_flock(t, f, (int)ARG(1));
	file_put(f);
	return r;
}

/* ---- ioctl ---- */

SYSCALL(ioctl)
{
	int fd = (int)ARG(0);
	unsigned long cmd = (unsigned long)(unsigned)ARG(1);
	uint64_t arg = ARG(2);
	long err;
	struct file *f = fget_or(t, fd, &err);
	if (!f)
		return err;
	long r;
	switch (cmd) {
	case FIOCLEX:
		t->files->fds[fd].cloexec = 1;
		r = 0;
		break;
	case FIONCLEX:
		t->files->fds[fd].cloexec = 0;
		r = 0;
		break;
	case FIONBIO:
	case FIOASYNC: {
		int on;
		if (copy_from_user(t, &on, arg, sizeof(on))) {
			r = -EFAULT;
			break;
		}
		unsigned bit = cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;
		if (on)
			f->flags |= bit;
		else
			f->flags &= ~bit;
		if (f->ops && f->ops->setfl)
			f->ops->setfl(f);
		r = 0;
		break;
	}
	default:
		if (f->ops && f->ops->ioctl)
			r = f->ops->ioctl(f, t, cmd, arg);
		else if (cmd == FIONREAD && f->inode && S_ISREG(f->inode->mode)) {
			int v = f->inode->size > f->pos ? (int)(f->inode->size - f->pos) : 0;
			r = copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
		} else
			r = -ENOTTY;
	}
	file_put(f);
	return r;
}

/* ---- sync, truncate ---- */

static long do_fsync(struct task *t, int fd)
{
	long err;
	struct file *f = fget_or(t, fd, &err);
	if (!f)
		return err;
	long r = 0;
	if (f->ops && f->ops->fsync)
		r = f->ops->fsync(f);
	else if (!f->inode || !(S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode)))
		r = -EINVAL;
	file_put(f);
	return r;
}

SYSCALL(fsync)
{
	return do_fsync(t, (int)ARG(0));
}

SYSCALL(fdatasync)
{
	return do_fsync(t, (int)ARG(0));
}

SYSCALL(sync)
{
	(void)t;
	return 0;
}

SYSCALL(syncfs)
{
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	file_put(f);
	return 0;
}

SYSCALL(sync_file_range)
{
	return do_fsync(t, (int)ARG(0)) == -EINVAL ? -ESPIPE : 0;
}

SYSCALL(ftruncate)
{
	int64_t len = (int64_t)ARG(1);
	if (len < 0)
		return -EINVAL;
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	long r;
	if (!(f->fmode & FMODE_WRITE) || !f->inode)
		r = -EINVAL;
	else if (!S_ISREG(f->inode->mode))
		r = -EINVAL;
	else if (f->flags & O_APPEND)
		r = -EPERM;
	else
		r = vfs_truncate(t, f->inode, (uint64_t)len);
	if (!r)
		fsnotify_child(f->path.dentry, IN_MODIFY);
	file_put(f);
	return r;
}

SYSCALL(truncate)
{
	char path[PATH_MAX];
	long n = getname(t, ARG(0), path, sizeof(path), 0);
	if (n < 0)
		return n;
	if ((int64_t)ARG(1) < 0)
		return -EINVAL;
	struct nameidata nd;
	int e = namei(t, AT_FDCWD, path, LOOKUP_FOLLOW, &nd);
	if (e)
		return e;
	struct inode *i = nd.path.dentry->inode;
	if (S_ISDIR(i->mode))
		e = -EISDIR;
	else if (!S_ISREG(i->mode))
		e = -EINVAL;
	else
		e = vfs_permission(t, i, MAY_WRITE);
	if (!e && ((nd.path.mnt->flags & MS_RDONLY) || (i->sb->flags & SB_RDONLY)))
		e = -EROFS;
	if (!e)
		e = vfs_truncate(t, i, ARG(1));
	if (!e)
		fsnotify_child(nd.path.dentry, IN_MODIFY);
	path_put(&nd.path);
	return e;
}

SYSCALL(fallocate)
{
	int mode = (int)ARG(1);
	int64_t off = (int64_t)ARG(2), len = (int64_t)ARG(3);
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	long r;
	if (off < 0 || len <= 0)
		r = -EINVAL;
	else if (!(f->fmode & FMODE_WRITE))
		r = -EBADF;
	else if (!f->inode || !S_ISREG(f->inode->mode))
		r = -ENODEV;
	else if (mode & ~FALLOC_FL_KEEP_SIZE)
		r = -EOPNOTSUPP;
	else if (!(mode & FALLOC_FL_KEEP_SIZE) && (uint64_t)(off + len) > f->inode->size)
		r = vfs_truncate(t, f->inode, (uint64_t)(off + len));
	else
		r = 0;
	if (!r)
		fsnotify_child(f->path.dentry, IN_MODIFY);
	file_put(f);
	return r;
}

SYSCALL(fadvise64)
{
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	long r = 0;
	if (f->inode && S_ISFIFO(f->inode->mode))
		r = -ESPIPE;
	else if ((int)ARG(3) < 0 || (int)ARG(3) > 5)
		r = -EINVAL;
	file_put(f);
	return r;
}

SYSCALL(readahead)
{
	long err;
	struct file *f = fget_or(t, (int)ARG(0), &err);
	if (!f)
		return err;
	long r = f->inode && S_ISREG(f->inode->mode) ? 0 : -EINVAL;
	file_put(f);
	return r;
}

/* ---- getdents ---- */

struct dents_ctx {
	struct dir_ctx base;
	char *buf;
	size_t cap, used;
	int old; /* struct linux_dirent (getdents) */
	int count;
};

static int dents_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino, unsigned type,
		      uint64_t next_pos)
{
	struct dents_ctx *d = (struct dents_ctx *)c;
	size_t reclen;
	if (d->old)
		reclen = (8 + 8 + 2 + len + 2 + 7) & ~(size_t)7;
	else
		reclen = (8 + 8 + 2 + 1 + len + 1 + 7) & ~(size_t)7;
	if (d->used + reclen > d->cap)
		return 1;
	char *p = d->buf + d->used;
	memset(p, 0, reclen);
	uint16_t rl = (uint16_t)reclen;
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next_pos, 8);
	memcpy(p + 16, &rl, 2);
	if (d->old) {
		memcpy(p + 18, name, len);
		p[reclen - 1] = (char)type;
	} else {
		p[18] = (char)type;
		memcpy(p + 19, name, len);
	}
	d->used += reclen;
	d->count++;
	c->pos = next_pos;
	return 0;
}

static long do_getdents(struct task *t, int fd, uint64_t ubuf, size_t count, int old)
{
	long err;
	struct file *f = fget_or(t, fd, &err);
	if (!f)
		return err;
	long r;
	if (!f->inode || !S_ISDIR(f->inode->mode)) {
		r = -ENOTDIR;
		goto out;
	}
	if (!f->ops || !f->ops->getdents) {
		r = -ENOTDIR;
		goto out;
	}
	if (count > 1 << 20)
		count = 1 << 20;
	struct dents_ctx d = { .base.emit = dents_emit, .base.pos = f->pos, .cap = count, .old = old };
	d.buf = malloc(count ? count : 1);
	if (!d.buf) {
		r = -ENOMEM;
		goto out;
	}
	r = f->ops->getdents(f, &d.base);
	if (r >= 0) {
		if (d.count == 0 && d.base.pos == f->pos) {
			/* Either the end, or the buffer can't hold one entry:
			 * find out by asking for one more into a big buffer. */
			char probe[512];
			struct dents_ctx p = { .base.emit = dents_emit, .base.pos = f->pos,
					       .cap = sizeof(probe), .old = old, .buf = probe };
			f->ops->getdents(f, &p.base);
			r = p.count ? -EINVAL : 0;
		} else if (copy_to_user(t, ubuf, d.buf, d.used)) {
			r = -EFAULT;
		} else {
			f->pos = d.base.pos;
			r = (long)d.used;
		}
	}
	free(d.buf);
out:
	file_put(f);
	return r;
}

SYSCALL(getdents64)
{
	return do_getdents(t, (int)ARG(0), ARG(1), (size_t)ARG(2), 0);
}

SYSCALL(getdents)
{
	return do_getdents(t, (int)ARG(0), ARG(1), (size_t)ARG(2), 1);
}

/* ---- sendfile, copy_file_range, splice ---- */

/* sendfile's input position after the bytes sent: to the user's offset,
 * or the input file's own position. */
static int sendfile_put_pos(struct task *t, struct file *in, uint64_t uoff, uint64_t rpos)
{
	if (!uoff) {
		file_pos_set(in, rpos);
		return 0;
	}
	int64_t no = (int64_t)rpos;
	return copy_to_user(t, uoff, &no, sizeof(no)) ? -EFAULT : 0;
}

SYSCALL(sendfile)
{
	int out_fd = (int)ARG(0), in_fd = (int)ARG(1);
	uint64_t uoff = ARG(2);
	size_t count = (size_t)ARG(3);
	/* Linux's order: the offset is read first, then the input is
	 * checked (mode, offset, range), then the output. */
	int64_t off = 0;
	if (uoff && copy_from_user(t, &off, uoff, sizeof(off)))
		return -EFAULT;
	long r;
	struct file *in = fget_or(t, in_fd, &r);
	if (!in)
		return r;
	if (!(in->fmode & FMODE_READ)) {
		file_put(in);
		return -EBADF;
	}
	if (uoff && !(in->fmode & FMODE_PREAD)) {
		file_put(in);
		return -ESPIPE;
	}
	/* A call parked on a full output resumes here with sc.done bytes
	 * already sent and the input position (the user's offset or the
	 * file's) already moved past them: see sendfile_put_pos. */
	uint64_t rpos = uoff ? (uint64_t)off : file_pos_get(in);
	if (rw_verify_area(rpos, count)) {
		file_put(in);
		return -EINVAL;
	}
	if (count > (size_t)MAX_RW_COUNT)
		count = (size_t)MAX_RW_COUNT;
	struct file *out = fget_or(t, out_fd, &r);
	if (!out) {
		file_put(in);
		return r;
	}
	if (!(out->fmode & FMODE_WRITE)) {
		r = -EBADF;
		goto done;
	}
	/* Into a pipe, Linux splices straight from the input, which need
	 * not seek: a socket's bytes go as splice(2) would move them (a
	 * pipe's do not: a pipe has no splice_read). */
	if (file_pipe(out) && !(in->fmode & FMODE_PREAD)) {
		r = file_pipe(in) ? -EINVAL
				  : splice_file_to_pipe(t, in, out, &in->pos, count, (out->flags & O_NONBLOCK) != 0);
		goto done;
	}
	/* Into anything else, Linux splices through a pipe of its own,
	 * which needs an input it can seek and a plain output. It checks
	 * that the files can splice only when there is data. */
	if ((!file_pipe(out) && (rw_verify_area(out->pos, count) || (out->flags & O_APPEND))) ||
	    !(in->fmode & FMODE_PREAD) ||
	    (count && (!splice_capable(in, 0) || !splice_capable(out, 1))) || !in->ops || !in->ops->read ||
	    !out->ops || !out->ops->write) {
		r = -EINVAL;
		goto done;
	}
	size_t done = t->sc.done;
	char *buf = malloc(CHUNK);
	if (!buf) {
		r = -ENOMEM;
		goto done;
	}
	r = 0;
	while (done < count) {
		size_t n = count - done < CHUNK ? count - done : CHUNK;
		uint64_t peek = rpos;
		ssize_t got = in->ops->read(in, t, buf, n, &peek);
		if (got <= 0) {
			if (got < 0 && !done)
				r = got;
			break;
		}
		ssize_t w = out->ops->write(out, t, buf, (size_t)got, &out->pos);
		if (w == -EAGAIN) {
			if (out->flags & O_NONBLOCK) {
				if (!done)
					r = -EAGAIN;
				break;
			}
			t->sc.done = done;
			t->sc.intr = done ? (long)done : -ERESTARTSYS;
			struct waitq *q = file_waitq(out, t);
			if (q && task_wait(t, q, POLLOUT | POLLERR | POLLHUP) == 0) {
				/* a signal may end the call here with done as
				 * its result: the position must say so */
				if (sendfile_put_pos(t, in, uoff, rpos))
					t->sc.intr = -EFAULT;
				free(buf);
				file_put(in);
				file_put(out);
				return -EPARK;
			}
			break;
		}
		if (w < 0) {
			if (w == -EPIPE) {
				siginfo_t si;
				siginfo_from(&si, SIGPIPE, SI_USER, t);
				send_signal_task(t, &si, 0, 0);
			}
			if (!done)
				r = w;
			break;
		}
		rpos += (uint64_t)w;
		done += (size_t)w;
		if (w < got)
			break;
	}
	free(buf);
	t->sc.done = 0;
	if (done) {
		r = (long)done;
		if (inotify_instances) {
			fsnotify_child(in->path.dentry, IN_ACCESS);
			fsnotify_child(out->path.dentry, IN_MODIFY);
		}
	}
	if (sendfile_put_pos(t, in, uoff, rpos))
		r = -EFAULT;
done:
	file_put(in);
	file_put(out);
	return r;
}
