/*
 * Shared pieces of the unit tests: the suite list, the way tests are added
 * (one TCase per test, so every result line names its test), and the
 * fixture: a stack on a fake clock with one channel interface.
 *
 * The fixture (fx_*):
 *   - a timer wheel the test owns and advances (fx_advance), starting at
 *     FX_T0, passed to the stack as cfg.wheel;
 *   - the stack with its loopback interface (nic 1) and a channel link
 *     (nic 2, "ch0", MAC B_MAC_STACK, MTU 1500, needs ARP) addressed
 *     10.0.0.2/24; the peer is the test itself at 10.0.0.1 (B_MAC_PEER);
 *   - every frame in and out is written to a pcap file, kept only when the
 *     test fails (build/test-logs/unit/<suite>.<test>.pcap);
 *   - teardown destroys the stack and asserts that no packet buffer or view
 *     is left (pool stats back to zero): every test checks leak-freedom.
 */
#ifndef TEST_UNIT_H
#define TEST_UNIT_H

#include <check.h>
#include <stdio.h>

#include "builders.h"
#include "stack_priv.h"

/* ck_assert for hot loops: Check records every passing assertion (a write
 * to its pipe in fork mode), which makes tight loops slow. */
#define QUICK_ASSERT(cond, ...)                      \
	do {                                         \
		if (!(cond))                         \
			ck_abort_msg(__VA_ARGS__);   \
	} while (0)

/* Every suite is made by unit_suite(name) so the runner knows its name. */
Suite *unit_suite(const char *name);
Suite *wire_suite(void);
Suite *pkt_suite(void);
Suite *timer_suite(void);
Suite *loop_suite(void);
Suite *eth_suite(void);
Suite *arp_suite(void);
Suite *link_suite(void);
Suite *route_suite(void);
Suite *ipv4_suite(void);
Suite *reassembly_suite(void);
Suite *icmp_suite(void);
Suite *udp_suite(void);
Suite *igmp_suite(void);
Suite *ipv6_suite(void);
Suite *ndp_suite(void);
Suite *mld_suite(void);
Suite *frag6_suite(void);
Suite *tcp_states_suite(void);
Suite *tcp_rst_suite(void);
Suite *tcp_data_suite(void);
Suite *tcp_timers_suite(void);
Suite *tcp_loss_suite(void);
Suite *tcp_cc_suite(void);
Suite *tcp_listen_suite(void);
Suite *tcp_options_suite(void);
Suite *tcp_sockopts_suite(void);
Suite *tcp_close_suite(void);
Suite *tcp_info_suite(void);
Suite *bpf_suite(void);
Suite *raw_suite(void);

/* Add test `fn` to suite `s` as its own TCase named after it; `fx` says
 * whether it runs inside the stack fixture (else only the leak check). */
void unit_add(Suite *s, const char *name, const TTest *fn, int fx);
#define ADD_FX(s, fn) unit_add((s), #fn, fn, 1)
#define ADD_PLAIN(s, fn) unit_add((s), #fn, fn, 0)

#define FX_T0 (1000 * NS_SEC)

/* Checked fixture functions (used by unit_add). */
void fx_setup(void);
void fx_teardown(void);
void fx_plain_teardown(void);

struct fx {
	struct ns_wheel wheel;
	struct ns_stack *st;
	struct ns_link *ch;	/* the channel (inside the pcap sniffer) */
	int nic;		/* the channel's interface id */
	struct ns_pcap_sink *sink;
};
extern struct fx F;

/* Hand a frame to the stack, as if the wire delivered it. Consumes p. */
void fx_inject(struct pkt *p);
/* The oldest frame the stack sent, parsed into *f (may be NULL); the caller
 * frees it. NULL when nothing was sent. */
struct pkt *fx_take(struct b_frame *f);
/* The next frame the stack sent (parsed into *f); fails the test if none. */
#define FX_EXPECT(f)                                                           \
	({                                                                     \
		struct pkt *_p = fx_take(f);                                   \
		ck_assert_msg(_p != NULL, "expected the stack to send a frame"); \
		_p;                                                            \
	})
/* Fails the test if the stack sent anything. */
#define FX_EXPECT_NOTHING()                                                    \
	ck_assert_msg(ns_channel_queued(F.ch) == 0, "unexpected frame(s) sent: %d", \
		      ns_channel_queued(F.ch))
/* A stats counter by name, e.g. ST(udp_drop_csum). */
#define ST(name) (fx_stats()->name)

/* Free every frame the stack sent; returns how many there were. */
int fx_drain(void);
/* Let loopback traffic and deferred work run until the stack is idle. */
void fx_poll(void);
/* Move the fake clock forward by dt, waking at every timer deadline on the
 * way as an event loop would. */
void fx_advance(ns_time_t dt);
/* Move the fake clock forward by dt in one step (a loop that overslept). */
void fx_jump(ns_time_t dt);
/* Teach the stack the peer's MAC (an ARP request from the peer for us; the
 * stack's reply is drained). */
void fx_learn_peer(uint32_t ip, const uint8_t mac[6]);
const struct ns_stats *fx_stats(void);

/* A UDP socket bound to `port` on INADDR_ANY (port 0: ephemeral). */
struct ns_socket *fx_udp_socket(uint16_t port);
struct sockaddr_in fx_sin(uint32_t ip, uint16_t port);

/* Where a test's pcap goes (NULL: none); set up by main.c. */
const char *unit_pcap_path(const char *suite, const char *test, char *buf, size_t len);
extern const char *unit_cur_suite, *unit_cur_test;

/* Pool use right now (chunks, views). */
void fx_pool(uint64_t *chunks, uint64_t *views);

#endif
