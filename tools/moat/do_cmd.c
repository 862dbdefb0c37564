/*
 * moat do: run a program in a sandbox, like `runsc do`.
 *
 *   moat do [OPTIONS] [--] CMD [ARGS...]
 *
 * The root file system is the host's / (or --root DIR), read-only, under
 * a writable in-memory layer; /proc, /dev, /tmp and /dev/shm are the
 * sandbox's own. stdin, stdout and stderr are passed through (a terminal
 * becomes the sandbox's console). The exit status is the program's, or
 * 128+N when a signal N killed it. SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGUSR1 and SIGUSR2 sent to moat are forwarded to the program (keys
 * typed on the console go to its foreground process group).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "moat.h"
#include "net.h"
#include "oci.h"
#include "ns/link.h"
#include "../../sentry/sandbox.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: moat do [OPTIONS] [--] CMD [ARGS...]\n"
		"\n"
		"Run CMD in a sandbox: its syscalls are served by Moat's sentry, not the host kernel.\n"
		"\n"
		"options:\n"
		"  --root DIR          root file system (read-only lower layer; default /)\n"
		"  -v SRC:DST[:ro]     bind-mount host directory SRC at DST (read-write unless :ro)\n"
		"  --cwd DIR           working directory in the sandbox (default: the current one\n"
		"                      if it exists in the sandbox, else /; one under /tmp or\n"
		"                      /dev/shm is shown there, copy-on-write like /)\n"
		"  --env K=V           set an environment variable (repeatable; the rest is inherited)\n"
		"  --strace            log every syscall with its arguments and result to stderr\n"
		"                      (to the debug log if --debug-log is given)\n"
		"  --debug-log FILE    write the sentry's debug log (unsupported syscalls, exits, ...)\n"
		"  --pids-limit N      at most N tasks (processes and threads; default 4096)\n"
		"  --memory SIZE       memory of the whole sandbox (sentry, gofer, programs) at\n"
		"                      most, e.g. 512m, in a cgroup of its own; past it the\n"
		"                      kernel's OOM killer ends a process of the sandbox\n"
		"  --overlay MODE      memory (default): the root is read-only under a writable\n"
		"                      layer in memory, writes stay in the sandbox; none: the\n"
		"                      root is served read-write as it is, writes reach the\n"
		"                      host (its own /etc/hosts and resolv.conf are used)\n"
		"  --overlay-dir DIR   the root's writable layer keeps its file data in unnamed\n"
		"                      files in host directory DIR (made by the gofer; gone\n"
		"                      when the sandbox ends) instead of memory\n"
		"  --overlay-size SIZE file data the sandbox's in-memory layers (the root's\n"
		"                      writable layer, /tmp, /dev/shm) hold at most, e.g. 512m;\n"
		"                      past it writes fail with ENOSPC (default: half of RAM)\n"
		"  --hostname NAME     the sandbox's host name (default moat)\n"
		"  --network MODE      sandbox (default): a veth pair to the host, the sandbox's\n"
		"                      side served by Moat's netstack (10.211.N.2/24 and\n"
		"                      fd00:6d6f:6174:N::2/64; the host side is 10.211.N.1,\n"
		"                      also named host.moat.internal, and fd00:6d6f:6174:N::1);\n"
		"                      none: loopback only (127.0.0.1, ::1, on the netstack);\n"
		"                      host: host sockets (weaker isolation: the host kernel\n"
		"                      serves the program's networking); iface:NAME: take over\n"
		"                      interface NAME of moat's network namespace\n"
		"  --ip CIDR           the sandbox's address (repeatable; the first is IPv4)\n"
		"  --gateway IP        the host side's address / the default route\n"
		"  --nat               masquerade the sandbox's traffic (it reaches what the host\n"
		"                      reaches; needs iptables)\n"
		"  -p [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]\n"
		"                      publish PORT of the sandbox on the host (default host\n"
		"                      address 127.0.0.1; repeatable)\n"
		"  --pcap FILE         write every frame of every sandbox interface (loopback\n"
		"                      too) to FILE (pcap)\n"
		"  --dns IP            nameserver for /etc/resolv.conf (repeatable; default:\n"
		"                      the host's resolv.conf)\n"
		"  --add-host NAME:IP  an /etc/hosts entry (repeatable)\n"
		"  --net-set KEY=VALUE a netstack setting (see moat stack --help; repeatable)\n"
		"  --no-offload        plain frames on the interface: no virtio-net header, so no\n"
		"                      checksum or segmentation offload\n"
		"  --platform NAME     how application code runs: ptrace (the default: a ptrace\n"
		"                      stop per syscall), systrap (syscalls reach the sentry\n"
		"                      through a signal handler and shared memory: faster on\n"
		"                      an idle machine, slower on a busy one), or auto\n"
		"                      (systrap where the kernel supports it, else ptrace; the\n"
		"                      debug log says which and why); MOAT_PLATFORM sets the\n"
		"                      default\n"
		"  --debug-host-fs     debugging: the sentry opens the root and -v trees itself\n"
		"                      instead of through the gofer (no defence in depth;\n"
		"                      implies --debug-unconfined)\n"
		"  --debug-unconfined  debugging: the sentry keeps its host access after start\n"
		"                      (no empty root, capability drop or seccomp allow-list)\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: the program's, 128+N if signal N killed it, 125 if moat failed,\n"
		"126 if CMD could not be executed, 127 if it was not found.\n");
}

/* "512", "64k", "512m", "2g": bytes, at least 1. */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned long long mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1ULL << 10, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1ULL << 20, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1ULL << 30, end++;
	if (errno || end == s || *end || s[0] == '-' || v == 0 || v > (1ULL << 50) / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

/* --memory: the sandbox (sentry, gofer, tasks) in a memory cgroup of its
 * own, /moat/do-PID, made with the OCI runtime's cgroup code (both
 * hierarchies; swap not counted beyond it). 0, or -errno when no cgroup can
 * be made (not root, no memory controller): then an RLIMIT_AS of that size
 * on each process instead, and a warning. Cgroups of moats that were
 * SIGKILLed are removed here first. */
static void clean_dead_cgroups(void)
{
	static const char *const bases[] = { "/sys/fs/cgroup/moat", "/sys/fs/cgroup/memory/moat",
					     "/sys/fs/cgroup/pids/moat", "/sys/fs/cgroup/cpu/moat",
					     "/sys/fs/cgroup/cpuacct/moat", "/sys/fs/cgroup/cpuset/moat",
					     "/sys/fs/cgroup/freezer/moat", "/sys/fs/cgroup/blkio/moat" };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		DIR *d = opendir(bases[i]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d))) {
			int pid;
			char tail;
			if (sscanf(e->d_name, "do-%d%c", &pid, &tail) != 1 || pid <= 0)
				continue;
			if (kill(pid, 0) == 0 || errno == EPERM)
				continue;
			char p[512];
			snprintf(p, sizeof(p), "%s/%s", bases[i], e->d_name);
			rmdir(p); /* (fails if something still runs in it: kept) */
		}
		closedir(d);
	}
}

