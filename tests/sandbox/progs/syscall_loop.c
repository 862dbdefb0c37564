/* Times N getppid() syscalls (made with syscall(2), never cached) and
 * prints the mean cost in nanoseconds: "getppid_ns <value>". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	if (n <= 0)
		n = 100000;
	struct timespec a, b;
	syscall(SYS_getppid); /* warm up */
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("getppid_ns %.1f\n", ns / (double)n);
	return 0;
}
