/*
 * Socket files. Each address family implements struct sock_ops; the
 * syscall layer (syscalls/sys_socket.c) moves data between application
 * memory and struct kmsg, and does the blocking: an op that would block
 * returns -EAGAIN and says which wait queue to park on.
 *
 * Families: AF_UNIX lives here (unix.c). AF_INET and AF_INET6 are the
 * networking issue's: they will be sock_ops on the netstack's socket API
 * (ns/socket.h already has the same never-block contract); until then
 * socket() answers EAFNOSUPPORT for them (socket.c, family table).
 */
#ifndef SENTRY_SOCKET_H
#define SENTRY_SOCKET_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../kernel/kernel.h"

struct sock;

/* A message inside the sentry. */
struct kmsg {
	struct sockaddr_storage addr; /* in: destination; out: source */
	socklen_t addrlen;
	char *data;
	size_t len;		 /* in: bytes to send / room to receive */
	struct file **fds;	 /* SCM_RIGHTS: in: to send; out: received */
	int nfds;
	int has_cred;		 /* SCM_CREDENTIALS */
	struct ucred cred;
	/* out: SCM_PIDFD (SO_PASSPIDFD): a pidfd of the sender's process,
	 * named by its pid and start time as a pidfd names one */
	int has_pidfd;
	pid_t pidfd_pid;
	uint64_t pidfd_start;
	int flags;		 /* out: MSG_TRUNC, MSG_CTRUNC */
	size_t full_len;	 /* out: datagram length before truncation */
	/* Protocol control messages (IP_PKTINFO, IP_TOS, ...), already in
	 * cmsghdr layout: in: what the application passed; out: what the
	 * family produced (malloc'd; freed with the kmsg). */
	char *ctl;
	size_t ctllen;
};

struct sock_ops {
	int (*bind)(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len);
	/* May return -EINPROGRESS or -EAGAIN with *wq set. */
	int (*connect)(struct sock *s, struct task *t, const struct sockaddr *a, socklen_t len,
		       struct waitq **wq);
	int (*listen)(struct sock *s, int backlog);
	int (*accept)(struct sock *s, struct task *t, struct sock **out, struct waitq **wq);
	/* Returns bytes queued, or -EAGAIN with *wq (where room will show). */
	ssize_t (*sendmsg)(struct sock *s, struct task *t, struct kmsg *m, int flags, struct waitq **wq);
	ssize_t (*recvmsg)(struct sock *s, struct task *t, struct kmsg *m, int flags);
	int (*shutdown)(struct sock *s, int how);
	int (*getname)(struct sock *s, struct sockaddr *a, socklen_t *len, int peer);
	int (*setsockopt)(struct sock *s, struct task *t, int level, int name, const void *val, socklen_t len);
	int (*getsockopt)(struct sock *s, struct task *t, int level, int name, void *val, socklen_t *len);
	uint32_t (*poll)(struct sock *s);
	long (*ioctl)(struct sock *s, struct task *t, unsigned long cmd, uint64_t arg);
	/* SO_LINGER: called by close() of the last descriptor before the
	 * file goes; -EAGAIN with *wq and *timeout_ns (from the first call)
	 * makes close wait, 0 lets it go on. Optional. */
	int (*linger)(struct sock *s, struct task *t, struct waitq **wq, uint64_t *timeout_ns);
	void (*release)(struct sock *s);
	/* SO_MEMINFO: the family's counters (SOCK_MEM_*) over the buffer
	 * sizes socket.c put in. Optional: none, all 0. */
	void (*meminfo)(struct sock *s, uint32_t *mem);
};

/* SO_RCVTIMEO/SO_SNDTIMEO are kept as Linux keeps them: a zero timeval
 * means wait for ever (SOCK_TIMEO_NONE), a negative one means do not wait
 * at all (0), and both read back as zero. */
#define SOCK_TIMEO_NONE UINT64_MAX

