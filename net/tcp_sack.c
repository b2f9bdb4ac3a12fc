/*
 * tcp_sack.c - the sender's SACK scoreboard and RFC 6675 loss recovery
 * (tcp_sack.h says how a connection drives it). Read first: RFC 2018 3-4
 * (the option, sender behaviour), RFC 2883 4 (D-SACK: how a receiver
 * reports duplicates, how a sender recognises them), RFC 6675 2-5
 * (definitions, IsLost, SetPipe, NextSeg, the recovery algorithm).
 *
 * Ranges are absolute sequence numbers but always compared as offsets
 * from snd_una (seq - snd_una mod 2^32), which is how wrap-around stays
 * out of every comparison: inside the window an offset is an ordinary
 * unsigned number.
 *
 *   tcp_sack_update -> sack_ack (cumulative) -> sack_add_block (each)
 *   tcp_sack_next_seg -> rule 1 (lost gap) -> 2 (new) -> 3 -> 4 (rescue)
 */
#include <skiff/net/tcp_sack.h>
#include <skiff/net/tcp_seq.h>
#include <string.h>

static u32 off(const struct tcp_sack_board *sb, u32 seq)
{
	return seq - sb->snd_una;
}

void tcp_sack_init(struct tcp_sack_board *sb, u32 snd_una, u32 mss)
{
	memset(sb, 0, sizeof(*sb));
	sb->snd_una = snd_una;
	sb->snd_nxt = snd_una;
	sb->high_rxt = snd_una;
	sb->mss = mss ? mss : 1;
}

void tcp_sack_set_mss(struct tcp_sack_board *sb, u32 mss)
{
	sb->mss = mss ? mss : 1;
}

void tcp_sack_on_send(struct tcp_sack_board *sb, u32 snd_nxt)
{
	if (after(snd_nxt, sb->snd_nxt))
		sb->snd_nxt = snd_nxt;
}

static void sack_recount(struct tcp_sack_board *sb)
{
	sb->sacked_bytes = 0;
	for (unsigned i = 0; i < sb->nr_ranges; i++)
		sb->sacked_bytes += sb->ranges[i].end - sb->ranges[i].start;
}

/* Cumulative ACK: snd_una moves to ack; ranges below it go, a range
 * that straddles it is trimmed to start at ack. */
static u32 sack_ack(struct tcp_sack_board *sb, u32 ack)
{
	u32 adv = ack - sb->snd_una;
	unsigned keep = 0;

	if (adv == 0)
		return 0;
	for (unsigned i = 0; i < sb->nr_ranges; i++) {
		struct tcp_sack_block r = sb->ranges[i];

		if (before_eq(r.end, ack))
			continue;
		if (before(r.start, ack))
			r.start = ack;
		sb->ranges[keep++] = r;
	}
	sb->nr_ranges = (u8)keep;
	sb->snd_una = ack;
	if (before(sb->high_rxt, ack))
		sb->high_rxt = ack;
	sack_recount(sb);
	return adv;
}

/* Merge [os, oe) (offsets, os < oe) into the sorted ranges. Returns the
 * bytes newly SACKed. */
static u32 sack_add_range(struct tcp_sack_board *sb, u32 os, u32 oe)
{
	struct tcp_sack_block tmp[TCP_SACK_MAX_RANGES + 1];
	unsigned n = 0, i = 0;
	u32 old = sb->sacked_bytes;

	for (; i < sb->nr_ranges && off(sb, sb->ranges[i].end) < os; i++)
		tmp[n++] = sb->ranges[i];
	for (; i < sb->nr_ranges && off(sb, sb->ranges[i].start) <= oe; i++) {
		os = MIN(os, off(sb, sb->ranges[i].start));
		oe = MAX(oe, off(sb, sb->ranges[i].end));
	}
	tmp[n].start = sb->snd_una + os;
	tmp[n].end = sb->snd_una + oe;
	n++;
	for (; i < sb->nr_ranges; i++)
		tmp[n++] = sb->ranges[i];
	if (n > TCP_SACK_MAX_RANGES) { /* forget the highest range */
		n = TCP_SACK_MAX_RANGES;
		sb->dropped_ranges++;
	}
	memcpy(sb->ranges, tmp, n * sizeof(tmp[0]));
	sb->nr_ranges = (u8)n;
	sack_recount(sb);
	return sb->sacked_bytes > old ? sb->sacked_bytes - old : 0;
}

/* RFC 2883 4: the first block is a D-SACK if it lies at or below the
 * cumulative ACK, or inside the second block. */
