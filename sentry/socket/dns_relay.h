/* The DNS relay to a resolver in the host kernel of the sandbox's network
 * namespace (dns_relay.c). */
#ifndef SENTRY_DNS_RELAY_H
#define SENTRY_DNS_RELAY_H

#include <stdint.h>

#include "ns/stack.h"

struct ns_loop;
struct dns_relay;

struct dns_relay_stats {
	uint64_t queries, answers;
	uint64_t bad_query, bad_answer, unmatched_answer, send_failed; /* dropped */
};

/* Serves UDP ADDR:53 on the netstack st, relaying to the connected host
 * socket hostfd (taken: closed by dns_relay_stop). 0 or -errno. */
int dns_relay_start(struct ns_stack *st, struct ns_loop *loop, int hostfd, const struct ns_ip *addr,
		    struct dns_relay **out);
void dns_relay_stop(struct dns_relay *r);
const struct dns_relay_stats *dns_relay_stats(const struct dns_relay *r);

#endif
