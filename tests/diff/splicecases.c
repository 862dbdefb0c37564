/*
 * splice_calls: splice(2), tee(2) and sendfile(2) between pipes, files
 * and sockets (TCP and unix stream): what they move (read back from the
 * destination), their flags and offsets, and every wrong kind of
 * descriptor. A call that would block on Linux is never made; the rest
 * run under guard_begin() so that a call moat parks on ends in EINTR.
 */
#include "diff.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SP_FILE "/tmp/diff-splice-file"
#define SP_FILE2 "/tmp/diff-splice-out"
#define SP_DIR "/tmp/diff-splice-dir"
#define SP_BADF 0x1000 /* not a SPLICE_F_ flag */

/* A result line for CALL, guarded so that a call moat would park on
 * forever ends in EINTR. */
#define G(what, call)                                                          \
	do {                                                                   \
		guard_begin();                                                 \
		errno = 0;                                                     \
		long r_ = (call);                                              \
		int e_ = errno;                                                \
		guard_end();                                                   \
		errno = e_;                                                    \
		R(what, r_);                                                   \
	} while (0)

/* Waits (at most 2 s) until fd is readable: loopback delivery may take
 * moat's event loop a turn. */
static void wait_in(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	poll(&p, 1, 2000);
}

/* Waits (at most 2 s) until fd holds n bytes: what a sender sent in
 * pieces may reach moat's receiver in more than one turn. */
static void wait_bytes(int fd, int n)
{
	for (int i = 0; i < 200; i++) {
		int v = 0;
		if (ioctl(fd, FIONREAD, &v) == 0 && v >= n)
			return;
		usleep(10000);
	}
}

/* Prints what fd holds now (nonblocking, at most 200 bytes). */
static void show(const char *step, int fd)
{
	char b[256];
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	ssize_t n = read(fd, b, 200);
	int e = errno;
	fcntl(fd, F_SETFL, fl);
	if (n < 0)
		V(step, "read %s", errname(e));
	else
		V(step, "%zd '%.*s'", n, (int)n, b);
}

/* The whole of a file, by path. */
static void show_file(const char *step, const char *path)
{
	char b[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, b, 200);
	close(fd);
	V(step, "%zd '%.*s'", n, (int)(n < 0 ? 0 : n), b);
}

static void put_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(fd, s, strlen(s));
	close(fd);
}

static void fill_pipe(int w)
{
	char b[4096];
	memset(b, 'f', sizeof(b));
	int fl = fcntl(w, F_GETFL);
	fcntl(w, F_SETFL, fl | O_NONBLOCK);
	while (write(w, b, sizeof(b)) > 0)
		;
	fcntl(w, F_SETFL, fl);
}

