/*
 * The stub: a tiny static ELF image that every host task of the sandbox
 * executes (platform_exec_reset execs it to get a fresh address space).
 * Its code page holds the instruction injected syscalls run from; its data
 * holds the constant arguments of that execveat. Layout, all at fixed
 * addresses from PLATFORM_STUB_BASE:
 *
 *   +0x000  ELF and program headers
 *   +0x100  entry:  mov $SYS_getpid,%eax; syscall; ud2   (the "ready" trap)
 *   +0x110  inject: syscall; ud2
 *   +0x180  ""            (execveat path)
 *   +0x188  "moat-stub"   (argv[0])
 *   +0x198  argv: { +0x188, NULL }
 *   +0x1a8  envp: { NULL }
 *   +0x280  systrap's entry (its image's e_entry): the handlers, then +0x100
 *   +0x300  its sigaction, +0x320 its signal mask (empty)
 *   +0x400  systrap's code (systrap/stub_code.S): the signal handler, its
 *           restorer, the patched sites' fast path, a thread's exit
 *   +0xf00  STUB_NOSLOT: zeros (a thread's %gs base when it has no mailbox)
 *   +0x1000 scratch page (read-write, zero)
 *   +0x2000 to PLATFORM_STUB_SIZE: reserved (PROT_NONE) from the exec on
 *   +0x100000 systrap's mailboxes: STUB_NSLOTS slots of STUB_SLOT_SIZE,
 *           a shared memfd per address space (platform/systrap)
 *
 * This header is included by the assembler source too.
 */
#ifndef MOAT_PLATFORM_STUB_H
#define MOAT_PLATFORM_STUB_H

#include "layout.h"

#define STUB_ENTRY (PLATFORM_STUB_BASE + 0x100)
#define STUB_READY_RIP (STUB_ENTRY + 7) /* after the entry's syscall */
#define STUB_INJECT (PLATFORM_STUB_BASE + 0x110)
#define STUB_EMPTY (PLATFORM_STUB_BASE + 0x180)
#define STUB_ARGV0 (PLATFORM_STUB_BASE + 0x188)
#define STUB_ARGV (PLATFORM_STUB_BASE + 0x198)
#define STUB_ENVP (PLATFORM_STUB_BASE + 0x1a8)

/* systrap (platform/systrap/systrap.c). The handler serves SIGSYS (a
 * reported syscall), the interrupt signal and the faults. The offsets of
 * the code in systrap/stub_code.S are fixed there (.org) and used here. */
#define STUB_INJECT_IP (STUB_INJECT + 2)      /* after the inject syscall */
#define STUB_SYSTRAP_ENTRY (PLATFORM_STUB_BASE + 0x280)
#define STUB_SIGACTION_IP (STUB_SYSTRAP_ENTRY + 0x2e) /* after its rt_sigaction */
#define STUB_UNBLOCK_IP (STUB_SYSTRAP_ENTRY + 0x55) /* after its rt_sigprocmask */
#define STUB_SIGACTION_ACT (PLATFORM_STUB_BASE + 0x300)
#define STUB_UNBLOCK_MASK (PLATFORM_STUB_BASE + 0x320)
#define STUB_CODE (PLATFORM_STUB_BASE + 0x400)
#define STUB_CODE_MAX 0xb00 /* up to STUB_NOSLOT */
#define STUB_BELL_OFF 0x0c0	  /* after the handler's write(bell) */
#define STUB_FUTEX_OFF 0x100	  /* after its futex wait */
#define STUB_RESTORER_OFF 0x140	  /* its restorer: rt_sigreturn */
#define STUB_FAST_OFF 0x180	  /* the fast path */
#define STUB_FAST_GS_OFF 0x1a0	  /* its read of %gs:MB_SELF */
#define STUB_FAST_BELL_OFF 0x280  /* after its write(bell) */
#define STUB_FAST_FUTEX_OFF 0x2c0 /* after its futex wait */
#define STUB_FAST_SLOW_OFF 0x340  /* its way to the trapped syscall */
#define STUB_EXIT_OFF 0x380	  /* a thread's own exit (systrap.c, native_exit) */
#define STUB_HANDLER STUB_CODE
#define STUB_BELL_IP (STUB_CODE + STUB_BELL_OFF)
#define STUB_FUTEX_IP (STUB_CODE + STUB_FUTEX_OFF)
#define STUB_RESTORER (STUB_CODE + STUB_RESTORER_OFF)
#define STUB_SIGRET_IP (STUB_RESTORER + 7) /* after the restorer's rt_sigreturn */
#define STUB_FAST (STUB_CODE + STUB_FAST_OFF)
#define STUB_FAST_GS (STUB_CODE + STUB_FAST_GS_OFF)
#define STUB_FAST_BELL_IP (STUB_CODE + STUB_FAST_BELL_OFF)
#define STUB_FAST_FUTEX_IP (STUB_CODE + STUB_FAST_FUTEX_OFF)
#define STUB_FAST_SLOW (STUB_CODE + STUB_FAST_SLOW_OFF)
#define STUB_EXIT (STUB_CODE + STUB_EXIT_OFF)
#define STUB_EXIT_IP (STUB_EXIT + 7) /* after its exit */
#define STUB_NOSLOT (PLATFORM_STUB_BASE + 0xf00)
/* SA_SIGINFO | SA_ONSTACK | SA_RESTORER | SA_RESTART */
#define STUB_SA_FLAGS LAYOUT_U64(0x1c000004)
#define STUB_RESERVED (PLATFORM_SCRATCH + PLATFORM_SCRATCH_SIZE) /* to the range's end: PROT_NONE */
#define STUB_MAILBOX (PLATFORM_STUB_BASE + 0x100000)
#define STUB_SLOT_SIZE LAYOUT_U64(0x8000) /* a power of two: the handler masks rsp */
#define STUB_NSLOTS 1024		 /* threads per address space */
#define STUB_AREA_SIZE (STUB_NSLOTS * 0x8000)
#define STUB_ALTSTACK_OFF 0x1000 /* the slot's signal stack starts here */

