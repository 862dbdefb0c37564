/*
 * The stack's socket API: the only way into the stack from above (the
 * sentry's socket files, the DUT agent, `moat stack` services).
 *
 * It mirrors the BSD calls, takes the same argument types (struct sockaddr,
 * struct msghdr, option levels and names) and returns -errno on failure, so
 * a syscall layer converts nothing but the sign.
 *
 * Nothing here ever blocks. A call that would block returns -EAGAIN; the
 * caller parks and waits for the socket's wake-up callback, which the stack
 * calls (from inside its own processing) whenever the socket's readiness
 * may have changed. ns_socket_poll() returns the current POLLIN/POLLOUT/
 * POLLERR/POLLHUP/POLLRDHUP mask. MSG_DONTWAIT is accepted and implied.
 *
 * Blocking semantics such as SO_RCVTIMEO, SO_SNDTIMEO and SO_LINGER's wait
 * belong to the caller; the options are stored and readable here.
 */
#ifndef NS_SOCKET_H
#define NS_SOCKET_H

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct ns_stack;
struct ns_socket;

/* Called with the socket and its new poll mask. Must not re-enter the
 * socket API on this socket (defer instead). */
typedef void (*ns_wake_fn)(struct ns_socket *s, uint32_t events, void *ctx);
/* A wake-up's extra event, beside the poll mask: a TCP connection saw a
 * new urgent pointer (the place of Linux's SIGURG). */
#define NS_EV_URGENT 0x40000000u

/* domain AF_INET or AF_INET6, type SOCK_DGRAM, SOCK_STREAM or SOCK_RAW
 * (flags SOCK_NONBLOCK/SOCK_CLOEXEC are ignored here). A raw socket's
 * CAP_NET_RAW is the caller's to check. */
int ns_socket_create(struct ns_stack *st, int domain, int type, int protocol,
		     struct ns_socket **out);
void ns_socket_set_wake(struct ns_socket *s, ns_wake_fn fn, void *ctx);

/*
 * SO_TIMESTAMPING's flags (linux/net_tstamp.h; Linux 6.x has bits 0-18,
 * newer than some headers): the stack generates the transmit stamps (a
 * report per stamp on the error queue, Documentation/networking/
 * timestamping.rst); the caller reports them and the receive stamps.
 */
#define NS_SOF_TX_SOFTWARE (1u << 1)
#define NS_SOF_RX_SOFTWARE (1u << 3)
#define NS_SOF_SOFTWARE (1u << 4)
#define NS_SOF_BIND_PHC (1u << 15)
#define NS_SOF_OPT_ID (1u << 7)
#define NS_SOF_TX_SCHED (1u << 8)
#define NS_SOF_TX_ACK (1u << 9)
#define NS_SOF_OPT_CMSG (1u << 10)
#define NS_SOF_OPT_TSONLY (1u << 11)
#define NS_SOF_OPT_STATS (1u << 12)
#define NS_SOF_OPT_ID_TCP (1u << 16)
#define NS_SOF_OPT_RX_FILTER (1u << 17)
#define NS_SOF_TX_COMPLETION (1u << 18)
#define NS_SOF_MASK ((1u << 19) - 1)
/* what a send's SO_TIMESTAMPING control message may ask (Linux's
 * SOF_TIMESTAMPING_TX_RECORD_MASK: bits 0, 1, 8, 9 and 18) */
#define NS_SOF_TX_RECORD_MASK (1u | NS_SOF_TX_SOFTWARE | NS_SOF_TX_SCHED | NS_SOF_TX_ACK | NS_SOF_TX_COMPLETION)

/* SCM_TS_OPT_ID (asm-generic/socket.h, Linux 6.13): a send's own id for
 * its stamps, on a socket with OPT_ID (not TCP) */
#define NS_SCM_TS_OPT_ID 81

/* Linux sock_set_timestamping's refusals, in its order: unknown bits,
 * OPT_ID_TCP without OPT_ID, then (opt_id_refused: a TCP socket closed or
 * listening that turns OPT_ID on) EINVAL, OPT_STATS without OPT_TSONLY,
 * then BIND_PHC: EOPNOTSUPP, as Linux answers without a PHC virtual clock
 * (there is none here). */
static inline int ns_timestamping_check(uint32_t flags, int opt_id_refused)
{
	if (flags & ~NS_SOF_MASK)
		return -EINVAL;
	if ((flags & NS_SOF_OPT_ID_TCP) && !(flags & NS_SOF_OPT_ID))
		return -EINVAL;
	if (opt_id_refused)
		return -EINVAL;
	if ((flags & NS_SOF_OPT_STATS) && !(flags & NS_SOF_OPT_TSONLY))
		return -EINVAL;
	if (flags & NS_SOF_BIND_PHC)
		return -EOPNOTSUPP;
	return 0;
}

