/*
 * Bind mounts (-v SRC:DST[:ro]): a directory served by a backend
 * (backend.h), read-write through to it. Nothing is cached (SB_NOCACHE):
 * every lookup asks the backend, so changes made on the host side show up,
 * and inode numbers are the backend's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "vfs.h"
#include "../kernel/kernel.h"

static const struct fs_type bind_type = { "bind", 0x62696e64 };

struct bsb {
	struct fs_backend *b;
};

struct bnode {
	struct fsb_node *n;
};

struct bfile {
	int fd;
	/* directory listing, taken at the first getdents */
	char **names;
	uint64_t *inos;
	uint8_t *types;
	int count, cap;
	int listed;
};

static const struct inode_ops bind_iops;
static const struct file_ops bind_reg_ops, bind_dir_ops;

#define BB(i) (((struct bsb *)(i)->sb->priv)->b)
#define BN(i) (((struct bnode *)(i)->priv)->n)

static void apply(struct inode *i, const struct fsb_attr *a)
{
	i->mode = a->mode;
	i->uid = a->uid;
	i->gid = a->gid;
	i->nlink = a->nlink;
	i->size = a->size;
	i->blocks = a->blocks;
	i->ino = a->ino;
	i->rdev = a->rdev;
	i->atime = a->atime;
	i->mtime = a->mtime;
	i->ctime = a->ctime;
	i->host_dev = a->dev;
	i->host_ino = a->ino;
}

static struct inode *binode(struct super *sb, struct fsb_node *n, const struct fsb_attr *a)
{
	struct inode *i = inode_alloc(sb, a->mode, &bind_iops);
	if (!i)
		return NULL;
	struct bnode *bn = calloc(1, sizeof(*bn));
	if (!bn) {
		inode_put(i);
		return NULL;
	}
	bn->n = n;
	i->priv = bn;
	apply(i, a);
	return i;
}

static int b_lookup(struct inode *dir, struct dentry *d)
{
	struct fs_backend *b = BB(dir);
	struct fsb_node *n;
	struct fsb_attr a;
	int e = b->ops->walk(b, BN(dir), d->name, &n, &a);
	if (e)
		return e;
	struct inode *i = binode(dir->sb, n, &a);
	if (!i) {
		b->ops->put(b, n);
		return -ENOMEM;
	}
	dentry_instantiate(d, i);
	return 0;
}

static int finish_new(struct inode *dir, struct dentry *d, struct fsb_node *n, struct fsb_attr *a)
{
	struct inode *i = binode(dir->sb, n, a);
	if (!i) {
		BB(dir)->ops->put(BB(dir), n);
		return -ENOMEM;
	}
	dentry_instantiate(d, i);
	return 0;
}

static int b_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
	struct fs_backend *b = BB(dir);
	struct fsb_node *n;
	struct fsb_attr a;
	int e = b->ops->create(b, BN(dir), d->name, mode, rdev, &n, &a);
	return e ? e : finish_new(dir, d, n, &a);
}

static int b_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
	struct fs_backend *b = BB(dir);
	struct fsb_node *n;
	struct fsb_attr a;
	int e = b->ops->mkdir(b, BN(dir), d->name, mode, &n, &a);
	return e ? e : finish_new(dir, d, n, &a);
}

static int b_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	struct fs_backend *b = BB(dir);
	struct fsb_node *n;
	struct fsb_attr a;
	int e = b->ops->symlink(b, BN(dir), d->name, target, &n, &a);
	return e ? e : finish_new(dir, d, n, &a);
}

static int b_link(struct inode *dir, struct dentry *d, struct inode *old)
{
	if (old->sb != dir->sb)
		return -EXDEV;
	struct fs_backend *b = BB(dir);
	int e = b->ops->link(b, BN(dir), d->name, BN(old));
	if (e)
		return e;
	old->nlink++;
	dentry_instantiate(d, inode_get(old));
	return 0;
}

static int b_unlink(struct inode *dir, struct dentry *d)
{
	struct fs_backend *b = BB(dir);
	int e = b->ops->unlink(b, BN(dir), d->name, 0);
	if (!e) {
		d->inode->nlink--;
		d->flags |= D_DELETED;
	}
	return e;
}

