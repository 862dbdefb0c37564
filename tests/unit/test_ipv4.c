/* ipv4: IPv4 input checks, demultiplexing and output with fragmentation (ipv4.c). */
#include "unit.h"

/* A UDP datagram for port 7 on us, with the header under test's control. */
static struct pkt *udp_with(const struct b_ip4 *h_in, size_t len)
{
	static uint8_t payload[65535];
	struct b_ip4 h = *h_in;
	h.proto = IPPROTO_UDP_;
	uint8_t data[2000];
	b_pattern(data, len, 1);
	size_t n = b_udp_bytes(payload, h.src, 1000, h.dst, 7, data, len);
	return b_ip4(&h, payload, n);
}

static struct b_ip4 std_hdr(void)
{
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .id = 5 };
	return h;
}

START_TEST(malformed_headers_are_dropped_by_reason_without_reply)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(7);
	struct b_ip4 h = std_hdr();
	struct pkt *p;

	/* Shorter than a header. */
	p = udp_with(&h, 10);
	pkt_trim(p, ETH_HDR_LEN + 19);
	fx_inject(p);
	ck_assert_uint_eq(ST(ip4_drop_short), 1);
	/* Version 6 in an IPv4 frame. */
	p = udp_with(&h, 10);
	pkt_data(p)[ETH_HDR_LEN] = 0x65;
	fx_inject(p);
	ck_assert_uint_eq(ST(ip4_drop_version), 1);
	/* IHL below 5. */
	p = udp_with(&h, 10);
	pkt_data(p)[ETH_HDR_LEN] = 0x43;
	fx_inject(p);
	ck_assert_uint_eq(ST(ip4_drop_ihl), 1);
	/* Total length that lies (longer than the frame). */
	h.tot_len = 200;
	fx_inject(udp_with(&h, 10));
	ck_assert_uint_eq(ST(ip4_drop_len), 1);
	h.tot_len = 0;
	/* Bad header checksum. */
	h.bad_csum = 1;
	fx_inject(udp_with(&h, 10));
	ck_assert_uint_eq(ST(ip4_drop_csum), 1);
	h.bad_csum = 0;

	FX_EXPECT_NOTHING();
	char buf[64];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_uint_eq(ST(ip4_rx), 5);
	ck_assert_uint_eq(ST(ip4_delivered), 0);
	/* The same datagram, well formed, is delivered. */
	fx_inject(udp_with(&h, 10));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 10);
	ns_close(s);
}
END_TEST

START_TEST(bad_option_draws_parameter_problem_pointing_at_it)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	static const uint8_t bad[4] = { 0x44, 0x01, 0, 0 }; /* timestamp, length 1 */
	struct b_ip4 h = std_hdr();
	h.opts = bad;
	h.optlen = 4;
	fx_inject(udp_with(&h, 10));
	ck_assert_uint_eq(ST(ip4_drop_options), 1);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_ip && f.ip.proto == IPPROTO_ICMP_);
	ck_assert_uint_eq(f.icmp_type, ICMP_PARAMETERPROB);
	ck_assert_uint_eq(f.icmp_code, 0);
	ck_assert_uint_eq(f.icmp_rest >> 24, 20); /* RFC 792: pointer to the octet */
	ck_assert(f.l4_csum_ok);
	ck_assert_uint_eq(f.ip.dst, B_IP_PEER);
	pkt_unref(p);
	/* Not about a datagram for another host, nor from a martian source
	 * (here: our own address, which would make us answer ourselves). */
	h.dst = IP4_ADDR(10, 0, 0, 99);
	fx_inject(udp_with(&h, 10));
	h.dst = B_IP_STACK;
	h.src = B_IP_STACK;
	fx_inject(udp_with(&h, 10));
	h.src = B_IP_PEER;
	fx_poll();
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip4_drop_options), 3);
	ck_assert_uint_eq(ST(icmp_param_prob_tx), 1);
	/* Options that parse are accepted (and ignored). */
	static const uint8_t nops[4] = { 1, 1, 1, 0 };
	h.opts = nops;
	struct ns_socket *s = fx_udp_socket(7);
	fx_inject(udp_with(&h, 10));
	ck_assert_int_eq(ns_recv(s, (char[32]){ 0 }, 32, 0), 10);
	ns_close(s);
}
END_TEST

