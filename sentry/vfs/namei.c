/*
 * Path resolution and the operations on names (open, mkdir, unlink,
 * rename, ...). Symlinks are resolved here, by the sentry, one component
 * at a time: a filesystem backend only ever sees single names.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>

#include "vfs.h"
#include "../kernel/kernel.h"

#define MAX_SYMLINKS 40

static int path_eq(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

int vfs_permission(struct task *t, struct inode *i, int mask)
{
	if (!mask)
		return 0;
	mode_t m = i->mode;
	if (capable_ids(t, i->uid, i->gid, KCAP_DAC_OVERRIDE)) {
		/* Root may do anything but execute a file nobody may. */
		if ((mask & MAY_EXEC) && !S_ISDIR(m) && !(m & 0111))
			return -EACCES;
		return 0;
	}
	int bits;
	if (t->cred.fsuid == i->uid) {
		bits = (m >> 6) & 7;
	} else {
		int ingroup = t->cred.fsgid == i->gid;
		for (int g = 0; !ingroup && g < t->cred.ngroups; g++)
			ingroup = t->cred.groups[g] == i->gid;
		bits = ingroup ? (m >> 3) & 7 : m & 7;
	}
	if ((bits & mask) == mask)
		return 0;
	if (capable_ids(t, i->uid, i->gid, KCAP_DAC_READ_SEARCH) &&
	    (!(mask & MAY_WRITE)) && (S_ISDIR(m) || !(mask & MAY_EXEC)))
		return 0;
	return -EACCES;
}

static int refresh(struct inode *i)
{
	if (i && i->iops && i->iops->getattr)
		return i->iops->getattr(i);
	return 0;
}

int vfs_lookup_one(struct task *t, struct path *dir, const char *name, size_t len,
		   struct dentry **out)
{
	struct vfs *v = t->k->vfs;
	struct dentry *parent = dir->dentry;
	struct inode *di = parent->inode;
	if (!di || !S_ISDIR(di->mode))
		return -ENOTDIR;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	struct dentry *d = dcache_lookup(v, parent, name, len);
	if (d) {
		if (d->flags & D_LAZY) {
			int e = di->iops->lookup(di, d);
			d->flags &= ~D_LAZY;
			if (e < 0 && e != -ENOENT) {
				d->flags |= D_LAZY;
				return e;
			}
		}
		*out = dentry_get(d);
		return 0;
	}
	d = dentry_alloc(parent, name, len);
	if (!d)
		return -ENOMEM;
	if (!(di->flags & I_COMPLETE) && di->iops && di->iops->lookup) {
		int e = di->iops->lookup(di, d);
		if (e < 0 && e != -ENOENT) {
			dentry_put(d);
			return e;
		}
	}
	if (!(parent->sb->flags & SB_NOCACHE) && (d->inode || !(di->flags & I_COMPLETE)))
		dcache_add(v, d);
	*out = d;
	return 0;
}

/* Step to the parent directory, crossing mounts upward. */
static void follow_dotdot(struct task *t, struct path *cur)
{
	const struct path *root = &t->fs->root;
	for (;;) {
		if (path_eq(cur, root))
			return;
		if (cur->dentry != cur->mnt->root) {
			struct dentry *p = cur->dentry->parent;
			if (!p)
				return;
			dentry_get(p);
			dentry_put(cur->dentry);
			cur->dentry = p;
			return;
		}
		struct mount *m = cur->mnt;
		if (!m->parent)
			return;
		struct path up = { mount_get(m->parent), dentry_get(m->mountpoint) };
		path_put(cur);
		*cur = up;
	}
}

static void follow_mounts(struct vfs *v, struct path *p)
{
	struct mount *m;
	while ((m = mount_lookup(v, p->mnt, p->dentry)) != NULL) {
		struct path n = { mount_get(m), dentry_get(m->root) };
		path_put(p);
		*p = n;
	}
}

