/*
 * The host's /proc for the sentry (hostproc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostproc.h"

static int procfd = -1;

static const char *const globals[] = { "cpuinfo", "meminfo", "stat", "loadavg", "uptime" };
static int global_fd[sizeof(globals) / sizeof(globals[0])] = { -1, -1, -1, -1, -1 };

int hostproc_fd(void)
{
	if (procfd < 0)
		procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return procfd;
}

int hostproc_open(const char *rel, int flags)
{
	int pfd = hostproc_fd();
	if (pfd < 0)
		return -EACCES;
	int fd = openat(pfd, rel, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

ssize_t hostproc_readlink(const char *rel, char *buf, size_t len)
{
	int pfd = hostproc_fd();
	if (pfd < 0)
		return -EACCES;
	ssize_t n = readlinkat(pfd, rel, buf, len);
	return n < 0 ? -errno : n;
}

static int global_index(const char *name)
{
	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
		if (!strcmp(globals[i], name))
			return (int)i;
	return -1;
}

static int open_global(int i)
{
	if (global_fd[i] < 0) {
		int fd = hostproc_open(globals[i], O_RDONLY);
		if (fd >= 0)
			global_fd[i] = fd;
	}
	return global_fd[i];
}

ssize_t hostproc_read_global(const char *name, char *buf, size_t len)
{
	int i = global_index(name);
	if (i < 0 || len == 0)
		return -EINVAL;
	int fd = open_global(i);
	if (fd < 0)
		return -ENOENT;
	/* (a seq file regenerates its text when read from offset 0) */
	size_t got = 0;
	while (got < len - 1) {
		ssize_t n = pread(fd, buf + got, len - 1 - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	return (ssize_t)got;
}

int hostproc_restrict(void)
{
	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
		open_global((int)i);
	int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	int e = 0;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "hidepid", "ptraceable", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "subset", "pid", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		e = -errno;
	int m = e ? -1
		  : (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
				 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (!e && m < 0)
		e = -errno;
	close(fs);
	if (e)
		return e;
	if (procfd >= 0)
		close(procfd);
	procfd = m;
	return 0;
}
