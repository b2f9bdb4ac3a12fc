/*
 * test_tcp_sack.c - host tests for net/tcp_sack.c, the RFC 6675 scoreboard:
 * recording and merging blocks, cumulative ACKs, invalid blocks, D-SACK
 * detection (RFC 2883 4, both forms), IsLost by range count and by bytes,
 * SetPipe with and without retransmissions, NextSeg rules 1-4 in order,
 * RTO, sequence numbers wrapping 2^32, and the bounds: MSS 1 with the
 * most fragmented scoreboard, more ranges than fit.
 *
 * Scenario numbers: MSS 1000, segments numbered from snd_una = base.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <skiff/net/tcp_sack.h>
#include <skiff/net/tcp_seq.h>

#define MSS 1000u

/* Segment i of a board starting at base: [base + i*MSS, +MSS). */
static struct tcp_sack_block seg(u32 base, u32 i, u32 n)
{
	struct tcp_sack_block b = {base + i * MSS, base + (i + n) * MSS};
	return b;
}

static void board(struct tcp_sack_board *sb, u32 base, u32 nsegs)
{
	tcp_sack_init(sb, base, MSS);
	tcp_sack_on_send(sb, base + nsegs * MSS);
}

static struct tcp_sack_result sack1(struct tcp_sack_board *sb, u32 ack,
				    struct tcp_sack_block b)
{
	struct tcp_sack_result r;

	tcp_sack_update(sb, ack, &b, 1, &r);
	return r;
}

static void test_seq_helpers(void **state)
{
	(void)state;
	assert_true(before(0xfffffff0u, 0x10));
	assert_true(after(0x10, 0xfffffff0u));
	assert_true(between(5, 0xfffffff0u, 10));
	assert_false(between(11, 0xfffffff0u, 10));
	assert_int_equal(seq_max(0xfffffff0u, 0x10), 0x10);
	assert_int_equal(seq_min(0xfffffff0u, 0x10), 0xfffffff0u);
	assert_true(before_eq(7, 7) && after_eq(7, 7));
}

static void test_record_and_merge(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_sack_result r;
	const u32 b = 1000000;

	(void)state;
	board(&sb, b, 10);
	r = sack1(&sb, b, seg(b, 2, 1));
	assert_int_equal(r.newly_sacked_bytes, MSS);
	assert_int_equal(sb.nr_ranges, 1);
	r = sack1(&sb, b, seg(b, 5, 2));
	assert_int_equal(sb.nr_ranges, 2);
	r = sack1(&sb, b, seg(b, 2, 1)); /* again: nothing new */
	assert_int_equal(r.newly_sacked_bytes, 0);
	r = sack1(&sb, b, seg(b, 3, 2)); /* bridges 2 and 5-6 */
	assert_int_equal(r.newly_sacked_bytes, 2 * MSS);
	assert_int_equal(sb.nr_ranges, 1);
	assert_int_equal(sb.ranges[0].start, b + 2 * MSS);
	assert_int_equal(sb.ranges[0].end, b + 7 * MSS);
	assert_int_equal(sb.sacked_bytes, 5 * MSS);
	assert_true(tcp_sack_is_sacked(&sb, b + 2 * MSS));
	assert_false(tcp_sack_is_sacked(&sb, b + 7 * MSS));
	assert_int_equal(tcp_sack_high_sacked(&sb), b + 7 * MSS);

	/* Cumulative ACK into the middle of the range trims it. */
	tcp_sack_update(&sb, b + 4 * MSS, NULL, 0, &r);
	assert_int_equal(r.acked_bytes, 4 * MSS);
	assert_int_equal(sb.ranges[0].start, b + 4 * MSS);
	assert_int_equal(sb.sacked_bytes, 3 * MSS);
	tcp_sack_update(&sb, b + 8 * MSS, NULL, 0, &r);
	assert_int_equal(sb.nr_ranges, 0);
	assert_int_equal(sb.sacked_bytes, 0);
}

static void test_invalid_blocks(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_sack_result r;
	const u32 b = 5000;
	struct tcp_sack_block bad[4] = {
	    {b + 3 * MSS, b + 2 * MSS},	 /* reversed */
	    {b + 3 * MSS, b + 3 * MSS},	 /* empty */
	    {b + 9 * MSS, b + 11 * MSS}, /* past snd_nxt */
	    {b - 4 * MSS, b - 3 * MSS},	 /* old: below snd_una */
	};

	(void)state;
	board(&sb, b, 10);
	tcp_sack_update(&sb, b, bad, 4, &r);
	/* All ignored; the old one is not a D-SACK: only the first block
	 * may be one (RFC 2883 4). */
	assert_false(r.dsack);
	assert_int_equal(r.invalid_blocks, 4);
	assert_int_equal(sb.nr_ranges, 0);
	/* An ACK of data never sent is not applied at all. */
	tcp_sack_update(&sb, b + 11 * MSS, NULL, 0, &r);
	assert_int_equal(r.acked_bytes, 0);
	assert_int_equal(sb.snd_una, b);
	/* A block straddling snd_una counts from snd_una. */
	r = sack1(&sb, b, (struct tcp_sack_block){b - 100, b + MSS});
	assert_int_equal(r.newly_sacked_bytes, MSS);
}

