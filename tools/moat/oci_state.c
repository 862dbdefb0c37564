/*
 * A container's record under --root (oci.h): <root>/<id>/state.json,
 * written atomically (a temporary file, fsync, rename), so a crash of moat
 * leaves the old record or the new one, never half of one; exec.fifo while
 * the container is created and not started. The status is not stored: it
 * is read off the world (is the sentry alive, is the fifo there, is the
 * cgroup frozen), as runc does, so it is right after any crash.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"


int oci_id_valid(const char *id, char *err, size_t errlen)
{
	size_t n = strlen(id);
	if (!n || n > 255) {
		snprintf(err, errlen, "container id: must be 1 to 255 characters");
		return -1;
	}
	if (!strcmp(id, ".") || !strcmp(id, "..")) {
		snprintf(err, errlen, "container id '%s': not allowed", id);
		return -1;
	}
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_+.-", *p)) {
			snprintf(err, errlen, "container id '%s': only letters, digits and _+.- are allowed", id);
			return -1;
		}
	return 0;
}

int oci_write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? -errno : -EIO;
			close(fd);
			unlink(tmp);
			return e;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	if (rename(tmp, path) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

unsigned long long oci_pid_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields follow the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	char state = 0;
	unsigned long long start = 0;
	int field = 2;
	for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
		field++;
		if (field == 3)
			state = tok[0];
		if (field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	}
	if (state == 'Z' || state == 'X')
		return 0; /* exited, not yet reaped: as good as gone */
	return start;
}

int oci_pid_alive(pid_t pid, unsigned long long start)
{
	if (pid <= 0)
		return 0;
	unsigned long long now = oci_pid_start(pid);
	return now && now == start;
}

static char *state_dir(const char *id)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s/%s", oci_g.root, id);
	return buf;
}

int oci_state_load(const char *id, struct oci_state *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", id);
	snprintf(st->dir, sizeof(st->dir), "%s", state_dir(id));
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/state.json", st->dir);
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	if (!doc) {
		struct stat sb;
		if (stat(st->dir, &sb) < 0)
			return -ENOENT;
		/* The directory without a record: a create that died before it
		 * wrote one. Known, so delete can clean it up. */
		st->pid = 0;
		return 0;
	}
	json_t *v;
	st->pid = (pid_t)json_integer_value(json_object_get(doc, "pid"));
	st->pid_start = (unsigned long long)json_integer_value(json_object_get(doc, "pid_start"));
	if ((v = json_object_get(doc, "bundle")))
		snprintf(st->bundle, sizeof(st->bundle), "%s", json_string_value(v) ? json_string_value(v) : "");
	if ((v = json_object_get(doc, "rootfs")))
		snprintf(st->rootfs, sizeof(st->rootfs), "%s", json_string_value(v) ? json_string_value(v) : "");
	if ((v = json_object_get(doc, "created")))
		snprintf(st->created, sizeof(st->created), "%s", json_string_value(v) ? json_string_value(v) : "");
	st->paused = json_is_true(json_object_get(doc, "paused"));
	st->config = json_incref(json_object_get(doc, "config"));
	st->cgroups = json_incref(json_object_get(doc, "cgroups"));
	json_decref(doc);
	return 0;
}

int oci_state_save(const struct oci_state *st)
{
	json_t *doc = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:b}", "ociVersion", OCI_VERSION, "id", st->id,
				"pid", (int)st->pid, "pid_start", (json_int_t)st->pid_start, "bundle", st->bundle,
				"rootfs", st->rootfs, "created", st->created, "paused", st->paused);
	if (!doc)
		return -ENOMEM;
	if (st->config)
		json_object_set(doc, "config", st->config);
	if (st->cgroups)
		json_object_set(doc, "cgroups", st->cgroups);
	char *s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!s)
		return -ENOMEM;
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/state.json", st->dir);
	int r = oci_write_file(path, s, strlen(s), 0600);
	free(s);
	return r;
}

void oci_state_free(struct oci_state *st)
{
	json_decref(st->config);
	json_decref(st->cgroups);
	st->config = st->cgroups = NULL;
}

const char *oci_status(const struct oci_state *st)
{
	if (!st->pid)
		return "creating";
	if (!oci_pid_alive(st->pid, st->pid_start))
		return "stopped";
	char fifo[PATH_MAX + 64];
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st->dir);
	if (access(fifo, F_OK) == 0)
		return "created";
	if (st->cgroups && oci_cgroup_frozen(st->cgroups) > 0)
		return "paused";
	return "running";
}

