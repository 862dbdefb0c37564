/*
 * execve, done by the sentry (DESIGN.md "execve is the sentry's").
 *
 * Everything that can fail with an error for the caller happens first,
 * through the sentry's VFS: resolving the file (and "#!" interpreters,
 * four levels deep), reading and validating the ELF headers of the program
 * and of its PT_INTERP interpreter. Then the platform replaces the task's
 * address space with a fresh stub image (platform_exec_reset; on the host
 * this also ends the other threads), and the sentry builds the new image
 * in it by running host syscalls inside the task:
 *
 *   - the stack: a fixed mapping below the top the stub's stack had;
 *   - every PT_LOAD segment, mapped from the host fd that backs the file
 *     (a lower-layer file, a tmpfs memfd), bss as anonymous memory;
 *     position-independent programs get a randomised base near
 *     0x555555554000 like Linux; the interpreter goes where mmap puts it;
 *   - the brk area right after the program, set with PR_SET_MM_MAP;
 *   - argv, envp and the auxiliary vector written onto the stack, with the
 *     host's vDSO passed through as AT_SYSINFO_EHDR.
 * A failure after the old image is gone kills the process with SIGSEGV,
 * as Linux does.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../kernel/kernel.h"
#include "../syscalls/syscalls.h"

#define MAX_PHNUM 128
#define PAGE 4096ULL
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define ELF_ET_DYN_BASE 0x555555554000ULL
#define MMAP_MIN_ADDR 0x10000ULL
#define TASK_SIZE 0x7ffffffff000ULL

struct elf_img {
	struct file *f;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHNUM];
	/* after loading */
	uint64_t bias, entry, phdr_addr, end;
	uint64_t start_code, end_code, start_data, end_data;
};

static ssize_t read_at(struct task *t, struct file *f, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		ssize_t n = f->ops->read(f, t, (char *)buf + done, len - done, &pos);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Open an executable: regular file, executable by t, on an exec mount. */
static int open_exec(struct task *t, int dirfd, const char *path, int flags, struct file **out)
{
	struct nameidata nd;
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	int e;
	if ((flags & AT_EMPTY_PATH) && !path[0]) {
		struct file *df = fd_get(t, dirfd);
		if (!df)
			return -EBADF;
		if (!df->path.dentry) {
			file_put(df);
			return -EACCES;
		}
		nd.path = df->path;
		path_get(&nd.path);
		file_put(df);
	} else {
		e = namei(t, dirfd, path, lf, &nd);
		if (e)
			return e;
	}
	struct inode *i = nd.path.dentry->inode;
	if (S_ISLNK(i->mode))
		e = -ELOOP;
	else if (!S_ISREG(i->mode))
		e = -EACCES;
	else if ((nd.path.mnt->flags & MS_NOEXEC) || (i->sb->flags & SB_NOEXEC))
		e = -EACCES;
	else
		e = vfs_permission(t, i, MAY_EXEC);
	struct file *f = NULL;
	if (!e)
		e = vfs_open_path(t, &nd.path, O_RDONLY, &f);
	path_put(&nd.path);
	if (e)
		return e;
	if (!f->ops || !f->ops->read) {
		file_put(f);
		return -EACCES;
	}
	*out = f;
	return 0;
}

static int read_elf(struct task *t, struct elf_img *img)
{
	ssize_t n = read_at(t, img->f, &img->eh, sizeof(img->eh), 0);
	if (n < 0)
		return (int)n;
	Elf64_Ehdr *eh = &img->eh;
	if ((size_t)n < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum < 1 || eh->e_phnum > MAX_PHNUM)
		return -ENOEXEC;
	size_t sz = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	n = read_at(t, img->f, img->ph, sz, eh->e_phoff);
	if (n < 0)
		return (int)n;
	if ((size_t)n != sz)
		return -ENOEXEC;
	int loads = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		loads++;
		if (p->p_filesz > p->p_memsz || (p->p_offset & (PAGE - 1)) != (p->p_vaddr & (PAGE - 1)))
			return -ENOEXEC;
		if (p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > TASK_SIZE)
			return -ENOEXEC;
	}
	return loads ? 0 : -ENOEXEC;
}

