/*
 * AF_INET and AF_INET6 socket files on the netstack.
 *
 * Each socket file wraps one ns_socket (ns/socket.h). Both sides keep the
 * same contract: an operation never blocks; it completes, or answers
 * -EAGAIN and names the wait queue that will fire when it may succeed.
 * The syscall layer (syscalls/sys_socket.c) parks the task on that queue
 * and runs the operation again; it also owns SO_RCVTIMEO/SO_SNDTIMEO,
 * SIGPIPE and the copies to and from application memory.
 *
 * Wake-ups: the stack calls inet_wake() from inside its own processing
 * whenever a socket's readiness may have changed, with the new poll mask.
 * The callback only wakes the socket's wait queue (tasks become runnable,
 * epoll items go on their ready lists); it never calls back into the
 * stack, as ns/socket.h requires.
 *
 * Blocking connect: the first call starts the handshake (the stack answers
 * EINPROGRESS); for a blocking file we return -EAGAIN and the queue, and
 * when the task runs again (t->sc.rerun > 0) we report the outcome from
 * the connection's state and SO_ERROR, as Linux's inet_wait_for_connect.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/errqueue.h> /* (after time.h: it needs struct timespec) */
#include <unistd.h>

#include "dns_relay.h"
#include "inet.h"
#include "ns/info.h"
#include "ns/link.h"
#include "ns/loop.h"
#include "ns/socket.h"
#include "ns/stack.h"

struct inet_sock {
	struct sock sk;
	struct list link; /* all_inet */
	struct ns_socket *ns;
	struct netns *netns; /* held: the stack of ns lives while it does */
	struct kernel *k;    /* (SIGURG from a wake-up) */
	int connecting; /* a blocking connect waits for its handshake */
	/* SIOCGSTAMP: when the last datagram was read (Linux: received;
	 * see SO_TIMESTAMP in inet_recvmsg); ENOENT before the first. */
	int stamped;
	struct timespec stamp;
};

#define I(s) ((struct inet_sock *)(s))

/* Every socket file, to name the inode behind a stack socket (/proc/net). */
static struct list all_inet = LIST_INIT(all_inet);

static const struct sock_ops inet_ops;

/* The sandbox's own stack (its network namespace, ns_sandbox_net, points
 * to it); nested namespaces make theirs in inet_netns_init. */
static struct {
	struct ns_stack *st;
	int mode;
	struct ns_loop *loop;
	struct ns_wheel *wheel;
	struct dns_relay *relay; /* Docker's resolver, relayed (or NULL) */
} net;

struct ns_stack *inet_stack(struct kernel *k, const struct task *t)
{
	return (t ? task_netns(t) : ns_sandbox_net(k))->st;
}

uint64_t inet_sock_ino(struct kernel *k, uintptr_t id)
{
	(void)k;
	struct list *l;
	list_for_each(l, &all_inet) {
		struct inet_sock *is = list_entry(l, struct inet_sock, link);
		if ((uintptr_t)is->ns == id)
			return is->sk.file && is->sk.file->inode ? is->sk.file->inode->ino : 0;
	}
	return 0;
}

/* ---- readiness ---- */

static uint32_t with_norm(uint32_t m)
{
	if (m & POLLIN)
		m |= POLLRDNORM;
	if (m & POLLOUT)
		m |= POLLWRNORM;
	return m;
}

static void inet_wake(struct ns_socket *ns, uint32_t events, void *ctx)
{
	(void)ns;
	struct inet_sock *is = ctx;
	/* a new urgent pointer: SIGURG to the file's owner (Linux's
	 * tcp_check_urg) */
	if (events & NS_EV_URGENT)
		sock_sigurg(is->k, &is->sk);
	uint32_t e = with_norm(events & ~NS_EV_URGENT);
	/* An error or a hang-up ends every kind of wait (a connect waits
	 * for POLLOUT, a reader for POLLIN): let each waiter look again. */
	if (e & (POLLERR | POLLHUP))
		e |= POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLRDHUP;
	waitq_wake(&is->sk.wq, e);
}

static uint32_t inet_poll(struct sock *s)
{
	return with_norm(ns_socket_poll(I(s)->ns));
}

/* ---- creation ---- */

static struct inet_sock *inet_wrap(struct kernel *k, struct ns_socket *ns, struct netns *netns, int family,
				   int type, int protocol)
{
	struct inet_sock *is = calloc(1, sizeof(*is));
	if (!is)
		return NULL;
	sock_init(&is->sk, &inet_ops, family, type, protocol);
	is->k = k;
	is->ns = ns;
	is->netns = netns;
	ns_get(&netns->c);
	ns_socket_set_wake(ns, inet_wake, is);
	list_add_tail(&is->link, &all_inet);
	return is;
}

int inet_create(struct task *t, int family, int type, int protocol, struct sock **out)
{
	struct netns *nn = task_netns(t);
	if (nn->mode == SANDBOX_NET_HOST)
		return hostinet_create(t, family, type, protocol, out);
	if (!nn->st)
		return -EAFNOSUPPORT;
	/* Linux inet_create / inet6_create: a raw socket needs CAP_NET_RAW
	 * in the namespace's user namespace, asked once the protocol is
	 * known good (EINVAL out of range, EPROTONOSUPPORT for 0 come
	 * first: the netstack answers those). */
	if (type == SOCK_RAW && protocol > 0 && protocol < 263 /* IPPROTO_MAX */ &&
	    !ns_capable(t, nn->c.owner, KCAP_NET_RAW))
		return -EPERM;
	struct ns_socket *ns;
	int r = ns_socket_create(nn->st, family, type, protocol, &ns);
	if (r < 0)
		return r;
	/* SO_PROTOCOL: a raw socket's own, else its type's */
	int proto = type == SOCK_RAW ? protocol : type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	struct inet_sock *is = inet_wrap(t->k, ns, nn, family, type, proto);
	if (!is) {
		ns_close(ns);
		return -ENOMEM;
	}
	*out = &is->sk;
	return 0;
}

