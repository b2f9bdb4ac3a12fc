/*
 * test_arp.c - ARP on the host: golden packets parsed and emitted back,
 * and the neighbour state machine driven by the fake clock through a fake
 * Ethernet device: every transition feeds frames in and checks the frames
 * that come out (RFC 826, RFC 1122 2.3.2, RFC 5227; Linux's timers).
 *
 * The IPv4 address layer is faked below (one address, 198.18.0.2/24, on
 * the test device) so that only the device layer and ARP are under test.
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
#include <skiff/net/netcore.h>
#include <skiff/shell.h>
#include <skiff/skbuff.h>

#include "../host/host.h"

#define OUR_IP IPV4(198, 18, 0, 2)
#define PEER_IP IPV4(198, 18, 0, 1)
#define SEC_MS 1000

static const u8 our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const u8 peer_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const u8 other_mac[6] = {0x52, 0x54, 0x00, 0x65, 0x43, 0x21};
static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const u8 zero_mac[6];

static struct net_device *dev;

/* ---- the fake IPv4 address layer (net/devinet.c's part of inet.h) ---- */

bool inet_addr_is_local(const struct net_device *d, u32 addr)
{
	return addr == OUR_IP && (!d || d == dev);
}

u32 inet_dev_addr(const struct net_device *d)
{
	return d == dev ? OUR_IP : 0;
}

bool inet_addr_is_broadcast(const struct net_device *d, u32 addr)
{
	(void)d;
	return addr == INADDR_BROADCAST || addr == IPV4(198, 18, 0, 255);
}

/* ---- frames in and out ---------------------------------------------- */

static size_t arp_frame(u8 *buf, u16 op, const u8 *eth_dst, const u8 *sha,
			u32 spa, const u8 *tha, u32 tpa)
{
	struct eth_hdr_info e = {.type = ETH_P_ARP};
	struct arp_info a = {.op = op, .spa = spa, .tpa = tpa};
	memcpy(e.dst, eth_dst, 6);
	memcpy(e.src, sha, 6);
	memcpy(a.sha, sha, 6);
	memcpy(a.tha, tha, 6);
	eth_hdr_emit(&e, buf);
	arp_emit(&a, buf + ETH_HLEN);
	return ETH_HLEN + ARP_PKT_LEN;
}

static void rx_arp(u16 op, const u8 *eth_dst, const u8 *sha, u32 spa,
		   const u8 *tha, u32 tpa)
{
	u8 buf[64];
	size_t len = arp_frame(buf, op, eth_dst, sha, spa, tha, tpa);
	host_fakedev_rx(dev, buf, len);
}

/* The peer answers our request for PEER_IP, unicast to us. */
static void rx_peer_reply(const u8 *mac)
{
	rx_arp(ARPOP_REPLY, our_mac, mac, PEER_IP, our_mac, OUR_IP);
}

struct txf {
	u8 raw[2048];
	int len;
	struct eth_hdr_info eth;
	struct arp_info arp; /* when eth.type is ETH_P_ARP */
};

static bool pop(struct txf *f)
{
	f->len = host_fakedev_pop_tx(dev, f->raw, sizeof(f->raw));
	if (f->len < 0)
		return false;
	assert_int_equal(eth_hdr_parse(f->raw, (size_t)f->len, &f->eth), 0);
	memset(&f->arp, 0, sizeof(f->arp));
	if (f->eth.type == ETH_P_ARP)
		assert_int_equal(arp_parse(f->raw + ETH_HLEN,
					   (size_t)f->len - ETH_HLEN, &f->arp),
				 ARP_PARSE_OK);
	return true;
}

static void expect_request(bool unicast, u32 target)
{
	struct txf f;
	assert_true(pop(&f));
	assert_int_equal(f.eth.type, ETH_P_ARP);
	assert_int_equal(f.arp.op, ARPOP_REQUEST);
	assert_memory_equal(f.eth.dst, unicast ? peer_mac : bcast, 6);
	assert_memory_equal(f.arp.sha, our_mac, 6);
	assert_int_equal(f.arp.spa, OUR_IP);
	assert_memory_equal(f.arp.tha, unicast ? peer_mac : zero_mac, 6);
	assert_int_equal(f.arp.tpa, target);
}

/* An IPv4 packet marked in its identification byte, through ARP. */
static int send_ip(u32 next_hop, u8 marker)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + 20);
	skb_reserve(skb, MAX_HEADER);
	u8 *ip = skb_put(skb, 20);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[4] = marker;
	skb_reset_network_header(skb);
	return neigh_output(dev, next_hop, skb);
}

