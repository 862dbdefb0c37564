/*
 * libFuzzer harness over the gofer's protocol handler (gofer/server.c with
 * the host backend gofer/hostfs.c): the requests come from the sentry,
 * which may be the process an attacker took over. Whatever it sends, the
 * gofer must answer or drop the request, never crash, leak, or touch
 * anything outside its exports.
 *
 * Input: a sequence of requests, each a 2-byte length then that many
 * bytes. Every input starts on a fresh tree in a temporary directory:
 *   top/root/            export 0 (read-write): a/b/file, a/fifo,
 *                        out -> ../../outside (symlink), abs -> /etc,
 *                        ro/ (also export 1, read-only), f (also export 2)
 *   top/outside/canary   must never change, and nothing may appear in
 *                        top/ or top/outside/ (checked after every input)
 * Seeds (FUZZ_WRITE_SEEDS): HELLO, ROOT and walks to every node, opens,
 * readdir, creation, rename and setattr sequences.
 */
#include "../../gofer/server.c"
#include "../../gofer/hostfs.c"

#include <ftw.h>
#include <sys/xattr.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char top[64], rootdir[96], outside[96];

static int sink(void *ctx, const void *buf, size_t len, int fd)
{
	(void)ctx;
	if (len < sizeof(struct gofer_rep) || len > GOFER_MSG_MAX)
		abort(); /* a reply is always a whole header and fits a packet */
	struct gofer_rep r;
	memcpy(&r, buf, sizeof(r));
	if (r.data_len != len - sizeof(r) || r.err > 0 || ((r.flags & GOFER_FD) != 0) != (fd >= 0))
		abort();
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	if (remove(p) < 0 && errno != ENOENT) {
		/* a directory made unwritable or unreadable by SETATTR */
		chmod(p, 0700);
		remove(p);
	}
	return 0;
}

