/*
 * /proc: generated from the sentry's own state.
 *
 * Nothing is cached (SB_NOCACHE): every lookup makes a fresh inode that
 * names what it shows (a pid, a tid, an fd, a table entry), and every open
 * of a file renders its whole content into a buffer that reads then serve,
 * so a reader sees one consistent snapshot.
 *
 * Process-level numbers the sentry does not keep (memory sizes, CPU times)
 * come from the host kernel's view of the task (its /proc/<host pid>
 * files): the host process is the sandbox process. Host paths in
 * /proc/<pid>/maps are replaced by the sandbox paths of the files the
 * sentry mapped (struct mm's names).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vfs.h"
#include "../../platform/hostproc.h"
#include "../kernel/kernel.h"
#include "../socket/inet.h"
#include "../syscalls/syscalls.h" /* (pidfd_target: a pidfd's fdinfo) */
#include "ns/info.h"
#include "ns/stack.h"

#define PROC_SUPER_MAGIC 0x9fa0

static const struct fs_type proc_type = { "proc", PROC_SUPER_MAGIC };

enum pkind {
	PK_ROOT,
	PK_PID,	     /* /proc/N (pid = tgid) */
	PK_TID,	     /* /proc/N/task/M */
	PK_TASKDIR,  /* /proc/N/task */
	PK_FDDIR,    /* /proc/N/fd */
	PK_FDINFODIR,
	PK_FD,	     /* /proc/N/fd/M (magic link) */
	PK_FDINFO,   /* /proc/N/fdinfo/M */
	PK_FILE,     /* generated file: ent */
	PK_LINK,     /* symlink: ent */
	PK_DIR,	     /* static directory: ent */
	PK_NETCONF,  /* /proc/sys/net/ipv6/conf: all, default and the interfaces */
	PK_NSDIR,    /* /proc/N/ns */
	PK_NS,	     /* /proc/N/ns/X (magic link; fd holds the ns_kind) */
	PK_NSOBJ,    /* what an ns link leads to: one namespace (nsfs) */
};

struct pent;
struct pctx {
	struct kernel *k;
	struct task *t; /* the viewer */
	const struct pent *ent; /* the file's entry (gen and write of files) */
	uint64_t pos; /* a write's file offset; its handler moves it as Linux
		       * does (most of /proc/PID leaves it where it was) */
};

typedef int (*gen_fn)(struct pctx *c, pid_t pid, pid_t tid, FILE *out);
typedef int (*link_fn)(struct pctx *c, pid_t pid, pid_t tid, char *buf, size_t len, struct path *p);

struct pent {
	const char *name;
	mode_t mode;
	gen_fn gen;
	link_fn link;
	const struct pent *children; /* PK_DIR, NULL-name terminated */
	int (*write)(struct pctx *c, pid_t pid, pid_t tid, const char *buf, size_t len);
	const char *key; /* for handlers shared by several files (net sysctls) */
};

/* (under /proc/sys/net/ipv6/conf, tid names the directory IF: an
 * interface's id, CONF_ALL or CONF_DEFAULT) */
struct pnode {
	enum pkind kind;
	pid_t pid, tid;
	int fd;
	const struct pent *ent;
	struct ns_common *ns; /* PK_NSOBJ: held */
};

static struct super *proc_sb;
static struct mount *proc_mnt;

static const struct inode_ops proc_iops;
static const struct file_ops proc_dir_ops;
static const struct file_ops nsfs_ops;
static const struct file_ops proc_file_ops;

static struct kernel *proc_kernel;
pid_t console_fg_pgrp(void);
pid_t console_fg_pgrp_of(struct file *tty);

/* ---- helpers ---- */

/* A host /proc file of a task (host_pid > 0) or of the host
 * (platform/hostproc.h), whole, NUL-terminated: its length or -errno. */
static int host_read(pid_t host_pid, const char *what, char *buf, size_t len)
{
	if (host_pid <= 0)
		return (int)hostproc_read_global(what, buf, len);
	char p[64];
	snprintf(p, sizeof(p), "%d/%s", host_pid, what);
	int fd = hostproc_open(p, O_RDONLY);
	if (fd < 0)
		return fd;
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= len - 1)
			break;
	}
	close(fd);
	buf[got] = 0;
	return (int)got;
}

static struct task *live_thread(struct thread_group *tg)
{
	if (tg->leader && tg->leader->pt)
		return tg->leader;
	struct list *l;
	list_for_each(l, &tg->threads)
	{
		struct task *c = list_entry(l, struct task, tg_link);
		if (c->pt)
			return c;
	}
	return tg->leader;
}

static struct task *proc_task(struct pctx *c, pid_t pid, pid_t tid)
{
	struct thread_group *tg = tg_lookup(c->k, pid);
	if (!tg)
		return NULL;
	if (tid) {
		struct task *t = task_lookup(c->k, tid);
		return t && t->tg == tg ? t : NULL;
	}
	return live_thread(tg);
}

static char state_char(struct task *t)
{
	if (!t || t->state == TS_DEAD || t->tg->state == TG_ZOMBIE)
		return 'Z';
	if (t->tg->stopped || t->state == TS_HELD)
		return 'T';
	if (t->state == TS_PARKED)
		return 'S';
	/* running application code, being served, or ready to be */
	return 'R';
}

static const char *state_name(char s)
{
	switch (s) {
	case 'R':
		return "R (running)";
	case 'S':
		return "S (sleeping)";
	case 'T':
		return "T (stopped)";
	default:
		return "Z (zombie)";
	}
}

/* ---- generated files ---- */

static int gen_cmdline_env(struct pctx *c, pid_t pid, pid_t tid, FILE *out, int env)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t || !t->mm || !t->pt)
		return 0;
	uint64_t a = env ? t->mm->env_start : t->mm->arg_start;
	uint64_t b = env ? t->mm->env_end : t->mm->arg_end;
	if (b <= a || b - a > (4u << 20))
		return 0;
	char *buf = malloc(b - a);
	if (!buf)
		return -ENOMEM;
	ssize_t n = platform_read(t->pt, buf, a, (size_t)(b - a));
	if (n > 0)
		fwrite(buf, 1, (size_t)n, out);
	free(buf);
	return 0;
}

static int gen_cmdline(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	return gen_cmdline_env(c, pid, tid, out, 0);
}

static int gen_environ(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	return gen_cmdline_env(c, pid, tid, out, 1);
}

static int gen_comm(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (t)
		fprintf(out, "%s\n", t->comm);
	return 0;
}

static int write_comm(struct pctx *c, pid_t pid, pid_t tid, const char *buf, size_t len)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	size_t n = len < 15 ? len : 15;
	while (n && buf[n - 1] == '\n')
		n--;
	memset(t->comm, 0, sizeof(t->comm));
	memcpy(t->comm, buf, n);
	return 0;
}

static int gen_auxv(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (t && t->mm)
		fwrite(t->mm->auxv, 8, (size_t)t->mm->auxv_len, out);
	return 0;
}

static int gen_stat(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	struct thread_group *tg = t->tg;
	char host[1024] = "";
	/* Fields after the command name, from the host (CPU, memory). */
	if (t->pt)
		host_read(t->pt->host_tid, "stat", host, sizeof(host));
	char *rest = strrchr(host, ')');
	/* host fields: 3 state 4 ppid 5 pgrp 6 session 7 tty 8 tpgid 9 flags ... */
	char *f[64] = { 0 };
	int nf = 0;
	if (rest) {
		for (char *tok = strtok(rest + 2, " \n"); tok && nf < 64; tok = strtok(NULL, " \n"))
			f[nf++] = tok;
	}
#define HF(i) ((i) - 3 < nf && f[(i) - 3] ? f[(i) - 3] : "0")
	pid_t ppid = tg->parent ? tg->parent->tgid : 0;
	int tty_nr = tg->tty ? (int)makedev(136, 0) : 0;
	pid_t tpgid = tg->tty ? console_fg_pgrp_of(tg->tty) : -1;
	if (tg->tty && !tpgid)
		tpgid = console_fg_pgrp();
	fprintf(out, "%d (%s) %c %d %d %d %d %d %s", tid ? tid : pid, t->comm, state_char(t), ppid,
		tg->pgid, tg->sid, tty_nr, tpgid, HF(9));
	for (int i = 10; i <= 52; i++) {
		if (i == 20) {
			fprintf(out, " %d", tg->nr_threads);
			continue;
		}
		if (i == 18 || i == 19) { /* priority, nice */
			fprintf(out, " %d", i == 18 ? 20 + t->nice : t->nice);
			continue;
		}
		if (i == 40 || i == 41) { /* rt_priority, policy */
			fprintf(out, " %d", i == 40 ? 0 : t->sched_policy);
			continue;
		}
		if (i == 22) {
			fprintf(out, " %llu", (unsigned long long)((t->start_ns - c->k->boot_ns) / 10000000ull));
			continue;
		}
		fprintf(out, " %s", HF(i));
	}
	fputc('\n', out);
#undef HF
	return 0;
}

static int gen_statm(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	char buf[256] = "0 0 0 0 0 0 0\n";
	if (t && t->pt)
		host_read(t->pt->host_tid, "statm", buf, sizeof(buf));
	fputs(buf, out);
	return 0;
}

static void sigset_line(FILE *out, const char *name, ksigset_t s)
{
	fprintf(out, "%s:\t%016" PRIx64 "\n", name, s);
}