static int b_rmdir(struct inode *dir, struct dentry *d)
{
	struct fs_backend *b = BB(dir);
	int e = b->ops->unlink(b, BN(dir), d->name, 1);
	if (!e) {
		d->inode->nlink = 0;
		d->flags |= D_DELETED;
	}
	return e;
}

static int b_rename(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd, unsigned flags)
{
	struct fs_backend *b = BB(odir);
	return b->ops->rename(b, BN(odir), od->name, BN(ndir), nd->name, flags);
}

static ssize_t b_readlink(struct inode *i, char *buf, size_t len)
{
	return BB(i)->ops->readlink(BB(i), BN(i), buf, len);
}

static int b_setattr(struct inode *i, const struct iattr *ia)
{
	int e = BB(i)->ops->setattr(BB(i), BN(i), ia);
	if (e)
		return e;
	struct fsb_attr a;
	if (BB(i)->ops->getattr(BB(i), BN(i), &a) == 0)
		apply(i, &a);
	return 0;
}

static int b_getattr(struct inode *i)
{
	struct fsb_attr a;
	int e = BB(i)->ops->getattr(BB(i), BN(i), &a);
	if (!e)
		apply(i, &a);
	return e;
}

int fifo_open(struct inode *i, struct file *f, struct task *t);

static int b_open(struct inode *i, struct file *f, struct task *t)
{
	struct bfile *bf = calloc(1, sizeof(*bf));
	if (!bf)
		return -ENOMEM;
	bf->fd = -1;
	if (S_ISREG(i->mode)) {
		int fl = (f->fmode & FMODE_WRITE) ? ((f->fmode & FMODE_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;
		bf->fd = BB(i)->ops->open(BB(i), BN(i), fl | (int)(f->flags & O_APPEND));
		if (bf->fd < 0) {
			int e = bf->fd;
			free(bf);
			return e;
		}
		f->priv = bf;
		f->ops = &bind_reg_ops;
		return 0;
	}
	if (S_ISDIR(i->mode)) {
		f->priv = bf;
		f->ops = &bind_dir_ops;
		return 0;
	}
	free(bf);
	if (S_ISCHR(i->mode))
		return chrdev_open(i, f, t);
	if (S_ISFIFO(i->mode))
		return fifo_open(i, f, t);
	return -ENXIO;
}

static int b_statfs(struct inode *i, struct statfs *st)
{
	return BB(i)->ops->statfs(BB(i), BN(i), st);
}

static void b_irelease(struct inode *i)
{
	struct bnode *bn = i->priv;
	if (bn) {
		BB(i)->ops->put(BB(i), bn->n);
		free(bn);
	}
}

/* The host file's own attributes (through the gofer). */
static ssize_t b_xattr(struct inode *i, int op, const char *name, void *buf, size_t len, int flags)
{
	struct fs_backend *b = BB(i);
	if (!b->ops->xattr)
		return op == XOP_GET || op == XOP_REMOVE ? -ENODATA : op == XOP_LIST ? 0 : -EOPNOTSUPP;
	if ((op == XOP_SET || op == XOP_REMOVE) && b->readonly)
		return -EROFS;
	return b->ops->xattr(b, BN(i), op, name, buf, len, flags);
}

static const struct inode_ops bind_iops = {
	.lookup = b_lookup,
	.create = b_create,
	.mkdir = b_mkdir,
	.symlink = b_symlink,
	.link = b_link,
	.unlink = b_unlink,
	.rmdir = b_rmdir,
	.rename = b_rename,
	.readlink = b_readlink,
	.setattr = b_setattr,
	.getattr = b_getattr,
	.open = b_open,
	.statfs = b_statfs,
	.xattr = b_xattr,
	.release = b_irelease,
};

static ssize_t br_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	struct bfile *bf = f->priv;
	ssize_t n = pread(bf->fd, buf, len, (off_t)*pos);
	if (n < 0)
		return -errno;
	*pos += (uint64_t)n;
	return n;
}

static ssize_t br_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	struct bfile *bf = f->priv;
	if (f->flags & O_APPEND) {
		struct fsb_attr a;
		if (BB(f->inode)->ops->getattr(BB(f->inode), BN(f->inode), &a) == 0)
			*pos = a.size;
	}
	ssize_t n = pwrite(bf->fd, buf, len, (off_t)*pos);
	if (n < 0)
		return -errno;
	*pos += (uint64_t)n;
	if (*pos > f->inode->size)
		f->inode->size = *pos;
	return n;
}

