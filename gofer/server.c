/*
 * The gofer's side of the protocol (proto.h): one request in, its reply
 * out. Everything in a request is untrusted (the sentry may be the one
 * compromised): handles are checked against a table with generations,
 * names are single components checked before any host call, lengths are
 * checked against the packet, and every operation goes through the host
 * backend (hostfs.c), which resolves one component at a time with
 * O_NOFOLLOW below the export's directory fd. A read-only export is
 * refused for writing here, whatever the sentry believes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "gofer.h"
#include "proto.h"
#include "../sentry/vfs/backend.h"
#include "../sentry/vfs/vfs.h"

/* Handles the sentry may hold at once; past this, ENFILE (a sentry that
 * never clunks cannot make the gofer grow without bound). */
#define MAX_HANDLES (1u << 20)

struct handle {
	struct fsb_node *n; /* NULL: free */
	uint32_t gen;
	int16_t export;
	uint8_t isdir;
};

struct export {
	struct fs_backend *b;
	struct fsb_node *root; /* the export's root node (a file for a file bind) */
	int err;
	int readonly;
};

struct gofer_server {
	struct export ex[GOFER_MAX_EXPORTS];
	int nex;
	struct handle *h;
	uint32_t nh, cap;	/* used slots, allocated slots */
	uint32_t *free;		/* free slot indexes (a stack) */
	uint32_t nfree;
	gofer_send_fn send;
	void *send_ctx;
	char *buf;		/* one reply packet */
};

/* The export's directory as an fd: a private copy of its mount tree
 * (open_tree(OPEN_TREE_CLONE), submounts included) that stays reachable
 * after the gofer detaches the host's root, made nodev and nosuid, and
 * read-only in the kernel for a read-only export, so that not even a
 * compromised gofer writes there. Where that is not possible (no
 * CAP_SYS_ADMIN, an old kernel), the directory itself. -errno on failure
 * (hostfs_backend_create_fd passes it through). */
static int tree_fd(const char *dir, int readonly)
{
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct mount_attr ma = { .attr_set = MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID |
					     (readonly ? MOUNT_ATTR_RDONLY : 0) };
	/* (fails on a plain directory fd: then the backend's checks alone) */
	syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma));
	return fd;
}

/* An export: a host directory, or a file (its directory's backend, the
 * export's root being the file). Sources' symlinks are followed here, as
 * mount(2) follows them; nothing below the source ever is. */
static int export_open(struct export *x, const char *path, int readonly)
{
	x->readonly = readonly;
	char real[PATH_MAX];
	if (!realpath(path, real))
		return -errno;
	struct stat st;
	if (stat(real, &st) < 0)
		return -errno;
	char name[NAME_MAX + 1];
	const char *base = NULL;
	if (!S_ISDIR(st.st_mode)) {
		if (!S_ISREG(st.st_mode))
			return -ENXIO; /* no host devices, FIFOs or sockets */
		/* (realpath: absolute, the last component a name) */
		char *slash = strrchr(real, '/');
		snprintf(name, sizeof(name), "%s", slash + 1);
		slash[slash == real] = 0; /* "/a/f" -> "/a", "/f" -> "/" */
		base = name;
	}
	int e = hostfs_backend_create_fd(tree_fd(real, readonly), readonly, &x->b);
	if (e)
		return e;
	struct fsb_attr a;
	struct fsb_node *r;
	e = x->b->ops->root(x->b, &r, &a);
	if (!e && base) {
		struct fsb_node *f;
		e = x->b->ops->walk(x->b, r, base, &f, &a);
		x->b->ops->put(x->b, r);
		r = f;
	}
	if (e) {
		x->b->ops->destroy(x->b);
		x->b = NULL;
		return e;
	}
	x->root = r;
	return 0;
}

static struct handle *lookup(struct gofer_server *g, uint64_t id)
{
	uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
	if (slot == 0 || slot > g->cap)
		return NULL;
	struct handle *h = &g->h[slot - 1];
	return h->n && h->gen == gen ? h : NULL;
}

