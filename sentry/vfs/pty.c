/*
 * Pseudo-terminals inside the sandbox: /dev/ptmx and /dev/pts/N (pty(7)),
 * with the sentry's own line discipline.
 *
 * A pty is two byte queues. Bytes written to the master go through input
 * processing (termios c_iflag, the ISIG characters, canonical line editing
 * with ECHO) into the slave's input queue; bytes written to the slave go
 * through output processing (OPOST/ONLCR) into the master's queue, where
 * echo goes too. In canonical mode the slave reads at most one line at a
 * time; the queue remembers where each delivered line ends (a line ended
 * by VEOF has no newline; an empty one is end of file).
 *
 * Job control is the same as on the console (hostio.c): the pty keeps its
 * session and foreground process group; a session's controlling terminal
 * (thread_group.tty) is a separate reference file (ctty_ops) that does not
 * count as an open of the slave, so the master reads EIO once every slave
 * descriptor is closed even while the session lives on; SIGINT/SIGQUIT/SIGTSTP from the
 * special characters and SIGWINCH from TIOCSWINSZ go to that group, and a
 * background reader or (with TOSTOP) writer gets SIGTTIN/SIGTTOU. Closing
 * the master hangs the slave up: SIGHUP and SIGCONT to its session,
 * reads return end of file and writes EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "vfs.h"
#include "../kernel/kernel.h"

#define ENOIOCTLCMD 515 /* internal: not a termios ioctl */
#define PTY_MAX 256
#define QSIZE 16384
#define LINE_MAX_ 4095
#define NLINES 512

/* The kernel's struct termios (36 bytes); glibc's is bigger. */
struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
};
_Static_assert(sizeof(struct ktermios) == 36, "kernel termios");

/* c_cc indexes of the kernel ABI */
enum { K_VINTR = 0, K_VQUIT = 1, K_VERASE = 2, K_VKILL = 3, K_VEOF = 4, K_VTIME = 5, K_VMIN = 6,
       K_VSTART = 8, K_VSTOP = 9, K_VSUSP = 10, K_VEOL = 11, K_VREPRINT = 12, K_VWERASE = 14,
       K_VLNEXT = 15, K_VEOL2 = 16 };

struct ring {
	char buf[QSIZE];
	uint64_t rd, wr; /* absolute positions */
};

static size_t ring_len(const struct ring *r)
{
	return (size_t)(r->wr - r->rd);
}

static size_t ring_room(const struct ring *r)
{
	return QSIZE - ring_len(r);
}

static void ring_put(struct ring *r, char c)
{
	if (ring_room(r))
		r->buf[r->wr++ % QSIZE] = c;
}

static size_t ring_get(struct ring *r, char *out, size_t n)
{
	size_t k = 0;
	while (k < n && r->rd < r->wr)
		out[k++] = r->buf[r->rd++ % QSIZE];
	return k;
}

struct pty {
	int index;
	int master_open;
	int slave_opens;
	int ctty_refs;	     /* sessions' controlling-terminal references */
	int slave_ever;
	int locked;
	int hung_up;
	struct ktermios tio;
	struct winsize ws;
	struct ring in;	     /* to the slave */
	struct ring out;     /* to the master */
	char line[LINE_MAX_ + 1];
	size_t linelen;
	uint64_t ends[NLINES]; /* canonical: absolute end of each line in `in` */
	unsigned nends, endhead;
	pid_t fg_pgrp, sid;
	struct waitq wq;
	struct kernel *k;
	struct dentry *node; /* /dev/pts/N */
};

static struct pty *ptys[PTY_MAX];
static struct dentry *pts_dir;
static struct vfs *pts_vfs;

static const struct file_ops master_ops, slave_ops, ctty_ops;
static int ctty_attach(struct pty *p, struct task *t);

/* ---- line discipline ---- */

static void out_raw(struct pty *p, char c)
{
	ring_put(&p->out, c);
}

