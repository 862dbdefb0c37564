/*
 * Mount trees: the sandbox's mounts and the copies that mount namespaces
 * (ns.c) hold, and what mount(2) and umount2(2) do to them.
 *
 * Invariants: a mount in a tree holds one reference for it; its parent
 * is in the same tree and comes before it in tree->mounts. A detached
 * mount (umount, MNT_DETACH, a namespace gone) has neither tree, parent
 * nor mountpoint and lives on as long as open files or a cwd hold it;
 * the mounts below it were detached with it, so nothing reached through
 * it can lead back into a tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysinfo.h>

#include "vfs.h"
#include "../kernel/kernel.h"

/* The per-mount flags mount(2) takes (the rest are the superblock's). */
#define MNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | \
		   MS_RELATIME | MS_NOSYMFOLLOW)
#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME)
#define LOCKABLE (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define MOUNT_MAX 100000 /* mounts in one namespace: Linux's fs.mount-max */

struct super *procfs_super(void);

void mnt_tree_init(struct mnt_tree *tr)
{
	tr->root = NULL;
	list_init(&tr->mounts);
	tr->count = 0;
}

/* A new unattached mount of sb at root; the caller gives it a reference
 * of sb. */
static struct mount *mnt_alloc(struct vfs *v, struct super *sb, struct dentry *root, unsigned flags,
			       const char *source)
{
	struct mount *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->source = strdup(source ? source : "none");
	if (!m->source) {
		free(m);
		return NULL;
	}
	m->ref = 1; /* the tree's */
	m->sb = sb;
	m->root = dentry_get(root);
	m->flags = flags;
	m->id = v->next_mnt_id++;
	list_init(&m->children);
	list_init(&m->sibling);
	list_init(&m->all);
	list_add_tail(&m->global, &v->all_mounts);
	return m;
}

static void mnt_attach(struct mnt_tree *tr, struct mount *m, struct mount *parent, struct dentry *mp)
{
	m->tree = tr;
	if (parent) {
		m->parent = parent;
		m->mountpoint = dentry_get(mp);
		mp->nmounted++;
		mp->flags |= D_MOUNTED;
		list_add_tail(&m->sibling, &parent->children);
	} else {
		tr->root = m;
	}
	list_add_tail(&m->all, &tr->mounts);
	tr->count++;
}

/* Detach m, whose children are detached already; drops the tree's
 * reference. */
static void mnt_detach_one(struct mount *m)
{
	struct mnt_tree *tr = m->tree;
	if (m->parent) {
		struct dentry *mp = m->mountpoint;
		list_del(&m->sibling);
		if (--mp->nmounted == 0)
			mp->flags &= ~D_MOUNTED;
		m->parent = NULL;
		m->mountpoint = NULL;
		dentry_put(mp);
	} else if (tr->root == m) {
		tr->root = NULL;
	}
	list_del(&m->all);
	tr->count--;
	m->tree = NULL;
	m->group = m->master = 0; /* (it leaves its peer group) */
	mount_put(m);
}

static void mnt_detach_tree(struct mount *m)
{
	while (!list_empty(&m->children))
		mnt_detach_tree(list_entry(m->children.next, struct mount, sibling));
	mnt_detach_one(m);
}

void mnt_tree_root(struct mnt_tree *tr, struct path *out)
{
	struct mount *m = tr->root, *top;
	while ((top = mount_lookup(NULL, m, m->root)))
		m = top;
	out->mnt = mount_get(m);
	out->dentry = dentry_get(m->root);
}

void mnt_tree_dissolve(struct mnt_tree *tr)
{
	if (tr->root)
		mnt_detach_tree(tr->root);
}

