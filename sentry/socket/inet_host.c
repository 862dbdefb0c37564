/*
 * --network=host: AF_INET/AF_INET6 socket files backed by host sockets in
 * moat's own network namespace. This gives up the netstack's isolation
 * (the host kernel's TCP/IP code serves the application), which is why
 * `moat do` warns when it is chosen; it exists for the same reason as
 * runsc's --network=host: programs that need the host's interfaces.
 *
 * Each host socket is non-blocking and registered edge-triggered with the
 * sentry's event loop; every readiness event wakes the socket's wait
 * queue, so the syscall layer parks and retries exactly as for the
 * netstack's sockets. SO_PEEK_OFF is refused (h_setsockopt says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "inet.h"
#include "ns/loop.h"

struct hsock {
	struct sock sk;
	int fd;
	int connecting;
};

#define H(s) ((struct hsock *)(s))

static const struct sock_ops host_ops;
static struct ns_loop *hloop;

void hostinet_set_loop(struct ns_loop *l)
{
	hloop = l;
}

static void h_event(int fd, uint32_t events, void *arg)
{
	(void)fd;
	struct hsock *h = arg;
	uint32_t e = events & (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLERR | EPOLLHUP);
	if (e & EPOLLIN)
		e |= POLLRDNORM;
	if (e & EPOLLOUT)
		e |= POLLWRNORM;
	if (e & (EPOLLERR | EPOLLHUP))
		e |= POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLRDHUP;
	waitq_wake(&h->sk.wq, e);
}

static long neg(long r)
{
	return r < 0 ? -errno : r;
}

static struct hsock *h_wrap(int fd, int family, int type, int protocol)
{
	struct hsock *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	sock_init(&h->sk, &host_ops, family, type, protocol);
	h->fd = fd;
	if (hloop && ns_loop_add_fd(hloop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET, h_event, h) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

int hostinet_create(struct task *t, int family, int type, int protocol, struct sock **out)
{
	(void)t;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	int proto = protocol;
	socklen_t pl = sizeof(proto);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl);
	struct hsock *h = h_wrap(fd, family, type, proto);
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	*out = &h->sk;
	return 0;
}

static int h_bind(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len)
{
	(void)t;
	return (int)neg(bind(H(s)->fd, a, len));
}

static int h_connect(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len, struct waitq **wq)
{
	struct hsock *h = H(s);
	if (h->connecting && t->sc.rerun) {
		struct pollfd p = { h->fd, POLLOUT, 0 };
		if (poll(&p, 1, 0) == 0) {
			*wq = &s->wq;
			return -EAGAIN;
		}
		h->connecting = 0;
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		return -err;
	}
	h->connecting = 0;
	int r = (int)neg(connect(h->fd, a, len));
	if (r == -EINPROGRESS && !(s->file && (s->file->flags & O_NONBLOCK))) {
		h->connecting = 1;
		*wq = &s->wq;
		return -EAGAIN;
	}
	return r;
}

static int h_listen(struct sock *s, int backlog)
{
	return (int)neg(listen(H(s)->fd, backlog));
}

static int h_accept(struct sock *s, struct task *t, struct sock **out, struct waitq **wq)
{
	(void)t;
	int fd = accept4(H(s)->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN)
			*wq = &s->wq;
		return -errno;
	}
	struct hsock *h = h_wrap(fd, s->family, s->type, s->protocol);
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	*out = &h->sk;
	return 0;
}

static ssize_t h_sendmsg(struct sock *s, struct task *t, struct kmsg *m, int flags, struct waitq **wq)
{
	(void)t;
	struct iovec iov = { m->data, m->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (m->addrlen) {
		mh.msg_name = &m->addr;
		mh.msg_namelen = m->addrlen;
	}
	if (m->ctllen) {
		mh.msg_control = m->ctl;
		mh.msg_controllen = m->ctllen;
	}
	ssize_t r = sendmsg(H(s)->fd, &mh, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0 && errno == EAGAIN)
		*wq = &s->wq;
	return r < 0 ? -errno : r;
}

static ssize_t h_recvmsg(struct sock *s, struct task *t, struct kmsg *m, int flags)
{
	(void)t;
	struct iovec iov = { m->data, m->len };
	char cbuf[512];
	struct msghdr mh = { .msg_name = &m->addr, .msg_namelen = sizeof(m->addr), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	int dgram = s->type != SOCK_STREAM;
	ssize_t r = recvmsg(H(s)->fd, &mh, (flags & ~MSG_TRUNC) | MSG_DONTWAIT | (dgram ? MSG_TRUNC : 0));
	if (r < 0)
		return -errno;
	m->addrlen = mh.msg_namelen;
	m->flags = mh.msg_flags;
	if (dgram) {
		m->full_len = (size_t)r;
		if ((size_t)r > m->len) {
			r = (ssize_t)m->len;
			m->flags |= MSG_TRUNC;
		}
	}
	free(m->ctl);
	m->ctl = NULL;
	m->ctllen = 0;
	if (mh.msg_controllen && (m->ctl = malloc(mh.msg_controllen))) {
		memcpy(m->ctl, cbuf, mh.msg_controllen);
		m->ctllen = mh.msg_controllen;
	}
	return r;
}

static int h_shutdown(struct sock *s, int how)
{
	return (int)neg(shutdown(H(s)->fd, how));
}

static int h_getname(struct sock *s, struct sockaddr *a, socklen_t *len, int peer)
{
	return (int)neg(peer ? getpeername(H(s)->fd, a, len) : getsockname(H(s)->fd, a, len));
}

static int h_setsockopt(struct sock *s, struct task *t, int level, int name, const void *val, socklen_t len)
{
	(void)t;
	if (sock_is_timeo(level, name))
		return sock_setsockopt_common(s, name, val, len);
	/* SO_PEEK_OFF is refused (as by a socket without one): the syscall
	 * layer's peek before each read would begin at a host socket's
	 * offset and move it, and a UDP peek's MSG_TRUNC there hides what
	 * was copied. The netstack's sockets keep it (ns_recvmsg_copied). */
	if (level == SOL_SOCKET && name == SO_PEEK_OFF)
		return len < (socklen_t)sizeof(int) ? -EINVAL : -EOPNOTSUPP;
	return (int)neg(setsockopt(H(s)->fd, level, name, val, len));
}