/* Takes the reference on n (dropped here on failure). */
static int handle_new(struct gofer_server *g, int export, struct fsb_node *n, int isdir, uint64_t *id)
{
	struct fs_backend *b = g->ex[export].b;
	uint32_t slot;
	if (g->nfree) {
		slot = g->free[--g->nfree];
	} else if (g->nh < g->cap) {
		slot = g->nh;
	} else {
		uint32_t ncap = g->cap ? g->cap * 2 : 256;
		if (g->cap >= MAX_HANDLES) {
			b->ops->put(b, n);
			return -ENFILE;
		}
		if (ncap > MAX_HANDLES)
			ncap = MAX_HANDLES;
		struct handle *nh = realloc(g->h, ncap * sizeof(*nh));
		uint32_t *nf = nh ? realloc(g->free, ncap * sizeof(*nf)) : NULL;
		if (nh)
			g->h = nh;
		if (!nh || !nf) {
			b->ops->put(b, n);
			return -ENOMEM;
		}
		g->free = nf;
		memset(g->h + g->cap, 0, (ncap - g->cap) * sizeof(*nh));
		g->cap = ncap;
		slot = g->nh;
	}
	if (slot == g->nh)
		g->nh++;
	struct handle *h = &g->h[slot];
	h->n = n;
	h->gen++;
	h->export = (int16_t)export;
	h->isdir = (uint8_t)isdir;
	*id = (uint64_t)h->gen << 32 | (slot + 1);
	return 0;
}

static void handle_free(struct gofer_server *g, struct handle *h)
{
	struct fs_backend *b = g->ex[h->export].b;
	b->ops->put(b, h->n);
	h->n = NULL;
	g->free[g->nfree++] = (uint32_t)(h - g->h);
}

static void put_attr(struct gofer_attr *o, const struct fsb_attr *a)
{
	o->mode = a->mode;
	o->uid = a->uid;
	o->gid = a->gid;
	o->nlink = a->nlink;
	o->size = a->size;
	o->blocks = a->blocks;
	o->ino = a->ino;
	o->dev = a->dev;
	o->rdev = a->rdev;
	o->atime = (struct gofer_time){ a->atime.tv_sec, a->atime.tv_nsec };
	o->mtime = (struct gofer_time){ a->mtime.tv_sec, a->mtime.tv_nsec };
	o->ctime = (struct gofer_time){ a->ctime.tv_sec, a->ctime.tv_nsec };
}

static struct gofer_rep *rep_of(struct gofer_server *g)
{
	return (struct gofer_rep *)g->buf;
}

static void reply(struct gofer_server *g, int err, uint32_t data_len, int fd)
{
	struct gofer_rep *r = rep_of(g);
	r->err = err;
	r->data_len = data_len;
	if (fd >= 0)
		r->flags |= GOFER_FD;
	g->send(g->send_ctx, g->buf, sizeof(*r) + data_len, fd);
}