/* Output processing (slave writes and echo). */
static void out_char(struct pty *p, char c)
{
	if (p->tio.c_oflag & OPOST) {
		if (c == '\n' && (p->tio.c_oflag & ONLCR)) {
			out_raw(p, '\r');
			out_raw(p, '\n');
			return;
		}
		if (c == '\r' && (p->tio.c_oflag & OCRNL)) {
			out_raw(p, '\n');
			return;
		}
	}
	out_raw(p, c);
}

static void echo_char(struct pty *p, char c)
{
	if (!(p->tio.c_lflag & ECHO)) {
		if (c == '\n' && (p->tio.c_lflag & ECHONL) && (p->tio.c_lflag & ICANON))
			out_char(p, '\n');
		return;
	}
	unsigned char u = (unsigned char)c;
	if ((p->tio.c_lflag & ECHOCTL) && (u < 32 || u == 127) && c != '\n' && c != '\t') {
		out_raw(p, '^');
		out_raw(p, u == 127 ? '?' : (char)(u + 64));
		return;
	}
	out_char(p, c);
}

static void deliver_line(struct pty *p, int with_char, char c)
{
	for (size_t i = 0; i < p->linelen; i++)
		ring_put(&p->in, p->line[i]);
	if (with_char)
		ring_put(&p->in, c);
	p->linelen = 0;
	if (p->nends < NLINES) {
		p->ends[(p->endhead + p->nends) % NLINES] = p->in.wr;
		p->nends++;
	}
}

static void erase_chars(struct pty *p, size_t n)
{
	while (n-- && p->linelen) {
		p->linelen--;
		if ((p->tio.c_lflag & ECHO) && (p->tio.c_lflag & ECHOE)) {
			out_raw(p, '\b');
			out_raw(p, ' ');
			out_raw(p, '\b');
		}
	}
}

static void pty_signal(struct pty *p, int sig)
{
	if (p->fg_pgrp <= 0 || !p->k)
		return;
	siginfo_t si;
	siginfo_kernel(&si, sig, SI_KERNEL);
	kill_pgrp(p->k, p->fg_pgrp, sig, &si);
}

/* Input processing of one byte written to the master. 0: consumed;
 * -EAGAIN: no room. */
static int in_char(struct pty *p, char c)
{
	struct ktermios *t = &p->tio;
	if (t->c_iflag & ISTRIP)
		c &= 0x7f;
	if (c == '\r') {
		if (t->c_iflag & IGNCR)
			return 0;
		if (t->c_iflag & ICRNL)
			c = '\n';
	} else if (c == '\n' && (t->c_iflag & INLCR)) {
		c = '\r';
	}
	if (t->c_lflag & ISIG) {
		int sig = 0;
		if (c == (char)t->c_cc[K_VINTR] && t->c_cc[K_VINTR])
			sig = SIGINT;
		else if (c == (char)t->c_cc[K_VQUIT] && t->c_cc[K_VQUIT])
			sig = SIGQUIT;
		else if (c == (char)t->c_cc[K_VSUSP] && t->c_cc[K_VSUSP])
			sig = SIGTSTP;
		if (sig) {
			if (!(t->c_lflag & NOFLSH)) {
				p->in.rd = p->in.wr;
				p->linelen = 0;
				p->nends = 0;
			}
			echo_char(p, c);
			pty_signal(p, sig);
			return 0;
		}
	}
	if (t->c_lflag & ICANON) {
		if (c == (char)t->c_cc[K_VERASE] && t->c_cc[K_VERASE]) {
			erase_chars(p, 1);
			return 0;
		}
		if (c == (char)t->c_cc[K_VKILL] && t->c_cc[K_VKILL]) {
			erase_chars(p, p->linelen);
			return 0;
		}
		if ((t->c_lflag & IEXTEN) && c == (char)t->c_cc[K_VWERASE] && t->c_cc[K_VWERASE]) {
			while (p->linelen && p->line[p->linelen - 1] == ' ')
				erase_chars(p, 1);
			while (p->linelen && p->line[p->linelen - 1] != ' ')
				erase_chars(p, 1);
			return 0;
		}
		if (c == (char)t->c_cc[K_VEOF] && t->c_cc[K_VEOF]) {
			if (ring_room(&p->in) < p->linelen)
				return -EAGAIN;
			deliver_line(p, 0, 0);
			return 0;
		}
		int eol = c == '\n' || (c == (char)t->c_cc[K_VEOL] && t->c_cc[K_VEOL]) ||
			  ((t->c_lflag & IEXTEN) && c == (char)t->c_cc[K_VEOL2] && t->c_cc[K_VEOL2]);
		if (eol) {
			if (ring_room(&p->in) < p->linelen + 1)
				return -EAGAIN;
			echo_char(p, c);
			deliver_line(p, 1, c);
			return 0;
		}
		if (p->linelen >= LINE_MAX_)
			return 0; /* the line is full: drop, as N_TTY does */
		p->line[p->linelen++] = c;
		echo_char(p, c);
		return 0;
	}
	if (!ring_room(&p->in))
		return -EAGAIN;
	ring_put(&p->in, c);
	echo_char(p, c);
	return 0;
}

