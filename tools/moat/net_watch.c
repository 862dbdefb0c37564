/*
 * The network watchdog of `moat do` (net.h): a small process, forked when
 * a sandbox's network records something that would outlive a SIGKILLed
 * moat (NAT rules; the veth goes by itself with the sandbox's namespace).
 * It waits for moat's end on a pidfd and removes what the record lists,
 * within moments, instead of at the next `moat do`.
 *
 * What it may touch on the host: the record /run/moat/net/PID of the moat
 * it watches, the network lock, and the iptables rules that record names.
 * It holds nothing else: every other descriptor is closed, it is in a
 * session of its own (a terminal's ^C does not reach it), and ignores the
 * signals a terminal or a shell's job control sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "moat.h"
#include "net.h"

pid_t moat_net_watch_start(const char *record)
{
	pid_t moat = getpid();
	int pfd = (int)syscall(SYS_pidfd_open, moat, 0);
	if (pfd < 0)
		return -errno;
	fflush(NULL);
	pid_t w = fork();
	if (w < 0) {
		int e = -errno;
		close(pfd);
		return e;
	}
	if (w) {
		close(pfd);
		return w;
	}
	setsid();
	prctl(PR_SET_NAME, "moat-netwatch"); /* in ps, not a second "moat" */
	static const int ign[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
	for (size_t i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
		signal(ign[i], SIG_IGN);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	dup2(nul, 0);
	dup2(nul, 1);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != pfd)
			close(fd);
	struct pollfd p = { pfd, POLLIN, 0 };
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	/* moat is gone; a moat that ended well removed the record already */
	moat_net_clean_record(record);
	_exit(0);
}
