/*
 * TCP services and a TCP client for `moat stack`, on the netstack's socket
 * API: echo, discard, source (sends N bytes then closes), sink (prints the
 * SHA-256 of each connection's bytes), and a client that opens one or many
 * connections, sends bytes or a file, receives, checks echoes and prints
 * SHA-256 digests. Data of `--send N` is a deterministic pattern (a function
 * of the byte's offset), so digests are reproducible outside.
 *
 * Sockets never block: each connection is driven from a ready list fed by
 * the socket wake-up callbacks, in a loop hook.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/tcp.h>

#include "moat.h"
#include "ns/loop.h"
#include "ns/socket.h"
#include "ns/stack.h"
#include "sha256.h"
#include "tcp_svc.h"

#define IOBUF 65536
#define ECHO_MAX (1u << 20)

enum conn_kind { K_LISTEN, K_ECHO, K_DISCARD, K_SOURCE, K_SINK, K_CLIENT };

struct tconn {
	struct ns_socket *s;
	struct tsvc *svc;
	enum conn_kind kind;
	enum conn_kind child_kind; /* listeners */
	uint64_t source_bytes;	   /* listeners of K_SOURCE, and sources */
	struct tconn *rnext;
	uint8_t on_ready;
	uint8_t connected, eof, wr_shut, done, failed, keep_open_done;
	int err;
	uint64_t sent, recvd, to_send;
	ns_time_t first_byte; /* when the first byte arrived (sinks) */
	struct sha256 tx, rx;
	uint8_t *pend;
	uint32_t pend_len, pend_off;
	FILE *file;
	char peer[64];
	uint16_t port;
	struct tconn *next_all, *prev_all;
	struct tconn *next_dead; /* closed, freed by the next hook() */
};

struct tsvc {
	struct ns_stack *st;
	struct ns_loop *loop;
	struct tconn *ready;
	struct tconn *all;
	struct tconn *dead; /* closed connections, freed after the ready list ran */
	uint8_t buf[IOBUF];
	/* client */
	int client;
	uint32_t conns_total, conns_done, conns_failed, conns_bad_echo;
	struct tsvc_client_opts copt;
	uint64_t client_sent, client_recvd;
	ns_time_t started;
	int verbose;
};

void tsvc_pattern(uint64_t off, uint8_t *dst, size_t n)
{
	/* Byte i is a hash of i's 8-byte block: reproducible, not compressible.
	 * Whole aligned blocks go 8 bytes at a time (little-endian order). */
	while (n >= 8 && off % 8 == 0) {
		uint64_t x = (off / 8 + 1) * 0x9E3779B97F4A7C15ULL;
		x ^= x >> 31;
		x *= 0xBF58476D1CE4E5B9ULL;
		x ^= x >> 29;
		uint8_t b[8];
		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(x >> (8 * i));
		memcpy(dst, b, 8);
		dst += 8;
		off += 8;
		n -= 8;
	}
	while (n) {
		uint64_t blk = off / 8;
		uint64_t x = (blk + 1) * 0x9E3779B97F4A7C15ULL;
		x ^= x >> 31;
		x *= 0xBF58476D1CE4E5B9ULL;
		x ^= x >> 29;
		unsigned in = (unsigned)(off % 8);
		for (; in < 8 && n; in++, n--, off++)
			*dst++ = (uint8_t)(x >> (8 * in));
	}
}

/* "a.b.c.d:port" for IPv4 and v4-mapped peers, "[v6]:port" otherwise. */
void tsvc_fmt_peer(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, in6->sin6_addr.s6_addr + 12, host, sizeof(host));
			snprintf(buf, len, "%s:%u", host, ntohs(in6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
			snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
		}
		return;
	}
	const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
	inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
	snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
}

static void mark_ready(struct tconn *c)
{
	if (c->on_ready || c->done)
		return;
	c->on_ready = 1;
	c->rnext = c->svc->ready;
	c->svc->ready = c;
}

static void on_wake(struct ns_socket *s, uint32_t events, void *ctx)
{
	mark_ready(ctx);
}

