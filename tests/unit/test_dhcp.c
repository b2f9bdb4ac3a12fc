/*
 * test_dhcp.c - host tests for the DHCP client state machine (net/dhcp.c,
 * RFC 2131 4.4) with a fake clock: the machine is pure, so each test
 * holds `now` itself, feeds parsed server messages, and checks the action
 * that comes back (what to send, to whom, probe, apply, remove, when to
 * tick next).
 *
 * Covered: DISCOVER/OFFER/REQUEST/ACK, retransmission backoff 4-8-16-32-
 * 64-64 s with +/- 1 s, REQUEST retries then restart, the ARP probe and
 * DECLINE with the 10 s wait, renew at T1 (unicast, ciaddr), rebind at T2
 * (broadcast), expiry (address removed, DISCOVER again), NAK in
 * REQUESTING and in RENEWING, wrong xid / chaddr / op / state ignored,
 * T1/T2 defaults and repairs, infinite leases; the operator's `dhcp
 * renew` (early renewal, a new DISCOVER without a lease, refused while
 * probing) and `dhcp release` (RELEASE to the server before the address
 * goes, nothing more until a renew; the emitted RELEASE has only the
 * options RFC 2131 table 5 allows).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/dhcp.h>

#define S 1000000000ULL
#define MS 1000000ULL
#define T0 (5 * S)
#define SRV 0xc6120001u /* 198.18.0.1 */
#define YI 0xc6120032u	/* 198.18.0.50 */
#define BCAST 0xffffffffu

static const u8 mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct dhcp_msg reply(const struct dhcp_client *c, u8 type)
{
	struct dhcp_msg m = {.op = BOOTREPLY, .type = type, .xid = c->xid};
	memcpy(m.chaddr, mac, 6);
	if (type == DHCPNAK) {
		m.has = DHCP_HAS_SERVER_ID;
		m.server_id = SRV;
		return m;
	}
	m.yiaddr = YI;
	m.has = DHCP_HAS_SERVER_ID | DHCP_HAS_LEASE | DHCP_HAS_MASK;
	m.server_id = SRV;
	m.lease_s = 120;
	m.subnet_mask = 0xffffff00u;
	m.router_count = 1;
	m.routers[0] = SRV;
	m.dns_count = 1;
	m.dns[0] = 0xc6120035u;
	m.mtu = 1400;
	m.has |= DHCP_HAS_MTU;
	strcpy(m.hostname, "box");
	return m;
}

/* From nothing to BOUND at T0 with a 120 s lease (T1 60 s, T2 105 s). */
static void bind(struct dhcp_client *c, struct dhcp_action *a)
{
	dhcp_client_init(c, mac, 12345, "skiff");
	dhcp_start(c, T0, a);
	struct dhcp_msg m = reply(c, DHCPOFFER);
	dhcp_rx(c, &m, T0 + 100 * MS, a);
	m = reply(c, DHCPACK);
	dhcp_rx(c, &m, T0 + 200 * MS, a);
	assert_true(a->probe);
	dhcp_probe_done(c, false, T0 + 2 * S, a);
	assert_true(a->apply);
	assert_int_equal(c->state, DHCP_BOUND);
}

