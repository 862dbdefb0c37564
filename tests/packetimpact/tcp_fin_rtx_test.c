/* The retransmission schedule of a FIN the peer never acknowledges: the
 * tail loss probe (RFC 8985 7) applies to a FIN as to data, the RTO backs
 * off (RFC 6298 5.5), and an orphaned connection gives up after Linux's
 * tcp_orphan_retries (0, which means 8). The testbench stays silent. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct xmit {
	uint64_t ms; /* since the first */
	uint32_t seq;
	uint8_t flags;
	size_t len;
};

/* Record the DUT's next n segments on c (each within timeout_ms of the
 * previous one); returns how many came. */
static int record(struct pi_tcp_conn *c, struct xmit *x, int n, int timeout_ms)
{
	struct pi_pkt *p = malloc(sizeof(*p));
	uint64_t t0 = 0;
	int i;
	for (i = 0; i < n; i++) {
		if (pi_tcp_expect(c, NULL, NULL, 0, timeout_ms, p) < 0)
			break;
		if (!i)
			t0 = p->ts_ns;
		x[i].ms = (p->ts_ns - t0) / 1000000;
		x[i].seq = p->f.tcp.seq.v;
		x[i].flags = p->f.tcp.flags.v;
		x[i].len = p->f.payload.len;
		pi_log("segment %d at %llu ms: seq %u, %zu bytes%s", i, (unsigned long long)x[i].ms,
		       x[i].seq, x[i].len, (x[i].flags & PI_FIN) ? ", FIN" : "");
	}
	free(p);
	return i;
}

static unsigned srtt_ms; /* the DUT's, from TCP_INFO, at accepted() */

/* An accepted connection, SACK-permitted when sack; *rto_ms gets the DUT's
 * RTO (TCP_INFO) before anything is sent. */
static int accepted(struct pi_tcp_conn *c, int sack, unsigned *rto_ms)
{
	struct pi_tcp syn = { .sackok = { .has = sack ? PI_SET : PI_UNSET } };
	int fd = pi_accepted(AF_INET, c, &syn, NULL);
	struct dut_tcp_info ti;
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti));
	*rto_ms = ti.rto / 1000;
	srtt_ms = ti.rtt / 1000;
	pi_log("DUT rtt %u us, rto %u ms", ti.rtt, *rto_ms);
	PI_ASSERT(*rto_ms >= 150 && *rto_ms <= 1100, "DUT RTO %u ms after a fast handshake", *rto_ms);
	return fd;
}

/* Linux's probe timeout (RFC 8985 7.2): 2 * SRTT, plus 200 ms (the
 * minimum RTO) for one segment in flight or 2 ms for more, and never later
 * than the RTO. */
static double pto(unsigned rto, int segs)
{
	double p = 2.0 * srtt_ms + (segs == 1 ? 200 : 2);
	return p < rto ? p : rto;
}

/* gap between transmissions i-1 and i is about `want` ms (within 30%, and
 * 60 ms for the wheel's and the scheduler's granularity). */
static void gap_near(const struct xmit *x, int i, double want, const char *what)
{
	double g = (double)(x[i].ms - x[i - 1].ms);
	PI_ASSERT(g >= want * 0.7 - 60 && g <= want * 1.3 + 60,
		  "%s: transmission %d came %.0f ms after the previous one, want about %.0f ms", what, i,
		  g, want);
}

static void all_fin(const struct xmit *x, int n, uint32_t seq)
{
	for (int i = 0; i < n; i++)
		PI_ASSERT((x[i].flags & PI_FIN) && x[i].seq == seq && !x[i].len,
			  "transmission %d is not the FIN (seq %u, want %u; %zu bytes, flags %#x)", i,
			  x[i].seq, seq, x[i].len, x[i].flags);
}

