/*
 * tcp_rack.c - RACK loss detection (RFC 8985 6) over a log of what was
 * sent when (tcp_rack.h says how a connection drives it). Read first:
 * RFC 8985 2-3 (the idea: a segment is lost once a segment sent
 * sufficiently later was delivered), 6.1 (the variables), 6.2 (the
 * per-ACK steps), 6.3 (the reordering timer).
 *
 *   tcp_rack_on_ack -> rack_ack_cumulative, rack_mark_sacked (each
 *   block) -> rack_delivered (steps 2 and 3, per entry) ->
 *   rack_update_reo_wnd (step 4) -> tcp_rack_detect_loss (step 5)
 *
 * Sequence numbers are compared as offsets from snd_una, as in
 * tcp_sack.c; times are microseconds.
 */
#include <errno.h>
#include <skiff/net/tcp_rack.h>
#include <skiff/net/tcp_seq.h>
#include <stdlib.h>
#include <string.h>

#define RACK_INIT_SEGS 16

static int rack_log_alloc(struct tcp_rack *r)
{
	r->segs = malloc(RACK_INIT_SEGS * sizeof(*r->segs));
	if (!r->segs)
		return -ENOMEM;
	r->cap = RACK_INIT_SEGS;
	r->nr = 0;
	return 0;
}

int tcp_rack_init(struct tcp_rack *r, u32 snd_una)
{
	memset(r, 0, sizeof(*r));
	r->snd_una = r->snd_nxt = r->fack = r->end_seq = snd_una;
	r->reo_wnd_mult = 1;
	return rack_log_alloc(r);
}

void tcp_rack_idle(struct tcp_rack *r, u32 snd_una)
{
	if (r->cap > RACK_INIT_SEGS)
		tcp_rack_release(r); /* a burst's log: not kept idle */
	r->nr = 0;
	r->log_idle = r->segs != NULL;
	r->snd_una = r->snd_nxt = snd_una;
	if (before(r->fack, snd_una))
		r->fack = snd_una;
	r->reo_at_ms = 0;
}

/*
 * Nothing learned about the path: no reordering seen (RACK.reord), the
 * window neither widened nor remembered (reo_wnd_mult, reo_wnd_persist,
 * RACK.dsack_round, the overtaken extent) and no counts. RACK.xmit_ts,
 * end_seq and rtt (RFC 8985 6.1) need not be kept: nothing sent before
 * them is outstanding when idle, so a fresh log's first delivery sets
 * them (6.2 step 2) as the old ones would be replaced, and loss
 * detection (step 5) marks nothing before it in either case.
 */
bool tcp_rack_pristine(const struct tcp_rack *r)
{
	return (!r->segs || r->log_idle) && !r->reord && r->reo_wnd_mult == 1 &&
	       !r->reo_wnd_persist && !r->dsack_round_valid &&
	       !r->reord_events && !r->reo_extent_us && !r->lost_retrans &&
	       !r->merged && !r->reo_at_ms;
}

void tcp_rack_release(struct tcp_rack *r)
{
	free(r->segs);
	r->segs = NULL;
	r->nr = r->cap = 0;
	r->log_idle = false;
}

static u32 rack_len(const struct tcp_rack_seg *s)
{
	return s->end - s->start;
}

/* RFC 8985 6.2, RACK_sent_after: (t1, seq1) went out after (t2, seq2). */
static bool rack_sent_after(u64 t1, u32 seq1, u64 t2, u32 seq2)
{
	return t1 > t2 || (t1 == t2 && after(seq1, seq2));
}

/* ---- the log ------------------------------------------------------------- */

/* Two neighbours as one: the later time, and flags under which no byte
 * looks more delivered than it was. */
static void rack_merge_at(struct tcp_rack *r, u32 i)
{
	struct tcp_rack_seg *a = &r->segs[i], *b = &r->segs[i + 1];
	u8 both = a->flags & b->flags, either = a->flags | b->flags;
	a->flags = (both & (TCP_RACK_SACKED | TCP_RACK_RETRANS)) |
		   (either & (TCP_RACK_LOST | TCP_RACK_EVER_RETRANS));
	a->xmit_us = MAX(a->xmit_us, b->xmit_us);
	a->end = b->end;
	memmove(b, b + 1, (r->nr - i - 2) * sizeof(*b));
	r->nr--;
}

