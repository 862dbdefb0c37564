/*
 * The sandbox's network: one netstack per sandbox, on the sentry's event
 * loop and timer wheel, with the links moat handed in (sandbox.h, struct
 * sandbox_net). Socket files of AF_INET/AF_INET6 are sock_ops over the
 * stack's socket API (inet.c); netlink route sockets (netlink.c),
 * /proc/net (vfs/procnet.c) and the interface ioctls (inet_dev.c) read it
 * through ns/info.h.
 *
 * There is one sandbox per moat process, so the stack is a module
 * variable; the accessors take the kernel so that this can change.
 */
#ifndef SENTRY_INET_H
#define SENTRY_INET_H

#include "socket.h"
#include "../sandbox.h"

struct ns_stack;
struct ns_loop;
struct ns_wheel;

/* Build the stack from cfg (NULL: loopback only), attach it to the loop.
 * Prints a message and returns -errno on failure. */
int inet_net_start(struct kernel *k, struct ns_loop *loop, struct ns_wheel *wheel,
		   const struct sandbox_net *cfg);
/* Tear the stack down (every socket, link and timer). */
void inet_net_stop(struct kernel *k);
/* The stack of t's network namespace (t NULL: the sandbox's), or NULL
 * (host networking). */
struct ns_stack *inet_stack(struct kernel *k, const struct task *t);
/* A nested network namespace's stack (ns.c): made, and torn down with
 * every socket still in it. */
struct netns;
int inet_netns_init(struct netns *n);
void inet_netns_fini(struct netns *n);

/* The inode number of the socket file holding stack socket `id`
 * (ns_sock_info.id), 0 if none (orphaned). */
uint64_t inet_sock_ino(struct kernel *k, uintptr_t id);
/* /proc/net/NAME rendered into out; -ENOENT for an unknown name. */
int procnet_render(struct kernel *k, const struct task *t, const char *name, FILE *out);

/* inet_dev.c: IFF_* flags of an interface as Linux shows them. */
struct ns_nic_info;
unsigned netdev_flags(const struct ns_nic_info *ni);
/* A new MTU for interface ni (ip link set IF mtu N, SIOCSIFMTU) with
 * Linux's bounds: 0, -EINVAL. */
struct ns_stack;
int netdev_set_mtu(struct ns_stack *st, const struct ns_nic_info *ni, long mtu);

/* inet_host.c: --network=host sockets on host sockets. */
int hostinet_create(struct task *t, int family, int type, int protocol, struct sock **out);
void hostinet_set_loop(struct ns_loop *l);

#endif
