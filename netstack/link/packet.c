/*
 * AF_PACKET endpoint bound to one interface, batched with recvmmsg/sendmmsg.
 *
 * With vnet_hdr (PACKET_VNET_HDR) every frame carries a struct
 * virtio_net_hdr: on output it asks the kernel to complete checksums and to
 * segment TCP super-segments (GSO); on input it tells us the checksum is
 * known good (or only partial because a local peer skipped it) and that a
 * frame is a coalesced (GRO/GSO) segment. Without it we still learn about
 * unfinished checksums from PACKET_AUXDATA.
 *
 * Frames are received straight into per-slot packet buffers big enough for
 * a 64 KiB super-frame. A large frame is handed up in its buffer (no copy:
 * bulk TCP arrives as GRO'd super-frames) and the slot gets a fresh one; a
 * small frame is copied into a right-sized buffer so that a small datagram
 * never pins a large chunk in a socket queue.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ns/link.h"

#define RX_BUF (65536 + 256)
#define MAX_BATCH 256
/* Frames up to this size are copied out of the slot's buffer. */
#define RX_COPY_MAX 2048

struct packet_link {
	struct ns_link link;
	int fd;
	int ifindex;
	int vnet;
	int batch;
	/* receive slots */
	struct mmsghdr *rmsg;
	struct iovec *riov;
	struct virtio_net_hdr *rhdr;
	struct sockaddr_ll *raddr;
	struct pkt **rpkt; /* one receive buffer per slot */
	uint8_t *rcmsg;
	/* transmit batch */
	struct mmsghdr *tmsg;
	struct iovec *tiov;
	struct virtio_net_hdr *thdr;
	struct pkt **tpkt;
	int tcount;
};

#define CMSG_SPACE_AUX CMSG_SPACE(sizeof(struct tpacket_auxdata))

static int pl_flush(struct ns_link *l)
{
	struct packet_link *pl = ns_container_of(l, struct packet_link, link);
	int sent = 0;
	int tries = 0;
	while (sent < pl->tcount) {
		int r = sendmmsg(pl->fd, pl->tmsg + sent, (unsigned)(pl->tcount - sent), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == ENOBUFS) && ++tries < 8)
				continue;
			/* The frame at `sent` cannot go out: drop it, go on. */
			l->stats.tx_errors++;
			sent++;
			continue;
		}
		for (int i = 0; i < r; i++) {
			l->stats.tx_frames++;
			l->stats.tx_bytes += pl->tpkt[sent + i]->len;
		}
		sent += r;
	}
	for (int i = 0; i < pl->tcount; i++)
		pkt_unref(pl->tpkt[i]);
	int n = pl->tcount;
	pl->tcount = 0;
	return n;
}

static void fill_vnet_tx(struct virtio_net_hdr *h, const struct pkt *p)
{
	memset(h, 0, sizeof(*h));
	if (p->flags & PKT_F_CSUM_PARTIAL) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = (uint16_t)(p->csum_start - p->off);
		h->csum_offset = p->csum_off;
	}
	if (p->gso_type != PKT_GSO_NONE) {
		const uint8_t *th = pkt_at(p, p->l4_off);
		h->gso_type = p->gso_type == PKT_GSO_TCPV6 ? VIRTIO_NET_HDR_GSO_TCPV6
							   : VIRTIO_NET_HDR_GSO_TCPV4;
		/* CWR (0x80) belongs on the first segment only: tell the
		 * kernel so that it segments accordingly. */
		if (th[13] & 0x80)
			h->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		h->gso_size = p->gso_size;
		/* hdr_len: bytes of headers up to the end of the TCP header. */
		h->hdr_len = (uint16_t)(p->l4_off - p->off + ((th[12] >> 4) * 4));
	}
}

