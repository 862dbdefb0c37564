/* VFS objects: refcounts, the dentry cache (mounts: mount.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>

#include "backend.h"
#include "vfs.h"
#include "../kernel/kernel.h"

void vfs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

int vfs_create(struct kernel *k, struct vfs **out)
{
	struct vfs *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->k = k;
	v->hash_size = 1 << 14;
	v->hash = calloc(v->hash_size, sizeof(*v->hash));
	if (!v->hash) {
		free(v);
		return -ENOMEM;
	}
	mnt_tree_init(&v->init);
	list_init(&v->all_mounts);
	v->next_mnt_id = 20; /* (Linux's first ones go to its own internal mounts) */
	v->next_group = 1;
	v->next_dev = 0x20;
	v->anon_ino = 1000000;
	struct sysinfo si;
	v->tmpfs_limit = sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit / 2 : (1ULL << 32);
	*out = v;
	return 0;
}

void vfs_destroy(struct vfs *v)
{
	if (!v)
		return;
	mnt_tree_dissolve(&v->init);
	/* Drop the dcache's references: children before parents. Repeat
	 * until nothing hashed remains (a parent can only go when its
	 * children did). */
	int progress = 1;
	while (progress && v->hash_count) {
		progress = 0;
		for (size_t b = 0; b < v->hash_size; b++) {
			struct dentry **pp = &v->hash[b];
			while (*pp) {
				struct dentry *d = *pp;
				if (list_empty(&d->subdirs)) {
					*pp = d->hnext;
					d->hnext = NULL;
					d->flags &= ~D_HASHED;
					if (list_linked(&d->child))
						list_del(&d->child);
					v->hash_count--;
					dentry_put(d);
					progress = 1;
				} else {
					pp = &d->hnext;
				}
			}
		}
	}
	free(v->hash);
	if (v->host)
		v->host->ops->destroy(v->host);
	free(v);
}

/* ---- refcounts ---- */

void super_put(struct super *sb)
{
	if (!sb || --sb->ref)
		return;
	userns_put(sb->owner);
	if (sb->release)
		sb->release(sb);
	free(sb);
}

struct inode *inode_get(struct inode *i)
{
	if (i)
		i->ref++;
	return i;
}

void locks_release_inode(struct inode *i);

void inode_put(struct inode *i)
{
	if (!i || --i->ref)
		return;
	if (i->iops && i->iops->release)
		i->iops->release(i);
	locks_release_inode(i);
	if (i->ipc_release)
		i->ipc_release(i);
	super_put(i->sb);
	free(i);
}

struct dentry *dentry_get(struct dentry *d)
{
	if (d)
		d->ref++;
	return d;
}

void dentry_put(struct dentry *d)
{
	while (d && --d->ref == 0) {
		struct dentry *parent = d->parent;
		if (list_linked(&d->child))
			list_del(&d->child);
		inode_put(d->inode);
		free(d->name);
		free(d);
		d = parent;
	}
}

struct mount *mount_get(struct mount *m)
{
	if (m)
		m->ref++;
	return m;
}

void mount_put(struct mount *m)
{
	if (!m)
		return;
	m->expiry = 0; /* (a put ends a use) */
	if (--m->ref)
		return;
	if (list_linked(&m->global))
		list_del(&m->global);
	dentry_put(m->root);
	dentry_put(m->mountpoint);
	super_put(m->sb);
	free(m->source);
	free(m);
}

void path_get(struct path *p)
{
	mount_get(p->mnt);
	dentry_get(p->dentry);
}

void path_put(struct path *p)
{
	dentry_put(p->dentry);
	mount_put(p->mnt);
	p->dentry = NULL;
	p->mnt = NULL;
}

/* ---- allocation ---- */

struct super *super_alloc(struct vfs *v, const struct fs_type *type, unsigned flags)
{
	struct super *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->type = type;
	sb->flags = flags;
	sb->dev = makedev(0, (unsigned)v->next_dev++);
	sb->next_ino = 2;
	sb->ref = 1; /* dropped with the root inode */
	return sb;
}

struct inode *inode_alloc(struct super *sb, mode_t mode, const struct inode_ops *iops)
{
	struct inode *i = calloc(1, sizeof(*i));
	if (!i)
		return NULL;
	i->ref = 1;
	i->sb = sb;
	sb->ref++;
	i->iops = iops;
	i->ino = sb->next_ino++;
	i->mode = mode;
	i->nlink = S_ISDIR(mode) ? 2 : 1;
	vfs_now(&i->atime);
	i->mtime = i->ctime = i->atime;
	return i;
}