static int br_mmap(struct file *f, struct mmap_req *req)
{
	struct bfile *bf = f->priv;
	req->hostfd = bf->fd;
	return 0;
}

static int64_t br_llseek(struct file *f, int64_t off, int whence)
{
	b_getattr(f->inode);
	return generic_llseek(f, off, whence);
}

static int br_fsync(struct file *f)
{
	struct bfile *bf = f->priv;
	return fsync(bf->fd) < 0 ? -errno : 0;
}

static void b_frelease(struct file *f)
{
	struct bfile *bf = f->priv;
	if (!bf)
		return;
	if (bf->fd >= 0)
		close(bf->fd);
	for (int k = 0; k < bf->count; k++)
		free(bf->names[k]);
	free(bf->names);
	free(bf->inos);
	free(bf->types);
	free(bf);
}

static const struct file_ops bind_reg_ops = {
	.read = br_read,
	.write = br_write,
	.mmap = br_mmap,
	.llseek = br_llseek,
	.fsync = br_fsync,
	.release = b_frelease,
};

static int collect(void *ctx, const char *name, uint64_t ino, unsigned type)
{
	struct bfile *bf = ctx;
	if (bf->count == bf->cap) {
		int n = bf->cap ? bf->cap * 2 : 64;
		char **nn = realloc(bf->names, (size_t)n * sizeof(char *));
		uint64_t *ni = realloc(bf->inos, (size_t)n * sizeof(uint64_t));
		uint8_t *nt = realloc(bf->types, (size_t)n);
		if (nn)
			bf->names = nn;
		if (ni)
			bf->inos = ni;
		if (nt)
			bf->types = nt;
		if (!nn || !ni || !nt)
			return 1;
		bf->cap = n;
	}
	bf->names[bf->count] = strdup(name);
	if (!bf->names[bf->count])
		return 1;
	bf->inos[bf->count] = ino;
	bf->types[bf->count] = (uint8_t)type;
	bf->count++;
	return 0;
}

static int bd_getdents(struct file *f, struct dir_ctx *ctx)
{
	struct bfile *bf = f->priv;
	if (!bf->listed || ctx->pos == 0) {
		for (int k = 0; k < bf->count; k++)
			free(bf->names[k]);
		bf->count = 0;
		int e = BB(f->inode)->ops->readdir(BB(f->inode), BN(f->inode), collect, bf);
		if (e)
			return e;
		bf->listed = 1;
	}
	uint64_t pos = ctx->pos;
	if (pos == 0 && ctx->emit(ctx, ".", 1, f->inode->ino, DT_DIR, 1))
		return 0;
	if (ctx->pos <= 1 && ctx->emit(ctx, "..", 2, f->inode->ino, DT_DIR, 2))
		return 0;
	for (int k = (int)(ctx->pos >= 2 ? ctx->pos - 2 : 0); k < bf->count; k++) {
		if (ctx->emit(ctx, bf->names[k], strlen(bf->names[k]), bf->inos[k], bf->types[k], (uint64_t)k + 3))
			return 0;
	}
	return 0;
}

static int64_t bd_llseek(struct file *f, int64_t off, int whence)
{
	return dir_file_ops.llseek(f, off, whence);
}

static const struct file_ops bind_dir_ops = {
	.getdents = bd_getdents,
	.llseek = bd_llseek,
	.release = b_frelease,
};

static void bind_release_sb(struct super *sb)
{
	struct bsb *bs = sb->priv;
	bs->b->ops->destroy(bs->b);
	free(bs);
}

struct super *bindfs_create(struct vfs *v, struct fs_backend *b, struct fsb_node *root, int ro)
{
	struct super *sb = super_alloc(v, &bind_type, SB_NOCACHE | (ro ? SB_RDONLY : 0));
	if (!sb)
		return NULL;
	struct bsb *bs = calloc(1, sizeof(*bs));
	if (!bs) {
		free(sb);
		return NULL;
	}
	bs->b = b;
	sb->priv = bs;
	sb->release = bind_release_sb;
	struct fsb_attr a;
	if (b->ops->getattr(b, root, &a) < 0) {
		free(bs);
		free(sb);
		return NULL;
	}
	sb->root = binode(sb, root, &a);
	if (!sb->root) {
		free(bs);
		free(sb);
		return NULL;
	}
	return sb;
}
