/*
 * Classic BPF socket filters (SO_ATTACH_FILTER): the validator and the
 * interpreter, with Linux's rules.
 *
 * A program is an array of struct sock_filter (linux/filter.h). The
 * validator accepts what Linux accepts (1 to BPF_MAXINSNS instructions,
 * known opcodes, forward jumps that land inside the program, a RET last,
 * no division by a constant 0, no shift by 32 or more, scratch words below
 * BPF_MEMWORDS and stored on every path before they are read, only the
 * ancillary loads Linux knows); the interpreter may then assume all that.
 *
 * The interpreter runs over a packet view and returns how many bytes to
 * keep (0: drop). Every load is bounds-checked: one outside the packet
 * ends the program with 0, as Linux does. Offsets from SKF_NET_OFF and
 * SKF_LL_OFF are relative to the network and link-layer headers.
 */
#ifndef NS_BPF_H
#define NS_BPF_H

#include <linux/filter.h>
#include <stdint.h>

/* What a filter reads: the bytes and the packet's metadata. */
struct ns_bpf_pkt {
	const uint8_t *base; /* first readable byte */
	uint32_t base_len;   /* bytes readable from base */
	uint32_t data;	     /* offset 0 of the program's packet, from base (<= base_len) */
	int32_t nh;	     /* network header from base, -1: none */
	int32_t mac;	     /* link-layer header from base, -1: none */
	uint16_t protocol;   /* SKF_AD_PROTOCOL: the ethertype, host order */
	uint16_t hatype;     /* SKF_AD_HATYPE: ARPHRD_* of the interface */
	uint32_t pkttype;    /* SKF_AD_PKTTYPE: PACKET_HOST, PACKET_BROADCAST, ... */
	uint32_t ifindex;    /* SKF_AD_IFINDEX, 0: none */
	uint32_t poff;	     /* SKF_AD_PAY_OFFSET: the payload, from data */
	uint64_t rnd;	     /* SKF_AD_RANDOM's generator state; advanced by each use */
};

/* 0 if Linux would accept the program, else -EINVAL. */
int ns_bpf_check(const struct sock_filter *prog, uint32_t len);

/* Runs a program that ns_bpf_check() accepted; returns the bytes to keep. */
uint32_t ns_bpf_run(const struct sock_filter *prog, struct ns_bpf_pkt *pkt);

#endif