static void expect_ip(const u8 *mac, u8 marker)
{
	struct txf f;
	assert_true(pop(&f));
	assert_int_equal(f.eth.type, ETH_P_IP);
	assert_memory_equal(f.eth.dst, mac, 6);
	assert_memory_equal(f.eth.src, our_mac, 6);
	assert_int_equal(f.len, ETH_HLEN + 20);
	assert_int_equal(f.raw[ETH_HLEN + 4], marker);
}

static void expect_no_tx(void)
{
	assert_int_equal(host_fakedev_tx_pending(dev), 0);
}

static enum neigh_state state_of(u32 addr)
{
	enum neigh_state st = NUD_NONE;
	if (neigh_lookup(dev, addr, NULL, &st) < 0)
		return NUD_NONE;
	return st;
}

static void advance_ms(u64 ms)
{
	host_clock_advance_ms(ms);
}

/* PEER_IP resolved and REACHABLE, TX list empty. */
static void resolve_peer(void)
{
	assert_int_equal(send_ip(PEER_IP, 0), 0);
	expect_request(false, PEER_IP);
	rx_peer_reply(peer_mac);
	expect_ip(peer_mac, 0);
	expect_no_tx();
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
}

/* REACHABLE -> STALE by waiting past the longest reachable time. */
static void make_peer_stale(void)
{
	resolve_peer();
	advance_ms(46 * SEC_MS);
	assert_int_equal(state_of(PEER_IP), NUD_STALE);
	expect_no_tx();
}

static struct arp_stats stats0;

static void stats_now(struct arp_stats *s)
{
	arp_get_stats(s);
}

/* ---- set-up ------------------------------------------------------------- */

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
	neigh_flush(NULL);
	host_fakedev_set_tx_hook(dev, NULL, NULL);
	host_run_softirqs();
	/* Let pending timers (announcements, old entries) settle. */
	advance_ms(3 * SEC_MS);
	host_fakedev_tx_clear(dev);
	host_log_reset();
	stats_now(&stats0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(host_locks_held(), 0);
	return 0;
}

/* ---- wire format -------------------------------------------------------- */

/* "who-has 198.18.0.2 tell 198.18.0.1" and its answer, as on the wire. */
static const u8 golden_request[ARP_PKT_LEN] = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54,
    0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
};
static const u8 golden_reply[ARP_PKT_LEN] = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
    0x00, 0x00, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x52, 0x54,
    0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x01,
};

static void test_wire_golden_request(void **state)
{
	(void)state;
	struct arp_info a;
	assert_int_equal(arp_parse(golden_request, sizeof(golden_request), &a),
			 ARP_PARSE_OK);
	assert_int_equal(a.htype, ARPHRD_ETHER);
	assert_int_equal(a.ptype, ETH_P_IP);
	assert_int_equal(a.hlen, 6);
	assert_int_equal(a.plen, 4);
	assert_int_equal(a.op, ARPOP_REQUEST);
	assert_memory_equal(a.sha, peer_mac, 6);
	assert_int_equal(a.spa, PEER_IP);
	assert_memory_equal(a.tha, zero_mac, 6);
	assert_int_equal(a.tpa, OUR_IP);
	u8 out[ARP_PKT_LEN];
	assert_int_equal(arp_emit(&a, out), ARP_PKT_LEN);
	assert_memory_equal(out, golden_request, ARP_PKT_LEN);
}

static void test_wire_golden_reply(void **state)
{
	(void)state;
	struct arp_info a = {.op = ARPOP_REPLY, .spa = OUR_IP, .tpa = PEER_IP};
	memcpy(a.sha, our_mac, 6);
	memcpy(a.tha, peer_mac, 6);
	u8 out[ARP_PKT_LEN];
	arp_emit(&a, out);
	assert_memory_equal(out, golden_reply, ARP_PKT_LEN);
	struct arp_info b;
	assert_int_equal(arp_parse(out, sizeof(out), &b), ARP_PARSE_OK);
	assert_memory_equal(&a.op, &b.op, sizeof(b.op));
	assert_int_equal(b.spa, OUR_IP);
	assert_int_equal(b.tpa, PEER_IP);
}