static struct tconn *conn_new(struct tsvc *v, struct ns_socket *s, enum conn_kind kind)
{
	struct tconn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->s = s;
	c->svc = v;
	c->kind = kind;
	sha256_init(&c->tx);
	sha256_init(&c->rx);
	c->next_all = v->all;
	if (v->all)
		v->all->prev_all = c;
	v->all = c;
	ns_socket_set_wake(s, on_wake, c);
	return c;
}

static void conn_close(struct tconn *c)
{
	if (c->s) {
		ns_close(c->s);
		c->s = NULL;
	}
	if (!c->done) {
		/* Freed by hook() once nothing can touch it: a server that
		 * served a million connections held a million of these (the
		 * soak saw moat stack grow 0.45 MB a minute). */
		c->next_dead = c->svc->dead;
		c->svc->dead = c;
	}
	c->done = 1;
	if (c->file) {
		fclose(c->file);
		c->file = NULL;
	}
	free(c->pend);
	c->pend = NULL;
}

static void client_finish(struct tconn *c)
{
	struct tsvc *v = c->svc;
	uint8_t d1[32], d2[32];
	char h1[65], h2[65];
	sha256_final(&c->tx, d1);
	sha256_final(&c->rx, d2);
	sha256_hex(d1, h1);
	sha256_hex(d2, h2);
	v->conns_done++;
	v->client_sent += c->sent;
	v->client_recvd += c->recvd;
	int bad_echo = v->copt.echo && (c->recvd != c->sent || memcmp(d1, d2, 32) != 0);
	if (c->failed)
		v->conns_failed++;
	else if (bad_echo)
		v->conns_bad_echo++;
	if (v->conns_total == 1 || c->failed || bad_echo || v->verbose) {
		printf("tcp-client: conn %u: sent %llu bytes sha256 %s, received %llu bytes sha256 %s%s%s\n",
		       v->conns_done, (unsigned long long)c->sent, h1, (unsigned long long)c->recvd, h2,
		       c->failed ? ", FAILED: " : "", c->failed ? strerror(c->err) : "");
		fflush(stdout);
	}
	conn_close(c);
	if (v->conns_done == v->conns_total)
		ns_loop_stop(v->loop);
}

static void conn_fail(struct tconn *c, int err)
{
	c->failed = 1;
	c->err = err;
	if (c->kind == K_CLIENT) {
		client_finish(c);
		return;
	}
	if (c->svc->verbose)
		fprintf(stderr, "moat stack: connection from %s: %s\n", c->peer, strerror(err));
	conn_close(c);
}

/* Read what is there. Returns 0 on progress/EAGAIN, -1 when c is gone. */
static int do_read(struct tconn *c)
{
	struct tsvc *v = c->svc;
	for (;;) {
		size_t want = IOBUF;
		if (c->kind == K_ECHO) {
			/* Room first: what was sent no longer counts (the
			 * back-pressure test once looked at pend_len alone, and
			 * an echo whose buffer had filled and drained never read
			 * again: a stall with the window closed). */
			if (c->pend_off == c->pend_len) {
				c->pend_off = c->pend_len = 0;
			} else if (c->pend_off && c->pend_len + IOBUF > ECHO_MAX) {
				memmove(c->pend, c->pend + c->pend_off, c->pend_len - c->pend_off);
				c->pend_len -= c->pend_off;
				c->pend_off = 0;
			}
			if (c->pend_len >= ECHO_MAX)
				return 0; /* back-pressure: ECHO_MAX unsent, wait for the peer to read */
			want = NS_MIN((size_t)IOBUF, (size_t)(ECHO_MAX - c->pend_len));
		}
		ssize_t n = ns_recv(c->s, v->buf, want, 0);
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			conn_fail(c, (int)-n);
			return -1;
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		if (!c->recvd)
			c->first_byte = ns_stack_now(v->st);
		c->recvd += (uint64_t)n;
		if ((c->kind == K_SINK || c->kind == K_CLIENT) && !v->copt.no_hash)
			sha256_update(&c->rx, v->buf, (size_t)n);
		if (c->kind == K_ECHO) {
			if (!c->pend)
				c->pend = malloc(ECHO_MAX);
			if (!c->pend) {
				conn_fail(c, ENOMEM);
				return -1;
			}
			memcpy(c->pend + c->pend_len, v->buf, (size_t)n);
			c->pend_len += (uint32_t)n;
		}
	}
}

