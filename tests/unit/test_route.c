/* route: the IPv4 routing table and its longest-prefix lookup (stack.c). */
#include "unit.h"

static void add_route(const char *cidr, const char *gw, int nic, int want)
{
	struct ns_ip dst, g;
	unsigned pl;
	ck_assert_int_eq(ns_cidr_parse(cidr, &dst, &pl), 0);
	if (gw)
		ck_assert_int_eq(ns_ip_parse(gw, &g), 0);
	ck_assert_int_eq(ns_stack_add_route(F.st, &dst, pl, gw ? &g : NULL, nic), want);
}

/* Looks `dst` up and checks the next hop (0: error expected = err). */
static void expect_route(const char *dst, const char *nexthop, int nic, int err)
{
	struct ns_ip d, nh;
	struct ns_rt rt;
	ck_assert_int_eq(ns_ip_parse(dst, &d), 0);
	int r = ns_route4(F.st, d.v4, 0, 0, &rt);
	if (err) {
		ck_assert_msg(r == err, "%s: got %d, want %d", dst, r, err);
		return;
	}
	ck_assert_msg(r == 0, "%s: lookup failed %d", dst, r);
	ck_assert_int_eq(ns_ip_parse(nexthop, &nh), 0);
	char got[64];
	ck_assert_msg(rt.nexthop.v4 == nh.v4, "%s: next hop %s, want %s", dst,
		      ns_ip_fmt(&rt.nexthop, got, sizeof(got)), nexthop);
	ck_assert_int_eq(rt.nic->id, nic);
}

START_TEST(address_adds_its_connected_route)
{
	expect_route("10.0.0.77", "10.0.0.77", 2, 0);
	expect_route("10.0.1.1", NULL, 0, -ENETUNREACH);
	struct ns_rt rt;
	ck_assert_int_eq(ns_route4(F.st, IP4_ADDR(10, 0, 0, 77), 0, 0, &rt), 0);
	ck_assert_uint_eq(rt.src.v4, B_IP_STACK);
	ck_assert_uint_eq(rt.mtu, 1500);
	ck_assert(!rt.local && !rt.bcast);
}
END_TEST

START_TEST(longest_prefix_wins_regardless_of_insertion_order)
{
	add_route("10.1.0.0/16", "10.0.0.3", 0, 0);
	add_route("0.0.0.0/0", "10.0.0.254", 0, 0);
	add_route("10.1.2.0/24", "10.0.0.4", 0, 0);
	add_route("10.0.0.0/8", "10.0.0.1", 0, 0);
	add_route("10.1.2.3/32", "10.0.0.5", 2, 0);
	expect_route("10.1.2.3", "10.0.0.5", 2, 0);	 /* /32 */
	expect_route("10.1.2.4", "10.0.0.4", 2, 0);	 /* /24 */
	expect_route("10.1.3.3", "10.0.0.3", 2, 0);	 /* /16 */
	expect_route("10.200.1.1", "10.0.0.1", 2, 0);	 /* /8 */
	expect_route("10.0.0.9", "10.0.0.9", 2, 0);	 /* connected /24 beats /8 */
	expect_route("8.8.8.8", "10.0.0.254", 2, 0);	 /* default */
	expect_route("11.0.0.0", "10.0.0.254", 2, 0);
}
END_TEST

START_TEST(deleting_a_route_falls_back_to_a_shorter_prefix)
{
	add_route("10.1.0.0/16", "10.0.0.3", 0, 0);
	add_route("10.0.0.0/8", "10.0.0.1", 0, 0);
	expect_route("10.1.9.9", "10.0.0.3", 2, 0);
	struct ns_ip d = ns_ip4(IP4_ADDR(10, 1, 0, 0));
	ck_assert_int_eq(ns_stack_del_route(F.st, &d, 16), 0);
	expect_route("10.1.9.9", "10.0.0.1", 2, 0);
	ck_assert_int_eq(ns_stack_del_route(F.st, &d, 16), -ESRCH);
	d = ns_ip4(IP4_ADDR(10, 0, 0, 0));
	ck_assert_int_eq(ns_stack_del_route(F.st, &d, 8), 0);
	expect_route("10.1.9.9", NULL, 0, -ENETUNREACH);
}
END_TEST

START_TEST(route_checks_gateway_duplicates_and_interface)
{
	/* The gateway must be on a connected network when no nic is given. */
	add_route("172.16.0.0/12", "192.168.1.1", 0, -ENETUNREACH);
	add_route("172.16.0.0/12", "10.0.0.1", 0, 0);
	add_route("172.16.0.0/12", "10.0.0.1", 0, -EEXIST);
	add_route("172.16.0.0/12", "10.0.0.1", 9, -ENODEV);
	/* Host bits in the destination are ignored. */
	add_route("192.168.5.77/24", "10.0.0.1", 0, 0);
	expect_route("192.168.5.1", "10.0.0.1", 2, 0);
}
END_TEST

