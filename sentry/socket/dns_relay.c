/*
 * A relay for a DNS resolver that lives in the host kernel of the
 * sandbox's network namespace: Docker's embedded resolver (127.0.0.11 on
 * user-defined networks, which answers container names) listens on a host
 * socket in the container's namespace, reached through iptables rules
 * there. The sandbox's 127.0.0.0/8 is the netstack's own loopback, so
 * without this the program's queries would go nowhere.
 *
 * The relay is a netstack UDP socket bound to ADDR:53 and a host UDP
 * socket connected to the resolver (made by the caller before the sentry
 * starts: the sentry creates no host socket). Each query gets a relay ID
 * (the DNS header's first two bytes) that maps back to the client's
 * address and own ID when the answer comes; at most RELAY_SLOTS queries
 * are in flight (an older one's slot is reused). Queries over TCP are not
 * relayed: a truncated answer is final for the client.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ns/loop.h"
#include "ns/socket.h"
#include "dns_relay.h"

#define RELAY_SLOTS 4096
#define DNS_MAX 65535

struct relay_slot {
	struct sockaddr_storage client;
	socklen_t client_len;
	uint16_t client_id, relay_id;
	uint8_t used;
};

struct dns_relay {
	struct ns_loop *loop;
	struct ns_socket *ns;
	int hostfd;
	uint16_t next;
	struct relay_slot slots[RELAY_SLOTS];
	uint8_t buf[DNS_MAX];
	struct dns_relay_stats stats;
};

static void from_sandbox(struct ns_socket *s, uint32_t events, void *ctx)
{
	struct dns_relay *r = ctx;
	(void)events;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = ns_recvfrom(s, r->buf, sizeof(r->buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return; /* -EAGAIN: drained */
		if (n < 12) {
			r->stats.bad_query++;
			continue;
		}
		uint16_t rid = r->next++;
		struct relay_slot *sl = &r->slots[rid % RELAY_SLOTS];
		sl->client = from;
		sl->client_len = flen;
		memcpy(&sl->client_id, r->buf, 2);
		sl->relay_id = rid;
		sl->used = 1;
		memcpy(r->buf, &rid, 2);
		if (send(r->hostfd, r->buf, (size_t)n, MSG_DONTWAIT) < 0) {
			r->stats.send_failed++;
			sl->used = 0;
			continue;
		}
		r->stats.queries++;
	}
}

static void from_resolver(int fd, uint32_t events, void *arg)
{
	struct dns_relay *r = arg;
	(void)events;
	for (;;) {
		ssize_t n = recv(fd, r->buf, sizeof(r->buf), MSG_DONTWAIT);
		if (n < 0)
			return; /* EAGAIN; ECONNREFUSED (no resolver) is dropped with the query */
		if (n < 12) {
			r->stats.bad_answer++;
			continue;
		}
		uint16_t rid;
		memcpy(&rid, r->buf, 2);
		struct relay_slot *sl = &r->slots[rid % RELAY_SLOTS];
		if (!sl->used || sl->relay_id != rid) {
			r->stats.unmatched_answer++;
			continue;
		}
		sl->used = 0;
		memcpy(r->buf, &sl->client_id, 2);
		if (ns_sendto(r->ns, r->buf, (size_t)n, 0, (struct sockaddr *)&sl->client, sl->client_len) < 0)
			r->stats.send_failed++;
		else
			r->stats.answers++;
	}
}

int dns_relay_start(struct ns_stack *st, struct ns_loop *loop, int hostfd, const struct ns_ip *addr,
		    struct dns_relay **out)
{
	if (addr->family != AF_INET)
		return -EAFNOSUPPORT;
	struct dns_relay *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->hostfd = hostfd;
	if (getrandom(&r->next, sizeof(r->next), 0) < 0)
		r->next = (uint16_t)(uintptr_t)r;
	int e = ns_socket_create(st, AF_INET, SOCK_DGRAM, 0, &r->ns);
	if (e < 0) {
		free(r);
		return e;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	sa.sin_addr.s_addr = htonl(addr->v4);
	if ((e = ns_bind(r->ns, (struct sockaddr *)&sa, sizeof(sa))) < 0 ||
	    (e = ns_loop_add_fd(loop, hostfd, EPOLLIN, from_resolver, r)) < 0) {
		ns_close(r->ns);
		free(r);
		return e;
	}
	ns_socket_set_wake(r->ns, from_sandbox, r);
	*out = r;
	return 0;
}

const struct dns_relay_stats *dns_relay_stats(const struct dns_relay *r)
{
	return &r->stats;
}

void dns_relay_stop(struct dns_relay *r)
{
	if (!r)
		return;
	ns_loop_del_fd(r->loop, r->hostfd);
	close(r->hostfd);
	ns_close(r->ns);
	free(r);
}
