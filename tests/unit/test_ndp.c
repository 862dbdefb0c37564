/*
 * ndp: neighbour discovery (RFC 4861) on the shared neighbour cache, DAD,
 * SLAAC and lifetimes (RFC 4862), router advertisements, and the MLD
 * listener (RFC 3810) - what a link sees of a host coming up and living.
 *
 * Most tests use the fixture's channel (no link-local address there) with
 * addresses they add; the bring-up test adds a second channel with the
 * link-local autoconfiguration on.
 */
#include <stdlib.h>

#include "fx6.h"
#include "ipv6_priv.h"

static const uint8_t ROUTER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t OTHER_MAC[6] = { 0x02, 0, 0, 0, 0, 0x77 };

static struct ns_ip ip6a(const uint8_t *a)
{
	struct ns_ip r;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	memcpy(r.v6, a, 16);
	return r;
}

static void add_addr(const uint8_t *a, unsigned plen)
{
	struct ns_ip ip = ip6a(a);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &ip, plen), 0);
}

/* The counters printout, for what `moat stack` shows. */
static char *printout(void)
{
	static char *buf;
	size_t len;
	free(buf);
	FILE *f = open_memstream(&buf, &len);
	ns_stack_print_stats(F.st, f, 0);
	fclose(f);
	return buf;
}

/* Take frames until one matches ICMPv6 `type` (others are freed). */
static struct pkt *take_type(struct ns_link *ch, uint8_t type, struct b_frame6 *f)
{
	struct pkt *p;
	while ((p = ns_channel_take(ch))) {
		ck_assert_int_eq(b_parse6(p, f), 0);
		if (f->is_ip6 && f->nxt == IP6_NH_ICMPV6 && f->icmp_type == type)
			return p;
		pkt_unref(p);
	}
	return NULL;
}

/* The peer's MLDv2 report records, as (type, group) pairs. */
static unsigned mld_records(const struct b_frame6 *f, uint8_t types[], uint8_t groups[][16])
{
	const uint8_t *m = f->l4;
	unsigned n = ns_rd16(m + 6);
	for (unsigned i = 0; i < n; i++) {
		types[i] = m[8 + 20 * i];
		memcpy(groups[i], m + 8 + 20 * i + 4, 16);
	}
	return n;
}

