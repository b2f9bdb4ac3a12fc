/*
 * test_route.c - the FIB (net/route.c) and device addresses
 * (net/devinet.c): longest-prefix match, default route, static routes
 * via gateways, deletion, the on-link rule for gateways, routes that go
 * with their address, source address selection, broadcast detection, the
 * path MTU cache, ip_route_output's route cache and its invalidation,
 * and the `ip route` / `ip addr` commands' iproute2 output.
 */
#include "ipv4_test.h"
#include <skiff/net/netcore.h>

static struct net_device *eth1;

static int route_setup(void **state)
{
	ipt_setup(state);
	if (!eth1) {
		eth1 = host_fakedev_create("eth%d", NULL);
		assert_non_null(eth1);
	}
	return 0;
}

static u32 lookup_gw(u32 daddr, struct net_device **dev, u8 *prefix)
{
	struct fib_result res;

	assert_int_equal(fib_lookup(daddr, &res), 0);
	*dev = res.dev;
	*prefix = res.prefix;
	return res.gateway;
}

static void test_connected_route(void **state)
{
	struct fib_result res;

	(void)state;
	/* ipt_stack_up added 198.18.0.2/24: the connected route. */
	assert_int_equal(fib_lookup(IPV4(198, 18, 0, 77), &res), 0);
	assert_ptr_equal(res.dev, eth0);
	assert_int_equal(res.gateway, 0);
	assert_int_equal(res.prefix, 24);
	assert_int_equal(res.type, RT_CONNECTED);
	assert_int_equal(res.prefsrc, OUR_IP);
	assert_int_equal(fib_lookup(IPV4(198, 19, 0, 1), &res), -ENETUNREACH);
}

static void test_longest_prefix_and_default(void **state)
{
	struct net_device *dev;
	u8 prefix;
	u32 gw1 = IPV4(198, 18, 0, 1), gw2 = IPV4(198, 18, 0, 254);

	(void)state;
	assert_int_equal(fib_add(0, 0, gw1, NULL, RT_DEFAULT_GW), 0);
	assert_int_equal(fib_add(IPV4(10, 0, 0, 0), 8, gw2, NULL, RT_STATIC),
			 0);
	assert_int_equal(fib_add(IPV4(10, 1, 0, 0), 16, gw1, eth0, RT_STATIC),
			 0);
	assert_int_equal(fib_add(IPV4(10, 1, 2, 3), 32, gw2, NULL, RT_STATIC),
			 0);
	assert_int_equal(lookup_gw(IPV4(10, 1, 2, 3), &dev, &prefix), gw2);
	assert_int_equal(prefix, 32);
	assert_int_equal(lookup_gw(IPV4(10, 1, 2, 4), &dev, &prefix), gw1);
	assert_int_equal(prefix, 16);
	assert_int_equal(lookup_gw(IPV4(10, 2, 0, 1), &dev, &prefix), gw2);
	assert_int_equal(prefix, 8);
	assert_int_equal(lookup_gw(IPV4(8, 8, 8, 8), &dev, &prefix), gw1);
	assert_int_equal(prefix, 0);
	assert_ptr_equal(dev, eth0);
	/* The connected /24 still wins over the default for the subnet. */
	assert_int_equal(lookup_gw(IPV4(198, 18, 0, 9), &dev, &prefix), 0);
	/* Delete the /16: the /8 takes over. */
	assert_int_equal(fib_del(IPV4(10, 1, 0, 0), 16), 0);
	assert_int_equal(lookup_gw(IPV4(10, 1, 2, 4), &dev, &prefix), gw2);
	assert_int_equal(fib_del(IPV4(10, 1, 0, 0), 16), -ESRCH);
	assert_int_equal(fib_del(0, 0), 0);
	struct fib_result res;
	assert_int_equal(fib_lookup(IPV4(8, 8, 8, 8), &res), -ENETUNREACH);
	fib_del(IPV4(10, 0, 0, 0), 8);
	fib_del(IPV4(10, 1, 2, 3), 32);
}

