/* Socket syscalls: family dispatch (socket/socket.c) and the blocking
 * logic around the never-blocking socket ops. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "syscalls.h"
#include "../socket/socket.h"

#define MAX_MSG (1u << 22)

static struct sock *fd_sock(struct task *t, int fd, struct file **fp, long *err)
{
	struct file *f = fget_or(t, fd, err);
	if (!f)
		return NULL;
	struct sock *s = sock_of(f);
	if (!s) {
		file_put(f);
		*err = -ENOTSOCK;
		return NULL;
	}
	*fp = f;
	return s;
}

static long install(struct task *t, struct file *f, int flags)
{
	int fd = fd_install(t, f, (flags & SOCK_CLOEXEC) != 0, 0);
	file_put(f);
	return fd;
}

SYSCALL(socket)
{
	int family = (int)ARG(0), type = (int)ARG(1), proto = (int)ARG(2);
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (family < 0 || family >= 46)
		return -EAFNOSUPPORT;
	if (type < 0 || type > SOCK_PACKET)
		return -EINVAL;
	struct sock *s;
	int e = sock_create(t, family, type, proto, &s);
	if (e)
		return e;
	struct file *f;
	e = sock_file(t->k, s, flags, &f);
	if (e) {
		s->ops->release(s);
		return e;
	}
	return install(t, f, flags);
}

SYSCALL(socketpair)
{
	int family = (int)ARG(0), type = (int)ARG(1), proto = (int)ARG(2);
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (family != AF_UNIX)
		return family == AF_INET || family == AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
	struct sock *a, *b;
	int e = unix_pair(t, type, proto, &a, &b);
	if (e)
		return e;
	struct file *fa, *fb;
	e = sock_file(t->k, a, flags, &fa);
	if (e) {
		a->ops->release(a);
		b->ops->release(b);
		return e;
	}
	e = sock_file(t->k, b, flags, &fb);
	if (e) {
		file_put(fa);
		b->ops->release(b);
		return e;
	}
	int x = fd_install(t, fa, (flags & SOCK_CLOEXEC) != 0, 0);
	if (x < 0) {
		file_put(fa);
		file_put(fb);
		return x;
	}
	int y = fd_install(t, fb, (flags & SOCK_CLOEXEC) != 0, 0);
	file_put(fa);
	file_put(fb);
	if (y < 0) {
		fd_close(t, x);
		return y;
	}
	int fds[2] = { x, y };
	if (copy_to_user(t, ARG(3), fds, sizeof(fds))) {
		fd_close(t, x);
		fd_close(t, y);
		return -EFAULT;
	}
	return 0;
}

static int get_addr(struct task *t, uint64_t ua, socklen_t len, struct sockaddr_storage *ss)
{
	if ((int)len < 0 || len > sizeof(*ss))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (len && copy_from_user(t, ss, ua, len))
		return -EFAULT;
	return 0;
}

/* An address out to the application, as Linux's move_addr_to_user: the
 * length is read first (a NULL or bad pointer is EFAULT), then as much of
 * the address as fits is written, then the full length. */
static int put_addr(struct task *t, const struct sockaddr_storage *ss, socklen_t len, uint64_t ua, uint64_t ulen)
{
	int have;
	if (copy_from_user(t, &have, ulen, sizeof(have)))
		return -EFAULT;
	if (have > (int)len)
		have = (int)len;
	if (have < 0)
		return -EINVAL;
	if (have && copy_to_user(t, ua, ss, (size_t)have))
		return -EFAULT;
	int l = (int)len;
	if (copy_to_user(t, ulen, &l, sizeof(l)))
		return -EFAULT;
	return 0;
}

SYSCALL(bind)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, (int)ARG(0), &f, &err);
	if (!s)
		return err;
	struct sockaddr_storage ss;
	long r = get_addr(t, ARG(1), (socklen_t)ARG(2), &ss);
	if (!r)
		r = s->ops->bind ? s->ops->bind(s, t, (struct sockaddr *)&ss, (socklen_t)ARG(2)) : -EOPNOTSUPP;
	file_put(f);
	return r;
}

SYSCALL(listen)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, (int)ARG(0), &f, &err);
	if (!s)
		return err;
	long r = s->ops->listen ? s->ops->listen(s, (int)ARG(1)) : -EOPNOTSUPP;
	file_put(f);
	return r;
}

/* SO_RCVTIMEO/SO_SNDTIMEO of a call about to wait: -EAGAIN when it ran
 * out (at once for a zero timeout). The deadline is taken when the call
 * first waits (t->sc.deadline 0) and holds across its re-runs. */
static int timeout_setup(struct task *t, uint64_t to)
{
	if (to == SOCK_TIMEO_NONE)
		return 0;
	if (to == 0)
		return -EAGAIN;
	if (!t->sc.deadline)
		t->sc.deadline = kclock_mono() + to;
	if (t->sc.timed_out || kclock_mono() >= t->sc.deadline)
		return -EAGAIN;
	return 0;
}

