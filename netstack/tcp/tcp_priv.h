/*
 * TCP internals (RFC 9293 and the extensions listed in DESIGN.md).
 *
 * The files of this directory split TCP by role:
 *   tcp_input.c    segment arrival: validation, demux, the state machine
 *   tcp_output.c   building and sending segments, Nagle/SWS, ACKs, RSTs
 *   tcp_timer.c    retransmit/probe, delayed ACK, persist, keepalive,
 *                  TIME_WAIT and FIN_WAIT_2 timers
 *   tcp_cc.c       congestion control ops: CUBIC (default) and NewReno
 *   tcp_sack.c     the SACK scoreboard, D-SACK, RFC 6675 loss recovery
 *   tcp_rack.c     RACK-TLP loss detection (RFC 8985)
 *   tcp_connect.c  connection setup: ISNs, listen, SYN queue, SYN cookies
 *   tcp_table.c    port binding and the demultiplexing tables
 *   tcp_socket.c   the socket ops, options and TCP_INFO
 *   tcp_buf.c      byte rings for the send and receive buffers
 *   tcp_repair.c   repair mode (TCP_REPAIR and its options, for CRIU)
 *
 * Variables keep their RFC names (snd_una, snd_nxt, rcv_nxt, iss, irs...).
 * Sequence numbers are compared only through the SEQ_* macros.
 *
 * Counting: congestion window and flight are in packets (segments), as in
 * Linux, so that TCP_INFO reports the same units; byte counts are kept where
 * RFCs reason in bytes (ABC, buffers).
 */
#ifndef NS_TCP_PRIV_H
#define NS_TCP_PRIV_H

#include <netinet/in.h>

#include "stack_priv.h"

/* ---- sequence arithmetic (RFC 9293 3.4) ---- */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

/* ---- header flags ---- */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* ---- options ---- */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WS 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCP_MAX_SACK_BLOCKS 4

/* ---- states: ordered, with predicates (OpenBSD tcp_fsm.h style) ---- */
enum tcp_fsm_state {
	TCPS_CLOSED,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_CLOSE_WAIT,
	TCPS_FIN_WAIT_1,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_FIN_WAIT_2,
	TCPS_TIME_WAIT,
};
#define TCPS_HAVERCVDSYN(s) ((s) >= TCPS_SYN_RECEIVED)
#define TCPS_HAVEESTABLISHED(s) ((s) >= TCPS_ESTABLISHED)
#define TCPS_HAVERCVDFIN(s) \
	((s) == TCPS_CLOSE_WAIT || (s) == TCPS_CLOSING || (s) == TCPS_LAST_ACK || \
	 (s) == TCPS_TIME_WAIT)
extern const char *const tcp_state_names[];
/* Linux's numbering (TCP_INFO tcpi_state, /proc/net/tcp). */
int tcp_state_linux(enum tcp_fsm_state s);

/* ---- defaults (Linux's where RFCs leave a choice) ---- */
#define TCP_DEFAULT_MSS 536	       /* RFC 9293 3.7.1 */
#define TCP_DEFAULT_MSS6 1220	       /* RFC 9293 3.7.1: IPv6's */
#define TCP_MIN_MSS 88		       /* Linux TCP_MIN_SND_MSS */
#define TCP_SEND_PIECE 65536	       /* a send's unit under TCP_NOTSENT_LOWAT */
#define TCP_RTO_INIT (1 * NS_SEC)      /* RFC 6298 2.1 */
#define TCP_RTO_MIN (200 * NS_MSEC)    /* Linux TCP_RTO_MIN */
#define TCP_TLP_MIN (2 * NS_MSEC)      /* Linux TCP_TIMEOUT_MIN: PTO's margin */
#define TCP_RTO_MAX (120 * NS_SEC)     /* Linux TCP_RTO_MAX */
#define TCP_TIMEOUT_FALLBACK (3 * NS_SEC) /* RFC 6298 5.7 after SYN loss */
#define TCP_DELACK_MIN (40 * NS_MSEC)
#define TCP_DELACK_MAX (200 * NS_MSEC) /* RFC 5681 4.2: at most 500 ms; Linux 200 */
#define TCP_JIFFY (4 * NS_MSEC)	       /* Linux's HZ 250: the unit of its per-socket timer bounds */
#define TCP_THIN_LINEAR_RETRIES 6      /* Linux: a thin stream's RTOs not backed off */
#define TCP_SYN_RETRIES 6
#define TCP_SYNACK_RETRIES 5
#define TCP_RETRIES2 15
#define TCP_ORPHAN_RETRIES 8 /* Linux tcp_orphan_retries 0 */
#define TCP_KEEPIDLE_DEFAULT (7200 * NS_SEC)
#define TCP_KEEPINTVL_DEFAULT (75 * NS_SEC)
#define TCP_KEEPCNT_DEFAULT 9
#define TCP_FIN_TIMEOUT_DEFAULT (60 * NS_SEC)
#define TCP_TIMEWAIT_DEFAULT (60 * NS_SEC) /* 2 * MSL, Linux TCP_TIMEWAIT_LEN */
#define TCP_INIT_CWND 10		   /* RFC 6928 */
#define TCP_WMEM_DEFAULT 16384		   /* Linux tcp_wmem[1] */
#define TCP_RMEM_DEFAULT 131072		   /* Linux tcp_rmem[1] */
#define TCP_WMEM_MAX_DEFAULT (4 << 20)	   /* Linux tcp_wmem[2] */
#define TCP_RMEM_MAX_DEFAULT (6 << 20)	   /* Linux tcp_rmem[2] */
#define TCP_MAX_WSCALE 14		   /* RFC 7323 2.3 */
/* Receive memory as Linux counts it: a queued segment costs its payload
 * and the 832 bytes of its skb (SKB_TRUESIZE of a 256-byte head, what
 * loopback segments cost); windows are a share of the buffer, in 256ths
 * (Linux's scaling_ratio: half until the segments measure it). */
