/*
 * runc's command line (oci.h), as containerd's runc shim, dockerd and
 * podman call it:
 *
 *   moat [--root DIR] [--log FILE] [--log-format text|json] [--debug]
 *        [--systemd-cgroup] COMMAND [OPTIONS] ID
 *
 * create, start, run, state, kill, delete, list, ps, pause, resume,
 * events, update, spec, features; `exec` is refused with a clear error
 * until the sentry takes new processes from outside (see README).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "moat.h"
#include "oci.h"
#include "../../platform/platform.h"

struct oci_global oci_g = { .root = "/run/moat/oci" };

static FILE *log_file;

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static void log_line(const char *level, const char *msg)
{
	if (!log_file)
		return;
	char when[64];
	now_rfc3339(when, sizeof(when));
	if (oci_g.log_json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", when);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (s)
			fprintf(log_file, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		fprintf(log_file, "%s %s moat: %s\n", when, level, msg);
	}
	fflush(log_file);
}

void oci_error(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "moat: %s\n", msg);
	log_line("error", msg);
}

void oci_debug(const char *fmt, ...)
{
	if (!oci_g.debug)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_file)
		log_line("debug", msg);
	else
		fprintf(stderr, "moat: debug: %s\n", msg);
}

/* ---- small helpers ---- */

static int need_id(int argc, char **argv, const char *cmd, const char **id)
{
	if (optind != argc - 1) {
		oci_error("%s: %s", cmd, optind >= argc ? "a container ID is required" : "too many arguments");
		return -1;
	}
	*id = argv[optind];
	char err[256];
	if (oci_id_valid(*id, err, sizeof(err))) {
		oci_error("%s", err);
		return -1;
	}
	return 0;
}

static int load(const char *id, struct oci_state *st)
{
	int r = oci_state_load(id, st);
	if (r == -ENOENT)
		oci_error("container '%s' does not exist", id);
	else if (r < 0)
		oci_error("container '%s': %s", id, strerror(-r));
	return r;
}

static void rm_state_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signames[] = {
	{ "HUP", SIGHUP },     { "INT", SIGINT },	{ "QUIT", SIGQUIT },   { "ILL", SIGILL },     { "TRAP", SIGTRAP },
	{ "ABRT", SIGABRT },   { "IOT", SIGIOT },	{ "BUS", SIGBUS },     { "FPE", SIGFPE },     { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },	{ "USR2", SIGUSR2 },   { "PIPE", SIGPIPE },   { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },   { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CONT", SIGCONT },   { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },	{ "TTOU", SIGTTOU },   { "URG", SIGURG },     { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },   { "WINCH", SIGWINCH }, { "IO", SIGIO },
	{ "POLL", SIGPOLL },   { "PWR", SIGPWR },	{ "SYS", SIGSYS },
};

static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n >= 1 && n <= 64 ? (int)n : -1;
	const char *name = !strncasecmp(s, "SIG", 3) ? s + 3 : s;
	for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (!strcasecmp(name, signames[i].name))
			return signames[i].sig;
	if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
		int base = !strncasecmp(name, "RTMIN", 5) ? SIGRTMIN : SIGRTMAX;
		if (!name[5])
			return base;
		long off = strtol(name + 5, &end, 10);
		if (*end)
			return -1;
		long sig = base + off;
		return sig >= SIGRTMIN && sig <= SIGRTMAX ? (int)sig : -1;
	}
	return -1;
}

/* Reads what the container's process wrote to its error pipe and reports it. */
static void report_child_errors(int fd, const char *what)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	while (len && buf[len - 1] == '\n')
		buf[--len] = 0;
	/* the sandbox prefixes its messages with "moat: " already */
	const char *msg = buf;
	while (!strncmp(msg, "moat: ", 6))
		msg += 6;
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ';';
	oci_error("%s%s%s", what, len ? ": " : "", len ? msg : "");
}

/* ---- create ---- */

static int oci_start_created(struct oci_state *st, struct oci_spec *spec);
int cmd_exec(int argc, char **argv); /* oci_exec.c */

struct created {
	pid_t pid;
	struct oci_state st;
	struct oci_spec spec;
};