START_TEST(martian_sources_are_dropped)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(7);
	const uint32_t martians[] = { IP4_ADDR(127, 0, 0, 1), IP4_ADDR(224, 0, 0, 9), 0xffffffffu,
				      B_IP_STACK, 0 };
	for (unsigned i = 0; i < NS_ARRAY_SIZE(martians); i++) {
		struct b_ip4 h = std_hdr();
		h.src = martians[i];
		fx_inject(udp_with(&h, 4));
	}
	ck_assert_uint_eq(ST(ip4_drop_martian_src), NS_ARRAY_SIZE(martians));
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(ns_recv(s, (char[32]){ 0 }, 32, 0), -EAGAIN);
	/* RFC 1122 3.2.1.3: 0.0.0.0 is a source only while a host learns its
	 * address, to the limited broadcast (DHCP); as Linux, only there. */
	struct b_ip4 h = std_hdr();
	h.src = 0;
	h.dst = 0xffffffffu;
	struct pkt *p = udp_with(&h, 4);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	ck_assert_int_eq(ns_recv(s, (char[32]){ 0 }, 32, 0), 4);
	ns_close(s);
}
END_TEST

START_TEST(datagram_for_another_host_is_dropped_not_forwarded)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct b_ip4 h = std_hdr();
	h.dst = IP4_ADDR(10, 0, 0, 99);
	fx_inject(udp_with(&h, 4));
	h.dst = IP4_ADDR(127, 0, 0, 1); /* loopback address from the wire */
	fx_inject(udp_with(&h, 4));
	ck_assert_uint_eq(ST(ip4_drop_not_for_us), 2);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(unicast_ip_in_link_broadcast_is_dropped)
{
	struct ns_socket *s = fx_udp_socket(7);
	struct b_ip4 h = std_hdr();
	struct pkt *p = udp_with(&h, 4);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	ck_assert_uint_eq(ST(ip4_drop_bcast_unicast_l2), 1);
	ck_assert_int_eq(ns_recv(s, (char[32]){ 0 }, 32, 0), -EAGAIN);
	/* A subnet broadcast in a link broadcast is fine. */
	h.dst = IP4_ADDR(10, 0, 0, 255);
	p = udp_with(&h, 4);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	ck_assert_int_eq(ns_recv(s, (char[32]){ 0 }, 32, 0), 4);
	ns_close(s);
}
END_TEST

START_TEST(link_padding_is_trimmed_before_delivery)
{
	struct ns_socket *s = fx_udp_socket(7);
	struct b_ip4 h = std_hdr();
	struct pkt *p = udp_with(&h, 3);
	/* Minimum Ethernet frame: 60 bytes, padding after the datagram. */
	uint32_t n = p->len;
	uint8_t *pad = pkt_put(p, ETH_MIN_FRAME - n);
	memset(pad, 0xa5, ETH_MIN_FRAME - n);
	fx_inject(p);
	char buf[64];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 3);
	ck_assert_uint_eq(ST(udp_drop_csum), 0);
	ns_close(s);
}
END_TEST