#define TCP_RMEM_SKB_COST 832
#define TCP_SCALING_RATIO_DEFAULT 128
#define TCP_MIN_RCVBUF 2304		   /* Linux SOCK_MIN_RCVBUF */
#define TCP_REORDERING 3		   /* DupThresh, RFC 6675 */
#define TCP_QUICKACKS 16
#define TCP_CHALLENGE_ACK_PER_SEC 1000	   /* RFC 5961 7 */
#define TCP_PAWS_24DAYS (24ULL * 24 * 3600 * NS_SEC) /* RFC 7323 5.5 */

/* ---- parsed segment (validated once, host order) ---- */
struct tcp_opts {
	uint8_t mss_ok, ws_ok, sack_perm, ts_ok;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[TCP_MAX_SACK_BLOCKS][2];
};

struct tcp_seg_in {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t doff; /* header bytes */
	uint32_t wnd; /* unscaled */
	uint16_t urp;
	uint32_t len; /* payload bytes */
	uint32_t end; /* seq + len + SYN + FIN */
	struct tcp_opts opt;
	const struct ns_l3_info *l3;
	struct pkt *pkt; /* data at the payload */
};

/* ---- byte ring (tcp_buf.c) ---- */
struct tcp_ring {
	uint8_t *buf;
	uint32_t cap; /* power of two, or 0 */
	uint32_t head;
	uint32_t len;
};
int tcp_ring_reserve(struct tcp_ring *r, uint32_t want);
uint32_t tcp_ring_append(struct tcp_ring *r, const void *src, uint32_t n);
/* Append from iovecs starting at byte `off`; returns bytes copied. */
uint32_t tcp_ring_append_iov(struct tcp_ring *r, const struct msghdr *m, size_t off, uint32_t n);
void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
uint32_t tcp_ring_peek_iov(const struct tcp_ring *r, uint32_t off, const struct msghdr *m,
			   uint32_t n);
void tcp_ring_consume(struct tcp_ring *r, uint32_t n);
void tcp_ring_free(struct tcp_ring *r);

/* ---- receive queue of packet views (tcp_buf.c) ---- */
struct tcp_rq {
	struct pkt *head, *tail; /* each view's data is bytes to read */
	uint32_t len;		 /* bytes queued */
};
/* Payloads at least this big are queued by reference, not copied. */
#define TCP_RQ_TAKE_MIN 16384
int tcp_rq_copy_in(struct tcp_rq *q, const void *src, uint32_t n);
/* Takes ownership of p, whose data is exactly the bytes to queue. */
void tcp_rq_take(struct tcp_rq *q, struct pkt *p);
/* Copies up to n bytes from `off` bytes into the queue to m's iovecs. */
uint32_t tcp_rq_peek_iov(const struct tcp_rq *q, uint32_t off, const struct msghdr *m, uint32_t n);
void tcp_rq_consume(struct tcp_rq *q, uint32_t n);
void tcp_rq_free(struct tcp_rq *q);
struct tcp_sock;
void tcp_ooo_purge(struct tcp_sock *tp); /* drop the out-of-order queue */
/* Drop the last n bytes (undo a failed partial copy). */
void tcp_rq_trim_tail(struct tcp_rq *q, uint32_t n);

/* ---- the retransmission queue: one record per sent segment ---- */
enum {
	SEG_SACKED = 1u << 0,	/* covered by a SACK block */
	SEG_LOST = 1u << 1,	/* deemed lost, waiting for retransmission */
	SEG_RETRANS = 1u << 2,	/* retransmitted, that copy still in flight */
	SEG_EVER_RETRANS = 1u << 3,
	SEG_SYN = 1u << 4,
	SEG_FIN = 1u << 5,
	SEG_TLP = 1u << 6,	/* sent as a tail loss probe */
	SEG_PSH = 1u << 7,	/* holds the end of a write: sent with PSH */
};

/* A send's transmit stamps: where its last byte is, what it asked, and
 * (for the ACK stamp's report) the payload of the segment that carried
 * it, copied as it left. */
struct tcp_tsreq {
	uint32_t last;	 /* sequence number of the send's last byte */
	uint32_t flags;	 /* NS_SOF_TX_SOFTWARE, _TX_SCHED, _TX_ACK */
	uint8_t sent;	 /* its segment left */
	uint32_t len;
	uint8_t *data;	 /* NULL: none (OPT_TSONLY, or not yet sent) */
};

struct tcp_seg {
	struct tcp_seg *next, *prev;
	uint32_t seq, end; /* sequence space, end includes SYN/FIN */
	uint16_t flags;
	uint16_t xmits;
	ns_time_t xmit_time;	 /* last (re)transmission */
	uint64_t delivered_at_send; /* for delivery rate samples */
};

/* ---- congestion control ops ---- */
enum tcp_ca { CA_OPEN, CA_DISORDER, CA_CWR, CA_RECOVERY, CA_LOSS };
enum tcp_cc_event { CC_EVENT_LOSS_RTO, CC_EVENT_RECOVERY_ENTER, CC_EVENT_RECOVERY_EXIT,
		    CC_EVENT_IDLE_RESTART, CC_EVENT_UNDO };

struct tcp_sock;
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcp_sock *tp);
	/* New data acked (`acked` packets) outside recovery: grow cwnd. */
	void (*cong_avoid)(struct tcp_sock *tp, uint32_t acked);
	/* The ssthresh to use after a loss. */
	uint32_t (*ssthresh)(struct tcp_sock *tp);
	void (*event)(struct tcp_sock *tp, enum tcp_cc_event ev);
	/* An RTT sample (us), for delay-aware algorithms (CUBIC HyStart). */
	void (*rtt_sample)(struct tcp_sock *tp, uint32_t rtt_us);
};
extern const struct tcp_cc_ops tcp_cubic_ops;
extern const struct tcp_cc_ops tcp_newreno_ops;
const struct tcp_cc_ops *tcp_cc_find(const char *name);

