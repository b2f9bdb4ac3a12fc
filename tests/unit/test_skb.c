/*
 * test_skb.c - host tests for net/skbuff.c: the pointer arithmetic of
 * reserve/put/push/pull/trim and its bounds, the three buffer sizes,
 * clones and their reference counts, unshare and copy, queues, the
 * counters, and that nothing leaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/netdevice.h>
#include <skiff/skbuff.h>

#include "../host/host.h"
#include "skb_fixture.h"

static void test_alloc_empty(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(100);
	assert_non_null(skb);
	assert_int_equal(skb->len, 0);
	assert_int_equal(skb_headroom(skb), 0);
	assert_true(skb_tailroom(skb) >= 100);
	assert_ptr_equal(skb->data, skb->head);
	assert_int_equal(skb->users, 1);
	assert_false(skb_cloned(skb));
	assert_int_equal(skb->mac_header, 0xffff);
	assert_int_equal(skb->network_header, 0xffff);
	kfree_skb(skb);
}

static void test_reserve_put_push_pull(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(256);
	skb_reserve(skb, 64);
	assert_int_equal(skb_headroom(skb), 64);
	assert_int_equal(skb->len, 0);

	u8 *p = skb_put(skb, 10);
	assert_ptr_equal(p, skb->data);
	memset(p, 0xaa, 10);
	assert_int_equal(skb->len, 10);
	assert_int_equal(skb->tail, 74);

	u8 *h = skb_push(skb, 14);
	assert_ptr_equal(h, skb->data);
	assert_int_equal(skb_headroom(skb), 50);
	assert_int_equal(skb->len, 24);

	u8 *after = skb_pull(skb, 14);
	assert_ptr_equal(after, skb->data);
	assert_int_equal(skb->len, 10);
	assert_int_equal(skb->data[0], 0xaa);

	/* Pulling more than there is changes nothing. */
	assert_null(skb_pull(skb, 11));
	assert_int_equal(skb->len, 10);
	assert_non_null(skb_pull(skb, 10));
	assert_int_equal(skb->len, 0);
	kfree_skb(skb);
}

static void test_trim(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(128);
	skb_reserve(skb, 16);
	skb_put(skb, 60);
	skb_trim(skb, 80); /* longer: no-op */
	assert_int_equal(skb->len, 60);
	skb_trim(skb, 60);
	assert_int_equal(skb->len, 60);
	skb_trim(skb, 42);
	assert_int_equal(skb->len, 42);
	assert_ptr_equal(skb_tail_pointer(skb), skb->data + 42);
	/* The tailroom grew by what was trimmed. */
	u32 room = skb_tailroom(skb);
	skb_put(skb, room);
	assert_int_equal(skb_tailroom(skb), 0);
	kfree_skb(skb);
}

static void test_put_past_end_panics(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(64);
	u32 room = skb_tailroom(skb);
	assert_true(HOST_EXPECT_PANIC(skb_put(skb, room + 1)));
	assert_true(host_log_contains("skb_put"));
	assert_int_equal(skb->len, 0); /* nothing moved */
	assert_false(HOST_EXPECT_PANIC(skb_put(skb, room)));
	kfree_skb(skb);
}

static void test_push_past_head_panics(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(64);
	skb_reserve(skb, 8);
	assert_true(HOST_EXPECT_PANIC(skb_push(skb, 9)));
	assert_int_equal(skb_headroom(skb), 8);
	assert_false(HOST_EXPECT_PANIC(skb_push(skb, 8)));
	assert_int_equal(skb_headroom(skb), 0);
	kfree_skb(skb);
}

static void test_reserve_past_end_panics(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(64);
	assert_true(HOST_EXPECT_PANIC(skb_reserve(skb, skb_tailroom(skb) + 1)));
	kfree_skb(skb);
}

static void test_netdev_alloc_headroom(void **state)
{
	(void)state;
	struct net_device dev = {.needed_headroom = 12};
	struct sk_buff *skb = netdev_alloc_skb(&dev, 2048);
	assert_non_null(skb);
	assert_ptr_equal(skb->dev, &dev);
	assert_int_equal(skb_headroom(skb), NET_SKB_PAD + 12);
	assert_true(skb_tailroom(skb) >= 2048);
	kfree_skb(skb);
}

/* A 64 KiB datagram and its headers come from whole pages, which go back
 * when it is freed. */
static void test_large_buffer_pages(void **state)
{
	(void)state;
	u64 pages = host_pages_in_use();
	struct sk_buff *skb = alloc_skb(65535 + MAX_HEADER);
	assert_non_null(skb);
	assert_true(host_pages_in_use() > pages);
	skb_reserve(skb, MAX_HEADER);
	memset(skb_put(skb, 65535), 0x5a, 65535);
	assert_int_equal(skb->len, 65535);
	consume_skb(skb);
	assert_int_equal(host_pages_in_use(), pages);
}

