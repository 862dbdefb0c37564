/* eventfd, timerfd and signalfd: small anonymous files. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "vfs.h"
#include "../kernel/kernel.h"

/* ---- eventfd ---- */

struct eventfd {
	uint64_t count;
	int semaphore;
	struct waitq wq;
};

static ssize_t efd_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	(void)pos;
	struct eventfd *e = f->priv;
	if (len < 8)
		return -EINVAL;
	if (!e->count)
		return -EAGAIN;
	uint64_t v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, 8);
	waitq_wake(&e->wq, POLLOUT);
	return 8;
}

static ssize_t efd_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	(void)pos;
	struct eventfd *e = f->priv;
	if (len < 8)
		return -EINVAL;
	uint64_t v;
	memcpy(&v, buf, 8);
	if (v == UINT64_MAX)
		return -EINVAL;
	if (UINT64_MAX - 1 - e->count < v)
		return -EAGAIN;
	e->count += v;
	if (v)
		waitq_wake(&e->wq, POLLIN);
	return 8;
}

static uint32_t efd_poll(struct file *f, struct task *t)
{
	(void)t;
	struct eventfd *e = f->priv;
	uint32_t m = 0;
	if (e->count)
		m |= POLLIN | POLLRDNORM;
	if (e->count < UINT64_MAX - 1)
		m |= POLLOUT | POLLWRNORM;
	return m;
}

static struct waitq *efd_waitq(struct file *f, struct task *t)
{
	(void)t;
	return &((struct eventfd *)f->priv)->wq;
}

static void efd_release(struct file *f)
{
	struct eventfd *e = f->priv;
	waitq_destroy(&e->wq, POLLHUP);
	free(e);
}

static int efd_name(struct file *f, char *buf, size_t len)
{
	(void)f;
	return snprintf(buf, len, "anon_inode:[eventfd]");
}

static const struct file_ops eventfd_ops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.waitq = efd_waitq,
	.name = efd_name,
	.release = efd_release,
};

