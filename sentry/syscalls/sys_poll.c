/* Readiness: poll, ppoll, select, pselect6 and the epoll syscalls. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "syscalls.h"

int epoll_create_file(struct vfs *v, int flags, struct file **out);
int epoll_ctl_file(struct task *t, struct file *epf, int op, int fd, struct file *f, struct epoll_event *ev);
int epoll_collect(struct task *t, struct file *epf, struct epoll_event *out, int max);
struct waitq *epoll_waitq(struct file *epf);
int epoll_nitems(struct file *epf);
int is_epoll_file(struct file *f);

/* Files held while a poll-like call is parked on their queues. */
struct held {
	int n;
	struct file *f[];
};

static void held_cleanup(struct task *t)
{
	struct held *h = t->sc.p;
	if (!h)
		return;
	for (int i = 0; i < h->n; i++)
		file_put(h->f[i]);
	h->n = 0;
}

static int hold(struct task *t, struct file *f, int max)
{
	struct held *h = t->sc.p;
	if (!h) {
		h = calloc(1, sizeof(*h) + (size_t)max * sizeof(struct file *));
		if (!h)
			return -ENOMEM;
		t->sc.p = h;
		t->sc.cleanup = held_cleanup;
	}
	if (h->n < max)
		h->f[h->n++] = file_get(f);
	return 0;
}

uint32_t poll_file(struct task *t, struct file *f, uint32_t events, int wait)
{
	uint32_t m = file_poll(f, t) & (events | POLLERR | POLLHUP | POLLNVAL);
	if (!m && wait) {
		struct waitq *q = file_waitq(f, t);
		if (q)
			task_wait(t, q, 0);
	}
	return m;
}

/* Timeout handling shared by the poll family: t->sc.u[0] = 1 when a
 * deadline applies, t->sc.deadline; "zero" means do not wait. */
static int expired(struct task *t)
{
	return t->sc.u[0] && (t->sc.timed_out || kclock_mono() >= t->sc.deadline);
}

static void set_temp_mask(struct task *t, ksigset_t mask)
{
	t->saved_blocked = t->blocked;
	t->restore_blocked = 1;
	t->blocked = mask & ~SIG_KERNEL_ONLY;
}

