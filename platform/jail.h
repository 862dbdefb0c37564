/*
 * Confinement steps shared by the processes of a sandbox that confine
 * themselves (jail.c): the gofer (gofer/gofer.c) and the sentry
 * (sentry/confine.c).
 */
#ifndef PLATFORM_JAIL_H
#define PLATFORM_JAIL_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* The root becomes an empty read-only tmpfs named `name` (in the caller's
 * mount namespace, which must be its own and private): mounted over
 * /proc, pivot_root'ed into, the old root detached. 0 or -errno. */
int jail_empty_root(const char *name);

/* Every capability not in `keep` (a bit mask of CAP_*) leaves the
 * bounding, permitted, effective and inheritable sets; ambient ones are
 * cleared. 0 or -errno. */
int jail_keep_caps(uint64_t keep);

/* A host syscall allow-list, one entry with its reason. */
struct jail_allow {
	int nr;
	const char *why;
};

/* A seccomp filter that allows the table and traps everything else, for
 * the caller to add rules with arguments to. NULL on failure. */
scmp_filter_ctx jail_filter(const struct jail_allow *t, size_t n);

/* Installs the SIGSYS reporter and loads f (released either way). A
 * refused call then writes "moat: WHO made host syscall N (NAME), which
 * its seccomp allow-list refuses" to stderr and to log_fd (if >= 0) and
 * the process dies of SIGSYS. name_of may be NULL. 0 or -errno. */
int jail_filter_load(scmp_filter_ctx f, const char *who, int log_fd, const char *(*name_of)(long nr));

#endif
