/*
 * Loopback endpoint: frames sent are queued and delivered back on the next
 * poll, never recursively from inside output (so a reply generated while
 * processing input cannot re-enter the stack). The event loop sees pending()
 * and does not sleep while frames wait.
 *
 * Checksums are never computed on loopback: PARTIAL frames come back marked
 * verified, as Linux's lo does.
 */
#include <errno.h>
#include <stdlib.h>

#include "ns/link.h"

struct loopback {
	struct ns_link link;
	struct pkt_queue q;
};

static int lo_output(struct ns_link *l, struct pkt *p)
{
	struct loopback *lo = ns_container_of(l, struct loopback, link);
	if (lo->q.count >= 4096) {
		l->stats.tx_dropped++;
		pkt_unref(p);
		return -ENOBUFS;
	}
	if (p->flags & PKT_F_CSUM_PARTIAL) {
		p->flags &= ~PKT_F_CSUM_PARTIAL;
		p->flags |= PKT_F_CSUM_VERIFIED;
	}
	/* A TCP super-segment arrives as one segment. A UDP GSO datagram
	 * stays one too, as on Linux's lo: udp.c gives a UDP_GRO socket it
	 * whole and any other its segments, so it keeps its mark. */
	if (p->gso_type != PKT_GSO_UDP_L4)
		p->gso_type = PKT_GSO_NONE;
	l->stats.tx_frames++;
	l->stats.tx_bytes += p->len;
	pkt_queue_push(&lo->q, p);
	return 0;
}

static int lo_poll(struct ns_link *l, int budget)
{
	struct loopback *lo = ns_container_of(l, struct loopback, link);
	int n = 0;
	/* Only what was queued before this poll: replies wait for the next. */
	uint32_t avail = lo->q.count;
	while (n < budget && avail--) {
		struct pkt *p = pkt_queue_pop(&lo->q);
		uint32_t keep = p->flags & PKT_F_CSUM_VERIFIED;
		struct ns_nic *nic = p->nic;
		/* Received frames start with fresh metadata. */
		p->flags = keep;
		p->nic = nic;
		ns_link_deliver(l, p);
		n++;
	}
	return n;
}

static int lo_pending(const struct ns_link *l)
{
	const struct loopback *lo = ns_container_of(l, const struct loopback, link);
	return (int)lo->q.count;
}

static void lo_destroy(struct ns_link *l)
{
	struct loopback *lo = ns_container_of(l, struct loopback, link);
	pkt_queue_purge(&lo->q);
	free(lo);
}

static const struct ns_link_ops loopback_ops = {
	.kind = "loopback",
	.output = lo_output,
	.poll = lo_poll,
	.pending = lo_pending,
	.destroy = lo_destroy,
};

int ns_loopback_link_create(struct ns_link **out)
{
	struct loopback *lo = calloc(1, sizeof(*lo));
	if (!lo)
		return -ENOMEM;
	ns_link_init(&lo->link, &loopback_ops, "lo");
	lo->link.caps = NS_LINK_CAP_LOOPBACK | NS_LINK_CAP_TX_CSUM | NS_LINK_CAP_RX_CSUM |
			NS_LINK_CAP_GSO;
	lo->link.mtu = 65536;
	pkt_queue_init(&lo->q);
	*out = &lo->link;
	return 0;
}