static long do_poll(struct task *t, uint64_t ufds, unsigned nfds)
{
	if (nfds > (unsigned)fd_nofile_limit(t))
		return -EINVAL;
	struct pollfd *fds = NULL;
	if (nfds) {
		fds = malloc(nfds * sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		if (copy_from_user(t, fds, ufds, nfds * sizeof(*fds))) {
			free(fds);
			return -EFAULT;
		}
	}
	int zero = t->sc.u[0] && t->sc.deadline == 0;
	int final = zero || expired(t);
	int count = 0;
	held_cleanup(t);
	for (unsigned i = 0; i < nfds; i++) {
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		long err;
		struct file *f = fget_or(t, fds[i].fd, &err);
		if (!f) {
			fds[i].revents = POLLNVAL;
			count++;
			continue;
		}
		uint32_t m = poll_file(t, f, (uint16_t)fds[i].events, 0);
		fds[i].revents = (short)m;
		if (m)
			count++;
		else if (!final && !count)
			hold(t, f, (int)nfds);
		file_put(f);
	}
	if (count || final) {
		task_cancel_wait(t);
		held_cleanup(t);
		long r = count;
		for (unsigned i = 0; i < nfds; i++) {
			if (copy_to_user(t, ufds + i * sizeof(*fds) + offsetof(struct pollfd, revents),
					 &fds[i].revents, sizeof(short))) {
				r = -EFAULT;
				break;
			}
		}
		free(fds);
		return r;
	}
	free(fds);
	/* Wait on every file's queue. */
	struct held *h = t->sc.p;
	for (int i = 0; h && i < h->n; i++) {
		struct waitq *q = file_waitq(h->f[i], t);
		if (q)
			task_wait(t, q, 0);
	}
	if (t->sc.u[0])
		task_wait_until(t, t->sc.deadline);
	t->sc.intr = -ERESTARTNOHAND;
	return -EPARK;
}

SYSCALL(poll)
{
	if (t->sc.rerun == 0) {
		int ms = (int)ARG(2);
		if (ms >= 0) {
			t->sc.u[0] = 1;
			t->sc.deadline = ms ? kclock_mono() + (uint64_t)ms * 1000000ull : 0;
		}
	}
	return do_poll(t, ARG(0), (unsigned)ARG(1));
}

static long read_sigmask_arg(struct task *t, uint64_t umask, uint64_t size, ksigset_t *out)
{
	if (size != sizeof(ksigset_t))
		return -EINVAL;
	if (copy_from_user(t, out, umask, sizeof(*out)))
		return -EFAULT;
	return 0;
}

static long timeout_ts(struct task *t, uint64_t uts)
{
	if (!uts)
		return 0;
	struct timespec ts;
	int e = get_timespec(t, uts, &ts);
	if (e)
		return e;
	t->sc.u[0] = 1;
	uint64_t ns = timespec_ns(&ts);
	t->sc.deadline = ns ? kclock_mono() + ns : 0;
	return 0;
}

SYSCALL(ppoll)
{
	if (t->sc.rerun == 0) {
		long e = timeout_ts(t, ARG(2));
		if (e)
			return e;
		if (ARG(3)) {
			ksigset_t m;
			e = read_sigmask_arg(t, ARG(3), ARG(4), &m);
			if (e)
				return e;
			set_temp_mask(t, m);
		}
	}
	long r = do_poll(t, ARG(0), (unsigned)ARG(1));
	if (r == -EPARK && ARG(3))
		t->sc.intr = -ERESTARTNOHAND;
	return r;
}

/* ---- select ---- */

static long do_select(struct task *t, int n, uint64_t uin, uint64_t uout, uint64_t uex)
{
	if (n < 0)
		return -EINVAL;
	int lim = fd_nofile_limit(t);
	if (n > lim)
		n = lim;
	size_t bytes = ((size_t)n + 63) / 64 * 8;
	uint64_t *in = calloc(1, bytes + 8), *out = calloc(1, bytes + 8), *ex = calloc(1, bytes + 8);
	uint64_t *rin = calloc(1, bytes + 8), *rout = calloc(1, bytes + 8), *rex = calloc(1, bytes + 8);
	long r = 0;
	if (!in || !out || !ex || !rin || !rout || !rex) {
		r = -ENOMEM;
		goto done;
	}
	if ((uin && copy_from_user(t, in, uin, bytes)) || (uout && copy_from_user(t, out, uout, bytes)) ||
	    (uex && copy_from_user(t, ex, uex, bytes))) {
		r = -EFAULT;
		goto done;
	}
	int zero = t->sc.u[0] && t->sc.deadline == 0;
	int final = zero || expired(t);
	int count = 0;
	held_cleanup(t);
	for (int fd = 0; fd < n; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		int w = fd / 64;
		int want_r = (in[w] & bit) != 0, want_w = (out[w] & bit) != 0, want_e = (ex[w] & bit) != 0;
		if (!want_r && !want_w && !want_e)
			continue;
		struct file *f = fd_get(t, fd);
		if (!f) {
			r = -EBADF;
			goto done;
		}
		uint32_t m = file_poll(f, t);
		if (want_r && (m & (POLLIN | POLLRDNORM | POLLHUP | POLLERR))) {
			rin[w] |= bit;
			count++;
		}
		if (want_w && (m & (POLLOUT | POLLWRNORM | POLLERR))) {
			rout[w] |= bit;
			count++;
		}
		if (want_e && (m & POLLPRI)) {
			rex[w] |= bit;
			count++;
		}
		if (!final && !count)
			hold(t, f, n);
		file_put(f);
	}
	if (count || final) {
		task_cancel_wait(t);
		held_cleanup(t);
		if ((uin && copy_to_user(t, uin, rin, bytes)) || (uout && copy_to_user(t, uout, rout, bytes)) ||
		    (uex && copy_to_user(t, uex, rex, bytes)))
			r = -EFAULT;
		else
			r = count;
		goto done;
	}
	struct held *h = t->sc.p;
	for (int i = 0; h && i < h->n; i++) {
		struct waitq *q = file_waitq(h->f[i], t);
		if (q)
			task_wait(t, q, 0);
	}
	if (t->sc.u[0])
		task_wait_until(t, t->sc.deadline);
	t->sc.intr = -ERESTARTNOHAND;
	r = -EPARK;
done:
	free(in);
	free(out);
	free(ex);
	free(rin);
	free(rout);
	free(rex);
	return r;
}

static void select_left(struct task *t, struct timeval *tv)
{
	uint64_t now = kclock_mono();
	uint64_t left = t->sc.deadline > now ? t->sc.deadline - now : 0;
	tv->tv_sec = (time_t)(left / 1000000000ull);
	tv->tv_usec = (suseconds_t)(left % 1000000000ull / 1000);
}

SYSCALL(select)
{
	if (t->sc.rerun == 0 && ARG(4)) {
		struct timeval tv;
		if (copy_from_user(t, &tv, ARG(4), sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EINVAL;
		t->sc.u[0] = 1;
		uint64_t ns = (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000;
		t->sc.deadline = ns ? kclock_mono() + ns : 0;
	}
	long r = do_select(t, (int)ARG(0), ARG(1), ARG(2), ARG(3));
	if (r >= 0 && ARG(4) && t->sc.deadline) {
		struct timeval tv;
		select_left(t, &tv);
		copy_to_user(t, ARG(4), &tv, sizeof(tv));
	}
	return r;
}

SYSCALL(pselect6)
{
	if (t->sc.rerun == 0) {
		long e = timeout_ts(t, ARG(4));
		if (e)
			return e;
		if (ARG(5)) {
			struct {
				uint64_t ss;
				uint64_t len;
			} a;
			if (copy_from_user(t, &a, ARG(5), sizeof(a)))
				return -EFAULT;
			if (a.ss) {
				ksigset_t m;
				e = read_sigmask_arg(t, a.ss, a.len, &m);
				if (e)
					return e;
				set_temp_mask(t, m);
			}
		}
	}
	long r = do_select(t, (int)ARG(0), ARG(1), ARG(2), ARG(3));
	if (r >= 0 && ARG(4) && t->sc.deadline) {
		uint64_t now = kclock_mono();
		uint64_t left = t->sc.deadline > now ? t->sc.deadline - now : 0;
		struct timespec ts = { (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
		copy_to_user(t, ARG(4), &ts, sizeof(ts));
	}
	return r;
}

/* ---- epoll ---- */

SYSCALL(epoll_create)
{
	if ((int)ARG(0) <= 0)
		return -EINVAL;
	struct file *f;
	int e = epoll_create_file(t->k->vfs, 0, &f);
	if (e)
		return e;
	int fd = fd_install(t, f, 0, 0);
	file_put(f);
	return fd;
}

SYSCALL(epoll_create1)
{
	struct file *f;
	int e = epoll_create_file(t->k->vfs, (int)ARG(0), &f);
	if (e)
		return e;
	int fd = fd_install(t, f, (ARG(0) & EPOLL_CLOEXEC) != 0, 0);
	file_put(f);
	return fd;
}

SYSCALL(epoll_ctl)
{
	int op = (int)ARG(1), fd = (int)ARG(2);
	struct epoll_event ev = { 0 };
	if (op != EPOLL_CTL_DEL && copy_from_user(t, &ev, ARG(3), sizeof(ev)))
		return -EFAULT;
	long r;
	struct file *epf = fget_or(t, (int)ARG(0), &r);
	if (!epf)
		return r;
	struct file *f = fget_or(t, fd, &r);
	if (!f) {
		file_put(epf);
		return r;
	}
	r = epoll_ctl_file(t, epf, op, fd, f, &ev);
	file_put(f);
	file_put(epf);
	return r;
}

static long do_epoll_wait(struct task *t, int epfd, uint64_t uev, int max)
{
	if (max <= 0 || max > (int)(INT32_MAX / sizeof(struct epoll_event)))
		return -EINVAL;
	struct file *epf = fd_get(t, epfd);
	if (!epf)
		return -EBADF;
	if (!is_epoll_file(epf)) {
		file_put(epf);
		return -EINVAL;
	}
	/* No more events than watched descriptors can be ready. */
	int nitems = epoll_nitems(epf);
	int cap = max < nitems ? max : nitems > 0 ? nitems : 1;
	struct epoll_event *ev = malloc((size_t)cap * sizeof(*ev));
	if (!ev) {
		file_put(epf);
		return -ENOMEM;
	}
	int n = epoll_collect(t, epf, ev, cap);
	long r;
	if (n > 0) {
		r = copy_to_user(t, uev, ev, (size_t)n * sizeof(*ev)) ? -EFAULT : n;
	} else if ((t->sc.u[0] && t->sc.deadline == 0) || expired(t)) {
		r = 0;
	} else {
		int e = task_wait(t, epoll_waitq(epf), 0);
		if (!e && t->sc.u[0])
			task_wait_until(t, t->sc.deadline);
		t->sc.intr = -EINTR; /* epoll_wait is never restarted */
		r = e ? e : -EPARK;
	}
	free(ev);
	file_put(epf);
	return r;
}

static void epoll_timeout_ms(struct task *t, int ms)
{
	if (t->sc.rerun == 0 && ms >= 0) {
		t->sc.u[0] = 1;
		t->sc.deadline = ms ? kclock_mono() + (uint64_t)ms * 1000000ull : 0;
	}
}

SYSCALL(epoll_wait)
{
	epoll_timeout_ms(t, (int)ARG(3));
	return do_epoll_wait(t, (int)ARG(0), ARG(1), (int)ARG(2));
}

SYSCALL(epoll_pwait)
{
	if (t->sc.rerun == 0 && ARG(4)) {
		ksigset_t m;
		long e = read_sigmask_arg(t, ARG(4), ARG(5), &m);
		if (e)
			return e;
		set_temp_mask(t, m);
	}
	epoll_timeout_ms(t, (int)ARG(3));
	return do_epoll_wait(t, (int)ARG(0), ARG(1), (int)ARG(2));
}

SYSCALL(epoll_pwait2)
{
	if (t->sc.rerun == 0) {
		long e = timeout_ts(t, ARG(3));
		if (e)
			return e;
		if (ARG(4)) {
			ksigset_t m;
			e = read_sigmask_arg(t, ARG(4), ARG(5), &m);
			if (e)
				return e;
			set_temp_mask(t, m);
		}
	}
	return do_epoll_wait(t, (int)ARG(0), ARG(1), (int)ARG(2));
}
