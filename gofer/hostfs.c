/*
 * The host backend (see backend.h): files below one host directory.
 *
 * A node is (parent node, name); the backend root is a directory fd opened
 * once. Operations go through the parent's directory fd with *at() calls
 * and AT_SYMLINK_NOFOLLOW / O_NOFOLLOW, so a symlink is never followed on
 * the host, even one created underneath by somebody racing us: directory
 * fds are opened component by component with O_NOFOLLOW|O_DIRECTORY.
 * Directory fds are cached (LRU, bounded) so that a lookup costs one
 * fstatat() in the common case.
 *
 * A tree may hold mounts of the host's kernel interfaces (a root of "/"
 * holds /proc, /sys, /sys/fs/cgroup...): the backend never enters one
 * (EACCES) unless the backend's own root is of that kind, so neither a
 * sandbox nor a compromised sentry asking the gofer reaches the host's
 * /proc/1/root, sysctls or cgroups through it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../sentry/vfs/backend.h"
#include "../sentry/vfs/vfs.h"
#include "../sentry/kernel/list.h"

#define DIRFD_CACHE 256

struct fsb_node {
	uint32_t ref;
	struct fsb_node *parent;
	char *name;	/* NULL for the root */
	int dirfd;	/* O_PATH directory fd, -1 if not cached */
	struct list lru;
};

struct hostfs {
	struct fs_backend base;
	int rootfd;
	struct fsb_node *root;
	struct list lru;
	int ncached;
	long root_fstype; /* f_type of the root's file system */
};

#define H(b) ((struct hostfs *)(b))

static void to_attr(const struct stat *st, struct fsb_attr *a)
{
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->nlink = (uint32_t)st->st_nlink;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->ino = st->st_ino;
	a->dev = st->st_dev;
	a->rdev = st->st_rdev;
	a->atime = st->st_atim;
	a->mtime = st->st_mtim;
	a->ctime = st->st_ctim;
}