/* Parks on q until ev or the timeout. A signal ends the wait with `done`
 * (bytes already moved) if any; else, as Linux's sock_intr_errno, a call
 * without a timeout is restarted (SA_RESTART) and one with a timeout
 * fails with EINTR. */
static long park(struct task *t, struct waitq *q, uint64_t timeout, uint32_t ev, size_t done)
{
	if (!q)
		return -EAGAIN;
	int e = task_wait(t, q, ev);
	if (e)
		return e;
	if (timeout != SOCK_TIMEO_NONE)
		task_wait_until(t, t->sc.deadline);
	t->sc.intr = done ? (long)done : timeout == SOCK_TIMEO_NONE ? -ERESTARTSYS : -EINTR;
	return -EPARK;
}

SYSCALL(connect)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, (int)ARG(0), &f, &err);
	if (!s)
		return err;
	struct sockaddr_storage ss;
	long r = get_addr(t, ARG(1), (socklen_t)ARG(2), &ss);
	if (!r && (socklen_t)ARG(2) < sizeof(sa_family_t))
		r = -EINVAL;
	if (!r) {
		struct waitq *wq = NULL;
		r = s->ops->connect ? s->ops->connect(s, t, (struct sockaddr *)&ss, (socklen_t)ARG(2), &wq)
				    : -EOPNOTSUPP;
		if (r == -EAGAIN && !(f->flags & O_NONBLOCK)) {
			/* socket(7): a connect whose SO_SNDTIMEO ran out is
			 * still in progress. */
			long e = timeout_setup(t, s->sndtimeo);
			r = e ? -EINPROGRESS : park(t, wq, s->sndtimeo, POLLOUT, 0);
		}
	}
	file_put(f);
	return r;
}

static long do_accept(struct task *t, int fd, uint64_t uaddr, uint64_t ulen, int flags)
{
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, fd, &f, &err);
	if (!s)
		return err;
	struct sock *ns;
	struct waitq *wq = NULL;
	long r = s->ops->accept ? s->ops->accept(s, t, &ns, &wq) : -EOPNOTSUPP;
	if (r == -EAGAIN) {
		if (!(f->flags & O_NONBLOCK)) {
			long e = timeout_setup(t, s->rcvtimeo);
			r = e ? e : park(t, wq, s->rcvtimeo, POLLIN, 0);
		}
		file_put(f);
		return r;
	}
	file_put(f);
	if (r)
		return r;
	struct file *nf;
	r = sock_file(t->k, ns, flags, &nf);
	if (r) {
		ns->ops->release(ns);
		return r;
	}
	if (uaddr) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		ns->ops->getname(ns, (struct sockaddr *)&ss, &len, 1);
		r = put_addr(t, &ss, len, uaddr, ulen);
		if (r) {
			file_put(nf);
			return r;
		}
	}
	return install(t, nf, flags);
}

SYSCALL(accept)
{
	return do_accept(t, (int)ARG(0), ARG(1), ARG(2), 0);
}

SYSCALL(accept4)
{
	return do_accept(t, (int)ARG(0), ARG(1), ARG(2), (int)ARG(3));
}

static long do_getname(struct task *t, int peer)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, (int)ARG(0), &f, &err);
	if (!s)
		return err;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	long r = s->ops->getname(s, (struct sockaddr *)&ss, &len, peer);
	if (!r)
		r = put_addr(t, &ss, len, ARG(1), ARG(2));
	file_put(f);
	return r;
}

SYSCALL(getsockname)
{
	return do_getname(t, 0);
}

SYSCALL(getpeername)
{
	return do_getname(t, 1);
}

SYSCALL(shutdown)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, (int)ARG(0), &f, &err);
	if (!s)
		return err;
	long r = s->ops->shutdown ? s->ops->shutdown(s, (int)ARG(1)) : -EOPNOTSUPP;
	file_put(f);
	return r;
}

/* The most of an option's value the socket calls copy (Linux's
 * net.core.optmem_max is larger; no option here reads more). */
#define OPT_MAX 65536u

