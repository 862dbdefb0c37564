/*
 * tmpfs, and the overlay root built on it.
 *
 * A tmpfs directory is its dentries: the dcache is the directory structure
 * (as in Linux's ramfs/tmpfs), so tmpfs directories are marked I_COMPLETE
 * and a dcache miss means "no such file".
 *
 * With a lower layer (a backend, see backend.h) the same filesystem is the
 * sandbox's overlay root: a directory or file that exists only below is
 * materialised on first lookup as a tmpfs inode that remembers its lower
 * node, and a directory's lower entries are merged into its dentries the
 * first time it is listed (then it is I_COMPLETE too). Modifications live
 * only in memory:
 *   - file data is copied up into a host memfd at the first open for
 *     writing or truncate (reads before that come from the lower file);
 *   - metadata changes (chmod, chown, utimes) just change the inode;
 *   - removing or renaming away a name whose directory has a lower layer
 *     leaves a whiteout: a cached negative dentry, so the lower entry
 *     stays hidden;
 *   - a renamed lower directory keeps its lower node, so its contents move
 *     with it.
 * Nothing is ever written to the lower layer.
 *
 * File data of regular files lives in a host memfd (created when the file
 * first gets data), so a mapping of a tmpfs file is the memfd itself and
 * MAP_SHARED mappings are coherent with read() and write().
 */
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "backend.h"
#include "vfs.h"
#include "../../platform/hostproc.h"
#include "../kernel/kernel.h"

#define TMPFS_MAGIC 0x01021994
#define OVERLAYFS_MAGIC 0x794c7630

const struct fs_type tmpfs_type = { "tmpfs", TMPFS_MAGIC };
static const struct fs_type overlay_type = { "overlay", OVERLAYFS_MAGIC };

struct tmpfs_sb {
	struct vfs *v;
	struct fs_backend *lower;
	/* where file data lives: memfds, or (--overlay-dir) unnamed files
	 * the backend makes in its directory `data_dir` */
	struct fs_backend *data;
	struct fsb_node *data_dir;
	/* size= of a tmpfs that mount(2) made: its own ceiling (0: none
	 * but the sandbox's), and its data in bytes */
	uint64_t limit, used;
	struct tmpfs_params params;
	int has_params;
};

struct tnode {
	int memfd;		/* regular file data, -1 if none yet */
	struct fsb_node *lower; /* lower-layer object, or NULL */
	int copied;		/* regular: data moved to memfd */
	char *target;		/* symlink */
	int populated;		/* directory: lower listing merged */
	int rofd;		/* read-only reopen of memfd, for MAP_SHARED of
				   files opened read-only; -1 until needed */
	struct txattr *xattrs;	/* extended attributes (in memory) */
	int xattrs_up;		/* a lower file's attributes were copied up */
};

struct txattr {
	struct txattr *next;
	char *name;
	size_t len;
	char val[];
};

struct tfile {
	int lowerfd; /* reading lower data before copy-up */
};

static const struct inode_ops tmpfs_iops;
static const struct file_ops tmpfs_reg_ops;
static const struct file_ops tmpfs_dir_ops;

#define TSB(sb) ((struct tmpfs_sb *)(sb)->priv)
#define TN(i) ((struct tnode *)(i)->priv)

static struct inode *tnode_new(struct super *sb, mode_t mode)
{
	struct inode *i = inode_alloc(sb, mode, &tmpfs_iops);
	if (!i)
		return NULL;
	struct tnode *n = calloc(1, sizeof(*n));
	if (!n) {
		inode_put(i);
		return NULL;
	}
	n->memfd = -1;
	n->rofd = -1;
	i->priv = n;
	/* Upper inode numbers stay clear of lower (ext4) ones. */
	i->ino = (1ULL << 40) + i->ino;
	if (S_ISDIR(mode))
		i->flags |= I_COMPLETE;
	return i;
}

static struct inode *lower_inode_new(struct super *sb, struct fsb_node *ln, const struct fsb_attr *a)
{
	struct inode *i = tnode_new(sb, a->mode);
	if (!i)
		return NULL;
	struct tnode *n = TN(i);
	n->lower = ln;
	i->ino = a->ino;
	i->uid = a->uid;
	i->gid = a->gid;
	i->nlink = a->nlink;
	i->size = a->size;
	i->blocks = a->blocks;
	i->rdev = a->rdev;
	i->atime = a->atime;
	i->mtime = a->mtime;
	i->ctime = a->ctime;
	i->host_dev = a->dev;
	i->host_ino = a->ino;
	if (S_ISDIR(a->mode))
		i->flags &= ~I_COMPLETE;
	return i;
}

