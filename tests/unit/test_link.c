/*
 * link: what `ip link set IF down|up|mtu` and `ip neigh add|del` do to the
 * stack (ns_stack_nic_set_up, ns_stack_nic_set_mtu, ns_stack_neigh_set):
 * frames on the wire, socket errors, the routes and addresses that stay
 * or go, as Linux.
 */
#include "unit.h"
#include "ns/info.h"

static const uint8_t OTHER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };

static ssize_t send_port(struct ns_socket *s, uint32_t ip, uint16_t port, size_t len)
{
	static char buf[4000];
	struct sockaddr_in to = fx_sin(ip, port);
	ssize_t r = ns_sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
	fx_poll();
	return r;
}

static ssize_t send_peer(struct ns_socket *s, uint32_t ip, size_t len)
{
	return send_port(s, ip, 9, len);
}

static unsigned nic_flags(int id)
{
	struct ns_nic_info ni;
	ck_assert_int_eq(ns_stack_nic_info(F.st, id, &ni), 0);
	return ni.flags;
}

START_TEST(down_link_sends_and_answers_nothing_and_up_brings_the_connected_route_back)
{
	struct ns_socket *s = fx_udp_socket(0);
	struct ns_ip net = ns_ip4(IP4_ADDR(10, 1, 0, 0)), gw = ns_ip4(B_IP_PEER);
	ck_assert_int_eq(ns_stack_add_route(F.st, &net, 16, &gw, 0), 0);
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);

	ck_assert_int_eq(ns_stack_nic_set_up(F.st, F.nic, 0), 0);
	ck_assert_uint_eq(nic_flags(F.nic) & NS_NIC_UP, 0);
	/* Every route through it is gone: ENETUNREACH, nothing on the wire. */
	ck_assert_int_eq(send_peer(s, B_IP_PEER, 10), -ENETUNREACH);
	ck_assert_int_eq(send_peer(s, IP4_ADDR(10, 1, 2, 3), 10), -ENETUNREACH);
	ck_assert_int_eq(ns_stack_add_route(F.st, &net, 16, NULL, F.nic), -ENETDOWN);
	/* A request for our address gets no answer. */
	fx_inject(b_arp(B_MAC_BCAST, ARP_OP_REQUEST, B_MAC_PEER, B_IP_PEER, B_MAC_BCAST, B_IP_STACK));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(eth_drop_link_down), 1);
	/* The IPv4 address stays; the neighbour cache of the link does not. */
	struct ns_ip me = ns_ip4(B_IP_STACK), peer = ns_ip4(B_IP_PEER);
	ck_assert_int_eq(ns_stack_addr_state(F.st, F.nic, &me), NS_ADDR_PREFERRED);
	ck_assert_int_eq(neigh_lookup_state(F.st, F.nic, &peer, NULL), -ENOENT);

	ck_assert_int_eq(ns_stack_nic_set_up(F.st, F.nic, 1), 0);
	ck_assert_uint_ne(nic_flags(F.nic) & NS_NIC_UP, 0);
	/* The address is announced again and its subnet reachable... */
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_arp && f.arp.spa == B_IP_STACK && f.arp.tpa == B_IP_STACK);
	pkt_unref(p);
	ck_assert_int_eq(send_peer(s, B_IP_PEER, 10), 10);
	p = FX_EXPECT(&f);
	ck_assert(f.is_arp && f.arp.op == ARP_OP_REQUEST && f.arp.tpa == B_IP_PEER);
	pkt_unref(p);
	/* ...but the static route is not restored (Linux). */
	ck_assert_int_eq(send_peer(s, IP4_ADDR(10, 1, 2, 3), 10), -ENETUNREACH);
	ns_close(s);
}
END_TEST

START_TEST(down_loopback_keeps_local_routes_and_loses_what_is_sent)
{
	struct ns_socket *rx = fx_udp_socket(7000), *tx = fx_udp_socket(0);
	ck_assert_int_eq(ns_stack_nic_set_up(F.st, 1, 0), 0);
	ck_assert_uint_eq(nic_flags(1), NS_NIC_LOOPBACK);
	/* Sent (as on Linux), never received. */
	ck_assert_int_eq(send_port(tx, IP4_ADDR(127, 0, 0, 1), 7000, 3), 3);
	char buf[8];
	ck_assert_int_eq(ns_recvfrom(rx, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL), -EAGAIN);
	/* ::1 went with it. */
	static const uint8_t one[16] = { [15] = 1 };
	struct ns_ip lo6;
	memset(&lo6, 0, sizeof(lo6));
	lo6.family = AF_INET6;
	memcpy(lo6.v6, one, 16);
	ck_assert_int_eq(ns_stack_addr_state(F.st, 1, &lo6), -EADDRNOTAVAIL);

	ck_assert_int_eq(ns_stack_nic_set_up(F.st, 1, 1), 0);
	ck_assert_int_eq(ns_stack_addr_state(F.st, 1, &lo6), NS_ADDR_PREFERRED);
	ck_assert_int_eq(send_port(tx, IP4_ADDR(127, 0, 0, 1), 7000, 4), 4);
	ck_assert_int_eq(ns_recvfrom(rx, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL), 4);
	ns_close(rx);
	ns_close(tx);
}
END_TEST