int vfs_mount(struct vfs *v, struct path *at, struct super *sb, struct dentry *root,
	      unsigned flags, const char *source)
{
	/* (relatime: Linux's default for every mount) */
	struct mount *m = mnt_alloc(v, sb, root, flags | MS_RELATIME, source);
	if (!m)
		return -ENOMEM;
	/* What the sandbox's configuration made read-only, nosuid, ...
	 * stays so: its mounts are the container's, like the mounts Linux
	 * locks when it copies them into a less privileged namespace. */
	m->locked = flags & LOCKABLE;
	mnt_attach(&v->init, m, at ? at->mnt : NULL, at ? at->dentry : NULL);
	return 0;
}

struct mount *vfs_internal_mount(struct vfs *v, struct super *sb)
{
	struct dentry *root = dentry_alloc_root(sb, inode_get(sb->root));
	struct mount *m = root ? mnt_alloc(v, sb, root, 0, sb->type ? sb->type->name : "none") : NULL;
	if (!root)
		inode_put(sb->root);
	dentry_put(root);
	if (m)
		sb->ref++;
	return m;
}

/* Whether a and b name the same place: one dentry, or (a file system
 * that caches no dentries, procfs) the same names up to a common one. */
static int same_place(struct dentry *a, struct dentry *b)
{
	if (a == b)
		return 1;
	if (!(a->sb->flags & SB_NOCACHE) || a->sb != b->sb)
		return 0;
	for (; a != b; a = a->parent, b = b->parent)
		if (!a || !b || strcmp(a->name, b->name))
			return 0;
	return 1;
}

struct mount *mount_lookup(struct vfs *v, struct mount *mnt, struct dentry *d)
{
	(void)v;
	if (!(d->flags & D_MOUNTED) && !(d->sb->flags & SB_NOCACHE))
		return NULL;
	struct mount *found = NULL;
	struct list *l;
	list_for_each(l, &mnt->children)
	{
		struct mount *c = list_entry(l, struct mount, sibling);
		if (same_place(c->mountpoint, d))
			found = c; /* the last one mounted is on top */
	}
	return found;
}

/* A copy of old rooted at root (a dentry of old's), unattached. */
static struct mount *mnt_clone(struct vfs *v, struct mount *old, struct dentry *root)
{
	struct mount *m = mnt_alloc(v, old->sb, root, old->flags, old->source);
	if (!m)
		return NULL;
	old->sb->ref++;
	m->locked = old->locked;
	m->pinned = old->pinned;
	m->group = old->group;
	m->master = old->master;
	m->unbindable = old->unbindable;
	return m;
}

static void clear_copies(struct mnt_tree *tr)
{
	struct list *l;
	list_for_each(l, &tr->mounts)
	{
		list_entry(l, struct mount, all)->copy = NULL;
	}
}

int mnt_tree_copy(struct vfs *v, struct mnt_tree *from, struct mnt_tree *to, int to_slave,
		  struct path *const remap[], int nremap)
{
	int e = 0;
	struct list *l;
	list_for_each(l, &from->mounts)
	{
		struct mount *o = list_entry(l, struct mount, all);
		struct mount *c = mnt_clone(v, o, o->root);
		if (!c) {
			e = -ENOMEM;
			break;
		}
		if (to_slave) {
			/* A namespace of a less privileged owner: it receives
			 * from the original's peers but sends nothing back, and
			 * may not undo ro, nosuid, nodev, noexec (Linux's
			 * CL_SHARED_TO_SLAVE and locked flags). */
			if (c->group)
				c->master = c->group;
			c->group = 0;
			c->locked |= c->flags & LOCKABLE;
			c->pinned = o->parent != NULL; /* (nothing is under the root) */
		}
		o->copy = c;
		/* (the parent came first: its copy exists) */
		mnt_attach(to, c, o->parent ? o->parent->copy : NULL, o->mountpoint);
	}
	for (int i = 0; !e && i < nremap; i++) {
		struct path *p = remap[i];
		if (p->mnt && p->mnt->tree == from && p->mnt->copy) {
			struct mount *c = mount_get(p->mnt->copy);
			mount_put(p->mnt);
			p->mnt = c;
		}
	}
	clear_copies(from);
	if (e)
		mnt_tree_dissolve(to);
	return e;
}

