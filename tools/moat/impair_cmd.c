/*
 * `moat impair`: a user-space impairment bridge between two interfaces.
 *
 * Every frame that arrives on one interface leaves on the other, after
 * seeded random decisions: loss, corruption, duplication, reordering and a
 * fixed delay with jitter, each with its own rate per direction. The kernel
 * here has no netem; this is what robustness tests put between Linux and
 * the netstack, and what a user debugging a protocol puts on a link.
 *
 * Per wire frame, in this order:
 *   loss       the frame is dropped;
 *   corrupt    one byte of its IP packet is XORed, checksums left alone;
 *   dup        a second copy follows it;
 *   reorder    the frame (and its copy) is held back until `gap` later frames
 *              of the same direction went out, or `timeout` passed;
 *   delay      the frame waits delay +- jitter before it is sent; the delay
 *              line is FIFO, so jitter never reorders (use reorder for that).
 *
 * Reproducible: each direction has its own generator, seeded from --seed,
 * and every wire frame consumes exactly IMP_DRAWS numbers from it whatever
 * the rates are. The decisions for the k-th frame of a direction depend only
 * on the seed and k (and the rates), never on timing or the other direction.
 *
 * Offloads: both sockets use PACKET_VNET_HDR. A Linux or netstack peer on a
 * veth hands over TCP GSO super-frames and frames whose checksum is only
 * partial; the bridge cuts the former into wire-size segments and finishes
 * the latter in software, and sends everything with an empty virtio header
 * (the receiver verifies checksums itself). Decisions are made per wire
 * frame, and a corrupted frame carries a checksum that no longer matches.
 * GSO kinds other than TCP are forwarded whole, with their header, and never
 * corrupted.
 *
 * Event loop, timers: the netstack's ns_loop and ns_wheel (one thread).
 * Counters are printed on SIGUSR1 and at exit; SIGINT/SIGTERM exit cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "impair.h"
#include "moat.h"
#include "ns/loop.h"
#include "ns/timer.h"

#define BATCH 64
#define RX_BUF (65536 + 512)
#define MAX_HELD 64	      /* frames held for reordering, per direction */
#define MAX_TXQ 65536	      /* frames waiting for the socket, per interface */
#define IMP_DRAWS 6	      /* random numbers per wire frame, always */

#define imp_err(...) fprintf(stderr, "moat impair: " __VA_ARGS__)

/* One direction's settings. Probabilities are imp_chance() thresholds. */
struct imp_params {
	uint64_t loss, dup, reorder, corrupt;
	ns_time_t delay, jitter;
	uint32_t reorder_gap;
	ns_time_t reorder_timeout;
};

struct imp_stats {
	uint64_t rx;	     /* frames read from the socket */
	uint64_t gso;	     /* of which GSO super-frames that were split */
	uint64_t in;	     /* wire frames after splitting: one decision set each */
	uint64_t out, out_bytes;
	uint64_t dropped, duplicated, reordered, delayed, corrupted;
	uint64_t held;	     /* frames held back for reordering */
	uint64_t passthrough; /* non-TCP GSO frames forwarded whole */
	uint64_t csum_filled; /* partial checksums finished in software */
	uint64_t bad;	     /* GSO frames that did not parse (forwarded whole) */
	uint64_t truncated;  /* larger than the receive buffer: lost */
	uint64_t tx_errors;  /* the socket refused the frame: lost */
	uint64_t kernel_drops; /* PACKET_STATISTICS: the socket queue overflowed */
};

struct frame {
	struct frame *next;
	ns_time_t due;		/* delay line: when to send; held: deadline */
	uint64_t seq;		/* wire frame number in its direction */
	uint32_t len;
	uint32_t gap;		/* held: later frames still to let through */
	uint32_t overtaken;	/* held: later frames that went out first */
	struct frame *twin;	/* held: the duplicate travelling with it */
	uint64_t jitter_draw;	/* held: its delay-line draw, for later */
	struct virtio_net_hdr vh; /* zero except for pass-through GSO */
	uint8_t data[];
};

struct fifo {
	struct frame *head, *tail;
	uint32_t n;
};

struct impair;

struct port {
	struct impair *im;
	const char *name;
	int fd;
	int ifindex;
	struct dir *rx_dir; /* frames read here travel in this direction */
	struct dir *tx_dir; /* frames sent here come from this direction */
	struct fifo txq;
	int want_out;	    /* EPOLLOUT armed */
	/* receive slots */
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH][2];
	struct virtio_net_hdr vh[BATCH];
	struct sockaddr_ll addr[BATCH];
	uint8_t *buf;
	/* transmit batch */
	struct mmsghdr tmsg[BATCH];
	struct iovec tiov[BATCH][2];
};