static int create_container(const char *id, const char *bundle_arg, const char *pidfile, const char *console_sock,
			    int foreground, struct created *out)
{
	char err[1024], bundle[PATH_MAX];
	memset(out, 0, sizeof(*out));
	if (oci_id_valid(id, err, sizeof(err)))
		return oci_error("%s", err), -1;
	if (!realpath(bundle_arg, bundle))
		return oci_error("bundle %s: %s", bundle_arg, strerror(errno)), -1;
	struct oci_spec *spec = &out->spec;
	if (oci_spec_load(bundle, spec, err, sizeof(err)))
		return oci_error("%s", err), -1;
	int terminal = spec->proc.terminal;
	if (terminal && !console_sock && !foreground) {
		oci_error("process.terminal is true: --console-socket is required");
		goto fail_spec;
	}
	if (!terminal && console_sock) {
		oci_error("--console-socket given but process.terminal is false");
		goto fail_spec;
	}
	int r = mkdir_p(oci_g.root, 0700);
	if (r) {
		oci_error("--root %s: %s", oci_g.root, strerror(-r));
		goto fail_spec;
	}
	struct oci_state *st = &out->st;
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", id);
	snprintf(st->dir, sizeof(st->dir), "%s/%s", oci_g.root, id);
	if (mkdir(st->dir, 0700) < 0) {
		if (errno == EEXIST)
			oci_error("container '%s' already exists", id);
		else
			oci_error("%s: %s", st->dir, strerror(errno));
		goto fail_spec;
	}
	char fifo[PATH_MAX + 64];
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st->dir);
	int syncp[2] = { -1, -1 }, gop[2] = { -1, -1 }, errp[2] = { -1, -1 }, slave = -1, ctl = -1;
	pid_t pid = -1;
	if (mkfifo(fifo, 0600) < 0 || pipe2(syncp, O_CLOEXEC) < 0 || pipe2(gop, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		oci_error("%s: %s", st->dir, strerror(errno));
		goto fail;
	}
	if ((ctl = oci_control_socket(st->dir, 1)) < 0) {
		oci_error("%s/control.sock: %s", st->dir, strerror(-ctl));
		goto fail;
	}
	if (terminal && console_sock) {
		const char *what;
		slave = oci_console_pty(console_sock, spec->proc.cons_rows, spec->proc.cons_cols, &what);
		if (slave < 0) {
			oci_error("--console-socket %s: %s: %s", console_sock, what, strerror(-slave));
			goto fail;
		}
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		oci_error("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		close(syncp[0]);
		close(gop[1]);
		close(errp[0]);
		if (log_file)
			fclose(log_file);
		struct oci_sentry_args a = { .spec = spec, .fifo = fifo, .sync_fd = syncp[1], .go_fd = gop[0],
					     .err_fd = errp[1], .foreground = foreground, .console_fd = -1,
					     .control_fd = ctl };
		if (slave >= 0) {
			for (int i = 0; i < 3; i++)
				dup2(slave, i);
			close(slave);
			a.console_fd = 0;
		}
		for (int i = 0; i < 3; i++)
			a.stdio[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
		oci_sentry_main(&a);
	}
	close(syncp[1]);
	close(gop[0]);
	close(errp[1]);
	close(ctl);
	syncp[1] = gop[0] = errp[1] = ctl = -1;
	if (slave >= 0)
		close(slave);
	slave = -1;
	out->pid = pid;
	char c;
	if (read(syncp[0], &c, 1) != 1 || c != 'N') {
		report_child_errors(errp[0], "the container's process failed");
		goto fail;
	}
	st->pid = pid;
	st->pid_start = oci_pid_start(pid);
	snprintf(st->bundle, sizeof(st->bundle), "%s", bundle);
	snprintf(st->rootfs, sizeof(st->rootfs), "%s", spec->root);
	now_rfc3339(st->created, sizeof(st->created));
	st->config = json_incref(spec->doc);
	if (oci_cgroup_join(spec->cgroups_path, id, pid, &spec->res, &st->cgroups) < 0)
		goto fail;
	if ((r = oci_state_save(st)) < 0) {
		oci_error("writing the state: %s", strerror(-r));
		goto fail;
	}
	if (oci_run_hooks(spec->hooks[HOOK_PRESTART], spec->nhooks[HOOK_PRESTART], "prestart", st, "creating") ||
	    oci_run_hooks(spec->hooks[HOOK_CREATE_RUNTIME], spec->nhooks[HOOK_CREATE_RUNTIME], "createRuntime", st,
			  "creating") ||
	    oci_run_hooks(spec->hooks[HOOK_CREATE_CONTAINER], spec->nhooks[HOOK_CREATE_CONTAINER],
			  "createContainer", st, "creating"))
		goto fail;
	if (write(gop[1], "G", 1) != 1 || read(syncp[0], &c, 1) != 1 || c != 'R') {
		report_child_errors(errp[0], "building the sandbox failed");
		goto fail;
	}
	close(gop[1]);
	close(syncp[0]);
	close(errp[0]);
	if (pidfile) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
		if ((r = oci_write_file(pidfile, buf, (size_t)n, 0644)) < 0) {
			oci_error("--pid-file %s: %s", pidfile, strerror(-r));
			gop[1] = syncp[0] = errp[0] = -1;
			goto fail;
		}
	}
	oci_debug("created %s: pid %d", id, (int)pid);
	return 0;
fail:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int *fd = &syncp[0]; fd <= &syncp[1]; fd++)
		if (*fd >= 0)
			close(*fd);
	if (gop[0] >= 0)
		close(gop[0]);
	if (gop[1] >= 0)
		close(gop[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (slave >= 0)
		close(slave);
	if (ctl >= 0)
		close(ctl);
	if (st->cgroups)
		oci_cgroup_remove(st->cgroups);
	rm_state_dir(st->dir);
	oci_state_free(st);
fail_spec:
	oci_spec_free(spec);
	return -1;
}

static int cmd_create(int argc, char **argv, int run)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },   { "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' }, { "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'K' }, { "preserve-fds", required_argument, NULL, 'F' },
		{ "detach", no_argument, NULL, 'd' },	      { "keep", no_argument, NULL, 'k' },
		{ "no-subreaper", no_argument, NULL, 'S' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = ".", *pidfile = NULL, *console = NULL, *id;
	int detach = 0, keep = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'c':
			console = optarg;
			break;
		case 'd':
			detach = 1;
			break;
		case 'k':
			keep = 1;
			break;
		case 'P': /* the sandbox's root is the sentry's own VFS: no pivot_root either way */
		case 'K':
		case 'S':
			break;
		case 'F': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0) {
				oci_error("--preserve-fds %s: expected a count", optarg);
				return 1;
			}
			if (n) {
				oci_error("--preserve-fds %ld: passing extra descriptors is not supported", n);
				return 1;
			}
			break;
		}
		case 'h':
			printf("usage: moat %s [--bundle DIR] [--pid-file F] [--console-socket S]%s ID\n",
			       run ? "run" : "create", run ? " [--detach] [--keep]" : "");
			return 0;
		default:
			return 1;
		}
	}
	if (need_id(argc, argv, run ? "run" : "create", &id))
		return 1;
	if (pidfile && pidfile[0] != '/') {
		static char abs[2 * PATH_MAX + 2];
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return oci_error("getcwd: %s", strerror(errno)), 1;
		snprintf(abs, sizeof(abs), "%s/%s", cwd, pidfile);
		pidfile = abs;
	}
	struct created cr;
	/* run in the foreground keeps the terminal it was started from */
	if (create_container(id, bundle, pidfile, console, run && !detach, &cr) < 0)
		return 1;
	if (!run) {
		oci_state_free(&cr.st);
		oci_spec_free(&cr.spec);
		return 0;
	}
	if (oci_start_created(&cr.st, &cr.spec) < 0) {
		kill(cr.pid, SIGKILL);
		waitpid(cr.pid, NULL, 0);
		oci_cgroup_remove(cr.st.cgroups);
		rm_state_dir(cr.st.dir);
		return 1;
	}
	if (detach)
		return 0;
	/* Foreground: forward signals, wait, clean up like delete. */
	static const int fwd[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGINT, SIGWINCH };
	sigset_t ss;
	sigemptyset(&ss);
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(&ss, fwd[i]);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int status = 0;
	for (;;) {
		pid_t w = waitpid(cr.pid, &status, WNOHANG);
		if (w == cr.pid)
			break;
		struct timespec to = { 1, 0 };
		siginfo_t si;
		int sig = sigtimedwait(&ss, &si, &to);
		/* keys typed on the terminal reach the container's process
		 * group by the terminal itself; forward only signals sent to us */
		if (sig > 0 && sig != SIGCHLD && si.si_code <= 0)
			kill(cr.pid, sig);
	}
	if (!keep) {
		oci_run_hooks(cr.spec.hooks[HOOK_POSTSTOP], cr.spec.nhooks[HOOK_POSTSTOP], "poststop", &cr.st, "stopped");
		oci_cgroup_remove(cr.st.cgroups);
		rm_state_dir(cr.st.dir);
	}
	oci_state_free(&cr.st);
	oci_spec_free(&cr.spec);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* ---- start ---- */