SYSCALL(setsockopt)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, (int)ARG(0), &f, &err);
	if (!s)
		return err;
	socklen_t len = (socklen_t)ARG(4);
	long r;
	/* Linux reads what an option needs of any length (an int of a
	 * 1000-byte buffer); the biggest options here (an MCAST_MSFILTER's
	 * sources) fit in OPT_MAX, which a longer length is taken as. */
	char small[512], *val = small;
	if ((int)len < 0) {
		r = -EINVAL;
		goto out;
	}
	if (len > OPT_MAX)
		len = OPT_MAX;
	if (len > sizeof(small) && !(val = malloc(len))) {
		r = -ENOMEM;
		goto out;
	}
	r = 0;
	if (len && copy_from_user(t, val, ARG(3), len)) {
		/* Linux reads only what the option needs: a long length over
		 * a short buffer (an int's) is not a fault for an int option.
		 * The first bytes then (512, else an int's), the rest zeros. */
		static const size_t heads[] = { sizeof(small), sizeof(int) };
		r = -EFAULT;
		for (size_t i = 0; r && i < sizeof(heads) / sizeof(heads[0]); i++) {
			if (heads[i] < len && copy_from_user(t, val, ARG(3), heads[i]) == 0) {
				memset(val + heads[i], 0, len - heads[i]);
				r = 0;
			}
		}
	}
	/* IPV6_FLOWLABEL_MGR (linux/in6.h's 32) asking a lease of label 0
	 * gets the label chosen written into its request's flr_label (at
	 * 16): Linux writes it back, ignoring a fault */
	uint32_t label0 = 1;
	int fl_mgr = (int)ARG(1) == 41 /* IPPROTO_IPV6 */ && (int)ARG(2) == 32 && len >= 32;
	if (r == 0 && fl_mgr)
		memcpy(&label0, val + 16, 4);
	if (r == 0)
		r = s->ops->setsockopt(s, t, (int)ARG(1), (int)ARG(2), val, len);
	if (r == 0 && fl_mgr && label0 == 0)
		(void)copy_to_user(t, ARG(3) + 16, val + 16, 4);
	if (val != small)
		free(val);
out:
	file_put(f);
	return r;
}

/*
 * getsockopt(SO_GET_FILTER) counts in instructions, not bytes (Linux's
 * API): optlen 0 asks for the program's length, a smaller non-zero one is
 * EINVAL, and a big enough one receives the whole program and its length.
 * The program can exceed the syscall's small buffer, hence its own path.
 */
static long get_filter(struct task *t, struct sock *s, uint64_t uval, uint64_t ulenp, int ulen)
{
	struct sock_filter *prog = malloc(BPF_MAXINSNS * sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	socklen_t len = ulen < BPF_MAXINSNS ? (socklen_t)ulen : BPF_MAXINSNS;
	long r = s->ops->getsockopt(s, t, SOL_SOCKET, SO_GET_FILTER, prog, &len);
	if (!r) {
		int out = (int)len;
		if ((ulen && len && copy_to_user(t, uval, prog, len * sizeof(*prog))) ||
		    copy_to_user(t, ulenp, &out, sizeof(out)))
			r = -EFAULT;
	}
	free(prog);
	return r;
}

SYSCALL(getsockopt)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, (int)ARG(0), &f, &err);
	if (!s)
		return err;
	int ulen;
	long r;
	if (copy_from_user(t, &ulen, ARG(4), sizeof(ulen))) {
		r = -EFAULT;
	} else if (ulen < 0) {
		r = -EINVAL;
	} else if ((int)ARG(1) == SOL_SOCKET && (int)ARG(2) == SO_GET_FILTER) {
		r = get_filter(t, s, ARG(3), ARG(4), ulen);
	} else {
		/* (at most OPT_MAX: an MCAST_MSFILTER's sources fit) */
		char small[256], *val = small;
		socklen_t len = (socklen_t)ulen < OPT_MAX ? (socklen_t)ulen : OPT_MAX;
		socklen_t cap = len > sizeof(small) ? len : sizeof(small);
		if (cap > sizeof(small) && !(val = malloc(cap))) {
			r = -ENOMEM;
		} else {
			/* Linux writes only what the option writes: the rest
			 * of the buffer (a control message's padding) keeps
			 * its bytes; the options read their request there
			 * (IP_MSFILTER) */
			if (len && copy_from_user(t, val, ARG(3), len) == 0)
				memset(val + len, 0, cap - len);
			else
				memset(val, 0, cap);
			r = s->ops->getsockopt(s, t, (int)ARG(1), (int)ARG(2), val, &len);
			if (!r) {
				int out = (int)len;
				if (copy_to_user(t, ARG(3), val, len) || copy_to_user(t, ARG(4), &out, sizeof(out)))
					r = -EFAULT;
			} else if (r == -ERANGE || (r == -EINVAL && (int)ARG(1) == IPPROTO_TCP &&
						     (int)ARG(2) == TCP_SAVED_SYN)) {
				/* (Linux: the length the answer needs,
				 * SO_PEERGROUPS's ERANGE and TCP_SAVED_SYN's
				 * EINVAL) */
				int out = (int)len;
				if (copy_to_user(t, ARG(4), &out, sizeof(out)))
					r = -EFAULT;
			}
			if (val != small)
				free(val);
		}
	}
	file_put(f);
	return r;
}

/* ---- data ---- */

static void kmsg_free(struct kmsg *m)
{
	for (int i = 0; i < m->nfds; i++)
		file_put(m->fds[i]);
	free(m->fds);
	m->fds = NULL;
	m->nfds = 0;
	free(m->data);
	m->data = NULL;
	free(m->ctl);
	m->ctl = NULL;
	m->ctllen = 0;
}