struct dir {
	struct impair *im;
	const char *name;
	struct port *in, *out;
	struct imp_params p;
	struct imp_rng rng;
	struct imp_stats st;
	struct fifo held;	/* reordering: oldest first */
	struct ns_timer held_timer;
	struct fifo line;	/* delay line, due times non-decreasing */
	struct ns_timer line_timer;
	ns_time_t last_due;
	ns_time_t now;		/* clock of the batch being handled */
};

struct impair {
	struct port port[2];
	struct dir dir[2];
	struct ns_wheel wheel;
	struct ns_loop *loop;
	pcap_t *dead;
	pcap_dumper_t *pcap_out, *pcap_in;
	int verbose;
	uint64_t seed;
	uint8_t *scratch;
};

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: moat impair --a IF1 --b IF2 [--seed N] [impairments] [--pcap FILE]\n"
		"\n"
		"Forward every frame between interfaces IF1 and IF2 (veth ends, taps,\n"
		"NICs; no addresses needed) in both directions, impairing them on the way.\n"
		"\n"
		"  --a IF, --b IF        the two interfaces (a2b: IF1 -> IF2, b2a: back)\n"
		"  --seed N              random seed (default: random, printed at start);\n"
		"                        the same seed and the same frames in give the same\n"
		"                        decisions\n"
		"impairments, for both directions (P: a percentage like 2%% or 0.1%%, or a\n"
		"fraction from 0 to 1):\n"
		"  --loss P              drop frames\n"
		"  --dup P               send frames twice\n"
		"  --reorder P           hold frames back until later ones went out\n"
		"  --reorder-gap N       ... N later frames (default 1, at most 1000)\n"
		"  --reorder-timeout MS  ... or MS milliseconds at most (default 10)\n"
		"  --delay MS[:JITTER]   delay every frame MS +- JITTER ms (decimals allowed;\n"
		"                        order is kept: jitter never reorders)\n"
		"  --corrupt P           flip one byte of the IP packet (header or payload),\n"
		"                        checksums unchanged: the receiver must notice\n"
		"one direction only: --a2b-OPTION or --b2a-OPTION (e.g. --a2b-loss 5%%)\n"
		"overrides OPTION for that direction, whatever the order on the line.\n"
		"\n"
		"  --pcap FILE           record every frame the bridge sends (both ways)\n"
		"  --pcap-in FILE        record every frame it receives, before impairment\n"
		"                        (GSO super-frames as the wire segments they become)\n"
		"  --verbose             log each impaired frame (direction, number, action)\n"
		"\n"
		"TCP GSO super-frames are cut into wire-size segments and partial checksums\n"
		"are finished first, so rates apply per wire frame and corruption is real.\n"
		"The interfaces are put in promiscuous mode. Counters per direction are\n"
		"printed on SIGUSR1 and at exit; SIGINT/SIGTERM stop it. 'moat impair:\n"
		"ready' on stderr means both interfaces are being forwarded.\n");
}

enum { P_LOSS, P_DUP, P_REORDER, P_CORRUPT, P_DELAY, P_GAP, P_TIMEOUT, NPARAMS };
static const char *const param_names[NPARAMS] = {
	"loss", "dup", "reorder", "corrupt", "delay", "reorder-gap", "reorder-timeout",
};
enum { OPT_A = 1, OPT_B, OPT_SEED, OPT_PCAP, OPT_PCAP_IN, OPT_VERBOSE, OPT_HELP,
       OPT_PARAM = 100 /* + 3 * param + (0: both, 1: a2b, 2: b2a) */ };

/* "2%", "0.1%" or a fraction "0.02". */
static int parse_prob(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || !isfinite(v))
		return -EINVAL;
	if (*end == '%' && end[1] == 0)
		v /= 100;
	else if (*end)
		return -EINVAL;
	if (v < 0 || v > 1)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_ms(const char *s, const char *stop, ns_time_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || end != stop || !isfinite(v) || v < 0 || v > 3600e3)
		return -EINVAL;
	*out = (ns_time_t)llround(v * (double)NS_MSEC);
	return 0;
}

