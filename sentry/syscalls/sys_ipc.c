/* Syscalls that make anonymous files: pipes, eventfd, timerfd, signalfd,
 * memfd. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "syscalls.h"

int pipe_create(struct vfs *v, struct file **rd, struct file **wr, unsigned flags);
int eventfd_create(struct vfs *v, unsigned initval, int flags, struct file **out);
int timerfd_create_file(struct kernel *k, int clock, int flags, struct file **out);
int timerfd_settime_file(struct file *f, int flags, const struct itimerspec *nv, struct itimerspec *ov);
int timerfd_gettime_file(struct file *f, struct itimerspec *v);
int signalfd_file(struct vfs *v, struct file *existing, ksigset_t mask, int flags, struct file **out);

static long install_pair(struct task *t, struct file *a, struct file *b, int cloexec, uint64_t uout)
{
	int fa = fd_install(t, a, cloexec, 0);
	if (fa < 0) {
		file_put(a);
		file_put(b);
		return fa;
	}
	int fb = fd_install(t, b, cloexec, 0);
	if (fb < 0) {
		fd_close(t, fa);
		file_put(a);
		file_put(b);
		return fb;
	}
	file_put(a);
	file_put(b);
	int fds[2] = { fa, fb };
	if (copy_to_user(t, uout, fds, sizeof(fds))) {
		fd_close(t, fa);
		fd_close(t, fb);
		return -EFAULT;
	}
	return 0;
}

static long do_pipe2(struct task *t, uint64_t ufds, int flags)
{
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	struct file *r, *w;
	int e = pipe_create(t->k->vfs, &r, &w, (unsigned)flags);
	if (e)
		return e;
	return install_pair(t, r, w, (flags & O_CLOEXEC) != 0, ufds);
}

SYSCALL(pipe)
{
	return do_pipe2(t, ARG(0), 0);
}

SYSCALL(pipe2)
{
	return do_pipe2(t, ARG(0), (int)ARG(1));
}

static long install_one(struct task *t, struct file *f, int cloexec)
{
	int fd = fd_install(t, f, cloexec, 0);
	file_put(f);
	return fd;
}

SYSCALL(eventfd2)
{
	struct file *f;
	int e = eventfd_create(t->k->vfs, (unsigned)ARG(0), (int)ARG(1), &f);
	if (e)
		return e;
	return install_one(t, f, (ARG(1) & EFD_CLOEXEC) != 0);
}

SYSCALL(eventfd)
{
	struct file *f;
	int e = eventfd_create(t->k->vfs, (unsigned)ARG(0), 0, &f);
	if (e)
		return e;
	return install_one(t, f, 0);
}

SYSCALL(timerfd_create)
{
	struct file *f;
	int e = timerfd_create_file(t->k, (int)ARG(0), (int)ARG(1), &f);
	if (e)
		return e;
	return install_one(t, f, (ARG(1) & TFD_CLOEXEC) != 0);
}

SYSCALL(timerfd_settime)
{
	struct itimerspec nv, ov;
	if (copy_from_user(t, &nv, ARG(2), sizeof(nv)))
		return -EFAULT;
	if (nv.it_value.tv_nsec < 0 || nv.it_value.tv_nsec >= 1000000000L || nv.it_value.tv_sec < 0 ||
	    nv.it_interval.tv_nsec < 0 || nv.it_interval.tv_nsec >= 1000000000L || nv.it_interval.tv_sec < 0)
		return -EINVAL;
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	int e = timerfd_settime_file(f, (int)ARG(1), &nv, &ov);
	file_put(f);
	if (e)
		return e;
	if (ARG(3) && copy_to_user(t, ARG(3), &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

SYSCALL(timerfd_gettime)
{
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	struct itimerspec v;
	int e = timerfd_gettime_file(f, &v);
	file_put(f);
	if (e)
		return e;
	return copy_to_user(t, ARG(1), &v, sizeof(v)) ? -EFAULT : 0;
}

static long do_signalfd(struct task *t, int fd, uint64_t umask, uint64_t size, int flags)
{
	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	if (size != sizeof(ksigset_t))
		return -EINVAL;
	ksigset_t mask;
	if (copy_from_user(t, &mask, umask, sizeof(mask)))
		return -EFAULT;
	struct file *existing = NULL;
	if (fd != -1) {
		existing = fd_get(t, fd);
		if (!existing)
			return -EBADF;
	}
	struct file *f;
	int e = signalfd_file(t->k->vfs, existing, mask, flags, &f);
	if (existing) {
		file_put(existing);
		if (e)
			return e;
		file_put(f);
		return fd;
	}
	if (e)
		return e;
	return install_one(t, f, (flags & SFD_CLOEXEC) != 0);
}

SYSCALL(signalfd4)
{
	return do_signalfd(t, (int)ARG(0), ARG(1), ARG(2), (int)ARG(3));
}

SYSCALL(signalfd)
{
	return do_signalfd(t, (int)ARG(0), ARG(1), ARG(2), 0);
}

SYSCALL(memfd_create)
{
	char name[250];
	long n = strncpy_from_user(t, name, ARG(0), sizeof(name));
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	if (n < 0)
		return n;
	unsigned flags = (unsigned)ARG(1);
	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x8u /* MFD_NOEXEC_SEAL */ | 0x10u /* MFD_EXEC */))
		return -EINVAL;
	struct file *f;
	int e = tmpfs_memfd(t->k->vfs, name, flags, &f);
	if (e)
		return e;
	return install_one(t, f, (flags & MFD_CLOEXEC) != 0);
}
