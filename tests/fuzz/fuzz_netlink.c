/*
 * libFuzzer harness over the sentry's netlink route socket
 * (sentry/socket/netlink.c): a sandboxed program writes any bytes it likes
 * to an AF_NETLINK socket, and the sentry parses them.
 *
 * Input format:
 *   byte 0     bit 0: no network stack (moat do --network=host answers
 *              from nothing); bit 1: send to an explicit address (the
 *              next 12 bytes, a sockaddr_nl); bits 2-3: how the replies
 *              are read (whole, 16-byte buffers, peek then read, not at
 *              all: the release frees them)
 *   then       the message(s), as sendmsg would pass them
 *
 * The stack (when there is one) has its loopback and a channel interface
 * with 10.0.0.2/24, fd00::2/64 and default routes. Every reply datagram
 * must be a well-formed run of netlink messages (abort otherwise); ASan,
 * UBSan and libFuzzer's leak check do the rest.
 *
 * FUZZ_WRITE_SEEDS=DIR: write seeds (the dumps ip(8) and glibc ask for,
 * a link query by name, route lookups) into DIR and exit.
 */
#include "../../sentry/socket/netlink.c"

#include <stdio.h>
#include <sys/stat.h>

#include "ns/link.h"
#include "ns/loop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- what netlink.c needs from the rest of the sentry ---- */

static struct ns_stack *fz_stack;

struct ns_stack *inet_stack(struct kernel *k, const struct task *t)
{
	(void)k, (void)t;
	return fz_stack;
}

static struct netns fz_netns;

struct netns *task_netns(const struct task *t)
{
	(void)t;
	return &fz_netns;
}

/* Every request may change the configuration: the write paths get fuzzed. */
int ns_capable(const struct task *t, struct userns *ns, int cap)
{
	(void)t, (void)ns, (void)cap;
	return 1;
}

unsigned netdev_flags(const struct ns_nic_info *ni)
{
	return ni->flags & NS_NIC_UP ? IFF_UP | IFF_RUNNING : 0;
}

/* (inet_dev.c's bounds, so that MTU changes reach the stack) */
int netdev_set_mtu(struct ns_stack *st, const struct ns_nic_info *ni, long mtu)
{
	int lo = !!(ni->flags & NS_NIC_LOOPBACK);
	if (mtu < 0 || mtu > INT32_MAX || (!lo && (mtu < 68 || mtu > 65535)))
		return -EINVAL;
	return ns_stack_nic_set_mtu(st, ni->id, (uint32_t)mtu);
}

long netdev_ioctl(struct task *t, unsigned long cmd, uint64_t arg)
{
	(void)t, (void)cmd, (void)arg;
	return -ENOTTY;
}

void sock_init(struct sock *s, const struct sock_ops *ops, int family, int type, int protocol)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
}

int sock_setsockopt_common(struct sock *s, int name, const void *val, socklen_t len)
{
	(void)s, (void)name, (void)val, (void)len;
	return -ENOPROTOOPT;
}

int sock_getsockopt_common(struct sock *s, struct task *t, int name, void *val, socklen_t *len)
{
	(void)s, (void)t, (void)name, (void)val, (void)len;
	return -ENOPROTOOPT;
}

int waitq_wake(struct waitq *q, uint32_t events)
{
	(void)q, (void)events;
	return 0;
}

void waitq_destroy(struct waitq *q, uint32_t events)
{
	(void)q, (void)events;
}

/* ---- the harness ---- */