static int gen_status(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	struct thread_group *tg = t->tg;
	struct cred *cr = &t->cred;
	fprintf(out, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
		     "TracerPid:\t0\n",
		t->comm, t->fs ? t->fs->umask : 022, state_name(state_char(t)), tg->tgid, tid ? tid : pid,
		tg->parent ? tg->parent->tgid : 0);
	const struct task *v = c->t ? c->t : t; /* ids as the reader's user namespace sees them */
	fprintf(out, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", uid_to_user(v, cr->uid),
		uid_to_user(v, cr->euid), uid_to_user(v, cr->suid), uid_to_user(v, cr->fsuid),
		gid_to_user(v, cr->gid), gid_to_user(v, cr->egid), gid_to_user(v, cr->sgid),
		gid_to_user(v, cr->fsgid));
	fprintf(out, "FDSize:\t%d\nGroups:\t", t->files ? t->files->size : 0);
	for (int i = 0; i < cr->ngroups; i++)
		fprintf(out, "%u ", gid_to_user(v, cr->groups[i]));
	fprintf(out, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", tg->tgid, tid ? tid : pid,
		tg->pgid, tg->sid);
	char host[4096];
	if (t->pt && host_read(t->pt->host_tid, "status", host, sizeof(host)) > 0) {
		for (char *l = strtok(host, "\n"); l; l = strtok(NULL, "\n")) {
			if (!strncmp(l, "Vm", 2) || !strncmp(l, "Rss", 3) || !strncmp(l, "HugetlbPages", 12) ||
			    !strncmp(l, "Cpus_allowed", 12) || !strncmp(l, "Mems_allowed", 12) ||
			    !strncmp(l, "voluntary", 9) || !strncmp(l, "nonvoluntary", 12))
				fprintf(out, "%s\n", l);
		}
	}
	fprintf(out, "Threads:\t%d\n", tg->nr_threads);
	fprintf(out, "SigQ:\t0/%" PRIu64 "\n", (uint64_t)tg->rlim[RLIMIT_SIGPENDING].rlim_cur);
	sigset_line(out, "SigPnd", t->pending.set);
	sigset_line(out, "ShdPnd", tg->pending.set);
	sigset_line(out, "SigBlk", t->blocked);
	ksigset_t ign = 0, cgt = 0;
	for (int s = 1; s <= NSIG_K && t->sighand; s++) {
		uint64_t h = t->sighand->action[s - 1].handler;
		if (h == (uint64_t)SIG_IGN)
			ign |= SIGBIT(s);
		else if (h != (uint64_t)SIG_DFL)
			cgt |= SIGBIT(s);
	}
	sigset_line(out, "SigIgn", ign);
	sigset_line(out, "SigCgt", cgt);
	fprintf(out, "CapInh:\t%016" PRIx64 "\nCapPrm:\t%016" PRIx64 "\nCapEff:\t%016" PRIx64
		     "\nCapBnd:\t%016" PRIx64 "\nCapAmb:\t%016" PRIx64 "\n",
		cr->cap_inheritable, cr->cap_permitted, cr->cap_effective, cr->cap_bounding, cr->cap_ambient);
	fprintf(out, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", cr->no_new_privs);
	return 0;
}

static int gen_maps(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t || !t->pt)
		return 0;
	size_t cap = 1 << 20;
	char *host = malloc(cap);
	if (!host)
		return -ENOMEM;
	if (host_read(t->pt->host_tid, "maps", host, cap) < 0) {
		free(host);
		return 0;
	}
	struct mm *mm = t->mm;
	for (char *l = strtok(host, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long long lo, hi, off, ino;
		char perms[8], dev[16];
		int name_at = 0;
		if (sscanf(l, "%llx-%llx %7s %llx %15s %llu %n", &lo, &hi, perms, &off, &dev[0], &ino, &name_at) < 6)
			continue;
		if (lo >= PLATFORM_STUB_BASE && hi <= PLATFORM_STUB_BASE + PLATFORM_STUB_SIZE)
			continue; /* the platform's stub */
		if (lo >= PLATFORM_PATCH_BASE && hi <= PLATFORM_PATCH_BASE + PLATFORM_PATCH_SIZE)
			continue; /* systrap's patch area */
		const char *name = name_at ? l + name_at : "";
		const char *shown = name;
		if (ino) {
			unsigned ma = 0, mi = 0;
			sscanf(dev, "%x:%x", &ma, &mi);
			shown = "";
			for (struct mapname *n = mm ? mm->names : NULL; n; n = n->next) {
				if (n->ino == ino && n->dev == makedev(ma, mi)) {
					shown = n->path;
					break;
				}
			}
		} else if (mm && lo >= mm->stack_lo && hi <= mm->start_stack + (8u << 20) && mm->stack_lo &&
			   !name[0]) {
			shown = "[stack]";
		}
		int w = fprintf(out, "%08llx-%08llx %s %08llx %s %llu", lo, hi, perms, off, dev, ino);
		if (shown[0])
			fprintf(out, "%*s%s", w < 73 ? 73 - w : 1, "", shown);
		fputc('\n', out);
	}
	free(host);
	return 0;
}

/* Where d is inside its file system (mountinfo's field 4). */
static void sb_path_text(struct dentry *d, char *buf, size_t len)
{
	char tmp[PATH_MAX];
	size_t pos = sizeof(tmp) - 1;
	tmp[pos] = 0;
	for (; d && d->parent; d = d->parent) {
		size_t l = strlen(d->name);
		if (l + 1 > pos)
			break;
		pos -= l;
		memcpy(tmp + pos, d->name, l);
		tmp[--pos] = '/';
	}
	snprintf(buf, len, "%s", tmp[pos] ? tmp + pos : "/");
}

/* One line of /proc/PID/mounts (info 0) or mountinfo (1) for mount m,
 * seen from root by viewer. */
static void mount_line(const struct path *root, const struct task *viewer, struct mount *m, FILE *out, int info)
{
	char mp[PATH_MAX], rp[PATH_MAX], fsopts[256] = "";
	struct path p = { m, m->root };
	if (!vfs_path_under(&p, root) || vfs_path_text(root, &p, mp, sizeof(mp)) < 0)
		return; /* (what is outside its root is not shown) */
	const char *type = m->sb->type ? m->sb->type->name : "none", *source = m->source;
	struct ns_common *ns = procfs_ns_inode(m->root->inode);
	if (ns) /* a bound namespace file (ip netns add): what Linux's nsfs shows */
		type = source = "nsfs";
	int ro = (m->flags & MS_RDONLY) || (m->sb->flags & SB_RDONLY);
	char opts[128];
	snprintf(opts, sizeof(opts), "%s%s%s%s%s%s%s%s", ro ? "ro" : "rw", (m->flags & MS_NOSUID) ? ",nosuid" : "",
		 (m->flags & MS_NODEV) ? ",nodev" : "", (m->flags & MS_NOEXEC) ? ",noexec" : "",
		 (m->flags & MS_NOATIME) ? ",noatime" : "", (m->flags & MS_NODIRATIME) ? ",nodiratime" : "",
		 (m->flags & MS_RELATIME) ? ",relatime" : "", (m->flags & MS_NOSYMFOLLOW) ? ",nosymfollow" : "");
	if (m->sb->type == &tmpfs_type)
		tmpfs_show_options(m->sb, viewer, fsopts, sizeof(fsopts));
	if (!info) {
		fprintf(out, "%s %s %s %s%s 0 0\n", source, mp, type, opts, fsopts);
		return;
	}
	if (ns)
		snprintf(rp, sizeof(rp), "%s:[%llu]", ns_kind_name(ns->kind), (unsigned long long)ns->ino);
	else
		sb_path_text(m->root, rp, sizeof(rp));
	fprintf(out, "%d %d %u:%u %s %s %s", m->id, m->parent ? m->parent->id : 1, major(m->sb->dev),
		minor(m->sb->dev), rp, mp, opts);
	if (m->group)
		fprintf(out, " shared:%d", m->group);
	if (m->master)
		fprintf(out, " master:%d", m->master);
	if (m->unbindable)
		fprintf(out, " unbindable");
	fprintf(out, " - %s %s %s%s\n", type, source, (m->sb->flags & SB_RDONLY) ? "ro" : "rw", fsopts);
}

/* PID's mounts, from its root. */
static int gen_mount_lines(struct pctx *c, pid_t pid, pid_t tid, FILE *out, int info)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t || !t->fs)
		return -ENOENT;
	struct list *l;
	list_for_each(l, &task_mnt_tree(t)->mounts)
	{
		mount_line(&t->fs->root, c->t, list_entry(l, struct mount, all), out, info);
	}
	return 0;
}

static int gen_mounts(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	return gen_mount_lines(c, pid, tid, out, 0);
}

static int gen_mountinfo(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	return gen_mount_lines(c, pid, tid, out, 1);
}

static int gen_limits(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	static const struct {
		const char *name, *unit;
	} lim[RLIM_NLIMITS] = {
		{ "Max cpu time", "seconds" },	  { "Max file size", "bytes" },
		{ "Max data size", "bytes" },	  { "Max stack size", "bytes" },
		{ "Max core file size", "bytes" }, { "Max resident set", "bytes" },
		{ "Max processes", "processes" }, { "Max open files", "files" },
		{ "Max locked memory", "bytes" }, { "Max address space", "bytes" },
		{ "Max file locks", "locks" },	  { "Max pending signals", "signals" },
		{ "Max msgqueue size", "bytes" }, { "Max nice priority", "" },
		{ "Max realtime priority", "" },  { "Max realtime timeout", "us" },
	};
	fprintf(out, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		char s[32], h[32];
		struct rlimit *r = &t->tg->rlim[i];
		if (r->rlim_cur == RLIM_INFINITY)
			strcpy(s, "unlimited");
		else
			snprintf(s, sizeof(s), "%llu", (unsigned long long)r->rlim_cur);
		if (r->rlim_max == RLIM_INFINITY)
			strcpy(h, "unlimited");
		else
			snprintf(h, sizeof(h), "%llu", (unsigned long long)r->rlim_max);
		fprintf(out, "%-25s %-20s %-20s %-10s\n", lim[i].name, s, h, lim[i].unit);
	}
	return 0;
}

