/*
 * dhcp_client.c - the DHCP client's driver: net/dhcp.c decides, this file
 * does what its struct dhcp_action says.
 *
 *   dhcp_client_start -> udp_kernel_listen(68) -> dhcp_start -> dhcp_run
 *   dhcp_udp_rcv (UDP 68) -> dhcp_parse -> dhcp_rx -> dhcp_run
 *   dhcp_timer -> dhcp_tick -> dhcp_run
 *   dhcp_probe_cb (arp_probe's verdict) -> dhcp_probe_done -> dhcp_run
 *   dhcp_run: remove -> send -> probe -> apply -> arm the timer
 *
 * send: the UDP datagram 68 -> 67 is built here (RFC 768 header, checksum
 * over the pseudo-header with saddr 0 before we have an address) and
 * handed to ip_send_skb with out.dev set, so the limited broadcast leaves
 * through our device (RFC 1122 3.3.6) and a unicast renewal is routed
 * on-link or through the gateway of that device.
 *
 * Locking: dhcpd.lock (bh) guards the client state; the decisions are
 * copied out (struct dhcp_work) and carried out after unlocking, so no
 * lock is held across ip_send_skb, arp_probe or the address calls.
 */
#include <skiff/net/dhcp.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/neighbour.h>
#include <skiff/net/route.h>
#include <skiff/net/socket.h>
#include <skiff/netdevice.h>
#include <skiff/printk.h>
#include <skiff/shell.h>
#include <skiff/skbuff.h>
#include <skiff/spinlock.h>
#include <skiff/time.h>
#include <skiff/timer.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define UDP_HLEN 8
#define NS_PER_S 1000000000ULL

static struct {
	spinlock_t lock; /* guards c */
	struct dhcp_client c;
	struct net_device *dev;
	struct dhcp_client_cfg cfg;
	struct timer_list timer;
	bool running;
	u32 router; /* the default route we added, 0 = none */
} dhcpd = {.lock = SPIN_LOCK_INIT("dhcp")};

/* One decision and the lease it may apply, copied out under the lock. */
struct dhcp_work {
	struct dhcp_action a;
	struct dhcp_lease lease;
};

static void dhcp_run(struct dhcp_work *w);

static char *ip_str(u32 addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}

/* ---- transmit -------------------------------------------------------------
 */

/* The UDP header (RFC 768) in front of the message, with its checksum. */
static void dhcp_udp_header(struct sk_buff *skb, u32 saddr, u32 daddr)
{
	u16 ulen = (u16)(skb->len + UDP_HLEN);
	u8 *h = skb_push(skb, UDP_HLEN);
	h[0] = 0, h[1] = DHCP_CLIENT_PORT;
	h[2] = 0, h[3] = DHCP_SERVER_PORT;
	h[4] = (u8)(ulen >> 8), h[5] = (u8)ulen;
	h[6] = h[7] = 0;
	u32 sum = csum_partial(h, ulen, 0);
	u16 csum =
	    csum_fold(csum_tcpudp_nofold(saddr, daddr, ulen, IPPROTO_UDP, sum));
	if (csum == 0)
		csum = 0xffff; /* RFC 768: 0 would mean "no checksum" */
	h[6] = (u8)(csum >> 8), h[7] = (u8)csum;
}

static void dhcp_send(const struct dhcp_action *a)
{
	const u32 room = 576; /* RFC 2131 2: the size every client may send */
	struct sk_buff *skb = alloc_skb(MAX_HEADER + UDP_HLEN + room);
	if (!skb)
		return;
	skb_reserve(skb, MAX_HEADER + UDP_HLEN);
	int n = dhcp_emit(&a->msg, skb_put(skb, room), room);
	if (n < 0) {
		kfree_skb(skb);
		return;
	}
	skb_trim(skb, (u32)n);
	dhcp_udp_header(skb, a->saddr, a->daddr);
	struct ip_out out = {.saddr = a->saddr,
			     .daddr = a->daddr,
			     .protocol = IPPROTO_UDP,
			     .dev = dhcpd.dev};
	int err = ip_send_skb(skb, &out);
	if (err < 0)
		pr_debug("dhcp: send failed (%d)\n", err);
}

/* ---- configuration ------------------------------------------------------- */

static void dhcp_remove(const struct dhcp_action *a)
{
	char ip[16];
	pr_info("dhcp: %s: lease of %s/%u ended; address removed\n",
		dhcpd.dev->name, ip_str(a->remove_addr, ip), a->remove_prefix);
	if (dhcpd.router) {
		fib_del(0, 0);
		dhcpd.router = 0;
	}
	inet_addr_del(dhcpd.dev, a->remove_addr, a->remove_prefix);
}

/* Router (RFC 2132 3.5) and MTU (5.1) from the lease. */
static void dhcp_apply_options(const struct dhcp_lease *l)
{
	struct net_device *dev = dhcpd.dev;
	if (dhcpd.cfg.use_router && l->router && l->router != dhcpd.router) {
		if (dhcpd.router)
			fib_del(0, 0);
		bool ok = fib_add(0, 0, l->router, dev, RT_DEFAULT_GW) == 0;
		dhcpd.router = ok ? l->router : 0;
	}
	if (l->mtu && l->mtu != dev->mtu && dev_set_mtu(dev, l->mtu) < 0)
		pr_warn("dhcp: %s: mtu %u refused\n", dev->name, l->mtu);
}