int namei_at(struct task *t, const struct path *start, const char *name, unsigned flags,
	     struct nameidata *nd)
{
	struct vfs *v = t->k->vfs;
	size_t nlen = strlen(name);
	if (nlen >= PATH_MAX)
		return -ENAMETOOLONG;
	memset(nd, 0, sizeof(*nd));
	if (!nlen && !(flags & LOOKUP_EMPTY))
		return -ENOENT;
	/* The rest of the path to walk; symlink targets are spliced in. */
	size_t cap = PATH_MAX * 2;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, name, nlen + 1);
	char *rest = buf;
	struct path cur;
	if (rest[0] == '/')
		cur = t->fs->root;
	else
		cur = *start;
	path_get(&cur);
	int links = 0, err = 0;
	nd->trailing_slash = nlen > 0 && name[nlen - 1] == '/';

	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		char *end = strchrnul(rest, '/');
		size_t clen = (size_t)(end - rest);
		char *after = end;
		while (*after == '/')
			after++;
		int last = *after == 0;
		struct inode *ci = cur.dentry->inode;
		if (!ci) {
			err = -ENOENT;
			goto out;
		}
		if (!S_ISDIR(ci->mode)) {
			err = -ENOTDIR;
			goto out;
		}
		if (clen > NAME_MAX) {
			err = -ENAMETOOLONG;
			goto out;
		}
		if (last && (flags & LOOKUP_PARENT)) {
			memcpy(nd->last, rest, clen);
			nd->last[clen] = 0;
			nd->last_len = (int)clen;
			nd->last_dot = (clen == 1 && rest[0] == '.') ||
				       (clen == 2 && rest[0] == '.' && rest[1] == '.');
			nd->trailing_slash = *end == '/';
			break;
		}
		err = vfs_permission(t, ci, MAY_EXEC);
		if (err)
			goto out;
		if (clen == 1 && rest[0] == '.') {
			rest = end;
			continue;
		}
		if (clen == 2 && rest[0] == '.' && rest[1] == '.') {
			follow_dotdot(t, &cur);
			rest = end;
			continue;
		}
		struct dentry *d;
		err = vfs_lookup_one(t, &cur, rest, clen, &d);
		if (err)
			goto out;
		if (!d->inode) {
			dentry_put(d);
			err = -ENOENT;
			goto out;
		}
		struct path next = { mount_get(cur.mnt), d };
		follow_mounts(v, &next);
		struct inode *ni = next.dentry->inode;
		int follow = !last || (flags & LOOKUP_FOLLOW) || *end == '/';
		if (S_ISLNK(ni->mode) && follow) {
			if (++links > MAX_SYMLINKS) {
				path_put(&next);
				err = -ELOOP;
				goto out;
			}
			if (ni->iops->get_link) {
				struct path target;
				err = ni->iops->get_link(ni, t, &target);
				if (err < 0) {
					path_put(&next);
					goto out;
				}
				if (err == 0) {
					path_put(&next);
					path_put(&cur);
					cur = target;
					rest = end;
					continue;
				}
				err = 0;
			}
			char tgt[PATH_MAX];
			ssize_t tl = ni->iops->readlink ? ni->iops->readlink(ni, tgt, sizeof(tgt) - 1) : -EINVAL;
			path_put(&next);
			if (tl < 0) {
				err = (int)tl;
				goto out;
			}
			if (tl == 0) {
				err = -ENOENT;
				goto out;
			}
			size_t rl = strlen(end);
			if ((size_t)tl + rl + 2 > cap) {
				err = -ENAMETOOLONG;
				goto out;
			}
			/* new rest = target + end (which starts with '/' or is empty) */
			memmove(buf + tl, end, rl + 1);
			memcpy(buf, tgt, (size_t)tl);
			rest = buf;
			if (tgt[0] == '/') {
				path_put(&cur);
				cur = t->fs->root;
				path_get(&cur);
			}
			continue;
		}
		path_put(&cur);
		cur = next;
		rest = end;
	}
	if (!(flags & LOOKUP_PARENT)) {
		struct inode *ci = cur.dentry->inode;
		if (!ci) {
			err = -ENOENT;
			goto out;
		}
		if (((flags & LOOKUP_DIRECTORY) || nd->trailing_slash) && !S_ISDIR(ci->mode) &&
		    !S_ISLNK(ci->mode)) {
			err = -ENOTDIR;
			goto out;
		}
	}
	nd->path = cur;
	free(buf);
	return 0;
