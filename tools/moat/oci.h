/*
 * Moat as an OCI runtime (runc's command line): what the commands share.
 *
 *   oci_cmd.c     the command line: global flags, create/start/run/state/
 *                 kill/delete/list/ps/pause/resume/events/update/spec/
 *                 features, the log
 *   oci_spec.c    config.json (runtime-spec 1.0/1.1) parsed once into
 *                 struct oci_spec; every error names the field
 *   oci_state.c   the container's record under --root (JSON, written
 *                 atomically), its status, hooks
 *   oci_cgroup.c  cgroups v1 and v2: join, limits, freeze, statistics
 *   oci_sentry.c  the container's process: takes over the interfaces of
 *                 its network namespace and runs the sandbox
 *
 * Processes: `moat create` forks the container's process (the sentry,
 * whose pid is the container's pid), runs the hooks, waits until the
 * sandbox is built and exits; the sentry waits on <root>/<id>/exec.fifo
 * until `moat start` opens it, then loads the program. The sentry exits
 * with the program's status (128+N when signal N killed it).
 */
#ifndef MOAT_OCI_H
#define MOAT_OCI_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../sentry/sandbox.h"

#define OCI_VERSION "1.1.0"
#define MOAT_VERSION "0.3.0"

/* Global flags (runc's). */
struct oci_global {
	const char *root; /* state directory, default /run/moat/oci */
	const char *log;  /* --log FILE */
	int log_json;	  /* --log-format json */
	int debug;
	int systemd_cgroup;
	const char *platform; /* --platform NAME */
};
extern struct oci_global oci_g;

/* An error: "moat: ..." on stderr, and a line in the --log file (JSON
 * with level "error" when --log-format json: containerd reads it). */
void oci_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oci_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

enum { HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER, HOOK_POSTSTART,
       HOOK_POSTSTOP, HOOK_KINDS };
extern const char *const oci_hook_names[HOOK_KINDS];

struct oci_hook {
	char *path;
	char **args; /* NULL-terminated; may be NULL */
	char **env;
	int timeout; /* seconds, 0: none */
};

enum { OCI_NET_HOST, OCI_NET_NEW, OCI_NET_PATH };

struct oci_process {
	char **args, **env; /* NULL-terminated */
	char *cwd;
	int terminal;
	unsigned cons_rows, cons_cols;
	struct sandbox_ident ident;
	struct sandbox_rlimit rlimits[16];
	int nrlimits;
	int have_oom;
	int oom_score_adj;
};

struct oci_resources {
	long long mem_limit, mem_reservation, mem_swap; /* bytes; -1 unset (memory -1 = unlimited too) */
	long long pids_limit;				/* -1 unset, 0 or less than 0: unlimited */
	long long cpu_quota, cpu_period, cpu_shares;	/* -1 unset */
	char cpuset_cpus[256], cpuset_mems[256];
};

struct oci_spec {
	json_t *doc; /* the whole document (kept in the state) */
	char root[PATH_MAX];
	int root_ro;
	struct oci_process proc;
	char hostname[65];
	struct sandbox_mount *mounts;
	int nmounts;
	struct oci_hook *hooks[HOOK_KINDS];
	int nhooks[HOOK_KINDS];
	int netns;		  /* OCI_NET_* */
	char netns_path[PATH_MAX];
	char cgroups_path[PATH_MAX]; /* "" if none given */
	struct oci_resources res;
	char *net_sets[16];	  /* linux.sysctl net.* mapped onto the netstack */
	int nnet_sets;
};

/* Parses the document (takes a reference of doc). bundle: for a relative
 * root.path. 0, or -1 with a one-line message in err naming the field. */
int oci_spec_parse(json_t *doc, const char *bundle, struct oci_spec *s, char *err, size_t errlen);
/* Reads BUNDLE/config.json and parses it. */
int oci_spec_load(const char *bundle, struct oci_spec *s, char *err, size_t errlen);
void oci_spec_free(struct oci_spec *s);
/* process (for exec --process as well). */
int oci_process_parse(json_t *p, struct oci_process *out, char *err, size_t errlen);
void oci_process_free(struct oci_process *p);
/* linux.resources, or runc update's resources document. */
int oci_resources_parse(json_t *r, const char *where, struct oci_resources *out, char *err, size_t errlen);
void oci_resources_init(struct oci_resources *r);
const char *oci_cap_name(int cap); /* "CAP_CHOWN" for 0, ... */