/* ---- mount(2) ---- */

static int dentry_under(struct dentry *d, struct dentry *anc)
{
	for (; d; d = d->parent)
		if (d == anc)
			return 1;
	return 0;
}

/* Whether (m, d) is at or below the path root. */
static int path_under(struct mount *m, struct dentry *d, const struct path *root)
{
	while (m != root->mnt) {
		if (!m->parent)
			return 0;
		d = m->mountpoint;
		m = m->parent;
	}
	return dentry_under(d, root->dentry);
}

int vfs_path_under(const struct path *p, const struct path *root)
{
	return path_under(p->mnt, p->dentry, root);
}

static int mnt_under(struct mount *m, struct mount *anc)
{
	for (; m; m = m->parent)
		if (m == anc)
			return 1;
	return 0;
}

/* Mounts attached under a shared mount are shared too, each subtree
 * mount with a new peer group of its own (Linux's attach_recursive_mnt). */
static void share_if_parent_shared(struct vfs *v, struct mnt_tree *tr, struct mount *m)
{
	if (!m->parent || !m->parent->group)
		return;
	for (struct list *l = &m->all; l != &tr->mounts; l = l->next) {
		struct mount *c = list_entry(l, struct mount, all);
		if (mnt_under(c, m) && !c->group)
			c->group = v->next_group++;
	}
}

/* The per-mount flags of a mount(2) call (Linux's defaults: relatime
 * unless noatime or strictatime; a remount that names no atime flag
 * keeps the mount's). */
static unsigned mnt_flags(unsigned long flags, const struct mount *old)
{
	unsigned f = (unsigned)flags & (MNT_FLAGS & ~MS_RELATIME);
	if (!(flags & MS_NOATIME))
		f |= MS_RELATIME;
	if (flags & MS_STRICTATIME)
		f &= ~(unsigned)(MS_RELATIME | MS_NOATIME);
	if (old && !(flags & (ATIME_FLAGS | MS_STRICTATIME)))
		f = (f & ~(unsigned)ATIME_FLAGS) | (old->flags & ATIME_FLAGS);
	return f;
}

static int parse_num(const char *s, unsigned long long *out, int base)
{
	char *end;
	if (!*s)
		return -EINVAL;
	*out = strtoull(s, &end, base);
	return *end ? -EINVAL : 0;
}

/* memparse(): a number and an optional binary suffix; *end after it. */
static int mem_value(const char *s, unsigned long long *out, char **end)
{
	*out = strtoull(s, end, 0);
	if (*end == s)
		return -EINVAL;
	const char *suf = strchr("kmgtpe", **end | 0x20);
	if (**end && suf) {
		for (int i = 0; i <= suf - "kmgtpe"; i++)
			*out <<= 10;
		(*end)++;
	}
	return 0;
}

/* tmpfs's options (tmpfs(5)) into p; the generic ones mount(8) leaves in
 * the data ("ro", "rw", ...) set *ro. With remount, those that a remount
 * cannot change (mode, uid, gid) are checked and dropped, as Linux does. */