out:
	path_put(&cur);
	free(buf);
	return err;
}

static int start_path(struct task *t, int dirfd, const char *name, struct path *out,
		      struct file **fref)
{
	*fref = NULL;
	if (name[0] == '/' || dirfd == AT_FDCWD) {
		*out = t->fs->cwd;
		return 0;
	}
	struct file *f = fd_get(t, dirfd);
	if (!f)
		return -EBADF;
	if (!f->path.dentry) {
		file_put(f);
		return -ENOTDIR;
	}
	if (name[0] && (!f->inode || !S_ISDIR(f->inode->mode))) {
		file_put(f);
		return -ENOTDIR;
	}
	*out = f->path;
	*fref = f;
	return 0;
}

int namei(struct task *t, int dirfd, const char *name, unsigned flags, struct nameidata *nd)
{
	struct path start;
	struct file *f;
	int e = start_path(t, dirfd, name, &start, &f);
	if (e)
		return e;
	e = namei_at(t, &start, name, flags, nd);
	if (f)
		file_put(f);
	return e;
}

int vfs_path_text(const struct path *root, const struct path *p, char *buf, size_t len)
{
	/* Build from the end backwards. */
	char *tmp = malloc(PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	size_t pos = PATH_MAX - 1;
	tmp[pos] = 0;
	struct mount *m = p->mnt;
	struct dentry *d = p->dentry;
	int unreachable = 0;
	for (;;) {
		if (m == root->mnt && d == root->dentry)
			break;
		if (d == m->root) {
			if (!m->parent) {
				unreachable = 1; /* not under our root */
				break;
			}
			d = m->mountpoint;
			m = m->parent;
			continue;
		}
		if (!d->parent)
			break;
		size_t l = strlen(d->name);
		if (l + 1 > pos) {
			free(tmp);
			return -ENAMETOOLONG;
		}
		pos -= l;
		memcpy(tmp + pos, d->name, l);
		tmp[--pos] = '/';
		d = d->parent;
	}
	(void)unreachable;
	if (tmp[pos] == 0)
		tmp[--pos] = '/';
	size_t n = PATH_MAX - 1 - pos;
	if (n + 1 > len) {
		free(tmp);
		return -ERANGE;
	}
	memcpy(buf, tmp + pos, n + 1);
	free(tmp);
	return (int)n;
}

/* ---- name operations ---- */

static int mnt_readonly(struct mount *m)
{
	return (m->flags & MS_RDONLY) || (m->sb->flags & SB_RDONLY);
}

static int may_create(struct task *t, struct path *dir)
{
	struct inode *di = dir->dentry->inode;
	if (!di || !S_ISDIR(di->mode))
		return -ENOTDIR;
	if (di->nlink == 0)
		return -ENOENT; /* removed directory */
	int e = vfs_permission(t, di, MAY_WRITE | MAY_EXEC);
	if (e)
		return e;
	if (mnt_readonly(dir->mnt))
		return -EROFS;
	return 0;
}

static int sticky_ok(struct task *t, struct inode *dir, struct inode *victim)
{
	if (!(dir->mode & S_ISVTX) || capable_ids(t, victim->uid, victim->gid, KCAP_FOWNER))
		return 1;
	return victim->uid == t->cred.fsuid || dir->uid == t->cred.fsuid;
}

struct parent_ref {
	struct nameidata nd;
	struct dentry *d; /* the final name, maybe negative */
};

static int lookup_parent(struct task *t, int dirfd, const char *name, struct parent_ref *pr)
{
	memset(pr, 0, sizeof(*pr));
	int e = namei(t, dirfd, name, LOOKUP_PARENT, &pr->nd);
	if (e)
		return e;
	if (pr->nd.last_len == 0) {
		/* "/" itself */
		pr->d = dentry_get(pr->nd.path.dentry);
		return 0;
	}
	if (pr->nd.last_dot) {
		pr->d = NULL;
		return 0;
	}
	e = vfs_permission(t, pr->nd.path.dentry->inode, MAY_EXEC);
	if (!e)
		e = vfs_lookup_one(t, &pr->nd.path, pr->nd.last, (size_t)pr->nd.last_len, &pr->d);
	if (e) {
		path_put(&pr->nd.path);
		return e;
	}
	return 0;
}

static void parent_put(struct parent_ref *pr)
{
	dentry_put(pr->d);
	path_put(&pr->nd.path);
}

static void set_owner(struct task *t, struct inode *dir, struct inode *i)
{
	i->uid = t->cred.fsuid;
	i->gid = (dir->mode & S_ISGID) ? dir->gid : t->cred.fsgid;
	if ((dir->mode & S_ISGID) && S_ISDIR(i->mode))
		i->mode |= S_ISGID;
}

static int do_create(struct task *t, struct parent_ref *pr, mode_t mode, dev_t dev)
{
	struct inode *di = pr->nd.path.dentry->inode;
	int e = may_create(t, &pr->nd.path);
	if (e)
		return e;
	if (!di->iops->create)
		return -EPERM;
	e = di->iops->create(di, pr->d, mode, dev);
	if (e)
		return e;
	set_owner(t, di, pr->d->inode);
	inode_touch(di, ATTR_MTIME | ATTR_CTIME);
	fsnotify_entry(di, pr->d->name, IN_CREATE, 0);
	return 0;
}

int vfs_open_path(struct task *t, struct path *p, int flags, struct file **out)
{
	struct inode *i = p->dentry->inode;
	/* O_NOCTTY stays visible to the open op (terminals), then goes. */
	struct file *f = file_alloc(NULL, (unsigned)flags & ~(O_CREAT | O_EXCL | O_TRUNC), NULL);
	if (!f)
		return -ENOMEM;
	f->path = *p;
	path_get(&f->path);
	f->inode = inode_get(i);
	int acc = flags & O_ACCMODE;
	if (flags & O_PATH) {
		f->fmode = 0;
		extern const struct file_ops path_file_ops;
		f->ops = &path_file_ops;
		*out = f;
		return 0;
	}
	if (acc == O_RDONLY || acc == O_RDWR)
		f->fmode |= FMODE_READ;
	if (acc == O_WRONLY || acc == O_RDWR)
		f->fmode |= FMODE_WRITE;
	if (S_ISREG(i->mode) || S_ISDIR(i->mode) || S_ISBLK(i->mode))
		f->fmode |= FMODE_PREAD;
	int e;
	extern int fifo_open(struct inode *i, struct file *f, struct task *t);
	if (S_ISCHR(i->mode) && !i->iops->open)
		e = chrdev_open(i, f, t);
	else if (S_ISFIFO(i->mode) && !i->iops->open && i->ipc)
		e = fifo_open(i, f, t);
	else if (i->iops->open)
		e = i->iops->open(i, f, t);
	else if (S_ISDIR(i->mode)) {
		f->ops = &dir_file_ops;
		e = 0;
	} else
		e = -ENXIO;
	if (e) {
		f->ops = NULL;
		file_put(f);
		return e;
	}
	f->flags &= ~(unsigned)O_NOCTTY;
	fsnotify_child(p->dentry, IN_OPEN);
	*out = f;
	return 0;
}

int vfs_truncate(struct task *t, struct inode *i, uint64_t size)
{
	(void)t;
	if (S_ISDIR(i->mode))
		return -EISDIR;
	if (!S_ISREG(i->mode))
		return -EINVAL;
	if (size > (uint64_t)t->tg->rlim[RLIMIT_FSIZE].rlim_cur) {
		siginfo_t si;
		siginfo_kernel(&si, SIGXFSZ, SI_KERNEL);
		send_signal_task(t, &si, 0, 0);
		return -EFBIG;
	}
	if (!i->iops->setattr)
		return -EPERM;
	struct iattr ia = { .valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = size };
	vfs_now(&ia.mtime);
	ia.ctime = ia.mtime;
	return i->iops->setattr(i, &ia);
}

int vfs_open(struct task *t, int dirfd, const char *name, int flags, mode_t mode, struct file **out)
{
	int acc = flags & O_ACCMODE;
	if (acc == 3 && !(flags & O_PATH))
		return -EINVAL;
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	struct path p = { 0 };
	int created = 0, e;
	if (flags & O_CREAT && !(flags & O_PATH)) {
		struct parent_ref pr;
		e = lookup_parent(t, dirfd, name, &pr);
		if (e)
			return e;
		if (!pr.d || pr.nd.trailing_slash) {
			parent_put(&pr);
			return -EISDIR;
		}
		if (pr.d->inode && S_ISLNK(pr.d->inode->mode) && !(flags & O_EXCL)) {
			/* Existing symlink: open what it points to. */
			parent_put(&pr);
			if (flags & O_NOFOLLOW)
				return -ELOOP;
			struct nameidata nd;
			e = namei(t, dirfd, name, LOOKUP_FOLLOW, &nd);
			if (e)
				return e;
			p = nd.path;
		} else if (pr.d->inode) {
			if (flags & O_EXCL) {
				parent_put(&pr);
				return -EEXIST;
			}
			p.mnt = mount_get(pr.nd.path.mnt);
			p.dentry = dentry_get(pr.d);
			follow_mounts(t->k->vfs, &p);
			parent_put(&pr);
		} else {
			e = do_create(t, &pr, S_IFREG | (mode & 07777 & ~t->fs->umask), 0);
			if (e) {
				parent_put(&pr);
				return e;
			}
			created = 1;
			p.mnt = mount_get(pr.nd.path.mnt);
			p.dentry = dentry_get(pr.d);
			parent_put(&pr);
		}
	} else {
		struct nameidata nd;
		unsigned lf = 0;
		if (!(flags & O_NOFOLLOW))
			lf |= LOOKUP_FOLLOW;
		if (flags & O_DIRECTORY)
			lf |= LOOKUP_DIRECTORY;
		e = namei(t, dirfd, name, lf, &nd);
		if (e)
			return e;
		p = nd.path;
	}
	struct inode *i = p.dentry->inode;
	refresh(i);
	e = 0;
	if (S_ISLNK(i->mode) && !(flags & O_PATH))
		e = -ELOOP;
	else if ((flags & O_DIRECTORY) && !S_ISDIR(i->mode))
		e = -ENOTDIR;
	else if (S_ISDIR(i->mode) && !(flags & O_PATH) && (acc != O_RDONLY || (flags & O_TRUNC)))
		e = -EISDIR;
	if (!e && !(flags & O_PATH) && !created) {
		int mask = 0;
		if (acc == O_RDONLY || acc == O_RDWR)
			mask |= MAY_READ;
		if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
			mask |= MAY_WRITE;
		e = vfs_permission(t, i, mask);
		if (!e && (mask & MAY_WRITE) && mnt_readonly(p.mnt) && (S_ISREG(i->mode) || S_ISDIR(i->mode)))
			e = -EROFS;
	}
	if (!e && (flags & O_TRUNC) && S_ISREG(i->mode) && acc != O_RDONLY && !created && i->size) {
		e = vfs_truncate(t, i, 0);
		if (!e)
			fsnotify_child(p.dentry, IN_MODIFY);
	}
	struct file *f = NULL;
	if (!e)
		e = vfs_open_path(t, &p, flags, &f);
	path_put(&p);
	if (e)
		return e;
	*out = f;
	return 0;
}

int vfs_mknod(struct task *t, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	mode_t type = mode & S_IFMT;
	if (type == 0)
		mode |= S_IFREG;
	else if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
		 type != S_IFSOCK)
		return -EINVAL;
	if ((type == S_IFCHR || type == S_IFBLK) && !capable(t, KCAP_MKNOD))
		return -EPERM;
	struct parent_ref pr;
	int e = lookup_parent(t, dirfd, name, &pr);
	if (e)
		return e;
	if (!pr.d)
		e = -EEXIST;
	else if (pr.d->inode)
		e = -EEXIST;
	else if (pr.nd.trailing_slash)
		e = -ENOENT;
	else
		e = do_create(t, &pr, (mode & S_IFMT) | (mode & 07777 & ~t->fs->umask), dev);
	parent_put(&pr);
	return e;
}

