/*
 * test_capture_filter.c - host tests for net/capture_filter.c: which golden
 * frames each expression selects (every primitive, qualifier, operator and
 * precedence rule), tcpdump's bare-value shorthand, and the errors: each
 * bad expression is refused with the right word and offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/capture_filter.h>

#include "capture_frames.h"

struct frame {
	const char *name;
	const u8 *b;
	u32 len;
};

#define F(n)                                                                   \
	{                                                                      \
#n, f_##n, sizeof(f_##n)                                       \
	}
static const struct frame frames[] = {
    F(syn), F(synack),	F(data),     F(finack),	  F(rst),     F(sack),
    F(udp), F(udp_dns), F(echo_req), F(echo_rep), F(unreach), F(frag2),
    F(gre), F(arp_req), F(arp_rep),  F(ipv6),
};

/* The names of the frames expr selects, space-separated. */
static void selected(const char *expr, char *out, size_t n)
{
	struct capture_filter f;
	struct cf_error err;
	int rc = cf_compile(&f, expr, &err);
	if (rc != 0)
		fail_msg("'%s' did not compile: %s at %d '%s'", expr, err.msg,
			 err.pos, err.word);
	out[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(frames); i++) {
		if (!cf_match(&f, frames[i].b, frames[i].len))
			continue;
		if (out[0])
			strncat(out, " ", n - strlen(out) - 1);
		strncat(out, frames[i].name, n - strlen(out) - 1);
	}
}

#define SELECTS(expr, want)                                                    \
	do {                                                                   \
		char got_[512];                                                \
		selected(expr, got_, sizeof(got_));                            \
		if (strcmp(got_, want) != 0)                                   \
			fail_msg("'%s' selects '%s', want '%s'", expr, got_,   \
				 want);                                        \
	} while (0)

#define ALL_TCP "syn synack data finack rst sack"
#define ALL                                                                    \
	ALL_TCP " udp udp_dns echo_req echo_rep unreach frag2 gre arp_req "    \
		"arp_rep ipv6"

static void test_protocols(void **state)
{
	(void)state;
	SELECTS("", ALL);
	SELECTS("tcp", ALL_TCP);
	SELECTS("udp", "udp udp_dns frag2");
	SELECTS("icmp", "echo_req echo_rep unreach");
	SELECTS("arp", "arp_req arp_rep");
	SELECTS("ip", ALL_TCP " udp udp_dns echo_req echo_rep unreach frag2 "
			      "gre");
}

static void test_hosts_and_nets(void **state)
{
	(void)state;
	SELECTS("src host 198.18.0.2",
		"synack udp_dns echo_rep unreach arp_rep");
	SELECTS("dst 198.18.0.2", "syn data finack rst sack udp echo_req frag2 "
				  "gre arp_req");
	SELECTS("host 198.18.0.9", "");
	SELECTS("198.18.0.1 and icmp", "echo_req echo_rep unreach");
	SELECTS("arp host 198.18.0.2", "arp_req arp_rep");
	SELECTS("icmp and src 198.18.0.1", "echo_req");
	SELECTS("net 198.18.0.0/16 and arp", "arp_req arp_rep");
	SELECTS("net 198.18", ALL_TCP " udp udp_dns echo_req echo_rep unreach "
				      "frag2 gre arp_req arp_rep");
	SELECTS("net 10.0.0.0/8", "");
	SELECTS("dst net 198.18.0.0 mask 255.255.255.0 and udp",
		"udp udp_dns frag2");
	SELECTS("dst net 198.18.0.2 mask 255.255.255.255 and udp", "udp frag2");
	SELECTS("src and dst net 198.18.0.0/24 and icmp",
		"echo_req echo_rep unreach");
}

static void test_ports(void **state)
{
	(void)state;
	SELECTS("port 7", "syn synack data finack sack udp");
	SELECTS("tcp port 7", "syn synack data finack sack");
	SELECTS("udp port echo", "udp");
	SELECTS("dst port 7", "syn data finack udp");
	SELECTS("src port 7", "synack sack");
	SELECTS("port 80", "rst");
	SELECTS("port http or port domain", "rst udp_dns");
	SELECTS("portrange 50-90", "rst udp_dns");
	SELECTS("src or dst port 40001", "udp udp_dns");
	SELECTS("src and dst port 40000", "");
	SELECTS("port 9", ""); /* inside an ICMP error: not a port match */
}

static void test_operators(void **state)
{
	(void)state;
	SELECTS("not ip", "arp_req arp_rep ipv6");
	SELECTS("! tcp and ! udp", "echo_req echo_rep unreach gre arp_req "
				   "arp_rep ipv6");
	SELECTS("icmp or arp", "echo_req echo_rep unreach arp_req arp_rep");
	SELECTS("icmp || arp && src 198.18.0.2",
		"echo_req echo_rep unreach arp_rep");
	SELECTS("(icmp or arp) and src 198.18.0.2", "echo_rep unreach arp_rep");
	SELECTS("not (tcp or udp or icmp)", "gre arp_req arp_rep ipv6");
	SELECTS("not not arp", "arp_req arp_rep");
	SELECTS("((((arp))))", "arp_req arp_rep");
	SELECTS("tcp&&port 80", "rst");
	SELECTS("(arp)or(icmp)", "echo_req echo_rep unreach arp_req arp_rep");
}

