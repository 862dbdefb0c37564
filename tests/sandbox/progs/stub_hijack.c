/*
 * A hostile program: it rewrites the platform's stub in its own address
 * space (PLATFORM_STUB_BASE + 0x110, where the sentry's injected syscalls
 * run) with code that makes its own syscall -- mkdir(ARGV1) -- and then
 * provokes an injection (a file mmap). The ptrace platform must notice
 * that the syscall made there is not the one it injected and kill the
 * process before the syscall runs. Prints "survived" only if it was not
 * stopped (which is a failure, whether or not the directory appeared).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STUB 0x7ff000000000ULL

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/moat-hijack";
	unsigned char *code = (unsigned char *)(STUB + 0x110);
	if (mprotect((void *)STUB, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		printf("no stub here\n");
		return 2;
	}
	static const unsigned char prog[] = {
		0x48, 0x8d, 0x3d, 14, 0, 0, 0, /* lea path(%rip), %rdi */
		0xbe, 0xed, 0x01, 0, 0,	       /* mov $0755, %esi */
		0xb8, 83, 0, 0, 0,	       /* mov $SYS_mkdir, %eax */
		0x0f, 0x05,		       /* syscall */
		0xeb, 0xfe,		       /* jmp . */
	};
	memcpy(code, prog, sizeof(prog));
	strcpy((char *)code + sizeof(prog), path);
	int fd = open("/etc/hostname", O_RDONLY);
	void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("survived %p\n", m);
	return 0;
}
