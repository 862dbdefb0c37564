/* Scheduling: CPU affinity, policies and sched_attr, nice values, I/O
 * priorities, NUMA memory policies. All per thread, as on Linux. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "syscalls.h"

/*
 * CPU affinity, per thread.  Masks are kept within the CPUs moat itself
 * may use (kernel.cpus) and applied to the host thread.  As on Linux the
 * user buffer must hold nr_cpu_ids bits in whole longs; getaffinity
 * returns the bytes it wrote.
 */
static struct task *affinity_target(struct task *t, pid_t pid, long *err)
{
	struct task *o = pid > 0 ? task_lookup(t->k, pid) : pid ? NULL : t;
	*err = -ESRCH;
	if (!o || o->state == TS_DEAD)
		return NULL;
	return o;
}

static size_t cpumask_bytes(struct kernel *k)
{
	return (size_t)((k->nr_cpu_ids + 63) / 64) * 8;
}

SYSCALL(sched_getaffinity)
{
	size_t len = (size_t)ARG(1);
	long err;
	struct task *o = affinity_target(t, (pid_t)ARG(0), &err);
	if (!o)
		return err;
	size_t n = cpumask_bytes(t->k);
	if (len < n || (len & 7))
		return -EINVAL;
	return copy_to_user(t, ARG(2), &o->cpus, n) ? -EFAULT : (long)n;
}

SYSCALL(sched_setaffinity)
{
	size_t len = (size_t)ARG(1);
	long err;
	struct task *o = affinity_target(t, (pid_t)ARG(0), &err);
	if (!o)
		return err;
	cpu_set_t m;
	CPU_ZERO(&m);
	if (copy_from_user(t, &m, ARG(2), len < sizeof(m) ? len : sizeof(m)))
		return -EFAULT;
	if (o != t && o->cred.uid != t->cred.euid && o->cred.euid != t->cred.euid && !capable(t, KCAP_SYS_NICE))
		return -EPERM;
	CPU_AND(&m, &m, &t->k->cpus);
	if (!CPU_COUNT(&m))
		return -EINVAL;
	if (o->pt && sched_setaffinity(o->pt->host_tid, sizeof(m), &m) < 0 && errno != ESRCH)
		return -errno;
	o->cpus = m;
	return 0;
}

/*
 * Scheduling policies, per thread. The normal ones (SCHED_OTHER,
 * SCHED_BATCH, SCHED_IDLE) are kept; the real-time and deadline ones need
 * a privilege the sandbox's host threads do not have, so they are EPERM
 * after Linux's argument checks. sched_setattr's nice is setpriority's.
 */
#define SCHED_RESET_ON_FORK_ 0x40000000
#define SCHED_DEADLINE_ 6
#define SCHED_FLAG_RESET_ON_FORK_ 0x01
#define SCHED_FLAG_KEEP_POLICY_ 0x08
#define SCHED_FLAG_KEEP_PARAMS_ 0x10
#define SCHED_FLAG_ALL_ 0x7f
#define SCHED_ATTR_SIZE_VER0_ 48