/* Merge neighbours with the same flags and time: nothing is lost. */
static void rack_compact(struct tcp_rack *r)
{
	u32 i = 0;
	while (i + 1 < r->nr) {
		struct tcp_rack_seg *a = &r->segs[i], *b = a + 1;
		if (a->flags == b->flags && a->xmit_us == b->xmit_us)
			rack_merge_at(r, i);
		else
			i++;
	}
}

/* The log is full: merge the first neighbours with the same flags, else
 * the first two (the oldest data). */
static void rack_merge_one(struct tcp_rack *r)
{
	for (u32 i = 0; i + 1 < r->nr; i++) {
		if (r->segs[i].flags == r->segs[i + 1].flags) {
			rack_merge_at(r, i);
			r->merged++;
			return;
		}
	}
	rack_merge_at(r, 0);
	r->merged++;
}

/* Room for k more entries: grow up to TCP_RACK_MAX_SEGS, then merge. */
static void rack_room(struct tcp_rack *r, u32 k)
{
	if (r->nr + k > r->cap && r->cap < TCP_RACK_MAX_SEGS) {
		u32 cap = MIN(MAX(r->cap * 2, r->nr + k), TCP_RACK_MAX_SEGS);
		struct tcp_rack_seg *n = realloc(r->segs, cap * sizeof(*n));
		if (n) {
			r->segs = n;
			r->cap = cap;
		}
	}
	while (r->nr + k > r->cap && r->nr >= 2)
		rack_merge_one(r);
}

/* The entry holding seq (offset below snd_nxt), or r->nr. */
static u32 rack_find(const struct tcp_rack *r, u32 seq)
{
	u32 o = seq - r->snd_una;
	for (u32 i = 0; i < r->nr; i++)
		if (o < r->segs[i].end - r->snd_una)
			return i;
	return r->nr;
}

/* An entry boundary at seq (inside [snd_una, snd_nxt]). Returns the
 * index of the entry that starts at seq (r->nr at snd_nxt). */
static u32 rack_split(struct tcp_rack *r, u32 seq)
{
	u32 i = rack_find(r, seq);
	if (i == r->nr || r->segs[i].start == seq)
		return i;
	rack_room(r, 1);
	i = rack_find(r, seq); /* merging may have moved it */
	if (r->segs[i].start == seq)
		return i;
	memmove(&r->segs[i + 1], &r->segs[i], (r->nr - i) * sizeof(r->segs[0]));
	r->nr++;
	r->segs[i].end = seq;
	r->segs[i + 1].start = seq;
	return i + 1;
}

static void rack_append(struct tcp_rack *r, u32 end, u64 now_us)
{
	struct tcp_rack_seg *last = r->nr ? &r->segs[r->nr - 1] : NULL;
	if (last && !last->flags && last->xmit_us == now_us) {
		last->end = end;
	} else {
		rack_room(r, 1);
		struct tcp_rack_seg *s = &r->segs[r->nr++];
		s->start = r->snd_nxt;
		s->end = end;
		s->xmit_us = now_us;
		s->flags = 0;
	}
	r->snd_nxt = end;
}

/* Entries start and end on entry boundaries at start and end (both
 * within [snd_una, snd_nxt]): returns the first entry of [start, end),
 * *last one past its last. */
static u32 rack_isolate(struct tcp_rack *r, u32 start, u32 end, u32 *last)
{
	rack_room(r, 2); /* no merge between the two splits */
	rack_split(r, start);
	rack_split(r, end);
	*last = end == r->snd_nxt ? r->nr : rack_find(r, end);
	return rack_find(r, start);
}

/* [start, end) below snd_nxt went out again: the time moves, RETRANS is
 * set (a lost mark stays: Linux's LOST|SACKED_RETRANS, in the pipe). */
static void rack_retransmitted(struct tcp_rack *r, u32 start, u32 end,
			       u64 now_us)
{
	u32 j, i = rack_isolate(r, start, end, &j);
	for (; i < j; i++) {
		struct tcp_rack_seg *s = &r->segs[i];
		if (s->flags & TCP_RACK_SACKED)
			continue;
		s->xmit_us = now_us;
		s->flags |= TCP_RACK_RETRANS | TCP_RACK_EVER_RETRANS;
	}
	rack_compact(r);
}