static struct ns_wheel wheel;
static struct ns_stack *stack;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	ns_wheel_init(&wheel, 1000 * NS_SEC);
	struct ns_stack_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.wheel = &wheel;
	struct ns_link *ch;
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 2 };
	if (ns_stack_create(&sc, &stack) < 0 || ns_stack_set_option(stack, "ip6.dad_transmits", "0") < 0 ||
	    ns_channel_link_create(mac, 1500, NS_LINK_CAP_RESOLVE, &ch) < 0)
		abort();
	int nic = ns_stack_add_nic(stack, ch); /* (nic 1 is the stack's loopback) */
	struct ns_ip a = ns_ip4(0x0a000002), any = ns_ip4(0), gw = ns_ip4(0x0a000001);
	struct ns_ip a6, any6, gw6;
	memset(&any6, 0, sizeof(any6));
	any6.family = AF_INET6;
	a6 = gw6 = any6;
	a6.v6[0] = gw6.v6[0] = 0xfd;
	a6.v6[15] = 2;
	gw6.v6[15] = 1;
	if (nic < 0 || ns_stack_add_addr(stack, nic, &a, 24) < 0 || ns_stack_add_route(stack, &any, 0, &gw, nic) < 0 ||
	    ns_stack_add_addr(stack, nic, &a6, 64) < 0 || ns_stack_add_route(stack, &any6, 0, &gw6, nic) < 0)
		abort();
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (!dir)
		return 0;
	/* seeds: a request header (+ family byte or ifinfomsg) per dump */
	static const struct {
		const char *name;
		uint16_t type, flags;
		uint8_t family;
		int ifname;
	} seeds[] = {
		{ "getlink_dump", RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, AF_UNSPEC, 0 },
		{ "getaddr_dump4", RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, AF_INET, 0 },
		{ "getaddr_dump6", RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK, AF_INET6, 0 },
		{ "getroute_dump", RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, AF_UNSPEC, 0 },
		{ "getlink_by_name", RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, AF_UNSPEC, 1 },
		{ "newaddr_refused", RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, AF_INET, 0 },
		{ "getroute_lookup4", RTM_GETROUTE, NLM_F_REQUEST, AF_INET, 0 },
		{ "getroute_lookup6", RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, AF_INET6, 0 },
	};
	mkdir(dir, 0755);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		uint32_t buf[64] = { 0 }; /* (aligned as netlink wants) */
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		struct ifinfomsg *ifi = NLMSG_DATA(h);
		size_t len = NLMSG_LENGTH(sizeof(*ifi));
		ifi->ifi_family = seeds[i].family;
		if (seeds[i].ifname) {
			struct rtattr *ra = IFLA_RTA(ifi);
			ra->rta_type = IFLA_IFNAME;
			ra->rta_len = RTA_LENGTH(3);
			memcpy(RTA_DATA(ra), "lo", 3);
			len += RTA_ALIGN(ra->rta_len);
		}
		h->nlmsg_len = (uint32_t)len;
		h->nlmsg_type = seeds[i].type;
		h->nlmsg_flags = seeds[i].flags;
		h->nlmsg_seq = (uint32_t)i + 1;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		FILE *f = fopen(path, "wb");
		uint8_t cfg = (uint8_t)(4 * (i % 3));
		if (!f || fwrite(&cfg, 1, 1, f) != 1 || fwrite(buf, 1, len, f) != len)
			abort();
		fclose(f);
	}
	exit(0);
}

/* A reply datagram: messages whose lengths add up within it. */
static void check_reply(const char *d, size_t len)
{
	size_t left = len;
	const struct nlmsghdr *h = (const struct nlmsghdr *)d;
	while (left) {
		if (!NLMSG_OK(h, left) || h->nlmsg_len < NLMSG_HDRLEN)
			abort();
		h = NLMSG_NEXT(h, left);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t cfg = data[0];
	data++, size--;
	fz_stack = cfg & 1 ? NULL : stack;
	struct kernel k;
	memset(&k, 0, sizeof(k));
	struct thread_group tg;
	memset(&tg, 0, sizeof(tg));
	tg.tgid = 1;
	struct task t;
	memset(&t, 0, sizeof(t));
	t.tg = &tg;
	t.k = &k;
	struct sock *s;
	if (netlink_create(&t, SOCK_RAW, NETLINK_ROUTE, &s) < 0)
		abort();
	struct kmsg m;
	memset(&m, 0, sizeof(m));
	if ((cfg & 2) && size >= sizeof(struct sockaddr_nl)) {
		memcpy(&m.addr, data, sizeof(struct sockaddr_nl));
		m.addrlen = sizeof(struct sockaddr_nl);
		data += sizeof(struct sockaddr_nl), size -= sizeof(struct sockaddr_nl);
	}
	/* the sentry hands the family a malloc'd copy of the user's bytes */
	m.data = malloc(size ? size : 1);
	if (!m.data)
		abort();
	memcpy(m.data, data, size);
	m.len = size;
	struct waitq *wq = NULL;
	ssize_t r = s->ops->sendmsg(s, &t, &m, 0, &wq);
	if (r >= 0 && (size_t)r != size)
		abort();
	free(m.data);
	int how = (cfg >> 2) & 3;
	char buf[65536];
	for (int i = 0; how != 3 && i < 100000; i++) {
		struct kmsg rm;
		memset(&rm, 0, sizeof(rm));
		rm.data = buf;
		rm.len = how == 1 ? 16 : sizeof(buf);
		if (how == 2) {
			ssize_t p = s->ops->recvmsg(s, &t, &rm, MSG_PEEK);
			if (p == -EAGAIN)
				break;
			rm.flags = 0;
		}
		ssize_t n = s->ops->recvmsg(s, &t, &rm, 0);
		if (n == -EAGAIN)
			break;
		if (n < 0 || (size_t)n > rm.len || rm.full_len < (size_t)n)
			abort();
		if (!(rm.flags & MSG_TRUNC))
			check_reply(buf, (size_t)n);
	}
	if (how != 3 && s->ops->poll(s) & POLLIN)
		abort(); /* all read, yet still readable */
	s->ops->release(s);
	return 0;
}