static int pl_output(struct ns_link *l, struct pkt *p)
{
	struct packet_link *pl = ns_container_of(l, struct packet_link, link);
	if (!pl->vnet && (p->gso_type != PKT_GSO_NONE || (p->flags & PKT_F_CSUM_PARTIAL))) {
		/* The stack only asks for offloads the link advertised. */
		l->stats.tx_dropped++;
		pkt_unref(p);
		return -EINVAL;
	}
	if (pl->tcount == pl->batch)
		pl_flush(l);
	int i = pl->tcount++;
	struct msghdr *m = &pl->tmsg[i].msg_hdr;
	struct iovec *iov = &pl->tiov[2 * i];
	memset(m, 0, sizeof(*m));
	if (pl->vnet) {
		fill_vnet_tx(&pl->thdr[i], p);
		iov[0].iov_base = &pl->thdr[i];
		iov[0].iov_len = sizeof(struct virtio_net_hdr);
		iov[1].iov_base = pkt_data(p);
		iov[1].iov_len = p->len;
		m->msg_iov = iov;
		m->msg_iovlen = 2;
	} else {
		iov[1].iov_base = pkt_data(p);
		iov[1].iov_len = p->len;
		m->msg_iov = &iov[1];
		m->msg_iovlen = 1;
	}
	pl->tpkt[i] = p;
	return 0;
}

static void rx_meta(struct pkt *p, const struct sockaddr_ll *sll)
{
	switch (sll->sll_pkttype) {
	case PACKET_BROADCAST:
		p->flags |= PKT_F_BCAST;
		break;
	case PACKET_MULTICAST:
		p->flags |= PKT_F_MCAST;
		break;
	case PACKET_OTHERHOST:
		p->flags |= PKT_F_OTHERHOST;
		break;
	default:
		break;
	}
}

static int pl_poll(struct ns_link *l, int budget)
{
	struct packet_link *pl = ns_container_of(l, struct packet_link, link);
	int want = budget < pl->batch ? budget : pl->batch;
	for (int i = 0; i < want; i++) {
		struct msghdr *m = &pl->rmsg[i].msg_hdr;
		m->msg_name = &pl->raddr[i];
		m->msg_namelen = sizeof(struct sockaddr_ll);
		m->msg_iov = pl->vnet ? &pl->riov[2 * i] : &pl->riov[2 * i + 1];
		m->msg_iovlen = pl->vnet ? 2 : 1;
		m->msg_control = pl->vnet ? NULL : pl->rcmsg + (size_t)i * CMSG_SPACE_AUX;
		m->msg_controllen = pl->vnet ? 0 : CMSG_SPACE_AUX;
		m->msg_flags = 0;
	}
	int n = recvmmsg(pl->fd, pl->rmsg, (unsigned)want, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		struct msghdr *m = &pl->rmsg[i].msg_hdr;
		uint32_t len = pl->rmsg[i].msg_len;
		if (pl->raddr[i].sll_pkttype == PACKET_OUTGOING)
			continue;
		if (pl->vnet) {
			if (len < sizeof(struct virtio_net_hdr)) {
				l->stats.rx_errors++;
				continue;
			}
			len -= (uint32_t)sizeof(struct virtio_net_hdr);
		}
		if (m->msg_flags & MSG_TRUNC) {
			l->stats.rx_truncated++;
			continue;
		}
		struct pkt *slot = pl->rpkt[i];
		struct pkt *p;
		if (len <= RX_COPY_MAX) {
			p = pkt_from_bytes(pkt_data(slot), len);
		} else {
			/* Hand the slot's buffer up; the slot takes a new one. */
			struct pkt *fresh = pkt_alloc(PKT_HEADROOM, RX_BUF);
			if (fresh) {
				p = slot;
				pkt_trim(p, len);
				pl->rpkt[i] = fresh;
				pl->riov[2 * i + 1].iov_base = pkt_data(fresh);
			} else {
				p = NULL;
			}
		}
		if (!p) {
			l->stats.rx_dropped_nomem++;
			continue;
		}
		rx_meta(p, &pl->raddr[i]);
		if (pl->vnet) {
			const struct virtio_net_hdr *h = &pl->rhdr[i];
			/* NEEDS_CSUM on input: a local peer left the checksum
			 * to offload; the data never crossed a wire. */
			if (h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
				p->flags |= PKT_F_CSUM_VERIFIED;
			if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
				p->gso_type = (uint8_t)(h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN);
				p->gso_size = h->gso_size;
			}
		} else {
			for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
				if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
					continue;
				struct tpacket_auxdata aux;
				memcpy(&aux, CMSG_DATA(c), sizeof(aux));
				if (aux.tp_status & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID))
					p->flags |= PKT_F_CSUM_VERIFIED;
			}
		}
		ns_link_deliver(l, p);
	}
	return n;
}

static int pl_fd(const struct ns_link *l)
{
	return ns_container_of(l, const struct packet_link, link)->fd;
}