void tcp_rack_on_xmit(struct tcp_rack *r, u32 start, u32 end, u64 now_us)
{
	if (!after(end, start) || (!r->segs && rack_log_alloc(r) < 0))
		return;
	r->log_idle = false;
	if (before(start, r->snd_una))
		start = r->snd_una;
	if (before(start, r->snd_nxt)) {
		u32 rend = seq_min(end, r->snd_nxt);
		if (after(rend, start))
			rack_retransmitted(r, start, rend, now_us);
		start = rend;
	}
	if (after(start, r->snd_nxt)) /* not logged before: taken as now */
		rack_append(r, start, now_us);
	if (after(end, start))
		rack_append(r, end, now_us);
}

/* ---- an ACK -------------------------------------------------------------- */

/*
 * RFC 8985 6.2 step 3 found an original overtaken by later data. Beyond
 * the RFC, how late it came is kept: it took rtt_us where RACK.rtt (of
 * the later segment delivered before it) was less, and the window must
 * be at least the difference for such a segment not to be marked lost
 * (step 5). Jitter reorders by tens of milliseconds where min_RTT / 4
 * may be less; the D-SACKs that would widen the window step by step
 * mostly never come from a Linux receiver (duplicates below its window
 * get rate-limited ACKs). The extent is forgotten with the widening
 * (reo_wnd_persist recoveries without new evidence).
 */
static void rack_reordered(struct tcp_rack *r, u64 rtt_us,
			   struct tcp_rack_out *out)
{
	out->reordering = true;
	if (rtt_us <= r->rtt_us || rtt_us - r->rtt_us <= r->reo_extent_us)
		return;
	r->reo_extent_us = (u32)MIN(rtt_us - r->rtt_us, (u64)0xffffffffu);
	r->reo_wnd_persist = TCP_RACK_REO_PERSIST;
}

/* How long ago the TSval the ACK echoes was sent (our TSval clock is
 * milliseconds of the same clock as now_us). */
static u64 rack_ts_age_us(const struct tcp_rack_in *in)
{
	return (u64)((u32)(in->now_us / 1000) - in->tsecr) * 1000;
}

/* RFC 8985 6.2 steps 2 (RACK.xmit_ts, end_seq, rtt from the most
 * recently sent delivered segment; a resend only if the ACK cannot be
 * for the original: TSecr not older than the resend, RTT not below the
 * minimum) and 3 (reordering: an original delivered below RACK.fack). */
static void rack_delivered(struct tcp_rack *r, const struct tcp_rack_seg *s,
			   const struct tcp_rack_in *in, bool at_una,
			   struct tcp_rack_out *out)
{
	u64 rtt = in->now_us > s->xmit_us ? in->now_us - s->xmit_us : 0;
	bool resent = s->flags & TCP_RACK_EVER_RETRANS;
	out->delivered += rack_len(s);
	if (!resent && !after(s->end, in->high_seq)) /* Linux's
						      * FLAG_ORIG_SACK_ACKED */
		out->delivered_orig += rack_len(s);
	if (after(s->end, r->fack))
		r->fack = s->end;
	else if (before(s->end, r->fack) && !resent)
		rack_reordered(r, rtt, out);
	if (resent) {
		if (in->ts && before(in->tsecr, (u32)(s->xmit_us / 1000))) {
			/* The original filled the hole at SND.UNA (its TSval
			 * echoed, RFC 3522): it was late, not lost, and the
			 * echo dates it. */
			if (at_una)
				rack_reordered(r, rack_ts_age_us(in), out);
			return;
		}
		if (rtt < in->min_rtt_us)
			return;
	}
	if (!r->advanced ||
	    rack_sent_after(s->xmit_us, s->end, r->xmit_us, r->end_seq)) {
		r->advanced = true;
		r->xmit_us = s->xmit_us;
		r->end_seq = s->end;
		r->rtt_us = (u32)MIN(rtt, (u64)0xffffffffu);
	}
}

