/* Socket files and the options every family shares. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "socket.h"

static ssize_t sk_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct sock *s = f->priv;
	struct kmsg m;
	memset(&m, 0, sizeof(m));
	m.data = buf;
	m.len = len;
	ssize_t n = s->ops->recvmsg(s, t, &m, MSG_DONTWAIT);
	for (int i = 0; i < m.nfds; i++)
		file_put(m.fds[i]); /* read(2) discards passed descriptors */
	free(m.fds);
	return n;
}

static ssize_t sk_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct sock *s = f->priv;
	struct kmsg m;
	memset(&m, 0, sizeof(m));
	m.data = (char *)buf;
	m.len = len;
	struct waitq *wq = NULL;
	return s->ops->sendmsg(s, t, &m, MSG_DONTWAIT, &wq);
}

static uint32_t sk_poll(struct file *f, struct task *t)
{
	(void)t;
	struct sock *s = f->priv;
	return s->ops->poll(s);
}

static struct waitq *sk_waitq(struct file *f, struct task *t)
{
	(void)t;
	struct sock *s = f->priv;
	return &s->wq;
}

static long sk_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct sock *s = f->priv;
	long r = s->ops->ioctl ? s->ops->ioctl(s, t, cmd, arg) : -ENOTTY;
	/* Interface ioctls work on any socket (netdevice(7)). */
	return r == -ENOTTY ? netdev_ioctl(t, cmd, arg) : r;
}

static int sk_name(struct file *f, char *buf, size_t len)
{
	return snprintf(buf, len, "socket:[%llu]", (unsigned long long)f->inode->ino);
}

static void sk_release(struct file *f)
{
	struct sock *s = f->priv;
	s->file = NULL;
	s->ops->release(s);
}

static const struct file_ops sock_file_ops = {
	.read = sk_read,
	.write = sk_write,
	.poll = sk_poll,
	.waitq = sk_waitq,
	.ioctl = sk_ioctl,
	.name = sk_name,
	.release = sk_release,
	.zero_len_write = 1, /* write(fd, p, 0) is a send: an empty datagram */
};

struct sock *sock_of(struct file *f)
{
	return f && f->ops == &sock_file_ops ? f->priv : NULL;
}

void sock_init(struct sock *s, const struct sock_ops *ops, int family, int type, int protocol)
{
	s->ops = ops;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	waitq_init(&s->wq);
	s->rcvtimeo = SOCK_TIMEO_NONE;
	s->sndtimeo = SOCK_TIMEO_NONE;
	s->sndbuf = 212992;
	s->rcvbuf = 212992;
}

int sock_file(struct kernel *k, struct sock *s, int flags, struct file **out)
{
	struct file *f = file_anon(k->vfs, &sock_file_ops, O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0), s,
				   S_IFSOCK | 0777);
	if (!f)
		return -ENOMEM;
	s->file = f;
	*out = f;
	return 0;
}

int sock_create(struct task *t, int family, int type, int protocol, struct sock **out)
{
	switch (family) {
	case AF_UNIX:
		return unix_create(t, type, protocol, out);
	case AF_INET:
	case AF_INET6:
		return inet_create(t, family, type, protocol, out);
	case AF_NETLINK:
		return netlink_create(t, type, protocol, out);
	default:
		return -EAFNOSUPPORT;
	}
}