static long inj(struct task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		uint64_t a5)
{
	return task_host_syscall(t, nr, a0, a1, a2, a3, a4, a5);
}

static int is_err(long r)
{
	return r < 0 && r >= -4095;
}

/* Map the PT_LOAD segments of img into the task. */
static int map_elf(struct task *t, struct elf_img *img, int is_interp)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (PAGE_DOWN(p->p_vaddr) < lo)
			lo = PAGE_DOWN(p->p_vaddr);
		if (p->p_vaddr + p->p_memsz > hi)
			hi = p->p_vaddr + p->p_memsz;
	}
	uint64_t span = PAGE_UP(hi) - lo;
	uint64_t bias = 0;
	if (img->eh.e_type == ET_DYN) {
		uint64_t hint = 0;
		if (!is_interp) {
			uint32_t rnd = 0;
			getrandom(&rnd, sizeof(rnd), 0);
			hint = ELF_ET_DYN_BASE + ((uint64_t)(rnd & 0x3fffff) << 12);
		}
		long r = inj(t, SYS_mmap, hint, span, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | (hint ? MAP_FIXED_NOREPLACE : 0), (uint64_t)-1, 0);
		if (is_err(r) && hint)
			r = inj(t, SYS_mmap, 0, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
		if (is_err(r))
			return (int)r;
		bias = (uint64_t)r - lo;
	} else if (lo < MMAP_MIN_ADDR) {
		return -EINVAL;
	}
	if (bias + lo < PLATFORM_STUB_BASE + PLATFORM_STUB_SIZE && bias + lo + span > PLATFORM_STUB_BASE)
		return -ENOMEM; /* would cover the platform's stub */

	struct mmap_req req = { PROT_READ | PROT_EXEC, MAP_PRIVATE, 0, -1, 0 };
	int tfd = -1;
	if (img->f->ops->mmap && img->f->ops->mmap(img->f, &req) == 0 && req.hostfd >= 0)
		tfd = platform_install_fd(t->pt, req.hostfd);
	if (req.hostfd >= 0) {
		struct stat st;
		char path[PATH_MAX];
		if (fstat(req.hostfd, &st) == 0 && img->f->path.mnt &&
		    vfs_path_text(&t->fs->root, &img->f->path, path, sizeof(path)) > 0)
			mm_add_name(t->mm, st.st_dev, st.st_ino, path);
	}

	int err = 0;
	img->start_code = UINT64_MAX;
	img->start_data = UINT64_MAX;
	for (int i = 0; i < img->eh.e_phnum && !err; i++) {
		Elf64_Phdr *p = &img->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		int prot = ((p->p_flags & PF_R) ? PROT_READ : 0) | ((p->p_flags & PF_W) ? PROT_WRITE : 0) |
			   ((p->p_flags & PF_X) ? PROT_EXEC : 0);
		uint64_t vaddr = bias + p->p_vaddr;
		uint64_t pstart = PAGE_DOWN(vaddr);
		uint64_t poff = p->p_offset - (vaddr - pstart);
		uint64_t file_end = vaddr + p->p_filesz, mem_end = vaddr + p->p_memsz;
		int partial = p->p_memsz > p->p_filesz && (file_end & (PAGE - 1)) && p->p_filesz;
		int tmp_w = partial && !(prot & PROT_WRITE);
		if (p->p_filesz) {
			uint64_t maplen = PAGE_UP(file_end) - pstart;
			long r;
			if (tfd >= 0) {
				r = inj(t, SYS_mmap, pstart, maplen, (uint64_t)(prot | (tmp_w ? PROT_WRITE : 0)),
					MAP_PRIVATE | MAP_FIXED, (uint64_t)tfd, poff);
			} else {
				/* No host fd behind this file: copy it in. */
				r = inj(t, SYS_mmap, pstart, maplen, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, (uint64_t)-1, 0);
				if (!is_err(r)) {
					char *buf = malloc(maplen);
					ssize_t n = buf ? read_at(t, img->f, buf, (size_t)(file_end - pstart), poff) : -ENOMEM;
					if (n >= 0 && copy_to_user(t, pstart, buf, (size_t)n))
						n = -EFAULT;
					free(buf);
					if (n < 0)
						r = n;
					tmp_w = 1;
				}
			}
			if (is_err(r)) {
				err = (int)r;
				break;
			}
		}
		if (partial && clear_user(t, file_end, (size_t)(PAGE_UP(file_end) - file_end))) {
			err = -EFAULT;
			break;
		}
		if (tmp_w && p->p_filesz)
			inj(t, SYS_mprotect, pstart, PAGE_UP(file_end) - pstart, (uint64_t)prot, 0, 0, 0);
		uint64_t anon_start = p->p_filesz ? PAGE_UP(file_end) : pstart;
		if (PAGE_UP(mem_end) > anon_start) {
			long r = inj(t, SYS_mmap, anon_start, PAGE_UP(mem_end) - anon_start, (uint64_t)prot,
				     MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, (uint64_t)-1, 0);
			if (is_err(r)) {
				err = (int)r;
				break;
			}
		}
		if ((prot & PROT_EXEC) && vaddr < img->start_code)
			img->start_code = vaddr;
		if ((prot & PROT_EXEC) && file_end > img->end_code)
			img->end_code = file_end;
		if (!(prot & PROT_EXEC) && vaddr < img->start_data)
			img->start_data = vaddr;
		if (file_end > img->end_data)
			img->end_data = file_end;
	}
	if (tfd >= 0)
		inj(t, SYS_close, (uint64_t)tfd, 0, 0, 0, 0, 0);
	if (err)
		return err;
	img->bias = bias;
	img->entry = bias + img->eh.e_entry;
	img->end = PAGE_UP(bias + hi);
	img->phdr_addr = 0;
	for (int i = 0; i < img->eh.e_phnum; i++) {
		if (img->ph[i].p_type == PT_PHDR)
			img->phdr_addr = bias + img->ph[i].p_vaddr;
	}
	if (!img->phdr_addr) {
		for (int i = 0; i < img->eh.e_phnum; i++) {
			Elf64_Phdr *p = &img->ph[i];
			if (p->p_type == PT_LOAD && img->eh.e_phoff >= p->p_offset &&
			    img->eh.e_phoff < p->p_offset + p->p_filesz) {
				img->phdr_addr = bias + p->p_vaddr + (img->eh.e_phoff - p->p_offset);
				break;
			}
		}
	}
	if (img->start_code == UINT64_MAX)
		img->start_code = img->end_code = bias + lo;
	if (img->start_data == UINT64_MAX)
		img->start_data = img->end_data;
	if (img->start_data > img->end_data)
		img->start_data = img->end_data;
	return 0;
}

