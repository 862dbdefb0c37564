/*
 * udp: UDP sockets through the socket API (udp.c, socket.c) on the channel
 * endpoint. The expected behaviour is Linux's (checked against it with the
 * same calls on real sockets).
 */
#include <netinet/udp.h>
#include <poll.h>
#include <sys/ioctl.h>

#include "ns/info.h"
#include "unit.h"

static int bind_port(struct ns_socket *s, uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = fx_sin(ip, port);
	return ns_bind(s, (struct sockaddr *)&a, sizeof(a));
}

static struct ns_socket *new_sock(int opt_name)
{
	struct ns_socket *s;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, 0, &s), 0);
	int on = 1;
	if (opt_name)
		ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, opt_name, &on, sizeof(on)), 0);
	return s;
}

static uint16_t local_port(struct ns_socket *s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	ck_assert_int_eq(ns_getsockname(s, (struct sockaddr *)&a, &len), 0);
	ck_assert_int_eq(len, sizeof(a));
	return ntohs(a.sin_port);
}

static ssize_t send_to(struct ns_socket *s, uint32_t ip, uint16_t port, const void *d, size_t n)
{
	struct sockaddr_in to = fx_sin(ip, port);
	return ns_sendto(s, d, n, 0, (struct sockaddr *)&to, sizeof(to));
}

START_TEST(bind_to_a_port_in_use_fails_with_eaddrinuse)
{
	struct ns_socket *a = new_sock(0), *b = new_sock(0);
	ck_assert_int_eq(bind_port(a, 0, 5000), 0);
	ck_assert_int_eq(bind_port(b, 0, 5000), -EADDRINUSE);
	ck_assert_int_eq(bind_port(b, B_IP_STACK, 5000), -EADDRINUSE);
	ck_assert_int_eq(bind_port(b, 0, 5001), 0);
	/* Bound once is bound for good. */
	ck_assert_int_eq(bind_port(b, 0, 5002), -EINVAL);
	ns_close(a);
	/* Closing frees the port. */
	struct ns_socket *c = new_sock(0);
	ck_assert_int_eq(bind_port(c, 0, 5000), 0);
	ns_close(b);
	ns_close(c);
}
END_TEST

START_TEST(so_reuseaddr_on_both_sockets_shares_a_port_newest_gets_unicast)
{
	struct ns_socket *a = new_sock(SO_REUSEADDR), *b = new_sock(SO_REUSEADDR), *c = new_sock(0);
	ck_assert_int_eq(bind_port(a, 0, 5000), 0);
	ck_assert_int_eq(bind_port(b, 0, 5000), 0);
	ck_assert_int_eq(bind_port(c, 0, 5000), -EADDRINUSE); /* both must set it */
	int v = 0;
	socklen_t len = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(a, SOL_SOCKET, SO_REUSEADDR, &v, &len), 0);
	ck_assert_int_eq(v, 1);
	/* Unicast goes to one of them: as Linux, the one bound last. */
	char buf[8];
	for (int i = 0; i < 5; i++)
		fx_inject(b_udp4(B_IP_PEER, (uint16_t)(100 + i), B_IP_STACK, 5000, "u", 1));
	ck_assert_int_eq(ns_recv(a, buf, sizeof(buf), 0), -EAGAIN);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(ns_recv(b, buf, sizeof(buf), 0), 1);
	ns_close(a);
	ns_close(b);
	ns_close(c);
}
END_TEST

START_TEST(so_reuseport_group_shares_a_port_and_keeps_each_flow_on_one_socket)
{
	struct ns_socket *s[2] = { new_sock(SO_REUSEPORT), new_sock(SO_REUSEPORT) };
	struct ns_socket *other = new_sock(SO_REUSEADDR);
	ck_assert_int_eq(bind_port(s[0], 0, 6000), 0);
	ck_assert_int_eq(bind_port(s[1], 0, 6000), 0);
	ck_assert_int_eq(bind_port(other, 0, 6000), -EADDRINUSE);
	int got[2] = { 0, 0 };
	char buf[8];
	for (uint16_t sport = 1; sport <= 64; sport++) {
		for (int rep = 0; rep < 3; rep++) {
			fx_inject(b_udp4(B_IP_PEER, sport, B_IP_STACK, 6000, "r", 1));
			int which = -1;
			for (int k = 0; k < 2; k++)
				if (ns_recv(s[k], buf, sizeof(buf), 0) == 1) {
					ck_assert_int_eq(which, -1); /* exactly one copy */
					which = k;
				}
			ck_assert_int_ne(which, -1);
			got[which]++;
			if (rep > 0)
				ck_assert_msg(got[which] % 3 != 1, "a flow changed sockets");
		}
	}
	/* Both members get a share of 64 flows. */
	ck_assert_int_gt(got[0], 3 * 8);
	ck_assert_int_gt(got[1], 3 * 8);
	ns_close(s[0]);
	ns_close(s[1]);
	ns_close(other);
}
END_TEST

START_TEST(specific_and_wildcard_binds_conflict_unless_addresses_differ)
{
	struct ns_socket *a = new_sock(0), *b = new_sock(0), *c = new_sock(0);
	ck_assert_int_eq(bind_port(a, B_IP_STACK, 7000), 0);
	ck_assert_int_eq(bind_port(b, 0, 7000), -EADDRINUSE);
	ck_assert_int_eq(bind_port(b, IP4_ADDR(127, 0, 0, 1), 7000), 0);
	ck_assert_int_eq(bind_port(c, IP4_ADDR(10, 0, 0, 50), 7001), -EADDRNOTAVAIL);
	ns_close(a);
	ns_close(b);
	ns_close(c);
}
END_TEST

START_TEST(ephemeral_ports_come_from_the_linux_range_and_differ)
{
	enum { N = 200 };
	struct ns_socket *s[N];
	static uint8_t seen[65536];
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < N; i++) {
		s[i] = new_sock(0);
		if (i % 2)
			ck_assert_int_eq(bind_port(s[i], 0, 0), 0);
		else /* sendto binds an unbound socket */
			ck_assert_int_eq(send_to(s[i], IP4_ADDR(127, 0, 0, 1), 9, "x", 1), 1);
		uint16_t p = local_port(s[i]);
		ck_assert_uint_ge(p, 32768);
		ck_assert_uint_le(p, 60999);
		ck_assert_msg(!seen[p], "port %u handed out twice", p);
		seen[p] = 1;
	}
	fx_poll();
	for (int i = 0; i < N; i++)
		ns_close(s[i]);
}
END_TEST

