/*
 * Fixed addresses every host task of the sandbox has, for C and for the
 * stub's assembler source (platform/systrap/stub_code.S).
 */
#ifndef MOAT_PLATFORM_LAYOUT_H
#define MOAT_PLATFORM_LAYOUT_H

#ifdef __ASSEMBLER__
#define LAYOUT_U64(x) x
#else
#define LAYOUT_U64(x) x##ULL
#endif

/* The stub image (platform/stub.h). The sentry must not place application
 * mappings over it. */
#define PLATFORM_STUB_BASE LAYOUT_U64(0x7ff000000000)
#define PLATFORM_STUB_SIZE LAYOUT_U64(0x2100000) /* code, scratch, systrap mailboxes */
/* Scratch memory in the task the sentry may use for injected syscalls'
 * arguments (the application could scribble on it; never trust it). */
#define PLATFORM_SCRATCH (PLATFORM_STUB_BASE + 0x1000)
#define PLATFORM_SCRATCH_SIZE 0x1000

/* systrap's patch area (platform/systrap/patch.c): below 2 GiB, so that
 * a patched syscall site reaches it with a 7-byte absolute jump. Mapped
 * only in processes that have patched sites. */
#define PLATFORM_PATCH_BASE LAYOUT_U64(0x7ffc0000)
#define PLATFORM_PATCH_SIZE LAYOUT_U64(0x40000)

#endif
