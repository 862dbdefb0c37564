/*
 * Sockets of the OCI runtime (oci.h): the sandbox's control socket and
 * descriptors passed with SCM_RIGHTS (the console socket's pty master,
 * an exec's stdio).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci.h"

/* <dir>/control.sock, reached through /proc/self/fd: Docker's state
 * paths are longer than a socket address holds. */
int oci_control_socket(const char *dir, int server)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/control.sock", dfd);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int e = 0;
	if (fd < 0)
		e = -errno;
	else if (server && (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0))
		e = -errno;
	else if (!server && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		e = -errno;
	close(dfd);
	if (e) {
		if (fd >= 0)
			close(fd);
		return e;
	}
	return fd;
}

int oci_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	if (nfds < 0 || nfds > 3)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		m.msg_control = u.b;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	ssize_t w = sendmsg(sock, &m, MSG_NOSIGNAL);
	if (w < 0)
		return -errno;
	return w == (ssize_t)len ? 0 : -EIO;
}

/* Sends the pty's master to the console socket, as runc does. */
int oci_send_console(const char *path, int master)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	if (!r)
		r = oci_send_fds(fd, "/dev/ptmx", 9, &master, 1);
	close(fd);
	return r;
}

int oci_console_pty(const char *sock, unsigned rows, unsigned cols, const char **what)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *pts = master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : NULL;
	int slave = pts ? open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	if (slave < 0) {
		int e = -errno;
		if (master >= 0)
			close(master);
		*what = "a pseudo-terminal";
		return e;
	}
	if (rows && cols) {
		struct winsize ws = { (unsigned short)rows, (unsigned short)cols, 0, 0 };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	int r = oci_send_console(sock, master);
	close(master);
	if (r < 0) {
		close(slave);
		*what = "the console socket";
		return r;
	}
	return slave;
}