static void test_wire_malformed(void **state)
{
	(void)state;
	u8 p[ARP_PKT_LEN + 4];
	struct arp_info a;
	memcpy(p, golden_request, ARP_PKT_LEN);
	assert_int_equal(arp_parse(p, 7, &a), ARP_PARSE_SHORT);
	assert_int_equal(arp_parse(p, ARP_PKT_LEN - 1, &a), ARP_PARSE_SHORT);
	assert_int_equal(arp_parse(p, ARP_PKT_LEN + 4, &a), ARP_PARSE_OK);
	p[1] = 6; /* IEEE 802 hardware: not ours */
	assert_int_equal(arp_parse(p, ARP_PKT_LEN, &a), ARP_PARSE_HTYPE);
	p[1] = 1;
	p[2] = 0x86, p[3] = 0xdd;
	assert_int_equal(arp_parse(p, ARP_PKT_LEN, &a), ARP_PARSE_PTYPE);
	p[2] = 0x08, p[3] = 0x00;
	p[4] = 8;
	assert_int_equal(arp_parse(p, ARP_PKT_LEN, &a), ARP_PARSE_ADDRLEN);
	p[4] = 6;
	p[5] = 16;
	assert_int_equal(arp_parse(p, ARP_PKT_LEN, &a), ARP_PARSE_ADDRLEN);
}

/* ---- resolution -----------------------------------------------------------
 */

static void test_incomplete_then_reply_flushes_in_order(void **state)
{
	(void)state;
	assert_int_equal(send_ip(PEER_IP, 1), 0);
	expect_request(false, PEER_IP);
	assert_int_equal(state_of(PEER_IP), NUD_INCOMPLETE);
	assert_int_equal(send_ip(PEER_IP, 2), 0);
	assert_int_equal(send_ip(PEER_IP, 3), 0);
	expect_no_tx(); /* queued, and no second request yet */

	rx_peer_reply(peer_mac);
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
	expect_ip(peer_mac, 1);
	expect_ip(peer_mac, 2);
	expect_ip(peer_mac, 3);
	expect_no_tx();

	u8 mac[6];
	assert_int_equal(neigh_lookup(dev, PEER_IP, mac, NULL), 0);
	assert_memory_equal(mac, peer_mac, 6);
	/* Known now: the next packet goes straight out. */
	send_ip(PEER_IP, 4);
	expect_ip(peer_mac, 4);
}

static void test_unresolved_queue_drops_oldest(void **state)
{
	(void)state;
	struct arp_stats s;
	for (u8 i = 0; i < 5; i++)
		assert_int_equal(send_ip(PEER_IP, i), 0);
	expect_request(false, PEER_IP);
	stats_now(&s);
	assert_int_equal(s.unres_discards - stats0.unres_discards,
			 5 - NEIGH_UNRES_QLEN);
	rx_peer_reply(peer_mac);
	expect_ip(peer_mac, 2);
	expect_ip(peer_mac, 3);
	expect_ip(peer_mac, 4);
	expect_no_tx();
}

static void test_incomplete_fails_after_three_requests(void **state)
{
	(void)state;
	struct skb_stats k0, k1;
	struct arp_stats s;
	skb_get_stats(&k0);
	send_ip(PEER_IP, 9);
	expect_request(false, PEER_IP);
	for (int i = 1; i < NEIGH_MCAST_PROBES; i++) {
		advance_ms(NEIGH_RETRANS_MS);
		expect_request(false, PEER_IP);
		assert_int_equal(state_of(PEER_IP), NUD_INCOMPLETE);
	}
	advance_ms(NEIGH_RETRANS_MS);
	assert_int_equal(state_of(PEER_IP), NUD_FAILED);
	expect_no_tx();
	stats_now(&s);
	assert_int_equal(s.res_failed, stats0.res_failed + 1);
	assert_int_equal(s.unres_discards, stats0.unres_discards + 1);
	skb_get_stats(&k1);
	assert_int_equal(k1.live, k0.live); /* the queued packet was freed */

	/* Nothing more happens by itself... */
	advance_ms(10 * SEC_MS);
	expect_no_tx();
	/* ...but the next packet starts a new resolution. */
	send_ip(PEER_IP, 10);
	expect_request(false, PEER_IP);
	assert_int_equal(state_of(PEER_IP), NUD_INCOMPLETE);
}

static void test_reachable_becomes_stale(void **state)
{
	(void)state;
	resolve_peer();
	/* base_reachable_time 30 s, randomized to 15..45 s. */
	advance_ms(14 * SEC_MS);
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
	advance_ms(32 * SEC_MS);
	assert_int_equal(state_of(PEER_IP), NUD_STALE);
	expect_no_tx(); /* going stale sends nothing */
}