START_TEST(ndp_new_link_gets_link_local_after_dad_then_solicits_routers)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x33 };
	struct ns_link *ch;
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.link_local", "1"), 0);
	ck_assert_int_eq(ns_channel_link_create(mac, 1500, NS_LINK_CAP_RESOLVE, &ch), 0);
	int nic = ns_stack_add_nic(F.st, ch);
	ck_assert_int_gt(nic, 0);
	uint8_t ll[16], sn[16];
	b6_addr("fe80::ff:fe00:33", ll);
	ip6_solicited_node(ll, sn);
	struct ns_ip a = ip6a(ll);
	ck_assert_int_eq(ns_stack_addr_state(F.st, nic, &a), NS_ADDR_TENTATIVE);
	ck_assert_int_eq(ns_channel_queued(ch), 0); /* RFC 4862 5.4.2: a random delay first */
	fx_advance(NS_SEC);
	/* Within a second (each after its own random delay): the report of
	 * the solicited-node group joined, and the probe. */
	struct b_frame6 f, fm, fn;
	struct pkt *p, *mld = NULL, *ns = NULL;
	while ((p = ns_channel_take(ch))) {
		ck_assert_int_eq(b_parse6(p, &f), 0);
		if (f.icmp_type == ICMP6_MLD2_REPORT && !mld) {
			mld = p;
			fm = f;
		} else if (f.icmp_type == ICMP6_ND_NS && !ns) {
			ns = p;
			fn = f;
		} else {
			ck_abort_msg("unexpected frame, ICMPv6 type %u", f.icmp_type);
		}
	}
	ck_assert_ptr_nonnull(mld);
	ck_assert_ptr_nonnull(ns);
	ck_assert_mem_eq(fm.ip.src, B6_UNSPEC, 16); /* no usable link-local yet */
	ck_assert_mem_eq(fm.ip.dst, B6_MLD2, 16);
	ck_assert_uint_eq(fm.ip.hlim, 1);
	ck_assert(fm.next == 1 && fm.ext[0] == IP6_NH_HOPOPTS && fm.l4_csum_ok);
	/* Router Alert (MLD), then PadN, as Linux. */
	static const uint8_t hbh[8] = { IP6_NH_ICMPV6, 0, 5, 2, 0, 0, 1, 0 };
	ck_assert_mem_eq(pkt_data(mld) + ETH_HDR_LEN + IP6_HDR_LEN, hbh, 8);
	uint8_t types[4], groups[4][16];
	ck_assert_uint_eq(mld_records(&fm, types, groups), 1);
	ck_assert_uint_eq(types[0], 4); /* CHANGE_TO_EXCLUDE_MODE: joined */
	ck_assert_mem_eq(groups[0], sn, 16);
	pkt_unref(mld);
	/* The probe: from ::, to the group, no link-layer option, a nonce
	 * (RFC 7527). */
	ck_assert_mem_eq(fn.ip.src, B6_UNSPEC, 16);
	ck_assert_mem_eq(fn.ip.dst, sn, 16);
	ck_assert_uint_eq(fn.ip.hlim, 255);
	ck_assert_mem_eq(fn.data, ll, 16);
	ck_assert_uint_eq(fn.data_len, 24);
	ck_assert_uint_eq(fn.data[16], NDOPT_NONCE);
	uint8_t mac_sn[6];
	ip6_mcast_mac(sn, mac_sn);
	ck_assert_mem_eq(fn.dst, mac_sn, 6);
	pkt_unref(ns);
	ck_assert_int_eq(ns_stack_addr_state(F.st, nic, &a), NS_ADDR_TENTATIVE);
	fx_advance(NS_SEC);
	ck_assert_int_eq(ns_stack_addr_state(F.st, nic, &a), NS_ADDR_PREFERRED);
	ck_assert_uint_eq(ST(ndp_dad_ok), 1);
	/* Linux's ipv6_mc_dad_complete: the groups reported again, now
	 * from the link-local address (the earlier ones came from ::) */
	int from_ll = 0;
	while (!from_ll && (p = take_type(ch, ICMP6_MLD2_REPORT, &f))) {
		if (!memcmp(f.ip.src, ll, 16)) {
			from_ll = 1;
			ck_assert_uint_eq(mld_records(&f, types, groups), 1);
			ck_assert_uint_eq(types[0], 4);
			ck_assert_mem_eq(groups[0], sn, 16);
		}
		pkt_unref(p);
	}
	ck_assert(from_ll);
	/* RFC 4861 6.3.7: three solicitations, 4 s apart, from the
	 * link-local address with our link-layer address. */
	ns_time_t t[3];
	for (int i = 0; i < 3; i++) {
		/* Other frames (the MLD report's random-delay repeats) may
		 * come first: wait for the solicitation itself. */
		p = NULL;
		for (int k = 0; k < 60 && !(p = take_type(ch, ICMP6_ND_RS, &f)); k++)
			fx_advance(100 * NS_MSEC);
		ck_assert_ptr_nonnull(p);
		t[i] = F.wheel.now;
		ck_assert_mem_eq(f.ip.src, ll, 16);
		ck_assert_mem_eq(f.ip.dst, B6_ALL_ROUTERS, 16);
		ck_assert_uint_eq(f.data[0], NDOPT_SLLA);
		ck_assert_mem_eq(f.data + 2, mac, 6);
		pkt_unref(p);
	}
	/* (The first may have left before we looked: time the others.) */
	ck_assert_uint_ge(t[2] - t[1], 4 * NS_SEC - 100 * NS_MSEC);
	ck_assert_uint_le(t[2] - t[1], 4 * NS_SEC + 100 * NS_MSEC);
	fx_advance(20 * NS_SEC);
	ck_assert_ptr_null(take_type(ch, ICMP6_ND_RS, &f));
	ck_assert_uint_eq(ST(ndp_rs_tx), 3);
	ck_assert_ptr_nonnull(strstr(printout(), "addr ch0")); /* the fixture's */
}
END_TEST

START_TEST(ndp_advertisement_of_a_tentative_address_makes_it_dadfailed)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	add_addr(B6_STACK, 64);
	ck_assert_int_eq(fx6_state(B6_STACK), NS_ADDR_TENTATIVE);
	fx_advance(NS_SEC); /* the probe is out */
	fx_drain();
	fx_inject(b6_na(B6_PEER, B6_ALL_NODES, B6_STACK, 0x20, OTHER_MAC));
	ck_assert_int_eq(fx6_state(B6_STACK), NS_ADDR_DADFAILED);
	ck_assert_uint_eq(ST(ndp_dad_failed), 1);
	struct ns_ip a = ip6a(B6_STACK);
	ck_assert_ptr_null(ns_addr_nic(F.st, &a));
	/* Refused: no traffic, no route, never a source; shown. */
	fx_advance(3 * NS_SEC);
	fx_drain();
	fx_inject(b6_ping(B6_PEER, B6_STACK, 1, 1, 8));
	FX_EXPECT_NOTHING();
	struct ns_rt rt;
	ck_assert_int_eq(ns_route6(F.st, B6_PEER, NULL, 0, &rt), -ENETUNREACH);
	ck_assert_ptr_nonnull(strstr(printout(), "fd00::2/64 dadfailed"));
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &a), 0);
	ck_assert_int_eq(fx6_state(B6_STACK), -EADDRNOTAVAIL);
}
END_TEST