static int get_int(const void *val, socklen_t len, int *out)
{
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int get_tv(const void *val, socklen_t len, uint64_t *out)
{
	struct timeval tv;
	if (len < (socklen_t)sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*out = 0; /* Linux: a negative time never waits */
		return 0;
	}
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		*out = SOCK_TIMEO_NONE;
		return 0;
	}
	/* Beyond what the clock can count is for ever, as in Linux. */
	if ((uint64_t)tv.tv_sec >= (UINT64_MAX >> 1) / 1000000000ull) {
		*out = SOCK_TIMEO_NONE;
		return 0;
	}
	*out = (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000;
	return 0;
}

int sock_debug_denied(struct task *t, int level, int name, const void *val, socklen_t len)
{
	if (level != SOL_SOCKET || name != SO_DEBUG || len < (socklen_t)sizeof(int))
		return 0;
	int v;
	memcpy(&v, val, sizeof(v));
	return v && !capable(t, KCAP_NET_ADMIN);
}

/* Linux's sk_send_sigurg: SIGURG (SI_KERNEL) to the owner that F_SETOWN
 * gave the socket's file: a process, or a process group when negative.
 * (Linux also checks that whoever set the owner may signal it; the
 * sentry's sandboxes run one user's processes, and it does not.) */
void sock_sigurg(struct kernel *k, struct sock *s)
{
	if (!s->file || !s->file->owner_pid)
		return;
	siginfo_t si;
	siginfo_kernel(&si, SIGURG, SI_KERNEL);
	pid_t o = s->file->owner_pid;
	if (o < 0) {
		kill_pgrp(k, -o, SIGURG, &si);
		return;
	}
	struct thread_group *tg = tg_lookup(k, o);
	if (tg && tg->state == TG_LIVE)
		send_signal_tg(tg, SIGURG, &si);
}

int sock_setsockopt_common(struct sock *s, int name, const void *val, socklen_t len)
{
	int v, e;
	switch (name) {
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		return get_tv(val, len, name == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo);
	case SO_REUSEADDR:
	case SO_KEEPALIVE:
	case SO_BROADCAST:
	case SO_OOBINLINE:
	case SO_REUSEPORT:
		e = get_int(val, len, &v);
		if (e)
			return e;
		if (name == SO_REUSEADDR)
			s->reuseaddr = !!v;
		else if (name == SO_KEEPALIVE)
			s->keepalive = !!v;
		else if (name == SO_BROADCAST)
			s->broadcast = !!v;
		else if (name == SO_OOBINLINE)
			s->oobinline = !!v;
		return 0;
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_SNDBUFFORCE:
	case SO_RCVBUFFORCE:
		e = get_int(val, len, &v);
		if (e)
			return e;
		/* Linux sock_setsockopt: the value is unsigned, capped at the
		 * maximum, doubled (socket(7)), and at least 4608 bytes to
		 * send or 2304 to receive. */
		if ((unsigned)v > 4194304u)
			v = 4194304;
		if (name == SO_SNDBUF || name == SO_SNDBUFFORCE)
			s->sndbuf = v * 2 < 4608 ? 4608 : v * 2;
		else
			s->rcvbuf = v * 2 < 2304 ? 2304 : v * 2;
		return 0;
	case SO_LINGER:
		if (len < (socklen_t)sizeof(struct linger))
			return -EINVAL;
		memcpy(&s->linger, val, sizeof(struct linger));
		return 0;
	case SO_DEBUG: /* (the family checked the capability: sock_debug_denied) */
	case SO_SELECT_ERR_QUEUE:
	case SO_BSDCOMPAT:
	case SO_SNDLOWAT:
	case SO_BUSY_POLL:
		e = get_int(val, len, &v);
		if (e)
			return e;
		if (name == SO_SNDLOWAT)
			return -ENOPROTOOPT; /* (Linux: read-only, always 1) */
		if (name == SO_BUSY_POLL && v < 0)
			return -EINVAL;
		if (name == SO_DEBUG)
			s->debug = !!v;
		else if (name == SO_SELECT_ERR_QUEUE)
			s->select_errq = !!v;
		else if (name == SO_BUSY_POLL)
			s->busy_poll = v;
		return 0; /* (SO_BSDCOMPAT: obsolete, taken, nothing done) */
	case SO_PRIORITY:
	case SO_RCVLOWAT:
	case SO_MARK:
	case SO_DONTROUTE:
		e = get_int(val, len, &v);
		if (e)
			return e;
		if (name == SO_PRIORITY)
			s->priority = v;
		else if (name == SO_MARK)
			s->mark = v;
		else if (name == SO_DONTROUTE)
			s->dontroute = !!v;
		else
			s->rcvlowat = v < 0 ? INT_MAX : v; /* (Linux: negative is INT_MAX) */
		return 0;
	case SO_TIMESTAMP:
		return get_int(val, len, &v);
	case SO_PEEK_OFF:
		/* Linux: an int (EINVAL), then a family without a peek offset
		 * (netlink's) refuses; unix.c keeps its own. */
		e = get_int(val, len, &v);
		return e ? e : -EOPNOTSUPP;
	default:
		return -ENOPROTOOPT;
	}
}

static int put_int(void *val, socklen_t *len, int v)
{
	if (*len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

static int put_tv(void *val, socklen_t *len, uint64_t ns)
{
	if (ns == SOCK_TIMEO_NONE)
		ns = 0;
	struct timeval tv = { (time_t)(ns / 1000000000ull), (suseconds_t)(ns % 1000000000ull / 1000) };
	if (*len < (socklen_t)sizeof(tv))
		return -EINVAL;
	memcpy(val, &tv, sizeof(tv));
	*len = sizeof(tv);
	return 0;
}

int sock_getsockopt_common(struct sock *s, int name, void *val, socklen_t *len)
{
	switch (name) {
	case SO_TYPE:
		return put_int(val, len, s->type);
	case SO_DOMAIN:
		return put_int(val, len, s->family);
	case SO_PROTOCOL:
		return put_int(val, len, s->protocol);
	case SO_RCVTIMEO:
		return put_tv(val, len, s->rcvtimeo);
	case SO_SNDTIMEO:
		return put_tv(val, len, s->sndtimeo);
	case SO_REUSEADDR:
		return put_int(val, len, s->reuseaddr);
	case SO_KEEPALIVE:
		return put_int(val, len, s->keepalive);
	case SO_BROADCAST:
		return put_int(val, len, s->broadcast);
	case SO_OOBINLINE:
		return put_int(val, len, s->oobinline);
	case SO_SNDBUF:
		return put_int(val, len, s->sndbuf);
	case SO_RCVBUF:
		return put_int(val, len, s->rcvbuf);
	case SO_LINGER:
		if (*len < (socklen_t)sizeof(struct linger))
			return -EINVAL;
		memcpy(val, &s->linger, sizeof(struct linger));
		*len = sizeof(struct linger);
		return 0;
	case SO_PRIORITY:
		return put_int(val, len, s->priority);
	case SO_DEBUG:
		return put_int(val, len, s->debug);
	case SO_SELECT_ERR_QUEUE:
		return put_int(val, len, s->select_errq);
	case SO_BSDCOMPAT:
		return put_int(val, len, 0);
	case SO_SNDLOWAT:
		return put_int(val, len, 1);
	case SO_INCOMING_NAPI_ID:
		return put_int(val, len, 0); /* (no NAPI device queue: Linux's 0) */
	case SO_BUSY_POLL:
		return put_int(val, len, s->busy_poll);
	case SO_MARK:
		return put_int(val, len, s->mark);
	case SO_DONTROUTE:
		return put_int(val, len, s->dontroute);
	case SO_TIMESTAMP:
	case SO_REUSEPORT:
		return put_int(val, len, 0);
	case SO_RCVLOWAT:
		return put_int(val, len, s->rcvlowat ? s->rcvlowat : 1);
	case SO_PEEK_OFF:
		return -EOPNOTSUPP; /* (as set: unix.c keeps its own) */
	default:
		return -ENOPROTOOPT;
	}
}
