/*
 * The stack's counters. Every reason a packet is dropped has its own counter
 * here; `moat stack` prints them on SIGUSR1 and at exit, tests assert on them.
 *
 * X(group, name): the member is group_name, printed as "group.name".
 */
#ifndef NS_STATS_H
#define NS_STATS_H

#include <stdint.h>

#define NS_STATS(X)                                                              \
	X(eth, rx)                                                               \
	X(eth, tx)                                                               \
	X(eth, drop_short)                                                       \
	X(eth, drop_vlan)                                                        \
	X(eth, drop_llc)                                                         \
	X(eth, drop_not_for_us)                                                  \
	X(eth, drop_bad_src)                                                     \
	X(eth, drop_unknown_type)                                                \
	X(eth, drop_nomem)                                                       \
	X(arp, rx)                                                               \
	X(arp, drop_malformed)                                                   \
	X(arp, drop_bad_op)                                                      \
	X(arp, drop_bad_sender)                                                  \
	X(arp, drop_not_for_us)                                                  \
	X(arp, request_rx)                                                       \
	X(arp, reply_rx)                                                         \
	X(arp, tx_request)                                                       \
	X(arp, tx_reply)                                                         \
	X(arp, tx_gratuitous)                                                    \
	X(neigh, created)                                                        \
	X(neigh, resolved)                                                       \
	X(neigh, failed)                                                         \
	X(neigh, queue_overflow)                                                 \
	X(neigh, drop_unresolved)                                                \
	X(neigh, table_full)                                                     \
	X(neigh, gc)                                                             \
	X(ip4, rx)                                                               \
	X(ip4, tx)                                                               \
	X(ip4, delivered)                                                        \
	X(ip4, drop_short)                                                       \
	X(ip4, drop_version)                                                     \
	X(ip4, drop_ihl)                                                         \
	X(ip4, drop_len)                                                         \
	X(ip4, drop_csum)                                                        \
	X(ip4, drop_options)                                                     \
	X(ip4, drop_martian_src)                                                 \
	X(ip4, drop_not_for_us)                                                  \
	X(ip4, drop_unknown_proto)                                               \
	X(ip4, drop_bcast_unicast_l2)                                            \
	X(ip4, drop_nomem)                                                       \
	X(ip4, tx_no_route)                                                      \
	X(ip4, tx_too_big)                                                       \
	X(ip4, tx_nomem)                                                         \
	X(ip4, frag_created)                                                     \
	X(ip4, frag_ok)                                                          \
	X(ip4, reasm_frags)                                                      \
	X(ip4, reasm_frags_merged)                                               \
	X(ip4, reasm_frags_dropped)                                              \
	X(ip4, reasm_ok)                                                         \
	X(ip4, reasm_dup)                                                        \
	X(ip4, reasm_overlap)                                                    \
	X(ip4, reasm_bad_len)                                                    \
	X(ip4, reasm_timeout)                                                    \
	X(ip4, reasm_too_many_frags)                                             \
	X(ip4, reasm_mem_evict)                                                  \
	X(ip4, reasm_too_many_dgrams)                                            \
	X(ip4, reasm_nomem)                                                      \
	X(icmp, rx)                                                              \
	X(icmp, tx)                                                              \
	X(icmp, drop_short)                                                      \
	X(icmp, drop_csum)                                                       \
	X(icmp, drop_bcast_echo)                                                 \
	X(icmp, drop_unknown_type)                                               \
	X(icmp, drop_bad_error)                                                  \
	X(icmp, drop_nomem)                                                      \
	X(icmp, echo_rx)                                                         \
	X(icmp, echo_reply_tx)                                                   \
	X(icmp, err_rx)                                                          \
	X(icmp, err_no_socket)                                                   \
	X(icmp, unreach_tx)                                                      \
	X(icmp, time_exceeded_tx)                                                \
	X(icmp, param_prob_tx)                                                   \
	X(icmp, err_rate_limited)                                                \
	X(icmp, err_suppressed)                                                  \
	X(ip6, rx)                                                               \
	X(ip6, tx)                                                               \
	X(ip6, delivered)                                                        \
	X(ip6, drop_disabled)                                                    \
	X(ip6, drop_short)                                                       \
	X(ip6, drop_version)                                                     \
	X(ip6, drop_len)                                                         \
	X(ip6, drop_martian_src)                                                 \
	X(ip6, drop_martian_dst)                                                 \
	X(ip6, drop_not_for_us)                                                  \
	X(ip6, drop_tentative)                                                   \
	X(ip6, drop_bad_ext)                                                     \
	X(ip6, drop_bad_option)                                                  \
	X(ip6, drop_unknown_option)                                              \
	X(ip6, drop_routing_hdr)                                                 \
	X(ip6, drop_no_next_header)                                              \
	X(ip6, drop_unknown_proto)                                               \
	X(ip6, drop_frag_hdr_chain)                                              \
	X(ip6, frag_atomic)                                                      \
	X(ip6, tx_no_route)                                                      \
	X(ip6, tx_too_big)                                                       \
	X(ip6, tx_nomem)                                                         \
	X(ip6, frag_created)                                                     \
	X(ip6, frag_ok)                                                          \
	X(ip6, reasm_frags)                                                      \
	X(ip6, reasm_frags_merged)                                               \
	X(ip6, reasm_frags_dropped)                                              \
	X(ip6, reasm_ok)                                                         \
	X(ip6, reasm_dup)                                                        \
	X(ip6, reasm_overlap)                                                    \
	X(ip6, reasm_bad_len)                                                    \
	X(ip6, reasm_timeout)                                                    \
	X(ip6, reasm_too_many_frags)                                             \
	X(ip6, reasm_mem_evict)                                                  \
	X(ip6, reasm_too_many_dgrams)                                            \
	X(ip6, reasm_nomem)                                                      \
	X(icmp6, rx)                                                             \
	X(icmp6, tx)                                                             \
	X(icmp6, drop_short)                                                     \
	X(icmp6, drop_csum)                                                      \
	X(icmp6, drop_unknown_type)                                              \
	X(icmp6, drop_bad_error)                                                 \
	X(icmp6, drop_nomem)                                                     \
	X(icmp6, echo_rx)                                                        \
	X(icmp6, echo_reply_tx)                                                  \
	X(icmp6, echo_no_source)                                                 \
	X(icmp6, err_rx)                                                         \
	X(icmp6, err_no_socket)                                                  \
	X(icmp6, too_big_rx)                                                     \
	X(icmp6, pmtu_updated)                                                   \
	X(icmp6, unreach_tx)                                                     \
	X(icmp6, time_exceeded_tx)                                               \
	X(icmp6, param_prob_tx)                                                  \
	X(icmp6, err_rate_limited)                                               \
	X(icmp6, err_suppressed)                                                 \
	X(ndp, rx)                                                               \
	X(ndp, drop_hop_limit)                                                   \
	X(ndp, drop_malformed)                                                   \
	X(ndp, drop_not_for_us)                                                  \
	X(ndp, ns_rx)                                                            \
	X(ndp, na_rx)                                                            \
	X(ndp, rs_rx)                                                            \
	X(ndp, ra_rx)                                                            \
	X(ndp, ra_ignored)                                                       \
	X(ndp, redirect_rx)                                                      \
	X(ndp, ns_tx)                                                            \
	X(ndp, na_tx)                                                            \
	X(ndp, rs_tx)                                                            \
	X(ndp, dad_ok)                                                           \
	X(ndp, dad_failed)                                                       \
	X(ndp, slaac_addrs)                                                      \
	X(mld, rx)                                                               \
	X(mld, drop_malformed)                                                   \
	X(mld, query_rx)                                                         \
	X(mld, report_rx)                                                        \
	X(mld, report_tx)                                                        \
	X(udp, rx)                                                               \
	X(udp, tx)                                                               \
	X(udp, delivered)                                                        \
	X(udp, drop_short)                                                       \
	X(udp, drop_len)                                                         \
	X(udp, drop_csum)                                                        \
	X(udp, drop_no_port)                                                     \
	X(udp, drop_rcvbuf)                                                      \
	X(udp, drop_nomem)                                                       \
	X(tcp, rx)                                                               \
	X(tcp, tx)                                                               \
	X(tcp, drop_short)                                                       \
	X(tcp, drop_bad_offset)                                                  \
	X(tcp, drop_csum)                                                        \
	X(tcp, drop_bcast)                                                       \
	X(tcp, drop_port_zero)                                                   \
	X(tcp, drop_no_port)                                                     \
	X(tcp, drop_nomem)                                                       \
	X(tcp, bad_options)                                                      \
	X(tcp, rx_coalesced)                                                     \
	X(tcp, rst_rx)                                                           \
	X(tcp, rst_tx)                                                           \
	X(tcp, active_opens)                                                     \
	X(tcp, passive_opens)                                                    \
	X(tcp, established_resets)                                               \
	X(tcp, rcv_duplicate)                                                    \
	X(tcp, rcv_ooo)                                                          \
	X(tcp, rcv_out_of_window)                                                \
	X(tcp, rcv_no_room)                                                      \
	X(tcp, paws_rejected)                                                    \
	X(tcp, challenge_ack)                                                    \
	X(tcp, challenge_ack_limited)                                            \
	X(tcp, ack_too_new)                                                      \
	X(tcp, ack_too_old)                                                      \
	X(tcp, abort_on_data)                                                    \
	X(tcp, abort_on_close)                                                   \
	X(tcp, abort_on_linger)                                                  \
	X(tcp, abort_on_timeout)                                                 \
	X(tcp, abort_on_keepalive)                                               \
	X(tcp, timewait_reuse)                                                   \
	X(tcp, retrans_segs)                                                     \
	X(tcp, rto_expired)                                                      \
	X(tcp, recoveries)                                                       \
	X(tcp, loss_probes)                                                      \
	X(tcp, rack_reo_timeouts)                                                \
	X(tcp, sack_blocks_rx)                                                   \
	X(tcp, dsack_rx)                                                         \
	X(tcp, dsack_tx)                                                         \
	X(tcp, zero_window_probes)                                               \
	X(tcp, keepalive_probes)                                                 \
	X(tcp, syn_retrans)                                                      \
	X(tcp, synack_retrans)                                                   \
	X(tcp, listen_overflows)                                                 \
	X(tcp, listen_drops)                                                     \
	X(tcp, syncookies_sent)                                                  \
	X(tcp, syncookies_recv)                                                  \
	X(tcp, syncookies_failed)                                                \
	X(tcp, icmp_out_of_window)                                               \
	X(tcp, pmtu_lowered)                                                     \
	X(tcp, ecn_ce_rx)                                                        \
	X(tcp, ecn_reductions)                                                   \
	X(tcp, oow_ack_limited)

struct ns_stats {
#define NS_STAT_MEMBER(g, n) uint64_t g##_##n;
	NS_STATS(NS_STAT_MEMBER)
#undef NS_STAT_MEMBER
};

/* Calls fn(name, value, arg) for every counter, in declaration order. */
void ns_stats_foreach(const struct ns_stats *s,
		      void (*fn)(const char *name, uint64_t value, void *arg), void *arg);

#endif
