/*
 * config.json (OCI runtime-spec 1.0 and 1.1) parsed once into struct
 * oci_spec. Every field is checked for its type; an error names the field
 * ("process.args[2]: expected a string"). What Moat does with each field is
 * written next to it; fields that only concern a host-kernel container
 * (apparmor, selinux, devices, uid mappings) are accepted and have no
 * effect, because the sandbox's kernel is the sentry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

const char *const oci_hook_names[HOOK_KINDS] = { "prestart",	     "createRuntime", "createContainer",
						 "startContainer", "poststart",	    "poststop" };

struct perr {
	char *buf;
	size_t len;
};

static int fail(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct perr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Optional member of a given JSON type; -1 (with the error) if present with another type. */
static int member(struct perr *e, json_t *obj, const char *where, const char *key, json_type type, json_t **out)
{
	*out = json_object_get(obj, key);
	if (!*out || json_is_null(*out)) {
		*out = NULL;
		return 0;
	}
	static const char *const names[] = { "an object", "an array", "a string", "an integer", "a number",
					     "a boolean", "a boolean", "null" };
	int ok = json_typeof(*out) == type || (type == JSON_TRUE && json_is_boolean(*out)) ||
		 (type == JSON_REAL && json_is_number(*out));
	if (!ok)
		return fail(e, "%s%s%s: expected %s", where, *where ? "." : "", key, names[type]);
	return 0;
}

/* A NULL-terminated copy of an array of strings. */
static int strings(struct perr *e, json_t *arr, const char *where, char ***out)
{
	size_t n = json_array_size(arr);
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return fail(e, "%s: out of memory", where);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);
		if (!json_is_string(s)) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return fail(e, "%s[%zu]: expected a string", where, i);
		}
		v[i] = strdup(json_string_value(s));
	}
	*out = v;
	return 0;
}

static void strings_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static const char *const cap_names[] = {
	"CAP_CHOWN",	      "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",	 "CAP_FSETID",
	"CAP_KILL",	      "CAP_SETGID",	    "CAP_SETUID",	   "CAP_SETPCAP",	 "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",	   "CAP_NET_RAW",	 "CAP_IPC_LOCK",
	"CAP_IPC_OWNER",      "CAP_SYS_MODULE",	    "CAP_SYS_RAWIO",	   "CAP_SYS_CHROOT",	 "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",      "CAP_SYS_ADMIN",	    "CAP_SYS_BOOT",	   "CAP_SYS_NICE",	 "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",	      "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",	   "CAP_LEASE",		 "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",  "CAP_SETFCAP",	    "CAP_MAC_OVERRIDE",	   "CAP_MAC_ADMIN",	 "CAP_SYSLOG",
	"CAP_WAKE_ALARM",     "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",	   "CAP_PERFMON",	 "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

const char *oci_cap_name(int cap)
{
	return cap >= 0 && cap < (int)(sizeof(cap_names) / sizeof(cap_names[0])) ? cap_names[cap] : "?";
}

static int caps(struct perr *e, json_t *arr, const char *where, uint64_t *out)
{
	*out = 0;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *s = json_array_get(arr, i);
		if (!json_is_string(s))
			return fail(e, "%s[%zu]: expected a string", where, i);
		const char *name = json_string_value(s);
		size_t c;
		for (c = 0; c < sizeof(cap_names) / sizeof(cap_names[0]); c++)
			if (!strcasecmp(name, cap_names[c]) || !strcasecmp(name, cap_names[c] + 4))
				break;
		if (c == sizeof(cap_names) / sizeof(cap_names[0]))
			return fail(e, "%s[%zu]: unknown capability '%s'", where, i, name);
		*out |= 1ULL << c;
	}
	return 0;
}