/* Switching out of canonical mode makes the edited line readable. */
static void canon_changed(struct pty *p, int was_canon)
{
	if (was_canon && !(p->tio.c_lflag & ICANON)) {
		for (size_t i = 0; i < p->linelen; i++)
			ring_put(&p->in, p->line[i]);
		p->linelen = 0;
		p->nends = 0;
	}
}

/* ---- objects ---- */

static void pty_free(struct pty *p)
{
	if (p->master_open || p->slave_opens || p->ctty_refs)
		return;
	ptys[p->index] = NULL;
	if (p->node && pts_dir) {
		/* forget /dev/pts/N */
		struct dentry *d = p->node;
		if (d->flags & D_HASHED) {
			if (d->inode)
				d->inode->nlink = 0;
			d->flags |= D_DELETED;
			dcache_remove(pts_vfs, d);
		}
		dentry_put(d);
	}
	waitq_destroy(&p->wq, POLLHUP);
	free(p);
}

static void default_termios(struct ktermios *t)
{
	memset(t, 0, sizeof(*t));
	t->c_iflag = ICRNL | IXON | IUTF8;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = B38400 | CS8 | CREAD | HUPCL;
	t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	static const uint8_t cc[19] = { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0 };
	memcpy(t->c_cc, cc, sizeof(cc));
}

int pty_init_devpts(struct vfs *v, struct dentry *dir);
int pty_init_devpts(struct vfs *v, struct dentry *dir)
{
	pts_vfs = v;
	pts_dir = dentry_get(dir);
	return 0;
}

struct dentry *pty_devpts_dir(void)
{
	return pts_dir;
}

static int make_node(struct pty *p)
{
	if (!pts_dir)
		return 0;
	char name[16];
	snprintf(name, sizeof(name), "%d", p->index);
	struct inode *di = pts_dir->inode;
	struct dentry *d = dentry_alloc(pts_dir, name, strlen(name));
	if (!d)
		return -ENOMEM;
	int e = di->iops->create(di, d, S_IFCHR | 0620, makedev(136, (unsigned)p->index));
	if (e) {
		dentry_put(d);
		return e;
	}
	p->node = d;
	return 0;
}

/* ---- job control helpers ---- */

static int is_ctty(struct pty *p, struct task *t)
{
	return t && t->tg->tty && t->tg->tty->ops == &ctty_ops && t->tg->tty->priv == p &&
	       t->tg->sid == p->sid;
}