static void pl_free(struct packet_link *pl)
{
	if (pl->fd >= 0)
		close(pl->fd);
	free(pl->rmsg);
	free(pl->riov);
	free(pl->rhdr);
	free(pl->raddr);
	if (pl->rpkt)
		for (int i = 0; i < pl->batch; i++)
			pkt_unref(pl->rpkt[i]);
	free(pl->rpkt);
	free(pl->rcmsg);
	free(pl->tmsg);
	free(pl->tiov);
	free(pl->thdr);
	free(pl->tpkt);
	free(pl);
}

static void pl_destroy(struct ns_link *l)
{
	struct packet_link *pl = ns_container_of(l, struct packet_link, link);
	pl_flush(l);
	pl_free(pl);
}

static void pl_refresh_stats(struct ns_link *l)
{
	/* PACKET_STATISTICS counts since the last read, then resets. */
	struct packet_link *pl = ns_container_of(l, struct packet_link, link);
	struct tpacket_stats ts;
	socklen_t len = sizeof(ts);
	if (getsockopt(pl->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &len) == 0)
		l->stats.rx_dropped_host += ts.tp_drops;
}

static const struct ns_link_ops packet_ops = {
	.refresh_stats = pl_refresh_stats,
	.kind = "packet",
	.output = pl_output,
	.flush = pl_flush,
	.poll = pl_poll,
	.fd = pl_fd,
	.destroy = pl_destroy,
};

static int alloc_slots(struct packet_link *pl)
{
	int b = pl->batch;
	pl->rmsg = calloc((size_t)b, sizeof(*pl->rmsg));
	pl->riov = calloc((size_t)b * 2, sizeof(*pl->riov));
	pl->rhdr = calloc((size_t)b, sizeof(*pl->rhdr));
	pl->raddr = calloc((size_t)b, sizeof(*pl->raddr));
	pl->rpkt = calloc((size_t)b, sizeof(*pl->rpkt));
	pl->rcmsg = calloc((size_t)b, CMSG_SPACE_AUX);
	pl->tmsg = calloc((size_t)b, sizeof(*pl->tmsg));
	pl->tiov = calloc((size_t)b * 2, sizeof(*pl->tiov));
	pl->thdr = calloc((size_t)b, sizeof(*pl->thdr));
	pl->tpkt = calloc((size_t)b, sizeof(*pl->tpkt));
	if (!pl->rmsg || !pl->riov || !pl->rhdr || !pl->raddr || !pl->rpkt || !pl->rcmsg ||
	    !pl->tmsg || !pl->tiov || !pl->thdr || !pl->tpkt)
		return -ENOMEM;
	for (int i = 0; i < b; i++) {
		pl->riov[2 * i].iov_base = &pl->rhdr[i];
		pl->riov[2 * i].iov_len = sizeof(struct virtio_net_hdr);
		pl->rpkt[i] = pkt_alloc(PKT_HEADROOM, RX_BUF);
		if (!pl->rpkt[i])
			return -ENOMEM;
		pl->riov[2 * i + 1].iov_base = pkt_data(pl->rpkt[i]);
		pl->riov[2 * i + 1].iov_len = RX_BUF;
		pl->link.stats.rx_bufs_held++;
	}
	return 0;
}

static int setopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

/*
 * Whether the device segments TCP super-frames itself: IPv4, IPv6 and with
 * CWR set. The qdisc bypass (PACKET_QDISC_BYPASS) sends through
 * __dev_direct_xmit, which drops a frame that the kernel had to segment in
 * software, so bypass is only for devices that need no such help
 * (`ethtool -K DEV tso off` on a veth made every GSO frame fail with
 * ENOBUFS). Feature bits are looked up by name (ETH_SS_FEATURES strings),
 * as ethtool does; their numbers are not ABI. Any error answers no.
 */
