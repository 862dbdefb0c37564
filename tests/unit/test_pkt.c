/* pkt: packet buffers, copy-on-write, queues and pool statistics (pkt.c). */
#include "unit.h"

static struct pkt_pool_stats pool(void)
{
	struct pkt_pool_stats s;
	pkt_pool_stats(&s);
	return s;
}

START_TEST(alloc_reserves_headroom_and_push_pull_move_the_front)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, 100);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->len, 100);
	ck_assert_uint_eq(pkt_headroom(p), PKT_HEADROOM);
	b_pattern(pkt_data(p), 100, 1);
	uint8_t *old = pkt_data(p);

	uint8_t *h = pkt_push(p, 14);
	ck_assert_ptr_eq(h, old - 14); /* no copy: it fit in the headroom */
	ck_assert_uint_eq(p->len, 114);
	ck_assert_uint_eq(pkt_headroom(p), PKT_HEADROOM - 14);
	memset(h, 0xee, 14);

	ck_assert_ptr_eq(pkt_pull(p, 14), old);
	ck_assert_uint_eq(p->len, 100);
	uint8_t want[100];
	b_pattern(want, 100, 1);
	ck_assert_mem_eq(pkt_data(p), want, 100);

	pkt_trim(p, 10);
	ck_assert_uint_eq(p->len, 10);
	pkt_unref(p);
}
END_TEST

START_TEST(push_beyond_headroom_moves_data_and_metadata)
{
	struct pkt *p = pkt_alloc(4, 50);
	b_pattern(pkt_data(p), 50, 2);
	p->l3_off = pkt_pos(p);
	p->l4_off = pkt_pos(p) + 20;
	uint8_t *h = pkt_push(p, 40);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(p->len, 90);
	uint8_t want[50];
	b_pattern(want, 50, 2);
	ck_assert_mem_eq(pkt_data(p) + 40, want, 50);
	/* Offsets still name the same bytes. */
	ck_assert_ptr_eq(pkt_at(p, p->l3_off), pkt_data(p) + 40);
	ck_assert_ptr_eq(pkt_at(p, p->l4_off), pkt_data(p) + 60);
	ck_assert_uint_ge(pkt_headroom(p), PKT_HEADROOM);
	pkt_unref(p);
}
END_TEST

START_TEST(put_appends_at_the_tail_and_grows_when_full)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, 10);
	memset(pkt_data(p), 1, 10);
	uint32_t room = pkt_tailroom(p);
	uint8_t *t = pkt_put(p, room + 1000); /* does not fit: reseat */
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_eq(t, pkt_data(p) + 10);
	ck_assert_uint_eq(p->len, 10 + room + 1000);
	ck_assert_uint_eq(pkt_data(p)[9], 1);
	memset(t, 2, room + 1000);
	pkt_unref(p);
}
END_TEST

