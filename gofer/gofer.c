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

/* The root becomes an empty read-only tmpfs (mounted over /proc, which
 * every host that runs moat has; in our namespace only). */
static int empty_root(void)
{
	if (mount("moat-gofer", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=1,mode=0555") < 0)
		return -errno;
	if (chdir("/proc") < 0)
		return -errno;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	/* the old root is stacked on the new one: detach it */
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

static int read_last_cap(void)
{
	int last = 40;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
			last = 40;
		fclose(f);
	}
	return last;
}

static int drop_caps(int last_cap)
{
	const uint64_t keep = 1ull << CAP_CHOWN | 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH |
			      1ull << CAP_FOWNER | 1ull << CAP_FSETID;
	for (int c = 0; c <= last_cap; c++)
		if (!(keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		data[i].effective &= k;
		data[i].permitted &= k;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

static int gofer_main(const struct gofer_export_spec *ex, int n, int sock, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return 0;
	prctl(PR_SET_NAME, "moat-gofer");
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
	int last_cap = read_last_cap();
	struct gofer_server *g;
	e = gofer_server_create(ex, n, send_packet, NULL, &g);
	if (e)
		return fail("starting", -e);
	if ((e = empty_root()))
		return fail("pivot_root into an empty root", -e);
	if ((e = drop_caps(last_cap)))
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
