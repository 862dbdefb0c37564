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
 *   +0x1000 scratch page (read-write, zero)
 */
#ifndef MOAT_PLATFORM_STUB_H
#define MOAT_PLATFORM_STUB_H

#include "platform.h"

#define STUB_ENTRY (PLATFORM_STUB_BASE + 0x100)
#define STUB_READY_RIP (STUB_ENTRY + 7) /* after the entry's syscall */
#define STUB_INJECT (PLATFORM_STUB_BASE + 0x110)
#define STUB_EMPTY (PLATFORM_STUB_BASE + 0x180)
#define STUB_ARGV0 (PLATFORM_STUB_BASE + 0x188)
#define STUB_ARGV (PLATFORM_STUB_BASE + 0x198)
#define STUB_ENVP (PLATFORM_STUB_BASE + 0x1a8)

/* Host fd numbers every task holds (set up before the first exec and
 * inherited by every host fork/exec; never visible to the application,
 * whose fds are the sentry's). */
#define STUB_FD_CHAN 0 /* SOCK_SEQPACKET end for receiving donated fds */
#define STUB_FD_STUB 1 /* the stub image, for execveat */

#endif
