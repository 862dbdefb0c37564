/*
 * Namespaces: unshare(2), setns(2) and clone(2) with CLONE_NEW{UTS,NET,
 * IPC,USER}, /proc/PID/ns, uid_map/gid_map/setgroups. Each part runs in a
 * child, so the case's own process stays where it started. Inode numbers
 * differ between hosts: lines show whether two of them are equal, never
 * the numbers.
 */
#include "diff.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* "net:[N]" with N a number: the link's shape. */
static void link_shape(const char *step, const char *path)
{
	char buf[64] = { 0 };
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b = strchr(buf, '[');
	unsigned long long v;
	char tail[4] = { 0 };
	int ok = n > 0 && b && sscanf(b, "[%llu%3s", &v, tail) == 2 && !strcmp(tail, "]");
	V(step, "%.*s shape=%s", b ? (int)(b - buf) : 0, buf, ok ? "ok" : "bad");
}

static ino_t ns_ino(const char *kind)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
}

static int tcp_listener(uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static int tcp_connect(uint16_t port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = connect(s, (struct sockaddr *)&a, sizeof(a));
	int e = errno;
	close(s);
	errno = e;
	return r;
}

static int abstract_bind(const char *name)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path + 1, name, strlen(name));
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	if (bind(s, (struct sockaddr *)&a, len) < 0) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static void uts_part(void)
{
	struct utsname u;
	uname(&u);
	char before[65];
	snprintf(before, sizeof(before), "%s", u.nodename);
	TRY("uts unshare", unshare(CLONE_NEWUTS));
	V("uts new namespace differs", "%s", ns_ino("uts") != 0 ? "yes" : "no");
	TRY("uts sethostname", sethostname("nsdiff", 6));
	uname(&u);
	V("uts uname after", "%s", u.nodename);
	char buf[80] = { 0 };
	int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	V("uts /proc/sys/kernel/hostname", "ret=%zd %s", n, buf);
	fd = open("/proc/sys/kernel/domainname", O_WRONLY);
	TRY("uts write domainname", write(fd, "dom\n", 4));
	close(fd);
	getdomainname(buf, sizeof(buf));
	V("uts getdomainname", "%s", buf);
	TRY("uts sethostname 65 bytes", sethostname("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65));
}

static void uts_parent_unchanged(void)
{
	char name[65];
	gethostname(name, sizeof(name));
	V("uts parent's hostname kept", "%s", strcmp(name, "nsdiff") ? "yes" : "no");
}

static void net_part(void)
{
	ino_t before = ns_ino("net");
	int l = tcp_listener(47123);
	V("net listener in the first namespace", "%s", l >= 0 ? "yes" : "no");
	int ab = abstract_bind("nsdiff-abstract");
	V("net abstract name in the first namespace", "%s", ab >= 0 ? "yes" : "no");
	int saved = open("/proc/self/ns/net", O_RDONLY);
	TRY("net unshare", unshare(CLONE_NEWNET));
	V("net namespace changed", "%s", ns_ino("net") != before ? "yes" : "no");
	link_shape("net link", "/proc/self/ns/net");
	lo_up();
	errno = 0;
	int r = tcp_connect(47123);
	V("net connect to the other namespace's listener", "ret=%d errno=%s", r, errname(r < 0 ? errno : 0));
	int l2 = tcp_listener(47123);
	V("net same port free here", "%s", l2 >= 0 ? "yes" : "no");
	r = tcp_connect(47123);
	V("net connect here", "ret=%d", r);
	int ab2 = abstract_bind("nsdiff-abstract");
	V("net abstract name free here", "%s", ab2 >= 0 ? "yes" : "no");
	TRY("net setns nstype mismatch", setns(saved, CLONE_NEWUTS));
	TRY("net setns back", setns(saved, CLONE_NEWNET));
	V("net back in the first", "%s", ns_ino("net") == before ? "yes" : "no");
	errno = 0;
	int ab3 = abstract_bind("nsdiff-abstract");
	V("net abstract name taken again", "ret=%d errno=%s", ab3 < 0 ? -1 : 0, errname(ab3 < 0 ? errno : 0));
	r = tcp_connect(47123);
	V("net connect after setns back", "ret=%d", r);
	close(saved);
}

static void setns_errors(void)
{
	TRY("setns bad fd", setns(-1, 0));
	TRY("setns closed fd", setns(1000, 0));
	int f = open("/proc/self/status", O_RDONLY);
	TRY("setns not a namespace", setns(f, 0));
	close(f);
	f = open("/proc/self/ns/uts", O_RDONLY);
	TRY("setns own uts", setns(f, CLONE_NEWUTS));
	TRY("setns bad nstype", setns(f, 1));
	char b[8];
	TRY("read of a namespace file", read(f, b, sizeof(b)));
	close(f);
	f = open("/proc/self/ns/user", O_RDONLY);
	TRY("setns own user namespace", setns(f, CLONE_NEWUSER));
	close(f);
	TRY("unshare bad flag", unshare(0x1));
	TRY("unshare nothing", unshare(0));
	TRY("open ns file for writing", open("/proc/self/ns/net", O_WRONLY));
	struct stat a, l;
	stat("/proc/self/ns/net", &a);
	lstat("/proc/self/ns/net", &l);
	V("ns file types", "stat=%s lstat=%s", S_ISREG(a.st_mode) ? "reg" : "other",
	  S_ISLNK(l.st_mode) ? "lnk" : "other");
	char buf[64] = { 0 };
	readlink("/proc/self/ns/net", buf, sizeof(buf) - 1);
	unsigned long long v = 0;
	sscanf(buf, "net:[%llu]", &v);
	V("ns link number is the inode", "%s", v == (unsigned long long)a.st_ino ? "yes" : "no");
	/* ioctl_ns(2) */
	int uf = open("/proc/self/ns/uts", O_RDONLY), usf = open("/proc/self/ns/user", O_RDONLY);
	int nf = open("/proc/self/ns/net", O_RDONLY), pf = open("/proc/self/ns/pid", O_RDONLY);
	TRY("NS_GET_NSTYPE uts", ioctl(uf, _IO(0xb7, 0x3)));
	TRY("NS_GET_NSTYPE user", ioctl(usf, _IO(0xb7, 0x3)));
	uid_t ou = 77;
	TRY("NS_GET_OWNER_UID uts", ioctl(uf, _IO(0xb7, 0x4), &ou));
	TRY("NS_GET_OWNER_UID user", ioctl(usf, _IO(0xb7, 0x4), &ou));
	V("NS_GET_OWNER_UID value", "%u", ou);
	TRY("NS_GET_OWNER_UID bad pointer", ioctl(usf, _IO(0xb7, 0x4), (void *)8));
	int got = ioctl(uf, _IO(0xb7, 0x1));
	struct stat gs, us;
	fstat(usf, &us);
	V("NS_GET_USERNS of uts", "fd=%s same=%s cloexec=%d", got >= 0 ? "yes" : "no",
	  got >= 0 && fstat(got, &gs) == 0 && gs.st_ino == us.st_ino ? "yes" : "no",
	  got >= 0 ? (fcntl(got, F_GETFD) & FD_CLOEXEC) : -1);
	if (got >= 0)
		close(got);
	TRY("NS_GET_USERNS of the top user namespace", ioctl(usf, _IO(0xb7, 0x1)));
	TRY("NS_GET_PARENT of the top user namespace", ioctl(usf, _IO(0xb7, 0x2)));
	TRY("NS_GET_PARENT of net", ioctl(nf, _IO(0xb7, 0x2)));
	TRY("NS_GET_PARENT of pid", ioctl(pf, _IO(0xb7, 0x2)));
	TRY("unknown ioctl on a namespace", ioctl(nf, _IO(0xb7, 0x9)));
	close(uf), close(usf), close(nf), close(pf);
	/* a zombie has left its namespaces */
	pid_t z = fork();
	if (z == 0) {
		unshare(CLONE_NEWNET);
		_exit(0);
	}
	siginfo_t si;
	waitid(P_PID, z, &si, WEXITED | WNOWAIT);
	char zp[64];
	snprintf(zp, sizeof(zp), "/proc/%d/ns/net", (int)z);
	TRY("ns link of a zombie", readlink(zp, buf, sizeof(buf)));
	waitpid(z, NULL, 0);
	link_shape("ns user link", "/proc/self/ns/user");
	link_shape("ns pid_for_children link", "/proc/self/ns/pid_for_children");
}

static void ipc_part(void)
{
	int q = msgget(IPC_PRIVATE, 0600);
	V("ipc queue made", "%s", q >= 0 ? "yes" : "no");
	TRY("ipc unshare", unshare(CLONE_NEWIPC));
	struct msqid_ds d;
	errno = 0;
	int r = msgctl(q, IPC_STAT, &d);
	V("ipc old queue gone here", "ret=%d errno=%s", r, errname(r < 0 ? errno : 0));
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void user_part(void)
{
	uid_t outer = geteuid();
	char path[64];
	snprintf(path, sizeof(path), "/tmp/nsdiff-%d", (int)getpid());
	int pf = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	V("user other's file made", "%s", pf >= 0 && fchown(pf, 1234, 1234) == 0 ? "yes" : "no");
	if (pf >= 0)
		close(pf);
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	TRY("user unshare", unshare(CLONE_NEWUSER));
	V("user ids before the maps", "uid=%u gid=%u", getuid(), getgid());
	char m[64];
	write_file("user gid_map before setgroups deny", "/proc/self/gid_map", "0 0 1\n");
	write_file("user setgroups bad word", "/proc/self/setgroups", "maybe");
	write_file("user setgroups deny", "/proc/self/setgroups", "deny");
	write_file("user uid_map bad line", "/proc/self/uid_map", "0 0\n");
	write_file("user uid_map zero count", "/proc/self/uid_map", "0 0 0\n");
	write_file("user uid_map overlap", "/proc/self/uid_map", "0 0 10\n5 100 10\n");
	snprintf(m, sizeof(m), "0 %u 1\n", outer);
	write_file("user uid_map", "/proc/self/uid_map", m);
	write_file("user uid_map again", "/proc/self/uid_map", m);
	write_file("user gid_map", "/proc/self/gid_map", "0 0 1\n");
	write_file("user setgroups after gid_map", "/proc/self/setgroups", "allow");
	V("user ids after the maps", "uid=%u euid=%u gid=%u", getuid(), geteuid(), getgid());
	char buf[128] = { 0 };
	int fd = open("/proc/self/uid_map", O_RDONLY);
	read(fd, buf, sizeof(buf) - 1);
	close(fd);
	V("user uid_map reads", "%s", buf);
	memset(buf, 0, sizeof(buf));
	fd = open("/proc/self/setgroups", O_RDONLY);
	read(fd, buf, sizeof(buf) - 1);
	close(fd);
	V("user setgroups reads", "%s", buf);
	int own = open("/proc/self/ns/user", O_RDONLY);
	TRY("user NS_GET_PARENT outside its scope", ioctl(own, _IO(0xb7, 0x2)));
	uid_t ou = 77;
	ioctl(own, _IO(0xb7, 0x4), &ou);
	V("user NS_GET_OWNER_UID as seen inside", "%u", ou);
	close(own);
	gid_t g = 0;
	TRY("user setgroups(2) denied", setgroups(1, &g));
	TRY("user setuid to an unmapped id", setuid(1234));
	TRY("user setuid 0", setuid(0));
	struct stat st;
	stat(path, &st);
	V("user stat of an unmapped owner", "uid=%u gid=%u", st.st_uid, st.st_gid);
	TRY("user open of an unmapped owner's 0600 file", open(path, O_RDONLY));
	TRY("user chown to an unmapped id", chown(path, 1234, -1));
	TRY("user chown of an unmapped owner's file", chown(path, 0, -1));
	struct stat rs;
	stat("/", &rs);
	V("user stat of a mapped owner", "uid=%u", rs.st_uid);
	struct ucred uc;
	socklen_t ul = sizeof(uc);
	getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul);
	V("user SO_PEERCRED", "uid=%u gid=%u", uc.uid, uc.gid);
	TRY("user sethostname needs its own uts", sethostname("x", 1));
	TRY("user unshare uts inside", unshare(CLONE_NEWUTS));
	TRY("user sethostname in own uts", sethostname("x", 1));
	unlink(path);
}

static void user_threads_part(void)
{
	pthread_t th;
	pthread_create(&th, NULL, idle_thread, NULL);
	TRY("user unshare with two threads", unshare(CLONE_NEWUSER));
	TRY("uts unshare with two threads", unshare(CLONE_NEWUTS));
}

static void unprivileged_part(void)
{
	if (setgid(65534) < 0 || setuid(65534) < 0) {
		V("unprivileged setup", "failed");
		return;
	}
	/* (a setuid leaves the process undumpable: /proc/self would be
	 * root's and the maps unwritable, as they are on Linux) */
	prctl(PR_SET_DUMPABLE, 1);
	TRY("unprivileged unshare uts", unshare(CLONE_NEWUTS));
	TRY("unprivileged unshare net", unshare(CLONE_NEWNET));
	TRY("unprivileged unshare user+net", unshare(CLONE_NEWUSER | CLONE_NEWNET));
	V("unprivileged ids in it", "uid=%u", getuid());
	write_file("unprivileged setgroups deny", "/proc/self/setgroups", "deny");
	write_file("unprivileged uid_map of another id", "/proc/self/uid_map", "0 0 1\n");
	write_file("unprivileged uid_map of its own", "/proc/self/uid_map", "0 65534 1\n");
	write_file("unprivileged gid_map of its own", "/proc/self/gid_map", "0 65534 1\n");
	V("unprivileged ids mapped", "uid=%u gid=%u", getuid(), getgid());
	lo_up();
	int l = tcp_listener(80);
	V("unprivileged low port in its own net namespace", "%s", l >= 0 ? "yes" : "no");
}

static int clone_child(void *arg)
{
	(void)arg;
	struct utsname u;
	sethostname("cloned", 6);
	uname(&u);
	return strcmp(u.nodename, "cloned") ? 1 : 7;
}

static void clone_part(void)
{
	static char stack[64 * 1024];
	pid_t p = clone(clone_child, stack + sizeof(stack), CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD, NULL);
	int st = 0;
	if (p > 0)
		waitpid(p, &st, 0);
	V("clone with new uts and net", "ok=%s status=%d", p > 0 ? "yes" : "no", WEXITSTATUS(st));
	char name[65];
	gethostname(name, sizeof(name));
	V("clone parent's hostname kept", "%s", strcmp(name, "cloned") ? "yes" : "no");
	errno = 0;
	p = clone(clone_child, stack + sizeof(stack), CLONE_NEWUSER | CLONE_FS | SIGCHLD, NULL);
	V("clone user with CLONE_FS", "ret=%d errno=%s", p < 0 ? -1 : 0, errname(p < 0 ? errno : 0));
	if (p > 0)
		waitpid(p, NULL, 0);
	errno = 0;
	p = clone(clone_child, stack + sizeof(stack), CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD, NULL);
	V("clone ipc with CLONE_SYSVSEM", "ret=%d errno=%s", p < 0 ? -1 : 0, errname(p < 0 ? errno : 0));
	if (p > 0)
		waitpid(p, NULL, 0);
}

static void pidfd_part(void)
{
	int ready[2], go[2];
	pipe(ready);
	pipe(go);
	pid_t p = fork();
	if (p == 0) {
		char c;
		unshare(CLONE_NEWUTS | CLONE_NEWNET);
		sethostname("pidfdns", 7);
		write(ready[1], "r", 1);
		read(go[0], &c, 1);
		_exit(0);
	}
	char c, want[64] = { 0 }, got[64] = { 0 }, path[64];
	read(ready[0], &c, 1);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)p);
	readlink(path, want, sizeof(want) - 1);
	int pfd = (int)syscall(SYS_pidfd_open, p, 0);
	V("pidfd opened", "%s", pfd >= 0 ? "yes" : "no");
	TRY("setns pidfd flags 0", setns(pfd, 0));
	TRY("setns pidfd bad flag", setns(pfd, 1));
	TRY("setns pidfd own user namespace", setns(pfd, CLONE_NEWUSER));
	TRY("setns pidfd uts and net", setns(pfd, CLONE_NEWUTS | CLONE_NEWNET));
	char name[65] = { 0 };
	gethostname(name, sizeof(name));
	V("setns pidfd hostname", "%s", name);
	readlink("/proc/self/ns/net", got, sizeof(got) - 1);
	V("setns pidfd net is the child's", "%s", strcmp(want, got) ? "no" : "yes");
	write(go[1], "g", 1);
	waitpid(p, NULL, 0);
	TRY("setns pidfd of a reaped process", setns(pfd, CLONE_NEWUTS));
	close(pfd);
}

void case_namespaces(void)
{
	ck_child(uts_part);
	uts_parent_unchanged();
	ck_child(net_part);
	ck_child(setns_errors);
	ck_child(ipc_part);
	ck_child(user_part);
	ck_child(user_threads_part);
	ck_child(unprivileged_part);
	ck_child(clone_part);
	ck_child(pidfd_part);
}
