/*
 * IPv6: placeholder until the IPv6 network layer lands (see the contract in
 * stack_priv.h). Every IPv6 frame is dropped and counted; IPv6 sends fail
 * with EAFNOSUPPORT/ENETUNREACH.
 */
#include "stack_priv.h"

void ip6_input(struct ns_nic *nic, struct pkt *p)
{
	NS_STAT_INC(nic->stack, eth_drop_unknown_type);
	pkt_unref(p);
}

int ip6_output(struct ns_stack *st, struct pkt *p, const struct ns_ip_tx *tx)
{
	NS_UNUSED(st);
	NS_UNUSED(tx);
	pkt_unref(p);
	return -ENETUNREACH;
}

int ns_route6(struct ns_stack *st, const uint8_t dst[16], const uint8_t *src, int bound_nic,
	      struct ns_rt *rt)
{
	NS_UNUSED(st);
	NS_UNUSED(dst);
	NS_UNUSED(src);
	NS_UNUSED(bound_nic);
	memset(rt, 0, sizeof(*rt));
	return -ENETUNREACH;
}

struct ns_nic *ns_addr6_nic(struct ns_stack *st, const uint8_t a[16])
{
	NS_UNUSED(st);
	NS_UNUSED(a);
	return NULL;
}

void ip6_local_error(struct ns_stack *st, const struct pkt *p, int err)
{
	NS_UNUSED(st);
	NS_UNUSED(p);
	NS_UNUSED(err);
}

int ip6_add_addr(struct ns_stack *st, struct ns_nic *nic, const uint8_t a[16], unsigned prefixlen)
{
	NS_UNUSED(st);
	NS_UNUSED(nic);
	NS_UNUSED(a);
	NS_UNUSED(prefixlen);
	return -EAFNOSUPPORT;
}

int ip6_del_addr(struct ns_stack *st, struct ns_nic *nic, const uint8_t a[16])
{
	NS_UNUSED(st);
	NS_UNUSED(nic);
	NS_UNUSED(a);
	return -EADDRNOTAVAIL;
}

void ip6_nic_added(struct ns_stack *st, struct ns_nic *nic)
{
	NS_UNUSED(st);
	NS_UNUSED(nic);
}

void icmp6_send_error(struct ns_stack *st, const struct pkt *orig, uint8_t type, uint8_t code,
		      uint32_t info)
{
	NS_UNUSED(st);
	NS_UNUSED(orig);
	NS_UNUSED(type);
	NS_UNUSED(code);
	NS_UNUSED(info);
}

int ip6_init(struct ns_stack *st)
{
	NS_UNUSED(st);
	return 0;
}

void ip6_fini(struct ns_stack *st)
{
	NS_UNUSED(st);
}
