/* Namespaces inside the sentry (see ns.h). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "ns.h"
#include "../socket/inet.h"

/* Linux numbers the initial namespaces from PROC_DYNAMIC_FIRST down;
 * programs only compare them, but familiar numbers help whoever reads
 * /proc/PID/ns by eye. New ones count up from above. */
#define INO_INIT_BASE 0xeffffffdULL
#define INO_DYNAMIC_FIRST 0xf0000100ULL
#define NS_LIVE_MAX 4096 /* per kind, like a small max_user_namespaces */

static const char *const kind_names[NSK_NR] = {
	[NSK_USER] = "user", [NSK_UTS] = "uts", [NSK_IPC] = "ipc", [NSK_NET] = "net",
	[NSK_MNT] = "mnt", [NSK_PID] = "pid", [NSK_CGROUP] = "cgroup", [NSK_TIME] = "time",
};

static const int kind_flags[NSK_NR] = {
	[NSK_USER] = CLONE_NEWUSER, [NSK_UTS] = CLONE_NEWUTS, [NSK_IPC] = CLONE_NEWIPC,
	[NSK_NET] = CLONE_NEWNET, [NSK_MNT] = CLONE_NEWNS, [NSK_PID] = CLONE_NEWPID,
	[NSK_CGROUP] = CLONE_NEWCGROUP, [NSK_TIME] = CLONE_NEWTIME,
};

/* The sandbox's own namespaces and the counts of live nested ones. */
struct ns_root {
	struct userns *user;
	struct nsproxy *proxy;
	struct ns_common fixed[NSK_NR]; /* pid, cgroup, time: one each */
	uint64_t next_ino;
	int live[NSK_NR];
};

static struct ns_root *root_of(const struct kernel *k)
{
	return k->ns;
}

const char *ns_kind_name(enum ns_kind kind)
{
	return kind < NSK_NR ? kind_names[kind] : "?";
}

int ns_kind_clone_flag(enum ns_kind kind)
{
	return kind < NSK_NR ? kind_flags[kind] : 0;
}

static void common_init(struct ns_common *c, struct kernel *k, enum ns_kind kind,
			struct userns *owner)
{
	struct ns_root *r = root_of(k);
	c->ref = 1;
	c->kind = kind;
	c->k = k;
	c->owner = owner ? userns_get(owner) : NULL;
	c->ino = r->next_ino++;
	r->live[kind]++;
}

void ns_get(struct ns_common *c)
{
	c->ref++;
}

static void free_map(struct id_map *m)
{
	free(m->e);
	m->e = NULL;
	m->n = 0;
}

void ns_put(struct ns_common *c)
{
	if (!c || --c->ref)
		return;
	struct ns_root *r = root_of(c->k);
	struct userns *owner = c->owner;
	if (r)
		r->live[c->kind]--;
	switch (c->kind) {
	case NSK_USER: {
		struct userns *u = (struct userns *)c;
		free_map(&u->uid_map);
		free_map(&u->gid_map);
		owner = u->parent;
		break;
	}
	case NSK_IPC:
		ipc_tables_destroy(((struct ipcns *)c)->tables);
		break;
	case NSK_NET:
		inet_netns_fini((struct netns *)c);
		break;
	case NSK_MNT: {
		struct mntns *m = (struct mntns *)c;
		if (m->tree) {
			mnt_tree_dissolve(m->tree);
			free(m->tree);
		}
		break;
	}
	default:
		break;
	}
	if (c->kind <= NSK_MNT)
		free(c);
	userns_put(owner);
}

struct userns *userns_get(struct userns *u)
{
	if (u)
		ns_get(&u->c);
	return u;
}

void userns_put(struct userns *u)
{
	if (u)
		ns_put(&u->c);
}

struct nsproxy *nsproxy_get(struct nsproxy *p)
{
	if (p)
		p->ref++;
	return p;
}

void nsproxy_put(struct nsproxy *p)
{
	if (!p || --p->ref)
		return;
	ns_put(&p->uts->c);
	ns_put(&p->ipc->c);
	ns_put(&p->net->c);
	ns_put(&p->mnt->c);
	free(p);
}

