/*
 * The sandbox's control socket: how the OCI runtime's `moat exec` asks a
 * running sandbox for a new process (kernel/spawn.c). moat creates the
 * listening AF_UNIX socket (<state dir>/control.sock, mode 0600, owned by
 * root) and hands it to the sentry; the sentry only accepts on it.
 *
 * Protocol (version 1), one JSON object per line in each direction:
 *
 *   -> {"op": "exec", "version": 1, "args": [...], "env": [...],
 *       "cwd": "/", "uid": 0, "gid": 0, "groups": [...],
 *       "terminal": false}
 *      sent with SCM_RIGHTS carrying the process's stdin, stdout and
 *      stderr (three descriptors; with "terminal", one: a terminal
 *      that is all three)
 *   <- {"pid": N}  or  {"error": "text", "errno": N} (and the end)
 *   -> {"op": "signal", "sig": N}          to the process
 *   -> {"op": "signal", "sig": N, "fg": true}  to its terminal's
 *                                          foreground process group
 *   <- {"exit": WAIT_STATUS}                when it ends (and the end)
 *
 * A connection closed before the process ends kills the process (the
 * runtime's waiter died, as a runc exec's process dies with its runc).
 * Input is untrusted in form: bad JSON, a line over 64 KiB or a wrong
 * descriptor count ends the connection with an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ns/loop.h"
#include "control.h"
#include "kernel/kernel.h"

int hostio_stdio(struct kernel *k, const int hostfd[3], struct fdtable **out, struct file **console);
void console_attach(struct thread_group *tg, struct file *f);
void hostio_name_console(struct kernel *k, struct fdtable *ft);
pid_t console_fg_pgrp_of(struct file *tty);

#define LINE_MAX_LEN 65536

struct ctl_conn {
	struct control *ctl;
	int fd;
	char *buf;
	size_t len;
	int hostfds[3];
	int nfds;
	enum { C_READING, C_QUEUED, C_RUNNING, C_CLOSING } state;
	pid_t pid;
	struct spawn_req req;
	struct file *tty;
	struct ctl_conn *next;
};

struct control {
	struct kernel *k;
	struct ns_loop *loop;
	int lfd;
	struct ctl_conn *conns;
};

static void reply(struct ctl_conn *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!s)
		return;
	size_t n = strlen(s);
	s[n] = '\n'; /* (json_dumps leaves room: overwrite the NUL, send n+1) */
	ssize_t w = send(c->fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w; /* a requester that went away is noticed at its EOF */
	free(s);
}

static void conn_free(struct ctl_conn *c)
{
	struct control *ctl = c->ctl;
	for (struct ctl_conn **p = &ctl->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	ns_loop_del_fd(ctl->loop, c->fd);
	close(c->fd);
	for (int i = 0; i < c->nfds; i++)
		if (c->hostfds[i] >= 0)
			close(c->hostfds[i]);
	if (c->req.files)
		fdtable_put(c->req.files);
	if (c->tty)
		file_put(c->tty);
	free_strings(c->req.argv);
	free_strings(c->req.envp);
	free((char *)c->req.cwd);
	free(c->buf);
	free(c);
}

/* The connection ends: a process still running dies with it. */
static void conn_close(struct ctl_conn *c)
{
	struct kernel *k = c->ctl->k;
	if (c->state == C_QUEUED)
		kernel_spawn_cancel(k, &c->req);
	if (c->state == C_RUNNING) {
		struct thread_group *tg = tg_lookup(k, c->pid);
		if (tg && tg->spawn == &c->req) {
			kernel_spawn_forget(tg);
			if (tg->state == TG_LIVE)
				tg_kill_all(tg, SIGKILL);
		}
	}
	conn_free(c);
}

static void fail(struct ctl_conn *c, int err, const char *what)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s%s%s", what ? what : "", what ? ": " : "", strerror(err));
	reply(c, json_pack("{s:s, s:i}", "error", msg, "errno", err));
	conn_close(c);
}

