/*
 * The stack's books: per-layer equations that add every received frame's
 * outcome up to the frames injected. Shared by tests/helpers/badinput.c and
 * tests/fuzz/fuzz_frame.c (header-only so that each stays one source file).
 *
 * Precondition: no reassembly queue is pending (let the clock run past the
 * reassembly timeout first), and every UDP port has at most one socket
 * (broadcast copies would count one delivery per socket).
 *
 *   link rx           = eth.rx
 *   eth.rx            = eth drops + arp.rx + ip4.rx + ip6.rx
 *   arp.rx            = arp drops + arp.request_rx + arp.reply_rx
 *   ip4.rx + reasm_ok = ip4 drops + reasm_frags + ip4.delivered
 *                       (N fragments become one datagram; the same for ip6)
 *   reasm_frags       = reasm_frags_merged + reasm_frags_dropped (both)
 *   ip4.delivered + ip6.delivered = udp.rx + icmp.rx + icmp6.rx + tcp.rx
 *                       + igmp.rx
 *   udp.rx            = udp drops + udp.delivered
 *   icmp.rx           = icmp drops before dispatch + echo_rx + err_rx
 *                       + ping_delivered + ping_drop (echo replies)
 *   icmp.echo_rx      = drop_bcast_echo + drop_nomem + drop_echo_options +
 *                       echo_reply_tx
 *   icmp.err_rx      >= drop_bad_error (the rest went to the transport;
 *                       TCP's own books are its tests' business)
 *   icmp6.rx          = icmp6 drops before dispatch + echo_rx + err_rx
 *                       + ndp.rx + mld.rx + ping_delivered + ping_drop
 *   icmp6.echo_rx     = echo_reply_tx + drop_nomem + echo_no_source
 *   ndp.rx            = ndp drops + ns_rx + na_rx + rs_rx + ra_rx
 *                       + ra_ignored + redirect_rx
 *   mld.rx            = mld.drop_malformed + query_rx + report_rx
 *   igmp.rx           = igmp drops + query_rx + report_rx
 * and the sum of every terminal outcome equals eth.rx.
 */
#ifndef TEST_BOOKS_H
#define TEST_BOOKS_H

#include <stdio.h>

#include "stack_priv.h"

struct books_eq {
	const char *what;
	uint64_t lhs, rhs;
	int at_least; /* lhs >= rhs suffices */
};