struct cubic_state {
	uint32_t cnt;		/* increase cwnd by 1 after cnt ACKed packets */
	uint32_t w_max;		/* packets, before the last reduction */
	uint32_t last_cwnd;
	ns_time_t last_time;
	ns_time_t epoch_start;	/* 0: not in an epoch */
	uint32_t origin_point;
	uint32_t K_ms;
	uint32_t ack_cnt;
	uint32_t tcp_cwnd;	/* the Reno-friendly estimate (RFC 9438 4.3) */
	uint32_t delay_min_us;
	/* HyStart (slow-start exit on delay increase) */
	uint32_t round_start_seq;
	uint32_t curr_rtt_us;
	uint8_t sample_cnt;
	uint8_t found;
	ns_time_t round_start;
};

/* ---- SYN queue entries (tcp_connect.c) ---- */
struct tcp_req {
	struct tcp_req *next;
	struct tcp_sock *listener;
	struct ns_ip laddr, raddr;
	uint16_t lport, rport;
	uint32_t iss, irs;
	uint16_t mss;	/* peer's MSS option (0: none) */
	uint8_t snd_ws, ws_ok, sack_ok, ts_ok;
	uint32_t ts_recent;
	uint32_t ts_offset;
	uint32_t peer_wnd;
	uint8_t retries;
	uint8_t acked;	/* final ACK seen but dropped: accept queue full, or
			 * TCP_DEFER_ACCEPT waiting for data */
	uint8_t ecn_ok;	/* the SYN asked for ECN and we agree (RFC 3168 6.1.1) */
	int nic;
	struct ns_timer timer;
	uint8_t *saved_syn; /* TCP_SAVE_SYN: the SYN's headers, for the child */
	uint32_t saved_syn_len;
};

struct tcp_listen {
	struct tcp_req *synq;
	uint32_t synq_len;
	struct tcp_sock *acceptq_head, *acceptq_tail;
	uint32_t acceptq_len;
	uint32_t backlog;
};

/* ---- the connection block ---- */
struct tcp_sock {
	struct ns_socket sk;
	enum tcp_fsm_state state;
	struct ns_ip laddr, raddr;
	uint16_t lport, rport;
	struct tcp_sock *ehnext;     /* established/time-wait hash chain */
	struct tcp_sock *bnext;	     /* bind chain (per port) */
	struct tcp_sock *lhnext;     /* listener chain */
	uint8_t in_ehash, in_bhash, in_lhash;
	uint8_t port_locked;	     /* bind() chose the port */
	uint8_t addr_locked;	     /* bind() chose the address (a disconnect keeps it) */

	/* Send sequence space (RFC 9293 3.3.1). */
	uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, snd_up;
	uint32_t snd_max_wnd;	     /* largest window the peer offered */
	uint8_t snd_wscale, rcv_wscale;
	/* Receive sequence space. */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_adv; /* rcv_adv: right edge advertised */
	uint32_t rcv_up;

	/* Negotiated options. */
	uint8_t ws_ok, sack_ok, ts_ok;
	/* ECN (RFC 3168): negotiated; the receiver owes ECE until it sees
	 * CWR (6.1.3); the sender owes CWR on its next new data (6.1.2). */
	uint8_t ecn_ok, ecn_ece_pending, ecn_cwr_pending;
	uint16_t mss;		     /* effective send MSS (payload bytes) */
	uint16_t peer_mss;	     /* from the peer's SYN */
	uint16_t adv_mss;	     /* what we announced */
	uint16_t user_mss;	     /* TCP_MAXSEG, 0 none */
	uint32_t pmtu;
	uint16_t rcv_mss;	     /* estimate of the peer's segment size */
	uint32_t ts_recent;	     /* RFC 7323 TS.Recent */
	ns_time_t ts_recent_stamp;
	uint32_t ts_offset;	     /* per-connection TSval offset (RFC 7323 5.4) */
	uint8_t ts_usec;	     /* the TSval clock counts microseconds (TCP_TIMESTAMP) */
	uint32_t last_ack_sent;	     /* RFC 7323 Last.ACK.sent */

	/* Buffers. */
	struct tcp_ring sndq;	     /* bytes from snd_buf_seq on */
	uint32_t snd_buf_seq;	     /* sequence number of sndq's first byte */
	uint32_t fin_seq;	     /* valid when fin_queued */
	/* Ends of writes not yet sent that asked for a push (not MSG_MORE),
	 * oldest first: the segment that holds one carries PSH, as Linux
	 * marks the last segment of each write (tcp_mark_push). */
	uint32_t push_pt[4];
	uint8_t push_n;
	uint32_t push_one;	     /* the next send's cap: a write's first skb */
	/* Sends that asked for transmit stamps (SO_TIMESTAMPING,
	 * tcp_tstamp.c), oldest first: until the segment that carries the
	 * last byte leaves (SCHED, SND) and, with TX_ACK, until it is
	 * acknowledged. */
	struct tcp_tsreq *tsq;
	uint32_t tsq_n, tsq_cap;
	struct tcp_rq rcvq;	     /* in-order bytes not yet read */
	/* Its memory as Linux's skbs: one per segment queued, its bytes
	 * and TCP_RMEM_SKB_COST, given back once all of it was read; the
	 * bytes of each, oldest first, in a ring. (Linux adds a segment to
	 * the last skb only once the sender no longer shares that one: on
	 * loopback, not before our ACK reached it; counted apart here.) */
	uint32_t *rq_skb;
	uint32_t rq_skb_cap, rq_skb_head, rq_skb_n, rq_skb_read;
	uint32_t rq_mem;
	struct pkt *ooo;	     /* out-of-order segments, sorted; cookie = seq */
	uint32_t ooo_bytes;
	uint8_t ooo_fin;	     /* a FIN seen out of order at ooo_fin_seq */
	uint32_t ooo_fin_seq;
	uint32_t sack_last[2];	     /* most recent out-of-order block (RFC 2018 4) */
	uint32_t dsack[2];	     /* D-SACK block to send (RFC 2883) */
	uint8_t dsack_pending;
	int rcvbuf_max;		     /* autotuning ceiling */
	int sndbuf_max;
	/* The window grows up to rcv_ssthresh, which grows as data comes
	 * in, up to window_clamp (the user's TCP_WINDOW_CLAMP, then the
	 * buffer's share: Linux). */
	uint32_t rcv_ssthresh;
	uint32_t window_clamp;
	uint8_t scaling_ratio;	     /* payload per 256 bytes of receive memory */
	/* Receive-buffer auto-tuning (Linux DRS). */
	uint32_t rcvq_space_seq;
	uint32_t rcvq_space_copied;
	ns_time_t rcvq_space_time;
	uint32_t rcvq_space;
	uint32_t rcv_rtt_us;	     /* receiver-side RTT estimate */
	uint32_t rcv_rtt_seq;
	ns_time_t rcv_rtt_time;

