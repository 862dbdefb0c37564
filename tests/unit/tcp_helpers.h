/*
 * TCP test helpers: the test plays the peer (10.0.0.1) of a stack socket on
 * the channel endpoint, on the fixture's fake clock.
 *
 *   - a segment in one line: struct t_out (host order; options by field)
 *     made into a whole frame by t_frame(), injected by t_inject();
 *     t_out_for(c) fills one with a connection's current seq/ack/window/
 *     timestamp, for the test to change a field or two;
 *   - what the stack sent, parsed into struct t_in (fields, options, a copy
 *     of the payload, the fake time it left at) by t_take(); ARP requests
 *     for the peer are answered on the way so that long runs of the clock
 *     keep the neighbour entry alive, and any other non-TCP frame fails the
 *     test;
 *   - t_run(dt): advance the clock as an event loop would, recording the
 *     time each frame left; t_run_until(dt, &seg): up to the first frame;
 *   - a connection (struct t_conn) opened as client (t_connect) or server
 *     (t_accept), with the options of struct t_open; then the peer sends
 *     with t_send()/t_send_flags() and acknowledges with t_ack_upto();
 *   - TCP_INFO in one call.
 *
 * Every test begins with t_begin() (the open helpers call it).
 */
#ifndef TEST_TCP_HELPERS_H
#define TEST_TCP_HELPERS_H

#include <linux/tcp.h>
#include <poll.h>

#include "tcp/tcp_priv.h"
#include "unit.h"

/* A segment from the peer. Zero fields mean: no such option. */
struct t_out {
	uint32_t src, dst;	/* 0: B_IP_PEER, B_IP_STACK */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint16_t urp;
	uint16_t mss;		/* MSS option when non-zero */
	uint8_t ws_on, ws;	/* window scale option */
	uint8_t sack_perm;
	uint8_t ts_on;		/* timestamps option */
	uint32_t tsval, tsecr;
	uint8_t nsack;		/* SACK blocks */
	uint32_t sack[4][2];
	const uint8_t *raw_opts; /* appended after the above (padded by caller) */
	uint8_t raw_len;
	const void *data;
	uint32_t len;
	int bad_csum;
};

/* A segment the stack sent. */
struct t_in {
	ns_time_t t;		/* fake clock when it was taken off the wire */
	uint32_t src, dst;
	uint8_t ttl, df;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;		/* the field, unscaled */
	uint16_t urp;
	int csum_ok;
	uint8_t optlen;
	uint8_t opts[40];
	uint8_t mss_ok, ws_ok, sack_perm, ts_ok;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[4][2];
	int bad_opts;		/* malformed option list */
	uint32_t len;		/* payload bytes */
	uint8_t data[2048];	/* first bytes of the payload */
};

/* Options of a handshake. The zero value: the peer offers MSS 1460 and a
 * 65535 window, no window scaling, no SACK, no timestamps; the handshake
 * takes no time. */
struct t_open {
	uint16_t mss;		/* 0: 1460 */
	uint8_t no_mss;		/* send no MSS option */
	uint8_t ws_on, ws;	/* peer's window scale */
	uint8_t sack;
	uint8_t ts;
	uint16_t win;		/* 0: 65535 (unscaled field) */
	ns_time_t rtt;		/* clock time between our SYN(-ACK) and the answer */
	uint16_t port;		/* the stack's port (0: 80 active... 8080 passive) */
	uint16_t peer_port;	/* 0: 40000 (passive) */
	const char *cc;		/* TCP_CONGESTION before the handshake */
	int nodelay;
	struct ns_socket *ls;	/* passive: this listener (NULL: a new one) */
	uint32_t iss;		/* the peer's ISN (0: 0x10000000) */
};

struct t_conn {
	struct ns_socket *s;	/* the stack's connected socket */
	struct ns_socket *ls;	/* the listener (passive open) */
	uint16_t port, peer_port;
	uint32_t stack_iss, peer_iss;
	uint32_t snd_nxt;	/* the peer's next sequence number */
	uint32_t rcv_nxt;	/* next byte the peer expects from the stack */
	uint16_t win;		/* the peer's window field */
	uint8_t peer_ws, stack_ws; /* shifts in effect (0 when not negotiated) */
	uint8_t ws_ok, ts, sack;
	uint32_t tsval;		/* the peer's clock, advanced by t_send() */
	uint32_t ts_recent;	/* the stack's last TSval, echoed by the peer */
	uint16_t stack_mss;	/* MSS option of the stack's SYN(-ACK) */
	struct t_in syn;	/* the stack's SYN or SYN-ACK */
};

/* Drop whatever was sent so far, reset the capture queue and teach the
 * stack the peer's MAC. */
void t_begin(void);

