/* IPv6 helpers on the unit-test fixture (see fx6.h). */
#include "fx6.h"

void fx6_setup(void)
{
	ck_assert_int_eq(ns_stack_set_option(F.st, "ip6.dad_transmits", "0"), 0);
	struct ns_ip a;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	memcpy(a.v6, B6_STACK, 16);
	ck_assert_int_eq(ns_stack_add_addr(F.st, F.nic, &a, 64), 0);
	ck_assert_int_eq(fx6_state(B6_STACK), NS_ADDR_PREFERRED);
	fx_advance(2 * NS_SEC);
	fx_drain();
}

static int is_mld_report(const struct b_frame6 *f)
{
	return f->is_ip6 && f->nxt == IP6_NH_ICMPV6 &&
	       (f->icmp_type == ICMP6_MLD2_REPORT || f->icmp_type == ICMP6_MLD1_REPORT ||
		f->icmp_type == ICMP6_MLD1_DONE);
}

struct pkt *fx6_take(struct b_frame6 *f)
{
	for (;;) {
		struct pkt *p = ns_channel_take(F.ch);
		if (!p)
			return NULL;
		ck_assert_msg(b_parse6(p, f) == 0, "the stack sent a malformed IPv6 frame");
		if (is_mld_report(f)) {
			pkt_unref(p);
			continue;
		}
		return p;
	}
}

void fx6_learn_peer(const uint8_t ip[16], const uint8_t mac[6])
{
	fx_inject(b6_ns(ip, B6_STACK, B6_STACK, mac));
	struct b_frame6 f;
	struct pkt *p = FX6_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP6_ND_NA);
	pkt_unref(p);
	fx_drain();
}

int fx6_state(const uint8_t a[16])
{
	struct ns_ip ip;
	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET6;
	memcpy(ip.v6, a, 16);
	return ns_stack_addr_state(F.st, F.nic, &ip);
}

int fx6_neigh(const uint8_t ip[16], uint8_t mac[6])
{
	struct ns_ip a;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	memcpy(a.v6, ip, 16);
	return neigh_lookup_state(F.st, F.nic, &a, mac);
}