/* Parse the control buffer of a sendmsg: SCM_RIGHTS, SCM_CREDENTIALS. */
static long parse_cmsgs(struct task *t, struct sock *s, const struct msghdr *mh, struct kmsg *m)
{
	if (!mh->msg_controllen)
		return 0;
	if (mh->msg_controllen > 65536)
		return -ENOBUFS;
	char *cbuf = malloc(mh->msg_controllen);
	if (!cbuf)
		return -ENOMEM;
	if (copy_from_user(t, cbuf, (uint64_t)mh->msg_control, mh->msg_controllen)) {
		free(cbuf);
		return -EFAULT;
	}
	if (s->family != AF_UNIX) {
		/* Protocol options (IP_PKTINFO, IP_TOS, ...): the family
		 * parses them (for inet: the netstack, as Linux would). */
		m->ctl = cbuf;
		m->ctllen = mh->msg_controllen;
		return 0;
	}
	struct msghdr k = { .msg_control = cbuf, .msg_controllen = mh->msg_controllen };
	long r = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&k); c; c = CMSG_NXTHDR(&k, c)) {
		if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > mh->msg_controllen) {
			r = -EINVAL;
			break;
		}
		if (c->cmsg_level != SOL_SOCKET) {
			r = -EINVAL;
			break;
		}
		if (s->family != AF_UNIX) {
			r = -EINVAL;
			break;
		}
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_type == SCM_RIGHTS) {
			int n = (int)(dl / sizeof(int));
			if (n > 253 || m->nfds + n > 253) {
				r = -EINVAL;
				break;
			}
			struct file **nf = realloc(m->fds, (size_t)(m->nfds + n) * sizeof(*nf));
			if (!nf) {
				r = -ENOMEM;
				break;
			}
			m->fds = nf;
			for (int i = 0; i < n; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof(int));
				struct file *f = fd_get(t, fd);
				if (!f) {
					r = -EBADF;
					break;
				}
				m->fds[m->nfds++] = f;
			}
			if (r)
				break;
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			if (dl < sizeof(struct ucred)) {
				r = -EINVAL;
				break;
			}
			struct ucred cr;
			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			/* ids named in the sender's user namespace */
			cr.uid = uid_from_user(t, cr.uid);
			cr.gid = gid_from_user(t, cr.gid);
			if (cr.uid == (uid_t)-1 || cr.gid == (gid_t)-1) {
				r = -EINVAL;
				break;
			}
			struct userns *un = task_userns(t);
			if ((cr.pid != t->tg->tgid && !ns_capable(t, un, KCAP_SYS_ADMIN)) ||
			    (cr.uid != t->cred.uid && cr.uid != t->cred.euid && cr.uid != t->cred.suid &&
			     !ns_capable(t, un, KCAP_SETUID)) ||
			    (cr.gid != t->cred.gid && cr.gid != t->cred.egid && cr.gid != t->cred.sgid &&
			     !ns_capable(t, un, KCAP_SETGID))) {
				r = -EPERM;
				break;
			}
			m->has_cred = 1;
			m->cred = cr;
		} else {
			r = -EINVAL;
			break;
		}
	}
	free(cbuf);
	return r;
}

/* mh: name and control of the message (user pointers); the data is `it`. */
static long send_sock(struct task *t, struct file *f, struct sock *s, struct uiter *it, const struct msghdr *mh,
		      int flags)
{
	long r = 0;
	struct kmsg m;
	memset(&m, 0, sizeof(m));
	if (mh->msg_name && mh->msg_namelen) {
		r = get_addr(t, (uint64_t)mh->msg_name, mh->msg_namelen, &m.addr);
		m.addrlen = mh->msg_namelen;
	}
	if (!r)
		r = parse_cmsgs(t, s, mh, &m);
	size_t done = t->sc.done;
	uiter_advance(it, done);
	size_t total = it->total;
	int stream = s->type == SOCK_STREAM;
	if (!r && total > MAX_MSG && !stream)
		r = -EMSGSIZE;
	if (!r) {
		size_t n = total > MAX_MSG ? MAX_MSG : total;
		m.data = malloc(n ? n : 1);
		if (!m.data)
			r = -ENOMEM;
		else
			m.len = n;
		if (!r) {
			long c = uiter_copy_from(it, m.data, n);
			if (c < 0 || (size_t)c < n)
				r = -EFAULT;
		}
	}
	int nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	while (!r) {
		struct waitq *wq = NULL;
		/* One MSG_ZEROCOPY id per call that sends (Linux): the pieces
		 * after the first (a long or a blocked write) carry none; nor
		 * do they connect again (MSG_FASTOPEN). */
		ssize_t w = s->ops->sendmsg(s, t, &m, done ? flags & ~(MSG_ZEROCOPY | MSG_FASTOPEN) : flags, &wq);
		if (w == -EAGAIN) {
			if (nonblock) {
				r = done ? (long)done : -EAGAIN;
				break;
			}
			long e = timeout_setup(t, s->sndtimeo);
			if (e) {
				r = done ? (long)done : -EAGAIN;
				break;
			}
			t->sc.done = done;
			r = park(t, wq, s->sndtimeo, POLLOUT, done);
			break;
		}
		if (w < 0) {
			/* Linux raises SIGPIPE for streams only (TCP's
			 * sk_stream_error, unix streams); datagram and
			 * seqpacket sends just fail. */
			if (w == -EPIPE && !(flags & MSG_NOSIGNAL) && s->type == SOCK_STREAM) {
				siginfo_t si;
				siginfo_from(&si, SIGPIPE, SI_USER, t);
				send_signal_task(t, &si, 0, 0);
			}
			r = done ? (long)done : w;
			break;
		}
		done += (size_t)w;
		if (!stream) {
			r = (long)done;
			break;
		}
		uiter_advance(it, (size_t)w);
		if (!it->total) {
			r = (long)done;
			break;
		}
		/* More to send: refill the buffer from where we are. */
		size_t n = it->total > MAX_MSG ? MAX_MSG : it->total;
		long c = uiter_copy_from(it, m.data, n);
		if (c <= 0) {
			r = (long)done;
			break;
		}
		m.len = (size_t)c;
	}
	if (r != -EPARK)
		t->sc.done = 0;
	kmsg_free(&m);
	return r;
}

