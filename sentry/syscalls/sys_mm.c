/* Memory syscalls the sentry serves: file mappings (anonymous memory
 * management runs natively, see platform/filter.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscalls.h"

#define MAP_TYPE_ 0x0f
#define KNOWN_FLAGS                                                                             \
	(MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS |          \
	 MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |          \
	 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |                    \
	 MAP_FIXED_NOREPLACE | (0x3fU << 26))

static void record_name(struct task *t, struct file *f, int hostfd)
{
	struct stat st;
	if (fstat(hostfd, &st) < 0)
		return;
	char path[PATH_MAX];
	int n = -1;
	if (f->path.mnt)
		n = vfs_path_text(&t->fs->root, &f->path, path, sizeof(path));
	else if (f->path.dentry)
		n = snprintf(path, sizeof(path), "/%s", f->path.dentry->name);
	if (n > 0) {
		if (f->path.dentry && (f->path.dentry->flags & D_DELETED) && (size_t)n + 11 < sizeof(path))
			strcat(path, " (deleted)");
		mm_add_name(t->mm, st.st_dev, st.st_ino, path);
	}
}

long do_mmap(struct task *t, uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	if (!len)
		return -EINVAL;
	if (off & 4095)
		return -EINVAL;
	if (len > 0x7ffffffff000ULL)
		return -ENOMEM;
	if (flags & MAP_ANONYMOUS)
		return -ENATIVE;
	int type = flags & MAP_TYPE_;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~(int)KNOWN_FLAGS))
		return -EOPNOTSUPP;
	if (off + ((len + 4095) & ~4095ULL) < off)
		return -EOVERFLOW;
	long r;
	struct file *f = fget_or(t, fd, &r);
	if (!f)
		return r;
	int shared = type != MAP_PRIVATE;
	if (!(f->fmode & FMODE_READ)) {
		r = -EACCES;
		goto out;
	}
	if (shared && (prot & PROT_WRITE) && (!(f->fmode & FMODE_WRITE) || (f->flags & O_APPEND))) {
		r = -EACCES;
		goto out;
	}
	if ((prot & PROT_EXEC) && f->path.mnt && (f->path.mnt->flags & MS_NOEXEC)) {
		r = -EPERM;
		goto out;
	}
	if (!f->ops || !f->ops->mmap) {
		r = -ENODEV;
		goto out;
	}
	struct mmap_req req = { prot, flags, off, -1, 0 };
	if (type == MAP_SHARED_VALIDATE)
		req.flags = (flags & ~MAP_TYPE_) | MAP_SHARED;
	if (shared && !(f->fmode & FMODE_WRITE))
		req.flags |= 0x40000000; /* internal: wants a read-only host fd */
	r = f->ops->mmap(f, &req);
	if (r < 0)
		goto out;
	req.flags &= ~0x40000000;
	if (req.anon) {
		r = task_host_syscall(t, SYS_mmap, addr, len, (uint64_t)prot,
				      (uint64_t)(req.flags | MAP_ANONYMOUS), (uint64_t)-1, 0);
		goto out;
	}
	int tfd = platform_install_fd(t->pt, req.hostfd);
	if (tfd < 0) {
		r = tfd == -EMFILE ? -ENFILE : tfd;
		goto out;
	}
	r = task_host_syscall(t, SYS_mmap, addr, len, (uint64_t)prot, (uint64_t)req.flags, (uint64_t)tfd, off);
	task_host_syscall(t, SYS_close, (uint64_t)tfd, 0, 0, 0, 0, 0);
	if (r >= 0 || r < -4095)
		record_name(t, f, req.hostfd);
out:
	file_put(f);
	return r;
}

SYSCALL(mmap)
{
	return do_mmap(t, ARG(0), ARG(1), (int)ARG(2), (int)ARG(3), (int)ARG(4), ARG(5));
}

/*
 * mlock, mlock2, mlockall. The host decides for a task without
 * CAP_IPC_LOCK in the sandbox: its RLIMIT_MEMLOCK is set on the host task
 * too (do_prlimit), so the host's accounting and errors are Linux's. With
 * the capability (root in the sandbox), Linux would lock without a limit;
 * the host refuses that to our unprivileged tasks, and pinning host memory
 * for an untrusted sandbox is not ours to grant either, so the call
 * succeeds without pinning after the checks Linux makes: flags, then the
 * range (the host's munlock walks it exactly as mlock would: EINVAL when it
 * wraps, ENOMEM when part of it is not mapped). The difference: the pages
 * may be swapped, and /proc/PID/status shows no VmLck.
 */
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#define KCAP_IPC_LOCK 14

/* 0: the sandbox lets it lock without a limit; -ENATIVE: the host decides;
 * -EPERM: no locking at all (Linux's can_do_mlock). */
static long mlock_allowed(struct task *t)
{
	if (capable(t, KCAP_IPC_LOCK))
		return 0;
	return t->tg->rlim[RLIMIT_MEMLOCK].rlim_cur ? -ENATIVE : -EPERM;
}

static long do_mlock(struct task *t, uint64_t addr, uint64_t len)
{
	long r = mlock_allowed(t);
	if (r)
		return r;
	return task_host_syscall(t, SYS_munlock, addr, len, 0, 0, 0, 0);
}

SYSCALL(mlock)
{
	return do_mlock(t, ARG(0), ARG(1));
}

SYSCALL(mlock2)
{
	if (ARG(2) & ~(uint64_t)MLOCK_ONFAULT)
		return -EINVAL;
	return do_mlock(t, ARG(0), ARG(1));
}

SYSCALL(mlockall)
{
	uint64_t f = ARG(0);
	if (!f || (f & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || f == MCL_ONFAULT)
		return -EINVAL;
	return mlock_allowed(t);
}
