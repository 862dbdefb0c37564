/* A thread per request, as python3's http.server makes them: N threads,
 * one at a time, each making 20 getppid() calls before it returns, joined
 * by the main thread. Prints the mean cost of a thread in microseconds:
 * "thread_us <value>". (tests/bench/sandbox.sh, row 5) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *request(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++)
		getppid();
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	if (n <= 0)
		n = 1000;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, request, NULL) != 0 || pthread_join(t, NULL) != 0) {
			perror("thread_loop");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("thread_us %.1f\n", ns / (double)n / 1000);
	return 0;
}