static long do_send(struct task *t, int fd, struct uiter *it, const struct msghdr *mh, int flags)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, fd, &f, &err);
	if (!s)
		return err;
	long r = send_sock(t, f, s, it, mh, flags);
	file_put(f);
	return r;
}

/* write(2) and writev(2) on a socket: a send without flags (so with its
 * SO_SNDTIMEO and SIGPIPE), as Linux's sock_write_iter. */
long sock_writev(struct task *t, struct file *f, struct uiter *it)
{
	struct msghdr mh = { 0 };
	return send_sock(t, f, sock_of(f), it, &mh, 0);
}

/* Linux's put_cmsg: one control message at *used in buf (room bytes):
 * cut to what is left when it does not fit (its length says so, and
 * MSG_CTRUNC), none when not even a header fits. */
static void put_cmsg(char *buf, size_t room, size_t *used, struct msghdr *mh, int level, int type,
		     const void *data, size_t dl)
{
	size_t left = room - *used, cl = CMSG_LEN(dl), sp = CMSG_SPACE(dl);
	if (left < sizeof(struct cmsghdr)) {
		mh->msg_flags |= MSG_CTRUNC;
		return;
	}
	if (left < cl) {
		mh->msg_flags |= MSG_CTRUNC;
		cl = left;
	}
	struct cmsghdr c = { .cmsg_len = cl, .cmsg_level = level, .cmsg_type = type };
	memcpy(buf + *used, &c, sizeof(c));
	memcpy(buf + *used + CMSG_LEN(0), data, cl - CMSG_LEN(0));
	*used += sp < left ? sp : left;
}

/* The control messages of a read, in Linux's order: the family's own
 * (timestamps, then the protocol's), SCM_CREDENTIALS, SCM_RIGHTS,
 * SCM_PIDFD (scm_recv_unix). */
static long put_cmsgs(struct task *t, struct kmsg *m, struct msghdr *mh, int flags)
{
	size_t room = mh->msg_controllen, used = 0;
	char buf[4096];
	if (room > sizeof(buf))
		room = sizeof(buf);
	memset(buf, 0, room);
	if (m->ctllen) {
		struct msghdr src = { .msg_control = m->ctl, .msg_controllen = m->ctllen };
		for (struct cmsghdr *sc = CMSG_FIRSTHDR(&src); sc; sc = CMSG_NXTHDR(&src, sc))
			put_cmsg(buf, room, &used, mh, sc->cmsg_level, sc->cmsg_type, CMSG_DATA(sc),
				 sc->cmsg_len - CMSG_LEN(0));
	}
	if (m->has_cred) {
		struct ucred cr = m->cred;
		cr.uid = uid_to_user(t, cr.uid);
		cr.gid = gid_to_user(t, cr.gid);
		put_cmsg(buf, room, &used, mh, SOL_SOCKET, SCM_CREDENTIALS, &cr, sizeof(cr));
	}
	if (m->nfds) {
		/* as many descriptors as fit, none cut (Linux's scm_detach_fds) */
		int fit = 0;
		if (room - used > CMSG_LEN(0))
			fit = (int)((room - used - CMSG_LEN(0)) / sizeof(int));
		if (fit > m->nfds)
			fit = m->nfds;
		int got = 0;
		int fds[253];
		for (int i = 0; i < fit && i < 253; i++) {
			int fd = fd_install(t, m->fds[i], (flags & MSG_CMSG_CLOEXEC) != 0, 0);
			if (fd < 0)
				break;
			fds[got++] = fd;
		}
		if (got)
			put_cmsg(buf, room, &used, mh, SOL_SOCKET, SCM_RIGHTS, fds, (size_t)got * sizeof(int));
		if (got < m->nfds)
			mh->msg_flags |= MSG_CTRUNC;
	}
	if (m->has_pidfd) {
		/* Linux's scm_pidfd_recv: a whole message's room or none (not
		 * the padding after it), then a new pidfd, close-on-exec
		 * whatever MSG_CMSG_CLOEXEC says, as pidfd_open's */
		if (room - used < CMSG_LEN(sizeof(int))) {
			mh->msg_flags |= MSG_CTRUNC;
		} else {
			long fd = pidfd_install_id(t, m->pidfd_pid, m->pidfd_start, 0);
			if (fd >= 0) {
				int pfd = (int)fd;
				put_cmsg(buf, room, &used, mh, SOL_SOCKET, SCM_PIDFD, &pfd, sizeof(pfd));
			}
		}
	}
	if (used && copy_to_user(t, (uint64_t)mh->msg_control, buf, used))
		return -EFAULT;
	mh->msg_controllen = used;
	return 0;
}

