/*
 * Mount namespaces and mount(2): unshare(CLONE_NEWNS), tmpfs and bind
 * mounts, read-only remounts, propagation types, umount2(2), pivot_root(2), setns(2)
 * back to the first namespace, and the errors of bad input. Everything
 * happens in a child in a namespace of its own under a directory it
 * makes in /tmp, so the case's process and the host see none of it. The
 * two trees differ (host and sandbox): lines show facts derived from
 * /proc/self/mountinfo (how often a path is a mount point, its options),
 * never the lines themselves.
 */
#include "diff.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TMPFS_MAGIC_ 0x01021994

static char dir[64]; /* the case's directory, made by mkdtemp */

static const char *P(const char *name)
{
	static char buf[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

struct minfo {
	int count;	   /* lines with this mount point */
	char opts[256];	   /* the last one's per-mount options */
	char optional[256]; /* its optional fields ("" when none) */
	char type[64], source[256], super[256], root[256];
};

/* What /proc/PID/mountinfo (pid 0: self) says of mount point path. */
static void mountinfo(pid_t pid, const char *path, struct minfo *mi)
{
	char file[64], line[4096];
	memset(mi, 0, sizeof(*mi));
	if (pid)
		snprintf(file, sizeof(file), "/proc/%d/mountinfo", (int)pid);
	else
		snprintf(file, sizeof(file), "/proc/self/mountinfo");
	FILE *f = fopen(file, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char root[256], mp[256], opts[256];
		int n = 0;
		if (sscanf(line, "%*d %*d %*s %255s %255s %255s %n", root, mp, opts, &n) < 3 || strcmp(mp, path))
			continue;
		mi->count++;
		snprintf(mi->opts, sizeof(mi->opts), "%s", opts);
		snprintf(mi->root, sizeof(mi->root), "%s", root);
		char *rest = line + n, *dash = strstr(rest, "- ");
		if (!dash)
			continue;
		/* the optional fields, with the numbers left out */
		mi->optional[0] = 0;
		for (char *w = rest; w < dash;) {
			char word[64];
			int k = 0;
			if (sscanf(w, "%63s%n", word, &k) != 1)
				break;
			char *colon = strchr(word, ':');
			if (colon)
				colon[1] = 0;
			strncat(mi->optional, word, sizeof(mi->optional) - strlen(mi->optional) - 2);
			strcat(mi->optional, " ");
			w += k;
			while (*w == ' ')
				w++;
		}
		sscanf(dash + 2, "%63s %255s %255s", mi->type, mi->source, mi->super);
	}
	fclose(f);
}

static void show(const char *step, pid_t pid, const char *path)
{
	struct minfo mi;
	mountinfo(pid, path, &mi);
	if (!mi.count) {
		V(step, "count=0");
		return;
	}
	V(step, "count=%d root=%s opts=%s optional=[%s] type=%s source=%s super=%s", mi.count, mi.root, mi.opts,
	  mi.optional, mi.type, mi.source, mi.super);
}

static void read_file(const char *step, const char *path)
{
	char buf[64] = { 0 };
	errno = 0;
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n < 0)
		V(step, "ret=-1 errno=%s", errname(errno));
	else
		V(step, "data=%.*s", (int)n, buf);
	if (fd >= 0)
		close(fd);
}

static void create_file(const char *step, const char *path, const char *text)
{
	errno = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		R(step, write(fd, text, strlen(text)));
		close(fd);
	} else {
		R(step, -1);
	}
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* A thread that shares the caller's fs context until told to go. */
static int thread_pipe[2];
static void *idle_thread(void *arg)
{
	char c;
	(void)arg;
	if (read(thread_pipe[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

/* Back in the first namespace by setns(2): what it sees of the
 * child's mounts. */
static void in_first_ns(int fd0)
{
	TRY("first setns", setns(fd0, CLONE_NEWNS));
	char cwd[256] = { 0 };
	V("first cwd", "%s", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	TRY("first access x", access(P("a/x"), F_OK));
	show("first mountinfo a", 0, P("a"));
}

/* Without CAP_SYS_ADMIN, then in a user namespace of its own. */
static void unprivileged(void)
{
	if (drop_cap(21 /* CAP_SYS_ADMIN */))
		V("unpriv", "drop_cap failed");
	TRY("unpriv mount", mount("tmpfs", P("c"), "tmpfs", 0, NULL));
	TRY("unpriv umount", umount2(P("b"), 0));
	TRY("unpriv unshare", unshare(CLONE_NEWNS));
	TRY("unpriv mount bad target", mount("tmpfs", P("nonexistent"), "tmpfs", 0, NULL));
	TRY("userns unshare", unshare(CLONE_NEWUSER | CLONE_NEWNS));
	write_file("userns setgroups", "/proc/self/setgroups", "deny");
	write_file("userns uid_map", "/proc/self/uid_map", "0 0 1");
	write_file("userns gid_map", "/proc/self/gid_map", "0 0 1");
	TRY("userns mount", mount("tmpfs", P("c"), "tmpfs", 0, NULL));
	create_file("userns create", P("c/u"), "u");
	show("userns mountinfo c", 0, P("c"));
	/* copied into a less privileged namespace, ro is locked */
	show("userns mountinfo b", 0, P("b"));
	TRY("userns remount rw", mount(NULL, P("b"), NULL, MS_REMOUNT | MS_BIND, NULL));
	TRY("userns remount ro", mount(NULL, P("b"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	TRY("userns umount c", umount2(P("c"), 0));
	TRY("userns umount copied", umount2(P("b"), 0));
	TRY("userns detach copied", umount2(P("b"), MNT_DETACH));
	TRY("userns move copied", mount(P("b"), P("c"), NULL, MS_MOVE, NULL));
	TRY("userns bind copied", mount(P("b"), P("c"), NULL, MS_BIND, NULL));
	TRY("userns umount bind", umount2(P("c"), 0));
	TRY("userns bind parent", mount(dir, P("c"), NULL, MS_BIND, NULL));
	TRY("userns rbind parent", mount(dir, P("c"), NULL, MS_BIND | MS_REC, NULL));
	TRY("userns umount rbind b", umount2(P("c/b"), 0));
	TRY("userns umount rbind", umount2(P("c"), MNT_DETACH));
}

/* Everything in tmpfs mounts of its own (d the stage, d/new the new
 * root), so that no answer depends on how the host lays out /tmp. */
static void pivot(void)
{
	TRY("pivot unshare", unshare(CLONE_NEWNS));
	TRY("pivot mount stage", mount("tmpfs", P("d"), "tmpfs", 0, NULL));
	mkdir(P("d/new"), 0755);
	mkdir(P("d/x"), 0755);
	mkdir(P("d/y"), 0755);
	TRY("pivot mount new", mount("tmpfs", P("d/new"), "tmpfs", 0, NULL));
	TRY("pivot mkdir", mkdir(P("d/new/old"), 0755));
	create_file("pivot create", P("d/new/hello"), "hi");
	TRY("pivot not mount point", syscall(SYS_pivot_root, P("d/x"), P("d/x")));
	TRY("pivot old not below", syscall(SYS_pivot_root, P("d/new"), P("d/y")));
	TRY("pivot old on root", syscall(SYS_pivot_root, P("d/new"), "/"));
	TRY("pivot missing", syscall(SYS_pivot_root, P("nonexistent"), P("d/new/old")));
	TRY("pivot file", syscall(SYS_pivot_root, P("f"), P("d/new/old")));
	TRY("pivot bad ptr", syscall(SYS_pivot_root, (char *)1, P("d/new/old")));
	TRY("pivot chdir", chdir(P("d/new")));
	TRY("pivot", syscall(SYS_pivot_root, ".", "old"));
	char cwd[256] = { 0 };
	V("pivot cwd", "%s", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	read_file("pivot read", "/hello");
	char oldf[128];
	snprintf(oldf, sizeof(oldf), "/old%s/f", dir);
	read_file("pivot read old", oldf);
	TRY("pivot chdir root", chdir("/"));
	TRY("pivot umount old", umount2("/old", MNT_DETACH));
	TRY("pivot old gone", access(oldf, F_OK));
	TRY("pivot rmdir old", rmdir("/old"));
}

/* runc's way: pivot_root(".", ".") stacks the old root on the new one,
 * and umount2(".", MNT_DETACH) takes it off. */
static void pivot_dot(void)
{
	TRY("dot unshare", unshare(CLONE_NEWNS));
	TRY("dot mount", mount("tmpfs", P("d"), "tmpfs", 0, NULL));
	create_file("dot create", P("d/hello"), "dot");
	TRY("dot chdir", chdir(P("d")));
	TRY("dot pivot", syscall(SYS_pivot_root, ".", "."));
	TRY("dot umount", umount2(".", MNT_DETACH));
	TRY("dot chdir root", chdir("/"));
	read_file("dot read", "/hello");
	TRY("dot old gone", access(P("f"), F_OK));
}

/* Chrooted into a tmpfs with a proc mount: mountinfo shows only what is
 * under the root, from the root. */
static void chrooted(void)
{
	TRY("chroot", chroot(P("c")));
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024], mps[256] = "";
	int n = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char mp[128];
		if (sscanf(line, "%*d %*d %*s %*s %127s", mp) == 1 && strlen(mps) + strlen(mp) + 2 < sizeof(mps)) {
			strcat(mps, " ");
			strcat(mps, mp);
		}
		n++;
	}
	if (f)
		fclose(f);
	V("chroot mountinfo", "lines=%d:%s", n, mps);
}

static void in_new_ns(void)
{
	int fd0 = open("/proc/self/ns/mnt", O_RDONLY);
	ino_t ino0 = ino_of("/proc/self/ns/mnt");
	pid_t first = getppid();

	/* a thread sharing the fs context: no setns into a mount namespace */
	if (pipe(thread_pipe) == 0) {
		pthread_t th;
		pthread_create(&th, NULL, idle_thread, NULL);
		TRY("setns shared fs", setns(fd0, CLONE_NEWNS));
		if (write(thread_pipe[1], "x", 1) < 0)
			V("pipe", "write failed");
		pthread_join(th, NULL);
		close(thread_pipe[0]);
		close(thread_pipe[1]);
	}

	TRY("unshare", unshare(CLONE_NEWNS));
	ino_t ino1 = ino_of("/proc/self/ns/mnt");
	V("ns ino", "changed=%d", ino1 != ino0);
	{
		struct stat st;
		fstat(fd0, &st);
		V("ns fd", "same_as_first=%d same_as_now=%d", st.st_ino == ino0, st.st_ino == ino1);
	}
	char cwd[256] = { 0 };
	V("cwd kept", "%d", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, dir));
	TRY("make rprivate", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));

	/* a tmpfs */
	TRY("mount tmpfs", mount("tmpfs", P("a"), "tmpfs", MS_NOSUID, "size=1m,mode=0750"));
	struct stat st;
	stat(P("a"), &st);
	V("tmpfs root", "mode=%o uid=%d nlink=%d", st.st_mode & 07777, (int)st.st_uid, (int)st.st_nlink);
	struct statfs sf;
	statfs(P("a"), &sf);
	V("tmpfs statfs", "is_tmpfs=%d", sf.f_type == TMPFS_MAGIC_);
	create_file("create x", P("a/x"), "hello");
	TRY("mkdir sub", mkdir(P("a/sub"), 0755));
	TRY("mkdir dd", mkdir(P("a/dd"), 0755));
	TRY("mount sub", mount("inner", P("a/sub"), "tmpfs", 0, NULL));
	create_file("create sub/y", P("a/sub/y"), "deep");
	show("mountinfo a", 0, P("a"));
	show("mountinfo sub", 0, P("a/sub"));
	show("first's mountinfo a", first, P("a"));
	TRY("rmdir busy", rmdir(P("a/sub")));

	/* the first namespace sees nothing of it */
	pid_t p = fork();
	if (p == 0) {
		in_first_ns(fd0);
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, NULL, 0);

	/* bind mounts */
	TRY("bind", mount(P("a"), P("b"), NULL, MS_BIND, NULL));
	read_file("bind read x", P("b/x"));
	read_file("bind read sub/y", P("b/sub/y"));
	show("mountinfo b", 0, P("b"));
	TRY("umount b", umount2(P("b"), 0));
	TRY("rbind", mount(P("a"), P("b"), NULL, MS_BIND | MS_REC, NULL));
	read_file("rbind read sub/y", P("b/sub/y"));
	show("mountinfo b/sub", 0, P("b/sub"));
	TRY("bind subdir", mount(P("a/dd"), P("c"), NULL, MS_BIND, NULL));
	show("mountinfo c", 0, P("c"));
	TRY("umount c", umount2(P("c"), 0));
	TRY("bind file", mount(P("f"), P("a/x"), NULL, MS_BIND, NULL));
	read_file("bind file read", P("a/x"));
	TRY("umount file", umount2(P("a/x"), 0));
	read_file("file unmounted read", P("a/x"));

	/* read-only */
	TRY("remount ro", mount(NULL, P("b"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	create_file("ro create", P("b/z"), "z");
	TRY("ro mkdir", mkdir(P("b/d"), 0755));
	TRY("ro unlink", unlink(P("b/x")));
	create_file("rw create via a", P("a/z"), "z");
	show("mountinfo b ro", 0, P("b"));
	show("mountinfo a rw", 0, P("a"));
	TRY("remount tmpfs ro", mount(NULL, P("a/sub"), NULL, MS_REMOUNT | MS_RDONLY, NULL));
	create_file("tmpfs ro create", P("a/sub/n"), "n");
	show("mountinfo sub ro", 0, P("a/sub"));
	TRY("remount tmpfs rw", mount(NULL, P("a/sub"), NULL, MS_REMOUNT, NULL));
	create_file("tmpfs rw create", P("a/sub/n"), "n");

	/* propagation types */
	TRY("make shared", mount(NULL, P("a"), NULL, MS_SHARED, NULL));
	TRY("bind shared", mount(P("a"), P("c"), NULL, MS_BIND, NULL));
	show("shared a", 0, P("a"));
	show("peer c", 0, P("c"));
	TRY("make slave c", mount(NULL, P("c"), NULL, MS_SLAVE, NULL));
	show("slave c", 0, P("c"));
	TRY("make slave a", mount(NULL, P("a"), NULL, MS_SLAVE, NULL));
	show("slave a", 0, P("a"));
	TRY("make unbindable c", mount(NULL, P("c"), NULL, MS_UNBINDABLE, NULL));
	show("unbindable c", 0, P("c"));
	TRY("bind unbindable", mount(P("c"), P("d"), NULL, MS_BIND, NULL));
	TRY("make rprivate a", mount(NULL, P("a"), NULL, MS_PRIVATE | MS_REC, NULL));
	show("private a", 0, P("a"));
	TRY("two types", mount(NULL, P("a"), NULL, MS_PRIVATE | MS_SHARED, NULL));
	TRY("type and flag", mount(NULL, P("a"), NULL, MS_PRIVATE | MS_NOSUID, NULL));
	TRY("type not mount point", mount(NULL, P("d"), NULL, MS_PRIVATE, NULL));
	TRY("umount c", umount2(P("c"), 0));

	/* tmpfs's size= */
	TRY("mount small", mount("tmpfs", P("c"), "tmpfs", 0, "size=64k,nr_inodes=1k,huge=never,uid=0,gid=0"));
	show("mountinfo small", 0, P("c"));
	{
		int fd = open(P("c/big"), O_WRONLY | O_CREAT, 0644);
		char page[4096] = { 0 };
		long total = 0, r;
		errno = 0;
		while ((r = write(fd, page, sizeof(page))) > 0 && total < (1 << 20))
			total += r;
		V("small fill", "total=%ld last=%ld errno=%s", total, r, errname(errno));
		close(fd);
		struct statfs sf;
		statfs(P("c"), &sf);
		V("small statfs", "blocks=%ld free=%ld", (long)sf.f_blocks, (long)sf.f_bfree);
	}
	TRY("remount too small", mount(NULL, P("c"), NULL, MS_REMOUNT, "size=16k"));
	TRY("remount bigger", mount(NULL, P("c"), NULL, MS_REMOUNT, "size=128k,mode=700"));
	show("mountinfo bigger", 0, P("c"));
	{
		struct statfs sf;
		statfs(P("c"), &sf);
		V("bigger statfs", "blocks=%ld free=%ld", (long)sf.f_blocks, (long)sf.f_bfree);
	}
	TRY("umount small", umount2(P("c"), 0));
	TRY("mount options", mount("x", P("c"), "tmpfs", MS_NOEXEC | MS_NODEV | MS_NOATIME, "mode=1777,size=10%"));
	show("mountinfo options", 0, P("c"));
	TRY("umount options", umount2(P("c"), 0));

	/* MS_MOVE */
	TRY("mount to move", mount("tmpfs", P("c"), "tmpfs", 0, NULL));
	create_file("move create", P("c/m"), "moved");
	TRY("mkdir in moved", mkdir(P("c/sub"), 0755));
	TRY("move below itself", mount(P("c"), P("c/sub"), NULL, MS_MOVE, NULL));
	TRY("move not mount point", mount(P("c/sub"), P("d"), NULL, MS_MOVE, NULL));
	TRY("move no source", mount(NULL, P("d"), NULL, MS_MOVE, NULL));
	TRY("move", mount(P("c"), P("d"), NULL, MS_MOVE, NULL));
	read_file("move read", P("d/m"));
	TRY("move left", access(P("c/m"), F_OK));
	show("move mountinfo c", 0, P("c"));
	show("move mountinfo d", 0, P("d"));
	TRY("umount moved", umount2(P("d"), 0));

	/* a namespace file bound onto a file (ip netns add) */
	TRY("bind ns file", mount("/proc/self/ns/net", P("f"), NULL, MS_BIND, NULL));
	{
		struct minfo mi;
		mountinfo(0, P("f"), &mi);
		char *digit = strpbrk(mi.root, "0123456789");
		if (digit)
			*digit = 0; /* (the number is the host's or the sandbox's) */
		V("ns file mountinfo", "count=%d root=%s opts=%s type=%s source=%s", mi.count, mi.root, mi.opts,
		  mi.type, mi.source);
		int fd = open(P("f"), O_RDONLY);
		struct stat a, b;
		V("ns file is ns", "%d", fd >= 0 && fstat(fd, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 &&
					   a.st_ino == b.st_ino);
		TRY("setns through bound file", setns(fd, CLONE_NEWNET));
		close(fd);
	}
	TRY("umount ns file", umount2(P("f"), 0));

	/* a removed directory, still the cwd */
	TRY("mkdir removed", mkdir(P("e"), 0755));
	TRY("chdir removed", chdir(P("e")));
	TRY("rmdir removed", rmdir(P("e")));
	TRY("mount on removed", mount("tmpfs", ".", "tmpfs", 0, NULL));
	TRY("bind on removed", mount(P("a"), ".", NULL, MS_BIND, NULL));
	TRY("chdir out of removed", chdir(dir));

	/* bad input */
	TRY("unknown fs", mount("none", P("c"), "nosuchfs", 0, NULL));
	TRY("empty fs", mount("none", P("c"), "", 0, NULL));
	TRY("no fs type", mount("none", P("c"), NULL, 0, NULL));
	TRY("bad option", mount("tmpfs", P("c"), "tmpfs", 0, "bogus=1"));
	TRY("bad mode", mount("tmpfs", P("c"), "tmpfs", 0, "mode=9"));
	TRY("bad size", mount("tmpfs", P("c"), "tmpfs", 0, "size=lots"));
	TRY("missing target", mount("tmpfs", P("nonexistent"), "tmpfs", 0, NULL));
	TRY("empty target", mount("tmpfs", "", "tmpfs", 0, NULL));
	TRY("file target", mount("tmpfs", P("f"), "tmpfs", 0, NULL));
	TRY("notdir target", mount("tmpfs", P("f/x"), "tmpfs", 0, NULL));
	TRY("bad target ptr", mount("tmpfs", (char *)1, "tmpfs", 0, NULL));
	TRY("bad type ptr", mount("tmpfs", P("c"), (char *)1, 0, NULL));
	TRY("bad source ptr", mount((char *)1, P("c"), "tmpfs", 0, NULL));
	TRY("bad data ptr", mount("tmpfs", P("c"), "tmpfs", 0, (void *)1));
	{
		static char longname[8192];
		memset(longname, 'a', sizeof(longname) - 1);
		TRY("long type", mount("tmpfs", P("c"), longname, 0, NULL));
		TRY("long source", mount(longname, P("c"), "tmpfs", 0, NULL));
		TRY("long target", mount("tmpfs", longname, "tmpfs", 0, NULL));
		TRY("long data", mount("tmpfs", P("c"), "tmpfs", 0, longname));
	}
	TRY("bind missing source", mount(P("nonexistent"), P("c"), NULL, MS_BIND, NULL));
	TRY("bind no source", mount(NULL, P("c"), NULL, MS_BIND, NULL));
	TRY("bind dir on file", mount(P("a"), P("f"), NULL, MS_BIND, NULL));
	TRY("bind file on dir", mount(P("f"), P("c"), NULL, MS_BIND, NULL));
	TRY("remount not mount point", mount(NULL, P("c"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	TRY("nouser", mount("tmpfs", P("c"), "tmpfs", MS_NOUSER, NULL));
	TRY("umount not mount point", umount2(P("c"), 0));
	TRY("umount missing", umount2(P("nonexistent"), 0));
	TRY("umount bad flags", umount2(P("a"), 0x100));
	TRY("umount expire detach", umount2(P("a"), MNT_EXPIRE | MNT_DETACH));
	TRY("umount expire", umount2(P("b"), MNT_EXPIRE));
	TRY("umount bad ptr", umount2((char *)1, 0));

	/* busy mounts and MNT_DETACH */
	TRY("umount busy children", umount2(P("b"), 0));
	TRY("umount b/sub", umount2(P("b/sub"), 0));
	TRY("umount b", umount2(P("b"), 0));
	int fd = open(P("a/x"), O_RDONLY);
	TRY("umount a busy", umount2(P("a"), 0));
	TRY("chdir sub", chdir(P("a/sub")));
	TRY("umount sub busy cwd", umount2(P("a/sub"), 0));
	TRY("chdir back", chdir(dir));
	TRY("umount sub", umount2(P("a/sub"), 0));
	TRY("umount detach a", umount2(P("a"), MNT_DETACH));
	char buf[16] = { 0 };
	R("read detached fd", pread(fd, buf, sizeof(buf) - 1, 0));
	V("detached data", "%s", buf);
	close(fd);
	TRY("access after detach", access(P("a/x"), F_OK));
	show("mountinfo a gone", 0, P("a"));
	TRY("umount again", umount2(P("a"), 0));

	/* without the privilege */
	TRY("mount ro tmpfs", mount("tmpfs", P("b"), "tmpfs", MS_RDONLY, NULL));
	ck_child(unprivileged);
	TRY("umount ro tmpfs", umount2(P("b"), 0));

	TRY("mount chroot", mount("tmpfs", P("c"), "tmpfs", 0, NULL));
	TRY("mkdir chroot proc", mkdir(P("c/proc"), 0555));
	TRY("mount chroot proc", mount("proc", P("c/proc"), "proc", 0, NULL));
	ck_child(chrooted);
	TRY("umount chroot proc", umount2(P("c/proc"), 0));
	TRY("umount chroot", umount2(P("c"), 0));

	/* pivot_root(2), in a namespace of its own */
	fflush(stdout);
	if (fork() == 0) {
		pivot();
		fflush(stdout);
		_exit(0);
	}
	wait(NULL);

	ck_child(pivot_dot);

	/* clone(CLONE_NEWNS) */
	TRY("clone fs and newns", syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
	fflush(stdout);
	long c = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		V("clone child ns", "new=%d", ino_of("/proc/self/ns/mnt") != ino1);
		TRY("clone child mount", mount("tmpfs", P("d"), "tmpfs", 0, NULL));
		fflush(stdout);
		_exit(0);
	}
	waitpid((pid_t)c, NULL, 0);
	show("after clone child d", 0, P("d"));
	close(fd0);
}

void case_mount_ns(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mountns.XXXXXX");
	if (!mkdtemp(dir)) {
		V("mkdtemp", "failed");
		return;
	}
	chmod(dir, 0755);
	mkdir(P("a"), 0755);
	mkdir(P("b"), 0755);
	mkdir(P("c"), 0755);
	mkdir(P("d"), 0755);
	int fd = open(P("f"), O_WRONLY | O_CREAT, 0644);
	if (fd >= 0) {
		if (write(fd, "file", 4) != 4)
			V("setup", "write failed");
		close(fd);
	}
	char old[256];
	if (!getcwd(old, sizeof(old)))
		strcpy(old, "/");
	if (chdir(dir))
		V("setup", "chdir failed");
	ck_child(in_new_ns);
	if (chdir(old))
		V("setup", "chdir back failed");
	/* the namespace is gone with its last process: so are its mounts */
	show("after mountinfo a", 0, P("a"));
	TRY("after access x", access(P("a/x"), F_OK));
	TRY("after rmdir a", rmdir(P("a")));
	unlink(P("f"));
	rmdir(P("b"));
	rmdir(P("c"));
	rmdir(P("d"));
	TRY("after rmdir dir", rmdir(dir));
}