/* ---- frames ---- */
struct pkt *t_frame(const struct t_out *o);
void t_inject(const struct t_out *o);
#define T_INJECT(...) t_inject(&(struct t_out){ __VA_ARGS__ })

/* The next TCP segment the stack sent (0: none). */
int t_take(struct t_in *s);
#define T_EXPECT(s) ck_assert_msg(t_take(s), "expected the stack to send a TCP segment")
#define T_EXPECT_NONE()                                                               \
	do {                                                                          \
		struct t_in _x;                                                       \
		ck_assert_msg(!t_take(&_x), "unexpected segment: flags %#x seq %u len %u", \
			      _x.flags, _x.seq, _x.len);                              \
	} while (0)
/* Segments waiting to be taken. */
int t_pending(void);
/* Drop every waiting segment; returns how many. */
int t_drain(void);

/* Advance the clock by dt as an event loop would; frames are recorded with
 * the time they left. Returns the number of segments now waiting. */
int t_run(ns_time_t dt);
/* Advance until the stack sends a TCP segment (taken into *s, returns 1)
 * or dt has passed (returns 0, the clock at now + dt). */
int t_run_until(ns_time_t dt, struct t_in *s);
/* Fixture time of now. */
static inline ns_time_t t_now(void)
{
	return F.wheel.now;
}
/* `t` is at `want` or at most `slack` later (timer ticks round up). */
#define T_AT(t, want)                                                                     \
	ck_assert_msg((t) >= (want) && (t) <= (want) + T_SLACK,                           \
		      "at %.6f s, expected %.6f s", (double)((t) - FX_T0) / 1e9,         \
		      (double)((want) - FX_T0) / 1e9)
#define T_SLACK (1 * NS_MSEC)

/* ---- connections ---- */
void t_connect(struct t_conn *c, const struct t_open *o);
void t_accept(struct t_conn *c, const struct t_open *o);
/* Active/passive open with defaults. */
#define T_CONNECT(c, ...) t_connect((c), &(struct t_open){ __VA_ARGS__ })
#define T_ACCEPT(c, ...) t_accept((c), &(struct t_open){ __VA_ARGS__ })

/* A segment from the peer as the connection stands: seq snd_nxt, ACK of
 * rcv_nxt, the peer's window, timestamps if negotiated. */
struct t_out t_out_for(struct t_conn *c);
/* The peer sends `len` bytes (and flags, ACK always added) at snd_nxt. */
void t_send_flags(struct t_conn *c, uint8_t flags, const void *data, uint32_t len);
static inline void t_send(struct t_conn *c, const void *data, uint32_t len)
{
	t_send_flags(c, TH_ACK | TH_PSH, data, len);
}
/* The peer acknowledges up to `ack` (a pure ACK), window as c->win. */
void t_ack_upto(struct t_conn *c, uint32_t ack);
/* The peer acknowledges everything the stack sent (what it took). */
void t_ack_all(struct t_conn *c);
/* Record what a segment of the stack tells the peer (rcv_nxt, TSval). */
void t_note(struct t_conn *c, const struct t_in *s);
/* Close the stack's socket, and the listener if any (ends a test cleanly:
 * the stack frees what remains when the fixture destroys it). */
void t_close(struct t_conn *c);

/* Sequence offset of a stack segment from its ISN + 1 (the first data byte). */
static inline uint32_t t_off(const struct t_conn *c, uint32_t seq)
{
	return seq - (c->stack_iss + 1);
}

/* ---- socket side ---- */
struct tcp_info t_info(struct ns_socket *s);
int t_state(struct ns_socket *s); /* tcpi_state (Linux numbering) */
int t_seti(struct ns_socket *s, int level, int name, int val);
int t_geti(struct ns_socket *s, int level, int name);
ssize_t t_write(struct ns_socket *s, size_t n, unsigned seed); /* pattern bytes */
/* Read everything readable (at most cap) into buf; returns bytes or -errno. */
ssize_t t_read(struct ns_socket *s, void *buf, size_t cap);
struct tcp_sock *t_tp(struct ns_socket *s); /* the connection block */
/* The Linux state of c's connection as the stack's tables hold it (the
 * TIME-WAIT block once the socket handed it over); LS_CLOSE when gone. */
int t_conn_state(const struct t_conn *c);

/* Linux TCP_INFO states. */
enum { LS_ESTABLISHED = 1, LS_SYN_SENT, LS_SYN_RECV, LS_FIN_WAIT1, LS_FIN_WAIT2, LS_TIME_WAIT,
       LS_CLOSE, LS_CLOSE_WAIT, LS_LAST_ACK, LS_LISTEN, LS_CLOSING };

/* A pattern byte stream: byte i of stream `seed`. */
static inline uint8_t t_pat(unsigned seed, uint32_t i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 8) * 13);
}

#endif
