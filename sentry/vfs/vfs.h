/*
 * The sentry's virtual file system: inodes, dentries, mounts, open files.
 *
 * Objects and their lifetimes:
 *   inode   a file, directory, device, ... of one filesystem (struct super).
 *           Refcounted; released through iops->release when the last
 *           reference goes.
 *   dentry  a name in a directory, pointing at an inode (or negative).
 *           Dentries form the tree ".." walks; each holds a reference on its
 *           parent. Cached dentries are indexed by (parent, name) in one
 *           hash. tmpfs keeps its whole tree as dentries (the dcache is its
 *           directory structure); the overlay root adds lower-layer entries
 *           lazily (tmpfs.c).
 *   mount   a filesystem attached at a dentry of another mount.
 *   path    (mount, dentry): what a cwd, a root or an open file refers to.
 *   file    an open file description: ops, flags, offset. Shared by fds.
 *
 * Errors are -errno everywhere. Nothing here blocks: a file op that would
 * block returns -EAGAIN and the caller waits on the file's wait queue
 * (fops->waitq) for the poll events it needs.
 */
#ifndef SENTRY_VFS_H
#define SENTRY_VFS_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

#include "../kernel/list.h"
#include "../kernel/waitq.h"

struct task;
struct kernel;
struct inode;
struct dentry;
struct mount;
struct super;
struct file;
struct fs_backend;
struct fsb_node;

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

/* setattr fields */
#define ATTR_MODE 0x01
#define ATTR_UID 0x02
#define ATTR_GID 0x04
#define ATTR_SIZE 0x08
#define ATTR_ATIME 0x10
#define ATTR_MTIME 0x20
#define ATTR_CTIME 0x40

struct iattr {
	unsigned valid;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint64_t size;
	struct timespec atime, mtime, ctime;
};

struct inode_ops {
	/* Fill d->inode for the name d->name in dir, or -ENOENT (the dentry
	 * is then cached negative unless the fs says otherwise). */
	int (*lookup)(struct inode *dir, struct dentry *d);
	int (*create)(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev);
	int (*mkdir)(struct inode *dir, struct dentry *d, mode_t mode);
	int (*symlink)(struct inode *dir, struct dentry *d, const char *target);
	int (*link)(struct inode *dir, struct dentry *d, struct inode *old);
	int (*unlink)(struct inode *dir, struct dentry *d);
	int (*rmdir)(struct inode *dir, struct dentry *d);
	int (*rename)(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
		      unsigned flags);
	/* Returns the length (not NUL-terminated) or -errno. */
	ssize_t (*readlink)(struct inode *ino, char *buf, size_t len);
	/* Magic links (/proc/self/fd/N, /proc/self/exe): resolve to a path
	 * without text. Returns 0 and a referenced path, 1 to resolve the
	 * readlink text instead, or -errno. */
	int (*get_link)(struct inode *ino, struct task *t, struct path *out);
	int (*setattr)(struct inode *ino, const struct iattr *ia);
	/* Refresh cached attributes (filesystems backed by something that
	 * can change underneath). */
	int (*getattr)(struct inode *ino);
	/* Set f->ops and f->priv for an open of this inode. */
	int (*open)(struct inode *ino, struct file *f, struct task *t);
	int (*statfs)(struct inode *ino, struct statfs *st);
	/* Extended attributes (vfs_xattr has checked the name, the caller's
	 * rights and the mount): XOP_GET copies the value into buf (len
	 * bytes at most) and returns its length; XOP_LIST the NUL-separated
	 * names; XOP_SET stores buf/len with flags XATTR_CREATE/REPLACE;
	 * XOP_REMOVE. -ERANGE if buf is too small; -ENODATA if absent. NULL:
	 * the file system stores none. */
	ssize_t (*xattr)(struct inode *ino, int op, const char *name, void *buf, size_t len, int flags);
	/* Last reference dropped. */
	void (*release)(struct inode *ino);
};