static int gen_const(FILE *out, const char *s)
{
	fputs(s, out);
	return 0;
}

static int gen_cgroup(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	(void)c, (void)pid, (void)tid;
	return gen_const(out, "0::/\n");
}

static int gen_zero_line(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	(void)c, (void)pid, (void)tid;
	return gen_const(out, "0\n");
}

/* oom_score_adj: -1000..1000, kept per process and inherited. As Linux
 * (proc_oom_score_adj_write): an integer with optional blanks around it
 * (EINVAL otherwise, or out of range); going under the floor needs
 * CAP_SYS_RESOURCE (EACCES), and a privileged write moves the floor. */
static int gen_oom_score_adj(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	fprintf(out, "%d\n", t->tg->oom_score_adj);
	return 0;
}

static int write_oom_score_adj(struct pctx *c, pid_t pid, pid_t tid, const char *buf, size_t len)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	char s[24];
	if (len >= sizeof(s))
		len = sizeof(s) - 1;
	memcpy(s, buf, len);
	s[len] = 0;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (end == s || *end || errno || v < -1000 || v > 1000)
		return -EINVAL;
	struct thread_group *tg = t->tg;
	if (v < tg->oom_score_adj_min && !capable(c->t, KCAP_SYS_RESOURCE))
		return -EACCES;
	tg->oom_score_adj = (short)v;
	if (capable(c->t, KCAP_SYS_RESOURCE))
		tg->oom_score_adj_min = (short)v;
	return 0;
}

static int gen_loginuid(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	(void)c, (void)pid, (void)tid;
	return gen_const(out, "4294967295");
}

static int gen_io(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	(void)c, (void)pid, (void)tid;
	return gen_const(out, "rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\n"
			      "cancelled_write_bytes: 0\n");
}

static int gen_wchan(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	(void)c, (void)pid, (void)tid;
	return gen_const(out, "0");
}

/* ---- links in a pid directory ---- */

static int link_path(struct pctx *c, struct path *src, char *buf, size_t len, struct path *p)
{
	if (!src->mnt || !src->dentry)
		return -ENOENT;
	if (p) {
		*p = *src;
		path_get(p);
		return 0;
	}
	int n = vfs_path_text(&c->t->fs->root, src, buf, len);
	if (n >= 0 && (src->dentry->flags & D_DELETED) && (size_t)n + 11 < len) {
		strcat(buf, " (deleted)");
		n += 10;
	}
	return n;
}

static int link_exe(struct pctx *c, pid_t pid, pid_t tid, char *buf, size_t len, struct path *p)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t || !t->mm)
		return -ENOENT;
	return link_path(c, &t->mm->exe, buf, len, p);
}

static int link_cwd(struct pctx *c, pid_t pid, pid_t tid, char *buf, size_t len, struct path *p)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t || !t->fs)
		return -ENOENT;
	return link_path(c, &t->fs->cwd, buf, len, p);
}

static int link_root(struct pctx *c, pid_t pid, pid_t tid, char *buf, size_t len, struct path *p)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t || !t->fs)
		return -ENOENT;
	return link_path(c, &t->fs->root, buf, len, p);
}

static int gen_fdinfo_dummy(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	(void)c, (void)pid, (void)tid, (void)out;
	return 0;
}

/* uid_map, gid_map, setgroups of the task's user namespace (ns.c). */
static int gen_idmap(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	char buf[ID_MAP_MAX * 34 + 1];
	int n = ns_map_show(task_userns(t), c->ent->name[0] == 'g', c->t ? c->t : t, buf, sizeof(buf));
	fwrite(buf, 1, (size_t)n, out);
	return 0;
}

/* uid_map, gid_map and setgroups: Linux takes one write, at offset 0,
 * and leaves the offset after it. */
static int write_once(struct pctx *c, int e, size_t len)
{
	if (e >= 0)
		c->pos = len;
	return e;
}

static int write_idmap(struct pctx *c, pid_t pid, pid_t tid, const char *buf, size_t len)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	if (c->pos)
		return -EINVAL;
	return write_once(c, ns_map_write(c->t, t, c->ent->name[0] == 'g', buf, len), len);
}

static int gen_setgroups(struct pctx *c, pid_t pid, pid_t tid, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	fputs(task_userns(t)->setgroups_deny ? "deny\n" : "allow\n", out);
	return 0;
}

static int write_setgroups(struct pctx *c, pid_t pid, pid_t tid, const char *buf, size_t len)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t)
		return -ESRCH;
	if (c->pos)
		return -EINVAL;
	return write_once(c, ns_setgroups_write(c->t, t, buf, len), len);
}

/* /proc/N/ns: one link per kind, named as Linux names them. */
static const struct {
	const char *name;
	enum ns_kind kind;
} ns_links[] = {
	{ "cgroup", NSK_CGROUP }, { "ipc", NSK_IPC },
	{ "mnt", NSK_MNT },	  { "net", NSK_NET },
	{ "pid", NSK_PID },	  { "pid_for_children", NSK_PID },
	{ "time", NSK_TIME },	  { "time_for_children", NSK_TIME },
	{ "user", NSK_USER },	  { "uts", NSK_UTS },
};
#define NS_LINKS ((int)(sizeof(ns_links) / sizeof(ns_links[0])))

static const struct pent pid_ents[] = {
	{ "cmdline", S_IFREG | 0444, gen_cmdline, NULL, NULL, NULL, NULL },
	{ "comm", S_IFREG | 0644, gen_comm, NULL, NULL, write_comm, NULL },
	{ "environ", S_IFREG | 0400, gen_environ, NULL, NULL, NULL, NULL },
	{ "auxv", S_IFREG | 0400, gen_auxv, NULL, NULL, NULL, NULL },
	{ "stat", S_IFREG | 0444, gen_stat, NULL, NULL, NULL, NULL },
	{ "statm", S_IFREG | 0444, gen_statm, NULL, NULL, NULL, NULL },
	{ "status", S_IFREG | 0444, gen_status, NULL, NULL, NULL, NULL },
	{ "maps", S_IFREG | 0444, gen_maps, NULL, NULL, NULL, NULL },
	{ "mounts", S_IFREG | 0444, gen_mounts, NULL, NULL, NULL, NULL },
	{ "mountinfo", S_IFREG | 0444, gen_mountinfo, NULL, NULL, NULL, NULL },
	{ "limits", S_IFREG | 0444, gen_limits, NULL, NULL, NULL, NULL },
	{ "cgroup", S_IFREG | 0444, gen_cgroup, NULL, NULL, NULL, NULL },
	{ "oom_score_adj", S_IFREG | 0644, gen_oom_score_adj, NULL, NULL, write_oom_score_adj, NULL },
	{ "oom_score", S_IFREG | 0444, gen_zero_line, NULL, NULL, NULL, NULL },
	{ "loginuid", S_IFREG | 0644, gen_loginuid, NULL, NULL, NULL, NULL },
	{ "io", S_IFREG | 0400, gen_io, NULL, NULL, NULL, NULL },
	{ "wchan", S_IFREG | 0444, gen_wchan, NULL, NULL, NULL, NULL },
	{ "exe", S_IFLNK | 0777, NULL, link_exe, NULL, NULL, NULL },
	{ "cwd", S_IFLNK | 0777, NULL, link_cwd, NULL, NULL, NULL },
	{ "root", S_IFLNK | 0777, NULL, link_root, NULL, NULL, NULL },
	{ "fd", S_IFDIR | 0500, NULL, NULL, NULL, NULL, NULL },
	{ "fdinfo", S_IFDIR | 0500, NULL, NULL, NULL, NULL, NULL },
	{ "task", S_IFDIR | 0555, NULL, NULL, NULL, NULL, NULL },
	{ "ns", S_IFDIR | 0511, NULL, NULL, NULL, NULL, NULL },
	{ "uid_map", S_IFREG | 0644, gen_idmap, NULL, NULL, write_idmap, NULL },
	{ "gid_map", S_IFREG | 0644, gen_idmap, NULL, NULL, write_idmap, NULL },
	{ "setgroups", S_IFREG | 0644, gen_setgroups, NULL, NULL, write_setgroups, NULL },
	{ NULL, 0, gen_fdinfo_dummy, NULL, NULL, NULL, NULL },
};

/* ---- system-wide files ---- */

static int gen_host(FILE *out, const char *what)
{
	char *buf = malloc(1 << 18);
	if (!buf)
		return -ENOMEM;
	if (host_read(0, what, buf, 1 << 18) > 0)
		fputs(buf, out);
	free(buf);
	return 0;
}

static int gen_cpuinfo(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)c, (void)p, (void)t;
	return gen_host(out, "cpuinfo");
}

static int gen_meminfo(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)c, (void)p, (void)t;
	return gen_host(out, "meminfo");
}

static int gen_pstat(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)p, (void)t;
	char *buf = malloc(1 << 16);
	if (!buf)
		return -ENOMEM;
	if (host_read(0, "stat", buf, 1 << 16) > 0) {
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
			if (!strncmp(l, "cpu", 3) || !strncmp(l, "intr", 4) || !strncmp(l, "ctxt", 4) ||
			    !strncmp(l, "softirq", 7))
				fprintf(out, "%s\n", l);
		}
	}
	free(buf);
	fprintf(out, "btime %llu\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n",
		(unsigned long long)(c->k->boot_realtime_ns / 1000000000ull), c->k->nr_tasks);
	return 0;
}

