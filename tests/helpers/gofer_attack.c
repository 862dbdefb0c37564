/*
 * A hostile sentry against the real gofer process (gofer_start: its own
 * mount namespace, empty root, dropped capabilities, seccomp): speaks the
 * protocol by hand and tries to get out of the exports, write a read-only
 * one, confuse the handle table, crash the gofer with malformed packets,
 * and win a symlink-swap race. Prints "PASS name" / "FAIL name why" per
 * check (a suite of tests/sandbox/gofer.sh). Needs root.
 *
 *   gofer_attack DIR     (a scratch directory on the host; emptied)
 */
#include "../../gofer/gofer.c"
#include "../../gofer/seccomp.c"
#include "../../gofer/server.c"
#include "../../gofer/hostfs.c"
#include "../../platform/jail.c"

#include <pthread.h>
#include <stdarg.h>
#include <sys/time.h>

static int sock = -1;
static pid_t gpid;
static int failures;

static void result(const char *name, int ok, const char *fmt, ...)
{
	if (ok) {
		printf("PASS gofer.%s\n", name);
	} else {
		char why[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		printf("FAIL gofer.%s %s\n", name, why);
		failures++;
	}
	fflush(stdout);
}

/* One raw packet out. */
static void send_raw(const void *buf, size_t len, int passfd)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char cbuf[CMSG_SPACE(sizeof(int))];
	if (passfd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		printf("FAIL gofer.transport sendmsg: %s\n", strerror(errno));
		exit(1);
	}
}

static char rbuf[GOFER_MSG_MAX];