int vfs_mkdir(struct task *t, int dirfd, const char *name, mode_t mode)
{
	struct parent_ref pr;
	int e = lookup_parent(t, dirfd, name, &pr);
	if (e)
		return e;
	if (!pr.d || pr.d->inode) {
		parent_put(&pr);
		return -EEXIST;
	}
	struct inode *di = pr.nd.path.dentry->inode;
	e = may_create(t, &pr.nd.path);
	if (!e && !di->iops->mkdir)
		e = -EPERM;
	if (!e)
		e = di->iops->mkdir(di, pr.d, S_IFDIR | (mode & 07777 & ~t->fs->umask));
	if (!e) {
		set_owner(t, di, pr.d->inode);
		inode_touch(di, ATTR_MTIME | ATTR_CTIME);
		fsnotify_entry(di, pr.d->name, IN_CREATE | IN_ISDIR, 0);
	}
	parent_put(&pr);
	return e;
}

static int may_delete(struct task *t, struct path *dir, struct dentry *d, int isdir)
{
	struct inode *i = d->inode;
	if (!i)
		return -ENOENT;
	int e = may_create(t, dir);
	if (e)
		return e;
	if (!sticky_ok(t, dir->dentry->inode, i))
		return -EPERM;
	if (isdir && !S_ISDIR(i->mode))
		return -ENOTDIR;
	if (!isdir && S_ISDIR(i->mode))
		return -EISDIR;
	if (d->flags & D_MOUNTED)
		return -EBUSY;
	return 0;
}

