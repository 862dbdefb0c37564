/*
 * libFuzzer harness for TCP segments and options in every connection state,
 * on a fake clock with a channel link (the stack is 10.0.0.2, the harness
 * plays the peer 10.0.0.1).
 *
 * Input format:
 *   byte 0   the state to reach (modulo H_NSTATES, see state_names[]);
 *   byte 1   the handshake's options: bit 0 timestamps, bit 1 SACK-permitted,
 *            bit 2 window scale, bits 3-4 its shift (0, 1, 7, 14), bits 5-6
 *            the peer's MSS option (1460, none, 536, 100), bit 7 ECN;
 *   byte 2   bit 0 passive open (accept) for the synchronized states,
 *            bit 1 close() instead of shutdown(SHUT_WR) where the stack
 *            sends its FIN (the connection is then an orphan), bit 2 the
 *            link does GSO and checksum offload, bit 3 Reno instead of
 *            CUBIC, bit 4 TCP_NODELAY, bit 5 small socket buffers, bits 6-7
 *            the peer's window (65535, 16384, 2000, 300);
 *   byte 3   bit 0 the stack has sent data before its FIN (FIN-WAIT-1,
 *            CLOSING, LAST-ACK), bit 1 the peer has sent data before its
 *            FIN (CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT), bit 2 the
 *            listener's backlog is 1, not 8 (a second SYN gets a cookie),
 *            bits 3-4 the packet pool's limit once the state is reached
 *            (none, 160, 300, 600 KiB: allocation failures on the way);
 *   then records, each one byte of kind and its arguments:
 *   kind < 0x80: a segment from the peer.
 *            kind bits 0-1 sequence number: 0 the peer's SND.NXT, 1 that
 *                 + int8, 2 the stack's last ACK + int16, 3 a raw 32 bits;
 *            kind bits 2-3 acknowledgment: 0 the highest sequence the stack
 *                 sent (its SND.NXT), 1 the peer's last ACK (the stack's
 *                 SND.UNA as the peer sees it) + int8, 2 the stack's SND.NXT
 *                 + int16, 3 a raw 32 bits;
 *            kind bits 4-5: 0 the connection's ports, 1 another connection
 *                 from the peer's next port (the bases above are its own),
 *                 2 a broken checksum, 3 to a port with no socket;
 *            kind bit 6: the IP header says Congestion Experienced;
 *            1 byte flags; the seq and ack bytes their encodings ask for
 *            (big endian); 2 bytes window; 1 byte options control: bits 0-5
 *            raw option bytes (clipped to what fits in 40), bit 6 a
 *            timestamps option first (1 more byte: int8 added to the
 *            peer's TSval; TSecr echoes the stack's last TSval), bit 7 a
 *            SACK option (1 more byte: blocks (v & 3) + 1, then per block
 *            int16 start relative to the stack's SND.NXT and uint16
 *            length); the raw option bytes (any bytes: that is where
 *            option parsing is fuzzed); 2 bytes urgent pointer if URG is
 *            set; 1 byte payload length (v < 128: v; < 224: 128 + 32
 *            (v - 128); else 2048 (v - 223), at most 65000); the payload is
 *            the peer's stream at those sequence numbers. The harness
 *            computes the checksum and addresses.
 *   kind >= 0x80: an action (kind & 0x7f, modulo 11):
 *            0 advance the clock (1 byte: v < 100: v ms; < 200: 10 (v - 99)
 *              ms; else v - 199 s)
 *            1 send (1 byte size: v < 128: v; else 512 (v - 127); 1 byte
 *              flags: bit 0 MSG_OOB, bit 1 MSG_MORE)
 *            2 recv (1 byte: bit 0 MSG_PEEK, bit 1 MSG_OOB, bit 2
 *              MSG_TRUNC, bits 3-7 size 1 + 512 (v >> 3))
 *            3 shutdown (1 byte: SHUT_RD, SHUT_WR, SHUT_RDWR modulo 3)
 *            4 close the connection's socket
 *            5 close the listener
 *            6 accept
 *            7 setsockopt (1 byte option, bit 7: on the listener; 1 byte
 *              value)
 *            8 an ICMP error quoting our segment (1 byte kind and MTU,
 *              1 byte int8 offset of the quoted sequence from the stack's
 *              SND.NXT)
 *            9 disconnect (connect(AF_UNSPEC))
 *           10 read-only calls: getsockopt of TCP_INFO and every TCP
 *              option, poll, ioctls, names, socket info
 *
 * Every input gets a fresh stack, so a crash reproduces from its input
 * alone. The harness drives the connection to the state with well-formed
 * segments, learning the stack's sequence numbers and TSval from what it
 * sends (and aborts if the state is not reached: a harness mistake or a
 * regression). After every record the connection blocks must be
 * consistent (retransmission queue counts, out-of-order queue, receive
 * queue), every segment the stack sends well formed, its window's right
 * edge never moving left, its data the bytes the application wrote at
 * their place in the stream; and what the application reads must be the
 * peer's bytes (the peer's byte at sequence q is a function of q, so
 * overlapping segments agree). After the records the peer falls silent and
 * the clock runs 3 hours (every timer fires, TIME-WAIT ends,
 * retransmissions give up), then:
 *   - the accounting of tests/unit/books.h must hold, and TCP must have seen
 *     every segment injected and dropped exactly the broken checksums;
 *   - no orphaned connection may outlive the silence, none may still
 *     have data to send;
 *   - after closing everything and ns_stack_destroy() no packet chunk or
 *     view may be in use.
 * ASan/UBSan and libFuzzer's leak check do the rest.
 *
 * FUZZ_WRITE_SEEDS=DIR: write a seed corpus (per state a few well-formed
 * follow-ups) into DIR and exit. FUZZ_TCP_TRACE=1: print every record, what
 * the stack sends and its connections (to read a reproducer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "seed_file.h"
#include "ns/info.h"
#include "../unit/books.h"
#include "../unit/builders.h"
#include "../unit/builders.c"
#include "tcp/tcp_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
/* One line per connection (tcp_socket.c, for debugging). */
void tcp_dump(struct ns_stack *st, FILE *f, int max);

enum {
	H_LISTEN,	/* a listener with a request in SYN-RECEIVED */
	H_SYN_SENT,
	H_SYN_RECEIVED, /* simultaneous open */
	H_ESTABLISHED,
	H_EST_INFLIGHT, /* the stack's data unacknowledged */
	H_EST_RCVQ,	/* the peer's data waiting to be read */
	H_EST_OOO,	/* the peer's data held out of order */
	H_FIN_WAIT_1,
	H_FIN_WAIT_2,
	H_CLOSE_WAIT,
	H_CLOSING,
	H_LAST_ACK,
	H_TIME_WAIT,
	H_NSTATES
};

static const char *const state_names[H_NSTATES] = {
	"LISTEN",      "SYN-SENT",   "SYN-RECEIVED", "ESTABLISHED", "ESTABLISHED+inflight",
	"ESTABLISHED+rcvq", "ESTABLISHED+ooo", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
	"CLOSING",     "LAST-ACK",   "TIME-WAIT",
};

#define T0 (1000 * NS_SEC)
#define PEER_ISS 0x10000000u
#define ALT_ISS 0x20000000u
#define PEER_TSVAL 5000000u
#define PEER_PORT 40000
#define LISTEN_PORT 80
#define CLOSED_PORT 81
#define MAX_RECORDS 400
#define SILENCE (3 * 3600 * NS_SEC)

/* Configuration bits. */
#define C1_TS 0x01
#define C1_SACK 0x02
#define C1_WS 0x04
#define C1_ECN 0x80
#define C2_PASSIVE 0x01
#define C2_CLOSE 0x02
#define C2_GSO 0x04
#define C2_RENO 0x08
#define C2_NODELAY 0x10
#define C2_SMALLBUF 0x20
#define C3_DATA_OUT 0x01
#define C3_DATA_IN 0x02
#define C3_BACKLOG1 0x04
#define C3_POOL 0x18 /* bits 3-4: packet pool limit after the drive */

/* A segment the stack sent, parsed. */
struct sseg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint32_t len;
	uint8_t ts_ok, mss_ok, ws_ok, sack_perm;
	uint32_t tsval, tsecr;
	uint16_t mss;
	uint8_t ws;
	uint8_t nsack;
	uint32_t sack[4][2];
};

/* The peer's view of the connection, learned from what the stack sends. */
struct peer {
	uint16_t port;	    /* the peer's port */
	uint16_t lport;	    /* the stack's port */
	uint32_t snd_nxt;   /* the peer's next sequence number */
	uint32_t last_ack;  /* the highest plausible ACK the peer sent */
	uint32_t rcv_nxt;   /* the highest sequence the stack sent (end) */
	uint32_t stack_ack; /* the last ACK number the stack sent */
	uint32_t stack_iss;
	uint32_t tsval;	    /* the peer's clock */
	uint32_t ts_recent; /* the stack's last TSval */
	uint16_t win;	    /* the peer's window field */
	uint8_t ts;	    /* timestamps are on: the peer echoes ts_recent */
	uint8_t synced;	    /* rcv_nxt and stack_ack are known */
	uint8_t edge_ok;    /* edge is known */
	uint32_t edge;	    /* the right edge of the stack's window, so far */
};

#define QMAX 64