static int tmpfs_parse(struct task *t, const char *data, struct tmpfs_params *p, int *ro, int remount)
{
	char buf[4096];
	struct tmpfs_params n = *p;
	if (!data)
		return 0;
	snprintf(buf, sizeof(buf), "%s", data);
	char *save = NULL;
	for (char *opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *val = strchr(opt, '='), *end;
		unsigned long long v;
		if (val)
			*val++ = 0;
		if (!strcmp(opt, "ro") && !val) {
			*ro = 1;
		} else if (!strcmp(opt, "rw") && !val) {
			*ro = 0;
		} else if ((!strcmp(opt, "sync") || !strcmp(opt, "async") || !strcmp(opt, "dirsync") ||
			    !strcmp(opt, "lazytime") || !strcmp(opt, "nolazytime") || !strcmp(opt, "silent") ||
			    !strcmp(opt, "inode32") || !strcmp(opt, "inode64") || !strcmp(opt, "noswap")) &&
			   !val) {
			continue;
		} else if (!strcmp(opt, "mode") && val) {
			if (parse_num(val, &v, 8))
				return -EINVAL;
			n.mode = (mode_t)(v & 07777);
		} else if (!strcmp(opt, "uid") && val) {
			if (parse_num(val, &v, 0) || v > 0xffffffffULL ||
			    (n.uid = uid_from_user(t, (uid_t)v)) == (uid_t)-1)
				return -EINVAL;
		} else if (!strcmp(opt, "gid") && val) {
			if (parse_num(val, &v, 0) || v > 0xffffffffULL ||
			    (n.gid = gid_from_user(t, (gid_t)v)) == (gid_t)-1)
				return -EINVAL;
		} else if (!strcmp(opt, "size") && val) {
			if (mem_value(val, &v, &end))
				return -EINVAL;
			if (*end == '%') { /* of the RAM */
				struct sysinfo si;
				uint64_t ram = sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
				v = (v << 12) * (ram / 4096) / 100; /* (Linux's arithmetic) */
				end++;
			}
			if (*end)
				return -EINVAL;
			n.size_pages = (int64_t)((v + 4095) / 4096);
		} else if ((!strcmp(opt, "nr_blocks") || !strcmp(opt, "nr_inodes")) && val) {
			if (mem_value(val, &v, &end) || *end || v > INT64_MAX)
				return -EINVAL;
			*(opt[3] == 'b' ? &n.size_pages : &n.nr_inodes) = (int64_t)v;
		} else if (!strcmp(opt, "huge") && val) {
			static const char *const names[] = { "never", "always", "within_size", "advise" };
			int i = 0;
			while (i < 4 && strcmp(val, names[i]))
				i++;
			if (i == 4)
				return -EINVAL;
			n.huge = i;
		} else {
			return -EINVAL; /* "tmpfs: Unknown parameter" */
		}
	}
	if (remount) {
		n.mode = p->mode;
		n.uid = p->uid;
		n.gid = p->gid;
	}
	*p = n;
	return 0;
}

/* The root of a new mount of type (ENODEV for one we do not have): a
 * new tmpfs, or the one procfs or devpts again (the sandbox has one PID
 * namespace and one set of ptys: their options are accepted and
 * ignored). Returns a referenced dentry whose super holds one reference
 * more, for the mount. */
static int new_root(struct task *t, const char *type, unsigned long flags, const char *data,
		    struct dentry **out)
{
	struct vfs *v = t->k->vfs;
	struct tmpfs_params o = { -1, -1, 01777, t->cred.fsuid, t->cred.fsgid, 0 };
	int ro = (flags & MS_RDONLY) != 0, e;
	struct super *sb;
	if (!type)
		return -EINVAL;
	if (!strcmp(type, "proc")) {
		sb = procfs_super();
		*out = dentry_alloc_root(sb, inode_get(sb->root));
		if (!*out) {
			inode_put(sb->root);
			super_put(sb);
		}
		return *out ? 0 : -ENOMEM;
	}
	if (!strcmp(type, "devpts")) {
		struct dentry *pts = pty_devpts_dir();
		if (!pts)
			return -ENODEV;
		pts->sb->ref++;
		*out = dentry_get(pts);
		return 0;
	}
	if (!strcmp(type, "sysfs")) {
		/* what the sandbox's /sys is: empty and read-only (ip netns
		 * exec mounts one) */
		o.mode = 0555;
		ro = 1;
		o.uid = o.gid = 0;
	} else if (strcmp(type, "tmpfs")) {
		return -ENODEV;
	} else if ((e = tmpfs_parse(t, data, &o, &ro, 0))) {
		return e;
	}
	/* (the root dentry takes the root inode's reference) */
	sb = tmpfs_create(v, NULL, NULL, ro ? SB_RDONLY : 0, o.mode);
	if (!sb)
		return -ENOMEM;
	sb->root->uid = o.uid;
	sb->root->gid = o.gid;
	sb->owner = userns_get(task_userns(t));
	if (strcmp(type, "sysfs"))
		tmpfs_set_params(sb, &o);
	*out = dentry_alloc_root(sb, sb->root);
	if (!*out) {
		inode_put(sb->root);
		super_put(sb);
		return -ENOMEM;
	}
	return 0;
}

