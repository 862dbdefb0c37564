/*
 * libFuzzer harness over systrap's reading of a mailbox
 * (platform/systrap/systrap.c, patch.c): a mailbox and its signal frame are
 * memory of the application's process, which any of its threads can
 * write, and the sentry reads them on every stop. Whatever they hold, the
 * sentry must take a stop from them or kill the task, never read or write
 * outside the thread's slot or the patch area, and answer without
 * crashing.
 *
 * Input:
 *   byte 0     bits 0-1: the thread's slot (0-3); bit 2: the process has
 *              a patch area; bit 3: the sentry answers with changed
 *              registers (a signal handler's entry), else with a result;
 *              bit 4: a resync is armed (a fast stop was answered before);
 *              bit 5: the sentry reads and writes the extended state
 *   byte 1     the patch area's record count
 *   then       the slot's first bytes (mailbox, frame, signal stack), up
 *              to STUB_SLOT_SIZE; the rest of the slot is zero
 *
 * The ptrace core is replaced by stubs that fail (no thread is ever
 * traced here); the stop callback checks that the registers it gets are
 * consistent.
 *
 * FUZZ_WRITE_SEEDS=DIR: write seeds (a SIGSYS stop with a kernel-like
 * frame, an interrupt, a fast stop, a resync) into DIR and exit.
 */
#include "../../platform/systrap/systrap.c"
#include "../../platform/systrap/patch.c"

#include "seed_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- the ptrace core and the rest of the platform, as stubs ---- */

void pt_hash_del(struct pt_platform *p, struct pt_task *t)
{
	(void)p, (void)t;
}
uint64_t pt_cputime(struct ptask *pt)
{
	(void)pt;
	return 0;
}
void pt_place_at_stop(struct pt_platform *p, struct pt_task *t)
{
	(void)p, (void)t;
}
/* (no CPU placement here: the fuzzed tasks are not host threads) */
int pt_placement_allowed(struct pt_platform *p)
{
	(void)p;
	return 0;
}
int pt_pin_sentry_here(struct pt_platform *p)
{
	(void)p;
	return -1;
}
void pt_stash_push(struct pt_platform *p, pid_t tid, int status, struct pt_task *gone)
{
	(void)p, (void)tid, (void)status, (void)gone;
}
int pt_wait_tid(struct pt_platform *p, pid_t tid, int *status)
{
	(void)p, (void)tid, (void)status;
	return -ECHILD;
}
int pt_getregs(struct pt_task *t)
{
	(void)t;
	return -ESRCH;
}
int pt_setregs(struct pt_task *t, const struct user_regs_struct *r)
{
	(void)t, (void)r;
	return -ESRCH;
}
long pt_syscall(struct ptask *pt, long nr, const uint64_t args[6])
{
	(void)pt, (void)nr, (void)args;
	return -ESRCH;
}
int pt_clone(struct ptask *pt, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls,
	     struct ptask **child_out, pid_t *ns_tid)
{
	(void)pt, (void)flags, (void)stack, (void)ptid, (void)ctid, (void)tls, (void)child_out, (void)ns_tid;
	return -ESRCH;
}
int pt_install_fds(struct ptask *pt, const int *hostfds, int n, int *out)
{
	(void)pt, (void)hostfds, (void)n, (void)out;
	return -ESRCH;
}
int pt_install_fd(struct ptask *pt, int hostfd)
{
	(void)pt, (void)hostfd;
	return -ESRCH;
}
ssize_t pt_read(struct ptask *pt, void *dst, uint64_t addr, size_t len)
{
	(void)pt, (void)dst, (void)addr, (void)len;
	return -EFAULT;
}
ssize_t pt_write(struct ptask *pt, uint64_t addr, const void *src, size_t len)
{
	(void)pt, (void)addr, (void)src, (void)len;
	return -EFAULT;
}
int pt_get_fpregs(struct ptask *pt, void *buf, size_t *len)
{
	(void)pt, (void)buf, (void)len;
	return -ESRCH;
}
int pt_set_fpregs(struct ptask *pt, const void *buf, size_t len)
{
	(void)pt, (void)buf, (void)len;
	return -ESRCH;
}
void pt_kill(struct ptask *pt)
{
	PTT(pt)->state = PTS_GONE;
}
int pt_exec_reset(struct ptask *pt, struct pimage *img)
{
	(void)pt, (void)img;
	return -ESRCH;
}
int pt_spawn(struct platform *pl, struct ptask **out, struct pimage *img)
{
	(void)pl, (void)out, (void)img;
	return -ENOSYS;
}
void pt_report_gone(struct pt_platform *p, struct pt_task *t, int status)
{
	(void)p, (void)t, (void)status;
}
void pt_destroy(struct platform *pl)
{
	(void)pl;
}
int pt_create_mode(const struct platform_config *cfg, struct ns_loop *loop, const struct platform_ops *ops,
		   int systrap, struct platform **out)
{
	(void)cfg, (void)loop, (void)ops, (void)systrap, (void)out;
	return -ENOSYS;
}
struct pt_task *pt_lookup(struct pt_platform *p, pid_t tid)
{
	(void)p, (void)tid;
	return NULL;
}
int hostproc_open(const char *rel, int flags)
{
	(void)rel, (void)flags;
	return -ENOENT;
}

/* ---- the harness ---- */

static struct pt_platform plat;
static struct st_space space;
static struct st_sites sites;
static struct st_region region;
static uint8_t *area, *patch_map;
static uint8_t flags;
static int stops;

