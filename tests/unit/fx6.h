/*
 * IPv6 on the unit-test fixture (unit.h). The fixture's channel (nic 2)
 * has no link-local address (ip6.link_local 0), so IPv6 tests start from
 * a quiet wire and add what they need:
 *
 *   fx6_setup()        B6_STACK (fd00::2/64) on the channel, without DAD;
 *                      the clock runs 2 s so that the MLD reports of its
 *                      solicited-node group are out, and they are drained
 *   fx6_take(&f)       the next IPv6 frame the stack sent, parsed; MLD
 *                      reports are skipped (freed); NULL when none
 *   FX6_EXPECT(&f)     the same, failing the test when there is none
 *   fx6_learn_peer()   the peer's MAC for an address: an NS from it with
 *                      its link-layer address, the stack's NA drained
 *   fx6_state(addr)    NS_ADDR_* of an address of the channel
 */
#ifndef TEST_FX6_H
#define TEST_FX6_H

#include "builders6.h"
#include "unit.h"

void fx6_setup(void);
struct pkt *fx6_take(struct b_frame6 *f);
#define FX6_EXPECT(f)                                                           \
	({                                                                      \
		struct pkt *_p = fx6_take(f);                                   \
		ck_assert_msg(_p != NULL, "expected the stack to send an IPv6 frame"); \
		_p;                                                             \
	})
void fx6_learn_peer(const uint8_t ip[16], const uint8_t mac[6]);
int fx6_state(const uint8_t a[16]);
/* Neighbour cache state of ip on the channel (enum neigh_state) or -ENOENT. */
int fx6_neigh(const uint8_t ip[16], uint8_t mac[6]);

#endif
