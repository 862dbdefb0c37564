/* TCP loss recovery: RACK-TLP (RFC 8985), SACK (RFC 2018/6675), and the
 * congestion state the DUT reports in TCP_INFO. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define SEG 1000
#define NSEG 5

/* TCP_INFO tcpi_ca_state values (Linux's names, stable ABI). */
enum { CA_OPEN = 0, CA_DISORDER = 1, CA_CWR = 2, CA_RECOVERY = 3, CA_LOSS = 4 };

struct flight {
	struct pi_tcp_conn c;
	int fd;
	uint32_t seq0; /* first data byte */
	uint8_t data[NSEG * SEG];
};

/* A connection with SACK permitted and MSS SEG; the DUT sends NSEG full
 * segments at once (its initial window is larger) and the testbench sees
 * them all. */
static void send_flight(struct flight *f)
{
	struct pi_tcp syn = { .mss = PI_U16(SEG), .sackok = PI_U8(1) };
	f->fd = pi_accepted(AF_INET, &f->c, &syn, NULL);
	PI_ASSERT(f->c.dut_syn.sackok.has, "the DUT did not permit SACK");
	DUT_OK(dut_setsockopt_int(f->fd, IPPROTO_TCP, TCP_NODELAY, 1));
	pi_pattern(f->data, sizeof(f->data), 8);
	f->seq0 = f->c.rcv_nxt;
	DUT_OK(dut_send(f->fd, f->data, sizeof(f->data), 0));
	for (int i = 0; i < NSEG; i++)
		pi_tcp_expect_data(&f->c, f->data + i * SEG, SEG, 2000, NULL);
}

static uint32_t seg_seq(const struct flight *f, int i)
{
	return f->seq0 + (uint32_t)(i * SEG);
}

/* Expect the retransmission of segment i (frames of other segments on
 * the way are skipped). */
static struct pi_pkt *expect_retransmit(struct flight *f, int i, int timeout_ms, const char *what)
{
	struct pi_pkt *p = malloc(sizeof(*p));
	struct pi_tcp t = { .seq = PI_U32(seg_seq(f, i)), .flags = PI_U8(PI_ACK),
			    .flags_mask = PI_U8(PI_ACK | PI_SYN | PI_RST) };
	pi_tcp_expect_ok(&f->c, &t, f->data + i * SEG, SEG, timeout_ms, p, what);
	return p;
}

/* ACK up to segment `upto` (exclusive) with SACK blocks [from, to). */
static void ack_sack(struct flight *f, int upto, int nblk, const int (*blk)[2])
{
	struct pi_tcp t = { .ack = PI_U32(seg_seq(f, upto)) };
	if (nblk) {
		t.sack.has = PI_SET;
		t.sack.n = (uint8_t)nblk;
		for (int i = 0; i < nblk; i++) {
			t.sack.blk[i][0] = seg_seq(f, blk[i][0]);
			t.sack.blk[i][1] = seg_seq(f, blk[i][1]);
		}
	}
	pi_tcp_send(&f->c, &t, NULL, 0);
}

static void expect_ca_state(struct flight *f, int want, const char *when)
{
	struct dut_tcp_info ti;
	DUT_OK(dut_getsockopt_tcp_info(f->fd, &ti));
	PI_ASSERT(ti.ca_state == want, "congestion state %d %s, want %d", ti.ca_state, when, want);
}

static void finish(struct flight *f)
{
	ack_sack(f, NSEG, 0, NULL);
	pi_sleep_ms(50);
	pi_tcp_drain(&f->c);
	pi_tcp_expect_none(&f->c, NULL, 400, "segment after everything was acknowledged");
}

/* RFC 8985 7: when the whole flight is lost, the tail loss probe
 * retransmits the last segment after the probe timeout; with no answer the
 * RTO then retransmits the first. */
PI_TEST(tcp_rack_tlp_whole_flight_lost)
{
	struct flight *f = calloc(1, sizeof(*f));
	send_flight(f);
	struct pi_pkt *p = expect_retransmit(f, NSEG - 1, 1000, "tail loss probe (last segment)");
	uint64_t tlp = p->ts_ns;
	free(p);
	p = expect_retransmit(f, 0, 3000, "retransmission of the first segment after the RTO");
	pi_log("RTO retransmission %.0f ms after the probe", (double)(p->ts_ns - tlp) / 1e6);
	free(p);
	expect_ca_state(f, CA_LOSS, "after the RTO");
	finish(f);
	free(f);
}

/* RFC 8985 7: tail loss: the first segments are acknowledged, the last
 * ones not; the probe retransmits the last segment, and its SACK reveals
 * the one before as lost, which RACK retransmits in fast recovery. */
