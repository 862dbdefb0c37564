/* Namespace syscalls: cwd, mkdir, unlink, rename, links, mknod, umask. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "syscalls.h"

SYSCALL(getcwd)
{
	uint64_t ubuf = ARG(0);
	size_t size = (size_t)ARG(1);
	char buf[PATH_MAX + 16];
	struct path *cwd = &t->fs->cwd;
	int n;
	if (cwd->dentry->flags & D_DELETED)
		return -ENOENT; /* as Linux for a removed cwd */
	n = vfs_path_text(&t->fs->root, cwd, buf, sizeof(buf));
	if (n < 0)
		return n;
	if ((size_t)n + 1 > size)
		return -ERANGE;
	if (copy_to_user(t, ubuf, buf, (size_t)n + 1))
		return -EFAULT;
	return n + 1;
}

static long set_cwd(struct task *t, struct path *p)
{
	struct inode *i = p->dentry->inode;
	if (!S_ISDIR(i->mode))
		return -ENOTDIR;
	int e = vfs_permission(t, i, MAY_EXEC);
	if (e)
		return e;
	path_put(&t->fs->cwd);
	t->fs->cwd = *p;
	path_get(&t->fs->cwd);
	return 0;
}

SYSCALL(chdir)
{
	char name[PATH_MAX];
	long n = getname(t, ARG(0), name, sizeof(name), 0);
	if (n < 0)
		return n;
	struct nameidata nd;
	int e = namei(t, AT_FDCWD, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &nd);
	if (e)
		return e;
	e = (int)set_cwd(t, &nd.path);
	path_put(&nd.path);
	return e;
}

SYSCALL(fchdir)
{
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	long e = f->path.dentry ? set_cwd(t, &f->path) : -ENOTDIR;
	file_put(f);
	return e;
}

SYSCALL(chroot)
{
	char name[PATH_MAX];
	long n = getname(t, ARG(0), name, sizeof(name), 0);
	if (n < 0)
		return n;
	if (!capable(t, 18 /* CAP_SYS_CHROOT */))
		return -EPERM;
	struct nameidata nd;
	int e = namei(t, AT_FDCWD, name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &nd);
	if (e)
		return e;
	e = vfs_permission(t, nd.path.dentry->inode, MAY_EXEC);
	if (!e) {
		path_put(&t->fs->root);
		t->fs->root = nd.path;
		path_get(&t->fs->root);
	}
	path_put(&nd.path);
	return e;
}

#define NAME_ARG(var, idx)                                                   \
	char var[PATH_MAX];                                                  \
	do {                                                                 \
		long _n = getname(t, ARG(idx), var, sizeof(var), 0);         \
		if (_n < 0)                                                  \
			return _n;                                           \
	} while (0)

SYSCALL(mkdir)
{
	NAME_ARG(name, 0);
	return vfs_mkdir(t, AT_FDCWD, name, (mode_t)ARG(1));
}

SYSCALL(mkdirat)
{
	NAME_ARG(name, 1);
	return vfs_mkdir(t, (int)ARG(0), name, (mode_t)ARG(2));
}

SYSCALL(rmdir)
{
	NAME_ARG(name, 0);
	return vfs_rmdir(t, AT_FDCWD, name);
}

SYSCALL(unlink)
{
	NAME_ARG(name, 0);
	return vfs_unlink(t, AT_FDCWD, name);
}

SYSCALL(unlinkat)
{
	int flags = (int)ARG(2);
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	NAME_ARG(name, 1);
	if (flags & AT_REMOVEDIR)
		return vfs_rmdir(t, (int)ARG(0), name);
	return vfs_unlink(t, (int)ARG(0), name);
}

SYSCALL(rename)
{
	NAME_ARG(o, 0);
	NAME_ARG(n, 1);
	return vfs_rename(t, AT_FDCWD, o, AT_FDCWD, n, 0);
}

SYSCALL(renameat)
{
	NAME_ARG(o, 1);
	NAME_ARG(n, 3);
	return vfs_rename(t, (int)ARG(0), o, (int)ARG(2), n, 0);
}

SYSCALL(renameat2)
{
	NAME_ARG(o, 1);
	NAME_ARG(n, 3);
	unsigned flags = (unsigned)ARG(4);
	if (flags & RENAME_WHITEOUT)
		return -EINVAL;
	return vfs_rename(t, (int)ARG(0), o, (int)ARG(2), n, flags);
}

SYSCALL(link)
{
	NAME_ARG(o, 0);
	NAME_ARG(n, 1);
	return vfs_link(t, AT_FDCWD, o, AT_FDCWD, n, 0);
}

SYSCALL(linkat)
{
	int flags = (int)ARG(4);
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	char o[PATH_MAX];
	long l = getname(t, ARG(1), o, sizeof(o), (flags & AT_EMPTY_PATH) != 0);
	if (l < 0)
		return l;
	NAME_ARG(n, 3);
	return vfs_link(t, (int)ARG(0), o, (int)ARG(2), n, flags);
}

SYSCALL(symlink)
{
	char target[PATH_MAX];
	long l = getname(t, ARG(0), target, sizeof(target), 1);
	if (l < 0)
		return l;
	NAME_ARG(n, 1);
	return vfs_symlink(t, target, AT_FDCWD, n);
}

SYSCALL(symlinkat)
{
	char target[PATH_MAX];
	long l = getname(t, ARG(0), target, sizeof(target), 1);
	if (l < 0)
		return l;
	NAME_ARG(n, 2);
	return vfs_symlink(t, target, (int)ARG(1), n);
}

SYSCALL(mknod)
{
	NAME_ARG(n, 0);
	return vfs_mknod(t, AT_FDCWD, n, (mode_t)ARG(1), (dev_t)ARG(2));
}

SYSCALL(mknodat)
{
	NAME_ARG(n, 1);
	return vfs_mknod(t, (int)ARG(0), n, (mode_t)ARG(2), (dev_t)ARG(3));
}

SYSCALL(umask)
{
	mode_t old = t->fs->umask;
	t->fs->umask = (mode_t)ARG(0) & 0777;
	return old;
}

SYSCALL(mount)
{
	/* The sandbox's mount table is fixed when it starts. */
	return capable(t, KCAP_SYS_ADMIN) ? -EPERM : -EPERM;
}

SYSCALL(umount2)
{
	(void)t;
	return -EPERM;
}

SYSCALL(pivot_root)
{
	(void)t;
	return -EPERM;
}
