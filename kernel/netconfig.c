/*
 * netconfig.c - apply the network configuration to the first NIC and
 * announce readiness.
 *
 * net_configure (after the drivers have registered their devices):
 *   mac= -> mtu= -> ip=A.B.C.D/N (address + connected route + gratuitous
 *   ARP) -> gw= (default route) -> route= (static routes)
 *   or ip=dhcp: dhcp_begin, the DHCP client's driver (below)
 * ready_check (a timer, every 100 ms until it fires once): when the link is
 * up and the address configured, print the contract line
 *   skiff: ready ip=<addr> mac=<mac> http=<port> echo=<port>
 */
#include <skiff/config.h>
#include <skiff/console.h>
#include <skiff/kernel.h>
#include <skiff/net/dhcp.h>
#include <skiff/net/ether.h>
#include <skiff/net/inet.h>
#include <skiff/net/route.h>
#include <skiff/netdevice.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <skiff/net/netcore.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct timer_list ready_timer;
static bool ready_printed;

/* tbf.rate= (and tbf.burst=, tbf.latency=): the egress shaper, after the
 * MTU, which the burst must hold a frame of. */
static void apply_tbf(struct net_device *dev)
{
	struct tbf_params p = {.rate = kcfg.tbf_rate / 8,
			       .latency_ms = kcfg.tbf_latency_ms};
	char why[96] = "", rate[32];
	p.burst =
	    kcfg.tbf_burst ? kcfg.tbf_burst : tbf_auto_burst(p.rate, dev->mtu);
	format_rate(kcfg.tbf_rate, rate, sizeof(rate));
	if (qdisc_set_tbf(dev, &p, why, sizeof(why)) < 0) {
		pr_warn("net: %s: tbf.rate=%s not applied: %s\n", dev->name,
			rate, why);
		return;
	}
	struct qdisc_stats s;
	qdisc_get_stats(dev, &s);
	pr_info("net: %s: tbf shaper, rate %s burst %u bytes limit %u bytes "
		"(%u ms)\n",
		dev->name, rate, s.tbf.burst, s.tbf.limit, s.tbf.latency_ms);
}

static void apply_link(struct net_device *dev)
{
	if (kcfg.mac_set && dev_set_mac_address(dev, kcfg.mac) < 0)
		pr_warn("net: %s: cannot set mac from config\n", dev->name);
	if (kcfg.mtu != dev->mtu && dev_set_mtu(dev, kcfg.mtu) < 0)
		pr_warn("net: %s: mtu %u refused, keeping %u\n", dev->name,
			kcfg.mtu, dev->mtu);
	if (kcfg.tbf_rate)
		apply_tbf(dev);
}

/* route=NET/LEN,GW words, already validated by the config parser. */
static void apply_routes(void)
{
	for (unsigned i = 0; i < kcfg.route_count; i++) {
		char net[20];
		const char *r = kcfg.route[i], *slash = strchr(r, '/');
		const char *comma = strchr(r, ',');
		u32 dst, gw;
		if (!slash || !comma || slash - r >= (long)sizeof(net))
			continue;
		memcpy(net, r, (size_t)(slash - r));
		net[slash - r] = 0;
		u8 prefix = (u8)strtoul(slash + 1, NULL, 10);
		if (parse_ipv4(net, strlen(net), &dst) ||
		    parse_ipv4(comma + 1, strlen(comma + 1), &gw))
			continue;
		int err = fib_add(dst, prefix, gw, NULL, RT_STATIC);
		if (err < 0)
			pr_warn("net: route=%s not added (%d)\n", r, err);
	}
}

/* ---- ip=dhcp ----------------------------------------------------------------
 *
 * net/dhcp_client.c runs the client and configures the address, routes
 * and MTU; what lives in the configuration comes back here: DNS servers
 * (unless dns= was given), the hostname, and the route= words once the
 * first lease is bound. The ready line (ready_check) waits for the
 * address, so it shows the lease.
 */

static bool dns_from_config;

static void dhcp_on_lease(const struct dhcp_lease *l, bool fresh)
{
	if (!dns_from_config && l->dns_count) {
		u8 n = l->dns_count < CFG_MAX_DNS ? l->dns_count : CFG_MAX_DNS;
		memcpy(kcfg.dns, l->dns, n * sizeof(l->dns[0]));
		kcfg.dns_count = n;
	}
	if (l->hostname[0] && strcmp(l->hostname, kcfg.hostname) != 0) {
		snprintf(kcfg.hostname, sizeof(kcfg.hostname), "%s",
			 l->hostname);
		pr_info("dhcp: hostname %s\n", kcfg.hostname);
	}
	if (!fresh)
		return;
	/* gw= with ip=dhcp: the configured gateway instead of option 3. */
	int err = kcfg.gw ? fib_add(0, 0, kcfg.gw, NULL, RT_DEFAULT_GW) : 0;
	if (err < 0 && err != -EEXIST)
		pr_warn("net: gw= not reachable after the lease (%d)\n", err);
	apply_routes();
}

static void dhcp_begin(struct net_device *dev)
{
	struct dhcp_client_cfg cfg = {
	    .hostname = kcfg.hostname,
	    .use_router = kcfg.gw == 0, /* gw= wins over option 3 */
	    .on_lease = dhcp_on_lease,
	};
	dns_from_config = kcfg.dns_count > 0;
	int err = dhcp_client_start(dev, &cfg);
	if (err < 0)
		pr_err("dhcp: %s: client not started (%d); no address\n",
		       dev->name, err);
}

static void apply_ipv4(struct net_device *dev)
{
	char a[16];
	if (kcfg.ip_dhcp) {
		dhcp_begin(dev);
		return;
	}
	int err = inet_addr_add(dev, kcfg.ip_addr, kcfg.ip_prefix);
	format_ipv4(kcfg.ip_addr, a, sizeof(a));
	if (err < 0) {
		pr_err("net: %s: address %s/%u refused (%d)\n", dev->name, a,
		       kcfg.ip_prefix, err);
		return;
	}
	pr_info("net: %s: %s/%u\n", dev->name, a, kcfg.ip_prefix);
	if (kcfg.gw && fib_add(0, 0, kcfg.gw, dev, RT_DEFAULT_GW) < 0)
		pr_warn("net: gw= not reachable from %s\n", dev->name);
	apply_routes();
}

static void ready_check(struct timer_list *t)
{
	struct net_device *dev = dev_first();
	u32 addr = dev ? inet_dev_addr(dev) : 0;
	if (!dev || !dev->carrier || !addr) {
		mod_timer(t, get_jiffies() + msecs_to_jiffies(100));
		return;
	}
	char ip[16], mac[18], line[128];
	format_ipv4(addr, ip, sizeof(ip));
	format_mac(dev->dev_addr, mac);
	int n = snprintf(line, sizeof(line),
			 "skiff: ready ip=%s mac=%s http=%u echo=%u\n", ip, mac,
			 kcfg.http_port, kcfg.echo_port);
	/* The contract line goes to the console whatever the log level. */
	shell_announce(line, (size_t)n);
	pr_debug("%s", line);
	ready_printed = true;
}

void net_configure(void)
{
	struct net_device *dev = dev_first();
	if (!dev) {
		pr_warn("net: no network device found; no ready line\n");
		return;
	}
	apply_link(dev);
	apply_ipv4(dev);
	kernel_timer_setup(&ready_timer, ready_check);
	mod_timer(&ready_timer, get_jiffies() + 1);
}
