/*
 * packetimpact testbench: the library a conformance test is written with.
 *
 * A test runs in its own process, in a network namespace that holds the
 * testbench end of a veth pair. That end has no IP address, so the testbench
 * kernel never answers anything: every frame the device under test (DUT) sees
 * is one the test built, and every frame the DUT sends is sniffed (libpcap)
 * and matched by the test. A capture thread answers ARP and NDP for the
 * testbench's addresses, so the DUT can resolve us at any moment.
 *
 * Frames are described by struct pi_frame: one struct per layer whose fields
 * are optional values (pi_u8/pi_u16/pi_u32: `has` + `v`). A field left unset
 * takes a correct default when a frame is sent (lengths, checksums,
 * addresses, ports, sequence numbers) and means "don't care" when a received
 * frame is matched against a wanted one. TCP options additionally take
 * PI_ABSENT: "must not be present".
 *
 * The DUT is driven through the DUT agent (dut_agent.c): socket calls sent
 * as JSON lines over a pipe; see the dut_* calls at the end.
 *
 * Failures: pi_fail() prints the reason, records it for the runner and ends
 * the test process (the DUT agent is killed, the pcap flushed). Tests assert
 * with PI_ASSERT and the DUT_OK() wrapper.
 */
#ifndef PI_H
#define PI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ---- optional values ---- */

enum { PI_UNSET = 0, PI_SET = 1, PI_ABSENT = 2 };

typedef struct { uint8_t has; uint8_t v; } pi_u8;
typedef struct { uint8_t has; uint16_t v; } pi_u16;
typedef struct { uint8_t has; uint32_t v; } pi_u32;
typedef struct { uint8_t has; uint8_t a[6]; } pi_mac;
typedef struct { uint8_t has; uint8_t a[16]; } pi_ip6a;

#define PI_U8(x) ((pi_u8){ .has = PI_SET, .v = (uint8_t)(x) })
#define PI_U16(x) ((pi_u16){ .has = PI_SET, .v = (uint16_t)(x) })
#define PI_U32(x) ((pi_u32){ .has = PI_SET, .v = (uint32_t)(x) })
/* IPv4 addresses are pi_u32 in host order. */
#define PI_IP4(a, b, c, d) PI_U32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* ---- layers ---- */

struct pi_eth {
	pi_mac src, dst;
	pi_u16 type;
};

enum { PI_IP_MF = 1, PI_IP_DF = 2 }; /* pi_ipv4.flags */

struct pi_ipv4 {
	pi_u8 ihl; /* in 32-bit words */
	pi_u8 tos;
	pi_u16 tot_len;
	pi_u16 id;
	pi_u8 flags;	 /* PI_IP_DF | PI_IP_MF */
	pi_u16 frag_off; /* in bytes (a multiple of 8) */
	pi_u8 ttl;
	pi_u8 proto;
	pi_u16 csum;
	pi_u32 src, dst;
};

enum { PI_EXT_HBH = 0, PI_EXT_DST = 60, PI_EXT_ROUTING = 43, PI_EXT_FRAG = 44 };
#define PI_MAX_EXT 4
#define PI_MAX_EXT_OPTS 64

/* An IPv6 extension header. HBH and DST carry `opts` (TLVs, padded with
 * PadN to a multiple of 8 when built); FRAG carries off/m/id. */
struct pi_ip6_ext {
	uint8_t type; /* PI_EXT_* */
	pi_u8 nxt;    /* next header; default: the following header */
	uint8_t opts[PI_MAX_EXT_OPTS];
	uint8_t optlen;
	pi_u16 frag_off; /* in bytes */
	pi_u8 frag_m;
	pi_u32 frag_id;
};

struct pi_ipv6 {
	pi_u8 tclass;
	pi_u32 flow;
	pi_u16 plen;
	pi_u8 nxt; /* first next-header (after the fixed header) */
	pi_u8 hlim;
	pi_ip6a src, dst;
	struct pi_ip6_ext ext[PI_MAX_EXT];
	int next; /* number of extension headers; for matching, -1: don't care */
};

