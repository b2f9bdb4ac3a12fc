/*
 * test_tcp_isn.c - host tests for net/tcp_isn.c and net/tcp_syncookie.c:
 * SipHash-2-4 against the paper's vectors, RFC 6528 ISNs (the 4 us clock,
 * the 4-tuple and the secret each change the result), RFC 6056 port
 * selection (range, no repeats until exhaustion, in_use honoured,
 * -EADDRNOTAVAIL), and SYN cookies: round trip of every MSS class, the
 * 2-minute validity window, tampering with any input, and the timestamp
 * encoding of window scale / SACK / ECN.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/inet.h>
#include <skiff/net/tcp_isn.h>
#include <skiff/net/tcp_syncookie.h>
#include <skiff/platform.h>

#define CLI IPV4(198, 18, 0, 1)
#define SRV IPV4(198, 18, 0, 2)
#define SEC_NS 1000000000ull

static int set_key(void **state)
{
	u8 key[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (u8)(0xa0 + i);
	tcp_secret_set(key);
	return 0;
}

/* Aumasson & Bernstein, appendix A: key 00..0f, message 00..0e gives
 * a129ca6149be45e5; the reference vectors (vectors.h) give
 * 726fdb47dd0e0e31 for the empty message, 74f839c593dc67fd for 00 and
 * 93f5f5799a932462 for 00..07. */
static void test_siphash_vectors(void **state)
{
	struct siphash_key k;
	u8 key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (u8)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (u8)i;
	memcpy(&k.k0, key, 8);
	memcpy(&k.k1, key + 8, 8);
	assert_int_equal(siphash_2_4(&k, msg, 15), 0xa129ca6149be45e5ull);
	assert_int_equal(siphash_2_4(&k, msg, 0), 0x726fdb47dd0e0e31ull);
	assert_int_equal(siphash_2_4(&k, msg, 1), 0x74f839c593dc67fdull);
	assert_int_equal(siphash_2_4(&k, msg, 8), 0x93f5f5799a932462ull);
}

static void test_isn(void **state)
{
	u32 a, b;

	(void)state;
	a = tcp_isn_v4(SRV, 7, CLI, 40000, 0);
	b = tcp_isn_v4(SRV, 7, CLI, 40000, 0);
	assert_int_equal(a, b);
	/* M ticks every 4 us: 4 ms later the ISN is 1000 higher. */
	b = tcp_isn_v4(SRV, 7, CLI, 40000, 4000000);
	assert_int_equal(b - a, 1000);
	b = tcp_isn_v4(SRV, 7, CLI, 40000, 3999);
	assert_int_equal(b, a);
	/* Each part of the 4-tuple matters. */
	assert_int_not_equal(tcp_isn_v4(SRV, 7, CLI, 40001, 0), a);
	assert_int_not_equal(tcp_isn_v4(SRV, 8, CLI, 40000, 0), a);
	assert_int_not_equal(tcp_isn_v4(SRV, 7, CLI + 1, 40000, 0), a);
	assert_int_not_equal(tcp_isn_v4(SRV + 1, 7, CLI, 40000, 0), a);
	/* And the secret. */
	u8 key[16] = {1};
	tcp_secret_set(key);
	assert_int_not_equal(tcp_isn_v4(SRV, 7, CLI, 40000, 0), a);
	set_key(NULL);
	assert_int_equal(tcp_isn_v4(SRV, 7, CLI, 40000, 0), a);
	/* The host platform_random gives bytes; init uses them. */
	assert_true(tcp_secret_init());
	assert_int_not_equal(tcp_isn_v4(SRV, 7, CLI, 40000, 0), a);
	set_key(NULL);
}

struct used {
	u8 map[65536];
	u32 calls;
};

static bool port_in_use(u16 port, void *ctx)
{
	struct used *u = ctx;

	u->calls++;
	return u->map[port];
}

static void test_ephemeral_ports(void **state)
{
	static struct tcp_port_alloc pa;
	static struct used u;
	int p;

	(void)state;
	memset(&u, 0, sizeof(u));
	tcp_port_alloc_init(&pa, 50000, 50099);
	/* 100 ports to the same destination: all distinct, all in range. */
	for (int i = 0; i < 100; i++) {
		p = tcp_ephemeral_port(&pa, SRV, CLI, 80, port_in_use, &u);
		assert_in_range(p, 50000, 50099);
		assert_int_equal(u.map[p], 0);
		u.map[p] = 1;
	}
	p = tcp_ephemeral_port(&pa, SRV, CLI, 80, port_in_use, &u);
	assert_int_equal(p, -EADDRNOTAVAIL);
	/* One port free: found. */
	u.map[50042] = 0;
	p = tcp_ephemeral_port(&pa, SRV, CLI, 80, port_in_use, &u);
	assert_int_equal(p, 50042);
	/* Different destinations start at different offsets (F differs). */
	tcp_port_alloc_init(&pa, 32768, 60999);
	int p1 = tcp_ephemeral_port(&pa, SRV, CLI, 80, NULL, NULL);
	int p2 = tcp_ephemeral_port(&pa, SRV, CLI, 443, NULL, NULL);
	int p3 = tcp_ephemeral_port(&pa, SRV, CLI + 7, 80, NULL, NULL);
	assert_true(p1 != p2 || p1 != p3);
	/* Degenerate ranges. */
	tcp_port_alloc_init(&pa, 0, 0);
	assert_int_equal(tcp_ephemeral_port(&pa, SRV, CLI, 80, NULL, NULL), 1);
}

