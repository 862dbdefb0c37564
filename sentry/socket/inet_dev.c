/*
 * The interface ioctls (netdevice(7)) every socket answers: SIOCGIFCONF,
 * SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFFLAGS, SIOCGIFINDEX,
 * SIOCGIFNAME, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFTXQLEN, read from the
 * sandbox's netstack (ns/info.h). Of the setting ones, SIOCSIFFLAGS (IFF_UP:
 * ifconfig IF up|down) and SIOCSIFMTU change the sandbox's netstack for
 * CAP_NET_ADMIN (EPERM without); the others are refused with EPERM
 * (addresses and routes are changed through netlink,
 * sentry/socket/netlink.c).
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inet.h"
#include "ns/info.h"
#include "ns/stack.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h; net/if.h stops at IFF_DYNAMIC */
#endif

static int nic_by_name(struct ns_stack *st, const char *name, struct ns_nic_info *out)
{
	int n = ns_stack_nic_count(st);
	for (int id = 1; id <= n; id++)
		if (ns_stack_nic_info(st, id, out) == 0 && !strncmp(out->name, name, IFNAMSIZ))
			return id;
	return -ENODEV;
}

unsigned netdev_flags(const struct ns_nic_info *ni)
{
	unsigned f = 0;
	if (ni->flags & NS_NIC_UP)
		f |= IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
	if (ni->flags & NS_NIC_LOOPBACK)
		f |= IFF_LOOPBACK;
	if (ni->flags & NS_NIC_BROADCAST)
		f |= IFF_BROADCAST;
	if (ni->flags & NS_NIC_MULTICAST)
		f |= IFF_MULTICAST;
	return f;
}

/* Linux's dev_validate_mtu() with the bounds of the device: none for the
 * loopback (min_mtu 0, max_mtu 0), 68..65535 for an Ethernet (veth) link;
 * then the stack's own effects (ns_stack_nic_set_mtu). */
int netdev_set_mtu(struct ns_stack *st, const struct ns_nic_info *ni, long mtu)
{
	int lo = !!(ni->flags & NS_NIC_LOOPBACK);
	if (mtu < 0 || mtu > INT32_MAX || (!lo && (mtu < 68 || mtu > 65535)))
		return -EINVAL;
	if ((uint32_t)mtu == ni->mtu)
		return 0;
	return ns_stack_nic_set_mtu(st, ni->id, (uint32_t)mtu);
}

/* The first IPv4 address of interface id. */
static int first_v4(struct ns_stack *st, int id, struct ns_addr_info *out)
{
	for (unsigned i = 0; ns_stack_addr_info(st, i, out) == 0; i++)
		if (out->nic == id && out->addr.family == AF_INET)
			return 0;
	return -EADDRNOTAVAIL;
}

static void put_sin(struct sockaddr *sa, uint32_t host_order)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(host_order);
	memcpy(sa, &sin, sizeof(sin));
}

static uint32_t mask_of(unsigned pl)
{
	return pl ? ~0u << (32 - pl) : 0;
}

static long ifconf(struct task *t, struct ns_stack *st, uint64_t arg)
{
	struct ifconf ic;
	if (copy_from_user(t, &ic, arg, sizeof(ic)))
		return -EFAULT;
	int used = 0;
	struct ns_addr_info ai;
	for (unsigned i = 0; ns_stack_addr_info(st, i, &ai) == 0; i++) {
		if (ai.addr.family != AF_INET)
			continue;
		if (ic.ifc_buf) {
			if (used + (int)sizeof(struct ifreq) > ic.ifc_len)
				break;
			struct ns_nic_info ni;
			struct ifreq r;
			memset(&r, 0, sizeof(r));
			if (ns_stack_nic_info(st, ai.nic, &ni) == 0)
				memcpy(r.ifr_name, ni.name, sizeof(ni.name) < IFNAMSIZ ? sizeof(ni.name) : IFNAMSIZ);
			put_sin(&r.ifr_addr, ai.addr.v4);
			if (copy_to_user(t, (uint64_t)(uintptr_t)ic.ifc_buf + (uint64_t)used, &r, sizeof(r)))
				return -EFAULT;
		}
		used += (int)sizeof(struct ifreq);
	}
	ic.ifc_len = used;
	return copy_to_user(t, arg, &ic, sizeof(ic)) ? -EFAULT : 0;
}

