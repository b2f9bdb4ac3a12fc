/*
 * test_dhcp_wire.c - host tests for net/dhcp_wire.c: the DHCP message
 * parser and emitter (RFC 2131 2, RFC 2132).
 *
 * Golden bytes were built by scapy 2.5 (BOOTP()/DHCP(options=[...]) with
 * the options named at each array): an OFFER as a server sends it, parsed
 * field by field; a DISCOVER with the options Skiff sends, compared byte
 * for byte with what dhcp_emit produces. Then the malicious cases: every
 * truncation, a missing END, lengths past the packet, overloaded file and
 * sname (good and without END), wrong sizes of known options, bad magic.
 * None may be accepted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/dhcp_wire.h>

static const u8 mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* The fixed header of a message: op, xid, secs, flags, yiaddr, siaddr. */
static size_t fixed_header(u8 *b, u8 op, u32 xid, u16 secs, u16 flags,
			   u32 yiaddr, u32 siaddr)
{
	memset(b, 0, DHCP_FIXED_LEN);
	b[0] = op;
	b[1] = 1;
	b[2] = 6;
	b[4] = (u8)(xid >> 24), b[5] = (u8)(xid >> 16), b[6] = (u8)(xid >> 8);
	b[7] = (u8)xid;
	b[8] = (u8)(secs >> 8), b[9] = (u8)secs;
	b[10] = (u8)(flags >> 8), b[11] = (u8)flags;
	b[16] = (u8)(yiaddr >> 24), b[17] = (u8)(yiaddr >> 16);
	b[18] = (u8)(yiaddr >> 8), b[19] = (u8)yiaddr;
	b[20] = (u8)(siaddr >> 24), b[21] = (u8)(siaddr >> 16);
	b[22] = (u8)(siaddr >> 8), b[23] = (u8)siaddr;
	memcpy(b + 28, mac, 6);
	return DHCP_FIXED_LEN;
}

/* scapy: DHCP(options=[("message-type","offer"),("server_id","198.18.0.1"),
 * ("lease_time",120),("renewal_time",60),("rebinding_time",105),
 * ("subnet_mask","255.255.255.0"),("router","198.18.0.1"),
 * ("name_server","198.18.0.1","198.18.0.53"),("hostname","appliance"),
 * ("interface-mtu",1400),"end"]), from the magic cookie on. */
static const u8 offer_opts[] = {
    0x63, 0x82, 0x53, 0x63, 0x35, 0x01, 0x02, 0x36, 0x04, 0xc6, 0x12, 0x00,
    0x01, 0x33, 0x04, 0x00, 0x00, 0x00, 0x78, 0x3a, 0x04, 0x00, 0x00, 0x00,
    0x3c, 0x3b, 0x04, 0x00, 0x00, 0x00, 0x69, 0x01, 0x04, 0xff, 0xff, 0xff,
    0x00, 0x03, 0x04, 0xc6, 0x12, 0x00, 0x01, 0x06, 0x08, 0xc6, 0x12, 0x00,
    0x01, 0xc6, 0x12, 0x00, 0x35, 0x0c, 0x09, 0x61, 0x70, 0x70, 0x6c, 0x69,
    0x61, 0x6e, 0x63, 0x65, 0x1a, 0x02, 0x05, 0x78, 0xff,
};

/* scapy: DHCP(options=[("message-type","discover"),("client_id",
 * b"\x01"+mac),("max_dhcp_size",576),("param_req_list",[1,3,6,12,26,51,
 * 58,59]),("hostname","skiff"),"end"]). */
static const u8 discover_opts[] = {
    0x63, 0x82, 0x53, 0x63, 0x35, 0x01, 0x01, 0x3d, 0x07, 0x01,
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x39, 0x02, 0x02, 0x40,
    0x37, 0x08, 0x01, 0x03, 0x06, 0x0c, 0x1a, 0x33, 0x3a, 0x3b,
    0x0c, 0x05, 0x73, 0x6b, 0x69, 0x66, 0x66, 0xff,
};

