/*
 * test_tcp_wire.c - host tests for net/tcp_wire.c: the TCP header and its
 * options between bytes and struct tcp_hdr_info.
 *
 * Golden segments were built by scapy 2.5 (the expressions are next to
 * each array) inside IP(src, dst) so the checksum is scapy's. Each is
 * parsed field by field, emitted from the parsed struct and compared byte
 * for byte, and its checksum verified and recomputed. Then every
 * malformed-option case of RFC 9293 3.1 / RFC 7323 / RFC 2018 gets a test:
 * length 0 and 1, a length running past the data offset, a kind with the
 * wrong size, a missing length byte, unknown kinds, EOL, window scale above
 * 14, SACK with too many or misaligned blocks; and the header checks (short
 * segment, data offset below 5 or past the end).
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
#include <skiff/net/tcp_wire.h>

#define PEER IPV4(198, 18, 0, 1)
#define US IPV4(198, 18, 0, 2)

/* IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=40000, dport=7,
 * seq=0x01020304, flags="S", window=64240, options=[("MSS", 1460),
 * ("SAckOK", b""), ("Timestamp", (0x11223344, 0)), ("NOP", None),
 * ("WScale", 7)]) */
static const u8 syn_seg[40] = {
    0x9c, 0x40, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
    0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xdc, 0x33, 0x00, 0x00,
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x11, 0x22,
    0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* IP(src="198.18.0.2", dst="198.18.0.1") / TCP(sport=7, dport=40000,
 * seq=0xfffffff0, ack=0x01020305, flags="A", window=502, options=[NOP, NOP,
 * ("Timestamp", (0xdeadbeef, 0x11223344)), NOP, NOP, ("SAck", (0x1000,
 * 0x2000, 0x3000, 0x4000))]) / b"abc" */
static const u8 ack_seg[55] = {
    0x00, 0x07, 0x9c, 0x40, 0xff, 0xff, 0xff, 0xf0, 0x01, 0x02, 0x03,
    0x05, 0xd0, 0x10, 0x01, 0xf6, 0xab, 0xce, 0x00, 0x00, 0x01, 0x01,
    0x08, 0x0a, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44, 0x01,
    0x01, 0x05, 0x12, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00,
    0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x40, 0x00, 0x61, 0x62, 0x63,
};

static void test_golden_syn(void **state)
{
	struct tcp_hdr_info h;
	u8 out[64];

	(void)state;
	assert_int_equal(tcp_hdr_parse(syn_seg, sizeof(syn_seg), &h), 40);
	assert_int_equal(h.sport, 40000);
	assert_int_equal(h.dport, 7);
	assert_int_equal(h.seq, 0x01020304);
	assert_int_equal(h.ack, 0);
	assert_int_equal(h.flags, TCP_FLAG_SYN);
	assert_int_equal(h.window, 64240);
	assert_int_equal(h.csum, 0xdc33);
	assert_int_equal(h.opt.present, TCP_OPT_MSS | TCP_OPT_SACK_PERM |
					    TCP_OPT_TS | TCP_OPT_WSCALE);
	assert_int_equal(h.opt.mss, 1460);
	assert_int_equal(h.opt.wscale, 7);
	assert_int_equal(h.opt.tsval, 0x11223344);
	assert_int_equal(h.opt.tsecr, 0);
	assert_false(h.opt.malformed);
	assert_true(tcp_v4_csum_ok(syn_seg, sizeof(syn_seg), PEER, US));

	assert_int_equal(tcp_hdr_len(&h), 40);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(tcp_hdr_emit(&h, out, sizeof(out)), 40);
	assert_memory_equal(out, syn_seg, 40);
	tcp_v4_csum_set(out, 40, PEER, US);
	assert_memory_equal(out, syn_seg, 40);
}

static void test_golden_ack_sack_payload(void **state)
{
	struct tcp_hdr_info h;
	u8 out[64];

	(void)state;
	assert_int_equal(tcp_hdr_parse(ack_seg, sizeof(ack_seg), &h), 52);
	assert_int_equal(h.seq, 0xfffffff0u);
	assert_int_equal(h.ack, 0x01020305);
	assert_int_equal(h.flags, TCP_FLAG_ACK);
	assert_int_equal(h.window, 502);
	assert_int_equal(h.opt.present, TCP_OPT_TS | TCP_OPT_SACK);
	assert_int_equal(h.opt.tsval, 0xdeadbeefu);
	assert_int_equal(h.opt.tsecr, 0x11223344);
	assert_int_equal(h.opt.nr_sack, 2);
	assert_int_equal(h.opt.sack[0].start, 0x1000);
	assert_int_equal(h.opt.sack[0].end, 0x2000);
	assert_int_equal(h.opt.sack[1].start, 0x3000);
	assert_int_equal(h.opt.sack[1].end, 0x4000);
	assert_memory_equal(ack_seg + 52, "abc", 3);
	assert_true(tcp_v4_csum_ok(ack_seg, sizeof(ack_seg), US, PEER));
	assert_false(tcp_v4_csum_ok(ack_seg, sizeof(ack_seg), PEER, PEER));

	memcpy(out, ack_seg, sizeof(ack_seg));
	memset(out, 0, 52);
	assert_int_equal(tcp_hdr_emit(&h, out, sizeof(out)), 52);
	tcp_v4_csum_set(out, sizeof(ack_seg), US, PEER);
	assert_memory_equal(out, ack_seg, sizeof(ack_seg));
}

/* A corrupted byte anywhere fails the checksum. */
static void test_csum_detects_flip(void **state)
{
	u8 seg[sizeof(ack_seg)];

	(void)state;
	for (size_t i = 0; i < sizeof(seg); i++) {
		memcpy(seg, ack_seg, sizeof(seg));
		seg[i] ^= 0x10;
		assert_false(tcp_v4_csum_ok(seg, sizeof(seg), US, PEER));
	}
	assert_false(tcp_v4_csum_ok(ack_seg, 10, US, PEER));
}

static void test_hdr_parse_errors(void **state)
{
	struct tcp_hdr_info h;
	u8 seg[60];

	(void)state;
	memcpy(seg, syn_seg, sizeof(syn_seg));
	for (size_t len = 0; len < 20; len++)
		assert_int_equal(tcp_hdr_parse(seg, len, &h), -EBADMSG);
	/* Data offset says 40 bytes but only 39 are there. */
	assert_int_equal(tcp_hdr_parse(seg, 39, &h), -EBADMSG);
	for (u8 doff = 0; doff < 5; doff++) {
		seg[12] = (u8)(doff << 4);
		assert_int_equal(tcp_hdr_parse(seg, 40, &h), -EBADMSG);
	}
	seg[12] = 0xf0; /* 60 bytes of header in a 40-byte segment */
	assert_int_equal(tcp_hdr_parse(seg, 40, &h), -EBADMSG);
	seg[12] = 0x50; /* no options: fine, the rest is payload */
	assert_int_equal(tcp_hdr_parse(seg, 40, &h), 20);
	assert_int_equal(h.opt.present, 0);
	/* Reserved bits and NS do not disturb the data offset. */
	seg[12] = 0x5f;
	assert_int_equal(tcp_hdr_parse(seg, 40, &h), 20);
}

static int parse(const u8 *o, size_t n, struct tcp_opts *out)
{
	return tcp_opts_parse(o, n, out);
}

static void test_opts_length_zero_and_one(void **state)
{
	struct tcp_opts o;
	const u8 len0[] = {0x99, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01};
	const u8 len1[] = {0x99, 0x01, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01};
	const u8 mss_len0[] = {0x02, 0x00, 0x01, 0x01};
	const u8 mss_len1[] = {0x02, 0x01, 0x01, 0x01};

	(void)state;
	/* Length 0 or 1 would never advance: the walk stops there. */
	assert_int_equal(parse(len0, sizeof(len0), &o), -EBADMSG);
	assert_true(o.malformed);
	assert_int_equal(o.present, 0);
	assert_int_equal(parse(len1, sizeof(len1), &o), -EBADMSG);
	assert_int_equal(o.present, 0);
	assert_int_equal(parse(mss_len0, sizeof(mss_len0), &o), -EBADMSG);
	assert_int_equal(parse(mss_len1, sizeof(mss_len1), &o), -EBADMSG);
}

static void test_opts_past_end(void **state)
{
	struct tcp_opts o;
	const u8 ts_cut[] = {0x01, 0x01, 0x08, 0x0a, 1, 2, 3, 4, 5, 6, 7};
	const u8 kind_only[] = {0x01, 0x01, 0x01, 0x02};
	const u8 after_good[] = {0x02, 0x04, 0x05, 0xb4,
				 0x03, 0x09, 0x07, 0x00};

	(void)state;
	assert_int_equal(parse(ts_cut, sizeof(ts_cut), &o), -EBADMSG);
	assert_int_equal(o.present, 0);
	/* A kind byte at the very end with no length byte. */
	assert_int_equal(parse(kind_only, sizeof(kind_only), &o), -EBADMSG);
	/* What came before the bad option is kept. */
	assert_int_equal(parse(after_good, sizeof(after_good), &o), -EBADMSG);
	assert_int_equal(o.present, TCP_OPT_MSS);
	assert_int_equal(o.mss, 1460);
}

static void test_opts_wrong_sizes(void **state)
{
	struct tcp_opts o;
	/* MSS of 3, wscale of 4, SACK-permitted of 3, timestamps of 8: each
	 * skipped whole; the MSS after them is still read. */
	const u8 bad[] = {0x02, 0x03, 0x05, 0x03, 0x04, 0x07, 0x00, 0x04,
			  0x03, 0x00, 0x08, 0x08, 1,	2,    3,    4,
			  5,	6,    0x02, 0x04, 0x02, 0x18};
	const u8 mss_zero[] = {0x02, 0x04, 0x00, 0x00};

	(void)state;
	assert_int_equal(parse(bad, sizeof(bad), &o), -EBADMSG);
	assert_int_equal(o.present, TCP_OPT_MSS);
	assert_int_equal(o.mss, 536);
	assert_int_equal(parse(mss_zero, sizeof(mss_zero), &o), -EBADMSG);
	assert_int_equal(o.present, 0);
}

static void test_opts_sack_sizes(void **state)
{
	struct tcp_opts o;
	u8 b[40];

	(void)state;
	/* 2 + 8n for n = 1..4 is good. */
	for (unsigned n = 1; n <= 4; n++) {
		memset(b, 0, sizeof(b));
		b[0] = TCPOPT_SACK;
		b[1] = (u8)(2 + 8 * n);
		for (unsigned i = 0; i < n; i++) {
			b[2 + 8 * i + 3] = (u8)(2 * i + 1);
			b[2 + 8 * i + 7] = (u8)(2 * i + 2);
		}
		assert_int_equal(parse(b, 2 + 8 * n, &o), 0);
		assert_int_equal(o.nr_sack, n);
		assert_int_equal(o.sack[n - 1].start, 2 * (n - 1) + 1);
		assert_int_equal(o.sack[n - 1].end, 2 * (n - 1) + 2);
	}
	/* Misaligned sizes, an empty list, and 5 blocks (42 bytes: only
	 * possible past the 40-byte option space). */
	const u8 sizes[] = {2, 3, 9, 11, 17, 25, 33, 39};
	for (size_t i = 0; i < sizeof(sizes); i++) {
		memset(b, 0, sizeof(b));
		b[0] = TCPOPT_SACK;
		b[1] = sizes[i];
		assert_int_equal(parse(b, sizeof(b), &o), -EBADMSG);
		assert_int_equal(o.present & TCP_OPT_SACK, 0);
	}
	u8 big[48] = {TCPOPT_SACK, 42};
	assert_int_equal(parse(big, sizeof(big), &o), -EBADMSG);
	assert_int_equal(o.present, 0);
}

static void test_opts_unknown_eol_nop(void **state)
{
	struct tcp_opts o;
	/* Unknown kinds 30 (MPTCP) and 254 (experimental) are skipped by
	 * their length; EOL ends the list even with bytes after it. */
	const u8 unk[] = {30,	4,    0xaa, 0xbb, 254,	2,    0x01, 0x03,
			  0x03, 0x02, 0x00, 0x02, 0x04, 0x05, 0xb4};
	const u8 all_nop[] = {1, 1, 1, 1, 1, 1, 1, 1};
	const u8 all_eol[] = {0, 0, 0, 0};

	(void)state;
	assert_int_equal(parse(unk, sizeof(unk), &o), 0);
	assert_int_equal(o.present, TCP_OPT_WSCALE);
	assert_int_equal(o.wscale, 2);
	assert_int_equal(parse(all_nop, sizeof(all_nop), &o), 0);
	assert_int_equal(o.present, 0);
	assert_int_equal(parse(all_eol, sizeof(all_eol), &o), 0);
	assert_int_equal(parse(NULL, 0, &o), 0);
}

/* RFC 7323 2.3: a shift above 14 is used as 14 (not an error). */
static void test_opts_wscale_cap(void **state)
{
	struct tcp_opts o;
	u8 b[3] = {TCPOPT_WSCALE, 3, 15};

	(void)state;
	assert_int_equal(parse(b, 3, &o), 0);
	assert_int_equal(o.wscale, 14);
	b[2] = 255;
	assert_int_equal(parse(b, 3, &o), 0);
	assert_int_equal(o.wscale, 14);
	b[2] = 14;
	assert_int_equal(parse(b, 3, &o), 0);
	assert_int_equal(o.wscale, 14);
}

/* Every byte string of up to 3 option bytes, and random 40-byte areas:
 * never a crash (the sanitizers watch), the result consistent. */
static void test_opts_exhaustive_small(void **state)
{
	struct tcp_opts o;
	u8 b[40];

	(void)state;
	for (u32 v = 0; v < (1u << 24); v += 7) {
		b[0] = (u8)v;
		b[1] = (u8)(v >> 8);
		b[2] = (u8)(v >> 16);
		int r = parse(b, 3, &o);
		assert_true(r == 0 || r == -EBADMSG);
		assert_true(o.nr_sack <= TCP_MAX_SACK_BLOCKS);
	}
	srand(45);
	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)(rand() % 41);
		for (size_t j = 0; j < n; j++)
			b[j] = (u8)(rand() % 12 < 6 ? rand() % 9 : rand());
		int r = parse(b, n, &o);
		assert_true(r == 0 || r == -EBADMSG);
		assert_true(o.wscale <= TCP_MAX_WSCALE);
	}
}