static void test_stale_use_delay_probe_reachable(void **state)
{
	(void)state;
	make_peer_stale();
	send_ip(PEER_IP, 5);
	expect_ip(peer_mac, 5); /* stale addresses are still used */
	assert_int_equal(state_of(PEER_IP), NUD_DELAY);
	advance_ms(NEIGH_DELAY_PROBE_MS - 1);
	assert_int_equal(state_of(PEER_IP), NUD_DELAY);
	expect_no_tx();
	advance_ms(1);
	assert_int_equal(state_of(PEER_IP), NUD_PROBE);
	expect_request(true, PEER_IP); /* unicast to the cached MAC */
	rx_peer_reply(peer_mac);
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
	advance_ms(NEIGH_RETRANS_MS * 5);
	expect_no_tx();
}

static void test_probe_fails_after_three_unicast(void **state)
{
	(void)state;
	make_peer_stale();
	send_ip(PEER_IP, 6);
	expect_ip(peer_mac, 6);
	advance_ms(NEIGH_DELAY_PROBE_MS);
	for (int i = 0; i < NEIGH_UCAST_PROBES; i++) {
		assert_int_equal(state_of(PEER_IP), NUD_PROBE);
		expect_request(true, PEER_IP);
		expect_no_tx();
		advance_ms(NEIGH_RETRANS_MS);
	}
	assert_int_equal(state_of(PEER_IP), NUD_FAILED);
	expect_no_tx();
	/* A FAILED entry has no address: ip neigh shows none. */
	assert_int_equal(host_shell_call(ip_neigh_cmd, "neigh"), 0);
	assert_string_equal(host_shell_output(),
			    "198.18.0.1 dev eth0 FAILED\n");
}

static void test_delay_confirmed_by_reply(void **state)
{
	(void)state;
	make_peer_stale();
	send_ip(PEER_IP, 7);
	expect_ip(peer_mac, 7);
	assert_int_equal(state_of(PEER_IP), NUD_DELAY);
	advance_ms(2 * SEC_MS);
	rx_peer_reply(peer_mac);
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
	advance_ms(NEIGH_DELAY_PROBE_MS + NEIGH_RETRANS_MS);
	expect_no_tx(); /* no probe: it was confirmed */
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
}

/* Used while REACHABLE runs out: DELAY rather than STALE, then PROBE. */
static void test_reachable_in_use_goes_delay(void **state)
{
	(void)state;
	resolve_peer();
	int steps = 0;
	while (state_of(PEER_IP) == NUD_REACHABLE && steps++ < 50) {
		send_ip(PEER_IP, 8);
		expect_ip(peer_mac, 8);
		advance_ms(SEC_MS);
	}
	assert_true(steps >= 15 && steps <= 46);
	assert_int_equal(state_of(PEER_IP), NUD_DELAY);
	advance_ms(NEIGH_DELAY_PROBE_MS);
	assert_int_equal(state_of(PEER_IP), NUD_PROBE);
	expect_request(true, PEER_IP);
}

/* ---- receiving ------------------------------------------------------------
 */

static void test_request_for_us_replies_and_caches(void **state)
{
	(void)state;
	u32 asker = IPV4(198, 18, 0, 7);
	rx_arp(ARPOP_REQUEST, bcast, other_mac, asker, zero_mac, OUR_IP);

	struct txf f;
	assert_true(pop(&f));
	assert_int_equal(f.len, ETH_HLEN + ARP_PKT_LEN);
	assert_memory_equal(f.eth.dst, other_mac, 6);
	assert_memory_equal(f.eth.src, our_mac, 6);
	assert_int_equal(f.arp.op, ARPOP_REPLY);
	assert_memory_equal(f.arp.sha, our_mac, 6);
	assert_int_equal(f.arp.spa, OUR_IP);
	assert_memory_equal(f.arp.tha, other_mac, 6);
	assert_int_equal(f.arp.tpa, asker);
	expect_no_tx();

	u8 mac[6];
	enum neigh_state st;
	assert_int_equal(neigh_lookup(dev, asker, mac, &st), 0);
	assert_int_equal(st, NUD_STALE);
	assert_memory_equal(mac, other_mac, 6);
}

static void test_request_for_others_ignored(void **state)
{
	(void)state;
	u32 asker = IPV4(198, 18, 0, 7);
	rx_arp(ARPOP_REQUEST, bcast, other_mac, asker, zero_mac,
	       IPV4(198, 18, 0, 99));
	expect_no_tx();
	assert_int_equal(neigh_lookup(dev, asker, NULL, NULL), -ENOENT);
}

static void test_probe_for_our_address_answered(void **state)
{
	(void)state;
	/* RFC 5227 2.1.1 probe: sender IP 0. We answer (we hold the
	 * address) but cache nothing. */
	rx_arp(ARPOP_REQUEST, bcast, other_mac, 0, zero_mac, OUR_IP);
	struct txf f;
	assert_true(pop(&f));
	assert_int_equal(f.arp.op, ARPOP_REPLY);
	assert_int_equal(f.arp.tpa, 0);
	assert_memory_equal(f.eth.dst, other_mac, 6);
	assert_int_equal(neigh_lookup(dev, 0, NULL, NULL), -ENOENT);
}