START_TEST(local_and_loopback_destinations_use_the_loopback_interface)
{
	struct ns_rt rt;
	ck_assert_int_eq(ns_route4(F.st, B_IP_STACK, 0, 0, &rt), 0);
	ck_assert_int_eq(rt.nic->id, 1);
	ck_assert(rt.local);
	ck_assert_uint_eq(rt.src.v4, B_IP_STACK);
	ck_assert_int_eq(ns_route4(F.st, IP4_ADDR(127, 9, 9, 9), 0, 0, &rt), 0);
	ck_assert_int_eq(rt.nic->id, 1);
	ck_assert_uint_eq(rt.src.v4, IP4_ADDR(127, 0, 0, 1));
}
END_TEST

START_TEST(broadcast_destinations_are_marked)
{
	struct ns_rt rt;
	ck_assert_int_eq(ns_route4(F.st, 0xffffffffu, 0, 0, &rt), 0);
	ck_assert(rt.bcast);
	ck_assert_int_eq(rt.nic->id, 2);
	ck_assert_uint_eq(rt.src.v4, B_IP_STACK);
	ck_assert_int_eq(ns_route4(F.st, IP4_ADDR(10, 0, 0, 255), 0, 0, &rt), 0);
	ck_assert(rt.bcast);
	ck_assert_int_eq(ns_route4(F.st, IP4_ADDR(10, 0, 0, 254), 0, 0, &rt), 0);
	ck_assert(!rt.bcast);
	/* RFC 3021: a /31 has no broadcast address. */
	struct ns_ip a = ns_ip4(IP4_ADDR(192, 168, 9, 0));
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &a, 31), 0);
	fx_drain();
	ck_assert_int_eq(ns_route4(F.st, IP4_ADDR(192, 168, 9, 1), 0, 0, &rt), 0);
	ck_assert(!rt.bcast);
}
END_TEST

START_TEST(removing_the_address_removes_its_connected_route)
{
	struct ns_ip a = ns_ip4(B_IP_STACK);
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &a), 0);
	expect_route("10.0.0.77", NULL, 0, -ENETUNREACH);
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &a), -EADDRNOTAVAIL);
}
END_TEST

START_TEST(datagram_via_gateway_resolves_the_gateway_not_the_destination)
{
	add_route("10.1.2.0/24", "10.0.0.4", 0, 0);
	add_route("0.0.0.0/0", "10.0.0.254", 0, 0);
	struct ns_socket *s = fx_udp_socket(0);
	struct sockaddr_in to = fx_sin(IP4_ADDR(10, 1, 2, 3), 53);
	ck_assert_int_eq(ns_sendto(s, "q", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	to = fx_sin(IP4_ADDR(1, 1, 1, 1), 53);
	ck_assert_int_eq(ns_sendto(s, "q", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert(f.is_arp && f.arp.tpa == IP4_ADDR(10, 0, 0, 4));
	pkt_unref(FX_EXPECT(&f));
	ck_assert(f.is_arp && f.arp.tpa == IP4_ADDR(10, 0, 0, 254));
	/* Once the gateway answers, the datagram leaves with the final
	 * destination in its IP header and the gateway's MAC. */
	static const uint8_t GW_MAC[6] = { 0x02, 0, 0, 0, 0, 0x04 };
	fx_inject(b_arp(B_MAC_STACK, ARP_OP_REPLY, GW_MAC, IP4_ADDR(10, 0, 0, 4), B_MAC_STACK,
			B_IP_STACK));
	pkt_unref(FX_EXPECT(&f));
	ck_assert(f.is_ip);
	ck_assert_mem_eq(f.dst, GW_MAC, 6);
	ck_assert_uint_eq(f.ip.dst, IP4_ADDR(10, 1, 2, 3));
	ns_close(s);
	fx_drain();
}
END_TEST

Suite *route_suite(void)
{
	Suite *s = unit_suite("route");
	ADD_FX(s, address_adds_its_connected_route);
	ADD_FX(s, longest_prefix_wins_regardless_of_insertion_order);
	ADD_FX(s, deleting_a_route_falls_back_to_a_shorter_prefix);
	ADD_FX(s, route_checks_gateway_duplicates_and_interface);
	ADD_FX(s, local_and_loopback_destinations_use_the_loopback_interface);
	ADD_FX(s, broadcast_destinations_are_marked);
	ADD_FX(s, removing_the_address_removes_its_connected_route);
	ADD_FX(s, datagram_via_gateway_resolves_the_gateway_not_the_destination);
	return s;
}
