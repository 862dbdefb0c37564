/*
 * The syscall table and the handlers, one file per family.
 *
 * A handler takes the task (arguments in t->sc_args, read with ARG(i)) and
 * returns a result: >= 0, -errno, or one of the dispatcher's codes in
 * kernel.h (-EPARK to wait and be run again, -ENORETURN when it set the
 * registers itself, -ENATIVE to let the host run the call). Handlers run
 * on the sentry's only thread and must never block.
 */
#ifndef SENTRY_SYSCALLS_H
#define SENTRY_SYSCALLS_H

#include <stdint.h>
#include <sys/uio.h>

#include "../kernel/kernel.h"

#define NR_SYSCALLS 512

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

struct syscall_desc {
	const char *name;
	long (*fn)(struct task *t);
	/* strace argument formats, one char per argument:
	 *   d int   u unsigned   x hex   p pointer   s path/string in
	 *   b buffer in (with the next arg as length)   B buffer out (length is
	 *   the result)   o octal mode   f open flags   F fcntl cmd
	 *   m mmap prot   M mmap flags   S signal   a AT_ fd (AT_FDCWD)
	 *   v argv/envp   c clone flags */
	const char *fmt;
};

extern const struct syscall_desc syscall_table[NR_SYSCALLS];
extern const char *const syscall_names[NR_SYSCALLS];

#define SYSCALL(name)                         \
	long sys_##name(struct task *t); \
	long sys_##name(struct task *t)

/* I/O vectors in application memory, consumed chunk by chunk. */
struct uiter {
	struct task *t;
	struct iovec *iov;
	int cnt, idx;
	size_t off;   /* in iov[idx] */
	size_t total; /* bytes left */
	struct iovec one;
};

int uiter_init(struct uiter *it, struct task *t, uint64_t uiov, int cnt);
void uiter_single(struct uiter *it, struct task *t, uint64_t buf, size_t len);
void uiter_free(struct uiter *it);
/* Skip n bytes. */
void uiter_advance(struct uiter *it, size_t n);
/* Copy up to n bytes out of / into the vector; returns bytes or -EFAULT
 * (only when nothing could be moved). Does not advance. */
long uiter_copy_from(struct uiter *it, void *buf, size_t n);
long uiter_copy_to(struct uiter *it, const void *buf, size_t n);

/* The generic read/write engine (sys_file.c); sockets go to sys_socket.c. */
#define RW_POS 0x1	/* positional (pread/pwrite): pos given */
long do_readv(struct task *t, struct file *f, struct uiter *it, uint64_t *pos, int rwflags);
long do_writev(struct task *t, struct file *f, struct uiter *it, uint64_t *pos, int rwflags);
/* read and write on a socket are recv and send. */
long sock_readv(struct task *t, struct file *f, struct uiter *it);
long sock_writev(struct task *t, struct file *f, struct uiter *it);

/* File helpers */
#define MAX_RW_COUNT 0x7ffff000L
/* The file of fd with a reference, or NULL and *err = -EBADF: fget_or is
 * Linux's fdget (an O_PATH descriptor is EBADF), fget_raw_or its
 * fdget_raw, for the calls that take O_PATH (dup, fcntl, fstat, ...). */
struct file *fget_or(struct task *t, int fd, long *err);
struct file *fget_raw_or(struct task *t, int fd, long *err);
/* Linux's rw_verify_area, for the length asked for: -EINVAL for a length
 * negative as an ssize_t, a negative position or one the length carries
 * past the largest (sys_splice.c). */
int rw_verify_area(uint64_t pos, size_t len);
/* Whether Linux's file of this kind can be spliced from (write: to). */
int splice_capable(struct file *f, int write);
/* splice(2) from a file or socket into a pipe: what the pipe has room
 * for, waiting (or -EAGAIN when nonblock) only when it could move none. */
long splice_file_to_pipe(struct task *t, struct file *in, struct file *out, uint64_t *pos, size_t len,
			 int nonblock);

/* poll machinery shared by poll/select/epoll (sys_poll.c) */
uint32_t poll_file(struct task *t, struct file *f, uint32_t events, int wait);

/* Time helpers (sys_time.c) */
int get_timespec(struct task *t, uint64_t uaddr, struct timespec *ts);
uint64_t timespec_ns(const struct timespec *ts);
/* Convert a deadline on clock `clk` (absolute ns) to CLOCK_MONOTONIC. */
uint64_t deadline_to_mono(clockid_t clk, uint64_t abs_ns);

/* Sockets (sentry/socket) */
int socket_create_file(struct task *t, int family, int type, int protocol, struct file **out);
int socket_pair(struct task *t, int family, int type, int protocol, struct file **a, struct file **b);

/* Misc */
int task_set_pdeath(struct task *t, int sig);
struct clone_req {
	uint64_t flags;	 /* CLONE_* without the exit signal */
	int exit_signal;
	uint64_t stack;	 /* the child's stack pointer, or 0 */
	uint64_t ptid, ctid, tls;
	uint64_t pidfd;	 /* CLONE_PIDFD: where the fd goes */
	int clear_sighand; /* clone3 CLONE_CLEAR_SIGHAND */
};
long do_clone(struct task *t, const struct clone_req *req);

/* pidfds (sys_pidfd.c) */
long pidfd_install(struct task *t, struct thread_group *tg, unsigned flags);
/* The same for the process of that pid and start time, which may have
 * gone since (SCM_PIDFD names the sender of a message read later: Linux
 * gives a pidfd of a process that exited all the same). */
long pidfd_install_id(struct task *t, pid_t pid, uint64_t start_ns, unsigned flags);
/* The live or zombie process a pidfd names (NULL once reaped); sets
 * *is_pidfd to whether f is a pidfd at all. */
struct thread_group *pidfd_target(struct file *f, int *is_pidfd);
pid_t pidfd_pid(struct file *f);
struct thread_group *tg_of_pid(struct task *t, pid_t pid);

/* sys_mm.c */
long do_mmap(struct task *t, uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);

#endif