	/* Retransmission queue and accounting (packets). */
	struct tcp_seg *rtx_head, *rtx_tail;
	uint32_t packets_out, sacked_out, lost_out, retrans_out;
	uint32_t sacked_bytes;
	uint32_t high_rxt;	     /* RFC 6675 HighRxt */
	uint32_t high_sacked;	     /* highest SACKed sequence (end) */

	/* RTT and RTO (RFC 6298), microseconds for the estimator. */
	uint32_t srtt_us, rttvar_us, mdev_max_us;
	uint32_t min_rtt_us;
	ns_time_t min_rtt_stamp;
	ns_time_t rto;
	uint8_t backoff;	     /* exponential back-off count */
	uint8_t retransmits;	     /* consecutive RTO expirations */
	uint8_t syn_retries;	     /* TCP_SYNCNT, 0 default */
	uint8_t probes_out;	     /* unanswered zero-window / keepalive probes */
	ns_time_t first_rto_time;    /* for TCP_USER_TIMEOUT */
	ns_time_t rto_stamp;	     /* first loss-free moment of the stall */

	/* Congestion control. */
	const struct tcp_cc_ops *cc;
	struct cubic_state cubic;
	uint32_t snd_cwnd, snd_ssthresh;
	uint32_t snd_cwnd_cnt;	     /* NewReno fractional growth */
	uint32_t prior_cwnd, prior_ssthresh; /* for undo */
	enum tcp_ca ca_state;
	uint32_t high_seq;	     /* snd_nxt at loss/recovery start ("recover") */
	uint32_t dupacks;
	uint32_t reordering;	     /* DupThresh, may grow */
	ns_time_t lsndtime;	     /* last data sent (for idle restart) */
	uint32_t undo_marker, undo_retrans;
	uint32_t prr_delivered, prr_out;   /* RFC 6937 */
	uint32_t syn_tsval;		   /* TSval of our first SYN */

	/* RACK-TLP (RFC 8985). */
	struct {
		ns_time_t xmit_time; /* RACK.xmit_ts of the most recent delivered segment */
		uint32_t end_seq;
		uint32_t rtt_us;
		uint8_t reo_wnd_mult;
		uint8_t reord_seen;
		uint32_t reo_wnd_persist;
		uint32_t dsack_round;
		uint8_t advanced;
	} rack;
	uint32_t tlp_high_seq;	     /* 0: no probe outstanding */
	ns_time_t reo_wait;	     /* RACK: time until the next loss verdict */
	ns_time_t last_oow_ack;	     /* last answer to an unacceptable pure ACK */
	uint8_t tlp_retrans;

	/* ACK scheduling. */
	uint8_t ack_pending;	     /* an ACK is owed */
	uint8_t ack_now;	     /* send it before sleeping, not on a timer */
	uint8_t quickack;	     /* segments still to ACK at once */
	uint8_t pingpong;	     /* interactive: delay ACKs to piggyback */
	uint32_t segs_since_ack;     /* full-sized segments unacknowledged */
	struct tcp_sock *acknext;    /* stack's pending-ACK list */
	uint8_t on_ack_list;
	ns_time_t ato;

