/*
 * AF_UNIX sockets, entirely inside the sentry (unix(7)): SOCK_STREAM,
 * SOCK_SEQPACKET and SOCK_DGRAM; socketpair; path names (a socket inode in
 * the sandbox's VFS) and abstract names (a sentry-wide table); autobind;
 * SCM_RIGHTS (the sentry's own open files travel with the message),
 * SCM_CREDENTIALS and SCM_PIDFD; SO_PEERCRED, SO_PASSCRED, SO_PASSPIDFD,
 * SO_PASSRIGHTS.
 *
 * Data sits on the receiver's queue as buffers ("skbs"); a sender may add
 * while the receiver's queued bytes stay under its receive buffer size,
 * otherwise it parks on the receiver's wait queue, which the receiver
 * wakes with POLLOUT as it consumes.
 *
 * Lifetime: a socket is referenced by its file, by its connected peer and
 * by a listener's accept queue; names point at it without a reference and
 * are cleared when it is released. Descriptors in flight in a queue that
 * is never read are released with the queue; a cycle of sockets passing
 * each other through their own queues is not collected.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "ns/bpf.h"	  /* (SO_ATTACH_FILTER: Linux's classic BPF, shared with the netstack) */
#include "ns/info.h"
#include "ns/socket.h" /* (the peek offset's arithmetic, shared with the netstack) */
#include "ns/stack.h"
#include "socket.h"
#include "../syscalls/syscalls.h" /* (pidfd_install: SO_PEERPIDFD) */


enum ustate { US_UNCONN, US_LISTEN, US_CONNECTED, US_DISCONNECTED };

struct skb {
	struct list link;
	char *data;
	size_t len, off;
	struct file **fds;
	int nfds;
	struct ucred cred;
	uint64_t pid_start; /* the start time of cred.pid's process (SCM_PIDFD) */
	struct sockaddr_un from;
	socklen_t fromlen;
	int peeked; /* an empty datagram a peek returned (ns_peek_off_passes) */
	/* the sender, charged for the buffer until it is read (Linux's
	 * skb_set_owner_w: a unix message counts in its sender's write
	 * memory, SO_MEMINFO's, not the receiver's read memory): a
	 * reference, which keeps a closed sender's counter until then */
	struct usock *owner;
};

struct usock {
	struct sock base;
	uint32_t ref;
	enum ustate state;
	struct usock *peer;
	struct list rcvq;
	size_t rcvq_bytes;
	/* Linux's sk_shutdown: our own shutdown(2) and, on a connection,
	 * what the peer's did to us (its SHUT_WR shuts our reading side,
	 * its SHUT_RD our writing side; its close both). */
	int rcv_shut, snd_shut;
	int err; /* SO_ERROR: ECONNRESET when a peer closed on unread data */
	struct list acceptq;	/* embryos: struct usock via alink */
	struct list alink;
	int backlog, nacc;
	struct usock *listener; /* embryo: who holds us */
	struct sockaddr_un addr;
	socklen_t addrlen;	/* 0: unbound */
	struct inode *bound;	/* path name: its inode */
	int passcred;
	int passpidfd;	/* SO_PASSPIDFD: SCM_PIDFD on every message read */
	int passrights; /* SO_PASSRIGHTS (on unless turned off): off, a sender of descriptors gets EPERM */
	size_t wmem;	/* bytes of ours in receivers' queues, unread (skb.owner) */
	struct ucred owncred;	/* recorded at bind: what connectors see */
	struct ucred peercred;
	int has_peercred;
	uint64_t own_start, peer_start; /* their processes' start times (SO_PEERPIDFD) */
	/* the supplementary groups of owncred's and peercred's task
	 * (SO_PEERGROUPS) */
	int nowngroups, npeergroups;
	gid_t owngroups[32], peergroups[32];
	struct list ab_link;	/* abstract name table */
	uint64_t netns;		/* its network namespace (ns.h ino): abstract names are per namespace */
	/* A stream's out-of-band byte (Linux's oob_skb): the last byte of
	 * the newest send(MSG_OOB), a buffer of its own in rcvq, or NULL.
	 * Read with MSG_OOB it stays queued, empty (off == len), as the
	 * mark until a read passes it. */
	struct skb *oob;
	int peek_off; /* SO_PEEK_OFF (ns/socket.h), below 0: off */
	/* SO_ATTACH_FILTER: a classic BPF program run over each datagram
	 * (and seqpacket message) sent to this socket, as Linux's
	 * unix_dgram_sendmsg runs sk_filter: 0 drops it (the sender is not
	 * told), fewer bytes than it has cut it. Streams are not filtered,
	 * as on Linux. SO_LOCK_FILTER forbids changing it. */
	struct sock_filter *filter;
	uint32_t filter_len;
	int filter_locked;
};

static struct list abstract_names = LIST_INIT(abstract_names);
static const struct sock_ops unix_ops;

#define U(s) ((struct usock *)(s))

static void u_get(struct usock *u)
{
	u->ref++;
}

static void u_put(struct usock *u);

/* What a queued buffer charges its sender: its bytes and its header, so
 * that an empty message counts too (Linux charges an skb's truesize). */
static size_t skb_charge(const struct skb *b)
{
	return b->len + sizeof(*b);
}

static void skb_free(struct skb *b)
{
	for (int i = 0; i < b->nfds; i++)
		file_put(b->fds[i]);
	free(b->fds);
	free(b->data);
	if (b->owner) {
		b->owner->wmem -= skb_charge(b);
		u_put(b->owner);
	}
	free(b);
}

static void purge(struct usock *u)
{
	while (!list_empty(&u->rcvq)) {
		struct skb *b = list_entry(u->rcvq.next, struct skb, link);
		list_del(&b->link);
		skb_free(b);
	}
	u->rcvq_bytes = 0;
	u->oob = NULL;
}

static void u_put(struct usock *u)
{
	if (--u->ref)
		return;
	purge(u);
	free(u->filter);
	waitq_destroy(&u->base.wq, POLLHUP);
	free(u);
}

static struct usock *u_alloc(int type, int protocol)
{
	struct usock *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	sock_init(&u->base, &unix_ops, AF_UNIX, type, protocol);
	u->ref = 1;
	u->peek_off = -1;
	u->passrights = 1;
	list_init(&u->rcvq);
	list_init(&u->acceptq);
	list_init(&u->alink);
	list_init(&u->ab_link);
	return u;
}

static int conn_oriented(struct usock *u)
{
	return u->base.type == SOCK_STREAM || u->base.type == SOCK_SEQPACKET;
}