/* TCP flags (pi_tcp.flags). */
enum {
	PI_FIN = 0x01, PI_SYN = 0x02, PI_RST = 0x04, PI_PSH = 0x08,
	PI_ACK = 0x10, PI_URG = 0x20, PI_ECE = 0x40, PI_CWR = 0x80,
};

/* Matching a timestamp option compares presence, and val / ecr only when
 * their bit is in `cmp`. Building uses both values. */
enum { PI_TS_VAL = 1, PI_TS_ECR = 2 };
struct pi_tcp_ts {
	uint8_t has;
	uint8_t cmp;
	uint32_t val, ecr;
};

struct pi_tcp_sack {
	uint8_t has;
	uint8_t n;
	uint32_t blk[4][2]; /* left, right */
};

struct pi_tcp {
	pi_u16 sport, dport;
	pi_u32 seq, ack;
	pi_u8 doff; /* data offset in 32-bit words */
	pi_u8 flags;
	pi_u8 flags_mask; /* matching: compare only these flag bits (default all) */
	pi_u16 win;
	pi_u16 csum;
	pi_u16 urg;
	/* options */
	pi_u16 mss;
	pi_u8 ws;
	pi_u8 sackok; /* has: PI_SET present, PI_ABSENT must be absent */
	struct pi_tcp_ts ts;
	struct pi_tcp_sack sack;
	/* Raw option bytes appended when building (unknown options); when
	 * parsing, the whole option area as received. */
	uint8_t rawopt[40];
	uint8_t rawoptlen;
};

struct pi_udp {
	pi_u16 sport, dport, len, csum;
};

/* ICMPv4 and ICMPv6. `rest` is the 4 bytes after the checksum (echo id and
 * sequence, the parameter-problem pointer, the MTU...). */
struct pi_icmp {
	pi_u8 type, code;
	pi_u16 csum;
	pi_u32 rest;
};

struct pi_bytes {
	uint8_t has;
	const uint8_t *p;
	size_t len;
};

enum { PI_L3_NONE = 0, PI_L3_IPV4, PI_L3_IPV6, PI_L3_ARP, PI_L3_OTHER };
enum { PI_L4_NONE = 0, PI_L4_TCP, PI_L4_UDP, PI_L4_ICMP4, PI_L4_ICMP6, PI_L4_OTHER };

struct pi_frame {
	struct pi_eth eth;
	int l3; /* PI_L3_*; building: NONE means IPv4 unless l4 is ICMP6 */
	struct pi_ipv4 ip4;
	struct pi_ipv6 ip6;
	int l4; /* PI_L4_*; matching: NONE means don't care */
	struct pi_tcp tcp;
	struct pi_udp udp;
	struct pi_icmp icmp;
	/* Bytes after the last header (for PI_L4_OTHER: after the IP headers). */
	struct pi_bytes payload;
};

#define PI_MAX_FRAME 16384

/* A received frame: bytes, parsed view (pointing into bytes), arrival time. */
struct pi_pkt {
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	size_t len;
	uint8_t bytes[PI_MAX_FRAME];
	struct pi_frame f;
};

/* Build `f` into buf; unset fields take their defaults (addresses must have
 * been filled in, see pi_frame_defaults()). Returns the length or -1. */
int pi_frame_build(const struct pi_frame *f, uint8_t *buf, size_t cap);
/* Parse a frame; every present field gets has=PI_SET. 0, or -1 if the
 * frame is too short for its Ethernet header. Unparseable upper layers are
 * left as payload. */
int pi_frame_parse(const uint8_t *b, size_t len, struct pi_frame *out);
/* 1 when every set field of want equals got's. With diff non-NULL, writes
 * one "field: want X, got Y" per mismatch. */