/* File-system wide properties. */
#define SB_NOCACHE 0x1	 /* lookups are never cached (procfs) */
#define SB_RDONLY 0x2
#define SB_NOEXEC 0x4

struct fs_type {
	const char *name;
	unsigned long magic; /* statfs f_type */
};

struct super {
	const struct fs_type *type;
	uint64_t dev; /* st_dev */
	unsigned flags;
	struct inode *root;
	void *priv;
	uint64_t next_ino;
	uint32_t ref;
	/* The user namespace that made it by mount(2) (referenced), whose
	 * CAP_SYS_ADMIN a remount needs; NULL: the sandbox's. */
	struct userns *owner;
	/* Frees priv when the last inode and mount are gone. */
	void (*release)(struct super *sb);
};
void super_put(struct super *sb);

/* Inode flags */
#define I_COMPLETE 0x1 /* all children of this directory are in the dcache */

struct lock_state; /* record and flock locks (locks.c) */

struct iwatch;

struct inode {
	uint32_t ref;
	uint32_t flags;
	struct super *sb;
	const struct inode_ops *iops;
	uint64_t ino;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint32_t nlink;
	uint64_t size;
	uint64_t blocks; /* 512-byte units */
	dev_t rdev;
	struct timespec atime, mtime, ctime;
	void *priv;
	struct lock_state *locks;
	/* Host (dev, ino) of the data a mapping of it donates, for
	 * /proc/pid/maps naming; 0 when unknown. */
	uint64_t host_dev, host_ino;
	/* FIFO pipe or bound AF_UNIX socket living at this inode. */
	void *ipc;
	void (*ipc_release)(struct inode *i);
	struct iwatch *marks; /* inotify watches (inotify.c) */
};

/* Dentry flags */
#define D_HASHED 0x1	 /* in the dcache hash */
#define D_MOUNTED 0x2	 /* something is mounted here (in some mount namespace) */
#define D_WHITEOUT 0x4	 /* negative and hides a lower entry (overlay) */
#define D_LAZY 0x8	 /* positive, inode not yet read (overlay listing) */
#define D_DELETED 0x10	 /* unlinked while still referenced */

struct dentry {
	uint32_t ref;
	uint32_t flags;
	char *name;
	uint32_t hash;
	struct dentry *parent; /* NULL only for a super's root */
	struct super *sb;
	struct inode *inode;   /* NULL: negative */
	struct dentry *hnext;
	struct list child;     /* in parent->subdirs, in creation order */
	struct list subdirs;
	uint64_t seq;	       /* directory position (getdents offset) */
	uint64_t next_seq;     /* for children */
	/* D_LAZY: what the lower listing said */
	uint8_t lazy_type;
	uint64_t lazy_ino;
	uint32_t nmounted;     /* mounts on it, in all namespaces (D_MOUNTED while > 0) */
};

/* The mounts of one mount namespace (ns.h's mntns holds one; the
 * sandbox's initial one is the vfs's own). Each mount in it holds one
 * reference for the tree. */
struct mnt_tree {
	struct mount *root;
	struct list mounts; /* in mount order: a parent before its children */
	int count;
};

struct mount {
	uint32_t ref;
	struct super *sb;
	struct dentry *root;	   /* root of this mount in sb */
	struct mount *parent;	   /* NULL for the namespace root and detached mounts */
	struct dentry *mountpoint; /* in parent */
	unsigned flags;		   /* MS_RDONLY, MS_NOEXEC, ... */
	unsigned locked;	   /* flags of these that a remount may not clear */
	int pinned;		   /* copied into a less privileged namespace: it may
				    * not be unmounted or moved there (what is
				    * under it stays hidden; Linux's MNT_LOCKED) */
	struct list children;
	struct list sibling;
	char *source;		   /* for /proc/mounts */
	struct list all;	   /* in tree->mounts */
	struct mnt_tree *tree;	   /* NULL once detached: then parent is NULL too */
	int id;			   /* mountinfo's mount ID */
	/* Propagation, as mountinfo shows it: the peer group when shared,
	 * the master's group when a slave, or unbindable. Mount events do
	 * not propagate between peers: the types are kept and shown only. */
	int group, master, unbindable;
	struct mount *copy;	   /* mnt_tree_copy's scratch */
	struct list global;	   /* in vfs->all_mounts, while it lives */
	int expiry;		   /* umount2(MNT_EXPIRE) marked it; any use clears it */
};

