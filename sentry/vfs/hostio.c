/*
 * Host file descriptors passed through to the sandbox: moat's stdin,
 * stdout and stderr.
 *
 * Each is wrapped in a file whose reads and writes go to the host fd
 * without ever blocking the sentry: pipes and terminals are reopened
 * (/proc/self/fd/N, a private open file description) and switched to
 * O_NONBLOCK, and registered edge-triggered with the event loop, whose
 * callback wakes the file's wait queue. Regular files stay as they are
 * (shared offset with the caller, as a shell redirection expects).
 *
 * A terminal becomes the sandbox's console: the controlling terminal of
 * the first session. Termios and window-size ioctls go to the host
 * terminal; everything about process groups (TIOCSPGRP, TIOCGPGRP,
 * TIOCSCTTY, job-control signals SIGTTIN/SIGTTOU) is virtual, since the
 * host terminal's foreground group is moat itself. Keys that generate
 * signals (^C, ^Z, ^\) make the host send them to moat, which forwards them
 * to the console's foreground group (sandbox.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "ns/loop.h"

/* termios2 ioctls (<asm/termbits.h> clashes with <termios.h>): the kernel
 * structs are 36 (termios) and 44 (termios2) bytes. */
#define KTERMIOS_SIZE 36
#define KTERMIOS2_SIZE 44
#undef TCGETS2
#undef TCSETS2
#undef TCSETSW2
#undef TCSETSF2
#define TCGETS2 0x802c542aU
#define TCSETS2 0x402c542bU
#define TCSETSW2 0x402c542cU
#define TCSETSF2 0x402c542dU
#include "vfs.h"
#include "../../platform/hostproc.h"
#include "../kernel/kernel.h"

enum hio_kind { HIO_TTY, HIO_PIPE, HIO_SOCK, HIO_FILE, HIO_OTHER };

struct console {
	pid_t fg_pgrp;
	pid_t sid;
};

struct hostio {
	uint32_t ref;
	int fd;
	enum hio_kind kind;
	ino_t host_ino;	/* for /proc/<pid>/fd names */
	int polled; /* registered with the loop */
	struct waitq wq;
	struct kernel *k;
	struct console *con;
};

/* Host terminals in use: one hostio (and one console: its session and
 * foreground group) per terminal, whichever fds it came in on. The first
 * attached is init's (moat's own terminal); processes started from outside
 * with a terminal (docker exec -t) bring theirs. */
#define MAX_TTYS 16
static struct hostio *ttys[MAX_TTYS];
static dev_t tty_rdev[MAX_TTYS];
static int ntty;
static struct console *primary_console;

static void hio_ready(int fd, uint32_t events, void *arg)
{
	(void)fd;
	struct hostio *h = arg;
	uint32_t m = 0;
	if (events & (EPOLLIN | EPOLLRDHUP))
		m |= POLLIN | POLLRDNORM;
	if (events & EPOLLOUT)
		m |= POLLOUT | POLLWRNORM;
	if (events & EPOLLHUP)
		m |= POLLHUP | POLLIN;
	if (events & EPOLLERR)
		m |= POLLERR;
	waitq_wake(&h->wq, m);
}

static void hio_put(struct hostio *h)
{
	if (--h->ref)
		return;
	for (int i = 0; i < ntty; i++) {
		if (ttys[i] == h) {
			ntty--;
			ttys[i] = ttys[ntty];
			tty_rdev[i] = tty_rdev[ntty];
		}
	}
	if (h->con) {
		if (h->con == primary_console)
			primary_console = NULL;
		free(h->con);
	}
	if (h->polled)
		ns_loop_del_fd(h->k->loop, h->fd);
	waitq_destroy(&h->wq, POLLHUP);
	close(h->fd);
	free(h);
}

static int tty_bg_check(struct hostio *h, struct task *t, int sig)
{
	/* tty job control: a background process group touching its
	 * controlling terminal gets SIGTTIN/SIGTTOU (termios(3)). */
	if (!t || h->kind != HIO_TTY || !h->con)
		return 0;
	struct thread_group *tg = t->tg;
	if (tg->sid != h->con->sid || tg->pgid == h->con->fg_pgrp)
		return 0;
	if (sig == SIGTTOU) {
		struct termios tio;
		if (tcgetattr(h->fd, &tio) == 0 && !(tio.c_lflag & TOSTOP))
			return 0;
	}
	return tty_bg_signal(t, sig);
}

