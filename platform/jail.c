/*
 * Confinement steps shared by the gofer and the sentry (jail.h).
 */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail.h"

int jail_empty_root(const char *name)
{
	if (mount(name, "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=1,mode=0555") < 0)
		return -errno;
	if (chdir("/proc") < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	/* the old root is stacked on the new one: detach it */
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

int jail_keep_caps(uint64_t keep)
{
	for (int c = 0; c < 64; c++) {
		if (keep >> c & 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			/* not root (no CAP_SETPCAP): the bounding set stays, but
			 * with no_new_privs and no execve nothing can use it */
			if (errno == EPERM && geteuid() != 0)
				break;
			return -errno;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		data[i].effective &= k;
		data[i].permitted &= k;
		data[i].inheritable = 0;
	}
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

scmp_filter_ctx jail_filter(const struct jail_allow *t, size_t n)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_TRAP);
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(f, SCMP_ACT_ALLOW, t[i].nr, 0) < 0) {
			seccomp_release(f);
			return NULL;
		}
	return f;
}

static const char *sigsys_who = "moat";
static int sigsys_log = -1;
static const char *(*sigsys_name)(long nr);

static void put_num(char *p, unsigned v)
{
	char t[12];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 11);
	while (n)
		*p++ = t[--n];
	*p = 0;
}

/* (async-signal-safe: string building on the stack, write, sigaction) */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	char num[12], line[256] = "moat: ";
	strncat(line, sigsys_who, 40);
	strcat(line, " made host syscall ");
	put_num(num, (unsigned)si->si_syscall);
	strcat(line, num);
	const char *name = sigsys_name ? sigsys_name(si->si_syscall) : NULL;
	if (name) {
		strcat(line, " (");
		strncat(line, name, 40);
		strcat(line, ")");
	}
	strcat(line, ", which its seccomp allow-list refuses: it is killed\n");
	ssize_t w = write(2, line, strlen(line));
	if (sigsys_log >= 0 && sigsys_log != 2)
		w = write(sigsys_log, line, strlen(line));
	(void)w;
	/* dead of SIGSYS, as its parent sees it: the default action,
	 * delivered when this handler returns */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGSYS, &dfl, NULL);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGSYS);
}

int jail_filter_load(scmp_filter_ctx f, const char *who, int log_fd, const char *(*name_of)(long nr))
{
	sigsys_who = who;
	sigsys_log = log_fd;
	sigsys_name = name_of;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	int e = 0;
	if (sigaction(SIGSYS, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &s, NULL) < 0)
		e = -errno;
	if (!e)
		e = seccomp_load(f);
	seccomp_release(f);
	return e;
}