START_TEST(unknown_protocol_draws_protocol_unreachable)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct b_ip4 h = std_hdr();
	h.proto = 132; /* SCTP */
	uint8_t data[40];
	b_pattern(data, sizeof(data), 3);
	fx_inject(b_ip4(&h, data, sizeof(data)));
	ck_assert_uint_eq(ST(ip4_drop_unknown_proto), 1);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP_DEST_UNREACH);
	ck_assert_uint_eq(f.icmp_code, ICMP_PROT_UNREACH);
	/* The quote is the offending header and its data (RFC 1812 4.3.2.3). */
	ck_assert_uint_eq(f.data_len, IP4_HDR_LEN + sizeof(data));
	ck_assert_uint_eq(f.data[9], 132);
	ck_assert_mem_eq(f.data + IP4_HDR_LEN, data, sizeof(data));
	pkt_unref(p);
	/* Not for a broadcast (RFC 1122 3.2.2). */
	h.dst = IP4_ADDR(10, 0, 0, 255);
	fx_inject(b_ip4(&h, data, sizeof(data)));
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(large_datagram_leaves_as_fragments_that_rebuild_it)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(4000);
	static uint8_t data[3000], whole[3100];
	b_pattern(data, sizeof(data), 11);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_sendto(s, data, sizeof(data), 0, (struct sockaddr *)&to, sizeof(to)),
			 3000);
	/* 3008 bytes of UDP: 1480 + 1480 + 48 (RFC 791: offsets in 8-byte units). */
	uint32_t want_off[] = { 0, 1480, 2960 }, want_len[] = { 1480, 1480, 48 };
	uint16_t id = 0;
	for (int i = 0; i < 3; i++) {
		struct b_frame f;
		struct pkt *p = FX_EXPECT(&f);
		ck_assert(f.is_ip && f.ip_csum_ok);
		ck_assert_uint_eq(f.ip.frag_off, want_off[i]);
		ck_assert_uint_eq(f.l4_len, want_len[i]);
		ck_assert_int_eq(f.ip.mf, i < 2);
		ck_assert(!f.ip.df);
		ck_assert_uint_le(f.ip.tot_len, 1500);
		if (i == 0)
			id = f.ip.id;
		ck_assert_uint_eq(f.ip.id, id);
		memcpy(whole + f.ip.frag_off, f.l4, f.l4_len);
		pkt_unref(p);
	}
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ns_rd16(whole + 4), 3008);
	uint32_t sum = ns_csum_pseudo4(B_IP_STACK, B_IP_PEER, IPPROTO_UDP_, 3008);
	ck_assert_uint_eq(ns_csum_fold(ns_csum_add(sum, whole, 3008)), 0);
	ck_assert_mem_eq(whole + 8, data, sizeof(data));
	ck_assert_uint_eq(ST(ip4_frag_created), 3);
	ck_assert_uint_eq(ST(ip4_frag_ok), 1);
	ns_close(s);
}
END_TEST

START_TEST(successive_datagrams_get_new_ids_and_default_ttl)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	uint16_t ids[4];
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(ns_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
		struct b_frame f;
		pkt_unref(FX_EXPECT(&f));
		ids[i] = f.ip.id;
		ck_assert_uint_eq(f.ip.ttl, 64);
		ck_assert_uint_eq(f.ip.src, B_IP_STACK);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	}
	int ttl = 3;
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	ck_assert_int_eq(ns_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert_uint_eq(f.ip.ttl, 3);
	ns_close(s);
}
END_TEST

/* ---- IPv4 options (ip4opt.c) ---- */

static void wr32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static int set_opts(struct ns_socket *s, const void *o, socklen_t n)
{
	return ns_setsockopt(s, IPPROTO_IP, IP_OPTIONS, o, n);
}