/* With SACK, the FIN is the tail: a loss probe after PTO (2 * SRTT + the
 * peer's delayed-ACK allowance, capped at the RTO) retransmits it; the RTO
 * then fires one RTO after the probe, and backs off from there. */
PI_TEST(tcp_fin_rtx_loss_probe_then_backoff)
{
	struct pi_tcp_conn c;
	unsigned rto;
	int fd = accepted(&c, 1, &rto);
	uint32_t seq = c.rcv_nxt;
	DUT_OK(dut_close(fd));
	struct xmit x[6];
	int n = record(&c, x, 6, 5000);
	PI_ASSERT(n == 6, "only %d FIN transmissions", n);
	all_fin(x, n, seq);
	gap_near(x, 1, pto(rto, 1), "loss probe");
	gap_near(x, 2, rto, "first RTO after the probe");
	for (int i = 3; i < n; i++)
		gap_near(x, i, (double)(x[i - 1].ms - x[i - 2].ms) * 2, "backed-off RTO");
	pi_tcp_rst(&c);
}

/* Without SACK there is no loss probe: the FIN is retransmitted one RTO
 * after it was sent, then with the RTO doubling each time. */
PI_TEST(tcp_fin_rtx_backoff_without_sack)
{
	struct pi_tcp_conn c;
	unsigned rto;
	int fd = accepted(&c, 0, &rto);
	uint32_t seq = c.rcv_nxt;
	DUT_OK(dut_close(fd));
	struct xmit x[5];
	int n = record(&c, x, 5, 5000);
	PI_ASSERT(n == 5, "only %d FIN transmissions", n);
	all_fin(x, n, seq);
	gap_near(x, 1, rto, "first RTO");
	for (int i = 2; i < n; i++)
		gap_near(x, i, (double)(x[i - 1].ms - x[i - 2].ms) * 2, "backed-off RTO");
	pi_tcp_rst(&c);
}

/* Data then FIN, neither acknowledged: the loss probe retransmits the tail
 * (the FIN); the RTO then retransmits from the first unacknowledged byte,
 * the data with the FIN riding on it (Linux collapses the two into one
 * segment), and backs off. */
PI_TEST(tcp_fin_rtx_after_unacked_data)
{
	struct pi_tcp_conn c;
	unsigned rto;
	int fd = accepted(&c, 1, &rto);
	uint32_t seq = c.rcv_nxt;
	static const char m[] = "data before the FIN";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	DUT_OK(dut_close(fd));
	struct xmit x[6];
	int n = record(&c, x, 6, 5000);
	PI_ASSERT(n == 6, "only %d transmissions", n);
	PI_ASSERT(x[0].seq == seq && x[0].len == sizeof(m), "first segment: seq %u, %zu bytes", x[0].seq,
		  x[0].len);
	int i = 1;
	if (!(x[0].flags & PI_FIN)) {
		PI_ASSERT((x[1].flags & PI_FIN) && x[1].seq == seq + sizeof(m) && !x[1].len,
			  "second segment is not the FIN after the data");
		i = 2;
	}
	/* The probe: the FIN again (alone, or with the data). */
	PI_ASSERT(x[i].flags & PI_FIN, "the loss probe is not the FIN (seq %u, %zu bytes)", x[i].seq,
		  x[i].len);
	gap_near(x, i, pto(rto, i == 1 ? 1 : 2), "loss probe");
	/* The RTO: the data from its first byte, and the FIN. */
	PI_ASSERT(x[i + 1].seq == seq && x[i + 1].len == sizeof(m) && (x[i + 1].flags & PI_FIN),
		  "the RTO retransmission is seq %u, %zu bytes%s, want the data at %u with the FIN",
		  x[i + 1].seq, x[i + 1].len, (x[i + 1].flags & PI_FIN) ? " with FIN" : "", seq);
	gap_near(x, i + 1, rto, "first RTO after the probe");
	gap_near(x, i + 2, (double)(x[i + 1].ms - x[i].ms) * 2, "backed-off RTO");
	pi_tcp_rst(&c);
}