static void on_done(struct spawn_req *r, int pid, const char *what)
{
	struct ctl_conn *c = r->ctx;
	if (pid < 0) {
		c->state = C_CLOSING;
		fail(c, -pid, what);
		return;
	}
	c->pid = pid;
	c->state = C_RUNNING;
	klog(c->ctl->k, "control: started pid %d", pid);
	reply(c, json_pack("{s:i}", "pid", pid));
}

static void on_exited(struct spawn_req *r, int status)
{
	struct ctl_conn *c = r->ctx;
	reply(c, json_pack("{s:i}", "exit", status));
	c->state = C_CLOSING;
	conn_free(c);
}

static void on_tty(struct spawn_req *r, struct thread_group *tg)
{
	struct ctl_conn *c = r->ctx;
	if (c->tty) {
		hostio_name_console(tg->k, tg->leader->files);
		console_attach(tg, c->tty);
	}
}

static char **strings(json_t *a)
{
	if (!json_is_array(a))
		return NULL;
	size_t n = json_array_size(a);
	char **v = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; v && i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (!s || !(v[i] = strdup(s))) {
			free_strings(v);
			return NULL;
		}
	}
	return v;
}

static void do_exec(struct ctl_conn *c, json_t *m)
{
	struct kernel *k = c->ctl->k;
	struct spawn_req *r = &c->req;
	int terminal = json_is_true(json_object_get(m, "terminal"));
	json_t *uid = json_object_get(m, "uid"), *gid = json_object_get(m, "gid");
	const char *cwd = json_string_value(json_object_get(m, "cwd"));
	r->argv = strings(json_object_get(m, "args"));
	r->envp = strings(json_object_get(m, "env"));
	if (!r->argv || !r->argv[0] || !r->envp || !cwd || cwd[0] != '/' || !json_is_integer(uid) ||
	    !json_is_integer(gid) || json_integer_value(uid) < 0 || json_integer_value(gid) < 0 ||
	    json_integer_value(uid) > 0xfffffffe || json_integer_value(gid) > 0xfffffffe)
		return fail(c, EINVAL, "exec request: args, env, cwd (absolute), uid and gid are required");
	if (c->nfds != (terminal ? 1 : 3))
		return fail(c, EINVAL, "exec request: wrong number of descriptors");
	r->cwd = strdup(cwd);
	gid_t groups[32];
	int ngroups = 0;
	json_t *g = json_object_get(m, "groups");
	for (size_t i = 0; json_is_array(g) && i < json_array_size(g) && ngroups < 32; i++)
		if (json_is_integer(json_array_get(g, i)))
			groups[ngroups++] = (gid_t)json_integer_value(json_array_get(g, i));
	cred_init(&r->cred, (uid_t)json_integer_value(uid), (gid_t)json_integer_value(gid), groups, ngroups);
	int std[3];
	for (int i = 0; i < 3; i++)
		std[i] = c->hostfds[terminal ? 0 : i];
	struct file *console = NULL;
	int e = hostio_stdio(k, std, &r->files, &console);
	if (e)
		return fail(c, -e, "the process's stdio");
	/* hostio_stdio duplicated what it keeps */
	for (int i = 0; i < c->nfds; i++) {
		close(c->hostfds[i]);
		c->hostfds[i] = -1;
	}
	c->nfds = 0;
	if (terminal)
		c->tty = console;
	else if (console)
		file_put(console);
	r->done = on_done;
	r->exited = on_exited;
	r->tty = on_tty;
	r->ctx = c;
	c->state = C_QUEUED;
	e = kernel_spawn(k, r);
	if (e) {
		c->state = C_READING;
		return fail(c, -e, "the sandbox");
	}
}

