/*
 * Link endpoints: where Ethernet frames enter and leave the stack.
 *
 * A link is a const ops table plus a capability bitmask. The stack calls
 * ns_link_output() to send a frame (starting at the Ethernet header) and the
 * link calls its rx callback for each frame it receives. Links that own a
 * host fd expose it for the event loop; ns_link_poll() reads a batch when the
 * fd is readable and ns_link_flush() pushes out frames queued by output (the
 * loop calls flush before it sleeps, so batching costs no latency).
 *
 * Every op has a refusing default, so an endpoint fills in only what it has.
 */
#ifndef NS_LINK_H
#define NS_LINK_H

#include <stdint.h>
#include "ns/pkt.h"

/* Capability bits (link->caps). */
enum {
	NS_LINK_CAP_RESOLVE = 1u << 0,	   /* needs ARP/NDP to address frames */
	NS_LINK_CAP_LOOPBACK = 1u << 1,	   /* frames come straight back */
	NS_LINK_CAP_TX_CSUM = 1u << 2,	   /* accepts PKT_F_CSUM_PARTIAL on output */
	NS_LINK_CAP_RX_CSUM = 1u << 3,	   /* may mark input checksums verified */
	NS_LINK_CAP_GSO = 1u << 4,	   /* accepts TCP super-segments on output */
	NS_LINK_CAP_GRO = 1u << 5,	   /* may deliver coalesced TCP segments */
};

struct ns_link;
typedef void (*ns_link_rx_fn)(void *ctx, struct pkt *p); /* consumes p */

struct ns_link_stats {
	uint64_t rx_frames, rx_bytes, rx_errors, rx_dropped_nomem, rx_truncated;
	uint64_t rx_dropped_host; /* dropped by the host before we read them */
	uint64_t rx_bufs_held;	  /* packet buffers kept for receiving into */
	uint64_t tx_frames, tx_bytes, tx_errors, tx_dropped;
};

struct ns_link_ops {
	const char *kind;
	/* Send one frame. Consumes p on every path. Returns 0 or -errno. */
	int (*output)(struct ns_link *l, struct pkt *p);
	/* Push out queued frames. Returns the number sent or -errno. */
	int (*flush)(struct ns_link *l);
	/* Read up to `budget` frames and deliver them to rx. Returns count. */
	int (*poll)(struct ns_link *l, int budget);
	/* Pollable host fd, or -1. */
	int (*fd)(const struct ns_link *l);
	/* Frames waiting to be delivered without the fd (loopback, channel). */
	int (*pending)(const struct ns_link *l);
	void (*destroy)(struct ns_link *l);
	/* Bring stats up to date from the host (optional). */
	void (*refresh_stats)(struct ns_link *l);
};

struct ns_link {
	const struct ns_link_ops *ops;
	uint32_t caps;
	uint32_t mtu;	      /* largest L3 packet (Ethernet payload) */
	uint8_t mac[6];
	char name[16];
	ns_link_rx_fn rx;
	void *rx_ctx;
	struct ns_link_stats stats;
};

void ns_link_init(struct ns_link *l, const struct ns_link_ops *ops, const char *name);

static inline void ns_link_set_rx(struct ns_link *l, ns_link_rx_fn fn, void *ctx)
{
	l->rx = fn;
	l->rx_ctx = ctx;
}

/* Deliver a received frame to the link's owner. Consumes p. */
void ns_link_deliver(struct ns_link *l, struct pkt *p);

int ns_link_output(struct ns_link *l, struct pkt *p); /* consumes p */
int ns_link_flush(struct ns_link *l);
int ns_link_poll(struct ns_link *l, int budget);
int ns_link_fd(const struct ns_link *l);
int ns_link_pending(const struct ns_link *l);
void ns_link_destroy(struct ns_link *l);
void ns_link_refresh_stats(struct ns_link *l);

/* ---- Endpoints ---- */

struct ns_packet_link_opts {
	int vnet_hdr;	/* 1: use PACKET_VNET_HDR (offloads); 0: plain frames */
	int batch;	/* frames per recvmmsg/sendmmsg, default 64 */
};
/* AF_PACKET socket bound to interface `ifname` in the current netns. */
int ns_packet_link_open(const char *ifname, const struct ns_packet_link_opts *o,
			struct ns_link **out);

/* A tap device (created if absent) in the current netns. */
int ns_tap_link_open(const char *ifname, int vnet_hdr, struct ns_link **out);

/* Loopback: every frame sent is received again, on the next poll. */
int ns_loopback_link_create(struct ns_link **out);

/*
 * In-memory channel for tests: frames sent are queued for the test to take
 * (ns_channel_take), frames the test injects are delivered to rx.
 */
int ns_channel_link_create(const uint8_t mac[6], uint32_t mtu, uint32_t caps,
			   struct ns_link **out);
/* Gives ownership of the oldest sent frame to the caller; NULL when none. */
struct pkt *ns_channel_take(struct ns_link *l);
/* Consumes p: delivered to rx at once. */
void ns_channel_inject(struct ns_link *l, struct pkt *p);
int ns_channel_queued(const struct ns_link *l);

/*
 * pcap capture. A sink is one pcap file shared by any number of sniffers;
 * each sniffer wraps a link and records every frame in and out. The file is
 * flushed on every ns_link_flush(), so a killed process leaves a readable
 * file with every frame up to the last loop iteration.
 */
struct ns_pcap_sink;
int ns_pcap_sink_open(const char *path, struct ns_pcap_sink **out);
void ns_pcap_sink_flush(struct ns_pcap_sink *s);
void ns_pcap_sink_close(struct ns_pcap_sink *s);
/* Takes ownership of `inner`; destroying the sniffer destroys it. */
int ns_sniffer_wrap(struct ns_link *inner, struct ns_pcap_sink *sink,
		    ns_time_t (*clock)(void), struct ns_link **out);

#endif