#define YI 0xc6120032u /* 198.18.0.50 */
#define SRV 0xc6120001u

static size_t golden_offer(u8 *b)
{
	size_t n = fixed_header(b, BOOTREPLY, 0x11223344, 0, 0, YI, SRV);
	memcpy(b + n, offer_opts, sizeof(offer_opts));
	return n + sizeof(offer_opts);
}

static void test_parse_golden_offer(void **state)
{
	u8 b[600];
	struct dhcp_msg m;
	(void)state;
	size_t n = golden_offer(b);
	assert_int_equal(dhcp_parse(b, n, &m), 0);
	assert_int_equal(m.op, BOOTREPLY);
	assert_int_equal(m.type, DHCPOFFER);
	assert_int_equal(m.xid, 0x11223344);
	assert_int_equal(m.yiaddr, YI);
	assert_int_equal(m.siaddr, SRV);
	assert_memory_equal(m.chaddr, mac, 6);
	assert_int_equal(m.server_id, SRV);
	assert_int_equal(m.lease_s, 120);
	assert_int_equal(m.t1_s, 60);
	assert_int_equal(m.t2_s, 105);
	assert_int_equal(m.subnet_mask, 0xffffff00u);
	assert_int_equal(m.router_count, 1);
	assert_int_equal(m.routers[0], SRV);
	assert_int_equal(m.dns_count, 2);
	assert_int_equal(m.dns[1], 0xc6120035u);
	assert_string_equal(m.hostname, "appliance");
	assert_int_equal(m.mtu, 1400);
	assert_int_equal(m.has, DHCP_HAS_MASK | DHCP_HAS_LEASE | DHCP_HAS_T1 |
				    DHCP_HAS_T2 | DHCP_HAS_SERVER_ID |
				    DHCP_HAS_MTU);
}

static void test_emit_golden_discover(void **state)
{
	u8 want[DHCP_EMIT_LEN] = {0}, got[600];
	struct dhcp_msg m = {.op = BOOTREQUEST,
			     .type = DHCPDISCOVER,
			     .xid = 0xdeadbeef,
			     .secs = 3,
			     .flags = DHCP_FLAG_BROADCAST};
	(void)state;
	memcpy(m.chaddr, mac, 6);
	strcpy(m.hostname, "skiff");
	size_t n = fixed_header(want, BOOTREQUEST, 0xdeadbeef, 3, 0x8000, 0, 0);
	memcpy(want + n, discover_opts, sizeof(discover_opts));
	/* RFC 1542 2.1: zero padding up to 300 bytes. */
	assert_int_equal(dhcp_emit(&m, got, sizeof(got)), DHCP_EMIT_LEN);
	assert_memory_equal(got, want, DHCP_EMIT_LEN);
}

static void test_emit_parse_request(void **state)
{
	u8 b[600];
	struct dhcp_msg m = {.op = BOOTREQUEST,
			     .type = DHCPREQUEST,
			     .xid = 7,
			     .has = DHCP_HAS_SERVER_ID | DHCP_HAS_REQUESTED_IP,
			     .server_id = SRV,
			     .requested_ip = YI};
	struct dhcp_msg back;
	(void)state;
	memcpy(m.chaddr, mac, 6);
	int n = dhcp_emit(&m, b, sizeof(b));
	assert_true(n >= DHCP_EMIT_LEN);
	assert_int_equal(dhcp_parse(b, (size_t)n, &back), 0);
	assert_int_equal(back.type, DHCPREQUEST);
	assert_int_equal(back.server_id, SRV);
	assert_int_equal(back.requested_ip, YI);
	assert_int_equal(back.xid, 7);
	assert_int_equal(back.hostname[0], 0);
	assert_int_equal(dhcp_emit(&m, b, DHCP_EMIT_LEN - 1), -ENOSPC);
}

