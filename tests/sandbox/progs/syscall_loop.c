/* Times N getppid() syscalls (never cached) and prints the mean cost in
 * nanoseconds: "getppid_ns <value>". Made with syscall(2) by default; with
 * "libc" as the second argument through libc's getppid(), whose
 * `mov $NR,%eax; syscall` systrap can patch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int libc = argc > 2 && !strcmp(argv[2], "libc");
	if (n <= 0)
		n = 100000;
	struct timespec a, b;
	for (int i = 0; i < 4; i++) /* warm up (and let a site be patched) */
		libc ? getppid() : syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		libc ? getppid() : syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("getppid_ns %.1f\n", ns / (double)n);
	return 0;
}
