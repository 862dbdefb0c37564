/*
 * The container's cgroup (linux.cgroupsPath, linux.resources): the sentry
 * and every task of the sandbox (host processes, children of the sentry)
 * live in it, so the host kernel enforces memory, pids and CPU limits on
 * the whole sandbox, the freezer pauses it, and containerd's shim reads
 * `docker stats` from it as it does for runc.
 *
 * Both hierarchies: cgroup v1 (one directory per controller under
 * /sys/fs/cgroup/CONTROLLER) and v2 (/sys/fs/cgroup with
 * cgroup.controllers). The paths made are recorded in the state as
 * {"controller": "/sys/fs/cgroup/.../path"} ("unified" for v2), so later
 * commands need not work them out again.
 *
 * Path forms: cgroupfs "/a/b" (relative ones are taken from the root),
 * systemd "slice:prefix:name" (made as /slice/prefix-name.scope, without
 * asking systemd: --systemd-cgroup selects the form, not a systemd call),
 * none: /moat/ID.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "moat.h"
#include "oci.h"

#define CG_ROOT "/sys/fs/cgroup"

static const char *const v1_controllers[] = { "memory", "pids", "cpu", "cpuacct", "cpuset", "freezer", "blkio" };

static int is_v2(void)
{
	return access(CG_ROOT "/cgroup.controllers", F_OK) == 0;
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return moat_write_str(path, val);
}

static int read_str(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static long long read_ll(const char *dir, const char *file)
{
	char b[64];
	if (read_str(dir, file, b, sizeof(b)) < 0)
		return -1;
	if (!strcmp(b, "max"))
		return -1;
	return strtoll(b, NULL, 10);
}

/* "slice:prefix:name" -> "/slice/prefix-name.scope"; "" -> "/moat/ID". */
static void cg_rel(const char *path, const char *id, char *out, size_t len)
{
	const char *c1 = strchr(path, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!path[0])
		snprintf(out, len, "/moat/%s", id);
	else if (c1 && c2 && path[0] != '/')
		snprintf(out, len, "/%.*s/%.*s-%s.scope", (int)(c1 - path), path, (int)(c2 - c1 - 1), c1 + 1, c2 + 1);
	else
		snprintf(out, len, "%s%s", path[0] == '/' ? "" : "/", path);
}

/* mkdir -p below base; for cpuset (v1), each new level gets its parent's
 * cpus and mems (an empty cpuset takes no task). */
static int mkdirs(const char *base, const char *rel, int cpuset, char *out, size_t len)
{
	char cur[PATH_MAX];
	snprintf(cur, sizeof(cur), "%s", base);
	char copy[PATH_MAX];
	snprintf(copy, sizeof(copy), "%s", rel);
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "..") || !strcmp(c, "."))
			return -EINVAL;
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", cur);
		size_t l = strlen(cur);
		snprintf(cur + l, sizeof(cur) - l, "/%s", c);
		if (mkdir(cur, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (cpuset) {
			char b[256];
			if (read_str(cur, "cpuset.cpus", b, sizeof(b)) == 0 && !b[0] &&
			    read_str(parent, "cpuset.cpus", b, sizeof(b)) == 0)
				write_str(cur, "cpuset.cpus", b);
			if (read_str(cur, "cpuset.mems", b, sizeof(b)) == 0 && !b[0] &&
			    read_str(parent, "cpuset.mems", b, sizeof(b)) == 0)
				write_str(cur, "cpuset.mems", b);
		}
	}
	snprintf(out, len, "%s", cur);
	return 0;
}

static int set_one(const char *dir, const char *file, const char *val)
{
	int e = write_str(dir, file, val);
	if (e)
		oci_error("cgroup %s/%s = %s: %s", dir, file, val, strerror(-e));
	return e;
}