static void test_add_errors(void **state)
{
	(void)state;
	/* Host bits set, prefix too long, neither gateway nor device. */
	assert_int_equal(
	    fib_add(IPV4(10, 0, 0, 1), 8, IPV4(198, 18, 0, 1), NULL, RT_STATIC),
	    -EINVAL);
	assert_int_equal(fib_add(0, 33, IPV4(198, 18, 0, 1), NULL, RT_STATIC),
			 -EINVAL);
	assert_int_equal(fib_add(IPV4(10, 0, 0, 0), 8, 0, NULL, RT_STATIC),
			 -EINVAL);
	/* A gateway that is not on-link (RFC 1122 3.3.1.1). */
	assert_int_equal(fib_add(IPV4(10, 0, 0, 0), 8, IPV4(203, 0, 113, 1),
				 NULL, RT_STATIC),
			 -ENETUNREACH);
	/* On-link, but through the wrong device. */
	assert_int_equal(
	    fib_add(IPV4(10, 0, 0, 0), 8, IPV4(198, 18, 0, 1), eth1, RT_STATIC),
	    -ENETUNREACH);
	/* Twice. */
	assert_int_equal(
	    fib_add(IPV4(10, 0, 0, 0), 8, IPV4(198, 18, 0, 1), NULL, RT_STATIC),
	    0);
	assert_int_equal(
	    fib_add(IPV4(10, 0, 0, 0), 8, IPV4(198, 18, 0, 9), NULL, RT_STATIC),
	    -EEXIST);
	/* An on-link route through a device, without a gateway. */
	assert_int_equal(fib_add(IPV4(192, 0, 2, 0), 24, 0, eth1, RT_STATIC),
			 0);
	struct fib_result res;
	assert_int_equal(fib_lookup(IPV4(192, 0, 2, 5), &res), 0);
	assert_ptr_equal(res.dev, eth1);
	assert_int_equal(res.prefsrc, 0); /* eth1 has no address */
	fib_del(IPV4(10, 0, 0, 0), 8);
	fib_del(IPV4(192, 0, 2, 0), 24);
}

/* Addresses bring their connected route; removing the last address of a
 * subnet removes it and the routes whose gateway was on it. */
static void test_address_lifecycle(void **state)
{
	struct fib_result res;
	u32 a = IPV4(198, 19, 5, 1), b = IPV4(198, 19, 5, 2);

	(void)state;
	assert_int_equal(inet_addr_add(eth1, a, 24), 0);
	assert_int_equal(inet_addr_add(eth1, a, 24), -EEXIST);
	assert_int_equal(inet_addr_add(eth1, b, 24), 0);
	assert_int_equal(inet_addr_add(eth1, 0, 24), -EINVAL);
	assert_int_equal(inet_addr_add(eth1, IPV4(224, 0, 0, 1), 24), -EINVAL);
	assert_int_equal(inet_addr_add(eth1, b, 33), -EINVAL);
	assert_true(inet_addr_is_local(eth1, a));
	assert_true(inet_addr_is_local(NULL, b));
	assert_false(inet_addr_is_local(eth0, a));
	assert_true(inet_addr_is_broadcast(eth1, IPV4(198, 19, 5, 255)));
	assert_true(inet_addr_is_broadcast(NULL, INADDR_BROADCAST));
	assert_false(inet_addr_is_broadcast(eth0, IPV4(198, 19, 5, 255)));
	assert_int_equal(inet_dev_addr(eth1), a);
	assert_int_equal(fib_lookup(IPV4(198, 19, 5, 99), &res), 0);
	assert_ptr_equal(res.dev, eth1);
	assert_int_equal(res.prefsrc, a);
	/* A route via a gateway on that subnet. */
	assert_int_equal(fib_add(IPV4(172, 16, 0, 0), 12, IPV4(198, 19, 5, 254),
				 NULL, RT_STATIC),
			 0);
	assert_int_equal(fib_lookup(IPV4(172, 16, 1, 1), &res), 0);
	assert_int_equal(res.prefsrc, a);
	/* One address goes: the subnet is still there. */
	assert_int_equal(inet_addr_del(eth1, a, 24), 0);
	assert_int_equal(inet_addr_del(eth1, a, 24), -EADDRNOTAVAIL);
	assert_int_equal(inet_dev_addr(eth1), b);
	assert_int_equal(fib_lookup(IPV4(172, 16, 1, 1), &res), 0);
	/* The last one: connected and gateway routes go. */
	assert_int_equal(inet_addr_del(eth1, b, 24), 0);
	assert_int_equal(fib_lookup(IPV4(198, 19, 5, 99), &res), -ENETUNREACH);
	assert_int_equal(fib_lookup(IPV4(172, 16, 1, 1), &res), -ENETUNREACH);
	assert_int_equal(inet_dev_addr(eth1), 0);
	/* /31 and /32 have no broadcast address (RFC 3021). */
	assert_int_equal(inet_addr_add(eth1, IPV4(198, 19, 6, 0), 31), 0);
	assert_false(inet_addr_is_broadcast(eth1, IPV4(198, 19, 6, 1)));
	assert_int_equal(inet_addr_del(eth1, IPV4(198, 19, 6, 0), 31), 0);
	host_fakedev_tx_clear(eth1);
}

