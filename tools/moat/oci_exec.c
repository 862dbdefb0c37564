/*
 * moat exec (runc's, as containerd's shim and podman call it for
 * `docker exec`): a new process in a running container, asked of the
 * sandbox over its control socket (sentry/control.c has the protocol).
 *
 *   moat exec [--process F.json | CMD ARGS...] [--detach] [--tty]
 *             [--console-socket S] [--pid-file F] [--cwd D] [--env K=V]
 *             [--user UID[:GID]] [--additional-gids G] ID
 *
 * Without --process the container's own process (config.json) is the
 * base: its env (with --env appended), cwd and user, unless given.
 *
 * The process is the sandbox's; on the host, a waiter stands for it: moat
 * exec itself, or with --detach a child of it whose pid goes to
 * --pid-file. The waiter exits with the process's status (128+N when
 * signal N killed it), passes the signals it gets on to the process
 * (those of a terminal to the terminal's foreground group), and its death
 * kills the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"

static int send_request(int fd, json_t *req, const int *fds, int nfds)
{
	char *s = json_dumps(req, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	s[n] = '\n'; /* the line's end where the NUL was: n + 1 bytes go */
	int r = oci_send_fds(fd, s, n + 1, fds, nfds);
	free(s);
	return r;
}

/* Reads one JSON line (blocking, with a deadline in ms; -1: none). */
static json_t *read_line(int fd, char *buf, size_t cap, size_t *len, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *len);
		if (nl) {
			json_t *m = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
			size_t used = (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, *len - used);
			*len -= used;
			return m ? m : json_object();
		}
		if (*len == cap)
			return NULL;
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, timeout_ms);
		if (r == 0)
			return NULL;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n <= 0)
			return NULL;
		*len += (size_t)n;
	}
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* The waiter: forwards signals, returns the process's exit code. */
static void forwarded_set(sigset_t *ss)
{
	static const int fwd[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGTSTP,
				   SIGCONT, SIGALRM, SIGPWR, SIGURG, SIGTTIN, SIGTTOU };
	sigemptyset(ss);
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(ss, fwd[i]);
}

static int wait_for_exit(int cfd, char *buf, size_t cap, size_t len, int tty)
{
	sigset_t ss;
	forwarded_set(&ss);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	for (;;) {
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			json_t *m = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
			size_t used = (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, len - used);
			len -= used;
			json_t *ex = json_object_get(m, "exit");
			if (json_is_integer(ex)) {
				int code = status_code((int)json_integer_value(ex));
				json_decref(m);
				return code;
			}
			json_decref(m);
			continue;
		}
		struct pollfd p[2] = { { cfd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 255;
		}
		if (sfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				/* keys of the terminal (the kernel sent them) go to
				 * its foreground group, as on a terminal */
				int from_tty = tty && (si.ssi_code == SI_KERNEL || si.ssi_signo == SIGWINCH);
				json_t *m = json_pack("{s:s, s:i, s:b}", "op", "signal", "sig", (int)si.ssi_signo, "fg",
						      from_tty);
				send_request(cfd, m, NULL, 0);
				json_decref(m);
				break;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (len == cap)
				return 255;
			ssize_t n = read(cfd, buf + len, cap - len);
			if (n <= 0)
				return 255; /* the sandbox ended under it */
			len += (size_t)n;
		}
	}
}

