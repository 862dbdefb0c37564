/* Socket files and the options every family shares. */
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "socket.h"
#include "ns/socket.h" /* (SO_TIMESTAMPING's flags and their checks) */

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
	s->kept.incoming_cpu = -1;
	s->kept.txrehash = 1;
	s->kept.max_pacing_rate = UINT64_MAX;
}

static size_t put_cmsg(void *buf, size_t room, int type, const void *d, size_t dl)
{
	if (CMSG_SPACE(dl) > room)
		return 0;
	struct cmsghdr c = { .cmsg_len = CMSG_LEN(dl), .cmsg_level = SOL_SOCKET, .cmsg_type = type };
	memset(buf, 0, CMSG_SPACE(dl));
	memcpy(buf, &c, sizeof(c));
	memcpy((char *)buf + CMSG_LEN(0), d, dl);
	return CMSG_SPACE(dl);
}

int sock_ts_reports(const struct sock *s, int how)
{
	if (!(s->tsflags & NS_SOF_SOFTWARE) || how == SOCK_TS_ERRQ_UNSTAMPED)
		return 0;
	return how == SOCK_TS_ERRQ || (s->tsflags & NS_SOF_RX_SOFTWARE) || !(s->tsflags & NS_SOF_OPT_RX_FILTER);
}

size_t sock_timestamp_cmsg(const struct sock *s, const struct timespec *now, int how, void *buf, size_t room)
{
	/* Linux __sock_recv_timestamp: SO_TIMESTAMP's message first, a
	 * timeval or a timespec (the _NEW names' 64-bit forms are the same
	 * on x86-64), then SCM_TIMESTAMPING's three timespecs, the software
	 * stamp in the first, the hardware ones (none here) zero; its _NEW
	 * type (struct __kernel_timespec, the same layout) with the _NEW
	 * flag. */
	int ns = (s->tstamp & SOCK_TS_NS) != 0, nw = (s->tstamp & SOCK_TS_NEW) != 0;
	size_t n = 0;
	if (s->tstamp & SOCK_TS_ON) {
		struct timeval tv = { now->tv_sec, now->tv_nsec / 1000 };
		n = put_cmsg(buf, room, ns ? (nw ? SO_TIMESTAMPNS_NEW : SO_TIMESTAMPNS) : (nw ? SO_TIMESTAMP_NEW : SO_TIMESTAMP),
			     ns ? (const void *)now : (const void *)&tv, ns ? sizeof(*now) : sizeof(tv));
		if (!n)
			return 0;
	}
	if (sock_ts_reports(s, how)) {
		struct timespec ts[3] = { *now, { 0, 0 }, { 0, 0 } };
		n += put_cmsg((char *)buf + n, room - n, nw ? SO_TIMESTAMPING_NEW : SO_TIMESTAMPING_OLD, ts, sizeof(ts));
	}
	return n;
}