static struct {
	struct ns_wheel wheel;
	struct ns_stack *st;
	struct ns_link *ch;
	struct ns_socket *s;  /* the connection's socket (NULL: none, closed) */
	struct ns_socket *ls; /* the listener (passive opens) */
	struct ns_socket *acc[8];
	int nacc;
	uint8_t cfg[4];
	struct peer P;	      /* the connection */
	struct peer alt;      /* another one, from the peer's next port */
	uint64_t injected;     /* frames */
	uint64_t tcp_injected; /* of which TCP segments */
	uint64_t tcp_bad_csum; /* of which with a broken checksum */
	uint16_t ip_id;
	int record_q;	       /* keep parsed stack segments for the driver */
	/* The byte streams, checked end to end: what the stack sends of
	 * the application's writes (connection tx_*), and what the
	 * application reads of the peer's bytes (rx_read bytes of H.s so
	 * far; not once urgent data may have been taken out of the
	 * stream). */
	uint32_t tx_len;
	uint16_t tx_lport, tx_rport;
	uint32_t tx_iss;
	uint8_t tx_on;
	struct ns_socket *rx_sock;
	uint32_t rx_read;
	uint8_t rx_urg;
	struct sseg q[QMAX];
	unsigned qn;
} H;

/* The harness's own checks are not coverage for the fuzzer to chase (and
 * cost time on every segment). */
#ifdef __clang__
#define NOCOV __attribute__((no_sanitize("coverage")))
#else
#define NOCOV
#endif

static uint8_t pattern[65536];
#define TX_CAP (1u << 20)
static uint8_t tx_stream[TX_CAP];
static int trace; /* FUZZ_TCP_TRACE set: print each record and the connections */
static uint8_t frame_buf[65536];

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz_tcp: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (state %s, cfg %02x %02x %02x)\n", state_names[H.cfg[0] % H_NSTATES],
		H.cfg[1], H.cfg[2], H.cfg[3]);
	va_end(ap);
	if (H.st)
		tcp_dump(H.st, stderr, 16);
	abort();
}

#define NEED(cond, ...)                    \
	do {                               \
		if (!(cond))               \
			die(__VA_ARGS__);  \
	} while (0)

/* The peer's byte at sequence number q: overlapping segments carry the
 * same bytes, and what the application reads can be checked. */
static inline uint8_t stream_byte(uint32_t q)
{
	return (uint8_t)(q * 7 + (q >> 8) * 13 + (q >> 16));
}

/* ---- frames in ---- */

/* Consumes p. With the packet pool limited (C3_POOL) building a frame may
 * fail: then nothing is sent (the drive runs before the limit is set). */
static int inject(struct pkt *p)
{
	if (!p)
		return 0;
	H.injected++;
	ns_channel_inject(H.ch, p);
	return 1;
}

struct seg {
	uint16_t sport;		 /* 0: the peer's port */
	uint16_t dport;		 /* 0: the stack's port */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, urp;
	const uint8_t *opts;
	uint32_t optlen; /* a multiple of 4, at most 40 */
	uint32_t len;	 /* payload bytes (the peer's stream at seq) */
	int bad_csum;
	uint8_t tos;
};

static void inject_seg(const struct seg *s)
{
	uint8_t *h = frame_buf;
	uint32_t hlen = TCP_HDR_LEN + s->optlen;
	uint32_t len = s->len;
	if (hlen + len > 65535 - IP4_HDR_LEN)
		len = 65535 - IP4_HDR_LEN - hlen;
	ns_wr16(h, s->sport ? s->sport : H.P.port);
	ns_wr16(h + 2, s->dport ? s->dport : H.P.lport);
	ns_wr32(h + 4, s->seq);
	ns_wr32(h + 8, s->ack);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = s->flags;
	ns_wr16(h + 14, s->win);
	ns_wr16(h + 16, 0);
	ns_wr16(h + 18, s->urp);
	if (s->optlen)
		memcpy(h + TCP_HDR_LEN, s->opts, s->optlen);
	uint32_t q = s->seq + ((s->flags & TH_SYN) ? 1 : 0);
	for (uint32_t i = 0; i < len; i++)
		h[hlen + i] = stream_byte(q + i);
	uint32_t sum = ns_csum_pseudo4(B_IP_PEER, B_IP_STACK, IPPROTO_TCP_, hlen + len);
	uint16_t c = ns_csum_fold(ns_csum_add(sum, h, hlen + len));
	ns_wr16(h + 16, s->bad_csum ? (uint16_t)(c ^ 0x1234) : c);
	struct b_ip4 ip = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_TCP_,
			    .id = ++H.ip_id, .df = 1, .tos = s->tos };
	if (!inject(b_ip4(&ip, h, hlen + len)))
		return;
	H.tcp_injected++;
	if (s->bad_csum)
		H.tcp_bad_csum++;
}

/* A well-formed segment of the connection as the peer stands: options as
 * negotiated (a timestamp when on), ACK of everything the stack sent. */
static void peer_send(uint8_t flags, uint32_t len)
{
	uint8_t o[12];
	struct seg s = { .seq = H.P.snd_nxt, .ack = H.P.rcv_nxt, .flags = flags, .win = H.P.win,
			 .len = len };
	if (H.P.ts) {
		o[0] = TCPOPT_NOP;
		o[1] = TCPOPT_NOP;
		o[2] = TCPOPT_TS;
		o[3] = 10;
		ns_wr32(o + 4, H.P.tsval++);
		ns_wr32(o + 8, H.P.ts_recent);
		s.opts = o;
		s.optlen = 12;
	}
	inject_seg(&s);
	H.P.snd_nxt += len + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
	if (flags & TH_ACK)
		H.P.last_ack = H.P.rcv_nxt;
}

/* ---- frames out ---- */

NOCOV static void parse_opts(struct sseg *g, const uint8_t *o, uint32_t len)
{
	uint32_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		NEED(i + 1 < len && o[i + 1] >= 2 && i + o[i + 1] <= len,
		     "the stack sent a malformed option list");
		uint8_t olen = o[i + 1];
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case TCPOPT_MSS:
			NEED(olen == 4, "the stack sent a bad MSS option");
			g->mss_ok = 1;
			g->mss = ns_rd16(v);
			break;
		case TCPOPT_WS:
			NEED(olen == 3, "the stack sent a bad window scale option");
			g->ws_ok = 1;
			g->ws = v[0];
			break;
		case TCPOPT_SACK_PERM:
			NEED(olen == 2, "the stack sent a bad SACK-permitted option");
			g->sack_perm = 1;
			break;
		case TCPOPT_TS:
			NEED(olen == 10, "the stack sent a bad timestamps option");
			g->ts_ok = 1;
			g->tsval = ns_rd32(v);
			g->tsecr = ns_rd32(v + 4);
			break;
		case TCPOPT_SACK:
			NEED(olen >= 10 && olen <= 34 && (olen - 2) % 8 == 0,
			     "the stack sent a bad SACK option");
			for (uint32_t b = 0; b + 8 <= (uint32_t)olen - 2; b += 8) {
				uint32_t l = ns_rd32(v + b), r = ns_rd32(v + b + 4);
				NEED(SEQ_LT(l, r), "the stack sent an empty SACK block");
				g->sack[g->nsack][0] = l;
				g->sack[g->nsack][1] = r;
				g->nsack++;
			}
			break;
		default:
			die("the stack sent an unknown option %u", kind);
		}
		i += olen;
	}
}