int cmd_exec(int argc, char **argv);
int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },	   { "detach", no_argument, NULL, 'd' },
		{ "tty", no_argument, NULL, 't' },		   { "console-socket", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'P' },	   { "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },	   { "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' }, { "preserve-fds", required_argument, NULL, 'F' },
		{ "cap", required_argument, NULL, 'C' },	   { "no-new-privs", no_argument, NULL, 'N' },
		{ "apparmor", required_argument, NULL, 'A' },	   { "process-label", required_argument, NULL, 'L' },
		{ "ignore-paused", no_argument, NULL, 'I' },	   { "cgroup", required_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	const char *process = NULL, *console = NULL, *pidfile = NULL, *cwd = NULL, *user = NULL;
	int detach = 0, tty = 0, c;
	json_t *extra_env = json_array(), *extra_gids = json_array();
	char err[512];
	int ret = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:dtc:e:u:g:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': process = optarg; break;
		case 'd': detach = 1; break;
		case 't': tty = 1; break;
		case 'c': console = optarg; break;
		case 'P': pidfile = optarg; break;
		case 'w': cwd = optarg; break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return oci_error("exec: --env %s: expected KEY=VALUE", optarg), 1;
			json_array_append_new(extra_env, json_string(optarg));
			break;
		case 'u': user = optarg; break;
		case 'g': {
			char *end;
			long g = strtol(optarg, &end, 10);
			if (*end || g < 0)
				return oci_error("exec: --additional-gids %s: expected a group id", optarg), 1;
			json_array_append_new(extra_gids, json_integer(g));
			break;
		}
		case 'F':
			if (strcmp(optarg, "0"))
				return oci_error("exec: --preserve-fds: passing extra descriptors is not supported"), 1;
			break;
		case 'C': case 'N': case 'A': case 'L': case 'I': case 'G':
			break; /* the sandbox's own capabilities rule; no LSMs, no sub-cgroups */
		default:
			return 1;
		}
	}
	if (optind >= argc)
		return oci_error("exec: a container ID is required"), 1;
	const char *id = argv[optind++];
	/* From now on a signal for the process waits for the waiter to pass
	 * it on (the process may start before we hear its pid). */
	sigset_t fwd;
	forwarded_set(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, NULL);
	if (oci_id_valid(id, err, sizeof(err)))
		return oci_error("%s", err), 1;
	struct oci_state st;
	int r = oci_state_load(id, &st);
	if (r < 0)
		return oci_error("container '%s' does not exist", id), 1;
	const char *status = oci_status(&st);
	if (strcmp(status, "running")) {
		oci_error("cannot exec in container '%s': it is %s", id, status);
		oci_state_free(&st);
		return 1;
	}
	/* The process: --process, or the container's with these changes. */
	struct oci_process p;
	json_t *pdoc = NULL;
	if (process) {
		json_error_t je;
		pdoc = json_load_file(process, 0, &je);
		if (!pdoc) {
			oci_error("exec: --process %s: %s", process, je.text);
			goto out_state;
		}
	} else {
		if (optind >= argc) {
			oci_error("exec: no command given (CMD after the ID, or --process)");
			goto out_state;
		}
		pdoc = json_deep_copy(json_object_get(st.config, "process"));
		if (!pdoc)
			pdoc = json_pack("{s:s}", "cwd", "/");
		json_t *args = json_array();
		for (int i = optind; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		json_object_set_new(pdoc, "args", args);
		json_object_set_new(pdoc, "terminal", json_boolean(tty));
	}
	if (oci_process_parse(pdoc, &p, err, sizeof(err))) {
		oci_error("exec: %s", err);
		json_decref(pdoc);
		goto out_state;
	}
	json_decref(pdoc);
	if (user) {
		unsigned long uid, gid = p.ident.gid;
		char *end;
		uid = strtoul(user, &end, 10);
		if (*end == ':')
			gid = strtoul(end + 1, &end, 10);
		if (*end || end == user) {
			oci_error("exec: --user %s: expected UID[:GID]", user);
			goto out_proc;
		}
		p.ident.uid = (uid_t)uid;
		p.ident.gid = (gid_t)gid;
	}
	json_t *env = json_array();
	for (int i = 0; p.env && p.env[i]; i++)
		json_array_append_new(env, json_string(p.env[i]));
	json_array_extend(env, extra_env);
	json_t *groups = json_array();
	for (int i = 0; i < p.ident.ngroups; i++)
		json_array_append_new(groups, json_integer(p.ident.groups[i]));
	json_array_extend(groups, extra_gids);
	json_t *args = json_array();
	for (int i = 0; p.args[i]; i++)
		json_array_append_new(args, json_string(p.args[i]));
	json_t *req = json_pack("{s:s, s:i, s:o, s:o, s:s, s:i, s:i, s:o, s:b}", "op", "exec", "version", 1, "args",
				args, "env", env, "cwd", cwd ? cwd : p.cwd, "uid", (int)p.ident.uid, "gid",
				(int)p.ident.gid, "groups", groups, "terminal", p.terminal);
	/* The descriptors: a new terminal (its master to the console socket),
	 * our own terminal, or our stdio. */
	int fds[3] = { 0, 1, 2 }, nfds = 3, slave = -1;
	if (p.terminal) {
		nfds = 1;
		if (console) {
			const char *what;
			slave = oci_console_pty(console, p.cons_rows, p.cons_cols, &what);
			if (slave < 0) {
				oci_error("exec: --console-socket %s: %s: %s", console, what, strerror(-slave));
				slave = -1;
				goto out_req;
			}
			fds[0] = slave;
		} else if (!isatty(0)) {
			oci_error("exec: process.terminal is true: --console-socket is required (stdin is not a terminal)");
			goto out_req;
		}
	} else if (console) {
		oci_error("exec: --console-socket given but the process has no terminal");
		goto out_req;
	}
	int cfd = oci_control_socket(st.dir, 0);
	if (cfd < 0) {
		oci_error("exec: the sandbox's control socket: %s", strerror(-cfd));
		goto out_req;
	}
	if ((r = send_request(cfd, req, fds, nfds)) < 0) {
		oci_error("exec: sending the request: %s", strerror(-r));
		close(cfd);
		goto out_req;
	}
	char buf[4096];
	size_t len = 0;
	json_t *rep = read_line(cfd, buf, sizeof(buf), &len, 60000);
	json_t *pid = json_object_get(rep, "pid");
	if (!json_is_integer(pid)) {
		const char *msg = json_string_value(json_object_get(rep, "error"));
		int en = (int)json_integer_value(json_object_get(rep, "errno"));
		if (en == ENOENT)
			oci_error("exec failed: \"%s\": executable file not found in $PATH (%s)", p.args[0],
				  msg ? msg : "no such file or directory");
		else if (en == EACCES)
			oci_error("exec failed: \"%s\": permission denied", p.args[0]);
		else
			oci_error("exec failed: %s", msg ? msg : "the sandbox did not answer");
		json_decref(rep);
		close(cfd);
		goto out_req;
	}
	oci_debug("exec in %s: pid %lld in the sandbox", id, (long long)json_integer_value(pid));
	json_decref(rep);
	if (!detach) {
		ret = wait_for_exit(cfd, buf, sizeof(buf), len, p.terminal);
		close(cfd);
		goto out_req;
	}
	fflush(NULL);
	pid_t w = fork();
	if (w < 0) {
		oci_error("exec: fork: %s", strerror(errno));
		close(cfd);
		goto out_req;
	}
	if (w == 0) {
		/* The waiter: out of the caller's session; a terminal of its
		 * own (so that keys typed there reach it, to be passed on). */
		setsid();
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int i = 0; i < 3; i++)
			dup2(nul, i);
		if (slave >= 0)
			ioctl(slave, TIOCSCTTY, 0);
		_exit(wait_for_exit(cfd, buf, sizeof(buf), len, p.terminal));
	}
	close(cfd);
	if (pidfile) {
		char b[32];
		int n = snprintf(b, sizeof(b), "%d", (int)w);
		if ((r = oci_write_file(pidfile, b, (size_t)n, 0644)) < 0) {
			oci_error("exec: --pid-file %s: %s", pidfile, strerror(-r));
			kill(w, SIGKILL);
			goto out_req;
		}
	}
	ret = 0;
out_req:
	if (slave >= 0)
		close(slave);
	json_decref(req);
out_proc:
	oci_process_free(&p);
out_state:
	oci_state_free(&st);
	json_decref(extra_env);
	json_decref(extra_gids);
	return ret;
}
