/*
 * Namespaces inside the sentry: user, UTS, IPC and network namespaces that
 * a sandboxed program makes with unshare(2) or clone(2) and enters with
 * setns(2). The sandbox itself is the host's business (sandbox.c); these
 * are the sandbox's own, nested in it, and cost the host nothing: a new
 * network namespace is a new netstack with its own loopback, run by the
 * same event loop.
 *
 * Lifetimes: every namespace is counted. A task holds its user namespace
 * and its nsproxy (the set of the others, shared by threads and by
 * children until one of them unshares); an inet or unix socket holds the
 * network namespace it was made in; an open /proc/PID/ns/X file holds its
 * namespace. A mount namespace holds a copy of the mount tree it was
 * made from (vfs/mount.c). The PID, cgroup and time namespaces exist once
 * (the sandbox's): they have inode numbers for /proc/PID/ns and setns(2)
 * to them is accepted, but they cannot be unshared (EINVAL for
 * CLONE_NEWPID and friends would break programs that only probe; EPERM is
 * what a container without the privilege answers, and that is what they
 * get).
 */
#ifndef MOAT_SENTRY_NS_H
#define MOAT_SENTRY_NS_H

#include <sched.h>
#include <stdint.h>
#include <sys/types.h>

struct kernel;
struct task;
struct ns_stack;
struct mnt_tree;
struct fs_ctx;

enum ns_kind {
	NSK_USER,
	NSK_UTS,
	NSK_IPC,
	NSK_NET,
	NSK_MNT,
	NSK_PID,
	NSK_CGROUP,
	NSK_TIME,
	NSK_NR
};

struct userns;

struct ns_common {
	uint32_t ref;
	uint64_t ino;	      /* what /proc/PID/ns/X names and stat shows */
	enum ns_kind kind;
	struct userns *owner; /* the user namespace it belongs to (NULL: the user one's parent) */
	struct kernel *k;
};

/* One line of /proc/PID/uid_map: ids first..first+count-1 of this
 * namespace are lower_first.. of the parent's. */
struct id_extent {
	uint32_t first, lower_first, count;
};

#define ID_MAP_MAX 340 /* Linux's limit of lines */

struct id_map {
	int n; /* 0: not written yet (every id unmapped) */
	struct id_extent *e;
};

struct userns {
	struct ns_common c;
	struct userns *parent; /* NULL for the sandbox's */
	int level;	       /* nesting depth, at most 32 */
	uid_t owner_uid;       /* the creator's euid (kernel id) */
	gid_t owner_gid;
	struct id_map uid_map, gid_map;
	int setgroups_deny;    /* /proc/PID/setgroups said "deny" */
};

struct utsns {
	struct ns_common c;
	char hostname[65];
	char domainname[65];
};

struct ipcns {
	struct ns_common c;
	void *tables; /* the System V objects (sys_sysvipc.c), made on first use */
};

struct netns {
	struct ns_common c;
	struct ns_stack *st; /* NULL in host mode (the sandbox's own netns only) */
	int mode;	     /* SANDBOX_NET_*: a nested namespace is always a netstack */
	int nested;	     /* made inside the sandbox (inet.c destroys its stack) */
};

struct mntns {
	struct ns_common c;
	struct mnt_tree *tree; /* NULL for the sandbox's: the vfs's own (vfs->init) */
};

/* The namespaces a task is in, other than its user namespace. */
struct nsproxy {
	uint32_t ref;
	struct utsns *uts;
	struct ipcns *ipc;
	struct netns *net;
	struct mntns *mnt;
};

#define OVERFLOW_ID 65534

/* Every namespace flag of clone(2), unshare(2) and setns(2). */
#define NS_CLONE_FLAGS (CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | \
			CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME)

/* kernel.c: the sandbox's namespaces, made once */
int ns_init(struct kernel *k);
void ns_fini(struct kernel *k);
struct userns *ns_sandbox_user(struct kernel *k);
struct netns *ns_sandbox_net(struct kernel *k);
struct utsns *ns_sandbox_uts(struct kernel *k);

struct nsproxy *nsproxy_get(struct nsproxy *p);
void nsproxy_put(struct nsproxy *p);
struct userns *userns_get(struct userns *u);
void userns_put(struct userns *u);
void ns_get(struct ns_common *c);
void ns_put(struct ns_common *c);

/* The namespace of kind of task t (for /proc/PID/ns and setns), or NULL. */
struct ns_common *task_ns(struct task *t, enum ns_kind kind);
const char *ns_kind_name(enum ns_kind kind);
int ns_kind_clone_flag(enum ns_kind kind);

/* t's namespaces (the sandbox's for a task made outside clone). */
struct netns *task_netns(const struct task *t);
struct utsns *task_utsns(const struct task *t);
struct ipcns *task_ipcns(const struct task *t);
struct userns *task_userns(const struct task *t);
struct mntns *task_mntns(const struct task *t);
/* The mounts of t's mount namespace. */
struct mnt_tree *task_mnt_tree(const struct task *t);

/* capable(7) with namespaces: t has cap in ns (t's user namespace is ns
 * or an ancestor, or t owns a namespace between them). capable() in
 * kernel.h asks about the sandbox's own user namespace. */
int ns_capable(const struct task *t, struct userns *ns, int cap);
/* A capability over a file owned by uid:gid (kernel ids): cap in t's own
 * user namespace, and both ids mapped there (capabilities(7): a nested
 * root may not override the permissions of files it cannot name). */
int capable_ids(const struct task *t, uid_t uid, gid_t gid, int cap);

/* ids: kernel (sandbox-wide) ids to those t's user namespace sees
 * (OVERFLOW_ID when unmapped), and back ((uid_t)-1 when unmapped). */
uid_t uid_to_user(const struct task *t, uid_t kuid);
gid_t gid_to_user(const struct task *t, gid_t kgid);
uid_t uid_from_user(const struct task *t, uid_t uid);
gid_t gid_from_user(const struct task *t, gid_t gid);
uid_t userns_uid_from(struct userns *ns, uid_t uid);
gid_t userns_gid_from(struct userns *ns, gid_t gid);
uid_t userns_uid_to(struct userns *ns, uid_t kuid);
gid_t userns_gid_to(struct userns *ns, gid_t kgid);

/* unshare(2) and the namespace part of clone(2): CLONE_NEW{USER,UTS,IPC,NET,NS}.
 * ns_clone fills the child's from the parent's; with CLONE_NEWNS it
 * gives the child its fs context too (a copy of the parent's, moved into
 * the new mount tree). ns_unshare wants t's fs context unshared first
 * when flags has CLONE_NEWNS. */
long ns_unshare(struct task *t, uint64_t flags);
long ns_clone(struct task *parent, struct task *child, uint64_t flags);
/* setns(2) to the namespace c (from an nsfs file). */
long ns_enter(struct task *t, struct ns_common *c, int nstype);
/* setns(2) with a pidfd: the namespaces of target named in flags (a
 * mask of CLONE_NEW*), all or none; target NULL: the process has exited
 * (ESRCH, once the flags are valid). */
long ns_enter_task(struct task *t, struct task *target, uint64_t flags);

/* /proc/PID/uid_map, gid_map, setgroups (procfs.c) */
int ns_map_show(struct userns *ns, int gid, const struct task *viewer, char *buf, size_t len);
int ns_map_write(struct task *writer, struct task *target, int gid, const char *text, size_t len);
int ns_setgroups_write(struct task *writer, struct task *target, const char *text, size_t len);

#endif