static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* pipe -> socket and socket -> pipe, TCP and unix stream. */
static void sockets(const char *kind, int sv[2])
{
	char step[96];
	int p[2];
	pipe(p);
	write(p[1], "hello", 5);
	snprintf(step, sizeof(step), "%s pipe to socket", kind);
	G(step, splice(p[0], NULL, sv[0], NULL, 100, 0));
	wait_in(sv[1]);
	snprintf(step, sizeof(step), "%s peer got", kind);
	show(step, sv[1]);
	snprintf(step, sizeof(step), "%s empty pipe to socket nonblocking", kind);
	G(step, splice(p[0], NULL, sv[0], NULL, 100, SPLICE_F_NONBLOCK));
	write(p[1], "more", 4);
	snprintf(step, sizeof(step), "%s pipe to socket SPLICE_F_MORE", kind);
	G(step, splice(p[0], NULL, sv[0], NULL, 2, SPLICE_F_MORE | SPLICE_F_MOVE));
	snprintf(step, sizeof(step), "%s pipe to socket rest", kind);
	G(step, splice(p[0], NULL, sv[0], NULL, 100, 0));
	wait_bytes(sv[1], 4);
	snprintf(step, sizeof(step), "%s peer got more", kind);
	show(step, sv[1]);

	write(sv[1], "world", 5);
	wait_in(sv[0]);
	snprintf(step, sizeof(step), "%s socket to pipe", kind);
	G(step, splice(sv[0], NULL, p[1], NULL, 3, 0));
	snprintf(step, sizeof(step), "%s socket to pipe rest", kind);
	G(step, splice(sv[0], NULL, p[1], NULL, 100, SPLICE_F_MOVE));
	snprintf(step, sizeof(step), "%s pipe holds", kind);
	show(step, p[0]);
	int64_t off = 0;
	snprintf(step, sizeof(step), "%s socket to pipe with an offset", kind);
	G(step, splice(sv[0], &off, p[1], NULL, 100, 0));
	snprintf(step, sizeof(step), "%s pipe to socket with an offset", kind);
	G(step, splice(p[0], NULL, sv[0], &off, 100, 0));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	snprintf(step, sizeof(step), "%s empty nonblocking socket to pipe", kind);
	G(step, splice(sv[0], NULL, p[1], NULL, 100, 0));
	fcntl(sv[0], F_SETFL, 0);
	snprintf(step, sizeof(step), "%s socket to socket", kind);
	G(step, splice(sv[0], NULL, sv[1], NULL, 100, 0));
	snprintf(step, sizeof(step), "%s tee socket to pipe", kind);
	G(step, tee(sv[0], p[1], 100, SPLICE_F_NONBLOCK));
	write(p[1], "ab", 2);
	snprintf(step, sizeof(step), "%s pipe to socket huge len", kind);
	G(step, splice(p[0], NULL, sv[0], NULL, SIZE_MAX, 0));
	snprintf(step, sizeof(step), "%s pipe to socket len 1<<62", kind);
	G(step, splice(p[0], NULL, sv[0], NULL, (size_t)1 << 62, 0));
	wait_bytes(sv[1], 2);
	snprintf(step, sizeof(step), "%s peer got the last", kind);
	show(step, sv[1]);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	write(sv[1], "x", 1);
	wait_in(sv[0]);
	snprintf(step, sizeof(step), "%s socket to a pipe without readers", kind);
	G(step, splice(sv[0], NULL, p[1], NULL, 100, 0));
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	close2(sv);
}

static void pipes(void)
{
	int a[2], b[2];
	pipe(a);
	pipe(b);
	write(a[1], "abcdef", 6);
	G("pipe to pipe", splice(a[0], NULL, b[1], NULL, 4, 0));
	show("pipe to pipe target", b[0]);
	show("pipe to pipe source keeps", a[0]);
	G("empty pipe to pipe nonblocking", splice(a[0], NULL, b[1], NULL, 4, SPLICE_F_NONBLOCK));
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	G("empty O_NONBLOCK pipe to pipe", splice(a[0], NULL, b[1], NULL, 4, 0));
	fcntl(a[0], F_SETFL, 0);
	fcntl(b[1], F_SETFL, O_NONBLOCK);
	G("empty pipe to O_NONBLOCK pipe", splice(a[0], NULL, b[1], NULL, 4, 0));
	fcntl(b[1], F_SETFL, 0);
	G("pipe to the same pipe", splice(a[0], NULL, a[1], NULL, 4, 0));
	int64_t off = 0;
	G("pipe to pipe off_in", splice(a[0], &off, b[1], NULL, 4, 0));
	G("pipe to pipe off_out", splice(a[0], NULL, b[1], &off, 4, 0));
	G("pipe to pipe bad off pointer", splice(a[0], (int64_t *)8, b[1], NULL, 4, 0));
	G("pipe to pipe bad flags", splice(a[0], NULL, b[1], NULL, 4, SP_BADF));
	G("len 0 with bad flags", splice(a[0], NULL, b[1], NULL, 0, SP_BADF));
	G("len 0 with bad fds", splice(-1, NULL, -1, NULL, 0, 0));
	G("bad fds", splice(-1, NULL, b[1], NULL, 4, 0));
	G("read end as output", splice(a[0], NULL, b[0], NULL, 4, SPLICE_F_NONBLOCK));
	G("write end as input", splice(a[1], NULL, b[1], NULL, 4, SPLICE_F_NONBLOCK));
	G("write end as input with off_in", splice(a[1], &off, b[1], NULL, 4, SPLICE_F_NONBLOCK));
	fill_pipe(b[1]);
	write(a[1], "xyz", 3);
	G("pipe to a full pipe nonblocking", splice(a[0], NULL, b[1], NULL, 4, SPLICE_F_NONBLOCK));
	fcntl(b[1], F_SETFL, O_NONBLOCK);
	G("pipe to a full O_NONBLOCK pipe", splice(a[0], NULL, b[1], NULL, 4, 0));
	fcntl(b[1], F_SETFL, 0);
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	G("O_NONBLOCK pipe to a full pipe", splice(a[0], NULL, b[1], NULL, 4, 0));
	fcntl(a[0], F_SETFL, 0);
	close2(b);
	pipe(b);
	G("pipe to pipe huge len", splice(a[0], NULL, b[1], NULL, SIZE_MAX, 0));
	show("huge len target", b[0]);
	close(a[1]);
	G("pipe without writers to pipe", splice(a[0], NULL, b[1], NULL, 4, 0));
	close(b[0]);
	signal(SIGPIPE, SIG_IGN);
	G("pipe without writers to a pipe without readers", splice(a[0], NULL, b[1], NULL, 4, 0));
	G("tee without writers to a pipe without readers", tee(a[0], b[1], 4, 0));
	signal(SIGPIPE, SIG_DFL);
	close(b[1]);
	pipe(b);
	close(a[0]);
	pipe(a);
	write(a[1], "q", 1);
	close(b[0]);
	signal(SIGPIPE, SIG_IGN);
	G("pipe to a pipe without readers", splice(a[0], NULL, b[1], NULL, 4, 0));
	signal(SIGPIPE, SIG_DFL);
	close(b[1]);
	close2(a);
}

