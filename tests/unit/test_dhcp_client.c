/*
 * test_dhcp_client.c - the DHCP client's driver (net/dhcp_client.c) on
 * the whole host-built stack with the fake device: the bytes on the wire
 * and the configuration that results.
 *
 * A fake server answers by hand: DISCOVER (limited broadcast from 0.0.0.0,
 * UDP 68 -> 67, valid checksum) -> OFFER -> REQUEST -> a malformed ACK
 * (ignored) -> ACK -> three RFC 5227 probes -> bound: address, connected
 * and default route, MTU, the callback, `dhcp` -> T1: ARP for the server,
 * unicast REQUEST from the leased address -> ACK (renewed) -> T1 again ->
 * NAK: address and default route removed, DISCOVER again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/arp_wire.h>
#include <skiff/net/dhcp.h>
#include <skiff/net/ether.h>
#include <skiff/net/ether_wire.h>
#include <skiff/net/inet.h>
#include <skiff/net/ip.h>
#include <skiff/net/ip_wire.h>
#include <skiff/net/net.h>
#include <skiff/net/route.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

#define SRV IPV4(198, 18, 0, 1)
#define YI IPV4(198, 18, 0, 50)
#define BCAST 0xffffffffu

static const u8 our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 srv_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
static const u8 bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static struct net_device *dev;
static int leases, fresh_leases;

static void on_lease(const struct dhcp_lease *l, bool fresh)
{
	assert_int_equal(l->addr, YI);
	leases++;
	fresh_leases += fresh;
}

/* ---- frames out -----------------------------------------------------------
 */

struct sent {
	struct eth_hdr_info eth;
	struct iphdr_info ip;
	struct arp_info arp;
	struct dhcp_msg msg;
	u16 sport, dport;
};

/* Pop the next frame; for UDP check the checksum and parse DHCP. */
static bool pop(struct sent *s)
{
	u8 f[2048];
	u8 problem;
	memset(s, 0, sizeof(*s));
	int len = host_fakedev_pop_tx(dev, f, sizeof(f));
	if (len < 0)
		return false;
	assert_int_equal(eth_hdr_parse(f, (size_t)len, &s->eth), 0);
	if (s->eth.type == ETH_P_ARP) {
		assert_int_equal(
		    arp_parse(f + ETH_HLEN, (size_t)len - ETH_HLEN, &s->arp),
		    ARP_PARSE_OK);
		return true;
	}
	assert_int_equal(s->eth.type, ETH_P_IP);
	const u8 *ip = f + ETH_HLEN;
	assert_int_equal(
	    ip_hdr_parse(ip, (size_t)len - ETH_HLEN, &s->ip, &problem),
	    IP_PARSE_OK);
	assert_int_equal(s->ip.protocol, IPPROTO_UDP);
	const u8 *udp = ip + s->ip.ihl_bytes;
	u16 ulen = (u16)(udp[4] << 8 | udp[5]);
	assert_int_equal(ulen, s->ip.tot_len - s->ip.ihl_bytes);
	u32 sum = csum_partial(udp, ulen, 0);
	assert_int_equal(csum_fold(csum_tcpudp_nofold(s->ip.saddr, s->ip.daddr,
						      ulen, IPPROTO_UDP, sum)),
			 0);
	s->sport = (u16)(udp[0] << 8 | udp[1]);
	s->dport = (u16)(udp[2] << 8 | udp[3]);
	assert_int_equal(dhcp_parse(udp + 8, ulen - 8u, &s->msg), 0);
	return true;
}

/* Pop frames until a DHCP message; ARP frames are skipped (counted). */
static void pop_dhcp(struct sent *s, u8 type, int *arps)
{
	while (pop(s)) {
		if (s->eth.type == ETH_P_ARP) {
			if (arps)
				(*arps)++;
			continue;
		}
		assert_int_equal(s->sport, DHCP_CLIENT_PORT);
		assert_int_equal(s->dport, DHCP_SERVER_PORT);
		assert_int_equal(s->msg.type, type);
		return;
	}
	fail_msg("no DHCP message of type %u sent", type);
}

/* ---- frames in ------------------------------------------------------------
 */

static size_t put32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24), p[1] = (u8)(v >> 16), p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
	return 4;
}