/* A TCP segment the stack sent: check it, and teach the peer. */
NOCOV static void note_tcp(const struct pkt *p, const struct b_frame *f)
{
	const uint8_t *h = f->l4;
	NEED(f->ip.src == B_IP_STACK, "the stack sent from another address");
	NEED(f->l4_len >= TCP_HDR_LEN, "the stack sent a short TCP header");
	uint32_t doff = (uint32_t)(h[12] >> 4) * 4;
	NEED(doff >= TCP_HDR_LEN && doff <= f->l4_len, "the stack sent a bad data offset");
	if (!(p->flags & PKT_F_CSUM_PARTIAL)) {
		uint32_t sum = ns_csum_pseudo4(f->ip.src, f->ip.dst, IPPROTO_TCP_, f->l4_len);
		NEED(ns_csum_fold(ns_csum_add(sum, h, f->l4_len)) == 0,
		     "the stack sent a bad TCP checksum");
	}
	struct sseg g;
	memset(&g, 0, sizeof(g));
	g.sport = ns_rd16(h);
	g.dport = ns_rd16(h + 2);
	g.seq = ns_rd32(h + 4);
	g.ack = ns_rd32(h + 8);
	g.flags = h[13];
	g.win = ns_rd16(h + 14);
	g.len = f->l4_len - doff;
	parse_opts(&g, h + TCP_HDR_LEN, doff - TCP_HDR_LEN);
	NEED(!(g.flags & TH_RST) || !g.len, "the stack sent a RST with data");
	/* RFC 2018 4 / RFC 2883: only the first block may be a D-SACK (below
	 * the cumulative ACK); the others report data above it. */
	for (int i = 1; i < g.nsack; i++)
		NEED(SEQ_GEQ(g.sack[i][0], g.ack), "the stack sent SACK block %d [%u, %u) below its ACK %u",
		     i, g.sack[i][0], g.sack[i][1], g.ack);
	NEED(!((g.flags & TH_SYN) && (g.flags & (TH_RST | TH_FIN))), "the stack sent SYN with RST/FIN");
	if (H.tx_on && g.len && g.sport == H.tx_lport && g.dport == H.tx_rport &&
	    !(g.flags & (TH_SYN | TH_RST))) {
		/* The data is the application's, at its place in the stream. */
		uint32_t off = g.seq - (H.tx_iss + 1);
		NEED((uint64_t)off + g.len <= H.tx_len || H.tx_len == TX_CAP,
		     "the stack sent bytes [%u, %u) of a stream of %u written", off, off + g.len,
		     H.tx_len);
		uint32_t n = off < H.tx_len ? NS_MIN(g.len, H.tx_len - off) : 0;
		NEED(!n || memcmp(h + doff, tx_stream + off, n) == 0,
		     "the stack sent other bytes than written at [%u, %u)", off, off + n);
	}
	if (trace)
		fprintf(stderr, "  stack: %u->%u flags %#x seq %u ack %u len %u%s\n", g.sport, g.dport,
			g.flags, g.seq, g.ack, g.len, g.ts_ok ? " ts" : "");
	if (H.record_q && H.qn < QMAX)
		H.q[H.qn++] = g;
	struct peer *P = &H.P;
	if (g.sport != P->lport || g.dport != P->port) {
		P = &H.alt;
		if (!P->port || g.sport != P->lport || g.dport != P->port)
			return;
	}
	if (g.flags & TH_RST)
		return;
	/* RFC 9293 3.8.6 / RFC 7323 2.4: the right edge of the window
	 * offered must not move left (a SYN starts a new connection; the
	 * scale is the one of the connection block that sent it). */
	struct ns_ip la = ns_ip4(B_IP_STACK), ra = ns_ip4(B_IP_PEER);
	struct tcp_sock *tp = tcp_ehash_lookup(H.st, &la, g.sport, &ra, g.dport);
	if ((g.flags & TH_SYN) || !tp) {
		P->edge_ok = 0;
	} else if (g.flags & TH_ACK) {
		uint32_t edge = g.ack + ((uint32_t)g.win << tp->rcv_wscale);
		NEED(!P->edge_ok || SEQ_GEQ(edge, P->edge),
		     "the stack shrank its window: right edge %u, %u before", edge, P->edge);
		if (!P->edge_ok || SEQ_GT(edge, P->edge))
			P->edge = edge;
		P->edge_ok = 1;
	}
	uint32_t end = g.seq + g.len + ((g.flags & TH_SYN) ? 1 : 0) + ((g.flags & TH_FIN) ? 1 : 0);
	if (!P->synced || SEQ_GT(end, P->rcv_nxt))
		P->rcv_nxt = end;
	if (g.flags & TH_ACK) {
		P->stack_ack = g.ack;
		if (!P->synced || SEQ_GT(g.ack, P->snd_nxt))
			P->snd_nxt = g.ack;
	}
	P->synced = 1;
	if (g.ts_ok)
		P->ts_recent = g.tsval;
}

/* Take what the stack sent, answering ARP for the peer. */
static void collect(void)
{
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < 64 && ns_stack_poll(H.st) > 0; i++)
			;
		ns_stack_flush(H.st);
		int arp = 0;
		struct pkt *p;
		while ((p = ns_channel_take(H.ch))) {
			struct b_frame f;
			NEED(b_parse(p, &f) == 0, "the stack sent a malformed frame");
			if (f.is_arp)
				arp |= f.arp.op == ARP_OP_REQUEST && f.arp.tpa == B_IP_PEER;
			else if (f.is_ip && f.ip.proto == IPPROTO_TCP_)
				note_tcp(p, &f);
			pkt_unref(p);
		}
		if (!arp)
			return;
		inject(b_arp(B_MAC_STACK, ARP_OP_REPLY, B_MAC_PEER, B_IP_PEER, B_MAC_STACK, B_IP_STACK));
	}
}

/* ---- the application's side ---- */

/* send() on s, noting what the stream holds. */
static ssize_t app_send(struct ns_socket *s, size_t n, int flags)
{
	struct tcp_sock *tp = tcp_sk(s);
	ssize_t r = ns_send(s, pattern, n, flags);
	if (r <= 0)
		return r;
	if (!H.tx_on || tp->lport != H.tx_lport || tp->rport != H.tx_rport || tp->iss != H.tx_iss) {
		H.tx_on = 1;
		H.tx_lport = tp->lport;
		H.tx_rport = tp->rport;
		H.tx_iss = tp->iss;
		H.tx_len = 0;
	}
	uint32_t k = (uint32_t)NS_MIN((size_t)r, (size_t)(TX_CAP - H.tx_len));
	memcpy(tx_stream + H.tx_len, pattern, k);
	H.tx_len += k;
	return r;
}

/* recv() on H.s, checking the bytes against the peer's stream. */
static ssize_t app_recv(void *buf, size_t n, int flags)
{
	struct tcp_sock *tp = tcp_sk(H.s);
	if (H.rx_sock != H.s) {
		H.rx_sock = H.s;
		H.rx_read = 0;
		H.rx_urg = 0;
	}
	ssize_t r = ns_recv(H.s, buf, n, flags);
	if (r <= 0 || (flags & MSG_OOB))
		return r;
	if (tp->urg_seen || tp->urg_data_valid)
		H.rx_urg = 1;
	if (!(flags & MSG_TRUNC) && !H.rx_urg) {
		const uint8_t *b = buf;
		uint32_t q = tp->irs + 1 + H.rx_read;
		for (ssize_t i = 0; i < r; i++)
			NEED(b[i] == stream_byte(q + (uint32_t)i),
			     "read byte %u of the stream: %#x, the peer sent %#x",
			     H.rx_read + (uint32_t)i, b[i], stream_byte(q + (uint32_t)i));
	}
	if (!(flags & MSG_PEEK))
		H.rx_read += (uint32_t)r;
	return r;
}

/* Urgent data may take a byte out of the stream: reads are no longer
 * checked (sticky; looked at after every step). */
static void note_urgent(void)
{
	if (H.rx_sock != H.s) {
		H.rx_sock = H.s;
		H.rx_read = 0;
		H.rx_urg = 0;
	}
	if (H.s && (tcp_sk(H.s)->urg_seen || tcp_sk(H.s)->urg_data_valid))
		H.rx_urg = 1;
}

/* ---- consistency of the connection blocks ---- */

NOCOV static void check_conn(struct tcp_sock *tp)
{
	if (tp->state == TCPS_LISTEN) {
		uint32_t n = 0;
		for (struct tcp_req *r = tp->listen->synq; r; r = r->next)
			n++;
		NEED(n == tp->listen->synq_len, "SYN queue: %u requests, synq_len %u", n,
		     tp->listen->synq_len);
		n = 0;
		for (struct tcp_sock *c = tp->listen->acceptq_head; c; c = c->acc_next)
			n++;
		NEED(n == tp->listen->acceptq_len, "accept queue: %u, acceptq_len %u", n,
		     tp->listen->acceptq_len);
		return;
	}
	uint32_t n = 0, sacked = 0, lost = 0, retrans = 0, sbytes = 0;
	const struct tcp_seg *prev = NULL;
	uint32_t data_end = tp->snd_buf_seq + tp->sndq.len;
	for (const struct tcp_seg *s = tp->rtx_head; s; s = s->next) {
		NEED(s->prev == prev, "retransmission queue: broken back link");
		NEED(SEQ_LT(s->seq, s->end), "retransmission queue: empty record [%u, %u)", s->seq, s->end);
		if (prev)
			NEED(prev->end == s->seq, "retransmission queue: records not contiguous");
		if (!(s->flags & SEG_SYN)) {
			uint32_t dend = s->end - ((s->flags & SEG_FIN) ? 1 : 0);
			NEED(SEQ_GEQ(s->seq, tp->snd_buf_seq) && SEQ_LEQ(dend, data_end),
			     "retransmission queue: record [%u, %u) outside the send buffer [%u, %u)",
			     s->seq, s->end, tp->snd_buf_seq, data_end);
		}
		n++;
		if (s->flags & SEG_SACKED) {
			sacked++;
			sbytes += s->end - s->seq;
		}
		if (s->flags & SEG_LOST)
			lost++;
		if (s->flags & SEG_RETRANS)
			retrans++;
		prev = s;
	}
	NEED(prev == tp->rtx_tail, "retransmission queue: wrong tail");
	NEED(n == tp->packets_out, "packets_out %u, %u records", tp->packets_out, n);
	NEED(sacked == tp->sacked_out, "sacked_out %u, %u records sacked", tp->sacked_out, sacked);
	NEED(sbytes == tp->sacked_bytes, "sacked_bytes %u, records sacked hold %u", tp->sacked_bytes,
	     sbytes);
	NEED(lost == tp->lost_out, "lost_out %u, %u records lost", tp->lost_out, lost);
	NEED(retrans == tp->retrans_out, "retrans_out %u, %u records retransmitted", tp->retrans_out,
	     retrans);
	if (tp->rtx_head) {
		NEED(tp->rtx_head->seq == tp->snd_una, "retransmission queue starts at %u, snd_una %u",
		     tp->rtx_head->seq, tp->snd_una);
		NEED(tp->rtx_tail->end == tp->snd_nxt, "retransmission queue ends at %u, snd_nxt %u",
		     tp->rtx_tail->end, tp->snd_nxt);
	}
	NEED(SEQ_LEQ(tp->snd_una, tp->snd_nxt), "snd_una %u after snd_nxt %u", tp->snd_una, tp->snd_nxt);
	uint32_t ooo = 0;
	const struct pkt *pp = NULL;
	for (const struct pkt *p = tp->ooo; p; p = p->next) {
		uint32_t seq = (uint32_t)p->cookie;
		NEED(p->len > 0, "out-of-order queue: empty segment");
		/* One that could not be moved to the receive queue (no
		 * memory) stays, partly below rcv_nxt; none lies wholly
		 * below it. */
		NEED(SEQ_GT(seq + p->len, tp->rcv_nxt),
		     "out-of-order queue: segment [%u, %u), rcv_nxt %u", seq, seq + p->len,
		     tp->rcv_nxt);
		if (pp)
			NEED(SEQ_GEQ(seq, (uint32_t)pp->cookie + pp->len),
			     "out-of-order queue: unsorted or overlapping");
		ooo += p->len;
		pp = p;
	}
	NEED(ooo == tp->ooo_bytes, "ooo_bytes %u, queue holds %u", tp->ooo_bytes, ooo);
	NEED(!tp->ooo || !TCPS_HAVERCVDFIN(tp->state), "out-of-order data held beyond the FIN in %s",
	     tcp_state_names[tp->state]);
	uint32_t rq = 0;
	for (const struct pkt *p = tp->rcvq.head; p; p = p->next) {
		rq += p->len;
		if (!p->next)
			NEED(p == tp->rcvq.tail, "receive queue: wrong tail");
	}
	NEED(rq == tp->rcvq.len, "receive queue: len %u, views hold %u", tp->rcvq.len, rq);
	if (tp->state == TCPS_TIME_WAIT || tp->state == TCPS_CLOSED)
		NEED(!tp->rtx_head, "retransmission queue in %s", tcp_state_names[tp->state]);
}

