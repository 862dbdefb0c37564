/*
 * The ptrace core, shared by the two platforms that drive host threads
 * with ptrace: ptrace (ptrace.c: every reported syscall is a ptrace stop)
 * and systrap (../systrap/systrap.c: reported syscalls reach the sentry
 * through a SIGSYS handler in the stub and a shared mailbox; ptrace is
 * attached only while the sentry injects syscalls or creates a task).
 *
 * Everything here runs on the sentry's one thread.
 */
#ifndef MOAT_PLATFORM_PTRACE_CORE_H
#define MOAT_PLATFORM_PTRACE_CORE_H

#include <sched.h>
#include <stdint.h>
#include <linux/filter.h>

#include "../platform.h"

#define NBUCKETS 1024
#define STASH_MAX 4096

enum pt_state {
	PTS_RUNNING,
	PTS_SECCOMP,	  /* seccomp stop: a syscall is pending */
	PTS_SYSCALL_EXIT, /* syscall-exit stop after an injection */
	PTS_EVENT,	  /* PTRACE_EVENT_STOP (interrupt, first stop) */
	PTS_SIGNAL,	  /* signal-delivery stop */
	PTS_MAILBOX,	  /* systrap: waiting in the stub's handler, not traced */
	PTS_GONE,
};

struct st_space;
struct st_sites;

struct pt_task {
	struct ptask base;
	enum pt_state state;
	struct user_regs_struct hregs; /* what the host thread holds now */
	int interrupt_pending;
	int pinned;	     /* on the sentry's CPU (else on all of moat's) */
	int schedstat_fd;    /* /proc/TID/schedstat, or -1 (pt_cputime) */
	uint64_t cpu_ns;     /* its CPU time at the last placement */
	unsigned stops;	     /* syscall stops since then */
	uint64_t run_avg_ns; /* average CPU time from resume to syscall stop */
	struct pt_task *hnext;
	/* systrap only */
	int held;			      /* ptrace-attached now */
	int sticky;			      /* stops to stay attached for */
	int sc_stop;			      /* the stop is a syscall's */
	int pending, pending_slot;	      /* its mailbox, made when let go */
	uint64_t start_fp;		      /* a new thread's FP state in its slot */
	uint64_t start_flags;		      /* and its frame's uc_flags (thread_frame) */
	unsigned answers;		      /* mailbox answers (systrap.c) */
	int in_handler;			      /* stopped in the stub's handler */
	struct user_regs_struct handler_regs; /* the handler's, while held */
	struct st_space *space;		      /* its address space's mailboxes */
	int slot;			      /* its mailbox in space */
	int pidfd;			      /* tells the loop the thread ended */
	int exit_status;		      /* sent to end itself: its wait status, else -1 */
	int mb_sig;			      /* the host signal of the stop */
	uint64_t mb_uc;			      /* its ucontext (task address) */
	struct pt_task *snext;		      /* in space's task list */
	/* systrap's patched sites (patch.c) */
	int in_fast;			   /* stopped in the fast path */
	struct user_regs_struct fast_regs; /* the fast stop's registers */
	uint64_t fast_result;		   /* the last fast answer */
	int fast_armed;			   /* ... which a resync may still need */
	long stop_nr;			   /* the trapped syscall of this stop, or -1 */
	uint64_t stop_rip;		   /* and where it returns */
	uint64_t app_gs;		   /* the application's %gs base (systrap keeps %gs) */
	struct st_sites *fork_sites;	   /* a fork child's, until its space is made */
	/* systrap's co-location (systrap.c, colocate_account) */
	uint64_t stop_ns;		   /* when its mailbox stop was taken */
	unsigned quick, cold;		   /* quick answers in this window; found asleep */
	unsigned probe_in, probe_gap;	   /* pinned windows until a probe; its length */
	int probing;			   /* let go to every CPU to see if polls work */
};

struct stash_ev {
	pid_t tid;
	int status;
	struct pt_task *gone; /* synthetic "vanished" event for this task */
};