static ssize_t hio_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	struct hostio *h = f->priv;
	int e = tty_bg_check(h, t, SIGTTIN);
	if (e)
		return e;
	ssize_t n;
	if (h->kind == HIO_FILE && pos != &f->pos) {
		n = pread(h->fd, buf, len, (off_t)*pos); /* pread(2) */
		if (n > 0)
			*pos += (uint64_t)n;
	} else if (h->kind == HIO_SOCK) {
		n = recv(h->fd, buf, len, MSG_DONTWAIT);
	} else {
		n = read(h->fd, buf, len);
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		return -errno;
	}
	return n;
}

static ssize_t hio_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	struct hostio *h = f->priv;
	int e = tty_bg_check(h, t, SIGTTOU);
	if (e)
		return e;
	ssize_t n;
	if (h->kind == HIO_FILE && pos != &f->pos) {
		n = pwrite(h->fd, buf, len, (off_t)*pos); /* pwrite(2) */
		if (n > 0)
			*pos += (uint64_t)n;
	} else if (h->kind == HIO_SOCK) {
		n = send(h->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else {
		n = write(h->fd, buf, len);
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		return -errno;
	}
	return n;
}

static uint32_t hio_poll(struct file *f, struct task *t)
{
	(void)t;
	struct hostio *h = f->priv;
	if (!h->polled)
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	struct pollfd p = { h->fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
	if (poll(&p, 1, 0) < 0)
		return POLLERR;
	uint32_t m = (uint32_t)p.revents;
	if (!(f->fmode & FMODE_READ))
		m &= ~(uint32_t)(POLLIN | POLLRDNORM | POLLRDHUP);
	if (!(f->fmode & FMODE_WRITE))
		m &= ~(uint32_t)(POLLOUT | POLLWRNORM);
	return m;
}

static struct waitq *hio_waitq(struct file *f, struct task *t)
{
	(void)t;
	struct hostio *h = f->priv;
	return h->polled ? &h->wq : NULL;
}

static int copy_ioctl(struct task *t, int fd, unsigned long cmd, uint64_t arg, size_t sz, int in, int out)
{
	char buf[64];
	if (sz > sizeof(buf))
		return -EINVAL;
	if (in && copy_from_user(t, buf, arg, sz))
		return -EFAULT;
	if (ioctl(fd, cmd, buf) < 0)
		return -errno;
	if (out && copy_to_user(t, arg, buf, sz))
		return -EFAULT;
	return 0;
}

static long tty_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct hostio *h = f->priv;
	struct console *con = h->con;
	int is_ctty = con && t->tg->tty && t->tg->tty->priv == h && t->tg->sid == con->sid;
	switch (cmd) {
	case TCGETS:
		return copy_ioctl(t, h->fd, cmd, arg, KTERMIOS_SIZE, 0, 1);
	case TCGETS2:
		return copy_ioctl(t, h->fd, cmd, arg, KTERMIOS2_SIZE, 0, 1);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TCSETS2:
	case TCSETSW2:
	case TCSETSF2: {
		int e = tty_bg_check(h, t, SIGTTOU);
		if (e)
			return e;
		size_t sz = (cmd == TCSETS || cmd == TCSETSW || cmd == TCSETSF) ? KTERMIOS_SIZE : KTERMIOS2_SIZE;
		return copy_ioctl(t, h->fd, cmd, arg, sz, 1, 0);
	}
	case TIOCGWINSZ:
		return copy_ioctl(t, h->fd, cmd, arg, sizeof(struct winsize), 0, 1);
	case TIOCSWINSZ:
		return copy_ioctl(t, h->fd, cmd, arg, sizeof(struct winsize), 1, 0);
	case TCFLSH:
	case TCXONC:
	case TCSBRK:
	case TCSBRKP:
		if (ioctl(h->fd, cmd, (int)arg) < 0)
			return -errno;
		return 0;
	case TIOCINQ:
	case TIOCOUTQ:
		return copy_ioctl(t, h->fd, cmd, arg, sizeof(int), 0, 1);
	case TIOCGPGRP:
		if (!con || !is_ctty)
			return -ENOTTY;
		return copy_to_user(t, arg, &con->fg_pgrp, sizeof(pid_t)) ? -EFAULT : 0;
	case TIOCSPGRP: {
		if (!con || !is_ctty)
			return -ENOTTY;
		int e = tty_bg_check(h, t, SIGTTOU);
		if (e == -ERESTARTSYS)
			return e;
		return tty_set_fg_pgrp(t, arg, con->sid, &con->fg_pgrp);
	}
	case TIOCGSID:
		if (!con || !is_ctty)
			return -ENOTTY;
		return copy_to_user(t, arg, &con->sid, sizeof(pid_t)) ? -EFAULT : 0;
	case TIOCSCTTY:
		if (!con)
			return -EPERM;
		if (t->tg->sid != t->tg->tgid)
			return -EPERM; /* not a session leader */
		if (t->tg->tty)
			return t->tg->tty->priv == h ? 0 : -EPERM;
		con->sid = t->tg->sid;
		con->fg_pgrp = t->tg->pgid;
		t->tg->tty = file_get(f);
		return 0;
	case TIOCNOTTY:
		if (!is_ctty)
			return -ENOTTY;
		file_put(t->tg->tty);
		t->tg->tty = NULL;
		return 0;
	case TIOCSTI:
	case TIOCCONS:
		return -EPERM; /* never inject into the host terminal */
	case TIOCGPTN:
	case TIOCSPTLCK:
		return -ENOTTY;
	case TIOCGEXCL:
	case TIOCEXCL:
	case TIOCNXCL:
		if (cmd == TIOCGEXCL) {
			int v = 0;
			return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
		}
		return 0;
	default:
		return -ENOTTY;
	}
}

static long hio_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct hostio *h = f->priv;
	if (h->kind == HIO_TTY)
		return tty_ioctl(f, t, cmd, arg);
	if (cmd == FIONREAD && (h->kind == HIO_PIPE || h->kind == HIO_SOCK))
		return copy_ioctl(t, h->fd, cmd, arg, sizeof(int), 0, 1);
	return -ENOTTY;
}