/* The syscall number the fast path traps with to hand the sentry a host
 * signal it kept back (systrap.c, "resync"); no Linux syscall has it. */
#define STUB_RESYNC_NR 0x3ff0

/* Host signals the handler never keeps back: the faults, which would come
 * again, and SIGSYS (bit n: signal n). The mask that keeps the others
 * blocked meanwhile (bit n-1: signal n), which SIGKILL and SIGSTOP are
 * never in. */
#define STUB_SYNC_SIGNALS LAYOUT_U64(0x800009b0)
#define STUB_DEFER_MASK LAYOUT_U64(0xffffffffbffbfa27)

/* A patch record (patch.c): a trampoline for one patched syscall site,
 * in the patch area. */
#define REC_SIZE 64
#define REC_RETRAP 12 /* its syscall instruction: the trapped way */
#define REC_RET 32    /* u64: the site's end, where the syscall returns */
#define REC_TRAMP 40  /* u64: the record, which the patched site jumps through */
#define REC_NR 48     /* u32: the site's syscall number */

/* The mailbox, at the start of its slot (offsets for the assembler). */
#define MB_STATE 0
#define MB_SIG 4
#define MB_INFO 8
#define MB_UC 16
#define MB_SPIN 24
#define MB_SLEEPING 28
#define MB_ONE 32
#define MB_POLLING 40
#define MB_DEFER 44
#define MB_SELF 48
#define MB_REC 56
#define MB_RESULT 64
#define MB_REGS 72 /* 13 registers, MBR_* */
#define MB_DINFO 176
#define MB_END 304

#define MB_RUNNING 0
#define MB_REQUEST 1 /* the handler waits for the sentry */
#define MB_ANSWERED 2

/* The fast path's saved registers, in this order. */
#define MBR_RDI 0
#define MBR_RSI 1
#define MBR_RDX 2
#define MBR_R10 3
#define MBR_R8 4
#define MBR_R9 5
#define MBR_RBX 6
#define MBR_RBP 7
#define MBR_R12 8
#define MBR_R13 9
#define MBR_R14 10
#define MBR_R15 11
#define MBR_RSP 12
#define MBR_N 13

/* Offsets in the kernel's ucontext_t (the signal frame). */
#define UC_RIP 168
#define UC_SIGMASK 296

/* Host fd numbers every task holds (set up before the first exec and
 * inherited by every host fork/exec; never visible to the application,
 * whose fds are the sentry's). */
#define STUB_FD_CHAN 0 /* SOCK_SEQPACKET end for receiving donated fds */
#define STUB_FD_STUB 1 /* the stub image, for execveat */
#define STUB_FD_BELL 2 /* systrap: an eventfd the handler rings */

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "platform.h"

/* A mailbox, at the start of its slot (the task can write it: the sentry
 * reads it as untrusted). */
struct stub_mailbox {
	uint32_t state;	   /* MB_* */
	uint32_t sig;	   /* the host signal the handler runs for; 0: the fast path */
	uint64_t info;	   /* its siginfo_t * (in the slot's signal stack) */
	uint64_t uc;	   /* its ucontext_t * */
	uint32_t spin;	   /* how often the handler polls before sleeping */
	uint32_t sleeping; /* the handler waits on the futex `state` */
	uint64_t one;	   /* the bell's value */
	uint32_t polling;  /* the sentry polls this mailbox: no bell needed */
	uint32_t defer;	   /* a host signal the fast path kept back (its number) */
	uint64_t self;	   /* the slot's address: the fast path reads %gs:MB_SELF */
	uint64_t rec;	   /* the fast path's patch record */
	uint64_t result;   /* its answer (rax) */
	uint64_t regs[MBR_N];  /* the application's registers at the fast path */
	uint8_t dinfo[128];    /* the kept-back signal's siginfo */
};

/* The assembled code (systrap/stub_code.S), copied to STUB_CODE. */
extern const uint8_t moat_stub_code[], moat_stub_code_end[];
#endif

#endif