struct sched_attr_ {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

static struct task *sched_target(struct task *t, pid_t pid, long *err)
{
	struct task *o = pid > 0 ? task_lookup(t->k, pid) : pid ? NULL : t;
	*err = pid < 0 ? -EINVAL : -ESRCH;
	if (!o || o->state == TS_DEAD)
		return NULL;
	return o;
}

static int normal_policy(int p)
{
	return p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE;
}

static int may_sched(struct task *t, struct task *o)
{
	return o == t || o->cred.uid == t->cred.euid || o->cred.euid == t->cred.euid ||
	       capable(t, KCAP_SYS_NICE);
}

/* policy < 0: keep the current one (sched_setparam) */
static long set_policy(struct task *t, struct task *o, int policy, int prio)
{
	int reset = o->sched_reset_on_fork;
	if (policy >= 0) {
		reset = (policy & SCHED_RESET_ON_FORK_) != 0;
		policy &= ~SCHED_RESET_ON_FORK_;
	} else {
		policy = o->sched_policy;
	}
	if (normal_policy(policy)) {
		if (prio != 0)
			return -EINVAL;
	} else if (policy == SCHED_FIFO || policy == SCHED_RR) {
		if (prio < 1 || prio > 99)
			return -EINVAL;
		return -EPERM;
	} else {
		return -EINVAL;
	}
	if (!may_sched(t, o))
		return -EPERM;
	o->sched_policy = policy;
	o->sched_reset_on_fork = reset;
	return 0;
}

SYSCALL(sched_getscheduler)
{
	long err;
	struct task *o = sched_target(t, (pid_t)ARG(0), &err);
	if (!o)
		return err;
	return o->sched_policy | (o->sched_reset_on_fork ? SCHED_RESET_ON_FORK_ : 0);
}

SYSCALL(sched_getparam)
{
	if (!ARG(1) || (pid_t)ARG(0) < 0)
		return -EINVAL;
	long err;
	struct task *o = sched_target(t, (pid_t)ARG(0), &err);
	if (!o)
		return err;
	int prio = 0; /* the normal policies have none */
	return copy_to_user(t, ARG(1), &prio, sizeof(prio)) ? -EFAULT : 0;
}

static long setscheduler_common(struct task *t, pid_t pid, int policy, uint64_t uparam)
{
	if (!uparam || pid < 0)
		return -EINVAL;
	int prio;
	if (copy_from_user(t, &prio, uparam, sizeof(prio)))
		return -EFAULT;
	long err;
	struct task *o = sched_target(t, pid, &err);
	if (!o)
		return err;
	return set_policy(t, o, policy, prio);
}

SYSCALL(sched_setscheduler)
{
	int policy = (int)ARG(1);
	if (policy < 0)
		return -EINVAL;
	return setscheduler_common(t, (pid_t)ARG(0), policy, ARG(2));
}

SYSCALL(sched_setparam)
{
	return setscheduler_common(t, (pid_t)ARG(0), -1, ARG(1));
}

SYSCALL(sched_getattr)
{
	size_t usize = (size_t)(uint32_t)ARG(2);
	if (!ARG(1) || (pid_t)ARG(0) < 0 || usize > 4096 || usize < SCHED_ATTR_SIZE_VER0_ || ARG(3))
		return -EINVAL;
	long err;
	struct task *o = sched_target(t, (pid_t)ARG(0), &err);
	if (!o)
		return err;
	struct sched_attr_ a = { 0 };
	size_t n = usize < sizeof(a) ? usize : sizeof(a);
	a.size = (uint32_t)n;
	a.sched_policy = (uint32_t)o->sched_policy;
	a.sched_flags = o->sched_reset_on_fork ? SCHED_FLAG_RESET_ON_FORK_ : 0;
	a.sched_nice = o->nice;
	a.sched_util_max = 1024;
	return copy_to_user(t, ARG(1), &a, n) ? -EFAULT : 0;
}

static int prio_set1(struct task *t, struct task *o, void *arg);

SYSCALL(sched_setattr)
{
	uint64_t ua = ARG(1);
	if (!ua || (pid_t)ARG(0) < 0 || ARG(2))
		return -EINVAL;
	uint32_t size;
	if (copy_from_user(t, &size, ua, sizeof(size)))
		return -EFAULT;
	if (size == 0)
		size = SCHED_ATTR_SIZE_VER0_;
	struct sched_attr_ a = { 0 };
	if (size < SCHED_ATTR_SIZE_VER0_ || size > 4096) {
		uint32_t ks = sizeof(a);
		if (copy_to_user(t, ua, &ks, sizeof(ks)))
			return -EFAULT;
		return -E2BIG;
	}
	if (copy_from_user(t, &a, ua, size < sizeof(a) ? size : sizeof(a)))
		return -EFAULT;
	for (uint32_t off = sizeof(a); off < size; off++) {
		uint8_t b;
		if (copy_from_user(t, &b, ua + off, 1))
			return -EFAULT;
		if (b) {
			uint32_t ks = sizeof(a);
			if (copy_to_user(t, ua, &ks, sizeof(ks)))
				return -EFAULT;
			return -E2BIG;
		}
	}
	if (a.sched_flags & ~(uint64_t)SCHED_FLAG_ALL_)
		return -EINVAL;
	int policy = (int)a.sched_policy;
	if (a.sched_flags & SCHED_FLAG_KEEP_POLICY_)
		policy = -1;
	else if (!normal_policy(policy) && policy != SCHED_FIFO && policy != SCHED_RR && policy != SCHED_DEADLINE_)
		return -EINVAL;
	if (policy == SCHED_DEADLINE_)
		return -EPERM;
	if (normal_policy(policy) || policy < 0) {
		if (a.sched_nice < -20 || a.sched_nice > 19)
			return -EINVAL;
	}
	long err;
	struct task *o = sched_target(t, (pid_t)ARG(0), &err);
	if (!o)
		return err;
	if (policy >= 0 && (a.sched_flags & SCHED_FLAG_RESET_ON_FORK_))
		policy |= SCHED_RESET_ON_FORK_;
	long e = set_policy(t, o, policy, (int)a.sched_priority);
	if (e)
		return e;
	if ((normal_policy(o->sched_policy)) && !(a.sched_flags & SCHED_FLAG_KEEP_PARAMS_)) {
		int nice = a.sched_nice;
		return prio_set1(t, o, &nice);
	}
	return 0;
}

SYSCALL(sched_get_priority_max)
{
	int p = (int)ARG(0);
	(void)t;
	return p == SCHED_FIFO || p == SCHED_RR ? 99 : (p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE) ? 0 : -EINVAL;
}

SYSCALL(sched_get_priority_min)
{
	int p = (int)ARG(0);
	(void)t;
	return p == SCHED_FIFO || p == SCHED_RR ? 1 : (p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE) ? 0 : -EINVAL;
}

SYSCALL(sched_rr_get_interval)
{
	struct timespec ts = { 0, 100000000 };
	return copy_to_user(t, ARG(1), &ts, sizeof(ts)) ? -EFAULT : 0;
}

/*
 * Nice values are per thread, as on Linux: PRIO_PROCESS names one thread
 * (a tid, or the caller for 0), PRIO_PGRP every thread of a process
 * group, PRIO_USER every thread whose real uid matches.  The sentry keeps
 * the value; the host thread is reniced too, but never below 0, so that
 * a sandbox cannot take CPU from the host's own processes.
 */
static int prio_match(struct task *t, struct task *o, int which, int who)
{
	switch (which) {
	case PRIO_PROCESS:
		return o->tid == (who ? who : t->tid);
	case PRIO_PGRP:
		return o->tg->pgid == (who ? who : t->tg->pgid);
	default:
		return o->cred.uid == (who ? (uid_t)who : t->cred.uid);
	}
}

/* Calls fn on every live thread that (which, who) names; returns how many. */
static int prio_each(struct task *t, int which, int who, int (*fn)(struct task *t, struct task *o, void *arg),
		     void *arg, int *err)
{
	int n = 0;
	struct list *l;
	list_for_each(l, &t->k->thread_groups)
	{
		struct thread_group *g = list_entry(l, struct thread_group, all_link);
		if (g->state != TG_LIVE)
			continue;
		struct list *m;
		list_for_each(m, &g->threads)
		{
			struct task *o = list_entry(m, struct task, tg_link);
			if (o->state == TS_DEAD || !prio_match(t, o, which, who))
				continue;
			n++;
			int e = fn(t, o, arg);
			if (e && !*err)
				*err = e;
		}
	}
	return n;
}

static int prio_get1(struct task *t, struct task *o, void *arg)
{
	(void)t;
	int *best = arg;
	if (20 - o->nice > *best)
		*best = 20 - o->nice;
	return 0;
}

static int prio_set1(struct task *t, struct task *o, void *arg)
{
	int nice = *(int *)arg;
	if (o->cred.uid != t->cred.euid && o->cred.euid != t->cred.euid && !capable(t, KCAP_SYS_NICE))
		return -EPERM;
	if (nice < o->nice) {
		/* RLIMIT_NICE allows down to 20 - rlim_cur */
		rlim_t lim = t->tg->rlim[RLIMIT_NICE].rlim_cur;
		if ((rlim_t)(20 - nice) > lim && !capable(t, KCAP_SYS_NICE))
			return -EACCES;
	}
	o->nice = nice;
	if (o->pt)
		setpriority(PRIO_PROCESS, (id_t)o->pt->host_tid, nice > 0 ? nice : 0);
	return 0;
}

SYSCALL(getpriority)
{
	int which = (int)ARG(0);
	int who = (int)ARG(1);
	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	if (who < 0)
		return -ESRCH;
	int best = 0, err = 0;
	if (!prio_each(t, which, who, prio_get1, &best, &err))
		return -ESRCH;
	return best; /* 20 - nice: the syscall never returns a negative value */
}

SYSCALL(setpriority)
{
	int which = (int)ARG(0);
	int who = (int)ARG(1);
	int nice = (int)ARG(2);
	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	if (who < 0)
		return -ESRCH;
	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	int err = 0;
	if (!prio_each(t, which, who, prio_set1, &nice, &err))
		return -ESRCH;
	return err;
}

/*
 * I/O priorities (ioprio_set(2)), per thread: kept and reported; the
 * host's I/O is the sentry's, so they change nothing there. A class in the
 * top 3 bits (none, real-time, best-effort, idle), a level 0-7 below.
 */
#define IOPRIO_CLASS_SHIFT_ 13
#define IOPRIO_WHO_PROCESS_ 1
#define IOPRIO_WHO_USER_ 3

/* Linux's ordering: real-time before best-effort before idle; "none" is
 * best-effort at the level the nice value gives. */
static int ioprio_rank(struct task *o)
{
	int cls = o->ioprio >> IOPRIO_CLASS_SHIFT_, lvl = o->ioprio & 7;
	if (cls == 0) {
		cls = 2;
		lvl = (o->nice + 20) / 5;
	}
	return cls * 8 + lvl;
}

static int ioprio_get1(struct task *t, struct task *o, void *arg)
{
	(void)t;
	struct task **best = arg;
	if (!*best || ioprio_rank(o) < ioprio_rank(*best))
		*best = o;
	return 0;
}

static int ioprio_set1(struct task *t, struct task *o, void *arg)
{
	if (!may_sched(t, o))
		return -EPERM;
	o->ioprio = *(int *)arg;
	return 0;
}

SYSCALL(ioprio_get)
{
	int which = (int)ARG(0), who = (int)ARG(1);
	if (which < IOPRIO_WHO_PROCESS_ || which > IOPRIO_WHO_USER_)
		return -EINVAL;
	if (who < 0)
		return -ESRCH;
	struct task *best = NULL;
	int err = 0;
	if (!prio_each(t, which - 1, who, ioprio_get1, &best, &err) || !best)
		return -ESRCH;
	return best->ioprio;
}

SYSCALL(ioprio_set)
{
	int which = (int)ARG(0), who = (int)ARG(1), v = (int)ARG(2);
	int cls = (v >> IOPRIO_CLASS_SHIFT_) & 7, level = v & 7;
	if (which < IOPRIO_WHO_PROCESS_ || which > IOPRIO_WHO_USER_)
		return -EINVAL;
	switch (cls) {
	case 1: /* real-time */
		if (!capable(t, KCAP_SYS_NICE) && !capable(t, KCAP_SYS_ADMIN))
			return -EPERM;
		break;
	case 2: /* best-effort */
	case 3: /* idle */
		break;
	case 0: /* none */
		if (level)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (who < 0)
		return -ESRCH;
	int err = 0;
	if (!prio_each(t, which - 1, who, ioprio_set1, &v, &err))
		return -ESRCH;
	return err;
}

/*
 * NUMA memory policies: the sandbox is one node (0), as /sys shows no
 * others. Policies are checked and kept per thread; placement is the
 * host kernel's, which on one node is the same thing.
 */
#define MPOL_MAX_ 7		      /* DEFAULT .. WEIGHTED_INTERLEAVE */
#define MPOL_MODE_FLAGS_ (7u << 13) /* NUMA_BALANCING, RELATIVE_NODES, STATIC_NODES */
#define MPOL_F_NODE_ 1
#define MPOL_F_ADDR_ 2
#define MPOL_F_MEMS_ALLOWED_ 4

/* The node mask: EINVAL for nodes past ours (a mask without node 0 is
 * empty here), EFAULT; *has0 tells whether node 0 is in. */
static long read_nodemask(struct task *t, uint64_t umask, uint64_t maxnode, int *has0, int *any)
{
	*has0 = *any = 0;
	if (!umask || maxnode == 0)
		return 0;
	maxnode--; /* Linux ignores the last bit */
	if (maxnode > 4096 * 8)
		return -EINVAL;
	for (uint64_t w = 0; w * 64 < maxnode; w++) {
		uint64_t bits;
		if (copy_from_user(t, &bits, umask + w * 8, sizeof(bits)))
			return -EFAULT;
		uint64_t valid = maxnode - w * 64 >= 64 ? ~0ull : (1ull << (maxnode - w * 64)) - 1;
		bits &= valid;
		if (w == 0 && (bits & 1))
			*has0 = 1;
		if (bits)
			*any = 1;
	}
	return 0;
}

static long check_policy(struct task *t, int mode, uint64_t umask, uint64_t maxnode)
{
	unsigned flags = (unsigned)mode & MPOL_MODE_FLAGS_;
	int m = mode & ~(int)MPOL_MODE_FLAGS_;
	if (mode < 0 || m >= MPOL_MAX_)
		return -EINVAL;
	if ((flags & (1u << 15)) && (flags & (1u << 14)))
		return -EINVAL; /* static and relative */
	int has0, any;
	long e = read_nodemask(t, umask, maxnode, &has0, &any);
	if (e)
		return e;
	if (m == 0 /* DEFAULT */ || m == 4 /* LOCAL */)
		return any ? -EINVAL : m;
	if (m == 1 /* PREFERRED */ && !any)
		return m; /* local allocation */
	return has0 || (flags & (1u << 14)) ? m : -EINVAL;
}

SYSCALL(set_mempolicy)
{
	long m = check_policy(t, (int)ARG(0), ARG(1), ARG(2));
	if (m < 0)
		return m;
	t->mempolicy = (int)m;
	return 0;
}

SYSCALL(mbind)
{
	uint64_t addr = ARG(0), len = ARG(1);
	unsigned flags = (unsigned)ARG(5);
	if (addr & 4095 || flags & ~7u /* STRICT | MOVE | MOVE_ALL */)
		return -EINVAL;
	if ((flags & 4) && !capable(t, KCAP_SYS_NICE))
		return -EPERM;
	if (addr + len < addr)
		return -EINVAL;
	long m = check_policy(t, (int)ARG(2), ARG(3), ARG(4));
	return m < 0 ? m : 0;
}

SYSCALL(get_mempolicy)
{
	uint64_t umode = ARG(0), umask = ARG(1), maxnode = ARG(2), addr = ARG(3), flags = ARG(4);
	if (flags & ~(uint64_t)(MPOL_F_NODE_ | MPOL_F_ADDR_ | MPOL_F_MEMS_ALLOWED_))
		return -EINVAL;
	if ((flags & MPOL_F_MEMS_ALLOWED_) && (flags & (MPOL_F_NODE_ | MPOL_F_ADDR_)))
		return -EINVAL;
	if (!(flags & MPOL_F_ADDR_) && addr)
		return -EINVAL;
	if (umask && maxnode < 1)
		return -EINVAL;
	int mode = t->mempolicy;
	if (flags & MPOL_F_NODE_) {
		if (flags & MPOL_F_ADDR_)
			mode = 0; /* the node of the page: 0 */
		else if (t->mempolicy == 3 /* INTERLEAVE */)
			mode = 0; /* the next interleave node */
		else
			return -EINVAL;
	} else if (flags & MPOL_F_MEMS_ALLOWED_) {
		mode = 0;
	}
	if (umode && copy_to_user(t, umode, &mode, sizeof(mode)))
		return -EFAULT;
	if (umask) {
		/* MEMS_ALLOWED, or a policy with nodes: node 0; else none */
		int bit = (flags & MPOL_F_MEMS_ALLOWED_) ||
			  (t->mempolicy != 0 && t->mempolicy != 4 && !(flags & MPOL_F_NODE_));
		uint64_t words = (maxnode + 63) / 64;
		if (words > 512)
			return -EINVAL;
		for (uint64_t w = 0; w < words; w++) {
			uint64_t v = w == 0 && bit ? 1 : 0;
			if (copy_to_user(t, umask + w * 8, &v, sizeof(v)))
				return -EFAULT;
		}
	}
	return 0;
}