/* tcpdump's shorthand: "port 7 or 80" is "port 7 or port 80". */
static void test_bare_values(void **state)
{
	(void)state;
	SELECTS("tcp port 80 or 7", "syn synack data finack rst sack");
	SELECTS("udp dst port 7 or 40001", "udp udp_dns");
	SELECTS("src 198.18.0.2 or 198.18.0.9", "synack udp_dns echo_rep "
						"unreach arp_rep");
}

#define REFUSES(expr, at, bad)                                                 \
	do {                                                                   \
		struct capture_filter f_;                                      \
		struct cf_error e_;                                            \
		assert_int_equal(cf_compile(&f_, expr, &e_), -22);             \
		assert_non_null(e_.msg);                                       \
		if (e_.pos != (at) || strcmp(e_.word, bad) != 0)               \
			fail_msg("'%s': error at %d '%s' (%s), want %d '%s'",  \
				 expr, e_.pos, e_.word, e_.msg, at, bad);      \
	} while (0)

static void test_errors(void **state)
{
	(void)state;
	REFUSES("tcp port", 8, "");
	REFUSES("host 1.2.3", 5, "1.2.3");
	REFUSES("host 1.2.3.256", 5, "1.2.3.256");
	REFUSES("host example.com", 5, "example.com");
	REFUSES("port 65536", 5, "65536");
	REFUSES("port nosuch", 5, "nosuch");
	REFUSES("portrange 9-7", 10, "9-7");
	REFUSES("portrange 7", 10, "7");
	REFUSES("icmp port 7", 0, "icmp");
	REFUSES("net 10.1.0.0/8", 4, "10.1.0.0/8");
	REFUSES("net 10.0.0.0/33", 4, "10.0.0.0/33");
	REFUSES("net 10.0.0.0 mask 255.0.255.0", 18, "255.0.255.0");
	REFUSES("(tcp", 4, "");
	REFUSES("tcp)", 3, ")");
	REFUSES("tcp udp", 4, "udp");
	REFUSES("and tcp", 0, "and");
	REFUSES("tcp and", 7, "");
	REFUSES("not", 3, "");
	REFUSES("tcp & udp", 4, "&");
	REFUSES("()", 1, ")");
}

static void test_limits(void **state)
{
	char expr[CF_MAX_TEXT + 64];
	struct capture_filter f;
	struct cf_error e;
	(void)state;
	/* Nesting past CF_MAX_DEPTH is refused, not a stack overflow. */
	memset(expr, '(', CF_MAX_DEPTH + 1);
	strcpy(expr + CF_MAX_DEPTH + 1, "tcp");
	assert_int_equal(cf_compile(&f, expr, &e), -22);
	assert_string_equal(e.msg, "nested too deeply");
	/* More primitives than nodes. */
	expr[0] = 0;
	for (int i = 0; i < 70; i++)
		strcat(expr, i ? " or arp" : "arp");
	assert_int_equal(cf_compile(&f, expr, &e), -22);
	assert_string_equal(e.msg, "expression too long");
	/* Longer than CF_MAX_TEXT. */
	memset(expr, ' ', sizeof(expr) - 1);
	expr[sizeof(expr) - 1] = 0;
	assert_int_equal(cf_compile(&f, expr, &e), -22);
	/* At the limit it works. */
	expr[0] = 0;
	for (int i = 0; i < 40; i++)
		strcat(expr, i ? " or arp" : "arp");
	assert_int_equal(cf_compile(&f, expr, &e), 0);
	assert_true(cf_match(&f, f_arp_req, sizeof(f_arp_req)));
	assert_false(cf_match(&f, f_syn, sizeof(f_syn)));
}

/* Short frames parse to nothing and never read past caplen (ASan). */
static void test_short_frames(void **state)
{
	struct capture_filter f;
	struct cf_error e;
	(void)state;
	assert_int_equal(cf_compile(&f, "port 7 or host 198.18.0.1 or arp", &e),
			 0);
	for (size_t i = 0; i < ARRAY_SIZE(frames); i++)
		for (u32 cut = 0; cut < frames[i].len; cut++) {
			u8 *copy = malloc(cut ? cut : 1);
			memcpy(copy, frames[i].b, cut);
			cf_match(&f, copy, cut);
			free(copy);
		}
	assert_false(cf_match(&f, f_syn, 14 + 19));
	assert_true(cf_match(&f, f_syn, 14 + 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_protocols),
	    cmocka_unit_test(test_hosts_and_nets),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_operators),
	    cmocka_unit_test(test_bare_values),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_short_frames),
	};
	return cmocka_run_group_tests_name("capture_filter", tests, NULL, NULL);
}
