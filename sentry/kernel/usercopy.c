/*
 * Moving data between the sentry and application memory. Every access
 * goes through the platform (process_vm_readv/writev on ptrace); a fault
 * anywhere in the range is -EFAULT, as a kernel's copy_from_user.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

/* Application addresses are below the canonical 47-bit boundary. */
#define TASK_SIZE_MAX 0x00007ffffffff000ULL

static int range_ok(uint64_t addr, size_t len)
{
	return addr < TASK_SIZE_MAX && len <= TASK_SIZE_MAX - addr;
}

int copy_from_user(struct task *t, void *dst, uint64_t src, size_t len)
{
	if (!len)
		return 0;
	if (!range_ok(src, len) || !t->pt)
		return -EFAULT;
	ssize_t n = platform_read(t->pt, dst, src, len);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

int copy_to_user(struct task *t, uint64_t dst, const void *src, size_t len)
{
	if (!len)
		return 0;
	if (!range_ok(dst, len) || !t->pt)
		return -EFAULT;
	ssize_t n = platform_write(t->pt, dst, src, len);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

int clear_user(struct task *t, uint64_t dst, size_t len)
{
	static const uint8_t zero[4096];
	while (len) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);
		int e = copy_to_user(t, dst, zero, n);
		if (e)
			return e;
		dst += n;
		len -= n;
	}
	return 0;
}

long strncpy_from_user(struct task *t, char *dst, uint64_t src, size_t max)
{
	if (!t->pt || src >= TASK_SIZE_MAX)
		return -EFAULT;
	size_t got = 0;
	/* Read up to page boundaries so a string that ends right before an
	 * unmapped page is still readable. */
	while (got < max) {
		uint64_t a = src + got;
		size_t chunk = 4096 - (a & 4095);
		if (chunk > max - got)
			chunk = max - got;
		ssize_t n = platform_read(t->pt, dst + got, a, chunk);
		if (n <= 0)
			return -EFAULT;
		char *z = memchr(dst + got, 0, (size_t)n);
		if (z)
			return z - dst;
		got += (size_t)n;
		if ((size_t)n < chunk)
			return -EFAULT;
	}
	return -ENAMETOOLONG;
}

long getname(struct task *t, uint64_t src, char *buf, size_t max, int allow_empty)
{
	long n = strncpy_from_user(t, buf, src, max);
	if (n == 0 && !allow_empty)
		return -ENOENT;
	return n;
}

void free_strings(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int copy_strings(struct task *t, uint64_t uptr, char ***out, size_t *total, size_t limit)
{
	size_t n = 0, cap = 16, sum = 0;
	char **v = calloc(cap + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	if (uptr) {
		for (;;) {
			uint64_t p;
			if (copy_from_user(t, &p, uptr + n * 8, 8)) {
				free_strings(v);
				return -EFAULT;
			}
			if (!p)
				break;
			if (n == cap) {
				char **nv = realloc(v, (cap * 2 + 1) * sizeof(char *));
				if (!nv) {
					free_strings(v);
					return -ENOMEM;
				}
				v = nv;
				cap *= 2;
			}
			char *buf = malloc(131072);
			if (!buf) {
				free_strings(v);
				return -ENOMEM;
			}
			long l = strncpy_from_user(t, buf, p, 131072);
			if (l < 0) {
				free(buf);
				free_strings(v);
				return l == -ENAMETOOLONG ? -E2BIG : (int)l;
			}
			v[n] = realloc(buf, (size_t)l + 1);
			if (!v[n])
				v[n] = buf;
			v[++n] = NULL;
			sum += (size_t)l + 1 + sizeof(void *);
			if (sum > limit) {
				free_strings(v);
				return -E2BIG;
			}
		}
	}
	v[n] = NULL;
	*out = v;
	if (total)
		*total += sum;
	return (int)n;
}

long task_host_syscall(struct task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		       uint64_t a4, uint64_t a5)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	if (!t->pt)
		return -ESRCH;
	t->k->stats.injections++;
	return platform_syscall(t->pt, nr, a);
}