static int64_t hio_llseek(struct file *f, int64_t off, int whence)
{
	struct hostio *h = f->priv;
	if (h->kind != HIO_FILE)
		return -ESPIPE;
	off_t r = lseek(h->fd, (off_t)off, whence);
	if (r < 0)
		return -errno;
	f->pos = (uint64_t)r;
	return r;
}

static void hio_release(struct file *f)
{
	hio_put(f->priv);
}

/* What /proc/<pid>/fd shows, as Linux would for moat's own descriptor:
 * pipe:[ino], socket:[ino], or the path of a redirected file. */
static int hio_name(struct file *f, char *buf, size_t len)
{
	struct hostio *h = f->priv;
	switch (h->kind) {
	case HIO_PIPE:
		return snprintf(buf, len, "pipe:[%llu]", (unsigned long long)h->host_ino);
	case HIO_SOCK:
		return snprintf(buf, len, "socket:[%llu]", (unsigned long long)h->host_ino);
	default: {
		char p[64];
		snprintf(p, sizeof(p), "self/fd/%d", h->fd);
		ssize_t n = len ? hostproc_readlink(p, buf, len - 1) : -1;
		if (n < 0)
			return snprintf(buf, len, "anon_inode:[%llu]", (unsigned long long)h->host_ino);
		buf[n] = 0;
		return (int)n;
	}
	}
}

static const struct file_ops hostio_ops = {
	.name = hio_name,
	.read = hio_read,
	.write = hio_write,
	.poll = hio_poll,
	.waitq = hio_waitq,
	.ioctl = hio_ioctl,
	.llseek = hio_llseek,
	.release = hio_release,
};

static mode_t kind_mode(enum hio_kind k, mode_t host)
{
	switch (k) {
	case HIO_TTY:
		return S_IFCHR | 0620;
	case HIO_PIPE:
		return S_IFIFO | 0600;
	case HIO_SOCK:
		return S_IFSOCK | 0777;
	default:
		return host;
	}
}

/*
 * Wrap host fd `hostfd` (not owned; it is reopened or duplicated) as a
 * sandbox file opened with access mode `acc`. Regular files keep the host's
 * open file description (a duplicate), so their offset is shared with the
 * outside, as a redirection expects.
 */
