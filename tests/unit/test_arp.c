/*
 * arp: ARP input/output and the neighbour cache state machine (arp.c,
 * neigh.c), driven by the fake clock. States are read back with
 * neigh_lookup_state(); what a user sees (frames on the wire, socket errors)
 * is asserted alongside.
 */
#include <poll.h>

#include "unit.h"

static const uint8_t ZERO_MAC[6];
static const uint8_t NEW_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x42 };

static int state_of(uint32_t ip, uint8_t mac[6])
{
	struct ns_ip a = ns_ip4(ip);
	return neigh_lookup_state(F.st, F.nic, &a, mac);
}

/* Send `n` datagrams from a fresh socket to the peer's port 9. */
static struct ns_socket *send_to_peer(int n, int recverr, int connect)
{
	struct ns_socket *s = fx_udp_socket(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	int on = 1;
	if (recverr)
		ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)), 0);
	if (connect)
		ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	for (int i = 0; i < n; i++) {
		ssize_t r = connect ? ns_send(s, "hello", 5, 0)
				    : ns_sendto(s, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to));
		ck_assert_int_eq(r, 5); /* accepted: it waits for resolution */
	}
	fx_poll();
	return s;
}

/* Expects the next frame to be an ARP request for `tpa`; returns its
 * Ethernet destination in dst. */
static void expect_request(uint32_t tpa, uint8_t dst[6])
{
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_msg(f.is_arp && f.arp.op == ARP_OP_REQUEST, "expected an ARP request");
	ck_assert_uint_eq(f.arp.tpa, tpa);
	ck_assert_uint_eq(f.arp.spa, B_IP_STACK);
	ck_assert_mem_eq(f.arp.sha, B_MAC_STACK, 6);
	ck_assert_mem_eq(f.src, B_MAC_STACK, 6);
	if (dst)
		memcpy(dst, f.dst, 6);
	pkt_unref(p);
}

static void inject_reply(const uint8_t mac[6])
{
	fx_inject(b_arp(B_MAC_STACK, ARP_OP_REPLY, mac, B_IP_PEER, B_MAC_STACK, B_IP_STACK));
}

/* The peer resolved by request/reply: REACHABLE. Leaves the wire empty. */
static struct ns_socket *resolve_peer(void)
{
	struct ns_socket *s = send_to_peer(1, 0, 0);
	expect_request(B_IP_PEER, NULL);
	inject_reply(B_MAC_PEER);
	ck_assert_int_eq(fx_drain(), 1);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_REACHABLE);
	return s;
}

START_TEST(request_for_our_address_is_answered_and_sender_cached_stale)
{
	fx_inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER, ZERO_MAC, B_IP_STACK));
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_arp);
	ck_assert_uint_eq(f.arp.op, ARP_OP_REPLY);
	ck_assert_mem_eq(f.dst, B_MAC_PEER, 6);	 /* unicast back */
	ck_assert_mem_eq(f.arp.sha, B_MAC_STACK, 6);
	ck_assert_uint_eq(f.arp.spa, B_IP_STACK);
	ck_assert_mem_eq(f.arp.tha, B_MAC_PEER, 6);
	ck_assert_uint_eq(f.arp.tpa, B_IP_PEER);
	pkt_unref(p);
	FX_EXPECT_NOTHING();
	uint8_t mac[6];
	/* RFC 4861 7.2.3 (as Linux for ARP): learnt from a request: STALE. */
	ck_assert_int_eq(state_of(B_IP_PEER, mac), NEIGH_STALE);
	ck_assert_mem_eq(mac, B_MAC_PEER, 6);
	ck_assert_uint_eq(ST(arp_tx_reply), 1);
	ck_assert_uint_eq(ST(arp_request_rx), 1);
}
END_TEST

START_TEST(request_for_another_address_is_neither_answered_nor_cached)
{
	fx_inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER, ZERO_MAC,
			IP4_ADDR(10, 0, 0, 99)));
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), -ENOENT);
	ck_assert_uint_eq(ST(arp_drop_not_for_us), 1);
}
END_TEST

START_TEST(request_from_known_sender_with_new_mac_updates_the_entry)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	/* Even a request not for us refreshes what we know (RFC 826 merge). */
	fx_inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, NEW_MAC, B_IP_PEER, ZERO_MAC,
			IP4_ADDR(10, 0, 0, 99)));
	uint8_t mac[6];
	ck_assert_int_eq(state_of(B_IP_PEER, mac), NEIGH_STALE);
	ck_assert_mem_eq(mac, NEW_MAC, 6);
	/* Traffic now goes to the new address. */
	struct ns_socket *s = send_to_peer(1, 0, 0);
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert(f.is_ip);
	ck_assert_mem_eq(f.dst, NEW_MAC, 6);
	ns_close(s);
}
END_TEST