/* ---- operations ---- */

/* Linux's net.ipv4.ip_unprivileged_port_start, at its default. */
#define INET_PROT_SOCK 1024

/* A bind to a port below INET_PROT_SOCK needs CAP_NET_BIND_SERVICE in the
 * sandbox's user namespace (Linux inet_bind, inet6_bind: EACCES). Only a
 * well-formed address of the socket's family asks; the netstack answers
 * the rest. */
static int bind_denied(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len)
{
	uint16_t port;
	if (s->family == AF_INET && len >= sizeof(struct sockaddr_in) &&
	    (a->sa_family == AF_INET ||
	     (a->sa_family == AF_UNSPEC && ((const struct sockaddr_in *)a)->sin_addr.s_addr == INADDR_ANY)))
		port = ntohs(((const struct sockaddr_in *)a)->sin_port);
	else if (s->family == AF_INET6 && len >= 24 && a->sa_family == AF_INET6) /* SIN6_LEN_RFC2133 */
		port = ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	else
		return 0;
	return port && port < INET_PROT_SOCK && !ns_capable(t, I(s)->netns->c.owner, KCAP_NET_BIND_SERVICE);
}

static int inet_bind(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len)
{
	if (bind_denied(s, t, a, len))
		return -EACCES;
	return ns_bind(I(s)->ns, a, len);
}

static int tcp_state(struct ns_socket *ns)
{
	struct ns_sock_info si;
	if (ns_socket_info(ns, &si) < 0)
		return -1;
	return si.state;
}

/* Run the stack until its links hold nothing more to deliver (owed ACKs
 * sent, looped frames taken in), for a few rounds at most. */
static void settle_local(struct ns_stack *st)
{
	for (int i = 0; i < 8 && ns_stack_flush(st); i++)
		ns_stack_poll(st);
}

static int inet_connect(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len,
			struct waitq **wq)
{
	struct inet_sock *is = I(s);
	int nonblock = s->file && (s->file->flags & O_NONBLOCK);
	int r;
	if (is->connecting && t->sc.rerun) {
		r = -EALREADY; /* our own handshake, waited for */
	} else {
		is->connecting = 0;
		r = ns_connect(is->ns, a, len);
		/* Linux's loopback takes a handshake as far as it goes
		 * before connect() returns (EINPROGRESS or not). */
		if (r == -EINPROGRESS)
			settle_local(is->netns->st);
	}
	if (s->type != SOCK_STREAM || nonblock || (r != -EINPROGRESS && r != -EALREADY))
		return r;
	/* A blocking connect waits while the handshake runs, its own or
	 * one an earlier non-blocking connect started (Linux
	 * inet_wait_for_connect). */
	int st = tcp_state(is->ns);
	if (st == TCP_SYN_SENT || st == TCP_SYN_RECV) {
		is->connecting = 1;
		*wq = &s->wq;
		return -EAGAIN;
	}
	/* The handshake ended: the outcome is what the next connect
	 * reports (Linux __inet_stream_connect after its wait), the stack's
	 * SS_CONNECTING answer: success, or the error and a socket reset.
	 * Linux's loopback finishes what the handshake set off (a FIN
	 * queued by an earlier shutdown, its ACK) before the woken task
	 * looks: so does ours. */
	settle_local(is->netns->st);
	is->connecting = 0;
	return ns_connect(is->ns, a, len);
}

static int inet_listen(struct sock *s, int backlog)
{
	return ns_listen(I(s)->ns, backlog);
}

static int inet_accept(struct sock *s, struct task *t, struct sock **out, struct waitq **wq)
{
	struct ns_socket *nns;
	int r = ns_accept(I(s)->ns, &nns, NULL, NULL);
	if (r == -EAGAIN) {
		*wq = &s->wq;
		return r;
	}
	if (r < 0)
		return r;
	struct inet_sock *is = inet_wrap(t->k, nns, I(s)->netns, s->family, s->type, s->protocol);
	if (!is) {
		ns_close(nns);
		return -ENOMEM;
	}
	is->sk.rcvtimeo = s->rcvtimeo;
	is->sk.sndtimeo = s->sndtimeo;
	sock_inherit_kept(&is->sk, s);
	*out = &is->sk;
	return 0;
}

/* Linux hands a datagram for this host to its receiver (and an ICMP
 * error back to the sender) before the sending call returns; our loopback
 * link queues it for the loop, which may run the task's next call first
 * (a quick task's next stop is taken in the same drain). Run the stack
 * over what the link holds now, for the two rounds that takes. */
static void deliver_local(struct sock *s)
{
	for (int i = 0; i < 2 && ns_stack_poll(I(s)->netns->st); i++)
		;
}

/* MSG_FASTOPEN on a TCP socket (tcp(7)): a send that connects first, as
 * Linux's tcp_sendmsg_fastopen does without a cookie (moat never has
 * one): the handshake, then the data; a send that may not wait gets
 * EINPROGRESS and sends nothing. Refused (EOPNOTSUPP) for AF_UNSPEC and
 * when net.ipv4.tcp_fastopen lacks the client's bit; otherwise connect's
 * answers (EISCONN once connected, a refusal's error). The syscall layer
 * drops the flag for the pieces after the first. */