/* The emit layouts: SYN with each subset of options, data segments with
 * timestamps and 0..4 SACK blocks (3 fit next to timestamps). */
static void test_emit_layouts(void **state)
{
	struct tcp_opts o = {0}, back;
	u8 b[40];
	int n;

	(void)state;
	o.present = TCP_OPT_MSS | TCP_OPT_WSCALE;
	o.mss = 1460;
	o.wscale = 9;
	n = tcp_opts_emit(&o, true, b, sizeof(b));
	assert_int_equal(n, 8);
	const u8 want1[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 9};
	assert_memory_equal(b, want1, 8);

	o.present = TCP_OPT_SACK_PERM;
	n = tcp_opts_emit(&o, true, b, sizeof(b));
	const u8 want2[] = {1, 1, 4, 2};
	assert_int_equal(n, 4);
	assert_memory_equal(b, want2, 4);

	o.present = TCP_OPT_TS | TCP_OPT_SACK;
	o.tsval = 1;
	o.tsecr = 2;
	o.nr_sack = 4;
	for (int i = 0; i < 4; i++) {
		o.sack[i].start = (u32)(100 * i);
		o.sack[i].end = (u32)(100 * i + 50);
	}
	n = tcp_opts_emit(&o, false, b, sizeof(b));
	assert_int_equal(n, 40); /* 12 + 4 + 3 * 8 */
	assert_int_equal(parse(b, (size_t)n, &back), 0);
	assert_int_equal(back.nr_sack, 3);
	assert_int_equal(back.sack[2].start, 200);
	o.present = TCP_OPT_SACK;
	n = tcp_opts_emit(&o, false, b, sizeof(b));
	assert_int_equal(n, 36); /* 4 + 4 * 8 */
	assert_int_equal(parse(b, (size_t)n, &back), 0);
	assert_int_equal(back.nr_sack, 4);
	assert_int_equal(tcp_opts_emit(&o, false, b, 35), -ENOSPC);
	/* SYN-only options are not put on data segments. */
	o.present = TCP_OPT_MSS | TCP_OPT_WSCALE | TCP_OPT_SACK_PERM;
	assert_int_equal(tcp_opts_len(&o, false), 0);
	assert_int_equal(tcp_opts_len(&o, true), 12);
}