/* Lets a created container's program run: opens exec.fifo, on which the
 * sentry waits, and reads its byte. */
static int oci_start_created(struct oci_state *st, struct oci_spec *spec)
{
	if (spec && oci_run_hooks(spec->hooks[HOOK_START_CONTAINER], spec->nhooks[HOOK_START_CONTAINER],
				  "startContainer", st, "created"))
		return -1;
	char fifo[PATH_MAX + 64];
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st->dir);
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		oci_error("container '%s': %s: %s", st->id, fifo, strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n = poll(&p, 1, 100);
		char c;
		if (n > 0 && read(fd, &c, 1) == 1)
			break;
		if (!oci_pid_alive(st->pid, st->pid_start)) {
			close(fd);
			oci_error("container '%s': its process exited before it started", st->id);
			return -1;
		}
	}
	close(fd);
	unlink(fifo);
	if (spec)
		for (int i = 0; i < spec->nhooks[HOOK_POSTSTART]; i++)
			if (oci_run_hooks(&spec->hooks[HOOK_POSTSTART][i], 1, "poststart", st, "running"))
				fprintf(stderr, "moat: warning: a poststart hook failed (the container runs on)\n");
	return 0;
}

/* The spec of a container from its state (hooks for start and delete). */
static int state_spec(struct oci_state *st, struct oci_spec *spec)
{
	char err[512];
	if (!st->config)
		return -1;
	if (oci_spec_parse(st->config, st->bundle, spec, err, sizeof(err))) {
		/* the bundle may be gone by now (delete): hooks only */
		memset(spec, 0, sizeof(*spec));
		return -1;
	}
	return 0;
}