static struct fs_backend *lower_of(struct inode *i)
{
	return TSB(i->sb)->lower;
}

/* ---- directories ---- */

struct pop_ctx {
	struct vfs *v;
	struct dentry *dir;
	int err;
};

static int pop_emit(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct pop_ctx *c = arg;
	size_t len = strlen(name);
	if (dcache_lookup(c->v, c->dir, name, len))
		return 0; /* upper entry, whiteout or already looked up */
	struct dentry *d = dentry_alloc(c->dir, name, len);
	if (!d) {
		c->err = -ENOMEM;
		return 1;
	}
	d->flags |= D_LAZY;
	d->lazy_ino = ino;
	d->lazy_type = (uint8_t)type;
	dcache_add(c->v, d);
	dentry_put(d);
	return 0;
}

static int populate(struct dentry *dir)
{
	struct inode *i = dir->inode;
	struct tnode *n = TN(i);
	if (!n->lower || n->populated || (i->flags & I_COMPLETE))
		return 0;
	struct fs_backend *b = lower_of(i);
	struct pop_ctx c = { TSB(i->sb)->v, dir, 0 };
	int e = b->ops->readdir(b, n->lower, pop_emit, &c);
	if (e < 0)
		return e;
	if (c.err)
		return c.err;
	n->populated = 1;
	i->flags |= I_COMPLETE;
	return 0;
}

static int t_lookup(struct inode *dir, struct dentry *d)
{
	struct tnode *n = TN(dir);
	if (!n->lower)
		return -ENOENT;
	struct fs_backend *b = lower_of(dir);
	struct fsb_node *ln;
	struct fsb_attr a;
	int e = b->ops->walk(b, n->lower, d->name, &ln, &a);
	if (e < 0)
		return e;
	struct inode *i = lower_inode_new(dir->sb, ln, &a);
	if (!i) {
		b->ops->put(b, ln);
		return -ENOMEM;
	}
	dentry_instantiate(d, i);
	return 0;
}

static void add_whiteout(struct dentry *parent, const char *name)
{
	struct inode *pi = parent->inode;
	struct tnode *pn = TN(pi);
	if (!pn->lower)
		return;
	struct vfs *v = TSB(pi->sb)->v;
	size_t len = strlen(name);
	if (dcache_lookup(v, parent, name, len))
		return;
	struct dentry *w = dentry_alloc(parent, name, len);
	if (!w)
		return;
	w->flags |= D_WHITEOUT;
	dcache_add(v, w);
	dentry_put(w);
}

static void instantiate_new(struct dentry *d, struct inode *i)
{
	struct vfs *v = TSB(i->sb)->v;
	dentry_instantiate(d, i);
	dcache_add(v, d);
}

static int t_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
	struct inode *i = tnode_new(dir->sb, mode);
	if (!i)
		return -ENOMEM;
	i->rdev = rdev;
	instantiate_new(d, i);
	return 0;
}

static int t_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
	struct inode *i = tnode_new(dir->sb, mode);
	if (!i)
		return -ENOMEM;
	instantiate_new(d, i);
	dir->nlink++;
	return 0;
}

static int t_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	struct inode *i = tnode_new(dir->sb, S_IFLNK | 0777);
	if (!i)
		return -ENOMEM;
	TN(i)->target = strdup(target);
	if (!TN(i)->target) {
		inode_put(i);
		return -ENOMEM;
	}
	i->size = strlen(target);
	instantiate_new(d, i);
	return 0;
}

static int t_link(struct inode *dir, struct dentry *d, struct inode *old)
{
	if (old->sb != dir->sb)
		return -EXDEV;
	old->nlink++;
	instantiate_new(d, inode_get(old));
	return 0;
}

/* Forget the cached negative entries under a directory being removed. */
static void drop_negatives(struct vfs *v, struct dentry *dir)
{
	struct list *l, *n;
	list_for_each_safe(l, n, &dir->subdirs)
	{
		struct dentry *c = list_entry(l, struct dentry, child);
		if (!c->inode && !(c->flags & D_LAZY))
			dcache_remove(v, c);
	}
}

static int dir_empty(struct dentry *d)
{
	int e = populate(d);
	if (e < 0)
		return e;
	struct list *l;
	list_for_each(l, &d->subdirs)
	{
		struct dentry *c = list_entry(l, struct dentry, child);
		if (c->inode || (c->flags & D_LAZY))
			return -ENOTEMPTY;
	}
	return 0;
}