static int apply_v1(json_t *paths, const struct oci_resources *r)
{
	const char *mem = json_string_value(json_object_get(paths, "memory"));
	const char *pids = json_string_value(json_object_get(paths, "pids"));
	const char *cpu = json_string_value(json_object_get(paths, "cpu"));
	const char *cpuset = json_string_value(json_object_get(paths, "cpuset"));
	char b[64];
	int e = 0;
	if (r->mem_limit != -1 || r->mem_swap != -1) {
		if (!mem)
			return oci_error("memory limit: no memory cgroup controller on this host"), -EOPNOTSUPP;
		if (r->mem_limit != -1) {
			/* With a swap limit below the new limit, the swap limit goes first. */
			snprintf(b, sizeof(b), "%lld", r->mem_limit);
			if (write_str(mem, "memory.limit_in_bytes", b) < 0) {
				char sw[64];
				snprintf(sw, sizeof(sw), "%lld", r->mem_swap > 0 ? r->mem_swap : r->mem_limit);
				write_str(mem, "memory.memsw.limit_in_bytes", sw);
				e |= set_one(mem, "memory.limit_in_bytes", b);
			}
		}
		char memsw[PATH_MAX];
		snprintf(memsw, sizeof(memsw), "%s/memory.memsw.limit_in_bytes", mem);
		if (r->mem_swap != -1 && r->mem_swap != 0 && access(memsw, F_OK) == 0) { /* swap accounted here */
			snprintf(b, sizeof(b), "%lld", r->mem_swap);
			e |= set_one(mem, "memory.memsw.limit_in_bytes", b);
		}
	}
	if (r->mem_reservation > 0 && mem) {
		snprintf(b, sizeof(b), "%lld", r->mem_reservation);
		e |= set_one(mem, "memory.soft_limit_in_bytes", b);
	}
	if (r->pids_limit != -1) {
		if (!pids)
			return oci_error("pids limit: no pids cgroup controller on this host"), -EOPNOTSUPP;
		if (r->pids_limit > 0)
			snprintf(b, sizeof(b), "%lld", r->pids_limit);
		else
			snprintf(b, sizeof(b), "max");
		e |= set_one(pids, "pids.max", b);
	}
	if (cpu) {
		if (r->cpu_period != -1) {
			snprintf(b, sizeof(b), "%lld", r->cpu_period);
			e |= set_one(cpu, "cpu.cfs_period_us", b);
		}
		if (r->cpu_quota != -1) {
			snprintf(b, sizeof(b), "%lld", r->cpu_quota);
			e |= set_one(cpu, "cpu.cfs_quota_us", b);
		}
		if (r->cpu_shares != -1) {
			snprintf(b, sizeof(b), "%lld", r->cpu_shares);
			e |= set_one(cpu, "cpu.shares", b);
		}
	} else if (r->cpu_period != -1 || r->cpu_quota != -1 || r->cpu_shares != -1) {
		return oci_error("cpu limits: no cpu cgroup controller on this host"), -EOPNOTSUPP;
	}
	if (cpuset && r->cpuset_cpus[0])
		e |= set_one(cpuset, "cpuset.cpus", r->cpuset_cpus);
	if (cpuset && r->cpuset_mems[0])
		e |= set_one(cpuset, "cpuset.mems", r->cpuset_mems);
	return e ? -EINVAL : 0;
}

static int apply_v2(const char *dir, const struct oci_resources *r)
{
	char b[128];
	int e = 0;
	if (r->mem_limit != -1) {
		snprintf(b, sizeof(b), "%lld", r->mem_limit);
		e |= set_one(dir, "memory.max", b);
	}
	if (r->mem_swap > 0 && r->mem_limit > 0 && r->mem_swap >= r->mem_limit) {
		snprintf(b, sizeof(b), "%lld", r->mem_swap - r->mem_limit);
		e |= set_one(dir, "memory.swap.max", b);
	}
	if (r->mem_reservation > 0) {
		snprintf(b, sizeof(b), "%lld", r->mem_reservation);
		e |= set_one(dir, "memory.low", b);
	}
	if (r->pids_limit != -1) {
		if (r->pids_limit > 0)
			snprintf(b, sizeof(b), "%lld", r->pids_limit);
		else
			snprintf(b, sizeof(b), "max");
		e |= set_one(dir, "pids.max", b);
	}
	if (r->cpu_quota != -1 || r->cpu_period != -1) {
		char q[32];
		if (r->cpu_quota > 0)
			snprintf(q, sizeof(q), "%lld", r->cpu_quota);
		else
			snprintf(q, sizeof(q), "max");
		snprintf(b, sizeof(b), "%s %lld", q, r->cpu_period > 0 ? r->cpu_period : 100000);
		e |= set_one(dir, "cpu.max", b);
	}
	if (r->cpu_shares != -1) {
		/* runc's conversion of shares (2..262144) to weight (1..10000) */
		long long s = r->cpu_shares < 2 ? 2 : r->cpu_shares > 262144 ? 262144 : r->cpu_shares;
		snprintf(b, sizeof(b), "%lld", 1 + ((s - 2) * 9999) / 262142);
		e |= set_one(dir, "cpu.weight", b);
	}
	if (r->cpuset_cpus[0])
		e |= set_one(dir, "cpuset.cpus", r->cpuset_cpus);
	if (r->cpuset_mems[0])
		e |= set_one(dir, "cpuset.mems", r->cpuset_mems);
	return e ? -EINVAL : 0;
}