/* Linux unix_may_send(): a datagram socket connected to another takes
 * datagrams from that one only (its peer may be gone: it keeps it until
 * it sends itself). */
static int may_send(struct usock *from, struct usock *to)
{
	return !to->peer || to->peer == from;
}

/* The pending error, reported once (SO_ERROR, a read, a seqpacket send). */
static int take_err(struct usock *u)
{
	int e = u->err;
	u->err = 0;
	return e;
}

int unix_create(struct task *t, int type, int protocol, struct sock **out)
{
	if (type == SOCK_RAW)
		type = SOCK_DGRAM; /* as Linux's unix_create */
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0 && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	struct usock *u = u_alloc(type, 0);
	if (!u)
		return -ENOMEM;
	u->netns = task_netns(t)->c.ino;
	*out = &u->base;
	return 0;
}

static void set_cred(struct ucred *c, struct task *t)
{
	c->pid = t->tg->tgid;
	c->uid = t->cred.euid;
	c->gid = t->cred.egid;
}

/* t's credentials as u's peer's: SO_PEERCRED's and SO_PEERGROUPS' */
static void set_peer(struct usock *u, struct task *t)
{
	set_cred(&u->peercred, t);
	u->peer_start = t->tg->start_ns;
	u->npeergroups = t->cred.ngroups;
	memcpy(u->peergroups, t->cred.groups, sizeof(gid_t) * (size_t)t->cred.ngroups);
	u->has_peercred = 1;
}

static void connect_pair(struct usock *a, struct usock *b)
{
	u_get(b);
	a->peer = b;
	u_get(a);
	b->peer = a;
	a->state = b->state = US_CONNECTED;
}

int unix_pair(struct task *t, int type, int protocol, struct sock **sa, struct sock **sb)
{
	struct sock *x, *y;
	int e = unix_create(t, type, protocol, &x);
	if (e)
		return e;
	e = unix_create(t, type, protocol, &y);
	if (e) {
		u_put(U(x));
		return e;
	}
	connect_pair(U(x), U(y));
	set_peer(U(x), t);
	set_peer(U(y), t);
	*sa = x;
	*sb = y;
	return 0;
}

/* ---- names ---- */

static int is_abstract(const struct sockaddr_un *a, socklen_t len)
{
	return len > (socklen_t)offsetof(struct sockaddr_un, sun_path) && a->sun_path[0] == 0;
}

static struct usock *abstract_lookup(uint64_t netns, const struct sockaddr_un *a, socklen_t len, int type)
{
	struct list *l;
	list_for_each(l, &abstract_names)
	{
		struct usock *u = list_entry(l, struct usock, ab_link);
		if (u->netns == netns && u->addrlen == len && !memcmp(&u->addr, a, len) &&
		    (type < 0 || u->base.type == type))
			return u;
	}
	return NULL;
}

static void unix_ipc_release(struct inode *i)
{
	struct usock *u = i->ipc;
	i->ipc = NULL;
	if (u)
		u->bound = NULL;
}

static int path_of(const struct sockaddr_un *a, socklen_t len, char *buf)
{
	size_t n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(a->sun_path))
		n = sizeof(a->sun_path);
	memcpy(buf, a->sun_path, n);
	buf[n] = 0;
	if (!buf[0])
		return -EINVAL;
	return 0;
}

static int autobind(struct usock *u)
{
	static unsigned next = 0;
	for (int tries = 0; tries < 0x100000; tries++) {
		struct sockaddr_un a;
		memset(&a, 0, sizeof(a));
		a.sun_family = AF_UNIX;
		snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%05x", next++ & 0xfffff);
		socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6);
		if (!abstract_lookup(u->netns, &a, len, u->base.type)) {
			u->addr = a;
			u->addrlen = len;
			list_add_tail(&u->ab_link, &abstract_names);
			return 0;
		}
	}
	return -EADDRINUSE;
}

static int u_bind(struct sock *s, struct task *t, const struct sockaddr *sa, socklen_t len)
{
	struct usock *u = U(s);
	const struct sockaddr_un *a = (const struct sockaddr_un *)sa;
	if (len < (socklen_t)sizeof(sa_family_t) || len > (socklen_t)sizeof(struct sockaddr_un))
		return -EINVAL;
	if (a->sun_family != AF_UNIX)
		return -EINVAL;
	if (u->addrlen)
		return -EINVAL; /* already bound */
	set_cred(&u->owncred, t);
	u->own_start = t->tg->start_ns;
	u->nowngroups = t->cred.ngroups;
	memcpy(u->owngroups, t->cred.groups, sizeof(gid_t) * (size_t)t->cred.ngroups);
	if (len == sizeof(sa_family_t))
		return autobind(u);
	if (is_abstract(a, len)) {
		/* Linux keeps each type's abstract names apart: the same name
		 * may be bound once per type. */
		if (abstract_lookup(u->netns, a, len, u->base.type))
			return -EADDRINUSE;
		memcpy(&u->addr, a, len);
		u->addrlen = len;
		list_add_tail(&u->ab_link, &abstract_names);
		return 0;
	}
	char path[sizeof(a->sun_path) + 1];
	int e = path_of(a, len, path);
	if (e)
		return e;
	e = vfs_mknod(t, AT_FDCWD, path, S_IFSOCK | (0777 & ~t->fs->umask), 0);
	if (e == -EEXIST)
		return -EADDRINUSE;
	if (e)
		return e;
	struct nameidata nd;
	e = namei(t, AT_FDCWD, path, 0, &nd);
	if (e)
		return e;
	struct inode *i = nd.path.dentry->inode;
	i->ipc = u;
	i->ipc_release = unix_ipc_release;
	u->bound = i;
	path_put(&nd.path);
	/* The address keeps the name as given (unix(7)). */
	memset(&u->addr, 0, sizeof(u->addr));
	u->addr.sun_family = AF_UNIX;
	memcpy(u->addr.sun_path, path, strnlen(path, sizeof(u->addr.sun_path) - 1));
	u->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	return 0;
}

/* Find the socket an address names. */
static int addr_check(const struct sockaddr *sa, socklen_t len)
{
	if (len <= (socklen_t)sizeof(sa_family_t) || len > (socklen_t)sizeof(struct sockaddr_un))
		return -EINVAL;
	return sa->sa_family == AF_UNIX ? 0 : -EINVAL;
}

