/*
 * --strace: one line per syscall, like strace(1):
 *   [pid N] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   [pid N] read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1024
 * A syscall that parks prints "<unfinished ...>" and its result later as
 * "<... name resumed> = result". Arguments are decoded from the format in
 * the syscall table; strings are read from the task's memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>

#include "syscalls.h"

const char *syscall_name(long nr)
{
	static char buf[32];
	if (nr >= 0 && nr < NR_SYSCALLS && syscall_names[nr])
		return syscall_names[nr];
	snprintf(buf, sizeof(buf), "syscall_%ld", nr);
	return buf;
}

const char *errno_name(int e)
{
	static const char *const names[] = {
		[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
		[EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC",
		[EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
		[EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
		[EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
		[ETXTBSY] = "ETXTBSY", [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE",
		[EROFS] = "EROFS", [EMLINK] = "EMLINK", [EPIPE] = "EPIPE", [EDOM] = "EDOM",
		[ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK", [ENAMETOOLONG] = "ENAMETOOLONG",
		[ENOLCK] = "ENOLCK", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP",
		[ENODATA] = "ENODATA", [EOVERFLOW] = "EOVERFLOW", [ENOTSOCK] = "ENOTSOCK",
		[EDESTADDRREQ] = "EDESTADDRREQ", [EMSGSIZE] = "EMSGSIZE", [EPROTOTYPE] = "EPROTOTYPE",
		[ENOPROTOOPT] = "ENOPROTOOPT", [EPROTONOSUPPORT] = "EPROTONOSUPPORT",
		[EOPNOTSUPP] = "EOPNOTSUPP", [EAFNOSUPPORT] = "EAFNOSUPPORT", [EADDRINUSE] = "EADDRINUSE",
		[EADDRNOTAVAIL] = "EADDRNOTAVAIL", [ENETUNREACH] = "ENETUNREACH",
		[ECONNABORTED] = "ECONNABORTED", [ECONNRESET] = "ECONNRESET", [ENOBUFS] = "ENOBUFS",
		[EISCONN] = "EISCONN", [ENOTCONN] = "ENOTCONN", [ETIMEDOUT] = "ETIMEDOUT",
		[ECONNREFUSED] = "ECONNREFUSED", [EALREADY] = "EALREADY", [EINPROGRESS] = "EINPROGRESS",
	};
	if (e > 0 && e < (int)(sizeof(names) / sizeof(names[0])) && names[e])
		return names[e];
	switch (e) {
	case ERESTARTSYS:
		return "ERESTARTSYS";
	case ERESTARTNOINTR:
		return "ERESTARTNOINTR";
	case ERESTARTNOHAND:
		return "ERESTARTNOHAND";
	case ERESTART_RESTARTBLOCK:
		return "ERESTART_RESTARTBLOCK";
	}
	static char buf[16];
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t nc = (b->cap ? b->cap * 2 : 256) + (size_t)n;
		char *np = realloc(b->p, nc);
		if (!np)
			return;
		b->p = np;
		b->cap = nc;
	}
}

static void quoted(struct sbuf *b, const char *s, size_t n, int more)
{
	sb_printf(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c == '\n')
			sb_printf(b, "\\n");
		else if (c == '\t')
			sb_printf(b, "\\t");
		else if (c < 32 || c >= 127)
			sb_printf(b, "\\%o", c);
		else
			sb_printf(b, "%c", c);
	}
	sb_printf(b, "\"%s", more ? "..." : "");
}

static void str_arg(struct task *t, struct sbuf *b, uint64_t a)
{
	if (!a) {
		sb_printf(b, "NULL");
		return;
	}
	char s[256];
	long n = strncpy_from_user(t, s, a, sizeof(s));
	if (n == -ENAMETOOLONG)
		quoted(b, s, sizeof(s) - 1, 1);
	else if (n < 0)
		sb_printf(b, "%#llx", (unsigned long long)a);
	else
		quoted(b, s, (size_t)n, 0);
}

static void buf_arg(struct task *t, struct sbuf *b, uint64_t a, uint64_t len)
{
	char s[32];
	size_t n = len < sizeof(s) ? (size_t)len : sizeof(s);
	if (!a || copy_from_user(t, s, a, n)) {
		sb_printf(b, "%#llx", (unsigned long long)a);
		return;
	}
	quoted(b, s, n, len > n);
}

struct flagname {
	uint64_t v;
	const char *n;
};

static void flags_arg(struct sbuf *b, uint64_t v, const struct flagname *tab, const char *zero)
{
	int first = 1;
	for (; tab->n; tab++) {
		if (tab->v && (v & tab->v) == tab->v) {
			sb_printf(b, "%s%s", first ? "" : "|", tab->n);
			v &= ~tab->v;
			first = 0;
		}
	}
	if (v || first)
		sb_printf(b, "%s%s", first ? "" : "|", first && !v && zero ? zero : "");
	if (v)
		sb_printf(b, "%#llx", (unsigned long long)v);
}

static const struct flagname open_flags[] = {
	{ O_WRONLY, "O_WRONLY" }, { O_RDWR, "O_RDWR" }, { O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" },
	{ O_NOCTTY, "O_NOCTTY" }, { O_TRUNC, "O_TRUNC" }, { O_APPEND, "O_APPEND" },
	{ O_NONBLOCK, "O_NONBLOCK" }, { O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
	{ O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" }, { O_DIRECT, "O_DIRECT" }, { 0x8000, "O_LARGEFILE" },
	{ 0, NULL },
};

static const struct flagname prot_flags[] = {
	{ PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" }, { 0, NULL },
};

static const struct flagname map_flags[] = {
	{ MAP_SHARED, "MAP_SHARED" }, { MAP_PRIVATE, "MAP_PRIVATE" }, { MAP_FIXED, "MAP_FIXED" },
	{ MAP_ANONYMOUS, "MAP_ANONYMOUS" }, { MAP_DENYWRITE, "MAP_DENYWRITE" },
	{ MAP_NORESERVE, "MAP_NORESERVE" }, { MAP_POPULATE, "MAP_POPULATE" }, { MAP_STACK, "MAP_STACK" },
	{ MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" }, { 0, NULL },
};

static const struct flagname clone_flags[] = {
	{ CLONE_VM, "CLONE_VM" }, { CLONE_FS, "CLONE_FS" }, { CLONE_FILES, "CLONE_FILES" },
	{ CLONE_SIGHAND, "CLONE_SIGHAND" }, { CLONE_VFORK, "CLONE_VFORK" }, { CLONE_PARENT, "CLONE_PARENT" },
	{ CLONE_THREAD, "CLONE_THREAD" }, { CLONE_SYSVSEM, "CLONE_SYSVSEM" }, { CLONE_SETTLS, "CLONE_SETTLS" },
	{ CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID" }, { CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID" },
	{ CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID" }, { 0, NULL },
};

static void format_arg(struct task *t, struct sbuf *b, char f, uint64_t a, uint64_t next)
{
	switch (f) {
	case 'd':
		sb_printf(b, "%d", (int)a);
		break;
	case 'u':
		sb_printf(b, "%llu", (unsigned long long)a);
		break;
	case 'a':
		if ((int)a == AT_FDCWD)
			sb_printf(b, "AT_FDCWD");
		else
			sb_printf(b, "%d", (int)a);
		break;
	case 's':
		str_arg(t, b, a);
		break;
	case 'b':
		buf_arg(t, b, a, next);
		break;
	case 'o':
		sb_printf(b, "0%llo", (unsigned long long)a);
		break;
	case 'f':
		if (!(a & O_ACCMODE))
			sb_printf(b, "O_RDONLY%s", (a & ~(uint64_t)O_ACCMODE) ? "|" : "");
		if (a & ~(uint64_t)O_ACCMODE || (a & O_ACCMODE))
			flags_arg(b, a, open_flags, NULL);
		break;
	case 'm':
		flags_arg(b, a, prot_flags, "PROT_NONE");
		break;
	case 'M':
		flags_arg(b, a, map_flags, "0");
		break;
	case 'c':
		sb_printf(b, "flags=");
		flags_arg(b, a & ~0xffULL, clone_flags, "0");
		if (a & 0xff)
			sb_printf(b, "|%s", (a & 0xff) == SIGCHLD ? "SIGCHLD" : "sig");
		break;
	case 'S':
		sb_printf(b, "%d", (int)a);
		break;
	case 'v': {
		sb_printf(b, "[");
		for (int i = 0; i < 8 && a; i++) {
			uint64_t p;
			if (copy_from_user(t, &p, a + (uint64_t)i * 8, 8) || !p)
				break;
			if (i)
				sb_printf(b, ", ");
			str_arg(t, b, p);
		}
		sb_printf(b, "]");
		break;
	}
	case 'B':
	case 'p':
		if (a)
			sb_printf(b, "%#llx", (unsigned long long)a);
		else
			sb_printf(b, "NULL");
		break;
	default:
		sb_printf(b, "%#llx", (unsigned long long)a);
	}
}

void strace_enter(struct task *t)
{
	const struct syscall_desc *d = t->sc_nr >= 0 && t->sc_nr < NR_SYSCALLS ? &syscall_table[t->sc_nr] : NULL;
	const char *fmt = d && d->fmt ? d->fmt : "xxxxxx";
	struct sbuf b = { 0 };
	sb_printf(&b, "[pid %5d] %s(", t->tid, syscall_name(t->sc_nr));
	for (int i = 0; fmt[i] && i < 6; i++) {
		if (i)
			sb_printf(&b, ", ");
		if (fmt[i] == 'B')
			sb_printf(&b, "%#llx", (unsigned long long)t->sc_args[i]);
		else
			format_arg(t, &b, fmt[i], t->sc_args[i], i < 5 ? t->sc_args[i + 1] : 0);
	}
	sb_printf(&b, ")");
	free(t->strace_buf);
	t->strace_buf = b.p;
	t->strace_pending = 1;
}

void strace_exit(struct task *t, long ret)
{
	struct kernel *k = t->k;
	FILE *out = k->strace_out ? k->strace_out : stderr;
	if (ret == -EPARK) {
		if (t->strace_pending)
			fprintf(out, "%s <unfinished ...>\n", t->strace_buf ? t->strace_buf : "?");
		t->strace_pending = 0;
		return;
	}
	const struct syscall_desc *d = t->sc_nr >= 0 && t->sc_nr < NR_SYSCALLS ? &syscall_table[t->sc_nr] : NULL;
	const char *fmt = d && d->fmt ? d->fmt : "";
	if (t->strace_pending) {
		fprintf(out, "%s", t->strace_buf ? t->strace_buf : "?");
	} else {
		fprintf(out, "[pid %5d] <... %s resumed>", t->tid, syscall_name(t->sc_nr));
	}
	t->strace_pending = 0;
	/* Show what a read-like call returned into its buffer. */
	const char *bpos = strchr(fmt, 'B');
	if (ret > 0 && bpos && bpos - fmt < 6) {
		struct sbuf b = { 0 };
		buf_arg(t, &b, t->sc_args[bpos - fmt], (uint64_t)ret);
		fprintf(out, " [buf %s]", b.p ? b.p : "");
		free(b.p);
	}
	if (ret == -ENATIVE)
		fprintf(out, " = ? (native)\n");
	else if (ret == -ENORETURN)
		fprintf(out, " = ?\n");
	else if (ret < 0 && ret >= -4095)
		fprintf(out, " = -1 %s (%s)\n", errno_name((int)-ret),
			-ret < 512 ? strerror((int)-ret) : "restart");
	else if (d && d->fmt && (t->sc_nr == 9 /* mmap */ || t->sc_nr == 12 /* brk */))
		fprintf(out, " = %#lx\n", ret);
	else
		fprintf(out, " = %ld\n", ret);
	fflush(out);
}
