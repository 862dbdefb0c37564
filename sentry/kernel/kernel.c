/* The sentry kernel object: pid table, clocks, logging, lifetime. */
#include <cpuid.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ns/loop.h"
#include "kernel.h"

uint64_t kclock_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t kclock_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void klog(struct kernel *k, const char *fmt, ...)
{
	if (!k->log)
		return;
	uint64_t t = kclock_mono() - k->boot_ns;
	fprintf(k->log, "[%5llu.%06llu] ", (unsigned long long)(t / 1000000000ull),
		(unsigned long long)(t / 1000 % 1000000));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(k->log, fmt, ap);
	va_end(ap);
	fputc('\n', k->log);
}

static unsigned pid_bucket(pid_t tid)
{
	return (unsigned)tid % 1024;
}

struct task *task_lookup(struct kernel *k, pid_t tid)
{
	if (tid <= 0)
		return NULL;
	for (struct task *t = k->pid_hash[pid_bucket(tid)]; t; t = t->hnext)
		if (t->tid == tid)
			return t;
	return NULL;
}

struct thread_group *tg_lookup(struct kernel *k, pid_t tgid)
{
	struct task *t = task_lookup(k, tgid);
	if (!t || t->tg->tgid != tgid || t->tg->state == TG_DEAD)
		return NULL;
	return t->tg;
}

void pid_hash_add(struct kernel *k, struct task *t)
{
	unsigned b = pid_bucket(t->tid);
	t->hnext = k->pid_hash[b];
	k->pid_hash[b] = t;
}

void pid_hash_del(struct kernel *k, struct task *t)
{
	struct task **pp = &k->pid_hash[pid_bucket(t->tid)];
	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
	t->hnext = NULL;
}

int kernel_create(struct ns_loop *loop, struct ns_wheel *wheel, struct platform *plat,
		  struct kernel **out)
{
	struct kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->loop = loop;
	k->wheel = wheel;
	k->plat = plat;
	list_init(&k->runq);
	list_init(&k->thread_groups);
	waitq_init(&k->exit_wq);
	k->pids_limit = 4096;
	k->boot_ns = kclock_mono();
	CPU_ZERO(&k->cpus);
	if (sched_getaffinity(0, sizeof(k->cpus), &k->cpus) < 0)
		CPU_SET(0, &k->cpus);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &k->cpus))
			k->nr_cpu_ids = c + 1;
	k->boot_realtime_ns = kclock_real();
	k->strace_out = stderr;
	/* XSAVE size for the features the host enabled (CPUID.(EAX=0DH,
	 * ECX=0):EBX); the ptrace regset uses the same standard layout. */
	unsigned a, b, c, d;
	k->xstate_size = 512 + 64;
	if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b >= 576)
		k->xstate_size = b;
	k->xstate_init = calloc(1, k->xstate_size);
	if (!k->xstate_init) {
		free(k);
		return -ENOMEM;
	}
	/* The state a signal handler starts with: x87 and SSE at their
	 * reset values, everything else in its init state. */
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(k->xstate_init + 0, &fcw, 2);
	memcpy(k->xstate_init + 24, &mxcsr, 4);
	uint64_t xstate_bv = 0x3;
	memcpy(k->xstate_init + 512, &xstate_bv, 8);
	int e = ns_init(k);
	if (e == 0 && (e = vfs_create(k, &k->vfs)) < 0)
		ns_fini(k);
	if (e < 0) {
		free(k->xstate_init);
		free(k);
		return e;
	}
	e = ns_loop_add_hook(loop, kernel_run_queue, k);
	if (e >= 0)
		e = ns_loop_add_flush(loop, kernel_runq_pending, k);
	if (e >= 0)
		e = ns_loop_add_idle_check(loop, kernel_runq_busy, k);
	if (e < 0) {
		vfs_destroy(k->vfs);
		ns_fini(k);
		free(k->xstate_init);
		free(k);
		return e;
	}
	*out = k;
	return 0;
}

void kernel_destroy(struct kernel *k)
{
	if (!k)
		return;
	ns_timer_disarm(k->wheel, &k->reap_timer);
	/* Tasks are killed by the platform's destroy; free what's left. */
	while (!list_empty(&k->thread_groups)) {
		struct thread_group *tg = list_entry(k->thread_groups.next, struct thread_group, all_link);
		while (!list_empty(&tg->threads)) {
			struct task *t = list_entry(tg->threads.next, struct task, tg_link);
			list_del(&t->tg_link);
			if (t->pt)
				t->pt->owner = NULL;
			pid_hash_del(k, t);
			task_free(t);
		}
		tg->leader = NULL;
		list_del(&tg->all_link);
		tg_free(tg);
	}
	if (k->console)
		file_put(k->console);
	vfs_destroy(k->vfs); /* before the namespaces: nsfs inodes hold them */
	ns_fini(k);
	waitq_destroy(&k->exit_wq, POLLHUP);
	free(k->xstate_init);
	free(k);
}
