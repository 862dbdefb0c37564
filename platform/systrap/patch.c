/*
 * systrap's syscall patching: a syscall site that has trapped is
 * rewritten so that its next calls reach the sentry without a signal.
 *
 * What is patched: the sequence `mov $NR,%eax; syscall` (b8 imm32 0f 05,
 * 7 bytes), checked byte for byte with NR the number the trap reported,
 * in a private, read-and-execute, file-backed mapping (never code that
 * is writable or anonymous: a JIT's), when the site has trapped twice
 * (the process's first, 8 times: a short-lived process does not pay for
 * the patch area) and
 * NR is one the sentry answers with a result alone (not execve, clone,
 * rt_sigreturn, ..., nor a call the filter runs natively for some
 * arguments). It becomes `jmp *REC+REC_TRAMP` (ff 24 25 abs32): an
 * absolute jump through a word of the patch area, which lies below 2 GiB
 * (PLATFORM_PATCH_BASE) for that. The area is a memfd the process maps
 * read-only (the sentry writes it); a fork shares it with its parent.
 *
 * A record there (REC_SIZE bytes) is one site's trampoline and data:
 *
 *   +0  mov $REC,%ecx; jmp *PLATFORM_PATCH_BASE+8   (the stub's fast path)
 *   +12 syscall; jmp *REC+REC_RET                    (the trapped way)
 *   +32 the site's end; +40 REC itself; +48 NR
 *
 * The fast path (stub_code.S) finds the thread's mailbox by its %gs base,
 * which the sentry sets to the slot (st_patch_gs; the application's own
 * %gs is served by the sentry, systrap.c).
 *
 * Threads: a site is patched (and put back) only while every other
 * thread of the process waits in the sentry, so none can be executing
 * the seven bytes while they change; each goes back to its code through
 * rt_sigreturn or the sentry's registers.
 *
 * Restarts: a syscall restarted by the sentry resumes 2 bytes before its
 * end, the middle of the jump once its site is patched; st_patch_fix_rip
 * points it at the site's start.
 *
 * Self-modifying code: when the process makes memory writable with
 * mprotect (which a filter of the patch area's own traps, once there is
 * one), the sites there get their original code back and are never
 * patched again. The bytes a program reads of a patched site are the
 * jump (listed in platform/README.md).
 *
 * The sentry writes the code with PTRACE_POKEDATA, the one thread it
 * holds for that meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../hostproc.h"
#include "systrap.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define SITE_BUCKETS 2048 /* per address space; a power of two */
#define PATCH_AFTER 2	  /* traps of a site before it is patched */
#define PATCH_FIRST 8	  /* ... before the first (the area costs some injections) */
#define REC_FIRST (PLATFORM_PATCH_BASE + 0x1000)
#define REC_MAX ((PLATFORM_PATCH_SIZE - 0x1000) / REC_SIZE)

enum { SITE_FREE, SITE_SEEN, SITE_PATCHED, SITE_NEVER };

struct site {
	uint64_t addr; /* the `mov` */
	uint8_t state, traps;
	uint8_t orig[7];
	uint32_t rec;
};

/* A patch area: shared by a process and the forks that came of it. */
struct st_region {
	int refs;
	uint8_t *map; /* the sentry's writable view */
	unsigned nrec;
};

struct st_sites {
	struct st_region *region;
	int off; /* no more patching (no area, %gs taken, table full) */
	unsigned n;
	struct site tab[SITE_BUCKETS];
};

struct st_patch_stats st_stats;
static int patch_on = -1;

int st_patch_init(struct pt_platform *p)
{
	(void)p;
	if (patch_on < 0) {
		const char *e = getenv("MOAT_SYSTRAP_PATCH");
		patch_on = !(e && !strcmp(e, "0"));
	}
	return patch_on;
}

static void region_put(struct st_region *r)
{
	if (!r || --r->refs > 0)
		return;
	munmap(r->map, PLATFORM_PATCH_SIZE);
	free(r);
}

struct st_sites *st_sites_fork(struct st_sites *s)
{
	if (!s)
		return NULL;
	struct st_sites *c = malloc(sizeof(*c));
	if (!c)
		return NULL; /* the child starts without (it patches anew) */
	memcpy(c, s, sizeof(*c));
	if (c->region)
		c->region->refs++;
	return c;
}

void st_sites_put(struct st_sites *s)
{
	if (!s)
		return;
	region_put(s->region);
	free(s);
}