	/* User options. */
	uint8_t nodelay, cork, fin_queued, fin_sent, defer_accept_secs_set;
	uint8_t rcv_tos; /* the TOS of the ACK that completed an accepted handshake (IP_PKTOPTIONS) */
	/* TCP_FASTOPEN: the queue length asked for, kept and read back.
	 * Fast Open itself is not done: Linux's default (net.ipv4.
	 * tcp_fastopen 1) is the client's only, so a listener answers a
	 * SYN with data as one without. */
	uint32_t fastopen_qlen;
	/* TCP_FASTOPEN_CONNECT: kept and read back. With no cookie a Linux
	 * client connects as without it (its SYN only asks for a cookie),
	 * and moat never has one: connect() is a plain one. */
	uint8_t fastopen_connect;
	uint8_t force_push;	     /* persist timer: send what fits, now */
	uint8_t shut_rd, shut_wr;
	uint32_t keepidle_s, keepintvl_s, keepcnt;
	uint32_t user_timeout_ms;
	uint32_t notsent_lowat;	     /* TCP_NOTSENT_LOWAT, 0: the stack's */
	uint8_t recvmsg_inq;	     /* TCP_INQ: TCP_CM_INQ on every read */
	/* TCP_RTO_MIN_US, TCP_RTO_MAX_MS, TCP_DELACK_MAX_US: this socket's
	 * bounds, whole ticks of Linux's 4 ms jiffy (HZ 250), as Linux keeps
	 * them; the first two start from net.ipv4.tcp_rto_min_us and
	 * tcp_rto_max_ms (tcp_rto_min() and kin read them) */
	ns_time_t rto_min, rto_max, delack_max;
	uint8_t thin_lto;	     /* TCP_THIN_LINEAR_TIMEOUTS */
	uint8_t save_syn;	     /* TCP_SAVE_SYN: 1 from the IP header, 2 from the link header */
	/* TCP_SAVED_SYN: the headers of the SYN that opened this accepted
	 * connection, read once (then freed, as Linux) */
	uint8_t *saved_syn;
	uint32_t saved_syn_len;
	/* Kept and read back; what they act on is not done here:
	 * TCP_FASTOPEN_KEY and TCP_FASTOPEN_NO_COOKIE (no Fast Open
	 * cookies or data in a SYN: see fastopen_qlen), TCP_TX_DELAY (a
	 * departure time that only Linux's fq queueing discipline honours;
	 * the sandbox's links send at once, as Linux's lo without fq) */
	uint8_t fo_key[32], fo_key_len, fo_no_cookie;
	uint32_t tx_delay_us;
	int32_t linger2_s;	     /* TCP_LINGER2: <0 skip FIN_WAIT_2, 0 default */
	uint8_t defer_accept;	     /* TCP_DEFER_ACCEPT, in SYN-ACK timeouts */
	uint8_t urg_data_valid;	     /* an out-of-band byte is waiting */
	uint8_t urg_data;
	/* The urgent mark: reads stop there (Linux tcp_recvmsg); urg_mark
	 * is how many queued bytes come before it. */
	uint8_t urg_mark_on;
	uint32_t urg_mark;
	uint32_t urg_seq;	     /* sequence of the urgent byte */
	uint8_t urg_seen;
	uint8_t rst_sent_on_close;
	uint8_t orphan;		     /* user closed it; it lives on by itself */
	uint8_t established_once;
	/* Linux's socket-level state (sock->state): once connect() was
	 * called the socket never listens (EINVAL).
	 * `sock_connecting` (SS_CONNECTING): connect() answered EINPROGRESS
	 * and no connect() has reported the outcome yet; the next one does:
	 * EALREADY while the handshake runs, success once the connection
	 * is made, the error (ECONNABORTED without one) once it ended,
	 * which disconnects the socket.
	 * `sock_connected` (SS_CONNECTED): a connect() reported success or
	 * accept() returned the socket; connect() is EISCONN from then on,
	 * also after the connection ended (reset, TIME-WAIT).
	 * `disconnected`: a disconnect (a failed connect's reset,
	 * AF_UNSPEC) made the socket level unconnected again. */
	uint8_t connect_tried, sock_connecting, sock_connected, disconnected;
	/* shutdown() while connecting, of a connection not (or no longer)
	 * made: Linux's socket is disconnecting then, and connect() is
	 * EINVAL until AF_UNSPEC. */
	uint8_t sock_disconnecting;
	uint8_t listen_shut; /* a listener shut for reading: connect() is EINVAL until listen() */
	/* The port a disconnect gave back: getsockname still shows it while
	 * the socket is unbound (Linux keeps inet_sport, clears inet_num). */
	uint16_t name_port;
	/* Repair mode (tcp_repair.c): on; the queue picked (linux/tcp.h's
	 * TCP_*_QUEUE); bind() may take a port in use (Linux's
	 * SK_FORCE_REUSE); TCP_QUEUE_SEQ set the first byte's sequence
	 * (snd_buf_seq) of a closed socket. */
	uint8_t repair, repair_queue, repair_reuse, write_seq_set;

	/* Timers (slots on the connection). */
	struct ns_timer t_rtx;	     /* RTO / TLP / RACK reorder */
	uint8_t rtx_mode;	     /* which of those t_rtx is armed for */
	struct ns_timer t_persist;
	struct ns_timer t_delack;
	struct ns_timer t_keep;	     /* keepalive, or FIN_WAIT_2 / TIME_WAIT / SYN-SENT */

	/* Listening sockets, and children waiting in an accept queue. */
	struct tcp_listen *listen;
	struct tcp_sock *parent;
	struct tcp_sock *acc_next;

	/* Statistics (TCP_INFO). */
	uint32_t total_retrans;
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_out, segs_in, data_segs_out, data_segs_in;
	ns_time_t last_data_sent, last_data_recv, last_ack_recv;
	uint64_t delivered;
	uint32_t dsacks_rcvd;
};

enum { RTX_MODE_NONE, RTX_MODE_RTO, RTX_MODE_TLP, RTX_MODE_REO };

static inline struct tcp_sock *tcp_sk(struct ns_socket *s)
{
	return ns_container_of(s, struct tcp_sock, sk);
}

/* Per-stack TCP state. */
#define TCP_EHASH 4096
#define TCP_BHASH 1024
struct tcp_state {
	struct tcp_sock *ehash[TCP_EHASH];
	struct tcp_sock *bhash[TCP_BHASH];
	struct tcp_sock *lhash[TCP_BHASH];
	struct tcp_sock *ack_list;
	uint32_t challenge_tokens;
	ns_time_t challenge_stamp;
	uint32_t nsocks;
	uint32_t eph_offset;
	/* Settings (sysctl-like). */
	ns_time_t timewait_len;
	ns_time_t fin_timeout;
	int rmem_max, wmem_max;	/* tcp_rmem[2], tcp_wmem[2]: autotuning caps */
	int rmem_min, rmem_def, wmem_min, wmem_def; /* tcp_rmem[0..1], tcp_wmem[0..1] */
	uint32_t keepidle_s, keepintvl_s, keepcnt; /* tcp_keepalive_{time,intvl,probes} */
	uint32_t somaxconn;	/* net.core.somaxconn: listen backlogs are capped here */
	uint32_t tso_win_divisor; /* kept for sysctl only: the stack does not defer */
	uint32_t notsent_lowat;	/* tcp_notsent_lowat: unsent bytes a writer may leave */
	uint8_t syncookies;	/* 1: when the SYN queue overflows (Linux default) */
	/* tcp_rto_min_us, tcp_rto_max_ms: a new socket's bounds;
	 * tcp_thin_linear_timeouts: every socket's TCP_THIN_LINEAR_TIMEOUTS */
	int rto_min_us, rto_max_ms;
	uint8_t thin_lto;
	uint8_t sack, timestamps, window_scaling;
	uint8_t ecn;	/* Linux tcp_ecn: 0 off, 1 request and accept, 2 accept (default) */
	/* tcp_fastopen: kept; its bit 0 (the client's, Linux's default 1)
	 * allows TCP_FASTOPEN_CONNECT and MSG_FASTOPEN */
	int fastopen;
	const struct tcp_cc_ops *default_cc;
	uint32_t syncookie_mss_idx_last;
};