/* Every cut short of the END byte is refused (no END, or an option whose
 * length runs past the end). */
static void test_every_truncation_refused(void **state)
{
	u8 b[600];
	struct dhcp_msg m;
	(void)state;
	size_t n = golden_offer(b);
	for (size_t len = 0; len < n; len++) {
		u8 *copy = malloc(len ? len : 1); /* ASan sees any overread */
		memcpy(copy, b, len);
		assert_int_equal(dhcp_parse(copy, len, &m), -EBADMSG);
		free(copy);
	}
	assert_int_equal(dhcp_parse(NULL, 0, &m), -EBADMSG);
}

static void test_missing_end_refused(void **state)
{
	u8 b[600];
	struct dhcp_msg m;
	(void)state;
	size_t n = golden_offer(b);
	b[n - 1] = DHO_PAD; /* END -> PAD: the area just stops */
	assert_int_equal(dhcp_parse(b, n, &m), -EBADMSG);
}

/* Replace the options after the cookie with opts; returns the length. */
static size_t with_opts(u8 *b, const u8 *opts, size_t len)
{
	size_t n = fixed_header(b, BOOTREPLY, 1, 0, 0, YI, SRV);
	static const u8 cookie[4] = {0x63, 0x82, 0x53, 0x63};
	memcpy(b + n, cookie, 4);
	memcpy(b + n + 4, opts, len);
	return n + 4 + len;
}

static void test_bad_options_refused(void **state)
{
	static const struct {
		const char *what;
		u8 opts[16];
		size_t len;
	} bad[] = {
	    {"length past the packet", {53, 1, 2, 3, 200, 1, 2, 255}, 8},
	    {"code without length", {53, 1, 2, 1}, 4},
	    {"type of length 2", {53, 2, 2, 2, 255}, 5},
	    {"type 0", {53, 1, 0, 255}, 4},
	    {"type 9", {53, 1, 9, 255}, 4},
	    {"mask of 3 bytes", {1, 3, 255, 255, 255, 255}, 6},
	    {"non-contiguous mask", {1, 4, 255, 0, 255, 0, 255}, 7},
	    {"router list of 5", {3, 5, 1, 2, 3, 4, 5, 255}, 8},
	    {"empty dns list", {6, 0, 255}, 3},
	    {"mtu 67", {26, 2, 0, 67, 255}, 5},
	    {"mtu of 3 bytes", {26, 3, 0, 5, 0, 255}, 6},
	    {"lease of 2 bytes", {51, 2, 0, 1, 255}, 5},
	    {"server id of 8", {54, 8, 1, 2, 3, 4, 5, 6, 7, 8, 255}, 11},
	    {"hostname with a control byte", {12, 3, 'a', 10, 'b', 255}, 6},
	    {"empty hostname", {12, 0, 255}, 3},
	    {"overload 4", {52, 1, 4, 255}, 4},
	    {"overload of 2 bytes", {52, 2, 1, 1, 255}, 5},
	    {"no END at all", {53, 1, 2}, 3},
	};
	u8 b[600];
	struct dhcp_msg m;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = with_opts(b, bad[i].opts, bad[i].len);
		if (dhcp_parse(b, n, &m) != -EBADMSG)
			fail_msg("accepted: %s", bad[i].what);
	}
}

static void test_bad_header_refused(void **state)
{
	u8 b[600];
	struct dhcp_msg m;
	(void)state;
	size_t n = golden_offer(b);
	b[236] ^= 1; /* magic */
	assert_int_equal(dhcp_parse(b, n, &m), -EBADMSG);
	b[236] ^= 1;
	b[1] = 6; /* htype IEEE 802 */
	assert_int_equal(dhcp_parse(b, n, &m), -EBADMSG);
	b[1] = 1;
	b[2] = 16; /* hlen */
	assert_int_equal(dhcp_parse(b, n, &m), -EBADMSG);
	b[2] = 6;
	b[0] = 3; /* op */
	assert_int_equal(dhcp_parse(b, n, &m), -EBADMSG);
	b[0] = BOOTREPLY;
	assert_int_equal(dhcp_parse(b, n, &m), 0);
}