int ns_init(struct kernel *k)
{
	struct ns_root *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	k->ns = r;
	r->next_ino = INO_DYNAMIC_FIRST;
	struct userns *u = calloc(1, sizeof(*u));
	struct utsns *uts = calloc(1, sizeof(*uts));
	struct ipcns *ipc = calloc(1, sizeof(*ipc));
	struct netns *net = calloc(1, sizeof(*net));
	struct mntns *mnt = calloc(1, sizeof(*mnt));
	r->proxy = calloc(1, sizeof(*r->proxy));
	struct id_extent *um = calloc(1, sizeof(*um)), *gm = calloc(1, sizeof(*gm));
	if (!u || !uts || !ipc || !net || !mnt || !r->proxy || !um || !gm) {
		free(u), free(uts), free(ipc), free(net), free(mnt), free(r->proxy), free(um), free(gm);
		free(r);
		k->ns = NULL;
		return -ENOMEM;
	}
	/* The sandbox's user namespace maps every id to itself, as the
	 * initial one does ("0 0 4294967295"). */
	*um = (struct id_extent){ 0, 0, UINT32_MAX };
	*gm = *um;
	common_init(&u->c, k, NSK_USER, NULL);
	u->uid_map = (struct id_map){ 1, um };
	u->gid_map = (struct id_map){ 1, gm };
	r->user = u;
	common_init(&uts->c, k, NSK_UTS, u);
	strcpy(uts->hostname, "moat");
	strcpy(uts->domainname, "(none)");
	common_init(&ipc->c, k, NSK_IPC, u);
	common_init(&net->c, k, NSK_NET, u);
	common_init(&mnt->c, k, NSK_MNT, u);
	r->proxy->ref = 1;
	r->proxy->uts = uts;
	r->proxy->ipc = ipc;
	r->proxy->net = net;
	r->proxy->mnt = mnt;
	for (int i = NSK_PID; i < NSK_NR; i++) {
		r->fixed[i].ref = 1;
		r->fixed[i].kind = (enum ns_kind)i;
		r->fixed[i].k = k;
		r->fixed[i].owner = u;
	}
	/* The numbers Linux gives its initial namespaces. */
	u->c.ino = INO_INIT_BASE - 0;
	uts->c.ino = INO_INIT_BASE + 1;
	ipc->c.ino = INO_INIT_BASE + 2;
	mnt->c.ino = INO_INIT_BASE + 4;
	net->c.ino = INO_INIT_BASE + 3;
	r->fixed[NSK_PID].ino = INO_INIT_BASE - 1;
	r->fixed[NSK_CGROUP].ino = INO_INIT_BASE - 2;
	r->fixed[NSK_TIME].ino = INO_INIT_BASE - 3;
	return 0;
}

void ns_fini(struct kernel *k)
{
	struct ns_root *r = root_of(k);
	if (!r)
		return;
	nsproxy_put(r->proxy);
	userns_put(r->user);
	free(r);
	k->ns = NULL;
}

struct userns *ns_sandbox_user(struct kernel *k)
{
	return root_of(k)->user;
}

struct netns *ns_sandbox_net(struct kernel *k)
{
	return root_of(k)->proxy->net;
}

struct utsns *ns_sandbox_uts(struct kernel *k)
{
	return root_of(k)->proxy->uts;
}

/* ---- a task's namespaces ---- */

static struct nsproxy *proxy_of(const struct task *t)
{
	return t->nsp ? t->nsp : root_of(t->k)->proxy;
}

struct netns *task_netns(const struct task *t)
{
	return proxy_of(t)->net;
}

struct utsns *task_utsns(const struct task *t)
{
	return proxy_of(t)->uts;
}

struct ipcns *task_ipcns(const struct task *t)
{
	return proxy_of(t)->ipc;
}

struct mntns *task_mntns(const struct task *t)
{
	return proxy_of(t)->mnt;
}

struct mnt_tree *task_mnt_tree(const struct task *t)
{
	struct mntns *m = task_mntns(t);
	return m->tree ? m->tree : &t->k->vfs->init;
}

struct userns *task_userns(const struct task *t)
{
	return t->userns ? t->userns : root_of(t->k)->user;
}