START_TEST(connect_sets_the_peer_and_picks_the_local_address)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	ck_assert_int_eq(ns_getpeername(s, (struct sockaddr *)&a, &len), -ENOTCONN);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 53);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	len = sizeof(a);
	ck_assert_int_eq(ns_getpeername(s, (struct sockaddr *)&a, &len), 0);
	ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), B_IP_PEER);
	ck_assert_uint_eq(ntohs(a.sin_port), 53);
	len = sizeof(a);
	ck_assert_int_eq(ns_getsockname(s, (struct sockaddr *)&a, &len), 0);
	ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), B_IP_STACK);
	uint16_t lport = ntohs(a.sin_port);
	ck_assert_uint_ge(lport, 32768);
	/* send() goes to the peer. */
	ck_assert_int_eq(ns_send(s, "query", 5, 0), 5);
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert_uint_eq(f.ip.dst, B_IP_PEER);
	ck_assert_uint_eq(f.dport, 53);
	ck_assert_uint_eq(f.sport, lport);
	ck_assert(f.l4_csum_ok);
	ck_assert_mem_eq(f.data, "query", 5);
	ns_close(s);
}
END_TEST

START_TEST(connected_socket_receives_only_from_its_peer)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(bind_port(s, 0, 8000), 0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 53);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	char buf[16];
	fx_inject(b_udp4(B_IP_PEER, 54, B_IP_STACK, 8000, "wrong port", 10));
	fx_inject(b_udp4(IP4_ADDR(10, 0, 0, 3), 53, B_IP_STACK, 8000, "wrong host", 10));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	/* No socket took them: port unreachable, as Linux. */
	ck_assert_uint_eq(ST(udp_drop_no_port), 2);
	fx_inject(b_udp4(B_IP_PEER, 53, B_IP_STACK, 8000, "answer", 6));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 6);
	ck_assert_mem_eq(buf, "answer", 6);
	fx_drain();
	ns_close(s);
}
END_TEST

START_TEST(connect_af_unspec_dissolves_the_association)
{
	struct ns_socket *s = new_sock(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 53);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	ck_assert_int_eq(ns_connect(s, &un, sizeof(un)), 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	ck_assert_int_eq(ns_getpeername(s, (struct sockaddr *)&a, &len), -ENOTCONN);
	ck_assert_int_eq(ns_send(s, "x", 1, 0), -EDESTADDRREQ);
	ns_close(s);
}
END_TEST

START_TEST(send_without_destination_fails_edestaddrreq)
{
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(ns_send(s, "x", 1, 0), -EDESTADDRREQ);
	/* Linux binds a port before it looks at the destination (the
	 * socket layer's inet_send_prepare): a later bind finds one. */
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	ck_assert_int_eq(ns_getsockname(s, (struct sockaddr *)&me, &ml), 0);
	ck_assert_int_ne(me.sin_port, 0);
	ck_assert_int_eq(bind_port(s, 0, 9000), -EINVAL);
	ck_assert_int_eq(ns_send(s, "x", 1, 0), -EDESTADDRREQ);
	/* Port 0 is no destination either (Linux: EINVAL). */
	ck_assert_int_eq(send_to(s, B_IP_PEER, 0, "x", 1), -EINVAL);
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

/* Connected socket whose datagram draws a port unreachable from the peer. */
static struct ns_socket *refused_socket(int connect)
{
	struct ns_socket *s = new_sock(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	if (connect) {
		ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
		ck_assert_int_eq(ns_send(s, "hello", 5, 0), 5);
	} else {
		ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "hello", 5), 5);
	}
	struct pkt *p = FX_EXPECT(NULL);
	/* The peer answers with port unreachable quoting our datagram. */
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			  pkt_data(p) + ETH_HDR_LEN, p->len - ETH_HDR_LEN));
	pkt_unref(p);
	return s;
}

START_TEST(port_unreachable_reports_econnrefused_on_a_connected_socket)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = refused_socket(1);
	ck_assert(ns_socket_poll(s) & POLLERR);
	char buf[16];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -ECONNREFUSED);
	/* Reported once. */
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	/* The next one is reported by send too, and by SO_ERROR. */
	ck_assert_int_eq(ns_send(s, "again", 5, 0), 5);
	struct pkt *p = FX_EXPECT(NULL);
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			  pkt_data(p) + ETH_HDR_LEN, p->len - ETH_HDR_LEN));
	pkt_unref(p);
	int err = 0;
	socklen_t len = sizeof(err);
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, 0);
	ns_close(s);
}
END_TEST

/* Linux: a send reports the pending error where it would allocate the
 * datagram, after the destination is checked: port 0 is EINVAL first. */
START_TEST(pending_error_waits_behind_a_bad_destination_port)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = refused_socket(1);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 0, "x", 1), -EINVAL);
	ck_assert(ns_socket_poll(s) & POLLERR);
	ck_assert_int_eq(ns_send(s, "x", 1, 0), -ECONNREFUSED);
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ns_close(s);
}
END_TEST

START_TEST(port_unreachable_reaches_a_socket_bound_to_its_device)
{
	/* SO_BINDTODEVICE must not hide the socket from ICMP errors about
	 * what it sent (Linux looks the socket up on the error's interface). */
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "ch0", 4), 0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(ns_send(s, "hello", 5, 0), 5);
	struct pkt *p = FX_EXPECT(NULL);
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			  pkt_data(p) + ETH_HDR_LEN, p->len - ETH_HDR_LEN));
	pkt_unref(p);
	ck_assert_uint_eq(ST(icmp_err_no_socket), 0);
	ck_assert_int_eq(ns_recv(s, (char[8]){ 0 }, 8, 0), -ECONNREFUSED);
	ns_close(s);
}
END_TEST

START_TEST(port_unreachable_is_ignored_by_an_unconnected_socket)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = refused_socket(0);
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ck_assert_int_eq(ns_recv(s, (char[8]){ 0 }, 8, 0), -EAGAIN);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "x", 1), 1);
	fx_drain();
	ns_close(s);
}
END_TEST

START_TEST(pending_error_is_reported_before_queued_data)
{
	/* Linux __skb_recv_udp() takes sk_err before the queue: a datagram
	 * already waiting does not hide the refusal. */
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(ns_send(s, "hello", 5, 0), 5);
	struct pkt *p = FX_EXPECT(NULL);
	fx_inject(b_udp4(B_IP_PEER, 9, B_IP_STACK, local_port(s), "data", 4));
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			  pkt_data(p) + ETH_HDR_LEN, p->len - ETH_HDR_LEN));
	pkt_unref(p);
	char buf[16];
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -ECONNREFUSED);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 4);
	ck_assert_mem_eq(buf, "data", 4);
	ns_close(s);
}
END_TEST

START_TEST(datagram_over_65507_bytes_fails_emsgsize)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	static uint8_t big[65508];
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, big, 65508), -EMSGSIZE);
	FX_EXPECT_NOTHING();
	/* The largest one fits exactly: 65535 bytes of IP in 45 fragments. */
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, big, 65507), 65507);
	ck_assert_int_eq(fx_drain(), 45);
	ns_close(s);
}
END_TEST

