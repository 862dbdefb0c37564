/*
 * The one interface through which the sentry reaches files it does not
 * hold itself: the overlay root's read-only lower layer and bind mounts.
 *
 * Today's implementation is the "host" backend (hostfs.c), which opens
 * host files below one directory. The gofer client (DESIGN.md "Processes")
 * implements the same operations over its socket and replaces it; nothing
 * else in the sentry may touch host paths.
 *
 * Contract:
 *   - Nodes are opaque, refcounted handles (put drops one).
 *   - Names are single components: never empty, ".", "..", or containing
 *     '/'. The backend never follows a symlink: the sentry's VFS resolves
 *     symlinks itself, so a backend must refuse to traverse one even if
 *     the tree changes underneath (hostfs uses O_NOFOLLOW per component).
 *   - open() returns a host fd the caller owns (the gofer donates it with
 *     SCM_RIGHTS), used for read/write/mmap of regular files.
 *   - Errors are -errno. Mutations on a read-only backend are -EROFS.
 */
#ifndef SENTRY_BACKEND_H
#define SENTRY_BACKEND_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

struct fs_backend;
struct fsb_node;
struct iattr;

struct fsb_attr {
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint32_t nlink;
	uint64_t size, blocks, ino, dev;
	dev_t rdev;
	struct timespec atime, mtime, ctime;
};

typedef int (*fsb_emit_fn)(void *ctx, const char *name, uint64_t ino, unsigned dtype);

struct fs_backend_ops {
	int (*root)(struct fs_backend *b, struct fsb_node **out, struct fsb_attr *a);
	int (*walk)(struct fs_backend *b, struct fsb_node *dir, const char *name,
		    struct fsb_node **out, struct fsb_attr *a);
	int (*getattr)(struct fs_backend *b, struct fsb_node *n, struct fsb_attr *a);
	/* Every entry but "." and ".."; stops early when emit returns != 0. */
	int (*readdir)(struct fs_backend *b, struct fsb_node *dir, fsb_emit_fn emit, void *ctx);
	ssize_t (*readlink)(struct fs_backend *b, struct fsb_node *n, char *buf, size_t len);
	int (*open)(struct fs_backend *b, struct fsb_node *n, int flags);
	int (*statfs)(struct fs_backend *b, struct fsb_node *n, struct statfs *st);
	void (*get)(struct fs_backend *b, struct fsb_node *n);
	void (*put)(struct fs_backend *b, struct fsb_node *n);
	/* Mutations (bind mounts). */
	int (*create)(struct fs_backend *b, struct fsb_node *dir, const char *name, mode_t mode,
		      dev_t rdev, struct fsb_node **out, struct fsb_attr *a);
	int (*mkdir)(struct fs_backend *b, struct fsb_node *dir, const char *name, mode_t mode,
		     struct fsb_node **out, struct fsb_attr *a);
	int (*symlink)(struct fs_backend *b, struct fsb_node *dir, const char *name,
		       const char *target, struct fsb_node **out, struct fsb_attr *a);
	int (*link)(struct fs_backend *b, struct fsb_node *dir, const char *name, struct fsb_node *target);
	int (*unlink)(struct fs_backend *b, struct fsb_node *dir, const char *name, int isdir);
	int (*rename)(struct fs_backend *b, struct fsb_node *odir, const char *oname,
		      struct fsb_node *ndir, const char *nname, unsigned flags);
	int (*setattr)(struct fs_backend *b, struct fsb_node *n, const struct iattr *ia);
	/* An unnamed regular file in directory dir (O_TMPFILE), open
	 * read-write: a host fd the caller owns, or -errno. For file data the
	 * sandbox keeps on the host's disk (--overlay-dir). */
	int (*tmpfile)(struct fs_backend *b, struct fsb_node *dir);
	/* Extended attributes of n, as inode_ops.xattr (XOP_*). */
	ssize_t (*xattr)(struct fs_backend *b, struct fsb_node *n, int op, const char *name, void *buf,
			 size_t len, int flags);
	void (*destroy)(struct fs_backend *b);
};

struct fs_backend {
	const struct fs_backend_ops *ops;
	int readonly;
};

/* The host backend rooted at host directory `dir` (gofer/hostfs.c), or at
 * the directory fd `fd` (taken, closed on failure). */
int hostfs_backend_create(const char *dir, int readonly, struct fs_backend **out);
int hostfs_backend_create_fd(int fd, int readonly, struct fs_backend **out);

#endif
