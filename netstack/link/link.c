/* Link endpoint wrappers with refusing defaults (see ns/link.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ns/link.h"

void ns_link_init(struct ns_link *l, const struct ns_link_ops *ops, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->ops = ops;
	l->mtu = 1500;
	snprintf(l->name, sizeof(l->name), "%s", name ? name : ops->kind);
}

void ns_link_deliver(struct ns_link *l, struct pkt *p)
{
	l->stats.rx_frames++;
	l->stats.rx_bytes += p->len;
	if (!l->rx) {
		pkt_unref(p);
		return;
	}
	l->rx(l->rx_ctx, p);
}

int ns_link_output(struct ns_link *l, struct pkt *p)
{
	if (!l->ops->output) {
		l->stats.tx_dropped++;
		pkt_unref(p);
		return -EOPNOTSUPP;
	}
	return l->ops->output(l, p);
}

int ns_link_flush(struct ns_link *l)
{
	return l->ops->flush ? l->ops->flush(l) : 0;
}

int ns_link_poll(struct ns_link *l, int budget)
{
	return l->ops->poll ? l->ops->poll(l, budget) : 0;
}

int ns_link_fd(const struct ns_link *l)
{
	return l->ops->fd ? l->ops->fd(l) : -1;
}

int ns_link_pending(const struct ns_link *l)
{
	return l->ops->pending ? l->ops->pending(l) : 0;
}

void ns_link_refresh_stats(struct ns_link *l)
{
	if (l->ops->refresh_stats)
		l->ops->refresh_stats(l);
}

void ns_link_destroy(struct ns_link *l)
{
	if (l && l->ops->destroy)
		l->ops->destroy(l);
}