/* One reply: its header; *fd an attached fd or -1; the data in rbuf. */
static int recv_rep(struct gofer_rep *r, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { rbuf, sizeof(rbuf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	/* generous: a busy machine, never a hang */
	struct timeval tv = { 30, 0 };
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (fd)
		*fd = -1;
	if (n < (ssize_t)sizeof(*r))
		return n < 0 ? -errno : -EPIPE;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_type == SCM_RIGHTS && fd)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	memcpy(r, rbuf, sizeof(*r));
	memmove(rbuf, rbuf + sizeof(*r), (size_t)n - sizeof(*r));
	return 0;
}

static int req(uint16_t op, uint64_t node, uint64_t node2, uint32_t flags, uint32_t mode, const char *name,
	       const char *name2, struct gofer_rep *r, int *fd)
{
	char buf[sizeof(struct gofer_req) + 2 * 4096];
	struct gofer_req q = { 0 };
	q.op = op;
	q.node = node;
	q.node2 = node2;
	q.flags = flags;
	q.mode = mode;
	q.name_len = (uint16_t)(name ? strlen(name) : 0);
	q.name2_len = (uint16_t)(name2 ? strlen(name2) : 0);
	q.atime.nsec = q.mtime.nsec = UTIME_OMIT;
	memcpy(buf, &q, sizeof(q));
	memcpy(buf + sizeof(q), name, q.name_len);
	memcpy(buf + sizeof(q) + q.name_len, name2, q.name2_len);
	send_raw(buf, sizeof(q) + q.name_len + q.name2_len, -1);
	if (op == GOP_CLUNK)
		return 0;
	struct gofer_rep tmp;
	if (!r)
		r = &tmp;
	int e = recv_rep(r, fd);
	return e ? e : r->err;
}

static uint64_t walk(uint64_t dir, const char *name, int *err)
{
	struct gofer_rep r;
	*err = req(GOP_WALK, dir, 0, 0, 0, name, NULL, &r, NULL);
	return *err ? 0 : r.node;
}

static int alive(void)
{
	struct gofer_rep r;
	return req(GOP_HELLO, 0, 0, GOFER_VERSION, 0, NULL, NULL, &r, NULL) == 0 && r.node >= 1;
}

static char top[256];
static char path_buf[512];

static const char *P(const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", top, rel);
	return path_buf;
}

static void put_file(const char *rel, const char *content)
{
	FILE *f = fopen(P(rel), "w");
	if (!f) {
		printf("FAIL gofer.setup %s: %s\n", rel, strerror(errno));
		exit(1);
	}
	fputs(content, f);
	fclose(f);
}

/* The symlink-swap race: the host flips root/race between a directory
 * holding "file" and a symlink to ../outside (which holds "file" too, the
 * canary's twin) while the client walks race/file and opens it. */
static volatile int racing;

static void *flipper(void *arg)
{
	(void)arg;
	char dir[512], link[512], tmp[512];
	snprintf(dir, sizeof(dir), "%s/root/race", top);
	snprintf(link, sizeof(link), "%s/root/race.link", top);
	snprintf(tmp, sizeof(tmp), "%s/root/race.dir", top);
	while (racing) {
		/* race is a directory -> swap in the symlink -> swap back */
		syscall(SYS_renameat2, AT_FDCWD, link, AT_FDCWD, dir, RENAME_EXCHANGE);
		syscall(SYS_renameat2, AT_FDCWD, link, AT_FDCWD, dir, RENAME_EXCHANGE);
	}
	(void)tmp;
	return NULL;
}

static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "r");
	out[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':') {
			char *v = line + strlen(key) + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = 0;
			snprintf(out, len, "%s", v);
		}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gofer_attack DIR\n");
		return 2;
	}
	snprintf(top, sizeof(top), "%s", argv[1]);
	/* top/root: the export; top/outside: the canary, never to be read */
	mkdir(P("root"), 0755);
	mkdir(P("root/a"), 0755);
	mkdir(P("root/ro"), 0755);
	mkdir(P("root/race.link"), 0755); /* becomes the symlink below */
	rmdir(P("root/race.link"));
	mkdir(P("root/race"), 0755);
	mkdir(P("outside"), 0755);
	put_file("root/a/file", "inside\n");
	put_file("root/ro/keep", "keep\n");
	put_file("root/race/file", "inside\n");
	put_file("outside/canary", "CANARY-5f3a\n");
	put_file("outside/file", "CANARY-5f3a\n");
	symlink("../outside", P("root/out"));
	symlink("../outside", P("root/race.link"));
	symlink("/etc", P("root/abs"));
	mkfifo(P("root/a/fifo"), 0644);
	/* the canary's access time set far in the past: a read would move it
	 * (relatime updates an atime not newer than the mtime) */
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	utimensat(AT_FDCWD, P("outside/canary"), old, 0);
	utimensat(AT_FDCWD, P("outside/file"), old, 0);
	struct stat canary;
	stat(P("outside/canary"), &canary);
	struct stat twin;
	stat(P("outside/file"), &twin);

	char rootp[512], rop[512], filep[512];
	snprintf(rootp, sizeof(rootp), "%s/root", top);
	snprintf(rop, sizeof(rop), "%s/root/ro", top);
	snprintf(filep, sizeof(filep), "%s/root/a/file", top);
	struct gofer_export_spec ex[4] = { { rootp, 0 }, { rop, 1 }, { filep, 1 }, { "/", 1 } };
	int e = gofer_start(ex, 4, &gpid, &sock);
	result("start", e == 0, "%s", strerror(-e));
	if (e)
		return 1;
	struct gofer_rep r;
	e = req(GOP_HELLO, 0, 0, GOFER_VERSION, 0, NULL, NULL, &r, NULL);
	result("hello", e == 0 && r.node == 4, "err %d, %llu exports", e, (unsigned long long)r.node);

	/* the gofer's own confinement, seen from the host */
	char v[128];
	status_field(gpid, "Seccomp", v, sizeof(v));
	result("confined.seccomp", !strcmp(v, "2"), "Seccomp: %s", v);
	status_field(gpid, "NoNewPrivs", v, sizeof(v));
	result("confined.no_new_privs", !strcmp(v, "1"), "NoNewPrivs: %s", v);
	status_field(gpid, "CapEff", v, sizeof(v));
	result("confined.caps", !strcmp(v, "000000000000001f"), "CapEff: %s", v);
	status_field(gpid, "CapBnd", v, sizeof(v));
	result("confined.bounding", !strcmp(v, "000000000000001f"), "CapBnd: %s", v);
	char p1[64], p2[64], l1[256] = "", l2[256] = "";
	snprintf(p1, sizeof(p1), "/proc/%d/ns/mnt", (int)gpid);
	ssize_t n1 = readlink(p1, l1, sizeof(l1) - 1), n2 = readlink("/proc/self/ns/mnt", l2, sizeof(l2) - 1);
	result("confined.mount_ns", n1 > 0 && n2 > 0 && strcmp(l1, l2), "%s vs %s", l1, l2);
	snprintf(p2, sizeof(p2), "/proc/%d/root/etc", (int)gpid);
	struct stat st;
	result("confined.empty_root", stat(p2, &st) < 0 && errno == ENOENT, "its root has /etc");

	uint64_t root, ro, file, hostroot;
	struct gofer_rep rr;
	e = req(GOP_ROOT, 0, 0, 0, 0, NULL, NULL, &rr, NULL);
	root = rr.node;
	result("root", e == 0 && S_ISDIR(rr.attr.mode), "err %d", e);
	e = req(GOP_ROOT, 0, 0, 1, 0, NULL, NULL, &rr, NULL);
	ro = rr.node;
	e |= req(GOP_ROOT, 0, 0, 2, 0, NULL, NULL, &rr, NULL);
	file = rr.node;
	result("file_export", e == 0 && S_ISREG(rr.attr.mode), "err %d mode %o", e, rr.attr.mode);
	e = req(GOP_ROOT, 0, 0, 3, 0, NULL, NULL, &rr, NULL);
	hostroot = rr.node;

	/* names that are not one component */
	int err;
	walk(root, "..", &err);
	result("walk.dotdot", err == -EINVAL, "err %d", err);
	walk(root, ".", &err);
	result("walk.dot", err == -EINVAL, "err %d", err);
	walk(root, "a/file", &err);
	result("walk.slash", err == -EINVAL, "err %d", err);
	walk(root, "", &err);
	result("walk.empty", err == -EINVAL, "err %d", err);
	walk(file, "..", &err);
	result("walk.file_export_dotdot", err == -EINVAL, "err %d", err);
	walk(file, "x", &err);
	result("walk.below_file", err == -ENOTDIR, "err %d", err);

	/* symlinks are nodes, never followed */
	uint64_t out = walk(root, "out", &err);
	result("symlink.walk_is_node", err == 0, "err %d", err);
	walk(out, "canary", &err);
	result("symlink.not_traversed", err == -ENOTDIR, "err %d", err);
	int fd;
	e = req(GOP_OPEN, out, 0, O_RDONLY, 0, NULL, NULL, &r, &fd);
	result("symlink.not_opened", e < 0 && fd < 0, "err %d fd %d", e, fd);
	e = req(GOP_READDIR, out, 0, 0, 0, NULL, NULL, &r, NULL);
	result("symlink.not_listed", e == -ENOTDIR, "err %d", e);
	uint64_t abs = walk(root, "abs", &err);
	walk(abs, "shadow", &err);
	result("symlink.absolute", err == -ENOTDIR, "err %d", err);
	e = req(GOP_READLINK, out, 0, 0, 0, NULL, NULL, &r, NULL);
	result("symlink.readlink", e == 0 && r.data_len == 10 && !memcmp(rbuf, "../outside", 10), "err %d", e);
	/* a symlink made by the client points wherever it likes, and is
	 * still never followed by the gofer */
	e = req(GOP_SYMLINK, root, 0, 0, 0, "mine", "/etc/shadow", &r, NULL);
	uint64_t mine = r.node;
	e = e ? e : req(GOP_OPEN, mine, 0, O_RDONLY, 0, NULL, NULL, &r, &fd);
	result("symlink.own_not_followed", e < 0 && fd < 0, "err %d", e);

	/* files that are not regular are never opened */
	uint64_t a = walk(root, "a", &err);
	uint64_t fifo = walk(a, "fifo", &err);
	e = req(GOP_OPEN, fifo, 0, O_RDONLY, 0, NULL, NULL, &r, &fd);
	result("open.fifo_refused", e < 0 && fd < 0, "err %d", e);
	e = req(GOP_OPEN, a, 0, O_RDONLY, 0, NULL, NULL, &r, &fd);
	result("open.dir_refused", e == -EISDIR && fd < 0, "err %d", e);
	e = req(GOP_OPEN, walk(a, "file", &err), 0, O_RDONLY | O_TRUNC | O_CREAT, 0, NULL, NULL, &r, &fd);
	result("open.bad_flags", e == -EINVAL && fd < 0, "err %d", e);
	e = req(GOP_CREATE, root, 0, 0, S_IFCHR | 0666, "dev", NULL, &r, NULL);
	result("create.device_refused", e == -EPERM, "err %d", e);
	e = req(GOP_CREATE, root, 0, 0, S_IFBLK | 0666, "blk", NULL, &r, NULL);
	result("create.block_refused", e == -EPERM, "err %d", e);
	e = req(GOP_RENAME, root, root, RENAME_WHITEOUT, 0, "a", "b", &r, NULL);
	result("rename.whiteout_refused", e == -EINVAL, "err %d", e);

	/* the read-only exports, refused by the gofer itself */
	e = req(GOP_CREATE, ro, 0, 0, S_IFREG | 0644, "new", NULL, &r, NULL);
	result("ro.create", e == -EROFS, "err %d", e);
	e = req(GOP_MKDIR, ro, 0, 0, 0755, "d", NULL, &r, NULL);
	result("ro.mkdir", e == -EROFS, "err %d", e);
	e = req(GOP_UNLINK, ro, 0, 0, 0, "keep", NULL, &r, NULL);
	result("ro.unlink", e == -EROFS, "err %d", e);
	uint64_t keep = walk(ro, "keep", &err);
	e = req(GOP_OPEN, keep, 0, O_RDWR, 0, NULL, NULL, &r, &fd);
	result("ro.open_write", e == -EROFS && fd < 0, "err %d", e);
	e = req(GOP_SETATTR, keep, 0, GOFER_SET_MODE, 0777, NULL, NULL, &r, NULL);
	result("ro.setattr", e == -EROFS, "err %d", e);
	e = req(GOP_OPEN, file, 0, O_WRONLY, 0, NULL, NULL, &r, &fd);
	result("ro.file_export", e == -EROFS && fd < 0, "err %d", e);
	e = req(GOP_LINK, root, keep, 0, 0, "hard", NULL, &r, NULL);
	result("ro.link_across_exports", e == -EXDEV, "err %d", e);
	e = req(GOP_RENAME, root, ro, 0, 0, "a", "a", &r, NULL);
	result("ro.rename_across_exports", e == -EXDEV, "err %d", e);
	stat(P("root/ro/keep"), &st);
	result("ro.unchanged", (st.st_mode & 07777) == 0644, "mode %o", st.st_mode & 07777);

	/* the host's kernel interfaces under an export of / */
	uint64_t proc = walk(hostroot, "proc", &err);
	walk(proc, "1", &err);
	result("kernelfs.proc_not_entered", err == -EACCES, "err %d", err);
	e = req(GOP_READDIR, proc, 0, 0, 0, NULL, NULL, &r, NULL);
	result("kernelfs.proc_not_listed", e == -EACCES, "err %d", e);
	uint64_t sys = walk(hostroot, "sys", &err);
	walk(sys, "kernel", &err);
	result("kernelfs.sys_not_entered", err == -EACCES, "err %d", err);
	uint64_t etc = walk(hostroot, "etc", &err);
	uint64_t passwd = walk(etc, "passwd", &err);
	e = req(GOP_OPEN, passwd, 0, O_RDONLY, 0, NULL, NULL, &r, &fd);
	result("kernelfs.plain_files_served", e == 0 && fd >= 0, "err %d", e);
	if (fd >= 0)
		close(fd);

	/* handles: forged, stale, of another kind */
	e = req(GOP_GETATTR, 0x4242424242ull, 0, 0, 0, NULL, NULL, &r, NULL);
	result("handle.forged", e == -EBADF, "err %d", e);
	e = req(GOP_GETATTR, (uint64_t)7 << 32 | (uint32_t)a, 0, 0, 0, NULL, NULL, &r, NULL);
	result("handle.wrong_generation", e == -EBADF, "err %d", e);
	req(GOP_CLUNK, fifo, 0, 0, 0, NULL, NULL, NULL, NULL);
	e = req(GOP_GETATTR, fifo, 0, 0, 0, NULL, NULL, &r, NULL);
	result("handle.stale", e == -EBADF, "err %d", e);
	req(GOP_CLUNK, fifo, 0, 0, 0, NULL, NULL, NULL, NULL); /* twice: ignored */
	uint64_t again = walk(a, "fifo", &err);
	e = req(GOP_GETATTR, fifo, 0, 0, 0, NULL, NULL, &r, NULL);
	result("handle.reused_slot_new_generation", e == -EBADF && again != fifo, "err %d", e);
	e = req(GOP_ROOT, 0, 0, 99, 0, NULL, NULL, &r, NULL);
	result("handle.bad_export", e == -EINVAL, "err %d", e);

	/* malformed packets */
	send_raw("x", 1, -1);
	e = recv_rep(&r, NULL);
	result("malformed.short", e == 0 && r.err == -EBADMSG, "err %d/%d", e, r.err);
	struct gofer_req q = { .op = GOP_WALK, .node = root, .name_len = 200 };
	send_raw(&q, sizeof(q), -1);
	e = recv_rep(&r, NULL);
	result("malformed.length_mismatch", e == 0 && r.err == -EBADMSG, "err %d/%d", e, r.err);
	static char big[GOFER_MSG_MAX + 4096];
	memset(big, 'A', sizeof(big));
	memcpy(big, &q, sizeof(q));
	send_raw(big, sizeof(big), -1);
	e = recv_rep(&r, NULL);
	result("malformed.oversized", e == 0 && r.err == -EBADMSG, "err %d/%d", e, r.err);
	e = req(GOP_HELLO, 0, 0, 99, 0, NULL, NULL, &r, NULL);
	result("malformed.version", e == -EPROTONOSUPPORT, "err %d", e);
	e = req(200, root, 0, 0, 0, NULL, NULL, &r, NULL);
	result("malformed.unknown_op", e == -EOPNOTSUPP, "err %d", e);
	char nul[] = "a\0b";
	q = (struct gofer_req){ .op = GOP_WALK, .node = root, .name_len = 3 };
	memcpy(big, &q, sizeof(q));
	memcpy(big + sizeof(q), nul, 3);
	send_raw(big, sizeof(q) + 3, -1);
	e = recv_rep(&r, NULL);
	result("malformed.nul_in_name", e == 0 && r.err == -EINVAL, "err %d/%d", e, r.err);
	e = req(GOP_SETATTR, walk(a, "file", &err), 0, 0x8000, 0, NULL, NULL, &r, NULL);
	result("malformed.setattr_bits", e == -EINVAL, "err %d", e);
	/* an fd pushed at the gofer is dropped by the kernel, not installed */
	int devnull = open("/dev/null", O_RDONLY);
	q = (struct gofer_req){ .op = GOP_GETATTR, .node = root };
	send_raw(&q, sizeof(q), devnull);
	close(devnull);
	e = recv_rep(&r, NULL);
	char fdp[64];
	snprintf(fdp, sizeof(fdp), "/proc/%d/fd", (int)gpid);
	int nfds = 0, nulls = 0;
	DIR *d = opendir(fdp);
	for (struct dirent *de; d && (de = readdir(d));) {
		char lp[400], tgt[256];
		snprintf(lp, sizeof(lp), "%s/%s", fdp, de->d_name);
		ssize_t tl = readlink(lp, tgt, sizeof(tgt) - 1);
		if (tl > 0) {
			tgt[tl] = 0;
			nfds++;
			nulls += !strcmp(tgt, "/dev/null");
		}
	}
	if (d)
		closedir(d);
	result("malformed.passed_fd_dropped", e == 0 && r.err == 0 && nulls == 2, "err %d, %d /dev/null fds of %d",
	       e, nulls, nfds);

	/* the swap race: whatever the timing, race/file is never the twin */
	uint64_t raced = 0;
	int wrong = 0, opened = 0;
	racing = 1;
	pthread_t th;
	pthread_create(&th, NULL, flipper, NULL);
	for (int i = 0; i < 3000; i++) {
		uint64_t rd = walk(root, "race", &err);
		if (err)
			continue;
		uint64_t f = walk(rd, "file", &err);
		if (!err) {
			int ofd;
			if (req(GOP_OPEN, f, 0, O_RDONLY, 0, NULL, NULL, &r, &ofd) == 0 && ofd >= 0) {
				struct stat os;
				fstat(ofd, &os);
				wrong += os.st_ino == twin.st_ino && os.st_dev == twin.st_dev;
				opened++;
				close(ofd);
			}
			req(GOP_CLUNK, f, 0, 0, 0, NULL, NULL, NULL, NULL);
		}
		req(GOP_CLUNK, rd, 0, 0, 0, NULL, NULL, NULL, NULL);
		raced++;
	}
	racing = 0;
	pthread_join(th, NULL);
	result("race.symlink_swap", wrong == 0, "%d of %d opens reached outside/file", wrong, opened);

	/* many handles: bounded, and the gofer keeps answering */
	for (int i = 0; i < 20000; i++)
		walk(root, "a", &err);
	result("handles.many", err == 0 && alive(), "err %d", err);

	/* the gofer survived all of it, and nothing outside was touched */
	result("alive", alive(), "no answer");
	struct stat after;
	stat(P("outside/canary"), &after);
	result("canary.atime", after.st_atim.tv_sec == canary.st_atim.tv_sec, "atime moved");
	stat(P("outside/file"), &after);
	result("canary.twin_atime", after.st_atim.tv_sec == twin.st_atim.tv_sec, "atime moved");
	d = opendir(P("outside"));
	int count = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		count += de->d_name[0] != '.';
	if (d)
		closedir(d);
	result("canary.nothing_new", count == 2, "%d entries", count);

	/* the gofer's seccomp filter itself, in a process of our own: a call
	 * outside the list, a write to other than stderr, the socket calls
	 * on another fd: each kills with SIGSYS */
	static const char *const tries[] = { "socket", "write-stdout", "recvmsg-other-fd", "getdents-ok" };
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		int sp[2];
		socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
		fflush(stdout);
		pid_t t = fork();
		if (t == 0) {
			int slash = open("/", O_RDONLY | O_DIRECTORY);
			if (gofer_seccomp_install(sp[0]))
				_exit(3);
			char b[4096];
			if (i == 0)
				socket(AF_INET, SOCK_STREAM, 0);
			else if (i == 1)
				(void)!write(1, "x", 1);
			else if (i == 2)
				recv(sp[1], b, sizeof(b), MSG_DONTWAIT);
			else
				syscall(SYS_getdents64, slash, b, sizeof(b));
			_exit(0);
		}
		close(sp[0]);
		close(sp[1]);
		int ts = 0;
		waitpid(t, &ts, 0);
		char name[64];
		snprintf(name, sizeof(name), "seccomp.%s", tries[i]);
		if (i == 3)
			result(name, WIFEXITED(ts) && WEXITSTATUS(ts) == 0, "status %#x", ts);
		else
			result(name, WIFSIGNALED(ts) && WTERMSIG(ts) == SIGSYS, "status %#x", ts);
	}

	/* end of file on its socket: the gofer exits, status 0 */
	close(sock);
	int status = -1;
	pid_t w = waitpid(gpid, &status, 0);
	result("exits_on_eof", w == gpid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	(void)raced;
	return failures ? 1 : 0;
}