json_t *oci_state_json(const struct oci_state *st, const char *status)
{
	json_t *ann = st->config ? json_object_get(st->config, "annotations") : NULL;
	json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", OCI_VERSION, "id", st->id, "status",
				status, "pid", strcmp(status, "stopped") ? (int)st->pid : 0, "bundle", st->bundle);
	if (!doc)
		return NULL;
	json_object_set_new(doc, "annotations", ann ? json_deep_copy(ann) : json_object());
	return doc;
}

/* Runs one hook with the state on its stdin; waits at most its timeout. */
static int run_hook(const struct oci_hook *h, const char *kind, int idx, const char *state)
{
	int in[2], err[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		oci_error("%s hook %s: fork: %s", kind, h->path, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(err[1], 2);
		if (open("/dev/null", O_WRONLY) != 1)
			dup2(2, 1);
		char *def_args[] = { h->path, NULL };
		char *no_env[] = { NULL };
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execve(h->path, h->args && h->args[0] ? h->args : def_args, h->env ? h->env : no_env);
		dprintf(2, "exec: %s", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(err[1]);
	size_t len = strlen(state);
	if (write(in[1], state, len) != (ssize_t)len) {
		/* the hook need not read it (EPIPE) */
	}
	close(in[1]);
	char msg[1024];
	size_t mlen = 0;
	int timeout_ms = h->timeout ? h->timeout * 1000 : -1;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int timed_out = 0;
	for (;;) {
		int left = -1;
		if (timeout_ms >= 0) {
			struct timespec t1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			long el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			left = el >= timeout_ms ? 0 : timeout_ms - (int)el;
		}
		struct pollfd p = { err[0], POLLIN, 0 };
		int n = poll(&p, 1, left);
		if (n == 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		char buf[512];
		ssize_t r = read(err[0], buf, sizeof(buf));
		if (r <= 0)
			break;
		size_t take = (size_t)r < sizeof(msg) - 1 - mlen ? (size_t)r : sizeof(msg) - 1 - mlen;
		memcpy(msg + mlen, buf, take);
		mlen += take;
	}
	close(err[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	msg[mlen] = 0;
	while (mlen && (msg[mlen - 1] == '\n' || msg[mlen - 1] == ' '))
		msg[--mlen] = 0;
	if (timed_out) {
		oci_error("%s hook #%d (%s): did not finish within its timeout of %d s", kind, idx, h->path, h->timeout);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char how[64];
		if (WIFEXITED(status))
			snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
		else
			snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
		oci_error("%s hook #%d (%s): %s%s%s", kind, idx, h->path, how, mlen ? ": " : "", msg);
		return -1;
	}
	return 0;
}

int oci_run_hooks(const struct oci_hook *hooks, int n, const char *kind, const struct oci_state *st,
		  const char *status)
{
	if (!n)
		return 0;
	json_t *doc = oci_state_json(st, status);
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!s)
		return -1;
	for (int i = 0; i < n; i++) {
		oci_debug("running %s hook %s", kind, hooks[i].path);
		if (run_hook(&hooks[i], kind, i, s) < 0) {
			free(s);
			return -1;
		}
	}
	free(s);
	return 0;
}

/* The sentry and everything below it in the host's process tree. */
int oci_pids(pid_t root, pid_t **out)
{
	size_t cap = 64, n = 0;
	pid_t *v = malloc(cap * sizeof(pid_t));
	struct {
		pid_t pid, ppid;
	} *all = NULL;
	size_t nall = 0, capall = 0;
	if (!v)
		return -ENOMEM;
	DIR *d = opendir("/proc");
	if (!d) {
		free(v);
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = 0;
		char *p = strrchr(buf, ')');
		char state;
		int ppid;
		if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
			continue;
		if (nall == capall) {
			capall = capall ? capall * 2 : 256;
			void *na = realloc(all, capall * sizeof(*all));
			if (!na)
				break;
			all = na;
		}
		all[nall].pid = atoi(de->d_name);
		all[nall].ppid = ppid;
		nall++;
	}
	closedir(d);
	v[n++] = root;
	for (size_t i = 0; i < n; i++) /* breadth-first over the list as it grows */
		for (size_t j = 0; j < nall; j++)
			if (all[j].ppid == v[i]) {
				if (n == cap) {
					cap *= 2;
					pid_t *nv = realloc(v, cap * sizeof(pid_t));
					if (!nv)
						goto done;
					v = nv;
				}
				v[n++] = all[j].pid;
			}
done:
	free(all);
	*out = v;
	return (int)n;
}