START_TEST(senders_with_impossible_addresses_are_dropped)
{
	static const uint8_t MCAST[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	const uint8_t *bad_mac[] = { B_MAC_BCAST, MCAST, ZERO_MAC, B_MAC_STACK };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(bad_mac); i++) {
		/* The Ethernet source stays valid; only the ARP sender lies. */
		struct pkt *p = b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER,
				      ZERO_MAC, B_IP_STACK);
		memcpy(pkt_data(p) + ETH_HDR_LEN + 8, bad_mac[i], 6);
		fx_inject(p);
	}
	const uint32_t bad_ip[] = { B_IP_STACK, IP4_ADDR(224, 0, 0, 1), 0xffffffffu };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(bad_ip); i++)
		fx_inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, bad_ip[i], ZERO_MAC,
				B_IP_STACK));
	ck_assert_uint_eq(ST(arp_drop_bad_sender), 7);
	FX_EXPECT_NOTHING();
	/* Nobody may claim our own address in our cache. */
	ck_assert_int_eq(state_of(B_IP_STACK, NULL), -ENOENT);
}
END_TEST

START_TEST(malformed_arp_and_unknown_ops_are_dropped)
{
	struct pkt *p = b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER, ZERO_MAC,
			      B_IP_STACK);
	pkt_trim(p, ETH_HDR_LEN + ARP_LEN - 1);
	fx_inject(p);
	p = b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER, ZERO_MAC, B_IP_STACK);
	pkt_data(p)[ETH_HDR_LEN + 4] = 8; /* hardware address length */
	fx_inject(p);
	ck_assert_uint_eq(ST(arp_drop_malformed), 2);
	for (uint16_t op = 3; op <= 9; op += 6) /* RARP request, InARP request */
		fx_inject(b_arp(B_MAC_BCAST, op, B_MAC_PEER, B_IP_PEER, ZERO_MAC, B_IP_STACK));
	ck_assert_uint_eq(ST(arp_drop_bad_op), 2);
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), -ENOENT);
}
END_TEST

START_TEST(probe_with_zero_sender_is_answered_but_not_cached)
{
	/* RFC 5227 2.1.1: an address probe has sender IP 0. We defend our
	 * address by answering it. */
	fx_inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, 0, ZERO_MAC, B_IP_STACK));
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert(f.is_arp && f.arp.op == ARP_OP_REPLY);
	ck_assert_uint_eq(f.arp.spa, B_IP_STACK);
	ck_assert_uint_eq(f.arp.tpa, 0);
	ck_assert_int_eq(state_of(0, NULL), -ENOENT);
}
END_TEST

START_TEST(unresolved_neighbour_gets_broadcast_request_while_packets_wait)
{
	struct ns_socket *s = send_to_peer(3, 0, 0);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_arp);
	ck_assert_mem_eq(f.arp.tha, ZERO_MAC, 6);
	pkt_unref(p);
	FX_EXPECT_NOTHING(); /* one request for three datagrams, none sent yet */
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_INCOMPLETE);
	/* Still waiting half a second later. */
	fx_advance(NS_SEC / 2);
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

START_TEST(reply_releases_waiting_packets_in_order_and_makes_entry_reachable)
{
	struct ns_socket *s = fx_udp_socket(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	char msg[3][8] = { "one", "two", "three" };
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ns_sendto(s, msg[i], strlen(msg[i]), 0, (struct sockaddr *)&to,
					   sizeof(to)),
				 (ssize_t)strlen(msg[i]));
	uint8_t dst[6];
	expect_request(B_IP_PEER, dst);
	ck_assert_mem_eq(dst, B_MAC_BCAST, 6);
	inject_reply(B_MAC_PEER);
	for (int i = 0; i < 3; i++) {
		struct b_frame f;
		struct pkt *p = FX_EXPECT(&f);
		ck_assert(f.is_ip && f.ip.proto == IPPROTO_UDP_);
		ck_assert_mem_eq(f.dst, B_MAC_PEER, 6);
		ck_assert_uint_eq(f.data_len, strlen(msg[i]));
		ck_assert_mem_eq(f.data, msg[i], f.data_len);
		pkt_unref(p);
	}
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_REACHABLE);
	ck_assert_uint_eq(ST(neigh_resolved), 1);
	/* Later traffic goes out at once. */
	ck_assert_int_eq(ns_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	ck_assert_int_eq(fx_drain(), 1);
	ns_close(s);
}
END_TEST