static void tees(void)
{
	int a[2], b[2];
	pipe(a);
	pipe(b);
	write(a[1], "abcdef", 6);
	G("tee", tee(a[0], b[1], 4, 0));
	show("tee target", b[0]);
	G("tee again all", tee(a[0], b[1], 100, SPLICE_F_MOVE | SPLICE_F_MORE));
	show("tee target again", b[0]);
	show("tee source keeps", a[0]);
	G("tee empty source nonblocking", tee(a[0], b[1], 4, SPLICE_F_NONBLOCK));
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	G("tee empty O_NONBLOCK source", tee(a[0], b[1], 4, 0));
	fcntl(a[0], F_SETFL, 0);
	fcntl(b[1], F_SETFL, O_NONBLOCK);
	G("tee empty source to O_NONBLOCK pipe", tee(a[0], b[1], 4, 0));
	fcntl(b[1], F_SETFL, 0);
	write(a[1], "12", 2);
	fill_pipe(b[1]);
	G("tee to a full pipe nonblocking", tee(a[0], b[1], 4, SPLICE_F_NONBLOCK));
	fcntl(b[1], F_SETFL, O_NONBLOCK);
	G("tee to a full O_NONBLOCK pipe", tee(a[0], b[1], 4, 0));
	fcntl(b[1], F_SETFL, 0);
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	G("tee O_NONBLOCK source to a full pipe", tee(a[0], b[1], 4, 0));
	fcntl(a[0], F_SETFL, 0);
	close2(b);
	pipe(b);
	G("tee same pipe", tee(a[0], a[1], 4, 0));
	G("tee len 0", tee(a[0], b[1], 0, 0));
	G("tee len 0 bad flags", tee(a[0], b[1], 0, SP_BADF));
	G("tee len 0 bad fds", tee(-1, -1, 0, 0));
	G("tee bad flags", tee(a[0], b[1], 4, SP_BADF));
	G("tee bad fd", tee(a[0], -1, 4, 0));
	G("tee read end as output", tee(a[0], b[0], 4, SPLICE_F_NONBLOCK));
	G("tee write end as input", tee(a[1], b[1], 4, SPLICE_F_NONBLOCK));
	G("tee huge len", tee(a[0], b[1], SIZE_MAX, 0));
	show("tee huge len target", b[0]);
	int fd = open(SP_FILE, O_RDONLY);
	G("tee file to pipe", tee(fd, b[1], 4, 0));
	G("tee pipe to file", tee(a[0], fd, 4, 0));
	close(fd);
	int e = eventfd(0, 0);
	G("tee pipe to eventfd", tee(a[0], e, 4, 0));
	close(e);
	show("tee source still", a[0]);
	close(a[1]);
	G("tee source without writers", tee(a[0], b[1], 4, 0));
	close(a[0]);
	pipe(a);
	write(a[1], "q", 1);
	close(b[0]);
	signal(SIGPIPE, SIG_IGN);
	G("tee to a pipe without readers", tee(a[0], b[1], 4, 0));
	signal(SIGPIPE, SIG_DFL);
	close(b[1]);
	close2(a);
}