static int dev_segments_tcp(int fd, const char *ifname)
{
	static const char *const want[] = { "tx-tcp-segmentation", "tx-tcp6-segmentation",
					    "tx-tcp-ecn-segmentation" };
	struct ifreq ifr;
	/* the header and its one data word (one set asked for) */
	union {
		struct ethtool_sset_info h;
		uint8_t bytes[sizeof(struct ethtool_sset_info) + sizeof(uint32_t)];
	} ss;
	struct ethtool_gstrings *names = NULL;
	struct ethtool_gfeatures *feat = NULL;
	int ok = 0;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	memset(&ss, 0, sizeof(ss));
	ss.h.cmd = ETHTOOL_GSSET_INFO;
	ss.h.sset_mask = 1ULL << ETH_SS_FEATURES;
	ifr.ifr_data = (void *)&ss;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 || !(ss.h.sset_mask & (1ULL << ETH_SS_FEATURES)))
		return 0;
	uint32_t n;
	memcpy(&n, ss.bytes + sizeof(struct ethtool_sset_info), sizeof(n));
	if (n == 0 || n > 4096)
		return 0;
	uint32_t blocks = (n + 31) / 32;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	feat = calloc(1, sizeof(*feat) + blocks * sizeof(feat->features[0]));
	if (!names || !feat)
		goto out;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	ifr.ifr_data = (void *)names;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		goto out;
	feat->cmd = ETHTOOL_GFEATURES;
	feat->size = blocks;
	ifr.ifr_data = (void *)feat;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		goto out;
	int found = 0;
	for (uint32_t i = 0; i < n && i < names->len; i++) {
		const char *name = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;
		for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
			if (strncmp(name, want[w], ETH_GSTRING_LEN) != 0)
				continue;
			if (!(feat->features[i / 32].active & (1u << (i % 32))))
				goto out;
			found++;
		}
	}
	ok = found == (int)(sizeof(want) / sizeof(want[0]));
out:
	free(names);
	free(feat);
	return ok;
}

int ns_packet_link_open(const char *ifname, const struct ns_packet_link_opts *o,
			struct ns_link **out)
{
	struct ifreq ifr;
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	struct packet_link *pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	pl->fd = -1;
	ns_link_init(&pl->link, &packet_ops, ifname);
	pl->batch = o && o->batch > 0 ? (o->batch > MAX_BATCH ? MAX_BATCH : o->batch) : 64;
	pl->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (pl->fd < 0) {
		r = -errno;
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(pl->fd, SIOCGIFINDEX, &ifr) < 0) {
		r = -errno;
		goto fail;
	}
	pl->ifindex = ifr.ifr_ifindex;
	if (ioctl(pl->fd, SIOCGIFHWADDR, &ifr) < 0) {
		r = -errno;
		goto fail;
	}
	if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	memcpy(pl->link.mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(pl->fd, SIOCGIFMTU, &ifr) < 0) {
		r = -errno;
		goto fail;
	}
	pl->link.mtu = (uint32_t)ifr.ifr_mtu;
	if (ioctl(pl->fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(pl->fd, SIOCSIFFLAGS, &ifr);
	}

	pl->vnet = !o || o->vnet_hdr;
	if (pl->vnet && setopt(pl->fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0)
		pl->vnet = 0;
	if (!pl->vnet)
		setopt(pl->fd, SOL_PACKET, PACKET_AUXDATA, 1);
	/* Our own transmissions must not come back as input. */
	setopt(pl->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
	if (!pl->vnet || dev_segments_tcp(pl->fd, ifname))
		setopt(pl->fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
	if (setopt(pl->fd, SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20) < 0)
		setopt(pl->fd, SOL_SOCKET, SO_RCVBUF, 32 << 20);
	if (setopt(pl->fd, SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20) < 0)
		setopt(pl->fd, SOL_SOCKET, SO_SNDBUF, 8 << 20);

	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = pl->ifindex;
	if (bind(pl->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = -errno;
		goto fail;
	}
	/* IPv6 neighbour discovery and MLD arrive on 33:33:xx group
	 * addresses (RFC 2464 7) that the host's interface never joined (its
	 * IPv6 is off): take every multicast frame. Best effort: a veth
	 * filters nothing anyway. */
	struct packet_mreq mr;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = pl->ifindex;
	mr.mr_type = PACKET_MR_ALLMULTI;
	setsockopt(pl->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
	r = alloc_slots(pl);
	if (r < 0)
		goto fail;
	pl->link.caps = NS_LINK_CAP_RESOLVE;
	if (pl->vnet)
		pl->link.caps |= NS_LINK_CAP_TX_CSUM | NS_LINK_CAP_RX_CSUM | NS_LINK_CAP_GSO |
				 NS_LINK_CAP_GRO;
	*out = &pl->link;
	return 0;
fail:
	pl_free(pl);
	return r;
}