static int t_unlink(struct inode *dir, struct dentry *d)
{
	struct vfs *v = TSB(dir->sb)->v;
	struct inode *i = d->inode;
	i->nlink--;
	inode_touch(i, ATTR_CTIME);
	char *name = strdup(d->name);
	if (!name)
		return -ENOMEM;
	d->flags |= D_DELETED;
	dcache_remove(v, d);
	add_whiteout(d->parent, name);
	free(name);
	return 0;
}

static int t_rmdir(struct inode *dir, struct dentry *d)
{
	struct vfs *v = TSB(dir->sb)->v;
	int e = dir_empty(d);
	if (e)
		return e;
	drop_negatives(v, d);
	struct inode *i = d->inode;
	i->nlink = 0;
	dir->nlink--;
	char *name = strdup(d->name);
	if (!name)
		return -ENOMEM;
	d->flags |= D_DELETED;
	dcache_remove(v, d);
	add_whiteout(d->parent, name);
	free(name);
	return 0;
}

static int t_rename(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
		    unsigned flags)
{
	struct vfs *v = TSB(odir->sb)->v;
	char *oname = strdup(od->name), *nname = strdup(nd->name);
	struct dentry *oparent = dentry_get(od->parent), *nparent = dentry_get(nd->parent);
	int e = 0;
	if (!oname || !nname) {
		e = -ENOMEM;
		goto out;
	}
	if (flags & RENAME_EXCHANGE) {
		dentry_get(nd);
		dcache_remove(v, nd);
		e = dentry_move(v, od, nparent, nname);
		if (!e)
			e = dentry_move(v, nd, oparent, oname);
		dentry_put(nd);
		if (odir != ndir) {
			int od_dir = S_ISDIR(od->inode->mode), nd_dir = S_ISDIR(nd->inode->mode);
			if (od_dir && !nd_dir) {
				odir->nlink--;
				ndir->nlink++;
			} else if (nd_dir && !od_dir) {
				ndir->nlink--;
				odir->nlink++;
			}
		}
		goto out;
	}
	struct inode *victim = nd->inode;
	if (victim) {
		if (S_ISDIR(victim->mode)) {
			e = dir_empty(nd);
			if (e)
				goto out;
			drop_negatives(v, nd);
			victim->nlink = 0;
			ndir->nlink--;
		} else {
			victim->nlink--;
		}
		inode_touch(victim, ATTR_CTIME);
		nd->flags |= D_DELETED;
	}
	dcache_remove(v, nd);
	e = dentry_move(v, od, nparent, nname);
	if (e)
		goto out;
	if (S_ISDIR(od->inode->mode) && odir != ndir) {
		odir->nlink--;
		ndir->nlink++;
	}
	inode_touch(od->inode, ATTR_CTIME);
	add_whiteout(oparent, oname);
out:
	dentry_put(oparent);
	dentry_put(nparent);
	free(oname);
	free(nname);
	return e;
}

/* ---- data ---- */

/* Room for more data in sb: under the sandbox's ceiling, and under the
 * file system's own size= when it has one. */
static uint64_t tmpfs_room(struct super *sb)
{
	struct tmpfs_sb *ts = TSB(sb);
	struct vfs *v = ts->v;
	uint64_t room = v->tmpfs_used < v->tmpfs_limit ? v->tmpfs_limit - v->tmpfs_used : 0;
	if (ts->limit && ts->limit - (ts->used < ts->limit ? ts->used : ts->limit) < room)
		room = ts->limit - (ts->used < ts->limit ? ts->used : ts->limit);
	return room;
}

/* Data of sb that was old bytes is now new bytes. */
static void account(struct super *sb, uint64_t old, uint64_t new)
{
	struct tmpfs_sb *ts = TSB(sb);
	struct vfs *v = ts->v;
	v->tmpfs_used = v->tmpfs_used - (old < v->tmpfs_used ? old : v->tmpfs_used) + new;
	ts->used = ts->used - (old < ts->used ? old : ts->used) + new;
}

/* Account a size change of tmpfs data; -ENOSPC past the ceiling. */
static int charge(struct inode *i, uint64_t newsize)
{
	uint64_t old = i->size;
	if (newsize > old && newsize - old > tmpfs_room(i->sb))
		return -ENOSPC;
	account(i->sb, old, newsize);
	return 0;
}