/* ---- open files ---- */

struct dir_ctx; /* getdents sink (see file.c) */
struct mmap_req;
struct pollwait;

struct file_ops {
	/* pos is the file position to use and advance (NULL for streams). */
	ssize_t (*read)(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos);
	ssize_t (*write)(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos);
	/* Streams: put back the tail of what read returned, when it could
	 * not be copied to the application (EFAULT must not lose data). */
	void (*unread)(struct file *f, const void *buf, size_t len);
	/* Current readiness (POLLIN|POLLOUT|...); NULL means always ready. */
	uint32_t (*poll)(struct file *f, struct task *t);
	/* Where readiness changes are announced; NULL: never changes. */
	struct waitq *(*waitq)(struct file *f, struct task *t);
	long (*ioctl)(struct file *f, struct task *t, unsigned long cmd, uint64_t arg);
	/* Fill the host fd a mapping of this file is made from. */
	int (*mmap)(struct file *f, struct mmap_req *req);
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	int (*getdents)(struct file *f, struct dir_ctx *ctx);
	int (*fsync)(struct file *f);
	/* F_SETFL changed f->flags (O_NONBLOCK, O_APPEND, O_ASYNC). */
	void (*setfl)(struct file *f);
	/* Printed in /proc/pid/fd for anonymous files ("pipe:[123]"). */
	int (*name)(struct file *f, char *buf, size_t len);
	void (*release)(struct file *f);
	/* write() sees zero-length writes too (Linux's proc handlers parse
	 * the empty string: EINVAL); others get 0 without a call. */
	unsigned zero_len_write : 1;
};

struct mmap_req {
	int prot, flags;
	uint64_t offset;
	int hostfd;   /* out: host fd to map (owned by the file), or -1 */
	int anon;     /* out: map anonymous memory instead (/dev/zero) */
};

/* File mode bits (beyond O_* flags) */
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_PREAD 0x4	  /* positional I/O allowed (seekable) */
#define FMODE_STREAM 0x8  /* no position (pipes, sockets) */

struct epitem;

struct file {
	uint32_t ref;
	unsigned flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | ... */
	unsigned fmode;
	uint64_t pos;
	const struct file_ops *ops;
	struct path path;     /* may be {NULL, NULL} for anonymous files */
	struct inode *inode;  /* referenced; may be NULL for anonymous files */
	void *priv;
	struct list epitems;  /* epoll items watching this file */
	void *dir_cursor;     /* getdents position helper (file.c) */
	int owner_pid;	      /* F_SETOWN */
	int sig;	      /* F_SETSIG */
};

/* ---- the VFS of one sandbox ---- */

struct vfs {
	struct kernel *k;
	struct mnt_tree init;	   /* the mounts of the sandbox's mount namespace */
	int next_mnt_id, next_group;
	struct list all_mounts;	   /* every mount alive, attached or not (peer groups) */
	struct dentry **hash;	   /* dcache */
	size_t hash_size, hash_count;
	uint64_t next_dev;
	struct fs_backend *host;   /* the host backend (root's lower layer) */
	uint64_t anon_ino;	   /* inode numbers of anonymous files */
	/* All tmpfs file data (host memory): used and the ceiling, in bytes;
	 * writes past it are ENOSPC (Linux's tmpfs default: half of RAM). */
	uint64_t tmpfs_used, tmpfs_limit;
};

/* Lifetime */
int vfs_create(struct kernel *k, struct vfs **out);
void vfs_destroy(struct vfs *v);