/* One component: what hostfs accepts, checked before anything else. */
static int component_ok(const char *name, size_t len)
{
	if (len == 0 || len > GOFER_NAME_MAX)
		return 0;
	if (memchr(name, '/', len) || memchr(name, 0, len))
		return 0;
	return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

struct rd_ctx {
	struct gofer_server *g;
	uint32_t used;
	int err;
	int plus;		/* GOFER_PLUS: walk each entry too */
	int export;
	struct fsb_node *dir;
};

static int rd_emit(void *ctx, const char *name, uint64_t ino, unsigned dtype)
{
	struct rd_ctx *c = ctx;
	size_t nl = strlen(name);
	if (nl > GOFER_NAME_MAX)
		return 0; /* cannot be named through the protocol: skipped */
	size_t need = sizeof(struct gofer_dirent) + nl + (c->plus ? sizeof(struct gofer_plus) : 0);
	if (sizeof(struct gofer_rep) + c->used + need > GOFER_MSG_MAX) {
		struct gofer_rep *r = rep_of(c->g);
		r->flags = GOFER_MORE;
		r->err = 0;
		r->data_len = c->used;
		if (c->g->send(c->g->send_ctx, c->g->buf, sizeof(*r) + c->used, -1) < 0) {
			c->err = -EPIPE;
			return 1;
		}
		c->used = 0;
	}
	struct gofer_dirent d = { .ino = ino, .type = (uint8_t)dtype, .name_len = (uint16_t)nl };
	char *p = c->g->buf + sizeof(struct gofer_rep) + c->used;
	memcpy(p, &d, sizeof(d));
	memcpy(p + sizeof(d), name, nl);
	if (c->plus) {
		struct gofer_plus gp;
		memset(&gp, 0, sizeof(gp));
		struct fs_backend *b = c->g->ex[c->export].b;
		struct fsb_node *n;
		struct fsb_attr a;
		if (b->ops->walk(b, c->dir, name, &n, &a) == 0 &&
		    handle_new(c->g, c->export, n, S_ISDIR(a.mode), &gp.node) == 0)
			put_attr(&gp.attr, &a);
		memcpy(p + sizeof(d) + nl, &gp, sizeof(gp));
	}
	c->used += (uint32_t)need;
	return 0;
}

static int is_mutation(int op)
{
	return op == GOP_CREATE || op == GOP_MKDIR || op == GOP_SYMLINK || op == GOP_LINK ||
	       op == GOP_UNLINK || op == GOP_RENAME || op == GOP_SETATTR || op == GOP_TMPFILE;
}

/* XATTR's attribute name: 1 to 255 bytes, no NUL (any other byte). */
static int xattr_name_ok(const char *name, size_t len)
{
	return len >= 1 && len <= 255 && !memchr(name, 0, len);
}

static int valid_time(const struct gofer_time *t)
{
	return (t->nsec >= 0 && t->nsec < 1000000000) || t->nsec == UTIME_NOW || t->nsec == UTIME_OMIT;
}

void gofer_server_handle(struct gofer_server *g, const void *msg, size_t len)
{
	struct gofer_req q;
	memset(g->buf, 0, sizeof(struct gofer_rep));
	if (len < sizeof(q)) {
		/* (a CLUNK is never short: a short packet gets an answer) */
		reply(g, -EBADMSG, 0, -1);
		return;
	}
	memcpy(&q, msg, sizeof(q));
	if ((size_t)q.name_len + q.name2_len != len - sizeof(q) || q.pad) {
		if (q.op != GOP_CLUNK)
			reply(g, -EBADMSG, 0, -1);
		return;
	}
	const char *raw = (const char *)msg + sizeof(q);
	if (q.op == GOP_CLUNK) {
		/* one handle, and a batch of them after it: unknown ones are
		 * ignored (a CLUNK has no reply to carry an error) */
		struct handle *h1 = lookup(g, q.node);
		if (h1)
			handle_free(g, h1);
		for (size_t off = 0; !q.name_len && off + 8 <= q.name2_len; off += 8) {
			uint64_t id;
			memcpy(&id, raw + off, 8);
			struct handle *hb = lookup(g, id);
			if (hb)
				handle_free(g, hb);
		}
		return;
	}
	char name[GOFER_NAME_MAX + 1];
	static char name2[GOFER_MSG_MAX];
	if (q.name_len > GOFER_NAME_MAX || (q.op != GOP_XATTR && q.name2_len > GOFER_TARGET_MAX)) {
		reply(g, -ENAMETOOLONG, 0, -1);
		return;
	}
	memcpy(name, raw, q.name_len);
	name[q.name_len] = 0;
	memcpy(name2, raw + q.name_len, q.name2_len);
	name2[q.name2_len] = 0;

	struct gofer_rep *r = rep_of(g);
	if (q.op == GOP_HELLO) {
		if (q.flags != GOFER_VERSION) {
			reply(g, -EPROTONOSUPPORT, 0, -1);
			return;
		}
		struct gofer_export_info *xi = (void *)(g->buf + sizeof(*r));
		for (int i = 0; i < g->nex; i++)
			xi[i] = (struct gofer_export_info){ g->ex[i].err, (uint32_t)g->ex[i].readonly };
		r->node = (uint64_t)g->nex;
		reply(g, 0, (uint32_t)(g->nex * sizeof(*xi)), -1);
		return;
	}
	if (q.op == GOP_ROOT) {
		if (q.flags >= (uint32_t)g->nex) {
			reply(g, -EINVAL, 0, -1);
			return;
		}
		struct export *x = &g->ex[q.flags];
		if (x->err) {
			reply(g, x->err, 0, -1);
			return;
		}
		struct fsb_attr a;
		int e = x->b->ops->getattr(x->b, x->root, &a);
		if (!e) {
			x->b->ops->get(x->b, x->root);
			e = handle_new(g, (int)q.flags, x->root, S_ISDIR(a.mode), &r->node);
		}
		if (!e)
			put_attr(&r->attr, &a);
		reply(g, e, 0, -1);
		return;
	}
	struct handle *h = lookup(g, q.node);
	if (!h) {
		if (q.op != GOP_CLUNK)
			reply(g, -EBADF, 0, -1);
		return;
	}
	int x = h->export;
	struct fs_backend *b = g->ex[x].b;
	int xop = q.op == GOP_XATTR ? (int)(q.flags & 0xff) : -1;
	if ((is_mutation(q.op) || xop == XOP_SET || xop == XOP_REMOVE) && g->ex[x].readonly) {
		reply(g, -EROFS, 0, -1);
		return;
	}
	int takes_name = q.op == GOP_WALK || q.op == GOP_CREATE || q.op == GOP_MKDIR || q.op == GOP_SYMLINK ||
			 q.op == GOP_LINK || q.op == GOP_UNLINK || q.op == GOP_RENAME;
	if (takes_name && !component_ok(name, q.name_len)) {
		reply(g, q.name_len > GOFER_NAME_MAX ? -ENAMETOOLONG : -EINVAL, 0, -1);
		return;
	}
	if (takes_name && !h->isdir) {
		reply(g, -ENOTDIR, 0, -1);
		return;
	}
	struct fsb_attr a;
	struct fsb_node *n = NULL;
	int e = 0;
	switch (q.op) {
	case GOP_WALK:
	case GOP_CREATE:
	case GOP_MKDIR:
	case GOP_SYMLINK:
		if (q.op == GOP_WALK) {
			e = b->ops->walk(b, h->n, name, &n, &a);
		} else if (q.op == GOP_CREATE) {
			mode_t t = q.mode & S_IFMT;
			e = (t == S_IFREG || t == S_IFIFO || t == S_IFSOCK) && !(q.mode & ~(S_IFMT | 07777))
				    ? b->ops->create(b, h->n, name, q.mode, 0, &n, &a)
				    : -EPERM;
		} else if (q.op == GOP_MKDIR) {
			e = b->ops->mkdir(b, h->n, name, q.mode & 07777, &n, &a);
		} else {
			e = q.name2_len && !memchr(name2, 0, q.name2_len)
				    ? b->ops->symlink(b, h->n, name, name2, &n, &a)
				    : -EINVAL;
		}
		if (!e)
			e = handle_new(g, x, n, S_ISDIR(a.mode), &r->node);
		if (!e)
			put_attr(&r->attr, &a);
		reply(g, e, 0, -1);
		return;
	case GOP_GETATTR:
		e = b->ops->getattr(b, h->n, &a);
		if (!e)
			put_attr(&r->attr, &a);
		reply(g, e, 0, -1);
		return;
	case GOP_READDIR: {
		if (!h->isdir) {
			reply(g, -ENOTDIR, 0, -1);
			return;
		}
		if (q.flags & ~(uint32_t)GOFER_PLUS) {
			reply(g, -EINVAL, 0, -1);
			return;
		}
		struct rd_ctx c = { g, 0, 0, (q.flags & GOFER_PLUS) != 0, x, h->n };
		e = b->ops->readdir(b, h->n, rd_emit, &c);
		if (c.err)
			return; /* the sentry is gone */
		r->flags = 0;
		reply(g, e, e ? 0 : c.used, -1);
		return;
	}
	case GOP_READLINK: {
		ssize_t n2 = b->ops->readlink(b, h->n, g->buf + sizeof(*r), GOFER_TARGET_MAX + 1);
		if (n2 > GOFER_TARGET_MAX)
			n2 = -ENAMETOOLONG;
		reply(g, n2 < 0 ? (int)n2 : 0, n2 < 0 ? 0 : (uint32_t)n2, -1);
		return;
	}
	case GOP_OPEN: {
		if (q.flags & ~(uint32_t)(O_ACCMODE | O_APPEND) || (q.flags & O_ACCMODE) == O_ACCMODE) {
			reply(g, -EINVAL, 0, -1);
			return;
		}
		if (h->isdir) {
			reply(g, -EISDIR, 0, -1);
			return;
		}
		if ((q.flags & O_ACCMODE) != O_RDONLY && g->ex[x].readonly) {
			reply(g, -EROFS, 0, -1);
			return;
		}
		int fd = b->ops->open(b, h->n, (int)q.flags);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			/* (a directory put in a file's place meanwhile) */
			close(fd);
			fd = -EISDIR;
		}
		if (fd < 0) {
			reply(g, fd, 0, -1);
			return;
		}
		reply(g, 0, 0, fd);
		close(fd);
		return;
	}
	case GOP_XATTR: {
		int xflags = (int)(q.flags >> 8);
		if (xop < XOP_GET || xop > XOP_REMOVE || (xflags & ~(XATTR_CREATE | XATTR_REPLACE)) ||
		    (xop != XOP_LIST && !xattr_name_ok(name, q.name_len)) || (xop != XOP_SET && q.name2_len)) {
			reply(g, -EINVAL, 0, -1);
			return;
		}
		if (!b->ops->xattr) {
			reply(g, -EOPNOTSUPP, 0, -1);
			return;
		}
		char *out = g->buf + sizeof(*r);
		ssize_t n2 = xop == XOP_SET ? b->ops->xattr(b, h->n, xop, name, name2, q.name2_len, xflags)
					    : b->ops->xattr(b, h->n, xop, name, out, GOFER_XATTR_MAX, 0);
		int data = (xop == XOP_GET || xop == XOP_LIST) && n2 > 0;
		reply(g, n2 < 0 ? (int)n2 : 0, data ? (uint32_t)n2 : 0, -1);
		return;
	}
	case GOP_TMPFILE: {
		int fd = h->isdir ? b->ops->tmpfile(b, h->n) : -ENOTDIR;
		reply(g, fd < 0 ? fd : 0, 0, fd);
		if (fd >= 0)
			close(fd);
		return;
	}
	case GOP_STATFS: {
		struct statfs sf;
		e = b->ops->statfs(b, h->n, &sf);
		struct gofer_statfs *o = (void *)(g->buf + sizeof(*r));
		if (!e)
			*o = (struct gofer_statfs){ (int64_t)sf.f_type, sf.f_bsize, sf.f_frsize, sf.f_namelen,
						    sf.f_flags, sf.f_blocks, sf.f_bfree, sf.f_bavail,
						    sf.f_files, sf.f_ffree };
		reply(g, e, e ? 0 : sizeof(*o), -1);
		return;
	}
	case GOP_CLUNK:
		handle_free(g, h);
		return;
	case GOP_LINK: {
		struct handle *t = lookup(g, q.node2);
		if (!t)
			e = -EBADF;
		else if (t->export != x)
			e = -EXDEV;
		else if (t->isdir)
			e = -EPERM;
		else
			e = b->ops->link(b, h->n, name, t->n);
		reply(g, e, 0, -1);
		return;
	}
	case GOP_UNLINK:
		e = q.flags > 1 ? -EINVAL : b->ops->unlink(b, h->n, name, (int)q.flags);
		reply(g, e, 0, -1);
		return;
	case GOP_RENAME: {
		struct handle *t = lookup(g, q.node2);
		if (!t)
			e = -EBADF;
		else if (t->export != x)
			e = -EXDEV;
		else if (!t->isdir)
			e = -ENOTDIR;
		else if (!component_ok(name2, q.name2_len))
			e = -EINVAL;
		else if (q.flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE))
			e = -EINVAL; /* (RENAME_WHITEOUT makes a device node) */
		else
			e = b->ops->rename(b, h->n, name, t->n, name2, q.flags);
		reply(g, e, 0, -1);
		return;
	}
	case GOP_SETATTR: {
		const uint32_t known = GOFER_SET_MODE | GOFER_SET_UID | GOFER_SET_GID | GOFER_SET_SIZE |
				       GOFER_SET_ATIME | GOFER_SET_MTIME;
		if (q.flags & ~known || !valid_time(&q.atime) || !valid_time(&q.mtime) ||
		    ((q.flags & GOFER_SET_SIZE) && q.size > (uint64_t)INT64_MAX)) {
			reply(g, -EINVAL, 0, -1);
			return;
		}
		struct iattr ia = { 0 };
		ia.valid = q.flags;
		ia.mode = q.mode & 07777;
		ia.uid = q.uid;
		ia.gid = q.gid;
		ia.size = q.size;
		ia.atime = (struct timespec){ q.atime.sec, q.atime.nsec };
		ia.mtime = (struct timespec){ q.mtime.sec, q.mtime.nsec };
		e = b->ops->setattr(b, h->n, &ia);
		reply(g, e, 0, -1);
		return;
	}
	default:
		reply(g, -EOPNOTSUPP, 0, -1);
		return;
	}
}

int gofer_server_create(const struct gofer_export_spec *ex, int n, gofer_send_fn send, void *ctx,
			struct gofer_server **out)
{
	if (n < 0 || n > GOFER_MAX_EXPORTS)
		return -EINVAL;
	struct gofer_server *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->buf = malloc(GOFER_MSG_MAX);
	if (!g->buf) {
		free(g);
		return -ENOMEM;
	}
	g->send = send;
	g->send_ctx = ctx;
	g->nex = n;
	for (int i = 0; i < n; i++)
		g->ex[i].err = export_open(&g->ex[i], ex[i].path, ex[i].readonly);
	*out = g;
	return 0;
}

void gofer_server_destroy(struct gofer_server *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->nh; i++)
		if (g->h[i].n)
			handle_free(g, &g->h[i]);
	for (int i = 0; i < g->nex; i++) {
		struct export *x = &g->ex[i];
		if (!x->b)
			continue;
		x->b->ops->put(x->b, x->root);
		x->b->ops->destroy(x->b);
	}
	free(g->h);
	free(g->free);
	free(g->buf);
	free(g);
}