int pi_frame_match(const struct pi_frame *want, const struct pi_frame *got, char *diff,
		   size_t difflen);
/* One-line summary in the manner of tcpdump. */
void pi_frame_fmt(const struct pi_frame *f, char *buf, size_t len);
void pi_tcp_flags_fmt(uint8_t flags, char *buf, size_t len);
/* Bytes of TCP sequence space a segment takes: payload + SYN + FIN. */
uint32_t pi_tcp_seglen(const struct pi_frame *f);

/* The Internet checksum of buf, folded, not inverted, plus `sum`. */
uint32_t pi_csum_add(uint32_t sum, const void *buf, size_t len);
uint16_t pi_csum_fold(uint32_t sum);

/* ---- environment (filled by the testbench main from its options) ---- */

struct pi_env {
	const char *ifname;
	const char *dut_kind;
	uint8_t local_mac[6], remote_mac[6];
	uint32_t local_ip4, remote_ip4; /* host order */
	uint8_t local_ip6[16], remote_ip6[16];
	int verbose;
};
extern struct pi_env pi_env;

/* ---- sending and expecting frames ---- */

/* Fill unset Ethernet and IP addresses (local -> remote) and the L3 type. */
void pi_frame_defaults(struct pi_frame *f);
/* Build (with defaults) and inject. Fails the test on error. */
void pi_send(const struct pi_frame *f);
void pi_send_raw(const uint8_t *b, size_t len);

/*
 * Wait up to timeout_ms for a received frame matching `want`. Frames are
 * taken in arrival order; a frame that matches `flow` but not `want` is
 * consumed (and shown in the diff on failure); frames outside `flow` stay
 * queued for later expectations. flow NULL means `want`.
 * Returns 0 and fills *got (may be NULL), or -1 on timeout.
 */
int pi_expect(const struct pi_frame *flow, const struct pi_frame *want, int timeout_ms,
	      struct pi_pkt *got);
/* Like pi_expect, but fails the test (with the diff) on timeout. */
void pi_expect_ok(const struct pi_frame *flow, const struct pi_frame *want, int timeout_ms,
		  struct pi_pkt *got, const char *what);
/* Fails the test if a frame matching `want` arrives within timeout_ms. */
void pi_expect_none(const struct pi_frame *want, int timeout_ms, const char *what);
/* Drop every queued frame matching `flow` (NULL: every frame). */
void pi_drain(const struct pi_frame *flow);
/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t pi_now_ms(void);
void pi_sleep_ms(int ms);
/* Log a line to the test log (stderr). */
void pi_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- failing ---- */

void pi_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#define PI_ASSERT(cond, ...)                 \
	do {                                  \
		if (!(cond))                  \
			pi_fail(__VA_ARGS__); \
	} while (0)

/* ---- connections ---- */

/*
 * A TCP connection seen from the testbench: addresses, ports and the
 * sequence space. snd_nxt is the next sequence number the testbench sends;
 * rcv_nxt the next one it expects from the DUT (what it acknowledges).
 * Segments sent without an explicit seq advance snd_nxt; matched segments
 * from the DUT advance rcv_nxt.
 */
struct pi_tcp_conn {
	int family; /* AF_INET or AF_INET6 */
	uint16_t lport, rport;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t iss, irs;
	int synced; /* rcv_nxt valid */
	uint16_t win; /* window the testbench advertises (default 32768) */
	/* what the DUT offered in its SYN / SYN-ACK */
	struct pi_tcp dut_syn;
	uint16_t dut_win;
	/* testbench timestamps: when ts_on, every segment carries TSval
	 * ts_val (incremented per segment unless told) and TSecr ts_recent */
	int ts_on;
	uint32_t ts_val, ts_recent;
};