START_TEST(unanswered_resolution_retries_every_second_then_fails)
{
	struct ns_socket *s = send_to_peer(2, 0, 0);
	uint8_t dst[6];
	expect_request(B_IP_PEER, dst);
	ck_assert_mem_eq(dst, B_MAC_BCAST, 6);
	fx_advance(NS_SEC - 1);
	FX_EXPECT_NOTHING();
	fx_advance(1 + NS_MSEC);
	expect_request(B_IP_PEER, NULL);
	fx_advance(NS_SEC);
	expect_request(B_IP_PEER, NULL);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_INCOMPLETE);
	fx_advance(NS_SEC);
	/* RFC 4861 7.3.3 / Linux mcast_solicit=3: three tries, then FAILED
	 * and the waiting datagrams are dropped. */
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_FAILED);
	ck_assert_uint_eq(ST(neigh_failed), 1);
	ck_assert_uint_eq(ST(neigh_drop_unresolved), 2);
	ck_assert_uint_eq(ST(arp_tx_request), 3 + 1); /* + the fixture's announcement */
	fx_advance(10 * NS_SEC);
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

START_TEST(resolution_failure_reports_ehostunreach_with_ip_recverr)
{
	struct ns_socket *s = send_to_peer(2, 1, 1);
	fx_drain();
	ck_assert_int_eq(ns_recv(s, (char[8]){ 0 }, 8, 0), -EAGAIN);
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	fx_advance(3 * NS_SEC + NS_MSEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_FAILED);
	/* ip4_local_error -> udp: the sender learns the host is unreachable. */
	ck_assert(ns_socket_poll(s) & POLLERR);
	char buf[8];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EHOSTUNREACH);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN); /* reported once */
	/* The reports wait on the error queue (POLLERR until read), as the
	 * host unreachable Linux sends itself. */
	union {
		char b[128];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int reports = 0;
	for (;;) {
		ck_assert(ns_socket_poll(s) & POLLERR);
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof(ctl.b);
		ck_assert_int_ge(ns_recvmsg(s, &m, MSG_ERRQUEUE), 0);
		struct sock_extended_err ee;
		memcpy(&ee, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(ee));
		ck_assert_uint_eq(ee.ee_errno, EHOSTUNREACH);
		ck_assert_uint_eq(ee.ee_origin, SO_EE_ORIGIN_ICMP);
		ck_assert_uint_eq(ee.ee_type, ICMP_DEST_UNREACH);
		ck_assert_uint_eq(ee.ee_code, ICMP_HOST_UNREACH);
		reports++;
		if (ns_recvmsg(s, &m, MSG_ERRQUEUE | MSG_PEEK) == -EAGAIN)
			break;
	}
	ck_assert_int_ge(reports, 1);
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ns_close(s);
}
END_TEST

START_TEST(resolution_failure_is_a_soft_error_without_ip_recverr)
{
	/* Linux: host unreachable is not a hard error (RFC 1122 4.1.3.3), so
	 * a plain connected UDP socket does not see it. */
	struct ns_socket *s = send_to_peer(1, 0, 1);
	fx_drain();
	fx_advance(4 * NS_SEC);
	ck_assert_uint_eq(ST(neigh_drop_unresolved), 1);
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ck_assert_int_eq(ns_send(s, "again", 5, 0), 5);
	ns_close(s);
}
END_TEST

START_TEST(waiting_queue_is_bounded_and_drops_the_oldest)
{
	struct ns_socket *s = fx_udp_socket(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	for (uint32_t i = 0; i < 150; i++) {
		uint32_t v = i;
		ck_assert_int_eq(ns_sendto(s, &v, sizeof(v), 0, (struct sockaddr *)&to, sizeof(to)),
				 4);
	}
	ck_assert_uint_eq(ST(neigh_queue_overflow), 50);
	expect_request(B_IP_PEER, NULL);
	inject_reply(B_MAC_PEER);
	for (uint32_t i = 50; i < 150; i++) {
		struct b_frame f;
		struct pkt *p = FX_EXPECT(&f);
		uint32_t v;
		memcpy(&v, f.data, 4);
		ck_assert_uint_eq(v, i);
		pkt_unref(p);
	}
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

START_TEST(reachable_entry_goes_stale_after_reachable_time)
{
	struct ns_socket *s = resolve_peer();
	/* RFC 4861 6.3.2: ReachableTime is 0.5-1.5 x 30 s. */
	fx_advance(14 * NS_SEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_REACHABLE);
	fx_advance(32 * NS_SEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_STALE);
	FX_EXPECT_NOTHING(); /* going stale costs no traffic */
	ns_close(s);
}
END_TEST

START_TEST(using_a_stale_entry_sends_at_once_then_probes_unicast_after_delay)
{
	struct ns_socket *s = resolve_peer();
	fx_advance(50 * NS_SEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_STALE);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert(f.is_ip); /* not held back */
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_DELAY);
	/* RFC 4861 7.3.3: DELAY_FIRST_PROBE_TIME (5 s), then PROBE with
	 * unicast solicitations. */
	fx_advance(5 * NS_SEC - NS_MSEC);
	FX_EXPECT_NOTHING();
	fx_advance(2 * NS_MSEC);
	uint8_t dst[6];
	expect_request(B_IP_PEER, dst);
	ck_assert_mem_eq(dst, B_MAC_PEER, 6);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_PROBE);
	inject_reply(B_MAC_PEER);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_REACHABLE);
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

