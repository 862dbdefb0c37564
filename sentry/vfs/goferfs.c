/*
 * The gofer client: the backend interface (backend.h) over the gofer's
 * socket (gofer/proto.h). The sentry's event loop is single-threaded, so
 * a call is a blocking round trip: send one request packet, read its
 * reply. Regular files come back as donated fds, so reads, writes and
 * mmap never go through the gofer.
 *
 * Every backend of a sandbox (its root, each bind mount) is one export of
 * one gofer and shares the connection. If the gofer dies, every call
 * answers EIO from then on (logged once).
 *
 * Listings ask for every entry's handle and attributes at once
 * (GOFER_PLUS): programs that list a directory look its entries up next
 * (find, ls -l, make), and a lookup found in that cache costs no round
 * trip. An entry is used once, lives at most WC_TTL_NS (attributes the
 * host changed meanwhile are that old at most, as with NFS's attribute
 * cache), is dropped when this client changes that name, and the cache
 * holds WC_MAX entries; an entry dropped unused is clunked. Where
 * listings are not followed by lookups (find -type f, ls without -l), the
 * handles are waste: when fewer than a quarter of 4,096 cached entries
 * were used, the next 65,536 listed entries come plain.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "goferfs.h"
#include "vfs.h"
#include "../../gofer/proto.h"

_Static_assert(ATTR_MODE == GOFER_SET_MODE && ATTR_UID == GOFER_SET_UID && ATTR_GID == GOFER_SET_GID &&
		       ATTR_SIZE == GOFER_SET_SIZE && ATTR_ATIME == GOFER_SET_ATIME &&
		       ATTR_MTIME == GOFER_SET_MTIME,
	       "SETATTR's bits are the VFS's");

#define WC_MAX 16384
#define WC_BUCKETS 4096
#define WC_TTL_NS 1000000000LL

/* A handle the gofer gave with a listing, not yet looked up. */
struct wc_ent {
	struct wc_ent *hnext;	      /* bucket chain */
	struct wc_ent *older, *newer; /* age list */
	uint64_t dir, h;
	int64_t born;
	struct gofer_attr attr;
	char name[];
};

struct gofer_conn {
	int sock;
	int refs;
	int dead;
	int nexports;
	struct gofer_export_info info[GOFER_MAX_EXPORTS];
	char *buf;  /* one packet received */
	char *sbuf; /* one packet to send (a listing being read may send clunks) */
	struct wc_ent *wc[WC_BUCKETS];
	struct wc_ent *oldest, *newest;
	size_t nwc;
	/* While a listing streams in, clunks wait here: the gofer reads no
	 * request until it has sent the last packet, so sending many could
	 * fill its socket and deadlock us both. */
	int streaming;
	uint64_t *pend;
	size_t npend, cappend;
	/* Whether listings are followed by lookups here: entries cached and
	 * used since the last verdict; while plus_off > 0, listings are plain
	 * (counted down by the entries they bring), then tried again. */
	uint32_t wc_cached, wc_used;
	uint64_t plus_off;
};

struct fsb_node {
	uint32_t ref;
	uint64_t h; /* the gofer's handle */
};

struct goferfs {
	struct fs_backend base;
	struct gofer_conn *c;
	int export;
};

#define G(b) ((struct goferfs *)(b))

static void conn_dead(struct gofer_conn *c, const char *why)
{
	if (!c->dead)
		fprintf(stderr, "moat: the gofer is gone (%s): file operations fail with EIO\n", why);
	c->dead = 1;
}