static int ensure_memfd(struct inode *i)
{
	struct tnode *n = TN(i);
	if (n->memfd >= 0)
		return 0;
	struct tmpfs_sb *ts = TSB(i->sb);
	int fd = ts->data ? ts->data->ops->tmpfile(ts->data, ts->data_dir)
			  : (int)syscall(SYS_memfd_create, "tmpfs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return ts->data ? fd : -errno;
	n->memfd = fd;
	if (i->size && ftruncate(fd, (off_t)i->size) < 0) {
		int e = -errno;
		close(fd);
		n->memfd = -1;
		return e;
	}
	struct stat st;
	if (fstat(fd, &st) == 0) {
		i->host_dev = st.st_dev;
		i->host_ino = st.st_ino;
	}
	return 0;
}

/* Move a lower file's data to a memfd (with_data = 0: it is being
 * truncated to zero anyway). */
static int copy_up(struct inode *i, int with_data)
{
	struct tnode *n = TN(i);
	if (!n->lower || n->copied || !S_ISREG(i->mode))
		return 0;
	uint64_t size = with_data ? i->size : 0;
	struct fs_backend *b = lower_of(i);
	int src = -1;
	if (size) {
		src = b->ops->open(b, n->lower, O_RDONLY);
		if (src < 0)
			return src;
	}
	uint64_t keep = i->size;
	if (size > tmpfs_room(i->sb)) {
		if (src >= 0)
			close(src);
		return -ENOSPC;
	}
	i->size = 0;
	int e = ensure_memfd(i);
	if (e) {
		i->size = keep;
		if (src >= 0)
			close(src);
		return e;
	}
	off_t off = 0;
	while ((uint64_t)off < size) {
		ssize_t r = sendfile(n->memfd, src, &off, (size_t)(size - (uint64_t)off));
		if (r < 0) {
			e = -errno;
			break;
		}
		if (r == 0)
			break;
	}
	if (src >= 0)
		close(src);
	if (e) {
		close(n->memfd);
		n->memfd = -1;
		i->size = keep;
		return e;
	}
	i->size = (uint64_t)off;
	account(i->sb, 0, i->size);
	n->copied = 1;
	return 0;
}

int tmpfs_hostfd(struct inode *i)
{
	if (i->iops != &tmpfs_iops || !S_ISREG(i->mode))
		return -ENODEV;
	int e = copy_up(i, 1);
	if (!e)
		e = ensure_memfd(i);
	return e ? e : TN(i)->memfd;
}

static int data_fd(struct file *f)
{
	struct tnode *n = TN(f->inode);
	if (n->memfd >= 0)
		return n->memfd;
	struct tfile *tf = f->priv;
	if (n->lower && !n->copied && tf && tf->lowerfd >= 0)
		return tf->lowerfd;
	return -1;
}

static ssize_t t_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	struct inode *i = f->inode;
	if (*pos >= i->size)
		return 0;
	if (len > i->size - *pos)
		len = (size_t)(i->size - *pos);
	int fd = data_fd(f);
	if (fd < 0) {
		memset(buf, 0, len); /* sparse (size set by truncate) */
		*pos += len;
		return (ssize_t)len;
	}
	ssize_t n = pread(fd, buf, len, (off_t)*pos);
	if (n < 0)
		return -errno;
	*pos += (uint64_t)n;
	return n;
}

static ssize_t t_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	struct inode *i = f->inode;
	int e = copy_up(i, 1);
	if (!e)
		e = ensure_memfd(i);
	if (e)
		return e;
	if (f->flags & O_APPEND)
		*pos = i->size;
	uint64_t lim = t ? (uint64_t)t->tg->rlim[RLIMIT_FSIZE].rlim_cur : UINT64_MAX;
	if (*pos >= lim) {
		if (t) {
			siginfo_t si;
			siginfo_kernel(&si, SIGXFSZ, SI_KERNEL);
			send_signal_task(t, &si, 0, 0);
		}
		return -EFBIG;
	}
	if (len > lim - *pos)
		len = (size_t)(lim - *pos);
	if (*pos + len > i->size) {
		uint64_t room = tmpfs_room(i->sb);
		if (*pos + len - i->size > room) {
			if (*pos >= i->size + room)
				return -ENOSPC;
			len = (size_t)(i->size + room - *pos);
		}
	}
	ssize_t n = pwrite(TN(i)->memfd, buf, len, (off_t)*pos);
	if (n < 0)
		return -errno;
	*pos += (uint64_t)n;
	if (*pos > i->size) {
		account(i->sb, i->size, *pos);
		i->size = *pos;
	}
	i->blocks = (i->size + 4095) / 4096 * 8; /* whole pages, as tmpfs */
	inode_touch(i, ATTR_MTIME | ATTR_CTIME);
	return n;
}

