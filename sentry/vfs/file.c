/* Open file descriptions and the generic file operations. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "vfs.h"
#include "../kernel/kernel.h"

void eventpoll_release(struct file *f);
void locks_remove_owner(struct inode *i, void *owner);

struct file *file_alloc(const struct file_ops *ops, unsigned flags, void *priv)
{
	struct file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ref = 1;
	f->ops = ops;
	f->flags = flags;
	f->priv = priv;
	list_init(&f->epitems);
	int acc = (int)(flags & O_ACCMODE);
	if (acc == O_RDONLY || acc == O_RDWR)
		f->fmode |= FMODE_READ;
	if (acc == O_WRONLY || acc == O_RDWR)
		f->fmode |= FMODE_WRITE;
	return f;
}

struct file *file_get(struct file *f)
{
	if (f)
		f->ref++;
	return f;
}

void file_put(struct file *f)
{
	if (!f || --f->ref)
		return;
	if (inotify_instances && f->path.dentry && (f->fmode & (FMODE_READ | FMODE_WRITE)))
		fsnotify_child(f->path.dentry, (f->fmode & FMODE_WRITE) ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
	if (!list_empty(&f->epitems))
		eventpoll_release(f);
	if (f->inode && f->inode->locks)
		locks_remove_owner(f->inode, f); /* OFD and flock locks */
	if (f->ops && f->ops->release)
		f->ops->release(f);
	path_put(&f->path);
	inode_put(f->inode);
	free(f);
}

static const struct fs_type anon_type = { "anon_inodefs", 0x09041934 };
static struct super *anon_sb;

struct file *file_anon(struct vfs *v, const struct file_ops *ops, unsigned flags, void *priv,
		       mode_t mode)
{
	if (!anon_sb) {
		anon_sb = super_alloc(v, &anon_type, 0);
		if (!anon_sb)
			return NULL;
	}
	struct file *f = file_alloc(ops, flags, priv);
	if (!f)
		return NULL;
	static const struct inode_ops anon_iops = { 0 };
	f->inode = inode_alloc(anon_sb, mode, &anon_iops);
	if (!f->inode) {
		free(f);
		return NULL;
	}
	f->inode->ino = v->anon_ino++;
	f->inode->uid = 0;
	f->fmode |= FMODE_STREAM;
	return f;
}

ssize_t file_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	if (!(f->fmode & FMODE_READ))
		return -EBADF;
	if (!f->ops || !f->ops->read)
		return f->inode && S_ISDIR(f->inode->mode) ? -EISDIR : -EINVAL;
	ssize_t r = f->ops->read(f, t, buf, len, pos);
	if (r > 0 && inotify_instances)
		fsnotify_child(f->path.dentry, IN_ACCESS);
	return r;
}

ssize_t file_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	if (!(f->fmode & FMODE_WRITE))
		return -EBADF;
	if (!f->ops || !f->ops->write)
		return -EINVAL;
	ssize_t r = f->ops->write(f, t, buf, len, pos);
	if (r > 0 && inotify_instances)
		fsnotify_child(f->path.dentry, IN_MODIFY);
	return r;
}

/*
 * The current position of a file, for calls that work on a copy of it
 * (copy_file_range, sendfile) rather than through &f->pos. f->pos alone
 * is not the truth for every file: a host file passed in as stdio
 * (vfs/hostio.c) reads and writes at the host description's offset, which
 * the program's read(2)/write(2) move and which processes outside the
 * sandbox share. So ask the file's llseek, and set the new position
 * through it too.
 */
uint64_t file_pos_get(struct file *f)
{
	if (f->ops && f->ops->llseek) {
		int64_t r = f->ops->llseek(f, 0, SEEK_CUR);
		if (r >= 0)
			return (uint64_t)r;
	}
	return f->pos;
}

void file_pos_set(struct file *f, uint64_t pos)
{
	if (f->ops && f->ops->llseek && f->ops->llseek(f, (int64_t)pos, SEEK_SET) >= 0)
		return;
	f->pos = pos;
}

uint32_t file_poll(struct file *f, struct task *t)
{
	if (!f->ops || !f->ops->poll)
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	return f->ops->poll(f, t);
}

struct waitq *file_waitq(struct file *f, struct task *t)
{
	if (!f->ops || !f->ops->waitq)
		return NULL;
	return f->ops->waitq(f, t);
}

int64_t generic_llseek(struct file *f, int64_t off, int whence)
{
	int64_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
		base = f->inode ? (int64_t)f->inode->size : 0;
		break;
	case SEEK_DATA:
		if (!f->inode || off < 0 || (uint64_t)off >= f->inode->size)
			return -ENXIO;
		f->pos = (uint64_t)off;
		return off;
	case SEEK_HOLE:
		if (!f->inode || off < 0 || (uint64_t)off >= f->inode->size)
			return -ENXIO;
		f->pos = f->inode->size;
		return (int64_t)f->pos;
	default:
		return -EINVAL;
	}
	int64_t n = base + off;
	if ((off > 0 && n < base) || n < 0)
		return -EINVAL;
	f->pos = (uint64_t)n;
	return n;
}

static unsigned dtype_of(mode_t m)
{
	return (m & S_IFMT) >> 12;
}

int dcache_getdents(struct file *f, struct dir_ctx *ctx)
{
	struct dentry *dir = f->path.dentry;
	if (ctx->pos == 0) {
		if (ctx->emit(ctx, ".", 1, dir->inode->ino, DT_DIR, 1))
			return 0;
	}
	if (ctx->pos == 1) {
		struct dentry *p = dir->parent ? dir->parent : dir;
		uint64_t ino = p->inode ? p->inode->ino : dir->inode->ino;
		if (ctx->emit(ctx, "..", 2, ino, DT_DIR, 2))
			return 0;
	}
	struct list *l;
	list_for_each(l, &dir->subdirs)
	{
		struct dentry *c = list_entry(l, struct dentry, child);
		if (c->seq <= ctx->pos)
			continue;
		if (!c->inode && !(c->flags & D_LAZY))
			continue;
		uint64_t ino = c->inode ? c->inode->ino : c->lazy_ino;
		unsigned type = c->inode ? dtype_of(c->inode->mode) : c->lazy_type;
		if (ctx->emit(ctx, c->name, strlen(c->name), ino, type, c->seq))
			return 0;
	}
	return 0;
}

static int64_t dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_SET && off >= 0) {
		f->pos = (uint64_t)off;
		return off;
	}
	if (whence == SEEK_CUR && (int64_t)f->pos + off >= 0) {
		f->pos = (uint64_t)((int64_t)f->pos + off);
		return (int64_t)f->pos;
	}
	return -EINVAL;
}

const struct file_ops dir_file_ops = {
	.getdents = dcache_getdents,
	.llseek = dir_llseek,
};

/* O_PATH descriptors: usable as a directory fd and for fstat only. */
const struct file_ops path_file_ops = { 0 };
