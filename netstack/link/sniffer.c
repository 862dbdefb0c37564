/*
 * Sniffer: wraps any link endpoint and records every frame, in and out, to a
 * pcap file through libpcap. Several sniffers may share one sink (one file
 * for every interface of a sandbox). The sink is flushed whenever the link is
 * flushed (before the event loop sleeps), so a killed process still leaves a
 * readable file that holds whole records only.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ns/link.h"

/* Big enough for a 64 KiB GSO super-frame plus headers. */
#define SNAPLEN 262144

struct ns_pcap_sink {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	uint64_t frames;
	int dirty;
};

struct sniffer {
	struct ns_link link;
	struct ns_link *inner;
	struct ns_pcap_sink *sink;
	ns_time_t (*clock)(void);
};

int ns_pcap_sink_open(const char *path, struct ns_pcap_sink **out)
{
	struct ns_pcap_sink *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (!s->dead) {
		free(s);
		return -ENOMEM;
	}
	s->dumper = pcap_dump_open(s->dead, path);
	if (!s->dumper) {
		pcap_close(s->dead);
		free(s);
		return -EACCES;
	}
	/* Write the file header now: an empty capture is a valid file too. */
	pcap_dump_flush(s->dumper);
	*out = s;
	return 0;
}

void ns_pcap_sink_flush(struct ns_pcap_sink *s)
{
	if (s && s->dirty) {
		pcap_dump_flush(s->dumper);
		s->dirty = 0;
	}
}

void ns_pcap_sink_close(struct ns_pcap_sink *s)
{
	if (!s)
		return;
	pcap_dump_close(s->dumper);
	pcap_close(s->dead);
	free(s);
}

static ns_time_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (ns_time_t)ts.tv_sec * NS_SEC + (ns_time_t)ts.tv_nsec;
}

static void record(struct sniffer *sn, const struct pkt *p)
{
	struct pcap_pkthdr h;
	ns_time_t t = sn->clock ? sn->clock() : realtime_ns();
	h.ts.tv_sec = (time_t)(t / NS_SEC);
	h.ts.tv_usec = (suseconds_t)((t % NS_SEC) / NS_USEC);
	h.len = p->len;
	h.caplen = p->len < SNAPLEN ? p->len : SNAPLEN;
	pcap_dump((u_char *)sn->sink->dumper, &h, pkt_data(p));
	sn->sink->frames++;
	sn->sink->dirty = 1;
}

static void sn_rx(void *ctx, struct pkt *p)
{
	struct sniffer *sn = ctx;
	record(sn, p);
	ns_link_deliver(&sn->link, p);
}

static int sn_output(struct ns_link *l, struct pkt *p)
{
	struct sniffer *sn = ns_container_of(l, struct sniffer, link);
	record(sn, p);
	l->stats.tx_frames++;
	l->stats.tx_bytes += p->len;
	return ns_link_output(sn->inner, p);
}

static int sn_flush(struct ns_link *l)
{
	struct sniffer *sn = ns_container_of(l, struct sniffer, link);
	int r = ns_link_flush(sn->inner);
	ns_pcap_sink_flush(sn->sink);
	return r;
}

static int sn_poll(struct ns_link *l, int budget)
{
	struct sniffer *sn = ns_container_of(l, struct sniffer, link);
	return ns_link_poll(sn->inner, budget);
}

static int sn_fd(const struct ns_link *l)
{
	const struct sniffer *sn = ns_container_of(l, const struct sniffer, link);
	return ns_link_fd(sn->inner);
}

static int sn_pending(const struct ns_link *l)
{
	const struct sniffer *sn = ns_container_of(l, const struct sniffer, link);
	return ns_link_pending(sn->inner);
}

static void sn_destroy(struct ns_link *l)
{
	struct sniffer *sn = ns_container_of(l, struct sniffer, link);
	ns_pcap_sink_flush(sn->sink);
	ns_link_destroy(sn->inner);
	free(sn);
}

static void sn_refresh(struct ns_link *l)
{
	struct sniffer *sn = ns_container_of(l, struct sniffer, link);
	ns_link_refresh_stats(sn->inner);
	l->stats.rx_dropped_host = sn->inner->stats.rx_dropped_host;
	l->stats.rx_bufs_held = sn->inner->stats.rx_bufs_held;
}

static const struct ns_link_ops sniffer_ops = {
	.refresh_stats = sn_refresh,
	.kind = "sniffer",
	.output = sn_output,
	.flush = sn_flush,
	.poll = sn_poll,
	.fd = sn_fd,
	.pending = sn_pending,
	.destroy = sn_destroy,
};

int ns_sniffer_wrap(struct ns_link *inner, struct ns_pcap_sink *sink,
		    ns_time_t (*clock)(void), struct ns_link **out)
{
	struct sniffer *sn = calloc(1, sizeof(*sn));
	if (!sn)
		return -ENOMEM;
	ns_link_init(&sn->link, &sniffer_ops, inner->name);
	sn->link.caps = inner->caps;
	sn->link.mtu = inner->mtu;
	memcpy(sn->link.mac, inner->mac, 6);
	sn->inner = inner;
	sn->sink = sink;
	sn->clock = clock;
	ns_link_set_rx(inner, sn_rx, sn);
	*out = &sn->link;
	return 0;
}