START_TEST(ndp_probe_for_a_tentative_address_from_another_node_makes_it_dadfailed)
{
	add_addr(B6_STACK, 64);
	uint8_t sn[16];
	ip6_solicited_node(B6_STACK, sn);
	/* Our own probe coming back (same nonce) is not a conflict. */
	fx_advance(NS_SEC);
	struct b_frame6 f;
	struct pkt *own = take_type(F.ch, ICMP6_ND_NS, &f);
	ck_assert_ptr_nonnull(own);
	fx_inject(own);
	ck_assert_int_eq(fx6_state(B6_STACK), NS_ADDR_TENTATIVE);
	/* Someone else's probe for the same address. */
	fx_inject(b6_ns(B6_UNSPEC, sn, B6_STACK, NULL));
	ck_assert_int_eq(fx6_state(B6_STACK), NS_ADDR_DADFAILED);
	/* A resolution (not DAD) for a tentative address is just ignored. */
	uint8_t b[16];
	b6_addr("fd00::3", b);
	add_addr(b, 64);
	ip6_solicited_node(b, sn);
	fx_inject(b6_ns(B6_PEER, sn, b, B_MAC_PEER));
	ck_assert_int_eq(fx6_state(b), NS_ADDR_TENTATIVE);
	fx_advance(3 * NS_SEC);
	ck_assert_int_eq(fx6_state(b), NS_ADDR_PREFERRED);
	ck_assert_uint_eq(ST(ndp_dad_failed), 1);
	ck_assert_uint_eq(ST(ndp_dad_ok), 1);
}
END_TEST

START_TEST(ndp_solicitation_is_answered_and_teaches_the_sender)
{
	fx6_setup();
	uint8_t sn[16];
	ip6_solicited_node(B6_STACK, sn);
	fx_inject(b6_ns(B6_PEER, sn, B6_STACK, B_MAC_PEER));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NA);
	ck_assert(f.l4_csum_ok);
	ck_assert_uint_eq(f.icmp_rest >> 24, 0x60); /* solicited, override */
	ck_assert_mem_eq(f.ip.src, B6_STACK, 16);
	ck_assert_mem_eq(f.ip.dst, B6_PEER, 16);
	ck_assert_uint_eq(f.ip.hlim, 255);
	ck_assert_mem_eq(f.data, B6_STACK, 16);
	ck_assert_uint_eq(f.data[16], NDOPT_TLLA);
	ck_assert_mem_eq(f.data + 18, B_MAC_STACK, 6);
	ck_assert_mem_eq(f.dst, B_MAC_PEER, 6);
	pkt_unref(p);
	uint8_t mac[6];
	ck_assert_int_eq(fx6_neigh(B6_PEER, mac), NEIGH_DELAY); /* STALE, then used */
	ck_assert_mem_eq(mac, B_MAC_PEER, 6);
	/* A DAD probe for our address: answered to all nodes, not
	 * solicited, and nothing learnt. */
	fx_inject(b6_ns(B6_UNSPEC, sn, B6_STACK, NULL));
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NA);
	ck_assert_uint_eq(f.icmp_rest >> 24, 0x20);
	ck_assert_mem_eq(f.ip.dst, B6_ALL_NODES, 16);
	pkt_unref(p);
	/* A solicitation for an address that is not ours. */
	uint8_t other[16];
	b6_addr("fd00::44", other);
	fx_inject(b6_ns(B6_PEER, sn, other, B_MAC_PEER));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ndp_drop_not_for_us), 1);
	ck_assert_uint_eq(ST(ndp_ns_rx), 2);
}
END_TEST

START_TEST(ndp_resolution_holds_packets_until_the_advertisement)
{
	fx6_setup();
	fx_inject(b6_ping(B6_PEER, B6_STACK, 5, 1, 32));
	fx_inject(b6_ping(B6_PEER, B6_STACK, 5, 2, 32));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NS);
	pkt_unref(p);
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), NEIGH_INCOMPLETE);
	/* An advertisement without the target's address teaches nothing. */
	fx_inject(b6_na(B6_PEER, B6_STACK, B6_PEER, 0x60, NULL));
	FX_EXPECT_NOTHING();
	fx_inject(b6_na(B6_PEER, B6_STACK, B6_PEER, 0x60, B_MAC_PEER));
	ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), NEIGH_REACHABLE);
	for (int seq = 1; seq <= 2; seq++) {
		p = FX6_EXPECT(&f);
		ck_assert_uint_eq(f.icmp_type, ICMP6_ECHO_REP);
		ck_assert_uint_eq(f.icmp_rest & 0xffff, (uint32_t)seq);
		ck_assert_mem_eq(f.dst, B_MAC_PEER, 6);
		pkt_unref(p);
	}
	ck_assert_uint_eq(ST(neigh_resolved), 1);
}
END_TEST