static int name_ok(const char *name)
{
	return name[0] && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

static void node_put(struct hostfs *h, struct fsb_node *n);

static void uncache(struct hostfs *h, struct fsb_node *n)
{
	if (n->dirfd >= 0 && n != h->root) {
		close(n->dirfd);
		n->dirfd = -1;
		list_del(&n->lru);
		h->ncached--;
	}
}

/* The host kernel's own interfaces, never entered from another fs. */
static int kernel_fs(long type)
{
	static const long kinds[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, DEVPTS_SUPER_MAGIC, CGROUP_SUPER_MAGIC,
		CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
		BPF_FS_MAGIC, 0x62656570 /* configfs */, PSTOREFS_MAGIC, EFIVARFS_MAGIC,
		0x65735543 /* fusectl */, BINFMTFS_MAGIC, 0x19800202 /* mqueue */, NSFS_MAGIC,
		SELINUX_MAGIC, SMACK_MAGIC,
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((long)(unsigned)type == (long)(unsigned)kinds[i])
			return 1;
	return 0;
}

/* 0, or -EACCES if fd is on a kernel interface other than the root's. */
static int fs_allowed(struct hostfs *h, int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	if (sf.f_type != h->root_fstype && kernel_fs(sf.f_type))
		return -EACCES;
	return 0;
}

static int dirfd_of(struct hostfs *h, struct fsb_node *n)
{
	if (n == h->root)
		return h->rootfd;
	if (n->dirfd >= 0) {
		list_del(&n->lru);
		list_add(&n->lru, &h->lru);
		return n->dirfd;
	}
	int pfd = dirfd_of(h, n->parent);
	if (pfd < 0)
		return pfd;
	int fd = openat(pfd, n->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = fs_allowed(h, fd);
	if (e) {
		close(fd);
		return e;
	}
	if (h->ncached >= DIRFD_CACHE) {
		struct fsb_node *old = list_entry(h->lru.prev, struct fsb_node, lru);
		uncache(h, old);
	}
	n->dirfd = fd;
	list_add(&n->lru, &h->lru);
	h->ncached++;
	return fd;
}

static struct fsb_node *node_new(struct fsb_node *parent, const char *name)
{
	struct fsb_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->ref = 1;
	n->dirfd = -1;
	list_init(&n->lru);
	if (parent) {
		n->name = strdup(name);
		if (!n->name) {
			free(n);
			return NULL;
		}
		n->parent = parent;
		parent->ref++;
	}
	return n;
}

static void node_put(struct hostfs *h, struct fsb_node *n)
{
	while (n && --n->ref == 0) {
		struct fsb_node *p = n->parent;
		uncache(h, n);
		free(n->name);
		free(n);
		n = p;
	}
}

static int hf_root(struct fs_backend *b, struct fsb_node **out, struct fsb_attr *a)
{
	struct hostfs *h = H(b);
	struct stat st;
	if (fstat(h->rootfd, &st) < 0)
		return -errno;
	to_attr(&st, a);
	h->root->ref++;
	*out = h->root;
	return 0;
}

static int hf_walk(struct fs_backend *b, struct fsb_node *dir, const char *name,
		   struct fsb_node **out, struct fsb_attr *a)
{
	struct hostfs *h = H(b);
	if (!name_ok(name))
		return -EINVAL;
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	struct fsb_node *n = node_new(dir, name);
	if (!n)
		return -ENOMEM;
	to_attr(&st, a);
	*out = n;
	return 0;
}

static int hf_getattr(struct fs_backend *b, struct fsb_node *n, struct fsb_attr *a)
{
	struct hostfs *h = H(b);
	struct stat st;
	if (n == h->root) {
		if (fstat(h->rootfd, &st) < 0)
			return -errno;
	} else {
		int dfd = dirfd_of(h, n->parent);
		if (dfd < 0)
			return dfd;
		if (fstatat(dfd, n->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	to_attr(&st, a);
	return 0;
}

static int hf_readdir(struct fs_backend *b, struct fsb_node *dir, fsb_emit_fn emit, void *ctx)
{
	struct hostfs *h = H(b);
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *buf = malloc(65536);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	int err = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, 65536);
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			if (emit(ctx, d->d_name, d->d_ino, d->d_type)) {
				free(buf);
				close(fd);
				return 0;
			}
		}
	}
	free(buf);
	close(fd);
	return err;
}

static ssize_t hf_readlink(struct fs_backend *b, struct fsb_node *n, char *buf, size_t len)
{
	struct hostfs *h = H(b);
	if (n == h->root)
		return -EINVAL;
	int dfd = dirfd_of(h, n->parent);
	if (dfd < 0)
		return dfd;
	ssize_t r = readlinkat(dfd, n->name, buf, len);
	return r < 0 ? -errno : r;
}

static int hf_open(struct fs_backend *b, struct fsb_node *n, int flags)
{
	struct hostfs *h = H(b);
	if ((flags & O_ACCMODE) != O_RDONLY && b->readonly)
		return -EROFS;
	flags = (flags & (O_ACCMODE | O_DIRECTORY | O_APPEND)) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		O_NONBLOCK;
	int fd;
	if (n == h->root) {
		fd = openat(h->rootfd, ".", flags);
	} else {
		int dfd = dirfd_of(h, n->parent);
		if (dfd < 0)
			return dfd;
		fd = openat(dfd, n->name, flags);
	}
	if (fd < 0)
		return -errno;
	/* Only regular files and directories are served through fds: a
	 * host FIFO or device must never be opened on the sandbox's behalf. */
	struct stat st;
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		close(fd);
		return -ENXIO;
	}
	int e = fs_allowed(h, fd);
	if (e) {
		close(fd);
		return e;
	}
	/* Reads of regular files must not see O_NONBLOCK semantics. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static int hf_statfs(struct fs_backend *b, struct fsb_node *n, struct statfs *st)
{
	struct hostfs *h = H(b);
	int fd = n->dirfd >= 0 ? n->dirfd : h->rootfd;
	if (n != h->root && n->parent && n->dirfd < 0) {
		int r = dirfd_of(h, n->parent);
		if (r >= 0)
			fd = r;
	}
	return fstatfs(fd, st) < 0 ? -errno : 0;
}

static void hf_get(struct fs_backend *b, struct fsb_node *n)
{
	(void)b;
	n->ref++;
}

static void hf_put(struct fs_backend *b, struct fsb_node *n)
{
	node_put(H(b), n);
}

static int walk_new(struct fs_backend *b, struct fsb_node *dir, const char *name,
		    struct fsb_node **out, struct fsb_attr *a)
{
	if (!out)
		return 0;
	return hf_walk(b, dir, name, out, a);
}

static int hf_create(struct fs_backend *b, struct fsb_node *dir, const char *name, mode_t mode,
		     dev_t rdev, struct fsb_node **out, struct fsb_attr *a)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	if (!name_ok(name))
		return -EINVAL;
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	if (S_ISREG(mode)) {
		int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
				mode & 07777);
		if (fd < 0)
			return -errno;
		close(fd);
	} else if (S_ISFIFO(mode) || S_ISSOCK(mode)) {
		if (mknodat(dfd, name, mode, 0) < 0)
			return -errno;
	} else {
		(void)rdev;
		return -EPERM; /* no host device nodes from the sandbox */
	}
	return walk_new(b, dir, name, out, a);
}

static int hf_mkdir(struct fs_backend *b, struct fsb_node *dir, const char *name, mode_t mode,
		    struct fsb_node **out, struct fsb_attr *a)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	if (!name_ok(name))
		return -EINVAL;
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	if (mkdirat(dfd, name, mode & 07777) < 0)
		return -errno;
	return walk_new(b, dir, name, out, a);
}

