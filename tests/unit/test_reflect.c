/*
 * test_reflect.c - the L2 reflector of app=reflect (net/reflect.c) on the
 * host: the address swap byte for byte with the payload untouched, a group
 * destination answered from the device's address, runts and group sources
 * dropped and counted, the hook installed only once the first NIC has its
 * address, and the `reflect` console command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/inet.h>
#include <skiff/net/net.h>
#include <skiff/net/reflect.h>
#include <skiff/netdevice.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

static const u8 dev_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 peer_mac[6] = {0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static struct net_device *eth0;

static int setup(void **state)
{
	(void)state;
	net_init();
	eth0 = host_fakedev_create("eth%d", dev_mac);
	return eth0 ? 0 : -1;
}

/* A frame dst, src, EtherType 0x88b5, then len - 14 bytes of pattern. */
static struct sk_buff *frame(const u8 dst[6], const u8 src[6], u32 len)
{
	struct sk_buff *skb = alloc_skb(len);
	u8 *p = skb_put(skb, len);
	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(i * 13 + 7);
	if (len >= 14) {
		memcpy(p, dst, 6);
		memcpy(p + 6, src, 6);
		p[12] = 0x88;
		p[13] = 0xb5;
	} else {
		memcpy(p, dst, len < 6 ? len : 6);
	}
	skb->dev = eth0;
	return skb;
}

static void check_payload(const struct sk_buff *skb, u32 len)
{
	assert_int_equal(skb->len, len);
	assert_int_equal(skb->data[12], 0x88);
	assert_int_equal(skb->data[13], 0xb5);
	for (u32 i = 14; i < len; i++)
		assert_int_equal(skb->data[i], (u8)(i * 13 + 7));
}

static void test_unicast_swapped(void **state)
{
	(void)state;
	struct reflect_stats a, b;
	reflect_get_stats(&a);
	for (u32 len = 14; len <= 1514; len += 100) {
		struct sk_buff *skb = reflect_rx(frame(dev_mac, peer_mac, len));
		assert_non_null(skb);
		assert_memory_equal(skb->data, peer_mac, 6);
		assert_memory_equal(skb->data + 6, dev_mac, 6);
		check_payload(skb, len);
		kfree_skb(skb);
	}
	reflect_get_stats(&b);
	assert_int_equal(b.reflected - a.reflected, 16);
	assert_int_equal(b.group_dest, a.group_dest);
}

/* Broadcast and multicast destinations: answered from eth0's address. */
static void test_group_destination(void **state)
{
	(void)state;
	static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const u8 mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	struct reflect_stats a, b;
	reflect_get_stats(&a);
	for (int i = 0; i < 2; i++) {
		struct sk_buff *skb =
		    reflect_rx(frame(i ? mcast : bcast, peer_mac, 60));
		assert_non_null(skb);
		assert_memory_equal(skb->data, peer_mac, 6);
		assert_memory_equal(skb->data + 6, dev_mac, 6);
		check_payload(skb, 60);
		kfree_skb(skb);
	}
	reflect_get_stats(&b);
	assert_int_equal(b.group_dest - a.group_dest, 2);
	assert_int_equal(b.reflected - a.reflected, 2);
}

static void test_dropped(void **state)
{
	(void)state;
	static const u8 group_src[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
	struct reflect_stats a, b;
	reflect_get_stats(&a);
	assert_null(reflect_rx(frame(dev_mac, group_src, 60)));
	assert_null(reflect_rx(frame(dev_mac, peer_mac, 13)));
	assert_null(reflect_rx(frame(dev_mac, peer_mac, 0)));
	reflect_get_stats(&b);
	assert_int_equal(b.bad_source - a.bad_source, 1);
	assert_int_equal(b.runts - a.runts, 2);
	assert_int_equal(b.reflected, a.reflected);
	assert_int_equal(host_locks_held(), 0);
}

/* Armed at once, on only when the first NIC has an address. */
static void test_start_waits_for_address(void **state)
{
	(void)state;
	assert_null(netdev_rx_reflect);
	assert_int_equal(host_shell_run("reflect"), 0);
	assert_non_null(strstr(host_shell_output(), "off (app=http)"));
	reflect_start();
	assert_true(host_log_contains("reflect: L2 reflector (macswap) armed"));
	host_clock_advance_ms(500);
	assert_null(netdev_rx_reflect);
	host_shell_reset();
	assert_int_equal(host_shell_run("reflect"), 0);
	assert_non_null(strstr(host_shell_output(), "armed (waiting"));

	assert_int_equal(inet_addr_add(eth0, IPV4(198, 18, 0, 2), 24), 0);
	host_clock_advance_ms(200);
	assert_ptr_equal(netdev_rx_reflect, reflect_rx);
	assert_true(host_log_contains("reflect: on"));
	host_shell_reset();
	assert_int_equal(host_shell_run("reflect"), 0);
	assert_non_null(strstr(host_shell_output(), "reflect: on"));
	assert_non_null(strstr(host_shell_output(), "reflected 18"));
	assert_non_null(strstr(host_shell_output(), "bad_source 1"));
	assert_int_not_equal(host_shell_run("reflect extra"), 0);
	netdev_rx_reflect = NULL; /* the rest of the stack is unaffected */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unicast_swapped),
	    cmocka_unit_test(test_group_destination),
	    cmocka_unit_test(test_dropped),
	    cmocka_unit_test(test_start_waits_for_address),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