/* SOL_SOCKET options that every family answers alike and that nothing in
 * the sandbox acts on, kept and read back with Linux's checks
 * (sock_setsockopt_common): there is no device to skip the frame check
 * sequence for (SO_NOFCS; SO_NO_CHECK is kept here for unix and netlink
 * sockets, inet ones have the netstack's, on which UDP acts), no Wi-Fi
 * status, no device queue to busy-poll, no pacing queueing discipline, no
 * departure-time scheduling (SO_TXTIME), no flow rehash; SO_INCOMING_CPU is
 * the value set (Linux's also follows the CPU that last received, which the
 * sandbox does not have). SO_RCVMARK and SO_RCVPRIORITY are kept here for
 * the sockets outside the netstack, whose messages have no mark or
 * priority on Linux either (an inet socket's are the netstack's, whose
 * datagrams carry both). An accepted socket starts with its listener's. */
struct sock_kept {
	int no_check, wifi_status, nofcs, prefer_busy_poll, rcvmark;
	int incoming_cpu; /* -1: none */
	int txrehash;	  /* inet: 0 or 1 (Linux's net.core.txrehash default) */
	uint64_t max_pacing_rate; /* ~0: none */
	uint32_t txtime_clock, txtime_flags;
	int bindtoindex;  /* SO_BINDTOIFINDEX of a socket outside the netstack (unix) */
	int passsec;	  /* SO_PASSSEC (unix, netlink) */
	int rxq_ovfl;	  /* SO_RXQ_OVFL of a unix or netlink socket: Linux keeps it; their reads give no count */
	int rcvpriority;  /* SO_RCVPRIORITY of a socket outside the netstack */
	int userlocks;	  /* SO_BUF_LOCK: SOCK_SNDBUF_LOCK, SOCK_RCVBUF_LOCK (also set by SO_SNDBUF, SO_RCVBUF) */
	uint64_t cookie;  /* SO_COOKIE, given at the first read (0: not yet) */
};

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* (linux/socket.h's; older glibc lacks it) */
#endif

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif
#ifndef SO_RCVPRIORITY
#define SO_RCVPRIORITY 82
#endif
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

/* SO_MEMINFO's array (Linux's SK_MEMINFO_*, linux/sock_diag.h) */
enum {
	SOCK_MEM_RMEM_ALLOC,
	SOCK_MEM_RCVBUF,
	SOCK_MEM_WMEM_ALLOC,
	SOCK_MEM_SNDBUF,
	SOCK_MEM_FWD_ALLOC,
	SOCK_MEM_WMEM_QUEUED,
	SOCK_MEM_OPTMEM,
	SOCK_MEM_BACKLOG,
	SOCK_MEM_DROPS,
	SOCK_MEM_VARS
};

#define SOCK_SNDBUF_LOCK 1 /* (Linux's values, which SO_BUF_LOCK reads and writes) */
#define SOCK_RCVBUF_LOCK 2

struct sock {
	const struct sock_ops *ops;
	int family, type, protocol;
	struct waitq wq;
	struct file *file;	/* back pointer, not a reference */
	uint64_t rcvtimeo, sndtimeo; /* ns; SOCK_TIMEO_NONE, or 0: never wait */
	int reuseaddr, keepalive, broadcast, oobinline;
	int sndbuf, rcvbuf;
	int priority, mark, dontroute, rcvlowat; /* kept and read back (rcvlowat: 0 means 1) */
	int debug, busy_poll;	 /* SO_DEBUG, SO_BUSY_POLL: kept and read back */
	int select_errq;	 /* SO_SELECT_ERR_QUEUE (a datagram socket's error polls POLLPRI too) */
	struct linger linger;
	struct sock_kept kept;	 /* socket.c's generic options */
	/* SO_TIMESTAMP, SO_TIMESTAMPNS and their _NEW names, as Linux's
	 * SOCK_RCVTSTAMP, SOCK_RCVTSTAMPNS and SOCK_TSTAMP_NEW flags: datagrams
	 * read (inet, unix datagram and seqpacket) carry the time of the read */
	uint8_t tstamp;
	/* SO_TIMESTAMPING's flags (Linux's sk_tsflags; its _NEW name sets
	 * SOCK_TS_NEW, which SO_TIMESTAMP's names share, as Linux's
	 * SOCK_TSTAMP_NEW): the sentry reports the stamps, the netstack
	 * generates an inet socket's transmit ones (keeping its own copy) */
	uint32_t tsflags;
};
#define SOCK_TS_ON 1
#define SOCK_TS_NS 2
#define SOCK_TS_NEW 4

/* recvmsg flags of the socket layer's own (bits Linux ignores on a
 * receive; an application's are cleared): TAKING, a peek that the same
 * read's taking of what it returns will follow; MORE, a read that has
 * bytes already (MSG_WAITALL, a low mark), which a stream's mark ends. */
#define MSG_SENTRY_TAKING 0x10000000
#define MSG_SENTRY_MORE 0x08000000
#define MSG_SENTRY_MASK (MSG_SENTRY_TAKING | MSG_SENTRY_MORE)

/* socket.c */
int sock_file(struct kernel *k, struct sock *s, int flags, struct file **out);
struct sock *sock_of(struct file *f); /* NULL if not a socket */
void sock_init(struct sock *s, const struct sock_ops *ops, int family, int type, int protocol);
int sock_create(struct task *t, int family, int type, int protocol, struct sock **out);
/* SOL_SOCKET options every family shares; -ENOPROTOOPT to pass on. */
/* SO_ATTACH_FILTER's program from the task's memory, with Linux's checks
 * before the instructions' (socket.c); 0 and a malloc'd *prog. */
struct sock_filter;
int sock_filter_fetch(struct task *t, const void *val, socklen_t len, int locked, struct sock_filter **prog,
		      uint32_t *n);
int sock_setsockopt_common(struct sock *s, int name, const void *val, socklen_t len);
int sock_getsockopt_common(struct sock *s, struct task *t, int name, void *val, socklen_t *len);
/* SO_RCVTIMEO and SO_SNDTIMEO (and their _NEW names): the syscall layer's
 * (it parks and wakes), kept in struct sock for every family. */
static inline int sock_is_timeo(int level, int name)
{
	return level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO || name == SO_RCVTIMEO_NEW ||
				       name == SO_SNDTIMEO_NEW);
}
/* What is stamped: a packet read (inet, unix); a report of the error
 * queue that has a time (a transmit stamp's, an ICMP error's); one that
 * has none (Linux's skb without tstamp: a MSG_ZEROCOPY completion, a
 * local error), which only SO_TIMESTAMP stamps, with the time of the read. */
