/*
 * Small helpers shared by every netstack file: byte-order-safe loads and
 * stores (never cast unaligned wire bytes to integer pointers), container_of,
 * and the refcount type with its verbs.
 */
#ifndef NS_COMMON_H
#define NS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <assert.h>

#define NS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NS_MAX(a, b) ((a) > (b) ? (a) : (b))
#define NS_UNUSED(x) ((void)(x))

#define ns_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define ns_likely(x) __builtin_expect(!!(x), 1)
#define ns_unlikely(x) __builtin_expect(!!(x), 0)

/* Nanoseconds on the monotonic clock of whoever drives the stack. */
typedef uint64_t ns_time_t;
#define NS_USEC 1000ULL
#define NS_MSEC 1000000ULL
#define NS_SEC 1000000000ULL

/* Big-endian (network order) loads and stores on possibly unaligned bytes. */
static inline uint16_t ns_rd16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t ns_rd32(const void *p)
{
	const uint8_t *b = p;
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | b[3];
}

static inline void ns_wr16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void ns_wr32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/*
 * Reference counts. The netstack runs on one thread (DESIGN.md), so these are
 * plain integers; the type exists so that every take and release is a named
 * verb that can be audited.
 */
struct ns_refcnt {
	uint32_t n;
};

static inline void ns_refcnt_init(struct ns_refcnt *r)
{
	r->n = 1;
}

static inline void ns_refcnt_take(struct ns_refcnt *r)
{
	assert(r->n > 0);
	r->n++;
}

/* Returns 1 when the last reference was released. */
static inline int ns_refcnt_rele(struct ns_refcnt *r)
{
	assert(r->n > 0);
	return --r->n == 0;
}

static inline int ns_refcnt_shared(const struct ns_refcnt *r)
{
	return r->n > 1;
}

#endif