static void do_signal(struct ctl_conn *c, json_t *m)
{
	struct kernel *k = c->ctl->k;
	json_t *sj = json_object_get(m, "sig");
	int sig = json_is_integer(sj) ? (int)json_integer_value(sj) : 0;
	if (c->state != C_RUNNING || sig < 1 || sig > 64)
		return;
	struct thread_group *tg = tg_lookup(k, c->pid);
	if (!tg || tg->spawn != &c->req || tg->state != TG_LIVE)
		return;
	siginfo_t info;
	siginfo_kernel(&info, sig, SI_USER);
	pid_t fg = json_is_true(json_object_get(m, "fg")) ? console_fg_pgrp_of(c->tty) : 0;
	if (fg > 0) {
		info.si_code = SI_KERNEL;
		kill_pgrp(k, fg, sig, &info);
	} else {
		send_signal_tg(tg, sig, &info);
	}
}

static void on_conn(int fd, uint32_t events, void *arg)
{
	struct ctl_conn *c = arg;
	for (;;) {
		if (c->len == LINE_MAX_LEN)
			return fail(c, EMSGSIZE, "control message");
		union {
			char b[CMSG_SPACE(3 * sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { c->buf + c->len, LINE_MAX_LEN - c->len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b) };
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			size_t nf = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nf; i++) {
				int hfd;
				memcpy(&hfd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (c->nfds < 3 && c->state == C_READING)
					c->hostfds[c->nfds++] = hfd;
				else
					close(hfd);
			}
		}
		if (n <= 0)
			return conn_close(c); /* EOF or error */
		c->len += (size_t)n;
		char *nl;
		while ((nl = memchr(c->buf, '\n', c->len))) {
			json_error_t je;
			json_t *m = json_loadb(c->buf, (size_t)(nl - c->buf), 0, &je);
			size_t used = (size_t)(nl - c->buf) + 1;
			memmove(c->buf, nl + 1, c->len - used);
			c->len -= used;
			const char *op = json_string_value(json_object_get(m, "op"));
			if (!op) {
				json_decref(m);
				return fail(c, EINVAL, "control message: not JSON with an op");
			}
			if (!strcmp(op, "exec") && c->state == C_READING) {
				do_exec(c, m);
				json_decref(m);
				return; /* c may be gone */
			}
			if (!strcmp(op, "signal"))
				do_signal(c, m);
			json_decref(m);
		}
	}
	(void)events;
}

static void on_accept(int fd, uint32_t events, void *arg)
{
	struct control *ctl = arg;
	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct ctl_conn *c = calloc(1, sizeof(*c));
		char *buf = malloc(LINE_MAX_LEN);
		if (!c || !buf || ns_loop_add_fd(ctl->loop, cfd, EPOLLIN, on_conn, c) < 0) {
			free(c);
			free(buf);
			close(cfd);
			continue;
		}
		c->ctl = ctl;
		c->fd = cfd;
		c->buf = buf;
		c->next = ctl->conns;
		ctl->conns = c;
	}
}

int control_start(struct kernel *k, struct ns_loop *loop, int lfd, struct control **out)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->k = k;
	ctl->loop = loop;
	ctl->lfd = lfd;
	int fl = fcntl(lfd, F_GETFL);
	fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
	int e = ns_loop_add_fd(loop, lfd, EPOLLIN, on_accept, ctl);
	if (e < 0) {
		free(ctl);
		return e;
	}
	*out = ctl;
	return 0;
}

void control_stop(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns) {
		struct ctl_conn *c = ctl->conns;
		if (c->state == C_QUEUED)
			kernel_spawn_cancel(ctl->k, &c->req);
		if (c->state == C_RUNNING) {
			struct thread_group *tg = tg_lookup(ctl->k, c->pid);
			if (tg && tg->spawn == &c->req)
				kernel_spawn_forget(tg);
		}
		conn_free(c);
	}
	ns_loop_del_fd(ctl->loop, ctl->lfd);
	close(ctl->lfd);
	free(ctl);
}