struct ns_common *task_ns(struct task *t, enum ns_kind kind)
{
	switch (kind) {
	case NSK_USER:
		return &task_userns(t)->c;
	case NSK_UTS:
		return &task_utsns(t)->c;
	case NSK_IPC:
		return &task_ipcns(t)->c;
	case NSK_NET:
		return &task_netns(t)->c;
	case NSK_MNT:
		return &task_mntns(t)->c;
	case NSK_PID:
	case NSK_CGROUP:
	case NSK_TIME:
		return &root_of(t->k)->fixed[kind];
	default:
		return NULL;
	}
}

int ns_capable(const struct task *t, struct userns *ns, int cap)
{
	struct userns *mine = task_userns(t);
	for (struct userns *n = ns; n; n = n->parent) {
		if (n == mine)
			return (t->cred.cap_effective >> cap) & 1;
		/* The owner of a child namespace has every capability in it. */
		if (n->parent == mine && n->owner_uid == t->cred.euid)
			return 1;
	}
	return 0;
}

int capable_ids(const struct task *t, uid_t uid, gid_t gid, int cap)
{
	struct userns *u = task_userns(t);
	return ns_capable(t, u, cap) && userns_uid_to(u, uid) != (uid_t)-1 &&
	       userns_gid_to(u, gid) != (gid_t)-1;
}

/* ---- id maps ---- */

static uint32_t map_down(const struct id_map *m, uint32_t id)
{
	for (int i = 0; i < m->n; i++)
		if (id - m->e[i].first < m->e[i].count)
			return m->e[i].lower_first + (id - m->e[i].first);
	return (uint32_t)-1;
}

static uint32_t map_up(const struct id_map *m, uint32_t kid)
{
	for (int i = 0; i < m->n; i++)
		if (kid - m->e[i].lower_first < m->e[i].count)
			return m->e[i].first + (kid - m->e[i].lower_first);
	return (uint32_t)-1;
}

/* Extents hold kernel ids in lower_first (the parent's view is made when
 * the map is shown), so one lookup translates at any depth. */
uid_t userns_uid_from(struct userns *ns, uid_t uid) { return map_down(&ns->uid_map, uid); }
gid_t userns_gid_from(struct userns *ns, gid_t gid) { return map_down(&ns->gid_map, gid); }
uid_t userns_uid_to(struct userns *ns, uid_t kuid) { return map_up(&ns->uid_map, kuid); }
gid_t userns_gid_to(struct userns *ns, gid_t kgid) { return map_up(&ns->gid_map, kgid); }

uid_t uid_to_user(const struct task *t, uid_t kuid)
{
	uid_t u = userns_uid_to(task_userns(t), kuid);
	return u == (uid_t)-1 ? OVERFLOW_ID : u;
}

gid_t gid_to_user(const struct task *t, gid_t kgid)
{
	gid_t g = userns_gid_to(task_userns(t), kgid);
	return g == (gid_t)-1 ? OVERFLOW_ID : g;
}

uid_t uid_from_user(const struct task *t, uid_t uid)
{
	return userns_uid_from(task_userns(t), uid);
}

gid_t gid_from_user(const struct task *t, gid_t gid)
{
	return userns_gid_from(task_userns(t), gid);
}

int ns_map_show(struct userns *ns, int gid, const struct task *viewer, char *buf, size_t len)
{
	/* Field 2 is seen from the viewer's namespace, or from the parent
	 * when the viewer is inside ns (user_namespaces(7)). */
	struct userns *from = task_userns(viewer);
	if (from == ns && ns->parent)
		from = ns->parent;
	const struct id_map *m = gid ? &ns->gid_map : &ns->uid_map;
	const struct id_map *fm = gid ? &from->gid_map : &from->uid_map;
	size_t off = 0;
	for (int i = 0; i < m->n; i++) {
		uint32_t lower = map_up(fm, m->e[i].lower_first);
		if (lower == (uint32_t)-1)
			continue; /* not visible from there */
		int w = snprintf(buf + off, len - off, "%10u %10u %10u\n", m->e[i].first, lower,
				 m->e[i].count);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
	return (int)off;
}

static int parse_u32(const char **p, const char *end, uint32_t *out)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
		s++;
	}
	*p = s;
	*out = (uint32_t)v;
	return 0;
}

static int overlaps(const struct id_extent *a, const struct id_extent *b)
{
	uint64_t af = a->first, bf = b->first, al = a->lower_first, bl = b->lower_first;
	return (af < bf + b->count && bf < af + a->count) ||
	       (al < bl + b->count && bl < al + a->count);
}