static void test_full_exchange(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	dhcp_client_init(&c, mac, 12345, "skiff");
	dhcp_start(&c, T0, &a);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_true(a.send);
	assert_int_equal(a.msg.type, DHCPDISCOVER);
	assert_int_equal(a.daddr, BCAST);
	assert_int_equal(a.saddr, 0);
	assert_int_equal(a.msg.flags, DHCP_FLAG_BROADCAST);
	assert_string_equal(a.msg.hostname, "skiff");
	assert_memory_equal(a.msg.chaddr, mac, 6);
	u32 xid = a.msg.xid;

	struct dhcp_msg m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0 + 100 * MS, &a);
	assert_int_equal(c.state, DHCP_REQUESTING);
	assert_true(a.send);
	assert_int_equal(a.msg.type, DHCPREQUEST);
	assert_int_equal(a.msg.xid, xid); /* RFC 2131 4.4.1: same xid */
	assert_int_equal(a.daddr, BCAST);
	assert_int_equal(a.msg.ciaddr, 0);
	assert_int_equal(a.msg.server_id, SRV);
	assert_int_equal(a.msg.requested_ip, YI);
	assert_int_equal(a.msg.has, DHCP_HAS_SERVER_ID | DHCP_HAS_REQUESTED_IP);

	m = reply(&c, DHCPACK);
	dhcp_rx(&c, &m, T0 + 200 * MS, &a);
	assert_int_equal(c.state, DHCP_PROBING);
	assert_false(a.send);
	assert_false(a.apply);
	assert_true(a.probe);
	assert_int_equal(a.probe_addr, YI);

	dhcp_probe_done(&c, false, T0 + 5 * S, &a);
	assert_true(a.apply);
	assert_false(a.send);
	assert_int_equal(c.lease.addr, YI);
	assert_int_equal(c.lease.prefix, 24);
	assert_int_equal(c.lease.router, SRV);
	assert_int_equal(c.lease.dns_count, 1);
	assert_int_equal(c.lease.mtu, 1400);
	assert_string_equal(c.lease.hostname, "box");
	assert_int_equal(c.lease.t1_s, 60);
	assert_int_equal(c.lease.t2_s, 105);
	/* Timers count from the REQUEST (RFC 2131 4.4.1). */
	assert_int_equal(c.t1_ns, T0 + 100 * MS + 60 * S);
	assert_int_equal(c.t2_ns, T0 + 100 * MS + 105 * S);
	assert_int_equal(c.expiry_ns, T0 + 100 * MS + 120 * S);
	assert_int_equal(a.next_ns, c.t1_ns);
}

/* RFC 2131 4.1: 4, 8, 16, 32, 64, 64 s, each +/- 1 s. */
static void test_discover_backoff(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	static const u64 want_s[] = {4, 8, 16, 32, 64, 64, 64};
	(void)state;
	dhcp_client_init(&c, mac, 99, NULL);
	dhcp_start(&c, T0, &a);
	u64 now = T0;
	for (size_t i = 0; i < sizeof(want_s) / sizeof(want_s[0]); i++) {
		u64 gap = a.next_ns - now;
		assert_true(gap >= (want_s[i] - 1) * S);
		assert_true(gap <= (want_s[i] + 1) * S);
		/* Early ticks do nothing. */
		dhcp_tick(&c, a.next_ns - 1, &a);
		assert_false(a.send);
		now = a.next_ns;
		dhcp_tick(&c, now, &a);
		assert_true(a.send);
		assert_int_equal(a.msg.type, DHCPDISCOVER);
		assert_int_equal(a.msg.secs, (now - T0) / S);
	}
	assert_int_equal(c.tx_discover, 8);
}

static void test_foreign_replies_ignored(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	dhcp_client_init(&c, mac, 7, NULL);
	dhcp_start(&c, T0, &a);
	struct dhcp_msg m = reply(&c, DHCPOFFER);
	m.xid ^= 1; /* another client's exchange */
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPOFFER);
	m.chaddr[5] ^= 1;
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPOFFER);
	m.op = BOOTREQUEST;
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPACK); /* an ACK while selecting */
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPOFFER);
	m.yiaddr = 0xe0000001u; /* multicast */
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPOFFER);
	m.has &= (u16)~DHCP_HAS_SERVER_ID;
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPNAK); /* a NAK while selecting */
	dhcp_rx(&c, &m, T0, &a);
	assert_false(a.send);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(c.rx_ignored, 7);

	/* An ACK without a lease time, or for another address. */
	m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPACK);
	m.has &= (u16)~DHCP_HAS_LEASE;
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPACK);
	m.yiaddr = YI + 1;
	dhcp_rx(&c, &m, T0, &a);
	assert_false(a.probe);
	assert_int_equal(c.state, DHCP_REQUESTING);
}

static void test_request_retries_then_restart(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	dhcp_client_init(&c, mac, 5, NULL);
	dhcp_start(&c, T0, &a);
	u32 xid = c.xid;
	struct dhcp_msg m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0, &a);
	for (int i = 1; i < DHCP_REQUEST_TRIES; i++) {
		dhcp_tick(&c, a.next_ns, &a);
		assert_int_equal(a.msg.type, DHCPREQUEST);
		assert_int_equal(a.msg.requested_ip, YI);
	}
	assert_int_equal(c.tx_request, DHCP_REQUEST_TRIES);
	dhcp_tick(&c, a.next_ns, &a);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(a.msg.type, DHCPDISCOVER);
	assert_int_not_equal(c.xid, xid);
}