static bool sack_is_dsack(const struct tcp_sack_block *b, unsigned n, u32 ack)
{
	if (n == 0 || !before(b[0].start, b[0].end))
		return false;
	if (before_eq(b[0].end, ack))
		return true;
	return n >= 2 && !before(b[0].start, b[1].start) &&
	       !after(b[0].end, b[1].end);
}

/* Validate and record one block. Returns false if it was ignored. */
static bool sack_add_block(struct tcp_sack_board *sb,
			   const struct tcp_sack_block *b,
			   struct tcp_sack_result *res)
{
	u32 os, oe;

	if (!before(b->start, b->end) || after(b->end, sb->snd_nxt))
		return false;
	if (before_eq(b->end, sb->snd_una))
		return false; /* old news */
	os = before(b->start, sb->snd_una) ? 0 : off(sb, b->start);
	oe = off(sb, b->end);
	if (os == 0 && oe == 0)
		return false;
	res->newly_sacked_bytes += sack_add_range(sb, os, oe);
	return true;
}

int tcp_sack_update(struct tcp_sack_board *sb, u32 ack,
		    const struct tcp_sack_block *blocks, unsigned n,
		    struct tcp_sack_result *res)
{
	unsigned first = 0;

	memset(res, 0, sizeof(*res));
	n = MIN(n, (unsigned)TCP_MAX_SACK_BLOCKS);
	if (after(ack, sb->snd_nxt)) /* acks data never sent: ignore */
		return 0;
	if (after(ack, sb->snd_una))
		res->acked_bytes = sack_ack(sb, ack);
	if (sack_is_dsack(blocks, n, ack)) {
		res->dsack = true;
		sb->dsacks++;
		if (before_eq(blocks[0].end, ack))
			first = 1; /* below the ACK: nothing to record */
	}
	for (unsigned i = first; i < n; i++)
		if (!sack_add_block(sb, &blocks[i], res))
			res->invalid_blocks++;
	if (sb->in_recovery && !before(sb->snd_una, sb->recovery_point))
		res->recovery_done = true;
	return 0;
}

bool tcp_sack_is_sacked(const struct tcp_sack_board *sb, u32 seq)
{
	for (unsigned i = 0; i < sb->nr_ranges; i++)
		if (!before(seq, sb->ranges[i].start) &&
		    before(seq, sb->ranges[i].end))
			return true;
	return false;
}

u32 tcp_sack_high_sacked(const struct tcp_sack_board *sb)
{
	return sb->nr_ranges ? sb->ranges[sb->nr_ranges - 1].end : sb->snd_una;
}

/* RFC 6675 4 IsLost over what is SACKed above the byte at offset o. */
static bool sack_lost_above(const struct tcp_sack_board *sb, u32 o)
{
	u32 count = 0, bytes = 0;

	for (unsigned i = 0; i < sb->nr_ranges; i++) {
		u32 rs = off(sb, sb->ranges[i].start);
		u32 re = off(sb, sb->ranges[i].end);

		if (re <= o + 1)
			continue;
		count++;
		bytes += re - MAX(rs, o + 1);
	}
	return count >= TCP_DUPTHRESH ||
	       (u64)bytes > (u64)(TCP_DUPTHRESH - 1) * sb->mss;
}

bool tcp_sack_is_lost(const struct tcp_sack_board *sb, u32 seq)
{
	if (!before(seq, sb->snd_nxt) || before(seq, sb->snd_una))
		return false;
	return sack_lost_above(sb, off(sb, seq));
}

/* The gaps: gap i is [end of range i-1 (or snd_una), start of range i
 * (or snd_nxt for i == nr_ranges)), as offsets. Every byte of gap i has
 * the same SACKed data above it, so one IsLost answers for all. */
static void sack_gap(const struct tcp_sack_board *sb, unsigned i, u32 *a,
		     u32 *b)
{
	*a = i == 0 ? 0 : off(sb, sb->ranges[i - 1].end);
	*b = i == sb->nr_ranges ? off(sb, sb->snd_nxt)
				: off(sb, sb->ranges[i].start);
}

/* RFC 6675 4 SetPipe: every unSACKed byte counts once if not lost, and
 * once more if it was retransmitted (below HighRxt). */
u32 tcp_sack_pipe(const struct tcp_sack_board *sb)
{
	u32 rxt = off(sb, sb->high_rxt), pipe = 0;

	if (after(sb->snd_una, sb->high_rxt))
		rxt = 0;
	for (unsigned i = 0; i <= sb->nr_ranges; i++) {
		u32 a, b;

		sack_gap(sb, i, &a, &b);
		if (a >= b)
			continue;
		if (!sack_lost_above(sb, a))
			pipe += b - a;
		if (rxt > a)
			pipe += MIN(rxt, b) - a;
	}
	return pipe;
}