int ns_map_write(struct task *w, struct task *target, int gid, const char *text, size_t len)
{
	struct userns *ns = task_userns(target);
	struct id_map *m = gid ? &ns->gid_map : &ns->uid_map;
	if (m->n || !ns->parent)
		return -EPERM; /* written once; the sandbox's is fixed */
	struct userns *wns = task_userns(w);
	if (wns != ns && wns != ns->parent)
		return -EPERM;
	if (!ns_capable(w, ns, gid ? KCAP_SETGID : KCAP_SETUID))
		return -EPERM;
	if (len == 0 || len >= 4096)
		return -EINVAL;
	/* Field 2 is in the writer's namespace, or the parent's when the
	 * writer is inside ns. */
	struct userns *from = wns == ns ? ns->parent : wns;
	struct id_extent *e = calloc(ID_MAP_MAX, sizeof(*e));
	if (!e)
		return -ENOMEM;
	int n = 0, r = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		if (*p == '\n') {
			p++;
			continue;
		}
		struct id_extent x;
		if (n == ID_MAP_MAX || parse_u32(&p, end, &x.first) || parse_u32(&p, end, &x.lower_first) ||
		    parse_u32(&p, end, &x.count) || x.count == 0 ||
		    (uint64_t)x.first + x.count > UINT32_MAX ||
		    (uint64_t)x.lower_first + x.count > UINT32_MAX) {
			r = -EINVAL;
			break;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '\n') {
			r = -EINVAL;
			break;
		}
		/* The whole range must be mapped in `from`, by one extent. */
		uint32_t k0 = gid ? userns_gid_from(from, x.lower_first) : userns_uid_from(from, x.lower_first);
		uint32_t k1 = gid ? userns_gid_from(from, x.lower_first + x.count - 1)
				  : userns_uid_from(from, x.lower_first + x.count - 1);
		if (k0 == (uint32_t)-1 || k1 == (uint32_t)-1 || k1 - k0 != x.count - 1) {
			r = -EPERM;
			break;
		}
		x.lower_first = k0;
		for (int i = 0; i < n && !r; i++)
			if (overlaps(&e[i], &x))
				r = -EINVAL;
		if (r)
			break;
		e[n++] = x;
	}
	if (!r && n == 0)
		r = -EINVAL;
	/* Without CAP_SETUID/CAP_SETGID over the parent, one line mapping
	 * the owner's own id, and for gids only after setgroups is denied. */
	if (!r && !ns_capable(w, ns->parent, gid ? KCAP_SETGID : KCAP_SETUID)) {
		int own = n == 1 && e[0].count == 1 &&
			  (gid ? e[0].lower_first == ns->owner_gid : e[0].lower_first == ns->owner_uid);
		if (!own || (gid && !ns->setgroups_deny))
			r = -EPERM;
	}
	if (r) {
		free(e);
		return r;
	}
	m->e = realloc(e, (size_t)n * sizeof(*e));
	if (!m->e)
		m->e = e;
	m->n = n;
	return 0;
}

int ns_setgroups_write(struct task *w, struct task *target, const char *text, size_t len)
{
	struct userns *ns = task_userns(target);
	char word[8] = { 0 };
	size_t n = len;
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	if (n >= sizeof(word))
		return -EINVAL;
	memcpy(word, text, n);
	int deny;
	if (!strcmp(word, "deny"))
		deny = 1;
	else if (!strcmp(word, "allow"))
		deny = 0;
	else
		return -EINVAL;
	if (!ns->parent || !ns_capable(w, ns, KCAP_SYS_ADMIN))
		return -EPERM;
	/* Once gid_map is written the choice is fixed; and an "allow"
	 * cannot undo a deny (a parent's included). */
	if (ns->gid_map.n || (!deny && ns->setgroups_deny))
		return -EPERM;
	ns->setgroups_deny = deny;
	return 0;
}

/* ---- unshare, clone, setns ---- */

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS)
#define NS_FLAGS_FIXED (NS_CLONE_FLAGS & ~NS_FLAGS)

/* A new namespace of kind (a struct of size bytes that starts with its
 * ns_common), counted and owned by owner; NULL with *err set: ENOSPC past
 * the count limit (Linux's answer there too), ENOMEM. */