static void test_alloc_failure_counted(void **state)
{
	(void)state;
	struct skb_stats s0, s1;
	skb_get_stats(&s0);
	host_mm_fail_next(1);
	assert_null(alloc_skb(100000));
	host_mm_fail_next(0);
	skb_get_stats(&s1);
	assert_int_equal(s1.alloc_failures, s0.alloc_failures + 1);
	assert_int_equal(s1.live, s0.live);
}

static void test_absurd_size_fails(void **state)
{
	(void)state;
	assert_null(alloc_skb(0xffffffffu - 10));
	assert_null(alloc_skb(64u << 20));
}

static void test_clone_shares_buffer(void **state)
{
	(void)state;
	struct skb_stats s0, s1;
	skb_get_stats(&s0);
	struct sk_buff *skb = alloc_skb(200);
	skb_reserve(skb, 32);
	memcpy(skb_put(skb, 5), "hello", 5);
	skb->protocol = 0x0800;
	skb_reset_network_header(skb);

	struct sk_buff *c = skb_clone(skb);
	assert_non_null(c);
	assert_ptr_not_equal(c, skb);
	assert_ptr_equal(c->data, skb->data);
	assert_int_equal(c->len, 5);
	assert_int_equal(c->protocol, 0x0800);
	assert_int_equal(c->network_header, skb->network_header);
	assert_true(skb_cloned(skb));
	assert_true(skb_cloned(c));
	assert_int_equal(c->users, 1);

	/* Each sk_buff moves its own pointers. */
	skb_pull(c, 2);
	assert_int_equal(skb->len, 5);
	assert_memory_equal(c->data, "llo", 3);

	kfree_skb(skb); /* the clone keeps the buffer alive */
	assert_false(skb_cloned(c));
	assert_memory_equal(c->data, "llo", 3);
	consume_skb(c);
	skb_get_stats(&s1);
	assert_int_equal(s1.clones, s0.clones + 1);
	assert_int_equal(s1.live, s0.live);
}

static void test_skb_get_refcount(void **state)
{
	(void)state;
	int calls = 0;
	struct sk_buff *skb = alloc_skb(64);
	skb->sk = &calls;
	skb->destructor = NULL;
	assert_ptr_equal(skb_get(skb), skb);
	assert_int_equal(skb->users, 2);
	consume_skb(skb);
	assert_int_equal(skb->users, 1); /* still ours */
	consume_skb(skb);
}

static int destructor_calls;
static void count_destructor(struct sk_buff *skb)
{
	(void)skb;
	destructor_calls++;
}

static void test_destructor_once(void **state)
{
	(void)state;
	destructor_calls = 0;
	struct sk_buff *skb = alloc_skb(64);
	skb->destructor = count_destructor;
	struct sk_buff *c = skb_clone(skb);
	assert_null(c->destructor); /* clones belong to no socket */
	skb_get(skb);
	kfree_skb(skb);
	assert_int_equal(destructor_calls, 0);
	kfree_skb(skb);
	assert_int_equal(destructor_calls, 1);
	kfree_skb(c);
	assert_int_equal(destructor_calls, 1);
}

static void test_unshare(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(128);
	skb_reserve(skb, 40);
	memcpy(skb_put(skb, 4), "abcd", 4);
	skb_reset_mac_header(skb);
	u8 *orig = skb->data;

	assert_int_equal(skb_unshare(skb), 0); /* not cloned: no copy */
	assert_ptr_equal(skb->data, orig);

	struct sk_buff *c = skb_clone(skb);
	assert_int_equal(skb_unshare(c), 0);
	assert_ptr_not_equal(c->data, skb->data);
	assert_false(skb_cloned(c));
	assert_false(skb_cloned(skb));
	assert_int_equal(skb_headroom(c), 40);
	assert_int_equal(c->mac_header, skb->mac_header);
	c->data[0] = 'X'; /* private now */
	assert_memory_equal(skb->data, "abcd", 4);
	assert_memory_equal(c->data, "Xbcd", 4);
	kfree_skb(c);
	kfree_skb(skb);
}

static void test_unshare_nomem(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(10000); /* pages */
	struct sk_buff *c = skb_clone(skb);
	host_mm_fail_next(1);
	assert_int_equal(skb_unshare(c), -ENOMEM);
	host_mm_fail_next(0);
	assert_true(skb_cloned(c)); /* unchanged */
	kfree_skb(c);
	kfree_skb(skb);
}