static int bg_check(struct pty *p, struct task *t, int sig)
{
	if (!is_ctty(p, t) || t->tg->pgid == p->fg_pgrp)
		return 0;
	if (sig == SIGTTOU && !(p->tio.c_lflag & TOSTOP))
		return 0;
	return tty_bg_signal(t, sig);
}

/* ---- master ---- */

static ssize_t m_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)t, (void)pos;
	struct pty *p = f->priv;
	size_t n = ring_get(&p->out, buf, len);
	if (n) {
		waitq_wake(&p->wq, POLLOUT);
		return (ssize_t)n;
	}
	if (p->slave_ever && !p->slave_opens)
		return -EIO;
	return -EAGAIN;
}

static ssize_t m_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)t, (void)pos;
	struct pty *p = f->priv;
	const char *c = buf;
	size_t done = 0;
	uint64_t out_before = p->out.wr;
	while (done < len) {
		if (in_char(p, c[done]) < 0)
			break;
		done++;
	}
	if (done)
		waitq_wake(&p->wq, POLLIN);
	else if (p->out.wr != out_before)
		waitq_wake(&p->wq, POLLIN);
	return done ? (ssize_t)done : -EAGAIN;
}

static uint32_t m_poll(struct file *f, struct task *t)
{
	(void)t;
	struct pty *p = f->priv;
	uint32_t m = 0;
	if (ring_len(&p->out))
		m |= POLLIN | POLLRDNORM;
	if (ring_room(&p->in) > 0)
		m |= POLLOUT | POLLWRNORM;
	if (p->slave_ever && !p->slave_opens)
		m |= POLLHUP | POLLIN;
	return m;
}

static struct waitq *pty_waitq(struct file *f, struct task *t)
{
	(void)t;
	return &((struct pty *)f->priv)->wq;
}

static long termios_ioctl(struct pty *p, struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	switch (cmd) {
	case TCGETS:
		return copy_to_user(t, arg, &p->tio, sizeof(p->tio)) ? -EFAULT : 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF: {
		if (f->ops == &slave_ops) {
			int e = bg_check(p, t, SIGTTOU);
			if (e == -ERESTARTSYS)
				return e;
		}
		struct ktermios nt;
		if (copy_from_user(t, &nt, arg, sizeof(nt)))
			return -EFAULT;
		int was = (p->tio.c_lflag & ICANON) != 0;
		p->tio = nt;
		if (cmd == TCSETSF) {
			p->in.rd = p->in.wr;
			p->linelen = 0;
			p->nends = 0;
		}
		canon_changed(p, was);
		waitq_wake(&p->wq, POLLIN | POLLOUT);
		return 0;
	}
	case TIOCGWINSZ:
		return copy_to_user(t, arg, &p->ws, sizeof(p->ws)) ? -EFAULT : 0;
	case TIOCSWINSZ: {
		struct winsize ws;
		if (copy_from_user(t, &ws, arg, sizeof(ws)))
			return -EFAULT;
		int changed = memcmp(&ws, &p->ws, sizeof(ws)) != 0;
		p->ws = ws;
		if (changed)
			pty_signal(p, SIGWINCH);
		return 0;
	}
	case TCFLSH:
		if (arg == TCIFLUSH || arg == TCIOFLUSH) {
			p->in.rd = p->in.wr;
			p->linelen = 0;
			p->nends = 0;
		}
		if (arg == TCOFLUSH || arg == TCIOFLUSH)
			p->out.rd = p->out.wr;
		return arg > TCIOFLUSH ? -EINVAL : 0;
	case TCXONC:
	case TCSBRK:
	case TCSBRKP:
		return 0;
	default:
		return -ENOIOCTLCMD;
	}
}

static int slave_open_file(struct pty *p, struct file *f);

