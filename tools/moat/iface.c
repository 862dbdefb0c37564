/*
 * Taking over a host interface for the netstack: the kernel's own addresses
 * on it are removed (rtnetlink RTM_DELADDR), and sysctls make sure the
 * kernel neither answers ARP for it, nor runs IPv6 on it, nor forwards what
 * arrives on it. From then on only the netstack answers on that link.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moat.h"

struct nlreq {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[64];
};

/* Collect the kernel's addresses on ifindex, then delete each one. */
static int flush_addrs(int ifindex)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct nlreq req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = RTM_GETADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_UNSPEC;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		close(fd);
		return -errno;
	}
	/* Up to 64 addresses: [family, prefixlen, 16 bytes]. */
	struct {
		uint8_t family, plen, len;
		uint8_t addr[16];
	} found[64];
	int nfound = 0, done = 0;
	char buf[16384];
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (h->nlmsg_type != RTM_NEWADDR)
				continue;
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			if ((int)ifa->ifa_index != ifindex || nfound == 64)
				continue;
			int alen = (int)IFA_PAYLOAD(h);
			for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type != IFA_LOCAL && a->rta_type != IFA_ADDRESS)
					continue;
				if (a->rta_type == IFA_ADDRESS && ifa->ifa_family == AF_INET)
					continue; /* IFA_LOCAL names v4 addresses */
				size_t l = RTA_PAYLOAD(a) > 16 ? 16 : RTA_PAYLOAD(a);
				found[nfound].family = ifa->ifa_family;
				found[nfound].plen = ifa->ifa_prefixlen;
				found[nfound].len = (uint8_t)l;
				memcpy(found[nfound].addr, RTA_DATA(a), l);
				nfound++;
				break;
			}
		}
	}
	int err = 0;
	for (int i = 0; i < nfound; i++) {
		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_type = RTM_DELADDR;
		req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		req.nh.nlmsg_seq = (uint32_t)(2 + i);
		req.ifa.ifa_family = found[i].family;
		req.ifa.ifa_prefixlen = found[i].plen;
		req.ifa.ifa_index = (uint32_t)ifindex;
		struct rtattr *a = (struct rtattr *)req.attrs;
		a->rta_type = IFA_LOCAL;
		a->rta_len = (unsigned short)RTA_LENGTH(found[i].len);
		memcpy(RTA_DATA(a), found[i].addr, found[i].len);
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)) + RTA_ALIGN(a->rta_len);
		if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
			err = -errno;
			continue;
		}
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			struct nlmsghdr *h = (struct nlmsghdr *)buf;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error && e->error != -EADDRNOTAVAIL)
					err = e->error;
			}
		}
	}
	close(fd);
	return err;
}

int moat_iface_takeover(const char *ifname)
{
	char path[128];
	int idx = (int)if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	/* First stop IPv6 (which also drops its addresses), then v4. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	moat_write_str(path, "1");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/arp_ignore", ifname);
	moat_write_str(path, "8"); /* never answer ARP on this interface */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
	moat_write_str(path, "0");
	return flush_addrs(idx);
}
