/*
 * Building and running one sandbox (sandbox.h).
 *
 * Mount table of a sandbox:
 *   /          overlay: cfg->root (read-only, from the gofer) under tmpfs
 *   /proc      procfs
 *   /dev       devfs (tmpfs with the sentry's devices), /dev/shm tmpfs
 *   /tmp       tmpfs
 *   /sys       an empty read-only tmpfs (the host's sysfs is not shown)
 *   -v SRC:DST the host directory or file SRC from the gofer (read-write
 *              unless :ro)
 *
 * Every host tree (the root, each bind mount) is an export of the
 * sandbox's gofer (gofer/), started here before the VFS is built; with
 * cfg->host_fs (a debugging flag) the sentry opens them itself.
 *
 * The event loop runs the platform's stop events, the sentry's run queue,
 * host stdio readiness, timers, and the signals moat forwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "ns/loop.h"
#include "ns/pkt.h"
#include "ns/timer.h"
#include "sandbox.h"
#include "confine.h"
#include "control.h"
#include "kernel/kernel.h"
#include "socket/inet.h"
#include "vfs/backend.h"
#include "vfs/goferfs.h"
#include "../gofer/gofer.h"
#include "../gofer/proto.h"

int devfs_populate(struct vfs *v, struct dentry *root);
int procfs_set_mount(struct mount *m);
int hostio_file(struct kernel *k, int hostfd, int acc, struct file **out);
int hostio_stdio(struct kernel *k, const int hostfd[3], struct fdtable **out, struct file **console);
void hostio_name_console(struct kernel *k, struct fdtable *ft);
int hostio_is_tty(struct file *f);
void console_attach(struct thread_group *tg, struct file *f);
pid_t console_fg_pgrp(void);

/* Every signal that can be caught and is not about moat's own execution
 * (SIGSEGV and friends) or its children (SIGCHLD, the platform's) goes to
 * the program: the OCI runtime's `kill ID SIGNAL` sends any of them. */
static const int forwarded[] = { SIGINT,    SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
				 SIGTSTP,   SIGCONT, SIGTTIN, SIGTTOU, SIGALRM, SIGVTALRM, SIGPROF,
				 SIGXCPU,   SIGXFSZ, SIGURG,  SIGIO,   SIGPWR,  SIGSTKFLT };

struct sbx {
	struct kernel *k;
	struct ns_loop *loop;
	int sigfd;
	int have_console;
	int started;	 /* init runs and the console is attached */
	int early[16];	 /* signals that came before: sig | from_tty << 8 */
	int nearly;
	int signal_pipe;    /* cfg->signal_pipe, -1 if none */
};

int sandbox_forwarded_signals(const int **list)
{
	*list = forwarded;
	return (int)(sizeof(forwarded) / sizeof(forwarded[0]));
}

/* Look up (or create, as an upper directory) a mount point. */
static int mountpoint(struct task *fake, struct vfs *v, const char *path, struct path *out)
{
	struct path root = { v->init.root, v->init.root->root };
	struct nameidata nd;
	int e = namei_at(fake, &root, path, LOOKUP_FOLLOW, &nd);
	if (e == -ENOENT) {
		/* mkdir -p, in the overlay's upper layer */
		char buf[PATH_MAX];
		snprintf(buf, sizeof(buf), "%s", path);
		for (char *p = buf + 1;; p++) {
			if (*p == '/' || !*p) {
				char c = *p;
				*p = 0;
				vfs_mkdir(fake, AT_FDCWD, buf, 0755);
				*p = c;
				if (!c)
					break;
			}
		}
		e = namei_at(fake, &root, path, LOOKUP_FOLLOW, &nd);
	}
	if (e)
		return e;
	if (!S_ISDIR(nd.path.dentry->inode->mode)) {
		path_put(&nd.path);
		return -ENOTDIR;
	}
	*out = nd.path;
	return 0;
}

static int mount_at(struct task *fake, struct vfs *v, const char *path, struct super *sb, unsigned flags,
		    const char *source, struct mount **mnt_out, struct dentry **root_out)
{
	if (!sb)
		return -ENOMEM;
	struct dentry *root = dentry_alloc_root(sb, sb->root);
	if (!root)
		return -ENOMEM;
	struct path at;
	int e = mountpoint(fake, v, path, &at);
	if (e) {
		dentry_put(root);
		return e;
	}
	e = vfs_mount(v, &at, sb, root, flags, source);
	if (!e && mnt_out) {
		struct list *l = v->init.mounts.prev;
		*mnt_out = list_entry(l, struct mount, all);
	}
	path_put(&at);
	if (!e && root_out)
		*root_out = dentry_get(root);
	dentry_put(root);
	return e;
}