START_TEST(ndp_unreachability_detection_goes_stale_delay_probe_failed)
{
	fx6_setup();
	fx_inject(b6_na(B6_PEER, B6_STACK, B6_PEER, 0x60, B_MAC_PEER));
	ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), -ENOENT); /* no entry: not created */
	fx_inject(b6_ping(B6_PEER, B6_STACK, 5, 1, 8));
	fx_drain();
	fx_inject(b6_na(B6_PEER, B6_STACK, B6_PEER, 0x60, B_MAC_PEER));
	fx_drain();
	ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), NEIGH_REACHABLE);
	/* RFC 4861 7.3.3: ReachableTime (at most 45 s) without confirmation. */
	fx_advance(46 * NS_SEC);
	ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), NEIGH_STALE);
	FX_EXPECT_NOTHING();
	/* Used while STALE: sent at once, DELAY; then unicast probes. */
	fx_inject(b6_ping(B6_PEER, B6_STACK, 5, 2, 8));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ECHO_REP);
	pkt_unref(p);
	ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), NEIGH_DELAY);
	fx_advance(5 * NS_SEC + NS_MSEC);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), NEIGH_PROBE);
		p = FX6_EXPECT(&f);
		ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NS);
		ck_assert_mem_eq(f.ip.dst, B6_PEER, 16); /* unicast */
		ck_assert_mem_eq(f.dst, B_MAC_PEER, 6);
		pkt_unref(p);
		fx_advance(NS_SEC + NS_MSEC);
	}
	ck_assert_int_eq(fx6_neigh(B6_PEER, NULL), NEIGH_FAILED);
}
END_TEST

START_TEST(ndp_advertisement_override_rules)
{
	fx6_setup();
	fx_inject(b6_ping(B6_PEER, B6_STACK, 5, 1, 8));
	fx_inject(b6_na(B6_PEER, B6_STACK, B6_PEER, 0x60, B_MAC_PEER));
	fx_drain();
	uint8_t mac[6];
	ck_assert_int_eq(fx6_neigh(B6_PEER, mac), NEIGH_REACHABLE);
	/* RFC 4861 7.2.5: another address without Override only makes the
	 * entry STALE; with Override it replaces the address. */
	fx_inject(b6_na(B6_PEER, B6_ALL_NODES, B6_PEER, 0x00, OTHER_MAC));
	ck_assert_int_eq(fx6_neigh(B6_PEER, mac), NEIGH_STALE);
	ck_assert_mem_eq(mac, B_MAC_PEER, 6);
	fx_inject(b6_na(B6_PEER, B6_ALL_NODES, B6_PEER, 0x20, OTHER_MAC));
	ck_assert_int_eq(fx6_neigh(B6_PEER, mac), NEIGH_STALE);
	ck_assert_mem_eq(mac, OTHER_MAC, 6);
	/* Solicited to a multicast address is invalid (7.1.2). */
	fx_inject(b6_na(B6_PEER, B6_ALL_NODES, B6_PEER, 0x60, B_MAC_PEER));
	ck_assert_uint_eq(ST(ndp_drop_malformed), 1);
	ck_assert_int_eq(fx6_neigh(B6_PEER, mac), NEIGH_STALE);
}
END_TEST