void tcp_sack_enter_recovery(struct tcp_sack_board *sb)
{
	sb->in_recovery = true;
	sb->recovery_point = sb->snd_nxt;
	sb->high_rxt = sb->snd_una;
	sb->rescue_valid = false;
}

void tcp_sack_exit_recovery(struct tcp_sack_board *sb)
{
	sb->in_recovery = false;
	sb->high_rxt = sb->snd_una;
	sb->rescue_valid = false;
}

/* Rules 1 and 3: the lowest unSACKed bytes above HighRxt and below the
 * highest SACKed byte, lost ones only when need_lost. */
static bool sack_pick_hole(struct tcp_sack_board *sb, bool need_lost,
			   struct tcp_nextseg *seg)
{
	u32 rxt = after(sb->high_rxt, sb->snd_una) ? off(sb, sb->high_rxt) : 0;

	for (unsigned i = 0; i < sb->nr_ranges; i++) {
		u32 a, b;

		sack_gap(sb, i, &a, &b);
		a = MAX(a, rxt);
		if (a >= b)
			continue;
		if (need_lost && !sack_lost_above(sb, a))
			return false; /* higher gaps have less above them */
		seg->kind = TCP_NEXTSEG_RETRANS;
		seg->seq = sb->snd_una + a;
		seg->len = MIN(b - a, sb->mss);
		sb->high_rxt = seg->seq + seg->len;
		return true;
	}
	return false;
}

/* Rule 4: one segment ending at the highest unSACKed byte, once per
 * recovery (until HighACK passes RescueRxt). */
static bool sack_rescue(struct tcp_sack_board *sb, struct tcp_nextseg *seg)
{
	if (sb->rescue_valid && !after(sb->snd_una, sb->rescue_rxt))
		return false;
	for (unsigned i = sb->nr_ranges + 1; i-- > 0;) {
		u32 a, b;

		sack_gap(sb, i, &a, &b);
		if (a >= b)
			continue;
		seg->kind = TCP_NEXTSEG_RESCUE;
		seg->len = MIN(b - a, sb->mss);
		seg->seq = sb->snd_una + b - seg->len;
		sb->rescue_rxt = sb->recovery_point;
		sb->rescue_valid = true;
		return true;
	}
	return false;
}

enum tcp_nextseg_kind tcp_sack_next_seg(struct tcp_sack_board *sb,
					bool new_data_ok,
					struct tcp_nextseg *seg)
{
	memset(seg, 0, sizeof(*seg));
	if (sb->in_recovery && sack_pick_hole(sb, true, seg))
		return seg->kind;
	if (new_data_ok) {
		seg->kind = TCP_NEXTSEG_NEW;
		seg->seq = sb->snd_nxt;
		seg->len = sb->mss;
		return seg->kind;
	}
	if (!sb->in_recovery)
		return TCP_NEXTSEG_NONE;
	if (sack_pick_hole(sb, false, seg) || sack_rescue(sb, seg))
		return seg->kind;
	return TCP_NEXTSEG_NONE;
}

/* RFC 6675 5.1: an RTO ends recovery. The SACKed ranges are kept (RFC
 * 6675 5.1 and RFC 2018 Errata 1610 allow it where reneging is detected:
 * tcp_sack_reneged; Linux keeps them too), so what the receiver
 * holds is not sent again. */
void tcp_sack_on_rto(struct tcp_sack_board *sb)
{
	sb->in_recovery = false;
	sb->rescue_valid = false;
	sb->recovery_point = sb->snd_nxt;
	sb->high_rxt = sb->snd_una;
}

bool tcp_sack_reneged(const struct tcp_sack_board *sb)
{
	return sb->nr_ranges && sb->ranges[0].start == sb->snd_una;
}

void tcp_sack_forget(struct tcp_sack_board *sb)
{
	sb->nr_ranges = 0;
	sb->sacked_bytes = 0;
}

const struct tcp_sack_block *
tcp_sack_next_range(const struct tcp_sack_board *sb, u32 seq)
{
	for (unsigned i = 0; i < sb->nr_ranges; i++)
		if (after(sb->ranges[i].end, seq))
			return &sb->ranges[i];
	return NULL;
}

u32 tcp_sack_sacked_below(const struct tcp_sack_board *sb, u32 seq)
{
	u32 o = off(sb, seq), bytes = 0;
	for (unsigned i = 0; i < sb->nr_ranges; i++) {
		u32 rs = off(sb, sb->ranges[i].start);
		u32 re = off(sb, sb->ranges[i].end);
		if (rs < o)
			bytes += MIN(re, o) - rs;
	}
	return bytes;
}