/*
 * An orphaned connection whose FIN is never acknowledged gives up after
 * tcp_orphan_retries RTO retransmissions (Linux's default 0 means 8: with
 * a 200 ms RTO, about 102 s), silently: no RST; a segment after that meets
 * no connection and is answered with RST. A long test (the runner gives
 * *_long tests more time).
 */
PI_TEST(tcp_fin_orphan_retries_long)
{
	struct pi_tcp_conn c;
	unsigned rto;
	int fd = accepted(&c, 0, &rto);
	PI_ASSERT(rto <= 300, "RTO %u ms: this test needs the minimum RTO", rto);
	uint32_t seq = c.rcv_nxt;
	DUT_OK(dut_close(fd));
	uint64_t t0 = pi_now_ms();
	struct xmit x[12];
	/* 1 + 8 transmissions take about 51 s; then silence. */
	int n = record(&c, x, 12, 40000);
	uint64_t quiet = pi_now_ms();
	PI_ASSERT(n == 9, "%d FIN transmissions, want 9 (the FIN and 8 retries)", n);
	all_fin(x, n, seq);
	for (int i = 2; i < n; i++)
		gap_near(x, i, (double)(x[i - 1].ms - x[i - 2].ms) * 2, "backed-off RTO");
	/* Still there before the last RTO runs out (at about twice the last
	 * gap): a duplicate ACK gets no answer. */
	uint64_t last_gap = x[n - 1].ms - x[n - 2].ms;
	uint64_t end = t0 + x[n - 1].ms + 2 * last_gap;
	pi_log("silent since %llu ms; expect the give-up at about %llu ms",
	       (unsigned long long)(quiet - t0), (unsigned long long)(end - t0));
	struct pi_tcp dup = { .flags = PI_U8(PI_ACK), .ack = PI_U32(seq) };
	uint64_t now = pi_now_ms();
	if (end > now + 8000)
		pi_sleep_ms((int)(end - now - 8000));
	pi_tcp_send(&c, &dup, NULL, 0);
	struct pi_tcp rst = { .flags = PI_U8(PI_RST), .flags_mask = PI_U8(PI_RST) };
	pi_tcp_expect_none(&c, &rst, 500, "RST for a duplicate ACK before the give-up");
	now = pi_now_ms();
	if (end + 3000 > now)
		pi_sleep_ms((int)(end + 3000 - now));
	pi_tcp_expect_none(&c, NULL, 0, "a segment (RST or FIN) when giving up");
	pi_tcp_send(&c, &dup, NULL, 0);
	pi_tcp_expect_ok(&c, &rst, NULL, 0, 1000, NULL, "RST for an ACK after the give-up");
}

/* TCP_USER_TIMEOUT governs an orphan too: the FIN's retransmissions stop
 * at the user timeout, silently. */
PI_TEST(tcp_fin_orphan_user_timeout)
{
	struct pi_tcp_conn c;
	unsigned rto;
	int fd = accepted(&c, 0, &rto);
	DUT_OK(dut_setsockopt_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 2000));
	uint32_t seq = c.rcv_nxt;
	DUT_OK(dut_close(fd));
	struct xmit x[8];
	int n = record(&c, x, 8, 2500);
	pi_log("%d FIN transmissions", n);
	PI_ASSERT(n >= 3 && n <= 5, "%d FIN transmissions within a 2 s user timeout", n);
	all_fin(x, n, seq);
	struct pi_tcp dup = { .flags = PI_U8(PI_ACK), .ack = PI_U32(seq) };
	pi_tcp_send(&c, &dup, NULL, 0);
	struct pi_tcp rst = { .flags = PI_U8(PI_RST), .flags_mask = PI_U8(PI_RST) };
	pi_tcp_expect_ok(&c, &rst, NULL, 0, 1000, NULL, "RST for an ACK after the user timeout");
}