/* Parse "#!interp [arg]" from the first line. */
static int parse_shebang(const char *buf, size_t n, char *interp, size_t ilen, char *arg, size_t alen,
			 int *has_arg)
{
	const char *end = memchr(buf, '\n', n);
	if (!end)
		end = buf + n; /* a truncated line is used as is (Linux 5.x+) */
	const char *p = buf + 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *s = p;
	while (p < end && *p != ' ' && *p != '\t' && *p)
		p++;
	if (p == s)
		return -ENOEXEC;
	if ((size_t)(p - s) >= ilen)
		return -ENAMETOOLONG;
	memcpy(interp, s, (size_t)(p - s));
	interp[p - s] = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *a = p;
	const char *ae = end;
	while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t' || ae[-1] == '\r'))
		ae--;
	*has_arg = ae > a;
	if (*has_arg) {
		if ((size_t)(ae - a) >= alen)
			return -ENAMETOOLONG;
		memcpy(arg, a, (size_t)(ae - a));
		arg[ae - a] = 0;
	}
	return 0;
}

static char **argv_prepend(char **argv, const char *a0, const char *a1, const char *script)
{
	int n = 0;
	while (argv && argv[n])
		n++;
	char **nv = calloc((size_t)n + 4, sizeof(char *));
	if (!nv)
		return NULL;
	int k = 0;
	nv[k++] = strdup(a0);
	if (a1)
		nv[k++] = strdup(a1);
	nv[k++] = strdup(script);
	for (int i = 1; i < n; i++)
		nv[k++] = strdup(argv[i]);
	nv[k] = NULL;
	for (int i = 0; i < k; i++) {
		if (!nv[i]) {
			free_strings(nv);
			return NULL;
		}
	}
	return nv;
}