static void test_cookie_round_trip(void **state)
{
	const u16 peer_mss[] = {100, 536, 1000, 1300, 1439, 1440, 1460, 9000};
	const u16 want[] = {536, 536, 536, 1300, 1300, 1440, 1460, 1460};
	u64 now = 1000 * SEC_NS;

	(void)state;
	for (size_t i = 0; i < sizeof(peer_mss) / sizeof(peer_mss[0]); i++) {
		u16 mss = peer_mss[i];
		u32 peer_isn = 0xfffffff0u + (u32)i * 3;
		u32 c =
		    tcp_syncookie_make(CLI, 40000, SRV, 7, peer_isn, &mss, now);

		assert_int_equal(mss, want[i]);
		assert_int_equal(tcp_syncookie_check(CLI, 40000, SRV, 7,
						     peer_isn, c, now + SEC_NS),
				 want[i]);
	}
}

static void test_cookie_age_and_tamper(void **state)
{
	u64 t0 = 600 * SEC_NS; /* the start of a minute */
	u16 mss = 1460;
	u32 c = tcp_syncookie_make(CLI, 40000, SRV, 7, 1234, &mss, t0);

	(void)state;
	assert_int_equal(
	    tcp_syncookie_check(CLI, 40000, SRV, 7, 1234, c, t0 + 119 * SEC_NS),
	    1460);
	assert_int_equal(
	    tcp_syncookie_check(CLI, 40000, SRV, 7, 1234, c, t0 + 120 * SEC_NS),
	    0);
	/* A cookie from the future (clock went back) is not accepted. */
	assert_int_equal(
	    tcp_syncookie_check(CLI, 40000, SRV, 7, 1234, c, t0 - SEC_NS), 0);
	/* Any change of the inputs breaks it. */
	assert_int_equal(
	    tcp_syncookie_check(CLI + 1, 40000, SRV, 7, 1234, c, t0), 0);
	assert_int_equal(tcp_syncookie_check(CLI, 40001, SRV, 7, 1234, c, t0),
			 0);
	assert_int_equal(tcp_syncookie_check(CLI, 40000, SRV, 8, 1234, c, t0),
			 0);
	/* (A peer ISN off by a few only moves the MSS index, as in Linux:
	 * the ACK's seq is what the SYN's was plus one, so that is moot.) */
	assert_int_equal(
	    tcp_syncookie_check(CLI, 40000, SRV, 7, 1234 + 1000, c, t0), 0);
	assert_int_equal(
	    tcp_syncookie_check(CLI, 40000, SRV, 7, 1234 - 1000, c, t0), 0);
	u32 hits = 0;
	for (u32 d = 1; d < 100000; d++)
		hits += tcp_syncookie_check(CLI, 40000, SRV, 7, 1234,
					    c + d * 7919, t0) != 0;
	assert_true(hits < 3); /* 4 / 2^24 per guess */
	/* Another secret: invalid. */
	u8 key[16] = {9};
	tcp_secret_set(key);
	assert_int_equal(tcp_syncookie_check(CLI, 40000, SRV, 7, 1234, c, t0),
			 0);
	set_key(NULL);
}

static void test_cookie_timestamp_bits(void **state)
{
	struct tcp_syncookie_opts in = {
	    .wscale_ok = true, .wscale = 7, .sack_ok = true, .ecn_ok = false};
	struct tcp_syncookie_opts out;
	u32 tsval;

	(void)state;
	tsval = tcp_syncookie_tsval(0x12345678, &in);
	assert_int_equal(tsval & 0x3f, 7 | 0x10);
	assert_true((s32)(tsval - 0x12345678) <= 0);
	assert_true(0x12345678 - tsval < 64);
	assert_true(tcp_syncookie_tsecr_decode(tsval, &out));
	assert_true(out.wscale_ok);
	assert_int_equal(out.wscale, 7);
	assert_true(out.sack_ok);
	assert_false(out.ecn_ok);

	in = (struct tcp_syncookie_opts){.ecn_ok = true};
	tsval = tcp_syncookie_tsval(0x40, &in); /* low bits 0: step back */
	assert_int_equal(tsval, 0x40 - 64 + (0xf | 0x20));
	assert_true(tcp_syncookie_tsecr_decode(tsval, &out));
	assert_false(out.wscale_ok);
	assert_false(out.sack_ok);
	assert_true(out.ecn_ok);
	/* Wrap: a clock just past 0 stays "not after" now. */
	tsval = tcp_syncookie_tsval(0x5, &in);
	assert_true((s32)(tsval - 0x5) <= 0);
	/* Every 4-bit value decodes: 0..14 a shift, 15 "none". */
	assert_true(tcp_syncookie_tsecr_decode(0x0e, &out));
	assert_int_equal(out.wscale, 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_vectors),
	    cmocka_unit_test_setup(test_isn, set_key),
	    cmocka_unit_test_setup(test_ephemeral_ports, set_key),
	    cmocka_unit_test_setup(test_cookie_round_trip, set_key),
	    cmocka_unit_test_setup(test_cookie_age_and_tamper, set_key),
	    cmocka_unit_test_setup(test_cookie_timestamp_bits, set_key),
	};

	return cmocka_run_group_tests_name("tcp_isn", tests, NULL, NULL);
}