/* Applies option value `s` of parameter `param` to `p`; a message on error. */
static int set_param(struct imp_params *p, int param, const char *opt, const char *s)
{
	double v;
	int r;
	switch (param) {
	case P_LOSS:
	case P_DUP:
	case P_REORDER:
	case P_CORRUPT: {
		r = parse_prob(s, &v);
		if (r < 0) {
			imp_err("bad --%s '%s': want a percentage (2%%, 0.1%%) or a fraction "
				 "from 0 to 1\n", opt, s);
			return r;
		}
		uint64_t t = (uint64_t)llround(v * (double)IMP_P_ONE);
		if (param == P_LOSS)
			p->loss = t;
		else if (param == P_DUP)
			p->dup = t;
		else if (param == P_REORDER)
			p->reorder = t;
		else
			p->corrupt = t;
		return 0;
	}
	case P_DELAY: {
		const char *colon = strchr(s, ':');
		const char *stop = colon ? colon : s + strlen(s);
		if (parse_ms(s, stop, &p->delay) < 0 ||
		    (colon && parse_ms(colon + 1, colon + 1 + strlen(colon + 1), &p->jitter) < 0)) {
			imp_err("bad --%s '%s': want MS or MS:JITTER_MS (milliseconds, "
				 "0 to 3600000)\n", opt, s);
			return -EINVAL;
		}
		if (!colon)
			p->jitter = 0;
		return 0;
	}
	case P_GAP: {
		char *end;
		long n = strtol(s, &end, 10);
		if (!*s || *end || n < 1 || n > 1000) {
			imp_err("bad --%s '%s': want a number of frames from 1 to 1000\n", opt, s);
			return -EINVAL;
		}
		p->reorder_gap = (uint32_t)n;
		return 0;
	}
	case P_TIMEOUT:
		if (parse_ms(s, s + strlen(s), &p->reorder_timeout) < 0 || p->reorder_timeout == 0) {
			imp_err("bad --%s '%s': want milliseconds above 0\n", opt, s);
			return -EINVAL;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static double prob(uint64_t t)
{
	return (double)t / (double)IMP_P_ONE * 100;
}

static void print_params(const struct dir *d)
{
	const struct imp_params *p = &d->p;
	fprintf(stderr,
		"moat impair: %s %s -> %s: loss %g%% dup %g%% reorder %g%% (gap %u, timeout "
		"%g ms) corrupt %g%% delay %g ms jitter %g ms\n",
		d->name, d->in->name, d->out->name, prob(p->loss), prob(p->dup), prob(p->reorder),
		p->reorder_gap, (double)p->reorder_timeout / NS_MSEC, prob(p->corrupt),
		(double)p->delay / NS_MSEC, (double)p->jitter / NS_MSEC);
}

/* ---- frames and queues ---- */

static struct frame *frame_new(const uint8_t *data, uint32_t len, uint64_t seq)
{
	struct frame *f = malloc(sizeof(*f) + len);
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->len = len;
	f->seq = seq;
	memcpy(f->data, data, len);
	return f;
}

static void fifo_push(struct fifo *q, struct frame *f)
{
	f->next = NULL;
	if (q->tail)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->n++;
}

static struct frame *fifo_pop(struct fifo *q)
{
	struct frame *f = q->head;
	if (f) {
		q->head = f->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
	}
	return f;
}

static uint64_t fifo_free(struct fifo *q)
{
	uint64_t n = 0;
	struct frame *f;
	while ((f = fifo_pop(q))) {
		n += 1 + (f->twin != NULL);
		free(f->twin);
		free(f);
	}
	return n;
}

static ns_time_t realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (ns_time_t)ts.tv_sec * NS_SEC + (ns_time_t)ts.tv_nsec;
}

static void pcap_record(pcap_dumper_t *d, const uint8_t *data, uint32_t len)
{
	if (!d)
		return;
	struct pcap_pkthdr h;
	ns_time_t t = realtime();
	h.ts.tv_sec = (time_t)(t / NS_SEC);
	h.ts.tv_usec = (suseconds_t)((t % NS_SEC) / NS_USEC);
	h.len = h.caplen = len;
	pcap_dump((u_char *)d, &h, data);
}

/* ---- transmit ---- */

static void set_want_out(struct port *pt, int on)
{
	if (pt->want_out == on)
		return;
	pt->want_out = on;
	ns_loop_mod_fd(pt->im->loop, pt->fd, EPOLLIN | (on ? EPOLLOUT : 0));
}

/* Send what is queued on pt until the socket pushes back (then EPOLLOUT
 * brings us back). Frames the kernel refuses outright are counted lost. */
static void port_flush(struct port *pt)
{
	struct imp_stats *st = &pt->tx_dir->st;
	while (pt->txq.n) {
		int n = 0;
		for (struct frame *f = pt->txq.head; f && n < BATCH; f = f->next, n++) {
			struct msghdr *m = &pt->tmsg[n].msg_hdr;
			memset(m, 0, sizeof(*m));
			pt->tiov[n][0].iov_base = &f->vh;
			pt->tiov[n][0].iov_len = sizeof(f->vh);
			pt->tiov[n][1].iov_base = f->data;
			pt->tiov[n][1].iov_len = f->len;
			m->msg_iov = pt->tiov[n];
			m->msg_iovlen = 2;
		}
		int r = sendmmsg(pt->fd, pt->tmsg, (unsigned)n, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				set_want_out(pt, 1);
				return;
			}
			/* This frame cannot go out (EMSGSIZE, ENETDOWN, ...). */
			struct frame *f = fifo_pop(&pt->txq);
			if (st->tx_errors++ == 0)
				imp_err("sending %u bytes on %s: %s (counted as tx_errors)\n",
					 f->len, pt->name, strerror(errno));
			free(f);
			continue;
		}
		for (int i = 0; i < r; i++) {
			struct frame *f = fifo_pop(&pt->txq);
			st->out++;
			st->out_bytes += f->len;
			free(f);
		}
	}
	set_want_out(pt, 0);
}

/* Takes f: queued for sending on the direction's output interface. */
static void tx_queue(struct dir *d, struct frame *f)
{
	struct port *pt = d->out;
	if (pt->txq.n >= MAX_TXQ) {
		d->st.tx_errors++;
		free(f);
		return;
	}
	pcap_record(d->im->pcap_out, f->data, f->len);
	fifo_push(&pt->txq, f);
	if (pt->txq.n >= BATCH && !pt->want_out)
		port_flush(pt);
}

/* ---- delay line ---- */

static void line_timer_fn(struct ns_timer *t, ns_time_t now)
{
	struct dir *d = ns_container_of(t, struct dir, line_timer);
	while (d->line.head && d->line.head->due <= now)
		tx_queue(d, fifo_pop(&d->line));
	if (d->line.head)
		ns_timer_arm(&d->im->wheel, &d->line_timer, d->line.head->due);
}

/* Takes f: the last stage, the delay line (or straight out without delay). */
static void to_line(struct dir *d, struct frame *f, uint64_t jitter_draw)
{
	const struct imp_params *p = &d->p;
	if (!p->delay && !p->jitter) {
		tx_queue(d, f);
		return;
	}
	/* Uniform in [delay - jitter, delay + jitter], at least 0. */
	double j = p->jitter ? ((double)(jitter_draw >> 11) / (double)IMP_P_ONE * 2 - 1) *
				       (double)p->jitter
			     : 0;
	double wait = (double)p->delay + j;
	ns_time_t due = d->now + (wait > 0 ? (ns_time_t)wait : 0);
	if (due < d->last_due)
		due = d->last_due; /* FIFO: jitter does not reorder */
	d->last_due = due;
	f->due = due;
	d->st.delayed++;
	int was_empty = d->line.head == NULL;
	fifo_push(&d->line, f);
	if (was_empty)
		ns_timer_arm(&d->im->wheel, &d->line_timer, due);
}

/* ---- reordering ---- */

static void release_held(struct dir *d, struct frame *f)
{
	struct frame *twin = f->twin;
	f->twin = NULL;
	if (f->overtaken)
		d->st.reordered++;
	if (d->im->verbose)
		fprintf(stderr, "moat impair: %s #%llu released after %u later frames%s\n",
			d->name, (unsigned long long)f->seq, f->overtaken,
			f->gap ? " (timeout)" : "");
	to_line(d, f, f->jitter_draw);
	if (twin)
		to_line(d, twin, f->jitter_draw);
}

static void held_timer_fn(struct ns_timer *t, ns_time_t now)
{
	struct dir *d = ns_container_of(t, struct dir, held_timer);
	d->now = now;
	/* Deadlines are in holding order: the oldest first. */
	while (d->held.head && d->held.head->due <= now)
		release_held(d, fifo_pop(&d->held));
	if (d->held.head)
		ns_timer_arm(&d->im->wheel, &d->held_timer, d->held.head->due);
}

/* One more frame of this direction went on: held frames count it. */
static void held_overtaken(struct dir *d)
{
	struct frame **pp = &d->held.head, *prev = NULL;
	while (*pp) {
		struct frame *f = *pp;
		f->overtaken++;
		if (--f->gap == 0) {
			*pp = f->next;
			if (d->held.tail == f)
				d->held.tail = prev;
			d->held.n--;
			release_held(d, f);
			continue;
		}
		prev = f;
		pp = &f->next;
	}
	if (!d->held.head)
		ns_timer_disarm(&d->im->wheel, &d->held_timer);
	else
		ns_timer_arm(&d->im->wheel, &d->held_timer, d->held.head->due);
}

/* ---- the decisions ---- */

static void vlog(const struct dir *d, uint64_t seq, uint32_t len, const char *what)
{
	fprintf(stderr, "moat impair: %s #%llu len %u: %s\n", d->name, (unsigned long long)seq,
		len, what);
}

/*
 * One wire frame of direction d. `vh` is NULL for a normal frame (it goes
 * out with an empty virtio header) or the header of a GSO frame forwarded
 * whole. Copies what it keeps: `data` belongs to the caller.
 */
static void wire_frame(struct dir *d, uint8_t *data, uint32_t len, const struct virtio_net_hdr *vh)
{
	const struct imp_params *p = &d->p;
	uint64_t r[IMP_DRAWS];
	for (int i = 0; i < IMP_DRAWS; i++)
		r[i] = imp_rng_next(&d->rng);
	uint64_t seq = d->st.in++;
	pcap_record(d->im->pcap_in, data, len);
	int verbose = d->im->verbose;

	if (imp_chance(r[0], p->loss)) {
		d->st.dropped++;
		if (verbose)
			vlog(d, seq, len, "dropped");
		return;
	}
	struct frame *f = frame_new(data, len, seq);
	if (!f) {
		d->st.tx_errors++;
		return;
	}
	if (vh)
		f->vh = *vh;
	if (imp_chance(r[1], p->corrupt) && !vh) {
		int pos = imp_corrupt(f->data, f->len, r[2]);
		if (pos >= 0) {
			d->st.corrupted++;
			if (verbose) {
				char what[64];
				snprintf(what, sizeof(what), "corrupted byte %d", pos);
				vlog(d, seq, len, what);
			}
		}
	}
	struct frame *twin = NULL;
	if (imp_chance(r[3], p->dup)) {
		twin = frame_new(f->data, f->len, seq);
		if (twin) {
			twin->vh = f->vh;
			d->st.duplicated++;
			if (verbose)
				vlog(d, seq, len, "duplicated");
		}
	}
	if (imp_chance(r[4], p->reorder) && d->held.n < MAX_HELD) {
		f->twin = twin;
		f->gap = p->reorder_gap;
		f->overtaken = 0;
		f->due = d->now + p->reorder_timeout;
		f->jitter_draw = r[5];
		fifo_push(&d->held, f);
		d->st.held++;
		if (!ns_timer_armed(&d->held_timer))
			ns_timer_arm(&d->im->wheel, &d->held_timer, d->held.head->due);
		if (verbose)
			vlog(d, seq, len, "held back");
		return;
	}
	to_line(d, f, r[5]);
	if (twin)
		to_line(d, twin, r[5]);
	if (d->held.n)
		held_overtaken(d);
}

static void emit_segment(void *arg, uint8_t *frame, uint32_t len)
{
	wire_frame(arg, frame, len, NULL);
}

/* A frame as read from the socket, with its virtio header. */
static void rx_frame(struct dir *d, uint8_t *data, uint32_t len, const struct virtio_net_hdr *vh)
{
	d->st.rx++;
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) {
		if (imp_gso_split(data, len, vh, d->im->scratch, emit_segment, d) >= 0) {
			d->st.gso++;
			return;
		}
		d->st.bad++;
		wire_frame(d, data, len, vh);
		return;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		d->st.passthrough++;
		wire_frame(d, data, len, vh);
		return;
	}
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (imp_csum_complete(data, len, vh->csum_start, vh->csum_offset) == 0)
			d->st.csum_filled++;
	}
	wire_frame(d, data, len, NULL);
}