long netdev_ioctl(struct task *t, unsigned long cmd, uint64_t arg)
{
	switch (cmd) {
	case SIOCGIFCONF:
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
	case SIOCGIFFLAGS:
	case SIOCGIFINDEX:
	case SIOCGIFNAME:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFTXQLEN:
	case SIOCGIFMETRIC:
		break;
	case SIOCSIFFLAGS:
	case SIOCSIFMTU:
		if (!ns_capable(t, task_netns(t)->c.owner, KCAP_NET_ADMIN))
			return -EPERM;
		break;
	case SIOCSIFADDR:
	case SIOCSIFNETMASK:
	case SIOCSIFBRDADDR:
	case SIOCSIFDSTADDR:
	case SIOCSIFHWADDR:
	case SIOCSIFNAME:
	case SIOCSIFTXQLEN:
	case SIOCADDRT:
	case SIOCDELRT:
		return -EPERM;
	default:
		return -ENOTTY;
	}
	struct ns_stack *st = inet_stack(t->k, t);
	if (!st)
		return -ENODEV;
	if (cmd == SIOCGIFCONF)
		return ifconf(t, st, arg);
	struct ifreq r;
	if (copy_from_user(t, &r, arg, sizeof(r)))
		return -EFAULT;
	struct ns_nic_info ni;
	int id;
	if (cmd == SIOCGIFNAME) {
		id = r.ifr_ifindex;
		if (id <= 0 || ns_stack_nic_info(st, id, &ni) < 0)
			return -ENODEV;
		memset(r.ifr_name, 0, sizeof(r.ifr_name));
		memcpy(r.ifr_name, ni.name, strnlen(ni.name, IFNAMSIZ - 1));
	} else {
		r.ifr_name[IFNAMSIZ - 1] = 0;
		id = nic_by_name(st, r.ifr_name, &ni);
		if (id < 0)
			return id;
		struct ns_addr_info ai;
		switch (cmd) {
		case SIOCGIFADDR:
		case SIOCGIFNETMASK:
		case SIOCGIFBRDADDR:
		case SIOCGIFDSTADDR:
			if (first_v4(st, id, &ai) < 0)
				return -EADDRNOTAVAIL;
			if (cmd == SIOCGIFADDR || cmd == SIOCGIFDSTADDR)
				put_sin(&r.ifr_addr, ai.addr.v4);
			else if (cmd == SIOCGIFNETMASK)
				put_sin(&r.ifr_netmask, mask_of(ai.prefixlen));
			else
				put_sin(&r.ifr_broadaddr, ai.addr.v4 | ~mask_of(ai.prefixlen));
			break;
		case SIOCGIFFLAGS:
			r.ifr_flags = (short)netdev_flags(&ni);
			break;
		case SIOCSIFFLAGS:
			/* IFF_UP is what changes here; the other flags the
			 * stack has no use for (promiscuous, all-multicast)
			 * are taken and forgotten. */
			return ns_stack_nic_set_up(st, id, ((unsigned short)r.ifr_flags & IFF_UP) != 0);
		case SIOCSIFMTU:
			return netdev_set_mtu(st, &ni, r.ifr_mtu);
		case SIOCGIFINDEX:
			r.ifr_ifindex = id;
			break;
		case SIOCGIFMTU:
			r.ifr_mtu = (int)ni.mtu;
			break;
		case SIOCGIFHWADDR:
			memset(&r.ifr_hwaddr, 0, sizeof(r.ifr_hwaddr));
			r.ifr_hwaddr.sa_family = (ni.flags & NS_NIC_LOOPBACK) ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
			memcpy(r.ifr_hwaddr.sa_data, ni.mac, 6);
			break;
		case SIOCGIFTXQLEN:
			r.ifr_qlen = 1000;
			break;
		case SIOCGIFMETRIC:
			r.ifr_metric = 0;
			break;
		}
	}
	return copy_to_user(t, arg, &r, sizeof(r)) ? -EFAULT : 0;
}