static int memory_cgroup(pid_t sentry, unsigned long long bytes, json_t **paths)
{
	clean_dead_cgroups();
	struct oci_resources r;
	memset(&r, 0, sizeof(r));
	r.mem_limit = (long long)bytes;
	r.mem_reservation = -1;
	r.mem_swap = (long long)bytes;
	r.pids_limit = -1;
	r.cpu_quota = r.cpu_period = r.cpu_shares = -1;
	char path[64];
	snprintf(path, sizeof(path), "/moat/do-%d", (int)getpid());
	int e = oci_cgroup_join(path, "", sentry, &r, paths);
	if (e < 0 && *paths) {
		oci_cgroup_remove(*paths);
		json_decref(*paths);
		*paths = NULL;
	}
	return e;
}

static int add_env(char ***envp, int *n, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return -EINVAL;
	size_t klen = (size_t)(eq - kv) + 1;
	for (int i = 0; i < *n; i++) {
		if (!strncmp((*envp)[i], kv, klen)) {
			(*envp)[i] = (char *)kv;
			return 0;
		}
	}
	char **ne = realloc(*envp, (size_t)(*n + 2) * sizeof(char *));
	if (!ne)
		return -ENOMEM;
	ne[(*n)++] = (char *)kv;
	ne[*n] = NULL;
	*envp = ne;
	return 0;
}

/*
 * The sentry runs in a child of moat (DESIGN.md "Processes"): it confines
 * itself once its program runs, so what moat still has to do on the host
 * when the sandbox ends (remove the network, say how the sentry ended) is
 * done here. moat passes on the signals a process sends it, by number on
 * a pipe (a terminal's reach the sentry directly: it is in moat's process
 * group, and takes only those itself); when the
 * sentry stops itself (the program was stopped from the terminal), moat
 * stops too, so that the shell gets its terminal back; `fg` continues
 * both. Returns moat's exit status.
 */