static int inet_fastopen(struct sock *s, struct task *t, const struct kmsg *m, int flags, struct waitq **wq)
{
	struct inet_sock *is = I(s);
	char v[24] = "";
	if (ns_sysctl_read(is->netns->st, "ipv4/tcp_fastopen", v, sizeof(v)) < 0 || !(atoi(v) & 1))
		return -EOPNOTSUPP;
	if (m->addrlen >= sizeof(sa_family_t) && m->addr.ss_family == AF_UNSPEC)
		return -EOPNOTSUPP;
	const struct sockaddr *a = (const struct sockaddr *)&m->addr;
	socklen_t al = m->addrlen;
	struct sockaddr_storage peer;
	if (!al) {
		/* No address: Linux's connect goes by the state first
		 * (EISCONN but when closed), then wants one (EINVAL); a
		 * connection under way goes on as its peer's. */
		if (tcp_state(is->ns) == TCP_CLOSE)
			return -EINVAL;
		al = sizeof(peer);
		if (ns_getpeername(is->ns, (struct sockaddr *)&peer, &al) < 0)
			return -EISCONN;
		a = (const struct sockaddr *)&peer;
	}
	int r = inet_connect(s, t, a, al, wq);
	if (r == -EAGAIN && (flags & MSG_DONTWAIT))
		r = -EINPROGRESS; /* (a blocking socket's MSG_DONTWAIT) */
	return r;
}

/* The calling task, for the netstack's checks that Linux makes against
 * it (ns_socket_set_caller). */
static void inet_caller(struct sock *s, struct task *t)
{
	struct userns *owner = I(s)->netns->c.owner;
	struct ns_caller c = {
		.tid = t->tid,
		.euid = t->cred.euid,
		.net_raw = ns_capable(t, owner, KCAP_NET_RAW),
		.net_admin = ns_capable(t, owner, KCAP_NET_ADMIN),
	};
	ns_socket_set_caller(I(s)->ns, &c);
}

static ssize_t inet_sendmsg(struct sock *s, struct task *t, struct kmsg *m, int flags, struct waitq **wq)
{
	struct iovec iov = { m->data, m->len };
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if ((flags & MSG_FASTOPEN) && s->type == SOCK_STREAM) {
		int r = inet_fastopen(s, t, m, flags, wq);
		if (r)
			return r;
		flags &= ~MSG_FASTOPEN; /* (connected: the data goes without the address) */
	} else if (m->addrlen) {
		mh.msg_name = &m->addr;
		mh.msg_namelen = m->addrlen;
	}
	if (m->ctllen) {
		mh.msg_control = m->ctl;
		mh.msg_controllen = m->ctllen;
		inet_caller(s, t);
	}
	ssize_t r = ns_sendmsg(I(s)->ns, &mh, flags | MSG_DONTWAIT);
	if (r == -EAGAIN)
		*wq = &s->wq;
	if (r >= 0 && s->type != SOCK_STREAM)
		deliver_local(s);
	return r;
}

/*
 * A report read from the error queue (Linux ip_recv_error and
 * ipv6_recv_error call sock_recv_timestamp): a transmit stamp's time comes
 * from the netstack's SCM_TIMESTAMPING, the first message, by its clock
 * (CLOCK_MONOTONIC), made the wall clock's (now less the time since); an
 * ICMP error's is the time of the read, as a read's; other reports have
 * none. The socket's stamp messages (SO_TIMESTAMP's, SCM_TIMESTAMPING of
 * the _NEW type with the _NEW flag) replace the netstack's, first.
 */
static void errq_stamp(struct sock *s, char *cbuf, size_t *clen, size_t room, const struct timespec *now)
{
	struct msghdr mh = { .msg_control = cbuf, .msg_controllen = *clen };
	struct timespec when = *now;
	int how = SOCK_TS_ERRQ_UNSTAMPED;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING_OLD &&
	    c->cmsg_len == CMSG_LEN(3 * sizeof(struct timespec))) {
		struct timespec ts[3], mono;
		memcpy(ts, CMSG_DATA(c), sizeof(ts));
		clock_gettime(CLOCK_MONOTONIC, &mono);
		int64_t ago = (int64_t)(mono.tv_sec - ts[0].tv_sec) * 1000000000 + (mono.tv_nsec - ts[0].tv_nsec);
		int64_t wall = (int64_t)now->tv_sec * 1000000000 + now->tv_nsec - (ago > 0 ? ago : 0);
		when.tv_sec = (time_t)(wall / 1000000000);
		when.tv_nsec = (long)(wall % 1000000000);
		how = SOCK_TS_ERRQ;
		size_t sp = CMSG_SPACE(3 * sizeof(struct timespec));
		memmove(cbuf, cbuf + sp, *clen - sp);
		*clen -= sp;
	} else {
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;
			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) ||
			    c->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
				how = SOCK_TS_ERRQ;
		}
	}
	char ts[SOCK_TS_CMSG_ROOM];
	size_t tl = sock_timestamp_cmsg(s, &when, how, ts, sizeof(ts));
	if (tl && *clen + tl <= room) {
		memmove(cbuf + tl, cbuf, *clen);
		memcpy(cbuf, ts, tl);
		*clen += tl;
	}
}