static void test_conflict_declines(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	dhcp_client_init(&c, mac, 5, "skiff");
	dhcp_start(&c, T0, &a);
	struct dhcp_msg m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPACK);
	dhcp_rx(&c, &m, T0, &a);
	dhcp_probe_done(&c, true, T0 + 3 * S, &a);
	assert_true(a.send);
	assert_false(a.apply);
	assert_false(a.remove); /* never applied */
	assert_int_equal(a.msg.type, DHCPDECLINE);
	assert_int_equal(a.msg.requested_ip, YI);
	assert_int_equal(a.msg.server_id, SRV);
	assert_int_equal(a.daddr, BCAST);
	assert_int_equal(c.state, DHCP_INIT);
	/* RFC 2131 3.1.5: at least 10 s before trying again. */
	assert_int_equal(a.next_ns, T0 + 13 * S);
	dhcp_tick(&c, T0 + 12 * S, &a);
	assert_false(a.send);
	dhcp_tick(&c, T0 + 13 * S, &a);
	assert_int_equal(a.msg.type, DHCPDISCOVER);
	/* A late probe result for a finished probe does nothing. */
	dhcp_probe_done(&c, false, T0 + 14 * S, &a);
	assert_false(a.apply);
}

static void test_renew_at_t1_unicast(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	bind(&c, &a);
	u64 t1 = c.t1_ns;
	dhcp_tick(&c, t1 - 1, &a);
	assert_false(a.send);
	dhcp_tick(&c, t1, &a);
	assert_int_equal(c.state, DHCP_RENEWING);
	assert_true(a.send);
	assert_int_equal(a.msg.type, DHCPREQUEST);
	assert_int_equal(a.daddr, SRV); /* unicast to the server */
	assert_int_equal(a.saddr, YI);
	assert_int_equal(a.msg.ciaddr, YI);
	assert_int_equal(a.msg.flags, 0);
	assert_int_equal(a.msg.has, 0); /* no server id, no requested ip */
	/* RFC 2131 4.4.5: retry at half the time to T2, at least 60 s;
	 * here T2 is 45 s away, so the retry is at T2. */
	assert_int_equal(a.next_ns, c.t2_ns);

	struct dhcp_msg m = reply(&c, DHCPACK);
	dhcp_rx(&c, &m, t1 + S, &a);
	assert_true(a.apply);
	assert_false(a.probe); /* the same address: no new probe */
	assert_false(a.remove);
	assert_int_equal(c.state, DHCP_BOUND);
	assert_int_equal(c.t1_ns, t1 + 60 * S);
	assert_int_equal(c.expiry_ns, t1 + 120 * S);
}

/* `dhcp renew` 10 s into the lease: the T1 renewal, early. */
static void test_operator_renew(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	bind(&c, &a);
	u32 xid = c.xid;
	u64 now = T0 + 12 * S;
	assert_int_equal(dhcp_renew(&c, now, &a), 0);
	assert_int_equal(c.state, DHCP_RENEWING);
	assert_int_not_equal(c.xid, xid);
	assert_true(a.send);
	assert_int_equal(a.msg.type, DHCPREQUEST);
	assert_int_equal(a.daddr, SRV);
	assert_int_equal(a.saddr, YI);
	assert_int_equal(a.msg.ciaddr, YI);
	assert_int_equal(a.msg.has, 0);
	assert_false(a.remove);
	/* No answer: again at half the time to T2 (>= 60 s: T2 is 95 s on). */
	assert_int_equal(a.next_ns, now + 60 * S);
	struct dhcp_msg m = reply(&c, DHCPACK);
	dhcp_rx(&c, &m, now + S, &a);
	assert_true(a.apply);
	assert_int_equal(c.state, DHCP_BOUND);
	assert_int_equal(c.t1_ns, now + 60 * S); /* from the REQUEST */
	assert_int_equal(c.expiry_ns, now + 120 * S);

	/* Without a lease (still selecting): a new DISCOVER at once. */
	dhcp_client_init(&c, mac, 7, "skiff");
	dhcp_start(&c, T0, &a);
	xid = c.xid;
	assert_int_equal(dhcp_renew(&c, T0 + S, &a), 0);
	assert_int_equal(a.msg.type, DHCPDISCOVER);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_not_equal(c.xid, xid);

	/* While the offered address is probed: refused, nothing sent. */
	m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0 + 2 * S, &a);
	m = reply(&c, DHCPACK);
	dhcp_rx(&c, &m, T0 + 2 * S, &a);
	assert_int_equal(c.state, DHCP_PROBING);
	assert_int_equal(dhcp_renew(&c, T0 + 3 * S, &a), -EBUSY);
	assert_false(a.send);
	assert_int_equal(c.state, DHCP_PROBING);
}

