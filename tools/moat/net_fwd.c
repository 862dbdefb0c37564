/*
 * Published ports (-p): a child process of moat, on the host side, that
 * listens on HOSTIP:HOSTPORT and relays to the sandbox's address over the
 * veth pair, where the netstack answers. It is a separate process because
 * the sentry creates no host sockets and its one thread should spend its
 * time on the sandbox; it dies with moat (PR_SET_PDEATHSIG).
 *
 * TCP: one host connection per client, relayed both ways through 256 KiB
 * buffers; a half-close is passed on as shutdown(SHUT_WR); a reset or an
 * error closes both sides (a reset towards the client when the sandbox
 * reset). UDP: one connected socket per client address towards the
 * sandbox, replies sent back from the published port; idle flows are
 * dropped after 60 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "moat.h"
#include "net.h"

#define BUF (256 * 1024)
#define UDP_IDLE_S 60

enum { K_TCP_LISTEN, K_UDP_LISTEN, K_CONN, K_UDP_FLOW };

struct half {
	char *buf;
	size_t off, len;
	int eof;   /* the reading side ended */
	int shut;  /* shutdown(SHUT_WR) passed on */
};

struct ep;
struct conn {
	struct ep *a, *b; /* client side, sandbox side */
	struct half ab, ba; /* a -> b, b -> a */
	int connected;
	int dead;
	int freeing;	    /* on the graveyard list */
	struct conn *grave; /* next on it */
};

struct ep {
	int kind;
	int fd;
	struct conn *c;	      /* K_CONN */
	int side;	      /* 0: client, 1: sandbox */
	/* listeners */
	struct sockaddr_storage dst;
	socklen_t dstlen;
	/* UDP flows */
	struct ep *lis;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	time_t last;
	struct ep *next;
};

static int epfd;
static struct ep *flows;
/*
 * Connections that ended during one epoll_wait batch. They are freed
 * after the batch: the same batch may still hold an event for the other
 * end of the connection, whose data.ptr must stay valid until then.
 */
static struct conn *graveyard;

static void watch(struct ep *e, uint32_t ev, int op)
{
	struct epoll_event x = { .events = ev, .data.ptr = e };
	epoll_ctl(epfd, op, e->fd, &x);
}

static void conn_free(struct conn *c)
{
	close(c->a->fd);
	close(c->b->fd);
	free(c->ab.buf);
	free(c->ba.buf);
	free(c->a);
	free(c->b);
	free(c);
}

static void conn_kill(struct conn *c, int reset_client)
{
	if (reset_client) {
		struct linger lg = { 1, 0 };
		setsockopt(c->a->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	c->dead = 1;
}

/* Move what can move from `from` into `to` via h. */
static void pump(struct conn *c, struct ep *from, struct ep *to, struct half *h)
{
	for (;;) {
		if (h->len > h->off) {
			ssize_t w = send(to->fd, h->buf + h->off, h->len - h->off, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EAGAIN)
					return;
				conn_kill(c, from == c->a ? 0 : 1);
				return;
			}
			h->off += (size_t)w;
			if (h->off < h->len)
				return;
			h->off = h->len = 0;
		}
		if (h->eof) {
			if (!h->shut) {
				shutdown(to->fd, SHUT_WR);
				h->shut = 1;
			}
			return;
		}
		ssize_t r = recv(from->fd, h->buf, BUF, 0);
		if (r < 0) {
			if (errno == EAGAIN)
				return;
			conn_kill(c, from == c->b);
			return;
		}
		if (r == 0) {
			h->eof = 1;
			continue;
		}
		h->len = (size_t)r;
	}
}

static void conn_run(struct conn *c)
{
	if (c->freeing)
		return;
	if (!c->connected) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->b->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			conn_kill(c, 1);
		} else {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			if (getpeername(c->b->fd, (struct sockaddr *)&ss, &sl) < 0)
				return; /* still connecting */
			c->connected = 1;
		}
	}
	if (c->connected && !c->dead) {
		pump(c, c->a, c->b, &c->ab);
		if (!c->dead)
			pump(c, c->b, c->a, &c->ba);
	}
	if (c->dead || (c->ab.shut && c->ba.shut)) {
		c->freeing = 1;
		c->grave = graveyard;
		graveyard = c;
	}
}

static void graveyard_empty(void)
{
	while (graveyard) {
		struct conn *c = graveyard;
		graveyard = c->grave;
		conn_free(c);
	}
}