static void dhcp_apply(const struct dhcp_lease *l)
{
	char ip[16], srv[16];
	bool fresh = !inet_addr_is_local(dhcpd.dev, l->addr);
	ip_str(l->addr, ip);
	if (fresh) {
		int err = inet_addr_add(dhcpd.dev, l->addr, l->prefix);
		if (err < 0 && err != -EEXIST) {
			pr_err("dhcp: %s: address %s/%u refused (%d)\n",
			       dhcpd.dev->name, ip, l->prefix, err);
			return;
		}
	}
	pr_info("dhcp: %s: %s %s/%u from %s, lease %u s\n", dhcpd.dev->name,
		fresh ? "bound" : "renewed", ip, l->prefix,
		ip_str(l->server_id, srv), l->lease_s);
	dhcp_apply_options(l);
	if (dhcpd.cfg.on_lease)
		dhcpd.cfg.on_lease(l, fresh);
}

/* ---- the machine's inputs ------------------------------------------------ */

static void dhcp_probe_cb(bool conflict, void *arg)
{
	struct dhcp_work w;
	(void)arg;
	if (conflict)
		pr_warn("dhcp: %s: offered address in use (ARP probe); "
			"declining\n",
			dhcpd.dev->name);
	spin_lock_bh(&dhcpd.lock);
	dhcp_probe_done(&dhcpd.c, conflict, ktime_get_ns(), &w.a);
	w.lease = dhcpd.c.lease;
	spin_unlock_bh(&dhcpd.lock);
	dhcp_run(&w);
}

static void dhcp_arm(u64 next_ns)
{
	if (!next_ns)
		return;
	u64 now = ktime_get_ns();
	u64 ms = next_ns > now ? (next_ns - now + 999999) / 1000000 : 0;
	mod_timer(&dhcpd.timer, get_jiffies() + msecs_to_jiffies(ms) + 1);
}

/* Carry out one decision: remove, send, probe, apply, then the timer. A
 * RELEASE goes out before the removal, from the address it gives back;
 * the others that come with a removal (DISCOVER after expiry or NAK) are
 * from 0.0.0.0, which IP would fill in while an address is still there. */
static void dhcp_run(struct dhcp_work *w)
{
	struct dhcp_action *a = &w->a;
	bool release = a->send && a->msg.type == DHCPRELEASE;
	if (release)
		dhcp_send(a);
	if (a->remove)
		dhcp_remove(a);
	if (a->send && !release)
		dhcp_send(a);
	if (a->probe &&
	    arp_probe(dhcpd.dev, a->probe_addr, dhcp_probe_cb, NULL) < 0)
		dhcp_probe_cb(false, NULL); /* no probe slot: go ahead */
	if (a->apply)
		dhcp_apply(&w->lease);
	dhcp_arm(a->next_ns);
}

static void dhcp_timer(struct timer_list *t)
{
	struct dhcp_work w;
	(void)t;
	spin_lock_bh(&dhcpd.lock);
	dhcp_tick(&dhcpd.c, ktime_get_ns(), &w.a);
	w.lease = dhcpd.c.lease;
	spin_unlock_bh(&dhcpd.lock);
	dhcp_run(&w);
}

/* UDP 68: a server's reply, skb->data at the DHCP message. A message that
 * does not parse is counted and never reaches the machine. */
static void dhcp_udp_rcv(struct sk_buff *skb, u32 saddr, u16 sport, u32 daddr,
			 void *arg)
{
	struct dhcp_msg m;
	struct dhcp_work w;
	(void)saddr, (void)daddr, (void)arg;
	int err = sport == DHCP_SERVER_PORT && skb->dev == dhcpd.dev
		      ? dhcp_parse(skb->data, skb->len, &m)
		      : -EINVAL;
	consume_skb(skb);
	spin_lock_bh(&dhcpd.lock);
	if (err) {
		dhcpd.c.rx_ignored++;
		spin_unlock_bh(&dhcpd.lock);
		return;
	}
	dhcp_rx(&dhcpd.c, &m, ktime_get_ns(), &w.a);
	w.lease = dhcpd.c.lease;
	spin_unlock_bh(&dhcpd.lock);
	dhcp_run(&w);
}

int dhcp_client_start(struct net_device *dev, const struct dhcp_client_cfg *cfg)
{
	struct dhcp_work w;
	if (dhcpd.running)
		return -EBUSY;
	u32 seed = (u32)ktime_get_ns();
	for (int i = 0; i < ETH_ALEN; i++)
		seed = seed * 31 + dev->dev_addr[i];
	int err = udp_kernel_listen(DHCP_CLIENT_PORT, dhcp_udp_rcv, NULL);
	if (err < 0)
		return err;
	dhcpd.dev = dev;
	dhcpd.cfg = *cfg;
	kernel_timer_setup(&dhcpd.timer, dhcp_timer);
	pr_info("dhcp: %s: discovering\n", dev->name);
	spin_lock_bh(&dhcpd.lock);
	dhcp_client_init(&dhcpd.c, dev->dev_addr, seed, cfg->hostname);
	dhcp_start(&dhcpd.c, ktime_get_ns(), &w.a);
	w.lease = dhcpd.c.lease;
	dhcpd.running = true;
	spin_unlock_bh(&dhcpd.lock);
	dhcp_run(&w);
	return 0;
}