static int t_mmap(struct file *f, struct mmap_req *req)
{
	struct inode *i = f->inode;
	struct tnode *n = TN(i);
	if ((req->flags & MAP_SHARED) && (req->prot & PROT_WRITE)) {
		int e = copy_up(i, 1);
		if (e)
			return e;
	}
	if (n->memfd < 0 && !(n->lower && !n->copied)) {
		int e = ensure_memfd(i);
		if (e)
			return e;
	}
	int fd = data_fd(f);
	if (fd < 0)
		return -ENODEV;
	if ((req->flags & 0x40000000) && fd == n->memfd) {
		/* A shared mapping of a file opened read-only must not be
		 * upgradable to writable with mprotect: map a read-only fd. */
		if (n->rofd < 0) {
			char p[64];
			snprintf(p, sizeof(p), "self/fd/%d", n->memfd);
			n->rofd = hostproc_open(p, O_RDONLY);
			if (n->rofd < 0) {
				int e = n->rofd;
				n->rofd = -1;
				return e;
			}
		}
		fd = n->rofd;
	}
	req->hostfd = fd;
	return 0;
}

static int64_t t_llseek(struct file *f, int64_t off, int whence)
{
	return generic_llseek(f, off, whence);
}

static int t_fsync(struct file *f)
{
	(void)f;
	return 0;
}

static void t_release(struct file *f)
{
	struct tfile *tf = f->priv;
	if (tf) {
		if (tf->lowerfd >= 0)
			close(tf->lowerfd);
		free(tf);
	}
}

static const struct file_ops tmpfs_reg_ops = {
	.read = t_read,
	.write = t_write,
	.mmap = t_mmap,
	.llseek = t_llseek,
	.fsync = t_fsync,
	.release = t_release,
};

static int t_getdents(struct file *f, struct dir_ctx *ctx)
{
	int e = populate(f->path.dentry);
	if (e < 0)
		return e;
	return dcache_getdents(f, ctx);
}

static int64_t t_dir_llseek(struct file *f, int64_t off, int whence)
{
	return dir_file_ops.llseek(f, off, whence);
}

static const struct file_ops tmpfs_dir_ops = {
	.getdents = t_getdents,
	.llseek = t_dir_llseek,
	.fsync = t_fsync,
};

int fifo_open(struct inode *i, struct file *f, struct task *t);

static int t_open(struct inode *i, struct file *f, struct task *t)
{
	struct tnode *n = TN(i);
	switch (i->mode & S_IFMT) {
	case S_IFREG: {
		if (f->fmode & FMODE_WRITE) {
			int e = copy_up(i, 1);
			if (e)
				return e;
		}
		struct tfile *tf = calloc(1, sizeof(*tf));
		if (!tf)
			return -ENOMEM;
		tf->lowerfd = -1;
		if (n->lower && !n->copied) {
			struct fs_backend *b = lower_of(i);
			tf->lowerfd = b->ops->open(b, n->lower, O_RDONLY);
			if (tf->lowerfd < 0) {
				int e = tf->lowerfd;
				free(tf);
				return e;
			}
		}
		f->priv = tf;
		f->ops = &tmpfs_reg_ops;
		return 0;
	}
	case S_IFDIR:
		f->ops = &tmpfs_dir_ops;
		return 0;
	case S_IFCHR:
		return chrdev_open(i, f, t);
	case S_IFIFO:
		return fifo_open(i, f, t);
	default:
		return -ENXIO;
	}
}

static ssize_t t_readlink(struct inode *i, char *buf, size_t len)
{
	struct tnode *n = TN(i);
	if (!S_ISLNK(i->mode))
		return -EINVAL;
	if (!n->target && n->lower) {
		char tmp[4096];
		struct fs_backend *b = lower_of(i);
		ssize_t r = b->ops->readlink(b, n->lower, tmp, sizeof(tmp) - 1);
		if (r < 0)
			return r;
		tmp[r] = 0;
		n->target = strdup(tmp);
		if (!n->target)
			return -ENOMEM;
	}
	if (!n->target)
		return -EINVAL;
	size_t l = strlen(n->target);
	if (l > len)
		l = len;
	memcpy(buf, n->target, l);
	return (ssize_t)l;
}

