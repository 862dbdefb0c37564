/* inotify: inotify_init(1), inotify_add_watch, inotify_rm_watch. The
 * watches and events are in vfs/inotify.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "syscalls.h"

static long init_common(struct task *t, int flags)
{
	if (flags & ~(IN_NONBLOCK | IN_CLOEXEC))
		return -EINVAL;
	struct file *f;
	int e = inotify_create(t->k->vfs, flags, &f);
	if (e)
		return e;
	int fd = fd_install(t, f, (flags & IN_CLOEXEC) != 0, 0);
	file_put(f);
	return fd;
}

SYSCALL(inotify_init)
{
	return init_common(t, 0);
}

SYSCALL(inotify_init1)
{
	return init_common(t, (int)ARG(0));
}

/* The inotify instance behind fd: EBADF, or EINVAL for another file. */
static struct file *inotify_fd(struct task *t, int fd, long *err)
{
	struct file *f = fget_or(t, fd, err);
	if (f && !is_inotify_file(f)) {
		file_put(f);
		*err = -EINVAL;
		return NULL;
	}
	return f;
}

SYSCALL(inotify_add_watch)
{
	uint32_t mask = (uint32_t)ARG(2);
	long err;
	struct file *f = inotify_fd(t, (int)ARG(0), &err);
	if (!f)
		return err;
	char path[PATH_MAX];
	long r = getname(t, ARG(1), path, sizeof(path), 0);
	if (r < 0)
		goto out;
	if (!(mask & IN_ALL_EVENTS) || ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))) {
		r = -EINVAL;
		goto out;
	}
	struct nameidata nd;
	unsigned lf = (mask & IN_DONT_FOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (mask & IN_ONLYDIR)
		lf |= LOOKUP_DIRECTORY;
	r = namei(t, AT_FDCWD, path, lf, &nd);
	if (r)
		goto out;
	struct inode *i = nd.path.dentry->inode;
	r = vfs_permission(t, i, MAY_READ);
	if (!r)
		r = inotify_watch(f, i, mask);
	path_put(&nd.path);
out:
	file_put(f);
	return r;
}

SYSCALL(inotify_rm_watch)
{
	long err;
	struct file *f = inotify_fd(t, (int)ARG(0), &err);
	if (!f)
		return err;
	long r = inotify_unwatch(f, (int)ARG(1));
	file_put(f);
	return r;
}