static long m_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct pty *p = f->priv;
	int v;
	switch (cmd) {
	case TIOCGPTN:
		v = p->index;
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	case TIOCSPTLCK:
		if (copy_from_user(t, &v, arg, sizeof(v)))
			return -EFAULT;
		p->locked = v != 0;
		return 0;
	case TIOCGPTLCK:
		v = p->locked;
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	case FIONREAD:
		v = (int)ring_len(&p->out);
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	case TIOCGPTPEER: {
		struct file *sf = file_alloc(NULL, (unsigned)(arg & (O_ACCMODE | O_NONBLOCK | O_CLOEXEC)) & ~O_CLOEXEC,
					     NULL);
		if (!sf)
			return -ENOMEM;
		if (p->node) {
			sf->path.mnt = mount_get(f->path.mnt);
			sf->path.dentry = dentry_get(p->node);
			sf->inode = inode_get(p->node->inode);
		}
		int e = slave_open_file(p, sf);
		if (e) {
			file_put(sf);
			return e;
		}
		int fd = fd_install(t, sf, (arg & O_CLOEXEC) != 0, 0);
		file_put(sf);
		return fd;
	}
	case TIOCPKT:
		if (copy_from_user(t, &v, arg, sizeof(v)))
			return -EFAULT;
		return v ? -EINVAL : 0; /* packet mode is not supported */
	case TIOCSIG:
		if (arg < 1 || arg > 64)
			return -EINVAL;
		pty_signal(p, (int)arg);
		return 0;
	default: {
		long r = termios_ioctl(p, f, t, cmd, arg);
		return r == -ENOIOCTLCMD ? -ENOTTY : r;
	}
	}
}

static void m_release(struct file *f)
{
	struct pty *p = f->priv;
	p->master_open = 0;
	if (p->sid > 0 && p->k) {
		/* hang up the slave's session */
		p->hung_up = 1;
		siginfo_t si;
		siginfo_kernel(&si, SIGHUP, SI_KERNEL);
		struct thread_group *leader = tg_lookup(p->k, p->sid);
		if (leader)
			send_signal_tg(leader, SIGHUP, &si);
		if (p->fg_pgrp > 0) {
			kill_pgrp(p->k, p->fg_pgrp, SIGHUP, &si);
			siginfo_kernel(&si, SIGCONT, SI_KERNEL);
			kill_pgrp(p->k, p->fg_pgrp, SIGCONT, &si);
		}
	}
	p->hung_up = 1;
	waitq_wake(&p->wq, POLLIN | POLLOUT | POLLHUP);
	pty_free(p);
}

static int m_name(struct file *f, char *buf, size_t len)
{
	(void)f;
	return snprintf(buf, len, "/dev/ptmx");
}

static const struct file_ops master_ops = {
	.read = m_read,
	.write = m_write,
	.poll = m_poll,
	.waitq = pty_waitq,
	.ioctl = m_ioctl,
	.name = m_name,
	.release = m_release,
};

int pty_master_open(struct file *f, struct task *t);
int pty_master_open(struct file *f, struct task *t)
{
	int idx = -1;
	for (int i = 0; i < PTY_MAX; i++) {
		if (!ptys[i]) {
			idx = i;
			break;
		}
	}
	if (idx < 0)
		return -ENOSPC;
	struct pty *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->index = idx;
	p->master_open = 1;
	p->locked = 1;
	p->k = t ? t->k : NULL;
	default_termios(&p->tio);
	p->ws.ws_row = 24;
	p->ws.ws_col = 80;
	waitq_init(&p->wq);
	ptys[idx] = p;
	int e = make_node(p);
	if (e) {
		ptys[idx] = NULL;
		free(p);
		return e;
	}
	f->priv = p;
	f->ops = &master_ops;
	f->fmode |= FMODE_STREAM;
	f->fmode &= ~FMODE_PREAD;
	return 0;
}

/* ---- slave ---- */