/* Refcounting */
struct inode *inode_get(struct inode *i);
void inode_put(struct inode *i);
struct dentry *dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
struct mount *mount_get(struct mount *m);
void mount_put(struct mount *m);
void path_get(struct path *p);
void path_put(struct path *p);
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* Creation helpers for filesystems */
struct super *super_alloc(struct vfs *v, const struct fs_type *type, unsigned flags);
struct inode *inode_alloc(struct super *sb, mode_t mode, const struct inode_ops *iops);
struct dentry *dentry_alloc_root(struct super *sb, struct inode *root);
/* A new child dentry of parent named name (not hashed). */
struct dentry *dentry_alloc(struct dentry *parent, const char *name, size_t len);
/* dcache */
struct dentry *dcache_lookup(struct vfs *v, struct dentry *parent, const char *name, size_t len);
void dcache_add(struct vfs *v, struct dentry *d);
void dcache_remove(struct vfs *v, struct dentry *d);
/* Rename/reparent d (hashed or not) to `name` under `parent`, and hash it. */
int dentry_move(struct vfs *v, struct dentry *d, struct dentry *parent, const char *name);
/* Set/replace d's inode (takes the caller's reference). */
void dentry_instantiate(struct dentry *d, struct inode *ino);
void inode_touch(struct inode *i, unsigned which); /* ATTR_ATIME|MTIME|CTIME = now */
void vfs_now(struct timespec *ts);

/* Mounts */
int vfs_mount(struct vfs *v, struct path *at, struct super *sb, struct dentry *root,
	      unsigned flags, const char *source);
/* The mount on top of (mnt, d), or NULL. */
struct mount *mount_lookup(struct vfs *v, struct mount *mnt, struct dentry *d);

/* Mount namespaces (mount.c). mnt_tree_copy fills the empty tree `to`
 * with a copy of `from` (unbindable mounts included: a namespace copy,
 * not a bind), shared mounts becoming slaves when to_slave; each path of
 * remap that is on a mount of `from` moves to its copy. */
void mnt_tree_init(struct mnt_tree *tr);
int mnt_tree_copy(struct vfs *v, struct mnt_tree *from, struct mnt_tree *to, int to_slave,
		  struct path *const remap[], int nremap);
/* A mount of sb's root in no tree (what the files of namespaces and
 * anonymous files hang on: no umount can take it away). */
struct mount *vfs_internal_mount(struct vfs *v, struct super *sb);
/* Whether p is root or below it, across mounts. */
int vfs_path_under(const struct path *p, const struct path *root);
/* A referenced path to the root of tr (the top mount there). */
void mnt_tree_root(struct mnt_tree *tr, struct path *out);
/* Detach every mount of tr (its namespace is gone). */
void mnt_tree_dissolve(struct mnt_tree *tr);
/* mount(2) and umount2(2) by task t in its namespace's tree tr; may:
 * t has CAP_SYS_ADMIN over that namespace. The strings are copied in
 * already (NULL where the caller passed NULL). */
int vfs_do_mount(struct task *t, struct mnt_tree *tr, int may, const char *source, const char *target,
		 const char *type, unsigned long flags, const char *data);
int vfs_do_umount(struct task *t, struct mnt_tree *tr, int may, const char *target, int flags);
/* pivot_root(2): on success *old_root and *new_root (referenced) are
 * t's root before and the new one, for the caller to move every task's
 * root and cwd that was at the old one. */
int vfs_do_pivot_root(struct task *t, struct mnt_tree *tr, int may, const char *new_root, const char *put_old,
		      struct path *old_root, struct path *new_root_out);

/* ---- path resolution (namei.c) ---- */

#define LOOKUP_FOLLOW 0x1     /* follow a final symlink */
#define LOOKUP_DIRECTORY 0x2  /* the result must be a directory */
#define LOOKUP_PARENT 0x4     /* stop at the parent; return the last name */
#define LOOKUP_EMPTY 0x8      /* "" means the start directory itself */
#define LOOKUP_NO_AUTOMOUNT 0x10
#define LOOKUP_BENEATH 0x20

struct nameidata {
	struct path path;     /* result (referenced) */
	char last[256];	      /* LOOKUP_PARENT: the final component */
	int last_len;
	int last_dot;	      /* final component was "." or ".." */
	int trailing_slash;
};

