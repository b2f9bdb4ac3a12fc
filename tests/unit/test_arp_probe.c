/*
 * test_arp_probe.c - host tests for arp_probe (net/arp.c, RFC 5227 2.1):
 * the probes on the wire (sender address 0, broadcast, three of them
 * 1-2 s apart after 0-1 s), the verdict after ANNOUNCE_WAIT, and the
 * conflicts of 2.1.1: a packet from the candidate address, another
 * host's probe for it; our own probes are not conflicts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/arp_wire.h>
#include <skiff/net/ether.h>
#include <skiff/net/ether_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/neighbour.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

#define CAND IPV4(198, 18, 0, 50)

static const u8 our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const u8 other_mac[6] = {0x52, 0x54, 0x00, 0x65, 0x43, 0x21};
static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const u8 zero_mac[6];
static struct net_device *dev;

/* No IPv4 layer here: the device has no address yet (DHCP's case). */
bool inet_addr_is_local(const struct net_device *d, u32 addr)
{
	(void)d;
	(void)addr;
	return false;
}

u32 inet_dev_addr(const struct net_device *d)
{
	(void)d;
	return 0;
}

bool inet_addr_is_broadcast(const struct net_device *d, u32 addr)
{
	(void)d;
	return addr == INADDR_BROADCAST;
}

static struct {
	int calls;
	bool conflict;
} verdict;

static void on_done(bool conflict, void *arg)
{
	assert_ptr_equal(arg, &verdict);
	verdict.calls++;
	verdict.conflict = conflict;
}

static void rx_arp(u16 op, const u8 *sha, u32 spa, u32 tpa)
{
	u8 buf[64];
	struct eth_hdr_info e = {.type = ETH_P_ARP};
	struct arp_info a = {.op = op, .spa = spa, .tpa = tpa};
	memcpy(e.dst, bcast, 6);
	memcpy(e.src, sha, 6);
	memcpy(a.sha, sha, 6);
	eth_hdr_emit(&e, buf);
	arp_emit(&a, buf + ETH_HLEN);
	host_fakedev_rx(dev, buf, ETH_HLEN + ARP_PKT_LEN);
}

/* Pop frames until none; count the probes for CAND, checking each. */
static int pop_probes(void)
{
	u8 raw[128];
	int n = 0, len;
	while ((len = host_fakedev_pop_tx(dev, raw, sizeof(raw))) >= 0) {
		struct eth_hdr_info e;
		struct arp_info a;
		assert_int_equal(eth_hdr_parse(raw, (size_t)len, &e), 0);
		assert_int_equal(e.type, ETH_P_ARP);
		assert_memory_equal(e.dst, bcast, 6);
		assert_int_equal(
		    arp_parse(raw + ETH_HLEN, (size_t)len - ETH_HLEN, &a),
		    ARP_PARSE_OK);
		assert_int_equal(a.op, ARPOP_REQUEST);
		assert_int_equal(a.spa, 0); /* RFC 5227 2.1.1 */
		assert_memory_equal(a.sha, our_mac, 6);
		assert_memory_equal(a.tha, zero_mac, 6);
		assert_int_equal(a.tpa, CAND);
		n++;
	}
	return n;
}

static int group_setup(void **state)
{
	(void)state;
	arp_init();
	dev = host_fakedev_create("eth%d", our_mac);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	host_clock_advance_ms(10000); /* earlier probes finish */
	host_fakedev_tx_clear(dev);
	memset(&verdict, 0, sizeof(verdict));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(host_locks_held(), 0);
	return 0;
}

static void test_free_address(void **state)
{
	(void)state;
	assert_int_equal(arp_probe(dev, CAND, on_done, &verdict), 0);
	host_clock_advance_ms(1001); /* PROBE_WAIT at most */
	assert_int_equal(pop_probes(), 1);
	host_clock_advance_ms(2001); /* PROBE_MAX */
	assert_int_equal(pop_probes(), 1);
	host_clock_advance_ms(2001);
	assert_int_equal(pop_probes(), 1);
	assert_int_equal(verdict.calls, 0); /* ANNOUNCE_WAIT still */
	host_clock_advance_ms(2001);
	assert_int_equal(verdict.calls, 1);
	assert_false(verdict.conflict);
	host_clock_advance_ms(10000);
	assert_int_equal(pop_probes(), 0);
	assert_int_equal(verdict.calls, 1);
}

static void test_conflict_from_reply(void **state)
{
	(void)state;
	assert_int_equal(arp_probe(dev, CAND, on_done, &verdict), 0);
	host_clock_advance_ms(1001);
	assert_int_equal(pop_probes(), 1);
	/* The owner answers: "CAND is at other_mac". */
	rx_arp(ARPOP_REPLY, other_mac, CAND, 0);
	host_clock_advance_ms(2001);
	assert_int_equal(verdict.calls, 1);
	assert_true(verdict.conflict);
	assert_int_equal(pop_probes(), 0); /* no more probes */
}

static void test_conflict_from_other_probe(void **state)
{
	(void)state;
	assert_int_equal(arp_probe(dev, CAND, on_done, &verdict), 0);
	/* Another host probing for the same address. */
	rx_arp(ARPOP_REQUEST, other_mac, 0, CAND);
	host_clock_advance_ms(1001);
	assert_int_equal(verdict.calls, 1);
	assert_true(verdict.conflict);
	assert_int_equal(pop_probes(), 0);
}

static void test_unrelated_traffic_no_conflict(void **state)
{
	(void)state;
	assert_int_equal(arp_probe(dev, CAND, on_done, &verdict), 0);
	rx_arp(ARPOP_REQUEST, other_mac, IPV4(198, 18, 0, 1), CAND + 1);
	rx_arp(ARPOP_REQUEST, other_mac, 0, CAND + 1);
	rx_arp(ARPOP_REQUEST, our_mac, 0, CAND); /* our own echo */
	host_clock_advance_ms(8000);
	assert_int_equal(pop_probes(), 3);
	assert_int_equal(verdict.calls, 1);
	assert_false(verdict.conflict);
}

static void test_slots_bounded(void **state)
{
	(void)state;
	int ok = 0;
	for (int i = 0; i < 8; i++)
		if (arp_probe(dev, CAND + (u32)i, on_done, &verdict) == 0)
			ok++;
	assert_int_equal(ok, 4);
	assert_int_equal(arp_probe(dev, CAND, on_done, &verdict), -EBUSY);
	host_clock_advance_ms(8000);
	assert_int_equal(verdict.calls, 4);
	host_fakedev_tx_clear(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_free_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conflict_from_reply, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_conflict_from_other_probe,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unrelated_traffic_no_conflict,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slots_bounded, setup,
					    teardown),
	};

	return cmocka_run_group_tests_name("arp_probe", tests, group_setup,
					   NULL);
}