static ssize_t s_read(struct file *f, struct task *t, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct pty *p = f->priv;
	int e = bg_check(p, t, SIGTTIN);
	if (e)
		return e;
	if (p->tio.c_lflag & ICANON) {
		if (!p->nends)
			return p->hung_up ? 0 : -EAGAIN;
		uint64_t end = p->ends[p->endhead];
		size_t avail = (size_t)(end - p->in.rd);
		size_t n = ring_get(&p->in, buf, len < avail ? len : avail);
		if (p->in.rd == end) {
			p->endhead = (p->endhead + 1) % NLINES;
			p->nends--;
		}
		waitq_wake(&p->wq, POLLOUT);
		return (ssize_t)n; /* 0 for a line ended by VEOF alone: end of file */
	}
	size_t n = ring_get(&p->in, buf, len);
	if (n) {
		waitq_wake(&p->wq, POLLOUT);
		return (ssize_t)n;
	}
	if (p->hung_up)
		return 0;
	if (p->tio.c_cc[K_VMIN] == 0 && p->tio.c_cc[K_VTIME] == 0)
		return 0; /* polling read */
	return -EAGAIN;
}

static ssize_t s_write(struct file *f, struct task *t, const void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct pty *p = f->priv;
	if (p->hung_up)
		return -EIO;
	int e = bg_check(p, t, SIGTTOU);
	if (e)
		return e;
	const char *c = buf;
	size_t done = 0;
	while (done < len && ring_room(&p->out) >= 2) {
		out_char(p, c[done]);
		done++;
	}
	if (done)
		waitq_wake(&p->wq, POLLIN);
	return done ? (ssize_t)done : -EAGAIN;
}

static uint32_t s_poll(struct file *f, struct task *t)
{
	(void)t;
	struct pty *p = f->priv;
	uint32_t m = 0;
	if ((p->tio.c_lflag & ICANON) ? p->nends > 0 : ring_len(&p->in) > 0)
		m |= POLLIN | POLLRDNORM;
	if (ring_room(&p->out) >= 2)
		m |= POLLOUT | POLLWRNORM;
	if (p->hung_up)
		m |= POLLHUP | POLLIN;
	return m;
}

static long s_ioctl(struct file *f, struct task *t, unsigned long cmd, uint64_t arg)
{
	struct pty *p = f->priv;
	int v;
	switch (cmd) {
	case TIOCGPGRP:
		if (!is_ctty(p, t))
			return -ENOTTY;
		return copy_to_user(t, arg, &p->fg_pgrp, sizeof(pid_t)) ? -EFAULT : 0;
	case TIOCSPGRP: {
		if (!is_ctty(p, t))
			return -ENOTTY;
		int e = bg_check(p, t, SIGTTOU);
		if (e == -ERESTARTSYS)
			return e;
		return tty_set_fg_pgrp(t, arg, p->sid, &p->fg_pgrp);
	}
	case TIOCGSID:
		if (!is_ctty(p, t))
			return -ENOTTY;
		return copy_to_user(t, arg, &p->sid, sizeof(pid_t)) ? -EFAULT : 0;
	case TIOCSCTTY:
		if (t->tg->sid != t->tg->tgid)
			return -EPERM;
		if (t->tg->tty)
			return t->tg->tty->priv == p ? 0 : -EPERM;
		if (p->sid > 0 && p->sid != t->tg->sid && tg_lookup(t->k, p->sid) && arg != 1)
			return -EPERM; /* another session's terminal */
		if (p->sid > 0 && p->sid != t->tg->sid)
			session_drop_ctty(t->k, p->sid); /* stolen (arg 1, CAP_SYS_ADMIN) */
		return ctty_attach(p, t);
	case TIOCNOTTY:
		if (!is_ctty(p, t))
			return -ENOTTY;
		if (t->tg->sid == t->tg->tgid) { /* the leader: the whole session */
			pty_session_end(t->tg->tty, t->k);
			session_drop_ctty(t->k, t->tg->sid);
		} else {
			file_put(t->tg->tty);
			t->tg->tty = NULL;
		}
		return 0;
	case FIONREAD:
		v = (int)ring_len(&p->in);
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	case TIOCOUTQ:
		v = (int)ring_len(&p->out);
		return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
	case TIOCGPTN:
	case TIOCSPTLCK:
	case TIOCGPTPEER:
		return -ENOTTY;
	case TIOCSTI:
		return -EPERM;
	default: {
		long r = termios_ioctl(p, f, t, cmd, arg);
		return r == -ENOIOCTLCMD ? -ENOTTY : r;
	}
	}
}