/* A server reply (RFC 2131 2) with a 120 s lease, T1 60 s, T2 105 s. */
static size_t server_msg(u8 *b, u8 type, u32 xid)
{
	memset(b, 0, 240);
	b[0] = BOOTREPLY, b[1] = 1, b[2] = 6;
	put32(b + 4, xid);
	if (type != DHCPNAK)
		put32(b + 16, YI);
	memcpy(b + 28, our_mac, 6);
	put32(b + 236, DHCP_MAGIC);
	u8 *o = b + 240;
	*o++ = DHO_MSG_TYPE, *o++ = 1, *o++ = type;
	*o++ = DHO_SERVER_ID, *o++ = 4, o += put32(o, SRV);
	if (type != DHCPNAK) {
		*o++ = DHO_LEASE_TIME, *o++ = 4, o += put32(o, 120);
		*o++ = DHO_SUBNET_MASK, *o++ = 4, o += put32(o, 0xffffff00u);
		*o++ = DHO_ROUTERS, *o++ = 4, o += put32(o, SRV);
		*o++ = DHO_MTU, *o++ = 2, *o++ = 1400 >> 8, *o++ = 1400 & 0xff;
	}
	*o++ = DHO_END;
	return (size_t)(o - b);
}

/* Ethernet + IP + UDP 67 -> 68 (checksum 0: none, RFC 768) + payload. */
static void rx_udp(const u8 *eth_dst, u32 daddr, const u8 *payload, size_t len)
{
	u8 f[1024];
	struct eth_hdr_info e = {.type = ETH_P_IP};
	memcpy(e.dst, eth_dst, 6);
	memcpy(e.src, srv_mac, 6);
	eth_hdr_emit(&e, f);
	struct iphdr_info h = {.version = 4,
			       .ihl_bytes = 20,
			       .ttl = 64,
			       .protocol = IPPROTO_UDP,
			       .saddr = SRV,
			       .daddr = daddr,
			       .tot_len = (u16)(20 + 8 + len)};
	ip_hdr_emit(&h, f + ETH_HLEN);
	u8 *udp = f + ETH_HLEN + 20;
	udp[0] = 0, udp[1] = 67, udp[2] = 0, udp[3] = 68;
	udp[4] = (u8)((8 + len) >> 8), udp[5] = (u8)(8 + len);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, payload, len);
	host_fakedev_rx(dev, f, ETH_HLEN + 28 + len);
}

static void rx_reply(u8 type, u32 xid, bool unicast)
{
	u8 b[512];
	size_t n = server_msg(b, type, xid);
	rx_udp(unicast ? our_mac : bcast_mac, unicast ? YI : BCAST, b, n);
}

static void rx_arp_reply(void)
{
	u8 f[64];
	struct eth_hdr_info e = {.type = ETH_P_ARP};
	struct arp_info a = {.op = ARPOP_REPLY, .spa = SRV, .tpa = YI};
	memcpy(e.dst, our_mac, 6);
	memcpy(e.src, srv_mac, 6);
	memcpy(a.sha, srv_mac, 6);
	memcpy(a.tha, our_mac, 6);
	eth_hdr_emit(&e, f);
	arp_emit(&a, f + ETH_HLEN);
	host_fakedev_rx(dev, f, ETH_HLEN + ARP_PKT_LEN);
}

/* ---- the test -------------------------------------------------------------
 */

/* Move the clock in 100 ms steps (at most max_ms) until a DHCP message
 * goes out, answering ARP requests for the server on the way (so that
 * resolution never runs out of retries) and skipping other ARP. */
static void next_dhcp(struct sent *s, u8 type, u64 max_ms)
{
	for (u64 t = 0; t <= max_ms; t += 100) {
		while (pop(s)) {
			if (s->eth.type != ETH_P_ARP) {
				assert_int_equal(s->msg.type, type);
				return;
			}
			if (s->arp.op == ARPOP_REQUEST && s->arp.tpa == SRV &&
			    s->arp.spa == YI)
				rx_arp_reply();
		}
		host_clock_advance_ms(100);
	}
	fail_msg("no DHCP message of type %u within %llu ms", type,
		 (unsigned long long)max_ms);
}

static void expect_discover(struct sent *s)
{
	pop_dhcp(s, DHCPDISCOVER, NULL);
	assert_memory_equal(s->eth.dst, bcast_mac, 6);
	assert_memory_equal(s->eth.src, our_mac, 6);
	assert_int_equal(s->ip.saddr, 0); /* RFC 2131 4.1 */
	assert_int_equal(s->ip.daddr, BCAST);
	assert_int_equal(s->msg.flags, DHCP_FLAG_BROADCAST);
	assert_memory_equal(s->msg.chaddr, our_mac, 6);
	assert_string_equal(s->msg.hostname, "skiff");
}