static void test_unsolicited_reply_not_cached(void **state)
{
	(void)state;
	struct arp_stats s;
	rx_arp(ARPOP_REPLY, our_mac, other_mac, IPV4(198, 18, 0, 8), our_mac,
	       OUR_IP);
	assert_int_equal(neigh_lookup(dev, IPV4(198, 18, 0, 8), NULL, NULL),
			 -ENOENT);
	stats_now(&s);
	assert_int_equal(s.rx_unsolicited, stats0.rx_unsolicited + 1);
	expect_no_tx();
}

static void test_reply_updates_existing_after_locktime(void **state)
{
	(void)state;
	resolve_peer();
	u8 mac[6];
	/* A different MAC within locktime (1 s): ignored (no flapping). */
	advance_ms(NEIGH_LOCKTIME_MS / 2);
	rx_peer_reply(other_mac);
	neigh_lookup(dev, PEER_IP, mac, NULL);
	assert_memory_equal(mac, peer_mac, 6);
	/* After it: taken. */
	advance_ms(NEIGH_LOCKTIME_MS);
	rx_peer_reply(other_mac);
	neigh_lookup(dev, PEER_IP, mac, NULL);
	assert_memory_equal(mac, other_mac, 6);
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
	send_ip(PEER_IP, 1);
	expect_ip(other_mac, 1);
}

static void test_gratuitous_overrides_at_once(void **state)
{
	(void)state;
	resolve_peer();
	/* RFC 5227 announcement by the peer, with a new MAC: sender and
	 * target both PEER_IP, broadcast. Taken even within locktime. */
	rx_arp(ARPOP_REQUEST, bcast, other_mac, PEER_IP, zero_mac, PEER_IP);
	u8 mac[6];
	enum neigh_state st;
	neigh_lookup(dev, PEER_IP, mac, &st);
	assert_memory_equal(mac, other_mac, 6);
	assert_int_equal(st, NUD_STALE);
	expect_no_tx();
}

static void test_claim_of_our_address_logged_not_cached(void **state)
{
	(void)state;
	struct arp_stats s;
	rx_arp(ARPOP_REPLY, bcast, other_mac, OUR_IP, zero_mac, OUR_IP);
	assert_int_equal(neigh_lookup(dev, OUR_IP, NULL, NULL), -ENOENT);
	assert_int_equal(host_log_count("claimed by 52:54:00:65:43:21"), 1);
	assert_true(host_log_contains("198.18.0.2"));
	/* RFC 5227 2.4(b): one announcement to defend the address. */
	struct txf f;
	assert_true(pop(&f));
	assert_int_equal(f.arp.op, ARPOP_REQUEST);
	assert_int_equal(f.arp.spa, OUR_IP);
	assert_int_equal(f.arp.tpa, OUR_IP);
	assert_memory_equal(f.eth.dst, bcast, 6);
	host_fakedev_tx_clear(dev);

	/* More claims within DEFEND_INTERVAL: counted, not logged, no
	 * second defence; a request from the claimant gets no answer. */
	rx_arp(ARPOP_REQUEST, bcast, other_mac, OUR_IP, zero_mac, OUR_IP);
	rx_arp(ARPOP_REQUEST, bcast, other_mac, OUR_IP, zero_mac, PEER_IP);
	assert_int_equal(host_log_count("claimed by"), 1);
	expect_no_tx();
	stats_now(&s);
	assert_int_equal(s.rx_conflicts, stats0.rx_conflicts + 3);
	assert_int_equal(neigh_lookup(dev, OUR_IP, NULL, NULL), -ENOENT);

	advance_ms(ARP_DEFEND_INTERVAL_MS + ARP_ANNOUNCE_INTERVAL_MS);
	host_fakedev_tx_clear(dev);
	rx_arp(ARPOP_REPLY, bcast, other_mac, OUR_IP, zero_mac, OUR_IP);
	assert_int_equal(host_log_count("claimed by"), 2);
}

static void test_own_echo_ignored(void **state)
{
	(void)state;
	/* Our own announcement coming back (a hub, a tap): silence. */
	rx_arp(ARPOP_REQUEST, bcast, our_mac, OUR_IP, zero_mac, OUR_IP);
	assert_false(host_log_contains("claimed"));
	expect_no_tx();
}