START_TEST(msg_peek_and_msg_trunc_behave_as_linux)
{
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(bind_port(s, 0, 9100), 0);
	fx_inject(b_udp4(B_IP_PEER, 1234, B_IP_STACK, 9100, "0123456789", 10));
	fx_inject(b_udp4(B_IP_PEER, 1234, B_IP_STACK, 9100, "second", 6));
	char buf[16];
	int avail = 0;
	ck_assert_int_eq(ns_socket_ioctl(s, FIONREAD, &avail), 0);
	ck_assert_int_eq(avail, 10); /* the next datagram, not the total */
	/* MSG_PEEK leaves it queued. */
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), MSG_PEEK), 10);
	ck_assert_mem_eq(buf, "0123456789", 10);
	/* MSG_TRUNC returns the real length even for a short buffer. */
	ck_assert_int_eq(ns_recv(s, buf, 4, MSG_PEEK | MSG_TRUNC), 10);
	/* A short buffer truncates and flags it; the rest is gone. */
	struct iovec iov = { buf, 4 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ck_assert_int_eq(ns_recvmsg(s, &m, 0), 4);
	ck_assert(m.msg_flags & MSG_TRUNC);
	ck_assert_mem_eq(buf, "0123", 4);
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ck_assert_int_eq(ns_recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 6);
	ck_assert_mem_eq(buf, "second", 6);
	ck_assert_int_eq(flen, sizeof(from));
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), B_IP_PEER);
	ck_assert_uint_eq(ntohs(from.sin_port), 1234);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	ns_close(s);
}
END_TEST

static int peek_off(struct ns_socket *s)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &v, &l), 0);
	return v;
}

static void set_peek_off(struct ns_socket *s, int v)
{
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)), 0);
}

/* Linux udp_recvmsg with SO_PEEK_OFF: a peek passes the whole datagrams
 * the offset covers (an empty one once peeked) and begins inside the
 * next; the offset moves on by what a peek returns and back by what a
 * read returns; NS_MSG_HEAD (the sentry's peek before a read) ignores it. */
START_TEST(so_peek_off_walks_the_datagrams_as_linux)
{
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(bind_port(s, 0, 9100), 0);
	ck_assert_int_eq(peek_off(s), -1);
	fx_inject(b_udp4(B_IP_PEER, 1234, B_IP_STACK, 9100, "aaaa", 4));
	fx_inject(b_udp4(B_IP_PEER, 1234, B_IP_STACK, 9100, "", 0));
	fx_inject(b_udp4(B_IP_PEER, 1234, B_IP_STACK, 9100, "bbbbbb", 6));
	char buf[16];
	set_peek_off(s, 0);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), MSG_PEEK), 4);
	ck_assert_int_eq(peek_off(s), 4);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), MSG_PEEK), 0); /* the empty one, now peeked */
	ck_assert_int_eq(ns_recv(s, buf, 2, MSG_PEEK), 2);	       /* passed it */
	ck_assert_mem_eq(buf, "bb", 2);
	ck_assert_int_eq(peek_off(s), 6);
	/* MSG_TRUNC returns (and moves by) the whole length; what was
	 * copied is the rest from the offset on. */
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t copied = 99;
	ck_assert_int_eq(ns_recvmsg_copied(s, &m, MSG_PEEK | MSG_TRUNC, &copied), 6);
	ck_assert_uint_eq(copied, 4);
	ck_assert_mem_eq(buf, "bbbb", 4);
	ck_assert(!(m.msg_flags & MSG_TRUNC));
	ck_assert_int_eq(peek_off(s), 12);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), MSG_PEEK), -EAGAIN); /* past them all */
	/* The peek before a read sees the head and leaves the offset. */
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), MSG_PEEK | NS_MSG_HEAD), 4);
	ck_assert_mem_eq(buf, "aaaa", 4);
	ck_assert_int_eq(peek_off(s), 12);
	/* Reads move it back by what they return, never below 0. */
	ck_assert_int_eq(ns_recv(s, buf, 2, 0), 2);
	ck_assert_int_eq(peek_off(s), 10);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(ns_recv(s, buf, 1, MSG_TRUNC), 6);
	ck_assert_int_eq(peek_off(s), 4);
	set_peek_off(s, -2); /* any negative: off, read back as set */
	ck_assert_int_eq(peek_off(s), -2);
	ns_close(s);
	/* Ping sockets have none (Linux: EOPNOTSUPP both ways). */
	struct ns_socket *p;
	ck_assert_int_eq(ns_socket_create(F.st, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &p), 0);
	int v = 0;
	socklen_t l = sizeof(v);
	ck_assert_int_eq(ns_setsockopt(p, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)), -EOPNOTSUPP);
	ck_assert_int_eq(ns_getsockopt(p, SOL_SOCKET, SO_PEEK_OFF, &v, &l), -EOPNOTSUPP);
	ns_close(p);
}
END_TEST

START_TEST(ancillary_data_reports_destination_interface_ttl_and_tos)
{
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(bind_port(s, 0, 9500), 0);
	int on = 1;
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)), 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)), 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on)), 0);
	static uint8_t payload[64];
	size_t n = b_udp_bytes(payload, B_IP_PEER, 1, B_IP_STACK, 9500, "anc", 3);
	struct b_ip4 h = { .src = B_IP_PEER, .dst = B_IP_STACK, .proto = IPPROTO_UDP_, .ttl = 33,
			   .tos = 0x28 };
	fx_inject(b_ip4(&h, payload, n));
	char buf[16];
	union {
		char b[256];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	ck_assert_int_eq(ns_recvmsg(s, &m, 0), 3);
	ck_assert(!(m.msg_flags & MSG_CTRUNC));
	int seen = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		ck_assert_int_eq(c->cmsg_level, IPPROTO_IP);
		if (c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ck_assert_int_eq(pi.ipi_ifindex, F.nic);
			ck_assert_uint_eq(ntohl(pi.ipi_addr.s_addr), B_IP_STACK);
			ck_assert_uint_eq(ntohl(pi.ipi_spec_dst.s_addr), B_IP_STACK);
			seen |= 1;
		} else if (c->cmsg_type == IP_TTL) {
			int ttl;
			memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			ck_assert_int_eq(ttl, 33);
			seen |= 2;
		} else if (c->cmsg_type == IP_TOS) {
			ck_assert_uint_eq(*(uint8_t *)CMSG_DATA(c), 0x28);
			seen |= 4;
		}
	}
	ck_assert_int_eq(seen, 7);
	/* No room for control data: flagged, data still delivered. */
	fx_inject(b_ip4(&h, payload, n));
	m.msg_controllen = 8;
	iov.iov_len = sizeof(buf);
	ck_assert_int_eq(ns_recvmsg(s, &m, 0), 3);
	ck_assert(m.msg_flags & MSG_CTRUNC);
	ns_close(s);
}
END_TEST