/* ---- state (oci_state.c) ---- */

struct oci_state {
	char id[256];
	char dir[PATH_MAX];	/* <root>/<id> */
	pid_t pid;
	unsigned long long pid_start; /* /proc/PID/stat field 22: guards against pid reuse */
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created[64];
	json_t *config;		/* the config.json document */
	json_t *cgroups;	/* {"controller": "/abs/path", ...} */
	int paused;
};

/* Checks an ID: non-empty, at most 255 chars of [A-Za-z0-9_+.-], not . or .. */
int oci_id_valid(const char *id, char *err, size_t errlen);
int oci_state_load(const char *id, struct oci_state *st); /* -ENOENT: no such container */
int oci_state_save(const struct oci_state *st);	  /* atomically */
void oci_state_free(struct oci_state *st);
/* "creating", "created", "running", "paused" or "stopped". */
const char *oci_status(const struct oci_state *st);
int oci_pid_alive(pid_t pid, unsigned long long start);
unsigned long long oci_pid_start(pid_t pid);
/* The state document the spec defines (hooks get it on stdin). */
json_t *oci_state_json(const struct oci_state *st, const char *status);
/* Runs hooks of one kind in order; stops at the first failure (-1, with a message). */
int oci_run_hooks(const struct oci_hook *hooks, int n, const char *kind, const struct oci_state *st,
		  const char *status);
/* Writes path atomically (tmp + rename). */
int oci_write_file(const char *path, const char *data, size_t len, mode_t mode);
/* Host pids of the container: the sentry and its descendants. */
int oci_pids(pid_t root, pid_t **out);

/* ---- sockets (oci_ipc.c) ---- */
/* The control socket of the container whose state directory is dir:
 * listening (server) or connected. A fd, or -errno. */
int oci_control_socket(const char *dir, int server);
/* One message of len bytes with nfds (0-3) descriptors. 0 or -errno. */
int oci_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);
int oci_send_console(const char *path, int master);
/* A new pseudo-terminal for a container's process: its master (sized rows
 * x cols when both are set) goes to the console socket sock, as runc
 * does. Returns the slave, or -errno with *what naming the failed step. */
int oci_console_pty(const char *sock, unsigned rows, unsigned cols, const char **what);

/* ---- cgroups (oci_cgroup.c) ---- */

/* Creates the cgroup(s) for path (cgroupfs "/a/b" or systemd
 * "slice:prefix:name"), applies res, moves pid in. Fills *paths
 * ({"controller": dir}). */
int oci_cgroup_join(const char *path, const char *id, pid_t pid, const struct oci_resources *res,
		    json_t **paths);
int oci_cgroup_update(json_t *paths, const struct oci_resources *res);
int oci_cgroup_freeze(json_t *paths, int freeze);
int oci_cgroup_frozen(json_t *paths);
json_t *oci_cgroup_stats(json_t *paths);
void oci_cgroup_remove(json_t *paths);

/* ---- linux.seccomp (oci_seccomp.c) ---- */
struct sock_fprog;
/* Compiles the profile into prog (prog->filter malloc'ed). 0, or -1 with
 * a one-line message naming the field. */
int oci_seccomp_build(json_t *seccomp, struct sock_fprog *prog, char *err, size_t errlen);

/* ---- the container's process (oci_sentry.c) ---- */

struct oci_sentry_args {
	struct oci_spec *spec;
	const char *fifo;	/* exec.fifo */
	int sync_fd;		/* 'N' when namespaces are ready, 'R' when built */
	int go_fd;		/* the parent writes 'G' after the hooks */
	int err_fd;		/* setup messages go here (the parent reports them) */
	int stdio[3];
	int foreground;		/* moat run: stay in the caller's session */
	int console_fd;		/* the pty's slave, -1 if none */
	int control_fd;		/* the listening control socket (exec) */
};

/* Never returns: exits with the program's status (125 if setup failed). */
void oci_sentry_main(struct oci_sentry_args *a) __attribute__((noreturn));

int cmd_oci(int argc, char **argv);

#endif
