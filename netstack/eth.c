/*
 * Ethernet II framing (IEEE 802.3 with EtherType, RFC 894).
 *
 * Input accepts frames to our MAC, broadcast and multicast (the IP layers
 * decide about groups); 802.3 length-field frames (LLC) and VLAN-tagged frames
 * are dropped and counted: the stack has no VLAN interfaces.
 */
#include "stack_priv.h"

void eth_input(void *arg, struct pkt *p)
{
	struct ns_nic *nic = arg;
	struct ns_stack *st = nic->stack;

	NS_STAT_INC(st, eth_rx);
	nic->st.rx_packets++;
	nic->st.rx_bytes += p->len;
	p->nic = nic;
	if (nic->down) {
		NS_STAT_INC(st, eth_drop_link_down);
		goto drop;
	}
	if (p->len < ETH_HDR_LEN) {
		NS_STAT_INC(st, eth_drop_short);
		goto drop;
	}
	const uint8_t *h = pkt_data(p);
	const uint8_t *dst = h, *src = h + 6;
	uint16_t type = ns_rd16(h + 12);

	if (!(nic->caps & NS_LINK_CAP_LOOPBACK)) {
		if (eth_is_bcast(dst)) {
			p->flags |= PKT_F_BCAST;
		} else if (eth_is_mcast(dst)) {
			p->flags |= PKT_F_MCAST;
		} else if (memcmp(dst, nic->mac, 6) != 0) {
			NS_STAT_INC(st, eth_drop_not_for_us);
			goto drop;
		}
		/* A multicast source address is never valid (IEEE 802.3). */
		if (eth_is_mcast(src)) {
			NS_STAT_INC(st, eth_drop_bad_src);
			goto drop;
		}
	}
	if (type < 0x0600) {
		NS_STAT_INC(st, eth_drop_llc);
		goto drop;
	}
	p->ethertype = type;
	pkt_pull(p, ETH_HDR_LEN);
	p->l3_off = pkt_pos(p);
	p->flags |= PKT_F_L2;
	switch (type) {
	case ETHERTYPE_IPV4:
		ip4_input(nic, p);
		return;
	case ETHERTYPE_ARP:
		arp_input(nic, p);
		return;
	case ETHERTYPE_IPV6:
		ip6_input(nic, p);
		return;
	case ETHERTYPE_VLAN:
	case ETHERTYPE_QINQ:
		NS_STAT_INC(st, eth_drop_vlan);
		goto drop;
	default:
		NS_STAT_INC(st, eth_drop_unknown_type);
		goto drop;
	}
drop:
	nic->st.rx_dropped++;
	pkt_unref(p);
}

int eth_output(struct ns_nic *nic, struct pkt *p, const uint8_t *dst_mac, uint16_t ethertype)
{
	struct ns_stack *st = nic->stack;
	if (nic->down) {
		/* What is already routed to a link that went down (the
		 * loopback keeps its routes) is lost, silently, as on Linux. */
		NS_STAT_INC(st, eth_drop_link_down);
		nic->st.tx_dropped++;
		pkt_unref(p);
		return 0;
	}
	uint8_t *h = pkt_push(p, ETH_HDR_LEN);
	if (!h) {
		NS_STAT_INC(st, eth_drop_nomem);
		nic->st.tx_dropped++;
		pkt_unref(p);
		return -ENOBUFS;
	}
	if (dst_mac)
		memcpy(h, dst_mac, 6);
	else
		memset(h, 0, 6);
	memcpy(h + 6, nic->mac, 6);
	ns_wr16(h + 12, ethertype);
	NS_STAT_INC(st, eth_tx);
	nic->st.tx_packets++;
	nic->st.tx_bytes += p->len;
	p->nic = nic;
	if (st->tx_stamp)
		ns_tx_stamp_frame(st, p, nic->id);
	return ns_link_output(nic->link, p);
}