/* ---- tcp_table.c ---- */
void tcp_ehash_insert(struct ns_stack *st, struct tcp_sock *tp);
void tcp_ehash_remove(struct ns_stack *st, struct tcp_sock *tp);
struct tcp_sock *tcp_ehash_lookup(struct ns_stack *st, const struct ns_ip *laddr, uint16_t lport,
				  const struct ns_ip *raddr, uint16_t rport);
void tcp_bhash_insert(struct ns_stack *st, struct tcp_sock *tp);
void tcp_bhash_remove(struct ns_stack *st, struct tcp_sock *tp);
void tcp_lhash_insert(struct ns_stack *st, struct tcp_sock *tp);
void tcp_lhash_remove(struct ns_stack *st, struct tcp_sock *tp);
struct tcp_sock *tcp_listener_lookup(struct ns_stack *st, const struct ns_ip *daddr,
				     uint16_t dport, const struct ns_ip *saddr, uint16_t sport,
				     int nic);
/* bind(): 0 or -EADDRINUSE. port 0 picks an ephemeral port. */
int tcp_bind_port(struct ns_stack *st, struct tcp_sock *tp, const struct ns_ip *addr,
		  uint16_t port, int listening);
/* connect(): choose a local port making the 4-tuple unique. */
int tcp_connect_port(struct ns_stack *st, struct tcp_sock *tp);

/* ---- tcp_output.c ---- */
/* Send what the window, cwnd, Nagle and cork allow; then any owed ACK. */
void tcp_output(struct tcp_sock *tp);
/* Send a bare ACK now (with SACK/D-SACK and timestamps). */
void tcp_send_ack(struct tcp_sock *tp);
void tcp_mark_push(struct tcp_sock *tp, uint32_t end);
/* Owe an ACK: now (before sleeping) or on the delayed-ACK timer. */
void tcp_schedule_ack(struct tcp_sock *tp, int now);
void tcp_send_syn(struct tcp_sock *tp);
/* A record joins the retransmission queue's tail (a packet out). */
void tcp_rtx_append(struct tcp_sock *tp, struct tcp_seg *s);
/* The record [seq, end) holds the end of a write that asked for PSH. */
int tcp_take_push(struct tcp_sock *tp, uint32_t seq, uint32_t end);
void tcp_send_synack(struct ns_stack *st, struct tcp_req *req);
void tcp_send_fin(struct tcp_sock *tp);
/* RST for a connection (ABORT, RFC 9293 3.10.5). */
void tcp_send_active_reset(struct tcp_sock *tp);
/* RST in reply to a segment with no connection (RFC 9293 3.10.7.1). */
void tcp_send_reset_reply(struct ns_stack *st, const struct tcp_seg_in *seg);
/* tcp_tstamp.c: SO_TIMESTAMPING's transmit stamps. A send (its bytes
 * queued, not yet pushed) notes its request; a first transmission of the
 * data [seq, end) asks tcp_tstamp_begin whether it carries a request's
 * last byte (1: st->tx_stamp is t until the caller's ns_ip_output is
 * done, and the caller clears it); an ACK that moves snd_una calls
 * tcp_tstamp_acked; tcp_tstamp_purge drops what is left. */
void tcp_tstamp_send(struct tcp_sock *tp, const struct msghdr *m);
int tcp_tstamp_begin(struct tcp_sock *tp, uint32_t seq, uint32_t end, struct ns_tx_stamp *t);
void tcp_tstamp_acked(struct tcp_sock *tp);
void tcp_tstamp_purge(struct tcp_sock *tp);

/* Keepalive / zero-window probe: seq snd_una - 1, no data (Linux). */
void tcp_send_probe(struct tcp_sock *tp);
/* (Re)transmit one queued segment record (data copied from sndq). */
int tcp_xmit_seg(struct tcp_sock *tp, struct tcp_seg *s, int retransmit);
/* Send a tail loss probe (RFC 8985 7.3). */
void tcp_send_loss_probe(struct tcp_sock *tp);
/* Retransmit LOST segments while the pipe allows. */
void tcp_retransmit_lost(struct tcp_sock *tp);
uint32_t tcp_packets_in_flight(const struct tcp_sock *tp);
uint32_t tcp_current_mss(struct tcp_sock *tp);
/* Bytes a write packs per skb (Linux's size goal). */
uint32_t tcp_size_goal(struct tcp_sock *tp);
uint32_t tcp_tsval(const struct tcp_sock *tp);
/* The round trip since our TSval that tsecr echoes, in microseconds (0:
 * none, older than a minute). */
uint32_t tcp_ts_rtt_us(const struct tcp_sock *tp, uint32_t tsecr);
/* The window to advertise (bytes, before scaling), never shrinking. */
uint32_t tcp_select_window(struct tcp_sock *tp);
/* The window the buffer allows now (no state changes; Linux
 * __tcp_select_window). */
uint32_t tcp_window_now(const struct tcp_sock *tp);
void tcp_flush_acks(struct ns_stack *st);
/* Bytes the receive buffer has room for (out-of-order segments are
 * taken while they fit). */