/* Mount sb (whose root is not a directory) over the file at path,
 * creating an empty one in the writable layer if there is none. */
static int mount_file_at(struct task *fake, struct vfs *v, const char *path, struct super *sb, unsigned flags,
			 const char *source)
{
	if (!sb)
		return -ENOMEM;
	struct dentry *root = dentry_alloc_root(sb, sb->root);
	if (!root)
		return -ENOMEM;
	struct path vroot = { v->init.root, v->init.root->root };
	struct nameidata nd;
	int e = namei_at(fake, &vroot, path, LOOKUP_FOLLOW, &nd);
	if (e == -ENOENT) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", path);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = 0;
			struct path p;
			if (mountpoint(fake, v, parent, &p) == 0)
				path_put(&p);
		}
		struct file *f;
		e = vfs_open(fake, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL, 0644, &f);
		if (!e)
			file_put(f);
		if (!e || e == -EEXIST)
			e = namei_at(fake, &vroot, path, LOOKUP_FOLLOW, &nd);
	}
	if (!e && S_ISDIR(nd.path.dentry->inode->mode)) {
		path_put(&nd.path);
		e = -EISDIR;
	}
	if (e) {
		dentry_put(root);
		return e;
	}
	e = vfs_mount(v, &nd.path, sb, root, flags, source);
	path_put(&nd.path);
	dentry_put(root);
	return e;
}

/* A signal moat received goes to the program: the terminal's keys to
 * the foreground process group, the others to init. */
static void forward_signal(struct sbx *s, int sig, int from_tty)
{
	struct kernel *k = s->k;
	siginfo_t info;
	siginfo_kernel(&info, sig, SI_USER);
	klog(k, "moat got signal %d%s: forwarding", sig, from_tty ? " (from the terminal)" : "");
	if (s->have_console && (sig == SIGWINCH || (from_tty && (sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP)))) {
		info.si_code = SI_KERNEL;
		pid_t pg = console_fg_pgrp();
		if (pg > 0)
			kill_pgrp(k, pg, sig, &info);
		return;
	}
	if (sig == SIGWINCH || sig == SIGTTIN || sig == SIGTTOU)
		return;
	send_signal_tg(k->init, sig, &info);
}

static void take_signal(struct sbx *s, int sig, int from_tty);

static void on_signal(int fd, uint32_t events, void *arg)
{
	(void)events;
	struct sbx *s = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;
		int from_tty = si.ssi_code == SI_KERNEL;
		if (s->k->done)
			continue;
		/* under moat do, what a process sends comes through moat's
		 * pipe (on_signal_pipe) */
		if (s->signal_pipe >= 0 && !from_tty)
			continue;
		take_signal(s, sig, from_tty);
	}
}