enum { SOCK_TS_READ, SOCK_TS_ERRQ, SOCK_TS_ERRQ_UNSTAMPED };
/* The SO_TIMESTAMP* control message of a `how` stamped `now`, then
 * SO_TIMESTAMPING's (SCM_TIMESTAMPING), written at buf if they fit in
 * room: their size (CMSG_SPACE each), 0 if none. */
size_t sock_timestamp_cmsg(const struct sock *s, const struct timespec *now, int how, void *buf, size_t room);
#define SOCK_TS_CMSG_ROOM (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(3 * sizeof(struct timespec)))
/* Does SO_TIMESTAMPING report a software stamp of a `how` (Linux 6.x
 * __sock_recv_timestamp: SOFTWARE; a read's only with RX_SOFTWARE once
 * OPT_RX_FILTER is set)? */
int sock_ts_reports(const struct sock *s, int how);
/* An accepted socket's sock_kept: its listener's, with a cookie of its own. */
void sock_inherit_kept(struct sock *child, const struct sock *listener);
/* SO_DEBUG on needs CAP_NET_ADMIN (Linux: EACCES); 1 when refused */
int sock_debug_denied(struct task *t, int level, int name, const void *val, socklen_t len);
/* SIGURG to the owner of s's file (F_SETOWN), for out-of-band data */
void sock_sigurg(struct kernel *k, struct sock *s);

/* inet.c (AF_INET, AF_INET6 on the netstack) and netlink.c (route) */
int inet_create(struct task *t, int family, int type, int protocol, struct sock **out);
int netlink_create(struct task *t, int type, int protocol, struct sock **out);
/* Interface ioctls every socket answers (SIOCGIFCONF, SIOCGIFFLAGS, ...):
 * -ENOTTY when cmd is not one of them. */
long netdev_ioctl(struct task *t, unsigned long cmd, uint64_t arg);

/* unix.c */
int unix_create(struct task *t, int type, int protocol, struct sock **out);
int unix_pair(struct task *t, int type, int protocol, struct sock **a, struct sock **b);

#endif