PI_TEST(tcp_rack_tlp_tail_loss)
{
	struct flight *f = calloc(1, sizeof(*f));
	send_flight(f);
	ack_sack(f, NSEG - 2, 0, NULL);
	free(expect_retransmit(f, NSEG - 1, 1000, "tail loss probe (last segment)"));
	static const int blk[1][2] = { { NSEG - 1, NSEG } };
	ack_sack(f, NSEG - 2, 1, blk);
	free(expect_retransmit(f, NSEG - 2, 1000, "retransmission of the segment the probe's SACK showed lost"));
	expect_ca_state(f, CA_RECOVERY, "after the RACK retransmission");
	finish(f);
	free(f);
}

/* SACK for everything but the first segment: the first is lost (RFC 6675
 * DupThresh, RFC 8985 6.2: reordering window 0 then) and is retransmitted
 * in fast recovery, not after an RTO. */
PI_TEST(tcp_rack_tlp_with_sack)
{
	struct flight *f = calloc(1, sizeof(*f));
	send_flight(f);
	static const int blk[1][2] = { { 1, NSEG } };
	ack_sack(f, 0, 1, blk);
	free(expect_retransmit(f, 0, 1000, "fast retransmission of the first segment"));
	expect_ca_state(f, CA_RECOVERY, "after the fast retransmission");
	finish(f);
	free(f);
}

/* No reordering seen yet: a single SACKed segment beyond a hole is enough
 * for RACK to mark the hole lost after its short reordering window
 * (RFC 8985 6.2) and retransmit it in fast recovery. */
PI_TEST(tcp_rack_no_reordering)
{
	struct flight *f = calloc(1, sizeof(*f));
	send_flight(f);
	static const int blk[1][2] = { { 2, 3 } };
	ack_sack(f, 1, 1, blk);
	free(expect_retransmit(f, 1, 1000, "RACK retransmission of the hole"));
	expect_ca_state(f, CA_RECOVERY, "after the RACK retransmission");
	finish(f);
	free(f);
}

/* TCP_INFO after an RTO: loss state, backed-off timer, one-segment
 * window, counted retransmissions; all cleared once the data is
 * acknowledged. */
PI_TEST(tcp_info_after_rto)
{
	struct pi_tcp_conn c;
	int fd = pi_accepted(AF_INET, &c, NULL, NULL);
	struct dut_tcp_info ti;
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti));
	PI_ASSERT(ti.state == TCP_ESTABLISHED && ti.ca_state == CA_OPEN && ti.retransmits == 0,
		  "fresh connection: state %d ca_state %d retransmits %d", ti.state, ti.ca_state,
		  ti.retransmits);
	unsigned rto0 = ti.rto;
	static const char m[] = "lost";
	DUT_OK(dut_send(fd, m, sizeof(m), 0));
	uint32_t seq = c.rcv_nxt;
	struct pi_tcp want = { .seq = PI_U32(seq), .flags = PI_U8(PI_ACK),
			       .flags_mask = PI_U8(PI_ACK | PI_SYN | PI_RST) };
	for (int i = 0; i < 3; i++)
		pi_tcp_expect_ok(&c, &want, m, sizeof(m), 3000, NULL,
				 i ? "retransmission" : "the data");
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti));
	pi_log("after the RTO: ca_state %d retransmits %d backoff %d rto %u (was %u) cwnd %u "
	       "total_retrans %u unacked %u lost %u", ti.ca_state, ti.retransmits, ti.backoff, ti.rto,
	       rto0, ti.snd_cwnd, ti.total_retrans, ti.unacked, ti.lost);
	PI_ASSERT(ti.ca_state == CA_LOSS, "ca_state %d after an RTO, want %d (loss)", ti.ca_state, CA_LOSS);
	PI_ASSERT(ti.retransmits >= 1 && ti.backoff >= 1, "retransmits %d backoff %d after an RTO",
		  ti.retransmits, ti.backoff);
	PI_ASSERT(ti.snd_cwnd == 1, "cwnd %u after an RTO, want 1 (RFC 5681 3.1)", ti.snd_cwnd);
	PI_ASSERT(ti.rto > rto0, "rto %u not backed off from %u", ti.rto, rto0);
	PI_ASSERT(ti.total_retrans >= 2 && ti.unacked == 1, "total_retrans %u unacked %u",
		  ti.total_retrans, ti.unacked);
	pi_tcp_send(&c, NULL, NULL, 0);
	pi_sleep_ms(50);
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti));
	PI_ASSERT(ti.retransmits == 0 && ti.unacked == 0, "after the ACK: retransmits %d unacked %u",
		  ti.retransmits, ti.unacked);
	/* Recovery is over once data sent after it is acknowledged. */
	static const char m2[] = "after recovery";
	DUT_OK(dut_send(fd, m2, sizeof(m2), 0));
	pi_tcp_expect_data(&c, m2, sizeof(m2), 2000, NULL);
	pi_tcp_send(&c, NULL, NULL, 0);
	pi_sleep_ms(50);
	DUT_OK(dut_getsockopt_tcp_info(fd, &ti));
	PI_ASSERT(ti.ca_state == CA_OPEN && ti.backoff == 0, "after new data was acknowledged: "
		  "ca_state %d backoff %d, want open, 0", ti.ca_state, ti.backoff);
}