static long recv_sock(struct task *t, struct file *f, struct sock *s, struct uiter *it, struct msghdr *mh,
		      int flags)
{
	long r = 0;
	struct kmsg m;
	memset(&m, 0, sizeof(m));
	/* Linux's IP error queue takes no MSG_PEEK: a report read is gone. */
	if ((flags & MSG_ERRQUEUE) && (s->family == AF_INET || s->family == AF_INET6))
		flags &= ~MSG_PEEK;
	/* The error queue and urgent data never wait (Linux). */
	int nonblock = (f->flags & O_NONBLOCK) || (flags & (MSG_DONTWAIT | MSG_ERRQUEUE | MSG_OOB));
	/* A blocking read of a stream waits for `target` bytes (Linux's
	 * sock_rcvlowat()): all with MSG_WAITALL, else SO_RCVLOWAT (1 unless
	 * set). It takes what is there and waits for the rest; t->sc.done
	 * keeps the count across parks (a signal or a timeout returns it,
	 * as Linux returns a short read). */
	size_t target = 0;
	if (s->type == SOCK_STREAM && !(flags & MSG_PEEK) && !nonblock) {
		int lowat = 1;
		socklen_t ll = sizeof(lowat);
		if (flags & MSG_WAITALL)
			target = it->total;
		else if (s->ops->getsockopt && s->ops->getsockopt(s, t, SOL_SOCKET, SO_RCVLOWAT, &lowat, &ll) == 0 &&
			 lowat > 1)
			target = (size_t)lowat < it->total ? (size_t)lowat : it->total;
	}
	int waitall = target > 1;
	size_t done = waitall ? t->sc.done : 0;
	if (done)
		uiter_advance(it, done);
	size_t want = it->total > MAX_MSG ? MAX_MSG : it->total;
	m.data = malloc(want ? want : 1);
	m.len = want;
	if (!m.data)
		return -ENOMEM;
	ssize_t n;
again:
	/* Peek first and take the data only once it reached the application:
	 * a bad buffer is EFAULT without losing anything (as Linux). */
	n = s->ops->recvmsg(s, t, &m,
			    flags | MSG_PEEK | (nonblock ? MSG_DONTWAIT : 0) | (done ? MSG_SENTRY_MORE : 0) |
				    (flags & MSG_PEEK ? 0 : MSG_SENTRY_TAKING));
	if (n == -EAGAIN) {
		if (nonblock) {
			r = -EAGAIN;
		} else {
			long e = timeout_setup(t, s->rcvtimeo);
			if (e) {
				r = done ? (long)done : e;
			} else {
				t->sc.done = done;
				r = park(t, &s->wq, s->rcvtimeo, POLLIN | POLLRDHUP | POLLHUP | POLLERR, done);
			}
		}
		goto out;
	}
	if (n < 0) {
		r = done ? (long)done : n;
		goto out;
	}
	/* TCP's MSG_TRUNC drops the bytes without copying them (Linux
	 * tcp_recvmsg). */
	int discard = (flags & MSG_TRUNC) && s->type == SOCK_STREAM &&
		      (s->family == AF_INET || s->family == AF_INET6);
	long c = discard ? 0 : uiter_copy_to(it, m.data, (size_t)n);
	if (c < 0) {
		r = c;
		goto out;
	}
	if (!(flags & MSG_PEEK)) {
		/* consume what was delivered (the same bytes: nothing ran in
		 * between), with its descriptors and credentials */
		size_t got = (size_t)n;
		int pflags = m.flags;
		size_t full = m.full_len;
		memset(&m.addr, 0, sizeof(m.addr));
		m.len = got;
		m.flags = 0;
		ssize_t n2 = s->ops->recvmsg(s, t, &m, flags | MSG_DONTWAIT | (done ? MSG_SENTRY_MORE : 0));
		if (n2 >= 0 && (size_t)n2 != got && s->type == SOCK_STREAM)
			klog(t->k, "socket: consumed %zd of %zu peeked bytes", n2, got);
		m.flags = pflags;
		m.full_len = full;
		if (waitall && n > 0 && done + (size_t)n < target) {
			uiter_advance(it, (size_t)n);
			done += (size_t)n;
			m.len = it->total > want ? want : it->total;
			m.flags = 0;
			goto again;
		}
	}
	/* (Linux's ___sys_recvmsg starts the flags from the call's
	 * MSG_CMSG_CLOEXEC) */
	mh->msg_flags = m.flags | (flags & MSG_CMSG_CLOEXEC);
	if (mh->msg_name) {
		socklen_t alen = m.addrlen;
		size_t k = mh->msg_namelen < alen ? mh->msg_namelen : alen;
		if (k && copy_to_user(t, (uint64_t)mh->msg_name, &m.addr, k)) {
			r = -EFAULT;
			goto out;
		}
		mh->msg_namelen = alen;
	}
	if (mh->msg_control || m.nfds || m.has_cred || m.has_pidfd || m.ctllen) {
		if (!mh->msg_control)
			mh->msg_controllen = 0;
		r = put_cmsgs(t, &m, mh, flags);
		if (r)
			goto out;
		/* installed descriptors now belong to the fd table */
		for (int i = 0; i < m.nfds; i++)
			file_put(m.fds[i]);
		free(m.fds);
		m.fds = NULL;
		m.nfds = 0;
	} else {
		mh->msg_controllen = 0;
	}
	/* MSG_TRUNC returns a datagram's length (from a peek offset inside
	 * it: the rest's, or UDP's whole length) when it is more than was
	 * copied. */
	r = (flags & MSG_TRUNC) && m.full_len > (size_t)n ? (long)m.full_len : n;
	if (done)
		r += (long)done;
out:
	if (waitall && r != -EPARK)
		t->sc.done = 0;
	kmsg_free(&m);
	return r;
}