static inline int books_check(struct ns_stack *st, struct ns_link *ch, uint64_t injected,
			      char *msg, size_t msglen)
{
	const struct ns_stats *s = ns_stack_stats(st);
	uint64_t link_rx = 0;
	for (int i = 1; i <= st->nnics; i++)
		link_rx += st->nics[i]->link->stats.rx_frames;
	uint64_t eth_drops = s->eth_drop_short + s->eth_drop_not_for_us + s->eth_drop_bad_src +
			     s->eth_drop_llc + s->eth_drop_vlan + s->eth_drop_unknown_type;
	uint64_t arp_drops = s->arp_drop_malformed + s->arp_drop_bad_op + s->arp_drop_bad_sender +
			     s->arp_drop_not_for_us;
	uint64_t ip4_drops = s->ip4_drop_short + s->ip4_drop_version + s->ip4_drop_ihl +
			     s->ip4_drop_len + s->ip4_drop_csum + s->ip4_drop_options + s->ip4_drop_srcroute +
			     s->ip4_drop_martian_src + s->ip4_drop_not_for_us +
			     s->ip4_drop_bcast_unicast_l2 + s->ip4_drop_unknown_proto;
	uint64_t udp_drops = s->udp_drop_short + s->udp_drop_len + s->udp_drop_csum +
			     s->udp_drop_no_port + s->udp_drop_rcvbuf +
			     s->udp_drop_filter + s->udp_drop_encap; /* udp.drop_nomem is output */
	uint64_t icmp_pre = s->icmp_drop_short + s->icmp_drop_csum + s->icmp_drop_unknown_type;
	uint64_t icmp_err_accepted = s->icmp_err_rx - s->icmp_drop_bad_error;
	uint64_t ip6_drops = s->ip6_drop_disabled + s->ip6_drop_short + s->ip6_drop_version +
			     s->ip6_drop_len + s->ip6_drop_martian_src + s->ip6_drop_martian_dst +
			     s->ip6_drop_not_for_us + s->ip6_drop_tentative + s->ip6_drop_bad_ext +
			     s->ip6_drop_bad_option + s->ip6_drop_unknown_option +
			     s->ip6_drop_routing_hdr + s->ip6_drop_no_next_header +
			     s->ip6_drop_unknown_proto + s->ip6_drop_frag_hdr_chain;
	uint64_t icmp6_pre = s->icmp6_drop_short + s->icmp6_drop_csum + s->icmp6_drop_unknown_type;
	uint64_t icmp6_err_accepted = s->icmp6_err_rx - s->icmp6_drop_bad_error;
	uint64_t igmp_drops = s->igmp_drop_short + s->igmp_drop_csum + s->igmp_drop_malformed +
			      s->igmp_drop_unknown_type;
	uint64_t ndp_drops = s->ndp_drop_hop_limit + s->ndp_drop_malformed + s->ndp_drop_not_for_us;
	uint64_t ndp_ok = s->ndp_ns_rx + s->ndp_na_rx + s->ndp_rs_rx + s->ndp_ra_rx + s->ndp_ra_ignored +
			  s->ndp_redirect_rx;
	/* Every terminal outcome of a frame, once. */
	uint64_t outcomes = eth_drops + arp_drops + s->arp_request_rx + s->arp_reply_rx +
			    ip4_drops + (s->ip4_reasm_frags - s->ip4_reasm_ok) + udp_drops + s->udp_delivered +
			    icmp_pre + s->icmp_drop_bcast_echo + s->icmp_drop_nomem + s->icmp_drop_echo_options +
			    s->icmp_echo_reply_tx + s->icmp_drop_bad_error + icmp_err_accepted +
			    s->icmp_ping_delivered + s->icmp_ping_drop + s->icmp6_ping_delivered +
			    s->icmp6_ping_drop +
			    s->tcp_rx + ip6_drops + (s->ip6_reasm_frags - s->ip6_reasm_ok) + icmp6_pre +
			    s->icmp6_echo_reply_tx + s->icmp6_drop_nomem + s->icmp6_echo_no_source +
			    s->icmp6_drop_bad_error + icmp6_err_accepted + ndp_drops + ndp_ok +
			    s->mld_drop_malformed + s->mld_query_rx + s->mld_report_rx + igmp_drops +
			    s->igmp_query_rx + s->igmp_report_rx + s->raw_only;
	const struct books_eq eqs[] = {
		{ "channel rx frames = frames injected", ch->stats.rx_frames, injected, 0 },
		{ "link rx = eth.rx", link_rx, s->eth_rx, 0 },
		/* (our own multicast looped back to members enters IP input
		 * without a frame) */
		{ "eth.rx + mcast_looped = eth drops + arp.rx + ip4.rx + ip6.rx",
		  s->eth_rx + s->ip4_mcast_looped + s->ip6_mcast_looped,
		  eth_drops + s->arp_rx + s->ip4_rx + s->ip6_rx, 0 },
		{ "arp.rx = arp drops + request_rx + reply_rx", s->arp_rx,
		  arp_drops + s->arp_request_rx + s->arp_reply_rx, 0 },
		{ "ip4.rx + reasm_ok = ip4 drops + reasm_frags + delivered",
		  s->ip4_rx + s->ip4_reasm_ok, ip4_drops + s->ip4_reasm_frags + s->ip4_delivered, 0 },
		{ "reasm_frags = frags merged + frags dropped", s->ip4_reasm_frags,
		  s->ip4_reasm_frags_merged + s->ip4_reasm_frags_dropped, 0 },
		{ "reasm frags merged >= 2 x reasm_ok", s->ip4_reasm_frags_merged, 2 * s->ip4_reasm_ok, 1 },
		{ "ip6.rx + reasm_ok = ip6 drops + reasm_frags + delivered",
		  s->ip6_rx + s->ip6_reasm_ok, ip6_drops + s->ip6_reasm_frags + s->ip6_delivered, 0 },
		{ "ip6 reasm_frags = frags merged + frags dropped", s->ip6_reasm_frags,
		  s->ip6_reasm_frags_merged + s->ip6_reasm_frags_dropped, 0 },
		{ "ip4.delivered + ip6.delivered = udp.rx + icmp.rx + icmp6.rx + tcp.rx + igmp.rx + raw.only",
		  s->ip4_delivered + s->ip6_delivered,
		  s->udp_rx + s->icmp_rx + s->icmp6_rx + s->tcp_rx + s->igmp_rx + s->raw_only, 0 },
		{ "igmp.rx = igmp drops + query_rx + report_rx", s->igmp_rx,
		  igmp_drops + s->igmp_query_rx + s->igmp_report_rx, 0 },
		{ "icmp6.rx = pre-dispatch drops + echo_rx + err_rx + ndp.rx + mld.rx + ping_delivered + ping_drop",
		  s->icmp6_rx,
		  icmp6_pre + s->icmp6_echo_rx + s->icmp6_err_rx + s->ndp_rx + s->mld_rx + s->icmp6_ping_delivered +
			  s->icmp6_ping_drop,
		  0 },
		{ "icmp6.echo_rx = echo_reply_tx + drop_nomem + echo_no_source", s->icmp6_echo_rx,
		  s->icmp6_echo_reply_tx + s->icmp6_drop_nomem + s->icmp6_echo_no_source, 0 },
		{ "icmp6.err_rx >= drop_bad_error", s->icmp6_err_rx, s->icmp6_drop_bad_error, 1 },
		{ "ndp.rx = ndp drops + every kind received", s->ndp_rx, ndp_drops + ndp_ok, 0 },
		{ "mld.rx = drop_malformed + query_rx + report_rx", s->mld_rx,
		  s->mld_drop_malformed + s->mld_query_rx + s->mld_report_rx, 0 },
		{ "udp.rx = udp drops + udp.delivered", s->udp_rx, udp_drops + s->udp_delivered, 0 },
		{ "icmp.rx = short + csum + unknown_type + echo_rx + err_rx + ping_delivered + ping_drop",
		  s->icmp_rx, icmp_pre + s->icmp_echo_rx + s->icmp_err_rx + s->icmp_ping_delivered + s->icmp_ping_drop,
		  0 },
		{ "icmp.echo_rx = drop_bcast_echo + drop_nomem + drop_echo_options + echo_reply_tx", s->icmp_echo_rx,
		  s->icmp_drop_bcast_echo + s->icmp_drop_nomem + s->icmp_drop_echo_options + s->icmp_echo_reply_tx, 0 },
		{ "icmp.err_rx >= drop_bad_error", s->icmp_err_rx, s->icmp_drop_bad_error, 1 },
		{ "sum of every frame's outcome = frames seen by eth + mcast_looped", outcomes,
		  s->eth_rx + s->ip4_mcast_looped + s->ip6_mcast_looped, 0 },
	};
	for (unsigned i = 0; i < NS_ARRAY_SIZE(eqs); i++) {
		const struct books_eq *e = &eqs[i];
		int ok = e->at_least ? e->lhs >= e->rhs : e->lhs == e->rhs;
		if (!ok) {
			snprintf(msg, msglen, "%s: %llu vs %llu", e->what, (unsigned long long)e->lhs,
				 (unsigned long long)e->rhs);
			return -1;
		}
	}
	return 0;
}

#endif
