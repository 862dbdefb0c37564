/*
 * /proc/net: dev, tcp, tcp6, udp, udp6, route, if_inet6, rendered from the
 * sandbox's netstack (ns/info.h) in Linux's formats (proc(5)), so that
 * netstat, ss's fallback, ifconfig and scripts that parse them work.
 * procfs.c lists the files and calls procnet_render() when one is opened.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "../socket/inet.h"
#include "ns/info.h"
#include "ns/stack.h"

static int render_dev(struct ns_stack *st, FILE *out)
{
	fprintf(out, "Inter-|   Receive                                                |  Transmit\n"
		     " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
		     "drop fifo colls carrier compressed\n");
	int n = st ? ns_stack_nic_count(st) : 0;
	for (int id = 1; id <= n; id++) {
		struct ns_nic_info ni;
		if (ns_stack_nic_info(st, id, &ni) < 0)
			continue;
		fprintf(out,
			"%6s: %7llu %7llu %4llu %4llu %4u %5u %10u %9u %8llu %7llu %4llu %4llu %4u %5u %7u %10u\n",
			ni.name, (unsigned long long)ni.rx_bytes, (unsigned long long)ni.rx_packets,
			(unsigned long long)ni.rx_errors, (unsigned long long)ni.rx_dropped, 0u, 0u, 0u, 0u,
			(unsigned long long)ni.tx_bytes, (unsigned long long)ni.tx_packets,
			(unsigned long long)ni.tx_errors, (unsigned long long)ni.tx_dropped, 0u, 0u, 0u, 0u);
	}
	return 0;
}

struct sockwalk {
	struct kernel *k;
	struct ns_stack *st;
	FILE *out;
	int proto; /* IPPROTO_TCP / IPPROTO_UDP, 0: raw sockets */
	int v6;
	int sl;
};

/* An address as Linux prints it: the 32-bit words in memory order. */
static void hex4(FILE *out, const struct ns_ip *a)
{
	fprintf(out, "%08X", a->family == AF_INET ? htonl(a->v4) : 0);
}

static void hex6(FILE *out, const struct ns_ip *a)
{
	uint8_t b[16];
	if (a->family != AF_INET) {
		memcpy(b, a->v6, 16);
	} else {
		/* an IPv4 peer of an AF_INET6 socket: v4-mapped */
		memset(b, 0, 10);
		b[10] = b[11] = 0xff;
		uint32_t v = htonl(a->v4);
		memcpy(b + 12, &v, 4);
	}
	for (int i = 0; i < 4; i++) {
		uint32_t w;
		memcpy(&w, b + 4 * i, 4);
		fprintf(out, "%08X", w);
	}
}

static int sock_line(const struct ns_sock_info *i, void *arg)
{
	struct sockwalk *w = arg;
	/* (proto 0: the raw sockets, of every protocol; a raw socket of
	 * UDP's or TCP's is not theirs) */
	int raw = i->type == SOCK_RAW;
	if (raw != (w->proto == 0) || (!raw && i->protocol != w->proto) || (i->domain == AF_INET6) != w->v6)
		return 0;
	FILE *out = w->out;
	ns_time_t now = ns_stack_now(w->st);
	unsigned long when = 0;
	if (i->timer != NS_SOCK_TIMER_NONE && i->timer_expires > now)
		when = (unsigned long)((i->timer_expires - now) / (NS_SEC / 100)); /* USER_HZ */
	uint32_t txq = i->tx_queue, rxq = i->rx_queue;
	if (w->proto == IPPROTO_TCP && i->state == 10 /* LISTEN */) {
		rxq = (uint32_t)i->listening_backlog;
		txq = 0;
	}
	char line[256];
	FILE *l = fmemopen(line, sizeof(line), "w");
	if (!l)
		return -ENOMEM;
	fprintf(l, "%4d: ", w->sl++);
	if (w->v6) {
		hex6(l, &i->laddr);
		fprintf(l, ":%04X ", i->lport);
		hex6(l, &i->raddr);
	} else {
		hex4(l, &i->laddr);
		fprintf(l, ":%04X ", i->lport);
		hex4(l, &i->raddr);
	}
	fprintf(l, ":%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %llu %d %016llx", i->rport, i->state, txq, rxq,
		i->timer, when, i->retransmits, 0u, 0,
		(unsigned long long)inet_sock_ino(w->k, i->id), i->user_held ? 2 : 1, 0ull);
	if (w->proto == IPPROTO_TCP)
		fprintf(l, " 100 0 0 10 0");
	else
		fprintf(l, " 0");
	fclose(l);
	line[sizeof(line) - 1] = 0;
	if (w->v6 || w->proto != IPPROTO_TCP)
		fprintf(out, "%s\n", line);
	else
		fprintf(out, "%-149s\n", line);
	return 0;
}