static int cmd_start(int argc, char **argv)
{
	const char *id;
	optind = 1;
	if (getopt_long(argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1 ||
	    need_id(argc, argv, "start", &id))
		return 1;
	struct oci_state st;
	if (load(id, &st))
		return 1;
	const char *status = oci_status(&st);
	if (strcmp(status, "created")) {
		oci_error("cannot start container '%s': it is %s, not created", id, status);
		oci_state_free(&st);
		return 1;
	}
	struct oci_spec spec;
	int have = state_spec(&st, &spec) == 0;
	int r = oci_start_created(&st, have ? &spec : NULL);
	if (have)
		oci_spec_free(&spec);
	oci_state_free(&st);
	return r < 0 ? 1 : 0;
}

/* ---- state, list, ps ---- */

static int cmd_state(int argc, char **argv)
{
	const char *id;
	optind = 1;
	if (getopt_long(argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1 ||
	    need_id(argc, argv, "state", &id))
		return 1;
	struct oci_state st;
	if (load(id, &st))
		return 1;
	json_t *doc = oci_state_json(&st, oci_status(&st));
	json_object_set_new(doc, "rootfs", json_string(st.rootfs));
	json_object_set_new(doc, "created", json_string(st.created));
	json_object_set_new(doc, "owner", json_string(""));
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", s);
	free(s);
	json_decref(doc);
	oci_state_free(&st);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      { NULL, 0, NULL, 0 } };
	int json = 0, quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else if (c == 'q')
			quiet = 1;
		else
			return oci_error("list: --format is table or json"), 1;
	}
	if (optind != argc)
		return oci_error("list: takes no arguments"), 1;
	json_t *arr = json_array();
	DIR *d = opendir(oci_g.root);
	if (!quiet && !json)
		printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		struct oci_state st;
		if (de->d_name[0] == '.' || oci_state_load(de->d_name, &st))
			continue;
		const char *status = oci_status(&st);
		int pid = strcmp(status, "stopped") ? (int)st.pid : 0;
		if (quiet)
			printf("%s\n", st.id);
		else if (json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ociVersion",
							     OCI_VERSION, "id", st.id, "pid", pid, "status", status,
							     "bundle", st.bundle, "rootfs", st.rootfs, "created",
							     st.created, "owner", "root"));
		else
			printf("%-20s %-8d %-10s %-40s %-32s %s\n", st.id, pid, status, st.bundle, st.created, "root");
		oci_state_free(&st);
	}
	if (d)
		closedir(d);
	if (json && !quiet) {
		char *s = json_dumps(arr, JSON_COMPACT);
		printf("%s\n", json_array_size(arr) ? s : "null");
		free(s);
	}
	json_decref(arr);
	return 0;
}