static ssize_t inet_recvmsg(struct sock *s, struct task *t, struct kmsg *m, int flags)
{
	(void)t;
	struct iovec iov = { m->data, m->len };
	char cbuf[512] __attribute__((aligned(8)));
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &m->addr;
	mh.msg_namelen = sizeof(m->addr);
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	int dgram = s->type != SOCK_STREAM; /* (datagram and raw sockets) */
	/* The stack never waits; a datagram socket is told whether the
	 * caller would (MSG_DONTWAIT absent: a socket shut for reading then
	 * reads as end, not EAGAIN, as Linux's blocking read returns 0).
	 * The syscall layer's peek before a read is the stack's peek at the
	 * head (not at SO_PEEK_OFF, which the read leaves to move). */
	int f = (flags & ~(MSG_SENTRY_MASK | NS_MSG_HEAD)) | (dgram ? 0 : MSG_DONTWAIT) |
		(flags & MSG_SENTRY_TAKING ? NS_MSG_HEAD : 0);
	size_t copied;
	ssize_t r = ns_recvmsg_copied(I(s)->ns, &mh, f, &copied);
	if (r < 0)
		return r;
	m->addrlen = mh.msg_namelen;
	m->flags = mh.msg_flags;
	/* Datagrams: the stack returns what Linux does (with MSG_TRUNC the
	 * datagram's length), which the syscall layer returns as full_len;
	 * the bytes here are what it copied. Streams: MSG_TRUNC discards
	 * the bytes (TCP copies nothing; the syscall layer neither). */
	if (dgram) {
		m->full_len = (size_t)r;
		r = (ssize_t)copied;
	}
	/* SO_TIMESTAMP and SIOCGSTAMP: the netstack keeps no wall clock,
	 * so the stamp is taken here, when the datagram is read (it is also
	 * what ping falls back to without one). */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (dgram) {
		I(s)->stamp = now;
		I(s)->stamped = 1;
	}
	/* A TCP read that returns bytes carries the stamp too, as Linux's
	 * tcp_recv_timestamp (once the host stamps packets at all: its
	 * first segments after the option was set may come without). Only
	 * the read that takes, not the syscall layer's peek before it. */
	int stamp_it = dgram || (r > 0 && !(flags & MSG_SENTRY_TAKING));
	if (flags & MSG_ERRQUEUE) {
		errq_stamp(s, cbuf, &mh.msg_controllen, sizeof(cbuf), &now);
	} else if (stamp_it && ((s->tstamp & SOCK_TS_ON) || sock_ts_reports(s, SOCK_TS_READ))) {
		/* (first, as Linux's sock_recv_cmsgs comes before the
		 * protocol's messages) */
		char ts[SOCK_TS_CMSG_ROOM];
		size_t tl = sock_timestamp_cmsg(s, &now, SOCK_TS_READ, ts, sizeof(ts));
		if (tl && mh.msg_controllen + tl <= sizeof(cbuf)) {
			memmove(cbuf + tl, cbuf, mh.msg_controllen);
			memcpy(cbuf, ts, tl);
			mh.msg_controllen += tl;
		}
	}
	free(m->ctl);
	m->ctl = NULL;
	m->ctllen = 0;
	if (mh.msg_controllen) {
		m->ctl = malloc(mh.msg_controllen);
		if (m->ctl) {
			memcpy(m->ctl, cbuf, mh.msg_controllen);
			m->ctllen = mh.msg_controllen;
		}
	}
	return r;
}

static int inet_shutdown(struct sock *s, int how)
{
	int r = ns_shutdown(I(s)->ns, how);
	/* Linux's loopback carries what a shutdown sends (a FIN, the
	 * resets of a listener's queued connections) before it returns. */
	if (s->type == SOCK_STREAM)
		settle_local(I(s)->netns->st);
	return r;
}

static int inet_getname(struct sock *s, struct sockaddr *a, socklen_t *len, int peer)
{
	return peer ? ns_getpeername(I(s)->ns, a, len) : ns_getsockname(I(s)->ns, a, len);
}

/* SO_ATTACH_FILTER: the program (sock_filter_fetch), then the stack
 * checks its instructions. */