static struct site *site_find(struct st_sites *s, uint64_t addr, int create)
{
	unsigned h = (unsigned)((addr * 0x9e3779b97f4a7c15ULL) >> 40) & (SITE_BUCKETS - 1);
	for (unsigned i = 0; i < SITE_BUCKETS; i++) {
		struct site *e = &s->tab[(h + i) & (SITE_BUCKETS - 1)];
		if (e->state == SITE_FREE) {
			if (!create || s->n >= SITE_BUCKETS * 3 / 4)
				return NULL;
			s->n++;
			e->addr = addr;
			e->state = SITE_SEEN;
			return e;
		}
		if (e->addr == addr)
			return e;
	}
	return NULL;
}

/* Syscalls whose answer is more than a result (the sentry changes the
 * registers, or the thread), and those the filter runs natively for some
 * arguments: their sites stay trapped. */
static int eligible(long nr)
{
	switch (nr) {
	case SYS_rt_sigreturn:
	case SYS_execve:
	case SYS_execveat:
	case SYS_clone:
	case SYS_clone3:
	case SYS_fork:
	case SYS_vfork:
	case SYS_exit:
	case SYS_exit_group:
	case SYS_mmap:
	case SYS_mprotect:
	case SYS_pkey_mprotect:
	case SYS_arch_prctl:
	case SYS_rt_sigsuspend:
	case SYS_pause:
	case SYS_sigaltstack:
	case STUB_RESYNC_NR:
		return 0;
	default:
		return nr >= 0 && nr < 1024;
	}
}

/* Every thread of t's process but t waits in the sentry. */
static int others_parked(struct pt_task *t)
{
	for (struct pt_task *u = t->space->tasks; u; u = u->snext)
		if (u != t && u->state == PTS_RUNNING && !st_posted(u))
			return 0;
	return 1;
}

/* Is [addr, addr+8) in a private, read-execute, file-backed mapping? */
static int code_mapping(pid_t tid, uint64_t addr)
{
	char path[32];
	snprintf(path, sizeof(path), "%d/maps", (int)tid);
	int fd = hostproc_open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return 0;
	}
	char line[512];
	int ok = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off, ino;
		char perms[8];
		unsigned maj, min;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &lo, &hi, perms, &off, &maj, &min, &ino) != 7)
			continue;
		if (addr < lo || addr >= hi)
			continue;
		ok = addr + 8 <= hi && !strcmp(perms, "r-xp") && ino != 0;
		break;
	}
	fclose(f);
	return ok;
}

/* The process's patch area, made now: a memfd mapped read-only at
 * PLATFORM_PATCH_BASE, and a filter that reports mprotect calls that make
 * memory writable (st_patch_writable). t is held. */
static struct st_region *region_new(struct pt_task *t)
{
	struct st_region *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->refs = 1;
	int fd = memfd_create("moat-patch", MFD_CLOEXEC);
	int ro = -1;
	if (fd < 0 || ftruncate(fd, PLATFORM_PATCH_SIZE) < 0)
		goto fail;
	r->map = mmap(NULL, PLATFORM_PATCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		goto fail;
	}
	r->map[0] = 1; /* on */
	uint64_t fast = STUB_FAST;
	memcpy(r->map + 8, &fast, 8);
	/* The process gets a read-only descriptor: it cannot make its
	 * mapping writable. */
	char self[32];
	snprintf(self, sizeof(self), "self/fd/%d", fd);
	ro = hostproc_open(self, O_RDONLY);
	if (ro < 0)
		goto fail;
	int tfd;
	if (pt_install_fds(&t->base, &ro, 1, &tfd) < 0)
		goto fail;
	long m = st_inj(t, SYS_mmap, PLATFORM_PATCH_BASE, PLATFORM_PATCH_SIZE, PROT_READ | PROT_EXEC,
			MAP_SHARED | MAP_FIXED_NOREPLACE, (uint64_t)tfd, 0);
	st_inj(t, SYS_close, (uint64_t)tfd, 0, 0, 0, 0, 0);
	if (m != (long)PLATFORM_PATCH_BASE) {
		if (m >= 0)
			st_inj(t, SYS_munmap, (uint64_t)m, PLATFORM_PATCH_SIZE, 0, 0, 0, 0);
		goto fail;
	}
	/* mprotect and pkey_mprotect with PROT_WRITE trap, but from the
	 * injection point (the sentry runs them there). */
	enum { SD_NR = 0, SD_ARCH = 4, SD_IP_LO = 8, SD_IP_HI = 12, SD_ARG2_LO = 32 };
	const struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARCH),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 10),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_NR),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pkey_mprotect, 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_IP_HI),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(STUB_INJECT_IP >> 32), 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_IP_LO),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)STUB_INJECT_IP, 3, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG2_LO),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct {
		uint64_t len, filter;
	} fprog = { sizeof(prog) / sizeof(prog[0]), PLATFORM_SCRATCH + 16 };
	_Static_assert(16 + sizeof(prog) <= PLATFORM_SCRATCH_SIZE, "scratch");
	if (pt_write(&t->base, PLATFORM_SCRATCH, &fprog, sizeof(fprog)) != (ssize_t)sizeof(fprog) ||
	    pt_write(&t->base, PLATFORM_SCRATCH + 16, prog, sizeof(prog)) != (ssize_t)sizeof(prog) ||
	    st_inj(t, SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, PLATFORM_SCRATCH, 0, 0, 0) != 0) {
		st_inj(t, SYS_munmap, PLATFORM_PATCH_BASE, PLATFORM_PATCH_SIZE, 0, 0, 0, 0);
		goto fail;
	}
	close(ro);
	close(fd);
	return r;