START_TEST(lower_mtu_fragments_new_datagrams)
{
	struct ns_socket *s = fx_udp_socket(0);
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	ck_assert_int_eq(ns_stack_nic_set_mtu(F.st, F.nic, 576), 0);
	struct ns_nic_info ni;
	ck_assert_int_eq(ns_stack_nic_info(F.st, F.nic, &ni), 0);
	ck_assert_uint_eq(ni.mtu, 576);
	ck_assert_int_eq(send_peer(s, B_IP_PEER, 1000), 1000);
	int frags = 0;
	struct b_frame f;
	struct pkt *p;
	while ((p = fx_take(&f))) {
		ck_assert(f.is_ip);
		ck_assert_uint_le(p->len, 14 + 576);
		frags++;
		pkt_unref(p);
	}
	ck_assert_int_eq(frags, 2);
	/* Below 68 the interface loses its IPv4 addresses (Linux). */
	ck_assert_int_eq(ns_stack_nic_set_mtu(F.st, F.nic, 60), 0);
	struct ns_ip me = ns_ip4(B_IP_STACK);
	ck_assert_int_eq(ns_stack_addr_state(F.st, F.nic, &me), -EADDRNOTAVAIL);
	ns_close(s);
}
END_TEST

START_TEST(permanent_neighbour_is_used_without_arp_and_not_learnt_over)
{
	struct ns_socket *s = fx_udp_socket(0);
	struct ns_ip peer = ns_ip4(B_IP_PEER);
	ck_assert_int_eq(ns_stack_neigh_set(F.st, F.nic, &peer, OTHER_MAC, NS_NEIGH_PERMANENT, 0),
			 -ENOENT);
	ck_assert_int_eq(ns_stack_neigh_set(F.st, F.nic, &peer, OTHER_MAC, NS_NEIGH_PERMANENT,
					    NS_NEIGH_F_CREATE | NS_NEIGH_F_EXCL), 0);
	ck_assert_int_eq(ns_stack_neigh_set(F.st, F.nic, &peer, B_MAC_PEER, NS_NEIGH_PERMANENT,
					    NS_NEIGH_F_CREATE | NS_NEIGH_F_EXCL), -EEXIST);
	ck_assert_int_eq(ns_stack_neigh_set(F.st, F.nic, &peer, B_MAC_PEER, NS_NEIGH_INCOMPLETE,
					    NS_NEIGH_F_CREATE), -EINVAL);
	ck_assert_int_eq(send_peer(s, B_IP_PEER, 10), 10);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_ip);
	ck_assert_mem_eq(f.dst, OTHER_MAC, 6);
	pkt_unref(p);
	FX_EXPECT_NOTHING();
	/* A reply claiming another address changes nothing, nor does time. */
	fx_inject(b_arp(B_MAC_STACK, ARP_OP_REPLY, B_MAC_PEER, B_IP_PEER, B_MAC_STACK, B_IP_STACK));
	fx_advance(120 * NS_SEC);
	uint8_t mac[6];
	ck_assert_int_eq(neigh_lookup_state(F.st, F.nic, &peer, mac), NEIGH_PERMANENT);
	ck_assert_mem_eq(mac, OTHER_MAC, 6);
	struct ns_neigh_info ni;
	ck_assert_int_eq(ns_stack_neigh_info(F.st, 0, &ni), 0);
	ck_assert_int_eq(ni.state, NS_NEIGH_PERMANENT);
	ck_assert_int_eq(ni.nic, F.nic);
	ck_assert_int_eq(ns_stack_neigh_info(F.st, 1, &ni), -ENOENT);
	/* Replace takes the new address; delete, then ENOENT. */
	ck_assert_int_eq(ns_stack_neigh_set(F.st, F.nic, &peer, B_MAC_PEER, NS_NEIGH_REACHABLE,
					    NS_NEIGH_F_CREATE | NS_NEIGH_F_REPLACE), 0);
	ck_assert_int_eq(neigh_lookup_state(F.st, F.nic, &peer, mac), NEIGH_REACHABLE);
	ck_assert_mem_eq(mac, B_MAC_PEER, 6);
	ck_assert_int_eq(ns_stack_neigh_del(F.st, F.nic, &peer), 0);
	ck_assert_int_eq(ns_stack_neigh_del(F.st, F.nic, &peer), -ENOENT);
	fx_drain();
	ns_close(s);
}
END_TEST

START_TEST(setting_an_entry_sends_what_waited_for_resolution)
{
	struct ns_socket *s = fx_udp_socket(0);
	ck_assert_int_eq(send_peer(s, B_IP_PEER, 10), 10);
	ck_assert_int_eq(fx_drain(), 1); /* the ARP request */
	struct ns_ip peer = ns_ip4(B_IP_PEER);
	ck_assert_int_eq(ns_stack_neigh_set(F.st, F.nic, &peer, OTHER_MAC, NS_NEIGH_PERMANENT,
					    NS_NEIGH_F_CREATE | NS_NEIGH_F_REPLACE), 0);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_ip);
	ck_assert_mem_eq(f.dst, OTHER_MAC, 6);
	pkt_unref(p);
	ns_close(s);
}
END_TEST

Suite *link_suite(void)
{
	Suite *s = unit_suite("link");
	ADD_FX(s, down_link_sends_and_answers_nothing_and_up_brings_the_connected_route_back);
	ADD_FX(s, down_loopback_keeps_local_routes_and_loses_what_is_sent);
	ADD_FX(s, lower_mtu_fragments_new_datagrams);
	ADD_FX(s, permanent_neighbour_is_used_without_arp_and_not_learnt_over);
	ADD_FX(s, setting_an_entry_sends_what_waited_for_resolution);
	return s;
}
