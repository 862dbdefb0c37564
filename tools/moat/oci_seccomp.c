/*
 * linux.seccomp of config.json (Docker always sends its default profile)
 * compiled with libseccomp into a filter that every task of the sandbox
 * runs under, next to the platform's own (platform_config.app_filter).
 *
 * Why on the host and not in the sentry: seccomp runs every filter and
 * the strictest action wins (KILL > TRAP > ERRNO > TRACE > ALLOW), so a
 * call the profile denies fails in the host kernel with the profile's
 * errno before the sentry sees it, exactly as under runc, and a call it
 * allows still reaches the sentry (the platform's TRACE). Native calls
 * (memory, futex, clocks) are judged by the profile too.
 *
 * Mapping of actions: SCMP_ACT_ALLOW and SCMP_ACT_LOG allow; SCMP_ACT_ERRNO
 * with errnoRet (default EPERM); SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD
 * kill the thread, SCMP_ACT_KILL_PROCESS the process; SCMP_ACT_TRAP sends
 * SIGSYS; SCMP_ACT_TRACE fails with ENOSYS, which is what Linux does when
 * no tracer is attached (inside the sandbox there is none);
 * SCMP_ACT_NOTIFY is refused. Syscall names this libseccomp does not know
 * are skipped, as runc does. Only the x86-64 ABI reaches the sandbox (the
 * platform's filter kills the others), so "architectures" is checked for
 * sense and otherwise not needed.
 */
#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "oci.h"
#include "../../platform/platform.h"

static int action(json_t *a, json_t *errno_ret, uint32_t *out, const char *where, char *err, size_t len)
{
	const char *s = json_string_value(a);
	if (!s) {
		snprintf(err, len, "%s: expected an action name", where);
		return -1;
	}
	int en = errno_ret && json_is_integer(errno_ret) ? (int)json_integer_value(errno_ret) : EPERM;
	if (en < 0 || en > 4095) {
		snprintf(err, len, "%s: errnoRet %d is out of range", where, en);
		return -1;
	}
	if (!strcmp(s, "SCMP_ACT_ALLOW") || !strcmp(s, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(s, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO((uint32_t)en);
	else if (!strcmp(s, "SCMP_ACT_KILL") || !strcmp(s, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(s, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(s, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(s, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_ERRNO(ENOSYS);
	else {
		snprintf(err, len, "%s: action '%s' is not supported", where, s);
		return -1;
	}
	return 0;
}

static int op(const char *s, enum scmp_compare *out)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = { { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		    { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		    { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
	for (size_t i = 0; s && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(s, ops[i].name)) {
			*out = ops[i].op;
			return 0;
		}
	return -1;
}

int oci_seccomp_build(json_t *sc, struct sock_fprog *prog, char *err, size_t len)
{
	uint32_t def;
	if (!json_is_object(sc)) {
		snprintf(err, len, "linux.seccomp: expected an object");
		return -1;
	}
	if (json_object_get(sc, "listenerPath")) {
		snprintf(err, len, "linux.seccomp.listenerPath: seccomp notification is not supported");
		return -1;
	}
	if (action(json_object_get(sc, "defaultAction"), json_object_get(sc, "defaultErrnoRet"), &def,
		   "linux.seccomp.defaultAction", err, len))
		return -1;
	json_t *arches = json_object_get(sc, "architectures");
	if (arches && !json_is_array(arches)) {
		snprintf(err, len, "linux.seccomp.architectures: expected an array");
		return -1;
	}
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx) {
		snprintf(err, len, "linux.seccomp: libseccomp could not start a filter");
		return -1;
	}
	/* the platform's filter deals with other ABIs; here they pass */
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	json_t *calls = json_object_get(sc, "syscalls");
	if (calls && !json_is_array(calls)) {
		snprintf(err, len, "linux.seccomp.syscalls: expected an array");
		goto bad;
	}
	for (size_t i = 0; i < json_array_size(calls); i++) {
		json_t *c = json_array_get(calls, i);
		char w[64];
		snprintf(w, sizeof(w), "linux.seccomp.syscalls[%zu]", i);
		json_t *names = json_object_get(c, "names");
		if (!json_is_object(c) || !json_is_array(names)) {
			snprintf(err, len, "%s: expected an object with names", w);
			goto bad;
		}
		uint32_t act;
		char wa[80];
		snprintf(wa, sizeof(wa), "%s.action", w);
		if (action(json_object_get(c, "action"), json_object_get(c, "errnoRet"), &act, wa, err, len))
			goto bad;
		struct scmp_arg_cmp cmp[6];
		unsigned ncmp = 0;
		json_t *args = json_object_get(c, "args");
		for (size_t k = 0; k < json_array_size(args); k++) {
			json_t *a = json_array_get(args, k);
			json_t *idx = json_object_get(a, "index");
			enum scmp_compare o;
			if (!json_is_integer(idx) || json_integer_value(idx) < 0 || json_integer_value(idx) > 5 ||
			    op(json_string_value(json_object_get(a, "op")), &o) || ncmp == 6) {
				snprintf(err, len, "%s.args[%zu]: expected index 0-5, an SCMP_CMP_ op and a value", w, k);
				goto bad;
			}
			cmp[ncmp++] = (struct scmp_arg_cmp){
				.arg = (unsigned)json_integer_value(idx),
				.op = o,
				.datum_a = (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
				.datum_b = (scmp_datum_t)json_integer_value(json_object_get(a, "valueTwo")),
			};
		}
		if (act == def)
			continue; /* libseccomp refuses a rule that repeats the default */
		for (size_t k = 0; k < json_array_size(names); k++) {
			const char *name = json_string_value(json_array_get(names, k));
			if (!name) {
				snprintf(err, len, "%s.names[%zu]: expected a string", w, k);
				goto bad;
			}
			int nr = seccomp_syscall_resolve_name(name);
			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown here: skipped, as runc */
			int r = seccomp_rule_add_array(ctx, act, nr, ncmp, ncmp ? cmp : NULL);
			if (r < 0 && r != -EEXIST) {
				snprintf(err, len, "%s: rule for %s: %s", w, name, strerror(-r));
				goto bad;
			}
		}
	}
	int r = platform_filter_export(ctx, prog);
	if (r < 0) {
		snprintf(err, len, "linux.seccomp: compiling the filter: %s", strerror(-r));
		return -1;
	}
	return 0;
bad:
	seccomp_release(ctx);
	return -1;
}