START_TEST(broadcast_needs_so_broadcast)
{
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(send_to(s, IP4_ADDR(10, 0, 0, 255), 9, "x", 1), -EACCES);
	ck_assert_int_eq(send_to(s, 0xffffffffu, 9, "x", 1), -EACCES);
	struct sockaddr_in to = fx_sin(IP4_ADDR(10, 0, 0, 255), 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), -EACCES);
	FX_EXPECT_NOTHING();
	int on = 1;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)), 0);
	ck_assert_int_eq(send_to(s, IP4_ADDR(10, 0, 0, 255), 9, "x", 1), 1);
	ck_assert_int_eq(send_to(s, 0xffffffffu, 9, "y", 1), 1);
	struct b_frame f;
	pkt_unref(FX_EXPECT(&f));
	ck_assert_mem_eq(f.dst, B_MAC_BCAST, 6); /* no ARP for a broadcast */
	ck_assert_uint_eq(f.ip.dst, IP4_ADDR(10, 0, 0, 255));
	pkt_unref(FX_EXPECT(&f));
	ck_assert_mem_eq(f.dst, B_MAC_BCAST, 6);
	ck_assert_uint_eq(f.ip.dst, 0xffffffffu);
	ck_assert_uint_eq(f.ip.src, B_IP_STACK);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	ns_close(s);
}
END_TEST

START_TEST(broadcast_datagram_reaches_every_matching_socket)
{
	struct ns_socket *a = new_sock(SO_REUSEADDR), *b = new_sock(SO_REUSEADDR);
	struct ns_socket *c = new_sock(SO_REUSEADDR);
	ck_assert_int_eq(bind_port(a, 0, 6700), 0);
	ck_assert_int_eq(bind_port(b, 0, 6700), 0);
	ck_assert_int_eq(bind_port(c, B_IP_STACK, 6700), 0); /* unicast-bound: no */
	struct pkt *p = b_udp4(B_IP_PEER, 1, IP4_ADDR(10, 0, 0, 255), 6700, "all", 3);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	char buf[8];
	ck_assert_int_eq(ns_recv(a, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(ns_recv(b, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(ns_recv(c, buf, sizeof(buf), 0), -EAGAIN);
	/* Broadcast to a port nobody has: silently dropped, no ICMP. */
	p = b_udp4(B_IP_PEER, 1, IP4_ADDR(10, 0, 0, 255), 6701, "all", 3);
	memcpy(pkt_data(p), B_MAC_BCAST, 6);
	fx_inject(p);
	FX_EXPECT_NOTHING();
	ns_close(a);
	ns_close(b);
	ns_close(c);
}
END_TEST

START_TEST(full_receive_buffer_drops_and_counts)
{
	struct ns_socket *s = new_sock(0);
	int sz = 4096; /* doubled by the stack, as Linux */
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	socklen_t len = sizeof(sz);
	ck_assert_int_eq(ns_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, &len), 0);
	ck_assert_int_eq(sz, 8192);
	ck_assert_int_eq(bind_port(s, 0, 9200), 0);
	static uint8_t d[1000];
	for (int i = 0; i < 50; i++)
		fx_inject(b_udp4(B_IP_PEER, 1, B_IP_STACK, 9200, d, sizeof(d)));
	ck_assert_uint_gt(ST(udp_drop_rcvbuf), 0);
	int n = 0;
	while (ns_recv(s, d, sizeof(d), 0) == (ssize_t)sizeof(d))
		n++;
	ck_assert_int_eq((uint64_t)n + ST(udp_drop_rcvbuf), 50);
	ck_assert_int_lt(n, 10);
	/* Room again once read. */
	fx_inject(b_udp4(B_IP_PEER, 1, B_IP_STACK, 9200, d, sizeof(d)));
	ck_assert_int_eq(ns_recv(s, d, sizeof(d), 0), (ssize_t)sizeof(d));
	ns_close(s);
}
END_TEST

START_TEST(socket_bound_to_loopback_cannot_reach_other_hosts)
{
	/* Linux (ip_route_output): a loopback source never leaves the host;
	 * sendto and connect fail with EINVAL. */
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(bind_port(s, IP4_ADDR(127, 0, 0, 1), 9600), 0);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "x", 1), -EINVAL);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), -EINVAL);
	FX_EXPECT_NOTHING();
	/* Local destinations are fine. */
	ck_assert_int_eq(send_to(s, B_IP_STACK, 9, "x", 1), 1);
	fx_poll();
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

START_TEST(datagrams_to_ourselves_loop_back)
{
	struct ns_socket *srv = new_sock(0), *cli = new_sock(0);
	ck_assert_int_eq(bind_port(srv, 0, 9300), 0);
	ck_assert_int_eq(send_to(cli, IP4_ADDR(127, 0, 0, 1), 9300, "lo", 2), 2);
	ck_assert_int_eq(send_to(cli, B_IP_STACK, 9300, "me", 2), 2);
	fx_poll();
	FX_EXPECT_NOTHING(); /* nothing on the wire */
	char buf[8];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ck_assert_int_eq(ns_recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 2);
	ck_assert_mem_eq(buf, "lo", 2);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), IP4_ADDR(127, 0, 0, 1));
	ck_assert_uint_eq(ntohs(from.sin_port), local_port(cli));
	ck_assert_int_eq(ns_recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 2);
	ck_assert_mem_eq(buf, "me", 2);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), B_IP_STACK);
	ns_close(srv);
	ns_close(cli);
}
END_TEST

/* The SO_PRIORITY control messages of one datagram read from s: the
 * number of them (at most one expected), its value in *prio. */
static int read_priority(struct ns_socket *s, uint32_t *prio)
{
	char buf[8], cb[128];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof(cb) };
	ck_assert_int_ge(ns_recvmsg(s, &m, 0), 0);
	int n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_PRIORITY) {
			ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof(*prio)));
			memcpy(prio, CMSG_DATA(c), sizeof(*prio));
			n++;
		}
	return n;
}