static void fresh_tree(void)
{
	/* SETATTR may have taken permissions away: give them back first */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s/a", rootdir);
	chmod(rootdir, 0755);
	chmod(cmd, 0755);
	nftw(rootdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	char p[256];
	mkdir(rootdir, 0755);
	snprintf(p, sizeof(p), "%s/a", rootdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/b", rootdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/a/b/file", rootdir);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs("inside\n", f);
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/a/fifo", rootdir);
	mkfifo(p, 0644);
	snprintf(p, sizeof(p), "%s/out", rootdir);
	if (symlink("../../outside", p) < 0 && errno != EEXIST)
		abort();
	snprintf(p, sizeof(p), "%s/abs", rootdir);
	symlink("/etc", p);
	snprintf(p, sizeof(p), "%s/ro", rootdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/f", rootdir);
	f = fopen(p, "w");
	if (f)
		fclose(f);
}

static void check_outside(void)
{
	char p[256], buf[64];
	snprintf(p, sizeof(p), "%s/canary", outside);
	FILE *f = fopen(p, "r");
	if (!f)
		abort();
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n != 7 || memcmp(buf, "canary\n", 7))
		abort();
	struct stat st;
	if (stat(p, &st) < 0 || (st.st_mode & 07777) != 0600 || st.st_uid != 0)
		abort();
	/* nothing new next to the canary or next to the root */
	const char *dirs[] = { outside, top };
	for (int i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		int count = 0;
		for (struct dirent *e; d && (e = readdir(d));)
			count += e->d_name[0] != '.';
		if (d)
			closedir(d);
		if (count != (i == 0 ? 1 : 2))
			abort();
	}
}

/* Seed helpers: one request appended to a buffer. */
static size_t put(uint8_t *out, size_t off, uint16_t op, uint64_t node, uint64_t node2, uint32_t flags,
		  uint32_t mode, const char *name, const char *name2)
{
	struct gofer_req q = { 0 };
	q.op = op;
	q.node = node;
	q.node2 = node2;
	q.flags = flags;
	q.mode = mode;
	q.name_len = (uint16_t)(name ? strlen(name) : 0);
	q.name2_len = (uint16_t)(name2 ? strlen(name2) : 0);
	if (op == GOP_SETATTR) {
		q.size = 3;
		q.atime.nsec = UTIME_NOW;
		q.mtime.nsec = UTIME_OMIT;
	}
	uint16_t len = (uint16_t)(sizeof(q) + q.name_len + q.name2_len);
	memcpy(out + off, &len, 2);
	memcpy(out + off + 2, &q, sizeof(q));
	if (q.name_len)
		memcpy(out + off + 2 + sizeof(q), name, q.name_len);
	if (q.name2_len)
		memcpy(out + off + 2 + sizeof(q) + q.name_len, name2, q.name2_len);
	return off + 2 + len;
}

#define HD(slot) ((uint64_t)1 << 32 | (slot))

static void write_seeds(const char *dir)
{
	static uint8_t b[8192];
	struct {
		const char *name;
		size_t len;
	} seeds[16];
	int ns = 0;
	char path[512];
	size_t o;
	/* walk to a file and open it; readdir; readlink; statfs */
	o = put(b, 0, GOP_HELLO, 0, 0, GOFER_VERSION, 0, NULL, NULL);
	o = put(b, o, GOP_ROOT, 0, 0, 0, 0, NULL, NULL);		/* 1: / */
	o = put(b, o, GOP_WALK, HD(1), 0, 0, 0, "a", NULL);		/* 2: a */
	o = put(b, o, GOP_WALK, HD(2), 0, 0, 0, "b", NULL);		/* 3: b */
	o = put(b, o, GOP_WALK, HD(3), 0, 0, 0, "file", NULL);	/* 4 */
	o = put(b, o, GOP_OPEN, HD(4), 0, O_RDWR, 0, NULL, NULL);
	o = put(b, o, GOP_READDIR, HD(1), 0, 0, 0, NULL, NULL);
	o = put(b, o, GOP_WALK, HD(1), 0, 0, 0, "out", NULL);	/* 5 */
	o = put(b, o, GOP_READLINK, HD(5), 0, 0, 0, NULL, NULL);
	o = put(b, o, GOP_WALK, HD(5), 0, 0, 0, "canary", NULL);
	o = put(b, o, GOP_STATFS, HD(3), 0, 0, 0, NULL, NULL);
	o = put(b, o, GOP_CLUNK, HD(4), 0, 0, 0, NULL, NULL);
	o = put(b, o, GOP_GETATTR, HD(4), 0, 0, 0, NULL, NULL);
	seeds[ns].name = "walk";
	seeds[ns++].len = o;
	FILE *f;
	snprintf(path, sizeof(path), "%s/walk", dir);
	if ((f = fopen(path, "w"))) {
		fwrite(b, 1, o, f);
		fclose(f);
	}
	/* create, mkdir, symlink, link, rename, setattr, unlink; the
	 * read-only export and the file export */
	o = put(b, 0, GOP_ROOT, 0, 0, 0, 0, NULL, NULL);		/* 1 */
	o = put(b, o, GOP_CREATE, HD(1), 0, 0, S_IFREG | 0644, "n", NULL); /* 2 */
	o = put(b, o, GOP_MKDIR, HD(1), 0, 0, 0755, "d", NULL);	/* 3 */
	o = put(b, o, GOP_SYMLINK, HD(3), 0, 0, 0, "s", "../out/canary"); /* 4 */
	o = put(b, o, GOP_LINK, HD(3), HD(2), 0, 0, "hard", NULL);
	o = put(b, o, GOP_RENAME, HD(1), HD(3), 0, 0, "n", "m");
	o = put(b, o, GOP_SETATTR, HD(2), 0, GOFER_SET_MODE | GOFER_SET_SIZE | GOFER_SET_ATIME, 0600, NULL, NULL);
	o = put(b, o, GOP_UNLINK, HD(3), 0, 0, 0, "s", NULL);
	o = put(b, o, GOP_UNLINK, HD(1), 0, 1, 0, "d", NULL);
	o = put(b, o, GOP_ROOT, 0, 0, 1, 0, NULL, NULL);		/* 5: ro */
	o = put(b, o, GOP_CREATE, HD(5), 0, 0, S_IFREG | 0644, "x", NULL);
	o = put(b, o, GOP_ROOT, 0, 0, 2, 0, NULL, NULL);		/* 6: f */
	o = put(b, o, GOP_OPEN, HD(6), 0, O_WRONLY | O_APPEND, 0, NULL, NULL);
	o = put(b, o, GOP_WALK, HD(6), 0, 0, 0, "..", NULL);
	o = put(b, o, GOP_XATTR, HD(2), 0, XOP_SET, 0, "user.k", "value");
	o = put(b, o, GOP_XATTR, HD(2), 0, XOP_GET, 0, "user.k", NULL);
	o = put(b, o, GOP_XATTR, HD(2), 0, XOP_LIST, 0, NULL, NULL);
	o = put(b, o, GOP_XATTR, HD(4), 0, XOP_SET | XATTR_CREATE << 8, 0, "user.s", "x");
	o = put(b, o, GOP_XATTR, HD(2), 0, XOP_REMOVE, 0, "user.k", NULL);
	o = put(b, o, GOP_TMPFILE, HD(1), 0, 0, 0, NULL, NULL);
	o = put(b, o, GOP_TMPFILE, HD(5), 0, 0, 0, NULL, NULL);
	snprintf(path, sizeof(path), "%s/mutate", dir);
	if ((f = fopen(path, "w"))) {
		fwrite(b, 1, o, f);
		fclose(f);
	}
	(void)seeds;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (getenv("FUZZ_WRITE_SEEDS")) {
		write_seeds(getenv("FUZZ_WRITE_SEEDS"));
		exit(0);
	}
	snprintf(top, sizeof(top), "/tmp/fuzz-gofer-XXXXXX");
	if (!mkdtemp(top))
		abort();
	snprintf(rootdir, sizeof(rootdir), "%s/root", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	mkdir(outside, 0755);
	char p[128];
	snprintf(p, sizeof(p), "%s/canary", outside);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs("canary\n", f);
	fclose(f);
	chmod(p, 0600);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fresh_tree();
	char ro[128], file[128];
	snprintf(ro, sizeof(ro), "%s/ro", rootdir);
	snprintf(file, sizeof(file), "%s/f", rootdir);
	struct gofer_export_spec ex[3] = { { rootdir, 0 }, { ro, 1 }, { file, 0 } };
	struct gofer_server *g;
	if (gofer_server_create(ex, 3, sink, NULL, &g))
		abort();
	static uint8_t msg[GOFER_MSG_MAX];
	size_t off = 0;
	while (off + 2 <= size) {
		uint16_t len;
		memcpy(&len, data + off, 2);
		off += 2;
		if (len > size - off)
			len = (uint16_t)(size - off);
		memcpy(msg, data + off, len);
		gofer_server_handle(g, msg, len);
		off += len;
	}
	gofer_server_destroy(g);
	check_outside();
	return 0;
}