void sock_inherit_kept(struct sock *child, const struct sock *listener)
{
	child->kept = listener->kept;
	child->kept.cookie = 0;
	child->tstamp = listener->tstamp;
	child->tsflags = listener->tsflags;
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

#define SOCK_HZ 250

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
	/* Linux keeps a timeout in jiffies, the microseconds rounded up to
	 * the tick (HZ 250, Debian's: 4 ms), and reads it back so. */
	uint64_t tick_us = 1000000 / SOCK_HZ;
	uint64_t us = ((uint64_t)tv.tv_usec + tick_us - 1) / tick_us * tick_us;
	*out = (uint64_t)tv.tv_sec * 1000000000ull + us * 1000;
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

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef SO_RESERVE_MEM
#define SO_RESERVE_MEM 73
#endif
#ifndef SO_TXREHASH
#define SO_TXREHASH 74
#endif
#ifndef SO_RCVMARK
#define SO_RCVMARK 75
#endif

static int is_tcp(const struct sock *s)
{
	return (s->family == AF_INET || s->family == AF_INET6) && s->type == SOCK_STREAM;
}

/* The flags of struct sock_kept, by option (NULL for the others). SO_PASSSEC
 * comes here for unix and netlink sockets only (inet ones get the
 * netstack's EOPNOTSUPP): no security module labels anything, so no
 * SCM_SECURITY follows, as on Linux without one. */
static int *kept_flag(struct sock_kept *k, int name)
{
	switch (name) {
	case SO_NO_CHECK:
		return &k->no_check;
	case SO_WIFI_STATUS:
		return &k->wifi_status;
	case SO_NOFCS:
		return &k->nofcs;
	case SO_PREFER_BUSY_POLL:
		return &k->prefer_busy_poll;
	case SO_RCVMARK:
		return &k->rcvmark;
	case SO_PASSSEC:
		return &k->passsec;
	case SO_RXQ_OVFL:
		return &k->rxq_ovfl;
	case SO_RCVPRIORITY:
		return &k->rcvpriority;
	default:
		return NULL;
	}
}

/* The options of struct sock_kept (and the read-only and refused ones
 * beside them), as Linux's sk_setsockopt answers them on any family. */
static int kept_set(struct sock *s, int name, const void *val, socklen_t len)
{
	int v, e;
	struct sock_kept *k = &s->kept;
	switch (name) {
	case SO_INCOMING_CPU:
		if ((e = get_int(val, len, &v)))
			return e;
		k->incoming_cpu = v;
		return 0;
	case SO_MAX_PACING_RATE: {
		/* a 32-bit rate (~0U: none, as Linux) or a 64-bit one */
		uint64_t r;
		if (len >= (socklen_t)sizeof(r)) {
			memcpy(&r, val, sizeof(r));
		} else if (len >= (socklen_t)sizeof(uint32_t)) {
			uint32_t r32;
			memcpy(&r32, val, sizeof(r32));
			r = r32 == UINT32_MAX ? UINT64_MAX : r32;
		} else {
			return -EINVAL;
		}
		k->max_pacing_rate = r;
		return 0;
	}
	case SO_TXREHASH:
		if ((e = get_int(val, len, &v)))
			return e;
		if (!is_tcp(s))
			return -EOPNOTSUPP; /* (Linux 6.18: TCP's only) */
		if (v < -1 || v > 1)
			return -EINVAL;
		k->txrehash = v < 0 ? 1 : v; /* (-1: net.core.txrehash, 1) */
		return 0;
	case SO_BUSY_POLL_BUDGET:
		/* write-only; above the current budget (0) only with
		 * CAP_NET_ADMIN, which the sandbox's root has */
		if ((e = get_int(val, len, &v)))
			return e;
		return v < 0 || v > 65535 ? -EINVAL : 0;
	case SO_RESERVE_MEM:
		/* Linux: memory accounting by a cgroup, which a socket here
		 * never has */
		if ((e = get_int(val, len, &v)))
			return e;
		return v < 0 ? -EINVAL : -EOPNOTSUPP;
	case SO_TXTIME: {
		struct sock_txtime tt;
		if (len != (socklen_t)sizeof(tt))
			return -EINVAL;
		memcpy(&tt, val, sizeof(tt));
		if (tt.flags & ~(uint32_t)SOF_TXTIME_FLAGS_MASK)
			return -EINVAL;
		k->txtime_clock = (uint32_t)tt.clockid;
		k->txtime_flags = tt.flags;
		return 0;
	}
	case SO_BINDTOIFINDEX:
		/* (an inet socket's goes to the netstack; Linux does not
		 * check the index exists) */
		if ((e = get_int(val, len, &v)))
			return e;
		if (v < 0)
			return -EINVAL;
		k->bindtoindex = v;
		return 0;
	case SO_BUF_LOCK:
		if ((e = get_int(val, len, &v)))
			return e;
		if (v & ~(SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK))
			return -EINVAL;
		k->userlocks = v;
		return 0;
	case SO_ZEROCOPY:
		/* (inet sockets' is the netstack's; Linux refuses it to the
		 * other families, reading 0) */
		if ((e = get_int(val, len, &v)))
			return e;
		return -EOPNOTSUPP;
	case SO_PASSPIDFD:
	case SO_PASSRIGHTS:
		/* Linux 6.18: unix sockets' only (unix.c answers for them) */
		if ((e = get_int(val, len, &v)))
			return e;
		return -EOPNOTSUPP;
	default:
		if (kept_flag(k, name)) {
			if ((e = get_int(val, len, &v)))
				return e;
			*kept_flag(k, name) = !!v;
			return 0;
		}
		/* (Linux wants an int before it looks at the name) */
		return len < (socklen_t)sizeof(int) ? -EINVAL : -ENOPROTOOPT;
	}
}

/*
 * SO_ATTACH_FILTER's program: the struct sock_fprog (already copied in)
 * points to it in the task's memory. Linux's order of answers: optlen,
 * the lock (EPERM), the program's size (EINVAL, also for a NULL
 * program), then the copy (EFAULT). 0 with a malloc'd copy in *prog.
 */
int sock_filter_fetch(struct task *t, const void *val, socklen_t len, int locked, struct sock_filter **prog,
		      uint32_t *n)
{
	struct sock_fprog ufp;
	if (len != sizeof(ufp))
		return -EINVAL;
	memcpy(&ufp, val, sizeof(ufp));
	if (locked)
		return -EPERM;
	if (!ufp.filter || ufp.len == 0 || ufp.len > BPF_MAXINSNS)
		return -EINVAL;
	size_t bytes = (size_t)ufp.len * sizeof(struct sock_filter);
	struct sock_filter *p = malloc(bytes);
	if (!p)
		return -ENOMEM;
	if (copy_from_user(t, p, (uint64_t)(uintptr_t)ufp.filter, bytes)) {
		free(p);
		return -EFAULT;
	}
	*prog = p;
	*n = ufp.len;
	return 0;
}

int sock_setsockopt_common(struct sock *s, int name, const void *val, socklen_t len)
{
	int v, e;
	switch (name) {
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW:
		/* (the _NEW names' struct __kernel_sock_timeval is a timeval
		 * on x86-64) */
		return get_tv(val, len, name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW ? &s->rcvtimeo : &s->sndtimeo);
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
		if (name == SO_SNDBUF || name == SO_SNDBUFFORCE) {
			s->sndbuf = v * 2 < 4608 ? 4608 : v * 2;
			s->kept.userlocks |= SOCK_SNDBUF_LOCK;
		} else {
			s->rcvbuf = v * 2 < 2304 ? 2304 : v * 2;
			s->kept.userlocks |= SOCK_RCVBUF_LOCK;
		}
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
	case SO_TIMESTAMPNS:
	case SO_TIMESTAMP_NEW:
	case SO_TIMESTAMPNS_NEW:
		/* Linux's sock_set_timestamp: on, a stamp of the name's form
		 * (the _NEW names change the message's type); off, none */
		if ((e = get_int(val, len, &v)))
			return e;
		if (!v)
			s->tstamp &= (uint8_t)~(SOCK_TS_ON | SOCK_TS_NS);
		else
			s->tstamp = (uint8_t)(SOCK_TS_ON |
					      (name == SO_TIMESTAMPNS || name == SO_TIMESTAMPNS_NEW ? SOCK_TS_NS : 0) |
					      (name == SO_TIMESTAMP_NEW || name == SO_TIMESTAMPNS_NEW ? SOCK_TS_NEW : 0));
		return 0;
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW: {
		/* Linux sock_set_timestamping: an int, or struct
		 * so_timestamping (whose bind_phc only BIND_PHC reads; no
		 * socket here has a PHC); the name sets or clears the _NEW
		 * flag SO_TIMESTAMP shares. (An inet socket's netstack took
		 * them first: TCP's OPT_ID refusals are its.) */
		uint32_t f;
		if (len < (socklen_t)sizeof(int))
			return -EINVAL;
		memcpy(&f, val, sizeof(f));
		if ((e = ns_timestamping_check(f, 0)))
			return e;
		s->tsflags = f;
		if (name == SO_TIMESTAMPING_NEW)
			s->tstamp |= SOCK_TS_NEW;
		else
			s->tstamp &= (uint8_t)~SOCK_TS_NEW;
		return 0;
	}
	case SO_PEEK_OFF:
		/* Linux: an int (EINVAL), then a family without a peek offset
		 * (netlink's) refuses; unix.c keeps its own. */
		e = get_int(val, len, &v);
		return e ? e : -EOPNOTSUPP;
	default:
		return kept_set(s, name, val, len);
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

static int put_u64(void *val, socklen_t *len, uint64_t v)
{
	if (*len < (socklen_t)sizeof(v))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

/* SO_COOKIE: a number of the socket's own, never 0, the same for its life */
static uint64_t sock_cookie(struct sock *s)
{
	static uint64_t next = 1;
	if (!s->kept.cookie)
		s->kept.cookie = next++;
	return s->kept.cookie;
}

static int kept_get(struct sock *s, struct task *t, int name, void *val, socklen_t *len)
{
	struct sock_kept *k = &s->kept;
	if (kept_flag(k, name)) {
		/* (Linux copies what a short length holds of the int) */
		int v = *kept_flag(k, name);
		if (*len > (socklen_t)sizeof(v))
			*len = sizeof(v);
		memcpy(val, &v, *len);
		return 0;
	}
	switch (name) {
	case SO_INCOMING_CPU:
		return put_int(val, len, k->incoming_cpu);
	case SO_MAX_PACING_RATE:
		/* (Linux: an int unless the room holds more; ~0 as -1) */
		if (*len >= (socklen_t)sizeof(uint64_t))
			return put_u64(val, len, k->max_pacing_rate);
		return put_int(val, len, k->max_pacing_rate > UINT32_MAX ? -1 : (int)k->max_pacing_rate);
	case SO_TXREHASH:
		return is_tcp(s) ? put_int(val, len, k->txrehash) : -EOPNOTSUPP;
	case SO_RESERVE_MEM:
		return put_int(val, len, 0);
	case SO_BPF_EXTENSIONS:
		return put_int(val, len, 64); /* (Linux's SKF_AD_MAX) */
	case SO_BINDTOIFINDEX:
		return put_int(val, len, k->bindtoindex);
	case SO_ZEROCOPY:
		return put_int(val, len, 0);
	case SO_TXTIME: {
		struct sock_txtime tt = { .clockid = (clockid_t)k->txtime_clock, .flags = k->txtime_flags };
		socklen_t n = *len < (socklen_t)sizeof(tt) ? *len : (socklen_t)sizeof(tt);
		memcpy(val, &tt, n);
		*len = n;
		return 0;
	}
	case SO_COOKIE:
		return put_u64(val, len, sock_cookie(s));
	case SO_NETNS_COOKIE: {
		/* the namespace's own number, never 0 (Linux: its net_cookie);
		 * the reader's, which is the socket's unless it was passed
		 * across namespaces */
		if (*len != (socklen_t)sizeof(uint64_t))
			return -EINVAL;
		const struct netns *n = t ? task_netns(t) : NULL;
		return put_u64(val, len, n ? n->c.ino : 1);
	}
	case SO_PEERNAME: {
		/* the peer's address; Linux refuses a buffer longer than it */
		struct sockaddr_storage a;
		socklen_t al = sizeof(a);
		if (!s->ops->getname || s->ops->getname(s, (struct sockaddr *)&a, &al, 1) < 0)
			return -ENOTCONN;
		if (al < *len)
			return -EINVAL;
		memcpy(val, &a, *len);
		return 0;
	}
	case SO_BUF_LOCK:
		return put_int(val, len, k->userlocks);
	case SO_PASSPIDFD:
	case SO_PASSRIGHTS:
		return -EOPNOTSUPP; /* (as set) */
	case SO_PEERGROUPS:
	case SO_PEERPIDFD:
		/* a peer's credentials come with a unix connection only
		 * (unix.c answers for its sockets) */
		return -ENODATA;
	default:
		return -ENOPROTOOPT;
	}
}

int sock_getsockopt_common(struct sock *s, struct task *t, int name, void *val, socklen_t *len)
{
	switch (name) {
	case SO_TYPE:
		return put_int(val, len, s->type);
	case SO_DOMAIN:
		return put_int(val, len, s->family);
	case SO_PROTOCOL:
		return put_int(val, len, s->protocol);
	case SO_RCVTIMEO:
	case SO_RCVTIMEO_NEW:
		return put_tv(val, len, s->rcvtimeo);
	case SO_SNDTIMEO:
	case SO_SNDTIMEO_NEW:
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
	case SO_TIMESTAMP: /* (Linux's sk_getsockopt reads the flags so) */
		return put_int(val, len, (s->tstamp & (SOCK_TS_ON | SOCK_TS_NS | SOCK_TS_NEW)) == SOCK_TS_ON);
	case SO_TIMESTAMPNS:
		return put_int(val, len, (s->tstamp & (SOCK_TS_NS | SOCK_TS_NEW)) == SOCK_TS_NS);
	case SO_TIMESTAMP_NEW:
		return put_int(val, len, (s->tstamp & (SOCK_TS_ON | SOCK_TS_NEW)) == (SOCK_TS_ON | SOCK_TS_NEW));
	case SO_TIMESTAMPNS_NEW:
		return put_int(val, len, (s->tstamp & (SOCK_TS_NS | SOCK_TS_NEW)) == (SOCK_TS_NS | SOCK_TS_NEW));
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW: {
		/* Linux sk_getsockopt: struct so_timestamping, as much of it
		 * as fits; the _NEW name shows the flags only when they were
		 * set by it (the _NEW flag on), else zeros */
		struct so_timestamping st = { 0, 0 };
		if (name == SO_TIMESTAMPING_OLD || (s->tstamp & SOCK_TS_NEW))
			st.flags = (int)s->tsflags;
		socklen_t n = *len < (socklen_t)sizeof(st) ? *len : (socklen_t)sizeof(st);
		memcpy(val, &st, n);
		*len = n;
		return 0;
	}
	case SO_REUSEPORT:
		return put_int(val, len, 0);
	case SO_RCVLOWAT:
		return put_int(val, len, s->rcvlowat ? s->rcvlowat : 1);
	case SO_PEEK_OFF:
		return -EOPNOTSUPP; /* (as set: unix.c keeps its own) */
	case SO_MEMINFO: {
		/* Linux copies as much of the array as the length asks for
		 * (none for 0, part of a counter for a length not a multiple
		 * of 4) and says how much */
		uint32_t mem[SOCK_MEM_VARS] = { 0 };
		mem[SOCK_MEM_RCVBUF] = (uint32_t)s->rcvbuf;
		mem[SOCK_MEM_SNDBUF] = (uint32_t)s->sndbuf;
		if (s->ops->meminfo)
			s->ops->meminfo(s, mem);
		if (*len > (socklen_t)sizeof(mem))
			*len = sizeof(mem);
		memcpy(val, mem, *len);
		return 0;
	}
	default:
		return kept_get(s, t, name, val, len);
	}
}