int oci_cgroup_join(const char *path, const char *id, pid_t pid, const struct oci_resources *res, json_t **out)
{
	char rel[PATH_MAX], dir[PATH_MAX], pidbuf[32];
	cg_rel(path, id, rel, sizeof(rel));
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	json_t *paths = json_object();
	int e;
	if (!paths)
		return -ENOMEM;
	*out = paths;
	if (is_v2()) {
		/* Enable the controllers on the way down (a failure leaves that
		 * controller off; the limit that needs it then fails below). */
		char cur[PATH_MAX] = CG_ROOT, copy[PATH_MAX];
		snprintf(copy, sizeof(copy), "%s", rel);
		for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
			write_str(cur, "cgroup.subtree_control", "+memory +pids +cpu +cpuset");
			size_t l = strlen(cur);
			snprintf(cur + l, sizeof(cur) - l, "/%s", c);
			if (mkdir(cur, 0755) < 0 && errno != EEXIST) {
				e = -errno;
				oci_error("cgroup %s: %s", cur, strerror(errno));
				return e;
			}
		}
		json_object_set_new(paths, "unified", json_string(cur));
		if ((e = apply_v2(cur, res)))
			return e;
		if ((e = write_str(cur, "cgroup.procs", pidbuf))) {
			oci_error("cgroup %s: joining: %s", cur, strerror(-e));
			return e;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(v1_controllers) / sizeof(v1_controllers[0]); i++) {
		char base[PATH_MAX];
		snprintf(base, sizeof(base), CG_ROOT "/%s", v1_controllers[i]);
		if (access(base, F_OK) < 0)
			continue; /* not mounted on this host */
		if ((e = mkdirs(base, rel, !strcmp(v1_controllers[i], "cpuset"), dir, sizeof(dir)))) {
			oci_error("cgroup %s%s: %s", base, rel, strerror(-e));
			return e;
		}
		json_object_set_new(paths, v1_controllers[i], json_string(dir));
	}
	if ((e = apply_v1(paths, res)))
		return e;
	const char *key;
	json_t *v;
	json_object_foreach(paths, key, v)
	{
		if ((e = write_str(json_string_value(v), "cgroup.procs", pidbuf))) {
			oci_error("cgroup %s: joining: %s", json_string_value(v), strerror(-e));
			return e;
		}
	}
	return 0;
}

int oci_cgroup_update(json_t *paths, const struct oci_resources *res)
{
	const char *u = json_string_value(json_object_get(paths, "unified"));
	return u ? apply_v2(u, res) : apply_v1(paths, res);
}

int oci_cgroup_frozen(json_t *paths)
{
	char b[256];
	const char *u = json_string_value(json_object_get(paths, "unified"));
	if (u) {
		if (read_str(u, "cgroup.events", b, sizeof(b)) < 0)
			return -1;
		return strstr(b, "frozen 1") != NULL;
	}
	const char *f = json_string_value(json_object_get(paths, "freezer"));
	if (!f || read_str(f, "freezer.state", b, sizeof(b)) < 0)
		return -1;
	return !strcmp(b, "FROZEN");
}