static int gen_loadavg(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)p, (void)t;
	char buf[128] = "0.00 0.00 0.00 1/1 1\n";
	host_read(0, "loadavg", buf, sizeof(buf));
	double a = 0, b = 0, d = 0;
	sscanf(buf, "%lf %lf %lf", &a, &b, &d);
	fprintf(out, "%.2f %.2f %.2f 1/%d %d\n", a, b, d, c->k->nr_tasks, c->k->nr_tasks);
	return 0;
}

static int gen_uptime(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)p, (void)t;
	uint64_t up = kclock_mono() - c->k->boot_ns;
	fprintf(out, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 1000000000ull),
		(unsigned long long)(up / 10000000ull % 100), (unsigned long long)(up / 1000000000ull),
		(unsigned long long)(up / 10000000ull % 100));
	return 0;
}

static int gen_version(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)c, (void)p, (void)t;
	struct utsname u;
	uname(&u);
	fprintf(out, "Linux version %s (moat) #1 SMP moat\n", u.release);
	return 0;
}

static int gen_filesystems(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)c, (void)p, (void)t;
	return gen_const(out, "nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tsysfs\nnodev\toverlay\n");
}

/* A write at an offset, as Linux's sysctl_writes_strict (1, its default)
 * has it. A number's file takes a write at offset 0 only: a later one
 * (the "\n" of a second write(2), a pwrite at 1) is said to be taken and
 * changes nothing. */
static int sysctl_int_at(struct pctx *c, int taken, size_t len)
{
	if (taken < 0)
		return taken;
	if (taken == 0)
		taken = (int)len;
	c->pos += (uint64_t)taken;
	return taken;
}

/* A string's file continues the string at the offset (up to a NUL or a
 * newline, at most max - 1 bytes in all) unless the offset is past its
 * end: then the write is taken, ignored, and the offset stays (an empty
 * write changes nothing either). The new string in out (max bytes); 0,
 * or 1 when the write is to be ignored. */
static int sysctl_str_at(struct pctx *c, const char *cur, size_t max, const char *buf, size_t len,
			 char *out)
{
	size_t n = strnlen(cur, max - 1);
	if (c->pos > n || len == 0)
		return 1;
	n = (size_t)c->pos;
	memcpy(out, cur, n);
	for (size_t i = 0; i < len && n < max - 1 && buf[i] && buf[i] != '\n'; i++)
		out[n++] = buf[i];
	out[n] = 0;
	return 0;
}

/* kernel.hostname and kernel.domainname: the reader's UTS namespace. */
static char *uts_field(struct pctx *c)
{
	struct utsns *u = c->t ? task_utsns(c->t) : ns_sandbox_uts(c->k);
	return strcmp(c->ent->name, "hostname") ? u->domainname : u->hostname;
}

static int gen_uts(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)p, (void)t;
	fprintf(out, "%s\n", uts_field(c));
	return 0;
}

static int write_uts(struct pctx *c, pid_t p, pid_t t, const char *buf, size_t len)
{
	(void)p, (void)t;
	struct utsns *u = task_utsns(c->t);
	if (!ns_capable(c->t, u->c.owner, KCAP_SYS_ADMIN))
		return -EPERM;
	/* Linux takes the text up to the first NUL or newline, cut to 64
	 * bytes */
	char *dst = uts_field(c), s[65];
	if (sysctl_str_at(c, dst, sizeof(s), buf, len, s) == 0) {
		strcpy(dst, s);
		c->pos += len;
	}
	return (int)len;
}

static int gen_osrelease(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)c, (void)p, (void)t;
	struct utsname u;
	uname(&u);
	fprintf(out, "%s\n", u.release);
	return 0;
}

#define CONST_GEN(fn, text)                                          \
	static int fn(struct pctx *c, pid_t p, pid_t t, FILE *out)   \
	{                                                            \
		(void)c, (void)p, (void)t;                           \
		return gen_const(out, text);                         \
	}

CONST_GEN(gen_ostype, "Linux\n")
CONST_GEN(gen_pid_max, "4194304\n")
CONST_GEN(gen_ngroups_max, "65536\n")
CONST_GEN(gen_overflow_id, "65534\n") /* what an unmapped id reads as (bwrap reads it) */
CONST_GEN(gen_cap_last_cap, "40\n")
CONST_GEN(gen_overcommit, "0\n")
CONST_GEN(gen_max_map_count, "65530\n")
CONST_GEN(gen_nr_open, "1048576\n")
CONST_GEN(gen_file_max, "9223372036854775807\n")
CONST_GEN(gen_random_uuid, "")
CONST_GEN(gen_entropy, "256\n")
CONST_GEN(gen_pipe_max, "1048576\n")
CONST_GEN(gen_shmmax, "18446744073692774399\n")
CONST_GEN(gen_yama, "1\n")
/* /proc/sys/kernel: what a sandboxed program finds of its kernel. The
 * System V IPC limits are sys_sysvipc.c's own; the rest are Linux's
 * defaults for what the sentry does not have (no module was ever loaded:
 * not tainted; no console: printk's defaults). */
/* kernel.tainted: this sandbox's flags (one sentry, one sandbox). As in
 * Linux, root (CAP_SYS_ADMIN) may add flags, never clear them. */
static unsigned long sandbox_taint;

static int gen_tainted(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)c, (void)p, (void)t;
	fprintf(out, "%lu\n", sandbox_taint);
	return 0;
}

static int write_tainted(struct pctx *c, pid_t p, pid_t t, const char *buf, size_t len)
{
	(void)p, (void)t;
	if (!capable(c->t, KCAP_SYS_ADMIN))
		return -EPERM;
	if (c->pos)
		return sysctl_int_at(c, (int)len, len);
	char s[32], *end;
	if (len >= sizeof(s))
		return -EINVAL;
	memcpy(s, buf, len);
	s[len] = 0;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (end == s || *end || errno || s[0] == '-')
		return -EINVAL;
	sandbox_taint |= v;
	return sysctl_int_at(c, (int)len, len);
}
CONST_GEN(gen_zero, "0\n")
CONST_GEN(gen_two, "2\n")
CONST_GEN(gen_one, "1\n")
CONST_GEN(gen_printk, "4\t4\t1\t7\n")
CONST_GEN(gen_core_pattern, "core\n")
CONST_GEN(gen_shmall, "18446744073692774399\n")
CONST_GEN(gen_shmmni, "4096\n")
CONST_GEN(gen_msgmax, "8192\n")
CONST_GEN(gen_msgmnb, "16384\n")
CONST_GEN(gen_msgmni, "32000\n")
CONST_GEN(gen_sem, "32000\t1024000000\t500\t32000\n")
CONST_GEN(gen_self_dummy, "")

static int gen_uuid(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)c, (void)p, (void)t;
	uint8_t r[16];
	FILE *u = NULL;
	(void)u;
	for (int i = 0; i < 16; i++)
		r[i] = (uint8_t)(rand() & 0xff);
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
	fprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", r[0], r[1],
		r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	return 0;
}

static const struct pent sys_kernel_random[] = {
	{ "uuid", S_IFREG | 0444, gen_uuid, NULL, NULL, NULL, NULL },
	{ "boot_id", S_IFREG | 0444, gen_uuid, NULL, NULL, NULL, NULL },
	{ "entropy_avail", S_IFREG | 0444, gen_entropy, NULL, NULL, NULL, NULL },
	{ NULL, 0, gen_random_uuid, NULL, NULL, NULL, NULL },
};