/* Write what we have. Returns 0, or -1 when c is gone. */
static int do_write(struct tconn *c)
{
	struct tsvc *v = c->svc;
	for (;;) {
		const uint8_t *p;
		size_t n;
		if (c->kind == K_ECHO) {
			if (c->pend_off == c->pend_len)
				return 0;
			p = c->pend + c->pend_off;
			n = c->pend_len - c->pend_off;
		} else {
			if (c->sent >= c->to_send)
				return 0;
			n = (size_t)NS_MIN((uint64_t)IOBUF, c->to_send - c->sent);
			if (c->file) {
				size_t got = fread(v->buf, 1, n, c->file);
				if (got == 0) {
					c->to_send = c->sent; /* file ended early */
					return 0;
				}
				n = got;
			} else if (!v->copt.no_hash) {
				tsvc_pattern(c->sent, v->buf, n);
			} /* else: whatever the buffer holds (benchmarks) */
			p = v->buf;
		}
		ssize_t w = ns_send(c->s, p, n, MSG_NOSIGNAL);
		if (w == -EAGAIN) {
			if (c->file)
				fseek(c->file, -(long)n, SEEK_CUR);
			return 0;
		}
		if (w < 0) {
			conn_fail(c, (int)-w);
			return -1;
		}
		if (c->kind == K_ECHO) {
			c->pend_off += (uint32_t)w;
			if (c->pend_off == c->pend_len) {
				/* All echoed: an idle connection holds no buffer
				 * (10,000 echo connections kept 80 MB). */
				free(c->pend);
				c->pend = NULL;
				c->pend_off = c->pend_len = 0;
			}
		} else {
			if (!v->copt.no_hash)
				sha256_update(&c->tx, p, (size_t)w);
			c->sent += (uint64_t)w;
			if (c->file && (size_t)w < n)
				fseek(c->file, -(long)(n - (size_t)w), SEEK_CUR);
		}
	}
}

static void accept_all(struct tconn *l)
{
	struct tsvc *v = l->svc;
	for (;;) {
		struct ns_socket *s;
		struct sockaddr_storage a;
		socklen_t al = sizeof(a);
		int r = ns_accept(l->s, &s, (struct sockaddr *)&a, &al);
		if (r < 0)
			return;
		struct tconn *c = conn_new(v, s, l->child_kind);
		if (!c) {
			ns_close(s);
			continue;
		}
		c->connected = 1;
		tsvc_fmt_peer((struct sockaddr *)&a, c->peer, sizeof(c->peer));
		if (c->kind == K_SOURCE)
			c->to_send = l->source_bytes;
		mark_ready(c);
	}
}

/* Everything we sent, FIN included, is acknowledged: exiting now loses
 * nothing (the process is the kernel of these connections). */