static int t_setattr(struct inode *i, const struct iattr *ia)
{
	if (ia->valid & ATTR_SIZE) {
		if (!S_ISREG(i->mode))
			return -EINVAL;
		int e = copy_up(i, ia->size != 0);
		if (!e)
			e = ensure_memfd(i);
		if (e)
			return e;
		uint64_t old = i->size;
		e = charge(i, ia->size);
		if (e)
			return e;
		if (ftruncate(TN(i)->memfd, (off_t)ia->size) < 0) {
			e = -errno;
			i->size = ia->size;
			charge(i, old);
			i->size = old;
			return e;
		}
		i->size = ia->size;
		i->blocks = (i->size + 4095) / 4096 * 8; /* whole pages, as tmpfs */
	}
	if (ia->valid & ATTR_MODE)
		i->mode = (i->mode & S_IFMT) | (ia->mode & 07777);
	if (ia->valid & ATTR_UID)
		i->uid = ia->uid;
	if (ia->valid & ATTR_GID)
		i->gid = ia->gid;
	if (ia->valid & ATTR_ATIME)
		i->atime = ia->atime;
	if (ia->valid & ATTR_MTIME)
		i->mtime = ia->mtime;
	if (ia->valid & ATTR_CTIME)
		i->ctime = ia->ctime;
	return 0;
}

static int t_statfs(struct inode *i, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	struct fs_backend *b = lower_of(i);
	if (b) {
		struct tnode *rn = TN(i->sb->root);
		if (rn->lower && b->ops->statfs(b, rn->lower, st) == 0) {
			st->f_type = OVERLAYFS_MAGIC;
			return 0;
		}
	}
	struct tmpfs_sb *ts = TSB(i->sb);
	st->f_type = i->sb->type->magic;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_blocks = (fsblkcnt_t)((ts->limit ? ts->limit : ts->v->tmpfs_limit) / 4096);
	st->f_bfree = (fsblkcnt_t)(tmpfs_room(i->sb) / 4096);
	st->f_bavail = st->f_bfree;
	st->f_files = st->f_blocks;
	st->f_ffree = st->f_bfree;
	st->f_namelen = 255;
	return 0;
}

static void t_irelease(struct inode *i)
{
	struct tnode *n = TN(i);
	if (!n)
		return;
	if (n->memfd >= 0) {
		/* the data goes with the last reference */
		account(i->sb, i->size, 0);
		close(n->memfd);
	}
	if (n->rofd >= 0)
		close(n->rofd);
	if (n->lower) {
		struct fs_backend *b = lower_of(i);
		b->ops->put(b, n->lower);
	}
	while (n->xattrs) {
		struct txattr *x = n->xattrs;
		n->xattrs = x->next;
		account(i->sb, x->len, 0);
		free(x->name);
		free(x);
	}
	free(n->target);
	free(n);
	i->priv = NULL;
}

/* ---- extended attributes: in memory; a lower file's are read from the
 * lower layer until the first change copies them up ---- */

static struct txattr **x_find(struct tnode *n, const char *name)
{
	struct txattr **pp = &n->xattrs;
	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	return pp;
}

static int x_store(struct inode *i, const char *name, const void *val, size_t len, int flags)
{
	struct tnode *n = TN(i);
	struct txattr **pp = x_find(n, name);
	if (*pp && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!*pp && (flags & XATTR_REPLACE))
		return -ENODATA;
	size_t old = *pp ? (*pp)->len : 0;
	if (len > old && len - old > tmpfs_room(i->sb))
		return -ENOSPC;
	struct txattr *x = malloc(sizeof(*x) + len);
	if (!x || !(x->name = strdup(name))) {
		free(x);
		return -ENOMEM;
	}
	x->len = len;
	memcpy(x->val, val, len);
	if (*pp) {
		struct txattr *o = *pp;
		x->next = o->next;
		free(o->name);
		free(o);
	} else {
		x->next = NULL;
	}
	*pp = x;
	account(i->sb, old, len);
	return 0;
}

