/*
 * The syscall table: handler and strace format of every syscall the
 * sentry serves. Anything else returns ENOSYS (dispatch.c counts and logs
 * it). Maintained by hand; the initial list was generated from the
 * SYSCALL() definitions.
 */
#include <sys/syscall.h>

#include "syscalls.h"

long sys_accept(struct task *t);
long sys_accept4(struct task *t);
long sys_access(struct task *t);
long sys_alarm(struct task *t);
long sys_arch_prctl(struct task *t);
long sys_bind(struct task *t);
long sys_capget(struct task *t);
long sys_capset(struct task *t);
long sys_chdir(struct task *t);
long sys_chmod(struct task *t);
long sys_chown(struct task *t);
long sys_chroot(struct task *t);
long sys_clock_nanosleep(struct task *t);
long sys_clone3(struct task *t);
long sys_unshare(struct task *t);
long sys_setns(struct task *t);
long sys_shmget(struct task *t);
long sys_shmat(struct task *t);
long sys_shmdt(struct task *t);
long sys_shmctl(struct task *t);
long sys_semget(struct task *t);
long sys_semop(struct task *t);
long sys_semtimedop(struct task *t);
long sys_semctl(struct task *t);
long sys_msgget(struct task *t);
long sys_msgsnd(struct task *t);
long sys_msgrcv(struct task *t);
long sys_msgctl(struct task *t);
long sys_inotify_init(struct task *t);
long sys_inotify_init1(struct task *t);
long sys_inotify_add_watch(struct task *t);
long sys_inotify_rm_watch(struct task *t);
long sys_sched_getattr(struct task *t);
long sys_sched_setattr(struct task *t);
long sys_ioprio_get(struct task *t);
long sys_ioprio_set(struct task *t);
long sys_get_mempolicy(struct task *t);
long sys_set_mempolicy(struct task *t);
long sys_mbind(struct task *t);
long sys_splice(struct task *t);
long sys_tee(struct task *t);
long sys_vmsplice(struct task *t);
long sys_copy_file_range(struct task *t);
long sys_pidfd_open(struct task *t);
long sys_pidfd_getfd(struct task *t);
long sys_pidfd_send_signal(struct task *t);
long sys_clock_settime(struct task *t);
long sys_clock_adjtime(struct task *t);
long sys_settimeofday(struct task *t);
long sys_adjtimex(struct task *t);
long sys_clone(struct task *t);
long sys_close(struct task *t);
long sys_close_range(struct task *t);
long sys_connect(struct task *t);
long sys_creat(struct task *t);
long sys_dup(struct task *t);
long sys_dup2(struct task *t);
long sys_dup3(struct task *t);
long sys_epoll_create(struct task *t);
long sys_epoll_create1(struct task *t);
long sys_epoll_ctl(struct task *t);
long sys_epoll_pwait(struct task *t);
long sys_epoll_pwait2(struct task *t);
long sys_epoll_wait(struct task *t);
long sys_eventfd(struct task *t);
long sys_eventfd2(struct task *t);
long sys_execve(struct task *t);
long sys_execveat(struct task *t);
long sys_exit(struct task *t);
long sys_exit_group(struct task *t);
long sys_faccessat(struct task *t);
long sys_faccessat2(struct task *t);
long sys_fadvise64(struct task *t);
long sys_fallocate(struct task *t);
long sys_fchdir(struct task *t);
long sys_fchmod(struct task *t);
long sys_fchmodat(struct task *t);
long sys_fchmodat2(struct task *t);
long sys_fchown(struct task *t);
long sys_fchownat(struct task *t);
long sys_fcntl(struct task *t);
long sys_fdatasync(struct task *t);
long sys_fgetxattr(struct task *t);
long sys_flistxattr(struct task *t);
long sys_flock(struct task *t);
long sys_fork(struct task *t);
long sys_fremovexattr(struct task *t);
long sys_fsetxattr(struct task *t);
long sys_fstat(struct task *t);
long sys_fstatfs(struct task *t);
long sys_fsync(struct task *t);
long sys_ftruncate(struct task *t);
long sys_futimesat(struct task *t);
long sys_getcwd(struct task *t);
long sys_getdents(struct task *t);
long sys_getdents64(struct task *t);
long sys_getegid(struct task *t);
long sys_geteuid(struct task *t);
long sys_getgid(struct task *t);
long sys_getgroups(struct task *t);
long sys_getitimer(struct task *t);
long sys_getpeername(struct task *t);
long sys_getpgid(struct task *t);
long sys_getpgrp(struct task *t);
long sys_getpid(struct task *t);
long sys_getppid(struct task *t);
long sys_getpriority(struct task *t);
long sys_getrandom(struct task *t);
long sys_getresgid(struct task *t);
long sys_getresuid(struct task *t);
long sys_getrlimit(struct task *t);
long sys_getrusage(struct task *t);
long sys_getsid(struct task *t);
long sys_getsockname(struct task *t);
long sys_getsockopt(struct task *t);
long sys_gettid(struct task *t);
long sys_getuid(struct task *t);
long sys_getxattr(struct task *t);
long sys_ioctl(struct task *t);
long sys_kill(struct task *t);
long sys_lchown(struct task *t);
long sys_lgetxattr(struct task *t);
long sys_link(struct task *t);
long sys_linkat(struct task *t);
long sys_listen(struct task *t);
long sys_listxattr(struct task *t);
long sys_llistxattr(struct task *t);
long sys_lremovexattr(struct task *t);
long sys_lseek(struct task *t);
long sys_lsetxattr(struct task *t);
long sys_lstat(struct task *t);
long sys_memfd_create(struct task *t);
long sys_mkdir(struct task *t);
long sys_mkdirat(struct task *t);
long sys_mknod(struct task *t);
long sys_mknodat(struct task *t);
long sys_mmap(struct task *t);
long sys_mlock(struct task *t);
long sys_mlock2(struct task *t);
long sys_mlockall(struct task *t);
long sys_mount(struct task *t);
long sys_nanosleep(struct task *t);
long sys_newfstatat(struct task *t);
long sys_open(struct task *t);
long sys_openat(struct task *t);
long sys_openat2(struct task *t);
long sys_pause(struct task *t);
long sys_personality(struct task *t);
long sys_pipe(struct task *t);
long sys_pipe2(struct task *t);
long sys_pivot_root(struct task *t);
long sys_poll(struct task *t);
long sys_ppoll(struct task *t);
long sys_prctl(struct task *t);
long sys_pread64(struct task *t);
long sys_preadv(struct task *t);
long sys_preadv2(struct task *t);
long sys_prlimit64(struct task *t);
long sys_pselect6(struct task *t);
long sys_pwrite64(struct task *t);
long sys_pwritev(struct task *t);
long sys_pwritev2(struct task *t);
long sys_read(struct task *t);
long sys_readahead(struct task *t);
long sys_readlink(struct task *t);
long sys_readlinkat(struct task *t);
long sys_readv(struct task *t);
long sys_recvfrom(struct task *t);
long sys_recvmmsg(struct task *t);
long sys_recvmsg(struct task *t);
long sys_removexattr(struct task *t);
long sys_rename(struct task *t);
long sys_renameat(struct task *t);
long sys_renameat2(struct task *t);
long sys_restart_syscall(struct task *t);
long sys_rmdir(struct task *t);
long sys_rt_sigaction(struct task *t);
long sys_rt_sigpending(struct task *t);
long sys_rt_sigprocmask(struct task *t);
long sys_rt_sigqueueinfo(struct task *t);
long sys_rt_sigreturn(struct task *t);
long sys_rt_sigsuspend(struct task *t);
long sys_rt_sigtimedwait(struct task *t);
long sys_rt_tgsigqueueinfo(struct task *t);
long sys_sched_get_priority_max(struct task *t);
long sys_sched_get_priority_min(struct task *t);
long sys_sched_getaffinity(struct task *t);
long sys_sched_getparam(struct task *t);
long sys_sched_getscheduler(struct task *t);
long sys_sched_rr_get_interval(struct task *t);
long sys_sched_setaffinity(struct task *t);
long sys_sched_setparam(struct task *t);
long sys_sched_setscheduler(struct task *t);
long sys_select(struct task *t);
long sys_sendfile(struct task *t);
long sys_sendmmsg(struct task *t);
long sys_sendmsg(struct task *t);
long sys_sendto(struct task *t);
long sys_set_tid_address(struct task *t);
long sys_setdomainname(struct task *t);
long sys_setfsgid(struct task *t);
long sys_setfsuid(struct task *t);
long sys_setgid(struct task *t);
long sys_setgroups(struct task *t);
long sys_sethostname(struct task *t);
long sys_setitimer(struct task *t);
long sys_setpgid(struct task *t);
long sys_setpriority(struct task *t);
long sys_setregid(struct task *t);
long sys_setresgid(struct task *t);
long sys_setresuid(struct task *t);
long sys_setreuid(struct task *t);
long sys_setrlimit(struct task *t);
long sys_setsid(struct task *t);
long sys_setsockopt(struct task *t);
long sys_setuid(struct task *t);
long sys_setxattr(struct task *t);
long sys_shutdown(struct task *t);
long sys_sigaltstack(struct task *t);
long sys_signalfd(struct task *t);
long sys_signalfd4(struct task *t);
long sys_socket(struct task *t);
long sys_socketpair(struct task *t);
long sys_stat(struct task *t);
long sys_statfs(struct task *t);
long sys_statx(struct task *t);
long sys_symlink(struct task *t);
long sys_symlinkat(struct task *t);
long sys_sync(struct task *t);
long sys_timer_delete(struct task *t);
long sys_timer_getoverrun(struct task *t);
long sys_timer_gettime(struct task *t);
long sys_timer_settime(struct task *t);
long sys_timer_create(struct task *t);
long sys_sync_file_range(struct task *t);
long sys_syncfs(struct task *t);
long sys_sysinfo(struct task *t);
long sys_tgkill(struct task *t);
long sys_timerfd_create(struct task *t);
long sys_timerfd_gettime(struct task *t);
long sys_timerfd_settime(struct task *t);
long sys_times(struct task *t);
long sys_tkill(struct task *t);
long sys_truncate(struct task *t);
long sys_umask(struct task *t);
long sys_umount2(struct task *t);
long sys_uname(struct task *t);
long sys_unlink(struct task *t);
long sys_unlinkat(struct task *t);
long sys_utime(struct task *t);
long sys_utimensat(struct task *t);
long sys_utimes(struct task *t);
long sys_vfork(struct task *t);
long sys_wait4(struct task *t);
long sys_waitid(struct task *t);
long sys_write(struct task *t);
long sys_writev(struct task *t);

