/*
 * test_capture_fmt.c - host tests for net/capture_fmt.c: each golden frame
 * formats to the line tcpdump prints for it (`tcpdump -S -n`, and without
 * -n for service names), cut captures end in tcpdump's [|proto] markers,
 * and no frame (random, truncated at every length) overflows the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/capture_fmt.h>

#include "capture_frames.h"

#define NSEC 1000000000ULL
/* 2026-11-23 12:00:01.123456 UTC plus i seconds for the i-th frame. */
#define STAMP(i) ((1795392000ULL + 43201 + (i)) * NSEC + 123456000ULL)

struct golden {
	const u8 *frame;
	u32 len;
	const char *numeric; /* tcpdump -S -n */
	const char *named;   /* tcpdump -S (NULL: same as numeric) */
};

#define F(name) f_##name, sizeof(f_##name)

static const struct golden goldens[] = {
    {F(syn),
     "12:00:01.123456 IP 198.18.0.1.40000 > 198.18.0.2.7: Flags [S], seq "
     "1000, win 64240, options [mss 1460,sackOK,TS val 12345 ecr "
     "0,nop,wscale 7], length 0",
     "12:00:01.123456 IP 198.18.0.1.40000 > 198.18.0.2.echo: Flags [S], seq "
     "1000, win 64240, options [mss 1460,sackOK,TS val 12345 ecr "
     "0,nop,wscale 7], length 0"},
    {F(synack),
     "12:00:02.123456 IP 198.18.0.2.7 > 198.18.0.1.40000: Flags [S.], seq "
     "5000, ack 1001, win 65535, options [mss 1460,nop,nop,sackOK], length 0",
     "12:00:02.123456 IP 198.18.0.2.echo > 198.18.0.1.40000: Flags [S.], seq "
     "5000, ack 1001, win 65535, options [mss 1460,nop,nop,sackOK], length "
     "0"},
    {F(data),
     "12:00:03.123456 IP 198.18.0.1.40000 > 198.18.0.2.7: Flags [P.], seq "
     "1001:1006, ack 5001, win 502, options [nop,nop,TS val 7 ecr 9], "
     "length 5",
     "12:00:03.123456 IP 198.18.0.1.40000 > 198.18.0.2.echo: Flags [P.], seq "
     "1001:1006, ack 5001, win 502, options [nop,nop,TS val 7 ecr 9], "
     "length 5"},
    {F(finack),
     "12:00:04.123456 IP 198.18.0.1.40000 > 198.18.0.2.7: Flags [F.], seq "
     "1006, ack 5001, win 502, length 0",
     "12:00:04.123456 IP 198.18.0.1.40000 > 198.18.0.2.echo: Flags [F.], seq "
     "1006, ack 5001, win 502, length 0"},
    {F(rst),
     "12:00:05.123456 IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [R], seq 1, "
     "win 0, length 0",
     "12:00:05.123456 IP 198.18.0.1.40000 > 198.18.0.2.http: Flags [R], seq "
     "1, win 0, length 0"},
    {F(sack),
     "12:00:06.123456 IP 198.18.0.1.7 > 198.18.0.2.40000: Flags [.], ack "
     "1001, win 500, options [nop,nop,sack 1 {2000:3000}], length 0",
     "12:00:06.123456 IP 198.18.0.1.echo > 198.18.0.2.40000: Flags [.], ack "
     "1001, win 500, options [nop,nop,sack 1 {2000:3000}], length 0"},
    {F(udp),
     "12:00:07.123456 IP 198.18.0.1.40001 > 198.18.0.2.7: UDP, "
     "length 5",
     "12:00:07.123456 IP 198.18.0.1.40001 > 198.18.0.2.echo: UDP, length 5"},
    /* tcpdump decodes DNS here; Skiff prints every UDP datagram alike. */
    {F(udp_dns),
     "12:00:08.123456 IP 198.18.0.2.53 > 198.18.0.1.40001: UDP, "
     "length 3",
     "12:00:08.123456 IP 198.18.0.2.domain > 198.18.0.1.40001: UDP, length "
     "3"},
    {F(echo_req),
     "12:00:09.123456 IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id "
     "4660, seq 1, length 64",
     NULL},
    {F(echo_rep),
     "12:00:10.123456 IP 198.18.0.2 > 198.18.0.1: ICMP echo reply, id 4660, "
     "seq 1, length 64",
     NULL},
    {F(unreach),
     "12:00:11.123456 IP 198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 udp port 9 "
     "unreachable, length 36",
     "12:00:11.123456 IP 198.18.0.2 > 198.18.0.1: ICMP 198.18.0.2 udp port "
     "discard unreachable, length 36"},
    {F(frag2), "12:00:12.123456 IP 198.18.0.1 > 198.18.0.2: ip-proto-17",
     "12:00:12.123456 IP 198.18.0.1 > 198.18.0.2: udp"},
    /* tcpdump decodes GRE; Skiff names the protocol and the length. */
    {F(gre), "12:00:13.123456 IP 198.18.0.1 > 198.18.0.2: ip-proto-47 8", NULL},
    {F(arp_req),
     "12:00:14.123456 ARP, Request who-has 198.18.0.2 tell 198.18.0.1, "
     "length 46",
     NULL},
    {F(arp_rep),
     "12:00:15.123456 ARP, Reply 198.18.0.2 is-at 52:54:00:12:34:56, length "
     "28",
     NULL},
    {F(ipv6), "12:00:16.123456 ethertype 0x86dd, length 54", NULL},
};