int vfs_rmdir(struct task *t, int dirfd, const char *name)
{
	struct parent_ref pr;
	int e = lookup_parent(t, dirfd, name, &pr);
	if (e)
		return e;
	if (!pr.d) {
		/* "." or ".." */
		e = strcmp(pr.nd.last, ".") ? -ENOTEMPTY : -EINVAL;
	} else if (pr.d == pr.nd.path.dentry) {
		e = -EBUSY; /* "/" */
	} else {
		e = may_delete(t, &pr.nd.path, pr.d, 1);
		struct inode *di = pr.nd.path.dentry->inode;
		if (!e && !di->iops->rmdir)
			e = -EPERM;
		struct inode *victim = e ? NULL : inode_get(pr.d->inode);
		if (!e)
			e = di->iops->rmdir(di, pr.d);
		if (!e) {
			inode_touch(di, ATTR_MTIME | ATTR_CTIME);
			fsnotify_unlinked(di, pr.d->name, victim);
		}
		inode_put(victim);
	}
	parent_put(&pr);
	return e;
}

int vfs_unlink(struct task *t, int dirfd, const char *name)
{
	struct parent_ref pr;
	int e = lookup_parent(t, dirfd, name, &pr);
	if (e)
		return e;
	if (!pr.d || pr.d == pr.nd.path.dentry) {
		e = -EISDIR;
	} else if (pr.nd.trailing_slash) {
		e = pr.d->inode && S_ISDIR(pr.d->inode->mode) ? -EISDIR : -ENOTDIR;
	} else {
		e = may_delete(t, &pr.nd.path, pr.d, 0);
		struct inode *di = pr.nd.path.dentry->inode;
		if (!e && !di->iops->unlink)
			e = -EPERM;
		struct inode *victim = e ? NULL : inode_get(pr.d->inode);
		if (!e)
			e = di->iops->unlink(di, pr.d);
		if (!e) {
			inode_touch(di, ATTR_MTIME | ATTR_CTIME);
			fsnotify_unlinked(di, pr.d->name, victim);
		}
		inode_put(victim);
	}
	parent_put(&pr);
	return e;
}

