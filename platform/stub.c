/* Builds the stub image (see stub.h) in a sealed memfd. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
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

static size_t stub_build(uint8_t *img, size_t cap)
{
	const size_t size = 0x200;
	if (cap < size)
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
	eh->e_entry = STUB_ENTRY;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;

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
	ph[2].p_type = PT_GNU_STACK; /* no executable stack */
	ph[2].p_flags = PF_R | PF_W;

	static const uint8_t entry[] = {
		0xb8, SYS_getpid, 0x00, 0x00, 0x00, /* mov $SYS_getpid, %eax */
		0x0f, 0x05,			    /* syscall */
		0x0f, 0x0b,			    /* ud2 */
	};
	static const uint8_t inject[] = { 0x0f, 0x05, 0x0f, 0x0b };
	memcpy(img + (STUB_ENTRY - PLATFORM_STUB_BASE), entry, sizeof(entry));
	memcpy(img + (STUB_INJECT - PLATFORM_STUB_BASE), inject, sizeof(inject));
	memcpy(img + (STUB_ARGV0 - PLATFORM_STUB_BASE), "moat-stub", 10);
	uint64_t argv[2] = { STUB_ARGV0, 0 };
	memcpy(img + (STUB_ARGV - PLATFORM_STUB_BASE), argv, sizeof(argv));
	/* STUB_EMPTY and STUB_ENVP are already zero. */
	return size;
}

int platform_stub_memfd(void)
{
	uint8_t img[0x200];
	size_t n = stub_build(img, sizeof(img));
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