struct pt_platform {
	struct platform base;
	struct ns_loop *loop;
	int sigfd;
	int chan[2]; /* [0] the sentry sends on, [1] tasks receive on */
	int chan_dirty;
	uint64_t chan_seq;
	int stubfd;
	struct sock_fprog filter;
	struct pt_task *hash[NBUCKETS];
	struct stash_ev stash[STASH_MAX];
	unsigned stash_head, stash_len;
	int placed;	  /* place_init has run */
	int pin;	  /* CPU placement on: the sentry is pinned to cpu */
	cpu_set_t one;	  /* {cpu} */
	cpu_set_t all;	  /* the CPUs moat was allowed at start */
	int systrap;	  /* this is the systrap platform */
	unsigned spin;	  /* systrap: the most the handler polls before sleeping */
	uint64_t spin_ns;	  /* systrap: the longest poll after an answer */
	uint64_t poll_ns;	  /* the poll now (adapts, systrap.c) */
	uint64_t poll_ended;	  /* when the last one found nothing */
	uint64_t hot_until;	  /* the current one's end */
	pid_t hot[8];		  /* tasks answered in it */
	int nhot;
	int st_coloc;	  /* systrap's co-location: 0 not looked at yet, 1 on, -1 off */
	int st_npinned;	  /* systrap: tasks pinned beside the sentry (which is pinned while any is) */
};

#define PT(p) ((struct pt_platform *)(p))
#define PTT(t) ((struct pt_task *)(t))

/* ptrace.c */
int pt_create_mode(const struct platform_config *cfg, struct ns_loop *loop, const struct platform_ops *ops,
		   int systrap, struct platform **out);
void pt_destroy(struct platform *pl);
int pt_spawn(struct platform *pl, struct ptask **out, struct pimage *img);
int pt_exec_reset(struct ptask *pt, struct pimage *img);
long pt_syscall(struct ptask *pt, long nr, const uint64_t args[6]);
int pt_clone(struct ptask *pt, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls,
	     struct ptask **child_out, pid_t *ns_tid);
int pt_install_fd(struct ptask *pt, int hostfd);
int pt_install_fds(struct ptask *pt, const int *hostfds, int n, int *out);
ssize_t pt_read(struct ptask *pt, void *dst, uint64_t addr, size_t len);
ssize_t pt_write(struct ptask *pt, uint64_t addr, const void *src, size_t len);
int pt_get_fpregs(struct ptask *pt, void *buf, size_t *len);
int pt_set_fpregs(struct ptask *pt, const void *buf, size_t len);
int pt_resume(struct ptask *pt);
void pt_kill(struct ptask *pt);
uint64_t pt_cputime(struct ptask *pt);
struct pt_task *pt_lookup(struct pt_platform *p, pid_t tid);
void pt_hash_del(struct pt_platform *p, struct pt_task *t);
int pt_getregs(struct pt_task *t);
int pt_setregs(struct pt_task *t, const struct user_regs_struct *r);
int pt_wait_tid(struct pt_platform *p, pid_t tid, int *status);
void pt_stash_push(struct pt_platform *p, pid_t tid, int status, struct pt_task *gone);
/* A task is gone: tell the sentry and free it (it must be out of the hash). */
void pt_report_gone(struct pt_platform *p, struct pt_task *t, int status);
void pt_place_at_stop(struct pt_platform *p, struct pt_task *t);
/* CPU placement may be used: MOAT_PIN is not 0 and moat has 2 CPUs or
 * more (p->all: them). */
int pt_placement_allowed(struct pt_platform *p);
/* Pin the sentry's thread to the CPU it runs on (p->one); 0 or -1. */
int pt_pin_sentry_here(struct pt_platform *p);

/* systrap.c: the hooks the core calls when p->systrap. */
/* The stub's ready trap was reached in a fresh address space (spawn,
 * exec): give it mailboxes and handlers. t is held. */
int st_setup_space(struct pt_task *t);
/* A new held child of clone: a mailbox in parent's space (CLONE_VM) or a
 * space of its own. */
int st_setup_child(struct pt_task *parent, struct pt_task *c, uint64_t flags);
/* The task is leaving (freed, or its address space replaced by exec). */
void st_task_fini(struct pt_task *t);
/* A new task: its pidfd. */
int st_task_init(struct pt_task *t);
/* A signal-delivery stop of a traced task (state PTS_SIGNAL): 1 if
 * systrap handled it (its SIGSYS or interrupt). */
int st_traced_stop(struct pt_task *t, int sig, const siginfo_t *info);
/* Its host thread id changed (a non-leader ran execve). */
void st_retid(struct pt_task *t);

#endif
