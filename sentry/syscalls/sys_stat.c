/* stat, access, readlink, statfs, chmod/chown, utimes, xattrs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "syscalls.h"

/* Resolve (dirfd, path, flags) to a referenced inode (and path if any). */
static long resolve(struct task *t, int dirfd, uint64_t upath, int atflags, int allow_null,
		    struct inode **ino, struct path *p)
{
	char name[PATH_MAX];
	long n = 0;
	p->mnt = NULL;
	p->dentry = NULL;
	if (upath || !allow_null) {
		n = getname(t, upath, name, sizeof(name), (atflags & AT_EMPTY_PATH) != 0);
		if (n < 0)
			return n;
	}
	if (n == 0) {
		/* The fd itself (AT_EMPTY_PATH, or a NULL path for utimensat). */
		if (dirfd == AT_FDCWD) {
			*p = t->fs->cwd;
			path_get(p);
			*ino = inode_get(p->dentry->inode);
			return 0;
		}
		struct file *f = fd_get(t, dirfd);
		if (!f)
			return -EBADF;
		if (!f->inode) {
			file_put(f);
			return -EBADF;
		}
		*ino = inode_get(f->inode);
		if (f->path.dentry) {
			*p = f->path;
			path_get(p);
		}
		file_put(f);
		return 0;
	}
	struct nameidata nd;
	unsigned lf = (atflags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	int e = namei(t, dirfd, name, lf, &nd);
	if (e)
		return e;
	*p = nd.path;
	*ino = inode_get(p->dentry->inode);
	return 0;
}

static void drop(struct inode *i, struct path *p)
{
	inode_put(i);
	path_put(p);
}

/* Owners as t's user namespace names them. */
static void fill_stat(struct task *t, struct inode *i, struct stat *st)
{
	vfs_fill_stat(i, st);
	st->st_uid = uid_to_user(t, st->st_uid);
	st->st_gid = gid_to_user(t, st->st_gid);
}

static long put_stat(struct task *t, struct inode *i, uint64_t ubuf)
{
	struct stat st;
	fill_stat(t, i, &st);
	return copy_to_user(t, ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

static long do_fstatat(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	struct inode *i;
	struct path p;
	long e = resolve(t, dirfd, upath, flags, 0, &i, &p);
	if (e)
		return e;
	e = put_stat(t, i, ubuf);
	drop(i, &p);
	return e;
}

SYSCALL(stat)
{
	return do_fstatat(t, AT_FDCWD, ARG(0), ARG(1), 0);
}

SYSCALL(lstat)
{
	return do_fstatat(t, AT_FDCWD, ARG(0), ARG(1), AT_SYMLINK_NOFOLLOW);
}

SYSCALL(newfstatat)
{
	return do_fstatat(t, (int)ARG(0), ARG(1), ARG(2), (int)ARG(3));
}

SYSCALL(fstat)
{
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	long e = f->inode ? put_stat(t, f->inode, ARG(1)) : -EBADF;
	file_put(f);
	return e;
}

SYSCALL(statx)
{
	int dirfd = (int)ARG(0), flags = (int)ARG(2);
	unsigned mask = (unsigned)ARG(3);
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & 0x80000000U) /* STATX__RESERVED */
		return -EINVAL;
	struct inode *i;
	struct path p;
	long e = resolve(t, dirfd, ARG(1), flags, 0, &i, &p);
	if (e)
		return e;
	struct stat st;
	fill_stat(t, i, &st);
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	sx.stx_atime.tv_sec = st.st_atim.tv_sec;
	sx.stx_atime.tv_nsec = (uint32_t)st.st_atim.tv_nsec;
	sx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.stx_mtime.tv_nsec = (uint32_t)st.st_mtim.tv_nsec;
	sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
	sx.stx_rdev_major = major(st.st_rdev);
	sx.stx_rdev_minor = minor(st.st_rdev);
	sx.stx_dev_major = major(st.st_dev);
	sx.stx_dev_minor = minor(st.st_dev);
	if (p.mnt)
		sx.stx_mnt_id = (uint64_t)(uintptr_t)p.mnt & 0xffff;
	e = copy_to_user(t, ARG(4), &sx, sizeof(sx)) ? -EFAULT : 0;
	drop(i, &p);
	return e;
}

static long do_access(struct task *t, int dirfd, uint64_t upath, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
		return -EINVAL;
	struct inode *i;
	struct path p;
	long e = resolve(t, dirfd, upath, flags, 0, &i, &p);
	if (e)
		return e;
	/* Checks use the real ids unless AT_EACCESS. */
	struct cred saved = t->cred;
	if (!(flags & AT_EACCESS)) {
		t->cred.fsuid = t->cred.uid;
		t->cred.fsgid = t->cred.gid;
		if (t->cred.uid != 0)
			t->cred.cap_effective = 0;
	}
	int mask = ((mode & R_OK) ? MAY_READ : 0) | ((mode & W_OK) ? MAY_WRITE : 0) |
		   ((mode & X_OK) ? MAY_EXEC : 0);
	e = vfs_permission(t, i, mask);
	t->cred = saved;
	if (!e && (mode & W_OK) && p.mnt && ((p.mnt->flags & MS_RDONLY) || (i->sb->flags & SB_RDONLY)) &&
	    (S_ISREG(i->mode) || S_ISDIR(i->mode) || S_ISLNK(i->mode)))
		e = -EROFS;
	drop(i, &p);
	return e;
}

SYSCALL(access)
{
	return do_access(t, AT_FDCWD, ARG(0), (int)ARG(1), 0);
}

SYSCALL(faccessat)
{
	return do_access(t, (int)ARG(0), ARG(1), (int)ARG(2), 0);
}

SYSCALL(faccessat2)
{
	return do_access(t, (int)ARG(0), ARG(1), (int)ARG(2), (int)ARG(3));
}

static long do_readlinkat(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, int bufsiz)
{
	if (bufsiz <= 0)
		return -EINVAL;
	struct inode *i;
	struct path p;
	long e = resolve(t, dirfd, upath, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, 0, &i, &p);
	if (e)
		return e;
	if (!S_ISLNK(i->mode) || !i->iops->readlink) {
		drop(i, &p);
		return -EINVAL;
	}
	char buf[PATH_MAX];
	ssize_t n = i->iops->readlink(i, buf, sizeof(buf));
	drop(i, &p);
	if (n < 0)
		return n;
	if (n > bufsiz)
		n = bufsiz;
	if (copy_to_user(t, ubuf, buf, (size_t)n))
		return -EFAULT;
	return n;
}

SYSCALL(readlink)
{
	return do_readlinkat(t, AT_FDCWD, ARG(0), ARG(1), (int)ARG(2));
}

SYSCALL(readlinkat)
{
	return do_readlinkat(t, (int)ARG(0), ARG(1), ARG(2), (int)ARG(3));
}

static long put_statfs(struct task *t, struct inode *i, struct mount *m, uint64_t ubuf)
{
	struct statfs st;
	memset(&st, 0, sizeof(st));
	int e = 0;
	if (i->iops->statfs) {
		e = i->iops->statfs(i, &st);
	} else {
		st.f_type = i->sb && i->sb->type ? (__fsword_t)i->sb->type->magic : 0;
		st.f_bsize = 4096;
		st.f_namelen = 255;
		st.f_frsize = 4096;
	}
	if (e)
		return e;
	if (i->sb)
		memcpy(&st.f_fsid, &i->sb->dev, sizeof(st.f_fsid));
	st.f_flags = 0x20 /* ST_VALID */;
	if (m && (m->flags & MS_RDONLY))
		st.f_flags |= ST_RDONLY;
	return copy_to_user(t, ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

SYSCALL(statfs)
{
	struct inode *i;
	struct path p;
	long e = resolve(t, AT_FDCWD, ARG(0), 0, 0, &i, &p);
	if (e)
		return e;
	e = put_statfs(t, i, p.mnt, ARG(1));
	drop(i, &p);
	return e;
}

SYSCALL(fstatfs)
{
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	long e = f->inode ? put_statfs(t, f->inode, f->path.mnt, ARG(1)) : -EBADF;
	file_put(f);
	return e;
}

/* ---- attribute changes ---- */

static int ro_path(struct path *p, struct inode *i)
{
	return (p->mnt && (p->mnt->flags & MS_RDONLY)) || (i->sb && (i->sb->flags & SB_RDONLY));
}

static int owner_or_cap(struct task *t, struct inode *i)
{
	return t->cred.fsuid == i->uid || capable_ids(t, i->uid, i->gid, KCAP_FOWNER);
}

/* vfs_setattr, then IN_ATTRIB for inotify watchers of the file and its
 * directory (p: how the file was reached). */
static long setattr_notify(struct task *t, struct inode *i, struct path *p, struct iattr *ia)
{
	long e = vfs_setattr(t, i, ia);
	if (!e && inotify_instances) {
		if (p && p->dentry && p->dentry->inode == i)
			fsnotify_child(p->dentry, IN_ATTRIB);
		else
			fsnotify_inode(i, IN_ATTRIB);
	}
	return e;
}

static long chmod_inode(struct task *t, struct inode *i, struct path *p, mode_t mode)
{
	if (ro_path(p, i))
		return -EROFS;
	if (!owner_or_cap(t, i))
		return -EPERM;
	if (S_ISLNK(i->mode))
		return -EOPNOTSUPP;
	mode &= 07777;
	int ingroup = t->cred.fsgid == i->gid;
	for (int g = 0; !ingroup && g < t->cred.ngroups; g++)
		ingroup = t->cred.groups[g] == i->gid;
	if (!ingroup && !capable_ids(t, i->uid, i->gid, KCAP_FSETID))
		mode &= ~(mode_t)S_ISGID;
	struct iattr ia = { .valid = ATTR_MODE, .mode = mode };
	return setattr_notify(t, i, p, &ia);
}

static long do_fchmodat(struct task *t, int dirfd, uint64_t upath, mode_t mode, int flags)
{
	struct inode *i;
	struct path p;
	long e = resolve(t, dirfd, upath, flags, 0, &i, &p);
	if (e)
		return e;
	e = chmod_inode(t, i, &p, mode);
	drop(i, &p);
	return e;
}

SYSCALL(chmod)
{
	return do_fchmodat(t, AT_FDCWD, ARG(0), (mode_t)ARG(1), 0);
}

SYSCALL(fchmodat)
{
	return do_fchmodat(t, (int)ARG(0), ARG(1), (mode_t)ARG(2), 0);
}

SYSCALL(fchmodat2)
{
	int flags = (int)ARG(3);
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return do_fchmodat(t, (int)ARG(0), ARG(1), (mode_t)ARG(2), flags);
}

SYSCALL(fchmod)
{
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	long e;
	if (!f->inode || (f->flags & O_PATH))
		e = -EBADF;
	else
		e = chmod_inode(t, f->inode, &f->path, (mode_t)ARG(1));
	file_put(f);
	return e;
}

static long chown_inode(struct task *t, struct inode *i, struct path *p, uid_t uid, gid_t gid)
{
	if (ro_path(p, i))
		return -EROFS;
	struct iattr ia = { 0 };
	/* The ids are named in t's user namespace; unmapped ones are EINVAL. */
	if (uid != (uid_t)-1 && (uid = uid_from_user(t, uid)) == (uid_t)-1)
		return -EINVAL;
	if (gid != (gid_t)-1 && (gid = gid_from_user(t, gid)) == (gid_t)-1)
		return -EINVAL;
	int priv = capable_ids(t, i->uid, i->gid, KCAP_CHOWN);
	if (uid != (uid_t)-1) {
		if (uid != i->uid && !priv)
			return -EPERM;
		ia.valid |= ATTR_UID;
		ia.uid = uid;
	}
	if (gid != (gid_t)-1) {
		int mine = t->cred.fsuid == i->uid;
		int ingroup = t->cred.fsgid == gid;
		for (int g = 0; !ingroup && g < t->cred.ngroups; g++)
			ingroup = t->cred.groups[g] == gid;
		if (gid != i->gid && !priv && !(mine && ingroup))
			return -EPERM;
		ia.valid |= ATTR_GID;
		ia.gid = gid;
	}
	if (!ia.valid)
		return 0;
	if (!S_ISDIR(i->mode) && (i->mode & (S_ISUID | S_ISGID))) {
		ia.valid |= ATTR_MODE;
		ia.mode = i->mode & 07777 & ~(mode_t)S_ISUID;
		if (i->mode & S_IXGRP)
			ia.mode &= ~(mode_t)S_ISGID;
	}
	return setattr_notify(t, i, p, &ia);
}

static long do_fchownat(struct task *t, int dirfd, uint64_t upath, uid_t uid, gid_t gid, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct inode *i;
	struct path p;
	long e = resolve(t, dirfd, upath, flags, 0, &i, &p);
	if (e)
		return e;
	e = chown_inode(t, i, &p, uid, gid);
	drop(i, &p);
	return e;
}

SYSCALL(chown)
{
	return do_fchownat(t, AT_FDCWD, ARG(0), (uid_t)ARG(1), (gid_t)ARG(2), 0);
}

SYSCALL(lchown)
{
	return do_fchownat(t, AT_FDCWD, ARG(0), (uid_t)ARG(1), (gid_t)ARG(2), AT_SYMLINK_NOFOLLOW);
}

SYSCALL(fchownat)
{
	return do_fchownat(t, (int)ARG(0), ARG(1), (uid_t)ARG(2), (gid_t)ARG(3), (int)ARG(4));
}

SYSCALL(fchown)
{
	struct file *f = fd_get(t, (int)ARG(0));
	if (!f)
		return -EBADF;
	long e;
	if (!f->inode || (f->flags & O_PATH))
		e = -EBADF;
	else
		e = chown_inode(t, f->inode, &f->path, (uid_t)ARG(1), (gid_t)ARG(2));
	file_put(f);
	return e;
}

static long set_times(struct task *t, struct inode *i, struct path *p, struct timespec ts[2], int have)
{
	if (ro_path(p, i))
		return -EROFS;
	struct timespec now;
	vfs_now(&now);
	struct iattr ia = { 0 };
	int explicit_times = 0;
	for (int k = 0; k < 2; k++) {
		struct timespec v = have ? ts[k] : (struct timespec){ 0, UTIME_NOW };
		if (v.tv_nsec == UTIME_OMIT)
			continue;
		if (v.tv_nsec == UTIME_NOW)
			v = now;
		else if (v.tv_nsec < 0 || v.tv_nsec >= 1000000000L)
			return -EINVAL;
		else
			explicit_times = 1;
		if (k == 0) {
			ia.valid |= ATTR_ATIME;
			ia.atime = v;
		} else {
			ia.valid |= ATTR_MTIME;
			ia.mtime = v;
		}
	}
	if (!ia.valid)
		return 0;
	if (!owner_or_cap(t, i)) {
		if (explicit_times)
			return -EPERM;
		if (vfs_permission(t, i, MAY_WRITE))
			return -EACCES;
	}
	return setattr_notify(t, i, p, &ia);
}

SYSCALL(utimensat)
{
	int dirfd = (int)ARG(0), flags = (int)ARG(3);
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct timespec ts[2];
	int have = ARG(2) != 0;
	if (have && copy_from_user(t, ts, ARG(2), sizeof(ts)))
		return -EFAULT;
	for (int k = 0; have && k < 2; k++)
		if (ts[k].tv_nsec != UTIME_NOW && ts[k].tv_nsec != UTIME_OMIT &&
		    (ts[k].tv_nsec < 0 || ts[k].tv_nsec >= 1000000000L))
			return -EINVAL;
	struct inode *i;
	struct path p;
	if (!ARG(1) && (flags & AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	long e = resolve(t, dirfd, ARG(1), flags, 1, &i, &p);
	if (e)
		return e;
	e = set_times(t, i, &p, ts, have);
	drop(i, &p);
	return e;
}

static long utimes_common(struct task *t, int dirfd, uint64_t upath, uint64_t utv)
{
	struct timespec ts[2];
	int have = utv != 0;
	if (have) {
		struct timeval tv[2];
		if (copy_from_user(t, tv, utv, sizeof(tv)))
			return -EFAULT;
		for (int k = 0; k < 2; k++) {
			if (tv[k].tv_usec < 0 || tv[k].tv_usec >= 1000000)
				return -EINVAL;
			ts[k].tv_sec = tv[k].tv_sec;
			ts[k].tv_nsec = tv[k].tv_usec * 1000;
		}
	}
	struct inode *i;
	struct path p;
	long e = resolve(t, dirfd, upath, 0, 0, &i, &p);
	if (e)
		return e;
	e = set_times(t, i, &p, ts, have);
	drop(i, &p);
	return e;
}

SYSCALL(utimes)
{
	return utimes_common(t, AT_FDCWD, ARG(0), ARG(1));
}

SYSCALL(futimesat)
{
	return utimes_common(t, (int)ARG(0), ARG(1), ARG(2));
}

SYSCALL(utime)
{
	struct timespec ts[2];
	int have = ARG(1) != 0;
	if (have) {
		struct {
			int64_t actime, modtime;
		} ub;
		if (copy_from_user(t, &ub, ARG(1), sizeof(ub)))
			return -EFAULT;
		ts[0].tv_sec = ub.actime;
		ts[0].tv_nsec = 0;
		ts[1].tv_sec = ub.modtime;
		ts[1].tv_nsec = 0;
	}
	struct inode *i;
	struct path p;
	long e = resolve(t, AT_FDCWD, ARG(0), 0, 0, &i, &p);
	if (e)
		return e;
	e = set_times(t, i, &p, ts, have);
	drop(i, &p);
	return e;
}

/* ---- extended attributes (sentry/vfs/xattr.c) ---- */

/* One xattr call on the file named by (path, nofollow) or by fd (path 0,
 * fd >= 0), in Linux's order: the fd, the name, the value, the path. */
static long do_xattr(struct task *t, uint64_t upath, int nofollow, int fd, int op, uint64_t uname,
		     uint64_t uvalue, size_t size, int flags)
{
	struct inode *i = NULL;
	struct path p = { NULL, NULL };
	long e;
	if (fd >= 0) {
		struct file *f = fd_get(t, fd);
		if (!f)
			return -EBADF;
		if (!f->inode || (f->flags & O_PATH)) {
			file_put(f);
			return -EBADF;
		}
		i = inode_get(f->inode);
		if (f->path.dentry) {
			p = f->path;
			path_get(&p);
		}
		file_put(f);
	}
	char name[257] = "";
	static char val[XATTR_VALUE_MAX];
	if (op != XOP_LIST) {
		e = getname(t, uname, name, sizeof(name), 1);
		if (e == -ENAMETOOLONG)
			e = -ERANGE;
		if (e < 0)
			goto out;
	}
	if (op == XOP_SET) {
		e = size > XATTR_VALUE_MAX ? -E2BIG : size && copy_from_user(t, val, uvalue, size) ? -EFAULT : 0;
		if (e)
			goto out;
	}
	if (!i && (e = resolve(t, AT_FDCWD, upath, nofollow ? AT_SYMLINK_NOFOLLOW : 0, 0, &i, &p)))
		return e;
	if (op == XOP_SET) {
		e = vfs_xattr(t, i, &p, op, name, val, size, flags);
	} else {
		e = vfs_xattr(t, i, &p, op, name, val, sizeof(val), flags);
		if (e >= 0 && (op == XOP_GET || op == XOP_LIST) && size) {
			if ((size_t)e > size)
				e = -ERANGE;
			else if (e && copy_to_user(t, uvalue, val, (size_t)e))
				e = -EFAULT;
		}
	}
	if (e >= 0 && (op == XOP_SET || op == XOP_REMOVE)) {
		if (p.dentry)
			fsnotify_child(p.dentry, IN_ATTRIB);
		else
			fsnotify_inode(i, IN_ATTRIB);
	}
out:
	if (i)
		inode_put(i);
	if (p.dentry)
		path_put(&p);
	return e;
}

SYSCALL(getxattr)
{
	return do_xattr(t, ARG(0), 0, -1, XOP_GET, ARG(1), ARG(2), (size_t)ARG(3), 0);
}

SYSCALL(lgetxattr)
{
	return do_xattr(t, ARG(0), 1, -1, XOP_GET, ARG(1), ARG(2), (size_t)ARG(3), 0);
}

SYSCALL(fgetxattr)
{
	return do_xattr(t, 0, 0, (int)ARG(0), XOP_GET, ARG(1), ARG(2), (size_t)ARG(3), 0);
}

SYSCALL(listxattr)
{
	return do_xattr(t, ARG(0), 0, -1, XOP_LIST, 0, ARG(1), (size_t)ARG(2), 0);
}

SYSCALL(llistxattr)
{
	return do_xattr(t, ARG(0), 1, -1, XOP_LIST, 0, ARG(1), (size_t)ARG(2), 0);
}

SYSCALL(flistxattr)
{
	return do_xattr(t, 0, 0, (int)ARG(0), XOP_LIST, 0, ARG(1), (size_t)ARG(2), 0);
}

SYSCALL(setxattr)
{
	return do_xattr(t, ARG(0), 0, -1, XOP_SET, ARG(1), ARG(2), (size_t)ARG(3), (int)ARG(4));
}

SYSCALL(lsetxattr)
{
	return do_xattr(t, ARG(0), 1, -1, XOP_SET, ARG(1), ARG(2), (size_t)ARG(3), (int)ARG(4));
}

SYSCALL(fsetxattr)
{
	return do_xattr(t, 0, 0, (int)ARG(0), XOP_SET, ARG(1), ARG(2), (size_t)ARG(3), (int)ARG(4));
}

SYSCALL(removexattr)
{
	return do_xattr(t, ARG(0), 0, -1, XOP_REMOVE, ARG(1), 0, 0, 0);
}

SYSCALL(lremovexattr)
{
	return do_xattr(t, ARG(0), 1, -1, XOP_REMOVE, ARG(1), 0, 0, 0);
}

SYSCALL(fremovexattr)
{
	return do_xattr(t, 0, 0, (int)ARG(0), XOP_REMOVE, ARG(1), 0, 0, 0);
}