static char **strv_dup(char **v)
{
	int n = 0;
	while (v && v[n])
		n++;
	char **nv = calloc((size_t)n + 1, sizeof(char *));
	if (!nv)
		return NULL;
	for (int i = 0; i < n; i++) {
		nv[i] = strdup(v[i]);
		if (!nv[i]) {
			free_strings(nv);
			return NULL;
		}
	}
	return nv;
}

struct stack_build {
	char *buf; /* image of [top - size, top) */
	size_t size, used;
	uint64_t top;
};

/* Push bytes at the top end (strings); returns their task address. */
static uint64_t sb_push(struct stack_build *sb, const void *data, size_t len)
{
	if (sb->used + len > sb->size)
		return 0;
	sb->used += len;
	memcpy(sb->buf + sb->size - sb->used, data, len);
	return sb->top - sb->used;
}

static int build_stack(struct task *t, uint64_t top, char **argv, char **envp, const char *execfn,
		       struct elf_img *exe, struct elf_img *interp, const struct pimage *img,
		       uint64_t *sp_out)
{
	int argc = 0, envc = 0;
	size_t strbytes = 0;
	while (argv[argc])
		strbytes += strlen(argv[argc++]) + 1;
	while (envp[envc])
		strbytes += strlen(envp[envc++]) + 1;
	size_t size = strbytes + strlen(execfn) + 1 + 512 + ((size_t)argc + envc + 64) * 8;
	size = (size + 15) & ~(size_t)15; /* the vectors below are 8-byte words */
	struct stack_build sb = { calloc(1, size), size, 0, top };
	if (!sb.buf)
		return -ENOMEM;
	struct mm *mm = t->mm;
	uint64_t zero = 0;
	sb_push(&sb, &zero, 8);
	uint64_t execfn_addr = sb_push(&sb, execfn, strlen(execfn) + 1);
	uint64_t *envv = calloc((size_t)envc + 1, 8), *argvv = calloc((size_t)argc + 1, 8);
	if (!envv || !argvv) {
		free(envv);
		free(argvv);
		free(sb.buf);
		return -ENOMEM;
	}
	mm->env_end = top - sb.used;
	for (int i = envc - 1; i >= 0; i--)
		envv[i] = sb_push(&sb, envp[i], strlen(envp[i]) + 1);
	mm->env_start = top - sb.used;
	mm->arg_end = mm->env_start;
	for (int i = argc - 1; i >= 0; i--)
		argvv[i] = sb_push(&sb, argv[i], strlen(argv[i]) + 1);
	mm->arg_start = top - sb.used;
	uint64_t platform = sb_push(&sb, "x86_64", 7);
	uint8_t rnd[16];
	getrandom(rnd, sizeof(rnd), 0);
	uint64_t random = sb_push(&sb, rnd, sizeof(rnd));

	uint64_t aux[64];
	int na = 0;
#define AUX(k, v)                      \
	do {                           \
		aux[na++] = (k);       \
		aux[na++] = (uint64_t)(v); \
	} while (0)
	if (img->vdso)
		AUX(AT_SYSINFO_EHDR, img->vdso);
	AUX(AT_MINSIGSTKSZ, img->minsigstksz ? img->minsigstksz : 2048);
	AUX(AT_HWCAP, img->hwcap);
	AUX(AT_PAGESZ, PAGE);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, exe->phdr_addr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, exe->eh.e_phnum);
	AUX(AT_BASE, interp ? interp->bias : 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, exe->entry);
	AUX(AT_UID, t->cred.uid);
	AUX(AT_EUID, t->cred.euid);
	AUX(AT_GID, t->cred.gid);
	AUX(AT_EGID, t->cred.egid);
	AUX(AT_SECURE, t->cred.euid != t->cred.uid || t->cred.egid != t->cred.gid);
	AUX(AT_RANDOM, random);
	AUX(AT_HWCAP2, img->hwcap2);
	AUX(AT_EXECFN, execfn_addr);
	AUX(AT_PLATFORM, platform);
	AUX(AT_NULL, 0);
