/*
 * The gofer process: forked by the sentry before it builds its VFS, it
 * owns the sandbox's root file system and bind mounts and serves them over
 * a SOCK_SEQPACKET socketpair (proto.h, server.c). What it may touch on the
 * host (README.md): the exports it opened at start and its socket, nothing
 * else; it runs
 *   - in a mount namespace of its own whose root is an empty read-only
 *     tmpfs (pivot_root): no host path resolves from it; the exports are
 *     reached only through the directory fds opened before the pivot;
 *   - with every capability dropped but the five that serving files as
 *     root needs (CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID),
 *     no_new_privs set, and its own seccomp allow-list (seccomp.c);
 *   - until its socket reaches end-of-file or its parent dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer.h"
#include "proto.h"
#include "../platform/jail.h"

#define SOCK_FD 3

static int send_packet(void *ctx, const void *buf, size_t len, int fd)
{
	(void)ctx;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char cbuf[CMSG_SPACE(sizeof(int))];
	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(SOCK_FD, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Setup failed: the sentry reads this as HELLO's answer. */
static int fail(const char *what, int err)
{
	fprintf(stderr, "moat: gofer: %s: %s\n", what, strerror(err));
	struct gofer_rep r = { .err = -err };
	send_packet(NULL, &r, sizeof(r), -1);
	return 125;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = n == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return e;
}

/* A mount namespace of our own (with a user namespace if moat is not
 * root: the gofer then has exactly the invoking user's access). */
static int own_mount_ns(void)
{
	if (unshare(CLONE_NEWNS) < 0) {
		if (errno != EPERM || geteuid() == 0)
			return -errno;
		uid_t u = geteuid();
		gid_t g = getegid();
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			return -errno;
		char m[64];
		write_file("/proc/self/setgroups", "deny");
		snprintf(m, sizeof(m), "%u %u 1\n", (unsigned)u, (unsigned)u);
		int e = write_file("/proc/self/uid_map", m);
		snprintf(m, sizeof(m), "%u %u 1\n", (unsigned)g, (unsigned)g);
		if (!e)
			e = write_file("/proc/self/gid_map", m);
		if (e)
			return e;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

static int gofer_main(const struct gofer_export_spec *ex, int n, int sock, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return 0;
	prctl(PR_SET_NAME, "moat-gofer");
	/* A session of its own: a terminal's ^C or a kill of moat's process
	 * group is for the program, not for the gofer (it used to end it). */
	setsid();
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sock != SOCK_FD && (dup2(sock, SOCK_FD) < 0 || close(sock) < 0))
		return 125;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	/* Nothing of the sentry's: its links, sockets and files stay there. */
	syscall(SYS_close_range, SOCK_FD + 1, ~0u, 0);

	int e = own_mount_ns();
	if (e)
		return fail("a mount namespace of its own", -e);
	struct gofer_server *g;
	e = gofer_server_create(ex, n, send_packet, NULL, &g);
	if (e)
		return fail("starting", -e);
	if ((e = jail_empty_root("moat-gofer")))
		return fail("pivot_root into an empty root", -e);
	/* what serving files to a sandbox's root needs, nothing more */
	const uint64_t keep = 1ull << CAP_CHOWN | 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH |
			      1ull << CAP_FOWNER | 1ull << CAP_FSETID;
	if ((e = jail_keep_caps(keep)))
		return fail("dropping capabilities", -e);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("no_new_privs", errno);
	if ((e = gofer_seccomp_install(SOCK_FD)))
		return fail("installing its seccomp filter", -e);

	static char msg[GOFER_MSG_MAX];
	for (;;) {
		struct iovec iov = { msg, sizeof(msg) };
		/* No control buffer: fds a sentry passes are dropped by the
		 * kernel, never installed here. */
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t r = recvmsg(SOCK_FD, &mh, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* the sentry is gone */
		gofer_server_handle(g, msg, (mh.msg_flags & MSG_TRUNC) ? 0 : (size_t)r);
	}
	gofer_server_destroy(g);
	return 0;
}

int gofer_start(const struct gofer_export_spec *ex, int n, pid_t *pid, int *sock)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	pid_t parent = getpid();
	fflush(NULL);
	pid_t c = fork();
	if (c < 0) {
		int e = -errno;
		close(sp[0]);
		close(sp[1]);
		return e;
	}
	if (c == 0) {
		close(sp[0]);
		_exit(gofer_main(ex, n, sp[1], parent));
	}
	close(sp[1]);
	*pid = c;
	*sock = sp[0];
	return 0;
}