/* ---- `dhcp` ---------------------------------------------------------------
 */

static void print_in(const char *what, u64 at_ns, u64 now)
{
	if (at_ns == ~0ULL)
		shell_printf("  %s never\n", what);
	else if (at_ns > now)
		shell_printf("  %s in %llu s\n", what,
			     (at_ns - now + NS_PER_S - 1) / NS_PER_S);
	else
		shell_printf("  %s now\n", what);
}

static void dhcp_show_lease(const struct dhcp_client *c, u64 now)
{
	const struct dhcp_lease *l = &c->lease;
	char ip[16], srv[16], gw[16];
	shell_printf("  lease %s/%u from %s, %u s (T1 %u s, T2 %u s)\n",
		     ip_str(l->addr, ip), l->prefix, ip_str(l->server_id, srv),
		     l->lease_s, l->t1_s, l->t2_s);
	shell_printf("  router %s mtu %u hostname %s\n",
		     l->router ? ip_str(l->router, gw) : "none", l->mtu,
		     l->hostname[0] ? l->hostname : "-");
	shell_printf("  dns");
	for (unsigned i = 0; i < l->dns_count; i++)
		shell_printf(" %s", ip_str(l->dns[i], gw));
	shell_printf("%s\n", l->dns_count ? "" : " none");
	print_in("renew (T1)", c->t1_ns, now);
	print_in("rebind (T2)", c->t2_ns, now);
	print_in("expires", c->expiry_ns, now);
}

/* `dhcp renew` / `dhcp release`: the operator's two actions. */
static int dhcp_operator(bool release)
{
	struct dhcp_work w;
	char ip[16];
	spin_lock_bh(&dhcpd.lock);
	u32 addr = dhcpd.c.have_lease ? dhcpd.c.lease.addr : 0;
	int err = release ? dhcp_release(&dhcpd.c, ktime_get_ns(), &w.a)
			  : dhcp_renew(&dhcpd.c, ktime_get_ns(), &w.a);
	w.lease = dhcpd.c.lease;
	spin_unlock_bh(&dhcpd.lock);
	if (err == -EBUSY) {
		shell_printf("dhcp: probing the offered address; try again in "
			     "a few seconds\n");
		return SHELL_ERR_SHOWN;
	}
	dhcp_run(&w);
	if (release && err == -ENOENT)
		shell_printf("dhcp: no lease to release; stopped trying "
			     "(`dhcp renew` starts again)\n");
	else if (release)
		shell_printf("dhcp: released %s; `dhcp renew` asks for a lease "
			     "again\n",
			     ip_str(addr, ip));
	else if (addr)
		shell_printf("dhcp: renewing %s (REQUEST to the server)\n",
			     ip_str(addr, ip));
	else
		shell_printf("dhcp: discovering\n");
	return 0;
}

static int cmd_dhcp(int argc, char **argv)
{
	if (argc > 2 ||
	    (argc == 2 && strcmp(argv[1], "renew") != 0 &&
	     strcmp(argv[1], "release") != 0 && strcmp(argv[1], "show") != 0))
		return -EINVAL;
	if (!dhcpd.running) {
		shell_printf("dhcp: not running (ip= is static)\n");
		return argc == 2 && strcmp(argv[1], "show") != 0
			   ? SHELL_ERR_SHOWN
			   : 0;
	}
	if (argc == 2 && strcmp(argv[1], "show") != 0)
		return dhcp_operator(strcmp(argv[1], "release") == 0);
	spin_lock_bh(&dhcpd.lock);
	struct dhcp_client c = dhcpd.c;
	spin_unlock_bh(&dhcpd.lock);
	u64 now = ktime_get_ns();
	shell_printf("%s: state %s%s xid 0x%08x\n", dhcpd.dev->name,
		     dhcp_state_name(c.state),
		     c.released ? " (released: `dhcp renew` starts again)" : "",
		     c.xid);
	if (c.have_lease)
		dhcp_show_lease(&c, now);
	else if (c.next_ns)
		print_in("next try", c.next_ns, now);
	shell_printf("  sent discover %u request %u decline %u release %u; "
		     "received offer %u ack %u nak %u ignored %u; conflicts %u "
		     "expiries %u\n",
		     c.tx_discover, c.tx_request, c.tx_decline, c.tx_release,
		     c.rx_offer, c.rx_ack, c.rx_nak, c.rx_ignored, c.conflicts,
		     c.expiries);
	return 0;
}
SHELL_CMD("dhcp", cmd_dhcp, "dhcp [show|renew|release]",
	  "DHCP client: state, lease, server, T1/T2/expiry countdowns; renew "
	  "the lease now, or release it");