/* Option 52 = 3: file's options, then sname's (RFC 2131 4.1). */
static void test_overload(void **state)
{
	static const u8 main_opts[] = {53, 1, 5, 52, 1, 3, 255};
	u8 b[600];
	struct dhcp_msg m;
	(void)state;
	size_t n = with_opts(b, main_opts, sizeof(main_opts));
	static const u8 file_opts[] = {51, 4, 0, 0, 0, 120, 255};
	static const u8 sname_opts[] = {0, 0, 54, 4, 198, 18, 0, 1, 255};
	memcpy(b + 108, file_opts, sizeof(file_opts));
	memcpy(b + 44, sname_opts, sizeof(sname_opts));
	assert_int_equal(dhcp_parse(b, n, &m), 0);
	assert_int_equal(m.type, DHCPACK);
	assert_int_equal(m.lease_s, 120);
	assert_int_equal(m.server_id, SRV);

	/* sname without END: the whole message goes. */
	memset(b + 44, 0, 64);
	memcpy(b + 44, sname_opts, sizeof(sname_opts) - 1);
	assert_int_equal(dhcp_parse(b, n, &m), -EBADMSG);
	/* An option in file running past file's 128 bytes. */
	memset(b + 44, 0, 64);
	b[44] = 255;
	memset(b + 108, 0, 128);
	b[108 + 125] = 12, b[108 + 126] = 10, b[108 + 127] = 'x';
	assert_int_equal(dhcp_parse(b, n, &m), -EBADMSG);
	/* Without option 52, file is not read at all. */
	u8 plain[] = {53, 1, 5, 255};
	n = with_opts(b, plain, sizeof(plain));
	memset(b + 108, 0xee, 128);
	assert_int_equal(dhcp_parse(b, n, &m), 0);
}

static void test_mask_prefix(void **state)
{
	(void)state;
	assert_int_equal(dhcp_mask_prefix(0), 0);
	assert_int_equal(dhcp_mask_prefix(0xffffffffu), 32);
	assert_int_equal(dhcp_mask_prefix(0xffffff00u), 24);
	assert_int_equal(dhcp_mask_prefix(0xfffffe00u), 23);
	assert_int_equal(dhcp_mask_prefix(0xff00ff00u), -1);
	assert_int_equal(dhcp_mask_prefix(0x00ffffffu), -1);
}

/* More routers or DNS servers than we keep: the first ones, no error. */
static void test_long_lists_clipped(void **state)
{
	u8 opts[64] = {6, 24};
	u8 b[600];
	struct dhcp_msg m;
	(void)state;
	for (int i = 0; i < 24; i++)
		opts[2 + i] = (u8)(i + 1);
	opts[26] = 255;
	size_t n = with_opts(b, opts, 27);
	assert_int_equal(dhcp_parse(b, n, &m), 0);
	assert_int_equal(m.dns_count, DHCP_MAX_DNS);
	assert_int_equal(m.dns[0], 0x01020304u);
	assert_int_equal(m.dns[3], 0x0d0e0f10u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_golden_offer),
	    cmocka_unit_test(test_emit_golden_discover),
	    cmocka_unit_test(test_emit_parse_request),
	    cmocka_unit_test(test_every_truncation_refused),
	    cmocka_unit_test(test_missing_end_refused),
	    cmocka_unit_test(test_bad_options_refused),
	    cmocka_unit_test(test_bad_header_refused),
	    cmocka_unit_test(test_overload),
	    cmocka_unit_test(test_mask_prefix),
	    cmocka_unit_test(test_long_lists_clipped),
	};

	return cmocka_run_group_tests_name("dhcp_wire", tests, NULL, NULL);
}
