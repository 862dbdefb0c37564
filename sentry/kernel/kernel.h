/*
 * The sentry's kernel: tasks, thread groups, signals, fd tables and the
 * syscall dispatcher.
 *
 * Execution model (DESIGN.md "Blocking is the dispatcher's job"). One
 * thread runs everything from the netstack's event loop. A task is a host
 * thread driven by the platform; when it makes a syscall the platform
 * reports a stop and the dispatcher runs the handler. A handler never
 * blocks: it returns a result, or registers the task on wait queues
 * (task_wait) and returns -EPARK. A parked task stays stopped on the host;
 * when one of its queues fires it goes on the run queue and its handler
 * runs again from the start, with t->sc.rerun counting the attempts and
 * t->sc holding whatever state the handler keeps between them.
 *
 * A signal for a parked task ends the wait: the syscall returns
 * t->sc.intr (default -ERESTARTSYS), which the return-to-user path turns
 * into EINTR or a transparent restart per SA_RESTART, as Linux does.
 * Timeouts are timers on the loop's wheel (task_wait_until).
 *
 * Process ids. The first task is pid 1 of a fresh host pid namespace and
 * every task is created inside it by the platform, so the kernel's ids in
 * that namespace are the sandbox's ids: virtual tids are the namespace's
 * tids. Native futexes (PI, robust lists) therefore see the same ids the
 * application does. The sentry keeps its own task tree, pid table and
 * process state on top; host zombies are reaped when the sentry's wait4
 * reaps the virtual one, so an id is never reused while the sentry knows
 * it.
 */
#ifndef SENTRY_KERNEL_H
#define SENTRY_KERNEL_H

#include <sched.h>
#include <signal.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "ns/timer.h"
#include "list.h"
#include "ns.h"
#include "waitq.h"
#include "../vfs/vfs.h"
#include "../../platform/platform.h"

struct ns_loop;
struct task;
struct thread_group;
struct ktimer;
struct ns_root;
void posix_timers_exit(struct thread_group *tg);

/* Internal syscall results (never seen by the application). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
#define EPARK 1000	/* parked on wait queues; run again when woken */
#define ENORETURN 1001	/* registers already set (sigreturn, execve) or task gone */
#define ENATIVE 1002	/* let the host kernel run this syscall */

#define NSIG_K 64
typedef uint64_t ksigset_t;
#define SIGBIT(s) (1ULL << ((s) - 1))
#define SIG_KERNEL_ONLY (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* The kernel's struct sigaction (rt_sigaction ABI). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	ksigset_t mask;
};

struct sigqueue {
	struct list link;
	siginfo_t info;
};

struct sigpending {
	ksigset_t set;
	struct list queue; /* struct sigqueue, in arrival order */
};

struct sighand {
	uint32_t ref;
	struct ksigaction action[NSIG_K];
};

/* File-system context of a task (CLONE_FS shares it). */
struct fs_ctx {
	uint32_t ref;
	struct path root, cwd;
	mode_t umask;
};

struct fd_entry {
	struct file *file;
	int cloexec;
};

struct fdtable {
	uint32_t ref;
	int size;
	struct fd_entry *fds;
	int lowest_free;
};

struct cred {
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[32];
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
	int securebits;
	int no_new_privs;
};

/* What the sentry knows of an address space (the memory itself is the
 * host's: see platform.h). */
struct mapname {
	uint64_t dev, ino;
	char *path;
	struct mapname *next;
};

struct mm {
	uint32_t ref;
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk_hint;
	uint64_t start_stack, stack_lo;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv[64];
	int auxv_len;
	struct path exe;
	struct mapname *names; /* host (dev, ino) -> sandbox path */
	uint64_t vdso;
	int dumpable;
	struct shm_attach *shm; /* System V segments attached (sys_sysvipc.c) */
};

/* Per-syscall scratch the handler keeps across re-runs. */
struct sc_state {
	int rerun;	      /* 0 on the first attempt */
	long intr;	      /* result when a signal ends the wait */
	uint64_t deadline;    /* absolute monotonic ns; 0 none */
	int timed_out;
	uint64_t done;	      /* bytes already moved (partial blocking I/O) */
	uint64_t u[4];	      /* handler-private */
	void *p;	      /* handler-private, freed when the syscall ends */
	void (*cleanup)(struct task *t);
	/* Called instead of using `intr` when a signal ends the wait. */
	long (*on_intr)(struct task *t);
};

