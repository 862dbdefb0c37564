/*
 * ARP (RFC 826) for IPv4 over Ethernet, feeding the shared neighbour cache.
 *
 * Input follows RFC 826's "packet reception" algorithm: if the sender is in
 * the table, update it (merge); if the target is one of our addresses, add
 * the sender (create) and answer requests. Replies to our own solicitations
 * confirm reachability (RFC 4861 semantics, as Linux). Senders that claim a
 * broadcast, multicast or zero link address, or one of our IP addresses, are
 * dropped and counted.
 */
#include "stack_priv.h"

int arp_send(struct ns_nic *nic, uint16_t op, const uint8_t *dst_mac, uint32_t spa,
	     const uint8_t *tha, uint32_t tpa)
{
	struct ns_stack *st = nic->stack;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, ARP_LEN);
	if (!p)
		return -ENOBUFS;
	struct arp_repr r;
	r.op = op;
	memcpy(r.sha, nic->mac, 6);
	r.spa = spa;
	memcpy(r.tha, tha, 6);
	r.tpa = tpa;
	arp_emit(pkt_data(p), &r);
	if (op == ARP_OP_REQUEST)
		NS_STAT_INC(st, arp_tx_request);
	else
		NS_STAT_INC(st, arp_tx_reply);
	return eth_output(nic, p, dst_mac, ETHERTYPE_ARP);
}

/* Gratuitous ARP on address configuration (RFC 5227 3 "announcement"):
 * a broadcast request with sender and target both set to the address. */
void arp_announce(struct ns_nic *nic, uint32_t addr)
{
	static const uint8_t zero[6];
	NS_STAT_INC(nic->stack, arp_tx_gratuitous);
	arp_send(nic, ARP_OP_REQUEST, eth_bcast_addr, addr, zero, addr);
}

static int nic_has_addr4(const struct ns_nic *nic, uint32_t a)
{
	for (unsigned j = 0; j < nic->naddr4; j++)
		if (nic->addr4[j].addr.v4 == a)
			return 1;
	return 0;
}

void arp_input(struct ns_nic *nic, struct pkt *p)
{
	struct ns_stack *st = nic->stack;
	struct arp_repr r;

	NS_STAT_INC(st, arp_rx);
	if (arp_parse(pkt_data(p), p->len, &r) < 0) {
		NS_STAT_INC(st, arp_drop_malformed);
		goto drop;
	}
	if (r.op != ARP_OP_REQUEST && r.op != ARP_OP_REPLY) {
		NS_STAT_INC(st, arp_drop_bad_op);
		goto drop;
	}
	if (eth_is_mcast(r.sha) || eth_is_zero(r.sha) || ip4_is_mcast(r.spa) ||
	    r.spa == 0xffffffffu || !memcmp(r.sha, nic->mac, 6)) {
		/* r.spa == 0 is an RFC 5227 probe: answered below, not learnt. */
		NS_STAT_INC(st, arp_drop_bad_sender);
		goto drop;
	}
	if (r.spa && ns_addr4_nic(st, r.spa)) {
		/* Someone claims our address: do not learn it. */
		NS_STAT_INC(st, arp_drop_bad_sender);
		goto drop;
	}
	struct ns_ip sender = ns_ip4(r.spa);
	int for_us = nic_has_addr4(nic, r.tpa);

	if (r.spa) {
		unsigned fl = NEIGH_UPD_OVERRIDE;
		if (for_us) {
			fl |= NEIGH_UPD_CREATE;
			if (r.op == ARP_OP_REPLY)
				fl |= NEIGH_UPD_SOLICITED;
		}
		neigh_update(nic, &sender, r.sha, fl);
	}
	if (!for_us) {
		NS_STAT_INC(st, arp_drop_not_for_us);
		goto drop;
	}
	/* Accepted: counted so that arp.rx is the sum of its outcomes. */
	if (r.op == ARP_OP_REQUEST) {
		NS_STAT_INC(st, arp_request_rx);
		arp_send(nic, ARP_OP_REPLY, r.sha, r.tpa, r.sha, r.spa);
	} else {
		NS_STAT_INC(st, arp_reply_rx);
	}
drop:
	pkt_unref(p);
}