static int all_delivered(struct tconn *c)
{
	if (c->keep_open_done)
		return 1;
	int outq = 0;
	if (ns_socket_ioctl(c->s, TIOCOUTQ, &outq) < 0 || outq > 0)
		return 0;
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	if (ns_getsockopt(c->s, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		return 1;
	/* FIN_WAIT_2 (5), TIME_WAIT (6), CLOSE (7), or never shut (keep-open). */
	return !c->wr_shut || ti.tcpi_state == 5 || ti.tcpi_state == 6 || ti.tcpi_state == 7;
}

static void step(struct tconn *c)
{
	struct tsvc *v = c->svc;
	if (c->kind == K_LISTEN) {
		accept_all(c);
		return;
	}
	if (c->kind == K_CLIENT && !c->connected) {
		uint32_t ev = ns_socket_poll(c->s);
		if (!(ev & (POLLOUT | POLLERR | POLLHUP)))
			return;
		int err = 0;
		socklen_t el = sizeof(err);
		ns_getsockopt(c->s, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err || (ev & POLLHUP)) {
			conn_fail(c, err ? err : ECONNRESET);
			return;
		}
		c->connected = 1;
	}
	/* Alternate until neither side makes progress. */
	for (int round = 0; round < 64; round++) {
		uint64_t before = c->sent + c->recvd + c->pend_off;
		if (do_read(c) < 0 || do_write(c) < 0)
			return;
		if (c->sent + c->recvd + c->pend_off == before)
			break;
		if (round == 63)
			mark_ready(c); /* come back after others had a turn */
	}
	switch (c->kind) {
	case K_ECHO:
		if (c->eof && c->pend_off == c->pend_len)
			conn_close(c);
		break;
	case K_DISCARD:
		if (c->eof)
			conn_close(c);
		break;
	case K_SINK:
		if (c->eof) {
			uint8_t d[32];
			char h[65];
			sha256_final(&c->rx, d);
			sha256_hex(d, h);
			double secs = (double)(ns_stack_now(v->st) - c->first_byte) / 1e9;
			/* Scripts rely on the line ending "N bytes sha256 HEX". */
			printf("tcp-sink: %s: %.4f s, %.3f Gbit/s: %llu bytes sha256 %s\n", c->peer, secs,
			       secs > 0 ? (double)c->recvd * 8 / secs / 1e9 : 0.0,
			       (unsigned long long)c->recvd, v->copt.no_hash ? "-" : h);
			fflush(stdout);
			conn_close(c);
		}
		break;
	case K_SOURCE:
		if (c->sent >= c->to_send) {
			uint8_t d[32];
			char h[65];
			sha256_final(&c->tx, d);
			sha256_hex(d, h);
			if (v->verbose || 1) {
				printf("tcp-source: %s: %llu bytes sha256 %s\n", c->peer,
				       (unsigned long long)c->sent, h);
				fflush(stdout);
			}
			conn_close(c);
		}
		break;
	case K_CLIENT:
		if (c->sent >= c->to_send && !c->wr_shut && !v->copt.keep_open) {
			ns_shutdown(c->s, SHUT_WR);
			c->wr_shut = 1;
		}
		if (c->sent >= c->to_send && (c->eof || !v->copt.recv) && all_delivered(c))
			client_finish(c);
		break;
	default:
		break;
	}
}

static int hook(void *arg)
{
	struct tsvc *v = arg;
	struct tconn *list = v->ready;
	v->ready = NULL;
	while (list) {
		struct tconn *c = list;
		list = c->rnext;
		c->on_ready = 0;
		if (!c->done)
			step(c);
	}
	/* Closed connections: none is on the ready list now (mark_ready
	 * skips them) and their sockets no longer call back (ns_close). */
	while (v->dead) {
		struct tconn *c = v->dead;
		v->dead = c->next_dead;
		if (c->prev_all)
			c->prev_all->next_all = c->next_all;
		else
			v->all = c->next_all;
		if (c->next_all)
			c->next_all->prev_all = c->prev_all;
		free(c);
	}
	if (v->client && ns_stack_now(v->st) > v->started + v->copt.timeout) {
		fprintf(stderr, "moat: tcp-client: timed out with %u of %u connections done\n",
			v->conns_done, v->conns_total);
		ns_loop_stop(v->loop);
	}
	return v->ready != NULL;
}

void tsvc_set_no_hash(struct tsvc *v, int on)
{
	v->copt.no_hash = on;
}

int tsvc_create(struct ns_stack *st, struct ns_loop *loop, struct tsvc **out)
{
	struct tsvc *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->st = st;
	v->loop = loop;
	*out = v;
	return ns_loop_add_hook(loop, hook, v);
}

int tsvc_listen(struct tsvc *v, const char *kind, uint16_t port, uint64_t bytes)
{
	enum conn_kind k;
	if (!strcmp(kind, "echo"))
		k = K_ECHO;
	else if (!strcmp(kind, "discard"))
		k = K_DISCARD;
	else if (!strcmp(kind, "source"))
		k = K_SOURCE;
	else if (!strcmp(kind, "sink"))
		k = K_SINK;
	else
		return -EINVAL;
	struct ns_socket *s;
	/* One dual-stack listener on [::]: IPv4 clients arrive v4-mapped
	 * (RFC 3493 3.7), as with most servers on Linux. */
	int r = ns_socket_create(v->st, AF_INET6, SOCK_STREAM, 0, &s);
	if (r < 0)
		return r;
	int one = 1;
	ns_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	if ((r = ns_bind(s, (struct sockaddr *)&a, sizeof(a))) < 0 || (r = ns_listen(s, 4096)) < 0) {
		ns_close(s);
		return r;
	}
	struct tconn *c = conn_new(v, s, K_LISTEN);
	if (!c) {
		ns_close(s);
		return -ENOMEM;
	}
	c->child_kind = k;
	c->source_bytes = bytes;
	c->port = port;
	return 0;
}

int tsvc_client(struct tsvc *v, const struct sockaddr_storage *to, const struct tsvc_client_opts *o)
{
	v->client = 1;
	v->copt = *o;
	v->conns_total = o->conns;
	v->started = ns_stack_now(v->st);
	for (uint32_t i = 0; i < o->conns; i++) {
		struct ns_socket *s;
		int r = ns_socket_create(v->st, to->ss_family, SOCK_STREAM, 0, &s);
		if (r < 0)
			return r;
		if (o->nodelay) {
			int one = 1;
			ns_setsockopt(s, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
		}
		if (o->congestion)
			ns_setsockopt(s, IPPROTO_TCP, 13 /* TCP_CONGESTION */, o->congestion,
				      (socklen_t)strlen(o->congestion));
		struct tconn *c = conn_new(v, s, K_CLIENT);
		if (!c) {
			ns_close(s);
			return -ENOMEM;
		}
		c->to_send = o->send_bytes;
		if (o->send_file) {
			c->file = fopen(o->send_file, "rb");
			if (!c->file)
				return -errno;
			fseek(c->file, 0, SEEK_END);
			c->to_send = (uint64_t)ftell(c->file);
			fseek(c->file, 0, SEEK_SET);
		}
		tsvc_fmt_peer((const struct sockaddr *)to, c->peer, sizeof(c->peer));
		socklen_t tl = to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		r = ns_connect(s, (const struct sockaddr *)to, tl);
		if (r < 0 && r != -EINPROGRESS) {
			conn_fail(c, -r);
			continue;
		}
		mark_ready(c);
	}
	return 0;
}

void tsvc_set_verbose(struct tsvc *v, int on)
{
	v->verbose = on;
}

int tsvc_client_result(const struct tsvc *v)
{
	if (!v->client)
		return 0;
	ns_time_t el = ns_stack_now(v->st) - v->started;
	double secs = (double)el / 1e9;
	printf("tcp-client: %u connections, %u done, %u failed, %u bad echoes; sent %llu bytes, "
	       "received %llu bytes in %.3f s (%.1f Mbit/s)\n",
	       v->conns_total, v->conns_done, v->conns_failed, v->conns_bad_echo,
	       (unsigned long long)v->client_sent, (unsigned long long)v->client_recvd, secs,
	       secs > 0 ? (double)(v->client_sent + v->client_recvd) * 8 / secs / 1e6 : 0.0);
	fflush(stdout);
	return v->conns_done == v->conns_total && !v->conns_failed && !v->conns_bad_echo ? 0 : 1;
}

void tsvc_destroy(struct tsvc *v)
{
	if (!v)
		return;
	while (v->all) {
		struct tconn *c = v->all;
		v->all = c->next_all;
		if (!c->done)
			conn_close(c);
		free(c);
	}
	free(v);
}