static int lookup_addr(struct task *t, const struct sockaddr *sa, socklen_t len, int type, struct usock **out)
{
	const struct sockaddr_un *a = (const struct sockaddr_un *)sa;
	int bad = addr_check(sa, len);
	if (bad)
		return bad;
	if (is_abstract(a, len)) {
		/* Linux looks abstract names up with the type: another type's
		 * socket is nobody (ECONNREFUSED); a path's is EPROTOTYPE. */
		struct usock *u = abstract_lookup(task_netns(t)->c.ino, a, len, type);
		if (!u)
			return -ECONNREFUSED;
		*out = u;
		return 0;
	}
	char path[sizeof(a->sun_path) + 1];
	int e = path_of(a, len, path);
	if (e)
		return e;
	struct nameidata nd;
	e = namei(t, AT_FDCWD, path, LOOKUP_FOLLOW, &nd);
	if (e)
		return e;
	struct inode *i = nd.path.dentry->inode;
	e = vfs_permission(t, i, MAY_WRITE);
	struct usock *u = S_ISSOCK(i->mode) ? i->ipc : NULL;
	path_put(&nd.path);
	if (e)
		return e;
	if (!u)
		return -ECONNREFUSED;
	if (u->base.type != type)
		return -EPROTOTYPE;
	*out = u;
	return 0;
}

/* ---- connection ---- */

static int u_listen(struct sock *s, int backlog)
{
	struct usock *u = U(s);
	if (!conn_oriented(u))
		return -EOPNOTSUPP;
	if (u->state == US_CONNECTED)
		return -EINVAL;
	if (!u->addrlen)
		return -EINVAL;
	if (backlog < 0)
		backlog = 0;
	if (backlog > 4096)
		backlog = 4096;
	u->backlog = backlog;
	u->state = US_LISTEN;
	return 0;
}

static int u_connect(struct sock *s, struct task *t, const struct sockaddr *sa, socklen_t len, struct waitq **wq)
{
	struct usock *u = U(s);
	if (len >= (socklen_t)sizeof(sa_family_t) && sa->sa_family == AF_UNSPEC && !conn_oriented(u)) {
		/* dgram: dissolve the association */
		if (u->peer) {
			u_put(u->peer);
			u->peer = NULL;
		}
		u->state = US_UNCONN;
		return 0;
	}
	/* Linux: SO_PASSCRED (or SO_PASSPIDFD) names the socket before the
	 * peer is looked up, so a connect that fails leaves it bound all the
	 * same. */
	int bad = addr_check(sa, len);
	if (bad)
		return bad;
	if (!u->addrlen && (u->passcred || u->passpidfd))
		autobind(u);
	struct usock *srv;
	int e = lookup_addr(t, sa, len, u->base.type, &srv);
	if (e)
		return e;
	if (!conn_oriented(u)) {
		if (!may_send(u, srv))
			return -EPERM;
		if (u->peer)
			u_put(u->peer);
		u_get(srv);
		u->peer = srv;
		u->state = US_CONNECTED;
		return 0;
	}
	/* Linux unix_stream_connect(): the listener is checked (listening,
	 * not shut for reading) before the connecting socket's own state. */
	if (srv->state != US_LISTEN || srv->rcv_shut)
		return -ECONNREFUSED;
	if (u->state == US_CONNECTED)
		return -EISCONN;
	if (u->state == US_LISTEN)
		return -EINVAL;
	if (srv->nacc > srv->backlog) {
		*wq = &srv->base.wq;
		return -EAGAIN;
	}
	struct usock *emb = u_alloc(u->base.type, 0);
	if (!emb)
		return -ENOMEM;
	emb->netns = srv->netns;
	connect_pair(u, emb);
	/* The embryo has the listener's name; credentials both ways. */
	emb->addr = srv->addr;
	emb->addrlen = srv->addrlen;
	/* SO_PEERCRED: the client sees the listener's credentials, the
	 * accepted socket the client's, both as of connect(). */
	u->peercred = srv->owncred;
	u->peer_start = srv->own_start;
	u->npeergroups = srv->nowngroups;
	memcpy(u->peergroups, srv->owngroups, sizeof(srv->owngroups));
	u->has_peercred = 1;
	set_peer(emb, t);
	/* Linux: the listener's SO_PASS* flags, no others */
	emb->passcred = srv->passcred;
	emb->passpidfd = srv->passpidfd;
	emb->passrights = srv->passrights;
	emb->listener = srv;
	u_get(emb); /* the accept queue's reference */
	list_add_tail(&emb->alink, &srv->acceptq);
	srv->nacc++;
	u_put(emb); /* drop the allocation reference; queue + client's peer hold it */
	waitq_wake(&srv->base.wq, POLLIN | POLLRDNORM);
	return 0;
}

static int u_accept(struct sock *s, struct task *t, struct sock **out, struct waitq **wq)
{
	(void)t;
	struct usock *u = U(s);
	if (!conn_oriented(u))
		return -EOPNOTSUPP;
	if (u->state != US_LISTEN)
		return -EINVAL;
	if (list_empty(&u->acceptq)) {
		*wq = &u->base.wq;
		return -EAGAIN;
	}
	struct usock *emb = list_entry(u->acceptq.next, struct usock, alink);
	list_del(&emb->alink);
	u->nacc--;
	emb->listener = NULL;
	waitq_wake(&u->base.wq, POLLOUT); /* room in the backlog */
	*out = &emb->base; /* the queue's reference goes to the new file */
	return 0;
}

/* ---- data ---- */

static size_t room(struct usock *rcv)
{
	size_t cap = (size_t)rcv->base.rcvbuf;
	return rcv->rcvq_bytes >= cap ? 0 : cap - rcv->rcvq_bytes;
}

/* Queues n bytes of m's data from `at` as one buffer (*out: it). */
static ssize_t enqueue_at(struct usock *to, struct usock *from, struct task *t, struct kmsg *m,
			  size_t at, size_t n, struct skb **out)
{
	struct skb *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOBUFS;
	b->data = malloc(n ? n : 1);
	if (!b->data) {
		free(b);
		return -ENOBUFS;
	}
	memcpy(b->data, m->data + at, n);
	b->len = n;
	if (m->nfds) {
		b->fds = m->fds;
		b->nfds = m->nfds;
		m->fds = NULL;
		m->nfds = 0;
	}
	/* SCM_PIDFD names the process of the credentials' pid, a forged
	 * one included (Linux looks it up at the send) */
	b->pid_start = t->tg->start_ns;
	if (m->has_cred) {
		b->cred = m->cred;
		struct thread_group *g = b->cred.pid != t->tg->tgid ? tg_lookup(t->k, b->cred.pid) : NULL;
		if (g)
			b->pid_start = g->start_ns;
	} else {
		set_cred(&b->cred, t);
	}
	if (from) {
		u_get(from);
		b->owner = from;
		from->wmem += skb_charge(b);
	}
	if (from && from->addrlen) {
		b->from = from->addr;
		b->fromlen = from->addrlen;
	}
	list_add_tail(&b->link, &to->rcvq);
	to->rcvq_bytes += n;
	if (out)
		*out = b;
	waitq_wake(&to->base.wq, POLLIN | POLLRDNORM);
	return (ssize_t)n;
}