static int send_req(struct gofer_conn *c, const struct gofer_req *q, const char *name, const char *name2)
{
	if (c->dead)
		return -EIO;
	size_t len = sizeof(*q) + q->name_len + q->name2_len;
	memcpy(c->sbuf, q, sizeof(*q));
	if (q->name_len)
		memcpy(c->sbuf + sizeof(*q), name, q->name_len);
	if (q->name2_len)
		memcpy(c->sbuf + sizeof(*q) + q->name_len, name2, q->name2_len);
	for (;;) {
		if (send(c->sock, c->sbuf, len, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			break;
	}
	conn_dead(c, strerror(errno));
	return -EIO;
}

/* One reply packet into c->buf: its header in *r, its data after it.
 * *fd gets a donated fd (or -1). 0 or -EIO. */
static int recv_rep(struct gofer_conn *c, struct gofer_rep *r, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { c->buf, GOFER_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	ssize_t n;
	do
		n = recvmsg(c->sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	int got = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)) && got < 0)
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	if (n <= 0) {
		conn_dead(c, n == 0 ? "its socket closed" : strerror(errno));
		return -EIO;
	}
	memcpy(r, c->buf, n >= (ssize_t)sizeof(*r) ? sizeof(*r) : 0);
	if ((size_t)n < sizeof(*r) || r->data_len != (size_t)n - sizeof(*r) || (mh.msg_flags & MSG_TRUNC) ||
	    (r->err > 0) || r->err < -4095) {
		if (got >= 0 && fd) {
			close(got);
			*fd = -1;
		}
		conn_dead(c, "a malformed reply");
		return -EIO;
	}
	return 0;
}

/* One request, one reply; r->err is the result. */
static int rpc(struct gofer_conn *c, const struct gofer_req *q, const char *name, const char *name2,
	       struct gofer_rep *r, int *fd)
{
	if (fd)
		*fd = -1;
	int e = send_req(c, q, name, name2);
	if (!e)
		e = recv_rep(c, r, fd);
	if (e)
		return e;
	if (r->flags & GOFER_MORE) {
		conn_dead(c, "an unexpected continuation");
		return -EIO;
	}
	return r->err;
}

/* ---- the listing cache ---- */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t wc_hash(uint64_t dir, const char *name)
{
	uint64_t h = dir * 0x9e3779b97f4a7c15ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (size_t)(h % WC_BUCKETS);
}

static struct wc_ent **wc_slot(struct gofer_conn *c, uint64_t dir, const char *name)
{
	struct wc_ent **pp = &c->wc[wc_hash(dir, name)];
	while (*pp && ((*pp)->dir != dir || strcmp((*pp)->name, name)))
		pp = &(*pp)->hnext;
	return pp;
}

/* Unlink *pp from the cache and return it (the caller owns its handle). */
static struct wc_ent *wc_take(struct gofer_conn *c, struct wc_ent **pp)
{
	struct wc_ent *w = *pp;
	*pp = w->hnext;
	if (w->older)
		w->older->newer = w->newer;
	else
		c->oldest = w->newer;
	if (w->newer)
		w->newer->older = w->older;
	else
		c->newest = w->older;
	c->nwc--;
	return w;
}

/* Give a handle back to the gofer (now, or once a listing has ended). */
static void clunk(struct gofer_conn *c, uint64_t h)
{
	if (c->streaming) {
		if (c->npend == c->cappend) {
			size_t n = c->cappend ? c->cappend * 2 : 256;
			uint64_t *p = realloc(c->pend, n * sizeof(*p));
			if (!p)
				return; /* (the gofer keeps it until the end: bounded there) */
			c->pend = p;
			c->cappend = n;
		}
		c->pend[c->npend++] = h;
		return;
	}
	struct gofer_req q = { .op = GOP_CLUNK, .node = h };
	send_req(c, &q, NULL, NULL);
}

/* The handles a listing left unused, in batches (one CLUNK carries up to
 * 8,000 of them). */
static void flush_clunks(struct gofer_conn *c)
{
	c->streaming = 0;
	for (size_t i = 0; i < c->npend;) {
		size_t n = c->npend - i < 8000 ? c->npend - i : 8000;
		struct gofer_req q = { .op = GOP_CLUNK, .node = 0, .name2_len = (uint16_t)(n * 8) };
		send_req(c, &q, NULL, (const char *)(c->pend + i));
		i += n;
	}
	c->npend = 0;
}

/* Drop an entry: its handle goes back to the gofer. */
static void wc_drop(struct gofer_conn *c, struct wc_ent **pp)
{
	struct wc_ent *w = wc_take(c, pp);
	clunk(c, w->h);
	free(w);
}

static void wc_forget(struct gofer_conn *c, uint64_t dir, const char *name)
{
	struct wc_ent **pp = wc_slot(c, dir, name);
	if (*pp)
		wc_drop(c, pp);
}

/* Drop what is too old, and the oldest past WC_MAX - 1. */
static void wc_trim(struct gofer_conn *c)
{
	int64_t limit = now_ns() - WC_TTL_NS;
	while (c->oldest && (c->nwc >= WC_MAX || c->oldest->born < limit)) {
		struct wc_ent *w = c->oldest;
		wc_drop(c, wc_slot(c, w->dir, w->name));
	}
}

static void wc_add(struct gofer_conn *c, uint64_t dir, const char *name, uint64_t h, const struct gofer_attr *a)
{
	wc_trim(c);
	wc_forget(c, dir, name); /* (listed again: the newer one) */
	size_t nl = strlen(name);
	struct wc_ent *w = malloc(sizeof(*w) + nl + 1);
	if (!w) {
		clunk(c, h);
		return;
	}
	memcpy(w->name, name, nl + 1);
	w->dir = dir;
	w->h = h;
	w->attr = *a;
	w->born = now_ns();
	c->wc_cached++;
	struct wc_ent **head = &c->wc[wc_hash(dir, name)];
	w->hnext = *head;
	*head = w;
	w->newer = NULL;
	w->older = c->newest;
	if (c->newest)
		c->newest->newer = w;
	else
		c->oldest = w;
	c->newest = w;
	c->nwc++;
}

static void get_attr(struct fsb_attr *a, const struct gofer_attr *g)
{
	a->mode = g->mode;
	a->uid = g->uid;
	a->gid = g->gid;
	a->nlink = g->nlink;
	a->size = g->size;
	a->blocks = g->blocks;
	a->ino = g->ino;
	a->dev = g->dev;
	a->rdev = (dev_t)g->rdev;
	a->atime = (struct timespec){ g->atime.sec, g->atime.nsec };
	a->mtime = (struct timespec){ g->mtime.sec, g->mtime.nsec };
	a->ctime = (struct timespec){ g->ctime.sec, g->ctime.nsec };
}

static int name_req(struct gofer_req *q, int op, const char *name)
{
	size_t nl = strlen(name);
	if (nl > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	memset(q, 0, sizeof(*q));
	q->op = (uint16_t)op;
	q->name_len = (uint16_t)nl;
	return 0;
}

/* A reply's new handle as a node (the gofer gave us one reference). */
static int new_node(struct goferfs *g, const struct gofer_rep *r, struct fsb_node **out, struct fsb_attr *a)
{
	struct fsb_node *n = malloc(sizeof(*n));
	if (!n) {
		clunk(g->c, r->node);
		return -ENOMEM;
	}
	n->ref = 1;
	n->h = r->node;
	if (a)
		get_attr(a, &r->attr);
	*out = n;
	return 0;
}

static int gf_root(struct fs_backend *b, struct fsb_node **out, struct fsb_attr *a)
{
	struct gofer_req q = { .op = GOP_ROOT, .flags = (uint32_t)G(b)->export };
	struct gofer_rep r;
	int e = rpc(G(b)->c, &q, NULL, NULL, &r, NULL);
	return e ? e : new_node(G(b), &r, out, a);
}

static int gf_walk(struct fs_backend *b, struct fsb_node *dir, const char *name, struct fsb_node **out,
		   struct fsb_attr *a)
{
	struct gofer_conn *c = G(b)->c;
	struct wc_ent **pp = wc_slot(c, dir->h, name);
	if (*pp) {
		struct wc_ent *w = wc_take(c, pp);
		if (w->born >= now_ns() - WC_TTL_NS) {
			c->wc_used++;
			struct gofer_rep r;
			memset(&r, 0, sizeof(r));
			r.node = w->h;
			r.attr = w->attr;
			free(w);
			return new_node(G(b), &r, out, a);
		}
		clunk(c, w->h);
		free(w);
	}
	struct gofer_req q;
	int e = name_req(&q, GOP_WALK, name);
	if (e)
		return e;
	q.node = dir->h;
	struct gofer_rep r;
	e = rpc(G(b)->c, &q, name, NULL, &r, NULL);
	return e ? e : new_node(G(b), &r, out, a);
}

static int gf_getattr(struct fs_backend *b, struct fsb_node *n, struct fsb_attr *a)
{
	struct gofer_req q = { .op = GOP_GETATTR, .node = n->h };
	struct gofer_rep r;
	int e = rpc(G(b)->c, &q, NULL, NULL, &r, NULL);
	if (!e)
		get_attr(a, &r.attr);
	return e;
}

/* After a listing: keep asking for handles, or not for a while. */
static void plus_verdict(struct gofer_conn *c, int plus, uint64_t listed)
{
	if (!plus) {
		c->plus_off = c->plus_off > listed ? c->plus_off - listed : 0;
		return;
	}
	if (c->wc_cached < 4096)
		return;
	if ((uint64_t)c->wc_used * 4 < c->wc_cached)
		c->plus_off = 65536;
	c->wc_cached = c->wc_used = 0;
}

static int gf_readdir(struct fs_backend *b, struct fsb_node *dir, fsb_emit_fn emit, void *ctx)
{
	struct gofer_conn *c = G(b)->c;
	int plus = c->plus_off == 0;
	struct gofer_req q = { .op = GOP_READDIR, .node = dir->h, .flags = plus ? GOFER_PLUS : 0 };
	uint64_t listed = 0;
	int e = send_req(c, &q, NULL, NULL);
	if (e)
		return e;
	int stopped = 0;
	c->streaming = 1;
	for (;;) {
		struct gofer_rep r;
		e = recv_rep(c, &r, NULL);
		if (e) {
			flush_clunks(c);
			return e;
		}
		/* every packet is read, even after emit asked to stop */
		const char *p = c->buf + sizeof(r), *end = p + r.data_len;
		char name[GOFER_NAME_MAX + 1];
		while (p < end) {
			struct gofer_dirent d;
			if ((size_t)(end - p) < sizeof(d))
				break;
			memcpy(&d, p, sizeof(d));
			p += sizeof(d);
			size_t extra = plus ? sizeof(struct gofer_plus) : 0;
			if (d.name_len == 0 || d.name_len > GOFER_NAME_MAX || d.name_len + extra > (size_t)(end - p))
				break;
			memcpy(name, p, d.name_len);
			name[d.name_len] = 0;
			p += d.name_len;
			struct gofer_plus gp;
			memset(&gp, 0, sizeof(gp));
			if (plus) {
				memcpy(&gp, p, sizeof(gp));
				p += sizeof(gp);
			}
			listed++;
			int bad = memchr(name, '/', d.name_len) || strlen(name) != d.name_len || !strcmp(name, ".") ||
				  !strcmp(name, "..");
			if (gp.node) {
				if (bad || stopped) {
					clunk(c, gp.node);
				} else {
					wc_add(c, dir->h, name, gp.node, &gp.attr);
				}
			}
			if (bad || stopped)
				continue; /* never a name the VFS could misread */
			stopped = emit(ctx, name, d.ino, d.type) != 0;
		}
		if (!(r.flags & GOFER_MORE)) {
			flush_clunks(c);
			plus_verdict(c, plus, listed);
			return r.err;
		}
	}
}

static ssize_t gf_readlink(struct fs_backend *b, struct fsb_node *n, char *buf, size_t len)
{
	struct gofer_conn *c = G(b)->c;
	struct gofer_req q = { .op = GOP_READLINK, .node = n->h };
	struct gofer_rep r;
	int e = rpc(c, &q, NULL, NULL, &r, NULL);
	if (e)
		return e;
	size_t l = r.data_len < len ? r.data_len : len;
	memcpy(buf, c->buf + sizeof(r), l);
	return (ssize_t)l;
}

/* A request answered by one donated fd: the fd or -errno. */
static int fd_rpc(struct gofer_conn *c, const struct gofer_req *q)
{
	struct gofer_rep r;
	int fd;
	int e = rpc(c, q, NULL, NULL, &r, &fd);
	if (e || fd < 0) {
		if (fd >= 0)
			close(fd);
		return e ? e : -EIO;
	}
	return fd;
}

static int gf_open(struct fs_backend *b, struct fsb_node *n, int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY && b->readonly)
		return -EROFS;
	struct gofer_req q = { .op = GOP_OPEN, .node = n->h, .flags = (uint32_t)(flags & (O_ACCMODE | O_APPEND)) };
	return fd_rpc(G(b)->c, &q);
}

static int gf_statfs(struct fs_backend *b, struct fsb_node *n, struct statfs *st)
{
	struct gofer_conn *c = G(b)->c;
	struct gofer_req q = { .op = GOP_STATFS, .node = n->h };
	struct gofer_rep r;
	int e = rpc(c, &q, NULL, NULL, &r, NULL);
	if (e)
		return e;
	struct gofer_statfs s;
	if (r.data_len != sizeof(s))
		return -EIO;
	memcpy(&s, c->buf + sizeof(r), sizeof(s));
	memset(st, 0, sizeof(*st));
	st->f_type = s.type;
	st->f_bsize = s.bsize;
	st->f_frsize = s.frsize;
	st->f_namelen = s.namelen;
	st->f_flags = s.flags;
	st->f_blocks = s.blocks;
	st->f_bfree = s.bfree;
	st->f_bavail = s.bavail;
	st->f_files = s.files;
	st->f_ffree = s.ffree;
	return 0;
}

static void gf_get(struct fs_backend *b, struct fsb_node *n)
{
	(void)b;
	n->ref++;
}

static void gf_put(struct fs_backend *b, struct fsb_node *n)
{
	if (!n || --n->ref)
		return;
	clunk(G(b)->c, n->h);
	free(n);
}

static int make_node(struct fs_backend *b, struct gofer_req *q, const char *name, const char *name2,
		     struct fsb_node **out, struct fsb_attr *a)
{
	if (b->readonly)
		return -EROFS;
	struct gofer_rep r;
	int e = rpc(G(b)->c, q, name, name2, &r, NULL);
	if (e)
		return e;
	struct fsb_node *n;
	e = new_node(G(b), &r, &n, a);
	if (e)
		return e;
	if (out)
		*out = n;
	else
		gf_put(b, n);
	return 0;
}

/* CREATE, MKDIR, SYMLINK: a new name in dir (target: a symlink's). */
static int make_in(struct fs_backend *b, int op, struct fsb_node *dir, const char *name, mode_t mode,
		   const char *target, struct fsb_node **out, struct fsb_attr *a)
{
	struct gofer_req q;
	int e = name_req(&q, op, name);
	if (e)
		return e;
	if (target) {
		size_t tl = strlen(target);
		if (tl > GOFER_TARGET_MAX)
			return -ENAMETOOLONG;
		q.name2_len = (uint16_t)tl;
	}
	q.node = dir->h;
	q.mode = mode;
	wc_forget(G(b)->c, dir->h, name);
	return make_node(b, &q, name, target, out, a);
}

static int gf_create(struct fs_backend *b, struct fsb_node *dir, const char *name, mode_t mode, dev_t rdev,
		     struct fsb_node **out, struct fsb_attr *a)
{
	(void)rdev; /* no device nodes on the host from the sandbox */
	return make_in(b, GOP_CREATE, dir, name, mode, NULL, out, a);
}

static int gf_mkdir(struct fs_backend *b, struct fsb_node *dir, const char *name, mode_t mode,
		    struct fsb_node **out, struct fsb_attr *a)
{
	return make_in(b, GOP_MKDIR, dir, name, mode, NULL, out, a);
}

static int gf_symlink(struct fs_backend *b, struct fsb_node *dir, const char *name, const char *target,
		      struct fsb_node **out, struct fsb_attr *a)
{
	return make_in(b, GOP_SYMLINK, dir, name, 0, target, out, a);
}

/* A request with no reply data. */
static int simple(struct fs_backend *b, struct gofer_req *q, const char *name, const char *name2)
{
	if (b->readonly)
		return -EROFS;
	struct gofer_rep r;
	return rpc(G(b)->c, q, name, name2, &r, NULL);
}

static int gf_link(struct fs_backend *b, struct fsb_node *dir, const char *name, struct fsb_node *target)
{
	struct gofer_req q;
	int e = name_req(&q, GOP_LINK, name);
	if (e)
		return e;
	q.node = dir->h;
	q.node2 = target->h;
	wc_forget(G(b)->c, dir->h, name);
	return simple(b, &q, name, NULL);
}

static int gf_unlink(struct fs_backend *b, struct fsb_node *dir, const char *name, int isdir)
{
	struct gofer_req q;
	int e = name_req(&q, GOP_UNLINK, name);
	if (e)
		return e;
	q.node = dir->h;
	q.flags = isdir ? 1 : 0;
	wc_forget(G(b)->c, dir->h, name);
	return simple(b, &q, name, NULL);
}

static int gf_rename(struct fs_backend *b, struct fsb_node *odir, const char *oname, struct fsb_node *ndir,
		     const char *nname, unsigned flags)
{
	struct gofer_req q;
	int e = name_req(&q, GOP_RENAME, oname);
	if (e)
		return e;
	size_t nl = strlen(nname);
	if (nl > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	q.node = odir->h;
	q.node2 = ndir->h;
	wc_forget(G(b)->c, odir->h, oname);
	wc_forget(G(b)->c, ndir->h, nname);
	q.name2_len = (uint16_t)nl;
	q.flags = flags;
	return simple(b, &q, oname, nname);
}

static int gf_setattr(struct fs_backend *b, struct fsb_node *n, const struct iattr *ia)
{
	struct gofer_req q = { .op = GOP_SETATTR, .node = n->h };
	q.flags = ia->valid & (GOFER_SET_MODE | GOFER_SET_UID | GOFER_SET_GID | GOFER_SET_SIZE | GOFER_SET_ATIME |
			       GOFER_SET_MTIME);
	q.mode = ia->mode;
	q.uid = ia->uid;
	q.gid = ia->gid;
	q.size = ia->size;
	q.atime = (struct gofer_time){ ia->atime.tv_sec, ia->atime.tv_nsec };
	q.mtime = (struct gofer_time){ ia->mtime.tv_sec, ia->mtime.tv_nsec };
	if (!(q.flags & GOFER_SET_ATIME))
		q.atime.nsec = UTIME_OMIT;
	if (!(q.flags & GOFER_SET_MTIME))
		q.mtime.nsec = UTIME_OMIT;
	return simple(b, &q, NULL, NULL);
}

static int gf_tmpfile(struct fs_backend *b, struct fsb_node *dir)
{
	if (b->readonly)
		return -EROFS;
	struct gofer_req q = { .op = GOP_TMPFILE, .node = dir->h };
	return fd_rpc(G(b)->c, &q);
}

static ssize_t gf_xattr(struct fs_backend *b, struct fsb_node *n, int op, const char *name, void *buf, size_t len,
			int flags)
{
	struct gofer_conn *c = G(b)->c;
	struct gofer_req q = { .op = GOP_XATTR, .node = n->h, .flags = (uint32_t)op | (uint32_t)flags << 8 };
	if (op != XOP_LIST) {
		size_t nl = strlen(name);
		if (nl == 0 || nl > 255)
			return -ERANGE;
		q.name_len = (uint16_t)nl;
	}
	if (op == XOP_SET) {
		if (len > GOFER_XATTR_MAX)
			return -E2BIG;
		q.name2_len = (uint16_t)len;
	}
	struct gofer_rep r;
	int e = rpc(c, &q, op == XOP_LIST ? NULL : name, op == XOP_SET ? buf : NULL, &r, NULL);
	if (e)
		return e;
	if (op == XOP_SET || op == XOP_REMOVE)
		return 0;
	if (r.data_len > len)
		return -ERANGE;
	memcpy(buf, c->buf + sizeof(r), r.data_len);
	return (ssize_t)r.data_len;
}

static void gf_destroy(struct fs_backend *b)
{
	gofer_conn_put(G(b)->c);
	free(b);
}

static const struct fs_backend_ops goferfs_ops = {
	.root = gf_root,
	.walk = gf_walk,
	.getattr = gf_getattr,
	.readdir = gf_readdir,
	.readlink = gf_readlink,
	.open = gf_open,
	.statfs = gf_statfs,
	.get = gf_get,
	.put = gf_put,
	.create = gf_create,
	.mkdir = gf_mkdir,
	.symlink = gf_symlink,
	.link = gf_link,
	.unlink = gf_unlink,
	.rename = gf_rename,
	.setattr = gf_setattr,
	.tmpfile = gf_tmpfile,
	.xattr = gf_xattr,
	.destroy = gf_destroy,
};

int gofer_connect(int sock, struct gofer_conn **out)
{
	struct gofer_conn *c = calloc(1, sizeof(*c));
	if (!c || !(c->buf = malloc(GOFER_MSG_MAX)) || !(c->sbuf = malloc(GOFER_MSG_MAX))) {
		if (c)
			free(c->buf);
		free(c);
		close(sock);
		return -ENOMEM;
	}
	c->sock = sock;
	c->refs = 1;
	struct gofer_req q = { .op = GOP_HELLO, .flags = GOFER_VERSION };
	struct gofer_rep r;
	int e = rpc(c, &q, NULL, NULL, &r, NULL);
	if (!e && (r.node > GOFER_MAX_EXPORTS || r.data_len != r.node * sizeof(struct gofer_export_info)))
		e = -EPROTO;
	if (e) {
		gofer_conn_put(c);
		return e;
	}
	c->nexports = (int)r.node;
	memcpy(c->info, c->buf + sizeof(r), r.data_len);
	*out = c;
	return 0;
}

void gofer_conn_put(struct gofer_conn *c)
{
	if (!c || --c->refs)
		return;
	close(c->sock);
	while (c->oldest)
		free(wc_take(c, wc_slot(c, c->oldest->dir, c->oldest->name)));
	free(c->pend);
	free(c->buf);
	free(c->sbuf);
	free(c);
}

int goferfs_backend_create(struct gofer_conn *c, int export, struct fs_backend **out)
{
	if (export < 0 || export >= c->nexports)
		return -EINVAL;
	if (c->info[export].err)
		return c->info[export].err < 0 && c->info[export].err > -4096 ? c->info[export].err : -EIO;
	struct goferfs *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->base.ops = &goferfs_ops;
	g->base.readonly = c->info[export].readonly != 0;
	g->c = c;
	g->export = export;
	c->refs++;
	*out = &g->base;
	return 0;
}
