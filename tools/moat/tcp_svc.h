/* TCP services and client of `moat stack` (tcp_svc.c). */
#ifndef MOAT_TCP_SVC_H
#define MOAT_TCP_SVC_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <stdint.h>

#include "ns/common.h"

struct ns_stack;
struct ns_loop;
struct tsvc;

struct tsvc_client_opts {
	uint32_t conns;
	uint64_t send_bytes;
	const char *send_file;
	int recv;	/* read until the peer closes */
	int echo;	/* expect what was sent back (implies recv) */
	int keep_open;	/* do not shut down writing after sending */
	int nodelay;
	int no_hash;	/* benchmarks: no pattern, no SHA-256 */
	const char *congestion;
	ns_time_t timeout;
};

int tsvc_create(struct ns_stack *st, struct ns_loop *loop, struct tsvc **out);
/* kind: echo, discard, source (sends `bytes` then closes), sink */
int tsvc_listen(struct tsvc *v, const char *kind, uint16_t port, uint64_t bytes);
int tsvc_client(struct tsvc *v, const struct sockaddr_storage *to, const struct tsvc_client_opts *o);
void tsvc_fmt_peer(const struct sockaddr *sa, char *buf, size_t len);
/* Prints the client summary; 0 when every connection succeeded. */
int tsvc_client_result(const struct tsvc *v);
void tsvc_destroy(struct tsvc *v);
void tsvc_set_verbose(struct tsvc *v, int on);
/* Sinks too: count bytes, skip the digest. */
void tsvc_set_no_hash(struct tsvc *v, int on);
/* The deterministic data of `--send`: bytes [off, off+n) of the stream. */
void tsvc_pattern(uint64_t off, uint8_t *dst, size_t n);

#endif
