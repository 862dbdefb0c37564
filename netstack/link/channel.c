/*
 * In-memory channel endpoint for tests: what the stack sends is queued for
 * the test (ns_channel_take), what the test injects is delivered at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ns/link.h"

struct channel {
	struct ns_link link;
	struct pkt_queue out;
};

static int ch_output(struct ns_link *l, struct pkt *p)
{
	struct channel *ch = ns_container_of(l, struct channel, link);
	l->stats.tx_frames++;
	l->stats.tx_bytes += p->len;
	pkt_queue_push(&ch->out, p);
	return 0;
}

static void ch_destroy(struct ns_link *l)
{
	struct channel *ch = ns_container_of(l, struct channel, link);
	pkt_queue_purge(&ch->out);
	free(ch);
}

static const struct ns_link_ops channel_ops = {
	.kind = "channel",
	.output = ch_output,
	.destroy = ch_destroy,
};

int ns_channel_link_create(const uint8_t mac[6], uint32_t mtu, uint32_t caps,
			   struct ns_link **out)
{
	struct channel *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ns_link_init(&ch->link, &channel_ops, "ch0");
	memcpy(ch->link.mac, mac, 6);
	ch->link.mtu = mtu;
	ch->link.caps = caps;
	pkt_queue_init(&ch->out);
	*out = &ch->link;
	return 0;
}

struct pkt *ns_channel_take(struct ns_link *l)
{
	struct channel *ch = ns_container_of(l, struct channel, link);
	return pkt_queue_pop(&ch->out);
}

int ns_channel_queued(const struct ns_link *l)
{
	const struct channel *ch = ns_container_of(l, const struct channel, link);
	return (int)ch->out.count;
}

void ns_channel_inject(struct ns_link *l, struct pkt *p)
{
	ns_link_deliver(l, p);
}
