/* Builds the stub image (see stub.h) in a sealed memfd. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostproc.h"
#include "stub.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/*
 * systrap's entry (STUB_SYSTRAP_ENTRY): the handler for every signal but
 * SIGKILL and SIGSTOP (rt_sigaction from STUB_SIGACTION_IP, which the
 * filter allows; the disposition is STUB_SIGACTION_ACT), every signal
 * unblocked (rt_sigprocmask from STUB_UNBLOCK_IP: an execve made from the
 * handler keeps its all-blocked mask, and a blocked SIGSYS would be forced
 * back to the default action), then the common entry's ready trap. (The
 * thread has no signal stack yet: the sentry holds it with ptrace, so
 * every signal stops it before a handler could run, until its mailbox is
 * made.)
 *
 *  00 mov $1,%r12d
 *  06 cmp $9,%r12d; je next; cmp $19,%r12d; je next
 *  12 mov %r12d,%edi; movabs $STUB_SIGACTION_ACT,%rsi; xor %edx,%edx;
 *     mov $8,%r10d; mov $13,%eax; syscall
 *  2e next: inc %r12d; cmp $65,%r12d; jne 06
 *  37 mov $2,%edi (SIG_SETMASK); movabs $STUB_UNBLOCK_MASK,%rsi;
 *     xor %edx,%edx; mov $8,%r10d; mov $14,%eax; syscall
 *  55 movabs $STUB_ENTRY,%rax; jmp *%rax
 */
static const uint8_t systrap_entry[] = {
	0x41, 0xbc, 0x01, 0x00, 0x00, 0x00, 0x41, 0x83, 0xfc, 0x09, 0x74, 0x22, 0x41,
	0x83, 0xfc, 0x13, 0x74, 0x1c, 0x44, 0x89, 0xe7, 0x48, 0xbe, 0x00, 0x03, 0x00,
	0x00, 0xf0, 0x7f, 0x00, 0x00, 0x31, 0xd2, 0x41, 0xba, 0x08, 0x00, 0x00, 0x00,
	0xb8, 0x0d, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x41, 0xff, 0xc4, 0x41, 0x83, 0xfc,
	0x41, 0x75, 0xcf, 0xbf, 0x02, 0x00, 0x00, 0x00, 0x48, 0xbe, 0x20, 0x03, 0x00,
	0x00, 0xf0, 0x7f, 0x00, 0x00, 0x31, 0xd2, 0x41, 0xba, 0x08, 0x00, 0x00, 0x00,
	0xb8, 0x0e, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0xf0, 0x7f, 0x00, 0x00, 0xff, 0xe0,
};
_Static_assert(sizeof(systrap_entry) <= STUB_SIGACTION_ACT - STUB_SYSTRAP_ENTRY, "entry layout");

/* The assembler source uses the mailbox's offsets (stub.h). */
_Static_assert(offsetof(struct stub_mailbox, sig) == MB_SIG && offsetof(struct stub_mailbox, info) == MB_INFO &&
		       offsetof(struct stub_mailbox, uc) == MB_UC && offsetof(struct stub_mailbox, spin) == MB_SPIN &&
		       offsetof(struct stub_mailbox, sleeping) == MB_SLEEPING &&
		       offsetof(struct stub_mailbox, one) == MB_ONE &&
		       offsetof(struct stub_mailbox, polling) == MB_POLLING &&
		       offsetof(struct stub_mailbox, defer) == MB_DEFER &&
		       offsetof(struct stub_mailbox, self) == MB_SELF && offsetof(struct stub_mailbox, rec) == MB_REC &&
		       offsetof(struct stub_mailbox, result) == MB_RESULT &&
		       offsetof(struct stub_mailbox, regs) == MB_REGS &&
		       offsetof(struct stub_mailbox, dinfo) == MB_DINFO && sizeof(struct stub_mailbox) == MB_END,
	       "mailbox layout");
_Static_assert(STUB_ALTSTACK_OFF >= MB_END && STUB_CODE - PLATFORM_STUB_BASE + STUB_CODE_MAX <= STUB_NOSLOT - PLATFORM_STUB_BASE,
	       "stub layout");