NOCOV static void check_all(void)
{
	for (struct ns_socket *s = H.st->sockets; s; s = s->all_next)
		if (s->type == SOCK_STREAM)
			check_conn(tcp_sk(s));
}

/* ---- running ---- */

static void run(void)
{
	collect();
	note_urgent();
	if (trace)
		tcp_dump(H.st, stderr, 16);
	check_all();
}

/* Like an event loop: wake at each deadline up to now + dt. */
static void advance(ns_time_t dt)
{
	ns_time_t end = H.wheel.now + dt;
	for (int guard = 0;; guard++) {
		NEED(guard < 100000, "timers keep firing without the clock advancing");
		ns_time_t next = ns_wheel_next(&H.wheel);
		if (next > end)
			break;
		ns_wheel_advance(&H.wheel, next);
		run();
	}
	ns_wheel_advance(&H.wheel, end);
	run();
}

/* ---- driving the connection to a state ---- */

static int take(struct sseg *g)
{
	if (!H.qn)
		return 0;
	*g = H.q[0];
	memmove(H.q, H.q + 1, (H.qn - 1) * sizeof(H.q[0]));
	H.qn--;
	return 1;
}

static void expect(struct sseg *g, uint8_t flags, const char *what)
{
	NEED(take(g), "drive: expected %s, the stack sent nothing", what);
	NEED(g->flags == flags, "drive: expected %s (flags %#x), got flags %#x", what, flags, g->flags);
}

static void setopt_int(struct ns_socket *s, int level, int name, int v)
{
	ns_setsockopt(s, level, name, &v, sizeof(v));
}

static void sock_opts(struct ns_socket *s)
{
	uint8_t c2 = H.cfg[2];
	if (c2 & C2_RENO)
		ns_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
	if (c2 & C2_NODELAY)
		setopt_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
	if (c2 & C2_SMALLBUF) {
		setopt_int(s, SOL_SOCKET, SO_RCVBUF, 2048);
		setopt_int(s, SOL_SOCKET, SO_SNDBUF, 4096);
	}
}

/* The peer's SYN options as configured, into o; returns the length. */
static uint32_t syn_opts(uint8_t *o, uint32_t tsecr)
{
	static const uint16_t mss[4] = { 1460, 0, 536, 100 };
	static const uint8_t ws[4] = { 0, 1, 7, 14 };
	uint8_t c1 = H.cfg[1];
	uint32_t n = 0;
	uint16_t m = mss[(c1 >> 5) & 3];
	if (m) {
		o[n++] = TCPOPT_MSS;
		o[n++] = 4;
		ns_wr16(o + n, m);
		n += 2;
	}
	if (c1 & C1_SACK) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = 2;
	}
	if (c1 & C1_TS) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_TS;
		o[n++] = 10;
		ns_wr32(o + n, H.P.tsval++);
		ns_wr32(o + n + 4, tsecr);
		n += 8;
	}
	if (c1 & C1_WS) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_WS;
		o[n++] = 3;
		o[n++] = ws[(c1 >> 3) & 3];
	}
	return n;
}

/* What the handshake agreed, from the stack's SYN or SYN-ACK. */
static void learn_syn(const struct sseg *g)
{
	H.P.stack_iss = g->seq;
	H.P.rcv_nxt = g->seq + 1;
	H.P.ts_recent = g->tsval;
	if (g->flags & TH_ACK)
		H.P.stack_ack = g->ack;
	H.P.synced = 1;
	H.P.ts = (H.cfg[1] & C1_TS) && g->ts_ok;
}

static void passive_open(int st)
{
	struct peer *P = &H.P;
	NEED(ns_socket_create(H.st, AF_INET, SOCK_STREAM, 0, &H.ls) == 0, "socket");
	sock_opts(H.ls);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(LISTEN_PORT) };
	NEED(ns_bind(H.ls, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	NEED(ns_listen(H.ls, (H.cfg[3] & C3_BACKLOG1) ? 1 : 8) == 0, "listen");
	P->port = PEER_PORT;
	P->lport = LISTEN_PORT;
	uint8_t o[40];
	uint32_t n = syn_opts(o, 0);
	struct seg s = { .seq = PEER_ISS, .flags = TH_SYN, .win = P->win, .opts = o,
			 .optlen = (n + 3) & ~3u };
	memset(o + n, 0, s.optlen - n);
	if (H.cfg[1] & C1_ECN)
		s.flags |= TH_ECE | TH_CWR;
	inject_seg(&s);
	P->snd_nxt = PEER_ISS + 1;
	run();
	struct sseg g;
	expect(&g, TH_SYN | TH_ACK | ((H.cfg[1] & C1_ECN) ? TH_ECE : 0), "SYN-ACK");
	learn_syn(&g);
	if (st == H_LISTEN)
		return;
	peer_send(TH_ACK, 0);
	run();
	NEED(ns_accept(H.ls, &H.s, NULL, NULL) == 0, "drive: accept failed");
}

static void active_open(int st)
{
	struct peer *P = &H.P;
	if (H.cfg[1] & C1_ECN)
		ns_stack_set_option(H.st, "tcp.ecn", "1");
	NEED(ns_socket_create(H.st, AF_INET, SOCK_STREAM, 0, &H.s) == 0, "socket");
	sock_opts(H.s);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(LISTEN_PORT),
				 .sin_addr.s_addr = htonl(B_IP_PEER) };
	NEED(ns_connect(H.s, (struct sockaddr *)&a, sizeof(a)) == -EINPROGRESS, "connect");
	P->port = LISTEN_PORT;
	run();
	struct sseg g;
	uint8_t ecn = (H.cfg[1] & C1_ECN) ? TH_ECE | TH_CWR : 0;
	expect(&g, TH_SYN | ecn, "SYN");
	P->lport = g.sport;
	learn_syn(&g);
	P->snd_nxt = PEER_ISS;
	P->stack_ack = PEER_ISS;
	if (st == H_SYN_SENT)
		return;
	uint8_t o[40];
	uint32_t n = syn_opts(o, st == H_SYN_RECEIVED ? 0 : g.tsval);
	struct seg s = { .seq = PEER_ISS, .flags = TH_SYN, .win = P->win, .opts = o,
			 .optlen = (n + 3) & ~3u };
	memset(o + n, 0, s.optlen - n);
	if (st == H_SYN_RECEIVED) {
		/* Simultaneous open: a SYN without ACK. */
		s.flags |= ecn;
	} else {
		s.flags |= TH_ACK | (ecn ? TH_ECE : 0);
		s.ack = g.seq + 1;
		P->last_ack = s.ack;
	}
	inject_seg(&s);
	P->snd_nxt = PEER_ISS + 1;
	run();
	expect(&g, st == H_SYN_RECEIVED ? TH_SYN | TH_ACK | (ecn ? TH_ECE : 0) : TH_ACK,
	       st == H_SYN_RECEIVED ? "SYN-ACK" : "ACK");
}

/* The stack closes its side: shutdown(SHUT_WR) or close(). */
static void stack_close(void)
{
	if (H.cfg[2] & C2_CLOSE) {
		ns_close(H.s);
		H.s = NULL;
	} else {
		NEED(ns_shutdown(H.s, SHUT_WR) == 0, "shutdown");
	}
	run();
}