static void s_release(struct file *f)
{
	struct pty *p = f->priv;
	p->slave_opens--;
	waitq_wake(&p->wq, POLLIN | POLLHUP);
	pty_free(p);
}

static const struct file_ops slave_ops = {
	.read = s_read,
	.write = s_write,
	.poll = s_poll,
	.waitq = pty_waitq,
	.ioctl = s_ioctl,
	.release = s_release,
};

/* ---- controlling-terminal references ---- */

static void ctty_release(struct file *f)
{
	struct pty *p = f->priv;
	p->ctty_refs--;
	pty_free(p);
}

/* Only identity matters: nothing is read or written through it. */
static const struct file_ops ctty_ops = {
	.release = ctty_release,
};

/* Makes p the controlling terminal of t's session (t leads it). */
static int ctty_attach(struct pty *p, struct task *t)
{
	struct file *ref = file_anon(pts_vfs, &ctty_ops, O_RDWR, p, S_IFCHR | 0620);
	if (!ref)
		return -ENOMEM;
	p->ctty_refs++;
	p->sid = t->tg->sid;
	p->fg_pgrp = t->tg->pgid;
	t->tg->tty = ref;
	return 0;
}

/* The session leader exits (or loses the terminal): like Linux's
 * disassociate_ctty, the foreground group gets SIGHUP and SIGCONT and the
 * terminal belongs to no session any more. */
void pty_session_end(struct file *tty, struct kernel *k)
{
	if (tty->ops != &ctty_ops)
		return;
	struct pty *p = tty->priv;
	if (p->fg_pgrp > 0) {
		siginfo_t si;
		siginfo_kernel(&si, SIGHUP, SI_KERNEL);
		kill_pgrp(k, p->fg_pgrp, SIGHUP, &si);
		siginfo_kernel(&si, SIGCONT, SI_KERNEL);
		kill_pgrp(k, p->fg_pgrp, SIGCONT, &si);
	}
	p->sid = 0;
	p->fg_pgrp = 0;
}

static int slave_open_file(struct pty *p, struct file *f)
{
	if (p->locked)
		return -EIO;
	if (!p->master_open)
		return -EIO;
	p->slave_opens++;
	p->slave_ever = 1;
	f->priv = p;
	f->ops = &slave_ops;
	f->fmode |= FMODE_STREAM;
	f->fmode &= ~FMODE_PREAD;
	return 0;
}

int pty_slave_open(unsigned index, struct file *f, struct task *t);
int pty_slave_open(unsigned index, struct file *f, struct task *t)
{
	if (index >= PTY_MAX || !ptys[index])
		return -EIO;
	struct pty *p = ptys[index];
	int e = slave_open_file(p, f);
	if (e)
		return e;
	/* Opening a terminal without O_NOCTTY makes it the controlling
	 * terminal of a session leader that has none (as Linux). */
	if (t && !(f->flags & O_NOCTTY) && t->tg->sid == t->tg->tgid && !t->tg->tty && p->sid <= 0)
		ctty_attach(p, t); /* no terminal if out of memory, as if O_NOCTTY */
	return 0;
}

/* /dev/tty on a pty: another file on the same slave. */
int pty_reopen(struct file *tty, struct file *f);
int pty_reopen(struct file *tty, struct file *f)
{
	if (tty->ops != &ctty_ops)
		return -ENXIO;
	return slave_open_file(tty->priv, f);
}
