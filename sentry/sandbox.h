/*
 * The sandbox as the CLI sees it: build one from a config, run it to the
 * end, get the program's wait status. `moat do` is a thin layer on this;
 * the OCI runtime will be another.
 */
#ifndef SENTRY_SANDBOX_H
#define SENTRY_SANDBOX_H

#include <stdio.h>

struct sandbox_mount {
	const char *src; /* host directory */
	const char *dst; /* path in the sandbox */
	int ro;
};

struct sandbox_config {
	const char *root;      /* host directory for the overlay's lower layer ("/") */
	struct sandbox_mount *mounts;
	int nmounts;
	const char *cwd;       /* in the sandbox; NULL: the caller's if it exists, else "/" */
	char **argv;	       /* argv[0] is the program (looked up in PATH if no '/') */
	char **envp;
	const char *platform;  /* "ptrace" */
	int strace;	       /* log syscalls to stderr (or the debug log) */
	FILE *debug_log;       /* NULL: none */
	int pids_limit;	       /* 0: default */
	const char *hostname;  /* NULL: "moat" */
};

/* Run the sandbox until its first process exits. Returns 0 and sets
 * *wait_status (as from wait4), or a negative errno (setup failed; a
 * message was printed). */
int sandbox_run(const struct sandbox_config *cfg, int *wait_status);

#endif