static ssize_t enqueue(struct usock *to, struct usock *from, struct task *t, struct kmsg *m, size_t n)
{
	return enqueue_at(to, from, t, m, 0, n, NULL);
}

/* A datagram or seqpacket message through the receiver's filter: the
 * program sees the message's bytes from offset 0, with no network or
 * link header and no interface (Linux's skb of a unix socket). Dropped,
 * the send still reports every byte sent and the descriptors it carried
 * are closed with it (m's, released by the caller). */
static ssize_t enqueue_filtered(struct usock *to, struct usock *from, struct task *t, struct kmsg *m)
{
	size_t n = m->len;
	if (to->filter) {
		struct ns_bpf_pkt pk = { .base = (const uint8_t *)m->data, .base_len = (uint32_t)m->len,
					 .nh = -1, .mac = -1, .poff = 0 };
		uint32_t keep = ns_bpf_run(to->filter, &pk);
		if (!keep)
			return (ssize_t)m->len;
		if (keep < n)
			n = keep;
	}
	ssize_t r = enqueue(to, from, t, m, n);
	return r < 0 ? r : (ssize_t)m->len;
}

/* send(MSG_OOB) on a stream (Linux's unix_stream_sendmsg with
 * CONFIG_AF_UNIX_OOB): all but the last byte as data, then the last as
 * a buffer of its own that becomes the peer's out-of-band byte (an older
 * one unread stays in the stream as data); the peer's owner gets SIGURG.
 * The byte does not wait for room (Linux's does not either); the data
 * before it does, and a short write of it sends no byte out of band. */
static ssize_t send_oob(struct usock *u, struct usock *p, struct task *t, struct kmsg *m,
			struct waitq **wq)
{
	size_t lead = m->len - 1, r = room(p);
	if (lead && !r) {
		*wq = &p->base.wq;
		return -EAGAIN;
	}
	if (lead > r)
		return enqueue(p, u, t, m, r);
	ssize_t n = lead ? enqueue(p, u, t, m, lead) : 0;
	if (n < 0)
		return n;
	struct skb *b;
	ssize_t e = enqueue_at(p, u, t, m, lead, 1, &b);
	if (e < 0)
		return n ? n : e;
	/* an older byte already read stops being a mark (Linux) */
	struct skb *old = p->oob;
	if (old && old->off == old->len) {
		list_del(&old->link);
		skb_free(old);
	}
	p->oob = b;
	waitq_wake(&p->base.wq, POLLPRI | POLLRDBAND);
	sock_sigurg(t->k, &p->base);
	return n + 1;
}

static ssize_t u_sendmsg(struct sock *s, struct task *t, struct kmsg *m, int flags, struct waitq **wq)
{
	struct usock *u = U(s);
	/* Linux's order of checks: a seqpacket socket must be connected
	 * and ignores an address; a datagram (and seqpacket) socket has no
	 * out-of-band data; a stream refuses an address before anything. */
	if (u->base.type == SOCK_SEQPACKET) {
		if (u->err)
			return -take_err(u);
		if (u->state != US_CONNECTED)
			return -ENOTCONN;
		m->addrlen = 0;
	}
	if (u->base.type == SOCK_STREAM && m->addrlen)
		return u->state == US_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	/* Out-of-band data: a stream's last byte (send_oob), never none */
	if ((flags & MSG_OOB) && (u->base.type != SOCK_STREAM || !m->len))
		return -EOPNOTSUPP;
	if (conn_oriented(u)) {
		if (u->state != US_CONNECTED)
			return -ENOTCONN;
		struct usock *p = u->peer;
		if (u->snd_shut || !p || p->rcv_shut)
			return -EPIPE;
		/* SO_PASSRIGHTS off: Linux refuses the whole message (a
		 * stream's empty one sends nothing, so nothing is refused) */
		if (m->nfds && !p->passrights && (m->len || u->base.type == SOCK_SEQPACKET))
			return -EPERM;
		if (u->base.type == SOCK_SEQPACKET) {
			if (m->len > (size_t)p->base.rcvbuf)
				return -EMSGSIZE;
			if (room(p) < m->len && p->rcvq_bytes) {
				*wq = &p->base.wq;
				return -EAGAIN;
			}
			return enqueue_filtered(p, u, t, m);
		}
		if (flags & MSG_OOB)
			return send_oob(u, p, t, m, wq);
		size_t r = room(p);
		if (!r && m->len) {
			*wq = &p->base.wq;
			return -EAGAIN;
		}
		size_t n = m->len < r ? m->len : r;
		/* A stream carries bytes: zero of them queue nothing (Linux's
		 * loop sends no skb, ancillary data included); an empty skb
		 * read as end of file on the other side. */
		if (!n)
			return 0;
		return enqueue(p, u, t, m, n);
	}
	/* datagram: Linux checks the address's form, then the shutdown,
	 * then looks for the receiver */
	if (m->addrlen) {
		int bad = addr_check((struct sockaddr *)&m->addr, m->addrlen);
		if (bad)
			return bad;
	}
	if (u->snd_shut)
		return -EPIPE;
	struct usock *to = NULL;
	if (!m->addrlen && !u->peer)
		return -ENOTCONN;
	if (!u->addrlen && (u->passcred || u->passpidfd))
		autobind(u); /* (before the lookup, as connect) */
	if (m->addrlen) {
		int e = lookup_addr(t, (struct sockaddr *)&m->addr, m->addrlen, SOCK_DGRAM, &to);
		if (e)
			return e;
	} else {
		to = u->peer;
	}
	if (to == u->peer && to->state == US_DISCONNECTED) {
		/* Linux: the peer we were connected to is gone; sending finds
		 * out (ECONNREFUSED) and leaves us unconnected (ENOTCONN). */
		u_put(to);
		u->peer = NULL;
		u->state = US_UNCONN;
		return -ECONNREFUSED;
	}
	if (!may_send(u, to))
		return -EPERM;
	if (to->rcv_shut)
		return -EPIPE;
	if (m->nfds && !to->passrights)
		return -EPERM;
	if (m->len > (size_t)to->base.rcvbuf)
		return -EMSGSIZE;
	if (room(to) < m->len && to->rcvq_bytes) {
		*wq = &to->base.wq;
		return -EAGAIN;
	}
	return enqueue_filtered(to, u, t, m);
}

