/*
 * test_netdev.c - the device layer on the host: registration and naming,
 * the receive demultiplexer and its drop counters, NAPI polling with its
 * weight, the pfifo_fast qdisc (bands, limit, NETDEV_TX_BUSY and wake-up,
 * the per-run quota, one doorbell per batch), carrier and MTU changes, and
 * the `ip link` / `ethtool` output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/ether.h>
#include <skiff/net/ether_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/netcore.h>
#include <skiff/kernel.h>
#include <skiff/config.h>
#include <skiff/netdevice.h>
#include <skiff/time.h>
#include <skiff/shell.h>
#include <skiff/softirq.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

#define ETH_P_TEST 0x88b5 /* IEEE 802 local experimental EtherType */

static const u8 mac0[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const u8 mac1[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const u8 peer[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct net_device *eth0, *eth1;

/* net/arp.c is linked in (NET_CORE_SRCS) and asks about addresses. */
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

/* ---- a protocol handler that records what it got ---------------------- */

static int handled;
static u8 last_pkt_type;
static u32 last_len;
static u8 last_first_byte;
static bool last_network_header_ok;

static int test_rcv(struct sk_buff *skb, struct net_device *dev)
{
	(void)dev;
	handled++;
	last_pkt_type = skb->pkt_type;
	last_len = skb->len;
	last_first_byte = skb->len ? skb->data[0] : 0;
	last_network_header_ok = skb_network_header(skb) == skb->data &&
				 skb_mac_header(skb) == skb->data - ETH_HLEN;
	consume_skb(skb);
	return 0;
}

static struct packet_type test_pt = {.type = ETH_P_TEST, .func = test_rcv};

static int taps_in, taps_out;
static void tap(const struct sk_buff *skb, bool outgoing)
{
	(void)skb;
	if (outgoing)
		taps_out++;
	else
		taps_in++;
}

/* A frame of len bytes (>= 15) to dst with type; payload byte 0 = mark,
 * byte 1 = the IPv4 TOS when type is IPv4. */
static size_t frame(u8 *buf, const u8 *dst, u16 type, size_t len, u8 mark,
		    u8 tos)
{
	struct eth_hdr_info h = {.type = type};
	memcpy(h.dst, dst, 6);
	memcpy(h.src, peer, 6);
	memset(buf, 0, len);
	eth_hdr_emit(&h, buf);
	buf[ETH_HLEN] = mark;
	buf[ETH_HLEN + 1] = tos;
	return len;
}

static int xmit(struct net_device *dev, u8 mark, u8 tos)
{
	struct sk_buff *skb = alloc_skb(128);
	skb_reserve(skb, 32);
	frame(skb_put(skb, 60), peer, ETH_P_IP, 60, mark, tos);
	skb->dev = dev;
	return dev_queue_xmit(skb);
}

static u8 pop_mark(struct net_device *dev)
{
	u8 buf[128];
	assert_int_equal(host_fakedev_pop_tx(dev, buf, sizeof(buf)), 60);
	return buf[ETH_HLEN];
}

static int group_setup(void **state)
{
	(void)state;
	host_log_reset();
	eth0 = host_fakedev_create("eth%d", mac0);
	eth1 = host_fakedev_create("eth%d", mac1);
	dev_add_pack(&test_pt);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	host_fakedev_set_tx_room(eth0, -1);
	netif_wake_queue(eth0);
	host_run_softirqs();
	host_fakedev_tx_clear(eth0);
	host_fakedev_tx_clear(eth1);
	handled = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(host_locks_held(), 0);
	return 0;
}

/* ---- registry ----------------------------------------------------------- */

static void test_registry(void **state)
{
	(void)state;
	assert_string_equal(eth0->name, "eth0");
	assert_string_equal(eth1->name, "eth1");
	assert_true(eth1->ifindex > eth0->ifindex);
	assert_ptr_equal(dev_get_by_name("eth1"), eth1);
	assert_null(dev_get_by_name("eth2"));
	assert_ptr_equal(dev_get_by_index(eth0->ifindex), eth0);
	assert_null(dev_get_by_index(999));
	assert_ptr_equal(dev_first(), eth0);
	assert_int_equal(eth0->flags & (IFF_UP | IFF_RUNNING),
			 IFF_UP | IFF_RUNNING);
	assert_int_equal(eth0->mtu, 1500);
	assert_int_equal(eth0->tx_queue_len, 1000);
	assert_memory_equal(eth0->broadcast, "\xff\xff\xff\xff\xff\xff", 6);
}

static int registered_twice_count;
static void count_dev(struct net_device *dev, void *ctx)
{
	(void)dev;
	(*(int *)ctx)++;
}

static void test_for_each_and_fixed_name(void **state)
{
	(void)state;
	int n = 0;
	for_each_netdev(count_dev, &n);
	assert_int_equal(n, 2);
	struct net_device *t = host_fakedev_create("test0", NULL);
	assert_string_equal(t->name, "test0");
	n = 0;
	for_each_netdev(count_dev, &n);
	assert_int_equal(n, 3);
	/* The same fixed name twice is refused. */
	struct net_device *dup = alloc_netdev("test0", 0);
	dup->ops = eth0->ops;
	dup->driver = "fakedev";
	assert_int_equal(register_netdev(dup), -EEXIST);
	free_netdev(dup);
	(void)registered_twice_count;
}

/* ---- receive ----------------------------------------------------------- */

static void test_rx_dispatch_and_counters(void **state)
{
	(void)state;
	u8 buf[128];
	struct net_device_stats s0 = eth0->stats;
	dev_set_tap(tap);
	taps_in = taps_out = 0;

	host_fakedev_rx(eth0, buf, frame(buf, mac0, ETH_P_TEST, 64, 0x42, 0));
	assert_int_equal(handled, 1);
	assert_int_equal(last_pkt_type, PACKET_HOST);
	assert_int_equal(last_len, 64 - ETH_HLEN);
	assert_int_equal(last_first_byte, 0x42);
	assert_true(last_network_header_ok);

	static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	host_fakedev_rx(eth0, buf, frame(buf, bcast, ETH_P_TEST, 60, 1, 0));
	assert_int_equal(last_pkt_type, PACKET_BROADCAST);
	static const u8 mc[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	host_fakedev_rx(eth0, buf, frame(buf, mc, ETH_P_TEST, 60, 1, 0));
	assert_int_equal(last_pkt_type, PACKET_MULTICAST);
	assert_int_equal(handled, 3);

	/* Drops: another host's frame, no handler, VLAN, runt. */
	host_fakedev_rx(eth0, buf, frame(buf, mac1, ETH_P_TEST, 60, 1, 0));
	host_fakedev_rx(eth0, buf, frame(buf, mac0, 0x86dd, 60, 1, 0));
	host_fakedev_rx(eth0, buf, frame(buf, mac0, ETH_P_8021Q, 60, 1, 0));
	host_fakedev_rx(eth0, buf, 13);
	assert_int_equal(handled, 3);

	const struct net_device_stats *s = &eth0->stats;
	assert_int_equal(s->rx_packets - s0.rx_packets, 7);
	assert_int_equal(s->rx_bytes - s0.rx_bytes, 64 + 5 * 60 + 13);
	assert_int_equal(s->multicast - s0.multicast, 1);
	assert_int_equal(s->rx_otherhost - s0.rx_otherhost, 1);
	assert_int_equal(s->rx_nohandler - s0.rx_nohandler, 2);
	assert_int_equal(s->rx_length_errors - s0.rx_length_errors, 1);
	assert_int_equal(netdev_core_stats(eth0)->rx_vlan, 1);
	assert_int_equal(taps_in, 7);

	xmit(eth0, 1, 0);
	assert_int_equal(taps_out, 1);
	dev_set_tap(NULL);
}

static void test_rx_while_down_dropped(void **state)
{
	(void)state;
	u8 buf[64];
	u64 dropped = eth1->stats.rx_dropped;
	dev_close(eth1);
	assert_false(eth1->flags & IFF_UP);
	host_fakedev_rx(eth1, buf, frame(buf, mac1, ETH_P_TEST, 60, 1, 0));
	assert_int_equal(handled, 0);
	assert_int_equal(eth1->stats.rx_dropped, dropped + 1);
	assert_int_equal(xmit(eth1, 1, 0), -ENETDOWN);
	assert_int_equal(dev_open(eth1), 0);
	host_fakedev_rx(eth1, buf, frame(buf, mac1, ETH_P_TEST, 60, 1, 0));
	assert_int_equal(handled, 1);
}

static void test_napi_polls_by_weight(void **state)
{
	(void)state;
	u8 buf[64];
	u64 polls = host_fakedev_polls(eth0);
	frame(buf, mac0, ETH_P_TEST, 60, 7, 0);
	for (int i = 0; i < 200; i++)
		host_fakedev_rx_napi(eth0, buf, 60);
	assert_true(host_softirq_is_pending(NET_RX_SOFTIRQ));
	assert_int_equal(handled, 0); /* nothing until NET_RX runs */
	host_run_softirqs();
	assert_int_equal(handled, 200);
	assert_int_equal(host_fakedev_rx_ring_len(eth0), 0);
	/* 64 + 64 + 64 + 8: the short poll completes NAPI. */
	assert_int_equal(host_fakedev_polls(eth0) - polls, 4);
	assert_false(host_softirq_is_pending(NET_RX_SOFTIRQ));
	/* A new frame schedules it again. */
	host_fakedev_rx_napi(eth0, buf, 60);
	host_run_softirqs();
	assert_int_equal(handled, 201);
}

/* ---- busy polling (net.busy_poll_us) ------------------------------------- */

static void test_busy_poll_window(void **state)
{
	(void)state;
	/* Off: never parked, whatever the poll did. */
	assert_int_equal(napi_busy_deadline(1000, 0, 5, 0), 0);
	assert_int_equal(napi_busy_deadline(1000, 9000, 0, 0), 0);
	/* Frames: the window starts again from now. */
	assert_int_equal(napi_busy_deadline(1000, 0, 1, 50), 51000);
	assert_int_equal(napi_busy_deadline(40000, 51000, 3, 50), 90000);
	/* Nothing: parked until the old deadline, then complete. */
	assert_int_equal(napi_busy_deadline(50999, 51000, 0, 50), 51000);
	assert_int_equal(napi_busy_deadline(51000, 51000, 0, 50), 0);
	assert_int_equal(napi_busy_deadline(60000, 51000, 0, 50), 0);
	/* Never parked before and nothing found: complete at once. */
	assert_int_equal(napi_busy_deadline(1000, 0, 0, 50), 0);
	/* The largest window does not overflow. */
	assert_int_equal(napi_busy_deadline(~0ull / 2, 0, 1, 10000),
			 ~0ull / 2 + 10000000ull);
}

/* The softnet line of cpu0: busy_hits, busy_ends. */
static void softnet_busy(u64 *hits, u64 *ends)
{
	unsigned long long p, sq, r, h, e, l;
	assert_int_equal(host_shell_run("softnet"), 0);
	const char *line = strstr(host_shell_output(), "cpu0 ");
	assert_non_null(line);
	assert_int_equal(sscanf(line, "cpu0 %llu %llu %llu %llu %llu %llu", &p,
				&sq, &r, &h, &e, &l),
			 6);
	*hits = h;
	*ends = e;
}

static void test_busy_poll_parks_and_ends(void **state)
{
	(void)state;
	u8 buf[64];
	u64 hits0, ends0, hits, ends;
	frame(buf, mac0, ETH_P_TEST, 60, 7, 0);
	softnet_busy(&hits0, &ends0);
	kcfg.net_busy_poll_us = 100;
	host_fakedev_set_busy_poll(eth0, true);

	/* The interrupt's poll takes a frame: parked, not completed. */
	host_fakedev_rx_napi(eth0, buf, 60);
	host_run_softirqs();
	assert_int_equal(handled, 1);
	assert_true(napi_busy_parked());
	assert_false(host_softirq_is_pending(NET_RX_SOFTIRQ));
	/* Nothing on the ring, window open: a look schedules nothing. */
	assert_false(napi_busy_loop_once(ktime_get_ns()));
	/* A frame lands with the interrupt masked: the look finds it. */
	host_clock_advance_ns(40 * 1000);
	host_fakedev_rx_ring_add(eth0, buf, 60);
	assert_true(napi_busy_loop_once(ktime_get_ns()));
	assert_false(napi_busy_parked());
	host_run_softirqs();
	assert_int_equal(handled, 2);
	assert_true(napi_busy_parked()); /* the window starts again */
	/* 99 us later still parked; past the window the look schedules the
	 * last poll, which finds nothing and completes. */
	host_clock_advance_ns(99 * 1000);
	assert_false(napi_busy_loop_once(ktime_get_ns()));
	host_clock_advance_ns(2 * 1000);
	u64 polls = host_fakedev_polls(eth0);
	assert_true(napi_busy_loop_once(ktime_get_ns()));
	host_run_softirqs();
	assert_int_equal(host_fakedev_polls(eth0) - polls, 1);
	assert_false(napi_busy_parked());
	softnet_busy(&hits, &ends);
	assert_int_equal(hits - hits0, 1);
	assert_int_equal(ends - ends0, 1);
	/* Completed: the next frame goes through napi_schedule again. */
	host_fakedev_rx_napi(eth0, buf, 60);
	host_run_softirqs();
	assert_int_equal(handled, 3);
	assert_true(napi_busy_parked());

	/* napi_schedule while parked (a link change, a full TX ring): polled
	 * now, not at the end of the window. */
	host_fakedev_rx_napi(eth0, buf, 60);
	assert_false(napi_busy_parked());
	assert_true(host_softirq_is_pending(NET_RX_SOFTIRQ));
	host_run_softirqs();
	assert_int_equal(handled, 4);

	/* Switched off while parked: the next poll completes. */
	kcfg.net_busy_poll_us = 0;
	host_clock_advance_ns(200 * 1000);
	assert_true(napi_busy_loop_once(ktime_get_ns()));
	host_run_softirqs();
	assert_false(napi_busy_parked());
	host_fakedev_rx_napi(eth0, buf, 60);
	host_run_softirqs();
	assert_int_equal(handled, 5);
	assert_false(napi_busy_parked()); /* off: never parked */
	host_fakedev_set_busy_poll(eth0, false);
}

/* ---- transmit ------------------------------------------------------------ */

static void test_tx_counts_and_doorbell(void **state)
{
	(void)state;
	u64 pk = eth0->stats.tx_packets, by = eth0->stats.tx_bytes;
	u64 bells = host_fakedev_doorbells(eth0);
	assert_int_equal(xmit(eth0, 1, 0), 0);
	assert_int_equal(xmit(eth0, 2, 0), 0);
	assert_int_equal(pop_mark(eth0), 1);
	assert_int_equal(pop_mark(eth0), 2);
	assert_int_equal(eth0->stats.tx_packets - pk, 2);
	assert_int_equal(eth0->stats.tx_bytes - by, 120);
	assert_int_equal(host_fakedev_doorbells(eth0) - bells, 2);
}

static void test_tx_busy_requeue_and_wake(void **state)
{
	(void)state;
	struct qdisc_stats q;
	u64 busy = eth0->stats.tx_busy;
	host_fakedev_set_tx_room(eth0, 2);
	for (u8 i = 1; i <= 5; i++)
		assert_int_equal(xmit(eth0, i, 0), 0);
	assert_int_equal(host_fakedev_tx_pending(eth0), 2);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.qlen, 3);
	assert_true(q.stopped);
	assert_int_equal(eth0->stats.tx_busy - busy, 1); /* then it waits */

	/* Ring space comes back: one wake, one batch, one doorbell. */
	u64 bells = host_fakedev_doorbells(eth0);
	host_fakedev_set_tx_room(eth0, -1);
	netif_wake_queue(eth0);
	assert_true(host_softirq_is_pending(NET_TX_SOFTIRQ));
	host_run_softirqs();
	for (u8 i = 1; i <= 5; i++)
		assert_int_equal(pop_mark(eth0), i);
	assert_int_equal(host_fakedev_doorbells(eth0) - bells, 1);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.qlen, 0);
	assert_false(q.stopped);
}

static void test_tx_limit_drops(void **state)
{
	(void)state;
	struct qdisc_stats q0, q;
	u64 dropped = eth0->stats.tx_dropped;
	qdisc_get_stats(eth0, &q0);
	eth0->tx_queue_len = 10;
	host_fakedev_set_tx_room(eth0, 0);
	int ok = 0, nobufs = 0;
	for (u8 i = 0; i < 15; i++) {
		int rc = xmit(eth0, i, 0);
		ok += rc == 0;
		nobufs += rc == -ENOBUFS;
	}
	assert_int_equal(ok, 10);
	assert_int_equal(nobufs, 5);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.drops - q0.drops, 5);
	assert_int_equal(q.qlen, 10);
	assert_int_equal(eth0->stats.tx_dropped - dropped, 5);
	eth0->tx_queue_len = 1000;
	host_fakedev_set_tx_room(eth0, -1);
	netif_wake_queue(eth0);
	host_run_softirqs();
	assert_int_equal(host_fakedev_tx_pending(eth0), 10);
}

/* pfifo_fast: low delay (band 0) before best effort before bulk. */
static void test_tx_bands(void **state)
{
	(void)state;
	host_fakedev_set_tx_room(eth0, 0);
	xmit(eth0, 1, 0x08); /* IPTOS_THROUGHPUT: bulk, band 2 */
	xmit(eth0, 2, 0x00); /* best effort, band 1 */
	xmit(eth0, 3, 0x10); /* IPTOS_LOWDELAY: interactive, band 0 */
	xmit(eth0, 4, 0x00);
	host_fakedev_set_tx_room(eth0, -1);
	netif_wake_queue(eth0);
	host_run_softirqs();
	assert_int_equal(pop_mark(eth0), 3);
	assert_int_equal(pop_mark(eth0), 2);
	assert_int_equal(pop_mark(eth0), 4);
	assert_int_equal(pop_mark(eth0), 1);
}

static void test_tx_quota_reschedules(void **state)
{
	(void)state;
	host_fakedev_set_tx_room(eth0, 0);
	for (int i = 0; i < 100; i++)
		xmit(eth0, (u8)i, 0);
	u64 bells = host_fakedev_doorbells(eth0);
	host_fakedev_set_tx_room(eth0, -1);
	netif_wake_queue(eth0);
	host_run_softirqs();
	assert_int_equal(host_fakedev_tx_pending(eth0), 100);
	/* QDISC_QUOTA (64) per run: two batches, two doorbells. */
	assert_int_equal(host_fakedev_doorbells(eth0) - bells, 2);
	for (int i = 0; i < 100; i++)
		assert_int_equal(pop_mark(eth0), (u8)i);
}

static void test_carrier(void **state)
{
	(void)state;
	host_log_reset();
	netif_carrier_off(eth1);
	netif_carrier_off(eth1);
	assert_int_equal(host_log_count("eth1: link down"), 1);
	assert_false(eth1->flags & IFF_RUNNING);
	assert_int_equal(xmit(eth1, 1, 0), -ENETDOWN);
	assert_int_equal(host_fakedev_tx_pending(eth1), 0);
	netif_carrier_on(eth1);
	netif_carrier_on(eth1);
	assert_int_equal(host_log_count("eth1: link up"), 1);
	assert_true(eth1->flags & IFF_RUNNING);
	assert_int_equal(xmit(eth1, 1, 0), 0);
	host_fakedev_tx_clear(eth1);
}

static void test_mtu_and_mac(void **state)
{
	(void)state;
	assert_int_equal(dev_set_mtu(eth1, 67), -EINVAL);
	assert_int_equal(dev_set_mtu(eth1, 1501), -EINVAL);
	assert_int_equal(dev_set_mtu(eth1, 1400), 0);
	assert_int_equal(eth1->mtu, 1400);
	assert_int_equal(dev_set_mtu(eth1, 1500), 0);

	static const u8 mcast[6] = {0x01, 0, 0, 0, 0, 1};
	static const u8 zero[6] = {0};
	static const u8 fresh[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
	assert_int_equal(dev_set_mac_address(eth1, mcast), -EADDRNOTAVAIL);
	assert_int_equal(dev_set_mac_address(eth1, zero), -EADDRNOTAVAIL);
	assert_int_equal(dev_set_mac_address(eth1, fresh), 0);
	assert_memory_equal(eth1->dev_addr, fresh, 6);
	assert_int_equal(dev_set_mac_address(eth1, mac1), 0);
}

/* ---- console ----------------------------------------------------------------
 */

static void test_ip_link_output(void **state)
{
	(void)state;
	assert_int_equal(host_shell_call(ip_link_cmd, "link show eth0"), 0);
	assert_string_equal(
	    host_shell_output(),
	    "1: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 "
	    "qdisc pfifo_fast state UP mode DEFAULT group "
	    "default qlen 1000\n"
	    "    link/ether 02:00:00:00:00:01 brd "
	    "ff:ff:ff:ff:ff:ff\n");
	netif_carrier_off(eth1);
	assert_int_equal(host_shell_call(ip_link_cmd, "l show dev eth1"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "<NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 "
			       "qdisc pfifo_fast state DOWN"));
	netif_carrier_on(eth1);
	assert_int_equal(host_shell_call(ip_link_cmd, "link show nosuch"),
			 SHELL_ERR_SHOWN);
	assert_string_equal(host_shell_output(),
			    "Device \"nosuch\" does not exist.\n");
}

static void test_ip_s_link_columns(void **state)
{
	(void)state;
	memset(&eth1->stats, 0, sizeof(eth1->stats));
	eth1->stats.rx_bytes = 90;
	eth1->stats.rx_packets = 1;
	eth1->stats.tx_bytes = 12345678901ULL; /* wider than the column */
	eth1->stats.tx_packets = 3;
	assert_int_equal(host_shell_call(ip_link_cmd, "link -s show eth1"), 0);
	const char *out = host_shell_output();
	const char *rx = strstr(out, "    RX:");
	assert_non_null(rx);
	assert_string_equal(rx,
			    "    RX:   bytes packets errors dropped  "
			    "missed   mcast\n"
			    "             90       1      0       0       0 "
			    "      0\n"
			    "    TX:   bytes packets errors dropped carrier "
			    "collsns\n"
			    "    12345678901       3      0       0       0 "
			    "      0\n");
}

/* 60,000 bytes/s: a 60-byte frame costs 1 ms; the 3,000-byte bucket
 * holds 50 of them; 50 ms of latency bounds the queue at 6,000 bytes. */
static const struct tbf_params tbf60k = {
    .rate = 60000, .burst = 3000, .latency_ms = 50};

static void test_ip_link_set(void **state)
{
	(void)state;
	assert_int_equal(host_shell_call(ip_link_cmd, "link set eth1 mtu 1400"),
			 0);
	assert_int_equal(eth1->mtu, 1400);
	assert_int_equal(host_shell_call(ip_link_cmd, "link set dev eth1 mtu "
						      "1500 address "
						      "52:54:00:01:02:03"),
			 0);
	assert_int_equal(eth1->mtu, 1500);
	assert_int_equal(eth1->dev_addr[5], 3);
	assert_int_equal(host_shell_call(ip_link_cmd, "link set eth1 down"), 0);
	assert_false(eth1->flags & IFF_UP);
	assert_int_equal(host_shell_call(ip_link_cmd, "link set eth1 up"), 0);
	assert_true(eth1->flags & IFF_UP);
	assert_int_equal(host_shell_call(ip_link_cmd, "link set eth1 mtu 20"),
			 SHELL_ERR_SHOWN);
	assert_string_equal(host_shell_output(),
			    "Error: argument \"20\" is wrong: invalid value\n");
	assert_int_equal(host_shell_call(ip_link_cmd, "link set eth1 frob"),
			 -EINVAL);
	dev_set_mac_address(eth1, mac1);

	/* txqueuelen: the qdisc's limit in frames, shown as qlen. */
	assert_int_equal(
	    host_shell_call(ip_link_cmd, "link set eth1 txqueuelen 64"), 0);
	assert_int_equal(eth1->tx_queue_len, 64);
	assert_int_equal(host_shell_call(ip_link_cmd, "link show eth1"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "qdisc pfifo_fast state UP mode DEFAULT group "
			       "default qlen 64\n"));
	static const char *const bad[] = {"link set eth1 txqueuelen 0",
					  "link set eth1 txqueuelen 1000001",
					  "link set eth1 qlen 10x"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(host_shell_call(ip_link_cmd, bad[i]),
				 SHELL_ERR_SHOWN);
	/* "-5" reads as an option, as with mtu: the value is missing. */
	assert_int_equal(
	    host_shell_call(ip_link_cmd, "link set eth1 txqueuelen -5"),
	    -EINVAL);
	assert_int_equal(eth1->tx_queue_len, 64);
	assert_int_equal(
	    host_shell_call(ip_link_cmd, "link set eth1 qlen 1000"), 0);
	assert_int_equal(eth1->tx_queue_len, 1000);

	/* A shaper shows as the qdisc. */
	char why[96];
	assert_int_equal(qdisc_set_tbf(eth1, &tbf60k, why, sizeof(why)), 0);
	assert_int_equal(host_shell_call(ip_link_cmd, "link show eth1"), 0);
	assert_non_null(strstr(host_shell_output(), " qdisc tbf state UP"));
	assert_int_equal(qdisc_set_tbf(eth1, NULL, why, sizeof(why)), 0);
}

static void test_ethtool(void **state)
{
	(void)state;
	assert_int_equal(host_shell_run("ethtool eth0"), 0);
	assert_string_equal(host_shell_output(), "Settings for eth0:\n"
						 "\tSpeed: 1000Mb/s\n"
						 "\tDuplex: Full\n"
						 "\tLink detected: yes\n"
						 "driver: fakedev\n"
						 "bus-info: host:0\n");
	assert_int_equal(host_shell_run("ethtool -S eth0"), 0);
	const char *out = host_shell_output();
	assert_true(strncmp(out, "NIC statistics:\n", 16) == 0);
	assert_non_null(strstr(out, "     tx_queue_0_packets: "));
	assert_non_null(strstr(out, "     rx_otherhost: 1\n"));
	assert_non_null(strstr(out, "     rx_nohandler: 2\n"));
	assert_non_null(strstr(out, "     rx_vlan_dropped: 1\n"));
	assert_non_null(strstr(out, "     qdisc_drops: 5\n"));
	assert_int_equal(host_shell_run("ethtool -i eth0"), 0);
	assert_non_null(strstr(host_shell_output(), "driver: fakedev\n"));
	assert_int_equal(host_shell_run("ethtool eth7"), SHELL_ERR_SHOWN);
	assert_int_equal(host_shell_run("ethtool"), -EINVAL);
	assert_int_equal(host_shell_run("ethtool -x eth0"), -EINVAL);
}

/* ---- tbf ---------------------------------------------------------------- */

static void test_tbf_shapes(void **state)
{
	(void)state;
	struct qdisc_stats q;
	char why[96];
	assert_int_equal(qdisc_set_tbf(eth0, &tbf60k, why, sizeof(why)), 0);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.tbf.limit, 6000);
	assert_int_equal(eth0->tx_max_frame, 3000);
	u64 over0 = q.overlimits, drops0 = q.drops;

	/* A full bucket: 50 frames at once, the other 30 wait. */
	for (u8 i = 0; i < 80; i++)
		assert_int_equal(xmit(eth0, i, 0), 0);
	assert_int_equal(host_fakedev_tx_pending(eth0), 50);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.qlen, 30);
	assert_true(q.throttled);
	assert_int_equal(q.overlimits - over0, 1);

	/* Then one frame a millisecond, in order. */
	host_clock_advance_ms(10);
	u32 sent = host_fakedev_tx_pending(eth0);
	assert_in_range(sent, 59, 61);
	host_clock_advance_ms(25);
	assert_int_equal(host_fakedev_tx_pending(eth0), 80);
	for (u8 i = 0; i < 80; i++)
		assert_int_equal(pop_mark(eth0), i);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.qlen, 0);

	/* The queue holds 6,000 bytes (100 frames): beyond, tail drops. */
	host_clock_advance_ms(100); /* the bucket is full again */
	int ok = 0, nobufs = 0;
	for (int i = 0; i < 200; i++) {
		int rc = xmit(eth0, (u8)i, 0);
		ok += rc == 0;
		nobufs += rc == -ENOBUFS;
	}
	assert_int_equal(ok, 150); /* 50 sent at once, 100 queued */
	assert_int_equal(nobufs, 50);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.drops - drops0, 50);
	assert_int_equal(q.backlog_bytes, 6000);

	/* Back to pfifo_fast: what waits goes at once. */
	assert_int_equal(qdisc_set_tbf(eth0, NULL, why, sizeof(why)), 0);
	host_run_softirqs();
	assert_int_equal(host_fakedev_tx_pending(eth0), 150);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.qlen, 0);
	assert_false(q.throttled);
	assert_int_equal(q.tbf.rate, 0);
	assert_int_equal(eth0->tx_max_frame, 0);
}

