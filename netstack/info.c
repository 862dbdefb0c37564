/* Introspection snapshots (ns/info.h). */
#include "ipv6_priv.h"
#include "ns/info.h"
#include "stack_priv.h"

int ns_stack_nic_count(const struct ns_stack *st)
{
	return st->nnics;
}

int ns_stack_nic_info(const struct ns_stack *st, int id, struct ns_nic_info *out)
{
	if (id <= 0 || id > st->nnics)
		return -ENODEV;
	const struct ns_nic *n = st->nics[id];
	memset(out, 0, sizeof(*out));
	out->id = n->id;
	memcpy(out->name, n->name, sizeof(out->name));
	memcpy(out->mac, n->mac, 6);
	out->mtu = n->mtu;
	out->flags = n->down ? 0 : NS_NIC_UP;
	if (n->never_up)
		out->flags |= NS_NIC_NEVER_UP;
	/* Linux's lo is not IFF_MULTICAST (its flags are 0x49 when up). */
	if (!(n->caps & NS_LINK_CAP_LOOPBACK))
		out->flags |= NS_NIC_MULTICAST;
	if (n->caps & NS_LINK_CAP_LOOPBACK)
		out->flags |= NS_NIC_LOOPBACK;
	if (n->caps & NS_LINK_CAP_RESOLVE)
		out->flags |= NS_NIC_BROADCAST;
	out->rx_packets = n->st.rx_packets;
	out->rx_bytes = n->st.rx_bytes;
	out->rx_dropped = n->st.rx_dropped + n->link->stats.rx_dropped_nomem + n->link->stats.rx_dropped_host;
	out->tx_packets = n->st.tx_packets;
	out->tx_bytes = n->st.tx_bytes;
	out->tx_dropped = n->st.tx_dropped + n->link->stats.tx_dropped;
	out->rx_errors = n->link->stats.rx_errors + n->link->stats.rx_truncated;
	out->tx_errors = n->link->stats.tx_errors;
	return 0;
}

static uint32_t lifetime_s(ns_time_t until, ns_time_t now)
{
	if (until == NS_TIME_NEVER)
		return UINT32_MAX;
	return until > now ? (uint32_t)NS_MIN((until - now) / NS_SEC, (uint64_t)UINT32_MAX - 1) : 0;
}

int ns_stack_addr_info(struct ns_stack *st, unsigned idx, struct ns_addr_info *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 1; i <= st->nnics; i++) {
		struct ns_nic *n = st->nics[i];
		if (idx < n->naddr4) {
			out->nic = n->id;
			out->addr = n->addr4[idx].addr;
			out->prefixlen = n->addr4[idx].prefixlen;
			out->state = NS_ADDR_PREFERRED;
			out->valid_lft_s = out->preferred_lft_s = UINT32_MAX;
			return 0;
		}
		idx -= n->naddr4;
	}
	ns_time_t now = st_now(st);
	for (int i = 1; i <= st->nnics; i++) {
		struct ip6_nic *in = st->nics[i]->ip6;
		if (!in)
			continue;
		for (unsigned j = 0; j < IP6_NIC_MAX_ADDR; j++) {
			const struct ip6_ifaddr *ia = &in->addrs[j];
			if (ia->state == IP6A_FREE)
				continue;
			if (idx--)
				continue;
			out->nic = i;
			out->addr.family = AF_INET6;
			memcpy(out->addr.v6, ia->addr, 16);
			out->prefixlen = ia->plen;
			out->state = ia->state;
			if (ia->flags & IP6A_F_SLAAC)
				out->flags |= NS_ADDRF_AUTOCONF;
			if (ia->flags & IP6A_F_LINKLOCAL)
				out->flags |= NS_ADDRF_LINKLOCAL;
			out->valid_lft_s = lifetime_s(ia->valid_until, now);
			out->preferred_lft_s = lifetime_s(ia->preferred_until, now);
			return 0;
		}
	}
	return -ENOENT;
}

int ns_stack_route_info(const struct ns_stack *st, unsigned idx, struct ns_route_info *out)
{
	if (idx >= st->nroutes)
		return -ENOENT;
	const struct ns_route *r = &st->routes[idx];
	memset(out, 0, sizeof(*out));
	out->dst = r->dst;
	out->prefixlen = r->prefixlen;
	out->has_gw = r->has_gw;
	out->gw = r->gw;
	out->nic = r->nic;
	out->metric = r->metric;
	return 0;
}

int ns_stack_route_lookup(struct ns_stack *st, const struct ns_ip *dst, int oif, struct ns_route_lookup *out)
{
	struct ns_rt rt;
	int r = ns_route(st, dst, NULL, oif, &rt);
	for (unsigned i = 0; r == -EINVAL && !oif && dst->family == AF_INET6 && i < st->nroutes; i++) {
		const struct ns_route *e = &st->routes[i];
		if (e->dst.family == AF_INET6 && ip6_prefix_match(e->dst.v6, dst->v6, e->prefixlen))
			r = ns_route(st, dst, NULL, e->nic, &rt);
	}
	if (r < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->nic = rt.nic ? rt.nic->id : 0;
	out->local = rt.local;
	out->src = rt.src;
	out->has_gw = !rt.local && !ns_ip_eq(&rt.nexthop, dst);
	out->gw = rt.nexthop;
	return 0;
}

int ns_socket_info(struct ns_socket *s, struct ns_sock_info *out)
{
	memset(out, 0, sizeof(*out));
	out->domain = s->domain;
	out->type = s->type;
	out->protocol = s->protocol;
	out->user_held = !s->released;
	out->id = (uintptr_t)s;
	if (!s->ops->info)
		return -EOPNOTSUPP;
	s->ops->info(s, out);
	return 0;
}

int ns_stack_foreach_socket(struct ns_stack *st, int (*fn)(const struct ns_sock_info *i, void *arg),
			    void *arg)
{
	struct ns_sock_info i;
	for (struct ns_socket *s = st->sockets; s; s = s->all_next) {
		if (ns_socket_info(s, &i) < 0)
			continue;
		int r = fn(&i, arg);
		if (r)
			return r;
	}
	return 0;
}