static void *new_ns(struct task *t, enum ns_kind kind, size_t size, struct userns *owner, int *err)
{
	if (root_of(t->k)->live[kind] >= NS_LIVE_MAX) {
		*err = -ENOSPC;
		return NULL;
	}
	struct ns_common *c = calloc(1, size);
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	common_init(c, t->k, kind, owner);
	return c;
}

static int make_userns(struct task *t, struct userns **out)
{
	struct userns *parent = task_userns(t);
	if (parent->level >= 32)
		return -ENOSPC; /* Linux: ENOSPC past 32 levels */
	int e = 0;
	struct userns *u = new_ns(t, NSK_USER, sizeof(*u), NULL, &e);
	if (!u)
		return e;
	u->parent = userns_get(parent);
	u->level = parent->level + 1;
	u->owner_uid = t->cred.euid;
	u->owner_gid = t->cred.egid;
	u->setgroups_deny = parent->setgroups_deny;
	*out = u;
	return 0;
}

/* A new mount namespace for t, owned by owner: a copy of t's mount
 * tree, into which fs (t's own or its child's) moves. */
static struct mntns *make_mntns(struct task *t, struct userns *owner, struct fs_ctx *fs, int *err)
{
	struct mntns *old = task_mntns(t);
	struct mntns *m = new_ns(t, NSK_MNT, sizeof(*m), owner, err);
	if (!m)
		return NULL;
	m->tree = calloc(1, sizeof(*m->tree));
	if (!m->tree) {
		*err = -ENOMEM;
		ns_put(&m->c);
		return NULL;
	}
	mnt_tree_init(m->tree);
	struct path *remap[] = { &fs->root, &fs->cwd };
	*err = mnt_tree_copy(t->k->vfs, task_mnt_tree(t), m->tree, owner != old->c.owner, remap, 2);
	if (*err) {
		ns_put(&m->c);
		return NULL;
	}
	return m;
}

/* A new set of namespaces from t's current one: the kinds in flags are
 * made new, owned by owner; fs moves into a new mount namespace. */
static int make_proxy(struct task *t, uint64_t flags, struct userns *owner, struct fs_ctx *fs,
		      struct nsproxy **out)
{
	struct nsproxy *old = proxy_of(t);
	struct nsproxy *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ref = 1;
	int e = 0;
	if (!(flags & CLONE_NEWUTS)) {
		ns_get(&old->uts->c);
		p->uts = old->uts;
	} else if ((p->uts = new_ns(t, NSK_UTS, sizeof(*p->uts), owner, &e))) {
		memcpy(p->uts->hostname, old->uts->hostname, sizeof(p->uts->hostname));
		memcpy(p->uts->domainname, old->uts->domainname, sizeof(p->uts->domainname));
	}
	if (!e && !(flags & CLONE_NEWIPC)) {
		ns_get(&old->ipc->c);
		p->ipc = old->ipc;
	} else if (!e) {
		p->ipc = new_ns(t, NSK_IPC, sizeof(*p->ipc), owner, &e);
	}
	if (!e && !(flags & CLONE_NEWNET)) {
		ns_get(&old->net->c);
		p->net = old->net;
	} else if (!e && (p->net = new_ns(t, NSK_NET, sizeof(*p->net), owner, &e))) {
		p->net->nested = 1;
		if ((e = inet_netns_init(p->net)) < 0) {
			p->net->nested = 0; /* nothing to tear down */
			ns_put(&p->net->c);
			p->net = NULL;
		}
	}
	if (!e && !(flags & CLONE_NEWNS)) {
		ns_get(&old->mnt->c);
		p->mnt = old->mnt;
	} else if (!e) {
		p->mnt = make_mntns(t, owner, fs, &e);
	}
	if (e) {
		if (p->uts)
			ns_put(&p->uts->c);
		if (p->ipc)
			ns_put(&p->ipc->c);
		if (p->net)
			ns_put(&p->net->c);
		if (p->mnt)
			ns_put(&p->mnt->c);
		free(p);
		return e;
	}
	*out = p;
	return 0;
}

/* A task entering a user namespace it made or joined has every
 * capability there (and none outside, which ns_capable sees). */