const struct syscall_desc syscall_table[NR_SYSCALLS] = {
	[SYS_accept] = { "accept", sys_accept, "dpp" },
	[SYS_accept4] = { "accept4", sys_accept4, "dppx" },
	[SYS_access] = { "access", sys_access, "so" },
	[SYS_alarm] = { "alarm", sys_alarm, "xxxxxx" },
	[SYS_arch_prctl] = { "arch_prctl", sys_arch_prctl, "xx" },
	[SYS_bind] = { "bind", sys_bind, "dpu" },
	[SYS_capget] = { "capget", sys_capget, "xxxxxx" },
	[SYS_capset] = { "capset", sys_capset, "xxxxxx" },
	[SYS_chdir] = { "chdir", sys_chdir, "s" },
	[SYS_chmod] = { "chmod", sys_chmod, "so" },
	[SYS_chown] = { "chown", sys_chown, "sdd" },
	[SYS_chroot] = { "chroot", sys_chroot, "s" },
	[SYS_clock_nanosleep] = { "clock_nanosleep", sys_clock_nanosleep, "dxpp" },
	[SYS_clone3] = { "clone3", sys_clone3, "pu" },
	[SYS_unshare] = { "unshare", sys_unshare, "x" },
	[SYS_setns] = { "setns", sys_setns, "dx" },
	[SYS_shmget] = { "shmget", sys_shmget, "xuo" },
	[SYS_shmat] = { "shmat", sys_shmat, "dpx" },
	[SYS_shmdt] = { "shmdt", sys_shmdt, "p" },
	[SYS_shmctl] = { "shmctl", sys_shmctl, "ddp" },
	[SYS_semget] = { "semget", sys_semget, "xdo" },
	[SYS_semop] = { "semop", sys_semop, "dpu" },
	[SYS_semtimedop] = { "semtimedop", sys_semtimedop, "dpup" },
	[SYS_semctl] = { "semctl", sys_semctl, "dddx" },
	[SYS_msgget] = { "msgget", sys_msgget, "xo" },
	[SYS_msgsnd] = { "msgsnd", sys_msgsnd, "dpux" },
	[SYS_msgrcv] = { "msgrcv", sys_msgrcv, "dpudx" },
	[SYS_msgctl] = { "msgctl", sys_msgctl, "ddp" },
	[SYS_inotify_init] = { "inotify_init", sys_inotify_init, "" },
	[SYS_inotify_init1] = { "inotify_init1", sys_inotify_init1, "x" },
	[SYS_inotify_add_watch] = { "inotify_add_watch", sys_inotify_add_watch, "dsx" },
	[SYS_inotify_rm_watch] = { "inotify_rm_watch", sys_inotify_rm_watch, "dd" },
	[SYS_sched_getattr] = { "sched_getattr", sys_sched_getattr, "dpux" },
	[SYS_sched_setattr] = { "sched_setattr", sys_sched_setattr, "dpx" },
	[SYS_ioprio_get] = { "ioprio_get", sys_ioprio_get, "dd" },
	[SYS_ioprio_set] = { "ioprio_set", sys_ioprio_set, "ddx" },
	[SYS_get_mempolicy] = { "get_mempolicy", sys_get_mempolicy, "ppuxx" },
	[SYS_set_mempolicy] = { "set_mempolicy", sys_set_mempolicy, "dpu" },
	[SYS_mbind] = { "mbind", sys_mbind, "xudpux" },
	[SYS_splice] = { "splice", sys_splice, "dpdpux" },
	[SYS_tee] = { "tee", sys_tee, "ddux" },
	[SYS_vmsplice] = { "vmsplice", sys_vmsplice, "dpux" },
	[SYS_copy_file_range] = { "copy_file_range", sys_copy_file_range, "dpdpux" },
	[SYS_pidfd_open] = { "pidfd_open", sys_pidfd_open, "dx" },
	[SYS_pidfd_getfd] = { "pidfd_getfd", sys_pidfd_getfd, "ddx" },
	[SYS_pidfd_send_signal] = { "pidfd_send_signal", sys_pidfd_send_signal, "dSpx" },
	[SYS_clock_settime] = { "clock_settime", sys_clock_settime, "dp" },
	[SYS_clock_adjtime] = { "clock_adjtime", sys_clock_adjtime, "dp" },
	[SYS_settimeofday] = { "settimeofday", sys_settimeofday, "pp" },
	[SYS_adjtimex] = { "adjtimex", sys_adjtimex, "p" },
	[SYS_clone] = { "clone", sys_clone, "cppp" },
	[SYS_close] = { "close", sys_close, "d" },
	[SYS_close_range] = { "close_range", sys_close_range, "uux" },
	[SYS_connect] = { "connect", sys_connect, "dpu" },
	[SYS_creat] = { "creat", sys_creat, "so" },
	[SYS_dup] = { "dup", sys_dup, "d" },
	[SYS_dup2] = { "dup2", sys_dup2, "dd" },
	[SYS_dup3] = { "dup3", sys_dup3, "ddx" },
	[SYS_epoll_create] = { "epoll_create", sys_epoll_create, "xxxxxx" },
	[SYS_epoll_create1] = { "epoll_create1", sys_epoll_create1, "x" },
	[SYS_epoll_ctl] = { "epoll_ctl", sys_epoll_ctl, "dddp" },
	[SYS_epoll_pwait] = { "epoll_pwait", sys_epoll_pwait, "dpddp" },
	[SYS_epoll_pwait2] = { "epoll_pwait2", sys_epoll_pwait2, "xxxxxx" },
	[SYS_epoll_wait] = { "epoll_wait", sys_epoll_wait, "dpdd" },
	[SYS_eventfd] = { "eventfd", sys_eventfd, "xxxxxx" },
	[SYS_eventfd2] = { "eventfd2", sys_eventfd2, "ux" },
	[SYS_execve] = { "execve", sys_execve, "svp" },
	[SYS_execveat] = { "execveat", sys_execveat, "asvpx" },
	[SYS_exit] = { "exit", sys_exit, "d" },
	[SYS_exit_group] = { "exit_group", sys_exit_group, "d" },
	[SYS_faccessat] = { "faccessat", sys_faccessat, "aso" },
	[SYS_faccessat2] = { "faccessat2", sys_faccessat2, "asox" },
	[SYS_fadvise64] = { "fadvise64", sys_fadvise64, "xxxxxx" },
	[SYS_fallocate] = { "fallocate", sys_fallocate, "xxxxxx" },
	[SYS_fchdir] = { "fchdir", sys_fchdir, "d" },
	[SYS_fchmod] = { "fchmod", sys_fchmod, "do" },
	[SYS_fchmodat] = { "fchmodat", sys_fchmodat, "aso" },
	[SYS_fchmodat2] = { "fchmodat2", sys_fchmodat2, "asox" },
	[SYS_fchown] = { "fchown", sys_fchown, "ddd" },
	[SYS_fchownat] = { "fchownat", sys_fchownat, "asddx" },
	[SYS_fcntl] = { "fcntl", sys_fcntl, "ddx" },
	[SYS_fdatasync] = { "fdatasync", sys_fdatasync, "d" },
	[SYS_fgetxattr] = { "fgetxattr", sys_fgetxattr, "xxxxxx" },
	[SYS_flistxattr] = { "flistxattr", sys_flistxattr, "xxxxxx" },
	[SYS_flock] = { "flock", sys_flock, "dd" },
	[SYS_fork] = { "fork", sys_fork, "" },
	[SYS_fremovexattr] = { "fremovexattr", sys_fremovexattr, "xxxxxx" },
	[SYS_fsetxattr] = { "fsetxattr", sys_fsetxattr, "xxxxxx" },
	[SYS_fstat] = { "fstat", sys_fstat, "dp" },
	[SYS_fstatfs] = { "fstatfs", sys_fstatfs, "dp" },
	[SYS_fsync] = { "fsync", sys_fsync, "d" },
	[SYS_ftruncate] = { "ftruncate", sys_ftruncate, "dd" },
	[SYS_futimesat] = { "futimesat", sys_futimesat, "xxxxxx" },
	[SYS_getcwd] = { "getcwd", sys_getcwd, "pu" },
	[SYS_getdents] = { "getdents", sys_getdents, "dpu" },
	[SYS_getdents64] = { "getdents64", sys_getdents64, "dpu" },
	[SYS_getegid] = { "getegid", sys_getegid, "xxxxxx" },
	[SYS_geteuid] = { "geteuid", sys_geteuid, "xxxxxx" },
	[SYS_getgid] = { "getgid", sys_getgid, "xxxxxx" },
	[SYS_getgroups] = { "getgroups", sys_getgroups, "xxxxxx" },
	[SYS_getitimer] = { "getitimer", sys_getitimer, "xxxxxx" },
	[SYS_getpeername] = { "getpeername", sys_getpeername, "dpp" },
	[SYS_getpgid] = { "getpgid", sys_getpgid, "d" },
	[SYS_getpgrp] = { "getpgrp", sys_getpgrp, "xxxxxx" },
	[SYS_getpid] = { "getpid", sys_getpid, "xxxxxx" },
	[SYS_getppid] = { "getppid", sys_getppid, "xxxxxx" },
	[SYS_getpriority] = { "getpriority", sys_getpriority, "xxxxxx" },
	[SYS_getrandom] = { "getrandom", sys_getrandom, "pux" },
	[SYS_getresgid] = { "getresgid", sys_getresgid, "xxxxxx" },
	[SYS_getresuid] = { "getresuid", sys_getresuid, "xxxxxx" },
	[SYS_getrlimit] = { "getrlimit", sys_getrlimit, "dp" },
	[SYS_getrusage] = { "getrusage", sys_getrusage, "xxxxxx" },
	[SYS_getsid] = { "getsid", sys_getsid, "d" },
	[SYS_getsockname] = { "getsockname", sys_getsockname, "dpp" },
	[SYS_getsockopt] = { "getsockopt", sys_getsockopt, "dddpp" },
	[SYS_gettid] = { "gettid", sys_gettid, "xxxxxx" },
	[SYS_getuid] = { "getuid", sys_getuid, "xxxxxx" },
	[SYS_getxattr] = { "getxattr", sys_getxattr, "xxxxxx" },
	[SYS_ioctl] = { "ioctl", sys_ioctl, "dxx" },
	[SYS_kill] = { "kill", sys_kill, "dS" },
	[SYS_lchown] = { "lchown", sys_lchown, "sdd" },
	[SYS_lgetxattr] = { "lgetxattr", sys_lgetxattr, "xxxxxx" },
	[SYS_link] = { "link", sys_link, "ss" },
	[SYS_linkat] = { "linkat", sys_linkat, "asasx" },
	[SYS_listen] = { "listen", sys_listen, "dd" },
	[SYS_listxattr] = { "listxattr", sys_listxattr, "xxxxxx" },
	[SYS_llistxattr] = { "llistxattr", sys_llistxattr, "xxxxxx" },
	[SYS_lremovexattr] = { "lremovexattr", sys_lremovexattr, "xxxxxx" },
	[SYS_lseek] = { "lseek", sys_lseek, "ddd" },
	[SYS_lsetxattr] = { "lsetxattr", sys_lsetxattr, "xxxxxx" },
	[SYS_lstat] = { "lstat", sys_lstat, "sp" },
	[SYS_memfd_create] = { "memfd_create", sys_memfd_create, "sx" },
	[SYS_mkdir] = { "mkdir", sys_mkdir, "so" },
	[SYS_mkdirat] = { "mkdirat", sys_mkdirat, "aso" },
	[SYS_mknod] = { "mknod", sys_mknod, "sox" },
	[SYS_mknodat] = { "mknodat", sys_mknodat, "asox" },
	[SYS_mmap] = { "mmap", sys_mmap, "pumMdx" },
	[SYS_mlock] = { "mlock", sys_mlock, "pu" },
	[SYS_mlock2] = { "mlock2", sys_mlock2, "pux" },
	[SYS_mlockall] = { "mlockall", sys_mlockall, "x" },
	[SYS_mount] = { "mount", sys_mount, "xxxxxx" },
	[SYS_nanosleep] = { "nanosleep", sys_nanosleep, "pp" },
	[SYS_newfstatat] = { "newfstatat", sys_newfstatat, "aspx" },
	[SYS_open] = { "open", sys_open, "sfo" },
	[SYS_openat] = { "openat", sys_openat, "asfo" },
	[SYS_openat2] = { "openat2", sys_openat2, "aspu" },
	[SYS_pause] = { "pause", sys_pause, "xxxxxx" },
	[SYS_personality] = { "personality", sys_personality, "xxxxxx" },
	[SYS_pipe] = { "pipe", sys_pipe, "p" },
	[SYS_pipe2] = { "pipe2", sys_pipe2, "px" },
	[SYS_pivot_root] = { "pivot_root", sys_pivot_root, "xxxxxx" },
	[SYS_poll] = { "poll", sys_poll, "pud" },
	[SYS_ppoll] = { "ppoll", sys_ppoll, "pupp" },
	[SYS_prctl] = { "prctl", sys_prctl, "dxxxx" },
	[SYS_pread64] = { "pread64", sys_pread64, "dBud" },
	[SYS_preadv] = { "preadv", sys_preadv, "dpdd" },
	[SYS_preadv2] = { "preadv2", sys_preadv2, "dpddx" },
	[SYS_prlimit64] = { "prlimit64", sys_prlimit64, "ddpp" },
	[SYS_pselect6] = { "pselect6", sys_pselect6, "dppppp" },
	[SYS_pwrite64] = { "pwrite64", sys_pwrite64, "dbud" },
	[SYS_pwritev] = { "pwritev", sys_pwritev, "dpdd" },
	[SYS_pwritev2] = { "pwritev2", sys_pwritev2, "dpddx" },
	[SYS_read] = { "read", sys_read, "dBu" },
	[SYS_readahead] = { "readahead", sys_readahead, "xxxxxx" },
	[SYS_readlink] = { "readlink", sys_readlink, "spu" },
	[SYS_readlinkat] = { "readlinkat", sys_readlinkat, "aspu" },
	[SYS_readv] = { "readv", sys_readv, "dpd" },
	[SYS_recvfrom] = { "recvfrom", sys_recvfrom, "dBuxpp" },
	[SYS_recvmmsg] = { "recvmmsg", sys_recvmmsg, "xxxxxx" },
	[SYS_recvmsg] = { "recvmsg", sys_recvmsg, "dpx" },
	[SYS_removexattr] = { "removexattr", sys_removexattr, "xxxxxx" },
	[SYS_rename] = { "rename", sys_rename, "ss" },
	[SYS_renameat] = { "renameat", sys_renameat, "asas" },
	[SYS_renameat2] = { "renameat2", sys_renameat2, "asasx" },
	[SYS_restart_syscall] = { "restart_syscall", sys_restart_syscall, "xxxxxx" },
	[SYS_rmdir] = { "rmdir", sys_rmdir, "s" },
	[SYS_rt_sigaction] = { "rt_sigaction", sys_rt_sigaction, "Sppu" },
	[SYS_rt_sigpending] = { "rt_sigpending", sys_rt_sigpending, "xxxxxx" },
	[SYS_rt_sigprocmask] = { "rt_sigprocmask", sys_rt_sigprocmask, "dppu" },
	[SYS_rt_sigqueueinfo] = { "rt_sigqueueinfo", sys_rt_sigqueueinfo, "xxxxxx" },
	[SYS_rt_sigreturn] = { "rt_sigreturn", sys_rt_sigreturn, "xxxxxx" },
	[SYS_rt_sigsuspend] = { "rt_sigsuspend", sys_rt_sigsuspend, "xxxxxx" },
	[SYS_rt_sigtimedwait] = { "rt_sigtimedwait", sys_rt_sigtimedwait, "xxxxxx" },
	[SYS_rt_tgsigqueueinfo] = { "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo, "xxxxxx" },
	[SYS_sched_get_priority_max] = { "sched_get_priority_max", sys_sched_get_priority_max, "xxxxxx" },
	[SYS_sched_get_priority_min] = { "sched_get_priority_min", sys_sched_get_priority_min, "xxxxxx" },
	[SYS_sched_getaffinity] = { "sched_getaffinity", sys_sched_getaffinity, "xxxxxx" },
	[SYS_sched_getparam] = { "sched_getparam", sys_sched_getparam, "xxxxxx" },
	[SYS_sched_getscheduler] = { "sched_getscheduler", sys_sched_getscheduler, "xxxxxx" },
	[SYS_sched_rr_get_interval] = { "sched_rr_get_interval", sys_sched_rr_get_interval, "xxxxxx" },
	[SYS_sched_setaffinity] = { "sched_setaffinity", sys_sched_setaffinity, "xxxxxx" },
	[SYS_sched_setparam] = { "sched_setparam", sys_sched_setparam, "xxxxxx" },
	[SYS_sched_setscheduler] = { "sched_setscheduler", sys_sched_setscheduler, "xxxxxx" },
	[SYS_select] = { "select", sys_select, "dpppp" },
	[SYS_sendfile] = { "sendfile", sys_sendfile, "ddpu" },
	[SYS_sendmmsg] = { "sendmmsg", sys_sendmmsg, "xxxxxx" },
	[SYS_sendmsg] = { "sendmsg", sys_sendmsg, "dpx" },
	[SYS_sendto] = { "sendto", sys_sendto, "dbuxpu" },
	[SYS_set_tid_address] = { "set_tid_address", sys_set_tid_address, "p" },
	[SYS_setdomainname] = { "setdomainname", sys_setdomainname, "xxxxxx" },
	[SYS_setfsgid] = { "setfsgid", sys_setfsgid, "xxxxxx" },
	[SYS_setfsuid] = { "setfsuid", sys_setfsuid, "xxxxxx" },
	[SYS_setgid] = { "setgid", sys_setgid, "xxxxxx" },
	[SYS_setgroups] = { "setgroups", sys_setgroups, "xxxxxx" },
	[SYS_sethostname] = { "sethostname", sys_sethostname, "xxxxxx" },
	[SYS_setitimer] = { "setitimer", sys_setitimer, "xxxxxx" },
	[SYS_setpgid] = { "setpgid", sys_setpgid, "dd" },
	[SYS_setpriority] = { "setpriority", sys_setpriority, "xxxxxx" },
	[SYS_setregid] = { "setregid", sys_setregid, "xxxxxx" },
	[SYS_setresgid] = { "setresgid", sys_setresgid, "xxxxxx" },
	[SYS_setresuid] = { "setresuid", sys_setresuid, "xxxxxx" },
	[SYS_setreuid] = { "setreuid", sys_setreuid, "xxxxxx" },
	[SYS_setrlimit] = { "setrlimit", sys_setrlimit, "dp" },
	[SYS_setsid] = { "setsid", sys_setsid, "xxxxxx" },
	[SYS_setsockopt] = { "setsockopt", sys_setsockopt, "dddpu" },
	[SYS_setuid] = { "setuid", sys_setuid, "xxxxxx" },
	[SYS_setxattr] = { "setxattr", sys_setxattr, "xxxxxx" },
	[SYS_shutdown] = { "shutdown", sys_shutdown, "dd" },
	[SYS_sigaltstack] = { "sigaltstack", sys_sigaltstack, "pp" },
	[SYS_signalfd] = { "signalfd", sys_signalfd, "xxxxxx" },
	[SYS_signalfd4] = { "signalfd4", sys_signalfd4, "dpux" },
	[SYS_socket] = { "socket", sys_socket, "ddd" },
	[SYS_socketpair] = { "socketpair", sys_socketpair, "dddp" },
	[SYS_stat] = { "stat", sys_stat, "sp" },
	[SYS_statfs] = { "statfs", sys_statfs, "sp" },
	[SYS_statx] = { "statx", sys_statx, "asxxp" },
	[SYS_symlink] = { "symlink", sys_symlink, "ss" },
	[SYS_symlinkat] = { "symlinkat", sys_symlinkat, "sas" },
	[SYS_sync] = { "sync", sys_sync, "xxxxxx" },
	[SYS_timer_delete] = { "timer_delete", sys_timer_delete, "xxxxxx" },
	[SYS_timer_getoverrun] = { "timer_getoverrun", sys_timer_getoverrun, "xxxxxx" },
	[SYS_timer_gettime] = { "timer_gettime", sys_timer_gettime, "xxxxxx" },
	[SYS_timer_settime] = { "timer_settime", sys_timer_settime, "xxxxxx" },
	[SYS_timer_create] = { "timer_create", sys_timer_create, "xxxxxx" },
	[SYS_sync_file_range] = { "sync_file_range", sys_sync_file_range, "xxxxxx" },
	[SYS_syncfs] = { "syncfs", sys_syncfs, "xxxxxx" },
	[SYS_sysinfo] = { "sysinfo", sys_sysinfo, "xxxxxx" },
	[SYS_tgkill] = { "tgkill", sys_tgkill, "ddS" },
	[SYS_timerfd_create] = { "timerfd_create", sys_timerfd_create, "dx" },
	[SYS_timerfd_gettime] = { "timerfd_gettime", sys_timerfd_gettime, "xxxxxx" },
	[SYS_timerfd_settime] = { "timerfd_settime", sys_timerfd_settime, "dxpp" },
	[SYS_times] = { "times", sys_times, "xxxxxx" },
	[SYS_tkill] = { "tkill", sys_tkill, "dS" },
	[SYS_truncate] = { "truncate", sys_truncate, "sd" },
	[SYS_umask] = { "umask", sys_umask, "o" },
	[SYS_umount2] = { "umount2", sys_umount2, "xxxxxx" },
	[SYS_uname] = { "uname", sys_uname, "p" },
	[SYS_unlink] = { "unlink", sys_unlink, "s" },
	[SYS_unlinkat] = { "unlinkat", sys_unlinkat, "asx" },
	[SYS_utime] = { "utime", sys_utime, "xxxxxx" },
	[SYS_utimensat] = { "utimensat", sys_utimensat, "aspx" },
	[SYS_utimes] = { "utimes", sys_utimes, "xxxxxx" },
	[SYS_vfork] = { "vfork", sys_vfork, "" },
	[SYS_wait4] = { "wait4", sys_wait4, "dpxp" },
	[SYS_waitid] = { "waitid", sys_waitid, "ddpxp" },
	[SYS_write] = { "write", sys_write, "dbu" },
	[SYS_writev] = { "writev", sys_writev, "dpd" },
};
