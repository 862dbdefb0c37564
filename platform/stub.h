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
 *   +0x200  systrap's signal handler and its restorer (stub.c)
 *   +0x280  systrap's entry (its image's e_entry): the handlers, then +0x100
 *   +0x300  its sigaction, +0x320 its signal mask (empty)
 *   +0x1000 scratch page (read-write, zero)
 *   +0x100000 systrap's mailboxes: STUB_NSLOTS slots of STUB_SLOT_SIZE,
 *           a shared memfd per address space (platform/systrap)
 */
#ifndef MOAT_PLATFORM_STUB_H
#define MOAT_PLATFORM_STUB_H

#include <stdint.h>

#include "platform.h"

#define STUB_ENTRY (PLATFORM_STUB_BASE + 0x100)
#define STUB_READY_RIP (STUB_ENTRY + 7) /* after the entry's syscall */
#define STUB_INJECT (PLATFORM_STUB_BASE + 0x110)
#define STUB_EMPTY (PLATFORM_STUB_BASE + 0x180)
#define STUB_ARGV0 (PLATFORM_STUB_BASE + 0x188)
#define STUB_ARGV (PLATFORM_STUB_BASE + 0x198)
#define STUB_ENVP (PLATFORM_STUB_BASE + 0x1a8)

/* systrap (platform/systrap/systrap.c). The handler serves SIGSYS (a
 * reported syscall), the interrupt signal and the faults. */
#define STUB_HANDLER (PLATFORM_STUB_BASE + 0x200)
#define STUB_BELL_IP (STUB_HANDLER + 0x37)    /* after its write(bell) */
#define STUB_RESTORER (STUB_HANDLER + 0x75)
#define STUB_SIGRET_IP (STUB_HANDLER + 0x7c)  /* after its rt_sigreturn */
#define STUB_INJECT_IP (STUB_INJECT + 2)      /* after the inject syscall */
#define STUB_SYSTRAP_ENTRY (PLATFORM_STUB_BASE + 0x280)
#define STUB_SIGACTION_IP (STUB_SYSTRAP_ENTRY + 0x2e) /* after its rt_sigaction */
#define STUB_UNBLOCK_IP (STUB_SYSTRAP_ENTRY + 0x55) /* after its rt_sigprocmask */
#define STUB_SIGACTION_ACT (PLATFORM_STUB_BASE + 0x300)
#define STUB_UNBLOCK_MASK (PLATFORM_STUB_BASE + 0x320)
/* SA_SIGINFO | SA_ONSTACK | SA_RESTORER | SA_RESTART */
#define STUB_SA_FLAGS 0x1c000004ULL
#define STUB_MAILBOX (PLATFORM_STUB_BASE + 0x100000)
#define STUB_SLOT_SIZE 0x8000ULL /* a power of two: the handler masks rsp */
#define STUB_NSLOTS 1024	 /* threads per address space */
#define STUB_ALTSTACK_OFF 0x1000 /* the slot's signal stack starts here */

/* A mailbox, at the start of its slot (the task can write it: the sentry
 * reads it as untrusted). */
struct stub_mailbox {
	uint32_t state;	   /* MB_* */
	uint32_t sig;	   /* the host signal the handler runs for */
	uint64_t info;	   /* its siginfo_t * (in the slot's signal stack) */
	uint64_t uc;	   /* its ucontext_t * */
	uint32_t spin;	   /* how often the handler polls before sleeping */
	uint32_t sleeping; /* the handler waits on the futex `state` */
	uint64_t one;	   /* the bell's value */
	uint32_t polling;  /* the sentry polls this mailbox: no bell needed */
};
#define MB_RUNNING 0
#define MB_REQUEST 1 /* the handler waits for the sentry */
#define MB_ANSWERED 2

/* Host fd numbers every task holds (set up before the first exec and
 * inherited by every host fork/exec; never visible to the application,
 * whose fds are the sentry's). */
#define STUB_FD_CHAN 0 /* SOCK_SEQPACKET end for receiving donated fds */
#define STUB_FD_STUB 1 /* the stub image, for execveat */
#define STUB_FD_BELL 2 /* systrap: an eventfd the handler rings */

#endif