/* dirfd: AT_FDCWD or an fd of t. On success nd->path holds references. */
int namei(struct task *t, int dirfd, const char *name, unsigned flags, struct nameidata *nd);
/* Resolve relative to an explicit start path. */
int namei_at(struct task *t, const struct path *start, const char *name, unsigned flags,
	     struct nameidata *nd);
/* Look up one name in a directory path (no symlink following at the end);
 * returns a referenced dentry, maybe negative. */
int vfs_lookup_one(struct task *t, struct path *dir, const char *name, size_t len,
		   struct dentry **out);
/* The path's text as seen from root (for getcwd, /proc). Returns length. */
int vfs_path_text(const struct path *root, const struct path *p, char *buf, size_t len);

/* ---- operations on names (namei.c) ---- */

int vfs_permission(struct task *t, struct inode *i, int mask); /* MAY_* below */

/* Extended attributes (xattr.c). */
#define XOP_GET 0
#define XOP_SET 1
#define XOP_LIST 2
#define XOP_REMOVE 3
#define XATTR_VALUE_MAX 65536
/* op on inode i reached by p (p->mnt may be NULL): Linux's checks of the
 * name, the namespace and the caller's rights, then the file system's
 * op. buf is the kernel's copy of the value (GET/LIST: filled). */
ssize_t vfs_xattr(struct task *t, struct inode *i, const struct path *p, int op, const char *name, void *buf,
		  size_t len, int flags);
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4

int vfs_open(struct task *t, int dirfd, const char *name, int flags, mode_t mode, struct file **out);
int vfs_open_path(struct task *t, struct path *p, int flags, struct file **out);
int vfs_mknod(struct task *t, int dirfd, const char *name, mode_t mode, dev_t dev);
int vfs_mkdir(struct task *t, int dirfd, const char *name, mode_t mode);
int vfs_rmdir(struct task *t, int dirfd, const char *name);
int vfs_unlink(struct task *t, int dirfd, const char *name);
int vfs_symlink(struct task *t, const char *target, int dirfd, const char *name);
int vfs_link(struct task *t, int olddirfd, const char *oldname, int newdirfd, const char *newname,
	     int flags);
int vfs_rename(struct task *t, int odirfd, const char *oname, int ndirfd, const char *nname,
	       unsigned flags);
int vfs_setattr(struct task *t, struct inode *i, struct iattr *ia);
int vfs_truncate(struct task *t, struct inode *i, uint64_t size);
void vfs_fill_stat(struct inode *i, struct stat *st);

/* ---- open files (file.c) ---- */

struct file *file_alloc(const struct file_ops *ops, unsigned flags, void *priv);
/* An anonymous file (pipe, eventfd, ...) with its own small inode. */
struct file *file_anon(struct vfs *v, const struct file_ops *ops, unsigned flags, void *priv,
		       mode_t mode);
ssize_t file_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos);
ssize_t file_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos);
uint32_t file_poll(struct file *f, struct task *t);
struct waitq *file_waitq(struct file *f, struct task *t);

/* getdents: a sink that collects linux_dirent64 records. */
struct dir_ctx {
	/* Returns 0 to continue, 1 when the buffer is full. */
	int (*emit)(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
		    uint64_t next_pos);
	uint64_t pos; /* current position (f->pos) */
};
/* Generic getdents over a dcache-complete directory (tmpfs, devfs). */
int dcache_getdents(struct file *f, struct dir_ctx *ctx);
/* Generic file ops for directories whose children are all dentries. */
extern const struct file_ops dir_file_ops;
int64_t generic_llseek(struct file *f, int64_t off, int whence);
uint64_t file_pos_get(struct file *f);
void file_pos_set(struct file *f, uint64_t pos);

