/*
 * skb_fixture.h - the cmocka setup/teardown pair of the sk_buff tests
 * (test_skb.c, test_gso.c): every test must leave as many sk_buffs alive
 * as it found, and no lock held. Include after <cmocka.h>, skbuff.h and
 * host.h; use as cmocka_unit_test_setup_teardown(fn, skb_setup,
 * skb_teardown).
 */
#ifndef SKIFF_TEST_SKB_FIXTURE_H
#define SKIFF_TEST_SKB_FIXTURE_H

static struct skb_stats skb_before;

static int skb_setup(void **state)
{
	(void)state;
	skb_init();
	skb_get_stats(&skb_before);
	return 0;
}

static int skb_teardown(void **state)
{
	(void)state;
	struct skb_stats now;
	skb_get_stats(&now);
	assert_int_equal(now.live, skb_before.live);
	assert_int_equal(host_locks_held(), 0);
	return 0;
}

#endif