static int new_mount(struct task *t, struct mnt_tree *tr, struct path *at, const char *type,
		     unsigned long flags, const char *source, const char *data)
{
	struct vfs *v = t->k->vfs;
	struct dentry *root;
	/* (Linux finds the type and reads the options before it looks at
	 * the target's mount) */
	int e = new_root(t, type, flags, data, &root);
	if (e)
		return e;
	struct super *sb = root->sb;
	struct mount *m = NULL;
	if (at->dentry->flags & D_DELETED)
		e = -ENOENT; /* a removed directory (reached as a cwd or an fd) */
	else if (at->mnt->tree != tr)
		e = -EINVAL;
	else if (!S_ISDIR(at->dentry->inode->mode))
		e = -ENOTDIR;
	else if (tr->count >= MOUNT_MAX)
		e = -ENOSPC;
	else if (!(m = mnt_alloc(v, sb, root, mnt_flags(flags, NULL), source)))
		e = -ENOMEM;
	dentry_put(root);
	if (e) {
		super_put(sb);
		return e;
	}
	mnt_attach(tr, m, at->mnt, at->dentry);
	share_if_parent_shared(v, tr, m);
	return 0;
}

/* MS_BIND: a copy of the mount at source (with MS_REC, of the mounts
 * below it too, but for unbindable ones) onto at. */
static int do_bind(struct task *t, struct mnt_tree *tr, struct path *at, const char *source, int rec)
{
	struct vfs *v = t->k->vfs;
	if (!source || !*source)
		return -EINVAL;
	struct nameidata src;
	int e = namei(t, AT_FDCWD, source, LOOKUP_FOLLOW, &src);
	if (e)
		return e;
	struct mount *old = src.path.mnt;
	struct dentry *sd = src.path.dentry;
	if (old->unbindable)
		e = -EINVAL;
	else if (at->dentry->flags & D_DELETED)
		e = -ENOENT;
	else if (at->mnt->tree != tr || (old->tree != tr && !procfs_ns_inode(sd->inode)))
		e = -EINVAL; /* (a namespace file may come from anywhere: ip netns add) */
	else if (S_ISDIR(at->dentry->inode->mode) != S_ISDIR(sd->inode->mode))
		e = -ENOTDIR;
	else if (tr->count >= MOUNT_MAX)
		e = -ENOSPC;
	if (old->tree != tr)
		rec = 0; /* (a namespace file: nothing is mounted below it) */
	if (!e && !rec) {
		/* a bind without MS_REC would show what pinned mounts hide */
		struct list *l;
		list_for_each(l, &old->children)
		{
			struct mount *c = list_entry(l, struct mount, sibling);
			if (c->pinned && dentry_under(c->mountpoint, sd))
				e = -EINVAL;
		}
	}
	struct mount *top = e ? NULL : mnt_clone(v, old, sd);
	if (!e && !top)
		e = -ENOMEM;
	if (e) {
		path_put(&src.path);
		return e;
	}
	top->unbindable = 0;
	top->pinned = 0; /* (the copy's own top hides nothing; what is below it stays pinned) */
	struct list *end = tr->mounts.prev; /* what is attached now is not copied again */
	mnt_attach(tr, top, at->mnt, at->dentry);
	if (rec) {
		old->copy = top;
		struct list *l = &old->all;
		while (l != end) {
			l = l->next;
			struct mount *c = list_entry(l, struct mount, all);
			if (c->parent && c->parent->copy && !c->unbindable &&
			    (c->parent != old || dentry_under(c->mountpoint, sd))) {
				struct mount *n = tr->count < MOUNT_MAX ? mnt_clone(v, c, c->root) : NULL;
				if (!n) {
					/* (what is copied stays, as a partial bind) */
					e = tr->count < MOUNT_MAX ? -ENOMEM : -ENOSPC;
					break;
				}
				c->copy = n;
				mnt_attach(tr, n, c->parent->copy, c->mountpoint);
			}
		}
		clear_copies(tr);
	}
	share_if_parent_shared(v, tr, top);
	path_put(&src.path);
	return e;
}