int oci_cgroup_freeze(json_t *paths, int freeze)
{
	const char *u = json_string_value(json_object_get(paths, "unified"));
	const char *f = json_string_value(json_object_get(paths, "freezer"));
	int e;
	if (u)
		e = write_str(u, "cgroup.freeze", freeze ? "1" : "0");
	else if (f)
		e = write_str(f, "freezer.state", freeze ? "FROZEN" : "THAWED");
	else
		return oci_error("no freezer cgroup on this host"), -EOPNOTSUPP;
	if (e)
		return oci_error("%s: %s", freeze ? "freezing" : "thawing", strerror(-e)), e;
	/* The freezer works asynchronously: wait until it says so (the
	 * kernel finishes in milliseconds; 10 s means something is stuck). */
	for (int i = 0; i < 10000; i++) {
		if (oci_cgroup_frozen(paths) == freeze)
			return 0;
		if (f && freeze && i % 100 == 99)
			write_str(f, "freezer.state", "FROZEN"); /* v1 may stop at FREEZING: ask again */
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	oci_error("the cgroup did not become %s within 10 s", freeze ? "frozen" : "thawed");
	return -ETIMEDOUT;
}

static json_t *kv_file(const char *dir, const char *file)
{
	json_t *o = json_object();
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return o;
	char k[128];
	unsigned long long v;
	while (fscanf(f, "%127s %llu", k, &v) == 2)
		json_object_set_new(o, k, json_integer((json_int_t)v));
	fclose(f);
	return o;
}

/* The stats document of `runc events --stats` (the parts Moat has). */
json_t *oci_cgroup_stats(json_t *paths)
{
	json_t *cpu = json_object(), *mem = json_object(), *pids = json_object();
	const char *u = json_string_value(json_object_get(paths, "unified"));
	if (u) {
		json_t *cs = kv_file(u, "cpu.stat");
		json_object_set_new(cpu, "usage",
				    json_pack("{s:I, s:I, s:I}", "total",
					      json_integer_value(json_object_get(cs, "usage_usec")) * 1000, "user",
					      json_integer_value(json_object_get(cs, "user_usec")) * 1000, "kernel",
					      json_integer_value(json_object_get(cs, "system_usec")) * 1000));
		json_decref(cs);
		json_object_set_new(mem, "usage",
				    json_pack("{s:I, s:I}", "usage", (json_int_t)read_ll(u, "memory.current"), "limit",
					      (json_int_t)read_ll(u, "memory.max")));
		json_object_set_new(mem, "raw", kv_file(u, "memory.stat"));
		json_object_set_new(pids, "current", json_integer(read_ll(u, "pids.current")));
		json_object_set_new(pids, "limit", json_integer(read_ll(u, "pids.max")));
	} else {
		const char *ca = json_string_value(json_object_get(paths, "cpuacct"));
		const char *m = json_string_value(json_object_get(paths, "memory"));
		const char *p = json_string_value(json_object_get(paths, "pids"));
		if (ca) {
			json_t *percpu = json_array();
			char b[4096];
			if (read_str(ca, "cpuacct.usage_percpu", b, sizeof(b)) == 0)
				for (char *save = NULL, *t = strtok_r(b, " ", &save); t; t = strtok_r(NULL, " ", &save))
					json_array_append_new(percpu, json_integer(strtoll(t, NULL, 10)));
			json_t *st = kv_file(ca, "cpuacct.stat");
			long hz = sysconf(_SC_CLK_TCK);
			json_int_t ns_per_tick = hz > 0 ? 1000000000 / hz : 10000000;
			json_object_set_new(cpu, "usage",
					    json_pack("{s:I, s:o, s:I, s:I}", "total",
						      (json_int_t)read_ll(ca, "cpuacct.usage"), "percpu", percpu, "user",
						      json_integer_value(json_object_get(st, "user")) * ns_per_tick,
						      "kernel",
						      json_integer_value(json_object_get(st, "system")) * ns_per_tick));
			json_decref(st);
		}
		if (m) {
			json_object_set_new(mem, "usage",
					    json_pack("{s:I, s:I, s:I, s:I}", "usage",
						      (json_int_t)read_ll(m, "memory.usage_in_bytes"), "max",
						      (json_int_t)read_ll(m, "memory.max_usage_in_bytes"), "limit",
						      (json_int_t)read_ll(m, "memory.limit_in_bytes"), "failcnt",
						      (json_int_t)read_ll(m, "memory.failcnt")));
			json_object_set_new(mem, "raw", kv_file(m, "memory.stat"));
		}
		if (p) {
			json_object_set_new(pids, "current", json_integer(read_ll(p, "pids.current")));
			json_object_set_new(pids, "limit", json_integer(read_ll(p, "pids.max")));
		}
	}
	return json_pack("{s:o, s:o, s:o}", "cpu", cpu, "memory", mem, "pids", pids);
}

void oci_cgroup_remove(json_t *paths)
{
	const char *key;
	json_t *v;
	json_object_foreach(paths, key, v)
	{
		const char *d = json_string_value(v);
		if (!d)
			continue;
		/* The last tasks may still be exiting: give them 5 s. */
		for (int i = 0; i < 500; i++) {
			if (rmdir(d) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY) {
				oci_error("removing cgroup %s: %s", d, strerror(errno));
				break;
			}
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
	}
}