static void stack_data(uint32_t n)
{
	NEED(app_send(H.s, n, 0) > 0, "drive: send failed");
	run();
}

static void drive(int st)
{
	struct peer *P = &H.P;
	static const uint16_t wins[4] = { 65535, 16384, 2000, 300 };
	P->win = wins[H.cfg[2] >> 6];
	P->tsval = PEER_TSVAL;
	P->last_ack = 0;
	int passive = st == H_LISTEN || (st != H_SYN_SENT && st != H_SYN_RECEIVED &&
					 (H.cfg[2] & C2_PASSIVE));
	if (passive)
		passive_open(st);
	else
		active_open(st);
	if (st <= H_SYN_RECEIVED)
		return;
	struct tcp_sock *tp = tcp_sk(H.s);
	NEED(tp->state == TCPS_ESTABLISHED, "drive: not established (%s)", tcp_state_names[tp->state]);
	int data_out = H.cfg[3] & C3_DATA_OUT, data_in = H.cfg[3] & C3_DATA_IN;
	switch (st) {
	case H_ESTABLISHED:
		break;
	case H_EST_INFLIGHT:
		stack_data(3000);
		NEED(tp->packets_out > 0, "drive: nothing in flight");
		break;
	case H_EST_RCVQ:
		peer_send(TH_ACK | TH_PSH, 700);
		run();
		NEED(tp->rcvq.len > 0, "drive: nothing to read");
		break;
	case H_EST_OOO:
		P->snd_nxt += 300; /* a hole the peer will fill (seq offset -300) */
		peer_send(TH_ACK | TH_PSH, 400);
		P->snd_nxt -= 700;
		run();
		NEED(tp->ooo, "drive: nothing held out of order");
		break;
	case H_FIN_WAIT_1:
	case H_FIN_WAIT_2:
	case H_TIME_WAIT:
	case H_CLOSING:
		if (data_out && st != H_FIN_WAIT_2 && st != H_TIME_WAIT)
			stack_data(1000);
		stack_close();
		if (st == H_FIN_WAIT_1)
			break;
		if (st == H_CLOSING) {
			/* The peer's FIN crosses ours: it does not ACK it. */
			uint32_t nxt = P->rcv_nxt;
			P->rcv_nxt = P->stack_iss + 1;
			if (data_in && H.s)
				peer_send(TH_ACK | TH_PSH, 200);
			peer_send(TH_ACK | TH_FIN, 0);
			P->rcv_nxt = nxt;
			run();
			break;
		}
		peer_send(TH_ACK, 0);
		run();
		if (st == H_TIME_WAIT) {
			if (data_in && H.s)
				peer_send(TH_ACK | TH_PSH, 200);
			peer_send(TH_ACK | TH_FIN, 0);
			run();
		}
		break;
	case H_CLOSE_WAIT:
	case H_LAST_ACK:
		if (data_in)
			peer_send(TH_ACK | TH_PSH, 200);
		peer_send(TH_ACK | TH_FIN, 0);
		run();
		if (st == H_LAST_ACK) {
			if (data_out)
				stack_data(1000);
			if (data_in && (H.cfg[2] & C2_CLOSE)) {
				/* close() with unread data would reset it. */
				char buf[256];
				NEED(app_recv(buf, sizeof(buf), 0) == 200, "drive: recv");
			}
			stack_close();
		}
		break;
	default:
		break;
	}
	static const int want[H_NSTATES] = {
		[H_ESTABLISHED] = TCPS_ESTABLISHED, [H_EST_INFLIGHT] = TCPS_ESTABLISHED,
		[H_EST_RCVQ] = TCPS_ESTABLISHED,    [H_EST_OOO] = TCPS_ESTABLISHED,
		[H_FIN_WAIT_1] = TCPS_FIN_WAIT_1,   [H_FIN_WAIT_2] = TCPS_FIN_WAIT_2,
		[H_CLOSE_WAIT] = TCPS_CLOSE_WAIT,   [H_CLOSING] = TCPS_CLOSING,
		[H_LAST_ACK] = TCPS_LAST_ACK,	    [H_TIME_WAIT] = TCPS_TIME_WAIT,
	};
	if (st == H_TIME_WAIT && tp->state == TCPS_CLOSED) {
		/* A socket its user still holds hands TIME-WAIT to a block of
		 * its own and is CLOSED (tcp_tw_split): the block must hold
		 * the 4-tuple. */
		struct ns_ip la = ns_ip4(B_IP_STACK), ra = ns_ip4(B_IP_PEER);
		struct tcp_sock *tw = tcp_ehash_lookup(H.st, &la, P->lport, &ra, P->port);
		NEED(tw && tw->state == TCPS_TIME_WAIT, "drive: CLOSED, and no TIME-WAIT block for its connection");
		return;
	}
	NEED((int)tp->state == want[st], "drive: reached %s", tcp_state_names[tp->state]);
}

/* ---- the records ---- */

struct in {
	const uint8_t *d;
	size_t n, pos;
};

static uint8_t rd8(struct in *in)
{
	return in->pos < in->n ? in->d[in->pos++] : 0;
}

static uint8_t rd8_peek(const struct in *in, size_t k)
{
	return in->pos + k < in->n ? in->d[in->pos + k] : 0;
}

static uint16_t rd16(struct in *in)
{
	uint16_t v = (uint16_t)(rd8(in) << 8);
	return v | rd8(in);
}

static uint32_t rd32(struct in *in)
{
	uint32_t v = (uint32_t)rd16(in) << 16;
	return v | rd16(in);
}

static void fuzz_segment(struct in *in, uint8_t kind)
{
	struct peer *P = ((kind >> 4) & 3) == 1 ? &H.alt : &H.P;
	struct seg s;
	memset(&s, 0, sizeof(s));
	s.sport = P->port;
	s.flags = rd8(in);
	switch (kind & 3) {
	case 0:
		s.seq = P->snd_nxt;
		break;
	case 1:
		s.seq = P->snd_nxt + (uint32_t)(int8_t)rd8(in);
		break;
	case 2:
		s.seq = P->stack_ack + (uint32_t)(int16_t)rd16(in);
		break;
	default:
		s.seq = rd32(in);
		break;
	}
	switch ((kind >> 2) & 3) {
	case 0:
		s.ack = P->rcv_nxt;
		break;
	case 1:
		s.ack = P->last_ack + (uint32_t)(int8_t)rd8(in);
		break;
	case 2:
		s.ack = P->rcv_nxt + (uint32_t)(int16_t)rd16(in);
		break;
	default:
		s.ack = rd32(in);
		break;
	}
	switch ((kind >> 4) & 3) {
	case 2:
		s.bad_csum = 1;
		break;
	case 3:
		s.dport = CLOSED_PORT;
		break;
	default:
		break;
	}
	if (kind & 0x40)
		s.tos = 3; /* CE */
	s.win = rd16(in);
	uint8_t oc = rd8(in);
	uint8_t o[44];
	uint32_t n = 0;
	if (oc & 0x40) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_TS;
		o[n++] = 10;
		ns_wr32(o + n, P->tsval + (uint32_t)(int8_t)rd8(in));
		ns_wr32(o + n + 4, P->ts_recent);
		n += 8;
	}
	if (oc & 0x80) {
		uint32_t nb = (rd8(in) & 3) + 1;
		if (nb > (40 - n - 4) / 8)
			nb = (40 - n - 4) / 8;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * nb);
		for (uint32_t b = 0; b < nb; b++) {
			uint32_t start = P->rcv_nxt + (uint32_t)(int16_t)rd16(in);
			ns_wr32(o + n, start);
			ns_wr32(o + n + 4, start + rd16(in));
			n += 8;
		}
	}
	uint32_t raw = oc & 0x3f;
	if (raw > 40 - n)
		raw = 40 - n;
	for (uint32_t i = 0; i < raw; i++)
		o[n++] = rd8(in);
	while (n % 4)
		o[n++] = TCPOPT_EOL;
	s.opts = o;
	s.optlen = n;
	if (s.flags & TH_URG)
		s.urp = rd16(in);
	uint8_t l = rd8(in);
	s.len = l < 128 ? l : l < 224 ? 128 + 32u * (l - 128) : 2048u * (l - 223);
	if (s.len > 65000)
		s.len = 65000;
	P->tsval++;
	if (trace)
		fprintf(stderr, "seg kind %#x flags %#x seq %u (nxt%+d) ack %u (rcv_nxt%+d) win %u opts %u urp %u len %u\n",
			kind, s.flags, s.seq, (int)(s.seq - P->snd_nxt), s.ack, (int)(s.ack - P->rcv_nxt),
			s.win, s.optlen, s.urp, s.len);
	inject_seg(&s);
	/* The peer moves on when it sent its next bytes of this connection. */
	if (!s.bad_csum && !s.dport && !(s.flags & TH_RST) &&
	    s.seq == P->snd_nxt)
		P->snd_nxt += s.len + ((s.flags & TH_SYN) ? 1 : 0) + ((s.flags & TH_FIN) ? 1 : 0);
	if ((s.flags & TH_ACK) && !s.bad_csum && SEQ_GT(s.ack, P->last_ack) &&
	    SEQ_LEQ(s.ack, P->rcv_nxt))
		P->last_ack = s.ack;
	run();
}