/* moat do's process passes on a signal sent to it: one byte, its number. */
static void on_signal_pipe(int fd, uint32_t events, void *arg)
{
	struct sbx *s = arg;
	unsigned char b[64];
	ssize_t n;
	while ((n = read(fd, b, sizeof(b))) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (b[i] > 0 && b[i] < NSIG && !s->k->done)
				take_signal(s, b[i], 0);
	if (n == 0 || (events & (EPOLLHUP | EPOLLERR))) {
		/* moat is gone (the sentry dies with it: PDEATHSIG) */
		ns_loop_del_fd(s->loop, fd);
	}
}

static void take_signal(struct sbx *s, int sig, int from_tty)
{
	if (!s->started) {
		/* during start-up (the loop runs while the first task is
		 * made): kept for when the program runs, so that a ^C or ^Z
		 * typed early is not lost */
		int v = sig | from_tty << 8, seen = 0;
		for (int i = 0; i < s->nearly; i++)
			seen |= s->early[i] == v;
		if (!seen && s->nearly < (int)(sizeof(s->early) / sizeof(s->early[0])))
			s->early[s->nearly++] = v;
		return;
	}
	forward_signal(s, sig, from_tty);
}

/* Where the sandbox's trees come from: the gofer (one export per tree,
 * in the order of gofer_exports()), or with cfg->host_fs the host backend
 * in the sentry itself (debugging only: no defence in depth). */
struct trees {
	const struct sandbox_config *cfg;
	struct gofer_conn *gofer; /* NULL: host backend */
};

/* Whether mount m is one of the gofer's exports (a host tree). */
static int is_export(const struct sandbox_mount *m)
{
	return m->type == SANDBOX_MOUNT_BIND || m->type == SANDBOX_MOUNT_OVERLAY;
}

/* Whether the root's tree is read-only on the host: always, but with
 * --overlay none on a root that is not read-only. */
static int root_ro(const struct sandbox_config *cfg)
{
	return !cfg->root_overlay_none || cfg->root_readonly;
}

/* The trees the gofer serves: export 0 is the root; then each bind or
 * overlay mount, in order. Returns how many, -1 if too many. */
static int gofer_exports(const struct sandbox_config *cfg, struct gofer_export_spec *ex)
{
	int n = 0;
	ex[n++] = (struct gofer_export_spec){ cfg->root ? cfg->root : "/", root_ro(cfg) };
	for (int i = 0; i < cfg->nmounts; i++) {
		if (n == GOFER_MAX_EXPORTS)
			return -1;
		const struct sandbox_mount *m = &cfg->mounts[i];
		if (m->type == SANDBOX_MOUNT_BIND)
			ex[n++] = (struct gofer_export_spec){ m->src, m->ro };
		else if (m->type == SANDBOX_MOUNT_OVERLAY)
			ex[n++] = (struct gofer_export_spec){ m->src, 1 };
	}
	if (cfg->overlay_dir) {
		if (n == GOFER_MAX_EXPORTS)
			return -1;
		ex[n++] = (struct gofer_export_spec){ cfg->overlay_dir, 0 };
	}
	return n;
}

/* Tree `export` (path on the host, for the host backend) as a backend and
 * its root node (a file's node for a file bind mount). */
static int tree_open(struct trees *tr, int export, const char *path, int ro, struct fs_backend **bp,
		     struct fsb_node **rootp, struct fsb_attr *a)
{
	struct fs_backend *b;
	int e;
	const char *base = NULL;
	char dir[PATH_MAX], name[NAME_MAX + 1];
	if (tr->gofer) {
		e = goferfs_backend_create(tr->gofer, export, &b);
	} else {
		/* The source's symlinks are followed, as mount(2) does
		 * (Docker's --init binds /usr/bin/docker-init, a link). */
		struct stat st;
		if (!realpath(path, dir) || stat(dir, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode)) {
			/* (realpath: absolute, the last component a name) */
			char *slash = strrchr(dir, '/');
			snprintf(name, sizeof(name), "%s", slash + 1);
			slash[slash == dir] = 0; /* "/a/f" -> "/a", "/f" -> "/" */
			base = name;
		}
		e = hostfs_backend_create(dir, ro, &b);
	}
	if (e)
		return e;
	struct fsb_node *r;
	e = b->ops->root(b, &r, a);
	if (!e && base) {
		struct fsb_node *f;
		e = b->ops->walk(b, r, base, &f, a);
		b->ops->put(b, r);
		r = f;
	}
	if (e) {
		b->ops->destroy(b);
		return e;
	}
	*bp = b;
	*rootp = r;
	return 0;
}

/* A mount the user asked for (-v, the OCI runtime's mounts): a host
 * directory or file through its own backend, or an empty tmpfs. Prints
 * why on failure. */
static int user_mount(struct task *fake, struct vfs *v, struct trees *tr, int export,
		      const struct sandbox_mount *m)
{
	if (m->type == SANDBOX_MOUNT_TMPFS) {
		unsigned fl = m->flags | (m->ro ? MS_RDONLY : 0);
		int e = mount_at(fake, v, m->dst,
				 tmpfs_create(v, NULL, NULL, m->ro ? SB_RDONLY : 0, m->mode ? m->mode : 01777), fl,
				 "tmpfs", NULL, NULL);
		if (e)
			fprintf(stderr, "moat: tmpfs on %s: %s\n", m->dst, strerror(-e));
		return e;
	}
	struct fs_backend *b;
	struct fsb_node *br;
	struct fsb_attr a;
	if (m->type == SANDBOX_MOUNT_OVERLAY) {
		int e = tree_open(tr, export, m->src, 1, &b, &br, &a);
		if (!e && !S_ISDIR(a.mode)) {
			b->ops->put(b, br);
			b->ops->destroy(b);
			e = -ENOTDIR;
		}
		if (!e)
			e = mount_at(fake, v, m->dst, tmpfs_create(v, b, br, 0, a.mode & 07777), m->flags, m->src,
				     NULL, NULL);
		if (e)
			fprintf(stderr, "moat: %s in the sandbox: %s\n", m->src, strerror(-e));
		return e;
	}
	/* A file is served with the mount's root being the file itself
	 * (nothing else of its directory is reachable: lookups start at the
	 * root, which is not a directory). */
	int e = tree_open(tr, export, m->src, m->ro, &b, &br, &a);
	if (e) {
		fprintf(stderr, "moat: bind mount %s: %s\n", m->src, strerror(-e));
		return e;
	}
	unsigned fl = m->flags | (m->ro ? MS_RDONLY : 0);
	if (!S_ISDIR(a.mode))
		e = mount_file_at(fake, v, m->dst, bindfs_create(v, b, br, m->ro), fl, m->src);
	else
		e = mount_at(fake, v, m->dst, bindfs_create(v, b, br, m->ro), fl, m->src, NULL, NULL);
	if (e)
		fprintf(stderr, "moat: bind mount %s on %s: %s\n", m->src, m->dst, strerror(-e));
	return e;
}

/* --overlay-dir: the root's upper layer keeps file data in unnamed files
 * the gofer makes in that directory (its export is the last one). */
static int overlay_dir(const struct sandbox_config *cfg, struct trees *tr, struct super *rsb)
{
	int x = 1;
	for (int i = 0; i < cfg->nmounts; i++)
		x += is_export(&cfg->mounts[i]);
	struct fs_backend *b;
	struct fsb_node *d;
	struct fsb_attr a;
	int e = tree_open(tr, x, cfg->overlay_dir, 0, &b, &d, &a);
	if (!e && !S_ISDIR(a.mode)) {
		b->ops->put(b, d);
		b->ops->destroy(b);
		e = -ENOTDIR;
	}
	if (!e) {
		/* (O_TMPFILE is not on every file system: say so now) */
		int fd = b->ops->tmpfile(b, d);
		if (fd < 0) {
			e = fd;
			b->ops->put(b, d);
			b->ops->destroy(b);
		} else {
			close(fd);
		}
	}
	if (e) {
		fprintf(stderr, "moat: --overlay-dir %s: %s%s\n", cfg->overlay_dir, strerror(-e),
			e == -EOPNOTSUPP ? " (its file system has no O_TMPFILE)" : "");
		return e;
	}
	tmpfs_set_data_dir(rsb, b, d);
	return 0;
}

static int setup_vfs(const struct sandbox_config *cfg, struct trees *tr, struct kernel *k, struct path *root_out)
{
	struct vfs *v = k->vfs;
	struct fs_backend *host;
	struct fsb_node *hroot;
	struct fsb_attr a;
	int e = tree_open(tr, 0, cfg->root ? cfg->root : "/", root_ro(cfg), &host, &hroot, &a);
	if (e) {
		fprintf(stderr, "moat: root %s: %s\n", cfg->root ? cfg->root : "/", strerror(-e));
		return e;
	}
	if (!S_ISDIR(a.mode)) {
		fprintf(stderr, "moat: root %s is not a directory\n", cfg->root);
		host->ops->put(host, hroot);
		host->ops->destroy(host);
		return -ENOTDIR;
	}
	/* The root: the tree under an in-memory writable layer (the VFS owns
	 * the backend), or with --overlay none the tree itself (its bindfs
	 * owns the backend). */
	struct super *rsb;
	if (cfg->root_overlay_none) {
		rsb = bindfs_create(v, host, hroot, root_ro(cfg));
	} else {
		v->host = host;
		rsb = tmpfs_create(v, host, hroot, 0, 0755);
	}
	if (!rsb)
		return -ENOMEM;
	if (cfg->overlay_dir && !cfg->root_overlay_none && (e = overlay_dir(cfg, tr, rsb)))
		return e;
	struct dentry *rd = dentry_alloc_root(rsb, rsb->root);
	if (!rd)
		return -ENOMEM;
	e = vfs_mount(v, NULL, rsb, rd, 0, cfg->root_overlay_none ? (cfg->root ? cfg->root : "/") : "overlay");
	dentry_put(rd);
	if (e)
		return e;
	struct path root = { v->init.root, v->init.root->root };
	struct fs_ctx fs = { 1, root, root, 022 };
	struct task fake;
	task_fake_init(&fake, k, &fs);

	struct mount *pm;
	e = mount_at(&fake, v, "/proc", procfs_create(v), MS_NOSUID | MS_NODEV | MS_NOEXEC, "proc", &pm, NULL);
	if (e)
		goto fail;
	if ((e = procfs_set_mount(pm)))
		goto fail;
	struct dentry *devroot;
	e = mount_at(&fake, v, "/dev", devfs_create(v), MS_NOSUID, "devfs", NULL, &devroot);
	if (e)
		goto fail;
	e = devfs_populate(v, devroot);
	dentry_put(devroot);
	if (e)
		goto fail;
	e = mount_at(&fake, v, "/dev/shm", tmpfs_create(v, NULL, NULL, 0, 01777), MS_NOSUID | MS_NODEV, "shm",
		     NULL, NULL);
	if (!e)
		e = mount_at(&fake, v, "/tmp", tmpfs_create(v, NULL, NULL, 0, 01777), MS_NOSUID | MS_NODEV, "tmpfs",
			     NULL, NULL);
	if (!e)
		e = mount_at(&fake, v, "/sys", tmpfs_create(v, NULL, NULL, SB_RDONLY, 0555), MS_RDONLY | MS_NOSUID,
			     "sysfs", NULL, NULL);
	if (e)
		goto fail;
	/* The network's files (moat wrote them from the host's and the
	 * sandbox's settings): in the upper layer, replacing a symlink. */
	const char *etc[][2] = { { "/etc/hosts", cfg->net ? cfg->net->hosts : NULL },
				 { "/etc/resolv.conf", cfg->net ? cfg->net->resolv : NULL } };
	for (size_t i = 0; i < sizeof(etc) / sizeof(etc[0]) && !cfg->root_overlay_none; i++) {
		/* (a root served as it is keeps its own: moat writes nothing
		 * into a tree that is the host's) */
		if (!etc[i][1])
			continue;
		struct path ep; /* a root without /etc gets one (in the writable layer) */
		if (mountpoint(&fake, v, "/etc", &ep) == 0)
			path_put(&ep);
		struct file *ef;
		vfs_unlink(&fake, AT_FDCWD, etc[i][0]);
		e = vfs_open(&fake, AT_FDCWD, etc[i][0], O_WRONLY | O_CREAT | O_TRUNC, 0644, &ef);
		if (e) {
			fprintf(stderr, "moat: writing the sandbox's %s: %s\n", etc[i][0], strerror(-e));
			goto fail;
		}
		uint64_t pos = 0;
		file_write(ef, NULL, etc[i][1], strlen(etc[i][1]), &pos);
		file_put(ef);
	}
	for (int i = 0, x = 1; i < cfg->nmounts; i++) {
		const struct sandbox_mount *m = &cfg->mounts[i];
		e = user_mount(&fake, v, tr, x, m);
		if (e)
			return e;
		x += is_export(m);
	}
	*root_out = root;
	return 0;
fail:
	if (e && e != -ENOMEM)
		fprintf(stderr, "moat: setting up the sandbox's mounts: %s\n", strerror(-e));
	return e;
}

int sandbox_run(const struct sandbox_config *cfg, int *wait_status)
{
	int ret = 0;
	struct sbx s = { 0 };
	s.signal_pipe = cfg->have_signal_pipe ? cfg->signal_pipe : -1;
	struct ns_wheel wheel;
	struct platform *plat = NULL;
	struct termios saved_tio;
	int tio_saved = isatty(0) && tcgetattr(0, &saved_tio) == 0;

	/* The gofer first: it sets itself up (namespaces, its exports, its
	 * filter) while the sentry makes its loop, platform and network;
	 * HELLO, just before the VFS is built, waits for it. */
	int gofer_sock = -1;
	pid_t gofer_pid = -1;
	if (!cfg->host_fs) {
		struct gofer_export_spec ex[GOFER_MAX_EXPORTS];
		int nex = gofer_exports(cfg, ex);
		if (nex < 0) {
			fprintf(stderr, "moat: at most %d bind mounts\n", GOFER_MAX_EXPORTS - 1);
			return -E2BIG;
		}
		int e0 = gofer_start(ex, nex, &gofer_pid, &gofer_sock);
		if (e0) {
			fprintf(stderr, "moat: the gofer did not start: %s\n", strerror(-e0));
			return e0;
		}
	}

	/* Descriptors: the sentry holds one per open lower file and one
	 * memfd per tmpfs file with data. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		struct rlimit want = { 1 << 20, 1 << 20 };
		if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
			nofile.rlim_cur = nofile.rlim_max;
			setrlimit(RLIMIT_NOFILE, &nofile);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t ss;
	sigemptyset(&ss);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&ss, forwarded[i]);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	s.sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);

	ns_wheel_init(&wheel, ns_clock_now());
	if (ns_loop_create(&wheel, &s.loop) < 0) {
		fprintf(stderr, "moat: cannot create the event loop\n");
		if (gofer_sock >= 0)
			close(gofer_sock);
		return -ENOMEM;
	}
	/* ptrace by default (systrap still loses on a busy machine and in
	 * fork/exec loops: platform/README.md); "auto": systrap where the
	 * kernel has what it needs, ptrace otherwise. */
	const char *pname = cfg->platform ? cfg->platform : "ptrace";
	int automatic = !strcmp(pname, "auto");
	const struct platform_ops *pops = platform_find(automatic ? "systrap" : pname);
	if (!pops) {
		fprintf(stderr, "moat: unknown platform '%s'\n", pname);
		ns_loop_destroy(s.loop);
		if (gofer_sock >= 0)
			close(gofer_sock);
		return -EINVAL;
	}
	struct platform_config pc = { 0 };
	pc.uid = getuid() == 0 ? 65534 : getuid();
	pc.gid = getuid() == 0 ? 65534 : getgid();
	pc.pids_limit = cfg->pids_limit;
	pc.stop_fn = kernel_on_stop;
	pc.app_filter = cfg->app_seccomp;
	int e = platform_create(pops, &pc, s.loop, &plat);
	if (e && automatic) {
		if (cfg->debug_log)
			fprintf(cfg->debug_log, "platform systrap: %s; falling back to ptrace\n",
				e == -ENOTSUP && cfg->app_seccomp ? "the seccomp profile refuses a syscall of its stub"
								    : strerror(-e));
		pops = &platform_ptrace_ops;
		e = platform_create(pops, &pc, s.loop, &plat);
	}
	if (e == -ENOTSUP && cfg->app_seccomp && !strcmp(pops->name, "systrap")) {
		fprintf(stderr, "moat: platform systrap: the container's seccomp profile refuses a syscall "
				"its stub makes (use ptrace)\n");
	} else if (e) {
		fprintf(stderr, "moat: platform %s: %s\n", pops->name, strerror(-e));
	}
	if (e) {
		ns_loop_destroy(s.loop);
		if (gofer_sock >= 0)
			close(gofer_sock);
		return e;
	}
	e = kernel_create(s.loop, &wheel, plat, &s.k);
	if (e) {
		fprintf(stderr, "moat: %s\n", strerror(-e));
		platform_destroy(plat);
		ns_loop_destroy(s.loop);
		if (gofer_sock >= 0)
			close(gofer_sock);
		return e;
	}
	plat->cfg.stop_ctx = s.k;
	struct kernel *k = s.k;
	k->log = cfg->debug_log;
	klog(k, "platform %s%s", pops->name, automatic ? " (auto)" : "");
	k->strace = cfg->strace;
	k->strace_out = cfg->debug_log && cfg->strace ? cfg->debug_log : stderr;
	if (cfg->pids_limit > 0)
		k->pids_limit = cfg->pids_limit;
	if (cfg->hostname)
		snprintf(ns_sandbox_uts(k)->hostname, sizeof(ns_sandbox_uts(k)->hostname), "%s", cfg->hostname);
	if (s.sigfd >= 0)
		ns_loop_add_fd(s.loop, s.sigfd, EPOLLIN, on_signal, &s);
	if (s.signal_pipe >= 0) {
		fcntl(s.signal_pipe, F_SETFL, O_NONBLOCK);
		ns_loop_add_fd(s.loop, s.signal_pipe, EPOLLIN, on_signal_pipe, &s);
	}
	struct control *ctl = NULL;
	if (cfg->have_control && cfg->control_fd >= 0 && (e = control_start(k, s.loop, cfg->control_fd, &ctl)) < 0) {
		fprintf(stderr, "moat: control socket: %s\n", strerror(-e));
		ret = e;
		goto out;
	}
	e = inet_net_start(k, s.loop, &wheel, cfg->net);
	if (e) {
		ret = e;
		goto out;
	}

	if (cfg->overlay_size)
		k->vfs->tmpfs_limit = cfg->overlay_size;
	if (cfg->memory_limit && cfg->memory_limit / 4 < (512ULL << 20))
		pkt_pool_set_limit(cfg->memory_limit / 4);
	struct trees tr = { cfg, NULL };
	if (gofer_sock >= 0) {
		e = gofer_connect(gofer_sock, &tr.gofer);
		gofer_sock = -1; /* (taken) */
		if (e) {
			fprintf(stderr, "moat: the gofer did not start: %s\n", strerror(-e));
			ret = e;
			goto out;
		}
		klog(k, "gofer: pid %d", (int)gofer_pid);
	}
	struct path root;
	e = setup_vfs(cfg, &tr, k, &root);
	gofer_conn_put(tr.gofer); /* the backends hold it */
	if (e) {
		ret = e;
		goto out;
	}
	struct fdtable *fds;
	struct file *console;
	int std[3] = { 0, 1, 2 };
	if (cfg->have_stdio)
		memcpy(std, cfg->stdio, sizeof(std));
	e = hostio_stdio(k, std, &fds, &console);
	if (e) {
		fprintf(stderr, "moat: stdio: %s\n", strerror(-e));
		ret = e;
		goto out;
	}
	/* The working directory. */
	struct path cwd = root;
	char hostcwd[PATH_MAX];
	const char *want = cfg->cwd;
	if (!want && (!cfg->root || !strcmp(cfg->root, "/")) && getcwd(hostcwd, sizeof(hostcwd)))
		want = hostcwd;
	struct nameidata nd;
	int have_cwd = 0;
	if (want) {
		struct fs_ctx fs = { 1, root, root, 022 };
		struct task fake;
		task_fake_init(&fake, k, &fs);
		e = namei_at(&fake, &root, want, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &nd);
		if (e) {
			if (cfg->cwd) {
				fprintf(stderr, "moat: --cwd %s: %s\n", cfg->cwd, strerror(-e));
				fdtable_put(fds);
				if (console)
					file_put(console);
				ret = e;
				goto out;
			}
		} else {
			cwd = nd.path;
			have_cwd = 1;
		}
	}
	if (cfg->root_readonly) {
		/* (after moat's own writes above; locked as vfs_mount does) */
		k->vfs->init.root->flags |= MS_RDONLY;
		k->vfs->init.root->locked |= MS_RDONLY;
	}
	struct cred cred, *credp = NULL;
	if (cfg->ident) {
		const struct sandbox_ident *id = cfg->ident;
		cred_init(&cred, id->uid, id->gid, id->groups, id->ngroups);
		if (id->have_caps) {
			cred.cap_effective = id->cap_effective & CAP_ALL;
			cred.cap_permitted = id->cap_permitted & CAP_ALL;
			cred.cap_inheritable = id->cap_inheritable & CAP_ALL;
			cred.cap_bounding = id->cap_bounding & CAP_ALL;
			cred.cap_ambient = id->cap_ambient & CAP_ALL;
		}
		cred.no_new_privs = id->no_new_privs;
		credp = &cred;
	}
	struct rlimit rlim[RLIM_NLIMITS], *rlimp = NULL;
	if (cfg->nrlimits) {
		for (int r = 0; r < RLIM_NLIMITS; r++)
			getrlimit(r, &rlim[r]);
		for (int i = 0; i < cfg->nrlimits; i++) {
			const struct sandbox_rlimit *l = &cfg->rlimits[i];
			if (l->resource >= 0 && l->resource < RLIM_NLIMITS) {
				rlim[l->resource].rlim_cur = (rlim_t)l->soft;
				rlim[l->resource].rlim_max = (rlim_t)l->hard;
			}
		}
		rlimp = rlim;
	}
	if (cfg->before_start) {
		int w = cfg->before_start(cfg->before_start_arg);
		if (w) {
			if (have_cwd)
				path_put(&cwd);
			fdtable_put(fds);
			if (console)
				file_put(console);
			ret = w < 0 ? w : -ECANCELED;
			goto out;
		}
	}
	e = kernel_start_init(k, cfg->argv, cfg->envp, &root, &cwd, fds, credp, rlimp);
	if (have_cwd)
		path_put(&cwd);
	if (e) {
		if (console)
			file_put(console);
		if (e == -ENOENT && k->exec_missing_interp[0]) {
			/* as a shell says it: the program is there, what it
			 * names to run it is not */
			fprintf(stderr, "moat: %s: bad interpreter %s: %s\n", cfg->argv[0], k->exec_missing_interp,
				strerror(-e));
			*wait_status = 127 << 8; /* as bash: "required file not found", 127 */
		} else if (e == -ENOENT || e == -EACCES || e == -ENOEXEC || e == -ENOTDIR || e == -ELOOP) {
			fprintf(stderr, "moat: %s: %s\n", cfg->argv[0], strerror(-e));
			*wait_status = (e == -ENOENT ? 127 : 126) << 8;
		} else {
			fprintf(stderr, "moat: starting %s: %s\n", cfg->argv[0], strerror(-e));
			ret = e;
		}
		goto out;
	}
	if (console) {
		hostio_name_console(k, k->init->leader->files);
		console_attach(k->init, console);
		s.have_console = 1;
		file_put(console);
	}
	/* Its tasks and links made, the sentry gives up its host access
	 * (confine.c); the debugging modes keep it. */
	if (!cfg->unconfined && !cfg->host_fs) {
		struct confine_opts co = { cfg->net && cfg->net->mode == SANDBOX_NET_HOST,
					   cfg->debug_log ? fileno(cfg->debug_log) : -1, cfg->debug_log };
		fflush(NULL);
		e = sentry_confine(&co);
		if (e) {
			ret = e;
			goto out;
		}
		klog(k, "sentry confined: empty root, no capabilities, no_new_privs, seccomp allow-list");
#ifdef MOAT_TEST_COMPROMISE
		sentry_test_compromise();
#endif
	}
	s.started = 1;
	for (int i = 0; i < s.nearly; i++)
		forward_signal(&s, s.early[i] & 0xff, s.early[i] >> 8);
	int stopped_self = 0;
	while (!k->done) {
		int r = ns_loop_run_once(s.loop, NS_TIME_NEVER);
		if (r < 0) {
			fprintf(stderr, "moat: event loop: %s\n", strerror(-r));
			ret = r;
			break;
		}
		/* ^Z stopped the sandboxed program itself (not a job inside a
		 * shell of the sandbox): stop moat too, so the shell that
		 * started it gets its terminal back; `fg` sends SIGCONT, which
		 * moat forwards. */
		if (!stopped_self && k->init && k->init->stopped && k->init->stop_sig != SIGSTOP &&
		    s.have_console) {
			stopped_self = 1;
			klog(k, "the program stopped (signal %d): stopping moat", k->init->stop_sig);
			if (tio_saved)
				tcsetattr(0, TCSANOW, &saved_tio);
			raise(SIGSTOP);
		} else if (stopped_self && k->init && !k->init->stopped) {
			stopped_self = 0;
		}
	}
	if (k->done)
		*wait_status = k->exit_status;
	if (k->log) {
		klog(k, "sandbox ended: status %#x, %llu syscalls, %llu unsupported, %llu parks, %llu injections",
		     k->exit_status, (unsigned long long)k->stats.syscalls, (unsigned long long)k->stats.enosys,
		     (unsigned long long)k->stats.parks, (unsigned long long)k->stats.injections);
		for (int nr = 0; nr < 512; nr++)
			if (k->stats.enosys_by_nr[nr])
				klog(k, "  unsupported %s: %u calls", syscall_name(nr), k->stats.enosys_by_nr[nr]);
	}
out:
	if (gofer_sock >= 0)
		close(gofer_sock); /* (it exits at end-of-file) */
	control_stop(ctl);
	/* The kernel lets go of the platform's tasks first; the platform then
	 * kills and reaps whatever is left on the host. */
	kernel_destroy(k);
	inet_net_stop(NULL); /* after every socket file is gone */
	platform_destroy(plat);
	if (s.sigfd >= 0) {
		ns_loop_del_fd(s.loop, s.sigfd);
		close(s.sigfd);
	}
	if (s.signal_pipe >= 0) {
		ns_loop_del_fd(s.loop, s.signal_pipe);
		close(s.signal_pipe);
	}
	ns_loop_destroy(s.loop);
	if (tio_saved)
		tcsetattr(0, TCSANOW, &saved_tio);
	return ret;
}