/* RFC 2883 4: below the cumulative ACK, or inside the second block. */
static void test_dsack(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_sack_result r;
	const u32 b = 0;
	struct tcp_sack_block two[2];

	(void)state;
	board(&sb, b, 10);
	r = sack1(&sb, b + 2 * MSS, seg(b, 1, 1)); /* 2883 4.1.1 */
	assert_true(r.dsack);
	assert_int_equal(r.acked_bytes, 2 * MSS);
	assert_int_equal(sb.nr_ranges, 0);
	two[0] = seg(b, 5, 1);
	two[1] = seg(b, 4, 3); /* 2883 4.1.2: first inside second */
	tcp_sack_update(&sb, b + 2 * MSS, two, 2, &r);
	assert_true(r.dsack);
	assert_int_equal(sb.nr_ranges, 1);
	assert_int_equal(sb.sacked_bytes, 3 * MSS);
	two[0] = seg(b, 8, 1);
	tcp_sack_update(&sb, b + 2 * MSS, two, 2, &r);
	assert_false(r.dsack);
	assert_int_equal(sb.dsacks, 2);
}

/* RFC 6675 4 IsLost: 3 discontiguous ranges above, or > 2 * SMSS. */
static void test_is_lost(void **state)
{
	struct tcp_sack_board sb;
	const u32 b = 0;

	(void)state;
	board(&sb, b, 20);
	sack1(&sb, b, seg(b, 2, 1));
	assert_false(tcp_sack_is_lost(&sb, b));
	sack1(&sb, b, seg(b, 4, 1));
	assert_false(tcp_sack_is_lost(&sb, b)); /* 2 ranges, 2000 bytes */
	sack1(&sb, b, seg(b, 6, 1));
	assert_true(tcp_sack_is_lost(&sb, b)); /* 3 ranges */
	assert_true(tcp_sack_is_lost(&sb, b + MSS));
	assert_false(tcp_sack_is_lost(&sb, b + 3 * MSS)); /* 2 above */

	board(&sb, b, 20);
	sack1(&sb, b, seg(b, 1, 2));
	assert_false(tcp_sack_is_lost(&sb, b)); /* exactly 2 * SMSS */
	sack1(&sb, b, (struct tcp_sack_block){b + 3 * MSS, b + 3 * MSS + 1});
	assert_true(tcp_sack_is_lost(&sb, b));		   /* one byte more */
	assert_false(tcp_sack_is_lost(&sb, b + 20 * MSS)); /* not sent */
}

/* RFC 6675 4 SetPipe, and NextSeg rule by rule. */
static void test_pipe_and_next_seg(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_nextseg ns;
	const u32 b = 0;

	(void)state;
	board(&sb, b, 10);
	assert_int_equal(tcp_sack_pipe(&sb), 10 * MSS);
	/* Segments 0 and 2 lost; 1, 3, 4, 5 SACKed (ranges {1}, {3-5}). */
	sack1(&sb, b, seg(b, 1, 1));
	sack1(&sb, b, seg(b, 3, 3));
	/* Gap 0 (seg 0): 4 SACKed segments above: lost. Gap {2}: 3000 bytes
	 * above: lost. Tail 6-9: not lost. */
	assert_true(tcp_sack_is_lost(&sb, b));
	assert_true(tcp_sack_is_lost(&sb, b + 2 * MSS));
	assert_int_equal(tcp_sack_pipe(&sb), 4 * MSS);
	tcp_sack_enter_recovery(&sb);
	assert_int_equal(sb.recovery_point, b + 10 * MSS);

	/* Rule 1: the lost holes, lowest first, then new data (rule 2). */
	assert_int_equal(tcp_sack_next_seg(&sb, true, &ns),
			 TCP_NEXTSEG_RETRANS);
	assert_int_equal(ns.seq, b);
	assert_int_equal(ns.len, MSS);
	assert_int_equal(tcp_sack_pipe(&sb), 5 * MSS); /* retransmitted */
	assert_int_equal(tcp_sack_next_seg(&sb, true, &ns),
			 TCP_NEXTSEG_RETRANS);
	assert_int_equal(ns.seq, b + 2 * MSS);
	assert_int_equal(tcp_sack_pipe(&sb), 6 * MSS);
	assert_int_equal(tcp_sack_next_seg(&sb, true, &ns), TCP_NEXTSEG_NEW);
	assert_int_equal(ns.seq, b + 10 * MSS);
	tcp_sack_on_send(&sb, b + 11 * MSS);
	/* Rule 3 has nothing (no unSACKed hole above HighRxt below the
	 * highest SACK); rule 4 rescues the highest unSACKed segment once. */
	assert_int_equal(tcp_sack_next_seg(&sb, false, &ns),
			 TCP_NEXTSEG_RESCUE);
	assert_int_equal(ns.seq, b + 10 * MSS);
	assert_int_equal(ns.len, MSS);
	assert_int_equal(tcp_sack_next_seg(&sb, false, &ns), TCP_NEXTSEG_NONE);

	/* The retransmissions arrive: cumulative ACK to 6. */
	struct tcp_sack_result r;
	tcp_sack_update(&sb, b + 6 * MSS, NULL, 0, &r);
	assert_int_equal(r.acked_bytes, 6 * MSS);
	assert_false(r.recovery_done);
	tcp_sack_update(&sb, b + 10 * MSS, NULL, 0, &r);
	assert_true(r.recovery_done);
	tcp_sack_exit_recovery(&sb);
	assert_int_equal(tcp_sack_pipe(&sb), MSS);
}