static struct ns_socket *take_socket(struct ns_socket **sp)
{
	struct ns_socket *s = *sp;
	*sp = NULL;
	return s;
}

static void act_setsockopt(uint8_t which, uint8_t v)
{
	struct ns_socket *s = (which & 0x80) ? H.ls : H.s;
	if (!s)
		return;
	switch ((which & 0x7f) % 18) {
	case 0:
		setopt_int(s, IPPROTO_TCP, TCP_NODELAY, v & 1);
		break;
	case 1:
		setopt_int(s, IPPROTO_TCP, TCP_CORK, v & 1);
		break;
	case 2:
		setopt_int(s, IPPROTO_TCP, TCP_MAXSEG, v ? 64 + 8 * v : 0);
		break;
	case 3:
		setopt_int(s, SOL_SOCKET, SO_KEEPALIVE, 1);
		setopt_int(s, IPPROTO_TCP, TCP_KEEPIDLE, v + 1);
		break;
	case 4:
		setopt_int(s, IPPROTO_TCP, TCP_KEEPINTVL, v + 1);
		break;
	case 5:
		setopt_int(s, IPPROTO_TCP, TCP_KEEPCNT, v % 10 + 1);
		break;
	case 6:
		setopt_int(s, IPPROTO_TCP, TCP_USER_TIMEOUT, 100 * v);
		break;
	case 7:
		setopt_int(s, IPPROTO_TCP, TCP_LINGER2, (int8_t)v);
		break;
	case 8:
		setopt_int(s, IPPROTO_TCP, TCP_QUICKACK, v & 1);
		break;
	case 9:
		setopt_int(s, IPPROTO_TCP, TCP_WINDOW_CLAMP, 256 * v);
		break;
	case 10:
		setopt_int(s, SOL_SOCKET, SO_RCVBUF, 512 * v);
		break;
	case 11:
		setopt_int(s, SOL_SOCKET, SO_SNDBUF, 512 * v);
		break;
	case 12: {
		struct linger l = { .l_onoff = v & 1, .l_linger = v >> 1 };
		ns_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		break;
	}
	case 13:
		setopt_int(s, SOL_SOCKET, SO_OOBINLINE, v & 1);
		break;
	case 14:
		if (v & 1)
			ns_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
		else
			ns_setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5);
		break;
	case 15:
		setopt_int(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, v);
		break;
	case 16:
		setopt_int(s, SOL_SOCKET, SO_KEEPALIVE, v & 1);
		break;
	default:
		setopt_int(s, IPPROTO_TCP, TCP_SYNCNT, v % 8 + 1);
		break;
	}
}

static void act_icmp(uint8_t kind, uint8_t off)
{
	static const uint8_t types[4][2] = {
		{ ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED }, { ICMP_DEST_UNREACH, 1 /* host */ },
		{ ICMP_DEST_UNREACH, ICMP_PORT_UNREACH }, { 11 /* time exceeded */, 0 },
	};
	const uint8_t *t = types[kind & 3];
	/* The quoted datagram: our IP header and the first 8 bytes of TCP. */
	uint8_t q[28];
	struct b_ip4 qh = { .src = B_IP_STACK, .dst = B_IP_PEER, .proto = IPPROTO_TCP_, .id = 1,
			    .df = 1 };
	size_t ql = b_ip4_hdr(q, &qh, 1400);
	ns_wr16(q + ql, H.P.lport);
	ns_wr16(q + ql + 2, H.P.port);
	ns_wr32(q + ql + 4, H.P.rcv_nxt + (uint32_t)(int8_t)off);
	uint32_t mtu = 68 + 24u * (kind >> 2); /* 68 .. 1580 */
	inject(b_icmp4(B_IP_PEER, B_IP_STACK, t[0], t[1], t[1] == ICMP_FRAG_NEEDED ? mtu : 0, q,
		       ql + 8));
	run();
}

static int count_socket(const struct ns_sock_info *i, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void act_readonly(void)
{
	static const int tcp_opts[] = {
		TCP_NODELAY,	  TCP_CORK,	   TCP_MAXSEG,	 TCP_KEEPIDLE, TCP_KEEPINTVL,
		TCP_KEEPCNT,	  TCP_USER_TIMEOUT, TCP_LINGER2,  TCP_DEFER_ACCEPT, TCP_QUICKACK,
		TCP_SYNCNT,	  TCP_WINDOW_CLAMP, TCP_CONGESTION,
	};
	struct ns_socket *socks[2] = { H.s, H.ls };
	for (int i = 0; i < 2; i++) {
		struct ns_socket *s = socks[i];
		if (!s)
			continue;
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		ns_getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len);
		for (unsigned k = 0; k < NS_ARRAY_SIZE(tcp_opts); k++) {
			char v[16];
			len = sizeof(v);
			ns_getsockopt(s, IPPROTO_TCP, tcp_opts[k], v, &len);
		}
		int acc;
		len = sizeof(acc);
		ns_getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len);
		struct ns_sock_info si;
		ns_socket_info(s, &si);
		ns_socket_poll(s);
		int v;
		ns_socket_ioctl(s, SIOCINQ, &v);
		ns_socket_ioctl(s, SIOCOUTQ, &v);
		ns_socket_ioctl(s, SIOCOUTQNSD, &v);
		ns_socket_ioctl(s, SIOCATMARK, &v);
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		ns_getpeername(s, (struct sockaddr *)&a, &al);
		al = sizeof(a);
		ns_getsockname(s, (struct sockaddr *)&a, &al);
	}
	int n = 0;
	ns_stack_foreach_socket(H.st, count_socket, &n);
}

static void action(struct in *in, uint8_t kind)
{
	static uint8_t buf[65536];
	if (trace)
		fprintf(stderr, "action %u args %02x %02x\n", (kind & 0x7f) % 11, rd8_peek(in, 0),
			rd8_peek(in, 1));
	switch ((kind & 0x7f) % 11) {
	case 0: {
		uint8_t v = rd8(in);
		advance(v < 100 ? v * NS_MSEC : v < 200 ? (v - 99) * 10 * NS_MSEC
							: (ns_time_t)(v - 199) * NS_SEC);
		return;
	}
	case 1: {
		uint8_t v = rd8(in), f = rd8(in);
		size_t n = v < 128 ? v : 512u * (v - 127); /* at most 65024 */
		if (H.s)
			app_send(H.s, n, ((f & 1) ? MSG_OOB : 0) | ((f & 2) ? MSG_MORE : 0));
		break;
	}
	case 2: {
		uint8_t v = rd8(in);
		int fl = ((v & 1) ? MSG_PEEK : 0) | ((v & 2) ? MSG_OOB : 0) | ((v & 4) ? MSG_TRUNC : 0);
		if (H.s)
			app_recv(buf, 1 + 512u * (v >> 3), fl);
		break;
	}
	case 3: {
		uint8_t v = rd8(in);
		static const int how[3] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
		if (H.s)
			ns_shutdown(H.s, how[v % 3]);
		break;
	}
	case 4:
		if (H.s)
			ns_close(take_socket(&H.s));
		break;
	case 5:
		if (H.ls)
			ns_close(take_socket(&H.ls));
		break;
	case 6: {
		struct ns_socket *c;
		if (!H.ls || ns_accept(H.ls, &c, NULL, NULL) < 0)
			break;
		if (!H.s)
			H.s = c;
		else if (H.nacc < (int)NS_ARRAY_SIZE(H.acc))
			H.acc[H.nacc++] = c;
		else
			ns_close(c);
		break;
	}
	case 7: {
		uint8_t which = rd8(in), v = rd8(in);
		act_setsockopt(which, v);
		break;
	}
	case 8: {
		uint8_t k = rd8(in), off = rd8(in);
		act_icmp(k, off);
		return;
	}
	case 9:
		if (H.s) {
			struct sockaddr a = { .sa_family = AF_UNSPEC };
			ns_connect(H.s, &a, sizeof(a));
		}
		break;
	default:
		act_readonly();
		break;
	}
	run();
}

/* ---- one input ---- */

#define POOL_LIMIT_DEFAULT (512ULL << 20)

static void setup(const uint8_t cfg[4])
{
	memset(&H, 0, sizeof(H));
	pkt_pool_set_limit(POOL_LIMIT_DEFAULT);
	memcpy(H.cfg, cfg, 4);
	ns_wheel_init(&H.wheel, T0);
	struct ns_stack_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.wheel = &H.wheel;
	for (unsigned i = 0; i < sizeof(sc.secret); i++)
		sc.secret[i] = (uint8_t)(i * 29 + 7);
	uint32_t caps = NS_LINK_CAP_RESOLVE;
	if (cfg[2] & C2_GSO)
		caps |= NS_LINK_CAP_GSO | NS_LINK_CAP_TX_CSUM;
	if (ns_stack_create(&sc, &H.st) < 0 ||
	    ns_stack_set_option(H.st, "ip6.link_local", "0") < 0 ||
	    ns_channel_link_create(B_MAC_STACK, 1500, caps, &H.ch) < 0)
		abort();
	int nic = ns_stack_add_nic(H.st, H.ch);
	struct ns_ip a = ns_ip4(B_IP_STACK);
	if (nic < 0 || ns_stack_add_addr(H.st, nic, &a, 24) < 0)
		abort();
	/* The peer introduces itself; the stack answers. */
	static const uint8_t zero[6];
	inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER, zero, B_IP_STACK));
	run();
}

