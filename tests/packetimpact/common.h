/* Small helpers shared by the tests (not part of the testbench API). */
#ifndef PI_TESTS_COMMON_H
#define PI_TESTS_COMMON_H

#include <string.h>
#include "pi.h"

/* Bytes of an ICMP (v4 or v6) echo request: header + data, with checksum.
 * For v6 the checksum covers the testbench -> DUT pseudo-header. */
size_t pi_echo_bytes(int family, uint16_t id, uint16_t seq, const uint8_t *data, size_t len,
		     uint8_t *out, size_t cap);
/* Fill buf with a recognisable pattern. */
void pi_pattern(uint8_t *buf, size_t len, unsigned seed);
/* The L3 header + up to `quote` bytes of a received frame, for the body of
 * an ICMP error about it. Returns the length copied. */
size_t pi_quote(const struct pi_pkt *p, size_t quote, uint8_t *out, size_t cap);
/* Send an ICMPv4 error (type, code, rest) quoting `p`. */
void pi_send_icmp4_error(uint8_t type, uint8_t code, uint32_t rest, const struct pi_pkt *p);
/* A DUT TCP connection accepted from a testbench client: listener on a
 * fresh port, handshake (SYN overrides in syn, may be NULL), accept.
 * Returns the accepted fd; *lfd gets the listener. */
int pi_accepted(int family, struct pi_tcp_conn *c, const struct pi_tcp *syn, int *lfd);
/* A DUT TCP connection to a testbench server: the DUT connects, the
 * testbench answers with SYN-ACK (overrides in synack). Returns the fd. */
int pi_connected(int family, struct pi_tcp_conn *c, const struct pi_tcp *synack);

#endif
