/*
 * The packet buffer: the one type that carries a frame through the stack.
 *
 * A struct pkt is a view (offset + length) onto a chunk of bytes. Chunks come
 * from size-class pools and are refcounted: pkt_clone() makes a second view
 * onto the same chunk, and any write through a view whose chunk is shared
 * first copies it (copy-on-write, pkt_make_writable()). The view itself is
 * refcounted too (pkt_ref/pkt_unref), so two holders can keep the very same
 * view; a view with more than one reference must not be changed.
 *
 * Headroom is reserved in front of the data so that each layer on the way
 * out can pkt_push() its header without copying.
 *
 * Ownership: every function that takes a struct pkt * says in its comment
 * whether it consumes the packet. A consumer frees (pkt_unref) or passes the
 * packet on, on every path, error paths included.
 *
 * Threading: pools are process-global and not locked; the netstack runs on
 * one event-loop thread (DESIGN.md).
 */
#ifndef NS_PKT_H
#define NS_PKT_H

#include <stdint.h>
#include <stddef.h>
#include "ns/common.h"

/* Room for vnet header + Ethernet + IPv4/IPv6 with options + TCP options. */
#define PKT_HEADROOM 192

struct pkt_chunk {
	struct ns_refcnt refs;
	uint8_t cls;		/* size class index, or PKT_CLASS_HUGE */
	uint32_t cap;		/* bytes in data[] */
	struct pkt_chunk *next_free;
	uint8_t data[];
};

/* Packet flags (pkt->flags). */
enum {
	PKT_F_CSUM_VERIFIED = 1u << 0, /* L4 checksum known good (offload) */
	PKT_F_CSUM_PARTIAL = 1u << 1,  /* L4 checksum to be completed: csum_start/off */
	PKT_F_BCAST = 1u << 2,	       /* link-layer broadcast */
	PKT_F_MCAST = 1u << 3,	       /* link-layer multicast */
	PKT_F_OTHERHOST = 1u << 4,     /* link-layer unicast not to us */
	PKT_F_LOCAL_ERR_SENT = 1u << 5,
	PKT_F_L2 = 1u << 6,	       /* an Ethernet header lies right before l3_off */
	PKT_F_MC_LOOP = 1u << 7,       /* our own multicast, looped back to us */
	PKT_F_PEEKED = 1u << 8,	       /* a queued empty datagram a peek returned (SO_PEEK_OFF) */
};

enum { PKT_GSO_NONE = 0, PKT_GSO_TCPV4 = 1, PKT_GSO_TCPV6 = 4, PKT_GSO_UDP_L4 = 5 };

struct ns_nic;

struct pkt {
	struct pkt *next; /* queue link, owned by the current holder */
	struct pkt_chunk *chunk;
	uint32_t off; /* start of data within chunk->data */
	uint32_t len; /* bytes of data */
	struct ns_refcnt refs;

	/* Metadata, filled in as layers parse or build the packet. Offsets are
	 * relative to chunk->data so that push/pull do not move them. */
	uint32_t l3_off;
	uint32_t l4_off;
	uint32_t flags;
	uint16_t ethertype;
	uint8_t ip_proto;
	uint8_t gso_type;
	uint16_t gso_size;
	uint32_t csum_start; /* PARTIAL: where summing starts (chunk offset) */
	uint16_t csum_off;   /* PARTIAL: checksum field offset from csum_start */
	uint32_t frag_max;   /* reassembled: its largest fragment's length, headers included; 0: not */
	struct ns_nic *nic;  /* input interface, or output interface */
	ns_time_t tstamp;
	uint64_t cookie;     /* free for the current holder (e.g. frag offset) */
	/* Linux's skb->priority and skb->mark: the sending socket's
	 * SO_PRIORITY and SO_MARK (or its send's), which a packet looped
	 * back keeps (SO_RCVPRIORITY, SO_RCVMARK) */
	uint32_t priority, mark;
};