static int hf_symlink(struct fs_backend *b, struct fsb_node *dir, const char *name,
		      const char *target, struct fsb_node **out, struct fsb_attr *a)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	if (!name_ok(name))
		return -EINVAL;
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	if (symlinkat(target, dfd, name) < 0)
		return -errno;
	return walk_new(b, dir, name, out, a);
}

static int hf_link(struct fs_backend *b, struct fsb_node *dir, const char *name, struct fsb_node *target)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	if (!name_ok(name) || target == h->root)
		return -EINVAL;
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	int ofd = dirfd_of(h, target->parent);
	if (ofd < 0)
		return ofd;
	if (linkat(ofd, target->name, dfd, name, 0) < 0)
		return -errno;
	return 0;
}

static int hf_unlink(struct fs_backend *b, struct fsb_node *dir, const char *name, int isdir)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	if (!name_ok(name))
		return -EINVAL;
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, name, isdir ? AT_REMOVEDIR : 0) < 0)
		return -errno;
	return 0;
}

static int hf_rename(struct fs_backend *b, struct fsb_node *odir, const char *oname,
		     struct fsb_node *ndir, const char *nname, unsigned flags)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	if (!name_ok(oname) || !name_ok(nname))
		return -EINVAL;
	int ofd = dirfd_of(h, odir);
	if (ofd < 0)
		return ofd;
	int nfd = dirfd_of(h, ndir);
	if (nfd < 0)
		return nfd;
	if (syscall(SYS_renameat2, ofd, oname, nfd, nname, flags) < 0)
		return -errno;
	return 0;
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* Where *at() calls reach n: its parent's directory fd and its name, or
 * for the root the root's own fd and "" (for AT_EMPTY_PATH). */
static int node_at(struct hostfs *h, struct fsb_node *n, const char **name)
{
	if (n == h->root) {
		*name = "";
		return h->rootfd;
	}
	*name = n->name;
	return dirfd_of(h, n->parent);
}

static int hf_setattr(struct fs_backend *b, struct fsb_node *n, const struct iattr *ia)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	const char *name;
	int dfd = node_at(h, n, &name);
	if (dfd < 0)
		return dfd;
	int empty = name[0] ? 0 : AT_EMPTY_PATH;
	if (ia->valid & ATTR_MODE) {
		if (syscall(SYS_fchmodat2, dfd, name, ia->mode & 07777, AT_SYMLINK_NOFOLLOW | empty) < 0)
			return -errno;
	}
	if (ia->valid & (ATTR_UID | ATTR_GID)) {
		uid_t u = (ia->valid & ATTR_UID) ? ia->uid : (uid_t)-1;
		gid_t g = (ia->valid & ATTR_GID) ? ia->gid : (gid_t)-1;
		if (fchownat(dfd, name, u, g, AT_SYMLINK_NOFOLLOW | empty) < 0)
			return -errno;
	}
	if (ia->valid & ATTR_SIZE) {
		int fd = n == h->root ? -1 : openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return n == h->root ? -EISDIR : -errno;
		int r = ftruncate(fd, (off_t)ia->size);
		int e = errno;
		close(fd);
		if (r < 0)
			return -e;
	}
	if (ia->valid & (ATTR_ATIME | ATTR_MTIME)) {
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
		if (ia->valid & ATTR_ATIME)
			ts[0] = ia->atime;
		if (ia->valid & ATTR_MTIME)
			ts[1] = ia->mtime;
		if (n == h->root) {
			if (futimens(h->rootfd, ts) < 0)
				return -errno;
		} else if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0) {
			return -errno;
		}
	}
	return 0;
}

