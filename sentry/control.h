/* The sandbox's control socket (control.c): processes started from
 * outside (moat exec). */
#ifndef SENTRY_CONTROL_H
#define SENTRY_CONTROL_H

struct kernel;
struct ns_loop;
struct control;

/* Serves the listening AF_UNIX socket lfd (taken). 0 or -errno. */
int control_start(struct kernel *k, struct ns_loop *loop, int lfd, struct control **out);
/* Closes every connection (their processes are left to the sandbox's end). */
void control_stop(struct control *ctl);

#endif