static void test_goldens(void **state)
{
	char line[512];
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(goldens); i++) {
		const struct golden *g = &goldens[i];
		size_t n = capture_format(line, sizeof(line), g->frame, g->len,
					  g->len, STAMP(i), CAPFMT_NUMERIC);
		assert_string_equal(line, g->numeric);
		assert_int_equal(n, strlen(g->numeric));
		capture_format(line, sizeof(line), g->frame, g->len, g->len,
			       STAMP(i), 0);
		assert_string_equal(line, g->named ? g->named : g->numeric);
	}
}

/* A snap length that cuts a header: the line says so, never reads past. */
static void test_truncated_markers(void **state)
{
	char line[512];
	(void)state;
	capture_format(line, sizeof(line), f_syn, 14 + 20 + 10, sizeof(f_syn),
		       STAMP(0), CAPFMT_NUMERIC);
	assert_string_equal(line, "12:00:01.123456 IP 198.18.0.1 > 198.18.0.2:"
				  " [|tcp]");
	capture_format(line, sizeof(line), f_syn, 14 + 20 + 24, sizeof(f_syn),
		       STAMP(0), CAPFMT_NUMERIC);
	assert_non_null(strstr(line, "options [|tcp], length 0"));
	capture_format(line, sizeof(line), f_udp, 14 + 20 + 4, sizeof(f_udp),
		       STAMP(0), CAPFMT_NUMERIC);
	assert_non_null(strstr(line, ": [|udp]"));
	capture_format(line, sizeof(line), f_udp, 10, sizeof(f_udp), STAMP(0),
		       CAPFMT_NUMERIC);
	assert_string_equal(line, "12:00:01.123456 [|ether]");
	capture_format(line, sizeof(line), f_arp_rep, 14 + 6, sizeof(f_arp_rep),
		       STAMP(0), CAPFMT_NUMERIC);
	assert_string_equal(line, "12:00:01.123456 ARP, [|arp]");
}

/* Every prefix of every golden frame, into a buffer one byte too small
 * and into a tiny one: ASan catches any read or write out of bounds. */
static void test_every_prefix(void **state)
{
	char line[512], tiny[8];
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(goldens); i++) {
		const struct golden *g = &goldens[i];
		for (u32 cut = 0; cut <= g->len; cut++) {
			u8 *copy = malloc(cut ? cut : 1);
			memcpy(copy, g->frame, cut);
			size_t n = capture_format(line, sizeof(line), copy, cut,
						  g->len, STAMP(i), 0);
			assert_int_equal(n, strlen(line));
			n = capture_format(tiny, sizeof(tiny), copy, cut,
					   g->len, STAMP(i), 0);
			assert_int_equal(n, sizeof(tiny) - 1);
			assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
			free(copy);
		}
	}
}

/* Random bytes behind valid Ethernet/IP type fields. */
static void test_random_frames(void **state)
{
	char line[256];
	u8 frame[200];
	(void)state;
	srand(7);
	for (int round = 0; round < 20000; round++) {
		u32 len = (u32)rand() % sizeof(frame);
		for (u32 i = 0; i < len; i++)
			frame[i] = (u8)rand();
		if (len > 14) {
			frame[12] = round & 1 ? 0x08 : frame[12];
			frame[13] = round & 2 ? 0x06 : 0x00;
		}
		if (len > 15 && round & 4)
			frame[14] = 0x45;
		size_t n = capture_format(line, sizeof(line), frame, len, len,
					  0, round & 8 ? CAPFMT_NUMERIC : 0);
		assert_int_equal(n, strlen(line));
		assert_memory_equal(line, "00:00:00.000000 ", 16);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_goldens),
	    cmocka_unit_test(test_truncated_markers),
	    cmocka_unit_test(test_every_prefix),
	    cmocka_unit_test(test_random_frames),
	};
	return cmocka_run_group_tests_name("capture_fmt", tests, NULL, NULL);
}