START_TEST(ndp_invalid_messages_are_dropped_and_counted)
{
	fx6_setup();
	uint8_t sn[16];
	ip6_solicited_node(B6_STACK, sn);
	/* RFC 4861 7.1.1: hop limit 255. */
	struct pkt *p = b6_ns(B6_PEER, sn, B6_STACK, B_MAC_PEER);
	pkt_data(p)[ETH_HDR_LEN + 7] = 64;
	fx_inject(p);
	ck_assert_uint_eq(ST(ndp_drop_hop_limit), 1);
	/* An option of length 0. */
	uint8_t body[24];
	memcpy(body, B6_STACK, 16);
	memset(body + 16, 0, 8);
	body[16] = NDOPT_SLLA;
	fx_inject(b6_icmp(B6_PEER, sn, 255, ICMP6_ND_NS, 0, 0, body, sizeof(body)));
	/* From :: with a link-layer option. */
	fx_inject(b6_ns(B6_UNSPEC, sn, B6_STACK, B_MAC_PEER));
	/* A router advertisement from a global address. */
	struct b6_ra ra = { .src = B6_PEER, .lifetime = 600 };
	fx_inject(b6_ra(&ra));
	ck_assert_uint_eq(ST(ndp_drop_malformed), 3);
	/* A redirect: counted, not acted upon. */
	uint8_t rd[32];
	memcpy(rd, B6_PEER, 16);
	memcpy(rd + 16, B6_PEER, 16);
	fx_inject(b6_icmp(B6_PEER_LL, B6_STACK, 255, ICMP6_ND_REDIRECT, 0, 0, rd, sizeof(rd)));
	ck_assert_uint_eq(ST(ndp_redirect_rx), 1);
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ndp_rx), 5);
}
END_TEST

START_TEST(ndp_router_advertisement_configures_the_link)
{
	fx6_setup();
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.dad_transmits", "1"), 0);
	uint8_t pfx[16], slaac[16], onlink[16], far[16];
	b6_addr("2001:db8:1::", pfx);
	b6_addr("2001:db8:1::ff:fe00:2", slaac);
	b6_addr("2001:db8:1::5", onlink);
	b6_addr("2001:db8:99::1", far);
	struct b6_ra ra = {
		.src = B6_PEER_LL, .cur_hlim = 99, .lifetime = 1800, .reachable = 10000,
		.retrans = 500, .slla = ROUTER_MAC, .mtu = 1400, .npi = 1,
		.pi = { { .prefix = pfx, .plen = 64, .flags = 0xc0, .valid = 3600, .preferred = 1800 } },
	};
	fx_inject(b6_ra(&ra));
	ck_assert_uint_eq(ST(ndp_ra_rx), 1);
	ck_assert_uint_eq(ST(ndp_slaac_addrs), 1);
	/* RFC 4862 5.5.3 d: prefix + EUI-64, DAD first. */
	ck_assert_int_eq(fx6_state(slaac), NS_ADDR_TENTATIVE);
	fx_advance(3 * NS_SEC);
	ck_assert_int_eq(fx6_state(slaac), NS_ADDR_PREFERRED);
	fx_drain();
	/* The router: known STALE with its address, and the default route. */
	uint8_t mac[6];
	ck_assert_int_eq(fx6_neigh(B6_PEER_LL, mac), NEIGH_STALE);
	ck_assert_mem_eq(mac, ROUTER_MAC, 6);
	struct ns_rt rt;
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), 0);
	ck_assert_mem_eq(rt.nexthop.v6, B6_PEER_LL, 16);
	ck_assert_mem_eq(rt.src.v6, slaac, 16);
	ck_assert_uint_eq(rt.mtu, 1400);
	/* The on-link prefix: straight to the destination. */
	ck_assert_int_eq(ns_route6(F.st, onlink, NULL, 0, &rt), 0);
	ck_assert_mem_eq(rt.nexthop.v6, onlink, 16);
	/* The advertised hop limit for our packets. */
	fx_inject(b6_ping(far, slaac, 1, 1, 8));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ECHO_REP);
	ck_assert_uint_eq(f.ip.hlim, 99);
	ck_assert_mem_eq(f.dst, ROUTER_MAC, 6);
	pkt_unref(p);
	/* The advertised RetransTimer paces resolution. */
	uint8_t n1[16];
	b6_addr("2001:db8:1::77", n1);
	fx_inject(b6_ping(n1, slaac, 1, 2, 8));
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NS);
	pkt_unref(p);
	fx_advance(500 * NS_MSEC + NS_MSEC);
	p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NS);
	pkt_unref(p);
	char *out = printout();
	ck_assert_ptr_nonnull(strstr(out, "fe80::1 lifetime"));
	ck_assert_ptr_nonnull(strstr(out, "2001:db8:1::/64 on-link"));
	ck_assert_ptr_nonnull(strstr(out, "2001:db8:1::ff:fe00:2/64 preferred slaac valid"));
	fx_advance(2 * NS_SEC);
	fx_drain();
}
END_TEST

START_TEST(ndp_multicast_prefix_gives_no_address_and_no_route)
{
	fx6_setup();
	uint8_t pfx[16], would[16];
	b6_addr("ff0e:1:2:3::", pfx);
	b6_addr("ff0e:1:2:3:0:ff:fe00:2", would);
	struct b6_ra ra = {
		.src = B6_PEER_LL, .lifetime = 0, .npi = 1,
		.pi = { { .prefix = pfx, .plen = 64, .flags = 0xc0, .valid = 3600, .preferred = 1800 } },
	};
	fx_inject(b6_ra(&ra));
	ck_assert_uint_eq(ST(ndp_ra_rx), 1);
	ck_assert_uint_eq(ST(ndp_slaac_addrs), 0);
	ck_assert_int_eq(fx6_state(would), -EADDRNOTAVAIL);
	ck_assert_ptr_null(strstr(printout(), "ff0e:1:2:3::/64 on-link"));
}
END_TEST