/* A burst that cannot hold a frame or a tick is refused, saying why; a
 * frame beyond the burst (the MTU raised afterwards) is dropped and
 * counted, not queued forever. */
static void test_tbf_refusals_and_oversize(void **state)
{
	(void)state;
	struct qdisc_stats q;
	char why[96];
	struct tbf_params p = {.rate = 60000, .burst = 1513, .latency_ms = 50};
	assert_int_equal(qdisc_set_tbf(eth0, &p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "less than one frame (1514 bytes"));
	p = (struct tbf_params){.rate = 10000000, .burst = 9000};
	assert_int_equal(qdisc_set_tbf(eth0, &p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "less than 1 ms at the rate (10000"));
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.tbf.rate, 0); /* unchanged */

	p = (struct tbf_params){.rate = 60000, .burst = 1514, .latency_ms = 50};
	assert_int_equal(qdisc_set_tbf(eth0, &p, why, sizeof(why)), 0);
	u64 oversize0 = q.oversize, dropped0 = eth0->stats.tx_dropped;
	struct sk_buff *skb = alloc_skb(2100);
	skb_reserve(skb, 32);
	frame(skb_put(skb, 2000), peer, ETH_P_IP, 2000, 1, 0);
	skb->dev = eth0;
	assert_int_equal(dev_queue_xmit(skb), -EMSGSIZE);
	qdisc_get_stats(eth0, &q);
	assert_int_equal(q.oversize - oversize0, 1);
	assert_int_equal(eth0->stats.tx_dropped - dropped0, 1);
	assert_int_equal(xmit(eth0, 7, 0), 0); /* a frame that fits goes */
	assert_int_equal(pop_mark(eth0), 7);
	assert_int_equal(qdisc_set_tbf(eth0, NULL, why, sizeof(why)), 0);
}