static int h_getsockopt(struct sock *s, struct task *t, int level, int name, void *val, socklen_t *len)
{
	(void)t;
	if (sock_is_timeo(level, name))
		return sock_getsockopt_common(s, t, name, val, len);
	if (level == SOL_SOCKET && name == SO_PEEK_OFF)
		return -EOPNOTSUPP; /* (refused, h_setsockopt) */
	return (int)neg(getsockopt(H(s)->fd, level, name, val, len));
}

static uint32_t h_poll(struct sock *s)
{
	struct pollfd p = { H(s)->fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI | POLLRDNORM | POLLWRNORM, 0 };
	return poll(&p, 1, 0) > 0 ? (uint32_t)p.revents : 0;
}

static long h_ioctl(struct sock *s, struct task *t, unsigned long cmd, uint64_t arg)
{
	switch (cmd) {
	case FIONREAD:
	case TIOCOUTQ:
	case SIOCOUTQNSD:
	case SIOCATMARK: {
		int v = 0;
		if (ioctl(H(s)->fd, cmd, &v) < 0)
			return -errno;
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	}
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFFLAGS:
	case SIOCGIFINDEX:
	case SIOCGIFNAME:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR: {
		struct ifreq r;
		if (copy_from_user(t, &r, arg, sizeof(r)))
			return -EFAULT;
		if (ioctl(H(s)->fd, cmd, &r) < 0)
			return -errno;
		return copy_to_user(t, arg, &r, sizeof(r)) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY;
	}
}

static void h_release(struct sock *s)
{
	struct hsock *h = H(s);
	if (hloop)
		ns_loop_del_fd(hloop, h->fd);
	close(h->fd);
	waitq_destroy(&s->wq, POLLHUP);
	free(h);
}

static const struct sock_ops host_ops = {
	.bind = h_bind,
	.connect = h_connect,
	.listen = h_listen,
	.accept = h_accept,
	.sendmsg = h_sendmsg,
	.recvmsg = h_recvmsg,
	.shutdown = h_shutdown,
	.getname = h_getname,
	.setsockopt = h_setsockopt,
	.getsockopt = h_getsockopt,
	.poll = h_poll,
	.ioctl = h_ioctl,
	.release = h_release,
};