/* DISCOVER .. bound; returns the xid. */
static u32 acquire(void)
{
	struct sent s;
	struct dhcp_client_cfg cfg = {
	    .hostname = "skiff", .use_router = true, .on_lease = on_lease};
	assert_int_equal(dhcp_client_start(dev, &cfg), 0);
	assert_int_equal(dhcp_client_start(dev, &cfg), -EBUSY);
	expect_discover(&s);
	u32 xid = s.msg.xid;

	rx_reply(DHCPOFFER, xid, false);
	pop_dhcp(&s, DHCPREQUEST, NULL);
	assert_int_equal(s.ip.saddr, 0);
	assert_int_equal(s.ip.daddr, BCAST);
	assert_int_equal(s.msg.requested_ip, YI);
	assert_int_equal(s.msg.server_id, SRV);

	/* A truncated ACK (no END): counted, never applied. */
	u8 b[512];
	size_t n = server_msg(b, DHCPACK, xid);
	rx_udp(bcast_mac, BCAST, b, n - 1);
	assert_false(pop(&s));

	rx_reply(DHCPACK, xid, false);
	assert_int_equal(inet_dev_addr(dev), 0); /* probing first */
	int arps = 0;
	host_clock_advance_ms(8000);
	while (pop(&s)) {
		assert_int_equal(s.eth.type, ETH_P_ARP);
		if (s.arp.spa == 0 && s.arp.tpa == YI)
			arps++; /* RFC 5227 probes; then announcements */
	}
	assert_int_equal(arps, 3);
	return xid;
}

/* The DISCOVER with xid answered: OFFER, REQUEST, ACK, the probe; bound. */
static void rebind_after_discover(u32 xid)
{
	struct sent s;
	rx_reply(DHCPOFFER, xid, false);
	pop_dhcp(&s, DHCPREQUEST, NULL);
	rx_reply(DHCPACK, xid, false);
	host_clock_advance_ms(8000);
	host_fakedev_tx_clear(dev);
	assert_int_equal(inet_dev_addr(dev), YI);
}

/* From a DISCOVER with xid: bound again, then the server goes silent:
 * REQUEST at T1 (unicast), at T2 (broadcast), and at expiry the address
 * goes and a DISCOVER starts over (RFC 2131 4.4.5). */
static void expire_silently(u32 xid)
{
	struct sent s;
	rebind_after_discover(xid);

	next_dhcp(&s, DHCPREQUEST, 60000); /* T1 */
	assert_int_equal(s.ip.daddr, SRV);
	next_dhcp(&s, DHCPREQUEST, 60000); /* T2 */
	assert_int_equal(s.ip.daddr, BCAST);
	assert_memory_equal(s.eth.dst, bcast_mac, 6);
	assert_int_equal(s.ip.saddr, YI);
	assert_int_equal(s.msg.ciaddr, YI);
	assert_int_equal(host_shell_run("dhcp"), 0);
	assert_non_null(strstr(host_shell_output(), "state REBINDING"));
	next_dhcp(&s, DHCPDISCOVER, 60000); /* expiry */
	assert_int_equal(inet_dev_addr(dev), 0);
	assert_int_equal(s.ip.saddr, 0);
	assert_int_equal(s.ip.daddr, BCAST);
	assert_int_equal(host_shell_run("dhcp"), 0);
	assert_non_null(strstr(host_shell_output(), "expiries 1"));
}

/* The xid `dhcp` shows. */
static u32 current_xid(void)
{
	unsigned xid;
	assert_int_equal(host_shell_run("dhcp"), 0);
	const char *at = strstr(host_shell_output(), " xid 0x");
	assert_non_null(at);
	assert_int_equal(sscanf(at + 7, "%x", &xid), 1);
	return xid;
}

/* After a DISCOVER: bound again; `dhcp renew` sends the unicast REQUEST
 * at once; `dhcp release` sends a RELEASE from the address to the server
 * (RFC 2131 4.4.6) and then removes the address; nothing more goes out
 * until `dhcp renew` starts with a DISCOVER. */
