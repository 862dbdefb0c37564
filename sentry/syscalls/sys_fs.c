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

/* mount(2)'s data: a page at most, as far as it is readable (Linux's
 * copy_mount_options); EFAULT only when not even its first page is. */
static long mount_data(struct task *t, uint64_t src, char *page)
{
	size_t first = 4096 - (size_t)(src & 4095);
	if (copy_from_user(t, page, src, first))
		return -EFAULT;
	if (first < 4096 && copy_from_user(t, page + first, src + first, 4096 - first))
		memset(page + first, 0, 4096 - first);
	page[4095] = 0;
	return 0;
}

/* mount(2) and umount2(2) need CAP_SYS_ADMIN over the caller's mount
 * namespace: root in the sandbox may mount, as root in a container of
 * its own could; after unshare(CLONE_NEWUSER | CLONE_NEWNS) anyone may,
 * in the new namespace. */
static int may_mount(struct task *t)
{
	return ns_capable(t, task_mntns(t)->c.owner, KCAP_SYS_ADMIN);
}

SYSCALL(mount)
{
	char source[PATH_MAX], type[PATH_MAX];
	char data[4096];
	long e;
	/* Linux copies the type, the source and the data, then looks up
	 * the target. */
	if (ARG(2) && (e = strncpy_from_user(t, type, ARG(2), sizeof(type))) < 0)
		return e == -ENAMETOOLONG ? -EINVAL : e; /* (Linux's strndup_user) */
	if (ARG(0) && (e = strncpy_from_user(t, source, ARG(0), sizeof(source))) < 0)
		return e == -ENAMETOOLONG ? -EINVAL : e;
	if (ARG(4) && (e = mount_data(t, ARG(4), data)) < 0)
		return e;
	NAME_ARG(dir, 1);
	return vfs_do_mount(t, task_mnt_tree(t), may_mount(t), ARG(0) ? source : NULL, dir,
			    ARG(2) ? type : NULL, (unsigned long)ARG(3), ARG(4) ? data : NULL);
}

SYSCALL(umount2)
{
	NAME_ARG(dir, 0);
	return vfs_do_umount(t, task_mnt_tree(t), may_mount(t), dir, (int)ARG(1));
}

/* pivot_root(2); then every task whose root or cwd was the old root
 * moves to the new one, as Linux does. */
SYSCALL(pivot_root)
{
	if (!may_mount(t))
		return -EPERM; /* (before the names are read) */
	NAME_ARG(new_root, 0);
	NAME_ARG(put_old, 1);
	struct path old, nr;
	long e = vfs_do_pivot_root(t, task_mnt_tree(t), 1, new_root, put_old, &old, &nr);
	if (e)
		return e;
	struct list *gl, *tl;
	list_for_each(gl, &t->k->thread_groups)
	{
		struct thread_group *tg = list_entry(gl, struct thread_group, all_link);
		list_for_each(tl, &tg->threads)
		{
			struct fs_ctx *fs = list_entry(tl, struct task, tg_link)->fs;
			struct path *p[] = { fs ? &fs->root : NULL, fs ? &fs->cwd : NULL };
			for (int i = 0; i < 2; i++) {
				if (p[i] && p[i]->mnt == old.mnt && p[i]->dentry == old.dentry) {
					path_put(p[i]);
					*p[i] = nr;
					path_get(p[i]);
				}
			}
		}
	}
	path_put(&old);
	path_put(&nr);
	return 0;
}