static void test_copy(void **state)
{
	(void)state;
	struct sk_buff *skb = alloc_skb(300);
	skb_reserve(skb, 50);
	for (int i = 0; i < 100; i++)
		*skb_put(skb, 1) = (u8)i;
	skb_reset_network_header(skb);
	skb->cb[3] = 7;
	skb->pkt_type = PACKET_BROADCAST;

	struct sk_buff *c = skb_copy(skb);
	assert_non_null(c);
	assert_ptr_not_equal(c->head, skb->head);
	assert_int_equal(skb_headroom(c), 50);
	assert_int_equal(c->len, 100);
	assert_memory_equal(c->data, skb->data, 100);
	assert_int_equal(c->network_header, skb->network_header);
	assert_int_equal(c->cb[3], 7);
	assert_int_equal(c->pkt_type, PACKET_BROADCAST);
	assert_false(skb_cloned(skb));
	kfree_skb(skb);
	assert_int_equal(c->data[99], 99);
	kfree_skb(c);
}

static void test_queue_order_and_counts(void **state)
{
	(void)state;
	struct sk_buff_head q;
	struct sk_buff *s[4];
	skb_queue_head_init(&q);
	assert_null(skb_peek(&q));
	assert_null(skb_dequeue(&q));
	for (int i = 0; i < 4; i++) {
		s[i] = alloc_skb(64);
		skb_put(s[i], (u32)(10 * (i + 1)));
	}
	skb_queue_tail(&q, s[1]);
	skb_queue_tail(&q, s[2]);
	skb_queue_head(&q, s[0]);
	skb_queue_tail(&q, s[3]);
	assert_int_equal(skb_queue_len(&q), 4);
	assert_int_equal(q.bytes, 100);
	assert_ptr_equal(skb_peek(&q), s[0]);

	skb_unlink(s[2], &q);
	assert_int_equal(skb_queue_len(&q), 3);
	assert_int_equal(q.bytes, 70);
	kfree_skb(s[2]);

	assert_ptr_equal(skb_dequeue(&q), s[0]);
	assert_ptr_equal(skb_dequeue(&q), s[1]);
	assert_ptr_equal(skb_dequeue(&q), s[3]);
	assert_null(skb_dequeue(&q));
	assert_int_equal(q.bytes, 0);
	kfree_skb(s[0]);
	kfree_skb(s[1]);
	kfree_skb(s[3]);
}

static void test_purge_counts_drops(void **state)
{
	(void)state;
	struct sk_buff_head q;
	struct skb_stats s0, s1;
	skb_queue_head_init(&q);
	skb_get_stats(&s0);
	for (int i = 0; i < 5; i++)
		skb_queue_tail(&q, alloc_skb(64));
	skb_queue_purge(&q);
	assert_int_equal(skb_queue_len(&q), 0);
	skb_get_stats(&s1);
	assert_int_equal(s1.dropped, s0.dropped + 5);
	assert_int_equal(s1.freed, s0.freed + 5);

	/* consume_skb is not a drop. */
	consume_skb(alloc_skb(64));
	skb_get_stats(&s0);
	assert_int_equal(s0.dropped, s1.dropped);
}

static void test_free_while_queued_panics(void **state)
{
	(void)state;
	struct sk_buff_head q;
	skb_queue_head_init(&q);
	struct sk_buff *skb = alloc_skb(64);
	skb_queue_tail(&q, skb);
	assert_true(HOST_EXPECT_PANIC(kfree_skb(skb)));
	/* The panic left it with no users; put it right and free it. */
	skb_unlink(skb, &q);
	skb->users = 1;
	kfree_skb(skb);
}

static void test_many_sizes_no_leak(void **state)
{
	(void)state;
	u64 pages = host_pages_in_use();
	for (u32 size = 0; size < 70000; size = size * 3 + 1) {
		struct sk_buff *skb = alloc_skb(size);
		assert_non_null(skb);
		assert_true(skb_tailroom(skb) >= size);
		skb_put(skb, size);
		memset(skb->data, 0x11, size);
		struct sk_buff *c = skb_clone(skb);
		assert_int_equal(skb_unshare(c), 0);
		kfree_skb(skb);
		kfree_skb(c);
	}
	/* Slab caches may keep one empty slab each: allow that much. */
	assert_true(host_pages_in_use() <= pages + 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, skb_setup, skb_teardown)
	    T(test_alloc_empty),
	    T(test_reserve_put_push_pull),
	    T(test_trim),
	    T(test_put_past_end_panics),
	    T(test_push_past_head_panics),
	    T(test_reserve_past_end_panics),
	    T(test_netdev_alloc_headroom),
	    T(test_large_buffer_pages),
	    T(test_alloc_failure_counted),
	    T(test_absurd_size_fails),
	    T(test_clone_shares_buffer),
	    T(test_skb_get_refcount),
	    T(test_destructor_once),
	    T(test_unshare),
	    T(test_unshare_nomem),
	    T(test_copy),
	    T(test_queue_order_and_counts),
	    T(test_purge_counts_drops),
	    T(test_free_while_queued_panics),
	    T(test_many_sizes_no_leak),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