START_TEST(clone_shares_bytes_until_a_write_copies_them)
{
	struct pkt *a = pkt_from_bytes("hello world", 11);
	a->l3_off = pkt_pos(a) + 2;
	struct pkt *b = pkt_clone(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_eq(a->chunk, b->chunk);
	ck_assert_ptr_eq(pkt_data(a), pkt_data(b));
	ck_assert_uint_eq(b->l3_off, a->l3_off);
	struct pkt_pool_stats s = pool();
	ck_assert_uint_eq(s.in_use, 1);
	ck_assert_uint_eq(s.views_in_use, 2);

	/* Writing through b copies; a still sees the old bytes. */
	ck_assert_int_eq(pkt_make_writable(b), 0);
	ck_assert_ptr_ne(a->chunk, b->chunk);
	pkt_data(b)[0] = 'J';
	ck_assert_mem_eq(pkt_data(a), "hello world", 11);
	ck_assert_mem_eq(pkt_data(b), "Jello world", 11);
	ck_assert_uint_eq(pool().in_use, 2);
	/* Now private: another make_writable does not copy. */
	struct pkt_chunk *c = b->chunk;
	ck_assert_int_eq(pkt_make_writable(b), 0);
	ck_assert_ptr_eq(b->chunk, c);

	/* push on a shared chunk copies too, the other view is untouched. */
	struct pkt *d = pkt_clone(a);
	uint8_t *h = pkt_push(d, 3);
	ck_assert_ptr_nonnull(h);
	memcpy(h, "Oh ", 3);
	ck_assert_mem_eq(pkt_data(d), "Oh hello world", 14);
	ck_assert_mem_eq(pkt_data(a), "hello world", 11);
	ck_assert_uint_eq(a->len, 11);
	pkt_unref(a);
	pkt_unref(b);
	pkt_unref(d);
}
END_TEST

START_TEST(ref_keeps_the_same_view_alive_until_the_last_unref)
{
	struct pkt *p = pkt_from_bytes("x", 1);
	pkt_ref(p);
	pkt_unref(p);
	ck_assert_uint_eq(pool().views_in_use, 1);
	ck_assert_uint_eq(pkt_data(p)[0], 'x');
	pkt_unref(p);
	ck_assert_uint_eq(pool().views_in_use, 0);
	ck_assert_uint_eq(pool().in_use, 0);
	pkt_unref(NULL); /* allowed, like free(NULL) */
}
END_TEST

START_TEST(copy_is_deep_and_moves_metadata_offsets)
{
	struct pkt *a = pkt_alloc(30, 40);
	b_pattern(pkt_data(a), 40, 3);
	a->l3_off = pkt_pos(a);
	a->l4_off = pkt_pos(a) + 20;
	a->flags = PKT_F_BCAST;
	a->ip_proto = 17;
	struct pkt *b = pkt_copy(a, 100);
	ck_assert_ptr_ne(a->chunk, b->chunk);
	ck_assert_uint_eq(pkt_headroom(b), 100);
	ck_assert_mem_eq(pkt_data(a), pkt_data(b), 40);
	ck_assert_ptr_eq(pkt_at(b, b->l4_off), pkt_data(b) + 20);
	ck_assert_ptr_eq(pkt_at(b, b->l3_off), pkt_data(b));
	ck_assert_uint_eq(b->flags, PKT_F_BCAST);
	ck_assert_uint_eq(b->ip_proto, 17);
	pkt_data(b)[0] ^= 0xff;
	ck_assert_uint_ne(pkt_data(a)[0], pkt_data(b)[0]);
	pkt_unref(a);
	pkt_unref(b);
}
END_TEST

START_TEST(queue_is_fifo_and_counts_packets_and_bytes)
{
	struct pkt_queue q;
	pkt_queue_init(&q);
	ck_assert_ptr_null(pkt_queue_pop(&q));
	for (int i = 0; i < 5; i++) {
		struct pkt *p = pkt_alloc(0, (uint32_t)(10 * (i + 1)));
		pkt_data(p)[0] = (uint8_t)i;
		pkt_queue_push(&q, p);
	}
	ck_assert_uint_eq(q.count, 5);
	ck_assert_uint_eq(q.bytes, 150);
	struct pkt *p = pkt_queue_pop(&q);
	ck_assert_uint_eq(pkt_data(p)[0], 0);
	ck_assert_ptr_null(p->next);
	pkt_unref(p);
	ck_assert_uint_eq(q.count, 4);
	ck_assert_uint_eq(q.bytes, 140);
	pkt_queue_purge(&q);
	ck_assert_uint_eq(q.count, 0);
	ck_assert_ptr_null(q.head);
	ck_assert_ptr_null(q.tail);
}
END_TEST

START_TEST(pool_stats_count_use_and_return_to_zero)
{
	struct pkt_pool_stats s0 = pool();
	struct pkt *small = pkt_alloc(PKT_HEADROOM, 60);
	struct pkt *big = pkt_alloc(PKT_HEADROOM, 9000);
	struct pkt *huge = pkt_alloc(PKT_HEADROOM, 100000); /* above every size class */
	ck_assert_ptr_nonnull(huge);
	memset(pkt_data(huge), 7, 100000);
	struct pkt_pool_stats s = pool();
	ck_assert_uint_eq(s.allocs, s0.allocs + 3);
	ck_assert_uint_eq(s.in_use, 3);
	ck_assert_uint_eq(s.views_in_use, 3);
	ck_assert_uint_ge(s.bytes_in_use, 60 + 9000 + 100000 + 3 * PKT_HEADROOM);
	ck_assert_uint_ge(s.high_bytes, s.bytes_in_use);
	pkt_unref(small);
	pkt_unref(big);
	pkt_unref(huge);
	s = pool();
	ck_assert_uint_eq(s.in_use, 0);
	ck_assert_uint_eq(s.views_in_use, 0);
	ck_assert_uint_eq(s.bytes_in_use, 0);
	/* Cached chunks are reused, and trimming the caches loses nothing. */
	struct pkt *again = pkt_alloc(PKT_HEADROOM, 60);
	pkt_unref(again);
	pkt_pool_trim();
	ck_assert_uint_eq(pool().in_use, 0);
}
END_TEST

START_TEST(alloc_past_the_pool_limit_fails_and_is_counted)
{
	pkt_pool_set_limit(64 * 1024);
	struct pkt *held[64];
	int n = 0;
	for (; n < 64; n++) {
		held[n] = pkt_alloc(PKT_HEADROOM, 2000);
		if (!held[n])
			break;
	}
	ck_assert_int_gt(n, 10);
	ck_assert_int_lt(n, 64);
	uint64_t fails = pool().fails;
	ck_assert_ptr_null(pkt_alloc(PKT_HEADROOM, 2000));
	ck_assert_uint_eq(pool().fails, fails + 1);
	/* A clone needs no new chunk; copy-on-write does and fails cleanly. */
	struct pkt *c = pkt_clone(held[0]);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(pkt_make_writable(c), -ENOMEM);
	ck_assert_ptr_eq(c->chunk, held[0]->chunk);
	pkt_unref(c);
	for (int i = 0; i < n; i++)
		pkt_unref(held[i]);
	pkt_pool_set_limit(512ULL << 20);
	struct pkt *p = pkt_alloc(PKT_HEADROOM, 2000);
	ck_assert_ptr_nonnull(p);
	pkt_unref(p);
}
END_TEST

Suite *pkt_suite(void)
{
	Suite *s = unit_suite("pkt");
	ADD_PLAIN(s, alloc_reserves_headroom_and_push_pull_move_the_front);
	ADD_PLAIN(s, push_beyond_headroom_moves_data_and_metadata);
	ADD_PLAIN(s, put_appends_at_the_tail_and_grows_when_full);
	ADD_PLAIN(s, clone_shares_bytes_until_a_write_copies_them);
	ADD_PLAIN(s, ref_keeps_the_same_view_alive_until_the_last_unref);
	ADD_PLAIN(s, copy_is_deep_and_moves_metadata_offsets);
	ADD_PLAIN(s, queue_is_fifo_and_counts_packets_and_bytes);
	ADD_PLAIN(s, pool_stats_count_use_and_return_to_zero);
	ADD_PLAIN(s, alloc_past_the_pool_limit_fails_and_is_counted);
	return s;
}