static long do_recv(struct task *t, int fd, struct uiter *it, struct msghdr *mh, int flags)
{
	long err;
	struct file *f;
	struct sock *s = fd_sock(t, fd, &f, &err);
	if (!s)
		return err;
	long r = recv_sock(t, f, s, it, mh, flags & ~MSG_SENTRY_MASK);
	file_put(f);
	return r;
}

/* read(2) and readv(2) on a socket: a recv without flags (so with its
 * SO_RCVTIMEO), as Linux's sock_read_iter. */
long sock_readv(struct task *t, struct file *f, struct uiter *it)
{
	struct msghdr mh = { 0 };
	return recv_sock(t, f, sock_of(f), it, &mh, 0);
}

SYSCALL(sendto)
{
	struct uiter it;
	uiter_single(&it, t, ARG(1), (size_t)ARG(2));
	struct msghdr mh = { .msg_name = (void *)ARG(4), .msg_namelen = (socklen_t)ARG(5) };
	return do_send(t, (int)ARG(0), &it, &mh, (int)ARG(3));
}

SYSCALL(recvfrom)
{
	struct uiter it;
	uiter_single(&it, t, ARG(1), (size_t)ARG(2));
	struct msghdr mh = { 0 };
	int alen = 0;
	if (ARG(4)) {
		if (!ARG(5))
			return -EFAULT;
		if (copy_from_user(t, &alen, ARG(5), sizeof(alen)))
			return -EFAULT;
		if (alen < 0)
			return -EINVAL;
		mh.msg_name = (void *)ARG(4);
		mh.msg_namelen = (socklen_t)alen;
	}
	long r = do_recv(t, (int)ARG(0), &it, &mh, (int)ARG(3));
	if (r >= 0 && ARG(4)) {
		int l = (int)mh.msg_namelen;
		if (copy_to_user(t, ARG(5), &l, sizeof(l)))
			return -EFAULT;
	}
	return r;
}