static void test_malformed_counted_and_dropped(void **state)
{
	(void)state;
	struct arp_stats s;
	u8 buf[64];
	size_t len = arp_frame(buf, ARPOP_REQUEST, bcast, other_mac,
			       IPV4(198, 18, 0, 7), zero_mac, OUR_IP);
	host_fakedev_rx(dev, buf, len - 1); /* short */
	buf[ETH_HLEN + 4] = 8;		    /* hlen 8 */
	host_fakedev_rx(dev, buf, len);
	buf[ETH_HLEN + 4] = 6;
	buf[ETH_HLEN + 5] = 16; /* plen 16 */
	host_fakedev_rx(dev, buf, len);
	buf[ETH_HLEN + 5] = 4;
	buf[ETH_HLEN + 7] = 3; /* RARP request: not ARP's business */
	host_fakedev_rx(dev, buf, len);
	buf[ETH_HLEN + 7] = 1;
	buf[ETH_HLEN + 8] = 0x01; /* multicast sender MAC */
	host_fakedev_rx(dev, buf, len);
	stats_now(&s);
	assert_int_equal(s.rx_malformed, stats0.rx_malformed + 3);
	assert_int_equal(s.rx_bad_op, stats0.rx_bad_op + 1);
	assert_int_equal(s.rx_bad_addr, stats0.rx_bad_addr + 1);
	assert_int_equal(s.entries, 0);
	expect_no_tx();
	/* The intact packet still works. */
	buf[ETH_HLEN + 8] = 0x52;
	host_fakedev_rx(dev, buf, len);
	assert_int_equal(host_fakedev_tx_pending(dev), 1);
}

/* ---- the table bound ------------------------------------------------------
 */

static u64 rng = 0x243f6a8885a308d3ULL;
static u32 rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (u32)(rng >> 16);
}

static void random_mac(u8 mac[6])
{
	u32 r = rnd32();
	mac[0] = 0x52;
	mac[1] = 0x54;
	memcpy(mac + 2, &r, 4);
}

static void test_reply_flood_never_grows_table(void **state)
{
	(void)state;
	struct arp_stats s;
	resolve_peer();
	for (int i = 0; i < 5000; i++) {
		u8 mac[6];
		random_mac(mac);
		rx_arp(ARPOP_REPLY, our_mac, mac,
		       IPV4(198, 19, 0, 0) | (rnd32() & 0xffff), our_mac,
		       OUR_IP);
	}
	stats_now(&s);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.rx_unsolicited, stats0.rx_unsolicited + 5000);
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
	expect_no_tx();
}

static void test_request_flood_bounded_by_gc(void **state)
{
	(void)state;
	struct arp_stats s;
	resolve_peer();
	for (int i = 0; i < 3 * NEIGH_TABLE_MAX; i++) {
		u8 mac[6];
		random_mac(mac);
		rx_arp(ARPOP_REQUEST, bcast, mac, IPV4(198, 19, 0, 0) + (u32)i,
		       zero_mac, OUR_IP);
		host_fakedev_tx_clear(dev); /* our replies */
	}
	stats_now(&s);
	assert_int_equal(s.entries, NEIGH_TABLE_MAX);
	assert_true(s.forced_gc_runs > stats0.forced_gc_runs);
	/* The entry in use survived: only STALE ones were taken. */
	assert_int_equal(state_of(PEER_IP), NUD_REACHABLE);
	/* Periodic GC: unused STALE entries go once the table is above
	 * gc_thresh1 and they are older than gc_stale_time. */
	advance_ms(NEIGH_GC_STALE_MS + 2 * NEIGH_GC_INTERVAL_MS);
	stats_now(&s);
	assert_true(s.entries <= NEIGH_GC_THRESH1);
	host_fakedev_tx_clear(dev);
}

/* ---- outputs that need no resolution ---------------------------------- */