static int fds_attach(struct kmsg *m, struct skb *b)
{
	m->fds = b->fds;
	m->nfds = b->nfds;
	b->fds = NULL;
	b->nfds = 0;
	return 0;
}

/* Linux's unix_skb_scm_eq: one writer's credentials (and process) */
static int same_writer(const struct skb *a, const struct skb *b)
{
	return a->cred.pid == b->cred.pid && a->pid_start == b->pid_start && a->cred.uid == b->cred.uid &&
	       a->cred.gid == b->cred.gid;
}

/* recv(MSG_OOB) on a stream (Linux's unix_stream_recv_urg): the
 * out-of-band byte, once; EINVAL when there is none or SO_OOBINLINE
 * keeps it in the stream. Read, it stays queued, empty, as the mark. */
static ssize_t recv_oob(struct usock *u, struct kmsg *m, int peek)
{
	struct skb *b = u->oob;
	if (!b || b->off == b->len || u->base.oobinline)
		return -EINVAL;
	m->flags |= MSG_OOB;
	if (!m->len)
		return 0;
	m->data[0] = b->data[b->off];
	if (!peek) {
		b->off++;
		u->rcvq_bytes--;
		if (u->peer)
			waitq_wake(&u->peer->base.wq, POLLOUT | POLLWRNORM);
	}
	return 1;
}

/* A peek of the application's (not the socket layer's before a read,
 * MSG_SENTRY_TAKING) with SO_PEEK_OFF on. */
static int peek_at_off(struct usock *u, int flags)
{
	return (flags & MSG_PEEK) && !(flags & MSG_SENTRY_TAKING) && u->peek_off >= 0;
}

/* A stream's out-of-band byte that reads pass (read, or not in line). */
static int oob_passed(struct usock *u, struct skb *b)
{
	return b == u->oob && (b->off == b->len || !u->base.oobinline);
}

/* The buffer a receive begins in, and how far into its unread bytes
 * (*skip): the head, but for a peek at SO_PEEK_OFF, which a stream counts
 * in bytes across buffers and a datagram socket in whole datagrams and
 * then bytes of the next (ns_peek_off_passes). NULL when the queue is
 * empty or the offset past all of it (Linux: as an empty queue). Linux
 * passes an out-of-band byte at the head before it counts (manage_oob),
 * but counts one further on as a byte, and peeks it as data when the
 * offset lands on it (unix_stream_read_generic). */
static struct skb *recv_start(struct usock *u, int flags, size_t *skip)
{
	*skip = 0;
	if (list_empty(&u->rcvq))
		return NULL;
	if (!peek_at_off(u, flags))
		return list_entry(u->rcvq.next, struct skb, link);
	size_t k = (size_t)u->peek_off;
	struct list *l;
	list_for_each(l, &u->rcvq)
	{
		struct skb *b = list_entry(l, struct skb, link);
		if (l == u->rcvq.next && oob_passed(u, b))
			continue;
		size_t avail = b->len - b->off;
		if (u->base.type == SOCK_STREAM ? k < avail : !ns_peek_off_passes(k, avail, b->peeked)) {
			*skip = k;
			return b;
		}
		k -= avail;
	}
	return NULL;
}

/* SO_TIMESTAMP and its kin on a datagram or seqpacket socket (Linux
 * stamps no unix stream read): the time of the read, as Linux's, which
 * stamps the message when the reader takes it. SO_TIMESTAMPING's message
 * comes only with SO_TIMESTAMP's (Linux unix_dgram_recvmsg asks for the
 * stamps when SO_TIMESTAMP is on, not for SO_TIMESTAMPING alone). */
static void put_tstamp(struct sock *s, struct kmsg *m)
{
	if (!(s->tstamp & SOCK_TS_ON))
		return;
	char buf[SOCK_TS_CMSG_ROOM];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	size_t n = sock_timestamp_cmsg(s, &now, SOCK_TS_READ, buf, sizeof(buf));
	free(m->ctl);
	m->ctl = n ? malloc(n) : NULL;
	m->ctllen = m->ctl ? n : 0;
	if (m->ctl)
		memcpy(m->ctl, buf, n);
}