static const struct {
	const char *name;
	int res;
} rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },	    { "RLIMIT_FSIZE", RLIMIT_FSIZE },	  { "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_STACK", RLIMIT_STACK },   { "RLIMIT_CORE", RLIMIT_CORE },	  { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_AS", RLIMIT_AS },	    { "RLIMIT_LOCKS", RLIMIT_LOCKS },	  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

/* A non-negative integer member that fits in max. */
static int uint_member(struct perr *e, json_t *obj, const char *where, const char *key, unsigned long long max,
		       int *present, unsigned long long *out)
{
	json_t *v;
	if (member(e, obj, where, key, JSON_INTEGER, &v))
		return -1;
	*present = v != NULL;
	if (!v)
		return 0;
	json_int_t x = json_integer_value(v);
	if (x < 0 || (unsigned long long)x > max)
		return fail(e, "%s.%s: %lld is out of range", where, key, (long long)x);
	*out = (unsigned long long)x;
	return 0;
}

int oci_process_parse(json_t *p, struct oci_process *o, char *err, size_t errlen)
{
	struct perr e = { err, errlen };
	memset(o, 0, sizeof(*o));
	json_t *v;
	if (!json_is_object(p))
		return fail(&e, "process: expected an object");
	if (member(&e, p, "process", "args", JSON_ARRAY, &v))
		goto bad;
	if (!v || !json_array_size(v)) {
		fail(&e, "process.args: must be a non-empty array (the program to run)");
		goto bad;
	}
	if (strings(&e, v, "process.args", &o->args))
		goto bad;
	if (!o->args[0][0]) {
		fail(&e, "process.args[0]: the program's name is empty");
		goto bad;
	}
	if (member(&e, p, "process", "env", JSON_ARRAY, &v))
		goto bad;
	if (v) {
		if (strings(&e, v, "process.env", &o->env))
			goto bad;
		for (int i = 0; o->env[i]; i++)
			if (!strchr(o->env[i], '=') || o->env[i][0] == '=') {
				fail(&e, "process.env[%d]: expected KEY=VALUE, got '%s'", i, o->env[i]);
				goto bad;
			}
	} else {
		o->env = calloc(1, sizeof(char *));
	}
	if (member(&e, p, "process", "cwd", JSON_STRING, &v))
		goto bad;
	if (!v) {
		fail(&e, "process.cwd: required");
		goto bad;
	}
	if (json_string_value(v)[0] != '/') {
		fail(&e, "process.cwd: must be an absolute path, got '%s'", json_string_value(v));
		goto bad;
	}
	o->cwd = strdup(json_string_value(v));
	if (member(&e, p, "process", "terminal", JSON_TRUE, &v))
		goto bad;
	o->terminal = v && json_is_true(v);
	if (member(&e, p, "process", "consoleSize", JSON_OBJECT, &v))
		goto bad;
	if (v) {
		unsigned long long h = 0, w = 0;
		int ph, pw;
		if (uint_member(&e, v, "process.consoleSize", "height", 65535, &ph, &h) ||
		    uint_member(&e, v, "process.consoleSize", "width", 65535, &pw, &w))
			goto bad;
		o->cons_rows = (unsigned)h;
		o->cons_cols = (unsigned)w;
	}
	if (member(&e, p, "process", "user", JSON_OBJECT, &v))
		goto bad;
	if (v) {
		unsigned long long x = 0;
		int present;
		if (uint_member(&e, v, "process.user", "uid", 0xfffffffe, &present, &x))
			goto bad;
		o->ident.uid = (uid_t)x;
		x = 0;
		if (uint_member(&e, v, "process.user", "gid", 0xfffffffe, &present, &x))
			goto bad;
		o->ident.gid = (gid_t)x;
		json_t *g;
		if (member(&e, v, "process.user", "additionalGids", JSON_ARRAY, &g))
			goto bad;
		for (size_t i = 0; g && i < json_array_size(g); i++) {
			json_t *gi = json_array_get(g, i);
			if (!json_is_integer(gi) || json_integer_value(gi) < 0 || json_integer_value(gi) > 0xfffffffe) {
				fail(&e, "process.user.additionalGids[%zu]: expected a group id", i);
				goto bad;
			}
			if (o->ident.ngroups == 32) {
				fail(&e, "process.user.additionalGids: at most 32 groups");
				goto bad;
			}
			o->ident.groups[o->ident.ngroups++] = (gid_t)json_integer_value(gi);
		}
		json_t *un;
		if (member(&e, v, "process.user", "username", JSON_STRING, &un))
			goto bad;
	}
	if (member(&e, p, "process", "capabilities", JSON_OBJECT, &v))
		goto bad;
	if (v) {
		static const char *const sets[] = { "effective", "permitted", "inheritable", "bounding", "ambient" };
		uint64_t *dst[] = { &o->ident.cap_effective, &o->ident.cap_permitted, &o->ident.cap_inheritable,
				    &o->ident.cap_bounding, &o->ident.cap_ambient };
		for (int i = 0; i < 5; i++) {
			json_t *a;
			char where[64];
			snprintf(where, sizeof(where), "process.capabilities.%s", sets[i]);
			if (member(&e, v, "process.capabilities", sets[i], JSON_ARRAY, &a))
				goto bad;
			if (a && caps(&e, a, where, dst[i]))
				goto bad;
		}
		o->ident.have_caps = 1;
	}
	if (member(&e, p, "process", "rlimits", JSON_ARRAY, &v))
		goto bad;
	for (size_t i = 0; v && i < json_array_size(v); i++) {
		json_t *r = json_array_get(v, i);
		char where[64];
		snprintf(where, sizeof(where), "process.rlimits[%zu]", i);
		json_t *t;
		if (!json_is_object(r)) {
			fail(&e, "%s: expected an object", where);
			goto bad;
		}
		if (member(&e, r, where, "type", JSON_STRING, &t))
			goto bad;
		if (!t) {
			fail(&e, "%s.type: required", where);
			goto bad;
		}
		size_t k;
		for (k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
			if (!strcmp(json_string_value(t), rlimit_names[k].name))
				break;
		if (k == sizeof(rlimit_names) / sizeof(rlimit_names[0])) {
			fail(&e, "%s.type: unknown resource '%s'", where, json_string_value(t));
			goto bad;
		}
		unsigned long long soft = 0, hard = 0;
		int ps, ph;
		if (uint_member(&e, r, where, "soft", ~0ULL, &ps, &soft) ||
		    uint_member(&e, r, where, "hard", ~0ULL, &ph, &hard))
			goto bad;
		if (!ps || !ph) {
			fail(&e, "%s: soft and hard are required", where);
			goto bad;
		}
		if (soft > hard) {
			fail(&e, "%s: soft limit %llu is above the hard limit %llu", where, soft, hard);
			goto bad;
		}
		if (o->nrlimits == 16) {
			fail(&e, "process.rlimits: at most 16 entries");
			goto bad;
		}
		o->rlimits[o->nrlimits++] = (struct sandbox_rlimit){ rlimit_names[k].res, soft, hard };
	}
	if (member(&e, p, "process", "noNewPrivileges", JSON_TRUE, &v))
		goto bad;
	o->ident.no_new_privs = v && json_is_true(v);
	if (member(&e, p, "process", "oomScoreAdj", JSON_INTEGER, &v))
		goto bad;
	if (v) {
		json_int_t x = json_integer_value(v);
		if (x < -1000 || x > 1000) {
			fail(&e, "process.oomScoreAdj: %lld is outside -1000..1000", (long long)x);
			goto bad;
		}
		o->have_oom = 1;
		o->oom_score_adj = (int)x;
	}
	return 0;
bad:
	oci_process_free(o);
	return -1;
}

void oci_process_free(struct oci_process *p)
{
	strings_free(p->args);
	strings_free(p->env);
	free(p->cwd);
	memset(p, 0, sizeof(*p));
}

void oci_resources_init(struct oci_resources *r)
{
	memset(r, 0, sizeof(*r));
	r->mem_limit = r->mem_reservation = r->mem_swap = -1;
	r->pids_limit = -1;
	r->cpu_quota = r->cpu_period = r->cpu_shares = -1;
}

static int int_member(struct perr *e, json_t *obj, const char *where, const char *key, long long *out)
{
	json_t *v;
	if (member(e, obj, where, key, JSON_INTEGER, &v))
		return -1;
	if (v)
		*out = (long long)json_integer_value(v);
	return 0;
}

int oci_resources_parse(json_t *r, const char *where, struct oci_resources *o, char *err, size_t errlen)
{
	struct perr e = { err, errlen };
	char w[128];
	json_t *v;
	if (!json_is_object(r))
		return fail(&e, "%s: expected an object", where);
	snprintf(w, sizeof(w), "%s.memory", where);
	if (member(&e, r, where, "memory", JSON_OBJECT, &v))
		return -1;
	if (v) {
		if (int_member(&e, v, w, "limit", &o->mem_limit) || int_member(&e, v, w, "reservation", &o->mem_reservation) ||
		    int_member(&e, v, w, "swap", &o->mem_swap))
			return -1;
		if (o->mem_limit == 0)
			o->mem_limit = -1; /* Docker sends 0 for "no limit" */
		if (o->mem_limit != -1 && o->mem_limit < 4096)
			return fail(&e, "%s.limit: %lld bytes is below the smallest limit (4096)", w, o->mem_limit);
	}
	snprintf(w, sizeof(w), "%s.pids", where);
	if (member(&e, r, where, "pids", JSON_OBJECT, &v))
		return -1;
	if (v && int_member(&e, v, w, "limit", &o->pids_limit))
		return -1;
	snprintf(w, sizeof(w), "%s.cpu", where);
	if (member(&e, r, where, "cpu", JSON_OBJECT, &v))
		return -1;
	if (v) {
		if (int_member(&e, v, w, "quota", &o->cpu_quota) || int_member(&e, v, w, "period", &o->cpu_period) ||
		    int_member(&e, v, w, "shares", &o->cpu_shares))
			return -1;
		if (o->cpu_shares == 0)
			o->cpu_shares = -1; /* Docker's "unset" */
		if (o->cpu_period == 0)
			o->cpu_period = -1;
		if (o->cpu_quota == 0)
			o->cpu_quota = -1;
		if (o->cpu_period != -1 && (o->cpu_period < 1000 || o->cpu_period > 1000000))
			return fail(&e, "%s.period: %lld is outside 1000..1000000 microseconds", w, o->cpu_period);
		if (o->cpu_quota != -1 && o->cpu_quota < 1000)
			return fail(&e, "%s.quota: %lld is below 1000 microseconds", w, o->cpu_quota);
		json_t *c;
		if (member(&e, v, w, "cpus", JSON_STRING, &c))
			return -1;
		if (c)
			snprintf(o->cpuset_cpus, sizeof(o->cpuset_cpus), "%s", json_string_value(c));
		if (member(&e, v, w, "mems", JSON_STRING, &c))
			return -1;
		if (c)
			snprintf(o->cpuset_mems, sizeof(o->cpuset_mems), "%s", json_string_value(c));
	}
	return 0;
}

/* linux.sysctl: net.* keys that have a meaning in the netstack become
 * stack settings; two that Docker always sends are accepted without an
 * effect (said why); anything else is refused, as runc refuses a sysctl
 * it cannot set in the container. */
static const struct {
	const char *key, *setting;
	int scale; /* value multiplier */
} sysctl_map[] = {
	{ "net.ipv4.tcp_congestion_control", "tcp.congestion", 0 },
	{ "net.ipv4.tcp_fin_timeout", "tcp.fin_timeout_ms", 1000 },
	{ "net.ipv4.tcp_ecn", "tcp.ecn", 1 },
	{ "net.ipv4.tcp_syncookies", "tcp.syncookies", 1 },
	{ "net.ipv4.tcp_sack", "tcp.sack", 1 },
	{ "net.ipv4.tcp_timestamps", "tcp.timestamps", 1 },
	{ "net.ipv4.tcp_window_scaling", "tcp.window_scaling", 1 },
	{ "net.core.rmem_max", "tcp.rmem_max", 1 },
	{ "net.core.wmem_max", "tcp.wmem_max", 1 },
	/* Without effect: every port may be bound by the sandbox's root and
	 * ping sockets are open to every user of the sandbox already. */
	{ "net.ipv4.ip_unprivileged_port_start", NULL, 0 },
	{ "net.ipv4.ping_group_range", NULL, 0 },
};

static int sysctls(struct perr *e, json_t *obj, struct oci_spec *s)
{
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val)
	{
		if (!json_is_string(val))
			return fail(e, "linux.sysctl.%s: expected a string", key);
		size_t i;
		for (i = 0; i < sizeof(sysctl_map) / sizeof(sysctl_map[0]); i++)
			if (!strcmp(key, sysctl_map[i].key))
				break;
		if (i == sizeof(sysctl_map) / sizeof(sysctl_map[0]))
			return fail(e, "linux.sysctl.%s: not supported by moat (the net.* keys it maps: see README)", key);
		if (!sysctl_map[i].setting)
			continue;
		const char *v = json_string_value(val);
		char buf[128];
		if (sysctl_map[i].scale) {
			char *end;
			long long x = strtoll(v, &end, 10);
			if (!*v || *end || x < 0 || x > 1000000000)
				return fail(e, "linux.sysctl.%s: expected a number, got '%s'", key, v);
			snprintf(buf, sizeof(buf), "%s=%lld", sysctl_map[i].setting, x * sysctl_map[i].scale);
		} else {
			snprintf(buf, sizeof(buf), "%s=%s", sysctl_map[i].setting, v);
		}
		if (s->nnet_sets == 15)
			return fail(e, "linux.sysctl: at most 15 net.* keys");
		s->net_sets[s->nnet_sets++] = strdup(buf);
	}
	return 0;
}

static int hooks(struct perr *e, json_t *obj, struct oci_spec *s)
{
	for (int k = 0; k < HOOK_KINDS; k++) {
		json_t *arr;
		char where[64];
		snprintf(where, sizeof(where), "hooks.%s", oci_hook_names[k]);
		if (member(e, obj, "hooks", oci_hook_names[k], JSON_ARRAY, &arr))
			return -1;
		size_t n = json_array_size(arr);
		if (!n)
			continue;
		s->hooks[k] = calloc(n, sizeof(struct oci_hook));
		if (!s->hooks[k])
			return fail(e, "%s: out of memory", where);
		for (size_t i = 0; i < n; i++) {
			json_t *h = json_array_get(arr, i), *v;
			char w[96];
			snprintf(w, sizeof(w), "%s[%zu]", where, i);
			if (!json_is_object(h))
				return fail(e, "%s: expected an object", w);
			struct oci_hook *hk = &s->hooks[k][s->nhooks[k]++];
			if (member(e, h, w, "path", JSON_STRING, &v))
				return -1;
			if (!v || json_string_value(v)[0] != '/')
				return fail(e, "%s.path: required, an absolute path", w);
			hk->path = strdup(json_string_value(v));
			char wa[128];
			snprintf(wa, sizeof(wa), "%s.args", w);
			if (member(e, h, w, "args", JSON_ARRAY, &v) || (v && strings(e, v, wa, &hk->args)))
				return -1;
			snprintf(wa, sizeof(wa), "%s.env", w);
			if (member(e, h, w, "env", JSON_ARRAY, &v) || (v && strings(e, v, wa, &hk->env)))
				return -1;
			if (member(e, h, w, "timeout", JSON_INTEGER, &v))
				return -1;
			if (v) {
				if (json_integer_value(v) <= 0 || json_integer_value(v) > 86400)
					return fail(e, "%s.timeout: must be from 1 to 86400 seconds", w);
				hk->timeout = (int)json_integer_value(v);
			}
		}
	}
	return 0;
}

static int has_option(json_t *opts, const char *o)
{
	for (size_t i = 0; i < json_array_size(opts); i++)
		if (json_is_string(json_array_get(opts, i)) && !strcmp(json_string_value(json_array_get(opts, i)), o))
			return 1;
	return 0;
}

/* Filesystems the sentry serves itself at its own places: a mount of one
 * of these types is satisfied by the sentry's (the host's is never shown). */
static const char *const sentry_types[] = { "proc", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2" };

static int mounts(struct perr *e, json_t *arr, const char *bundle, struct oci_spec *s)
{
	size_t n = json_array_size(arr);
	s->mounts = calloc(n + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return fail(e, "mounts: out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(arr, i), *dst, *type, *src, *opts;
		char w[64];
		snprintf(w, sizeof(w), "mounts[%zu]", i);
		if (!json_is_object(m))
			return fail(e, "%s: expected an object", w);
		if (member(e, m, w, "destination", JSON_STRING, &dst) || member(e, m, w, "type", JSON_STRING, &type) ||
		    member(e, m, w, "source", JSON_STRING, &src) || member(e, m, w, "options", JSON_ARRAY, &opts))
			return -1;
		if (!dst)
			return fail(e, "%s.destination: required", w);
		const char *d = json_string_value(dst);
		if (d[0] != '/')
			return fail(e, "%s.destination: must be an absolute path, got '%s'", w, d);
		if (!strcmp(d, "/"))
			return fail(e, "%s.destination: cannot mount over / (root.path is the root)", w);
		if (strstr(d, "/../") || (strlen(d) >= 3 && !strcmp(d + strlen(d) - 3, "/..")))
			return fail(e, "%s.destination: '..' is not allowed, got '%s'", w, d);
		for (size_t k = 0; k < json_array_size(opts); k++)
			if (!json_is_string(json_array_get(opts, k)))
				return fail(e, "%s.options[%zu]: expected a string", w, k);
		const char *t = type ? json_string_value(type) : "";
		int bind = !strcmp(t, "bind") || has_option(opts, "bind") || has_option(opts, "rbind");
		struct sandbox_mount *sm = &s->mounts[s->nmounts];
		sm->ro = has_option(opts, "ro");
		sm->flags = (has_option(opts, "nosuid") ? MS_NOSUID : 0) | (has_option(opts, "nodev") ? MS_NODEV : 0) |
			    (has_option(opts, "noexec") ? MS_NOEXEC : 0);
		if (bind) {
			if (!src || !json_string_value(src)[0])
				return fail(e, "%s.source: required for a bind mount", w);
			const char *sv = json_string_value(src);
			char path[PATH_MAX];
			if (sv[0] == '/')
				snprintf(path, sizeof(path), "%s", sv);
			else
				snprintf(path, sizeof(path), "%s/%s", bundle, sv);
			struct stat st;
			if (stat(path, &st) < 0)
				return fail(e, "%s.source: %s: %s", w, path, strerror(errno));
			sm->type = SANDBOX_MOUNT_BIND;
			sm->src = strdup(path);
			sm->dst = strdup(d);
			s->nmounts++;
			continue;
		}
		if (!strcmp(t, "tmpfs")) {
			if (!strcmp(d, "/dev"))
				continue; /* the sentry's devfs */
			sm->type = SANDBOX_MOUNT_TMPFS;
			for (size_t k = 0; k < json_array_size(opts); k++) {
				const char *o = json_string_value(json_array_get(opts, k));
				if (!strncmp(o, "mode=", 5)) {
					char *end;
					unsigned long mode = strtoul(o + 5, &end, 8);
					if (!o[5] || *end || mode > 07777)
						return fail(e, "%s.options[%zu]: bad mode '%s'", w, k, o);
					sm->mode = (unsigned)mode;
				}
			}
			sm->dst = strdup(d); /* (counted only now: freed with the spec) */
			s->nmounts++;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof(sentry_types) / sizeof(sentry_types[0]); k++)
			if (!strcmp(t, sentry_types[k]))
				break;
		if (k < sizeof(sentry_types) / sizeof(sentry_types[0]))
			continue;
		return fail(e, "%s.type: '%s' is not supported (bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup)", w,
			    t);
	}
	return 0;
}

static const char *const ns_types[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };

static int linux_section(struct perr *e, json_t *l, struct oci_spec *s)
{
	json_t *v;
	if (member(e, l, "", "linux", JSON_OBJECT, &l))
		return -1;
	s->netns = OCI_NET_HOST;
	if (!l)
		return 0;
	if (member(e, l, "linux", "namespaces", JSON_ARRAY, &v))
		return -1;
	unsigned seen = 0;
	for (size_t i = 0; v && i < json_array_size(v); i++) {
		json_t *ns = json_array_get(v, i), *t, *p;
		char w[64];
		snprintf(w, sizeof(w), "linux.namespaces[%zu]", i);
		if (!json_is_object(ns))
			return fail(e, "%s: expected an object", w);
		if (member(e, ns, w, "type", JSON_STRING, &t) || member(e, ns, w, "path", JSON_STRING, &p))
			return -1;
		if (!t)
			return fail(e, "%s.type: required", w);
		size_t k;
		for (k = 0; k < sizeof(ns_types) / sizeof(ns_types[0]); k++)
			if (!strcmp(json_string_value(t), ns_types[k]))
				break;
		if (k == sizeof(ns_types) / sizeof(ns_types[0]))
			return fail(e, "%s.type: unknown namespace type '%s'", w, json_string_value(t));
		if (seen & (1u << k))
			return fail(e, "%s.type: namespace '%s' given twice", w, ns_types[k]);
		seen |= 1u << k;
		if (p && json_string_value(p)[0] != '/')
			return fail(e, "%s.path: must be an absolute path", w);
		if (k == 1) {
			if (p) {
				struct stat st;
				if (stat(json_string_value(p), &st) < 0)
					return fail(e, "%s.path: %s: %s", w, json_string_value(p), strerror(errno));
				s->netns = OCI_NET_PATH;
				snprintf(s->netns_path, sizeof(s->netns_path), "%s", json_string_value(p));
			} else {
				s->netns = OCI_NET_NEW;
			}
		}
		/* pid, mount, ipc, uts, user, cgroup: the sandbox has its own
		 * (the sentry's); joining another container's is not supported. */
		if (p && k != 1)
			return fail(e, "%s.path: joining an existing %s namespace is not supported", w, ns_types[k]);
	}
	if (member(e, l, "linux", "cgroupsPath", JSON_STRING, &v))
		return -1;
	if (v)
		snprintf(s->cgroups_path, sizeof(s->cgroups_path), "%s", json_string_value(v));
	if (member(e, l, "linux", "resources", JSON_OBJECT, &v))
		return -1;
	if (v && oci_resources_parse(v, "linux.resources", &s->res, e->buf, e->len))
		return -1;
	if (member(e, l, "linux", "sysctl", JSON_OBJECT, &v))
		return -1;
	if (v && sysctls(e, v, s))
		return -1;
	static const char *const lists[] = { "maskedPaths", "readonlyPaths", "uidMappings", "gidMappings", "devices" };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (member(e, l, "linux", lists[i], JSON_ARRAY, &v))
			return -1;
	if (member(e, l, "linux", "seccomp", JSON_OBJECT, &v))
		return -1;
	return 0;
}

int oci_spec_parse(json_t *doc, const char *bundle, struct oci_spec *s, char *err, size_t errlen)
{
	struct perr e = { err, errlen };
	memset(s, 0, sizeof(*s));
	oci_resources_init(&s->res);
	s->doc = json_incref(doc);
	json_t *v, *r;
	if (!json_is_object(doc)) {
		fail(&e, "config.json: expected a JSON object");
		goto bad;
	}
	if (member(&e, doc, "", "ociVersion", JSON_STRING, &v))
		goto bad;
	if (!v) {
		fail(&e, "ociVersion: required");
		goto bad;
	}
	if (strncmp(json_string_value(v), "1.", 2)) {
		fail(&e, "ociVersion: '%s' is not a 1.x version of the runtime spec", json_string_value(v));
		goto bad;
	}
	if (member(&e, doc, "", "root", JSON_OBJECT, &r))
		goto bad;
	if (!r) {
		fail(&e, "root: required");
		goto bad;
	}
	if (member(&e, r, "root", "path", JSON_STRING, &v))
		goto bad;
	if (!v || !json_string_value(v)[0]) {
		fail(&e, "root.path: required");
		goto bad;
	}
	const char *rp = json_string_value(v);
	if (rp[0] == '/')
		snprintf(s->root, sizeof(s->root), "%s", rp);
	else
		snprintf(s->root, sizeof(s->root), "%s/%s", bundle, rp);
	struct stat st;
	if (stat(s->root, &st) < 0) {
		fail(&e, "root.path: %s: %s", s->root, strerror(errno));
		goto bad;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail(&e, "root.path: %s is not a directory", s->root);
		goto bad;
	}
	if (member(&e, r, "root", "readonly", JSON_TRUE, &v))
		goto bad;
	s->root_ro = v && json_is_true(v);
	if (member(&e, doc, "", "process", JSON_OBJECT, &v))
		goto bad;
	if (!v) {
		fail(&e, "process: required (the container's program)");
		goto bad;
	}
	if (oci_process_parse(v, &s->proc, err, errlen))
		goto bad;
	if (member(&e, doc, "", "hostname", JSON_STRING, &v))
		goto bad;
	if (v) {
		if (strlen(json_string_value(v)) > 64) {
			fail(&e, "hostname: at most 64 characters");
			goto bad;
		}
		snprintf(s->hostname, sizeof(s->hostname), "%s", json_string_value(v));
	}
	if (member(&e, doc, "", "mounts", JSON_ARRAY, &v))
		goto bad;
	if (v && mounts(&e, v, bundle, s))
		goto bad;
	if (member(&e, doc, "", "hooks", JSON_OBJECT, &v))
		goto bad;
	if (v && hooks(&e, v, s))
		goto bad;
	if (member(&e, doc, "", "annotations", JSON_OBJECT, &v))
		goto bad;
	if (v) {
		const char *k;
		json_t *a;
		json_object_foreach(v, k, a)
		{
			if (!json_is_string(a)) {
				fail(&e, "annotations.%s: expected a string", k);
				goto bad;
			}
		}
	}
	if (linux_section(&e, doc, s))
		goto bad;
	return 0;
bad:
	oci_spec_free(s);
	return -1;
}

int oci_spec_load(const char *bundle, struct oci_spec *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	struct stat st;
	if (stat(bundle, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "bundle %s: %s", bundle, errno ? strerror(errno) : "not a directory");
		return -1;
	}
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		if (access(path, R_OK) < 0)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s: not valid JSON: line %d column %d: %s", path, je.line, je.column,
				 je.text);
		return -1;
	}
	int r = oci_spec_parse(doc, bundle, s, err, errlen);
	json_decref(doc);
	return r;
}

void oci_spec_free(struct oci_spec *s)
{
	json_decref(s->doc);
	oci_process_free(&s->proc);
	for (int i = 0; i < s->nmounts; i++) {
		free((char *)s->mounts[i].src);
		free((char *)s->mounts[i].dst);
	}
	free(s->mounts);
	for (int k = 0; k < HOOK_KINDS; k++) {
		for (int i = 0; i < s->nhooks[k]; i++) {
			free(s->hooks[k][i].path);
			strings_free(s->hooks[k][i].args);
			strings_free(s->hooks[k][i].env);
		}
		free(s->hooks[k]);
	}
	for (int i = 0; i < s->nnet_sets; i++)
		free(s->net_sets[i]);
	memset(s, 0, sizeof(*s));
}