START_TEST(ndp_lifetimes_end_routers_prefixes_and_addresses)
{
	fx6_setup();
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.dad_transmits", "0"), 0);
	uint8_t pfx[16], slaac[16], far[16];
	b6_addr("2001:db8:2::", pfx);
	b6_addr("2001:db8:2::ff:fe00:2", slaac);
	b6_addr("2001:db8:99::1", far);
	struct b6_ra ra = {
		.src = B6_PEER_LL, .lifetime = 10, .slla = ROUTER_MAC, .npi = 1,
		.pi = { { .prefix = pfx, .plen = 64, .flags = 0xc0, .valid = 20, .preferred = 5 } },
	};
	fx_inject(b6_ra(&ra));
	struct ns_rt rt;
	ck_assert_int_eq(fx6_state(slaac), NS_ADDR_PREFERRED);
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), 0);
	fx_advance(6 * NS_SEC);
	/* RFC 4862 5.5.4: deprecated, still ours, no longer a source. */
	ck_assert_int_eq(fx6_state(slaac), NS_ADDR_DEPRECATED);
	struct ns_ip a = ip6a(slaac);
	ck_assert_ptr_nonnull(ns_addr_nic(F.st, &a));
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), 0);
	ck_assert_mem_eq(rt.src.v6, B6_STACK, 16);
	fx_advance(5 * NS_SEC);
	/* The router's lifetime is over. */
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), -ENETUNREACH);
	fx_advance(10 * NS_SEC);
	ck_assert_int_eq(fx6_state(slaac), -EADDRNOTAVAIL);
	uint8_t onlink[16];
	b6_addr("2001:db8:2::5", onlink);
	ck_assert_int_eq(ns_route6(F.st, onlink, NULL, 0, &rt), -ENETUNREACH);
	/* A zero router lifetime removes a router at once. */
	ra.lifetime = 600;
	ra.npi = 0;
	fx_inject(b6_ra(&ra));
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), 0);
	ra.lifetime = 0;
	fx_inject(b6_ra(&ra));
	ck_assert_int_eq(ns_route6(F.st, far, NULL, 0, &rt), -ENETUNREACH);
	fx_drain();
}
END_TEST

START_TEST(ndp_slaac_valid_lifetime_follows_the_two_hour_rule)
{
	fx6_setup();
	uint8_t pfx[16], slaac[16];
	b6_addr("2001:db8:3::", pfx);
	b6_addr("2001:db8:3::ff:fe00:2", slaac);
	struct b6_ra ra = { .src = B6_PEER_LL, .npi = 1,
			    .pi = { { .prefix = pfx, .plen = 64, .flags = 0x40, .valid = 3 * 3600,
				      .preferred = 3600 } } };
	fx_inject(b6_ra(&ra));
	ck_assert_ptr_nonnull(strstr(printout(), "2001:db8:3::ff:fe00:2/64 preferred slaac valid 10800s"));
	/* RFC 4862 5.5.3 e: a short valid lifetime cannot end the address
	 * sooner than two hours. */
	ra.pi[0].valid = 60;
	ra.pi[0].preferred = 30;
	fx_inject(b6_ra(&ra));
	ck_assert_ptr_nonnull(strstr(printout(), "slaac valid 7200s"));
	ra.pi[0].valid = 4 * 3600;
	fx_inject(b6_ra(&ra));
	ck_assert_ptr_nonnull(strstr(printout(), "slaac valid 14400s"));
	/* Only autonomous, not on-link: no route from it. */
	struct ns_rt rt;
	uint8_t onlink[16];
	b6_addr("2001:db8:3::5", onlink);
	ck_assert_int_eq(ns_route6(F.st, onlink, NULL, 0, &rt), -ENETUNREACH);
	/* Prefixes that are not /64 or link-local give no address. */
	uint8_t p2[16];
	b6_addr("2001:db8:4::", p2);
	ra.pi[0].prefix = p2;
	ra.pi[0].plen = 48;
	fx_inject(b6_ra(&ra));
	b6_addr("fe80::", p2);
	ra.pi[0].plen = 64;
	fx_inject(b6_ra(&ra));
	ck_assert_uint_eq(ST(ndp_slaac_addrs), 1);
	fx_advance(3 * NS_SEC);
	fx_drain();
}
END_TEST