/* ---- receive ---- */

static void port_rx(struct port *pt)
{
	struct dir *d = pt->rx_dir;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < BATCH; i++) {
			struct msghdr *m = &pt->msg[i].msg_hdr;
			memset(m, 0, sizeof(*m));
			m->msg_name = &pt->addr[i];
			m->msg_namelen = sizeof(pt->addr[i]);
			m->msg_iov = pt->iov[i];
			m->msg_iovlen = 2;
		}
		int n = recvmmsg(pt->fd, pt->msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		d->now = ns_clock_now();
		for (int i = 0; i < n; i++) {
			uint32_t len = pt->msg[i].msg_len;
			/* PACKET_IGNORE_OUTGOING should keep these away. */
			if (pt->addr[i].sll_pkttype == PACKET_OUTGOING)
				continue;
			if (pt->msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				d->st.truncated++;
				continue;
			}
			if (len < sizeof(struct virtio_net_hdr) + 14)
				continue;
			len -= (uint32_t)sizeof(struct virtio_net_hdr);
			rx_frame(d, pt->buf + (size_t)i * RX_BUF, len, &pt->vh[i]);
		}
		if (n < BATCH)
			return;
	}
}

static void port_ready(int fd, uint32_t events, void *arg)
{
	struct port *pt = arg;
	if (events & EPOLLOUT)
		port_flush(pt);
	if (events & (EPOLLIN | EPOLLERR))
		port_rx(pt);
}