void inode_touch(struct inode *i, unsigned which)
{
	struct timespec now;
	vfs_now(&now);
	if (which & ATTR_ATIME)
		i->atime = now;
	if (which & ATTR_MTIME)
		i->mtime = now;
	if (which & ATTR_CTIME)
		i->ctime = now;
}

static uint32_t name_hash(const struct dentry *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)parent;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static struct dentry *dentry_new(struct super *sb, const char *name, size_t len)
{
	struct dentry *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->name = malloc(len + 1);
	if (!d->name) {
		free(d);
		return NULL;
	}
	memcpy(d->name, name, len);
	d->name[len] = 0;
	d->ref = 1;
	d->sb = sb;
	list_init(&d->child);
	list_init(&d->subdirs);
	d->next_seq = 3; /* 1 and 2 are "." and ".." */
	return d;
}

struct dentry *dentry_alloc_root(struct super *sb, struct inode *root)
{
	struct dentry *d = dentry_new(sb, "/", 1);
	if (!d)
		return NULL;
	d->inode = root;
	return d;
}

struct dentry *dentry_alloc(struct dentry *parent, const char *name, size_t len)
{
	struct dentry *d = dentry_new(parent->sb, name, len);
	if (!d)
		return NULL;
	d->parent = dentry_get(parent);
	d->hash = name_hash(parent, name, len);
	return d;
}

void dentry_instantiate(struct dentry *d, struct inode *ino)
{
	if (d->inode && d->inode != ino)
		inode_put(d->inode);
	d->inode = ino;
	d->flags &= ~(D_LAZY | D_WHITEOUT);
}

/* ---- dcache ---- */

static void dcache_grow(struct vfs *v)
{
	size_t n = v->hash_size * 2;
	struct dentry **h = calloc(n, sizeof(*h));
	if (!h)
		return;
	for (size_t b = 0; b < v->hash_size; b++) {
		while (v->hash[b]) {
			struct dentry *d = v->hash[b];
			v->hash[b] = d->hnext;
			d->hnext = h[d->hash & (n - 1)];
			h[d->hash & (n - 1)] = d;
		}
	}
	free(v->hash);
	v->hash = h;
	v->hash_size = n;
}

struct dentry *dcache_lookup(struct vfs *v, struct dentry *parent, const char *name, size_t len)
{
	uint32_t h = name_hash(parent, name, len);
	for (struct dentry *d = v->hash[h & (v->hash_size - 1)]; d; d = d->hnext) {
		if (d->hash == h && d->parent == parent && !memcmp(d->name, name, len) &&
		    d->name[len] == 0)
			return d;
	}
	return NULL;
}

void dcache_add(struct vfs *v, struct dentry *d)
{
	if (d->flags & D_HASHED)
		return;
	if (v->hash_count >= v->hash_size)
		dcache_grow(v);
	size_t b = d->hash & (v->hash_size - 1);
	d->hnext = v->hash[b];
	v->hash[b] = d;
	d->flags |= D_HASHED;
	d->flags &= ~D_DELETED;
	v->hash_count++;
	dentry_get(d); /* the cache's reference */
	if (d->parent) {
		d->seq = d->parent->next_seq++;
		list_add_tail(&d->child, &d->parent->subdirs);
	}
}

void dcache_remove(struct vfs *v, struct dentry *d)
{
	if (!(d->flags & D_HASHED))
		return;
	struct dentry **pp = &v->hash[d->hash & (v->hash_size - 1)];
	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	d->hnext = NULL;
	d->flags &= ~D_HASHED;
	v->hash_count--;
	if (list_linked(&d->child))
		list_del(&d->child);
	dentry_put(d);
}

int dentry_move(struct vfs *v, struct dentry *d, struct dentry *parent, const char *name)
{
	size_t len = strlen(name);
	char *nn = malloc(len + 1);
	if (!nn)
		return -ENOMEM;
	memcpy(nn, name, len + 1);
	dentry_get(d); /* keep it alive across the unhash */
	dcache_remove(v, d);
	free(d->name);
	d->name = nn;
	if (d->parent != parent) {
		struct dentry *old = d->parent;
		d->parent = dentry_get(parent);
		dentry_put(old);
	}
	d->hash = name_hash(parent, name, len);
	dcache_add(v, d);
	dentry_put(d);
	return 0;
}