uint32_t tcp_free_space(const struct tcp_sock *tp);
/* n bytes joined the receive queue as one segment / were read from it. */
void tcp_rmem_charge(struct tcp_sock *tp, uint32_t n);
void tcp_rmem_uncharge(struct tcp_sock *tp, uint32_t n);
void tcp_rmem_reset(struct tcp_sock *tp);
/* Room for another segment (Linux tcp_try_rmem_schedule): 1, or 0 when
 * the queue still holds more than the buffer after it was packed. */
int tcp_rmem_schedule(struct tcp_sock *tp);
/* Receive memory in use, and the window a buffer space gives. */
uint32_t tcp_rmem_alloc(const struct tcp_sock *tp);
uint32_t tcp_win_from_space(const struct tcp_sock *tp, int64_t space);
uint32_t tcp_space(const struct tcp_sock *tp);
uint32_t tcp_full_space(const struct tcp_sock *tp);
/* Linux tcp_select_initial_window(): the first window offered for a
 * buffer's share `space` and segment size `mss`, and the clamp and
 * window scale that go with it. */
void tcp_select_initial_window(const struct ns_stack *st, uint32_t space, uint32_t mss, int wscale_ok,
			       uint32_t *rcv_wnd, uint32_t *clamp, uint8_t *rcv_wscale);
/* The first window, clamp and scale of a connection from a SYN-queue
 * entry of listener lp (NULL: a SYN cookie's), for segments of mss. */
void tcp_req_init_rwin(struct ns_stack *st, const struct tcp_sock *lp, const struct tcp_req *req, uint32_t mss,
		       uint32_t *rcv_wnd, uint32_t *clamp, uint8_t *rcv_wscale);
/* Linux tcp_set_window_clamp() on a connection: at least half the least
 * buffer; rcv_ssthresh follows. */
void tcp_set_window_clamp(struct tcp_sock *tp, uint32_t val);
/* A segment of len bytes (made of segments of seg_size) was queued, in
 * order or not: measure the peer's segment size and the share of memory
 * that is payload (Linux tcp_measure_rcv_mss), and let the window grow
 * (tcp_grow_window). */
void tcp_rcv_window_grow(struct tcp_sock *tp, uint32_t len, uint32_t seg_size, int in_order);

/* ---- tcp_input.c ---- */
/* Both families: the segment's addresses are in l3 / the error. */
void tcp_input(struct ns_stack *st, struct pkt *p, const struct ns_l3_info *l3);
void tcp_err(struct ns_stack *st, const struct ns_l4_err *e);
int tcp_parse_options(const uint8_t *o, uint32_t len, int syn, struct tcp_opts *opt);
/* Process a segment on an established-or-later connection. Consumes nothing
 * (the caller frees seg->pkt unless it was queued: then seg->pkt is NULL). */
void tcp_rcv_state_process(struct tcp_sock *tp, struct tcp_seg_in *seg);
void tcp_rtt_sample(struct tcp_sock *tp, uint32_t rtt_us);

/* ---- tcp_timer.c ---- */
void tcp_timers_init(struct tcp_sock *tp);
void tcp_timers_stop(struct tcp_sock *tp);
void tcp_rearm_rto(struct tcp_sock *tp);
void tcp_arm_rtx(struct tcp_sock *tp, uint8_t mode, ns_time_t when);
void tcp_arm_persist(struct tcp_sock *tp);
void tcp_arm_keepalive(struct tcp_sock *tp);
void tcp_arm_delack(struct tcp_sock *tp);
void tcp_enter_time_wait(struct tcp_sock *tp);
void tcp_arm_fin_wait2(struct tcp_sock *tp);
ns_time_t tcp_rto_backed_off(const struct tcp_sock *tp);

/* ---- tcp_sack.c ---- */
/* Apply an ACK's SACK blocks; returns packets newly sacked. Sets *dsack
 * when the first block is a D-SACK (RFC 2883). */
uint32_t tcp_sack_process(struct tcp_sock *tp, const struct tcp_seg_in *seg, int *dsack);
/* Build the SACK blocks to send (RFC 2018 4). Returns the number. */
int tcp_sack_build(struct tcp_sock *tp, uint32_t blocks[][2], int max);
void tcp_seg_mark_lost(struct tcp_sock *tp, struct tcp_seg *s);
/* Split record s at sequence `at` (strictly inside its data); the new
 * record (from `at`) follows s and keeps its marks. NULL when out of memory. */
struct tcp_seg *tcp_seg_split(struct tcp_sock *tp, struct tcp_seg *s, uint32_t at);
/* Drop the retransmission queue (connection end). */
void tcp_rtx_purge(struct tcp_sock *tp);
struct tcp_seg *tcp_seg_alloc(void);
void tcp_seg_free(struct tcp_seg *s);

/* ---- tcp_repair.c ---- */
/* TCP_REPAIR and the options that go with it; -ENOPROTOOPT for others. */
int tcp_repair_setsockopt(struct tcp_sock *tp, int name, const void *v, socklen_t len, int val);
int tcp_repair_getsockopt(struct tcp_sock *tp, int name, void *v, socklen_t *len);
/* connect() of a repair socket: ESTABLISHED now, no handshake. */
int tcp_repair_connect(struct tcp_sock *tp);
/* send() to the receive queue: the bytes are unread data. */
ssize_t tcp_repair_send_rcvq(struct tcp_sock *tp, const struct msghdr *m);
/* Output goes to the send queue only (counted as sent, not sent). */
int tcp_repair_sends_to_queue(const struct tcp_sock *tp);
void tcp_repair_queue_sent(struct tcp_sock *tp);
/* A receive call in repair mode: the queue to read (linux/tcp.h's
 * TCP_RECV_QUEUE or TCP_SEND_QUEUE), or an error. */
int tcp_repair_recv_queue(const struct tcp_sock *tp, int flags);
ssize_t tcp_repair_peek_sndq(struct tcp_sock *tp, struct msghdr *m, size_t *copied);

/* ---- tcp_rack.c ---- */
void tcp_rack_advance(struct tcp_sock *tp, const struct tcp_seg *s, ns_time_t now, int sacked);
/* Mark lost what RACK says is lost; returns time until the next segment
 * would be (0: none pending). */