struct restart_block {
	long (*fn)(struct task *t);
	uint64_t deadline;
	clockid_t clock;
	uint64_t rmtp;
	int active;
};

enum task_state {
	TS_NEW,		/* created, not yet started */
	TS_RUNNING,	/* application code runs on the host */
	TS_SYSCALL,	/* stopped, the dispatcher is handling it */
	TS_PARKED,	/* stopped, waiting on queues/timer */
	TS_RUNNABLE,	/* stopped, on the run queue */
	TS_HELD,	/* stopped, held by a group stop (job control) */
	TS_EXITING,	/* told to exit; waiting for the host thread to end */
	TS_DEAD,	/* host thread gone */
};

struct task_waiter {
	struct waiter w;
	struct task *t;
};

struct task {
	pid_t tid;
	struct kernel *k;
	struct thread_group *tg;
	struct ptask *pt;
	enum task_state state;
	struct list tg_link;	/* in tg->threads */
	struct list runq_link;
	struct task *hnext;	/* pid hash */
	struct mm *mm;
	struct fdtable *files;
	struct fs_ctx *fs;
	struct sighand *sighand;
	struct cred cred;
	struct userns *userns;	/* NULL: the sandbox's (ns.h) */
	struct nsproxy *nsp;	/* the other namespaces; NULL: the sandbox's */
	char comm[16];
	int nice;		/* -20..19 (setpriority); the host thread gets max(nice, 0) */
	cpu_set_t cpus;		/* sched_setaffinity mask, within kernel.cpus */
	int sched_policy;	/* SCHED_OTHER, _BATCH or _IDLE */
	int sched_reset_on_fork;
	int ioprio;		/* ioprio_set value (class << 13 | level) */
	int mempolicy;		/* set_mempolicy mode (one node: nothing to place) */

	/* Signals */
	ksigset_t blocked;
	ksigset_t saved_blocked;  /* sigsuspend/pselect: restore on return */
	int restore_blocked;
	struct sigpending pending;
	stack_t altstack;
	int kick_pending;	  /* platform_interrupt sent */
	int sig_interrupted;	  /* a signal ended the current wait */
	ksigset_t sigwait_set;	  /* rt_sigtimedwait: these wake us */

	/* The syscall in progress */
	long sc_nr;
	uint64_t sc_args[6];
	struct sc_state sc;
	long restart_nr;	  /* syscall to restart on -ERESTART*; -1 none */
	struct restart_block restart;
	struct task_waiter **waits;
	int nwaits, capwaits;
	struct ns_timer timer;	  /* wait timeout */

	/* Thread bookkeeping */
	uint64_t clear_child_tid;
	int pdeath_signal;
	struct task *vfork_parent; /* parked in vfork until we exec/exit */
	struct waitq vfork_wq;
	int vfork_done;
	int exit_code;		   /* thread's own exit status (wait format) */
	uint64_t cpu_ns;	   /* host CPU time when the thread ended */
	uint64_t start_ns;

	/* Strace */
	int strace_pending;
	char *strace_buf;
};

enum tg_state { TG_LIVE, TG_ZOMBIE, TG_DEAD };

struct session;

struct thread_group {
	pid_t tgid;
	struct kernel *k;
	enum tg_state state;
	struct task *leader;
	struct list threads;	   /* struct task.tg_link */
	int nr_threads;		   /* not yet dead */
	struct thread_group *parent;
	struct list children;
	struct list sibling;
	struct thread_group *host_parent; /* who holds the host zombie */
	struct list pending_reaps;	  /* host zombies to reap from here */
	struct list reap_link;
	pid_t pgid, sid;
	struct sigpending pending; /* shared */
	int exit_signal;	   /* sent to the parent at exit */
	int group_exiting;
	int exit_code;		   /* wait status */
	int stopped;		   /* job control stop in effect */
	int stop_sig;
	int notify_stop, notify_cont; /* for wait WUNTRACED/WCONTINUED */
	int subreaper;
	struct waitq child_wq;	   /* wait4 waiters (children changed state) */
	struct waitq sig_wq;	   /* signalfd / sigtimedwait (new pending signal) */
	struct rlimit rlim[RLIM_NLIMITS];
	/* /proc/PID/oom_score_adj (kept, inherited; the host's OOM killer
	 * sees moat's own value) and the floor an unprivileged write may not
	 * go under (Linux's oom_score_adj_min) */
	short oom_score_adj, oom_score_adj_min;
	/* ITIMER_REAL / alarm */
	struct ns_timer itimer;
	uint64_t itimer_interval;
	uint64_t itimer_expires;
	struct ktimer *posix_timers; /* timer_create (sys_time.c) */
	int next_timer_id;
	/* accounting */
	uint64_t cpu_dead_ns;	   /* CPU of threads that ended */
	uint64_t cutime_ns;	   /* of reaped children */
	uint64_t start_ns;
	struct file *tty;	   /* controlling terminal (session leader's) */
	struct sem_undo *sem_undo; /* SEM_UNDO adjustments (sys_sysvipc.c) */
	struct spawn_req *spawn;   /* started from outside (spawn.c): told at exit */
	struct list all_link;
};