START_TEST(socket_options_are_checked_as_linux_checks_them)
{
	struct ns_socket *s = fx_udp_socket(0);
	uint8_t b[48];
	socklen_t l;
	/* At most 40 bytes; padded to whole words with End of Option List. */
	memset(b, 1, sizeof(b));
	ck_assert_int_eq(set_opts(s, b, 41), -EINVAL);
	ck_assert_int_eq(set_opts(s, b, 40), 0);
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 1 }, 1), 0);
	l = sizeof(b);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l), 0);
	ck_assert_uint_eq(l, 4);
	ck_assert_mem_eq(b, ((uint8_t[]){ 1, 0, 0, 0 }), 4);
	/* What follows End of Option List is zeroed. */
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 0, 7, 7, 7, 1 }, 5), 0);
	l = sizeof(b);
	ns_getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	ck_assert_uint_eq(l, 8);
	ck_assert_mem_eq(b, ((uint8_t[8]){ 0 }), 8);
	/* A record route reads back as given, its pointer where it was. */
	static const uint8_t rr[] = { 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0 };
	ck_assert_int_eq(set_opts(s, rr, sizeof(rr)), 0);
	l = sizeof(b);
	ns_getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	ck_assert_uint_eq(l, 12);
	ck_assert_mem_eq(b, rr, sizeof(rr));
	/* Malformed: a pointer below 4, a length past the list, a second
	 * record route, a timestamp with 15 overflows; the list stays. */
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 7, 7, 3, 0, 0, 0, 0 }, 7), -EINVAL);
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 1, 1, 1, 7 }, 4), -EINVAL);
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 7, 3, 4, 7, 3, 4, 0, 0 }, 8), -EINVAL);
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 68, 8, 9, 0xf0, 1, 2, 3, 4 }, 8), -EINVAL);
	l = sizeof(b);
	ns_getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	ck_assert_uint_eq(l, 12);
	/* Source routes, security and unknown options need CAP_NET_RAW: a
	 * source route EPERM once well formed, the others EINVAL. */
	static const uint8_t lsrr[] = { 131, 11, 4, 10, 0, 0, 1, 10, 0, 0, 9 };
	ns_socket_set_caller(s, &(struct ns_caller){ .net_raw = 0 });
	ck_assert_int_eq(set_opts(s, lsrr, sizeof(lsrr)), -EPERM);
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 131, 11, 8, 10, 0, 0, 1, 10, 0, 0, 9 }, 11), -EINVAL);
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 136, 4, 0, 1 }, 4), -EINVAL);
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 68, 12, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0 }, 12), -EINVAL);
	ns_socket_set_caller(s, &(struct ns_caller){ .net_raw = 1, .net_admin = 1 });
	ck_assert_int_eq(set_opts(s, (uint8_t[]){ 136, 4, 0, 1 }, 4), 0);
	/* A source route's first hop is kept apart and read back in place. */
	ck_assert_int_eq(set_opts(s, lsrr, sizeof(lsrr)), 0);
	l = sizeof(b);
	ns_getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	ck_assert_uint_eq(l, 12);
	ck_assert_mem_eq(b, lsrr, sizeof(lsrr));
	/* A short read gets the first bytes; no bytes clear. */
	l = 2;
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l), 0);
	ck_assert_uint_eq(l, 2);
	ck_assert_int_eq(set_opts(s, NULL, 0), 0);
	l = sizeof(b);
	ns_getsockopt(s, IPPROTO_IP, IP_OPTIONS, b, &l);
	ck_assert_uint_eq(l, 0);
	ns_close(s);
}
END_TEST