static void enter_userns(struct task *t, struct userns *u)
{
	userns_put(t->userns);
	t->userns = u;
	t->cred.cap_effective = t->cred.cap_permitted = CAP_ALL;
	t->cred.cap_bounding = CAP_ALL;
	t->cred.cap_inheritable = 0;
	t->cred.cap_ambient = 0;
}

static long check_flags(struct task *t, uint64_t flags, struct userns **newuser)
{
	*newuser = NULL;
	if (flags & NS_FLAGS_FIXED)
		return -EPERM; /* one of each (ns.h) */
	/* The others need CAP_SYS_ADMIN where the caller is, unless it
	 * makes a user namespace too, in which it has every capability. */
	if ((flags & (NS_FLAGS & ~CLONE_NEWUSER)) && !(flags & CLONE_NEWUSER) &&
	    !ns_capable(t, task_userns(t), KCAP_SYS_ADMIN))
		return -EPERM;
	return (flags & CLONE_NEWUSER) ? make_userns(t, newuser) : 0;
}

long ns_unshare(struct task *t, uint64_t flags)
{
	if (!(flags & (NS_FLAGS | NS_FLAGS_FIXED)))
		return 0;
	/* (sys_unshare checked CLONE_THREAD, which CLONE_NEWUSER implies.) */
	struct userns *nu;
	long e = check_flags(t, flags, &nu);
	if (e)
		return e;
	struct nsproxy *np = NULL;
	if (flags & (NS_FLAGS & ~CLONE_NEWUSER)) {
		e = make_proxy(t, flags, nu ? nu : task_userns(t), t->fs, &np);
		if (e) {
			userns_put(nu);
			return e;
		}
	}
	if (flags & CLONE_NEWIPC)
		ipc_exit_tg(t->tg); /* the semaphore adjustments belong to the old one */
	if (nu)
		enter_userns(t, nu);
	if (np) {
		nsproxy_put(t->nsp);
		t->nsp = np;
	}
	return 0;
}

long ns_clone(struct task *parent, struct task *c, uint64_t flags)
{
	c->userns = userns_get(task_userns(parent));
	c->nsp = nsproxy_get(proxy_of(parent));
	if (!(flags & (NS_FLAGS | NS_FLAGS_FIXED)))
		return 0;
	if ((flags & CLONE_NEWUSER) && (flags & (CLONE_THREAD | CLONE_FS)))
		return -EINVAL;
	struct userns *nu;
	long e = check_flags(parent, flags, &nu);
	if (e)
		return e;
	if ((flags & CLONE_NEWNS) && !(c->fs = fs_ctx_clone(parent->fs))) {
		userns_put(nu);
		return -ENOMEM;
	}
	if (flags & (NS_FLAGS & ~CLONE_NEWUSER)) {
		struct nsproxy *np;
		e = make_proxy(parent, flags, nu ? nu : task_userns(parent), c->fs, &np);
		if (e) {
			userns_put(nu);
			return e;
		}
		nsproxy_put(c->nsp);
		c->nsp = np;
	}
	if (nu)
		enter_userns(c, nu);
	return 0;
}

/* Entering a user namespace needs a caller alone in its process and
 * with an fs context of its own (Linux: EINVAL otherwise). */
static int alone(const struct task *t)
{
	return t->tg->nr_threads == 1 && (!t->fs || t->fs->ref == 1);
}

/* t's namespaces become uts, ipc, net and mnt; with leave_ipc, the
 * semaphore adjustments of its IPC namespace are applied first; with
 * enter_mnt, t's root and cwd become mnt's root (t's fs context is its
 * own: the callers checked). */
static long switch_proxy(struct task *t, struct utsns *uts, struct ipcns *ipc, struct netns *net,
			 struct mntns *mnt, int leave_ipc, int enter_mnt)
{
	struct nsproxy *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ref = 1;
	p->uts = uts;
	p->ipc = ipc;
	p->net = net;
	p->mnt = mnt;
	ns_get(&uts->c);
	ns_get(&ipc->c);
	ns_get(&net->c);
	ns_get(&mnt->c);
	if (leave_ipc)
		ipc_exit_tg(t->tg);
	nsproxy_put(t->nsp);
	t->nsp = p;
	if (enter_mnt) {
		struct path root;
		mnt_tree_root(task_mnt_tree(t), &root);
		path_put(&t->fs->root);
		path_put(&t->fs->cwd);
		t->fs->root = root;
		t->fs->cwd = root;
		path_get(&t->fs->cwd);
	}
	return 0;
}