static int run_sentry(struct sandbox_config *cfg, unsigned long long memory)
{
	const int *fw;
	int nfw = sandbox_forwarded_signals(&fw);
	sigset_t set, old;
	sigemptyset(&set);
	for (int i = 0; i < nfw; i++)
		sigaddset(&set, fw[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	struct termios tio;
	int tio_saved = isatty(0) && tcgetattr(0, &tio) == 0;
	pid_t me = getpid();
	int go[2], sigp[2];
	if (pipe2(sigp, O_CLOEXEC) < 0) {
		moat_err("starting the sentry: %s\n", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 125;
	}
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(sigp[0]);
		close(sigp[1]);
		moat_err("starting the sentry: %s\n", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 125;
	}
	fflush(NULL);
	pid_t c = fork();
	if (c < 0) {
		moat_err("starting the sentry: %s\n", strerror(errno));
		close(go[0]);
		close(go[1]);
		close(sigp[0]);
		close(sigp[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 125;
	}
	if (c == 0) {
		close(sigp[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		/* in its cgroup before it makes anything (the byte says how) */
		char how = 0;
		if (read(go[0], &how, 1) != 1 || getppid() != me)
			_exit(125);
		close(go[0]);
		if (how == 'r') {
			struct rlimit rl = { (rlim_t)memory, (rlim_t)memory };
			setrlimit(RLIMIT_AS, &rl);
		}
		cfg->have_signal_pipe = 1;
		cfg->signal_pipe = sigp[0];
		int status = 0;
		int r = sandbox_run(cfg, &status);
		fflush(NULL);
		if (r < 0)
			_exit(125);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125);
	}
	/* The links are the sentry's: moat's copies would only queue frames. */
	for (int i = 0; cfg->net && i < cfg->net->nnics; i++)
		if (cfg->net->nics[i].link && ns_link_fd(cfg->net->nics[i].link) >= 0)
			close(ns_link_fd(cfg->net->nics[i].link));
	close(go[0]);
	close(sigp[0]);
	fcntl(sigp[1], F_SETFL, O_NONBLOCK);
	json_t *cg = NULL;
	char how = 'g';
	if (memory) {
		int e = memory_cgroup(c, memory, &cg);
		if (e < 0) {
			moat_err("warning: --memory: no memory cgroup (%s): each process of the sandbox gets an "
				 "address-space limit of that size instead\n",
				 strerror(-e));
			how = 'r';
		}
	}
	if (write(go[1], &how, 1) != 1)
		kill(c, SIGKILL);
	close(go[1]);
	int ret = 125;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* sent by a process to moat: for the program, through
			 * the sentry's pipe (signals would merge; the sentry
			 * takes the terminal's itself) */
			if (si.si_code != SI_KERNEL && si.si_pid != c) {
				unsigned char b = (unsigned char)sig;
				ssize_t w = write(sigp[1], &b, 1);
				(void)w; /* (a full pipe: the sentry is stuck anyway) */
			}
			continue;
		}
		int st;
		pid_t w;
		while ((w = waitpid(c, &st, WNOHANG | WUNTRACED)) < 0 && errno == EINTR)
			;
		if (w != c)
			continue;
		if (WIFSTOPPED(st)) {
			raise(SIGSTOP); /* until `fg` continues us both */
			continue;
		}
		if (WIFEXITED(st)) {
			ret = WEXITSTATUS(st);
		} else {
			moat_err("the sentry was killed by signal %d (%s)\n", WTERMSIG(st), strsignal(WTERMSIG(st)));
			ret = 125;
		}
		break;
	}
	close(sigp[1]);
	if (tio_saved)
		tcsetattr(0, TCSANOW, &tio);
	if (cg) {
		oci_cgroup_remove(cg);
		json_decref(cg);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int cmd_do(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "volume", required_argument, NULL, 'v' },
		{ "cwd", required_argument, NULL, 'c' },
		{ "env", required_argument, NULL, 'e' },
		{ "strace", no_argument, NULL, 's' },
		{ "debug-log", required_argument, NULL, 'd' },
		{ "pids-limit", required_argument, NULL, 'L' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "network", required_argument, NULL, 'n' },
		{ "platform", required_argument, NULL, 'P' },
		{ "ip", required_argument, NULL, 'I' },
		{ "gateway", required_argument, NULL, 'G' },
		{ "nat", no_argument, NULL, 'N' },
		{ "publish", required_argument, NULL, 'p' },
		{ "pcap", required_argument, NULL, 'C' },
		{ "dns", required_argument, NULL, 'D' },
		{ "add-host", required_argument, NULL, 'A' },
		{ "net-set", required_argument, NULL, 'S' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ "debug-host-fs", no_argument, NULL, 'F' },
		{ "debug-unconfined", no_argument, NULL, 'U' },
		{ "overlay-size", required_argument, NULL, 'Z' },
		{ "overlay", required_argument, NULL, 'Y' },
		{ "overlay-dir", required_argument, NULL, 'X' },
		{ "memory", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sandbox_config cfg = { 0 };
	unsigned long long memory = 0;
	int ret = 125;
	cfg.root = "/";
	cfg.platform = getenv("MOAT_PLATFORM");
	int nenv = 0;
	for (char **e = environ; *e; e++)
		nenv++;
	char **envp = calloc((size_t)nenv + 1, sizeof(char *));
	if (!envp)
		return 125;
	memcpy(envp, environ, (size_t)nenv * sizeof(char *));
	const char *log_path = NULL;
	struct moat_net_opts nopt;
	memset(&nopt, 0, sizeof(nopt));
	struct sandbox_net netcfg;
	struct moat_net *net = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+v:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			cfg.root = optarg;
			break;
		case 'v': {
			char *spec = strdup(optarg);
			char *dst = spec ? strchr(spec, ':') : NULL;
			if (!dst || dst == spec || !dst[1]) {
				moat_err("-v %s: expected SRC:DST[:ro]\n", optarg);
				free(spec);
				goto fail;
			}
			*dst++ = 0;
			int ro = 0;
			char *opt = strchr(dst, ':');
			if (opt) {
				*opt++ = 0;
				if (!strcmp(opt, "ro"))
					ro = 1;
				else if (strcmp(opt, "rw")) {
					moat_err("-v %s: unknown option '%s' (ro or rw)\n", optarg, opt);
					free(spec);
					goto fail;
				}
			}
			if (dst[0] != '/') {
				moat_err("-v %s: the destination must be an absolute path\n", optarg);
				free(spec);
				goto fail;
			}
			struct sandbox_mount *m = realloc(cfg.mounts, (size_t)(cfg.nmounts + 1) * sizeof(*m));
			if (!m) {
				free(spec);
				goto fail;
			}
			cfg.mounts = m;
			m[cfg.nmounts].src = spec;
			m[cfg.nmounts].dst = dst;
			m[cfg.nmounts].ro = ro;
			cfg.nmounts++;
			break;
		}
		case 'c':
			cfg.cwd = optarg;
			break;
		case 'e':
			if (add_env(&envp, &nenv, optarg)) {
				moat_err("--env %s: expected K=V\n", optarg);
				goto fail;
			}
			break;
		case 's':
			cfg.strace = 1;
			break;
		case 'd':
			log_path = optarg;
			break;
		case 'L': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000000) {
				moat_err("--pids-limit %s: expected a number from 1 to 1000000\n", optarg);
				goto fail;
			}
			cfg.pids_limit = (int)v;
			break;
		}
		case 'H':
			if (strlen(optarg) > 64) {
				moat_err("--hostname: at most 64 characters\n");
				goto fail;
			}
			cfg.hostname = optarg;
			break;
		case 'n':
			nopt.mode = optarg;
			break;
		case 'I':
			if (nopt.nips == MOAT_NET_MAX) {
				moat_err("too many --ip\n");
				goto fail;
			}
			nopt.ips[nopt.nips++] = optarg;
			break;
		case 'G':
			if (nopt.ngateways == 2) {
				moat_err("too many --gateway\n");
				goto fail;
			}
			nopt.gateways[nopt.ngateways++] = optarg;
			break;
		case 'N':
			nopt.nat = 1;
			break;
		case 'p':
			if (nopt.nports == MOAT_NET_MAX) {
				moat_err("too many -p\n");
				goto fail;
			}
			if (moat_port_parse(optarg, &nopt.ports[nopt.nports]) < 0) {
				moat_err("-p %s: expected [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]\n", optarg);
				goto fail;
			}
			nopt.nports++;
			break;
		case 'C':
			nopt.pcap = optarg;
			break;
		case 'D':
			if (nopt.ndns == 4) {
				moat_err("too many --dns\n");
				goto fail;
			}
			nopt.dns[nopt.ndns++] = optarg;
			break;
		case 'A':
			if (nopt.nadd_hosts == MOAT_NET_MAX || !strchr(optarg, ':')) {
				moat_err("--add-host %s: expected NAME:IP\n", optarg);
				goto fail;
			}
			nopt.add_hosts[nopt.nadd_hosts++] = optarg;
			break;
		case 'O':
			nopt.no_offload = 1;
			break;
		case 'S':
			if (!strchr(optarg, '=')) {
				moat_err("--net-set %s: expected KEY=VALUE\n", optarg);
				goto fail;
			}
			if (nopt.nsets == 15) { /* (the 16th slot is moat's own) */
				moat_err("--net-set %s: at most 15 settings\n", optarg);
				goto fail;
			}
			nopt.sets[nopt.nsets++] = optarg;
			break;
		case 'P':
			cfg.platform = optarg;
			break;
		case 'F':
			cfg.host_fs = 1;
			break;
		case 'U':
			cfg.unconfined = 1;
			break;
		case 'Y':
			if (!strcmp(optarg, "none")) {
				cfg.root_overlay_none = 1;
			} else if (strcmp(optarg, "memory")) {
				moat_err("--overlay %s: memory (the default) or none\n", optarg);
				goto fail;
			}
			break;
		case 'X':
			cfg.overlay_dir = optarg;
			break;
		case 'Z':
			if (parse_size(optarg, &cfg.overlay_size) < 0) {
				moat_err("--overlay-size %s: a size in bytes, or with k, m or g (at least 1)\n", optarg);
				goto fail;
			}
			break;
		case 'M':
			if (parse_size(optarg, &memory) < 0 || memory < (4ULL << 20)) {
				moat_err("--memory %s: a size in bytes, or with k, m or g (at least 4m)\n", optarg);
				goto fail;
			}
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			usage(stderr);
			goto fail;
		}
	}
	if (optind >= argc) {
		moat_err("do: no command given\n");
		usage(stderr);
		goto fail;
	}
	if (cfg.overlay_dir && cfg.root_overlay_none) {
		moat_err("--overlay-dir: the root has no writable layer with --overlay none\n");
		goto fail;
	}
	cfg.argv = argv + optind;
	cfg.envp = envp;
	/* The current directory under /tmp or /dev/shm would be hidden by the
	 * sandbox's own tmpfs there (and the program would start in / without
	 * a word): it is shown at its path, copy-on-write like the root. */
	char cwdbuf[4096];
	if (!cfg.cwd && !strcmp(cfg.root, "/") && getcwd(cwdbuf, sizeof(cwdbuf)) &&
	    (!strncmp(cwdbuf, "/tmp/", 5) || !strncmp(cwdbuf, "/dev/shm/", 9))) {
		int covered = 0;
		for (int i = 0; i < cfg.nmounts; i++) {
			size_t l = strlen(cfg.mounts[i].dst);
			covered |= !strncmp(cwdbuf, cfg.mounts[i].dst, l) && (cwdbuf[l] == '/' || !cwdbuf[l]);
		}
		struct sandbox_mount *m = covered ? NULL : realloc(cfg.mounts, (size_t)(cfg.nmounts + 1) * sizeof(*m));
		if (m) {
			cfg.mounts = m;
			memset(&m[cfg.nmounts], 0, sizeof(*m));
			m[cfg.nmounts].src = strdup(cwdbuf);
			m[cfg.nmounts].dst = m[cfg.nmounts].src;
			m[cfg.nmounts].type = SANDBOX_MOUNT_OVERLAY;
			cfg.nmounts++;
		}
	}
	if (log_path) {
		cfg.debug_log = fopen(log_path, "we");
		if (!cfg.debug_log) {
			moat_err("--debug-log %s: %s\n", log_path, strerror(errno));
			goto fail;
		}
		setvbuf(cfg.debug_log, NULL, _IOLBF, 0);
	}
	nopt.hostname = cfg.hostname;
	if (moat_net_up(&nopt, &netcfg, &net) < 0)
		goto fail;
	cfg.net = &netcfg;
	cfg.memory_limit = memory;
	ret = run_sentry(&cfg, memory);
	goto out;
fail:
	ret = 125;
out:
	moat_net_down(net);
	if (cfg.debug_log)
		fclose(cfg.debug_log);
	for (int i = 0; i < cfg.nmounts; i++)
		free((char *)cfg.mounts[i].src);
	free(cfg.mounts);
	free(envp);
	return ret;
}