static int inet_attach_filter(struct sock *s, struct task *t, const void *val, socklen_t len)
{
	int locked = 0;
	socklen_t ll = sizeof(locked);
	if (ns_getsockopt(I(s)->ns, SOL_SOCKET, SO_LOCK_FILTER, &locked, &ll) < 0)
		locked = 0;
	struct sock_filter *prog;
	uint32_t n;
	int r = sock_filter_fetch(t, val, len, locked, &prog, &n);
	if (r < 0)
		return r;
	struct sock_fprog fp = { .len = (unsigned short)n, .filter = prog };
	r = ns_setsockopt(I(s)->ns, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
	free(prog);
	return r;
}

/* Options the task's capabilities decide (Linux checks after the length,
 * before the value): SO_RCVBUFFORCE and SO_SNDBUFFORCE pass the limits
 * with CAP_NET_ADMIN only, and TCP_REPAIR is set with it only; SO_PRIORITY
 * outside 0..6, IP_TRANSPARENT and IPV6_TRANSPARENT on need CAP_NET_RAW
 * or CAP_NET_ADMIN; IPv6 options headers to send, CAP_NET_RAW. */
#define IPV6_TRANSPARENT_OPT 75 /* (linux/in6.h's IPV6_TRANSPARENT) */
static int inet_force_denied(struct sock *s, struct task *t, int level, int name, const void *val, socklen_t len)
{
	struct userns *owner = I(s)->netns->c.owner;
	if (level == IPPROTO_IPV6 && s->family == AF_INET6) {
		/* Hop-by-Hop and Destination Options headers to send need
		 * CAP_NET_RAW, also to clear them (Linux checks after the
		 * length: none, or a multiple of 8 bytes up to 8 * 255) */
		if (name == IPV6_HOPOPTS || name == IPV6_DSTOPTS || name == IPV6_RTHDRDSTOPTS)
			return (len == 0 || (len % 8 == 0 && len <= 8 * 255)) && !ns_capable(t, owner, KCAP_NET_RAW);
		/* IPV6_TRANSPARENT on: as IP_TRANSPARENT, but a short value
		 * reads as 0 */
		if (name == IPV6_TRANSPARENT_OPT) {
			int v = 0;
			if (len >= (socklen_t)sizeof(int))
				memcpy(&v, val, sizeof(v));
			return v && !ns_capable(t, owner, KCAP_NET_RAW) && !ns_capable(t, owner, KCAP_NET_ADMIN);
		}
	}
	if (level == IPPROTO_IP && name == IP_TRANSPARENT && len >= 1) {
		/* turning it on needs CAP_NET_RAW or CAP_NET_ADMIN (Linux
		 * checks before the length: none is 0, then EINVAL) */
		int v = 0;
		if (len >= (socklen_t)sizeof(int))
			memcpy(&v, val, sizeof(v));
		else
			v = *(const uint8_t *)val;
		return v && !ns_capable(t, owner, KCAP_NET_RAW) && !ns_capable(t, owner, KCAP_NET_ADMIN);
	}
	/* TCP_REPAIR, any value, needs CAP_NET_ADMIN (Linux
	 * tcp_can_repair_sock(), after the length); the stack does the rest */
	if (level == IPPROTO_TCP && name == TCP_REPAIR && s->type == SOCK_STREAM && len >= (socklen_t)sizeof(int))
		return !ns_capable(t, owner, KCAP_NET_ADMIN);
	if (level != SOL_SOCKET || len < (socklen_t)sizeof(int))
		return 0;
	if (name == SO_RCVBUFFORCE || name == SO_SNDBUFFORCE)
		return !ns_capable(t, owner, KCAP_NET_ADMIN);
	if (name == SO_PRIORITY) {
		int v;
		memcpy(&v, val, sizeof(v));
		return (v < 0 || v > 6) && !ns_capable(t, owner, KCAP_NET_RAW) && !ns_capable(t, owner, KCAP_NET_ADMIN);
	}
	return 0;
}

/* SO_TIMESTAMP and its kin: the stamps are the sentry's (inet_recvmsg) */
static int is_tstamp(int level, int name)
{
	return level == SOL_SOCKET && (name == SO_TIMESTAMP || name == SO_TIMESTAMPNS || name == SO_TIMESTAMP_NEW ||
				       name == SO_TIMESTAMPNS_NEW);
}

/* SO_TIMESTAMPING: the netstack's (it stamps what is sent, and refuses
 * OPT_ID on a TCP socket not connected), then the sentry's (it reports) */
static int is_timestamping(int level, int name)
{
	return level == SOL_SOCKET && (name == SO_TIMESTAMPING_OLD || name == SO_TIMESTAMPING_NEW);
}

static int inet_setsockopt(struct sock *s, struct task *t, int level, int name, const void *val,
			   socklen_t len)
{
	/* The timeouts are the syscall layer's (it parks and wakes). */
	if (sock_is_timeo(level, name) || is_tstamp(level, name))
		return sock_setsockopt_common(s, name, val, len);
	if (is_timestamping(level, name)) {
		int r = ns_setsockopt(I(s)->ns, level, name, val, len);
		return r < 0 ? r : sock_setsockopt_common(s, name, val, len);
	}
	if (level == SOL_SOCKET && name == SO_ATTACH_FILTER)
		return inet_attach_filter(s, t, val, len);
	if (inet_force_denied(s, t, level, name, val, len))
		return -EPERM;
	if (sock_debug_denied(t, level, name, val, len))
		return -EACCES;
	if (level == IPPROTO_IPV6 || level == IPPROTO_IP)
		inet_caller(s, t); /* (IP_OPTIONS, the IPv6 headers: which it may set) */
	int r = ns_setsockopt(I(s)->ns, level, name, val, len);
	if (r == 0 && level == IPPROTO_UDP)
		deliver_local(s); /* (UDP_CORK off sent the pending datagram) */
	if (r == -ENOPROTOOPT && level == SOL_SOCKET)
		r = sock_setsockopt_common(s, name, val, len); /* (the options every family keeps) */
	return r;
}

/* linux/tcp.h's struct tcp_zerocopy_receive (glibc's has its first three
 * fields only); 64 bytes on x86-64. */
struct zc_receive {
	uint64_t address;
	uint32_t length, recv_skip_hint, inq;
	int32_t err;
	uint64_t copybuf_address;
	int32_t copybuf_len;
	uint32_t flags;
	uint64_t msg_control, msg_controllen;
	uint32_t msg_flags, reserved;
};
#define ZC_END(f) ((socklen_t)(offsetof(struct zc_receive, f) + sizeof(((struct zc_receive *)0)->f)))

/* TCP_ZEROCOPY_RECEIVE (Linux's tcp_zerocopy_receive) where no page of a
 * socket can be mapped: the sandbox refuses mmap() of a socket, so no
 * address is ever a TCP mapping. What Linux does then: a page-aligned
 * address or EINVAL; ENOTCONN on a listener; the bytes readable copied
 * to copybuf when they fit it (read as recv(MSG_DONTWAIT) reads them);
 * else, under a page of them, none mapped and recv_skip_hint telling the
 * caller to read them (EIO at the end of the stream); from a page on,
 * EINVAL (the address is no TCP mapping). Then the fields the caller's
 * length reaches: the pending error (taken) and the readable bytes as
 * TCP_INQ counts them. val holds the caller's request (*len bytes).
 * Unlike Linux, a copy with TCP_CMSG_TS asked gives no timestamp. */
static int zerocopy_receive(struct sock *s, struct task *t, void *val, socklen_t *len)
{
	struct zc_receive zc;
	socklen_t n = *len;
	if (n < ZC_END(length))
		return -EINVAL;
	if (n > sizeof(zc)) {
		/* a longer struct than ours: the rest must be zero */
		for (socklen_t i = sizeof(zc); i < n; i++)
			if (((const uint8_t *)val)[i])
				return -EINVAL;
		n = sizeof(zc);
	}
	memset(&zc, 0, sizeof(zc));
	memcpy(&zc, val, n);
	if (zc.reserved || (zc.msg_flags & ~2u /* TCP_CMSG_TS */))
		return -EINVAL;
	int32_t copybuf_len = zc.copybuf_len;
	zc.copybuf_len = 0;
	struct ns_socket *ns = I(s)->ns;
	struct ns_sock_info si;
	int r = ns_socket_info(ns, &si);
	if (r < 0)
		return r;
	if (zc.address & 4095)
		r = -EINVAL;
	else if (si.state == TCP_LISTEN)
		r = -ENOTCONN;
	uint32_t inq = si.rx_queue;
	if (!r && inq && (int64_t)inq <= copybuf_len) {
		/* copied as a read copies, and taken only once the copy is
		 * done: a bad copybuf loses nothing */
		char *buf = malloc(inq);
		if (!buf)
			return -ENOMEM;
		struct iovec iov = { buf, inq };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t got = ns_recvmsg(ns, &mh, MSG_PEEK | MSG_DONTWAIT);
		if (got > 0 && copy_to_user(t, zc.copybuf_address, buf, (size_t)got))
			got = -EFAULT;
		if (got > 0)
			got = ns_recvmsg(ns, &mh, MSG_DONTWAIT);
		free(buf);
		zc.length = 0;
		zc.recv_skip_hint = 0;
		if (got < 0)
			return (int)got;
		zc.copybuf_len = (int32_t)got;
		if (ns_socket_info(ns, &si) == 0)
			inq = si.rx_queue;
	} else if (!r && inq < 4096) {
		zc.length = 0;
		zc.recv_skip_hint = inq;
		if (!inq && si.rx_done)
			r = -EIO;
	} else if (!r) {
		r = -EINVAL;
	}
	/* TCP_CMSG_TS asks for the stamps of what was read; without a
	 * stamp (none is kept for these reads) Linux clears it too */
	zc.msg_flags = 0;
	if (*len >= ZC_END(err) && !r) {
		int e = 0;
		socklen_t el = sizeof(e);
		if (ns_getsockopt(ns, SOL_SOCKET, SO_ERROR, &e, &el) == 0)
			zc.err = -e;
	}
	if (*len >= ZC_END(inq))
		zc.inq = inq + (si.rx_done ? 1 : 0);
	if (r)
		return r;
	memcpy(val, &zc, n);
	*len = n;
	return 0;
}

static int inet_getsockopt(struct sock *s, struct task *t, int level, int name, void *val, socklen_t *len)
{
	if (sock_is_timeo(level, name) || is_tstamp(level, name) || is_timestamping(level, name))
		return sock_getsockopt_common(s, t, name, val, len);
	if (level == IPPROTO_TCP && name == TCP_ZEROCOPY_RECEIVE && s->type == SOCK_STREAM)
		return zerocopy_receive(s, t, val, len);
	int r = ns_getsockopt(I(s)->ns, level, name, val, len);
	if (r == -ENOPROTOOPT && level == SOL_SOCKET)
		r = sock_getsockopt_common(s, t, name, val, len);
	return r;
}

static long inet_ioctl(struct sock *s, struct task *t, unsigned long cmd, uint64_t arg)
{
	switch (cmd) {
	case FIONREAD:	  /* SIOCINQ */
	case TIOCOUTQ:	  /* SIOCOUTQ */
	case SIOCOUTQNSD:
	case SIOCATMARK: {
		int v = 0;
		int r = ns_socket_ioctl(I(s)->ns, cmd, &v);
		if (r < 0)
			return r;
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	}
	case SIOCGSTAMP:
	case SIOCGSTAMPNS:
	case SIOCGSTAMP_NEW:
	case SIOCGSTAMPNS_NEW: {
		/* Only datagram sockets stamp what they read (Linux: TCP's
		 * stamp stays unset). The old requests take a timeval or a
		 * timespec, the new ones two 64-bit numbers: on x86-64 the
		 * same bytes. */
		struct inet_sock *is = I(s);
		if (!is->stamped)
			return -ENOENT;
		int ns = cmd == SIOCGSTAMPNS || cmd == SIOCGSTAMPNS_NEW;
		int64_t v[2] = { is->stamp.tv_sec, ns ? is->stamp.tv_nsec : is->stamp.tv_nsec / 1000 };
		return copy_to_user(t, arg, v, sizeof(v)) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY; /* socket.c tries the interface ioctls */
	}
}

/* Linux tcp_close with SO_LINGER: the FIN goes now, and close waits while
 * the connection is in FIN-WAIT-1, CLOSING or LAST-ACK (its data and FIN
 * not yet acknowledged). Unread data or a zero linger time instead reset
 * the connection in ns_close, without waiting. */
static int inet_linger(struct sock *s, struct task *t, struct waitq **wq, uint64_t *timeout_ns)
{
	struct inet_sock *is = I(s);
	if (s->type != SOCK_STREAM)
		return 0;
	struct linger lg;
	socklen_t l = sizeof(lg);
	if (ns_getsockopt(is->ns, SOL_SOCKET, SO_LINGER, &lg, &l) < 0 || !lg.l_onoff || lg.l_linger <= 0)
		return 0;
	int st = tcp_state(is->ns);
	if (t->sc.rerun == 0) {
		int unread = 0;
		if (ns_socket_ioctl(is->ns, FIONREAD, &unread) == 0 && unread > 0)
			return 0;
		if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT)
			return 0;
		ns_shutdown(is->ns, SHUT_WR);
		st = tcp_state(is->ns);
	}
	if (st != TCP_FIN_WAIT1 && st != TCP_CLOSING && st != TCP_LAST_ACK)
		return 0;
	*wq = &s->wq;
	*timeout_ns = (uint64_t)lg.l_linger * 1000000000ull;
	return -EAGAIN;
}

static void inet_release(struct sock *s)
{
	struct inet_sock *is = I(s);
	ns_socket_set_wake(is->ns, NULL, NULL);
	ns_close(is->ns);
	ns_put(&is->netns->c);
	list_del(&is->link);
	waitq_destroy(&s->wq, POLLHUP);
	free(is);
}

/* SO_MEMINFO of a netstack socket: its buffer sizes (the netstack's, which
 * TCP sizes as Linux does), the bytes queued to read, TCP's bytes not yet
 * acknowledged, UDP's drops. Nothing waits in a device queue after a send
 * here (a packet leaves, or loops back, before the call returns), so the
 * memory written and not yet sent (Linux's wmem_alloc) is 0, as Linux's
 * is once loopback has taken a packet; no memory is reserved ahead
 * (forward alloc), and no packet waits on a socket lock (backlog). */
static void inet_meminfo(struct sock *s, uint32_t *mem)
{
	struct ns_socket *ns = I(s)->ns;
	struct ns_sock_info si;
	int v;
	socklen_t l = sizeof(v);
	if (ns_getsockopt(ns, SOL_SOCKET, SO_RCVBUF, &v, &l) == 0)
		mem[SOCK_MEM_RCVBUF] = (uint32_t)v;
	l = sizeof(v);
	if (ns_getsockopt(ns, SOL_SOCKET, SO_SNDBUF, &v, &l) == 0)
		mem[SOCK_MEM_SNDBUF] = (uint32_t)v;
	if (ns_socket_info(ns, &si) < 0)
		return;
	mem[SOCK_MEM_RMEM_ALLOC] = si.rx_queue;
	if (s->type == SOCK_STREAM && si.state != TCP_LISTEN)
		mem[SOCK_MEM_WMEM_QUEUED] = si.tx_queue;
	else if (s->type == SOCK_STREAM)
		mem[SOCK_MEM_RMEM_ALLOC] = 0; /* (a listener's rx_queue counts connections) */
	mem[SOCK_MEM_DROPS] = si.drops;
}

static const struct sock_ops inet_ops = {
	.bind = inet_bind,
	.connect = inet_connect,
	.listen = inet_listen,
	.accept = inet_accept,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
	.shutdown = inet_shutdown,
	.getname = inet_getname,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.poll = inet_poll,
	.ioctl = inet_ioctl,
	.linger = inet_linger,
	.release = inet_release,
	.meminfo = inet_meminfo,
};

/* ---- the stack ---- */

static ns_time_t pcap_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (ns_time_t)ts.tv_sec * NS_SEC + (ns_time_t)ts.tv_nsec;
}