int eventfd_create(struct vfs *v, unsigned initval, int flags, struct file **out);
int eventfd_create(struct vfs *v, unsigned initval, int flags, struct file **out)
{
	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	struct eventfd *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->count = initval;
	e->semaphore = (flags & EFD_SEMAPHORE) != 0;
	waitq_init(&e->wq);
	struct file *f = file_anon(v, &eventfd_ops, O_RDWR | (flags & EFD_NONBLOCK ? O_NONBLOCK : 0), e, 0600);
	if (!f) {
		free(e);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/* ---- timerfd ---- */

struct timerfd {
	struct kernel *k;
	clockid_t clock;
	struct ns_timer tm;
	uint64_t expires;  /* CLOCK_MONOTONIC ns, 0 = disarmed */
	uint64_t interval;
	uint64_t ticks;
	struct waitq wq;
};

static void tfd_fire(struct ns_timer *tm, ns_time_t now)
{
	struct timerfd *tf = ns_container_of(tm, struct timerfd, tm);
	uint64_t n = 1;
	if (tf->interval) {
		if (now > tf->expires)
			n += (now - tf->expires) / tf->interval;
		tf->expires += n * tf->interval;
		ns_timer_arm(tf->k->wheel, &tf->tm, tf->expires);
	} else {
		tf->expires = 0;
	}
	tf->ticks += n;
	waitq_wake(&tf->wq, POLLIN);
}

static ssize_t tfd_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t;
	(void)pos;
	struct timerfd *tf = f->priv;
	if (len < 8)
		return -EINVAL;
	if (!tf->ticks)
		return -EAGAIN;
	memcpy(buf, &tf->ticks, 8);
	tf->ticks = 0;
	return 8;
}

static uint32_t tfd_poll(struct file *f, struct task *t)
{
	(void)t;
	struct timerfd *tf = f->priv;
	return tf->ticks ? POLLIN | POLLRDNORM : 0;
}

static struct waitq *tfd_waitq(struct file *f, struct task *t)
{
	(void)t;
	return &((struct timerfd *)f->priv)->wq;
}

static void tfd_release(struct file *f)
{
	struct timerfd *tf = f->priv;
	ns_timer_disarm(tf->k->wheel, &tf->tm);
	waitq_destroy(&tf->wq, POLLHUP);
	free(tf);
}

static int tfd_name(struct file *f, char *buf, size_t len)
{
	(void)f;
	return snprintf(buf, len, "anon_inode:[timerfd]");
}

static const struct file_ops timerfd_ops = {
	.read = tfd_read,
	.poll = tfd_poll,
	.waitq = tfd_waitq,
	.name = tfd_name,
	.release = tfd_release,
};

int timerfd_create_file(struct kernel *k, int clock, int flags, struct file **out);
int timerfd_create_file(struct kernel *k, int clock, int flags, struct file **out)
{
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME &&
	    clock != CLOCK_REALTIME_ALARM && clock != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	struct timerfd *tf = calloc(1, sizeof(*tf));
	if (!tf)
		return -ENOMEM;
	tf->k = k;
	tf->clock = clock;
	ns_timer_init(&tf->tm, tfd_fire);
	waitq_init(&tf->wq);
	struct file *f = file_anon(k->vfs, &timerfd_ops, O_RDWR | (flags & TFD_NONBLOCK ? O_NONBLOCK : 0),
				   tf, 0600);
	if (!f) {
		free(tf);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

static void ns_to_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

static void tfd_get(struct timerfd *tf, struct itimerspec *v)
{
	memset(v, 0, sizeof(*v));
	if (tf->expires) {
		uint64_t now = kclock_mono();
		ns_to_ts(tf->expires > now ? tf->expires - now : 1, &v->it_value);
	}
	ns_to_ts(tf->interval, &v->it_interval);
}

int timerfd_settime_file(struct file *f, int flags, const struct itimerspec *nv, struct itimerspec *ov);
int timerfd_settime_file(struct file *f, int flags, const struct itimerspec *nv, struct itimerspec *ov)
{
	if (f->ops != &timerfd_ops)
		return -EINVAL;
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	struct timerfd *tf = f->priv;
	tfd_get(tf, ov);
	ns_timer_disarm(tf->k->wheel, &tf->tm);
	tf->ticks = 0;
	uint64_t val = (uint64_t)nv->it_value.tv_sec * 1000000000ull + (uint64_t)nv->it_value.tv_nsec;
	tf->interval = (uint64_t)nv->it_interval.tv_sec * 1000000000ull + (uint64_t)nv->it_interval.tv_nsec;
	if (!val) {
		tf->expires = 0;
		return 0;
	}
	clockid_t base = tf->clock == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME
			 : tf->clock == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME
							     : tf->clock;
	if (flags & TFD_TIMER_ABSTIME) {
		struct timespec now;
		clock_gettime(base, &now);
		uint64_t n = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
		uint64_t mono = kclock_mono();
		tf->expires = val > n ? mono + (val - n) : mono;
	} else {
		tf->expires = kclock_mono() + val;
	}
	ns_timer_arm(tf->k->wheel, &tf->tm, tf->expires);
	return 0;
}

int timerfd_gettime_file(struct file *f, struct itimerspec *v);
int timerfd_gettime_file(struct file *f, struct itimerspec *v)
{
	if (f->ops != &timerfd_ops)
		return -EINVAL;
	tfd_get(f->priv, v);
	return 0;
}

/* ---- signalfd ---- */

struct signalfd {
	ksigset_t mask;
};

static ssize_t sfd_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct signalfd *s = f->priv;
	if (len < sizeof(struct signalfd_siginfo))
		return -EINVAL;
	size_t done = 0;
	while (len - done >= sizeof(struct signalfd_siginfo)) {
		siginfo_t si;
		int sig = signal_dequeue(t, s->mask, &si);
		if (!sig)
			break;
		struct signalfd_siginfo o;
		memset(&o, 0, sizeof(o));
		o.ssi_signo = (uint32_t)sig;
		o.ssi_errno = si.si_errno;
		o.ssi_code = si.si_code;
		o.ssi_pid = (uint32_t)si.si_pid;
		o.ssi_uid = si.si_uid;
		o.ssi_status = si.si_status;
		o.ssi_int = si.si_int;
		o.ssi_ptr = (uint64_t)si.si_ptr;
		o.ssi_addr = (uint64_t)si.si_addr;
		o.ssi_utime = (uint64_t)si.si_utime;
		o.ssi_stime = (uint64_t)si.si_stime;
		memcpy((char *)buf + done, &o, sizeof(o));
		done += sizeof(o);
	}
	return done ? (ssize_t)done : -EAGAIN;
}

static uint32_t sfd_poll(struct file *f, struct task *t)
{
	struct signalfd *s = f->priv;
	if (!t)
		return 0;
	return (task_pending_set(t) & s->mask) ? POLLIN | POLLRDNORM : 0;
}

static struct waitq *sfd_waitq(struct file *f, struct task *t)
{
	(void)f;
	return t ? &t->tg->sig_wq : NULL;
}

static void sfd_release(struct file *f)
{
	free(f->priv);
}

static int sfd_name(struct file *f, char *buf, size_t len)
{
	(void)f;
	return snprintf(buf, len, "anon_inode:[signalfd]");
}

static const struct file_ops signalfd_ops = {
	.read = sfd_read,
	.poll = sfd_poll,
	.waitq = sfd_waitq,
	.name = sfd_name,
	.release = sfd_release,
};

int signalfd_file(struct vfs *v, struct file *existing, ksigset_t mask, int flags, struct file **out);
int signalfd_file(struct vfs *v, struct file *existing, ksigset_t mask, int flags, struct file **out)
{
	mask &= ~SIG_KERNEL_ONLY;
	if (existing) {
		if (existing->ops != &signalfd_ops)
			return -EINVAL;
		((struct signalfd *)existing->priv)->mask = mask;
		*out = file_get(existing);
		return 0;
	}
	struct signalfd *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mask = mask;
	struct file *f = file_anon(v, &signalfd_ops, O_RDWR | (flags & SFD_NONBLOCK ? O_NONBLOCK : 0), s, 0600);
	if (!f) {
		free(s);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}
