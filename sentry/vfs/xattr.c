/*
 * Extended attributes: Linux's checks (fs/xattr.c's order and errnos),
 * then the file system's xattr op (tmpfs keeps them in memory; bind mounts
 * and the root's lower layer pass them to the gofer, which keeps them on
 * the host file). Namespaces: user.* (regular files and directories only;
 * read and write permission as for the data), trusted.* (CAP_SYS_ADMIN),
 * security.* (writes need CAP_SYS_ADMIN, security.capability
 * CAP_SETFCAP). system.* (POSIX ACLs) is not supported: EOPNOTSUPP.
 */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "vfs.h"
#include "../kernel/kernel.h"

#define KCAP_SETFCAP 31

static int has_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/* -errno, or 0 if the name is one of a namespace we serve. */
static int check_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 255)
		return -ERANGE;
	static const char *const ns[] = { "user.", "trusted.", "security." };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (has_prefix(name, ns[i]))
			return name[strlen(ns[i])] ? 0 : -EINVAL;
	return -EOPNOTSUPP;
}

static int permission(struct task *t, struct inode *i, const char *name, int write)
{
	if (has_prefix(name, "security.")) {
		if (!write)
			return 0;
		return capable(t, !strcmp(name, "security.capability") ? KCAP_SETFCAP : KCAP_SYS_ADMIN) ? 0 : -EPERM;
	}
	if (has_prefix(name, "trusted."))
		return capable(t, KCAP_SYS_ADMIN) ? 0 : write ? -EPERM : -ENODATA;
	/* user.* */
	if (!S_ISREG(i->mode) && !S_ISDIR(i->mode))
		return write ? -EPERM : -ENODATA;
	if (write && S_ISDIR(i->mode) && (i->mode & S_ISVTX) && t->cred.fsuid != i->uid &&
	    !capable_ids(t, i->uid, i->gid, KCAP_FOWNER))
		return -EPERM;
	return vfs_permission(t, i, write ? MAY_WRITE : MAY_READ);
}

/* The names of a listing the caller may see (trusted.* needs
 * CAP_SYS_ADMIN), compacted in place. */
static size_t filter_list(struct task *t, char *list, size_t len)
{
	if (capable(t, KCAP_SYS_ADMIN))
		return len;
	size_t out = 0;
	for (size_t off = 0; off < len;) {
		size_t n = strnlen(list + off, len - off);
		if (!has_prefix(list + off, "trusted.")) {
			memmove(list + out, list + off, n);
			list[out + n] = 0;
			out += n + 1;
		}
		off += n + 1;
	}
	return out;
}

ssize_t vfs_xattr(struct task *t, struct inode *i, const struct path *p, int op, const char *name, void *buf,
		  size_t len, int flags)
{
	int write = op == XOP_SET || op == XOP_REMOVE;
	if (write && ((p && p->mnt && (p->mnt->flags & MS_RDONLY)) || (i->sb && (i->sb->flags & SB_RDONLY))))
		return -EROFS;
	if (op == XOP_SET && (flags & ~(XATTR_CREATE | XATTR_REPLACE)))
		return -EINVAL;
	if (op != XOP_LIST) {
		int e = check_name(name);
		if (e)
			return e;
		if ((e = permission(t, i, name, write)))
			return e;
	}
	if (!i->iops || !i->iops->xattr) {
		/* a file system that stores none */
		if (op == XOP_LIST)
			return 0;
		return op == XOP_SET ? -EOPNOTSUPP : -ENODATA;
	}
	ssize_t r = i->iops->xattr(i, op, name, buf, len, flags);
	if (op == XOP_LIST && r > 0)
		r = (ssize_t)filter_list(t, buf, (size_t)r);
	if (write && r >= 0)
		inode_touch(i, ATTR_CTIME);
	return r;
}
