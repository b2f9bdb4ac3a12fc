/*
 * net/tcp_seq.h - TCP sequence-number arithmetic modulo 2^32 (RFC 9293
 * 3.4, RFC 1982 style). Every comparison of two sequence numbers in the
 * stack goes through these: `before(a, b)` is true when a comes earlier
 * than b on the circle, i.e. when (s32)(a - b) < 0; they are meaningful
 * only while the two numbers are within 2^31 of each other, which the
 * windows (at most 2^30 with a window-scale shift of 14) guarantee.
 * Names are Linux's: before(), after(), between(seq, lo, hi) (lo <= seq
 * <= hi on the circle), plus seq_max/seq_min and seq_diff.
 */
#ifndef SKIFF_NET_TCP_SEQ_H
#define SKIFF_NET_TCP_SEQ_H

#include <skiff/types.h>

/* a < b on the sequence circle. */
static inline bool before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

/* a > b on the sequence circle. */
static inline bool after(u32 a, u32 b)
{
	return before(b, a);
}

/* a <= b and a >= b. */
static inline bool before_eq(u32 a, u32 b)
{
	return !after(a, b);
}

static inline bool after_eq(u32 a, u32 b)
{
	return !before(a, b);
}

/* lo <= seq <= hi, with hi reached from lo going forward (hi - lo < 2^32). */
static inline bool between(u32 seq, u32 lo, u32 hi)
{
	return hi - lo >= seq - lo;
}

static inline u32 seq_max(u32 a, u32 b)
{
	return after(a, b) ? a : b;
}

static inline u32 seq_min(u32 a, u32 b)
{
	return before(a, b) ? a : b;
}

/* The forward distance from `from` to `to` (to - from mod 2^32). */
static inline u32 seq_diff(u32 to, u32 from)
{
	return to - from;
}

#endif