static int add_link(struct ns_link *l, struct ns_pcap_sink *sink)
{
	if (sink) {
		struct ns_link *sn;
		int r = ns_sniffer_wrap(l, sink, pcap_clock, &sn);
		if (r < 0) {
			ns_link_destroy(l);
			return r;
		}
		l = sn;
	}
	return ns_stack_add_nic(net.st, l);
}

static void seed(uint8_t *b, size_t n)
{
	/* ISNs, SYN cookies and ephemeral ports depend on it (RFC 6528). */
	if (getentropy(b, n) != 0) {
		uint64_t x = ns_clock_now();
		for (size_t i = 0; i < n; i++)
			b[i] ^= (uint8_t)(x >> (8 * (i % 8)));
	}
}

/* A stack on net.wheel with no loopback of its own: the caller adds
 * one, as a link it can wrap (the sandbox's goes through the pcap). */
static int new_stack(struct ns_stack **out)
{
	struct ns_stack_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.wheel = net.wheel;
	sc.no_loopback = 1;
	seed(sc.secret, sizeof(sc.secret));
	int r = ns_stack_create(&sc, out);
	if (r == 0) {
		/* (the wheel runs on CLOCK_MONOTONIC: ns_loop) */
		struct timespec wall;
		clock_gettime(CLOCK_REALTIME, &wall);
		ns_time_t w = (ns_time_t)wall.tv_sec * NS_SEC + (ns_time_t)wall.tv_nsec;
		ns_stack_set_wall_offset(*out, w - ns_clock_now());
	}
	return r;
}