/* The option codes of an emitted message, in order (0-terminated). */
static void emitted_options(const struct dhcp_msg *msg, u8 *codes, size_t n)
{
	u8 b[DHCP_EMIT_LEN];
	size_t k = 0;
	assert_int_equal(dhcp_emit(msg, b, sizeof(b)), DHCP_EMIT_LEN);
	for (size_t i = DHCP_MIN_LEN; i < sizeof(b) && b[i] != 255;) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		assert_true(k + 1 < n);
		codes[k++] = b[i];
		i += 2u + b[i + 1];
	}
	codes[k] = 0;
}

static void test_operator_release(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	u8 codes[16];
	(void)state;
	bind(&c, &a);
	u64 now = T0 + 20 * S;
	assert_int_equal(dhcp_release(&c, now, &a), 0);
	/* RFC 2131 4.4.6 and table 5: unicast from the address, ciaddr,
	 * server id; sent before the address is removed (dhcp_run). */
	assert_true(a.send);
	assert_int_equal(a.msg.type, DHCPRELEASE);
	assert_int_equal(a.daddr, SRV);
	assert_int_equal(a.saddr, YI);
	assert_int_equal(a.msg.ciaddr, YI);
	assert_int_equal(a.msg.has, DHCP_HAS_SERVER_ID);
	assert_int_equal(a.msg.server_id, SRV);
	assert_true(a.remove);
	assert_int_equal(a.remove_addr, YI);
	assert_int_equal(a.remove_prefix, 24);
	assert_false(c.have_lease);
	assert_int_equal(c.state, DHCP_INIT);
	assert_int_equal(a.next_ns, 0);
	assert_int_equal(c.tx_release, 1);
	emitted_options(&a.msg, codes, sizeof(codes));
	assert_string_equal((const char *)codes,
			    "\x35\x3d\x36"); /* type, client id, server id */

	/* Nothing more until the operator renews: then DISCOVER. */
	dhcp_tick(&c, now + 100 * S, &a);
	assert_false(a.send);
	assert_int_equal(a.next_ns, 0);
	assert_int_equal(dhcp_release(&c, now + 101 * S, &a), -ENOENT);
	assert_false(a.send);
	assert_false(a.remove);
	assert_int_equal(dhcp_renew(&c, now + 102 * S, &a), 0);
	assert_int_equal(a.msg.type, DHCPDISCOVER);
	assert_false(c.released);
}

static void test_rebind_at_t2_then_expiry(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	bind(&c, &a);
	dhcp_tick(&c, c.t1_ns, &a); /* RENEWING, no answer */
	u32 renew_xid = c.xid;
	dhcp_tick(&c, c.t2_ns, &a);
	assert_int_equal(c.state, DHCP_REBINDING);
	assert_int_equal(a.daddr, BCAST);
	assert_int_equal(a.saddr, YI);
	assert_int_equal(a.msg.ciaddr, YI);
	assert_int_not_equal(c.xid, renew_xid);
	assert_int_equal(a.next_ns, c.expiry_ns); /* 15 s left: < 60 s */

	dhcp_tick(&c, c.expiry_ns, &a);
	assert_true(a.remove);
	assert_int_equal(a.remove_addr, YI);
	assert_int_equal(a.remove_prefix, 24);
	assert_true(a.send);
	assert_int_equal(a.msg.type, DHCPDISCOVER);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(c.expiries, 1);
}

/* A rebinding ACK from another server restores BOUND. */
static void test_rebind_ack(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	bind(&c, &a);
	dhcp_tick(&c, c.t2_ns, &a);
	assert_int_equal(c.state, DHCP_REBINDING);
	struct dhcp_msg m = reply(&c, DHCPACK);
	m.server_id = SRV + 1;
	u64 now = c.t2_ns + S;
	dhcp_rx(&c, &m, now, &a);
	assert_true(a.apply);
	assert_int_equal(c.state, DHCP_BOUND);
	assert_int_equal(c.lease.server_id, SRV + 1);
}