struct kstats {
	uint64_t syscalls;
	uint64_t enosys;
	uint32_t enosys_by_nr[512];
	uint64_t parks;
	uint64_t signals;
	uint64_t injections;
};

struct sandbox_config;

struct kernel {
	struct ns_loop *loop;
	struct ns_wheel *wheel;
	struct platform *plat;
	struct vfs *vfs;
	struct task *pid_hash[1024];
	struct list runq;
	struct list thread_groups;
	struct thread_group *init;
	int nr_tasks;
	int pids_limit;
	int strace;
	FILE *log;	     /* debug log, or NULL */
	FILE *strace_out;
	struct kstats stats;
	struct ns_root *ns;  /* the sandbox's namespaces (ns.c) */
	uint64_t boot_ns;    /* CLOCK_MONOTONIC at start */
	uint64_t boot_realtime_ns;
	size_t xstate_size;  /* host XSAVE area size for signal frames */
	uint8_t *xstate_init;
	int done;	     /* init has exited */
	int exit_status;     /* wait status of init */
	uid_t host_uid;
	cpu_set_t cpus;	     /* the CPUs moat may use (its own affinity at start) */
	int nr_cpu_ids;	     /* highest usable CPU + 1 */
	/* Forwarding to the sandbox's terminal foreground / init */
	struct file *console; /* host terminal passthrough, if any */
	/* sockets: abstract unix namespace */
	void *unix_abstract;
	uint64_t next_anon_ino;
	struct task *current; /* the task whose syscall is being served */
	struct waitq exit_wq; /* a process exited or was reaped (pidfds) */
	void *spawns;	      /* processes requested from outside, waiting (spawn.c) */
	struct ns_timer reap_timer; /* retries host reaps that were not ready (exit.c) */
	char exec_missing_interp[PATH_MAX + 1]; /* the last exec failed on this #! or ELF interpreter */
	unsigned reap_backoff_ms;
};

/* ---- kernel.c ---- */
int kernel_create(struct ns_loop *loop, struct ns_wheel *wheel, struct platform *plat,
		  struct kernel **out);