static const struct pent sys_kernel_yama[] = {
	{ "ptrace_scope", S_IFREG | 0444, gen_yama, NULL, NULL, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static const struct pent sys_kernel[] = {
	{ "hostname", S_IFREG | 0644, gen_uts, NULL, NULL, write_uts, NULL },
	{ "osrelease", S_IFREG | 0444, gen_osrelease, NULL, NULL, NULL, NULL },
	{ "ostype", S_IFREG | 0444, gen_ostype, NULL, NULL, NULL, NULL },
	{ "pid_max", S_IFREG | 0444, gen_pid_max, NULL, NULL, NULL, NULL },
	{ "ngroups_max", S_IFREG | 0444, gen_ngroups_max, NULL, NULL, NULL, NULL },
	{ "cap_last_cap", S_IFREG | 0444, gen_cap_last_cap, NULL, NULL, NULL, NULL },
	{ "overflowuid", S_IFREG | 0444, gen_overflow_id, NULL, NULL, NULL, NULL },
	{ "overflowgid", S_IFREG | 0444, gen_overflow_id, NULL, NULL, NULL, NULL },
	{ "shmmax", S_IFREG | 0444, gen_shmmax, NULL, NULL, NULL, NULL },
	{ "shmall", S_IFREG | 0444, gen_shmall, NULL, NULL, NULL, NULL },
	{ "shmmni", S_IFREG | 0444, gen_shmmni, NULL, NULL, NULL, NULL },
	{ "msgmax", S_IFREG | 0444, gen_msgmax, NULL, NULL, NULL, NULL },
	{ "msgmnb", S_IFREG | 0444, gen_msgmnb, NULL, NULL, NULL, NULL },
	{ "msgmni", S_IFREG | 0444, gen_msgmni, NULL, NULL, NULL, NULL },
	{ "sem", S_IFREG | 0444, gen_sem, NULL, NULL, NULL, NULL },
	{ "tainted", S_IFREG | 0644, gen_tainted, NULL, NULL, write_tainted, NULL },
	{ "panic", S_IFREG | 0444, gen_zero, NULL, NULL, NULL, NULL },
	{ "printk", S_IFREG | 0444, gen_printk, NULL, NULL, NULL, NULL },
	{ "core_pattern", S_IFREG | 0444, gen_core_pattern, NULL, NULL, NULL, NULL },
	{ "domainname", S_IFREG | 0644, gen_uts, NULL, NULL, write_uts, NULL },
	{ "randomize_va_space", S_IFREG | 0444, gen_two, NULL, NULL, NULL, NULL },
	{ "kptr_restrict", S_IFREG | 0444, gen_one, NULL, NULL, NULL, NULL },
	{ "dmesg_restrict", S_IFREG | 0444, gen_one, NULL, NULL, NULL, NULL },
	{ "perf_event_paranoid", S_IFREG | 0444, gen_two, NULL, NULL, NULL, NULL },
	{ "random", S_IFDIR | 0555, NULL, NULL, sys_kernel_random, NULL, NULL },
	{ "yama", S_IFDIR | 0555, NULL, NULL, sys_kernel_yama, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static const struct pent sys_vm[] = {
	{ "overcommit_memory", S_IFREG | 0444, gen_overcommit, NULL, NULL, NULL, NULL },
	{ "max_map_count", S_IFREG | 0444, gen_max_map_count, NULL, NULL, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static const struct pent sys_fs[] = {
	{ "nr_open", S_IFREG | 0444, gen_nr_open, NULL, NULL, NULL, NULL },
	{ "file-max", S_IFREG | 0444, gen_file_max, NULL, NULL, NULL, NULL },
	{ "pipe-max-size", S_IFREG | 0444, gen_pipe_max, NULL, NULL, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

/* /proc/sys/net: the sandbox's netstack settings (netstack/sysctl.c), so
 * that sysctl -w inside changes the sandbox's stack, not the host's. */
static int gen_net_sysctl(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)p, (void)t;
	char buf[256];
	int n = ns_sysctl_read(inet_stack(c->k, c->t), c->ent->key, buf, sizeof(buf));
	if (n < 0)
		return n;
	fwrite(buf, 1, (size_t)n, out);
	return 0;
}

static int write_net_sysctl(struct pctx *c, pid_t p, pid_t t, const char *buf, size_t len)
{
	(void)p, (void)t;
	struct ns_stack *st = inet_stack(c->k, c->t);
	if (strcmp(c->ent->key, "ipv4/tcp_congestion_control")) {
		if (c->pos)
			return sysctl_int_at(c, (int)len, len);
		return sysctl_int_at(c, ns_sysctl_write(st, c->ent->key, buf, len), len);
	}
	/* a string (Linux's names are at most 15 bytes) */
	char cur[64], s[16];
	int n = ns_sysctl_read(st, c->ent->key, cur, sizeof(cur));
	if (n < 0)
		return n;
	cur[strcspn(cur, "\n")] = 0;
	if (sysctl_str_at(c, cur, sizeof(s), buf, len, s))
		return (int)len;
	n = s[0] ? ns_sysctl_write(st, c->ent->key, s, strlen(s)) : -ENOENT;
	if (n < 0)
		return n;
	c->pos += len;
	return (int)len;
}

#define NET_SYSCTL(dir, name, mode) \
	{ name, S_IFREG | (mode), gen_net_sysctl, NULL, NULL, write_net_sysctl, dir "/" name }
static const struct pent sys_net_core[] = {
	NET_SYSCTL("core", "rmem_default", 0644),
	NET_SYSCTL("core", "rmem_max", 0644),
	NET_SYSCTL("core", "somaxconn", 0644),
	NET_SYSCTL("core", "wmem_default", 0644),
	NET_SYSCTL("core", "wmem_max", 0644),
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static const struct pent sys_net_ipv4[] = {
	NET_SYSCTL("ipv4", "ip_local_port_range", 0644),
	NET_SYSCTL("ipv4", "tcp_allowed_congestion_control", 0444),
	NET_SYSCTL("ipv4", "tcp_available_congestion_control", 0444),
	NET_SYSCTL("ipv4", "tcp_congestion_control", 0644),
	NET_SYSCTL("ipv4", "tcp_ecn", 0644),
	NET_SYSCTL("ipv4", "tcp_fastopen", 0644),
	NET_SYSCTL("ipv4", "tcp_fin_timeout", 0644),
	NET_SYSCTL("ipv4", "tcp_keepalive_intvl", 0644),
	NET_SYSCTL("ipv4", "tcp_keepalive_probes", 0644),
	NET_SYSCTL("ipv4", "tcp_keepalive_time", 0644),
	NET_SYSCTL("ipv4", "tcp_rmem", 0644),
	NET_SYSCTL("ipv4", "tcp_rto_max_ms", 0644),
	NET_SYSCTL("ipv4", "tcp_rto_min_us", 0644),
	NET_SYSCTL("ipv4", "tcp_sack", 0644),
	NET_SYSCTL("ipv4", "tcp_syncookies", 0644),
	NET_SYSCTL("ipv4", "tcp_thin_linear_timeouts", 0644),
	NET_SYSCTL("ipv4", "tcp_timestamps", 0644),
	NET_SYSCTL("ipv4", "tcp_tso_win_divisor", 0644),
	NET_SYSCTL("ipv4", "tcp_window_scaling", 0644),
	NET_SYSCTL("ipv4", "tcp_wmem", 0644),
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

/* net.ipv6.conf.IF.KEY: the directory's IF from the tid of its pnode. */
enum { CONF_ALL = -1, CONF_DEFAULT = -2 };

static int conf_name(struct pctx *c, pid_t sel, char *name, size_t len)
{
	struct ns_nic_info ni;
	const char *ifn = sel == CONF_ALL ? "all" : sel == CONF_DEFAULT ? "default" : NULL;
	if (!ifn) {
		if (ns_stack_nic_info(inet_stack(c->k, c->t), sel, &ni) < 0)
			return -ENOENT;
		ifn = ni.name;
	}
	snprintf(name, len, "ipv6/conf/%s/%s", ifn, c->ent->key);
	return 0;
}

static int gen_conf_sysctl(struct pctx *c, pid_t p, pid_t t, FILE *out)
{
	(void)p;
	char name[96], buf[64];
	int n = conf_name(c, t, name, sizeof(name));
	if (n == 0)
		n = ns_sysctl_read(inet_stack(c->k, c->t), name, buf, sizeof(buf));
	if (n < 0)
		return n;
	fwrite(buf, 1, (size_t)n, out);
	return 0;
}

static int write_conf_sysctl(struct pctx *c, pid_t p, pid_t t, const char *buf, size_t len)
{
	(void)p;
	char name[96];
	int e = conf_name(c, t, name, sizeof(name));
	if (e < 0 || c->pos)
		return e < 0 ? e : sysctl_int_at(c, (int)len, len);
	return sysctl_int_at(c, ns_sysctl_write(inet_stack(c->k, c->t), name, buf, len), len);
}

/* The keys of each conf/IF directory (ns_sysctl_conf_key's list). */
#define CONF_SYSCTL(name) { name, S_IFREG | 0644, gen_conf_sysctl, NULL, NULL, write_conf_sysctl, name }
static const struct pent sys_net_ipv6_conf_if[] = {
	CONF_SYSCTL("accept_dad"),
	CONF_SYSCTL("accept_ra"),
	CONF_SYSCTL("autoconf"),
	CONF_SYSCTL("dad_transmits"),
	CONF_SYSCTL("disable_ipv6"),
	CONF_SYSCTL("hop_limit"),
	CONF_SYSCTL("mtu"),
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static const struct pent sys_net_ipv6[] = {
	NET_SYSCTL("ipv6", "bindv6only", 0644),
	/* (a directory with a key: PK_NETCONF, whose entries are directories
	 * of the children) */
	{ "conf", S_IFDIR | 0555, NULL, NULL, sys_net_ipv6_conf_if, NULL, "ipv6/conf" },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static const struct pent sys_net[] = {
	{ "core", S_IFDIR | 0555, NULL, NULL, sys_net_core, NULL, NULL },
	{ "ipv4", S_IFDIR | 0555, NULL, NULL, sys_net_ipv4, NULL, NULL },
	{ "ipv6", S_IFDIR | 0555, NULL, NULL, sys_net_ipv6, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static const struct pent sys_ents[] = {
	{ "kernel", S_IFDIR | 0555, NULL, NULL, sys_kernel, NULL, NULL },
	{ "vm", S_IFDIR | 0555, NULL, NULL, sys_vm, NULL, NULL },
	{ "fs", S_IFDIR | 0555, NULL, NULL, sys_fs, NULL, NULL },
	{ "net", S_IFDIR | 0555, NULL, NULL, sys_net, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

/* /proc/net: the netstack's view (procnet.c). */
#define NET_GEN(fn, name)                                           \
	static int fn(struct pctx *c, pid_t p, pid_t t, FILE *out)  \
	{                                                           \
		(void)p, (void)t;                                   \
		return procnet_render(c->k, c->t, name, out);       \
	}
NET_GEN(gen_net_dev, "dev")
NET_GEN(gen_net_tcp, "tcp")
NET_GEN(gen_net_tcp6, "tcp6")
NET_GEN(gen_net_udp, "udp")
NET_GEN(gen_net_udp6, "udp6")
NET_GEN(gen_net_raw, "raw")
NET_GEN(gen_net_raw6, "raw6")
NET_GEN(gen_net_route, "route")
NET_GEN(gen_net_if_inet6, "if_inet6")

static const struct pent net_ents[] = {
	{ "dev", S_IFREG | 0444, gen_net_dev, NULL, NULL, NULL, NULL },
	{ "tcp", S_IFREG | 0444, gen_net_tcp, NULL, NULL, NULL, NULL },
	{ "tcp6", S_IFREG | 0444, gen_net_tcp6, NULL, NULL, NULL, NULL },
	{ "udp", S_IFREG | 0444, gen_net_udp, NULL, NULL, NULL, NULL },
	{ "udp6", S_IFREG | 0444, gen_net_udp6, NULL, NULL, NULL, NULL },
	{ "raw", S_IFREG | 0444, gen_net_raw, NULL, NULL, NULL, NULL },
	{ "raw6", S_IFREG | 0444, gen_net_raw6, NULL, NULL, NULL, NULL },
	{ "route", S_IFREG | 0444, gen_net_route, NULL, NULL, NULL, NULL },
	{ "if_inet6", S_IFREG | 0444, gen_net_if_inet6, NULL, NULL, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static int link_self(struct pctx *c, pid_t p, pid_t t, char *buf, size_t len, struct path *out)
{
	(void)p, (void)t, (void)out;
	return snprintf(buf, len, "%d", c->t->tg->tgid);
}

static int link_thread_self(struct pctx *c, pid_t p, pid_t t, char *buf, size_t len, struct path *out)
{
	(void)p, (void)t, (void)out;
	return snprintf(buf, len, "%d/task/%d", c->t->tg->tgid, c->t->tid);
}

static int link_mounts(struct pctx *c, pid_t p, pid_t t, char *buf, size_t len, struct path *out)
{
	(void)c, (void)p, (void)t, (void)out;
	return snprintf(buf, len, "self/mounts");
}

static const struct pent root_ents[] = {
	{ "self", S_IFLNK | 0777, NULL, link_self, NULL, NULL, NULL },
	{ "thread-self", S_IFLNK | 0777, NULL, link_thread_self, NULL, NULL, NULL },
	{ "mounts", S_IFLNK | 0777, NULL, link_mounts, NULL, NULL, NULL },
	{ "cpuinfo", S_IFREG | 0444, gen_cpuinfo, NULL, NULL, NULL, NULL },
	{ "meminfo", S_IFREG | 0444, gen_meminfo, NULL, NULL, NULL, NULL },
	{ "stat", S_IFREG | 0444, gen_pstat, NULL, NULL, NULL, NULL },
	{ "loadavg", S_IFREG | 0444, gen_loadavg, NULL, NULL, NULL, NULL },
	{ "uptime", S_IFREG | 0444, gen_uptime, NULL, NULL, NULL, NULL },
	{ "version", S_IFREG | 0444, gen_version, NULL, NULL, NULL, NULL },
	{ "filesystems", S_IFREG | 0444, gen_filesystems, NULL, NULL, NULL, NULL },
	{ "sys", S_IFDIR | 0555, NULL, NULL, sys_ents, NULL, NULL },
	{ "net", S_IFDIR | 0555, NULL, NULL, net_ents, NULL, NULL },
	{ NULL, 0, gen_self_dummy, NULL, NULL, NULL, NULL },
};

/* ---- inodes ---- */

static uint64_t pino(enum pkind k, pid_t pid, pid_t tid, int idx)
{
	return ((uint64_t)k << 56) ^ ((uint64_t)(uint32_t)pid << 24) ^ ((uint64_t)(uint32_t)tid << 8) ^
	       (uint64_t)(idx & 0xff) ^ 0x1000;
}

static uint64_t pino_e(enum pkind k, pid_t pid, pid_t tid, int fd, const struct pent *e)
{
	return pino(k, pid, tid, e ? (int)((uintptr_t)e >> 4) : fd);
}

static struct inode *pinode(enum pkind kind, pid_t pid, pid_t tid, int fd, const struct pent *ent,
			    mode_t mode)
{
	struct inode *i = inode_alloc(proc_sb, mode, &proc_iops);
	if (!i)
		return NULL;
	struct pnode *n = calloc(1, sizeof(*n));
	if (!n) {
		inode_put(i);
		return NULL;
	}
	n->kind = kind;
	n->pid = pid;
	n->tid = tid;
	n->fd = fd;
	n->ent = ent;
	i->priv = n;
	i->ino = pino(kind, pid, tid, ent ? (int)((uintptr_t)ent >> 4) : fd);
	if (pid) {
		struct thread_group *tg = tg_lookup(proc_kernel, pid);
		if (tg && tg->leader) {
			i->uid = tg->leader->cred.euid;
			i->gid = tg->leader->cred.egid;
		}
	}
	if (S_ISLNK(mode))
		i->size = 64;
	return i;
}

#define PN(i) ((struct pnode *)(i)->priv)

static int parse_num(const char *s)
{
	if (!*s || (*s == '0' && s[1]))
		return -1;
	long v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

static const struct pent *find_ent(const struct pent *tab, const char *name)
{
	for (; tab->name; tab++)
		if (!strcmp(tab->name, name))
			return tab;
	return NULL;
}

static enum pkind kind_of(const struct pent *e)
{
	if (S_ISLNK(e->mode))
		return PK_LINK;
	if (S_ISDIR(e->mode))
		return e->key ? PK_NETCONF : PK_DIR;
	return PK_FILE;
}

static int p_lookup(struct inode *dir, struct dentry *d)
{
	struct pnode *n = PN(dir);
	const char *name = d->name;
	struct inode *i = NULL;
	int num = parse_num(name);
	switch (n->kind) {
	case PK_ROOT:
		if (num > 0) {
			if (!tg_lookup(proc_kernel, num))
				return -ENOENT;
			i = pinode(PK_PID, num, 0, 0, NULL, S_IFDIR | 0555);
			break;
		}
		{
			const struct pent *e = find_ent(root_ents, name);
			if (!e)
				return -ENOENT;
			i = pinode(kind_of(e), 0, 0, 0, e, e->mode);
		}
		break;
	case PK_DIR: {
		const struct pent *e = find_ent(n->ent->children, name);
		if (!e)
			return -ENOENT;
		i = pinode(kind_of(e), 0, n->tid, 0, e, e->mode);
		break;
	}
	case PK_NETCONF: {
		pid_t sel = !strcmp(name, "all") ? CONF_ALL : !strcmp(name, "default") ? CONF_DEFAULT : 0;
		struct ns_stack *st = inet_stack(proc_kernel, proc_kernel->current);
		struct ns_nic_info ni;
		for (int id = 1; !sel && ns_stack_nic_info(st, id, &ni) == 0; id++)
			if (!strcmp(ni.name, name))
				sel = id;
		if (!sel)
			return -ENOENT;
		i = pinode(PK_DIR, 0, sel, 0, n->ent, n->ent->mode);
		break;
	}
	case PK_PID:
	case PK_TID: {
		const struct pent *e = find_ent(pid_ents, name);
		if (!e || (n->kind == PK_TID && !strcmp(name, "task")))
			return -ENOENT;
		if (!strcmp(name, "fd"))
			i = pinode(PK_FDDIR, n->pid, n->tid, 0, NULL, e->mode);
		else if (!strcmp(name, "fdinfo"))
			i = pinode(PK_FDINFODIR, n->pid, n->tid, 0, NULL, e->mode);
		else if (!strcmp(name, "task"))
			i = pinode(PK_TASKDIR, n->pid, 0, 0, NULL, e->mode);
		else if (!strcmp(name, "ns"))
			i = pinode(PK_NSDIR, n->pid, n->tid, 0, NULL, e->mode);
		else
			i = pinode(kind_of(e), n->pid, n->tid, 0, e, e->mode);
		break;
	}
	case PK_TASKDIR: {
		struct task *t = num > 0 ? task_lookup(proc_kernel, num) : NULL;
		if (!t || t->tg->tgid != n->pid || t->state == TS_DEAD)
			return -ENOENT;
		i = pinode(PK_TID, n->pid, num, 0, NULL, S_IFDIR | 0555);
		break;
	}
	case PK_NSDIR: {
		int k = 0;
		while (k < NS_LINKS && strcmp(ns_links[k].name, name))
			k++;
		if (k == NS_LINKS)
			return -ENOENT;
		i = pinode(PK_NS, n->pid, n->tid, k, NULL, S_IFLNK | 0777);
		break;
	}
	case PK_FDDIR:
	case PK_FDINFODIR: {
		struct pctx c = { proc_kernel, NULL, NULL, 0 };
		struct task *t = proc_task(&c, n->pid, n->tid);
		if (!t || !t->files || num < 0 || num >= t->files->size || !t->files->fds[num].file)
			return -ENOENT;
		if (n->kind == PK_FDDIR) {
			struct file *f = t->files->fds[num].file;
			mode_t m = S_IFLNK | ((f->fmode & FMODE_READ) ? 0500 : 0) | ((f->fmode & FMODE_WRITE) ? 0300 : 0);
			i = pinode(PK_FD, n->pid, n->tid, num, NULL, m);
		} else {
			i = pinode(PK_FDINFO, n->pid, n->tid, num, NULL, S_IFREG | 0444);
		}
		break;
	}
	default:
		return -ENOTDIR;
	}
	if (!i)
		return -ENOMEM;
	dentry_instantiate(d, i);
	return 0;
}

static struct task *viewer(struct task *t)
{
	return t;
}

/* ns/X: "net:[INO]", or a path to the namespace itself (an open of it
 * gives the file setns(2) takes). */
/* A path to namespace ns itself (nsfs): what an ns link leads to, and
 * what the NS_GET_* ioctls open. */
static int ns_path(struct ns_common *ns, struct path *p)
{
	struct inode *i = pinode(PK_NSOBJ, 0, 0, 0, NULL, S_IFREG | 0444);
	if (!i)
		return -ENOMEM;
	ns_get(ns);
	PN(i)->ns = ns;
	i->ino = ns->ino;
	i->uid = i->gid = 0;
	struct dentry *d = dentry_alloc(proc_mnt->root, ns_kind_name(ns->kind), strlen(ns_kind_name(ns->kind)));
	if (!d) {
		inode_put(i);
		return -ENOMEM;
	}
	d->inode = i;
	p->mnt = mount_get(proc_mnt);
	p->dentry = d;
	return 0;
}

static int ns_link(struct pctx *c, struct pnode *n, char *buf, size_t len, struct path *p)
{
	struct task *owner = proc_task(c, n->pid, n->tid);
	if (!owner || owner->tg->nr_threads == 0)
		return -ENOENT; /* (a zombie has left its namespaces, as on Linux) */
	struct ns_common *ns = task_ns(owner, ns_links[n->fd].kind);
	if (!p)
		return snprintf(buf, len, "%s:[%llu]", ns_kind_name(ns->kind), (unsigned long long)ns->ino);
	return ns_path(ns, p);
}

/* ioctl_ns(2) */
#define NSIO_ 0xb7
#define NS_GET_USERNS_ _IO(NSIO_, 0x1)
#define NS_GET_PARENT_ _IO(NSIO_, 0x2)
#define NS_GET_NSTYPE_ _IO(NSIO_, 0x3)
#define NS_GET_OWNER_UID_ _IO(NSIO_, 0x4)

/* A new descriptor (close-on-exec) for namespace u, which t must be able
 * to see: its own user namespace or one below it (EPERM otherwise, as for
 * the parent of the sandbox's own). */
static long ns_fd(struct task *t, struct userns *u)
{
	struct userns *mine = task_userns(t), *n = u;
	while (n && n != mine)
		n = n->parent;
	if (!u || !n)
		return -EPERM;
	struct path p;
	int e = ns_path(&u->c, &p);
	if (e)
		return e;
	struct file *f;
	e = vfs_open_path(t, &p, O_RDONLY, &f);
	path_put(&p);
	if (e)
		return e;
	e = fd_install(t, f, 1, 0);
	if (e < 0)
		file_put(f);
	return e;
}

static long nsfs_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct ns_common *ns = procfs_nsfs(f);
	if (!ns)
		return -ENOTTY;
	switch (cmd) {
	case NS_GET_USERNS_:
		return ns_fd(t, ns->kind == NSK_USER ? ((struct userns *)ns)->parent : ns->owner);
	case NS_GET_PARENT_:
		/* (only user and PID namespaces have parents; the one PID
		 * namespace here is the top) */
		if (ns->kind == NSK_PID)
			return -EPERM;
		if (ns->kind != NSK_USER)
			return -EINVAL;
		return ns_fd(t, ((struct userns *)ns)->parent);
	case NS_GET_NSTYPE_:
		return ns_kind_clone_flag(ns->kind);
	case NS_GET_OWNER_UID_: {
		if (ns->kind != NSK_USER)
			return -EINVAL;
		uid_t u = uid_to_user(t, ((struct userns *)ns)->owner_uid);
		return copy_to_user(t, arg, &u, sizeof(u)) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY;
	}
}

struct ns_common *procfs_ns_inode(struct inode *i)
{
	if (!i || i->sb != proc_sb || !i->priv || PN(i)->kind != PK_NSOBJ)
		return NULL;
	return PN(i)->ns;
}

struct ns_common *procfs_nsfs(struct file *f)
{
	return procfs_ns_inode(f->inode);
}

/* fd/N, exe, cwd, root, self: text or the path itself. */
static int p_link(struct inode *ino, struct task *t, char *buf, size_t len, struct path *p)
{
	struct pnode *n = PN(ino);
	struct pctx c = { proc_kernel, viewer(t), NULL, 0 };
	if (!c.t)
		return -ENOENT;
	if (n->kind == PK_LINK)
		return n->ent->link(&c, n->pid, n->tid, buf, len, p);
	if (n->kind == PK_NS)
		return ns_link(&c, n, buf, len, p);
	if (n->kind != PK_FD)
		return -EINVAL;
	struct task *owner = proc_task(&c, n->pid, n->tid);
	if (!owner || !owner->files || n->fd >= owner->files->size || !owner->files->fds[n->fd].file)
		return -ENOENT;
	struct file *f = owner->files->fds[n->fd].file;
	struct ns_common *ns = procfs_nsfs(f);
	if (ns && !p)
		return snprintf(buf, len, "%s:[%llu]", ns_kind_name(ns->kind), (unsigned long long)ns->ino);
	if (f->path.mnt)
		return link_path(&c, &f->path, buf, len, p);
	if (p) {
		/* An anonymous file: hand out a path to its own inode, so an
		 * open reopens it (a pipe through /dev/fd/N). */
		struct inode *fi = f->inode;
		if (!fi)
			return -ENOENT;
		struct dentry *d = f->path.dentry ? dentry_get(f->path.dentry) : NULL;
		if (!d) {
			d = dentry_alloc(proc_mnt->root, "anon", 4);
			if (!d)
				return -ENOMEM;
			d->inode = inode_get(fi);
		}
		p->mnt = mount_get(proc_mnt);
		p->dentry = d;
		return 0;
	}
	if (f->path.dentry) {
		int r = snprintf(buf, len, "/%s%s", f->path.dentry->name,
				 (f->path.dentry->flags & D_DELETED) ? " (deleted)" : "");
		return r < (int)len ? r : (int)len;
	}
	if (f->ops && f->ops->name)
		return f->ops->name(f, buf, len);
	return snprintf(buf, len, "anon_inode:[%llu]", (unsigned long long)(f->inode ? f->inode->ino : 0));
}

static ssize_t p_readlink(struct inode *ino, char *buf, size_t len)
{
	char tmp[PATH_MAX];
	int n = p_link(ino, proc_kernel->current, tmp, sizeof(tmp), NULL);
	if (n < 0)
		return n;
	if ((size_t)n > len)
		n = (int)len;
	memcpy(buf, tmp, (size_t)n);
	return n;
}

static int p_get_link(struct inode *ino, struct task *t, struct path *out)
{
	struct pnode *n = PN(ino);
	if (n->kind == PK_LINK && (n->ent->link == link_self || n->ent->link == link_thread_self ||
				   n->ent->link == link_mounts))
		return 1; /* plain symlinks: use readlink */
	return p_link(ino, t, NULL, 0, out);
}

/* ---- files ---- */

struct pbuf {
	char *data;
	size_t len;
	const struct pent *ent;
	pid_t pid, tid;
};

static ssize_t p_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	struct pbuf *b = f->priv;
	if (*pos >= b->len)
		return 0;
	size_t n = b->len - *pos < len ? b->len - *pos : len;
	memcpy(buf, b->data + *pos, n);
	*pos += n;
	return (ssize_t)n;
}

static ssize_t p_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	struct pbuf *b = f->priv;
	if (!b->ent || !b->ent->write)
		return -EIO;
	/* Linux's seq files take no pwrite (uid_map, gid_map, setgroups,
	 * comm); the others take it at the offset given (pos == &f->pos
	 * for write(2)) */
	if (pos != &f->pos && (b->ent->write == write_idmap || b->ent->write == write_setgroups ||
			       b->ent->write == write_comm))
		return -ESPIPE;
	struct pctx c = { proc_kernel, t, b->ent, *pos };
	/* (a handler returns the bytes it took, or 0 for all of them) */
	int e = b->ent->write(&c, b->pid, b->tid, buf, len);
	if (e >= 0)
		*pos = c.pos;
	return e < 0 ? e : e > 0 ? (ssize_t)e : (ssize_t)len;
}

static void p_release(struct file *f)
{
	struct pbuf *b = f->priv;
	if (b) {
		free(b->data);
		free(b);
	}
}

static int64_t p_llseek(struct file *f, int64_t off, int whence)
{
	struct pbuf *b = f->priv;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)f->pos : (int64_t)b->len;
	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		return -EINVAL;
	if (base + off < 0)
		return -EINVAL;
	f->pos = (uint64_t)(base + off);
	return (int64_t)f->pos;
}

static const struct file_ops proc_file_ops = {
	.read = p_read,
	.write = p_write,
	.llseek = p_llseek,
	.release = p_release,
	.zero_len_write = 1,
};

static int gen_fdinfo(struct pctx *c, pid_t pid, pid_t tid, int fd, FILE *out)
{
	struct task *t = proc_task(c, pid, tid);
	if (!t || !t->files || fd >= t->files->size || !t->files->fds[fd].file)
		return -ENOENT;
	struct file *f = t->files->fds[fd].file;
	fprintf(out, "pos:\t%" PRIu64 "\nflags:\t0%o\nmnt_id:\t%d\nino:\t%" PRIu64 "\n", f->pos,
		f->flags | (t->files->fds[fd].cloexec ? O_CLOEXEC : 0), 0, f->inode ? f->inode->ino : 0);
	/* a pidfd's process (Linux's pidfd_show_fdinfo): -1 once reaped */
	int is_pidfd;
	struct thread_group *tg = pidfd_target(f, &is_pidfd);
	if (is_pidfd)
		fprintf(out, "Pid:\t%d\nNSpid:\t%d\n", tg ? tg->tgid : -1, tg ? tg->tgid : -1);
	return 0;
}

static int p_open(struct inode *ino, struct file *f, struct task *t)
{
	struct pnode *n = PN(ino);
	if (n->kind == PK_ROOT || n->kind == PK_DIR || n->kind == PK_NETCONF || n->kind == PK_PID ||
	    n->kind == PK_TID || n->kind == PK_TASKDIR || n->kind == PK_FDDIR ||
	    n->kind == PK_FDINFODIR || n->kind == PK_NSDIR) {
		f->ops = &proc_dir_ops;
		return 0;
	}
	if (n->kind == PK_NSOBJ) {
		if (f->fmode & FMODE_WRITE)
			return -EPERM; /* (Linux's answer for nsfs) */
		f->ops = &nsfs_ops; /* setns(2) takes it; a read is EINVAL */
		return 0;
	}
	if (n->kind != PK_FILE && n->kind != PK_FDINFO)
		return -ENXIO;
	/* (a read-only sysctl stays so for root too, as in Linux) */
	if ((f->fmode & FMODE_WRITE) &&
	    (n->kind != PK_FILE || !n->ent->write || !(n->ent->mode & 0222)))
		return -EACCES;
	struct pbuf *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ent = n->ent;
	b->pid = n->pid;
	b->tid = n->tid;
	if (f->fmode & FMODE_READ) {
		FILE *out = open_memstream(&b->data, &b->len);
		if (!out) {
			free(b);
			return -ENOMEM;
		}
		struct pctx c = { proc_kernel, t, n->ent, 0 };
		int e = n->kind == PK_FDINFO ? gen_fdinfo(&c, n->pid, n->tid, n->fd, out)
					     : n->ent->gen(&c, n->pid, n->tid, out);
		fclose(out);
		if (e < 0) {
			free(b->data);
			free(b);
			return e;
		}
	}
	f->priv = b;
	f->ops = &proc_file_ops;
	f->fmode |= FMODE_PREAD;
	return 0;
}

/* ---- directories ---- */

/*
 * Directory positions: the fixed entries take 0, 1, 2, ... in order; a
 * numbered entry (pid, tid, fd) takes base + its number, so that a
 * position stays valid while the list changes under a reader (a program
 * that closes every fd it reads from /proc/self/fd must not skip any, as
 * it would with positions that count entries).
 */
static int emit_ent(struct dir_ctx *ctx, uint64_t *idx, const char *name, uint64_t ino, unsigned type)
{
	(*idx)++;
	if (*idx <= ctx->pos)
		return 0;
	return ctx->emit(ctx, name, strlen(name), ino, type, *idx);
}

static int emit_num(struct dir_ctx *ctx, uint64_t base, long num, uint64_t ino, unsigned type)
{
	uint64_t at = base + (uint64_t)num;
	if (at < ctx->pos)
		return 0;
	char name[24];
	snprintf(name, sizeof(name), "%ld", num);
	return ctx->emit(ctx, name, strlen(name), ino, type, at + 1);
}

static unsigned dt(mode_t m)
{
	return (m & S_IFMT) >> 12;
}

static int p_getdents(struct file *f, struct dir_ctx *ctx)
{
	struct inode *ino = f->inode;
	struct pnode *n = PN(ino);
	uint64_t idx = 0;
	if (emit_ent(ctx, &idx, ".", ino->ino, DT_DIR) || emit_ent(ctx, &idx, "..", 1, DT_DIR))
		return 0;
	struct pctx c = { proc_kernel, NULL, NULL, 0 };
	switch (n->kind) {
	case PK_ROOT: {
		for (const struct pent *e = root_ents; e->name; e++)
			if (emit_ent(ctx, &idx, e->name, pino_e(kind_of(e), 0, 0, 0, e), dt(e->mode)))
				return 0;
		/* pids in ascending order */
		uint64_t base = idx;
		pid_t last = 0;
		for (;;) {
			pid_t best = 0;
			struct list *l;
			list_for_each(l, &proc_kernel->thread_groups)
			{
				struct thread_group *g = list_entry(l, struct thread_group, all_link);
				if (g->state != TG_DEAD && g->tgid > last && (!best || g->tgid < best))
					best = g->tgid;
			}
			if (!best)
				break;
			last = best;
			if (emit_num(ctx, base, best, pino_e(PK_PID, best, 0, 0, NULL), DT_DIR))
				return 0;
		}
		return 0;
	}
	case PK_DIR:
		for (const struct pent *e = n->ent->children; e->name; e++)
			if (emit_ent(ctx, &idx, e->name, pino_e(kind_of(e), 0, n->tid, 0, e), dt(e->mode)))
				return 0;
		return 0;
	case PK_NETCONF: {
		struct ns_stack *st = inet_stack(proc_kernel, proc_kernel->current);
		struct ns_nic_info ni;
		if (emit_ent(ctx, &idx, "all", pino_e(PK_DIR, 0, CONF_ALL, 0, n->ent), DT_DIR) ||
		    emit_ent(ctx, &idx, "default", pino_e(PK_DIR, 0, CONF_DEFAULT, 0, n->ent), DT_DIR))
			return 0;
		for (int id = 1; ns_stack_nic_info(st, id, &ni) == 0; id++)
			if (emit_ent(ctx, &idx, ni.name, pino_e(PK_DIR, 0, id, 0, n->ent), DT_DIR))
				return 0;
		return 0;
	}
	case PK_PID:
	case PK_TID:
		for (const struct pent *e = pid_ents; e->name; e++) {
			if (n->kind == PK_TID && !strcmp(e->name, "task"))
				continue;
			if (emit_ent(ctx, &idx, e->name, pino_e(kind_of(e), n->pid, n->tid, 0, e), dt(e->mode)))
				return 0;
		}
		return 0;
	case PK_NSDIR:
		for (int k = 0; k < NS_LINKS; k++)
			if (emit_ent(ctx, &idx, ns_links[k].name, pino(PK_NS, n->pid, n->tid, k), DT_LNK))
				return 0;
		return 0;
	case PK_TASKDIR: {
		struct thread_group *tg = tg_lookup(proc_kernel, n->pid);
		if (!tg)
			return 0;
		/* tids in ascending order */
		pid_t last = 0;
		for (;;) {
			pid_t best = 0;
			struct list *l;
			list_for_each(l, &tg->threads)
			{
				struct task *t = list_entry(l, struct task, tg_link);
				if (t->state != TS_DEAD && t->tid > last && (!best || t->tid < best))
					best = t->tid;
			}
			if (!best)
				break;
			last = best;
			if (emit_num(ctx, idx, best, pino_e(PK_TID, n->pid, best, 0, NULL), DT_DIR))
				return 0;
		}
		return 0;
	}
	case PK_FDDIR:
	case PK_FDINFODIR: {
		struct task *t = proc_task(&c, n->pid, n->tid);
		if (!t || !t->files)
			return 0;
		int isdir = n->kind == PK_FDDIR;
		for (int fd = 0; fd < t->files->size; fd++) {
			if (!t->files->fds[fd].file)
				continue;
			if (emit_num(ctx, idx, fd, pino_e(isdir ? PK_FD : PK_FDINFO, n->pid, n->tid, fd, NULL),
				     isdir ? DT_LNK : DT_REG))
				return 0;
		}
		return 0;
	}
	default:
		return -ENOTDIR;
	}
}

static int64_t p_dir_llseek(struct file *f, int64_t off, int whence)
{
	return dir_file_ops.llseek(f, off, whence);
}

static ssize_t nsfs_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)f, (void)t, (void)buf, (void)len, (void)pos;
	return -EINVAL;
}

static const struct file_ops nsfs_ops = {
	.read = nsfs_read,
	.ioctl = nsfs_ioctl,
};

static const struct file_ops proc_dir_ops = {
	.getdents = p_getdents,
	.llseek = p_dir_llseek,
};

static int p_getattr(struct inode *i)
{
	(void)i;
	return 0;
}

static void p_irelease(struct inode *i)
{
	if (i->priv && PN(i)->kind == PK_NSOBJ)
		ns_put(PN(i)->ns);
	free(i->priv);
	i->priv = NULL;
}

static int p_statfs(struct inode *i, struct statfs *st)
{
	(void)i;
	memset(st, 0, sizeof(*st));
	st->f_type = PROC_SUPER_MAGIC;
	st->f_bsize = 4096;
	st->f_namelen = 255;
	return 0;
}

static const struct inode_ops proc_iops = {
	.lookup = p_lookup,
	.readlink = p_readlink,
	.get_link = p_get_link,
	.open = p_open,
	.getattr = p_getattr,
	.statfs = p_statfs,
	.release = p_irelease,
};

struct super *procfs_create(struct vfs *v)
{
	proc_kernel = v->k;
	proc_sb = super_alloc(v, &proc_type, SB_NOCACHE);
	if (!proc_sb)
		return NULL;
	struct inode *root = pinode(PK_ROOT, 0, 0, 0, NULL, S_IFDIR | 0555);
	if (!root)
		return NULL;
	root->ino = 1;
	proc_sb->root = root;
	return proc_sb;
}

int procfs_set_mount(struct mount *m);
int procfs_set_mount(struct mount *m)
{
	/* (a mount of its own, not m: root may unmount /proc) */
	proc_mnt = vfs_internal_mount(proc_kernel->vfs, m->sb);
	return proc_mnt ? 0 : -ENOMEM;
}

/* The procfs, with one more reference, for a proc mount(2). */
struct super *procfs_super(void);
struct super *procfs_super(void)
{
	proc_sb->ref++;
	return proc_sb;
}