/* Whether another mount in any namespace is a peer of m. */
static int has_peer(struct vfs *v, struct mount *m)
{
	struct list *l;
	list_for_each(l, &v->all_mounts)
	{
		struct mount *c = list_entry(l, struct mount, global);
		if (c != m && c->tree && c->group == m->group)
			return 1;
	}
	return 0;
}

static int change_type(struct vfs *v, struct mnt_tree *tr, struct path *p, unsigned long flags)
{
	struct mount *m = p->mnt;
	unsigned long type = flags & ~(unsigned long)(MS_REC | MS_SILENT);
	if (p->dentry != m->root || m->tree != tr)
		return -EINVAL;
	if (type != MS_SHARED && type != MS_PRIVATE && type != MS_SLAVE && type != MS_UNBINDABLE)
		return -EINVAL; /* exactly one type, and no other flag */
	struct list *l;
	for (l = &m->all; l != &tr->mounts; l = l->next) {
		struct mount *c = list_entry(l, struct mount, all);
		if (c != m && (!(flags & MS_REC) || !mnt_under(c, m)))
			continue;
		switch (type) {
		case MS_SHARED:
			if (!c->group)
				c->group = v->next_group++;
			c->unbindable = 0;
			break;
		case MS_SLAVE:
			/* A slave of its peers; without peers it keeps the
			 * master it had, if any. */
			if (c->group && has_peer(v, c))
				c->master = c->group;
			c->group = 0;
			break;
		case MS_PRIVATE:
		case MS_UNBINDABLE:
			c->group = c->master = 0;
			c->unbindable = type == MS_UNBINDABLE;
			break;
		}
		if (!(flags & MS_REC))
			break;
	}
	return 0;
}

/* MS_REMOUNT: the mount's flags, and without MS_BIND the file system's
 * read-only state and options too. */
static int remount(struct task *t, struct mnt_tree *tr, struct path *p, unsigned long flags, const char *data)
{
	struct mount *m = p->mnt;
	if (m->tree != tr || p->dentry != m->root)
		return -EINVAL;
	unsigned nf = mnt_flags(flags, m);
	if (m->locked & ~nf)
		return -EPERM; /* a locked flag cannot be cleared */
	int tmpfs = !(flags & MS_BIND) && m->sb->type == &tmpfs_type, ro = (flags & MS_RDONLY) != 0;
	const struct tmpfs_params *old = tmpfs ? tmpfs_params(m->sb) : NULL;
	struct tmpfs_params o = old ? *old : (struct tmpfs_params){ -1, -1, 01777, 0, 0, 0 };
	if (tmpfs) {
		int e = tmpfs_parse(t, data, &o, &ro, 1);
		if (e)
			return e;
		if (o.size_pages > 0 && (uint64_t)o.size_pages * 4096 < tmpfs_used(m->sb))
			return -EINVAL; /* "Too small a size for current use" */
	}
	if (!(flags & MS_BIND) &&
	    !ns_capable(t, m->sb->owner ? m->sb->owner : ns_sandbox_user(t->k), KCAP_SYS_ADMIN))
		return -EPERM; /* the file system is its owner's to change */
	if (tmpfs) {
		if (ro)
			m->sb->flags |= SB_RDONLY;
		else
			m->sb->flags &= ~(unsigned)SB_RDONLY;
		if (old || o.size_pages >= 0 || o.nr_inodes >= 0 || o.huge)
			tmpfs_set_params(m->sb, &o);
	}
	m->flags = nf;
	return 0;
}

