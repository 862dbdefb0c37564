/* Is moat's stub range (platform/layout.h: 0x7ff000000000, 0x2100000
 * bytes) taken in a freshly exec'd task, before anything else runs? It
 * must be, whole, on both platforms: otherwise the kernel may place the
 * vdso, the dynamic loader or an application mapping in it, and systrap's
 * mailboxes, mapped there later with MAP_FIXED, replace them. Tries
 * MAP_FIXED_NOREPLACE pages across the range and prints how many were
 * free ("free 0" in moat; natively every page is). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void)
{
	const uint64_t base = 0x7ff000000000ULL, size = 0x2100000ULL;
	int free_pages = 0, tried = 0;
	for (uint64_t off = 0; off < size; off += 0x40000, tried++) {
		void *want = (void *)(uintptr_t)(base + off);
		void *p = mmap(want, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == want) {
			free_pages++;
			munmap(p, 4096);
		} else if (p != MAP_FAILED) {
			munmap(p, 4096); /* (an old kernel took it as a hint) */
		}
	}
	/* and the last page */
	void *last = (void *)(uintptr_t)(base + size - 4096);
	void *p = mmap(last, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	tried++;
	if (p == last) {
		free_pages++;
		munmap(p, 4096);
	}
	printf("free %d of %d\n", free_pages, tried);
	return 0;
}