/* Copy a lower file's attributes into memory before the first change. */
static int x_copy_up(struct inode *i)
{
	struct tnode *n = TN(i);
	if (!n->lower || n->xattrs_up)
		return 0;
	struct fs_backend *b = lower_of(i);
	if (b->ops->xattr) {
		static char names[XATTR_VALUE_MAX], val[XATTR_VALUE_MAX];
		ssize_t nl = b->ops->xattr(b, n->lower, XOP_LIST, "", names, sizeof(names), 0);
		for (ssize_t off = 0; nl > 0 && off < nl;) {
			const char *nm = names + off;
			size_t l = strnlen(nm, (size_t)(nl - off));
			off += (ssize_t)l + 1;
			if (!l)
				continue;
			ssize_t vl = b->ops->xattr(b, n->lower, XOP_GET, nm, val, sizeof(val), 0);
			if (vl < 0)
				continue; /* (gone meanwhile) */
			int e = x_store(i, nm, val, (size_t)vl, 0);
			if (e)
				return e;
		}
		if (nl < 0 && nl != -EOPNOTSUPP && nl != -ENODATA)
			return (int)nl;
	}
	n->xattrs_up = 1;
	return 0;
}

static ssize_t t_xattr(struct inode *i, int op, const char *name, void *buf, size_t len, int flags)
{
	struct tnode *n = TN(i);
	if (n->lower && !n->xattrs_up) {
		struct fs_backend *b = lower_of(i);
		if (op == XOP_GET || op == XOP_LIST) {
			if (!b->ops->xattr)
				return op == XOP_GET ? -ENODATA : 0;
			ssize_t r = b->ops->xattr(b, n->lower, op, name, buf, len, 0);
			return r == -EOPNOTSUPP ? (op == XOP_GET ? -ENODATA : 0) : r;
		}
		int e = x_copy_up(i);
		if (e)
			return e;
	}
	if (op == XOP_GET) {
		struct txattr *x = *x_find(n, name);
		if (!x)
			return -ENODATA;
		if (x->len > len)
			return -ERANGE;
		memcpy(buf, x->val, x->len);
		return (ssize_t)x->len;
	}
	if (op == XOP_LIST) {
		size_t used = 0;
		for (struct txattr *x = n->xattrs; x; x = x->next) {
			size_t l = strlen(x->name) + 1;
			if (used + l > len)
				return -ERANGE;
			memcpy((char *)buf + used, x->name, l);
			used += l;
		}
		return (ssize_t)used;
	}
	if (op == XOP_SET)
		return x_store(i, name, buf, len, flags);
	struct txattr **pp = x_find(n, name);
	if (!*pp)
		return -ENODATA;
	struct txattr *x = *pp;
	*pp = x->next;
	account(i->sb, x->len, 0);
	free(x->name);
	free(x);
	return 0;
}

static const struct inode_ops tmpfs_iops = {
	.lookup = t_lookup,
	.create = t_create,
	.mkdir = t_mkdir,
	.symlink = t_symlink,
	.link = t_link,
	.unlink = t_unlink,
	.rmdir = t_rmdir,
	.rename = t_rename,
	.readlink = t_readlink,
	.setattr = t_setattr,
	.open = t_open,
	.statfs = t_statfs,
	.xattr = t_xattr,
	.release = t_irelease,
};

static void tmpfs_release_sb(struct super *sb)
{
	struct tmpfs_sb *ts = sb->priv;
	if (ts->data) {
		ts->data->ops->put(ts->data, ts->data_dir);
		ts->data->ops->destroy(ts->data);
	}
	free(ts);
}

void tmpfs_set_params(struct super *sb, const struct tmpfs_params *p)
{
	struct tmpfs_sb *ts = TSB(sb);
	ts->params = *p;
	ts->has_params = 1;
	ts->limit = p->size_pages > 0 ? (uint64_t)p->size_pages * 4096 : 0;
}

uint64_t tmpfs_used(struct super *sb)
{
	return TSB(sb)->used;
}

const struct tmpfs_params *tmpfs_params(struct super *sb)
{
	return TSB(sb)->has_params ? &TSB(sb)->params : NULL;
}

void tmpfs_show_options(struct super *sb, const struct task *viewer, char *buf, size_t len)
{
	static const char *const huge[] = { "never", "always", "within_size", "advise" };
	const struct tmpfs_params *p = &TSB(sb)->params;
	size_t off = 0;
	buf[0] = 0;
	if (!TSB(sb)->has_params)
		return;
	/* (Linux's order; the defaults are left out) */
	if (p->size_pages >= 0)
		off += (size_t)snprintf(buf + off, len - off, ",size=%lldk", (long long)p->size_pages * 4);
	if (p->nr_inodes >= 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, ",nr_inodes=%lld", (long long)p->nr_inodes);
	if (p->mode != 01777 && off < len)
		off += (size_t)snprintf(buf + off, len - off, ",mode=%03o", (unsigned)p->mode);
	if (p->uid != 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, ",uid=%u", (unsigned)uid_to_user(viewer, p->uid));
	if (p->gid != 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, ",gid=%u", (unsigned)gid_to_user(viewer, p->gid));
	if (p->huge > 0 && p->huge < 4 && off < len)
		snprintf(buf + off, len - off, ",huge=%s", huge[p->huge]);
}