/* MS_MOVE: the mount at source, with the mounts below it, goes to at. */
static int do_move(struct mnt_tree *tr, struct path *at, const char *source, struct task *t)
{
	if (!source || !*source)
		return -EINVAL;
	struct nameidata src;
	int e = namei(t, AT_FDCWD, source, LOOKUP_FOLLOW, &src);
	if (e)
		return e;
	struct mount *m = src.path.mnt;
	if (at->dentry->flags & D_DELETED)
		e = -ENOENT;
	else if (m->tree != tr || at->mnt->tree != tr || src.path.dentry != m->root || !m->parent || m->pinned)
		e = -EINVAL;
	else if (mnt_under(at->mnt, m))
		e = -ELOOP; /* onto itself or below */
	else if (S_ISDIR(at->dentry->inode->mode) != S_ISDIR(m->root->inode->mode))
		e = -ENOTDIR;
	if (!e) {
		struct dentry *mp = m->mountpoint;
		list_del(&m->sibling);
		if (--mp->nmounted == 0)
			mp->flags &= ~D_MOUNTED;
		dentry_put(mp);
		m->parent = at->mnt;
		m->mountpoint = dentry_get(at->dentry);
		at->dentry->nmounted++;
		at->dentry->flags |= D_MOUNTED;
		list_add_tail(&m->sibling, &at->mnt->children);
		/* Parents before children: the moved subtree goes to the end
		 * of the list, in its order. */
		struct list moved;
		list_init(&moved);
		struct list *l = &m->all, *next;
		for (; l != &tr->mounts; l = next) {
			next = l->next;
			if (mnt_under(list_entry(l, struct mount, all), m)) {
				list_del(l);
				list_add_tail(l, &moved);
			}
		}
		while (!list_empty(&moved)) {
			l = moved.next;
			list_del(l);
			list_add_tail(l, &tr->mounts);
		}
	}
	path_put(&src.path);
	return e;
}

int vfs_do_mount(struct task *t, struct mnt_tree *tr, int may, const char *source, const char *target,
		 const char *type, unsigned long flags, const char *data)
{
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~(unsigned long)MS_MGC_MSK; /* the old magic number */
	struct nameidata nd;
	int e = namei(t, AT_FDCWD, target, LOOKUP_FOLLOW, &nd);
	if (e)
		return e;
	/* Linux's order of checks and of the kinds of mount(2). */
	if (flags & MS_NOUSER)
		e = -EINVAL;
	else if (!may)
		e = -EPERM;
	else if (flags & MS_REMOUNT)
		e = remount(t, tr, &nd.path, flags, data);
	else if (flags & MS_BIND)
		e = do_bind(t, tr, &nd.path, source, (flags & MS_REC) != 0);
	else if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
		e = change_type(t->k->vfs, tr, &nd.path, flags);
	else if (flags & MS_MOVE)
		e = do_move(tr, &nd.path, source, t);
	else
		e = new_mount(t, tr, &nd.path, type, flags, source, data);
	path_put(&nd.path);
	return e;
}

/* ---- umount2(2) ---- */