static void test_emit_no_room(void **state)
{
	struct tcp_hdr_info h;
	u8 out[40];

	(void)state;
	assert_int_equal(tcp_hdr_parse(syn_seg, sizeof(syn_seg), &h), 40);
	assert_int_equal(tcp_hdr_emit(&h, out, 39), -ENOSPC);
	h.opt.present = 0;
	assert_int_equal(tcp_hdr_emit(&h, out, 20), 20);
	assert_int_equal(out[12], 0x50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_syn),
	    cmocka_unit_test(test_golden_ack_sack_payload),
	    cmocka_unit_test(test_csum_detects_flip),
	    cmocka_unit_test(test_hdr_parse_errors),
	    cmocka_unit_test(test_opts_length_zero_and_one),
	    cmocka_unit_test(test_opts_past_end),
	    cmocka_unit_test(test_opts_wrong_sizes),
	    cmocka_unit_test(test_opts_sack_sizes),
	    cmocka_unit_test(test_opts_unknown_eol_nop),
	    cmocka_unit_test(test_opts_wscale_cap),
	    cmocka_unit_test(test_opts_exhaustive_small),
	    cmocka_unit_test(test_emit_layouts),
	    cmocka_unit_test(test_emit_no_room),
	};

	return cmocka_run_group_tests_name("tcp_wire", tests, NULL, NULL);
}