/* Rule 3: a hole that is not yet "lost" is sent when nothing else may. */
static void test_next_seg_rule3(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_nextseg ns;
	const u32 b = 77;

	(void)state;
	board(&sb, b, 10);
	sack1(&sb, b, seg(b, 1, 1)); /* one SACKed segment: 0 not lost */
	tcp_sack_enter_recovery(&sb);
	assert_int_equal(tcp_sack_next_seg(&sb, false, &ns),
			 TCP_NEXTSEG_RETRANS);
	assert_int_equal(ns.seq, b);
	/* Not in recovery: only new data. */
	tcp_sack_exit_recovery(&sb);
	assert_int_equal(tcp_sack_next_seg(&sb, false, &ns), TCP_NEXTSEG_NONE);
	assert_int_equal(tcp_sack_next_seg(&sb, true, &ns), TCP_NEXTSEG_NEW);
}

/* An RTO ends recovery but keeps the SACKed ranges (RFC 2018 Errata
 * 1610; this test used to expect them forgotten, as RFC 2018 8 first
 * said): segments 0-2 are lost below three SACKed, 6-9 in the pipe. A
 * range that the cumulative ACK reaches but does not pass is reneging,
 * and the caller forgets them all. */
static void test_rto_keeps_ranges_until_reneging(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_sack_result r;
	const u32 b = 0;

	(void)state;
	board(&sb, b, 10);
	sack1(&sb, b, seg(b, 3, 3));
	tcp_sack_enter_recovery(&sb);
	tcp_sack_on_rto(&sb);
	assert_false(sb.in_recovery);
	assert_int_equal(sb.nr_ranges, 1);
	assert_int_equal(tcp_sack_pipe(&sb), 4 * MSS);
	assert_int_equal(tcp_sack_sacked_below(&sb, b + 4 * MSS), MSS);
	assert_ptr_equal(tcp_sack_next_range(&sb, b), &sb.ranges[0]);
	assert_null(tcp_sack_next_range(&sb, b + 6 * MSS));
	assert_false(tcp_sack_reneged(&sb));
	tcp_sack_update(&sb, b + 3 * MSS, NULL, 0, &r); /* up to it only */
	assert_true(tcp_sack_reneged(&sb));
	tcp_sack_forget(&sb);
	assert_int_equal(sb.nr_ranges, 0);
	assert_int_equal(tcp_sack_pipe(&sb), 7 * MSS);
}

/* Everything again with the window straddling 2^32. */
static void test_wraparound(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_nextseg ns;
	struct tcp_sack_result r;
	const u32 b = 0xffffffffu - 3 * MSS + 1;

	(void)state;
	board(&sb, b, 10); /* snd_nxt wrapped to 7 * MSS */
	assert_int_equal(sb.snd_nxt, 7 * MSS);
	sack1(&sb, b, seg(b, 1, 1));
	sack1(&sb, b, seg(b, 3, 1)); /* [0, 1000) after the wrap */
	sack1(&sb, b, seg(b, 5, 2));
	assert_int_equal(sb.nr_ranges, 3);
	assert_int_equal(sb.ranges[1].start, 0);
	assert_true(tcp_sack_is_lost(&sb, b));
	assert_int_equal(tcp_sack_pipe(&sb), 4 * MSS);
	tcp_sack_enter_recovery(&sb);
	assert_int_equal(tcp_sack_next_seg(&sb, false, &ns),
			 TCP_NEXTSEG_RETRANS);
	assert_int_equal(ns.seq, b);
	tcp_sack_update(&sb, b + 4 * MSS, NULL, 0, &r); /* ACK past 2^32 */
	assert_int_equal(r.acked_bytes, 4 * MSS);
	assert_int_equal(sb.snd_una, MSS);
	assert_int_equal(sb.nr_ranges, 1);
	assert_int_equal(sb.sacked_bytes, 2 * MSS);
}