static int flush_all(void *arg)
{
	struct impair *im = arg;
	for (int i = 0; i < 2; i++)
		if (!im->port[i].want_out)
			port_flush(&im->port[i]);
	if (im->pcap_out)
		pcap_dump_flush(im->pcap_out);
	if (im->pcap_in)
		pcap_dump_flush(im->pcap_in);
	return 0;
}

/* ---- setup ---- */

static int setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

static int port_open(struct port *pt, const char *ifname)
{
	struct ifreq ifr;
	pt->name = ifname;
	pt->fd = -1;
	if (strlen(ifname) >= IFNAMSIZ) {
		imp_err("interface name '%s' is too long\n", ifname);
		return -EINVAL;
	}
	pt->buf = malloc((size_t)BATCH * RX_BUF);
	if (!pt->buf)
		return -ENOMEM;
	for (int i = 0; i < BATCH; i++) {
		pt->iov[i][0].iov_base = &pt->vh[i];
		pt->iov[i][0].iov_len = sizeof(pt->vh[i]);
		pt->iov[i][1].iov_base = pt->buf + (size_t)i * RX_BUF;
		pt->iov[i][1].iov_len = RX_BUF;
	}
	pt->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (pt->fd < 0) {
		int e = errno;
		imp_err("AF_PACKET socket: %s\n", strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(pt->fd, SIOCGIFINDEX, &ifr) < 0) {
		int e = errno;
		imp_err("interface %s: %s\n", ifname, strerror(e));
		return -e;
	}
	pt->ifindex = ifr.ifr_ifindex;
	if (ioctl(pt->fd, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		imp_err("interface %s is not an Ethernet interface\n", ifname);
		return -EPROTONOSUPPORT;
	}
	if (ioctl(pt->fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(pt->fd, SIOCSIFFLAGS, &ifr) < 0)
			imp_err("warning: cannot bring %s up: %s\n", ifname, strerror(errno));
	}
	int r;
	/* Offload metadata in and an empty header out (see the top comment). */
	if ((r = setopt(pt->fd, SOL_PACKET, PACKET_VNET_HDR, 1)) < 0) {
		imp_err("PACKET_VNET_HDR on %s: %s\n", ifname, strerror(-r));
		return r;
	}
	/* What we send on this interface must not come back to us from it. */
	if ((r = setopt(pt->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)) < 0) {
		imp_err("PACKET_IGNORE_OUTGOING on %s: %s\n", ifname, strerror(-r));
		return r;
	}
	/* Generous buffers: a burst must not become loss nobody asked for. */
	if (setopt(pt->fd, SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20) < 0)
		setopt(pt->fd, SOL_SOCKET, SO_RCVBUF, 16 << 20);
	if (setopt(pt->fd, SOL_SOCKET, SO_SNDBUFFORCE, 16 << 20) < 0)
		setopt(pt->fd, SOL_SOCKET, SO_SNDBUF, 16 << 20);
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = pt->ifindex;
	if (bind(pt->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;
		imp_err("bind to %s: %s\n", ifname, strerror(e));
		return -e;
	}
	/* Frames for other MACs too: we are a bridge. Undone at close. */
	struct packet_mreq mr;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = pt->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		int e = errno;
		imp_err("promiscuous mode on %s: %s\n", ifname, strerror(e));
		return -e;
	}
	/* Frames that arrived between socket() and bind() belong to any
	 * interface: drain them so only ours are forwarded. */
	uint8_t junk[64];
	while (recv(pt->fd, junk, sizeof(junk), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
	return 0;
}

static void kernel_drops(struct port *pt)
{
	struct tpacket_stats ts;
	socklen_t l = sizeof(ts);
	/* Reading the statistics resets them: accumulate. */
	if (pt->fd >= 0 && getsockopt(pt->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &l) == 0)
		pt->rx_dir->st.kernel_drops += ts.tp_drops;
}

static void print_stats(struct impair *im)
{
	for (int i = 0; i < 2; i++)
		kernel_drops(&im->port[i]);
	fprintf(stderr, "moat impair: seed %llu\n", (unsigned long long)im->seed);
	for (int i = 0; i < 2; i++) {
		struct dir *d = &im->dir[i];
		const struct imp_stats *s = &d->st;
		uint64_t queued = d->held.n + d->line.n + d->out->txq.n;
		for (struct frame *f = d->held.head; f; f = f->next)
			queued += f->twin != NULL;
		fprintf(stderr,
			"moat impair: %s %s -> %s: rx %llu gso %llu in %llu out %llu "
			"dropped %llu duplicated %llu reordered %llu delayed %llu corrupted %llu "
			"held %llu queued %llu csum_filled %llu passthrough %llu bad %llu "
			"truncated %llu tx_errors %llu kernel_drops %llu\n",
			d->name, d->in->name, d->out->name, (unsigned long long)s->rx,
			(unsigned long long)s->gso, (unsigned long long)s->in,
			(unsigned long long)s->out, (unsigned long long)s->dropped,
			(unsigned long long)s->duplicated, (unsigned long long)s->reordered,
			(unsigned long long)s->delayed, (unsigned long long)s->corrupted,
			(unsigned long long)s->held, (unsigned long long)queued,
			(unsigned long long)s->csum_filled, (unsigned long long)s->passthrough,
			(unsigned long long)s->bad, (unsigned long long)s->truncated,
			(unsigned long long)s->tx_errors, (unsigned long long)s->kernel_drops);
	}
	fflush(stderr);
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct impair *im = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			print_stats(im);
		else
			ns_loop_stop(im->loop);
	}
}

static int open_pcap(struct impair *im, const char *path, pcap_dumper_t **out)
{
	if (!path)
		return 0;
	if (!im->dead && !(im->dead = pcap_open_dead(DLT_EN10MB, RX_BUF)))
		return -ENOMEM;
	*out = pcap_dump_open(im->dead, path);
	if (!*out) {
		imp_err("pcap %s: %s\n", path, pcap_geterr(im->dead));
		return -EACCES;
	}
	pcap_dump_flush(*out);
	return 0;
}

int cmd_impair(int argc, char **argv)
{
	static struct option opts[8 + 3 * NPARAMS];
	static char names[3 * NPARAMS][32];
	static const char *const prefix[3] = { "", "a2b-", "b2a-" };
	int no = 0;
	opts[no++] = (struct option){ "a", required_argument, 0, OPT_A };
	opts[no++] = (struct option){ "b", required_argument, 0, OPT_B };
	opts[no++] = (struct option){ "seed", required_argument, 0, OPT_SEED };
	opts[no++] = (struct option){ "pcap", required_argument, 0, OPT_PCAP };
	opts[no++] = (struct option){ "pcap-in", required_argument, 0, OPT_PCAP_IN };
	opts[no++] = (struct option){ "verbose", no_argument, 0, OPT_VERBOSE };
	opts[no++] = (struct option){ "help", no_argument, 0, OPT_HELP };
	for (int p = 0; p < NPARAMS; p++) {
		for (int w = 0; w < 3; w++) {
			char *nm = names[3 * p + w];
			snprintf(nm, sizeof(names[0]), "%s%s", prefix[w], param_names[p]);
			opts[no++] = (struct option){ nm, required_argument, 0, OPT_PARAM + 3 * p + w };
		}
	}
	opts[no] = (struct option){ 0, 0, 0, 0 };

	/* Per parameter: the value for both directions, then the overrides. */
	const char *val[NPARAMS][3];
	memset(val, 0, sizeof(val));
	const char *ifa = NULL, *ifb = NULL, *pcap = NULL, *pcap_in = NULL;
	int have_seed = 0, verbose = 0, o;
	uint64_t seed = 0;

	optind = 1;
	opterr = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case OPT_A: ifa = optarg; break;
		case OPT_B: ifb = optarg; break;
		case OPT_SEED: {
			char *end;
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (!*optarg || *end || errno || *optarg == '-') {
				imp_err("bad --seed '%s': want a number from 0 to 2^64-1\n", optarg);
				return 2;
			}
			have_seed = 1;
			break;
		}
		case OPT_PCAP: pcap = optarg; break;
		case OPT_PCAP_IN: pcap_in = optarg; break;
		case OPT_VERBOSE: verbose = 1; break;
		case OPT_HELP: usage(stdout); return 0;
		default:
			if (o >= OPT_PARAM && o < OPT_PARAM + 3 * NPARAMS) {
				val[(o - OPT_PARAM) / 3][(o - OPT_PARAM) % 3] = optarg;
				break;
			}
			imp_err("see 'moat impair --help'\n");
			return 2;
		}
	}
	if (optind < argc) {
		imp_err("unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!ifa || !ifb) {
		imp_err("--a IF1 and --b IF2 are both needed\n");
		usage(stderr);
		return 2;
	}
	if (!strcmp(ifa, ifb)) {
		imp_err("--a and --b name the same interface '%s'\n", ifa);
		return 2;
	}

	struct impair *im = calloc(1, sizeof(*im));
	if (!im)
		return 1;
	int ret = 1, sfd = -1;
	im->port[0].fd = im->port[1].fd = -1;
	for (int i = 0; i < 2; i++) {
		struct dir *d = &im->dir[i];
		d->im = im;
		d->name = i == 0 ? "a2b" : "b2a";
		d->p.reorder_gap = 1;
		d->p.reorder_timeout = 10 * NS_MSEC;
		for (int p = 0; p < NPARAMS; p++) {
			const char *v = val[p][1 + i] ? val[p][1 + i] : val[p][0];
			int w = val[p][1 + i] ? 1 + i : 0;
			char opt[48];
			snprintf(opt, sizeof(opt), "%s%s", prefix[w], param_names[p]);
			if (v && set_param(&d->p, p, opt, v) < 0) {
				ret = 2;
				goto out;
			}
		}
	}
	if (!have_seed) {
		moat_random(&seed, sizeof(seed));
		seed >>= 11; /* short enough to retype */
	}
	im->seed = seed;
	im->verbose = verbose;
	im->scratch = malloc(RX_BUF);
	if (!im->scratch)
		goto out;
	if (open_pcap(im, pcap, &im->pcap_out) < 0 || open_pcap(im, pcap_in, &im->pcap_in) < 0)
		goto out;

	ns_wheel_init(&im->wheel, ns_clock_now());
	if (ns_loop_create(&im->wheel, &im->loop) < 0)
		goto out;
	for (int i = 0; i < 2; i++) {
		struct port *pt = &im->port[i];
		struct dir *d = &im->dir[i];
		pt->im = im;
		d->in = pt;
		d->out = &im->port[1 - i];
		pt->rx_dir = d;
		pt->tx_dir = &im->dir[1 - i];
		imp_rng_seed(&d->rng, seed, (unsigned)i);
		ns_timer_init(&d->held_timer, held_timer_fn);
		ns_timer_init(&d->line_timer, line_timer_fn);
	}
	for (int i = 0; i < 2; i++) {
		if (port_open(&im->port[i], i == 0 ? ifa : ifb) < 0)
			goto out;
		if (ns_loop_add_fd(im->loop, im->port[i].fd, EPOLLIN, port_ready, &im->port[i]) < 0)
			goto out;
	}
	ns_loop_add_flush(im->loop, flush_all, im);

	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || ns_loop_add_fd(im->loop, sfd, EPOLLIN, on_signal, im) < 0) {
		imp_err("signalfd: %s\n", strerror(errno));
		goto out;
	}

	fprintf(stderr, "moat impair: seed %llu\n", (unsigned long long)seed);
	for (int i = 0; i < 2; i++)
		print_params(&im->dir[i]);
	fprintf(stderr, "moat impair: ready, forwarding %s <-> %s\n", ifa, ifb);
	fflush(stderr);
	int r = ns_loop_run(im->loop);
	if (r < 0)
		imp_err("event loop: %s\n", strerror(-r));
	/* Whatever the socket still takes goes out; the rest is 'queued'. */
	for (int i = 0; i < 2; i++)
		port_flush(&im->port[i]);
	print_stats(im);
	ret = r < 0 ? 1 : 0;
out:
	for (int i = 0; i < 2; i++) {
		struct dir *d = &im->dir[i];
		fifo_free(&d->held);
		fifo_free(&d->line);
		fifo_free(&im->port[i].txq);
		if (im->loop) {
			ns_timer_disarm(&im->wheel, &d->held_timer);
			ns_timer_disarm(&im->wheel, &d->line_timer);
		}
		if (im->port[i].fd >= 0)
			close(im->port[i].fd);
		free(im->port[i].buf);
	}
	ns_loop_destroy(im->loop);
	if (sfd >= 0)
		close(sfd);
	if (im->pcap_out)
		pcap_dump_close(im->pcap_out);
	if (im->pcap_in)
		pcap_dump_close(im->pcap_in);
	if (im->dead)
		pcap_close(im->dead);
	free(im->scratch);
	free(im);
	return ret;
}