int hostio_file(struct kernel *k, int hostfd, int acc, struct file **out);
int hostio_file(struct kernel *k, int hostfd, int acc, struct file **out)
{
	struct stat st;
	if (fstat(hostfd, &st) < 0)
		return -errno;
	/* stdin, stdout and stderr on the same terminal share one hostio: one
	 * terminal, one console (job control asks any of them). */
	if (isatty(hostfd)) {
		for (int i = 0; i < ntty; i++) {
			if (tty_rdev[i] == st.st_rdev && ttys[i]->ref) {
				struct file *f = file_anon(k->vfs, &hostio_ops, (unsigned)acc, ttys[i],
							   S_IFCHR | 0620);
				if (!f)
					return -ENOMEM;
				ttys[i]->ref++;
				f->fmode |= FMODE_STREAM;
				*out = f;
				return 0;
			}
		}
	}
	struct hostio *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->ref = 1;
	h->k = k;
	h->host_ino = st.st_ino;
	waitq_init(&h->wq);
	if (isatty(hostfd))
		h->kind = HIO_TTY;
	else if (S_ISFIFO(st.st_mode))
		h->kind = HIO_PIPE;
	else if (S_ISSOCK(st.st_mode))
		h->kind = HIO_SOCK;
	else if (S_ISREG(st.st_mode))
		h->kind = HIO_FILE;
	else
		h->kind = HIO_OTHER;
	int fd = -1;
	if (h->kind == HIO_TTY || h->kind == HIO_PIPE) {
		/* A private open file description we may make non-blocking
		 * without touching the caller's. */
		char p[64];
		snprintf(p, sizeof(p), "self/fd/%d", hostfd);
		int mode = acc == O_RDONLY ? O_RDONLY : acc == O_WRONLY ? O_WRONLY : O_RDWR;
		if (h->kind == HIO_TTY)
			mode = O_RDWR; /* it may become /dev/tty */
		fd = hostproc_open(p, mode | O_NONBLOCK | O_NOCTTY);
		if (fd < 0 && h->kind == HIO_TTY)
			fd = hostproc_open(p, (acc == O_WRONLY ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_NOCTTY);
	}
	if (fd < 0)
		fd = fcntl(hostfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		int e = -errno;
		free(h);
		return e;
	}
	h->fd = fd;
	if (h->kind != HIO_FILE && h->kind != HIO_OTHER) {
		if (ns_loop_add_fd(k->loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, hio_ready, h) == 0)
			h->polled = 1;
	} else if (h->kind == HIO_OTHER) {
		/* /dev/null and friends never block; a device that could
		 * would be pollable. */
		if (ns_loop_add_fd(k->loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, hio_ready, h) == 0) {
			h->polled = 1;
			int fl = fcntl(fd, F_GETFL);
			if (fl >= 0 && fd != hostfd)
				fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		}
	}
	if (h->kind == HIO_TTY) {
		h->con = calloc(1, sizeof(*h->con));
		if (!h->con) {
			hio_put(h);
			return -ENOMEM;
		}
		if (ntty < MAX_TTYS) {
			ttys[ntty] = h;
			tty_rdev[ntty++] = st.st_rdev;
		}
	}
	struct file *f = file_anon(k->vfs, &hostio_ops, (unsigned)acc, h, kind_mode(h->kind, st.st_mode));
	if (!f) {
		hio_put(h);
		return -ENOMEM;
	}
	if (h->kind == HIO_FILE) {
		/* read(2)/write(2) use the host file's own offset, shared with
		 * whoever else holds it (a shell's `{ ...; } >file`). */
		f->fmode |= FMODE_PREAD;
		f->fmode &= ~FMODE_STREAM;
		int fl = fcntl(hostfd, F_GETFL);
		if (fl >= 0 && (fl & O_APPEND))
			f->flags |= O_APPEND;
		f->inode->size = (uint64_t)st.st_size;
	}
	*out = f;
	return 0;
}

int hostio_is_tty(struct file *f);
int hostio_is_tty(struct file *f)
{
	return f->ops == &hostio_ops && ((struct hostio *)f->priv)->kind == HIO_TTY;
}

/* A file table whose 0, 1, 2 are host fds hostfd[0..2] (-1 or a closed
 * fd: closed); *console gets the first terminal among them (a
 * reference), or NULL. */
int hostio_stdio(struct kernel *k, const int hostfd[3], struct fdtable **out, struct file **console);
int hostio_stdio(struct kernel *k, const int hostfd[3], struct fdtable **out, struct file **console)
{
	struct fdtable *ft = fdtable_alloc();
	if (!ft)
		return -ENOMEM;
	struct task fake;
	memset(&fake, 0, sizeof(fake));
	fake.files = ft;
	struct thread_group tg;
	memset(&tg, 0, sizeof(tg));
	tg.rlim[RLIMIT_NOFILE].rlim_cur = 1024;
	fake.tg = &tg;
	*console = NULL;
	for (int fd = 0; fd < 3; fd++) {
		int hfd = hostfd[fd];
		int fl = hfd < 0 ? -1 : fcntl(hfd, F_GETFL);
		if (fl < 0)
			continue; /* closed: stays closed in the sandbox */
		/* Descriptors that share one open file (2>&1) share one file
		 * in the sandbox too: one offset, one set of flags. */
		int shared = -1;
		for (int o = 0; o < fd && shared < 0; o++)
			if (ft->fds[o].file &&
			    syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, hostfd[o], hfd) == 0)
				shared = o;
		if (shared >= 0) {
			fd_install_at(&fake, fd, ft->fds[shared].file, 0);
			continue;
		}
		struct file *f;
		int e = hostio_file(k, hfd, fl & O_ACCMODE, &f);
		if (e) {
			fdtable_put(ft);
			if (*console)
				file_put(*console);
			*console = NULL;
			return e;
		}
		fd_install_at(&fake, fd, f, 0);
		if (!*console && hostio_is_tty(f))
			*console = file_get(f);
		file_put(f);
	}
	*out = ft;
	return 0;
}