ns_time_t tcp_rack_detect_loss(struct tcp_sock *tp);
void tcp_rack_update_reo_wnd(struct tcp_sock *tp, int dsack);
/* Arm a tail loss probe after sending new data (RFC 8985 7.2). */
void tcp_schedule_loss_probe(struct tcp_sock *tp);
/* RFC 8985 7.4: the probe's fate. */
void tcp_tlp_process_ack(struct tcp_sock *tp, uint32_t ack, int dsack);

/* ---- tcp_connect.c ---- */
uint32_t tcp_isn(struct ns_stack *st, const struct ns_ip *laddr, uint16_t lport,
		 const struct ns_ip *raddr, uint16_t rport);
void tcp_listen_input(struct tcp_sock *lp, struct tcp_seg_in *seg);
void tcp_listen_destroy(struct tcp_sock *lp);
void tcp_req_free(struct ns_stack *st, struct tcp_req *req);
/* TCP_DEFER_ACCEPT: seconds to SYN-ACK timeouts (1 s, doubling, at most
 * TCP_RTO_MAX) that cover them, and back. */
uint8_t tcp_defer_secs_to_timeouts(int secs);
int tcp_defer_timeouts_to_secs(uint8_t n);
/* Initialise a new connection's negotiated state from the peer's SYN. */
void tcp_init_from_syn(struct tcp_sock *tp, const struct tcp_opts *o);
void tcp_init_transfer(struct tcp_sock *tp);

/* ---- tcp_socket.c ---- */
int tcp_socket_create(struct ns_stack *st, int domain, struct ns_socket **out);
struct tcp_sock *tcp_sock_alloc(struct ns_stack *st, int domain);
/* Connection over: state CLOSED, timers stopped, out of the tables; the
 * socket is freed if the user no longer holds it. err (>0) is reported. */
void tcp_done(struct tcp_sock *tp, int err);
/* TIME-WAIT as Linux keeps it: a block of its own (an orphan that holds
 * the 4-tuple and the port for 2 MSL and answers the peer) takes over the
 * connection, and tp, still the user's, is done (CLOSE; a port bind() did
 * not name is given back). Returns the block, or NULL without memory (tp
 * is then untouched). tp is in TIME-WAIT and held: by its user, or by
 * an accept queue. */
struct tcp_sock *tcp_tw_split(struct tcp_sock *tp);
void tcp_set_state(struct tcp_sock *tp, enum tcp_fsm_state s);
void tcp_free(struct tcp_sock *tp);
/* Readiness may have changed. */
void tcp_wake(struct tcp_sock *tp);
/* Grow the send buffer with the congestion window (Linux tcp_sndbuf_expand). */
void tcp_sndbuf_expand(struct tcp_sock *tp);
void tcp_rcv_space_adjust(struct tcp_sock *tp);

int tcp_init(struct ns_stack *st);
void tcp_fini(struct ns_stack *st);
void tcp_stack_flush(struct ns_stack *st);

/* ---- helpers ---- */
static inline uint32_t tcp_unsent(const struct tcp_sock *tp)
{
	/* Data bytes queued but never sent. */
	uint32_t end = tp->snd_buf_seq + tp->sndq.len;
	uint32_t from = SEQ_MAX(tp->snd_nxt, tp->snd_buf_seq);
	return SEQ_GT(end, from) ? end - from : 0;
}

/* A route's MTU as far as the IP header can describe a packet: IPv4's
 * total length counts the header, IPv6's payload length does not (Linux
 * announces 65476 on an IPv6 loopback, 65495 on IPv4's). */
static inline uint32_t tcp_mtu_cap(const struct tcp_sock *tp, uint32_t mtu)
{
	uint32_t max = tp->raddr.family == AF_INET6 ? 65535 + 40 : 65535;
	return mtu > max ? max : mtu;
}

/* Linux (tcp_rcv_state_process, SYN-RECV): a shutdown(SHUT_WR) made
 * before the connection was established (on the socket before connect,
 * or on the listener before listen) sends its FIN once it is. */
static inline void tcp_queue_early_fin(struct tcp_sock *tp)
{
	if (tp->shut_wr && !tp->fin_queued) {
		tcp_set_state(tp, TCPS_FIN_WAIT_1);
		tp->fin_queued = 1;
	}
}

/* TCP_NOTSENT_LOWAT in effect: the socket's, else the stack's. */
static inline uint32_t tcp_notsent_lowat(const struct tcp_sock *tp)
{
	return tp->notsent_lowat ? tp->notsent_lowat : tp->sk.stack->tcp->notsent_lowat;
}

/* Bytes of network header in front of TCP for the connection's family. */
/* The fixed IP header: what the MSS we announce leaves room for (Linux
 * announces the route's, extension headers or not). */
static inline uint32_t tcp_ip_base_len(const struct tcp_sock *tp)
{
	return tp->raddr.family == AF_INET6 ? 40 : IP4_HDR_LEN;
}

/* The IP header a segment carries, with the extension headers an IPv6
 * socket sends (IPV6_HOPOPTS, IPV6_DSTOPTS: Linux's icsk_ext_hdr_len). */
static inline uint32_t tcp_ip_hdr_len(const struct tcp_sock *tp)
{
	return tcp_ip_base_len(tp) + (tp->raddr.family == AF_INET6 && tp->sk.sticky6 ? tp->sk.sticky6->chain_len : 0);
}

/* RFC 9293 3.7.1: the send MSS to assume without an MSS option. */
static inline uint16_t tcp_default_mss(const struct tcp_sock *tp)
{
	return tp->raddr.family == AF_INET6 ? TCP_DEFAULT_MSS6 : TCP_DEFAULT_MSS;
}

static inline ns_time_t tcp_now(const struct tcp_sock *tp)
{
	return st_now(tp->sk.stack);
}

#endif