/* Pool statistics, readable for tests (leak checks) and for `moat stack`. */
struct pkt_pool_stats {
	uint64_t allocs;
	uint64_t fails;
	uint64_t in_use;      /* chunks handed out and not yet returned */
	uint64_t views_in_use;
	uint64_t bytes_in_use;
	uint64_t high_bytes;
	uint64_t cached_bytes; /* free chunks and views kept for reuse (bounded) */
};

/*
 * Allocate a packet with `headroom` bytes in front and `len` bytes of
 * (uninitialised) data. Returns NULL when the pools' memory cap is reached:
 * the caller counts a drop, it never crashes.
 */
struct pkt *pkt_alloc(uint32_t headroom, uint32_t len);

/* Allocate and copy `len` bytes of `data` after PKT_HEADROOM of headroom. */
struct pkt *pkt_from_bytes(const void *data, uint32_t len);

void pkt_ref(struct pkt *p);
/* Release one reference; frees the view and its chunk share on the last. */
void pkt_unref(struct pkt *p);

/* A new view of the same bytes (chunk shared, copy-on-write). */
struct pkt *pkt_clone(const struct pkt *p);

/* A deep copy with `headroom` bytes of headroom. */
struct pkt *pkt_copy(const struct pkt *p, uint32_t headroom);

/* Make the chunk private to this view (copy if shared). Returns 0 or -ENOMEM. */
int pkt_make_writable(struct pkt *p);

static inline uint8_t *pkt_data(const struct pkt *p)
{
	return p->chunk->data + p->off;
}

static inline uint8_t *pkt_at(const struct pkt *p, uint32_t chunk_off)
{
	return p->chunk->data + chunk_off;
}

static inline uint32_t pkt_headroom(const struct pkt *p)
{
	return p->off;
}

static inline uint32_t pkt_tailroom(const struct pkt *p)
{
	return p->chunk->cap - p->off - p->len;
}

/* Offset of the current data start, relative to chunk data (for l3_off...). */
static inline uint32_t pkt_pos(const struct pkt *p)
{
	return p->off;
}

/*
 * Prepend `n` bytes and return a pointer to them. Makes the chunk writable and
 * grows headroom (by copying) when needed. Returns NULL on allocation failure;
 * the packet is unchanged then.
 */
uint8_t *pkt_push(struct pkt *p, uint32_t n);

/* Remove `n` bytes from the front. Precondition: n <= len. */
static inline uint8_t *pkt_pull(struct pkt *p, uint32_t n)
{
	assert(n <= p->len);
	p->off += n;
	p->len -= n;
	return pkt_data(p);
}

/* Append `n` bytes at the tail; NULL on allocation failure. */
uint8_t *pkt_put(struct pkt *p, uint32_t n);

/* Shorten to `len` bytes (drops link padding). Precondition: len <= p->len. */
static inline void pkt_trim(struct pkt *p, uint32_t len)
{
	assert(len <= p->len);
	p->len = len;
}

/* A FIFO of packets linked through pkt->next. */
struct pkt_queue {
	struct pkt *head;
	struct pkt *tail;
	uint32_t count;
	uint64_t bytes;
};

static inline void pkt_queue_init(struct pkt_queue *q)
{
	q->head = q->tail = NULL;
	q->count = 0;
	q->bytes = 0;
}

/* Takes ownership of p. */
static inline void pkt_queue_push(struct pkt_queue *q, struct pkt *p)
{
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->count++;
	q->bytes += p->len;
}

/* Gives ownership of the returned packet to the caller. */
static inline struct pkt *pkt_queue_pop(struct pkt_queue *q)
{
	struct pkt *p = q->head;
	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	p->next = NULL;
	q->count--;
	q->bytes -= p->len;
	return p;
}

/* Frees every packet in the queue. */
void pkt_queue_purge(struct pkt_queue *q);

void pkt_pool_stats(struct pkt_pool_stats *out);
/* Cap on bytes held by all chunks (default 512 MiB). */
void pkt_pool_set_limit(uint64_t bytes);
/* Return cached free chunks to the allocator (for leak checkers). */
void pkt_pool_trim(void);

#endif