/* Initialise: lport 0 picks a random ephemeral port. */
void pi_tcp_conn_init(struct pi_tcp_conn *c, int family, uint16_t lport, uint16_t rport);
/* A frame describing this connection (addresses, ports) into f. */
void pi_tcp_conn_flow(const struct pi_tcp_conn *c, struct pi_frame *f);
/* Send a segment: fields of `t` override the defaults (ports, seq=snd_nxt,
 * ack=rcv_nxt, flags ACK, window c->win, timestamps when on). */
void pi_tcp_send(struct pi_tcp_conn *c, const struct pi_tcp *t, const void *data, size_t len);
/* Same, with IP-layer overrides (may be NULL). */
void pi_tcp_send_ip(struct pi_tcp_conn *c, const struct pi_frame *ipover, const struct pi_tcp *t,
		    const void *data, size_t len);
/* Expect a segment on this connection matching `t` (and data, if non-NULL).
 * 0 and *got filled, or -1 after timeout. */
int pi_tcp_expect(struct pi_tcp_conn *c, const struct pi_tcp *t, const void *data, size_t len,
		  int timeout_ms, struct pi_pkt *got);
/* pi_tcp_expect that fails the test on timeout, naming `what`. */
void pi_tcp_expect_ok(struct pi_tcp_conn *c, const struct pi_tcp *t, const void *data,
		      size_t len, int timeout_ms, struct pi_pkt *got, const char *what);
/* Expect `len` bytes of data at rcv_nxt (ACK set, any PSH), fail otherwise. */
void pi_tcp_expect_data(struct pi_tcp_conn *c, const void *data, size_t len, int timeout_ms,
			struct pi_pkt *got);
/* Fail if a segment matching `t` (NULL: any) arrives on this connection. */
void pi_tcp_expect_none(struct pi_tcp_conn *c, const struct pi_tcp *t, int timeout_ms,
			const char *what);
void pi_tcp_drain(struct pi_tcp_conn *c);
/* Testbench as client: SYN (with `syn` overrides, e.g. options), expect
 * SYN-ACK, send ACK. The DUT must be listening on c->rport. */
void pi_tcp_handshake_client(struct pi_tcp_conn *c, const struct pi_tcp *syn);
/* Testbench as server: expect the DUT's SYN (the DUT was told to connect to
 * c->lport), send SYN-ACK with `synack` overrides, expect the ACK. */
void pi_tcp_handshake_server(struct pi_tcp_conn *c, const struct pi_tcp *synack);
/* Testbench as server, first half: expect the DUT's SYN and learn irs and
 * the DUT's port. */
void pi_tcp_accept_syn(struct pi_tcp_conn *c, int timeout_ms);
/* Send RST at snd_nxt (tidy end of a test connection). */
void pi_tcp_rst(struct pi_tcp_conn *c);

struct pi_udp_conn {
	int family;
	uint16_t lport, rport;
};
void pi_udp_conn_init(struct pi_udp_conn *c, int family, uint16_t lport, uint16_t rport);
void pi_udp_conn_flow(const struct pi_udp_conn *c, struct pi_frame *f);
void pi_udp_send(struct pi_udp_conn *c, const struct pi_frame *over, const void *data,
		 size_t len);
int pi_udp_expect(struct pi_udp_conn *c, const void *data, size_t len, int timeout_ms,
		  struct pi_pkt *got);
void pi_udp_expect_none(struct pi_udp_conn *c, int timeout_ms, const char *what);

/* ---- the DUT ---- */

/* Every call returns the DUT's return value; dut_errno holds its errno. */
extern int dut_errno;