START_TEST(sent_options_record_our_address_and_the_time)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	ns_stack_set_wall_offset(F.st, 0);
	struct ns_socket *s = fx_udp_socket(0);
	static const uint8_t o[] = { 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	ck_assert_int_eq(set_opts(s, o, sizeof(o)), 0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_sendto(s, "abc", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_ip && f.ip_csum_ok && f.l4_csum_ok);
	ck_assert_uint_eq(f.ip.hlen, 20 + 24);
	ck_assert_uint_eq(f.data_len, 3);
	const uint8_t *h = pkt_data(p) + ETH_HDR_LEN + 20;
	uint8_t want[24] = { 7, 11, 8, 0, 0, 0, 0, 0, 0, 0, 0, 68, 12, 13, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	wr32(want + 3, B_IP_STACK);
	wr32(want + 15, B_IP_STACK);
	/* RFC 791: milliseconds since midnight UT */
	wr32(want + 19, (uint32_t)((ns_stack_now(F.st) / 1000000u) % 86400000u));
	ck_assert_mem_eq(h, want, sizeof(want));
	pkt_unref(p);
	/* The IP_RETOPTS message replaces them for one datagram. */
	uint8_t cb[CMSG_SPACE(4)];
	memset(cb, 0, sizeof(cb));
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_RETOPTS;
	c->cmsg_len = CMSG_LEN(4);
	memcpy(CMSG_DATA(c), (uint8_t[]){ 148, 4, 0, 0 }, 4);
	ck_assert_int_eq(ns_sendmsg(s, &m, 0), 1);
	p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.ip.hlen, 24);
	ck_assert_mem_eq(pkt_data(p) + ETH_HDR_LEN + 20, ((uint8_t[]){ 148, 4, 0, 0 }), 4);
	pkt_unref(p);
	ck_assert_int_eq(ns_sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	pkt_unref(FX_EXPECT(&f));
	ck_assert_uint_eq(f.ip.hlen, 44);
	ns_close(s);
}
END_TEST

START_TEST(received_options_are_filled_and_given_as_messages)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(7);
	int one = 1;
	ns_setsockopt(s, IPPROTO_IP, IP_RECVOPTS, &one, sizeof(one));
	ns_setsockopt(s, IPPROTO_IP, IP_RETOPTS, &one, sizeof(one));
	/* A record route the peer filled, with room for us and a stale
	 * third slot, then a Router Alert. */
	uint8_t o[20] = { 7, 15, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 148, 4, 0, 0, 0 };
	wr32(o + 3, B_IP_PEER);
	struct b_ip4 h = std_hdr();
	h.opts = o;
	h.optlen = sizeof(o);
	fx_inject(udp_with(&h, 10));
	char buf[32], cb[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	ck_assert_int_eq(ns_recvmsg(s, &m, 0), 10);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	/* IP_RECVOPTS: as this end host filled them (our address, pointer on) */
	ck_assert(c && c->cmsg_type == IP_RECVOPTS && c->cmsg_len == CMSG_LEN(20));
	uint8_t want[20];
	memcpy(want, o, sizeof(want));
	want[2] = 12;
	wr32(want + 7, B_IP_STACK);
	ck_assert_mem_eq(CMSG_DATA(c), want, 20);
	/* IP_RETOPTS: the record route alone, for a reply: the slot it would
	 * fill emptied, padded to a word */
	c = CMSG_NXTHDR(&m, c);
	ck_assert(c && c->cmsg_type == IP_RETOPTS && c->cmsg_len == CMSG_LEN(16));
	memset(want + 11, 0, 5);
	ck_assert_mem_eq(CMSG_DATA(c), want, 16);
	ck_assert_ptr_null(CMSG_NXTHDR(&m, c));
	ns_close(s);
}
END_TEST

START_TEST(bad_or_source_routed_options_are_dropped_and_counted)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(7);
	struct b_ip4 h = std_hdr();
	/* A record route whose pointer leaves no whole slot: the parameter
	 * problem points at the pointer (Linux). */
	static const uint8_t rr[8] = { 7, 7, 5, 0, 0, 0, 0, 0 };
	h.opts = rr;
	h.optlen = sizeof(rr);
	fx_inject(udp_with(&h, 10));
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP_PARAMETERPROB);
	ck_assert_uint_eq(f.icmp_rest >> 24, 22);
	pkt_unref(p);
	/* A timestamp that overflowed 15 times: at its flags byte. */
	static const uint8_t ts[8] = { 68, 8, 9, 0xf0, 0, 0, 0, 0 };
	h.opts = ts;
	fx_inject(udp_with(&h, 10));
	p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_rest >> 24, 23);
	pkt_unref(p);
	/* A second record route, after a valid first: the error carries the
	 * first turned round (Linux). */
	static const uint8_t rr2[8] = { 7, 3, 4, 7, 3, 4, 0, 0 };
	h.opts = rr2;
	fx_inject(udp_with(&h, 10));
	p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP_PARAMETERPROB);
	ck_assert_uint_eq(f.icmp_rest >> 24, 23);
	ck_assert_uint_eq(f.ip.hlen, 24);
	ck_assert_mem_eq(pkt_data(p) + ETH_HDR_LEN + 20, ((uint8_t[]){ 7, 3, 4, 0 }), 4);
	pkt_unref(p);
	ck_assert_uint_eq(ST(ip4_drop_options), 3);
	/* A source route: dropped without a word (Linux's
	 * accept_source_route default). */
	uint8_t sr[8] = { 131, 7, 4, 0, 0, 0, 0, 0 };
	wr32(sr + 3, B_IP_STACK);
	h.opts = sr;
	fx_inject(udp_with(&h, 10));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(ip4_drop_srcroute), 1);
	ck_assert_int_eq(ns_recv(s, (char[32]){ 0 }, 32, 0), -EAGAIN);
	ns_close(s);
}
END_TEST