static size_t stub_build(uint8_t *img, size_t cap, int systrap)
{
	const size_t size = 0x1000;
	const size_t code = (size_t)(moat_stub_code_end - moat_stub_code);
	if (cap < size || code > STUB_CODE_MAX)
		return 0;
	memset(img, 0, size);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = systrap ? STUB_SYSTRAP_ENTRY : STUB_ENTRY;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 4;

	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	ph[0].p_type = PT_LOAD; /* code and constants */
	ph[0].p_flags = PF_R | PF_X;
	ph[0].p_offset = 0;
	ph[0].p_vaddr = ph[0].p_paddr = PLATFORM_STUB_BASE;
	ph[0].p_filesz = ph[0].p_memsz = size;
	ph[0].p_align = 0x1000;
	ph[1].p_type = PT_LOAD; /* scratch */
	ph[1].p_flags = PF_R | PF_W;
	ph[1].p_offset = 0;
	ph[1].p_vaddr = ph[1].p_paddr = PLATFORM_SCRATCH;
	ph[1].p_filesz = 0;
	ph[1].p_memsz = PLATFORM_SCRATCH_SIZE;
	ph[1].p_align = 0x1000;
	/* The rest of the stub's range, reserved (PROT_NONE, a mapping of
	 * the image past its end that is never touched) from the exec on:
	 * systrap maps its mailboxes there when a task is first let go, and
	 * until then the kernel would place the vdso, the dynamic loader or
	 * an application mapping in the hole (1 exec in some thousands),
	 * which the mailboxes' MAP_FIXED would then replace. */
	ph[2].p_type = PT_LOAD;
	ph[2].p_flags = 0;
	ph[2].p_offset = 0;
	ph[2].p_vaddr = ph[2].p_paddr = STUB_RESERVED;
	ph[2].p_filesz = ph[2].p_memsz = PLATFORM_STUB_BASE + PLATFORM_STUB_SIZE - STUB_RESERVED;
	ph[2].p_align = 0x1000;
	ph[3].p_type = PT_GNU_STACK; /* no executable stack */
	ph[3].p_flags = PF_R | PF_W;

	static const uint8_t entry[] = {
		0xb8, SYS_getpid, 0x00, 0x00, 0x00, /* mov $SYS_getpid, %eax */
		0x0f, 0x05,			    /* syscall */
		0x0f, 0x0b,			    /* ud2 */
	};
	static const uint8_t inject[] = { 0x0f, 0x05, 0x0f, 0x0b };
	memcpy(img + (STUB_ENTRY - PLATFORM_STUB_BASE), entry, sizeof(entry));
	memcpy(img + (STUB_INJECT - PLATFORM_STUB_BASE), inject, sizeof(inject));
	memcpy(img + (STUB_CODE - PLATFORM_STUB_BASE), moat_stub_code, code);
	memcpy(img + (STUB_SYSTRAP_ENTRY - PLATFORM_STUB_BASE), systrap_entry, sizeof(systrap_entry));
	const uint64_t act[4] = { STUB_HANDLER, STUB_SA_FLAGS, STUB_RESTORER, ~0ULL };
	memcpy(img + (STUB_SIGACTION_ACT - PLATFORM_STUB_BASE), act, sizeof(act));
	/* STUB_UNBLOCK_MASK: the empty set, zero already */
	memcpy(img + (STUB_ARGV0 - PLATFORM_STUB_BASE), "moat-stub", 10);
	uint64_t argv[2] = { STUB_ARGV0, 0 };
	memcpy(img + (STUB_ARGV - PLATFORM_STUB_BASE), argv, sizeof(argv));
	/* STUB_EMPTY and STUB_ENVP are already zero. */
	return size;
}

int platform_stub_memfd(int systrap)
{
	uint8_t img[0x1000];
	size_t n = stub_build(img, sizeof(img), systrap);
	if (!n)
		return -E2BIG;
	int fd = (int)syscall(SYS_memfd_create, "moat-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_memfd_create, "moat-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (write(fd, img, n) != (ssize_t)n || fchmod(fd, 0555) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno ? errno : EIO;
		close(fd);
		return -e;
	}
	/* execve refuses a file open for writing (ETXTBSY): keep only a
	 * read-only descriptor of it. */
	char path[64];
	snprintf(path, sizeof(path), "self/fd/%d", fd);
	int ro = hostproc_open(path, O_RDONLY);
	close(fd);
	return ro;
}