fail:
	if (ro >= 0)
		close(ro);
	if (fd >= 0)
		close(fd);
	if (r->map)
		munmap(r->map, PLATFORM_PATCH_SIZE);
	free(r);
	return NULL;
}

/* Write n (<= 8) bytes at addr of held t's memory, keeping the rest of
 * the word. */
static int poke(struct pt_task *t, uint64_t addr, const uint8_t *b, size_t n)
{
	pid_t tid = t->base.host_tid;
	errno = 0;
	long w = ptrace(PTRACE_PEEKDATA, tid, (void *)addr, 0);
	if (errno)
		return -errno;
	memcpy(&w, b, n);
	return ptrace(PTRACE_POKEDATA, tid, (void *)addr, (void *)w) < 0 ? -errno : 0;
}

static void jump_bytes(uint32_t rec, uint8_t out[7])
{
	uint32_t tramp = rec + REC_TRAMP;
	out[0] = 0xff;
	out[1] = 0x24;
	out[2] = 0x25;
	memcpy(out + 3, &tramp, 4);
}

static uint32_t record_new(struct st_region *r, uint64_t site, long nr)
{
	uint32_t rec = (uint32_t)(REC_FIRST + (uint64_t)r->nrec * REC_SIZE);
	uint8_t *m = r->map + (rec - PLATFORM_PATCH_BASE);
	uint32_t fastp = PLATFORM_PATCH_BASE + 8, ret = rec + REC_RET;
	memset(m, 0xcc, REC_SIZE);
	m[0] = 0xb9; /* mov $rec,%ecx */
	memcpy(m + 1, &rec, 4);
	m[5] = 0xff; /* jmp *fastp */
	m[6] = 0x24;
	m[7] = 0x25;
	memcpy(m + 8, &fastp, 4);
	m[12] = 0x0f; /* syscall */
	m[13] = 0x05;
	m[14] = 0xff; /* jmp *ret */
	m[15] = 0x24;
	m[16] = 0x25;
	memcpy(m + 17, &ret, 4);
	uint64_t end = site + 7, self = rec;
	uint32_t n32 = (uint32_t)nr;
	memcpy(m + REC_RET, &end, 8);
	memcpy(m + REC_TRAMP, &self, 8);
	memcpy(m + REC_NR, &n32, 4);
	r->nrec++;
	return rec;
}