static void test_source_selection(void **state)
{
	u32 x = IPV4(198, 19, 7, 1), y = IPV4(198, 19, 8, 1);

	(void)state;
	inet_addr_add(eth1, x, 24);
	inet_addr_add(eth1, y, 24);
	assert_int_equal(inet_select_addr(eth1, IPV4(198, 19, 8, 50)), y);
	assert_int_equal(inet_select_addr(eth1, IPV4(198, 19, 7, 50)), x);
	assert_int_equal(inet_select_addr(eth1, IPV4(9, 9, 9, 9)), x);
	inet_addr_del(eth1, x, 24);
	inet_addr_del(eth1, y, 24);
	host_fakedev_tx_clear(eth1);
}

static void test_pmtu_cache(void **state)
{
	u32 d = IPV4(203, 0, 113, 50);

	(void)state;
	assert_int_equal(ip_pmtu_get(d), 0);
	ip_pmtu_update(d, 1400);
	assert_int_equal(ip_pmtu_get(d), 1400);
	ip_pmtu_update(d, 1450); /* only lowered, until it expires */
	assert_int_equal(ip_pmtu_get(d), 1400);
	ip_pmtu_update(d, 1300);
	assert_int_equal(ip_pmtu_get(d), 1300);
	/* Many destinations: the table recycles, never grows. */
	for (u32 i = 0; i < 500; i++)
		ip_pmtu_update(IPV4(203, 0, 114, 0) + i, 1200);
	assert_int_equal(ip_pmtu_get(IPV4(203, 0, 114, 0) + 499), 1200);
	host_clock_advance_ms(600001);
	assert_int_equal(ip_pmtu_get(IPV4(203, 0, 114, 0) + 499), 0);
}

/* ---- ip_route_output's cache (net/ip_output.c) ---------------------------
 * Each send routes through a cache of recent destinations; any route,
 * address, device or path MTU change makes the next send look up again
 * (a miss), so no stale route is used. */

static struct ip_route_out route_out(u32 daddr, int want_err)
{
	struct ip_out out = {.daddr = daddr, .protocol = IPPROTO_TCP};
	struct ip_route_out rt;

	assert_int_equal(ip_route_output(&out, &rt), want_err);
	return rt;
}