static int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	int json = 0, c;
	const char *id;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else
			return oci_error("ps: --format is table or json"), 1;
	}
	/* runc ps passes what follows the ID to ps(1) */
	if (optind >= argc)
		return oci_error("ps: a container ID is required"), 1;
	id = argv[optind];
	struct oci_state st;
	if (load(id, &st))
		return 1;
	const char *status = oci_status(&st);
	if (!strcmp(status, "stopped") || !strcmp(status, "creating")) {
		oci_state_free(&st);
		if (json) {
			printf("[]\n");
			return 0;
		}
		return oci_error("container '%s' is not running", id), 1;
	}
	pid_t *pids;
	int n = oci_pids(st.pid, &pids);
	oci_state_free(&st);
	if (n < 0)
		return oci_error("ps: %s", strerror(-n)), 1;
	if (json) {
		printf("[");
		for (int i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		free(pids);
		return 0;
	}
	/* the table is ps(1)'s, for these pids */
	char list[8192] = "";
	size_t len = 0;
	for (int i = 0; i < n && len < sizeof(list) - 16; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%d", i ? "," : "", (int)pids[i]);
	free(pids);
	int extra = argc - optind - 1;
	char **av = calloc((size_t)extra + 5, sizeof(char *));
	int k = 0;
	av[k++] = "ps";
	for (int i = 0; i < extra; i++)
		av[k++] = argv[optind + 1 + i];
	if (!extra)
		av[k++] = "-f";
	av[k++] = "-p";
	av[k++] = list;
	av[k] = NULL;
	fflush(stdout);
	execvp("ps", av);
	oci_error("ps: %s", strerror(errno));
	free(av);
	return 1;
}

/* ---- kill, delete ---- */

static int wait_gone(const struct oci_state *st, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (!oci_pid_alive(st->pid, st->pid_start))
			return 0;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

static int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { NULL, 0, NULL, 0 } };
	int all = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		if (c == 'a')
			all = 1;
		else
			return 1;
	}
	if (optind >= argc || argc - optind > 2)
		return oci_error("usage: moat kill [--all] ID [SIGNAL]"), 1;
	const char *id = argv[optind];
	int sig = SIGTERM;
	if (argc - optind == 2 && (sig = parse_signal(argv[optind + 1])) < 0)
		return oci_error("kill: unknown signal '%s'", argv[optind + 1]), 1;
	struct oci_state st;
	if (load(id, &st))
		return 1;
	const char *status = oci_status(&st);
	if (!strcmp(status, "stopped") || !strcmp(status, "creating")) {
		oci_error("container '%s' is not running", id);
		oci_state_free(&st);
		return 1;
	}
	/* The sentry forwards every catchable signal to the program's init;
	 * SIGKILL and SIGSTOP act on the whole sandbox. */
	int r = kill(st.pid, sig);
	if (r < 0) {
		oci_error("kill %s: %s", id, strerror(errno));
		oci_state_free(&st);
		return 1;
	}
	if (all && sig == SIGKILL) {
		pid_t *pids;
		int n = oci_pids(st.pid, &pids);
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (n > 0)
			free(pids);
	}
	oci_state_free(&st);
	return 0;
}

static int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	int force = 0, c;
	const char *id;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
		if (c == 'f')
			force = 1;
		else
			return 1;
	}
	if (need_id(argc, argv, "delete", &id))
		return 1;
	struct oci_state st;
	int r = oci_state_load(id, &st);
	if (r == -ENOENT) {
		if (force)
			return 0;
		return oci_error("container '%s' does not exist", id), 1;
	}
	const char *status = oci_status(&st);
	if (!strcmp(status, "running") || !strcmp(status, "paused")) {
		if (!force) {
			oci_error("cannot delete container '%s' that is %s (use --force)", id, status);
			oci_state_free(&st);
			return 1;
		}
	}
	if (strcmp(status, "stopped") && st.pid > 0) {
		if (!strcmp(status, "paused") && st.cgroups)
			oci_cgroup_freeze(st.cgroups, 0);
		if (oci_pid_alive(st.pid, st.pid_start))
			kill(st.pid, SIGKILL);
		if (wait_gone(&st, 10) < 0) {
			oci_error("container '%s': its process %d did not exit after SIGKILL", id, (int)st.pid);
			oci_state_free(&st);
			return 1;
		}
	}
	struct oci_spec spec;
	if (state_spec(&st, &spec) == 0) {
		oci_run_hooks(spec.hooks[HOOK_POSTSTOP], spec.nhooks[HOOK_POSTSTOP], "poststop", &st, "stopped");
		oci_spec_free(&spec);
	}
	if (st.cgroups)
		oci_cgroup_remove(st.cgroups);
	rm_state_dir(st.dir);
	oci_state_free(&st);
	return 0;
}

/* ---- pause, resume, events, update ---- */

static int cmd_pause(int argc, char **argv, int pause)
{
	const char *id;
	optind = 1;
	if (getopt_long(argc, argv, "+", (struct option[]){ { NULL, 0, NULL, 0 } }, NULL) != -1 ||
	    need_id(argc, argv, pause ? "pause" : "resume", &id))
		return 1;
	struct oci_state st;
	if (load(id, &st))
		return 1;
	const char *status = oci_status(&st);
	int ok = pause ? !strcmp(status, "running") || !strcmp(status, "created") : !strcmp(status, "paused");
	int r = 1;
	if (!ok)
		oci_error("cannot %s container '%s': it is %s", pause ? "pause" : "resume", id, status);
	else if (!st.cgroups)
		oci_error("container '%s' has no cgroup", id);
	else if (oci_cgroup_freeze(st.cgroups, pause) == 0)
		r = 0;
	oci_state_free(&st);
	return r;
}

