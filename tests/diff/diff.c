/*
 * Result lines and helpers shared by the differential cases (diff.h).
 */
#include "diff.h"

#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

const char *errname(int e)
{
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	static char b[16];
	snprintf(b, sizeof(b), "E%d", e);
	return b;
}

void R(const char *step, long ret)
{
	printf("%s %s: ret=%ld errno=%s\n", cur_case, step, ret, errname(ret < 0 ? errno : 0));
	fflush(stdout);
}

void V(const char *step, const char *fmt, ...)
{
	va_list ap;
	printf("%s %s: ", cur_case, step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void get_int(const char *step, int fd, int level, int opt)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	errno = 0;
	int r = getsockopt(fd, level, opt, &v, &l);
	V(step, "ret=%d errno=%s val=%d len=%u", r, errname(r < 0 ? errno : 0), r < 0 ? 0 : v, (unsigned)l);
}

void set_int(const char *step, int fd, int level, int opt, int v)
{
	TRY(step, setsockopt(fd, level, opt, &v, sizeof(v)));
}

void ck_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		V("child", "status %d", st);
}

int drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

static void on_alarm(int sig)
{
	(void)sig;
}

void guard_begin(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the call sees EINTR */
	alarm(5);
}

void guard_end(void)
{
	alarm(0);
}

void write_file(const char *step, const char *path, const char *text)
{
	errno = 0;
	int fd = open(path, O_WRONLY);
	R(step, fd < 0 ? -1 : (long)write(fd, text, strlen(text)));
	if (fd >= 0)
		close(fd);
}

void tcp_pair(int *c, int *s)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&a, &al);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	connect(*c, (struct sockaddr *)&a, sizeof(a));
	*s = accept(l, NULL, NULL);
	close(l);
}