static void teardown(void)
{
	const struct ns_stats *st = ns_stack_stats(H.st);
	char msg[256];
	if (books_check(H.st, H.ch, H.injected, msg, sizeof(msg)) < 0)
		die("books: %s", msg);
	NEED(st->tcp_rx == H.tcp_injected, "tcp.rx %llu, %llu segments injected",
	     (unsigned long long)st->tcp_rx, (unsigned long long)H.tcp_injected);
	NEED(st->tcp_drop_csum == H.tcp_bad_csum, "tcp.drop_csum %llu, %llu broken checksums sent",
	     (unsigned long long)st->tcp_drop_csum, (unsigned long long)H.tcp_bad_csum);
	for (struct ns_socket *s = H.st->sockets; s; s = s->all_next) {
		if (s->type != SOCK_STREAM)
			continue;
		struct tcp_sock *tp = tcp_sk(s);
		NEED(!tp->orphan || tp->parent,
		     "an orphaned connection in %s outlived 3 hours of silence",
		     tcp_state_names[tp->state]);
		NEED(!tp->packets_out && !tcp_unsent(tp),
		     "a connection in %s still sends after 3 hours of silence",
		     tcp_state_names[tp->state]);
	}
	if (H.s)
		ns_close(take_socket(&H.s));
	for (int i = 0; i < H.nacc; i++)
		ns_close(take_socket(&H.acc[i]));
	if (H.ls)
		ns_close(take_socket(&H.ls));
	run();
	pkt_pool_set_limit(POOL_LIMIT_DEFAULT);
	ns_stack_destroy(H.st);
	H.st = NULL;
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	if (ps.in_use || ps.views_in_use)
		die("leak: %llu chunks, %llu views in use after destroy",
		    (unsigned long long)ps.in_use, (unsigned long long)ps.views_in_use);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	setup(data);
	H.record_q = 1;
	drive(data[0] % H_NSTATES);
	H.record_q = 0;
	static const uint32_t pool_kib[4] = { 0, 160, 300, 600 };
	if (H.cfg[3] & C3_POOL)
		pkt_pool_set_limit((uint64_t)pool_kib[(H.cfg[3] & C3_POOL) >> 3] << 10);
	H.alt = H.P;
	H.alt.port = (uint16_t)(H.P.port + 1);
	H.alt.snd_nxt = ALT_ISS;
	H.alt.last_ack = 0;
	H.alt.synced = 0;
	struct in in = { .d = data, .n = size, .pos = 4 };
	for (int r = 0; r < MAX_RECORDS && in.pos < in.n; r++) {
		uint8_t kind = rd8(&in);
		if (kind < 0x80)
			fuzz_segment(&in, kind);
		else
			action(&in, kind);
	}
	advance(SILENCE);
	teardown();
	return 0;
}

/* ---- seed corpus ---- */

static uint8_t seed_buf[4096];
static size_t seed_len;

static void sb(uint8_t v)
{
	if (seed_len >= sizeof(seed_buf))
		abort();
	seed_buf[seed_len++] = v;
}

static void sb16(uint16_t v)
{
	sb((uint8_t)(v >> 8));
	sb((uint8_t)v);
}

static void seed_begin(uint8_t st, uint8_t c1, uint8_t c2, uint8_t c3)
{
	seed_len = 0;
	sb(st);
	sb(c1);
	sb(c2);
	sb(c3);
}

/* A segment record with the common encodings: seq = the peer's SND.NXT +
 * seq_off (int8) or, when big, the stack's last ACK + seq_off (int16); ack =
 * all the stack sent, or the peer's last ACK + ack_off when ack_last. */
struct sseed {
	uint8_t flags;
	int seq_far;	 /* seq_off relative to the stack's last ACK (int16) */
	int seq_off;
	int ack_last;	 /* ack relative to the peer's last ACK (int8) */
	int ack_off;
	uint32_t raw_seq; /* with seq_raw */
	int seq_raw;
	uint16_t win;
	int ts;		 /* add the timestamps option */
	int ts_delta;
	int nsack;	 /* SACK blocks (start relative to the stack's SND.NXT) */
	int16_t sack_start[4];
	uint16_t sack_len[4];
	const uint8_t *raw;
	uint8_t rawlen;
	uint16_t urp;
	uint8_t lencode;
	uint8_t port; /* kind bits 4-5 */
};

static void seed_seg(const struct sseed *s)
{
	uint8_t kind = 0;
	if (s->seq_raw)
		kind |= 3;
	else if (s->seq_far)
		kind |= 2;
	else if (s->seq_off)
		kind |= 1;
	if (s->ack_last)
		kind |= 1 << 2;
	else if (s->ack_off)
		kind |= 2 << 2;
	kind |= (uint8_t)(s->port << 4);
	sb(kind);
	sb(s->flags);
	if (s->seq_raw) {
		sb16((uint16_t)(s->raw_seq >> 16));
		sb16((uint16_t)s->raw_seq);
	} else if (s->seq_far) {
		sb16((uint16_t)(int16_t)s->seq_off);
	} else if (s->seq_off) {
		sb((uint8_t)(int8_t)s->seq_off);
	}
	if (s->ack_last)
		sb((uint8_t)(int8_t)s->ack_off);
	else if (s->ack_off)
		sb16((uint16_t)(int16_t)s->ack_off);
	sb16(s->win ? s->win : 65535);
	sb((uint8_t)(s->rawlen | (s->ts ? 0x40 : 0) | (s->nsack ? 0x80 : 0)));
	if (s->ts)
		sb((uint8_t)(int8_t)s->ts_delta);
	if (s->nsack) {
		sb((uint8_t)(s->nsack - 1));
		for (int i = 0; i < s->nsack; i++) {
			sb16((uint16_t)s->sack_start[i]);
			sb16(s->sack_len[i]);
		}
	}
	for (int i = 0; i < s->rawlen; i++)
		sb(s->raw[i]);
	if (s->flags & TH_URG)
		sb16(s->urp);
	sb(s->lencode);
}

static void seed_act(uint8_t a, int nargs, uint8_t x, uint8_t y)
{
	sb((uint8_t)(0x80 | a));
	if (nargs > 0)
		sb(x);
	if (nargs > 1)
		sb(y);
}

static void seed_write(const char *dir, const char *name)
{
	seed_file(dir, name, seed_buf, seed_len);
}