static void test_nak_in_requesting(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	dhcp_client_init(&c, mac, 5, NULL);
	dhcp_start(&c, T0, &a);
	struct dhcp_msg m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPNAK);
	dhcp_rx(&c, &m, T0 + S, &a);
	assert_int_equal(c.state, DHCP_INIT);
	assert_false(a.remove);
	assert_int_equal(a.next_ns, T0 + S + DHCP_NAK_WAIT_MS * MS);
	dhcp_tick(&c, a.next_ns, &a);
	assert_int_equal(a.msg.type, DHCPDISCOVER);
	assert_int_equal(c.rx_nak, 1);
}

static void test_nak_in_renewing_removes(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	bind(&c, &a);
	dhcp_tick(&c, c.t1_ns, &a);
	struct dhcp_msg m = reply(&c, DHCPNAK);
	dhcp_rx(&c, &m, c.t1_ns + S, &a);
	assert_true(a.remove);
	assert_int_equal(a.remove_addr, YI);
	assert_int_equal(c.state, DHCP_INIT);
	assert_false(c.have_lease);
}

/* A renewal ACK with another address: remove the old, probe the new. */
static void test_renew_new_address(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	bind(&c, &a);
	dhcp_tick(&c, c.t1_ns, &a);
	struct dhcp_msg m = reply(&c, DHCPACK);
	m.yiaddr = YI + 1;
	dhcp_rx(&c, &m, c.t1_ns + S, &a);
	assert_true(a.remove);
	assert_int_equal(a.remove_addr, YI);
	assert_true(a.probe);
	assert_int_equal(a.probe_addr, YI + 1);
	assert_int_equal(c.state, DHCP_PROBING);
}

static void test_lease_time_rules(void **state)
{
	struct dhcp_client c;
	struct dhcp_action a;
	(void)state;
	/* T1 > T2 and T2 > lease from the server: back to the defaults. */
	dhcp_client_init(&c, mac, 5, NULL);
	dhcp_start(&c, T0, &a);
	struct dhcp_msg m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPACK);
	m.lease_s = 1000;
	m.t1_s = 900;
	m.t2_s = 2000;
	m.has |= DHCP_HAS_T1 | DHCP_HAS_T2;
	m.has &= (u16)~DHCP_HAS_MASK; /* classful default: 198 -> /24 */
	dhcp_rx(&c, &m, T0, &a);
	dhcp_probe_done(&c, false, T0, &a);
	assert_int_equal(c.lease.t2_s, 875);
	assert_int_equal(c.lease.t1_s, 500);
	assert_int_equal(c.lease.prefix, 24);

	/* Infinite: no timers. */
	dhcp_client_init(&c, mac, 5, NULL);
	dhcp_start(&c, T0, &a);
	m = reply(&c, DHCPOFFER);
	dhcp_rx(&c, &m, T0, &a);
	m = reply(&c, DHCPACK);
	m.lease_s = DHCP_LEASE_INFINITE;
	dhcp_rx(&c, &m, T0, &a);
	dhcp_probe_done(&c, false, T0, &a);
	assert_int_equal(a.next_ns, 0);
	dhcp_tick(&c, 1000000 * S, &a);
	assert_false(a.send);
	assert_int_equal(c.state, DHCP_BOUND);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(dhcp_state_name(DHCP_BOUND), "BOUND");
	assert_string_equal(dhcp_state_name(DHCP_REBINDING), "REBINDING");
	assert_string_equal(dhcp_state_name((enum dhcp_state)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_exchange),
	    cmocka_unit_test(test_discover_backoff),
	    cmocka_unit_test(test_foreign_replies_ignored),
	    cmocka_unit_test(test_request_retries_then_restart),
	    cmocka_unit_test(test_conflict_declines),
	    cmocka_unit_test(test_renew_at_t1_unicast),
	    cmocka_unit_test(test_operator_renew),
	    cmocka_unit_test(test_operator_release),
	    cmocka_unit_test(test_rebind_at_t2_then_expiry),
	    cmocka_unit_test(test_rebind_ack),
	    cmocka_unit_test(test_nak_in_requesting),
	    cmocka_unit_test(test_nak_in_renewing_removes),
	    cmocka_unit_test(test_renew_new_address),
	    cmocka_unit_test(test_lease_time_rules),
	    cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests_name("dhcp", tests, NULL, NULL);
}