START_TEST(errors_and_echo_replies_turn_the_options_round)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	/* To a closed port: the unreachable carries the record route turned
	 * round (our address recorded on input, then as the sender); its
	 * quote shows the header as input filled it. */
	uint8_t o[12] = { 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct b_ip4 h = std_hdr();
	h.opts = o;
	h.optlen = sizeof(o);
	fx_inject(udp_with(&h, 10));
	struct b_frame f;
	struct pkt *p = FX_EXPECT(&f);
	ck_assert(f.is_ip && f.ip_csum_ok && f.l4_csum_ok);
	ck_assert_uint_eq(f.icmp_type, ICMP_DEST_UNREACH);
	ck_assert_uint_eq(f.ip.hlen, 32);
	uint8_t want[12] = { 7, 11, 12 };
	wr32(want + 3, B_IP_STACK);
	wr32(want + 7, B_IP_STACK);
	ck_assert_mem_eq(pkt_data(p) + ETH_HDR_LEN + 20, want, 12);
	uint8_t quoted[12] = { 7, 11, 8 };
	wr32(quoted + 3, B_IP_STACK);
	ck_assert_mem_eq(f.data + 20, quoted, 12);
	pkt_unref(p);
	/* An echo request: the reply likewise; one whose timestamp leaves
	 * no room for the reply's is not answered (Linux), and counted. */
	h.proto = IPPROTO_ICMP_;
	uint8_t icmp[12];
	size_t il = b_icmp_bytes(icmp, ICMP_ECHO, 0, 0x00010002, "ping", 4);
	fx_inject(b_ip4(&h, icmp, il));
	p = FX_EXPECT(&f);
	ck_assert_uint_eq(f.icmp_type, ICMP_ECHOREPLY);
	ck_assert_mem_eq(pkt_data(p) + ETH_HDR_LEN + 20, want, 12);
	pkt_unref(p);
	static const uint8_t ts[16] = { 68, 16, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	h.opts = ts;
	h.optlen = sizeof(ts);
	fx_inject(b_ip4(&h, icmp, il));
	FX_EXPECT_NOTHING();
	ck_assert_uint_eq(ST(icmp_drop_echo_options), 1);
}
END_TEST

START_TEST(later_fragments_keep_only_copied_options)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = fx_udp_socket(0);
	/* Record route (not copied) and Stream ID (copied). */
	static const uint8_t o[] = { 7, 7, 4, 0, 0, 0, 0, 136, 4, 0, 1 };
	ck_assert_int_eq(set_opts(s, o, sizeof(o)), 0);
	static uint8_t data[3000];
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_sendto(s, data, sizeof(data), 0, (struct sockaddr *)&to, sizeof(to)), 3000);
	for (int i = 0; i < 3; i++) {
		struct b_frame f;
		struct pkt *p = FX_EXPECT(&f);
		ck_assert(f.is_ip && f.ip_csum_ok);
		ck_assert_uint_eq(f.ip.hlen, 32);
		const uint8_t *h = pkt_data(p) + ETH_HDR_LEN + 20;
		if (i == 0)
			ck_assert_uint_eq(h[0], 7);
		else
			ck_assert_mem_eq(h, ((uint8_t[]){ 1, 1, 1, 1, 1, 1, 1, 136, 4, 0, 1, 0 }), 12);
		pkt_unref(p);
	}
	ns_close(s);
}
END_TEST

Suite *ipv4_suite(void)
{
	Suite *s = unit_suite("ipv4");
	ADD_FX(s, malformed_headers_are_dropped_by_reason_without_reply);
	ADD_FX(s, bad_option_draws_parameter_problem_pointing_at_it);
	ADD_FX(s, martian_sources_are_dropped);
	ADD_FX(s, datagram_for_another_host_is_dropped_not_forwarded);
	ADD_FX(s, unicast_ip_in_link_broadcast_is_dropped);
	ADD_FX(s, link_padding_is_trimmed_before_delivery);
	ADD_FX(s, unknown_protocol_draws_protocol_unreachable);
	ADD_FX(s, large_datagram_leaves_as_fragments_that_rebuild_it);
	ADD_FX(s, successive_datagrams_get_new_ids_and_default_ttl);
	ADD_FX(s, socket_options_are_checked_as_linux_checks_them);
	ADD_FX(s, sent_options_record_our_address_and_the_time);
	ADD_FX(s, received_options_are_filled_and_given_as_messages);
	ADD_FX(s, bad_or_source_routed_options_are_dropped_and_counted);
	ADD_FX(s, errors_and_echo_replies_turn_the_options_round);
	ADD_FX(s, later_fragments_keep_only_copied_options);
	return s;
}