int inet_net_start(struct kernel *k, struct ns_loop *loop, struct ns_wheel *wheel, const struct sandbox_net *cfg)
{
	struct netns *nn = ns_sandbox_net(k);
	net.mode = cfg ? cfg->mode : SANDBOX_NET_LOOPBACK;
	net.loop = loop;
	net.wheel = wheel;
	nn->mode = net.mode;
	if (net.mode == SANDBOX_NET_HOST) {
		hostinet_set_loop(loop);
		return 0;
	}
	int r = new_stack(&net.st);
	if (r < 0) {
		fprintf(stderr, "moat: netstack: %s\n", strerror(-r));
		return r;
	}
	struct ns_pcap_sink *sink = cfg ? cfg->pcap : NULL;
	for (int i = 0; cfg && i < cfg->nsets; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s", cfg->sets[i]);
		char *eq = strchr(buf, '=');
		if (!eq) {
			fprintf(stderr, "moat: network setting '%s': expected KEY=VALUE\n", cfg->sets[i]);
			goto fail_einval;
		}
		*eq = 0;
		if ((r = ns_stack_set_option(net.st, buf, eq + 1)) < 0) {
			fprintf(stderr, "moat: network setting '%s': %s\n", cfg->sets[i],
				r == -ENOENT ? "unknown setting" : "bad value");
			goto fail;
		}
	}
	struct ns_link *lo;
	if ((r = ns_loopback_link_create(&lo)) < 0)
		goto fail;
	int lo_id = add_link(lo, sink);
	struct ns_ip lo4 = ns_ip4(0x7f000001);
	if (lo_id < 0 || (r = ns_stack_add_addr(net.st, lo_id, &lo4, 8)) < 0) {
		r = lo_id < 0 ? lo_id : r;
		goto fail;
	}
	for (int i = 0; cfg && i < cfg->nnics; i++) {
		const struct sandbox_nic *n = &cfg->nics[i];
		int id = add_link(n->link, sink);
		if (id < 0) {
			r = id;
			fprintf(stderr, "moat: network interface: %s\n", strerror(-r));
			goto fail;
		}
		for (int a = 0; a < n->naddrs; a++) {
			struct ns_ip ip;
			unsigned pl;
			if (ns_cidr_parse(n->addrs[a], &ip, &pl) < 0) {
				fprintf(stderr, "moat: bad address '%s'\n", n->addrs[a]);
				goto fail_einval;
			}
			if ((r = ns_stack_add_addr(net.st, id, &ip, pl)) < 0) {
				fprintf(stderr, "moat: address %s: %s\n", n->addrs[a], strerror(-r));
				goto fail;
			}
		}
	}
	for (int i = 0; cfg && i < cfg->ngateways; i++) {
		struct ns_ip g, any;
		if (ns_ip_parse(cfg->gateways[i], &g) < 0) {
			fprintf(stderr, "moat: bad gateway '%s'\n", cfg->gateways[i]);
			goto fail_einval;
		}
		memset(&any, 0, sizeof(any));
		any.family = g.family;
		if ((r = ns_stack_add_route(net.st, &any, 0, &g, 0)) < 0) {
			fprintf(stderr, "moat: gateway %s: %s\n", cfg->gateways[i], strerror(-r));
			goto fail;
		}
	}
	if ((r = ns_loop_attach_stack(loop, net.st)) < 0)
		goto fail;
	nn->st = net.st;
	if (cfg && cfg->dns_relay_addr && cfg->dns_relay_fd >= 0) {
		struct ns_ip ra;
		if (ns_ip_parse(cfg->dns_relay_addr, &ra) < 0 ||
		    (r = dns_relay_start(net.st, loop, cfg->dns_relay_fd, &ra, &net.relay)) < 0) {
			fprintf(stderr, "moat: DNS relay on %s: %s\n", cfg->dns_relay_addr,
				strerror(r < 0 ? -r : EINVAL));
			goto fail;
		}
	}
	return 0;
fail_einval:
	r = -EINVAL;
fail:
	ns_loop_detach_stack(loop, net.st);
	ns_stack_destroy(net.st);
	net.st = NULL;
	nn->st = NULL;
	return r;
}