static ssize_t u_recvmsg(struct sock *s, struct task *t, struct kmsg *m, int flags)
{
	(void)t;
	struct usock *u = U(s);
	int peek = (flags & MSG_PEEK) != 0;
	/* Linux: an unconnected (or listening) seqpacket socket answers
	 * ENOTCONN, a stream EINVAL. */
	if (conn_oriented(u) && (u->state == US_LISTEN || u->state == US_UNCONN))
		return u->base.type == SOCK_SEQPACKET ? -ENOTCONN : -EINVAL;
	if ((flags & MSG_OOB) && u->base.type != SOCK_STREAM)
		return -EOPNOTSUPP; /* datagrams have no out-of-band data */
	if (flags & MSG_OOB)
		return recv_oob(u, m, peek);
	size_t skip;
	struct skb *b = recv_start(u, flags, &skip);
	/* Linux: a message socket reports its error before its queue, a
	 * stream after the bytes it still holds. */
	if (u->err && (u->base.type != SOCK_STREAM || !b))
		return -take_err(u);
	if (!b) {
		/* Linux: a datagram socket shut for reading reads as end only
		 * for a caller that would wait; one that would not gets EAGAIN
		 * (streams return 0 either way). */
		if (!conn_oriented(u) && u->rcv_shut && (flags & MSG_DONTWAIT))
			return -EAGAIN;
		if (u->rcv_shut)
			return 0;
		return -EAGAIN;
	}
	if (u->passcred || u->passpidfd) {
		/* The writer, in m for either message (the one asked for is
		 * put). A stream read that has bytes already (MSG_WAITALL's
		 * next round, m as the last left it) ends where another
		 * writer's bytes begin, short, as Linux's. */
		if ((flags & MSG_SENTRY_MORE) && u->base.type == SOCK_STREAM && (m->has_cred || m->has_pidfd) &&
		    (m->cred.pid != b->cred.pid || m->cred.uid != b->cred.uid || m->cred.gid != b->cred.gid ||
		     m->pidfd_start != b->pid_start))
			return 0;
		m->has_cred = u->passcred;
		m->has_pidfd = u->passpidfd;
		m->cred = b->cred;
		m->pidfd_pid = b->cred.pid;
		m->pidfd_start = b->pid_start;
	}
	if (b->fromlen && !conn_oriented(u)) {
		memcpy(&m->addr, &b->from, b->fromlen);
		m->addrlen = b->fromlen;
	} else if (conn_oriented(u) && u->peer && u->peer->addrlen) {
		memcpy(&m->addr, &u->peer->addr, u->peer->addrlen);
		m->addrlen = u->peer->addrlen;
	} else {
		m->addr.ss_family = AF_UNIX;
		m->addrlen = sizeof(sa_family_t);
	}
	int user_peek = peek && !(flags & MSG_SENTRY_TAKING);
	if (u->base.type != SOCK_STREAM) {
		/* One message per call, from the peek offset inside it on.
		 * Linux unix_dgram_recvmsg: MSG_TRUNC returns the rest's
		 * length; a peek moves the offset on by what it copied, a
		 * read back by the whole datagram. */
		size_t rest = b->len - skip;
		size_t n = rest < m->len ? rest : m->len;
		memcpy(m->data, b->data + skip, n);
		m->full_len = rest;
		if (n < rest)
			m->flags |= MSG_TRUNC; /* (and no MSG_EOR: Linux 6.18 sets none) */
		put_tstamp(s, m);
		if (user_peek) {
			b->peeked |= !b->len;
			u->peek_off = ns_peek_off_move(u->peek_off, (long)n);
		}
		if (!peek) {
			u->peek_off = ns_peek_off_move(u->peek_off, -(long)b->len);
			fds_attach(m, b);
			list_del(&b->link);
			u->rcvq_bytes -= b->len;
			skb_free(b);
			waitq_wake(&u->base.wq, POLLOUT | POLLWRNORM);
			if (u->peer)
				waitq_wake(&u->peer->base.wq, POLLOUT | POLLWRNORM);
		}
		return (ssize_t)n;
	}
	/* Stream: gather across buffers, but hand passed descriptors out
	 * with the first byte of the buffer that carried them, and stop at
	 * the out-of-band mark. A read that starts at the mark passes it:
	 * an out-of-band byte already read goes, and so does one unread,
	 * unless SO_OOBINLINE makes it data (Linux drops it; a peek skips
	 * it). The socket layer's peek before a read (MSG_SENTRY_TAKING)
	 * drops as the read would, since the read follows; a read that has
	 * bytes already (MSG_SENTRY_MORE) stops at the mark as this one. A
	 * peek at SO_PEEK_OFF begins `skip` bytes into b and moves the
	 * offset on by what it copied (an out-of-band byte it begins at
	 * past the head is data then, recv_start); a read moves it back as
	 * much. */
	int drop = !peek || (flags & MSG_SENTRY_TAKING);
	int more = (flags & MSG_SENTRY_MORE) != 0;
	size_t done = 0;
	int passed = 0;
	struct skb *oob_data = b == u->oob && &b->link != u->rcvq.next ? b : NULL;
	struct skb *first = NULL;
	struct list *l = &b->link;
	while (done < m->len && l != &u->rcvq) {
		b = list_entry(l, struct skb, link);
		l = l->next;
		if (b == u->oob && b != oob_data) {
			if (done || more)
				break;
			if (oob_passed(u, b)) {
				passed = 1;
				if (drop) {
					u->rcvq_bytes -= b->len - b->off;
					list_del(&b->link);
					skb_free(b);
					u->oob = NULL;
				}
				continue;
			}
			if (!peek)
				u->oob = NULL; /* read inline: data now */
		}
		if (b->nfds && done)
			break;
		/* Linux: a reader that asks who wrote (SO_PASSCRED,
		 * SO_PASSPIDFD) never gets two writers' bytes in one read */
		if (done && (u->passcred || u->passpidfd) && !same_writer(first, b))
			break;
		if (!first)
			first = b;
		size_t avail = b->len - b->off - skip;
		size_t n = m->len - done < avail ? m->len - done : avail;
		memcpy(m->data + done, b->data + b->off + skip, n);
		skip = 0;
		done += n;
		if (b->nfds && !peek)
			fds_attach(m, b);
		if (peek) {
			if (n < avail)
				break;
			continue;
		}
		b->off += n;
		u->rcvq_bytes -= n;
		if (b->off == b->len) {
			list_del(&b->link);
			skb_free(b);
		}
	}
	/* only a mark was there: as an empty queue */
	if (passed && !done && m->len)
		return u->rcv_shut ? 0 : -EAGAIN;
	if (user_peek)
		u->peek_off = ns_peek_off_move(u->peek_off, (long)done);
	if (!peek && done) {
		u->peek_off = ns_peek_off_move(u->peek_off, -(long)done);
		if (u->peer)
			waitq_wake(&u->peer->base.wq, POLLOUT | POLLWRNORM);
		waitq_wake(&u->base.wq, POLLOUT | POLLWRNORM);
	}
	return (ssize_t)done;
}