/* The cumulative ACK: entries below it go (delivered unless SACKed). */
static void rack_ack_cumulative(struct tcp_rack *r,
				const struct tcp_rack_in *in,
				struct tcp_rack_out *out)
{
	if (!after(in->ack, r->snd_una) || after(in->ack, r->snd_nxt))
		return;
	u32 j = rack_split(r, in->ack);
	for (u32 i = 0; i < j; i++)
		if (!(r->segs[i].flags & TCP_RACK_SACKED))
			rack_delivered(r, &r->segs[i], in, i == 0, out);
	memmove(&r->segs[0], &r->segs[j], (r->nr - j) * sizeof(r->segs[0]));
	r->nr -= j;
	r->snd_una = in->ack;
}

/* A SACK block (RFC 2018): its bytes within the log are delivered. */
static void rack_mark_sacked(struct tcp_rack *r, const struct tcp_sack_block *b,
			     const struct tcp_rack_in *in,
			     struct tcp_rack_out *out)
{
	u32 start = b->start, end = b->end;
	if (before(start, r->snd_una))
		start = r->snd_una;
	if (after(end, r->snd_nxt) || !after(end, start))
		return; /* past what was sent, or nothing left */
	u32 j, i = rack_isolate(r, start, end, &j);
	for (; i < j; i++) {
		struct tcp_rack_seg *s = &r->segs[i];
		if (s->flags & TCP_RACK_SACKED)
			continue;
		rack_delivered(r, s, in, false, out);
		s->flags |= TCP_RACK_SACKED;
		s->flags &= (u8) ~(TCP_RACK_LOST | TCP_RACK_RETRANS);
	}
}

/* RFC 8985 6.2 step 4: a D-SACK widens the window once per round trip
 * (RACK.dsack_round), for the next 16 recoveries. */
static void rack_widen(struct tcp_rack *r)
{
	if (r->dsack_round_valid && !before(r->snd_una, r->dsack_round))
		r->dsack_round_valid = false;
	if (r->dsack_round_valid)
		return;
	r->dsack_round_valid = true;
	r->dsack_round = r->snd_nxt;
	if (r->reo_wnd_mult < TCP_RACK_REO_MULT_MAX)
		r->reo_wnd_mult++;
	r->reo_wnd_persist = TCP_RACK_REO_PERSIST;
}

static void rack_update_reo_wnd(struct tcp_rack *r,
				const struct tcp_rack_in *in)
{
	if (r->dsack_round_valid && !before(r->snd_una, r->dsack_round))
		r->dsack_round_valid = false;
	if (in->dsack)
		rack_widen(r);
}

void tcp_rack_spurious(struct tcp_rack *r)
{
	rack_widen(r);
}

void tcp_rack_recovery_done(struct tcp_rack *r)
{
	if (r->reo_wnd_persist && --r->reo_wnd_persist == 0) {
		r->reo_wnd_mult = 1;
		r->reo_extent_us = 0;
	}
}

/* RFC 8985 6.2 step 4, RACK_reo_wnd: no window before reordering was
 * seen when recovering or DupThresh segments are SACKed (as RFC 6675
 * would act then); else min_RTT/4 per step, at most SRTT. */
u32 tcp_rack_reo_wnd_us(const struct tcp_rack *r, const struct tcp_rack_in *in)
{
	if (!r->reord && (in->recovering || in->sacked_pkts >= 3))
		return 0;
	u64 wnd = (u64)(in->min_rtt_us / 4) * r->reo_wnd_mult;
	wnd = MAX(wnd, (u64)r->reo_extent_us); /* rack_reordered */
	if (in->srtt_us && wnd > in->srtt_us)
		wnd = in->srtt_us;
	return (u32)wnd;
}

/* RFC 8985 6.2 step 5: every segment not delivered and not already lost
 * (resends included) that went out before RACK.xmit_ts is lost once
 * RACK.rtt + reo_wnd has passed since it went out; the longest wait
 * left is the reordering timeout (6.3). */
