/*
 * The sandbox as the CLI sees it: build one from a config, run it to the
 * end, get the program's wait status. `moat do` is a thin layer on this;
 * the OCI runtime will be another.
 */
#ifndef SENTRY_SANDBOX_H
#define SENTRY_SANDBOX_H

#include <stdio.h>
#include <sys/types.h>

struct sock_fprog;

enum {
	SANDBOX_MOUNT_BIND = 0, /* src: a host directory or file */
	SANDBOX_MOUNT_TMPFS,	/* an empty tmpfs (src unused) */
	SANDBOX_MOUNT_OVERLAY,	/* host directory src, read-only, under a writable
				   layer in memory (as /: writes stay in the sandbox) */
};

struct sandbox_mount {
	const char *src; /* host directory or file (BIND) */
	const char *dst; /* absolute path in the sandbox */
	int ro;
	int type;	 /* SANDBOX_MOUNT_* */
	unsigned flags;	 /* MS_NOSUID, MS_NODEV, MS_NOEXEC */
	unsigned mode;	 /* TMPFS: mode of its root (0: 01777) */
};

/* Who the first process is (the OCI runtime's process.user and friends);
 * without it, root with every capability of the sandbox. */
struct sandbox_ident {
	uid_t uid;
	gid_t gid;
	gid_t groups[32];
	int ngroups;
	int have_caps; /* else every capability */
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
	int no_new_privs;
};

struct sandbox_rlimit {
	int resource; /* RLIMIT_* */
	unsigned long long soft, hard;
};

struct ns_link;
struct ns_pcap_sink;

/* Networking (socket/inet.h). Everything host-side (the AF_PACKET link,
 * the pcap file) is opened by the caller before the sentry starts and
 * handed in: the sentry creates no host socket and opens no host path. */
enum {
	SANDBOX_NET_LOOPBACK = 0, /* the netstack with loopback only */
	SANDBOX_NET_STACK,	  /* the netstack on the given links */
	SANDBOX_NET_HOST,	  /* host sockets (weaker isolation) */
};

#define SANDBOX_NET_MAX_NICS 4
#define SANDBOX_NET_MAX_ADDRS 8

struct sandbox_nic {
	struct ns_link *link; /* the stack takes ownership */
	const char *addrs[SANDBOX_NET_MAX_ADDRS]; /* CIDR, either family */
	int naddrs;
};

struct sandbox_net {
	int mode;			 /* SANDBOX_NET_* */
	struct sandbox_nic nics[SANDBOX_NET_MAX_NICS];
	int nnics;
	const char *gateways[2];	 /* default routes, one per family */
	int ngateways;
	const char *sets[16];		 /* stack settings, "key=value" */
	int nsets;
	struct ns_pcap_sink *pcap;	 /* every frame of every nic and lo; owned by the caller */
	const char *hosts;		 /* content for /etc/hosts; NULL: the root's */
	const char *resolv;		 /* content for /etc/resolv.conf; NULL: the root's */
	/* A DNS resolver in the host kernel of moat's network namespace
	 * (Docker's 127.0.0.11), relayed to the sandbox at the same address:
	 * dns_relay_fd is a UDP socket connected to it (taken), -1 if none. */
	const char *dns_relay_addr;
	int dns_relay_fd;
};

struct sandbox_config {
	const char *root;      /* host directory for the overlay's lower layer ("/") */
	struct sandbox_mount *mounts;
	int nmounts;
	const char *cwd;       /* in the sandbox; NULL: the caller's if it exists, else "/" */
	char **argv;	       /* argv[0] is the program (looked up in PATH if no '/') */
	char **envp;
	const char *platform;  /* "ptrace" (NULL), "systrap" or "auto" */
	int strace;	       /* log syscalls to stderr (or the debug log) */
	FILE *debug_log;       /* NULL: none */
	int pids_limit;	       /* 0: default */
	const char *hostname;  /* NULL: "moat" */
	const struct sandbox_net *net; /* NULL: loopback only */
	int root_readonly;     /* / is read-only (no writable layer shows) */
	const char *overlay_dir; /* the root's writable layer keeps its file data
				    in unnamed files of this host directory
				    (made by the gofer) instead of memory */
	int root_overlay_none; /* no in-memory layer over /: the root is served
				  read-write by the gofer and writes reach the
				  host (moat do --overlay none) */
	const struct sandbox_ident *ident; /* NULL: root */
	const struct sandbox_rlimit *rlimits; /* applied to the first process */
	int nrlimits;
	/* The host fds that become the sandbox's 0, 1, 2 (-1: closed); used
	 * when have_stdio is set, else moat's own 0, 1, 2. */
	int have_stdio;
	int stdio[3];
	/* Called when the sandbox is built and its first program is about to
	 * be loaded (the OCI runtime waits for `start` here). Non-zero: give
	 * up (sandbox_run returns that value as -errno if negative). */
	int (*before_start)(void *arg);
	void *before_start_arg;
	/* A listening AF_UNIX socket (taken) on which the runtime asks for
	 * new processes (control.c); -1 or have_control 0: none. */
	int have_control;
	int control_fd;
	/* A seccomp filter every task runs under besides the platform's
	 * (platform_config.app_filter); NULL: none. */
	const struct sock_fprog *app_seccomp;
	/* Debugging only: the sentry opens the root and bind mounts itself
	 * instead of asking the gofer (no defence in depth). */
	int host_fs;
	/* Debugging only: the sentry keeps its host access after start (no
	 * empty root, capabilities, seccomp allow-list; confine.c). Implied by
	 * host_fs. */
	int unconfined;
	/* moat do's process passes on the signals sent to it (one byte, the
	 * signal's number, per signal) on this pipe (taken); the signals that
	 * reach the sentry itself are then acted on only when the terminal
	 * sent them (a kill of the process group reaches both: taken once,
	 * and standard signals pending twice would merge into one, with the
	 * first sender's identity). have_signal_pipe 0: every signal the
	 * sentry gets is for the program (the OCI runtime's `kill`). */
	int have_signal_pipe;
	int signal_pipe;
	/* Bytes of file data the sandbox's in-memory layers (the overlay's
	 * upper layer, /tmp, /dev/shm, tmpfs mounts) hold at most; writes past
	 * it are ENOSPC. 0: half of the host's RAM (Linux's tmpfs default). */
	unsigned long long overlay_size;
	/* The sandbox's memory limit (moat do --memory), 0 if none: the
	 * netstack's packet buffers are then bounded to a quarter of it (else
	 * 512 MiB); a sandbox that floods its sockets gets ENOBUFS. */
	unsigned long long memory_limit;
};

/* The signals a sandbox passes on to its program (moat forwards the same). */
int sandbox_forwarded_signals(const int **list);

/* Run the sandbox until its first process exits. Returns 0 and sets
 * *wait_status (as from wait4), or a negative errno (setup failed; a
 * message was printed). */
int sandbox_run(const struct sandbox_config *cfg, int *wait_status);

#endif