int vfs_symlink(struct task *t, const char *target, int dirfd, const char *name)
{
	if (!target[0])
		return -ENOENT;
	struct parent_ref pr;
	int e = lookup_parent(t, dirfd, name, &pr);
	if (e)
		return e;
	if (!pr.d || pr.d->inode) {
		e = -EEXIST;
	} else {
		struct inode *di = pr.nd.path.dentry->inode;
		e = may_create(t, &pr.nd.path);
		if (!e && !di->iops->symlink)
			e = -EPERM;
		if (!e)
			e = di->iops->symlink(di, pr.d, target);
		if (!e) {
			set_owner(t, di, pr.d->inode);
			inode_touch(di, ATTR_MTIME | ATTR_CTIME);
			fsnotify_entry(di, pr.d->name, IN_CREATE, 0);
		}
	}
	parent_put(&pr);
	return e;
}

int vfs_link(struct task *t, int olddirfd, const char *oldname, int newdirfd, const char *newname,
	     int flags)
{
	struct nameidata ond;
	int e = namei(t, olddirfd, oldname,
		      ((flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) |
			      ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
		      &ond);
	if (e)
		return e;
	struct inode *oi = ond.path.dentry->inode;
	struct parent_ref pr;
	e = lookup_parent(t, newdirfd, newname, &pr);
	if (e) {
		path_put(&ond.path);
		return e;
	}
	if (!pr.d || pr.d->inode)
		e = -EEXIST;
	else if (S_ISDIR(oi->mode))
		e = -EPERM;
	else if (ond.path.mnt != pr.nd.path.mnt)
		e = -EXDEV;
	else
		e = may_create(t, &pr.nd.path);
	struct inode *di = pr.nd.path.dentry->inode;
	if (!e && !di->iops->link)
		e = -EPERM;
	if (!e && oi->nlink == 0)
		e = -ENOENT;
	if (!e)
		e = di->iops->link(di, pr.d, oi);
	if (!e) {
		inode_touch(di, ATTR_MTIME | ATTR_CTIME);
		inode_touch(oi, ATTR_CTIME);
		fsnotify_inode(oi, IN_ATTRIB);
		fsnotify_entry(di, pr.d->name, IN_CREATE, 0);
	}
	parent_put(&pr);
	path_put(&ond.path);
	return e;
}

static int is_ancestor(struct dentry *anc, struct dentry *d)
{
	for (; d; d = d->parent)
		if (d == anc)
			return 1;
	return 0;
}

int vfs_rename(struct task *t, int odirfd, const char *oname, int ndirfd, const char *nname,
	       unsigned flags)
{
	if ((flags & RENAME_EXCHANGE) && (flags & RENAME_NOREPLACE))
		return -EINVAL;
	if (flags & ~(RENAME_EXCHANGE | RENAME_NOREPLACE))
		return -EINVAL;
	struct parent_ref op, np;
	int e = lookup_parent(t, odirfd, oname, &op);
	if (e)
		return e;
	e = lookup_parent(t, ndirfd, nname, &np);
	if (e) {
		parent_put(&op);
		return e;
	}
	struct dentry *od = op.d, *nd = np.d;
	struct inode *odi = op.nd.path.dentry->inode, *ndi = np.nd.path.dentry->inode;
	if (!od || !nd || od == op.nd.path.dentry || nd == np.nd.path.dentry) {
		e = -EBUSY;
		if (!od || !nd)
			e = (op.nd.last_dot || np.nd.last_dot) ? -EINVAL : -EBUSY;
		goto out;
	}
	if (!od->inode) {
		e = -ENOENT;
		goto out;
	}
	if (op.nd.path.mnt != np.nd.path.mnt) {
		e = -EXDEV;
		goto out;
	}
	int odir = S_ISDIR(od->inode->mode);
	if ((op.nd.trailing_slash || np.nd.trailing_slash) && !odir) {
		e = -ENOTDIR;
		goto out;
	}
	if ((flags & RENAME_NOREPLACE) && nd->inode) {
		e = -EEXIST;
		goto out;
	}
	if ((flags & RENAME_EXCHANGE) && !nd->inode) {
		e = -ENOENT;
		goto out;
	}
	if (od == nd || (nd->inode && nd->inode == od->inode)) {
		e = 0; /* same file: nothing to do */
		goto out;
	}
	e = may_delete(t, &op.nd.path, od, odir);
	if (e)
		goto out;
	if (nd->inode) {
		int ndir = S_ISDIR(nd->inode->mode);
		if (!(flags & RENAME_EXCHANGE)) {
			e = may_delete(t, &np.nd.path, nd, odir);
			if (e)
				goto out;
			(void)ndir;
		}
	} else {
		e = may_create(t, &np.nd.path);
		if (e)
			goto out;
	}
	/* A directory cannot move under itself. */
	if (odir && is_ancestor(od, np.nd.path.dentry)) {
		e = -EINVAL;
		goto out;
	}
	if ((flags & RENAME_EXCHANGE) && S_ISDIR(nd->inode->mode) && is_ancestor(nd, op.nd.path.dentry)) {
		e = -EINVAL;
		goto out;
	}
	if (!odi->iops->rename) {
		e = -EPERM;
		goto out;
	}
	/* for inotify: who moves where, and who is replaced */
	struct inode *moved = inode_get(od->inode);
	struct inode *other = inode_get(nd->inode);
	char *oldname = inotify_instances ? strdup(od->name) : NULL;
	char *newname = inotify_instances ? strdup(nd->name) : NULL;
	e = odi->iops->rename(odi, od, ndi, nd, flags);
	if (!e) {
		inode_touch(odi, ATTR_MTIME | ATTR_CTIME);
		inode_touch(ndi, ATTR_MTIME | ATTR_CTIME);
		if (oldname && newname) {
			fsnotify_moved(odi, oldname, ndi, newname, moved);
			if (flags & RENAME_EXCHANGE)
				fsnotify_moved(ndi, newname, odi, oldname, other);
			else if (other)
				fsnotify_unlinked(NULL, NULL, other);
		}
	}
	free(oldname);
	free(newname);
	inode_put(moved);
	inode_put(other);
out:
	parent_put(&np);
	parent_put(&op);
	return e;
}

int vfs_setattr(struct task *t, struct inode *i, struct iattr *ia)
{
	(void)t;
	if (!i->iops->setattr)
		return -EPERM;
	if (!(ia->valid & ATTR_CTIME)) {
		ia->valid |= ATTR_CTIME;
		vfs_now(&ia->ctime);
	}
	return i->iops->setattr(i, ia);
}

void vfs_fill_stat(struct inode *i, struct stat *st)
{
	refresh(i);
	memset(st, 0, sizeof(*st));
	st->st_dev = i->sb ? i->sb->dev : 0;
	st->st_ino = i->ino;
	st->st_mode = i->mode;
	st->st_nlink = i->nlink;
	st->st_uid = i->uid;
	st->st_gid = i->gid;
	st->st_rdev = i->rdev;
	st->st_size = (off_t)i->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)i->blocks; /* file systems keep it (procfs: 0) */
	st->st_atim = i->atime;
	st->st_mtim = i->mtime;
	st->st_ctim = i->ctime;
}
