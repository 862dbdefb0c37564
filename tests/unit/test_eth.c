/* eth: Ethernet input filtering and output framing (eth.c). */
#include "unit.h"

static const uint8_t OTHER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };
static const uint8_t MCAST_MAC[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

/* An echo request that would be answered, in a frame with these MACs. */
static struct pkt *ping_frame(const uint8_t *dst, const uint8_t *src)
{
	struct pkt *p = b_ping(B_IP_PEER, B_IP_STACK, 1, 1, 8);
	memcpy(pkt_data(p), dst, 6);
	memcpy(pkt_data(p) + 6, src, 6);
	return p;
}

START_TEST(frame_shorter_than_ethernet_header_is_dropped_as_short)
{
	uint8_t b[13] = { 0 };
	struct pkt *p = pkt_from_bytes(b, sizeof(b));
	fx_inject(p);
	ck_assert_uint_eq(ST(eth_rx), 1);
	ck_assert_uint_eq(ST(eth_drop_short), 1);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(unicast_to_another_mac_is_dropped_unanswered)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	fx_inject(ping_frame(OTHER_MAC, B_MAC_PEER));
	ck_assert_uint_eq(ST(eth_drop_not_for_us), 1);
	ck_assert_uint_eq(ST(ip4_rx), 0);
	FX_EXPECT_NOTHING();
	/* The same frame to our MAC is answered. */
	fx_inject(ping_frame(B_MAC_STACK, B_MAC_PEER));
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert_uint_eq(f.icmp_type, ICMP_ECHOREPLY);
}
END_TEST

START_TEST(multicast_source_mac_is_dropped)
{
	fx_inject(ping_frame(B_MAC_STACK, MCAST_MAC));
	ck_assert_uint_eq(ST(eth_drop_bad_src), 1);
	FX_EXPECT_NOTHING();
	fx_inject(ping_frame(B_MAC_STACK, B_MAC_BCAST));
	ck_assert_uint_eq(ST(eth_drop_bad_src), 2);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(llc_frame_with_length_field_is_dropped)
{
	/* 802.3: a type/length field below 0x0600 is a length (LLC follows). */
	uint8_t llc[40] = { 0x42, 0x42, 0x03 }; /* STP BPDU */
	fx_inject(b_eth(B_MAC_STACK, B_MAC_PEER, sizeof(llc), llc, sizeof(llc)));
	fx_inject(b_eth(B_MAC_STACK, B_MAC_PEER, 0x05ff, llc, sizeof(llc)));
	ck_assert_uint_eq(ST(eth_drop_llc), 2);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(vlan_tagged_frames_are_dropped)
{
	/* An echo request behind an 802.1Q (and an 802.1ad) tag. */
	struct pkt *p = b_ping(B_IP_PEER, B_IP_STACK, 1, 1, 8);
	uint8_t tagged[200];
	uint32_t n = p->len - ETH_HDR_LEN;
	ns_wr16(tagged, 5);	      /* VID 5 */
	ns_wr16(tagged + 2, ETHERTYPE_IPV4);
	memcpy(tagged + 4, pkt_data(p) + ETH_HDR_LEN, n);
	pkt_unref(p);
	fx_inject(b_eth(B_MAC_STACK, B_MAC_PEER, ETHERTYPE_VLAN, tagged, n + 4));
	fx_inject(b_eth(B_MAC_STACK, B_MAC_PEER, ETHERTYPE_QINQ, tagged, n + 4));
	ck_assert_uint_eq(ST(eth_drop_vlan), 2);
	ck_assert_uint_eq(ST(icmp_rx), 0);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(unknown_ethertype_is_dropped)
{
	uint8_t b[46] = { 0 };
	fx_inject(b_eth(B_MAC_STACK, B_MAC_PEER, 0x88cc, b, sizeof(b))); /* LLDP */
	fx_inject(b_eth(B_MAC_STACK, B_MAC_PEER, 0x0801, b, sizeof(b)));
	ck_assert_uint_eq(ST(eth_drop_unknown_type), 2);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(broadcast_and_multicast_frames_reach_ip)
{
	/* An echo request to all-hosts in a multicast frame passes Ethernet
	 * and is refused by ICMP (no echo for group addresses). */
	struct pkt *p = b_ping(B_IP_PEER, IP4_ADDR(224, 0, 0, 1), 1, 1, 8);
	memcpy(pkt_data(p), MCAST_MAC, 6);
	fx_inject(p);
	ck_assert_uint_eq(ST(ip4_rx), 1);
	ck_assert_uint_eq(ST(icmp_drop_bcast_echo), 1);
	/* A broadcast ARP request for us is answered. */
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	ck_assert_uint_eq(ST(eth_drop_not_for_us) + ST(eth_drop_bad_src), 0);
}
END_TEST

START_TEST(output_frames_carry_our_mac_and_the_ethertype)
{
	uint64_t tx0 = ST(eth_tx);
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	fx_inject(b_ping(B_IP_PEER, B_IP_STACK, 7, 9, 32));
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_mem_eq(f.src, B_MAC_STACK, 6);
	ck_assert_mem_eq(f.dst, B_MAC_PEER, 6);
	ck_assert_uint_eq(f.type, ETHERTYPE_IPV4);
	ck_assert_uint_eq(p->len, ETH_HDR_LEN + IP4_HDR_LEN + ICMP_HDR_LEN + 32);
	pkt_unref(p);
	ck_assert_uint_eq(ST(eth_tx) - tx0, 2); /* the ARP reply and the echo reply */
}
END_TEST

Suite *eth_suite(void)
{
	Suite *s = unit_suite("eth");
	ADD_FX(s, frame_shorter_than_ethernet_header_is_dropped_as_short);
	ADD_FX(s, unicast_to_another_mac_is_dropped_unanswered);
	ADD_FX(s, multicast_source_mac_is_dropped);
	ADD_FX(s, llc_frame_with_length_field_is_dropped);
	ADD_FX(s, vlan_tagged_frames_are_dropped);
	ADD_FX(s, unknown_ethertype_is_dropped);
	ADD_FX(s, broadcast_and_multicast_frames_reach_ip);
	ADD_FX(s, output_frames_carry_our_mac_and_the_ethertype);
	return s;
}