static void tcp_accept(struct ep *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int s = socket(l->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct conn *c = calloc(1, sizeof(*c));
		if (s < 0 || !c) {
			close(fd);
			if (s >= 0)
				close(s);
			free(c);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->a = calloc(1, sizeof(struct ep));
		c->b = calloc(1, sizeof(struct ep));
		c->ab.buf = malloc(BUF);
		c->ba.buf = malloc(BUF);
		if (!c->a || !c->b || !c->ab.buf || !c->ba.buf) {
			close(fd);
			close(s);
			free(c->a);
			free(c->b);
			free(c->ab.buf);
			free(c->ba.buf);
			free(c);
			continue;
		}
		c->a->kind = c->b->kind = K_CONN;
		c->a->fd = fd;
		c->b->fd = s;
		c->a->c = c->b->c = c;
		c->b->side = 1;
		if (connect(s, (struct sockaddr *)&l->dst, l->dstlen) < 0 && errno != EINPROGRESS) {
			conn_kill(c, 1);
			conn_free(c);
			continue;
		}
		/* Edge-triggered: every event runs the whole relay. */
		watch(c->a, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, EPOLL_CTL_ADD);
		watch(c->b, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, EPOLL_CTL_ADD);
	}
}

static struct ep *udp_flow(struct ep *l, const struct sockaddr_storage *from, socklen_t fl)
{
	for (struct ep *f = flows; f; f = f->next)
		if (f->lis == l && f->peerlen == fl && !memcmp(&f->peer, from, fl))
			return f;
	int s = socket(l->dst.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;
	if (connect(s, (struct sockaddr *)&l->dst, l->dstlen) < 0) {
		close(s);
		return NULL;
	}
	struct ep *f = calloc(1, sizeof(*f));
	if (!f) {
		close(s);
		return NULL;
	}
	f->kind = K_UDP_FLOW;
	f->fd = s;
	f->lis = l;
	memcpy(&f->peer, from, fl);
	f->peerlen = fl;
	f->next = flows;
	flows = f;
	watch(f, EPOLLIN, EPOLL_CTL_ADD);
	return f;
}

static void udp_expire(time_t now)
{
	for (struct ep **p = &flows; *p;) {
		struct ep *f = *p;
		if (now - f->last > UDP_IDLE_S) {
			*p = f->next;
			close(f->fd);
			free(f);
		} else {
			p = &f->next;
		}
	}
}

static void udp_in(struct ep *l, char *buf)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(l->fd, buf, 65536, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		struct ep *f = udp_flow(l, &from, fl);
		if (!f)
			continue;
		f->last = time(NULL);
		send(f->fd, buf, (size_t)n, 0);
	}
}

static void udp_back(struct ep *f, char *buf)
{
	for (;;) {
		ssize_t n = recv(f->fd, buf, 65536, 0);
		if (n < 0)
			return;
		f->last = time(NULL);
		sendto(f->lis->fd, buf, (size_t)n, 0, (struct sockaddr *)&f->peer, f->peerlen);
	}
}

static int addr_of(const char *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static void fwd_main(struct ep **lis, int n, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "moat-fwd");
	signal(SIGPIPE, SIG_IGN);
	/* moat forwards these to the program; we end with moat */
	static const int ign[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		signal(ign[i], SIG_IGN);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < n; i++)
		watch(lis[i], EPOLLIN, EPOLL_CTL_ADD);
	char *ubuf = malloc(65536);
	time_t last_expire = time(NULL);
	for (;;) {
		struct epoll_event evs[64];
		int k = epoll_wait(epfd, evs, 64, 5000);
		for (int i = 0; i < k; i++) {
			struct ep *e = evs[i].data.ptr;
			switch (e->kind) {
			case K_TCP_LISTEN:
				tcp_accept(e);
				break;
			case K_UDP_LISTEN:
				udp_in(e, ubuf);
				break;
			case K_UDP_FLOW:
				udp_back(e, ubuf);
				break;
			case K_CONN:
				conn_run(e->c);
				break;
			}
		}
		graveyard_empty();
		time_t now = time(NULL);
		if (now - last_expire > 5) {
			udp_expire(now);
			last_expire = now;
		}
	}
}

pid_t moat_fwd_start(const struct moat_port *ports, int nports, const char *dst)
{
	struct ep *lis[MOAT_NET_MAX];
	int n = 0;
	for (int i = 0; i < nports; i++) {
		struct ep *e = calloc(1, sizeof(*e));
		struct sockaddr_storage ss;
		socklen_t sl;
		if (!e)
			goto fail;
		lis[n++] = e;
		e->kind = ports[i].udp ? K_UDP_LISTEN : K_TCP_LISTEN;
		if (addr_of(ports[i].hostip, ports[i].hostport, &ss, &sl) < 0 ||
		    addr_of(dst, ports[i].port, &e->dst, &e->dstlen) < 0) {
			moat_err("-p %s:%u: bad address\n", ports[i].hostip, ports[i].hostport);
			goto fail;
		}
		e->fd = socket(ss.ss_family, (ports[i].udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       0);
		int one = 1;
		if (e->fd >= 0)
			setsockopt(e->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (e->fd < 0 || bind(e->fd, (struct sockaddr *)&ss, sl) < 0 ||
		    (!ports[i].udp && listen(e->fd, 1024) < 0)) {
			moat_err("-p %s:%u: %s\n", ports[i].hostip, ports[i].hostport, strerror(errno));
			goto fail;
		}
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t p = fork();
	if (p < 0)
		goto fail;
	if (p == 0) {
		/* Only the listeners: not the packet link, not the pcap. */
		int keep[MOAT_NET_MAX + 3] = { 0, 1, 2 };
		int nk = 3;
		for (int i = 0; i < n; i++)
			keep[nk++] = lis[i]->fd;
		for (int fd = 3; fd < 1024; fd++) {
			int k = 0;
			for (int j = 0; j < nk; j++)
				k |= keep[j] == fd;
			if (!k)
				close(fd);
		}
		fwd_main(lis, n, parent);
		_exit(0);
	}
	for (int i = 0; i < n; i++) {
		close(lis[i]->fd);
		free(lis[i]);
	}
	return p;
fail:
	for (int i = 0; i < n; i++) {
		if (lis[i]->fd > 0)
			close(lis[i]->fd);
		free(lis[i]);
	}
	return -EINVAL;
}