static int hf_tmpfile(struct fs_backend *b, struct fsb_node *dir)
{
	struct hostfs *h = H(b);
	if (b->readonly)
		return -EROFS;
	int dfd = dirfd_of(h, dir);
	if (dfd < 0)
		return dfd;
	int fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

/* The *xattrat calls (Linux 6.13) work on a name below a directory fd
 * without following it; older kernels: the file opened, then f*xattr. */
#define NR_setxattrat 463
#define NR_getxattrat 464
#define NR_listxattrat 465
#define NR_removexattrat 466

struct xattr_at_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static ssize_t xattr_fd(int fd, int op, const char *name, void *buf, size_t len, int flags)
{
	ssize_t r = op == XOP_GET    ? fgetxattr(fd, name, buf, len)
		    : op == XOP_LIST ? flistxattr(fd, buf, len)
		    : op == XOP_SET  ? fsetxattr(fd, name, buf, len, flags)
				     : fremovexattr(fd, name);
	return r < 0 ? -errno : r;
}

static ssize_t hf_xattr(struct fs_backend *b, struct fsb_node *n, int op, const char *name, void *buf, size_t len,
			int flags)
{
	struct hostfs *h = H(b);
	if ((op == XOP_SET || op == XOP_REMOVE) && b->readonly)
		return -EROFS;
	const char *path;
	int dfd = node_at(h, n, &path);
	if (dfd < 0)
		return dfd;
	/* (the root's fd is O_PATH, which xattr calls refuse: below, opened) */
	if (path[0]) {
		struct xattr_at_args a = { (uint64_t)(uintptr_t)buf, (uint32_t)len,
					   (uint32_t)(op == XOP_SET ? flags : 0) };
		int at = AT_SYMLINK_NOFOLLOW;
		long r = op == XOP_GET	  ? syscall(NR_getxattrat, dfd, path, at, name, &a, sizeof(a))
			 : op == XOP_LIST ? syscall(NR_listxattrat, dfd, path, at, buf, len)
			 : op == XOP_SET  ? syscall(NR_setxattrat, dfd, path, at, name, &a, sizeof(a))
					  : syscall(NR_removexattrat, dfd, path, at, name);
		if (r >= 0)
			return r;
		if (errno != ENOSYS)
			return -errno;
	}
	/* (no *xattrat, or the root: regular files and directories through
	 * an fd) */
	int fd = path[0] ? openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
			 : openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EOPNOTSUPP : -errno;
	struct stat st;
	ssize_t e = fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
			    ? xattr_fd(fd, op, name, buf, len, flags)
			    : -EOPNOTSUPP;
	close(fd);
	return e;
}

static void hf_destroy(struct fs_backend *b)
{
	struct hostfs *h = H(b);
	while (!list_empty(&h->lru))
		uncache(h, list_entry(h->lru.next, struct fsb_node, lru));
	close(h->rootfd);
	free(h->root);
	free(h);
}

static const struct fs_backend_ops hostfs_ops = {
	.root = hf_root,
	.walk = hf_walk,
	.getattr = hf_getattr,
	.readdir = hf_readdir,
	.readlink = hf_readlink,
	.open = hf_open,
	.statfs = hf_statfs,
	.get = hf_get,
	.put = hf_put,
	.create = hf_create,
	.mkdir = hf_mkdir,
	.symlink = hf_symlink,
	.link = hf_link,
	.unlink = hf_unlink,
	.rename = hf_rename,
	.setattr = hf_setattr,
	.tmpfile = hf_tmpfile,
	.xattr = hf_xattr,
	.destroy = hf_destroy,
};

int hostfs_backend_create_fd(int fd, int readonly, struct fs_backend **out)
{
	if (fd < 0)
		return fd;
	struct hostfs *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->rootfd = fd;
	struct statfs sf;
	h->root_fstype = fstatfs(h->rootfd, &sf) == 0 ? sf.f_type : 0;
	h->root = node_new(NULL, NULL);
	if (!h->root) {
		close(h->rootfd);
		free(h);
		return -ENOMEM;
	}
	h->root->ref = 1 << 30; /* never freed by puts */
	list_init(&h->lru);
	h->base.ops = &hostfs_ops;
	h->base.readonly = readonly;
	*out = &h->base;
	return 0;
}

int hostfs_backend_create(const char *dir, int readonly, struct fs_backend **out)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return hostfs_backend_create_fd(fd, readonly, out);
}