static int u_shutdown(struct sock *s, int how)
{
	struct usock *u = U(s);
	/* Any state: Linux's unix sockets take a shutdown unconnected. */
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	int rd = how == SHUT_RD || how == SHUT_RDWR, wr = how == SHUT_WR || how == SHUT_RDWR;
	u->rcv_shut |= rd;
	u->snd_shut |= wr;
	waitq_wake(&u->base.wq, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	if (u->peer) {
		/* A connection's peer sees the other end of each side; a
		 * datagram peer sees nothing (Linux). */
		if (conn_oriented(u)) {
			u->peer->snd_shut |= rd;
			u->peer->rcv_shut |= wr;
		}
		waitq_wake(&u->peer->base.wq, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	}
	return 0;
}

static int u_getname(struct sock *s, struct sockaddr *a, socklen_t *len, int peer)
{
	struct usock *u = U(s);
	struct usock *w = u;
	if (peer) {
		if (!u->peer || u->state != US_CONNECTED)
			return -ENOTCONN;
		w = u->peer;
	}
	if (!w->addrlen) {
		struct sockaddr_un x = { .sun_family = AF_UNIX };
		memcpy(a, &x, sizeof(sa_family_t));
		*len = sizeof(sa_family_t);
		return 0;
	}
	memcpy(a, &w->addr, w->addrlen);
	*len = w->addrlen;
	return 0;
}

/* SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER with Linux's order
 * of answers (sock_filter_fetch: the length, the lock, the program's
 * size and copy; then its instructions, ns_bpf_check). */
static int u_filter_set(struct usock *u, struct task *t, int name, const void *val, socklen_t len)
{
	if (name == SO_ATTACH_FILTER) {
		struct sock_filter *prog;
		uint32_t n;
		int r = sock_filter_fetch(t, val, len, u->filter_locked, &prog, &n);
		if (r < 0)
			return r;
		if (ns_bpf_check(prog, n) < 0) {
			free(prog);
			return -EINVAL;
		}
		free(u->filter);
		u->filter = prog;
		u->filter_len = n;
		return 0;
	}
	int v;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if (name == SO_LOCK_FILTER) {
		if (u->filter_locked && !v)
			return -EPERM;
		u->filter_locked = !!v;
		return 0;
	}
	if (u->filter_locked)
		return -EPERM;
	if (!u->filter)
		return -ENOENT;
	free(u->filter);
	u->filter = NULL;
	u->filter_len = 0;
	return 0;
}

/* The interface index of a name in the task's network namespace (the
 * sandbox's netstack, or the host's with --network host); 0: none. */
static int ifindex_of(struct task *t, const char *name)
{
	struct netns *nn = task_netns(t);
	if (nn && nn->st) {
		int id = ns_stack_nic_by_name(nn->st, name);
		return id > 0 ? id : 0;
	}
	return (int)if_nametoindex(name);
}

/* SO_BINDTODEVICE on a unix socket: Linux keeps the interface (it
 * changes nothing for unix sockets) after its checks: a name (at most
 * IFNAMSIZ - 1 bytes, cut at a NUL) of an existing interface (ENODEV),
 * an empty one unbinds. Kept as SO_BINDTOIFINDEX's index. */
static int u_bind_device(struct sock *s, struct task *t, const void *val, socklen_t len)
{
	char name[IFNAMSIZ];
	if ((int)len < 0)
		return -EINVAL;
	size_t n = len < IFNAMSIZ - 1 ? (size_t)len : IFNAMSIZ - 1;
	memset(name, 0, sizeof(name));
	if (n)
		memcpy(name, val, n);
	int idx = 0;
	if (name[0]) {
		idx = ifindex_of(t, name);
		if (!idx)
			return -ENODEV;
	}
	s->kept.bindtoindex = idx;
	return 0;
}

/* SO_BINDTODEVICE's name: the interface's, with its NUL, or nothing
 * (Linux: the length 0); a name longer than the room is EINVAL. */
static int u_device_name(struct sock *s, struct task *t, void *val, socklen_t *len)
{
	char name[IFNAMSIZ] = "";
	int idx = s->kept.bindtoindex;
	if (idx) {
		struct netns *nn = task_netns(t);
		struct ns_nic_info ni;
		if (nn && nn->st && ns_stack_nic_info(nn->st, idx, &ni) == 0)
			snprintf(name, sizeof(name), "%s", ni.name);
		else if (!(nn && nn->st))
			if_indextoname((unsigned)idx, name);
	}
	if (!name[0]) {
		*len = 0;
		return 0;
	}
	socklen_t need = (socklen_t)strlen(name) + 1;
	if (*len < need)
		return -EINVAL;
	memcpy(val, name, need);
	*len = need;
	return 0;
}

/* SO_GET_FILTER (in instructions): 0 asks for the count. */
static int u_filter_get(struct usock *u, void *val, socklen_t *len)
{
	if (!u->filter) {
		*len = 0;
		return 0;
	}
	if (*len == 0) {
		*len = u->filter_len;
		return 0;
	}
	if (*len < u->filter_len)
		return -EINVAL;
	memcpy(val, u->filter, u->filter_len * sizeof(struct sock_filter));
	*len = u->filter_len;
	return 0;
}

static int u_setsockopt(struct sock *s, struct task *t, int level, int name, const void *val, socklen_t len)
{
	struct usock *u = U(s);
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (sock_debug_denied(t, level, name, val, len))
		return -EACCES;
	/* Linux: port sharing is for inet sockets only (turning it off is
	 * allowed, and changes nothing). */
	if (name == SO_REUSEPORT) {
		int v;
		if (len < (socklen_t)sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
		return v ? -EOPNOTSUPP : 0;
	}
	switch (name) {
	case SO_ATTACH_FILTER:
	case SO_DETACH_FILTER:
	case SO_LOCK_FILTER:
		return u_filter_set(u, t, name, val, len);
	case SO_BINDTODEVICE:
		return u_bind_device(s, t, val, len);
	default:
		break;
	}
	if (name == SO_PASSCRED || name == SO_PASSPIDFD || name == SO_PASSRIGHTS || name == SO_PEEK_OFF) {
		int v;
		if (len < (socklen_t)sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
		if (name == SO_PASSCRED)
			u->passcred = !!v;
		else if (name == SO_PASSPIDFD)
			u->passpidfd = !!v;
		else if (name == SO_PASSRIGHTS)
			u->passrights = !!v;
		else
			u->peek_off = v; /* any value: every negative one is off */
		return 0;
	}
	return sock_setsockopt_common(s, name, val, len);
}

static int u_getsockopt(struct sock *s, struct task *t, int level, int name, void *val, socklen_t *len)
{
	struct usock *u = U(s);
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	int v;
	switch (name) {
	case SO_PEERCRED: {
		struct ucred c = { 0, (uid_t)-1, (gid_t)-1 };
		/* Linux: a connection's peer, a listener itself (set at
		 * listen), else empty credentials (no ENOTCONN) */
		int has = 0;
		if (u->has_peercred && u->state == US_CONNECTED) {
			c = u->peercred;
			has = 1;
		} else if (u->state == US_LISTEN) {
			c = u->owncred;
			has = 1;
		}
		if (has) {
			c.uid = uid_to_user(t, c.uid); /* as the reader's user namespace names them */
			c.gid = gid_to_user(t, c.gid);
		}
		size_t n = *len < (socklen_t)sizeof(c) ? (size_t)*len : sizeof(c);
		memcpy(val, &c, n);
		*len = (socklen_t)n;
		return 0;
	}
	case SO_PEERPIDFD: {
		/* a new pidfd of the peer's process (Linux 6.5+): ENODATA
		 * without a peer; once the process is gone, a pidfd of it all
		 * the same (Linux 6.18's, whose Pid is -1); the number copied
		 * as the length allows */
		if (!u->has_peercred || (conn_oriented(u) && u->state != US_CONNECTED))
			return -ENODATA;
		long fd = pidfd_install_id(t, u->peercred.pid, u->peer_start, 0);
		if (fd < 0)
			return (int)fd;
		int pidfd = (int)fd;
		if (*len > (socklen_t)sizeof(pidfd))
			*len = sizeof(pidfd);
		memcpy(val, &pidfd, *len);
		return 0;
	}
	case SO_PEERGROUPS: {
		/* the peer's groups as the reader's user namespace names
		 * them; ERANGE with the length needed when they do not fit */
		if (!u->has_peercred || (conn_oriented(u) && u->state != US_CONNECTED))
			return -ENODATA;
		socklen_t need = (socklen_t)(sizeof(gid_t) * (size_t)u->npeergroups);
		if (*len < need) {
			*len = need;
			return -ERANGE;
		}
		for (int i = 0; i < u->npeergroups; i++) {
			gid_t g = gid_to_user(t, u->peergroups[i]);
			memcpy((char *)val + sizeof(gid_t) * (size_t)i, &g, sizeof(g));
		}
		*len = need;
		return 0;
	}
	case SO_PASSCRED:
		v = u->passcred;
		break;
	case SO_PASSPIDFD:
		v = u->passpidfd;
		break;
	case SO_PASSRIGHTS:
		v = u->passrights;
		break;
	case SO_ACCEPTCONN:
		v = u->state == US_LISTEN;
		break;
	case SO_ERROR:
		v = take_err(u);
		break;
	case SO_PEEK_OFF:
		v = u->peek_off;
		break;
	case SO_LOCK_FILTER:
		v = u->filter_locked;
		break;
	case SO_GET_FILTER:
		return u_filter_get(u, val, len);
	case SO_BINDTODEVICE:
		return u_device_name(s, t, val, len);
	default:
		return sock_getsockopt_common(s, t, name, val, len);
	}
	/* Linux copies what the length holds of the int (none for 0) */
	if (*len > (socklen_t)sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}

/* Linux's unix_poll and unix_dgram_poll: the shutdown bits (both: a
 * hang-up; reading: end of file to read), the queue, an unconnected
 * stream or seqpacket socket's hang-up, and room to write, which every
 * socket but a listener may have, connected or not. */
static uint32_t u_poll(struct sock *s)
{
	struct usock *u = U(s);
	uint32_t m = 0;
	if (u->err)
		m |= POLLERR | (u->base.type != SOCK_STREAM && u->base.select_errq ? POLLPRI : 0);
	if (u->rcv_shut && u->snd_shut)
		m |= POLLHUP;
	if (u->rcv_shut)
		m |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (u->state == US_LISTEN)
		return list_empty(&u->acceptq) ? m : m | POLLIN | POLLRDNORM;
	if (!list_empty(&u->rcvq))
		m |= POLLIN | POLLRDNORM;
	if (u->oob && u->oob->off < u->oob->len)
		m |= POLLPRI; /* an out-of-band byte to read (Linux: not RDBAND) */
	if (conn_oriented(u) && u->state == US_UNCONN)
		m |= POLLHUP;
	struct usock *p = u->peer;
	if (!p || p->state == US_DISCONNECTED || room(p) > 0)
		m |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return m;
}

static long u_ioctl(struct sock *s, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct usock *u = U(s);
	int v;
	if (cmd == FIONREAD) {
		if (u->state == US_LISTEN)
			return -EINVAL;
		if (u->base.type == SOCK_STREAM) {
			v = (int)u->rcvq_bytes;
		} else {
			v = list_empty(&u->rcvq) ? 0 : (int)list_entry(u->rcvq.next, struct skb, link)->len;
		}
	} else if (cmd == TIOCOUTQ) {
		v = u->peer ? (int)u->peer->rcvq_bytes : 0;
	} else if (cmd == SIOCATMARK) {
		/* Only a stream has out-of-band data: at the mark when its
		 * byte (read or not) is next in the queue */
		if (u->base.type != SOCK_STREAM)
			return -EOPNOTSUPP;
		v = u->oob && u->rcvq.next == &u->oob->link;
	} else {
		return -ENOTTY;
	}
	return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
}

static void u_release(struct sock *s)
{
	struct usock *u = U(s);
	/* Unname. */
	if (list_linked(&u->ab_link))
		list_del(&u->ab_link);
	if (u->bound) {
		u->bound->ipc = NULL;
		u->bound->ipc_release = NULL;
		u->bound = NULL;
	}
	/* Refuse the embryos nobody accepted. */
	while (!list_empty(&u->acceptq)) {
		struct usock *emb = list_entry(u->acceptq.next, struct usock, alink);
		list_del(&emb->alink);
		emb->listener = NULL;
		u->nacc--;
		/* Its client was refused after all: ECONNRESET (Linux). */
		if (emb->peer)
			emb->peer->err = ECONNRESET;
		u_release(&emb->base);
	}
	if (u->peer) {
		struct usock *p = u->peer;
		/* A connection's peer stays connected, shut both ways, and
		 * learns of the data it sent that nobody read; a datagram
		 * peer finds out when it next sends. */
		if (conn_oriented(u)) {
			p->state = US_CONNECTED;
			p->rcv_shut = p->snd_shut = 1;
			if (!list_empty(&u->rcvq))
				p->err = ECONNRESET;
		}
		waitq_wake(&p->base.wq, POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR);
		u->peer = NULL;
		u_put(p);
	}
	u->state = US_DISCONNECTED;
	purge(u);
	u_put(u);
}

/* SO_MEMINFO: Linux charges a message to its sender until it is read
 * (skb.owner), so a receiver's read memory stays 0 and a sender's write
 * memory counts what it has queued; nothing is reserved ahead, nothing
 * waits on a lock, and a unix socket drops nothing (a sender waits). */
static void u_meminfo(struct sock *s, uint32_t *mem)
{
	struct usock *u = U(s);
	mem[SOCK_MEM_WMEM_ALLOC] = (uint32_t)u->wmem;
}

static const struct sock_ops unix_ops = {
	.bind = u_bind,
	.connect = u_connect,
	.listen = u_listen,
	.accept = u_accept,
	.sendmsg = u_sendmsg,
	.recvmsg = u_recvmsg,
	.shutdown = u_shutdown,
	.getname = u_getname,
	.setsockopt = u_setsockopt,
	.getsockopt = u_getsockopt,
	.poll = u_poll,
	.ioctl = u_ioctl,
	.release = u_release,
	.meminfo = u_meminfo,
};