/* One lookup, then hits; the caller's source address still wins. */
static void test_route_cache_hits(void **state)
{
	u32 d = IPV4(198, 18, 0, 77);

	(void)state;
	u64 m0 = ip_route_cache_misses();
	struct ip_route_out a = route_out(d, 0);
	assert_int_equal(ip_route_cache_misses(), m0 + 1);
	for (int i = 0; i < 3; i++) {
		struct ip_route_out b = route_out(d, 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_int_equal(ip_route_cache_misses(), m0 + 1);
	assert_ptr_equal(a.dev, eth0);
	assert_int_equal(a.next_hop, d);
	assert_int_equal(a.saddr, OUR_IP);
	assert_int_equal(a.mtu, 1500);
	struct ip_out out = {.daddr = d, .saddr = IPV4(198, 18, 0, 9)};
	struct ip_route_out rt;
	assert_int_equal(ip_route_output(&out, &rt), 0);
	assert_int_equal(rt.saddr, IPV4(198, 18, 0, 9));
	assert_int_equal(route_out(d, 0).saddr, OUR_IP);
	assert_int_equal(ip_route_cache_misses(), m0 + 1);
}

/* A route added or deleted: the next send looks up again. */
static void test_route_cache_route_change(void **state)
{
	u32 d = IPV4(10, 1, 2, 3), gw1 = IPV4(198, 18, 0, 1),
	    gw2 = IPV4(198, 18, 0, 254);

	(void)state;
	route_out(d, -ENETUNREACH);
	assert_int_equal(fib_add(IPV4(10, 0, 0, 0), 8, gw1, NULL, RT_STATIC),
			 0);
	assert_int_equal(route_out(d, 0).next_hop, gw1);
	u64 m = ip_route_cache_misses();
	assert_int_equal(route_out(d, 0).next_hop, gw1);
	assert_int_equal(ip_route_cache_misses(), m); /* cached */
	assert_int_equal(fib_add(IPV4(10, 1, 0, 0), 16, gw2, NULL, RT_STATIC),
			 0);
	assert_int_equal(route_out(d, 0).next_hop, gw2);
	assert_int_equal(fib_del(IPV4(10, 1, 0, 0), 16), 0);
	assert_int_equal(route_out(d, 0).next_hop, gw1);
	assert_int_equal(fib_del(IPV4(10, 0, 0, 0), 8), 0);
	route_out(d, -ENETUNREACH);
	assert_int_equal(ip_route_cache_misses(), m + 3);
}

/* Addresses added or deleted: source, local and broadcast follow. */
static void test_route_cache_address_change(void **state)
{
	u32 a = IPV4(198, 19, 5, 1), b = IPV4(198, 19, 5, 2),
	    d = IPV4(198, 19, 5, 99), bcast = IPV4(198, 19, 5, 255);

	(void)state;
	route_out(d, -ENETUNREACH);
	assert_int_equal(inet_addr_add(eth1, a, 24), 0);
	struct ip_route_out rt = route_out(d, 0);
	assert_ptr_equal(rt.dev, eth1);
	assert_int_equal(rt.saddr, a);
	assert_true(route_out(bcast, 0).broadcast);
	assert_int_equal(inet_addr_add(eth1, b, 24), 0);
	assert_int_equal(route_out(d, 0).saddr, a); /* a is primary */
	assert_int_equal(inet_addr_del(eth1, a, 24), 0);
	assert_int_equal(route_out(d, 0).saddr, b);
	assert_false(route_out(d, 0).loopback);
	assert_int_equal(inet_addr_add(eth1, d, 24), 0); /* now ours */
	assert_true(route_out(d, 0).loopback);
	assert_int_equal(inet_addr_del(eth1, d, 24), 0);
	assert_int_equal(inet_addr_del(eth1, b, 24), 0);
	route_out(d, -ENETUNREACH);
	/* The same subnet narrower: .255 is no longer its broadcast. */
	assert_int_equal(inet_addr_add(eth1, a, 25), 0);
	route_out(bcast, -ENETUNREACH);
	assert_true(route_out(IPV4(198, 19, 5, 127), 0).broadcast);
	assert_int_equal(inet_addr_del(eth1, a, 25), 0);
	host_fakedev_tx_clear(eth1);
}

/* A path MTU learned, one expiring, a device MTU changed, a device
 * closed and opened: each is seen by the next send. */
static void test_route_cache_mtu_and_device(void **state)
{
	u32 d = IPV4(198, 18, 0, 50);

	(void)state;
	assert_int_equal(route_out(d, 0).mtu, 1500);
	ip_pmtu_update(d, 1400);
	assert_int_equal(route_out(d, 0).mtu, 1400);
	u64 m = ip_route_cache_misses();
	assert_int_equal(route_out(d, 0).mtu, 1400);
	assert_int_equal(ip_route_cache_misses(), m);
	host_clock_advance_ms(600001); /* RFC 1191 6.3: expired, no event */
	assert_int_equal(route_out(d, 0).mtu, 1500);
	assert_int_equal(ip_route_cache_misses(), m + 1);
	assert_int_equal(dev_set_mtu(eth0, 1280), 0);
	assert_int_equal(route_out(d, 0).mtu, 1280);
	assert_int_equal(dev_set_mtu(eth0, 1500), 0);
	assert_int_equal(route_out(d, 0).mtu, 1500);
	m = ip_route_cache_misses();
	dev_close(eth1);
	route_out(d, 0);
	assert_int_equal(ip_route_cache_misses(), m + 1);
	assert_int_equal(dev_open(eth1), 0);
	route_out(d, 0);
	assert_int_equal(ip_route_cache_misses(), m + 2);
}

/* Console address forms: config.c's strict dotted quad, plus /N. */
static void test_text_forms(void **state)
{
	char buf[16];
	u32 a;
	u8 len;

	(void)state;
	assert_string_equal(ip_str(IPV4(198, 18, 0, 255), buf), "198.18.0.255");
	assert_int_equal(inet_parse_addr("198.18.0.2", &a), 0);
	assert_int_equal(a, IPV4(198, 18, 0, 2));
	const char *bad[] = {"",       "1.2.3",	  "1.2.3.4.5", "256.0.0.1",
			     "1.2.3.", "a.b.c.d", "1.2.3.4/8", " 1.2.3.4",
			     "1..2.3", "01.2.3.4"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(inet_parse_addr(bad[i], &a), -EINVAL);
	assert_int_equal(inet_parse_prefix("198.18.0.2/24", &a, &len), 0);
	assert_int_equal(a, IPV4(198, 18, 0, 2));
	assert_int_equal(len, 24);
	assert_int_equal(inet_parse_prefix("10.0.0.1", &a, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(inet_parse_prefix("0.0.0.0/0", &a, &len), 0);
	assert_int_equal(len, 0);
	const char *badp[] = {"10.0.0.0/33", "10.0.0.0/",   "10.0.0.0/8x",
			      "10.0.0/8",    "10.0.0.0/-1", "10.0.0.0/008"};
	for (size_t i = 0; i < ARRAY_SIZE(badp); i++)
		assert_int_equal(inet_parse_prefix(badp[i], &a, &len), -EINVAL);
}

/* ---- commands -------------------------------------------------------------
 */

static void test_ip_route_command(void **state)
{
	(void)state;
	assert_int_equal(host_shell_run("ip route add default via 198.18.0.1"),
			 0);
	assert_int_equal(
	    host_shell_run("ip route add 10.0.0.0/8 via 198.18.0.254 dev eth0"),
	    0);
	assert_int_equal(host_shell_run("ip r a 10.9.9.9 via 198.18.0.1"), 0);
	assert_int_equal(host_shell_run("ip route"), 0);
	assert_string_equal(
	    host_shell_output(),
	    "default via 198.18.0.1 dev eth0\n"
	    "10.0.0.0/8 via 198.18.0.254 dev eth0\n"
	    "10.9.9.9 via 198.18.0.1 dev eth0\n"
	    "198.18.0.0/24 dev eth0 proto kernel scope link src 198.18.0.2\n");
	assert_int_equal(host_shell_run("ip route get 10.1.1.1"), 0);
	assert_string_equal(
	    host_shell_output(),
	    "10.1.1.1 via 198.18.0.254 dev eth0 src 198.18.0.2\n"
	    "    cache\n");
	/* Errors in iproute2's words. */
	assert_int_equal(host_shell_run("ip route add 10.0.0.0/8 via "
					"198.18.0.1"),
			 SHELL_ERR_SHOWN);
	assert_string_equal(host_shell_output(),
			    "RTNETLINK answers: File exists\n");
	assert_int_equal(host_shell_run("ip route add 10.0.0.1/8 via "
					"198.18.0.1"),
			 SHELL_ERR_SHOWN);
	assert_non_null(strstr(host_shell_output(), "Invalid prefix"));
	assert_int_equal(host_shell_run("ip route add 11.0.0.0/8 via 9.9.9.9"),
			 SHELL_ERR_SHOWN);
	assert_non_null(strstr(host_shell_output(), "invalid gateway"));
	assert_int_equal(host_shell_run("ip route add 11.0.0.0/8 dev nosuch"),
			 SHELL_ERR_SHOWN);
	assert_int_equal(host_shell_run("ip route add 11.0.0.0/8"), -EINVAL);
	assert_int_equal(host_shell_run("ip route add 11.0.0.0/8 via"),
			 -EINVAL);
	assert_int_equal(host_shell_run("ip route del 12.0.0.0/8"),
			 SHELL_ERR_SHOWN);
	assert_string_equal(host_shell_output(),
			    "RTNETLINK answers: No such process\n");
	assert_int_equal(host_shell_run("ip route get 1.2.3.4"), 0);
	/* Deleting. */
	assert_int_equal(host_shell_run("ip route del default"), 0);
	assert_int_equal(host_shell_run("ip route del 10.0.0.0/8"), 0);
	assert_int_equal(host_shell_run("ip route del 10.9.9.9/32"), 0);
	assert_int_equal(host_shell_run("ip route get 1.2.3.4"),
			 SHELL_ERR_SHOWN);
	assert_int_equal(host_shell_run("ip route show"), 0);
	assert_string_equal(host_shell_output(),
			    "198.18.0.0/24 dev eth0 proto kernel scope link "
			    "src 198.18.0.2\n");
	assert_int_equal(host_shell_run("ip bogus"), SHELL_ERR_SHOWN);
}

static void test_ip_addr_command(void **state)
{
	(void)state;
	assert_int_equal(host_shell_run("ip addr show eth0"), 0);
	const char *out = host_shell_output();
	assert_non_null(strstr(out, ": eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> "
				    "mtu 1500 qdisc pfifo_fast state UP group "
				    "default qlen "));
	assert_non_null(strstr(out, "    link/ether 52:54:00:12:34:56 brd "
				    "ff:ff:ff:ff:ff:ff\n"));
	assert_non_null(strstr(out, "    inet 198.18.0.2/24 brd 198.18.0.255 "
				    "scope global eth0\n"
				    "       valid_lft forever preferred_lft "
				    "forever\n"));
	assert_int_equal(host_shell_run("ip addr add 198.18.0.3/24 dev eth0"),
			 0);
	assert_int_equal(host_shell_run("ip a"), 0);
	out = host_shell_output();
	assert_non_null(strstr(out, "    inet 198.18.0.3/24 brd 198.18.0.255 "
				    "scope global secondary eth0\n"));
	assert_non_null(strstr(out, ": eth1: "));
	assert_int_equal(host_shell_run("ip addr add 198.18.0.3/24 dev eth0"),
			 SHELL_ERR_SHOWN);
	assert_string_equal(host_shell_output(),
			    "RTNETLINK answers: File exists\n");
	assert_int_equal(host_shell_run("ip addr del 198.18.0.3/24 dev eth0"),
			 0);
	assert_int_equal(host_shell_run("ip addr del 198.18.0.3/24 dev eth0"),
			 SHELL_ERR_SHOWN);
	assert_string_equal(host_shell_output(), "RTNETLINK answers: Cannot "
						 "assign requested address\n");
	assert_int_equal(host_shell_run("ip addr add 1.2.3.4 dev nosuch"),
			 SHELL_ERR_SHOWN);
	assert_int_equal(host_shell_run("ip addr add 1.2.3/8 dev eth0"),
			 -EINVAL);
	assert_int_equal(host_shell_run("ip addr show nosuch"),
			 SHELL_ERR_SHOWN);
	/* The connected route is still there (198.18.0.2 keeps it). */
	struct fib_result res;
	assert_int_equal(fib_lookup(IPV4(198, 18, 0, 9), &res), 0);
	host_fakedev_tx_clear(eth0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, route_setup, ipt_teardown)
	    T(test_connected_route),
	    T(test_longest_prefix_and_default),
	    T(test_add_errors),
	    T(test_address_lifecycle),
	    T(test_source_selection),
	    T(test_pmtu_cache),
	    T(test_text_forms),
	    T(test_ip_route_command),
	    T(test_ip_addr_command),
	    T(test_route_cache_hits),
	    T(test_route_cache_route_change),
	    T(test_route_cache_address_change),
	    T(test_route_cache_mtu_and_device),
#undef T
	};

	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