static void files(void)
{
	int p[2];
	pipe(p);
	put_file(SP_FILE, "0123456789");
	int fd = open(SP_FILE, O_RDWR);
	int64_t off = 2;
	G("file to pipe at offset 2", splice(fd, &off, p[1], NULL, 4, 0));
	V("offset after", "%lld", (long long)off);
	V("file position unchanged", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
	show("pipe got", p[0]);
	G("file to pipe at its position", splice(fd, NULL, p[1], NULL, 3, 0));
	V("file position after", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
	show("pipe got from the position", p[0]);
	off = 100;
	G("file to pipe past EOF", splice(fd, &off, p[1], NULL, 4, 0));
	V("offset past EOF after", "%lld", (long long)off);
	off = -1;
	G("file to pipe negative offset", splice(fd, &off, p[1], NULL, 4, 0));
	G("file to pipe bad offset pointer", splice(fd, (int64_t *)8, p[1], NULL, 4, 0));
	off = 0;
	G("file to pipe len 0", splice(fd, &off, p[1], NULL, 0, 0));
	G("file to pipe huge len", splice(fd, &off, p[1], NULL, SIZE_MAX, 0));
	V("offset after huge len", "%lld", (long long)off);
	show("pipe got all", p[0]);
	off = INT64_MAX - 1;
	G("file to pipe offset near the maximum", splice(fd, &off, p[1], NULL, 4, 0));
	off = 0;
	G("file to pipe off_out", splice(fd, NULL, p[1], &off, 4, 0));

	write(p[1], "ABCD", 4);
	off = 3;
	G("pipe to file at offset 3", splice(p[0], NULL, fd, &off, 2, 0));
	V("out offset after", "%lld", (long long)off);
	V("file position unchanged by the write", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
	lseek(fd, 8, SEEK_SET);
	G("pipe to file at its position", splice(p[0], NULL, fd, NULL, 100, 0));
	V("file position after the write", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
	show_file("file now", SP_FILE);
	write(p[1], "EF", 2);
	off = -5;
	G("pipe to file negative offset", splice(p[0], NULL, fd, &off, 2, 0));
	G("pipe to file bad offset pointer", splice(p[0], NULL, fd, (int64_t *)8, 2, 0));
	off = 0;
	G("pipe to file huge len", splice(p[0], NULL, fd, &off, SIZE_MAX, SPLICE_F_NONBLOCK));
	off = 0;
	G("pipe to file len 1<<62", splice(p[0], NULL, fd, &off, (size_t)1 << 62, SPLICE_F_NONBLOCK));
	V("offset after 1<<62", "%lld", (long long)off);
	off = INT64_MAX - 1;
	G("pipe to file offset near the maximum", splice(p[0], NULL, fd, &off, 4, SPLICE_F_NONBLOCK));
	G("pipe to file empty nonblocking", splice(p[0], NULL, fd, NULL, 4, SPLICE_F_NONBLOCK));
	close(fd);
	show_file("file at the end", SP_FILE);

	write(p[1], "GH", 2);
	fd = open(SP_FILE, O_RDONLY);
	G("pipe to O_RDONLY file", splice(p[0], NULL, fd, NULL, 2, 0));
	off = 0;
	G("O_RDONLY file to file", splice(fd, &off, fd, NULL, 2, 0));
	close(fd);
	fd = open(SP_FILE, O_WRONLY);
	G("O_WRONLY file to pipe", splice(fd, NULL, p[1], NULL, 2, 0));
	close(fd);
	fd = open(SP_FILE, O_WRONLY | O_APPEND);
	G("pipe to O_APPEND file", splice(p[0], NULL, fd, NULL, 2, 0));
	off = 0;
	G("pipe to O_APPEND file with an offset", splice(p[0], NULL, fd, &off, 2, 0));
	close(fd);
	fd = open(SP_FILE, O_PATH);
	G("O_PATH file to pipe", splice(fd, NULL, p[1], NULL, 2, 0));
	G("pipe to O_PATH file", splice(p[0], NULL, fd, NULL, 2, 0));
	close(fd);
	mkdir(SP_DIR, 0755);
	fd = open(SP_DIR, O_RDONLY | O_DIRECTORY);
	G("directory to pipe", splice(fd, NULL, p[1], NULL, 2, 0));
	close(fd);
	fcntl(p[1], F_SETFL, O_APPEND);
	fd = open(SP_FILE, O_RDONLY);
	G("file to O_APPEND pipe", splice(fd, NULL, p[1], NULL, 2, 0));
	fcntl(p[1], F_SETFL, 0);
	put_file(SP_FILE2, "");
	int o = open(SP_FILE2, O_WRONLY);
	G("file to file", splice(fd, NULL, o, NULL, 2, 0));
	close(o);
	close(fd);
	rmdir(SP_DIR);
	show("pipe holds", p[0]);

	int e = eventfd(0, EFD_NONBLOCK);
	write(p[1], "12345678", 8);
	G("pipe to eventfd", splice(p[0], NULL, e, NULL, 8, 0));
	G("pipe to eventfd nonblocking", splice(p[0], NULL, e, NULL, 8, SPLICE_F_NONBLOCK));
	G("eventfd to pipe", splice(e, NULL, p[1], NULL, 8, SPLICE_F_NONBLOCK));
	close(e);
	int ep = epoll_create1(0);
	G("pipe to epoll", splice(p[0], NULL, ep, NULL, 8, 0));
	G("epoll to pipe", splice(ep, NULL, p[1], NULL, 8, SPLICE_F_NONBLOCK));
	close(ep);
	int dn = open("/dev/null", O_RDWR);
	G("pipe to /dev/null", splice(p[0], NULL, dn, NULL, 3, 0));
	G("/dev/null to pipe", splice(dn, NULL, p[1], NULL, 3, 0));
	close(dn);
	int dz = open("/dev/zero", O_RDONLY);
	G("/dev/zero to pipe", splice(dz, NULL, p[1], NULL, 3, 0));
	close(dz);
	show("pipe holds at the end", p[0]);
	close2(p);
}

static void sendfiles(void)
{
	put_file(SP_FILE, "0123456789");
	int in = open(SP_FILE, O_RDONLY);
	int sv[2];
	tcp_pair(&sv[0], &sv[1]);
	int64_t off = 2;
	G("sendfile file to tcp at offset 2", sendfile(sv[0], in, &off, 5));
	V("sendfile offset after", "%lld", (long long)off);
	V("sendfile file position unchanged", "%lld", (long long)lseek(in, 0, SEEK_CUR));
	wait_in(sv[1]);
	show("tcp peer got", sv[1]);
	G("sendfile file to tcp at its position", sendfile(sv[0], in, NULL, 3));
	V("sendfile file position after", "%lld", (long long)lseek(in, 0, SEEK_CUR));
	wait_in(sv[1]);
	show("tcp peer got from the position", sv[1]);
	off = 100;
	G("sendfile past EOF", sendfile(sv[0], in, &off, 5));
	V("sendfile offset past EOF", "%lld", (long long)off);
	off = 8;
	G("sendfile across EOF", sendfile(sv[0], in, &off, 50));
	V("sendfile offset across EOF", "%lld", (long long)off);
	wait_in(sv[1]);
	show("tcp peer got the tail", sv[1]);
	off = 0;
	G("sendfile count 0", sendfile(sv[0], in, &off, 0));
	off = -1;
	G("sendfile negative offset", sendfile(sv[0], in, &off, 5));
	G("sendfile bad offset pointer", sendfile(sv[0], in, (off_t *)8, 5));
	G("sendfile bad offset pointer count 0", sendfile(sv[0], in, (off_t *)8, 0));
	off = INT64_MAX - 2;
	G("sendfile offset near the maximum", sendfile(sv[0], in, &off, 5));
	off = 0;
	G("sendfile huge count", sendfile(sv[0], in, &off, SIZE_MAX));
	V("sendfile offset after huge count", "%lld", (long long)off);
	wait_in(sv[1]);
	show("tcp peer got everything", sv[1]);
	G("sendfile bad in fd", sendfile(sv[0], -1, NULL, 5));
	G("sendfile bad out fd", sendfile(-1, in, NULL, 5));
	G("sendfile socket to socket", sendfile(sv[0], sv[1], NULL, 5));
	close2(sv);

	int un[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, un);
	off = 0;
	G("sendfile file to unix", sendfile(un[0], in, &off, 4));
	show("unix peer got", un[1]);
	write(un[1], "sock", 4);
	int o = open(SP_FILE2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	G("sendfile unix socket to file", sendfile(o, un[0], NULL, 4));
	G("sendfile unix socket to file with an offset", sendfile(o, un[0], &off, 4));
	close(o);
	show_file("file from the socket", SP_FILE2);
	int p[2];
	pipe(p);
	G("sendfile unix socket to pipe", sendfile(p[1], un[0], NULL, 100));
	show("pipe got from the socket", p[0]);
	G("sendfile unix socket to pipe with an offset", sendfile(p[1], un[0], &off, 4));
	fcntl(un[0], F_SETFL, O_NONBLOCK);
	G("sendfile empty nonblocking socket to pipe", sendfile(p[1], un[0], NULL, 4));
	close2(p);
	close2(un);

	pipe(p);
	off = 1;
	G("sendfile file to pipe", sendfile(p[1], in, &off, 3));
	V("sendfile to pipe offset", "%lld", (long long)off);
	show("pipe got", p[0]);
	fill_pipe(p[1]);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	G("sendfile to a full O_NONBLOCK pipe", sendfile(p[1], in, &off, 3));
	close2(p);
	pipe(p);
	write(p[1], "pipe", 4);
	o = open(SP_FILE2, O_WRONLY | O_TRUNC);
	G("sendfile pipe to file", sendfile(o, p[0], NULL, 4));
	G("sendfile pipe to file with an offset", sendfile(o, p[0], &off, 4));
	G("sendfile file to read end", sendfile(p[0], in, NULL, 4));
	int p2[2];
	pipe(p2);
	G("sendfile pipe to pipe", sendfile(p2[1], p[0], NULL, 4));
	int dz0 = open("/dev/zero", O_RDONLY);
	G("sendfile /dev/zero to pipe", sendfile(p2[1], dz0, NULL, 3));
	close(dz0);
	show("pipe got zeros", p2[0]);
	close2(p2);
	close(o);
	close2(p);

	o = open(SP_FILE2, O_RDWR | O_TRUNC);
	off = 3;
	G("sendfile file to file", sendfile(o, in, &off, 4));
	V("sendfile file to file out position", "%lld", (long long)lseek(o, 0, SEEK_CUR));
	G("sendfile file to itself", sendfile(o, o, NULL, 4));
	close(o);
	show_file("sendfile target file", SP_FILE2);
	o = open(SP_FILE2, O_WRONLY | O_APPEND);
	G("sendfile to an O_APPEND file", sendfile(o, in, NULL, 4));
	G("sendfile count 0 to an O_APPEND file", sendfile(o, in, NULL, 0));
	close(o);
	o = open(SP_FILE2, O_RDONLY);
	G("sendfile to an O_RDONLY file", sendfile(o, in, NULL, 4));
	G("sendfile from an O_WRONLY file", sendfile(in, o, NULL, 4));
	close(o);
	o = open(SP_FILE2, O_PATH);
	G("sendfile from an O_PATH file", sendfile(in, o, NULL, 4));
	G("sendfile to an O_PATH file", sendfile(o, in, NULL, 4));
	close(o);
	int e = eventfd(0, EFD_NONBLOCK);
	G("sendfile file to eventfd", sendfile(e, in, NULL, 8));
	G("sendfile eventfd to file", sendfile(in, e, NULL, 8));
	close(e);
	int ep = epoll_create1(0);
	G("sendfile file to epoll", sendfile(ep, in, NULL, 8));
	close(ep);
	mkdir(SP_DIR, 0755);
	int d = open(SP_DIR, O_RDONLY | O_DIRECTORY);
	o = open(SP_FILE2, O_WRONLY);
	G("sendfile directory to file", sendfile(o, d, NULL, 8));
	close(d);
	rmdir(SP_DIR);
	int dn = open("/dev/null", O_WRONLY);
	G("sendfile file to /dev/null", sendfile(dn, in, NULL, 4));
	V("sendfile to /dev/null position", "%lld", (long long)lseek(in, 0, SEEK_CUR));
	close(dn);
	int dz = open("/dev/zero", O_RDONLY);
	G("sendfile /dev/zero to file", sendfile(o, dz, NULL, 4));
	close(dz);
	close(o);
	close(in);
	unlink(SP_FILE2);
}

void case_splice_calls(void)
{
	put_file(SP_FILE, "0123456789");
	int sv[2];
	tcp_pair(&sv[0], &sv[1]);
	sockets("tcp", sv);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	sockets("unix", sv);
	pipes();
	tees();
	files();
	sendfiles();
	unlink(SP_FILE);
}