START_TEST(so_rcvpriority_and_so_rcvmark_read_the_senders_over_loopback)
{
	/* Linux 6.14+: a looped datagram keeps its sender's priority (the
	 * socket's, a send's SO_PRIORITY message, or IP_TOS's), not the
	 * receiver's */
	struct ns_socket *srv = new_sock(0), *cli = new_sock(0);
	ck_assert_int_eq(bind_port(srv, 0, 9310), 0);
	uint32_t prio = 99;
	ck_assert_int_eq(send_to(cli, IP4_ADDR(127, 0, 0, 1), 9310, "a", 1), 1);
	fx_poll();
	ck_assert_int_eq(read_priority(srv, &prio), 0); /* off: none */
	int on = 1, off, v = 5;
	ck_assert_int_eq(ns_setsockopt(srv, SOL_SOCKET, SO_RCVPRIORITY, &on, sizeof(on)), 0);
	socklen_t len = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(srv, SOL_SOCKET, SO_RCVPRIORITY, &v, &len), 0);
	ck_assert_int_eq(v, 1);
	v = 5;
	ck_assert_int_eq(ns_setsockopt(cli, SOL_SOCKET, SO_PRIORITY, &v, sizeof(v)), 0);
	v = 3;
	ck_assert_int_eq(ns_setsockopt(srv, SOL_SOCKET, SO_PRIORITY, &v, sizeof(v)), 0);
	ck_assert_int_eq(send_to(cli, IP4_ADDR(127, 0, 0, 1), 9310, "b", 1), 1);
	fx_poll();
	ck_assert_int_eq(read_priority(srv, &prio), 1);
	ck_assert_uint_eq(prio, 5);
	/* a send's own */
	char cb[CMSG_SPACE(sizeof(uint32_t))];
	memset(cb, 0, sizeof(cb));
	struct sockaddr_in to = fx_sin(IP4_ADDR(127, 0, 0, 1), 9310);
	struct iovec iov = { "c", 1 };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cb, .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_PRIORITY;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	uint32_t six = 6;
	memcpy(CMSG_DATA(c), &six, sizeof(six));
	ck_assert_int_eq(ns_sendmsg(cli, &m, 0), 1);
	fx_poll();
	ck_assert_int_eq(read_priority(srv, &prio), 1);
	ck_assert_uint_eq(prio, 6);
	/* SO_RCVMARK: the sender's mark, before the priority (Linux's
	 * __sock_recv_cmsgs) */
	ck_assert_int_eq(ns_setsockopt(srv, SOL_SOCKET, SO_RCVMARK, &on, sizeof(on)), 0);
	v = 7;
	ck_assert_int_eq(ns_setsockopt(cli, SOL_SOCKET, SO_MARK, &v, sizeof(v)), 0);
	ck_assert_int_eq(send_to(cli, IP4_ADDR(127, 0, 0, 1), 9310, "m", 1), 1);
	fx_poll();
	{
		char buf[8], cb2[128];
		struct iovec io = { buf, sizeof(buf) };
		struct msghdr mm = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cb2, .msg_controllen = sizeof(cb2) };
		ck_assert_int_eq(ns_recvmsg(srv, &mm, 0), 1);
		struct cmsghdr *k = CMSG_FIRSTHDR(&mm);
		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(k->cmsg_type, SO_MARK);
		uint32_t mk;
		memcpy(&mk, CMSG_DATA(k), sizeof(mk));
		ck_assert_uint_eq(mk, 7);
		k = CMSG_NXTHDR(&mm, k);
		ck_assert_ptr_nonnull(k);
		ck_assert_int_eq(k->cmsg_type, SO_PRIORITY);
	}
	off = 0;
	ck_assert_int_eq(ns_setsockopt(srv, SOL_SOCKET, SO_RCVMARK, &off, sizeof(off)), 0);
	/* IP_TOS sets the priority (rt_tos2priority: low delay is 6) */
	v = 0x10;
	ck_assert_int_eq(ns_setsockopt(cli, IPPROTO_IP, IP_TOS, &v, sizeof(v)), 0);
	ck_assert_int_eq(send_to(cli, IP4_ADDR(127, 0, 0, 1), 9310, "d", 1), 1);
	fx_poll();
	ck_assert_int_eq(read_priority(srv, &prio), 1);
	ck_assert_uint_eq(prio, 6);
	ns_close(srv);
	ns_close(cli);
}
END_TEST

START_TEST(socket_info_counts_the_drops_of_a_full_queue)
{
	/* SO_MEMINFO's drops and queued bytes (the sentry reads them here) */
	struct ns_socket *s = new_sock(0);
	int sz = 1;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	ck_assert_int_eq(bind_port(s, 0, 9320), 0);
	struct ns_sock_info si;
	ck_assert_int_eq(ns_socket_info(s, &si), 0);
	ck_assert_uint_eq(si.drops, 0);
	ck_assert_uint_eq(si.rx_queue, 0);
	static uint8_t d[1000];
	for (int i = 0; i < 20; i++)
		fx_inject(b_udp4(B_IP_PEER, 1, B_IP_STACK, 9320, d, sizeof(d)));
	ck_assert_int_eq(ns_socket_info(s, &si), 0);
	ck_assert_uint_gt(si.rx_queue, 0);
	ck_assert_uint_gt(si.drops, 0);
	int n = 0;
	while (ns_recv(s, d, sizeof(d), MSG_DONTWAIT) == (ssize_t)sizeof(d))
		n++;
	ck_assert_int_eq((uint32_t)n + si.drops, 20);
	ck_assert_int_eq(ns_socket_info(s, &si), 0);
	ck_assert_uint_eq(si.rx_queue, 0);
	ns_close(s);
}
END_TEST

START_TEST(bad_checksum_and_lying_length_are_dropped_zero_checksum_accepted)
{
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(bind_port(s, 0, 9400), 0);
	char buf[16];
	struct pkt *p = b_udp4(B_IP_PEER, 1, B_IP_STACK, 9400, "abcd", 4);
	pkt_data(p)[ETH_HDR_LEN + IP4_HDR_LEN + 8] ^= 1;
	fx_inject(p);
	ck_assert_uint_eq(ST(udp_drop_csum), 1);
	p = b_udp4(B_IP_PEER, 1, B_IP_STACK, 9400, "abcd", 4);
	ns_wr16(pkt_data(p) + ETH_HDR_LEN + IP4_HDR_LEN + 4, 13); /* longer than the data */
	fx_inject(p);
	ck_assert_uint_eq(ST(udp_drop_len), 1);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	/* RFC 768: checksum 0 means none was computed. */
	p = b_udp4(B_IP_PEER, 1, B_IP_STACK, 9400, "abcd", 4);
	ns_wr16(pkt_data(p) + ETH_HDR_LEN + IP4_HDR_LEN + 6, 0);
	fx_inject(p);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 4);
	/* A UDP length shorter than the IP payload: the rest is ignored. */
	p = b_udp4(B_IP_PEER, 1, B_IP_STACK, 9400, "abcdefgh", 8);
	uint8_t *u = pkt_data(p) + ETH_HDR_LEN + IP4_HDR_LEN;
	ns_wr16(u + 4, 12);
	ns_wr16(u + 6, 0);
	uint32_t sum = ns_csum_pseudo4(B_IP_PEER, B_IP_STACK, IPPROTO_UDP_, 12);
	ns_wr16(u + 6, ns_csum_fold(ns_csum_add(sum, u, 12)));
	fx_inject(p);
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), 4);
	ck_assert_mem_eq(buf, "abcd", 4);
	ns_close(s);
}
END_TEST

