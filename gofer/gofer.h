/*
 * The gofer (README.md): the process that owns the sandbox's root file
 * system and bind mounts and serves them to the sentry (proto.h).
 */
#ifndef GOFER_GOFER_H
#define GOFER_GOFER_H

#include <stddef.h>
#include <sys/types.h>

struct gofer_server;

/* One tree the gofer serves: a host directory, or a file. */
struct gofer_export_spec {
	const char *path; /* followed if a symlink, as mount(2) does */
	int readonly;
};

/* Sends one reply packet (and fd, if >= 0, by SCM_RIGHTS). 0 or -errno. */
typedef int (*gofer_send_fn)(void *ctx, const void *buf, size_t len, int fd);

/* The protocol alone, over any transport (the gofer process, the fuzz
 * harness). Exports that cannot be opened are kept with their error. */
int gofer_server_create(const struct gofer_export_spec *ex, int n, gofer_send_fn send, void *ctx,
			struct gofer_server **out);
/* One request packet of len bytes: sends its reply (none for CLUNK). */
void gofer_server_handle(struct gofer_server *g, const void *msg, size_t len);
void gofer_server_destroy(struct gofer_server *g);

/* Starts the gofer process for these exports: *sock is the sentry's end
 * of its socketpair, *pid the process (a child of the caller; it exits
 * when the socket closes or its parent dies). The caller still has to
 * say HELLO (goferfs_connect). 0 or -errno. */
int gofer_start(const struct gofer_export_spec *ex, int n, pid_t *pid, int *sock);

/* The gofer's host syscall allow-list (seccomp.c), installed last. */
int gofer_seccomp_install(int sock);

#endif