int vfs_do_umount(struct task *t, struct mnt_tree *tr, int may, const char *target, int flags)
{
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	struct nameidata nd;
	int e = namei(t, AT_FDCWD, target, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &nd);
	if (e)
		return e;
	/* The mount on top, even where the walk did not cross it (".":
	 * runc's umount2(".") after pivot_root(".", ".")). */
	struct mount *top;
	while ((top = mount_lookup(NULL, nd.path.mnt, nd.path.dentry))) {
		struct path up = { mount_get(top), dentry_get(top->root) };
		path_put(&nd.path);
		nd.path = up;
	}
	struct mount *m = nd.path.mnt;
	/* in use: beyond the tree's reference and ours */
	int busy = m->ref > 2 || !list_empty(&m->children), mark = 0;
	if (!may)
		e = -EPERM;
	else if (nd.path.dentry != m->root || m->tree != tr || m->pinned)
		e = -EINVAL; /* not a mount point (of this namespace), or pinned */
	else if (!m->parent)
		e = (flags & MNT_DETACH) ? -EINVAL : -EBUSY; /* the namespace's root */
	else if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		e = -EINVAL;
	else if (!(flags & MNT_DETACH) && busy)
		e = -EBUSY;
	else if ((flags & MNT_EXPIRE) && !m->expiry)
		e = -EAGAIN, mark = 1; /* marked; a second call unmounts it unless it was used */
	path_put(&nd.path);
	if (mark)
		m->expiry = 1; /* (after our own put, which clears it) */
	else if (!e)
		mnt_detach_tree(m); /* (m stays alive while anything holds it) */
	return e;
}

/* ---- pivot_root(2) ---- */

static void relist(struct mnt_tree *tr, struct mount *m)
{
	list_del(&m->all);
	list_add_tail(&m->all, &tr->mounts);
	struct list *l;
	list_for_each(l, &m->children)
	{
		relist(tr, list_entry(l, struct mount, sibling));
	}
}

int vfs_do_pivot_root(struct task *t, struct mnt_tree *tr, int may, const char *new_root, const char *put_old,
		      struct path *old_root, struct path *new_root_out)
{
	if (!may)
		return -EPERM;
	struct nameidata nn, on;
	int e = namei(t, AT_FDCWD, new_root, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &nn);
	if (e)
		return e;
	e = namei(t, AT_FDCWD, put_old, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &on);
	if (e) {
		path_put(&nn.path);
		return e;
	}
	struct path *root = &t->fs->root;
	struct mount *nm = nn.path.mnt, *rm = root->mnt, *om = on.path.mnt;
	/* Linux's checks, in its order. (The namespace's root mount stands
	 * where Linux's sits on its rootfs: it counts as attached.) */
	if (om->group || (nm->parent && nm->parent->group) || rm->tree != tr || nm->tree != tr || nm->pinned)
		e = -EINVAL;
	else if (nn.path.dentry->flags & D_DELETED)
		e = -ENOENT;
	else if (nm == rm || om == rm)
		e = -EBUSY;
	else if (root->dentry != rm->root || nn.path.dentry != nm->root || !nm->parent)
		e = -EINVAL; /* the root or the new root is not a mount point */
	else if (!path_under(om, on.path.dentry, &nn.path) || !path_under(nm, nn.path.dentry, root))
		e = -EINVAL; /* put_old not below new_root, or new_root not below the root */
	if (!e) {
		/* new_root leaves its parent and takes the old root's place
		 * (the tree's root, or where a root below it was mounted); the
		 * old root goes to put_old */
		struct dentry *mp = nm->mountpoint;
		list_del(&nm->sibling);
		if (--mp->nmounted == 0)
			mp->flags &= ~D_MOUNTED;
		dentry_put(mp);
		nm->parent = rm->parent;
		nm->mountpoint = rm->mountpoint; /* (its reference and count move) */
		if (rm->parent) {
			list_del(&rm->sibling);
			list_add_tail(&nm->sibling, &nm->parent->children);
		} else {
			tr->root = nm;
		}
		rm->parent = om;
		rm->mountpoint = dentry_get(on.path.dentry);
		on.path.dentry->nmounted++;
		on.path.dentry->flags |= D_MOUNTED;
		list_add_tail(&rm->sibling, &om->children);
		relist(tr, tr->root);
		*old_root = *root;
		path_get(old_root);
		new_root_out->mnt = mount_get(nm);
		new_root_out->dentry = dentry_get(nm->root);
	}
	path_put(&on.path);
	path_put(&nn.path);
	return e;
}