void tcp_rack_detect_loss(struct tcp_rack *r, const struct tcp_rack_in *in,
			  struct tcp_rack_out *out)
{
	u64 wait_us = (u64)r->rtt_us + tcp_rack_reo_wnd_us(r, in);
	out->reo_timeout_us = 0;
	out->newly_lost = 0;
	if (!r->advanced)
		return;
	for (u32 i = 0; i < r->nr; i++) {
		struct tcp_rack_seg *s = &r->segs[i];
		bool lost = s->flags & TCP_RACK_LOST;
		bool resent = s->flags & TCP_RACK_RETRANS;
		if ((s->flags & TCP_RACK_SACKED) || (lost && !resent))
			continue;
		if (!rack_sent_after(r->xmit_us, r->end_seq, s->xmit_us,
				     s->end))
			continue;
		u64 elapsed =
		    in->now_us > s->xmit_us ? in->now_us - s->xmit_us : 0;
		if (elapsed < wait_us) {
			out->reo_timeout_us =
			    MAX(out->reo_timeout_us, wait_us - elapsed);
			continue;
		}
		if (resent)
			r->lost_retrans++;
		s->flags |= TCP_RACK_LOST;
		s->flags &= (u8)~TCP_RACK_RETRANS;
		out->newly_lost += rack_len(s);
	}
	rack_compact(r);
}

void tcp_rack_on_ack(struct tcp_rack *r, const struct tcp_rack_in *in,
		     struct tcp_rack_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!r->segs || r->log_idle)
		return;
	rack_ack_cumulative(r, in, out);
	for (unsigned i = 0; i < in->nr_blocks; i++)
		rack_mark_sacked(r, &in->blocks[i], in, out);
	if (out->reordering) {
		r->reord = true;
		r->reord_events++;
	}
	rack_update_reo_wnd(r, in);
	tcp_rack_detect_loss(r, in, out);
}

/* ---- what recovery reads and resets -------------------------------------- */

u32 tcp_rack_pipe(const struct tcp_rack *r)
{
	u32 pipe = 0;
	for (u32 i = 0; i < r->nr; i++) {
		u8 f = r->segs[i].flags;
		if (!(f & TCP_RACK_SACKED) &&
		    (!(f & TCP_RACK_LOST) || (f & TCP_RACK_RETRANS)))
			pipe += rack_len(&r->segs[i]);
	}
	return pipe;
}

static u32 rack_sum(const struct tcp_rack *r, u8 mask, u8 want)
{
	u32 n = 0;
	for (u32 i = 0; i < r->nr; i++)
		if ((r->segs[i].flags & mask) == want)
			n += rack_len(&r->segs[i]);
	return n;
}

u32 tcp_rack_retrans_out(const struct tcp_rack *r)
{
	return rack_sum(r, TCP_RACK_SACKED | TCP_RACK_RETRANS,
			TCP_RACK_RETRANS);
}

u32 tcp_rack_lost_out(const struct tcp_rack *r)
{
	return rack_sum(r, TCP_RACK_SACKED | TCP_RACK_LOST | TCP_RACK_RETRANS,
			TCP_RACK_LOST);
}

bool tcp_rack_next_lost(const struct tcp_rack *r, bool resent_only, u32 len_max,
			u32 *seq, u32 *len)
{
	for (u32 i = 0; i < r->nr; i++) {
		const struct tcp_rack_seg *s = &r->segs[i];
		if ((s->flags & (TCP_RACK_SACKED | TCP_RACK_LOST |
				 TCP_RACK_RETRANS)) != TCP_RACK_LOST)
			continue;
		if (resent_only && !(s->flags & TCP_RACK_EVER_RETRANS))
			continue;
		*seq = s->start;
		*len = MIN(rack_len(s), len_max);
		return true;
	}
	return false;
}

void tcp_rack_on_rto(struct tcp_rack *r)
{
	for (u32 i = 0; i < r->nr; i++) {
		struct tcp_rack_seg *s = &r->segs[i];
		if (s->flags & TCP_RACK_SACKED)
			continue;
		s->flags |= TCP_RACK_LOST;
		s->flags &= (u8)~TCP_RACK_RETRANS;
	}
	rack_compact(r);
}

void tcp_rack_unmark_lost(struct tcp_rack *r)
{
	for (u32 i = 0; i < r->nr; i++)
		r->segs[i].flags &= (u8)~TCP_RACK_LOST;
	rack_compact(r);
}

void tcp_rack_forget_sacked(struct tcp_rack *r)
{
	for (u32 i = 0; i < r->nr; i++)
		r->segs[i].flags &= (u8)~TCP_RACK_SACKED;
	rack_compact(r);
}