/* Entering a mount namespace changes root and cwd: not for a caller
 * that shares them (Linux: EINVAL). */
static int fs_alone(const struct task *t)
{
	return t->fs->ref == 1;
}

long ns_enter(struct task *t, struct ns_common *c, int nstype)
{
	if (nstype && nstype != kind_flags[c->kind])
		return -EINVAL;
	if (c->kind == NSK_USER) {
		struct userns *u = (struct userns *)c;
		if (u == task_userns(t) || !alone(t))
			return -EINVAL;
		if (!ns_capable(t, u, KCAP_SYS_ADMIN))
			return -EPERM;
		enter_userns(t, userns_get(u));
		return 0;
	}
	struct userns *owner = c->owner;
	if (c->kind == NSK_MNT && !fs_alone(t))
		return -EINVAL;
	if (!ns_capable(t, owner, KCAP_SYS_ADMIN) || !ns_capable(t, task_userns(t), KCAP_SYS_ADMIN))
		return -EPERM;
	if (c->kind == NSK_MNT && !ns_capable(t, task_userns(t), KCAP_SYS_CHROOT))
		return -EPERM;
	if (c->kind > NSK_MNT)
		return 0; /* one of each: t is in it already */
	struct nsproxy *old = proxy_of(t);
	return switch_proxy(t, c->kind == NSK_UTS ? (struct utsns *)c : old->uts,
			    c->kind == NSK_IPC ? (struct ipcns *)c : old->ipc,
			    c->kind == NSK_NET ? (struct netns *)c : old->net,
			    c->kind == NSK_MNT ? (struct mntns *)c : old->mnt, c->kind == NSK_IPC,
			    c->kind == NSK_MNT);
}

/* Whether a task whose user namespace is u, holding every capability
 * there, has capabilities in ns (ns_capable for a caller just entered). */
static int full_caps_over(struct userns *u, struct userns *ns)
{
	for (struct userns *n = ns; n; n = n->parent)
		if (n == u)
			return 1;
	return 0;
}

long ns_enter_task(struct task *t, struct task *target, uint64_t flags)
{
	if (!flags || (flags & ~(uint64_t)NS_CLONE_FLAGS))
		return -EINVAL;
	if (!target)
		return -ESRCH;
	/* Every check first: the namespaces are entered all or none. */
	struct userns *nu = NULL;
	if (flags & CLONE_NEWUSER) {
		nu = task_userns(target);
		if (nu == task_userns(t) || !alone(t))
			return -EINVAL; /* (the first as with a user namespace file) */
		if (!ns_capable(t, nu, KCAP_SYS_ADMIN))
			return -EPERM;
	}
	if ((flags & CLONE_NEWNS) && !fs_alone(t))
		return -EINVAL;
	for (int k = NSK_UTS; k < NSK_NR; k++) {
		if (!(flags & (uint64_t)kind_flags[k]))
			continue;
		struct userns *owner = task_ns(target, (enum ns_kind)k)->owner;
		int ok = nu ? full_caps_over(nu, owner)
			    : ns_capable(t, owner, KCAP_SYS_ADMIN) &&
				      ns_capable(t, task_userns(t), KCAP_SYS_ADMIN) &&
				      (k != NSK_MNT || ns_capable(t, task_userns(t), KCAP_SYS_CHROOT));
		if (!ok)
			return -EPERM;
	}
	struct nsproxy *old = proxy_of(t), *tp = proxy_of(target);
	long e = switch_proxy(t, (flags & CLONE_NEWUTS) ? tp->uts : old->uts,
			      (flags & CLONE_NEWIPC) ? tp->ipc : old->ipc,
			      (flags & CLONE_NEWNET) ? tp->net : old->net,
			      (flags & CLONE_NEWNS) ? tp->mnt : old->mnt,
			      (flags & CLONE_NEWIPC) && tp->ipc != old->ipc, (flags & CLONE_NEWNS) != 0);
	if (!e && nu)
		enter_userns(t, userns_get(nu));
	return e;
}