/* Call `expr` (a dut_* call); fail the test if it returns < 0. */
#define DUT_OK(expr)                                                              \
	({                                                                        \
		long dut_ok_r_ = (long)(expr);                                    \
		if (dut_ok_r_ < 0)                                                \
			pi_fail("DUT %s failed: %s", #expr, dut_strerror(dut_errno)); \
		dut_ok_r_;                                                        \
	})

const char *dut_strerror(int e);
/* Start the agent: argv is the command line. Waits for its ready line. */
void dut_start(char **argv);
void dut_stop(void);

/* sockaddr helpers: the testbench's / the DUT's address with a port. */
socklen_t pi_sockaddr_local(int family, uint16_t port, struct sockaddr_storage *ss);
socklen_t pi_sockaddr_remote(int family, uint16_t port, struct sockaddr_storage *ss);
socklen_t pi_sockaddr_any(int family, uint16_t port, struct sockaddr_storage *ss);

int dut_socket(int domain, int type, int proto);
int dut_bind(int fd, const struct sockaddr *sa, socklen_t len);
int dut_listen(int fd, int backlog);
/* addr may be NULL. */
int dut_accept(int fd, struct sockaddr_storage *addr);
int dut_connect(int fd, const struct sockaddr *sa, socklen_t len);
int dut_close(int fd);
int dut_shutdown(int fd, int how);
int dut_getsockname(int fd, struct sockaddr_storage *ss);
int dut_getpeername(int fd, struct sockaddr_storage *ss);
int dut_setsockopt_int(int fd, int level, int name, int val);
int dut_getsockopt_int(int fd, int level, int name, int *val);
int dut_setsockopt_linger(int fd, int onoff, int secs);
int dut_setsockopt_timeval(int fd, int name, long sec, long usec);
/* TCP_INFO: the fields a test needs, by name. */
struct dut_tcp_info {
	int state, ca_state, retransmits, probes, backoff, options;
	unsigned rto, ato, snd_mss, rcv_mss, unacked, sacked, lost, retrans, fackets;
	unsigned rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering, rcv_space;
	unsigned total_retrans;
};
int dut_getsockopt_tcp_info(int fd, struct dut_tcp_info *ti);
int dut_set_nonblocking(int fd, int on);
/* poll one fd; returns the DUT's poll result, revents in *revents. */
int dut_poll(int fd, short events, int timeout_ms, short *revents);
long dut_send(int fd, const void *buf, size_t len, int flags);
long dut_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		socklen_t tolen);
/* Received bytes are copied to buf (up to len). */
long dut_recv(int fd, void *buf, size_t len, int flags);
long dut_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr_storage *from);

/*
 * Asynchronous calls, for calls that block in the DUT while the test sends
 * frames: dut_begin_*() sends the request and returns at once; dut_end()
 * waits up to timeout_ms for the reply and returns its value (the data of a
 * recv goes to buf/len given to dut_end). One call in flight at a time.
 * dut_end() returns -1000 with dut_errno 0 when it timed out (the call is
 * still in flight then).
 */
void dut_begin_connect(int fd, const struct sockaddr *sa, socklen_t len);
void dut_begin_accept(int fd);
void dut_begin_recv(int fd, size_t len, int flags);
void dut_begin_send(int fd, const void *buf, size_t len, int flags);
void dut_begin_close(int fd);
#define DUT_TIMEDOUT (-1000)
long dut_end(int timeout_ms, void *buf, size_t len);

/* The agent's own socket calls, for helpers: a TCP listener on `port`
 * (0: ephemeral) bound to the DUT's address; returns fd, *port set. */
int dut_tcp_listener(int family, uint16_t *port, int backlog);
/* A UDP socket bound to the DUT's address (any when any != 0). */
int dut_udp_bound(int family, uint16_t *port, int any);

/* ---- tests ---- */

struct pi_test {
	const char *name;
	void (*fn)(void);
	struct pi_test *next;
};
void pi_test_register(struct pi_test *t);

#define PI_TEST(tname)                                                       \
	static void pi_test_fn_##tname(void);                                \
	static struct pi_test pi_test_##tname = { #tname, pi_test_fn_##tname, 0 }; \
	__attribute__((constructor)) static void pi_test_reg_##tname(void)   \
	{                                                                    \
		pi_test_register(&pi_test_##tname);                          \
	}                                                                    \
	static void pi_test_fn_##tname(void)

#endif