START_TEST(unanswered_unicast_probes_fail_the_entry)
{
	struct ns_socket *s = resolve_peer();
	fx_advance(50 * NS_SEC);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	ck_assert_int_eq(fx_drain(), 1);
	fx_advance(5 * NS_SEC + NS_MSEC);
	for (int i = 0; i < 3; i++) {
		uint8_t dst[6];
		expect_request(B_IP_PEER, dst);
		ck_assert_mem_eq(dst, B_MAC_PEER, 6);
		ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_PROBE);
		fx_advance(NS_SEC);
	}
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_FAILED);
	/* The next datagram starts over with a broadcast request. */
	ck_assert_int_eq(ns_sendto(s, "y", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	uint8_t dst[6];
	expect_request(B_IP_PEER, dst);
	ck_assert_mem_eq(dst, B_MAC_BCAST, 6);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_INCOMPLETE);
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

START_TEST(unused_stale_entry_is_garbage_collected)
{
	struct ns_socket *s = resolve_peer();
	fx_advance(50 * NS_SEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_STALE);
	fx_advance(70 * NS_SEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), -ENOENT);
	ck_assert_uint_eq(ST(neigh_gc), 1);
	ns_close(s);
}
END_TEST

START_TEST(failed_entry_is_garbage_collected)
{
	struct ns_socket *s = send_to_peer(1, 0, 0);
	fx_advance(4 * NS_SEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_FAILED);
	fx_advance(61 * NS_SEC);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), -ENOENT);
	fx_drain();
	ns_close(s);
}
END_TEST

START_TEST(unsolicited_reply_for_us_creates_a_stale_entry)
{
	/* RFC 826 "packet reception": we are the target, so the sender is
	 * added. (Linux needs arp_accept=1 for this.) */
	inject_reply(B_MAC_PEER);
	ck_assert_int_eq(state_of(B_IP_PEER, NULL), NEIGH_STALE);
	ck_assert_uint_eq(ST(arp_reply_rx), 1);
	FX_EXPECT_NOTHING();
}
END_TEST

Suite *arp_suite(void)
{
	Suite *s = unit_suite("arp");
	ADD_FX(s, request_for_our_address_is_answered_and_sender_cached_stale);
	ADD_FX(s, request_for_another_address_is_neither_answered_nor_cached);
	ADD_FX(s, request_from_known_sender_with_new_mac_updates_the_entry);
	ADD_FX(s, senders_with_impossible_addresses_are_dropped);
	ADD_FX(s, malformed_arp_and_unknown_ops_are_dropped);
	ADD_FX(s, probe_with_zero_sender_is_answered_but_not_cached);
	ADD_FX(s, unresolved_neighbour_gets_broadcast_request_while_packets_wait);
	ADD_FX(s, reply_releases_waiting_packets_in_order_and_makes_entry_reachable);
	ADD_FX(s, unanswered_resolution_retries_every_second_then_fails);
	ADD_FX(s, resolution_failure_reports_ehostunreach_with_ip_recverr);
	ADD_FX(s, resolution_failure_is_a_soft_error_without_ip_recverr);
	ADD_FX(s, waiting_queue_is_bounded_and_drops_the_oldest);
	ADD_FX(s, reachable_entry_goes_stale_after_reachable_time);
	ADD_FX(s, using_a_stale_entry_sends_at_once_then_probes_unicast_after_delay);
	ADD_FX(s, unanswered_unicast_probes_fail_the_entry);
	ADD_FX(s, unused_stale_entry_is_garbage_collected);
	ADD_FX(s, failed_entry_is_garbage_collected);
	ADD_FX(s, unsolicited_reply_for_us_creates_a_stale_entry);
	return s;
}