void tmpfs_set_data_dir(struct super *sb, struct fs_backend *b, struct fsb_node *dir)
{
	struct tmpfs_sb *ts = sb->priv;
	ts->data = b;
	ts->data_dir = dir;
}

struct super *tmpfs_create(struct vfs *v, struct fs_backend *lower, struct fsb_node *lower_root,
			   unsigned flags, mode_t root_mode)
{
	struct super *sb = super_alloc(v, lower ? &overlay_type : &tmpfs_type, flags);
	if (!sb)
		return NULL;
	struct tmpfs_sb *ts = calloc(1, sizeof(*ts));
	if (!ts) {
		free(sb);
		return NULL;
	}
	ts->v = v;
	ts->lower = lower;
	sb->priv = ts;
	sb->release = tmpfs_release_sb;
	struct inode *root;
	if (lower) {
		struct fsb_attr a;
		struct fsb_node *ln = lower_root;
		if (lower->ops->getattr(lower, ln, &a) < 0) {
			free(ts);
			free(sb);
			return NULL;
		}
		lower->ops->get(lower, ln);
		root = lower_inode_new(sb, ln, &a);
	} else {
		root = tnode_new(sb, S_IFDIR | (root_mode & 07777));
	}
	if (!root) {
		free(ts);
		free(sb);
		return NULL;
	}
	sb->root = root;
	return sb;
}

/* memfd_create: an unlinked file of a private tmpfs. */
static struct super *memfd_sb;
static struct dentry *memfd_root;

int tmpfs_memfd(struct vfs *v, const char *name, unsigned flags, struct file **out)
{
	if (!memfd_sb) {
		memfd_sb = tmpfs_create(v, NULL, NULL, 0, 01777);
		if (!memfd_sb)
			return -ENOMEM;
		memfd_root = dentry_alloc_root(memfd_sb, memfd_sb->root);
		if (!memfd_root)
			return -ENOMEM;
	}
	struct inode *i = tnode_new(memfd_sb, S_IFREG | 0777);
	if (!i)
		return -ENOMEM;
	int fd = (int)syscall(SYS_memfd_create, name,
			      MFD_CLOEXEC | ((flags & MFD_ALLOW_SEALING) ? MFD_ALLOW_SEALING : 0));
	if (fd < 0) {
		int e = -errno;
		inode_put(i);
		return e;
	}
	if (!(flags & MFD_ALLOW_SEALING))
		fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
	TN(i)->memfd = fd;
	struct stat st;
	if (fstat(fd, &st) == 0) {
		i->host_dev = st.st_dev;
		i->host_ino = st.st_ino;
	}
	char dname[300];
	snprintf(dname, sizeof(dname), "memfd:%s", name);
	struct dentry *d = dentry_alloc(memfd_root, dname, strlen(dname));
	if (!d) {
		inode_put(i);
		return -ENOMEM;
	}
	d->inode = i;
	d->flags |= D_DELETED;
	i->nlink = 0;
	struct file *f = file_alloc(&tmpfs_reg_ops, O_RDWR | O_LARGEFILE, NULL);
	if (!f) {
		dentry_put(d);
		return -ENOMEM;
	}
	struct tfile *tf = calloc(1, sizeof(*tf));
	if (!tf) {
		dentry_put(d);
		file_put(f);
		return -ENOMEM;
	}
	tf->lowerfd = -1;
	f->priv = tf;
	f->fmode |= FMODE_PREAD;
	f->path.dentry = d;
	f->inode = inode_get(i);
	*out = f;
	return 0;
}

/* The host memfd of a memfd_create file, for F_ADD_SEALS/F_GET_SEALS. */
int tmpfs_sealfd(struct file *f);
int tmpfs_sealfd(struct file *f)
{
	if (!f->inode || f->inode->iops != &tmpfs_iops || !S_ISREG(f->inode->mode))
		return -EINVAL;
	return TN(f->inode)->memfd >= 0 ? TN(f->inode)->memfd : -EINVAL;
}
