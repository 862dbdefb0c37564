/*
 * The host's /proc as the sentry reads it (hostproc.c): the only host
 * "paths" the sentry opens after it starts, all relative to one procfs
 * fd. Before the sentry is confined that fd is the host's /proc; after
 * (hostproc_restrict), a procfs instance of the sentry's own, mounted
 * nowhere, read-only, showing only processes the sentry may ptrace (its
 * own and its tasks) and nothing but their pid directories: no /proc/sys,
 * no other process's root, fds or memory. The host-wide files programs
 * read (cpuinfo, meminfo, stat, loadavg, uptime) are opened once before
 * that and re-read from offset 0.
 */
#ifndef PLATFORM_HOSTPROC_H
#define PLATFORM_HOSTPROC_H

#include <sys/types.h>

/* openat(procfs, rel, flags | O_CLOEXEC): an fd or -errno. rel names a
 * pid's file ("123/schedstat", "self/fd/4"). */
int hostproc_open(const char *rel, int flags);
ssize_t hostproc_readlink(const char *rel, char *buf, size_t len);
/* A host-wide file (one of cpuinfo, meminfo, stat, loadavg, uptime),
 * read whole into buf (NUL-terminated): its length or -errno. */
ssize_t hostproc_read_global(const char *name, char *buf, size_t len);
/* Switch to the restricted instance (needs CAP_SYS_ADMIN): 0 or -errno. */
int hostproc_restrict(void);
/* The procfs fd in use (for the sentry's seccomp filter), -1 if none. */
int hostproc_fd(void);

#endif
