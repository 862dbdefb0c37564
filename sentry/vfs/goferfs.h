/*
 * The gofer client (goferfs.c): the sandbox's file backends served by the
 * gofer process (gofer/).
 */
#ifndef SENTRY_GOFERFS_H
#define SENTRY_GOFERFS_H

struct fs_backend;
struct gofer_conn;

/* Says HELLO on sock (taken, closed on failure): 0 or -errno (-EIO if
 * the gofer failed to start; it said why on stderr). */
int gofer_connect(int sock, struct gofer_conn **out);
void gofer_conn_put(struct gofer_conn *c);
/* Export number `export` as a backend (holds a reference on c): 0 or
 * the -errno with which the gofer could not open it. */
int goferfs_backend_create(struct gofer_conn *c, int export, struct fs_backend **out);

#endif