void st_patch_answered(struct pt_task *t, long nr, uint64_t rip)
{
	struct st_space *sp = t->space;
	/* (not the records' own syscalls, nor the stub's) */
	if (!patch_on || !sp || !eligible(nr) || rip < 7 + 0x10000 ||
	    (rip >= PLATFORM_STUB_BASE && rip < PLATFORM_STUB_BASE + PLATFORM_STUB_SIZE + 7) ||
	    (rip >= PLATFORM_PATCH_BASE && rip < PLATFORM_PATCH_BASE + PLATFORM_PATCH_SIZE + 7))
		return;
	if (!sp->sites && !(sp->sites = calloc(1, sizeof(*sp->sites))))
		return;
	struct st_sites *s = sp->sites;
	if (s->off)
		return;
	uint64_t site = rip - 7;
	struct site *e = site_find(s, site, 1);
	if (!e || e->state != SITE_SEEN || ++e->traps < (s->region ? PATCH_AFTER : PATCH_FIRST) ||
	    !others_parked(t))
		return;
	uint8_t code[8];
	e->state = SITE_NEVER; /* unless all goes well below */
	st_stats.refused++;
	if (pt_read(&t->base, code, site, 7) != 7 || code[0] != 0xb8 || code[5] != 0x0f || code[6] != 0x05)
		return;
	uint32_t imm;
	memcpy(&imm, code + 1, 4);
	if (imm != (uint32_t)nr || !code_mapping(t->base.host_tid, site))
		return;
	/* (held for the area's injections and the write) */
	if (st_hold(t, 1) < 0)
		return;
	if (!s->region) {
		s->region = region_new(t);
		if (!s->region) {
			s->off = 1;
			return;
		}
	}
	if (!s->region->map[0] || s->region->nrec >= REC_MAX) {
		s->off = 1;
		return;
	}
	uint32_t rec = record_new(s->region, site, nr);
	uint8_t jmp[7];
	jump_bytes(rec, jmp);
	if (poke(t, site, jmp, 7) < 0)
		return;
	memcpy(e->orig, code, 7);
	e->rec = rec;
	e->state = SITE_PATCHED;
	st_stats.refused--;
	st_stats.patched++;
}

long st_patch_record(struct st_space *sp, uint64_t rec)
{
	struct st_region *r = sp && sp->sites ? sp->sites->region : NULL;
	if (!r || rec < REC_FIRST || (rec - REC_FIRST) % REC_SIZE || (rec - REC_FIRST) / REC_SIZE >= r->nrec)
		return -1;
	uint32_t nr;
	memcpy(&nr, r->map + (rec - PLATFORM_PATCH_BASE) + REC_NR, 4);
	return nr;
}

/* Is the code at e's site still the jump to its record? */
static int still_patched(struct pt_task *t, const struct site *e)
{
	uint8_t now[7], jmp[7];
	jump_bytes(e->rec, jmp);
	return pt_read(&t->base, now, e->addr, 7) == 7 && !memcmp(now, jmp, 7);
}

void st_patch_fix_rip(struct pt_task *t, struct user_regs_struct *r)
{
	struct st_sites *s = t->space ? t->space->sites : NULL;
	if (!s || !s->region || r->rip < 5)
		return;
	struct site *e = site_find(s, r->rip - 5, 0);
	if (e && e->state == SITE_PATCHED && still_patched(t, e))
		r->rip = e->addr;
}

void st_patch_writable(struct pt_task *t, uint64_t addr, uint64_t len)
{
	struct st_sites *s = t->space ? t->space->sites : NULL;
	if (!s || !s->region || !len)
		return;
	uint64_t end = addr + len < addr ? UINT64_MAX : addr + len;
	/* Every other thread that runs is stopped meanwhile. */
	struct pt_task *held[64];
	int nheld = 0, all = 1;
	for (struct pt_task *u = t->space->tasks; u; u = u->snext) {
		/* (a thread attached and running, which takes the trapped way,
		 * is left to run: stopping it would need its signals) */
		if (u == t || u->state != PTS_RUNNING || st_posted(u) || u->held)
			continue;
		if (nheld == (int)(sizeof(held) / sizeof(held[0])) || st_hold(u, 1) < 0) {
			all = 0;
			break;
		}
		held[nheld++] = u;
	}
	if (all && st_hold(t, 1) == 0) {
		for (unsigned i = 0; i < SITE_BUCKETS; i++) {
			struct site *e = &s->tab[i];
			if (e->state != SITE_PATCHED || e->addr + 7 <= addr || e->addr >= end)
				continue;
			if (still_patched(t, e))
				poke(t, e->addr, e->orig, 7);
			e->state = SITE_NEVER;
			st_stats.patched--;
		}
	}
	for (int i = 0; i < nheld; i++)
		st_unhold(held[i]);
}

void st_patch_gs_taken(struct st_space *sp)
{
	struct st_sites *s = sp ? sp->sites : NULL;
	if (!s && sp && !(s = sp->sites = calloc(1, sizeof(*sp->sites))))
		return;
	if (!s)
		return;
	s->off = 2;
	if (s->region)
		s->region->map[0] = 0;
}

uint64_t st_patch_gs(struct pt_task *t, int traced)
{
	struct st_space *sp = t->space;
	if (t->app_gs || (sp && sp->sites && sp->sites->off == 2))
		return t->app_gs;
	if (traced || !sp || t->slot < 0 || t->pending)
		return STUB_NOSLOT;
	return STUB_MAILBOX + (uint64_t)t->slot * STUB_SLOT_SIZE;
}