int ns_bind(struct ns_socket *s, const struct sockaddr *addr, socklen_t len);
int ns_connect(struct ns_socket *s, const struct sockaddr *addr, socklen_t len);
int ns_listen(struct ns_socket *s, int backlog);
/* On success *out is a new socket; addr/len may be NULL. */
int ns_accept(struct ns_socket *s, struct ns_socket **out, struct sockaddr *addr,
	      socklen_t *len);

ssize_t ns_sendmsg(struct ns_socket *s, const struct msghdr *msg, int flags);
/* msg->msg_namelen and msg->msg_controllen are updated; msg_flags set. */
ssize_t ns_recvmsg(struct ns_socket *s, struct msghdr *msg, int flags);
/* The same, and *copied: the bytes written to msg's buffers. With
 * MSG_TRUNC the result is what Linux returns, a datagram's length (TCP:
 * the bytes dropped), which says how many were copied only when SO_PEEK_OFF
 * did not begin the copy inside the datagram. */
ssize_t ns_recvmsg_copied(struct ns_socket *s, struct msghdr *msg, int flags, size_t *copied);
/* A receive flag of the stack's own (a bit Linux ignores on a receive):
 * with MSG_PEEK, peek at the head of the queue, as the read that follows
 * will take it, whatever SO_PEEK_OFF says, and leave the offset alone (a
 * caller that peeks first and takes afterwards, as the sentry does); what
 * Linux hands out once, even to an application's peek (IPV6_RECVPATHMTU's
 * report), stays for that read. */
#define NS_MSG_HEAD 0x01000000

/*
 * SO_PEEK_OFF as Linux keeps it (socket(7)): an offset below 0 (-1 at
 * first) is off. A MSG_PEEK at an offset n >= 0 begins n bytes into the
 * queue (a datagram socket's: past the whole datagrams n covers, then
 * inside the next one) and moves the offset on by what it returned; a
 * read moves it back by what it took, never below 0. Shared with the
 * sentry's unix sockets, which keep theirs the same way.
 */
static inline int ns_peek_off_move(int off, long delta)
{
	if (off < 0)
		return off;
	long v = (long)off + delta;
	return v < 0 ? 0 : v > 0x7fffffff ? 0x7fffffff : (int)v;
}

/* Whether a peek `skip` bytes into a datagram queue passes a whole
 * datagram of len bytes to the next one (Linux __skb_try_recv_from_queue:
 * an empty one is passed only once a peek has returned it, so that peeks
 * at the offset go on to the next). */
static inline int ns_peek_off_passes(size_t skip, size_t len, int peeked)
{
	return skip >= len && (skip || peeked);
}
ssize_t ns_send(struct ns_socket *s, const void *buf, size_t len, int flags);
ssize_t ns_sendto(struct ns_socket *s, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen);
ssize_t ns_recv(struct ns_socket *s, void *buf, size_t len, int flags);
ssize_t ns_recvfrom(struct ns_socket *s, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen);

int ns_shutdown(struct ns_socket *s, int how);
/* Releases the caller's handle. The stack may keep the connection alive
 * (TCP close handshake, linger) and frees it later by itself. */
int ns_close(struct ns_socket *s);

int ns_getsockname(struct ns_socket *s, struct sockaddr *addr, socklen_t *len);
int ns_getpeername(struct ns_socket *s, struct sockaddr *addr, socklen_t *len);
/*
 * SOL_SOCKET SO_ATTACH_FILTER takes a struct sock_fprog whose program the
 * stack reads from the caller's memory (a sandbox copies it in first).
 * SO_GET_FILTER counts in instructions as Linux does: *len is the room of
 * val in struct sock_filter units (0: only ask the length) and comes back
 * as the program's length.
 */
int ns_setsockopt(struct ns_socket *s, int level, int name, const void *val, socklen_t len);
int ns_getsockopt(struct ns_socket *s, int level, int name, void *val, socklen_t *len);

/* Current readiness: a mask of POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP. */
uint32_t ns_socket_poll(struct ns_socket *s);
/* Bytes readable now (FIONREAD) and bytes not yet acknowledged (SIOCOUTQ). */
int ns_socket_ioctl(struct ns_socket *s, unsigned long req, int *val);

/*
 * Who makes the call under way, for what Linux decides by the calling
 * task: a send's IPv6 extension headers (and IPV6_2292PKTOPTIONS's) need
 * CAP_NET_RAW; a flow label lease (IPV6_FLOWLABEL_MGR) is shared by
 * thread id or effective user, a linger past 150 s and another's lease
 * need CAP_NET_ADMIN. A socket's caller is all-capable until set (the
 * stack used without a sandbox); the sentry sets it before each call.
 */
struct ns_caller {
	int tid;
	uint32_t euid;
	uint8_t net_raw, net_admin;
};
void ns_socket_set_caller(struct ns_socket *s, const struct ns_caller *c);

int ns_socket_family(const struct ns_socket *s);
int ns_socket_type(const struct ns_socket *s);

#endif