/* MSS 1: every other byte SACKed. More ranges than the board holds:
 * the highest are forgotten, never an overflow; IsLost/pipe stay sane. */
static void test_tiny_mss_many_blocks(void **state)
{
	struct tcp_sack_board sb;
	struct tcp_sack_result r;
	struct tcp_nextseg ns;
	struct tcp_sack_block blk[4];
	const u32 b = 0xfffffff0u;

	(void)state;
	tcp_sack_init(&sb, b, 1);
	tcp_sack_on_send(&sb, b + 200);
	for (u32 i = 0; i < 100; i += 4) {
		for (u32 k = 0; k < 4; k++)
			blk[k] = (struct tcp_sack_block){b + 2 * (i + k) + 1,
							 b + 2 * (i + k) + 2};
		tcp_sack_update(&sb, b, blk, 4, &r);
		assert_true(sb.nr_ranges <= TCP_SACK_MAX_RANGES);
	}
	assert_int_equal(sb.nr_ranges, TCP_SACK_MAX_RANGES);
	assert_true(sb.dropped_ranges > 0);
	assert_int_equal(sb.sacked_bytes, TCP_SACK_MAX_RANGES);
	/* Ranges stay sorted and disjoint. */
	for (unsigned i = 1; i < sb.nr_ranges; i++)
		assert_true(after(sb.ranges[i].start, sb.ranges[i - 1].end));
	assert_true(tcp_sack_is_lost(&sb, b));
	tcp_sack_enter_recovery(&sb);
	u32 n = 0;
	while (tcp_sack_next_seg(&sb, false, &ns) == TCP_NEXTSEG_RETRANS) {
		assert_int_equal(ns.len, 1);
		assert_false(tcp_sack_is_sacked(&sb, ns.seq));
		n++;
		assert_true(n < 1000);
	}
	assert_true(n >= TCP_SACK_MAX_RANGES - 2);
	/* One range covering everything collapses the board. */
	r = sack1(&sb, b, (struct tcp_sack_block){b + 1, b + 200});
	assert_int_equal(sb.nr_ranges, 1);
	assert_int_equal(sb.sacked_bytes, 199);
}

/* Random blocks against a bitmap model: sacked bytes, ranges, pipe. */
static void test_random_against_model(void **state)
{
	enum { N = 300 };
	struct tcp_sack_board sb;
	struct tcp_sack_result r;
	static u8 model[N];
	const u32 b = 0xffffff00u;

	(void)state;
	srand(6675);
	for (int round = 0; round < 200; round++) {
		u32 una = 0;

		memset(model, 0, sizeof(model));
		tcp_sack_init(&sb, b, 3);
		tcp_sack_on_send(&sb, b + N);
		for (int step = 0; step < 40; step++) {
			struct tcp_sack_block blk;
			u32 s = (u32)(rand() % N), len = (u32)(rand() % 8 + 1);

			if (rand() % 10 == 0 && una < N - 10)
				una += (u32)(rand() % 10);
			if (s + len > N)
				len = N - s;
			blk.start = b + s;
			blk.end = b + s + len;
			tcp_sack_update(&sb, b + una, &blk, 1, &r);
			if (s + len > una && !(s + len <= una))
				for (u32 k = MAX(s, una); k < s + len; k++)
					model[k] = 1;
			u32 cnt = 0, nr = 0;
			for (u32 k = una; k < N; k++) {
				cnt += model[k];
				if (model[k] && (k == una || !model[k - 1]))
					nr++;
			}
			if (nr <= TCP_SACK_MAX_RANGES) {
				assert_int_equal(sb.sacked_bytes, cnt);
				assert_int_equal(sb.nr_ranges, nr);
			}
			for (u32 k = una; k < N; k += 17)
				if (nr <= TCP_SACK_MAX_RANGES)
					assert_int_equal(
					    tcp_sack_is_sacked(&sb, b + k),
					    model[k]);
			assert_true(tcp_sack_pipe(&sb) <= N);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seq_helpers),
	    cmocka_unit_test(test_record_and_merge),
	    cmocka_unit_test(test_invalid_blocks),
	    cmocka_unit_test(test_dsack),
	    cmocka_unit_test(test_is_lost),
	    cmocka_unit_test(test_pipe_and_next_seg),
	    cmocka_unit_test(test_next_seg_rule3),
	    cmocka_unit_test(test_rto_keeps_ranges_until_reneging),
	    cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_tiny_mss_many_blocks),
	    cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests_name("tcp_sack", tests, NULL, NULL);
}