static int get_msghdr(struct task *t, uint64_t u, struct msghdr *mh, struct uiter *it)
{
	if (copy_from_user(t, mh, u, sizeof(*mh)))
		return -EFAULT;
	if (mh->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	return uiter_init(it, t, (uint64_t)mh->msg_iov, (int)mh->msg_iovlen);
}

SYSCALL(sendmsg)
{
	struct msghdr mh;
	struct uiter it;
	long r = get_msghdr(t, ARG(1), &mh, &it);
	if (r)
		return r;
	r = do_send(t, (int)ARG(0), &it, &mh, (int)ARG(2));
	uiter_free(&it);
	return r;
}

static long recvmsg_one(struct task *t, int fd, uint64_t umh, int flags)
{
	struct msghdr mh;
	struct uiter it;
	long r = get_msghdr(t, umh, &mh, &it);
	if (r)
		return r;
	r = do_recv(t, fd, &it, &mh, flags);
	uiter_free(&it);
	if (r >= 0) {
		struct msghdr *u = (struct msghdr *)(uintptr_t)umh;
		if (copy_to_user(t, (uint64_t)&u->msg_namelen, &mh.msg_namelen, sizeof(mh.msg_namelen)) ||
		    copy_to_user(t, (uint64_t)&u->msg_controllen, &mh.msg_controllen, sizeof(mh.msg_controllen)) ||
		    copy_to_user(t, (uint64_t)&u->msg_flags, &mh.msg_flags, sizeof(mh.msg_flags)))
			return -EFAULT;
	}
	return r;
}

SYSCALL(recvmsg)
{
	return recvmsg_one(t, (int)ARG(0), ARG(1), (int)ARG(2));
}

SYSCALL(sendmmsg)
{
	unsigned vlen = (unsigned)ARG(2);
	if (vlen > 1024)
		vlen = 1024;
	unsigned i = (unsigned)t->sc.u[1];
	for (; i < vlen; i++) {
		uint64_t um = ARG(1) + (uint64_t)i * sizeof(struct mmsghdr);
		struct msghdr mh;
		struct uiter it;
		long r = get_msghdr(t, um, &mh, &it);
		if (!r) {
			r = do_send(t, (int)ARG(0), &it, &mh, (int)ARG(3));
			uiter_free(&it);
		}
		if (r == -EPARK) {
			if (i)
				return i; /* what went out so far */
			return r;
		}
		if (r < 0)
			return i ? (long)i : r;
		unsigned len = (unsigned)r;
		if (copy_to_user(t, um + offsetof(struct mmsghdr, msg_len), &len, sizeof(len)))
			return i ? (long)i : -EFAULT;
	}
	return vlen;
}

/*
 * recvmmsg, as Linux's do_recvmmsg: each message is a recvmsg that may
 * wait (with the socket's SO_RCVTIMEO), until vlen messages, or after the
 * first one with MSG_WAITFORONE. The timeout is checked only after each
 * message (recvmmsg(2), BUGS); a zero one ends the call after the first.
 * Across parks: t->sc.u[1] = messages received, u[2] = the end (monotonic
 * ns), u[3] = 1 when a timeout was given.
 */
SYSCALL(recvmmsg)
{
	unsigned vlen = (unsigned)ARG(2);
	int flags = (int)ARG(3);
	/* The timeout is read and checked before the descriptor. */
	if (t->sc.rerun == 0 && ARG(4)) {
		struct timespec ts;
		long e = get_timespec(t, ARG(4), &ts);
		if (e)
			return e;
		uint64_t ns = timespec_ns(&ts);
		t->sc.u[2] = ns ? kclock_mono() + ns : 0;
		t->sc.u[3] = 1;
	}
	if (vlen > 1024)
		vlen = 1024;
	if (!vlen) {
		long err;
		struct file *f;
		if (!fd_sock(t, (int)ARG(0), &f, &err))
			return err;
		file_put(f);
		return 0;
	}
	unsigned i = (unsigned)t->sc.u[1];
	int more = flags & ~MSG_WAITFORONE;
	uint64_t left = 0;
	while (i < vlen) {
		uint64_t um = ARG(1) + (uint64_t)i * sizeof(struct mmsghdr);
		long r = recvmsg_one(t, (int)ARG(0), um, more | (i && (flags & MSG_WAITFORONE) ? MSG_DONTWAIT : 0));
		if (r == -EPARK) {
			t->sc.u[1] = i;
			if (i)
				t->sc.intr = (long)i; /* a signal returns what came */
			return r;
		}
		if (r < 0)
			return i ? (long)i : r;
		unsigned len = (unsigned)r;
		if (copy_to_user(t, um + offsetof(struct mmsghdr, msg_len), &len, sizeof(len)))
			return i ? (long)i : -EFAULT;
		i++;
		if (t->sc.u[3]) {
			uint64_t now = kclock_mono();
			left = t->sc.u[2] > now ? t->sc.u[2] - now : 0;
			if (!left)
				break;
		}
		int mflags;
		struct mmsghdr *u = (struct mmsghdr *)(uintptr_t)um;
		if (copy_from_user(t, &mflags, (uint64_t)&u->msg_hdr.msg_flags, sizeof(mflags)) == 0 &&
		    (mflags & MSG_OOB))
			break;
		/* The next message waits with a fresh SO_RCVTIMEO. */
		t->sc.deadline = 0;
		t->sc.timed_out = 0;
	}
	if (i && t->sc.u[3]) {
		struct timespec ts = { (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
		if (copy_to_user(t, ARG(4), &ts, sizeof(ts)))
			return -EFAULT;
	}
	return i;
}