/* The UDP payload of a captured frame (Ethernet, 20-byte IPv4, UDP). */
static const uint8_t *udp_payload(struct pkt *p, size_t *len)
{
	const uint8_t *u = pkt_data(p) + ETH_HDR_LEN + IP4_HDR_LEN;
	*len = (size_t)ns_rd16(u + 4) - UDP_HDR_LEN;
	return u + UDP_HDR_LEN;
}

static void expect_datagram(uint16_t dport, const char *data)
{
	struct pkt *p = FX_EXPECT(NULL);
	size_t n;
	const uint8_t *d = udp_payload(p, &n);
	ck_assert_uint_eq(ns_rd16(pkt_data(p) + ETH_HDR_LEN + IP4_HDR_LEN + 2), dport);
	ck_assert_uint_eq(n, strlen(data));
	ck_assert(memcmp(d, data, n) == 0);
	pkt_unref(p);
}

START_TEST(msg_more_and_udp_cork_gather_one_datagram)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(ns_send(s, "ab", 2, MSG_MORE), 2);
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(ns_send(s, "cd", 2, 0), 2);
	expect_datagram(9, "abcd");
	FX_EXPECT_NOTHING();

	int v = -1, on = 1, off = 0;
	socklen_t len = sizeof(v);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_UDP, UDP_CORK, &v, &len), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_UDP, UDP_CORK, &on, 2), -EINVAL);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_UDP, UDP_CORK, &on, sizeof(on)), 0);
	ck_assert_int_eq(ns_send(s, "x", 1, 0), 1);
	ck_assert_int_eq(ns_send(s, "yz", 2, 0), 2);
	FX_EXPECT_NOTHING();
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_UDP, UDP_CORK, &off, sizeof(off)), 0);
	expect_datagram(9, "xyz");

	/* Another address while data is pending: it joins the pending
	 * datagram, for the first destination (Linux). */
	ck_assert_int_eq(ns_send(s, "p", 1, MSG_MORE), 1);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 10, "q", 1), 1);
	expect_datagram(9, "pq");
	FX_EXPECT_NOTHING();

	/* Past 65507 bytes the pending datagram is dropped whole. */
	static uint8_t big[40000];
	ck_assert_int_eq(ns_send(s, big, sizeof(big), MSG_MORE), (ssize_t)sizeof(big));
	ck_assert_int_eq(ns_send(s, big, sizeof(big), MSG_MORE), -EMSGSIZE);
	ck_assert_int_eq(ns_send(s, "e", 1, 0), 1);
	expect_datagram(9, "e");

	/* Closing drops what is pending. */
	ck_assert_int_eq(ns_send(s, "lost", 4, MSG_MORE), 4);
	ns_close(s);
	FX_EXPECT_NOTHING();
}
END_TEST

START_TEST(shutdown_keeps_the_pending_datagram)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_connect(s, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(ns_send(s, "sh", 2, MSG_MORE), 2);
	ck_assert_int_eq(ns_shutdown(s, SHUT_WR), 0);
	/* Linux still appends, and sends it when the cork comes off. */
	ck_assert_int_eq(ns_send(s, "x", 1, 0), 1);
	expect_datagram(9, "shx");
	ck_assert_int_eq(ns_send(s, "y", 1, 0), -EPIPE);
	FX_EXPECT_NOTHING();
	ns_close(s);
}
END_TEST

START_TEST(ip_recverr_queues_the_port_unreachable_on_the_error_queue)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	int on = 1, off = 0;
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)), 0);
	char buf[16];
	struct sockaddr_in name;
	union {
		char b[256];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &name, .msg_namelen = sizeof(name), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	ck_assert_int_eq(ns_recvmsg(s, &m, MSG_ERRQUEUE), -EAGAIN);

	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "hello", 5), 5);
	struct pkt *p = FX_EXPECT(NULL);
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			  pkt_data(p) + ETH_HDR_LEN, p->len - ETH_HDR_LEN));
	pkt_unref(p);
	ck_assert(ns_socket_poll(s) & POLLERR);
	/* Peeking leaves it queued. */
	ck_assert_int_eq(ns_recvmsg(s, &m, MSG_ERRQUEUE | MSG_PEEK), 5);
	m.msg_namelen = sizeof(name);
	m.msg_controllen = sizeof(ctl.b);
	ck_assert_int_eq(ns_recvmsg(s, &m, MSG_ERRQUEUE), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	ck_assert(m.msg_flags & MSG_ERRQUEUE);
	ck_assert_int_eq(m.msg_namelen, sizeof(name));
	ck_assert_uint_eq(ntohl(name.sin_addr.s_addr), B_IP_PEER);
	ck_assert_uint_eq(ntohs(name.sin_port), 9);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_level, IPPROTO_IP);
	ck_assert_int_eq(c->cmsg_type, IP_RECVERR);
	ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in)));
	struct sock_extended_err ee;
	struct sockaddr_in offender;
	memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	memcpy(&offender, CMSG_DATA(c) + sizeof(ee), sizeof(offender));
	ck_assert_uint_eq(ee.ee_errno, ECONNREFUSED);
	ck_assert_uint_eq(ee.ee_origin, SO_EE_ORIGIN_ICMP);
	ck_assert_uint_eq(ee.ee_type, ICMP_DEST_UNREACH);
	ck_assert_uint_eq(ee.ee_code, ICMP_PORT_UNREACH);
	ck_assert_uint_eq(ee.ee_info, 0);
	ck_assert_int_eq(offender.sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(offender.sin_addr.s_addr), B_IP_PEER);
	/* Reading the last report clears the pending error (Linux). */
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ck_assert_int_eq(ns_recv(s, buf, sizeof(buf), 0), -EAGAIN);
	ck_assert_int_eq(ns_recvmsg(s, &m, MSG_ERRQUEUE), -EAGAIN);

	/* Turning IP_RECVERR off empties the queue. */
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "again", 5), 5);
	p = FX_EXPECT(NULL);
	fx_inject(b_icmp4(B_IP_PEER, B_IP_STACK, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0,
			  pkt_data(p) + ETH_HDR_LEN, p->len - ETH_HDR_LEN));
	pkt_unref(p);
	ck_assert(ns_socket_poll(s) & POLLERR);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_RECVERR, &off, sizeof(off)), 0);
	ck_assert_int_eq(ns_recvmsg(s, &m, MSG_ERRQUEUE), -EAGAIN);
	ns_close(s);
}
END_TEST