/* An MLD query from the router: v1 (24 bytes) or v2. */
static struct pkt *mld_query(const uint8_t *dst, const uint8_t *group, uint16_t max_resp, int v1)
{
	uint8_t body[20];
	memcpy(body, group, 16);
	memset(body + 16, 0, 4);
	return b6_icmp(B6_PEER_LL, dst, 1, ICMP6_MLD_QUERY, 0, (uint32_t)max_resp << 16, body,
		       v1 ? 16 : 20);
}

START_TEST(mld_queries_are_answered_with_our_groups)
{
	fx6_setup();
	uint8_t b[16], g1[16], g2[16];
	b6_addr("fd00::1:3", b);
	add_addr(b, 64);
	fx_advance(3 * NS_SEC);
	fx_drain();
	ip6_solicited_node(B6_STACK, g1);
	ip6_solicited_node(b, g2);
	/* RFC 3810 6.2: one report with every group, within the delay. */
	fx_inject(mld_query(B6_ALL_NODES, B6_UNSPEC, 1000, 0));
	ck_assert_int_eq(ns_channel_queued(F.ch), 0);
	fx_advance(NS_SEC);
	struct b_frame6 f;
	struct pkt *p = take_type(F.ch, ICMP6_MLD2_REPORT, &f);
	ck_assert_ptr_nonnull(p);
	ck_assert(f.l4_csum_ok);
	uint8_t types[4], groups[4][16];
	ck_assert_uint_eq(mld_records(&f, types, groups), 2);
	ck_assert_uint_eq(types[0], 2); /* MODE_IS_EXCLUDE */
	ck_assert_uint_eq(types[1], 2);
	ck_assert(!memcmp(groups[0], g1, 16) || !memcmp(groups[1], g1, 16));
	ck_assert(!memcmp(groups[0], g2, 16) || !memcmp(groups[1], g2, 16));
	pkt_unref(p);
	ck_assert_int_eq(fx_drain(), 0);
	/* A group-specific query: that group only. */
	fx_inject(mld_query(g2, g2, 500, 0));
	fx_advance(NS_SEC);
	p = take_type(F.ch, ICMP6_MLD2_REPORT, &f);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(mld_records(&f, types, groups), 1);
	ck_assert_mem_eq(groups[0], g2, 16);
	pkt_unref(p);
	/* An MLDv1 querier: v1 reports to each group (RFC 3810 8.2.1)... */
	fx_inject(mld_query(B6_ALL_NODES, B6_UNSPEC, 1000, 1));
	fx_advance(NS_SEC);
	int v1 = 0;
	while ((p = take_type(F.ch, ICMP6_MLD1_REPORT, &f))) {
		ck_assert(!memcmp(f.ip.dst, g1, 16) || !memcmp(f.ip.dst, g2, 16));
		ck_assert_mem_eq(f.data, f.ip.dst, 16);
		pkt_unref(p);
		v1++;
	}
	ck_assert_int_eq(v1, 2);
	/* ... and leaving a group is a v1 Done to all routers. */
	struct ns_ip a = ip6a(b);
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &a), 0);
	p = take_type(F.ch, ICMP6_MLD1_DONE, &f);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(f.ip.dst, B6_ALL_ROUTERS, 16);
	ck_assert_mem_eq(f.data, g2, 16);
	pkt_unref(p);
	ck_assert_uint_eq(ST(mld_query_rx), 3);
	/* A query from a global address is invalid. */
	static const uint8_t q2[20];
	p = b6_icmp(B6_PEER, B6_ALL_NODES, 1, ICMP6_MLD_QUERY, 0, 0, q2, sizeof(q2));
	fx_inject(p);
	ck_assert_uint_eq(ST(mld_drop_malformed), 1);
}
END_TEST

START_TEST(mld_leaving_a_group_is_reported_and_stops_its_traffic)
{
	fx6_setup();
	uint8_t g[16];
	ip6_solicited_node(B6_STACK, g);
	struct ns_ip a = ip6a(B6_STACK);
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &a), 0);
	fx_advance(2 * NS_SEC);
	struct b_frame6 f;
	int n = 0;
	struct pkt *p;
	while ((p = take_type(F.ch, ICMP6_MLD2_REPORT, &f))) {
		uint8_t types[4], groups[4][16];
		ck_assert_uint_eq(mld_records(&f, types, groups), 1);
		ck_assert_uint_eq(types[0], 3); /* CHANGE_TO_INCLUDE_MODE {} */
		ck_assert_mem_eq(groups[0], g, 16);
		pkt_unref(p);
		n++;
	}
	ck_assert_int_eq(n, 2); /* Robustness Variable */
	fx_inject(b6_ping(B6_PEER, g, 1, 1, 8));
	ck_assert_uint_eq(ST(ip6_drop_not_for_us), 1);
}
END_TEST