static void test_broadcast_and_multicast_direct(void **state)
{
	(void)state;
	send_ip(IPV4(198, 18, 0, 255), 1);
	expect_ip(bcast, 1);
	send_ip(INADDR_BROADCAST, 2);
	expect_ip(bcast, 2);
	static const u8 mdns[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	send_ip(IPV4(224, 0, 0, 251), 3);
	expect_ip(mdns, 3);
	static const u8 high[6] = {0x01, 0x00, 0x5e, 0x7f, 0x01, 0x02};
	send_ip(IPV4(239, 255, 1, 2), 4); /* only the low 23 bits map */
	expect_ip(high, 4);
	expect_no_tx();
	assert_int_equal(send_ip(0, 5), -EINVAL);
}

static void test_announce_twice(void **state)
{
	(void)state;
	arp_announce(dev, OUR_IP);
	struct txf f;
	for (int i = 0; i < ARP_ANNOUNCE_NUM; i++) {
		assert_true(pop(&f));
		assert_memory_equal(f.eth.dst, bcast, 6);
		assert_int_equal(f.arp.op, ARPOP_REQUEST);
		assert_int_equal(f.arp.spa, OUR_IP);
		assert_int_equal(f.arp.tpa, OUR_IP);
		assert_memory_equal(f.arp.tha, zero_mac, 6);
		expect_no_tx();
		advance_ms(ARP_ANNOUNCE_INTERVAL_MS);
	}
	advance_ms(10 * SEC_MS);
	expect_no_tx();
}

static void test_flush_frees_queued(void **state)
{
	(void)state;
	struct skb_stats k0, k1;
	skb_get_stats(&k0);
	send_ip(IPV4(198, 18, 0, 50), 1);
	send_ip(IPV4(198, 18, 0, 50), 2);
	host_fakedev_tx_clear(dev);
	neigh_flush(dev);
	assert_int_equal(state_of(IPV4(198, 18, 0, 50)), NUD_NONE);
	advance_ms(5 * SEC_MS); /* the dead entry's timer does nothing */
	expect_no_tx();
	skb_get_stats(&k1);
	assert_int_equal(k1.live, k0.live);
}

/* ---- console ----------------------------------------------------------------
 */

static void test_ip_neigh_show_and_flush(void **state)
{
	(void)state;
	resolve_peer();
	send_ip(IPV4(198, 18, 0, 50), 1);
	host_fakedev_tx_clear(dev);
	assert_int_equal(host_shell_call(ip_neigh_cmd, "neigh"), 0);
	assert_string_equal(host_shell_output(),
			    "198.18.0.1 dev eth0 lladdr 52:54:00:12:34:56 "
			    "REACHABLE\n"
			    "198.18.0.50 dev eth0 INCOMPLETE\n");
	assert_int_equal(
	    host_shell_call(ip_neigh_cmd, "n show dev eth0 198.18.0.1"), 0);
	assert_string_equal(host_shell_output(),
			    "198.18.0.1 dev eth0 lladdr 52:54:00:12:34:56 "
			    "REACHABLE\n");
	advance_ms(3 * SEC_MS);
	host_fakedev_tx_clear(dev);
	assert_int_equal(
	    host_shell_call(ip_neigh_cmd, "neigh -s show 198.18.0.1"), 0);
	assert_string_equal(host_shell_output(),
			    "198.18.0.1 dev eth0 lladdr 52:54:00:12:34:56 used "
			    "3/3/3 probes 0 REACHABLE\n");
	assert_int_equal(host_shell_call(ip_neigh_cmd, "neigh flush all"), 0);
	assert_int_equal(host_shell_call(ip_neigh_cmd, "neigh"), 0);
	assert_string_equal(host_shell_output(), "");
	assert_int_equal(host_shell_call(ip_neigh_cmd, "neigh show dev eth9"),
			 SHELL_ERR_SHOWN);
}

static void test_ip_neigh_add_permanent(void **state)
{
	(void)state;
	assert_int_equal(host_shell_call(ip_neigh_cmd,
					 "neigh add 198.18.0.60 lladdr "
					 "52:54:00:65:43:21 dev eth0"),
			 0);
	assert_int_equal(state_of(IPV4(198, 18, 0, 60)), NUD_PERMANENT);
	send_ip(IPV4(198, 18, 0, 60), 1);
	expect_ip(other_mac, 1);
	neigh_flush(NULL); /* flush keeps permanent entries */
	advance_ms(120 * SEC_MS);
	assert_int_equal(state_of(IPV4(198, 18, 0, 60)), NUD_PERMANENT);
	host_fakedev_tx_clear(dev);
	assert_int_equal(
	    host_shell_call(ip_neigh_cmd, "neigh del 198.18.0.60 dev eth0"), 0);
	assert_int_equal(state_of(IPV4(198, 18, 0, 60)), NUD_NONE);
	assert_int_equal(
	    host_shell_call(ip_neigh_cmd, "neigh del 198.18.0.60 dev eth0"),
	    SHELL_ERR_SHOWN);
	assert_int_equal(host_shell_call(ip_neigh_cmd,
					 "neigh add 198.18.0.60 lladdr "
					 "nonsense dev eth0"),
			 -EINVAL);
}

/* A peer that answers every request for PEER_IP. */
static void answer_requests(struct net_device *d, const u8 *frame, size_t len,
			    void *ctx)
{
	struct arp_info a;
	(void)ctx;
	if (len < ETH_HLEN + ARP_PKT_LEN || frame[12] != 0x08 ||
	    frame[13] != 0x06 ||
	    arp_parse(frame + ETH_HLEN, len - ETH_HLEN, &a) != ARP_PARSE_OK ||
	    a.op != ARPOP_REQUEST || a.tpa != PEER_IP)
		return;
	u8 buf[64];
	size_t n = arp_frame(buf, ARPOP_REPLY, our_mac, peer_mac, PEER_IP,
			     our_mac, OUR_IP);
	host_fakedev_rx_napi(d, buf, n);
}

static void test_arping_replies(void **state)
{
	(void)state;
	host_fakedev_set_tx_hook(dev, answer_requests, NULL);
	u64 t0 = host_clock_ns();
	assert_int_equal(host_shell_run("arping -c 3 -I eth0 198.18.0.1"), 0);
	assert_string_equal(
	    host_shell_output(),
	    "ARPING 198.18.0.1 from 198.18.0.2 eth0\n"
	    "Unicast reply from 198.18.0.1 [52:54:00:12:34:56]  0.000ms\n"
	    "Unicast reply from 198.18.0.1 [52:54:00:12:34:56]  0.000ms\n"
	    "Unicast reply from 198.18.0.1 [52:54:00:12:34:56]  0.000ms\n"
	    "Sent 3 probes (1 broadcast(s))\n"
	    "Received 3 response(s)\n");
	/* Two intervals, and the last reply ended the wait at once. */
	assert_true(host_clock_ns() - t0 < 2100000000ULL);
	/* Only broadcast first; then unicast to the answer's MAC. */
	struct txf f;
	assert_true(pop(&f));
	assert_memory_equal(f.eth.dst, bcast, 6);
	assert_true(pop(&f));
	assert_memory_equal(f.eth.dst, peer_mac, 6);
	assert_memory_equal(f.arp.tha, peer_mac, 6);
	/* arping's replies do not create entries (arp_accept=0). */
	assert_int_equal(state_of(PEER_IP), NUD_NONE);
}

static void test_arping_no_answer(void **state)
{
	(void)state;
	assert_int_equal(host_shell_run("arping -c 2 198.18.0.77"),
			 SHELL_ERR_SHOWN);
	assert_string_equal(host_shell_output(),
			    "ARPING 198.18.0.77 from 198.18.0.2 eth0\n"
			    "Sent 2 probes (2 broadcast(s))\n"
			    "Received 0 response(s)\n");
	assert_int_equal(host_shell_run("arping"), -EINVAL);
	assert_int_equal(host_shell_run("arping -c 1 -I eth7 198.18.0.1"),
			 SHELL_ERR_SHOWN);
}

static void test_arping_until_key(void **state)
{
	(void)state;
	host_shell_key_at_ns(host_clock_ns() + 2500000000ULL);
	assert_int_equal(host_shell_run("arping 198.18.0.78"), SHELL_ERR_SHOWN);
	assert_true(strstr(host_shell_output(), "Sent 3 probes") != NULL);
	host_shell_key_at_ns(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_wire_golden_request),
	    T(test_wire_golden_reply),
	    T(test_wire_malformed),
	    T(test_incomplete_then_reply_flushes_in_order),
	    T(test_unresolved_queue_drops_oldest),
	    T(test_incomplete_fails_after_three_requests),
	    T(test_reachable_becomes_stale),
	    T(test_stale_use_delay_probe_reachable),
	    T(test_probe_fails_after_three_unicast),
	    T(test_delay_confirmed_by_reply),
	    T(test_reachable_in_use_goes_delay),
	    T(test_request_for_us_replies_and_caches),
	    T(test_request_for_others_ignored),
	    T(test_probe_for_our_address_answered),
	    T(test_unsolicited_reply_not_cached),
	    T(test_reply_updates_existing_after_locktime),
	    T(test_gratuitous_overrides_at_once),
	    T(test_claim_of_our_address_logged_not_cached),
	    T(test_own_echo_ignored),
	    T(test_malformed_counted_and_dropped),
	    T(test_reply_flood_never_grows_table),
	    T(test_request_flood_bounded_by_gc),
	    T(test_broadcast_and_multicast_direct),
	    T(test_announce_twice),
	    T(test_flush_frees_queued),
	    T(test_ip_neigh_show_and_flush),
	    T(test_ip_neigh_add_permanent),
	    T(test_arping_replies),
	    T(test_arping_no_answer),
	    T(test_arping_until_key),
#undef T
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
