/*
 * reflect.c - app=reflect: an L2 reflector, the ceiling of the NIC path.
 *
 * Like DPDK testpmd's "macswap" forwarding mode: every frame a NIC
 * receives goes straight back out of the same NIC with its Ethernet
 * destination and source addresses swapped, and no protocol sees it. The
 * drivers call netdev_rx_reflect from their NAPI poll (e1000_rx_deliver,
 * vnet_deliver), queue the answer on their TX ring and ring the doorbell
 * once per poll, so the rate reached under a packet generator
 * (tests/bench/pktgen.c) is what the emulated NIC path can carry at most:
 * the benchmark reports the HTTP server's packet rate as a fraction of it.
 *
 * Two frames cannot be swapped as they are: one whose source is a group
 * address (bit 0 of the first octet, IEEE 802.3 3.2.3) is invalid and is
 * dropped; one sent to a group address (broadcast, multicast) is answered
 * from the device's own address, since a group address cannot be a
 * source. Both are counted.
 *
 * The reflector starts once the first NIC has carrier and an address, so
 * ip=dhcp can bind its lease first (a renewal later fails: the stack no
 * longer sees replies; use a static ip= with app=reflect). The console
 * shell keeps working: it is not on the NIC.
 */
#include <errno.h>
#include <string.h>

#include <skiff/net/ether.h>
#include <skiff/net/inet.h>
#include <skiff/net/reflect.h>
#include <skiff/netdevice.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/skbuff.h>
#include <skiff/time.h>
#include <skiff/timer.h>

static struct reflect_stats stats; /* relaxed atomics: one poller per NIC */
static struct timer_list start_timer;
static bool armed;

static void count(u64 *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

struct sk_buff *reflect_rx(struct sk_buff *skb)
{
	u8 *h = skb->data;
	u8 dst[ETH_ALEN];

	if (skb->len < ETH_HLEN) {
		count(&stats.runts);
		kfree_skb(skb);
		return NULL;
	}
	if (is_multicast_ether_addr(h + ETH_ALEN)) {
		count(&stats.bad_source);
		kfree_skb(skb);
		return NULL;
	}
	memcpy(dst, h, ETH_ALEN);
	memcpy(h, h + ETH_ALEN, ETH_ALEN); /* the sender becomes destination */
	if (is_multicast_ether_addr(dst)) {
		count(&stats.group_dest);
		memcpy(h + ETH_ALEN, skb->dev->dev_addr, ETH_ALEN);
	} else {
		memcpy(h + ETH_ALEN, dst, ETH_ALEN);
	}
	count(&stats.reflected);
	return skb;
}

void reflect_get_stats(struct reflect_stats *out)
{
	out->reflected = __atomic_load_n(&stats.reflected, __ATOMIC_RELAXED);
	out->runts = __atomic_load_n(&stats.runts, __ATOMIC_RELAXED);
	out->bad_source = __atomic_load_n(&stats.bad_source, __ATOMIC_RELAXED);
	out->group_dest = __atomic_load_n(&stats.group_dest, __ATOMIC_RELAXED);
}

/* Every 100 ms until the first NIC is up with its address. */
static void reflect_engage(struct timer_list *t)
{
	struct net_device *dev = dev_first();

	if (!dev || !dev->carrier || !inet_dev_addr(dev)) {
		mod_timer(t, get_jiffies() + msecs_to_jiffies(100));
		return;
	}
	WRITE_ONCE(netdev_rx_reflect, reflect_rx);
	pr_info("reflect: on: every frame on every NIC goes back with its "
		"MACs swapped (first NIC %s)\n",
		dev->name);
}

void reflect_start(void)
{
	if (armed)
		return;
	armed = true;
	pr_info("reflect: L2 reflector (macswap) armed; starts when the first "
		"NIC has its address\n");
	kernel_timer_setup(&start_timer, reflect_engage);
	mod_timer(&start_timer, get_jiffies() + 1);
}

static int cmd_reflect(int argc, char **argv)
{
	struct reflect_stats s;

	(void)argv;
	if (argc != 1)
		return -EINVAL;
	reflect_get_stats(&s);
	shell_printf("reflect: %s\n", READ_ONCE(netdev_rx_reflect) ? "on"
				      : armed
					  ? "armed (waiting for the address)"
					  : "off (app=http)");
	shell_printf(
	    "reflected %llu  group_dest %llu  runts %llu  bad_source "
	    "%llu\n",
	    (unsigned long long)s.reflected, (unsigned long long)s.group_dest,
	    (unsigned long long)s.runts, (unsigned long long)s.bad_source);
	return 0;
}
SHELL_CMD("reflect", cmd_reflect, "reflect",
	  "the L2 reflector (app=reflect): state and frame counters");
