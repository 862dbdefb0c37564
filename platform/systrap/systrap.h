/*
 * Inside the systrap platform: what systrap.c (tasks, mailboxes, stops)
 * and patch.c (patched syscall sites) share. Everything runs on the
 * sentry's one thread.
 */
#ifndef MOAT_PLATFORM_SYSTRAP_H
#define MOAT_PLATFORM_SYSTRAP_H

#include <stdint.h>
#include <sys/user.h>

#include "../ptrace/core.h"
#include "../stub.h"

/* One per host address space. */
struct st_space {
	struct pt_platform *p;
	int refs;	/* its tasks, and a bell callback running */
	uint8_t *area;	/* the sentry's view of the mailboxes */
	int bell;	/* eventfd the handlers ring */
	uint64_t used[STUB_NSLOTS / 64];
	struct pt_task *tasks;
	struct st_sites *sites; /* its patched syscall sites (patch.c), or NULL */
};

/* systrap.c */
/* Attach to t with ptrace and stop it (it stays attached for its next
 * stops unless `brief`). */
int st_hold(struct pt_task *t, int brief);
/* Let go of a task held by st_hold while it ran (not at a stop). */
int st_unhold(struct pt_task *t);
/* t runs untraced and has posted a stop in its mailbox. */
int st_posted(struct pt_task *t);
long st_inj(struct pt_task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	    uint64_t a5);

/* patch.c */
/* Patching is on for this platform (MOAT_SYSTRAP_PATCH, and a CPU and
 * kernel it works on). */
int st_patch_init(struct pt_platform *p);
/* A syscall stop of t from the signal path was answered with its return
 * where the trap left it: patch its site if it qualifies. t is in its
 * handler (or held there). */
void st_patch_answered(struct pt_task *t, long nr, uint64_t rip);
/* A fast stop's record: its syscall number, or -1 if rec is not one of
 * the space's records. */
long st_patch_record(struct st_space *sp, uint64_t rec);
/* r is about to be resumed: a restart points into a patched site (the
 * syscall's old place); point it at the site's start. */
void st_patch_fix_rip(struct pt_task *t, struct user_regs_struct *r);
/* The application makes [addr, addr+len) writable: put back the original
 * code of the sites there. */
void st_patch_writable(struct pt_task *t, uint64_t addr, uint64_t len);
/* A thread of the space sets its own %gs: the fast path is off for it and
 * every process that shares its patch area. */
void st_patch_gs_taken(struct st_space *sp);
/* The hardware %gs base for t: its slot when the fast path can use it. */
uint64_t st_patch_gs(struct pt_task *t, int traced);
struct st_sites *st_sites_fork(struct st_sites *s);
void st_sites_put(struct st_sites *s);
/* Counters for the debug log. */
struct st_patch_stats {
	uint64_t patched, refused, fast, redirected, slow_traps;
	uint64_t pins, probes; /* co-location (systrap.c) */
	uint64_t spaces;       /* address spaces given mailboxes */
	uint64_t framed, native_exits; /* threads started by a frame, ended in the stub */
};
extern struct st_patch_stats st_stats;

#endif