static int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
					      { "interval", required_argument, NULL, 'i' },
					      { NULL, 0, NULL, 0 } };
	int stats = 0, c;
	double interval = 5;
	const char *id;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 's') {
			stats = 1;
		} else if (c == 'i') {
			char *end;
			interval = strtod(optarg, &end);
			if (*end == 's')
				end++;
			else if (!strcmp(end, "ms"))
				interval /= 1000, end += 2;
			if (*end || interval <= 0)
				return oci_error("events: --interval %s: expected a duration such as 5s", optarg), 1;
		} else {
			return 1;
		}
	}
	if (need_id(argc, argv, "events", &id))
		return 1;
	for (;;) {
		struct oci_state st;
		if (load(id, &st))
			return 1;
		const char *status = oci_status(&st);
		if (!strcmp(status, "stopped")) {
			oci_state_free(&st);
			if (stats)
				return oci_error("container '%s' is not running", id), 1;
			return 0;
		}
		json_t *data = st.cgroups ? oci_cgroup_stats(st.cgroups) : json_object();
		json_t *ev = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
		char *s = json_dumps(ev, JSON_COMPACT);
		printf("%s\n", s);
		fflush(stdout);
		free(s);
		json_decref(ev);
		oci_state_free(&st);
		if (stats)
			return 0;
		struct timespec ts = { (time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

static long long parse_bytes(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s)
		return -2;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	return *end ? -2 : v;
}

static int cmd_update(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resources", required_argument, NULL, 'r' },	{ "memory", required_argument, NULL, 'm' },
		{ "memory-swap", required_argument, NULL, 's' }, { "memory-reservation", required_argument, NULL, 'R' },
		{ "pids-limit", required_argument, NULL, 'p' }, { "cpu-quota", required_argument, NULL, 'q' },
		{ "cpu-period", required_argument, NULL, 'P' }, { "cpu-share", required_argument, NULL, 'S' },
		{ "cpuset-cpus", required_argument, NULL, 'c' }, { "cpuset-mems", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct oci_resources res;
	oci_resources_init(&res);
	const char *id;
	int c;
	char err[512];
	optind = 1;
	while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		long long v = 0;
		if (strchr("msRpqPS", c) && (v = parse_bytes(optarg)) == -2)
			return oci_error("update: bad value '%s'", optarg), 1;
		switch (c) {
		case 'r': {
			json_error_t je;
			json_t *doc = !strcmp(optarg, "-") ? json_loadf(stdin, 0, &je) : json_load_file(optarg, 0, &je);
			if (!doc)
				return oci_error("update: --resources %s: %s", optarg, je.text), 1;
			int r = oci_resources_parse(doc, "resources", &res, err, sizeof(err));
			json_decref(doc);
			if (r)
				return oci_error("update: %s", err), 1;
			break;
		}
		case 'm': res.mem_limit = v; break;
		case 's': res.mem_swap = v; break;
		case 'R': res.mem_reservation = v; break;
		case 'p': res.pids_limit = v; break;
		case 'q': res.cpu_quota = v; break;
		case 'P': res.cpu_period = v; break;
		case 'S': res.cpu_shares = v; break;
		case 'c': snprintf(res.cpuset_cpus, sizeof(res.cpuset_cpus), "%s", optarg); break;
		case 'M': snprintf(res.cpuset_mems, sizeof(res.cpuset_mems), "%s", optarg); break;
		default: return 1;
		}
	}
	if (need_id(argc, argv, "update", &id))
		return 1;
	struct oci_state st;
	if (load(id, &st))
		return 1;
	int r = 1;
	if (!strcmp(oci_status(&st), "stopped"))
		oci_error("container '%s' is not running", id);
	else if (!st.cgroups)
		oci_error("container '%s' has no cgroup", id);
	else
		r = oci_cgroup_update(st.cgroups, &res) ? 1 : 0;
	oci_state_free(&st);
	return r;
}

/* ---- spec, features, version ---- */

static const char default_spec[] =
	"{\n"
	"  \"ociVersion\": \"" OCI_VERSION "\",\n"
	"  \"process\": {\n"
	"    \"terminal\": true,\n"
	"    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
	"    \"args\": [ \"sh\" ],\n"
	"    \"env\": [ \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\" ],\n"
	"    \"cwd\": \"/\",\n"
	"    \"capabilities\": {\n"
	"      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
	"      \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
	"      \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
	"      \"inheritable\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
	"      \"ambient\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ]\n"
	"    },\n"
	"    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],\n"
	"    \"noNewPrivileges\": true\n"
	"  },\n"
	"  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
	"  \"hostname\": \"moat\",\n"
	"  \"mounts\": [\n"
	"    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
	"    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },\n"
	"    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\" ] },\n"
	"    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },\n"
	"    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\", \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n"
	"    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] }\n"
	"  ],\n"
	"  \"linux\": {\n"
	"    \"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ] },\n"
	"    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" }, { \"type\": \"uts\" }, { \"type\": \"mount\" } ],\n"
	"    \"maskedPaths\": [ \"/proc/kcore\", \"/proc/keys\", \"/proc/timer_list\", \"/sys/firmware\" ],\n"
	"    \"readonlyPaths\": [ \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\" ]\n"
	"  }\n"
	"}\n";

static int cmd_spec(int argc, char **argv)
{
	static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
					      { "rootless", no_argument, NULL, 'r' },
					      { NULL, 0, NULL, 0 } };
	const char *bundle = ".";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c != 'r')
			return 1;
	}
	if (optind != argc)
		return oci_error("spec: takes no arguments"), 1;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return oci_error("spec: %s: %s", path, errno == EEXIST ? "exists already" : strerror(errno)), 1;
	ssize_t n = write(fd, default_spec, sizeof(default_spec) - 1);
	close(fd);
	if (n != (ssize_t)sizeof(default_spec) - 1)
		return oci_error("spec: writing %s failed", path), 1;
	return 0;
}

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static int cmd_features(void)
{
	static const char *const mount_opts[] = { "ro",	     "rw",	     "bind",	      "rbind",	  "nosuid",
						  "nodev",   "noexec",	     "mode",	      "rprivate", "private",
						  "rslave",  "strictatime", "size",	      "newinstance", "ptmxmode",
						  "gid" };
	static const char *const nss[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };
	json_t *caps = json_array();
	for (int i = 0; i <= 40; i++)
		json_array_append_new(caps, json_string(oci_cap_name(i)));
	json_t *linux_ = json_object();
	json_object_set_new(linux_, "namespaces", str_array(nss, sizeof(nss) / sizeof(nss[0])));
	json_object_set_new(linux_, "capabilities", caps);
	json_object_set_new(linux_, "cgroup", json_pack("{s:b, s:b, s:b}", "v1", 1, "v2", 1, "systemd", 0));
	json_object_set_new(linux_, "seccomp",
			    json_pack("{s:b, s:[sssssss], s:[sssssss]}", "enabled", 1, "actions", "SCMP_ACT_ALLOW",
				      "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
				      "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "operators", "SCMP_CMP_NE", "SCMP_CMP_LT",
				      "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"));
	json_t *doc = json_object();
	json_object_set_new(doc, "ociVersionMin", json_string("1.0.0"));
	json_object_set_new(doc, "ociVersionMax", json_string(OCI_VERSION));
	json_object_set_new(doc, "hooks", str_array(oci_hook_names, HOOK_KINDS));
	json_object_set_new(doc, "mountOptions", str_array(mount_opts, sizeof(mount_opts) / sizeof(mount_opts[0])));
	json_object_set_new(doc, "linux", linux_);
	json_object_set_new(doc, "annotations",
			    json_pack("{s:s, s:s, s:s, s:s}", "dev.moat.pcap",
				      "write every frame of the container's interfaces to this pcap file",
				      "dev.moat.platform", "systrap, ptrace or auto: how the program's syscalls are caught",
				      "dev.moat.debug-log", "the sentry's debug log (append)", "dev.moat.strace",
				      "\"true\": log every syscall to the debug log"));
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", s);
	free(s);
	json_decref(doc);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: moat [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID]\n"
		   "\n"
		   "Moat as an OCI runtime (runc's command line; Docker, containerd and podman call it).\n"
		   "\n"
		   "global options:\n"
		   "  --root DIR             container state (default /run/moat/oci)\n"
		   "  --log FILE             log to FILE (errors also go to stderr)\n"
		   "  --log-format text|json the log's format (containerd asks for json)\n"
		   "  --debug                log debug messages too\n"
		   "  --systemd-cgroup       cgroupsPath is systemd's slice:prefix:name (made as\n"
		   "                         /slice/prefix-name.scope; systemd itself is not asked)\n"
		   "  --platform NAME        ptrace (the default), systrap, or auto (systrap where\n"
		   "                         the kernel supports it); MOAT_PLATFORM sets the\n"
		   "                         default; the annotation dev.moat.platform wins\n"
		   "\n"
		   "commands:\n"
		   "  create [--bundle DIR] [--pid-file F] [--console-socket S] ID\n"
		   "  start ID               run the created container's program\n"
		   "  run [--bundle DIR] [--detach] ID   create and start (in the foreground)\n"
		   "  state ID               the OCI state (JSON)\n"
		   "  kill [--all] ID [SIGNAL]\n"
		   "  delete [--force] ID\n"
		   "  list [--format table|json] [-q]\n"
		   "  ps [--format table|json] ID\n"
		   "  exec [--process F.json | CMD...] [--detach] [--tty] [--console-socket S]\n"
		   "       [--pid-file F] [--cwd D] [--env K=V] [--user UID[:GID]] ID [CMD...]\n"
		   "  pause ID, resume ID    freeze and thaw (cgroup freezer)\n"
		   "  events [--stats] [--interval 5s] ID\n"
		   "  update [-r FILE|-] [--memory N] [--pids-limit N] [--cpu-quota N] ... ID\n"
		   "  spec [--bundle DIR]    write a default config.json\n"
		   "  features               what this runtime supports (JSON)\n"
		   "  --version\n");
}