/* The host terminals among 0, 1, 2 of ft answer to /dev/console
 * (ttyname(3) reads the link of /proc/self/fd/N). */
void hostio_name_console(struct kernel *k, struct fdtable *ft);
void hostio_name_console(struct kernel *k, struct fdtable *ft)
{
	struct path root = { k->vfs->init.root, k->vfs->init.root->root };
	struct fs_ctx fs = { 1, root, root, 022 };
	struct task fake;
	task_fake_init(&fake, k, &fs);
	struct nameidata cnd;
	if (namei_at(&fake, &root, "/dev/console", 0, &cnd) != 0)
		return;
	for (int fd = 0; fd < 3 && fd < ft->size; fd++) {
		struct file *f = ft->fds[fd].file;
		if (f && hostio_is_tty(f) && !f->path.dentry) {
			f->path = cnd.path;
			path_get(&f->path);
			inode_put(f->inode);
			f->inode = inode_get(cnd.path.dentry->inode);
		}
	}
	path_put(&cnd.path);
}

/* Make f (a terminal) the controlling terminal of session sid. */
void console_attach(struct thread_group *tg, struct file *f);
void console_attach(struct thread_group *tg, struct file *f)
{
	struct hostio *h = f->priv;
	if (!h->con)
		return;
	h->con->sid = tg->sid;
	h->con->fg_pgrp = tg->pgid;
	if (!primary_console)
		primary_console = h->con;
	if (tg->tty)
		file_put(tg->tty);
	tg->tty = file_get(f);
}

pid_t console_fg_pgrp(void);
pid_t console_fg_pgrp(void)
{
	return primary_console ? primary_console->fg_pgrp : 0;
}

/* The foreground process group of terminal tty (a hostio one), or 0. */
pid_t console_fg_pgrp_of(struct file *tty);
pid_t console_fg_pgrp_of(struct file *tty)
{
	if (!tty || tty->ops != &hostio_ops)
		return 0;
	struct hostio *h = tty->priv;
	return h->con ? h->con->fg_pgrp : 0;
}

int pty_reopen(struct file *tty, struct file *f);

int console_open(struct task *t, struct file *f)
{
	struct file *tty = t ? t->tg->tty : NULL;
	if (!tty)
		return -ENXIO;
	if (tty->ops != &hostio_ops)
		return pty_reopen(tty, f);
	struct hostio *h = tty->priv;
	h->ref++;
	f->priv = h;
	f->ops = &hostio_ops;
	f->fmode |= FMODE_STREAM;
	return 0;
}