/* Device numbers of character devices (devfs.c). */
int chrdev_open(struct inode *ino, struct file *f, struct task *t);
/* /dev/tty: the caller's controlling terminal (hostio.c). */
int console_open(struct task *t, struct file *f);
/* Pipes seen by splice/tee (pipe.c): NULL if f is not a pipe or FIFO. */
struct pipe;
struct pipe *file_pipe(struct file *f);
size_t pipe_avail(struct pipe *p);
size_t pipe_room(struct pipe *p);
int pipe_has_writers(struct pipe *p);
int pipe_has_readers(struct pipe *p);
size_t pipe_peek(struct pipe *p, void *buf, size_t len, size_t skip);
void pipe_consume(struct pipe *p, size_t n);
/* inotify (inotify.c). The hooks: an event on an inode itself; on a
 * file, reported to the file and to its directory (with the name); on a
 * directory entry (create, delete, moves). IN_* masks from sys/inotify.h. */
extern int inotify_instances;
void fsnotify_inode(struct inode *i, uint32_t mask);
void fsnotify_child(struct dentry *d, uint32_t mask);
void fsnotify_entry(struct inode *dir, const char *name, uint32_t mask, uint32_t cookie);
uint32_t fsnotify_cookie(void);
void fsnotify_unlinked(struct inode *dir, const char *name, struct inode *victim);
void fsnotify_moved(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
		    struct inode *i);
int inotify_create(struct vfs *v, int flags, struct file **out);
int is_inotify_file(struct file *f);
int inotify_watch(struct file *f, struct inode *i, uint32_t mask);
int inotify_unwatch(struct file *f, int wd);
/* The sandbox's /dev/pts directory (pty.c), for a devpts mount; NULL
 * when there is none. */
struct dentry *pty_devpts_dir(void);
/* A session leader's controlling terminal is released (pty.c). */
void pty_session_end(struct file *tty, struct kernel *k);
/* Advisory locks (locks.c). */
void locks_release_inode(struct inode *i);

/* Filesystems (each in its file) */
struct super *tmpfs_create(struct vfs *v, struct fs_backend *lower, struct fsb_node *lower_root,
			   unsigned flags, mode_t root_mode);
/* File data of this tmpfs in unnamed files of backend directory dir
 * instead of memfds (the super takes b and dir and releases them). */
void tmpfs_set_data_dir(struct super *sb, struct fs_backend *b, struct fsb_node *dir);
/* The options of a tmpfs that mount(2) made (tmpfs(5)); -1: not given.
 * size is enforced (with the sandbox's ceiling), nr_inodes and huge are
 * only shown. */
struct tmpfs_params {
	int64_t size_pages, nr_inodes;
	mode_t mode;	/* of the root */
	uid_t uid;	/* of the root: kernel ids */
	gid_t gid;
	int huge;	/* 0 never, 1 always, 2 within_size, 3 advise */
};
void tmpfs_set_params(struct super *sb, const struct tmpfs_params *p);
const struct tmpfs_params *tmpfs_params(struct super *sb); /* NULL: none given */
uint64_t tmpfs_used(struct super *sb); /* bytes of data in it */
/* What mountinfo shows after "rw" for sb as viewer sees it: the options
 * that are not the defaults (",size=1024k,mode=750"). */
void tmpfs_show_options(struct super *sb, const struct task *viewer, char *buf, size_t len);
struct super *procfs_create(struct vfs *v);
struct ns_common;
/* The namespace an open /proc/PID/ns/X file stands for, or NULL. */
struct ns_common *procfs_nsfs(struct file *f);
/* The namespace inode i stands for (an ns link's target), or NULL. */
struct ns_common *procfs_ns_inode(struct inode *i);
struct super *devfs_create(struct vfs *v);
struct super *bindfs_create(struct vfs *v, struct fs_backend *b, struct fsb_node *root, int ro);
/* Regular tmpfs file data as a host fd (memfd) for mmap; -errno. */
int tmpfs_hostfd(struct inode *ino);
/* memfd_create: an unlinked tmpfs file. */
int tmpfs_memfd(struct vfs *v, const char *name, unsigned flags, struct file **out);

extern const struct fs_type tmpfs_type;

#endif
