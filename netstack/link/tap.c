/*
 * tap endpoint: /dev/net/tun with IFF_TAP | IFF_NO_PI (and IFF_VNET_HDR for
 * offloads). The kernel side of the tap is the peer: whatever addresses the
 * host gives that interface are the other end of our link.
 *
 * A tap fd moves one frame per read/write, so "batching" here is a loop over
 * read() until EAGAIN, bounded by the budget.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ns/link.h"

#define RX_BUF (65536 + 256)

struct tap_link {
	struct ns_link link;
	int fd;
	int vnet;
	uint8_t *buf;
};

static int tap_output(struct ns_link *l, struct pkt *p)
{
	struct tap_link *t = ns_container_of(l, struct tap_link, link);
	struct virtio_net_hdr h;
	struct iovec iov[2];
	int n = 0;

	if (t->vnet) {
		memset(&h, 0, sizeof(h));
		if (p->flags & PKT_F_CSUM_PARTIAL) {
			h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h.csum_start = (uint16_t)(p->csum_start - p->off);
			h.csum_offset = p->csum_off;
		}
		if (p->gso_type != PKT_GSO_NONE) {
			h.gso_type = p->gso_type == PKT_GSO_TCPV6 ? VIRTIO_NET_HDR_GSO_TCPV6
								  : VIRTIO_NET_HDR_GSO_TCPV4;
			h.gso_size = p->gso_size;
			h.hdr_len = (uint16_t)(p->l4_off - p->off +
					       ((pkt_at(p, p->l4_off)[12] >> 4) * 4));
		}
		iov[n].iov_base = &h;
		iov[n++].iov_len = sizeof(h);
	} else if (p->gso_type != PKT_GSO_NONE || (p->flags & PKT_F_CSUM_PARTIAL)) {
		l->stats.tx_dropped++;
		pkt_unref(p);
		return -EINVAL;
	}
	iov[n].iov_base = pkt_data(p);
	iov[n++].iov_len = p->len;
	ssize_t r;
	do {
		r = writev(t->fd, iov, n);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		l->stats.tx_errors++;
		r = -errno;
	} else {
		l->stats.tx_frames++;
		l->stats.tx_bytes += p->len;
		r = 0;
	}
	pkt_unref(p);
	return (int)r;
}

static int tap_poll(struct ns_link *l, int budget)
{
	struct tap_link *t = ns_container_of(l, struct tap_link, link);
	int n = 0;
	while (n < budget) {
		ssize_t r = read(t->fd, t->buf, RX_BUF);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n++;
		uint32_t hl = t->vnet ? (uint32_t)sizeof(struct virtio_net_hdr) : 0;
		if ((size_t)r < hl) {
			l->stats.rx_errors++;
			continue;
		}
		struct pkt *p = pkt_from_bytes(t->buf + hl, (uint32_t)r - hl);
		if (!p) {
			l->stats.rx_dropped_nomem++;
			continue;
		}
		if (t->vnet) {
			struct virtio_net_hdr h;
			memcpy(&h, t->buf, sizeof(h));
			if (h.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
				p->flags |= PKT_F_CSUM_VERIFIED;
			if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
				p->gso_type = (uint8_t)(h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN);
				p->gso_size = h.gso_size;
			}
		}
		ns_link_deliver(l, p);
	}
	return n;
}

static int tap_fd(const struct ns_link *l)
{
	return ns_container_of(l, const struct tap_link, link)->fd;
}

static void tap_destroy(struct ns_link *l)
{
	struct tap_link *t = ns_container_of(l, struct tap_link, link);
	close(t->fd);
	free(t->buf);
	free(t);
}

static const struct ns_link_ops tap_ops = {
	.kind = "tap",
	.output = tap_output,
	.poll = tap_poll,
	.fd = tap_fd,
	.destroy = tap_destroy,
};

int ns_tap_link_open(const char *ifname, int vnet_hdr, struct ns_link **out)
{
	struct ifreq ifr;
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	struct tap_link *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->buf = malloc(RX_BUF);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (!t->buf || t->fd < 0) {
		r = t->buf ? -errno : -ENOMEM;
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		goto fail;
	}
	t->vnet = vnet_hdr;
	ns_link_init(&t->link, &tap_ops, ifr.ifr_name);
	if (vnet_hdr) {
		int sz = sizeof(struct virtio_net_hdr);
		unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
		if (ioctl(t->fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(t->fd, TUNSETOFFLOAD, off) < 0) {
			r = -errno;
			goto fail;
		}
		t->link.caps |= NS_LINK_CAP_TX_CSUM | NS_LINK_CAP_RX_CSUM | NS_LINK_CAP_GSO |
				NS_LINK_CAP_GRO;
	}
	t->link.caps |= NS_LINK_CAP_RESOLVE;
	/* The tap device's own MAC is the kernel's side; pick ours: locally
	 * administered, derived from the interface name so it is stable. */
	uint32_t h = 2166136261u;
	for (const char *c = ifname; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	uint8_t mac[6] = { 0x02, 0x4d, (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8),
			   (uint8_t)h };
	memcpy(t->link.mac, mac, 6);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		struct ifreq q;
		memset(&q, 0, sizeof(q));
		memcpy(q.ifr_name, ifr.ifr_name, IFNAMSIZ);
		if (ioctl(s, SIOCGIFMTU, &q) == 0)
			t->link.mtu = (uint32_t)q.ifr_mtu;
		if (ioctl(s, SIOCGIFFLAGS, &q) == 0 && !(q.ifr_flags & IFF_UP)) {
			q.ifr_flags |= IFF_UP;
			ioctl(s, SIOCSIFFLAGS, &q);
		}
		close(s);
	}
	*out = &t->link;
	return 0;
fail:
	if (t->fd >= 0)
		close(t->fd);
	free(t->buf);
	free(t);
	return r;
}