void kernel_destroy(struct kernel *k);
void klog(struct kernel *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t kclock_mono(void);
uint64_t kclock_real(void);

/* pid table */
struct task *task_lookup(struct kernel *k, pid_t tid);
struct thread_group *tg_lookup(struct kernel *k, pid_t tgid);
void pid_hash_add(struct kernel *k, struct task *t);
void pid_hash_del(struct kernel *k, struct task *t);

/* ---- task.c ---- */
#define CAP_ALL ((1ULL << 41) - 1) /* every capability Linux defines */
struct task *task_alloc(struct kernel *k);
/* A task that is no process, for the sentry's own path walks: k's, with
 * fs, every capability. */
void task_fake_init(struct task *fake, struct kernel *k, struct fs_ctx *fs);
/* Credentials of uid/gid/groups (at most 32) with the default
 * capabilities: root every one, others none (bounding set full). */
void cred_init(struct cred *c, uid_t uid, gid_t gid, const gid_t *groups, int ngroups);
void task_free(struct task *t);
struct thread_group *tg_alloc(struct kernel *k, pid_t tgid);
void tg_free(struct thread_group *tg);
struct fs_ctx *fs_ctx_clone(struct fs_ctx *fs);
void fs_ctx_put(struct fs_ctx *fs);
struct sighand *sighand_alloc(void);
struct sighand *sighand_dup(struct sighand *sh);
void sighand_put(struct sighand *sh);
struct mm *mm_alloc(void);
struct mm *mm_get(struct mm *mm);
void mm_put(struct mm *mm);
void mm_add_name(struct mm *mm, uint64_t dev, uint64_t ino, const char *path);
int task_is_root(const struct task *t);
int capable(const struct task *t, int cap);
/* Start the first task: spawn it on the platform and exec argv (argv[0]
 * is searched in PATH if it has no '/'). Takes the fd table. */
/* ---- spawn.c: processes started from outside (docker exec) ---- */
struct spawn_req {
	struct list link;
	char **argv, **envp;	/* owned by the requester, kept until done() */
	const char *cwd;
	struct cred cred;
	struct fdtable *files;	/* taken when the process is made */
	/* Called with the new process before it execs (terminal set-up). */
	void (*tty)(struct spawn_req *r, struct thread_group *tg);
	/* The pid (> 0), or -errno and what failed. Once, always. */
	void (*done)(struct spawn_req *r, int pid, const char *what);
	/* The wait status, once, after done() gave a pid. */
	void (*exited)(struct spawn_req *r, int status);
	void *ctx;
};
/* Queues r; done() comes now or when a task of the sandbox next stops. */
int kernel_spawn(struct kernel *k, struct spawn_req *r);
void kernel_spawn_cancel(struct kernel *k, struct spawn_req *r); /* a queued r, no done() */
void kernel_spawn_run(struct kernel *k, struct task *donor);
void kernel_spawn_exited(struct thread_group *tg);
void kernel_spawn_forget(struct thread_group *tg); /* no exited() for it */
int exec_search(struct task *t, char **argv, char **envp, const struct pimage *img);

/* cred: the first process's credentials (NULL: root with every
 * capability); rlim: RLIM_NLIMITS limits to start with (NULL: moat's own). */
int kernel_start_init(struct kernel *k, char **argv, char **envp, const struct path *root,
		      const struct path *cwd, struct fdtable *fds, const struct cred *cred,
		      const struct rlimit *rlim);

/* ---- fdtable.c ---- */
struct fdtable *fdtable_alloc(void);
struct fdtable *fdtable_dup(struct fdtable *src);
void fdtable_put(struct fdtable *ft);
/* Install f (takes a reference) at the lowest free fd >= minfd. */
int fd_install(struct task *t, struct file *f, int cloexec, int minfd);
int fd_install_at(struct task *t, int fd, struct file *f, int cloexec);
/* Referenced file of fd, or NULL. */
struct file *fd_get(struct task *t, int fd);
int fd_close(struct task *t, int fd);
void fdtable_close_on_exec(struct fdtable *ft);
int fd_nofile_limit(struct task *t);

/* ---- dispatch.c ---- */
void kernel_on_stop(void *ctx, struct ptask *pt, const struct pstop *st);
/* Park support, for handlers */
int task_wait(struct task *t, struct waitq *q, uint32_t events);
void task_wait_until(struct task *t, uint64_t deadline_mono);
/* Remove every wait registration and the timeout. */
void task_cancel_wait(struct task *t);
/* Make a parked task run its syscall again. */
void task_wake(struct task *t);
/* Called whenever a task must come back to the sentry soon (signal). */
void task_kick(struct task *t);
/* Start or continue a stopped task at its current registers. */
void task_return_to_user(struct task *t);
int kernel_run_queue(void *arg);
int kernel_runq_pending(void *arg);
const char *kernel_runq_busy(void *arg); /* the loop's idle check */
void task_set_result(struct task *t, long ret);

/* ---- signal.c ---- */
#define SEND_SIG_FORCE 1 /* synchronous fault: unblock and deliver */
int send_signal_task(struct task *t, const siginfo_t *info, int group, int flags);
int send_signal_tg(struct thread_group *tg, int sig, const siginfo_t *info);
int kill_pgrp(struct kernel *k, pid_t pgid, int sig, const siginfo_t *info);
/* Terminal job control (ptys and moat's console). A live thread group of
 * process group pgid, or NULL: */
struct thread_group *pgrp_member(struct kernel *k, pid_t pgid);
/* t, in a background process group, touched its controlling terminal:
 * SIGTTIN/SIGTTOU to its group (termios(3)); -ERESTARTSYS once sent, 0 if
 * the signal is ignored or blocked (-EIO for a read). */
int tty_bg_signal(struct task *t, int sig);
/* TIOCSPGRP: the group at user address arg becomes *fg_pgrp, if it lives
 * in session sid. */
int tty_set_fg_pgrp(struct task *t, uint64_t arg, pid_t sid, pid_t *fg_pgrp);
void session_drop_ctty(struct kernel *k, pid_t sid); /* exit.c */
/* System V IPC (syscalls/sys_sysvipc.c) */
struct shm_attach;
struct sem_undo;
void ipc_mm_dup(struct mm *dst, const struct mm *src);
void ipc_mm_release(struct mm *mm);
void ipc_exit_tg(struct thread_group *tg);
void ipc_tables_destroy(void *tables);
void siginfo_kernel(siginfo_t *si, int sig, int code);
void siginfo_from(siginfo_t *si, int sig, int code, struct task *sender);
/* Deliver what's deliverable before returning to user; 0 to go on, or
 * 1 if the task must not run (killed or stopped). */
int signal_deliver(struct task *t);
int signal_pending_for(struct task *t); /* a deliverable signal is pending */
ksigset_t task_pending_set(struct task *t);
/* Take the next pending signal in `mask` (for sigtimedwait/signalfd). */
int signal_dequeue(struct task *t, ksigset_t mask, siginfo_t *out);
void signal_fault(struct task *t, const siginfo_t *host);
/* A synchronous signal: one a fault raises (SIGSEGV, SIGBUS, ...). */
int sig_sync(int sig);
void tg_kill_all(struct thread_group *tg, int wait_status);
void tg_stop(struct thread_group *tg, int sig);
void tg_continue(struct thread_group *tg);
long sys_rt_sigreturn_impl(struct task *t);
void signal_exec_reset(struct task *t);
int sig_default_ignored(int sig);
void signal_recalc_wake(struct task *t);

/* ---- exit.c ---- */
/* The host thread is gone. */
void task_exited(struct task *t, int host_status);
void tg_reap_host(struct thread_group *child, struct rusage *ru);
/* wait4/waitid reaped this zombie; *ru gets its resource usage. */
void tg_reap(struct thread_group *tg, struct rusage *ru);
void tg_flush_host_reaps(struct task *t);
void do_exit_group(struct task *t, int status);

/* ---- usercopy.c ---- */
int copy_from_user(struct task *t, void *dst, uint64_t src, size_t len);
int copy_to_user(struct task *t, uint64_t dst, const void *src, size_t len);
int clear_user(struct task *t, uint64_t dst, size_t len);
/* NUL-terminated string of at most max-1 bytes: length, -EFAULT,
 * -ENAMETOOLONG. */
long strncpy_from_user(struct task *t, char *dst, uint64_t src, size_t max);
/* A path argument: -EFAULT, -ENAMETOOLONG, -ENOENT for "" (unless
 * allow_empty). */
long getname(struct task *t, uint64_t src, char *buf, size_t max, int allow_empty);
/* Read a NULL-terminated array of strings (argv/envp). */
int copy_strings(struct task *t, uint64_t uptr, char ***out, size_t *total, size_t limit);
void free_strings(char **v);

/* ---- inject helpers ---- */
long task_host_syscall(struct task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		       uint64_t a4, uint64_t a5);

/* ---- strace.c ---- */
void strace_enter(struct task *t);
void strace_exit(struct task *t, long ret);
const char *syscall_name(long nr);
const char *errno_name(int e);

/* ---- loader ---- */
int do_execve(struct task *t, int dirfd, const char *path, char **argv, char **envp, int flags);
/* The same on a task that already holds a fresh stub image (spawn). */
int do_execve_fresh(struct task *t, const char *path, char **argv, char **envp, const struct pimage *img);

/* Linux capability numbers we check */
#define KCAP_CHOWN 0
#define KCAP_DAC_OVERRIDE 1
#define KCAP_DAC_READ_SEARCH 2
#define KCAP_FOWNER 3
#define KCAP_FSETID 4
#define KCAP_KILL 5
#define KCAP_SETGID 6
#define KCAP_SETUID 7
#define KCAP_NET_BIND_SERVICE 10
#define KCAP_NET_ADMIN 12
#define KCAP_NET_RAW 13
#define KCAP_SYS_RESOURCE 24
#define KCAP_SYS_ADMIN 21
#define KCAP_MKNOD 27
#define KCAP_SYS_NICE 23
#define KCAP_SYS_PTRACE 19
#define KCAP_SYS_CHROOT 18

#define ARG(i) (t->sc_args[i])

#endif