START_TEST(ip_recvorigdstaddr_reports_where_the_datagram_was_sent)
{
	struct ns_socket *s = new_sock(0);
	ck_assert_int_eq(bind_port(s, 0, 9600), 0);
	int on = 1, v = -1;
	socklen_t len = sizeof(v);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_RECVORIGDSTADDR, &on, 1), 0);
	ck_assert_int_eq(ns_getsockopt(s, IPPROTO_IP, IP_RECVORIGDSTADDR, &v, &len), 0);
	ck_assert_int_eq(v, 1);
	fx_inject(b_udp4(B_IP_PEER, 1234, B_IP_STACK, 9600, "o", 1));
	char buf[8];
	union {
		char b[128];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	ck_assert_int_eq(ns_recvmsg(s, &m, 0), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_level, IPPROTO_IP);
	ck_assert_int_eq(c->cmsg_type, IP_ORIGDSTADDR);
	struct sockaddr_in od;
	memcpy(&od, CMSG_DATA(c), sizeof(od));
	ck_assert_int_eq(od.sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(od.sin_port), 9600);
	ck_assert_uint_eq(ntohl(od.sin_addr.s_addr), B_IP_STACK);
	ck_assert_ptr_null(CMSG_NXTHDR(&m, c));
	ns_close(s);
}
END_TEST

START_TEST(msg_zerocopy_posts_copied_completions_with_so_zerocopy)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	int one = 1, two = 2;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &two, sizeof(two)), -EINVAL);
	/* Without SO_ZEROCOPY the flag means nothing. */
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "a", 1), 1);
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	ck_assert_int_eq(ns_sendto(s, "a", 1, MSG_ZEROCOPY, (struct sockaddr *)&to, sizeof(to)), 1);
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ns_sendto(s, "z", 1, MSG_ZEROCOPY, (struct sockaddr *)&to, sizeof(to)), 1);
	ck_assert_int_eq(fx_drain(), 5);
	ck_assert(ns_socket_poll(s) & POLLERR);
	union {
		char b[128];
		struct cmsghdr align;
	} ctl;
	struct msghdr m = { .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	/* One report for the three sends: ids 0 to 2. */
	ck_assert_int_eq(ns_recvmsg(s, &m, MSG_ERRQUEUE), 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	ck_assert_ptr_nonnull(c);
	struct sock_extended_err ee;
	memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	ck_assert_uint_eq(ee.ee_errno, 0);
	ck_assert_uint_eq(ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
	ck_assert_uint_eq(ee.ee_code, SO_EE_CODE_ZEROCOPY_COPIED);
	ck_assert_uint_eq(ee.ee_info, 0);
	ck_assert_uint_eq(ee.ee_data, 2);
	ck_assert_int_eq(ns_recvmsg(s, &m, MSG_ERRQUEUE), -EAGAIN);
	ns_close(s);
}
END_TEST

START_TEST(ip_freebind_allows_binding_a_foreign_address)
{
	struct ns_socket *s = new_sock(0);
	int on = 1;
	ck_assert_int_eq(bind_port(s, B_IP_PEER, 9700), -EADDRNOTAVAIL);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_FREEBIND, &on, 0), -EINVAL);
	ck_assert_int_eq(ns_setsockopt(s, IPPROTO_IP, IP_FREEBIND, &on, 1), 0);
	ck_assert_int_eq(bind_port(s, B_IP_PEER, 9700), 0);
	ns_close(s);
}
END_TEST

/* One report read from s's error queue: its payload length (or -errno),
 * extended error and SCM_TIMESTAMPING's ts[0]. */
static int read_stamp(struct ns_socket *s, struct sock_extended_err *ee, struct timespec *ts0)
{
	union {
		char b[256];
		struct cmsghdr align;
	} ctl;
	char data[128];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	int n = (int)ns_recvmsg(s, &m, MSG_ERRQUEUE);
	if (n < 0)
		return n;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_level, SOL_SOCKET);
	ck_assert_int_eq(c->cmsg_type, SO_TIMESTAMPING_OLD);
	struct timespec ts[3];
	memcpy(ts, CMSG_DATA(c), sizeof(ts));
	ck_assert(ts[1].tv_sec == 0 && ts[1].tv_nsec == 0 && ts[2].tv_sec == 0 && ts[2].tv_nsec == 0);
	*ts0 = ts[0];
	c = CMSG_NXTHDR(&m, c);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_type, IP_RECVERR);
	memcpy(ee, CMSG_DATA(c), sizeof(*ee));
	return n;
}

/* SO_TIMESTAMPING (Documentation/networking/timestamping.rst): a datagram
 * is stamped as its frame leaves by the link, SCHED before SND, each
 * report quoting the frame (Ethernet, IP and UDP headers and the data) and
 * stamped with the stack's clock; OPT_ID numbers the stamped sends from 0;
 * OPT_TSONLY quotes nothing. */
