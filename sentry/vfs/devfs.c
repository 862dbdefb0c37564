/*
 * /dev: a tmpfs with the sandbox's device nodes, and the character device
 * drivers behind them. Device numbers are Linux's, so a device node that
 * comes from the lower layer of a --root tree works too; only the devices
 * below exist, and all of them are the sentry's own (nothing here opens a
 * host device).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <linux/random.h>

#include "vfs.h"
#include "../kernel/kernel.h"

static ssize_t null_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)f, (void)t, (void)buf, (void)len, (void)pos;
	return 0;
}

static ssize_t null_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)f, (void)t, (void)buf, (void)pos;
	return (ssize_t)len;
}

static ssize_t zero_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)f, (void)t, (void)pos;
	memset(buf, 0, len);
	return (ssize_t)len;
}

static ssize_t full_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)f, (void)t, (void)buf, (void)len, (void)pos;
	return -ENOSPC;
}

static ssize_t random_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)f, (void)t, (void)pos;
	size_t done = 0;
	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done ? (ssize_t)done : -EAGAIN;
}

static int64_t dev_llseek(struct file *f, int64_t off, int whence)
{
	(void)off, (void)whence;
	f->pos = 0;
	return 0;
}

static int zero_mmap(struct file *f, struct mmap_req *req)
{
	(void)f;
	req->anon = 1;
	return 0;
}

static long random_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	(void)f;
	if (cmd == RNDGETENTCNT) {
		int v = 256;
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	}
	if (cmd == RNDADDTOENTCNT || cmd == RNDADDENTROPY || cmd == RNDZAPENTCNT || cmd == RNDCLEARPOOL)
		return capable(t, KCAP_SYS_ADMIN) ? 0 : -EPERM;
	return -ENOTTY;
}

static const struct file_ops null_ops = { .read = null_read, .write = null_write, .llseek = dev_llseek };
static const struct file_ops zero_ops = { .read = zero_read, .write = null_write, .llseek = dev_llseek,
					   .mmap = zero_mmap };
static const struct file_ops full_ops = { .read = zero_read, .write = full_write, .llseek = dev_llseek };
static const struct file_ops random_ops = { .read = random_read, .write = null_write,
					     .llseek = dev_llseek, .ioctl = random_ioctl };

int pty_master_open(struct file *f, struct task *t);
int pty_slave_open(unsigned index, struct file *f, struct task *t);
int pty_init_devpts(struct vfs *v, struct dentry *dir);

int chrdev_open(struct inode *ino, struct file *f, struct task *t)
{
	unsigned ma = major(ino->rdev), mi = minor(ino->rdev);
	f->fmode &= ~FMODE_PREAD;
	if (ma == 1) {
		/* The memory devices take pread and pwrite (and so are
		 * sendfile's input); terminals are streams. */
		f->fmode |= FMODE_PREAD;
		switch (mi) {
		case 3:
			f->ops = &null_ops;
			return 0;
		case 5:
			f->ops = &zero_ops;
			return 0;
		case 7:
			f->ops = &full_ops;
			return 0;
		case 8:
		case 9:
			f->ops = &random_ops;
			return 0;
		}
	}
	if (ma == 5 && (mi == 0 || mi == 1))
		return console_open(t, f);
	if (ma == 5 && mi == 2)
		return pty_master_open(f, t);
	if (ma == 136)
		return pty_slave_open(mi, f, t);
	return -ENXIO;
}

static int mk(struct vfs *v, struct dentry *dir, const char *name, mode_t mode, dev_t rdev,
	      const char *target, struct dentry **out)
{
	struct inode *di = dir->inode;
	struct dentry *d = dcache_lookup(v, dir, name, strlen(name));
	if (d && d->inode)
		return -EEXIST;
	d = dentry_alloc(dir, name, strlen(name));
	if (!d)
		return -ENOMEM;
	int e;
	if (S_ISDIR(mode))
		e = di->iops->mkdir(di, d, mode);
	else if (S_ISLNK(mode))
		e = di->iops->symlink(di, d, target);
	else
		e = di->iops->create(di, d, mode, rdev);
	if (!e && out)
		*out = dentry_get(d);
	dentry_put(d);
	return e;
}

struct super *devfs_create(struct vfs *v)
{
	return tmpfs_create(v, NULL, NULL, 0, 0755);
}

int devfs_populate(struct vfs *v, struct dentry *root);
int devfs_populate(struct vfs *v, struct dentry *root)
{
	static const struct {
		const char *name;
		unsigned ma, mi;
	} devs[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 }, { "console", 5, 1 },
		{ "ptmx", 5, 2 },
	};
	int e = 0;
	for (size_t i = 0; !e && i < sizeof(devs) / sizeof(devs[0]); i++)
		e = mk(v, root, devs[i].name, S_IFCHR | 0666, makedev(devs[i].ma, devs[i].mi), NULL, NULL);
	static const struct {
		const char *name, *target;
	} links[] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
		{ "core", "/proc/kcore" },
	};
	for (size_t i = 0; !e && i < sizeof(links) / sizeof(links[0]); i++)
		e = mk(v, root, links[i].name, S_IFLNK | 0777, 0, links[i].target, NULL);
	struct dentry *pts = NULL;
	if (!e)
		e = mk(v, root, "pts", S_IFDIR | 0755, 0, NULL, &pts);
	if (!e) {
		e = pty_init_devpts(v, pts);
		dentry_put(pts);
	}
	if (!e)
		e = mk(v, root, "shm", S_IFDIR | 01777, 0, NULL, NULL);
	if (!e)
		e = mk(v, root, "mqueue", S_IFDIR | 01777, 0, NULL, NULL);
	return e;
}

/* Make a directory (for mount points) if missing; returns it referenced. */
int vfs_mkdir_internal(struct vfs *v, struct dentry *dir, const char *name, mode_t mode, struct dentry **out);
int vfs_mkdir_internal(struct vfs *v, struct dentry *dir, const char *name, mode_t mode, struct dentry **out)
{
	return mk(v, dir, name, S_IFDIR | mode, 0, NULL, out);
}