static void test_tc_command(void **state)
{
	(void)state;
	assert_int_equal(host_shell_run("tc qdisc show dev eth0"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "qdisc pfifo_fast 0: root dev eth0 bands 3"));
	assert_int_equal(host_shell_run("tc qdisc replace dev eth0 root tbf "
					"rate 480kbit burst 3000 latency 50ms"),
			 0);
	assert_int_equal(host_shell_run("tc -s qdisc"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "qdisc tbf 1: root dev eth0 rate 480Kbit burst "
			       "3000b limit 6000b lat 50ms"));
	assert_non_null(strstr(host_shell_output(), "dev eth1"));
	for (u8 i = 0; i < 60; i++)
		assert_int_equal(xmit(eth0, i, 0), 0);
	assert_int_equal(host_shell_run("tc qdisc show dev eth0"), 0);
	struct qdisc_stats q;
	char over[48];
	qdisc_get_stats(eth0, &q);
	snprintf(over, sizeof(over), "overlimits %llu ",
		 (unsigned long long)q.overlimits);
	assert_non_null(strstr(host_shell_output(), over));
	assert_non_null(strstr(host_shell_output(), "backlog 600b 10p, "
						    "throttled"));

	/* Without a burst: 10 ms at the rate, at least four frames. */
	assert_int_equal(
	    host_shell_run("tc qdisc change dev eth0 root tbf rate 100mbit"),
	    0);
	assert_int_equal(host_shell_run("tc qdisc show dev eth0"), 0);
	assert_non_null(strstr(host_shell_output(),
			       "rate 100Mbit burst 125000b limit 750000b"));

	static const struct {
		const char *line, *says;
	} bad[] = {
	    {"tc qdisc replace dev eth0 root tbf rate 10mbps",
	     "tc: bad rate '10mbps'"},
	    {"tc qdisc replace dev eth0 root tbf rate 1mbit burst 100",
	     "tc: burst 100 bytes is less than one frame"},
	    {"tc qdisc replace dev eth0 root tbf rate 1mbit burst x",
	     "tc: bad burst 'x'"},
	    {"tc qdisc replace dev eth0 root tbf rate 1mbit latency 0ms",
	     "tc: bad latency '0ms'"},
	    {"tc qdisc replace dev eth0 root tbf rate 1mbit latency 9 limit 9k",
	     "tc: give latency or limit, not both"},
	    {"tc qdisc replace dev eth0 root tbf burst 10k", "needs a rate"},
	    {"tc qdisc replace dev eth0 root tbf rate", "'rate' needs a value"},
	    {"tc qdisc replace dev eth0 root tbf rate 1mbit peakrate 2mbit",
	     "tbf has no parameter 'peakrate'"},
	    {"tc qdisc replace dev eth9 root tbf rate 1mbit",
	     "tc: no device 'eth9'"},
	    {"tc qdisc replace dev eth0 root netem delay 10ms",
	     "qdiscs here are tbf and pfifo_fast"},
	    {"tc qdisc replace dev eth0 parent 1: tbf rate 1mbit",
	     "only the root qdisc"},
	    {"tc qdisc replace root tbf rate 1mbit", "needs dev DEV"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(host_shell_run(bad[i].line), SHELL_ERR_SHOWN);
		if (!strstr(host_shell_output(), bad[i].says))
			fail_msg("%s: %s", bad[i].line, host_shell_output());
	}
	assert_int_equal(host_shell_run("tc qdisc show dev eth0"), 0);
	assert_non_null(strstr(host_shell_output(), "rate 100Mbit"));
	assert_int_equal(host_shell_run("tc"), -EINVAL);
	assert_int_equal(host_shell_run("tc filter show"), -EINVAL);
	assert_int_equal(host_shell_run("tc qdisc del dev eth0 root"), 0);
	host_run_softirqs();
	assert_int_equal(host_shell_run("tc qdisc show dev eth0"), 0);
	assert_non_null(strstr(host_shell_output(), "qdisc pfifo_fast"));
	assert_non_null(strstr(host_shell_output(), "backlog 0b 0p"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_registry),
	    T(test_for_each_and_fixed_name),
	    T(test_rx_dispatch_and_counters),
	    T(test_rx_while_down_dropped),
	    T(test_napi_polls_by_weight),
	    T(test_busy_poll_window),
	    T(test_busy_poll_parks_and_ends),
	    T(test_tx_counts_and_doorbell),
	    T(test_tx_busy_requeue_and_wake),
	    T(test_tx_limit_drops),
	    T(test_tx_bands),
	    T(test_tx_quota_reschedules),
	    T(test_carrier),
	    T(test_mtu_and_mac),
	    T(test_ip_link_output),
	    T(test_ip_s_link_columns),
	    T(test_ip_link_set),
	    T(test_ethtool),
	    T(test_tbf_shapes),
	    T(test_tbf_refusals_and_oversize),
	    T(test_tc_command),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