int cmd_oci(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		char *a = argv[i], *val = NULL;
		if (a[1] == '-')
			a++;
		char *eq = strchr(a, '=');
		if (eq)
			*eq = 0, val = eq + 1;
#define TAKE()                                                                     \
	do {                                                                       \
		if (!val) {                                                        \
			if (i + 1 >= argc)                                         \
				return oci_error("option %s needs a value", a), 2; \
			val = argv[++i];                                           \
		}                                                                  \
	} while (0)
		if (!strcmp(a, "-root")) {
			TAKE();
			oci_g.root = val;
		} else if (!strcmp(a, "-log")) {
			TAKE();
			oci_g.log = val;
		} else if (!strcmp(a, "-log-format")) {
			TAKE();
			if (strcmp(val, "json") && strcmp(val, "text"))
				return oci_error("--log-format %s: expected text or json", val), 2;
			oci_g.log_json = !strcmp(val, "json");
		} else if (!strcmp(a, "-debug")) {
			oci_g.debug = 1;
		} else if (!strcmp(a, "-systemd-cgroup")) {
			oci_g.systemd_cgroup = 1;
		} else if (!strcmp(a, "-platform")) {
			TAKE();
			if (!platform_find(val) && strcmp(val, "auto"))
				return oci_error("--platform %s: expected systrap, ptrace or auto", val), 2;
			oci_g.platform = val;
		} else if (!strcmp(a, "-rootless") || !strcmp(a, "-criu")) {
			if (!val && i + 1 < argc && argv[i + 1][0] != '-')
				i++; /* accepted, no effect: moat runs as root; no checkpointing */
		} else if (!strcmp(a, "-version") || !strcmp(a, "v")) {
			printf("moat version %s\nspec: %s\n", MOAT_VERSION, OCI_VERSION);
			return 0;
		} else if (!strcmp(a, "-help") || !strcmp(a, "h")) {
			usage(stdout);
			return 0;
		} else {
			return oci_error("unknown global option '%s'", argv[i]), 2;
		}
#undef TAKE
	}
	if (oci_g.log) {
		log_file = fopen(oci_g.log, "ae");
		if (!log_file)
			fprintf(stderr, "moat: --log %s: %s\n", oci_g.log, strerror(errno));
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[i];
	argc -= i;
	argv += i;
	int r;
	if (!strcmp(cmd, "create"))
		r = cmd_create(argc, argv, 0);
	else if (!strcmp(cmd, "run"))
		r = cmd_create(argc, argv, 1);
	else if (!strcmp(cmd, "start"))
		r = cmd_start(argc, argv);
	else if (!strcmp(cmd, "state"))
		r = cmd_state(argc, argv);
	else if (!strcmp(cmd, "kill"))
		r = cmd_kill(argc, argv);
	else if (!strcmp(cmd, "delete"))
		r = cmd_delete(argc, argv);
	else if (!strcmp(cmd, "list"))
		r = cmd_list(argc, argv);
	else if (!strcmp(cmd, "ps"))
		r = cmd_ps(argc, argv);
	else if (!strcmp(cmd, "pause"))
		r = cmd_pause(argc, argv, 1);
	else if (!strcmp(cmd, "resume"))
		r = cmd_pause(argc, argv, 0);
	else if (!strcmp(cmd, "events"))
		r = cmd_events(argc, argv);
	else if (!strcmp(cmd, "update"))
		r = cmd_update(argc, argv);
	else if (!strcmp(cmd, "spec"))
		r = cmd_spec(argc, argv);
	else if (!strcmp(cmd, "features"))
		r = cmd_features();
	else if (!strcmp(cmd, "exec"))
		r = cmd_exec(argc, argv);
	else if (!strcmp(cmd, "checkpoint") || !strcmp(cmd, "restore")) {
		oci_error("%s: not supported by moat", cmd);
		r = 1;
	} else {
		oci_error("unknown command '%s' (moat --help lists them)", cmd);
		r = 2;
	}
	if (log_file)
		fclose(log_file);
	return r;
}