#undef AUX
	memcpy(mm->auxv, aux, (size_t)na * 8);
	mm->auxv_len = na;

	/* Vectors: argc, argv[], NULL, envp[], NULL, auxv; rsp 16-aligned. */
	size_t vec = (size_t)(1 + argc + 1 + envc + 1 + na) * 8;
	uint64_t sp = (top - sb.used - vec) & ~15ULL;
	size_t total = (size_t)(top - sp);
	if (total > sb.size) {
		free(envv);
		free(argvv);
		free(sb.buf);
		return -E2BIG;
	}
	char *v = sb.buf + sb.size - total;
	uint64_t *w = (uint64_t *)(void *)v;
	size_t k = 0;
	w[k++] = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		w[k++] = argvv[i];
	w[k++] = 0;
	for (int i = 0; i < envc; i++)
		w[k++] = envv[i];
	w[k++] = 0;
	memcpy(&w[k], aux, (size_t)na * 8);
	int e = copy_to_user(t, sp, v, total);
	free(envv);
	free(argvv);
	free(sb.buf);
	if (e)
		return e;
	mm->start_stack = sp;
	*sp_out = sp;
	return 0;
}

static void set_comm(struct task *t, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	memset(t->comm, 0, sizeof(t->comm));
	strncpy(t->comm, b, sizeof(t->comm) - 1);
}

/* The virtual side of the host's de-threading: every other thread is gone
 * and t becomes the leader. */
static void dethread(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	struct list *l;
	list_for_each(l, &tg->threads)
	{
		struct task *c = list_entry(l, struct task, tg_link);
		if (c == t || c->state == TS_DEAD)
			continue;
		if (list_linked(&c->runq_link))
			list_del(&c->runq_link);
		task_cancel_wait(c);
		c->state = TS_EXITING;
	}
	if (tg->leader != t) {
		struct task *old = tg->leader;
		pid_hash_del(k, old);
		pid_hash_del(k, t);
		old->tid = -old->tid;
		t->tid = tg->tgid;
		pid_hash_add(k, t);
		tg->leader = t;
		if (old->state == TS_DEAD) {
			/* Its host thread is long gone: free it now. */
			list_del(&old->tg_link);
			task_free(old);
		}
	}
}