static void on_stop(void *ctx, struct ptask *pt, const struct pstop *st)
{
	(void)ctx;
	struct pt_task *t = PTT(pt);
	stops++;
	if (st->kind == PSTOP_SYSCALL && (long)pt->regs.orig_rax < 0)
		abort(); /* a syscall stop has its number */
	if (flags & 0x20) {
		uint8_t fp[4096];
		size_t len = sizeof(fp);
		if (st_get_fpregs(pt, fp, &len) == 0)
			st_set_fpregs(pt, fp, len);
	}
	if (flags & 0x08) {
		pt->regs.rip = 0x401000;
		pt->regs.rsp -= 128;
		pt->regs.rdi = 10;
	} else {
		pt->regs.rax = 0;
	}
	pt->regs.orig_rax = (uint64_t)-1;
	t->sc_stop = 0;
	st_resume(pt);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	area = mmap(NULL, 4 * STUB_SLOT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	patch_map = mmap(NULL, PLATFORM_PATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || patch_map == MAP_FAILED)
		abort();
	plat.systrap = 1;
	plat.spin = 1000;
	plat.spin_ns = 20000;
	plat.base.cfg.stop_fn = on_stop;
	patch_on = 1;
	const char *dir = getenv("FUZZ_WRITE_SEEDS");
	if (!dir)
		return 0;
	/* A SIGSYS stop as the handler posts it: siginfo and ucontext on
	 * the slot's signal stack, the frame's XSAVE area after them. */
	static uint64_t img[0x2000 / 8]; /* (aligned: the slot's image) */
	uint8_t b[2 + sizeof(img)];
	uint8_t *slotimg = (uint8_t *)img;
	struct stub_mailbox *mb = (struct stub_mailbox *)slotimg;
	uint64_t slot = STUB_MAILBOX;
	mb->state = MB_REQUEST;
	mb->sig = SIGSYS;
	mb->info = slot + 0x1000;
	mb->uc = slot + 0x1100;
	mb->self = slot;
	siginfo_t *si = (siginfo_t *)(slotimg + 0x1000);
	si->si_signo = SIGSYS;
	si->si_code = 1;
	si->si_syscall = SYS_getppid;
	ucontext_t *uc = (ucontext_t *)(slotimg + 0x1100);
	uc->uc_mcontext.gregs[REG_RIP] = 0x7f0000001007;
	uc->uc_mcontext.gregs[REG_RSP] = 0x7ffc00000000;
	uc->uc_mcontext.fpregs = (void *)(uintptr_t)(slot + 0x1500);
	uint32_t sw[2] = { FP_XSTATE_MAGIC1, 0x340 };
	memcpy(slotimg + 0x1500 + 464, sw, sizeof(sw));
#define SEED(name, f0, f1, len)                                \
	do {                                                   \
		b[0] = (f0);                                   \
		b[1] = (f1);                                   \
		memcpy(b + 2, img, sizeof(img));               \
		seed_file(dir, name, b, 2 + (len));            \
	} while (0)
	SEED("sigsys", 0x20, 0, sizeof(img));
	mb->sig = SIG_INTERRUPT;
	si->si_signo = SIG_INTERRUPT;
	si->si_code = SI_TKILL;
	SEED("interrupt", 0x20, 0, sizeof(img));
	/* a fast stop through record 0 */
	mb->sig = 0;
	mb->rec = PLATFORM_PATCH_BASE + 0x1000;
	SEED("fast", 0x04, 1, sizeof(*mb));
	/* a resync with a kept-back SIGPROF */
	mb->sig = SIGSYS;
	si->si_signo = SIGSYS;
	si->si_code = 1;
	si->si_syscall = STUB_RESYNC_NR;
	mb->defer = SIGPROF;
	SEED("resync", 0x14, 1, sizeof(img));
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	flags = data[0];
	int slot = data[0] & 3;
	memset(area, 0, 4 * STUB_SLOT_SIZE);
	size_t n = size - 2 < STUB_SLOT_SIZE ? size - 2 : STUB_SLOT_SIZE;
	memcpy(area + (size_t)slot * STUB_SLOT_SIZE, data + 2, n);

	memset(&space, 0, sizeof(space));
	space.p = &plat;
	space.refs = 1;
	space.area = area;
	space.bell = -1;
	space.sites = NULL;
	if (data[0] & 0x04) {
		memset(&sites, 0, sizeof(sites));
		region.refs = 2; /* never freed here */
		region.map = patch_map;
		region.nrec = data[1] % (REC_MAX + 1);
		sites.region = &region;
		space.sites = &sites;
	}
	struct pt_task t;
	memset(&t, 0, sizeof(t));
	t.base.plat = &plat.base;
	t.base.host_tid = 0;
	t.space = &space;
	t.slot = slot;
	t.state = PTS_RUNNING;
	t.pidfd = -1;
	t.stop_nr = -1;
	t.fast_armed = !!(data[0] & 0x10);
	t.interrupt_pending = 1;
	space.tasks = &t;
	plat.nhot = 0;
	stops = 0;
	if (posted(&t))
		mailbox_stop(&plat, &t);
	/* the task was answered, killed, or still waits: nothing else */
	if (t.state != PTS_RUNNING && t.state != PTS_GONE && t.state != PTS_MAILBOX && t.state != PTS_EVENT)
		abort();
	if (space.sites != &sites)
		st_sites_put(space.sites); /* (made by the stop) */
	space.sites = NULL;
	return 0;
}