static int render_socks(struct kernel *k, struct ns_stack *st, FILE *out, int proto, int v6)
{
	if (v6) /* (Linux's IPV6_SEQ_DGRAM_HEADER, of udp6 and raw6, adds the last three) */
		fprintf(out, "  sl  local_address                         remote_address                        st "
			     "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode%s\n",
			proto == IPPROTO_TCP ? "" : " ref pointer drops");
	else if (proto == 0) /* (Linux raw_seq_show: one space less than UDP's) */
		fprintf(out, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid "
			     " timeout inode ref pointer drops\n");
	else if (proto == IPPROTO_TCP)
		fprintf(out, "%-149s\n", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
					 "   uid  timeout inode");
	else
		fprintf(out, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid "
			     " timeout inode ref pointer drops\n");
	if (!st)
		return 0;
	struct sockwalk w = { k, st, out, proto, v6, 0 };
	ns_stack_foreach_socket(st, sock_line, &w);
	return 0;
}

static int render_route(struct ns_stack *st, FILE *out)
{
	fprintf(out, "%-127s\n", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
	struct ns_route_info ri;
	for (unsigned i = 0; st && ns_stack_route_info(st, i, &ri) == 0; i++) {
		if (ri.dst.family != AF_INET)
			continue;
		struct ns_nic_info ni;
		if (ns_stack_nic_info(st, ri.nic, &ni) < 0 || (ni.flags & NS_NIC_LOOPBACK))
			continue;
		uint32_t mask = ri.prefixlen ? ~0u << (32 - ri.prefixlen) : 0;
		char line[160];
		snprintf(line, sizeof(line), "%s\t%08X\t%08X\t%04X\t%d\t%u\t%u\t%08X\t%d\t%u\t%u", ni.name,
			 htonl(ri.dst.v4), ri.has_gw ? htonl(ri.gw.v4) : 0, 1u | (ri.has_gw ? 2u : 0u), 0, 0u,
			 ri.metric, htonl(mask), 0, 0u, 0u);
		fprintf(out, "%-127s\n", line);
	}
	return 0;
}

static int render_if_inet6(struct ns_stack *st, FILE *out)
{
	struct ns_addr_info ai;
	for (unsigned i = 0; st && ns_stack_addr_info(st, i, &ai) == 0; i++) {
		if (ai.addr.family != AF_INET6)
			continue;
		struct ns_nic_info ni;
		if (ns_stack_nic_info(st, ai.nic, &ni) < 0)
			continue;
		static const uint8_t one[16] = { [15] = 1 };
		unsigned scope = !memcmp(ai.addr.v6, one, 16) ? 0x10
			: (ai.addr.v6[0] == 0xfe && (ai.addr.v6[1] & 0xc0) == 0x80) ? 0x20 : 0x00;
		unsigned flags = ai.valid_lft_s == UINT32_MAX ? 0x80 : 0; /* IFA_F_PERMANENT */
		if (ai.state == NS_ADDR_TENTATIVE)
			flags |= 0x40;
		else if (ai.state == NS_ADDR_DEPRECATED)
			flags |= 0x20;
		else if (ai.state == NS_ADDR_DADFAILED)
			flags |= 0x48;
		for (int b = 0; b < 16; b++)
			fprintf(out, "%02x", ai.addr.v6[b]);
		fprintf(out, " %02x %02x %02x %02x %8s\n", ai.nic, ai.prefixlen, scope, flags, ni.name);
	}
	return 0;
}

int procnet_render(struct kernel *k, const struct task *t, const char *name, FILE *out)
{
	struct ns_stack *st = inet_stack(k, t);
	if (!strcmp(name, "dev"))
		return render_dev(st, out);
	if (!strcmp(name, "tcp"))
		return render_socks(k, st, out, IPPROTO_TCP, 0);
	if (!strcmp(name, "tcp6"))
		return render_socks(k, st, out, IPPROTO_TCP, 1);
	if (!strcmp(name, "udp"))
		return render_socks(k, st, out, IPPROTO_UDP, 0);
	if (!strcmp(name, "udp6"))
		return render_socks(k, st, out, IPPROTO_UDP, 1);
	/* raw(7): the protocol in the local port, as Linux shows it */
	if (!strcmp(name, "raw"))
		return render_socks(k, st, out, 0, 0);
	if (!strcmp(name, "raw6"))
		return render_socks(k, st, out, 0, 1);
	if (!strcmp(name, "route"))
		return render_route(st, out);
	if (!strcmp(name, "if_inet6"))
		return render_if_inet6(st, out);
	return -ENOENT;
}