START_TEST(ndp_advertised_prefix_and_configured_address_keep_their_own_routes)
{
	fx6_setup();
	uint8_t pfx[16], a[16], dst[16];
	b6_addr("2001:db8:5::", pfx);
	b6_addr("2001:db8:5::2", a);
	b6_addr("2001:db8:5::9", dst);
	struct b6_ra ra = { .src = B6_PEER_LL, .npi = 1,
			    .pi = { { .prefix = pfx, .plen = 64, .flags = 0x80, .valid = 10,
				      .preferred = 10 } } };
	fx_inject(b6_ra(&ra));
	add_addr(a, 64);
	struct ns_rt rt;
	ck_assert_int_eq(ns_route6(F.st, dst, NULL, 0, &rt), 0);
	/* The prefix expires; the address's own route stays. */
	fx_advance(11 * NS_SEC);
	ck_assert_int_eq(ns_route6(F.st, dst, NULL, 0, &rt), 0);
	ck_assert_mem_eq(rt.nexthop.v6, dst, 16);
	struct ns_ip ip = ip6a(a);
	ck_assert_int_eq(ns_stack_del_addr(F.st, F.nic, &ip), 0);
	ck_assert_int_eq(ns_route6(F.st, dst, NULL, 0, &rt), -ENETUNREACH);
	fx_drain();
}
END_TEST

START_TEST(ndp_slaac_address_that_failed_dad_ends_with_its_lifetime)
{
	fx6_setup();
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.dad_transmits", "1"), 0);
	uint8_t pfx[16], slaac[16];
	b6_addr("2001:db8:6::", pfx);
	b6_addr("2001:db8:6::ff:fe00:2", slaac);
	struct b6_ra ra = { .src = B6_PEER_LL, .npi = 1,
			    .pi = { { .prefix = pfx, .plen = 64, .flags = 0x40, .valid = 30,
				      .preferred = 20 } } };
	fx_inject(b6_ra(&ra));
	ck_assert_int_eq(fx6_state(slaac), NS_ADDR_TENTATIVE);
	fx_inject(b6_na(B6_PEER, B6_ALL_NODES, slaac, 0x20, OTHER_MAC));
	ck_assert_int_eq(fx6_state(slaac), NS_ADDR_DADFAILED);
	/* The prefix again: no second try (RFC 4862 5.5.3 d, the address
	 * exists), until the failed one's valid lifetime is over. */
	fx_inject(b6_ra(&ra));
	ck_assert_int_eq(fx6_state(slaac), NS_ADDR_DADFAILED);
	ck_assert_uint_eq(ST(ndp_slaac_addrs), 1);
	fx_advance(31 * NS_SEC);
	ck_assert_int_eq(fx6_state(slaac), -EADDRNOTAVAIL);
	fx_drain();
}
END_TEST

Suite *ndp_suite(void)
{
	Suite *s = unit_suite("ndp");
	ADD_FX(s, ndp_new_link_gets_link_local_after_dad_then_solicits_routers);
	ADD_FX(s, ndp_advertisement_of_a_tentative_address_makes_it_dadfailed);
	ADD_FX(s, ndp_probe_for_a_tentative_address_from_another_node_makes_it_dadfailed);
	ADD_FX(s, ndp_solicitation_is_answered_and_teaches_the_sender);
	ADD_FX(s, ndp_resolution_holds_packets_until_the_advertisement);
	ADD_FX(s, ndp_unreachability_detection_goes_stale_delay_probe_failed);
	ADD_FX(s, ndp_advertisement_override_rules);
	ADD_FX(s, ndp_invalid_messages_are_dropped_and_counted);
	ADD_FX(s, ndp_router_advertisement_configures_the_link);
	ADD_FX(s, ndp_multicast_prefix_gives_no_address_and_no_route);
	ADD_FX(s, ndp_lifetimes_end_routers_prefixes_and_addresses);
	ADD_FX(s, ndp_slaac_valid_lifetime_follows_the_two_hour_rule);
	ADD_FX(s, ndp_advertised_prefix_and_configured_address_keep_their_own_routes);
	ADD_FX(s, ndp_slaac_address_that_failed_dad_ends_with_its_lifetime);
	ADD_FX(s, mld_queries_are_answered_with_our_groups);
	ADD_FX(s, mld_leaving_a_group_is_reported_and_stops_its_traffic);
	return s;
}
