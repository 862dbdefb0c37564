/*
 * fd_kinds: every socket call on a descriptor of the wrong kind (a closed
 * number, -1, a huge number, a regular file, a directory, O_PATH fds, a
 * pipe, an eventfd, an epoll fd, /dev/null, and sockets of a family or
 * type the call does not take), what O_PATH descriptors allow, and what
 * fstat and /proc/self/fd say about sockets, pipes and anonymous inodes.
 */
#include "diff.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/xattr.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define FK_FILE "/tmp/diff-fdkind-file"
#define FK_DIR "/tmp/diff-fdkind-dir"
#define FK_SOCK "/tmp/diff-fdkind-sock"

static struct sockaddr_in fk_lo(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* Each socket call with arguments that are valid in themselves, so that
 * only the descriptor decides the answer. Receives never wait. */
static void socket_calls_on(const char *kind, int fd)
{
	char step[96], buf[64] = "data";
	struct sockaddr_in a = fk_lo(0);
	struct sockaddr_storage ss;
	socklen_t sl;
	int v = 1;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = mh };
	struct timeval tv;

#define FK(name, call)                                                   \
	do {                                                             \
		snprintf(step, sizeof(step), "%s %s", kind, name);       \
		errno = 0;                                               \
		R(step, (call));                                         \
	} while (0)
	FK("bind", bind(fd, (struct sockaddr *)&a, sizeof(a)));
	FK("listen", listen(fd, 1));
	sl = sizeof(ss);
	FK("accept", accept(fd, (struct sockaddr *)&ss, &sl));
	sl = sizeof(ss);
	FK("accept4", accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK));
	a = fk_lo(1);
	FK("connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	sl = sizeof(ss);
	FK("getsockname", getsockname(fd, (struct sockaddr *)&ss, &sl));
	sl = sizeof(ss);
	FK("getpeername", getpeername(fd, (struct sockaddr *)&ss, &sl));
	sl = sizeof(v);
	FK("getsockopt", getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &sl));
	v = 1;
	FK("setsockopt", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	FK("send", send(fd, buf, 4, MSG_DONTWAIT | MSG_NOSIGNAL));
	FK("sendto", sendto(fd, buf, 4, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof(a)));
	FK("sendmsg", sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL));
	FK("sendmmsg", sendmmsg(fd, &mm, 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	FK("recv", recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	sl = sizeof(ss);
	FK("recvfrom", recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl));
	FK("recvmsg", recvmsg(fd, &mh, MSG_DONTWAIT));
	FK("recvmmsg", recvmmsg(fd, &mm, 1, MSG_DONTWAIT, NULL));
	FK("shutdown", shutdown(fd, SHUT_RDWR));
	v = -7;
	FK("FIONREAD", ioctl(fd, FIONREAD, &v));
	if (v != -7) {
		snprintf(step, sizeof(step), "%s FIONREAD value", kind);
		V(step, "%d", v);
	}
	FK("SIOCOUTQ", ioctl(fd, SIOCOUTQ, &v));
	FK("SIOCATMARK", ioctl(fd, SIOCATMARK, &v));
	FK("SIOCGSTAMP", ioctl(fd, SIOCGSTAMP, &tv));
#undef FK
}

/* What an O_PATH descriptor allows: fstat, fstatfs, some fcntl, dup and
 * use as a directory; everything else is EBADF. */
static void opath_calls(const char *kind, int fd, int isdir)
{
	char step[96], buf[16];
	struct stat st;
	struct statfs sf;
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int v = 0;

#define OP(name, call)                                                   \
	do {                                                             \
		snprintf(step, sizeof(step), "%s %s", kind, name);       \
		errno = 0;                                               \
		R(step, (call));                                         \
	} while (0)
	OP("read", read(fd, buf, sizeof(buf)));
	OP("write", write(fd, "x", 1));
	OP("pread", pread(fd, buf, sizeof(buf), 0));
	OP("lseek", lseek(fd, 0, SEEK_SET));
	OP("fstat", fstat(fd, &st));
	snprintf(step, sizeof(step), "%s fstat type", kind);
	V(step, "%s", S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "reg" : "other");
	OP("fstatfs", fstatfs(fd, &sf));
	int fl_ = fcntl(fd, F_GETFL);
	snprintf(step, sizeof(step), "%s F_GETFL", kind);
	V(step, "0%o", fl_ < 0 ? 0 : fl_);
	OP("F_GETFD", fcntl(fd, F_GETFD));
	OP("F_SETFD", fcntl(fd, F_SETFD, FD_CLOEXEC));
	OP("F_SETFL", fcntl(fd, F_SETFL, O_NONBLOCK));
	OP("F_GETLK", fcntl(fd, F_GETLK, &fl));
	OP("F_SETLK", fcntl(fd, F_SETLK, &fl));
	OP("F_GETOWN", fcntl(fd, F_GETOWN));
	OP("F_GETPIPE_SZ", fcntl(fd, F_GETPIPE_SZ));
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	OP("F_DUPFD_CLOEXEC", d < 0 ? d : 0);
	if (d >= 0) {
		int g = fcntl(d, F_GETFL);
		snprintf(step, sizeof(step), "%s dup keeps O_PATH", kind);
		V(step, "%d", g >= 0 && (g & O_PATH) != 0);
		close(d);
	}
	d = dup(fd);
	OP("dup", d < 0 ? d : 0);
	if (d >= 0)
		close(d);
	OP("ioctl FIONREAD", ioctl(fd, FIONREAD, &v));
	OP("ioctl FIOCLEX", ioctl(fd, FIOCLEX));
	OP("fchmod", fchmod(fd, 0644));
	OP("fchown", fchown(fd, 0, 0));
	OP("fsync", fsync(fd));
	OP("ftruncate", ftruncate(fd, 0));
	OP("flock", flock(fd, LOCK_SH | LOCK_NB));
	OP("mmap", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
	OP("fgetxattr", fgetxattr(fd, "user.x", buf, sizeof(buf)));
	if (isdir) {
		OP("getdents", syscall(SYS_getdents64, fd, buf, sizeof(buf)));
		OP("openat relative", ({
			int o = openat(fd, "f", O_RDONLY);
			if (o >= 0)
				close(o);
			o < 0 ? o : 0;
		}));
		OP("fstatat relative", fstatat(fd, "f", &st, 0));
	} else {
		OP("fstatat empty path", fstatat(fd, "", &st, AT_EMPTY_PATH));
		OP("openat relative", openat(fd, "f", O_RDONLY));
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	OP("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	close(ep);
	struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT };
	OP("poll", poll(&pf, 1, 0));
	snprintf(step, sizeof(step), "%s poll revents", kind);
	V(step, "0x%x", pf.revents);
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(fd, &rs);
	FD_SET(fd, &ws);
	struct timeval tv = { 0, 0 };
	OP("select", select(fd + 1, &rs, &ws, NULL, &tv));
	snprintf(step, sizeof(step), "%s select sets", kind);
	V(step, "read %d write %d", FD_ISSET(fd, &rs) != 0, FD_ISSET(fd, &ws) != 0);
	OP("syncfs", syncfs(fd));
	OP("readahead", readahead(fd, 0, 10));
	snprintf(step, sizeof(step), "%s posix_fadvise", kind);
	V(step, "%s", errname(posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL)));
	OP("fcntl unknown command", fcntl(fd, 9999));
	OP("F_SETOWN", fcntl(fd, F_SETOWN, 0));
	OP("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
#undef OP
}

/* fstat and /proc/self/fd of a socket and other kernel objects. */
static void stat_of(const char *kind, int fd)
{
	char step[96], link[64], path[64], want[64];
	struct stat st;
	snprintf(step, sizeof(step), "%s fstat", kind);
	if (fstat(fd, &st) < 0) {
		V(step, "failed %s", errname(errno));
		return;
	}
	V(step, "fmt=0%o perm=0%o size=%lld blksize=%ld blocks=%lld nlink=%ld uid=%u gid=%u", st.st_mode & S_IFMT,
	  st.st_mode & 07777, (long long)st.st_size, (long)st.st_blksize, (long long)st.st_blocks,
	  (long)st.st_nlink, st.st_uid, st.st_gid);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = 0;
	char *br = strchr(link, '[');
	snprintf(step, sizeof(step), "%s readlink", kind);
	if (br && (br[1] >= '0' && br[1] <= '9')) {
		snprintf(want, sizeof(want), "[%llu]", (unsigned long long)st.st_ino);
		V(step, "%.*s[INO] ino matches fstat: %d", (int)(br - link), link, strcmp(br, want) == 0);
	} else {
		V(step, "%s", n < 0 ? errname(errno) : link);
	}
	struct stat ls;
	snprintf(step, sizeof(step), "%s stat of /proc/self/fd", kind);
	errno = 0;
	int r = stat(path, &ls);
	V(step, "ret=%d errno=%s same ino: %d", r, errname(r < 0 ? errno : 0), r == 0 && ls.st_ino == st.st_ino);
}

/* A socket of the right family for some calls and the wrong one for the
 * call made. */
static void wrong_socket_kinds(void)
{
	struct sockaddr_in a4 = fk_lo(0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int v = 1;
	socklen_t sl = sizeof(v);
	struct timeval tv;
	char b[8];
	strcpy(un.sun_path + 1, "diff-fdkind");

	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	TRY("unix stream bind inet address", bind(u, (struct sockaddr *)&a4, sizeof(a4)));
	TRY("unix stream connect inet address", connect(u, (struct sockaddr *)&a4, sizeof(a4)));
	TRY("unix stream sendto inet address", sendto(u, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a4, sizeof(a4)));
	TRY("unix stream setsockopt TCP_NODELAY", setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	sl = sizeof(v);
	TRY("unix stream getsockopt TCP_NODELAY", getsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, &sl));
	TRY("unix stream setsockopt IP_TOS", setsockopt(u, IPPROTO_IP, IP_TOS, &v, sizeof(v)));
	sl = sizeof(v);
	TRY("unix stream getsockopt IP_TOS", getsockopt(u, IPPROTO_IP, IP_TOS, &v, &sl));
	TRY("unix stream SIOCGSTAMP", ioctl(u, SIOCGSTAMP, &tv));
	v = -7;
	TRY("unix stream SIOCATMARK", ioctl(u, SIOCATMARK, &v));
	V("unix stream SIOCATMARK value", "%d", v);
	TRY("unix stream SIOCATMARK bad pointer", ioctl(u, SIOCATMARK, (int *)8));
	TRY("unix stream SIOCOUTQ", ioctl(u, SIOCOUTQ, &v));
	TRY("unix stream SIOCINQ", ioctl(u, SIOCINQ, &v));
	TRY("unix stream accept unlistened", accept(u, NULL, NULL));
	TRY("unix stream recv unconnected", recv(u, b, sizeof(b), MSG_DONTWAIT));
	TRY("unix stream send unconnected", send(u, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	TRY("unix stream shutdown unconnected", shutdown(u, SHUT_RDWR));
	close(u);
	u = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	TRY("unix seqpacket SIOCATMARK", ioctl(u, SIOCATMARK, &v));
	close(u);
	u = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(u, (struct sockaddr *)&un, sizeof(un));
	listen(u, 1);
	TRY("unix listening SIOCATMARK", ioctl(u, SIOCATMARK, &v));
	close(u);

	u = socket(AF_UNIX, SOCK_DGRAM, 0);
	TRY("unix dgram listen", listen(u, 1));
	TRY("unix dgram accept", accept(u, NULL, NULL));
	TRY("unix dgram accept4", accept4(u, NULL, NULL, SOCK_NONBLOCK));
	TRY("unix dgram SIOCATMARK", ioctl(u, SIOCATMARK, &v));
	TRY("unix dgram SIOCATMARK bad pointer", ioctl(u, SIOCATMARK, (int *)8));
	TRY("unix dgram SIOCGSTAMP no packet", ioctl(u, SIOCGSTAMP, &tv));
	TRY("unix dgram shutdown unconnected", shutdown(u, SHUT_RDWR));
	close(u);

	int d = socket(AF_INET, SOCK_DGRAM, 0);
	TRY("udp bind unix address", bind(d, (struct sockaddr *)&un, sizeof(un)));
	TRY("udp connect unix address", connect(d, (struct sockaddr *)&un, sizeof(un)));
	TRY("udp sendto unix address", sendto(d, "x", 1, 0, (struct sockaddr *)&un, sizeof(un)));
	TRY("udp listen", listen(d, 1));
	TRY("udp accept", accept(d, NULL, NULL));
	TRY("udp accept4", accept4(d, NULL, NULL, SOCK_NONBLOCK));
	TRY("udp setsockopt TCP_NODELAY", setsockopt(d, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	sl = sizeof(v);
	TRY("udp getsockopt TCP_NODELAY", getsockopt(d, IPPROTO_TCP, TCP_NODELAY, &v, &sl));
	TRY("udp SIOCATMARK", ioctl(d, SIOCATMARK, &v));
	TRY("udp SIOCGSTAMP no packet", ioctl(d, SIOCGSTAMP, &tv));
	TRY("udp shutdown unconnected", shutdown(d, SHUT_RDWR));
	TRY("udp getpeername unconnected", getpeername(d, (struct sockaddr *)&a4, &sl));
	close(d);

	int s = socket(AF_INET, SOCK_STREAM, 0);
	TRY("tcp bind unix address", bind(s, (struct sockaddr *)&un, sizeof(un)));
	TRY("tcp connect unix address", connect(s, (struct sockaddr *)&un, sizeof(un)));
	sl = sizeof(v);
	TRY("tcp setsockopt UDP_CORK", setsockopt(s, IPPROTO_UDP, 1, &v, sizeof(v)));
	TRY("tcp getsockopt UDP_CORK", getsockopt(s, IPPROTO_UDP, 1, &v, &sl));
	TRY("tcp setsockopt IPV6_V6ONLY", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
	TRY("tcp accept unlistened", accept(s, NULL, NULL));
	TRY("tcp accept4 bad flags", accept4(s, NULL, NULL, 0x1));
	TRY("tcp recv unconnected", recv(s, b, sizeof(b), MSG_DONTWAIT));
	TRY("tcp send unconnected", send(s, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	struct mmsghdr mm = { 0 };
	TRY("tcp sendmmsg unconnected", sendmmsg(s, &mm, 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	TRY("tcp recvmmsg unconnected", recvmmsg(s, &mm, 1, MSG_DONTWAIT, NULL));
	TRY("tcp shutdown unconnected", shutdown(s, SHUT_RDWR));
	TRY("tcp shutdown bad how", shutdown(s, 7));
	TRY("tcp SIOCGSTAMP unconnected", ioctl(s, SIOCGSTAMP, &tv));
	TRY("tcp SIOCATMARK unconnected", ioctl(s, SIOCATMARK, &v));
	v = -7;
	TRY("tcp SIOCOUTQ unconnected", ioctl(s, SIOCOUTQ, &v));
	v = -7;
	TRY("tcp SIOCINQ unconnected", ioctl(s, SIOCINQ, &v));
	TRY("tcp listen after", listen(s, 1));
	v = -7;
	TRY("tcp SIOCINQ listening", ioctl(s, SIOCINQ, &v));
	TRY("tcp SIOCOUTQ listening", ioctl(s, SIOCOUTQ, &v));
	TRY("tcp connect listening", connect(s, (struct sockaddr *)&a4, sizeof(a4)));
	TRY("tcp send listening", send(s, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	TRY("tcp recv listening", recv(s, b, sizeof(b), MSG_DONTWAIT));
	close(s);

	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	TRY("tcp6 bind inet address", bind(s6, (struct sockaddr *)&a4, sizeof(a4)));
	TRY("tcp6 setsockopt IP_TOS", setsockopt(s6, IPPROTO_IP, IP_TOS, &v, sizeof(v)));
	close(s6);
	s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	TRY("tcp bind inet6 address", bind(s, (struct sockaddr *)&a6, sizeof(a6)));
	close(s);
}

void case_fd_kinds(void)
{
	mkdir(FK_DIR, 0755);
	int fd = open(FK_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(fd, "0123456789", 10);
	close(fd);
	int closed = dup(0);
	close(closed);

	socket_calls_on("closed fd", closed);
	socket_calls_on("fd -1", -1);
	socket_calls_on("fd 1<<30", 1 << 30);

	fd = open(FK_FILE, O_RDWR);
	lseek(fd, 3, SEEK_SET);
	socket_calls_on("file", fd);
	close(fd);
	fd = open(FK_DIR, O_RDONLY | O_DIRECTORY);
	socket_calls_on("dir", fd);
	close(fd);
	fd = open(FK_FILE, O_PATH);
	socket_calls_on("O_PATH file", fd);
	opath_calls("O_PATH file", fd, 0);
	close(fd);
	fd = open(FK_DIR, O_PATH | O_DIRECTORY);
	socket_calls_on("O_PATH dir", fd);
	opath_calls("O_PATH dir", fd, 1);
	close(fd);

	/* A unix socket's file in the tree: O_PATH is the only way to
	 * open it, and the descriptor is not the socket. */
	int us = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	strcpy(un.sun_path, FK_SOCK);
	unlink(FK_SOCK);
	bind(us, (struct sockaddr *)&un, sizeof(un));
	listen(us, 1);
	TRY("open a socket file", open(FK_SOCK, O_RDWR));
	fd = open(FK_SOCK, O_PATH);
	socket_calls_on("O_PATH socket file", fd);
	struct stat st;
	TRY("O_PATH socket file fstat", fstat(fd, &st));
	V("O_PATH socket file fstat type", "%s", S_ISSOCK(st.st_mode) ? "socket" : "other");
	char lk[128], pth[64];
	snprintf(pth, sizeof(pth), "/proc/self/fd/%d", fd);
	ssize_t ln = readlink(pth, lk, sizeof(lk) - 1);
	lk[ln < 0 ? 0 : ln] = 0;
	V("O_PATH socket file readlink", "%s", lk);
	int vv = 1;
	TRY("O_PATH socket file connect via /proc/self/fd", ({
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un pu = { .sun_family = AF_UNIX };
		strcpy(pu.sun_path, pth);
		int r = connect(c, (struct sockaddr *)&pu, sizeof(pu));
		close(c);
		r;
	}));
	(void)vv;
	close(fd);
	close(us);
	unlink(FK_SOCK);
	fd = open(FK_DIR, O_PATH | O_DIRECTORY);
	TRY("fchdir to an O_PATH dir", fchdir(fd));
	char cwd[128];
	V("cwd after", "%s", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	chdir("/");
	snprintf(pth, sizeof(pth), "/proc/self/fd/%d", fd);
	ln = readlink(pth, lk, sizeof(lk) - 1);
	lk[ln < 0 ? 0 : ln] = 0;
	V("O_PATH dir readlink", "%s", lk);
	close(fd);

	int p[2];
	pipe(p);
	write(p[1], "abc", 3);
	socket_calls_on("pipe read end", p[0]);
	socket_calls_on("pipe write end", p[1]);
	stat_of("pipe", p[0]);
	close(p[0]);
	close(p[1]);

	fd = eventfd(0, EFD_NONBLOCK);
	socket_calls_on("eventfd", fd);
	stat_of("eventfd", fd);
	close(fd);
	fd = epoll_create1(0);
	socket_calls_on("epoll", fd);
	struct {
		uint32_t usecs;
		uint16_t budget;
		uint8_t prefer, pad;
	} bp = { 1, 2, 3, 4 };
	TRY("epoll EPIOCGPARAMS", ioctl(fd, _IOR(0x8A, 0x02, bp), &bp));
	V("epoll params", "%u %u %u %u", bp.usecs, bp.budget, bp.prefer, bp.pad);
	bp.pad = 1;
	TRY("epoll EPIOCSPARAMS pad", ioctl(fd, _IOW(0x8A, 0x01, bp), &bp));
	bp.pad = 0;
	bp.prefer = 2;
	TRY("epoll EPIOCSPARAMS prefer 2", ioctl(fd, _IOW(0x8A, 0x01, bp), &bp));
	bp.prefer = 1;
	bp.usecs = 0x80000000u;
	TRY("epoll EPIOCSPARAMS usecs over", ioctl(fd, _IOW(0x8A, 0x01, bp), &bp));
	bp.usecs = 50;
	bp.budget = 16;
	TRY("epoll EPIOCSPARAMS", ioctl(fd, _IOW(0x8A, 0x01, bp), &bp));
	memset(&bp, 0xff, sizeof(bp));
	TRY("epoll EPIOCGPARAMS after", ioctl(fd, _IOR(0x8A, 0x02, bp), &bp));
	V("epoll params after", "%u %u %u %u", bp.usecs, bp.budget, bp.prefer, bp.pad);
	TRY("epoll EPIOCGPARAMS bad pointer", ioctl(fd, _IOR(0x8A, 0x02, bp), (void *)8));
	TRY("epoll FIONBIO", ioctl(fd, FIONBIO, &(int){ 1 }));
	stat_of("epoll", fd);
	close(fd);
	fd = open("/dev/null", O_RDWR);
	socket_calls_on("/dev/null", fd);
	char b[4];
	TRY("/dev/null pread", pread(fd, b, sizeof(b), 10));
	TRY("/dev/null pwrite", pwrite(fd, b, sizeof(b), 10));
	TRY("/dev/null lseek", lseek(fd, 10, SEEK_SET));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	TRY("/dev/zero pread", pread(fd, b, sizeof(b), 10));
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	TRY("/dev/urandom pread", pread(fd, b, sizeof(b), 10));
	close(fd);

	wrong_socket_kinds();

	static const struct {
		const char *name;
		int domain, type;
	} socks[] = {
		{ "tcp socket", AF_INET, SOCK_STREAM },
		{ "udp socket", AF_INET, SOCK_DGRAM },
		{ "tcp6 socket", AF_INET6, SOCK_STREAM },
		{ "unix stream socket", AF_UNIX, SOCK_STREAM },
		{ "unix dgram socket", AF_UNIX, SOCK_DGRAM },
		{ "unix seqpacket socket", AF_UNIX, SOCK_SEQPACKET },
	};
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		fd = socket(socks[i].domain, socks[i].type, 0);
		stat_of(socks[i].name, fd);
		close(fd);
	}
	int sp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	stat_of("socketpair end", sp[0]);
	struct stat s0, s1;
	fstat(sp[0], &s0);
	fstat(sp[1], &s1);
	V("socketpair ends differ in ino", "%d", s0.st_ino != s1.st_ino);
	close(sp[0]);
	close(sp[1]);
	int c, acc;
	tcp_pair(&c, &acc);
	stat_of("accepted tcp socket", acc);
	close(acc);
	close(c);

	unlink(FK_FILE);
	rmdir(FK_DIR);
}