/* A network namespace made inside the sandbox: a stack of its own with a
 * loopback interface, on the same loop and timers. As in a new namespace
 * on Linux, lo starts down and without addresses; bringing it up gives it
 * 127.0.0.1/8 and ::1 (ns_stack_nic_set_up). */
int inet_netns_init(struct netns *n)
{
	n->mode = SANDBOX_NET_LOOPBACK;
	if (!net.loop)
		return -EINVAL; /* (no stack was started: unit tests) */
	struct ns_stack *st;
	int r = new_stack(&st);
	if (r < 0)
		return r;
	struct ns_link *lo;
	if ((r = ns_loopback_link_create(&lo)) < 0)
		goto fail;
	int id = ns_stack_add_nic(st, lo);
	if (id < 0 || (r = ns_stack_nic_start_down(st, id)) < 0) {
		r = id < 0 ? id : r;
		goto fail;
	}
	if ((r = ns_loop_attach_stack(net.loop, st)) < 0) {
		ns_loop_detach_stack(net.loop, st);
		goto fail;
	}
	n->st = st;
	return 0;
fail:
	ns_stack_destroy(st);
	return r;
}

void inet_netns_fini(struct netns *n)
{
	if (!n->nested || !n->st)
		return;
	ns_loop_detach_stack(net.loop, n->st);
	ns_stack_destroy(n->st);
	n->st = NULL;
}

void inet_net_stop(struct kernel *k)
{
	(void)k;
	dns_relay_stop(net.relay);
	net.relay = NULL;
	if (net.st)
		ns_stack_destroy(net.st);
	net.st = NULL;
}