START_TEST(so_timestamping_stamps_a_datagram_as_its_frame_leaves)
{
	fx_learn_peer(B_IP_PEER, B_MAC_PEER);
	struct ns_socket *s = new_sock(0);
	uint32_t f = NS_SOF_TX_SOFTWARE | NS_SOF_TX_SCHED | NS_SOF_SOFTWARE | NS_SOF_OPT_ID;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof(f)), 0);
	fx_advance(5 * NS_MSEC);
	ns_time_t sent_at = ns_stack_now(F.st);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "abcde", 5), 5);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "fg", 2), 2);
	ck_assert(ns_socket_poll(s) & POLLERR);
	struct sock_extended_err ee;
	struct timespec ts;
	static const struct {
		uint32_t info, id;
		int len;
	} want[] = { { SCM_TSTAMP_SCHED, 0, 14 + 20 + 8 + 5 },
		     { SCM_TSTAMP_SND, 0, 14 + 20 + 8 + 5 },
		     { SCM_TSTAMP_SCHED, 1, 14 + 20 + 8 + 2 },
		     { SCM_TSTAMP_SND, 1, 14 + 20 + 8 + 2 } };
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(read_stamp(s, &ee, &ts), want[i].len);
		ck_assert_uint_eq(ee.ee_errno, ENOMSG);
		ck_assert_uint_eq(ee.ee_origin, SO_EE_ORIGIN_TIMESTAMPING);
		ck_assert_uint_eq(ee.ee_info, want[i].info);
		ck_assert_uint_eq(ee.ee_data, want[i].id);
		ck_assert(ts.tv_sec == (time_t)(sent_at / NS_SEC) && ts.tv_nsec == (long)(sent_at % NS_SEC));
	}
	ck_assert_int_eq(read_stamp(s, &ee, &ts), -EAGAIN);
	ck_assert(!(ns_socket_poll(s) & POLLERR));
	/* OPT_TSONLY; a send's control message asks instead of the socket,
	 * and takes the next id only when it asks for a stamp */
	f = NS_SOF_SOFTWARE | NS_SOF_OPT_ID | NS_SOF_OPT_TSONLY;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof(f)), 0);
	ck_assert_int_eq(send_to(s, B_IP_PEER, 9, "h", 1), 1);
	ck_assert_int_eq(read_stamp(s, &ee, &ts), -EAGAIN);
	union {
		char b[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_in to = fx_sin(B_IP_PEER, 9);
	struct iovec iov = { "ij", 2 };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_TIMESTAMPING_OLD;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	uint32_t cf = NS_SOF_RX_SOFTWARE; /* (not a transmit flag) */
	memcpy(CMSG_DATA(c), &cf, sizeof(cf));
	ck_assert_int_eq(ns_sendmsg(s, &m, 0), -EINVAL);
	cf = NS_SOF_TX_SOFTWARE;
	memcpy(CMSG_DATA(c), &cf, sizeof(cf));
	ck_assert_int_eq(ns_sendmsg(s, &m, 0), 2);
	ck_assert_int_eq(read_stamp(s, &ee, &ts), 0);
	ck_assert_uint_eq(ee.ee_info, SCM_TSTAMP_SND);
	ck_assert_uint_eq(ee.ee_data, 2);
	ck_assert_int_eq(read_stamp(s, &ee, &ts), -EAGAIN);
	/* SCM_TS_OPT_ID names a send's id; the socket's count stays */
	union {
		char b[2 * CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl2;
	memset(&ctl2, 0, sizeof(ctl2));
	memcpy(ctl2.b, ctl.b, sizeof(ctl.b));
	m.msg_control = ctl2.b;
	m.msg_controllen = sizeof(ctl2.b);
	c = CMSG_NXTHDR(&m, CMSG_FIRSTHDR(&m));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = NS_SCM_TS_OPT_ID;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	uint32_t id = 77;
	memcpy(CMSG_DATA(c), &id, sizeof(id));
	ck_assert_int_eq(ns_sendmsg(s, &m, 0), 2);
	ck_assert_int_eq(read_stamp(s, &ee, &ts), 0);
	ck_assert_uint_eq(ee.ee_data, 77);
	m.msg_controllen = sizeof(ctl.b);
	ck_assert_int_eq(ns_sendmsg(s, &m, 0), 2);
	ck_assert_int_eq(read_stamp(s, &ee, &ts), 0);
	ck_assert_uint_eq(ee.ee_data, 3);
	fx_drain();
	ns_close(s);
}
END_TEST

/* Linux sock_set_timestamping's refusals and their order */
START_TEST(so_timestamping_refuses_flags_as_linux)
{
	struct ns_socket *s = new_sock(0);
	static const struct {
		uint32_t f;
		int r;
	} t[] = {
		{ 1u << 19, -EINVAL },
		{ NS_SOF_OPT_ID_TCP, -EINVAL },
		{ NS_SOF_OPT_STATS, -EINVAL },
		{ NS_SOF_OPT_STATS | NS_SOF_OPT_TSONLY, 0 },
		{ NS_SOF_BIND_PHC, -EOPNOTSUPP },
		{ NS_SOF_BIND_PHC | NS_SOF_OPT_STATS, -EINVAL },
		{ NS_SOF_TX_COMPLETION, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &t[i].f, sizeof(t[i].f)), t[i].r);
	uint16_t shortv = 0;
	ck_assert_int_eq(ns_setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &shortv, sizeof(shortv)), -EINVAL);
	ns_close(s);
}
END_TEST

Suite *udp_suite(void)
{
	Suite *s = unit_suite("udp");
	ADD_FX(s, bind_to_a_port_in_use_fails_with_eaddrinuse);
	ADD_FX(s, so_reuseaddr_on_both_sockets_shares_a_port_newest_gets_unicast);
	ADD_FX(s, so_reuseport_group_shares_a_port_and_keeps_each_flow_on_one_socket);
	ADD_FX(s, specific_and_wildcard_binds_conflict_unless_addresses_differ);
	ADD_FX(s, ephemeral_ports_come_from_the_linux_range_and_differ);
	ADD_FX(s, connect_sets_the_peer_and_picks_the_local_address);
	ADD_FX(s, connected_socket_receives_only_from_its_peer);
	ADD_FX(s, connect_af_unspec_dissolves_the_association);
	ADD_FX(s, send_without_destination_fails_edestaddrreq);
	ADD_FX(s, port_unreachable_reports_econnrefused_on_a_connected_socket);
	ADD_FX(s, pending_error_waits_behind_a_bad_destination_port);
	ADD_FX(s, port_unreachable_reaches_a_socket_bound_to_its_device);
	ADD_FX(s, port_unreachable_is_ignored_by_an_unconnected_socket);
	ADD_FX(s, pending_error_is_reported_before_queued_data);
	ADD_FX(s, datagram_over_65507_bytes_fails_emsgsize);
	ADD_FX(s, msg_peek_and_msg_trunc_behave_as_linux);
	ADD_FX(s, so_peek_off_walks_the_datagrams_as_linux);
	ADD_FX(s, ancillary_data_reports_destination_interface_ttl_and_tos);
	ADD_FX(s, broadcast_needs_so_broadcast);
	ADD_FX(s, broadcast_datagram_reaches_every_matching_socket);
	ADD_FX(s, full_receive_buffer_drops_and_counts);
	ADD_FX(s, socket_bound_to_loopback_cannot_reach_other_hosts);
	ADD_FX(s, datagrams_to_ourselves_loop_back);
	ADD_FX(s, so_rcvpriority_and_so_rcvmark_read_the_senders_over_loopback);
	ADD_FX(s, socket_info_counts_the_drops_of_a_full_queue);
	ADD_FX(s, bad_checksum_and_lying_length_are_dropped_zero_checksum_accepted);
	ADD_FX(s, msg_more_and_udp_cork_gather_one_datagram);
	ADD_FX(s, shutdown_keeps_the_pending_datagram);
	ADD_FX(s, ip_recverr_queues_the_port_unreachable_on_the_error_queue);
	ADD_FX(s, ip_recvorigdstaddr_reports_where_the_datagram_was_sent);
	ADD_FX(s, msg_zerocopy_posts_copied_completions_with_so_zerocopy);
	ADD_FX(s, ip_freebind_allows_binding_a_foreign_address);
	ADD_FX(s, so_timestamping_stamps_a_datagram_as_its_frame_leaves);
	ADD_FX(s, so_timestamping_refuses_flags_as_linux);
	return s;
}
