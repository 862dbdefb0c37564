/* The unit-test fixture: a stack on a fake clock with a channel link. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "unit.h"

struct fx F;


static ns_time_t fx_clock(void)
{
	/* pcap timestamps follow the fake clock. */
	return F.wheel.now;
}

void fx_setup(void)
{
	memset(&F, 0, sizeof(F));
	ns_wheel_init(&F.wheel, FX_T0);
	struct ns_stack_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.wheel = &F.wheel;
	for (unsigned i = 0; i < sizeof(cfg.secret); i++)
		cfg.secret[i] = (uint8_t)(i * 17 + 3);
	ck_assert_int_eq(ns_stack_create(&cfg, &F.st), 0);
	/* No IPv6 link-local address on the channel, so no DAD, MLD or router
	 * solicitations: tests start with a quiet wire (IPv6 tests add their
	 * addresses themselves). */
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.link_local", "0"), 0);

	ck_assert_int_eq(ns_channel_link_create(B_MAC_STACK, 1500, NS_LINK_CAP_RESOLVE, &F.ch), 0);
	struct ns_link *link = F.ch;
	char path[512];
	if (unit_pcap_path(unit_cur_suite, unit_cur_test, path, sizeof(path)) &&
	    ns_pcap_sink_open(path, &F.sink) == 0) {
		struct ns_link *sn;
		ck_assert_int_eq(ns_sniffer_wrap(F.ch, F.sink, fx_clock, &sn), 0);
		link = sn;
	}
	F.nic = ns_stack_add_nic(F.st, link);
	ck_assert_int_eq(F.nic, 2);
	struct ns_ip a = ns_ip4(B_IP_STACK);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &a, 24), 0);
	/* Adding the address announces it (gratuitous ARP); tests start
	 * with an empty wire. */
	struct b_frame f;
	struct pkt *p = fx_take(&f);
	ck_assert_ptr_nonnull(p);
	ck_assert(f.is_arp && f.arp.op == ARP_OP_REQUEST && f.arp.spa == B_IP_STACK &&
		  f.arp.tpa == B_IP_STACK);
	pkt_unref(p);
	ck_assert_int_eq(fx_drain(), 0);
}

static void leak_check(void)
{
	uint64_t chunks, views;
	/* A test that lowered the pool limit and failed must not starve the
	 * next one (CK_FORK=no runs them all in one process). */
	pkt_pool_set_limit(512ULL << 20);
	fx_pool(&chunks, &views);
	ck_assert_msg(chunks == 0 && views == 0,
		      "leak: %llu packet chunks and %llu views still in use after teardown",
		      (unsigned long long)chunks, (unsigned long long)views);
}

void fx_teardown(void)
{
	if (F.st) {
		ns_stack_destroy(F.st);
		F.st = NULL;
	}
	if (F.sink) {
		ns_pcap_sink_close(F.sink);
		F.sink = NULL;
	}
	leak_check();
}

void fx_plain_teardown(void)
{
	leak_check();
}

void fx_pool(uint64_t *chunks, uint64_t *views)
{
	struct pkt_pool_stats ps;
	pkt_pool_stats(&ps);
	*chunks = ps.in_use;
	*views = ps.views_in_use;
}

void fx_inject(struct pkt *p)
{
	ck_assert_ptr_nonnull(p);
	ns_channel_inject(F.ch, p);
	fx_poll();
}

struct pkt *fx_take(struct b_frame *f)
{
	struct pkt *p = ns_channel_take(F.ch);
	if (p && f)
		ck_assert_msg(b_parse(p, f) == 0, "the stack sent a malformed frame");
	return p;
}

int fx_drain(void)
{
	int n = 0;
	struct pkt *p;
	while ((p = ns_channel_take(F.ch))) {
		pkt_unref(p);
		n++;
	}
	return n;
}

void fx_poll(void)
{
	for (int i = 0; i < 1000 && ns_stack_poll(F.st) > 0; i++)
		;
	ns_stack_flush(F.st);
}

void fx_advance(ns_time_t dt)
{
	/* As an event loop does: wake at every deadline on the way. */
	ns_time_t end = F.wheel.now + dt;
	for (;;) {
		ns_time_t next = ns_wheel_next(&F.wheel);
		if (next > end)
			break;
		ck_assert_msg(next > F.wheel.now || F.wheel.due, "timer deadline does not advance");
		ns_wheel_advance(&F.wheel, next);
		fx_poll();
	}
	ns_wheel_advance(&F.wheel, end);
	fx_poll();
}

void fx_jump(ns_time_t dt)
{
	ns_wheel_advance(&F.wheel, F.wheel.now + dt);
	fx_poll();
}

void fx_learn_peer(uint32_t ip, const uint8_t mac[6])
{
	static const uint8_t zero[6];
	fx_inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, mac, ip, zero, B_IP_STACK));
	struct b_frame f;
	struct pkt *p = fx_take(&f);
	ck_assert_ptr_nonnull(p);
	ck_assert(f.is_arp && f.arp.op == ARP_OP_REPLY && f.arp.tpa == ip);
	pkt_unref(p);
}

const struct ns_stats *fx_stats(void)
{
	return ns_stack_stats(F.st);
}

struct sockaddr_in fx_sin(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(ip);
	return a;
}

struct ns_socket *fx_udp_socket(uint16_t port)
{
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, 0, &s), 0);
	if (port) {
		struct sockaddr_in a = fx_sin(0, port);
		ck_assert_int_eq(ns_bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	return s;
}