static void operator_renew_release(void)
{
	struct sent s;
	struct fib_result r;
	u32 xid = current_xid();
	rebind_after_discover(xid);

	assert_int_equal(host_shell_run("dhcp renew"), 0);
	assert_non_null(
	    strstr(host_shell_output(), "dhcp: renewing 198.18.0.50 (REQUEST"));
	next_dhcp(&s, DHCPREQUEST, 1000);
	assert_int_equal(s.ip.saddr, YI);
	assert_int_equal(s.ip.daddr, SRV);
	assert_int_equal(s.msg.ciaddr, YI);
	rx_reply(DHCPACK, s.msg.xid, true);
	assert_int_equal(host_shell_run("dhcp"), 0);
	assert_non_null(strstr(host_shell_output(), "state BOUND"));

	host_fakedev_tx_clear(dev);
	assert_int_equal(host_shell_run("dhcp release"), 0);
	assert_non_null(strstr(host_shell_output(), "dhcp: released "
						    "198.18.0.50;"));
	pop_dhcp(&s, DHCPRELEASE, NULL);
	assert_memory_equal(s.eth.dst, srv_mac, 6);
	assert_int_equal(s.ip.saddr, YI);
	assert_int_equal(s.ip.daddr, SRV);
	assert_int_equal(s.msg.ciaddr, YI);
	assert_int_equal(s.msg.server_id, SRV);
	assert_int_equal(inet_dev_addr(dev), 0);
	assert_int_not_equal(fib_lookup(IPV4(198, 19, 1, 1), &r), 0);
	host_clock_advance_ms(300000);
	assert_false(pop(&s));
	assert_int_equal(host_shell_run("dhcp"), 0);
	assert_non_null(strstr(host_shell_output(), "state INIT (released"));
	assert_non_null(strstr(host_shell_output(), "release 1;"));
	assert_int_equal(host_shell_run("dhcp release"), 0);
	assert_non_null(strstr(host_shell_output(), "no lease to release"));
	assert_false(pop(&s));

	assert_int_equal(host_shell_run("dhcp renew"), 0);
	assert_non_null(strstr(host_shell_output(), "dhcp: discovering"));
	expect_discover(&s);
	assert_int_equal(host_shell_run("dhcp frob"), -EINVAL);
	assert_int_equal(host_locks_held(), 0);
}

static void test_lease_lifecycle(void **state)
{
	struct sent s;
	struct fib_result r;
	(void)state;
	net_init();
	dev = host_fakedev_create("eth%d", our_mac);
	host_clock_advance_ms(100);
	host_fakedev_tx_clear(dev);

	acquire();
	assert_int_equal(inet_dev_addr(dev), YI);
	assert_int_equal(fib_lookup(IPV4(198, 19, 1, 1), &r), 0);
	assert_int_equal(r.gateway, SRV);
	assert_int_equal(dev->mtu, 1400);
	assert_int_equal(leases, 1);
	assert_int_equal(fresh_leases, 1);
	assert_true(host_log_contains("dhcp: eth0: bound 198.18.0.50/24"));
	assert_int_equal(host_shell_run("dhcp"), 0);
	assert_non_null(strstr(host_shell_output(), "state BOUND"));
	assert_non_null(strstr(host_shell_output(),
			       "lease 198.18.0.50/24 from 198.18.0.1, 120 s "
			       "(T1 60 s, T2 105 s)"));
	assert_non_null(strstr(host_shell_output(), "ignored 1"));

	/* T1: ARP for the server, then the unicast REQUEST. */
	next_dhcp(&s, DHCPREQUEST, 60000);
	assert_memory_equal(s.eth.dst, srv_mac, 6);
	assert_int_equal(s.ip.saddr, YI);
	assert_int_equal(s.ip.daddr, SRV);
	assert_int_equal(s.msg.ciaddr, YI);
	assert_int_equal(s.msg.flags, 0);
	rx_reply(DHCPACK, s.msg.xid, true);
	assert_true(host_log_contains("dhcp: eth0: renewed 198.18.0.50/24"));
	assert_int_equal(leases, 2);
	assert_int_equal(fresh_leases, 1);

	/* T1 again, and the server says no. */
	next_dhcp(&s, DHCPREQUEST, 61000);
	assert_int_equal(s.ip.daddr, SRV);
	rx_reply(DHCPNAK, s.msg.xid, true);
	assert_int_equal(inet_dev_addr(dev), 0);
	assert_int_not_equal(fib_lookup(IPV4(198, 19, 1, 1), &r), 0);
	assert_true(host_log_contains("lease of 198.18.0.50/24 ended"));
	host_fakedev_tx_clear(dev);
	host_clock_advance_ms(1100);
	expect_discover(&s);
	assert_int_equal(host_locks_held(), 0);
	expire_silently(s.msg.xid);
	operator_renew_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lease_lifecycle),
	};

	return cmocka_run_group_tests_name("dhcp_client", tests, NULL, NULL);
}