static void write_seeds(const char *dir)
{
	mkdir(dir, 0755);
	/* Handshake flavours: all options, none, and a mix. */
	static const uint8_t c1s[3] = { C1_TS | C1_SACK | C1_WS | (2 << 3), 0x20 /* no MSS */,
					C1_SACK | C1_WS | (3 << 3) | (2 << 5) };
	static const uint8_t bad_opts[8] = { TCPOPT_MSS, 4, 0, 0, TCPOPT_WS, 1, 5, 0xff };
	static const uint8_t odd_opts[12] = { TCPOPT_SACK, 10, 0, 0, 0, 1, 0, 0, 0, 0, TCPOPT_TS, 2 };
	char name[96];
	for (int st = 0; st < H_NSTATES; st++) {
		for (int f = 0; f < 3; f++) {
			uint8_t c1 = c1s[f];
			uint8_t c2 = (uint8_t)((f == 1 ? C2_PASSIVE : 0) | (f == 2 ? C2_CLOSE | C2_GSO : 0));
			uint8_t c3 = f == 0 ? C3_DATA_OUT | C3_DATA_IN : 0;
			int ts = c1 & C1_TS;
			const char *sn = state_names[st];

			/* In-window data, read, answered. */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = ts, .lencode = 100 });
			seed_act(2, 1, 0xf8, 0); /* recv */
			seed_act(1, 2, 50, 0);	 /* send */
			seed_act(0, 1, 50, 0);	 /* 50 ms */
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = ts });
			snprintf(name, sizeof(name), "%s-%d-data", sn, f);
			seed_write(dir, name);

			/* Duplicate ACKs and a SACK block over data in flight. */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_act(1, 2, 153, 0); /* 13 KiB */
			for (int i = 0; i < 3; i++)
				seed_seg(&(struct sseed){ .flags = TH_ACK, .ack_last = 1, .ts = ts });
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ack_last = 1, .ts = ts, .nsack = 2,
						  .sack_start = { -3000, -6000 },
						  .sack_len = { 1460, 1000 } });
			seed_act(0, 1, 210, 0); /* 11 s: RTO */
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ack_off = -500, .ts = ts });
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = ts });
			snprintf(name, sizeof(name), "%s-%d-dupack-sack", sn, f);
			seed_write(dir, name);

			/* Out of window: far ahead, old, and a raw sequence. */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .seq_far = 1, .seq_off = 30000,
						  .ts = ts, .lencode = 20 });
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .seq_far = 1,
						  .seq_off = -2000, .ts = ts, .lencode = 200 });
			seed_seg(&(struct sseed){ .flags = TH_ACK, .seq_raw = 1, .raw_seq = 0x12345678,
						  .ts = ts, .lencode = 10 });
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ack_off = 3000, .ts = ts });
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ack_off = -30000, .ts = ts });
			snprintf(name, sizeof(name), "%s-%d-out-of-window", sn, f);
			seed_write(dir, name);

			/* RST: one off (challenge ACK), then exact. */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_seg(&(struct sseed){ .flags = TH_RST, .seq_off = 1 });
			seed_seg(&(struct sseed){ .flags = TH_RST | TH_ACK });
			seed_act(2, 1, 0x10, 0);
			snprintf(name, sizeof(name), "%s-%d-rst", sn, f);
			seed_write(dir, name);

			/* FIN, then the clock runs through the closing timers. */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_FIN, .ts = ts, .lencode = 5 });
			seed_act(3, 1, 1, 0); /* shutdown(SHUT_WR) */
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = ts });
			seed_act(0, 1, 255, 0);
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_FIN, .seq_off = -1, .ts = ts });
			snprintf(name, sizeof(name), "%s-%d-fin", sn, f);
			seed_write(dir, name);

			/* A SYN in a synchronized state (and on the listener). */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_seg(&(struct sseed){ .flags = TH_SYN, .ts = ts });
			seed_seg(&(struct sseed){ .flags = TH_SYN | TH_ACK, .seq_off = -1, .ts = ts });
			seed_seg(&(struct sseed){ .flags = TH_SYN, .seq_far = 1, .seq_off = 20000,
						  .ts = ts, .port = 1 });
			seed_act(6, 0, 0, 0); /* accept */
			snprintf(name, sizeof(name), "%s-%d-syn", sn, f);
			seed_write(dir, name);

			/* Timestamps older than TS.Recent (PAWS), then good. */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .ts_delta = -100,
						  .lencode = 50 });
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1, .ts_delta = -1 });
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 50 });
			snprintf(name, sizeof(name), "%s-%d-paws", sn, f);
			seed_write(dir, name);

			/* Odd options, urgent data, a big segment, ICMP. */
			seed_begin((uint8_t)st, c1, c2, c3);
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .raw = bad_opts, .rawlen = 8,
						  .lencode = 10 });
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH | TH_URG, .urp = 5,
						  .raw = odd_opts, .rawlen = 12, .lencode = 10 });
			seed_act(2, 1, 2, 0); /* recv MSG_OOB */
			seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = ts, .lencode = 235 });
			seed_act(8, 2, 4 * 20, (uint8_t)-1); /* frag needed, MTU 548 */
			seed_act(8, 2, 2, 0);		    /* port unreachable */
			seed_act(7, 2, 3, 5);		    /* keepalive */
			snprintf(name, sizeof(name), "%s-%d-options-urg-icmp", sn, f);
			seed_write(dir, name);
		}
	}
	/* The listener's request completes; the child is accepted and talks. */
	seed_begin(H_LISTEN, C1_TS | C1_SACK, C2_PASSIVE, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1 });
	seed_act(6, 0, 0, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 100 });
	seed_act(1, 2, 200, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1, .nsack = 1, .sack_start = { -2000 },
				  .sack_len = { 1000 } });
	seed_act(4, 0, 0, 0);
	seed_write(dir, "listen-accept-talk-close");
	/* A second connection from the peer's next port: with a backlog of 1
	 * its SYN gets a cookie, and its ACK brings the connection back. */
	for (int st = H_LISTEN; st <= H_ESTABLISHED; st += H_ESTABLISHED) {
		seed_begin((uint8_t)st, C1_TS | C1_SACK | C1_WS, C2_PASSIVE, C3_BACKLOG1);
		seed_seg(&(struct sseed){ .flags = TH_SYN, .ts = 1, .port = 1,
					  .raw = (const uint8_t[]){ 2, 4, 5, 0xb4 }, .rawlen = 4 });
		seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1, .port = 1 });
		seed_act(6, 0, 0, 0);
		seed_act(6, 0, 0, 0);
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .port = 1, .lencode = 100 });
		seed_act(1, 2, 20, 0);
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_FIN, .ts = 1, .port = 1 });
		snprintf(name, sizeof(name), "%s-second-connection-cookie", state_names[st]);
		seed_write(dir, name);
	}
	/* Loss recovery: ten segments out, SACKs above a hole, a partial
	 * ACK, ECN echo, an RTO, then everything acknowledged. */
	for (int sack = 0; sack < 2; sack++) {
		seed_begin(H_ESTABLISHED, (uint8_t)(C1_TS | C1_WS | (sack ? C1_SACK : 0) | C1_ECN),
			   sack ? 0 : C2_RENO, 0);
		seed_act(1, 2, 245, 0); /* 60 KiB: cwnd's worth leaves */
		for (int i = 0; i < 4; i++)
			seed_seg(&(struct sseed){ .flags = TH_ACK, .ack_last = 1, .ts = 1,
						  .nsack = sack, .sack_start = { (int16_t)(-11584 + 1448 * i) },
						  .sack_len = { (uint16_t)(1448 * (i + 1)) } });
		seed_act(0, 1, 20, 0);
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_ECE, .ack_off = -8688, .ts = 1 });
		seed_act(0, 1, 150, 0);
		seed_seg(&(struct sseed){ .flags = TH_ACK, .ack_off = -2896, .ts = 1 });
		seed_act(0, 1, 201, 0); /* 2 s: RTO */
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_CWR, .ts = 1, .lencode = 30 });
		seed_act(0, 1, 100, 0);
		seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1 });
		snprintf(name, sizeof(name), "recovery-%s", sack ? "sack" : "newreno");
		seed_write(dir, name);
	}
	/* A zero window: the sender probes, the window reopens. */
	seed_begin(H_EST_INFLIGHT, C1_TS, 0, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1, .win = 0 });
	seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1, .win = 0 });
	seed_act(1, 2, 140, 0);
	for (int i = 0; i < 3; i++)
		seed_act(0, 1, 201, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1, .win = 700 });
	seed_act(0, 1, 201, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK, .ts = 1, .win = 65535 });
	seed_write(dir, "zero-window-probes");
	/* A small receive buffer flooded past its window, read in pieces;
	 * out-of-order data with congestion marks. */
	seed_begin(H_ESTABLISHED, C1_SACK | C1_WS | C1_ECN, C2_SMALLBUF | C2_PASSIVE, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .lencode = 200, .port = 0 });
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .seq_off = 100, .lencode = 200 });
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .lencode = 230 });
	seed_act(2, 1, 0x40, 0);
	seed_act(2, 1, 0x41, 0);
	seed_act(2, 1, 0xf8, 0);
	sb(0x40); /* CE */
	sb(TH_ACK | TH_PSH);
	sb16(65535);
	sb(0);
	sb(100);
	seed_write(dir, "small-buffer-flood");
	/* Delayed ACKs: quick ACKs off, a stream of small segments, the
	 * timer, a reply that carries the ACK. */
	seed_begin(H_ESTABLISHED, C1_TS | C1_SACK, C2_PASSIVE, 0);
	seed_act(7, 2, 8, 0); /* TCP_QUICKACK 0 */
	for (int i = 0; i < 6; i++) {
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 100 });
		seed_act(0, 1, 10, 0);
	}
	seed_act(0, 1, 60, 0);
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 20 });
	seed_act(1, 2, 30, 0);
	seed_act(2, 1, 0xf8, 0);
	seed_act(10, 0, 0, 0);
	seed_write(dir, "delayed-acks");
	/* A tight packet pool: big segments queued by reference fill it,
	 * the stack's own allocations fail, reading frees it again. */
	for (int lim = 1; lim < 4; lim++) {
		seed_begin(lim == 2 ? H_EST_OOO : H_ESTABLISHED, C1_TS | C1_SACK, C2_PASSIVE,
			   (uint8_t)(lim << 3));
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 240 });
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .seq_far = 1, .seq_off = 30000,
					  .ts = 1, .lencode = 226 });
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 240 });
		seed_act(1, 2, 200, 0);
		seed_act(2, 1, 0xff, 0);
		seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 250 });
		seed_act(0, 1, 210, 0);
		seed_act(2, 1, 0xff, 0);
		seed_act(2, 1, 0xff, 0);
		snprintf(name, sizeof(name), "tight-pool-%d", lim);
		seed_write(dir, name);
	}
	/* Urgent data both ways, with SO_OOBINLINE toggled. */
	seed_begin(H_ESTABLISHED, C1_TS, C2_NODELAY, 0);
	seed_act(1, 2, 10, 1);
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_URG | TH_PSH, .ts = 1, .urp = 3, .lencode = 10 });
	seed_act(2, 1, 2, 0);
	seed_act(7, 2, 13, 1);
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_URG | TH_PSH, .ts = 1, .urp = 40, .lencode = 10 });
	seed_seg(&(struct sseed){ .flags = TH_ACK | TH_PSH, .ts = 1, .lencode = 50 });
	seed_act(2, 1, 0x18, 0);
	seed_write(dir, "urgent-data");
	/* SYN-SENT: the SYN-ACK. */
	seed_begin(H_SYN_SENT, C1_TS | C1_WS, 0, 0);
	seed_seg(&(struct sseed){ .flags = TH_SYN | TH_ACK, .ts = 1, .raw = (const uint8_t[]){ 2, 4, 5, 0xb4 },
				  .rawlen = 4 });
	seed_act(1, 2, 10, 0);
	seed_write(dir, "syn-sent-synack");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
	trace = getenv("FUZZ_TCP_TRACE") != NULL;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
