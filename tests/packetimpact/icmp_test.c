/* ICMP behaviours: echo, and ICMP errors delivered to UDP and TCP sockets. */
#include <string.h>

#include "pi.h"

/* RFC 792: an echo request is answered with an echo reply carrying the same
 * identifier, sequence number and data. */
PI_TEST(icmp_echo)
{
	uint8_t data[56];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	struct pi_frame req = { .l4 = PI_L4_ICMP4, .icmp = { .type = PI_U8(8), .rest = PI_U32(0x12340001) },
				.payload = { PI_SET, data, sizeof(data) } };
	pi_send(&req);
	struct pi_frame want = { .l3 = PI_L3_IPV4, .l4 = PI_L4_ICMP4,
				 .ip4 = { .src = PI_U32(pi_env.remote_ip4), .dst = PI_U32(pi_env.local_ip4) },
				 .icmp = { .type = PI_U8(0), .code = PI_U8(0), .rest = PI_U32(0x12340001) },
				 .payload = { PI_SET, data, sizeof(data) } };
	pi_expect_ok(NULL, &want, 2000, NULL, "echo reply");
}
