/*
 * The sentry's confinement after start (confine.c).
 */
#ifndef SENTRY_CONFINE_H
#define SENTRY_CONFINE_H

#include <stdio.h>

struct confine_opts {
	int host_net; /* --network host: inet sockets stay allowed */
	int log_fd;   /* the debug log (for the refused syscall's line), -1 */
	FILE *log;    /* the same as a stream, or NULL */
};

/* Empty root, no capabilities, no_new_privs, the seccomp allow-list.
 * 0 or -errno (printed). Irreversible. */
int sentry_confine(const struct confine_opts *o);

#ifdef MOAT_TEST_COMPROMISE
void sentry_test_compromise(void);
#endif

#endif