static int execve_common(struct task *t, int dirfd, const char *path, char **argv_in, char **envp, int flags,
			 const struct pimage *fresh)
{
	struct kernel *k = t->k;
	struct elf_img *exe = calloc(1, sizeof(*exe)), *interp = NULL;
	char **argv = strv_dup(argv_in);
	char *execfn = strdup(path);
	char *cur = strdup(path);
	int e = 0;
	const char *why = ""; /* what failed past the point of no return */
	if (!exe || !argv || !execfn || !cur) {
		e = -ENOMEM;
		goto fail;
	}
	if (!argv[0]) {
		/* Linux inserts "" for an empty argv (with a warning). */
		free(argv);
		argv = calloc(2, sizeof(char *));
		if (!argv || !(argv[0] = strdup(""))) {
			e = -ENOMEM;
			goto fail;
		}
	}
	/* Resolve "#!" chains. */
	for (int depth = 0;; depth++) {
		if (depth > 4) {
			e = -ELOOP;
			goto fail;
		}
		e = open_exec(t, dirfd, cur, flags, &exe->f);
		if (e) {
			if (depth > 0) /* the script is there; its #! interpreter is not */
				snprintf(k->exec_missing_interp, sizeof(k->exec_missing_interp), "%s", cur);
			goto fail;
		}
		char hdr[256];
		ssize_t n = read_at(t, exe->f, hdr, sizeof(hdr), 0);
		if (n < 0) {
			e = (int)n;
			goto fail;
		}
		if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
			char ipath[256], iarg[256];
			int has_arg = 0;
			e = parse_shebang(hdr, (size_t)n, ipath, sizeof(ipath), iarg, sizeof(iarg), &has_arg);
			if (e)
				goto fail;
			char **nv = argv_prepend(argv, ipath, has_arg ? iarg : NULL, cur);
			if (!nv) {
				e = -ENOMEM;
				goto fail;
			}
			free_strings(argv);
			argv = nv;
			free(cur);
			cur = strdup(ipath);
			file_put(exe->f);
			exe->f = NULL;
			dirfd = AT_FDCWD;
			flags = 0;
			if (!cur) {
				e = -ENOMEM;
				goto fail;
			}
			continue;
		}
		break;
	}
	e = read_elf(t, exe);
	if (e)
		goto fail;
	for (int i = 0; i < exe->eh.e_phnum; i++) {
		Elf64_Phdr *p = &exe->ph[i];
		if (p->p_type != PT_INTERP)
			continue;
		if (p->p_filesz < 2 || p->p_filesz > PATH_MAX) {
			e = -ENOEXEC;
			goto fail;
		}
		char ipath[PATH_MAX + 1];
		ssize_t n = read_at(t, exe->f, ipath, p->p_filesz, p->p_offset);
		if (n != (ssize_t)p->p_filesz || ipath[n - 1] != 0) {
			e = -ENOEXEC;
			goto fail;
		}
		interp = calloc(1, sizeof(*interp));
		if (!interp) {
			e = -ENOMEM;
			goto fail;
		}
		e = open_exec(t, AT_FDCWD, ipath, 0, &interp->f);
		if (!e)
			e = read_elf(t, interp);
		if (e) {
			if (e == -EACCES || e == -ENOENT)
				klog(k, "pid %d: exec %s: interpreter %s: %s", t->tid, execfn, ipath, errno_name(-e));
			snprintf(k->exec_missing_interp, sizeof(k->exec_missing_interp), "%s", ipath);
			goto fail;
		}
		break;
	}

	/* ---- the host image ---- */
	struct pimage img;
	if (fresh)
		img = *fresh;
	e = fresh ? 0 : platform_exec_reset(t->pt, &img);
	if (e) {
		if (e == -ESRCH) {
			e = -ENORETURN;
			goto fail; /* the task died meanwhile */
		}
		klog(k, "pid %d: exec %s: cannot reset the address space: %s", t->tid, execfn, errno_name(-e));
		if (e == -PLATFORM_ELOST) {
			why = "the new image did not come up";
			goto kill; /* the old image is gone */
		}
		goto fail;
	}
	/* Point of no return. */
	dethread(t);
	struct mm *mm = mm_alloc();
	if (!mm) {
		why = "no memory";
		goto kill;
	}
	mm_put(t->mm);
	t->mm = mm;
	mm->vdso = img.vdso;
	mm->exe = exe->f->path;
	path_get(&mm->exe);

	rlim_t sl = t->tg->rlim[RLIMIT_STACK].rlim_cur;
	uint64_t stack_size = sl == RLIM_INFINITY || sl > (256u << 20) ? (256u << 20) : sl < (128u << 10) ? (128u << 10) : PAGE_UP(sl);
	uint64_t top = img.stack_top;
	long r = inj(t, SYS_mmap, top - stack_size, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, (uint64_t)-1, 0);
	if (is_err(r)) {
		why = "stack mapping failed";
		e = (int)r;
		goto kill;
	}
	mm->stack_lo = top - stack_size;
	e = map_elf(t, exe, 0);
	if (!e && interp)
		e = map_elf(t, interp, 1);
	if (e) {
		why = "mapping failed";
		goto kill;
	}
	uint64_t sp;
	e = build_stack(t, top, argv, envp, execfn, exe, interp, &img, &sp);
	if (e) {
		why = "stack setup failed";
		goto kill;
	}
	uint32_t rnd = 0;
	getrandom(&rnd, sizeof(rnd), 0);
	mm->start_brk = exe->end + ((uint64_t)(rnd & 0x1fff) << 12);
	mm->start_code = exe->start_code;
	mm->end_code = exe->end_code;
	mm->start_data = exe->start_data;
	mm->end_data = exe->end_data;
	struct prctl_mm_map map = {
		.start_code = exe->start_code,
		.end_code = exe->end_code,
		.start_data = exe->start_data,
		.end_data = exe->end_data,
		.start_brk = mm->start_brk,
		.brk = mm->start_brk,
		.start_stack = sp,
		.arg_start = mm->arg_start,
		.arg_end = mm->arg_end,
		.env_start = mm->env_start,
		.env_end = mm->env_end,
		.auxv = NULL,
		.auxv_size = 0,
		.exe_fd = (uint32_t)-1,
	};
	if (copy_to_user(t, PLATFORM_SCRATCH, &map, sizeof(map)) == 0) {
		r = inj(t, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, PLATFORM_SCRATCH, sizeof(map), 0, 0);
		if (r < 0)
			klog(k, "pid %d: PR_SET_MM_MAP: %s (brk stays after the stub)", t->tid, errno_name((int)-r));
	}

	/* Registers: a fresh start at the entry point. */
	struct user_regs_struct *regs = &t->pt->regs;
	uint64_t cs = regs->cs, ss = regs->ss, ds = regs->ds, es = regs->es;
	memset(regs, 0, sizeof(*regs));
	regs->cs = cs;
	regs->ss = ss;
	regs->ds = ds;
	regs->es = es;
	regs->eflags = 0x202;
	regs->rsp = sp;
	regs->rip = interp ? interp->entry : exe->entry;
	regs->orig_rax = (uint64_t)-1;
	platform_regs_dirty(t->pt);

	/* The rest of the process state. */
	if (t->files->ref > 1) {
		struct fdtable *nf = fdtable_dup(t->files);
		if (nf) {
			fdtable_put(t->files);
			t->files = nf;
		}
	}
	fdtable_close_on_exec(t->files);
	if (t->sighand->ref > 1) {
		struct sighand *sh = sighand_dup(t->sighand);
		if (sh) {
			sighand_put(t->sighand);
			t->sighand = sh;
		}
	}
	signal_exec_reset(t);
	struct inode *ei = exe->f->inode;
	if (!t->cred.no_new_privs && !(exe->f->path.mnt->flags & MS_NOSUID)) {
		if (ei->mode & S_ISUID) {
			t->cred.euid = t->cred.suid = t->cred.fsuid = ei->uid;
		}
		if ((ei->mode & S_ISGID) && (ei->mode & S_IXGRP))
			t->cred.egid = t->cred.sgid = t->cred.fsgid = ei->gid;
	}
	t->cred.suid = t->cred.euid;
	t->cred.sgid = t->cred.egid;
	set_comm(t, execfn);
	t->restart.active = 0;
	t->clear_child_tid = 0;
	t->tg->exit_signal = t->tg->exit_signal; /* unchanged */
	if (t->vfork_parent) {
		t->vfork_done = 1;
		t->vfork_parent = NULL;
		waitq_wake(&t->vfork_wq, 0);
	}
	klog(k, "pid %d: exec %s%s%s", t->tid, execfn, interp ? " (interpreter " : "",
	     interp ? "set)" : "");
	e = -ENORETURN;
	goto done;
kill:
	klog(k, "pid %d: exec %s failed after the point of no return (%s: %s): SIGSEGV", t->tid, execfn, why,
	     errno_name(-e));
	/* (Linux's answer too, but here it is moat's failure: say so) */
	fprintf(stderr, "moat: pid %d: exec %s failed after the point of no return (%s: %s): SIGSEGV\n", t->tid,
		execfn, why, errno_name(-e));
	tg_kill_all(t->tg, SIGSEGV);
	e = -ENORETURN;
	goto done;
fail:
done:
	if (exe && exe->f)
		file_put(exe->f);
	if (interp && interp->f)
		file_put(interp->f);
	free(exe);
	free(interp);
	free_strings(argv);
	free(execfn);
	free(cur);
	return e;
}

int do_execve(struct task *t, int dirfd, const char *path, char **argv, char **envp, int flags)
{
	return execve_common(t, dirfd, path, argv, envp, flags, NULL);
}

int do_execve_fresh(struct task *t, const char *path, char **argv, char **envp, const struct pimage *img)
{
	return execve_common(t, AT_FDCWD, path, argv, envp, 0, img);
}
